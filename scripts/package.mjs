// Builds the .vsix: production bundles (extension, runner, webview), staged into out/vsix with
// only what runs (no sources, no maps, no node_modules but the esbuild the runner uses to bundle
// scenarios at run time and the TypeScript server plugin), then `vsce package` (needs Node >= 22: the one test/e2e/setup.sh puts
// in .e2e/). Writes loadlens-<version>.vsix at the repo top and prints its size.
//
// esbuild ships a native binary per platform, so the .vsix is platform-specific: it targets the
// platform it is built on (e.g. linux-x64), as `vsce package --target` documents.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const stage = join(root, 'out', 'vsix');
const e2eBin = join(root, '.e2e', 'node_modules', '.bin');
const vsce = join(e2eBin, 'vsce');

if (!existsSync(vsce)) {
  console.error(`package: ${vsce} not found. @vscode/vsce needs Node >= 22; install it (with Node 24) by running:\n  bash test/e2e/setup.sh`);
  process.exit(1);
}

const TARGETS = { 'linux-x64': 'linux-x64', 'linux-arm64': 'linux-arm64', 'darwin-x64': 'darwin-x64', 'darwin-arm64': 'darwin-arm64', 'win32-x64': 'win32-x64', 'win32-arm64': 'win32-arm64' };
const target = TARGETS[`${process.platform}-${process.arch}`];
if (!target) {
  console.error(`package: no esbuild binary target for ${process.platform}-${process.arch}`);
  process.exit(1);
}
const esbuildPlatformPackage = `@esbuild/${target}`;

// 1. Production bundles.
execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--production'], { cwd: root, stdio: 'inherit' });

// 2. Stage what the extension needs at run time.
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'dist'), { recursive: true });
const copy = (from, to = from) => {
  const src = join(root, from);
  if (!existsSync(src)) throw new Error(`package: missing ${from} (did the build run?)`);
  cpSync(src, join(stage, to), { recursive: true });
};
for (const f of ['dist/extension.js', 'dist/runner.js', 'dist/runner-thread.js', 'dist/worker.js', 'dist/worker-thread.js', 'dist/webview.js', 'dist/webview.css', 'dist/report-page.js', 'syntaxes', 'snippets', 'images/icon.png', 'README.md', 'LICENSE']) copy(f);
// The runner keeps esbuild external (it bundles users' scenarios): Node resolves it from
// dist/node_modules, next to dist/runner.js. Only its JS API and the one native binary.
for (const f of ['package.json', 'lib/main.js', 'LICENSE.md']) copy(join('node_modules/esbuild', f), join('dist/node_modules/esbuild', f));
const binary = target.startsWith('win32') ? 'esbuild.exe' : 'bin/esbuild';
for (const f of ['package.json', binary]) copy(join('node_modules', esbuildPlatformPackage, f), join('dist/node_modules', esbuildPlatformPackage, f));

// The TypeScript server plugin (contributes.typescriptServerPlugins): tsserver loads it from
// <extension>/node_modules/<name>, so it ships as a package there, with the `loadlens`
// declarations it resolves the module to.
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const tsPlugin = manifest.contributes.typescriptServerPlugins[0].name;
copy('dist/ts-plugin.js', `node_modules/${tsPlugin}/index.js`);
copy('dist/types', `node_modules/${tsPlugin}/types`);
writeFileSync(join(stage, 'node_modules', tsPlugin, 'package.json'), JSON.stringify({
  name: tsPlugin, version: manifest.version, private: true, main: 'index.js', license: manifest.license,
}, null, 2));

// The manifest without the npm-package fields (vsce would treat `files` as an allow list);
// its one dependency is the plugin, which vsce then packs from node_modules (npm list).
for (const key of ['scripts', 'devDependencies', 'files', 'bin', 'exports', 'types']) delete manifest[key];
manifest.dependencies = { [tsPlugin]: manifest.version };
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2));
writeFileSync(join(stage, '.vscodeignore'), readFileSync(join(root, '.vscodeignore')));

// 3. vsce on Node 24 (first on PATH).
const out = join(root, `loadlens-${manifest.version}.vsix`);
rmSync(out, { force: true });
// No flags that silence vsce's checks: the manifest has repository, license and icon.
const args = ['package', '--target', target, '--out', out];
execFileSync(vsce, args, {
  cwd: stage,
  stdio: 'inherit',
  env: { ...process.env, PATH: `${e2eBin}:${process.env.PATH}` },
});
const kb = (statSync(out).size / 1024).toFixed(0);
console.log(`package: ${out} (${kb} KB, target ${target})`);

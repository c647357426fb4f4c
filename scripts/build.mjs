// Builds every bundle with esbuild. One place lists the entry points, so the folder layout and
// the shipped files stay in step. Entries whose source does not exist yet are skipped.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

const node = { platform: 'node', target: 'node20', format: 'cjs', bundle: true, sourcemap: true, minify: production };
const entries = [
  // The `loadlens` module a scenario imports (types ship from dist/types).
  { ...node, entryPoints: ['src/index.ts'], outfile: 'dist/index.js' },
  // The CLI (the runner runs in its process). Its npm dependencies stay outside the bundle, loaded
  // from node_modules only when a run needs them: undici for https, hdr-histogram-js to merge,
  // protobufjs and snappyjs for --out prometheus;
  // V8 then compiles 0.2 MB at start-up instead of 1 MB (issue 4). The runner, which the .vsix
  // ships without node_modules, bundles them.
  { ...node, entryPoints: ['src/cli/main.ts'], outfile: 'dist/cli.js', external: ['esbuild', 'undici', 'hdr-histogram-js', '@nats-io/*', 'protobufjs', 'snappyjs'] },
  // The CLI's runner thread (src/runner/host.ts runs it in a worker thread), with the CLI's externals.
  { ...node, entryPoints: ['src/runner/thread.ts'], outfile: 'dist/cli-thread.js', external: ['esbuild', 'undici', 'hdr-histogram-js', '@nats-io/*', 'protobufjs', 'snappyjs'] },
  // The forked runner's thread: the .vsix ships without node_modules, so it bundles them.
  { ...node, entryPoints: ['src/runner/thread.ts'], outfile: 'dist/runner-thread.js', external: ['esbuild'] },
  // The child-process runner (and local worker processes).
  { ...node, entryPoints: ['src/runner/main.ts'], outfile: 'dist/runner.js', external: ['esbuild'] },
  // A local worker process for `--workers N` (forked by the runner): its main thread, and the
  // worker thread that runs its segment of the load.
  { ...node, entryPoints: ['src/runner/worker.ts'], outfile: 'dist/worker.js', external: ['esbuild'] },
  { ...node, entryPoints: ['src/runner/worker-thread.ts'], outfile: 'dist/worker-thread.js', external: ['esbuild'] },
  // The VS Code extension host side.
  { ...node, entryPoints: ['src/extension/main.ts'], outfile: 'dist/extension.js', external: ['vscode', 'esbuild'] },
  // The TypeScript server plugin (runs in tsserver; scripts/package.mjs ships it in the .vsix).
  { ...node, entryPoints: ['src/ts-plugin/index.ts'], outfile: 'dist/ts-plugin.js' },
  // The webview panel script (browser).
  { platform: 'browser', target: 'es2022', format: 'iife', bundle: true, sourcemap: true, minify: production,
    entryPoints: ['webview/main.ts'], outfile: 'dist/webview.js' },
  // The HTML report's page script (charts), inlined into each report by src/report/html.ts:
  // always minified, as it travels inside every report file.
  { platform: 'browser', target: 'es2022', format: 'iife', bundle: true, minify: true,
    entryPoints: ['webview/report-page.ts'], outfile: 'dist/report-page.js' },
].filter((e) => existsSync(e.entryPoints[0]));

// No clean step: several builds and test runs may share dist/, and each file is overwritten whole.
await Promise.all(entries.map((e) => build({ ...e, logLevel: 'warning' })));

// Declarations for `import { scenario } from 'loadlens'` in users' editors.
if (existsSync('src/index.ts')) {
  execFileSync(process.execPath, [
    'node_modules/typescript/bin/tsc', 'src/index.ts', '--declaration', '--emitDeclarationOnly',
    '--outDir', 'dist/types', '--rootDir', 'src', '--skipLibCheck', '--target', 'ES2022',
    '--module', 'commonjs', '--moduleResolution', 'node', '--types', 'node', '--strict',
  ], { stdio: 'inherit' });
}
console.log(`built ${entries.map((e) => e.outfile).join(', ')}${watch ? ' (watch not supported; rerun)' : ''}`);

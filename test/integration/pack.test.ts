// `npm pack` in a fresh copy of the sources (the files git tracks or would add: no dist/) builds
// the package itself (prepack) and gives one that works in an empty folder: `npx loadlens run`
// on a scenario there (against a loopback server), and `import { scenario } from 'loadlens'`
// type-checks. The copy borrows this checkout's node_modules (what `npm ci` would install); the
// empty folder installs the tarball's dependencies from the npm cache (--offline).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startTarget, type RunningServer } from '../servers/target';
import { ROOT } from './cli-helpers';

const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';

function run(cmd: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

let tmp: string;
let app: string;
let packed: string[]; // the tarball's file list, without the leading package/
let target: RunningServer;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-pack-'));
  // A fresh clone, with the working tree's edits: every regular file git tracks or would add.
  const clone = join(tmp, 'clone');
  const sources = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0').filter((f) => f && existsSync(join(ROOT, f)) && lstatSync(join(ROOT, f)).isFile());
  for (const f of sources) {
    mkdirSync(join(clone, dirname(f)), { recursive: true });
    cpSync(join(ROOT, f), join(clone, f));
  }
  assert.ok(!existsSync(join(clone, 'dist')), 'the copy has no build output');
  symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
  execFileSync(npm, ['pack', '--pack-destination', tmp], { cwd: clone, stdio: 'pipe' });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack wrote a .tgz');
  packed = execFileSync('tar', ['tzf', join(tmp, tgz)], { encoding: 'utf8' }).split('\n').filter(Boolean).map((f) => f.replace(/^package\//, ''));
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  execFileSync(npm, ['install', join(tmp, tgz), '--offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe' });
});

test('the tarball holds what package.json points to, source maps and the licence', () => {
  const manifest = JSON.parse(readFileSync(join(app, 'node_modules', 'loadlens', 'package.json'), 'utf8'));
  const pointed = [manifest.main, manifest.types, manifest.exports['.'].types, manifest.exports['.'].default, ...Object.values(manifest.bin as Record<string, string>)]
    .map((p: string) => p.replace(/^\.\//, ''));
  for (const p of pointed) assert.ok(packed.includes(p), `${p} is packed`);
  const bundles = packed.filter((f) => /^dist\/[^/]+\.js$/.test(f));
  for (const b of ['index', 'cli', 'cli-thread', 'runner', 'runner-thread', 'worker', 'worker-thread', 'extension', 'webview']) {
    assert.ok(bundles.includes(`dist/${b}.js`), `dist/${b}.js is packed`);
  }
  // The report's page script is inlined into each HTML report (--report): no map, it would point nowhere.
  assert.ok(bundles.includes('dist/report-page.js'), 'dist/report-page.js is packed (loadlens run --report needs it)');
  for (const b of bundles.filter((f) => f !== 'dist/report-page.js')) {
    assert.ok(packed.includes(`${b}.map`), `${b}.map is packed`);
    const text = readFileSync(join(app, 'node_modules', 'loadlens', b), 'utf8');
    assert.match(text.slice(-200), new RegExp(`//# sourceMappingURL=${b.slice(5).replace('.', '\\.')}\\.map\\s*$`), `${b} points to its map`);
  }
  assert.ok(packed.includes('LICENSE'));
  assert.match(readFileSync(join(app, 'node_modules', 'loadlens', 'LICENSE'), 'utf8'), /^MIT License/);
  assert.equal(manifest.license, 'MIT');
  for (const key of ['repository', 'bugs', 'homepage', 'galleryBanner']) assert.ok(manifest[key], `package.json has ${key}`);
  // The icon (the .vsix's): a 128x128 PNG in the repository.
  const icon = readFileSync(join(ROOT, manifest.icon));
  assert.equal(icon.subarray(1, 4).toString('latin1'), 'PNG');
  assert.deepEqual([icon.readUInt32BE(16), icon.readUInt32BE(20)], [128, 128]);
  assert.ok(!packed.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests');
});

after(async () => {
  await target.close();
  rmSync(tmp, { recursive: true, force: true });
});

test('the packed package runs a scenario with npx loadlens', async () => {
  writeFileSync(
    join(app, 'smoke.load.ts'),
    `import { scenario, check } from 'loadlens';
export const smoke = scenario({
  load: { vus: 2, iterations: 6 },
  thresholds: { checks: ['rate == 1'] },
  async iteration({ http }) {
    const res = await http.get('/fast');
    check(res, { 'fast is ok': (r) => r.text() === 'ok' });
  },
});
`,
  );
  const before = target.counts.get('fast') ?? 0;
  const exportPath = join(app, 'summary.json');
  // Asynchronous: the target lives in this process and must keep answering.
  const r = await run(npx, ['loadlens', 'run', 'smoke.load.ts', '--target', target.url, '--summary-export', exportPath], {
    cwd: app,
    env: { ...process.env, npm_config_offline: 'true', NO_COLOR: '1' },
  });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /fast is ok\s+6\/6/);
  assert.equal((target.counts.get('fast') ?? 0) - before, 6);
  assert.ok(existsSync(exportPath));
});

test("the packed types resolve for import { scenario } from 'loadlens', and catch mistakes", () => {
  const tsc = (file: string, resolution = ['--module', 'commonjs', '--moduleResolution', 'node']) =>
    spawnSync(process.execPath, [TSC, '--noEmit', '--strict', '--skipLibCheck', ...resolution, '--target', 'es2022', file], {
      cwd: app,
      encoding: 'utf8',
    });
  writeFileSync(
    join(app, 'typed.ts'),
    `import { scenario, check, sleep, Trend, type HttpResponse } from 'loadlens';
const t = new Trend('parse_ms', true);
export const typed = scenario({
  load: { rate: 10, duration: '1s', maxVUs: 2 },
  thresholds: { http_req_duration: ['p(95) < 200'] },
  async setup() { return { token: 'x' }; },
  async iteration({ http, data, vu }) {
    const res: HttpResponse = await http.get('/fast', { headers: { authorization: data.token } });
    check(res, { ok: (r) => r.status === 200 && vu.id > 0 });
    t.add(res.timings.waiting);
    await sleep('10ms');
  },
});
`,
  );
  const ok = tsc('typed.ts');
  assert.equal(ok.status, 0, ok.stdout + ok.stderr);
  // The same through package.json `exports` (how current TypeScript projects resolve).
  for (const resolution of [['--module', 'nodenext', '--moduleResolution', 'nodenext'], ['--module', 'esnext', '--moduleResolution', 'bundler']]) {
    const modern = tsc('typed.ts', resolution);
    assert.equal(modern.status, 0, `${resolution.join(' ')}: ${modern.stdout}${modern.stderr}`);
  }

  writeFileSync(
    join(app, 'mistyped.ts'),
    `import { scenario } from 'loadlens';
export const bad = scenario({ load: { vus: 'many', duration: '1s' }, iteration() {} });
`,
  );
  const bad = tsc('mistyped.ts');
  assert.notEqual(bad.status, 0);
  assert.match(bad.stdout, /mistyped\.ts\(2,.*Type 'string' is not assignable to type 'number'/);
});

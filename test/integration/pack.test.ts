// `npm pack` gives a package that works in an empty folder: `npx loadlens run` on a scenario
// there (against a loopback server), and `import { scenario } from 'loadlens'` type-checks.
// Installs from the local npm cache where it can (--prefer-offline: npm ci caches tarballs but not the registry metadata an install of a .tgz needs). Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
let target: RunningServer;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-pack-'));
  execFileSync(npm, ['pack', '--pack-destination', tmp], { cwd: ROOT, stdio: 'pipe' });
  const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, 'npm pack wrote a .tgz');
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  execFileSync(npm, ['install', join(tmp, tgz), '--prefer-offline', '--no-audit', '--no-fund'], { cwd: app, stdio: 'pipe' });
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
  const tsc = (file: string) =>
    spawnSync(process.execPath, [TSC, '--noEmit', '--strict', '--skipLibCheck', '--module', 'commonjs', '--moduleResolution', 'node', '--target', 'es2022', file], {
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

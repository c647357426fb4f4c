// The run manager against the real runner (dist/runner.js, built by `npm test`) and the demo API
// on loopback: what a lens or Test Explorer run shows comes from here.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startDemoServer, type DemoServer } from '../../src/demo/server';
import { RunManager, type RunManagerConfig } from '../../src/extension/runManager';
import { listRuns, loadRun } from '../../src/report/saved-runs';
import { resultLensText } from '../../src/extension/results';
import type { FromRunner } from '../../src/protocol';

const runnerPath = resolve('dist/runner.js');
let server: DemoServer;
let dir: string;

before(async () => {
  assert.ok(existsSync(runnerPath), 'dist/runner.js is missing: run `npm run build` first');
  server = await startDemoServer({ latencyScale: 0, errorRate: 0 });
  dir = mkdtempSync(join(tmpdir(), 'loadlens-runmanager-'));
});
after(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

function config(overrides: Partial<RunManagerConfig> = {}): RunManagerConfig {
  return { runnerPath, nodePath: () => undefined, resultsFolder: () => join(dir, 'runs'), ...overrides };
}

function scenarioFile(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `import { scenario, check } from 'loadlens';\n${body}`);
  return file;
}

test('a run streams started, snapshots and a summary; thresholds decide; the run is saved', async () => {
  const file = scenarioFile('ok.load.ts', `
export const items = scenario({
  load: { vus: 2, iterations: 20 },
  thresholds: { http_req_failed: ['rate < 0.01'], checks: ['rate > 0.99'], http_req_duration: ['p(99) < 0.001'] },
  async iteration({ http }) {
    const r = await http.get('/api/items');
    check(r, { 'is 200': (x) => x.status === 200 });
  },
});
`);
  const manager = new RunManager(config());
  const session = manager.start({ file, scenario: 'items', target: server.url });
  assert.throws(() => manager.start({ file }), /already in progress/);
  const types: string[] = [];
  session.onMessage((m: FromRunner) => types.push(m.type));
  const outcome = await session.outcome;
  assert.equal(outcome.ending, 'done');
  assert.equal(manager.active, undefined);
  assert.deepEqual([types[0], types[types.length - 1]], ['started', 'done']);
  assert.ok(types.includes('finished'));
  const result = outcome.results[0];
  assert.equal(result.scenario, 'items');
  assert.equal(result.summary?.metrics.http_reqs.values.count, 20);
  const verdicts = Object.fromEntries(result.thresholds.map((t) => [t.expression, t.ok]));
  assert.deepEqual(verdicts, { 'rate < 0.01': true, 'rate > 0.99': true, 'p(99) < 0.001': false });
  assert.match(resultLensText(result.summary!), /^p99 .+ ms · .+ req\/s · thresholds ✗ 2\/3$/);
  // Saved: one file, listed and loadable with the same summary.
  const runs = listRuns(join(dir, 'runs'));
  assert.equal(runs.length, 1);
  assert.equal(runs[0].thresholdsOk, false);
  const saved = loadRun(join(dir, 'runs'), runs[0].id);
  assert.equal(saved.summary.metrics.http_reqs.values.count, 20);
  assert.equal(result.savedPath, join(dir, 'runs', `${runs[0].id}.json`));
});

test('cancel ends a long run gracefully with a summary of what was measured', async () => {
  const file = scenarioFile('long.load.ts', `
export const long = scenario({
  load: { vus: 1, duration: '60s' },
  async iteration({ http }) { await http.get('/api/items'); await new Promise((r) => setTimeout(r, 20)); },
});
`);
  const manager = new RunManager(config({ resultsFolder: () => undefined }));
  const session = manager.start({ file, target: server.url });
  await new Promise<void>((resolve) => session.onMessage((m) => { if (m.type === 'progress') resolve(); }));
  session.cancel();
  const outcome = await session.outcome;
  assert.equal(outcome.ending, 'done');
  assert.equal(outcome.cancelled, true);
  const summary = outcome.results[0].summary!;
  assert.equal(summary.state.status, 'cancelled');
  assert.ok(summary.metrics.http_reqs.values.count > 0);
});

test('a compile error is reported with its location, and the run ends', async () => {
  const file = scenarioFile('broken.load.ts', `export const broken = scenario({ load: { vus: 1, iterations: 1 }, iteration() { const = 1; } });\n`);
  const outcome = await new RunManager(config()).start({ file }).outcome;
  assert.equal(outcome.ending, 'done');
  const error = outcome.errors.find((e) => e.kind === 'compile');
  assert.ok(error, JSON.stringify(outcome.errors));
  assert.equal(error.location?.file, file);
  assert.equal(error.location?.line, 2);
  assert.equal(outcome.results.length, 0);
});

test('a bad node path says the runner could not start, naming the setting', async () => {
  const file = scenarioFile('never.load.ts', `export const n = scenario({ load: { vus: 1, iterations: 1 }, iteration() {} });\n`);
  const outcome = await new RunManager(config({ nodePath: () => '/nonexistent/node' })).start({ file }).outcome;
  assert.equal(outcome.ending, 'failed-to-start');
  assert.match(outcome.failure!, /no Node\.js executable at '\/nonexistent\/node' \(setting loadlens\.nodePath\)/);
});

test('a runner that dies mid-run is reported with what it had measured', async () => {
  const file = scenarioFile('dies.load.ts', `
export const dies = scenario({
  load: { vus: 1, duration: '60s' },
  async iteration({ http }) { await http.get('/api/items'); await new Promise((r) => setTimeout(r, 10)); },
});
`);
  const session = new RunManager(config()).start({ file, target: server.url });
  // Killed from outside (as the OOM killer would) once it has measured something.
  await new Promise<void>((resolve) => session.onMessage((m) => { if (m.type === 'progress') resolve(); }));
  process.kill(session.pid!, 'SIGKILL');
  const outcome = await session.outcome;
  assert.equal(outcome.ending, 'died');
  assert.match(outcome.failure!, /killed by SIGKILL without finishing; what it had measured is shown below/);
  assert.ok(outcome.results[0].live!.requests > 0);
  assert.equal(readdirSync(join(dir, 'runs')).filter((f) => f.includes('dies')).length, 0, 'no summary, nothing saved');
});

test('a gated run sends its request when the gate opens; stopped before that, nothing runs', async () => {
  const file = scenarioFile('gated.load.ts', `
export const gated = scenario({
  load: { vus: 1, iterations: 3 },
  async iteration({ http }) { await http.get('/api/items?gated=1'); },
});
`);
  const manager = new RunManager(config({ resultsFolder: () => undefined }));
  let open!: () => void;
  const before = server.requests['GET /api/items'] ?? 0;
  const stopped = manager.start({ file, target: server.url }, new Promise<void>((r) => { open = r; }));
  stopped.cancel();
  open();
  const outcome = await stopped.outcome;
  assert.equal(outcome.cancelled, true);
  assert.deepEqual(outcome.results, []);
  assert.equal(server.requests['GET /api/items'] ?? 0, before, 'no request reached the server');

  let open2!: () => void;
  const session = manager.start({ file, target: server.url }, new Promise<void>((r) => { open2 = r; }));
  open2();
  const ran = await session.outcome;
  assert.equal(ran.results[0].summary?.metrics.http_reqs.values.count, 3);
});

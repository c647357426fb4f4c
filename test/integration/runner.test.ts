// The runner process over its protocol, as the CLI and the extension drive it: fork
// dist/runner.js (run `npm run build` first), send ToRunner messages, check the FromRunner stream.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunnerProcess } from '../../src/runner/client';
import { ExitCode, type FromRunner, type RunRequest } from '../../src/protocol';
import { startTarget, type RunningServer } from '../servers/target';
import { ROOT, fixture } from './cli-helpers';

const runnerPath = join(ROOT, 'dist', 'runner.js');
let target: RunningServer;

before(async () => {
  target = await startTarget();
});
after(async () => {
  await target.close();
});

/** Runs a request; `onMessage` may act on the stream (e.g. cancel). Returns every message. */
async function runRequest(request: RunRequest, onMessage?: (m: FromRunner, runner: RunnerProcess) => void, env?: NodeJS.ProcessEnv): Promise<FromRunner[]> {
  const runner = new RunnerProcess({ runnerPath, output: 'inherit', ...(env ? { env } : {}) });
  const messages: FromRunner[] = [];
  runner.onMessage((m) => {
    messages.push(m);
    onMessage?.(m, runner);
  });
  runner.run(request);
  const exit = await runner.exited;
  const done = messages.at(-1);
  assert.equal(done?.type, 'done', 'done is the last message');
  assert.equal(exit.code, (done as { exitCode: number }).exitCode, 'the process exits with the code it announced');
  return messages;
}

function ofType<T extends FromRunner['type']>(messages: FromRunner[], type: T): Array<Extract<FromRunner, { type: T }>> {
  return messages.filter((m): m is Extract<FromRunner, { type: T }> => m.type === type);
}

test('a run streams started, per-second progress, thresholds, finished and done, in that order', async () => {
  const messages = await runRequest({ file: fixture('pass.load.ts'), target: target.url });
  const types = messages.map((m) => m.type);
  assert.equal(types[0], 'started');
  assert.ok(types.indexOf('finished') > types.lastIndexOf('progress'));
  assert.deepEqual(types.slice(-1), ['done']);

  const started = ofType(messages, 'started')[0];
  assert.deepEqual(started.plan, { scenario: 'items', model: 'closed', shape: '12 iterations shared by 3 VUs (max 10m)', plannedMs: 600_000, maxVUs: 3 });
  const progress = ofType(messages, 'progress');
  assert.ok(progress.length >= 1);
  progress.forEach((p, i) => assert.equal(p.progress.second, i, 'seconds in order, none missing'));
  assert.equal(progress.at(-1)!.progress.live.iterations, 12);

  const finished = ofType(messages, 'finished')[0];
  assert.equal(finished.summary.state.status, 'completed');
  assert.equal(finished.summary.metrics.iterations.values.count, 12);
  const verdicts = ofType(messages, 'thresholds').at(-1)!.verdicts;
  assert.deepEqual(verdicts.map((v) => [v.metric, v.expression, v.ok]), [
    ['http_req_failed', 'rate < 0.01', true],
    ['checks', 'rate == 1', true],
    ['http_req_duration{name:fast}', 'max < 10000', true],
  ]);
  assert.equal(ofType(messages, 'done')[0].exitCode, ExitCode.ok);
  assert.deepEqual(ofType(messages, 'log').filter((m) => /start-up check/.test(m.message)), [], 'the lean client passed its probe');
});

test('when Node\'s HTTP parser fails the lean client\'s probe, the run goes on undici with one warning', async () => {
  // LOADLENS_H1_PROBE=broken runs the real probe against a deliberately broken parser.
  const messages = await runRequest({ file: fixture('pass.load.ts'), target: target.url }, undefined, { ...process.env, LOADLENS_H1_PROBE: 'broken' });
  const warnings = ofType(messages, 'log').filter((m) => m.level === 'warn');
  assert.equal(warnings.length, 1);
  assert.match(warnings[0].message, /failed the lean client's start-up check .*plain http:\/\/ requests run on undici/);
  const finished = ofType(messages, 'finished')[0];
  assert.equal(finished.summary.state.status, 'completed');
  assert.equal(finished.summary.metrics.iterations.values.count, 12);
  assert.equal(finished.summary.metrics.http_req_failed.values.passes, 0);
  assert.equal(ofType(messages, 'done')[0].exitCode, ExitCode.ok);
});

test('a cancel message stops the run gracefully with a summary and exit code 105', async () => {
  let sent = false;
  const messages = await runRequest({ file: fixture('long.load.ts'), target: target.url }, (m, runner) => {
    if (m.type === 'progress' && !sent) {
      sent = true;
      runner.cancel('test');
    }
  });
  const finished = ofType(messages, 'finished')[0];
  assert.equal(finished.summary.state.status, 'cancelled');
  assert.ok(finished.summary.state.testRunDurationMs < 30_000, 'stopped before the planned 30 s');
  assert.ok(finished.summary.metrics.iterations.values.count > 0);
  assert.equal(ofType(messages, 'done')[0].exitCode, ExitCode.cancelled);
});

test('a threshold with abortOnFail stops the run: status aborted, exit code 108', async () => {
  const messages = await runRequest({ file: fixture('abort.load.ts'), target: target.url });
  const finished = ofType(messages, 'finished')[0];
  assert.equal(finished.summary.state.status, 'aborted');
  assert.ok(finished.summary.state.testRunDurationMs < 20_000, 'stopped before the planned 20 s');
  assert.deepEqual(finished.summary.thresholds.map((t) => [t.ok, t.abortOnFail]), [[false, true]]);
  assert.ok(ofType(messages, 'log').some((l) => /aborting: threshold checks: rate > 0\.99 failed/.test(l.message)));
  assert.equal(ofType(messages, 'done')[0].exitCode, ExitCode.aborted);
});

test('a compile error is one error message with its location, and nothing runs', async () => {
  const messages = await runRequest({ file: fixture('compile-error.load.ts'), target: target.url });
  assert.deepEqual(messages.map((m) => m.type), ['error', 'done']);
  const error = ofType(messages, 'error')[0];
  assert.equal(error.kind, 'compile');
  assert.deepEqual(error.location, { file: fixture('compile-error.load.ts'), line: 6, column: 33 });
  assert.equal(ofType(messages, 'done')[0].exitCode, ExitCode.compile);
});

test('iteration errors carry the source-mapped location in the scenario file and a count', async () => {
  const messages = await runRequest({ file: fixture('iteration-throws.load.ts'), target: target.url });
  const errors = ofType(messages, 'error');
  assert.equal(errors.length, 1, 'one report for one distinct message');
  assert.equal(errors[0].kind, 'iteration');
  assert.equal(errors[0].message, 'item has no price');
  assert.deepEqual(errors[0].location, { file: fixture('iteration-throws.load.ts'), line: 4, column: 44 });
  assert.match(errors[0].stack!, /iteration-throws\.load\.ts:13:5/);
  assert.equal(ofType(messages, 'finished')[0].summary.errorsByKind['Error: item has no price'], 5);
});

test('list answers with each scenario’s plan and runs no iteration', async () => {
  const runner = new RunnerProcess({ runnerPath, output: 'inherit' });
  const messages: FromRunner[] = [];
  runner.onMessage((m) => messages.push(m));
  runner.list(fixture('multi.load.ts'));
  await runner.exited;
  assert.deepEqual(messages.map((m) => m.type), ['listed', 'done']);
  const listed = ofType(messages, 'listed')[0];
  assert.deepEqual(listed.scenarios.map((s) => [s.scenario, s.model, s.maxVUs, s.plannedMs]), [
    ['browse', 'open', 20, 30_000],
    ['soak', 'closed', 10, 120_000],
    ['spike', 'open', 50, 15_000],
    ['guarded', 'closed', 1, 600_000],
  ]);
});

test('a debug run is one VU for the asked iterations, thresholds not judged', async () => {
  const before = target.counts.get('fast') ?? 0;
  const messages = await runRequest({ file: fixture('fail-threshold.load.ts'), target: target.url, debug: { iterations: 2 } });
  const finished = ofType(messages, 'finished')[0];
  assert.equal(finished.summary.metrics.iterations.values.count, 2);
  assert.equal((target.counts.get('fast') ?? 0) - before, 2);
  assert.deepEqual(finished.summary.thresholds, []);
  assert.equal(ofType(messages, 'done')[0].exitCode, ExitCode.ok);
});

test('more request names than the series limit: one warning naming the metric, the tag and its top values; exact totals', async () => {
  const messages = await runRequest({ file: fixture('many-names.load.ts'), target: target.url });
  const warnings = ofType(messages, 'log').filter((m) => m.level === 'warn' && /distinct tag sets/.test(m.message));
  assert.equal(warnings.length, 1, JSON.stringify(ofType(messages, 'log')));
  assert.match(warnings[0].message, /^metric http_reqs reached 1000 distinct tag sets: tag "name" has 1000 distinct values \(top: "\/fast\/\d+" \(1\)/);
  assert.equal(warnings[0].scenario, 'manyNames');
  const summary = ofType(messages, 'finished')[0].summary;
  assert.equal(summary.metrics.http_reqs.values.count, 1200);
  assert.deepEqual(summary.thresholds.map((t) => t.ok), [true, true]);
  assert.ok(summary.notes.some((n) => /^Series limit: .*http_reqs 200 of 1200 \(16\.7 %\)/.test(n)), summary.notes.join('\n'));
  // The interval data (with its 1200 series) stays in the runner: the parent sees progress only.
  assert.ok(messages.every((m) => !('interval' in m)));
  assert.ok(ofType(messages, 'progress').length >= 1);
});

test('check() and a custom metric used while no scenario runs record nothing and say so once, at their line', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-outside-'));
  const file = join(dir, 'outside.load.ts');
  writeFileSync(file, `import { scenario, check, Counter } from 'loadlens';
const orders = new Counter('orders');
check(1, { 'top level': () => true });
orders.add(5);
export const s = scenario({
  load: { vus: 1, iterations: 3 },
  async iteration({ http }) {
    await http.get('/fast');
    check(1, { inside: () => true });
    orders.add(1);
  },
});
`);
  try {
    const messages = await runRequest({ file, target: target.url });
    const warnings = ofType(messages, 'log').filter((m) => m.level === 'warn' && /while no scenario runs/.test(m.message));
    assert.equal(warnings.length, 1, 'said once, though check() and the metric were both used outside');
    assert.equal(warnings[0].message, `${file}:3:1: check() was called while no scenario runs (at the file's top level, or after its run ended): it recorded nothing. Call it from iteration(), setup() or teardown(); this is said once.`);
    const summary = ofType(messages, 'finished')[0].summary;
    assert.deepEqual(summary.checks.map((c) => [c.name, c.passes, c.fails]), [['inside', 3, 0]]);
    assert.equal(summary.metrics.orders.values.count, 3, 'only the iterations counted');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a debug run of an open-model scenario is described as what runs (one VU, closed) by its plan, live figures and summary', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'loadlens-debug-plan-'));
  const file = join(dir, 'open.load.ts');
  writeFileSync(file, `import { scenario } from 'loadlens';
export const open = scenario({
  load: { rate: 50, duration: '10s', maxVUs: 20 },
  async iteration({ http }) { await http.get('/fast'); },
});
`);
  try {
    const messages = await runRequest({ file, target: target.url, debug: { iterations: 2 } });
    const plan = ofType(messages, 'started')[0].plan;
    assert.equal(plan.model, 'closed');
    assert.equal(plan.maxVUs, 1);
    for (const p of ofType(messages, 'progress')) assert.equal(p.progress.live.plannedMs, plan.plannedMs, 'the live line plans what the engine runs');
    const summary = ofType(messages, 'finished')[0].summary;
    assert.equal(summary.model, 'closed');
    assert.equal(summary.metrics.iterations.values.count, 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

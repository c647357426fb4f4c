// The `loadlens` CLI end to end: `node dist/cli.js` forks the runner, which bundles a fixture
// scenario and drives real HTTP against a loopback target. Run `npm run build` first.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTarget, type RunningServer } from '../servers/target';
import { ExitCode } from '../../src/protocol';
import { closedPort, fixture, runCli, startCli } from './cli-helpers';

let target: RunningServer;
let tmp: string;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-cli-'));
});
after(async () => {
  await target.close();
  rmSync(tmp, { recursive: true, force: true });
});

function readJson(path: string): any {
  return JSON.parse(readFileSync(path, 'utf8'));
}

test('a passing scenario exits 0 and its summary export has exact counts', async () => {
  const exportPath = join(tmp, 'pass.json');
  const json0 = target.counts.get('json') ?? 0;
  const fast0 = target.counts.get('fast') ?? 0;
  const r = await runCli(['run', fixture('pass.load.ts'), '--target', target.url, '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.equal((target.counts.get('json') ?? 0) - json0, 12);
  assert.equal((target.counts.get('fast') ?? 0) - fast0, 12);

  const s = readJson(exportPath);
  assert.equal(s.scenario, 'items');
  assert.equal(s.state.status, 'completed');
  assert.equal(s.metrics.iterations.values.count, 12);
  assert.equal(s.metrics.http_reqs.values.count, 24);
  // A run shorter than a second still reports the VUs that ran (it ends with none active).
  assert.equal(s.metrics.vus.values.max, 3);
  assert.equal(s.metrics.vus_max.values.max, 3);
  assert.equal(s.metrics.http_req_failed.values.rate, 0);
  assert.deepEqual([s.metrics.checks.values.passes, s.metrics.checks.values.fails], [24, 0]);
  const d = s.metrics.http_req_duration.values;
  for (const k of ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)']) assert.equal(typeof d[k], 'number', k);
  assert.ok(d.min > 0 && d.min <= d.med && d.med <= d['p(99)'] && d['p(99)'] <= d.max);
  assert.deepEqual(s.metrics['http_req_duration{name:fast}'].thresholds, { 'max < 10000': { ok: true } });
  assert.deepEqual(s.metrics.checks.thresholds, { 'rate == 1': { ok: true } });
  assert.ok(s.thresholds.every((t: { ok: boolean }) => t.ok));

  // The terminal summary (stdout) in the spirit of k6's.
  assert.match(r.stdout, /✓ .*http_req_failed: rate < 0\.01/);
  assert.match(r.stdout, /json is 200\s+12\/12/);
  assert.match(r.stdout, /http_req_duration\.+: avg=/);
  assert.match(r.stdout, /iterations\.+: 12\b/);
});

test('relative imports and npm packages resolve from the scenario folder, sharing one engine', async () => {
  const exportPath = join(tmp, 'imports.json');
  const r = await runCli(['run', fixture('imports.load.ts'), '--target', target.url, '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const s = readJson(exportPath);
  // The helper's check() recorded into the running scenario: one engine instance.
  assert.deepEqual(
    s.checks.map((c: { name: string; passes: number; fails: number }) => [c.name, c.passes, c.fails]),
    [
      ['helper: body is ok', 4, 0],
      ['npm package works', 4, 0],
    ],
  );
});

test('a file with several scenarios runs them together; --scenario picks one', async () => {
  const exportPath = join(tmp, 'two.json');
  const both = await runCli(['run', fixture('two.load.ts'), '--target', target.url, '--summary-export', exportPath]);
  assert.equal(both.code, ExitCode.thresholdsFailed, 'the second scenario fails its threshold');
  assert.ok(both.stdout.indexOf('scenario first') < both.stdout.indexOf('scenario second'));
  const s = readJson(exportPath);
  assert.deepEqual(Object.keys(s.scenarios), ['first', 'second']);
  assert.equal(s.scenarios.first.metrics.http_reqs.values.count, 3);
  assert.deepEqual(s.scenarios.first.metrics.http_reqs.thresholds, { 'count == 3': { ok: true } });
  assert.equal(s.scenarios.second.metrics.iterations.values.count, 4);
  assert.deepEqual(s.scenarios.second.metrics.checks.thresholds, { 'rate == 1': { ok: false } });

  const one = await runCli(['run', fixture('two.load.ts'), '--target', target.url, '--scenario', 'first', '--summary-export', exportPath]);
  assert.equal(one.code, ExitCode.ok, one.stderr);
  assert.doesNotMatch(one.stdout, /scenario second/);
  assert.equal(readJson(exportPath).scenario, 'first', 'one scenario: the k6 layout at the top level');
});

test('a failing threshold exits 99 and marks it ✗', async () => {
  const r = await runCli(['run', fixture('fail-threshold.load.ts'), '--target', target.url]);
  assert.equal(r.code, ExitCode.thresholdsFailed, r.stderr);
  assert.match(r.stdout, /✗ rate=0%\s+checks: rate > 0\.99/);
});

test('a file that does not compile exits 3 with file:line:col and esbuild’s message', async () => {
  const r = await runCli(['run', fixture('compile-error.load.ts'), '--target', target.url]);
  assert.equal(r.code, ExitCode.compile);
  assert.match(r.stderr, /compile-error\.load\.ts:6:33: Expected "\)" but found ";"/);
  assert.doesNotMatch(r.stdout, /scenario/);
});

test('a file without scenario(...) exports says what it found and how to write one', async () => {
  const r = await runCli(['run', fixture('no-scenario.load.ts')]);
  assert.equal(r.code, ExitCode.compile);
  assert.match(r.stderr, /no scenario found: it exports browse \(an object\), helper \(a function\)/);
  assert.match(r.stderr, /export const browse = scenario\(\{/);
});

test('setup() that throws exits 4 before any load, with the stack in the scenario file', async () => {
  const before = [...target.counts.values()].reduce((a, b) => a + b, 0);
  const r = await runCli(['run', fixture('setup-throws.load.ts'), '--target', target.url]);
  assert.equal(r.code, ExitCode.setup);
  assert.match(r.stderr, /setup error in login at test\/fixtures\/setup-throws\.load\.ts:6:11/);
  assert.match(r.stderr, /setup\(\) threw: no credentials for the test account/);
  assert.match(r.stderr, /at Object\.setup \(.*setup-throws\.load\.ts:6:11\)/);
  assert.equal([...target.counts.values()].reduce((a, b) => a + b, 0), before, 'no request was sent');
});

test('a bad load shape exits 2 naming the field, the value and what is allowed', async () => {
  const r = await runCli(['run', fixture('bad-load.load.ts'), '--target', target.url]);
  assert.equal(r.code, ExitCode.badOptions);
  assert.match(r.stderr, /options error in negative at test\/fixtures\/bad-load\.load\.ts:3:14/);
  assert.match(r.stderr, /load\.rate: got -5; expected a rate > 0/);
});

test('a bad threshold expression exits 2 naming it', async () => {
  const r = await runCli(['run', fixture('bad-threshold.load.ts'), '--target', target.url]);
  assert.equal(r.code, ExitCode.badOptions);
  assert.match(r.stderr, /options error in typo at test\/fixtures\/bad-threshold\.load\.ts:5:37/);
  assert.match(r.stderr, /thresholds\["http_req_duration"\]\[0\]: got "p95 < 200"/);
});

test('bad options in top-level code (a bad metric name) exit 2 with their location', async () => {
  const r = await runCli(['run', fixture('load-throws.load.ts'), '--target', target.url]);
  assert.equal(r.code, ExitCode.badOptions);
  assert.match(r.stderr, /load-throws\.load\.ts:4:17: threw while loading: metric name: got "checkout latency"/);
});

test('bad command-line values exit 2 naming the flag', async () => {
  const vus = await runCli(['run', fixture('pass.load.ts'), '--vus', 'many']);
  assert.equal(vus.code, ExitCode.badOptions);
  assert.match(vus.stderr, /--vus: got "many"; expected a whole number >= 1/);
  const dur = await runCli(['run', fixture('pass.load.ts'), '--duration', '10 parsecs']);
  assert.equal(dur.code, ExitCode.badOptions);
  assert.match(dur.stderr, /--duration: got "10 parsecs"/);
  const missing = await runCli(['run']);
  assert.equal(missing.code, ExitCode.badOptions);
  assert.match(missing.stderr, /missing FILE/);
  const unknown = await runCli(['run', fixture('multi.load.ts'), '--scenario', 'nope']);
  assert.equal(unknown.code, ExitCode.badOptions);
  assert.match(unknown.stderr, /no scenario named "nope"; the file exports browse, soak, spike, guarded/);
  const rateOnClosed = await runCli(['run', fixture('pass.load.ts'), '--rate', '10', '--target', target.url]);
  assert.equal(rateOnClosed.code, ExitCode.badOptions);
  assert.match(rateOnClosed.stderr, /--rate: got 10; expected an open-model scenario/);
});

test('an iteration that throws is counted with its source-mapped stack, and the run goes on', async () => {
  const exportPath = join(tmp, 'throws.json');
  const r = await runCli(['run', fixture('iteration-throws.load.ts'), '--target', target.url, '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.match(r.stderr, /iteration error in flaky at test\/fixtures\/iteration-throws\.load\.ts:4:44/);
  assert.match(r.stderr, /at parsePrice \(.*iteration-throws\.load\.ts:4:44\)/);
  assert.match(r.stderr, /iteration-throws\.load\.ts:13:5\)/);
  assert.doesNotMatch(r.stderr, /runner\.js/, 'Loadlens’s own frames are left out');
  const s = readJson(exportPath);
  assert.equal(s.metrics.iterations.values.count, 10);
  assert.equal(s.metrics.http_reqs.values.count, 10);
  assert.equal(s.errorsByKind['Error: item has no price'], 5);
});

test('a target that is down: the run completes, every request failed, by kind', async () => {
  const exportPath = join(tmp, 'down.json');
  const port = await closedPort();
  const r = await runCli(['run', fixture('pass.load.ts'), '--target', `http://127.0.0.1:${port}`, '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.thresholdsFailed, r.stderr);
  const s = readJson(exportPath);
  assert.equal(s.state.status, 'completed');
  assert.equal(s.metrics.iterations.values.count, 12);
  assert.equal(s.metrics.http_req_failed.values.rate, 1);
  assert.equal(s.errorsByKind.ECONNREFUSED, 24);
  assert.match(r.stdout, /ECONNREFUSED\s+24/);
  assert.match(r.stdout, /Every request failed: is the target up\?/);
});

test('list prints each scenario with its load shape, in file order, without running any', async () => {
  const r = await runCli(['list', fixture('multi.load.ts')]);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const lines = r.stdout.trim().split('\n').map((l) => l.split(/\s{2,}/));
  assert.deepEqual(lines, [
    ['browse', 'open', '50 it/s for 30s (max 20 VUs)'],
    ['soak', 'closed', '10 VUs for 2m'],
    ['spike', 'open', '0 → 100 → 0 it/s over 15s (max 50 VUs)'],
    ['guarded', 'closed', '1 iteration shared by 1 VU (max 10m)'],
  ]);
  assert.doesNotMatch(r.stderr, /list must not run iterations/);
});

test('SIGINT mid-run stops gracefully: summary printed, exit 105', async () => {
  const cli = startCli(['run', fixture('long.load.ts'), '--target', target.url]);
  await cli.waitForStderr(/vus \d+\/2/); // the first live line: the load is running
  cli.child.kill('SIGINT');
  const r = await cli.done;
  assert.equal(r.code, ExitCode.cancelled, r.stderr);
  assert.match(r.stdout, /scenario long .* cancelled in/);
  assert.match(r.stdout, /status is 200\s+\d+\/\d+/);
  assert.match(r.stdout, /Cancelled before the planned end/);
});

test('a second Ctrl-C ends the run at once: exit 105, no summary, finished intervals kept in --out', async () => {
  const outPath = join(tmp, 'stuck.jsonl');
  const cli = startCli(['run', fixture('stuck.load.ts'), '--target', target.url, '--out', outPath]);
  // The load is running once an interval is on disk (the first live line comes with it).
  while (!(existsSync(outPath) && readFileSync(outPath, 'utf8').includes('"type":"interval"'))) {
    await new Promise((r) => setTimeout(r, 100));
    if (cli.child.exitCode !== null) assert.fail(`the run ended early: ${cli.stderr()}`);
  }
  cli.child.kill('SIGINT');
  await cli.waitForStderr(/press Ctrl-C again/);
  cli.child.kill('SIGINT');
  const r = await cli.done;
  assert.equal(r.code, ExitCode.cancelled, r.stderr);
  assert.match(r.stderr, /killed/);
  assert.doesNotMatch(r.stdout, /scenario stuck/, 'no summary: the iteration in flight was not waited for');
  const records = readFileSync(outPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(records[0].type, 'start');
  assert.ok(records.some((rec) => rec.type === 'interval'));
});

test('the --out file after SIGKILL holds every finished interval as complete JSON lines', async () => {
  const outPath = join(tmp, 'killed.jsonl');
  const cli = startCli(['run', fixture('long.load.ts'), '--target', target.url, '--out', outPath], { detached: true });
  // Wait for three interval lines, then kill the CLI and its runner (one process group) at once.
  const linesOf = () => (existsSync(outPath) ? readFileSync(outPath, 'utf8') : '');
  while ((linesOf().match(/"type":"interval"/g) ?? []).length < 3) {
    await new Promise((r) => setTimeout(r, 100));
    if (cli.child.exitCode !== null) assert.fail(`the run ended early: ${cli.stderr()}`);
  }
  process.kill(-cli.child.pid!, 'SIGKILL');
  const r = await cli.done;
  assert.equal(r.signal, 'SIGKILL');

  const text = readFileSync(outPath, 'utf8');
  assert.ok(text.endsWith('\n'), 'the last line is complete');
  const records = text.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.equal(records[0].type, 'start');
  assert.equal(records[0].scenario, 'long');
  const intervals = records.slice(1);
  assert.ok(intervals.length >= 3);
  intervals.forEach((rec, i) => {
    assert.equal(rec.type, 'interval');
    assert.equal(rec.interval.index, i, 'no interval missing');
    assert.ok(rec.interval.series.some((s: { metric: string; kind: string; hist?: string }) => s.metric === 'http_req_duration' && s.hist));
  });
  assert.ok(!records.some((rec) => rec.type === 'summary'), 'killed before the summary');
});

test('--out of a finished run: start, one interval per second, then the summary', async () => {
  const outPath = join(tmp, 'full.jsonl');
  const r = await runCli(['run', fixture('pass.load.ts'), '--target', target.url, '--out', outPath, '--quiet']);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  const records = readFileSync(outPath, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(
    [records[0].type, records.at(-1).type],
    ['start', 'summary'],
  );
  assert.ok(records.slice(1, -1).every((rec) => rec.type === 'interval'));
  // The intervals' counters add up to the summary's.
  let reqs = 0;
  for (const rec of records.slice(1, -1)) {
    for (const s of rec.interval.series) if (s.metric === 'http_reqs') reqs += s.value;
  }
  assert.equal(reqs, 24);
  assert.equal(records.at(-1).summary.metrics.http_reqs.values.count, 24);
});

test('a sleep() nobody awaited is warned about once per call site, naming the file and line; awaited ones are not', async () => {
  // In process and with two worker processes (each sees the site; the runner warns once).
  for (const workers of ['1', '2']) {
    const r = await runCli(['run', fixture('unawaited-sleep.load.ts'), '--workers', workers]);
    assert.equal(r.code, ExitCode.ok, r.stderr);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('not awaited'));
    assert.equal(warnings.length, 1, r.stderr);
    assert.match(warnings[0], /unawaited-sleep\.load\.ts:11:5: sleep\(\) was not awaited: the iteration ended while it was pending/);
  }
});

test('--duration 1 is one second, as in k6 (not one millisecond)', async () => {
  const exportPath = join(tmp, 'one-second.json');
  const r = await runCli(['run', fixture('long.load.ts'), '--target', target.url, '--duration', '1', '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.ok, r.stderr);
  assert.match(r.stderr + r.stdout, /2 VUs for 1s/);
  // 20 ms sleeps: a millisecond run would end after the first iteration or two.
  assert.ok(readJson(exportPath).metrics.iterations.values.count > 4);
});

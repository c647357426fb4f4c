// A workload mix end to end: every scenario of a file runs together (each from its startTime)
// against a loopback target, with a section per scenario and the totals, file-wide thresholds
// filtered by the system tags, group tags in --out, and bad input refused before any load.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTarget, type RunningServer } from '../servers/target';
import { ExitCode, type OutRecord } from '../../src/protocol';
import { fixture, runCli } from './cli-helpers';

let target: RunningServer;
let tmp: string;

before(async () => {
  target = await startTarget();
  tmp = mkdtempSync(join(tmpdir(), 'loadlens-mix-'));
});
after(async () => {
  await target.close();
  rmSync(tmp, { recursive: true, force: true });
});

function readOut(path: string): OutRecord[] {
  return readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as OutRecord);
}

test('a file runs its scenarios together: each from its startTime, a section each, then the totals judged by the file-wide thresholds', async () => {
  target.counts.clear();
  const out = join(tmp, 'mix.jsonl');
  const exportPath = join(tmp, 'mix.json');
  // --workers 1: both scenarios share one thread, so each sample must find its scenario and group by context.
  const r = await runCli(['run', fixture('mix.load.ts'), '--target', target.url, '--workers', '1', '--out', out, '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.ok, r.stdout + r.stderr);
  // What the server saw: 20 browse requests, 4 checkout iterations of 3 requests.
  assert.equal(target.counts.get('fast'), 20);
  assert.equal(target.counts.get('status'), 8);
  assert.equal(target.counts.get('json'), 4);

  // One summary: the scenarios in the file's order, then the totals with the file's thresholds.
  const browseAt = r.stdout.indexOf('scenario browse');
  const checkoutAt = r.stdout.indexOf('scenario checkout');
  const totalAt = r.stdout.indexOf('total of browse, checkout');
  assert.ok(browseAt >= 0 && browseAt < checkoutAt && checkoutAt < totalAt, r.stdout);
  const totals = r.stdout.slice(totalAt);
  assert.match(totals, /✓ count=20\s+http_reqs\{scenario:browse\}: count == 20/);
  assert.match(totals, /✓ rate=0%\s+http_req_failed\{scenario:checkout\}: rate == 0/);
  assert.match(totals, /✓ count=24\s+iterations: count == 24/);
  assert.match(totals, /http_reqs\.+: 32\b/);

  const s = JSON.parse(readFileSync(exportPath, 'utf8'));
  assert.deepEqual(Object.keys(s.scenarios), ['browse', 'checkout']);
  assert.equal(s.scenarios.browse.metrics.http_reqs.values.count, 20);
  assert.equal(s.scenarios.checkout.metrics.http_reqs.values.count, 12);
  // 404 (the scenario's expectedStatuses) and 503 (the request's) are not failures.
  assert.equal(s.scenarios.checkout.metrics.http_req_failed.values.fails, 12);
  assert.equal(s.total.metrics.iterations.values.count, 24);
  assert.equal(s.total.metrics.orders.values.count, 4);
  // The mix's VUs add up its scenarios', not whichever reported last.
  assert.equal(s.scenarios.checkout.metrics.vus_max.values.value, 1);
  assert.equal(s.total.metrics.vus_max.values.max, s.scenarios.browse.metrics.vus_max.values.value + 1);
  assert.deepEqual(s.total.metrics['checks{group:::checkout}'].thresholds, { 'rate == 1': { ok: true } });

  const records = readOut(out);
  const start = (name: string) => records.find((x): x is Extract<OutRecord, { type: 'start' }> => x.type === 'start' && x.scenario === name)!;
  // checkout waited for its startTime (1 s) after browse began.
  assert.ok(start('checkout').startedAt - start('browse').startedAt >= 950, `${start('checkout').startedAt - start('browse').startedAt} ms`);
  assert.equal(records.at(-1)!.type, 'total');

  // The scenarios overlapped in one thread, yet each sample went to its own scenario.
  for (const x of records) {
    if (x.type !== 'interval') continue;
    for (const series of x.interval.series) if (series.tags.scenario !== undefined) assert.equal(series.tags.scenario, x.scenario, `${series.metric} ${JSON.stringify(series.tags)}`);
  }
  assert.ok(records.some((x) => x.type === 'interval' && x.scenario === 'browse' && x.interval.startMs >= 1000), 'browse still ran after checkout started');

  // Every sample carries scenario and group; HTTP samples also name, method, status, expected_response.
  const series = records.flatMap((x) => (x.type === 'interval' ? x.interval.series : []));
  const tagsOf = (metric: string) => series.filter((x) => x.metric === metric).map((x) => x.tags);
  assert.ok(tagsOf('http_reqs').every((t) => t.scenario !== undefined && t.group !== undefined && t.expected_response === 'true'));
  assert.ok(tagsOf('http_reqs').some((t) => t.scenario === 'checkout' && t.group === '::checkout' && t.name === '/status/404' && t.status === '404' && t.method === 'GET'));
  assert.ok(tagsOf('http_reqs').some((t) => t.scenario === 'checkout' && t.group === '::checkout::pay' && t.name === '/json'));
  assert.ok(tagsOf('http_reqs').some((t) => t.scenario === 'browse' && t.group === '' && t.name === '/fast'));
  assert.ok(tagsOf('checks').some((t) => t.scenario === 'checkout' && t.group === '::checkout' && t.check === 'lookup may miss'));
  assert.ok(tagsOf('checks').some((t) => t.scenario === 'browse' && t.group === '' && t.check === 'browse is 200'));
  assert.deepEqual(new Set(tagsOf('group_duration').map((t) => t.group)), new Set(['::checkout', '::checkout::pay']));
  assert.ok(tagsOf('orders').every((t) => t.scenario === 'checkout' && t.group === '::checkout::pay'));
});

test('with --workers 2 each scenario of the mix is split exactly between the workers', async () => {
  target.counts.clear();
  const exportPath = join(tmp, 'workers.json');
  const r = await runCli(['run', fixture('mix.load.ts'), '--target', target.url, '--workers', '2', '--quiet', '--summary-export', exportPath]);
  assert.equal(r.code, ExitCode.ok, r.stdout + r.stderr);
  assert.equal(target.counts.get('fast'), 20);
  assert.equal(target.counts.get('json'), 4);
  const s = JSON.parse(readFileSync(exportPath, 'utf8'));
  assert.equal(s.scenarios.browse.metrics.iterations.values.count, 20);
  assert.equal(s.scenarios.checkout.metrics.iterations.values.count, 4);
  assert.equal(s.total.metrics.iterations.values.count, 24);
});

test('--scenario picks scenarios of the mix; the file-wide thresholds judge what ran', async () => {
  target.counts.clear();
  const r = await runCli(['run', fixture('mix.load.ts'), '--target', target.url, '--scenario', 'browse', '--quiet']);
  assert.equal(r.code, ExitCode.thresholdsFailed, r.stdout + r.stderr);
  assert.equal(target.counts.get('fast'), 20);
  assert.equal(target.counts.get('json'), undefined, 'checkout did not run');
  assert.doesNotMatch(r.stdout, /scenario checkout/);
  assert.match(r.stdout, /✗ count=20\s+iterations: count == 24/);

  const both = await runCli(['run', fixture('mix.load.ts'), '--target', target.url, '--scenario', 'checkout', '--scenario', 'browse', '--quiet']);
  assert.equal(both.code, ExitCode.ok, both.stdout + both.stderr);
  assert.match(both.stdout, /total of browse, checkout/);
});

test('bad input stops the run before any load (exit 2), naming the file and the field', async () => {
  const write = (name: string, text: string) => {
    const path = join(tmp, name);
    writeFileSync(path, `import { scenario } from 'loadlens';\n${text}`);
    return path;
  };
  target.counts.clear();
  const unknownTag = write('tag.load.ts', `export const a = scenario({
  load: { vus: 1, iterations: 1 },
  thresholds: { 'http_req_duration{scenrio:a}': ['p(95) < 100'] },
  async iteration({ http }) { await http.get('/fast'); },
});
`);
  let r = await runCli(['run', unknownTag, '--target', target.url]);
  assert.equal(r.code, ExitCode.badOptions, r.stderr);
  assert.match(r.stderr, /tag\.load\.ts:4:\d+/);
  assert.match(r.stderr, /filters on the unknown tag 'scenrio'; did you mean 'scenario'\?/);

  const unknownScenario = write('fileWide.load.ts', `export const thresholds = { 'http_reqs{scenario:chekout}': ['count > 1'] };
export const checkout = scenario({ load: { vus: 1, iterations: 1 }, async iteration({ http }) { await http.get('/fast'); } });
`);
  r = await runCli(['run', unknownScenario, '--target', target.url]);
  assert.equal(r.code, ExitCode.badOptions, r.stderr);
  assert.match(r.stderr, /fileWide\.load\.ts:2:1/);
  assert.match(r.stderr, /file-wide thresholds filters on scenario 'chekout', which the file does not export; did you mean 'checkout'\?/);

  const badStart = write('start.load.ts', `export const a = scenario({ load: { vus: 1, iterations: 1 }, async iteration({ http }) { await http.get('/fast'); } });
export const b = scenario({
  load: { vus: 1, iterations: 1 },
  startTime: 'soon',
  async iteration({ http }) { await http.get('/fast'); },
});
`);
  r = await runCli(['run', badStart, '--target', target.url]);
  assert.equal(r.code, ExitCode.badOptions, r.stderr);
  assert.match(r.stderr, /options error in b at .*start\.load\.ts:3:\d+/);
  assert.match(r.stderr, /startTime: got "soon"; expected a duration/);
  assert.equal(target.counts.get('fast'), undefined, 'nothing was sent');
});

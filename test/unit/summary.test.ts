import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntervalData, LiveStats } from '../../src/engine/types';
import { RunAggregate } from '../../src/engine/aggregate';
import { MetricsRecorder } from '../../src/engine/metrics';
import { formatBytes, formatLiveLine, formatSummary, formatTime } from '../../src/presentation/summary-text';
import { thresholdLensText } from '../../src/extension/results';

const PHASES = ['http_req_blocked', 'http_req_connecting', 'http_req_tls_handshaking', 'http_req_sending', 'http_req_waiting', 'http_req_receiving'];

function run(model: 'open' | 'closed', extra: Partial<IntervalData> = {}) {
  const agg = new RunAggregate({
    scenario: 'browse', file: 'shop.load.ts', model, plannedMs: 2000,
    thresholds: { http_req_duration: ['p(95) < 200', 'p(99) < 50'], http_req_failed: [{ threshold: 'rate < 0.01', abortOnFail: true }], 'http_req_duration{name:nope}': ['avg < 5'] },
  });
  for (let k = 0; k < 2; k++) {
    const rec = new MetricsRecorder();
    for (let i = 0; i < 1000; i++) {
      const tags = { name: 'items' };
      rec.trend('http_req_duration', tags, (1 + (i % 100)) * 1000);
      rec.trend('http_req_service_duration', tags, (1 + (i % 100)) * 900);
      for (const p of PHASES) rec.trend(p, tags, 250);
      rec.count('http_reqs', tags, 1);
      rec.count('data_sent', tags, 100);
      rec.count('data_received', tags, 2_500);
      rec.rate('http_req_failed', tags, i % 250 === 0);
      rec.rate('checks', { check: 'status is 200' }, i % 250 !== 0);
      rec.count('iterations', {}, 1);
      rec.trend('iteration_lag', {}, 500);
    }
    rec.error('ECONNRESET', 2);
    agg.add(rec.flush({ index: k, startMs: k * 1000, endMs: (k + 1) * 1000, vus: 8, vusMax: 16, iterationsDue: 1000, iterationsStarted: 1000, iterationsDropped: 5, backlog: 0, ...extra }));
  }
  return agg.summary('completed', 2000);
}

test('the summary text has thresholds with observed values, checks, metrics, errors and notes', () => {
  const text = formatSummary(run('open'));
  const lines = text.split('\n');
  const line = (re: RegExp) => {
    const found = lines.find((l) => re.test(l));
    assert.ok(found, `no line matching ${re} in:\n${text}`);
    return found;
  };
  assert.match(line(/^ {2}scenario browse/), /shop\.load\.ts.*open model.*completed in 2s/);
  // Observed value first, then what was required.
  assert.match(line(/✓ p\(95\)=/), /✓ p\(95\)=95\.0 ms +http_req_duration: p\(95\) < 200$/);
  assert.match(line(/✗ p\(99\)=/), /✗ p\(99\)=99\.\d ms +http_req_duration: p\(99\) < 50$/);
  assert.match(line(/rate=0\.40%/), /✓ rate=0\.40% +http_req_failed: rate < 0\.01 \(abortOnFail\)$/);
  assert.match(line(/no data/), /✗ no data +http_req_duration\{name:nope\}: avg < 5$/);
  assert.match(line(/status is 200/), /✗ status is 200 +1,992\/2,000 +\(8 failed\)$/);
  const duration = line(/^ {2}http_req_duration\.+: /);
  for (const key of ['avg=', 'min=1ms', 'med=', 'max=', 'p(90)=', 'p(95)=', 'p(99)=', 'p(99.9)=']) assert.ok(duration.includes(key), `${key} in ${duration}`);
  line(/^ {2}http_req_service_duration\.+: avg=/);
  for (const p of PHASES) assert.match(line(new RegExp(`^  ${p}\\.+: `)), /avg=250µs/);
  assert.match(line(/^ {2}http_req_failed\.+: /), /0\.40% +8 failed out of 2,000$/);
  assert.match(line(/^ {2}http_reqs\.+: /), /2,000 +1,000\/s$/);
  assert.match(line(/^ {2}iterations\.+: /), /2,000 +1,000\/s$/);
  assert.match(line(/^ {2}dropped_iterations\.+: /), /10 +5\/s$/);
  assert.match(line(/^ {2}iteration_lag\.+: /), /avg=500µs/);
  assert.match(line(/^ {2}vus\.+: /), /8 +min=8 max=8$/);
  assert.match(line(/^ {2}vus_max\.+: /), /16 +min=16 max=16$/);
  assert.match(line(/^ {2}data_sent\.+: /), /200 kB +100 kB\/s$/);
  assert.match(line(/^ {2}data_received\.+: /), /5 MB +2\.5 MB\/s$/);
  assert.match(line(/^ {4}ECONNRESET/), /ECONNRESET +4$/);
  line(/note: Open model: http_req_duration is measured from when each iteration was due/);
  line(/note: 10 due iterations were dropped/);
  // Metric names line up: every dotted row puts its colon in the same column.
  const colons = lines.filter((l) => /\.{3,}: /.test(l)).map((l) => l.indexOf('..: ') + 2);
  assert.ok(colons.length > 15);
  assert.equal(new Set(colons).size, 1);
  assert.ok(!text.includes('\x1b['), 'no colour unless asked');
});

test('colour is opt-in and the closed model note is shown', () => {
  const text = formatSummary(run('closed'), { color: true });
  assert.ok(text.includes('\x1b[32m✓\x1b[0m') && text.includes('\x1b[31m✗\x1b[0m'));
  assert.match(text, /Closed model: latency is measured from each request's actual send.*coordinated omission/);
});

test('units format as k6 prints them', () => {
  assert.deepEqual([0, 0.512, 125.814, 1250, 65_000].map(formatTime), ['0s', '512µs', '125.81ms', '1.25s', '1m5s']);
  assert.deepEqual([512, 12_000, 1_234_567, 3e9].map(formatBytes), ['512 B', '12 kB', '1.2 MB', '3 GB']);
});

test('custom metrics declared with isTime print as times, others as plain numbers', () => {
  const agg = new RunAggregate({ scenario: 's', file: 'f.load.ts', model: 'closed', plannedMs: 1000, thresholds: { cart_to_order: ['p(95) < 1000'], items_per_order: ['avg < 5'] } });
  const rec = new MetricsRecorder();
  rec.series('trend', 'cart_to_order', {}, 'time').record(2_000); // exact in the histogram (below 2048 µs)
  rec.series('trend', 'items_per_order', {}, 'default').record(3_000);
  rec.series('counter', 'wait_ms', {}, 'time').add(1500);
  rec.series('gauge', 'queue_ms', {}, 'time').set(0.5);
  agg.add(rec.flush({ index: 0, startMs: 0, endMs: 1000, vus: 1, vusMax: 1, iterationsDue: 0, iterationsStarted: 1, iterationsDropped: 0, backlog: 0 }));
  const text = formatSummary(agg.summary('completed', 1000));
  assert.match(text, /^ {2}cart_to_order\.+: avg=2ms min=2ms med=2ms max=2ms p\(90\)=2ms/m);
  assert.match(text, /^ {2}items_per_order\.+: avg=3 min=3 med=3 max=3 p\(90\)=3 /m);
  assert.match(text, /^ {2}wait_ms\.+: 1\.5s +1\.5s\/s$/m);
  assert.match(text, /^ {2}queue_ms\.+: 500µs +min=500µs max=500µs$/m);
  assert.match(text, /✓ p\(95\)=2\.00 ms +cart_to_order: p\(95\) < 1000$/m);
  assert.match(text, /✓ avg=3(\.\d+)? +items_per_order: avg < 5$/m);
});

test('the live line shows elapsed/planned, VUs, rate, p99 and errors', () => {
  const live: LiveStats = {
    elapsedMs: 12_300, plannedMs: 30_000, vus: 50, vusMax: 50, rps: 1982.4, errorsPerSec: 0, p50: 3, p90: 40, p99: 212.4, max: 480,
    requests: 20_000, errors: 3, iterations: 20_000, dropped: 0, backlog: 0, lagP99: 0, checks: [], thresholds: [], errorsByKind: {},
  };
  assert.equal(formatLiveLine(live), '  12s/30s  vus 50/50  1,982 req/s  p99 212 ms  errors 3');
  const busy = formatLiveLine({
    ...live, elapsedMs: 75_000, plannedMs: 120_000, backlog: 340, dropped: 12, p99: 1530,
    thresholds: [{ metric: 'http_req_duration', expression: 'p(99) < 500', ok: false, observed: 1530, abortOnFail: false }],
  });
  assert.equal(busy, '  1m15s/2m  vus 50/50  1,982 req/s  p99 1.53 s  errors 3  backlog 340  dropped 12  ✗ 1 threshold');
});

test('the live line rounds small request rates to one decimal and larger ones to integers', () => {
  const base: LiveStats = {
    elapsedMs: 1000, plannedMs: 5000, vus: 1, vusMax: 4, rps: 12.07, errorsPerSec: 0, p50: 1, p90: 1, p99: 4.56, max: 5,
    requests: 12, errors: 0, iterations: 3, dropped: 0, backlog: 0, lagP99: 0, checks: [], thresholds: [], errorsByKind: {},
  };
  assert.equal(formatLiveLine(base), '  1s/5s  vus 1/4  12 req/s  p99 4.6 ms  errors 0');
  assert.equal(formatLiveLine({ ...base, rps: 0.46 }), '  1s/5s  vus 1/4  0.5 req/s  p99 4.6 ms  errors 0');
});

test('errors by kind: the most frequent first, long messages on one bounded line, the rest summed', async () => {
  const { RunAggregate } = await import('../../src/engine/aggregate');
  const agg = new RunAggregate({ scenario: 's', file: 'f', model: 'closed', plannedMs: 1000 });
  const errors: Record<string, number> = { ECONNREFUSED: 50, [`Error: ${'x'.repeat(300)}\n    at line 2`]: 7 };
  for (let i = 0; i < 25; i++) errors[`Error: kind ${i}`] = 1;
  agg.add({ index: 0, startMs: 0, endMs: 1000, series: [], vus: 0, vusMax: 0, iterationsDue: 0, iterationsStarted: 0, iterationsDropped: 0, backlog: 0, errors });
  const text = formatSummary(agg.summary('completed', 1000));
  const block = text.slice(text.indexOf('errors by kind')).split('\n').slice(1, 23);
  assert.match(block[0], /^ {4}ECONNREFUSED +50$/);
  assert.match(block[1], /^ {4}Error: x{50,}\.\.\. +7$/);
  assert.ok(block[1].length < 120);
  assert.equal(block.filter((l) => /^ {4}Error: kind/.test(l)).length, 18);
  assert.match(block[20], /^ {4}\.\.\. 7 more kinds, 7 errors$/);
});

test('tag-filtered thresholds without data: counters count 0, other kinds show no empty row', async () => {
  const { RunAggregate } = await import('../../src/engine/aggregate');
  const agg = new RunAggregate({
    scenario: 's', file: 'f', model: 'closed', plannedMs: 1000,
    thresholds: { 'http_reqs{name:nope}': ['count < 1'], 'http_req_duration{name:nope}': ['p(95) < 1'] },
  });
  const rec = new MetricsRecorder();
  rec.count('http_reqs', { name: 'yes' }, 3);
  rec.trend('http_req_duration', { name: 'yes' }, 500);
  agg.add(rec.flush({ index: 0, startMs: 0, endMs: 1000, vus: 1, vusMax: 1, iterationsDue: 0, iterationsStarted: 0, iterationsDropped: 0, backlog: 0 }));
  const s = agg.summary('completed', 1000);
  assert.deepEqual(s.metrics['http_reqs{name:nope}'].values, { count: 0, rate: 0 });
  assert.deepEqual(s.thresholds.map((v) => [v.ok, v.observed]), [[true, 0], [false, null]]);
  const text = formatSummary(s);
  assert.match(text, /^ {4}\{name:nope\}\.+: 0 +0\/s$/m);
  assert.ok(!text.includes('undefined') && !text.includes('NaN'), text);
  assert.equal(text.match(/\{name:nope\}\.+:/g)?.length, 1);
});

test('a run without requests: no NaN or undefined anywhere in the summary', async () => {
  const { RunAggregate } = await import('../../src/engine/aggregate');
  const agg = new RunAggregate({
    scenario: 's', file: 'f', model: 'open', plannedMs: 1000,
    thresholds: { http_req_duration: ['p(95) < 200'], http_req_failed: ['rate < 0.05'], checks: ['rate > 0.95'], vus: ['value < 5'] },
  });
  const rec = new MetricsRecorder();
  rec.count('iterations', {}, 3);
  agg.add(rec.flush({ index: 0, startMs: 0, endMs: 1000, vus: 0, vusMax: 1, iterationsDue: 3, iterationsStarted: 3, iterationsDropped: 0, backlog: 0, errors: { 'TypeError: bad': 3 } }));
  const text = formatSummary(agg.summary('completed', 1000));
  assert.ok(!/NaN|undefined/.test(text), text);
  assert.match(text, /^ {2}http_req_failed\.+: no samples$/m);
  assert.match(text, /^ {2}checks\.+: no samples$/m);
  assert.ok(!/^ {2}http_req_duration\.+/m.test(text), 'no empty trend row');
});

test('the live line warns when no response has come for 5 s while requests wait', () => {
  const base: LiveStats = {
    elapsedMs: 9000, plannedMs: 30_000, vus: 50, vusMax: 50, rps: 0, errorsPerSec: 0, p50: 0, p90: 0, p99: 0, max: 0,
    requests: 30, errors: 0, iterations: 30, dropped: 0, backlog: 0, lagP99: 0, checks: [], thresholds: [], errorsByKind: {},
  };
  assert.equal(formatLiveLine({ ...base, inFlight: 50, noResponseMs: 4999 }), '  9s/30s  vus 50/50  0 req/s  p99 0 ms  errors 0');
  assert.equal(formatLiveLine({ ...base, inFlight: 50, noResponseMs: 8400 }), '  9s/30s  vus 50/50  0 req/s  p99 0 ms  errors 0  ⚠ no response for 8 s: 50 requests in flight');
  assert.equal(formatLiveLine({ ...base, inFlight: 0, noResponseMs: 8400 }), '  9s/30s  vus 50/50  0 req/s  p99 0 ms  errors 0', 'nothing waits');
  assert.equal(formatLiveLine({ ...base, inFlight: 1, noResponseMs: 5000 }).endsWith('⚠ no response for 5 s: 1 request in flight'), true);
});

test('requests and iterations the end cut off: named first, durations marked as lower bounds, explained in the notes', () => {
  const s = run('open', { unfinished: { requests: 25, oldestMs: 33_400, queuedIterations: 4 }, iterationsDropped: 6 });
  // Both intervals carried it (two processes' last parts, say): summed, the oldest is the max.
  assert.deepEqual(s.unfinished, { requests: 50, oldestMs: 33_400, queuedIterations: 8 });
  const text = formatSummary(s);
  const lines = text.split('\n');
  assert.match(lines[1], /⚠ 50 requests never completed; the oldest waited 33 s \(counted as failed, EINTERRUPTED/);
  assert.match(lines[2], /⚠ 8 iterations were due but never started/);
  assert.match(text, /http_req_duration\.+: avg=.* \(includes 50 lower bounds: unfinished requests\)$/m);
  assert.ok(s.notes.some((n) => n.startsWith('50 requests never completed; the oldest waited 33 s: the run ended with them in flight.') && n.includes('lower bound')));
  assert.ok(s.notes.some((n) => n.startsWith('8 iterations were due but never started (no free VU): the generator or the server could not keep up.')));
  // dropped_iterations 12: 8 of them queued at the end, 4 dropped on the way (whenBusy 'drop').
  assert.ok(s.notes.some((n) => n.startsWith('4 due iterations were dropped because all VUs were busy')), s.notes.join('\n'));
  const plain = formatSummary(run('open'));
  assert.ok(!plain.includes('never completed') && !plain.includes('lower bound'));
});

test("a custom counter's `rate > 5` is per second in the CLI summary and in the editor, live and at the end", () => {
  const agg = new RunAggregate({ scenario: 's', file: 'f.load.ts', model: 'closed', plannedMs: 2000, thresholds: { orders: ['rate > 5'], ok_ratio: ['rate > 0.5'] } });
  const rec = new MetricsRecorder();
  const interval = (index: number) => ({ index, startMs: index * 1000, endMs: (index + 1) * 1000, vus: 1, vusMax: 1, iterationsDue: 0, iterationsStarted: 1, iterationsDropped: 0, backlog: 0 });
  for (let i = 0; i < 2; i++) {
    rec.series('counter', 'orders', {}).add(12);
    rec.series('rate', 'ok_ratio', {}).add(true);
    agg.add(rec.flush(interval(i)));
  }
  // Live verdicts (the panel and the lenses while running) already know the metric's kind.
  assert.deepEqual(agg.verdicts(2000).map((v) => [v.metric, v.kind]), [['orders', 'counter'], ['ok_ratio', 'rate']]);
  const summary = agg.summary('completed', 2000);
  const text = formatSummary(summary);
  assert.match(text, /✓ rate=12\/s +orders: rate > 5$/m);
  assert.match(text, /✓ rate=100% +ok_ratio: rate > 0\.5$/m);
  assert.deepEqual(summary.thresholds.map(thresholdLensText), ['✓ rate = 12/s', '✓ rate = 100%']);
});

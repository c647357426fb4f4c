import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { IntervalData } from '../../src/engine/types';
import { RunAggregate, exportSummary } from '../../src/engine/aggregate';
import { OptionsError } from '../../src/engine/errors';
import {
  CHECKS,
  DATA_RECEIVED,
  HTTP_REQ_DURATION,
  HTTP_REQ_FAILED,
  HTTP_REQS,
  ITERATION_LAG,
  ITERATIONS,
  MetricsRecorder,
  createHistogram,
  encodeHistogram,
  mergeIntervals,
} from '../../src/engine/metrics';
import { header as baseHeader } from './helpers/metrics-data';

/** An interval of 10 active VUs (20 created) that started its 100 due iterations. */
function header(index: number, extra: Partial<IntervalData> = {}) {
  return baseHeader(index, { vus: 10, vusMax: 20, iterationsDue: 100, iterationsStarted: 100, ...extra });
}

/** One second of synthetic traffic: `n` requests per endpoint, latencies in ms from `latencyMs(i)`. */
function second(index: number, n: number, latencyMs: (i: number) => number, opts: { failEvery?: number; extra?: Partial<IntervalData> } = {}) {
  const rec = new MetricsRecorder();
  for (const name of ['items', 'cart']) {
    const tags = { name, method: 'GET', status: '200' };
    for (let i = 0; i < n; i++) {
      const ms = latencyMs(i) * (name === 'cart' ? 2 : 1);
      rec.trend(HTTP_REQ_DURATION, tags, ms * 1000);
      rec.count(HTTP_REQS, tags, 1);
      rec.count(DATA_RECEIVED, tags, 1500);
      const failed = opts.failEvery ? i % opts.failEvery === 0 : false;
      rec.rate(HTTP_REQ_FAILED, tags, failed);
      rec.rate(CHECKS, { check: 'status is 200' }, !failed);
      rec.rate(CHECKS, { check: 'has body' }, true);
      rec.count(ITERATIONS, {}, 1);
    }
  }
  return rec.flush(header(index, opts.extra));
}

const linear = (i: number) => 1 + i; // 1..n ms

test('the summary gives k6-layout values from all intervals', () => {
  const agg = new RunAggregate({ scenario: 'browse', file: 'shop.load.ts', model: 'open', plannedMs: 3000 });
  for (let k = 0; k < 3; k++) agg.add(second(k, 1000, linear, { failEvery: 100, extra: { errors: { ECONNRESET: 2 } } }));
  const s = agg.summary('completed', 3000);
  assert.equal(s.state.status, 'completed');
  const d = s.metrics[HTTP_REQ_DURATION];
  assert.equal(d.type, 'trend');
  assert.equal(d.contains, 'time');
  // 3 × 1000 values of 1..1000 ms (items) and 2..2000 ms (cart): median ~ 667 ms-ish; check against a reference histogram.
  const ref = createHistogram(64);
  for (let k = 0; k < 3; k++) for (let i = 0; i < 1000; i++) { ref.recordValue((1 + i) * 1000); ref.recordValue((1 + i) * 2000); }
  for (const [key, p] of [['med', 50], ['p(90)', 90], ['p(95)', 95], ['p(99)', 99], ['p(99.9)', 99.9]] as const) {
    assert.equal(d.values[key], ref.getValueAtPercentile(p) / 1000, key);
  }
  assert.equal(d.values.min, 1);
  assert.ok(Math.abs(d.values.max - 2000) / 2000 < 0.001, `max ${d.values.max}`);
  assert.ok(Math.abs(d.values.avg - ref.mean / 1000) < 1e-9, `avg ${d.values.avg} vs ${ref.mean / 1000}`);
  assert.deepEqual(s.metrics[HTTP_REQS].values, { count: 6000, rate: 2000 });
  assert.deepEqual(s.metrics[ITERATIONS].values, { count: 6000, rate: 2000 });
  assert.equal(s.metrics[DATA_RECEIVED].contains, 'data');
  assert.equal(s.metrics[DATA_RECEIVED].values.count, 9_000_000);
  assert.deepEqual(s.metrics[HTTP_REQ_FAILED].values, { rate: 0.01, passes: 60, fails: 5940 });
  assert.deepEqual(s.metrics.vus.values, { value: 10, min: 10, max: 10 });
  assert.deepEqual(s.metrics.vus_max.values, { value: 20, min: 20, max: 20 });
  assert.deepEqual(s.metrics.dropped_iterations.values, { count: 0, rate: 0 });
  assert.deepEqual(s.checks, [
    { name: 'status is 200', passes: 5940, fails: 60 },
    { name: 'has body', passes: 6000, fails: 0 },
  ]);
  assert.deepEqual(s.metrics[CHECKS].values, { rate: 11940 / 12000, passes: 11940, fails: 60 });
  assert.deepEqual(s.errorsByKind, { ECONNRESET: 6 });
  assert.match(s.notes[0], /Open model: http_req_duration is measured from when each iteration was due/);

  // The latency curve rises monotonically from the minimum to the maximum on a 1/(1-p) scale.
  assert.ok(s.latencyCurve.length >= 40 && s.latencyCurve.length <= 60);
  assert.deepEqual(s.latencyCurve[0], [0, 1]);
  assert.equal(s.latencyCurve.at(-1)![0], 100);
  assert.equal(s.latencyCurve.at(-1)![1], d.values.max);
  for (let i = 1; i < s.latencyCurve.length; i++) {
    assert.ok(s.latencyCurve[i][0] > s.latencyCurve[i - 1][0]);
    assert.ok(s.latencyCurve[i][1] >= s.latencyCurve[i - 1][1]);
  }
  assert.ok(s.latencyCurve.at(-2)![0] >= 99.9, 'reaches into the tail');

  const exported = exportSummary(s) as { metrics: Record<string, { type: string; values: Record<string, number> }>; state: unknown };
  assert.equal(exported.metrics[HTTP_REQ_DURATION].values['p(95)'], d.values['p(95)']);
  assert.equal(exported.metrics[HTTP_REQ_DURATION].type, 'trend');
  assert.deepEqual(exported.state, s.state);
  assert.deepEqual(JSON.parse(JSON.stringify(exported)), exported, 'JSON-safe');
});

test('the closed model note says latency hides queueing', () => {
  const agg = new RunAggregate({ scenario: 's', file: 'f.load.ts', model: 'closed', plannedMs: 1000 });
  agg.add(second(0, 10, linear));
  const notes = agg.summary('completed', 1000).notes.join('\n');
  assert.match(notes, /Closed model: latency is measured from each request's actual send/);
  assert.match(notes, /coordinated omission/);
});

test('tag-filtered thresholds cover every tag set that includes the filter', () => {
  const agg = new RunAggregate({
    scenario: 's', file: 'f', model: 'open', plannedMs: 2000,
    thresholds: {
      http_req_duration: ['p(95) < 1900', 'max < 3000'],
      'http_req_duration{name:items}': ['p(95) < 960', 'p(97) < 1000'],
      'http_req_duration{name:cart,method:GET}': ['p(95) < 1500'],
      'http_req_duration{name:nothing}': ['p(95) < 1500'],
      http_req_failed: ['rate < 0.01'],
      http_reqs: ['count >= 4000', 'rate > 1000'],
      'checks{check:has body}': ['rate == 1'],
      checks: ['rate > 0.999'],
      dropped_iterations: ['count < 1'],
    },
  });
  for (let k = 0; k < 2; k++) agg.add(second(k, 1000, linear, { failEvery: 200 }));
  const byKey = Object.fromEntries(agg.verdicts().map((v) => [`${v.metric} ${v.expression}`, v]));
  const all = byKey['http_req_duration p(95) < 1900'];
  assert.equal(all.ok, true);
  assert.ok(Math.abs(all.observed! - 1800) < 2, String(all.observed)); // both endpoints' values together
  assert.equal(byKey['http_req_duration max < 3000'].ok, true);
  const items = byKey['http_req_duration{name:items} p(95) < 960'];
  assert.ok(Math.abs(items.observed! - 950) < 1, String(items.observed)); // 1..1000 ms
  assert.equal(items.ok, true);
  assert.equal(byKey['http_req_duration{name:items} p(97) < 1000'].ok, true);
  const cart = byKey['http_req_duration{name:cart,method:GET} p(95) < 1500'];
  assert.ok(Math.abs(cart.observed! - 1900) < 2, String(cart.observed)); // 2..2000 ms
  assert.equal(cart.ok, false);
  assert.deepEqual(
    [byKey['http_req_duration{name:nothing} p(95) < 1500'].ok, byKey['http_req_duration{name:nothing} p(95) < 1500'].observed],
    [false, null],
    'no data fails',
  );
  assert.deepEqual([byKey['http_req_failed rate < 0.01'].observed, byKey['http_req_failed rate < 0.01'].ok], [0.005, true]);
  assert.deepEqual([byKey['http_reqs count >= 4000'].observed, byKey['http_reqs count >= 4000'].ok], [4000, true]);
  assert.deepEqual([byKey['http_reqs rate > 1000'].observed, byKey['http_reqs rate > 1000'].ok], [2000, true]);
  assert.deepEqual([byKey['checks{check:has body} rate == 1'].observed, byKey['checks{check:has body} rate == 1'].ok], [1, true]);
  assert.equal(byKey['checks rate > 0.999'].ok, false);
  assert.deepEqual([byKey['dropped_iterations count < 1'].observed, byKey['dropped_iterations count < 1'].ok], [0, true]);

  const s = agg.summary('completed', 2000);
  assert.ok(s.metrics['http_req_duration{name:items}'], 'a sub-metric entry for a tag-filtered threshold');
  assert.equal(s.metrics['http_req_duration{name:items}'].values['p(97)'], byKey['http_req_duration{name:items} p(97) < 1000'].observed);
  assert.deepEqual(s.metrics['http_req_duration{name:items}'].thresholds, { 'p(95) < 960': { ok: true }, 'p(97) < 1000': { ok: true } });
  assert.deepEqual(s.metrics[HTTP_REQ_DURATION].thresholds, { 'p(95) < 1900': { ok: true }, 'max < 3000': { ok: true } });
  assert.match(s.notes.join('\n'), /http_req_duration\{name:nothing\}: p\(95\) < 1500 had no data/);
});

test('abortOnFail fires only once failing with data and after delayAbortEval', () => {
  const agg = new RunAggregate({
    scenario: 's', file: 'f', model: 'open', plannedMs: 10_000,
    thresholds: {
      http_req_duration: [{ threshold: 'p(99) < 100', abortOnFail: true, delayAbortEval: '3s' }, 'p(50) < 1'],
      'http_req_duration{name:none}': [{ threshold: 'p(99) < 100', abortOnFail: true }],
      http_req_failed: [{ threshold: 'rate < 0.5', abortOnFail: true }],
    },
  });
  assert.equal(agg.abortTriggered(), undefined, 'no data yet');
  agg.add(second(0, 100, () => 500));
  assert.equal(agg.abortTriggered(), undefined, 'failing but within delayAbortEval (1s < 3s)');
  agg.add(second(1, 100, () => 500));
  agg.add(second(2, 100, () => 500));
  const v = agg.abortTriggered();
  assert.ok(v, 'aborts at 3s');
  assert.equal(v.metric, 'http_req_duration');
  assert.equal(v.expression, 'p(99) < 100');
  assert.equal(v.abortOnFail, true);
  assert.ok(v.observed! >= 500);

  const failing = new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 10_000, thresholds: { http_req_failed: [{ threshold: 'rate < 0.5', abortOnFail: true }] } });
  failing.add(second(0, 10, linear, { failEvery: 1 }));
  assert.equal(failing.abortTriggered()?.metric, 'http_req_failed');
});

test('bad thresholds make the constructor throw an OptionsError', () => {
  assert.throws(
    () => new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 1, thresholds: { http_req_duration: ['p99 < 5'] } }),
    (e: unknown) => e instanceof OptionsError && e.field === 'thresholds["http_req_duration"][0]',
  );
});

test('live figures: last interval rates and latency, running totals', () => {
  const agg = new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 30_000, thresholds: { http_req_duration: ['p(99) < 5'] } });
  const empty = agg.live();
  assert.deepEqual([empty.rps, empty.p99, empty.requests, empty.vus], [0, 0, 0, 0]);
  agg.add(second(0, 500, () => 10, { extra: { errors: { ECONNREFUSED: 4 } } }));
  const rec = new MetricsRecorder();
  for (let i = 0; i < 300; i++) {
    rec.trend(HTTP_REQ_DURATION, { name: 'x' }, (i < 297 ? 20 : 200) * 1000);
    rec.count(HTTP_REQS, { name: 'x' }, 1);
    rec.trend(ITERATION_LAG, {}, 30_000);
  }
  agg.add(rec.flush(header(1, { vus: 7, vusMax: 30, backlog: 12, iterationsDropped: 3, errors: { ECONNREFUSED: 1, 'Error: boom': 1 } })));
  const live = agg.live(2000);
  assert.equal(live.elapsedMs, 2000);
  assert.equal(live.plannedMs, 30_000);
  assert.deepEqual([live.vus, live.vusMax, live.backlog, live.dropped], [7, 30, 12, 3]);
  assert.equal(live.rps, 300);
  assert.equal(live.errorsPerSec, 2);
  assert.equal(live.requests, 1300);
  assert.equal(live.errors, 6);
  assert.equal(live.iterations, 1000);
  assert.ok(Math.abs(live.p50 - 20) < 0.05 && Math.abs(live.p99 - 20) < 0.05, `p50 ${live.p50} p99 ${live.p99}`);
  assert.ok(Math.abs(live.max - 200) < 0.2, `max ${live.max}`);
  assert.ok(Math.abs(live.lagP99 - 30) < 0.05);
  assert.deepEqual(live.errorsByKind, { ECONNREFUSED: 5, 'Error: boom': 1 });
  assert.equal(live.checks.length, 2);
  assert.equal(live.thresholds[0].ok, false);
});

test('totals are 64-bit: counts beyond 2^32 stay exact', () => {
  const agg = new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 1000, thresholds: { http_req_duration: ['p(50) < 2'] } });
  const big = createHistogram(64);
  big.recordValueWithCount(1000, 2 ** 31 + 7);
  const series = [{ kind: 'trend' as const, metric: HTTP_REQ_DURATION, tags: {}, hist: encodeHistogram(big) }];
  for (let k = 0; k < 3; k++) agg.add({ ...header(k), errors: {}, series });
  const s = agg.summary('completed', 3000);
  assert.equal(s.metrics[HTTP_REQ_DURATION].values.count, 3 * (2 ** 31 + 7));
  assert.equal(s.metrics[HTTP_REQ_DURATION].values.med, 1);
  assert.equal(s.thresholds[0].ok, true);
});

test('the aggregate of merged worker intervals equals the aggregate of one process', () => {
  const one = new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 2000 });
  const many = new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 2000 });
  for (let k = 0; k < 2; k++) {
    one.add(second(k, 900, (i) => 1 + (i % 300)));
    many.add(mergeIntervals([0, 1, 2].map((w) => second(k, 300, (i) => 1 + ((i * 3 + w) % 300)))));
  }
  const a = one.summary('completed', 2000);
  const b = many.summary('completed', 2000);
  assert.deepEqual(b.metrics[HTTP_REQ_DURATION].values, a.metrics[HTTP_REQ_DURATION].values);
  assert.deepEqual(b.metrics[HTTP_REQS].values, a.metrics[HTTP_REQS].values);
  assert.deepEqual(b.checks, a.checks);
});

test('memory stays flat: a long run keeps no per-interval state', () => {
  // A real full GC between measurements, so garbage does not pass for retained memory.
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const agg = new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 3_600_000, thresholds: { http_req_duration: ['p(95) < 100'] } });
  const interval = second(0, 50, linear, { extra: { errors: { ECONNRESET: 1 } } });
  for (let k = 0; k < 400; k++) agg.add({ ...structuredClone(interval), index: k, startMs: k * 1000, endMs: (k + 1) * 1000 });
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let k = 400; k < 1600; k++) agg.add({ ...structuredClone(interval), index: k, startMs: k * 1000, endMs: (k + 1) * 1000 });
  gc();
  const grown = process.memoryUsage().heapUsed - before;
  const s = agg.summary('completed', 1_600_000);
  assert.equal(s.metrics[HTTP_REQS].values.count, 1600 * 100);
  assert.equal(s.errorsByKind.ECONNRESET, 1600);
  // 1,200 more intervals: the retained heap must not scale with them (allow GC noise).
  assert.ok(grown < 1024 * 1024, `heap grew ${(grown / 1e6).toFixed(1)} MB over 1,200 intervals`);
});

test('dropped_iterations: the recorded series (with its tags) or else the interval header, never both', () => {
  const agg = new RunAggregate({ scenario: 's', file: 'f', model: 'open', plannedMs: 3000, thresholds: { 'dropped_iterations{scenario:s}': ['count < 5'] } });
  const rec = new MetricsRecorder();
  rec.count('dropped_iterations', { scenario: 's' }, 4);
  agg.add(rec.flush(header(0, { iterationsDropped: 4 })));
  agg.add(new MetricsRecorder().flush(header(1, { iterationsDropped: 3 })));
  const s = agg.summary('completed', 2000);
  assert.equal(s.metrics.dropped_iterations.values.count, 7);
  assert.equal(agg.live().dropped, 7);
  assert.deepEqual([s.thresholds[0].observed, s.thresholds[0].ok], [4, true]);
});

test('a threshold whose aggregation does not fit a custom metric fails and says why', () => {
  const agg = new RunAggregate({ scenario: 's', file: 'f', model: 'closed', plannedMs: 1000, thresholds: { orders: ['p(95) < 5', 'count > 2'] } });
  const rec = new MetricsRecorder();
  rec.count('orders', {}, 3);
  agg.add(rec.flush(header(0)));
  const s = agg.summary('completed', 1000);
  assert.deepEqual(s.thresholds.map((v) => [v.expression, v.ok, v.observed]), [['p(95) < 5', false, null], ['count > 2', true, 3]]);
  assert.match(s.notes.join('\n'), /Threshold orders: p\(95\) < 5 failed: orders is a counter, which has count, rate, not p\(95\)/);
});

test('custom metrics declared with isTime are times in the summary, its export and threshold verdicts', () => {
  const agg = new RunAggregate({
    scenario: 's', file: 'f', model: 'closed', plannedMs: 1000,
    thresholds: { cart_to_order: ['p(95) < 20'], 'cart_to_order{step:none}': ['max < 20'], items_per_order: ['avg < 5'], wait_ms: ['count < 100'] },
  });
  const rec = new MetricsRecorder();
  const cart = rec.series('trend', 'cart_to_order', { step: 'pay' }, 'time');
  for (const ms of [1, 1.2, 1.4]) cart.record(ms * 1000); // exact in the histogram (below 2048 µs)
  rec.series('trend', 'items_per_order', {}, 'default').record(2_000);
  rec.series('counter', 'wait_ms', {}, 'time').add(40);
  rec.series('gauge', 'queue_ms', {}, 'time').set(7);
  agg.add(rec.flush(header(0)));
  const s = agg.summary('completed', 1000);
  assert.deepEqual(
    ['cart_to_order', 'cart_to_order{step:none}', 'items_per_order', 'wait_ms', 'queue_ms'].map((m) => s.metrics[m].contains),
    ['time', 'time', 'default', 'time', 'time'],
  );
  assert.equal(s.metrics.cart_to_order.values.med, 1.2);
  assert.equal(s.metrics.items_per_order.values.avg, 2);
  assert.deepEqual(
    s.thresholds.map((v) => [v.metric, v.observed, v.contains]),
    [['cart_to_order', 1.4, 'time'], ['cart_to_order{step:none}', null, 'time'], ['items_per_order', 2, 'default'], ['wait_ms', 40, 'time']],
  );
  const exported = exportSummary(s) as { metrics: Record<string, { contains: string }> };
  assert.equal(exported.metrics.cart_to_order.contains, 'time');
  assert.equal(exported.metrics.items_per_order.contains, 'default');
});

test('intervals flushed in this process add up exactly as the same intervals read back from JSON (--out, IPC)', () => {
  const thresholds = { [HTTP_REQ_DURATION]: ['p(99)<1500'], [`${HTTP_REQ_DURATION}{name:cart}`]: ['p(90)<3000'] };
  const direct = new RunAggregate({ scenario: 's', file: 'f.load.ts', model: 'open', plannedMs: 3000, thresholds });
  const viaJson = new RunAggregate({ scenario: 's', file: 'f.load.ts', model: 'open', plannedMs: 3000, thresholds });
  for (let k = 0; k < 3; k++) {
    const interval = second(k, 300 + 100 * k, (i) => 1 + ((i * 37) % 900) / (k + 1), { failEvery: 7 });
    direct.add(interval);
    viaJson.add(JSON.parse(JSON.stringify(interval)));
    assert.deepEqual(direct.live(), viaJson.live());
  }
  assert.deepEqual(direct.summary('completed', 3000), viaJson.summary('completed', 3000));
});

test('an interval merged a slice of series at a time gives the same totals as one merged at once', () => {
  const thresholds = { [HTTP_REQ_DURATION]: ['p(95)<800'], [`${HTTP_REQS}{name:cart}`]: ['count>10'] };
  const whole = new RunAggregate({ scenario: 's', file: 'f.load.ts', model: 'closed', plannedMs: 2000, thresholds });
  const sliced = new RunAggregate({ scenario: 's', file: 'f.load.ts', model: 'closed', plannedMs: 2000, thresholds });
  for (let k = 0; k < 2; k++) {
    const interval = second(k, 200, (i) => 1 + i * 3, { failEvery: 5, extra: { errors: { ECONNRESET: k + 1 }, iterationsDropped: k } });
    whole.add(interval);
    const job = sliced.adding(interval);
    let steps = 1;
    while (!job.step(2)) steps++;
    assert.ok(steps > 3, `${interval.series.length} series in slices of 2`);
    assert.deepEqual(sliced.live(), whole.live());
  }
  assert.deepEqual(sliced.summary('completed', 2000), whole.summary('completed', 2000));
});

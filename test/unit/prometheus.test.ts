// The Prometheus output's conversions: HDR histograms to cumulative native histograms (schema 5),
// the remote-write bucket layout (spans and deltas), metric and label names, and the series a run's
// intervals become. The real receiver is in test/integration/prometheus.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TrendCounts } from '../../src/engine/metrics/hdr';
import type { IntervalData } from '../../src/engine/types';
import { NATIVE_SCHEMA, NativeHistogram, PrometheusSeries, nativeBucketIndex, promName } from '../../src/runner/prometheus';
import { header, latencies } from './helpers/metrics-data';

const BASE = 2 ** (2 ** -NATIVE_SCHEMA);

/** histogram_quantile over native buckets as Prometheus 2.42 computes it (linear within a bucket). */
function nativeQuantile(h: NativeHistogram, q: number): number {
  const rank = q * h.count;
  let seen = h.zeroCount;
  if (seen >= rank) return 0;
  for (const i of [...h.buckets.keys()].sort((a, b) => a - b)) {
    const n = h.buckets.get(i)!;
    if (seen + n >= rank) {
      const lower = BASE ** (i - 1);
      const upper = BASE ** i;
      return lower + ((upper - lower) * (rank - seen)) / n;
    }
    seen += n;
  }
  throw new Error('rank past the last bucket');
}

test('bucket i holds (base^(i-1), base^i], base = 2^(1/32)', () => {
  assert.equal(nativeBucketIndex(1), 0);
  assert.equal(nativeBucketIndex(2), 32);
  assert.equal(nativeBucketIndex(0.5), -32);
  assert.equal(nativeBucketIndex(1.01), 1);
  assert.equal(nativeBucketIndex(0.999), 0);
});

test('quantiles of the native histogram stay within 2.2 % of the HDR ones, across intervals added up', () => {
  const native = new NativeHistogram();
  const all = new TrendCounts(64);
  for (const seed of [7, 11, 13]) {
    const interval = new TrendCounts();
    for (const v of latencies(20_000, seed)) {
      interval.record(v);
      all.record(v);
    }
    native.addHdr(interval.encode(), 1e-6);
  }
  const ps = [50, 90, 95, 99, 99.9];
  const hdr = all.read(ps);
  assert.equal(native.count, 60_000);
  assert.ok(Math.abs(native.sum / native.count - hdr.mean / 1e6) / (hdr.mean / 1e6) < 0.001, 'sum from bucket midpoints, as HDR means');
  ps.forEach((p, k) => {
    const expected = hdr.percentiles[k] / 1e6;
    const got = nativeQuantile(native, p / 100);
    assert.ok(Math.abs(got - expected) / expected <= BASE - 1 + 0.001, `p(${p}): native ${got}, HDR ${expected}`);
  });
});

test('zero values go to the zero bucket; buckets are sent as spans of neighbours and count deltas', () => {
  const h = new NativeHistogram();
  const t = new TrendCounts();
  for (let i = 0; i < 3; i++) t.record(0);
  t.record(1000); // 1 ms: bucket ceil(log2(0.001) * 32) = -318
  t.record(1000);
  t.record(1022); // the next bucket up
  t.record(1100);
  h.addHdr(t.encode(), 1e-6);
  assert.equal(h.zeroCount, 3);
  const p = h.toProto(123);
  assert.equal(p.countInt, 7);
  assert.equal(p.zeroCountInt, 3);
  const indexes = [...h.buckets.keys()].sort((a, b) => a - b);
  assert.deepEqual(indexes, [-318, -317, -314]);
  assert.deepEqual(p.positiveSpans, [{ offset: -318, length: 2 }, { offset: 2, length: 1 }]);
  assert.deepEqual(p.positiveDeltas, [2, -1, 0]);
  assert.equal(p.timestamp, 123);
});

test('names: Prometheus-safe, reserved prefixes kept for Prometheus', () => {
  assert.equal(promName('http_req_duration'), 'http_req_duration');
  assert.equal(promName('my-metric.x'), 'my_metric_x');
  assert.equal(promName('9lives'), '_9lives');
  assert.equal(promName('__name__'), 'tag__name__');
});

test('an interval becomes every series so far: cumulative counters, rates by result, gauges, errors; scenario and testid win over tags', () => {
  const s = new PrometheusSeries('t-1');
  s.start('browse', 1_000_000);
  const tags = { name: 'items', method: 'GET', status: '200', testid: 'user', 'x-y': 'z' };
  const interval = (index: number): IntervalData => ({
    ...header(index),
    series: [
      { kind: 'counter', metric: 'http_reqs', tags, value: 5 },
      { kind: 'counter', metric: 'data_sent', tags: {}, value: 100 },
      { kind: 'rate', metric: 'checks', tags: { check: 'ok' }, passes: 4, fails: 1 },
      { kind: 'gauge', metric: 'vus', tags: {}, value: 3, min: 0, max: 3 },
    ],
    errors: index === 0 ? { ECONNRESET: 2 } : {},
  });
  s.interval('browse', interval(0));
  const { timeseries } = s.interval('browse', interval(1));
  const value = (name: string, extra: Record<string, string> = {}) =>
    timeseries.find((t) => t.labels.some((l) => l.name === '__name__' && l.value === name) && Object.entries(extra).every(([k, v]) => t.labels.some((l) => l.name === k && l.value === v)))?.samples?.[0];
  assert.deepEqual(value('loadlens_http_reqs_total'), { value: 10, timestamp: 1_002_000 });
  assert.equal(value('loadlens_data_sent_bytes_total')?.value, 200);
  assert.equal(value('loadlens_checks_total', { check: 'ok', result: 'pass' })?.value, 8);
  assert.equal(value('loadlens_checks_total', { check: 'ok', result: 'fail' })?.value, 2);
  assert.equal(value('loadlens_vus')?.value, 3);
  assert.equal(value('loadlens_errors_total', { kind: 'ECONNRESET' })?.value, 2, 'kept after the interval it happened in');
  const reqs = timeseries.find((t) => t.labels.some((l) => l.value === 'loadlens_http_reqs_total'))!;
  assert.deepEqual(reqs.labels, [
    { name: '__name__', value: 'loadlens_http_reqs_total' },
    { name: 'method', value: 'GET' },
    { name: 'name', value: 'items' },
    { name: 'scenario', value: 'browse' },
    { name: 'status', value: '200' },
    { name: 'testid', value: 't-1' },
    { name: 'x_y', value: 'z' },
  ]);
});

test('a Prometheus slower than one write a second: the queue stays bounded, the oldest waiting writes are dropped and counted, order is kept', async () => {
  const { createServer } = await import('node:http');
  const { MAX_QUEUED_WRITES, RemoteWriter } = await import('../../src/runner/prometheus');
  const received: number[] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((r) => (release = r));
  const server = createServer((req, res) => {
    let first = -1;
    req.on('data', (c: Uint8Array) => (first = first < 0 ? c[0] : first));
    req.on('end', async () => {
      received.push(first);
      await held; // the first write hangs until released: the others queue up behind it
      res.statusCode = 204;
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const warnings: string[] = [];
    const writer = new RemoteWriter(`http://127.0.0.1:${(server.address() as { port: number }).port}/api/v1/write`, (w) => warnings.push(w));
    const extra = 5;
    for (let i = 0; i < MAX_QUEUED_WRITES + extra + 1; i++) writer.push(new Uint8Array([i]));
    assert.equal(writer.dropped, extra, 'past the bound, one write dropped per write pushed');
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /more slowly than one a second/);
    release();
    await writer.close();
    assert.equal(writer.sent, MAX_QUEUED_WRITES + 1);
    assert.equal(writer.dropped, extra);
    // The one in flight first, then the newest 30 in order: writes 1..5 were the oldest waiting.
    assert.deepEqual(received, [0, ...Array.from({ length: MAX_QUEUED_WRITES }, (_, k) => k + 1 + extra)]);
  } finally {
    server.close();
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { EncodedSeries, IntervalData } from '../../src/engine/types';
import {
  CHECKS,
  HIGHEST_MICROS,
  HTTP_REQ_DURATION,
  HTTP_REQS,
  MetricsRecorder,
  VUS,
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeIntervals,
  TrendCounts,
  decodeSparse,
  readHistogram,
} from '../../src/engine/metrics';
import { OptionsError } from '../../src/engine/errors';
import { header, latencies, trendOf } from './helpers/metrics-data';

const PERCENTILES = [0, 1, 10, 50, 75, 90, 95, 99, 99.9, 99.99, 100];

test('the recorder buckets values exactly as hdr-histogram-js does', () => {
  const rec = new MetricsRecorder();
  const reference = createHistogram(32);
  const tags = { name: 'items' };
  const values = [...latencies(50_000, 7), 0, 1, 2047, 2048, 2049, 123_456_789, HIGHEST_MICROS, 3_599_999_999];
  for (const v of values) {
    rec.trend(HTTP_REQ_DURATION, tags, v);
    reference.recordValue(v);
  }
  const interval = rec.flush(header(0));
  const s = interval.series.find((x) => x.kind === 'trend') as Extract<EncodedSeries, { kind: 'trend' }>;
  const decoded = decodeHistogram(s.hist);
  // Same counts in every bucket: re-encoded by hdr-histogram-js, both give the same bytes.
  assert.equal(encodeHistogram(decoded), encodeHistogram(reference));
  assert.equal(decoded.totalCount, values.length);
  for (const p of PERCENTILES) assert.equal(decoded.getValueAtPercentile(p), reference.getValueAtPercentile(p), `p${p}`);
});

test('edge layouts encode exactly: first buckets, long zero runs, one value', () => {
  for (const values of [[0], [1], [2], [1, 1, 3], [0, 2047, 2048], [5000], [1, HIGHEST_MICROS], [7, 7, 7, 9_000_000]]) {
    const rec = new MetricsRecorder();
    const reference = createHistogram(32);
    for (const v of values) {
      rec.trend('t', {}, v);
      reference.recordValue(v);
    }
    const decoded = trendOf(rec.flush(header(0)), 't');
    assert.equal(encodeHistogram(decoded), encodeHistogram(reference), JSON.stringify(values));
    assert.equal(decoded.totalCount, values.length);
  }
});

test('the recorder clamps out-of-range values and rounds fractions', () => {
  const rec = new MetricsRecorder();
  for (const v of [-5, 1.4, 1.6, 2 * HIGHEST_MICROS, NaN]) rec.trend('t', {}, v);
  const h = trendOf(rec.flush(header(0)), 't');
  assert.equal(h.totalCount, 5);
  assert.equal(h.getValueAtPercentile(0), 0); // -5 and NaN recorded as 0
  assert.equal(h.getValueAtPercentile(50), 1); // 1.4 → 1
  assert.ok(h.maxValue >= HIGHEST_MICROS && h.maxValue < HIGHEST_MICROS * 1.001);
});

test('the recorder keeps one series per metric and tag set, whatever the key order or object', () => {
  const rec = new MetricsRecorder();
  const a = { method: 'GET', name: 'items' };
  rec.count(HTTP_REQS, a, 1);
  rec.count(HTTP_REQS, { name: 'items', method: 'GET' }, 2);
  rec.count(HTTP_REQS, { name: 'cart', method: 'GET' }, 5);
  rec.rate(CHECKS, { check: 'ok' }, true);
  rec.rate(CHECKS, { check: 'ok' }, false);
  rec.rate(CHECKS, { check: 'ok' }, true);
  rec.gauge(VUS, {}, 3);
  rec.gauge(VUS, {}, 9);
  rec.gauge(VUS, {}, 5);
  rec.error('ECONNREFUSED');
  rec.error('ECONNREFUSED', 2);
  const i0 = rec.flush(header(0, { errors: { 'Error: boom': 1 } }));
  const counters = i0.series.filter((s) => s.kind === 'counter');
  assert.deepEqual(
    counters.map((s) => [s.tags.name, (s as { value: number }).value]).sort(),
    [['cart', 5], ['items', 3]],
  );
  assert.deepEqual(i0.series.find((s) => s.kind === 'rate'), { kind: 'rate', metric: CHECKS, tags: { check: 'ok' }, passes: 2, fails: 1 });
  assert.deepEqual(i0.series.find((s) => s.kind === 'gauge'), { kind: 'gauge', metric: VUS, tags: {}, value: 5, min: 3, max: 9 });
  assert.deepEqual(i0.errors, { 'Error: boom': 1, ECONNREFUSED: 3 });

  // The next interval starts empty: series without records are left out, nothing carries over.
  rec.count(HTTP_REQS, a, 7);
  const i1 = rec.flush(header(1));
  assert.deepEqual(i1.series, [{ kind: 'counter', metric: HTTP_REQS, tags: { method: 'GET', name: 'items' }, value: 7 }]);
  assert.deepEqual(i1.errors, {});
  assert.deepEqual(rec.flush(header(2)).series, []);
});

test('series handles record without lookups and stay valid across flushes', () => {
  const rec = new MetricsRecorder();
  const reqs = rec.series('counter', HTTP_REQS, { name: 'x' });
  const dur = rec.series('trend', HTTP_REQ_DURATION, { name: 'x' });
  for (let interval = 0; interval < 3; interval++) {
    for (let i = 0; i < 100 * (interval + 1); i++) {
      reqs.add(1);
      dur.record(1000 + i);
    }
    const data = rec.flush(header(interval));
    assert.equal((data.series.find((s) => s.kind === 'counter') as { value: number }).value, 100 * (interval + 1));
    assert.equal(trendOf(data, HTTP_REQ_DURATION, { name: 'x' }).totalCount, 100 * (interval + 1));
  }
  // Same series whichever way it is reached.
  rec.count(HTTP_REQS, { name: 'x' }, 1);
  reqs.add(1);
  assert.equal((rec.flush(header(3)).series[0] as { value: number }).value, 2);
});

test('a metric name keeps one kind: recording it as another kind is an OptionsError', () => {
  const rec = new MetricsRecorder();
  rec.trend('my_metric', {}, 5);
  assert.throws(() => rec.count('my_metric', { a: 'b' }, 1), OptionsError);
  assert.throws(() => rec.count(HTTP_REQ_DURATION, {}, 1), /http_req_duration.*expected a trend/);
});

test('a custom metric declared with isTime carries its unit through flush and merge', () => {
  const worker = (n: number) => {
    const rec = new MetricsRecorder();
    rec.series('trend', 'cart_to_order', { step: 'pay' }, 'time').record(12_000 * n);
    rec.series('trend', 'items_per_order', {}, 'default').record(3_000);
    rec.series('counter', 'wait_ms', {}, 'time').add(5);
    rec.series('gauge', 'queue_ms', {}, 'time').set(7);
    rec.count(HTTP_REQS, {}, 1);
    return rec.flush(header(0));
  };
  const unitOf = (data: IntervalData, metric: string) => (data.series.find((s) => s.metric === metric) as { contains?: string }).contains;
  const one = worker(1);
  assert.deepEqual(['cart_to_order', 'items_per_order', 'wait_ms', 'queue_ms', HTTP_REQS].map((m) => unitOf(one, m)), ['time', undefined, 'time', 'time', undefined]);
  const merged = mergeIntervals([worker(1), worker(2)]);
  assert.deepEqual(['cart_to_order', 'items_per_order', 'wait_ms', 'queue_ms'].map((m) => unitOf(merged, m)), ['time', undefined, 'time', 'time']);
  assert.equal(trendOf(merged, 'cart_to_order', { step: 'pay' }).totalCount, 2);
});

test('a metric name keeps one unit: declaring it again with another isTime is an OptionsError', () => {
  const rec = new MetricsRecorder();
  rec.series('trend', 'cart_to_order', {}, 'time');
  rec.series('trend', 'cart_to_order', { step: 'pay' }, 'time');
  assert.throws(() => rec.series('trend', 'cart_to_order', {}, 'default'), /metric "cart_to_order" isTime: got false; expected true/);
  assert.throws(() => rec.series('trend', HTTP_REQ_DURATION, {}, 'default'), /http_req_duration" isTime: got false; expected true/);
  assert.throws(() => rec.series('counter', 'data_sent', {}, 'time'), OptionsError);
});

test('merging interval histograms from several processes is exact', () => {
  const parts: IntervalData[] = [];
  const reference = createHistogram(64);
  for (let worker = 0; worker < 4; worker++) {
    const rec = new MetricsRecorder();
    for (const v of latencies(30_000, 100 + worker)) {
      rec.trend(HTTP_REQ_DURATION, { name: 'items' }, v);
      reference.recordValue(v);
    }
    parts.push(rec.flush(header(5)));
  }
  const merged = mergeIntervals(parts);
  const h = trendOf(merged, HTTP_REQ_DURATION, { name: 'items' });
  assert.equal(h.totalCount, 120_000);
  for (const p of PERCENTILES) assert.equal(h.getValueAtPercentile(p), reference.getValueAtPercentile(p), `p${p}`);
  assert.equal(h.mean, reference.mean);
});

test('mergeIntervals sums counters, rates, gauges, scheduler accounting and errors', () => {
  const mk = (worker: number) => {
    const rec = new MetricsRecorder();
    rec.count(HTTP_REQS, {}, 10 * worker);
    rec.count('data_sent', {}, 1000);
    if (worker === 2) rec.count('only_two', {}, 1);
    rec.rate(CHECKS, { check: 'ok' }, true);
    rec.rate(CHECKS, { check: 'ok' }, worker !== 1);
    rec.gauge('my_gauge', {}, worker);
    rec.error('ECONNRESET', worker);
    return rec.flush(header(3, { startMs: 3000 + worker, endMs: 4000 + worker, vus: worker, vusMax: 10, iterationsDue: 100, iterationsStarted: 90, iterationsDropped: 10, backlog: worker }));
  };
  const merged = mergeIntervals([mk(1), mk(2), mk(3)]);
  assert.equal(merged.index, 3);
  assert.equal(merged.startMs, 3001);
  assert.equal(merged.endMs, 4003);
  assert.deepEqual(
    [merged.vus, merged.vusMax, merged.iterationsDue, merged.iterationsStarted, merged.iterationsDropped, merged.backlog],
    [6, 30, 300, 270, 30, 6],
  );
  assert.deepEqual(merged.errors, { ECONNRESET: 6 });
  const find = (metric: string) => merged.series.find((s) => s.metric === metric);
  assert.equal((find(HTTP_REQS) as { value: number }).value, 60);
  assert.equal((find('data_sent') as { value: number }).value, 3000);
  assert.equal((find('only_two') as { value: number }).value, 1);
  assert.deepEqual(find(CHECKS), { kind: 'rate', metric: CHECKS, tags: { check: 'ok' }, passes: 5, fails: 1 });
  assert.deepEqual(find('my_gauge'), { kind: 'gauge', metric: 'my_gauge', tags: {}, value: 6, min: 6, max: 6 });
  assert.throws(() => mergeIntervals([mk(1), { ...mk(2), index: 4 }]), /different intervals/);
});

test('64-bit histograms keep counts beyond 2^32 through encode and decode', () => {
  const h = createHistogram(64);
  h.recordValueWithCount(1000, 2 ** 32 + 5);
  h.recordValueWithCount(5000, 10);
  const back = decodeHistogram(encodeHistogram(h));
  assert.equal(back.totalCount, 2 ** 32 + 15);
  assert.equal(back.getValueAtPercentile(50), 1000);
  assert.ok(back.maxValue >= 5000);
});

test('decodeSparse reads any HdrHistogram V2 encoding, and TrendCounts adds it exactly', async () => {
  const { build, encodeIntoCompressedBase64 } = await import('hdr-histogram-js');
  const values = latencies(20_000, 42);
  // hdr-histogram-js's own encoding of a small auto-resized histogram (another highest value).
  const small = build({ bitBucketSize: 32, numberOfSignificantValueDigits: 3 });
  const reference = createHistogram(64);
  for (const v of values) {
    small.recordValue(v);
    reference.recordValue(v);
  }
  const sum = new TrendCounts(64);
  const sparse = decodeSparse(encodeIntoCompressedBase64(small));
  assert.equal(sparse.total, values.length);
  sum.addSparse(sparse);
  sum.addSparse(sparse);
  for (const v of values) reference.recordValue(v);
  assert.equal(encodeHistogram(decodeHistogram(sum.encode())), encodeHistogram(reference));
  // Another precision falls back to the library decoder, with values re-bucketed.
  const twoDigits = build({ numberOfSignificantValueDigits: 2 });
  twoDigits.recordValueWithCount(1000, 5);
  assert.deepEqual(decodeSparse(encodeIntoCompressedBase64(twoDigits)).total, 5);
});

test('TrendCounts reads the same count, mean, min, max and percentiles as hdr-histogram-js', () => {
  const ps = [0, 0.1, 1, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 99.999, 100];
  for (const values of [latencies(100_000, 9), [0], [1], [3, 3, 3], [0, 0, 5, HIGHEST_MICROS], latencies(7, 1)]) {
    const counts = new TrendCounts(64);
    const reference = createHistogram(64);
    for (const v of values) {
      counts.record(v);
      reference.recordValue(v);
    }
    const mine = counts.read(ps);
    const theirs = readHistogram(reference, ps);
    assert.deepEqual(mine, theirs, JSON.stringify(values.slice(0, 5)));
    assert.equal(mine.count, reference.totalCount);
    assert.equal(mine.mean, reference.mean);
    ps.forEach((p, i) => assert.equal(mine.percentiles[i], reference.getValueAtPercentile(p), `p${p}`));
    assert.equal(mine.max, reference.getValueAtPercentile(100));
    assert.equal(mine.min, reference.getValueAtPercentile(0));
  }
  const empty = new TrendCounts(64).read([50]);
  assert.deepEqual(empty, { count: 0, mean: 0, min: 0, max: 0, percentiles: [0] });
});

test('small histograms are encoded as a stored zlib block that every decoder reads', async () => {
  const { inflateSync } = await import('node:zlib');
  for (const values of [[0], [1, 2, 3, 1500, 1500, 2600], latencies(300, 11), latencies(5000, 3)]) {
    const counts = new TrendCounts();
    const reference = createHistogram(32);
    for (const v of values) {
      counts.record(v);
      reference.recordValue(v);
    }
    const encoded = counts.encode();
    const outer = Buffer.from(encoded, 'base64');
    // zlib's own inflate checks the header and the Adler-32 of the stored block.
    assert.ok(inflateSync(new Uint8Array(outer.subarray(8))).length > 40);
    // hdr-histogram-js (pako) decodes it to the same histogram, and so does decodeSparse.
    assert.equal(encodeHistogram(decodeHistogram(encoded)), encodeHistogram(reference), `${values.length} values`);
    const sparse = decodeSparse(encoded);
    assert.equal(sparse.total, values.length);
    const back = new TrendCounts(64);
    back.addSparse(sparse);
    assert.deepEqual(back.read(PERCENTILES), counts.read(PERCENTILES));
  }
});

test('trend counts keep a few buckets as pairs, then grow an array only as far as their values need', () => {
  const counts = new TrendCounts();
  const length = () => (counts as unknown as { counts: Uint32Array }).counts.length;
  assert.equal(length(), 0);
  // Up to 16 distinct buckets: pairs, no counts array.
  for (let v = 0; v < 16; v++) counts.record(v * 100);
  counts.record(0);
  assert.equal(length(), 0);
  const sparseEncoded = counts.encode();
  // The 17th bucket moves them into an array just long enough (index 2500 → 4,096 counts).
  counts.record(2500);
  assert.equal(length(), 4096);
  const reference = createHistogram(32);
  for (let v = 0; v < 16; v++) reference.recordValue(v * 100);
  reference.recordValue(0);
  assert.equal(encodeHistogram(decodeHistogram(sparseEncoded)), encodeHistogram(reference), 'pairs encode as the counts would');
  reference.recordValue(2500);
  assert.equal(encodeHistogram(decodeHistogram(counts.encode())), encodeHistogram(reference));
  assert.deepEqual(counts.read(PERCENTILES), readHistogram(reference, PERCENTILES));
  counts.record(HIGHEST_MICROS);
  reference.recordValue(HIGHEST_MICROS);
  assert.equal(counts.read([100]).max, readHistogram(reference, [100]).max);
  // A busy interval keeps its array; a quiet one gives it back.
  counts.reset();
  assert.equal(counts.read([50]).count, 0);
  assert.ok(length() > 0, 'an interval of 19 values keeps the array');
  counts.record(1000);
  assert.equal(counts.read([50]).count, 1);
  counts.reset();
  assert.equal(length(), 0, 'an interval of at most 16 values gives it back');
  counts.record(7);
  assert.equal(length(), 0);
  assert.equal(decodeSparse(counts.encode()).total, 1);
});

test('mergeIntervals: requests in flight add up, the silence is the shortest among processes with requests waiting, unfinished work sums', () => {
  const part = (extra: Partial<IntervalData>): IntervalData => ({ ...new MetricsRecorder().flush(header(3)), ...extra });
  const merged = mergeIntervals([
    part({ inFlight: 10, noResponseMs: 7000, unfinished: { requests: 10, oldestMs: 7000, queuedIterations: 3 } }),
    part({ inFlight: 4, noResponseMs: 5500, unfinished: { requests: 4, oldestMs: 9000, queuedIterations: 0 } }),
    // Nothing waiting here: its long silence is no stall.
    part({ inFlight: 0, noResponseMs: 0 }),
  ]);
  assert.equal(merged.inFlight, 14);
  assert.equal(merged.noResponseMs, 5500);
  assert.deepEqual(merged.unfinished, { requests: 14, oldestMs: 9000, queuedIterations: 3 });
  const quiet = mergeIntervals([part({}), part({})]);
  assert.equal(quiet.inFlight, undefined);
  assert.equal(quiet.unfinished, undefined);
});

test('a flush lists only the series touched in its interval, in the order they were created', () => {
  const rec = new MetricsRecorder();
  const a = rec.series('counter', HTTP_REQS, { name: 'a' });
  const b = rec.series('trend', HTTP_REQ_DURATION, { name: 'b' });
  const c = rec.series('rate', CHECKS, { check: 'c' });
  c.add(true);
  a.add(1);
  a.add(2);
  const names = (i: IntervalData) => i.series.map((s) => `${s.metric}:${Object.values(s.tags)[0]}`);
  assert.deepEqual(names(rec.flush(header(0))), [`${HTTP_REQS}:a`, `${CHECKS}:c`]);
  b.record(5000);
  assert.deepEqual(names(rec.flush(header(1))), [`${HTTP_REQ_DURATION}:b`]);
  assert.deepEqual(rec.flush(header(2)).series, []);
  // Recording again after an idle interval lists a series again, once.
  c.add(false);
  c.add(false);
  b.record(7);
  const i3 = rec.flush(header(3));
  assert.deepEqual(names(i3), [`${HTTP_REQ_DURATION}:b`, `${CHECKS}:c`]);
  assert.deepEqual(i3.series[1], { kind: 'rate', metric: CHECKS, tags: { check: 'c' }, passes: 0, fails: 2 });
});

test('a flushed trend reads the same hist directly, through JSON, structuredClone and a spread copy', () => {
  const rec = new MetricsRecorder();
  const few = rec.series('trend', HTTP_REQ_DURATION, { name: 'few' });
  const many = rec.series('trend', HTTP_REQ_DURATION, { name: 'many' });
  const reference = { few: new TrendCounts(), many: new TrendCounts() };
  few.record(1200);
  reference.few.record(1200);
  for (const v of latencies(5000, 11)) {
    many.record(v);
    reference.many.record(v);
  }
  const interval = rec.flush(header(0));
  const expected = [reference.few.encode(), reference.many.encode()];
  assert.deepEqual(JSON.parse(JSON.stringify(interval)).series.map((s: { hist: string }) => s.hist), expected);
  assert.deepEqual(structuredClone(interval).series.map((s) => (s as { hist: string }).hist), expected);
  assert.deepEqual(interval.series.map((s) => ({ ...s })), JSON.parse(JSON.stringify(interval.series)));
  assert.deepEqual(Object.keys(interval.series[0]), ['kind', 'metric', 'tags', 'hist']);
  // The series recorded on meanwhile: the interval's encoding does not change.
  many.record(3_000_000);
  assert.equal((interval.series[1] as { hist: string }).hist, expected[1]);
  assert.equal(decodeSparse((rec.flush(header(1)).series[0] as { hist: string }).hist).total, 1);
  // Assigning hist (as a merge does on its copies) replaces it.
  const s = interval.series[0] as { hist: string };
  s.hist = expected[1];
  assert.equal(s.hist, expected[1]);
  assert.equal(JSON.parse(JSON.stringify(s)).hist, expected[1]);
});

test('a flush read in slices: records made meanwhile belong to the next interval, and a new flush completes the old one first', () => {
  const rec = new MetricsRecorder();
  const trends = Array.from({ length: 5 }, (_, i) => rec.series('trend', HTTP_REQ_DURATION, { name: `n${i}` }));
  const reqs = rec.series('counter', HTTP_REQS, {});
  for (const t of trends) t.record(1000);
  reqs.add(5);
  const job = rec.beginFlush(header(0));
  // Recorded after the interval ended, before its trends were read: the next interval's.
  trends[4].record(2000);
  reqs.add(1);
  assert.equal(job.step(2), false);
  assert.equal(job.step(2), false);
  trends[0].record(3000);
  assert.equal(job.step(2), true);
  const totals = (i: IntervalData) => i.series.map((s) => (s.kind === 'trend' ? decodeSparse(s.hist).total : s.kind === 'counter' ? s.value : -1));
  assert.deepEqual(totals(job.interval), [1, 1, 1, 1, 1, 5]);
  assert.equal(trendOf(job.interval, HTTP_REQ_DURATION, { name: 'n4' }).maxValue < 1100, true);

  const second = rec.beginFlush(header(1));
  trends[1].record(4000);
  // Not stepped to the end: the next flush reads it whole before taking its own interval.
  const third = rec.beginFlush(header(2));
  assert.deepEqual(totals(second.interval), [1, 1, 1]);
  assert.equal(third.step(Infinity), true);
  assert.deepEqual(totals(third.interval), [1]);
  assert.equal(rec.flush(header(3)).series.length, 0);
});

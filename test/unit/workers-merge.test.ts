import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntervalData } from '../../src/engine/types';
import { HTTP_REQ_DURATION, HTTP_REQS, MetricsRecorder } from '../../src/engine/metrics';
import { IntervalMerger, defaultWorkerCount } from '../../src/runner/workers';
import { header, latencies, trendOf } from './helpers/metrics-data';

function counter(interval: IntervalData, metric: string): number {
  return interval.series.filter((x) => x.kind === 'counter' && x.metric === metric).reduce((a, s) => a + (s as { value: number }).value, 0);
}

function collect(workers: number, graceMs = 1000) {
  let now = 0;
  const emitted: Array<{ interval: IntervalData; parts: number; missing: number[] }> = [];
  const merger = new IntervalMerger({ workers, graceMs, now: () => now, emit: (interval, info) => emitted.push({ interval, ...info }) });
  return { merger, emitted, advance: (ms: number) => { now += ms; } };
}

test('percentiles merged across 3 workers equal those of one histogram fed every value', () => {
  const tags = { name: 'items' };
  const single = new MetricsRecorder();
  const perWorker = [new MetricsRecorder(), new MetricsRecorder(), new MetricsRecorder()];
  const values = latencies(90_000, 42);
  values.forEach((v, i) => {
    single.trend(HTTP_REQ_DURATION, tags, v);
    single.count(HTTP_REQS, tags, 1);
    // Uneven split, as striped segments of an uneven sequence would give.
    const w = i % 7 < 4 ? 0 : i % 7 < 6 ? 1 : 2;
    perWorker[w].trend(HTTP_REQ_DURATION, { ...tags }, v);
    perWorker[w].count(HTTP_REQS, { ...tags }, 1);
  });
  const { merger, emitted } = collect(3);
  perWorker.forEach((rec, w) => merger.add(w, rec.flush(header(0, { iterationsStarted: 10 + w, errors: { ECONNRESET: w } }))));
  assert.equal(emitted.length, 1, 'closed as soon as every worker reported');
  const merged = emitted[0].interval;
  const reference = trendOf(single.flush(header(0)), HTTP_REQ_DURATION, tags);
  const h = trendOf(merged, HTTP_REQ_DURATION, tags);
  assert.equal(h.totalCount, values.length);
  for (const p of [0, 1, 25, 50, 75, 90, 95, 99, 99.9, 99.99, 100]) {
    assert.equal(h.getValueAtPercentile(p), reference.getValueAtPercentile(p), `p(${p})`);
  }
  assert.equal(h.mean, reference.mean);
  assert.equal(counter(merged, HTTP_REQS), values.length);
  assert.equal(merged.iterationsStarted, 33);
  assert.deepEqual(merged.errors, { ECONNRESET: 3 });
});

test('intervals are emitted in order, each once every live worker reported it', () => {
  const { merger, emitted } = collect(2);
  merger.add(0, new MetricsRecorder().flush(header(0)));
  merger.add(0, new MetricsRecorder().flush(header(1)));
  assert.equal(emitted.length, 0, 'worker 1 has reported nothing yet');
  merger.add(1, new MetricsRecorder().flush(header(1)));
  assert.equal(emitted.length, 0, 'interval 0 still waits for worker 1, and 1 waits behind it');
  merger.add(1, new MetricsRecorder().flush(header(0)));
  assert.deepEqual(emitted.map((e) => e.interval.index), [0, 1]);
  assert.deepEqual(emitted.map((e) => e.parts), [2, 2]);
});

test('a dead worker cannot hold an interval open: retire() or the grace timer closes it', () => {
  const { merger, emitted, advance } = collect(3, 1000);
  const rec = () => { const r = new MetricsRecorder(); r.count(HTTP_REQS, {}, 5); return r; };
  merger.add(0, rec().flush(header(0)));
  merger.add(1, rec().flush(header(0)));
  advance(999);
  merger.tick();
  assert.equal(emitted.length, 0, 'still within the grace period');
  advance(1);
  merger.tick();
  assert.equal(emitted.length, 1);
  assert.deepEqual(emitted[0].missing, [2]);
  assert.equal(counter(emitted[0].interval, HTTP_REQS), 10);
  // Worker 2's part arrives late: folded into the next interval, so the total stays exact.
  merger.add(2, rec().flush(header(0)));
  assert.equal(merger.lateParts, 1);
  merger.retire(2);
  merger.add(0, rec().flush(header(1)));
  merger.add(1, rec().flush(header(1)));
  assert.equal(emitted.length, 2, 'worker 2 retired: interval 1 closes with the two live workers');
  assert.equal(emitted[1].interval.index, 1);
  assert.equal(counter(emitted[1].interval, HTTP_REQS), 15);
});

test('flush() emits what is pending at the end, late parts included', () => {
  const { merger, emitted, advance } = collect(2, 10);
  const rec = () => { const r = new MetricsRecorder(); r.count(HTTP_REQS, {}, 1); return r; };
  merger.add(0, rec().flush(header(0)));
  advance(10);
  merger.tick();
  merger.add(1, rec().flush(header(0)));
  merger.add(0, rec().flush(header(1)));
  merger.flush();
  assert.deepEqual(emitted.map((e) => e.interval.index), [0, 1]);
  assert.equal(emitted.reduce((a, e) => a + counter(e.interval, HTTP_REQS), 0), 3);
});

test('the default worker count leaves a core free, and is at least 1', () => {
  assert.equal(defaultWorkerCount(1), 1);
  assert.equal(defaultWorkerCount(2), 1);
  assert.equal(defaultWorkerCount(8), 7);
});

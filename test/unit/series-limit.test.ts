// The series limit: a metric keeps at most maxSeriesPerMetric tag sets; further ones fold into
// one overflow series (varying tags read __overflow__), with one note for the run's warning,
// and totals (and untagged thresholds) stay exact.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IntervalData, SeriesLimitNote } from '../../src/engine/types';
import {
  HTTP_REQ_DURATION,
  HTTP_REQS,
  MAX_SERIES_PER_METRIC,
  MetricsRecorder,
  OVERFLOW_TAG_VALUE,
  describeSeriesLimit,
  mergeIntervals,
} from '../../src/engine/metrics';
import { RunAggregate } from '../../src/engine/aggregate';
import { header } from './helpers/metrics-data';

const LIMIT = 10;

/** Records `n` requests to `name` with the given status into a count and a trend. */
function request(rec: MetricsRecorder, name: string, status = '200', n = 1): void {
  const tags = { scenario: 'shop', name, method: 'GET', status };
  for (let i = 0; i < n; i++) {
    rec.count(HTTP_REQS, tags, 1);
    rec.trend(HTTP_REQ_DURATION, tags, 1000 + i);
  }
}

function notes(intervals: IntervalData[]): SeriesLimitNote[] {
  return intervals.flatMap((i) => (i.seriesLimit ? [i.seriesLimit] : []));
}

test('the default limit is the documented 1,000 tag sets per metric', () => {
  assert.equal(MAX_SERIES_PER_METRIC, 1000);
  assert.equal(new MetricsRecorder().maxSeriesPerMetric, 1000);
});

test('beyond the limit, new tag sets fold into one overflow series per metric; totals stay exact', () => {
  const rec = new MetricsRecorder({ maxSeriesPerMetric: LIMIT });
  const intervals: IntervalData[] = [];
  // Interval 0: the limit's worth of names, /items/3 the busiest, /items/7 next.
  for (let i = 0; i < LIMIT; i++) request(rec, `/items/${i}`, '200', i === 3 ? 5 : i === 7 ? 3 : 1);
  intervals.push(rec.flush(header(0)));
  assert.equal(rec.isFull(HTTP_REQS), true);
  // Interval 1: 40 new names (two requests each), some of them 500s; and a known name again.
  for (let i = LIMIT; i < LIMIT + 40; i++) request(rec, `/items/${i}`, i % 4 === 0 ? '500' : '200', 2);
  request(rec, '/items/3');
  intervals.push(rec.flush(header(1)));
  // Interval 2: more new names; nothing new to warn about.
  for (let i = 100; i < 120; i++) request(rec, `/items/${i}`);
  intervals.push(rec.flush(header(2)));

  for (const metric of [HTTP_REQS, HTTP_REQ_DURATION]) {
    const tagSets = new Set(intervals.flatMap((iv) => iv.series.filter((s) => s.metric === metric).map((s) => JSON.stringify(s.tags))));
    // The limit, plus the overflow series (whose tags widened once a 500 was folded in).
    const kept = [...tagSets].filter((t) => !t.includes(OVERFLOW_TAG_VALUE));
    assert.equal(kept.length, LIMIT, metric);
    const folded = intervals.flatMap((iv) => iv.series.filter((s) => s.metric === metric && JSON.stringify(s.tags).includes(OVERFLOW_TAG_VALUE)));
    assert.equal(folded.length, 2, `${metric}: one overflow series in each of intervals 1 and 2`);
    // In any one interval: at most limit + 1 series of the metric.
    for (const iv of intervals) assert.ok(iv.series.filter((s) => s.metric === metric).length <= LIMIT + 1);
  }

  // The overflow series: name folded, method and scenario kept; status too until a 500 came.
  const overflow = intervals.map((iv) => iv.series.find((s) => s.metric === HTTP_REQS && s.tags.name === OVERFLOW_TAG_VALUE)?.tags);
  assert.equal(overflow[0], undefined);
  assert.deepEqual(overflow[1], { scenario: 'shop', name: OVERFLOW_TAG_VALUE, method: 'GET', status: OVERFLOW_TAG_VALUE });
  assert.deepEqual(overflow[2], overflow[1]);

  // Exactly one note, in the interval of the first fold: the tag that varies, its busiest values.
  const all = notes(intervals);
  assert.equal(all.length, 1);
  assert.ok(intervals[1].seriesLimit);
  assert.equal(all[0].metric, HTTP_REQS);
  assert.equal(all[0].limit, LIMIT);
  assert.equal(all[0].tag, 'name');
  assert.equal(all[0].distinct, LIMIT);
  assert.deepEqual(all[0].top.slice(0, 2), [['/items/3', 5], ['/items/7', 3]]);
  const message = describeSeriesLimit(all[0]);
  assert.match(message, /http_reqs reached 10 distinct tag sets/);
  assert.match(message, /tag "name" has 10 distinct values \(top: "\/items\/3" \(5\), "\/items\/7" \(3\)/);
  assert.match(message, /name="__overflow__"/);
  assert.match(message, /url`\/items\/\$\{id\}`/);

  // Totals: every request counted, in its own series or the overflow one.
  const total = (iv: IntervalData[]) => iv.flatMap((i) => i.series).reduce((n, s) => n + (s.kind === 'counter' && s.metric === HTTP_REQS ? s.value : 0), 0);
  assert.equal(total(intervals), 5 + 3 + 8 + 80 + 1 + 20);
});

test('untagged thresholds stay exact and the summary says how much folded', () => {
  const rec = new MetricsRecorder({ maxSeriesPerMetric: LIMIT });
  const agg = new RunAggregate({
    scenario: 'shop',
    file: 'shop.load.ts',
    model: 'open',
    plannedMs: 2000,
    thresholds: { http_reqs: ['count == 60'], http_req_duration: ['max < 1.06'], 'http_reqs{name:/items/0}': ['count == 1'] },
  });
  for (let i = 0; i < 30; i++) request(rec, `/items/${i}`);
  agg.add(rec.flush(header(0)));
  for (let i = 30; i < 60; i++) request(rec, `/items/${i}`);
  agg.add(rec.flush(header(1)));
  const summary = agg.summary('completed', 2000);
  assert.equal(summary.metrics.http_reqs.values.count, 60);
  assert.equal(summary.metrics.http_req_duration.values.count, 60);
  assert.deepEqual(summary.thresholds.map((t) => t.ok), [true, true, true]);
  const note = summary.notes.find((n) => n.startsWith('Series limit'));
  assert.ok(note, summary.notes.join('\n'));
  assert.match(note!, /http_reqs 50 of 60 \(83\.3 %\)/);
  assert.match(note!, /http_req_duration 50 of 60/);
});

test('workers: merged intervals keep a series-limit note, and the overflow series merge by their tags', () => {
  const parts = [0, 1].map(() => {
    const rec = new MetricsRecorder({ maxSeriesPerMetric: 2 });
    for (let i = 0; i < 5; i++) request(rec, `/items/${i}`);
    return rec.flush(header(0));
  });
  const merged = mergeIntervals(parts);
  assert.equal(merged.seriesLimit?.tag, 'name');
  const reqs = merged.series.filter((s) => s.metric === HTTP_REQS);
  assert.equal(reqs.length, 3);
  assert.equal(reqs.reduce((n, s) => n + (s.kind === 'counter' ? s.value : 0), 0), 10);
});

test('custom metrics are bounded too', () => {
  const rec = new MetricsRecorder({ maxSeriesPerMetric: 3 });
  for (let i = 0; i < 10; i++) rec.series('counter', 'orders', { sku: `sku-${i}` }).add(2);
  const iv = rec.flush(header(0));
  assert.equal(iv.series.length, 4);
  assert.deepEqual(iv.series.at(-1), { kind: 'counter', metric: 'orders', tags: { sku: OVERFLOW_TAG_VALUE }, value: 14 });
  assert.equal(iv.seriesLimit?.metric, 'orders');
  assert.equal(iv.seriesLimit?.tag, 'sku');
});

test('a flush read in slices keeps the overflow tags of its interval, however a later fold narrows them', () => {
  const rec = new MetricsRecorder({ maxSeriesPerMetric: 1 });
  rec.trend(HTTP_REQ_DURATION, { name: 'a', method: 'GET' }, 1000);
  rec.trend(HTTP_REQ_DURATION, { name: 'b', method: 'GET' }, 2000);
  const job = rec.beginFlush(header(0));
  // Recorded after the interval ended: folds a tag set that differs in method too.
  rec.trend(HTTP_REQ_DURATION, { name: 'c', method: 'POST' }, 3000);
  assert.equal(job.step(Infinity), true);
  assert.deepEqual(job.interval.series.map((s) => s.tags), [{ name: 'a', method: 'GET' }, { name: OVERFLOW_TAG_VALUE, method: 'GET' }]);
  assert.deepEqual(rec.flush(header(1)).series.map((s) => s.tags), [{ name: OVERFLOW_TAG_VALUE, method: OVERFLOW_TAG_VALUE }]);
});

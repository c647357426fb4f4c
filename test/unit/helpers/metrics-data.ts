// Shared test data for the metrics unit tests: synthetic latencies, interval headers, and reading
// a trend back out of an interval. Not a test file itself (scripts/test.mjs runs *.test.ts only).

import assert from 'node:assert/strict';
import type { IntervalData } from '../../../src/engine/types';
import { decodeHistogram, tagsKey, type Histogram, type IntervalHeader } from '../../../src/engine/metrics';

/**
 * Deterministic pseudo-random latencies in µs (xorshift): mostly fast, a long tail up to a few
 * seconds, so percentiles from p(0) to p(99.99) fall in different histogram buckets.
 */
export function latencies(n: number, seed: number): number[] {
  let x = seed >>> 0 || 1;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    const u = x / 2 ** 32;
    out.push(Math.round(Math.exp(u * u * 15)));
  }
  return out;
}

/** The header of one-second interval `index`, all counts 0 unless `extra` sets them. */
export function header(index: number, extra: Partial<IntervalHeader> = {}): IntervalHeader {
  return { index, startMs: index * 1000, endMs: (index + 1) * 1000, vus: 0, vusMax: 0, iterationsDue: 0, iterationsStarted: 0, iterationsDropped: 0, backlog: 0, ...extra };
}

/** The histogram of one trend series of `interval` (fails the test when it is missing). */
export function trendOf(interval: IntervalData, metric: string, tags: Record<string, string> = {}): Histogram {
  const s = interval.series.find((x) => x.kind === 'trend' && x.metric === metric && tagsKey(x.tags) === tagsKey(tags));
  assert.ok(s && s.kind === 'trend', `no trend ${metric} ${JSON.stringify(tags)}`);
  return decodeHistogram(s.hist);
}

// Exact merge of the same interval reported by several worker processes (or machines).

import type { EncodedSeries, IntervalData } from '../types';
import { TrendCounts, decodeSparse } from './hdr';
import { tagsKey } from './recorder';

/**
 * Merges parts of one interval (same index) into one. The rules:
 * - trends: histograms added (exact: the merged percentiles are those of one histogram fed
 *   every value);
 * - counters: summed; rates: passes and fails summed;
 * - gauges: summed (value, min and max each), because every gauge Loadlens records is a
 *   per-process share of a whole (VUs, like vus/vus_max). The summed min/max are bounds: each
 *   process's extreme need not happen at the same instant;
 * - vus, vusMax, vusMin/vusPeak (bounds, as gauges), iterationsDue/Started/Dropped, backlog
 *   and errors by kind: summed;
 * - index from the parts (they must agree), startMs the earliest, endMs the latest;
 * - a series' unit (`contains`, custom metrics declared with isTime) kept;
 * - a series-limit note: the first part's (each process warns of its own first overflow; the
 *   runner warns once per run).
 */
export function mergeIntervals(parts: IntervalData[]): IntervalData {
  if (parts.length === 0) throw new Error('mergeIntervals: no parts to merge');
  if (parts.length === 1) return parts[0];
  const index = parts[0].index;
  for (const p of parts) {
    if (p.index !== index) throw new Error(`mergeIntervals: parts of different intervals (${index} and ${p.index})`);
  }
  const merged: IntervalData = {
    index,
    startMs: Math.min(...parts.map((p) => p.startMs)),
    endMs: Math.max(...parts.map((p) => p.endMs)),
    series: [],
    vus: 0,
    vusMax: 0,
    iterationsDue: 0,
    iterationsStarted: 0,
    iterationsDropped: 0,
    backlog: 0,
    errors: {},
  };
  const series = new Map<string, EncodedSeries>();
  /** Every part's encoded histogram of the trends that more than one part reported. */
  const trendParts = new Map<string, string[]>();
  let vusMin = 0;
  let vusPeak = 0;
  let inFlight = 0;
  let noResponseMs = -1;
  let unfinished: IntervalData['unfinished'];
  for (const p of parts) {
    // Requests in flight add up; the warning's time is the least of those with requests waiting
    // (a response anywhere counts).
    inFlight += p.inFlight ?? 0;
    if ((p.inFlight ?? 0) > 0) noResponseMs = noResponseMs < 0 ? (p.noResponseMs ?? 0) : Math.min(noResponseMs, p.noResponseMs ?? 0);
    if (p.unfinished !== undefined) {
      const u = (unfinished ??= { requests: 0, oldestMs: 0, queuedIterations: 0 });
      u.requests += p.unfinished.requests;
      u.oldestMs = Math.max(u.oldestMs, p.unfinished.oldestMs);
      u.queuedIterations += p.unfinished.queuedIterations;
    }
    merged.vus += p.vus;
    merged.vusMax += p.vusMax;
    vusMin += p.vusMin ?? p.vus;
    vusPeak += p.vusPeak ?? p.vus;
    merged.iterationsDue += p.iterationsDue;
    merged.iterationsStarted += p.iterationsStarted;
    merged.iterationsDropped += p.iterationsDropped;
    merged.backlog += p.backlog;
    for (const [kind, n] of Object.entries(p.errors)) merged.errors[kind] = (merged.errors[kind] ?? 0) + n;
    for (const s of p.series) {
      const key = seriesKey(s.kind, s.metric, s.tags);
      const into = series.get(key);
      if (into === undefined) {
        series.set(key, { ...s });
        continue;
      }
      mergeSeriesInto(into, s, key, trendParts);
    }
  }
  // One reused 64-bit counts array for all of them: no 188 kB allocation per series.
  const sum = (sharedSum ??= new TrendCounts(64));
  for (const [key, encoded] of trendParts) {
    sum.reset();
    for (const e of encoded) sum.addSparse(decodeSparse(e));
    (series.get(key) as Extract<EncodedSeries, { kind: 'trend' }>).hist = sum.encode();
  }
  merged.vusMin = vusMin;
  merged.vusPeak = vusPeak;
  if (parts.some((p) => p.inFlight !== undefined)) {
    merged.inFlight = inFlight;
    merged.noResponseMs = Math.max(0, noResponseMs);
  }
  if (unfinished !== undefined) merged.unfinished = unfinished;
  merged.series = [...series.values()];
  const note = parts.find((p) => p.seriesLimit !== undefined)?.seriesLimit;
  if (note !== undefined) merged.seriesLimit = note;
  return merged;
}

/** Identity of a series across processes: kind, metric and tag set. */
export function seriesKey(kind: string, metric: string, tags: EncodedSeries['tags']): string {
  return kind + '\u0002' + metric + '\u0002' + tagsKey(tags);
}

let sharedSum: TrendCounts | undefined;
let sharedCheck: TrendCounts | undefined;

/**
 * Throws unless `encoded` is a histogram that mergeIntervals can add: decoded and added once, as
 * the merge does (a record from another machine is checked with this before it is merged).
 */
export function checkMergeable(encoded: string): void {
  const sum = (sharedCheck ??= new TrendCounts(64));
  sum.reset();
  sum.addSparse(decodeSparse(encoded));
}

function mergeSeriesInto(into: EncodedSeries, s: EncodedSeries, key: string, trendParts: Map<string, string[]>): void {
  // A custom metric's unit (isTime), from whichever part carries it.
  if (into.kind !== 'rate' && s.kind !== 'rate' && s.contains !== undefined) into.contains ??= s.contains;
  switch (into.kind) {
    case 'trend': {
      const list = trendParts.get(key);
      if (list === undefined) trendParts.set(key, [into.hist, (s as typeof into).hist]);
      else list.push((s as typeof into).hist);
      break;
    }
    case 'counter':
      into.value += (s as typeof into).value;
      break;
    case 'rate':
      into.passes += (s as typeof into).passes;
      into.fails += (s as typeof into).fails;
      break;
    case 'gauge': {
      const g = s as typeof into;
      into.value += g.value;
      into.min += g.min;
      into.max += g.max;
      break;
    }
  }
}

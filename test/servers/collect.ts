// Test helper: runs a scenario with runScenario and sums what its intervals carried, as a
// user reading the summary would see it.

import { resolveLoad, runScenario, type RunResult, type RunScenarioOptions } from '../../src/engine/run';
import { scenario } from '../../src/engine/api';
import type { EncodedSeries, IntervalData, ScenarioOptions, Tags } from '../../src/engine/types';
import { createHistogram, decodeHistogram, type Histogram } from '../../src/engine/metrics/hdr';

function matches(tags: Tags, filter: Tags | undefined): boolean {
  if (!filter) return true;
  for (const k in filter) if (tags[k] !== filter[k]) return false;
  return true;
}

export class Totals {
  constructor(readonly intervals: IntervalData[]) {}

  private series<K extends EncodedSeries['kind']>(kind: K, metric: string, filter?: Tags): Extract<EncodedSeries, { kind: K }>[] {
    return this.intervals.flatMap((i) => i.series).filter((s): s is Extract<EncodedSeries, { kind: K }> => s.kind === kind && s.metric === metric && matches(s.tags, filter));
  }

  count(metric: string, filter?: Tags): number {
    return this.series('counter', metric, filter).reduce((n, s) => n + s.value, 0);
  }

  rate(metric: string, filter?: Tags): { passes: number; fails: number } {
    const out = { passes: 0, fails: 0 };
    for (const s of this.series('rate', metric, filter)) {
      out.passes += s.passes;
      out.fails += s.fails;
    }
    return out;
  }

  /** The merged histogram of a trend (microseconds). */
  hist(metric: string, filter?: Tags): Histogram {
    const h = createHistogram(64);
    for (const s of this.series('trend', metric, filter)) h.add(decodeHistogram(s.hist));
    return h;
  }

  /** Percentile of a trend in ms. */
  ms(metric: string, p: number, filter?: Tags): number {
    return this.hist(metric, filter).getValueAtPercentile(p) / 1000;
  }

  /** Every distinct tag set a metric was recorded with. */
  tagSets(metric: string): Tags[] {
    const seen = new Map<string, Tags>();
    for (const s of this.intervals.flatMap((i) => i.series)) if (s.metric === metric) seen.set(JSON.stringify(s.tags), s.tags);
    return [...seen.values()];
  }

  get due(): number {
    return this.intervals.reduce((n, i) => n + i.iterationsDue, 0);
  }
  get started(): number {
    return this.intervals.reduce((n, i) => n + i.iterationsStarted, 0);
  }
  get dropped(): number {
    return this.intervals.reduce((n, i) => n + i.iterationsDropped, 0);
  }
  get errors(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const i of this.intervals) for (const [k, n] of Object.entries(i.errors)) out[k] = (out[k] ?? 0) + n;
    return out;
  }
}

export interface Collected {
  result: RunResult;
  totals: Totals;
  iterationErrors: Array<{ err: unknown; count: number }>;
}

/** Runs `options` as a scenario named 'test' and collects every interval. */
export async function runCollect<D>(
  options: ScenarioOptions<D>,
  extra: Partial<Omit<RunScenarioOptions, 'def' | 'onInterval' | 'onIterationError'>> = {},
): Promise<Collected> {
  const intervals: IntervalData[] = [];
  const iterationErrors: Collected['iterationErrors'] = [];
  const result = await runScenario({
    name: 'test',
    file: 'test.load.ts',
    signal: new AbortController().signal,
    load: resolveLoad(options.load, {}),
    ...extra,
    def: scenario(options) as never,
    onInterval: (i) => intervals.push(i),
    onIterationError: (err, count) => iterationErrors.push({ err, count }),
  });
  return { result, totals: new Totals(intervals), iterationErrors };
}

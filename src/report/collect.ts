// What a report needs beyond the summary, collected from a run's intervals as they are merged
// (by the runner, or replayed from an --out file): the per-second series with the offered load,
// p95 and the generator's health, and per-endpoint totals (method + `name` tag) with the request
// phases. Memory is flat: the series is bounded by appendPoint, endpoints by MAX_ENDPOINTS.

import type { EncodedSeries, IntervalData, LiveStats } from '../engine/types';
import { TrendCounts, sparseSumMax } from '../engine/metrics/hdr';
import { OVERFLOW_TAG_VALUE, decodedCounts } from '../engine/metrics/recorder';
import {
  GENERATOR_CPU, GENERATOR_EVENT_LOOP_DELAY, HTTP_PHASE_METRICS, HTTP_REQ_DURATION, HTTP_REQ_FAILED, HTTP_REQS,
} from '../engine/metrics/names';
import { appendPoint, seriesPointOf, type SeriesPoint } from '../view-model/reducers';

/**
 * Endpoints tracked one by one (one latency histogram each, up to ~100 kB for second-long
 * latencies); the rest are pooled in one row.
 */
export const MAX_ENDPOINTS = 100;
/** The pooled row's name: names beyond MAX_ENDPOINTS, or beyond the engine's series limit. */
export const OTHER_ENDPOINTS = '(other names)';

// The saved-run format's types live with it (the page reads saved runs, and bundles no Node code).
import type { EndpointStats, Phase, RunDetails } from '../view-model/messages';
export type { EndpointStats, Phase, RunDetails };
export const PHASES: readonly Phase[] = ['blocked', 'connecting', 'tls', 'sending', 'waiting', 'receiving'];
/** HTTP_PHASE_METRICS in PHASES order. */
const PHASE_OF_METRIC = new Map<string, Phase>(HTTP_PHASE_METRICS.map((m, i) => [m, PHASES[i]]));


class EndpointAcc {
  requests = 0;
  failed = 0;
  readonly duration = new TrendCounts(64);
  /** Per phase, the sum (µs) and count of its values: only the mean is shown, so no histogram. */
  readonly phases = new Map<Phase, { sum: number; count: number }>();
  constructor(readonly method: string, readonly name: string) {}
}


export class DetailsCollector {
  private series: SeriesPoint[] = [];
  private bucket = 1;
  private readonly endpoints = new Map<string, EndpointAcc>();
  /** This interval's latency, all tag sets merged (reused). */
  private readonly latency = new TrendCounts(64);

  /** Adds one merged interval, with the live figures the aggregate computed after adding it. */
  add(interval: IntervalData, live: LiveStats): void {
    this.latency.reset();
    let eventLoopDelay: number | undefined;
    let cpu: number | undefined;
    let failed = 0;
    for (const s of interval.series) {
      if (s.kind === 'trend') {
        if (s.metric === HTTP_REQ_DURATION) {
          const counts = decodedCounts(s);
          this.latency.addSparse(counts);
          this.endpoint(s.tags).duration.addSparse(counts);
        } else if (s.metric === GENERATOR_EVENT_LOOP_DELAY || s.metric === GENERATOR_CPU) {
          // One value per process: the worst process is the one that limited the run.
          const max = readMax(s);
          if (s.metric === GENERATOR_CPU) cpu = Math.max(cpu ?? 0, max);
          else eventLoopDelay = Math.max(eventLoopDelay ?? 0, max);
        } else {
          const phase = PHASE_OF_METRIC.get(s.metric);
          if (phase !== undefined) {
            const acc = this.endpoint(s.tags);
            let total = acc.phases.get(phase);
            if (total === undefined) acc.phases.set(phase, (total = { sum: 0, count: 0 }));
            const counts = decodedCounts(s);
            total.sum += sparseSumMax(counts).sum;
            total.count += counts.total;
          }
        }
      } else if (s.kind === 'counter' && s.metric === HTTP_REQS) this.endpoint(s.tags).requests += s.value;
      else if (s.kind === 'rate' && s.metric === HTTP_REQ_FAILED) {
        this.endpoint(s.tags).failed += s.passes;
        failed += s.passes;
      }
    }
    const seconds = Math.max(interval.endMs - interval.startMs, 1) / 1000;
    const point: SeriesPoint = {
      ...seriesPointOf({ second: interval.index, dropped: interval.iterationsDropped, live }),
      p95: this.latency.total > 0 ? this.latency.read([95]).percentiles[0] / 1000 : 0,
      due: interval.iterationsDue / seconds,
      failedPerSec: failed / seconds,
      ...(eventLoopDelay !== undefined ? { eventLoopDelay } : {}),
      ...(cpu !== undefined ? { cpu } : {}),
    };
    ({ series: this.series, bucket: this.bucket } = appendPoint(this.series, this.bucket, point));
  }

  private endpoint(tags: Record<string, string>): EndpointAcc {
    const folded = Object.values(tags).includes(OVERFLOW_TAG_VALUE);
    let method = folded ? '' : (tags.method ?? '');
    let name = folded ? OTHER_ENDPOINTS : (tags.name ?? '(unnamed)');
    let key = `${method} ${name}`;
    if (!this.endpoints.has(key) && this.endpoints.size >= MAX_ENDPOINTS) {
      method = '';
      name = OTHER_ENDPOINTS;
      key = ` ${name}`;
    }
    let acc = this.endpoints.get(key);
    if (acc === undefined) this.endpoints.set(key, (acc = new EndpointAcc(method, name)));
    return acc;
  }

  details(): RunDetails {
    const endpoints = [...this.endpoints.values()].filter((e) => e.requests > 0 || e.duration.total > 0).map((e): EndpointStats => {
      const r = e.duration.read([50, 95, 99]);
      const phases = Object.fromEntries(PHASES.map((p) => {
        const t = e.phases.get(p);
        return [p, t && t.count > 0 ? t.sum / t.count / 1000 : 0];
      })) as Record<Phase, number>;
      return {
        method: e.method, name: e.name, requests: e.requests || r.count, failed: e.failed,
        avg: r.mean / 1000, p50: r.percentiles[0] / 1000, p95: r.percentiles[1] / 1000, p99: r.percentiles[2] / 1000,
        max: r.max / 1000, totalMs: (r.mean * r.count) / 1000, phases,
      };
    });
    endpoints.sort((a, b) => b.totalMs - a.totalMs);
    return { series: this.series, bucket: this.bucket, endpoints };
  }
}

/** The largest value of a trend series, in its unit (ms for time; the generator's CPU in %). */
function readMax(s: Extract<EncodedSeries, { kind: 'trend' }>): number {
  return sparseSumMax(decodedCounts(s)).max / 1000;
}

// The bottleneck analysis of a finished run: short findings with the figures behind them, from
// the summary and the run's details (per-second series, endpoints). Pure functions: unit-tested
// on made-up series, and against a real server of known capacity (test/integration/report-*.ts).

import type { SummaryData } from '../engine/types';
import { generatorHealth, healthIssueText, type GeneratorHealth } from '../engine/health';
import { HTTP_REQS, ITERATIONS } from '../engine/metrics/names';
import { formatClock, formatCount, formatMs, formatPercent } from '../presentation/format';
import type { SeriesPoint } from '../view-model/reducers';
import { PHASES, type EndpointStats, type Phase, type RunDetails } from './collect';

export type Severity = 'good' | 'info' | 'warn' | 'bad';

export interface Finding {
  kind: 'no-requests' | 'time' | 'errors' | 'phase' | 'saturation' | 'errors-start' | 'generator';
  severity: Severity;
  /** One sentence with its figures. */
  text: string;
}

export interface Saturation {
  /** Requests/s the target sustained once saturated (median over the saturated seconds). */
  capacityRps: number;
  /** p95 (ms) in the last second before the knee in which throughput kept up with the offered load. */
  p95Ms: number;
  /** The first saturated second (elapsed seconds). */
  atSecond: number;
  /** Offered requests/s at that second. */
  offeredRps: number;
  /** The highest p95 (ms) once saturated. */
  peakP95Ms: number;
}

export interface Analysis {
  findings: Finding[];
  saturation: Saturation | null;
  health: GeneratorHealth;
}

/** Throughput below this share of the offered load "stops following" it. */
const FOLLOW_RATIO = 0.9;
/** p95 above this multiple of the unsaturated baseline "climbs". */
const LATENCY_CLIMB = 1.2;
/** Throughput at least this share of the offered load "keeps up" (the p95 quoted with the capacity). */
const KEEP_UP_RATIO = 0.98;
/** Consecutive seconds a saturation must hold (one noisy second is not a knee). */
const SUSTAIN = 2;

const PHASE_LABEL: Record<Phase, string> = {
  blocked: 'blocked (waiting for a free connection)', connecting: 'connecting (TCP)', tls: 'TLS handshake',
  sending: 'sending', waiting: 'waiting (time to first byte)', receiving: 'receiving (the body)',
};

const PHASE_MEANING: Record<Phase, string> = {
  blocked: 'requests queue for a connection: a connection cap (http.connections) or the server accepting slowly limits concurrency',
  connecting: 'connection setup dominates: connections are not reused (keep-alive off, the server closes them) or the network is far',
  tls: 'TLS setup dominates: connections are not reused, or the handshake is expensive (key size, no session resumption)',
  sending: 'uploading the request dominates: large request bodies or a slow uplink',
  waiting: 'server time: the server works this long before its first byte (handler, queries, downstream calls)',
  receiving: 'payload size or bandwidth: the response body takes long to transfer (smaller responses, compression, pagination)',
};

export function endpointLabel(e: Pick<EndpointStats, 'method' | 'name'>): string {
  return e.method ? `${e.method} ${e.name}` : e.name;
}

/** The phase a request of this endpoint spends most time in, with its mean (ms), or null. */
export function dominantPhase(e: EndpointStats): { phase: Phase; ms: number; share: number } | null {
  let best: Phase | null = null;
  let sum = 0;
  for (const p of PHASES) {
    sum += e.phases[p];
    if (best === null || e.phases[p] > e.phases[best]) best = p;
  }
  if (best === null || sum <= 0 || e.phases[best] <= 0) return null;
  return { phase: best, ms: e.phases[best], share: e.phases[best] / sum };
}

/** Requests per iteration, to turn iterations due per second into offered requests per second. */
function requestsPerIteration(s: SummaryData): number {
  const reqs = s.metrics[HTTP_REQS]?.values.count ?? 0;
  const its = s.metrics[ITERATIONS]?.values.count ?? 0;
  return its > 0 && reqs > 0 ? reqs / its : 1;
}

function median(xs: number[]): number {
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/**
 * The saturation point of a ramping run: the first second from which, for SUSTAIN seconds,
 * throughput stays below FOLLOW_RATIO of the offered load while p95 climbs above LATENCY_CLIMB
 * times its early baseline. The offered load is the arrival rate (open model: iterations due
 * times requests per iteration) or, closed, the VUs times the early requests per VU. Null when
 * the load did not ramp, or throughput followed it to the end.
 */
export function findSaturation(series: SeriesPoint[], s: SummaryData): Saturation | null {
  const k = requestsPerIteration(s);
  const pts = series.filter((p) => p.rps > 0 || (p.due ?? 0) > 0 || p.vus > 0);
  if (pts.length < SUSTAIN + 2) return null;
  // Closed model: throughput one VU gave at the start, before anything queued.
  const early = pts.slice(0, Math.max(2, Math.floor(pts.length / 5)));
  const perVu = median(early.filter((p) => p.vus > 0).map((p) => p.rps / p.vus));
  const offered = (p: SeriesPoint): number => (s.model === 'open' ? (p.due ?? 0) * k : p.vus * perVu);
  const loads = pts.map(offered).filter((x) => x > 0);
  if (loads.length === 0 || Math.max(...loads) < 1.5 * Math.min(...loads)) return null; // not a ramp
  const baseline = median(early.map((p) => p.p95 ?? p.p90).filter((x) => x > 0));
  if (!Number.isFinite(baseline)) return null;
  const saturated = (p: SeriesPoint): boolean =>
    offered(p) > 0 && p.rps < FOLLOW_RATIO * offered(p) && (p.p95 ?? p.p90) > LATENCY_CLIMB * baseline;
  for (let i = 1; i + SUSTAIN <= pts.length; i++) {
    if (!pts.slice(i, i + SUSTAIN).every(saturated)) continue;
    const after = pts.slice(i).filter(saturated);
    const kept = pts.slice(0, i).filter((p) => p.rps >= KEEP_UP_RATIO * offered(p));
    const before = kept[kept.length - 1] ?? pts[i - 1];
    return {
      capacityRps: median(after.map((p) => p.rps)),
      p95Ms: before.p95 ?? before.p90,
      atSecond: pts[i].t,
      offeredRps: offered(pts[i]),
      peakP95Ms: Math.max(...after.map((p) => p.p95 ?? p.p90)),
    };
  }
  return null;
}

export function analyse(s: SummaryData, details: RunDetails | undefined): Analysis {
  const findings: Finding[] = [];
  const health = generatorHealth(s);
  const requests = s.metrics[HTTP_REQS]?.values.count ?? 0;
  const endpoints = details?.endpoints ?? [];
  const series = details?.series ?? [];
  if (requests === 0) {
    findings.push({ kind: 'no-requests', severity: 'warn', text: 'This run made no HTTP requests: there is no latency, throughput or endpoint to analyse.' });
  }

  // Where the time went: endpoints by their share of the summed request time.
  const totalMs = endpoints.reduce((a, e) => a + e.totalMs, 0);
  if (totalMs > 0 && endpoints.length > 1) {
    const top = endpoints.slice(0, 3).map((e) => `${endpointLabel(e)} ${formatPercent(e.totalMs / totalMs)} (${formatCount(e.requests)} requests, p95 ${formatMs(e.p95)})`);
    findings.push({ kind: 'time', severity: 'info', text: `Most of the total request time went to ${top.join('; ')}.` });
  }
  const failed = endpoints.reduce((a, e) => a + e.failed, 0);
  if (failed > 0) {
    const top = [...endpoints].filter((e) => e.failed > 0).sort((a, b) => b.failed - a.failed).slice(0, 3)
      .map((e) => `${endpointLabel(e)} ${formatCount(e.failed)} (${formatPercent(e.failed / failed)} of failures, ${formatPercent(e.failed / Math.max(e.requests, 1))} of its requests)`);
    findings.push({ kind: 'errors', severity: 'bad', text: `Failed requests came from ${top.join('; ')}.` });
  }

  // Per endpoint, the phase that dominates and what it implies (the busiest endpoints first).
  for (const e of endpoints.slice(0, 5)) {
    const d = dominantPhase(e);
    if (d === null) continue;
    findings.push({
      kind: 'phase', severity: 'info',
      text: `${endpointLabel(e)}: ${PHASE_LABEL[d.phase]} is ${formatPercent(d.share)} of a request's phases (${formatMs(d.ms)} on average): ${PHASE_MEANING[d.phase]}.`,
    });
  }

  const saturation = findSaturation(series, s);
  if (saturation) {
    findings.push({
      kind: 'saturation', severity: 'warn',
      text: `Capacity ≈ ${formatCount(saturation.capacityRps)} req/s at p95 ${formatMs(saturation.p95Ms)}: from ${formatClock(saturation.atSecond)} ` +
        `(offered ${formatCount(saturation.offeredRps)} req/s) throughput stopped following the offered load while p95 climbed to ${formatMs(saturation.peakP95Ms)}.`,
    });
  }

  // Errors: failed requests (network errors, status >= 400) or iteration exceptions.
  const errorsOf = (p: SeriesPoint): number => Math.max(p.failedPerSec ?? 0, p.errorsPerSec);
  const firstError = series.find((p) => errorsOf(p) > 0);
  if (firstError) {
    const load = s.model === 'open' && firstError.due !== undefined && firstError.due > 0
      ? `${formatCount(firstError.due * requestsPerIteration(s))} req/s offered` : `${formatCount(firstError.vus)} active VUs`;
    findings.push({
      kind: 'errors-start', severity: 'bad',
      text: `Errors started at ${formatClock(firstError.t)}, at ${load} (${formatCount(firstError.rps)} req/s served, p95 ${formatMs(firstError.p95 ?? firstError.p90)}), ${formatCount(errorsOf(firstError))} errors/s in that second.`,
    });
  }

  const pool = health.issues.filter((i) => i.cause === 'vus');
  if (pool.length > 0) {
    findings.push({ kind: 'generator', severity: 'warn', text: `The offered load was not fully applied, because of the target, not the generator: ${pool.map(healthIssueText).join('; ')}.` });
  }
  if (health.ok) {
    const figs = [
      health.cpuP90Percent !== null ? `CPU p(90) ${Math.round(health.cpuP90Percent)}% of a core` : null,
      health.eventLoopDelayP95Ms !== null ? `event-loop delay p(95) ${formatMs(health.eventLoopDelayP95Ms)}` : null,
    ].filter((x): x is string => x !== null);
    findings.push({ kind: 'generator', severity: 'good', text: `The load generator kept up${figs.length ? ` (${figs.join(', ')})` : ''}: the figures are the target's.` });
  } else {
    const own = health.issues.filter((i) => i.cause === 'generator');
    findings.push({ kind: 'generator', severity: 'bad', text: `The load generator limited this test, so part of the latency is Loadlens's own: ${own.map(healthIssueText).join('; ')}.` });
  }
  // The conclusions first: capacity, when errors began, whether the generator can be trusted;
  // then where the time and the failures went, then each endpoint's phase.
  const order: Finding['kind'][] = ['no-requests', 'saturation', 'errors-start', 'generator', 'time', 'errors', 'phase'];
  findings.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
  return { findings, saturation, health };
}

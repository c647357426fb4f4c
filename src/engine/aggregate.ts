// The running result of one scenario run: merges each (already process-merged) interval into
// totals per metric, per threshold selection and per check; evaluates thresholds; builds the
// live figures and the final summary. Memory is flat: one 64-bit histogram per trend metric and
// per threshold selection, whatever the run length (no per-interval or per-request arrays).

import type {
  CheckSummary,
  EncodedSeries,
  IntervalData,
  LiveStats,
  MetricKind,
  MetricSummary,
  ScenarioOptions,
  SummaryData,
  Tags,
  ThresholdVerdict,
  UnfinishedWork,
} from './types';
import { HttpErrorKind } from './http/error-kinds';
import { unfinishedText } from './no-response';
import { TrendCounts, type SparseCounts } from './metrics/hdr';
import { OVERFLOW_TAG_VALUE, decodedCounts } from './metrics/recorder';
import {
  BUILTIN_METRICS,
  CHECK_TAG,
  CHECKS,
  DROPPED_ITERATIONS,
  HTTP_REQ_DURATION,
  HTTP_REQ_FAILED,
  HTTP_REQS,
  ITERATION_LAG,
  ITERATIONS,
  VUS,
  VUS_MAX,
  metricInfo,
} from './metrics/names';
import {
  AGGREGATIONS_BY_KIND,
  aggregationLabel,
  evaluate,
  observe,
  parseThresholds,
  supports,
  type ObservedMetric,
  type ParsedThreshold,
} from './thresholds';

/** Percentiles every trend summary shows (k6's default set plus p(99) and p(99.9)). */
export const SUMMARY_PERCENTILES = [50, 90, 95, 99, 99.9] as const;
/** Distinct error kinds kept; further kinds are counted under OTHER_ERRORS (flat memory). */
const MAX_ERROR_KINDS = 100;
export const OTHER_ERRORS = '(other error kinds)';

export interface RunAggregateOptions {
  scenario: string;
  file: string;
  model: 'open' | 'closed';
  plannedMs: number;
  thresholds?: ScenarioOptions['thresholds'];
}

/** Totals of one metric over the tag sets a selection covers. */
class Accumulator {
  kind: MetricKind | undefined;
  /** Set when a series carries its unit (a custom metric declared with isTime). */
  declaredUnit: MetricSummary['contains'] | undefined;
  hist: TrendCounts | undefined;
  value = 0;
  passes = 0;
  fails = 0;
  min = Infinity;
  max = -Infinity;

  constructor(readonly metric: string, readonly filter: Tags) {}

  matches(tags: Tags): boolean {
    for (const k in this.filter) if (tags[k] !== this.filter[k]) return false;
    return true;
  }

  /** `trend` adds a trend series' counts to a total (shared by all accumulators fed from the series). */
  add(s: EncodedSeries, trend: TrendSource): void {
    this.kind ??= s.kind;
    if (this.kind !== s.kind) return; // a kind clash is reported by the recorder, where it happens
    if (s.kind !== 'rate' && s.contains !== undefined) this.declaredUnit = s.contains;
    switch (s.kind) {
      case 'trend':
        trend.addTo((this.hist ??= new TrendCounts(64)));
        break;
      case 'counter':
        this.value += s.value;
        break;
      case 'rate':
        this.passes += s.passes;
        this.fails += s.fails;
        break;
      case 'gauge':
        this.setGauge(s.value, s.min, s.max);
        break;
    }
  }

  /** The unit of the values: declared with the series, else the built-in's, else plain numbers. */
  get contains(): MetricSummary['contains'] {
    return this.declaredUnit ?? metricInfo(this.metric, this.kind)?.contains ?? 'default';
  }

  setGauge(value: number, min: number, max: number): void {
    this.kind = 'gauge';
    this.value = value;
    if (min < this.min) this.min = min;
    if (max > this.max) this.max = max;
  }

  /** The figures thresholds compare; trends in ms (µs / 1000), counter rates per second. */
  observed(elapsedMs: number): ObservedMetric | undefined {
    switch (this.kind) {
      case undefined:
        return undefined;
      case 'trend': {
        const h = this.hist!;
        const r = h.read([0]);
        return {
          kind: 'trend',
          count: r.count,
          avg: r.mean / 1000,
          min: r.min / 1000,
          max: r.max / 1000,
          percentile: (p) => h.read([p]).percentiles[0] / 1000,
        };
      }
      case 'counter':
        return { kind: 'counter', count: this.value, rate: elapsedMs > 0 ? this.value / (elapsedMs / 1000) : 0 };
      case 'rate':
        return { kind: 'rate', passes: this.passes, fails: this.fails };
      case 'gauge':
        return { kind: 'gauge', value: this.value, min: this.min, max: this.max };
    }
  }

  /** k6's summary values for this metric; `extraPercentiles` adds those thresholds ask for. */
  values(elapsedMs: number, extraPercentiles: number[] = []): Record<string, number> {
    switch (this.kind) {
      case 'trend': {
        const ps = [...new Set([...SUMMARY_PERCENTILES, ...extraPercentiles])].sort((a, b) => a - b);
        const r = this.hist!.read(ps);
        const values: Record<string, number> = { avg: r.mean / 1000, min: r.min / 1000, med: 0, max: r.max / 1000 };
        ps.forEach((p, i) => {
          if (p === 50) values.med = r.percentiles[i] / 1000;
          else values[`p(${p})`] = r.percentiles[i] / 1000;
        });
        values.count = r.count;
        return values;
      }
      case 'counter':
        return { count: this.value, rate: elapsedMs > 0 ? this.value / (elapsedMs / 1000) : 0 };
      case 'rate': {
        const total = this.passes + this.fails;
        return { rate: total ? this.passes / total : 0, passes: this.passes, fails: this.fails };
      }
      case 'gauge':
        return { value: this.value, min: this.min, max: this.max };
      default:
        return {};
    }
  }
}

export class RunAggregate {
  readonly scenario: string;
  readonly file: string;
  readonly model: 'open' | 'closed';
  readonly plannedMs: number;
  readonly thresholds: ParsedThreshold[];

  /** Per metric, over all tag sets (in first-seen order). */
  private readonly metrics = new Map<string, Accumulator>();
  /** Per threshold key (a metric and a tag filter). */
  private readonly selections = new Map<string, Accumulator>();
  private readonly checks = new Map<string, CheckSummary>();
  /** Values recorded in each metric's overflow series (tag sets beyond the series limit). */
  private readonly folded = new Map<string, number>();
  private readonly errorsByKind: Record<string, number> = {};
  private errorTotal = 0;
  private elapsedMs = 0;
  private intervals = 0;
  /** The last interval's header figures the live view shows (its series are not kept). */
  private last: { startMs: number; endMs: number; vus: number; vusMax: number; requests: number; errors: number; inFlight?: number; noResponseMs?: number } | undefined;
  private backlog = 0;
  /** What the end of the run left unfinished (the last interval's, summed over processes). */
  private unfinished: UnfinishedWork | undefined;
  /** The last interval's request latency and iteration lag, all tag sets merged (reused). */
  private readonly lastLatency = new TrendCounts(64);
  private readonly lastLag = new TrendCounts(64);

  constructor(opts: RunAggregateOptions) {
    this.scenario = opts.scenario;
    this.file = opts.file;
    this.model = opts.model;
    this.plannedMs = opts.plannedMs;
    this.thresholds = parseThresholds(opts.thresholds);
    for (const t of this.thresholds) {
      if (!this.selections.has(t.key)) this.selections.set(t.key, new Accumulator(t.metric, t.filter));
    }
  }

  /** Merges one interval (all processes' parts already merged with mergeIntervals). */
  add(interval: IntervalData): void {
    this.adding(interval).step(Infinity);
  }

  /**
   * Merges one interval a slice of series at a time (a runner spreads an interval of thousands
   * of series over turns of the event loop): call step(max) until it returns true, before
   * adding the next interval or reading any figure.
   */
  adding(interval: IntervalData): { step(max: number): boolean } {
    this.intervals++;
    let lastErrors = 0;
    for (const kind in interval.errors) lastErrors += interval.errors[kind];
    this.last = { startMs: interval.startMs, endMs: interval.endMs, vus: interval.vus, vusMax: interval.vusMax, requests: 0, errors: lastErrors, inFlight: interval.inFlight, noResponseMs: interval.noResponseMs };
    this.elapsedMs = Math.max(this.elapsedMs, interval.endMs);
    this.backlog = interval.backlog;
    if (interval.unfinished !== undefined) {
      const u = (this.unfinished ??= { requests: 0, oldestMs: 0, queuedIterations: 0 });
      u.requests += interval.unfinished.requests;
      u.oldestMs = Math.max(u.oldestMs, interval.unfinished.oldestMs);
      u.queuedIterations += interval.unfinished.queuedIterations;
    }
    this.lastLatency.reset();
    this.lastLag.reset();

    let droppedSeries = false;
    let next = 0;
    let done = false;
    const series = interval.series;
    const last = this.last;
    const step = (max: number): boolean => {
      const end = Math.min(series.length, next + max);
      for (; next < end; next++) {
        if (this.addSeries(series[next], last)) droppedSeries = true;
      }
      if (next < series.length) return false;
      if (!done) {
        done = true;
        this.addHeaderMetrics(interval, droppedSeries);
        for (const [kind, n] of Object.entries(interval.errors)) this.addError(kind, n);
      }
      return true;
    };
    return { step };
  }

  /** Adds one series of an interval; true when it is a dropped_iterations series. */
  private addSeries(s: EncodedSeries, last: { requests: number }): boolean {
    // VUs come from the interval header, the scheduler's own numbers.
    if (s.metric === VUS || s.metric === VUS_MAX) return false;
    const droppedSeries = s.metric === DROPPED_ITERATIONS;
    const trend = s.kind === 'trend' ? new TrendSource(s) : NOT_A_TREND;
    this.metricAccumulator(s.metric).add(s, trend);
    if (isOverflow(s.tags)) this.folded.set(s.metric, (this.folded.get(s.metric) ?? 0) + valuesIn(s, trend));
    for (const sel of this.selections.values()) {
      if (sel.metric === s.metric && sel.matches(s.tags)) sel.add(s, trend);
    }
    if (s.kind === 'trend' && s.metric === HTTP_REQ_DURATION) trend.addTo(this.lastLatency);
    if (s.kind === 'trend' && s.metric === ITERATION_LAG) trend.addTo(this.lastLag);
    if (s.kind === 'rate' && s.metric === CHECKS) this.addCheck(s);
    if (s.kind === 'counter' && s.metric === HTTP_REQS) last.requests += s.value;
    return droppedSeries;
  }

  private metricAccumulator(metric: string): Accumulator {
    let acc = this.metrics.get(metric);
    if (acc === undefined) {
      acc = new Accumulator(metric, {});
      this.metrics.set(metric, acc);
    }
    return acc;
  }

  /**
   * vus and vus_max from the header; dropped_iterations too when no process recorded it as a
   * series (the series, when present, carries the same count with its tags).
   */
  private addHeaderMetrics(interval: IntervalData, droppedSeries: boolean): void {
    const gauges: Array<[string, number, number, number]> = [
      [VUS, interval.vus, interval.vusMin ?? interval.vus, interval.vusPeak ?? interval.vus],
      [VUS_MAX, interval.vusMax, interval.vusMax, interval.vusMax],
    ];
    for (const [metric, value, min, max] of gauges) {
      this.metricAccumulator(metric).setGauge(value, min, max);
      for (const sel of this.selections.values()) if (sel.metric === metric && sel.matches({})) sel.setGauge(value, min, max);
    }
    if (droppedSeries) return;
    const dropped: EncodedSeries = { kind: 'counter', metric: DROPPED_ITERATIONS, tags: {}, value: interval.iterationsDropped };
    this.metricAccumulator(DROPPED_ITERATIONS).add(dropped, NOT_A_TREND);
    for (const sel of this.selections.values()) if (sel.metric === DROPPED_ITERATIONS && sel.matches({})) sel.add(dropped, NOT_A_TREND);
  }

  private addCheck(s: Extract<EncodedSeries, { kind: 'rate' }>): void {
    const name = s.tags[CHECK_TAG] ?? '(unnamed check)';
    let c = this.checks.get(name);
    if (c === undefined) {
      c = { name, passes: 0, fails: 0 };
      this.checks.set(name, c);
    }
    c.passes += s.passes;
    c.fails += s.fails;
  }

  private addError(kind: string, n: number): void {
    if (!(kind in this.errorsByKind) && Object.keys(this.errorsByKind).length >= MAX_ERROR_KINDS) kind = OTHER_ERRORS;
    this.errorsByKind[kind] = (this.errorsByKind[kind] ?? 0) + n;
    this.errorTotal += n;
  }

  /** Verdicts of every threshold on the totals so far (counter rates over `elapsedMs`). */
  verdicts(elapsedMs: number = this.elapsedMs): ThresholdVerdict[] {
    return this.thresholds.map((t) => {
      const observed = observe(t, this.observedFor(t, elapsedMs));
      const kind = this.selections.get(t.key)!.kind ?? this.metrics.get(t.metric)?.kind ?? BUILTIN_METRICS[t.metric]?.kind;
      return { metric: t.key, expression: t.expression, ok: evaluate(t, observed), observed, contains: this.unitOf(t), ...(kind ? { kind } : {}), abortOnFail: t.abortOnFail };
    });
  }

  /** A threshold's unit: its selection's, or its metric's when the selection has no data yet. */
  private unitOf(t: ParsedThreshold): MetricSummary['contains'] {
    const sel = this.selections.get(t.key)!;
    return sel.declaredUnit ?? this.metrics.get(t.metric)?.declaredUnit ?? sel.contains;
  }

  private observedFor(t: ParsedThreshold, elapsedMs: number): ObservedMetric | undefined {
    const sel = this.selections.get(t.key)!;
    const data = sel.observed(elapsedMs);
    // A counter with no records yet counts 0: `count < 10` holds, `count > 10` does not.
    if (data === undefined && (sel.kind ?? BUILTIN_METRICS[t.metric]?.kind) === 'counter') {
      return { kind: 'counter', count: 0, rate: 0 };
    }
    return data;
  }

  /**
   * The first failing abortOnFail threshold whose delayAbortEval has passed, if any. A threshold
   * without data yet does not abort (the first second of a run has none).
   */
  abortTriggered(elapsedMs: number = this.elapsedMs): ThresholdVerdict | undefined {
    const verdicts = this.verdicts(elapsedMs);
    return verdicts.find(
      (v, i) => v.abortOnFail && !v.ok && v.observed !== null && elapsedMs >= this.thresholds[i].delayAbortEvalMs,
    );
  }

  /** Display-ready figures: rates and latency of the last interval, totals so far. */
  live(elapsedMs: number = this.elapsedMs): LiveStats {
    const last = this.last;
    const seconds = last ? Math.max(last.endMs - last.startMs, 1) / 1000 : 1;
    const lastRequests = last?.requests ?? 0;
    const lastErrors = last?.errors ?? 0;
    const latency = this.lastLatency.read([50, 90, 99]);
    const lag = this.lastLag.read([99]);
    return {
      elapsedMs,
      plannedMs: this.plannedMs,
      vus: last?.vus ?? 0,
      vusMax: last?.vusMax ?? 0,
      rps: lastRequests / seconds,
      errorsPerSec: lastErrors / seconds,
      p50: latency.percentiles[0] / 1000,
      p90: latency.percentiles[1] / 1000,
      p99: latency.percentiles[2] / 1000,
      max: latency.max / 1000,
      requests: this.metrics.get(HTTP_REQS)?.value ?? 0,
      errors: this.errorTotal,
      iterations: this.metrics.get(ITERATIONS)?.value ?? 0,
      dropped: this.metrics.get(DROPPED_ITERATIONS)?.value ?? 0,
      backlog: this.backlog,
      lagP99: lag.percentiles[0] / 1000,
      checks: [...this.checks.values()].map((c) => ({ ...c })),
      thresholds: this.verdicts(elapsedMs),
      errorsByKind: { ...this.errorsByKind },
      inFlight: last?.inFlight ?? 0,
      noResponseMs: last?.noResponseMs ?? 0,
    };
  }

  /** The run's summary, laid out as k6's handleSummary data. */
  summary(status: SummaryData['state']['status'], durationMs: number): SummaryData {
    const verdicts = this.verdicts(durationMs);
    const metrics: Record<string, MetricSummary> = {};
    const percentilesAsked = (key: string) =>
      this.thresholds.filter((t) => t.key === key && t.aggregation.name === 'p').map((t) => (t.aggregation as { percentile: number }).percentile);

    for (const [name, acc] of this.metrics) {
      if (acc.kind === undefined) continue;
      metrics[name] = { type: acc.kind, contains: acc.contains, values: acc.values(durationMs, percentilesAsked(name)) };
    }
    // Tag-filtered thresholds get their own entry, as k6's sub-metrics: 'http_req_duration{name:items}'.
    for (const [key, sel] of this.selections) {
      if (metrics[key] || sel.kind === undefined) continue;
      metrics[key] = { type: sel.kind, contains: sel.contains, values: sel.values(durationMs, percentilesAsked(key)) };
    }
    this.thresholds.forEach((t, i) => {
      const kind = BUILTIN_METRICS[t.metric]?.kind ?? 'trend';
      // No data: counters and rates counted nothing; trends and gauges have no values to show.
      const values: Record<string, number> =
        kind === 'counter' ? { count: 0, rate: 0 } : kind === 'rate' ? { rate: 0, passes: 0, fails: 0 } : {};
      const entry = (metrics[t.key] ??= { type: kind, contains: verdicts[i].contains ?? 'default', values });
      (entry.thresholds ??= {})[t.expression] = { ok: verdicts[i].ok };
    });

    return {
      scenario: this.scenario,
      file: this.file,
      model: this.model,
      state: { testRunDurationMs: durationMs, status },
      metrics,
      thresholds: verdicts,
      checks: [...this.checks.values()].map((c) => ({ ...c })),
      errorsByKind: { ...this.errorsByKind },
      latencyCurve: this.latencyCurve(),
      notes: this.notes(status, metrics),
      ...(this.unfinished !== undefined ? { unfinished: { ...this.unfinished } } : {}),
    };
  }

  /**
   * ~50 [percentile, ms] points of http_req_duration, evenly spaced on a log scale of
   * 1/(1-p) (HdrHistogram's percentile plot), up to the resolution the count allows, plus max.
   */
  private latencyCurve(): Array<[number, number]> {
    const h = this.metrics.get(HTTP_REQ_DURATION)?.hist;
    if (!h || h.total === 0) return [];
    const maxDecades = Math.min(6, Math.max(1, Math.log10(h.total)));
    const points = 50;
    const ps: number[] = [];
    for (let i = 0; i < points; i++) ps.push(100 * (1 - 10 ** (-(maxDecades * i) / (points - 1))));
    ps.push(100);
    const r = h.read(ps);
    return ps.map((p, i) => [Math.round(p * 1e6) / 1e6, r.percentiles[i] / 1000]);
  }

  /** How much of the run fell beyond the series limit, led by http_reqs when it overflowed. */
  private foldedNote(metrics: Record<string, MetricSummary>): string {
    const total = (m: MetricSummary | undefined): number =>
      m === undefined ? 0 : m.type === 'rate' ? (m.values.passes ?? 0) + (m.values.fails ?? 0) : (m.values.count ?? 0);
    const names = [...this.folded.keys()].sort((a, b) => (a === HTTP_REQS ? -1 : b === HTTP_REQS ? 1 : 0));
    const parts = names.slice(0, 3).map((name) => {
      const n = this.folded.get(name)!;
      const all = total(metrics[name]);
      return all > 0 && metrics[name]?.type !== 'gauge' ? `${name} ${n} of ${all} (${((100 * n) / all).toFixed(1)} %)` : name;
    });
    const more = names.length > 3 ? ` and ${names.length - 3} more metric(s)` : '';
    return (
      `Series limit: tag sets beyond the limit per metric were folded into one series tagged "${OVERFLOW_TAG_VALUE}": ${parts.join(', ')}${more}. ` +
      'Totals and untagged thresholds are exact; tag-filtered figures leave the folded values out.'
    );
  }

  private notes(status: SummaryData['state']['status'], metrics: Record<string, MetricSummary>): string[] {
    const notes: string[] = [];
    if (this.model === 'closed') {
      notes.push(
        'Closed model: latency is measured from each request\'s actual send. When the server stalls, VUs wait and send less, ' +
          'so queueing is hidden (coordinated omission); use an open model (load: { rate, duration, maxVUs }) to see it.',
      );
    } else {
      notes.push(
        'Open model: http_req_duration is measured from when each iteration was due, so time spent waiting for a free VU counts; ' +
          'http_req_service_duration is measured from the actual send.',
      );
    }
    const u = this.unfinished;
    if (u !== undefined && u.requests > 0) {
      notes.push(
        `${unfinishedText(u)}: the run ended with them in flight. Each is counted in http_reqs and as failed in http_req_failed ` +
          `(error ${HttpErrorKind.interrupted}), and its time so far is in http_req_duration as a lower bound: the durations include ${u.requests} lower bound${u.requests === 1 ? '' : 's'}.`,
      );
    }
    const queued = u?.queuedIterations ?? 0;
    if (queued > 0) {
      notes.push(
        `${queued} iteration${queued === 1 ? ' was' : 's were'} due but never started (no free VU): the generator or the server could not keep up. ` +
          'They are counted in dropped_iterations (a threshold such as dropped_iterations: [\'count == 0\'] catches them).',
      );
    }
    const dropped = (metrics[DROPPED_ITERATIONS]?.values.count ?? 0) - queued;
    if (dropped > 0) notes.push(`${dropped} due iterations were dropped because all VUs were busy (dropped_iterations); raise maxVUs to run them.`);
    const lagP99 = metrics[ITERATION_LAG]?.values['p(99)'] ?? 0;
    if (this.model === 'open' && lagP99 >= 10) {
      notes.push(
        `Iterations started late (iteration_lag p(99) ${lagP99.toFixed(1)} ms): no VU was free at the due time, or the load generator itself was busy; ` +
          'the lag is included in http_req_duration.',
      );
    }
    if (this.folded.size > 0) notes.push(this.foldedNote(metrics));
    const failed = metrics[HTTP_REQ_FAILED]?.values;
    const requests = metrics[HTTP_REQS]?.values.count ?? 0;
    if (failed && requests > 0 && failed.fails === 0 && failed.passes > 0) notes.push('Every request failed: is the target up?');
    if (status === 'incomplete') notes.push('Incomplete: part of the load stopped early (a worker died, the scenario called process.exit() or ran out of memory, or was stopped while blocked); the figures cover what was received.');
    if (status === 'aborted') notes.push('Aborted: a threshold with abortOnFail failed.');
    if (status === 'cancelled') notes.push('Cancelled before the planned end.');
    for (const t of this.thresholds) {
      const kind = this.selections.get(t.key)!.kind;
      if (kind === undefined && BUILTIN_METRICS[t.metric]?.kind !== 'counter') {
        notes.push(`Threshold ${t.key}: ${t.expression} had no data to check, so it failed (is the metric or tag filter spelt right?).`);
      } else if (kind !== undefined && !supports(kind, t.aggregation)) {
        notes.push(
          `Threshold ${t.key}: ${t.expression} failed: ${t.metric} is a ${kind}, which has ${AGGREGATIONS_BY_KIND[kind].join(', ')}, not ${aggregationLabel(t.aggregation)}.`,
        );
      }
    }
    return notes;
  }
}

/** True for a metric's overflow series: some tag reads OVERFLOW_TAG_VALUE. */
function isOverflow(tags: Tags): boolean {
  for (const k in tags) if (tags[k] === OVERFLOW_TAG_VALUE) return true;
  return false;
}

/**
 * A trend series' counts, added to totals: the pairs themselves when the series was flushed in
 * this process (no encode, no decode), else decoded from `hist` once.
 */
class TrendSource {
  private sparse: SparseCounts | undefined;

  constructor(private readonly s: Extract<EncodedSeries, { kind: 'trend' }> | undefined) {}

  addTo(into: TrendCounts): void {
    into.addSparse(this.counts());
  }

  get total(): number {
    return this.counts().total;
  }

  private counts(): SparseCounts {
    if (this.s === undefined) throw new Error('not a trend');
    // Decoded once per series, shared with other readers of the interval (the report's collector).
    return (this.sparse ??= decodedCounts(this.s));
  }
}

const NOT_A_TREND = new TrendSource(undefined);

/** How many values a series carries: a trend's count, a counter's sum, a rate's passes and fails. */
function valuesIn(s: EncodedSeries, trend: TrendSource): number {
  switch (s.kind) {
    case 'trend':
      return trend.total;
    case 'counter':
      return s.value;
    case 'rate':
      return s.passes + s.fails;
    case 'gauge':
      return 1;
  }
}

/** k6's --summary-export layout of a summary (what `--summary-export PATH` writes). */
export function exportSummary(summary: SummaryData): object {
  const metrics: Record<string, object> = {};
  for (const [name, m] of Object.entries(summary.metrics)) {
    metrics[name] = { type: m.type, contains: m.contains, values: m.values, ...(m.thresholds ? { thresholds: m.thresholds } : {}) };
  }
  return {
    scenario: summary.scenario,
    file: summary.file,
    model: summary.model,
    state: summary.state,
    metrics,
    thresholds: summary.thresholds,
    checks: summary.checks,
    errorsByKind: summary.errorsByKind,
    latencyCurve: summary.latencyCurve,
    notes: summary.notes,
    ...(summary.unfinished !== undefined ? { unfinished: summary.unfinished } : {}),
    ...(summary.cluster !== undefined ? { cluster: summary.cluster } : {}),
  };
}


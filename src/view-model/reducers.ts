// The panel's state: a pure reducer over the host's messages, and the derived rows the page
// draws. No DOM here: it runs under plain Node in test/unit/webview-reducers.test.ts, and the
// extension imports `seriesPointOf` to save a run's series in the same shape.
//
// Memory stays bounded for any run length: a run's series holds at most MAX_POINTS points;
// past that, neighbouring points merge pairwise (latencies keep the worst, rates the mean).

import type { FromRunner, PlanInfo, ErrorKind, Progress, SourceLocation } from '../protocol';
import type { AgentCounts, CheckSummary, IntervalData, LiveStats, SummaryData, ThresholdVerdict } from '../engine/types';
import type { RunListItem, SavedRun, ToPanel } from './messages';
import { noResponseWarning, unfinishedText } from '../engine/no-response';
import { agentsText } from '../engine/agents-text';

export const STATE_VERSION = 1;
/** Points per run's series before pairs merge: 600 = 10 minutes at one point per second. */
export const MAX_POINTS = 600;
/** Problems (errors, warnings) kept for display; the rest are counted only. */
export const MAX_PROBLEMS = 20;

/** One point of the per-second series; covers `n` seconds from second `t` once downsampled. */
export interface SeriesPoint {
  t: number;
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  rps: number;
  errorsPerSec: number;
  vus: number;
  /** Iterations dropped per second (open model, all VUs busy). */
  dropped: number;
  /** Due iterations still waiting for a VU at the interval's end. */
  late: number;
  /**
   * Recorded by the runner for saved runs and reports (src/report/collect.ts; absent in live
   * panel points and older runs): p95 latency (ms), iterations due per second (the offered
   * load, open model), failed requests per second (http_req_failed: status >= 400 too), the
   * generator's longest event-loop delay (ms) and its CPU (% of a core).
   */
  p95?: number;
  failedPerSec?: number;
  due?: number;
  eventLoopDelay?: number;
  cpu?: number;
}

export interface Problem {
  kind: ErrorKind | 'warn' | 'log-error';
  message: string;
  scenario: string | null;
  location: SourceLocation | null;
  count: number;
}

export interface RunView {
  scenario: string;
  file: string;
  plan: PlanInfo | null;
  startedAt: number;
  status: 'live' | 'finished';
  /** Seconds per series point (1, then 2, 4, … as a long run downsamples). */
  bucket: number;
  series: SeriesPoint[];
  live: LiveStats | null;
  thresholds: ThresholdVerdict[];
  checks: CheckSummary[];
  errorsByKind: Record<string, number>;
  summary: SummaryData | null;
  /** A distributed run's agents as last reported (progress' live.agents); null for a local run. */
  agents?: AgentCounts | null;
}

export interface PanelState {
  version: number;
  /** idle: nothing yet; live: a run is going; finished: the runner said `done` (or a saved run). */
  mode: 'idle' | 'live' | 'finished' | 'compare';
  /** 'saved' when a past run was reopened: no Stop, no live updates. */
  source: 'live' | 'saved';
  /** One view per scenario of the current run, in start order. */
  runs: RunView[];
  /** The scenario shown. */
  current: string | null;
  exitCode: number | null;
  problems: Problem[];
  history: RunListItem[];
  compare: { a: SavedRun; b: SavedRun } | null;
}

export function initialState(): PanelState {
  return {
    version: STATE_VERSION, mode: 'idle', source: 'live', runs: [], current: null, exitCode: null,
    problems: [], history: [], compare: null,
  };
}

/** The series point of one second's progress: what the extension saves and the panel draws. */
export function seriesPointOf({ second, dropped, live }: Progress): SeriesPoint {
  return {
    t: second, n: 1,
    p50: live.p50, p90: live.p90, p99: live.p99, max: live.max,
    rps: live.rps, errorsPerSec: live.errorsPerSec, vus: live.vus,
    dropped, late: live.backlog,
  };
}

function mergePoints(a: SeriesPoint, b: SeriesPoint): SeriesPoint {
  const n = a.n + b.n;
  const mean = (x: number, y: number) => (x * a.n + y * b.n) / n;
  return {
    t: a.t, n,
    p50: Math.max(a.p50, b.p50), p90: Math.max(a.p90, b.p90), p99: Math.max(a.p99, b.p99), max: Math.max(a.max, b.max),
    rps: mean(a.rps, b.rps), errorsPerSec: mean(a.errorsPerSec, b.errorsPerSec),
    vus: Math.max(a.vus, b.vus), dropped: mean(a.dropped, b.dropped), late: Math.max(a.late, b.late),
    ...optional('p95', a, b, Math.max), ...optional('due', a, b, mean), ...optional('failedPerSec', a, b, mean),
    ...optional('eventLoopDelay', a, b, Math.max), ...optional('cpu', a, b, Math.max),
  };
}

/** An optional field of two merged points: merged when both have it, else whichever has it. */
function optional<K extends 'p95' | 'due' | 'failedPerSec' | 'eventLoopDelay' | 'cpu'>(
  key: K, a: SeriesPoint, b: SeriesPoint, merge: (x: number, y: number) => number,
): Partial<Pick<SeriesPoint, K>> {
  const x = a[key];
  const y = b[key];
  if (x === undefined && y === undefined) return {};
  return { [key]: x === undefined ? y : y === undefined ? x : merge(x, y) } as Partial<Pick<SeriesPoint, K>>;
}

/** Appends a point, merging into the last bucket or halving the resolution to stay bounded. */
export function appendPoint(series: SeriesPoint[], bucket: number, point: SeriesPoint): { series: SeriesPoint[]; bucket: number } {
  const last = series[series.length - 1];
  let next: SeriesPoint[];
  if (last && last.n < bucket && point.t < last.t + bucket) next = [...series.slice(0, -1), mergePoints(last, point)];
  else next = [...series, point];
  if (next.length <= MAX_POINTS) return { series: next, bucket };
  const halved: SeriesPoint[] = [];
  for (let i = 0; i < next.length; i += 2) halved.push(next[i + 1] ? mergePoints(next[i], next[i + 1]) : next[i]);
  return { series: halved, bucket: bucket * 2 };
}

function newRun(scenario: string, file: string, plan: PlanInfo | null, startedAt: number): RunView {
  return {
    scenario, file, plan, startedAt, status: 'live', bucket: 1, series: [], live: null,
    thresholds: [], checks: [], errorsByKind: {}, summary: null, agents: null,
  };
}

/** Once a scenario is over, none of its agents runs any more (its last progress may predate that). */
function agentsDone(agents: AgentCounts | null | undefined): AgentCounts | null {
  return agents ? { ...agents, running: 0 } : null;
}

function updateRun(state: PanelState, scenario: string, f: (run: RunView) => RunView): PanelState {
  let found = false;
  const runs = state.runs.map((r) => (r.scenario === scenario ? ((found = true), f(r)) : r));
  // A message for a scenario we never saw start (e.g. the panel opened mid-run): start a view for it.
  if (!found) runs.push(f(newRun(scenario, '', null, 0)));
  return { ...state, runs, current: state.current ?? scenario };
}

function addProblem(problems: Problem[], p: Problem): Problem[] {
  const same = problems.findIndex((q) => q.kind === p.kind && q.message === p.message && q.scenario === p.scenario);
  if (same >= 0) {
    const copy = problems.slice();
    copy[same] = { ...copy[same], count: Math.max(copy[same].count + 1, p.count) };
    return copy;
  }
  return [...problems, p].slice(-MAX_PROBLEMS);
}

function reduceRunner(state: PanelState, m: FromRunner): PanelState {
  switch (m.type) {
    case 'started': {
      // The first `started` after a finished run (or a reopened/compared one) begins a new run.
      const fresh = state.mode !== 'live' || state.source !== 'live';
      const base: PanelState = fresh
        ? { ...state, mode: 'live', source: 'live', runs: [], current: null, exitCode: null, problems: [], compare: null }
        : state;
      const runs = [...base.runs.filter((r) => r.scenario !== m.scenario), newRun(m.scenario, m.file, m.plan, m.startedAt)];
      return { ...base, runs, current: m.scenario };
    }
    case 'progress': {
      const live = { ...state, mode: 'live' as const };
      const l = m.progress.live;
      return updateRun(live, m.scenario, (r) => {
        const { series, bucket } = appendPoint(r.series, r.bucket, seriesPointOf(m.progress));
        return {
          ...r, series, bucket, live: l, agents: l.agents ?? r.agents ?? null,
          thresholds: l.thresholds.length ? l.thresholds : r.thresholds,
          checks: l.checks, errorsByKind: l.errorsByKind,
        };
      });
    }
    case 'thresholds':
      return updateRun(state, m.scenario, (r) => ({ ...r, thresholds: m.verdicts }));
    case 'finished':
      return updateRun(state, m.scenario, (r) => ({
        ...r, status: 'finished', summary: m.summary, file: r.file || m.summary.file, agents: agentsDone(r.agents),
        thresholds: m.summary.thresholds, checks: m.summary.checks, errorsByKind: m.summary.errorsByKind,
      }));
    case 'error':
      return {
        ...state,
        problems: addProblem(state.problems, {
          kind: m.kind, message: m.message, scenario: m.scenario ?? null, location: m.location ?? null, count: m.count ?? 1,
        }),
      };
    case 'log':
      if (m.level === 'info') return state;
      return {
        ...state,
        problems: addProblem(state.problems, {
          kind: m.level === 'warn' ? 'warn' : 'log-error', message: m.message, scenario: m.scenario ?? null, location: null, count: 1,
        }),
      };
    case 'done':
      return {
        ...state, mode: 'finished', exitCode: m.exitCode,
        // A scenario that never sent `finished` (runner stopped early) is over all the same.
        runs: state.runs.map((r) => (r.status === 'live' ? { ...r, status: 'finished', agents: agentsDone(r.agents) } : r)),
      };
    // A mix's totals: the panel shows each scenario's run (the terminal and --out have the totals).
    case 'mix-finished':
    case 'listed':
      return state;
  }
}

/** A saved run as a finished view. */
export function runViewOfSaved(run: SavedRun): RunView {
  const s = run.summary;
  return {
    ...newRun(run.scenario, run.file, null, run.startedAt),
    status: 'finished', series: run.series.slice(-MAX_POINTS), bucket: Math.max(1, ...run.series.map((p) => p.n)),
    thresholds: s.thresholds, checks: s.checks, errorsByKind: s.errorsByKind, summary: s,
  };
}

/** True when `value` looks like a PanelState this page can draw (setState data survives upgrades). */
export function isPanelState(value: unknown): value is PanelState {
  const v = value as PanelState | null;
  return !!v && typeof v === 'object' && v.version === STATE_VERSION && Array.isArray(v.runs) && Array.isArray(v.problems);
}

export function reduce(state: PanelState, msg: ToPanel): PanelState {
  switch (msg.type) {
    case 'runner':
      return reduceRunner(state, msg.message);
    case 'restore':
      return isPanelState(msg.state) ? msg.state : state;
    case 'history':
      return { ...state, history: msg.runs };
    case 'open':
      return {
        ...state, mode: 'finished', source: 'saved', runs: [runViewOfSaved(msg.run)], current: msg.run.scenario,
        exitCode: null, problems: [], compare: null,
      };
    case 'compare':
      return { ...state, mode: 'compare', compare: { a: msg.a, b: msg.b } };
    default:
      return state;
  }
}

/** Selects the scenario to show (when a file has several). */
export function selectScenario(state: PanelState, scenario: string): PanelState {
  return state.runs.some((r) => r.scenario === scenario) ? { ...state, current: scenario } : state;
}

export function currentRun(state: PanelState): RunView | null {
  return state.runs.find((r) => r.scenario === state.current) ?? state.runs[state.runs.length - 1] ?? null;
}

// ---------------------------------------------------------------------------------------------
// Derived rows

/** The HDR percentile curve's x: 1/(1-p), so 50% → 2, 90% → 10, 99% → 100, 99.9% → 1000. */
export function curveX(percentile: number): number {
  return 1 / (1 - percentile / 100);
}

/** The percentile label of an x on the curve's axis: 2 → '50%', 1000 → '99.9%'. */
export function percentileLabel(x: number): string {
  const p = 100 * (1 - 1 / x);
  const decimals = Math.max(0, Math.round(Math.log10(x)) - 2);
  return `${p.toFixed(decimals)}%`;
}

/**
 * The run's warning line, or null: while live, that the target has stopped answering ('no
 * response for 5 s: 50 requests in flight'); once finished, the requests the end cut off.
 */
export function runWarning(run: RunView | null): string | null {
  if (run === null) return null;
  if (run.status === 'live') return (run.live && noResponseWarning(run.live)) ?? null;
  const u = run.summary?.unfinished;
  if (u !== undefined && u.requests > 0) return `${unfinishedText(u)} (counted as failed; their durations are lower bounds)`;
  return null;
}

/** The agents line of a distributed run ('agents 2/2 joined, 2 running, 0 lost'), or null for a local one. */
export function agentsLine(run: RunView | null): string | null {
  return run?.agents ? agentsText(run.agents) : null;
}

/**
 * Points of the percentile curve. From the summary's latencyCurve when finished; while live,
 * from the latest p50/p90/p99. The 100th percentile (x = ∞) is drawn one decade past the last point.
 */
export function curvePoints(run: RunView): Array<{ x: number; y: number }> {
  const curve = run.summary?.latencyCurve?.length
    ? run.summary.latencyCurve
    : run.live && run.live.requests > 0
      ? ([[50, run.live.p50], [90, run.live.p90], [99, run.live.p99]] as Array<[number, number]>)
      : [];
  return curveFrom(curve);
}

export function curveFrom(curve: Array<[number, number]>): Array<{ x: number; y: number }> {
  // Accept percentiles as 0..100 (HDR's convention) or as 0..1 fractions.
  const scale = curve.length && curve.every(([p]) => p <= 1) ? 100 : 1;
  const finite = curve.filter(([p]) => p * scale < 100).map(([p, ms]) => ({ x: curveX(p * scale), y: ms }));
  const top = curve.filter(([p]) => p * scale >= 100);
  if (top.length) {
    const lastX = finite.length ? finite[finite.length - 1].x : 1;
    finite.push({ x: 10 ** (Math.floor(Math.log10(lastX) + 1e-9) + 1), y: top[top.length - 1][1] });
  }
  return finite;
}

/** Ticks for the curve's log axis: 50%, 90%, 99%, … up to the largest x. */
export function curveTicks(maxX: number): number[] {
  const ticks = [2];
  for (let x = 10; x <= Math.max(maxX, 100) * 1.0001; x *= 10) ticks.push(x);
  return ticks;
}

/**
 * The most VUs active at once in a finished run (the vus gauge's max; vus_max, the VUs created,
 * for summaries without it). The live figure is the active VUs, so the final one is their peak.
 */
export function peakVUs(s: SummaryData): number | null {
  return s.metrics.vus?.values.max ?? s.metrics.vus_max?.values.max ?? null;
}

/** A percentile of http_req_duration from a summary: its own value key, or read off the curve. */
export function summaryPercentile(s: SummaryData, p: number): number | null {
  const values = s.metrics.http_req_duration?.values ?? {};
  const key = p === 50 && values.med !== undefined ? 'med' : `p(${p})`;
  if (values[key] !== undefined) return values[key];
  if (p === 100 && values.max !== undefined) return values.max;
  const curve = s.latencyCurve ?? [];
  const scale = curve.length && curve.every(([q]) => q <= 1) ? 100 : 1;
  for (let i = 0; i < curve.length; i++) {
    const [q, ms] = curve[i];
    if (q * scale >= p) {
      if (i === 0) return ms;
      const [q0, ms0] = curve[i - 1];
      const span = (q - q0) * scale;
      return span > 0 ? ms0 + ((ms - ms0) * (p - q0 * scale)) / span : ms;
    }
  }
  return null;
}

export interface Figure {
  key: string;
  label: string;
  value: number | null;
  unit: 'ms' | 'count' | 'percent' | 'rate';
}

/** Headline figures of a summary, also the rows of the compare table. */
export function summaryFigures(s: SummaryData): Figure[] {
  const reqs = s.metrics.http_reqs?.values ?? {};
  const failed = s.metrics.http_req_failed?.values ?? {};
  const dropped = s.metrics.dropped_iterations?.values ?? {};
  const iterations = s.metrics.iterations?.values ?? {};
  const durSec = s.state.testRunDurationMs / 1000;
  return [
    { key: 'p50', label: 'p50', value: summaryPercentile(s, 50), unit: 'ms' },
    { key: 'p90', label: 'p90', value: summaryPercentile(s, 90), unit: 'ms' },
    { key: 'p95', label: 'p95', value: summaryPercentile(s, 95), unit: 'ms' },
    { key: 'p99', label: 'p99', value: summaryPercentile(s, 99), unit: 'ms' },
    { key: 'max', label: 'max', value: s.metrics.http_req_duration?.values.max ?? null, unit: 'ms' },
    { key: 'requests', label: 'requests', value: reqs.count ?? null, unit: 'count' },
    { key: 'rps', label: 'req/s', value: reqs.rate ?? (reqs.count !== undefined && durSec > 0 ? reqs.count / durSec : null), unit: 'rate' },
    { key: 'failed', label: 'failed', value: failed.rate ?? null, unit: 'percent' },
    { key: 'iterations', label: 'iterations', value: iterations.count ?? null, unit: 'count' },
    { key: 'dropped', label: 'dropped', value: dropped.count ?? 0, unit: 'count' },
  ];
}

/** Headline numbers of a summary: p99 latency (ms) and requests per second. */
export function headline(summary: SummaryData): { p99: number | null; rps: number | null } {
  const figures = summaryFigures(summary);
  const get = (key: string) => figures.find((f) => f.key === key)?.value ?? null;
  return { p99: get('p99'), rps: get('rps') };
}

/** Summary value keys in reading order; others follow alphabetically. */
const VALUE_ORDER = ['count', 'rate', 'avg', 'min', 'med', 'p(90)', 'p(95)', 'p(99)', 'p(99.9)', 'max', 'value', 'passes', 'fails'];

export function orderedValueKeys(values: Record<string, number>): string[] {
  const keys = Object.keys(values);
  const known = VALUE_ORDER.filter((k) => keys.includes(k));
  return [...known, ...keys.filter((k) => !VALUE_ORDER.includes(k)).sort()];
}

/** Seconds of the run so far (for the status line). */
export function elapsedSeconds(run: RunView): number {
  if (run.summary) return run.summary.state.testRunDurationMs / 1000;
  return (run.live?.elapsedMs ?? 0) / 1000;
}

// A virtual user and one iteration of it. Shared by the open and closed executors.

import type { IterationContext, ScenarioDefinition, Tags, VuInfo } from '../types';
import type { CounterSeries, MetricsRecorder, TrendSeries } from '../metrics/recorder';
import { ITERATIONS, ITERATION_DURATION, ITERATION_LAG, DROPPED_ITERATIONS } from '../metrics/names';
import type { HttpTransport } from '../http/transport';
import { VuHttp } from '../http/client';
import type { ExecutionSegment } from '../segments';

/** Everything an executor needs from the run. */
export interface ExecContext {
  def: ScenarioDefinition;
  data: unknown;
  env: Record<string, string>;
  transport: HttpTransport;
  recorder: MetricsRecorder;
  /** Scenario tags, on the iteration metrics. */
  tags: Tags;
  /** Milliseconds since the run's start. */
  elapsed(): number;
  segment?: ExecutionSegment;
  onIterationError(err: unknown): void;
}

/** Series handles of the iteration metrics, resolved once per run. */
export class IterationSeries {
  readonly iterations: CounterSeries;
  readonly duration: TrendSeries;
  readonly lag: TrendSeries;
  readonly dropped: CounterSeries;
  constructor(r: MetricsRecorder, tags: Tags) {
    this.iterations = r.series('counter', ITERATIONS, tags);
    this.duration = r.series('trend', ITERATION_DURATION, tags);
    this.lag = r.series('trend', ITERATION_LAG, tags);
    this.dropped = r.series('counter', DROPPED_ITERATIONS, tags);
  }
}

export class Vu {
  readonly http: VuHttp;
  readonly info: VuInfo;
  readonly ctx: IterationContext;
  /** Closed model: asked to stop after the current iteration (ramp down). */
  stopRequested = false;
  /** Closed model: its loop is running. */
  running = false;

  constructor(x: ExecContext, id: number) {
    this.http = new VuHttp(x.transport);
    this.info = { id, iteration: 0, iterationInScenario: 0 };
    this.ctx = { http: this.http, data: x.data, vu: this.info, env: x.env };
  }
}

/**
 * Runs one iteration on `vu`. Never rejects: an exception goes to onIterationError. `lagMs` is
 * how late it started after its due time (open model), added to each request's latency.
 */
export async function runIteration(x: ExecContext, s: IterationSeries, vu: Vu, globalIndex: number, lagMs: number): Promise<void> {
  vu.http.lagMs = lagMs;
  vu.info.iterationInScenario = globalIndex;
  const start = x.elapsed();
  try {
    const r = x.def.iteration(vu.ctx);
    if (r !== undefined && r !== null && typeof (r as Promise<void>).then === 'function') await r;
  } catch (err) {
    if (x.transport.recording) x.onIterationError(err);
  }
  vu.info.iteration++;
  if (x.transport.recording) {
    s.iterations.add(1);
    s.duration.record((x.elapsed() - start) * 1000);
  }
}

/** VU ids are global across segments: the local VU n is the segment's n-th owned index + 1. */
export function vuId(segment: ExecutionSegment | undefined, local: number): number {
  return (segment ? segment.globalIndex(local) : local) + 1;
}

/** What every executor reports to the run loop. */
export interface Executor {
  /** Starts the load at elapsed() = 0. */
  start(): void;
  /** Resolves when the load phase ends on its own (planned time reached, or all iterations done). */
  readonly loadDone: Promise<void>;
  /** Stops starting iterations (end of the load phase or cancel). Idempotent. */
  stop(): void;
  /** Resolves when no iteration is in flight. */
  idle(): Promise<void>;
  /** Iterations in flight. */
  readonly inFlight: number;
  /** VUs running an iteration (open) or looping (closed) now. */
  readonly activeVUs: number;
  /** VUs created so far. */
  readonly createdVUs: number;
  /**
   * The fewest and most active VUs at any moment since the last call (the vus gauge's min and
   * max within an interval); the next range starts from the VUs active now.
   */
  takeActiveRange(): { min: number; peak: number };
  readonly started: number;
  readonly dropped: number;
  /** Iterations due so far (open model; = started in the closed model). */
  due(): number;
}

/** Shared bookkeeping: in-flight count and the idle promise. */
export abstract class ExecutorBase {
  inFlight = 0;
  started = 0;
  dropped = 0;
  stopping = false;
  private idleResolve: (() => void) | null = null;
  private idlePromise: Promise<void> | null = null;
  protected loadDoneResolve!: () => void;
  readonly loadDone: Promise<void>;
  protected readonly series: IterationSeries;

  private minActive = 0;
  private peakActive = 0;

  constructor(protected readonly x: ExecContext) {
    this.series = new IterationSeries(x.recorder, x.tags);
    this.loadDone = new Promise((r) => (this.loadDoneResolve = r));
  }

  abstract get activeVUs(): number;

  /** Call after each change of activeVUs: a VU that starts and stops within an interval still counts. */
  protected activeChanged(): void {
    const n = this.activeVUs;
    if (n > this.peakActive) this.peakActive = n;
    if (n < this.minActive) this.minActive = n;
  }

  takeActiveRange(): { min: number; peak: number } {
    const range = { min: this.minActive, peak: this.peakActive };
    this.minActive = this.peakActive = this.activeVUs;
    return range;
  }

  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return (this.idlePromise ??= new Promise((r) => (this.idleResolve = r)));
  }

  protected iterationEnded(): void {
    this.inFlight--;
    if (this.inFlight === 0 && this.idleResolve !== null) {
      const r = this.idleResolve;
      this.idleResolve = null;
      this.idlePromise = null;
      r();
    }
  }
}

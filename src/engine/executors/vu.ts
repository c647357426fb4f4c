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
  /** When the current iteration started (ms since the run's start). */
  iterationStart = 0;

  constructor(x: ExecContext, id: number) {
    this.http = new VuHttp(x.transport);
    this.info = { id, iteration: 0, iterationInScenario: 0 };
    this.ctx = { http: this.http, data: x.data, vu: this.info, env: x.env };
  }
}

// One iteration is startIteration, an `await` of what it returns (if anything), then
// endIteration, written out in each executor's own async loop rather than wrapped in an async
// function: every suspended async function costs about 400 bytes per iteration in flight (its
// generator, registers and promise), and at thousands of VUs each holding a slow request those
// bytes outlive the young generation and pile up in the old one until a full GC.

/**
 * Starts one iteration on `vu`; returns its promise if it is still running (await it, reporting
 * a rejection to iterationFailed), else undefined. `lagMs` is how late it started after its due
 * time (open model), added to each request's latency.
 */
export function startIteration(x: ExecContext, vu: Vu, globalIndex: number, lagMs: number): PromiseLike<unknown> | undefined {
  vu.http.lagMs = lagMs;
  vu.http.newIteration();
  vu.info.iterationInScenario = globalIndex;
  vu.iterationStart = x.elapsed();
  try {
    const r = x.def.iteration(vu.ctx);
    if (r !== undefined && r !== null && typeof (r as PromiseLike<unknown>).then === 'function') return r as PromiseLike<unknown>;
  } catch (err) {
    iterationFailed(x, err);
  }
  return undefined;
}

/** An exception from an iteration (not after the run has ended: abandoned iterations are quiet). */
export function iterationFailed(x: ExecContext, err: unknown): void {
  if (x.transport.recording) x.onIterationError(err);
}

/** Records the iteration `vu` has finished. */
export function endIteration(x: ExecContext, s: IterationSeries, vu: Vu): void {
  vu.info.iteration++;
  if (x.transport.recording) {
    s.iterations.add(1);
    s.duration.record((x.elapsed() - vu.iterationStart) * 1000);
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

// Closed model: each VU loops over iterations (latency from the actual send; a slow server
// slows the load down, which hides queueing: the summary says so).
// - constant VUs for a duration;
// - shared iterations: the VUs take iterations from one counter until all have started;
// - per-VU iterations: each VU runs its own fixed count;
// - ramping VUs: VUs start and stop at the moments the ramp's VU count crosses their index
//   (a VU asked to stop finishes its current iteration first).
// With a segment, each process owns the striped share of VU indexes (and of the shared
// iterations, re-cut by the VUs it owns), so the union equals one whole run.

import type { VuStep } from '../schedule';
import { ExecutorBase, Vu, startIteration, iterationFailed, endIteration, vuId, type ExecContext, type Executor } from './vu';
import type { ExecutionSegment } from '../segments';

/** Yield to timers and I/O at least this often, even if iterations never await real I/O. */
const YIELD_EVERY_MS = 20;

/**
 * Resolves in the next event-loop turn. One promise and one Immediate per turn, shared by every
 * VU that yields in it: at thousands of VUs each iteration yields (each takes longer than
 * YIELD_EVERY_MS), and a promise, closure and Immediate apiece were ~400 bytes per iteration.
 */
function yieldToEventLoop(): Promise<void> {
  return (nextTurn ??= new Promise((resolve) => setImmediate(turnCame, resolve)));
}
let nextTurn: Promise<void> | null = null;
function turnCame(resolve: () => void): void {
  nextTurn = null;
  resolve();
}

abstract class LoopingExecutor extends ExecutorBase implements Executor {
  protected readonly vus: Vu[] = [];
  protected looping = 0;
  private endTimer: NodeJS.Timeout | null = null;

  get activeVUs(): number {
    return this.looping;
  }

  get createdVUs(): number {
    return this.vus.length;
  }

  due(): number {
    return this.started;
  }

  abstract start(): void;

  /** Ends the load phase after `ms` (the planned duration, or maxDuration). */
  protected endAfter(ms: number): void {
    this.endTimer = setTimeout(() => {
      this.endTimer = null;
      this.stop();
    }, Math.max(0, ms - this.x.elapsed()));
  }

  stop(): void {
    if (!this.stopping) {
      this.stopping = true;
      if (this.endTimer !== null) clearTimeout(this.endTimer);
      this.endTimer = null;
      this.onStop();
    }
    this.loadDoneResolve();
  }

  protected onStop(): void {}

  protected vu(local: number): Vu {
    while (this.vus.length <= local) this.vus.push(new Vu(this.x, vuId(this.x.segment, this.vus.length)));
    return this.vus[local];
  }

  private count = 0;

  /**
   * The next iteration's index in the scenario, or -1 when this VU should stop looping. With a
   * segment, the local count maps to the segment's own global indexes (as k6 does), so indexes
   * stay unique across worker processes and agents: what `rows.unique()` relies on.
   */
  protected nextIteration(_vu: Vu): number {
    const local = this.count++;
    return this.x.segment ? this.x.segment.globalIndex(local) : local;
  }

  protected async loop(vu: Vu): Promise<void> {
    vu.running = true;
    this.looping++;
    this.activeChanged();
    let lastYield = this.x.elapsed();
    for (;;) {
      if (this.stopping || vu.stopRequested) break;
      const g = this.nextIteration(vu);
      if (g < 0) break;
      this.inFlight++;
      this.started++;
      // Not wrapped in an async function (see startIteration).
      const running = startIteration(this.x, vu, g, 0);
      if (running !== undefined) {
        try {
          await running;
        } catch (err) {
          iterationFailed(this.x, err);
        }
      }
      endIteration(this.x, this.series, vu);
      this.iterationEnded();
      const now = this.x.elapsed();
      if (now - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = this.x.elapsed();
      }
    }
    vu.running = false;
    this.looping--;
    this.activeChanged();
    this.loopEnded();
  }

  protected loopEnded(): void {}
}

export class ConstantVusExecutor extends LoopingExecutor {
  constructor(x: ExecContext, private readonly load: { vus: number; durationMs: number }) {
    super(x);
  }

  start(): void {
    const own = this.x.segment ? this.x.segment.scaleInt(this.load.vus) : this.load.vus;
    this.endAfter(this.load.durationMs);
    for (let i = 0; i < own; i++) void this.loop(this.vu(i));
  }
}

export class SharedIterationsExecutor extends LoopingExecutor {
  private readonly total: number;
  private readonly ownVus: number;
  private readonly iterSegment: ExecutionSegment | null | undefined;
  private next = 0;

  constructor(x: ExecContext, load: { vus: number; iterations: number; maxDurationMs: number }) {
    super(x);
    this.maxDurationMs = load.maxDurationMs;
    const seg = x.segment;
    this.ownVus = seg ? seg.scaleInt(load.vus) : load.vus;
    // Iterations follow the VUs: a segment that owns no VU gets no iteration.
    this.iterSegment = seg ? seg.resegmentBy(load.vus) : undefined;
    this.total = seg ? (this.iterSegment ? this.iterSegment.scaleInt(load.iterations) : 0) : load.iterations;
  }

  private readonly maxDurationMs: number;

  start(): void {
    this.endAfter(this.maxDurationMs);
    if (this.total === 0 || this.ownVus === 0) {
      this.stop();
      return;
    }
    for (let i = 0; i < Math.min(this.ownVus, this.total); i++) void this.loop(this.vu(i));
  }

  protected override nextIteration(): number {
    if (this.next >= this.total) return -1;
    const local = this.next++;
    return this.iterSegment ? this.iterSegment.globalIndex(local) : local;
  }

  protected loopEnded(): void {
    // All iterations started and every VU done: the load phase is over.
    if (this.looping === 0) this.stop();
  }
}

/**
 * k6's per-vu-iterations: each VU runs exactly `iterationsPerVU` iterations. A segment owns
 * whole VUs and so all of their iterations: the union over segments is exact. The scenario index
 * of VU v's i-th iteration is v * iterationsPerVU + i (global VU index v), the same in any split.
 */
export class PerVuIterationsExecutor extends LoopingExecutor {
  private readonly ownVus: number;
  private readonly maxDurationMs: number;

  constructor(x: ExecContext, private readonly load: { vus: number; iterationsPerVU: number; maxDurationMs: number }) {
    super(x);
    this.maxDurationMs = load.maxDurationMs;
    this.ownVus = x.segment ? x.segment.scaleInt(load.vus) : load.vus;
  }

  start(): void {
    this.endAfter(this.maxDurationMs);
    if (this.ownVus === 0) {
      this.stop();
      return;
    }
    // A VU whose iterations never await finishes inside loop(): the phase ends only when all have.
    this.starting = true;
    for (let i = 0; i < this.ownVus; i++) void this.loop(this.vu(i));
    this.starting = false;
    this.loopEnded();
  }

  private starting = false;

  protected override nextIteration(vu: Vu): number {
    const n = vu.info.iteration;
    if (n >= this.load.iterationsPerVU) return -1;
    return (vu.info.id - 1) * this.load.iterationsPerVU + n;
  }

  protected loopEnded(): void {
    if (this.looping === 0 && !this.starting) this.stop();
  }
}

export class RampingVusExecutor extends LoopingExecutor {
  private stepIndex = 0;
  private stepTimer: NodeJS.Timeout | null = null;

  constructor(x: ExecContext, private readonly load: { steps: VuStep[]; durationMs: number }) {
    super(x);
  }

  start(): void {
    this.endAfter(this.load.durationMs);
    this.applySteps();
  }

  private readonly applySteps = (): void => {
    this.stepTimer = null;
    if (this.stopping) return;
    const steps = this.load.steps;
    const now = this.x.elapsed();
    let target = -1;
    while (this.stepIndex < steps.length && steps[this.stepIndex].atMs <= now) target = steps[this.stepIndex++].vus;
    if (target >= 0) this.setTarget(this.x.segment ? this.x.segment.scaleInt(target) : target);
    if (this.stepIndex < steps.length && steps[this.stepIndex].atMs < this.load.durationMs) {
      this.stepTimer = setTimeout(this.applySteps, Math.max(0, steps[this.stepIndex].atMs - now));
    }
  };

  /** Local VUs [0, target) loop; the others stop after their current iteration. */
  private setTarget(target: number): void {
    for (let i = 0; i < Math.max(target, this.vus.length); i++) {
      const vu = this.vu(i);
      if (i < target) {
        vu.stopRequested = false;
        if (!vu.running) void this.loop(vu);
      } else vu.stopRequested = true;
    }
  }

  protected onStop(): void {
    if (this.stepTimer !== null) clearTimeout(this.stepTimer);
    this.stepTimer = null;
  }
}

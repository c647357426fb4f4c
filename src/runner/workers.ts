// Local worker processes (`--workers N`): the parent splits one run into N exact execution
// segments (src/engine/segments.ts), forks one worker per segment, merges each interval's
// IntervalData across workers (exact: histograms are added) and hands the merged stream to the
// runner's usual path, so thresholds, the --out file, the panel and the summary see one run.

import { availableParallelism } from 'node:os';
import { mergeIntervals } from '../engine/metrics';
import type { IntervalData } from '../engine/types';

/**
 * Default worker count: one per core, leaving one core for the machine (the target, the editor,
 * the parent's merging). On 2 cores that is 1, i.e. no worker processes at all.
 */
export function defaultWorkerCount(cores: number = availableParallelism()): number {
  return Math.max(1, cores - 1);
}

export interface MergerOptions {
  /** Worker count. */
  workers: number;
  /**
   * How long an interval may wait for its missing parts after its first part arrived, before it
   * closes anyway (a dead or stalled worker must not hold the stream open).
   */
  graceMs?: number;
  /** Called with each merged interval, in index order. */
  emit(interval: IntervalData, info: { parts: number; missing: number[] }): void;
  /** Clock, for tests. */
  now?: () => number;
}

interface Pending {
  parts: IntervalData[];
  from: Set<number>;
  firstAt: number;
}

/**
 * Collects the intervals each worker reports and emits one merged interval per index, in order:
 * as soon as every live worker has reported it, or `graceMs` after its first part (call `tick()`
 * on a timer). A part that arrives after its interval closed is folded into the next interval
 * emitted, so totals stay exact.
 */
export class IntervalMerger {
  private readonly pending = new Map<number, Pending>();
  private readonly live: Set<number>;
  /** Every interval index below this has been emitted. */
  private nextIndex = 0;
  private late: IntervalData[] = [];
  /** Parts that arrived after their interval had closed. */
  lateParts = 0;
  private readonly graceMs: number;
  private readonly now: () => number;

  constructor(private readonly options: MergerOptions) {
    this.live = new Set(Array.from({ length: options.workers }, (_, i) => i));
    this.graceMs = options.graceMs ?? 2500;
    this.now = options.now ?? Date.now;
  }

  /** A worker's interval. */
  add(worker: number, interval: IntervalData): void {
    if (interval.index < this.nextIndex) {
      this.lateParts++;
      this.late.push(interval);
      return;
    }
    let p = this.pending.get(interval.index);
    if (p === undefined) {
      p = { parts: [], from: new Set(), firstAt: this.now() };
      this.pending.set(interval.index, p);
    }
    p.parts.push(interval);
    p.from.add(worker);
    this.drain(false);
  }

  /** The worker has exited (finished or died): stop waiting for its parts. */
  retire(worker: number): void {
    this.live.delete(worker);
    this.drain(false);
  }

  /** Closes intervals whose grace has passed. */
  tick(): void {
    this.drain(false);
  }

  /** Emits everything still pending (end of the run). */
  flush(): void {
    this.drain(true);
    if (this.late.length > 0) {
      // Late parts with nothing after them: emit them as one more interval of their own.
      const parts = this.late.map((p) => ({ ...p, index: this.nextIndex }));
      this.late = [];
      this.options.emit(mergeIntervals(parts), { parts: parts.length, missing: [] });
      this.nextIndex++;
    }
  }

  /** How many intervals are waiting to close. */
  get waiting(): number {
    return this.pending.size;
  }

  private drain(all: boolean): void {
    for (;;) {
      // The lowest pending index; gaps (an interval nobody reported) are skipped only when a
      // later interval closes, which keeps indexes in order.
      let index = Infinity;
      for (const k of this.pending.keys()) if (k < index) index = k;
      if (index === Infinity) return;
      const p = this.pending.get(index)!;
      const complete = [...this.live].every((w) => p.from.has(w));
      if (!all && !complete && this.now() - p.firstAt < this.graceMs) return;
      this.pending.delete(index);
      const missing = [...this.live].filter((w) => !p.from.has(w));
      const late = this.late.map((l) => ({ ...l, index, startMs: p.parts[0].startMs, endMs: p.parts[0].endMs }));
      this.late = [];
      this.options.emit(mergeIntervals([...p.parts, ...late]), { parts: p.parts.length, missing });
      this.nextIndex = index + 1;
    }
  }
}

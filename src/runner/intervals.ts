// Where the runner's intervals come from: one or more sources (the in-process engine today,
// local worker processes or remote machines later) each report their part of every one-second
// interval; the collector merges the parts of one index once every source has reported it (or
// has finished) and hands complete intervals on in index order.

import type { IntervalData } from '../engine/types';
import { mergeIntervals } from '../engine/metrics/merge';

export class IntervalCollector {
  private readonly pending = new Map<number, IntervalData[]>();
  /** Highest index each source has reported; a finished source counts as having reported all. */
  private readonly reportedUpTo: number[];
  private readonly finished: boolean[];
  private nextIndex = 0;

  /**
   * @param sources how many sources report parts of each interval
   * @param emit receives each merged interval, in index order, exactly once
   */
  constructor(
    sources: number,
    private readonly emit: (interval: IntervalData) => void,
  ) {
    this.reportedUpTo = new Array(sources).fill(-1);
    this.finished = new Array(sources).fill(false);
  }

  /** One source's part of one interval. Sources report their own indexes in increasing order. */
  add(source: number, part: IntervalData): void {
    let parts = this.pending.get(part.index);
    if (!parts) this.pending.set(part.index, (parts = []));
    parts.push(part);
    this.reportedUpTo[source] = Math.max(this.reportedUpTo[source], part.index);
    this.flushReady();
  }

  /** The source will report no more intervals (it finished, or died). */
  finish(source: number): void {
    this.finished[source] = true;
    this.flushReady();
  }

  /** Emits whatever is still pending (e.g. a source died mid-interval), in index order. */
  flushAll(): void {
    for (const index of [...this.pending.keys()].sort((a, b) => a - b)) this.emitIndex(index);
  }

  private flushReady(): void {
    const upTo = Math.min(...this.reportedUpTo.map((r, i) => (this.finished[i] ? Infinity : r)));
    const ready = [...this.pending.keys()].filter((i) => i <= upTo).sort((a, b) => a - b);
    for (const index of ready) this.emitIndex(index);
  }

  private emitIndex(index: number): void {
    const parts = this.pending.get(index);
    if (!parts) return;
    this.pending.delete(index);
    this.nextIndex = Math.max(this.nextIndex, index + 1);
    this.emit(mergeIntervals(parts));
  }
}

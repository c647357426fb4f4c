// Local worker processes (`--workers N`): the parent splits one run into N exact execution
// segments (src/engine/segments.ts), forks one worker per segment, merges each interval's
// IntervalData across workers (exact: histograms are added) and hands the merged stream to the
// runner's usual path, so thresholds, the --out file, the panel and the summary see one run.
// setup() and teardown() run once, here in the parent; their data crosses to the workers as JSON.

import { fork, type ChildProcess } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { mergeIntervals } from '../engine/metrics';
import type { IntervalData } from '../engine/types';
import { ScenarioSetupError } from '../engine/errors';
import { maxVUsOf, validateScenario } from '../engine/load';
import { planFromLoad, runHook } from '../engine/run';
import { httpClientFromEnv } from './env';
import { equalSegment } from '../engine/segments';
import type { FromWorker, ToWorker } from '../protocol';
import { bundleScenarioFile } from './bundle';
import type { LoadSource, SourceEvents, SourceResult, SourceRunOptions } from './source';
import { SegmentReports, endSegments, setupOnce, type SegmentState } from './segment-reports';

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
  private lastEndMs = 0;
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

  /** An interval measured outside the workers (setup, teardown): counted in the next one emitted. */
  addExtra(interval: IntervalData): void {
    this.late.push(interval);
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
      const parts = this.late.map((p) => ({ ...p, index: this.nextIndex, startMs: this.lastEndMs, endMs: this.lastEndMs }));
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
      const merged = mergeIntervals([...p.parts, ...late]);
      this.options.emit(merged, { parts: p.parts.length, missing });
      this.nextIndex = index + 1;
      this.lastEndMs = merged.endMs;
    }
  }
}

/** dist/worker.js next to the bundled runner (LOADLENS_WORKER_PATH overrides, for tests). */
export function defaultWorkerPath(): string {
  return process.env.LOADLENS_WORKER_PATH ?? join(__dirname, 'worker.js');
}

interface WorkerState extends SegmentState {
  child: ChildProcess;
  exited: boolean;
}

/**
 * `--workers N` as a LoadSource: N worker processes, each running its equal execution segment
 * of the scenario; the union is exactly the single-process run.
 */
export class WorkerSource implements LoadSource {
  private workers: WorkerState[] = [];
  private cancelReason: string | undefined;

  constructor(
    readonly count: number,
    private readonly workerPath: string = defaultWorkerPath(),
  ) {}

  async run(o: SourceRunOptions, events: SourceEvents): Promise<SourceResult> {
    // A debug run stops at breakpoints in the process the debugger attached to: run in process.
    if (o.debug) return new (await import('./local-source')).InProcessSource().run(o, events);
    const definition = o.definition;
    validateScenario(definition);
    const load = o.load;
    const plan = planFromLoad(o.name, load);
    // A segment must own at least one VU, or its share of the arrivals could never start.
    const n = Math.max(1, Math.min(this.count, maxVUsOf(load)));
    if (n < this.count) events.log('info', `${n} worker process(es), not ${this.count}: the scenario has ${maxVUsOf(load)} VU(s) at most`);

    // setup() and teardown() run once, here in the parent.
    const { setupData, extras } = await setupOnce(definition, o.env, o.name, o.httpDebug);
    const code = await bundleScenarioFile(o.file);

    let incomplete = false;
    const merger = new IntervalMerger({ workers: n, emit: (interval) => events.interval(interval) });
    for (const e of extras) merger.addExtra(e);
    let allExited!: () => void;
    const exitedAll = new Promise<void>((r) => (allExited = r));
    let readyAll!: () => void;
    let failedStart!: (err: Error) => void;
    const readyOrFailed = new Promise<void>((resolve, reject) => { readyAll = resolve; failedStart = reject; });
    let started = false;
    const reports = new SegmentReports(n, merger, events, () => started);

    this.workers = [];
    for (let i = 0; i < n; i++) {
      const child = fork(this.workerPath, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'json' });
      const w: WorkerState = { child, ready: false, done: false, exited: false, durationMs: 0, interrupted: 0 };
      this.workers.push(w);
      child.on('message', (m: FromWorker) => {
        reports.report(m, i, `worker ${i + 1}/${n}`, w);
        if (m.type === 'worker-ready' && this.workers.every((x) => x.ready)) readyAll();
      });
      child.once('exit', (exitCode, signal) => {
        w.exited = true;
        if (!w.done) {
          if (started) {
            incomplete = true;
            const segment = equalSegment(i, n).toString();
            events.log('error', `worker ${i + 1}/${n} (segment ${segment}) exited (${signal ?? `code ${exitCode}`}) before finishing: its remaining share is lost, the run is incomplete`);
          } else {
            const e = w.loadError;
            failedStart(Object.assign(new Error(e?.message ?? `worker ${i + 1}/${n} exited (${signal ?? `code ${exitCode}`}) while loading the scenario`), { stack: e?.stack }));
          }
        }
        merger.retire(i);
        if (this.workers.every((x) => x.exited)) allExited();
      });
      this.send(w, {
        type: 'worker-load', index: i, workers: n, file: o.file, code, scenario: o.name,
        target: definition.target, load, env: o.env, setupData, httpDebug: o.httpDebug,
        stopByMs: plan.plannedMs + load.gracefulStopMs,
      });
    }

    try {
      await readyOrFailed;
    } catch (err) {
      for (const w of this.workers) if (!w.exited) w.child.kill('SIGKILL');
      await exitedAll;
      throw err;
    }
    // A barrier, then one start message: the workers' one-second intervals line up.
    started = true;
    for (const w of this.workers) this.send(w, { type: 'worker-start' });
    if (this.cancelReason !== undefined) this.cancel(this.cancelReason);
    events.started(plan, Date.now());
    const ticker = setInterval(() => merger.tick(), 250);
    await exitedAll;
    clearInterval(ticker);
    merger.flush();

    const durationMs = await endSegments({ states: this.workers, merger, events, definition, scenario: o.name, env: o.env, setupData, what: 'worker', httpDebug: o.httpDebug });
    return { durationMs, incomplete, blocked: reports.blocked };
  }

  cancel(reason: string): void {
    this.cancelReason = reason;
    for (const w of this.workers) this.send(w, { type: 'cancel', reason });
  }

  private send(w: WorkerState, message: ToWorker): void {
    if (w.child.connected) w.child.send(message);
  }
}

// The runner's host: runs the runner core (thread.ts) in a worker thread and supervises it from
// this process's main thread, which the scenario's code never runs on, so it stays responsive
// whatever the scenario does. The CLI uses it in its own process; the forked runner (main.ts)
// uses it for the extension. The supervisor
// - relays the runner protocol both ways (postMessage copies every message, as IPC would);
// - keeps its own copy of each running scenario's figures (the runner's intervals, which it keeps to itself),
//   so it can print the summary and close --out even when the thread cannot;
// - watches the thread's heartbeat: a blocked event loop is reported with the .load.ts line it is
//   stuck on (the thread's stack, taken through the inspector), and a cancel then ends the run at
//   once; a cancel that is not honoured within gracefulStop + 1 s ends it too;
// - reports the thread running out of memory (its heap limit is the Worker's resourceLimits,
//   LOADLENS_MAX_HEAP_MB to set it) with the summary of what was measured.

import type { Worker } from 'node:worker_threads';
import { RunAggregate } from '../engine/aggregate';
import type { IntervalData, SummaryData } from '../engine/types';
import {
  ExitCode,
  type FromRunner,
  type FromRunnerThread,
  type PlanInfo,
  type RunRequest,
  type SourceLocation,
  type ToRunner,
} from '../protocol';
import type { RunnerConnection, RunnerExit } from './client';
import { OutputFile, endOfRunFiles, outRecord } from './out-file';
import { DetailsCollector } from '../report/collect';
import { savedRunOf, type SavedRun } from '../report/saved-runs';
import { writeOutput } from './thread-output';
import { startThread } from './thread-start';
import { cleanStack, locateInStack } from './stack';
import { STALL_MS, formatBytes, sampleThreadStack, type StackSample } from './watchdog';

/** A cancel the runner did not honour within gracefulStop plus this ends the run from here. */
const CANCEL_SLACK_MS = 1000;
/** gracefulStop when no scenario has started yet (the engine's default). */
const DEFAULT_GRACEFUL_STOP_MS = 30_000;
/** Above this share of its heap limit, the thread's stack is sampled now and then, so that an
 *  out-of-memory ending can say where the scenario was. */
const HEAP_SAMPLE_SHARE = 0.7;
const HEAP_SAMPLE_EVERY_MS = 500;

export interface ThreadRunnerOptions {
  /** The bundled thread entry (dist/cli-thread.js or dist/runner-thread.js). */
  threadPath: string;
  /** The thread's old-generation heap limit, MB (default: V8's); LOADLENS_MAX_HEAP_MB overrides. */
  maxHeapMb?: number;
  /** A thread already started on `threadPath` (startThread), to take over. */
  worker?: Worker;
}

interface Running {
  scenario: string;
  plan: PlanInfo;
  startedAt: number;
  gracefulStopMs: number;
  aggregate: RunAggregate;
  lastEndMs: number;
  /** --report only: the report's details, so a run this host has to stop still gets its report. */
  details?: DetailsCollector;
  /** The interval whose `progress` (the live figures the details need) has not arrived yet. */
  pending?: IntervalData;
}

interface Ending {
  status: SummaryData['state']['status'];
  code: number;
  /** Why the supervisor had to end the run (in the --out summary record). */
  why: string;
}

type ErrorMessage = Extract<FromRunner, { type: 'error' }>;

export class ThreadRunner implements RunnerConnection {
  readonly exited: Promise<RunnerExit>;
  private resolveExit!: (exit: RunnerExit) => void;
  private readonly worker: Worker;
  private readonly listeners: Array<(m: FromRunner) => void> = [];
  private readonly watchTimer: NodeJS.Timeout;
  /** `done` was delivered (or the run was killed): nothing more is relayed. */
  private ended = false;
  /** The exit code `done` announced: the run is over once the thread has exited. */
  private doneCode: number | undefined;
  /** The supervisor is ending the run itself. */
  private ending = false;
  private request: RunRequest | undefined;
  private file: string | undefined;
  private debug = false;
  private active = false;
  private beats = 0;
  private lastBeat = Date.now();
  private heapUsed = 0;
  private heapLimit = 0;
  /** The thread's old-generation limit, MB, as the Worker reports it (gone once it has died). */
  private oldSpaceMb = 0;
  private readonly running = new Map<string, Running>();
  private current: Running | undefined;
  private readonly finished: SummaryData[] = [];
  /** With --report: each scenario's run as the report shows it (finished, or ended from here). */
  private readonly reported: SavedRun[] = [];
  private stallReported = false;
  private stallReport: Promise<void> | undefined;
  private sampling: Promise<StackSample | undefined> | undefined;
  private lastSampleAt = 0;
  /** Where the scenario was at the last sample (for an out-of-memory ending). */
  private lastLocation: SourceLocation | undefined;
  /** A stop was asked (cancel, or process.exit() in the scenario): the run must end by `at`. */
  private deadline: (Ending & { at: number }) | undefined;

  constructor(private readonly options: ThreadRunnerOptions) {
    this.exited = new Promise((resolve) => (this.resolveExit = resolve));
    // The scenario's console output reaches this process's stdout/stderr, relayed by this thread.
    this.worker = options.worker ?? startThread(options.threadPath, options.maxHeapMb);
    this.worker.on('message', (m: FromRunnerThread) => this.receive(m));
    this.worker.on('error', (err) => this.crashed(err));
    this.worker.on('exit', (code) => {
      if (this.doneCode !== undefined) return this.end(this.doneCode);
      if (!this.ended) void this.forceEnd({ status: 'incomplete', code: ExitCode.internal, why: 'the runner thread exited' }, {
        kind: 'internal',
        message: `the runner thread exited (code ${code}) before the run ended`,
      });
    });
    this.watchTimer = setInterval(() => this.watch(), 250);
  }

  onMessage(listener: (m: FromRunner) => void): void {
    this.listeners.push(listener);
  }

  run(request: RunRequest): void {
    this.start(request.file, request);
    this.post({ type: 'run', request });
  }

  list(file: string): void {
    this.start(file);
    this.post({ type: 'list', file });
  }

  private post(message: ToRunner): void {
    if (!this.ended && !this.ending) this.worker.postMessage(message);
  }

  /** Asks for a graceful stop; if the runner cannot honour it (blocked), the host ends the run. */
  cancel(reason?: string): boolean {
    if (this.ended || this.ending || this.doneCode !== undefined) return false;
    this.post({ type: 'cancel', reason });
    this.stopBy({ status: 'cancelled', code: ExitCode.cancelled, why: 'cancelled while the scenario was blocked' });
    this.watch();
    return true;
  }

  /** Stops at once (a second Ctrl-C): no summary; what --out holds so far stays on disk. */
  kill(): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.watchTimer);
    void this.worker.terminate();
    this.resolveExit({ code: ExitCode.cancelled, signal: null });
  }

  private start(file: string, request?: RunRequest): void {
    this.file = file;
    this.request = request;
    this.debug = Boolean(request?.debug);
    this.active = true;
    this.lastBeat = Date.now();
  }

  private deliver(m: FromRunner): void {
    for (const l of this.listeners) l(m);
  }

  private receive(m: FromRunnerThread): void {
    if (this.ended || this.ending || this.doneCode !== undefined) return;
    if (m.type === 'output') return writeOutput(m);
    if (m.type === 'heartbeat') {
      this.beats++;
      this.lastBeat = Date.now();
      this.heapUsed = m.heapUsed;
      this.heapLimit = m.heapLimit;
      this.oldSpaceMb ||= this.worker.resourceLimits?.maxOldGenerationSizeMb ?? 0;
      if (this.stallReported) {
        this.stallReported = false;
        this.deliver({ type: 'log', level: 'info', message: "the scenario's event loop runs again" });
      }
      this.sampleUnderHeapPressure();
      return;
    }
    switch (m.type) {
      case 'started': {
        const r: Running = {
          scenario: m.scenario,
          plan: m.plan,
          startedAt: m.startedAt,
          gracefulStopMs: m.gracefulStopMs ?? DEFAULT_GRACEFUL_STOP_MS,
          aggregate: new RunAggregate({ scenario: m.scenario, file: m.file, model: m.plan.model, plannedMs: m.plan.plannedMs, thresholds: m.thresholds }),
          lastEndMs: 0,
          details: this.request?.reportPath ? new DetailsCollector() : undefined,
        };
        this.running.set(m.scenario, r);
        this.current = r;
        break;
      }
      case 'interval': {
        // Kept here, never relayed: the views get the runner's `progress`.
        const r = this.running.get(m.scenario);
        if (r) {
          r.aggregate.add(m.interval);
          r.lastEndMs = Math.max(r.lastEndMs, m.interval.endMs);
          if (r.details) r.pending = m.interval;
        }
        return;
      }
      case 'progress': {
        // The runner's live figures for the interval just received: the details take both.
        const r = this.running.get(m.scenario);
        if (r?.details && r.pending) {
          r.details.add(r.pending, m.progress.live);
          r.pending = undefined;
        }
        break;
      }
      case 'finished': {
        const r = this.running.get(m.scenario);
        this.running.delete(m.scenario);
        this.finished.push(m.summary);
        if (r?.details) this.reported.push(savedRunOf({ scenario: m.scenario, file: m.summary.file, startedAt: r.startedAt, plan: r.plan, summary: m.summary, details: m.details }));
        break;
      }
      case 'error':
        if (m.kind === 'exit') this.stopBy({ status: 'incomplete', code: ExitCode.scenarioExit, why: 'the scenario called process.exit()' });
        break;
    }
    this.deliver(m);
    if (m.type === 'done') {
      // The thread ends itself now; its last console output comes before its 'exit' event.
      this.doneCode = m.exitCode;
      setTimeout(() => this.end(m.exitCode), 2000).unref();
    }
  }

  /** The runner must end by gracefulStop + 1 s from now, or the host ends it. */
  private stopBy(ending: Ending): void {
    if (this.deadline) return;
    const grace = this.current?.gracefulStopMs ?? DEFAULT_GRACEFUL_STOP_MS;
    this.deadline = { ...ending, at: Date.now() + grace + CANCEL_SLACK_MS };
  }

  private watch(): void {
    if (this.ended || this.ending || this.doneCode !== undefined || !this.active || this.debug || this.beats === 0) return;
    const now = Date.now();
    const silentMs = now - this.lastBeat;
    if (silentMs >= STALL_MS) {
      if (!this.stallReported) {
        this.stallReported = true;
        this.stallReport = this.reportStall(silentMs);
      }
      // Blocked: a cancel (or process.exit) cannot be honoured by the thread; end it now.
      if (this.deadline) return void this.forceEnd(this.deadline);
      const r = this.current;
      if (r && this.running.has(r.scenario) && now > r.startedAt + r.plan.plannedMs + r.gracefulStopMs + CANCEL_SLACK_MS) {
        return void this.forceEnd(
          { status: 'incomplete', code: ExitCode.blocked, why: 'blocked past the planned end' },
          { kind: 'blocked', message: "the scenario's event loop is still blocked after the planned duration and gracefulStop: the run was stopped" },
        );
      }
    }
    if (this.deadline && now >= this.deadline.at) {
      // Not blocked, but still busy (a slow teardown, a worker process that does not answer).
      this.deliver({ type: 'log', level: 'warn', message: `the run did not stop within gracefulStop + ${CANCEL_SLACK_MS / 1000} s of the request to stop: ended it` });
      void this.forceEnd(this.deadline);
    }
  }

  private async reportStall(silentMs: number): Promise<void> {
    const sample = await this.sampleStack();
    if (this.ended) return;
    this.deliver({
      type: 'error',
      kind: 'blocked',
      scenario: this.current?.scenario,
      message: `the scenario's event loop has been blocked for ${(silentMs / 1000).toFixed(1)} s (a synchronous loop?): no request, timer or other iteration can run, and the run cannot stop gracefully`,
      location: sample?.location,
      stack: sample?.stack,
    });
  }

  private sampleUnderHeapPressure(): void {
    if (this.debug || this.heapLimit === 0 || this.heapUsed < HEAP_SAMPLE_SHARE * this.heapLimit) return;
    if (this.sampling || Date.now() - this.lastSampleAt < HEAP_SAMPLE_EVERY_MS) return;
    void this.sampleStack();
  }

  /** The runner thread's stack, mapped to the scenario's lines (one sample at a time). */
  private sampleStack(): Promise<StackSample | undefined> {
    if (this.sampling) return this.sampling;
    this.lastSampleAt = Date.now();
    this.sampling = sampleThreadStack(this.worker, { file: this.file, ownFile: this.options.threadPath })
      .then((sample) => {
        if (sample?.location) this.lastLocation = sample.location;
        return sample;
      })
      .finally(() => (this.sampling = undefined));
    return this.sampling;
  }

  private crashed(err: Error & { code?: string }): void {
    if (this.ended || this.ending) return;
    if (err.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const limitBytes = this.oldSpaceMb ? this.oldSpaceMb * 1024 * 1024 : this.heapLimit;
      const limit = limitBytes ? ` (heap limit ${formatBytes(limitBytes)})` : '';
      const phase = this.current && this.running.has(this.current.scenario) ? ' in iteration' : '';
      const at = this.lastLocation ? ` at ${this.lastLocation.file}:${this.lastLocation.line}` : '';
      void this.forceEnd({ status: 'incomplete', code: ExitCode.outOfMemory, why: 'out of memory' }, {
        kind: 'memory',
        message: `the scenario's process ran out of memory${limit}${phase}${at}; the summary covers what was measured until then`,
        location: this.lastLocation,
      });
      return;
    }
    const stack = cleanStack(err.stack, this.options.threadPath);
    void this.forceEnd({ status: 'incomplete', code: ExitCode.internal, why: 'the runner thread failed' }, {
      kind: 'internal',
      message: `uncaught error in the runner thread: ${err.message}`,
      stack,
      location: this.file ? locateInStack(stack, this.file) : undefined,
    });
  }

  /**
   * Ends the run from here: the thread is stopped, and each scenario that had started gets the
   * summary of the intervals relayed so far, on screen and in --out (marked incomplete).
   */
  private async forceEnd(ending: Ending, error?: Omit<ErrorMessage, 'type'>): Promise<void> {
    if (this.ended || this.ending) return;
    this.ending = true;
    // The blocked line is worth waiting for (briefly): it comes before the summary.
    if (this.stallReport) await Promise.race([this.stallReport, new Promise((r) => setTimeout(r, 1000))]);
    // A second signal (kill) while waiting: it has ended the run already.
    if (this.ended) return;
    if (error) this.deliver({ type: 'error', scenario: this.current?.scenario, ...error });
    if (this.sampling) await this.sampling;
    if (this.ended) return;
    // Wait for the thread to be gone: it holds the same files open and must not touch them after us.
    await this.worker.terminate();
    const problem = (message: string): void => this.deliver({ type: 'log', level: 'error', message });
    // The JSON lines files get the summaries (a Prometheus output died with the thread: its last
    // second is missing there).
    const outs = this.running.size > 0
      ? (this.request?.outputs ?? []).flatMap((o) => (o.kind === 'json' ? [OutputFile.append({ flag: '--out', path: o.path }, problem)] : [])).filter((f) => f !== undefined)
      : [];
    try {
      for (const r of this.running.values()) {
        const durationMs = Math.max(r.lastEndMs, Date.now() - r.startedAt);
        const summary = r.aggregate.summary(ending.status, durationMs);
        const details = r.details?.details();
        this.finished.push(summary);
        if (details) this.reported.push(savedRunOf({ scenario: r.scenario, file: summary.file, startedAt: r.startedAt, plan: r.plan, summary, details }));
        this.deliver({ type: 'thresholds', scenario: r.scenario, verdicts: summary.thresholds });
        this.deliver({ type: 'finished', scenario: r.scenario, summary, details });
        for (const out of outs) out.write(outRecord({ type: 'summary', scenario: r.scenario, summary, incomplete: ending.why }));
      }
      for (const f of this.request && this.finished.length > 0 ? endOfRunFiles(this.request) : []) {
        try {
          const file = OutputFile.open(f, problem);
          file.write(f.text(this.finished));
          file.close();
        } catch (err) {
          problem(`${(err as Error).message} (the exit code is still the run's verdict)`);
        }
      }
      const reportPath = this.request?.reportPath;
      if (reportPath && this.reported.length > 0) {
        try {
          const { renderReport } = await import('../report/html');
          const file = OutputFile.open({ flag: '--report', path: reportPath }, problem);
          file.write(renderReport(this.reported));
          file.close();
        } catch (err) {
          problem(`${(err as Error).message} (the exit code is still the run's verdict)`);
        }
      }
    } finally {
      for (const out of outs) out.close();
    }
    this.running.clear();
    this.deliver({ type: 'done', exitCode: ending.code });
    this.end(ending.code);
  }

  private end(code: number): void {
    if (this.ended) return;
    this.ended = true;
    clearInterval(this.watchTimer);
    void this.worker.terminate();
    this.resolveExit({ code, signal: null });
  }
}

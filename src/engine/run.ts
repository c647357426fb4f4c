// Runs one scenario: setup, the load phase with one-second intervals, graceful stop, teardown.
// Pure engine: everything it measures leaves through the callbacks (the runner does the I/O).

import type { HttpClient, IntervalData, ScenarioDefinition, Tags, UnfinishedWork } from './types';
import type { LoadOverrides, PlanInfo } from './types';
import { MetricsRecorder, type FlushJob } from './metrics/recorder';
import { GENERATOR_CPU, GENERATOR_EVENT_LOOP_DELAY, GROUP_TAG, SCENARIO_TAG, VUS, VUS_MAX } from './metrics/names';
import { GeneratorProbe } from './generator-probe';
import { ScenarioSetupError, describeValue } from './errors';
import { parseDuration } from './duration';
import { describeLoad, maxVUsOf, normaliseLoad, plannedMsOf, validateScenario, type NormalLoad } from './load';
import { HttpTransport, type HttpClientChoice, type TransportOptions } from './http/transport';
import type { HttpDebug } from './http/debug';
import { expectedStatusesOf } from './http/expected';
import { VuHttp } from './http/client';
import { createExecutor, type ExecContext } from './executors';
import { OpenExecutor } from './executors/open';
import { enterRun, leaveRun, runIn, unawaitedSleeps, type ActiveRun } from './api';
import type { ExecutionSegment } from './segments';

export interface RunScenarioOptions {
  /** The scenario's export name. */
  name: string;
  /** The scenario file (for messages). */
  file: string;
  def: ScenarioDefinition;
  /** The run's load, resolved once where the run was planned (resolveLoad): overrides and a debug
   *  run's one VU are already in it, so every process of the run runs the same plan. */
  load: NormalLoad;
  env?: Record<string, string>;
  /** This process's share of the run (worker processes); the whole run when omitted. */
  segment?: ExecutionSegment;
  /** Given: skip setup() and use this value as `data` (workers get it from the parent). */
  setupData?: { value: unknown };
  /** Run setup() (default true; ignored when setupData is given). */
  runSetup?: boolean;
  /** Run teardown() (default true). */
  runTeardown?: boolean;
  /** Abort = cancel: stop starting iterations, wait gracefulStop, finish. */
  signal: AbortSignal;
  /** Monotonic clock in ms (default performance.now). */
  now?: () => number;
  /** Which client serves plain http:// (default 'auto': the lean one). */
  httpClient?: HttpClientChoice;
  /** --http-debug: print each request and response through `write`. */
  httpDebug?: HttpDebug;
  /**
   * Other scenarios run in this process at the same time (a workload mix): each iteration, setup
   * and teardown then runs in its scenario's context, so check() and custom metrics find it.
   */
  concurrent?: boolean;
  /** Called every second, and once more with the final partial interval. */
  onInterval(interval: IntervalData): void;
  /** Called when the load starts (after setup). startedAt is epoch ms. */
  onStarted?(plan: PlanInfo, startedAt: number): void;
  /** An iteration threw; count = how many times this message occurred so far. */
  onIterationError(err: unknown, count: number): void;
  /** teardown() threw (default: reported through onIterationError). */
  onTeardownError?(err: unknown): void;
  /**
   * At the end of the run, once per call site: the stack (source-mapped) of a sleep() that
   * nobody awaited, so it was still pending when its iteration ended.
   */
  onUnawaitedSleep?(stack: string): void;
}

export interface RunResult {
  /** 'cancelled' when the signal aborted before the load phase ended on its own. */
  status: 'completed' | 'cancelled';
  /** From the load's start to the end of teardown. */
  durationMs: number;
  setupData: unknown;
  /** In-flight iterations abandoned after gracefulStop. */
  interrupted: number;
  plan: PlanInfo;
}

const DEBUG_LIMIT_MS = 24 * 3_600_000;
const DEFAULT_TIMEOUT_MS = 60_000;
/** Response body bytes kept for text()/json() unless http.maxResponseBodyBytes says otherwise (10 MiB). */
export const DEFAULT_MAX_RESPONSE_BODY_BYTES = 10 * 1024 * 1024;
/** The longest the warm-up waits for its connections before the load starts anyway. */
const WARM_UP_MAX_MS = 3000;
/**
 * Trend series an interval's flush reads per turn of the event loop: a run with a thousand
 * request names flushes ~1,800 trends a second, and read in one block they delayed the
 * iterations due meanwhile (iteration_lag p99 35-97 ms, bench/NOTES.md). Steady state ~1 µs a
 * trend, a few µs while the code is still cold: a slice stays well under a millisecond or two.
 */
const FLUSH_SLICE = 256;
/** Distinct iteration error messages kept as separate error kinds; the rest are pooled. */
const MAX_ERROR_KINDS = 50;

/** The load of a debug run: one VU, n iterations, no limits a debugger pause would hit. */
function debugLoad(debug: { iterations?: number }): NormalLoad {
  const iterations = Math.max(1, Math.floor(debug.iterations ?? 1));
  return { model: 'closed', kind: 'shared-iterations', vus: 1, iterations, maxDurationMs: DEBUG_LIMIT_MS, gracefulStopMs: DEBUG_LIMIT_MS };
}

/**
 * The load a run runs: the scenario's, with the run's overrides, or a debug run's one VU. The one
 * place that decides it: the runner's plan and aggregate, the engine and --workers read it.
 */
export function resolveLoad(load: unknown, run: { overrides?: LoadOverrides; debug?: { iterations?: number } }): NormalLoad {
  return run.debug ? debugLoad(run.debug) : normaliseLoad(load, run.overrides);
}

export function planFromLoad(name: string, load: NormalLoad): PlanInfo {
  return { scenario: name, model: load.model, shape: describeLoad(load), plannedMs: plannedMsOf(load), maxVUs: maxVUsOf(load) };
}

/** The tags on every sample of scenario `name`: its own, then the system tags `scenario` and `group` (k6's). */
export function scenarioTagsOf(name: string, def: ScenarioDefinition): Tags {
  return { ...def.tags, [SCENARIO_TAG]: name, [GROUP_TAG]: '' };
}

/** The HTTP transport settings of a scenario (target, connections, timeout, cookies, tags). */
export function transportOptionsOf(def: ScenarioDefinition, now: () => number = () => performance.now(), client: HttpClientChoice = 'auto', name?: string): TransportOptions {
  return {
    client,
    target: def.target,
    connections: def.http?.connections,
    timeoutMs: def.http?.timeout !== undefined ? parseDuration(def.http.timeout, 'http.timeout') : DEFAULT_TIMEOUT_MS,
    cookies: def.http?.cookies !== false,
    cookiesPerVu: def.http?.cookies === 'per-vu',
    insecure: def.http?.insecureSkipTLSVerify ?? false,
    tls: def.tls,
    http2: def.http?.http2 ?? true,
    maxBodyBytes: def.http?.maxResponseBodyBytes ?? DEFAULT_MAX_RESPONSE_BODY_BYTES,
    discardBodies: def.http?.discardResponseBodies ?? false,
    scenarioTags: name === undefined ? def.tags ?? {} : scenarioTagsOf(name, def),
    expectedStatuses: expectedStatusesOf(def.http?.expectedStatuses, 'http.expectedStatuses'),
    now,
  };
}

/**
 * Runs setup() or teardown() of `def` outside a load run (e.g. in the parent of worker
 * processes): its requests and checks are recorded and returned as one interval (index 0).
 * Whatever `hook` throws is rethrown.
 */
export async function runHook<T>(name: string, def: ScenarioDefinition, hook: (http: HttpClient) => T | Promise<T>, httpClient?: HttpClientChoice, httpDebug?: HttpDebug): Promise<{ value: T; interval: IntervalData }> {
  const recorder = new MetricsRecorder();
  const transport = new HttpTransport(recorder, { ...transportOptionsOf(def, undefined, httpClient, name), httpDebug });
  const run: ActiveRun = { recorder, tags: scenarioTagsOf(name, def) };
  enterRun(run);
  try {
    // In its own context: the setups of a workload mix's scenarios may run at the same time.
    const value = await runIn(run, () => hook(new VuHttp(transport)));
    const interval = recorder.flush({ index: 0, startMs: 0, endMs: 0, vus: 0, vusMax: 0, iterationsDue: 0, iterationsStarted: 0, iterationsDropped: 0, backlog: 0 });
    return { value, interval };
  } finally {
    leaveRun(run);
    await transport.close();
  }
}

function delay(ms: number): { promise: Promise<void>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<void>((r) => (timer = setTimeout(r, ms)));
  return { promise, cancel: () => clearTimeout(timer) };
}

/**
 * Runs one scenario to the end. Throws OptionsError (bad options) before anything runs, and
 * ScenarioSetupError when setup() throws (no load runs then).
 */
export async function runScenario(opts: RunScenarioOptions): Promise<RunResult> {
  const given = opts.def;
  validateScenario(given);
  const load = opts.load;
  const plan = planFromLoad(opts.name, load);
  const clock = opts.now ?? (() => performance.now());
  const env = opts.env ?? {};
  const tags: Tags = scenarioTagsOf(opts.name, given);
  const recorder = new MetricsRecorder();
  const transportOptions = { ...transportOptionsOf(given, clock, opts.httpClient, opts.name), httpDebug: opts.httpDebug };
  let transport = new HttpTransport(recorder, transportOptions);
  // Iteration errors and stray rejections by message: each counted under its own kind, up to
  // MAX_ERROR_KINDS kinds; the rest are pooled.
  const errorCounts = new Map<string, number>();
  const countError = (message: string): number => {
    const n = (errorCounts.get(message) ?? 0) + 1;
    if (n === 1 && errorCounts.size >= MAX_ERROR_KINDS) recorder.error('other iteration errors');
    else {
      errorCounts.set(message, n);
      recorder.error(message.length > 120 ? message.slice(0, 117) + '...' : message);
    }
    return n;
  };
  const describeError = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : `thrown: ${describeValue(err)}`);
  const describeRejection = (reason: unknown): string => `unhandled rejection: ${reason instanceof Error ? `${reason.name}: ${reason.message}` : describeValue(reason)}`;
  const active: ActiveRun = { recorder, tags, unhandledRejection: (reason) => countError(describeRejection(reason)) };
  // Sharing the process with other scenarios: their iterations interleave with ours, so each of
  // ours (and setup, teardown) carries its run. Alone, the one slot is enough and costs nothing.
  const inRun = <A extends unknown[], R>(f: (...a: A) => R) => (...a: A): R => runIn(active, () => f(...a));
  const def: ScenarioDefinition = opts.concurrent
    ? { ...given, iteration: inRun(given.iteration), setup: given.setup && inRun(given.setup), teardown: given.teardown && inRun(given.teardown) }
    : given;
  enterRun(active);
  let probe: GeneratorProbe | undefined;
  try {
    let data: unknown;
    if (opts.setupData) data = opts.setupData.value;
    else if (opts.runSetup !== false && def.setup) {
      try {
        data = await def.setup({ http: new VuHttp(transport), env });
      } catch (err) {
        throw new ScenarioSetupError(err, opts.name);
      }
    }

    // Set again when the load starts, after the warm-up.
    let t0 = clock();
    const elapsed = (): number => clock() - t0;
    /** The first exception a callback threw: rethrown when the run ends (never into a VU loop). */
    let callbackError: unknown;
    const x: ExecContext = {
      def,
      data,
      env,
      transport,
      recorder,
      tags,
      elapsed,
      segment: opts.segment,
      onIterationError(err) {
        const n = countError(describeError(err));
        try {
          opts.onIterationError(err, n);
        } catch (callbackErr) {
          callbackError ??= callbackErr;
        }
      },
    };
    const executor = createExecutor(x, load);
    if (executor instanceof OpenExecutor && load.model === 'open' && load.preAllocatedVUs > 0 && !opts.signal.aborted) {
      // Warm-up (not measured): VUs and connections ready, so the schedule's first second is no
      // connect storm (which the first stall would compound into seconds of extra latency).
      executor.preAllocate(load.preAllocatedVUs);
      const share = opts.segment ? opts.segment.scaleInt(load.preAllocatedVUs) : load.preAllocatedVUs;
      await transport.warmUp(share, WARM_UP_MAX_MS);
      t0 = clock();
    }

    // One-second intervals from the load's start. Each flush takes what was recorded at once (no
    // record falls between two); a periodic one then reads its trends a slice per turn and hands
    // the interval over when complete. Intervals are handed over whole and in order: a flush
    // completes the one still being read first (the last flush of the run always does).
    let index = 0;
    let lastEnd = 0;
    let prevDue = 0;
    let prevStarted = 0;
    let prevDropped = 0;
    /** Set for the last interval: what the end of the run left unfinished. */
    let unfinished: UnfinishedWork | undefined;
    /** The periodic flush still being read a slice per turn, if any. */
    let pendingFlush: FlushJob | null = null;
    probe = new GeneratorProbe();
    const deliver = (interval: IntervalData): void => {
      try {
        opts.onInterval(interval);
      } catch (err) {
        callbackError ??= err;
      }
    };
    const continueFlush = (job: FlushJob): void => {
      if (pendingFlush !== job) return; // completed by a later flush meanwhile
      if (!job.step(FLUSH_SLICE)) {
        setImmediate(continueFlush, job);
        return;
      }
      pendingFlush = null;
      deliver(job.interval);
    };
    const flush = (sliced = false): void => {
      if (pendingFlush !== null) {
        const job = pendingFlush;
        pendingFlush = null;
        job.step(Infinity);
        deliver(job.interval);
      }
      const end = elapsed();
      const vus = executor.activeVUs;
      const range = executor.takeActiveRange();
      const vusMax = executor.createdVUs;
      // The series carries the header's range: min and max within the interval, value at its end.
      recorder.gauge(VUS, tags, range.min);
      recorder.gauge(VUS, tags, range.peak);
      recorder.gauge(VUS, tags, vus);
      recorder.gauge(VUS_MAX, tags, vusMax);
      const health = probe!.sample();
      // Trend values are integer micro-units: ms as µs, percent as thousandths.
      recorder.trend(GENERATOR_EVENT_LOOP_DELAY, tags, Math.round(health.eventLoopDelayMs * 1000));
      recorder.trend(GENERATOR_CPU, tags, Math.round(health.cpuPercent * 1000));
      const due = executor.due();
      const started = executor.started;
      const dropped = executor.dropped;
      const job = recorder.beginFlush({
        index,
        startMs: lastEnd,
        endMs: end,
        vus,
        vusMax,
        vusMin: range.min,
        vusPeak: range.peak,
        iterationsDue: due - prevDue,
        iterationsStarted: started - prevStarted,
        iterationsDropped: dropped - prevDropped,
        backlog: due - started - dropped,
        inFlight: transport.inFlight,
        noResponseMs: transport.noResponseMs(),
        ...(unfinished !== undefined ? { unfinished } : {}),
      });
      index++;
      lastEnd = end;
      prevDue = due;
      prevStarted = started;
      prevDropped = dropped;
      if (!sliced) job.step(Infinity);
      else if (!job.step(FLUSH_SLICE)) {
        pendingFlush = job;
        setImmediate(continueFlush, job);
        return;
      }
      deliver(job.interval);
    };
    let intervalTimer: NodeJS.Timeout | null = null;
    const onTick = (): void => {
      flush(true);
      intervalTimer = setTimeout(onTick, Math.max(0, (index + 1) * 1000 - elapsed()));
    };
    intervalTimer = setTimeout(onTick, 1000);

    let cancelled = opts.signal.aborted;
    const onAbort = (): void => {
      cancelled = true;
      executor.stop();
    };
    opts.signal.addEventListener('abort', onAbort, { once: true });
    opts.onStarted?.(plan, Date.now() - (clock() - t0));
    if (cancelled) executor.stop();
    else executor.start();
    // The first interval's range starts from the VUs the load started with, not from the 0 before.
    executor.takeActiveRange();
    await executor.loadDone;
    executor.stop();

    // Graceful stop: in-flight iterations get gracefulStop to finish, then they are abandoned.
    let interrupted = 0;
    if (executor.inFlight > 0) {
      const wait = delay(load.gracefulStopMs);
      await Promise.race([executor.idle(), wait.promise]);
      wait.cancel();
      interrupted = executor.inFlight;
    }
    opts.signal.removeEventListener('abort', onAbort);
    // Every request that was sent is in the results: those still in flight are recorded now as
    // interrupted (before the last interval is flushed, so thresholds, the summary and --out
    // have them); open-model iterations still queued were counted as dropped when the load stopped.
    const cut = { requests: 0, oldestMs: 0, queuedIterations: executor instanceof OpenExecutor ? executor.queuedAtStop : 0 };
    const interruptInFlight = (): void => {
      const r = transport.interruptInFlight();
      cut.requests += r.requests;
      cut.oldestMs = Math.max(cut.oldestMs, r.oldestMs);
    };
    if (interrupted > 0) {
      // Abandoned iterations record nothing more and their requests are aborted.
      interruptInFlight();
      await transport.close();
      transport = new HttpTransport(recorder, transportOptions);
    }

    if (opts.runTeardown !== false && def.teardown) {
      try {
        await def.teardown({ http: new VuHttp(transport), env, data });
      } catch (err) {
        if (opts.onTeardownError) opts.onTeardownError(err);
        else x.onIterationError(err);
      }
    }
    // Node reports a rejection nobody handled after the microtasks that follow it: let the last
    // iterations' stray rejections arrive (recordUnhandledRejection) before the final interval.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (intervalTimer !== null) clearTimeout(intervalTimer);
    // Requests nobody awaited (or teardown's) still in flight at the very end.
    interruptInFlight();
    if (cut.requests > 0 || cut.queuedIterations > 0) unfinished = cut;
    flush();
    if (opts.onUnawaitedSleep) for (const stack of unawaitedSleeps(active)) opts.onUnawaitedSleep(stack);
    if (callbackError !== undefined) throw callbackError;
    return { status: cancelled ? 'cancelled' : 'completed', durationMs: elapsed(), setupData: data, interrupted, plan };
  } finally {
    probe?.stop();
    leaveRun(active);
    await transport.close();
  }
}

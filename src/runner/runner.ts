// The runner's core: bundles a scenario file, runs its scenarios together (a workload mix, each
// from its startTime; one after another in a distributed run) and speaks the runner protocol
// (ToRunner in, FromRunner out): started, progress every second (and the interval data for its
// supervisor only), thresholds, logs, errors with their location, finished with the summary, then
// done with the exit code. It writes the --out and summary files. It runs in a worker thread (thread.ts) under
// a supervising host (host.ts) in the CLI's process or in the extension's forked runner (main.ts),
// or, for debug runs, in the forked runner's main thread (in-process.ts): the same messages
// either way.

import { readFileSync } from 'node:fs';
import { RunAggregate } from '../engine/aggregate';
import { recordUnhandledRejection } from '../engine/api';
import { OptionsError, ScenarioSetupError } from '../engine/errors';
import { planOf, startTimeMsOf, validateScenario, type NormalLoad } from '../engine/load';
import { planFromLoad, resolveLoad } from '../engine/run';
import { formatDuration } from '../engine/duration';
import { UnknownMetricError, UnknownTagError, checkThresholds, type KnownTags } from '../engine/thresholds';
import { describeSeriesLimit } from '../engine/metrics/recorder';
import type { AgentCounts, IntervalData, ScenarioDefinition, SummaryData, ThresholdVerdict } from '../engine/types';
import { ExitCode, PROTOCOL_VERSION, type FromRunner, type FromRunnerCore, type LoadOverrides, type PlanInfo, type RunRequest, type SourceLocation, type ToRunner } from '../protocol';
import { DetailsCollector } from '../report/collect';
import { renderReport, reportUnavailable } from '../report/html';
import { savedRunOf, type SavedRun } from '../report/saved-runs';
// Pure static analysis (no vscode): finds where an option was written.
import { discoverScenarios } from '../discovery';
import { ScenarioFileError, cleanStack, knownTagsOf, loadScenarioFile, locateInStack, selectScenarios, type FoundScenario, type LoadedFile } from './bundle';
import { JsonLinesOutput, OutputPathError, Outputs, endOfRunFiles, type OutputTarget, type RunOutput } from './out-file';
import { PrometheusOutput } from './prometheus';
import { httpClientWarning } from './env';
import { ScenarioExitError } from './exit';
import { createLoadSource } from './local-source';
import { ClusterError } from './cluster/nats';
import { defaultWorkerCount } from './workers';
import type { LoadSource, SourceEvents } from './source';


/** Distinct iteration error messages whose stack is sent; later ones are only counted. */
const MAX_ITERATION_ERROR_REPORTS = 5;
/** How often a repeated iteration error's running count is re-sent (every Nth occurrence). */
const ERROR_COUNT_EVERY = 1000;
/**
 * Series of an interval merged into the run's totals per turn of the event loop. An interval
 * with more (a thousand request names: ~2,400 series a second) is merged a slice per turn, so
 * the iterations of an in-process run due meanwhile start on time; smaller ones at once.
 */
const AGGREGATE_SLICE = 512;

/** Adds `interval` to `aggregate` a slice per turn (setImmediate); resolves once it is all in. */
function addInSlices(aggregate: RunAggregate, interval: IntervalData): Promise<void> {
  const job = aggregate.adding(interval);
  return new Promise((resolve, reject) => {
    const next = (): void => {
      try {
        if (job.step(AGGREGATE_SLICE)) resolve();
        else setImmediate(next);
      } catch (err) {
        reject(err);
      }
    };
    next();
  });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function stackOf(err: unknown): string | undefined {
  return err instanceof Error ? cleanStack(err.stack) : undefined;
}

interface Prepared {
  name: string;
  definition: ScenarioDefinition;
  /** The run's load, resolved once (overrides, or a debug run's one VU) and its description. */
  load: NormalLoad;
  plan: PlanInfo;
  aggregate: RunAggregate;
  details: DetailsCollector;
}

/** A scenario's run as the --report file shows it. */
type Reported = SavedRun;

/** The name of a mix's totals in summaries (SummaryData.mix lists the scenarios). */
const MIX_NAME = 'total';

/** A workload mix's totals: the intervals of every scenario, placed at its startTime. */
class MixTotals {
  constructor(
    private readonly aggregate: RunAggregate,
    readonly scenarios: string[],
  ) {}

  /** Each scenario's VUs in its latest interval: the mix's are their sum. */
  private readonly vus = new Map<string, { vus: number; vusMax: number; vusMin: number; vusPeak: number }>();

  /** Adds a scenario's interval; returns an abortOnFail file-wide threshold that failed, if any. */
  added(scenario: string, interval: IntervalData, offsetMs: number): ThresholdVerdict | undefined {
    // The aggregate takes VUs from the interval header (a gauge: the last value): give it the sum
    // over the scenarios running, not the VUs of whichever scenario reported last.
    this.vus.set(scenario, { vus: interval.vus, vusMax: interval.vusMax, vusMin: interval.vusMin ?? interval.vus, vusPeak: interval.vusPeak ?? interval.vus });
    const sum = { vus: 0, vusMax: 0, vusMin: 0, vusPeak: 0 };
    for (const v of this.vus.values()) for (const k of ['vus', 'vusMax', 'vusMin', 'vusPeak'] as const) sum[k] += v[k];
    this.aggregate.add({ ...interval, ...sum, startMs: interval.startMs + offsetMs, endMs: interval.endMs + offsetMs });
    return this.aggregate.abortTriggered();
  }

  summary(status: SummaryData['state']['status']): SummaryData {
    const s = this.aggregate.summary(status, this.aggregate.live().elapsedMs);
    s.mix = this.scenarios;
    return s;
  }
}

/** The file-wide thresholds are wrong (reported at their export, not a scenario's). */
class FileThresholdsError extends Error {
  constructor(readonly error: unknown) {
    super(errorMessage(error));
  }
}

/** The line of `export const thresholds` in `file`, for messages about the file-wide thresholds. */
function fileThresholdsLocation(file: string): SourceLocation | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const m = /export\s+(?:const|let|var)\s+thresholds\b/.exec(text);
  if (!m) return undefined;
  const before = text.slice(0, m.index).split('\n');
  return { file, line: before.length, column: before[before.length - 1].length + 1 };
}

/** An error about one scenario: reported with its name. */
class ScenarioError extends Error {
  constructor(readonly scenario: string, readonly error: unknown) {
    super(errorMessage(error));
  }
}

function verdictsKey(verdicts: ThresholdVerdict[]): string {
  return verdicts.map((v) => (v.ok ? '1' : '0')).join('');
}

function exitCodeOf(summaries: SummaryData[]): number {
  if (summaries.some((s) => s.state.status === 'aborted')) return ExitCode.aborted;
  if (summaries.some((s) => s.state.status === 'cancelled')) return ExitCode.cancelled;
  if (summaries.some((s) => s.state.status === 'incomplete')) return ExitCode.internal;
  if (summaries.some((s) => s.thresholds.some((t) => !t.ok))) return ExitCode.thresholdsFailed;
  return ExitCode.ok;
}

const OUT = '--out';
const REPORT = '--report';

/** Every file the request asks for, named by its CLI option (report paths join here). */
function outputTargets(request: RunRequest): OutputTarget[] {
  const targets: OutputTarget[] = [];
  for (const o of request.outputs ?? []) if (o.kind === 'json') targets.push({ flag: OUT, path: o.path });
  targets.push(...endOfRunFiles(request));
  if (request.reportPath) targets.push({ flag: REPORT, path: request.reportPath });
  return targets;
}

/** The --out destinations, in the order given: JSON lines in the files `outputs` opened, Prometheus. */
function runOutputs(request: RunRequest, outputs: Outputs, warn: (message: string) => void): RunOutput[] {
  const files = outputs.all(OUT);
  let nextFile = 0;
  return (request.outputs ?? []).map((o) => (o.kind === 'json' ? new JsonLinesOutput(files[nextFile++]) : new PrometheusOutput(o.url, o.testid, warn)));
}

/**
 * Where a bad option was written, found statically (the values are already evaluated): a
 * threshold's own string, else the scenario's export line.
 */
function optionsLocation(file: string, scenario: string, err: OptionsError): SourceLocation | undefined {
  let found;
  try {
    found = discoverScenarios(readFileSync(file, 'utf8')).scenarios.find((s) => s.name === scenario);
  } catch {
    return undefined;
  }
  if (!found) return undefined;
  const threshold =
    err instanceof UnknownMetricError || err instanceof UnknownTagError
      ? found.thresholds.find((t) => t.metric === err.key)
      : err.field.startsWith('thresholds')
        ? found.thresholds.find((t) => t.expression === err.value)
        : undefined;
  const at = threshold ? threshold.span.start : found.nameSpan.start;
  return { file, line: at.line + 1, column: at.character + 1 };
}

/**
 * One runner: one run (or list) request, then `done`. Cancel messages may come at any time.
 * `send` delivers a message to the host; `finish` is called once with the exit code.
 */
export class Runner {
  /** State of the run in progress, shared with the cancel handlers. */
  private readonly state: {
    /** The load sources running now (one per scenario of a mix). */
    sources: Set<LoadSource>;
    /** Scenarios of a mix waiting for their startTime: a cancel ends the wait. */
    waiting: Set<() => void>;
    events?: SourceEvents;
    cancelled: boolean;
    aborted: boolean;
    exitCalled: boolean;
    outOfMemory: boolean;
    blocked: boolean;
  } = {
    sources: new Set(),
    waiting: new Set(),
    blocked: false,
    cancelled: false,
    aborted: false,
    exitCalled: false,
    outOfMemory: false,
  };
  /** Rejection messages already logged outside a load (each is logged once). */
  private readonly strayRejections = new Set<string>();
  private busy = false;
  /** Call sites of un-awaited sleep() calls already warned about: once per run. */
  private readonly unawaitedSleepSites = new Set<string>();
  /** Scenario warnings already given, by location and message: once per run, however many processes say them. */
  private readonly warnings = new Set<string>();
  /** The scenario file of the request in progress (to locate process.exit calls). */
  private file: string | undefined;
  /** The scenario running now (errors are reported under its name). */
  private scenario: string | undefined;

  constructor(
    private readonly send: (message: FromRunnerCore) => void,
    private readonly finish: (exitCode: number) => void,
  ) {}

  /** Takes one protocol message from the host. */
  handle(message: ToRunner): void {
    if (message.type === 'cancel') return this.cancel(message.reason ?? 'cancel message');
    if (this.busy) {
      this.send({ type: 'log', level: 'warn', message: `runner busy: ignored a '${message.type}' message (one run per runner)` });
      return;
    }
    this.busy = true;
    const file = message.type === 'run' ? message.request.file : message.file;
    this.file = file;
    const work = message.type === 'run' ? this.run(message.request) : this.list(file);
    // A scenario that called process.exit() ends the run with its own exit code, whatever else failed.
    const finish = (code: number) =>
      this.finish(
        this.state.outOfMemory ? ExitCode.outOfMemory : this.state.exitCalled ? ExitCode.scenarioExit : this.state.blocked ? ExitCode.blocked : code,
      );
    work.then(finish, (err) => finish(this.reportFailure(err, file)));
  }

  /**
   * The scenario called process.exit(code) (the host replaces process.exit with this): reported
   * once at the caller's location; the run stops as a cancel does, with a summary. Returns the
   * error process.exit throws, which unwinds the scenario's code.
   */
  scenarioExit(code: unknown): ScenarioExitError {
    const err = new ScenarioExitError(code);
    this.ended('exit', err.message, stackOf(err));
    return err;
  }

  /**
   * The scenario ended part of the run: it called process.exit() (the run stops, as a cancel
   * does), blocked its event loop, or ran out of memory (here or in a worker process).
   */
  private ended(kind: 'exit' | 'blocked' | 'memory', message: string, stack: string | undefined, scenario = this.scenario): void {
    if (kind === 'exit' && this.state.exitCalled) return;
    const location = this.file ? locateInStack(stack, this.file) : undefined;
    this.send({ type: 'error', kind, scenario, message, stack, location });
    if (kind === 'memory') this.state.outOfMemory = true;
    if (kind === 'exit') {
      this.state.exitCalled = true;
      this.cancel('the scenario called process.exit()');
    }
  }

  /**
   * A stray promise rejection from a scenario: not fatal. During a load it is counted in the
   * scenario's errors by kind and reported like an iteration error (the first few messages with
   * their stack, then a running count now and then); outside one, each message is logged once.
   */
  unhandledRejection(reason: unknown): void {
    const message = `unhandled promise rejection: ${errorMessage(reason)}`;
    const count = recordUnhandledRejection(reason);
    const events = this.state.events;
    if (count !== undefined && events) {
      const err = Object.assign(new Error(message), { stack: reason instanceof Error ? reason.stack : undefined });
      events.iterationError(err, count);
      return;
    }
    if (this.strayRejections.has(message)) return;
    this.strayRejections.add(message);
    this.send({ type: 'log', level: 'warn', message: `unhandled promise rejection: ${stackOf(reason) ?? String(reason)}` });
  }

  /** check() or a custom metric used while no scenario runs (api.ts says so once): a warning at its line. */
  usedOutsideRun(message: string, stack: string | undefined): void {
    this.warning(message, stack, this.scenario);
  }

  /** A warning from the scenario's code (here, in a worker process or an agent): at its line, once per run. */
  private warning(message: string, stack: string | undefined, scenario: string | undefined): void {
    const location = this.file ? locateInStack(stack, this.file) : undefined;
    const text = `${location ? `${location.file}:${location.line}:${location.column}: ` : ''}${message}`;
    if (this.warnings.has(text)) return;
    this.warnings.add(text);
    this.send({ type: 'log', level: 'warn', scenario, message: text });
  }

  cancel(reason: string): void {
    if (this.state.cancelled) return;
    this.state.cancelled = true;
    this.send({ type: 'log', level: 'info', message: `cancelling (${reason}): no new iterations; waiting for in-flight ones` });
    for (const source of this.state.sources) source.cancel(reason);
    for (const wake of this.state.waiting) wake();
  }

  /** Stops every scenario of the run (an abortOnFail threshold failed). */
  private abort(name: string, abort: ThresholdVerdict): void {
    const { state } = this;
    if (state.aborted || state.cancelled) return;
    state.aborted = true;
    this.send({ type: 'log', level: 'warn', scenario: name, message: `aborting: threshold ${abort.metric}: ${abort.expression} failed (observed ${abort.observed})` });
    for (const source of state.sources) source.cancel('abortOnFail');
    for (const wake of state.waiting) wake();
  }

  /** Waits `ms` (a mix scenario's startTime); resolves false when the run was cancelled or aborted meanwhile. */
  private waitStart(ms: number): Promise<boolean> {
    const { state } = this;
    if (ms <= 0) return Promise.resolve(!state.cancelled && !state.aborted);
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        state.waiting.delete(wake);
        resolve(!state.cancelled && !state.aborted);
      };
      const timer = setTimeout(wake, ms);
      state.waiting.add(wake);
    });
  }

  /** Validates every selected scenario before any of them runs: bad options stop everything. */
  prepare(selected: FoundScenario[], request: RunRequest, env: Record<string, string>, customMetrics: LoadedFile['customMetrics'] = new Map(), knownTags?: KnownTags): Prepared[] {
    return selected.map(({ name, definition }) => {
      try {
        return this.prepareOne(name, definition, request, env, customMetrics, knownTags);
      } catch (err) {
        throw new ScenarioError(name, err);
      }
    });
  }

  prepareOne(name: string, found: ScenarioDefinition, request: RunRequest, env: Record<string, string>, customMetrics: LoadedFile['customMetrics'] = new Map(), knownTags?: KnownTags): Prepared {
    const target = request.target ?? found.target ?? env.LOADLENS_TARGET ?? process.env.LOADLENS_TARGET;
    const definition: ScenarioDefinition = { ...found, target };
    validateScenario(definition);
    // Metric names (built-in, or custom ones the module created as it loaded) and each
    // aggregation against the metric's kind, before any request, as k6 does at init.
    if (!request.debug) checkThresholds(definition.thresholds, name, customMetrics, knownTags);
    const load = resolveLoad(definition.load, request);
    const plan = planFromLoad(name, load);
    const aggregate = new RunAggregate({
      scenario: name,
      file: request.file,
      model: plan.model,
      plannedMs: plan.plannedMs,
      // Debug runs stop at breakpoints: thresholds would only judge the debugger's pauses.
      thresholds: request.debug ? undefined : definition.thresholds,
    });
    if (target === undefined) {
      this.send({
        type: 'log',
        level: 'warn',
        scenario: name,
        message: `scenario "${name}" has no target: relative URLs will fail. Set target in the scenario, or run with --target URL (or LOADLENS_TARGET=URL).`,
      });
    }
    return { name, definition, load, plan, aggregate, details: new DetailsCollector() };
  }

  /**
   * Runs one scenario to its end; returns its summary. In a mix, `mix` gets its intervals too
   * (shifted by its startTime, `offsetMs`), and `concurrent` says other scenarios share this process.
   */
  async runOne(p: Prepared, request: RunRequest, env: Record<string, string>, outs: RunOutput[], mix?: MixTotals, offsetMs = 0, concurrent = false): Promise<Reported> {
    // The events below are plain callbacks: they reach the runner through these.
    const { send, state } = this;
    const { name, definition, aggregate, details } = p;
    const file = request.file;
    let started: { plan: PlanInfo; startedAt: number } | undefined;
    this.scenario = name;
    const gracefulStopMs = p.load.gracefulStopMs;
    const thresholds = request.debug ? undefined : definition.thresholds;
    let lastVerdicts = '';
    let durationMs = 0;
    let reportedMessages = 0;
    let warnedSeriesLimit = false;
    let agentCounts: AgentCounts | undefined;
    /** Intervals being merged in slices, in order (see AGGREGATE_SLICE); undefined when none is. */
    let merging: Promise<void> | undefined;
    let mergeError: unknown;

    /** Everything an interval does once it is in the totals: --out, progress, thresholds, abort. */
    const merged = (interval: IntervalData): void => {
      if (interval.seriesLimit !== undefined && !warnedSeriesLimit) {
        // One warning per run, whichever process (or metric) overflowed first.
        warnedSeriesLimit = true;
        send({ type: 'log', level: 'warn', scenario: name, message: describeSeriesLimit(interval.seriesLimit) });
      }
      for (const o of outs) o.write({ type: 'interval', scenario: name, interval });
      durationMs = Math.max(durationMs, interval.endMs);
      // Whole, to the supervisor only (host.ts): its aggregate summarises a run it has to stop
      // (blocked, out of memory). The views get the few figures they show.
      send({ type: 'interval', scenario: name, interval });
      const live = aggregate.live();
      details.add(interval, live);
      send({ type: 'progress', scenario: name, progress: { second: interval.index, dropped: interval.iterationsDropped, live: agentCounts ? { ...live, agents: agentCounts } : live } });
      const verdicts = aggregate.verdicts();
      const key = verdictsKey(verdicts);
      if (key !== lastVerdicts) {
        lastVerdicts = key;
        send({ type: 'thresholds', scenario: name, verdicts });
      }
      const abort = aggregate.abortTriggered() ?? mix?.added(name, interval, offsetMs);
      if (abort) this.abort(name, abort);
    };

    const events: SourceEvents = {
      started(plan, startedAt) {
        started = { plan, startedAt };
        send({ type: 'started', scenario: name, file, plan, startedAt, gracefulStopMs, thresholds });
        for (const o of outs) o.write({ type: 'start', version: PROTOCOL_VERSION, scenario: name, file, plan, startedAt });
      },
      interval(interval) {
        if (merging === undefined && interval.series.length <= AGGREGATE_SLICE) {
          aggregate.add(interval);
          merged(interval);
          return;
        }
        const mine: Promise<void> = (merging ?? Promise.resolve())
          .then(() => addInSlices(aggregate, interval))
          .then(() => merged(interval))
          .catch((err: unknown) => {
            mergeError ??= err;
          })
          .then(() => {
            if (merging === mine) merging = undefined;
          });
        merging = mine;
      },
      iterationError(err, count) {
        // process.exit() was reported once, where it was called.
        if (err instanceof ScenarioExitError) return;
        // The first occurrence of the first few messages carries its stack; then a running count now and then.
        const firstReport = count === 1 && reportedMessages < MAX_ITERATION_ERROR_REPORTS;
        if (firstReport) reportedMessages++;
        else if (count % ERROR_COUNT_EVERY !== 0) return;
        const stack = firstReport ? stackOf(err) : undefined;
        send({ type: 'error', kind: 'iteration', scenario: name, message: errorMessage(err), count, stack, location: locateInStack(stack, file) });
      },
      teardownError(err) {
        const stack = stackOf(err);
        send({ type: 'error', kind: 'teardown', scenario: name, message: errorMessage(err), stack, location: locateInStack(stack, file) });
      },
      unawaitedSleep: (stack) => {
        const at = locateInStack(stack, file);
        const key = at ? `${at.line}:${at.column}` : stack;
        if (this.unawaitedSleepSites.has(key)) return;
        this.unawaitedSleepSites.add(key);
        const where = at ? `${at.file}:${at.line}:${at.column}` : file;
        send({
          type: 'log',
          level: 'warn',
          scenario: name,
          message: `${where}: sleep() was not awaited: the iteration ended while it was pending, so it paused nothing. Write \`await sleep(...)\` (a bare number is seconds).`,
        });
      },
      warning: (message, stack) => this.warning(message, stack, name),
      log(level, message) {
        send({ type: 'log', level, scenario: name, message });
      },
      agents(counts) {
        agentCounts = counts;
      },
      ended: (kind, message, stack) => this.ended(kind, message, stack, name),
    };

    const source = createLoadSource(request.workers ?? defaultWorkerCount(), request.cluster);
    state.sources.add(source);
    state.events = events;
    // A cancel that arrived while the file was bundling applies at once.
    if (state.cancelled) source.cancel('cancelled');
    let result;
    try {
      result = await source.run({ name, file, definition, load: p.load, env, debug: request.debug, httpDebug: request.httpDebug, concurrent }, events);
      // Every interval in the totals (and in --out) before the summary.
      while (merging !== undefined) await merging;
      if (mergeError !== undefined) throw mergeError;
    } finally {
      if (state.events === events) state.events = undefined;
      state.sources.delete(source);
    }
    if (result.blocked) state.blocked = true;

    const status: SummaryData['state']['status'] = state.aborted
      ? 'aborted'
      : result.incomplete || result.blocked || state.exitCalled
        ? 'incomplete'
        : state.cancelled
          ? 'cancelled'
          : 'completed';
    const summary = aggregate.summary(status, Math.max(durationMs, result.durationMs));
    if (result.notes) summary.notes.push(...result.notes);
    if (result.cluster) summary.cluster = result.cluster;
    send({ type: 'thresholds', scenario: name, verdicts: summary.thresholds });
    const runDetails = details.details();
    send({ type: 'finished', scenario: name, summary, details: runDetails });
    for (const o of outs) o.write({ type: 'summary', scenario: name, summary });
    return savedRunOf({ scenario: name, file, startedAt: started?.startedAt ?? Date.now(), plan: started?.plan, summary, details: runDetails });
  }

  /** Maps a failure before or around the load to its protocol error and exit code. */
  reportFailure(err: unknown, file: string, scenario?: string): number {
    if (err instanceof ScenarioError) return this.reportFailure(err.error, file, err.scenario);
    if (err instanceof FileThresholdsError) {
      const e = err.error;
      if (!(e instanceof OptionsError)) return this.reportFailure(e, file);
      this.send({ type: 'error', kind: 'options', message: e.message, location: fileThresholdsLocation(file) });
      return ExitCode.badOptions;
    }
    if (err instanceof ScenarioFileError) {
      this.send({ type: 'error', kind: err.kind, message: err.message, location: err.location, stack: err.stackText, scenario });
      return err.kind === 'compile' ? ExitCode.compile : ExitCode.badOptions;
    }
    if (err instanceof OutputPathError) {
      this.send({ type: 'error', kind: 'options', message: err.message });
      return ExitCode.badOptions;
    }
    if (err instanceof OptionsError) {
      this.send({ type: 'error', kind: 'options', message: err.message, scenario, location: scenario ? optionsLocation(file, scenario, err) : undefined });
      return ExitCode.badOptions;
    }
    if (err instanceof ClusterError) {
      this.send({ type: 'error', kind: 'cluster', message: err.message, scenario });
      return ExitCode.cluster;
    }
    if (err instanceof ScenarioSetupError) {
      const cause = err.cause;
      const stack = stackOf(cause) ?? err.stack;
      this.send({ type: 'error', kind: 'setup', message: err.message, stack, location: locateInStack(stack, file), scenario: err.scenario ?? scenario });
      return ExitCode.setup;
    }
    this.send({ type: 'error', kind: 'internal', message: errorMessage(err), stack: stackOf(err), scenario });
    return ExitCode.internal;
  }

  async run(request: RunRequest): Promise<number> {
    // Outputs first, before the file is even bundled: a bad path is exit 2 before any request,
    // and once they are open nothing at the end can hang or change the verdict's exit code.
    let outputs: Outputs;
    try {
      const noReport = request.reportPath ? reportUnavailable() : null;
      if (noReport !== null) throw new OutputPathError(REPORT, request.reportPath!, noReport);
      outputs = Outputs.open(outputTargets(request), (message) => this.send({ type: 'log', level: 'error', message }));
    } catch (err) {
      return this.reportFailure(err, request.file);
    }
    try {
      return await this.runWith(request, outputs);
    } finally {
      outputs.close();
    }
  }

  private async runWith(request: RunRequest, outputs: Outputs): Promise<number> {
    const env = { ...(request.env ?? {}) };
    let prepared: Prepared[];
    let mix: MixTotals | undefined;
    try {
      const loaded = await loadScenarioFile(request.file);
      const knownTags = knownTagsOf(request.file, loaded.scenarios);
      prepared = this.prepare(selectScenarios(loaded.scenarios, request.scenarios, request.file), request, env, loaded.customMetrics, knownTags);
      // Totals when several scenarios run, or the file judges the run as a whole.
      if (!request.debug && (prepared.length > 1 || loaded.thresholds !== undefined)) {
        mix = this.mixTotals(request, prepared, loaded, knownTags);
      }
    } catch (err) {
      return this.reportFailure(err, request.file);
    }

    const clientWarning = httpClientWarning();
    if (clientWarning !== undefined) this.send({ type: 'log', level: 'warn', message: clientWarning });

    const outs = runOutputs(request, outputs, (message) => this.send({ type: 'log', level: 'warn', message }));
    try {
      return await this.runScenarios(request, prepared, mix, env, outputs, outs);
    } finally {
      // Bounded (see PrometheusOutput.close): the summary is already on screen.
      await Promise.all(outs.map((o) => o.close()));
    }
  }

  private async runScenarios(request: RunRequest, prepared: Prepared[], mix: MixTotals | undefined, env: Record<string, string>, outputs: Outputs, outs: RunOutput[]): Promise<number> {
    const reported: Reported[] = [];
    const summaries: SummaryData[] = [];
    let failureCode: number | undefined;
    /** Runs one scenario; false when the rest of the run must stop. */
    const runScenario = async (p: Prepared, offsetMs: number, concurrent: boolean): Promise<boolean> => {
      try {
        const run = await this.runOne(p, request, env, outs, mix, offsetMs, concurrent);
        reported.push(run);
        summaries.push(run.summary);
        return true;
      } catch (err) {
        failureCode ??= this.reportFailure(err, request.file, p.name);
        // A setup failure stops this scenario only; the file's other scenarios still run.
        if (err instanceof ScenarioSetupError) return true;
        this.cancel(`scenario ${p.name} failed`);
        return false;
      }
    };
    try {
      if (prepared.length > 1 && !request.cluster) {
        // A workload mix: every scenario at once, each from its startTime (as k6). They share
        // this process unless each runs in worker processes of its own.
        const concurrent = (request.workers ?? defaultWorkerCount()) <= 1;
        await Promise.all(
          prepared.map(async (p) => {
            const offsetMs = startTimeMsOf(p.definition);
            if (await this.waitStart(offsetMs)) await runScenario(p, offsetMs, concurrent);
          }),
        );
      } else {
        // One scenario, or a distributed run (its agents take one scenario at a time): in turn.
        for (const p of prepared) {
          if (this.state.cancelled || this.state.aborted) break;
          if (!(await runScenario(p, 0, false))) break;
        }
      }
      // The scenarios' summaries in the file's order (a mix finishes them in any order).
      const order = (s: SummaryData) => prepared.findIndex((p) => p.name === s.scenario);
      summaries.sort((a, b) => order(a) - order(b));
      const total = mix && summaries.length > 0 ? this.finishMix(mix, outs) : undefined;
      // Never throws: a failed write is reported, and the exit code stays the verdict's.
      if (summaries.length > 0) for (const f of endOfRunFiles(request)) outputs.get(f.flag)?.write(f.text(summaries, total));
      if (total) summaries.push(total);
      if (reported.length > 0) outputs.get(REPORT)?.write(renderReport(reported));
    } catch (err) {
      failureCode = this.reportFailure(err, request.file);
    }
    // Cancelled before the first scenario started: nothing ran, and the user asked for that.
    if (failureCode === undefined && summaries.length === 0 && this.state.cancelled) return ExitCode.cancelled;
    return failureCode ?? exitCodeOf(summaries);
  }

  /** The totals of a mix: every scenario's intervals, judged by the file-wide thresholds. */
  private mixTotals(request: RunRequest, prepared: Prepared[], loaded: LoadedFile, knownTags: KnownTags): MixTotals {
    const where = 'the file-wide thresholds';
    try {
      checkThresholds(loaded.thresholds, 'total', loaded.customMetrics, knownTags, where);
    } catch (err) {
      throw new FileThresholdsError(err);
    }
    const plans = prepared.map((p) => ({ p, plan: p.plan }));
    const aggregate = new RunAggregate({
      scenario: MIX_NAME,
      file: request.file,
      // The closed model's note (latency hides queueing) applies as soon as one scenario is closed.
      model: plans.some((x) => x.plan.model === 'closed') ? 'closed' : 'open',
      plannedMs: Math.max(...plans.map((x) => (prepared.length > 1 ? startTimeMsOf(x.p.definition) : 0) + x.plan.plannedMs)),
      thresholds: loaded.thresholds,
    });
    return new MixTotals(aggregate, prepared.map((p) => p.name));
  }

  /** Sends and writes the mix's totals once every scenario has ended. */
  private finishMix(mix: MixTotals, outs: RunOutput[]): SummaryData {
    const { state } = this;
    const status: SummaryData['state']['status'] = state.aborted ? 'aborted' : state.blocked || state.exitCalled ? 'incomplete' : state.cancelled ? 'cancelled' : 'completed';
    const summary = mix.summary(status);
    this.send({ type: 'mix-finished', summary });
    for (const o of outs) o.write({ type: 'total', summary });
    return summary;
  }

  async list(file: string): Promise<number> {
    try {
      const { scenarios: all } = await loadScenarioFile(file);
      const scenarios = all.map((s) => {
        try {
          const plan = planOf(s.name, s.definition);
          // In a mix the scenario joins at its startTime: `list` says so.
          const startMs = startTimeMsOf(s.definition);
          return startMs > 0 ? { ...plan, shape: `${plan.shape}, from ${formatDuration(startMs)}` } : plan;
        } catch (err) {
          throw new ScenarioError(s.name, err);
        }
      });
      this.send({ type: 'listed', file, scenarios });
      return ExitCode.ok;
    } catch (err) {
      return this.reportFailure(err, file);
    }
  }
}

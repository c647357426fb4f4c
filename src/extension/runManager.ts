// Runs scenarios in the forked runner (dist/runner.js) and keeps what each run measured. One code
// path for code lenses, the Test Explorer and the panel's "run again". No vscode import: the
// extension passes settings in as functions, so this runs (and is tested) under plain Node.

import type { ClusterOptions, FromRunner, LoadOverrides, PlanInfo, RunRequest } from '../protocol';
import type { LiveStats, SummaryData, ThresholdVerdict } from '../engine/types';
import { RunnerProcess } from '../runner/client';
import { appendPoint, seriesPointOf, type SeriesPoint } from '../view-model/reducers';
import { runId, saveRun, savedRunOf, type SavedRun } from '../report/saved-runs';
import type { RunDetails } from '../report/collect';
import { redactor, secretsOf } from './cluster';

export type RunnerError = Extract<FromRunner, { type: 'error' }>;

export interface RunSpec {
  /** Absolute path of the *.load.ts file. */
  file: string;
  /** One exported scenario; all of the file's when omitted. */
  scenario?: string;
  overrides?: LoadOverrides;
  /** Base URL replacing the scenario's `target`. */
  target?: string;
  /** Run one VU for `iterations` iterations under the inspector (paused until a debugger attaches). */
  debug?: { iterations: number };
  env?: Record<string, string>;
  /** Run on agents through NATS; `nats` holds the credentials, which never leave the session
   *  except in the run request (everything the runner says is redacted). */
  cluster?: ClusterOptions;
}

export interface RunManagerConfig {
  /** Absolute path of dist/runner.js. */
  runnerPath: string;
  /** `loadlens.nodePath`, read at each run; empty = the extension host's own Node. */
  nodePath(): string | undefined;
  /** Absolute results folder for `file`, or undefined to keep no history. */
  resultsFolder(file: string): string | undefined;
  /** Working directory of the runner (the workspace folder). */
  cwd?(file: string): string | undefined;
}

/** What one scenario of a run measured so far. */
export interface ScenarioResult {
  scenario: string;
  file: string;
  plan: PlanInfo | null;
  startedAt: number;
  live: LiveStats | null;
  series: SeriesPoint[];
  bucket: number;
  thresholds: ThresholdVerdict[];
  summary: SummaryData | null;
  /** The per-second details and endpoints the runner sent with `finished`. */
  details?: RunDetails;
  /** Where the run was saved (after `finished`), or the reason it was not. */
  savedPath?: string;
  saveError?: string;
}

export interface RunOutcome {
  /** 'done': the runner said so; 'failed-to-start': it never ran; 'died': it exited without `done`. */
  ending: 'done' | 'failed-to-start' | 'died';
  exitCode: number | null;
  /** Why the runner did not start or died, in words a user can act on. */
  failure?: string;
  cancelled: boolean;
  results: ScenarioResult[];
  /** A workload mix's totals (every scenario together, judged by the file-wide thresholds). */
  total?: SummaryData;
  errors: RunnerError[];
}

type Listener<T> = (value: T) => void;

class Emitter<T> {
  private listeners: Listener<T>[] = [];
  on(listener: Listener<T>): { dispose(): void } {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
  }
  fire(value: T): void {
    for (const l of [...this.listeners]) {
      try { l(value); } catch (err) { console.error('loadlens listener failed', err); }
    }
  }
}

/** The runner for `file`, forked as every run and list is: the configured Node, the folder's cwd. */
function forkRunner(config: RunManagerConfig, file: string, execArgv: string[] = []): RunnerProcess {
  const nodePath = config.nodePath()?.trim() || undefined;
  return new RunnerProcess({
    runnerPath: config.runnerPath,
    nodePath,
    execArgv,
    cwd: config.cwd?.(file),
    // In desktop VS Code the host's execPath is Electron: make it behave as plain Node.
    env: { ...process.env, ...(nodePath ? {} : { ELECTRON_RUN_AS_NODE: '1' }) },
    output: 'pipe',
  });
}

const LIST_TIMEOUT_MS = 60_000;

/**
 * The scenarios the runner finds when it loads `file` (no iteration runs): it sees what static
 * discovery cannot (scenarios built by helpers, re-exported). Undefined when the file cannot be
 * loaded (it does not compile, throws on import): the caller keeps what static discovery found.
 */
export async function listScenarios(config: RunManagerConfig, file: string, timeoutMs = LIST_TIMEOUT_MS): Promise<PlanInfo[] | undefined> {
  const runner = forkRunner(config, file);
  // Pipes must be drained (a full pipe stalls the child); a listing has no output to show.
  runner.child.stdout?.resume();
  runner.child.stderr?.resume();
  let listed: PlanInfo[] | undefined;
  let failed = false;
  runner.onMessage((m) => {
    if (m.type === 'listed') listed = m.scenarios;
    else if (m.type === 'error') failed = true;
  });
  runner.list(file);
  // A file whose top level never settles must not hold up the listings queued behind it.
  const timer = setTimeout(() => runner.kill(), timeoutMs);
  await runner.exited;
  clearTimeout(timer);
  return failed ? undefined : listed;
}

const DEBUGGER_LISTENING = /Debugger listening on ws:\/\/([^:/\s]+|\[[^\]]+\]):(\d+)\//;

let nextSessionId = 1;

export class RunSession {
  readonly id = nextSessionId++;
  readonly createdAt = Date.now();
  readonly outcome: Promise<RunOutcome>;
  /** The inspector port of a debug run (undefined for plain runs or when it never listened). */
  readonly debugPort: Promise<number | undefined>;
  private readonly messages = new Emitter<FromRunner>();
  private readonly output = new Emitter<string>();
  private readonly process: RunnerProcess;
  private readonly byScenario = new Map<string, ScenarioResult>();
  private readonly errors: RunnerError[] = [];
  private cancelRequested = false;
  private exitCode: number | null = null;
  private sawDone = false;
  private spawnError: Error | undefined;
  /** Hides the cluster credentials in whatever the runner says (a message may quote the URL). */
  private readonly redact: (text: string) => string;

  /**
   * Forks the runner at once (its start-up overlaps whatever `gate` waits for, e.g. the panel
   * loading) and sends the run request when `gate` settles.
   */
  constructor(readonly spec: RunSpec, private readonly config: RunManagerConfig, gate?: Promise<unknown>) {
    const nodePath = config.nodePath()?.trim() || undefined;
    this.redact = redactor(spec.cluster ? secretsOf(spec.cluster.nats) : []);
    const request: RunRequest = {
      file: spec.file,
      scenarios: spec.scenario !== undefined ? [spec.scenario] : undefined,
      overrides: spec.overrides,
      target: spec.target,
      env: spec.env,
      debug: spec.debug ? { iterations: spec.debug.iterations } : undefined,
      cluster: spec.cluster,
    };
    // Port 0: the OS picks a free port, read back from the inspector's banner (no TOCTOU race).
    this.process = forkRunner(config, spec.file, spec.debug ? ['--inspect-brk=127.0.0.1:0'] : []);
    const child = this.process.child;
    child.on('error', (err) => { this.spawnError ??= err; });
    let resolvePort: (port: number | undefined) => void = () => {};
    this.debugPort = new Promise((resolve) => { resolvePort = resolve; });
    if (!spec.debug) resolvePort(undefined);
    let stderrLine = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => this.output.fire(this.redact(text)));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      stderrLine += text;
      const m = DEBUGGER_LISTENING.exec(stderrLine);
      if (m) { resolvePort(Number(m[2])); stderrLine = ''; }
      else if (stderrLine.length > 4096) stderrLine = stderrLine.slice(-1024);
      this.output.fire(this.redact(text));
    });
    this.process.onMessage((m) => this.handle(this.redacted(m)));
    const send = () => {
      // Stopped before the request went out: nothing ran, nothing to summarise.
      if (this.cancelRequested) this.process.kill();
      else this.process.run(request);
    };
    if (gate) void gate.then(send, send);
    else send();
    this.outcome = this.process.exited.then((exit) => {
      resolvePort(undefined);
      return this.finish(exit.code, exit.signal, nodePath);
    });
  }

  /** Runner messages as they arrive. */
  onMessage(listener: Listener<FromRunner>): { dispose(): void } {
    return this.messages.on(listener);
  }

  /** The runner's stdout/stderr text (the scenario's console output, Node warnings). */
  onOutput(listener: Listener<string>): { dispose(): void } {
    return this.output.on(listener);
  }

  /** The runner's process id (undefined when it could not start). */
  get pid(): number | undefined {
    return this.process.child.pid;
  }

  get results(): ScenarioResult[] {
    return [...this.byScenario.values()];
  }

  get isCancelled(): boolean {
    return this.cancelRequested;
  }

  /** First call: graceful stop with a summary. A second call: kill the runner at once. */
  cancel(reason = 'stopped by the user'): void {
    if (this.cancelRequested || !this.process.cancel(reason)) this.process.kill();
    this.cancelRequested = true;
  }

  /** A mix's totals, once the runner sent them. */
  private total: SummaryData | undefined;

  private result(scenario: string): ScenarioResult {
    let r = this.byScenario.get(scenario);
    if (!r) {
      r = {
        scenario, file: this.spec.file, plan: null, startedAt: Date.now(), live: null, series: [], bucket: 1,
        thresholds: [], summary: null,
      };
      this.byScenario.set(scenario, r);
    }
    return r;
  }

  /** The message with the cluster credentials hidden in its free text. */
  private redacted(m: FromRunner): FromRunner {
    if (!this.spec.cluster) return m;
    if (m.type === 'log') return { ...m, message: this.redact(m.message) };
    if (m.type === 'error') return { ...m, message: this.redact(m.message), ...(m.stack !== undefined ? { stack: this.redact(m.stack) } : {}) };
    return m;
  }

  private handle(m: FromRunner): void {
    switch (m.type) {
      case 'started': {
        const r = this.result(m.scenario);
        r.plan = m.plan;
        r.startedAt = m.startedAt;
        r.file = m.file;
        break;
      }
      case 'progress': {
        const r = this.result(m.scenario);
        r.live = m.progress.live;
        r.thresholds = m.progress.live.thresholds ?? r.thresholds;
        const next = appendPoint(r.series, r.bucket, seriesPointOf(m.progress));
        r.series = next.series;
        r.bucket = next.bucket;
        break;
      }
      case 'thresholds':
        this.result(m.scenario).thresholds = m.verdicts;
        break;
      case 'finished': {
        const r = this.result(m.scenario);
        r.summary = m.summary;
        r.thresholds = m.summary.thresholds;
        r.details = m.details;
        this.save(r);
        break;
      }
      case 'mix-finished':
        this.total = m.summary;
        break;
      case 'error':
        this.errors.push(m);
        break;
      case 'done':
        this.sawDone = true;
        this.exitCode = m.exitCode;
        break;
    }
    this.messages.fire(m);
  }

  private save(r: ScenarioResult): void {
    const folder = this.config.resultsFolder(r.file);
    if (!folder || !r.summary) return;
    const run: SavedRun = savedRunOf({ ...r, summary: r.summary });
    try {
      r.savedPath = saveRun(folder, run);
    } catch (err) {
      r.saveError = `Could not save the run under ${folder}: ${(err as Error).message}`;
    }
  }

  private finish(code: number | null, signal: NodeJS.Signals | null, nodePath: string | undefined): RunOutcome {
    const base = { cancelled: this.cancelRequested, results: this.results, total: this.total, errors: this.errors };
    if (this.spawnError) {
      const node = nodePath ?? process.execPath;
      const failure = (this.spawnError as NodeJS.ErrnoException).code === 'ENOENT'
        ? `Loadlens could not start the runner: no Node.js executable at '${node}'` +
          (nodePath ? ' (setting loadlens.nodePath). Fix the path or clear the setting to use the editor\'s own Node.' : '.')
        : `Loadlens could not start the runner with '${node}': ${this.spawnError.message}`;
      return { ...base, ending: 'failed-to-start', exitCode: null, failure };
    }
    if (this.sawDone) return { ...base, ending: 'done', exitCode: this.exitCode ?? code };
    const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
    const measured = this.results.some((r) => r.live) ? '; what it had measured is shown below' : ' before measuring anything';
    const startHint = !this.results.length && code !== null && code !== 0 && nodePath
      ? ` (check the setting loadlens.nodePath: '${nodePath}' must be Node.js 20 or later)` : '';
    return {
      ...base,
      ending: 'died',
      exitCode: code,
      failure: this.cancelRequested && signal === 'SIGKILL'
        ? 'The runner was stopped at once (second stop) without a summary'
        : `The runner ${how} without finishing${measured}${startHint}`,
    };
  }
}

/** Starts runs, one at a time: concurrent load runs would measure each other's CPU contention. */
export class RunManager {
  private current: RunSession | undefined;
  private readonly started = new Emitter<RunSession>();
  private readonly ended = new Emitter<{ session: RunSession; outcome: RunOutcome }>();

  constructor(private readonly config: RunManagerConfig) {}

  get active(): RunSession | undefined {
    return this.current;
  }

  onDidStart(listener: Listener<RunSession>): { dispose(): void } {
    return this.started.on(listener);
  }

  onDidEnd(listener: Listener<{ session: RunSession; outcome: RunOutcome }>): { dispose(): void } {
    return this.ended.on(listener);
  }

  /** Starts a run; throws when one is already going (the caller says so to the user). */
  start(spec: RunSpec, gate?: Promise<unknown>): RunSession {
    if (this.current) {
      throw new Error(`A Loadlens run is already in progress (${this.current.spec.scenario ?? this.current.spec.file}); stop it first.`);
    }
    const session = new RunSession(spec, this.config, gate);
    this.current = session;
    void session.outcome.then((outcome) => {
      if (this.current === session) this.current = undefined;
      this.ended.fire({ session, outcome });
    });
    this.started.fire(session);
    return session;
  }

  cancelActive(reason?: string): boolean {
    if (!this.current) return false;
    this.current.cancel(reason);
    return true;
  }

  /** On deactivation: ask the active runner to stop (it also stops when its IPC channel closes). */
  dispose(): void {
    this.current?.cancel('the extension is shutting down');
  }
}

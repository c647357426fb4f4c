// The Test Explorer: a TestController with file → scenario items (a file of several scenarios is
// itself runnable: the workload mix, every scenario together), Run and Debug profiles, and the
// one run path every trigger uses (code lens, Test Explorer, panel "run again"): a TestRun that
// streams the runner's output, with thresholds deciding passed or failed. Test Results is a
// terminal and the output channel shows what it is given: text from the scenario, the server or
// the runner is escaped (src/text.ts) on its way to either, and into Test Explorer messages.

import { ExitCode, type ClusterOptions, type FromRunner } from '../protocol';

const BLOCKED_EXIT: number = ExitCode.blocked;
import type {
  VSCode, CancellationToken, Disposable, DiagnosticCollection, OutputChannel, TestController, TestItem, TestRun,
  TestRunProfile, TestRunRequest, Uri,
} from './vscodeTypes';
import type { ScenarioIndex } from './workspace';
import type { RunManager, RunOutcome, RunSession, ScenarioResult } from './runManager';
import { readSettings } from './settings';
import { liveSummaryText, resultLensText, thresholdFailure } from './results';
import { formatLiveLine, formatSummary } from '../presentation/summary-text';
import { escapeControl, escapeControlLines } from '../text';
import type { ThresholdVerdict } from '../engine/types';
import { noRecorder, type Recorder } from './test-hooks';

export const CONTROLLER_ID = 'loadlens';
export const UNTRUSTED_MESSAGE = 'Loadlens runs nothing in an untrusted workspace: scenario files are code. Trust the workspace to run them.';

interface ScenarioRef {
  uri: Uri;
  /** The scenario; undefined for a file's item: every scenario of the file together (the mix). */
  name?: string;
}

/** The thresholds that failed in a run: of its one scenario, or for a mix of every scenario and the file-wide ones. */
export function failedThresholds(name: string | undefined, outcome: Pick<RunOutcome, 'results' | 'total'>, result: ScenarioResult | undefined): ThresholdVerdict[] {
  const summaries = name !== undefined ? [result?.summary] : [...outcome.results.map((r) => r.summary), outcome.total];
  return summaries.flatMap((s) => s?.thresholds ?? []).filter((t) => !t.ok);
}

/** Test Results is a terminal: lines end in CRLF. */
function crlf(text: string): string {
  return text.replace(/\r?\n/g, '\r\n');
}

export type RunVerdict = 'passed' | 'failed' | 'errored' | 'skipped';

/** How a scenario runs: here, under the debugger, or on the cluster's agents (loadlens.cluster.*). */
export type RunMode = 'run' | 'debug' | 'cluster';
export const CLUSTER_PROFILE_LABEL = 'Run on cluster';

export interface ScenarioRunEnd {
  ref: ScenarioRef;
  verdict: RunVerdict;
  outcome: RunOutcome;
  result: ScenarioResult | undefined;
}

export class LoadlensTesting implements Disposable {
  readonly controller: TestController;
  readonly runProfile: TestRunProfile;
  readonly debugProfile: TestRunProfile;
  readonly clusterProfile: TestRunProfile;
  private readonly refs = new WeakMap<TestItem, ScenarioRef>();
  private readonly disposables: Disposable[] = [];
  /** The last scenarios run, for "run again". */
  private lastRun: { items: TestItem[]; mode: RunMode } | undefined;
  private readonly endListeners: Array<(end: ScenarioRunEnd) => void> = [];

  constructor(
    private readonly vscode: VSCode,
    private readonly index: ScenarioIndex,
    private readonly manager: RunManager,
    private readonly diagnostics: DiagnosticCollection,
    private readonly log: OutputChannel,
    private readonly attachDebugger: (session: RunSession, name: string, uri: Uri) => Promise<boolean>,
    /** Called before each run; the run request is sent when the returned promise settles. */
    private readonly beforeRun: () => Promise<unknown> | undefined = () => undefined,
    /** The cluster options of a "Run on cluster" (settings + secret); throws what the user must fix. */
    private readonly clusterOptions: () => Promise<ClusterOptions> = async () => { throw new Error('Running on a cluster is not available here'); },
    private readonly record: Recorder = noRecorder,
  ) {
    this.controller = vscode.tests.createTestController(CONTROLLER_ID, 'Loadlens');
    this.controller.refreshHandler = async () => { this.syncAll(); };
    this.runProfile = this.controller.createRunProfile('Run', vscode.TestRunProfileKind.Run,
      (request, token) => this.handleRun(request, token, 'run'), true);
    this.debugProfile = this.controller.createRunProfile('Debug', vscode.TestRunProfileKind.Debug,
      (request, token) => this.handleRun(request, token, 'debug'), true);
    // Not a default: a plain ▶ in the Test Explorer runs here; this one is picked from its menu.
    this.clusterProfile = this.controller.createRunProfile(CLUSTER_PROFILE_LABEL, vscode.TestRunProfileKind.Run,
      (request, token) => this.handleRun(request, token, 'cluster'), false);
    this.disposables.push(this.controller, index.onDidChange((uri) => this.syncFile(uri)));
    this.syncAll();
  }

  onDidEndScenario(listener: (end: ScenarioRunEnd) => void): void {
    this.endListeners.push(listener);
  }

  // -------------------------------------------------------------------------------------------
  // Items

  syncAll(): void {
    const seen = new Set<string>();
    for (const file of this.index.all()) {
      seen.add(file.uri.toString());
      this.syncFile(file.uri);
    }
    this.controller.items.forEach((item) => { if (!seen.has(item.id)) this.controller.items.delete(item.id); });
  }

  private syncFile(uri: Uri): void {
    const { vscode } = this;
    const id = uri.toString();
    const file = this.index.get(uri);
    if (!file || (file.result.scenarios.length === 0 && file.result.problems.length === 0)) {
      this.controller.items.delete(id);
      return;
    }
    let fileItem = this.controller.items.get(id);
    if (!fileItem) {
      fileItem = this.controller.createTestItem(id, vscode.workspace.asRelativePath(uri, false), uri);
      this.controller.items.add(fileItem);
    }
    fileItem.error = file.result.scenarios.length === 0 && file.result.problems.length > 0
      ? `Cannot read scenarios: ${file.result.problems[0].message} (line ${file.result.problems[0].span.start.line + 1})`
      : undefined;
    const children: TestItem[] = [];
    for (const s of file.result.scenarios) {
      const childId = `${id}#${s.name}`;
      const child = fileItem.children.get(childId) ?? this.controller.createTestItem(childId, s.name, uri);
      child.range = new vscode.Range(s.span.start.line, s.span.start.character, s.span.end.line, s.span.end.character);
      child.description = s.shape ?? undefined;
      this.refs.set(child, { uri, name: s.name });
      children.push(child);
    }
    fileItem.children.replace(children);
    // Several scenarios: the file's item runs them together, as `loadlens run FILE` does.
    if (children.length > 1) {
      this.refs.set(fileItem, { uri });
      fileItem.description = 'all together';
    } else {
      this.refs.delete(fileItem);
      fileItem.description = undefined;
    }
  }

  /** The scenario's TestItem, or without a name the file's (the mix), creating the file's items if the index has them. */
  itemFor(uri: Uri, name?: string): TestItem | undefined {
    let fileItem = this.controller.items.get(uri.toString());
    if (!fileItem) {
      this.syncFile(uri);
      fileItem = this.controller.items.get(uri.toString());
    }
    if (name === undefined) return fileItem && this.refs.has(fileItem) ? fileItem : undefined;
    return fileItem?.children.get(`${uri.toString()}#${name}`);
  }

  // -------------------------------------------------------------------------------------------
  // Runs

  /** Runs scenarios through the profile's handler, as the Test Explorer would (lenses use this). */
  async runItems(items: TestItem[], mode: RunMode): Promise<void> {
    const profile = mode === 'debug' ? this.debugProfile : mode === 'cluster' ? this.clusterProfile : this.runProfile;
    const cts = new this.vscode.CancellationTokenSource();
    try {
      await profile.runHandler(new this.vscode.TestRunRequest(items, undefined, profile), cts.token);
    } finally {
      cts.dispose();
    }
  }

  async runAgain(): Promise<boolean> {
    if (!this.lastRun) return false;
    await this.runItems(this.lastRun.items, this.lastRun.mode);
    return true;
  }

  private collect(request: TestRunRequest): TestItem[] {
    const out: TestItem[] = [];
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const visit = (item: TestItem) => {
      if (excluded.has(item.id)) return;
      if (this.refs.has(item)) out.push(item);
      else item.children.forEach(visit);
    };
    if (request.include) request.include.forEach(visit);
    else this.controller.items.forEach(visit);
    return out;
  }

  private async handleRun(request: TestRunRequest, token: CancellationToken, mode: RunMode): Promise<void> {
    const { vscode } = this;
    const items = this.collect(request);
    const run = this.controller.createTestRun(request, mode === 'debug' ? 'Loadlens debug' : mode === 'cluster' ? 'Loadlens on cluster' : 'Loadlens');
    try {
      if (!vscode.workspace.isTrusted) {
        for (const item of items) run.errored(item, new vscode.TestMessage(UNTRUSTED_MESSAGE));
        this.record('refused', { reason: 'untrusted', scenarios: items.map((i) => i.label) });
        return;
      }
      this.lastRun = { items, mode };
      let cluster: ClusterOptions | undefined;
      if (mode === 'cluster') {
        try {
          cluster = await this.clusterOptions();
        } catch (err) {
          for (const item of items) run.errored(item, new vscode.TestMessage((err as Error).message));
          this.record('refused', { reason: 'cluster-settings', message: (err as Error).message, scenarios: items.map((i) => i.label) });
          return;
        }
      }
      for (const item of items) run.enqueued(item);
      // One at a time: concurrent load runs would measure each other.
      for (const item of items) {
        if (token.isCancellationRequested || run.token.isCancellationRequested) { run.skipped(item); continue; }
        await this.runOne(run, item, token, mode === 'debug', cluster);
      }
    } finally {
      run.end();
    }
  }

  private async runOne(run: TestRun, item: TestItem, token: CancellationToken, debug: boolean, cluster: ClusterOptions | undefined): Promise<void> {
    const { vscode } = this;
    const ref = this.refs.get(item)!;
    const settings = readSettings(vscode, ref.uri);
    run.started(item);
    let session: RunSession;
    try {
      session = this.manager.start({
        file: ref.uri.fsPath,
        scenario: ref.name,
        overrides: debug ? undefined : settings.overrides,
        debug: debug ? { iterations: settings.debugIterations } : undefined,
        cluster,
      }, this.beforeRun());
    } catch (err) {
      run.errored(item, new vscode.TestMessage(escapeControlLines((err as Error).message)));
      return;
    }
    this.diagnostics.delete(ref.uri);
    const out = (text: string, location?: InstanceType<VSCode['Location']>) => run.appendOutput(crlf(text), location, item);
    const cancel = () => session.cancel(token.isCancellationRequested ? 'cancelled from the Test Explorer' : undefined);
    const subs = [
      token.onCancellationRequested(cancel),
      run.token.onCancellationRequested(cancel),
      session.onOutput((text) => { const safe = escapeControlLines(text); out(safe); this.log.append(safe); }),
      session.onMessage((m) => this.report(m, out)),
    ];
    this.record('run-started', { file: ref.uri.fsPath, scenario: ref.name, debug, cluster: cluster ? { agents: cluster.agents } : null });
    if (debug) {
      const attached = await this.attachDebugger(session, ref.name ?? item.label, ref.uri);
      if (!attached) {
        out('Could not attach the debugger; stopping the run.\n');
        session.cancel();
        session.cancel();
      }
    }
    const outcome = await session.outcome;
    for (const s of subs) s.dispose();
    // A mix: the result shown is the first scenario's; the verdict weighs every one (failedThresholds).
    const result = session.results.find((r) => r.scenario === ref.name) ?? session.results[0];
    const verdict = this.decide(run, item, ref, outcome, result);
    this.record('run-ended', {
      file: ref.uri.fsPath, scenario: ref.name, debug, cluster: !!cluster, verdict, ending: outcome.ending, exitCode: outcome.exitCode,
      failure: outcome.failure ?? null, cancelled: outcome.cancelled,
      lens: result?.summary ? resultLensText(result.summary) : null,
      thresholds: result?.thresholds ?? [], summary: result?.summary ?? null, lastLive: result?.live ?? null,
      savedPath: result?.savedPath ?? null, errors: outcome.errors.map((e) => ({ kind: e.kind, message: e.message, location: e.location ?? null })),
    });
    for (const l of this.endListeners) l({ ref, verdict, outcome, result });
  }

  private locationOf(loc: { file: string; line: number; column: number }): InstanceType<VSCode['Location']> {
    const { vscode } = this;
    const pos = new vscode.Position(Math.max(0, loc.line - 1), Math.max(0, loc.column - 1));
    return new vscode.Location(vscode.Uri.file(loc.file), pos);
  }

  /** Streams one runner message into the test output, the log and the diagnostics. */
  private report(m: FromRunner, out: (text: string, location?: InstanceType<VSCode['Location']>) => void): void {
    switch (m.type) {
      case 'started':
        out(`▶ ${escapeControl(m.scenario)}: ${escapeControl(m.plan.shape)}\n`);
        this.log.appendLine(`[run] ${escapeControl(m.scenario)} (${escapeControl(m.file)}): ${escapeControl(m.plan.shape)}`);
        break;
      case 'progress':
        out(`${formatLiveLine(m.progress.live)}\n`);
        break;
      case 'log': {
        const message = escapeControlLines(m.message);
        out(`${m.level === 'info' ? '' : `${m.level}: `}${message}\n`);
        this.log.appendLine(`[${m.level}] ${message}`);
        break;
      }
      case 'error': {
        const where = m.location ? `${escapeControl(m.location.file)}:${m.location.line}:${m.location.column}: ` : '';
        const message = escapeControlLines(m.message);
        out(`✗ ${m.kind} error: ${message}${m.count && m.count > 1 ? ` (×${m.count})` : ''}\n`, m.location ? this.locationOf(m.location) : undefined);
        this.log.appendLine(`[error:${m.kind}] ${where}${message}${m.stack ? `\n${escapeControlLines(m.stack)}` : ''}`);
        if (m.location) this.addDiagnostic(m);
        break;
      }
      case 'finished': {
        // formatSummary escapes the summary's strings itself, then adds its colours.
        out(`\n${formatSummary(m.summary, { color: true })}`);
        this.log.appendLine(`[done] ${escapeControl(m.scenario)}: ${resultLensText(m.summary)}`);
        break;
      }
    }
  }

  private addDiagnostic(m: Extract<FromRunner, { type: 'error' }>): void {
    const { vscode } = this;
    const loc = m.location!;
    const uri = vscode.Uri.file(loc.file);
    const pos = new vscode.Position(Math.max(0, loc.line - 1), Math.max(0, loc.column - 1));
    const severity = m.kind === 'iteration' || m.kind === 'teardown' ? vscode.DiagnosticSeverity.Warning : vscode.DiagnosticSeverity.Error;
    const message = escapeControlLines(m.message);
    const text = m.kind === 'iteration' ? `Iteration threw${m.count && m.count > 1 ? ` (${m.count} times)` : ''}: ${message}` : message;
    const existing = (this.diagnostics.get(uri) ?? []).filter((d) => !(d.range.start.line === pos.line && d.message.split(':')[0] === text.split(':')[0]));
    const diagnostic = new vscode.Diagnostic(new vscode.Range(pos, pos.translate(0, 1)), text, severity);
    diagnostic.source = 'loadlens';
    this.diagnostics.set(uri, [...existing, diagnostic]);
  }

  /** Reports the scenario's verdict: thresholds decide; script errors and dead runners error. */
  private decide(run: TestRun, item: TestItem, ref: ScenarioRef, outcome: RunOutcome, result: ScenarioResult | undefined): RunVerdict {
    const { vscode } = this;
    const duration = result?.summary?.state.testRunDurationMs;
    if (outcome.cancelled && outcome.results.length === 0 && outcome.errors.length === 0) {
      run.skipped(item);
      return 'skipped';
    }
    const fatal = outcome.errors.find((e) => e.kind === 'compile' || e.kind === 'options' || e.kind === 'setup' || e.kind === 'cluster' || e.kind === 'internal');
    if (outcome.failure && outcome.ending !== 'done') {
      const measured = result?.live ? `\nMeasured before it stopped: ${liveSummaryText(result.live)}` : '';
      const failure = escapeControlLines(outcome.failure);
      const message = new vscode.TestMessage(failure + measured);
      run.appendOutput(crlf(`✗ ${failure}${measured}\n`), undefined, item);
      run.errored(item, message);
      return 'errored';
    }
    if (!result?.summary) {
      const text = fatal ? `${fatal.kind === 'compile' ? 'The scenario file does not compile' : `${fatal.kind} error`}: ${escapeControlLines(fatal.message)}`
        : `The runner finished (exit code ${outcome.exitCode}) without a summary for '${escapeControl(ref.name ?? item.label)}'`;
      const message = new vscode.TestMessage(text);
      if (fatal?.location) message.location = this.locationOf(fatal.location);
      run.errored(item, message);
      return 'errored';
    }
    // The scenario stopped its own run (process.exit(), out of memory, blocked past its end): an
    // error at its line, whatever the thresholds of the partial figures say.
    const stopped = outcome.errors.find((e) => e.kind === 'exit' || e.kind === 'memory' || (e.kind === 'blocked' && outcome.exitCode === BLOCKED_EXIT));
    if (stopped) {
      const message = new vscode.TestMessage(`${stopped.kind === 'exit' ? 'process.exit() in the scenario' : stopped.kind === 'memory' ? 'Out of memory' : 'Blocked event loop'}: ${stopped.message}`);
      if (stopped.location) message.location = this.locationOf(stopped.location);
      run.errored(item, message, duration);
      return 'errored';
    }
    const failed = failedThresholds(ref.name, outcome, result);
    if (failed.length > 0) {
      const scenarios = this.index.get(ref.uri)?.result.scenarios.filter((s) => ref.name === undefined || s.name === ref.name) ?? [];
      const messages = failed.map((verdict) => {
        const f = thresholdFailure(verdict);
        const message = vscode.TestMessage.diff(escapeControl(f.message), escapeControl(f.expected), escapeControl(f.actual));
        const at = scenarios.flatMap((s) => s.thresholds).find((t) => t.metric === verdict.metric && t.expression === verdict.expression);
        if (at) {
          message.location = new vscode.Location(ref.uri, new vscode.Range(at.span.start.line, at.span.start.character, at.span.end.line, at.span.end.character));
        } else if (item.range) {
          message.location = new vscode.Location(ref.uri, item.range);
        }
        return message;
      });
      run.failed(item, messages, duration);
      return 'failed';
    }
    // Part of the load never ran (a worker process or a cluster agent was lost; exit 1): whatever
    // the thresholds of the rest say, this is not a pass.
    if (result.summary.state.status === 'incomplete') {
      const why = result.summary.notes.length ? `: ${result.summary.notes.map(escapeControlLines).join(' ')}` : '';
      run.errored(item, new vscode.TestMessage(`The run is incomplete${why}`), duration);
      return 'errored';
    }
    if (outcome.cancelled) {
      run.appendOutput(crlf(`Run stopped before its planned end: not counted as passed.\n`), undefined, item);
      run.skipped(item);
      return 'skipped';
    }
    run.passed(item, duration);
    return 'passed';
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}

// Code lenses above each scenario (▶ Run, Debug, the last result) and on each threshold line
// (✓/✗ with the observed value), fed by the run manager's sessions.

import type { EventEmitter } from 'vscode';
import type { LiveStats, SummaryData, ThresholdVerdict } from '../engine/types';
import type { VSCode, CodeLens, CodeLensProvider, Disposable, Event, TextDocument } from './vscodeTypes';
import type { RunManager } from './runManager';
import type { ScenarioIndex } from './workspace';
import { resultLensText, statusBarText, thresholdLensText } from './results';
import { formatObserved } from '../presentation/format';

export const LENS_RUN = '▶ Run';
// An icon, not ▶: the per-scenario lenses are the ones titled '▶ Run'.
export const LENS_RUN_ALL = '$(run-all) Run all together';

/**
 * The lens at the top of a file that exports several scenarios: runs them together (the mix, as
 * `loadlens run FILE`); its tooltip names them. Undefined for a file of one scenario.
 */
export function runAllLens(scenarios: readonly { name: string; startTime?: string | null }[]): { title: string; tooltip: string } | undefined {
  if (scenarios.length < 2) return undefined;
  return { title: LENS_RUN_ALL, tooltip: `Run ${scenarios.map((s) => s.name).join(', ')} together, as one load (each from its startTime)` };
}
export const LENS_DEBUG = 'Debug';
export const LENS_CLUSTER = '☁ Run on cluster';
export const LENS_STOP = '■ Stop';
export const LENS_UNTRUSTED = 'Loadlens: trust this workspace to run';

/** The scenario argument of loadlens.run that means "every scenario of the file together". */
export const MIX = '*';

export interface ScenarioState {
  running: boolean;
  live: LiveStats | null;
  thresholds: ThresholdVerdict[];
  summary: SummaryData | null;
}

export function scenarioKey(file: string, scenario: string): string {
  return `${file}#${scenario}`;
}

/** What the editor shows per scenario: live while running, then the last summary. */
export class ScenarioStates implements Disposable {
  private readonly states = new Map<string, ScenarioState>();
  private readonly changed: EventEmitter<void>;
  readonly onDidChange: Event<void>;
  private readonly subs: Disposable[] = [];

  constructor(vscode: VSCode, manager: RunManager) {
    this.changed = new vscode.EventEmitter<void>();
    this.onDidChange = this.changed.event;
    this.subs.push(manager.onDidStart((session) => {
      const file = session.spec.file;
      const touched = new Set<string>();
      session.onMessage((m) => {
        if (!('scenario' in m) || !m.scenario) return;
        const key = scenarioKey(file, m.scenario);
        const s = this.states.get(key) ?? { running: true, live: null, thresholds: [], summary: null };
        if (m.type === 'started') Object.assign(s, { running: true, live: null, thresholds: [], summary: null });
        else if (m.type === 'progress') { const live = m.progress.live; s.live = live; if (live.thresholds?.length) s.thresholds = live.thresholds; }
        else if (m.type === 'thresholds') s.thresholds = m.verdicts;
        else if (m.type === 'finished') Object.assign(s, { running: false, summary: m.summary, thresholds: m.summary.thresholds });
        else return;
        touched.add(key);
        this.states.set(key, s);
        this.changed.fire();
      });
      void session.outcome.then(() => {
        for (const key of touched) { const s = this.states.get(key); if (s) s.running = false; }
        this.changed.fire();
      });
    }));
  }

  get(file: string, scenario: string): ScenarioState | undefined {
    return this.states.get(scenarioKey(file, scenario));
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

export class ScenarioLensProvider implements CodeLensProvider, Disposable {
  private readonly changed: EventEmitter<void>;
  readonly onDidChangeCodeLenses: Event<void>;
  private readonly subs: Disposable[] = [];

  constructor(
    private readonly vscode: VSCode,
    private readonly index: ScenarioIndex,
    private readonly states: ScenarioStates,
    /** The NATS URL without credentials when loadlens.cluster.natsUrl is set (a "Run on cluster" lens), else undefined. */
    private readonly clusterUrl: () => string | undefined = () => undefined,
  ) {
    this.changed = new vscode.EventEmitter<void>();
    this.onDidChangeCodeLenses = this.changed.event;
    this.subs.push(
      states.onDidChange(() => this.changed.fire()),
      index.onDidChange(() => this.changed.fire()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('loadlens.cluster')) this.changed.fire(); }),
    );
  }

  provideCodeLenses(doc: TextDocument): CodeLens[] {
    const { vscode } = this;
    const file = this.index.forDocument(doc);
    if (!file) return [];
    const lenses: CodeLens[] = [];
    const lens = (line: number, character: number, title: string, command: string, args: unknown[] = [], tooltip?: string) => {
      const range = new vscode.Range(line, character, line, character);
      lenses.push(new vscode.CodeLens(range, { title, command, arguments: args, tooltip }));
    };
    const trusted = vscode.workspace.isTrusted;
    const cluster = this.clusterUrl();
    const all = runAllLens(file.result.scenarios);
    // No argument after the file: main.ts runs the file's item, every scenario together.
    if (all && trusted) lens(0, 0, all.title, 'loadlens.run', [doc.uri.toString(), MIX], all.tooltip);
    for (const s of file.result.scenarios) {
      const { line, character } = s.span.start;
      const args = [doc.uri.toString(), s.name];
      if (!trusted) {
        lens(line, character, LENS_UNTRUSTED, 'workbench.trust.manage', [],
          'Scenario files are code: Loadlens runs nothing until you trust this workspace.');
        continue;
      }
      const state = this.states.get(doc.uri.fsPath, s.name);
      if (state?.running) {
        lens(line, character, statusBarText(state.live ?? undefined).replace(/^\$\([^)]*\) /, '$(loading~spin) '), 'loadlens.showPanel');
        lens(line, character, LENS_STOP, 'loadlens.stop', [], 'Stop the run gracefully (a summary follows)');
      } else {
        lens(line, character, LENS_RUN, 'loadlens.run', args, `Run ${s.name}${s.shape ? ` (${s.shape})` : ''}`);
        lens(line, character, LENS_DEBUG, 'loadlens.debug', args, `Debug ${s.name}: one VU, breakpoints in iteration() are hit`);
        if (cluster) lens(line, character, LENS_CLUSTER, 'loadlens.runOnCluster', args, `Run ${s.name} on the agents of ${cluster}`);
      }
      if (state?.summary) lens(line, character, resultLensText(state.summary), 'loadlens.showPanel', [], 'Show the run in the Loadlens panel');
      for (const t of s.thresholds) {
        const verdict = state?.thresholds.find((v) => v.metric === t.metric && v.expression === t.expression);
        if (!verdict) continue;
        lens(t.span.start.line, t.span.start.character, thresholdLensText(verdict), 'loadlens.showPanel', [],
          `${verdict.metric}: ${verdict.expression} — observed ${formatObserved(verdict)}${state?.running ? ' (so far)' : ''}`);
      }
    }
    return lenses;
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.changed.dispose();
  }
}

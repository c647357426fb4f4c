// The panel host under plain Node, with a minimal stand-in for the few VS Code calls it makes:
// the host keeps the reduced panel state and a re-opened page starts from it (one `restore`),
// not from a replay of the run's raw messages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PanelHost } from '../../src/extension/panel';
import type { RunManager, RunSession } from '../../src/extension/runManager';
import type { VSCode } from '../../src/extension/vscodeTypes';
import type { FromPanel, ToPanel } from '../../src/view-model/messages';
import { currentRun, initialState, reduce, type PanelState } from '../../src/view-model/reducers';
import type { FromRunner } from '../../src/protocol';
import { recordedRun } from '../webview/fixture';

type Listener<T> = (value: T) => void;

/** One webview panel: what the host posts to it, and a way to say `ready` as the page would. */
class FakePanel {
  visible = true;
  posted: ToPanel[] = [];
  private receive: Listener<FromPanel> | undefined;
  private disposeListeners: Array<() => void> = [];
  readonly webview = {
    options: {}, html: '', cspSource: 'vscode-resource:',
    asWebviewUri: (u: unknown) => u,
    postMessage: async (m: ToPanel) => { this.posted.push(structuredClone(m)); return true; },
    onDidReceiveMessage: (l: Listener<FromPanel>) => { this.receive = l; return { dispose() {} }; },
  };
  reveal(): void {}
  onDidChangeViewState() { return { dispose() {} }; }
  onDidDispose(l: () => void) { this.disposeListeners.push(l); return { dispose() {} }; }
  dispose(): void { for (const l of this.disposeListeners) l(); }
  ready(): void { this.receive?.({ type: 'ready' }); }
}

function setUp() {
  const panels: FakePanel[] = [];
  const vscode = {
    ViewColumn: { Beside: -2 },
    Uri: { joinPath: (...parts: unknown[]) => parts.join('/') },
    window: {
      registerWebviewPanelSerializer: () => ({ dispose() {} }),
      createWebviewPanel: () => { const p = new FakePanel(); panels.push(p); return p; },
    },
  } as unknown as VSCode;
  let onStart: Listener<RunSession> | undefined;
  const manager = { onDidStart: (l: Listener<RunSession>) => { onStart = l; return { dispose() {} }; } } as unknown as RunManager;
  const actions = { stop() {}, runAgain() {}, exportRun() {}, openRun() {}, compareRuns() {}, history: () => [] };
  const host = new PanelHost(vscode, 'ext' as never, manager, actions, () => false);
  /** Starts a run whose messages the test feeds. */
  const startRun = (): Listener<FromRunner> => {
    let emit: Listener<FromRunner> | undefined;
    const session = { onMessage: (l: Listener<FromRunner>) => { emit = l; }, outcome: new Promise(() => {}) } as unknown as RunSession;
    onStart!(session);
    return (m) => emit!(m);
  };
  return { host, panels, startRun };
}

const settle = () => new Promise((r) => setImmediate(r));

test('a panel opened after a run started gets one restore of the reduced state, not the run replayed', async () => {
  const { host, panels, startRun } = setUp();
  const messages = recordedRun();
  const emit = startRun();
  for (const m of messages) emit(m);
  host.show();
  panels[0].ready();
  await settle();
  const posted = panels[0].posted;
  assert.deepEqual(posted.map((m) => m.type), ['restore', 'history']);
  const restored = (posted[0] as Extract<ToPanel, { type: 'restore' }>).state;
  const expected = messages.reduce((s: PanelState, message) => reduce(s, { type: 'runner', message }), initialState());
  assert.deepEqual(restored.runs, expected.runs);
  const run = currentRun(restored)!;
  assert.equal(run.status, 'finished');
  assert.equal(run.series.length, messages.filter((m) => m.type === 'progress').length, 'a point per second of the run');
  assert.equal(restored.exitCode, 99);
  host.dispose();
});

test('closing the panel mid-run and opening it again resumes from the state, then live messages follow', async () => {
  const { host, panels, startRun } = setUp();
  const messages = recordedRun();
  const progress = messages.filter((m): m is Extract<FromRunner, { type: 'progress' }> => m.type === 'progress');
  const emit = startRun();
  host.show();
  panels[0].ready();
  emit(messages[0]);
  emit(progress[0]);
  emit(progress[1]);
  await settle();
  assert.deepEqual(panels[0].posted.map((m) => m.type), ['history', 'runner', 'runner', 'runner']);
  panels[0].dispose();
  emit(progress[2]);
  emit(progress[3]);
  host.show();
  panels[1].ready();
  emit(progress[4]);
  await settle();
  const posted = panels[1].posted;
  assert.deepEqual(posted.map((m) => m.type), ['restore', 'history', 'runner']);
  const restored = (posted[0] as Extract<ToPanel, { type: 'restore' }>).state;
  assert.equal(restored.mode, 'live');
  assert.deepEqual(currentRun(restored)!.series.map((p) => p.t), [0, 1, 2, 3], 'the seconds the closed panel missed are in the state');
  assert.equal(currentRun(restored)!.live?.requests, progress[3].progress.live.requests);
  host.dispose();
});

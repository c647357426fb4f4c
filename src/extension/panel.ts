// The panel host: creates the webview panel (strict CSP with a nonce, local resources only),
// waits for the page's `ready`, queues messages while the page is not listening (before ready,
// while hidden: VS Code drops postMessage to hidden webviews), restores after a window reload
// through a serializer, and forwards the runner's messages. It reduces them as the page does
// (webview/reducers.ts), so a re-opened page starts from that state, not from a replay of the
// run's messages. The page itself is webview/.

import { randomBytes } from 'node:crypto';
import type { VSCode, Disposable, WebviewPanel, Uri } from './vscodeTypes';
import type { FromPanel, ToPanel, SavedRun, RunListItem } from '../view-model/messages';
import { renderPanelHtml } from '../view-model/html';
import { initialState, isPanelState, reduce, type PanelState } from '../view-model/reducers';
import type { RunManager, RunSession } from './runManager';
import { noRecorder, type Recorder } from './test-hooks';

export const PANEL_VIEW_TYPE = 'loadlens.panel';
/** Past this, the oldest queued messages are dropped (a run hidden for hours). */
const MAX_QUEUE = 20_000;

export interface PanelActions {
  stop(): void;
  runAgain(): void;
  exportRun(): void;
  openRun(id: string): void;
  compareRuns(a: string, b: string): void;
  history(): RunListItem[];
}

export class PanelHost implements Disposable {
  private panel: WebviewPanel | undefined;
  private ready = false;
  private queue: ToPanel[] = [];
  /** What the page shows, reduced from every message posted to it: a new page starts from it. */
  private state: PanelState = initialState();
  private panelSubs: Disposable[] = [];
  private readyWaiters: Array<() => void> = [];
  private readonly subs: Disposable[] = [];

  constructor(
    private readonly vscode: VSCode,
    private readonly extensionUri: Uri,
    manager: RunManager,
    private readonly actions: PanelActions,
    private readonly openOnRun: () => boolean,
    private readonly record: Recorder = noRecorder,
  ) {
    this.subs.push(
      vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
        deserializeWebviewPanel: async (panel: WebviewPanel, state: unknown) => {
          this.adopt(panel);
          if (isPanelState(state)) this.post({ type: 'restore', state });
          this.post({ type: 'history', runs: this.actions.history() });
        },
      }),
      manager.onDidStart((session) => this.follow(session)),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Shows the panel (creating it if needed) without taking focus from the editor. */
  show(preserveFocus = true): void {
    if (this.panel) {
      this.panel.reveal(undefined, preserveFocus);
      return;
    }
    const panel = this.vscode.window.createWebviewPanel(
      PANEL_VIEW_TYPE,
      'Loadlens',
      { viewColumn: this.vscode.ViewColumn.Beside, preserveFocus },
      this.webviewOptions(),
    );
    this.adopt(panel);
    // A new page starts empty: give it what the last one showed (the run so far), and the history.
    this.queue = this.state.mode === 'idle' ? [] : [{ type: 'restore', state: this.state }];
    this.post({ type: 'history', runs: this.actions.history() });
  }

  /**
   * Resolves when the page listens (or after `timeoutMs`): a run waits for it, so the panel shows
   * the run live from its first second rather than catching up after a slow page load.
   */
  whenReady(timeoutMs: number): Promise<void> {
    if (!this.panel || (this.ready && this.panel.visible)) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      const waiters = this.readyWaiters;
      function done() {
        clearTimeout(timer);
        const i = waiters.indexOf(done);
        if (i >= 0) waiters.splice(i, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  private releaseWaiters(): void {
    for (const w of [...this.readyWaiters]) w();
  }

  /** Sends a message now if the page listens, else queues it for the next `ready`. */
  post(message: ToPanel): void {
    this.state = reduce(this.state, message);
    this.send(message);
  }

  private send(message: ToPanel): void {
    if (this.panel && this.ready && this.panel.visible) {
      void this.panel.webview.postMessage(message).then((delivered) => {
        if (!delivered) { this.record('panel-undelivered', { type: message.type }); this.enqueue(message); }
      });
      return;
    }
    this.enqueue(message);
  }

  openSaved(run: SavedRun): void {
    this.show(false);
    this.post({ type: 'open', run });
  }

  compare(a: SavedRun, b: SavedRun): void {
    this.show(false);
    this.post({ type: 'compare', a, b });
  }

  refreshHistory(): void {
    if (this.panel) this.post({ type: 'history', runs: this.actions.history() });
  }

  private enqueue(message: ToPanel): void {
    // Without a panel nothing is queued: a new panel gets the reduced state instead.
    if (!this.panel) return;
    this.queue.push(message);
    if (this.queue.length > MAX_QUEUE) this.queue.splice(0, this.queue.length - MAX_QUEUE);
  }

  private follow(session: RunSession): void {
    if (this.openOnRun()) this.show(true);
    session.onMessage((message) => this.post({ type: 'runner', message }));
    void session.outcome.then(() => this.refreshHistory());
  }

  private webviewOptions() {
    return {
      enableScripts: true,
      // Only our bundle and stylesheet; nothing from the workspace or the network.
      localResourceRoots: [this.vscode.Uri.joinPath(this.extensionUri, 'dist')],
    };
  }

  private adopt(panel: WebviewPanel): void {
    this.disposePanelSubs();
    this.panel = panel;
    this.ready = false;
    this.queue = [];
    const webview = panel.webview;
    webview.options = this.webviewOptions();
    webview.html = renderPanelHtml({
      cspSource: webview.cspSource,
      nonce: randomBytes(18).toString('base64url'),
      scriptUri: webview.asWebviewUri(this.vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.js')).toString(),
      // webview/main.ts imports panel.css; esbuild writes it next to the script.
      styleUri: webview.asWebviewUri(this.vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview.css')).toString(),
      title: 'Loadlens',
    });
    this.panelSubs.push(
      webview.onDidReceiveMessage((m: FromPanel) => this.receive(m)),
      panel.onDidChangeViewState(() => {
        // Hidden: the page is torn down and will say `ready` again when shown.
        if (!panel.visible) this.ready = false;
      }),
      panel.onDidDispose(() => {
        this.releaseWaiters();
        this.disposePanelSubs();
        this.panel = undefined;
        this.ready = false;
        this.queue = [];
      }),
    );
  }

  private flush(): void {
    if (!this.panel) return;
    const pending = this.queue;
    this.queue = [];
    for (const m of pending) this.send(m);
  }

  private receive(m: FromPanel): void {
    switch (m.type) {
      case 'ready':
        this.record('panel-ready', { queued: this.queue.length });
        this.ready = true;
        this.flush();
        this.releaseWaiters();
        break;
      case 'stop': this.actions.stop(); break;
      case 'runAgain': this.actions.runAgain(); break;
      case 'export': this.actions.exportRun(); break;
      case 'openRun': this.actions.openRun(m.id); break;
      case 'compareRuns': this.actions.compareRuns(m.a, m.b); break;
      case 'rendered': this.record('panel-rendered', { ...m }); break;
    }
  }

  private disposePanelSubs(): void {
    for (const d of this.panelSubs) d.dispose();
    this.panelSubs = [];
  }

  dispose(): void {
    this.disposePanelSubs();
    this.panel?.dispose();
    for (const d of this.subs) d.dispose();
  }
}

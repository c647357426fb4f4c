// The extension's logic, given the `vscode` module and the context (as playwright-vscode's
// Extension class is): main.ts hands it the real API, the plain-Node tests a fake
// (test/extension/fake-vscode.ts), so the Test Explorer, lenses and panel flows run without an editor.

import { dirname, join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { VSCode, ExtensionContext, TestItem, TextEditor, Uri } from './vscodeTypes';
import { ScenarioIndex } from './workspace';
import { RunManager, listScenarios } from './runManager';
import { LoadlensTesting, UNTRUSTED_MESSAGE, type RunMode } from './testing';
import { MIX, ScenarioLensProvider, ScenarioStates } from './lenses';
import { PanelHost } from './panel';
import { RunStatusBar } from './statusBar';
import { RunsTree, RUNS_VIEW_ID, type RunNode } from './runsView';
import { attachDebugger } from './debug';
import { readSettings, resultsFolderFor } from './settings';
import { listRuns, loadRun, savedRunOf, type SavedRun } from '../report/saved-runs';
import { renderReport } from '../report/html';
import { TestHooks, noRecorder, type LoadlensApi, type Recorder } from './test-hooks';
import { escapeControlLines } from '../text';
import { HarError, harToScenario } from '../convert/har';
import {
  clusterSecretKey, CREDENTIALS_IN_SETTINGS_WARNING, ClusterSettingsError, SET_CREDENTIALS_COMMAND, clusterOptions,
  clusterSettingsFrom, displayUrl, urlHasCredentials,
} from './cluster';

/** How long a run waits for a newly opened panel to load before it starts anyway. */
const PANEL_READY_TIMEOUT_MS = 10_000;

export interface ExtensionOptions {
  /** Where test hooks go (the test-hook API main.ts exports, a plain-Node test's array); none by default. */
  record?: Recorder;
}

export class Extension {
  private readonly record: Recorder;
  /** Resolves once the first discovery of the workspace is done (and its items are in the Test Explorer). */
  ready: Promise<void> = Promise.resolve();

  constructor(private readonly vscode: VSCode, private readonly context: ExtensionContext, options: ExtensionOptions = {}) {
    this.record = options.record ?? noRecorder;
  }

  activate(): void {
    const { vscode, context, record } = this;
    const runnerPath = context.asAbsolutePath(join('dist', 'runner.js'));
    const log = vscode.window.createOutputChannel('Loadlens');
    const diagnostics = vscode.languages.createDiagnosticCollection('loadlens');
    const runnerConfig = {
      runnerPath,
      nodePath: () => readSettings(vscode).nodePath,
      resultsFolder: (file: string) => resultsFolderFor(vscode, vscode.Uri.file(file)),
      cwd: (file: string) => vscode.workspace.getWorkspaceFolder(vscode.Uri.file(file))?.uri.fsPath ?? dirname(file),
    };
    const index = new ScenarioIndex(vscode, async (file) => {
      // A listing compiles and loads the file: not while a load run measures this machine.
      while (manager.active) await manager.active.outcome;
      return listScenarios(runnerConfig, file);
    });
    const clusterSettings = () => {
      const config = vscode.workspace.getConfiguration('loadlens');
      return clusterSettingsFrom((key) => config.get(key));
    };
    /** Settings + secret → the run's ClusterOptions; says what to fix (with a button) when it cannot. */
    const resolveCluster = async () => {
      try {
        const settings = clusterSettings();
        return clusterOptions(settings, settings.natsUrl ? await context.secrets.get(clusterSecretKey(settings.natsUrl)) : undefined);
      } catch (err) {
        const fix = err instanceof ClusterSettingsError ? err.fix : 'settings';
        const action = fix === 'credentials' ? 'Set Cluster Credentials' : 'Open Settings';
        void vscode.window.showErrorMessage((err as Error).message, action).then((pick) => {
          if (!pick) return;
          if (fix === 'credentials') void vscode.commands.executeCommand(SET_CREDENTIALS_COMMAND);
          else void vscode.commands.executeCommand('workbench.action.openSettings', 'loadlens.cluster');
        });
        throw err;
      }
    };
    /** Credentials written into settings.json: said once per activation and on each change. */
    const warnCredentialsInSettings = () => {
      if (!urlHasCredentials(clusterSettings().natsUrl)) return;
      record('cluster-credentials-in-settings');
      void vscode.window.showWarningMessage(CREDENTIALS_IN_SETTINGS_WARNING, 'Set Cluster Credentials').then((pick) => {
        if (pick) void vscode.commands.executeCommand(SET_CREDENTIALS_COMMAND);
      });
    };

    const manager = new RunManager(runnerConfig);

    /** Results folders of every workspace folder (the Runs view and the panel's history list). */
    const resultsFolders = () => [...new Set((vscode.workspace.workspaceFolders ?? [])
      .map((f) => resultsFolderFor(vscode, f.uri))
      .filter((f): f is string => !!f))];
    const history = () => resultsFolders().flatMap((f) => listRuns(f)).sort((a, b) => b.startedAt - a.startedAt);
    const findRun = (id: string): SavedRun => {
      for (const folder of resultsFolders()) {
        try { return loadRun(folder, id); } catch { /* try the next folder */ }
      }
      throw new Error(`No saved run '${id}' under ${resultsFolders().join(', ') || '(no workspace folder)'}`);
    };

    // Declared before use in beforeRun below; assigned once the panel host exists.
    let panel: PanelHost;
    const testing = new LoadlensTesting(vscode, index, manager, diagnostics, log,
      (session, name, uri) => attachDebugger(vscode, runnerPath, session, name, uri, record),
      () => {
        if (!readSettings(vscode).openPanelOnRun) return undefined;
        panel.show(true);
        return panel.whenReady(PANEL_READY_TIMEOUT_MS);
      },
      resolveCluster, record);
    const states = new ScenarioStates(vscode, manager);
    const lenses = new ScenarioLensProvider(vscode, index, states, () => {
      const url = clusterSettings().natsUrl;
      return url ? displayUrl(url) : undefined;
    });
    const runsTree = new RunsTree(vscode, resultsFolders);
    const runsView = vscode.window.createTreeView(RUNS_VIEW_ID, { treeDataProvider: runsTree, canSelectMany: true, showCollapseAll: false });

    let lastSummaryRun: SavedRun | undefined;
    panel = new PanelHost(vscode, context.extensionUri, manager, {
      stop: () => manager.cancelActive('stopped from the panel'),
      runAgain: () => void vscode.commands.executeCommand('loadlens.runAgain'),
      exportRun: () => void vscode.commands.executeCommand('loadlens.exportRun'),
      openRun: (id) => { try { panel.openSaved(findRun(id)); } catch (err) { void vscode.window.showErrorMessage((err as Error).message); } },
      compareRuns: (a, b) => { try { panel.compare(findRun(a), findRun(b)); } catch (err) { void vscode.window.showErrorMessage((err as Error).message); } },
      history,
    }, () => readSettings(vscode).openPanelOnRun, record);
    const statusBar = new RunStatusBar(vscode, manager);

    testing.onDidEndScenario(({ result }) => {
      if (result?.summary) {
        lastSummaryRun = { ...savedRunOf({ ...result, summary: result.summary }),
          id: result.savedPath ? result.savedPath.replace(/^.*[\\/]/, '').replace(/\.json$/, '') : `${result.scenario}-unsaved` };
      }
      if (result?.saveError) log.appendLine(escapeControlLines(result.saveError));
      runsTree.refresh();
    });

    const trusted = (): boolean => {
      if (vscode.workspace.isTrusted) return true;
      record('refused', { reason: 'untrusted' });
      void vscode.window.showWarningMessage(UNTRUSTED_MESSAGE, 'Manage Workspace Trust').then((pick) => {
        if (pick) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return false;
    };

    /** Resolves a scenario from command arguments, or from the editor's cursor, or by asking. */
    const pickScenario = async (uriArg?: unknown, name?: unknown): Promise<TestItem | undefined> => {
      let uri: Uri | undefined = typeof uriArg === 'string' ? vscode.Uri.parse(uriArg) : uriArg instanceof vscode.Uri ? uriArg : undefined;
      if (uriArg && typeof uriArg === 'object' && 'uri' in uriArg && 'children' in uriArg) return uriArg as TestItem;
      const editor: TextEditor | undefined = vscode.window.activeTextEditor;
      uri ??= editor?.document.uri;
      const file = uri ? index.get(uri) ?? (editor && editor.document.uri.toString() === uri.toString() ? index.forDocument(editor.document) : undefined) : undefined;
      if (!uri || !file) {
        void vscode.window.showWarningMessage('Open a *.load.ts scenario file to run it.');
        return undefined;
      }
      // The "Run all together" lens: the file's item, its scenarios as one mix.
      if (name === MIX) return testing.itemFor(uri);
      let scenario = typeof name === 'string' ? name : undefined;
      if (!scenario && editor && editor.document.uri.toString() === uri.toString()) {
        const line = editor.selection.active.line;
        scenario = file.result.scenarios.find((s) => s.span.start.line <= line && line <= s.span.end.line)?.name;
      }
      if (!scenario && file.result.scenarios.length === 1) scenario = file.result.scenarios[0].name;
      if (!scenario) {
        scenario = await vscode.window.showQuickPick(file.result.scenarios.map((s) => s.name), { placeHolder: 'Scenario to run' });
      }
      if (!scenario) return undefined;
      const item = testing.itemFor(uri, scenario);
      if (!item) void vscode.window.showErrorMessage(`No scenario '${scenario}' in ${vscode.workspace.asRelativePath(uri)}`);
      return item;
    };

    const runCommand = (mode: RunMode) => async (uriArg?: unknown, name?: unknown) => {
      if (!trusted()) return;
      if (manager.active) {
        void vscode.window.showWarningMessage('A Loadlens run is already in progress; stop it first.', 'Stop').then((pick) => {
          if (pick) manager.cancelActive();
        });
        return;
      }
      const item = await pickScenario(uriArg, name);
      if (item) await testing.runItems([item], mode);
    };

    const nodesOf = (node?: RunNode, selected?: RunNode[]): RunNode[] =>
      selected && selected.length ? selected : node ? [node] : [...runsView.selection];

    context.subscriptions.push(
      log, diagnostics, index, testing, states, lenses, runsTree, runsView, panel, statusBar, manager,
      vscode.languages.registerCodeLensProvider({ language: 'typescript', pattern: '**/*.load.ts' }, lenses),
      vscode.commands.registerCommand('loadlens.run', runCommand('run')),
      vscode.commands.registerCommand('loadlens.debug', runCommand('debug')),
      vscode.commands.registerCommand('loadlens.runOnCluster', runCommand('cluster')),
      vscode.commands.registerCommand(SET_CREDENTIALS_COMMAND, async () => {
        const url = clusterSettings().natsUrl;
        if (!url) {
          void vscode.window.showErrorMessage('Set loadlens.cluster.natsUrl (e.g. nats://nats.example:4222) first: the credentials are stored for that server.', 'Open Settings')
            .then((pick) => { if (pick) void vscode.commands.executeCommand('workbench.action.openSettings', 'loadlens.cluster'); });
          return;
        }
        const key = clusterSecretKey(url);
        const value = await vscode.window.showInputBox({
          title: 'Loadlens: NATS credentials for cluster runs',
          prompt: `The token, or user:password, for ${displayUrl(url)}. ` +
            'Kept in VS Code\'s secret storage, never in settings. Empty: forget the stored credentials.',
          password: true,
          ignoreFocusOut: true,
        });
        if (value === undefined) return; // dismissed: keep what is stored
        if (value.trim() === '') {
          await context.secrets.delete(key);
          record('cluster-credentials', { stored: false });
          void vscode.window.showInformationMessage('Loadlens: the cluster credentials were removed.');
          return;
        }
        await context.secrets.store(key, value.trim());
        record('cluster-credentials', { stored: true });
        void vscode.window.showInformationMessage(`Loadlens: credentials for ${displayUrl(url)} stored in VS Code's secret storage.`);
      }),
      vscode.workspace.onDidChangeConfiguration((e) => { if (e.affectsConfiguration('loadlens.cluster.natsUrl')) warnCredentialsInSettings(); }),
      vscode.commands.registerCommand('loadlens.stop', () => {
        if (!manager.cancelActive('stopped by the user')) void vscode.window.showInformationMessage('No Loadlens run is in progress.');
      }),
      vscode.commands.registerCommand('loadlens.showPanel', () => panel.show(false)),
      vscode.commands.registerCommand('loadlens.runAgain', async () => {
        if (!trusted()) return;
        if (!(await testing.runAgain())) await runCommand('run')();
      }),
      vscode.commands.registerCommand('loadlens.refreshRuns', () => { runsTree.refresh(); panel.refreshHistory(); }),
      vscode.commands.registerCommand('loadlens.openRun', (node?: RunNode | string) => {
        try {
          const run = typeof node === 'string' ? findRun(node) : node ? loadRun(node.folder, node.run.id) : undefined;
          if (run) panel.openSaved(run);
        } catch (err) {
          void vscode.window.showErrorMessage((err as Error).message);
        }
      }),
      vscode.commands.registerCommand('loadlens.compareRuns', async (node?: RunNode, selected?: RunNode[]) => {
        let nodes = nodesOf(node, selected);
        if (nodes.length === 1) {
          const others = runsTree.all().filter((n) => n.run.id !== nodes[0].run.id);
          const pick = await vscode.window.showQuickPick(
            others.map((n) => ({ label: n.run.scenario, description: new Date(n.run.startedAt).toLocaleString(), node: n })),
            { placeHolder: `Compare ${nodes[0].run.scenario} with…` });
          if (!pick) return;
          nodes = [pick.node, nodes[0]];
        }
        if (nodes.length !== 2) {
          void vscode.window.showInformationMessage('Select two runs in the Runs view to compare them.');
          return;
        }
        // Older run first: deltas read as "what changed since".
        const [a, b] = [...nodes].sort((x, y) => x.run.startedAt - y.run.startedAt);
        try {
          panel.compare(loadRun(a.folder, a.run.id), loadRun(b.folder, b.run.id));
        } catch (err) {
          void vscode.window.showErrorMessage((err as Error).message);
        }
      }),
      vscode.commands.registerCommand('loadlens.exportRun', async () => {
        if (!lastSummaryRun) {
          void vscode.window.showInformationMessage('No finished run to export yet.');
          return;
        }
        const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
        // The same self-contained HTML report as `loadlens run --report` (or the saved run's JSON).
        const target = await vscode.window.showSaveDialog({
          defaultUri: folder ? vscode.Uri.joinPath(folder, `${lastSummaryRun.id}.html`) : undefined,
          filters: { 'HTML report': ['html'], JSON: ['json'] },
        });
        if (!target) return;
        const json = /\.json$/i.test(target.fsPath);
        writeFileSync(target.fsPath, json ? JSON.stringify(lastSummaryRun, null, 2) : renderReport([lastSummaryRun]));
        void vscode.window.showInformationMessage(`Exported the run to ${vscode.workspace.asRelativePath(target)}`);
      }),
      vscode.commands.registerCommand('loadlens.importHar', (uri?: Uri) => importHar(vscode, uri)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => testing.syncAll()),
    );

    warnCredentialsInSettings();
    this.ready = index.start().then(() => {
      testing.syncAll();
      record('activated', {
        vscodeVersion: vscode.version, node: process.version, isTrusted: vscode.workspace.isTrusted,
        files: index.all().map((f) => ({ file: f.uri.fsPath, scenarios: f.result.scenarios.map((s) => s.name) })),
      });
    }, (err) => log.appendLine(`Discovery failed: ${escapeControlLines(String((err as Error).stack ?? err))}`));
  }
}

/** activate() in VS Code: the Extension on the real API, and its exports, the test-hook API (test-hooks.ts). */
export function activateWithTestHooks(vscode: VSCode, context: ExtensionContext): LoadlensApi {
  const hooks = new TestHooks();
  const extension = new Extension(vscode, context, { record: hooks.record });
  extension.activate();
  // A listener can only attach after activate() returns: the events until the first discovery is
  // done ('activated' included) are kept and replayed to it (TestHooks.api).
  const done = () => hooks.activationDone();
  void extension.ready.then(done, done);
  return hooks.api;
}

/** "Loadlens: Import HAR…": the same conversion as `loadlens convert`, then opens the scenario. */
async function importHar(vscode: VSCode, uri?: Uri): Promise<void> {
  const har = uri ?? (await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: 'Import', filters: { 'HAR recordings': ['har'] } }))?.[0];
  if (!har) return;
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(har.fsPath.replace(/(\.har)?$/i, '.load.ts')),
    filters: { 'Loadlens scenario': ['ts'] },
  });
  if (!target) return;
  try {
    const result = harToScenario(Buffer.from(await vscode.workspace.fs.readFile(har)).toString('utf8'), { source: har.fsPath });
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(result.code));
    await vscode.window.showTextDocument(target);
    const correlate = result.correlations ? `; ${result.correlations} value(s) to correlate (see the CORRELATE comments)` : '';
    void vscode.window.showInformationMessage(`Imported ${result.requests} request(s), ${result.staticLeftOut} static asset(s) left out${correlate}.`);
  } catch (err) {
    if (!(err instanceof HarError)) throw err;
    void vscode.window.showErrorMessage(err.message);
  }
}


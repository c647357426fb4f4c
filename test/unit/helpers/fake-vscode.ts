// A small fake of the VS Code API: only what src/extension uses, in the spirit of
// playwright-vscode's tests/mock/vscode.ts. The Extension receives it instead of the real module,
// so its Test Explorer, lens and panel flows run under plain Node against the real runner. The
// fake records what the editor would show (test run states and messages, lenses, debug requests,
// webview messages) and lets a test act as the user or the file system would (write a file, grant
// trust, answer a dialog, open and close the panel).

import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { VSCode, ExtensionContext } from '../../../src/extension/vscodeTypes';

type Listener<T> = (value: T) => unknown;

export class EventEmitter<T> {
  private listeners: Listener<T>[] = [];
  readonly event = (listener: Listener<T>) => {
    this.listeners.push(listener);
    return { dispose: () => { this.listeners = this.listeners.filter((l) => l !== listener); } };
  };
  fire(value: T): void {
    for (const l of [...this.listeners]) l(value);
  }
  dispose(): void {
    this.listeners = [];
  }
}

export class Uri {
  private constructor(readonly scheme: string, readonly path: string) {}
  static file(path: string): Uri { return new Uri('file', path); }
  static parse(text: string): Uri {
    const m = /^([a-z][\w+.-]*):\/\/(.*)$/i.exec(text);
    return m ? new Uri(m[1], decodeURIComponent(m[2])) : new Uri('file', text);
  }
  static joinPath(base: Uri, ...parts: string[]): Uri { return new Uri(base.scheme, join(base.path, ...parts)); }
  get fsPath(): string { return this.path; }
  toString(): string { return `${this.scheme}://${this.path}`; }
}

export class Position {
  constructor(readonly line: number, readonly character: number) {}
  translate(lines = 0, characters = 0): Position { return new Position(this.line + lines, this.character + characters); }
}

export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(a: Position | number, b: Position | number, c?: number, d?: number) {
    if (typeof a === 'number') { this.start = new Position(a, b as number); this.end = new Position(c!, d!); }
    else { this.start = a; this.end = b as Position; }
  }
}

export class Location {
  readonly range: Range;
  constructor(readonly uri: Uri, at: Range | Position) {
    this.range = at instanceof Range ? at : new Range(at, at);
  }
}

export class CodeLens {
  constructor(readonly range: Range, readonly command?: { title: string; command: string; arguments?: unknown[]; tooltip?: string }) {}
}

export class TestMessage {
  location?: Location;
  expectedOutput?: string;
  actualOutput?: string;
  constructor(readonly message: string) {}
  static diff(message: string, expected: string, actual: string): TestMessage {
    const m = new TestMessage(message);
    m.expectedOutput = expected;
    m.actualOutput = actual;
    return m;
  }
}

export class CancellationTokenSource {
  private readonly emitter = new EventEmitter<void>();
  readonly token = { isCancellationRequested: false, onCancellationRequested: this.emitter.event };
  cancel(): void {
    if (this.token.isCancellationRequested) return;
    this.token.isCancellationRequested = true;
    this.emitter.fire();
  }
  dispose(): void {}
}

export class TestRunRequest {
  constructor(readonly include?: FakeTestItem[], readonly exclude?: FakeTestItem[], readonly profile?: FakeRunProfile) {}
}

export class Diagnostic {
  source?: string;
  constructor(readonly range: Range, readonly message: string, readonly severity: number) {}
}

export class TreeItem {
  iconPath?: unknown;
  constructor(readonly label: string) {}
}

export class ThemeIcon {
  constructor(readonly id: string) {}
}

export const TestRunProfileKind = { Run: 1, Debug: 2, Coverage: 3 } as const;

class ItemCollection {
  private readonly map = new Map<string, FakeTestItem>();
  get size(): number { return this.map.size; }
  add(item: FakeTestItem): void { this.map.set(item.id, item); }
  delete(id: string): void { this.map.delete(id); }
  get(id: string): FakeTestItem | undefined { return this.map.get(id); }
  replace(items: FakeTestItem[]): void { this.map.clear(); for (const i of items) this.add(i); }
  forEach(fn: (item: FakeTestItem) => void): void { for (const i of [...this.map.values()]) fn(i); }
  [Symbol.iterator]() { return this.map.entries(); }
  all(): FakeTestItem[] { return [...this.map.values()]; }
}

export class FakeTestItem {
  readonly children = new ItemCollection();
  range?: Range;
  description?: string;
  error?: string;
  constructor(readonly id: string, public label: string, readonly uri?: Uri) {}
}

export interface RunEvent {
  state: 'enqueued' | 'started' | 'passed' | 'failed' | 'errored' | 'skipped';
  item: FakeTestItem;
  messages: TestMessage[];
}

/** A TestRun that keeps what the Test Explorer would show. */
export class FakeTestRun {
  readonly events: RunEvent[] = [];
  output = '';
  ended = false;
  private readonly source = new CancellationTokenSource();
  readonly token = this.source.token;
  private readonly endEmitter = new EventEmitter<void>();
  readonly onDidEnd = this.endEmitter.event;
  constructor(readonly request: TestRunRequest, readonly name: string | undefined) {}
  private push(state: RunEvent['state'], item: FakeTestItem, messages: TestMessage | TestMessage[] = []): void {
    this.events.push({ state, item, messages: Array.isArray(messages) ? messages : [messages] });
  }
  enqueued(item: FakeTestItem): void { this.push('enqueued', item); }
  started(item: FakeTestItem): void { this.push('started', item); }
  passed(item: FakeTestItem): void { this.push('passed', item); }
  failed(item: FakeTestItem, messages: TestMessage | TestMessage[]): void { this.push('failed', item, messages); }
  errored(item: FakeTestItem, messages: TestMessage | TestMessage[]): void { this.push('errored', item, messages); }
  skipped(item: FakeTestItem): void { this.push('skipped', item); }
  appendOutput(text: string): void { this.output += text; }
  end(): void { this.ended = true; this.endEmitter.fire(); }
  /** The Stop button of the Test Explorer. */
  cancel(): void { this.source.cancel(); }
  /** The final state of an item (its last event). */
  stateOf(item: FakeTestItem): RunEvent | undefined {
    return [...this.events].reverse().find((e) => e.item === item && e.state !== 'enqueued' && e.state !== 'started');
  }
}

export class FakeRunProfile {
  constructor(
    readonly label: string,
    readonly kind: number,
    readonly runHandler: (request: TestRunRequest, token: CancellationTokenSource['token']) => Promise<void> | void,
    readonly isDefault: boolean,
  ) {}
}

export class FakeTestController {
  readonly items = new ItemCollection();
  readonly profiles: FakeRunProfile[] = [];
  readonly runs: FakeTestRun[] = [];
  refreshHandler?: () => Promise<void>;
  private readonly runCreated = new EventEmitter<FakeTestRun>();
  readonly onDidCreateRun = this.runCreated.event;
  constructor(readonly id: string, readonly label: string) {}
  createTestItem(id: string, label: string, uri?: Uri): FakeTestItem { return new FakeTestItem(id, label, uri); }
  createRunProfile(label: string, kind: number, handler: FakeRunProfile['runHandler'], isDefault = false): FakeRunProfile {
    const profile = new FakeRunProfile(label, kind, handler, isDefault);
    this.profiles.push(profile);
    return profile;
  }
  createTestRun(request: TestRunRequest, name?: string): FakeTestRun {
    const run = new FakeTestRun(request, name);
    this.runs.push(run);
    this.runCreated.fire(run);
    return run;
  }
  dispose(): void {}
  /** All scenario items (the file items' children). */
  scenarios(): FakeTestItem[] { return this.items.all().flatMap((f) => f.children.all()); }
  /** Clicks ▶ (or the debug button) on items, as the Test Explorer does: through the profile's handler. */
  async run(items: FakeTestItem[], kind: number = TestRunProfileKind.Run, cts = new CancellationTokenSource()): Promise<void> {
    const profile = this.profiles.find((p) => p.kind === kind && p.isDefault)!;
    await profile.runHandler(new TestRunRequest(items, undefined, profile), cts.token);
  }
}

/** A webview panel: records what the host posts and plays the page (says `ready` when loaded). */
export class FakeWebviewPanel {
  readonly posted: unknown[] = [];
  visible = true;
  disposed = false;
  private readonly received = new EventEmitter<unknown>();
  private readonly viewState = new EventEmitter<void>();
  private readonly disposeEmitter = new EventEmitter<void>();
  readonly onDidChangeViewState = this.viewState.event;
  readonly onDidDispose = this.disposeEmitter.event;
  readonly webview = this.makeWebview();
  private makeWebview() {
    const owner = this;
    return {
      htmlText: '',
      /** Setting the html loads the page; its script says `ready` once it listens, as webview/main.ts does. */
      set html(text: string) {
        this.htmlText = text;
        setImmediate(() => owner.pageLoaded());
      },
      get html(): string { return this.htmlText; },
      options: {} as unknown,
      cspSource: 'vscode-webview://fake',
      asWebviewUri: (uri: Uri) => uri,
      onDidReceiveMessage: owner.received.event,
      postMessage: async (message: unknown) => {
        if (!owner.visible || owner.disposed) return false;
        owner.posted.push(structuredClone(message));
        return true;
      },
    };
  }
  constructor(readonly viewType: string) {}
  /** The page has loaded and says so (false: a page that never finishes loading). */
  answersReady = true;
  pageLoaded(): void { if (this.answersReady && !this.disposed) this.fromPage({ type: 'ready' }); }
  reveal(): void {
    const wasHidden = !this.visible;
    this.visible = true;
    this.viewState.fire();
    if (wasHidden) setImmediate(() => this.pageLoaded());
  }
  /** The page's script says something to the host (`ready`, `stop`, ...). */
  fromPage(message: unknown): void { this.received.fire(message); }
  /** The user closes the panel. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.visible = false;
    this.disposeEmitter.fire();
  }
}

type CodeLensProviderLike = { provideCodeLenses(doc: unknown): CodeLens[]; onDidChangeCodeLenses?: (l: () => void) => unknown };
type SerializerLike = { deserializeWebviewPanel(panel: FakeWebviewPanel, state: unknown): Promise<void> };

function walk(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/**
 * The fake editor around one workspace folder on disk. `api` is what the Extension receives;
 * the other members are the test's hands and eyes.
 */
export class FakeVSCode {
  readonly commands = new Map<string, (...args: unknown[]) => unknown>();
  readonly executed: Array<{ command: string; args: unknown[] }> = [];
  readonly controllers: FakeTestController[] = [];
  readonly lensProviders: CodeLensProviderLike[] = [];
  readonly panels: FakeWebviewPanel[] = [];
  readonly serializers = new Map<string, SerializerLike>();
  readonly debugRequests: Array<{ folder: unknown; config: Record<string, unknown> }> = [];
  readonly shown: Array<{ level: 'info' | 'warning' | 'error'; message: string }> = [];
  readonly settings: Record<string, unknown> = {};
  readonly secrets = new Map<string, string>();
  readonly log: string[] = [];
  /** What the user types into the next input boxes (then: dismissed), and the boxes shown. */
  readonly inputAnswers: string[] = [];
  readonly inputBoxes: Array<{ password?: boolean }> = [];
  /** Plays VS Code's JavaScript debugger for a startDebugging request; answers whether it started. */
  onStartDebugging: (config: Record<string, unknown>) => Promise<boolean> = async () => false;
  isTrusted = true;
  private readonly trustGranted = new EventEmitter<void>();
  private readonly configChanged = new EventEmitter<{ affectsConfiguration(section: string): boolean }>();
  private readonly watchers: Array<{ create: EventEmitter<Uri>; change: EventEmitter<Uri>; delete: EventEmitter<Uri> }> = [];
  private readonly debugTerminated = new EventEmitter<{ configuration: Record<string, unknown> }>();
  private readonly docOpened = new EventEmitter<unknown>();
  private readonly docChanged = new EventEmitter<unknown>();
  private readonly filesRenamed = new EventEmitter<unknown>();
  private readonly folderUri: Uri;

  constructor(readonly root: string, readonly extensionRoot: string) {
    this.folderUri = Uri.file(root);
  }

  /** The extension context: subscriptions, paths under the extension's folder, secret storage. */
  context(): ExtensionContext {
    const secrets = this.secrets;
    return {
      subscriptions: [],
      extensionUri: Uri.file(this.extensionRoot),
      asAbsolutePath: (p: string) => join(this.extensionRoot, p),
      secrets: {
        get: async (k: string) => secrets.get(k),
        store: async (k: string, v: string) => { secrets.set(k, v); },
        delete: async (k: string) => { secrets.delete(k); },
        onDidChange: new EventEmitter<unknown>().event,
      },
    } as unknown as ExtensionContext;
  }

  // --- The test's hands -----------------------------------------------------------------------

  /** Writes a file as an editor save or `git checkout` would, and tells the file watchers. */
  writeFile(relativePath: string, text: string): Uri {
    const path = join(this.root, relativePath);
    const existed = (() => { try { return statSync(path).isFile(); } catch { return false; } })();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
    const uri = Uri.file(path);
    for (const w of this.watchers) (existed ? w.change : w.create).fire(uri);
    return uri;
  }

  grantTrust(): void {
    this.isTrusted = true;
    this.trustGranted.fire();
  }

  async executeCommand(command: string, ...args: unknown[]): Promise<unknown> {
    return this.api.commands.executeCommand(command, ...args);
  }

  /** The lenses a document shows now. */
  lenses(uri: Uri): Array<{ line: number; title: string; command: string }> {
    const doc = this.document(uri);
    return this.lensProviders.flatMap((p) => p.provideCodeLenses(doc))
      .map((l) => ({ line: l.range.start.line, title: l.command!.title, command: l.command!.command }));
  }

  /** Resolves at the next onDidChangeCodeLenses of any provider. */
  nextLensChange(): Promise<void> {
    return new Promise((resolve) => {
      const subs = this.lensProviders.map((p) => p.onDidChangeCodeLenses?.(() => {
        for (const s of subs) (s as { dispose(): void } | undefined)?.dispose();
        resolve();
      }));
    });
  }

  /** The editor restoring a panel after a window reload: a new panel handed to the serializer. */
  async restorePanel(viewType: string, state: unknown): Promise<FakeWebviewPanel> {
    const panel = new FakeWebviewPanel(viewType);
    this.panels.push(panel);
    await this.serializers.get(viewType)!.deserializeWebviewPanel(panel, state);
    return panel;
  }

  private document(uri: Uri) {
    const text = readFileSync(uri.fsPath, 'utf8');
    return { uri, getText: () => text, languageId: 'typescript', fileName: uri.fsPath };
  }

  private relative(pathOrUri: string | Uri): string {
    const path = typeof pathOrUri === 'string' ? pathOrUri : pathOrUri.fsPath;
    return path.startsWith(this.root + sep) ? relative(this.root, path).split(sep).join('/') : path;
  }

  // --- The API the extension sees -------------------------------------------------------------

  private apiObject: unknown;
  get api(): VSCode {
    this.apiObject ??= this.buildApi();
    return this.apiObject as VSCode;
  }

  private buildApi(): unknown {
    const fake = this;
    const disposable = { dispose() {} };
    const show = (level: 'info' | 'warning' | 'error') => async (message: string) => { fake.shown.push({ level, message }); return undefined; };
    const statusItem = () => ({ text: '', name: '', tooltip: '', command: '', show() {}, hide() {}, dispose() {} });
    const folder = { uri: this.folderUri, name: 'workspace', index: 0 };
    return {
      version: '1.95.0-fake',
      EventEmitter, Uri, Position, Range, Location, CodeLens, TestMessage, TestRunRequest, CancellationTokenSource,
      Diagnostic, TreeItem, ThemeIcon, TestRunProfileKind,
      DiagnosticSeverity: { Error: 0, Warning: 1, Information: 2, Hint: 3 },
      StatusBarAlignment: { Left: 1, Right: 2 },
      ViewColumn: { Active: -1, Beside: -2, One: 1 },
      commands: {
        registerCommand(id: string, fn: (...args: unknown[]) => unknown) {
          fake.commands.set(id, fn);
          return { dispose: () => fake.commands.delete(id) };
        },
        async executeCommand(id: string, ...args: unknown[]) {
          fake.executed.push({ command: id, args });
          return fake.commands.get(id)?.(...args);
        },
      },
      window: {
        activeTextEditor: undefined,
        createOutputChannel: () => ({
          append: (t: string) => fake.log.push(t),
          appendLine: (t: string) => fake.log.push(`${t}\n`),
          dispose() {},
        }),
        createStatusBarItem: statusItem,
        createTreeView: () => ({ selection: [], dispose() {} }),
        registerWebviewPanelSerializer(viewType: string, serializer: SerializerLike) {
          fake.serializers.set(viewType, serializer);
          return disposable;
        },
        createWebviewPanel(viewType: string) {
          const panel = new FakeWebviewPanel(viewType);
          fake.panels.push(panel);
          return panel;
        },
        showInformationMessage: show('info'),
        showWarningMessage: show('warning'),
        showErrorMessage: show('error'),
        showQuickPick: async () => undefined,
        showInputBox: async (options: { password?: boolean }) => {
          fake.inputBoxes.push(options);
          return fake.inputAnswers.shift();
        },
        showSaveDialog: async () => undefined,
        showOpenDialog: async () => undefined,
        showTextDocument: async () => undefined,
      },
      workspace: {
        get isTrusted() { return fake.isTrusted; },
        workspaceFolders: [folder],
        textDocuments: [],
        fs: {
          readFile: async (uri: Uri) => new Uint8Array(readFileSync(uri.fsPath)),
          writeFile: async (uri: Uri, bytes: Uint8Array) => { writeFileSync(uri.fsPath, bytes); },
        },
        getConfiguration(section?: string) {
          return {
            get<T>(key: string, defaultValue?: T): T | undefined {
              const full = section ? `${section}.${key}` : key;
              return (full in fake.settings ? fake.settings[full] : defaultValue) as T | undefined;
            },
          };
        },
        getWorkspaceFolder: (uri: Uri) => (uri.fsPath.startsWith(fake.root + sep) ? folder : undefined),
        asRelativePath: (p: string | Uri) => fake.relative(p),
        async findFiles(glob: string) {
          // The extension asks for one glob (**/*.load.ts); node_modules is always excluded.
          const suffix = glob.replace(/^\*\*\/\*/, '');
          return walk(fake.root).filter((p) => p.endsWith(suffix)).map((p) => Uri.file(p));
        },
        createFileSystemWatcher() {
          const w = { create: new EventEmitter<Uri>(), change: new EventEmitter<Uri>(), delete: new EventEmitter<Uri>() };
          fake.watchers.push(w);
          return { onDidCreate: w.create.event, onDidChange: w.change.event, onDidDelete: w.delete.event, dispose() {} };
        },
        onDidOpenTextDocument: this.docOpened.event,
        onDidChangeTextDocument: this.docChanged.event,
        onDidRenameFiles: this.filesRenamed.event,
        onDidGrantWorkspaceTrust: this.trustGranted.event,
        onDidChangeConfiguration: this.configChanged.event,
      },
      languages: {
        createDiagnosticCollection: () => {
          const map = new Map<string, unknown[]>();
          return {
            get: (uri: Uri) => map.get(uri.toString()),
            set: (uri: Uri, d: unknown[]) => { map.set(uri.toString(), d); },
            delete: (uri: Uri) => { map.delete(uri.toString()); },
            dispose() {},
          };
        },
        registerCodeLensProvider(_selector: unknown, provider: CodeLensProviderLike) {
          fake.lensProviders.push(provider);
          return disposable;
        },
      },
      tests: {
        createTestController(id: string, label: string) {
          const controller = new FakeTestController(id, label);
          fake.controllers.push(controller);
          return controller;
        },
      },
      debug: {
        async startDebugging(folderArg: unknown, config: Record<string, unknown>) {
          fake.debugRequests.push({ folder: folderArg, config });
          return fake.onStartDebugging(config);
        },
        onDidTerminateDebugSession: this.debugTerminated.event,
      },
    };
  }

  /** The user (or the debuggee ending) stops a debug session the extension started. */
  endDebugSession(config: Record<string, unknown>): void {
    this.debugTerminated.fire({ configuration: config });
  }
}

/** Waits for `check` to hold, re-checking every 20 ms, at most `tries` times (a bound, not a speed claim). */
export async function until<T>(what: string, check: () => T | undefined | false, tries = 1500): Promise<T> {
  for (let i = 0; i < tries; i++) {
    const value = check();
    if (value) return value;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`gave up waiting for ${what}`);
}

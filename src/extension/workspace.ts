// The workspace model: every *.load.ts (outside node_modules and files.exclude), found on
// activation, kept current by a file watcher, with open documents re-parsed as they are edited.
// Static discovery paints first and is all an untrusted workspace gets; in a trusted one the
// runner also lists, as saved on disk, each file that exports more than static discovery read:
// scenarios built by a helper function or re-exported from another module.

import type { EventEmitter } from 'vscode';
import type { VSCode, Disposable, Event, Uri, TextDocument } from './vscodeTypes';
import { discoverScenarios, type DiscoveredScenario, type DiscoveryResult, type TextSpan } from '../discovery';
import type { PlanInfo } from '../protocol';
import { isExcluded } from './glob';

export const SCENARIO_GLOB = '**/*.load.ts';

export interface ScenarioFile {
  uri: Uri;
  result: DiscoveryResult;
}

/** Asks the runner for a file's scenarios (runManager's listScenarios); undefined when it cannot load it. */
export type ScenarioLister = (file: string) => Promise<PlanInfo[] | undefined>;

export class ScenarioIndex implements Disposable {
  private readonly files = new Map<string, ScenarioFile>();
  /** The text each file was last discovered from, to merge a listing that arrives later. */
  private readonly texts = new Map<string, string>();
  /** The runner's last listing of each file. */
  private readonly listed = new Map<string, PlanInfo[]>();
  /** Listings run one at a time (each forks a runner); files waiting for theirs. */
  private listing: Promise<void> = Promise.resolve();
  private readonly listQueued = new Set<string>();
  private disposed = false;
  private readonly disposables: Disposable[] = [];
  private readonly changed: EventEmitter<Uri>;
  /** Fires with the file whose scenarios changed (or were removed). */
  readonly onDidChange: Event<Uri>;

  constructor(private readonly vscode: VSCode, private readonly lister?: ScenarioLister) {
    this.changed = new vscode.EventEmitter<Uri>();
    this.onDidChange = this.changed.event;
  }

  /** Finds the files, then keeps watching. Resolves once the first scan is done. */
  async start(): Promise<void> {
    const { vscode } = this;
    const watcher = vscode.workspace.createFileSystemWatcher(SCENARIO_GLOB);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => void this.readFile(uri).then(() => this.list(uri))),
      watcher.onDidChange((uri) => {
        // An open document is the source of truth (it may hold unsaved edits).
        // The runner reads the disk: a save is when its listing can change.
        if (!this.openDocument(uri)) void this.readFile(uri).then(() => this.list(uri));
        else this.list(uri);
      }),
      watcher.onDidDelete((uri) => this.remove(uri)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.parseDocument(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.parseDocument(e.document)),
      vscode.workspace.onDidRenameFiles((e) => {
        for (const { oldUri, newUri } of e.files) {
          this.remove(oldUri);
          void this.readFile(newUri).then(() => this.list(newUri));
        }
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => { for (const f of this.all()) this.list(f.uri); }),
    );
    const uris = await vscode.workspace.findFiles(SCENARIO_GLOB, this.excludeGlob());
    await Promise.all(uris.map((uri) => this.readFile(uri)));
    for (const doc of vscode.workspace.textDocuments) this.parseDocument(doc);
    // After the first paint, in the background.
    for (const f of this.all()) this.list(f.uri);
  }

  /**
   * Queues a runner listing of `uri` (trusted workspaces only: listing runs the file's top level),
   * when static discovery may have missed a scenario: a listing forks a runner and compiles the file.
   */
  private list(uri: Uri): void {
    if (!this.lister || !this.vscode.workspace.isTrusted || !this.isScenarioUri(uri)) return;
    const key = uri.toString();
    const text = this.texts.get(key);
    if (text !== undefined && !mayHideScenarios(text, discoverScenarios(text))) {
      // Every export is a scenario static discovery read: an older listing no longer applies.
      if (this.listed.delete(key)) this.set(uri, text);
      return;
    }
    if (this.listQueued.has(key)) return;
    this.listQueued.add(key);
    const lister = this.lister;
    this.listing = this.listing.then(async () => {
      this.listQueued.delete(key);
      if (this.disposed) return;
      const plans = await lister(uri.fsPath).catch(() => undefined);
      // Not loadable now (mid-edit, a compile error): keep the last good listing.
      if (!plans) return;
      this.listed.set(key, plans);
      const text = this.texts.get(key);
      if (text !== undefined) this.set(uri, text);
    });
  }

  all(): ScenarioFile[] {
    return [...this.files.values()].sort((a, b) => (a.uri.fsPath < b.uri.fsPath ? -1 : 1));
  }

  get(uri: Uri): ScenarioFile | undefined {
    return this.files.get(uri.toString());
  }

  /** Discovery for a document, parsing it now if it is a scenario file the index has not seen. */
  forDocument(doc: TextDocument): ScenarioFile | undefined {
    this.parseDocument(doc);
    return this.get(doc.uri);
  }

  private excludeGlob(): string {
    const excludes = this.vscode.workspace.getConfiguration('files').get<Record<string, unknown>>('exclude') ?? {};
    // Patterns with braces would nest inside ours; every found file is filtered by isExcluded anyway.
    const patterns = ['**/node_modules/**', ...Object.entries(excludes).filter(([g, on]) => on === true && !/[{}]/.test(g)).map(([g]) => g)];
    return `{${patterns.join(',')}}`;
  }

  private isScenarioUri(uri: Uri): boolean {
    if (uri.scheme !== 'file' || !uri.path.endsWith('.load.ts')) return false;
    const relative = this.vscode.workspace.asRelativePath(uri, false);
    const excludes = this.vscode.workspace.getConfiguration('files', uri).get<Record<string, unknown>>('exclude') ?? {};
    return !isExcluded(relative, excludes);
  }

  private openDocument(uri: Uri): TextDocument | undefined {
    return this.vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  }

  private parseDocument(doc: TextDocument): void {
    if (!this.isScenarioUri(doc.uri)) return;
    this.set(doc.uri, doc.getText());
  }

  private async readFile(uri: Uri): Promise<void> {
    if (!this.isScenarioUri(uri)) return;
    const open = this.openDocument(uri);
    if (open) { this.set(uri, open.getText()); return; }
    try {
      const bytes = await this.vscode.workspace.fs.readFile(uri);
      this.set(uri, Buffer.from(bytes).toString('utf8'));
    } catch {
      this.remove(uri);
    }
  }

  private set(uri: Uri, text: string): void {
    const key = uri.toString();
    this.texts.set(key, text);
    const result = withListed(discoverScenarios(text), this.listed.get(key), text);
    const before = this.files.get(key);
    if (before && JSON.stringify(before.result) === JSON.stringify(result)) return;
    this.files.set(key, { uri, result });
    this.changed.fire(uri);
  }

  private remove(uri: Uri): void {
    this.texts.delete(uri.toString());
    this.listed.delete(uri.toString());
    if (this.files.delete(uri.toString())) this.changed.fire(uri);
  }

  dispose(): void {
    this.disposed = true;
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}

/**
 * Static discovery plus what the runner listed: a listed scenario that static discovery did not see
 * is added at its export line (or the file's first line); a static one with a non-literal load
 * takes the runner's description of it. Static ones the runner did not list stay: the document
 * may hold unsaved edits the runner has not read.
 */
export function withListed(result: DiscoveryResult, plans: PlanInfo[] | undefined, text: string): DiscoveryResult {
  if (!plans) return result;
  const byName = new Map(plans.map((p) => [p.scenario, p]));
  const scenarios = result.scenarios.map((s) => (s.shape === null && byName.has(s.name) ? { ...s, shape: byName.get(s.name)!.shape } : s));
  const seen = new Set(scenarios.map((s) => s.name));
  for (const plan of plans) {
    if (seen.has(plan.scenario)) continue;
    const span = exportLine(text, plan.scenario);
    const added: DiscoveredScenario = { name: plan.scenario, span, nameSpan: span, loadText: null, shape: plan.shape, thresholds: [] };
    scenarios.push(added);
  }
  // In the file's order, as static discovery lists them (the runner puts re-exports last).
  scenarios.sort((a, b) => a.span.start.line - b.span.start.line);
  return { scenarios, problems: result.problems };
}

/**
 * Whether the file exports more than the scenarios static discovery read (a name it did not account
 * for, `export *`, a load it could not describe): then only the runner knows. Each name of an
 * `export { a, b }` list counts, so a helper-built scenario listed next to a plain one is not missed;
 * `export type`/`export interface` (and `type` names in a list) declare nothing at run time.
 */
export function mayHideScenarios(text: string, result: DiscoveryResult): boolean {
  if (result.scenarios.some((s) => s.shape === null)) return true;
  let exported = 0;
  for (const m of text.matchAll(/^\s*export\b(?!\s+(?:type|interface|declare)\b)(\s*\{([^}]*)\})?/gm)) {
    exported += m[2] === undefined ? 1 : m[2].split(',').filter((n) => n.trim() !== '' && !/^type\s/.test(n.trim())).length;
  }
  return exported > result.scenarios.length;
}

/** The line exporting `name` (`export default` for 'default'), else an `export *` line, else the first. */
function exportLine(text: string, name: string): TextSpan {
  const lines = text.split(/\r?\n/);
  const word = new RegExp(`\\b${name.replace(/[.*+?^${}()|[\]\\$]/g, '\\$&')}\\b`);
  let line = lines.findIndex((l) => /\bexport\b/.test(l) && (name === 'default' ? /\bexport\s+default\b/.test(l) : word.test(l)));
  if (line < 0) line = lines.findIndex((l) => /\bexport\s*\*/.test(l));
  if (line < 0) line = 0;
  const character = Math.max(0, lines[line].search(/\bexport\b/));
  return { start: { line, character }, end: { line, character: lines[line].length } };
}

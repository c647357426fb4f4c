// The workspace model: every *.load.ts (outside node_modules and files.exclude), found on
// activation, kept current by a file watcher, with open documents re-parsed as they are edited.

import type { EventEmitter } from 'vscode';
import type { VSCode, Disposable, Event, Uri, TextDocument } from './vscodeTypes';
import { discoverScenarios, type DiscoveryResult } from '../discovery';
import { isExcluded } from './glob';

export const SCENARIO_GLOB = '**/*.load.ts';

export interface ScenarioFile {
  uri: Uri;
  result: DiscoveryResult;
}

export class ScenarioIndex implements Disposable {
  private readonly files = new Map<string, ScenarioFile>();
  private readonly disposables: Disposable[] = [];
  private readonly changed: EventEmitter<Uri>;
  /** Fires with the file whose scenarios changed (or were removed). */
  readonly onDidChange: Event<Uri>;

  constructor(private readonly vscode: VSCode) {
    this.changed = new vscode.EventEmitter<Uri>();
    this.onDidChange = this.changed.event;
  }

  /** Finds the files, then keeps watching. Resolves once the first scan is done. */
  async start(): Promise<void> {
    const { vscode } = this;
    const watcher = vscode.workspace.createFileSystemWatcher(SCENARIO_GLOB);
    this.disposables.push(
      watcher,
      watcher.onDidCreate((uri) => void this.readFile(uri)),
      watcher.onDidChange((uri) => {
        // An open document is the source of truth (it may hold unsaved edits).
        if (!this.openDocument(uri)) void this.readFile(uri);
      }),
      watcher.onDidDelete((uri) => this.remove(uri)),
      vscode.workspace.onDidOpenTextDocument((doc) => this.parseDocument(doc)),
      vscode.workspace.onDidChangeTextDocument((e) => this.parseDocument(e.document)),
      vscode.workspace.onDidRenameFiles((e) => {
        for (const { oldUri, newUri } of e.files) {
          this.remove(oldUri);
          void this.readFile(newUri);
        }
      }),
    );
    const uris = await vscode.workspace.findFiles(SCENARIO_GLOB, this.excludeGlob());
    await Promise.all(uris.map((uri) => this.readFile(uri)));
    for (const doc of vscode.workspace.textDocuments) this.parseDocument(doc);
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
    const result = discoverScenarios(text);
    const before = this.files.get(key);
    if (before && JSON.stringify(before.result) === JSON.stringify(result)) return;
    this.files.set(key, { uri, result });
    this.changed.fire(uri);
  }

  private remove(uri: Uri): void {
    if (this.files.delete(uri.toString())) this.changed.fire(uri);
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    this.changed.dispose();
  }
}

// The `vscode` module as a value type: classes receive it in their constructor (as
// playwright-vscode does), so only main.ts imports 'vscode' at run time.
import type * as vscodeModule from 'vscode';

export type VSCode = typeof vscodeModule;
export type {
  CancellationToken, CodeLens, CodeLensProvider, Disposable, Event, ExtensionContext, FileSystemWatcher,
  OutputChannel, StatusBarItem, TestController, TestItem, TestRun, TestRunProfile, TestRunRequest,
  TextDocument, TextEditor, TreeDataProvider, TreeItem, Uri, WebviewPanel, WorkspaceFolder, DiagnosticCollection,
} from 'vscode';

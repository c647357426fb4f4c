// Extension entry: the only module that imports 'vscode' at run time. The logic is the Extension
// class (extension.ts), which receives the module, so it runs under plain Node with a fake.

import * as vscode from 'vscode';
import type { ExtensionContext } from 'vscode';
import { Extension } from './extension';
import { E2E_OUT_ENV, fileRecorder, noRecorder } from './e2e';

export function activate(context: ExtensionContext): void {
  // The code-server e2e suite reads what the extension did from this file; nobody else sets it.
  const e2eOut = process.env[E2E_OUT_ENV];
  new Extension(vscode, context, { record: e2eOut ? fileRecorder(e2eOut) : noRecorder }).activate();
}

export function deactivate(): void {
  // Subscriptions dispose everything; a running runner gets its IPC channel closed and exits.
}

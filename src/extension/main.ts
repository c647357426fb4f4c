// Extension entry: the only module that imports 'vscode' at run time. The logic is the Extension
// class (extension.ts), which receives the module, so it runs under plain Node with a fake.

import * as vscode from 'vscode';
import type { ExtensionContext } from 'vscode';
import { activateWithTestHooks } from './extension';
import type { LoadlensApi } from './test-hooks';

/** The exports are the test-hook API (test-hooks.ts): what the extension did, for the code-server e2e suite. */
export function activate(context: ExtensionContext): LoadlensApi {
  return activateWithTestHooks(vscode, context);
}

export function deactivate(): void {
  // Subscriptions dispose everything; a running runner gets its IPC channel closed and exits.
}

// Debug runs: the runner starts under `--inspect-brk` (one VU, a few iterations) and VS Code's
// JavaScript debugger attaches with source maps. The runner compiles the scenario with an inline
// source map whose sources are absolute paths, so breakpoints in the .load.ts file bind.

import { dirname } from 'node:path';
import type { VSCode, Uri } from './vscodeTypes';
import type { RunSession } from './runManager';
import { noRecorder, type Recorder } from './test-hooks';

/** The attach configuration for a runner listening on `port` (pure, for tests). */
export function attachConfiguration(name: string, port: number, runnerPath: string) {
  return {
    type: 'node',
    request: 'attach',
    name: `Loadlens: debug ${name}`,
    address: '127.0.0.1',
    port,
    sourceMaps: true,
    // The scenario's code is compiled in memory under the scenario file's own path: use its inline
    // map wherever that is, but not the extension's bundles (their maps are not shipped).
    resolveSourceMapLocations: ['**', '!**/node_modules/**', `!${dirname(runnerPath)}/**`],
    // The runner waits at its first line (--inspect-brk) only so breakpoints can be set first.
    continueOnAttach: true,
    skipFiles: ['<node_internals>/**', runnerPath],
    __loadlensSession: true,
  };
}

export async function attachDebugger(vscode: VSCode, runnerPath: string, session: RunSession, name: string, uri: Uri,
  record: Recorder = noRecorder): Promise<boolean> {
  const port = await session.debugPort;
  if (port === undefined) return false;
  const folder = vscode.workspace.getWorkspaceFolder(uri);
  const config = attachConfiguration(name, port, runnerPath);
  const started = await vscode.debug.startDebugging(folder, config);
  record('debug-attach', { scenario: name, port, started });
  if (!started) return false;
  // Ending the debug session stops the run; the run ending ends the session by itself.
  const sub = vscode.debug.onDidTerminateDebugSession((s) => {
    if (s.configuration.name === config.name && s.configuration.port === port) {
      sub.dispose();
      session.cancel('debug session ended');
    }
  });
  void session.outcome.then(() => sub.dispose());
  return true;
}

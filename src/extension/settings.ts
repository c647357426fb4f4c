// The loadlens.* settings, read fresh at each use (so changes apply to the next run).

import { isAbsolute, join } from 'node:path';
import type { LoadOverrides } from '../protocol';
import type { VSCode, Uri } from './vscodeTypes';

export interface LoadlensSettings {
  nodePath: string;
  overrides: LoadOverrides | undefined;
  resultsFolder: string;
  openPanelOnRun: boolean;
  debugIterations: number;
}

export const DEFAULT_RESULTS_FOLDER = '.loadlens/runs';

/** The settings as the run manager needs them; pure so it can be tested without VS Code. */
export function settingsFrom(get: <T>(key: string) => T | undefined): LoadlensSettings {
  const overrides: LoadOverrides = {};
  const vus = get<number | null>('defaultVUs');
  const duration = get<string | null>('defaultDuration');
  const rate = get<number | null>('defaultRate');
  if (typeof vus === 'number' && vus > 0) overrides.vus = vus;
  if (typeof duration === 'string' && duration.trim()) overrides.duration = duration.trim();
  if (typeof rate === 'number' && rate > 0) overrides.rate = rate;
  const iterations = get<number>('debugIterations');
  return {
    nodePath: (get<string>('nodePath') ?? '').trim(),
    overrides: Object.keys(overrides).length ? overrides : undefined,
    resultsFolder: (get<string>('resultsFolder') ?? '').trim() || DEFAULT_RESULTS_FOLDER,
    openPanelOnRun: get<boolean>('openPanelOnRun') ?? true,
    debugIterations: typeof iterations === 'number' && iterations >= 1 ? Math.floor(iterations) : 1,
  };
}

export function readSettings(vscode: VSCode, scope?: Uri): LoadlensSettings {
  const config = vscode.workspace.getConfiguration('loadlens', scope);
  return settingsFrom((key) => config.get(key));
}

/** The absolute results folder for a file: relative settings resolve against its workspace folder. */
export function resultsFolderFor(vscode: VSCode, file: Uri): string | undefined {
  const folder = readSettings(vscode, file).resultsFolder;
  if (isAbsolute(folder)) return folder;
  const ws = vscode.workspace.getWorkspaceFolder(file) ?? vscode.workspace.workspaceFolders?.[0];
  return ws ? join(ws.uri.fsPath, folder) : undefined;
}

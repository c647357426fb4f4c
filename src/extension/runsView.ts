// The Runs view: saved runs of every workspace folder, newest first. Selecting one reopens it in
// the panel; two selected (or one and a pick) are compared.

import { basename } from 'node:path';
import type { EventEmitter } from 'vscode';
import type { VSCode, Disposable, Event, TreeDataProvider, TreeItem } from './vscodeTypes';
import { listRuns, type RunListItem } from '../report/saved-runs';
import { formatCount, formatMs } from '../presentation/format';

export const RUNS_VIEW_ID = 'loadlens.runs';

export interface RunNode {
  folder: string;
  run: RunListItem;
}

/** `2026-05-01 10:00:03 · p99 212 ms · 1,980 req/s · ✓` */
export function runDescription(run: RunListItem): string {
  const when = new Date(run.startedAt).toISOString().replace('T', ' ').slice(0, 19);
  const verdict = run.status !== 'completed' ? run.status : run.thresholdsOk ? '✓' : '✗ thresholds';
  return `${when} · p99 ${formatMs(run.p99)} · ${formatCount(run.rps)} req/s · ${verdict}`;
}

export class RunsTree implements TreeDataProvider<RunNode>, Disposable {
  private readonly changed: EventEmitter<void>;
  readonly onDidChangeTreeData: Event<void>;

  constructor(private readonly vscode: VSCode, private readonly folders: () => string[]) {
    this.changed = new vscode.EventEmitter<void>();
    this.onDidChangeTreeData = this.changed.event;
  }

  refresh(): void {
    this.changed.fire();
  }

  all(): RunNode[] {
    return this.folders()
      .flatMap((folder) => listRuns(folder).map((run) => ({ folder, run })))
      .sort((a, b) => b.run.startedAt - a.run.startedAt);
  }

  getChildren(node?: RunNode): RunNode[] {
    return node ? [] : this.all();
  }

  getTreeItem(node: RunNode): TreeItem {
    const { vscode } = this;
    const item = new vscode.TreeItem(`${node.run.scenario} — ${basename(node.run.file)}`);
    item.id = `${node.folder}/${node.run.id}`;
    item.description = runDescription(node.run);
    item.tooltip = `${node.run.file}\n${runDescription(node.run)}\n${node.folder}/${node.run.id}.json`;
    item.iconPath = new vscode.ThemeIcon(node.run.status !== 'completed' ? 'circle-slash' : node.run.thresholdsOk ? 'pass' : 'error');
    item.contextValue = 'loadlens.savedRun';
    item.command = { title: 'Open run', command: 'loadlens.openRun', arguments: [node] };
    return item;
  }

  dispose(): void {
    this.changed.dispose();
  }
}

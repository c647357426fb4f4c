// The status bar while a run is active: live req/s and p99 (click: show the panel), and Stop.

import type { VSCode, Disposable, StatusBarItem } from './vscodeTypes';
import type { RunManager } from './runManager';
import { statusBarText } from './results';

export class RunStatusBar implements Disposable {
  private readonly item: StatusBarItem;
  private readonly stop: StatusBarItem;
  private readonly subs: Disposable[] = [];

  constructor(vscode: VSCode, manager: RunManager) {
    this.item = vscode.window.createStatusBarItem('loadlens.live', vscode.StatusBarAlignment.Left, 100);
    this.item.name = 'Loadlens run';
    this.item.command = 'loadlens.showPanel';
    this.stop = vscode.window.createStatusBarItem('loadlens.stop', vscode.StatusBarAlignment.Left, 99);
    this.stop.name = 'Loadlens stop';
    this.stop.text = '$(debug-stop) Stop';
    this.stop.tooltip = 'Stop the load run (gracefully, with a summary)';
    this.stop.command = 'loadlens.stop';
    this.subs.push(manager.onDidStart((session) => {
      const name = session.spec.scenario ?? 'scenario';
      this.item.text = statusBarText(undefined);
      this.item.tooltip = `Loadlens: ${name} running — click to show the panel`;
      this.item.show();
      this.stop.show();
      void vscode.commands.executeCommand('setContext', 'loadlens.running', true);
      const sub = session.onMessage((m) => {
        if (m.type === 'progress') this.item.text = statusBarText(m.progress.live);
      });
      void session.outcome.then(() => {
        sub.dispose();
        if (manager.active) return;
        this.item.hide();
        this.stop.hide();
        void vscode.commands.executeCommand('setContext', 'loadlens.running', false);
      });
    }));
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
    this.item.dispose();
    this.stop.dispose();
  }
}

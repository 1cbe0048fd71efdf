// The runner's state in the status bar: stopped / starting / ready / N warm environments / failed.
import * as vscode from 'vscode';
import type { RunnerState } from './runner-client.ts';

export class RunnerStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('openRuntime.runnerStatus', vscode.StatusBarAlignment.Left, 20);
    this.item.name = 'Open Runtime runner';
    this.show([]);
    this.item.show();
  }

  /** One state per workspace folder with a runner; shows the most telling one and sums warm environments. */
  show(states: readonly RunnerState[]): void {
    const failed = states.find((s) => s.kind === 'failed');
    const ready = states.filter((s): s is Extract<RunnerState, { kind: 'ready' }> => s.kind === 'ready');
    const starting = states.some((s) => s.kind === 'starting');
    const item = this.item;
    item.backgroundColor = undefined;
    if (failed) {
      item.text = '$(error) Open Runtime: failed';
      item.tooltip = `${failed.message}\n\nClick to restart the runner.`;
      item.command = 'openRuntime.restartRunner';
      item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
    } else if (starting) {
      item.text = '$(loading~spin) Open Runtime: starting';
      item.tooltip = 'The local runner is starting.';
      item.command = 'openRuntime.showOutput';
    } else if (ready.length > 0) {
      const warm = ready.reduce((n, s) => n + s.environments, 0);
      item.text = warm > 0 ? `$(vm-running) Open Runtime: ${warm} warm` : '$(vm-active) Open Runtime: ready';
      const where = ready.map((s) => `127.0.0.1:${s.port} (pid ${s.pid})`).join(', ');
      item.tooltip = `Runner ready on ${where}; ${warm} warm environment${warm === 1 ? '' : 's'}.\n\nClick to show the output.`;
      item.command = 'openRuntime.showOutput';
    } else {
      item.text = '$(vm-outline) Open Runtime: stopped';
      item.tooltip = 'The local runner starts on the first invocation.';
      item.command = 'openRuntime.showOutput';
    }
  }

  dispose(): void {
    this.item.dispose();
  }
}

// The runner's state in the status bar: stopped / starting / ready / N warm environments / failed. And the last
// deploy, which stays there with its next step (a notification's button times out into the notification centre).
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
      const apis = ready.filter((s) => s.apiPort).map((s) => `http://127.0.0.1:${s.apiPort}`);
      const served = apis.length ? `\nHTTP APIs (API Gateway routes, Function URLs) on ${apis.join(', ')}.` : '';
      item.tooltip = `Runner ready on ${where}; ${warm} warm environment${warm === 1 ? '' : 's'}.${served}\n\nClick to show the output.`;
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

/** "Deployed X v3": shown from a deploy's success until the next deploy; clicking it invokes the deployed function. */
export class DeployedStatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;

  constructor() {
    this.item = vscode.window.createStatusBarItem('openRuntime.lastDeploy', vscode.StatusBarAlignment.Left, 19);
    this.item.name = 'Open Runtime last deploy';
  }

  /** While deploying: a spinner that says what is being deployed (the notification may be collapsed). */
  deploying(what: string): void {
    this.item.text = `$(loading~spin) Deploying ${what}`;
    this.item.tooltip = `Deploying ${what}. Its progress is in the notification and the "Open Runtime" output.`;
    this.item.command = 'openRuntime.showOutput';
    this.item.show();
  }

  deployed(text: string, tooltip: string, command: vscode.Command | undefined): void {
    this.item.text = `$(cloud-upload) ${text}`;
    this.item.tooltip = tooltip;
    this.item.command = command ?? 'openRuntime.showOutput';
    this.item.show();
  }

  hide(): void {
    this.item.hide();
  }

  /** What it shows now, for the in-host tests. */
  get shown(): { text: string; command: string | undefined; arguments: unknown[] } {
    const c = this.item.command;
    return typeof c === 'string' || c === undefined
      ? { text: this.item.text, command: c, arguments: [] }
      : { text: this.item.text, command: c.command, arguments: c.arguments ?? [] };
  }

  dispose(): void {
    this.item.dispose();
  }
}

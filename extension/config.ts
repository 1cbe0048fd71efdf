// Typed access to the extension's settings. The defaults here match package.json's `contributes.configuration`.
import * as vscode from 'vscode';

export type RevealOutput = 'always' | 'onError' | 'never';

export interface Config {
  /** Node used to run the runner; empty means VS Code's own (ELECTRON_RUN_AS_NODE=1). */
  readonly nodePath: string;
  readonly codeLensEnabled: boolean;
  /** When to bring the "Open Runtime" output channel forward on an invocation. */
  readonly revealOutput: RevealOutput;
  /** How many invocations the history view keeps. */
  readonly historySize: number;
}

export const SECTION = 'openRuntime';

export function readConfig(scope?: vscode.ConfigurationScope): Config {
  const c = vscode.workspace.getConfiguration(SECTION, scope);
  const reveal = c.get<string>('output.reveal', 'always');
  return {
    nodePath: (c.get<string>('nodePath', '') ?? '').trim(),
    codeLensEnabled: c.get<boolean>('codeLens.enabled', true),
    revealOutput: reveal === 'never' || reveal === 'onError' ? reveal : 'always',
    historySize: Math.max(1, Math.min(500, c.get<number>('history.size', 50))),
  };
}

export function affectsRunner(e: vscode.ConfigurationChangeEvent): boolean {
  return e.affectsConfiguration(`${SECTION}.nodePath`);
}

// The "Durable Executions" view in the Open Runtime container: each workspace folder's durable executions (from its
// runner's control API, GET /durable-executions) with their steps, waits, callbacks and child contexts nested as the
// function ran them (status, duration, attempts; payloads in the tooltip; durable/execution-rows.ts), and "Complete
// Callback" on a callback that waits, "Run Again" (same function, same input) on an execution. It redraws when a
// function logs (an invocation ran), at most twice a second.
import * as vscode from 'vscode';
import type { Ctx } from '../ctx.ts';
import { durableRows, type DurableRow } from './execution-rows.ts';

export const DURABLE_VIEW_ID = 'openRuntime.durableExecutions';
const REDRAW_MS = 500;

interface Node {
  row: DurableRow;
  folder: vscode.WorkspaceFolder;
}

const ICONS: Record<DurableRow['state'], [string, string]> = {
  running: ['sync~spin', 'charts.blue'],
  waiting: ['bell', 'charts.yellow'],
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  stopped: ['circle-slash', 'disabledForeground'],
};

export class DurableExecutionsView implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  private readonly ctx: Ctx;
  private readonly changed = new vscode.EventEmitter<Node | undefined>();
  private readonly disposables: vscode.Disposable[] = [];
  private timer: NodeJS.Timeout | undefined;
  readonly onDidChangeTreeData = this.changed.event;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    this.disposables.push(
      this.changed,
      ctx.onRunnerEvent(({ event }) => {
        if (event.type === 'log' && !this.timer)
          this.timer = setTimeout(() => {
            this.timer = undefined;
            this.refresh();
          }, REDRAW_MS);
      }),
    );
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node) return node.row.children.map((row) => ({ row, folder: node.folder }));
    const nodes: Node[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      try {
        const list = await (await this.ctx.runnerFor(folder)).durableExecutions();
        nodes.push(...durableRows(list).map((row) => ({ row, folder })));
      } catch (err) {
        this.ctx.log(`Could not read the durable executions of ${folder.name}: ${(err as Error).message}`);
      }
    }
    return nodes;
  }

  getTreeItem({ row }: Node): vscode.TreeItem {
    const item = new vscode.TreeItem(row.label, row.children.length ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
    item.id = row.id;
    item.description = row.description;
    item.tooltip = row.tooltip;
    const [icon, color] = ICONS[row.state];
    item.iconPath = new vscode.ThemeIcon(icon, new vscode.ThemeColor(color));
    item.contextValue = row.callbackId ? 'openRuntime.durable.callback' : row.rerun ? 'openRuntime.durable.execution' : 'openRuntime.durable';
    return item;
  }

  dispose(): void {
    clearTimeout(this.timer);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** Asks how to complete the callback (succeed with a JSON result, or fail with a message) and sends it. */
async function completeCallback(ctx: Ctx, view: DurableExecutionsView, node: Node | undefined): Promise<void> {
  const callbackId = node?.row.callbackId;
  if (!node || !callbackId) return void vscode.window.showInformationMessage('Pick a callback that waits (a bell in the Durable Executions view).');
  const choice = await vscode.window.showQuickPick(['Succeed', 'Fail'], { title: `Complete callback ${node.row.label}` });
  if (!choice) return;
  const runner = await ctx.runnerFor(node.folder);
  if (choice === 'Succeed') {
    const result = await vscode.window.showInputBox({
      title: 'Callback result (JSON)',
      value: '{}',
      validateInput: (text) => {
        try {
          JSON.parse(text);
          return undefined;
        } catch (err) {
          return `Not JSON: ${(err as Error).message}`;
        }
      },
    });
    if (result === undefined) return;
    await runner.completeDurableCallback({ callbackId, outcome: 'succeed', result });
  } else {
    const errorMessage = await vscode.window.showInputBox({ title: 'Why the callback failed', value: 'Rejected' });
    if (errorMessage === undefined) return;
    await runner.completeDurableCallback({ callbackId, outcome: 'fail', errorMessage });
  }
  view.refresh();
}

/** Starts a new execution of the same function with the same input (the editor's Invoke answers when it ends). */
async function runAgain(ctx: Ctx, view: DurableExecutionsView, node: Node | undefined): Promise<void> {
  const rerun = node?.row.rerun;
  if (!node || !rerun) return;
  const runner = await ctx.runnerFor(node.folder);
  const finished = runner.invoke({ function: rerun.function, payload: rerun.input });
  setTimeout(() => view.refresh(), 300);
  const result = await finished;
  view.refresh();
  if (result.error) void vscode.window.showWarningMessage(`${rerun.function}'s execution failed: ${result.error.errorType}: ${result.error.errorMessage}`);
}

export function registerDurableExecutionsView(ctx: Ctx): DurableExecutionsView {
  const provider = new DurableExecutionsView(ctx);
  const view = vscode.window.createTreeView(DURABLE_VIEW_ID, { treeDataProvider: provider });
  ctx.push(
    provider,
    view,
    vscode.commands.registerCommand('openRuntime.durable.refresh', () => provider.refresh()),
    vscode.commands.registerCommand('openRuntime.durable.runAgain', (node?: Node) =>
      runAgain(ctx, provider, node).catch((err: Error) => {
        void vscode.window.showErrorMessage(`Could not run the execution again: ${err.message}`);
      }),
    ),
    vscode.commands.registerCommand('openRuntime.durable.completeCallback', (node?: Node) =>
      completeCallback(ctx, provider, node).catch((err: Error) => {
        void vscode.window.showErrorMessage(`Could not complete the callback: ${err.message}`);
      }),
    ),
  );
  return provider;
}

// Entry point. Activation only wires things up (no runner start, no heavy module): the runner starts on the
// first invocation or when the Open Runtime view is shown. The time taken is logged and available through
// the `openRuntime.activationTime` command.
import { bundleStartedAt } from './activation-clock.ts';
import * as vscode from 'vscode';
import { watchChainDiagnostics } from './chain-diagnostics.ts';
import { registerChainLenses } from './chain-lenses.ts';
import { shownChain } from './chain-view.ts';
import { registerCommands } from './commands.ts';
import { registerComponentViews } from './component-interface.ts';
import { registerDebugAdapters } from './debug.ts';
import { registerDeployCommand } from './deploy.ts';
import { registerBuildTasks } from './tasks.ts';
import { Ctx } from './ctx.ts';
import { watchSavedEvents } from './events/event-diagnostics.ts';
import { EVENT_FILE_SELECTOR, EventFileLensProvider } from './events/edit-event.ts';
import { HandlerLensProvider, LENS_SELECTOR } from './handler-lenses.ts';
import { HISTORY_SCHEME, HISTORY_VIEW_ID, type HistoryEntry } from './history.ts';
import { streamLogsToOutput } from './logs.ts';
import { registerRoutesView, type RouteRow } from './routes/routes-view.ts';
import { registerDurableExecutionsView } from './durable/executions-view.ts';
import { registerLanguageModelTools } from './assistants/language-model-tools.ts';
import { registerSavedEventTests, type SavedEventTestsApi } from './testing/saved-event-tests.ts';
import type { ChainReport } from '../runner/protocol.ts';
import type { ResultModel } from './result-model.ts';

// Top-level code of this file runs after every module it imports eagerly: loading is done here.
const bundleEvaluatedAt = performance.now();

let ctx: Ctx | undefined;

/** What other extensions and the in-host tests can reach through `extension.exports`. */
export interface OpenRuntimeApi {
  readonly activationMs: number;
  history(): readonly HistoryEntry[];
  /** What the result view shows now (undefined before the first invocation). */
  resultModel(): ResultModel | undefined;
  resultViewOpen(): boolean;
  /** Whether the extension takes its output channel for on screen now (it then does not ask to show it again). */
  outputShown(): boolean;
  /** State of each started runner, by workspace folder URI. */
  runners(): ReadonlyArray<{ folder: string; state: string; environments: number }>;
  /** What the middleware chain view draws now (undefined while it is closed), with the document version. */
  chainView(): { file: string; version: number; report: ChainReport } | undefined;
  /** The Routes view's rows (asks the runners for their route tables). */
  routeRows(): Promise<RouteRow[]>;
  /** The last deploy's status bar entry: its text and the command a click runs. */
  deployStatus(): { text: string; command: string | undefined; arguments: unknown[] };
  /**
   * One of the Language Model tools as registered (`openRuntime_invoke_function` ...): what its prepareInvocation asks
   * chat to confirm can be read here (VS Code shows it only inside a chat session).
   */
  languageModelTool(name: string): vscode.LanguageModelTool<Record<string, unknown>> | undefined;
  /** Saved events in the Test Explorer: its tree, a run through its Run profile, the last outcomes. */
  readonly savedEventTests: SavedEventTestsApi;
}

export function activate(context: vscode.ExtensionContext): OpenRuntimeApi {
  const activateStartedAt = performance.now();
  const c = new Ctx(context);
  ctx = c;
  registerCommands(c);
  c.push(vscode.languages.registerCodeLensProvider(LENS_SELECTOR, new HandlerLensProvider(c, c.functions)));
  c.push(vscode.languages.registerCodeLensProvider(EVENT_FILE_SELECTOR, new EventFileLensProvider()));
  registerChainLenses(c);
  watchChainDiagnostics(c);
  const historyView = vscode.window.createTreeView(HISTORY_VIEW_ID, { treeDataProvider: c.history, canSelectMany: true });
  c.push(historyView, vscode.workspace.registerTextDocumentContentProvider(HISTORY_SCHEME, c.history));
  // Showing the view counts as "using" the extension: have the runner ready for the first invoke.
  c.push(
    historyView.onDidChangeVisibility((e) => {
      const folder = vscode.workspace.workspaceFolders?.[0];
      if (e.visible && folder) c.runnerFor(folder).catch((err: Error) => c.log(err.message));
    }),
  );
  streamLogsToOutput(c);
  watchSavedEvents(c);
  registerBuildTasks(c);
  registerDeployCommand(c);
  c.push(registerDebugAdapters());
  registerComponentViews(c);
  const routesView = registerRoutesView(c);
  registerDurableExecutionsView(c);
  const lmTools = registerLanguageModelTools(c);
  const savedEventTests = registerSavedEventTests(c);

  // Loading the bundle's eager modules plus activate() itself; VS Code's own scheduling in between is not ours.
  const loading = bundleEvaluatedAt - bundleStartedAt;
  const activating = performance.now() - activateStartedAt;
  c.activationMs = loading + activating;
  c.log(
    `Open Runtime activated in ${c.activationMs.toFixed(1)} ms (loading ${loading.toFixed(1)} ms, activate() ${activating.toFixed(1)} ms). The runner starts on the first invocation.`,
  );

  return {
    get activationMs() {
      return c.activationMs;
    },
    history: () => c.history.all,
    resultModel: () => c.results.currentModel,
    resultViewOpen: () => c.results.isOpen,
    outputShown: () => c.outputOnScreen(),
    runners: () =>
      c.liveRunners.map(({ folder, runner }) => ({
        folder,
        state: runner.state.kind,
        environments: runner.state.kind === 'ready' ? runner.state.environments : 0,
      })),
    chainView: () => shownChain(c),
    deployStatus: () => c.deployStatus.shown,
    routeRows: () => routesView.rows(),
    languageModelTool: (name) => lmTools.get(name),
    savedEventTests,
  };
}

export async function deactivate(): Promise<void> {
  const c = ctx;
  ctx = undefined;
  await c?.dispose();
}

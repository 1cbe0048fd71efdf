// Every command, registered in one place. Each is a small factory `(ctx) => handler`; the modules that do
// the work (runner client, catalogue, pickers) are loaded on first use, which keeps activation cheap.
// Commands return their outcome (an InvokeResult, a path...) so tests and other extensions can use them.
import * as vscode from 'vscode';
import type { Ctx } from './ctx.ts';
import { entryOutcome, HISTORY_VIEW_ID, type HistoryEntry } from './history.ts';
import type { NewFunctionArgs } from './new-function.ts';
import type { ShowChainArgs } from './chain-view.ts';
import type { RouteArgs, SendRequestArgs } from './routes/send-request.ts';
import type { DebugRouteArgs } from './routes/debug-route.ts';

type CommandFactory = (ctx: Ctx) => (...args: never[]) => unknown;

/** Opens the WIT of a .wasm component read-only (explorer context menu, the active file or component view, or a chosen file). Returns the WIT. */
const showComponentInterface: CommandFactory = (ctx) => async (uri?: vscode.Uri) => (await import('./component-interface.ts')).showComponentInterface(ctx, uri);

/** Browses the project's built-in key-value stores (the one named, or a picked one). Returns the listing shown. */
const browseKeyValue: CommandFactory = (ctx) => async (store?: string) =>
  (await import('./keyvalue-browser.ts')).browseKeyValue(ctx, typeof store === 'string' ? store : undefined);

/** Draws the middleware chains of a file (default: the active editor's) in the chain view. Returns the ChainReport. */
const showMiddlewareChain: CommandFactory = (ctx) => async (args?: ShowChainArgs | vscode.Uri) =>
  (await import('./chain-view.ts')).showMiddlewareChain(ctx, args);

const invokeWithEvent: CommandFactory = (ctx) => async (args?: unknown) => (await import('./invoke.ts')).invokeWithEvent(ctx, args, { debug: false });

const debugWithEvent: CommandFactory = (ctx) => async (args?: unknown) => (await import('./invoke.ts')).invokeWithEvent(ctx, args, { debug: true });

const newFunction: CommandFactory = (ctx) => async (args?: NewFunctionArgs) => (await import('./new-function.ts')).newFunction(ctx, args);

/** Pick (or create from a template) an event for a function, and open it when it is a saved one. */
const pickEvent: CommandFactory = (ctx) => async (args?: unknown) => {
  const { functionFor } = await import('./invoke.ts');
  const target = await functionFor(ctx, args);
  if (!target) return undefined;
  const { pickEvent: pick } = await import('./events/pick-event.ts');
  const chosen = await pick(ctx, target.folder, target.fn);
  if (chosen?.savedPath) await vscode.window.showTextDocument(vscode.Uri.file(chosen.savedPath), { preview: false });
  return chosen;
};

/** Saves the response of the most recent invocation as a saved event of a function you choose. */
const saveLastResultAsEvent: CommandFactory = (ctx) => async (args?: { functionName?: string; name?: string; entryId?: string }) => {
  const last = (args?.entryId ? ctx.history.find(args.entryId) : undefined) ?? ctx.history.lastResultOf();
  if (!last?.result) {
    void vscode.window.showInformationMessage('There is no result to save yet: invoke a function first.');
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.toString() === last.folder) ?? ctx.folderFor();
  if (!folder) return undefined;
  const { checkJson } = await import('../runner/events/json-check.ts');
  if (!checkJson(last.result.payload).ok) {
    void vscode.window.showErrorMessage(
      `The last result of ${last.functionName} is not JSON, so it cannot be an event. Return an object from the handler to use its result as an event.`,
    );
    return undefined;
  }
  let functionName = args?.functionName;
  if (!functionName) {
    const { functions } = await ctx.functions.get(folder);
    const names = [last.functionName, ...functions.map((f) => f.name).filter((n) => n !== last.functionName)];
    functionName = await vscode.window.showQuickPick(names, {
      title: 'Save the last result as an event of which function?',
      placeHolder: `The response of ${last.functionName} becomes its input`,
    });
    if (!functionName) return undefined;
  }
  const { askEventName, prettyJsonText } = await import('./events/pick-event.ts');
  const name = args?.name ?? (await askEventName(folder.uri.fsPath, { name: functionName }, `${last.functionName}-result`));
  if (!name) return undefined;
  try {
    const { saveEvent } = await import('../runner/events/saved.ts');
    const saved = await saveEvent(folder.uri.fsPath, functionName, name, prettyJsonText(last.result.payload), { overwrite: true });
    if (!args?.name) await vscode.window.showTextDocument(vscode.Uri.file(saved.path), { preview: false });
    return saved.path;
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
};

/** "Send request" on a route (Routes view row, or picked): returns the SentRequest (response, invocation, history entry id). */
/** Arms the route's function: requests to it (browser, curl, Send Request) stop at breakpoints. Returns the DebuggedRoute. */
const debugRoute: CommandFactory = (ctx) => async (args?: DebugRouteArgs) => (await import('./routes/debug-route.ts')).debugRoute(ctx, args);

const stopDebuggingRoute: CommandFactory = (ctx) => async (args?: RouteArgs) => (await import('./routes/debug-route.ts')).stopDebuggingRoute(ctx, args);

const sendRequest: CommandFactory = (ctx) => async (args?: SendRequestArgs) => (await import('./routes/send-request.ts')).sendRequestToRoute(ctx, args);

/** "Open in browser" on a GET route: returns the URL opened. */
const openRouteInBrowser: CommandFactory = (ctx) => async (args?: RouteArgs) => (await import('./routes/send-request.ts')).openRouteInBrowser(ctx, args);

const restartRunner: CommandFactory = (ctx) => async () => {
  try {
    await ctx.restartRunners();
    return true;
  } catch (err) {
    ctx.log(`Could not restart the runner: ${(err as Error).message}`);
    void vscode.window.showErrorMessage((err as Error).message, 'Show Output').then((c) => {
      if (c) ctx.showOutput();
    });
    return false;
  }
};

const showOutput: CommandFactory = (ctx) => () => ctx.showOutput();

const showHistory: CommandFactory = () => () => vscode.commands.executeCommand(`${HISTORY_VIEW_ID}.focus`);

const rerun: CommandFactory = (ctx) => async (entry?: HistoryEntry) => {
  const target = entry ?? ctx.history.all[0];
  if (!target) {
    void vscode.window.showInformationMessage('Nothing to re-run yet: invoke a function first.');
    return undefined;
  }
  if (target.request) return (await import('./routes/send-request.ts')).resendEntry(ctx, target);
  return (await import('./invoke.ts')).rerunEntry(ctx, target);
};

const openEvent: CommandFactory = (ctx) => async (entry?: HistoryEntry) => {
  const target = entry ?? ctx.history.all[0];
  if (!target) return undefined;
  // The saved file when there is one (editable), else a read-only copy of what was sent.
  if (target.savedEventPath) {
    try {
      await vscode.workspace.fs.stat(vscode.Uri.file(target.savedEventPath));
      return vscode.window.showTextDocument(vscode.Uri.file(target.savedEventPath), { preview: false });
    } catch {
      /* deleted since: show the copy */
    }
  }
  const doc = await vscode.workspace.openTextDocument(ctx.history.eventUri(target));
  await vscode.languages.setTextDocumentLanguage(doc, 'json');
  return vscode.window.showTextDocument(doc, { preview: true });
};

const showResult: CommandFactory = (ctx) => async (entry?: HistoryEntry) => {
  const target = entry ?? ctx.history.all[0];
  if (!target) return;
  if (target.request) return ctx.results.show((await import('./routes/send-request.ts')).httpEntryModel(target), target.codeRoot, target.id);
  const { describeResult, eventRequestView } = await import('./result-model.ts');
  const request = eventRequestView(target.payload);
  if (target.result)
    ctx.results.show(describeResult(target.result, { eventLabel: target.eventLabel, debug: target.debug, request }), target.codeRoot, target.id);
  else
    ctx.results.show(
      { functionName: target.functionName, state: 'failed', eventLabel: target.eventLabel, request, message: target.failure ?? 'No result.' },
      target.codeRoot,
      target.id,
    );
};

/** Diffs two results (older on the left). With one selected, asks for the other. */
const compare: CommandFactory = (ctx) => async (entry?: HistoryEntry, selected?: HistoryEntry[]) => {
  let pair = (selected?.length === 2 ? selected : [entry ?? ctx.history.all[0]]).filter((e): e is HistoryEntry => e !== undefined);
  if (pair.length === 0) {
    void vscode.window.showInformationMessage('Invoke a function twice to compare two results.');
    return undefined;
  }
  if (pair.length === 1) {
    const first = pair[0]!;
    const others = ctx.history.all.filter((e) => e.id !== first.id);
    if (others.length === 0) {
      void vscode.window.showInformationMessage('There is only one invocation in the history; invoke again to compare.');
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      others.map((e) => ({
        label: e.functionName,
        description: `${entryOutcome(e) === 'ok' ? 'ok' : 'error'} · ${new Date(e.startedAt).toLocaleTimeString()}`,
        detail: `event: ${e.eventLabel}`,
        entry: e,
      })),
      { title: `Compare the result of ${first.functionName} (${new Date(first.startedAt).toLocaleTimeString()}) with...` },
    );
    if (!picked) return undefined;
    pair = [first, picked.entry];
  }
  const [a, b] = [...pair].sort((x, y) => x.startedAt - y.startedAt) as [HistoryEntry, HistoryEntry];
  const when = (e: HistoryEntry) => `${e.functionName} ${new Date(e.startedAt).toLocaleTimeString()}`;
  await vscode.commands.executeCommand('vscode.diff', ctx.history.resultUri(a), ctx.history.resultUri(b), `${when(a)} ↔ ${when(b)}`);
  return [a.id, b.id];
};

const clearHistory: CommandFactory = (ctx) => () => ctx.history.clear();

/** Opens an event (template, saved, inline, or the picker's choice) as editable JSON before sending. Returns the draft's path. */
const editEventBeforeSending: CommandFactory = (ctx) => async (args?: unknown) => {
  const { functionFor } = await import('./invoke.ts');
  const target = await functionFor(ctx, args);
  if (!target) return undefined;
  const { chooseEvent, isSwitch } = await import('./events/pick-event.ts');
  const { isInvokeArgs } = await import('./invoke-args.ts');
  const chosen = await chooseEvent(ctx, target.folder, target.fn, isInvokeArgs(args) ? args : {});
  if (!chosen || isSwitch(chosen)) return undefined;
  const { openDraft } = await import('./events/edit-event.ts');
  return openDraft(ctx, target.folder, target.fn, chosen.payload, {
    label: chosen.label,
    suggestedName: chosen.label.replace(/^\w+: /, '').replace(/[^\w.-]+/g, '-'),
  });
};

const sendEditedEvent: CommandFactory = (ctx) => async (uri?: unknown, options?: { debug?: boolean }) =>
  (await import('./events/edit-event.ts')).sendEditedEvent(ctx, uri, options);

const saveEditedEvent: CommandFactory = (ctx) => async (uri?: unknown, args?: { name?: string }) =>
  (await import('./events/edit-event.ts')).saveEditedEvent(ctx, uri, args);

const setTemplateParameters: CommandFactory = (ctx) => async (args?: { template?: string; name?: string; value?: string }) =>
  (await import('./parameters.ts')).setTemplateParameters(ctx, args);

/** For tests and diagnostics: how long activation took, in milliseconds. */
const activationTime: CommandFactory = (ctx) => () => ctx.activationMs;

export const COMMANDS: Readonly<Record<string, CommandFactory>> = {
  'openRuntime.invokeWithEvent': invokeWithEvent,
  'openRuntime.debugWithEvent': debugWithEvent,
  'openRuntime.newFunction': newFunction,
  'openRuntime.pickEvent': pickEvent,
  'openRuntime.saveLastResultAsEvent': saveLastResultAsEvent,
  'openRuntime.routes.sendRequest': sendRequest,
  'openRuntime.routes.openInBrowser': openRouteInBrowser,
  'openRuntime.routes.debug': debugRoute,
  'openRuntime.routes.stopDebugging': stopDebuggingRoute,
  'openRuntime.restartRunner': restartRunner,
  'openRuntime.showOutput': showOutput,
  'openRuntime.showHistory': showHistory,
  'openRuntime.history.rerun': rerun,
  'openRuntime.history.openEvent': openEvent,
  'openRuntime.history.compare': compare,
  'openRuntime.history.showResult': showResult,
  'openRuntime.history.clear': clearHistory,
  'openRuntime.activationTime': activationTime,
  'openRuntime.showComponentInterface': showComponentInterface,
  'openRuntime.browseKeyValue': browseKeyValue,
  'openRuntime.showMiddlewareChain': showMiddlewareChain,
  'openRuntime.editEventBeforeSending': editEventBeforeSending,
  'openRuntime.sendEditedEvent': sendEditedEvent,
  'openRuntime.saveEditedEvent': saveEditedEvent,
  'openRuntime.setTemplateParameters': setTemplateParameters,
};

export function registerCommands(ctx: Ctx): void {
  for (const [id, factory] of Object.entries(COMMANDS)) {
    ctx.push(vscode.commands.registerCommand(id, factory(ctx) as (...args: unknown[]) => unknown));
  }
}

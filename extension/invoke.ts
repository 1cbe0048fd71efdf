// "Invoke with event" and "Debug": resolve the function (template, or inferred from a lone handler file),
// choose the event, send it to the runner, and show what happens as it happens: logs in the output
// channel, streamed chunks and the final result in the result view, the debugger attached when asked.
// Returns the InvokeResult so tests and other extensions can use it.
import * as path from 'node:path';
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { TENANT_ID, type FunctionSpec } from '../runner/functions/model.ts';
import type { InvokeResult, RunnerEvent } from '../runner/protocol.ts';
import type { Ctx } from './ctx.ts';
import { attachDebugger, PreparedDebug, prepareDebugger } from './debug.ts';
import { findHandlers, languageOfFile } from './find-handlers.ts';
import type { HistoryEntry } from './history.ts';
import { isInvokeArgs, type InvokeArgs } from './invoke-args.ts';
import { chooseEvent, closeChosenPicker, isSwitch, rememberEvent, type ChosenEvent, type SharedHandler, type SwitchFunction } from './events/pick-event.ts';
import { ClickTimer } from './click-timer.ts';
import { handlerKey } from './function-choices.ts';
import { describeResult, eventRequestView, type ResultModel } from './result-model.ts';
import { RunnerError, type RunnerSidecar } from './runner-client.ts';
import { RUNTIME_INVALID_ENTRYPOINT } from '../runner/lambda-errors.ts';

/** How long an invocation runs before the result view says "Running…" (sooner would flash for a 3 ms function). */
const RUNNING_SHOWN_AFTER_MS = 150;

export interface InvokeOptions {
  readonly debug: boolean;
  /** Re-run: the event is already known. */
  readonly event?: ChosenEvent;
}

export async function invokeWithEvent(ctx: Ctx, rawArgs: unknown, options: InvokeOptions): Promise<InvokeResult | undefined> {
  const timer = new ClickTimer();
  const args: InvokeArgs = isInvokeArgs(rawArgs) ? rawArgs : rawArgs instanceof vscode.Uri ? { file: rawArgs.fsPath } : {};
  const file = args.file ? toPath(args.file) : undefined;
  const folder = ctx.folderFor(file ?? vscode.window.activeTextEditor?.document.uri);
  if (!folder) {
    void vscode.window.showErrorMessage(
      'Open Runtime needs a workspace folder: open the folder that holds your functions (File > Open Folder), then invoke again.',
    );
    return undefined;
  }

  let runner: RunnerSidecar;
  let fn: FunctionSpec | undefined;
  let shared: SharedHandler | undefined;
  try {
    runner = await startRunner(ctx, folder);
    timer.mark('runner');
    // A shared handler's row: the function used last for it goes straight to its event picker, the others offered there.
    // (Only when the picker will show: an event given in the arguments leaves no place to offer the others.)
    const picksEvent = !options.event && args.payload === undefined && !args.eventName && !args.eventTemplate;
    const remembered =
      picksEvent && args.sharedBy && args.sharedBy.length > 1 && !args.functionName
        ? await rememberedSharedFunction(ctx, runner, folder, args.sharedBy, file, args.exportName)
        : undefined;
    if (remembered) ({ fn, shared } = remembered);
    else fn = await resolveFunction(ctx, runner, folder, { ...args, ...(file ? { file } : {}) });
    timer.mark('function');
  } catch (err) {
    reportFailure(ctx, args.functionName ?? (file ? path.basename(file) : 'function'), err);
    return undefined;
  }
  if (!fn) return undefined;

  let event: ChosenEvent | undefined;
  // Debug: the function's environment starts, and the debugger attaches, while the user picks the event.
  let prepared: { fn: FunctionSpec; debug: PreparedDebug } | undefined;
  const leave = () => {
    prepared?.debug.discard();
    return undefined;
  };
  for (;;) {
    if (!debuggable(fn, options.debug)) return leave();
    if (options.debug) {
      prepareDebugger(fn.runtime);
      if (!options.event && fn.tenantIsolation !== 'PER_TENANT' && prepared?.fn !== fn) {
        leave();
        const root = ctx.extension.extensionUri.fsPath;
        prepared = { fn, debug: new PreparedDebug(runner, fn, folder, root, (line) => ctx.log(line), timer) };
      }
    }
    let chosen: ChosenEvent | SwitchFunction | undefined;
    try {
      chosen = options.event ?? (await chooseEvent(ctx, folder, fn, args, shared, timer));
    } catch (err) {
      reportFailure(ctx, fn.name, err);
      return leave();
    }
    if (!isSwitch(chosen)) {
      event = chosen;
      break;
    }
    // "Run as <other>": that function's picker, this one offered in its place; remembered for the handler.
    const previous: FunctionSpec = fn;
    fn = chosen.switchTo;
    shared = shared && { where: shared.where, others: [previous, ...shared.others.filter((o) => o.name !== chosen.switchTo.name)] };
    if (file) await rememberSharedChoice(ctx, sharedKey(file, args.exportName, args.sharedBy ?? []), fn.name);
  }
  if (!event) return leave(); // the user cancelled the picker
  timer.mark(options.event ? 'event' : 'event read');
  const tenantId = args.tenantId ?? (fn.tenantIsolation === 'PER_TENANT' ? await chooseTenant(ctx, fn) : undefined);
  if (fn.tenantIsolation === 'PER_TENANT' && tenantId === undefined) return leave(); // cancelled
  if (prepared?.fn === fn) await prepared.debug.requested;

  return runInvocation(ctx, runner, folder, fn, event, {
    debug: options.debug,
    timer,
    ...(prepared?.fn === fn ? { prepared: prepared.debug } : {}),
    ...(file ? { file } : {}),
    ...(args.exportName ? { exportName: args.exportName } : {}),
    ...(tenantId !== undefined ? { tenantId } : {}),
  });
}

/**
 * The tenant to invoke a tenant-isolated function for, as `aws lambda invoke --tenant-id` takes it: the last one used
 * for this function is offered first. Undefined when the user cancels.
 */
async function chooseTenant(ctx: Ctx, fn: FunctionSpec): Promise<string | undefined> {
  const key = `openRuntime.tenant.${fn.name}`;
  const last = ctx.extension.workspaceState.get<string>(key);
  const tenantId = await vscode.window.showInputBox({
    title: `Tenant of ${fn.name}`,
    prompt: `${fn.name} has tenant isolation (TenancyConfig PER_TENANT): each tenant gets execution environments of its own. Which tenant is this invocation for?`,
    value: last ?? '',
    placeHolder: 'tenant id, e.g. blue',
    validateInput: (value) => (TENANT_ID.test(value) ? undefined : 'Use 1 to 256 letters, digits, spaces and . _ : / = + - @.'),
  });
  if (tenantId !== undefined) await ctx.extension.workspaceState.update(key, tenantId);
  return tenantId;
}

/**
 * The status bar's progress for `work` once it has run `afterMs`: an invocation that answers sooner draws none (the
 * start and the end of a progress each redraw the workbench's status bar, in front of the result view's own message).
 */
function progressAfter<T>(afterMs: number, title: string, work: Promise<T>): Promise<T> {
  const shown = setTimeout(
    () =>
      void vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () =>
        work.then(
          () => undefined,
          () => undefined,
        ),
      ),
    afterMs,
  );
  return work.finally(() => clearTimeout(shown));
}

/** Runs one invocation and shows it; used by invoke, debug and re-run. */
export async function runInvocation(
  ctx: Ctx,
  runner: RunnerSidecar,
  folder: vscode.WorkspaceFolder,
  fn: FunctionSpec,
  event: ChosenEvent,
  opts: { debug: boolean; file?: string; exportName?: string; timer?: ClickTimer; tenantId?: string; prepared?: PreparedDebug },
): Promise<InvokeResult | undefined> {
  const startedAt = Date.now();
  const timer = opts.timer ?? new ClickTimer();
  const request = eventRequestView(event.payload);
  const running: ResultModel = {
    functionName: fn.name,
    state: 'running',
    eventLabel: event.label,
    request,
    ...(event.hint ? { eventHint: event.hint } : {}),
    ...(opts.debug ? { debug: true } : {}),
  };
  // Most invocations answer within a few milliseconds: "Running…" is drawn only for those that don't.
  ctx.results.showRunning(running, fn.codeUri, opts.debug ? 0 : RUNNING_SHOWN_AFTER_MS);
  if (ctx.config.revealOutput === 'always') ctx.showOutput();
  ctx.log(`— ${opts.debug ? 'Debugging' : 'Invoking'} ${fn.name} with ${event.label}`);
  // Sent anyway (trying an unexpected shape is legitimate), but said in the result view, above the response.
  if (event.hint) ctx.log(event.hint);

  // Follow this invocation on the event stream: its request id, streamed chunks, the debugger port.
  let requestId: string | undefined;
  let attaching: Promise<boolean> | undefined;
  const follow = runner.onEvent((e: RunnerEvent) => {
    if (e.type === 'invoke-start' && e.function === fn.name && requestId === undefined) {
      requestId = e.requestId;
      ctx.results.setRequestId(fn.name, e.requestId);
    } else if (e.type === 'chunk' && e.function === fn.name && (requestId === undefined || e.requestId === requestId)) {
      ctx.results.appendChunk(fn.name, e.requestId, e.data);
    } else if (
      e.type === 'debug-ready' &&
      opts.debug &&
      e.function === fn.name &&
      !attaching &&
      // A prepared environment (this click's or another's) has its debugger attached by its PreparedDebug.
      e.prepared === undefined &&
      (requestId === undefined || e.requestId === requestId)
    ) {
      ctx.log(`Debugger listening for ${fn.name} on 127.0.0.1:${e.port} (${e.language}); attaching.`);
      timer.mark('debuggee ready');
      closeChosenPicker(); // the debugger's views take the window now
      attaching = attachDebugger(fn, folder, e.language, e.port, ctx.extension.extensionUri.fsPath).finally(() => timer.mark('debugger attached'));
    }
  });

  const base = {
    functionName: fn.name,
    folder: folder.uri.toString(),
    startedAt,
    debug: opts.debug,
    payload: event.payload,
    eventLabel: event.label,
    codeRoot: fn.codeUri,
    ...(event.savedPath ? { savedEventPath: event.savedPath } : {}),
    ...(event.hint ? { eventHint: event.hint } : {}),
    ...(opts.file ? { file: opts.file } : {}),
    ...(opts.exportName ? { exportName: opts.exportName } : {}),
    ...(opts.tenantId !== undefined ? { tenantId: opts.tenantId } : {}),
  };
  try {
    const result = await progressAfter(
      opts.debug ? 0 : RUNNING_SHOWN_AFTER_MS,
      `$(sync~spin) ${fn.name}`,
      runner.invoke({
        function: fn.name,
        payload: event.payload,
        ...(opts.debug ? { debug: true } : {}),
        ...(opts.debug && opts.prepared ? { debugPrepared: opts.prepared.id } : {}),
        ...(opts.tenantId !== undefined ? { tenantId: opts.tenantId } : {}),
      }),
    );
    timer.mark(opts.debug ? 'debugging' : 'invoke');
    const entry: HistoryEntry = { ...base, id: result.requestId || `${startedAt}`, result };
    // The result first: the history (a tree refresh and a workspace-state write) is not what the user waits for.
    ctx.results.show(
      describeResult(result, { eventLabel: event.label, ...(event.hint ? { eventHint: event.hint } : {}), debug: opts.debug, request }),
      fn.codeUri,
      entry.id,
    );
    ctx.history.add(entry);
    void ctx.results.drawn().then((drawn) => {
      closeChosenPicker();
      timer.mark(drawn ? 'drawn' : 'not drawn');
      ctx.logTiming(`${opts.debug ? 'debug' : 'invoke'} ${fn.name} (function ${result.report.durationMs.toFixed(1)} ms)`, timer);
    });
    if (event.remember) await rememberEvent(folder, fn, event).catch((err: Error) => ctx.log(err.message));
    const failed = result.functionError !== undefined || result.error !== undefined;
    if (failed && ctx.config.revealOutput === 'onError') ctx.showOutput();
    if (failed) ctx.log(`${fn.name} failed: ${result.error?.errorType ?? 'Unhandled'}: ${result.error?.errorMessage ?? result.payload}`);
    return result;
  } catch (err) {
    const message = failureMessage(err);
    const id = `${startedAt}-${Math.random().toString(36).slice(2, 8)}`;
    ctx.history.add({ ...base, id, failure: message });
    ctx.results.show({ functionName: fn.name, state: 'failed', eventLabel: event.label, request, message }, fn.codeUri, id);
    reportFailure(ctx, fn.name, err);
    return undefined;
  } finally {
    follow.dispose();
    opts.prepared?.discard();
    attaching ??= opts.prepared?.attaching;
    if (attaching) await attaching.catch(() => false);
  }
}

async function startRunner(ctx: Ctx, folder: vscode.WorkspaceFolder): Promise<RunnerSidecar> {
  const live = ctx.liveRunners.find((r) => r.folder === folder.uri.toString());
  if (live && live.runner.state.kind === 'ready') return live.runner;
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: '$(loading~spin) Starting the Open Runtime runner' }, () =>
    ctx.runnerFor(folder),
  );
}

/** The function to invoke: by name, by handler file, or picked by the user. */
async function resolveFunction(ctx: Ctx, runner: RunnerSidecar, folder: vscode.WorkspaceFolder, args: InvokeArgs): Promise<FunctionSpec | undefined> {
  if (args.functionName) {
    let { functions } = await runner.listFunctions();
    let fn = functions.find((f) => f.name === args.functionName);
    if (!fn) {
      // Maybe just added to a template: have the runner read the templates again before giving up.
      ({ functions } = await runner.reloadFunctions().catch(() => ({ functions })));
      fn = functions.find((f) => f.name === args.functionName);
    }
    if (fn) return fn;
    if (args.file) return inferFromFile(runner, args.file, args.exportName);
    const known = functions.map((f) => f.name);
    throw new RunnerError(
      'ResourceNotFoundException',
      `There is no function named "${args.functionName}" in this workspace${known.length ? ` (it has ${known.join(', ')})` : ''}. Check template.yaml / serverless.yml, or open the handler file and use the lens above it.`,
    );
  }
  if (args.sharedBy?.length) {
    const chosen = await chooseSharedFunction(ctx, runner, folder, args.sharedBy, args.file, args.exportName);
    if (!chosen) return undefined;
    return chosen;
  }
  if (args.file) return (await templateFunctionFor(ctx, runner, folder, args.file, args.exportName)) ?? inferFromFile(runner, args.file, args.exportName);
  return pickFunction(ctx, runner, folder);
}

const SHARED_CHOICES_KEY = 'openRuntime.sharedHandlerChoices';

/** Whether `fn` can run under the debugger here; says why not when it can't. */
function debuggable(fn: FunctionSpec, debug: boolean): boolean {
  if (!debug) return true;
  // Node, Python and (provided) Go functions: the runner says when a provided function is not a Go one.
  if (!fn.runtime.startsWith('python') && !fn.runtime.startsWith('nodejs') && !fn.runtime.startsWith('provided')) {
    void vscode.window.showErrorMessage(
      `Debugging ${fn.runtime} functions is not supported yet: "Debug" works for Node.js, Python and Go functions. Use "Invoke with event" to run ${fn.name}.`,
    );
    return false;
  }
  return true;
}

function sharedKey(file: string | undefined, exportName: string | undefined, names: readonly string[]): string {
  return file ? handlerKey(file, exportName) : names.join(',');
}

async function rememberSharedChoice(ctx: Ctx, key: string, name: string): Promise<void> {
  const remembered = ctx.extension.workspaceState.get<Record<string, string>>(SHARED_CHOICES_KEY, {});
  await ctx.extension.workspaceState.update(SHARED_CHOICES_KEY, { ...remembered, [key]: name });
}

/** The functions sharing a handler, as the runner knows them now (read again when one is missing). */
async function sharingFunctions(runner: RunnerSidecar, names: readonly string[]): Promise<FunctionSpec[]> {
  let { functions } = await runner.listFunctions();
  if (!names.every((n) => functions.some((f) => f.name === n))) ({ functions } = await runner.reloadFunctions().catch(() => ({ functions })));
  const sharing = names.map((n) => functions.find((f) => f.name === n)).filter((f): f is FunctionSpec => f !== undefined);
  if (sharing.length === 0) {
    throw new RunnerError(
      'ResourceNotFoundException',
      `None of ${names.join(', ')} is defined any more in this workspace's templates. Save the template, then click the lens again.`,
    );
  }
  return sharing;
}

function handlerWhere(file: string | undefined, exportName: string | undefined): string {
  return file ? `${path.basename(file)}${exportName ? ` ${exportName}` : ''}` : 'this handler';
}

/** The function last chosen for this shared handler (and the others sharing it), or undefined when none is remembered. */
async function rememberedSharedFunction(
  ctx: Ctx,
  runner: RunnerSidecar,
  folder: vscode.WorkspaceFolder,
  names: readonly string[],
  file: string | undefined,
  exportName: string | undefined,
): Promise<{ fn: FunctionSpec; shared: SharedHandler } | undefined> {
  const remembered = ctx.extension.workspaceState.get<Record<string, string>>(SHARED_CHOICES_KEY, {})[sharedKey(file, exportName, names)];
  if (!remembered) return undefined;
  const sharing = await sharingFunctions(runner, names);
  const fn = sharing.find((f) => f.name === remembered);
  if (!fn || sharing.length < 2) return undefined;
  const { orderChoices } = await import('./function-choices.ts');
  const others = orderChoices(sharing, folder.uri.fsPath, remembered)
    .slice(1)
    .map((c) => c.fn);
  return { fn, shared: { where: handlerWhere(file, exportName), others } };
}

/** One of the functions that share a handler, picked by the user (the last pick for this handler offered first). */
async function chooseSharedFunction(
  ctx: Ctx,
  runner: RunnerSidecar,
  folder: vscode.WorkspaceFolder,
  names: readonly string[],
  file: string | undefined,
  exportName: string | undefined,
): Promise<FunctionSpec | undefined> {
  const { orderChoices } = await import('./function-choices.ts');
  const sharing = await sharingFunctions(runner, names);
  if (sharing.length === 1) return sharing[0];
  const key = sharedKey(file, exportName, names);
  const remembered = ctx.extension.workspaceState.get<Record<string, string>>(SHARED_CHOICES_KEY, {});
  const choices = orderChoices(sharing, folder.uri.fsPath, remembered[key]);
  const picked = await vscode.window.showQuickPick(
    choices.map((c) => ({ label: `$(symbol-event) ${c.label}`, description: c.description, detail: c.detail, choice: c })),
    {
      title: `${sharing.length} functions run ${handlerWhere(file, exportName)}: which one?`,
      placeHolder: 'Each runs with its own template settings (timeout, environment, middlewares)',
      matchOnDescription: true,
      matchOnDetail: true,
    },
  );
  if (!picked) return undefined;
  await rememberSharedChoice(ctx, key, picked.choice.fn.name);
  return picked.choice.fn;
}

/** The template function whose handler is this file (and export), so a file invoked from the explorer keeps its settings. */
async function templateFunctionFor(
  ctx: Ctx,
  runner: RunnerSidecar,
  folder: vscode.WorkspaceFolder,
  file: string,
  exportName?: string,
): Promise<FunctionSpec | undefined> {
  const { functions } = await ctx.functions.get(folder);
  const matches: FunctionSpec[] = [];
  for (const fn of functions) {
    const target = await ctx.functions.handlerTarget(fn);
    if (target && path.resolve(target.file) === path.resolve(file) && (exportName === undefined || target.exportName === exportName)) matches.push(fn);
  }
  if (matches.length !== 1) return undefined;
  const { functions: known } = await runner.listFunctions();
  return known.find((f) => f.name === matches[0]!.name);
}

async function inferFromFile(runner: RunnerSidecar, file: string, exportName?: string): Promise<FunctionSpec> {
  const language = languageOfFile(file);
  if (language === 'go' || language === 'rust') {
    // Custom runtimes run a built `bootstrap`; without a template, use the one next to the source.
    const bootstrap = [path.join(path.dirname(file), 'bootstrap'), path.join(path.dirname(file), '..', 'bootstrap')].find((p) => existsSync(p));
    if (!bootstrap) {
      const build =
        language === 'go'
          ? 'GOOS=linux CGO_ENABLED=0 go build -tags lambda.norpc -o bootstrap .'
          : 'cargo lambda build --release (then point a template.yaml function at target/lambda/<name>/)';
      throw new RunnerError(
        RUNTIME_INVALID_ENTRYPOINT,
        `${path.basename(file)} needs to be built before it can run: build it into a file named bootstrap next to it (${build}), or add the function to template.yaml with Runtime: provided.al2023.`,
      );
    }
    return runner.inferFunction(bootstrap);
  }
  return runner.inferFunction(file, exportName);
}

async function pickFunction(ctx: Ctx, runner: RunnerSidecar, folder: vscode.WorkspaceFolder): Promise<FunctionSpec | undefined> {
  type Item = vscode.QuickPickItem & { fn?: FunctionSpec; infer?: { file: string; exportName: string } };
  const items: Item[] = [];
  const editor = vscode.window.activeTextEditor;
  const language = editor ? languageOfFile(editor.document.uri.fsPath) : undefined;
  if (editor && language && editor.document.uri.scheme === 'file') {
    const handlers = findHandlers(editor.document.getText(), language);
    if (handlers.length) items.push({ label: 'In this file', kind: vscode.QuickPickItemKind.Separator });
    for (const h of handlers) {
      items.push({
        label: `$(symbol-function) ${h.exportName}`,
        description: path.basename(editor.document.uri.fsPath),
        infer: { file: editor.document.uri.fsPath, exportName: h.exportName },
      });
    }
  }
  const { functions, errors } = await runner.listFunctions();
  if (functions.length) items.push({ label: 'Functions in templates', kind: vscode.QuickPickItemKind.Separator });
  for (const fn of functions) {
    items.push({
      label: `$(symbol-event) ${fn.name}`,
      description: `${fn.runtime}${fn.handler ? ` · ${fn.handler}` : ''}`,
      detail: vscode.workspace.asRelativePath(fn.codeUri),
      fn,
    });
  }
  if (items.length === 0) {
    const why = errors.length ? ` The definitions have problems: ${errors[0]!.message}` : '';
    void vscode.window.showInformationMessage(
      `No functions found in ${folder.name}: add a template.yaml (Open Runtime: New Function...) or open a handler file and use "Invoke with event" above it.${why}`,
    );
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, {
    title: 'Invoke which function?',
    placeHolder: 'Pick a function or a handler',
    matchOnDescription: true,
    matchOnDetail: true,
  });
  if (!picked) return undefined;
  if (picked.fn) return picked.fn;
  if (picked.infer) return inferFromFile(runner, picked.infer.file, picked.infer.exportName);
  return undefined;
}

/** The function a command is about (by name, by file, or picked), with its folder and running runner. */
export async function functionFor(
  ctx: Ctx,
  rawArgs: unknown,
): Promise<{ folder: vscode.WorkspaceFolder; runner: RunnerSidecar; fn: FunctionSpec } | undefined> {
  const args: InvokeArgs = isInvokeArgs(rawArgs) ? rawArgs : {};
  const file = args.file ? toPath(args.file) : undefined;
  const folder = ctx.folderFor(file ?? vscode.window.activeTextEditor?.document.uri);
  if (!folder) {
    void vscode.window.showErrorMessage('Open Runtime needs a workspace folder: open the folder that holds your functions (File > Open Folder).');
    return undefined;
  }
  try {
    const runner = await startRunner(ctx, folder);
    const fn = await resolveFunction(ctx, runner, folder, { ...args, ...(file ? { file } : {}) });
    return fn ? { folder, runner, fn } : undefined;
  } catch (err) {
    reportFailure(ctx, args.functionName ?? 'function', err);
    return undefined;
  }
}

/** Re-run a history entry with the same event, without asking anything. */
export async function rerunEntry(ctx: Ctx, entry: HistoryEntry, debug = entry.debug): Promise<InvokeResult | undefined> {
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.toString() === entry.folder) ?? ctx.folderFor(entry.file);
  if (!folder) {
    void vscode.window.showErrorMessage(`The folder ${entry.folder} of this invocation is no longer open; open it to re-run ${entry.functionName}.`);
    return undefined;
  }
  const timer = new ClickTimer();
  try {
    const runner = await startRunner(ctx, folder);
    timer.mark('runner');
    const args: InvokeArgs = {
      functionName: entry.functionName,
      ...(entry.file ? { file: entry.file } : {}),
      ...(entry.exportName ? { exportName: entry.exportName } : {}),
    };
    const fn = await resolveFunction(ctx, runner, folder, args);
    timer.mark('function');
    if (!fn) return undefined;
    const event: ChosenEvent = { payload: entry.payload, label: entry.eventLabel, ...(entry.savedEventPath ? { savedPath: entry.savedEventPath } : {}) };
    if (debug) prepareDebugger(fn.runtime);
    return runInvocation(ctx, runner, folder, fn, event, {
      debug,
      timer,
      ...(entry.file ? { file: entry.file } : {}),
      ...(entry.exportName ? { exportName: entry.exportName } : {}),
      ...(entry.tenantId !== undefined ? { tenantId: entry.tenantId } : {}),
    });
  } catch (err) {
    reportFailure(ctx, entry.functionName, err);
    return undefined;
  }
}

function failureMessage(err: unknown): string {
  if (err instanceof RunnerError) return err.message;
  return `Something went wrong in the extension: ${(err as Error)?.message ?? String(err)}. See the "Open Runtime" output.`;
}

function reportFailure(ctx: Ctx, what: string, err: unknown): void {
  const message = failureMessage(err);
  const type = err instanceof RunnerError ? ` [${err.errorType}]` : '';
  ctx.log(`${what}: ${message}${type}`);
  if (!(err instanceof RunnerError)) ctx.log(String((err as Error)?.stack ?? err));
  void vscode.window.showErrorMessage(message, 'Show Output').then((choice) => {
    if (choice) ctx.showOutput();
  });
}

function toPath(file: string): string {
  return file.includes('://') ? vscode.Uri.parse(file).fsPath : file;
}

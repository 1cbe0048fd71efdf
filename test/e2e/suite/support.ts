// What the in-host tests share: the extension's API, the examples workspace, and where each example
// function's handler is declared, worked out from template.yaml and the source text on their own (not
// through the extension), so the tests check the extension against an independent answer.
import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parseDocument } from 'yaml';
import type { InvokeResult } from '../../../runner/protocol.ts';
import type { OpenRuntimeApi } from '../../../extension/extension.ts';

export const EXTENSION_ID = 'open-runtime.open-runtime';
export const INVOKE_TITLE = 'Invoke with event';
export const DEBUG_TITLE = 'Debug';

/** Shows a line in the terminal running the tests (console output in here only reaches the browser). */
export function note(text: string): void {
  console.log(text);
  appendFileSync(join(__dirname, 'results.jsonl'), JSON.stringify({ state: 'note', text }) + '\n');
}

export async function openRuntime(): Promise<OpenRuntimeApi> {
  const extension = vscode.extensions.getExtension<OpenRuntimeApi>(EXTENSION_ID);
  assert.ok(extension, `the extension ${EXTENSION_ID} is loaded`);
  // run.ts --package: the .vsix installed into code-server's extensions folder, not the repo folder.
  if (process.env.OPEN_RUNTIME_E2E_INSTALLED) {
    assert.match(
      extension.extensionPath,
      /[\\/]extensions[\\/]open-runtime\.open-runtime-[\d.]+(-linux-x64)?$/,
      `the installed .vsix is tested, not ${extension.extensionPath}`,
    );
  }
  return extension.activate();
}

export function workspaceDir(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'a workspace folder is open');
  return folder.uri.fsPath;
}

export interface ExampleFunction {
  name: string;
  runtime: string;
  /** Absolute path of the handler's source file; undefined for custom runtimes and components. */
  file?: string;
  exportName?: string;
  /** 0-based line of the handler's declaration in `file`. */
  line?: number;
  /** 0-based line of the resource id in template.yaml. */
  templateLine: number;
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs', '.cjs', '.py'];

/** The functions of examples/template.yaml, with where their handlers are declared. */
export function exampleFunctions(): ExampleFunction[] {
  const dir = workspaceDir();
  const text = readFileSync(join(dir, 'template.yaml'), 'utf8');
  // CloudFormation tags (!Ref, !Sub ...) are irrelevant here: keep them as plain values.
  const doc = parseDocument(text, { logLevel: 'silent' });
  const resources = (doc.toJS({}) as { Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown> }> }).Resources ?? {};
  const lines = text.split('\n');
  const result: ExampleFunction[] = [];
  for (const [name, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    const props = resource.Properties ?? {};
    const runtime = String(props.Runtime ?? '');
    const templateLine = lines.findIndex((l) => new RegExp(`^\\s{2}${name}:\\s*$`).test(l));
    const fn: ExampleFunction = { name, runtime, templateLine };
    // Node and Python handlers are `module.export`; custom runtimes and WASI components run a built file.
    if (runtime.startsWith('nodejs') || runtime.startsWith('python')) {
      const handler = String(props.Handler ?? '');
      const dot = handler.lastIndexOf('.');
      const modulePath = join(dir, String(props.CodeUri ?? '.'), handler.slice(0, dot));
      const file = SOURCE_EXTENSIONS.map((ext) => modulePath + ext).find((f) => existsSync(f));
      assert.ok(file, `the handler file of ${name} (${modulePath}.*) exists`);
      fn.file = file;
      fn.exportName = handler.slice(dot + 1);
      fn.line = declarationLine(readFileSync(file, 'utf8'), fn.exportName, file.endsWith('.py'));
      assert.ok(fn.line >= 0, `${fn.exportName} is declared in ${file}`);
    }
    result.push(fn);
  }
  return result;
}

export function exampleFunction(name: string): ExampleFunction {
  const fn = exampleFunctions().find((f) => f.name === name);
  assert.ok(fn, `examples/template.yaml defines ${name}`);
  return fn;
}

/** 0-based line where `name` is declared as an export (JS/TS) or a top-level def (Python); -1 when absent. */
export function declarationLine(source: string, name: string, python: boolean): number {
  const patterns = python
    ? [new RegExp(`^(async\\s+)?def\\s+${name}\\s*\\(`)]
    : [
        new RegExp(`^export\\s+(async\\s+)?function\\s*\\*?\\s*${name}\\b`),
        new RegExp(`^export\\s+(const|let|var)\\s+${name}\\b`),
        new RegExp(`^(module\\.)?exports\\.${name}\\s*=`),
      ];
  return source.split('\n').findIndex((line) => patterns.some((p) => p.test(line)));
}

/** An example event from examples/events/, parsed. */
export function exampleEvent(file: string): unknown {
  return JSON.parse(readFileSync(join(workspaceDir(), 'events', file), 'utf8'));
}

/** Runs `openRuntime.invokeWithEvent` and checks it returned an InvokeResult. */
export async function invoke(args: Record<string, unknown>): Promise<InvokeResult> {
  const result = await vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.invokeWithEvent', args);
  assert.ok(result, `openRuntime.invokeWithEvent(${JSON.stringify(args).slice(0, 200)}) returned a result (see the "Open Runtime" output for why not)`);
  return result;
}

/** The parsed response payload. */
export function payloadOf(result: InvokeResult): any {
  try {
    return JSON.parse(result.payload);
  } catch {
    assert.fail(`the response of ${result.function} is JSON: ${result.payload.slice(0, 300)}`);
  }
}

export function assertSucceeded(result: InvokeResult): void {
  assert.equal(
    result.functionError,
    undefined,
    `${result.function} succeeded, but failed with ${result.error?.errorType}: ${result.error?.errorMessage}\n${result.logs}`,
  );
}

export async function lensesOf(uri: vscode.Uri): Promise<vscode.CodeLens[]> {
  // The provider runs on an open document, as in the editor.
  await vscode.window.showTextDocument(uri);
  // Resolve every lens: a provider may fill in commands lazily.
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 1000);
  // Invoke and Debug only: the chain view's lens has its own tests (chain-view.test.ts).
  return (lenses ?? []).filter((l) => l.command?.command === 'openRuntime.invokeWithEvent' || l.command?.command === 'openRuntime.debugWithEvent');
}

/** `[line, title]` of each of our lenses, sorted: easy to compare and to read in a failure. */
export function lensTable(lenses: vscode.CodeLens[]): Array<[number, string]> {
  return lenses.map((l): [number, string] => [l.range.start.line, l.command!.title]).sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
}

export async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) assert.fail(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

export function tabLabels(): string[] {
  return vscode.window.tabGroups.all.flatMap((g) => g.tabs).map((t) => t.label);
}

/** A stop of a debug session (its Debug Adapter Protocol `stopped` event). */
export interface DebugStop {
  session: vscode.DebugSession;
  reason: string;
  threadId: number;
}

export interface DebugFrame {
  id: number;
  name: string;
  line: number;
  presentationHint?: string;
  source?: { path?: string; presentationHint?: string; origin?: string };
}

/**
 * The stops of the debug sessions of `debugType` ('*': every session, as js-debug makes a child session per target),
 * seen through a DAP tracker registered now, and what a test reads at a stop.
 */
export function debugStops(debugType: string, disposables: vscode.Disposable[]) {
  const sessions: vscode.DebugSession[] = [];
  const stops: DebugStop[] = [];
  disposables.push(
    vscode.debug.onDidStartDebugSession((s) => sessions.push(s)),
    vscode.debug.registerDebugAdapterTrackerFactory(debugType, {
      createDebugAdapterTracker: (session) => ({
        onDidSendMessage: (message: { type?: string; event?: string; body?: { reason?: string; threadId?: number } }) => {
          if (message.type === 'event' && message.event === 'stopped')
            stops.push({ session, reason: message.body?.reason ?? '', threadId: message.body?.threadId ?? 0 });
        },
      }),
    }),
  );
  /**
   * The first stop for `reason` after the first `after` stops of `what` (a debugger); fails at once when `finished()`
   * says how the run ended (its outcome) without it.
   */
  const stopped = (what: string, reason: string, finished: () => string | undefined, after = 0, timeoutMs = 90_000) =>
    until(
      `${what} to stop (${reason})`,
      () => {
        const found = stops.slice(after).find((s) => s.reason === reason);
        if (found) return found;
        const outcome = finished();
        if (outcome !== undefined)
          assert.fail(
            `it finished (${outcome}) without stopping (${reason}); sessions: ${sessions.map((s) => `${s.type}:${s.name}`).join(', ') || 'none'}; stops: ${stops.map((s) => s.reason).join(', ') || 'none'}`,
          );
        return undefined;
      },
      timeoutMs,
    );
  const frames = async (stop: DebugStop, threadId = stop.threadId, levels = 20) =>
    ((await stop.session.customRequest('stackTrace', { threadId, startFrame: 0, levels })) as { stackFrames: DebugFrame[] }).stackFrames;
  return {
    sessions,
    stops,
    stopped,
    frames,
    topFrame: async (stop: DebugStop, threadId = stop.threadId) => (await frames(stop, threadId))[0]!,
    /** The first scope's variables (Locals) of `frame`. */
    locals: async (stop: DebugStop, frame: DebugFrame) => {
      const { scopes } = (await stop.session.customRequest('scopes', { frameId: frame.id })) as { scopes: { name: string; variablesReference: number }[] };
      const scope = scopes.find((sc) => /local/i.test(sc.name)) ?? scopes[0]!;
      return (
        (await stop.session.customRequest('variables', { variablesReference: scope.variablesReference })) as {
          variables: { name: string; value: string; variablesReference: number }[];
        }
      ).variables;
    },
  };
}

/**
 * "Debug" of one function through `openRuntime.debugWithEvent`, with the stops of the sessions of `debugType` ('*':
 * every session) seen through a DAP tracker registered first (debugStops).
 */
export function debugInvocation(opts: { debugType: string; functionName: string; payload: unknown }, disposables: vscode.Disposable[]) {
  const tracked = debugStops(opts.debugType, disposables);
  const invoking = Promise.resolve(
    vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.debugWithEvent', { functionName: opts.functionName, payload: opts.payload }),
  );
  let settled = false;
  let outcome = 'no result';
  void invoking.then(
    (r) => {
      settled = true;
      outcome = r ? (r.error ? `${r.error.errorType}: ${r.error.errorMessage}` : 'succeeded') : 'no result';
    },
    (e: Error) => {
      settled = true;
      outcome = e.message;
    },
  );
  /** The first stop for `reason` after the first `after` stops; fails at once when the invocation ends without it. */
  const stopped = (reason: string, after = 0, timeoutMs = 90_000) =>
    tracked.stopped(`the ${opts.functionName} debugger`, reason, () => (settled ? outcome : undefined), after, timeoutMs);
  /** Continues from `stop` and returns the invocation's result, checked to have succeeded. */
  const completes = async (stop: DebugStop) => {
    await stop.session.customRequest('continue', { threadId: stop.threadId });
    await until('the invocation to complete after continuing', () => settled || undefined, 60_000);
    const result = await invoking;
    assert.ok(result, 'openRuntime.debugWithEvent returned a result');
    assertSucceeded(result);
    return result;
  };
  return { ...tracked, stopped, completes };
}

/** A frame's file path: in a remote window (code-server) VS Code hands DAP paths to extensions as vscode-remote:// URIs. */
export function framePath(frame: DebugFrame): string | undefined {
  return frame.source?.path?.includes('://') ? vscode.Uri.parse(frame.source.path).path : frame.source?.path;
}

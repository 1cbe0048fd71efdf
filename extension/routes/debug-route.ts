// "Debug Route" on a row of the Routes view: the route's function is armed in the runner (POST /debug-mode), so the
// requests that reach it, from the browser, curl, "Send request" or anything else, start it waiting for a debugger;
// the runner says so with an `armed` debug-ready event and this file attaches the editor's debugger (debug.ts), so the
// request stops at the user's breakpoints; API Gateway's integration timeout is suspended for it (runner/gateway), and
// on continue the response reaches whoever sent it while the result view shows the invocation. "Stop Debugging Route"
// disarms it. The runner owns the state (a restarted runner has none); the view follows its `debug-mode` events.
import * as vscode from 'vscode';
import type { DebugMode, RunnerEvent } from '../../runner/protocol.ts';
import type { Ctx } from '../ctx.ts';
import { attachDebugger, prepareDebugger } from '../debug.ts';
import { describeResult } from '../result-model.ts';
import { chooseRoute, type RouteArgs } from './send-request.ts';

export interface DebugRouteArgs extends RouteArgs {
  /** `every` (the default): each request waits for the debugger until "Stop Debugging Route"; `next`: one request. */
  readonly mode?: Exclude<DebugMode, 'off'>;
}

/** What "Debug Route" returns (for tests and other extensions). */
export interface DebuggedRoute {
  readonly function: string;
  readonly mode: DebugMode;
  /** The route's local URL (path parameters left as `{name}`). */
  readonly url: string;
}

/** Which functions are armed, per folder, as the runners last said; attaches to their debug-ready environments. */
export class RouteDebugging implements vscode.Disposable {
  private readonly modes = new Map<string, DebugMode>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly ctx: Ctx;

  constructor(ctx: Ctx, changed: () => void) {
    this.ctx = ctx;
    this.disposables.push(
      ctx.onRunnerEvent(({ folder, event }) => {
        if (event.type === 'debug-mode') {
          const key = `${folder.uri}|${event.function}`;
          if (event.mode === 'off') this.modes.delete(key);
          else this.modes.set(key, event.mode);
          changed();
          if (event.mode !== 'off') void this.forgetOnRestart(folder, changed);
        } else if (event.type === 'debug-ready' && event.armed) {
          void this.attach(folder, event).catch((err: Error) => ctx.log(`Could not attach the debugger to ${event.function}: ${err.message}`));
        }
      }),
    );
  }

  /** Runners whose restarts are watched: a new runner process has armed nothing. */
  private readonly watched = new WeakSet<object>();

  private async forgetOnRestart(folder: vscode.WorkspaceFolder, changed: () => void): Promise<void> {
    const runner = await this.ctx.runnerFor(folder);
    if (this.watched.has(runner)) return;
    this.watched.add(runner);
    this.disposables.push(
      runner.onState((state) => {
        if (state.kind === 'ready') return;
        const prefix = `${folder.uri}|`;
        for (const key of [...this.modes.keys()]) if (key.startsWith(prefix)) this.modes.delete(key);
        changed();
      }),
    );
  }

  /** How `fn` of `folder` (a URI string) is armed now, `off` when it is not. */
  modeOf(folder: string, fn: string): DebugMode {
    return this.modes.get(`${folder}|${fn}`) ?? 'off';
  }

  /** An armed function's environment waits for a debugger: attach, and show the invocation when it ends. */
  private async attach(folder: vscode.WorkspaceFolder, event: Extract<RunnerEvent, { type: 'debug-ready' }>): Promise<void> {
    const runner = await this.ctx.runnerFor(folder);
    const fn = (await runner.listFunctions()).functions.find((f) => f.name === event.function);
    if (!fn) return;
    this.ctx.log(`${fn.name} was called and waits for a debugger on 127.0.0.1:${event.port} (${event.language}); attaching.`);
    this.ctx.results.showRunning({ functionName: fn.name, state: 'running', eventLabel: 'a request to a debugged route', debug: true }, fn.codeUri, 0);
    this.ctx.results.setRequestId(fn.name, event.requestId);
    const ended = new Promise<Extract<RunnerEvent, { type: 'invoke-end' }>>((resolve) => {
      const follow = runner.onEvent((e) => {
        if (e.type === 'invoke-end' && e.result.requestId === event.requestId) {
          follow.dispose();
          resolve(e);
        }
      });
    });
    await attachDebugger(fn, folder, event.language, event.port, this.ctx.extension.extensionUri.fsPath);
    const { result } = await ended;
    this.ctx.results.show(describeResult(result, { eventLabel: 'a request to a debugged route', debug: true }), fn.codeUri);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** "Debug Route": arms the route's function; requests to it stop at breakpoints until "Stop Debugging Route". */
export async function debugRoute(ctx: Ctx, args: DebugRouteArgs = {}): Promise<DebuggedRoute | undefined> {
  const target = await chooseRoute(ctx, args, 'Debug which route? Its requests stop at your breakpoints.');
  if (!target) return undefined;
  const { runner, route } = target;
  const fn = (await runner.listFunctions()).functions.find((f) => f.name === route.function);
  if (fn) prepareDebugger(fn.runtime);
  let armed: DebugMode;
  try {
    ({ mode: armed } = await runner.setDebugMode(route.function, args.mode ?? 'every'));
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
  const which = armed === 'next' ? 'The next request' : 'Each request';
  ctx.log(`${which} to ${route.function} (${route.method} ${route.path}, ${route.url}) waits for the debugger and stops at your breakpoints.`);
  const browse = route.method === 'GET' || route.method === 'ANY' ? ['Open in Browser'] : [];
  void vscode.window
    .showInformationMessage(
      `${which} to ${route.function} stops at your breakpoints: send one to ${route.url} (browser, curl, "Send Request").`,
      ...browse,
      'Stop Debugging Route',
    )
    .then((choice) => {
      if (choice === 'Open in Browser') void vscode.commands.executeCommand('openRuntime.routes.openInBrowser', args);
      else if (choice === 'Stop Debugging Route') void vscode.commands.executeCommand('openRuntime.routes.stopDebugging', args);
    });
  return { function: route.function, mode: armed, url: route.url };
}

/** "Stop Debugging Route": the route's function runs without a debugger again. */
export async function stopDebuggingRoute(ctx: Ctx, args: RouteArgs = {}): Promise<DebuggedRoute | undefined> {
  const target = await chooseRoute(ctx, args, 'Stop debugging which route?');
  if (!target) return undefined;
  const { runner, route } = target;
  const { mode } = await runner.setDebugMode(route.function, 'off');
  ctx.log(`Requests to ${route.function} run without a debugger again.`);
  return { function: route.function, mode, url: route.url };
}

// Debugging through the HTTP gateway and through a middleware chain (issue 21), in the real extension host. "Debug
// Route" on HelloTs's GET /hello arms the function in the runner; a plain HTTP request (fetch, as a browser or curl
// sends it, not through the extension) to the route's URL then stops at a breakpoint in the TypeScript handler; the
// test reads a local through the debug session, continues, and the HTTP response arrives (200, the greeting); the
// result view shows the invocation. "Debug" on HelloGuarded (a runner-level chain: request-log, auth, cors around the
// same handler) stops in the handler too, and its result still has the chain's hook timings.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DebuggedRoute } from '../../../extension/routes/debug-route.ts';
import { type DebugFrame, type DebugStop, debugInvocation, debugStops, exampleEvent, exampleFunction, framePath, openRuntime, until } from './support.ts';

describe('debugging through the gateway and a middleware chain', function () {
  // Attaching js-debug and loading the TypeScript source maps takes minutes on a loaded 2-core machine.
  this.timeout(300_000);

  const disposables: vscode.Disposable[] = [];
  const breakpoints: vscode.Breakpoint[] = [];
  /** Stops of every session: the route's debugging is started by an HTTP request, not by a command of the test. */
  let tracked: ReturnType<typeof debugStops>;
  const HELLO = { function: 'HelloTs', method: 'GET', path: '/hello' };
  let file = '';
  /** 0-based: `const greeting = ...`, where `name` has its value. */
  let line = 0;

  before(async () => {
    await openRuntime();
    const fn = exampleFunction('HelloTs');
    file = fn.file ?? '';
    assert.ok(file.endsWith('.ts') && fn.line !== undefined, 'HelloTs is a TypeScript handler');
    const source = (await vscode.workspace.openTextDocument(file)).getText().split('\n');
    line = source.findIndex((l, i) => i > fn.line! && l.includes('const greeting'));
    assert.ok(line > fn.line!, 'the handler sets greeting after name');
    tracked = debugStops('*', disposables);
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(vscode.Uri.file(file), new vscode.Position(line, 0)));
    breakpoints.push(breakpoint);
    vscode.debug.addBreakpoints([breakpoint]);
  });

  after(async () => {
    vscode.debug.removeBreakpoints(breakpoints);
    disposables.forEach((d) => d.dispose());
    await vscode.commands.executeCommand('openRuntime.routes.stopDebugging', { route: HELLO });
    await vscode.debug.stopDebugging();
  });

  /** Reads `name` in `frame`, the top frame of `stop`. */
  async function readName(stop: DebugStop, frame: DebugFrame): Promise<string> {
    return ((await stop.session.customRequest('evaluate', { expression: 'name', frameId: frame.id, context: 'watch' })) as { result: string }).result;
  }

  it('Debug Route: a plain HTTP request to the route stops at the breakpoint in the handler; after continue the response is 200', async () => {
    const api = await openRuntime();
    const armed = await vscode.commands.executeCommand<DebuggedRoute | undefined>('openRuntime.routes.debug', { route: HELLO });
    assert.ok(armed, 'the route was armed');
    assert.equal(armed.function, 'HelloTs');
    assert.equal(armed.mode, 'every');
    await until('the Routes view to say the route is debugged', async () =>
      (await api.routeRows()).find((r) => r.label === 'GET /hello' && r.description.includes('debugging') && r.contextValue.endsWith('.debugging')),
    );

    const before = tracked.stops.length;
    let outcome: string | undefined;
    // Not through the extension: the request a browser or curl would send.
    const response = fetch(`${armed.url}?name=Ada`).then(
      async (r) => {
        outcome = `HTTP ${r.status}`;
        return { status: r.status, body: await r.text() };
      },
      (e: Error) => {
        outcome = e.message;
        throw e;
      },
    );
    const stop = await tracked.stopped('the debugger on the breakpoint in the handler', 'breakpoint', () => outcome, before, 240_000);
    const frame = await tracked.topFrame(stop);
    const name = await readName(stop, frame);
    await stop.session.customRequest('continue', { threadId: stop.threadId });
    assert.equal(framePath(frame), file, `stopped in the TypeScript handler (frame: ${JSON.stringify(frame)})`);
    assert.equal(frame.line, line + 1, 'on the breakpoint line (1-based)');
    assert.match(name, /Ada/, 'the local holds the query parameter the request carried');
    const answer = await response;
    assert.equal(answer.status, 200, answer.body);
    assert.equal(JSON.parse(answer.body).message, 'Hello, Ada!');
    await until('the result view to show the debugged invocation', () => {
      const model = api.resultModel();
      return model?.functionName === 'HelloTs' && model.state !== 'running' && model.debug ? model : undefined;
    });

    const stopped = await vscode.commands.executeCommand<DebuggedRoute | undefined>('openRuntime.routes.stopDebugging', { route: HELLO });
    assert.equal(stopped?.mode, 'off');
    const plain = await fetch(`${armed.url}?name=Bo`);
    assert.equal(JSON.parse(await plain.text()).message, 'Hello, Bo!', 'without the debugger the request runs through');
  });

  it('Debug on a function with a middleware chain (HelloGuarded): stops in the handler, and the result keeps the hook timings', async () => {
    const event = exampleEvent('hello-query.json') as { headers?: Record<string, string> };
    const payload = { ...event, headers: { ...event.headers, authorization: 'Bearer demo' } };
    const debugging = debugInvocation({ debugType: '*', functionName: 'HelloGuarded', payload }, disposables);
    const stop = await debugging.stopped('breakpoint', 0, 240_000);
    const frame = await debugging.topFrame(stop);
    assert.equal(framePath(frame), file);
    assert.match(await readName(stop, frame), /Ada/);
    const result = await debugging.completes(stop);
    assert.ok(result && !result.error, `HelloGuarded succeeded: ${JSON.stringify(result)}`);
    assert.equal(JSON.parse(JSON.parse(result.payload).body).message, 'Hello, Ada!');
    for (const mw of ['request-log', 'auth', 'cors']) assert.match(result.logs, new RegExp(`^MIDDLEWARE ${mw} (before|after) \\d+\\.\\d\\d ms`, 'm'));
  });
});

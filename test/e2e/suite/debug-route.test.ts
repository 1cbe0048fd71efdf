// Debugging through the HTTP gateway and through a middleware chain (issue 21), in the real extension host. "Debug
// Route" on HelloTs's GET /hello arms the function in the runner; a plain HTTP request (fetch, as a browser or curl
// sends it, not through the extension) to the route's URL then stops at a breakpoint in the TypeScript handler; the
// test reads a local through the debug session, continues, and the HTTP response arrives (200, the greeting); the
// result view shows the invocation. "Debug" on HelloGuarded (a runner-level chain: request-log, auth, cors around the
// same handler) stops in the handler too, and its result still has the chain's hook timings.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { DebuggedRoute } from '../../../extension/routes/debug-route.ts';
import type { InvokeResult } from '../../../runner/protocol.ts';
import { exampleEvent, exampleFunction, openRuntime, until } from './support.ts';

interface Stop {
  session: vscode.DebugSession;
  reason: string;
  threadId: number;
}
type Frame = { id: number; name: string; line: number; source?: { path?: string } };

describe('debugging through the gateway and a middleware chain', function () {
  // Attaching js-debug and loading the TypeScript source maps takes minutes on a loaded 2-core machine.
  this.timeout(300_000);

  const disposables: vscode.Disposable[] = [];
  const breakpoints: vscode.Breakpoint[] = [];
  const stops: Stop[] = [];
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
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string; body?: { reason?: string; threadId?: number } }) => {
            if (message.type === 'event' && message.event === 'stopped')
              stops.push({ session, reason: message.body?.reason ?? '', threadId: message.body?.threadId ?? 0 });
          },
        }),
      }),
    );
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

  const pathOf = (frame: Frame) => (frame.source?.path?.includes('://') ? vscode.Uri.parse(frame.source.path).path : frame.source?.path);

  /** Waits for the stop at the breakpoint; reads `name` in the top frame; continues. Returns what it read. */
  async function stopReadContinue(after: number, settled: () => string | undefined): Promise<{ frame: Frame; name: string }> {
    const stop = await until(
      'the debugger to stop on the breakpoint in the handler',
      () => {
        const outcome = settled();
        if (outcome !== undefined && !stops.slice(after).some((s) => s.reason === 'breakpoint'))
          assert.fail(`it finished (${outcome}) without stopping on the breakpoint; stops: ${stops.map((s) => s.reason).join(', ') || 'none'}`);
        return stops.slice(after).find((s) => s.reason === 'breakpoint');
      },
      240_000,
    );
    const trace = (await stop.session.customRequest('stackTrace', { threadId: stop.threadId, startFrame: 0, levels: 20 })) as { stackFrames: Frame[] };
    const frame = trace.stackFrames[0]!;
    const read = (await stop.session.customRequest('evaluate', { expression: 'name', frameId: frame.id, context: 'watch' })) as { result: string };
    await stop.session.customRequest('continue', { threadId: stop.threadId });
    return { frame, name: read.result };
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

    const before = stops.length;
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
    const { frame, name } = await stopReadContinue(before, () => outcome);
    assert.equal(pathOf(frame), file, `stopped in the TypeScript handler (frame: ${JSON.stringify(frame)})`);
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
    const before = stops.length;
    let outcome: string | undefined;
    const invoking = Promise.resolve(
      vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.debugWithEvent', { functionName: 'HelloGuarded', payload }),
    ).then((r) => {
      outcome = r ? (r.error ? `${r.error.errorType}: ${r.error.errorMessage}` : 'succeeded') : 'no result';
      return r;
    });
    const { frame, name } = await stopReadContinue(before, () => outcome);
    assert.equal(pathOf(frame), file);
    assert.match(name, /Ada/);
    const result = await invoking;
    assert.ok(result && !result.error, `HelloGuarded succeeded: ${JSON.stringify(result)}`);
    assert.equal(JSON.parse(JSON.parse(result.payload).body).message, 'Hello, Ada!');
    for (const mw of ['request-log', 'auth', 'cors']) assert.match(result.logs, new RegExp(`^MIDDLEWARE ${mw} (before|after) \\d+\\.\\d\\d ms`, 'm'));
  });
});

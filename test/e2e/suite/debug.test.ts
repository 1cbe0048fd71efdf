// "Debug" must stop on a breakpoint in the TypeScript source (the AWS Toolkit's users report TS
// breakpoints that are never hit): a breakpoint in examples' HelloTs handler is hit, the top stack frame
// is that .ts file and line, the runner's own frames (its runtime client, which calls the handler) are skipped,
// and after continuing the invocation completes.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { InvokeResult } from '../../../runner/protocol.ts';
import { assertSucceeded, EXTENSION_ID, exampleEvent, exampleFunction, openRuntime, payloadOf, until } from './support.ts';

interface Stop { session: vscode.DebugSession; reason: string; threadId: number }

describe('debugging', () => {
  before(openRuntime);

  const disposables: vscode.Disposable[] = [];
  const breakpoints: vscode.Breakpoint[] = [];
  after(async () => {
    vscode.debug.removeBreakpoints(breakpoints);
    disposables.forEach((d) => d.dispose());
    await vscode.debug.stopDebugging();
  });

  it('stops on a breakpoint in the TypeScript handler, then completes the invocation', async () => {
    const fn = exampleFunction('HelloTs');
    const file = fn.file ?? '';
    assert.ok(file.endsWith('.ts') && fn.line !== undefined, 'HelloTs is a TypeScript handler');
    // The first statement of the handler's body.
    const line = fn.line + 1;
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);

    const sessions: vscode.DebugSession[] = [];
    const stops: Stop[] = [];
    const changed: vscode.BreakpointsChangeEvent[] = [];
    disposables.push(
      vscode.debug.onDidStartDebugSession((s) => sessions.push(s)),
      vscode.debug.onDidChangeBreakpoints((e) => changed.push(e)),
      // Sees the Debug Adapter Protocol traffic of every session (js-debug makes a child session per target).
      vscode.debug.registerDebugAdapterTrackerFactory('*', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string; body?: { reason?: string; threadId?: number } }) => {
            if (message.type === 'event' && message.event === 'stopped') {
              stops.push({ session, reason: message.body?.reason ?? '', threadId: message.body?.threadId ?? 0 });
            }
          },
        }),
      }),
    );
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(line, 0)));
    breakpoints.push(breakpoint);
    vscode.debug.addBreakpoints([breakpoint]);
    assert.ok(changed.some((e) => e.added.includes(breakpoint)), 'VS Code registered the breakpoint');

    const invoking = Promise.resolve(vscode.commands.executeCommand<InvokeResult | undefined>(
      'openRuntime.debugWithEvent', { functionName: 'HelloTs', payload: exampleEvent('hello-query.json') }));
    let settled = false;
    let outcome = 'no result';
    void invoking.then((r) => {
      settled = true;
      outcome = r ? (r.error ? `${r.error.errorType}: ${r.error.errorMessage}` : 'succeeded') : 'no result';
    }, (e: Error) => { settled = true; outcome = e.message; });

    const stop = await until('the debugger to stop on the breakpoint', () => {
      if (settled && !stops.some((s) => s.reason === 'breakpoint')) {
        assert.fail(`the invocation finished (${outcome}) without stopping on the breakpoint (sessions: ${sessions.map((s) => `${s.type}:${s.name}`).join(', ') || 'none'}; stops: ${stops.map((s) => s.reason).join(', ') || 'none'})`);
      }
      return stops.find((s) => s.reason === 'breakpoint');
    }, 90_000);
    assert.ok(sessions.length > 0, 'a debug session started');
    assert.ok(sessions.some((s) => s.configuration.request === 'attach'), 'the debugger attached to the function');

    type Frame = { name: string; line: number; presentationHint?: string; source?: { path?: string; presentationHint?: string; origin?: string } };
    const trace = await stop.session.customRequest('stackTrace', { threadId: stop.threadId, startFrame: 0, levels: 50 }) as { stackFrames: Frame[] };
    const top = trace.stackFrames[0];
    assert.ok(top, 'the stopped thread has a stack');
    // In a remote window (code-server) VS Code hands DAP paths to extensions as vscode-remote:// URIs.
    const pathOf = (frame: Frame) => (frame.source?.path?.includes('://') ? vscode.Uri.parse(frame.source.path).path : frame.source?.path);
    const framePath = pathOf(top);
    assert.equal(framePath, file, `the top frame is in the TypeScript source (frame: ${JSON.stringify(top)})`);
    assert.equal(top.line, line + 1, 'the top frame is on the breakpoint line (1-based)');
    // Below the handler, the runner's runtime client called it: those frames are skipped (skipFiles), so the call
    // stack a user reads is theirs. VS Code folds skipped frames away; none is shown as the user's code.
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const runnerFrames = trace.stackFrames.filter((frame) => ['/runner/', '/dist/'].some((dir) => pathOf(frame)?.startsWith(`${root}${dir}`)));
    const describe = (frames: Frame[]) => frames.map((f) => `${f.name} ${pathOf(f) ?? '?'}:${f.line} [${f.presentationHint ?? ''}/${f.source?.presentationHint ?? ''}]`).join('\n');
    assert.ok(trace.stackFrames.length > runnerFrames.length, `the stack has the user's frames:\n${describe(trace.stackFrames)}`);
    const shown = runnerFrames.filter((frame) => frame.source?.presentationHint !== 'deemphasize' && frame.presentationHint !== 'deemphasize');
    assert.deepEqual(describe(shown), '', `no frame of the runner's ${root} is shown as the user's code; the whole stack:\n${describe(trace.stackFrames)}`);

    await stop.session.customRequest('continue', { threadId: stop.threadId });
    await until('the invocation to complete after continuing', () => settled || undefined, 60_000);
    const result = await invoking;
    assert.ok(result, 'openRuntime.debugWithEvent returned a result');
    assertSucceeded(result);
    assert.equal(JSON.parse(payloadOf(result).body).message, 'Hello, Ada!');
  });
});

// "Debug" must stop on a breakpoint in the TypeScript source (the AWS Toolkit's users report TS
// breakpoints that are never hit): a breakpoint in examples' HelloTs handler is hit, the top stack frame
// is that .ts file and line, the runner's own frames (its runtime client, which calls the handler) are skipped,
// and after continuing the invocation completes. Python: with no Python extension in VS Code, "Debug" on a Python
// handler attaches to debugpy in the function's process (Debian's python3-debugpy), stops on the breakpoint, shows a
// local's value, steps a line and completes. Go: the same through Delve's headless DAP server (Debian's delve), the
// function built for debugging on this machine.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { InvokeResult } from '../../../runner/protocol.ts';
import { assertSucceeded, EXTENSION_ID, exampleEvent, exampleFunction, openRuntime, payloadOf, until, workspaceDir } from './support.ts';

interface Stop {
  session: vscode.DebugSession;
  reason: string;
  threadId: number;
}

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
    assert.ok(
      changed.some((e) => e.added.includes(breakpoint)),
      'VS Code registered the breakpoint',
    );

    const invoking = Promise.resolve(
      vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.debugWithEvent', {
        functionName: 'HelloTs',
        payload: exampleEvent('hello-query.json'),
      }),
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

    const stop = await until(
      'the debugger to stop on the breakpoint',
      () => {
        if (settled && !stops.some((s) => s.reason === 'breakpoint')) {
          assert.fail(
            `the invocation finished (${outcome}) without stopping on the breakpoint (sessions: ${sessions.map((s) => `${s.type}:${s.name}`).join(', ') || 'none'}; stops: ${stops.map((s) => s.reason).join(', ') || 'none'})`,
          );
        }
        return stops.find((s) => s.reason === 'breakpoint');
      },
      90_000,
    );
    assert.ok(sessions.length > 0, 'a debug session started');
    assert.ok(
      sessions.some((s) => s.configuration.request === 'attach'),
      'the debugger attached to the function',
    );

    type Frame = { name: string; line: number; presentationHint?: string; source?: { path?: string; presentationHint?: string; origin?: string } };
    const trace = (await stop.session.customRequest('stackTrace', { threadId: stop.threadId, startFrame: 0, levels: 50 })) as { stackFrames: Frame[] };
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
    const describe = (frames: Frame[]) =>
      frames.map((f) => `${f.name} ${pathOf(f) ?? '?'}:${f.line} [${f.presentationHint ?? ''}/${f.source?.presentationHint ?? ''}]`).join('\n');
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

  it('stops on a breakpoint in a Python handler without the Python extension, shows a local, steps and completes', async () => {
    assert.equal(
      vscode.extensions.getExtension('ms-python.debugpy') ?? vscode.extensions.getExtension('ms-python.python'),
      undefined,
      "no Python extension is installed: the debugger is Open Runtime's own DAP connection to debugpy",
    );
    const fn = exampleFunction('PythonHello');
    const file = fn.file ?? '';
    assert.ok(file.endsWith('app.py') && fn.line !== undefined, 'PythonHello is a Python handler');
    const source = (await vscode.workspace.openTextDocument(file)).getText().split('\n');
    // The line after `name = ...` (0-based), where `name` has its value.
    const line = source.findIndex((l, i) => i > fn.line! && l.includes('logger.info('));
    assert.ok(line > fn.line!, 'the handler logs after computing name');
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);

    const sessions: vscode.DebugSession[] = [];
    const stops: Stop[] = [];
    disposables.push(
      vscode.debug.onDidStartDebugSession((s) => sessions.push(s)),
      vscode.debug.registerDebugAdapterTrackerFactory('openruntime-python', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string; body?: { reason?: string; threadId?: number } }) => {
            if (message.type === 'event' && message.event === 'stopped')
              stops.push({ session, reason: message.body?.reason ?? '', threadId: message.body?.threadId ?? 0 });
          },
        }),
      }),
    );
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(line, 0)));
    breakpoints.push(breakpoint);
    vscode.debug.addBreakpoints([breakpoint]);

    const invoking = Promise.resolve(
      vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.debugWithEvent', { functionName: 'PythonHello', payload: { name: 'Ada' } }),
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
    const stopped = (reason: string, after: number) =>
      until(
        `the Python debugger to stop (${reason})`,
        () => {
          if (settled)
            assert.fail(
              `the invocation finished (${outcome}) without stopping (${reason}); sessions: ${sessions.map((s) => s.type).join(', ') || 'none'}; stops: ${stops.map((s) => s.reason).join(', ') || 'none'}`,
            );
          return stops.slice(after).find((s) => s.reason === reason);
        },
        90_000,
      );

    const stop = await stopped('breakpoint', 0);
    assert.equal(stop.session.type, 'openruntime-python');
    assert.equal(stop.session.configuration.request, 'attach');
    type Frame = { id: number; name: string; line: number; source?: { path?: string } };
    const pathOf = (frame: Frame) => (frame.source?.path?.includes('://') ? vscode.Uri.parse(frame.source.path).path : frame.source?.path);
    const topFrame = async (threadId: number) => {
      const trace = (await stop.session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 20 })) as { stackFrames: Frame[] };
      return trace.stackFrames[0]!;
    };
    const top = await topFrame(stop.threadId);
    assert.equal(pathOf(top), file, `the top frame is in app.py (frame: ${JSON.stringify(top)})`);
    assert.equal(top.line, line + 1, 'the top frame is on the breakpoint line (1-based)');
    const { scopes } = (await stop.session.customRequest('scopes', { frameId: top.id })) as { scopes: { name: string; variablesReference: number }[] };
    const locals = scopes.find((sc) => /local/i.test(sc.name)) ?? scopes[0]!;
    const { variables } = (await stop.session.customRequest('variables', { variablesReference: locals.variablesReference })) as {
      variables: { name: string; value: string }[];
    };
    assert.equal(
      variables.find((v) => v.name === 'name')?.value,
      "'Ada'",
      `the local name is 'Ada': ${variables.map((v) => `${v.name}=${v.value}`).join(', ')}`,
    );

    const before = stops.length;
    await stop.session.customRequest('next', { threadId: stop.threadId });
    const step = await stopped('step', before);
    // The next statement is `return {...}`: Python reports its first line, or (3.12) the line of its first value.
    const stepLine = (await topFrame(step.threadId)).line;
    assert.ok(
      stepLine > line + 1 && /return \{|"message"/.test(source[stepLine - 1] ?? ''),
      `one step went on to the return statement (line ${stepLine}: ${source[stepLine - 1]})`,
    );

    await stop.session.customRequest('continue', { threadId: stop.threadId });
    await until('the invocation to complete after continuing', () => settled || undefined, 60_000);
    const result = await invoking;
    assert.ok(result, 'openRuntime.debugWithEvent returned a result');
    assertSucceeded(result);
    assert.equal(payloadOf(result).message, 'Hello, Ada!');
  });

  it('stops on a breakpoint in a Go handler under Delve without the Go extension, shows a field, steps and completes', async function () {
    // The first debug build compiles Go's standard library without optimisations: minutes on a busy 2-core machine.
    this.timeout(300_000);
    const file = join(workspaceDir(), 'functions', 'go-hello', 'main.go');
    const source = (await vscode.workspace.openTextDocument(file)).getText().split('\n');
    const line = source.findIndex((l) => l.includes('if e.Name == ""')); // 0-based
    assert.ok(line > 0, 'main.go checks the name');
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);

    const stops: Stop[] = [];
    disposables.push(
      vscode.debug.registerDebugAdapterTrackerFactory('openruntime-go', {
        createDebugAdapterTracker: (session) => ({
          onDidSendMessage: (message: { type?: string; event?: string; body?: { reason?: string; threadId?: number } }) => {
            if (message.type === 'event' && message.event === 'stopped')
              stops.push({ session, reason: message.body?.reason ?? '', threadId: message.body?.threadId ?? 0 });
          },
        }),
      }),
    );
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(line, 0)));
    breakpoints.push(breakpoint);
    vscode.debug.addBreakpoints([breakpoint]);

    const invoking = Promise.resolve(
      vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.debugWithEvent', { functionName: 'GoHello', payload: { name: 'Ada' } }),
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
    const stopped = (reason: string, after: number) =>
      until(
        `the Go debugger to stop (${reason})`,
        () => {
          if (settled)
            assert.fail(`the invocation finished (${outcome}) without stopping (${reason}); stops: ${stops.map((s) => s.reason).join(', ') || 'none'}`);
          return stops.slice(after).find((s) => s.reason === reason);
        },
        240_000,
      );

    const stop = await stopped('breakpoint', 0);
    assert.equal(stop.session.type, 'openruntime-go');
    type Frame = { id: number; name: string; line: number; source?: { path?: string } };
    const pathOf = (frame: Frame) => (frame.source?.path?.includes('://') ? vscode.Uri.parse(frame.source.path).path : frame.source?.path);
    const topFrame = async (threadId: number) =>
      ((await stop.session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 20 })) as { stackFrames: Frame[] }).stackFrames[0]!;
    const top = await topFrame(stop.threadId);
    assert.equal(pathOf(top), file, `the top frame is in main.go (frame: ${JSON.stringify(top)})`);
    assert.equal(top.line, line + 1, 'the top frame is on the breakpoint line (1-based)');
    assert.equal(top.name, 'main.handle');
    const { scopes } = (await stop.session.customRequest('scopes', { frameId: top.id })) as { scopes: { name: string; variablesReference: number }[] };
    const { variables } = (await stop.session.customRequest('variables', { variablesReference: scopes[0]!.variablesReference })) as {
      variables: { name: string; value: string; variablesReference: number }[];
    };
    const e = variables.find((v) => v.name === 'e');
    assert.ok(e, `the local e is shown: ${variables.map((v) => v.name).join(', ')}`);
    const fields = (await stop.session.customRequest('variables', { variablesReference: e.variablesReference })) as {
      variables: { name: string; value: string }[];
    };
    assert.equal(fields.variables.find((v) => v.name === 'Name')?.value, '"Ada"');

    const before = stops.length;
    await stop.session.customRequest('next', { threadId: stop.threadId });
    const step = await stopped('step', before);
    // The name is set, so the step skips the default and goes on into the return statement (to the line of the first
    // value it computes, as the compiler's line table says: a call such as os.Getenv comes first).
    const stepLine = (await topFrame(step.threadId)).line;
    const returnAt = source.findIndex((l) => l.includes('return greeting{')) + 1;
    const returnEnd = source.findIndex((l, i) => i >= returnAt && l.includes('}, nil')) + 1;
    assert.ok(
      stepLine >= returnAt && stepLine <= returnEnd,
      `one step went on into the return statement, lines ${returnAt}-${returnEnd} (line ${stepLine}: ${source[stepLine - 1]?.trim()})`,
    );

    await stop.session.customRequest('continue', { threadId: stop.threadId });
    await until('the invocation to complete after continuing', () => settled || undefined, 60_000);
    const result = await invoking;
    assert.ok(result, 'openRuntime.debugWithEvent returned a result');
    assertSucceeded(result);
    assert.equal(payloadOf(result).message, 'Hello, Ada!');
  });
});

// "Debug" must stop on a breakpoint in the TypeScript source (the AWS Toolkit's users report TS
// breakpoints that are never hit): a breakpoint in examples' HelloTs handler is hit, the top stack frame
// is that .ts file and line, the runner's own frames (its runtime client, which calls the handler) are skipped,
// and after continuing the invocation completes. Python: with no Python extension in VS Code, "Debug" on a Python
// handler attaches to debugpy in the function's process (Debian's python3-debugpy), stops on the breakpoint, shows a
// local's value, steps a line and completes. Go: the same through Delve's headless DAP server (Debian's delve), the
// function built for debugging on this machine. Rust: the same through lldb's DAP server (Debian's lldb), without
// CodeLLDB, the function's debug build launched by lldb when VS Code attaches. The stop and step tracking is one
// helper for all four (support.ts debugInvocation).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  type DebugFrame,
  debugInvocation,
  debugStops,
  EXTENSION_ID,
  exampleEvent,
  exampleFunction,
  framePath,
  openRuntime,
  payloadOf,
  until,
  workspaceDir,
} from './support.ts';

describe('debugging', () => {
  before(openRuntime);

  const disposables: vscode.Disposable[] = [];
  const breakpoints: vscode.Breakpoint[] = [];
  after(async () => {
    vscode.debug.removeBreakpoints(breakpoints);
    disposables.forEach((d) => d.dispose());
    await vscode.debug.stopDebugging();
  });

  /** A breakpoint at `line` (0-based) of `file`, shown in an editor; returns whether VS Code registered it. */
  async function breakAt(file: string, line: number): Promise<boolean> {
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri);
    const changed: vscode.BreakpointsChangeEvent[] = [];
    const listening = vscode.debug.onDidChangeBreakpoints((e) => changed.push(e));
    const breakpoint = new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(line, 0)));
    breakpoints.push(breakpoint);
    vscode.debug.addBreakpoints([breakpoint]);
    listening.dispose();
    return changed.some((e) => e.added.includes(breakpoint));
  }

  it('stops on a breakpoint in the TypeScript handler, then completes the invocation', async function () {
    // First in the suite: the runner starts with it; on a machine at load 30 that alone can take most of a minute.
    this.timeout(180_000);
    const fn = exampleFunction('HelloTs');
    const file = fn.file ?? '';
    assert.ok(file.endsWith('.ts') && fn.line !== undefined, 'HelloTs is a TypeScript handler');
    // The first statement of the handler's body.
    const line = fn.line + 1;
    assert.ok(await breakAt(file, line), 'VS Code registered the breakpoint');
    // Every session: js-debug makes a child session per target.
    const debug = debugInvocation({ debugType: '*', functionName: 'HelloTs', payload: exampleEvent('hello-query.json') }, disposables);

    const stop = await debug.stopped('breakpoint', 0, 150_000);
    assert.ok(debug.sessions.length > 0, 'a debug session started');
    assert.ok(
      debug.sessions.some((s) => s.configuration.request === 'attach'),
      'the debugger attached to the function',
    );
    const stackFrames = await debug.frames(stop, stop.threadId, 50);
    const top = stackFrames[0];
    assert.ok(top, 'the stopped thread has a stack');
    assert.equal(framePath(top), file, `the top frame is in the TypeScript source (frame: ${JSON.stringify(top)})`);
    assert.equal(top.line, line + 1, 'the top frame is on the breakpoint line (1-based)');
    // Below the handler, the runner's runtime client called it: those frames are skipped (skipFiles), so the call
    // stack a user reads is theirs. VS Code folds skipped frames away; none is shown as the user's code.
    const root = vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath;
    const runnerFrames = stackFrames.filter((frame) => ['/runner/', '/dist/'].some((dir) => framePath(frame)?.startsWith(`${root}${dir}`)));
    const describe = (frames: DebugFrame[]) =>
      frames.map((f) => `${f.name} ${framePath(f) ?? '?'}:${f.line} [${f.presentationHint ?? ''}/${f.source?.presentationHint ?? ''}]`).join('\n');
    assert.ok(stackFrames.length > runnerFrames.length, `the stack has the user's frames:\n${describe(stackFrames)}`);
    const shown = runnerFrames.filter((frame) => frame.source?.presentationHint !== 'deemphasize' && frame.presentationHint !== 'deemphasize');
    assert.deepEqual(describe(shown), '', `no frame of the runner's ${root} is shown as the user's code; the whole stack:\n${describe(stackFrames)}`);

    const result = await debug.completes(stop);
    assert.equal(JSON.parse(payloadOf(result).body).message, 'Hello, Ada!');
    // The event was given (no picker): the invocation still ran in the environment prepared for the click, with one session.
    const attaches = debug.sessions.filter((s) => s.configuration.request === 'attach' && s.name === 'Open Runtime: HelloTs');
    assert.equal(attaches.length, 1, `one debug session for the click: ${debug.sessions.map((s) => s.name).join(', ')}`);
  });

  it('attaches while the event is picked (no event sent yet); the picked event stops in that session; leaving the picker instead ends the session', async function () {
    this.timeout(180_000);
    const api = await openRuntime();
    const fn = exampleFunction('HelloTs');
    const file = fn.file ?? '';
    const line = (fn.line ?? 0) + 1;
    const bound = vscode.debug.breakpoints.some(
      (b) => b instanceof vscode.SourceBreakpoint && b.location.uri.fsPath === file && b.location.range.start.line === line,
    );
    if (!bound) assert.ok(await breakAt(file, line), 'VS Code registered the breakpoint');
    const ended: vscode.DebugSession[] = [];
    disposables.push(vscode.debug.onDidTerminateDebugSession((s) => ended.push(s)));
    const attachedFor = (sessions: readonly vscode.DebugSession[]) =>
      sessions.find((s) => s.configuration.request === 'attach' && s.name === 'Open Runtime: HelloTs' && !ended.includes(s));

    // Debug, then Escape in the picker: the session that attached meanwhile ends with its environment, nothing ran.
    const historyBefore = api.history().length;
    const leaving = debugStops('*', disposables);
    const left = Promise.resolve(vscode.commands.executeCommand('openRuntime.debugWithEvent', { functionName: 'HelloTs' }));
    const early = await until('a debugger attached while the event picker is open', () => attachedFor(leaving.sessions), 60_000);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await left, undefined, 'leaving the picker runs nothing');
    await until('the session of the left picker to end', () => ended.includes(early) || undefined, 30_000);
    assert.equal(api.history().length, historyBefore, 'no invocation in the history');
    assert.deepEqual(leaving.stops, [], 'it never stopped: no event reached the function');

    // Debug, and pick the first event once the debugger is attached: the stop comes in that same session.
    const picking = debugStops('*', disposables);
    const invoking = Promise.resolve(
      vscode.commands.executeCommand<{ payload: string } | undefined>('openRuntime.debugWithEvent', { functionName: 'HelloTs' }),
    );
    const attached = await until('a debugger attached while the event picker is open', () => attachedFor(picking.sessions), 60_000);
    assert.equal(api.history().length, historyBefore, 'attached before any event was sent');
    await until(
      'the event QuickPick to accept its first item',
      async () => {
        if (picking.stops.length) return true;
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await new Promise((r) => setTimeout(r, 300));
        return picking.stops.length > 0 || undefined;
      },
      60_000,
    );
    const stop = await picking.stopped('the HelloTs debugger', 'breakpoint', () => undefined, 0, 60_000);
    assert.ok(stop.session === attached || stop.session.parentSession === attached, `stopped in the session attached during the picker (${stop.session.name})`);
    assert.equal(framePath(await picking.topFrame(stop)), file);
    assert.equal(
      picking.sessions.filter((s) => s.configuration.request === 'attach' && s.name === 'Open Runtime: HelloTs').length,
      1,
      'one attach, not a second',
    );
    await stop.session.customRequest('continue', { threadId: stop.threadId });
    const result = await invoking;
    assert.ok(result, 'the picked event ran');
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
    await breakAt(file, line);
    const debug = debugInvocation({ debugType: 'openruntime-python', functionName: 'PythonHello', payload: { name: 'Ada' } }, disposables);

    const stop = await debug.stopped('breakpoint');
    assert.equal(stop.session.type, 'openruntime-python');
    assert.equal(stop.session.configuration.request, 'attach');
    const top = await debug.topFrame(stop);
    assert.equal(framePath(top), file, `the top frame is in app.py (frame: ${JSON.stringify(top)})`);
    assert.equal(top.line, line + 1, 'the top frame is on the breakpoint line (1-based)');
    const variables = await debug.locals(stop, top);
    assert.equal(
      variables.find((v) => v.name === 'name')?.value,
      "'Ada'",
      `the local name is 'Ada': ${variables.map((v) => `${v.name}=${v.value}`).join(', ')}`,
    );

    const before = debug.stops.length;
    await stop.session.customRequest('next', { threadId: stop.threadId });
    const step = await debug.stopped('step', before);
    // The next statement is `return {...}`: Python reports its first line, or (3.12) the line of its first value.
    const stepLine = (await debug.topFrame(step)).line;
    assert.ok(
      stepLine > line + 1 && /return \{|"message"/.test(source[stepLine - 1] ?? ''),
      `one step went on to the return statement (line ${stepLine}: ${source[stepLine - 1]})`,
    );

    const result = await debug.completes(stop);
    assert.equal(payloadOf(result).message, 'Hello, Ada!');
  });

  it('stops on a breakpoint in a Go handler under Delve without the Go extension, shows a field, steps and completes', async function () {
    // The first debug build compiles Go's standard library without optimisations: minutes on a busy 2-core machine.
    this.timeout(300_000);
    const file = join(workspaceDir(), 'functions', 'go-hello', 'main.go');
    const source = (await vscode.workspace.openTextDocument(file)).getText().split('\n');
    const line = source.findIndex((l) => l.includes('if e.Name == ""')); // 0-based
    assert.ok(line > 0, 'main.go checks the name');
    await breakAt(file, line);
    const debug = debugInvocation({ debugType: 'openruntime-go', functionName: 'GoHello', payload: { name: 'Ada' } }, disposables);

    const stop = await debug.stopped('breakpoint', 0, 240_000);
    assert.equal(stop.session.type, 'openruntime-go');
    const top = await debug.topFrame(stop);
    assert.equal(framePath(top), file, `the top frame is in main.go (frame: ${JSON.stringify(top)})`);
    assert.equal(top.line, line + 1, 'the top frame is on the breakpoint line (1-based)');
    assert.equal(top.name, 'main.handle');
    const e = (await debug.locals(stop, top)).find((v) => v.name === 'e');
    assert.ok(e, 'the local e is shown');
    const fields = (await stop.session.customRequest('variables', { variablesReference: e.variablesReference })) as {
      variables: { name: string; value: string }[];
    };
    assert.equal(fields.variables.find((v) => v.name === 'Name')?.value, '"Ada"');

    const before = debug.stops.length;
    await stop.session.customRequest('next', { threadId: stop.threadId });
    const step = await debug.stopped('step', before);
    // The name is set, so the step skips the default and goes on into the return statement (to the line of the first
    // value it computes, as the compiler's line table says: a call such as os.Getenv comes first).
    const stepLine = (await debug.topFrame(step)).line;
    const returnAt = source.findIndex((l) => l.includes('return greeting{')) + 1;
    const returnEnd = source.findIndex((l, i) => i >= returnAt && l.includes('}, nil')) + 1;
    assert.ok(
      stepLine >= returnAt && stepLine <= returnEnd,
      `one step went on into the return statement, lines ${returnAt}-${returnEnd} (line ${stepLine}: ${source[stepLine - 1]?.trim()})`,
    );

    const result = await debug.completes(stop);
    assert.equal(payloadOf(result).message, 'Hello, Ada!');
  });

  it('stops on a breakpoint in a Rust handler under lldb without CodeLLDB, shows a local, steps and completes', async function () {
    // The first debug build compiles the function with cargo: seconds, more on a busy machine.
    this.timeout(300_000);
    const file = join(workspaceDir(), 'functions', 'rust-hello', 'src', 'main.rs');
    const source = (await vscode.workspace.openTextDocument(file)).getText().split('\n');
    const line = source.findIndex((l) => l.includes('if name.is_empty()')); // 0-based
    assert.ok(line > 0, 'main.rs checks the name');
    assert.ok(await breakAt(file, line), 'VS Code takes a breakpoint in a .rs file (the openruntime-lldb type declares Rust)');
    const debug = debugInvocation({ debugType: 'openruntime-lldb', functionName: 'RustHello', payload: { name: 'Ada' } }, disposables);

    const stop = await debug.stopped('breakpoint', 0, 240_000);
    assert.equal(stop.session.type, 'openruntime-lldb');
    assert.equal(stop.session.configuration.request, 'attach');
    const top = await debug.topFrame(stop);
    assert.equal(framePath(top), file, `the top frame is in main.rs (frame: ${JSON.stringify(top)})`);
    assert.equal(top.line, line + 1, 'the top frame is on the breakpoint line (1-based)');
    assert.match(top.name, /rust_hello::handle/);
    const variables = await debug.locals(stop, top);
    assert.ok(
      ['request_id', 'event', 'name'].every((n) => variables.some((v) => v.name === n)),
      `the locals are shown: ${variables.map((v) => v.name).join(', ')}`,
    );
    // lldb 14 has no Rust formatters: the String's length is read from its fields.
    const length = (await stop.session.customRequest('evaluate', { expression: 'name.vec.len', frameId: top.id, context: 'watch' })) as { result: string };
    assert.equal(length.result, '3', 'name holds "Ada"');

    const before = debug.stops.length;
    await stop.session.customRequest('next', { threadId: stop.threadId });
    const step = await debug.stopped('step', before);
    // The name is set, so the step skips the default and goes on to the greeting.
    const stepLine = (await debug.topFrame(step)).line;
    const greetingAt = source.findIndex((l) => l.includes('let greeting = format!')) + 1;
    assert.equal(stepLine, greetingAt, `one step went on to the greeting (line ${stepLine}: ${source[stepLine - 1]?.trim()})`);

    const result = await debug.completes(stop);
    assert.equal(payloadOf(result).message, 'Hello, Ada!');
  });
});

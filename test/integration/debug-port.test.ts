// `--debug-port N` on `invoke` and `start`, as SAM's -d: a Node function waits for a debugger on 127.0.0.1:N and
// runs once one attaches. The debugger here is a real inspector client: the test reads the inspector's /json/list
// and speaks the Chrome DevTools Protocol over a WebSocket (Node's own), as VS Code and chrome://inspect do.
// Python waits for debugpy, reached by a real DAP client (debugpy serves the Debug Adapter Protocol itself; Debian's
// python3-debugpy is found for any Python 3), with a clear init error when there is none; other runtimes are refused.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { cdpClient } from './support/cdp-client.ts';
import { dapClient } from './support/dap-client.ts';
import { CLI, FIXTURE_PATH, freePort, post, removeTemps, startCli, tempDir, waitFor, writeTemplate, type TemplateFunction } from './support/runner.ts';

after(removeTemps);

function project(fns: Array<Omit<TemplateFunction, 'codeUri'> & { files: Record<string, string> }>): string {
  const dir = tempDir('debug-port');
  const entries = fns.map(({ files, ...fn }) => {
    const code = join(dir, fn.name);
    mkdirSync(code, { recursive: true });
    for (const [file, text] of Object.entries(files)) writeFileSync(join(code, file), text);
    return { ...fn, codeUri: code };
  });
  return writeTemplate(dir, entries);
}

const NODE_FN = {
  name: 'NodeDebugged',
  runtime: 'nodejs20.x',
  handler: 'app.handler',
  files: { 'app.mjs': 'export const handler = async (event) => ({ debugged: true, got: event });\n' },
};

/** `invoke --debug-port` of `name` as a child process, its output collected. */
function debugInvoke(name: string, template: string, port: number, event: string, env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [CLI, 'invoke', name, '--template', template, '--debug-port', String(port), '--event', '-'], {
    env: { ...process.env, PATH: FIXTURE_PATH, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(event);
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk) => (out.stdout += chunk));
  child.stderr.on('data', (chunk) => (out.stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return { child, out, exited };
}

/**
 * Attaches a DAP client to the debugger on `port` as an editor does (initialize, attach, one breakpoint at file:line,
 * configurationDone) and waits for the function to stop there; `checkSet` sees the setBreakpoints answer.
 */
async function stopAtBreakpoint(port: number, adapterID: string, attach: object, file: string, line: number, checkSet: (set: any) => void) {
  const dap = await dapClient(port);
  await dap.request('initialize', { adapterID, clientID: 'open-runtime-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
  const attached = dap.request('attach', attach);
  await dap.event('initialized');
  checkSet(await dap.request('setBreakpoints', { source: { path: file }, breakpoints: [{ line }] }));
  await dap.request('configurationDone');
  await attached;
  const stopped = await dap.event('stopped', (b) => b.reason === 'breakpoint');
  const { stackFrames } = await dap.request('stackTrace', { threadId: stopped.threadId, levels: 5 });
  assert.equal(stackFrames[0].source.path, file);
  assert.equal(stackFrames[0].line, line);
  const { scopes } = await dap.request('scopes', { frameId: stackFrames[0].id });
  const { variables } = await dap.request('variables', { variablesReference: scopes[0].variablesReference });
  return { dap, frame: stackFrames[0], variables, resume: () => dap.request('continue', { threadId: stopped.threadId }, { programMayEnd: true }) };
}

/** Attaches to the inspector on `port` as a debugger does, asks one question, and lets the program run. */
async function attachAndRun(port: number): Promise<{ functionName: string; close: () => void }> {
  const session = await cdpClient(port);
  await session.send('Runtime.enable');
  const evaluated = await session.send('Runtime.evaluate', { expression: 'process.env.AWS_LAMBDA_FUNCTION_NAME' });
  await session.send('Runtime.runIfWaitingForDebugger', {}, { programMayEnd: true });
  return { functionName: evaluated.result.value, close: session.close };
}

test('invoke --debug-port: the Node function waits for a debugger on that port, and answers once a real inspector client attaches', async () => {
  const template = project([NODE_FN]);
  const port = await freePort();
  const { child, out, exited } = debugInvoke('NodeDebugged', template, port, '{"order":7}');
  try {
    await waitFor(
      'the function to wait for a debugger',
      () => out.stderr.includes(`NodeDebugged waits for a Node debugger (VS Code "Attach", chrome://inspect) on 127.0.0.1:${port}`),
      20_000,
    ).catch(() => assert.fail(out.stderr));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(out.stdout, '', 'nothing runs before a debugger attaches');
    assert.equal(child.exitCode, null);
    const debuggerSession = await attachAndRun(port);
    assert.equal(debuggerSession.functionName, 'NodeDebugged', "the debugger is attached to the function's own process");
    assert.equal(await exited, 0, out.stderr);
    debuggerSession.close();
    assert.deepEqual(JSON.parse(out.stdout), { debugged: true, got: { order: 7 } });
  } finally {
    child.kill('SIGKILL');
  }
});

test('start --debug-port: an Invoke API call waits for the debugger, then answers; a provided function is named as not debuggable', async () => {
  const template = project([NODE_FN, { name: 'Shell', runtime: 'provided.al2023', handler: 'x', files: { bootstrap: '#!/bin/sh\nexit 1\n' } }]);
  const port = await freePort();
  const runner = await startCli(['start', '--port', '0', '--api-port', '0', '--template', template, '--debug-port', String(port)], {
    cwd: tempDir('debug-start'),
    banner: /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    assert.match(
      runner.stderr(),
      new RegExp(`each invocation of a Node, Python, Go, Rust, C or C\\+\\+ function waits for a debugger on 127\\.0\\.0\\.1:${port}`),
    );
    assert.match(runner.stderr(), /--debug-port is not supported for Shell \(provided\.al2023\): they run without a debugger\./);
    const reply = post(
      `${runner.endpoint}/2015-03-31/functions/NodeDebugged/invocations`,
      '{"n":1}',
      { Authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0' },
      30_000,
    );
    await waitFor(
      'the function to wait for a debugger',
      () => runner.stderr().includes(`waits for a Node debugger (VS Code "Attach", chrome://inspect) on 127.0.0.1:${port}`),
      20_000,
    );
    const session = await attachAndRun(port);
    const answer = await reply;
    session.close();
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json(), { debugged: true, got: { n: 1 } });
  } finally {
    await runner.stop();
  }
});

function invokeCli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'invoke', ...args],
      { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: FIXTURE_PATH, ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('invoke --debug-port on a provided function with a shell bootstrap is refused in one line naming the runtime; a bad port too', async () => {
  const template = project([{ name: 'Custom', runtime: 'provided.al2023', handler: 'x', files: { bootstrap: '#!/bin/sh\nexit 1\n' } }]);
  const refused = await invokeCli(['Custom', '--template', template, '--debug-port', String(await freePort())]);
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /^open-runtime: --debug-port is not supported for provided\.al2023 \(Custom\): only Node \(inspector\), Python \(debugpy\), Go \(Delve\), and Rust, C or C\+\+ \(lldb\) functions can wait for a debugger\./,
  );
  const bad = await invokeCli(['Custom', '--template', template, '-d', 'abc']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /^open-runtime: Bad debug port "abc"/);
});

test('invoke --debug-port on a port something else holds: a Runtime.DebuggerUnavailable init error saying so, not a wait forever', async () => {
  const template = project([NODE_FN]);
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const port = (holder.address() as AddressInfo).port;
  try {
    const result = await invokeCli(['NodeDebugged', '--template', template, '--debug-port', String(port)]);
    assert.equal(result.code, 1, result.stderr);
    const error = JSON.parse(result.stdout);
    assert.equal(error.errorType, 'Runtime.DebuggerUnavailable');
    assert.match(error.errorMessage, new RegExp(`The debugger could not listen on 127\\.0\\.0\\.1:${port}: the port is taken`));
  } finally {
    holder.close();
  }
});

test('invoke --debug-port on a Python function without debugpy: the init error says how to install it', async (t) => {
  const hasDebugpy = await new Promise<boolean>((resolve) => execFile('python3', ['-c', 'import debugpy'], (err) => resolve(!err)));
  if (hasDebugpy) return t.skip('debugpy is installed into python3 itself here: the missing-debugpy error cannot happen');
  const template = project([
    { name: 'PyDebugged', runtime: 'python3.11', handler: 'app.handler', files: { 'app.py': 'def handler(event, context):\n    return 1\n' } },
  ]);
  // No system debugpy either: the folder where the client looks for Debian's python3-debugpy is empty.
  const result = await invokeCli(['PyDebugged', '--template', template, '--debug-port', String(await freePort())], {
    OPEN_RUNTIME_DEBUGPY_PATH: tempDir('no-debugpy'),
  });
  assert.equal(result.code, 1, result.stderr);
  const error = JSON.parse(result.stdout);
  assert.match(error.errorMessage, /Debugging needs the debugpy package, which is not installed .* apt install python3-debugpy/);
});

test("invoke --debug-port on a Python function: any DAP client attaches to debugpy (Debian's python3-debugpy), stops on a breakpoint, reads a local and continues", async () => {
  const source = 'def handler(event, context):\n    order = event["order"]\n    return {"debugged": True, "order": order}\n';
  const template = project([{ name: 'PyDebugged', runtime: 'python3.11', handler: 'app.handler', files: { 'app.py': source } }]);
  const file = join(dirname(template), 'PyDebugged', 'app.py');
  const port = await freePort();
  const { child, out, exited } = debugInvoke('PyDebugged', template, port, '{"order":7}');
  try {
    await waitFor('the function to wait for a debugger', () => out.stderr.includes(`on 127.0.0.1:${port}`) || undefined, 30_000).catch(() =>
      assert.fail(out.stderr),
    );
    assert.equal(out.stdout, '', 'nothing runs before a debugger attaches');
    const { dap, variables, resume } = await stopAtBreakpoint(port, 'debugpy', { justMyCode: true }, file, 3, (set) => assert.equal(set.breakpoints.length, 1));
    assert.equal(variables.find((v: { name: string }) => v.name === 'order')?.value, '7', JSON.stringify(variables));
    await resume();
    assert.equal(await exited, 0, out.stderr);
    dap.close();
    assert.deepEqual(JSON.parse(out.stdout), { debugged: true, order: 7 });
  } finally {
    child.kill('SIGKILL');
  }
});

test('invoke --debug-port on a Go function: built for debugging, run under Delve, any DAP client attaches (mode remote), stops on a breakpoint, reads a local and continues', async () => {
  const example = join(import.meta.dirname, '..', '..', 'examples', 'functions', 'go-hello');
  const source = readFileSync(join(example, 'main.go'), 'utf8');
  // An arm64 function: Delve cannot debug under qemu, so the session runs a build for this machine and says so.
  const template = project([
    {
      name: 'GoDebugged',
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      architectures: ['arm64'],
      files: { 'main.go': source, 'go.mod': readFileSync(join(example, 'go.mod'), 'utf8') },
    },
  ]);
  const file = join(dirname(template), 'GoDebugged', 'main.go');
  const line = source.split('\n').findIndex((l) => l.includes('if e.Name == ""')) + 1;
  assert.ok(line > 0, 'the handler checks the name');
  const port = await freePort();
  const { child, out, exited } = debugInvoke('GoDebugged', template, port, '{"name":"Ada"}');
  try {
    // The first debug build compiles the standard library without optimisations: give it time on a busy machine.
    await waitFor('the Go function to wait for a debugger', () => out.stderr.includes(`waits for a Go debugger`) || undefined, 180_000).catch(() =>
      assert.fail(out.stderr),
    );
    assert.match(out.stderr, /GoDebugged is an arm64 function; Delve cannot debug under qemu, so this debug session runs a build for this machine/);
    const { dap, frame, variables, resume } = await stopAtBreakpoint(port, 'go', { mode: 'remote' }, file, line, (set) =>
      assert.equal(set.breakpoints[0].verified, true, JSON.stringify(set)),
    );
    assert.equal(frame.name, 'main.handle');
    const e = variables.find((v: { name: string }) => v.name === 'e');
    assert.ok(e, JSON.stringify(variables));
    const fields = await dap.request('variables', { variablesReference: e.variablesReference });
    assert.equal(fields.variables.find((v: { name: string }) => v.name === 'Name')?.value, '"Ada"', JSON.stringify(fields.variables));
    await resume();
    assert.equal(await exited, 0, out.stderr);
    dap.close();
    const answer = JSON.parse(out.stdout);
    assert.equal(answer.message, 'Hello, Ada!');
    assert.equal(answer.architecture, process.arch === 'arm64' ? 'arm64' : 'amd64', 'the debug build is for this machine');
  } finally {
    child.kill('SIGKILL');
  }
});

test('invoke --debug-port on a Rust function: a debug build under lldb, any DAP client attaches, stops on a breakpoint in the .rs source, reads a local and continues', async () => {
  const example = join(import.meta.dirname, '..', '..', 'examples', 'functions', 'rust-hello');
  const source = readFileSync(join(example, 'src', 'main.rs'), 'utf8');
  // An arm64 function: lldb cannot debug under qemu, so the session runs a build for this machine and says so.
  const template = project([
    {
      name: 'RustDebugged',
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      architectures: ['arm64'],
      files: { 'Cargo.toml': readFileSync(join(example, 'Cargo.toml'), 'utf8'), 'Cargo.lock': readFileSync(join(example, 'Cargo.lock'), 'utf8') },
    },
  ]);
  const code = join(dirname(template), 'RustDebugged');
  mkdirSync(join(code, 'src'));
  writeFileSync(join(code, 'src', 'main.rs'), source);
  const file = join(code, 'src', 'main.rs');
  // A line of the handler's own (a line inside a macro such as format! has several code locations, each a stop).
  const line = source.split('\n').findIndex((l) => l.includes('if name.is_empty()')) + 1;
  assert.ok(line > 0, 'the handler checks the name');
  const port = await freePort();
  const { child, out, exited } = debugInvoke('RustDebugged', template, port, '{"name":"Ada"}');
  try {
    await waitFor('the Rust function to wait for a debugger', () => out.stderr.includes('waits for an lldb debugger') || undefined, 180_000).catch(() =>
      assert.fail(out.stderr),
    );
    assert.match(out.stderr, /RustDebugged is an arm64 function; lldb cannot debug under qemu, so this debug session runs a build for this machine/);
    assert.equal(out.stdout, '', 'nothing runs before a debugger attaches');
    // The client says only "attach": the runner's proxy launches the function's debug build under lldb.
    const { dap, frame, variables, resume } = await stopAtBreakpoint(port, 'lldb', {}, file, line, (set) =>
      assert.equal(set.breakpoints[0].verified, true, JSON.stringify(set)),
    );
    assert.match(frame.name, /rust_hello::handle/);
    const requestId = variables.find((v: { name: string }) => v.name === 'request_id');
    assert.ok(requestId, JSON.stringify(variables));
    const evaluated = await dap.request('evaluate', { expression: 'name.vec.len', frameId: frame.id, context: 'watch' });
    assert.equal(evaluated.result, '3', `the local "name" holds "Ada": ${JSON.stringify(evaluated)}`);
    await resume();
    assert.equal(await exited, 0, out.stderr);
    dap.close();
    const answer = JSON.parse(out.stdout);
    assert.equal(answer.message, 'Hello, Ada!');
    assert.equal(answer.functionName, 'RustDebugged', 'lldb launched the function with its Lambda environment');
    assert.match(out.stderr, /handling request [0-9a-f-]{36}/, "the function's output under lldb is its log");
  } finally {
    child.kill('SIGKILL');
  }
});

test('invoke --debug-port without lldb or Delve installed: the init error is one sentence with the install command (no version probe is spawned)', async () => {
  const rust = join(import.meta.dirname, '..', '..', 'examples', 'functions', 'rust-hello');
  const go = join(import.meta.dirname, '..', '..', 'examples', 'functions', 'go-hello');
  const template = project([
    { name: 'RustNoLldb', runtime: 'provided.al2023', handler: 'bootstrap', files: { 'Cargo.toml': readFileSync(join(rust, 'Cargo.toml'), 'utf8') } },
    {
      name: 'GoNoDelve',
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      files: { 'main.go': readFileSync(join(go, 'main.go'), 'utf8'), 'go.mod': readFileSync(join(go, 'go.mod'), 'utf8') },
    },
  ]);
  const missing = join(tempDir('no-debugger'), 'absent');
  const lldb = await invokeCli(['RustNoLldb', '--template', template, '--debug-port', String(await freePort())], { OPEN_RUNTIME_LLDB_DAP: missing });
  assert.equal(lldb.code, 1, lldb.stderr);
  const lldbError = JSON.parse(lldb.stdout);
  assert.equal(lldbError.errorType, 'Runtime.DebuggerUnavailable');
  assert.match(lldbError.errorMessage, /^Debugging Rust, C and C\+\+ functions needs LLDB's debug adapter .* sudo apt-get install lldb/);
  // Delve is found by spawning it for the session itself: its ENOENT is the sentence.
  const delve = await invokeCli(['GoNoDelve', '--template', template, '--debug-port', String(await freePort())], { OPEN_RUNTIME_DLV: missing });
  assert.equal(delve.code, 1, delve.stderr);
  const delveError = JSON.parse(delve.stdout);
  assert.equal(delveError.errorType, 'Runtime.DebuggerUnavailable');
  assert.match(delveError.errorMessage, /^Debugging Go functions needs Delve \(dlv\), which is not installed\. .*sudo apt-get install delve/);
});

test('invoke --debug-port on a C function with a Makefile: built by its build-<Function> target with -g -O0 (as sam build runs it), stopped under lldb on a breakpoint in the .c source', async () => {
  const fixture = join(import.meta.dirname, '..', 'fixtures', 'debug', 'c-hello');
  const source = readFileSync(join(fixture, 'hello.c'), 'utf8');
  const template = project([
    {
      name: 'CHello',
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      files: { 'hello.c': source, Makefile: readFileSync(join(fixture, 'Makefile'), 'utf8') },
    },
  ]);
  const file = join(dirname(template), 'CHello', 'hello.c');
  const line = source.split('\n').findIndex((l) => l.includes('snprintf(answer, size')) + 1;
  assert.ok(line > 0, 'handle() writes the answer');
  const port = await freePort();
  const { child, out, exited } = debugInvoke('CHello', template, port, '{"name":"Ada"}');
  try {
    await waitFor('the C function to wait for a debugger', () => out.stderr.includes('waits for an lldb debugger') || undefined, 60_000).catch(() =>
      assert.fail(out.stderr),
    );
    const { dap, frame, variables, resume } = await stopAtBreakpoint(port, 'lldb', {}, file, line, (set) =>
      assert.equal(set.breakpoints[0].verified, true, `the debug build has line information: ${JSON.stringify(set)}`),
    );
    assert.equal(frame.name, 'handle');
    // -O0: the local is in memory with its value, not optimised away.
    assert.equal(variables.find((v: { name: string }) => v.name === 'length')?.value, '3', JSON.stringify(variables));
    await resume();
    assert.equal(await exited, 0, out.stderr);
    dap.close();
    assert.deepEqual(JSON.parse(out.stdout), { message: 'Hello, Ada!', length: 3 });
  } finally {
    child.kill('SIGKILL');
  }
});

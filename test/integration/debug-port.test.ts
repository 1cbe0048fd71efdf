// `--debug-port N` on `invoke` and `start`, as SAM's -d: a Node function waits for a debugger on 127.0.0.1:N and
// runs once one attaches. The debugger here is a real inspector client: the test reads the inspector's /json/list
// and speaks the Chrome DevTools Protocol over a WebSocket (Node's own), as VS Code and chrome://inspect do.
// Python needs debugpy (a clear init error when it is missing); other runtimes are refused in one line.
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
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

const NODE_FN = { name: 'NodeDebugged', runtime: 'nodejs20.x', handler: 'app.handler', files: { 'app.mjs': 'export const handler = async (event) => ({ debugged: true, got: event });\n' } };

/** Attaches to the inspector on `port` as a debugger does, asks one question, and lets the program run. */
async function attachAndRun(port: number): Promise<{ functionName: string; close: () => void }> {
  const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ webSocketDebuggerUrl: string }>;
  assert.equal(targets.length, 1, JSON.stringify(targets));
  const ws = new WebSocket(targets[0]!.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const answers = new Map<number, (result: any) => void>();
  ws.onmessage = (message) => {
    const data = JSON.parse(String(message.data));
    if (data.id !== undefined) answers.get(data.id)?.(data.result);
  };
  let id = 0;
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<any>((resolve) => {
      answers.set(++id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  await send('Runtime.enable');
  const evaluated = await send('Runtime.evaluate', { expression: 'process.env.AWS_LAMBDA_FUNCTION_NAME' });
  await send('Runtime.runIfWaitingForDebugger');
  return { functionName: evaluated.result.value, close: () => ws.close() };
}

test('invoke --debug-port: the Node function waits for a debugger on that port, and answers once a real inspector client attaches', async () => {
  const template = project([NODE_FN]);
  const port = await freePort();
  const child = spawn(process.execPath, [CLI, 'invoke', 'NodeDebugged', '--template', template, '--debug-port', String(port), '--event', '-'], { env: { ...process.env, PATH: FIXTURE_PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end('{"order":7}');
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await waitFor('the function to wait for a debugger', () => stderr.includes(`NodeDebugged waits for a Node debugger (VS Code "Attach", chrome://inspect) on 127.0.0.1:${port}`), 20_000).catch(() => assert.fail(stderr));
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(stdout, '', 'nothing runs before a debugger attaches');
    assert.equal(child.exitCode, null);
    const debuggerSession = await attachAndRun(port);
    assert.equal(debuggerSession.functionName, 'NodeDebugged', 'the debugger is attached to the function\'s own process');
    assert.equal(await exited, 0, stderr);
    debuggerSession.close();
    assert.deepEqual(JSON.parse(stdout), { debugged: true, got: { order: 7 } });
  } finally {
    child.kill('SIGKILL');
  }
});

test('start --debug-port: an Invoke API call waits for the debugger, then answers; a provided function is named as not debuggable', async () => {
  const template = project([NODE_FN, { name: 'Shell', runtime: 'provided.al2023', handler: 'x', files: { bootstrap: '#!/bin/sh\nexit 1\n' } }]);
  const port = await freePort();
  const runner = await startCli(['start', '--port', '0', '--api-port', '0', '--template', template, '--debug-port', String(port)], { cwd: tempDir('debug-start'), banner: /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/ });
  try {
    assert.match(runner.stderr(), new RegExp(`each invocation of a Node or Python function waits for a debugger on 127\\.0\\.0\\.1:${port}`));
    assert.match(runner.stderr(), /--debug-port is not supported for Shell \(provided\.al2023\): they run without a debugger\./);
    const reply = post(`${runner.endpoint}/2015-03-31/functions/NodeDebugged/invocations`, '{"n":1}', { Authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0' }, 30_000);
    await waitFor('the function to wait for a debugger', () => runner.stderr().includes(`waits for a Node debugger (VS Code "Attach", chrome://inspect) on 127.0.0.1:${port}`), 20_000);
    const session = await attachAndRun(port);
    const answer = await reply;
    session.close();
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json(), { debugged: true, got: { n: 1 } });
  } finally {
    await runner.stop();
  }
});

function invokeCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'invoke', ...args], { encoding: 'utf8', timeout: 30_000, env: { ...process.env, PATH: FIXTURE_PATH } }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test('invoke --debug-port on a provided function is refused in one line naming the runtime; a bad port too', async () => {
  const template = project([{ name: 'Custom', runtime: 'provided.al2023', handler: 'x', files: { bootstrap: '#!/bin/sh\nexit 1\n' } }]);
  const refused = await invokeCli(['Custom', '--template', template, '--debug-port', String(await freePort())]);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /^open-runtime: --debug-port is not supported for provided\.al2023 \(Custom\): only Node \(inspector\) and Python \(debugpy\) functions can wait for a debugger\./);
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
  if (hasDebugpy) return t.skip('debugpy is installed here: the missing-debugpy error cannot happen');
  const template = project([{ name: 'PyDebugged', runtime: 'python3.11', handler: 'app.handler', files: { 'app.py': 'def handler(event, context):\n    return 1\n' } }]);
  const result = await invokeCli(['PyDebugged', '--template', template, '--debug-port', String(await freePort())]);
  assert.equal(result.code, 1, result.stderr);
  const error = JSON.parse(result.stdout);
  assert.match(error.errorMessage, /Debugging needs the debugpy package, which is not installed .* apt install python3-debugpy/);
});

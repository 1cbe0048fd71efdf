// Debugging through the HTTP gateway and through a middleware chain (issue 21). A function armed for a debugger
// (LocalLambda.setDebugMode, the control API's POST /debug-mode, `start --debug-port N --debug-function F`) waits for
// one whatever calls it: here a real HTTP request to its route. The debugger is a real inspector client (Chrome
// DevTools Protocol over Node's own WebSocket, as VS Code's js-debug speaks it): it sets a breakpoint in the handler,
// sees the stop, reads a local, stays stopped past API Gateway's integration timeout (shortened here) and the
// function's own Timeout, and continues; the HTTP response then reaches the caller. Around a middleware chain, the
// editor's `debug-ready` names the request it knows, the chain's hook timings are still in the result, and the hooks
// after the function get a deadline that does not count the time stopped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { Gateway } from '../../runner/gateway/server.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { createMiddlewareRunner } from '../../runner/middleware/index.ts';
import { cdpClient as inspector } from './support/cdp-client.ts';
import { dapClient } from './support/dap-client.ts';
import { controlOf, handled, recordEvents, FIXTURE_PATH, freePort, removeTemps, startCli, startServe, stopServe, tempDir, waitFor } from './support/runner.ts';

// Executable middlewares start a process per hook: room for that on a busy machine.
process.env.OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS = '15000';

/** The handler; line 4 (0-based 3) is where the breakpoint goes, `greeting` is set there. */
const HANDLER = `export const hello = async (event) => {
  const name = event.queryStringParameters?.name ?? 'nobody';
  const greeting = 'hello ' + name + (event.stamped ? ' (stamped)' : '');
  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: greeting };
};
`;
const BREAKPOINT_LINE = 3;

/**
 * A middleware: `before` stamps the event; `after` says in a header whether the function's deadline it was given is
 * still ahead (OPEN_RUNTIME_DEADLINE_MS, PROTOCOL.md), which it is not when time stopped at a breakpoint counts.
 */
const STAMP = `import { text } from 'node:stream/consumers';
const hook = process.argv[2];
const input = JSON.parse(await text(process.stdin));
if (hook === 'before') input.stamped = true;
if (hook === 'after') input.headers = { ...input.headers, 'x-deadline-ahead': String(Number(process.env.OPEN_RUNTIME_DEADLINE_MS) > Date.now()) };
process.stdout.write(JSON.stringify(input));
`;

let dir: string;
let lambda: LocalLambda;
let gateway: Gateway;
const INTEGRATION_TIMEOUT_MS = 1500;
/**
 * Long enough past the integration timeout and Hello's 1 s Timeout; with Guarded's 3 s, the hooks' process starts and
 * the wait for the debugger, past its deadline too when the time stopped counts.
 */
const STOPPED_MS = 2500;

const fn = (name: string, path: string, extra: Partial<FunctionInput> = {}) =>
  parseFunction(
    {
      name,
      runtime: 'nodejs22.x',
      handler: 'index.hello',
      codeUri: join(dir, 'src'),
      timeout: 1,
      source: { file: join(dir, 'template.yaml'), line: 1 },
      httpEvents: [{ kind: 'http', method: 'GET', path, payloadVersion: '2.0', api: 'ServerlessHttpApi', stage: '$default' }],
      ...extra,
    },
    'test',
  );

before(async () => {
  dir = tempDir('debug-through');
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'middlewares'));
  writeFileSync(join(dir, 'src', 'index.mjs'), HANDLER);
  writeFileSync(join(dir, 'middlewares', 'stamp.mjs'), STAMP);
  lambda = new LocalLambda({ hotReload: false });
  lambda.setMiddlewareRunner(createMiddlewareRunner());
  lambda.setFunctions([fn('Hello', '/hello'), fn('Plain', '/plain'), fn('Guarded', '/guarded', { middlewares: ['stamp'], timeout: 3 })]);
  await lambda.listen();
  gateway = new Gateway(lambda, { port: 0, integrationTimeoutMs: { http: INTEGRATION_TIMEOUT_MS } });
  await gateway.listen();
});

after(async () => {
  await gateway?.close();
  await lambda?.close();
  removeTemps();
});

/**
 * Attaches when the function is ready, stops at the breakpoint in the handler, reads `greeting`, stays stopped for
 * STOPPED_MS and continues. Resolves to what it read.
 */
async function debugOnce(port: number): Promise<{ greeting: string; line: number }> {
  const session = await inspector(port);
  try {
    await session.send('Runtime.enable');
    await session.send('Debugger.enable');
    await session.send('Debugger.setBreakpointByUrl', { urlRegex: 'src/index\\.mjs$', lineNumber: BREAKPOINT_LINE });
    await session.send('Runtime.runIfWaitingForDebugger');
    // --inspect-brk stops on the first line of the runtime client first: run on to the handler's breakpoint.
    for (;;) {
      const paused = await session.event('Debugger.paused');
      const top = paused.callFrames[0];
      if (paused.hitBreakpoints?.length) {
        const read = await session.send('Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression: 'greeting' });
        await new Promise((resolve) => setTimeout(resolve, STOPPED_MS));
        await session.send('Debugger.resume', {}, { programMayEnd: true });
        return { greeting: read.result.value, line: top.location.lineNumber };
      }
      await session.send('Debugger.resume');
    }
  } finally {
    setTimeout(() => session.close(), 1000);
  }
}

const record = () => recordEvents(lambda);

/**
 * A request through the gateway, bounded (one held by a lost debugger fails the test instead of hanging the suite), and
 * failing where it is awaited: it is sent before the debugger's steps, which it must not cut short as an unhandled
 * rejection.
 */
const get = (url: string) => handled(fetch(url, { signal: AbortSignal.timeout(60_000) }));

test('a request through the gateway to an armed function stops at the breakpoint in the handler; on continue the response arrives, past the integration timeout', async () => {
  const seen = record();
  try {
    assert.deepEqual(lambda.setDebugMode('Hello', 'next'), { function: 'Hello', mode: 'next', language: 'node' });
    const response = get(`http://127.0.0.1:${gateway.port}/hello?name=Ada`);
    const ready = await waitFor('debug-ready', () => seen.events.find((e) => e.type === 'debug-ready'), 30_000);
    assert.equal(ready.type === 'debug-ready' && ready.function, 'Hello');
    assert.equal(ready.type === 'debug-ready' && ready.armed, true, 'armed, not asked for by its caller: the editor that armed it attaches');
    const started = seen.events.find((e) => e.type === 'invoke-start');
    assert.equal(ready.type === 'debug-ready' && ready.requestId, started?.type === 'invoke-start' && started.requestId);
    // `next` is used up by this request: the view hears that the function is no longer armed.
    assert.ok(seen.events.some((e) => e.type === 'debug-mode' && e.function === 'Hello' && e.mode === 'off'));
    assert.deepEqual(lambda.debugModes(), []);
    const read = await debugOnce(ready.type === 'debug-ready' ? ready.port : 0);
    assert.deepEqual(read, { greeting: 'hello Ada', line: BREAKPOINT_LINE });
    const answer = await response;
    assert.equal(answer.status, 200, 'no 504: the integration timeout is suspended while the debugger holds the function');
    assert.equal(await answer.text(), 'hello Ada');
    // The next request runs without a debugger, and the integration timeout applies again.
    const plainAgain = await get(`http://127.0.0.1:${gateway.port}/hello?name=Bo`);
    assert.equal(await plainAgain.text(), 'hello Bo');
    assert.equal(seen.events.filter((e) => e.type === 'debug-ready').length, 1);
  } finally {
    seen.stop();
  }
});

test('`every` arms each request until turned off; other functions run as usual meanwhile', async () => {
  const seen = record();
  try {
    lambda.setDebugMode('Hello', 'every');
    const plain = await get(`http://127.0.0.1:${gateway.port}/plain?name=Cy`);
    assert.equal(await plain.text(), 'hello Cy');
    for (const name of ['One', 'Two']) {
      const response = get(`http://127.0.0.1:${gateway.port}/hello?name=${name}`);
      const ready = await waitFor('debug-ready', () => seen.events.find((e) => e.type === 'debug-ready'), 30_000);
      seen.events.length = 0;
      const read = await debugOnce(ready.type === 'debug-ready' ? ready.port : 0);
      assert.equal(read.greeting, `hello ${name}`);
      const answer = await response;
      assert.equal(answer.status, 200);
      assert.equal(await answer.text(), `hello ${name}`);
    }
    lambda.setDebugMode('Hello', 'off');
    assert.equal(await (await get(`http://127.0.0.1:${gateway.port}/hello?name=Di`)).text(), 'hello Di');
    assert.equal(seen.events.filter((e) => e.type === 'debug-ready').length, 0);
  } finally {
    seen.stop();
    lambda.setDebugMode('Hello', 'off');
  }
});

test('through a middleware chain: debug-ready names the request the caller knows, the handler stops, the chain timings are reported and the after hook gets a deadline still ahead', async () => {
  const seen = record();
  try {
    lambda.setDebugMode('Guarded', 'next');
    const response = get(`http://127.0.0.1:${gateway.port}/guarded?name=Eve`);
    const ready = await waitFor('debug-ready', () => seen.events.find((e) => e.type === 'debug-ready'), 30_000);
    const started = seen.events.find((e) => e.type === 'invoke-start' && e.function === 'Guarded');
    assert.ok(started && started.type === 'invoke-start' && ready.type === 'debug-ready');
    assert.equal(ready.requestId, started.requestId, "the editor follows the chain's request id: debug-ready must name it, not the inner invocation's");
    const read = await debugOnce(ready.port);
    assert.deepEqual(read, { greeting: 'hello Eve (stamped)', line: BREAKPOINT_LINE });
    const answer = await response;
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'hello Eve (stamped)');
    assert.equal(answer.headers.get('x-deadline-ahead'), 'true', 'the time stopped at the breakpoint does not count against the hooks after the function');
    const end = await waitFor('invoke-end', () => seen.events.find((e) => e.type === 'invoke-end' && e.result.requestId === started.requestId), 10_000);
    assert.ok(end.type === 'invoke-end');
    const timings = end.result.logs.split('\n').filter((line) => line.startsWith('MIDDLEWARE '));
    assert.match(timings.join('\n'), /^MIDDLEWARE stamp before \d+\.\d\d ms$/m);
    assert.match(timings.join('\n'), /^MIDDLEWARE stamp after \d+\.\d\d ms$/m);
    // The report is the function's (stopped time included: it is the function's Duration) plus the middlewares'.
    assert.ok(end.result.report.durationMs >= STOPPED_MS, JSON.stringify(end.result.report));
  } finally {
    seen.stop();
  }
});

test('setDebugMode refuses a function that is not there, with the names that are', () => {
  assert.throws(() => lambda.setDebugMode('Nope', 'next'), /Function not found: Nope\. Known functions: Hello, Plain, Guarded\./);
});

test("start --debug-port N --debug-function F: requests to F's route wait for a debugger on N, other routes answer at once", async () => {
  const project = tempDir('debug-through-cli');
  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'src', 'index.mjs'), HANDLER);
  const routeOf = (id: string, path: string) =>
    [
      `  ${id}:`,
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Runtime: nodejs22.x',
      '      Handler: index.hello',
      '      CodeUri: src/',
      '      Events:',
      '        Get:',
      '          Type: HttpApi',
      '          Properties:',
      `            Path: ${path}`,
      '            Method: GET',
    ].join('\n');
  writeFileSync(
    join(project, 'template.yaml'),
    `AWSTemplateFormatVersion: '2010-09-09'\nTransform: AWS::Serverless-2016-10-31\nResources:\n${routeOf('Debugged', '/debugged')}\n${routeOf('Free', '/free')}\n`,
  );
  const port = await freePort();
  const runner = await startCli(['start', '--port', '0', '--api-port', '0', '--debug-port', String(port), '--debug-function', 'Debugged'], {
    cwd: project,
    env: { PATH: FIXTURE_PATH },
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    assert.match(
      runner.stderr(),
      new RegExp(`each invocation of Debugged \\(an HTTP request to its routes, an Invoke API call\\) waits for a debugger on 127\\.0\\.0\\.1:${port}`),
    );
    const api = runner.endpoint;
    assert.equal(await (await get(`${api}/free?name=Fay`)).text(), 'hello Fay');
    const response = get(`${api}/debugged?name=Gus`);
    await waitFor('the function to wait for a debugger', () => runner.stderr().includes(`Debugged waits for a Node debugger`), 30_000).catch(() =>
      assert.fail(runner.stderr()),
    );
    const read = await debugOnce(port);
    assert.equal(read.greeting, 'hello Gus');
    const answer = await response;
    assert.equal(answer.status, 200);
    assert.equal(await answer.text(), 'hello Gus');
  } finally {
    await runner.stop();
  }
});

test('start --debug-function without --debug-port, or naming a function that is not there: one line, exit 2', async () => {
  const project = tempDir('debug-through-usage');
  writeFileSync(join(project, 'template.yaml'), "AWSTemplateFormatVersion: '2010-09-09'\nResources: {}\n");
  const { execFile } = await import('node:child_process');
  const run = (args: string[]) =>
    new Promise<{ code: number; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [join(import.meta.dirname, '..', '..', 'dist', 'runner.js'), 'start', '--port', '0', '--api-port', '0', ...args],
        { cwd: project, timeout: 20_000 },
        (err, _out, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
      ),
    );
  const noPort = await run(['--debug-function', 'X']);
  assert.equal(noPort.code, 2);
  assert.match(noPort.stderr, /--debug-function needs --debug-port N/);
  const missing = await run(['--debug-port', String(await freePort()), '--debug-function', 'X']);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /X/);
});

test("the editor's way, for Python: serve's POST /debug-mode arms the function, a request through the gateway waits, an armed debug-ready comes on /events, a DAP client (debugpy) stops in the handler, and the response follows continue", async () => {
  const workspace = tempDir('debug-through-serve');
  mkdirSync(join(workspace, 'py'));
  const source =
    'def handler(event, context):\n    name = (event.get("queryStringParameters") or {}).get("name", "nobody")\n    return {"statusCode": 200, "body": "hi " + name}\n';
  writeFileSync(join(workspace, 'py', 'app.py'), source);
  writeFileSync(
    join(workspace, 'template.yaml'),
    [
      "AWSTemplateFormatVersion: '2010-09-09'",
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  PyRoute:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Runtime: python3.12',
      '      Handler: app.handler',
      '      CodeUri: py/',
      '      Timeout: 1',
      '      Events:',
      '        Get:',
      '          Type: HttpApi',
      '          Properties:',
      '            Path: /py',
      '            Method: GET',
      '',
    ].join('\n'),
  );
  const serve = await startServe(workspace, 'debug-through-token');
  const { control, events } = await controlOf(serve);
  try {
    const refused = await control('/debug-mode', { function: 'Nope', mode: 'next' });
    assert.equal(refused.status, 404);
    const armed = await control('/debug-mode', { function: 'PyRoute', mode: 'next' });
    assert.deepEqual(await armed.json(), { function: 'PyRoute', mode: 'next', language: 'python' });
    const response = get(`http://127.0.0.1:${serve.apiPort}/py?name=Ada`);
    const ready = await waitFor('an armed debug-ready', () => events.find((e) => e.type === 'debug-ready'), 60_000).catch(() => assert.fail(serve.stderr()));
    assert.ok(ready.type === 'debug-ready');
    assert.equal(ready.function, 'PyRoute');
    assert.equal(ready.language, 'python');
    assert.equal(ready.armed, true);
    const dap = await dapClient(ready.port);
    try {
      await dap.request('initialize', { adapterID: 'debugpy', clientID: 'open-runtime-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const attached = dap.request('attach', { justMyCode: true });
      await dap.event('initialized');
      const file = join(workspace, 'py', 'app.py');
      await dap.request('setBreakpoints', { source: { path: file }, breakpoints: [{ line: 3 }] });
      await dap.request('configurationDone');
      await attached;
      const stopped = await dap.event('stopped', (b) => b.reason === 'breakpoint');
      const { stackFrames } = await dap.request('stackTrace', { threadId: stopped.threadId, levels: 5 });
      assert.equal(stackFrames[0].line, 3);
      const { scopes } = await dap.request('scopes', { frameId: stackFrames[0].id });
      const { variables } = await dap.request('variables', { variablesReference: scopes[0].variablesReference });
      assert.equal(variables.find((v: { name: string }) => v.name === 'name')?.value, "'Ada'", JSON.stringify(variables));
      // Stopped past the function's 1 s Timeout: suspended while debugging, as the gateway's integration timeout is.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await dap.request('continue', { threadId: stopped.threadId }, { programMayEnd: true });
      const answer = await response;
      assert.equal(answer.status, 200);
      assert.equal(await answer.text(), 'hi Ada');
    } finally {
      dap.close();
    }
    assert.ok(
      events.some((e) => e.type === 'debug-mode' && e.function === 'PyRoute' && e.mode === 'off'),
      'next was used up',
    );

    // `every`, two requests at once: each environment's debugpy listens on a port of its own (none is shared).
    events.length = 0;
    await control('/debug-mode', { function: 'PyRoute', mode: 'every' });
    const both = ['Bo', 'Cy'].map((name) => get(`http://127.0.0.1:${serve.apiPort}/py?name=${name}`));
    const readies = await waitFor(
      'two armed debug-ready events',
      () => {
        const found = events.filter((e) => e.type === 'debug-ready');
        return found.length === 2 ? found : undefined;
      },
      60_000,
    ).catch(() => assert.fail(serve.stderr()));
    const ports = readies.map((e) => (e.type === 'debug-ready' ? e.port : 0));
    assert.notEqual(ports[0], ports[1], `two ports: ${ports.join(', ')}`);
    for (const port of ports) {
      const session = await dapClient(port);
      await session.request('initialize', {
        adapterID: 'debugpy',
        clientID: 'open-runtime-test',
        linesStartAt1: true,
        columnsStartAt1: true,
        pathFormat: 'path',
      });
      // No breakpoint: the function runs to its end at configurationDone, and its environment stops (with the adapter).
      const attached = session.request('attach', { justMyCode: true }, { programMayEnd: true });
      await session.event('initialized');
      await session.request('configurationDone', {}, { programMayEnd: true });
      await attached;
      setTimeout(() => session.close(), 2000);
    }
    const answers = await Promise.all(both.map(async (r) => `${(await r).status} ${await (await r).text()}`));
    assert.deepEqual(answers.sort(), ['200 hi Bo', '200 hi Cy']);
    await control('/debug-mode', { function: 'PyRoute', mode: 'off' });
  } catch (error) {
    // What the functions and the runner said, with the failure: a debugger session lost here is otherwise a mystery.
    const said = events.map((e) => (e.type === 'log' ? `${e.requestId ?? '-'} ${e.line}` : JSON.stringify(e))).join('\n');
    throw new Error(`${(error as Error).message}\nEvents:\n${said}\nserve's stderr:\n${serve.stderr()}`, { cause: error });
  } finally {
    await stopServe(serve);
  }
});

// A debug environment started ahead of its invocation (issue 14: Debug click -> stopped at the breakpoint). The editor
// asks for it when Debug is clicked (POST /debug-prepare), so the function's runtime starts and the debugger attaches
// while the user picks the event; the invocation then claims it by id (POST /invoke with debugPrepared). What must
// hold: the prepared environment waits for its debugger before any event, serves only the invocation that claims it
// (a plain invoke meanwhile never lands in it), stops when discarded or when the code changes, and an invocation whose
// prepared environment is gone still runs under a debugger of its own. Real processes, a real inspector client (CDP,
// as js-debug speaks it) and a real DAP client for debugpy.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { invokeResult, LocalLambda } from '../../runner/local-lambda.ts';
import type { RunnerEvent } from '../../runner/protocol.ts';
import { cdpClient } from './support/cdp-client.ts';
import { dapClient } from './support/dap-client.ts';
import { controlOf, recordEvents, isAlive, removeTemps, startServe, stopServe, tempDir, waitFor } from './support/runner.ts';

const HANDLER = `export const hello = async (event) => {
  const greeting = 'hello ' + (event.name ?? 'nobody');
  return { greeting, pid: process.pid };
};
`;
/** 0-based: the line that sets `greeting`. */
const BREAKPOINT_LINE = 1;

let dir: string;
let lambda: LocalLambda;

const fn = (name: string, extra: Partial<FunctionInput> = {}) =>
  parseFunction(
    {
      name,
      runtime: 'nodejs22.x',
      handler: 'index.hello',
      codeUri: join(dir, 'src'),
      timeout: 1,
      source: { file: join(dir, 'template.yaml'), line: 1 },
      ...extra,
    },
    'test',
  );

before(async () => {
  dir = tempDir('debug-prepared');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.mjs'), HANDLER);
  lambda = new LocalLambda({ hotReload: false });
  lambda.setFunctions([fn('Hello'), fn('Tenanted', { tenantIsolation: 'PER_TENANT' })]);
  await lambda.listen();
});

after(async () => {
  await lambda?.close();
  removeTemps();
});

const record = () => recordEvents(lambda);

const readyOf = (events: RunnerEvent[], id?: string) =>
  events.find((e): e is Extract<RunnerEvent, { type: 'debug-ready' }> => e.type === 'debug-ready' && (id === undefined || e.prepared === id));

/** Attaches as js-debug does: a breakpoint in the handler, then lets the runtime run on (it loads the handler, asks for /next). */
async function attach(port: number) {
  const session = await cdpClient(port);
  await session.send('Runtime.enable');
  await session.send('Debugger.enable');
  await session.send('Debugger.setBreakpointByUrl', { urlRegex: 'src/index\\.mjs$', lineNumber: BREAKPOINT_LINE });
  await session.send('Runtime.runIfWaitingForDebugger');
  /** The next stop at the breakpoint (other pauses resumed): reads `event.name`, then continues. */
  const stopAtBreakpoint = async (): Promise<{ name: string; line: number }> => {
    for (;;) {
      const paused = await session.event('Debugger.paused');
      const top = paused.callFrames[0];
      if (paused.hitBreakpoints?.length) {
        const read = await session.send('Debugger.evaluateOnCallFrame', { callFrameId: top.callFrameId, expression: 'event.name' });
        await session.send('Debugger.resume', {}, { programMayEnd: true });
        return { name: read.result.value, line: top.location.lineNumber };
      }
      await session.send('Debugger.resume');
    }
  };
  return { stopAtBreakpoint, close: () => session.close() };
}

const environmentsOf = (name: string) => lambda.environments().filter((env) => env.fn.name === name);

test('a prepared debug environment waits for its debugger before any event; the invocation that claims it stops at the breakpoint there, with no second start', async () => {
  const seen = record();
  try {
    lambda.prepareDebug('Hello', 'click-1', { language: 'node', port: 0 });
    const ready = await waitFor('the prepared debug-ready', () => readyOf(seen.events, 'click-1'), 30_000);
    assert.equal(ready.function, 'Hello');
    assert.equal(ready.requestId, '', 'no invocation yet: the user is still picking the event');
    assert.equal(ready.language, 'node');
    const [prepared] = environmentsOf('Hello');
    assert.ok(prepared?.pid, 'its process runs');
    const debuggerSession = await attach(ready.port);
    try {
      // Attached, the runtime loads the handler and asks for its first event: idle, but nobody else's.
      await waitFor('the prepared environment idle', () => prepared.state === 'idle', 30_000);
      assert.ok(lambda.hasPreparedDebug('Hello', 'click-1'));
      const inv = lambda.invoke('Hello', Buffer.from('{"name":"Ada"}'), { debug: { language: 'node', port: 0, prepared: 'click-1' } });
      const stopped = await debuggerSession.stopAtBreakpoint();
      assert.deepEqual(stopped, { name: 'Ada', line: BREAKPOINT_LINE });
      const result = invokeResult('Hello', inv, await inv.completed);
      assert.deepEqual(JSON.parse(result.payload), { greeting: 'hello Ada', pid: prepared.pid }, 'it ran in the prepared process');
      assert.equal(seen.events.filter((e) => e.type === 'debug-ready').length, 1, 'no second environment waited for a debugger');
      assert.equal(lambda.hasPreparedDebug('Hello', 'click-1'), false, 'claimed: no longer waiting');
      // A debugged environment serves one invocation, as before.
      await waitFor('the debugged environment gone', () => !isAlive(prepared.pid!) && environmentsOf('Hello').length === 0, 10_000);
    } finally {
      debuggerSession.close();
    }
  } finally {
    seen.stop();
  }
});

test('a plain invoke while a debug environment is prepared runs in one of its own at once; the prepared one still waits for its invocation', async () => {
  const seen = record();
  try {
    lambda.prepareDebug('Hello', 'click-2', { language: 'node', port: 0 });
    const ready = await waitFor('the prepared debug-ready', () => readyOf(seen.events, 'click-2'), 30_000);
    const debuggerSession = await attach(ready.port);
    try {
      const prepared = environmentsOf('Hello').find((env) => env.preparedId === 'click-2')!;
      await waitFor('the prepared environment idle', () => prepared.state === 'idle', 30_000);
      const plain = lambda.invoke('Hello', Buffer.from('{"name":"Bo"}'));
      const plainResult = invokeResult('Hello', plain, await plain.completed);
      const answer = JSON.parse(plainResult.payload);
      assert.equal(answer.greeting, 'hello Bo');
      assert.notEqual(answer.pid, prepared.pid, 'not the prepared (debugged) process');
      // Warm again: the plain environment serves the next plain invoke; the prepared one is never handed out.
      const again = lambda.invoke('Hello', Buffer.from('{"name":"Cy"}'));
      assert.equal(JSON.parse(invokeResult('Hello', again, await again.completed).payload).pid, answer.pid);
      assert.ok(lambda.hasPreparedDebug('Hello', 'click-2'));
      assert.equal(prepared.state, 'idle');
      // Discarded (the user left the picker): its process ends.
      assert.equal(lambda.discardDebug('Hello', 'click-2'), true);
      await waitFor('the discarded environment gone', () => !isAlive(prepared.pid!), 10_000);
      assert.equal(lambda.discardDebug('Hello', 'click-2'), false, 'discarding twice finds nothing');
    } finally {
      debuggerSession.close();
    }
  } finally {
    seen.stop();
  }
});

test('an invocation whose prepared environment is gone (discarded, or the code changed) runs under a debugger of its own', async () => {
  const seen = record();
  try {
    lambda.prepareDebug('Hello', 'click-3', { language: 'node', port: 0 });
    await waitFor('the prepared debug-ready', () => readyOf(seen.events, 'click-3'), 30_000);
    const prepared = environmentsOf('Hello').find((env) => env.preparedId === 'click-3')!;
    // The template changed while the user picked: the prepared environment has the old code, and goes.
    lambda.setFunctions([fn('Hello', { timeout: 2 }), fn('Tenanted', { tenantIsolation: 'PER_TENANT' })]);
    await waitFor('the stale prepared environment gone', () => !isAlive(prepared.pid!), 10_000);
    assert.equal(lambda.hasPreparedDebug('Hello', 'click-3'), false);
    seen.events.length = 0;
    const inv = lambda.invoke('Hello', Buffer.from('{"name":"Di"}'), { debug: { language: 'node', port: 0, prepared: 'click-3' } });
    const ready = await waitFor('a debug-ready of its own', () => readyOf(seen.events), 30_000);
    assert.equal(ready.prepared, undefined);
    assert.equal(ready.requestId, inv.requestId);
    const debuggerSession = await attach(ready.port);
    try {
      assert.equal((await debuggerSession.stopAtBreakpoint()).name, 'Di');
      assert.equal(JSON.parse(invokeResult('Hello', inv, await inv.completed).payload).greeting, 'hello Di');
    } finally {
      debuggerSession.close();
    }
  } finally {
    seen.stop();
  }
});

test('prepareDebug refuses what cannot have an environment before its invocation, in one sentence', () => {
  assert.throws(() => lambda.prepareDebug('Nope', 'x', { language: 'node', port: 0 }), /Function not found: Nope\./);
  assert.throws(() => lambda.prepareDebug('Tenanted', 'x', { language: 'node', port: 0 }), /Tenanted cannot start a debug environment before its invocation/);
  assert.equal(environmentsOf('Tenanted').length, 0);
});

test('POST /debug-prepare on `serve`: a Python function prepared, debugpy attached over DAP while no event exists, then the invoke claims it and stops at the breakpoint; errors answered, discard stops one', async () => {
  const workspace = tempDir('debug-prepared-serve');
  mkdirSync(join(workspace, 'py'));
  writeFileSync(
    join(workspace, 'py', 'app.py'),
    'def handler(event, context):\n    name = event.get("name", "nobody")\n    return {"greeting": "hi " + name}\n',
  );
  writeFileSync(
    join(workspace, 'template.yaml'),
    [
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  Py:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Runtime: python3.12',
      '      Handler: app.handler',
      '      CodeUri: py/',
      '  Shell:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Runtime: provided.al2023',
      '      Handler: bootstrap',
      '      CodeUri: py/',
      '',
    ].join('\n'),
  );
  const serve = await startServe(workspace, 'debug-prepared-token');
  try {
    const { control, events } = await controlOf(serve);
    assert.equal((await control('/debug-prepare', { function: 'Nope', id: 'a' })).status, 404);
    const shell = await control('/debug-prepare', { function: 'Shell', id: 'a' });
    assert.equal(shell.status, 400);
    assert.match((await shell.json()).message, /Debugging provided\.al2023 functions is not supported yet/);
    // Arming it for the next invocation is refused the same way, naming every language that can be debugged.
    const armed = await control('/debug-mode', { function: 'Shell', mode: 'next' });
    assert.equal(armed.status, 400);
    assert.match((await armed.json()).message, /Node, Python, Go, Rust, C and C\+\+ functions can be debugged\. Shell runs without a debugger\./);
    assert.equal((await control('/debug-prepare', { function: 'Py', id: '' })).status, 400, 'an empty id is refused');

    // Discarded before anyone attached: its process ends.
    assert.deepEqual(await (await control('/debug-prepare', { function: 'Py', id: 'left' })).json(), {
      function: 'Py',
      id: 'left',
      prepared: true,
      language: 'python',
    });
    await waitFor('debug-ready for "left"', () => readyOf(events, 'left'), 60_000).catch(() => assert.fail(serve.stderr()));
    const leftPid = ((await (await control('/status')).json()) as { environments: Array<{ pid: number }> }).environments[0]!.pid;
    assert.deepEqual(await (await control('/debug-prepare', { function: 'Py', id: 'left', discard: true })).json(), {
      function: 'Py',
      id: 'left',
      prepared: false,
    });
    await waitFor('the discarded Python environment gone', () => !isAlive(leftPid), 10_000);

    assert.equal((await control('/debug-prepare', { function: 'Py', id: 'click' })).status, 200);
    const ready = await waitFor('debug-ready for "click"', () => readyOf(events, 'click'), 60_000).catch(() => assert.fail(serve.stderr()));
    assert.equal(ready.language, 'python');
    assert.equal(ready.requestId, '');
    const dap = await dapClient(ready.port);
    try {
      await dap.request('initialize', { adapterID: 'debugpy', clientID: 'open-runtime-test', linesStartAt1: true, columnsStartAt1: true, pathFormat: 'path' });
      const attached = dap.request('attach', { justMyCode: true });
      await dap.event('initialized');
      await dap.request('setBreakpoints', { source: { path: join(workspace, 'py', 'app.py') }, breakpoints: [{ line: 3 }] });
      await dap.request('configurationDone');
      await attached;
      // Attached with no event yet; now the user's Enter.
      const response = control('/invoke', { function: 'Py', payload: '{"name":"Ada"}', debug: true, debugPrepared: 'click' });
      const stopped = await dap.event('stopped', (b) => b.reason === 'breakpoint');
      const { stackFrames } = await dap.request('stackTrace', { threadId: stopped.threadId, levels: 5 });
      assert.equal(stackFrames[0].line, 3);
      await dap.request('continue', { threadId: stopped.threadId }, { programMayEnd: true });
      const result = await (await response).json();
      assert.deepEqual(JSON.parse(result.payload), { greeting: 'hi Ada' });
      assert.equal(events.filter((e) => e.type === 'debug-ready').length, 2, 'one per prepared environment ("left", "click"): the invocation started none');
    } finally {
      dap.close();
    }
  } finally {
    await stopServe(serve);
  }
});

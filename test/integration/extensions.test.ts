// Extensions API 2020-01-01, end to end: a local layer (AWS::Serverless::LayerVersion with a local ContentUri)
// whose extensions/recorder executable registers for INVOKE and SHUTDOWN and writes what it gets to a file, in
// one sequence with the runtime's own lines, under a real runner process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  isAlive,
  NODE_BOOTSTRAP_DIR,
  readRecords,
  RECORDER_LAYER,
  removeTemps,
  SHELL_BOOTSTRAP_DIR,
  startRunner,
  tempDir,
  waitFor,
  writeTemplate,
  type Reply,
  type Runner,
} from './support/runner.ts';

let runner: Runner;
let work: string;
const records = (name: string) => join(work, `${name}.jsonl`);

/** A function with the recorder extension in a layer, recording to its own file. */
function withRecorder(name: string, extra: { timeout?: number; environment?: Record<string, string> } = {}) {
  return {
    name,
    codeUri: NODE_BOOTSTRAP_DIR,
    layers: [RECORDER_LAYER],
    timeout: extra.timeout ?? 10,
    environment: { RECORD_FILE: records(name), ...extra.environment },
  };
}

before(async () => {
  work = tempDir('extensions');
  const template = writeTemplate(work, [
    // The extension waits before each event/next, so a runtime that didn't wait for it would get its event first.
    withRecorder('Recorded', { environment: { EXTENSION_NEXT_DELAY_MS: '250' } }),
    withRecorder('TimedOut', { timeout: 1 }),
    withRecorder('ExtensionInitError', { environment: { EXTENSION_MODE: 'init-error' } }),
    withRecorder('Probe'),
    withRecorder('CrashOnInvoke', { environment: { EXTENSION_MODE: 'crash-on-invoke', CRASH_ONCE_FILE: join(work, 'crashed-once') } }),
    { name: 'Plain', codeUri: SHELL_BOOTSTRAP_DIR },
  ]);
  runner = await startRunner(template);
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

function assertOk(reply: Reply, what: string): Record<string, any> {
  assert.equal(reply.status, 200, `${what}: ${reply.text}`);
  assert.equal(reply.headers['x-amz-function-error'], undefined, `${what} should succeed: ${reply.text}`);
  return reply.json();
}

function extensionEvents(file: string, eventType: string): Array<Record<string, any>> {
  return readRecords(file)
    .filter((r) => r.who === 'extension' && r.kind === 'event' && r.event.eventType === eventType)
    .map((r) => r.event);
}

test("the extension registers, gets INVOKE events with the invoke's details, and the runtime waits for its event/next", async () => {
  const file = records('Recorded');
  const invokes: Array<{ requestId: string; runtime: Record<string, any>; sentAt: number }> = [];
  for (let i = 0; i < 2; i++) {
    const sentAt = Date.now();
    const reply = await runner.invoke('Recorded', { n: i });
    invokes.push({ requestId: String(reply.headers['x-amzn-requestid']), runtime: assertOk(reply, `invoke ${i + 1}`), sentAt });
  }
  await waitFor('the extension to record both INVOKE events', () => extensionEvents(file, 'INVOKE').length === 2);
  const lines = readRecords(file);

  const registered = lines.filter((r) => r.kind === 'registered');
  assert.equal(registered.length, 1, 'one environment, one registration');
  const { reply } = registered[0]!;
  assert.equal(reply.status, 200);
  assert.match(reply.headers['lambda-extension-identifier'] ?? '', /^[0-9a-f-]{36}$/, 'Lambda-Extension-Identifier header');
  assert.deepEqual(JSON.parse(reply.body), { functionName: 'Recorded', functionVersion: '$LATEST', handler: 'function.handler' });

  const events = extensionEvents(file, 'INVOKE');
  for (const [i, { requestId, runtime, sentAt }] of invokes.entries()) {
    const event = events[i]!;
    assert.equal(event.requestId, requestId, 'the INVOKE event names the request the caller made');
    assert.equal(event.requestId, runtime.requestId);
    assert.equal(event.deadlineMs, Number(runtime.deadlineMs), "deadlineMs is the runtime's Lambda-Runtime-Deadline-Ms");
    assert.ok(event.deadlineMs >= sentAt + 10_000, 'deadlineMs is epoch ms: delivery time + the 10 s timeout');
    assert.equal(event.invokedFunctionArn, runtime.invokedFunctionArn);
    assert.match(event.invokedFunctionArn, /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:Recorded$/);
    assert.equal(event.tracing?.type, 'X-Amzn-Trace-Id');
  }

  // In file order: the runtime's k-th event comes after the extension's k-th event/next call.
  let nextCalls = 0;
  let runtimeEvents = 0;
  for (const line of lines) {
    if (line.who === 'extension' && line.kind === 'next-call') nextCalls++;
    if (line.who === 'runtime' && line.kind === 'event') {
      runtimeEvents++;
      assert.ok(
        nextCalls >= runtimeEvents,
        `the runtime got event ${runtimeEvents} after only ${nextCalls} event/next calls of the extension:\n${readFileSync(file, 'utf8')}`,
      );
    }
  }
  assert.equal(runtimeEvents, 2);
});

test('a timed-out invoke sends the extension SHUTDOWN with reason timeout', async () => {
  const file = records('TimedOut');
  const dir = tempDir('ext-timeout');
  const reply = await runner.invoke('TimedOut', { hang: { pidFile: join(dir, 'pid'), termFile: join(dir, 'term') } });
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled');
  assert.equal(reply.json().errorType, 'Sandbox.Timedout');
  const [shutdown] = await waitFor('the SHUTDOWN event', () => {
    const events = extensionEvents(file, 'SHUTDOWN');
    return events.length ? events : undefined;
  });
  assert.equal(shutdown!.shutdownReason, 'timeout');
  assert.equal(typeof shutdown!.deadlineMs, 'number');
  const extensionPid = readRecords(file).find((r) => r.kind === 'registered')!.pid as number;
  await waitFor(`the extension (pid ${extensionPid}) to exit`, () => !isAlive(extensionPid), 5000);
  // The next invoke gets a fresh environment, with the extension registered again.
  assertOk(await runner.invoke('TimedOut', {}), 'invoke after the timeout');
  assert.equal(readRecords(file).filter((r) => r.kind === 'registered').length, 2);
});

test('an extension reporting /init/error fails the invoke with its error type', async () => {
  const reply = await runner.invoke('ExtensionInitError', {});
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled');
  const body = reply.json();
  assert.equal(body.errorType, 'Extension.RecorderFailed');
  assert.match(body.errorMessage, /recorder/);
  // The extension notes the 202 it got; the caller's answer may come first.
  const initError = await waitFor('the extension to note its /init/error reply', () =>
    readRecords(records('ExtensionInitError')).find((r) => r.kind === 'init-error'),
  );
  assert.equal(initError.reply.status, 202);
  assertOk(await runner.invoke('Plain', {}), 'another function after the failed init');
});

test('an unknown Lambda-Extension-Identifier gets 403 from the Extensions and Telemetry APIs', async () => {
  const { next, initError, telemetry } = assertOk(await runner.invoke('Probe', { probe: 'not-a-registered-extension' }), 'probe');
  assert.equal(next.status, 403, `event/next: ${next.body}`);
  assert.equal(JSON.parse(next.body).errorType, 'Extension.Unknown');
  assert.equal(initError.status, 403, `init/error: ${initError.body}`);
  assert.equal(telemetry.status, 403, `telemetry subscribe: ${telemetry.body}`);
  // The probe changed nothing: the function and its extension keep working.
  assertOk(await runner.invoke('Probe', {}), 'invoke after the probe');
});

test('an extension crashing during an invoke fails it with Extension.Crash; the next invoke gets a new environment', async () => {
  const file = records('CrashOnInvoke');
  // The function works for a while, so the extension (which exits on INVOKE) crashes before the runtime answers.
  const crashed = await runner.invoke('CrashOnInvoke', { sleepMs: 500 }, {}, 8000);
  assert.equal(crashed.status, 200, crashed.text);
  assert.equal(crashed.headers['x-amz-function-error'], 'Unhandled', crashed.text);
  assert.equal(crashed.json().errorType, 'Extension.Crash');
  const first = readRecords(file).find((r) => r.kind === 'registered')!;
  await waitFor(`the crashed extension (pid ${first.pid}) to be gone`, () => !isAlive(first.pid), 5000);

  const next = await runner.invoke('CrashOnInvoke', {}, {}, 8000);
  assertOk(next, 'the invoke after the crash');
  const registrations = readRecords(file).filter((r) => r.kind === 'registered');
  assert.equal(registrations.length, 2, 'a new environment, with the extension started again');
  assert.notEqual(registrations[1]!.pid, first.pid);
});

test('an extension that never asks for its first event fails the invoke at the init cap', async () => {
  const dir = tempDir('ext-never-ready');
  const template = writeTemplate(dir, [
    {
      name: 'NeverReady',
      codeUri: NODE_BOOTSTRAP_DIR,
      layers: [RECORDER_LAYER],
      environment: { RECORD_FILE: join(dir, 'records.jsonl'), EXTENSION_MODE: 'never-next' },
    },
    { name: 'Plain', codeUri: SHELL_BOOTSTRAP_DIR },
  ]);
  const own = await startRunner(template, { OPEN_RUNTIME_INIT_TIMEOUT_MS: '1500' });
  try {
    const reply = await own.invoke('NeverReady', {}, {}, 8000);
    assert.equal(reply.headers['x-amz-function-error'], 'Unhandled', reply.text);
    const body = reply.json();
    assert.equal(body.errorType, 'Extension.InitError');
    assert.match(body.errorMessage, /recorder/, 'the message names the extension');
    assertOk(await own.invoke('Plain', {}), 'another function after the failed init');
  } finally {
    await own.stop();
  }
});

test('stopping the runner sends SHUTDOWN with reason spindown and the extension exits', async () => {
  const dir = tempDir('ext-spindown');
  mkdirSync(join(dir, 'app'));
  const file = join(dir, 'records.jsonl');
  const template = writeTemplate(join(dir, 'app'), [
    { name: 'Spindown', codeUri: NODE_BOOTSTRAP_DIR, layers: [RECORDER_LAYER], environment: { RECORD_FILE: file } },
  ]);
  const own = await startRunner(template);
  try {
    assertOk(await own.invoke('Spindown', {}), 'invoke');
  } finally {
    assert.equal(await own.stop(), 0, `the runner stops cleanly:\n${own.stderr()}`);
  }
  const shutdown = extensionEvents(file, 'SHUTDOWN');
  assert.equal(shutdown.length, 1, readFileSync(file, 'utf8'));
  assert.equal(shutdown[0]!.shutdownReason, 'spindown');
  const extensionPid = readRecords(file).find((r) => r.kind === 'registered')!.pid as number;
  assert.equal(isAlive(extensionPid), false);
});

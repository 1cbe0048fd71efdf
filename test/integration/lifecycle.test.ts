// The execution-environment lifecycle, end to end: a real runner process (`open-runtime start` on a SAM
// template), real bootstrap processes (a scriptable `#!/usr/bin/env node` custom runtime and the AWS tutorial's
// sh + curl one) and real HTTP callers, including @aws-sdk/client-lambda.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PEER_CHECKS } from '../../runner/runtime-api/access.ts';
import {
  isAlive,
  logTail,
  NODE_BOOTSTRAP_DIR,
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
let initCapRunner: Runner;
let work: string;
let hotDir: string;
let noBootstrapDir: string;
let notExecutableDir: string;
let badInterpreterDir: string;

const RUNNER_ONLY_VARIABLE = 'OPEN_RUNTIME_TEST_RUNNER_ONLY';

before(async () => {
  work = tempDir('lifecycle');
  hotDir = join(work, 'hot');
  cpSync(SHELL_BOOTSTRAP_DIR, hotDir, { recursive: true });
  noBootstrapDir = join(work, 'no-bootstrap');
  mkdirSync(noBootstrapDir);
  writeFileSync(join(noBootstrapDir, 'function.sh'), 'handler () { echo "{}"; }\n');
  notExecutableDir = join(work, 'not-executable');
  cpSync(SHELL_BOOTSTRAP_DIR, notExecutableDir, { recursive: true });
  chmodSync(join(notExecutableDir, 'bootstrap'), 0o644);
  badInterpreterDir = join(work, 'bad-interpreter');
  mkdirSync(badInterpreterDir);
  writeFileSync(join(badInterpreterDir, 'bootstrap'), '#!/nonexistent/interpreter\n');
  chmodSync(join(badInterpreterDir, 'bootstrap'), 0o755);

  const template = writeTemplate(join(work), [
    { name: 'Parallel', codeUri: NODE_BOOTSTRAP_DIR },
    { name: 'Capped', codeUri: NODE_BOOTSTRAP_DIR, concurrency: 2 },
    { name: 'Warm', codeUri: SHELL_BOOTSTRAP_DIR },
    { name: 'Hang', codeUri: NODE_BOOTSTRAP_DIR, timeout: 1 },
    { name: 'Crash', codeUri: NODE_BOOTSTRAP_DIR },
    { name: 'InitError', codeUri: NODE_BOOTSTRAP_DIR, environment: { INIT_MODE: 'init-error' } },
    { name: 'NoBootstrap', codeUri: noBootstrapDir },
    { name: 'NotExecutable', codeUri: notExecutableDir },
    { name: 'BadInterpreter', codeUri: badInterpreterDir },
    { name: 'Reporter', codeUri: NODE_BOOTSTRAP_DIR, memorySize: 256 },
    { name: 'Env', codeUri: NODE_BOOTSTRAP_DIR, memorySize: 512, environment: { GREETING: 'hello from the template', TABLE_NAME: 'orders' } },
    { name: 'HotReload', codeUri: hotDir },
  ]);
  runner = await startRunner(template, { [RUNNER_ONLY_VARIABLE]: 'the runner process only' });

  const initCapDir = join(work, 'init-cap');
  mkdirSync(initCapDir);
  const initCapTemplate = writeTemplate(initCapDir, [
    { name: 'NeverNext', codeUri: NODE_BOOTSTRAP_DIR, environment: { INIT_MODE: 'never-next', PID_FILE: join(initCapDir, 'never-next.pid') } },
    { name: 'Healthy', codeUri: SHELL_BOOTSTRAP_DIR },
  ]);
  initCapRunner = await startRunner(initCapTemplate, { OPEN_RUNTIME_INIT_TIMEOUT_MS: '1500' });
});

after(async () => {
  await Promise.all([runner?.stop(), initCapRunner?.stop()]);
  removeTemps();
});

function assertOk(reply: Reply, what: string): Record<string, any> {
  assert.equal(reply.status, 200, `${what}: status ${reply.status}: ${reply.text}`);
  assert.equal(reply.headers['x-amz-function-error'], undefined, `${what} should succeed, got ${reply.text}`);
  return reply.json();
}

function assertFunctionError(reply: Reply, errorType: string): { errorType: string; errorMessage: string } {
  assert.equal(reply.status, 200, `function errors are 200 responses: ${reply.text}`);
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled');
  const body = reply.json();
  assert.equal(body.errorType, errorType, `errorType in ${reply.text}`);
  assert.equal(typeof body.errorMessage, 'string');
  return body;
}

/** After a failure the runner must still run the next invocation normally. */
async function assertStillAnswers(name: string, r: Runner = runner): Promise<number> {
  const body = assertOk(await r.invoke(name, { after: 'failure' }), `${name} after a failure`);
  assert.equal(typeof body.pid, 'number');
  return body.pid;
}

test('N parallel invokes run in N distinct processes at the same time', async () => {
  const barrier = tempDir('barrier');
  const replies = await Promise.all([1, 2, 3].map(() => runner.invoke('Parallel', { arrive: { dir: barrier, count: 3 } })));
  const pids = replies.map((reply) => assertOk(reply, 'parallel invoke').pid as number);
  assert.equal(new Set(pids).size, 3, `three environments, got pids ${pids.join(', ')}`);
  assert.deepEqual(readdirSync(barrier).map(Number).sort(), [...pids].sort());
});

test('one caller over the concurrency cap gets 429 TooManyRequestsException while the others succeed', async () => {
  const held = tempDir('held');
  const release = join(tempDir('release'), 'release');
  const running = [1, 2].map(() => runner.invoke('Capped', { holdUntil: { dir: held, release } }));
  await waitFor('both environments of Capped to hold an event', () => readdirSync(held).length === 2);

  const refused = await runner.invoke('Capped', {});
  assert.equal(refused.status, 429, refused.text);
  assert.match(String(refused.headers['x-amzn-errortype']), /^TooManyRequestsException/);
  const body = refused.json();
  assert.equal(body.Type, 'User');
  assert.equal(body.Reason, 'ReservedFunctionConcurrentInvocationLimitExceeded');
  assert.match(body.message, /concurrency limit is 2/);

  // The AWS SDK reads the same reply as its modelled exception.
  const client = new LambdaClient({
    endpoint: runner.endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    await assert.rejects(
      client.send(new InvokeCommand({ FunctionName: 'Capped', Payload: Buffer.from('{}') })),
      (err: Error & { $metadata?: { httpStatusCode?: number } }) => {
        assert.equal(err.name, 'TooManyRequestsException');
        assert.equal(err.$metadata?.httpStatusCode, 429);
        return true;
      },
    );
  } finally {
    client.destroy();
  }

  writeFileSync(release, '');
  const pids = (await Promise.all(running)).map((reply) => assertOk(reply, 'held invoke').pid as number);
  assert.equal(new Set(pids).size, 2);
  const warm = assertOk(await runner.invoke('Capped', {}), 'invoke after the held ones');
  assert.ok(pids.includes(warm.pid), 'a free warm environment takes the next invoke');
});

test('sequential invokes reuse the warm environment (same process)', async () => {
  const first = assertOk(await runner.invoke('Warm', { n: 1 }), 'first');
  const second = assertOk(await runner.invoke('Warm', { n: 2 }), 'second');
  const third = assertOk(await runner.invoke('Warm', { n: 3 }), 'third');
  assert.deepEqual([second.pid, third.pid], [first.pid, first.pid]);
  assert.deepEqual(third.event, { n: 3 });
});

test('a timed-out invoke is Sandbox.Timedout; the runtime gets SIGTERM, then is killed', async () => {
  const dir = tempDir('hang');
  const pidFile = join(dir, 'pid');
  const termFile = join(dir, 'term');
  const reply = await runner.invoke('Hang', { hang: { pidFile, termFile } });
  const error = assertFunctionError(reply, 'Sandbox.Timedout');
  assert.match(error.errorMessage, /Task timed out after 1\.00 seconds/);
  const pid = Number(readFileSync(pidFile, 'utf8'));
  // The fixture ignores SIGTERM (it only notes it), so only the SIGKILL that follows can end it.
  await waitFor(`the timed-out runtime (pid ${pid}) to be killed`, () => !isAlive(pid), 5000);
  assert.equal(readFileSync(termFile, 'utf8'), 'SIGTERM\n', 'the runtime got SIGTERM before it was killed');
  const next = await assertStillAnswers('Hang');
  assert.notEqual(next, pid, 'a new environment replaces the timed-out one');
});

test('a timed-out environment is stopped whole: processes the function started are gone too', async () => {
  const dir = tempDir('hang-child');
  const hang = { pidFile: join(dir, 'pid'), termFile: join(dir, 'term'), childPidFile: join(dir, 'child') };
  assertFunctionError(await runner.invoke('Hang', { hang }), 'Sandbox.Timedout');
  const pid = Number(readFileSync(hang.pidFile, 'utf8'));
  const child = Number(readFileSync(hang.childPidFile, 'utf8'));
  await waitFor(`the timed-out runtime (pid ${pid}) to be killed`, () => !isAlive(pid), 5000);
  try {
    // Lambda discards the whole execution environment; a local one must not leave the function's processes running.
    await waitFor(`the function's own child process (pid ${child}) to be stopped with its environment`, () => !isAlive(child), 3000);
  } finally {
    if (isAlive(child)) process.kill(child, 'SIGKILL');
  }
});

test('a runtime exiting mid-invoke is Runtime.ExitError with its exit status', async () => {
  const before = assertOk(await runner.invoke('Crash', {}), 'warm-up').pid as number;
  const error = assertFunctionError(await runner.invoke('Crash', { exit: 3 }), 'Runtime.ExitError');
  assert.match(error.errorMessage, /Runtime exited with error: exit status 3/);
  assert.equal(isAlive(before), false);
  const after = await assertStillAnswers('Crash');
  assert.notEqual(after, before);
});

test("/runtime/init/error fails the pending invoke with the runtime's error type", async () => {
  const error = assertFunctionError(await runner.invoke('InitError', {}), 'Fixture.InitFailed');
  assert.equal(error.errorMessage, 'The fixture failed its init on purpose.');
  // The environment was discarded: the next invoke starts a new one, which fails the same way.
  assertFunctionError(await runner.invoke('InitError', {}), 'Fixture.InitFailed');
  await assertStillAnswers('Warm');
});

test('a runtime that never asks for an event fails the invoke when the init cap expires', async () => {
  const error = assertFunctionError(await initCapRunner.invoke('NeverNext', {}), 'Runtime.InitError');
  assert.match(error.errorMessage, /did not ask for its first event within 1\.5 s/);
  const pid = Number(readFileSync(join(work, 'init-cap', 'never-next.pid'), 'utf8'));
  await waitFor(`the runtime that never initialized (pid ${pid}) to be stopped`, () => !isAlive(pid), 5000);
  await assertStillAnswers('Healthy', initCapRunner);
});

test('a missing bootstrap is a clear Runtime.InvalidEntrypoint error', async () => {
  const error = assertFunctionError(await runner.invoke('NoBootstrap', {}), 'Runtime.InvalidEntrypoint');
  assert.match(error.errorMessage, /no bootstrap file/);
  assert.ok(error.errorMessage.includes(noBootstrapDir), error.errorMessage);
  await assertStillAnswers('Warm');
});

test('a bootstrap without the execute bit is a clear error that says how to fix it', async () => {
  const error = assertFunctionError(await runner.invoke('NotExecutable', {}), 'Runtime.InvalidEntrypoint');
  assert.match(error.errorMessage, /is not executable\. Run: chmod \+x .*bootstrap/);
  await assertStillAnswers('Warm');
});

test('a bootstrap whose interpreter does not exist is a clear error, and the runner carries on', async () => {
  const error = assertFunctionError(await runner.invoke('BadInterpreter', {}), 'Runtime.InvalidEntrypoint');
  assert.match(error.errorMessage, /bootstrap/);
  // A second attempt gets the same answer rather than hanging on a half-dead environment.
  assertFunctionError(await runner.invoke('BadInterpreter', {}), 'Runtime.InvalidEntrypoint');
  await assertStillAnswers('Warm');
});

const REPORT =
  /^REPORT RequestId: (\S+)\tDuration: (\d+\.\d{2}) ms\tBilled Duration: (\d+) ms\tMemory Size: (\d+) MB\tMax Memory Used: (\d+) MB(?:\tInit Duration: (\d+\.\d{2}) ms)?\t?$/m;

test('X-Amz-Log-Type: Tail returns START, the function output, END and REPORT; Init Duration only on the cold invoke', async () => {
  const tail = { 'X-Amz-Log-Type': 'Tail' };
  const cold = await runner.invoke('Reporter', { log: ['first line from the function'] }, tail);
  const warm = await runner.invoke('Reporter', { log: ['second line from the function'] }, tail);
  for (const [reply, line, cold_] of [
    [cold, 'first line from the function', true],
    [warm, 'second line from the function', false],
  ] as const) {
    const body = assertOk(reply, 'Reporter');
    const requestId = String(reply.headers['x-amzn-requestid']);
    assert.equal(body.requestId, requestId, 'the runtime got the request id the caller sees');
    const logs = logTail(reply);
    const lines = logs.split('\n');
    const start = lines.indexOf(`START RequestId: ${requestId} Version: $LATEST`);
    const output = lines.indexOf(line);
    const end = lines.indexOf(`END RequestId: ${requestId}`);
    assert.ok(start >= 0 && start < output && output < end, `START, output, END in order:\n${logs}`);
    const report = REPORT.exec(logs);
    assert.ok(report, `a REPORT line in:\n${logs}`);
    const [, id, duration, billed, memorySize, maxUsed, init] = report;
    assert.equal(id, requestId);
    assert.ok(Number(billed) >= Number(duration) && Number(billed) >= 1, `Billed Duration ${billed} covers Duration ${duration}`);
    assert.equal(Number(memorySize), 256);
    assert.ok(Number(maxUsed) > 0, `Max Memory Used is measured from the process: ${maxUsed}`);
    if (cold_) assert.ok(init !== undefined && Number(init) > 0, `the cold invoke reports Init Duration:\n${logs}`);
    else assert.equal(init, undefined, `a warm invoke has no Init Duration:\n${logs}`);
  }
});

test("the function sees every Lambda variable and its own, and none of the runner's", async () => {
  const reply = await runner.invoke('Env', { env: true });
  const { env } = assertOk(reply, 'Env') as { env: Record<string, string> };
  const runtimeApi = env.AWS_LAMBDA_RUNTIME_API ?? '';
  // Every environment's Runtime API is on the runner's own port (routed by who connects) where the runner can tell.
  if (PEER_CHECKS) assert.equal(runtimeApi, `127.0.0.1:${runner.port}`, "the Runtime API is on the runner's port");
  else assert.notEqual(runtimeApi, `127.0.0.1:${runner.port}`, 'without peer checks each environment has its own port');
  assert.match(runtimeApi, /^127\.0\.0\.1:\d+$/);
  const expected: Record<string, string | RegExp> = {
    _HANDLER: 'function.handler',
    LAMBDA_TASK_ROOT: NODE_BOOTSTRAP_DIR,
    LAMBDA_RUNTIME_DIR: /^\/.+/,
    AWS_LAMBDA_FUNCTION_NAME: 'Env',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/Env',
    AWS_LAMBDA_LOG_STREAM_NAME: /^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/,
    AWS_REGION: /^[a-z]{2}(-[a-z]+)+-\d$/,
    AWS_DEFAULT_REGION: env.AWS_REGION ?? '(AWS_REGION)',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    TZ: ':UTC',
    LANG: /./,
    PATH: /./,
    LD_LIBRARY_PATH: new RegExp(`(^|:)${NODE_BOOTSTRAP_DIR}/lib(:|$)`),
    GREETING: 'hello from the template',
    TABLE_NAME: 'orders',
  };
  for (const [name, value] of Object.entries(expected)) {
    assert.ok(name in env, `${name} is set in the function's environment`);
    if (typeof value === 'string') assert.equal(env[name], value, name);
    else assert.match(env[name]!, value, name);
  }
  assert.equal(env[RUNNER_ONLY_VARIABLE], undefined, "the runner's own environment does not leak into the function");
  const logStreams = new Set([env.AWS_LAMBDA_LOG_STREAM_NAME]);
  const again = assertOk(await runner.invoke('Env', { env: true }), 'Env again').env as Record<string, string>;
  logStreams.add(again.AWS_LAMBDA_LOG_STREAM_NAME);
  assert.equal(logStreams.size, 1, 'one log stream per environment');
});

test('AWS_EXECUTION_ENV is not defined for OS-only (provided) runtimes, as in Lambda', async () => {
  const { env } = assertOk(await runner.invoke('Env', { env: true }), 'Env') as { env: Record<string, string> };
  assert.equal(env.AWS_EXECUTION_ENV, undefined, `Lambda leaves AWS_EXECUTION_ENV unset for the provided family; got ${env.AWS_EXECUTION_ENV}`);
});

test('changing the handler file makes the next invoke run the new code in a new process', async () => {
  const first = assertOk(await runner.invoke('HotReload', {}), 'before the change');
  const warm = assertOk(await runner.invoke('HotReload', {}), 'still warm');
  assert.equal(first.version, 1);
  assert.equal(warm.pid, first.pid);
  const handlerFile = join(hotDir, 'function.sh');
  writeFileSync(handlerFile, readFileSync(handlerFile, 'utf8').replace('"version\\":1', '"version\\":2'));
  assert.match(readFileSync(handlerFile, 'utf8'), /version\\":2/);
  // The runner learns of the change from a file watcher; give the event a moment to arrive.
  await sleep(300);
  const after = assertOk(await runner.invoke('HotReload', {}), 'after the change');
  assert.equal(after.version, 2, 'the new code runs');
  assert.notEqual(after.pid, first.pid, 'in a new process');
  await waitFor(`the old environment (pid ${first.pid}) to be stopped`, () => !isAlive(first.pid), 5000);
  assert.equal(existsSync(join(hotDir, 'bootstrap')), true);
});

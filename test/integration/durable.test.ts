// Durable functions without Docker, through the built CLI (`open-runtime start`) and real clients: the example
// workflow (examples/functions/durable-order, on the real @aws/durable-execution-sdk-js) runs under the runner and
// under the SDK's own testing package (LocalDurableTestRunner) to the same result and the same history; callbacks
// are completed with @aws-sdk/client-lambda and with `open-runtime callback`; executions are listed, stopped, time
// out, and survive a runner restart mid-execution (a wait in progress, a callback waited for).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { zipSync } from 'fflate';
import {
  CreateFunctionCommand,
  GetFunctionConfigurationCommand,
  GetDurableExecutionCommand,
  GetDurableExecutionHistoryCommand,
  InvokeCommand,
  LambdaClient,
  ListDurableExecutionsByFunctionCommand,
  SendDurableExecutionCallbackFailureCommand,
  SendDurableExecutionCallbackHeartbeatCommand,
  SendDurableExecutionCallbackSuccessCommand,
  StopDurableExecutionCommand,
  type Event,
} from '@aws-sdk/client-lambda';
import { LocalDurableTestRunner, WaitingOperationStatus } from '@aws/durable-execution-sdk-js-testing';
import { CLI, ROOT, assertBuilt, post, removeTemps, startRunner, startServe, stopServe, tempDir, type Runner } from './support/runner.ts';
import { CONTROL_PREFIX, DurableExecutionList } from '../../runner/protocol.ts';
import { dirname } from 'node:path';

const run = promisify(execFile);
const EXAMPLE = join(ROOT, 'examples', 'functions', 'durable-order');
const APPROVAL = JSON.stringify({ approved: true, by: 'test' });

assertBuilt();
after(() => removeTemps());

/** A workspace whose template runs `codeUri` (default: the example) as a durable function named Workflow. */
function workspace(name: string, opts: { codeUri?: string; executionTimeout?: number; environment?: Record<string, string>; more?: string } = {}): string {
  const dir = tempDir(name);
  const variables = Object.entries(opts.environment ?? {})
    .map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`)
    .join('\n');
  writeFileSync(
    join(dir, 'template.yaml'),
    `Transform: AWS::Serverless-2016-10-31
Resources:
  Workflow:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: ${opts.codeUri ?? EXAMPLE}
      Handler: app.handler
      Runtime: nodejs24.x
      Timeout: 30
${variables ? `      Environment:\n        Variables:\n${variables}\n` : ''}      DurableConfig:
        ExecutionTimeout: ${opts.executionTimeout ?? 600}
${opts.more ?? ''}`,
  );
  return join(dir, 'template.yaml');
}

/**
 * A durable handler of the tests' own (test/fixtures/durable/<name>/app.mjs), beside the example so that it finds the
 * SDK the same way: it appends each step it really runs (not replays) to STEP_LOG.
 */
function fixture(name: string): string {
  return join(ROOT, 'test', 'fixtures', 'durable', name);
}

/** Polls an asynchronous check until it holds (support/runner.ts's waitFor takes synchronous ones). */
async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`Gave up after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits for an execution to end; returns its status. */
async function ended(lambda: LambdaClient, arn: string, timeoutMs = 20_000): Promise<string | undefined> {
  await eventually(`${arn} to end`, async () => (await statusOf(lambda, arn)) !== 'RUNNING', timeoutMs);
  return statusOf(lambda, arn);
}

function client(runner: Runner): LambdaClient {
  return new LambdaClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

async function history(lambda: LambdaClient, arn: string): Promise<Event[]> {
  return (await lambda.send(new GetDurableExecutionHistoryCommand({ DurableExecutionArn: arn, IncludeExecutionData: true }))).Events ?? [];
}

/** The callback id of a started callback, once the history shows it. */
async function callbackIdOf(lambda: LambdaClient, arn: string, timeoutMs = 20_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const started = (await history(lambda, arn)).find((e) => e.EventType === 'CallbackStarted');
    if (started?.CallbackStartedDetails?.CallbackId) return started.CallbackStartedDetails.CallbackId;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`No callback started in ${arn} within ${timeoutMs / 1000} s.`);
}

/** An execution's ARN, from an Event invoke's header. */
async function startAsync(runner: Runner, payload: unknown, name?: string): Promise<string> {
  const reply = await runner.invoke('Workflow', payload, { 'X-Amz-Invocation-Type': 'Event', ...(name ? { 'X-Amz-Durable-Execution-Name': name } : {}) });
  assert.equal(reply.status, 202, reply.text);
  const arn = reply.headers['x-amz-durable-execution-arn'];
  assert.equal(typeof arn, 'string');
  return arn as string;
}

async function statusOf(lambda: LambdaClient, arn: string): Promise<string | undefined> {
  return (await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }))).Status;
}

/** What both services must agree on: each event's type, operation name and result payload, in a stable order. */
function comparable(events: Event[]): string[] {
  return events
    .filter((e) => e.EventType !== 'InvocationCompleted')
    .map((e) => {
      const result = (e as Record<string, { Result?: { Payload?: string } } | undefined>)[`${e.EventType}Details`]?.Result?.Payload;
      return `${e.EventType} ${e.Name ?? ''} ${e.SubType ?? ''}${result !== undefined ? ` => ${result}` : ''}`;
    })
    .sort();
}

test('the example workflow reaches the same result and history under the runner and under the SDK testing package', async () => {
  const payload = { orderId: 'o-42', items: ['book', 'pen'] };

  // The SDK's reference: its local test runner, real timers, the callback completed through its API.
  await LocalDurableTestRunner.setupTestEnvironment({ skipTime: false });
  let reference: { result: unknown; events: Event[] };
  try {
    const { handler } = (await import(join(EXAMPLE, 'app.mjs'))) as { handler: ConstructorParameters<typeof LocalDurableTestRunner>[0]['handlerFunction'] };
    const local = new LocalDurableTestRunner({ handlerFunction: handler });
    const approval = local.getOperation('approval');
    const done = local.run({ payload });
    await approval.waitForData(WaitingOperationStatus.STARTED);
    await approval.sendCallbackSuccess(APPROVAL);
    const execution = await done;
    assert.equal(execution.getStatus(), 'SUCCEEDED');
    reference = { result: execution.getResult(), events: execution.getHistoryEvents() };
  } finally {
    await LocalDurableTestRunner.teardownTestEnvironment();
  }

  // The runner: a synchronous Invoke with @aws-sdk/client-lambda answers once the execution ends.
  const runner = await startRunner(workspace('durable-parity'));
  try {
    const lambda = client(runner);
    const invoked = lambda.send(
      new InvokeCommand({ FunctionName: 'Workflow', Payload: Buffer.from(JSON.stringify(payload)), DurableExecutionName: 'order-o-42' }),
    );
    const listed = await (async () => {
      for (let i = 0; i < 100; i++) {
        const found = (await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'Workflow' }))).DurableExecutions ?? [];
        if (found.length) return found;
        await new Promise((r) => setTimeout(r, 100));
      }
      return [];
    })();
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.DurableExecutionName, 'order-o-42');
    assert.equal(listed[0]!.Status, 'RUNNING');
    const arn = listed[0]!.DurableExecutionArn!;
    assert.match(arn, /^arn:aws:lambda:us-east-1:123456789012:function:Workflow:\$LATEST\/durable-execution\/order-o-42\/[0-9a-f-]{36}$/);
    await lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: await callbackIdOf(lambda, arn), Result: Buffer.from(APPROVAL) }));
    const answer = await invoked;
    assert.equal(answer.StatusCode, 200);
    assert.equal(answer.FunctionError, undefined);
    assert.equal(answer.DurableExecutionArn, arn);
    const result = JSON.parse(Buffer.from(answer.Payload!).toString('utf8'));
    assert.deepEqual(result, reference.result);
    assert.deepEqual(result, {
      orderId: 'o-42',
      reservation: { reserved: 2, attempts: 3 },
      pricing: { base: 20, tax: 4, total: 24 },
      checks: ['low', 'valid'],
      labels: ['o-42-book', 'o-42-pen'],
      approval: { approved: true, by: 'test' },
    });
    const events = await history(lambda, arn);
    assert.deepEqual(comparable(events), comparable(reference.events));
    // The retried step failed twice before it succeeded, and the function was invoked again after each pause.
    assert.equal(events.filter((e) => e.EventType === 'StepFailed' && e.Name === 'reserve-stock').length, 2);
    assert.ok(events.filter((e) => e.EventType === 'InvocationCompleted').length >= 4);
    assert.equal(events.at(-1)!.EventType, 'ExecutionSucceeded');
    assert.ok(
      events.every((e, i) => e.EventId === i + 1),
      'event ids count up from 1',
    );
    const got = await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: arn }));
    assert.equal(got.Status, 'SUCCEEDED');
    assert.deepEqual(JSON.parse(got.Result!), result);
    assert.deepEqual(JSON.parse(got.InputPayload!), payload);
    assert.deepEqual(got.DurableConfig, { ExecutionTimeout: 600, RetentionPeriodInDays: 14 });

    // The same name and input is the same execution (an idempotent start); another input under that name is refused.
    const again = await runner.invoke('Workflow', payload, { 'X-Amz-Durable-Execution-Name': 'order-o-42' });
    assert.equal(again.status, 200);
    assert.equal(again.headers['x-amz-durable-execution-arn'], arn);
    assert.deepEqual(again.json(), result);
    const clash = await runner.invoke('Workflow', { orderId: 'other' }, { 'X-Amz-Durable-Execution-Name': 'order-o-42' });
    assert.equal(clash.status, 409);
    assert.equal(clash.headers['x-amzn-errortype'], 'DurableExecutionAlreadyStartedException');
  } finally {
    await runner.stop();
  }
});

test('a runner stopped during a wait and during a callback resumes both executions at its next start, without redoing finished steps', async () => {
  const code = fixture('restart');
  const log = join(tempDir('durable-restart-log'), 'steps.log');
  appendFileSync(log, '');
  const template = workspace('durable-restart', { codeUri: code, environment: { STEP_LOG: log } });
  let runner = await startRunner(template);
  let lambda = client(runner);
  const waiting = await startAsync(runner, { id: 1, waitSeconds: 3 });
  const calling = await startAsync(runner, { id: 2, waitSeconds: 0, callback: true });
  // Stopped once both are checkpointed as waiting (a step that ran but was not yet checkpointed would run again,
  // at least once, as in Lambda).
  await eventually('the wait to start', async () => (await history(lambda, waiting)).some((e) => e.EventType === 'WaitStarted'));
  await eventually('the callback submitter to be checkpointed', async () =>
    (await history(lambda, calling)).some((e) => e.EventType === 'StepSucceeded' && e.Name === undefined),
  );
  assert.equal(await statusOf(lambda, waiting), 'RUNNING');
  assert.equal(await runner.stop(), 0);
  lambda.destroy();

  runner = await startRunner(template);
  try {
    lambda = client(runner);
    // The wait ends on time after the restart, and the execution carries on to its end.
    assert.equal(
      await ended(lambda, waiting),
      'SUCCEEDED',
      JSON.stringify((await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: waiting }))).Error) + runner.stderr().slice(-3000),
    );
    assert.deepEqual(JSON.parse((await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: waiting }))).Result!), {
      first: 10,
      second: 11,
      answer: null,
    });
    // The callback started before the restart is completed after it, with the CLI.
    assert.equal(await statusOf(lambda, calling), 'RUNNING');
    const id = await callbackIdOf(lambda, calling);
    const cli = await run(process.execPath, [CLI, 'callback', 'succeed', id, '--port', String(runner.port), '--result', '{"ok":true}']);
    assert.equal(cli.stdout.trim(), '{}');
    assert.equal(await ended(lambda, calling), 'SUCCEEDED');
    assert.deepEqual(JSON.parse((await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: calling }))).Result!), {
      first: 20,
      second: 21,
      answer: '{"ok":true}',
    });
    // Each step's work ran once: replays after the restart took the checkpointed results.
    const lines = readFileSync(log, 'utf8').trim().split('\n').sort();
    assert.deepEqual(
      lines.filter((l) => !l.startsWith('callback')),
      ['first 1', 'first 2', 'second 1', 'second 2'],
    );
    assert.equal(lines.filter((l) => l.startsWith('callback')).length, 1);
    // The CLI lists and shows them as the API does.
    const listed = JSON.parse(
      (await run(process.execPath, [CLI, 'execution', 'list', 'Workflow', '--port', String(runner.port), '--status', 'SUCCEEDED'])).stdout,
    );
    assert.deepEqual(listed.DurableExecutions.map((e: { DurableExecutionArn: string }) => e.DurableExecutionArn).sort(), [waiting, calling].sort());
    const shown = JSON.parse((await run(process.execPath, [CLI, 'execution', 'history', calling, '--port', String(runner.port)])).stdout);
    assert.deepEqual(
      shown.Events.filter((e: Event) => e.EventType !== 'InvocationCompleted').map((e: Event) => `${e.EventType} ${e.Name ?? ''}`),
      [
        'ExecutionStarted ',
        'StepStarted first',
        'StepSucceeded first',
        'WaitStarted pause',
        'WaitSucceeded pause',
        'ContextStarted answer',
        'CallbackStarted ',
        'StepStarted ',
        'StepSucceeded ',
        'CallbackSucceeded ',
        'ContextSucceeded answer',
        'StepStarted second',
        'StepSucceeded second',
        'ExecutionSucceeded ',
      ],
    );
  } finally {
    lambda.destroy();
    await runner.stop();
  }
});

test("callbacks fail, heartbeat and time out; executions stop and time out; tokens and ids that are not the runner's are refused", async () => {
  const code = fixture('control');
  const runner = await startRunner(workspace('durable-control', { codeUri: code, executionTimeout: 8 }));
  const lambda = client(runner);
  try {
    // A failure reaches the function as an error it can catch.
    const failing = await startAsync(runner, {});
    await lambda.send(
      new SendDurableExecutionCallbackFailureCommand({
        CallbackId: await callbackIdOf(lambda, failing),
        Error: { ErrorType: 'Rejected', ErrorMessage: 'not approved' },
      }),
    );
    assert.equal(await ended(lambda, failing), 'SUCCEEDED');
    assert.deepEqual(JSON.parse((await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: failing }))).Result!), { failed: 'not approved' });

    // Heartbeats keep a callback with a 2 s heartbeat timeout alive for 3 s; without them it times out.
    const beating = await startAsync(runner, { heartbeat: 2 });
    const beatingId = await callbackIdOf(lambda, beating);
    const silent = await startAsync(runner, { heartbeat: 2 });
    for (let i = 0; i < 6; i++) {
      await lambda.send(new SendDurableExecutionCallbackHeartbeatCommand({ CallbackId: beatingId }));
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(await statusOf(lambda, beating), 'RUNNING');
    await lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: beatingId, Result: Buffer.from('"yes"') }));
    assert.equal(await ended(lambda, beating), 'SUCCEEDED');
    assert.deepEqual(JSON.parse((await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: beating }))).Result!), { value: '"yes"' });
    assert.equal(await ended(lambda, silent), 'SUCCEEDED');
    const silentEvents = await history(lambda, silent);
    assert.ok(
      silentEvents.some((e) => e.EventType === 'CallbackTimedOut'),
      'the silent callback timed out',
    );
    assert.match(JSON.parse((await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: silent }))).Result!).failed, /timed out/i);
    // A completed callback can't complete again.
    await assert.rejects(
      lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: beatingId, Result: Buffer.from('"again"') })),
      /already completed/,
    );
    await assert.rejects(lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: 'bm90LWEtY2FsbGJhY2s', Result: Buffer.from('1') })), {
      name: 'ResourceNotFoundException',
    });

    // StopDurableExecution ends a running execution with the caller's error; a stopped one can't be stopped again.
    const stopping = await startAsync(runner, { mode: 'sleep' });
    // Stopped while it waits: the wait started and the invocation that started it has returned (suspended).
    await eventually('the wait to start and its invocation to end', async () => {
      const events = await history(lambda, stopping);
      const waitAt = events.findIndex((e) => e.EventType === 'WaitStarted');
      return waitAt >= 0 && events.slice(waitAt).some((e) => e.EventType === 'InvocationCompleted');
    });
    const stopped = await lambda.send(
      new StopDurableExecutionCommand({ DurableExecutionArn: stopping, Error: { ErrorType: 'Cancelled', ErrorMessage: 'by the test' } }),
    );
    assert.ok(stopped.StopTimestamp instanceof Date);
    const afterStop = await lambda.send(new GetDurableExecutionCommand({ DurableExecutionArn: stopping }));
    assert.equal(afterStop.Status, 'STOPPED');
    assert.deepEqual(afterStop.Error, { ErrorType: 'Cancelled', ErrorMessage: 'by the test' });
    assert.equal((await history(lambda, stopping)).at(-1)!.EventType, 'ExecutionStopped');
    await assert.rejects(lambda.send(new StopDurableExecutionCommand({ DurableExecutionArn: stopping })), /already ended/);

    // The ExecutionTimeout (8 s) ends an execution that sleeps 60 s.
    const sleeping = await startAsync(runner, { mode: 'sleep' });
    assert.equal(await ended(lambda, sleeping), 'TIMED_OUT');
    assert.equal((await history(lambda, sleeping)).at(-1)!.EventType, 'ExecutionTimedOut');

    // The function's own API calls need its invocation's token: a made-up or stale one is refused.
    const forged = await post(
      `${runner.endpoint}/2025-12-01/durable-executions/${encodeURIComponent(sleeping)}/checkpoint`,
      JSON.stringify({ CheckpointToken: 'bm9wZQ', Updates: [] }),
    );
    assert.equal(forged.status, 400);
    assert.equal(forged.headers['x-amzn-errortype'], 'InvalidParameterValueException');
    const unknown = await post(
      `${runner.endpoint}/2025-12-01/durable-executions/${encodeURIComponent(sleeping.replace(/[0-9a-f-]{36}$/, '00000000-0000-0000-0000-000000000000'))}/checkpoint`,
      JSON.stringify({ CheckpointToken: 'x', Updates: [] }),
    );
    assert.equal(unknown.status, 404);
    assert.equal(unknown.headers['x-amzn-errortype'], 'ResourceNotFoundException');
    await assert.rejects(lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'NoSuchFunction' })), { name: 'ResourceNotFoundException' });
  } finally {
    lambda.destroy();
    await runner.stop();
  }
});

test('--skip-waits ends waits and retry delays at once', async () => {
  const code = fixture('skip');
  const template = workspace('durable-skip', { codeUri: code });
  const cli = await (await import('./support/runner.ts')).startCli(['start', '--port', '0', '--api-port', '0', '--skip-waits', '--template', template], {
    cwd: join(template, '..'),
    banner: /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    const answer = await post(`${cli.endpoint}/2015-03-31/functions/Workflow/invocations`, '{}', {}, 30_000);
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json(), { tries: 2 });
  } finally {
    await cli.stop();
  }
});

test('CreateFunction takes a DurableConfig; the function then runs as a durable execution, also when the AWS CLI invokes it', async () => {
  const runner = await startRunner(workspace('durable-control-plane'));
  const lambda = client(runner);
  try {
    // A handler that speaks the durable invocation protocol itself (no SDK in the package): it answers SUCCEEDED
    // with what it was given, so the test sees the invocation event the runner sends.
    const code = `export const handler = async (event) => ({ Status: 'SUCCEEDED', Result: JSON.stringify({ arn: event.DurableExecutionArn, token: typeof event.CheckpointToken, operations: event.InitialExecutionState.Operations.map((o) => [o.Type, o.Status, o.ExecutionDetails?.InputPayload]) }) });`;
    const zip = zipSync({ 'index.mjs': Buffer.from(code) });
    const created = await lambda.send(
      new CreateFunctionCommand({
        FunctionName: 'Deployed',
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        Role: 'arn:aws:iam::123456789012:role/r',
        Code: { ZipFile: zip },
        DurableConfig: { ExecutionTimeout: 120 },
      }),
    );
    assert.deepEqual(created.DurableConfig, { ExecutionTimeout: 120, RetentionPeriodInDays: 14 });
    assert.deepEqual((await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: 'Deployed' }))).DurableConfig, {
      ExecutionTimeout: 120,
      RetentionPeriodInDays: 14,
    });
    const answer = await lambda.send(new InvokeCommand({ FunctionName: 'Deployed', Payload: Buffer.from('{"n":1}') }));
    const seen = JSON.parse(Buffer.from(answer.Payload!).toString('utf8'));
    assert.equal(seen.arn, answer.DurableExecutionArn);
    assert.equal(seen.token, 'string');
    assert.deepEqual(seen.operations, [['EXECUTION', 'STARTED', '{"n":1}']]);
    await assert.rejects(
      lambda.send(
        new CreateFunctionCommand({
          FunctionName: 'Bad',
          Runtime: 'nodejs24.x',
          Handler: 'index.handler',
          Role: 'arn:aws:iam::123456789012:role/r',
          Code: { ZipFile: zip },
          DurableConfig: { ExecutionTimeout: 0 },
        }),
      ),
      (err: Error) => err.name === 'InvalidParameterValueException' && /ExecutionTimeout is 0/.test(err.message),
    );

    // The AWS CLI v2 (an Invoke like any other) gets the example workflow's result once its callback is completed.
    const out = join(tempDir('durable-cli-out'), 'out.json');
    const cli = run(
      '/usr/bin/aws',
      [
        'lambda',
        'invoke',
        '--endpoint-url',
        runner.endpoint,
        '--function-name',
        'Workflow',
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        '{"orderId":"cli-1","items":["cup"]}',
        out,
      ],
      { env: { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' } },
    );
    let arn: string | undefined;
    await eventually("the CLI's execution", async () => {
      arn = (await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'Workflow' }))).DurableExecutions?.[0]?.DurableExecutionArn;
      return arn !== undefined;
    });
    await lambda.send(new SendDurableExecutionCallbackSuccessCommand({ CallbackId: await callbackIdOf(lambda, arn!), Result: Buffer.from(APPROVAL) }));
    const { stdout } = await cli;
    assert.equal(JSON.parse(stdout).StatusCode, 200);
    const result = JSON.parse(readFileSync(out, 'utf8'));
    assert.equal(result.orderId, 'cli-1');
    assert.deepEqual(result.approval, { approved: true, by: 'test' });
  } finally {
    lambda.destroy();
    await runner.stop();
  }
});

test('context.invoke runs a plain function, a durable one as an execution of its own, and reports a missing one', async () => {
  const code = fixture('chained');
  const runner = await startRunner(
    workspace('durable-chained', {
      codeUri: code,
      more: `  Helper:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ${code}\n      Handler: helper.handler\n      Runtime: nodejs24.x\n`,
    }),
  );
  const lambda = client(runner);
  try {
    const answer = await runner.invoke('Workflow', {}, {}, 30_000);
    assert.equal(answer.status, 200, answer.text);
    const result = answer.json();
    assert.deepEqual(result.helped, { plusOne: 21 });
    assert.equal(result.doubled, 42);
    assert.match(result.missing, /NoSuchFunction/);
    const arn = answer.headers['x-amz-durable-execution-arn'] as string;
    const events = (await history(lambda, arn)).map((e) => `${e.EventType} ${e.Name ?? ''}`).filter((e) => e.startsWith('ChainedInvoke'));
    assert.deepEqual(events, [
      'ChainedInvokeStarted help',
      'ChainedInvokeSucceeded help',
      'ChainedInvokeStarted double',
      'ChainedInvokeSucceeded double',
      'ChainedInvokeStarted missing',
      'ChainedInvokeFailed missing',
    ]);
    // The durable target ran as an execution of its own.
    const executions = (await lambda.send(new ListDurableExecutionsByFunctionCommand({ FunctionName: 'Workflow' }))).DurableExecutions ?? [];
    assert.equal(executions.length, 2);
  } finally {
    lambda.destroy();
    await runner.stop();
  }
});

test("the editor's control API lists executions with their steps and completes a callback", async () => {
  const serve = await startServe(dirname(workspace('durable-editor')), 'durable-editor-token-0123456789');
  const control = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`http://127.0.0.1:${serve.port}${CONTROL_PREFIX}${route}`, {
      method,
      headers: { Authorization: `Bearer ${serve.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as any };
  };
  try {
    const started = await post(`http://127.0.0.1:${serve.port}/2015-03-31/functions/Workflow/invocations`, JSON.stringify({ orderId: 'ed-1' }), {
      'X-Amz-Invocation-Type': 'Event',
    });
    assert.equal(started.status, 202);
    let callbackId: string | undefined;
    await eventually('a waiting callback in the list', async () => {
      const list = DurableExecutionList.parse((await control('GET', '/durable-executions')).json);
      callbackId = list.executions[0]?.steps.find((s) => s.type === 'CALLBACK' && s.status === 'STARTED')?.callbackId;
      return callbackId !== undefined;
    });
    const notJson = await control('POST', '/durable-callbacks', { callbackId, outcome: 'succeed', result: 'yes' });
    assert.equal(notJson.status, 400);
    assert.match(notJson.json.message, /must be JSON/);
    assert.equal((await control('POST', '/durable-callbacks', { callbackId: 'unknown', outcome: 'succeed' })).status, 404);
    assert.equal((await control('POST', '/durable-callbacks', { callbackId, outcome: 'succeed', result: '{"approved":true}' })).status, 200);
    let done: DurableExecutionList['executions'][number] | undefined;
    await eventually('the execution to succeed', async () => {
      done = DurableExecutionList.parse((await control('GET', '/durable-executions')).json).executions[0];
      return done?.status === 'SUCCEEDED';
    });
    assert.deepEqual(JSON.parse(done!.result!).approval, { approved: true });
    const reserve = done!.steps.find((s) => s.name === 'reserve-stock')!;
    assert.equal(reserve.attempts, 3);
    assert.equal(reserve.status, 'SUCCEEDED');
    const price = done!.steps.find((s) => s.name === 'price')!;
    assert.deepEqual(
      done!.steps.filter((s) => s.parentId === price.id).map((s) => s.name),
      ['base-price', 'tax'],
    );

    // The editor's Invoke of a durable function is an execution too, answered when it ends.
    const invoked = control('POST', '/invoke', { function: 'Workflow', payload: JSON.stringify({ orderId: 'ed-2' }) });
    let second: string | undefined;
    await eventually("the invoked execution's callback", async () => {
      const list = DurableExecutionList.parse((await control('GET', '/durable-executions')).json);
      second = list.executions
        .find((e) => JSON.parse(e.input).orderId === 'ed-2')
        ?.steps.find((s) => s.type === 'CALLBACK' && s.status === 'STARTED')?.callbackId;
      return second !== undefined;
    });
    assert.equal((await control('POST', '/durable-callbacks', { callbackId: second, outcome: 'fail', errorMessage: 'Rejected in the editor' })).status, 200);
    const answer = await invoked;
    assert.equal(answer.status, 200);
    assert.equal(answer.json.functionError, 'Unhandled');
    assert.equal(answer.json.error.errorMessage, 'Rejected in the editor');
  } finally {
    await stopServe(serve);
  }
});

test('open-runtime invoke on a durable function runs its execution to the end: waits skipped, a callback completed with open-runtime callback on the port it names', async () => {
  const template = workspace('durable-invoke');
  const { spawn } = await import('node:child_process');
  const child = spawn(process.execPath, [CLI, 'invoke', 'Workflow', '--template', template, '--skip-waits', '--event', '-'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(JSON.stringify({ orderId: 'o-cli', items: ['book', 'pen'] }));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  try {
    await eventually('the callback id in the log', async () => /callback succeed (\S+) --result/.test(stderr), 60_000).catch(() => assert.fail(stderr));
    const port = /callbacks: open-runtime callback succeed <id> --port (\d+)/.exec(stderr)?.[1];
    assert.ok(port, `the invoke names its port for callbacks:\n${stderr}`);
    const callbackId = /callback succeed (\S+) --result/.exec(stderr)![1]!;
    await run(process.execPath, [CLI, 'callback', 'succeed', callbackId, '--port', port, '--result', APPROVAL]);
    assert.equal(await exited, 0, stderr);
    const result = JSON.parse(stdout);
    assert.equal(result.orderId, 'o-cli');
    assert.deepEqual(result.approval, JSON.parse(APPROVAL));
    assert.deepEqual(result.labels, ['o-cli-book', 'o-cli-pen']);
  } finally {
    child.kill('SIGKILL');
  }
});

test('Middy 7 in its durable execution mode: the chain runs around the durable handler on every replay, and a wait is skipped with --skip-waits', async () => {
  const template = workspace('durable-middy', { codeUri: fixture('middy') });
  const { stdout, stderr } = await run(process.execPath, [
    CLI,
    'invoke',
    'Workflow',
    '--template',
    template,
    '--skip-waits',
    '--event',
    join(fixture('middy'), '..', 'middy-event.json'),
  ]).catch((err: { stdout: string; stderr: string }) => assert.fail(`${err.stderr}\n${err.stdout}`));
  const result = JSON.parse(stdout);
  assert.equal(result.doubled, 42, stderr);
  assert.equal(result.stamped, true, 'the before middleware ran on the replay that produced the answer');
  assert.equal(result.wrapped, true, 'the after middleware wrapped the answer');
  assert.equal(result.function, 'Workflow', 'the durable context carries the Lambda context');
});

// Durable functions without Docker, through the built CLI (`open-runtime start`) and real clients: the example
// workflow (examples/functions/durable-order, on the real @aws/durable-execution-sdk-js) runs under the runner and
// under the SDK's own testing package (LocalDurableTestRunner) to the same result and the same history; callbacks
// are completed with @aws-sdk/client-lambda and with `open-runtime callback`; executions are listed, stopped, time
// out, and survive a runner restart mid-execution (a wait in progress, a callback waited for).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import {
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
import { CLI, ROOT, assertBuilt, post, removeTemps, startRunner, tempDir, waitFor, type Runner } from './support/runner.ts';

const run = promisify(execFile);
const EXAMPLE = join(ROOT, 'examples', 'functions', 'durable-order');
const APPROVAL = JSON.stringify({ approved: true, by: 'test' });

assertBuilt();
after(() => removeTemps());

/** A workspace whose template runs `codeUri` (default: the example) as a durable function named Workflow. */
function workspace(name: string, opts: { codeUri?: string; executionTimeout?: number; environment?: Record<string, string> } = {}): string {
  const dir = tempDir(name);
  const variables = Object.entries(opts.environment ?? {}).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`).join('\n');
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
`,
  );
  return join(dir, 'template.yaml');
}

/**
 * A durable handler of the test's own, in a folder beside the example (so that it finds the SDK the same way): it
 * appends each step it really runs (not replays) to STEP_LOG.
 */
function ownWorkflow(name: string, body: string): string {
  const dir = join(ROOT, 'test', 'fixtures', 'durable', name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, 'app.mjs'),
    `import { appendFileSync } from 'node:fs';
import { withDurableExecution } from '@aws/durable-execution-sdk-js';
const ran = (what) => appendFileSync(process.env.STEP_LOG, what + '\\n');
export const handler = withDurableExecution(async (event, context) => {
${body}
});
`,
  );
  return dir;
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
    const invoked = lambda.send(new InvokeCommand({ FunctionName: 'Workflow', Payload: Buffer.from(JSON.stringify(payload)), DurableExecutionName: 'order-o-42' }));
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
    assert.ok(events.every((e, i) => e.EventId === i + 1), 'event ids count up from 1');
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

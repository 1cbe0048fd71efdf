// The durable execution state machine (runner/durable/execution.ts) and its wire forms (wire.ts), without processes:
// which checkpoint updates it takes and refuses, when waits, retries and callbacks move on, what a replay sees, and
// the history each produces. The end-to-end behaviour with the real SDK is test/integration/durable.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DurableExecution, type OperationUpdate } from '../../runner/durable/execution.ts';
import { readDurableConfig } from '../../runner/durable/config.ts';
import { callbackId, checkpointToken, executionArn, executionIdOf, readCallbackId, readCheckpointToken, withWireTimes } from '../../runner/durable/wire.ts';

const T0 = 1_700_000_000_000;

function fresh(executionTimeout = 60): DurableExecution {
  return DurableExecution.start({
    id: 'e1',
    arn: 'arn',
    name: 'n',
    function: 'F',
    functionArn: 'arn:f',
    input: '{"a":1}',
    executionTimeout,
    retentionPeriodInDays: 14,
    now: T0,
  });
}

const cb = (op: string) => `cb-${op}`;
const types = (exec: DurableExecution) => exec.record.events.map((e) => `${e.EventType}${e.Name ? ` ${e.Name}` : ''}`);

test('a step that starts and succeeds is one operation with its result, and two events', () => {
  const exec = fresh();
  const changed = exec.checkpoint(
    [
      { Id: 's1', Type: 'STEP', Action: 'START', Name: 'one' },
      { Id: 's1', Type: 'STEP', Action: 'SUCCEED', Payload: '42' },
    ],
    T0 + 5,
    cb,
  );
  assert.equal(changed.length, 1);
  assert.equal(changed[0]!.Status, 'SUCCEEDED');
  assert.deepEqual(changed[0]!.StepDetails, { Attempt: 1, Result: '42' });
  assert.deepEqual(types(exec), ['ExecutionStarted', 'StepStarted one', 'StepSucceeded one']);
});

test('a retried step is PENDING until its next attempt is due, then READY and marked for the next invocation', () => {
  const exec = fresh();
  exec.checkpoint([{ Id: 's', Type: 'STEP', Action: 'RETRY', Error: { ErrorMessage: 'busy' }, StepOptions: { NextAttemptDelaySeconds: 5 } }], T0, cb);
  const op = exec.operation('s')!;
  assert.equal(op.Status, 'PENDING');
  assert.equal(op.StepDetails!.NextAttemptTimestamp, T0 + 5000);
  assert.equal(exec.nextDue(), T0 + 5000);
  assert.equal(exec.fireDue(T0 + 4999), false);
  assert.equal(exec.fireDue(T0 + 5000), true);
  assert.equal(op.Status, 'READY');
  assert.deepEqual(exec.takeUpdated(), ['s']);
  assert.deepEqual(exec.takeUpdated(), []);
  exec.checkpoint(
    [
      { Id: 's', Type: 'STEP', Action: 'START' },
      { Id: 's', Type: 'STEP', Action: 'SUCCEED', Payload: '"ok"' },
    ],
    T0 + 6000,
    cb,
  );
  assert.equal(op.StepDetails!.Attempt, 2);
  assert.deepEqual(types(exec), ['ExecutionStarted', 'StepFailed', 'StepStarted', 'StepSucceeded']);
});

test('a wait succeeds at its end, or at once when waits are skipped', () => {
  const exec = fresh();
  exec.checkpoint([{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 3600 } }], T0, cb);
  assert.equal(exec.operation('w')!.WaitDetails!.ScheduledEndTimestamp, T0 + 3_600_000);
  assert.equal(exec.fireDue(T0 + 1000), false);
  assert.equal(exec.fireDue(T0 + 1000, true), true);
  assert.equal(exec.operation('w')!.Status, 'SUCCEEDED');
  assert.equal(exec.record.events.at(-1)!.EventType, 'WaitSucceeded');
});

test('a callback gets an id, completes once, and times out on its heartbeat', () => {
  const exec = fresh();
  const [op] = exec.checkpoint([{ Id: 'c', Type: 'CALLBACK', Action: 'START', CallbackOptions: { HeartbeatTimeoutSeconds: 2, TimeoutSeconds: 100 } }], T0, cb);
  assert.equal(op!.CallbackDetails!.CallbackId, 'cb-c');
  exec.heartbeat('c', T0 + 1500);
  assert.equal(exec.fireDue(T0 + 3000), false, 'the heartbeat pushed the deadline to T0 + 3.5 s');
  assert.equal(exec.fireDue(T0 + 3500), true);
  assert.equal(op!.Status, 'TIMED_OUT');
  assert.match(op!.CallbackDetails!.Error!.ErrorMessage!, /heartbeat/);
  assert.throws(() => exec.completeCallback('c', 'SUCCEEDED', T0 + 4000, { result: '1' }), /already completed/);
  assert.throws(() => exec.completeCallback('nope', 'SUCCEEDED', T0 + 4000, { result: '1' }), /does not exist/);
});

test('the replay state leaves out the children of a finished context that does not replay them', () => {
  const exec = fresh();
  exec.checkpoint(
    [
      { Id: 'ctx', Type: 'CONTEXT', Action: 'START', Name: 'child' },
      { Id: 'inner', ParentId: 'ctx', Type: 'STEP', Action: 'SUCCEED', Payload: '1' },
      { Id: 'ctx', Type: 'CONTEXT', Action: 'SUCCEED', Payload: '1' },
      { Id: 'kept', Type: 'CONTEXT', Action: 'START', ContextOptions: { ReplayChildren: true } },
      { Id: 'kid', ParentId: 'kept', Type: 'STEP', Action: 'SUCCEED', Payload: '2' },
      { Id: 'kept', Type: 'CONTEXT', Action: 'SUCCEED', Payload: '2' },
    ],
    T0,
    cb,
  );
  assert.deepEqual(
    exec
      .state()
      .map((op) => op.Id)
      .slice(1),
    ['ctx', 'kept', 'kid'],
  );
  assert.equal(exec.operations().length, 5);
});

test('updates Lambda refuses are refused with its error type and a sentence', () => {
  const exec = fresh();
  const refuse = (updates: OperationUpdate[], message: RegExp) =>
    assert.throws(
      () => exec.checkpoint(updates, T0, cb),
      (err: Error & { type?: string }) => err.type === 'InvalidParameterValueException' && message.test(err.message),
    );
  refuse([{ Type: 'STEP', Action: 'START' }], /needs an Id/);
  refuse([{ Id: 'x', Type: 'TIMER', Action: 'START' }], /Type "TIMER"/);
  refuse([{ Id: 'x', Type: 'toString', Action: 'START' }], /Type "toString"/);
  refuse([{ Id: 'x', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 'soon' as never } }], /WaitSeconds of operation x is "soon"/);
  refuse([{ Id: 'x', Type: 'STEP', Action: 'RETRY', StepOptions: { NextAttemptDelaySeconds: -1 } }], /NextAttemptDelaySeconds/);
  refuse([{ Id: 'x', Type: 'WAIT', Action: 'SUCCEED' }], /Invalid action SUCCEED/);
  refuse([{ Id: 'x', Type: 'STEP', Action: 'START', ParentId: 'ghost' }], /parent ghost/);
  refuse([{ Id: 'x', Type: 'STEP', Action: 'FAIL', Error: { ErrorMessage: 'x'.repeat(40_000) } }], /larger than 32768/);
  exec.checkpoint([{ Id: 'w', Type: 'WAIT', Action: 'START', WaitOptions: { WaitSeconds: 1 } }], T0, cb);
  refuse([{ Id: 'w', Type: 'WAIT', Action: 'START' }], /already started/);
  refuse([{ Id: 'w', Type: 'STEP', Action: 'START' }], /is a WAIT/);
  assert.equal(exec.operations().length, 2, 'a refused checkpoint changes nothing');
});

test('the execution ends once: by a checkpoint, a stop or its timeout, with the matching event', () => {
  const timed = fresh(10);
  assert.equal(timed.nextDue(), T0 + 10_000);
  assert.equal(timed.fireDue(T0 + 10_000), true);
  assert.equal(timed.record.status, 'TIMED_OUT');
  assert.equal(timed.record.events.at(-1)!.EventType, 'ExecutionTimedOut');
  assert.throws(() => timed.checkpoint([], T0 + 10_001, cb), /execution has ended/);

  const big = fresh();
  big.checkpoint([{ Id: 'whatever', Type: 'EXECUTION', Action: 'SUCCEED', Payload: '"large"' }], T0, cb);
  assert.equal(big.record.status, 'SUCCEEDED');
  assert.equal(big.record.result, '"large"');
  assert.equal(big.executionOperation().Status, 'SUCCEEDED');
  big.end('FAILED', T0 + 1, { error: {} });
  assert.equal(big.record.status, 'SUCCEEDED', 'an ended execution stays as it ended');
  assert.deepEqual(types(big), ['ExecutionStarted', 'ExecutionSucceeded']);
});

test('ARNs, checkpoint tokens and callback ids round-trip; times go out in epoch seconds', () => {
  const arn = executionArn('arn:aws:lambda:us-east-1:123456789012:function:F', '$LATEST', 'order-1', '6f1c2b7e-0000-4000-8000-000000000000');
  assert.equal(arn, 'arn:aws:lambda:us-east-1:123456789012:function:F:$LATEST/durable-execution/order-1/6f1c2b7e-0000-4000-8000-000000000000');
  assert.equal(executionIdOf(arn), '6f1c2b7e-0000-4000-8000-000000000000');
  assert.equal(executionIdOf('arn:aws:lambda:us-east-1:123456789012:function:F'), undefined);
  assert.deepEqual(readCheckpointToken(checkpointToken('e', 'i')), { executionId: 'e', invocationId: 'i' });
  assert.deepEqual(readCallbackId(callbackId('e', 'o')), { executionId: 'e', operationId: 'o' });
  assert.notEqual(callbackId('e', 'o'), callbackId('e', 'o'), 'each id has its own nonce');
  assert.equal(readCheckpointToken('not base64 json'), undefined);
  assert.deepEqual(withWireTimes({ StartTimestamp: 1500, StepDetails: { NextAttemptTimestamp: 2500, Attempt: 3 }, Gone: undefined }), {
    StartTimestamp: 1.5,
    StepDetails: { NextAttemptTimestamp: 2.5, Attempt: 3 },
  });
});

test("DurableConfig is read with Lambda's limits", () => {
  assert.deepEqual(readDurableConfig({ ExecutionTimeout: 900 }), { executionTimeout: 900, retentionPeriodInDays: 14 });
  assert.deepEqual(readDurableConfig({ ExecutionTimeout: 31_622_400, RetentionPeriodInDays: 90 }), { executionTimeout: 31_622_400, retentionPeriodInDays: 90 });
  assert.match((readDurableConfig({}) as { problems: string[] }).problems[0]!, /needs ExecutionTimeout/);
  assert.match((readDurableConfig({ ExecutionTimeout: 31_622_401 }) as { problems: string[] }).problems[0]!, /from 1 to 31622400/);
  assert.match((readDurableConfig({ ExecutionTimeout: 60, RetentionPeriodInDays: 0 }) as { problems: string[] }).problems[0]!, /from 1 to 90/);
  assert.match((readDurableConfig('yes') as { problems: string[] }).problems[0]!, /must be a mapping/);
});

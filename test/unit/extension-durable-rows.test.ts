// The Durable Executions view's rows (extension/durable/execution-rows.ts): operations nested as the function nested
// them, status, duration and attempts in the description, payloads in the tooltip, and the callbacks that wait.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { duration, durableRows } from '../../extension/durable/execution-rows.ts';
import type { DurableExecutionList } from '../../runner/protocol.ts';

const T0 = 1_700_000_000_000;

const list: DurableExecutionList = {
  executions: [
    {
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:Flow:$LATEST/durable-execution/order-1/6f1c2b7e-0000-4000-8000-000000000000',
      name: 'order-1',
      function: 'Flow',
      status: 'RUNNING',
      startTimestamp: T0,
      input: '{"orderId":"1"}',
      steps: [
        { id: 'cb', parentId: 'ctx', type: 'CALLBACK', status: 'STARTED', startTimestamp: T0 + 3000, callbackId: 'CB-ID' },
        {
          id: 's1',
          name: 'reserve',
          type: 'STEP',
          subType: 'Step',
          status: 'SUCCEEDED',
          startTimestamp: T0,
          endTimestamp: T0 + 2500,
          attempts: 3,
          result: '{"ok":true}',
        },
        { id: 'ctx', name: 'approval', type: 'CONTEXT', subType: 'WaitForCallback', status: 'STARTED', startTimestamp: T0 + 2900 },
        { id: 'w', name: 'cool-off', type: 'WAIT', status: 'SUCCEEDED', startTimestamp: T0 + 2600, endTimestamp: T0 + 2800 },
      ],
    },
    {
      arn: 'arn:done',
      name: '9b3f0c1e-1111-4000-8000-000000000000',
      function: 'Flow',
      status: 'FAILED',
      startTimestamp: T0,
      endTimestamp: T0 + 61_000,
      input: '{}',
      error: '{"ErrorMessage":"no"}',
      steps: [],
    },
  ],
};

test('operations nest under their parents in start order, with status, duration and attempts', () => {
  const [running, failed] = durableRows(list, T0 + 5000);
  assert.equal(running!.label, 'Flow order-1');
  assert.equal(running!.description, 'running (waiting for a callback) · 5.0 s');
  assert.equal(running!.state, 'waiting');
  assert.deepEqual(
    running!.children.map((r) => [r.label, r.description, r.state]),
    [
      ['reserve', 'succeeded · 2.5 s · 3 attempts', 'succeeded'],
      ['cool-off', 'succeeded · 200 ms', 'succeeded'],
      ['approval', 'started · 2.1 s', 'running'],
    ],
  );
  const callback = running!.children[2]!.children[0]!;
  assert.equal(callback.label, 'callback');
  assert.equal(callback.state, 'waiting');
  assert.equal(callback.callbackId, 'CB-ID');
  assert.match(callback.tooltip, /open-runtime callback succeed/);
  assert.match(running!.children[0]!.tooltip, /Result: \{"ok":true\}/);
  assert.equal(failed!.label, 'Flow 9b3f0c1e…');
  assert.equal(failed!.state, 'failed');
  assert.equal(failed!.description, 'failed · 1 min 1 s');
  assert.match(failed!.tooltip, /Error: \{"ErrorMessage":"no"\}/);
  assert.equal(failed!.callbackId, undefined);
  assert.deepEqual(failed!.rerun, { function: 'Flow', input: '{}' });
  assert.equal(running!.children[0]!.rerun, undefined, 'only executions run again');
});

test('durations read as a person would say them', () => {
  assert.equal(duration(0, 999, 0), '999 ms');
  assert.equal(duration(0, 1500, 0), '1.5 s');
  assert.equal(duration(0, 125_000, 0), '2 min 5 s');
  assert.equal(duration(0, 7_500_000, 0), '2 h 5 min');
  assert.equal(duration(0, undefined, 3000), '3.0 s');
});

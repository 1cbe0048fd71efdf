// Lambda's invocation record for asynchronous destinations (runner/invoke/event-queue.ts invocationRecord): the
// exact shape AWS documents, for each condition, and the queue's settings from the environment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { errorOutcome } from '../../runner/environments/invocation.ts';
import { eventQueueOptionsFromEnv, invocationRecord } from '../../runner/invoke/event-queue.ts';

const entry = { requestId: 'e4b46cbf-b738-4a2a-8880-a18cdf61200e', function: 'Orders', version: '$LATEST', attempts: 3 };
const payload = Buffer.from('{"ORDER_IDS":["9e07af03"]}');

test('RetriesExhausted: request and response context, the function error and its payload', () => {
  const record = invocationRecord(entry, 'RetriesExhausted', payload, errorOutcome('Error', 'failing on purpose'));
  assert.deepEqual(Object.keys(record), ['version', 'timestamp', 'requestContext', 'requestPayload', 'responseContext', 'responsePayload']);
  assert.equal(record.version, '1.0');
  assert.match(String(record.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  assert.deepEqual(record.requestContext, {
    requestId: entry.requestId,
    functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Orders:$LATEST',
    condition: 'RetriesExhausted',
    approximateInvokeCount: 3,
  });
  assert.deepEqual(record.requestPayload, { ORDER_IDS: ['9e07af03'] });
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
  assert.deepEqual(record.responsePayload, { errorType: 'Error', errorMessage: 'failing on purpose' });
});

test('Success: no functionError; a response that is not JSON stays text', () => {
  const record = invocationRecord({ ...entry, attempts: 1 }, 'Success', payload, {
    ok: true,
    body: Buffer.from('plain text'),
    streamed: false,
    contentType: 'text/plain',
  });
  assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
  assert.equal(record.responsePayload, 'plain text');
});

test('EventAgeExceeded before any attempt: no response to report', () => {
  const record = invocationRecord({ ...entry, attempts: 0 }, 'EventAgeExceeded', payload, undefined);
  assert.equal((record.requestContext as { condition: string }).condition, 'EventAgeExceeded');
  assert.equal('responseContext' in record || 'responsePayload' in record, false);
});

test('limits and the time scale come from the environment; nonsense falls back to the defaults', () => {
  assert.deepEqual(
    eventQueueOptionsFromEnv({ OPEN_RUNTIME_EVENT_QUEUE_MAX_EVENTS: '3', OPEN_RUNTIME_EVENT_QUEUE_MAX_MB: '2', OPEN_RUNTIME_EVENT_TIME_SCALE: '0.01' }),
    { maxEvents: 3, maxBytes: 2 * 1024 * 1024, timeScale: 0.01 },
  );
  assert.deepEqual(eventQueueOptionsFromEnv({ OPEN_RUNTIME_EVENT_QUEUE_MAX_EVENTS: 'many', OPEN_RUNTIME_EVENT_TIME_SCALE: '-1' }), {
    maxEvents: undefined,
    maxBytes: undefined,
    timeScale: undefined,
  });
});

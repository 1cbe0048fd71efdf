// What the result view shows for each kind of result: JSON, HTTP-shaped (incl. base64 bodies and streamed
// preludes), errors whose stack frames link to files, and the REPORT summary.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeResult, describeResponse, parseStackFrame, reportSummary } from '../../extension/result-model.ts';
import type { InvokeResult } from '../../runner/protocol.ts';

const report = { durationMs: 12.345, billedDurationMs: 13, memorySizeMB: 128, maxMemoryUsedMB: 61 };
const result = (over: Partial<InvokeResult>): InvokeResult => ({ requestId: 'r-1', function: 'Fn', payload: '{}', streamed: false, report, logs: '', ...over });

describe('responses', () => {
  it('pretty-prints JSON and keeps text as text', () => {
    assert.deepEqual(describeResponse(result({ payload: '{"a":[1,2]}' })), { kind: 'json', text: '{\n  "a": [\n    1,\n    2\n  ]\n}' });
    assert.deepEqual(describeResponse(result({ payload: 'plain words' })), { kind: 'text', text: 'plain words' });
  });

  it('shows status, headers (single and multi-value), cookies and a JSON body for proxy results', () => {
    const view = describeResponse(
      result({
        payload: JSON.stringify({
          statusCode: 201,
          headers: { 'content-type': 'application/json' },
          multiValueHeaders: { 'x-id': ['1', '2'] },
          cookies: ['a=b'],
          body: '{"ok":true}',
        }),
      }),
    );
    assert.deepEqual(view, {
      kind: 'http',
      statusCode: 201,
      cookies: ['a=b'],
      bodyKind: 'json',
      body: '{\n  "ok": true\n}',
      headers: [
        ['content-type', 'application/json'],
        ['x-id', '1'],
        ['x-id', '2'],
      ],
    });
  });

  it('decodes base64 text bodies and describes binary ones', () => {
    const text = describeResponse(
      result({ payload: JSON.stringify({ statusCode: 200, body: Buffer.from('héllo').toString('base64'), isBase64Encoded: true }) }),
    );
    assert.equal(text.kind === 'http' && text.body, 'héllo');
    const png = describeResponse(
      result({
        payload: JSON.stringify({
          statusCode: 200,
          headers: { 'Content-Type': 'image/png' },
          body: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]).toString('base64'),
          isBase64Encoded: true,
        }),
      }),
    );
    assert.equal(png.kind === 'http' && png.bodyKind, 'binary');
    assert.match(png.kind === 'http' ? png.body : '', /7 bytes of binary data \(image\/png\)/);
  });

  it('uses the prelude of a streamed HTTP response', () => {
    const view = describeResponse(
      result({ streamed: true, payload: 'chunk 1\nchunk 2\n', httpPrelude: { statusCode: 200, headers: { 'content-type': 'text/plain' } } }),
    );
    assert.deepEqual(view, {
      kind: 'http',
      statusCode: 200,
      headers: [['content-type', 'text/plain']],
      cookies: [],
      body: 'chunk 1\nchunk 2\n',
      bodyKind: 'text',
    });
  });

  it('does not take a business object with a statusCode field for an HTTP response', () => {
    assert.equal(describeResponse(result({ payload: '{"statusCode":"shipped"}' })).kind, 'json');
    assert.equal(describeResponse(result({ payload: '{"statusCode":200}' })).kind, 'json');
  });
});

describe('errors', () => {
  it('links Node and Python frames to their files and leaves internals as text', () => {
    assert.deepEqual(parseStackFrame('    at handler (/work/fn/app.ts:12:5)'), {
      text: '    at handler (/work/fn/app.ts:12:5)',
      file: '/work/fn/app.ts',
      line: 12,
      column: 5,
    });
    assert.deepEqual(parseStackFrame('    at /work/fn/index.js:3:1'), { text: '    at /work/fn/index.js:3:1', file: '/work/fn/index.js', line: 3, column: 1 });
    assert.equal(parseStackFrame('    at async Runtime.handler (file:///work/fn/index.mjs:14:9)').file, '/work/fn/index.mjs');
    assert.deepEqual(parseStackFrame('  File "/work/py/app.py", line 7, in handler'), {
      text: '  File "/work/py/app.py", line 7, in handler',
      file: '/work/py/app.py',
      line: 7,
      column: 1,
    });
    assert.deepEqual(parseStackFrame('    at node:internal/process/task_queues:95:5'), { text: '    at node:internal/process/task_queues:95:5' });
    assert.deepEqual(parseStackFrame('    at async Promise.all (index 0)'), { text: '    at async Promise.all (index 0)' });
  });

  it('describes a function error with its type, message and frames', () => {
    const model = describeResult(
      result({
        functionError: 'Unhandled',
        payload: '{"errorType":"OrderNotFoundError","errorMessage":"Order 42 does not exist"}',
        error: {
          errorType: 'OrderNotFoundError',
          errorMessage: 'Order 42 does not exist',
          stackTrace: ['OrderNotFoundError: Order 42 does not exist', '    at handler (file:///w/index.mjs:5:11)'],
        },
      }),
      { eventLabel: 'saved: big' },
    );
    assert.equal(model.state, 'failed');
    assert.equal(model.eventLabel, 'saved: big');
    assert.equal(model.response, undefined);
    assert.equal(model.error?.errorType, 'OrderNotFoundError');
    assert.deepEqual(
      model.error?.frames.map((f) => f.file),
      [undefined, '/w/index.mjs'],
    );
  });

  it('falls back to the error in the payload when the runner gives no structured error', () => {
    const model = describeResult(result({ functionError: 'Unhandled', payload: '{"errorType":"Runtime.ExitError","errorMessage":"exit status 1"}' }));
    assert.equal(model.error?.errorType, 'Runtime.ExitError');
    assert.equal(model.error?.errorMessage, 'exit status 1');
  });
});

it('summarises REPORT like Lambda', () => {
  assert.equal(
    reportSummary({ ...report, initDurationMs: 100.5 }),
    'Duration: 12.35 ms  Billed Duration: 13 ms  Memory Size: 128 MB  Max Memory Used: 61 MB  Init Duration: 100.50 ms',
  );
});

describe('streamed HTTP preludes', () => {
  it('waits for the prelude, then splits it from the body', async () => {
    const { takeHttpPrelude } = await import('../../extension/result-model.ts');
    const nul8 = '\u0000'.repeat(8);
    assert.equal(takeHttpPrelude('{"statusCode":201,"head'), undefined);
    assert.deepEqual(takeHttpPrelude(`{"statusCode":201,"headers":{"x":"1"}}${nul8}chunk 1`), {
      prelude: { statusCode: 201, headers: { x: '1' } },
      body: 'chunk 1',
    });
    assert.deepEqual(takeHttpPrelude('plain text stream'), { body: 'plain text stream' });
    assert.deepEqual(takeHttpPrelude(`{not json${nul8}x`), { body: `{not json${nul8}x` });
  });
});

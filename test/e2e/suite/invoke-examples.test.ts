// Each example function invoked through the command, with the example events, and checked for what it is
// written to return; plus what the result view and the history show afterwards.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { assertSucceeded, exampleEvent, exampleFunction, invoke, openRuntime, payloadOf, tabLabels, until } from './support.ts';

describe('invoking the examples', () => {
  before(openRuntime);

  it('HelloTs (TypeScript) greets the name from the query string', async () => {
    const result = await invoke({ functionName: 'HelloTs', payload: exampleEvent('hello-query.json') });
    assertSucceeded(result);
    const response = payloadOf(result);
    assert.equal(response.statusCode, 200);
    const body = JSON.parse(response.body);
    assert.equal(body.message, 'Hello, Ada!');
    assert.equal(body.requestId, result.requestId, 'the handler saw the same request id the caller got');
    assert.match(result.logs, /greeting Ada/);
    assert.ok(result.report.durationMs > 0 && result.report.memorySizeMB === 256, `REPORT figures: ${JSON.stringify(result.report)}`);
  });

  it('HelloTs reads a REST API JSON body', async () => {
    const result = await invoke({ functionName: 'HelloTs', payload: exampleEvent('hello-body.json') });
    assertSucceeded(result);
    assert.equal(JSON.parse(payloadOf(result).body).message, 'Hello, Grace!');
  });

  it('CallbackJs (callback style) echoes the event with its context', async () => {
    const event = exampleEvent('callback.json');
    const result = await invoke({ functionName: 'CallbackJs', payload: event });
    assertSucceeded(result);
    const response = payloadOf(result);
    assert.deepEqual(response.echo, event);
    assert.equal(response.functionName, 'CallbackJs');
    assert.equal(String(response.memoryLimitInMB), '256');
    assert.equal(response.awsRequestId, result.requestId);
    assert.ok(
      response.remainingTimeInMillis > 0 && response.remainingTimeInMillis <= 5000,
      `remaining time within the 5 s timeout: ${response.remainingTimeInMillis}`,
    );
  });

  it('StreamJs streams its chunks after an HTTP prelude', async () => {
    const result = await invoke({ functionName: 'StreamJs', payload: exampleEvent('stream.json') });
    assertSucceeded(result);
    assert.equal(result.streamed, true);
    assert.equal(result.httpPrelude?.statusCode, 200);
    const count = Number((exampleEvent('stream.json') as { chunks?: number }).chunks ?? 5);
    const expected = Array.from({ length: count }, (_, i) => `chunk ${i + 1} of ${count}\n`).join('');
    assert.equal(result.payload, expected);
  });

  it('PythonHello (Python) returns a dict with its context', async () => {
    const event = exampleEvent('python.json') as { name?: string };
    const result = await invoke({ functionName: 'PythonHello', payload: event });
    assertSucceeded(result);
    const response = payloadOf(result);
    assert.equal(response.message, `Hello, ${event.name ?? 'world'}!`);
    assert.equal(response.functionName, 'PythonHello');
    assert.equal(response.memoryLimitInMB, 128);
    assert.equal(response.stage, 'dev');
  });

  it('BashCurl (provided.al2023 bootstrap) echoes the request', async () => {
    const event = exampleEvent('bash.json');
    const result = await invoke({ functionName: 'BashCurl', payload: event });
    assertSucceeded(result);
    assert.match(result.payload, /Echoing request:/);
    assert.ok(result.payload.includes((event as { text: string }).text), `the echo holds the event: ${result.payload}`);
  });

  it('FailingJs reports its error type, message and stack, and the result view links the frames', async () => {
    const api = await openRuntime();
    const result = await invoke({ functionName: 'FailingJs', payload: exampleEvent('failing.json') });
    assert.equal(result.functionError, 'Unhandled');
    assert.equal(result.error?.errorType, 'OrderNotFoundError');
    assert.equal(result.error?.errorMessage, 'Order order-42 does not exist');
    assert.ok(
      result.error?.stackTrace?.some((line) => line.includes('index.mjs')),
      `the stack points into index.mjs: ${result.error?.stackTrace?.join(' | ')}`,
    );

    const model = api.resultModel();
    assert.equal(model?.functionName, 'FailingJs');
    assert.equal(model?.state, 'failed');
    assert.equal(model?.error?.errorType, 'OrderNotFoundError');
    const file = exampleFunction('FailingJs').file!;
    const linked = model?.error?.frames.filter((f) => f.file && vscode.Uri.parse(f.file.startsWith('/') ? `file://${f.file}` : f.file).fsPath === file);
    assert.ok(linked && linked.length > 0, `a stack frame links to ${file}: ${JSON.stringify(model?.error?.frames)}`);
  });

  it('shows the last result in the "Result: <function>" view and keeps a history', async () => {
    const api = await openRuntime();
    const historyBefore = api.history().length;
    const result = await invoke({ functionName: 'HelloTs', payload: exampleEvent('hello-query.json') });
    assert.equal(api.resultViewOpen(), true);
    assert.equal(api.resultModel()?.functionName, 'HelloTs');
    assert.equal(api.resultModel()?.state, 'succeeded');
    assert.equal(api.resultModel()?.requestId, result.requestId);
    await until('a "Result: HelloTs" tab', () => tabLabels().includes('Result: HelloTs'), 10_000);
    const history = api.history();
    assert.equal(history.length, historyBefore + 1, 'the invocation was added to the history');
    assert.equal(history[0]?.result?.requestId, result.requestId, 'the newest entry comes first');
  });

  it('re-runs the newest history entry with the same event', async () => {
    const api = await openRuntime();
    const before = api.history().length;
    const result = await vscode.commands.executeCommand<{ requestId: string; payload: string } | undefined>('openRuntime.history.rerun');
    assert.ok(result, 'openRuntime.history.rerun returned a result');
    assert.equal(JSON.parse(JSON.parse(result.payload).body).message, 'Hello, Ada!');
    assert.equal(api.history().length, before + 1);
  });
});

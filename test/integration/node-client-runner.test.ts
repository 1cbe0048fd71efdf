// The Node runtime client (dist/node-runtime.cjs) behind the real runner, called with the real AWS SDK: what a
// user sees end to end. The wire details are asserted in node-client.test.ts against a stand-in server; here
// the same fixtures go through `open-runtime start` and the Invoke API.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { FIXTURES, removeTemps, startRunner, tempDir, writeTemplate } from './support/runner.ts';
import type { Runner } from './support/runner.ts';

const NODE = join(FIXTURES, 'node');

let runner: Runner;
let lambda: LambdaClient;

before(async () => {
  const template = writeTemplate(tempDir('node-client'), [
    { name: 'Esm', codeUri: join(NODE, 'esm'), runtime: 'nodejs22.x', handler: 'index.handler' },
    { name: 'Context', codeUri: join(NODE, 'esm'), runtime: 'nodejs22.x', handler: 'index.context', memorySize: 512 },
    { name: 'Fails', codeUri: join(NODE, 'esm'), runtime: 'nodejs22.x', handler: 'index.throws' },
    { name: 'Callback', codeUri: join(NODE, 'callback'), runtime: 'nodejs22.x', handler: 'index.handler' },
    { name: 'TypeScript', codeUri: join(NODE, 'typescript'), runtime: 'nodejs22.x', handler: 'src/app.handler' },
    { name: 'TypeScriptFails', codeUri: join(NODE, 'typescript'), runtime: 'nodejs22.x', handler: 'src/app.fails' },
    { name: 'TypeScriptNested', codeUri: join(NODE, 'typescript-nested'), runtime: 'nodejs22.x', handler: 'index.handlers.main' },
    { name: 'Streams', codeUri: join(NODE, 'streaming'), runtime: 'nodejs22.x', handler: 'index.chunks' },
    { name: 'NoExport', codeUri: join(NODE, 'broken'), runtime: 'nodejs22.x', handler: 'exports.handler' },
    { name: 'CrashesLater', codeUri: join(NODE, 'esm'), runtime: 'nodejs22.x', handler: 'index.respondsThenCrashesLater' },
  ]);
  runner = await startRunner(template);
  lambda = new LambdaClient({
    endpoint: runner.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

after(async () => {
  lambda?.destroy();
  await runner?.stop();
  removeTemps();
});

async function invoke(name: string, event: unknown) {
  const reply = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
  return { functionError: reply.FunctionError, payload: JSON.parse(Buffer.from(reply.Payload ?? []).toString('utf8')) };
}

describe('node runtime client behind the runner', { timeout: 60_000 }, () => {
  it('answers an SDK Invoke from an ESM handler', async () => {
    const { functionError, payload } = await invoke('Esm', { hello: 'sdk' });
    assert.equal(functionError, undefined);
    assert.deepEqual(payload.echo, { hello: 'sdk' });
    assert.equal(payload.kind, 'esm');
    assert.match(payload.requestId, /^[0-9a-f-]{36}$/);
  });

  it('a process that crashes a while after answering exits at once, and the next invoke gets a fresh environment', async () => {
    // The client has already asked for its next event by then (the runner keeps the 202 of the answer for it): the
    // crash must withdraw that /next, or the process would wait for the next invoke and fail it.
    const first = await invoke('CrashesLater', {});
    assert.equal(first.functionError, undefined);
    await new Promise((resolve) => setTimeout(resolve, 400));
    const second = await invoke('CrashesLater', {});
    assert.equal(second.functionError, undefined, JSON.stringify(second.payload));
    assert.equal(second.payload.sent, true);
    assert.notEqual(second.payload.pid, first.payload.pid, 'a new process');
  });

  it('fills the context from the function definition', async () => {
    const { payload } = await invoke('Context', {});
    assert.equal(payload.functionName, 'Context');
    assert.equal(payload.functionVersion, '$LATEST');
    assert.equal(payload.memoryLimitInMB, '512');
    assert.equal(payload.logGroupName, '/aws/lambda/Context');
    assert.ok(payload.remaining > 0 && payload.remaining <= 10_000, `remaining ${payload.remaining} ms within the 10 s timeout`);
  });

  it('runs a callback handler that waits for the event loop', async () => {
    const { payload } = await invoke('Callback', {});
    assert.deepEqual(payload, { timerRan: true, waited: true });
  });

  it('reports a thrown error as an Unhandled function error', async () => {
    const { functionError, payload } = await invoke('Fails', {});
    assert.equal(functionError, 'Unhandled');
    assert.equal(payload.errorType, 'PaymentDeclined');
    assert.equal(payload.errorMessage, 'card expired');
  });

  it('runs a TypeScript handler compiled by the runner, with traces pointing at the .ts source', async () => {
    assert.deepEqual((await invoke('TypeScript', { name: 'TS' })).payload, { message: 'Hello, TS!' });
    const { functionError, payload } = await invoke('TypeScriptFails', {});
    assert.equal(functionError, 'Unhandled');
    assert.equal(payload.errorMessage, 'thrown from TypeScript');
    const trace: string[] = payload.trace ?? payload.stackTrace;
    assert.ok(
      trace.some((line) => /src\/app\.ts:12:\d+/.test(line)),
      `a frame in src/app.ts:12 (the throw), got:\n${trace.join('\n')}`,
    );
  });

  it("runs a TypeScript handler exported as a nested property (Handler: index.handlers.main), as Lambda's Node runtime reads it", async () => {
    const { functionError, payload } = await invoke('TypeScriptNested', { id: 'o-1' });
    assert.equal(functionError, undefined, JSON.stringify(payload));
    assert.deepEqual(payload, { handled: 'o-1', by: 'handlers.main' });
  });

  it('reports a missing export as Runtime.HandlerNotFound', async () => {
    const { functionError, payload } = await invoke('NoExport', {});
    assert.equal(functionError, 'Unhandled');
    assert.equal(payload.errorType, 'Runtime.HandlerNotFound');
  });

  it('streams chunks to an SDK InvokeWithResponseStream caller as the handler writes them', async (t) => {
    // The handler writes 'first', then waits on this gate, which opens only once the caller holds 'first':
    // the test cannot pass if anything between the handler and the caller held the chunk back.
    let openGate!: () => void;
    const firstChunkSeen = new Promise<void>((resolve) => (openGate = resolve));
    const gate: Server = createServer((_req, res: ServerResponse) => {
      void firstChunkSeen.then(() => res.end('open'));
    });
    await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve));
    t.after(() => {
      gate.closeAllConnections();
      gate.close();
    });
    const gateUrl = `http://127.0.0.1:${(gate.address() as { port: number }).port}/`;

    const reply = await lambda.send(new InvokeWithResponseStreamCommand({ FunctionName: 'Streams', Payload: Buffer.from(JSON.stringify({ gate: gateUrl })) }));
    const received: string[] = [];
    let completed = false;
    for await (const event of reply.EventStream!) {
      if (event.PayloadChunk?.Payload) {
        received.push(Buffer.from(event.PayloadChunk.Payload).toString('utf8'));
        if (received.join('') === 'first') openGate();
      }
      if (event.InvokeComplete) {
        completed = true;
        assert.equal(event.InvokeComplete.ErrorCode, undefined);
      }
    }
    assert.equal(received.join(''), 'firstsecond');
    assert.equal(received[0], 'first');
    assert.ok(completed, 'the stream ends with InvokeComplete');
  });
});

// Lambda's 2025-2026 Runtime API additions, on the wire: the test plays the runtime over raw HTTP against the runner's
// real server and the caller through the Invoke API. Lambda-Runtime-Invocation-Id names each attempt and is checked on
// answers (an attempt that timed out gets 410), the caller's X-Amzn-Trace-Id keeps its Root and Sampled decision, and a
// tenant-isolated function gets Lambda-Runtime-Aws-Tenant-Id (and refuses an invocation without a tenant, as Lambda).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvokeCommand, InvokeWithResponseStreamCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { parseFunction } from '../../runner/functions/model.ts';
import { manualFunction } from './support/runner.ts';
import { call, NEXT, respond, useRuntimeApiHarness } from './support/runtime-api.ts';

/** A function the test answers for, whose runtime outlives SIGTERM (as a runtime still busy with a timed-out event). */
function stubbornFunction(dir: string, name: string, timeout: number) {
  const code = join(dir, name);
  mkdirSync(code, { recursive: true });
  const bootstrap = join(code, 'bootstrap');
  // An ignored signal stays ignored across exec: the runner's SIGTERM leaves it running until its SIGKILL.
  writeFileSync(bootstrap, `#!/bin/sh\ntrap '' TERM\necho "$AWS_LAMBDA_RUNTIME_API" > "${join(code, 'address')}"\nexec sleep 600\n`);
  chmodSync(bootstrap, 0o755);
  return parseFunction({ name, runtime: 'provided.al2023', handler: 'manual.handler', codeUri: code, timeout }, 'test');
}

/** A function the test answers for, run on Lambda Managed Instances: up to `max` invocations at once per environment. */
function managedFunction(dir: string, name: string, max: number) {
  const code = join(dir, name);
  mkdirSync(code, { recursive: true });
  const bootstrap = join(code, 'bootstrap');
  writeFileSync(
    bootstrap,
    `#!/bin/sh\necho "$AWS_LAMBDA_MAX_CONCURRENCY" > "${join(code, 'max')}"\necho "$AWS_LAMBDA_RUNTIME_API" > "${join(code, 'address')}"\nexec sleep 600\n`,
  );
  chmodSync(bootstrap, 0o755);
  return parseFunction({ name, runtime: 'provided.al2023', handler: 'manual.handler', codeUri: code, timeout: 30, maxConcurrency: max }, 'test');
}

const harness = useRuntimeApiHarness('lambda-2026', (dir) => [
  manualFunction(dir, 'Manual'),
  manualFunction(dir, 'Tenanted', { tenantIsolation: 'PER_TENANT' }),
  stubbornFunction(dir, 'Slow', 1),
  manualFunction(dir, 'GoStyle'),
  managedFunction(dir, 'Managed', 3),
]);
const { invoke, runtimeAddress } = harness;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('/next names the attempt (Lambda-Runtime-Invocation-Id); an answer echoing another attempt is refused, the right one is taken', async () => {
  const caller = invoke('Manual', { n: 1 });
  const api = await runtimeAddress('Manual');
  const next = await call(api, 'GET', NEXT);
  assert.equal(next.status, 200);
  const requestId = next.headers['lambda-runtime-aws-request-id'] as string;
  const attempt = next.headers['lambda-runtime-invocation-id'] as string;
  assert.match(attempt, UUID, 'the attempt has an id of its own');
  assert.notEqual(attempt, requestId, 'the attempt id is not the request id');
  assert.equal(next.headers['lambda-runtime-aws-tenant-id'], undefined, 'no tenant header for a function without tenant isolation');

  const wrong = await call(api, 'POST', respond(requestId), {
    body: '"wrong"',
    headers: { 'Lambda-Runtime-Invocation-Id': '00000000-0000-4000-8000-000000000000' },
  });
  assert.equal(wrong.status, 400, wrong.body.toString());
  const right = await call(api, 'POST', respond(requestId), { body: '"right"', headers: { 'Lambda-Runtime-Invocation-Id': attempt } });
  assert.equal(right.status, 202, right.body.toString());
  assert.equal((await caller).body.toString(), '"right"');

  // A runtime that does not echo the id (every client before 2026) is answered as before.
  const second = invoke('Manual', { n: 2 });
  const next2 = await call(api, 'GET', NEXT);
  assert.notEqual(next2.headers['lambda-runtime-invocation-id'], attempt, 'every attempt gets a new id');
  const plain = await call(api, 'POST', respond(next2.headers['lambda-runtime-aws-request-id'] as string), { body: '"plain"' });
  assert.equal(plain.status, 202);
  assert.equal((await second).body.toString(), '"plain"');
});

test('a late answer for an attempt that timed out gets 410, and its caller keeps the timeout error', async () => {
  const caller = invoke('Slow', { late: true });
  const api = await runtimeAddress('Slow');
  const next = await call(api, 'GET', NEXT);
  assert.equal(next.status, 200);
  const requestId = next.headers['lambda-runtime-aws-request-id'] as string;
  const attempt = next.headers['lambda-runtime-invocation-id'] as string;
  const answer = await caller;
  assert.equal(answer.headers['x-amz-function-error'], 'Unhandled');
  assert.equal(JSON.parse(answer.body.toString()).errorType, 'Sandbox.Timedout');
  // The runtime ignores SIGTERM: it is still there, and answers the attempt that timed out.
  const late = await call(api, 'POST', respond(requestId), { body: '"too late"', headers: { 'Lambda-Runtime-Invocation-Id': attempt } });
  assert.equal(late.status, 410, late.body.toString());
  assert.equal(JSON.parse(late.body.toString()).errorType, 'ErrorRuntimeInvokeTimeout');
});

test("the caller's X-Amzn-Trace-Id keeps its Root and Sampled; the function's segment gets a Parent of its own", async () => {
  const root = '1-5759e988-bd862e3fe1be46a994272793';
  const caller = invoke('Manual', {}, { 'X-Amzn-Trace-Id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1` });
  const api = await runtimeAddress('Manual');
  const next = await call(api, 'GET', NEXT);
  const trace = next.headers['lambda-runtime-trace-id'] as string;
  assert.match(trace, new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1`));
  assert.ok(!trace.includes('53995c3f42cd8ad8'), `the function's segment is a new Parent: ${trace}`);
  await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: '1' });
  await caller;

  // Without a trace header, or with one without a valid Root, the invocation starts a trace of its own.
  for (const headers of [{}, { 'X-Amzn-Trace-Id': 'Sampled=1' }] as Record<string, string>[]) {
    const fresh = invoke('Manual', {}, headers);
    const n = await call(api, 'GET', NEXT);
    const t = n.headers['lambda-runtime-trace-id'] as string;
    assert.match(t, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0/);
    assert.ok(!t.includes(root));
    await call(api, 'POST', respond(n.headers['lambda-runtime-aws-request-id'] as string), { body: '1' });
    await fresh;
  }
});

test('a tenant-isolated function gets Lambda-Runtime-Aws-Tenant-Id; Lambda refuses a missing tenant id, and a tenant id for a function without isolation', async () => {
  const caller = invoke('Tenanted', { hi: 1 }, { 'X-Amz-Tenant-Id': 'blue' });
  const api = await runtimeAddress('Tenanted');
  const next = await call(api, 'GET', NEXT);
  assert.equal(next.headers['lambda-runtime-aws-tenant-id'], 'blue');
  await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: '"ok"' });
  assert.equal((await caller).status, 200);

  const missing = await invoke('Tenanted', {});
  assert.equal(missing.status, 400);
  assert.equal(missing.headers['x-amzn-errortype'], 'InvalidParameterValueException');
  assert.match(JSON.parse(missing.body.toString()).message, /tenant isolation enabled.*tenant id/);

  const extra = await invoke('Manual', {}, { 'X-Amz-Tenant-Id': 'blue' });
  assert.equal(extra.status, 400);
  assert.equal(extra.headers['x-amzn-errortype'], 'InvalidParameterValueException');
  assert.match(JSON.parse(extra.body.toString()).message, /does not have tenant isolation enabled/);

  const invalid = await invoke('Tenanted', {}, { 'X-Amz-Tenant-Id': 'no#hash' });
  assert.equal(invalid.status, 400);
  assert.match(JSON.parse(invalid.body.toString()).message, /is not valid/);
});

/** Opens a chunked /response without Lambda-Runtime-Function-Response-Mode, as aws-lambda-go (and its lambdaurl) post. */
function chunkedAnswer(api: string, requestId: string): { write(text: string): void; end(): Promise<number> } {
  const [host, port] = api.split(':');
  let status: Promise<number>;
  const req = request({
    host,
    port: Number(port),
    method: 'POST',
    path: respond(requestId),
    agent: false,
    headers: {
      'Content-Type': 'application/octet-stream',
      'Transfer-Encoding': 'chunked',
      Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
    },
  });
  status = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
  });
  req.flushHeaders();
  return {
    write: (text) => void req.write(text),
    end: () => {
      req.end();
      return status;
    },
  };
}

test('a chunked answer without the streaming header reaches an InvokeWithResponseStream caller chunk by chunk (as Lambda streams aws-lambda-go lambdaurl); a buffered caller gets it whole', async () => {
  const sdk = new LambdaClient({
    endpoint: `http://127.0.0.1:${harness.lambda.port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    const reply = sdk.send(new InvokeWithResponseStreamCommand({ FunctionName: 'GoStyle', Payload: Buffer.from('{}') }));
    const api = await runtimeAddress('GoStyle');
    const next = await call(api, 'GET', NEXT);
    const answer = chunkedAnswer(api, next.headers['lambda-runtime-aws-request-id'] as string);
    answer.write('first chunk;');
    let events!: AsyncIterator<{ PayloadChunk?: { Payload?: Uint8Array }; InvokeComplete?: unknown }>;
    const firstEvent = reply.then((r) => {
      events = r.EventStream![Symbol.asyncIterator]();
      return events.next();
    });
    // The second chunk is written only once the caller has the first: a runner that buffers to the end never gets here.
    const first = await Promise.race([firstEvent, sleep(5000).then(() => 'timed out' as const)]);
    assert.notEqual(first, 'timed out', 'the first chunk reached the caller before the body ended');
    assert.equal(Buffer.from((first as IteratorResult<{ PayloadChunk?: { Payload?: Uint8Array } }>).value.PayloadChunk!.Payload!).toString(), 'first chunk;');
    answer.write('second chunk');
    assert.equal(await answer.end(), 202);
    let rest = '';
    let complete: unknown;
    for (let item = await events.next(); !item.done; item = await events.next()) {
      if (item.value.PayloadChunk) rest += Buffer.from(item.value.PayloadChunk.Payload!).toString();
      if (item.value.InvokeComplete) complete = item.value.InvokeComplete;
    }
    assert.equal(rest, 'second chunk');
    assert.deepEqual(complete, {}, 'InvokeComplete without an error');

    // A buffered caller: the same kind of answer arrives whole.
    const buffered = sdk.send(new InvokeCommand({ FunctionName: 'GoStyle', Payload: Buffer.from('{}') }));
    const next2 = await call(api, 'GET', NEXT);
    const answer2 = chunkedAnswer(api, next2.headers['lambda-runtime-aws-request-id'] as string);
    answer2.write('{"whole":');
    answer2.write('true}');
    assert.equal(await answer2.end(), 202);
    assert.deepEqual(JSON.parse(Buffer.from((await buffered).Payload!).toString()), { whole: true });
  } finally {
    sdk.destroy();
  }
});

test('Managed Instances: one environment takes AWS_LAMBDA_MAX_CONCURRENCY events at once, on concurrent /next, answered in any order', async () => {
  const callers = [1, 2, 3].map((n) => invoke('Managed', { n }));
  const api = await runtimeAddress('Managed');
  assert.equal(readFileSync(join(harness.dir, 'Managed', 'max'), 'utf8').trim(), '3', 'the runtime is told how many it may run at once');
  // Three /next in flight at once, each on its own connection: each gets an event of its own.
  const nexts = await Promise.all([1, 2, 3].map(() => call(api, 'GET', NEXT)));
  const events = nexts.map((next) => ({ id: next.headers['lambda-runtime-aws-request-id'] as string, n: JSON.parse(next.body.toString()).n as number }));
  assert.deepEqual(events.map((e) => e.n).sort(), [1, 2, 3]);
  assert.equal(new Set(events.map((e) => e.id)).size, 3);
  assert.equal(harness.lambda.environments().filter((env) => env.fn.name === 'Managed').length, 1, 'all three run in one execution environment');
  // Answered last to first: each caller gets its own answer.
  for (const event of [...events].reverse()) {
    const answered = await call(api, 'POST', respond(event.id), { body: JSON.stringify({ answer: event.n }) });
    assert.equal(answered.status, 202, answered.body.toString());
  }
  const replies = await Promise.all(callers);
  assert.deepEqual(
    replies.map((r) => JSON.parse(r.body.toString()).answer),
    [1, 2, 3],
  );

  // A second round reuses the same environment.
  const again = [4, 5].map((n) => invoke('Managed', { n }));
  const nexts2 = await Promise.all([1, 2].map(() => call(api, 'GET', NEXT)));
  for (const next of nexts2) await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: next.body.toString() });
  assert.deepEqual(
    (await Promise.all(again)).map((r) => JSON.parse(r.body.toString()).n),
    [4, 5],
  );
  assert.equal(harness.lambda.environments().filter((env) => env.fn.name === 'Managed').length, 1);
});

// Runtime API contract: the test plays the runtime over real HTTP (keep-alive, new connections, raw chunked
// bodies with trailers) against the runner's real server, and plays the caller through the Invoke API.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { EventStreamCodec } from '@smithy/core/event-streams';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { manualFunction } from './support/runner.ts';
import { call, NEXT, type RawReply, respond, useRuntimeApiHarness } from './support/runtime-api.ts';

const harness = useRuntimeApiHarness('runtime-api', (dir) => [manualFunction(dir, 'Manual'), manualFunction(dir, 'Other'), manualFunction(dir, 'Streamer')]);
const { invoke, runtimeAddress } = harness;

test('next delivers the event with the Lambda headers; response is 202 and reaches the caller', async () => {
  const clientContext = Buffer.from(JSON.stringify({ custom: { a: 1 } })).toString('base64');
  const caller = invoke('Manual', { hello: 'world' }, { 'X-Amz-Client-Context': clientContext });
  const api = await runtimeAddress('Manual');
  const before = Date.now();
  const next = await call(api, 'GET', NEXT);
  assert.equal(next.status, 200);
  assert.deepEqual(JSON.parse(next.body.toString()), { hello: 'world' });
  const id = next.headers['lambda-runtime-aws-request-id'] as string;
  assert.match(id, /^[0-9a-f-]{36}$/);
  const deadline = Number(next.headers['lambda-runtime-deadline-ms']);
  assert.ok(deadline >= before + 29_000 && deadline <= Date.now() + 30_000, `deadline ${deadline} is epoch ms now + 30 s`);
  assert.equal(next.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:us-east-1:123456789012:function:Manual');
  assert.match(next.headers['lambda-runtime-trace-id'] as string, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0/);
  assert.deepEqual(JSON.parse(next.headers['lambda-runtime-client-context'] as string), { custom: { a: 1 } });
  assert.equal(next.headers['lambda-runtime-cognito-identity'], undefined, 'optional headers stay absent');
  assert.equal(next.headers['content-type'], 'application/json');

  const posted = await call(api, 'POST', respond(id), { body: '{"ok":true}' });
  assert.equal(posted.status, 202);
  assert.deepEqual(JSON.parse(posted.body.toString()), { status: 'OK' });
  const result = await caller;
  assert.equal(result.status, 200);
  assert.equal(result.body.toString(), '{"ok":true}');
  assert.equal(result.headers['x-amz-executed-version'], '$LATEST');
  assert.equal(result.headers['x-amz-function-error'], undefined);

  const again = await call(api, 'POST', respond(id), { body: '{}' });
  assert.equal(again.status, 403);
  assert.equal(JSON.parse(again.body.toString()).errorType, 'InvalidStateTransition');
  const unknown = await call(api, 'POST', respond('not-a-request'), { body: '{}' });
  assert.equal(unknown.status, 400);
  assert.equal(JSON.parse(unknown.body.toString()).errorType, 'InvalidRequestID');
  const brokenEscape = await call(api, 'POST', respond('%E0'), { body: '{}' });
  assert.equal(brokenEscape.status, 400, 'a request id with a broken percent-escape is unknown, and the runner serves on');
  assert.equal(JSON.parse(brokenEscape.body.toString()).errorType, 'InvalidRequestID');
});

test('error without the optional Error-Type header: 202, caller gets Unhandled and the body', async () => {
  const caller = invoke('Manual', {});
  const api = await runtimeAddress('Manual');
  const next = await call(api, 'GET', NEXT);
  const id = next.headers['lambda-runtime-aws-request-id'] as string;
  const errorBody = { errorMessage: 'boom', errorType: 'MyError', stackTrace: ['at x'] };
  const posted = await call(api, 'POST', `/2018-06-01/runtime/invocation/${id}/error`, { body: JSON.stringify(errorBody) });
  assert.equal(posted.status, 202);
  const result = await caller;
  assert.equal(result.status, 200);
  assert.equal(result.headers['x-amz-function-error'], 'Unhandled');
  assert.deepEqual(JSON.parse(result.body.toString()), errorBody);
});

test('a response above 6,291,556 bytes is refused with 413 and the caller gets Function.ResponseSizeTooLarge; exactly the limit passes', async () => {
  const atLimit = '"' + 'x'.repeat(6_291_556 - 2) + '"';
  let caller = invoke('Manual', {});
  const api = await runtimeAddress('Manual');
  let next = await call(api, 'GET', NEXT);
  let posted = await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: atLimit });
  assert.equal(posted.status, 202);
  assert.equal((await caller).body.length, 6_291_556);

  caller = invoke('Manual', {});
  next = await call(api, 'GET', NEXT);
  posted = await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: atLimit + ' ' });
  assert.equal(posted.status, 413);
  const result = await caller;
  assert.equal(result.headers['x-amz-function-error'], 'Unhandled');
  assert.equal(JSON.parse(result.body.toString()).errorType, 'Function.ResponseSizeTooLarge');
});

/** Sends a raw HTTP/1.1 request with a chunked body and trailers, as aws-lambda-go does for every response. */
function rawChunked(address: string, path: string, chunks: string[], trailers: Record<string, string>, extraHeaders = ''): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), host!, () => {
      let text = `POST ${path} HTTP/1.1\r\nHost: ${address}\r\nTransfer-Encoding: chunked\r\nTrailer: ${Object.keys(trailers).join(', ')}\r\n${extraHeaders}\r\n`;
      for (const chunk of chunks) text += `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`;
      text += `0\r\n${Object.entries(trailers)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`;
      socket.write(text);
    });
    let reply = '';
    socket.on('data', (d) => {
      reply += d.toString();
      if (/\r\n\r\n/.test(reply) && /Content-Length: (\d+)/i.test(reply)) {
        const length = Number(/Content-Length: (\d+)/i.exec(reply)![1]);
        if (reply.length >= reply.indexOf('\r\n\r\n') + 4 + length) {
          socket.end();
          resolve(reply);
        }
      }
    });
    socket.on('error', reject);
  });
}

test('chunked response bodies with trailers are accepted (the aws-lambda-go framing)', async () => {
  const caller = invoke('Manual', {});
  const api = await runtimeAddress('Manual');
  const next = await call(api, 'GET', NEXT);
  const id = next.headers['lambda-runtime-aws-request-id'] as string;
  const reply = await rawChunked(api, respond(id), ['{"a":', '1}'], { 'X-Something': 'ignored' });
  assert.match(reply, /^HTTP\/1.1 202/);
  assert.equal((await caller).body.toString(), '{"a":1}');
});

test('keep-alive runtimes and connection-per-request runtimes both work', async () => {
  const api = await runtimeAddress('Manual');
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sockets = new Set<unknown>();
  agent.on('free', (socket) => sockets.add(socket));
  for (let i = 0; i < 5; i++) {
    const caller = invoke('Manual', { i });
    const next = await call(api, 'GET', NEXT, { agent });
    await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: JSON.stringify({ i }), agent });
    assert.deepEqual(JSON.parse((await caller).body.toString()), { i });
  }
  assert.equal(sockets.size, 1, 'all keep-alive calls reused one connection');
  agent.destroy();
  for (let i = 0; i < 3; i++) {
    const caller = invoke('Manual', { i });
    const next = await call(api, 'GET', NEXT, { headers: { Connection: 'close' } });
    await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: '1', headers: { Connection: 'close' } });
    assert.equal((await caller).body.toString(), '1');
  }
});

test('one TCP connection: a pipelined answer and /next, then a request node:http answers (405), then Connection: close', async () => {
  const first = invoke('Manual', { n: 1 });
  const api = await runtimeAddress('Manual');
  const [host, port] = api.split(':');
  const socket = connect({ host, port: Number(port) });
  let received = '';
  const arrivals: Array<() => void> = [];
  socket.setEncoding('latin1').on('data', (text: string) => {
    received += text;
    for (const wake of arrivals.splice(0)) wake();
  });
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  /** Waits until the text holds `count` replies (each a status line). */
  const replies = async (count: number) => {
    while ((received.match(/HTTP\/1\.1 \d{3}/g) ?? []).length < count) await new Promise<void>((resolve) => arrivals.push(resolve));
    return received.match(/HTTP\/1\.1 \d{3}/g)!.map((line) => Number(line.slice(9)));
  };
  const idOf = (nth: number) => [...received.matchAll(/Lambda-Runtime-Aws-Request-Id: (\S+)/gi)][nth]![1]!;
  const next = `GET ${NEXT} HTTP/1.1\r\nHost: ${api}\r\n\r\n`;

  socket.write(next);
  await replies(1);
  // The answer and the next /next in one write: the 202 waits for the next event, and both arrive in order.
  socket.write(`POST ${respond(idOf(0))} HTTP/1.1\r\nHost: ${api}\r\nContent-Length: 3\r\n\r\n"1"${next}`);
  assert.equal((await first).body.toString(), '"1"');
  const second = invoke('Manual', { n: 2 });
  assert.deepEqual(await replies(3), [200, 202, 200]);
  // A wrong method is node:http's to answer (the route table's 405); the connection goes on there.
  socket.write(`GET ${respond(idOf(1))} HTTP/1.1\r\nHost: ${api}\r\n\r\n`);
  assert.deepEqual(await replies(4), [200, 202, 200, 405]);
  socket.write(`POST ${respond(idOf(1))} HTTP/1.1\r\nHost: ${api}\r\nContent-Length: 3\r\nConnection: close\r\n\r\n"2"`);
  assert.equal((await second).body.toString(), '"2"');
  assert.deepEqual(await replies(5), [200, 202, 200, 405, 202]);
  await closed;
});

test("an environment's address only sees its own function's invocations", async () => {
  const other = invoke('Other', { for: 'other' });
  const mine = invoke('Manual', { for: 'manual' });
  const manualApi = await runtimeAddress('Manual');
  const otherApi = await runtimeAddress('Other');
  assert.notEqual(manualApi, otherApi);
  const next = await call(manualApi, 'GET', NEXT);
  assert.deepEqual(JSON.parse(next.body.toString()), { for: 'manual' });
  // Answering another environment's request id from this address is refused.
  const otherNext = await call(otherApi, 'GET', NEXT);
  const otherId = otherNext.headers['lambda-runtime-aws-request-id'] as string;
  const cross = await call(manualApi, 'POST', respond(otherId), { body: '"stolen"' });
  assert.equal(cross.status, 403);
  assert.equal(JSON.parse(cross.body.toString()).errorType, 'AccessDenied');
  await call(otherApi, 'POST', respond(otherId), { body: '"other"' });
  await call(manualApi, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: '"manual"' });
  assert.equal((await other).body.toString(), '"other"');
  assert.equal((await mine).body.toString(), '"manual"');
  const onMainPort = await call(`127.0.0.1:${harness.lambda.port}`, 'GET', NEXT);
  assert.equal(
    onMainPort.status,
    404,
    'where any process may use any environment (this test plays the runtimes), each environment keeps its own port and the main port serves no Runtime API',
  );
});

function decodeEvents(body: Buffer) {
  const codec = new EventStreamCodec(toUtf8, fromUtf8);
  const events: Array<{ type: string; body: string }> = [];
  let offset = 0;
  while (offset < body.length) {
    const length = body.readUInt32BE(offset);
    const message = codec.decode(body.subarray(offset, offset + length));
    events.push({ type: String(message.headers[':event-type']?.value), body: Buffer.from(message.body).toString() });
    offset += length;
  }
  return events;
}

test('streamed responses reach the caller chunk by chunk; a mid-stream error arrives through the trailers', async () => {
  const received: Buffer[] = [];
  const caller = new Promise<RawReply>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: harness.lambda.port, method: 'POST', path: '/2021-11-15/functions/Streamer/response-streaming-invocations', agent: false },
      (res) => {
        res.on('data', (c: Buffer) => {
          received.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(received) }));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
  const address = await runtimeAddress('Streamer');
  const next = await call(address, 'GET', NEXT);
  const id = next.headers['lambda-runtime-aws-request-id'] as string;
  const [host, port] = address.split(':');
  const socket = connect(Number(port), host!);
  await new Promise((r) => socket.once('connect', r));
  socket.write(
    `POST ${respond(id)} HTTP/1.1\r\nHost: ${address}\r\nTransfer-Encoding: chunked\r\nContent-Type: text/plain\r\n` +
      'Lambda-Runtime-Function-Response-Mode: streaming\r\nTrailer: Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body\r\n\r\n',
  );
  socket.write('5\r\nfirst\r\n');
  for (let i = 0; i < 200 && received.length === 0; i++) await sleep(10);
  assert.ok(received.length > 0, 'the first chunk reached the caller before the stream ended');
  assert.deepEqual(
    decodeEvents(Buffer.concat(received)).map((e) => e.body),
    ['first'],
  );
  const errorBody = Buffer.from(JSON.stringify({ errorType: 'StreamBroke', errorMessage: 'half way' })).toString('base64');
  socket.write(`6\r\nsecond\r\n0\r\nLambda-Runtime-Function-Error-Type: StreamBroke\r\nLambda-Runtime-Function-Error-Body: ${errorBody}\r\n\r\n`);
  const result = await caller;
  socket.destroy();
  assert.equal(result.status, 200);
  assert.equal(result.headers['content-type'], 'text/plain');
  const events = decodeEvents(result.body);
  assert.deepEqual(events.slice(0, 2), [
    { type: 'PayloadChunk', body: 'first' },
    { type: 'PayloadChunk', body: 'second' },
  ]);
  const complete = JSON.parse(events[2]!.body);
  assert.equal(events[2]!.type, 'InvokeComplete');
  assert.equal(complete.ErrorCode, 'StreamBroke');
  assert.equal(complete.ErrorDetails, 'half way');
});

test('init/error answers 202 and fails the pending invoke with the runtime error', async () => {
  const fn = manualFunction(harness.dir, 'InitFails');
  harness.lambda.addFunction(fn);
  const caller = invoke('InitFails', {});
  const api = await runtimeAddress('InitFails');
  const posted = await call(api, 'POST', '/2018-06-01/runtime/init/error', {
    body: JSON.stringify({ errorMessage: 'cannot load', errorType: 'Runtime.ImportModuleError' }),
    headers: { 'Lambda-Runtime-Function-Error-Type': 'Runtime.ImportModuleError' },
  });
  assert.equal(posted.status, 202);
  const result = await caller;
  assert.equal(result.headers['x-amz-function-error'], 'Unhandled');
  const body = JSON.parse(result.body.toString());
  assert.equal(body.errorType, 'Runtime.ImportModuleError');
  assert.equal(body.errorMessage, 'cannot load');
  // The runner keeps serving: the next invoke of a healthy function still works.
  const next = invoke('Manual', { after: 'init error' });
  const manual = await call(await runtimeAddress('Manual'), 'GET', NEXT);
  await call(await runtimeAddress('Manual'), 'POST', respond(manual.headers['lambda-runtime-aws-request-id'] as string), { body: '"fine"' });
  assert.equal((await next).body.toString(), '"fine"');
});

test('init/error after init (as minlambda posts one after a 413) is 403 InvalidStateTransition and changes nothing', async () => {
  const caller = invoke('Manual', { n: 1 });
  const api = await runtimeAddress('Manual');
  const next = await call(api, 'GET', NEXT);
  const oversized = await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: 'x'.repeat(6_291_557) });
  assert.equal(oversized.status, 413);
  assert.equal(JSON.parse((await caller).body.toString()).errorType, 'Function.ResponseSizeTooLarge');
  const late = await call(api, 'POST', '/2018-06-01/runtime/init/error', {
    body: JSON.stringify({ errorMessage: 'response too large', errorType: 'Runtime.Unknown' }),
  });
  assert.equal(late.status, 403);
  assert.equal(JSON.parse(late.body.toString()).errorType, 'InvalidStateTransition');
  // The environment serves on, with the same address: the next invoke runs.
  const again = invoke('Manual', { n: 2 });
  const event = await call(api, 'GET', NEXT);
  assert.deepEqual(JSON.parse(event.body.toString()), { n: 2 });
  await call(api, 'POST', respond(event.headers['lambda-runtime-aws-request-id'] as string), { body: '"still here"' });
  const reply = await again;
  assert.equal(reply.headers['x-amz-function-error'], undefined, reply.body.toString());
  assert.equal(reply.body.toString(), '"still here"');
});

test('the route table: a known path with another method is 405 naming the method; an unknown path is 404', async () => {
  const caller = invoke('Manual', {});
  const api = await runtimeAddress('Manual');
  const wrongMethod = await call(api, 'POST', NEXT);
  assert.equal(wrongMethod.status, 405);
  assert.match(JSON.parse(wrongMethod.body.toString()).errorMessage, /^Use GET for \/2018-06-01\/runtime\/invocation\/next\.$/);
  const getAnswer = await call(api, 'GET', respond('some-id'));
  assert.equal(getAnswer.status, 405);
  assert.match(JSON.parse(getAnswer.body.toString()).errorMessage, /^Use POST for /);
  const unknown = await call(api, 'GET', '/2018-06-01/runtime/nowhere');
  assert.equal(unknown.status, 404);
  assert.equal(JSON.parse(unknown.body.toString()).errorType, 'NotFound');
  const next = await call(api, 'GET', NEXT);
  await call(api, 'POST', respond(next.headers['lambda-runtime-aws-request-id'] as string), { body: '"ok"' });
  assert.equal((await caller).body.toString(), '"ok"');
});

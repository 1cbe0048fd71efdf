// The direct socket (runner/runtime-api/direct.ts): the Runtime API's hot routes on a Unix socket, which the
// project's Node client uses. The test plays the runtime with raw HTTP/1.1 on the socket, as the client writes it
// (pipelined), and plays the caller through the Invoke API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { manualFunction, serveInvokeApi } from './support/runner.ts';

let lambda: LocalLambda;
let dir: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'or-direct-'));
  // The test process plays the runtime, so it must be let in: by default only an environment's own processes are
  // (runtime-api-access.test.ts shows that).
  lambda = new LocalLambda({ hotReload: false, runtimeApiAccess: 'any' });
  lambda.setFunctions([manualFunction(dir, 'Manual')]);
  await serveInvokeApi(lambda);
});

after(async () => {
  await lambda.close();
});

interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function invoke(payload: unknown, headers: Record<string, string> = {}, name = 'Manual'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = JSON.stringify(payload);
    const req = request(
      { host: '127.0.0.1', port: lambda.port, method: 'POST', path: `/2015-03-31/functions/${name}/invocations`, headers, agent: false },
      (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers as Record<string, string>, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The runtime's side of the socket: raw requests out, responses parsed in order as they come. */
class RawRuntime {
  readonly socket: Socket;
  private buffer = '';
  readonly replies: Reply[] = [];
  readonly reads: number[] = [];
  closed = false;
  private waiters: Array<() => void> = [];

  private constructor(path: string) {
    this.socket = connect({ path });
    this.socket.on('data', (data: Buffer) => {
      this.reads.push(data.length);
      this.buffer += data.toString('latin1');
      for (;;) {
        const end = this.buffer.indexOf('\r\n\r\n');
        if (end < 0) break;
        const lines = this.buffer.slice(0, end).split('\r\n');
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
        const length = Number(headers['content-length'] ?? 0);
        if (this.buffer.length < end + 4 + length) break;
        this.replies.push({
          status: Number(lines[0]!.split(' ')[1]),
          headers,
          body: Buffer.from(this.buffer.slice(end + 4, end + 4 + length), 'latin1').toString('utf8'),
        });
        this.buffer = this.buffer.slice(end + 4 + length);
      }
      this.wake();
    });
    this.socket.on('close', () => {
      this.closed = true;
      this.wake();
    });
  }

  static async open(name = 'Manual'): Promise<RawRuntime> {
    const marker = join(dir, name, 'socket');
    for (let i = 0; i < 500 && (!existsSync(marker) || readFileSync(marker, 'utf8').trim() === ''); i++) await sleep(10);
    const path = readFileSync(marker, 'utf8').trim();
    assert.match(path, /\.sock$/, 'the runtime is given its direct socket');
    const runtime = new RawRuntime(path);
    await new Promise((resolve) => runtime.socket.once('connect', resolve));
    return runtime;
  }

  private wake(): void {
    for (const waiter of this.waiters.splice(0)) waiter();
  }

  send(text: string): void {
    this.socket.write(text);
  }

  /** Waits for the first `count` replies (or the close). */
  async replyCount(count: number): Promise<Reply[]> {
    while (this.replies.length < count && !this.closed) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.replies.slice(0, count);
  }
}

const NEXT = 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: localhost\r\n\r\n';
function post(id: string, action: 'response' | 'error', body: string, headers = ''): string {
  return `POST /2018-06-01/runtime/invocation/${id}/${action} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n${headers}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

/** An invoke, and its event taken by a fresh connection to the environment's socket. */
async function eventOnNewConnection(payload: unknown): Promise<{ caller: Promise<Reply>; runtime: RawRuntime; id: string; event: Reply }> {
  const caller = invoke(payload);
  const runtime = await RawRuntime.open();
  runtime.send(NEXT);
  const [event] = await runtime.replyCount(1);
  return { caller, runtime, id: event!.headers['lambda-runtime-aws-request-id']!, event: event! };
}

test('the event comes with the Lambda headers; an answer pipelined with the next /next gets its 202 with the next event, in one write', async () => {
  const clientContext = Buffer.from(JSON.stringify({ custom: { a: 1 } })).toString('base64');
  const first = invoke({ n: 1 }, { 'X-Amz-Client-Context': clientContext });
  const runtime = await RawRuntime.open();
  runtime.send(NEXT);
  const [event] = await runtime.replyCount(1);
  assert.equal(event!.status, 200);
  assert.deepEqual(JSON.parse(event!.body), { n: 1 });
  const id = event!.headers['lambda-runtime-aws-request-id']!;
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.ok(Number(event!.headers['lambda-runtime-deadline-ms']) > Date.now() + 29_000);
  assert.equal(event!.headers['lambda-runtime-invoked-function-arn'], 'arn:aws:lambda:us-east-1:123456789012:function:Manual');
  assert.match(event!.headers['lambda-runtime-trace-id']!, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0/);
  assert.deepEqual(JSON.parse(event!.headers['lambda-runtime-client-context']!), { custom: { a: 1 } });

  runtime.send(post(id, 'response', '{"answer":"é"}') + NEXT);
  const result = await first;
  assert.equal(result.status, 200);
  assert.equal(result.body, '{"answer":"é"}', 'the caller has the answer before the runtime has its 202');
  await sleep(100);
  assert.equal(runtime.replies.length, 1, 'the 202 waits for the next event');

  const readsBefore = runtime.reads.length;
  const second = invoke({ n: 2 });
  const [, accepted, next] = await runtime.replyCount(3);
  assert.equal(accepted!.status, 202);
  assert.deepEqual(JSON.parse(accepted!.body), { status: 'OK' });
  assert.equal(next!.status, 200);
  assert.deepEqual(JSON.parse(next!.body), { n: 2 });
  assert.equal(runtime.reads.length, readsBefore + 1, 'the 202 and the event came in one read');
  runtime.send(post(next!.headers['lambda-runtime-aws-request-id']!, 'response', '2'));
  const [, , , lone] = await runtime.replyCount(4);
  assert.equal(lone!.status, 202, 'an answer with no /next behind it gets its 202 at once');
  assert.equal((await second).body, '2');
  runtime.socket.destroy();
});

test('ending the connection after a pipelined /next gets the 202 at once, and withdraws the /next', async () => {
  const { caller, runtime, id } = await eventOnNewConnection({ n: 3 });
  runtime.send(post(id, 'error', '{"errorType":"Crash","errorMessage":"gone"}') + NEXT);
  runtime.socket.end();
  const replies = await runtime.replyCount(3);
  assert.equal(replies[1]!.status, 202);
  assert.equal(replies.length, 2, 'no event for a runtime that ended its side');
  assert.ok(runtime.closed);
  const result = await caller;
  assert.equal(result.headers['x-amz-function-error'], 'Unhandled');
  assert.deepEqual(JSON.parse(result.body), { errorType: 'Crash', errorMessage: 'gone' });

  // The environment still takes invokes: this runtime asks again on a new connection.
  const again = await eventOnNewConnection({ n: 4 });
  assert.deepEqual(JSON.parse(again.event.body), { n: 4 });
  again.runtime.send(post(again.id, 'response', '4'));
  assert.equal((await again.caller).body, '4');
  again.runtime.socket.destroy();
});

test('unknown ids get 400, second answers 403, oversized answers 413; the connection stays usable', async () => {
  const { caller, runtime, id } = await eventOnNewConnection({ n: 5 });
  runtime.send(post('not-a-request', 'response', '{}'));
  const [, unknown] = await runtime.replyCount(2);
  assert.equal(unknown!.status, 400);
  assert.equal(JSON.parse(unknown!.body).errorType, 'InvalidRequestID');
  runtime.send(post('%E0', 'response', '{}'));
  const [, , brokenEscape] = await runtime.replyCount(3);
  assert.equal(brokenEscape!.status, 400);
  assert.equal(JSON.parse(brokenEscape!.body).errorType, 'InvalidRequestID');

  runtime.send(post(id, 'response', `"${'x'.repeat(6_291_556 - 1)}"`));
  const [, , , tooLarge] = await runtime.replyCount(4);
  assert.equal(tooLarge!.status, 413);
  assert.equal(JSON.parse(tooLarge!.body).errorType, 'RequestEntityTooLarge');
  const result = await caller;
  assert.equal(JSON.parse(result.body).errorType, 'Function.ResponseSizeTooLarge');

  runtime.send(post(id, 'response', '{}'));
  const [, , , , second] = await runtime.replyCount(5);
  assert.equal(second!.status, 403);
  assert.equal(JSON.parse(second!.body).errorType, 'InvalidStateTransition');
  runtime.socket.destroy();
});

test('what the socket cannot read gets a 400 naming the problem and a closed connection; the runner serves on', async () => {
  for (const bad of ['NOT HTTP\r\n\r\n', 'POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\r\n']) {
    const runtime = await RawRuntime.open();
    runtime.send(bad);
    const [reply] = await runtime.replyCount(1);
    assert.equal(reply!.status, 400);
    assert.match(JSON.parse(reply!.body).errorMessage, /not an HTTP\/1.1 request line|"zz" is not a chunk size/);
    await runtime.replyCount(2);
    assert.ok(runtime.closed);
  }
  const unknownRoute = await RawRuntime.open();
  unknownRoute.send('GET /2020-01-01/extension/event/next HTTP/1.1\r\n\r\n');
  const [notFound] = await unknownRoute.replyCount(1);
  assert.equal(notFound!.status, 404);
  unknownRoute.socket.destroy();

  const { caller, runtime, id } = await eventOnNewConnection({ n: 6 });
  runtime.send(post(id, 'response', '6'));
  assert.equal((await caller).body, '6');
  runtime.socket.destroy();
});

test('a chunked answer, with trailers, is read as the TCP address reads it', async () => {
  const { caller, runtime, id } = await eventOnNewConnection({ n: 8 });
  runtime.send(
    `POST /2018-06-01/runtime/invocation/${id}/response HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n{"a\r\n4;ext=1\r\n":8}\r\n0\r\nX-Trailer: t\r\n\r\n`,
  );
  const [, accepted] = await runtime.replyCount(2);
  assert.equal(accepted!.status, 202);
  assert.equal((await caller).body, '{"a":8}');
  runtime.socket.destroy();
});

test('init/error on the socket answers 202 and fails the pending invoke with the runtime error', async () => {
  lambda.addFunction(manualFunction(dir, 'InitFails'));
  const caller = invoke({ n: 7 }, {}, 'InitFails');
  const runtime = await RawRuntime.open('InitFails');
  const body = JSON.stringify({ errorType: 'Runtime.ImportModuleError', errorMessage: 'no module' });
  runtime.send(
    `POST /2018-06-01/runtime/init/error HTTP/1.1\r\nLambda-Runtime-Function-Error-Type: Runtime.ImportModuleError\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
  const [reply] = await runtime.replyCount(1);
  assert.equal(reply!.status, 202);
  const result = await caller;
  assert.equal(result.headers['x-amz-function-error'], 'Unhandled');
  assert.equal(JSON.parse(result.body).errorType, 'Runtime.ImportModuleError');
  runtime.socket.destroy();
});

test('init/error on the socket after init is 403 InvalidStateTransition, and the next invoke still runs', async () => {
  const { caller, runtime, id } = await eventOnNewConnection({ n: 8 });
  runtime.send(post(id, 'response', '8'));
  assert.equal((await caller).body, '8');
  const body = JSON.stringify({ errorType: 'Runtime.Unknown', errorMessage: 'late' });
  runtime.send(`POST /2018-06-01/runtime/init/error HTTP/1.1\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  // Replies so far: the event, the 202 of the response, and the init error's.
  const late = (await runtime.replyCount(3))[2];
  assert.equal(late!.status, 403);
  assert.equal(JSON.parse(late!.body).errorType, 'InvalidStateTransition');
  const next = invoke({ n: 9 });
  runtime.send(NEXT);
  const event = (await runtime.replyCount(4))[3];
  assert.deepEqual(JSON.parse(event!.body), { n: 9 });
  runtime.send(post(event!.headers['lambda-runtime-aws-request-id']!, 'response', '9'));
  const reply = await next;
  assert.equal(reply.headers['x-amz-function-error'], undefined, reply.body);
  assert.equal(reply.body, '9');
  runtime.socket.destroy();
});

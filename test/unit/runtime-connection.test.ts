// The Runtime API's own connection (runner/runtime-api/runtime-connection.ts) over a real TCP connection, against a
// counting environment: what it asks of the environment per answer. A chunked /response is claimed once (to know whether
// its caller streams, which decides who reads it); reading the body must not claim it a second time. The
// environment here is a test double (named so): it counts the claims, which no real client can observe.
import assert from 'node:assert/strict';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { Invocation, type Outcome } from '../../runner/environments/invocation.ts';
import { serveRuntimeConnection } from '../../runner/runtime-api/runtime-connection.ts';
import type { NextRequest, ServedEnvironment } from '../../runner/runtime-api/served-environment.ts';

/** One held invocation; counts claims and records the answer. */
class CountingEnvironment implements ServedEnvironment {
  claims = 0;
  readonly inv = new Invocation(Buffer.from('{}'));
  answers: Outcome[] = [];
  constructor() {
    this.inv.deliveredAt = performance.now();
    this.inv.invocationId = 'attempt-1';
  }
  onNext(_next: NextRequest): void {}
  claim(requestId: string, invocationId?: string) {
    this.claims++;
    if (requestId !== this.inv.requestId || (invocationId !== undefined && invocationId !== this.inv.invocationId)) return 'unknown' as const;
    return this.inv.answered || this.inv.done ? ('answered' as const) : this.inv;
  }
  answer(inv: Invocation, outcome: Outcome): void {
    this.answers.push(outcome);
    inv.settle(outcome);
  }
  acceptsInitError(): boolean {
    return false;
  }
  initFailed(): void {}
  admit(): boolean {
    return true;
  }
  readonly extensions = { count: 0, handle: () => Promise.reject(new Error('not served here')) };
  readonly telemetry = { handle: () => Promise.reject(new Error('not served here')) };
}

let server: Server;
let env: CountingEnvironment;
let handedOff = 0;

before(async () => {
  server = createServer({ noDelay: true }, (socket: Socket) =>
    serveRuntimeConnection(env, socket, (s) => {
      handedOff++;
      s.destroy();
    }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
after(() => server.close());

/** Sends `request` on a fresh connection; resolves with everything the server wrote until it has a whole reply. */
function exchange(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port: (server.address() as AddressInfo).port, host: '127.0.0.1' });
    let text = '';
    socket.on('data', (d) => {
      text += d.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text);
      if (end >= 0 && length && text.length >= end + 4 + Number(length[1])) {
        socket.destroy();
        resolve(text);
      }
    });
    socket.on('error', reject);
    socket.write(request);
  });
}

test('a chunked /response is claimed once, and its body reaches the caller whole', async () => {
  env = new CountingEnvironment();
  const body = '{"ok":true}';
  const reply = await exchange(
    `POST /2018-06-01/runtime/invocation/${env.inv.requestId}/response HTTP/1.1\r\nHost: x\r\nLambda-Runtime-Invocation-Id: attempt-1\r\n` +
      `Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n${body.slice(0, 5)}\r\n${(body.length - 5).toString(16)}\r\n${body.slice(5)}\r\n0\r\n\r\n`,
  );
  assert.match(reply, /^HTTP\/1\.1 202 /);
  assert.equal(handedOff, 0);
  assert.equal(env.claims, 1, 'one claim per answer');
  assert.equal(env.answers.length, 1);
  assert.equal(env.answers[0]!.body.toString('utf8'), body);
});

test('a chunked /response whose invocation was answered while its body came in gets 403, as a second answer does', async () => {
  env = new CountingEnvironment();
  const port = (server.address() as AddressInfo).port;
  const socket = connect({ port, host: '127.0.0.1' });
  let text = '';
  socket.on('data', (d) => (text += d.toString('latin1')));
  socket.write(`POST /2018-06-01/runtime/invocation/${env.inv.requestId}/response HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n`);
  // The head is read (and claimed); the invocation is answered elsewhere before the last chunk.
  await new Promise((resolve) => setTimeout(resolve, 100));
  env.inv.answered = true;
  socket.write('0\r\n\r\n');
  await new Promise<void>((resolve) => {
    const check = () => (/\r\n\r\n\{.*\}$/.test(text) ? resolve() : setTimeout(check, 10));
    check();
  });
  socket.destroy();
  assert.match(text, /^HTTP\/1\.1 403 /);
  assert.match(text, /InvalidStateTransition/);
  assert.equal(env.answers.length, 0);
});

test('a Content-Length /response is claimed once', async () => {
  env = new CountingEnvironment();
  const reply = await exchange(`POST /2018-06-01/runtime/invocation/${env.inv.requestId}/response HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}`);
  assert.match(reply, /^HTTP\/1\.1 202 /);
  assert.equal(env.claims, 1);
});

// The gateway around an in-process LocalLambda (real function processes, real HTTP), for what the CLI test can't
// reach in reasonable time: API Gateway's own integration timeout (29 s in AWS, shortened here) answering 504 while the
// function keeps running, the route table following the functions when the runner reloads them, and pipelined requests
// with and without bodies on one connection.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { Gateway } from '../../runner/gateway/server.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { removeTemps, tempDir } from './support/runner.ts';

let lambda: LocalLambda;
let gateway: Gateway;
let code: string;

const fn = (name: string, handler: string, path: string, extra: Partial<FunctionInput> = {}) =>
  parseFunction(
    {
      name,
      runtime: 'nodejs22.x',
      handler,
      codeUri: code,
      timeout: 10,
      httpEvents: [{ kind: 'rest', method: 'GET', path, payloadVersion: '1.0', api: 'ServerlessRestApi', stage: 'Prod' }],
      ...extra,
    },
    'test',
  );

const echoFunction = () =>
  fn('Echo', 'index.echo', '/echo', {
    httpEvents: [{ kind: 'http', method: 'ANY', path: '/echo', payloadVersion: '2.0', api: 'ServerlessHttpApi', stage: '$default' }],
  });

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`);
  return { status: res.status, text: await res.text() };
}

before(async () => {
  code = join(tempDir('gateway-in-process'), 'src');
  mkdirSync(code);
  writeFileSync(
    join(code, 'index.mjs'),
    `export const slow = async () => { await new Promise((r) => setTimeout(r, 6000)); return { statusCode: 200, body: 'late' }; };
export const hello = async () => ({ statusCode: 200, body: 'hello' });
export const echo = async (event) => ({ statusCode: 200, body: JSON.stringify({ method: event.requestContext.http.method, body: event.body ?? null }) });
`,
  );
  lambda = new LocalLambda({ hotReload: false });
  lambda.setFunctions([fn('Slow', 'index.slow', '/slow'), fn('Hello', 'index.hello', '/hello')]);
  await lambda.listen();
  // Short enough for a test, long enough that Hello's cold start on a busy machine (seconds at load 25) is not a 504.
  gateway = new Gateway(lambda, { port: 0, integrationTimeoutMs: { rest: 3000 } });
  await gateway.listen();
});

after(async () => {
  await gateway?.close();
  await lambda?.close();
  removeTemps();
});

test('past the integration timeout the caller gets 504 while the function runs on to its end', async () => {
  const ends: string[] = [];
  const unsubscribe = lambda.subscribe((event) => {
    if (event.type === 'invoke-end') ends.push(event.result.payload);
  });
  try {
    const answer = await get('/slow');
    assert.equal(answer.status, 504);
    assert.deepEqual(JSON.parse(answer.text), { message: 'Endpoint request timed out' });
    assert.deepEqual(ends, []); // not finished when the gateway gave up
    for (let i = 0; i < 300 && !ends.length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(
      ends.map((p) => JSON.parse(p).body),
      ['late'],
    );
  } finally {
    unsubscribe();
  }
});

test('the route table follows the functions when the runner reloads them', async () => {
  assert.equal((await get('/hello')).text, 'hello');
  assert.equal((await get('/bonjour')).status, 403);
  lambda.setFunctions([fn('Hello', 'index.hello', '/bonjour')]);
  lambda.emit({ type: 'functions-changed' });
  assert.equal((await get('/bonjour')).text, 'hello');
  assert.equal((await get('/hello')).status, 403);
  assert.deepEqual(
    gateway.routes().map((r) => r.servedPath),
    ['/bonjour'],
  );
});

test('requests with and without a body, pipelined on one keep-alive connection, each reach the function with their own body', async () => {
  // A request without a body runs at once (no body stream read); one with a Content-Length of 0 or a chunked body is
  // read first. Sent in one write, each is answered in order on the same connection.
  lambda.setFunctions([echoFunction()]);
  lambda.emit({ type: 'functions-changed' });
  const requests = [
    'GET /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n\r\n',
    'POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n',
    'DELETE /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    'PUT /echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nworld',
  ];
  const socket = connect(gateway.port, '127.0.0.1');
  socket.write(requests.join(''));
  const bodies: string[] = [];
  let buffer = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${bodies.length} answers: ${JSON.stringify(bodies)}`)), 20_000);
    socket.on('error', reject);
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.toString('latin1', 0, end);
        assert.match(head, /^HTTP\/1\.1 200 /);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
        if (buffer.length < end + 4 + length) return;
        bodies.push(buffer.toString('utf8', end + 4, end + 4 + length));
        buffer = buffer.subarray(end + 4 + length);
        if (bodies.length === requests.length) {
          clearTimeout(timer);
          resolve();
          return;
        }
      }
    });
  });
  socket.destroy();
  assert.deepEqual(
    bodies.map((b) => JSON.parse(b)),
    [
      { method: 'GET', body: null },
      { method: 'POST', body: null },
      { method: 'POST', body: 'hello' },
      { method: 'DELETE', body: null },
      { method: 'PUT', body: 'world' },
    ],
  );
});

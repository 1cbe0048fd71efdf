// The Invoke API's plain requests (runner/plain-requests.ts, invoke-api.ts plainInvokeApi) are read and answered
// without node:http; every other request goes to node:http, with the connection. Over raw keep-alive connections
// to a real runner: a plain answer is byte for byte what node:http answers to the same request (sent with a repeated
// header, which only node:http reads), a throttled one too; plain and node:http's requests pipelined on one connection
// are answered in order; a body that comes after its head, in a later packet, is still read.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { RawConnection } from './support/raw-connection.ts';
import { removeTemps, SIGNED, startRunner, tempDir, waitFor, writeTemplate, type Runner } from './support/runner.ts';

let runner: Runner;
/** The functions' code (app.mjs). */
let codeDir: string;

before(async () => {
  const dir = tempDir('invoke-plain');
  codeDir = dir;
  writeFileSync(
    `${dir}/app.mjs`,
    `export const handler = async (event) => {
  if (event.wait) await new Promise((resolve) => setTimeout(resolve, event.wait));
  if (event.fail) throw new Error('failed on purpose');
  return { echo: event };
};
`,
  );
  const template = writeTemplate(dir, [
    { name: 'Echo', runtime: 'nodejs22.x', handler: 'app.handler', codeUri: dir },
    { name: 'One', runtime: 'nodejs22.x', handler: 'app.handler', codeUri: dir, concurrency: 1, timeout: 60 },
  ]);
  runner = await startRunner(template);
});

after(async () => {
  await runner.stop();
  removeTemps();
});

/** A request as an SDK sends it; `extra` header lines go after the others. */
function invokeRequest(name: string, body: string, extra: string[] = []): string {
  return [
    `POST /2015-03-31/functions/${name}/invocations HTTP/1.1`,
    `Host: 127.0.0.1:${runner.port}`,
    `Authorization: ${SIGNED.Authorization}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extra,
    '',
    body,
  ].join('\r\n');
}

/** An answer with its request id (a fresh one per answer) masked. */
function masked(answer: string): string {
  return answer.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>');
}

test("a plain invoke's answer is node:http's, byte for byte, for a result and for a function error", async () => {
  for (const event of ['{"hello":"world"}', '{"fail":true}', '']) {
    const plain = new RawConnection(runner.port);
    const nodeHttp = new RawConnection(runner.port);
    plain.send(invokeRequest('Echo', event));
    // A repeated header: a request only node:http reads.
    nodeHttp.send(invokeRequest('Echo', event, ['X-Repeated: 1', 'X-Repeated: 2']));
    const [a] = await plain.answers(1);
    const [b] = await nodeHttp.answers(1);
    assert.match(a!, /^HTTP\/1\.1 200 OK\r\n/);
    assert.equal(masked(a!), masked(b!));
    if (event.includes('fail')) assert.match(a!, /\r\nX-Amz-Function-Error: Unhandled\r\n/);
    plain.close();
    nodeHttp.close();
  }
});

test('plain and node:http requests pipelined on one keep-alive connection are answered in order', async () => {
  const connection = new RawConnection(runner.port);
  connection.send(
    invokeRequest('Echo', '{"n":1}') +
      invokeRequest('Echo', '{"n":2}', ['X-Amz-Invocation-Type: DryRun']) +
      invokeRequest('Echo', '{"n":3}') +
      invokeRequest('Echo', 'not json') +
      invokeRequest('Echo', '{"n":5}'),
  );
  const answers = await connection.answers(5);
  assert.deepEqual(
    answers.map((answer) => answer.slice(0, answer.indexOf('\r\n'))),
    ['HTTP/1.1 200 OK', 'HTTP/1.1 204 No Content', 'HTTP/1.1 200 OK', 'HTTP/1.1 400 Bad Request', 'HTTP/1.1 200 OK'],
  );
  assert.match(answers[0]!, /\{"echo":\{"n":1\}\}$/);
  assert.match(answers[2]!, /\{"echo":\{"n":3\}\}$/);
  assert.match(answers[3]!, /InvalidRequestContentException/);
  assert.match(answers[4]!, /\{"echo":\{"n":5\}\}$/);
  // And the connection still serves.
  connection.send(invokeRequest('Echo', '{"n":6}'));
  assert.match((await connection.answers(1))[0]!, /\{"echo":\{"n":6\}\}$/);
  assert.equal(connection.closed, false);
  connection.close();
});

test('a keep-alive connection serves plain invokes one after another, and a body sent after its head', async () => {
  const connection = new RawConnection(runner.port);
  for (let n = 0; n < 5; n++) {
    connection.send(invokeRequest('Echo', `{"n":${n}}`));
    assert.match((await connection.answers(1))[0]!, new RegExp(`\\{"echo":\\{"n":${n}\\}\\}$`));
  }
  const request = invokeRequest('Echo', '{"late":true}');
  const headEnd = request.indexOf('\r\n\r\n') + 4;
  connection.send(request.slice(0, headEnd));
  await new Promise((resolve) => setTimeout(resolve, 200));
  connection.send(request.slice(headEnd));
  assert.match((await connection.answers(1))[0]!, /\{"echo":\{"late":true\}\}$/);
  connection.close();
});

test("a plain invoke refused for the function's concurrency gets node:http's 429", async () => {
  const holder = new RawConnection(runner.port);
  holder.send(invokeRequest('One', '{"wait":8000}'));
  await waitFor('the first invocation of One to start', () => /\[One\] START RequestId/.test(runner.stderr()), 20_000);
  const plain = new RawConnection(runner.port);
  const nodeHttp = new RawConnection(runner.port);
  plain.send(invokeRequest('One', '{}'));
  nodeHttp.send(invokeRequest('One', '{}', ['X-Repeated: 1', 'X-Repeated: 2']));
  const [a] = await plain.answers(1);
  const [b] = await nodeHttp.answers(1);
  assert.match(a!, /^HTTP\/1\.1 429 Too Many Requests\r\n/);
  assert.match(a!, /"Reason":"ReservedFunctionConcurrentInvocationLimitExceeded"/);
  assert.equal(masked(a!), masked(b!));
  assert.match((await holder.answers(1))[0]!, /^HTTP\/1\.1 200 OK/);
  for (const connection of [holder, plain, nodeHttp]) connection.close();
});

test("a request without Host is node:http's to refuse (400), as before, though everything else about it is plain", async () => {
  const connection = new RawConnection(runner.port);
  connection.send(invokeRequest('Echo', '{}').replace(/Host: [^\r]*\r\n/, ''));
  assert.match((await connection.answers(1))[0]!, /^HTTP\/1\.1 400 Bad Request\r\n/);
  connection.close();
});

test('a connection that has sent nothing yet does not keep the runner from stopping', async () => {
  const other = await startRunner(
    writeTemplate(tempDir('invoke-plain-silent'), [{ name: 'Echo', runtime: 'nodejs22.x', handler: 'app.handler', codeUri: codeDir }]),
  );
  const silent = connect({ host: '127.0.0.1', port: other.port });
  await new Promise((resolve) => silent.once('connect', resolve));
  // SIGTERM: the runner closes its servers and exits 0 (stop() kills it after 10 s otherwise, and resolves null).
  assert.equal(await other.stop(), 0);
  silent.destroy();
});

// Malformed input at every server the runner runs, from raw sockets (node:net) so that no client library tidies
// it up: the main port of `start` and `serve` (Invoke API, streaming invoke, local control plane, control API with
// and without the token), `rie`, the HTTP gateway (WebSocket upgrades, frames after them, the @connections API, and
// TLS handshakes on its port), and an environment's Runtime / Extensions / Telemetry API address. Afterwards
// every runner process is still alive and a normal invoke works. A seeded PRNG picks the requests: a failure names
// its seed and case, and FUZZ_SEED=<seed> replays it. Bounded: a fixed number of cases, each given at most
// CASE_MS to be answered before its socket is dropped (a bound on the test, not an assertion on speed).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { CONTROL_PREFIX } from '../../runner/protocol.ts';
import {
  SHELL_BOOTSTRAP_DIR,
  SIGNED,
  isAlive,
  post,
  removeTemps,
  startCli,
  startRunner,
  startServe,
  stopServe,
  tempDir,
  waitFor,
  writeTemplate,
  type CliProcess,
  type Runner,
  type Serve,
} from './support/runner.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261202);
const CASES_PER_TARGET = Number(process.env.FUZZ_CASES ?? 120);
const PARALLEL = 8;
const CASE_MS = 300;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rand = () => number;
const pick = <T>(rand: Rand, items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
const bytes = (rand: Rand, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'HEAD', 'TRACE', 'PROPFIND', 'BREW', 'G\tET', ''];
const SEGMENTS = [
  'Echo',
  '%',
  '%ZZ',
  '%E0%A4%A',
  '%C3%28',
  '%00',
  '..',
  '.',
  '',
  'a'.repeat(5000),
  'Echo:%',
  'arn:aws:lambda:us-east-1:123456789012:function:Echo:1',
  '\u00e9',
  '%F0%9F%98%80',
  'Echo?Qualifier=%',
  '$LATEST',
];
const PATHS = [
  '/items/{}',
  '/lambda-url/{}/x',
  '/ws',
  '/ws/',
  '/ws?{}',
  '/ws/@connections/{}',
  '/ws/@connections/',
  '/2015-03-31/functions/{}/invocations',
  '/2021-11-15/functions/{}/response-streaming-invocations',
  '/2015-03-31/functions',
  '/2015-03-31/functions/',
  '/2015-03-31/functions/{}',
  '/2015-03-31/functions/{}/configuration',
  '/2015-03-31/functions/{}/code',
  '/2015-03-31/functions/{}/code.zip?Qualifier={}&X-Amz-Signature={}',
  '/2015-03-31/functions/{}/versions',
  '/2015-03-31/functions/{}/aliases',
  '/2015-03-31/functions/{}/aliases/{}',
  `${CONTROL_PREFIX}/functions`,
  `${CONTROL_PREFIX}/functions/reload`,
  `${CONTROL_PREFIX}/functions/infer`,
  `${CONTROL_PREFIX}/invoke`,
  `${CONTROL_PREFIX}/status`,
  `${CONTROL_PREFIX}/events`,
  `${CONTROL_PREFIX}/chains`,
  `${CONTROL_PREFIX}/component-interface`,
  `${CONTROL_PREFIX}/{}`,
  '/2018-06-01/runtime/invocation/next',
  '/2018-06-01/runtime/invocation/{}/response',
  '/2018-06-01/runtime/invocation/{}/error',
  '/2018-06-01/runtime/init/error',
  '/2020-01-01/extension/register',
  '/2020-01-01/extension/event/next',
  '/2020-01-01/extension/init/error',
  '/2022-07-01/telemetry',
  '/{}',
  '*',
  'http://[::1',
  '//evil/x',
  '/%',
];
const BODIES = [
  '{}',
  '{"a":',
  'null',
  '[]',
  '"x"',
  '{"FunctionName":"%","Code":{"ZipFile":"!!!"}}',
  '{"function":"Echo","payload":"{"}',
  '{"Code":{"ZipFile":"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA=="},"FunctionName":"Z","Role":"arn:aws:iam::123456789012:role/r","Runtime":"nodejs22.x","Handler":"a.b"}',
  '{"file":"/nonexistent.wasm"}',
  '{"schemaVersion":"2022-12-13","destination":{"protocol":"HTTP","URI":"http://%"},"types":["platform"]}',
];

/** One malformed HTTP request, as bytes. */
function malformedRequest(rand: Rand, token: string | undefined): Buffer {
  const method = pick(rand, METHODS);
  let path = pick(rand, PATHS);
  // Never ask a runner to stop: that is an operation, not malformed input.
  while (path.includes('{}')) path = path.replace('{}', pick(rand, SEGMENTS));
  // Nor delete the function the test invokes afterwards: DeleteFunction of it is a valid operation too.
  if (method === 'DELETE') path = path.replaceAll('Echo', 'Nobody');
  if (rand() < 0.1) path += `?${pick(rand, ['Qualifier=%', 'Marker=-1&MaxItems=1e309', 'FunctionVersion=ALL', '%=%', 'a'.repeat(3000)])}`;
  // Most requests to the WebSocket API are real handshakes (a GET to a loopback Host), so that hostile frames reach it.
  const handshake = path.startsWith('/ws') && rand() < 0.7;
  const head: Array<Buffer | string> = [
    handshake
      ? `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`
      : `${method} ${path} ${pick(rand, ['HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'HTCPCP/1.0'])}\r\n`,
  ];
  if (!handshake && rand() < 0.9) head.push(`Host: ${pick(rand, ['127.0.0.1', 'localhost:1', '[::1]', 'attacker.example', '', '127.0.0.1:99999999'])}\r\n`);
  const auth = rand();
  if (auth < 0.5) head.push(`Authorization: ${SIGNED.Authorization}\r\n`);
  else if (auth < 0.7 && token) head.push(`Authorization: Bearer ${token}\r\n`);
  else if (auth < 0.8) head.push(`Authorization: ${pick(rand, ['Bearer ', 'AWS4-HMAC-SHA256', 'Basic %%%'])}\r\n`);
  if (rand() < 0.15) head.push(`Origin: ${pick(rand, ['http://evil.example', 'null', ''])}\r\n`);
  for (const [name, values] of [
    ['X-Amz-Invocation-Type', ['Event', 'DryRun', 'RequestResponse', 'Nope', '']],
    ['X-Amz-Log-Type', ['Tail', 'None', '\u00ff']],
    ['X-Amz-Client-Context', ['e30=', '!!!', 'eyJh', Buffer.from('{"a":"\u00e9\\n"}').toString('base64'), 'A'.repeat(8000)]],
    ['Content-Type', ['application/json', 'text/plain', 'application/x-amz-json-1.1']],
    ['Lambda-Runtime-Function-Response-Mode', ['streaming', 'buffered']],
    ['Lambda-Extension-Name', ['x', '', 'a'.repeat(300)]],
    ['Lambda-Extension-Identifier', ['00000000-0000-0000-0000-000000000000', '%']],
    ['Lambda-Runtime-Function-Error-Type', ['Unhandled', '\u00e9']],
    ['Access-Control-Request-Method', ['POST', 'DELETE']],
    ['Sec-Fetch-Site', ['cross-site', 'none']],
    ['Upgrade', ['websocket', 'WebSocket', 'h2c', '']],
    ['Sec-WebSocket-Key', ['dGhlIHNhbXBsZSBub25jZQ==', '%', '']],
    ['Sec-WebSocket-Version', ['13', '8', '99']],
    ['Sec-WebSocket-Protocol', ['chat', '\u00e9, ,', '']],
  ] as const) {
    if (rand() < 0.15) head.push(`${name}: ${pick(rand, values)}\r\n`);
  }
  if (handshake) head.push('Upgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n');
  if (rand() < 0.1) head.push(`X-Long: ${'b'.repeat(Math.floor(rand() * 20_000))}\r\n`);
  if (rand() < 0.1) head.push(Buffer.concat([Buffer.from('X-Bytes: '), bytes(rand, 40).map((b) => (b === 10 || b === 13 ? 32 : b)), Buffer.from('\r\n')]));
  let body: Buffer = rand() < 0.6 ? Buffer.from(pick(rand, BODIES)) : bytes(rand, Math.floor(rand() * 2000));
  const framing = rand();
  if (framing < 0.45) head.push(`Content-Length: ${body.length}\r\n`);
  else if (framing < 0.55)
    head.push(`Content-Length: ${pick(rand, ['99999999999999999999', '-1', 'abc', '1e3', `${body.length + 100}`, `${body.length}, ${body.length + 1}`])}\r\n`);
  else if (framing < 0.7) {
    head.push('Transfer-Encoding: chunked\r\n');
    body =
      rand() < 0.5
        ? Buffer.concat([Buffer.from(`${body.length.toString(16)}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')])
        : Buffer.concat([
            Buffer.from(`${pick(rand, ['zz', 'ffffffffffffffff', '-5', '5;ext="\u00ff"'])}\r\n`),
            body,
            Buffer.from(pick(rand, ['\r\n', '', '\r\n0\r\nX-Trailer: %\r\n\r\n'])),
          ]);
  } else if (framing < 0.75) head.push('Transfer-Encoding: gzip, chunked\r\nContent-Length: 5\r\n');
  // An upgrade keeps the socket: what follows the head reaches the WebSocket as frames (unmasked, oversized, garbage).
  head.push(handshake || rand() < 0.2 ? 'Connection: Upgrade\r\n\r\n' : 'Connection: close\r\n\r\n');
  const request = Buffer.concat([...head.map((h) => (typeof h === 'string' ? Buffer.from(h, 'latin1') : h)), body]);
  // A TLS handshake record's first bytes, then anything: the gateway's port takes TLS too.
  return rand() < 0.05 ? Buffer.concat([Buffer.from([0x16, 0x03, pick(rand, [0x01, 0x03, 0xff])]), bytes(rand, Math.floor(rand() * 600))]) : request;
}

/** Sends raw bytes and waits for an answer, the server closing, or CASE_MS; refusals and resets are answers too. */
function throwAt(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve();
    };
    const timer = setTimeout(done, CASE_MS);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', () => undefined);
    socket.on('connect', () => socket.write(data, () => undefined));
  });
}

async function fuzz(port: number, seed: number, token: string | undefined): Promise<void> {
  const rand = prng(seed);
  const cases = Array.from({ length: CASES_PER_TARGET }, () => malformedRequest(rand, token));
  for (let at = 0; at < cases.length; at += PARALLEL) await Promise.all(cases.slice(at, at + PARALLEL).map((c) => throwAt(port, c)));
}

let start: Runner;
let serve: Serve;
let rie: CliProcess;
let runtimeApi: string;

before(async () => {
  const dir = tempDir('fuzz');
  // A function that tells where its environment's Runtime API is, then serves invokes as the AWS tutorial's does.
  const addressed = join(dir, 'addressed');
  mkdirSync(addressed);
  copyFileSync(join(SHELL_BOOTSTRAP_DIR, 'function.sh'), join(addressed, 'function.sh'));
  writeFileSync(
    join(addressed, 'bootstrap'),
    `#!/bin/sh\necho "$AWS_LAMBDA_RUNTIME_API" > "${join(dir, 'address')}"\nexec "${join(SHELL_BOOTSTRAP_DIR, 'bootstrap')}"\n`,
  );
  chmodSync(join(addressed, 'bootstrap'), 0o755);
  const written = writeTemplate(dir, [
    { name: 'Echo', codeUri: SHELL_BOOTSTRAP_DIR },
    { name: 'Addressed', codeUri: addressed },
  ]);
  // Echo is also behind the gateway of `start`: a REST route with a path parameter and the HTTP API's $default
  // (whose 2.0 simple response turns Echo's answer into a 200).
  const template = written;
  writeFileSync(
    template,
    readFileSync(template, 'utf8').replace(
      '  Echo:\n    Type: AWS::Serverless::Function\n    Properties:\n',
      '  Echo:\n    Type: AWS::Serverless::Function\n    Properties:\n      Events:\n        Rest:\n          Type: Api\n          Properties:\n            Path: /items/{id}\n            Method: ANY\n        Default:\n          Type: HttpApi\n',
    ),
  );
  // And on the gateway's WebSocket API, at /ws: $connect and a two-way $default route.
  writeFileSync(
    template,
    `${readFileSync(template, 'utf8')}  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: { ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action }
  WsConnect:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Ws, RouteKey: $connect, Target: !Sub 'integrations/\${WsIntegration}' }
  WsDefault:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Ws, RouteKey: $default, RouteResponseSelectionExpression: $default, Target: !Sub 'integrations/\${WsIntegration}' }
  WsIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: { ApiId: !Ref Ws, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Echo.Arn }
  WsStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: { ApiId: !Ref Ws, StageName: ws }
`,
  );
  [start, serve, rie] = await Promise.all([
    startRunner(template),
    startServe(dir, 'fuzz-token-0123456789abcdef'),
    startCli(['rie', '--runtime-interface-emulator-address', '127.0.0.1:0', './bootstrap'], {
      cwd: SHELL_BOOTSTRAP_DIR,
      banner: /POST http:\/\/127\.0\.0\.1:(\d+)\//,
    }),
  ]);
  const first = await start.invoke('Addressed', { warm: true });
  assert.equal(first.status, 200, first.text);
  runtimeApi = await waitFor('the Runtime API address', () => readFileSync(join(dir, 'address'), 'utf8').trim() || undefined);
});

after(async () => {
  await Promise.all([start?.stop(), serve && stopServe(serve), rie?.stop()]);
  removeTemps();
});

async function assertAlive(what: string, pid: number, stderr: string, seed: number): Promise<void> {
  assert.ok(isAlive(pid), `${what} died under seed ${seed} (FUZZ_SEED=${seed} replays it). Its stderr:\n${stderr.slice(-3000)}`);
}

test(`every server survives malformed input (seed ${SEED})`, async () => {
  await fuzz(start.port, SEED, undefined);
  await assertAlive('start', start.proc.pid!, start.stderr(), SEED);
  await fuzz(serve.port, SEED + 1, serve.token);
  await assertAlive('serve', serve.pid, serve.stderr(), SEED + 1);
  await fuzz(rie.port, SEED + 2, undefined);
  await assertAlive('rie', rie.proc.pid!, rie.stderr(), SEED + 2);
  // The gateway of start: the user's own API, unsigned and from browsers, but the same input must not kill it.
  assert.ok(start.apiPort > 0, start.stderr());
  await fuzz(start.apiPort, SEED + 4, undefined);
  await assertAlive('start (its HTTP gateway)', start.proc.pid!, start.stderr(), SEED + 4);
  assert.match(start.stderr(), /WebSocket \/ws connected/, 'some cases were WebSocket handshakes that the API accepted, so their frames reached it');
  // The environment's own address: after the merge only its own processes may connect, and refusals are fine.
  await fuzz(Number(runtimeApi.split(':')[1]), SEED + 3, undefined);
  await assertAlive('start (owner of the fuzzed environment)', start.proc.pid!, start.stderr(), SEED + 3);

  // And they still do their job.
  const invoked = await start.invoke('Echo', { after: 'fuzz' });
  assert.equal(invoked.status, 200, invoked.text);
  assert.deepEqual(invoked.json().event, { after: 'fuzz' });
  const viaGateway = await fetch(`http://127.0.0.1:${start.apiPort}/anything/else`, { method: 'POST', body: '{"after":"fuzz"}' });
  assert.equal(viaGateway.status, 200, await viaGateway.text());
  const viaWebSocket = await new Promise<string>((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${start.apiPort}/ws`);
    ws.on('open', () => ws.send('{"after":"fuzz"}'));
    ws.on('message', (data: Buffer) => {
      resolve(data.toString('utf8'));
      ws.close();
    });
    ws.on('error', reject);
  });
  assert.equal(JSON.parse(viaWebSocket).event.body, '{"after":"fuzz"}');
  const viaServe = await post(`http://127.0.0.1:${serve.port}/2015-03-31/functions/Echo/invocations`, '{"after":"fuzz"}');
  assert.equal(viaServe.status, 200, viaServe.text);
  const viaControl = await post(`http://127.0.0.1:${serve.port}${CONTROL_PREFIX}/invoke`, JSON.stringify({ function: 'Echo', payload: '{"control":true}' }), {
    Authorization: `Bearer ${serve.token}`,
  });
  assert.equal(viaControl.status, 200, viaControl.text);
  const viaRie = await post(`${rie.endpoint}/2015-03-31/functions/function/invocations`, '{"after":"fuzz"}');
  assert.equal(viaRie.status, 200, viaRie.text);
});

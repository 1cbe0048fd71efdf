// The local HTTP gateway of `open-runtime start`, driven with real HTTP (node:http, fetch, curl) against a real
// runner running Node handlers from a SAM template with Api, HttpApi and FunctionUrlConfig functions: each route
// kind, path parameters, greedy proxy, priority, multi-value query strings and headers, cookies, base64 bodies in and
// out, both response formats and the 2.0 simple response, API Gateway's error answers, and every event the
// functions receive parsed with @aws-lambda-powertools/parser's schemas.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LambdaFunctionUrlSchema } from '@aws-lambda-powertools/parser/schemas';
import { CONTROL_PREFIX, RunnerStatus } from '../../runner/protocol.ts';
import { removeTemps, ROOT, startCli, startServe, stopServe, tempDir, type CliProcess } from './support/runner.ts';
import { callGateway, httpEventOf, restEventOf } from './support/gateway.ts';

const HANDLERS = `
import { existsSync } from 'node:fs';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const echo = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'x-echo': 'yes' },
  multiValueHeaders: { 'x-multi': ['a', 'b'] },
  body: JSON.stringify(event),
});
export const bytes = async (event) => {
  const received = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body ?? '');
  return { statusCode: 200, headers: { 'content-type': 'application/octet-stream', 'x-was-base64': String(event.isBase64Encoded) }, body: received.toString('base64'), isBase64Encoded: true };
};
export const simple = async (event) => (event.pathParameters.kind === 'string' ? 'hello' : { hello: 'world' });
export const cookies = async (event) =>
  event.version === '2.0'
    ? { statusCode: 201, cookies: ['a=1', 'b=2; Path=/'], body: 'v2' }
    : { statusCode: 201, multiValueHeaders: { 'Set-Cookie': ['a=1', 'b=2; Path=/'] }, body: 'v1' };
export const fail = async () => { throw new Error('boom'); };
export const malformed = async (event) => (event.version === '2.0' ? { statusCode: 200, body: { not: 'a string' } } : { body: 'no statusCode' });
export const slow = async () => { await sleep(10_000); return 'late'; };
export const busy = async () => { await sleep(1500); return 'done'; };
// Writes, then waits until the caller says it has the first chunk (a file appears), then writes again: a gateway
// that buffered the response would never let the caller see "first" before the function ends.
export const stream = globalThis.awslambda?.streamifyResponse(async (event, responseStream) => {
  const out = awslambda.HttpResponseStream.from(responseStream, { statusCode: 201, headers: { 'content-type': 'text/plain', 'x-streamed': 'yes' }, cookies: ['s=1'] });
  out.write('first\\n');
  const flag = event.queryStringParameters.flag;
  while (!existsSync(flag)) await sleep(20);
  if (event.queryStringParameters.fail) throw new Error('broken mid-stream');
  out.write('second\\n');
  out.end();
});
`;

const TEMPLATE = `
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: { Runtime: nodejs22.x, CodeUri: ./src, Timeout: 10 }
Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties: { StageName: v1, BinaryMediaTypes: ['application~1octet-stream'] }
  Rest:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.echo
      Events:
        Item: { Type: Api, Properties: { Path: '/rest/items/{id}', Method: get } }
        New: { Type: Api, Properties: { Path: /rest/items/new, Method: get, RestApiId: !Ref MyApi } }
        Proxy: { Type: Api, Properties: { Path: '/rest/{proxy+}', Method: any } }
  Http:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.echo
      Events:
        Item: { Type: HttpApi, Properties: { Path: '/http/items/{id}', Method: GET } }
        Proxy: { Type: HttpApi, Properties: { Path: '/http/{proxy+}', Method: POST } }
        V1: { Type: HttpApi, Properties: { Path: /http1, Method: GET, PayloadFormatVersion: '1.0' } }
  Url:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.echo
      FunctionUrlConfig: { AuthType: NONE }
  Stream:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.stream
      FunctionUrlConfig: { AuthType: NONE, InvokeMode: RESPONSE_STREAM }
  Bytes:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.bytes
      Events:
        Rest: { Type: Api, Properties: { Path: /rest-bytes, Method: post, RestApiId: !Ref MyApi } }
        Http: { Type: HttpApi, Properties: { Path: /http-bytes, Method: POST } }
  Simple:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.simple
      Events:
        Get: { Type: HttpApi, Properties: { Path: '/simple/{kind}', Method: GET } }
  Cookies:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.cookies
      Events:
        Rest: { Type: Api, Properties: { Path: /rest-cookies, Method: get } }
        Http: { Type: HttpApi, Properties: { Path: /http-cookies, Method: GET } }
  Fail:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.fail
      Events:
        Rest: { Type: Api, Properties: { Path: /rest-fail, Method: get } }
        Http: { Type: HttpApi, Properties: { Path: /http-fail, Method: GET } }
  Malformed:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.malformed
      Events:
        Rest: { Type: Api, Properties: { Path: /rest-malformed, Method: get } }
        Http: { Type: HttpApi, Properties: { Path: /http-malformed, Method: GET } }
  Slow:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.slow
      Timeout: 1
      Events:
        Rest: { Type: Api, Properties: { Path: /slow, Method: get } }
  Busy:
    Type: AWS::Serverless::Function
    Metadata: { OpenRuntime: { concurrency: 1 } }
    Properties:
      Handler: index.busy
      Events:
        Http: { Type: HttpApi, Properties: { Path: /busy, Method: GET } }
`;

let runner: CliProcess;
let apiPort: number;

/** `method path` to the gateway (on `opts.port`, else the API port). */
const call = (method: string, path: string, opts: Parameters<typeof callGateway>[3] & { port?: number } = {}) =>
  callGateway(opts.port ?? apiPort, method, path, opts);

before(async () => {
  const dir = tempDir('gateway');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.mjs'), HANDLERS);
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  runner = await startCli(['start', '--port', '0', '--api-port', '0', '--template', join(dir, 'template.yaml')], {
    cwd: dir,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  apiPort = runner.port;
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

test('start prints the route table: method, URL, function and API kind', () => {
  const out = runner.stderr();
  assert.match(out, new RegExp(`GET +http://127\\.0\\.0\\.1:${apiPort}/rest/items/new +Rest +REST API \\(v1, payload 1\\.0\\)`));
  assert.match(out, /ANY +http:\/\/127\.0\.0\.1:\d+\/rest\/\{proxy\+\} +Rest +REST API \(Prod, payload 1\.0\)/);
  assert.match(out, /GET +http:\/\/127\.0\.0\.1:\d+\/http1 +Http +HTTP API \(payload 1\.0\)/);
  assert.match(out, /ANY +http:\/\/127\.0\.0\.1:\d+\/lambda-url\/Url\/\* +Url +Function URL/);
});

test('curl reaches a REST route; the event is payload 1.0 with path parameters, the stage in requestContext and no stage in the path', () => {
  const text = execFileSync('curl', ['-s', `http://localhost:${apiPort}/rest/items/42?tag=a&tag=b&one=1`, '-H', 'X-Two: x', '-H', 'X-Two: y'], {
    encoding: 'utf8',
  });
  const event = restEventOf({ status: 200, headers: {}, body: Buffer.from(text), text });
  assert.equal(event.resource, '/rest/items/{id}');
  assert.equal(event.path, '/rest/items/42');
  assert.equal(event.httpMethod, 'GET');
  assert.deepEqual(event.pathParameters, { id: '42' });
  assert.deepEqual(event.queryStringParameters, { tag: 'b', one: '1' }); // the last value of a repeated name
  assert.deepEqual(event.multiValueQueryStringParameters, { tag: ['a', 'b'], one: ['1'] });
  assert.equal(event.headers['X-Two'], 'y');
  assert.deepEqual(event.multiValueHeaders['X-Two'], ['x', 'y']);
  assert.equal(event.requestContext.stage, 'Prod'); // the implicit API's stage
  assert.equal(event.requestContext.path, '/Prod/rest/items/42');
  assert.equal(event.requestContext.resourcePath, '/rest/items/{id}');
  assert.equal(event.requestContext.identity.sourceIp, '127.0.0.1');
  assert.match(event.requestContext.identity.userAgent ?? '', /^curl\//);
  assert.equal(event.body, null);
  assert.equal(event.isBase64Encoded, false);
  assert.equal(event.stageVariables, null);
  // What API Gateway's edge adds.
  assert.equal(event.headers['X-Forwarded-For'], '127.0.0.1');
  assert.equal(event.headers['X-Forwarded-Proto'], 'http');
  assert.equal(event.headers['X-Forwarded-Port'], String(apiPort));
  assert.match(event.headers['X-Amzn-Trace-Id'] ?? '', /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
});

test('REST priority: a literal route beats a parameter, an explicit API keeps its own stage, the greedy route takes the rest', async () => {
  const literal = restEventOf(await call('GET', '/rest/items/new'));
  assert.equal(literal.resource, '/rest/items/new');
  assert.equal(literal.requestContext.stage, 'v1');
  assert.equal(literal.pathParameters, null);
  const greedy = restEventOf(await call('DELETE', '/rest/a/b/c'));
  assert.equal(greedy.resource, '/rest/{proxy+}');
  assert.deepEqual(greedy.pathParameters, { proxy: 'a/b/c' });
  assert.equal(greedy.httpMethod, 'DELETE');
});

test('a REST response merges headers and multiValueHeaders', async () => {
  const answer = await call('GET', '/rest/items/1');
  assert.equal(answer.headers['x-echo'], 'yes');
  assert.equal(answer.headers['x-multi'], 'a, b');
  assert.ok(answer.headers['x-amzn-requestid']);
});

test('an HTTP API route gets payload 2.0: lower-case headers, joined values, cookies apart, raw path and query', async () => {
  const answer = await call('GET', '/http/items/7?tag=a&tag=b', { headers: { 'X-Two': ['x', 'y'], Cookie: 'c1=1; c2=2' } });
  const event = httpEventOf(answer);
  assert.equal(event.version, '2.0');
  assert.equal(event.routeKey, 'GET /http/items/{id}');
  assert.equal(event.rawPath, '/http/items/7');
  assert.equal(event.rawQueryString, 'tag=a&tag=b');
  assert.deepEqual(event.queryStringParameters, { tag: 'a,b' });
  assert.equal(event.headers['x-two'], 'x,y');
  assert.equal(event.headers.cookie, undefined);
  assert.equal(event.headers['x-forwarded-for'], '127.0.0.1');
  assert.deepEqual(event.cookies, ['c1=1', 'c2=2']);
  assert.deepEqual(event.pathParameters, { id: '7' });
  assert.equal(event.requestContext.http.method, 'GET');
  assert.equal(event.requestContext.stage, '$default');
  assert.equal(event.requestContext.routeKey, 'GET /http/items/{id}');
  assert.match(event.requestContext.time, /^\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  assert.ok(Math.abs(event.requestContext.timeEpoch - Date.now()) < 60_000);
  assert.equal(answer.headers['x-multi'], undefined); // 2.0 has no multiValueHeaders
  assert.ok(answer.headers['apigw-requestid']);
});

test('an HTTP API route with PayloadFormatVersion 1.0 gets a 1.0 event with version "1.0"', async () => {
  const event = restEventOf(await call('GET', '/http1?x=1'));
  assert.equal((event as unknown as { version: string }).version, '1.0');
  assert.equal(event.requestContext.path, '/http1'); // HTTP APIs have no stage in the path
  assert.deepEqual(event.queryStringParameters, { x: '1' });
});

test('methods: the HTTP API POST-only greedy route refuses GET with 404, and takes POST with a JSON body as text', async () => {
  const missing = await call('GET', '/http/anything');
  assert.equal(missing.status, 404);
  assert.deepEqual(JSON.parse(missing.text), { message: 'Not Found' });
  const event = httpEventOf(await call('POST', '/http/x/y', { headers: { 'content-type': 'application/json' }, body: '{"a":1}' }));
  assert.equal(event.body, '{"a":1}');
  assert.equal(event.isBase64Encoded, false);
  assert.deepEqual(event.pathParameters, { proxy: 'x/y' });
});

test('a Function URL is served under /lambda-url/<function>/ and sees its own path (LambdaFunctionUrlSchema)', async () => {
  const event = httpEventOf(
    await call('PUT', '/lambda-url/Url/some/where?q=1', { headers: { 'content-type': 'text/plain' }, body: 'hi' }),
    LambdaFunctionUrlSchema,
  );
  assert.equal(event.rawPath, '/some/where');
  assert.equal(event.routeKey, '$default');
  assert.equal(event.requestContext.http.method, 'PUT');
  assert.equal(event.body, 'hi');
  assert.equal(event.pathParameters, undefined);
  const root = httpEventOf(await call('GET', '/lambda-url/Url'), LambdaFunctionUrlSchema);
  assert.equal(root.rawPath, '/');
});

/** A request to the streaming URL, logging what reaches the client in order; the function goes on once "first" has. */
function streamed(query: string): Promise<{ events: string[]; headers: Record<string, string | string[] | undefined>; status: number }> {
  const flag = join(tempDir('gateway-flag'), 'go');
  const events: string[] = [];
  return new Promise((resolve) => {
    const req = request({ host: '127.0.0.1', port: apiPort, path: `/lambda-url/Stream/?flag=${encodeURIComponent(flag)}${query}` }, (res) => {
      events.push(`head ${res.statusCode}`);
      res.on('data', (chunk: Buffer) => {
        events.push(`chunk ${chunk.toString().trim()}`);
        if (chunk.toString().includes('first')) {
          writeFileSync(flag, '');
          events.push('let the function go on');
        }
      });
      const done = (how: string) => () => {
        events.push(how);
        resolve({ events, headers: res.headers, status: res.statusCode! });
      };
      res.on('end', done('end'));
      res.on('aborted', done('aborted'));
      res.on('error', () => undefined);
    });
    req.on('error', () => undefined);
    req.end();
  });
}

test('a RESPONSE_STREAM Function URL: status and headers from the prelude, then each chunk as the function writes it', async () => {
  const { events, headers } = await streamed('');
  assert.deepEqual(events, ['head 201', 'chunk first', 'let the function go on', 'chunk second', 'end']);
  assert.equal(headers['transfer-encoding'], 'chunked');
  assert.equal(headers['content-type'], 'text/plain');
  assert.equal(headers['x-streamed'], 'yes');
  assert.deepEqual(headers['set-cookie'], ['s=1']);
  assert.equal(headers['content-length'], undefined);
});

test('curl -N gets a streamed URL chunk by chunk', async () => {
  const flag = join(tempDir('gateway-curl'), 'go');
  const curl = spawn('curl', ['-N', '-s', '-i', `http://127.0.0.1:${apiPort}/lambda-url/Stream/?flag=${encodeURIComponent(flag)}`]);
  let out = '';
  const seen: string[] = [];
  curl.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('first') && !seen.includes('first')) {
      seen.push('first', out.includes('second') ? 'second too' : 'not second yet');
      writeFileSync(flag, '');
    }
  });
  await new Promise((resolve) => curl.on('close', resolve));
  assert.deepEqual(seen, ['first', 'not second yet']);
  assert.match(out, /^HTTP\/1\.1 201/);
  assert.match(out, /transfer-encoding: chunked/i);
  assert.match(out, /first\nsecond\n$/);
});

test('a streamed URL whose function fails mid-stream is cut short, not completed', async () => {
  const { events, status } = await streamed('&fail=1');
  assert.equal(status, 201); // the head had gone out
  assert.deepEqual(events.slice(0, 3), ['head 201', 'chunk first', 'let the function go on']);
  assert.equal(events.at(-1), 'aborted');
  assert.ok(!events.includes('chunk second'));
  for (let i = 0; i < 100 && !/the stream was cut/.test(runner.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(runner.stderr(), /Stream failed with Error after its streamed response had started, so the stream was cut/);
});

test('binary bodies: base64 in and out, for REST BinaryMediaTypes and for HTTP API non-text types', async () => {
  const bytes = Buffer.from([0, 1, 2, 0xff, 0xfe, 0x80, 10, 13]);
  const rest = await call('POST', '/rest-bytes', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  assert.equal(rest.status, 200, rest.text);
  assert.equal(rest.headers['x-was-base64'], 'true');
  assert.deepEqual(rest.body, bytes);
  const http = await call('POST', '/http-bytes', { headers: { 'content-type': 'image/png' }, body: bytes });
  assert.equal(http.headers['x-was-base64'], 'true');
  assert.deepEqual(http.body, bytes);
  // Text stays text on the way in.
  const text = await call('POST', '/http-bytes', { headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'héllo' });
  assert.equal(text.headers['x-was-base64'], 'false');
  assert.equal(text.text, 'héllo');
  const restText = await call('POST', '/rest-bytes', { headers: { 'content-type': 'text/plain' }, body: 'plain' });
  assert.equal(restText.headers['x-was-base64'], 'false');
});

test('the 2.0 simple response: a string is the body, any other value its JSON, 200 application/json', async () => {
  const text = await call('GET', '/simple/string');
  assert.equal(text.status, 200);
  assert.equal(text.headers['content-type'], 'application/json');
  assert.equal(text.text, 'hello');
  const object = await call('GET', '/simple/object');
  assert.deepEqual(JSON.parse(object.text), { hello: 'world' });
});

test('response cookies: 2.0 cookies and 1.0 multiValueHeaders become Set-Cookie headers', async () => {
  for (const [path, body] of [
    ['/http-cookies', 'v2'],
    ['/rest-cookies', 'v1'],
  ]) {
    const answer = await call('GET', path!);
    assert.equal(answer.status, 201);
    assert.equal(answer.text, body);
    assert.deepEqual(answer.headers['set-cookie'], ['a=1', 'b=2; Path=/']);
  }
});

test("API Gateway's error answers: function error, malformed response, no route", async () => {
  const cases: [string, number, string][] = [
    ['/rest-fail', 502, 'Internal server error'],
    ['/http-fail', 500, 'Internal Server Error'],
    ['/rest-malformed', 502, 'Internal server error'],
    ['/http-malformed', 500, 'Internal Server Error'],
    ['/nowhere', 404, 'Not Found'],
  ];
  for (const [path, status, message] of cases) {
    const answer = await call('GET', path);
    assert.equal(answer.status, status, `${path}: ${answer.text}`);
    assert.deepEqual(JSON.parse(answer.text), { message });
    assert.equal(answer.headers['content-type'], 'application/json');
  }
  // The reason goes to the runner's log, since the caller only gets the terse message.
  assert.match(
    runner.stderr(),
    /GET \/rest-malformed -> Malformed 502 \([\d.]+ ms\): Malformed returned a response API Gateway can't send: payload format 1\.0 needs an object with a statusCode/,
  );
  assert.match(runner.stderr(), /GET \/rest-fail -> Fail 502 \([\d.]+ ms\): Fail failed with Error: boom \(its log has the details\)/);
});

test('a function that times out is 504 Endpoint request timed out', async () => {
  const answer = await call('GET', '/slow');
  assert.equal(answer.status, 504);
  assert.deepEqual(JSON.parse(answer.text), { message: 'Endpoint request timed out' });
});

test('a throttled function (concurrency 1, two requests at once) is 429 Too Many Requests for the second', async () => {
  const first = call('GET', '/busy');
  await new Promise((r) => setTimeout(r, 200));
  const second = await call('GET', '/busy');
  assert.equal(second.status, 429);
  assert.deepEqual(JSON.parse(second.text), { message: 'Too Many Requests' });
  const done = await first;
  assert.equal(done.status, 200);
  assert.equal(done.text, 'done');
});

test('browsers may call it (no signature needed), but a request for another Host is refused (DNS rebinding)', async () => {
  const page = await fetch(`http://127.0.0.1:${apiPort}/simple/string`, { headers: { origin: 'http://localhost:5173' } });
  assert.equal(page.status, 200);
  assert.equal(await page.text(), 'hello');
  const rebound = await call('GET', '/simple/string', { headers: { host: 'evil.example:3000' } });
  assert.equal(rebound.status, 403);
  assert.deepEqual(JSON.parse(rebound.text), { message: 'Forbidden' });
});

test('the Invoke API is still on its own port and still wants a signature', async () => {
  const invoke = await call('POST', '/2015-03-31/functions/Simple/invocations', {
    port: Number(/Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/.exec(runner.stderr())![1]),
    body: '{}',
  });
  assert.equal(invoke.status, 403);
  const gateway = await call('POST', '/2015-03-31/functions/Simple/invocations', { body: '{}' });
  assert.equal(gateway.status, 404); // not a route of the project's APIs
});

test('a body over 6 MB is 413 without reaching the function', async () => {
  const answer = await call('POST', '/http/big', { headers: { 'content-type': 'text/plain' }, body: Buffer.alloc(6 * 1024 * 1024 + 1, 'a') });
  assert.equal(answer.status, 413);
  assert.deepEqual(JSON.parse(answer.text), { message: 'Request Entity Too Large' });
});

test('malformed requests from a raw socket cost only themselves: the runner stays up and serves', async () => {
  const raw = [
    'GET /%ZZ HTTP/1.1\r\nHost: localhost\r\n\r\n',
    'GET /rest/items/%E0%A4%A?%=%&a=%FF HTTP/1.1\r\nHost: localhost\r\nCookie: ;;; =; a\r\n\r\n',
    'GET /lambda-url/Url/%00/../.. HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    'GET /rest/items/1 HTTP/1.0\r\n\r\n',
    'OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n',
    'GET http://localhost/rest/items/1 HTTP/1.1\r\nHost: localhost\r\n\r\n',
    'BREW /rest/x HTTP/1.1\r\nHost: localhost\r\n\r\n',
    'POST /http/x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
    'POST /http/x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nabc',
    'POST /rest-bytes HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/octet-stream\r\nContent-Length: 3\r\n\r\n\xff\xfe\x00',
    'GET /rest/items/1 HTTP/1.1\r\nHost: [::1]:1\r\nX-Forwarded-For: \x7f\r\n\r\n',
  ];
  for (const request of raw) {
    await new Promise<void>((resolve) => {
      const socket = connect(apiPort, '127.0.0.1', () => socket.end(Buffer.from(request, 'latin1')));
      socket.on('data', () => undefined);
      socket.on('error', () => resolve());
      socket.on('close', () => resolve());
      setTimeout(() => (socket.destroy(), resolve()), 1000);
    });
  }
  assert.equal(runner.proc.exitCode, null, runner.stderr().slice(-2000));
  assert.doesNotMatch(runner.stderr(), /the gateway failed on this request/);
  assert.equal((await call('GET', '/simple/string')).text, 'hello');
});

test('a REST-only project answers an unknown path with 403 Missing Authentication Token', async () => {
  const dir = tempDir('gateway-rest');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.mjs'), HANDLERS);
  writeFileSync(
    join(dir, 'template.yaml'),
    `Transform: AWS::Serverless-2016-10-31\nResources:\n  Only:\n    Type: AWS::Serverless::Function\n    Properties: { Runtime: nodejs22.x, CodeUri: ./src, Handler: index.echo, Events: { Get: { Type: Api, Properties: { Path: /only, Method: get } } } }\n`,
  );
  const rest = await startCli(['start', '--port', '0', '--api-port', '0', '--template', join(dir, 'template.yaml')], {
    cwd: dir,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    const answer = await call('GET', '/elsewhere', { port: rest.port });
    assert.equal(answer.status, 403);
    assert.deepEqual(JSON.parse(answer.text), { message: 'Missing Authentication Token' });
    assert.equal(answer.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    const post = await call('POST', '/only', { port: rest.port });
    assert.equal(post.status, 403); // a method the resource does not have
    // An edit to the template is served without a restart.
    writeFileSync(join(dir, 'template.yaml'), readFileSync(join(dir, 'template.yaml'), 'utf8').replace('Path: /only', 'Path: /renamed'));
    let renamed = await call('GET', '/renamed', { port: rest.port });
    for (let i = 0; i < 100 && renamed.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 50));
      renamed = await call('GET', '/renamed', { port: rest.port });
    }
    assert.equal(renamed.status, 200, renamed.text);
    assert.equal((await call('GET', '/only', { port: rest.port })).status, 403);
  } finally {
    await rest.stop();
  }
});

test('a serverless.yml service: http routes are REST (payload 1.0, the stage in requestContext), httpApi routes payload 2.0, url a Function URL', async () => {
  const dir = tempDir('gateway-sls');
  writeFileSync(join(dir, 'handler.mjs'), HANDLERS);
  writeFileSync(
    join(dir, 'serverless.yml'),
    `service: shop
provider: { name: aws, runtime: nodejs22.x, stage: beta }
functions:
  rest: { handler: handler.echo, events: [{ http: 'GET users/{id}' }] }
  http: { handler: handler.echo, url: true, events: [{ httpApi: 'POST /things' }, { httpApi: '*' }] }
`,
  );
  const sls = await startCli(['start', '--port', '0', '--api-port', '0', '--template', join(dir, 'serverless.yml')], {
    cwd: dir,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    const rest = restEventOf(await call('GET', '/users/7', { port: sls.port }));
    assert.deepEqual(rest.pathParameters, { id: '7' });
    assert.equal(rest.requestContext.stage, 'beta');
    assert.equal(rest.requestContext.path, '/beta/users/7');
    const http = httpEventOf(await call('POST', '/things', { port: sls.port, headers: { 'content-type': 'application/json' }, body: '[]' }));
    assert.equal(http.routeKey, 'POST /things');
    const fallback = httpEventOf(await call('GET', '/anything/else', { port: sls.port }));
    assert.equal(fallback.routeKey, '$default');
    const url = httpEventOf(await call('GET', '/lambda-url/http/x', { port: sls.port }), LambdaFunctionUrlSchema);
    assert.equal(url.rawPath, '/x');
  } finally {
    await sls.stop();
  }
});

test('ports: the default 3000, when taken, falls back to a free port and says so; a chosen port that is taken is an error sentence', async () => {
  const dir = tempDir('gateway-ports');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.mjs'), HANDLERS);
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  // Hold 3000 (or find it held already): either way it is taken while the runner starts.
  const holder = createServer();
  await new Promise<void>((resolve) => holder.once('error', () => resolve()).listen(3000, '127.0.0.1', () => resolve()));
  try {
    const fallback = await startCli(['start', '--port', '0', '--template', join(dir, 'template.yaml')], {
      cwd: dir,
      banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
    });
    try {
      assert.notEqual(fallback.port, 3000);
      assert.match(fallback.stderr(), /port 3000 is in use; serving the HTTP APIs on port \d+ instead \(choose one with --api-port N\)/);
      assert.equal((await call('GET', '/simple/string', { port: fallback.port })).text, 'hello');
    } finally {
      await fallback.stop();
    }
    const chosen = spawnSync(
      process.execPath,
      [join(ROOT, 'dist', 'runner.js'), 'start', '--port', '0', '--api-port', '3000', '--template', join(dir, 'template.yaml')],
      { cwd: dir, encoding: 'utf8', timeout: 20_000 },
    );
    assert.equal(chosen.status, 2, chosen.stderr);
    assert.match(chosen.stderr, /Port 3000 is in use, so the HTTP APIs can't be served there\. Choose another with --api-port N \(0: any free port\)\./);
  } finally {
    holder.close();
  }
});

test("serve (the editor's sidecar) serves the HTTP routes too, on a free port named in its ready line and GET /status", async () => {
  const dir = tempDir('gateway-serve');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.mjs'), HANDLERS);
  writeFileSync(join(dir, 'template.yaml'), TEMPLATE);
  const token = 'gateway-serve-token-0123456789';
  const serve = await startServe(dir, token);
  try {
    assert.ok(serve.apiPort, 'the ready line names the gateway port');
    assert.notEqual(serve.apiPort, serve.port);
    assert.equal((await call('GET', '/simple/string', { port: serve.apiPort })).text, 'hello');
    const status = RunnerStatus.parse(
      JSON.parse((await call('GET', `${CONTROL_PREFIX}/status`, { port: serve.port, headers: { authorization: `Bearer ${token}` } })).text),
    );
    assert.equal(status.apiPort, serve.apiPort);
    // Still loopback-only, like start's.
    assert.equal((await call('GET', '/simple/string', { port: serve.apiPort, headers: { host: 'evil.example' } })).status, 403);
  } finally {
    await stopServe(serve);
  }
});

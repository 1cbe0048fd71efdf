// The gateway's plain path (server.ts plainRoute, plain-requests.ts): a whole keep-alive request to a REST API or HTTP
// API route (payload 1.0 or 2.0), or a BUFFERED Function URL, with no authorization or CORS, is read and answered
// without node:http;
// everything else goes to node:http. Over raw keep-alive connections to a real in-process gateway and real function
// processes: a plain answer is byte for byte node:http's for the same request (sent with a repeated header, which only
// node:http reads; the functions leave that header out of what they echo), the function sees the same event, the log
// line and the invocation's history events are the same; which path served a request is told by node:http's own
// 'request' events. Plain and node:http requests pipelined on one connection are answered in order, and a route with
// an authorizer is still checked.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { Gateway } from '../../runner/gateway/server.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';
import type { RunnerEvent } from '../../runner/protocol.ts';
import { RawConnection } from './support/raw-connection.ts';
import { removeTemps, tempDir } from './support/runner.ts';

let lambda: LocalLambda;
let gateway: Gateway;
let code: string;
const logLines: string[] = [];
/** Requests node:http has read (its 'request' events). */
let nodeHttpRequests = 0;

const HTTP_API = { kind: 'http', payloadVersion: '2.0', api: 'ServerlessHttpApi', stage: '$default' } as const;

const fn = (name: string, handler: string, extra: Partial<FunctionInput> = {}) =>
  parseFunction({ name, runtime: 'nodejs22.x', handler, codeUri: code, timeout: 10, ...extra }, 'test');

before(async () => {
  code = join(tempDir('gateway-plain'), 'src');
  mkdirSync(code);
  writeFileSync(
    join(code, 'index.mjs'),
    `// The event without what differs per request (its id, time, trace header) or per path (the repeated header).
const stable = (event) => {
  const copy = structuredClone(event);
  for (const name of ['x-repeated', 'x-amzn-trace-id']) delete copy.headers[name];
  for (const name of ['requestId', 'time', 'timeEpoch']) delete copy.requestContext[name];
  return copy;
};
export const echo = async (event) => ({ statusCode: 200, headers: { 'content-type': 'application/json', 'x-list': 'a,b' }, body: JSON.stringify(stable(event)) });
export const simple = async (event) => (event.rawQueryString === 'object' ? { hello: 'world' } : 'just a string');
export const cookies = async () => ({ statusCode: 201, headers: { 'x-one': '1', 'x-two': 'two words' }, cookies: ['a=1', 'b=2; Path=/; HttpOnly'], body: 'made' });
export const empty = async () => ({ statusCode: 204 });
export const fail = async () => { throw new Error('failed on purpose'); };
// Payload 1.0: what differs per request or per path left out the same way (names keep the case they were sent in).
const stable1 = (event) => {
  const copy = structuredClone(event);
  for (const name of ['X-Repeated', 'X-Amzn-Trace-Id']) {
    delete copy.headers[name];
    delete copy.multiValueHeaders[name];
  }
  for (const name of ['requestId', 'extendedRequestId', 'requestTime', 'requestTimeEpoch']) delete copy.requestContext[name];
  return copy;
};
export const echo1 = async (event) => ({ statusCode: 200, multiValueHeaders: { 'x-list': ['a', 'b'] }, body: JSON.stringify(stable1(event)) });
export const v1 = async (event) => ({ statusCode: 200, body: JSON.stringify({ version: event.version, path: event.path }) });
export const slow = async () => { await new Promise((r) => setTimeout(r, 6500)); return { statusCode: 200, body: 'worth the wait' }; };
export const decide = async (event) => ({ isAuthorized: event.headers?.authorization === 'let-me-in' });
`,
  );
  lambda = new LocalLambda({ hotReload: false });
  lambda.setFunctions([
    fn('Echo', 'index.echo', {
      httpEvents: [
        { ...HTTP_API, method: 'ANY', path: '/echo' },
        { ...HTTP_API, method: 'GET', path: '/items/{id}/parts/{part}' },
      ],
    }),
    fn('Simple', 'index.simple', { httpEvents: [{ ...HTTP_API, method: 'GET', path: '/simple' }] }),
    fn('Cookies', 'index.cookies', { httpEvents: [{ ...HTTP_API, method: 'GET', path: '/cookies' }] }),
    fn('Empty', 'index.empty', { httpEvents: [{ ...HTTP_API, method: 'DELETE', path: '/empty' }] }),
    fn('Fail', 'index.fail', {
      httpEvents: [
        { ...HTTP_API, method: 'GET', path: '/fail' },
        { kind: 'url', method: 'ANY', path: '/{proxy+}', payloadVersion: '2.0', api: 'Fail', stage: '$default' },
      ],
    }),
    fn('Version1', 'index.v1', { httpEvents: [{ ...HTTP_API, method: 'GET', path: '/v1', payloadVersion: '1.0' }] }),
    fn('Echo1', 'index.echo1', {
      httpEvents: [
        { kind: 'rest', payloadVersion: '1.0', api: 'ServerlessRestApi', stage: 'Prod', method: 'ANY', path: '/rest/{item}' },
        { ...HTTP_API, method: 'POST', path: '/v1/echo', payloadVersion: '1.0' },
      ],
    }),
    fn('Guarded', 'index.echo', {
      httpEvents: [
        {
          ...HTTP_API,
          method: 'GET',
          path: '/guarded',
          auth: {
            authorizer: {
              type: 'lambda',
              name: 'Decide',
              function: 'Decide',
              payload: 'REQUEST',
              payloadVersion: '2.0',
              identitySources: ['$request.header.Authorization'],
              ttlSeconds: 0,
              simpleResponses: true,
            },
          },
        },
      ],
    }),
    fn('Decide', 'index.decide'),
    fn('Slow', 'index.slow', { httpEvents: [{ ...HTTP_API, method: 'GET', path: '/slow' }] }),
  ]);
  await lambda.listen();
  gateway = new Gateway(lambda, { port: 0, log: (line) => logLines.push(line) });
  (gateway as unknown as { server: import('node:http').Server }).server.on('request', () => nodeHttpRequests++);
  await gateway.listen();
});

after(async () => {
  await gateway?.close();
  await lambda?.close();
  removeTemps();
});

/** A request as curl or a framework's client sends it; `extra` header lines go after the others. */
function request(method: string, target: string, extra: string[] = [], body = ''): string {
  return [
    `${method} ${target} HTTP/1.1`,
    `Host: 127.0.0.1:${gateway.port}`,
    'User-Agent: plain-test/1',
    'Accept: */*',
    'Cookie: session=abc; theme=dark',
    ...(body ? ['Content-Type: application/json', `Content-Length: ${Buffer.byteLength(body)}`] : []),
    ...extra,
    '',
    body,
  ].join('\r\n');
}
/** What makes a request node:http's: a repeated header, which the plain path leaves to it. */
const REPEATED = ['X-Repeated: 1', 'X-Repeated: 2'];

/** An answer with what differs per request masked: its request id, and the Date (a second may pass between two). */
function masked(answer: string): string {
  return answer.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, '<id>').replace(/\r\nDate: [^\r]+\r\n/, '\r\nDate: <date>\r\n');
}

/** One request on a fresh connection: its answer, and whether node:http read it. */
async function once(bytes: string, heads = false): Promise<{ answer: string; nodeHttp: boolean }> {
  const before = nodeHttpRequests;
  const connection = new RawConnection(gateway.port);
  try {
    connection.send(bytes);
    const [answer] = await connection.answers(1, heads);
    return { answer: answer!, nodeHttp: nodeHttpRequests > before };
  } finally {
    connection.close();
  }
}

/** The same request by both paths: the plain answer (checked to be plain) and node:http's (checked to be its). */
async function bothWays(method: string, target: string, body = ''): Promise<{ plain: string; nodeHttp: string }> {
  const plain = await once(request(method, target, [], body));
  const nodeHttp = await once(request(method, target, REPEATED, body));
  assert.equal(plain.nodeHttp, false, `${method} ${target} was read by node:http, not the plain path`);
  assert.equal(nodeHttp.nodeHttp, true);
  assert.equal(masked(plain.answer), masked(nodeHttp.answer));
  return { plain: plain.answer, nodeHttp: nodeHttp.answer };
}

function bodyOf(answer: string): string {
  return answer.slice(answer.indexOf('\r\n\r\n') + 4);
}

test('a 200 JSON answer, its event (headers, cookies, query, body) and its log line are the same by both paths', async () => {
  const { plain } = await bothWays('POST', '/echo?a=1&a=2&b=x+y&c=%2F', '{"order":7}');
  assert.match(
    plain,
    /^HTTP\/1\.1 200 OK\r\ncontent-type: application\/json\r\nx-list: a,b\r\napigw-requestid: [0-9a-f-]{36}\r\ncontent-length: \d+\r\nDate: [^\r]+ GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n/,
  );
  const event = JSON.parse(bodyOf(plain));
  assert.equal(event.body, '{"order":7}');
  assert.equal(event.rawQueryString, 'a=1&a=2&b=x+y&c=%2F');
  assert.deepEqual(event.queryStringParameters, { a: '1,2', b: 'x y', c: '/' });
  assert.deepEqual(event.cookies, ['session=abc', 'theme=dark']);
  assert.equal(event.headers['user-agent'], 'plain-test/1');
  assert.equal(event.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(event.headers['x-forwarded-port'], String(gateway.port));
  assert.equal(event.requestContext.domainName, `127.0.0.1:${gateway.port}`);
  assert.equal(event.requestContext.http.sourceIp, '127.0.0.1');
  const lines = logLines.filter((line) => line.startsWith('POST /echo -> Echo 200 ('));
  assert.equal(lines.length, 2, logLines.join('\n'));
});

test('payload 1.0, from a REST API and from an HTTP API: the event (header names as sent, multi-value headers and query) and the answer are the same by both paths', async () => {
  const rest = await bothWays('POST', '/rest/wheel%20nut?a=1&a=2&b=x', '{"order":7}');
  assert.match(
    rest.plain,
    /^HTTP\/1\.1 200 OK\r\nx-list: a\r\nx-list: b\r\nx-amzn-RequestId: [0-9a-f-]{36}\r\ncontent-length: \d+\r\nDate: [^\r]+ GMT\r\nConnection: keep-alive\r\n/,
  );
  const event = JSON.parse(bodyOf(rest.plain));
  assert.equal(event.httpMethod, 'POST');
  assert.equal(event.resource, '/rest/{item}');
  assert.equal(event.path, '/rest/wheel%20nut');
  assert.equal(event.requestContext.path, '/Prod/rest/wheel%20nut');
  assert.equal(event.requestContext.stage, 'Prod');
  assert.deepEqual(event.pathParameters, { item: 'wheel nut' });
  assert.deepEqual(event.queryStringParameters, { a: '2', b: 'x' });
  assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'], b: ['x'] });
  assert.equal(event.headers['User-Agent'], 'plain-test/1');
  assert.equal(event.headers['Cookie'], 'session=abc; theme=dark');
  assert.deepEqual(event.multiValueHeaders['Accept'], ['*/*']);
  assert.equal(event.headers['X-Forwarded-For'], '127.0.0.1');
  assert.equal(event.headers['user-agent'], undefined);
  assert.equal(event.requestContext.identity.userAgent, 'plain-test/1');
  assert.equal(event.body, '{"order":7}');
  assert.equal(event.isBase64Encoded, false);
  const http = await bothWays('POST', '/v1/echo?q=1', '{"n":2}');
  assert.match(http.plain, /^HTTP\/1\.1 200 OK\r\nx-list: a\r\nx-list: b\r\napigw-requestid: [0-9a-f-]{36}\r\n/);
  const v1 = JSON.parse(bodyOf(http.plain));
  assert.equal(v1.version, '1.0');
  assert.equal(v1.headers['User-Agent'], 'plain-test/1');
  assert.equal(v1.requestContext.path, '/v1/echo');
  assert.equal(v1.body, '{"n":2}');
});

test('path parameters reach the function the same way by both paths', async () => {
  const { plain } = await bothWays('GET', '/items/42/parts/wheel%20nut');
  assert.deepEqual(JSON.parse(bodyOf(plain)).pathParameters, { id: '42', part: 'wheel nut' });
});

test('the 2.0 simple response (a string, an object without statusCode) is the same by both paths', async () => {
  const text = await bothWays('GET', '/simple');
  assert.match(text.plain, /^HTTP\/1\.1 200 OK\r\ncontent-type: application\/json\r\n/);
  assert.equal(bodyOf(text.plain), 'just a string');
  const object = await bothWays('GET', '/simple?object');
  assert.equal(bodyOf(object.plain), '{"hello":"world"}');
});

test('cookies, several headers and a 204 without a body are the same by both paths', async () => {
  const { plain } = await bothWays('GET', '/cookies');
  assert.match(plain, /^HTTP\/1\.1 201 Created\r\nx-one: 1\r\nx-two: two words\r\nset-cookie: a=1\r\nset-cookie: b=2; Path=\/; HttpOnly\r\n/);
  assert.equal(bodyOf(plain), 'made');
  const empty = await bothWays('DELETE', '/empty');
  assert.match(empty.plain, /^HTTP\/1\.1 204 No Content\r\n/);
  assert.equal(bodyOf(empty.plain), '');
});

test("a function error is API Gateway's answer by both paths: 500 from an HTTP API, 502 from a Function URL", async () => {
  const api = await bothWays('GET', '/fail');
  assert.match(api.plain, /^HTTP\/1\.1 500 Internal Server Error\r\ncontent-type: application\/json\r\n/);
  assert.equal(bodyOf(api.plain), '{"message":"Internal Server Error"}');
  const url = await bothWays('GET', '/lambda-url/Fail/anything');
  assert.match(url.plain, /^HTTP\/1\.1 502 Bad Gateway\r\n/);
  assert.equal(bodyOf(url.plain), '{"message":"Internal Server Error"}');
  assert.equal(logLines.filter((line) => line.startsWith('GET /fail -> Fail 500 (') && line.includes('failed with Error: failed on purpose')).length, 2);
});

test("an invocation's history events are the same by both paths", async () => {
  const seen: RunnerEvent['type'][][] = [];
  for (const extra of [[], REPEATED]) {
    const types: RunnerEvent['type'][] = [];
    const unsubscribe = lambda.subscribe((event) => {
      if (event.type !== 'log') types.push(event.type);
    });
    const { answer } = await once(request('GET', '/simple', extra));
    assert.match(answer, /^HTTP\/1\.1 200 /);
    for (let i = 0; i < 100 && !types.includes('invoke-end'); i++) await new Promise((r) => setTimeout(r, 20));
    unsubscribe();
    seen.push(types);
  }
  assert.deepEqual(seen[0], seen[1]);
  assert.ok(seen[0]!.includes('invoke-start') && seen[0]!.includes('invoke-end'), seen[0]!.join());
});

test('plain and node:http requests pipelined on one connection are answered in order', async () => {
  const before = nodeHttpRequests;
  const connection = new RawConnection(gateway.port);
  try {
    connection.send(
      request('GET', '/simple') + request('GET', '/cookies') + request('GET', '/simple?object', REPEATED) + request('POST', '/echo?after', [], '{"n":1}'),
    );
    const answers = await connection.answers(4);
    assert.equal(bodyOf(answers[0]!), 'just a string');
    assert.equal(bodyOf(answers[1]!), 'made');
    assert.equal(bodyOf(answers[2]!), '{"hello":"world"}');
    assert.equal(JSON.parse(bodyOf(answers[3]!)).rawQueryString, 'after');
    // From the repeated header on, the connection is node:http's.
    assert.equal(nodeHttpRequests - before, 2);
  } finally {
    connection.close();
  }
});

test("what the plain path leaves alone is node:http's: an authorizer (still checked), an Origin, HEAD, Connection: close, a body yet to come, a foreign Host", async () => {
  const missing = await once(request('GET', '/guarded'));
  assert.equal(missing.nodeHttp, true);
  assert.match(missing.answer, /^HTTP\/1\.1 401 Unauthorized\r\n/);
  const denied = await once(request('GET', '/guarded', ['Authorization: wrong']));
  assert.match(denied.answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
  const allowed = await once(request('GET', '/guarded', ['Authorization: let-me-in']));
  assert.match(allowed.answer, /^HTTP\/1\.1 200 OK\r\n/);
  const v1 = await once(request('GET', '/v1'));
  assert.equal(v1.nodeHttp, false);
  assert.deepEqual(JSON.parse(bodyOf(v1.answer)), { version: '1.0', path: '/v1' });
  for (const extra of [['Origin: http://localhost:5173'], ['Connection: close']]) {
    const answer = await once(request('GET', '/simple', extra));
    assert.equal(answer.nodeHttp, true, extra.join());
    assert.equal(bodyOf(answer.answer), 'just a string');
  }
  const head = await once(request('HEAD', '/simple'), true);
  assert.equal(head.nodeHttp, true);
  assert.match(head.answer, /^HTTP\/1\.1 404 Not Found\r\n/); // an HTTP API's GET route takes no HEAD
  const foreign = await once(request('GET', '/simple').replace(`Host: 127.0.0.1:${gateway.port}`, 'Host: rebound.example'));
  assert.equal(foreign.nodeHttp, true);
  assert.match(foreign.answer, /^HTTP\/1\.1 403 Forbidden\r\n/);
  // The head now, its body in a later packet: node:http reads the rest.
  const before = nodeHttpRequests;
  const connection = new RawConnection(gateway.port);
  try {
    const whole = request('POST', '/echo', [], '{"late":true}');
    const split = whole.indexOf('\r\n\r\n') + 4;
    connection.send(whole.slice(0, split));
    await new Promise((r) => setTimeout(r, 100));
    connection.send(whole.slice(split));
    const [answer] = await connection.answers(1);
    assert.equal(JSON.parse(bodyOf(answer!)).body, '{"late":true}');
    assert.equal(nodeHttpRequests - before, 1);
  } finally {
    connection.close();
  }
});

test("a request that takes longer than the connections' idle timeout (5 s) is answered by both paths, not closed under it", async () => {
  const [plain, nodeHttp] = await Promise.all([once(request('GET', '/slow')), once(request('GET', '/slow', REPEATED))]);
  assert.equal(plain.nodeHttp || nodeHttp.nodeHttp, true, 'one of them went to node:http');
  for (const { answer } of [plain, nodeHttp]) {
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /\r\n\r\nworth the wait$/);
  }
});

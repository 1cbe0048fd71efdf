// How the gateway turns a function's outcome into HTTP (payload 1.0 and 2.0 responses, the simple response, base64,
// cookies, malformed answers, API Gateway's errors per API kind), and which bodies it passes as base64: tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Outcome } from '../../runner/environments/invocation.ts';
import type { HttpEvent } from '../../runner/functions/model.ts';
import { clfTime, isTextType, matchesMediaType, withEdgeHeaders } from '../../runner/gateway/events.ts';
import { answerOf } from '../../runner/gateway/responses.ts';

const event = (kind: HttpEvent['kind'], payloadVersion: HttpEvent['payloadVersion'], binaryMediaTypes: string[] = []): HttpEvent => ({
  kind,
  method: 'GET',
  path: '/x',
  payloadVersion,
  api: 'Api',
  stage: 'Prod',
  binaryMediaTypes,
  line: 0,
});
const ok = (value: unknown): Outcome => ({
  ok: true,
  body: Buffer.from(typeof value === 'string' && value.startsWith('RAW:') ? value.slice(4) : JSON.stringify(value)),
  streamed: false,
  contentType: 'application/json',
});
const failed = (errorType: string): Outcome => ({
  ok: false,
  errorType,
  streamed: false,
  body: Buffer.from(JSON.stringify({ errorType, errorMessage: 'boom' })),
});

const REST = event('rest', '1.0', ['image/*']);
const HTTP = event('http', '2.0');
const URL = event('url', '2.0');
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff]).toString('base64');

const CASES: [
  name: string,
  outcome: Outcome,
  ev: HttpEvent,
  accept: string | undefined,
  status: number,
  body: string | Buffer,
  headers?: [string, string][],
][] = [
  ['1.0 full response', ok({ statusCode: 201, headers: { 'x-a': '1' }, body: 'made' }), REST, undefined, 201, 'made', [['x-a', '1']]],
  [
    '1.0 headers and multiValueHeaders merge',
    ok({ statusCode: 200, headers: { 'x-a': '1' }, multiValueHeaders: { 'x-a': ['2'], 'set-cookie': ['a=1', 'b=2'] } }),
    REST,
    undefined,
    200,
    '',
    [
      ['x-a', '1'],
      ['x-a', '2'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ],
  ],
  [
    '1.0 numbers and booleans in headers become text',
    ok({ statusCode: 200, headers: { 'x-n': 5, 'x-b': true } }),
    REST,
    undefined,
    200,
    '',
    [
      ['x-n', '5'],
      ['x-b', 'true'],
    ],
  ],
  ['1.0 statusCode as a string is accepted', ok({ statusCode: '404', body: 'nope' }), REST, undefined, 404, 'nope'],
  ['1.0 without statusCode is malformed', ok({ body: 'x' }), REST, undefined, 502, '{"message":"Internal server error"}'],
  ['1.0 a bare string is malformed', ok('hello'), REST, undefined, 502, '{"message":"Internal server error"}'],
  ['1.0 an object body is malformed', ok({ statusCode: 200, body: { a: 1 } }), REST, undefined, 502, '{"message":"Internal server error"}'],
  [
    '1.0 an invalid header name is malformed',
    ok({ statusCode: 200, headers: { 'bad name': 'x' } }),
    REST,
    undefined,
    502,
    '{"message":"Internal server error"}',
  ],
  [
    '1.0 a header value with a newline is malformed',
    ok({ statusCode: 200, headers: { 'x-a': 'a\r\nb' } }),
    REST,
    undefined,
    502,
    '{"message":"Internal server error"}',
  ],
  [
    'REST base64 body of a binary media type is decoded',
    ok({ statusCode: 200, headers: { 'content-type': 'image/png' }, body: PNG, isBase64Encoded: true }),
    REST,
    undefined,
    200,
    Buffer.from(PNG, 'base64'),
  ],
  [
    'REST base64 body is decoded when Accept asks for a binary type',
    ok({ statusCode: 200, body: PNG, isBase64Encoded: true }),
    REST,
    'image/png',
    200,
    Buffer.from(PNG, 'base64'),
  ],
  [
    'REST base64 body of a text type stays base64 text',
    ok({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: PNG, isBase64Encoded: true }),
    REST,
    'text/plain',
    200,
    PNG,
  ],
  [
    'HTTP API 1.0 always decodes base64',
    ok({ statusCode: 200, body: PNG, isBase64Encoded: true }),
    event('http', '1.0'),
    undefined,
    200,
    Buffer.from(PNG, 'base64'),
  ],
  ['2.0 a string is the body', ok('hello'), HTTP, undefined, 200, 'hello', [['content-type', 'application/json']]],
  ['2.0 an object without statusCode is its JSON', ok({ a: 1 }), HTTP, undefined, 200, '{"a":1}', [['content-type', 'application/json']]],
  ['2.0 a number is its JSON', ok(42), HTTP, undefined, 200, '42'],
  ['2.0 null is its JSON', ok(null), HTTP, undefined, 200, 'null'],
  [
    '2.0 full response with cookies',
    ok({ statusCode: 302, headers: { location: '/b' }, cookies: ['a=1; Secure'] }),
    HTTP,
    undefined,
    302,
    '',
    [
      ['location', '/b'],
      ['set-cookie', 'a=1; Secure'],
    ],
  ],
  ['2.0 base64 is always decoded', ok({ statusCode: 200, body: PNG, isBase64Encoded: true }), URL, undefined, 200, Buffer.from(PNG, 'base64')],
  ['2.0 statusCode out of range is malformed', ok({ statusCode: 99 }), HTTP, undefined, 500, '{"message":"Internal Server Error"}'],
  ['2.0 malformed from a Function URL is 502', ok({ statusCode: 'x' }), URL, undefined, 502, '{"message":"Internal Server Error"}'],
  ['2.0 a payload that is not JSON is malformed', ok('RAW:not json'), HTTP, undefined, 500, '{"message":"Internal Server Error"}'],
  [
    '2.0 the gateway sets Content-Length itself',
    ok({ statusCode: 200, headers: { 'content-length': '999', 'x-a': '1' }, body: 'ab' }),
    HTTP,
    undefined,
    200,
    'ab',
    [['x-a', '1']],
  ],
  [
    'REST function error is 502',
    failed('Error'),
    REST,
    undefined,
    502,
    '{"message":"Internal server error"}',
    [
      ['content-type', 'application/json'],
      ['x-amzn-ErrorType', 'InternalServerErrorException'],
    ],
  ],
  [
    'HTTP API function error is 500',
    failed('Runtime.ExitError'),
    HTTP,
    undefined,
    500,
    '{"message":"Internal Server Error"}',
    [['content-type', 'application/json']],
  ],
  ['a function timeout is 504', failed('Sandbox.Timedout'), HTTP, undefined, 504, '{"message":"Endpoint request timed out"}'],
];

for (const [name, outcome, ev, accept, status, body, headers] of CASES) {
  test(name, () => {
    const answer = answerOf(outcome, ev, 'Fn', accept);
    assert.equal(answer.status, status, answer.problem);
    assert.deepEqual(answer.body, Buffer.isBuffer(body) ? body : Buffer.from(body));
    if (headers) assert.deepEqual(answer.headers, headers);
    assert.equal(answer.problem !== undefined, status >= 500, 'errors, and only errors, say why in the log');
  });
}

test('a streamed response (prelude, 8 NUL bytes, body) is sent buffered with its status, headers and cookies', () => {
  const prelude = JSON.stringify({ statusCode: 203, headers: { 'x-s': '1' }, cookies: ['c=1'] });
  const body = Buffer.concat([Buffer.from(prelude), Buffer.alloc(8), Buffer.from('chunk1chunk2')]);
  const answer = answerOf({ ok: true, body, streamed: true, contentType: 'application/vnd.awslambda.http-integration-response' }, URL, 'Fn', undefined);
  assert.equal(answer.status, 203);
  assert.deepEqual(answer.headers, [
    ['x-s', '1'],
    ['set-cookie', 'c=1'],
  ]);
  assert.equal(answer.body.toString(), 'chunk1chunk2');
});

test('text types pass as text in HTTP APIs and URLs; everything else, and no type, as base64', () => {
  for (const type of [
    'text/plain',
    'text/html; charset=utf-8',
    'application/json',
    'application/vnd.api+json',
    'application/xml',
    'image/svg+xml',
    'application/x-www-form-urlencoded',
    'application/javascript',
  ]) {
    assert.equal(isTextType(type), true, type);
  }
  for (const type of [undefined, '', 'application/octet-stream', 'image/png', 'multipart/form-data; boundary=x', 'application/pdf']) {
    assert.equal(isTextType(type), false, String(type));
  }
});

test('REST BinaryMediaTypes match exactly or with wildcards, ignoring parameters and case', () => {
  const cases: [string | undefined, string[], boolean][] = [
    ['image/png', ['image/png'], true],
    ['Image/PNG; q=1', ['image/png'], true],
    ['image/jpeg', ['image/*'], true],
    ['application/pdf', ['*/*'], true],
    ['image/png', ['application/octet-stream'], false],
    [undefined, ['*/*'], false],
    ['image/png', [], false],
  ];
  for (const [type, types, expected] of cases) assert.equal(matchesMediaType(type, types), expected, `${type} in ${types.join(',')}`);
});

test("the edge's headers: X-Forwarded-For appends the caller to the client's, port and proto are the gateway's, a client's trace id stays", () => {
  const headers = withEdgeHeaders(
    ['Host', 'localhost', 'x-forwarded-for', '10.0.0.1', 'X-Forwarded-Proto', 'https', 'X-Amzn-Trace-Id', 'Root=1-a-b'],
    '127.0.0.1',
    3000,
  );
  assert.deepEqual(headers, [
    'Host',
    'localhost',
    'x-forwarded-for',
    '10.0.0.1, 127.0.0.1',
    'X-Amzn-Trace-Id',
    'Root=1-a-b',
    'X-Forwarded-Port',
    '3000',
    'X-Forwarded-Proto',
    'http',
  ]);
  const fresh = withEdgeHeaders([], '127.0.0.1', 3000);
  assert.deepEqual(fresh.slice(0, 6), ['X-Forwarded-For', '127.0.0.1', 'X-Forwarded-Port', '3000', 'X-Forwarded-Proto', 'http']);
  assert.equal(fresh[6], 'X-Amzn-Trace-Id');
  // New roots come from the invocations' pool of random bytes: well formed, and distinct across several refills.
  const roots = new Set(Array.from({ length: 1000 }, () => withEdgeHeaders([], '127.0.0.1', 3000)[7]!));
  assert.equal(roots.size, 1000);
  for (const root of roots) assert.match(root, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
});

test('request times as API Gateway writes them, the same within a second and not across seconds', () => {
  const at = Date.UTC(2020, 2, 12, 19, 3, 58, 100);
  assert.equal(clfTime(at), '12/Mar/2020:19:03:58 +0000');
  assert.equal(clfTime(at + 850), '12/Mar/2020:19:03:58 +0000');
  assert.equal(clfTime(at + 900), '12/Mar/2020:19:03:59 +0000');
  assert.equal(clfTime(at), '12/Mar/2020:19:03:58 +0000');
});

// API Gateway / Function URL / ALB events as wasi:http requests, and wasi:http responses as proxy-integration
// results in the event's payload version.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NotAnHttpEventError, requestFromEvent, resultFromResponse } from '../../runner/runtimes/wasi/http-event.ts';

test('an HTTP API / Function URL (v2) event: raw path and query, lowercased headers, cookies, base64 body', () => {
  const request = requestFromEvent({
    version: '2.0',
    rawPath: '/orders/42',
    rawQueryString: 'expand=items&x=a%20b',
    cookies: ['a=1', 'b=2'],
    headers: { 'Content-Type': 'application/octet-stream', 'X-Forwarded-Proto': 'https' },
    requestContext: { domainName: 'abc.lambda-url.us-east-1.on.aws', http: { method: 'put', path: '/orders/42' } },
    body: Buffer.from([0, 1, 2, 255]).toString('base64'),
    isBase64Encoded: true,
  });
  assert.deepEqual(request, {
    method: 'PUT',
    pathWithQuery: '/orders/42?expand=items&x=a%20b',
    scheme: 'https',
    authority: 'abc.lambda-url.us-east-1.on.aws',
    headers: [
      ['content-type', 'application/octet-stream'],
      ['x-forwarded-proto', 'https'],
      ['cookie', 'a=1; b=2'],
    ],
    body: Buffer.from([0, 1, 2, 255]),
    version: 'v2',
  });
});

test('a REST API (v1) event: multi-value headers and query parameters win, the Host header is the authority', () => {
  const request = requestFromEvent({
    httpMethod: 'GET',
    path: '/search',
    headers: { Host: 'ignored.example', Accept: 'text/html' },
    multiValueHeaders: { Host: ['api.example.com'], Accept: ['text/html', 'application/json'] },
    queryStringParameters: { q: 'last' },
    multiValueQueryStringParameters: { q: ['first', 'last'], page: ['2'] },
    requestContext: { domainName: 'abc.execute-api.us-east-1.amazonaws.com' },
    body: 'plain text',
    isBase64Encoded: false,
  });
  assert.equal(request.method, 'GET');
  assert.equal(request.pathWithQuery, '/search?q=first&q=last&page=2');
  assert.equal(request.authority, 'api.example.com');
  assert.deepEqual(request.headers, [
    ['host', 'api.example.com'],
    ['accept', 'text/html'],
    ['accept', 'application/json'],
  ]);
  assert.equal(request.body.toString(), 'plain text');
  assert.equal(request.version, 'v1');
});

test('a v1 event with single-value maps only, no body and no query', () => {
  const request = requestFromEvent({ httpMethod: 'DELETE', path: '/x', headers: { 'X-Id': '7' }, queryStringParameters: null, body: null });
  assert.equal(request.pathWithQuery, '/x');
  assert.deepEqual(request.headers, [['x-id', '7']]);
  assert.equal(request.body.length, 0);
  assert.equal(request.authority, 'localhost');
});

test('any other event is refused with a sentence naming the HTTP event shapes', () => {
  assert.throws(() => requestFromEvent({ Records: [{ eventSource: 'aws:sqs' }] }), NotAnHttpEventError);
  assert.throws(
    () => requestFromEvent('just text'),
    /takes HTTP events: API Gateway REST \(v1, with "httpMethod"\), HTTP API or Function URL \(version "2\.0"/,
  );
});

test('a response becomes a v2 result: joined headers, set-cookie as cookies, text body', () => {
  const result = resultFromResponse(
    {
      status: 201,
      headers: [
        ['Content-Type', 'application/json'],
        ['Set-Cookie', 'a=1'],
        ['set-cookie', 'b=2'],
        ['Vary', 'Accept'],
        ['vary', 'Origin'],
      ],
      body: Buffer.from('{"ok":true}'),
    },
    'v2',
  );
  assert.deepEqual(result, {
    statusCode: 201,
    headers: { 'content-type': 'application/json', vary: 'Accept, Origin' },
    cookies: ['a=1', 'b=2'],
    body: '{"ok":true}',
    isBase64Encoded: false,
  });
});

test('a response becomes a v1 result with multiValueHeaders; binary bodies are base64', () => {
  const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0xff]);
  const result = resultFromResponse(
    {
      status: 200,
      headers: [
        ['content-type', 'image/png'],
        ['x-a', '1'],
        ['x-a', '2'],
      ],
      body: png,
    },
    'v1',
  );
  assert.deepEqual(result, {
    statusCode: 200,
    headers: { 'content-type': 'image/png', 'x-a': '2' },
    multiValueHeaders: { 'content-type': ['image/png'], 'x-a': ['1', '2'] },
    body: png.toString('base64'),
    isBase64Encoded: true,
  });
  // Gzip is binary whatever its type; no content type: text when it is valid UTF-8.
  assert.equal(
    resultFromResponse(
      {
        status: 200,
        headers: [
          ['content-type', 'text/plain'],
          ['content-encoding', 'gzip'],
        ],
        body: Buffer.from('x'),
      },
      'v2',
    ).isBase64Encoded,
    true,
  );
  assert.equal(resultFromResponse({ status: 200, headers: [], body: Buffer.from('héllo') }, 'v2').body, 'héllo');
  assert.equal(resultFromResponse({ status: 204, headers: [], body: Buffer.alloc(0) }, 'v2').body, '');
});

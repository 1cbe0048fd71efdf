// The CORS policy (runner/gateway/cors.ts) as a table: which requests the gateway answers as preflights, what the
// preflight says per API kind, and which headers actual responses get; and how each definition format's CORS
// settings are read (runner/functions/http-events.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { samHttpEvents, serverlessHttpEvents } from '../../runner/functions/http-events.ts';
import type { HttpCors } from '../../runner/functions/model.ts';
import { allowedOrigin, isPreflight, preflightAnswer, withCorsHeaders } from '../../runner/gateway/cors.ts';

const cors = (c: Partial<HttpCors>): HttpCors => ({ allowOrigins: [], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false, ...c });
const SITE = cors({
  allowOrigins: ['http://localhost:5173'],
  allowMethods: ['GET', 'POST'],
  allowHeaders: ['x-custom'],
  exposeHeaders: ['x-total'],
  maxAge: 600,
});
const ANY = cors({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] });
const preflight = (origin?: string, requestMethod?: string) => ({ method: 'OPTIONS', origin, requestMethod });

test('which requests are preflights the gateway answers', () => {
  const cases: [string, ReturnType<typeof isPreflight>][] = [
    ['http', isPreflight('http', SITE, preflight('http://localhost:5173', 'POST'))],
    ['http, no Access-Control-Request-Method: the function', isPreflight('http', SITE, preflight('http://localhost:5173'))],
    ['http, no Origin: the function', isPreflight('http', SITE, preflight(undefined, 'POST'))],
    ['url', isPreflight('url', SITE, preflight('http://x', 'GET'))],
    ['rest: every OPTIONS (SAM mock method)', isPreflight('rest', SITE, preflight())],
    ['no CORS configured', isPreflight('http', undefined, preflight('http://x', 'GET'))],
    ['not OPTIONS', isPreflight('http', SITE, { method: 'GET', origin: 'http://x', requestMethod: 'GET' })],
  ];
  assert.deepEqual(
    cases.map(([, v]) => v),
    [true, false, false, true, true, false, false],
    cases.map(([n]) => n).join('; '),
  );
});

test('allowed origins: "*", exact (any case), scheme wildcards, credentials echo the origin', () => {
  const table: [HttpCors, string | undefined, string | undefined][] = [
    [ANY, 'http://a.test', '*'],
    [ANY, undefined, undefined],
    [SITE, 'http://localhost:5173', 'http://localhost:5173'],
    [SITE, 'HTTP://LOCALHOST:5173', 'HTTP://LOCALHOST:5173'],
    [SITE, 'http://localhost:5174', undefined],
    [cors({ allowOrigins: ['https://*'] }), 'https://a.test', 'https://a.test'],
    [cors({ allowOrigins: ['https://*'] }), 'http://a.test', undefined],
    [cors({ allowOrigins: ['*'], allowCredentials: true }), 'http://a.test', 'http://a.test'],
  ];
  for (const [c, origin, expected] of table) assert.equal(allowedOrigin(c, origin), expected, `${c.allowOrigins} / ${origin}`);
});

test('preflight answers: HTTP API and URL 204 with the configured headers for an allowed origin, none otherwise; REST 200 static', () => {
  assert.deepEqual(preflightAnswer('http', SITE, preflight('http://localhost:5173', 'POST')), {
    status: 204,
    headers: [
      ['Access-Control-Allow-Origin', 'http://localhost:5173'],
      ['Access-Control-Allow-Methods', 'GET,POST'],
      ['Access-Control-Allow-Headers', 'x-custom'],
      ['Access-Control-Max-Age', '600'],
      ['Vary', 'Origin'],
    ],
  });
  assert.deepEqual(preflightAnswer('url', SITE, preflight('http://evil.test', 'POST')), { status: 204, headers: [] });
  assert.deepEqual(preflightAnswer('rest', cors({ allowOrigins: ['*'], allowHeaders: ['x-custom'], allowCredentials: true }), preflight(), ['GET', 'POST']), {
    status: 200,
    headers: [
      ['Access-Control-Allow-Origin', '*'],
      ['Access-Control-Allow-Methods', 'GET,OPTIONS,POST'],
      ['Access-Control-Allow-Headers', 'x-custom'],
      ['Access-Control-Allow-Credentials', 'true'],
    ],
  });
  assert.deepEqual(preflightAnswer('rest', cors({ allowOrigins: ['https://a.test'] }), preflight(), ['ANY']).headers[1], [
    'Access-Control-Allow-Methods',
    'DELETE,GET,HEAD,OPTIONS,PATCH,POST,PUT',
  ]);
});

test("actual responses: HTTP API and URL replace the function's CORS headers; REST leaves them to the function", () => {
  const fromFunction: [string, string][] = [
    ['content-type', 'text/plain'],
    ['Access-Control-Allow-Origin', 'http://wrong'],
  ];
  assert.deepEqual(withCorsHeaders('http', SITE, 'http://localhost:5173', fromFunction), [
    ['content-type', 'text/plain'],
    ['Access-Control-Allow-Origin', 'http://localhost:5173'],
    ['Access-Control-Expose-Headers', 'x-total'],
    ['Vary', 'Origin'],
  ]);
  assert.deepEqual(withCorsHeaders('url', SITE, 'http://evil.test', fromFunction), [['content-type', 'text/plain']]);
  assert.deepEqual(withCorsHeaders('rest', SITE, 'http://localhost:5173', fromFunction), fromFunction);
  assert.deepEqual(withCorsHeaders('http', undefined, 'http://localhost:5173', fromFunction), fromFunction);
});

test('reading CORS: SAM Api (quoted strings, Globals), HttpApi CorsConfiguration, FunctionUrlConfig.Cors, serverless.yml', () => {
  const id = (v: unknown) => v;
  const template = {
    Globals: {
      Api: {
        Cors: { AllowOrigin: "'http://localhost:5173'", AllowMethods: "'GET, POST'", AllowHeaders: "'X-Custom'", MaxAge: "'600'", AllowCredentials: true },
      },
      HttpApi: { CorsConfiguration: true },
    },
    Resources: {},
  };
  const resource = {
    Properties: {
      Events: { R: { Type: 'Api', Properties: { Path: '/r', Method: 'get' } }, H: { Type: 'HttpApi', Properties: { Path: '/h', Method: 'get' } } },
      FunctionUrlConfig: { AuthType: 'NONE', InvokeMode: 'RESPONSE_STREAM', Cors: { AllowOrigins: ['https://*'], ExposeHeaders: ['x-total'], MaxAge: 60 } },
    },
  };
  const [rest, http, url] = samHttpEvents('F', resource, template, id)!;
  assert.deepEqual(
    rest!.cors,
    cors({ allowOrigins: ['http://localhost:5173'], allowMethods: ['GET', 'POST'], allowHeaders: ['X-Custom'], maxAge: 600, allowCredentials: true }),
  );
  assert.deepEqual(http!.cors, cors({ allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] }));
  assert.deepEqual(url!.cors, cors({ allowOrigins: ['https://*'], exposeHeaders: ['x-total'], maxAge: 60 }));
  assert.equal(url!.invokeMode, 'RESPONSE_STREAM');
  const plain = samHttpEvents(
    'F',
    { Properties: { Events: { R: { Type: 'Api', Properties: { Path: '/r', Method: 'get' } } } } },
    { Resources: {}, Globals: { Api: { Cors: "'*'" } } },
    id,
  )!;
  assert.deepEqual(plain[0]!.cors, cors({ allowOrigins: ['*'] }));
  assert.equal(samHttpEvents('F', { Properties: { Events: { R: { Type: 'Api', Properties: { Path: '/r' } } } } }, { Resources: {} }, id)![0]!.cors, undefined);

  const sls = serverlessHttpEvents(
    'f',
    [{ http: { method: 'get', path: 'a', cors: true } }, { http: 'GET b' }, { httpApi: 'GET /c' }],
    { cors: { allowedOrigins: ['http://localhost:5173'] }, invokeMode: 'RESPONSE_STREAM' },
    { httpApi: { cors: true } },
  )!;
  assert.deepEqual(
    sls.map((e) => e.cors?.allowOrigins),
    [['*'], undefined, ['*'], ['http://localhost:5173']],
  );
  assert.deepEqual(sls[0]!.cors!.allowHeaders.slice(0, 3), ['Content-Type', 'X-Amz-Date', 'Authorization']);
  assert.equal(sls[3]!.invokeMode, 'RESPONSE_STREAM');
});

// The gateway's routing policy as a table: which route a request takes (methods and ANY, path parameters, greedy
// {proxy+}, $default, priority), and which HTTP events the definition files declare (SAM Api / HttpApi /
// FunctionUrlConfig, serverless.yml http / httpApi / url).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FunctionSpec, HttpEvent } from '../../runner/functions/model.ts';
import { parseTemplate } from '../../runner/functions/template.ts';
import { parseServerless } from '../../runner/functions/serverless.ts';
import { anyPathCors, matchRoute, noRouteKind, routeTable } from '../../runner/gateway/routes.ts';

function fn(name: string, events: Partial<HttpEvent>[]): FunctionSpec {
  return {
    name,
    runtime: 'nodejs22.x',
    handler: 'index.handler',
    codeUri: '/tmp',
    architecture: 'x86_64',
    memorySize: 128,
    timeout: 3,
    environment: {},
    concurrency: 1,
    runtimeClient: 'open-runtime',
    layers: [],
    middlewares: [],
    version: '$LATEST',
    httpEvents: events.map((e) => ({
      kind: 'http',
      method: 'ANY',
      path: '/',
      payloadVersion: '2.0',
      api: 'Api',
      stage: '$default',
      binaryMediaTypes: [],
      line: 0,
      ...e,
    })),
  };
}

// Declared in an order that is NOT the priority order, so the sort is what the table tests.
const TABLE = routeTable([
  fn('Default', [{ path: '$default' }]),
  fn('Greedy', [{ path: '/{proxy+}' }]),
  fn('FilesGreedy', [{ path: '/files/{path+}', method: 'GET' }]),
  fn('OrderAny', [{ path: '/orders/{id}' }]),
  fn('OrderGet', [{ path: '/orders/{id}', method: 'GET' }]),
  fn('OrdersNew', [{ path: '/orders/new', method: 'GET' }]),
  fn('Items', [{ path: '/orders/{id}/items/{item}', method: 'GET' }]),
  fn('Root', [{ path: '/', method: 'GET' }]),
  fn('Url', [{ kind: 'url', path: '/{proxy+}' }]),
]);

const CASES: [method: string, path: string, fn: string | undefined, params: Record<string, string> | null, seenPath?: string][] = [
  ['GET', '/', 'Root', null],
  ['POST', '/', 'Default', null], // no POST on /, and {proxy+} does not take the root
  ['GET', '/orders/new', 'OrdersNew', null], // a literal beats a parameter
  ['POST', '/orders/new', 'OrderAny', { id: 'new' }], // the literal route has no POST: the next route gets it
  ['GET', '/orders/42', 'OrderGet', { id: '42' }], // an explicit method beats ANY
  ['DELETE', '/orders/42', 'OrderAny', { id: '42' }],
  ['GET', '/orders/42/', 'OrderGet', { id: '42' }], // a trailing slash is ignored
  ['GET', '/orders/a%20b', 'OrderGet', { id: 'a b' }], // parameters are decoded
  ['GET', '/orders/42/items/7', 'Items', { id: '42', item: '7' }],
  ['GET', '/orders/42/items', 'Greedy', { proxy: 'orders/42/items' }], // no route of that length: the greedy one
  ['GET', '/files/a/b/c.txt', 'FilesGreedy', { path: 'a/b/c.txt' }], // a literal prefix beats /{proxy+}
  ['POST', '/files/a', 'Greedy', { proxy: 'files/a' }],
  ['GET', '/files', 'Greedy', { proxy: 'files' }], // {path+} needs one segment at least
  ['GET', '/lambda-url/Url/any/path', 'Url', null, '/any/path'], // a URL's path is seen without its prefix
  ['GET', '/lambda-url/Url', 'Url', null, '/'],
];

for (const [method, path, expected, params, seenPath] of CASES) {
  test(`${method} ${path} -> ${expected}`, () => {
    const match = matchRoute(TABLE, method, path);
    assert.equal(match?.route.function, expected);
    if (!match) return;
    assert.deepEqual(match.route.event.kind === 'url' ? null : match.pathParameters, params);
    assert.equal(match.path, seenPath ?? path);
  });
}

test('without a catch-all, an unknown path matches nothing; REST-only projects answer 403, others 404', () => {
  const rest = routeTable([fn('A', [{ kind: 'rest', path: '/a', method: 'GET', payloadVersion: '1.0' }])]);
  assert.equal(matchRoute(rest, 'GET', '/b'), undefined);
  assert.equal(matchRoute(rest, 'POST', '/a'), undefined);
  assert.equal(noRouteKind(rest), 'rest');
  assert.equal(noRouteKind(routeTable([fn('B', [{ path: '/b' }])])), 'http');
  assert.equal(noRouteKind([]), 'http');
});

test('a REST API picks its resource first, then the method: a resource without the method matches nothing of that API', () => {
  const rest = (path: string, method: string, api = 'Api') => ({ kind: 'rest' as const, path, method, payloadVersion: '1.0' as const, api });
  const table = routeTable([
    fn('Proxy', [rest('/{proxy+}', 'ANY')]),
    fn('ItemGet', [rest('/items/{id}', 'GET')]),
    fn('ItemPut', [rest('/items/{id}', 'PUT')]),
    fn('OtherApi', [rest('/items/{id}', 'DELETE', 'Other')]),
    fn('HttpRoute', [{ path: '/items/{id}', method: 'POST' }]),
  ]);
  const cases: [string, string, string | undefined][] = [
    ['GET', '/items/1', 'ItemGet'],
    ['PUT', '/items/1', 'ItemPut'],
    ['PATCH', '/items/1', undefined], // /items/{id} is Api's resource and has no PATCH; Api's /{proxy+} does not get it
    ['DELETE', '/items/1', 'OtherApi'], // another REST API has its own resources
    ['POST', '/items/1', 'HttpRoute'], // an HTTP API route still matches
    ['PATCH', '/other', 'Proxy'],
  ];
  for (const [method, path, expected] of cases) assert.equal(matchRoute(table, method, path)?.route.function, expected, `${method} ${path}`);
});

test('equal routes keep the order of declaration', () => {
  const table = routeTable([fn('First', [{ path: '/x/{a}' }]), fn('Second', [{ path: '/x/{b}' }])]);
  assert.equal(matchRoute(table, 'GET', '/x/1')?.route.function, 'First');
});

function codeDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'gw-routes-'));
  mkdirSync(join(dir, 'src'));
  return dir;
}

test('a SAM template declares Api, HttpApi and FunctionUrlConfig routes with their APIs, stages and payloads', () => {
  const dir = codeDir();
  const template = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage: { Type: String, Default: v1 }
Globals:
  Function: { Runtime: nodejs22.x, Handler: index.handler, CodeUri: src }
  Api: { BinaryMediaTypes: ['image~1png'] }
Resources:
  MyApi:
    Type: AWS::Serverless::Api
    Properties: { StageName: !Ref Stage, BinaryMediaTypes: ['application~1octet-stream', 'image~1*'] }
  Rest:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Implicit: { Type: Api, Properties: { Path: /hello, Method: get } }
        Explicit: { Type: Api, Properties: { Path: '/items/{id}', Method: any, RestApiId: !Ref MyApi } }
  Http:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Route: { Type: HttpApi, Properties: { Path: '/v2/{proxy+}', Method: POST } }
        Old: { Type: HttpApi, Properties: { Path: /v1, Method: GET, PayloadFormatVersion: '1.0' } }
        Catch: { Type: HttpApi }
        Queue: { Type: SQS, Properties: { Queue: arn:aws:sqs:us-east-1:123456789012:q } }
  WithUrl:
    Type: AWS::Serverless::Function
    Properties:
      FunctionUrlConfig: { AuthType: NONE }
  Plain:
    Type: AWS::Serverless::Function
`;
  const { functions, errors } = parseTemplate(template, join(dir, 'template.yaml'));
  assert.deepEqual(errors, []);
  const events = Object.fromEntries(functions.map((f) => [f.name, f.httpEvents?.map(({ line: _line, ...e }) => e)]));
  assert.deepEqual(events.Rest, [
    { kind: 'rest', method: 'GET', path: '/hello', payloadVersion: '1.0', api: 'ServerlessRestApi', stage: 'Prod', binaryMediaTypes: ['image/png'] },
    {
      kind: 'rest',
      method: 'ANY',
      path: '/items/{id}',
      payloadVersion: '1.0',
      api: 'MyApi',
      stage: 'v1',
      binaryMediaTypes: ['application/octet-stream', 'image/*'],
    },
  ]);
  assert.deepEqual(events.Http, [
    { kind: 'http', method: 'POST', path: '/v2/{proxy+}', payloadVersion: '2.0', api: 'ServerlessHttpApi', stage: '$default', binaryMediaTypes: [] },
    { kind: 'http', method: 'GET', path: '/v1', payloadVersion: '1.0', api: 'ServerlessHttpApi', stage: '$default', binaryMediaTypes: [] },
    { kind: 'http', method: 'ANY', path: '$default', payloadVersion: '2.0', api: 'ServerlessHttpApi', stage: '$default', binaryMediaTypes: [] },
  ]);
  assert.deepEqual(events.WithUrl, [
    { kind: 'url', method: 'ANY', path: '/{proxy+}', payloadVersion: '2.0', api: 'WithUrl', stage: '$default', binaryMediaTypes: [] },
  ]);
  assert.equal(events.Plain, undefined);
  assert.equal('httpEvents' in functions.find((f) => f.name === 'Plain')!, false); // the field stays absent
});

test('a serverless.yml declares http, httpApi and url routes', () => {
  const dir = codeDir();
  const service = `
service: shop
provider:
  name: aws
  runtime: nodejs22.x
  stage: beta
  httpApi: { payload: '1.0' }
  apiGateway: { binaryMediaTypes: ['image/png'] }
functions:
  hello:
    handler: index.handler
    url: true
    events:
      - http: GET hello/{name}
      - http: { method: post, path: /orders }
      - httpApi: '*'
      - httpApi: 'PUT /things/{id}'
      - schedule: rate(1 minute)
`;
  const { functions, errors } = parseServerless(service, join(dir, 'serverless.yml'));
  assert.deepEqual(errors, []);
  assert.deepEqual(
    functions[0]!.httpEvents!.map(({ line: _line, ...e }) => e),
    [
      { kind: 'rest', method: 'GET', path: '/hello/{name}', payloadVersion: '1.0', api: 'ApiGatewayRestApi', stage: 'beta', binaryMediaTypes: ['image/png'] },
      { kind: 'rest', method: 'POST', path: '/orders', payloadVersion: '1.0', api: 'ApiGatewayRestApi', stage: 'beta', binaryMediaTypes: ['image/png'] },
      { kind: 'http', method: 'ANY', path: '$default', payloadVersion: '1.0', api: 'HttpApi', stage: '$default', binaryMediaTypes: [] },
      { kind: 'http', method: 'PUT', path: '/things/{id}', payloadVersion: '1.0', api: 'HttpApi', stage: '$default', binaryMediaTypes: [] },
      { kind: 'url', method: 'ANY', path: '/{proxy+}', payloadVersion: '2.0', api: 'hello', stage: '$default', binaryMediaTypes: [] },
    ],
  );
});

test('a route whose integration is not a Lambda proxy takes its place in the table (shadowing as in AWS), with no function', () => {
  const mock: HttpEvent = {
    kind: 'http',
    method: 'GET',
    path: '/items/special',
    payloadVersion: '2.0',
    api: 'Api',
    stage: '$default',
    binaryMediaTypes: [],
    line: 0,
    notEmulated: 'a MOCK integration',
  };
  const table = routeTable([fn('Items', [{ path: '/items/{id}', method: 'GET' }])], [mock]);
  const special = matchRoute(table, 'GET', '/items/special');
  assert.equal(special?.route.event.notEmulated, 'a MOCK integration');
  assert.equal(special?.route.function, '');
  assert.equal(matchRoute(table, 'GET', '/items/7')?.route.function, 'Items');
});

test('anyPathCors: an HTTP API with CORS answers a route-less preflight; a REST API with CORS does not', () => {
  const cors = { allowOrigins: ['*'], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false };
  assert.equal(anyPathCors(routeTable([fn('Rest', [{ kind: 'rest', path: '/a', payloadVersion: '1.0', cors }])])), undefined);
  assert.equal(anyPathCors(routeTable([fn('Plain', [{ path: '/a' }]), fn('Cors', [{ path: '/b', cors }])]))?.function, 'Cors');
  assert.equal(anyPathCors(routeTable([fn('Plain', [{ path: '/a' }])])), undefined);
});

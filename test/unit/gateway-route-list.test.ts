// The gateway's route table as the editor's Routes view and `start`'s printed table read it (route-list.ts): one row
// per declared route, in matching order, with the local URL, the function (and its full path) and the API kind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FunctionSpec, HttpEvent } from '../../runner/functions/model.ts';
import { listRoutes } from '../../runner/gateway/route-list.ts';
import { routeTable } from '../../runner/gateway/routes.ts';
import { describeRoutes } from '../../runner/gateway/server.ts';
import { GatewayRoute } from '../../runner/protocol.ts';

function fn(name: string, events: Partial<HttpEvent>[], extra: Partial<FunctionSpec> = {}): FunctionSpec {
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
      api: 'ServerlessHttpApi',
      stage: '$default',
      binaryMediaTypes: [],
      line: 0,
      ...e,
    })),
    ...extra,
  };
}

const FUNCTIONS = [
  fn('Catchall', [{ path: '$default' }]),
  fn('Orders', [{ kind: 'rest', method: 'GET', path: '/orders/{id}', payloadVersion: '1.0', api: 'ServerlessRestApi', stage: 'Prod' }], {
    path: 'Shop/Orders',
  }),
  fn('Hello', [{ method: 'GET', path: '/hello' }]),
  fn('Stream', [{ kind: 'url', method: 'ANY', path: '/', api: 'Stream', invokeMode: 'RESPONSE_STREAM' }]),
];

test('one row per route, most specific first, with URL, function path and API kind', () => {
  const rows = listRoutes(routeTable(FUNCTIONS), 4321, FUNCTIONS);
  for (const row of rows) GatewayRoute.parse(row); // what the control API sends is what its schema says
  assert.deepEqual(
    rows.map((r) => [r.method, r.path, r.url, r.function, r.functionPath, r.kind, r.kindLabel, r.api]),
    [
      ['ANY', '/lambda-url/Stream/', 'http://127.0.0.1:4321/lambda-url/Stream/', 'Stream', undefined, 'url', 'Function URL (payload 2.0)', 'Stream'],
      ['GET', '/orders/{id}', 'http://127.0.0.1:4321/orders/{id}', 'Orders', 'Shop/Orders', 'rest', 'REST API (Prod, payload 1.0)', 'ServerlessRestApi'],
      ['GET', '/hello', 'http://127.0.0.1:4321/hello', 'Hello', undefined, 'http', 'HTTP API (payload 2.0)', 'ServerlessHttpApi'],
      ['ANY', '$default', 'http://127.0.0.1:4321/', 'Catchall', undefined, 'http', 'HTTP API (payload 2.0)', 'ServerlessHttpApi'],
    ],
  );
});

test('the terminal table says the same as the rows', () => {
  const table = describeRoutes(routeTable(FUNCTIONS), 4321)
    .split('\n')
    .map((line) => line.split(/\s{2,}/));
  assert.deepEqual(table, [
    ['ANY', 'http://127.0.0.1:4321/lambda-url/Stream/*', 'Stream', 'Function URL (payload 2.0)'],
    ['GET', 'http://127.0.0.1:4321/orders/{id}', 'Orders', 'REST API (Prod, payload 1.0)'],
    ['GET', 'http://127.0.0.1:4321/hello', 'Hello', 'HTTP API (payload 2.0)'],
    ['ANY', 'http://127.0.0.1:4321/* ($default)', 'Catchall', 'HTTP API (payload 2.0)'],
  ]);
});

test('no routes: no rows', () => {
  assert.deepEqual(listRoutes(routeTable([fn('Plain', [])]), 1), []);
});

test('a route another function declared first is marked as never reached (two projects in one workspace)', () => {
  const functions = [
    fn('HelloTs', [{ method: 'GET', path: '/hello' }]),
    fn('sam-hello-HelloWorld', [
      { method: 'GET', path: '/hello' },
      { method: 'POST', path: '/hello' },
    ]),
  ];
  const rows = listRoutes(routeTable(functions), 1);
  assert.deepEqual(
    rows.map((r) => [r.method, r.path, r.function, r.shadowedBy]),
    [
      ['GET', '/hello', 'HelloTs', undefined],
      ['GET', '/hello', 'sam-hello-HelloWorld', 'HelloTs'],
      ['POST', '/hello', 'sam-hello-HelloWorld', undefined],
    ],
  );
});

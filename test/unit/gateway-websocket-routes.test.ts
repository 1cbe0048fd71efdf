// WebSocket APIs as tables: which routes the definition files declare (CloudFormation AWS::ApiGatewayV2::* with
// !Sub / !Join / !GetAtt integrations, serverless.yml `websocket` events), which route a message selects, and the
// events API Gateway hands the functions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseServerless } from '../../runner/functions/serverless.ts';
import { parseTemplate } from '../../runner/functions/template.ts';
import { apiAt, selectRoute, webSocketApis, webSocketEvent, type WebSocketApi } from '../../runner/gateway/websocket-routes.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'websocket');

test('the SAM chat template: every route reaches its function through !Sub, !Join and !GetAtt integrations; RouteResponse makes a route two-way', () => {
  const file = join(FIXTURES, 'sam', 'template.yaml');
  const { functions, errors } = parseTemplate(readFileSync(file, 'utf8'), file);
  assert.deepEqual(errors, []);
  const routes = Object.fromEntries(
    functions.map((fn) => [
      fn.name,
      (fn.websocketEvents ?? []).map((e) => `${e.api} ${e.stage} ${e.routeKey}${e.twoWay ? ' two-way' : ''} ${e.routeSelectionExpression}`),
    ]),
  );
  assert.deepEqual(routes, {
    OnConnect: ['ChatApi Prod $connect $request.body.action'],
    OnDisconnect: ['ChatApi Prod $disconnect $request.body.action'],
    SendMessage: ['ChatApi Prod sendmessage $request.body.action'],
    Manage: ['ChatApi Prod whoami two-way $request.body.action', 'ChatApi Prod kick two-way $request.body.action'],
    Fallback: ['ChatApi Prod $default two-way $request.body.action'],
  });
});

test('a template: HTTP APIs are not WebSocket APIs, a route to another function is not this one\'s, a FunctionName is matched, no Stage is "Prod"', () => {
  const template = `
Resources:
  Http: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: HTTP } }
  Ws: { Type: AWS::ApiGatewayV2::Api, Properties: { ProtocolType: WEBSOCKET, RouteSelectionExpression: '\${request.body.kind}' } }
  HttpRoute: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Http, RouteKey: 'GET /x', Target: !Sub 'integrations/\${Integ}' } }
  WsRoute: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Ws, RouteKey: ping, Target: !Sub 'integrations/\${Integ}' } }
  OtherRoute: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref Ws, RouteKey: other, Target: !Sub 'integrations/\${OtherInteg}' } }
  Integ: { Type: AWS::ApiGatewayV2::Integration, Properties: { ApiId: !Ref Ws, IntegrationType: AWS_PROXY, IntegrationUri: !Sub 'arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${Named.Arn}/invocations' } }
  OtherInteg: { Type: AWS::ApiGatewayV2::Integration, Properties: { ApiId: !Ref Ws, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Plain.Arn } }
  Named: { Type: AWS::Lambda::Function, Properties: { FunctionName: my-named, Runtime: nodejs22.x, Handler: index.handler, Code: ./src } }
  Plain: { Type: AWS::Lambda::Function, Properties: { Runtime: nodejs22.x, Handler: index.handler, Code: ./src } }
`;
  const { functions, errors } = parseTemplate(template, join(FIXTURES, 'sam', 'template.yaml'));
  assert.deepEqual(errors, []);
  const routes = Object.fromEntries(functions.map((fn) => [fn.name, fn.websocketEvents]));
  // Named's ARN carries its FunctionName (my-named); Plain's its logical id.
  assert.deepEqual(routes, {
    Named: [{ api: 'Ws', routeKey: 'ping', stage: 'Prod', routeSelectionExpression: '${request.body.kind}', twoWay: false }],
    Plain: [{ api: 'Ws', routeKey: 'other', stage: 'Prod', routeSelectionExpression: '${request.body.kind}', twoWay: false }],
  });
});

test("serverless.yml: `websocket: $connect` and `websocket: { route, routeResponseSelectionExpression }`, with the provider's selection expression and stage", () => {
  const file = join(FIXTURES, 'serverless', 'serverless.yml');
  const { functions, errors } = parseServerless(readFileSync(file, 'utf8'), file, { env: { CHAT_STATE_DIR: '/tmp/x' } });
  assert.deepEqual(errors, []);
  const routes = Object.fromEntries(functions.map((fn) => [fn.name, fn.websocketEvents]));
  const event = (routeKey: string, twoWay = false) => [
    { api: 'WebsocketsApi', routeKey, stage: 'local', routeSelectionExpression: '$request.body.type', twoWay },
  ];
  assert.deepEqual(routes, {
    connect: event('$connect'),
    disconnect: event('$disconnect'),
    echo: event('echo', true),
    shout: event('shout'),
    health: undefined,
  });
});

const API: WebSocketApi = {
  api: 'Chat',
  apiId: 'abcdefghij',
  stage: 'Prod',
  path: '/Prod',
  routeSelectionExpression: '$request.body.action',
  routes: new Map([
    ['$connect', { function: 'C', twoWay: false }],
    ['send', { function: 'S', twoWay: false }],
    ['$default', { function: 'D', twoWay: true }],
  ]),
};

test('route selection: the action names the route; anything else is $default; without $default, nothing (the "Forbidden" frame)', () => {
  const cases: [string | undefined, string | undefined][] = [
    ['{"action":"send"}', 'send'],
    ['{"action":"nope"}', '$default'],
    ['{"action":"$connect"}', '$default'], // a client can't pick the lifecycle routes
    ['{"action":{"nested":1}}', '$default'],
    ['{"other":"send"}', '$default'],
    ['not json', '$default'],
    ['["send"]', '$default'],
    [undefined, '$default'], // a binary frame
  ];
  for (const [body, expected] of cases) assert.equal(selectRoute(API, body), expected, String(body));
  const nested = { ...API, routeSelectionExpression: '${request.body.meta.kind}', routes: new Map([['send', { function: 'S', twoWay: false }]]) };
  assert.equal(selectRoute(nested, '{"meta":{"kind":"send"}}'), 'send');
  assert.equal(selectRoute(nested, '{"meta":{"kind":"nope"}}'), undefined);
});

test('paths: the API at /<stage> (with or without a slash), its @connections under it; another stage is no API', () => {
  assert.deepEqual(apiAt([API], '/Prod')?.rest, '');
  assert.deepEqual(apiAt([API], '/Prod/')?.rest, '');
  assert.deepEqual(apiAt([API], '/Prod/@connections/abc=')?.rest, '/@connections/abc=');
  assert.equal(apiAt([API], '/Production'), undefined);
  assert.equal(apiAt([API], '/'), undefined);
});

test('two APIs on one stage: the second is not served, with a sentence saying what to change', () => {
  const fn = (name: string, api: string) =>
    ({ name, websocketEvents: [{ api, routeKey: '$default', stage: 'dev', routeSelectionExpression: '$request.body.action', twoWay: false }] }) as never;
  const { apis, problems } = webSocketApis([fn('A', 'One'), fn('B', 'Two')]);
  assert.deepEqual(
    apis.map((a) => a.api),
    ['One'],
  );
  assert.match(problems[0]!, /WebSocket API Two is not served: its stage "dev" is also One's.*Give one of them another StageName/);
});

test('events: headers and query strings only on $connect, body and messageId only on messages, close code and reason only on $disconnect', () => {
  const facts = { api: API, connectionId: 'Abcdefghijklmno=', connectedAt: 1000, domainName: '127.0.0.1:3000', sourceIp: '127.0.0.1', userAgent: 'ua' };
  const connect = webSocketEvent(
    facts,
    { type: 'CONNECT', rawHeaders: ['Host', '127.0.0.1:3000', 'X-A', '1', 'X-A', '2'], rawQuery: 'a=1&a=2&b=3' },
    'Req000000000000=',
    2000,
  ) as any;
  assert.deepEqual(connect.headers, { Host: '127.0.0.1:3000', 'X-A': '2' });
  assert.deepEqual(connect.multiValueHeaders, { Host: ['127.0.0.1:3000'], 'X-A': ['1', '2'] });
  assert.deepEqual(connect.queryStringParameters, { a: '2', b: '3' });
  assert.deepEqual(connect.multiValueQueryStringParameters, { a: ['1', '2'], b: ['3'] });
  assert.deepEqual(connect.requestContext, {
    routeKey: '$connect',
    eventType: 'CONNECT',
    extendedRequestId: 'Req000000000000=',
    requestTime: '01/Jan/1970:00:00:02 +0000',
    messageDirection: 'IN',
    stage: 'Prod',
    connectedAt: 1000,
    requestTimeEpoch: 2000,
    identity: { userAgent: 'ua', sourceIp: '127.0.0.1' },
    requestId: 'Req000000000000=',
    domainName: '127.0.0.1:3000',
    connectionId: 'Abcdefghijklmno=',
    apiId: 'abcdefghij',
  });
  assert.equal(connect.isBase64Encoded, false);
  assert.equal('queryStringParameters' in (webSocketEvent(facts, { type: 'CONNECT', rawHeaders: [], rawQuery: '' }, 'r', 1) as object), false);

  const binary = webSocketEvent(facts, { type: 'MESSAGE', routeKey: '$default', data: Buffer.from([0, 255]), binary: true }, 'r', 3000) as any;
  assert.equal(binary.body, 'AP8=');
  assert.equal(binary.isBase64Encoded, true);
  assert.match(binary.requestContext.messageId, /^[A-Za-z0-9]{15}=$/);
  assert.deepEqual(binary.requestContext.identity, { sourceIp: '127.0.0.1' });
  assert.equal(binary.headers, undefined);

  const disconnect = webSocketEvent(facts, { type: 'DISCONNECT', statusCode: 1001, reason: 'Going away' }, 'r', 4000) as any;
  assert.equal(disconnect.requestContext.disconnectStatusCode, 1001);
  assert.equal(disconnect.requestContext.disconnectReason, 'Going away');
  assert.equal(disconnect.requestContext.routeKey, '$disconnect');
  assert.equal(disconnect.body, undefined);
  assert.equal(disconnect.requestContext.messageId, undefined);
});

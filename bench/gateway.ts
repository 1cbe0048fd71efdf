// npm run bench, the local HTTP gateway: what a request through `open-runtime start`'s API port costs over the same
// invocation through the Invoke API. One runner process (`start --quiet`), one trivial Node handler behind an HTTP API
// route (and a REST API route, and behind an ALB listener's default action, on the listener's own port), one
// keep-alive caller; the same number of sequential requests each way, interleaved in rounds so background load hits
// all alike. Also what auth adds (runner/gateway/auth/): the same route behind a Lambda authorizer whose answer is
// cached (the common case: one invocation per token per TTL) and behind a JWT authorizer (an RS256 signature checked
// per request against a --jwks file). Then WebSocket round trips: a message on one open connection to a two-way
// $default route of the same handler, answered with its body. Figures as JSON lines on stdout
// ({"metric","value","unit","client"}), like bench/run.ts.
import { generateKeyPairSync, sign } from 'node:crypto';
import { Agent } from 'node:http';
import { join } from 'node:path';
import WebSocket from 'ws';
import { call as callOn, emit, percentile, PER_ROUND, ROUNDS, SIGNED, startRunner, WARMUP } from './http-bench.ts';

const HANDLER = `export const handler = async () => ({ statusCode: 200, body: 'ok' });\nexport const authorize = async () => ({ isAuthorized: true, context: { user: 'bench' } });\n`;
const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const JWKS = JSON.stringify({ keys: [{ ...keys.publicKey.export({ format: 'jwk' }), kid: 'bench', alg: 'RS256' }] });
const ISSUER = 'https://issuer.bench.invalid';
const claims = Buffer.from(JSON.stringify({ iss: ISSUER, aud: 'bench', sub: 'u', exp: Math.floor(Date.now() / 1000) + 3600 })).toString('base64url');
const unsigned = `${Buffer.from(JSON.stringify({ alg: 'RS256', kid: 'bench' })).toString('base64url')}.${claims}`;
const TOKEN = `${unsigned}.${sign('sha256', Buffer.from(unsigned), keys.privateKey).toString('base64url')}`;
const TEMPLATE = `Transform: AWS::Serverless-2016-10-31
Resources:
  Ping:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handler
      CodeUri: .
      Events:
        Get: { Type: HttpApi, Properties: { Path: /ping, Method: GET } }
        Rest: { Type: Api, Properties: { Path: /rest/ping, Method: GET } }
        Cached: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /cached, Method: GET, Auth: { Authorizer: Cached } } }
        Jwt: { Type: HttpApi, Properties: { ApiId: !Ref Api, Path: /jwt, Method: GET, Auth: { Authorizer: Jwt } } }
  Authorizer:
    Type: AWS::Serverless::Function
    Properties: { Runtime: nodejs22.x, Handler: index.authorize, CodeUri: . }
  Api:
    Type: AWS::Serverless::HttpApi
    Properties:
      Auth:
        Authorizers:
          Cached:
            FunctionArn: !GetAtt Authorizer.Arn
            AuthorizerPayloadFormatVersion: '2.0'
            EnableSimpleResponses: true
            Identity: { Headers: [Authorization], ReauthorizeEvery: 300 }
          Jwt:
            JwtConfiguration: { issuer: ${ISSUER}, audience: [bench] }
            IdentitySource: $request.header.Authorization
  PingTargets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: { TargetType: lambda, Targets: [{ Id: !GetAtt Ping.Arn }] }
  PingListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: { DefaultActions: [{ Type: forward, TargetGroupArn: !Ref PingTargets }] }
  Ws:
    Type: AWS::ApiGatewayV2::Api
    Properties: { ProtocolType: WEBSOCKET }
  WsDefault:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Ws, RouteKey: $default, RouteResponseSelectionExpression: $default, Target: !Sub 'integrations/\${WsIntegration}' }
  WsIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: { ApiId: !Ref Ws, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Ping.Arn }
  WsStage:
    Type: AWS::ApiGatewayV2::Stage
    Properties: { ApiId: !Ref Ws, StageName: bench }
`;

const runner = await startRunner(
  { 'index.mjs': HANDLER, 'template.yaml': TEMPLATE, 'jwks.json': JWKS },
  [/ALB listener PingListener on http:\/\/127\.0\.0\.1:(\d+)/],
  (dir) => ['--jwks', join(dir, 'jwks.json')],
);
const ports = { invoke: runner.ports[0]!, api: runner.ports[1]!, alb: runner.ports[2]! };
const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const call = (port: number, method: string, path: string, headers: Record<string, string>, body?: string) => callOn(agent, port, method, path, headers, body);

const viaGateway = () => call(ports.api, 'GET', '/ping', {});
const viaRest = () => call(ports.api, 'GET', '/rest/ping', {});
const viaAlb = () => call(ports.alb, 'GET', '/ping', {});
const viaCachedAuthorizer = () => call(ports.api, 'GET', '/cached', { Authorization: 'bench-token' });
const viaJwt = () => call(ports.api, 'GET', '/jwt', { Authorization: `Bearer ${TOKEN}` });
const viaInvokeApi = () => call(ports.invoke, 'POST', '/2015-03-31/functions/Ping/invocations', { ...SIGNED, 'Content-Length': '2' }, '{}');

async function timed(fn: () => Promise<void>, count: number, into: number[]): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await fn();
    into.push(performance.now() - t);
  }
  return performance.now() - start;
}

try {
  process.stderr.write(`gateway bench: warming up (${WARMUP} requests each way)\n`);
  await timed(viaGateway, WARMUP, []);
  await timed(viaInvokeApi, WARMUP, []);
  await timed(viaAlb, WARMUP, []);
  await timed(viaRest, WARMUP, []);
  await timed(viaCachedAuthorizer, WARMUP, []);
  await timed(viaJwt, WARMUP, []);
  const gateway: number[] = [];
  const alb: number[] = [];
  let albMs = 0;
  const rest: number[] = [];
  let restMs = 0;
  const invoke: number[] = [];
  const cached: number[] = [];
  const jwt: number[] = [];
  let gatewayMs = 0;
  let invokeMs = 0;
  for (let round = 0; round < ROUNDS; round++) {
    gatewayMs += await timed(viaGateway, PER_ROUND, gateway);
    invokeMs += await timed(viaInvokeApi, PER_ROUND, invoke);
    albMs += await timed(viaAlb, PER_ROUND, alb);
    restMs += await timed(viaRest, PER_ROUND, rest);
    await timed(viaCachedAuthorizer, PER_ROUND, cached);
    await timed(viaJwt, PER_ROUND, jwt);
  }
  alb.sort((a, b) => a - b);
  rest.sort((a, b) => a - b);
  cached.sort((a, b) => a - b);
  jwt.sort((a, b) => a - b);
  gateway.sort((a, b) => a - b);
  invoke.sort((a, b) => a - b);
  emit('gateway_requests_per_s_1_caller', (gateway.length / gatewayMs) * 1000, 'ops/s', 'gateway (HTTP API, payload 2.0)');
  emit('gateway_p50', percentile(gateway, 50), 'ms', 'gateway (HTTP API, payload 2.0)');
  emit('gateway_p99', percentile(gateway, 99), 'ms', 'gateway (HTTP API, payload 2.0)');
  emit('invoke_api_requests_per_s_1_caller', (invoke.length / invokeMs) * 1000, 'ops/s', 'Invoke API');
  emit('invoke_api_p50', percentile(invoke, 50), 'ms', 'Invoke API');
  emit('invoke_api_p99', percentile(invoke, 99), 'ms', 'Invoke API');
  emit('alb_requests_per_s_1_caller', (alb.length / albMs) * 1000, 'ops/s', 'ALB listener (default forward)');
  emit('alb_p50', percentile(alb, 50), 'ms', 'ALB listener (default forward)');
  emit('alb_p99', percentile(alb, 99), 'ms', 'ALB listener (default forward)');
  emit('alb_added_p50', percentile(alb, 50) - percentile(invoke, 50), 'ms', 'ALB listener over Invoke API');
  emit('gateway_added_p50', percentile(gateway, 50) - percentile(invoke, 50), 'ms', 'gateway over Invoke API');
  emit('rest_requests_per_s_1_caller', (rest.length / restMs) * 1000, 'ops/s', 'gateway (REST API, payload 1.0)');
  emit('rest_p50', percentile(rest, 50), 'ms', 'gateway (REST API, payload 1.0)');
  emit('rest_p99', percentile(rest, 99), 'ms', 'gateway (REST API, payload 1.0)');
  emit('rest_added_p50', percentile(rest, 50) - percentile(invoke, 50), 'ms', 'REST API over Invoke API');
  emit('gateway_cached_authorizer_p50', percentile(cached, 50), 'ms', 'gateway, Lambda authorizer (cached answer)');
  emit('gateway_cached_authorizer_added_p50', percentile(cached, 50) - percentile(gateway, 50), 'ms', 'cached Lambda authorizer over no auth');
  emit('gateway_jwt_p50', percentile(jwt, 50), 'ms', 'gateway, JWT authorizer (RS256)');
  emit('gateway_jwt_added_p50', percentile(jwt, 50) - percentile(gateway, 50), 'ms', 'JWT authorizer over no auth');

  const ws = new WebSocket(`ws://127.0.0.1:${ports.api}/bench`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  const roundTrip = () =>
    new Promise<void>((resolve, reject) => {
      ws.once('message', (data: Buffer) =>
        data.toString() === 'ok' ? resolve() : reject(new Error(`the WebSocket route answered ${data.toString().slice(0, 200)}`)),
      );
      ws.send('{"ping":1}');
    });
  await timed(roundTrip, WARMUP, []);
  const messages: number[] = [];
  let messagesMs = 0;
  for (let round = 0; round < ROUNDS; round++) messagesMs += await timed(roundTrip, PER_ROUND, messages);
  messages.sort((a, b) => a - b);
  ws.close();
  emit('websocket_round_trips_per_s_1_connection', (messages.length / messagesMs) * 1000, 'ops/s', 'gateway (WebSocket API, two-way $default)');
  emit('websocket_round_trip_p50', percentile(messages, 50), 'ms', 'gateway (WebSocket API, two-way $default)');
  emit('websocket_round_trip_p99', percentile(messages, 99), 'ms', 'gateway (WebSocket API, two-way $default)');
} finally {
  agent.destroy();
  runner.stop();
}

// Every way a template declares HTTP beyond SAM events, served by a real `open-runtime start` and driven with real
// HTTP (node:http, curl): raw API Gateway REST resources (Resource tree with {proxy+}, Method, Stage), raw HTTP API
// routes and integrations, a quick-create HTTP API, AWS::Lambda::Url, OpenAPI definitions (inline with a SAM event
// merged in, DefinitionUri, AWS::Include) with their binary media types and CORS, non-proxy integrations answered
// with 501 and listed as skipped, a CORS preflight to a path no route has, and hot reload of a new raw route. Each
// event is parsed with @aws-lambda-powertools/parser's schemas. Fixture: test/fixtures/gateway-cfn/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { AlbSchema, LambdaFunctionUrlSchema } from '@aws-lambda-powertools/parser/schemas';
import type { ALBEvent } from 'aws-lambda';
import { buildComponent } from '../../runner/build/components.ts';
import { loadTemplate } from '../../runner/functions/template.ts';
import { CONTROL_PREFIX, RunnerStatus } from '../../runner/protocol.ts';
import { callGateway, type GatewayAnswer, httpEventOf, restEventOf } from './support/gateway.ts';
import { CLI, FIXTURES, post, removeTemps, ROOT, SIGNED, startCli, startServe, stopServe, tempDir, type CliProcess } from './support/runner.ts';

let runnerDir: string;
let runner: CliProcess;
let port: number;
const get = (path: string, opts?: Parameters<typeof callGateway>[3]) => callGateway(port, 'GET', path, opts);

const IDENTITY = { sub: 'ada', email: 'ada@example.com', accessToken: 'local-access-token' };

before(async () => {
  runnerDir = tempDir('gateway-cfn');
  cpSync(join(FIXTURES, 'gateway-cfn'), runnerDir, { recursive: true });
  runner = await startCli(['start', '--port', '0', '--api-port', '0', '--template', join(runnerDir, 'template.yaml')], {
    cwd: runnerDir,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
    // The user to act as behind authenticate-oidc / -cognito rules.
    env: { OPEN_RUNTIME_ALB_IDENTITY: JSON.stringify(IDENTITY) },
  });
  port = runner.port;
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

test('list: what is not served is a skipped line saying why (unresolvable target, dangling Target, non-proxy integrations)', () => {
  const out = JSON.parse(
    execFileSync(process.execPath, [CLI, 'list', '--template', join(FIXTURES, 'gateway-cfn', 'template.yaml')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as {
    skipped: { line: number; message: string; route?: { method: string; path: string; notEmulated?: string } }[];
  };
  const messages = out.skipped.map((s) => s.message);
  assert.ok(
    messages.some((m) =>
      /^Method "ShopElsewhere" \(POST \/shop\) is not served: its target .*\$\{SomeImportedArn\}.* can't be resolved without a deployed stack/.test(m),
    ),
    messages.join('\n'),
  );
  assert.ok(messages.some((m) => /^Route "OrdersDangling" \(GET \/dangling\) is not served: its Target \(integrations\/NoSuchIntegration\)/.test(m)));
  assert.ok(
    messages.some((m) => /^Method "ShopMock" \(GET \/shop\) is not emulated: it has an integration of type MOCK\. Only Lambda proxy \(AWS_PROXY\)/.test(m)),
  );
  assert.ok(messages.some((m) => /^GET \/uri\/mock of the OpenAPI definition of "UriApi" is not emulated/.test(m)));
  assert.ok(
    messages.some((m) => /^GET \/included-http of the OpenAPI definition of "IncludedApi" is not emulated: it has an integration of type HTTP_PROXY/.test(m)),
  );
  const mock = out.skipped.find((s) => s.route?.path === '/shop');
  assert.equal(mock?.route?.method, 'GET');
  assert.ok(
    out.skipped.every((s) => s.line > 0),
    'each skipped line names its resource line',
  );
});

test('the route table lists raw and OpenAPI routes, and the non-proxy ones as not emulated', () => {
  const out = runner.stderr();
  assert.match(out, new RegExp(`GET +http://127\\.0\\.0\\.1:${port}/shop/\\{id\\} +RestFn +REST API \\(live, payload 1\\.0\\)`));
  assert.match(out, /ANY +http:\/\/127\.0\.0\.1:\d+\/shop\/\{proxy\+\} +BytesFn +REST API \(live/);
  assert.match(out, /GET +http:\/\/127\.0\.0\.1:\d+\/orders\/\{id\} +HttpFn +HTTP API \(payload 1\.0\)/);
  assert.match(out, /ANY +http:\/\/127\.0\.0\.1:\d+\/\* \(\$default\) +HttpFn +HTTP API \(payload 2\.0\)/);
  assert.match(out, /POST +http:\/\/127\.0\.0\.1:\d+\/quick +QuickFn/);
  assert.match(out, /ANY +http:\/\/127\.0\.0\.1:\d+\/lambda-url\/UrlFn\/\* +UrlFn +Function URL/);
  assert.match(out, /GET +http:\/\/127\.0\.0\.1:\d+\/shop +\(not emulated: 501\) +REST API/);
});

test('raw REST API: the Resource tree gives /shop/{id}; the Stage resource names the stage in requestContext and its path', () => {
  const text = execFileSync('curl', ['-s', `http://127.0.0.1:${port}/shop/42?a=1&a=2`], { encoding: 'utf8' });
  const event = restEventOf({ status: 200, headers: {}, body: Buffer.from(text), text });
  assert.equal(event.resource, '/shop/{id}');
  assert.equal(event.path, '/shop/42');
  assert.deepEqual(event.pathParameters, { id: '42' });
  assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'] });
  assert.equal(event.requestContext.stage, 'live');
  assert.equal(event.requestContext.path, '/live/shop/42');
  assert.equal(event.requestContext.resourcePath, '/shop/{id}');
  assert.equal((event as unknown as { version?: string }).version, undefined);
});

test("raw REST API: {proxy+} under a Resource (Fn::Join Uri) takes any method and depth; the API's BinaryMediaTypes apply", async () => {
  const bytes = Buffer.from([0, 1, 2, 250, 255]);
  const answer = await callGateway(port, 'PUT', '/shop/a/b/c', { headers: { 'content-type': 'application/octet-stream' }, body: bytes });
  assert.equal(answer.status, 200, answer.text);
  assert.equal(answer.headers['x-was-base64'], 'true');
  assert.deepEqual(answer.body, bytes);
});

test('a method with a mock integration answers 501 naming what is not emulated, without running anything', async () => {
  const answer = await get('/shop');
  assert.equal(answer.status, 501);
  assert.match(
    JSON.parse(answer.text).message,
    /^Not Implemented: Method "ShopMock" \(GET \/shop\) has an integration of type MOCK, which Open Runtime does not emulate/,
  );
  const http = await get('/included-http');
  assert.equal(http.status, 501);
  assert.match(JSON.parse(http.text).message, /HTTP_PROXY \(https:\/\/example\.com\/\)/);
});

test("raw HTTP API: a Route to an Integration with PayloadFormatVersion 1.0, and $default with 2.0, on the Stage resource's stage", async () => {
  const one = restEventOf(await get('/orders/7'));
  assert.equal((one as unknown as { version: string }).version, '1.0');
  assert.deepEqual(one.pathParameters, { id: '7' });
  assert.equal(one.requestContext.stage, 'beta');
  assert.equal(one.requestContext.path, '/orders/7');
  const two = httpEventOf(await callGateway(port, 'DELETE', '/any/thing?x=1'));
  assert.equal(two.routeKey, '$default');
  assert.equal(two.rawPath, '/any/thing');
  assert.equal(two.requestContext.stage, 'beta');
  assert.equal(two.requestContext.http.method, 'DELETE');
});

test("quick-create HTTP API: the Api's Target and RouteKey are one route, payload 2.0, stage $default", async () => {
  const event = httpEventOf(await callGateway(port, 'POST', '/quick', { headers: { 'content-type': 'application/json' }, body: '{"q":1}' }));
  assert.equal(event.routeKey, 'POST /quick');
  assert.equal(event.requestContext.stage, '$default');
  assert.equal(event.body, '{"q":1}');
});

test('AWS::Lambda::Url: served under /lambda-url/<function>/ with its Cors', async () => {
  const answer = await callGateway(port, 'POST', '/lambda-url/UrlFn/p?x=1', {
    headers: { origin: 'https://any.example', 'content-type': 'text/plain' },
    body: 'hi',
  });
  const event = httpEventOf(answer, LambdaFunctionUrlSchema);
  assert.equal(event.rawPath, '/p');
  assert.equal(event.body, 'hi');
  assert.equal(event.requestContext.accountId, 'anonymous');
  assert.equal(answer.headers['access-control-allow-origin'], '*');
});

test('OpenAPI DefinitionUri: a REST route from the file, its x-amazon-apigateway-binary-media-types, its stage', async () => {
  const event = restEventOf(await get('/uri/items/5'));
  assert.equal(event.resource, '/uri/items/{id}');
  assert.equal(event.requestContext.stage, 'uri');
  const png = Buffer.from([137, 80, 78, 71, 0, 255]);
  const binary = await callGateway(port, 'POST', '/uri/bytes', { headers: { 'content-type': 'image/png' }, body: png });
  assert.equal(binary.headers['x-was-base64'], 'true');
  const text = await callGateway(port, 'POST', '/uri/bytes', { headers: { 'content-type': 'text/plain' }, body: 'plain' });
  assert.equal(text.headers['x-was-base64'], 'false');
});

test('OpenAPI DefinitionBody inline: a greedy any-method route, image/* binary, and a SAM event merged into the definition', async () => {
  const jpeg = Buffer.from([255, 216, 255, 0]);
  const binary = await callGateway(port, 'PATCH', '/inline/x/y', { headers: { 'content-type': 'image/jpeg' }, body: jpeg });
  assert.equal(binary.headers['x-was-base64'], 'true');
  const merged = restEventOf(await get('/inline/event'));
  assert.equal(merged.resource, '/inline/event');
  assert.equal(merged.requestContext.stage, 'inline');
});

test('OpenAPI through AWS::Include: intrinsics resolved, payloadFormatVersion per operation, x-amazon-apigateway-cors', async () => {
  const one = restEventOf(await get('/included/bob', { headers: { origin: 'https://app.example' } }));
  assert.equal((one as unknown as { version: string }).version, '1.0');
  assert.deepEqual(one.pathParameters, { name: 'bob' });
  const answer = await callGateway(port, 'PUT', '/included-v2', { headers: { origin: 'https://app.example' } });
  const two = httpEventOf(answer);
  assert.equal(two.routeKey, 'ANY /included-v2');
  assert.equal(answer.headers['access-control-allow-origin'], 'https://app.example');
  const preflight = await callGateway(port, 'OPTIONS', '/included-v2', { headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers['access-control-allow-methods'], 'GET,POST');
  assert.equal(preflight.headers['access-control-max-age'], '300');
});

test('an HTTP API with CORS answers the preflight of a path no route has; hot reload serves a raw route added to the template', async () => {
  const small = tempDir('gateway-cfn-small');
  cpSync(join(FIXTURES, 'gateway-cfn', 'src'), join(small, 'src'), { recursive: true });
  const template = `
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn: { Type: AWS::Serverless::Function, Properties: { Runtime: nodejs22.x, CodeUri: ./src, Handler: index.echo } }
  Api:
    Type: AWS::ApiGatewayV2::Api
    Properties: { Name: small, ProtocolType: HTTP, CorsConfiguration: { AllowOrigins: ['https://page.example'], AllowMethods: [GET] } }
  Integ:
    Type: AWS::ApiGatewayV2::Integration
    Properties: { ApiId: !Ref Api, IntegrationType: AWS_PROXY, IntegrationUri: !GetAtt Fn.Arn, PayloadFormatVersion: '2.0' }
  One:
    Type: AWS::ApiGatewayV2::Route
    Properties: { ApiId: !Ref Api, RouteKey: 'GET /one', Target: !Sub 'integrations/\${Integ}' }
`;
  writeFileSync(join(small, 'template.yaml'), template);
  const cli = await startCli(['start', '--port', '0', '--api-port', '0', '--template', join(small, 'template.yaml')], {
    cwd: small,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    const preflight = await callGateway(cli.port, 'OPTIONS', '/no/route/here', {
      headers: { origin: 'https://page.example', 'access-control-request-method': 'GET' },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://page.example');
    assert.equal(preflight.headers['access-control-allow-methods'], 'GET');
    // Not a preflight (no Access-Control-Request-Method): the path still has no route.
    assert.equal((await callGateway(cli.port, 'OPTIONS', '/no/route/here', { headers: { origin: 'https://page.example' } })).status, 404);

    assert.equal((await callGateway(cli.port, 'GET', '/two')).status, 404);
    writeFileSync(
      join(small, 'template.yaml'),
      `${template}  Two:\n    Type: AWS::ApiGatewayV2::Route\n    Properties: { ApiId: !Ref Api, RouteKey: 'GET /two', Target: !Join ['/', [integrations, !Ref Integ]] }\n`,
    );
    let answer = await callGateway(cli.port, 'GET', '/two');
    for (let i = 0; i < 100 && answer.status !== 200; i++) {
      await new Promise((r) => setTimeout(r, 100));
      answer = await callGateway(cli.port, 'GET', '/two');
    }
    assert.equal(httpEventOf(answer).routeKey, 'GET /two');
  } finally {
    await cli.stop();
  }
});

test('hot reload: a path added to a DefinitionUri file next to the template is served without a restart', async () => {
  const isNewRoute = (a: GatewayAnswer) => a.status === 200 && (JSON.parse(a.text) as { resource?: string }).resource === '/uri/added';
  assert.equal(httpEventOf(await get('/uri/added')).routeKey, '$default'); // before: the $default route of Orders takes it
  const file = join(runnerDir, 'api-uri.yaml');
  writeFileSync(
    file,
    readFileSync(file, 'utf8').replace(
      '  /uri/bytes:',
      '  /uri/added:\n    get:\n      x-amazon-apigateway-integration: { type: aws_proxy, uri: arn:aws:lambda:us-east-1:123456789012:function:OpenApiFn }\n  /uri/bytes:',
    ),
  );
  let answer = await get('/uri/added');
  for (let i = 0; i < 100 && !isNewRoute(answer); i++) {
    await new Promise((r) => setTimeout(r, 100));
    answer = await get('/uri/added');
  }
  assert.equal(restEventOf(answer).requestContext.stage, 'uri');
  assert.ok(isNewRoute(answer));
});

// ---- Application Load Balancer ---------------------------------------------------------------------------------

function listenerPort(name: string, stderr = runner.stderr()): number {
  const found = new RegExp(`ALB listener ${name} on http://127\\.0\\.0\\.1:(\\d+)`).exec(stderr);
  assert.ok(found, `the banner names listener ${name}'s port:\n${stderr}`);
  return Number(found[1]);
}

function albEventOf(answer: GatewayAnswer): ALBEvent {
  assert.equal(answer.status, 201, answer.text);
  const event = JSON.parse(answer.text) as ALBEvent;
  AlbSchema.parse(event);
  return event;
}

test('ALB: each listener on its own port, printed with its rules in priority order', () => {
  const out = runner.stderr();
  const first = listenerPort('Listener');
  const second = listenerPort('SecondListener');
  assert.notEqual(first, second);
  assert.notEqual(first, port);
  assert.match(
    out,
    /ALB listener Listener on http:\/\/127\.0\.0\.1:\d+\n {2}#3 .*\n {2}#5 {2}path-pattern \/api\/special\? -> AlbMultiFn \(multi-value headers\)\n {2}#10 {2}path-pattern \/api\/\* and http-request-method GET\|POST -> AlbFn\n/,
  );
  assert.match(out, /ALB listener SecondListener on http:\/\/127\.0\.0\.1:\d+\n {2}default {2}\(any request\) -> AlbDefaultFn/);
});

test('ALB event: targetGroupArn, path as sent, query values URL-encoded as sent (last value wins), lower-case headers, body "" and isBase64Encoded', async () => {
  const albPort = listenerPort('Listener');
  const answer = await callGateway(albPort, 'GET', '/api/items?name=J%C3%BCrgen&a=1&a=2&sp=x+y', { headers: { 'X-Two': 'x', 'User-Agent': 'test' } });
  const event = albEventOf(answer);
  assert.equal(
    event.requestContext.elb.targetGroupArn.replace(/[0-9a-f]{16}$/, 'HASH'),
    'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/alb-targets/HASH',
  );
  assert.equal(event.httpMethod, 'GET');
  assert.equal(event.path, '/api/items');
  assert.deepEqual(event.queryStringParameters, { name: 'J%C3%BCrgen', a: '2', sp: 'x+y' });
  assert.equal(event.multiValueQueryStringParameters, undefined);
  assert.equal(event.multiValueHeaders, undefined);
  assert.equal(event.headers?.['x-two'], 'x');
  assert.equal(event.headers?.['user-agent'], 'test');
  assert.equal(event.headers?.['x-forwarded-for'], '127.0.0.1');
  assert.equal(event.headers?.['x-forwarded-proto'], 'http');
  assert.equal(event.headers?.['x-forwarded-port'], String(albPort));
  assert.match(event.headers?.['x-amzn-trace-id'] ?? '', /^Root=1-/);
  assert.equal(event.body, '');
  assert.equal(event.isBase64Encoded, false);
  // The answer: statusDescription is the reason phrase; without multi-value headers ALB reads `headers` only.
  assert.equal(answer.headers['x-single'], 'yes');
  assert.equal(answer.headers['x-multi'], undefined);
  const binary = albEventOf(
    await callGateway(albPort, 'POST', '/api/upload', { headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0, 255, 1]) }),
  );
  assert.equal(binary.isBase64Encoded, true);
  assert.deepEqual(Buffer.from(binary.body ?? '', 'base64'), Buffer.from([0, 255, 1]));
});

test('ALB: statusDescription becomes the reason phrase (curl shows it)', () => {
  const head = execFileSync('curl', ['-s', '-i', `http://127.0.0.1:${listenerPort('Listener')}/api/x`], { encoding: 'utf8' });
  assert.match(head, /^HTTP\/1\.1 201 Made It\r\n/);
});

test('ALB rules: priority order, wildcards, method, header, query, source-ip and host conditions; a target group with multi-value headers', async () => {
  const albPort = listenerPort('Listener');
  // #5 (/api/special?) beats #10 (/api/*); its target group has multi-value headers on.
  const special = await callGateway(albPort, 'GET', '/api/special1?a=1&a=2', { headers: { 'X-Two': 'x' } });
  const multi = albEventOf(special);
  assert.deepEqual(multi.multiValueQueryStringParameters, { a: ['1', '2'] });
  assert.deepEqual(multi.multiValueHeaders?.['x-two'], ['x']);
  assert.equal(multi.headers, undefined);
  assert.equal(multi.queryStringParameters, undefined);
  assert.equal(special.headers['x-multi'], 'a, b'); // multiValueHeaders read, headers ignored
  assert.equal(special.headers['x-single'], undefined);
  // `?` is one character: /api/special12 is not #5's, so #10 takes it.
  assert.match(albEventOf(await callGateway(albPort, 'GET', '/api/special12')).requestContext.elb.targetGroupArn, /targetgroup\/alb-targets\//);
  // #10 wants GET or POST: a DELETE falls through to the next rules, then to the listener's fixed response.
  const deleted = await callGateway(albPort, 'DELETE', '/api/x');
  assert.equal(deleted.status, 418);
  assert.equal(deleted.text, 'no rule for you');
  assert.equal(deleted.headers['content-type'], 'text/plain');
  // #20: a header value matched case-insensitively with a wildcard.
  assert.ok(albEventOf(await callGateway(albPort, 'DELETE', '/x', { headers: { 'x-env': 'PRODUCTION' } })).multiValueHeaders);
  // #30: a query pair.
  assert.ok(albEventOf(await callGateway(albPort, 'PUT', '/y?version=2.1')).multiValueQueryStringParameters);
  assert.equal((await callGateway(albPort, 'PUT', '/y?version=1')).status, 418);
  // #40 (source 10.0.0.0/8) never matches from 127.0.0.1; #50 needs a Host like LOCAL* from 127.0.0.0/8.
  const host = albEventOf(await callGateway(albPort, 'PATCH', '/z', { headers: { host: 'localhost' } }));
  assert.equal(host.headers?.host, 'localhost');
  assert.equal((await callGateway(albPort, 'PATCH', '/z', { headers: { host: '127.0.0.1' } })).status, 418);
});

test("ALB errors: a function error and a malformed answer are the load balancer's 502 page, a timeout its 504; a listener whose default forwards takes every path", async () => {
  const second = listenerPort('SecondListener');
  const failed = await callGateway(second, 'GET', '/anything?mode=fail');
  assert.equal(failed.status, 502);
  assert.equal(failed.headers.server, 'awselb/2.0');
  assert.equal(failed.headers['content-type'], 'text/html');
  assert.match(failed.text, /<title>502 Bad Gateway<\/title>/);
  const malformed = await callGateway(second, 'GET', '/else?mode=malformed');
  assert.equal(malformed.status, 502);
  const why = /AlbDefaultFn returned a response the load balancer can't send: statusCode undefined is not an HTTP status/;
  for (let i = 0; i < 100 && !why.test(runner.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(runner.stderr(), why);
  const slow = await callGateway(second, 'GET', '/slow?mode=slow');
  assert.equal(slow.status, 504);
  assert.match(slow.text, /<title>504 Gateway Timeout<\/title>/);
  const ok = albEventOf(await callGateway(second, 'POST', '/deep/path', { headers: { 'content-type': 'application/json' }, body: '{"x":1}' }));
  assert.equal(ok.body, '{"x":1}');
  assert.equal(ok.isBase64Encoded, false);
});

test('ALB redirect and fixed-response rules: answered by the listener itself (curl and undici), shown in the route table and in list', async () => {
  const albPort = listenerPort('Listener');
  const out = runner.stderr();
  assert.match(out, /\n {2}#3 {2}path-pattern \/api\/maintenance -> fixed-response 503 application\/json \(MaintenanceRule\)\n/);
  assert.match(
    out,
    /\n {2}#60 {2}path-pattern \/old\/\* -> redirect 301 to #\{protocol\}:\/\/#\{host\}:#\{port\}\/new\/#\{path\}\?from=old&#\{query\} \(RedirectRule\)\n/,
  );
  assert.match(
    out,
    /ALB listener HttpsRedirectListener on http:\/\/127\.0\.0\.1:\d+\n {2}default {2}\(any request\) -> redirect 302 to HTTPS:\/\/#\{host\}:443\/#\{path\}\?#\{query\}/,
  );
  // curl shows the redirect as it comes, without following it.
  const head = execFileSync('curl', ['-s', '-i', `http://127.0.0.1:${albPort}/old/a/b?x=1&y=%2F`], { encoding: 'utf8' });
  assert.match(head, /^HTTP\/1\.1 301 Moved Permanently\r\n/);
  assert.match(head, new RegExp(`\r\nlocation: http://127\\.0\\.0\\.1:${albPort}/new/old/a/b\\?from=old&x=1&y=%2F\r\n`, 'i'));
  assert.match(head, /\r\nserver: awselb\/2\.0\r\n/i);
  // undici follows it to the rule that takes /new/... (none: the listener's fixed-response default, 418).
  const { fetch, request: undiciRequest } = await import('undici');
  const followed = await fetch(`http://127.0.0.1:${albPort}/old/page`);
  assert.equal(followed.status, 418);
  assert.equal(followed.url, `http://127.0.0.1:${albPort}/new/old/page?from=old&`);
  const manual = await undiciRequest(`http://127.0.0.1:${albPort}/old/q`, { headers: { host: `[::1]:${albPort}` } });
  assert.equal(manual.headers.location, `http://[::1]:${albPort}/new/old/q?from=old&`); // #{host}: the Host sent, without its port
  await manual.body.dump();
  // A fixed-response rule at priority 3 comes before the functions' rules on /api/*.
  const down = await fetch(`http://127.0.0.1:${albPort}/api/maintenance`);
  assert.deepEqual([down.status, down.headers.get('content-type'), await down.text()], [503, 'application/json', '{"down":true}']);
  assert.equal((await callGateway(albPort, 'GET', '/api/other')).status, 201); // the function's rule still answers the rest
  // A listener with only a redirect default (the usual HTTP -> HTTPS listener) has a port of its own.
  const https = await undiciRequest(`http://127.0.0.1:${listenerPort('HttpsRedirectListener')}/login?next=%2Fhome`);
  assert.equal(https.statusCode, 302);
  assert.equal(https.headers.location, 'https://127.0.0.1:443/login?next=%2Fhome');
  assert.match(await https.body.text(), /<h1>302 Found<\/h1>/);
  // A redirect ALB would refuse is a skipped line, not served.
  assert.match(out, /Listener rule "BadRedirectRule" \(priority 70\) is not served: its RedirectConfig changes nothing/);
  assert.equal((await callGateway(albPort, 'GET', '/loop/x')).status, 418);
  const list = JSON.parse(
    execFileSync(process.execPath, [CLI, 'list', '--template', join(FIXTURES, 'gateway-cfn', 'template.yaml')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }),
  ) as { albActions: { id: string; listener: string; priority: number; action: { type: string } }[] };
  assert.deepEqual(list.albActions.map((a) => [a.id, a.listener, a.priority, a.action.type]).sort(), [
    ['HttpsRedirectListener', 'HttpsRedirectListener', 50001, 'redirect'],
    ['Listener', 'Listener', 50001, 'fixed-response'],
    ['MaintenanceRule', 'Listener', 3, 'fixed-response'],
    ['MembersRule', 'WeightedListener', 4, 'fixed-response'],
    ['RedirectRule', 'Listener', 60, 'redirect'],
    ['WeightedListener', 'WeightedListener', 50001, 'fixed-response'],
  ]);
});

test('serverless.yml alb events: one listener by its listenerArn, rules by priority with each condition, multiValueHeaders; no match is 404', async () => {
  const service = tempDir('gateway-cfn-sls');
  cpSync(join(FIXTURES, 'gateway-cfn', 'serverless'), service, { recursive: true });
  const cli = await startCli(['start', '--port', '0', '--api-port', '0', '--template', join(service, 'serverless.yml')], {
    cwd: service,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    const albPort = listenerPort('arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shop/50dc6c495c0c9188/f2f7dc8efc522ab2', cli.stderr());
    const users = albEventOf(await callGateway(albPort, 'GET', '/users/7?view=full', { headers: { 'x-tenant': 'ACME-eu' } }));
    assert.match(users.requestContext.elb.targetGroupArn, /^arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup\/users-2\/[0-9a-f]{16}$/);
    assert.deepEqual(users.queryStringParameters, { view: 'full' });
    // Without the header, #2 doesn't match; #9 (multi-value, Host local*) does.
    const catchall = albEventOf(await callGateway(albPort, 'GET', '/users/7?view=full', { headers: { host: 'localhost' } }));
    assert.deepEqual(catchall.multiValueQueryStringParameters, { view: ['full'] });
    assert.match(catchall.requestContext.elb.targetGroupArn, /targetgroup\/catchall-9\//);
    const none = await callGateway(albPort, 'GET', '/elsewhere', { headers: { host: 'localhost' } });
    assert.equal(none.status, 404);
    assert.match(none.text, /no listener rule matches/);
  } finally {
    await cli.stop();
  }
});

test('a wasi:http component on HttpApi, Api and ALB routes answers through the gateway as it does through invoke', async () => {
  const component = join(ROOT, 'examples', 'components', 'js-http');
  const project = tempDir('gateway-cfn-wasi');
  const template = join(project, 'template.yaml');
  writeFileSync(
    template,
    `
Transform: AWS::Serverless-2016-10-31
Resources:
  Web:
    Type: AWS::Serverless::Function
    Metadata: { OpenRuntime: { component: { world: http, build: { language: js, source: server.js } } } }
    Properties:
      CodeUri: ${component}
      Handler: build/server.wasm
      Runtime: wasi
      MemorySize: 128
      Events:
        Hello: { Type: HttpApi, Properties: { Path: /hello, Method: GET } }
        Echo: { Type: Api, Properties: { Path: /echo, Method: POST } }
  WebTargets:
    Type: AWS::ElasticLoadBalancingV2::TargetGroup
    Properties: { TargetType: lambda, Targets: [{ Id: !GetAtt Web.Arn }] }
  WebListener:
    Type: AWS::ElasticLoadBalancingV2::Listener
    Properties: { DefaultActions: [{ Type: forward, TargetGroupArn: !Ref WebTargets }] }
`,
  );
  // Built from source (incremental: unchanged sources keep the last build).
  const { functions } = await loadTemplate(template);
  await buildComponent(functions.find((f) => f.name === 'Web')!);
  const cli = await startCli(['start', '--port', '0', '--api-port', '0', '--template', template], {
    cwd: project,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    const invokePort = Number(/Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stderr())![1]);
    const viaInvoke = (
      await post(
        `http://127.0.0.1:${invokePort}/2015-03-31/functions/Web/invocations`,
        readFileSync(join(ROOT, 'examples', 'components', 'events', 'http-get.json'), 'utf8'),
        SIGNED,
      )
    ).json();
    const hello = await callGateway(cli.port, 'GET', '/hello?name=Ada');
    assert.equal(hello.status, viaInvoke.statusCode);
    assert.equal(hello.text, viaInvoke.body);
    assert.equal(hello.text, 'Hello, Ada!');
    assert.equal(hello.headers['content-type'], 'text/plain; charset=utf-8');
    assert.deepEqual(hello.headers['set-cookie'], ['visited=1']);

    const echo = await callGateway(cli.port, 'POST', '/echo', { headers: { 'content-type': 'application/json' }, body: '{"n":1}' });
    assert.equal(echo.status, 200, echo.text);
    assert.deepEqual(JSON.parse(echo.text), { echo: '{"n":1}', contentType: 'application/json' });

    // ALB passes query values URL-encoded: the component must see them decoded once, not twice.
    const albPort = listenerPort('WebListener', cli.stderr());
    const viaAlb = await callGateway(albPort, 'GET', '/hello?name=J%C3%BCrgen');
    assert.equal(viaAlb.status, 200, viaAlb.text);
    assert.equal(viaAlb.text, 'Hello, Jürgen!');
    assert.equal((await callGateway(albPort, 'GET', '/nowhere')).status, 404);
  } finally {
    await cli.stop();
  }
});

test("serve (the editor's sidecar) reports each ALB listener's port in GET /status, and it answers there", async () => {
  const workspace = tempDir('gateway-cfn-serve');
  cpSync(join(FIXTURES, 'gateway-cfn'), workspace, { recursive: true, filter: (src) => !src.includes('serverless') });
  const token = 'gateway-cfn-serve-token-0123456789';
  const serve = await startServe(workspace, token);
  try {
    const status = RunnerStatus.parse(
      JSON.parse((await callGateway(serve.port, 'GET', `${CONTROL_PREFIX}/status`, { headers: { authorization: `Bearer ${token}` } })).text),
    );
    const listeners = Object.fromEntries((status.loadBalancers ?? []).map((l) => [l.listener, l.port]));
    assert.deepEqual(Object.keys(listeners).sort(), ['HttpsRedirectListener', 'Listener', 'SecondListener', 'WeightedListener']);
    assert.ok(![serve.port, serve.apiPort].includes(listeners.Listener));
    assert.equal((await callGateway(listeners.Listener!, 'DELETE', '/nothing')).status, 418);
    // Loopback names only, like the gateway.
    assert.equal((await callGateway(listeners.SecondListener!, 'GET', '/x', { headers: { host: 'evil.example' } })).status, 403);
  } finally {
    await stopServe(serve);
  }
});

test('ALB weighted forward: the rule and its groups with their weights in the table, stickiness and authentication noted at start', () => {
  const out = runner.stderr();
  assert.match(
    out,
    /ALB listener WeightedListener on http:\/\/127\.0\.0\.1:\d+\n {2}#1 {2}path-pattern \/split -> AlbFn \(weight 3\)\n {2}#1 {2}path-pattern \/split -> AlbDefaultFn \(weight 1\)\n/,
  );
  assert.match(out, /\n {2}#2 {2}path-pattern \/one-way -> AlbFn \(weight 100\)\n/);
  assert.match(out, /\n {2}#2 {2}path-pattern \/one-way -> AlbDefaultFn \(weight 0\)\n/);
  assert.match(out, /#3 {2}path-pattern \/login -> AlbFn {2}\(authenticate-oidc NOT CHECKED: served without logging in\)/);
  assert.match(
    out,
    /#4 {2}path-pattern \/members -> fixed-response 200 text\/plain \(MembersRule\) {2}\(authenticate-cognito NOT CHECKED: served without logging in\)/,
  );
  assert.match(out, /note: Listener rule "SplitRule" \(priority 1\) is served with its TargetGroupStickinessConfig ignored/);
  assert.match(out, /note: Listener rule "LoginRule" \(priority 3\) is served WITHOUT its authenticate-oidc action: there is no identity provider/);
  assert.match(out, /note: Listener rule "MembersRule" \(priority 4\) is served WITHOUT its authenticate-cognito action/);
  assert.doesNotMatch(out, /"OneWayRule".*is not served/);
});

test('ALB weighted forward: requests split by Weight (3:1 exactly over 8), Weight 0 never, 100/0 always the one way', async () => {
  const albPort = listenerPort('WeightedListener');
  const groupOf = async (path: string) =>
    /targetgroup\/([^/]+)\//.exec(albEventOf(await callGateway(albPort, 'GET', path)).requestContext.elb.targetGroupArn)![1]!;
  const split: string[] = [];
  for (let i = 0; i < 8; i++) split.push(await groupOf('/split'));
  const count = (name: string) => split.filter((g) => g === name).length;
  assert.deepEqual([count('alb-targets'), split.length - count('alb-targets')], [6, 2], split.join(' '));
  for (let i = 0; i < 6; i++) assert.equal(await groupOf('/one-way'), 'alb-targets');
});

test('ALB authenticate-oidc / -cognito: served without logging in; with a local identity the function gets the x-amzn-oidc-* headers', async () => {
  const albPort = listenerPort('WeightedListener');
  const event = albEventOf(await callGateway(albPort, 'GET', '/login', { headers: { 'x-amzn-oidc-identity': 'mallory' } }));
  const headers = event.headers!;
  assert.equal(headers['x-amzn-oidc-identity'], 'ada', "the identity's headers replace the client's");
  assert.equal(headers['x-amzn-oidc-accesstoken'], 'local-access-token');
  const [head, claims, signature] = headers['x-amzn-oidc-data']!.split('.');
  const header = JSON.parse(Buffer.from(head!, 'base64url').toString()) as Record<string, unknown>;
  assert.deepEqual([header.alg, header.iss, header.client, typeof header.exp], ['ES256', 'https://idp.example.com', 'app-client', 'number']);
  assert.match(String(header.signer), /^arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer\/app\/WeightedListener\//);
  const payload = JSON.parse(Buffer.from(claims!, 'base64url').toString()) as Record<string, unknown>;
  assert.deepEqual([payload.sub, payload.email, payload.accessToken], ['ada', 'ada@example.com', undefined]);
  assert.equal(Buffer.from(signature!, 'base64url').length, 64, 'an ES256 signature');
  const members = await callGateway(albPort, 'GET', '/members');
  assert.deepEqual([members.status, members.text], [200, 'members only']);
  // A rule without authenticate passes the client's headers as they are.
  const plain = albEventOf(await callGateway(albPort, 'GET', '/one-way', { headers: { 'x-amzn-oidc-identity': 'mallory' } }));
  assert.equal(plain.headers!['x-amzn-oidc-identity'], 'mallory');
});

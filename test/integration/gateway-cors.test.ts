// CORS on the local gateway as the template configures it, with real HTTP and a real browser: an HTTP API with
// CorsConfiguration and a Function URL with Cors answer the preflight themselves and set the CORS headers of every
// response (replacing the function's own); a REST API with Cors answers OPTIONS and leaves the rest to the function;
// an API without CORS passes everything to the function, so a page on another origin is blocked, as in AWS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { removeTemps, startCli, tempDir, type CliProcess } from './support/runner.ts';
import { launchChromium } from './support/chromium.ts';

const HANDLER = `
export const handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'text/plain', 'access-control-allow-origin': 'http://set-by-the-function', 'x-total': '3' },
  body: 'ran ' + (event.requestContext.http?.method ?? event.httpMethod) + ' x-custom=' + ((event.headers['x-custom'] ?? event.headers['X-Custom']) || ''),
});
`;

const template = (page: string) => `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function: { Runtime: nodejs22.x, CodeUri: ./src, Handler: index.handler }
Resources:
  CorsHttpApi:
    Type: AWS::Serverless::HttpApi
    Properties:
      CorsConfiguration: { AllowOrigins: ['${page}'], AllowMethods: [GET, POST], AllowHeaders: [x-custom], ExposeHeaders: [x-total], MaxAge: 60 }
  CorsRestApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: dev
      Cors: { AllowOrigin: "'*'", AllowHeaders: "'x-custom'" }
  Http:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Cors: { Type: HttpApi, Properties: { Path: /cors-http, Method: GET, ApiId: !Ref CorsHttpApi } }
        Plain: { Type: HttpApi, Properties: { Path: /plain, Method: ANY } }
  Rest:
    Type: AWS::Serverless::Function
    Properties:
      Events:
        Get: { Type: Api, Properties: { Path: /cors-rest, Method: get, RestApiId: !Ref CorsRestApi } }
        Post: { Type: Api, Properties: { Path: /cors-rest, Method: post, RestApiId: !Ref CorsRestApi } }
  Url:
    Type: AWS::Serverless::Function
    Properties:
      FunctionUrlConfig: { AuthType: NONE, Cors: { AllowOrigins: ['${page}'], AllowHeaders: [x-custom], AllowMethods: ['*'] } }
`;

let runner: CliProcess;
let page: Server;
let pageOrigin: string;
let api: string;

async function call(method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${api}${path}`, { method, headers });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

before(async () => {
  page = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>page</title>'));
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  // localhost, not 127.0.0.1: another origin than the gateway's whatever the ports.
  pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
  const dir = tempDir('gateway-cors');
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src', 'index.mjs'), HANDLER);
  writeFileSync(join(dir, 'template.yaml'), template(pageOrigin));
  runner = await startCli(['start', '--port', '0', '--api-port', '0', '--template', join(dir, 'template.yaml')], {
    cwd: dir,
    banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  api = `http://127.0.0.1:${runner.port}`;
});

after(async () => {
  await runner?.stop();
  page?.close();
  removeTemps();
});

test('HTTP API with CorsConfiguration: the gateway answers the preflight (204, configured headers) without running the function', async () => {
  const answer = await call('OPTIONS', '/cors-http', {
    origin: pageOrigin,
    'access-control-request-method': 'GET',
    'access-control-request-headers': 'x-custom',
  });
  assert.equal(answer.status, 204);
  assert.equal(answer.headers.get('access-control-allow-origin'), pageOrigin);
  assert.equal(answer.headers.get('access-control-allow-methods'), 'GET,POST');
  assert.equal(answer.headers.get('access-control-allow-headers'), 'x-custom');
  assert.equal(answer.headers.get('access-control-max-age'), '60');
  assert.equal(answer.text, '');
  for (let i = 0; i < 100 && !/OPTIONS \/cors-http -> \(CORS preflight\) 204/.test(runner.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(runner.stderr(), /OPTIONS \/cors-http -> \(CORS preflight\) 204/);
  assert.doesNotMatch(runner.stderr(), /OPTIONS \/cors-http -> Http/);
  // Another origin gets no CORS headers: its browser blocks the call.
  const other = await call('OPTIONS', '/cors-http', { origin: 'http://evil.test', 'access-control-request-method': 'GET' });
  assert.equal(other.status, 204);
  assert.equal(other.headers.get('access-control-allow-origin'), null);
});

test("HTTP API with CorsConfiguration: actual responses carry the configured headers, not the function's", async () => {
  const answer = await call('GET', '/cors-http', { origin: pageOrigin, 'x-custom': '1' });
  assert.equal(answer.text, 'ran GET x-custom=1');
  assert.equal(answer.headers.get('access-control-allow-origin'), pageOrigin);
  assert.equal(answer.headers.get('access-control-expose-headers'), 'x-total');
  const noOrigin = await call('GET', '/cors-http');
  assert.equal(noOrigin.headers.get('access-control-allow-origin'), null);
});

test('an HTTP API without CORS passes OPTIONS to the function and adds nothing', async () => {
  const answer = await call('OPTIONS', '/plain', { origin: pageOrigin, 'access-control-request-method': 'GET' });
  assert.equal(answer.status, 200);
  assert.equal(answer.text, 'ran OPTIONS x-custom=');
  assert.equal(answer.headers.get('access-control-allow-origin'), 'http://set-by-the-function');
});

test('REST API with Cors: OPTIONS is answered 200 with the configured headers and the methods of the path; the rest is left to the function', async () => {
  const answer = await call('OPTIONS', '/cors-rest');
  assert.equal(answer.status, 200);
  assert.equal(answer.headers.get('access-control-allow-origin'), '*');
  assert.equal(answer.headers.get('access-control-allow-methods'), 'GET,OPTIONS,POST');
  assert.equal(answer.headers.get('access-control-allow-headers'), 'x-custom');
  const get = await call('GET', '/cors-rest', { origin: pageOrigin });
  assert.equal(get.text, 'ran GET x-custom=');
  assert.equal(get.headers.get('access-control-allow-origin'), 'http://set-by-the-function');
});

test('a Function URL with Cors answers the preflight and sets the CORS headers of its responses', async () => {
  const preflight = await call('OPTIONS', '/lambda-url/Url/x', { origin: pageOrigin, 'access-control-request-method': 'PUT' });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), pageOrigin);
  assert.equal(preflight.headers.get('access-control-allow-methods'), '*');
  const put = await call('PUT', '/lambda-url/Url/x', { origin: pageOrigin });
  assert.equal(put.text, 'ran PUT x-custom=');
  assert.equal(put.headers.get('access-control-allow-origin'), pageOrigin);
});

test('a real browser: a page on another origin may call the routes whose API configures CORS, and is blocked elsewhere', async () => {
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(pageOrigin);
    const fetchFrom = (url: string, method = 'GET') =>
      tab.evaluate(
        async ([u, m]) => {
          try {
            const res = await fetch(u!, { method: m, headers: { 'x-custom': 'from-the-page' } });
            return `${res.status} ${await res.text()} total=${res.headers.get('x-total')}`;
          } catch (error) {
            return `blocked: ${(error as Error).message}`;
          }
        },
        [url, method],
      );
    assert.equal(await fetchFrom(`${api}/cors-http`), '200 ran GET x-custom=from-the-page total=3');
    assert.equal(await fetchFrom(`${api}/lambda-url/Url/x`, 'PUT'), '200 ran PUT x-custom=from-the-page total=null');
    assert.match(await fetchFrom(`${api}/plain`), /^blocked: Failed to fetch/);
  } finally {
    await browser.close();
  }
});

// The Routes view and "Send request" inside the real extension host: a row for each HTTP route examples/template.yaml
// declares (worked out here from the template on its own), a request sent to HelloTs's GET /hello answered by the
// handler over real HTTP through the runner's gateway, the result view showing that request beside the response,
// the history entry carrying the request (and "Re-run" sending it again), and "Open in browser" on a GET route.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { parseDocument } from 'yaml';
import type { SentRequest } from '../../../extension/routes/send-request.ts';
import { openRuntime, until, workspaceDir } from './support.ts';

/** `[method, path, function]` of each route the examples' template declares: HttpApi events and Function URLs. */
function declaredRoutes(): Array<[string, string, string]> {
  const text = readFileSync(join(workspaceDir(), 'template.yaml'), 'utf8');
  const resources =
    (parseDocument(text, { logLevel: 'silent' }).toJS({}) as { Resources?: Record<string, { Type?: string; Properties?: Record<string, any> }> }).Resources ??
    {};
  const routes: Array<[string, string, string]> = [];
  for (const [name, resource] of Object.entries(resources)) {
    if (resource.Type !== 'AWS::Serverless::Function') continue;
    for (const event of Object.values<any>(resource.Properties?.Events ?? {})) {
      if (event.Type === 'HttpApi' || event.Type === 'Api') routes.push([String(event.Properties.Method).toUpperCase(), event.Properties.Path, name]);
    }
    if (resource.Properties?.FunctionUrlConfig) routes.push(['ANY', `/lambda-url/${name}/`, name]);
  }
  return routes;
}

const HELLO = { function: 'HelloTs', method: 'GET', path: '/hello' };

describe('the Routes view and Send request', () => {
  before(openRuntime);

  it('shows a row per route of template.yaml: method and path, the function, the local URL and API kind', async () => {
    const api = await openRuntime();
    const rows = await api.routeRows();
    const expected = declaredRoutes();
    assert.ok(expected.length >= 3, `the examples declare HTTP routes: ${JSON.stringify(expected)}`);
    for (const [method, path, fn] of expected) {
      const row = rows.find((r) => r.label === `${method} ${path}` && r.description.startsWith(fn));
      assert.ok(row, `a row "${method} ${path}" for ${fn} among ${rows.map((r) => `${r.label} (${r.description})`).join(', ')}`);
      assert.match(
        row.tooltip,
        new RegExp(`http://127\\.0\\.0\\.1:\\d+${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
        `the tooltip has the local URL: ${row.tooltip}`,
      );
      assert.match(row.tooltip, path.startsWith('/lambda-url/') ? /Function URL/ : /HTTP API|REST API/);
      assert.equal(
        row.contextValue,
        method === 'GET' || method === 'ANY' ? 'openRuntime.route.get' : 'openRuntime.route',
        `"Open in browser" is offered for GET routes only (${row.label})`,
      );
    }
    assert.ok(
      rows.some((r) => r.group === 'Function URLs'),
      `Function URLs are grouped: ${[...new Set(rows.map((r) => r.group))].join(', ')}`,
    );
  });

  it("sends a request to HelloTs's GET /hello: the handler answers, the result view shows request and response, the history keeps the request", async () => {
    const api = await openRuntime();
    const sent = await vscode.commands.executeCommand<SentRequest | undefined>('openRuntime.routes.sendRequest', {
      route: HELLO,
      request: { path: '/hello?name=Ada', headers: { accept: 'application/json', 'x-from-test': 'routes' } },
    });
    assert.ok(sent?.response, `a response came back: ${JSON.stringify(sent)}`);
    assert.equal(sent.response.status, 200, sent.response.body);
    const body = JSON.parse(sent.response.body);
    assert.equal(body.message, 'Hello, Ada!');
    assert.ok(sent.result, 'the invocation the request caused was followed');
    assert.equal(sent.result.requestId, body.requestId, 'the invocation recorded is the one that answered (the handler returns its request id)');
    assert.match(sent.result.logs, /greeting Ada/);

    const model = api.resultModel();
    assert.equal(model?.functionName, 'HelloTs');
    assert.ok(model.request?.kind === 'http', `the result view shows the HTTP request: ${JSON.stringify(model.request)}`);
    assert.equal(model.request.method, 'GET');
    assert.match(model.request.url, /^http:\/\/127\.0\.0\.1:\d+\/hello\?name=Ada$/);
    assert.ok(model.request.headers.some(([k, v]) => k === 'x-from-test' && v === 'routes'));
    assert.ok(model.response?.kind === 'http' && model.response.statusCode === 200 && model.response.timeMs !== undefined, JSON.stringify(model.response));
    assert.match(model.response.body, /Hello, Ada!/);
    assert.ok(model.report && model.report.durationMs > 0, 'the REPORT of the invocation is shown');

    const entry = api.history()[0];
    assert.equal(entry?.id, sent.entryId);
    assert.equal(entry.functionName, 'HelloTs');
    assert.deepEqual(
      entry.request && { route: entry.request.route, method: entry.request.sent.method, path: entry.request.sent.path, status: entry.request.response?.status },
      { route: HELLO, method: 'GET', path: '/hello?name=Ada', status: 200 },
    );
    assert.equal(entry.result?.requestId, body.requestId);

    const saved = join(workspaceDir(), '.open-runtime', 'requests', 'HelloTs', 'GET hello.json');
    assert.ok(existsSync(saved), `the request is saved for the route at ${saved}`);
    assert.equal(JSON.parse(readFileSync(saved, 'utf8')).path, '/hello?name=Ada');
  });

  it('offers the saved request again, and "Re-run" from the history sends the HTTP request again', async () => {
    const api = await openRuntime();
    // Nothing given but the route: the saved request (its query string and headers) is what goes out.
    const again = await vscode.commands.executeCommand<SentRequest | undefined>('openRuntime.routes.sendRequest', { route: HELLO, request: {} });
    assert.equal(again?.request.path, '/hello?name=Ada');
    assert.equal(JSON.parse(again!.response!.body).message, 'Hello, Ada!');

    const first = api.history()[0]!;
    const rerun = await vscode.commands.executeCommand<SentRequest | undefined>('openRuntime.history.rerun', first);
    assert.ok(rerun?.response, `re-run sent the request: ${JSON.stringify(rerun)}`);
    assert.notEqual(rerun.entryId, first.id, 'a new invocation');
    assert.equal(rerun.response.status, 200);
    assert.notEqual(JSON.parse(rerun.response.body).requestId, JSON.parse(first.request!.response!.body).requestId);
    assert.equal(api.history()[0]?.request?.sent.path, '/hello?name=Ada');
    assert.equal(api.resultModel()?.request?.kind, 'http');
  });

  it('shows the event beside the response for an ordinary invoke too', async () => {
    const api = await openRuntime();
    await vscode.commands.executeCommand('openRuntime.invokeWithEvent', { functionName: 'CallbackJs', payload: { shown: 'beside the response' } });
    const model = api.resultModel();
    assert.equal(model?.functionName, 'CallbackJs');
    assert.ok(model.request?.kind === 'event', JSON.stringify(model.request));
    assert.deepEqual(JSON.parse(model.request.text), { shown: 'beside the response' });
  });

  it('refuses a path that would leave the local gateway, saying why', async () => {
    const api = await openRuntime();
    const before = api.history().length;
    const sent = await vscode.commands.executeCommand<SentRequest | undefined>('openRuntime.routes.sendRequest', {
      route: HELLO,
      request: { path: '//evil.example/x' },
    });
    assert.equal(sent, undefined);
    assert.equal(api.history().length, before, 'nothing was sent');
  });

  it('follows the template: a route added to it appears, takes path parameters and a body, and goes when removed', async () => {
    const api = await openRuntime();
    const file = join(workspaceDir(), 'template.yaml');
    const original = readFileSync(file, 'utf8');
    const anchor = '      Handler: index.handler\n      Runtime: nodejs22.x\n      Timeout: 5\n';
    assert.ok(original.includes(anchor), 'CallbackJs is declared as this test expects');
    const label = 'POST /echo/{id}';
    try {
      writeFileSync(
        file,
        original.replace(
          anchor,
          `${anchor}      Events:\n        Echo:\n          Type: HttpApi\n          Properties:\n            Path: /echo/{id}\n            Method: POST\n`,
        ),
      );
      const row = await until('the new route in the Routes view', async () => (await api.routeRows()).find((r) => r.label === label));
      assert.equal(row.description, 'CallbackJs');
      assert.equal(row.contextValue, 'openRuntime.route', 'no "Open in browser" for a POST route');
      const sent = await vscode.commands.executeCommand<SentRequest | undefined>('openRuntime.routes.sendRequest', {
        route: { function: 'CallbackJs', method: 'POST', path: '/echo/{id}' },
        request: { method: 'POST', pathParameters: { id: 'order 7' }, headers: { 'content-type': 'application/json' }, body: '{"qty":2}' },
      });
      assert.equal(sent?.request.path, '/echo/order%207');
      assert.equal(sent?.response?.status, 200, sent?.response?.body);
      const echo = JSON.parse(sent!.response!.body).echo;
      assert.deepEqual({ id: echo.pathParameters?.id, body: echo.body, routeKey: echo.routeKey }, { id: 'order 7', body: '{"qty":2}', routeKey: label });
    } finally {
      writeFileSync(file, original);
    }
    await until('the removed route to leave the Routes view', async () => ((await api.routeRows()).some((r) => r.label === label) ? undefined : true));
  });

  it('opens a GET route in the browser through asExternalUri', async () => {
    const url = await vscode.commands.executeCommand<string | undefined>('openRuntime.routes.openInBrowser', { route: HELLO });
    assert.ok(url, 'a URL was opened');
    assert.match(url, /\/hello(\?|$)/, `the URL opened is the route's: ${url}`);
  });

  it('lists a WebSocket API: route keys, functions, the ws:// URL and the $connect authorizer; "Copy URL" copies the ws:// URL', async () => {
    const api = await openRuntime();
    // A second project beside the examples (discovery reads one folder down), removed at the end.
    const dir = join(workspaceDir(), 'ws-routes-e2e');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'src', 'ws.mjs'), 'export const handler = async () => ({ statusCode: 200 });\n');
    writeFileSync(
      join(dir, 'template.yaml'),
      [
        "AWSTemplateFormatVersion: '2010-09-09'",
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  ChatE2E: { Type: AWS::ApiGatewayV2::Api, Properties: { Name: chat, ProtocolType: WEBSOCKET, RouteSelectionExpression: $request.body.action } }',
        '  ChatStage: { Type: AWS::ApiGatewayV2::Stage, Properties: { ApiId: !Ref ChatE2E, StageName: e2e } }',
        '  Gate: { Type: AWS::ApiGatewayV2::Authorizer, Properties: { ApiId: !Ref ChatE2E, Name: gate, AuthorizerType: REQUEST, IdentitySource: [route.request.querystring.token], AuthorizerUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${WsGateFn.Arn}/invocations" } }',
        '  ConnectE2E: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref ChatE2E, RouteKey: $connect, AuthorizationType: CUSTOM, AuthorizerId: !Ref Gate, Target: !Sub "integrations/${WsIntegration}" } }',
        '  SendE2E: { Type: AWS::ApiGatewayV2::Route, Properties: { ApiId: !Ref ChatE2E, RouteKey: sendmessage, Target: !Sub "integrations/${WsIntegration}" } }',
        '  WsIntegration: { Type: AWS::ApiGatewayV2::Integration, Properties: { ApiId: !Ref ChatE2E, IntegrationType: AWS_PROXY, IntegrationUri: !Sub "arn:aws:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${WsChatFn.Arn}/invocations" } }',
        '  WsChatFn: { Type: AWS::Serverless::Function, Properties: { Runtime: nodejs22.x, CodeUri: ./src, Handler: ws.handler } }',
        '  WsGateFn: { Type: AWS::Serverless::Function, Properties: { Runtime: nodejs22.x, CodeUri: ./src, Handler: ws.handler } }',
      ].join('\n'),
    );
    // A change to the examples' template makes the runner read the workspace again (a new folder alone may not be seen).
    const root = join(workspaceDir(), 'template.yaml');
    const touch = () => writeFileSync(root, readFileSync(root));
    touch();
    try {
      const rows = await until('the WebSocket API in the Routes view', async () => {
        const all = await api.routeRows();
        return all.filter((r) => r.group === 'ChatE2E').length === 2 ? all.filter((r) => r.group === 'ChatE2E') : undefined;
      });
      const connect = rows.find((r) => r.label === '$connect');
      const send = rows.find((r) => r.label === 'sendmessage');
      assert.ok(connect && send, JSON.stringify(rows));
      assert.match(connect.description, /^WsChatFn · auth: gate \(Lambda REQUEST -> WsGateFn\)$/);
      assert.equal(send.description, 'WsChatFn');
      assert.match(connect.url, /^ws:\/\/127\.0\.0\.1:\d+\/e2e$/);
      assert.match(connect.tooltip, /ws:\/\/127\.0\.0\.1:\d+\/e2e/);
      assert.match(connect.tooltip, /WebSocket API ChatE2E \(stage e2e\)/);
      assert.equal(connect.contextValue, 'openRuntime.wsRoute', 'no "Send request" or "Open in browser" on a WebSocket route');
      const copied = await vscode.commands.executeCommand<string | undefined>('openRuntime.routes.copyUrl', { route: { url: connect.url } });
      assert.equal(copied, connect.url);
      assert.equal(await vscode.env.clipboard.readText(), connect.url);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      touch();
      await until('the WebSocket API gone from the Routes view', async () => ((await api.routeRows()).some((r) => r.group === 'ChatE2E') ? undefined : true));
    }
  });
});

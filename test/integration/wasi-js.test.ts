// The example components (examples/components, listed in examples/template.yaml) built from source by
// `buildComponent` (JS with StarlingMonkey and QuickJS, C with clang) and invoked through the real Invoke API:
// the handler world in three toolchains, and a wasi:http component fed API Gateway v1/v2 events, whose own
// outgoing requests reach the granted host and no other.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { loadTemplate } from '../../runner/functions/template.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';
import { createComponentRunner } from '../../runner/runtimes/wasi/index.ts';
import { buildComponent } from '../../runner/build/components.ts';
import { invokeWithTail, serveInvokeApi } from './support/runner.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');
let cacheDir: string;
let lambda: LocalLambda;
let upstream: Server;
const upstreamHits: string[] = [];

function event(name: string): unknown {
  return JSON.parse(readFileSync(join(EXAMPLES, 'components', 'events', name), 'utf8'));
}

before(async () => {
  cacheDir = mkdtempSync(join(tmpdir(), 'or-wasi-js-'));
  const { functions, errors } = await loadTemplate(join(EXAMPLES, 'template.yaml'));
  assert.deepEqual(
    errors.filter((e) => /Component/.test(e.message)),
    [],
  );
  const byName = (name: string) => {
    const fn = functions.find((f) => f.name === name);
    assert.ok(fn, `${name} is in examples/template.yaml`);
    return fn;
  };
  const helloJs = byName('HelloComponentJs');
  const helloC = byName('HelloComponentC');
  const http = byName('HttpComponentJs');
  // The same source with the QuickJS backend, kept across invocations.
  const helloQuickJs: FunctionSpec = {
    ...helloJs,
    name: 'HelloComponentQuickJs',
    handler: 'build/hello-quickjs.wasm',
    component: { ...helloJs.component!, reuseInstance: true, build: { ...helloJs.component!.build!, backend: 'quickjs' } },
  };
  // Builds are incremental: unchanged sources keep the last build (StarlingMonkey takes 10-30 s).
  for (const fn of [helloC, helloQuickJs, helloJs, http]) {
    const { output } = await buildComponent(fn);
    assert.equal(output, join(fn.codeUri, fn.handler));
  }

  upstream = createServer((req, res) => {
    upstreamHits.push(`${req.method} ${req.url}`);
    res.end('from upstream');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const port = (upstream.address() as AddressInfo).port;

  lambda = new LocalLambda({ hotReload: false });
  lambda.setComponentRunner(createComponentRunner({ cacheDir, workers: 2 }));
  lambda.setFunctions([
    helloJs,
    helloC,
    helloQuickJs,
    http,
    { ...http, name: 'HttpToLocal', component: { ...http.component!, allowedHosts: [`127.0.0.1:${port}`] } },
    { ...http, name: 'HttpNoHosts', component: { ...http.component!, allowedHosts: [] } },
    { ...http, name: 'HttpAsHandler', component: { ...http.component!, world: 'handler' } },
  ]);
  await serveInvokeApi(lambda);
});

after(async () => {
  await lambda?.close();
  await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
  rmSync(cacheDir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  functionError: string | undefined;
  requestId: string;
  json: Record<string, unknown>;
  logs: string;
}

async function invoke(name: string, payload: unknown): Promise<Reply> {
  const reply = await invokeWithTail(`http://127.0.0.1:${lambda.port}`, name, payload);
  return {
    status: reply.status,
    functionError: reply.headers['x-amz-function-error'] as string | undefined,
    requestId: String(reply.headers['x-amzn-requestid']),
    json: JSON.parse(reply.body),
    logs: reply.logs,
  };
}

test('JavaScript on StarlingMonkey: the result, console.log in the log, the deadline in the context, a typed error', async () => {
  const reply = await invoke('HelloComponentJs', event('hello.json'));
  assert.equal(reply.functionError, undefined, JSON.stringify(reply.json));
  assert.equal(reply.json.message, 'Hello, Ada!');
  assert.equal(reply.json.invocations, 1);
  assert.ok(typeof reply.json.remainingMs === 'number' && reply.json.remainingMs > 0 && reply.json.remainingMs <= 10_000, String(reply.json.remainingMs));
  assert.match(reply.logs, new RegExp(`greeting Ada in HelloComponentJs \\(request ${reply.requestId}\\)`));
  assert.match(reply.logs, /REPORT RequestId: .*Memory Size: 128 MB/);
  assert.equal((await invoke('HelloComponentJs', event('hello.json'))).json.invocations, 1);

  const failed = await invoke('HelloComponentJs', {});
  assert.equal(failed.functionError, 'Unhandled');
  assert.deepEqual(failed.json, { errorType: 'MissingName', errorMessage: 'The event has no "name" to greet, e.g. {"name": "Ada"}.' });
});

test('JavaScript on QuickJS, with reuseInstance: the same source, state kept across invocations', async () => {
  const first = await invoke('HelloComponentQuickJs', event('hello.json'));
  assert.equal(first.functionError, undefined, JSON.stringify(first.json));
  assert.equal(first.json.message, 'Hello, Ada!');
  assert.equal(first.json.invocations, 1);
  assert.equal((await invoke('HelloComponentQuickJs', event('hello.json'))).json.invocations, 2);
  assert.deepEqual((await invoke('HelloComponentQuickJs', {})).json, {
    errorType: 'MissingName',
    errorMessage: 'The event has no "name" to greet, e.g. {"name": "Ada"}.',
  });
});

test("C: the greeting from the function's Environment, printf in the log", async () => {
  const reply = await invoke('HelloComponentC', event('hello.json'));
  assert.equal(reply.functionError, undefined, JSON.stringify(reply.json));
  assert.deepEqual(reply.json, { message: 'Hi, Ada!', invocations: 1, memoryLimitMb: 128 });
  assert.match(reply.logs, new RegExp(`greeting Ada in HelloComponentC \\(request ${reply.requestId}\\)`));
  assert.deepEqual((await invoke('HelloComponentC', {})).json, {
    errorType: 'MissingName',
    errorMessage: 'The event has no "name" to greet, e.g. {"name": "Ada"}.',
  });
});

test('wasi:http: a Function URL (v2) event becomes a request, the response a v2 result with cookies', async () => {
  const reply = await invoke('HttpComponentJs', event('http-get.json'));
  assert.equal(reply.functionError, undefined, JSON.stringify(reply.json));
  assert.equal(reply.json.statusCode, 200);
  assert.equal(reply.json.body, 'Hello, Ada!');
  assert.equal(reply.json.isBase64Encoded, false);
  assert.deepEqual(reply.json.cookies, ['visited=1']);
  assert.equal((reply.json.headers as Record<string, string>)['content-type'], 'text/plain; charset=utf-8');
  assert.match(reply.logs, /GET \/hello/);
});

test('wasi:http: a REST API (v1) POST reaches the component with its body; the result has multiValueHeaders', async () => {
  const reply = await invoke('HttpComponentJs', event('http-post.json'));
  assert.equal(reply.json.statusCode, 200, JSON.stringify(reply.json));
  assert.deepEqual(JSON.parse(String(reply.json.body)), { echo: '{"note":"hi from API Gateway"}', contentType: 'application/json' });
  assert.deepEqual((reply.json.multiValueHeaders as Record<string, string[]>)['content-type'], ['application/json']);

  const missing = await invoke('HttpComponentJs', { ...(event('http-post.json') as object), path: '/nowhere', httpMethod: 'GET', body: null });
  assert.equal(missing.json.statusCode, 404);
});

test('wasi:http: a non-HTTP event and a handler-world setting are clear errors', async () => {
  const notHttp = await invoke('HttpComponentJs', event('hello.json'));
  assert.equal(notHttp.functionError, 'Unhandled');
  assert.equal(notHttp.json.errorType, 'Runtime.InvalidEvent');
  assert.match(String(notHttp.json.errorMessage), /takes HTTP events: API Gateway REST \(v1/);

  const wrongWorld = await invoke('HttpAsHandler', event('hello.json'));
  assert.equal(wrongWorld.json.errorType, 'Runtime.InvalidEntrypoint');
  assert.match(
    String(wrongWorld.json.errorMessage),
    /is a wasi:http component \(it exports wasi:http\/incoming-handler@0\.2\.10\), but the function uses the handler world\. Set "world: http"/,
  );
});

test('outgoing HTTP: the granted host is reached, any other is refused with a log line, and no grant refuses the component', async () => {
  const port = (upstream.address() as AddressInfo).port;
  const fetchEvent = (url: string) => ({ ...(event('http-get.json') as object), rawPath: '/fetch', rawQueryString: `url=${encodeURIComponent(url)}` });

  const allowed = await invoke('HttpToLocal', fetchEvent(`http://127.0.0.1:${port}/from-guest`));
  assert.equal(allowed.json.statusCode, 200, JSON.stringify(allowed.json));
  assert.deepEqual(JSON.parse(String(allowed.json.body)), { status: 200, body: 'from upstream' });
  assert.deepEqual(upstreamHits, ['GET /from-guest']);

  const other = await invoke('HttpToLocal', fetchEvent('http://example.com/'));
  assert.equal(other.json.statusCode, 502, JSON.stringify(other.json));
  assert.match(other.logs, /refused an outgoing HTTP request to example\.com: it is not in the function's allowedHosts \(127\.0\.0\.1:\d+\)/);
  assert.deepEqual(upstreamHits, ['GET /from-guest']);

  const none = await invoke('HttpNoHosts', fetchEvent(`http://127.0.0.1:${port}/`));
  assert.equal(none.json.errorType, 'Runtime.ImportNotGranted');
  assert.match(
    String(none.json.errorMessage),
    /imports wasi:http\/outgoing-handler@0\.2\.10, which the function was not granted: it makes outgoing HTTP requests, and the function allows no hosts/,
  );
});

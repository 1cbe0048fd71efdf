// Runner-level middleware chains, end to end: a real LocalLambda with the chain runner, real executable
// middlewares in bash, Node and Python (per call and long-lived), around real Node, Python and provided functions.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { LocalLambda, TooManyRequestsError } from '../../runner/local-lambda.ts';
import { createMiddlewareRunner } from '../../runner/middleware/index.ts';
import { renderEvent } from '../../runner/events/catalogue.ts';
import { post, serveInvokeApi } from './support/runner.ts';

/** The Invoke API's callers sign their requests; only the header's shape matters locally. */
const SIGV4 = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0';

const ROOT = resolve(import.meta.dirname, '..', '..');
// Middlewares without a manifest get this per-hook timeout: room for a slow process start on a busy CI machine.
process.env.OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS = '15000';
const FIXTURE = join(ROOT, 'test', 'fixtures', 'middleware');
const TEMPLATE = join(FIXTURE, 'template.yaml');

function fn(input: Omit<FunctionInput, 'codeUri' | 'runtime' | 'handler'> & Partial<FunctionInput>) {
  return parseFunction(
    { runtime: 'nodejs22.x', handler: 'index.handler', codeUri: join(FIXTURE, 'functions', 'echo'), source: { file: TEMPLATE, line: 1 }, ...input },
    'test',
  );
}

const TRACE = ['trace-bash', 'trace-node', 'trace-py'];
const functions = [
  fn({ name: 'EchoNode', middlewares: TRACE }),
  fn({
    name: 'EchoPython',
    runtime: 'python3.12',
    handler: 'app.handler',
    codeUri: join(FIXTURE, 'functions', 'py-echo'),
    environment: { SLSMIDDLEWARES: TRACE.join(',') },
  }),
  fn({ name: 'EchoProvided', runtime: 'provided.al2023', handler: 'bootstrap', codeUri: join(FIXTURE, 'functions', 'provided-echo'), middlewares: TRACE }),
  fn({ name: 'Guarded', middlewares: ['deny', 'trace-node'] }),
  fn({ name: 'Counted', middlewares: ['counter-ll'] }),
  fn({ name: 'Shouted', middlewares: ['upper-ll'] }),
  fn({ name: 'Missing', middlewares: ['trace-node', 'no-such-middleware'] }),
  fn({ name: 'Single', middlewares: ['trace-node'], concurrency: 1 }),
  fn({ name: 'CloudEvents', codeUri: join(FIXTURE, 'functions', 'ce-handler'), middlewares: ['cloudevents'] }),
  fn({ name: 'TracedCloudEvents', codeUri: join(FIXTURE, 'functions', 'ce-handler'), middlewares: ['trace-node', 'cloudevents'] }),
  ...['crash', 'hang', 'badjson', 'silent', 'raise', 'recover'].flatMap((mode) =>
    (['before', 'after', 'error'] as const).map((hook) =>
      fn({ name: `Misbehave-${mode}-${hook}`, middlewares: ['trace-node', 'misbehave'], environment: { MISBEHAVE: `${mode}:${hook}` } }),
    ),
  ),
];

const lambda = new LocalLambda({ hotReload: false });
const chains = createMiddlewareRunner();

interface Result {
  ok: boolean;
  body: any;
  errorType?: string;
  logs: string[];
  report: { durationMs: number; memorySizeMB: number };
}

async function invoke(name: string, event: unknown): Promise<Result> {
  const inv = lambda.invoke(name, Buffer.from(JSON.stringify(event)));
  const { outcome, logs, report } = await inv.completed;
  const body = JSON.parse(outcome.body.toString('utf8'));
  return { ok: outcome.ok, body, errorType: outcome.ok ? undefined : outcome.errorType, logs, report };
}

before(async () => {
  assert.ok(existsSync(join(ROOT, 'dist', 'node-runtime.cjs')), 'run "npm run build" before the integration tests');
  lambda.setMiddlewareRunner(chains);
  lambda.setFunctions(functions);
  await serveInvokeApi(lambda);
});

after(async () => {
  await lambda.close();
});

describe('ordering (Middy rules): before in declared order, after and error in reverse', () => {
  for (const name of ['EchoNode', 'EchoPython', 'EchoProvided']) {
    test(`${name}: bash, Node and Python middlewares around the function`, async () => {
      const r = await invoke(name, { trace: 'start' });
      assert.equal(r.ok, true, JSON.stringify(r.body));
      assert.equal(r.body.trace, 'start,bash:before,node:before,py:before,handler,py:after,node:after,bash:after');
    });
  }

  test('the error path runs every error hook in reverse and keeps the function error type', async () => {
    const node = await invoke('EchoNode', { trace: 'x', throw: 'now' });
    assert.equal(node.ok, false);
    assert.equal(node.errorType, 'TypeError');
    assert.equal(node.body.errorMessage, 'boom now,py:error,node:error,bash:error');
    const python = await invoke('EchoPython', { trace: 'x', throw: 'now' });
    assert.equal(python.errorType, 'ValueError');
    assert.equal(python.body.errorMessage, 'boom now,py:error,node:error,bash:error');
  });

  test('hook durations, middleware stderr and the function logs are in the invocation logs; the report adds it up', async () => {
    const r = await invoke('EchoNode', { trace: 's' });
    for (const mw of TRACE) {
      for (const hook of ['before', 'after'])
        assert.ok(
          r.logs.some((l) => new RegExp(`^MIDDLEWARE ${mw} ${hook} \\d+\\.\\d\\d ms$`).test(l)),
          `${mw} ${hook} in ${r.logs.join('\n')}`,
        );
    }
    assert.ok(r.logs.includes('[trace-node] node middleware saw before'));
    assert.ok(r.logs.some((l) => l.startsWith('START RequestId:')));
    assert.ok(r.logs.some((l) => l.includes('echo handler ran')));
    assert.ok(r.logs.some((l) => l.startsWith('REPORT RequestId:')));
    const order = ['MIDDLEWARE trace-py before', 'START RequestId', 'REPORT RequestId', 'MIDDLEWARE trace-py after'].map((p) =>
      r.logs.findIndex((l) => l.startsWith(p)),
    );
    assert.deepEqual(
      [...order].sort((a, b) => a - b),
      order,
    );
    assert.equal(r.report.memorySizeMB, 128);
    assert.ok(r.report.durationMs > 0);
  });

  test('live log lines carry the outer request id', async () => {
    const lines: string[] = [];
    const stop = lambda.subscribe((e) => e.type === 'log' && e.function === 'Guarded' && lines.push(`${e.requestId} ${e.line}`));
    const inv = lambda.invoke('Guarded', Buffer.from('{"token":"secret","trace":""}'));
    await inv.completed;
    stop();
    assert.ok(
      lines.some((l) => l.startsWith(`${inv.requestId} MIDDLEWARE deny before`)),
      lines.join('\n'),
    );
  });
});

describe('early return and raised errors', () => {
  test('a before hook answering {"$response"} skips the rest of the befores, the handler and the afters', async () => {
    const r = await invoke('Guarded', { trace: 't' });
    assert.equal(r.ok, true);
    assert.deepEqual(r.body, { statusCode: 401, body: 'denied by the deny middleware' });
    assert.ok(!r.logs.some((l) => l.startsWith('START RequestId')), 'the function did not run');
    assert.ok(!r.logs.some((l) => l.startsWith('MIDDLEWARE trace-node')), 'later middlewares did not run');
    const allowed = await invoke('Guarded', { token: 'secret', trace: 't' });
    assert.equal(allowed.body.trace, 't,node:before,handler,node:after');
  });

  test('{"$error"} from a before hook goes through every error hook without running the function', async () => {
    const r = await invoke('Misbehave-raise-before', { trace: 't' });
    assert.equal(r.errorType, 'Validation.Failed');
    assert.equal(r.body.errorMessage, 'name is required,node:error');
    assert.ok(!r.logs.some((l) => l.startsWith('START RequestId')));
  });

  test('{"$error"} from an after hook replaces the response with an error', async () => {
    const r = await invoke('Misbehave-raise-after', { trace: 't' });
    assert.equal(r.errorType, 'Validation.Failed');
    assert.equal(r.body.errorMessage, 'name is required,node:error');
  });

  test('an error hook answering {"$response"} recovers the invocation', async () => {
    const r = await invoke('Misbehave-recover-error', { trace: 't', throw: 'x' });
    assert.equal(r.ok, true);
    assert.deepEqual(r.body, { statusCode: 500, body: 'recovered from TypeError' });
  });
});

describe('every failure mode fails the invocation with Middleware.Failed naming the middleware, its hook and what it printed', () => {
  const cases: Array<{ mode: string; hook: 'before' | 'after' | 'error'; says: RegExp }> = [
    { mode: 'crash', hook: 'before', says: /exited with code 3.*python middleware exploded: KeyError 'user'/s },
    { mode: 'crash', hook: 'after', says: /exited with code 3.*python middleware exploded/s },
    { mode: 'crash', hook: 'error', says: /exited with code 3/ },
    { mode: 'hang', hook: 'before', says: /did not finish within its 2500 ms timeout/ },
    { mode: 'badjson', hook: 'before', says: /printed invalid JSON.*It printed: \{this is not json/s },
    { mode: 'badjson', hook: 'after', says: /printed invalid JSON/ },
    { mode: 'silent', hook: 'before', says: /printed nothing on stdout/ },
    { mode: 'silent', hook: 'after', says: /printed nothing on stdout/ },
  ];
  for (const { mode, hook, says } of cases) {
    test(`${mode} in ${hook}`, async () => {
      const r = await invoke(`Misbehave-${mode}-${hook}`, { trace: 't', ...(hook === 'error' ? { throw: 'x' } : {}) });
      assert.equal(r.ok, false);
      assert.equal(r.errorType, 'Middleware.Failed');
      assert.equal(r.body.middleware, 'misbehave');
      assert.equal(r.body.hook, hook);
      assert.match(r.body.errorMessage, new RegExp(`^Middleware "misbehave" failed in its ${hook} hook: `));
      assert.match(r.body.errorMessage, says);
      assert.ok(
        r.logs.some((l) => new RegExp(`^MIDDLEWARE misbehave ${hook} [\\d.]+ ms failed$`).test(l)),
        r.logs.join('\n'),
      );
      // A broken chain is not an application error: no error hook runs for it.
      assert.ok(!r.logs.some((l) => l.startsWith('MIDDLEWARE trace-node error')));
    });
  }

  test('the runner keeps serving after each of them', async () => {
    const r = await invoke('EchoNode', { trace: 'again' });
    assert.equal(r.body.trace, 'again,bash:before,node:before,py:before,handler,py:after,node:after,bash:after');
  });

  test('an unknown middleware name says where it looked', async () => {
    const r = await invoke('Missing', { trace: 't' });
    assert.equal(r.errorType, 'Middleware.NotFound');
    assert.match(r.body.errorMessage, /Middleware "no-such-middleware" of function Missing was not found: .*test\/fixtures\/middleware\/middlewares/);
  });

  test('over the concurrency cap the caller is refused before any hook runs: TooManyRequestsException, not a function error', async () => {
    const slow = invoke('Single', { trace: 'a', sleepMs: 1500 });
    // Wait until the first one holds the only environment.
    while (!lambda.environments().some((e) => e.fn.name === 'Single' && e.state === 'busy')) await new Promise((r) => setTimeout(r, 20));
    const lines: string[] = [];
    const unsubscribe = lambda.subscribe((e) => {
      if (e.type === 'log' && e.function === 'Single') lines.push(e.line);
    });
    try {
      assert.throws(
        () => lambda.invoke('Single', Buffer.from(JSON.stringify({ trace: 'b' }))),
        (err: Error) => err instanceof TooManyRequestsError && /concurrency limit is 1/.test(err.message),
      );
      // Over real HTTP, as the AWS CLI or SDK sees it: a service error (429), not 200 + X-Amz-Function-Error.
      const reply = await post(`http://127.0.0.1:${lambda.port}/2015-03-31/functions/Single/invocations`, JSON.stringify({ trace: 'c' }), {
        Authorization: SIGV4,
      });
      assert.equal(reply.status, 429, reply.text);
      assert.equal(reply.headers['x-amz-function-error'], undefined);
      assert.equal(reply.json().__type ?? reply.headers['x-amzn-errortype'], 'TooManyRequestsException');
      await new Promise((r) => setTimeout(r, 300));
      assert.deepEqual(
        lines.filter((l) => l.startsWith('MIDDLEWARE')),
        [],
        'no hook ran for the refused invocation',
      );
    } finally {
      unsubscribe();
    }
    assert.equal((await slow).ok, true);
  });
});

describe('long-lived middlewares (manifest "longLived": true): started once, fed line-delimited JSON', () => {
  test('one process serves every call', async () => {
    const first = await invoke('Counted', {});
    const second = await invoke('Counted', {});
    const third = await invoke('Counted', {});
    assert.deepEqual([first.body.count, second.body.count, third.body.count], [1, 2, 3]);
    assert.equal(new Set([first.body.pid, second.body.pid, third.body.pid]).size, 1);
    assert.ok(chains.longLivedPids().includes(first.body.pid));
  });

  test('a crash fails the call with its exit code and stderr, and the next call starts it again', async () => {
    const before = (await invoke('Counted', {})).body.pid;
    const crashed = await invoke('Counted', { crash: true });
    assert.equal(crashed.errorType, 'Middleware.Failed');
    assert.match(crashed.body.errorMessage, /^Middleware "counter-ll" failed in its before hook: its long-lived process exited with code 7\..*asked to crash/s);
    const after = await invoke('Counted', {});
    assert.equal(after.ok, true);
    assert.notEqual(after.body.pid, before);
    assert.equal(after.body.count, 1);
  });

  test('a hang past its timeout, invalid JSON and an answer without output each fail one call; the next one works', async () => {
    const hung = await invoke('Counted', { hang: true });
    assert.match(hung.body.errorMessage, /did not answer within its 1500 ms timeout/);
    const bad = await invoke('Counted', { badjson: true });
    assert.match(bad.body.errorMessage, /printed invalid JSON.*counter says hello/s);
    const empty = await invoke('Counted', { noanswer: true });
    assert.match(empty.body.errorMessage, /answered without an "output"/);
    for (const r of [hung, bad, empty]) assert.equal(r.errorType, 'Middleware.Failed');
    const ok = await invoke('Counted', {});
    assert.equal(ok.ok, true);
  });

  test('a long-lived Python middleware with before and after hooks', async () => {
    const a = await invoke('Shouted', { name: 'ada', trace: '' });
    const b = await invoke('Shouted', { name: 'grace', trace: '' });
    assert.equal(a.body.name, 'ADA');
    assert.equal(b.body.name, 'GRACE');
    assert.match(a.body.headers['x-served-by'], /^upper-ll\/\d+$/);
    assert.equal(a.body.headers['x-served-by'], b.body.headers['x-served-by']);
  });
});

describe('the built-in cloudevents middleware', () => {
  test('SQS: one CloudEvent per record, failed records in batchItemFailures', async () => {
    const event = renderEvent('sqs', { count: '3' }) as { Records: Array<{ messageId: string; body: string }> };
    event.Records[1]!.body = JSON.stringify({ fail: true });
    const r = await invoke('CloudEvents', event);
    assert.equal(r.ok, true, JSON.stringify(r.body));
    assert.deepEqual(r.body, { batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
    assert.equal(r.logs.filter((l) => l.startsWith('START RequestId')).length, 3);
  });

  test('Kinesis: processing stops at the first failed record, which is reported', async () => {
    const event = renderEvent('kinesis', { count: '3' }) as { Records: Array<{ kinesis: { data: string; sequenceNumber: string } }> };
    event.Records[0]!.kinesis.data = Buffer.from(JSON.stringify({ fail: true })).toString('base64');
    const r = await invoke('CloudEvents', event);
    assert.deepEqual(r.body, { batchItemFailures: [{ itemIdentifier: event.Records[0]!.kinesis.sequenceNumber }] });
    assert.equal(r.logs.filter((l) => l.startsWith('START RequestId')).length, 1);
  });

  test('EventBridge: the function gets the CloudEvent and its result comes back as it is', async () => {
    const event = renderEvent('eventbridge-custom') as { id: string; detail: unknown };
    const r = await invoke('CloudEvents', event);
    assert.deepEqual(r.body, { type: 'Order Placed', id: event.id, source: 'com.example.orders', data: event.detail, specversion: '1.0' });
  });

  test('HTTP API: the result goes back as an HTTP response; hooks before it see the AWS event', async () => {
    const event = renderEvent('apigw-http') as Record<string, unknown>;
    const r = await invoke('TracedCloudEvents', { ...event, trace: 'http' });
    assert.equal(r.ok, true, JSON.stringify(r.body));
    assert.equal(r.body.statusCode, 200);
    // The function answered with a CloudEvent: it goes back in binary HTTP mode (ce-* headers, data as the body).
    assert.equal(r.body.headers['ce-type'], 'com.amazonaws.apigateway.request');
    assert.match(r.body.headers['ce-source'], /^https:\/\/.*\/orders\/42$/);
    assert.deepEqual(JSON.parse(r.body.body), JSON.parse(String(event.body)));
    // trace-node ran once around the whole HTTP request (it comes before cloudevents in the chain).
    assert.equal(r.logs.filter((l) => l.startsWith('MIDDLEWARE trace-node before')).length, 1);
    assert.equal(r.logs.filter((l) => l.startsWith('MIDDLEWARE trace-node after')).length, 1);
  });
});

describe('the examples workspace (examples/template.yaml and examples/middlewares)', () => {
  const examples = new LocalLambda({ hotReload: false });
  const exampleChains = createMiddlewareRunner();

  before(async () => {
    const { loadFunctionsFrom } = await import('../../runner/functions/discover.ts');
    const { functions } = await loadFunctionsFrom(join(ROOT, 'examples', 'template.yaml'));
    examples.setMiddlewareRunner(exampleChains);
    examples.setFunctions(functions.filter((f) => ['HelloGuarded', 'PythonGuarded', 'OrdersCloudEvents'].includes(f.name)));
    await examples.listen();
  });
  after(() => examples.close());

  async function run(name: string, event: unknown) {
    const { outcome, logs } = await examples.invoke(name, Buffer.from(JSON.stringify(event))).completed;
    return { ok: outcome.ok, body: JSON.parse(outcome.body.toString('utf8')), logs };
  }
  const hello = JSON.parse(readFileSync(join(ROOT, 'examples', 'events', 'hello-query.json'), 'utf8')) as { headers: Record<string, string> };

  test('HelloGuarded: 401 without the token, the greeting with CORS headers with it', async () => {
    const denied = await run('HelloGuarded', hello);
    assert.equal(denied.body.statusCode, 401);
    // An early answer skips every after hook (Middy's rule), cors's included.
    assert.equal(denied.body.headers['access-control-allow-origin'], undefined);
    assert.ok(denied.logs.includes('[request-log] request-log: GET /hello'));
    const allowed = await run('HelloGuarded', { ...hello, headers: { ...hello.headers, authorization: 'Bearer demo' } });
    assert.equal(allowed.body.statusCode, 200);
    assert.match(JSON.parse(allowed.body.body).message, /Ada/);
    assert.equal(allowed.body.headers['access-control-allow-origin'], 'https://example.com');
    assert.ok(allowed.logs.includes('[request-log] request-log: answered 200'));
  });

  test('PythonGuarded: the same middlewares through SLSMIDDLEWARES around a Python function', async () => {
    const denied = await run('PythonGuarded', hello);
    assert.equal(denied.body.statusCode, 401);
    assert.ok(!denied.logs.some((l) => l.startsWith('START RequestId')));
    const allowed = await run('PythonGuarded', { ...hello, headers: { ...hello.headers, authorization: 'Bearer demo' } });
    assert.equal(allowed.ok, true);
    assert.equal(allowed.body.message, 'Hello, world!');
  });

  test('OrdersCloudEvents: an SQS batch as CloudEvents, a rejected record reported', async () => {
    const event = renderEvent('sqs', { count: '2' }) as { Records: Array<{ messageId: string; body: string }> };
    event.Records[1]!.body = '{"reject":true}';
    const r = await run('OrdersCloudEvents', event);
    assert.deepEqual(r.body, { batchItemFailures: [{ itemIdentifier: event.Records[1]!.messageId }] });
  });
});

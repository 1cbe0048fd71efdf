// Component middlewares (wit/middleware/middleware.wit) run by the WASI runner, end to end: components built in
// this file from source (JavaScript with QuickJS, C with clang + jco), a real LocalLambda with the chain runner
// and the component runner sharing one worker pool, called through the real Invoke API. Their typed answers
// (next, respond, fail) around Node and component functions, Middy's order in chains mixing them with an
// executable middleware, a fresh instance per call, every way one can break (a trap, a loop past its timeout, an
// import it was not granted, not a middleware at all), and asynchronous Event invokes queueing for a component
// function's concurrency instead of being refused.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { loadTemplate } from '../../runner/functions/template.ts';
import { createMiddlewareRunner } from '../../runner/middleware/index.ts';
import { createComponentRunner, type ComponentRunner } from '../../runner/runtimes/wasi/index.ts';
import { invokeWithTail, serveInvokeApi, type TailReply } from './support/runner.ts';
import { createComponentMiddlewareHost } from '../../runner/runtimes/wasi/middleware-host.ts';
import { buildComponent, WIT_DIR } from '../../runner/build/components.ts';
import { buildMiddlewareComponent, exampleMiddlewares } from '../../examples/middlewares/components/build.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const EXAMPLES = join(ROOT, 'examples');
// Executable middlewares without a manifest get this per-hook timeout: room for a slow process start on CI.
process.env.OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS = '15000';

/**
 * A component middleware whose behaviour its input picks: `probe.before` in the event, `probe.after` in the
 * response ("respond", "fail", "throw", "loop"); an error whose message says "recover" is answered. Otherwise it
 * adds to the trace, and reports how many calls its instance has seen (a global counter) and the context.
 */
const PROBE_JS = `
let calls = 0;
const next = (value) => ({ tag: 'next', val: JSON.stringify(value) });
function act(action, hook) {
  if (action === 'respond') return { tag: 'respond', val: JSON.stringify({ answeredBy: 'probe:' + hook }) };
  if (action === 'fail') return { tag: 'fail', val: { errorType: 'ProbeRefused', errorMessage: 'probe refused in ' + hook } };
  if (action === 'throw') throw new Error('probe blew up in ' + hook);
  if (action === 'loop') for (;;) {}
  return undefined;
}
export function before(text, ctx) {
  calls++;
  const event = JSON.parse(text);
  const context = { requestId: ctx.requestId, functionName: ctx.functionName, deadlineMs: Number(ctx.deadlineMs) };
  return act(event.probe?.before, 'before') ?? next({ ...event, trace: (event.trace ?? '') + ',probe:before', beforeCalls: calls, context });
}
export function after(text, ctx) {
  calls++;
  const response = JSON.parse(text);
  return act(response.probe?.after, 'after') ?? next({ ...response, trace: response.trace + ',probe:after', afterCalls: calls });
}
export function onError(error, ctx) {
  calls++;
  if (error.errorMessage.includes('recover')) return { tag: 'respond', val: JSON.stringify({ recoveredFrom: error.errorType, errorCalls: calls }) };
  return next({ errorType: error.errorType, errorMessage: error.errorMessage + ',probe:error' });
}
`;

/** An executable middleware (one Node process per hook) that appends "node:<hook>". */
const TRACE_NODE = `
import { text } from 'node:stream/consumers';
const hook = process.argv[2];
const input = JSON.parse(await text(process.stdin));
if (hook === 'error') input.errorMessage += ',node:error';
else input.trace += ',node:' + hook;
process.stdout.write(JSON.stringify(input));
`;

/** The Node function: echoes its event with "handler" on the trace; throws when asked. */
const ECHO_NODE = `
export const handler = async (event) => {
  if (event.throw) throw new TypeError(event.throw);
  console.log('echo handler ran');
  return { ...event, trace: (event.trace ?? '') + ',handler' };
};
`;

/** A handler-world component that echoes its event, or loops until its timeout when the event says "loop". */
const ECHO_C = String.raw`
#include <string.h>
#include "open_runtime_lambda.h"
lambda_result lambda_handle(const char *event, size_t len, const lambda_context *ctx) {
  (void)len; (void)ctx;
  if (strstr(event, "\"loop\"")) { printf("looping\n"); fflush(stdout); volatile unsigned x = 0; for (;;) x++; }
  return lambda_ok(event);
}
`;

/**
 * A middleware in C that also imports acme:secrets/vault, which no middleware is granted. Its exports follow the
 * canonical ABI by hand (before and after hand their input on unchanged), enough to be a valid component.
 */
const VAULT_C = String.raw`
#include <stdint.h>
#include <stdlib.h>
__attribute__((import_module("acme:secrets/vault@0.1.0"), import_name("get"))) extern int32_t vault_get(void);
static uint32_t ret[5];
__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size, size_t align, size_t size) {
  (void)old_size;
  return size ? realloc(old, size) : (void *)align;
}
static uint32_t *pass(char *text, size_t len) {
  if (len == 1 && text[0] == 'v') vault_get();
  ret[0] = 0; ret[1] = (uint32_t)text; ret[2] = len;
  return ret;
}
__attribute__((export_name("before"))) uint32_t *before(char *e, size_t el, char *r, size_t rl, char *f, size_t fl, uint64_t d) { return pass(e, el); }
__attribute__((export_name("after"))) uint32_t *after(char *e, size_t el, char *r, size_t rl, char *f, size_t fl, uint64_t d) { return pass(e, el); }
__attribute__((export_name("on-error"))) uint32_t *on_error(char *t, size_t tl, char *m, size_t ml, char *r, size_t rl, char *f, size_t fl, uint64_t d) {
  ret[0] = 2; ret[1] = (uint32_t)t; ret[2] = tl; ret[3] = (uint32_t)m; ret[4] = ml;
  return ret;
}
`;
const VAULT_WIT = `package acme:secrets@0.1.0;
interface vault { get: func() -> s32; }
world vaulted-middleware {
  import vault;
  include open-runtime:middleware/middleware@0.1.0;
}
`;

let dir: string;
let lambda: LocalLambda;
let runner: ComponentRunner;
/** Events the runner announced (invoke-end carries each invocation's result). */
const announced: Array<{ type: string; requestId?: string; function?: string; payload?: string; functionError?: string; line?: string }> = [];

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed: ${result.stderr}`);
}

/** Polls until `done` (a guard against hanging, not a timing assertion). */
async function waitFor(done: () => boolean, what: string): Promise<void> {
  const giveUp = Date.now() + 30_000;
  while (!done()) {
    assert.ok(Date.now() < giveUp, `gave up waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function fn(input: Omit<FunctionInput, 'codeUri' | 'runtime' | 'handler'> & Partial<FunctionInput>) {
  return parseFunction(
    {
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      codeUri: join(dir, 'echo'),
      source: { file: join(dir, 'template.yaml'), line: 1 },
      timeout: 10,
      ...input,
    },
    'test',
  );
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'or-mw-component-'));
  const middlewares = join(dir, 'middlewares');
  mkdirSync(middlewares);
  mkdirSync(join(dir, 'echo'));
  writeFileSync(join(dir, 'echo', 'index.mjs'), ECHO_NODE);
  writeFileSync(join(dir, 'echo', 'package.json'), '{ "type": "module" }');
  writeFileSync(join(middlewares, 'trace-node.mjs'), TRACE_NODE);

  // The probe, from JavaScript (QuickJS); "slow" is the same component with a short timeout in its manifest.
  writeFileSync(join(dir, 'probe.js'), PROBE_JS);
  await buildMiddlewareComponent({ source: join(dir, 'probe.js'), output: join(middlewares, 'probe.wasm') });
  copyFileSync(join(middlewares, 'probe.wasm'), join(middlewares, 'slow.wasm'));
  writeFileSync(join(middlewares, 'slow.json'), JSON.stringify({ timeoutMs: 1000 }));

  // The vault middleware, from C: clang, then the WIT embedded and made a component with the reactor adapter.
  const tools = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const vaultWit = join(dir, 'wit-vault');
  mkdirSync(join(vaultWit, 'deps', 'middleware'), { recursive: true });
  writeFileSync(join(vaultWit, 'world.wit'), VAULT_WIT);
  cpSync(join(WIT_DIR, 'middleware', 'middleware.wit'), join(vaultWit, 'deps', 'middleware', 'middleware.wit'));
  writeFileSync(join(dir, 'vault.c'), VAULT_C);
  run('clang', ['--target=wasm32-wasi', '-mexec-model=reactor', '-O2', '-o', join(dir, 'vault.core.wasm'), join(dir, 'vault.c')]);
  const embedded = await tools.componentEmbed({ binary: readFileSync(join(dir, 'vault.core.wasm')), witPath: vaultWit, world: 'vaulted-middleware' });
  const adapter = readFileSync(join(ROOT, 'node_modules', '@bytecodealliance', 'jco', 'lib', 'wasi_snapshot_preview1.reactor.wasm'));
  writeFileSync(join(middlewares, 'vault.wasm'), await tools.componentNew(embedded, [['wasi_snapshot_preview1', adapter]]));

  // A component function (the project's C build), also put where a middleware is expected; and garbage bytes.
  mkdirSync(join(dir, 'component'));
  writeFileSync(join(dir, 'component', 'echo.c'), ECHO_C);
  const echoComponent = fn({
    name: 'EchoComponentBuild',
    runtime: 'wasi',
    handler: 'echo.wasm',
    codeUri: join(dir, 'component'),
    component: { build: { language: 'c', source: 'echo.c' } },
  });
  await buildComponent(echoComponent);
  copyFileSync(join(dir, 'component', 'echo.wasm'), join(middlewares, 'not-a-middleware.wasm'));
  writeFileSync(join(middlewares, 'garbage.wasm'), 'this is not webassembly');
  copyFileSync(join(dir, 'vault.core.wasm'), join(middlewares, 'core-module.wasm'));

  // The example middleware, built where the examples workspace finds it (gitignored build output).
  for (const example of exampleMiddlewares()) await buildMiddlewareComponent(example);
  const { functions } = await loadTemplate(join(EXAMPLES, 'template.yaml'));
  const guarded = functions.find((f) => f.name === 'HelloWasmGuarded');
  assert.ok(guarded, 'HelloWasmGuarded is in examples/template.yaml');

  lambda = new LocalLambda({ hotReload: false });
  runner = createComponentRunner({ cacheDir: join(dir, 'cache'), workers: 2 });
  lambda.setComponentRunner(runner);
  lambda.setMiddlewareRunner(createMiddlewareRunner({ components: createComponentMiddlewareHost(runner) }));
  const component = { runtime: 'wasi' as const, handler: 'echo.wasm', codeUri: join(dir, 'component'), timeout: 1 };
  lambda.setFunctions([
    fn({ name: 'Probed', middlewares: ['probe'] }),
    fn({ name: 'ExecutableFirst', middlewares: ['trace-node', 'probe'] }),
    fn({ name: 'ComponentFirst', middlewares: ['probe', 'trace-node'] }),
    fn({ name: 'Slow', middlewares: ['trace-node', 'slow'] }),
    fn({ name: 'Vault', middlewares: ['vault'] }),
    fn({ name: 'NotAMiddleware', middlewares: ['not-a-middleware'] }),
    fn({ name: 'Garbage', middlewares: ['garbage'] }),
    fn({ name: 'CoreModule', middlewares: ['core-module'] }),
    fn({ name: 'Swapped', middlewares: ['swap'] }),
    fn({ name: 'ProbedComponent', ...component, middlewares: ['probe'] }),
    fn({ name: 'Busy', ...component, concurrency: 1, timeout: 3 }),
    guarded,
  ]);
  lambda.subscribe((event) => {
    if (event.type === 'invoke-end')
      announced.push({
        type: event.type,
        requestId: event.result.requestId,
        function: event.result.function,
        payload: event.result.payload,
        functionError: event.result.functionError,
      });
    else if (event.type === 'log') announced.push({ type: event.type, requestId: event.requestId, function: event.function, line: event.line });
  });
  await serveInvokeApi(lambda);
});

after(async () => {
  await lambda?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The Invoke API, as the AWS SDK calls it, with the log tail. */
function invoke(name: string, payload: unknown, type: 'RequestResponse' | 'Event' = 'RequestResponse'): Promise<TailReply> {
  return invokeWithTail(`http://127.0.0.1:${lambda.port}`, name, payload, { 'X-Amz-Invocation-Type': type });
}

function assertSucceeded(reply: TailReply): void {
  assert.equal(reply.status, 200, reply.body);
  assert.equal(reply.headers['x-amz-function-error'], undefined, reply.body);
}

function assertFailed(reply: TailReply, errorType: string, message: RegExp): void {
  assert.equal(reply.status, 200, reply.body);
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled', reply.body);
  assert.equal(reply.json.errorType, errorType, reply.body);
  assert.match(String(reply.json.errorMessage), message);
}

/** A broken middleware fails the invocation naming itself and its hook, and the runner serves on. */
async function assertBroken(name: string, event: unknown, middleware: string, hook: string, what: RegExp): Promise<TailReply> {
  const reply = await invoke(name, event);
  assertFailed(reply, 'Middleware.Failed', new RegExp(`^Middleware "${middleware}" failed in its ${hook} hook: `));
  assert.match(reply.json.errorMessage, what);
  assert.equal(reply.json.middleware, middleware);
  assert.equal(reply.json.hook, hook);
  const healthy = await invoke('Probed', { trace: 'again' });
  assertSucceeded(healthy);
  assert.equal(healthy.json.trace, 'again,probe:before,handler,probe:after');
  return reply;
}

test("before replaces the event and after replaces the response, with the invocation's context", async () => {
  const reply = await invoke('Probed', { trace: 'start' });
  assertSucceeded(reply);
  const requestId = String(reply.headers['x-amzn-requestid']);
  assert.equal(reply.json.trace, 'start,probe:before,handler,probe:after');
  assert.equal(reply.json.context.requestId, requestId);
  assert.equal(reply.json.context.functionName, 'Probed');
  assert.ok(reply.json.context.deadlineMs > Date.now() - 1000, `the deadline is the function's: ${reply.json.context.deadlineMs}`);
  const lines = reply.logs.split('\n');
  for (const hook of ['before', 'after'])
    assert.ok(
      lines.some((l) => new RegExp(`^MIDDLEWARE probe ${hook} \\d+\\.\\d\\d ms$`).test(l)),
      reply.logs,
    );
  const order = ['MIDDLEWARE probe before', 'START RequestId', 'echo handler ran', 'MIDDLEWARE probe after'].map((p) => lines.findIndex((l) => l.includes(p)));
  assert.ok(
    order.every((at, i) => at >= 0 && (i === 0 || at > order[i - 1]!)),
    `befores, the function, afters in order: ${reply.logs}`,
  );
});

test('each hook call runs in a fresh instance: the global counter never passes 1', async () => {
  for (let i = 0; i < 3; i++) {
    const reply = await invoke('Probed', { trace: '' });
    assert.equal(reply.json.beforeCalls, 1);
    assert.equal(reply.json.afterCalls, 1);
  }
  const recovered = await invoke('Probed', { throw: 'recover me' });
  assert.deepEqual(recovered.json, { recoveredFrom: 'TypeError', errorCalls: 1 });
});

test("chains mixing an executable and a component middleware keep Middy's order, both ways round", async () => {
  assert.equal((await invoke('ExecutableFirst', { trace: 's' })).json.trace, 's,node:before,probe:before,handler,probe:after,node:after');
  assert.equal((await invoke('ComponentFirst', { trace: 's' })).json.trace, 's,probe:before,node:before,handler,node:after,probe:after');
  // The error path: every error hook, in reverse order.
  const failed = await invoke('ExecutableFirst', { trace: 's', throw: 'boom' });
  assertFailed(failed, 'TypeError', /^boom,probe:error,node:error$/);
  const reversed = await invoke('ComponentFirst', { trace: 's', throw: 'boom' });
  assertFailed(reversed, 'TypeError', /^boom,node:error,probe:error$/);
});

test('respond from before answers at once: the later befores, the function and every after are skipped', async () => {
  const reply = await invoke('ExecutableFirst', { trace: 's', probe: { before: 'respond' } });
  assertSucceeded(reply);
  assert.deepEqual(reply.json, { answeredBy: 'probe:before' });
  assert.match(reply.logs, /MIDDLEWARE probe before \d+\.\d\d ms answered early/);
  assert.doesNotMatch(reply.logs, /START RequestId|echo handler ran/);
  assert.doesNotMatch(reply.logs, /MIDDLEWARE trace-node after/);
  // Component first: the executable's before never runs either.
  const first = await invoke('ComponentFirst', { trace: 's', probe: { before: 'respond' } });
  assert.deepEqual(first.json, { answeredBy: 'probe:before' });
  assert.doesNotMatch(first.logs, /MIDDLEWARE trace-node/);
});

test('respond from after replaces the response and skips the remaining afters', async () => {
  const reply = await invoke('ExecutableFirst', { trace: 's', probe: { after: 'respond' } });
  assertSucceeded(reply);
  assert.deepEqual(reply.json, { answeredBy: 'probe:after' });
  assert.match(reply.logs, /echo handler ran/);
  assert.doesNotMatch(reply.logs, /MIDDLEWARE trace-node after/);
});

test("fail from before gives the middleware's error, the function is skipped and every error hook sees it", async () => {
  const reply = await invoke('ExecutableFirst', { trace: 's', probe: { before: 'fail' } });
  assertFailed(reply, 'ProbeRefused', /^probe refused in before,probe:error,node:error$/);
  assert.match(reply.logs, /MIDDLEWARE probe before \d+\.\d\d ms raised ProbeRefused/);
  assert.doesNotMatch(reply.logs, /echo handler ran/);
  const fromAfter = await invoke('Probed', { probe: { after: 'fail' } });
  assertFailed(fromAfter, 'ProbeRefused', /^probe refused in after,probe:error$/);
  assert.match(fromAfter.logs, /MIDDLEWARE probe after \d+\.\d\d ms raised ProbeRefused/);
});

test('a trap fails the invocation naming the middleware and hook, with what the guest said; no error hook runs', async () => {
  const reply = await assertBroken('ExecutableFirst', { trace: 's', probe: { before: 'throw' } }, 'probe', 'before', /trapped.*probe blew up in before/);
  assert.doesNotMatch(reply.logs, /node:error|MIDDLEWARE trace-node error/);
  assert.match(reply.logs, /\[probe\] .*probe blew up in before/);
  await assertBroken('Probed', { probe: { after: 'throw' } }, 'probe', 'after', /trapped.*probe blew up in after/);
});

test("an infinite loop is stopped at the middleware's own timeout; the pool heals", async () => {
  await assertBroken(
    'Slow',
    { trace: 's', probe: { before: 'loop' } },
    'slow',
    'before',
    /did not answer within its 1000 ms timeout, so the runner stopped it/,
  );
  await assertBroken('Slow', { trace: 's', probe: { after: 'loop' } }, 'slow', 'after', /did not answer within its 1000 ms timeout/);
  assert.ok(runner.workerCount <= 2, `at most the pool size of workers (${runner.workerCount})`);
});

test('a middleware importing what no middleware is granted is refused on load, naming the import', async () => {
  await assertBroken(
    'Vault',
    { trace: 's' },
    'vault',
    'before',
    /Runtime\.ImportNotGranted: middlewares\/vault\.wasm \(middleware vault\) imports acme:secrets\/vault@0\.1\.0, which a component middleware is not granted/,
  );
});

test('a function component, bytes that are not WebAssembly and a core module each fail with a sentence', async () => {
  await assertBroken(
    'NotAMiddleware',
    {},
    'not-a-middleware',
    'before',
    /is a function component \(it exports open-runtime:lambda\/handler@0\.1\.0\), not a middleware\. Build it for the world "middleware"/,
  );
  await assertBroken(
    'Garbage',
    {},
    'garbage',
    'before',
    /Runtime\.InvalidEntrypoint: middlewares\/garbage\.wasm \(middleware garbage\) is not a WebAssembly component/,
  );
  await assertBroken(
    'CoreModule',
    {},
    'core-module',
    'before',
    /is a core WebAssembly module, not a component\. Make it a component of the world "middleware"/,
  );
});

test('a rebuilt middleware is picked up on the next call', async () => {
  const middlewares = join(dir, 'middlewares');
  copyFileSync(join(middlewares, 'probe.wasm'), join(middlewares, 'swap.wasm'));
  assert.equal((await invoke('Swapped', { trace: '' })).json.trace, ',probe:before,handler,probe:after');
  copyFileSync(join(middlewares, 'not-a-middleware.wasm'), join(middlewares, 'swap.wasm'));
  await assertBroken('Swapped', {}, 'swap', 'before', /not a middleware/);
  copyFileSync(join(middlewares, 'probe.wasm'), join(middlewares, 'swap.wasm'));
  assert.equal((await invoke('Swapped', { trace: '' })).json.trace, ',probe:before,handler,probe:after');
});

test('a component middleware around a component function: both on the one shared worker pool', async () => {
  const reply = await invoke('ProbedComponent', { trace: 'wasm' });
  assertSucceeded(reply);
  assert.equal(reply.json.trace, 'wasm,probe:before,probe:after');
  assert.equal(reply.json.beforeCalls, 1);
  assert.match(reply.logs, /REPORT RequestId: /);
  assert.ok(runner.workerCount <= 2);
});

test("over a component function's concurrency an Event invoke waits for its turn; RequestResponse still gets 429", async () => {
  const busy = invoke('Busy', { mode: 'loop' });
  // Wait until the looping invocation is running in the function's one slot.
  await waitFor(() => announced.some((e) => e.type === 'log' && e.function === 'Busy' && e.line === 'looping'), 'the looping invocation to start');
  const refused = await invoke('Busy', { n: 0 });
  assert.equal(refused.status, 429, refused.body);
  assert.equal(refused.json.__type, 'TooManyRequestsException');
  const queued = [await invoke('Busy', { n: 1 }, 'Event'), await invoke('Busy', { n: 2 }, 'Event')];
  for (const reply of queued) assert.equal(reply.status, 202, reply.body);
  assertFailed(await busy, 'Sandbox.Timedout', /Task timed out after 3\.00 seconds/);
  const ids = queued.map((r) => String(r.headers['x-amzn-requestid']));
  const ended = () => announced.filter((e) => e.type === 'invoke-end' && ids.includes(e.requestId!));
  await waitFor(() => ended().length === 2, 'both queued events to complete');
  // They ran one after the other, in the order they came, each with its own event.
  assert.deepEqual(
    ended().map((e) => [e.requestId, e.functionError, JSON.parse(e.payload!)]),
    ids.map((id, i) => [id, undefined, { n: i + 1 }]),
  );
});

test('the example http-guard middleware (examples/template.yaml HelloWasmGuarded): 405 early, headers after, 400 on a bad body', async () => {
  const query = JSON.parse(readFileSync(join(EXAMPLES, 'events', 'hello-query.json'), 'utf8'));
  const ok = await invoke('HelloWasmGuarded', query);
  assertSucceeded(ok);
  assert.equal(ok.json.statusCode, 200);
  assert.equal(JSON.parse(ok.json.body).message, 'Hello, Ada!');
  assert.equal(ok.json.headers['x-content-type-options'], 'nosniff');
  assert.match(ok.logs, /\[request-log\] request-log: GET \/hello/);
  assert.match(ok.logs, /MIDDLEWARE http-guard after/);

  const denied = await invoke('HelloWasmGuarded', {
    ...query,
    requestContext: { ...query.requestContext, http: { ...query.requestContext.http, method: 'DELETE' } },
  });
  assert.equal(denied.json.statusCode, 405);
  assert.match(JSON.parse(denied.json.body).message, /Method DELETE is not allowed here/);
  assert.doesNotMatch(denied.logs, /START RequestId/);

  const body = JSON.parse(readFileSync(join(EXAMPLES, 'events', 'hello-body.json'), 'utf8'));
  assert.equal(JSON.parse((await invoke('HelloWasmGuarded', body)).json.body).message, 'Hello, Grace!');
  const broken = await invoke('HelloWasmGuarded', { ...body, body: '{"name": ' });
  assert.equal(broken.json.statusCode, 400);
  assert.match(JSON.parse(broken.json.body).message, /^The body is not valid JSON/);
});

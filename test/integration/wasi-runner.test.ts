// The WASI component runner behind the real LocalLambda and Invoke API, with C components built in this file
// from source (clang + jco): results and typed errors, the Lambda log lines, per-invocation isolation and
// opt-in reuse, every kind of bad component and misbehaving guest (each a clear error for that invocation,
// the runner serving on afterwards), capabilities (env, preopens, symlinks, hosts, imports) and concurrency.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { createComponentRunner, type ComponentRunner } from '../../runner/runtimes/wasi/index.ts';
import { buildComponent, WIT_DIR } from '../../runner/build/components.ts';
import { componentInterface, componentInterfaceOfFile } from '../../runner/runtimes/wasi/component-wit.ts';
import { invokeWithTail, serveInvokeApi, type TailReply } from './support/runner.ts';

const ROOT = join(import.meta.dirname, '..', '..');
let dir: string;
let lambda: LocalLambda;
let runner: ComponentRunner;

/** A handler-world function whose behaviour the event picks: {"mode": "..."}. */
const MISBEHAVING_C = String.raw`
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "open_runtime_lambda.h"

static int count = 0;
static void *kept = 0; /* allocations stay reachable, so the compiler can't elide them */

static int field(const char *json, const char *key, char *out, size_t size) {
  char pattern[64];
  snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
  const char *at = strstr(json, pattern);
  if (!at) return 0;
  at += strlen(pattern);
  size_t n = 0;
  while (*at && *at != '"' && n + 1 < size) out[n++] = *at++;
  out[n] = 0;
  return 1;
}

static char *json_or_null(const char *value) {
  char *out = malloc(512);
  if (value) snprintf(out, 512, "\"%s\"", value); else strcpy(out, "null");
  return out;
}

lambda_result lambda_handle(const char *event, size_t event_len, const lambda_context *ctx) {
  (void)event_len;
  count++;
  char mode[32] = "", path[256] = "";
  field(event, "mode", mode, sizeof mode);
  field(event, "path", path, sizeof path);
  if (!strcmp(mode, "trap")) __builtin_trap();
  if (!strcmp(mode, "loop")) { printf("looping forever\n"); fflush(stdout); volatile unsigned x = 0; for (;;) x++; }
  if (!strcmp(mode, "exit")) { printf("exiting\n"); exit(3); }
  if (!strcmp(mode, "alloc")) {
    for (int mb = 1;; mb++) {
      char *p = malloc(1 << 20);
      if (!p) { fprintf(stderr, "malloc failed after %d MB\n", mb); abort(); }
      *(void **)p = kept;
      kept = p;
    }
  }
  if (!strcmp(mode, "touch")) {
    /* Code written for Linux, where malloc never fails: it writes through whatever malloc returned. */
    for (;;) {
      char *p = malloc(1 << 20);
      memset(p, 1, 1 << 20);
      *(void **)p = kept;
      kept = p;
    }
  }
  if (!strcmp(mode, "fail")) return lambda_error("OrderNotFound", "no order %d", 42);
  if (!strcmp(mode, "env")) {
    char *secret = json_or_null(getenv("SECRET")), *home = json_or_null(getenv("HOME")), *pth = json_or_null(getenv("PATH"));
    char *body = malloc(1024);
    snprintf(body, 1024, "{\"SECRET\":%s,\"HOME\":%s,\"PATH\":%s}", secret, home, pth);
    free(secret); free(home); free(pth);
    return lambda_ok_owned(body);
  }
  if (!strcmp(mode, "read")) {
    FILE *f = fopen(path, "r");
    if (!f) return lambda_error("ReadFailed", "%s: %s", path, strerror(errno));
    char buf[256] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    char *body = malloc(512);
    snprintf(body, 512, "{\"content\":\"%s\"}", strtok(buf, "\n") ? buf : "");
    return lambda_ok_owned(body);
  }
  if (!strcmp(mode, "write")) {
    FILE *f = fopen(path, "w");
    if (!f) return lambda_error("WriteFailed", "%s: %s", path, strerror(errno));
    fputs("written by the guest\n", f);
    fclose(f);
    return lambda_ok("{\"written\":true}");
  }
  printf("count %d in %s\n", count, ctx->function_name);
  fprintf(stderr, "a line on stderr\n");
  char *body = malloc(512);
  snprintf(body, 512, "{\"count\":%d,\"requestId\":\"%s\",\"functionName\":\"%s\",\"memoryLimitMb\":%u,\"deadlineInFuture\":%s}",
           count, ctx->request_id, ctx->function_name, ctx->memory_limit_mb, ctx->deadline_ms > 1700000000000ULL ? "true" : "false");
  return lambda_ok_owned(body);
}
`;

/** A component of a world of its own: it exports acme:tools/run, not the handler. */
const OTHER_EXPORT_C = String.raw`
__attribute__((export_name("acme:tools/run@0.1.0#run"))) int run(void) { return 7; }
`;
const OTHER_EXPORT_WIT = `package acme:tools@0.1.0;
interface run { run: func() -> u32; }
world tool { export run; }
`;

/** A handler that also imports acme:secrets/vault, which no function can be granted. */
const VAULT_C = String.raw`
#include "open_runtime_lambda.h"
__attribute__((import_module("acme:secrets/vault@0.1.0"), import_name("get"))) extern int vault_get(void);
lambda_result lambda_handle(const char *event, size_t len, const lambda_context *ctx) {
  (void)len; (void)ctx;
  if (event[0] == 'x') return lambda_error("Vault", "%d", vault_get());
  return lambda_ok("{}");
}
`;
const VAULT_WIT = `package acme:secrets@0.1.0;
interface vault { get: func() -> s32; }
world vaulted {
  import vault;
  export open-runtime:lambda/handler@0.1.0;
}
`;

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  assert.equal(result.status, 0, `${command} ${args.join(' ')} failed: ${result.stderr}`);
}

/** A WIT folder: `world` as the root package, the project's handler world as a dependency. */
function witFolder(name: string, world: string): string {
  const wit = join(dir, `wit-${name}`);
  mkdirSync(join(wit, 'deps', 'lambda'), { recursive: true });
  writeFileSync(join(wit, 'world.wit'), world);
  cpSync(join(WIT_DIR, 'lambda.wit'), join(wit, 'deps', 'lambda', 'lambda.wit'));
  return wit;
}

async function cComponent(name: string, source: string, wit: string, world: string): Promise<string> {
  const tools = await import('@bytecodealliance/jco-transpile/wasm-tools');
  const src = join(dir, `${name}.c`);
  const core = join(dir, `${name}.core.wasm`);
  writeFileSync(src, source);
  run('clang', ['--target=wasm32-wasi', '-mexec-model=reactor', '-O2', '-I', join(WIT_DIR, 'c'), '-o', core, src]);
  const embedded = await tools.componentEmbed({ binary: readFileSync(core), witPath: wit, world });
  const adapter = readFileSync(join(ROOT, 'node_modules', '@bytecodealliance', 'jco', 'lib', 'wasi_snapshot_preview1.reactor.wasm'));
  const component = await tools.componentNew(embedded, [['wasi_snapshot_preview1', adapter]]);
  const out = join(dir, 'code', `${name}.wasm`);
  writeFileSync(out, component);
  return out;
}

function fn(name: string, handler: string, extra: Partial<FunctionInput> = {}) {
  return parseFunction({ name, runtime: 'wasi', handler, codeUri: join(dir, 'code'), timeout: 5, ...extra }, 'test');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'or-wasi-runner-'));
  const code = join(dir, 'code');
  mkdirSync(join(code, 'data'), { recursive: true });
  mkdirSync(join(code, 'scratch'), { recursive: true });
  writeFileSync(join(code, 'data', 'hello.txt'), 'hello from a preopen\n');
  writeFileSync(join(code, 'outside.txt'), 'not for the guest\n');
  mkdirSync(join(dir, 'elsewhere'));
  writeFileSync(join(dir, 'elsewhere', 'secret.txt'), 'not for the guest either\n');
  symlinkSync(join(dir, 'elsewhere'), join(code, 'data', 'escape'));
  writeFileSync(join(code, 'misbehave.c'), MISBEHAVING_C);

  // The handler world through the project's own build (clang + jco embed + jco new).
  const built = await buildComponent(fn('Build', 'misbehave.wasm', { component: { build: { language: 'c', source: 'misbehave.c' } } }));
  assert.equal(built.output, join(code, 'misbehave.wasm'));
  run('clang', [
    '--target=wasm32-wasi',
    '-mexec-model=reactor',
    '-O2',
    '-I',
    join(WIT_DIR, 'c'),
    '-o',
    join(code, 'core-module.wasm'),
    join(code, 'misbehave.c'),
  ]);
  writeFileSync(join(code, 'garbage.wasm'), 'this is not webassembly at all');
  const component = readFileSync(built.output);
  writeFileSync(join(code, 'truncated.wasm'), component.subarray(0, Math.floor(component.length / 2)));

  const otherWit = join(dir, 'wit-other');
  mkdirSync(otherWit);
  writeFileSync(join(otherWit, 'tool.wit'), OTHER_EXPORT_WIT);
  await cComponent('other-export', OTHER_EXPORT_C, otherWit, 'tool');
  await cComponent('vault', VAULT_C, witFolder('vault', VAULT_WIT), 'vaulted');

  lambda = new LocalLambda({ hotReload: false });
  runner = createComponentRunner({ cacheDir: join(dir, 'cache'), workers: 2 });
  lambda.setComponentRunner(runner);
  const preopens = [
    { host: 'data', guest: '/data', readOnly: true },
    { host: 'scratch', guest: '/scratch', readOnly: false },
  ];
  lambda.setFunctions([
    fn('Guest', 'misbehave.wasm', { environment: { SECRET: 's3cr3t' }, component: { preopens }, timeout: 1 }),
    fn('Reused', 'misbehave.wasm', { component: { reuseInstance: true } }),
    fn('Single', 'misbehave.wasm', { concurrency: 1, timeout: 2 }),
    fn('AsHttp', 'misbehave.wasm', { component: { world: 'http' } }),
    fn('CoreModule', 'core-module.wasm'),
    fn('Garbage', 'garbage.wasm'),
    fn('Truncated', 'truncated.wasm'),
    fn('OtherExport', 'other-export.wasm'),
    fn('Vault', 'vault.wasm'),
    fn('Missing', 'build/not-built.wasm'),
  ]);
  await serveInvokeApi(lambda);
});

after(async () => {
  await lambda?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The Invoke API, as the AWS SDK calls it, with the log tail. */
function invoke(name: string, payload: unknown): Promise<TailReply> {
  return invokeWithTail(`http://127.0.0.1:${lambda.port}`, name, payload);
}

function assertFailed(reply: TailReply, errorType: string, message: RegExp): void {
  assert.equal(reply.status, 200, reply.body);
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled');
  assert.equal(reply.json.errorType, errorType, reply.body);
  assert.match(String(reply.json.errorMessage), message);
}

/** The runner still answers normally: the guest of `Guest` runs and returns its count. */
async function assertStillServing(): Promise<void> {
  const reply = await invoke('Guest', {});
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['x-amz-function-error'], undefined, reply.body);
  assert.equal(reply.json.count, 1);
}

test('a handler-world component answers with its result, the Lambda context and the exact log lines', async () => {
  const reply = await invoke('Guest', { hello: 'world' });
  assert.equal(reply.status, 200);
  assert.equal(reply.headers['x-amz-function-error'], undefined, reply.body);
  const requestId = String(reply.headers['x-amzn-requestid']);
  assert.deepEqual(reply.json, { count: 1, requestId, functionName: 'Guest', memoryLimitMb: 128, deadlineInFuture: true });
  const lines = reply.logs.split('\n').filter((l) => l !== '');
  assert.equal(lines[0], `START RequestId: ${requestId} Version: $LATEST`);
  assert.ok(lines.includes('count 1 in Guest'), reply.logs);
  assert.ok(lines.includes('a line on stderr'), reply.logs);
  assert.equal(lines.at(-2), `END RequestId: ${requestId}`);
  assert.match(
    lines.at(-1)!,
    new RegExp(
      `^REPORT RequestId: ${requestId}\\tDuration: \\d+\\.\\d{2} ms\\tBilled Duration: \\d+ ms\\tMemory Size: 128 MB\\tMax Memory Used: \\d+ MB(\\tInit Duration: \\d+\\.\\d{2} ms)?\\t$`,
    ),
  );
});

test('each invocation gets a fresh instance: a global counter does not persist', async () => {
  for (let i = 0; i < 3; i++) assert.equal((await invoke('Guest', {})).json.count, 1);
});

test('with reuseInstance the instance is kept: the counter persists, and a trap starts it over', async () => {
  assert.equal((await invoke('Reused', {})).json.count, 1);
  assert.equal((await invoke('Reused', {})).json.count, 2);
  assert.equal((await invoke('Reused', {})).json.count, 3);
  // A typed error leaves the instance usable...
  assertFailed(await invoke('Reused', { mode: 'fail' }), 'OrderNotFound', /^no order 42$/);
  assert.equal((await invoke('Reused', {})).json.count, 5);
  // ...a trap does not.
  assertFailed(await invoke('Reused', { mode: 'trap' }), 'Runtime.WasmTrap', /unreachable/);
  assert.equal((await invoke('Reused', {})).json.count, 1);
});

test('a guest result::err becomes the typed error it carried', async () => {
  const reply = await invoke('Guest', { mode: 'fail' });
  assertFailed(reply, 'OrderNotFound', /^no order 42$/);
});

test('a trap fails that invocation with Runtime.WasmTrap and the wasm frames; the runner keeps serving', async () => {
  const reply = await invoke('Guest', { mode: 'trap' });
  assertFailed(reply, 'Runtime.WasmTrap', /The component trapped: .*unreachable/);
  assert.ok(Array.isArray(reply.json.stackTrace) && (reply.json.stackTrace as string[]).some((l) => l.includes('wasm')), reply.body);
  assert.match(reply.logs, /Runtime\.WasmTrap: The component trapped/);
  await assertStillServing();
});

test('an infinite loop is stopped at the deadline with Sandbox.Timedout; its output stays in the log and the pool heals', async () => {
  const reply = await invoke('Guest', { mode: 'loop' });
  assertFailed(reply, 'Sandbox.Timedout', /Task timed out after 1\.00 seconds/);
  assert.match(reply.logs, /looping forever/);
  assert.match(reply.logs, /Task timed out after 1\.00 seconds/);
  assert.match(reply.logs, /REPORT RequestId/);
  await assertStillServing();
  await assertStillServing();
  assert.ok(runner.workerCount <= 2, `at most the pool size of workers (${runner.workerCount})`);
});

test('memory is capped by MemorySize: exhausting it is Runtime.OutOfMemory, and the runner keeps serving', async () => {
  const reply = await invoke('Reused', { mode: 'alloc' });
  assertFailed(reply, 'Runtime.OutOfMemory', /ran out of memory: it grew its linear memory past the 128 MB its MemorySize allows \(it had 1\d\d MB\)/);
  // As a Lambda process past its memory is killed, the guest is stopped when it grows past the cap: its malloc
  // never returns NULL.
  assert.doesNotMatch(reply.logs, /malloc failed/);
  assert.match(reply.logs, /Max Memory Used: 1[0-2]\d MB/);
  await assertStillServing();
});

test('a guest that writes through what malloc returned fails with Runtime.OutOfMemory at the cap, not at its Timeout', async () => {
  // With a failed memory.grow, malloc returned NULL, and address 0 is writable linear memory: the guest wrote
  // over its own heap and spun until the Timeout (5 s here).
  const reply = await invoke('Reused', { mode: 'touch' });
  assertFailed(reply, 'Runtime.OutOfMemory', /ran out of memory: it grew its linear memory past the 128 MB its MemorySize allows \(it had 12\d MB\)/);
  assert.match(reply.logs, /Max Memory Used: 128 MB/);
  await assertStillServing();
});

test('a guest exit ends the invocation with Runtime.ExitError, never the host', async () => {
  const reply = await invoke('Guest', { mode: 'exit' });
  assertFailed(reply, 'Runtime.ExitError', /called exit \(error status\).*keeps serving/);
  assert.match(reply.logs, /exiting/);
  await assertStillServing();
});

test("the guest sees the function's Environment only", async () => {
  const reply = await invoke('Guest', { mode: 'env' });
  assert.deepEqual(reply.json, { SECRET: 's3cr3t', HOME: null, PATH: null });
});

test('files: preopens are readable, read-only unless granted, and nothing outside them is reachable', async () => {
  assert.deepEqual((await invoke('Guest', { mode: 'read', path: '/data/hello.txt' })).json, { content: 'hello from a preopen' });
  // Outside every preopen: the guest's fopen fails.
  assertFailed(await invoke('Guest', { mode: 'read', path: '/etc/hostname' }), 'ReadFailed', /^\/etc\/hostname: /);
  assertFailed(await invoke('Guest', { mode: 'read', path: '/data/../outside.txt' }), 'ReadFailed', /^\/data\/\.\.\/outside\.txt: /);
  // A symlink inside the preopen that points out of it is not followed.
  assertFailed(await invoke('Guest', { mode: 'read', path: '/data/escape/secret.txt' }), 'ReadFailed', /^\/data\/escape\/secret\.txt: /);
  // /data is read-only; /scratch is writable.
  assertFailed(await invoke('Guest', { mode: 'write', path: '/data/new.txt' }), 'WriteFailed', /^\/data\/new\.txt: /);
  assert.equal(existsSync(join(dir, 'code', 'data', 'new.txt')), false);
  assert.deepEqual((await invoke('Guest', { mode: 'write', path: '/scratch/new.txt' })).json, { written: true });
  assert.equal(readFileSync(join(dir, 'code', 'scratch', 'new.txt'), 'utf8'), 'written by the guest\n');
  // A function without preopens sees no files at all.
  assertFailed(await invoke('Reused', { mode: 'read', path: '/data/hello.txt' }), 'ReadFailed', /^\/data\/hello\.txt: /);
});

test('bad components: each invocation gets a clear error and the runner keeps serving', async () => {
  assertFailed(
    await invoke('Garbage', {}),
    'Runtime.InvalidEntrypoint',
    /garbage\.wasm \(function Garbage\) is not a WebAssembly component: .*first bytes are 74 68 69 73/,
  );
  assertFailed(
    await invoke('CoreModule', {}),
    'Runtime.InvalidEntrypoint',
    /core-module\.wasm \(function CoreModule\) is a core WebAssembly module, not a component/,
  );
  assertFailed(await invoke('Truncated', {}), 'Runtime.InvalidEntrypoint', /truncated\.wasm \(function Truncated\) is not a valid WebAssembly component: /);
  assertFailed(
    await invoke('OtherExport', {}),
    'Runtime.InvalidEntrypoint',
    /does not export open-runtime:lambda\/handler@0\.1\.0; it exports acme:tools\/run@0\.1\.0/,
  );
  assertFailed(await invoke('AsHttp', {}), 'Runtime.InvalidEntrypoint', /is a handler-world component .* but the function uses the http world/);
  assertFailed(
    await invoke('Vault', {}),
    'Runtime.ImportNotGranted',
    /vault\.wasm \(function Vault\) imports acme:secrets\/vault@0\.1\.0, which the function was not granted: Open Runtime does not provide it/,
  );
  const missing = await invoke('Missing', {});
  assertFailed(missing, 'Runtime.InvalidEntrypoint', /build\/not-built\.wasm \(function Missing\) does not exist/);
  assert.match(missing.logs, /^START RequestId: .*\nRuntime\.InvalidEntrypoint: .*\nEND RequestId: .*\nREPORT RequestId: /);
  await assertStillServing();
});

test('a rebuilt component is picked up on the next invocation', async () => {
  const code = join(dir, 'code');
  cpSync(join(code, 'misbehave.wasm'), join(code, 'swap.wasm'));
  lambda.addFunction(fn('Swap', 'swap.wasm'));
  assert.equal((await invoke('Swap', {})).json.count, 1);
  cpSync(join(code, 'garbage.wasm'), join(code, 'swap.wasm'));
  assertFailed(await invoke('Swap', {}), 'Runtime.InvalidEntrypoint', /not a WebAssembly component/);
  cpSync(join(code, 'misbehave.wasm'), join(code, 'swap.wasm'));
  assert.equal((await invoke('Swap', {})).json.count, 1);
});

test("concurrency: past the function's limit the caller gets 429 TooManyRequestsException", async () => {
  const busy = invoke('Single', { mode: 'loop' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const second = await invoke('Single', {});
  assert.equal(second.status, 429, second.body);
  assert.equal(second.json.__type, 'TooManyRequestsException');
  assert.match(String(second.json.message), /Function Single already runs 1 concurrent invocations \(its concurrency limit is 1\)/);
  assertFailed(await busy, 'Sandbox.Timedout', /Task timed out after 2\.00 seconds/);
  assert.equal((await invoke('Single', {})).json.count, 1);
});

test('more invocations at once than worker threads: they queue for a worker, each in its own instance', async () => {
  const replies = await Promise.all(Array.from({ length: 6 }, () => invoke('Guest', {})));
  for (const reply of replies) assert.equal(reply.json.count, 1, JSON.stringify(reply.json));
  assert.equal(new Set(replies.map((r) => r.json.requestId)).size, 6);
  assert.ok(runner.workerCount <= 2);
});

test('Show Component Interface prints the WIT of a component, and says so for anything else', async () => {
  const wit = await componentInterface(readFileSync(join(dir, 'code', 'misbehave.wasm')));
  assert.match(wit, /export open-runtime:lambda\/handler@0\.1\.0;/);
  assert.match(wit, /import wasi:cli\/stdout@0\.2\.\d+;/);
  // The interfaces it names come with their contents: the handler's function signature and the types it uses.
  assert.match(
    wit,
    /package open-runtime:lambda@0\.1\.0 \{[\s\S]*interface handler \{[\s\S]*handle: func\(event: string, context: context\) -> result<string, function-error>;/,
  );
  assert.match(wit, /interface types \{[\s\S]*record context \{[\s\S]*request-id: string,/);
  assert.match(wit, /interface stdout \{[\s\S]*get-stdout: func\(\) -> output-stream;/);
  await assert.rejects(componentInterface(readFileSync(join(dir, 'code', 'core-module.wasm'))), /core WebAssembly module, not a component/);
  await assert.rejects(componentInterface(readFileSync(join(dir, 'code', 'garbage.wasm'))), /not WebAssembly/);
  await assert.rejects(componentInterface(readFileSync(join(dir, 'code', 'truncated.wasm'))), /could not be read: /);
  assert.equal(await componentInterfaceOfFile(join(dir, 'code', 'misbehave.wasm')), wit);
  await assert.rejects(componentInterfaceOfFile(join(dir, 'code', 'nowhere.wasm')), /nowhere\.wasm: it does not exist\. Build the component first/);
});

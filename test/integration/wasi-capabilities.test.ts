// Components with key-value, config and messaging (issue 20): a component built in the test from ops.js
// (componentize-js) runs each interface through the real Invoke API, with the built-in providers (SQLite under
// .open-runtime/, template + env file values, local functions), the example Python provider and a fake faulty
// one; the same .wasm serves every provider (a swap needs no rebuild); a provider that crashes, hangs or prints
// garbage gives an error naming it and the runner keeps serving.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatabaseSync } from 'node:sqlite';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { FunctionSpec, type FunctionInput } from '../../runner/functions/model.ts';
import { createComponentRunner, type ComponentRunner } from '../../runner/runtimes/wasi/index.ts';
import { buildComponent } from '../../runner/build/components.ts';
import { loadTemplate } from '../../runner/functions/template.ts';
import { componentInterfaceOfFile } from '../../runner/runtimes/wasi/component-wit.ts';
import { componentCapabilities, listKeyValue } from '../../runner/runtimes/wasi/capabilities/describe.ts';
import { invokeWithTail, serveInvokeApi, FIXTURES, ROOT } from './support/runner.ts';

const OPS = join(FIXTURES, 'components', 'kv-ops');
const PYTHON_PROVIDER = join(ROOT, 'examples', 'providers', 'kv_provider.py');
const BASH_PROVIDER = join(ROOT, 'examples', 'providers', 'kv-provider.sh');
const EXAMPLES_TEMPLATE = join(ROOT, 'examples', 'template.yaml');
let work: string;
let lambda: LocalLambda;
let runner: ComponentRunner;

type Grants = Pick<NonNullable<FunctionInput['component']>, 'keyValue' | 'config' | 'messaging'>;

function opsFunction(name: string, grants: Partial<Grants>, extra: Partial<FunctionSpec> = {}): FunctionSpec {
  return FunctionSpec.parse({
    name,
    runtime: 'wasi',
    handler: 'build/ops.wasm',
    codeUri: OPS,
    timeout: 10,
    // The project's folder (where .open-runtime/ goes) is the test's own.
    source: { file: join(work, 'template.yaml'), line: 1 },
    component: {
      keyValue: { default: { provider: 'local' }, other: { provider: 'local' } },
      config: { values: { greeting: 'Hello', region: 'template wins' }, envFile: join(work, 'config.env') },
      messaging: { subjects: { audit: 'OpsAudit', echo: 'OpsAudit', broken: 'Missing' } },
      ...grants,
      build: { language: 'js', source: 'ops.js' },
    },
    ...extra,
  });
}

const execKeyValue = (command: string[], timeoutMs?: number) => ({ default: { provider: 'exec' as const, command, ...(timeoutMs ? { timeoutMs } : {}) } });

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'or-wasi-caps-'));
  writeFileSync(join(work, 'config.env'), 'region=eu-west-1\nfrom_file=yes\n');
  // Built once (incrementally: unchanged sources keep the last build); every function below runs this file.
  await buildComponent(opsFunction('OpsLocal', {}));
  // The C example (clang + the project's canonical-ABI header), with its store in this test's project folder.
  const { functions } = await loadTemplate(EXAMPLES_TEMPLATE);
  const counterC = functions.find((f) => f.name === 'KvCounterC')!;
  await buildComponent(counterC);
  const inWork = { source: { file: join(work, 'template.yaml'), line: 1 } };
  // Providers run in the runner's environment (they serve many functions): the bash one keeps its files here.
  process.env.KV_DIR = join(work, 'bash-kv');
  runner = createComponentRunner({ cacheDir: join(work, 'cache'), workers: 2 });
  lambda = new LocalLambda({ hotReload: false });
  lambda.setComponentRunner(runner);
  lambda.setFunctions([
    opsFunction('OpsLocal', {}),
    opsFunction('OpsAudit', {}),
    opsFunction(
      'OpsPython',
      {
        keyValue: execKeyValue(['python3', PYTHON_PROVIDER]),
        config: { provider: 'exec', command: ['python3', PYTHON_PROVIDER], timeoutMs: 5000, values: {} },
      },
      { environment: {} },
    ),
    opsFunction('OpsFaulty', { keyValue: execKeyValue([process.execPath, 'faulty-provider.mjs'], 1500) }),
    opsFunction('OpsNoMessaging', { messaging: undefined }),
    { ...counterC, ...inWork },
    {
      ...counterC,
      ...inWork,
      name: 'KvCounterCBash',
      component: { ...counterC.component!, keyValue: { default: { provider: 'exec', command: [BASH_PROVIDER], timeoutMs: 5000 } } },
    },
  ]);
  await serveInvokeApi(lambda);
});

after(async () => {
  await lambda?.close();
  rmSync(work, { recursive: true, force: true });
});

interface Reply {
  functionError: string | undefined;
  json: unknown;
  logs: string;
}

async function invoke(name: string, payload: unknown): Promise<Reply> {
  const reply = await invokeWithTail(`http://127.0.0.1:${lambda.port}`, name, payload);
  return { functionError: reply.headers['x-amz-function-error'] as string | undefined, json: JSON.parse(reply.body), logs: reply.logs };
}

/** Runs the operations in the component; each answer is {ok: value} or {error: text}. */
async function ops(name: string, list: Array<Record<string, unknown>>): Promise<{ results: Array<{ ok?: unknown; error?: string }>; logs: string }> {
  const reply = await invoke(name, { ops: list });
  assert.equal(reply.functionError, undefined, `${JSON.stringify(reply.json)}\n${reply.logs}`);
  return { results: reply.json as Array<{ ok?: unknown; error?: string }>, logs: reply.logs };
}

test("the built-in key-value provider: store, atomics and batch, kept in SQLite under the project's .open-runtime/", async () => {
  const { results } = await ops('OpsLocal', [
    { op: 'set', key: 'name', value: 'Ada' },
    { op: 'get', key: 'name' },
    { op: 'get', key: 'absent' },
    { op: 'exists', key: 'name' },
    { op: 'increment', key: 'visits', delta: 2 },
    { op: 'increment', key: 'visits', delta: 3 },
    {
      op: 'set-many',
      entries: [
        ['a', '1'],
        ['b', '2'],
      ],
    },
    { op: 'get-many', keys: ['a', 'absent', 'b'] },
    { op: 'delete-many', keys: ['a'] },
    { op: 'delete', key: 'b' },
    { op: 'list' },
    { op: 'set', key: 'name', value: 'in the other store', store: 'other' },
    { op: 'get', key: 'name', store: 'other' },
    { op: 'open', store: 'not-granted' },
  ]);
  assert.deepEqual(results.slice(0, 13), [
    { ok: null },
    { ok: 'Ada' },
    { ok: null },
    { ok: true },
    { ok: 2 },
    { ok: 5 },
    { ok: null },
    { ok: [['a', '1'], null, ['b', '2']] },
    { ok: null },
    { ok: null },
    { ok: ['name', 'visits'] },
    { ok: null },
    { ok: 'in the other store' },
  ]);
  assert.equal(results[13]!.error, 'no-such-store');
  // Another invocation (a fresh instance, maybe another worker) sees the same store, and so does SQLite itself.
  assert.deepEqual((await ops('OpsLocal', [{ op: 'get', key: 'name' }])).results, [{ ok: 'Ada' }]);
  const db = new DatabaseSync(join(work, '.open-runtime', 'keyvalue', 'default.sqlite'), { readOnly: true });
  try {
    const row = db.prepare('SELECT value FROM kv WHERE key = ?').get('visits') as { value: Uint8Array };
    assert.equal(Buffer.from(row.value).toString(), '5');
  } finally {
    db.close();
  }
});

test('opening a store the function was not granted: the guest gets no-such-store and the log says how to grant it', async () => {
  const { results, logs } = await ops('OpsLocal', [{ op: 'open', store: 'secrets' }]);
  assert.deepEqual(results, [{ error: 'no-such-store' }]);
  assert.match(logs, /opened key-value store "secrets", which the function was not granted \(granted: default, other\)/);
});

test("config: the template's values over the env file's", async () => {
  const { results } = await ops('OpsLocal', [{ op: 'config', key: 'greeting' }, { op: 'config', key: 'absent' }, { op: 'config-all' }]);
  assert.deepEqual(results, [{ ok: 'Hello' }, { ok: null }, { ok: { region: 'template wins', from_file: 'yes', greeting: 'Hello' } }]);
});

test("messaging: publish invokes the subject's function, request returns its result, an unknown subject is an error", async () => {
  const { results } = await ops('OpsLocal', [
    { op: 'publish', subject: 'audit', body: 'order 42 paid' },
    { op: 'request', subject: 'echo', body: 'ping' },
    { op: 'publish', subject: 'nobody', body: 'x' },
  ]);
  assert.deepEqual(results[0], { ok: null });
  assert.deepEqual(JSON.parse(String(results[1]!.ok)), { echo: 'ping' });
  assert.match(String(results[2]!.error), /subject "nobody", which no function listens to \(granted subjects: audit, echo, broken\)/);
  // The published message reached OpsAudit, which stored it in the shared store.
  let stored: unknown;
  for (let i = 0; i < 100 && stored !== 'order 42 paid'; i++) {
    stored = (await ops('OpsLocal', [{ op: 'get', key: 'msg:audit' }])).results[0]!.ok;
    if (stored !== 'order 42 paid') await sleep(50);
  }
  assert.equal(stored, 'order 42 paid');
  const failed = await ops('OpsLocal', [{ op: 'request', subject: 'broken', body: 'x' }]);
  assert.match(
    String(failed.results[0]!.error),
    /the message to "broken" \(function Missing\) failed: function Missing could not be invoked: Function not found: Missing/,
  );
});

test('a component importing a capability the function was not granted is refused at load, naming the import and the setting', async () => {
  const reply = await invoke('OpsNoMessaging', { ops: [] });
  assert.equal(reply.functionError, 'Unhandled');
  const { errorType, errorMessage } = reply.json as { errorType: string; errorMessage: string };
  assert.equal(errorType, 'Runtime.ImportNotGranted');
  assert.match(
    errorMessage,
    /imports wasmcloud:messaging\/(types|consumer)@0\.2\.0, which the function was not granted: grant it in the template: add "messaging: \{ subjects: \{ orders: OrderFunction \} \}"/,
  );
});

test('an executable provider (the Python example): the same component, unchanged, long-lived across invocations', async () => {
  const wasm = statSync(join(OPS, 'build', 'ops.wasm'));
  const first = await ops('OpsPython', [
    { op: 'get', key: 'name' },
    { op: 'set', key: 'name', value: 'Grace' },
    { op: 'increment', key: 'n', delta: 7 },
    { op: 'set-many', entries: [['x', '1']] },
    { op: 'get-many', keys: ['x', 'y'] },
    { op: 'exists', key: 'x' },
    { op: 'config', key: 'greeting' },
  ]);
  // The Python store is its own (in memory): the name Ada the SQLite store holds is not there.
  assert.deepEqual(first.results, [{ ok: null }, { ok: null }, { ok: 7 }, { ok: null }, { ok: [['x', '1'], null] }, { ok: true }, { ok: null }]);
  const pids = runner.providers
    .running()
    .filter((p) => p.name.includes('kv_provider.py'))
    .map((p) => p.pid);
  assert.equal(pids.length, 1, JSON.stringify(runner.providers.running()));
  const second = await ops('OpsPython', [
    { op: 'get', key: 'name' },
    { op: 'increment', key: 'n', delta: 1 },
  ]);
  assert.deepEqual(second.results, [{ ok: 'Grace' }, { ok: 8 }]);
  assert.deepEqual(
    runner.providers
      .running()
      .filter((p) => p.name.includes('kv_provider.py'))
      .map((p) => p.pid),
    pids,
  );
  // Nothing was rebuilt: the same file served the SQLite and the Python functions.
  assert.equal(statSync(join(OPS, 'build', 'ops.wasm')).mtimeMs, wasm.mtimeMs);
});

test("swapping a function's provider in the template takes effect at the next invocation, without a rebuild", async () => {
  await ops('OpsLocal', [{ op: 'set', key: 'swap', value: 'from SQLite' }]);
  const wasm = statSync(join(OPS, 'build', 'ops.wasm'));
  const swapped = opsFunction('OpsLocal', { keyValue: execKeyValue(['python3', PYTHON_PROVIDER]) });
  lambda.setFunctions([...lambda.listFunctions().filter((f) => f.name !== 'OpsLocal'), swapped]);
  assert.deepEqual((await ops('OpsLocal', [{ op: 'get', key: 'swap' }])).results, [{ ok: null }]);
  lambda.setFunctions([...lambda.listFunctions().filter((f) => f.name !== 'OpsLocal'), opsFunction('OpsLocal', {})]);
  assert.deepEqual((await ops('OpsLocal', [{ op: 'get', key: 'swap' }])).results, [{ ok: 'from SQLite' }]);
  assert.equal(statSync(join(OPS, 'build', 'ops.wasm')).mtimeMs, wasm.mtimeMs);
});

test('a provider that crashes, hangs or prints garbage: an error naming it, and the runner and the provider serve the next call', async () => {
  const name = `${process.execPath} faulty-provider.mjs`;
  const named = (text: string | undefined) => assert.ok(text?.includes(`the keyvalue provider \`${name}\``), text);

  const crashed = await ops('OpsFaulty', [
    { op: 'set', key: 'k', value: 'v' },
    { op: 'get', key: 'crash' },
    { op: 'get', key: 'k' },
    { op: 'set', key: 'k2', value: 'after the crash' },
    { op: 'get', key: 'k2' },
  ]);
  assert.deepEqual(crashed.results[0], { ok: null });
  named(crashed.results[1]!.error);
  assert.match(crashed.results[1]!.error!, /failed get: its process exited with code 3\. Its stderr: faulty provider: crashing on purpose/);
  // Restarted on the next call: a new process, with an empty memory.
  assert.deepEqual(crashed.results.slice(2), [{ ok: null }, { ok: null }, { ok: 'after the crash' }]);
  assert.match(crashed.logs, /wasi:keyvalue get on store "default" failed: the keyvalue provider .* exited with code 3/);

  const hung = await ops('OpsFaulty', [
    { op: 'get', key: 'hang' },
    { op: 'set', key: 'k3', value: 'after the hang' },
    { op: 'get', key: 'k3' },
  ]);
  named(hung.results[0]!.error);
  assert.match(hung.results[0]!.error!, /did not answer within 1500 ms; the runner stopped it/);
  assert.deepEqual(hung.results.slice(1), [{ ok: null }, { ok: 'after the hang' }]);

  const garbage = await ops('OpsFaulty', [
    { op: 'get', key: 'garbage' },
    { op: 'set', key: 'k4', value: 'after the garbage' },
    { op: 'get', key: 'k4' },
  ]);
  named(garbage.results[0]!.error);
  assert.match(garbage.results[0]!.error!, /printed a line that is not JSON .*: this is not JSON; the runner stopped it/);
  assert.deepEqual(garbage.results.slice(1), [{ ok: null }, { ok: 'after the garbage' }]);

  // Other functions were served all along.
  assert.deepEqual((await ops('OpsLocal', [{ op: 'get', key: 'name' }])).results, [{ ok: 'Ada' }]);
});

test('the C example: key-value (atomics, get, set) and config from its env file, with the built-in store and, unchanged, the bash provider', async () => {
  const first = await invoke('KvCounterC', { name: 'Ada' });
  assert.equal(first.functionError, undefined, JSON.stringify(first.json));
  assert.deepEqual(first.json, { message: 'Hi from config.env, Ada!', visits: 1, previous: '' });
  assert.deepEqual((await invoke('KvCounterC', { name: 'Bob' })).json, { message: 'Hi from config.env, Bob!', visits: 1, previous: 'Ada' });
  assert.deepEqual((await invoke('KvCounterC', { name: 'Ada' })).json, { message: 'Hi from config.env, Ada!', visits: 2, previous: 'Bob' });

  // The same .wasm on the bash + jq provider: its own store (files under the runner's KV_DIR).
  const bash = await invoke('KvCounterCBash', { name: 'Ada' });
  assert.equal(bash.functionError, undefined, `${JSON.stringify(bash.json)}\n${bash.logs}`);
  assert.deepEqual(bash.json, { message: 'Hi from config.env, Ada!', visits: 1, previous: '' });
  assert.deepEqual((await invoke('KvCounterCBash', { name: 'Ada' })).json, { message: 'Hi from config.env, Ada!', visits: 2, previous: 'Ada' });
});

test("the editor's component view lists each capability and its provider per function; the key-value browser lists the stores and entries", async () => {
  const file = join(OPS, 'build', 'ops.wasm');
  const wit = await componentInterfaceOfFile(file);
  // The WIT shows the capability interfaces' definitions too (shipped in wit/deps).
  assert.match(wit, /import wasi:keyvalue\/store@0\.2\.0-draft;/);
  assert.match(wit, /package wasi:keyvalue@0\.2\.0-draft \{[\s\S]*resource bucket \{[\s\S]*get: func\(key: string\) -> result<option<list<u8>>, error>;/);
  const rows = componentCapabilities(wit, file, lambda.listFunctions());
  const of = (fn: string) => rows.filter((r) => r.function === fn).map((r) => `${r.capability} ${r.name}: ${r.provider}`);
  assert.deepEqual(of('OpsAudit'), [
    `key-value default: built-in SQLite (${join(work, '.open-runtime', 'keyvalue', 'default.sqlite')})`,
    `key-value other: built-in SQLite (${join(work, '.open-runtime', 'keyvalue', 'other.sqlite')})`,
    'config config: built-in (3 values from the template / env file)',
    'messaging messaging: built-in: audit -> OpsAudit, echo -> OpsAudit, broken -> Missing',
  ]);
  assert.match(of('OpsPython')[0]!, /^key-value default: exec: python3 .*kv_provider\.py$/);
  assert.deepEqual(
    of('OpsNoMessaging').filter((r) => r.startsWith('messaging')),
    ['messaging : not granted: the runner refuses the component at load'],
  );

  const stores = listKeyValue(work, undefined);
  assert.deepEqual(stores.stores, ['default', 'other']);
  const entries = listKeyValue(work, 'other');
  assert.deepEqual(entries.entries, [{ key: 'name', value: 'in the other store', bytes: 18 }]);
  assert.throws(() => listKeyValue(work, 'nope'), /There is no built-in key-value store "nope" in .*; the stores are default, other\./);
});

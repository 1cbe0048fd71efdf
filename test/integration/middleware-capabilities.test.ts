// Component middlewares get the same capabilities as component functions (issue 20): a middleware built here
// (QuickJS) that counts calls in a key-value store and reads config, granted by its manifest
// (middlewares/<name>.json "capabilities"), around a real Node function; without the grant it is refused at load.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { parseFunction } from '../../runner/functions/model.ts';
import { createComponentRunner } from '../../runner/runtimes/wasi/index.ts';
import { createComponentMiddlewareHost } from '../../runner/runtimes/wasi/middleware-host.ts';
import { createMiddlewareRunner } from '../../runner/middleware/index.ts';
import { WIT_DIR } from '../../runner/build/components.ts';
import { buildMiddlewareComponent } from '../../examples/middlewares/components/build.ts';

// QuickJS (componentize-qjs) passes u64 as a number.
const COUNTER_JS = `
import { open } from 'wasi:keyvalue/store@0.2.0-draft';
import { increment } from 'wasi:keyvalue/atomics@0.2.0-draft';
import { get } from 'wasi:config/store@0.2.0-draft';
export function before(text) {
  const event = JSON.parse(text);
  const calls = Number(increment(open('default'), 'middleware-calls', 1));
  return { tag: 'next', val: JSON.stringify({ ...event, calls, greeting: get('greeting') ?? null }) };
}
export function after(text) { return { tag: 'next', val: text }; }
export function onError(info) { return { tag: 'fail', val: info }; }
`;

const WORLD = `package test:counted;

world counted-middleware {
  include open-runtime:middleware/middleware@0.1.0;
  import wasi:keyvalue/store@0.2.0-draft;
  import wasi:keyvalue/atomics@0.2.0-draft;
  import wasi:config/store@0.2.0-draft;
}
`;

let dir: string;
let lambda: LocalLambda;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'or-mw-caps-'));
  const middlewares = join(dir, 'middlewares');
  mkdirSync(middlewares);
  mkdirSync(join(dir, 'echo'));
  writeFileSync(join(dir, 'echo', 'index.mjs'), 'export const handler = async (event) => event;\n');
  // The middleware world with the capabilities imported, and the WIT packages it names.
  const wit = join(dir, 'wit');
  mkdirSync(join(wit, 'deps', 'middleware'), { recursive: true });
  writeFileSync(join(wit, 'world.wit'), WORLD);
  cpSync(join(WIT_DIR, 'middleware', 'middleware.wit'), join(wit, 'deps', 'middleware', 'middleware.wit'));
  for (const pkg of ['keyvalue', 'config']) cpSync(join(WIT_DIR, 'deps', pkg), join(wit, 'deps', pkg), { recursive: true });
  writeFileSync(join(dir, 'counted.js'), COUNTER_JS);
  await buildMiddlewareComponent({ source: join(dir, 'counted.js'), output: join(middlewares, 'counted.wasm'), witDir: wit, world: 'counted-middleware' });
  writeFileSync(
    join(middlewares, 'counted.json'),
    JSON.stringify({ capabilities: { keyValue: { default: { provider: 'local' } }, config: { values: { greeting: 'hi from the manifest' } } } }),
  );
  copyFileSync(join(middlewares, 'counted.wasm'), join(middlewares, 'ungranted.wasm'));

  lambda = new LocalLambda({ hotReload: false });
  const runner = createComponentRunner({ cacheDir: join(dir, 'cache'), workers: 2 });
  lambda.setComponentRunner(runner);
  lambda.setMiddlewareRunner(createMiddlewareRunner({ components: createComponentMiddlewareHost(runner) }));
  const echo = (name: string, middlewares: string[]) =>
    parseFunction(
      {
        name,
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        codeUri: join(dir, 'echo'),
        source: { file: join(dir, 'template.yaml'), line: 1 },
        timeout: 10,
        middlewares,
      },
      'test',
    );
  lambda.setFunctions([echo('Counted', ['counted']), echo('Ungranted', ['ungranted'])]);
});

after(async () => {
  await lambda?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function invoke(name: string, event: unknown): Promise<{ ok: boolean; body: unknown }> {
  const inv = lambda.invoke(name, Buffer.from(JSON.stringify(event)));
  const outcome = await inv.settled;
  return { ok: outcome.ok, body: JSON.parse(outcome.body.toString()) };
}

test("a component middleware granted key-value and config in its manifest uses them; the store is the project's", async () => {
  assert.deepEqual(await invoke('Counted', { order: 1 }), { ok: true, body: { order: 1, calls: 1, greeting: 'hi from the manifest' } });
  assert.deepEqual(await invoke('Counted', { order: 2 }), { ok: true, body: { order: 2, calls: 2, greeting: 'hi from the manifest' } });
  const db = new DatabaseSync(join(dir, '.open-runtime', 'keyvalue', 'default.sqlite'), { readOnly: true });
  try {
    assert.equal(Buffer.from((db.prepare('SELECT value FROM kv WHERE key = ?').get('middleware-calls') as { value: Uint8Array }).value).toString(), '2');
  } finally {
    db.close();
  }
});

test('the same middleware without the grant is refused at load, naming the import and the setting', async () => {
  const reply = await invoke('Ungranted', {});
  assert.equal(reply.ok, false);
  assert.match(
    JSON.stringify(reply.body),
    /imports wasi:keyvalue\/store@0\.2\.0-draft, which a component middleware is not granted: grant it in the middleware's manifest \(middlewares\/<name>\.json\) under \\"capabilities\\", with the settings a component function takes \(keyValue: \{ default: local \}/,
  );
});

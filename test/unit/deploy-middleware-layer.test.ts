// What deploy does to ship a chain, without a build: a custom runtime's bootstrap wrapped (run for real through
// /bin/sh), the chain resolved and what the layer's proxy can't run refused by name, interpreter notes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readZip, writeZip } from '../../runner/build/zip.ts';
import { parseFunction } from '../../runner/functions/model.ts';
import { layersAfterDeploy } from '../../runner/deploy/deploy-function.ts';
import {
  ChainNotShippable,
  chainLayerName,
  interpreterWarnings,
  shippableChain,
  WRAPPED_BOOTSTRAP,
  wrapBootstrap,
} from '../../runner/deploy/middleware-layer.ts';

const dir = mkdtempSync(join(tmpdir(), 'or-mw-layer-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const text = (s: string) => new TextEncoder().encode(s);

test("a custom runtime's bootstrap moves aside and a script starts the layer's wrapper with it, keeping the other files", () => {
  const zip = Buffer.from(
    writeZip([
      { name: 'bootstrap', data: text('#!/bin/sh\necho real "$@"\n'), mode: 0o755 },
      { name: 'lib/data.txt', data: text('data'), mode: 0o644 },
    ]),
  );
  const wrapped = readZip(wrapBootstrap(zip));
  const byName = new Map(wrapped.map((e) => [e.name, e]));
  assert.deepEqual([...byName.keys()].sort(), [WRAPPED_BOOTSTRAP, 'bootstrap', 'lib/data.txt']);
  assert.equal(byName.get(WRAPPED_BOOTSTRAP)!.mode! & 0o777, 0o755, 'the original keeps its mode');
  assert.equal(byName.get('bootstrap')!.mode! & 0o777, 0o755);
  assert.equal(Buffer.from(byName.get('lib/data.txt')!.read()).toString(), 'data');

  // Run it as Lambda would, with a stand-in for /opt/open-runtime-wrapper that shows what it was given.
  const root = join(dir, 'task');
  mkdirSync(join(root, '.open-runtime'), { recursive: true });
  mkdirSync(join(root, 'lib'), { recursive: true });
  for (const e of wrapped) {
    writeFileSync(join(root, e.name), e.read());
    chmodSync(join(root, e.name), e.mode! & 0o777);
  }
  const script = Buffer.from(byName.get('bootstrap')!.read()).toString().replace('/opt/open-runtime-wrapper', join(dir, 'fake-wrapper'));
  writeFileSync(join(root, 'bootstrap'), script);
  writeFileSync(join(dir, 'fake-wrapper'), '#!/bin/sh\necho "wrapper got: $*"\nexec "$@"\n');
  chmodSync(join(dir, 'fake-wrapper'), 0o755);
  const out = execFileSync(join(root, 'bootstrap'), ['arg'], { env: { LAMBDA_TASK_ROOT: root, PATH: process.env.PATH }, encoding: 'utf8' });
  assert.equal(out, `wrapper got: ${join(root, WRAPPED_BOOTSTRAP)} arg\nreal arg\n`);
});

test('a package without a bootstrap is refused', () => {
  const zip = Buffer.from(writeZip([{ name: 'main', data: text('x'), mode: 0o755 }]));
  assert.throws(
    () => wrapBootstrap(zip),
    (err: Error) => err instanceof ChainNotShippable && /no bootstrap at its root/.test(err.message),
  );
});

function fnWith(middlewares: string[], runtime: 'nodejs22.x' | 'python3.12' = 'nodejs22.x') {
  const code = join(dir, 'code');
  mkdirSync(join(code, 'middlewares'), { recursive: true });
  writeFileSync(join(code, 'middlewares', 'auth.sh'), '#!/bin/sh\ncat\n');
  writeFileSync(join(code, 'middlewares', 'log.py'), 'import sys\nsys.stdout.write(sys.stdin.read())\n');
  writeFileSync(join(code, 'middlewares', 'guard.wasm'), 'component');
  return parseFunction({ name: 'F', runtime, handler: 'index.handler', codeUri: code, middlewares }, 'test');
}

test('the chain resolves as the runner resolves it; cloudevents ships (in the proxy); components are refused by name; a missing one too', () => {
  assert.deepEqual(
    shippableChain(fnWith(['auth', 'log']), ['auth', 'log']).map((m) => m.name),
    ['auth', 'log'],
  );
  // The built-in is in the proxy: no files of its own to ship.
  assert.deepEqual(
    shippableChain(fnWith([]), ['auth', 'cloudevents']).map((m) => m.name),
    ['auth'],
  );
  assert.throws(
    () => shippableChain(fnWith([]), ['auth', 'guard', 'cloudevents']),
    (err: Error) =>
      err instanceof ChainNotShippable &&
      /^Nothing was deployed: F's middleware guard is a WebAssembly component, which can't run on Lambda: .*built-in cloudevents, and components need the runner's WebAssembly host, which is not in the layer\. Replace them with executable middlewares, or deploy the handler alone with --without-middlewares\.$/.test(
        err.message,
      ),
  );
  assert.throws(
    () => shippableChain(fnWith([]), ['nope']),
    (err: Error) => err instanceof ChainNotShippable && /Nothing was deployed: Middleware "nope" of function F was not found/.test(err.message),
  );
});

test("a middleware in another language than the runtime's gets a note; one in the runtime's own or in sh does not", () => {
  const node = fnWith([]);
  assert.deepEqual(interpreterWarnings(node, shippableChain(node, ['auth'])), []);
  assert.match(
    interpreterWarnings(node, shippableChain(node, ['log'])).join('\n'),
    /log \(log\.py\) runs with python3, which the nodejs22\.x runtime's image on Lambda may not have/,
  );
  const python = fnWith([], 'python3.12');
  assert.deepEqual(interpreterWarnings(python, shippableChain(python, ['log'])), []);
});

test("the layer is named after the function, within Lambda's 140 characters", () => {
  assert.equal(chainLayerName('HelloGuarded'), 'open-runtime-HelloGuarded');
  assert.ok(chainLayerName('x'.repeat(64)).length <= 140);
});

test("a deploy keeps the function's other layers, puts its chain layer last (replacing an older version), and takes it off when the chain stays behind", () => {
  const other = 'arn:aws:lambda:us-east-1:123456789012:layer:shared-libs:4';
  const old = 'arn:aws:lambda:us-east-1:123456789012:layer:open-runtime-F:1';
  const fresh = 'arn:aws:lambda:us-east-1:123456789012:layer:open-runtime-F:2';
  assert.deepEqual(layersAfterDeploy([], 'open-runtime-F', fresh), { Layers: [fresh] });
  assert.deepEqual(layersAfterDeploy([old, other], 'open-runtime-F', fresh), { Layers: [other, fresh] });
  assert.deepEqual(layersAfterDeploy([other, old], 'open-runtime-F', undefined), { Layers: [other] });
  assert.deepEqual(layersAfterDeploy([other], 'open-runtime-F', undefined), {}, 'nothing to change: Layers left as they are');
  assert.deepEqual(
    layersAfterDeploy(['arn:aws:lambda:us-east-1:123456789012:layer:open-runtime-Fx:1'], 'open-runtime-F', undefined),
    {},
    "another function's layer is not this one's",
  );
});

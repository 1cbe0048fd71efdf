// Middlewares shipped in a layer run, as on Lambda where the Serverless Open Runtime design keeps them in
// /opt/middlewares (issue 15: a middleware in a layer was Middleware.NotFound). The function's own middlewares/
// folder comes first; among layers the last one wins, as a later layer's files replace an earlier one's at /opt.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ROOT, removeTemps, startRunner, tempDir, writeTemplate, type Runner } from './support/runner.ts';

let runner: Runner;

function layerWith(dir: string, name: string, files: Record<string, string>): string {
  const layer = join(dir, name);
  mkdirSync(join(layer, 'middlewares'), { recursive: true });
  for (const [file, text] of Object.entries(files)) {
    writeFileSync(join(layer, 'middlewares', file), text);
    chmodSync(join(layer, 'middlewares', file), 0o755);
  }
  return layer;
}

before(async () => {
  const dir = tempDir('mw-layers');
  const code = join(dir, 'code');
  mkdirSync(code);
  writeFileSync(join(code, 'app.mjs'), 'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify({ tag: event.tag ?? null }) });\n');
  // The example's bearer-token check, shipped in a layer.
  const auth = join(dir, 'auth-layer');
  mkdirSync(join(auth, 'middlewares'), { recursive: true });
  copyFileSync(join(ROOT, 'examples', 'middlewares', 'auth.sh'), join(auth, 'middlewares', 'auth.sh'));
  copyFileSync(join(ROOT, 'examples', 'middlewares', 'auth.json'), join(auth, 'middlewares', 'auth.json'));
  chmodSync(join(auth, 'middlewares', 'auth.sh'), 0o755);
  const tag = (value: string) => `#!/usr/bin/env bash\ninput="$(cat)"\nprintf '%s' "\${input%\\}},\\"tag\\":\\"${value}\\"}"\n`;
  const first = layerWith(dir, 'first-layer', { 'tag.sh': tag('first layer') });
  const second = layerWith(dir, 'second-layer', { 'tag.sh': tag('second layer') });
  const own = join(dir, 'own');
  mkdirSync(join(own, 'middlewares'), { recursive: true });
  writeFileSync(join(own, 'app.mjs'), 'export const handler = async (event) => ({ tag: event.tag ?? null });\n');
  writeFileSync(join(own, 'middlewares', 'tag.sh'), tag('own package'));
  chmodSync(join(own, 'middlewares', 'tag.sh'), 0o755);
  runner = await startRunner(
    writeTemplate(dir, [
      { name: 'Guarded', codeUri: code, runtime: 'nodejs24.x', handler: 'app.handler', layers: [auth], environment: { SLSMIDDLEWARES: 'auth' } },
      { name: 'Tagged', codeUri: code, runtime: 'nodejs24.x', handler: 'app.handler', layers: [first, second], environment: { SLSMIDDLEWARES: 'tag' } },
      { name: 'OwnFirst', codeUri: own, runtime: 'nodejs24.x', handler: 'app.handler', layers: [first], environment: { SLSMIDDLEWARES: 'tag' } },
    ]),
  );
});
after(async () => {
  await runner?.stop();
  removeTemps();
});

test('a middleware from a layer runs: the auth check answers 401 without a token, and lets a request with one through', async () => {
  const refused = await runner.invoke('Guarded', { headers: {} });
  assert.equal(refused.status, 200, refused.text);
  assert.equal(refused.json().statusCode, 401, refused.text);
  const allowed = await runner.invoke('Guarded', { headers: { authorization: 'Bearer demo' } });
  assert.equal(allowed.json().statusCode, 200, allowed.text);
});

test("the last layer wins, and the function's own middlewares/ folder before any layer", async () => {
  assert.equal(JSON.parse((await runner.invoke('Tagged', { x: 1 })).json().body).tag, 'second layer');
  assert.equal((await runner.invoke('OwnFirst', { x: 1 })).json().tag, 'own package');
});

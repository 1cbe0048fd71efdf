// The gateway around an in-process LocalLambda (real function processes, real HTTP), for what the CLI test can't
// reach in reasonable time: API Gateway's own integration timeout (29 s in AWS, shortened here) answering 504 while the
// function keeps running, and the route table following the functions when the runner reloads them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { Gateway } from '../../runner/gateway/server.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { removeTemps, tempDir } from './support/runner.ts';

let lambda: LocalLambda;
let gateway: Gateway;
let code: string;

const fn = (name: string, handler: string, path: string, extra: Partial<FunctionInput> = {}) =>
  parseFunction(
    {
      name,
      runtime: 'nodejs22.x',
      handler,
      codeUri: code,
      timeout: 10,
      httpEvents: [{ kind: 'rest', method: 'GET', path, payloadVersion: '1.0', api: 'ServerlessRestApi', stage: 'Prod' }],
      ...extra,
    },
    'test',
  );

async function get(path: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`);
  return { status: res.status, text: await res.text() };
}

before(async () => {
  code = join(tempDir('gateway-in-process'), 'src');
  mkdirSync(code);
  writeFileSync(
    join(code, 'index.mjs'),
    `export const slow = async () => { await new Promise((r) => setTimeout(r, 6000)); return { statusCode: 200, body: 'late' }; };
export const hello = async () => ({ statusCode: 200, body: 'hello' });
`,
  );
  lambda = new LocalLambda({ hotReload: false });
  lambda.setFunctions([fn('Slow', 'index.slow', '/slow'), fn('Hello', 'index.hello', '/hello')]);
  await lambda.listen();
  // Short enough for a test, long enough that Hello's cold start on a busy machine (seconds at load 25) is not a 504.
  gateway = new Gateway(lambda, { port: 0, integrationTimeoutMs: { rest: 3000 } });
  await gateway.listen();
});

after(async () => {
  await gateway?.close();
  await lambda?.close();
  removeTemps();
});

test("past the integration timeout the caller gets 504 while the function runs on to its end", async () => {
  const ends: string[] = [];
  const unsubscribe = lambda.subscribe((event) => {
    if (event.type === 'invoke-end') ends.push(event.result.payload);
  });
  try {
    const answer = await get('/slow');
    assert.equal(answer.status, 504);
    assert.deepEqual(JSON.parse(answer.text), { message: 'Endpoint request timed out' });
    assert.deepEqual(ends, []); // not finished when the gateway gave up
    for (let i = 0; i < 300 && !ends.length; i++) await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(ends.map((p) => JSON.parse(p).body), ['late']);
  } finally {
    unsubscribe();
  }
});

test('the route table follows the functions when the runner reloads them', async () => {
  assert.equal((await get('/hello')).text, 'hello');
  assert.equal((await get('/bonjour')).status, 403);
  lambda.setFunctions([fn('Hello', 'index.hello', '/bonjour')]);
  lambda.emit({ type: 'functions-changed' });
  assert.equal((await get('/bonjour')).text, 'hello');
  assert.equal((await get('/hello')).status, 403);
  assert.deepEqual(gateway.routes().map((r) => r.servedPath), ['/bonjour']);
});

// One behaviour, two places: the same middleware chain cases run against the local runner's chain and against the
// Open Runtime layer's Runtime API proxy (layer/proxy), the production path: the layer built by `build-layer`, shown
// at /opt as a local layer, started through AWS_LAMBDA_EXEC_WRAPPER (Node, Python) or from a custom runtime's
// bootstrap (provided.al2023), with the middlewares shipped in the layer's middlewares/ folder.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { arch } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { buildLayer } from '../../runner/build/layer.ts';
import { architectureOf, readElf } from '../../runner/build/elf.ts';
import { neededGlibcVersions } from '../../runner/build/glibc.ts';
import { readZip } from '../../runner/build/zip.ts';
import { parseFunction, type FunctionInput } from '../../runner/functions/model.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { createMiddlewareRunner } from '../../runner/middleware/index.ts';
import { assertBuilt, CLI, removeTemps, tempDir } from './support/runner.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'middleware');
const TEMPLATE = join(FIXTURE, 'template.yaml');
// Room for a slow process start on a busy CI machine (middlewares without a manifest timeout).
const HOOK_TIMEOUT_MS = '15000';
process.env.OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS = HOOK_TIMEOUT_MS;

const ARCH = arch() === 'arm64' ? 'arm64' : 'x86_64';
const layerOut = tempDir('mw-proxy-layer');
const LAYER_DIR = join(layerOut, ARCH, 'layer');

type Where = 'local' | 'proxy';
const WHERE: Where[] = ['local', 'proxy'];
const TRACE = ['trace-bash', 'trace-node', 'trace-py'];

interface Variant {
  runtime?: FunctionInput['runtime'];
  handler?: string;
  codeUri?: string;
  environment?: Record<string, string>;
  timeout?: number;
}

/** The same function twice: with the local chain (Metadata middlewares), and through the layer's proxy. */
function pair(name: string, middlewares: string[], variant: Variant = {}): FunctionInput[] {
  const base = {
    runtime: 'nodejs22.x' as FunctionInput['runtime'],
    handler: 'index.handler',
    codeUri: join(FIXTURE, 'functions', 'echo'),
    source: { file: TEMPLATE, line: 1 },
    ...variant,
  };
  return [
    { ...base, name: `local-${name}`, middlewares, environment: { ...variant.environment } },
    {
      ...base,
      name: `proxy-${name}`,
      layers: [LAYER_DIR],
      environment: {
        ...variant.environment,
        ...(base.runtime.startsWith('provided') ? {} : { AWS_LAMBDA_EXEC_WRAPPER: '/opt/open-runtime-wrapper' }),
        OPEN_RUNTIME_MIDDLEWARES: middlewares.join(','),
        OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS: HOOK_TIMEOUT_MS,
      },
    },
  ];
}

/** A wrapper as Lambda's documentation shows them: it changes the runtime's environment, then execs its command. */
function plainWrapper(): { dir: string; code: string } {
  const dir = tempDir('mw-proxy-wrapper');
  writeFileSync(join(dir, 'wrapper'), '#!/bin/sh\nexport WRAPPED_BY="wrapper with $# arguments"\nexec "$@"\n');
  chmodSync(join(dir, 'wrapper'), 0o755);
  writeFileSync(join(dir, 'not-executable'), '#!/bin/sh\nexec "$@"\n');
  const code = tempDir('mw-proxy-wrapped');
  writeFileSync(join(code, 'index.mjs'), 'export const handler = async () => ({ wrappedBy: process.env.WRAPPED_BY ?? null });\n');
  writeFileSync(join(code, 'app.py'), 'import os\n\ndef handler(event, context):\n    return {"wrappedBy": os.environ.get("WRAPPED_BY")}\n');
  return { dir, code };
}
const WRAPPER = plainWrapper();

/** A custom runtime has no AWS_LAMBDA_EXEC_WRAPPER on Lambda: its bootstrap starts the layer's wrapper itself. */
function providedThroughWrapper(): string {
  const dir = tempDir('mw-proxy-provided');
  writeFileSync(join(dir, 'bootstrap'), `#!/bin/sh\nexec /opt/open-runtime-wrapper ${join(FIXTURE, 'functions', 'provided-echo', 'bootstrap')}\n`);
  chmodSync(join(dir, 'bootstrap'), 0o755);
  return dir;
}

const lambda = new LocalLambda({ hotReload: false });
const chains = createMiddlewareRunner();

interface Result {
  ok: boolean;
  body: any;
  errorType?: string | undefined;
  logs: string[];
  requestId: string;
}

async function invoke(where: Where, name: string, event: unknown, clientContext?: string): Promise<Result> {
  const inv = lambda.invoke(`${where}-${name}`, Buffer.from(JSON.stringify(event)), { clientContext });
  const { outcome, logs } = await inv.completed;
  const body = JSON.parse(outcome.body.toString('utf8'));
  return { ok: outcome.ok, body, errorType: outcome.ok ? undefined : outcome.errorType, logs, requestId: inv.requestId };
}

/** Both places, the same event: each answer checked by `expect`, and both answers the same. */
async function conforms(
  name: string,
  event: unknown,
  expect: (r: Result, where: Where) => void,
  same: (r: Result) => unknown = (r) => ({ ok: r.ok, errorType: r.errorType, body: r.body }),
): Promise<Record<Where, Result>> {
  const results = {} as Record<Where, Result>;
  for (const where of WHERE) {
    results[where] = await invoke(where, name, event);
    try {
      expect(results[where], where);
    } catch (err) {
      (err as Error).message = `[${where}] ${(err as Error).message}\n${results[where].logs.join('\n')}`;
      throw err;
    }
  }
  assert.deepEqual(same(results.proxy), same(results.local), 'the proxy answers as the local chain does');
  return results;
}

before(async () => {
  assertBuilt();
  await buildLayer(ARCH, { out: layerOut, middlewares: join(FIXTURE, 'middlewares') });
  lambda.setMiddlewareRunner(chains);
  const functions: FunctionInput[] = [
    // Six middleware processes (bash, Node, Python; before and after) start per invoke, inside the function's timeout
    // in the proxy as on Lambda: room for them on a loaded machine (3 s was exceeded at a load average of 29).
    ...pair('EchoNode', TRACE, { timeout: 15 }),
    ...pair('EchoPython', TRACE, { runtime: 'python3.12', handler: 'app.handler', codeUri: join(FIXTURE, 'functions', 'py-echo'), timeout: 15 }),
    ...pair('Guarded', ['deny', 'trace-node']),
    ...pair('Counted', ['counter-ll']),
    ...pair('Shouted', ['upper-ll']),
    ...pair('Missing', ['trace-node', 'no-such-middleware']),
    ...pair('Context', ['trace-node'], { codeUri: join(FIXTURE, 'functions', 'context-echo') }),
    ...pair('Streamed', ['trace-node'], { handler: 'index.piped', codeUri: join(ROOT, 'test', 'fixtures', 'node', 'streaming') }),
    ...pair('StreamedHttp', ['trace-node'], { handler: 'index.http', codeUri: join(ROOT, 'test', 'fixtures', 'node', 'streaming') }),
    ...pair('CloudEvents', ['trace-node', 'cloudevents', 'trace-bash'], { handler: 'index.whole', codeUri: join(FIXTURE, 'functions', 'ce-handler') }),
    ...pair('Slow', ['trace-node'], { timeout: 3, environment: { OPEN_RUNTIME_TIMEOUT_MARGIN_MS: '1000' } }),
    ...pair('CloudEventsTwice', ['cloudevents', 'trace-node', 'cloudevents'], { handler: 'index.whole', codeUri: join(FIXTURE, 'functions', 'ce-handler') }),
    ...['crash', 'hang', 'badjson', 'silent', 'raise', 'recover'].flatMap((mode) =>
      // On Lambda the hooks run inside the function's timeout (the local chain does not count them): room for a hang.
      (['before', 'after', 'error'] as const).flatMap((hook) =>
        pair(`Misbehave-${mode}-${hook}`, ['trace-node', 'misbehave'], { timeout: 10, environment: { MISBEHAVE: `${mode}:${hook}` } }),
      ),
    ),
  ];
  const wrapped = (name: string, wrapper: string, variant: Partial<FunctionInput> = {}): FunctionInput => ({
    name,
    runtime: 'nodejs22.x',
    handler: 'index.handler',
    codeUri: WRAPPER.code,
    environment: { AWS_LAMBDA_EXEC_WRAPPER: wrapper },
    ...variant,
  });
  functions.push(
    wrapped('WrappedNode', join(WRAPPER.dir, 'wrapper')),
    wrapped('WrappedPython', join(WRAPPER.dir, 'wrapper'), { runtime: 'python3.12', handler: 'app.handler' }),
    wrapped('WrapperMissing', join(WRAPPER.dir, 'no-such-wrapper')),
    wrapped('WrapperMissingInLayer', '/opt/no-such-wrapper', { layers: [LAYER_DIR] }),
    wrapped('WrapperNotExecutable', join(WRAPPER.dir, 'not-executable')),
    wrapped('WrapperProvided', join(WRAPPER.dir, 'no-such-wrapper'), {
      runtime: 'provided.al2023',
      handler: 'bootstrap',
      codeUri: join(FIXTURE, 'functions', 'provided-echo'),
    }),
  );
  const provided = pair('EchoProvided', TRACE, {
    runtime: 'provided.al2023',
    handler: 'bootstrap',
    codeUri: join(FIXTURE, 'functions', 'provided-echo'),
    timeout: 15,
  });
  provided[1] = { ...provided[1]!, codeUri: providedThroughWrapper() };
  functions.push(...provided);
  lambda.setFunctions(functions.map((f) => parseFunction(f, 'test')));
});

after(async () => {
  await lambda.close();
  removeTemps();
});

describe('open-runtime build-layer', () => {
  test("both architectures: the static, stripped proxy as the wrapper at the root (no shell in front of it) and the project's middlewares, executable in the zip", () => {
    const out = tempDir('mw-proxy-build-layer');
    const printed = execFileSync(process.execPath, [CLI, 'build-layer', '--arch', 'all', '--out', out, '--middlewares', join(FIXTURE, 'middlewares')], {
      encoding: 'utf8',
    });
    for (const architecture of ['x86_64', 'arm64'] as const) {
      assert.match(printed, new RegExp(`^${architecture}: .*open-runtime-layer\\.zip \\(zip \\d+ KiB, proxy \\d+ KiB\\)$`, 'm'));
      const entries = new Map(readZip(readFileSync(join(out, architecture, 'open-runtime-layer.zip'))).map((e) => [e.name, e]));
      const proxy = entries.get('open-runtime-wrapper')!;
      assert.equal(proxy.mode! & 0o777, 0o755);
      assert.deepEqual(
        [...entries.keys()].filter((name) => !name.startsWith('middlewares/')),
        ['open-runtime-wrapper'],
      );
      assert.ok(entries.has('middlewares/deny.sh') && entries.has('middlewares/counter-ll.json'));
      const bytes = proxy.read();
      assert.equal(architectureOf(readElf(bytes)!), architecture);
      // Static: no dynamic loader and no glibc version to match Lambda's.
      assert.deepEqual(neededGlibcVersions(bytes), []);
      assert.ok(!Buffer.from(bytes).includes('ld-linux'), `${architecture}: the proxy is not static`);
    }
  });

  test("the proxy's Go unit tests pass (its hand-written JSON reads and writes exactly as encoding/json)", () => {
    const go = process.env.OPEN_RUNTIME_GO ?? 'go';
    const printed = execFileSync(go, ['test', '-count=1', './...'], {
      cwd: join(ROOT, 'layer', 'proxy'),
      encoding: 'utf8',
      env: { ...process.env, CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
    });
    assert.match(printed, /^ok\s/m);
  });

  test('a bad option is a sentence and exit code 2', () => {
    assert.throws(
      () => execFileSync(process.execPath, [CLI, 'build-layer', '--arch', 'mips'], { encoding: 'utf8', stdio: 'pipe' }),
      (err: { status: number; stderr: string }) => err.status === 2 && /Unknown architecture "mips": use arm64, x86_64 or all\./.test(err.stderr),
    );
  });
});

describe('order: before in declared order, after and error in reverse', () => {
  for (const name of ['EchoNode', 'EchoPython', 'EchoProvided']) {
    test(`${name}: bash, Node and Python middlewares around the function`, async () => {
      await conforms(name, { trace: 'start' }, (r) => {
        assert.equal(r.ok, true, JSON.stringify(r.body));
        assert.equal(r.body.trace, 'start,bash:before,node:before,py:before,handler,py:after,node:after,bash:after');
      });
    });
  }

  test('a function error goes through every error hook in reverse and keeps its error type', async () => {
    await conforms(
      'EchoNode',
      { trace: 'x', throw: 'now' },
      (r) => {
        assert.equal(r.errorType, 'TypeError');
        assert.equal(r.body.errorMessage, 'boom now,py:error,node:error,bash:error');
      },
      (r) => ({ ok: r.ok, errorType: r.errorType, errorMessage: r.body.errorMessage }),
    );
  });

  test('hook durations and middleware stderr are in the invocation logs', async () => {
    await conforms('EchoNode', { trace: 's' }, (r) => {
      for (const mw of TRACE)
        for (const hook of ['before', 'after'])
          assert.ok(
            r.logs.some((l) => new RegExp(`^MIDDLEWARE ${mw} ${hook} \\d+\\.\\d\\d ms$`).test(l)),
            `${mw} ${hook}`,
          );
      assert.ok(r.logs.includes('[trace-node] node middleware saw before'));
    });
  });
});

describe('early answers and raised errors', () => {
  test('a before hook answering {"$response"} skips the remaining befores, the function and every after', async () => {
    await conforms('Guarded', { trace: 't' }, (r) => {
      assert.deepEqual(r.body, { statusCode: 401, body: 'denied by the deny middleware' });
      assert.ok(!r.logs.some((l) => l.includes('echo handler ran')), 'the function did not run');
      assert.ok(!r.logs.some((l) => l.startsWith('MIDDLEWARE trace-node')), 'later middlewares did not run');
    });
    await conforms('Guarded', { token: 'secret', trace: 't' }, (r) => assert.equal(r.body.trace, 't,node:before,handler,node:after'));
  });

  test('after the early answer the runtime gets the next event: the function keeps serving', async () => {
    const r = await invoke('proxy', 'Guarded', { token: 'secret', trace: 'again' });
    assert.equal(r.body.trace, 'again,node:before,handler,node:after');
  });

  test('{"$error"} from a before hook goes through every error hook without running the function', async () => {
    await conforms('Misbehave-raise-before', { trace: 't' }, (r) => {
      assert.equal(r.errorType, 'Validation.Failed');
      assert.equal(r.body.errorMessage, 'name is required,node:error');
      assert.ok(!r.logs.some((l) => l.includes('echo handler ran')));
    });
  });

  test('{"$error"} from an after hook replaces the response with an error', async () => {
    await conforms('Misbehave-raise-after', { trace: 't' }, (r) => {
      assert.equal(r.errorType, 'Validation.Failed');
      assert.equal(r.body.errorMessage, 'name is required,node:error');
    });
  });

  test('an error hook answering {"$response"} recovers the invocation', async () => {
    await conforms('Misbehave-recover-error', { trace: 't', throw: 'x' }, (r) => {
      assert.equal(r.ok, true);
      assert.deepEqual(r.body, { statusCode: 500, body: 'recovered from TypeError' });
    });
  });

  test('the runtime is handed every Runtime API header unchanged: request id, deadline, ARN, client context', async () => {
    const clientContext = JSON.stringify({ custom: { tenant: 'acme' }, client: { app_title: 'demo' }, env: {} });
    for (const where of WHERE) {
      const r = await invoke(where, 'Context', { trace: 'c' }, clientContext);
      assert.equal(r.ok, true, JSON.stringify(r.body));
      // On Lambda the function sees the caller's request id. The proxy hands it on; the local chain runs the function
      // as an inner invocation of its own (runner/middleware/index.ts), so there it is the inner one's.
      if (where === 'proxy') assert.equal(r.body.awsRequestId, r.requestId);
      assert.match(r.body.awsRequestId, /^[0-9a-f-]{36}$/);
      assert.match(r.body.invokedFunctionArn, new RegExp(`:function:${where}-Context$`));
      assert.deepEqual(r.body.clientContext?.custom, { tenant: 'acme' }, where);
      assert.ok(r.body.remainingMs > 0 && r.body.remainingMs <= 3000, `${where}: ${r.body.remainingMs}`);
      assert.equal(r.body.event.trace, 'c,node:before');
    }
  });
});

describe('AWS_LAMBDA_EXEC_WRAPPER, as Lambda honours it', () => {
  async function run(name: string) {
    const { outcome } = await lambda.invoke(name, Buffer.from('{"trace":"w"}')).completed;
    return { ok: outcome.ok, errorType: outcome.ok ? undefined : outcome.errorType, body: JSON.parse(outcome.body.toString('utf8')) };
  }

  test('Node and Python runtimes start through the wrapper, with their command line as its arguments', async () => {
    for (const name of ['WrappedNode', 'WrappedPython']) {
      const r = await run(name);
      assert.equal(r.ok, true, JSON.stringify(r.body));
      assert.match(r.body.wrappedBy, /^wrapper with [1-9]\d* arguments$/, name);
    }
  });

  test('a wrapper that is missing or not executable is a clear Runtime.InvalidEntrypoint error', async () => {
    const missing = await run('WrapperMissing');
    assert.equal(missing.errorType, 'Runtime.InvalidEntrypoint');
    assert.match(
      missing.body.errorMessage,
      /AWS_LAMBDA_EXEC_WRAPPER of function WrapperMissing is ".*no-such-wrapper", which does not exist\. Point AWS_LAMBDA_EXEC_WRAPPER at/,
    );
    const inLayer = await run('WrapperMissingInLayer');
    assert.match(inLayer.body.errorMessage, /"\/opt\/no-such-wrapper", which does not exist in its layers\./);
    const notExecutable = await run('WrapperNotExecutable');
    assert.equal(notExecutable.errorType, 'Runtime.InvalidEntrypoint');
    assert.match(notExecutable.body.errorMessage, /which is not executable\. Run: chmod \+x /);
  });

  test('custom runtimes ignore it, as on Lambda', async () => {
    const r = await run('WrapperProvided');
    assert.equal(r.ok, true, JSON.stringify(r.body));
    assert.equal(r.body.trace, 'w,handler');
  });
});

describe('who may use the Runtime API the runtime talks to', () => {
  test('another local process is refused with a 403 that says why, at the proxy as at the runner', async () => {
    for (const where of WHERE) {
      const { body } = await invoke(where, 'Context', {});
      assert.match(body.runtimeApi, /^127\.0\.0\.1:\d+$/);
      // This test process is not the function's runtime: without the check it would park on /next and take an event.
      const reply = await fetch(`http://${body.runtimeApi}/2018-06-01/runtime/invocation/next`, { signal: AbortSignal.timeout(5000) });
      assert.equal(reply.status, 403, where);
      const refusal = (await reply.json()) as { errorType: string; errorMessage: string };
      assert.equal(refusal.errorType, 'AccessDenied');
      assert.match(refusal.errorMessage, /^Refused a connection to the .*Runtime API address 127\.0\.0\.1:\d+.*: .*serves only/);
      assert.equal((await invoke(where, 'Context', { trace: 'after' })).body.event.trace, 'after,node:before', `${where} keeps serving`);
    }
  });
});

describe('every failure mode: Middleware.Failed naming the middleware, its hook and what it printed', () => {
  const cases: Array<{ mode: string; hook: 'before' | 'after' | 'error'; says: RegExp }> = [
    { mode: 'crash', hook: 'before', says: /exited with code 3.*python middleware exploded: KeyError 'user'/s },
    { mode: 'crash', hook: 'after', says: /exited with code 3.*python middleware exploded/s },
    { mode: 'crash', hook: 'error', says: /exited with code 3/ },
    { mode: 'hang', hook: 'before', says: /did not finish within its 2500 ms timeout and was stopped/ },
    { mode: 'hang', hook: 'after', says: /did not finish within its 2500 ms timeout and was stopped/ },
    { mode: 'badjson', hook: 'before', says: /printed invalid JSON.*It printed: \{this is not json/s },
    { mode: 'badjson', hook: 'after', says: /printed invalid JSON/ },
    { mode: 'silent', hook: 'before', says: /printed nothing on stdout/ },
    { mode: 'silent', hook: 'after', says: /printed nothing on stdout/ },
  ];
  for (const { mode, hook, says } of cases) {
    test(`${mode} in ${hook}`, async () => {
      await conforms(
        `Misbehave-${mode}-${hook}`,
        { trace: 't', ...(hook === 'error' ? { throw: 'x' } : {}) },
        (r) => {
          assert.equal(r.ok, false);
          assert.equal(r.errorType, 'Middleware.Failed');
          assert.equal(r.body.middleware, 'misbehave');
          assert.equal(r.body.hook, hook);
          assert.match(r.body.errorMessage, new RegExp(`^Middleware "misbehave" failed in its ${hook} hook: `));
          assert.match(r.body.errorMessage, says);
          assert.match(r.body.errorMessage, /Fix the middleware, or remove it from the function's middlewares\.$/);
          assert.ok(
            r.logs.some((l) => new RegExp(`^MIDDLEWARE misbehave ${hook} [\\d.]+ ms failed$`).test(l)),
            'the failed hook is logged',
          );
          // A broken chain is not an application error: no error hook runs for it.
          assert.ok(!r.logs.some((l) => l.startsWith('MIDDLEWARE trace-node error')));
        },
        (r) => ({ ok: r.ok, errorType: r.errorType, middleware: r.body.middleware, hook: r.body.hook, stderr: r.body.stderr }),
      );
    });
  }

  test('an unknown middleware name fails every invocation with Middleware.NotFound, saying where it looked', async () => {
    await conforms(
      'Missing',
      { trace: 't' },
      (r, where) => {
        assert.equal(r.errorType, 'Middleware.NotFound');
        assert.match(r.body.errorMessage, /Middleware "no-such-middleware" .*was not found: looked for/);
        if (where === 'proxy') assert.match(r.body.errorMessage, /\/opt\/middlewares/);
      },
      (r) => r.errorType,
    );
    // The proxy keeps serving: the next invocation gets the same clear answer, not a dead environment.
    assert.equal((await invoke('proxy', 'Missing', {})).errorType, 'Middleware.NotFound');
  });
});

describe('long-lived middlewares ("longLived": true): one `serve` process for every call', () => {
  test('one process serves every call, and a crash restarts it on the next call', async () => {
    for (const where of WHERE) {
      const bodies = [];
      for (let i = 0; i < 3; i++) bodies.push((await invoke(where, 'Counted', {})).body);
      assert.deepEqual(
        bodies.map((b) => b.count),
        [1, 2, 3],
        where,
      );
      assert.equal(new Set(bodies.map((b) => b.pid)).size, 1, where);
      const crashed = await invoke(where, 'Counted', { crash: true });
      assert.equal(crashed.errorType, 'Middleware.Failed');
      assert.match(
        crashed.body.errorMessage,
        /^Middleware "counter-ll" failed in its before hook: its long-lived process exited with code 7\..*asked to crash/s,
        where,
      );
      const again = await invoke(where, 'Counted', {});
      assert.equal(again.body.count, 1, where);
      assert.notEqual(again.body.pid, bodies[0].pid, where);
    }
  });

  test('a hang past its timeout, invalid JSON and an answer without output each fail one call; the next one works', async () => {
    for (const where of WHERE) {
      const hung = await invoke(where, 'Counted', { hang: true });
      assert.match(hung.body.errorMessage, /did not answer within its 1500 ms timeout/, where);
      const bad = await invoke(where, 'Counted', { badjson: true });
      assert.match(bad.body.errorMessage, /printed invalid JSON.*counter says hello/s, where);
      const empty = await invoke(where, 'Counted', { noanswer: true });
      assert.match(empty.body.errorMessage, /answered without an "output"/, where);
      for (const r of [hung, bad, empty]) assert.equal(r.errorType, 'Middleware.Failed', where);
      assert.equal((await invoke(where, 'Counted', {})).ok, true, where);
    }
  });

  test('a long-lived Python middleware with before and after hooks', async () => {
    await conforms(
      'Shouted',
      { name: 'ada', trace: '' },
      (r) => {
        assert.equal(r.body.name, 'ADA');
        assert.match(r.body.headers['x-served-by'], /^upper-ll\/\d+$/);
      },
      (r) => r.body.name,
    );
  });
});

describe('streamed responses', () => {
  async function stream(where: Where, name: string) {
    const chunks: string[] = [];
    let contentType = '';
    const inv = lambda.invoke(`${where}-${name}`, Buffer.from('{"trace":""}'), {
      streamListener: { start: (type) => (contentType = type), chunk: (data) => chunks.push(data.toString('utf8')) },
    });
    const { outcome, logs } = await inv.completed;
    return { ok: outcome.ok, streamed: outcome.streamed, contentType, body: chunks.join(''), logs };
  }

  test('reach the caller as the function writes them; before hooks run, after hooks are skipped and the logs say so', async () => {
    for (const where of WHERE) {
      const r = await stream(where, 'Streamed');
      assert.equal(r.ok, true, `${where}: ${r.logs.join('\n')}`);
      assert.equal(r.streamed, true, where);
      assert.equal(r.body, 'abc', where);
      assert.ok(
        r.logs.some((l) => /^MIDDLEWARE trace-node before [\d.]+ ms$/.test(l)),
        where,
      );
      assert.ok(
        r.logs.includes('MIDDLEWARE after hooks skipped: the response was streamed to the caller as the function wrote it'),
        `${where}: ${r.logs.join('\n')}`,
      );
      const http = await stream(where, 'StreamedHttp');
      assert.equal(http.contentType, 'application/vnd.awslambda.http-integration-response', where);
      assert.match(http.body, /"statusCode":201.*\0{8}<h1>hello<\/h1>$/s, where);
    }
  });
});

describe('the graceful-timeout hook (OPEN_RUNTIME_TIMEOUT_MARGIN_MS)', () => {
  test('before the deadline the error hooks get a timeout error and the caller gets their answer', async () => {
    const proxy = await invoke('proxy', 'Slow', { trace: 't', sleepMs: 10_000 });
    assert.equal(proxy.errorType, 'Sandbox.Timedout');
    // The error hooks saw it (trace-node appends to the message) and the message says what happened and what to do.
    assert.match(
      proxy.body.errorMessage,
      /^RequestId: \S+ Error: Task is about to time out \(\d+ ms before its deadline, OPEN_RUNTIME_TIMEOUT_MARGIN_MS=1000\).*Raise the function's Timeout.*,node:error$/,
    );
    assert.ok(
      proxy.logs.some((l) => l.startsWith('MIDDLEWARE graceful timeout')),
      proxy.logs.join('\n'),
    );
    // The local runner has no margin: its own timeout error, after the whole timeout, goes through the same hooks.
    const local = await invoke('local', 'Slow', { trace: 't', sleepMs: 10_000 });
    assert.equal(local.errorType, 'Sandbox.Timedout');
    assert.match(local.body.errorMessage, /Task timed out after 3\.00 seconds,node:error$/);
    // The environment whose function overran is replaced: the next invocation works.
    assert.equal((await invoke('proxy', 'Slow', { trace: 'n' })).body.trace, 'n,node:before,handler,node:after');
  });
});

describe('the built-in cloudevents middleware (hooks before it see the AWS event, hooks after it each CloudEvent)', () => {
  const arn = 'arn:aws:sqs:us-east-1:123456789012:orders';
  const sqs = {
    Records: [
      {
        messageId: 'm-1',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: 'us-east-1',
        body: '{"order":1}',
        attributes: { SentTimestamp: '1767225600000' },
      },
      {
        messageId: 'm-2',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: 'us-east-1',
        body: '{"fail":true}',
        attributes: { SentTimestamp: '1767225601000' },
      },
      {
        messageId: 'm-3',
        eventSource: 'aws:sqs',
        eventSourceARN: arn,
        awsRegion: 'us-east-1',
        body: 'plain <text> & more',
        attributes: { SentTimestamp: '1767225602000' },
      },
    ],
  };
  const kinesisRecord = (n: number, data: Buffer) => ({
    eventSource: 'aws:kinesis',
    eventID: `shardId-000:${n}`,
    eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/clicks',
    awsRegion: 'us-east-1',
    kinesis: { partitionKey: `pk-${n}`, sequenceNumber: `seq-${n}`, data: data.toString('base64'), approximateArrivalTimestamp: 1767225600.5 + n },
  });
  const eventbridge = (detail: unknown) => ({
    version: '0',
    id: 'eb-1',
    'detail-type': 'Order Placed',
    source: 'com.example.orders',
    account: '123456789012',
    time: '2026-01-01T00:00:00Z',
    region: 'eu-west-1',
    resources: ['arn:aws:events:eu-west-1:123456789012:rule/orders'],
    detail,
  });
  const http = (body: string, contentType = 'application/json') => ({
    version: '2.0',
    rawPath: '/orders',
    headers: { 'Content-Type': contentType, host: 'abc.execute-api.us-east-1.amazonaws.com' },
    requestContext: {
      requestId: 'req-1',
      domainName: 'abc.execute-api.us-east-1.amazonaws.com',
      http: { method: 'POST', path: '/orders' },
      timeEpoch: 1767225600000,
    },
    body,
    isBase64Encoded: false,
  });

  test('SQS: one CloudEvent per record through the inner hooks and the function, failures in batchItemFailures', async () => {
    const { proxy } = await conforms('CloudEvents', sqs, (r) => {
      assert.equal(r.ok, true, JSON.stringify(r.body));
      assert.deepEqual(r.body.batchItemFailures, [{ itemIdentifier: 'm-2' }]);
      // The outer after hook saw the mapped answer (the AWS event had no trace for it to extend).
      assert.equal(r.body.trace, 'undefined,node:after');
    });
    assert.ok(
      proxy.logs.some((l) => l.startsWith('CLOUDEVENTS sqs: 3 record(s) as CloudEvents, 1 reported in batchItemFailures')),
      proxy.logs.join('\n'),
    );
  });

  test('Kinesis stops at its first failed record; JSON, text and binary data', async () => {
    const event = {
      Records: [
        kinesisRecord(1, Buffer.from('{"n":1}')),
        kinesisRecord(2, Buffer.from([0xff, 0xfe, 0x00])),
        kinesisRecord(3, Buffer.from('{"fail":1}')),
        kinesisRecord(4, Buffer.from('x')),
      ],
    };
    await conforms('CloudEvents', event, (r) => assert.deepEqual(r.body.batchItemFailures, [{ itemIdentifier: 'seq-3' }]));
  });

  for (const [name, event] of [
    ['EventBridge', eventbridge({ order: 7, note: '<b>' })],
    [
      'SNS',
      {
        Records: [
          {
            EventSource: 'aws:sns',
            Sns: {
              Type: 'Notification',
              MessageId: 'sns-1',
              TopicArn: 'arn:aws:sns:us-east-1:123456789012:t',
              Subject: 'hi',
              Message: '{"a":[1,2]}',
              Timestamp: '2026-01-01T00:00:00.000Z',
            },
          },
        ],
      },
    ],
    [
      'S3',
      {
        Records: [
          {
            eventSource: 'aws:s3',
            awsRegion: 'us-east-1',
            eventTime: '2026-01-01T00:00:00.000Z',
            eventName: 'ObjectCreated:Put',
            responseElements: { 'x-amz-request-id': 'R1', 'x-amz-id-2': 'I2' },
            s3: { bucket: { name: 'b' }, object: { key: 'k.txt', size: 3 } },
          },
        ],
      },
    ],
    [
      'DynamoDB',
      {
        Records: [
          {
            eventID: 'd-1',
            eventName: 'INSERT',
            eventSource: 'aws:dynamodb',
            eventSourceARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/t/stream/x',
            awsRegion: 'us-east-1',
            dynamodb: { Keys: { id: { S: '1' } }, NewImage: { id: { S: '1' } }, SequenceNumber: '111', ApproximateCreationDateTime: 1767225600 },
          },
        ],
      },
    ],
    ['an HTTP API request (JSON body)', http('{"item":"book"}')],
    ['an HTTP API request (text body)', http('just text', 'text/plain')],
  ] as const) {
    test(`${name}: the same CloudEvents, the same answer`, async () => {
      await conforms('CloudEvents', event, (r) => {
        assert.equal(r.ok, true, JSON.stringify(r.body));
        // The outer before changed the AWS event, not the CloudEvent made from it; the inner after and the outer after
        // each extended the function's trace (an HTTP answer carries it in its JSON body).
        if (name === 'DynamoDB') assert.deepEqual(r.body.batchItemFailures, []);
        else assert.match(JSON.stringify(r.body), /,handler,bash:after/);
      });
    });
  }

  const ceRequest = (headers: Record<string, string>, body: string) => ({
    ...http(body),
    headers: { host: 'abc.execute-api.us-east-1.amazonaws.com', ...headers },
  });
  for (const [name, event] of [
    [
      'binary mode (ce-* headers)',
      ceRequest(
        {
          'ce-id': 'b-1',
          'ce-type': 'com.example.order',
          'ce-source': '/orders',
          'ce-specversion': '1.0',
          'ce-time': '2026-01-01T00:00:00Z',
          'ce-tenant': 'acme',
          'Content-Type': 'application/json',
        },
        '{"order":9}',
      ),
    ],
    [
      'structured mode',
      ceRequest(
        { 'Content-Type': 'application/cloudevents+json' },
        '{"specversion":"1.0","id":"s-1","type":"com.example.order","source":"/orders","time":"2026-01-01T00:00:01Z","tenant":"acme","data":{"order":10}}',
      ),
    ],
    [
      // Bytes ff fe 00 7b in the URL-safe alphabet, unpadded, with a line break: read as Buffer.from(..., 'base64').
      'structured mode, binary data (data_base64)',
      ceRequest(
        { 'Content-Type': 'application/cloudevents+json' },
        '{"specversion":"1.0","id":"s-2","type":"com.example.blob","source":"/blobs","time":"2026-01-01T00:00:04Z","tenant":"acme","data_base64":"__4\\nAew"}',
      ),
    ],
    [
      'structured mode, base64 data (datacontentencoding)',
      ceRequest(
        { 'Content-Type': 'application/cloudevents+json' },
        '{"specversion":"1.0","id":"s-3","type":"com.example.blob","source":"/blobs","time":"2026-01-01T00:00:05Z","datacontentencoding":"base64","data":"eyJvcmRlciI6MTJ9"}',
      ),
    ],
    [
      'a batch',
      ceRequest(
        { 'Content-Type': 'application/cloudevents-batch+json' },
        '[{"specversion":"1.0","id":"x-1","type":"t","source":"/s","time":"2026-01-01T00:00:02Z","data":{"n":1}},{"specversion":"1.0","id":"x-2","type":"t","source":"/s","time":"2026-01-01T00:00:03Z","data":{"n":2}}]',
      ),
    ],
  ] as const) {
    test(`an HTTP request that already is a CloudEvent, ${name}, is read as one`, async () => {
      await conforms('CloudEvents', event, (r) => {
        assert.equal(r.body.statusCode, 200, JSON.stringify(r.body));
        const answered = JSON.parse(r.body.body);
        assert.match(answered.event.id, /^(b-1|s-1|s-2|s-3|x-1)$/);
        assert.equal(answered.trace, ',handler,bash:after');
        // Binary data reaches the function as canonical data_base64, with no data and no datacontentencoding.
        const binary = { 's-2': '//4Aew==', 's-3': Buffer.from('{"order":12}').toString('base64') }[answered.event.id as string];
        if (binary) {
          assert.equal(answered.event.data_base64, binary);
          assert.ok(!('data' in answered.event) && !('datacontentencoding' in answered.event), JSON.stringify(answered.event));
        }
      });
    });
  }

  test('a CloudEvent returned for an HTTP request goes back in binary HTTP mode', async () => {
    await conforms('CloudEvents', http('{"reply":"cloudevent"}'), (r) => {
      assert.equal(r.body.statusCode, 200);
      assert.equal(r.body.headers['ce-id'], 'reply-1');
      assert.equal(r.body.headers['ce-time'], '2026-01-02T03:04:05.000Z');
      assert.equal(r.body.headers['content-type'], 'application/json; charset=utf-8');
      assert.deepEqual(JSON.parse(r.body.body), { got: 'req-1' });
    });
  });

  test('a plain invoke is one CloudEvent with a generated id and time', async () => {
    const strip = (r: Result) => {
      const body = structuredClone(r.body);
      assert.match(body.event.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.match(body.event.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      delete body.event.id;
      delete body.event.time;
      assert.match(body.event.source, /^urn:open-runtime:function:(local|proxy)-CloudEvents$/);
      delete body.event.source;
      return { ok: r.ok, body };
    };
    await conforms('CloudEvents', { hello: 'world' }, (r) => assert.equal(r.body.event.type, 'com.amazonaws.lambda.invoke'), strip);
  });

  test('a failed single event goes through the inner then the outer error hooks', async () => {
    await conforms('CloudEvents', eventbridge({ fail: true }), (r) => {
      assert.equal(r.errorType, 'Error');
      assert.equal(r.body.errorMessage, 'cannot process eb-1,bash:error,node:error');
    });
  });

  test('an event it cannot convert fails as Middleware.Failed naming cloudevents', async () => {
    await conforms(
      'CloudEvents',
      { Records: [{ eventSource: 'aws:sqs', messageId: 'm', body: 'x' }] },
      (r) => {
        assert.equal(r.errorType, 'Middleware.Failed');
        assert.match(r.body.errorMessage, /^Middleware "cloudevents" failed: .*Check that the event is one it can convert/s);
      },
      (r) => ({ errorType: r.errorType, middleware: r.body.middleware }),
    );
  });

  test('named twice in one chain, every invocation fails as Middleware.Failed with the same sentence, and the function is not run', async () => {
    await conforms('CloudEventsTwice', eventbridge({ order: 1 }), (r) => {
      assert.equal(r.errorType, 'Middleware.Failed');
      assert.equal(r.body.errorMessage, '"cloudevents" is named twice in the chain: name it once.');
      assert.ok(!r.logs.some((l) => l.includes('trace-node')), 'no hook ran');
    });
  });
});

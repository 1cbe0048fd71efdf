// The middleware protocol's pieces: how hook output is read, manifests, how names resolve in a workspace, what
// the visualizer is told about runner-level chains, and that the WIT world matches what the runner describes.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { parseFunction } from '../../runner/functions/model.ts';
import { MiddlewareFailure, readHookOutput } from '../../runner/middleware/hook-answer.ts';
import { hookTimeoutMs, MiddlewareManifest } from '../../runner/middleware/manifest.ts';
import { describeRunnerChain, describeRunnerChains, MIDDLEWARE_WORLD_EXPORTS } from '../../runner/middleware/describe.ts';
import { MiddlewareManifestError, MiddlewareNotFoundError, middlewareDirs, resolveMiddleware } from '../../runner/middleware/resolve.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'middleware');
const temps: string[] = [];
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

function fn(middlewares: string[], extra: Record<string, unknown> = {}) {
  return parseFunction(
    {
      name: 'Fn',
      runtime: 'nodejs22.x',
      handler: 'index.handler',
      codeUri: join(FIXTURE, 'functions', 'echo'),
      source: { file: join(FIXTURE, 'template.yaml'), line: 1 },
      middlewares,
      ...extra,
    },
    'test',
  );
}

describe('reading what a hook printed', () => {
  test('the replacement value, {"$response"} and {"$error"}', () => {
    assert.deepEqual(readHookOutput('{"a":1}\n', 'm', 'before'), { kind: 'next', value: { a: 1 } });
    assert.deepEqual(readHookOutput('{"$response":{"statusCode":401}}', 'm', 'before'), { kind: 'respond', value: { statusCode: 401 } });
    assert.deepEqual(readHookOutput('{"$error":{"errorType":"Auth","errorMessage":"no"}}', 'm', 'after'), {
      kind: 'raise',
      error: { errorType: 'Auth', errorMessage: 'no' },
    });
    // Only an object whose single key is the envelope is one: an event with more keys is just an event.
    assert.deepEqual(readHookOutput('{"$response":1,"x":2}', 'm', 'before'), { kind: 'next', value: { $response: 1, x: 2 } });
    assert.deepEqual(readHookOutput('"text"', 'm', 'after'), { kind: 'next', value: 'text' });
  });

  test('the error hook hands on an error object', () => {
    assert.deepEqual(readHookOutput('{"errorType":"E","errorMessage":"m","extra":1}', 'm', 'error'), {
      kind: 'next',
      value: { errorType: 'E', errorMessage: 'm', extra: 1 },
    });
    assert.throws(() => readHookOutput('[1,2]', 'm', 'error'), /its error hook printed something that is neither an error object/);
  });

  test('nothing, invalid JSON and a bad $error are failures naming the middleware, hook and output', () => {
    assert.throws(
      () => readHookOutput('  \n', 'auth', 'before'),
      (err: MiddlewareFailure) => {
        assert.ok(err instanceof MiddlewareFailure);
        assert.match(err.message, /^Middleware "auth" failed in its before hook: it printed nothing on stdout/);
        assert.deepEqual(err.toLambdaError(), {
          errorType: 'Middleware.Failed',
          errorMessage: err.message,
          middleware: 'auth',
          hook: 'before',
          stdout: '',
          stderr: '',
        });
        return true;
      },
    );
    assert.throws(
      () => readHookOutput('{oops', 'auth', 'after', 'line 3: boom'),
      /failed in its after hook: it printed invalid JSON .*It printed: \{oops Its stderr: line 3: boom/,
    );
    assert.throws(() => readHookOutput('{"$error":"nope"}', 'auth', 'before'), /without an object holding errorType and errorMessage/);
  });
});

describe('manifests', () => {
  test('defaults, and per-hook timeouts', () => {
    const plain = MiddlewareManifest.parse({});
    assert.deepEqual({ longLived: plain.longLived, hooks: plain.hooks }, { longLived: false, hooks: ['before', 'after', 'error'] });
    assert.equal(hookTimeoutMs(plain, 'before'), 3000);
    assert.equal(hookTimeoutMs(MiddlewareManifest.parse({ timeoutMs: 250 }), 'after'), 250);
    const perHook = MiddlewareManifest.parse({ timeoutMs: { after: 90 } });
    assert.deepEqual([hookTimeoutMs(perHook, 'after'), hookTimeoutMs(perHook, 'before')], [90, 3000]);
  });

  test('a wrong manifest is a sentence naming the file and the field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'or-mw-'));
    temps.push(dir);
    mkdirSync(join(dir, 'middlewares'));
    writeFileSync(join(dir, 'middlewares', 'auth.json'), JSON.stringify({ longLived: 'yes', hooks: ['before'] }));
    writeFileSync(join(dir, 'middlewares', 'auth.sh'), 'cat\n');
    const f = parseFunction({ name: 'F', runtime: 'nodejs22.x', codeUri: dir, middlewares: ['auth'] }, 'test');
    assert.throws(
      () => resolveMiddleware(f, 'auth'),
      (err: Error) => err instanceof MiddlewareManifestError && /auth\.json is not valid: longLived: /.test(err.message),
    );
  });
});

describe('resolving names in the function workspace', () => {
  test('executables with the interpreter their extension names, long-lived per manifest, built-ins', () => {
    const f = fn([]);
    assert.deepEqual(middlewareDirs(f), [join(FIXTURE, 'middlewares'), join(FIXTURE, 'functions', 'echo', 'middlewares')]);
    const bash = resolveMiddleware(f, 'trace-bash');
    assert.deepEqual(bash.kind === 'executable' && [bash.command, bash.args], ['bash', [join(FIXTURE, 'middlewares', 'trace-bash.sh')]]);
    const node = resolveMiddleware(f, 'trace-node');
    assert.deepEqual(node.kind === 'executable' && node.command, process.execPath);
    const ll = resolveMiddleware(f, 'counter-ll');
    assert.equal(ll.kind === 'executable' && ll.manifest?.longLived, true);
    assert.deepEqual(resolveMiddleware(f, 'cloudevents'), { name: 'cloudevents', kind: 'builtin', builtin: 'cloudevents' });
  });

  test('unknown names, names that are paths, and files that cannot run are refused with what to do', () => {
    const f = fn([]);
    assert.throws(
      () => resolveMiddleware(f, 'nope'),
      (err: Error) => err instanceof MiddlewareNotFoundError && /was not found: looked for nope, nope\.sh/.test(err.message),
    );
    assert.throws(() => resolveMiddleware(f, '../secrets'), /is not a file name/);
    const dir = mkdtempSync(join(tmpdir(), 'or-mw-'));
    temps.push(dir);
    mkdirSync(join(dir, 'middlewares'));
    writeFileSync(join(dir, 'middlewares', 'plain'), '#!/bin/sh\ncat\n');
    const g = parseFunction({ name: 'G', runtime: 'provided.al2023', codeUri: dir }, 'test');
    assert.throws(() => resolveMiddleware(g, 'plain'), /is not executable: run "chmod \+x/);
    chmodSync(join(dir, 'middlewares', 'plain'), 0o755);
    const ok = resolveMiddleware(g, 'plain');
    assert.deepEqual(ok.kind === 'executable' && ok.command, join(dir, 'middlewares', 'plain'));
    writeFileSync(join(dir, 'middlewares', 'guard.wasm'), Buffer.from([0, 97, 115, 109]));
    assert.equal(resolveMiddleware(g, 'guard').kind, 'component');
  });
});

describe('runner-level chains for the visualizer', () => {
  test('each middleware with its kind, hooks, schemas and problems', () => {
    const chain = describeRunnerChain(fn(['deny', 'counter-ll', 'trace-py', 'cloudevents', 'gone']));
    assert.deepEqual(
      chain.middlewares.map((m) => [m.name, m.kind, m.hooks.join('+')]),
      [
        ['deny', 'executable', 'before'],
        ['counter-ll', 'long-lived', 'before'],
        ['trace-py', 'executable', 'before+after+error'],
        ['cloudevents', 'builtin', 'before+after'],
        ['gone', 'missing', ''],
      ],
    );
    assert.deepEqual((chain.middlewares[0]!.schemas as any).before.output.required, ['token']);
    assert.match(chain.middlewares[4]!.problem!, /was not found/);
  });

  test('only functions with middlewares whose code holds the file; SLSMIDDLEWARES counts', () => {
    const a = fn(['deny']);
    const b = parseFunction(
      {
        name: 'B',
        runtime: 'python3.12',
        codeUri: join(FIXTURE, 'functions', 'py-echo'),
        environment: { SLSMIDDLEWARES: 'trace-py, trace-node' },
        source: { file: join(FIXTURE, 'template.yaml'), line: 1 },
      },
      'test',
    );
    const c = parseFunction({ name: 'C', runtime: 'nodejs22.x', codeUri: join(FIXTURE, 'functions', 'ce-handler') }, 'test');
    assert.deepEqual(
      describeRunnerChains([a, b, c]).map((r) => r.function),
      ['Fn', 'B'],
    );
    assert.deepEqual(
      describeRunnerChains([a, b, c], join(FIXTURE, 'functions', 'py-echo', 'app.py')).map((r) => [r.function, r.middlewares.map((m) => m.name)]),
      [['B', ['trace-py', 'trace-node']]],
    );
  });

  test('the WIT world declares the exports the runner describes', () => {
    const wit = readFileSync(join(ROOT, 'wit', 'middleware', 'middleware.wit'), 'utf8');
    for (const line of MIDDLEWARE_WORLD_EXPORTS) assert.ok(wit.includes(line), line);
    assert.match(wit, /^package open-runtime:middleware@0\.1\.0;/);
  });
});

// The extension's sidecar client against the real runner (runner/cli.ts serve, real HTTP, real processes):
// start and ready line, the typed control API, the /events stream, errors as sentences, restart after a
// crash, and shutdown. The function used is examples/BashCurl (a provided.al2023 bootstrap in bash + curl).
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { RunnerError, RunnerSidecar, type RunnerState } from '../../extension/runner-client.ts';
import type { RunnerEvent } from '../../runner/protocol.ts';
import { sendHttpRequest } from '../../extension/routes/http-request.ts';
import * as undici from 'undici';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const EXAMPLES = `${ROOT}examples`;

function waitFor<T>(what: string, check: () => T | undefined, ms = 20_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const value = check();
      if (value !== undefined && value !== false) return resolve(value);
      if (Date.now() - started > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 50);
    };
    tick();
  });
}

describe('RunnerSidecar with the real runner', () => {
  const logs: string[] = [];
  const states: RunnerState['kind'][] = [];
  const events: RunnerEvent[] = [];
  let runner: RunnerSidecar;

  before(() => {
    runner = new RunnerSidecar({ workspace: EXAMPLES, runnerScript: `${ROOT}runner/cli.ts`, nodePath: process.execPath, log: (l) => logs.push(l) });
    runner.onState((s) => states.push(s.kind));
    runner.onEvent((e) => events.push(e));
  });
  after(async () => {
    await runner.dispose();
  });

  it('starts on first use and reports ready with its port and pid', async () => {
    assert.equal(runner.state.kind, 'stopped');
    await runner.ensureStarted();
    const s = runner.state as RunnerState;
    assert.ok(s.kind === 'ready' && s.port > 0 && s.pid > 0, JSON.stringify(s));
    assert.deepEqual(states.slice(0, 2), ['starting', 'ready']);
  });

  it("names where the project's HTTP APIs are served, and serves them there", async () => {
    await runner.ensureStarted();
    const s = runner.state as RunnerState;
    assert.ok(s.kind === 'ready' && s.apiPort && s.apiPort !== s.port, JSON.stringify(s));
    assert.ok(
      logs.some((l) => l.includes(`HTTP APIs (API Gateway routes, Function URLs) are on http://127.0.0.1:${s.apiPort}`)),
      logs.join('\n'),
    );
    const res = await fetch(`http://127.0.0.1:${s.apiPort}/no-such-route`);
    assert.equal(res.status, 404); // the gateway's own answer: the examples declare no route there
    await res.body?.cancel();
  });

  it("lists the gateway's routes (GET /routes) with their local URLs, and a request sent there reaches the handler", async () => {
    const { apiPort, routes } = await runner.listRoutes();
    const s = runner.state as RunnerState;
    assert.ok(s.kind === 'ready' && apiPort === s.apiPort, `the table names the gateway's port: ${apiPort}`);
    const hello = routes.find((r) => r.function === 'HelloTs');
    assert.deepEqual(
      hello && { method: hello.method, path: hello.path, url: hello.url, kind: hello.kind, kindLabel: hello.kindLabel },
      { method: 'GET', path: '/hello', url: `http://127.0.0.1:${apiPort}/hello`, kind: 'http', kindLabel: 'HTTP API (payload 2.0)' },
      JSON.stringify(routes),
    );
    assert.ok(
      routes.some((r) => r.function === 'StreamJs' && r.kind === 'url' && r.path === '/lambda-url/StreamJs/'),
      JSON.stringify(routes),
    );
    const exchange = await sendHttpRequest(undici, apiPort!, { method: 'GET', path: '/hello?name=Ada', pathParameters: {}, headers: {}, body: '' });
    assert.equal(exchange.status, 200);
    assert.equal(JSON.parse(exchange.body).message, 'Hello, Ada!');
  });

  it('lists the workspace functions through the control API', async () => {
    const { functions } = await runner.listFunctions();
    assert.ok(
      functions.some((f) => f.name === 'BashCurl' && f.runtime === 'provided.al2023'),
      functions.map((f) => f.name).join(', '),
    );
  });

  it('arms and disarms a Rust function for a debugger (Debug Route): the answer names lldb, which the client accepts', async () => {
    assert.deepEqual(await runner.setDebugMode('RustHello', 'every'), { function: 'RustHello', mode: 'every', language: 'lldb' });
    assert.deepEqual(await runner.setDebugMode('RustHello', 'off'), { function: 'RustHello', mode: 'off', language: 'lldb' });
  });

  it('asks the runner for its functions once, and again after it reloaded them', async () => {
    const first = await runner.listFunctions();
    assert.equal(await runner.listFunctions(), first, 'the second click reuses the list (no request to the runner)');
    const reloaded = await runner.reloadFunctions();
    assert.notEqual(reloaded, first);
    await waitFor('functions-changed on /events', () => events.some((e) => e.type === 'functions-changed') || undefined);
    const after = await runner.listFunctions();
    assert.notEqual(after, first, 'functions-changed drops the kept list');
    assert.deepEqual(
      after.functions.map((f) => f.name),
      first.functions.map((f) => f.name),
    );
  });

  it('invokes, and streams the logs and the environment count on /events', async () => {
    const result = await runner.invoke({ function: 'BashCurl', payload: '{"hello":"runner"}' });
    assert.equal(result.function, 'BashCurl');
    assert.equal(result.error, undefined);
    assert.match(result.payload, /hello/);
    assert.ok(result.report.billedDurationMs >= 1);
    const started = await waitFor('invoke-start', () => events.find((e) => e.type === 'invoke-start' && e.requestId === result.requestId));
    assert.equal(started.type === 'invoke-start' && started.function, 'BashCurl');
    await waitFor('the REPORT log line', () =>
      events.find((e) => e.type === 'log' && e.function === 'BashCurl' && e.line.startsWith('REPORT RequestId: ' + result.requestId)),
    );
    const warm = await waitFor('a warm environment', () =>
      runner.state.kind === 'ready' && runner.state.environments > 0 ? runner.state.environments : undefined,
    );
    assert.ok(warm >= 1);
  });

  it('turns control errors into RunnerErrors with the Lambda error type', async () => {
    await assert.rejects(runner.invoke({ function: 'NoSuchFunction', payload: '{}' }), (err: unknown) => {
      assert.ok(err instanceof RunnerError);
      assert.equal(err.errorType, 'ResourceNotFoundException');
      assert.match(err.message, /NoSuchFunction/);
      return true;
    });
    await assert.rejects(
      runner.invoke({ function: 'BashCurl', payload: '{not json' }),
      (err: unknown) => err instanceof RunnerError && /not valid JSON/.test(err.message),
    );
  });

  it('infers a function from a lone handler file', async () => {
    const fn = await runner.inferFunction(`${EXAMPLES}/functions/bash-curl/bootstrap`);
    assert.equal(fn.runtime, 'provided.al2023');
  });

  it('restarts the runner when it dies', async () => {
    const before = runner.state;
    assert.equal(before.kind, 'ready');
    process.kill(before.kind === 'ready' ? before.pid : 0, 'SIGKILL');
    await waitFor('a restarted runner', () => (runner.state.kind === 'ready' && before.kind === 'ready' && runner.state.pid !== before.pid ? true : undefined));
    assert.ok(
      logs.some((l) => /stopped unexpectedly \(signal SIGKILL\); restarting it/.test(l)),
      logs.join('\n'),
    );
    const result = await runner.invoke({ function: 'BashCurl', payload: '{"after":"restart"}' });
    assert.match(result.payload, /after/);
  });

  it('stops the runner process on dispose', async () => {
    const s = runner.state;
    assert.equal(s.kind, 'ready');
    const pid = s.kind === 'ready' ? s.pid : 0;
    await runner.dispose();
    assert.equal(runner.state.kind, 'stopped');
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});

describe('RunnerSidecar start failures', () => {
  it('says which Node could not start and which setting to change', async () => {
    const runner = new RunnerSidecar({ workspace: EXAMPLES, runnerScript: `${ROOT}runner/cli.ts`, nodePath: '/nonexistent/node', log: () => undefined });
    await assert.rejects(runner.ensureStarted(), (err: unknown) => {
      assert.ok(err instanceof RunnerError);
      assert.equal(err.errorType, 'Runner.StartFailed');
      assert.match(err.message, /\/nonexistent\/node.*openRuntime\.nodePath/);
      return true;
    });
    assert.equal(runner.state.kind, 'failed');
    await runner.dispose();
  });

  it('reports a runner that exits before it is ready, with its last words', async () => {
    const runner = new RunnerSidecar({
      workspace: EXAMPLES,
      runnerScript: `${ROOT}test/unit/extension-runner-client.test.ts.missing`,
      nodePath: process.execPath,
      log: () => undefined,
    });
    await assert.rejects(
      runner.ensureStarted(),
      (err: unknown) => err instanceof RunnerError && /exited before it was ready \(exit code 1\)\. It said: Error: Cannot find module/.test(err.message),
    );
    await runner.dispose();
  });
});

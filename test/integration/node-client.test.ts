// The Node runtime client (runner/runtimes/node/client.ts, bundled as the runner bundles it) run as a real process
// against a minimal Runtime API server written here, standing in for the runner, so the wire behaviour can be
// asserted exactly: headers, chunk arrival order, trailers, error bodies, init errors, exit codes, connections.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomUUID } from 'node:crypto';
import * as esbuild from 'esbuild';

const REPO = resolve(import.meta.dirname, '../..');
const FIXTURES = join(REPO, 'test/fixtures/node');

// ---------------------------------------------------------------------------------------------------------------
// A minimal Runtime API server standing in for the runner (a test double: it records what the client sends).
// ---------------------------------------------------------------------------------------------------------------

interface Posted {
  kind: 'response' | 'error';
  requestId: string;
  headers: IncomingHttpHeaders;
  trailers: NodeJS.Dict<string>;
  body: Buffer;
  /** Body as the data events arrived. */
  chunks: Buffer[];
}

interface InitError {
  headers: IncomingHttpHeaders;
  body: { errorType: string; errorMessage: string; trace: string[] };
}

interface Pending {
  requestId: string;
  body: string;
  headers: Record<string, string>;
  resolve: (posted: Posted) => void;
}

class RuntimeApiStandIn {
  readonly server: Server;
  port = 0;
  connections = 0;
  nextRequests = 0;
  /** Status to answer /response POSTs with (413 to play a payload that is too large). */
  responseStatus = 202;
  private readonly queue: Pending[] = [];
  private readonly inFlight = new Map<string, Pending>();
  private waiting: ServerResponse | undefined;
  private readonly received = new Map<string, number>();
  private readonly gates: { requestId: string; bytes: number; res: ServerResponse }[] = [];
  private initErrorResolve!: (error: InitError) => void;
  readonly initError: Promise<InitError>;

  constructor() {
    this.initError = new Promise((resolve) => {
      this.initErrorResolve = resolve;
    });
    this.server = createServer((req, res) => this.route(req, res));
    this.server.on('connection', () => {
      this.connections += 1;
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('no port');
    this.port = address.port;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** A URL a handler can GET that answers once `bytes` bytes of the response to `requestId` have arrived. */
  gateUrl(requestId: string, bytes: number): string {
    return `http://${this.address}/test-gate/${requestId}/${bytes}`;
  }

  invoke(event: unknown, headers: Record<string, string> = {}, requestId: string = randomUUID()): Promise<Posted> {
    return new Promise((resolve) => {
      this.queue.push({
        requestId,
        body: JSON.stringify(event),
        headers: {
          'Lambda-Runtime-Aws-Request-Id': requestId,
          'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60_000),
          'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:000000000000:function:test-fn',
          ...headers,
        },
        resolve,
      });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (!this.waiting || this.queue.length === 0) return;
    const next = this.queue.shift()!;
    const res = this.waiting;
    this.waiting = undefined;
    this.inFlight.set(next.requestId, next);
    res.writeHead(200, { 'Content-Type': 'application/json', ...next.headers });
    res.end(next.body);
  }

  private openGates(): void {
    for (const gate of [...this.gates]) {
      if ((this.received.get(gate.requestId) ?? 0) >= gate.bytes) {
        this.gates.splice(this.gates.indexOf(gate), 1);
        gate.res.end('open');
      }
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '';
    if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      this.nextRequests += 1;
      this.waiting = res;
      this.dispatch();
      return;
    }
    const gate = /^\/test-gate\/([^/]+)\/(\d+)$/.exec(url);
    if (gate) {
      this.gates.push({ requestId: gate[1]!, bytes: Number(gate[2]), res });
      this.openGates();
      return;
    }
    const chunks: Buffer[] = [];
    const posted = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    req.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (posted) {
        const id = decodeURIComponent(posted[1]!);
        this.received.set(id, (this.received.get(id) ?? 0) + chunk.length);
        this.openGates();
      }
    });
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
        res.writeHead(202).end('{"status":"OK"}');
        this.initErrorResolve({ headers: req.headers, body: JSON.parse(body.toString()) });
        return;
      }
      if (req.method === 'POST' && posted) {
        const requestId = decodeURIComponent(posted[1]!);
        const pending = this.inFlight.get(requestId);
        const status = posted[2] === 'response' ? this.responseStatus : 202;
        res.writeHead(pending ? status : 400).end(pending ? '{"status":"OK"}' : '{"errorType":"InvalidRequestID"}');
        if (!pending) return;
        this.inFlight.delete(requestId);
        pending.resolve({ kind: posted[2] as 'response' | 'error', requestId, headers: req.headers, trailers: { ...req.trailers }, body, chunks });
        return;
      }
      res.writeHead(404).end();
    });
  }

  async close(): Promise<void> {
    this.waiting?.destroy();
    for (const gate of this.gates) gate.res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// The client under test, bundled exactly as scripts/build.ts bundles it, run as a function's process.
// ---------------------------------------------------------------------------------------------------------------

let bundleDir: string;
let bundle: string;

before(async () => {
  bundleDir = mkdtempSync(join(tmpdir(), 'node-runtime-'));
  const result = await esbuild.build({
    entryPoints: { 'node-runtime': join(REPO, 'runner/runtimes/node/client.ts') },
    outdir: bundleDir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    sourcemap: 'linked',
    logLevel: 'warning',
    target: 'node20',
    platform: 'node',
    format: 'cjs',
    metafile: true,
  });
  bundle = join(bundleDir, 'node-runtime.cjs');
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports);
  assert.deepEqual(
    imports.filter((i) => !i.path.startsWith('node:')),
    [],
    'the runtime client must only depend on node: built-ins',
  );
});

after(() => {
  rmSync(bundleDir, { recursive: true, force: true });
});

interface RuntimeProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Logs and results travel on different channels (a pipe, a socket): wait for the log line itself. */
function waitForOutput(runtime: RuntimeProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const check = () => {
      const match = pattern.exec(runtime.stdout());
      if (!match) return false;
      runtime.child.stdout!.off('data', onData);
      runtime.child.off('close', onClose);
      resolve(match[0]);
      return true;
    };
    const onData = () => setImmediate(check);
    const onClose = () => {
      if (!check()) reject(new Error(`the runtime exited without printing ${pattern}; stdout was:\n${runtime.stdout()}`));
    };
    if (check()) return;
    runtime.child.stdout!.on('data', onData);
    runtime.child.on('close', onClose);
  });
}

function startRuntime(api: RuntimeApiStandIn, handler: string, taskRoot: string, env: Record<string, string> = {}): RuntimeProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', bundle], {
    cwd: taskRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '',
      TZ: ':UTC',
      AWS_LAMBDA_RUNTIME_API: api.address,
      _HANDLER: handler,
      LAMBDA_TASK_ROOT: taskRoot,
      AWS_LAMBDA_FUNCTION_NAME: 'test-fn',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/test-fn',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/01/[$LATEST]0123456789abcdef',
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      ...env,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => (stdout += c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Starts a stand-in server and the client; disposes both when the test ends. */
async function withRuntime(
  t: { after: (fn: () => Promise<void> | void) => void },
  handler: string,
  taskRoot: string,
  env: Record<string, string> = {},
): Promise<{ api: RuntimeApiStandIn; runtime: RuntimeProcess }> {
  const api = new RuntimeApiStandIn();
  await api.listen();
  const runtime = startRuntime(api, handler, taskRoot, env);
  t.after(async () => {
    if (runtime.child.exitCode === null && runtime.child.signalCode === null) runtime.child.kill('SIGKILL');
    await runtime.exited;
    await api.close();
  });
  return { api, runtime };
}

function json(posted: Posted): any {
  return JSON.parse(posted.body.toString('utf8'));
}

const ESM = join(FIXTURES, 'esm');
const TEST_TIMEOUT = { timeout: 30_000 };

describe('node runtime client: handlers', TEST_TIMEOUT, () => {
  it('runs an ESM handler and posts its JSON result to /response', async (t) => {
    const { api } = await withRuntime(t, 'index.handler', ESM);
    const posted = await api.invoke({ hello: 'world' }, {}, 'req-esm-1');
    assert.equal(posted.kind, 'response');
    assert.equal(posted.headers['content-type'], 'application/json');
    assert.equal(posted.headers['content-length'], String(posted.body.length));
    assert.deepEqual(json(posted), { echo: { hello: 'world' }, requestId: 'req-esm-1', kind: 'esm' });
  });

  it('runs a CommonJS handler from a .js file in a "type": "commonjs" package', async (t) => {
    const { api } = await withRuntime(t, 'app.handler', join(FIXTURES, 'cjs'));
    const posted = await api.invoke([1, 2], {}, 'req-cjs-1');
    assert.deepEqual(json(posted), { echo: [1, 2], requestId: 'req-cjs-1', kind: 'cjs', isModule: 'object' });
  });

  it('finds a CommonJS handler that is only reachable through the default export', async (t) => {
    const { api } = await withRuntime(t, 'exported-object.handler', join(FIXTURES, 'cjs'));
    assert.deepEqual(json(await api.invoke({})), { kind: 'cjs-default' });
  });

  it('loads the module named by OPEN_RUNTIME_HANDLER_MODULE and takes the export after the last dot', async (t) => {
    const { api } = await withRuntime(t, 'src/app.handler', join(FIXTURES, 'compiled'), {
      OPEN_RUNTIME_HANDLER_MODULE: join(FIXTURES, 'compiled/out/app.mjs'),
    });
    assert.deepEqual(json(await api.invoke({ n: 1 })), { compiled: true, echo: { n: 1 } });
  });

  it('JSON-encodes every result once: strings are quoted, undefined becomes null', async (t) => {
    const strings = await withRuntime(t, 'index.returnsString', ESM);
    assert.equal((await strings.api.invoke({})).body.toString(), '"plain \\"text\\""');
    const nothing = await withRuntime(t, 'index.returnsUndefined', ESM);
    assert.equal((await nothing.api.invoke({})).body.toString(), 'null');
  });

  it('gives the handler the full context, and sets _X_AMZN_TRACE_ID per invoke', async (t) => {
    const { api } = await withRuntime(t, 'index.context', ESM);
    const first = json(
      await api.invoke(
        {},
        {
          'Lambda-Runtime-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
          'Lambda-Runtime-Client-Context': JSON.stringify({ client: { app_title: 'demo' }, custom: { k: 'v' }, env: {} }),
          'Lambda-Runtime-Cognito-Identity': JSON.stringify({ cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' }),
        },
        'req-ctx-1',
      ),
    );
    assert.equal(first.awsRequestId, 'req-ctx-1');
    assert.equal(first.invokedFunctionArn, 'arn:aws:lambda:us-east-1:000000000000:function:test-fn');
    assert.equal(first.functionName, 'test-fn');
    assert.equal(first.functionVersion, '$LATEST');
    assert.equal(first.memoryLimitInMB, '256');
    assert.equal(first.logGroupName, '/aws/lambda/test-fn');
    assert.equal(first.logStreamName, '2026/11/01/[$LATEST]0123456789abcdef');
    assert.ok(first.remaining > 0 && first.remaining <= 60_000, `remaining time ${first.remaining} should be within the 60 s deadline`);
    assert.equal(first.callbackWaitsForEmptyEventLoop, true);
    assert.deepEqual(first.clientContext, { client: { app_title: 'demo' }, custom: { k: 'v' }, env: {} });
    assert.deepEqual(first.identity, { cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' });
    assert.equal(first.traceEnv, 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1');
    assert.equal(first.hasDone, true);
    assert.equal(first.invokeStoreRequestId, 'req-ctx-1');

    // The next invoke has no trace header and no client context: neither leaks from the previous one.
    const second = json(await api.invoke({}, {}, 'req-ctx-2'));
    assert.equal(second.awsRequestId, 'req-ctx-2');
    assert.equal(second.traceEnv, null);
    assert.equal(second.clientContext, null);
    assert.equal(second.identity, null);
  });

  it('shows _X_AMZN_TRACE_ID to user code and its child processes, and unsets it for an invoke without a trace', async (t) => {
    const { api } = await withRuntime(t, 'index.traceEnvironment', ESM);
    const trace = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const traced = json(await api.invoke({}, { 'Lambda-Runtime-Trace-Id': trace }));
    assert.deepEqual(traced, { read: trace, listed: true, has: true, spread: trace, child: trace });
    const untraced = json(await api.invoke({}, {}));
    assert.deepEqual(untraced, { read: null, listed: false, has: false, spread: null, child: 'unset' });
  });

  it("does not grow the C heap with each invocation's trace id (glibc keeps every value setenv was given)", async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.handler', ESM);
    // The brk heap, where glibc's malloc puts small blocks; V8's heap is mapped elsewhere.
    const heapKb = () => {
      const smaps = readFileSync(`/proc/${runtime.child.pid}/smaps`, 'utf8');
      const at = smaps.indexOf('[heap]');
      return at < 0 ? 0 : Number(/Rss:\s+(\d+) kB/.exec(smaps.slice(at))![1]);
    };
    const padding = 'x'.repeat(2000);
    const invokes = async (count: number) => {
      for (let i = 0; i < count; i++) await api.invoke({}, { 'Lambda-Runtime-Trace-Id': `Root=1-${i.toString(16)}-${padding};Sampled=0` });
    };
    await invokes(500); // warm: the client's own allocations settle
    const before = heapKb();
    await invokes(5000); // setenv kept 5000 x 2 KB = 10 MB of these
    const grown = heapKb() - before;
    assert.ok(grown < 3000, `the C heap grew by ${grown} kB over 5000 invocations with distinct 2 KB trace ids`);
  });

  it('computes getRemainingTimeInMillis from Lambda-Runtime-Deadline-Ms', async (t) => {
    const { api } = await withRuntime(t, 'index.context', ESM);
    const past = json(await api.invoke({}, { 'Lambda-Runtime-Deadline-Ms': String(Date.now() - 5_000) }));
    assert.ok(past.remaining <= -5_000, `a deadline 5 s ago leaves ${past.remaining} ms`);
  });

  it('reuses one keep-alive connection for every call', async (t) => {
    const { api } = await withRuntime(t, 'index.handler', ESM);
    for (let i = 0; i < 5; i++) await api.invoke({ i });
    assert.equal(api.connections, 1);
  });

  it('carries on after the runner answers a response with 413', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.big', ESM);
    api.responseStatus = 413;
    const tooBig = await api.invoke({ size: 7 * 1024 * 1024 });
    assert.equal(tooBig.body.length, 7 * 1024 * 1024 + 2);
    api.responseStatus = 202;
    assert.equal((await api.invoke({ size: 3 })).body.toString(), '"xxx"');
    assert.equal(runtime.child.exitCode, null);
  });
});

describe('node runtime client: callback handlers', TEST_TIMEOUT, () => {
  const CALLBACK = join(FIXTURES, 'callback');

  it('waits for the event loop to empty before sending a callback result (callbackWaitsForEmptyEventLoop = true)', async (t) => {
    const { api } = await withRuntime(t, 'index.handler', CALLBACK);
    assert.deepEqual(json(await api.invoke({})), { timerRan: true, waited: true });
  });

  it('sends a callback result at once when callbackWaitsForEmptyEventLoop = false', async (t) => {
    const { api } = await withRuntime(t, 'index.handler', CALLBACK);
    assert.deepEqual(json(await api.invoke({ waits: false })), { timerRan: false, waited: false });
    // The environment keeps serving afterwards.
    assert.deepEqual(json(await api.invoke({})), { timerRan: true, waited: true });
  });

  it('only counts the first callback call', async (t) => {
    const { api } = await withRuntime(t, 'index.callsBack', CALLBACK);
    assert.deepEqual(json(await api.invoke({ a: 1 })), { got: { a: 1 } });
    assert.deepEqual(json(await api.invoke({ a: 2 })), { got: { a: 2 } });
  });

  it('reports callback(error) as a function error', async (t) => {
    const { api } = await withRuntime(t, 'index.callsBackWithError', CALLBACK);
    const posted = await api.invoke({});
    assert.equal(posted.kind, 'error');
    assert.equal(json(posted).errorType, 'Error');
    assert.equal(json(posted).errorMessage, 'callback failure');
  });

  it('supports the legacy context.succeed and context.fail', async (t) => {
    const succeed = await withRuntime(t, 'index.usesSucceed', CALLBACK);
    assert.deepEqual(json(await succeed.api.invoke({})), { via: 'succeed' });
    const fail = await withRuntime(t, 'index.usesFailWithNothing', CALLBACK);
    const posted = await fail.api.invoke({});
    assert.equal(posted.kind, 'error');
    assert.deepEqual(json(posted), { errorType: 'string', errorMessage: 'handled', trace: [] });
  });

  it('answers null when a callback handler never calls back and nothing is left to run', async (t) => {
    const { api } = await withRuntime(t, 'index.forgetsCallback', CALLBACK);
    const posted = await api.invoke({});
    assert.equal(posted.kind, 'response');
    assert.equal(posted.body.toString(), 'null');
  });

  it('refuses callback handlers at init on nodejs24.x, as Lambda does', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.handler', CALLBACK, { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' });
    const init = await api.initError;
    assert.equal(init.body.errorType, 'Runtime.CallbackHandlerDeprecated');
    assert.equal(await runtime.exited, 1);
  });
});

describe('node runtime client: function errors', TEST_TIMEOUT, () => {
  it('posts a thrown error as {errorType, errorMessage, trace}', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.throws', ESM);
    const posted = await api.invoke({}, {}, 'req-err-1');
    assert.equal(posted.kind, 'error');
    assert.equal(posted.requestId, 'req-err-1');
    const body = json(posted);
    assert.deepEqual(Object.keys(body), ['errorType', 'errorMessage', 'trace']);
    assert.equal(body.errorType, 'PaymentDeclined');
    assert.equal(body.errorMessage, 'card expired');
    assert.equal(body.trace[0], 'PaymentDeclined: card expired');
    // Called as Lambda calls it: the frame reads `Runtime.<name> [as handler]`, as in CloudWatch.
    assert.match(body.trace[1], /^    at Runtime\.throws \[as handler\] \(file:\/\/.*esm\/index\.mjs:\d+:\d+\)$/);
    // The failure is logged as Lambda logs it, and the environment stays up.
    await waitForOutput(runtime, /\treq-err-1\tERROR\tInvoke Error \t\{"errorType":"PaymentDeclined","errorMessage":"card expired"/);
    assert.equal((await api.invoke({})).kind, 'error');
  });

  it('reports a synchronous TypeError from a plain function', async (t) => {
    const { api } = await withRuntime(t, 'index.throwsTypeError', ESM);
    const body = json(await api.invoke({}));
    assert.equal(body.errorType, 'TypeError');
    assert.match(body.errorMessage, /Cannot read properties of null/);
  });

  it('reports thrown non-Error values like Lambda', async (t) => {
    const thrown = await withRuntime(t, 'index.throwsString', ESM);
    assert.deepEqual(json(await thrown.api.invoke({})), { errorType: 'string', errorMessage: 'just a string', trace: [] });
    const rejected = await withRuntime(t, 'index.rejectsUndefined', ESM);
    assert.deepEqual(json(await rejected.api.invoke({})), { errorType: 'string', errorMessage: 'handled', trace: [] });
  });

  it('reports a result that cannot be serialised as Runtime.JSONStringifyError', async (t) => {
    const { api } = await withRuntime(t, 'index.circular', ESM);
    const body = json(await api.invoke({}));
    assert.equal(body.errorType, 'Runtime.JSONStringifyError');
    assert.equal(body.errorMessage, 'Unable to stringify response body');
  });

  it('reports an unhandled rejection as Runtime.UnhandledPromiseRejection and exits 128', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.unhandledRejection', ESM);
    const body = json(await api.invoke({}));
    assert.equal(body.errorType, 'Runtime.UnhandledPromiseRejection');
    assert.equal(body.errorMessage, 'Error: nobody awaited me');
    assert.equal(await runtime.exited, 128);
    await waitForOutput(runtime, /\tERROR\tUnhandled Promise Rejection \t\{"errorType":"Runtime.UnhandledPromiseRejection"/);
  });

  it('reports an uncaught exception against the invoke in flight and exits 129', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.uncaughtException', ESM);
    const body = json(await api.invoke({}));
    assert.equal(body.errorType, 'Error');
    assert.equal(body.errorMessage, 'thrown from a timer');
    assert.equal(await runtime.exited, 129);
  });

  it('exits after a crash without asking for another event', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.respondsThenCrashes', ESM);
    const posted = await api.invoke({});
    assert.equal(posted.body.toString(), '"sent"');
    assert.equal(await runtime.exited, 129);
    assert.equal(api.nextRequests, 1, 'only the first /next: a dying process must not take another event');
  });

  it('reports an async handler whose promise never settles as Runtime.NodeJsExit', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.neverSettles', ESM);
    const body = json(await api.invoke({}));
    assert.equal(body.errorType, 'Runtime.NodeJsExit');
    assert.deepEqual(json(await api.invoke({})).errorType, 'Runtime.NodeJsExit');
    assert.equal(runtime.child.exitCode, null);
  });
});

describe('node runtime client: init errors', TEST_TIMEOUT, () => {
  const BROKEN = join(FIXTURES, 'broken');

  async function initFailure(t: Parameters<typeof withRuntime>[0], handler: string, taskRoot = BROKEN) {
    const { api, runtime } = await withRuntime(t, handler, taskRoot);
    const init = await api.initError;
    assert.equal(await runtime.exited, 1);
    assert.equal(init.headers['lambda-runtime-function-error-type'], init.body.errorType);
    await waitForOutput(runtime, /\tundefined\tERROR\tInit Error \t\{"errorType":/);
    return init.body;
  }

  it('reports a missing module as Runtime.ImportModuleError', async (t) => {
    const body = await initFailure(t, 'nowhere.handler');
    assert.equal(body.errorType, 'Runtime.ImportModuleError');
    assert.match(body.errorMessage, /^Error: Cannot find module 'nowhere'/);
  });

  it('reports a missing dependency of the handler module as Runtime.ImportModuleError', async (t) => {
    const body = await initFailure(t, 'missing-dependency.handler');
    assert.equal(body.errorType, 'Runtime.ImportModuleError');
    assert.match(body.errorMessage, /open-runtime-package-that-does-not-exist/);
  });

  it('reports a missing export as Runtime.HandlerNotFound', async (t) => {
    const body = await initFailure(t, 'exports.handler');
    assert.equal(body.errorType, 'Runtime.HandlerNotFound');
    assert.match(body.errorMessage, /^exports\.handler is undefined or not exported/);
  });

  it('reports an export that is not a function as Runtime.HandlerNotFound', async (t) => {
    const body = await initFailure(t, 'exports.notAFunction');
    assert.equal(body.errorType, 'Runtime.HandlerNotFound');
    assert.match(body.errorMessage, /^exports\.notAFunction is not a function/);
  });

  it('reports a syntax error as Runtime.UserCodeSyntaxError', async (t) => {
    const body = await initFailure(t, 'syntax.handler');
    assert.equal(body.errorType, 'Runtime.UserCodeSyntaxError');
    // Node gives no location for an ES module syntax error; the message names the line anyway.
    assert.match(body.errorMessage, /^SyntaxError: Unexpected identifier 'is' \(at .*broken\/syntax\.mjs:2\)$/);
    assert.equal(body.trace[0], "SyntaxError: Unexpected identifier 'is'");
  });

  it('names the line of a CommonJS syntax error too', async (t) => {
    const body = await initFailure(t, 'syntax-commonjs.handler');
    assert.equal(body.errorType, 'Runtime.UserCodeSyntaxError');
    assert.match(body.errorMessage, /^SyntaxError: Unexpected identifier 'nope' \(at .*broken\/syntax-commonjs\.cjs:2\)$/);
  });

  it('reports a handler setting without a dot as Runtime.MalformedHandlerName', async (t) => {
    const body = await initFailure(t, 'index');
    assert.equal(body.errorType, 'Runtime.MalformedHandlerName');
  });

  it('reports an error thrown while the module loads with its own type', async (t) => {
    const body = await initFailure(t, 'throws-at-load.handler');
    assert.equal(body.errorType, 'RangeError');
    assert.equal(body.errorMessage, 'config value out of range');
  });
});

describe('node runtime client: response streaming', TEST_TIMEOUT, () => {
  const STREAMING = join(FIXTURES, 'streaming');

  it("streams each write as it happens, with Lambda's streaming headers", async (t) => {
    const { api } = await withRuntime(t, 'index.chunks', STREAMING);
    const requestId = 'req-stream-1';
    // The handler only writes 'second' after this server has received 'first': the test cannot pass if the
    // client held chunks back.
    const posted = await api.invoke({ gate: api.gateUrl(requestId, 'first'.length) }, {}, requestId);
    assert.equal(posted.kind, 'response');
    assert.equal(posted.body.toString(), 'firstsecond');
    assert.equal(posted.headers['lambda-runtime-function-response-mode'], 'streaming');
    assert.equal(posted.headers['transfer-encoding'], 'chunked');
    assert.equal(posted.headers['trailer'], 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body');
    assert.equal(posted.headers['content-type'], 'application/octet-stream');
    assert.deepEqual(posted.trailers, {});
    assert.equal(posted.chunks[0]!.toString(), 'first');
  });

  it('writes the HttpResponseStream prelude and 8 NUL bytes before the body', async (t) => {
    const { api } = await withRuntime(t, 'index.http', STREAMING);
    const posted = await api.invoke({});
    assert.equal(posted.headers['content-type'], 'application/vnd.awslambda.http-integration-response');
    const delimiter = posted.body.indexOf(Buffer.alloc(8));
    assert.ok(delimiter > 0, 'the body has a NUL delimiter');
    assert.deepEqual(JSON.parse(posted.body.subarray(0, delimiter).toString()), {
      statusCode: 201,
      headers: { 'x-custom': 'yes' },
      cookies: ['a=1'],
    });
    assert.equal(posted.body.subarray(delimiter + 8).toString(), '<h1>hello</h1>');
  });

  it('sends an error after the first bytes as the error trailers', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.failsMidStream', STREAMING);
    const requestId = 'req-stream-err';
    const posted = await api.invoke({ gate: api.gateUrl(requestId, 'partial'.length) }, {}, requestId);
    assert.equal(posted.kind, 'response');
    assert.equal(posted.body.toString(), 'partial');
    assert.equal(posted.trailers['lambda-runtime-function-error-type'], 'TypeError');
    const error = JSON.parse(Buffer.from(posted.trailers['lambda-runtime-function-error-body']!, 'base64').toString());
    assert.equal(error.errorType, 'TypeError');
    assert.equal(error.errorMessage, 'lost the upstream');
    assert.ok(Array.isArray(error.trace) && error.trace[0] === 'TypeError: lost the upstream');
    await waitForOutput(runtime, /\treq-stream-err\tERROR\tInvoke Error \t\{"errorType":"TypeError"/);
    // The environment carries on.
    const next = await api.invoke({ gate: api.gateUrl('req-stream-err-2', 7) }, {}, 'req-stream-err-2');
    assert.equal(next.body.toString(), 'partial');
  });

  it('still writes the prelude when the handler ends an HttpResponseStream without a body', async (t) => {
    const { api } = await withRuntime(t, 'index.httpWithoutBody', STREAMING);
    const posted = await api.invoke({});
    assert.equal(posted.headers['content-type'], 'application/vnd.awslambda.http-integration-response');
    assert.deepEqual(posted.body, Buffer.concat([Buffer.from('{"statusCode":204}'), Buffer.alloc(8)]));
  });

  it('JSON-encodes objects written to the response stream, like Lambda', async (t) => {
    const { api } = await withRuntime(t, 'index.writesObjects', STREAMING);
    assert.equal((await api.invoke({})).body.toString(), '{"a":1}!');
  });

  it('waits for the event loop to empty before asking for the next event (callbackWaitsForEmptyEventLoop)', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.lingers', STREAMING);
    assert.equal((await api.invoke({}, {}, 'req-linger-1')).body.toString(), 'done');
    // Queued at once; the client must not take it while the first invoke's timer is pending, so the timer's
    // log line still carries the first request id.
    assert.equal((await api.invoke({}, {}, 'req-linger-2')).body.toString(), 'done');
    const line = await waitForOutput(runtime, /\t[^\t]+\tINFO\ttimer after the stream\n/);
    assert.match(line, /^\treq-linger-1\t/, 'the timer ran before the client asked for the next event');
  });

  it('accepts a stream.pipeline into the response stream', async (t) => {
    const { api } = await withRuntime(t, 'index.piped', STREAMING);
    const posted = await api.invoke({});
    assert.equal(posted.body.toString(), 'abc');
    assert.deepEqual(posted.trailers, {});
  });

  it('rejects a streaming handler that is not async, like Lambda', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.notAsync', STREAMING);
    const posted = await api.invoke({}, {}, 'req-not-async');
    // The handler had already ended the stream, so the body is complete and only the log shows the error.
    assert.equal(posted.body.toString(), 'sync');
    await waitForOutput(
      runtime,
      /\treq-not-async\tERROR\tInvoke Error \t\{"errorType":"Error","errorMessage":"Streaming does not support non-async handlers\."/,
    );
  });
});

describe('node runtime client: logs', TEST_TIMEOUT, () => {
  it('writes console output as Lambda text records carrying the request id', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.handler', join(FIXTURES, 'logs'));
    await api.invoke({}, {}, 'req-log-1');
    await waitForOutput(runtime, /\tmulti\rline\rmessage\n/);
    const lines = runtime.stdout().split('\n').filter(Boolean);
    const record = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\t([^\t]+)\t([A-Z]+)\t(.*)$/s;
    for (const line of lines) assert.match(line, record);
    const parsed = lines.map((line) => record.exec(line)!.slice(2));
    assert.deepEqual(parsed[0], ['undefined', 'INFO', 'loaded at init']);
    assert.deepEqual(parsed[1], ['req-log-1', 'INFO', 'hello world { n: 1 }']);
    assert.deepEqual(parsed[2], ['req-log-1', 'INFO', 'info line']);
    assert.deepEqual(parsed[3], ['req-log-1', 'WARN', 'warn line']);
    assert.equal(parsed[4]![1], 'ERROR');
    // A stack trace stays inside one record: its newlines become carriage returns.
    assert.match(parsed[4]![2]!, /^error line Error: shown with its stack\r    at Runtime\.handler \(file:\/\/.*logs\/index\.mjs:\d+:\d+\)\r/);
    assert.deepEqual(parsed[5], ['req-log-1', 'DEBUG', 'debug line']);
    assert.deepEqual(parsed[6], ['req-log-1', 'TRACE', 'trace line']);
    assert.deepEqual(parsed[7], ['req-log-1', 'INFO', 'multi\rline\rmessage']);
    assert.equal(parsed.length, 8);
    assert.equal(runtime.stderr(), '');
  });

  it('honours AWS_LAMBDA_LOG_LEVEL and AWS_LAMBDA_LOG_FORMAT=JSON', async (t) => {
    const { api, runtime } = await withRuntime(t, 'index.handler', join(FIXTURES, 'logs'), {
      AWS_LAMBDA_LOG_FORMAT: 'JSON',
      AWS_LAMBDA_LOG_LEVEL: 'WARN',
    });
    await api.invoke({}, {}, 'req-log-json');
    await waitForOutput(runtime, /"level":"ERROR"[^\n]*\n/);
    const records = runtime
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line));
    assert.deepEqual(
      records.map((r) => r.level),
      ['WARN', 'ERROR'],
    );
    assert.equal(records[0].requestId, 'req-log-json');
    assert.equal(records[0].message, 'warn line');
    assert.equal(records[1].errorType, 'Error');
    assert.equal(records[1].errorMessage, 'shown with its stack');
  });
});

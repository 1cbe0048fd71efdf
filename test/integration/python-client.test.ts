// The project's own Python runtime client (runner/runtimes/python/bootstrap.py), run as a real
// process against a real HTTP Runtime API, asserting what it puts on the wire and in its logs.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const bootstrapPath = path.join(repoRoot, 'runner/runtimes/python/bootstrap.py');
const fixtures = path.join(repoRoot, 'test/fixtures/python');
// The runner starts `python3`; OPEN_RUNTIME_TEST_PYTHON runs this suite under another interpreter (e.g. 3.9).
const python = process.env.OPEN_RUNTIME_TEST_PYTHON ?? 'python3';
const pythonExecutable = execFileSync(python, ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
const TEST_TIMEOUT = 30_000;
const NBSP = '\u00a0';

interface Posted {
  kind: 'response' | 'error' | 'init-error';
  requestId: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

interface InvokeOptions {
  /** Extra /next headers (client context, trace id ...); a value of null leaves that header out. */
  headers?: Record<string, string | null>;
  /** The event body as sent, instead of JSON.stringify(event). */
  rawBody?: string;
}

interface QueuedInvoke {
  id: string;
  body: string;
  headers: Record<string, string>;
  settle: (posted: Posted) => void;
  fail: (error: Error) => void;
}

function readBody(request: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

/**
 * A minimal Runtime API server standing in for the runner (a test double): it hands queued events to
 * GET /next, records what the client POSTs back, and counts TCP connections.
 */
class RuntimeApiStandIn {
  readonly server: Server;
  readonly sockets = new Set<Socket>();
  connectionCount = 0;
  /** Status for the next POST .../response, to see how the client takes a refusal. */
  nextResponseStatus: number | undefined;
  private readonly queue: QueuedInvoke[] = [];
  private readonly waitingForNext: ServerResponse[] = [];
  private readonly inFlight = new Map<string, QueuedInvoke>();
  private readonly initErrors: Posted[] = [];
  /** Set once the client process has ended: nothing more will come from it. */
  private clientGone: Error | undefined;
  private initErrorWaiters: { resolve: (posted: Posted) => void; reject: (error: Error) => void }[] = [];

  constructor() {
    this.server = createServer((request, response) => {
      this.route(request, response).catch((error: unknown) => {
        response.writeHead(500).end(String(error));
      });
    });
    this.server.keepAliveTimeout = 0; // keep idle connections, so connection counts only change on purpose
    this.server.on('connection', (socket: Socket) => {
      this.connectionCount += 1;
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async listen(): Promise<string> {
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  invoke(event: unknown, options: InvokeOptions = {}): Promise<Posted> {
    if (this.clientGone) return Promise.reject(this.clientGone);
    return new Promise((settle, fail) => {
      const headers: Record<string, string> = {
        'Content-Type': 'application/json',
        'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60_000),
        'Lambda-Runtime-Invoked-Function-Arn': 'arn:aws:lambda:us-east-1:123456789012:function:python-client-test',
      };
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        if (value === null) delete headers[name];
        else headers[name] = value;
      }
      const body = options.rawBody ?? JSON.stringify(event);
      this.queue.push({ id: randomUUID(), body, headers, settle, fail });
      this.dispatch();
    });
  }

  nextInitError(): Promise<Posted> {
    const posted = this.initErrors.shift();
    if (posted) return Promise.resolve(posted);
    if (this.clientGone) return Promise.reject(this.clientGone);
    return new Promise((resolve, reject) => this.initErrorWaiters.push({ resolve, reject }));
  }

  /** Drop every TCP connection, as a runner closing idle keep-alive sockets would. */
  dropConnections(): void {
    for (const socket of this.sockets) socket.destroy();
  }

  failPending(error: Error): void {
    this.clientGone = error;
    for (const invoke of [...this.queue, ...this.inFlight.values()]) invoke.fail(error);
    this.queue.length = 0;
    this.inFlight.clear();
    for (const waiter of this.initErrorWaiters) waiter.reject(error);
    this.initErrorWaiters = [];
  }

  async close(): Promise<void> {
    this.dropConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      const response = this.waitingForNext.shift();
      if (!response) return;
      // A pipelined /next (sent with the previous answer) waits behind that answer in node:http, which then never marks
      // it destroyed nor emits its 'close' when the connection drops: its socket tells.
      if (response.destroyed || response.req.socket.destroyed) continue;
      const invoke = this.queue.shift()!;
      this.inFlight.set(invoke.id, invoke);
      response.writeHead(200, { ...invoke.headers, 'Lambda-Runtime-Aws-Request-Id': invoke.id });
      response.end(invoke.body);
    }
  }

  private async route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = request.url ?? '';
    if (request.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
      this.waitingForNext.push(response);
      response.on('close', () => {
        const index = this.waitingForNext.indexOf(response);
        if (index >= 0) this.waitingForNext.splice(index, 1);
      });
      this.dispatch();
      return;
    }
    const body = await readBody(request);
    if (request.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
      const posted: Posted = { kind: 'init-error', requestId: '', headers: request.headers, body, text: body.toString() };
      response.writeHead(202, { 'Content-Type': 'application/json' }).end('{"status":"OK"}');
      const waiter = this.initErrorWaiters.shift();
      if (waiter) waiter.resolve(posted);
      else this.initErrors.push(posted);
      return;
    }
    const match = /^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/.exec(url);
    const invoke = match && this.inFlight.get(match[1]);
    if (request.method !== 'POST' || !match || !invoke) {
      response.writeHead(400, { 'Content-Type': 'application/json' });
      response.end('{"errorMessage":"Invalid request ID","errorType":"InvalidRequestID"}');
      return;
    }
    this.inFlight.delete(invoke.id);
    const status = match[2] === 'response' && this.nextResponseStatus !== undefined ? this.nextResponseStatus : 202;
    this.nextResponseStatus = undefined;
    response.writeHead(status, { 'Content-Type': 'application/json' });
    response.end(status === 202 ? '{"status":"OK"}' : `{"errorMessage":"refused with ${status}","errorType":"Refused"}`);
    invoke.settle({ kind: match[2] as 'response' | 'error', requestId: invoke.id, headers: request.headers, body, text: body.toString() });
  }
}

interface ClientOptions {
  env?: Record<string, string>;
  /** Start without `-u`, to prove the client makes output unbuffered itself. */
  buffered?: boolean;
}

class PythonClient {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(address: string, handler: string, options: ClientOptions) {
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of ['PYTHONUNBUFFERED', 'OPEN_RUNTIME_DEBUGPY_PORT', 'AWS_LAMBDA_LOG_LEVEL', 'AWS_LAMBDA_LOG_FORMAT', '_X_AMZN_TRACE_ID', 'PYTHONPATH']) {
      delete env[name];
    }
    Object.assign(env, {
      AWS_LAMBDA_RUNTIME_API: address,
      _HANDLER: handler,
      LAMBDA_TASK_ROOT: fixtures,
      AWS_LAMBDA_FUNCTION_NAME: 'python-client-test',
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/python-client-test',
      AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/21/[$LATEST]0123456789abcdef',
      AWS_REGION: 'us-east-1',
      TZ: ':UTC',
      PYTHONDONTWRITEBYTECODE: '1',
      ...options.env,
    });
    const args = options.buffered ? [bootstrapPath] : ['-u', bootstrapPath];
    this.child = spawn(python, args, { cwd: fixtures, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => (this.stdout += text));
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => (this.stderr += text));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Resolves once `text` has appeared on the stream; rejects if the process ends first. */
  waitForOutput(stream: 'stdout' | 'stderr', text: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (!this[stream].includes(text)) return false;
        this.child[stream]!.off('data', onData);
        resolve();
        return true;
      };
      const onData = (): void => void check();
      if (check()) return;
      this.child[stream]!.on('data', onData);
      void this.exited.then(() =>
        setImmediate(() => {
          if (!check()) reject(new Error(`the client exited before writing ${JSON.stringify(text)} to ${stream}; stderr: ${this.stderr}`));
        }),
      );
    });
  }

  stop(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

// Whatever a timed-out test left running is disposed of when the file ends.
const live = new Set<{ client: PythonClient; api: RuntimeApiStandIn }>();
after(async () => {
  for (const { client, api } of live) {
    client.stop();
    await client.exited;
    if (api.server.listening) await api.close();
  }
});

/** Starts a stand-in Runtime API and the real client for `handler`, and disposes of both afterwards. */
async function withClient(handler: string, options: ClientOptions, body: (api: RuntimeApiStandIn, client: PythonClient) => Promise<void>): Promise<void> {
  const api = new RuntimeApiStandIn();
  const address = await api.listen();
  const client = new PythonClient(address, handler, options);
  const running = { client, api };
  live.add(running);
  void client.exited.then(({ code, signal }) =>
    api.failPending(new Error(`the client exited (code ${code}, signal ${signal}) before answering; stderr: ${client.stderr}`)),
  );
  try {
    await body(api, client);
  } finally {
    client.stop();
    await client.exited;
    await api.close();
    live.delete(running);
  }
}

function json(posted: Posted): Record<string, unknown> {
  return JSON.parse(posted.text) as Record<string, unknown>;
}

describe('Python runtime client: responses', { timeout: TEST_TIMEOUT }, () => {
  test('posts the handler result as JSON, gets 202 and serves invoke after invoke', async () => {
    await withClient('handlers.echo', {}, async (api) => {
      for (const event of [{ n: 1 }, 'text', [1, 2, 3], null]) {
        const posted = await api.invoke(event);
        assert.equal(posted.kind, 'response');
        assert.equal(posted.headers['content-type'], 'application/json');
        assert.deepEqual(JSON.parse(posted.text), { event });
      }
    });
  });

  test('a handler returning None posts null', async () => {
    await withClient('handlers.returns_none', {}, async (api) => {
      const posted = await api.invoke({});
      assert.equal(posted.kind, 'response');
      assert.equal(posted.text, 'null');
    });
  });

  test('Decimals are posted as the exact numbers they hold, non-ASCII escaped as awslambdaric does', async () => {
    await withClient('handlers.returns_decimal', {}, async (api) => {
      const posted = await api.invoke({});
      assert.equal(posted.text, '{"price": 1.10, "count": 3, "name": "caf\\u00e9"}');
    });
  });

  test('bytes are posted as they are, with content type application/unknown', async () => {
    await withClient('handlers.returns_bytes', {}, async (api) => {
      const posted = await api.invoke({});
      assert.equal(posted.headers['content-type'], 'application/unknown');
      assert.deepEqual(posted.body, Buffer.from('\x00raw bytes', 'latin1'));
    });
  });

  test('a result JSON cannot express is posted as a Runtime.MarshalError', async () => {
    await withClient('handlers.returns_set', {}, async (api) => {
      const posted = await api.invoke({});
      assert.equal(posted.kind, 'error');
      assert.deepEqual(json(posted), {
        errorMessage: 'Unable to marshal response: Object of type set is not JSON serializable',
        errorType: 'Runtime.MarshalError',
        requestId: posted.requestId,
        stackTrace: [],
      });
    });
  });

  test('an event that is not JSON is posted as a Runtime.UnmarshalError', async () => {
    await withClient('handlers.echo', {}, async (api) => {
      const posted = await api.invoke(undefined, { rawBody: '{not json' });
      assert.equal(posted.kind, 'error');
      const error = json(posted);
      assert.equal(error.errorType, 'Runtime.UnmarshalError');
      assert.match(String(error.errorMessage), /^Unable to unmarshal input: Expecting property name enclosed in double quotes: line 1 column 2/);
    });
  });

  test('keeps serving after the Runtime API refuses a response, and says so on stderr', async () => {
    await withClient('handlers.echo', {}, async (api, client) => {
      api.nextResponseStatus = 413;
      const refused = await api.invoke({ big: true });
      assert.equal(refused.kind, 'response');
      await client.waitForOutput('stderr', `refused POST /2018-06-01/runtime/invocation/${refused.requestId}/response with 413`);
      const next = await api.invoke({ n: 2 });
      assert.deepEqual(JSON.parse(next.text), { event: { n: 2 } });
    });
  });

  test('a 500 from the Runtime API ends the environment, as the API asks', async () => {
    await withClient('handlers.echo', {}, async (api, client) => {
      api.nextResponseStatus = 500;
      await api.invoke({});
      const { code } = await client.exited;
      assert.equal(code, 1);
      assert.match(client.stderr, /answered 500 to POST .*this environment ends here/);
    });
  });

  test('handlers in subfolders (src/app.handler) and packages (pkg.mod.handler) load', async () => {
    await withClient('src/app.handler', {}, async (api) => {
      assert.equal((await api.invoke({})).text, '"from src/app"');
    });
    await withClient('pkg.mod.handler', {}, async (api) => {
      assert.equal((await api.invoke({})).text, '"from pkg.mod"');
    });
  });
});

describe('Python runtime client: handler errors', { timeout: TEST_TIMEOUT }, () => {
  test('an exception is posted as {errorMessage, errorType, requestId, stackTrace} and logged like Lambda', async () => {
    await withClient('handlers.raises', {}, async (api, client) => {
      const posted = await api.invoke({});
      assert.equal(posted.kind, 'error');
      assert.equal(posted.headers['content-type'], 'application/json');
      assert.equal(posted.headers['lambda-runtime-function-error-type'], undefined, 'the Python client never sends it');
      const error = json(posted);
      assert.deepEqual(Object.keys(error), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
      assert.equal(error.errorMessage, 'out of stock: apples');
      assert.equal(error.errorType, 'ValueError');
      assert.equal(error.requestId, posted.requestId);
      const stackTrace = error.stackTrace as string[];
      const file = path.join(fixtures, 'handlers.py');
      assert.equal(stackTrace.length, 2, 'only user frames, none of the client');
      assert.match(stackTrace[0], new RegExp(`^  File "${file}", line \\d+, in raises\\n    check_stock\\("apples"\\)\\n$`));
      assert.match(stackTrace[1], new RegExp(`^  File "${file}", line \\d+, in check_stock\\n    raise ValueError\\("out of stock: " \\+ item\\)\\n$`));

      const cause = JSON.parse(String(posted.headers['lambda-runtime-function-xray-error-cause'])) as {
        exceptions: { type: string; message: string; stack: { label: string }[] }[];
      };
      assert.equal(cause.exceptions[0].type, 'ValueError');
      assert.deepEqual(
        cause.exceptions[0].stack.map((frame) => frame.label),
        ['raises', 'check_stock'],
      );

      await client.waitForOutput('stdout', 'raise ValueError');
      assert.match(
        client.stdout,
        new RegExp(
          `\\[ERROR\\] ValueError: out of stock: apples\\nTraceback \\(most recent call last\\):\\n${NBSP}{2}File "${file}", line \\d+, in raises\\n${NBSP}{4}check_stock`,
        ),
      );
    });
  });

  test('the environment keeps serving after a handler error', async () => {
    await withClient('handlers.raises', {}, async (api) => {
      assert.equal((await api.invoke({})).kind, 'error');
      assert.equal((await api.invoke({})).kind, 'error');
    });
  });

  test('sys.exit() in a handler ends the process with that status, as in Lambda', async () => {
    await withClient('handlers.exits', {}, async (api, client) => {
      await assert.rejects(api.invoke({}), /the client exited \(code 3/);
      assert.equal((await client.exited).code, 3);
    });
  });
});

describe('Python runtime client: init errors', { timeout: TEST_TIMEOUT }, () => {
  const cases: { handler: string; errorType: string; message: string | RegExp }[] = [
    {
      handler: 'no_dot_here',
      errorType: 'Runtime.MalformedHandlerName',
      message: "Bad handler 'no_dot_here': not enough values to unpack (expected 2, got 1)",
    },
    {
      handler: 'does_not_exist.handler',
      errorType: 'Runtime.ImportModuleError',
      message: "Unable to import module 'does_not_exist': No module named 'does_not_exist'",
    },
    {
      handler: 'imports_missing.handler',
      errorType: 'Runtime.ImportModuleError',
      message: "Unable to import module 'imports_missing': No module named 'a_dependency_that_is_not_installed'",
    },
    {
      handler: 'handlers.no_such_function',
      errorType: 'Runtime.HandlerNotFound',
      message: "Handler 'no_such_function' missing on module 'handlers'",
    },
    {
      handler: 'syntax_error.handler',
      errorType: 'Runtime.UserCodeSyntaxError',
      message: /^Syntax error in module 'syntax_error': .+ \(syntax_error\.py, line 1\)$/,
    },
    {
      handler: 'sys.handler',
      errorType: 'Runtime.BuiltInModuleConflict',
      message: 'Cannot use built-in module sys as a handler module',
    },
    { handler: 'raises_at_import.handler', errorType: 'ConnectionError', message: 'database is unreachable' },
  ];

  for (const { handler, errorType, message } of cases) {
    test(`${handler} -> ${errorType}, posted to /runtime/init/error, then exit 1`, async () => {
      await withClient(handler, {}, async (api, client) => {
        const posted = await api.nextInitError();
        assert.equal(posted.headers['lambda-runtime-function-error-type'], errorType);
        const error = json(posted);
        assert.deepEqual(Object.keys(error), ['errorMessage', 'errorType', 'requestId', 'stackTrace']);
        assert.equal(error.errorType, errorType);
        if (typeof message === 'string') assert.equal(error.errorMessage, message);
        else assert.match(String(error.errorMessage), message);
        assert.equal(error.requestId, '');
        const { code } = await client.exited;
        assert.equal(code, 1);
        assert.ok(client.stdout.includes(`[ERROR] ${errorType}: `), client.stdout);
      });
    });
  }

  test('a syntax error carries the file and line as its stack trace', async () => {
    await withClient('syntax_error.handler', {}, async (api) => {
      const error = json(await api.nextInitError());
      const stackTrace = error.stackTrace as string[];
      assert.equal(stackTrace.length, 1);
      assert.match(stackTrace[0], new RegExp(`^  File "${path.join(fixtures, 'syntax_error.py')}" Line 1\\n    def handler\\(event, context\\)`));
    });
  });

  test('an exception at import time carries the user frames in its stack trace', async () => {
    await withClient('raises_at_import.handler', {}, async (api) => {
      const error = json(await api.nextInitError());
      const stackTrace = (error.stackTrace as string[]).join('');
      assert.match(stackTrace, /raises_at_import\.py", line 5, in <module>\n    connect\(\)/);
      assert.match(stackTrace, /raises_at_import\.py", line 2, in connect\n    raise ConnectionError/);
      assert.doesNotMatch(stackTrace, /bootstrap\.py/);
    });
  });

  test('without AWS_LAMBDA_RUNTIME_API the client says what is missing and exits 1', async () => {
    await withClient('handlers.echo', { env: { AWS_LAMBDA_RUNTIME_API: '' } }, async (_api, client) => {
      assert.equal((await client.exited).code, 1);
      assert.match(client.stderr, /AWS_LAMBDA_RUNTIME_API is not set/);
    });
  });
});

describe('Python runtime client: context', { timeout: TEST_TIMEOUT }, () => {
  test('context carries the function, request, deadline, client context, identity and trace id', async () => {
    await withClient('handlers.context_fields', {}, async (api) => {
      const clientContext = {
        client: { installation_id: 'install-1', app_title: 'Shop', app_version_name: '1.0', app_version_code: '1', app_package_name: 'com.shop' },
        custom: { tenant: 'acme' },
        env: { platform: 'Android' },
      };
      const posted = await api.invoke(
        {},
        {
          headers: {
            'Lambda-Runtime-Deadline-Ms': String(Date.now() + 60_000),
            'Lambda-Runtime-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
            'Lambda-Runtime-Client-Context': JSON.stringify(clientContext),
            'Lambda-Runtime-Cognito-Identity': JSON.stringify({ cognitoIdentityId: 'id-1', cognitoIdentityPoolId: 'pool-1' }),
          },
        },
      );
      const fields = json(posted);
      const remaining = fields.remaining_time_in_millis as number;
      delete fields.remaining_time_in_millis;
      assert.ok(remaining > 0 && remaining <= 60_000, `remaining time ${remaining}`);
      assert.deepEqual(fields, {
        aws_request_id: posted.requestId,
        function_name: 'python-client-test',
        function_version: '$LATEST',
        invoked_function_arn: 'arn:aws:lambda:us-east-1:123456789012:function:python-client-test',
        memory_limit_in_mb: '256', // a string, as in Lambda's Python runtime
        log_group_name: '/aws/lambda/python-client-test',
        log_stream_name: '2026/11/21/[$LATEST]0123456789abcdef',
        client_context: { custom: { tenant: 'acme' }, env: { platform: 'Android' }, app_title: 'Shop' },
        cognito_identity_id: 'id-1',
        cognito_identity_pool_id: 'pool-1',
        trace_id: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      });
    });
  });

  test('optional headers absent: no client context, empty identity, trace id removed, past deadline gives 0', async () => {
    await withClient('handlers.context_fields', {}, async (api) => {
      await api.invoke({}, { headers: { 'Lambda-Runtime-Trace-Id': 'Root=1-first' } });
      const fields = json(await api.invoke({}, { headers: { 'Lambda-Runtime-Deadline-Ms': String(Date.now() - 1000) } }));
      assert.equal(fields.client_context, null);
      assert.equal(fields.cognito_identity_id, null);
      assert.equal(fields.cognito_identity_pool_id, null);
      assert.equal(fields.trace_id, null);
      assert.equal(fields.remaining_time_in_millis, 0);
    });
  });

  test('a client context that is not JSON is posted as a Runtime.LambdaContextUnmarshalError', async () => {
    await withClient('handlers.context_fields', {}, async (api) => {
      const error = json(await api.invoke({}, { headers: { 'Lambda-Runtime-Client-Context': '{broken' } }));
      assert.equal(error.errorType, 'Runtime.LambdaContextUnmarshalError');
      assert.match(String(error.errorMessage), /^Unable to parse Client Context JSON: /);
    });
  });
});

describe('Python runtime client: logs', { timeout: TEST_TIMEOUT }, () => {
  const logLine = (level: string, requestId: string, message: string): RegExp =>
    new RegExp(`^\\[${level}\\]\\t\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z\\t${requestId}\\t${message}$`, 'm');

  test('the root logger writes [LEVEL]\\tUTC time\\trequest id\\tmessage; WARNING and up by default, as in Lambda', async () => {
    await withClient('handlers.logs', {}, async (api, client) => {
      const posted = await api.invoke({});
      assert.equal(posted.text, '"logged"');
      await client.waitForOutput('stdout', 'context.log line');
      await client.waitForOutput('stderr', 'stderr line');
      assert.match(client.stdout, logLine('WARNING', posted.requestId, 'warning from logging'));
      assert.doesNotMatch(client.stdout, /info from logging/);
      assert.match(client.stdout, /^printed line$/m);
    });
  });

  test('AWS_LAMBDA_LOG_LEVEL sets the root logger level (TRACE means DEBUG)', async () => {
    await withClient('handlers.logs', { env: { AWS_LAMBDA_LOG_LEVEL: 'TRACE' } }, async (api, client) => {
      const posted = await api.invoke({});
      await client.waitForOutput('stdout', 'context.log line');
      assert.match(client.stdout, logLine('INFO', posted.requestId, 'info from logging'));
      assert.match(client.stdout, logLine('DEBUG', posted.requestId, 'debug from logging'));
    });
  });

  test('AWS_LAMBDA_LOG_FORMAT=JSON writes one JSON object per log line', async () => {
    await withClient('handlers.logs', { env: { AWS_LAMBDA_LOG_FORMAT: 'JSON', AWS_LAMBDA_LOG_LEVEL: 'INFO' } }, async (api, client) => {
      const posted = await api.invoke({});
      await client.waitForOutput('stdout', 'context.log line');
      const entries = client.stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const timestamp = entries[0].timestamp;
      assert.match(String(timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      assert.deepEqual(
        entries.map(({ timestamp: _, ...rest }) => rest),
        [
          { level: 'WARNING', message: 'warning from logging', logger: 'root', requestId: posted.requestId },
          { level: 'INFO', message: 'info from logging', logger: 'root', requestId: posted.requestId },
        ],
      );
    });
  });

  for (const buffered of [false, true]) {
    test(`print() output reaches the logs at once (${buffered ? 'started without' : 'started with'} -u)`, async () => {
      const folder = await mkdtemp(path.join(tmpdir(), 'python-client-'));
      try {
        await withClient('handlers.waits_for_file', { buffered }, async (api, client) => {
          const file = path.join(folder, 'go');
          const result = api.invoke({ file });
          // The handler prints without a newline and then blocks until the file exists: the text can
          // only arrive now if nothing buffers it.
          await client.waitForOutput('stdout', 'waiting-for-file');
          await writeFile(file, '');
          assert.equal((await result).text, '"file appeared"');
        });
      } finally {
        await rm(folder, { recursive: true, force: true });
      }
    });
  }
});

describe('Python runtime client: connection', { timeout: TEST_TIMEOUT }, () => {
  test('uses one keep-alive TCP connection for many invokes', async () => {
    await withClient('handlers.echo', {}, async (api) => {
      for (let n = 0; n < 10; n += 1) await api.invoke({ n });
      assert.equal(api.connectionCount, 1);
    });
  });

  test('reconnects when the runner closed the idle connection while the handler ran', async () => {
    const folder = await mkdtemp(path.join(tmpdir(), 'python-client-'));
    try {
      await withClient('handlers.waits_for_file', {}, async (api, client) => {
        const file = path.join(folder, 'go');
        const result = api.invoke({ file });
        await client.waitForOutput('stdout', 'waiting-for-file');
        api.dropConnections();
        await writeFile(file, '');
        assert.equal((await result).text, '"file appeared"');
        assert.equal(api.connectionCount, 2);
        assert.equal((await api.invoke({ file })).text, '"file appeared"');
        assert.equal(api.connectionCount, 2);
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
  });

  test('reconnects when the runner dropped the connection while the client waited for an event', async () => {
    await withClient('handlers.echo', {}, async (api) => {
      await api.invoke({ n: 1 });
      // The client is now blocked in GET /next on the only connection.
      api.dropConnections();
      assert.deepEqual(JSON.parse((await api.invoke({ n: 2 })).text), { event: { n: 2 } });
      assert.equal(api.connectionCount, 2);
    });
  });

  test('exits with a sentence when the Runtime API is gone for good', async () => {
    await withClient('handlers.echo', {}, async (api, client) => {
      await api.invoke({});
      await api.close();
      const { code } = await client.exited;
      assert.equal(code, 1);
      assert.match(client.stderr, /could not be reached .*this environment ends here/);
      api.server.listen(0, '127.0.0.1'); // so the disposal in withClient has a server to close
      await once(api.server, 'listening');
    });
  });
});

describe('Python runtime client: debugging and signals', { timeout: TEST_TIMEOUT }, () => {
  test('debugging without debugpy installed posts Runtime.DebuggerUnavailable saying how to install it', async () => {
    // No debugpy in this Python, nor where the client looks for Debian's python3-debugpy (an empty folder).
    await withClient(
      'handlers.echo',
      { env: { OPEN_RUNTIME_DEBUGPY_PORT: '5678', OPEN_RUNTIME_DEBUGPY_PATH: await mkdtemp(path.join(tmpdir(), 'no-debugpy-')) } },
      async (api, client) => {
        const posted = await api.nextInitError();
        const error = json(posted);
        assert.equal(error.errorType, 'Runtime.DebuggerUnavailable');
        assert.equal(posted.headers['lambda-runtime-function-error-type'], 'Runtime.DebuggerUnavailable');
        assert.ok(String(error.errorMessage).includes('pip install debugpy'), String(error.errorMessage));
        assert.ok(String(error.errorMessage).includes(pythonExecutable), String(error.errorMessage));
        assert.equal((await client.exited).code, 1);
        assert.doesNotMatch(client.stderr, /OPEN_RUNTIME_DEBUGPY_LISTENING/);
      },
    );
  });

  test('SIGTERM ends the client while it waits for an event', async () => {
    await withClient('handlers.echo', {}, async (api, client) => {
      await api.invoke({});
      client.child.kill('SIGTERM');
      assert.equal((await client.exited).signal, 'SIGTERM');
    });
  });

  test('SIGTERM ends the client while the handler runs', async () => {
    await withClient('handlers.sleeps', {}, async (api, client) => {
      const result = api.invoke({});
      await client.waitForOutput('stdout', 'sleeping');
      client.child.kill('SIGTERM');
      assert.equal((await client.exited).signal, 'SIGTERM');
      await assert.rejects(result, /the client exited/);
    });
  });
});

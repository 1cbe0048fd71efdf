// The CPU one warm invoke costs the project's Node runtime client (dist/node-runtime.cjs) alone: the client runs a
// handler against a minimal Runtime API served here on a Unix socket (the runner's direct socket protocol: pipelined
// /next and answers, a 202 then the next event in one write), so the runner's own CPU is not on the machine, and the
// figure moves less with other work than bench/invoke-cpu.ts's. CPU from /proc/<pid>/task/<tid>/schedstat, all threads.
//   node bench/node-client-cpu.ts [trivial|log]   (after npm run build)
//   BENCH_INVOKES (default 20000), BENCH_CLIENT=path/to/node-runtime.cjs or bootstrap.py (A/B; BENCH_LABEL names it),
//   BENCH_NODE=path/to/node (default: this one; the runner gives nodejs22.x functions a Node 22),
//   BENCH_DELAY_MS=1 (a pause before each event, see DELAY_MS), BENCH_CLIENT_STDOUT=1 (the client's stdout here: with
//   --trace-gc(-nvp) its collections), BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/X" (the client exits
//   cleanly at the end, so profiles are written)
//   BENCH_RUNTIME=python: the project's Python client (runner/runtimes/python/bootstrap.py, BENCH_PYTHON=python3) instead
//   (BENCH_PYTHON_FLAGS="-m cProfile -o /tmp/X.prof" profiles it); BENCH_TCP=1: the Runtime API on a loopback TCP address
//   (AWS_LAMBDA_RUNTIME_API, as every other client uses it) instead of the direct socket.
// One JSON line per figure on stdout, like bench/run.ts.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { emit, ROOT } from './http-bench.ts';

const COUNT = Number(process.env.BENCH_INVOKES ?? 20000);
const WARMUP = 2000;
// A pause before each answer, as when the event comes from a caller through the runner: the client then sleeps
// between invokes, and the other processes' work evicts its code and data from the CPU's caches.
const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'node-client-cpu-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
// `log`: the handler also logs a line per invoke (console.log, as the examples' handlers do).
const HANDLERS: Record<string, string> = {
  trivial: "export const handler = async () => ({ statusCode: 200, body: 'ok' });\n",
  log: "export const handler = async (event, context) => {\n  console.log(`hello ${context.awsRequestId}`);\n  return { statusCode: 200, body: 'ok' };\n};\n",
};
const PYTHON_HANDLERS: Record<string, string> = {
  trivial: "def handler(event, context):\n    return {'statusCode': 200, 'body': 'ok'}\n",
  // As examples/functions/python-hello logs: through the root logger the client sets up.
  log: "import logging\nlogger = logging.getLogger()\nlogger.setLevel(logging.INFO)\n\ndef handler(event, context):\n    logger.info('hello %s', context.aws_request_id)\n    return {'statusCode': 200, 'body': 'ok'}\n",
};
const python = process.env.BENCH_RUNTIME === 'python';
const tcp = process.env.BENCH_TCP === '1';
const handlerKind = process.argv[2] ?? 'trivial';
if (!HANDLERS[handlerKind]) throw new Error(`No handler "${handlerKind}": use ${Object.keys(HANDLERS).join(' or ')}.`);
const taskRoot = dir;
writeFileSync(join(dir, 'app.mjs'), HANDLERS[handlerKind]);
writeFileSync(join(dir, 'app.py'), PYTHON_HANDLERS[handlerKind]!);
const socketPath = join(dir, 'api.sock');

function cpuNs(pid: number): number {
  let sum = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
    } catch {
      // the thread ended
    }
  }
  return sum;
}

const ACCEPTED = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}';
const payload = '{"version":"2.0","rawPath":"/hello","requestContext":{"http":{"method":"GET"}},"isBase64Encoded":false}';
let served = 0;
let startNs = 0;
let childPid = 0;
let done: () => void;
const finished = new Promise<void>((resolve) => (done = resolve));

function event(): string {
  served++;
  const id = `8476a536-e9f4-11e8-9739-${String(served).padStart(12, '0')}`;
  return (
    'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n' +
    `Content-Length: ${payload.length}\r\nLambda-Runtime-Aws-Request-Id: ${id}\r\nLambda-Runtime-Invocation-Id: ${id}-1\r\n` +
    `Lambda-Runtime-Deadline-Ms: ${Date.now() + 10_000}\r\nLambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:us-east-1:123456789012:function:bench\r\n` +
    `Lambda-Runtime-Trace-Id: Root=1-5bef4de7-${id.slice(-24)};Parent=9a9197af755a6419;Sampled=1\r\n\r\n${payload}`
  );
}

/** Answers each request of the client's pipeline; a /next gets the next event, until COUNT have been answered. */
function serve(socket: Socket): void {
  let buffer = '';
  socket.setEncoding('latin1');
  socket.on('data', (data: string) => {
    buffer += data;
    let out = '';
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) break;
      const head = buffer.slice(0, end);
      const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
      if (buffer.length < end + 4 + length) break;
      buffer = buffer.slice(end + 4 + length);
      if (head.startsWith('POST') && !head.includes('/response') && !head.includes('/error')) throw new Error(`unexpected request: ${head}`);
      if (head.startsWith('POST /2018-06-01/runtime/invocation/') && head.includes('/error')) process.stderr.write(`error posted: ${head}\n`);
      if (head.startsWith('POST')) {
        out += ACCEPTED;
        continue;
      }
      if (served === WARMUP) startNs = cpuNs(childPid);
      if (served === WARMUP + COUNT) {
        const ns = cpuNs(childPid) - startNs;
        const label = process.env.BENCH_LABEL ?? (python ? 'PythonClient' : 'NodeClient');
        emit(`${python ? 'python' : 'node'}_client_cpu_us_per_invoke`, ns / COUNT / 1000, 'x', `${label}${tcp ? ' on TCP' : ''} ${handlerKind}`);
        done();
        continue; // the /next stays unanswered: the client waits, and is stopped below
      }
      out += event();
    }
    if (!out) return;
    if (DELAY_MS) setTimeout(() => socket.write(out), DELAY_MS);
    else socket.write(out);
  });
  socket.on('error', () => undefined);
}

const sockets = new Set<Socket>();
const server = createServer((socket) => {
  sockets.add(socket);
  serve(socket);
});
// BENCH_PORT: a port of one's own (else any free one).
if (tcp) await new Promise<void>((resolve) => server.listen(Number(process.env.BENCH_PORT ?? 0), '127.0.0.1', resolve));
else await new Promise<void>((resolve) => server.listen(socketPath, resolve));
const address = server.address();
const runtimeApi = typeof address === 'object' && address ? `127.0.0.1:${address.port}` : '127.0.0.1:9'; // :9 streaming only, never used here
const node = process.env.BENCH_NODE ?? process.execPath;
const [command, args] = python
  ? [
      process.env.BENCH_PYTHON ?? 'python3',
      [
        '-u',
        ...(process.env.BENCH_PYTHON_FLAGS ?? '').split(' ').filter(Boolean),
        process.env.BENCH_CLIENT ?? join(ROOT, 'runner', 'runtimes', 'python', 'bootstrap.py'),
      ],
    ]
  : [
      node,
      [
        '--enable-source-maps',
        '--max-semi-space-size=12',
        '--max-old-space-size=231',
        ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean),
        process.env.BENCH_CLIENT ?? join(ROOT, 'dist', 'node-runtime.cjs'),
      ],
    ];
const child = spawn(command, args, {
  cwd: taskRoot,
  stdio: ['ignore', process.env.BENCH_CLIENT_STDOUT ? 'inherit' : 'pipe', 'inherit'],
  env: {
    PATH: process.env.PATH,
    _HANDLER: 'app.handler',
    LAMBDA_TASK_ROOT: taskRoot,
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    OPEN_RUNTIME_RUNTIME_API_SOCKET: tcp ? '' : socketPath,
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
    AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/bench',
    AWS_LAMBDA_LOG_STREAM_NAME: 'stream',
  },
});
childPid = child.pid!;
let measured = false;
child.once('exit', (code) => {
  if (measured) return;
  process.stderr.write(`node-client-cpu: the client exited (${code}) after ${served} events\n`);
  process.exit(1);
});
child.stdout?.resume(); // the function's log, read as the runner reads it
await finished;
measured = true;
// Not a signal: Node's default handling exits without writing a --cpu-prof profile. With its socket closed the client
// says the Runtime API is gone and exits.
server.close();
for (const socket of sockets) socket.destroy();
await new Promise((resolve) => child.once('exit', resolve));

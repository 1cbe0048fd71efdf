// The floor of a faithful local Lambda gateway, for bench/serverless-offline.ts: bare-relay.ts plus what emulating
// API Gateway and Lambda's Runtime API takes per request, done as leanly as a single-purpose program can, with
// nothing else of a runner (no function model, pools, timeouts, logs, memory limits, extensions, history). What it
// does per request:
// - the front reads the HTTP request (head into a header object) and builds the HTTP API payload 2.0 event as the
//   gateway does (headers with the x-forwarded-* and x-amzn-trace-id ones, requestContext with its ids and times),
//   serialized as JSON;
// - it answers a worker's parked GET /runtime/invocation/next with it, with the Runtime API's headers (request id,
//   invocation id, deadline, function ARN, trace id), over a Unix socket as the runner's direct socket does;
// - the worker (a Node process, one per concurrent request as Lambda's environments are) parses that HTTP response,
//   makes the handler's context, awaits the handler, and posts its JSON result with POST .../response and its next
//   GET /next pipelined in one write;
// - the front reads the POST, answers 202 (with the next event, as the runner does), parses the result and writes
//   the client's answer with API Gateway's headers (apigw-requestid, Date, keep-alive).
// So the gap between it and the gateway is the runner's own cost, and the gap between it and the bare relay is what
// faithfulness costs on this machine.
//   node bench/faithful-relay.ts            the front: prints its port as a line on stdout, starts its workers
//   node bench/faithful-relay.ts <socket>   a worker
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawHttpServer } from './raw-http.ts';

/** As many workers as the bench's callers at once: one request per worker at a time. */
const WORKERS = 4;
const NEXT = 'GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: localhost\r\n\r\n';
const ACCEPTED = 'HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 16\r\n\r\n{"status":"OK"}\n';
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:Ping';

/** One header's value from a head (`lower`: the head lower-cased), or undefined. */
function header(head: string, lower: string, name: string): string | undefined {
  const at = lower.indexOf(`\r\n${name}:`);
  if (at < 0) return undefined;
  const end = head.indexOf('\r\n', at + 2);
  return head.slice(at + name.length + 3, end < 0 ? head.length : end).trim();
}

/** Calls `each` with every whole HTTP message (head, body) that arrives on the socket (Content-Length bodies). */
function onMessages(socket: Socket, each: (head: string, lower: string, body: string) => void): void {
  let buffer = '';
  socket.on('data', (data: Buffer) => {
    buffer += data.toString('latin1');
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buffer.slice(0, end);
      const lower = head.toLowerCase();
      const length = Number(header(head, lower, 'content-length') ?? 0);
      if (buffer.length < end + 4 + length) return;
      const body = buffer.slice(end + 4, end + 4 + length);
      buffer = buffer.slice(end + 4 + length);
      each(head, lower, body);
    }
  });
}

const socketPath = process.argv[2];
if (socketPath) {
  // A worker: the runtime client and the bench's handler.
  const handler = async (_event: unknown, _context: unknown) => ({ statusCode: 200, body: 'ok' });
  const api = connect(socketPath);
  onMessages(api, (head, lower, body) => {
    if (head.startsWith('HTTP/1.1 202')) return;
    const requestId = header(head, lower, 'lambda-runtime-aws-request-id')!;
    const deadline = Number(header(head, lower, 'lambda-runtime-deadline-ms'));
    const traceId = header(head, lower, 'lambda-runtime-trace-id');
    const context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: 'Ping',
      functionVersion: '$LATEST',
      invokedFunctionArn: header(head, lower, 'lambda-runtime-invoked-function-arn'),
      memoryLimitInMB: '128',
      awsRequestId: requestId,
      logGroupName: '/aws/lambda/Ping',
      logStreamName: 'bench',
      xRayTraceId: traceId,
      getRemainingTimeInMillis: () => deadline - Date.now(),
    };
    process.env._X_AMZN_TRACE_ID = traceId;
    void handler(JSON.parse(Buffer.from(body, 'latin1').toString('utf8')), context).then((result) => {
      const out = JSON.stringify(result);
      api.write(
        `POST /2018-06-01/runtime/invocation/${requestId}/response HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(out)}\r\n\r\n${out}${NEXT}`,
      );
    });
  });
  api.write(NEXT);
} else {
  const path = join(tmpdir(), `or-bench-faithful-${process.pid}.sock`);
  rmSync(path, { force: true });
  interface Worker {
    socket: Socket;
    /** The 202 of its last answer, sent with its next event. */
    accepted: string;
    current: { client: Socket; apigwId: string } | undefined;
  }
  interface Request {
    client: Socket;
    method: string;
    target: string;
    headers: Record<string, string>;
  }
  const idle: Worker[] = [];
  const queue: Request[] = [];
  let port = 0;
  // Dates change once a second: formatted then, as a server caches them.
  const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  let second = 0;
  let httpDate = '';
  let clfTime = '';
  const now = (): number => {
    const ms = Date.now();
    if (Math.floor(ms / 1000) !== second) {
      second = Math.floor(ms / 1000);
      const d = new Date(ms);
      const two = (n: number) => String(n).padStart(2, '0');
      httpDate = d.toUTCString();
      clfTime = `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`;
    }
    return ms;
  };

  const dispatch = (worker: Worker, request: Request): void => {
    const { method, target, headers } = request;
    const query = target.indexOf('?');
    const rawPath = query < 0 ? target : target.slice(0, query);
    const ms = now();
    const apigwId = randomUUID();
    const traceId = `Root=1-${Math.floor(ms / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
    const event = {
      version: '2.0',
      routeKey: `${method} ${rawPath}`,
      rawPath,
      rawQueryString: query < 0 ? '' : target.slice(query + 1),
      headers: { ...headers, 'x-forwarded-for': '127.0.0.1', 'x-forwarded-port': String(port), 'x-forwarded-proto': 'http', 'x-amzn-trace-id': traceId },
      requestContext: {
        accountId: '123456789012',
        apiId: 'bench00001',
        domainName: headers.host,
        domainPrefix: headers.host?.split('.')[0],
        http: { method, path: rawPath, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
        requestId: apigwId,
        routeKey: `${method} ${rawPath}`,
        stage: '$default',
        time: clfTime,
        timeEpoch: ms,
      },
      isBase64Encoded: false,
    };
    const payload = Buffer.from(JSON.stringify(event));
    worker.current = { client: request.client, apigwId };
    worker.socket.write(
      `${worker.accepted}HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nLambda-Runtime-Aws-Request-Id: ${randomUUID()}\r\nLambda-Runtime-Invocation-Id: ${randomUUID()}\r\nLambda-Runtime-Deadline-Ms: ${ms + 3000}\r\nLambda-Runtime-Invoked-Function-Arn: ${ARN}\r\nLambda-Runtime-Trace-Id: ${traceId};Parent=${randomBytes(8).toString('hex')};Sampled=0\r\nDate: ${httpDate}\r\nContent-Length: ${payload.length}\r\n\r\n${payload.toString('latin1')}`,
    );
    worker.accepted = '';
  };

  createServer((socket) => {
    const worker: Worker = { socket, accepted: '', current: undefined };
    onMessages(socket, (head, _lower, body) => {
      if (head.startsWith('GET ')) {
        // GET /next: the next queued request, or idle (the most recently used first, as the runner's pool).
        const request = queue.shift();
        if (request) dispatch(worker, request);
        else idle.push(worker);
        return;
      }
      // POST .../response: the client's answer; the 202 goes with the next event.
      worker.accepted = ACCEPTED;
      const { client, apigwId } = worker.current!;
      worker.current = undefined;
      const result = JSON.parse(Buffer.from(body, 'latin1').toString('utf8')) as { statusCode: number; body?: string; headers?: Record<string, string> };
      let extra = '';
      for (const [name, value] of Object.entries(result.headers ?? {})) extra += `${name}: ${value}\r\n`;
      const out = Buffer.from(result.body ?? '');
      now();
      client.write(
        `HTTP/1.1 ${result.statusCode} OK\r\n${extra}apigw-requestid: ${apigwId}\r\ncontent-length: ${out.length}\r\nDate: ${httpDate}\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n${out.toString('latin1')}`,
      );
    });
  }).listen(path, () => {
    const children = Array.from({ length: WORKERS }, () => spawn(process.execPath, [import.meta.filename, path], { stdio: 'ignore' }));
    process.on('SIGTERM', () => {
      for (const child of children) child.kill('SIGKILL');
      rmSync(path, { force: true });
      process.exit(0);
    });
    const http = rawHttpServer((head, client) => {
      const lines = head.split('\r\n');
      const [method, target] = lines[0]!.split(' ', 2) as [string, string];
      const headers: Record<string, string> = {};
      for (let i = 1; i < lines.length; i++) {
        const colon = lines[i]!.indexOf(':');
        headers[lines[i]!.slice(0, colon).trim().toLowerCase()] = lines[i]!.slice(colon + 1).trim();
      }
      const request = { client, method, target, headers };
      const worker = idle.pop();
      if (worker) dispatch(worker, request);
      else queue.push(request);
    });
    http.listen(0, '127.0.0.1', () => {
      port = (http.address() as { port: number }).port;
      process.stdout.write(`faithful relay on port ${port}\n`);
    });
  });
}

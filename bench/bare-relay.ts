// The floor of the gateway's design, for bench/serverless-offline.ts: the same three processes (caller, front,
// function's process) with nothing but the mechanics left. A front that reads HTTP/1.1 requests off raw sockets and
// answers them, relaying each as a JSON line over a Unix socket to a worker process that parses it and answers a
// JSON line, as a runtime answers an event. What one request costs these two is what any design with the function in
// its own process pays at least on this machine; the runner and the function's runtime client pay the rest.
//   node bench/bare-relay.ts            the front: prints its port as a line on stdout, starts its worker
//   node bench/bare-relay.ts <socket>   the worker
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawHttpServer } from './raw-http.ts';

/** Calls `each` with every complete line that arrives on the socket. */
function onLines(socket: Socket, each: (line: string) => void): void {
  let buffer = '';
  socket.on('data', (data: Buffer) => {
    buffer += data.toString('utf8');
    for (let end = buffer.indexOf('\n'); end >= 0; end = buffer.indexOf('\n')) {
      each(buffer.slice(0, end));
      buffer = buffer.slice(end + 1);
    }
  });
}

const socketPath = process.argv[2];
if (socketPath) {
  const front = connect(socketPath);
  onLines(front, (line) => {
    const event = JSON.parse(line) as { id: number };
    front.write(`${JSON.stringify({ id: event.id, statusCode: 200, body: 'ok' })}\n`);
  });
} else {
  const path = join(tmpdir(), `or-bench-relay-${process.pid}.sock`);
  rmSync(path, { force: true });
  const waiting = new Map<number, Socket>();
  let worker: Socket | undefined;
  let next = 0;
  createServer((socket) => {
    worker = socket;
    onLines(socket, (line) => {
      const answer = JSON.parse(line) as { id: number; statusCode: number; body: string };
      const client = waiting.get(answer.id);
      waiting.delete(answer.id);
      client?.write(`HTTP/1.1 ${answer.statusCode} OK\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(answer.body)}\r\n\r\n${answer.body}`);
    });
    const http = rawHttpServer((head, client) => {
      const [method, target] = head.split(' ', 2);
      const id = next++;
      waiting.set(id, client);
      worker!.write(`${JSON.stringify({ id, version: '2.0', rawPath: target, requestContext: { http: { method } } })}\n`);
    });
    http.listen(0, '127.0.0.1', () => process.stdout.write(`bare relay on port ${(http.address() as { port: number }).port}\n`));
  }).listen(path, () => {
    const child = spawn(process.execPath, [import.meta.filename, path], { stdio: 'ignore' });
    process.on('SIGTERM', () => {
      child.kill('SIGKILL');
      rmSync(path, { force: true });
      process.exit(0);
    });
  });
}

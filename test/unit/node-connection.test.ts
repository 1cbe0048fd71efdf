// The Node runtime client's Runtime API connection (runner/runtimes/node/connection.ts) against raw TCP servers
// that answer with exactly the bytes a test gives: pipelined requests, every way a body can end, and broken input.
import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Connection, ConnectionError } from '../../runner/runtimes/node/connection.ts';

/** A server that hands each connection to `onSocket` with what it has read so far. */
async function rawServer(t: TestContext, onData: (socket: Socket, received: string) => void): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    let received = '';
    socket.on('data', (d) => {
      received += d.toString('latin1');
      onData(socket, received);
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

const requestsIn = (text: string) => text.split(/(?=GET |POST )/).filter((r) => /\r\n\r\n/.test(r));

describe('node runtime client connection', () => {
  it('sends a second request before the first is answered and matches the answers in order', async (t) => {
    const { port } = await rawServer(t, (socket, received) => {
      const requests = requestsIn(received);
      if (requests.length === 2 && received.endsWith('\r\n\r\n')) {
        socket.write(
          'HTTP/1.1 202 Accepted\r\nContent-Length: 15\r\n\r\n{"status":"OK"}HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: r2\r\nContent-Length: 7\r\n\r\n{"n":2}',
        );
      }
    });
    const connection = new Connection({ host: '127.0.0.1', port });
    const posted = connection.request({
      method: 'POST',
      path: '/2018-06-01/runtime/invocation/r1/response',
      headers: 'Content-Type: application/json\r\n',
      body: '"é"',
    });
    const next = connection.request({ method: 'GET', path: '/2018-06-01/runtime/invocation/next' });
    const a = await posted;
    const b = await next;
    assert.equal(a.status, 202);
    assert.equal(a.body.toString(), '{"status":"OK"}');
    assert.equal(b.status, 200);
    assert.equal(b.headers['lambda-runtime-aws-request-id'], 'r2');
    assert.equal(b.body.toString(), '{"n":2}');
  });

  it('writes a Host header and the body length in bytes', async (t) => {
    let seen = '';
    const { port } = await rawServer(t, (socket, received) => {
      const text = Buffer.from(received, 'latin1').toString('utf8');
      if (!text.includes('\r\n\r\n') || !text.endsWith('"é"')) return;
      seen = text;
      socket.write('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n');
    });
    const posted = new Connection({ host: '127.0.0.1', port }).request({ method: 'POST', path: '/x', body: '"é"' });
    await posted;
    assert.match(seen, /^POST \/x HTTP\/1\.1\r\nHost: 127\.0\.0\.1:\d+\r\nContent-Length: 4\r\n\r\n"é"$/);
  });

  it('reads a chunked body split across packets, trailers included', async (t) => {
    const { port } = await rawServer(t, (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel');
      setTimeout(() => socket.write('lo\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n'), 20);
    });
    const res = new Connection({ host: '127.0.0.1', port }).request({ method: 'GET', path: '/next' });
    assert.equal((await res).body.toString(), 'hello world');
  });

  it('reads a body that ends with the connection when there is no length', async (t) => {
    const { port } = await rawServer(t, (socket) => {
      socket.end('HTTP/1.1 200 OK\r\n\r\n{"till":"close"}');
    });
    const res = new Connection({ host: '127.0.0.1', port }).request({ method: 'GET', path: '/next' });
    assert.equal((await res).body.toString(), '{"till":"close"}');
  });

  it('joins repeated headers and lower-cases names, as node:http does', async (t) => {
    const { port } = await rawServer(t, (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nX-A: 1\r\nx-a: 2\r\nContent-Length: 0\r\n\r\n');
    });
    const res = new Connection({ host: '127.0.0.1', port }).request({ method: 'GET', path: '/next' });
    assert.equal((await res).headers['x-a'], '1, 2');
  });

  it('fails the waiting requests with a clear error on a response that is not HTTP', async (t) => {
    const { port } = await rawServer(t, (socket) => {
      socket.write('SSH-2.0-OpenSSH\r\n\r\n');
    });
    const connection = new Connection({ host: '127.0.0.1', port });
    const a = connection.request({ method: 'GET', path: '/next' });
    const b = connection.request({ method: 'GET', path: '/next' });
    await assert.rejects(a, (err: Error) => err instanceof ConnectionError && /not an HTTP\/1\.1 status line/.test(err.message));
    await assert.rejects(b, ConnectionError);
  });

  it('fails a request when the server closes before answering it', async (t) => {
    const { port } = await rawServer(t, (socket) => socket.destroy());
    const res = new Connection({ host: '127.0.0.1', port }).request({ method: 'GET', path: '/next' });
    await assert.rejects(res, (err: NodeJS.ErrnoException) => err instanceof ConnectionError);
  });

  it('sends a request again, once, on a fresh connection when a kept-alive one turns out to be closed', async (t) => {
    let answered = 0;
    const { port, connections } = await rawServer(t, (socket, received) => {
      const count = requestsIn(received).length;
      if (connections() === 1 && count === 1) {
        answered++;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n1');
      } else if (connections() === 1 && count === 2) {
        socket.resetAndDestroy(); // the server dropped the idle connection as the second request came in
      } else if (connections() === 2) {
        answered++;
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2');
      }
    });
    const connection = new Connection({ host: '127.0.0.1', port });
    assert.equal((await connection.request({ method: 'GET', path: '/next' })).body.toString(), '1');
    assert.equal((await connection.request({ method: 'GET', path: '/next' })).body.toString(), '2');
    assert.equal(answered, 2);
    assert.equal(connections(), 2);
  });

  it('holds a request until the next is sent: both go out in one write', async (t) => {
    const reads: string[] = [];
    const { port } = await rawServer(t, (socket, received) => {
      reads.push(received);
      if (requestsIn(received).length === 2) socket.write('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n2');
    });
    const connection = new Connection({ host: '127.0.0.1', port });
    const posted = connection.request({ method: 'POST', path: '/r1/response', body: '1' }, true);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(reads.length, 0, 'a held request is not written');
    const next = connection.request({ method: 'GET', path: '/next' });
    assert.equal((await posted).status, 202);
    assert.equal((await next).body.toString(), '2');
    assert.equal(reads.length, 1, 'one write carried both');
  });

  it('end() sends what is held, ends its side, and still reads the answers owed', async (t) => {
    let ended = false;
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      let received = '';
      socket.on('data', (d) => (received += d.toString('latin1')));
      socket.on('end', () => {
        ended = true;
        if (requestsIn(received).length === 1) socket.end('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const connection = new Connection({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
    const posted = connection.request({ method: 'POST', path: '/r1/error', body: '{}' }, true);
    connection.end();
    assert.equal((await posted).status, 202);
    assert.ok(ended);
    await assert.rejects(connection.request({ method: 'GET', path: '/next' }), /was ended/);
  });

  it('keeps the bytes a read left over (a head cut short, a character split in two) until the rest arrives', async (t) => {
    // Each read lands in the connection's one read buffer: what a read leaves unparsed must survive the next read.
    const parts = [
      Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nLambda-Runt', 'latin1'),
      Buffer.concat([Buffer.from('ime-Aws-Request-Id: r2\r\nContent-Length: 10\r\n\r\n{"e":"', 'latin1'), Buffer.from([0xc3])]),
      Buffer.concat([Buffer.from([0xa9]), Buffer.from('"}', 'latin1')]),
    ];
    const { port } = await rawServer(t, (socket, received) => {
      if (requestsIn(received).length !== 2) return;
      socket.setNoDelay(true);
      parts.forEach((part, i) => setTimeout(() => socket.write(part), 30 * i));
    });
    const connection = new Connection({ host: '127.0.0.1', port });
    const posted = connection.request({ method: 'POST', path: '/r1/response', body: '1' }, true);
    const next = connection.request({ method: 'GET', path: '/next' });
    assert.equal((await posted).status, 202);
    const event = await next;
    assert.equal(event.header('lambda-runtime-aws-request-id'), 'r2');
    assert.equal(event.body, '{"e":"é"}');
  });

  it('finds one header by name, in any case, joining repeats, without taking a longer name that ends with it', async (t) => {
    const { port } = await rawServer(t, (socket) => {
      socket.write('HTTP/1.1 200 OK\r\nX-Content-Length: 99\r\nCONTENT-LENGTH: 2\r\nX-A: 1\r\nx-a:  2 \r\n\r\nok');
    });
    const res = await new Connection({ host: '127.0.0.1', port }).request({ method: 'GET', path: '/next' });
    assert.equal(res.body, 'ok');
    assert.equal(res.header('content-length'), '2');
    assert.equal(res.header('x-a'), '1, 2');
    assert.equal(res.header('x-b'), undefined);
    assert.equal(res.headers['x-content-length'], '99');
  });

  it('speaks the same HTTP on a Unix socket', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'or-conn-'));
    const path = join(dir, 'api.sock');
    let head = '';
    const sockets: Socket[] = [];
    const server = createServer((socket) => {
      sockets.push(socket);
      socket.on('data', (d) => {
        head = d.toString('latin1');
        socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    t.after(() => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const res = await new Connection({ path }).request({ method: 'GET', path: '/next' });
    assert.equal(res.body.toString(), 'ok');
    assert.match(head, /^GET \/next HTTP\/1\.1\r\nHost: localhost\r\n\r\n$/);
  });
});

// Runtime clients for the benchmark that behave like the ones Open Runtime does not ship, on the TCP address
// (AWS_LAMBDA_RUNTIME_API), written on raw sockets so that the runner's side is what is measured:
//   keep-alive:   one connection for everything, Content-Length bodies, one request at a time (the Go, Rust, Java
//                 and .NET clients);
//   per-request:  a new connection for every request and chunked bodies (minlambda).
// The handler echoes the event.
import { connect } from 'node:net';

const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const mode = process.argv[2];
let kept;

/** One request, its response as { status, headers, body }. */
function send(head, body) {
  return new Promise((resolve, reject) => {
    const socket = mode === 'keep-alive' && kept && !kept.destroyed ? kept : connect({ host, port: Number(port), noDelay: true });
    if (mode === 'keep-alive') kept = socket;
    let data = Buffer.alloc(0);
    const onData = (chunk) => {
      data = data.length ? Buffer.concat([data, chunk]) : chunk;
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = data.toString('latin1', 0, end).split('\r\n');
      const headers = {};
      for (const line of lines.slice(1)) headers[line.slice(0, line.indexOf(':')).toLowerCase()] = line.slice(line.indexOf(':') + 1).trim();
      const length = Number(headers['content-length'] ?? 0);
      if (data.length < end + 4 + length) return;
      socket.off('data', onData);
      socket.off('error', reject);
      if (mode !== 'keep-alive') socket.destroy();
      resolve({ status: Number(lines[0].split(' ')[1]), headers, body: data.subarray(end + 4, end + 4 + length) });
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(body === undefined ? head : Buffer.concat([Buffer.from(head, 'latin1'), body]));
  });
}

for (;;) {
  const next = await send(`GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nHost: ${host}:${port}\r\n\r\n`);
  const id = next.headers['lambda-runtime-aws-request-id'];
  const answer = next.body;
  const path = `/2018-06-01/runtime/invocation/${id}/response`;
  const reply =
    mode === 'keep-alive'
      ? await send(`POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\nContent-Length: ${answer.length}\r\n\r\n`, answer)
      : await send(
          `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n${answer.length.toString(16)}\r\n`,
          Buffer.concat([answer, Buffer.from('\r\n0\r\n\r\n')]),
        );
  if (reply.status !== 202) throw new Error(`the Runtime API answered ${reply.status}: ${reply.body}`);
}

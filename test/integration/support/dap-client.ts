// A Debug Adapter Protocol client over TCP, as VS Code or any DAP editor speaks it to debugpy and Delve: the tests'
// debugger for Python and Go functions.
import { connect } from 'node:net';
import { waitFor } from './runner.ts';

/** A Debug Adapter Protocol client over TCP (Content-Length framed JSON), as VS Code or any DAP editor speaks it. */
export async function dapClient(port: number): Promise<{
  request: (command: string, args?: object) => Promise<any>;
  event: (name: string, test?: (body: any) => boolean) => Promise<any>;
  close: () => void;
}> {
  const socket = connect(port, '127.0.0.1');
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  let buffer = Buffer.alloc(0);
  let seq = 0;
  const pending = new Map<number, { resolve: (body: any) => void; reject: (e: Error) => void }>();
  const events: any[] = [];
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.subarray(0, end).toString())?.[1]);
      if (buffer.length < end + 4 + length) return;
      const message = JSON.parse(buffer.subarray(end + 4, end + 4 + length).toString('utf8'));
      buffer = buffer.subarray(end + 4 + length);
      if (message.type === 'response') {
        const p = pending.get(message.request_seq);
        pending.delete(message.request_seq);
        if (message.success) p?.resolve(message.body ?? {});
        else p?.reject(new Error(`${message.command}: ${message.message}`));
      } else if (message.type === 'event') {
        events.push(message);
      }
    }
  });
  const request = (command: string, args: object = {}) =>
    new Promise<any>((resolve, reject) => {
      const body = Buffer.from(JSON.stringify({ seq: ++seq, type: 'request', command, arguments: args }));
      pending.set(seq, { resolve, reject });
      socket.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body]));
    });
  const event = (name: string, test: (body: any) => boolean = () => true) =>
    waitFor(
      `the ${name} event`,
      () => {
        const found = events.findIndex((e) => e.event === name && test(e.body ?? {}));
        return found < 0 ? undefined : (events.splice(found, 1)[0].body ?? {});
      },
      30_000,
    );
  return { request, event, close: () => socket.destroy() };
}

// A Debug Adapter Protocol client over TCP, as VS Code or any DAP editor speaks it to debugpy and Delve: the tests'
// debugger for Python and Go functions. Every wait is bounded, and the adapter going away fails what waits on it at
// once: a test that loses its debuggee fails saying so, it never hangs.
import { connect } from 'node:net';
import { pendingAnswers } from './pending-answers.ts';
import { waitFor } from './runner.ts';

/** How long one response or event may take. */
const WAIT_MS = 30_000;

/** A Debug Adapter Protocol client over TCP (Content-Length framed JSON), as VS Code or any DAP editor speaks it. */
export async function dapClient(port: number): Promise<{
  request: (command: string, args?: object, options?: { programMayEnd?: boolean }) => Promise<any>;
  event: (name: string, test?: (body: any) => boolean) => Promise<any>;
  close: () => void;
}> {
  const socket = connect(port, '127.0.0.1');
  socket.setTimeout(WAIT_MS, () => socket.destroy(new Error(`No connection to the debug adapter on port ${port} in ${WAIT_MS} ms.`)));
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.setTimeout(0);
  let buffer = Buffer.alloc(0);
  let seq = 0;
  const pending = pendingAnswers(WAIT_MS, {});
  const events: any[] = [];
  socket.on('error', () => {});
  socket.on('close', () => pending.close(new Error(`The debug adapter on port ${port} closed the connection.`)));
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
        pending.settle(message.request_seq, message.body ?? {}, message.success ? undefined : new Error(message.message));
      } else if (message.type === 'event') {
        events.push(message);
      }
    }
  });
  // A request is often sent before what it waits on (attach, then the `initialized` event): its failure is thrown where
  // it is awaited, never as an unhandled rejection in between. `programMayEnd`: the request lets the program run to its
  // end (configurationDone with no breakpoint, a last continue), and the adapter may end with it before it answers:
  // the connection closing then answers it.
  const request = (command: string, args: object = {}, { programMayEnd = false } = {}) => {
    const sent = ++seq;
    const body = Buffer.from(JSON.stringify({ seq: sent, type: 'request', command, arguments: args }));
    return pending.expect(sent, command, programMayEnd, () => socket.write(Buffer.concat([Buffer.from(`Content-Length: ${body.length}\r\n\r\n`), body])));
  };
  const event = (name: string, test: (body: any) => boolean = () => true) =>
    waitFor(
      `the ${name} event`,
      () => {
        const found = events.findIndex((e) => e.event === name && test(e.body ?? {}));
        if (found >= 0) return events.splice(found, 1)[0].body ?? {};
        if (pending.closed) throw new Error(`Waiting for the ${name} event: ${pending.closed.message}`);
        return undefined;
      },
      WAIT_MS,
    );
  return { request, event, close: () => socket.destroy() };
}

// The HTTP side of the bench's relays (bare-relay.ts, faithful-relay.ts): a server on raw sockets, no node:http.
import { createServer, type Server, type Socket } from 'node:net';

/** A server that calls `each` with every request head (the text before its empty line) and the connection it came on. Requests without bodies only: the bench's GETs. */
export function rawHttpServer(each: (head: string, client: Socket) => void): Server {
  return createServer({ noDelay: true }, (client) => {
    client.on('error', () => undefined);
    let buffer = '';
    client.on('data', (data: Buffer) => {
      buffer += data.toString('latin1');
      for (let end = buffer.indexOf('\r\n\r\n'); end >= 0; end = buffer.indexOf('\r\n\r\n')) {
        const head = buffer.slice(0, end);
        buffer = buffer.slice(end + 4);
        each(head, client);
      }
    });
  });
}

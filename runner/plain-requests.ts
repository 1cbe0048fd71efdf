// A connection to the main port read without node:http while its requests are the plain kind a keep-alive Invoke
// API caller sends (an SDK, the AWS CLI, `sam local invoke`-style tools): a head node:http would read the same way
// (runtime-api/http1.ts), a Content-Length body already in, no repeated header. node:http's per-request machinery
// (parser callbacks, IncomingMessage and ServerResponse streams, the body read as a stream behind a promise, the
// answer corked and written as a vector) cost the runner more per invoke than the invoke itself. The route decides
// what it serves; everything else (a partial head or body, chunked bodies, HTTP/1.0, Expect, CORS, errors, any
// route that is not the lean one) goes to node:http with the bytes not yet answered, at a request boundary, and the
// connection stays node:http's: its answers stay exactly node:http's. Requests are answered in order, one at a time.
import type { Socket } from 'node:net';
import { parseRequestHead, PLAIN_HEAD_BYTES, type RequestHead } from './runtime-api/http1.ts';

const EMPTY = Buffer.alloc(0);
/** What may wait behind a request being answered before the connection stops reading (a 6 MB payload, and its head). */
const MAX_WAITING_BYTES = 6 * 1024 * 1024 + PLAIN_HEAD_BYTES;
/** node:http's keepAliveTimeout on the main port (local-lambda.ts): an idle connection closes after it. */
export const IDLE_CONNECTION_MS = 5 * 60_000;
/** What node:http ends each answer's head with on a keep-alive connection whose server has this keepAliveTimeout. */
export function keepAliveLines(idleMs: number): string {
  return `Connection: keep-alive\r\nKeep-Alive: timeout=${Math.floor(idleMs / 1000)}\r\n\r\n`;
}
const KEEP_ALIVE = keepAliveLines(IDLE_CONNECTION_MS);

/**
 * An answer in one buffer: `head` (the status line and headers, each line ending in CRLF, latin1), the keep-alive
 * lines (the main port's unless given: keepAliveLines), then `body`.
 */
export function plainReply(head: string, body: Buffer, keepAlive = KEEP_ALIVE): Buffer {
  const headLength = head.length + keepAlive.length;
  const reply = Buffer.allocUnsafe(headLength + body.length);
  reply.write(head, 0, 'latin1');
  reply.write(keepAlive, head.length, 'latin1');
  body.copy(reply, headLength);
  return reply;
}

/**
 * Serves one plain request: true when it takes it (it calls `answer` once, with the whole reply: head and body), false
 * to leave it (and the connection) to node:http. It must decide before it answers and must not throw. `socket`: the
 * connection it came on (its peer's address), never to be read or written by the route. `text`: the head as it came
 * (latin1), for what needs the header names as sent (rawHeadersOf).
 */
export type PlainRoute = (head: RequestHead, target: string, body: Buffer, answer: (reply: Buffer) => void, socket: Socket, text: string) => boolean;

/** Gives the connection, with the bytes it has read but not answered, to node:http. */
export type HandOff = (socket: Socket, unread: Buffer) => void;

/** Serves `socket` from its first bytes `first`; `idleMs`: the keepAliveTimeout of the node:http server behind it. */
export function servePlainRequests(socket: Socket, first: Buffer, route: PlainRoute, handOff: HandOff, idleMs = IDLE_CONNECTION_MS): void {
  new PlainConnection(socket, route, handOff, idleMs).receive(first);
}

class PlainConnection {
  private buffer: Buffer = EMPTY;
  /** A request is being answered: what arrives meanwhile waits (answers go out in request order). */
  private busy = false;
  private gone = false;
  private readonly socket: Socket;
  private readonly route: PlainRoute;
  private readonly handOff: HandOff;

  constructor(socket: Socket, route: PlainRoute, handOff: HandOff, idleMs: number) {
    this.socket = socket;
    this.route = route;
    this.handOff = handOff;
    // As node:http's keepAliveTimeout: the socket's own timeout (refreshed by its reads and writes), no timer per request.
    socket.setTimeout(idleMs);
    socket.on('data', this.onData).on('timeout', this.onTimeout).on('error', this.onError).on('close', this.onClose);
  }

  private readonly onData = (data: Buffer): void => this.receive(data);
  private readonly onTimeout = (): void => {
    if (!this.busy) this.socket.destroy();
  };
  // A caller that goes away mid-invoke: the invocation runs on; its answer is dropped (as node:http's would be).
  private readonly onError = (): void => undefined;
  private readonly onClose = (): void => {
    this.gone = true;
  };

  receive(data: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    if (!this.busy) this.next();
    // Requests pipelined behind one being answered wait in memory: past a whole payload's worth, reading stops.
    else if (this.buffer.length > MAX_WAITING_BYTES) this.socket.pause();
  }

  /** Serves the buffered request, if it is whole and plain; else node:http gets the connection. */
  private next(): void {
    if (this.gone || this.buffer.length === 0) return;
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0 || end > PLAIN_HEAD_BYTES) return this.giveAway();
    const text = this.buffer.toString('latin1', 0, end);
    const head = parseRequestHead(text);
    // node:http refuses an HTTP/1.1 request without Host, and an empty Content-Length: its answers.
    if (
      typeof head === 'string' ||
      !head.plain ||
      head.close ||
      head.body === 'chunked' ||
      !head.headers.has('host') ||
      head.headers.get('content-length') === ''
    )
      return this.giveAway();
    const bodyStart = end + 4;
    const bodyEnd = bodyStart + head.body;
    // A repeated header: node:http joins some (and keeps the first of others); its reading is the one that counts.
    if (this.buffer.length < bodyEnd || headerLines(text) !== head.headers.size) return this.giveAway();
    const target = text.slice(text.indexOf(' ') + 1, text.indexOf(' HTTP/1.'));
    const body = this.buffer.subarray(bodyStart, bodyEnd);
    const whole = this.buffer;
    // The bytes after it (and what arrives meanwhile) wait for its answer.
    this.buffer = whole.length === bodyEnd ? EMPTY : whole.subarray(bodyEnd);
    this.busy = true;
    if (!this.route(head, target, body, this.answer, this.socket, text)) {
      this.busy = false;
      this.buffer = whole;
      this.giveAway();
    }
  }

  private readonly answer = (reply: Buffer): void => {
    if (!this.gone) this.socket.write(reply);
    this.busy = false;
    if (this.socket.isPaused()) this.socket.resume();
    this.next();
  };

  private giveAway(): void {
    this.socket.off('data', this.onData).off('timeout', this.onTimeout).off('error', this.onError).off('close', this.onClose);
    this.socket.setTimeout(0);
    const unread = this.buffer;
    this.buffer = EMPTY;
    this.gone = true;
    if (!this.socket.destroyed) this.handOff(this.socket, unread);
  }
}

/** The header lines of a head's text (the request line not counted). */
function headerLines(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\r\n'); at >= 0; at = text.indexOf('\r\n', at + 2)) count++;
  return count;
}

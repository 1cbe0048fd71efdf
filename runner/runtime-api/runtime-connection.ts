// One connection to an execution environment's Runtime API, read without node:http: the routes of an invoke
// (GET /next, a buffered /response or /error with a Content-Length or chunked body, /init/error), answered by the
// same logic as node:http's routes (runtime.ts: claimAnswer, settleAnswer, the environment's onNext). Two places use
// it: the environment's direct Unix socket (direct.ts), and its TCP address, where every runtime client that is not
// ours connects (aws-lambda-ric, the other languages' clients, curl bootstraps). node:http's per-request machinery
// (parser callbacks, IncomingMessage and ServerResponse streams, header objects) cost the runner more than the rest of
// an invoke there. On TCP everything else (streamed responses, the Extensions and Telemetry APIs, wrong methods and
// routes, and any request node:http would read differently: see http1.ts) is handed to node:http, with the bytes not
// yet answered, at a request boundary: their answers stay exactly node:http's.
//
// Replies go out in the order of the requests (HTTP/1.1 pipelining), and wait while a parked /next is behind them:
// the runtime asked for its next event without waiting for them, so they go out with that event, in one write.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { Invocation } from '../environments/invocation.ts';
import { BodyTooLargeError } from '../http-util.ts';
import { RUNTIME_INIT_ERROR } from '../lambda-errors.ts';
import { chunkedBody, MAX_HEAD_BYTES, parseRequestHead, PLAIN_HEAD_BYTES, readChunks, type ChunkedBody, type RequestHead } from './http1.ts';
import {
  answerRoute,
  claimAnswer,
  INIT_ERROR_PATH,
  lateInitError,
  MAX_ERROR_BYTES,
  MAX_RESPONSE_BYTES,
  NEXT_PATH,
  refusedAnswer,
  settleAnswer,
} from './runtime.ts';
import type { NextRequest, ServedEnvironment } from './served-environment.ts';

const EMPTY = Buffer.alloc(0);
const LINE_BREAK = /[\r\n]/;
const LINE_BREAKS = /[\r\n]/g;
const ACCEPTED = Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}', 'latin1');

/** Gives the connection, with the bytes it has read but not answered, to node:http. */
export type HandOff = (socket: Socket, unread: Buffer) => void;

interface Slot {
  data: Buffer | undefined;
  /** A parked /next's: called if the connection closes before it is answered. */
  gone?: (() => void) | undefined;
  /** The request asked for the connection to close after its reply. */
  close?: boolean;
}

/** The body being read: Content-Length bytes still to come, or chunked. */
interface Body {
  head: RequestHead;
  limit: number;
  parts: Buffer[];
  size: number;
  /** Content-Length bodies: the bytes still to come. */
  remaining: number;
  chunked: ChunkedBody | undefined;
  /** Dispatched already as too large: the rest is read and dropped. */
  refused: boolean;
  /** The invocation serves() claimed to read the head (a chunked /response): dispatch() answers it without a second claim. */
  claimed: Invocation | undefined;
}

/** Serves `socket`. `handOff`: node:http, for what this does not serve (TCP); without it (the direct socket) such requests are refused. */
export function serveRuntimeConnection(env: ServedEnvironment, socket: Socket, handOff?: HandOff, first?: Buffer): void {
  const connection = new RuntimeConnection(env, socket, handOff);
  if (first) connection.receive(first);
}

class RuntimeConnection {
  private buffer: Buffer = EMPTY;
  private body: Body | undefined;
  private slots: Slot[] = [];
  private closed = false;
  /** The runtime ended its side: it sends nothing more and takes no more events. */
  private ended = false;
  private parsing = false;
  /** The runtime closed the connection without reading everything sent to it (or before it was sent). */
  private reset = false;
  /** A request for node:http is waiting for the replies before it. */
  private handingOff = false;

  private readonly env: ServedEnvironment;
  private readonly socket: Socket;
  private readonly handOff: HandOff | undefined;
  private readonly halfOpen: boolean;
  /** What the last serves() claimed, for the body it reads next. */
  private claimedByServes: Invocation | undefined;

  constructor(env: ServedEnvironment, socket: Socket, handOff: HandOff | undefined) {
    this.env = env;
    this.socket = socket;
    this.handOff = handOff;
    // Half-open: a runtime that exits ends its side, and still gets the replies it is owed.
    this.halfOpen = socket.allowHalfOpen;
    socket.allowHalfOpen = true;
    socket.on('data', this.onData).on('end', this.onEnd).on('error', this.onError).on('close', this.onClose);
  }

  private readonly onData = (data: Buffer): void => this.receive(data);

  private readonly onError = (err: NodeJS.ErrnoException): void => {
    // The runtime closed its side with bytes it never read (ECONNRESET), or before they were written (EPIPE): an
    // event written then never reached it (environment.ts runs it elsewhere).
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.reset = true;
  };

  private readonly onClose = (): void => {
    this.closed = true;
    for (const slot of this.slots.splice(0)) slot.gone?.();
  };

  private readonly onEnd = (): void => {
    this.ended = true;
    this.slots = this.slots.filter((slot) => {
      if (slot.data) return true;
      slot.gone?.();
      return false;
    });
    this.flush();
    if (!this.handingOff) this.socket.end();
  };

  receive(data: Buffer): void {
    // After a refusal nothing more is read (the connection is closing).
    if (this.closed) return;
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
    this.parsing = true;
    try {
      this.parse();
    } finally {
      this.parsing = false;
    }
    this.flush();
  }

  private parse(): void {
    while (!this.closed && !this.handingOff) {
      if (this.body) {
        if (!this.readBody(this.body)) return;
        continue;
      }
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > (this.handOff ? PLAIN_HEAD_BYTES : MAX_HEAD_BYTES)) {
          if (this.handOff) return this.toNodeHttp();
          this.refuse(431, `The request head is over ${MAX_HEAD_BYTES / 1024} KiB.`);
        }
        return;
      }
      const head = parseRequestHead(this.buffer.toString('latin1', 0, end));
      if (this.handOff && (typeof head === 'string' || !head.plain || !this.serves(head))) return this.toNodeHttp();
      this.buffer = this.buffer.subarray(end + 4);
      if (typeof head === 'string') return this.refuse(400, head);
      const limit = head.path === INIT_ERROR_PATH || head.path.endsWith('/error') ? MAX_ERROR_BYTES : MAX_RESPONSE_BYTES;
      const body: Body = { head, limit, parts: [], size: 0, remaining: 0, chunked: undefined, refused: false, claimed: this.claimedByServes };
      this.claimedByServes = undefined;
      if (head.body === 'chunked') body.chunked = chunkedBody(limit);
      else {
        body.remaining = head.body;
        if (head.body > limit) {
          // Answered now; the body is skipped so that the connection stays usable.
          body.refused = true;
          this.dispatch(head, new BodyTooLargeError(limit, head.body), body.claimed);
        }
      }
      this.body = body;
    }
  }

  /** Reads what there is of the body; true once it is complete (and dispatched). */
  private readBody(body: Body): boolean {
    if (body.chunked) {
      const read = readChunks(this.buffer, body.chunked);
      if (typeof read === 'string') {
        this.body = undefined;
        this.refuse(400, read);
        return false;
      }
      this.buffer = read.used === this.buffer.length ? EMPTY : this.buffer.subarray(read.used);
      if (!body.refused && body.chunked.size > body.limit) {
        body.refused = true;
        this.dispatch(body.head, new BodyTooLargeError(body.limit, body.chunked.size), body.claimed);
      }
      if (!read.done) return false;
      this.body = undefined;
      if (!body.refused)
        this.dispatch(
          body.head,
          body.chunked.chunks.length === 1 ? body.chunked.chunks[0]! : Buffer.concat(body.chunked.chunks, body.chunked.size),
          body.claimed,
        );
      return true;
    }
    const take = Math.min(body.remaining, this.buffer.length);
    if (take > 0 && !body.refused) body.parts.push(take === this.buffer.length ? this.buffer : this.buffer.subarray(0, take));
    body.remaining -= take;
    body.size += take;
    this.buffer = take === this.buffer.length ? EMPTY : this.buffer.subarray(take);
    if (body.remaining > 0) return false;
    this.body = undefined;
    if (!body.refused)
      this.dispatch(body.head, body.parts.length === 0 ? EMPTY : body.parts.length === 1 ? body.parts[0]! : Buffer.concat(body.parts, body.size));
    return true;
  }

  /** The routes read here; on TCP the rest go to node:http (runtime.ts's route table). */
  private serves(head: RequestHead): boolean {
    if (head.path === NEXT_PATH) return head.method === 'GET';
    if (head.method !== 'POST') return false;
    if (head.path === INIT_ERROR_PATH) return true;
    const answer = answerRoute(head.path);
    if (answer === undefined || answer.action !== 'response') return answer !== undefined;
    if (head.headers.get('lambda-runtime-function-response-mode')?.toLowerCase() === 'streaming') return false;
    // A chunked answer to a caller that takes a stream streams even undeclared (runtime.ts streamsResponse): node:http's.
    if (head.body === 'chunked') {
      const inv = this.env.claim(answer.requestId, head.headers.get('lambda-runtime-invocation-id'));
      if (inv instanceof Invocation && inv.callerStreams) return false;
      // Remembered for dispatch(): one claim per answer.
      if (inv instanceof Invocation) this.claimedByServes = inv;
    }
    return true;
  }

  /** `claimed`: what serves() found for this request's invocation (see claimAnswer). */
  private dispatch(head: RequestHead, body: Buffer | BodyTooLargeError, claimed?: Invocation): void {
    const slot: Slot = { data: undefined, close: head.close };
    this.slots.push(slot);
    const { method, path } = head;
    if (path === NEXT_PATH) {
      if (method !== 'GET') return this.reply(slot, errorReply(405, 'MethodNotAllowed', 'Use GET for /runtime/invocation/next.'));
      return this.env.onNext(this.parkNext(slot));
    }
    const answer = method === 'POST' ? answerRoute(path) : undefined;
    if (answer) {
      const { requestId, action } = answer;
      if (action === 'response' && head.headers.get('lambda-runtime-function-response-mode')?.toLowerCase() === 'streaming') {
        return this.reply(slot, errorReply(400, 'InvalidRequest', 'Streamed responses go to AWS_LAMBDA_RUNTIME_API, not to the direct socket.'));
      }
      const inv = claimAnswer(this.env, requestId, action, head.headers.get('lambda-runtime-invocation-id'), claimed);
      if (!(inv instanceof Invocation)) return this.reply(slot, errorReply(inv.status, inv.errorType, inv.errorMessage));
      const refused = refusedAnswer(action, body);
      this.reply(slot, refused ? errorReply(refused.status, refused.errorType, refused.errorMessage) : ACCEPTED);
      // A runtime that sent nothing behind its answer waits for this 202 before it asks for its next event
      // (aws-lambda-ric, curl, most clients): it goes out now, before the caller's answer is written, so that the
      // runtime's turn-around overlaps the caller's rather than following it. A pipelined /next behind the answer
      // still gets the 202 with its event, in one write.
      if (!refused && this.buffer.length === 0) this.flush();
      settleAnswer(this.env, inv, action, body, (name) => head.headers.get(name));
      return;
    }
    if (method === 'POST' && path === INIT_ERROR_PATH) {
      if (body instanceof BodyTooLargeError) return this.reply(slot, errorReply(413, 'RequestEntityTooLarge', body.message));
      if (!this.env.acceptsInitError()) {
        const late = lateInitError();
        return this.reply(slot, errorReply(late.status, late.errorType, late.errorMessage));
      }
      this.reply(slot, ACCEPTED);
      return this.env.initFailed(head.headers.get('lambda-runtime-function-error-type') ?? RUNTIME_INIT_ERROR, body);
    }
    this.reply(slot, errorReply(404, 'NotFound', `No such route on the direct socket: ${method} ${path}`));
  }

  private parkNext(slot: Slot): NextRequest {
    return {
      send: (headers, payload) => {
        let head = 'HTTP/1.1 200 OK\r\n';
        for (const name in headers) {
          const value = headers[name]!;
          head += `${name}: ${typeof value === 'number' ? value : LINE_BREAK.test(value) ? value.replace(LINE_BREAKS, ' ') : value}\r\n`;
        }
        head += '\r\n';
        // latin1: a character a byte.
        const data = Buffer.allocUnsafe(head.length + payload.length);
        data.write(head, 0, 'latin1');
        payload.copy(data, head.length);
        this.reply(slot, data);
      },
      onGone: (callback) => {
        if (this.closed) callback();
        else slot.gone = callback;
      },
      unread: () => this.reset,
      destroy: () => this.socket.destroy(),
    };
  }

  private reply(slot: Slot, data: Buffer): void {
    slot.data = data;
    // While a read is being parsed, a /next may still follow in it.
    if (!this.parsing) this.flush();
  }

  private flush(): void {
    if (this.closed) return;
    if (this.slots.length > 0) {
      if (!this.ended && this.slots.some((slot) => !slot.data)) return;
      const out = this.slots;
      this.slots = [];
      this.socket.write(out.length === 1 ? out[0]!.data! : Buffer.concat(out.map((slot) => slot.data!)));
      if (out.some((slot) => slot.close)) {
        this.closed = true;
        this.socket.end();
        return;
      }
    }
    if (this.handingOff) this.giveAway();
  }

  /** The next request is node:http's: once the replies before it are out. */
  private toNodeHttp(): void {
    this.handingOff = true;
    if (!this.parsing) this.flush();
  }

  private giveAway(): void {
    this.closed = true;
    this.socket.off('data', this.onData).off('end', this.onEnd).off('error', this.onError).off('close', this.onClose);
    this.socket.allowHalfOpen = this.halfOpen;
    const unread = this.buffer;
    this.buffer = EMPTY;
    this.handOff!(this.socket, unread);
  }

  /** A request this connection cannot read: the runtime gets the reason, then the connection closes. */
  private refuse(status: number, message: string): void {
    this.closed = true;
    this.socket.end(errorReply(status, 'InvalidRequest', message));
  }
}

function errorReply(status: number, errorType: string, errorMessage: string): Buffer {
  const body = JSON.stringify({ errorMessage, errorType });
  return Buffer.from(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

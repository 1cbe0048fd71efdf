// The Runtime API on a Unix socket of the environment's own, for the project's Node and Python runtime clients:
// /next, buffered answers and init errors, with Content-Length bodies, read without node:http. An invoke is two
// requests of the runtime's; on the loopback TCP address node:http's per-request streams and the TCP stack cost the
// runner about as much as the rest of the invoke. The environment's TCP address (AWS_LAMBDA_RUNTIME_API) still serves
// every route to every client, and the Node client's streamed answers go there (chunked, with trailers).
import { mkdtempSync, rmSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NextRequest, ServedEnvironment } from './served-environment.ts';
import { Invocation } from '../environments/invocation.ts';
import { BodyTooLargeError } from '../http-util.ts';
import { answerRoute, claimAnswer, INIT_ERROR_PATH, lateInitError, MAX_ERROR_BYTES, MAX_RESPONSE_BYTES, NEXT_PATH, settleAnswer } from './runtime.ts';
import { RUNTIME_INIT_ERROR } from '../lambda-errors.ts';
import { localSocketPath } from '../platform.ts';

const MAX_HEAD = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const ACCEPTED = Buffer.from('HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\nContent-Length: 15\r\n\r\n{"status":"OK"}', 'latin1');

let socketDir: string | undefined;

/** A path for an environment's socket, in a folder of this runner's that only its user can enter. */
export function directSocketPath(name: string): string {
  if (!socketDir) {
    const dir = mkdtempSync(join(tmpdir(), 'open-runtime-'));
    socketDir = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  return localSocketPath(socketDir, name);
}

/** Listens on `path` for the environment's runtime. */
export async function listenDirect(env: ServedEnvironment, path: string): Promise<Server> {
  // Half-open: a runtime that exits ends its side, and still gets the replies it is owed.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    if (env.admit(socket, 'unix')) new DirectConnection(env, socket);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, () => resolve());
  });
  return server;
}

interface Head {
  method: string;
  path: string;
  headers: Map<string, string>;
  length: number;
}

/**
 * Replies go out in the order of the requests (HTTP/1.1 pipelining), and wait while a parked /next is behind them:
 * the runtime asked for its next event without waiting for them, so they go out with that event, in one write.
 */
interface Slot {
  data: Buffer | undefined;
  /** A parked /next's: called if the connection closes before it is answered. */
  gone?: (() => void) | undefined;
}

class DirectConnection {
  private buffer: Buffer = EMPTY;
  private head: Head | undefined;
  /** Bytes of an oversized body still to skip. */
  private discarding = 0;
  private slots: Slot[] = [];
  private closed = false;
  /** The runtime ended its side: it sends nothing more and takes no more events. */
  private ended = false;
  private parsing = false;
  /** The runtime closed the connection without reading everything sent to it (or before it was sent). */
  private reset = false;

  private readonly env: ServedEnvironment;
  private readonly socket: Socket;

  constructor(env: ServedEnvironment, socket: Socket) {
    this.env = env;
    this.socket = socket;
    socket.on('data', (data: Buffer) => {
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
    });
    socket.on('end', () => {
      this.ended = true;
      this.slots = this.slots.filter((slot) => {
        if (slot.data) return true;
        slot.gone?.();
        return false;
      });
      this.flush();
      socket.end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // The runtime closed its side with bytes it never read (ECONNRESET), or before they were written (EPIPE): an
      // event written then never reached it (environment.ts runs it elsewhere).
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') this.reset = true;
    });
    socket.on('close', () => {
      this.closed = true;
      for (const slot of this.slots.splice(0)) slot.gone?.();
    });
  }

  private parse(): void {
    while (!this.closed) {
      if (this.discarding > 0) {
        const skip = Math.min(this.discarding, this.buffer.length);
        this.discarding -= skip;
        this.buffer = this.buffer.subarray(skip);
        if (this.discarding > 0) return;
      }
      if (!this.head) {
        const end = this.buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (this.buffer.length > MAX_HEAD) this.refuse(431, 'The request head is over 64 KiB.');
          return;
        }
        const head = parseHead(this.buffer.toString('latin1', 0, end));
        this.buffer = this.buffer.subarray(end + 4);
        if (typeof head === 'string') return this.refuse(400, head);
        this.head = head;
        const limit = head.path === INIT_ERROR_PATH || head.path.endsWith('/error') ? MAX_ERROR_BYTES : MAX_RESPONSE_BYTES;
        if (head.length > limit) {
          // Answered now; the body is skipped so that the connection stays usable.
          this.head = undefined;
          this.discarding = head.length;
          this.dispatch(head, new BodyTooLargeError(limit, head.length));
          continue;
        }
      }
      const head = this.head;
      if (this.buffer.length < head.length) return;
      const body = head.length === 0 ? EMPTY : this.buffer.subarray(0, head.length);
      this.buffer = head.length === this.buffer.length ? EMPTY : this.buffer.subarray(head.length);
      this.head = undefined;
      this.dispatch(head, body);
    }
  }

  private dispatch(head: Head, body: Buffer | BodyTooLargeError): void {
    const slot: Slot = { data: undefined };
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
      const inv = claimAnswer(this.env, requestId, action);
      if (!(inv instanceof Invocation)) return this.reply(slot, errorReply(inv.status, inv.errorType, inv.errorMessage));
      const problem = settleAnswer(this.env, inv, action, body, (name) => head.headers.get(name));
      return this.reply(slot, problem ? errorReply(problem.status, problem.errorType, problem.errorMessage) : ACCEPTED);
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
        for (const name in headers) head += `${name}: ${String(headers[name]).replace(/[\r\n]/g, ' ')}\r\n`;
        const bytes = Buffer.byteLength(head, 'latin1') + 2;
        const data = Buffer.allocUnsafe(bytes + payload.length);
        data.write(`${head}\r\n`, 0, 'latin1');
        payload.copy(data, bytes);
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
    if (this.closed || this.slots.length === 0) return;
    if (!this.ended && this.slots.some((slot) => !slot.data)) return;
    const out = this.slots;
    this.slots = [];
    this.socket.write(out.length === 1 ? out[0]!.data! : Buffer.concat(out.map((slot) => slot.data!)));
  }

  /** A request this socket cannot read: the runtime gets the reason, then the connection closes. */
  private refuse(status: number, message: string): void {
    this.closed = true;
    this.socket.end(errorReply(status, 'InvalidRequest', message));
  }
}

function errorReply(status: number, errorType: string, errorMessage: string): Buffer {
  const body = JSON.stringify({ errorMessage, errorType });
  return Buffer.from(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** A request head, or why it cannot be read. Bodies need a Content-Length (the Node client always sends one). */
export function parseHead(text: string): Head | string {
  const lines = text.split('\r\n');
  const request = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(lines[0] ?? '');
  if (!request) return `"${(lines[0] ?? '').slice(0, 100)}" is not an HTTP/1.1 request line.`;
  const headers = new Map<string, string>();
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return `"${line.slice(0, 100)}" is not a header line.`;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  if (headers.has('transfer-encoding')) return 'The direct socket reads Content-Length bodies only; send chunked bodies to AWS_LAMBDA_RUNTIME_API.';
  const declared = headers.get('content-length');
  const length = declared === undefined ? 0 : Number(declared);
  if (!/^\d*$/.test(declared ?? '') || !Number.isSafeInteger(length)) return `Content-Length "${declared}" is not a number of bytes.`;
  const path = request[2]!;
  const query = path.indexOf('?');
  return { method: request[1]!, path: query < 0 ? path : path.slice(0, query), headers, length };
}

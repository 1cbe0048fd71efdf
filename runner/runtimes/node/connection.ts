// One keep-alive HTTP/1.1 connection to the Runtime API, with pipelining: the client asks for the next invocation
// right after posting a response, without waiting for the 202, and reads the answers in order. node:http's client
// cannot pipeline, and its per-request machinery (agent, ClientRequest, IncomingMessage streams) costs more than
// the rest of an invoke in the runtime; Lambda's own Node client uses a native (libcurl) client here for the same
// reason. The responses it reads are the Runtime API's: a status line, headers, and a body with a Content-Length
// or chunked (trailers are read and dropped).
import { connect } from 'node:net';
import type { Socket } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface RawRequest {
  method: 'GET' | 'POST';
  path: string;
  /** Extra header lines, each ending in \r\n. */
  headers?: string;
  body?: string;
}

interface Pending {
  request: RawRequest;
  resolve(response: RawResponse): void;
  reject(error: Error): void;
  /** Sent on a connection that had already answered: a reset before any answer may be a stale keep-alive. */
  reused: boolean;
  retried: boolean;
}

const EMPTY = Buffer.alloc(0);
const MAX_HEAD = 64 * 1024;

export class ConnectionError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
  }
}

/** The head of the response being read, and how its body ends. */
interface Head {
  status: number;
  headers: IncomingHttpHeaders;
  /** Bytes still to read (Content-Length), or 'chunked', or 'close' (no length: the body ends with the connection). */
  length: number | 'chunked' | 'close';
  chunks: Buffer[];
}

/** Where the Runtime API is: its TCP address, or a Unix socket path (the runner's direct socket). */
export type Target = { host: string; port: number } | { path: string };

export class Connection {
  private socket: Socket | undefined;
  private readonly queue: Pending[] = [];
  private buffer: Buffer = EMPTY;
  private head: Head | undefined;
  private answered = 0;
  /** Requests formatted but not yet written (held). */
  private unsent = '';
  private ended = false;
  private readonly hostHeader: string;
  private readonly target: Target;

  constructor(target: Target) {
    this.target = target;
    this.hostHeader = 'path' in target ? 'Host: localhost\r\n' : `Host: ${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}\r\n`;
  }

  /**
   * Sends a request, behind any still waiting for their answers; resolves with its response, in order. A held request
   * waits for the next one that is sent, or for send(): both go out in one write.
   */
  request(request: RawRequest, hold = false): Promise<RawResponse> {
    if (this.ended) return Promise.reject(new ConnectionError('The connection to the Runtime API was ended.'));
    const socket = this.socket ?? this.open();
    socket.ref();
    const answered = new Promise<RawResponse>((resolve, reject) => this.queue.push({ request, resolve, reject, reused: this.answered > 0, retried: false }));
    this.unsent += this.format(request);
    if (!hold) this.send();
    return answered;
  }

  /** Writes the held requests. */
  send(): void {
    if (!this.unsent) return;
    const data = this.unsent;
    this.unsent = '';
    this.socket?.write(data);
  }

  /** Everything requested so far is written out (in the kernel's hands: it reaches the server even if this process exits). */
  written(): boolean {
    return !this.unsent && (this.socket?.writableLength ?? 0) === 0;
  }

  /** Nothing more will be sent (the process is exiting): the server answers what it has and closes. */
  end(): void {
    this.send();
    this.ended = true;
    this.socket?.end();
  }

  private format(r: RawRequest): string {
    const body = r.body ?? '';
    const length = r.method === 'POST' ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : '';
    return `${r.method} ${r.path} HTTP/1.1\r\n${this.hostHeader}${r.headers ?? ''}${length}\r\n${body}`;
  }

  private open(): Socket {
    const socket = 'path' in this.target ? connect({ path: this.target.path }) : connect({ ...this.target, noDelay: true });
    this.socket = socket;
    this.unsent = '';
    this.buffer = EMPTY;
    this.head = undefined;
    this.answered = 0;
    socket.on('data', (data: Buffer) => {
      this.buffer = this.buffer.length ? Buffer.concat([this.buffer, data]) : data;
      try {
        this.parse();
      } catch (error) {
        this.fail(socket, error as Error);
        socket.destroy();
      }
    });
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(socket, new ConnectionError(error.message, error.code)));
    socket.on('close', () => {
      // A body without a length ends here.
      if (this.socket === socket && this.head?.length === 'close') this.complete(Buffer.concat(this.head.chunks));
      this.fail(socket, new ConnectionError('The Runtime API closed the connection.', 'ECONNRESET'));
    });
    return socket;
  }

  /** The connection broke: requests waiting on it fail, except a stale keep-alive's first, which is sent again once. */
  private fail(socket: Socket, error: ConnectionError | Error): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    const waiting = this.queue.splice(0);
    const code = (error as ConnectionError).code;
    const stale = waiting[0] && waiting[0].reused && !waiting[0].retried && !this.head && (code === 'ECONNRESET' || code === 'EPIPE');
    this.head = undefined;
    this.buffer = EMPTY;
    this.unsent = '';
    if (!stale) {
      for (const p of waiting) p.reject(error);
      return;
    }
    const fresh = this.open();
    fresh.ref();
    for (const p of waiting) {
      p.retried = true;
      p.reused = false;
      this.queue.push(p);
    }
    fresh.write(waiting.map((p) => this.format(p.request)).join(''));
  }

  private parse(): void {
    for (;;) {
      if (!this.head) {
        const end = this.buffer.indexOf('\r\n\r\n');
        if (end < 0) {
          if (this.buffer.length > MAX_HEAD) throw new ConnectionError('The Runtime API sent a response head over 64 KiB.');
          return;
        }
        this.head = parseHead(this.buffer.toString('latin1', 0, end));
        this.buffer = this.buffer.subarray(end + 4);
      }
      const head = this.head;
      if (head.length === 'close') {
        head.chunks.push(this.buffer);
        this.buffer = EMPTY;
        return;
      }
      if (head.length === 'chunked') {
        if (!this.readChunks(head)) return;
      } else {
        if (this.buffer.length < head.length) return;
        head.chunks.push(this.buffer.subarray(0, head.length));
        this.buffer = this.buffer.subarray(head.length);
      }
      this.complete(head.chunks.length === 1 ? head.chunks[0]! : Buffer.concat(head.chunks));
    }
  }

  /** Reads chunks out of the buffer; true once the last chunk and the trailers are in. */
  private readChunks(head: Head): boolean {
    for (;;) {
      const lineEnd = this.buffer.indexOf('\r\n');
      if (lineEnd < 0) return false;
      const size = parseInt(this.buffer.toString('latin1', 0, lineEnd), 16);
      if (!Number.isInteger(size) || size < 0) throw new ConnectionError('The Runtime API sent a malformed chunk.');
      if (size === 0) {
        // Trailers, then an empty line.
        const end = this.buffer.indexOf('\r\n\r\n', lineEnd);
        const bare = this.buffer.indexOf('\r\n', lineEnd + 2) === lineEnd + 2;
        if (bare) {
          this.buffer = this.buffer.subarray(lineEnd + 4);
          return true;
        }
        if (end < 0) return false;
        this.buffer = this.buffer.subarray(end + 4);
        return true;
      }
      if (this.buffer.length < lineEnd + 2 + size + 2) return false;
      head.chunks.push(this.buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
      this.buffer = this.buffer.subarray(lineEnd + 2 + size + 2);
    }
  }

  private complete(body: Buffer): void {
    const head = this.head!;
    this.head = undefined;
    this.answered++;
    const pending = this.queue.shift();
    // Nothing waits on the connection: it must not keep the process alive (callbackWaitsForEmptyEventLoop).
    if (this.queue.length === 0) this.socket?.unref();
    pending?.resolve({ status: head.status, headers: head.headers, body });
  }
}

function parseHead(text: string): Head {
  const lines = text.split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!status) throw new ConnectionError(`The Runtime API answered with "${(lines[0] ?? '').slice(0, 100)}", not an HTTP/1.1 status line.`);
  const headers: IncomingHttpHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    headers[name] = existing === undefined ? value : `${String(existing)}, ${value}`;
  }
  const code = Number(status[1]);
  const encoding = String(headers['transfer-encoding'] ?? '').toLowerCase();
  let length: Head['length'];
  if (code === 204 || code === 304 || (code >= 100 && code < 200)) length = 0;
  else if (encoding.includes('chunked')) length = 'chunked';
  else if (headers['content-length'] !== undefined) length = Number(headers['content-length']);
  else length = 'close';
  if (typeof length === 'number' && !(Number.isInteger(length) && length >= 0))
    throw new ConnectionError(`The Runtime API sent a bad Content-Length: ${String(headers['content-length'])}.`);
  return { status: code, headers, length, chunks: [] };
}

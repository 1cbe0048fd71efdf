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
  /** Every header, names lower-cased and repeated ones joined, as node:http gives them (parsed when first read). */
  readonly headers: IncomingHttpHeaders;
  /** The body, decoded as UTF-8. */
  body: string;
  /** One header by its lower-case name (repeated ones joined with ", "), found without parsing the others. */
  header(name: string): string | undefined;
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
const READ_BUFFER = 64 * 1024;

export class ConnectionError extends Error {
  readonly code: string | undefined;
  constructor(message: string, code?: string) {
    super(message);
    this.name = 'ConnectionError';
    this.code = code;
  }
}

/** Where the Runtime API is: its TCP address, or a Unix socket path (the runner's direct socket). */
export type Target = { host: string; port: number } | { path: string };

export class Connection {
  private socket: Socket | undefined;
  private readonly queue: Pending[] = [];
  /** What is read and not parsed yet: buffer[readPos, readEnd). buffer is readBuffer, or a copy of what a read left over. */
  private buffer: Buffer = EMPTY;
  private readPos = 0;
  private readEnd = 0;
  private head: ResponseHead | undefined;
  private answered = 0;
  /** Requests formatted but not yet written (held). */
  private unsent = '';
  private ended = false;
  private readonly hostHeader: string;
  private readonly target: Target;
  private readonly readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER);

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
    // `onread`: each read lands in this connection's own buffer and goes straight to parse(), without the Readable
    // stream's per-read Buffer, 'data' event and nextTick; the bytes parse() leaves unread are copied out (received()).
    const onread = { buffer: this.readBuffer, callback: (length: number): boolean => this.received(socket, length) };
    const socket: Socket = 'path' in this.target ? connect({ path: this.target.path, onread }) : connect({ ...this.target, noDelay: true, onread });
    this.socket = socket;
    this.unsent = '';
    this.buffer = EMPTY;
    this.readPos = this.readEnd = 0;
    this.head = undefined;
    this.answered = 0;
    socket.on('error', (error: NodeJS.ErrnoException) => this.fail(socket, new ConnectionError(error.message, error.code)));
    socket.on('close', () => {
      // A body without a length ends here.
      if (this.socket === socket && this.head?.length === 'close') this.complete(Buffer.concat(this.head.chunks).toString('utf8'));
      this.fail(socket, new ConnectionError('The Runtime API closed the connection.', 'ECONNRESET'));
    });
    return socket;
  }

  /** `length` bytes arrived in readBuffer. Always true: keep reading. */
  private received(socket: Socket, length: number): boolean {
    if (this.socket !== socket) return true;
    if (this.readPos < this.readEnd) {
      this.buffer = Buffer.concat([this.buffer.subarray(this.readPos, this.readEnd), this.readBuffer.subarray(0, length)]);
      this.readEnd = this.buffer.length;
    } else {
      this.buffer = this.readBuffer;
      this.readEnd = length;
    }
    this.readPos = 0;
    try {
      this.parse();
    } catch (error) {
      this.fail(socket, error as Error);
      socket.destroy();
      return true;
    }
    // The next read overwrites readBuffer: what this one left over is kept in a copy.
    if (this.readPos < this.readEnd && this.buffer === this.readBuffer) {
      this.buffer = Buffer.from(this.buffer.subarray(this.readPos, this.readEnd));
      this.readEnd -= this.readPos;
      this.readPos = 0;
    }
    return true;
  }

  /** Where `text` starts in the unparsed bytes at or after `from`, or -1. */
  private find(text: string, from: number): number {
    const at = this.buffer.indexOf(text, from);
    return at >= 0 && at + text.length <= this.readEnd ? at : -1;
  }

  /** A copy of buffer[from, to): a chunk kept until its body is complete outlives readBuffer's contents. */
  private copy(from: number, to: number): Buffer {
    return Buffer.from(this.buffer.subarray(from, to));
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
    this.readPos = this.readEnd = 0;
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
        const at = this.find('\r\n\r\n', this.readPos);
        if (at < 0) {
          if (this.readEnd - this.readPos > MAX_HEAD) throw new ConnectionError('The Runtime API sent a response head over 64 KiB.');
          return;
        }
        this.head = new ResponseHead(this.buffer.toString('latin1', this.readPos, at));
        this.readPos = at + 4;
      }
      const head = this.head;
      if (head.length === 'close') {
        if (this.readPos < this.readEnd) head.chunks.push(this.copy(this.readPos, this.readEnd));
        this.readPos = this.readEnd;
        return;
      }
      if (head.length === 'chunked') {
        if (!this.readChunks(head)) return;
        this.complete(Buffer.concat(head.chunks).toString('utf8'));
      } else {
        if (this.readEnd - this.readPos < head.length) return;
        const body = this.buffer.toString('utf8', this.readPos, this.readPos + head.length);
        this.readPos += head.length;
        this.complete(body);
      }
    }
  }

  /** Reads chunks out of the buffer; true once the last chunk and the trailers are in. */
  private readChunks(head: ResponseHead): boolean {
    for (;;) {
      const lineEnd = this.find('\r\n', this.readPos);
      if (lineEnd < 0) return false;
      const size = parseInt(this.buffer.toString('latin1', this.readPos, lineEnd), 16);
      if (!Number.isInteger(size) || size < 0) throw new ConnectionError('The Runtime API sent a malformed chunk.');
      if (size === 0) {
        // Trailers, then an empty line.
        if (this.find('\r\n', lineEnd + 2) === lineEnd + 2) {
          this.readPos = lineEnd + 4;
          return true;
        }
        const end = this.find('\r\n\r\n', lineEnd);
        if (end < 0) return false;
        this.readPos = end + 4;
        return true;
      }
      if (this.readEnd < lineEnd + 2 + size + 2) return false;
      head.chunks.push(this.copy(lineEnd + 2, lineEnd + 2 + size));
      this.readPos = lineEnd + 2 + size + 2;
    }
  }

  private complete(body: string): void {
    const head = this.head!;
    this.head = undefined;
    this.answered++;
    const pending = this.queue.shift();
    // Nothing waits on the connection: it must not keep the process alive (callbackWaitsForEmptyEventLoop).
    if (this.queue.length === 0) this.socket?.unref();
    head.body = body;
    pending?.resolve(head);
  }
}

/**
 * A response: its status and how its body ends are read from the head at once; its other headers only when asked
 * for (a 202 is never asked, an event for a few names), which spares a header object and its strings per response.
 */
class ResponseHead implements RawResponse {
  readonly status: number;
  /** Bytes of body (Content-Length), or 'chunked', or 'close' (no length: the body ends with the connection). */
  readonly length: number | 'chunked' | 'close';
  readonly chunks: Buffer[] = [];
  body = '';
  private readonly text: string;
  /** The head lower-cased, to find names in (a latin1 string keeps its length and offsets when lower-cased). */
  private readonly lower: string;
  private parsed: IncomingHttpHeaders | undefined;

  constructor(text: string) {
    // "HTTP/1.x NNN", read by character: no regex match object per response.
    const code = statusCode(text);
    if (code < 0) {
      const line = text.split('\r\n', 1)[0]!;
      throw new ConnectionError(`The Runtime API answered with "${line.slice(0, 100)}", not an HTTP/1.1 status line.`);
    }
    this.text = text;
    this.lower = text.toLowerCase();
    this.status = code;
    const contentLength = this.header('content-length');
    if (code === 204 || code === 304 || (code >= 100 && code < 200)) this.length = 0;
    else if (this.header('transfer-encoding')?.toLowerCase().includes('chunked')) this.length = 'chunked';
    else if (contentLength !== undefined) this.length = Number(contentLength);
    else this.length = 'close';
    if (typeof this.length === 'number' && !(Number.isInteger(this.length) && this.length >= 0))
      throw new ConnectionError(`The Runtime API sent a bad Content-Length: ${contentLength}.`);
  }

  header(name: string): string | undefined {
    let value: string | undefined;
    // A header line starts after a line break (the status line's, for the first one).
    for (let at = this.lower.indexOf(name, 2); at >= 0; at = this.lower.indexOf(name, at + 1)) {
      const colon = at + name.length;
      if (this.lower.charCodeAt(at - 1) !== 10 || this.lower.charCodeAt(at - 2) !== 13 || this.lower.charCodeAt(colon) !== 58) continue;
      let lineEnd = this.text.indexOf('\r\n', colon);
      if (lineEnd < 0) lineEnd = this.text.length;
      const found = this.text.slice(colon + 1, lineEnd).trim();
      value = value === undefined ? found : `${value}, ${found}`;
    }
    return value;
  }

  get headers(): IncomingHttpHeaders {
    this.parsed ??= parseHeaders(this.text);
    return this.parsed;
  }
}

/** The status of an "HTTP/1.0 NNN" or "HTTP/1.1 NNN" status line, or -1. */
function statusCode(text: string): number {
  if (!text.startsWith('HTTP/1.') || (text[7] !== '0' && text[7] !== '1') || text[8] !== ' ') return -1;
  let code = 0;
  for (let i = 9; i < 12; i++) {
    const digit = text.charCodeAt(i) - 48;
    if (!(digit >= 0 && digit <= 9)) return -1;
    code = code * 10 + digit;
  }
  return code;
}

/** Every header of a head, names lower-cased, repeated ones joined with ", " (node:http's form). */
function parseHeaders(text: string): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  // Line by line with indexOf: no array of lines, no regex per line.
  let start = text.indexOf('\r\n') + 2;
  if (start === 1) start = text.length;
  while (start < text.length) {
    let end = text.indexOf('\r\n', start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(':', start);
    if (colon > start && colon < end) {
      const name = text.slice(start, colon).trim().toLowerCase();
      const value = text.slice(colon + 1, end).trim();
      const existing = headers[name];
      headers[name] = existing === undefined ? value : `${String(existing)}, ${value}`;
    }
    start = end + 2;
  }
  return headers;
}

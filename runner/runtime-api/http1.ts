// Reading HTTP/1.1 requests for the Runtime API's own connections (runtime-connection.ts): the request head, and
// chunked bodies. It reads what runtime clients send. A request node:http would answer differently from a plain
// read (HTTP/1.0, Expect, Upgrade, folded or oversized heads, odd framing, bytes a header may not hold) is marked
// not `plain`: on TCP the connection hands it to node:http, so that the edge cases keep node:http's exact answers.

/** node:http's limit on a request head (its default --max-http-header-size). */
export const PLAIN_HEAD_BYTES = 16 * 1024;
/** The most a head may take on a connection without node:http behind it (the direct socket). */
export const MAX_HEAD_BYTES = 64 * 1024;

export interface RequestHead {
  method: string;
  /** The target without its query. */
  path: string;
  /** Names in lower case; the first of repeated names. */
  headers: Map<string, string>;
  /** Content-Length, or chunked. */
  body: number | 'chunked';
  /** The client asked to close the connection after this request. */
  close: boolean;
  /** Read exactly as node:http reads it (else a connection with node:http behind it hands the request over). */
  plain: boolean;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A request head (the text before the empty line), or why it cannot be read. */
export function parseRequestHead(text: string): RequestHead | string {
  const lines = text.split('\r\n');
  const request = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(lines[0] ?? '');
  if (!request) return `"${(lines[0] ?? '').slice(0, 100)}" is not an HTTP/1.1 request line.`;
  const headers = new Map<string, string>();
  let plain = request[3] === '1' && text.length <= PLAIN_HEAD_BYTES && request[2]!.startsWith('/');
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) return `"${line.slice(0, 100)}" is not a header line.`;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (headers.has(name)) {
      if (name === 'content-length' || name === 'transfer-encoding') plain = false;
      continue;
    }
    if (!TOKEN.test(line.slice(0, colon)) || !FIELD_VALUE.test(value)) plain = false;
    headers.set(name, value);
  }
  if (headers.has('expect') || headers.has('upgrade')) plain = false;
  const connection = headers.get('connection')?.toLowerCase();
  if (connection !== undefined && connection !== 'keep-alive' && connection !== 'close') plain = false;
  const encoding = headers.get('transfer-encoding');
  const declared = headers.get('content-length');
  let body: number | 'chunked';
  if (encoding !== undefined) {
    if (encoding.toLowerCase() !== 'chunked' || declared !== undefined) plain = false;
    body = 'chunked';
  } else {
    body = declared === undefined ? 0 : Number(declared);
    if (!/^\d*$/.test(declared ?? '') || !Number.isSafeInteger(body)) return `Content-Length "${declared}" is not a number of bytes.`;
  }
  const target = request[2]!;
  const query = target.indexOf('?');
  return { method: request[1]!, path: query < 0 ? target : target.slice(0, query), headers, body, close: connection === 'close', plain };
}

/** Where a chunked body stands: its data so far (data past the limit is counted, not kept) and the chunk being read. */
export interface ChunkedBody {
  chunks: Buffer[];
  size: number;
  limit: number;
  /** Data bytes of the current chunk still to come. */
  remaining: number;
  /** The current chunk's data is in: its CRLF comes next. */
  afterData: boolean;
}

export function chunkedBody(limit: number): ChunkedBody {
  return { chunks: [], size: 0, limit, remaining: 0, afterData: false };
}

/**
 * Reads chunks from `buffer` into `body`: the bytes it used and whether the body (the last chunk and the trailers)
 * is complete, or a problem if the framing is broken. A chunk's data is taken as it arrives.
 */
export function readChunks(buffer: Buffer, body: ChunkedBody): { used: number; done: boolean } | string {
  let at = 0;
  for (;;) {
    if (body.remaining > 0) {
      const take = Math.min(body.remaining, buffer.length - at);
      if (body.size + take <= body.limit) body.chunks.push(buffer.subarray(at, at + take));
      body.size += take;
      body.remaining -= take;
      at += take;
      if (body.remaining > 0) return { used: at, done: false };
      body.afterData = true;
    }
    if (body.afterData) {
      if (buffer.length - at < 2) return { used: at, done: false };
      if (buffer[at] !== 13 || buffer[at + 1] !== 10) return 'A chunk does not end with CRLF.';
      at += 2;
      body.afterData = false;
    }
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd < 0) return buffer.length - at > 1024 ? 'A chunk size line is over 1 KiB.' : { used: at, done: false };
    const sizeText = buffer.toString('latin1', at, lineEnd);
    const semicolon = sizeText.indexOf(';');
    const hex = (semicolon < 0 ? sizeText : sizeText.slice(0, semicolon)).trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(hex)) return `"${sizeText.slice(0, 40)}" is not a chunk size.`;
    const size = parseInt(hex, 16);
    if (size > 0) {
      body.remaining = size;
      at = lineEnd + 2;
      continue;
    }
    // The last chunk: trailers (dropped: a buffered answer carries nothing in them), then the empty line.
    if (buffer.indexOf('\r\n', lineEnd + 2) === lineEnd + 2) return { used: lineEnd + 4, done: true };
    const end = buffer.indexOf('\r\n\r\n', lineEnd);
    if (end < 0) return buffer.length - lineEnd > PLAIN_HEAD_BYTES ? 'The trailers are over 16 KiB.' : { used: at, done: false };
    return { used: end + 4, done: true };
  }
}

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

/** A request head (the text before the empty line, read as latin1), or why it cannot be read. */
export function parseRequestHead(text: string): RequestHead | string {
  // One pass over the text: each line found by its CRLF, each header's name and value checked a character at a time
  // (this runs for every request of an invoke; a split and two regular expressions per header line cost more).
  let lineEnd = text.indexOf('\r\n');
  if (lineEnd < 0) lineEnd = text.length;
  const requestLine = text.slice(0, lineEnd);
  const request = /^([A-Z]+) (\S+) HTTP\/1\.([01])$/.exec(requestLine);
  if (!request) return `"${requestLine.slice(0, 100)}" is not an HTTP/1.1 request line.`;
  const headers = new Map<string, string>();
  let plain = request[3] === '1' && text.length <= PLAIN_HEAD_BYTES && request[2]!.startsWith('/');
  while (lineEnd < text.length) {
    const start = lineEnd + 2;
    lineEnd = text.indexOf('\r\n', start);
    if (lineEnd < 0) lineEnd = text.length;
    const colon = text.indexOf(':', start);
    if (colon < 0 || colon >= lineEnd || colon === start) return `"${text.slice(start, Math.min(lineEnd, start + 100))}" is not a header line.`;
    const token = isToken(text, start, colon);
    // A token has no white space to trim.
    const name = (token ? text.slice(start, colon) : text.slice(start, colon).trim()).toLowerCase();
    const value = fieldValue(text, colon + 1, lineEnd);
    if (headers.has(name)) {
      if (name === 'content-length' || name === 'transfer-encoding') plain = false;
      continue;
    }
    if (plain && (!token || !isFieldValue(value))) plain = false;
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

/**
 * The header lines of a plain head's text (parseRequestHead's `plain`) as node:http's rawHeaders has them: name as
 * sent, value without the white space around it, in arrival order. Only for plain heads: their names are tokens and
 * their values trim as fieldValue trims them.
 */
export function rawHeadersOf(text: string): string[] {
  const raw: string[] = [];
  let lineEnd = text.indexOf('\r\n');
  while (lineEnd >= 0 && lineEnd < text.length) {
    const start = lineEnd + 2;
    lineEnd = text.indexOf('\r\n', start);
    const end = lineEnd < 0 ? text.length : lineEnd;
    const colon = text.indexOf(':', start);
    if (colon < 0 || colon >= end) break;
    raw.push(text.slice(start, colon), fieldValue(text, colon + 1, end));
  }
  return raw;
}

/** The characters of an HTTP token (RFC 9110: tchar), by character code. */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") TCHAR[c.charCodeAt(0)] = 1;

/** Whether text[start, end) is a token (a header name node:http reads as it is). */
function isToken(text: string, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

/** Whether a (trimmed) value holds only what a field value may: tab, visible ASCII and space, obs-text (0x80-0xff). */
function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 9) || c === 0x7f || c > 0xff) return false;
  }
  return true;
}

/** text[start, end) without the white space around it, as String.prototype.trim takes it off. */
function fieldValue(text: string, start: number, end: number): string {
  while (start < end && (text.charCodeAt(start) === 32 || text.charCodeAt(start) === 9)) start++;
  while (end > start && (text.charCodeAt(end - 1) === 32 || text.charCodeAt(end - 1) === 9)) end--;
  const value = text.slice(start, end);
  // Other white space at either end (a lone CR or LF, VT, FF, NBSP: not plain anyway) goes the way trim() takes it.
  return value.length > 0 && (isOtherSpace(value.charCodeAt(0)) || isOtherSpace(value.charCodeAt(value.length - 1))) ? value.trim() : value;
}

function isOtherSpace(c: number): boolean {
  return (
    (c >= 10 && c <= 13) ||
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
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

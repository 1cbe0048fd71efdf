// Small HTTP helpers shared by the Runtime, Invoke and control APIs.
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { plainReply } from './plain-requests.ts';

/**
 * A failure the caller gets as Lambda's JSON error shape: an HTTP status and an AWS error code
 * (`ResourceNotFoundException`, `InvalidParameterValueException` ...), with a sentence saying what to do.
 * Handlers throw it; the route that owns the response sends it with sendAwsError.
 */
export class AwsError extends Error {
  readonly status: number;
  readonly type: string;
  constructor(status: number, type: string, message: string) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export class BodyTooLargeError extends Error {
  readonly received: number;
  constructor(limit: number, received: number) {
    super(`body exceeds ${limit} bytes`);
    this.received = received;
  }
}

const EMPTY = Buffer.alloc(0);

/** A request header as one string: the first, when a client sent it more than once. */
export function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** A request target split into its path and query, without throwing on anything a client can send. */
export function splitTarget(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? { path: raw, query: new URLSearchParams() } : { path: raw.slice(0, q), query: new URLSearchParams(raw.slice(q + 1)) };
}

/** A percent-encoded path segment, decoded; an AwsError (400) instead of decodeURIComponent's URIError. */
export function decodeSegment(segment: string, what: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new AwsError(
      400,
      'InvalidParameterValueException',
      `The ${what} in the request path, "${segment.slice(0, 200)}", is not valid percent-encoding (a % must be followed by two hex digits of UTF-8). Encode it with encodeURIComponent.`,
    );
  }
}

/** Reads a whole request body (Content-Length or chunked, trailers included) up to `limit` bytes. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) {
    req.resume();
    return Promise.reject(new BodyTooLargeError(limit, declared));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        chunks.length = 0;
        reject(new BodyTooLargeError(limit, size));
        return; // keep draining so the connection stays usable
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (failed) return;
      resolve(chunks.length === 0 ? EMPTY : chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    });
    req.on('error', (err) => {
      if (!failed) reject(err);
    });
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** One page of a Lambda list (`Marker` is the index to start at, `MaxItems` at most `maxItems`), with NextMarker when more follow. */
export function pageOf<T>(query: URLSearchParams, items: T[], key: string, maxItems: number): Record<string, unknown> {
  const start = Number(query.get('Marker') ?? 0) || 0;
  const max = Math.min(maxItems, Math.max(1, Number(query.get('MaxItems') ?? 50) || 50));
  const next = start + max < items.length ? String(start + max) : undefined;
  return { [key]: items.slice(start, start + max), ...(next ? { NextMarker: next } : {}) };
}

/** The AWS JSON error shape of the Lambda service (restJson1): type in a header and in the body. */
export function sendAwsError(res: ServerResponse, status: number, type: string, message: string, extra: Record<string, unknown> = {}): void {
  sendJson(res, status, awsErrorBody(status, type, message, extra), { 'X-Amzn-ErrorType': type, 'X-Amzn-RequestId': crypto.randomUUID() });
}

function awsErrorBody(status: number, type: string, message: string, extra: Record<string, unknown>): Record<string, unknown> {
  return { Type: status >= 500 ? 'Service' : 'User', Message: message, message, __type: type, ...extra };
}

/** sendAwsError's answer as the bytes node:http writes for it on a keep-alive connection (plain-requests.ts). */
export function awsErrorReply(status: number, type: string, message: string, extra: Record<string, unknown> = {}): Buffer {
  const body = Buffer.from(JSON.stringify(awsErrorBody(status, type, message, extra)));
  return plainReply(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nX-Amzn-ErrorType: ${type}\r\nX-Amzn-RequestId: ${crypto.randomUUID()}\r\n`,
    body,
  );
}

/** Runtime API error shape: `{"errorMessage", "errorType"}`. */
export function sendRuntimeError(res: ServerResponse, status: number, errorType: string, errorMessage: string): void {
  sendJson(res, status, { errorMessage, errorType });
}

/** The innermost cause of an outgoing request's failure (fetch and the AWS SDK wrap ECONNREFUSED, ENOTFOUND ... in `cause`). */
export function networkCause(err: unknown): string {
  let at = err as { message?: string; code?: string; cause?: unknown } | undefined;
  while (at?.cause && typeof at.cause === 'object') at = at.cause as typeof at;
  return [at?.code, at?.message].filter(Boolean).join(': ') || String(err);
}

// Response streaming, as Lambda's Node runtime offers it: `awslambda.streamifyResponse(handler)` marks a handler
// that receives a writable `responseStream`; each write goes out at once as an HTTP chunk of a streaming
// `/response` POST, and a failure after the first byte travels as the Lambda-Runtime-Function-Error-* trailers.
import { Writable } from 'node:stream';
import type { ClientRequest } from 'node:http';
import { invalidStreamingOperationError, toRuntimeErrorBody } from './errors.ts';
import { HANDLER_HIGHWATERMARK, HANDLER_STREAMING } from './load-handler.ts';
import type { RuntimeApiClient } from './runtime-api.ts';

const HTTP_INTEGRATION_CONTENT_TYPE = 'application/vnd.awslambda.http-integration-response';
const PRELUDE_DELIMITER_LENGTH = 8;

type WriteRaw = (chunk: string | Uint8Array) => void;

/** Header values may only carry visible ASCII; Lambda escapes DEL the same way. */
function headerSafe(value: string): string {
  return value.replace(/[^\t\x20-\x7e]/g, (c) => encodeURIComponent(c));
}

export class ResponseStream extends Writable {
  /** Set by HttpResponseStream.from: writes the JSON prelude and the NUL delimiter before the body. */
  _onBeforeFirstWrite: ((write: WriteRaw) => void) | undefined;
  /** Settles once the runner has answered the POST (or the request failed): the invocation is then over. */
  readonly done: Promise<void>;
  private readonly req: ClientRequest;
  private started = false;
  private broken = false;

  constructor(api: RuntimeApiClient, requestId: string, highWaterMark: number | undefined) {
    super(highWaterMark === undefined ? { decodeStrings: false } : { decodeStrings: false, highWaterMark });
    let settle!: () => void;
    this.done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    this.req = api.openResponseStream(requestId, (res) => {
      res.on('end', settle);
      res.on('error', settle);
      res.resume();
    });
    this.req.on('error', (error) => {
      this.broken = true;
      settle();
      // The invocation cannot be reported any more; later writes from the handler fail quietly.
      process.stderr.write(`open-runtime: the response stream for request ${requestId} broke: ${error.message}\n`);
      this.destroy();
    });
  }

  setContentType(contentType: string): void {
    if (this.started) throw invalidStreamingOperationError('Cannot set content-type, too late.');
    this.req.setHeader('Content-Type', contentType);
  }

  // Lambda JSON-encodes anything that is not a string or bytes instead of rejecting it.
  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    const data = typeof chunk === 'string' || chunk instanceof Uint8Array ? chunk : JSON.stringify(chunk);
    return (Writable.prototype.write as (this: Writable, c: unknown, e?: unknown, cb?: unknown) => boolean).call(this, data, encoding, callback);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    if (typeof this._onBeforeFirstWrite === 'function') this._onBeforeFirstWrite((chunk) => this.req.write(chunk));
  }

  override _write(chunk: string | Buffer, encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.start();
    // Pass each chunk straight to the socket; only wait for it to flush when the socket is backed up.
    let answered = false;
    const flushed = this.req.write(chunk, encoding, (error) => {
      if (!answered) {
        answered = true;
        callback(error);
      }
    });
    if (flushed && !answered) {
      answered = true;
      callback();
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.start();
    this.req.end(() => callback());
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // destroy(err) from the handler, or from pipeline() when the source fails, is a mid-stream error. It goes to
    // the trailers rather than to an 'error' event nobody may be listening to.
    this.fail(error ?? invalidStreamingOperationError('The response stream was destroyed before it was ended.'));
    callback();
  }

  /** Ends the response with the error in the trailers. Returns false when the response had already ended. */
  fail(error: unknown): boolean {
    if (this.broken || this.req.writableEnded || this.req.destroyed) return false;
    const body = toRuntimeErrorBody(error);
    this.req.addTrailers({
      'Lambda-Runtime-Function-Error-Type': headerSafe(body.errorType),
      'Lambda-Runtime-Function-Error-Body': Buffer.from(JSON.stringify(body)).toString('base64'),
    });
    this.req.end();
    if (!this.destroyed) this.destroy();
    return true;
  }
}

/** `awslambda.HttpResponseStream.from(stream, {statusCode, headers, cookies})`: the Function URL response shape. */
export class HttpResponseStream {
  static from(underlyingStream: ResponseStream, prelude: unknown): ResponseStream {
    underlyingStream.setContentType(HTTP_INTEGRATION_CONTENT_TYPE);
    const metadata = JSON.stringify(prelude);
    underlyingStream._onBeforeFirstWrite = (write) => {
      write(metadata);
      write(new Uint8Array(PRELUDE_DELIMITER_LENGTH));
    };
    return underlyingStream;
  }
}

export function streamifyResponse<T extends (...args: never[]) => unknown>(handler: T, options?: { highWaterMark?: number }): T {
  const marked = handler as unknown as Record<symbol, unknown>;
  marked[HANDLER_STREAMING] = 'response';
  if (typeof options?.highWaterMark === 'number') marked[HANDLER_HIGHWATERMARK] = Math.trunc(options.highWaterMark);
  return handler;
}

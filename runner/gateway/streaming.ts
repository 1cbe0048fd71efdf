// A Function URL with InvokeMode RESPONSE_STREAM answers as Lambda's URL does: the status and headers from the
// function's HTTP-integration prelude (awslambda.HttpResponseStream.from: JSON { statusCode, headers, cookies },
// then 8 NUL bytes) go out as soon as the prelude is complete, then every chunk the function writes, as it writes it
// (Transfer-Encoding: chunked). A stream without a prelude (a handler writing to responseStream directly) is a 200
// with the stream's own Content-Type. It is a StreamListener of the invocation, like the Invoke API's
// InvokeWithResponseStream answer (runner/invoke/invoke-api.ts), so nothing here knows how functions run.
import type { ServerResponse } from 'node:http';
import type { Outcome, StreamListener } from '../environments/invocation.ts';
import { HTTP_INTEGRATION } from '../local-lambda.ts';
import { PRELUDE_SEPARATOR } from '../local-lambda.ts';
import { preludeOf } from './responses.ts';

/** A prelude longer than this is not one: the stream is answered as malformed once it ends. */
const MAX_PRELUDE_BYTES = 64 * 1024;

export class StreamedHttpResponse implements StreamListener {
  private readonly res: ServerResponse;
  private readonly decorate: (headers: [string, string][]) => [string, string][];
  private pending: Buffer = Buffer.alloc(0);
  private awaitingPrelude = false;
  /** The status sent, once the head has gone out. */
  status: number | undefined;
  /** Why the stream could not be sent as HTTP (a malformed prelude); the settled outcome is then answered whole. */
  problem: string | undefined;

  /** `decorate`: what the gateway does to every answer's headers (request id, CORS), applied when the head goes out. */
  constructor(res: ServerResponse, decorate: (headers: [string, string][]) => [string, string][]) {
    this.res = res;
    this.decorate = decorate;
  }

  get sent(): boolean {
    return this.status !== undefined;
  }

  start(contentType: string): void {
    if (contentType === HTTP_INTEGRATION) this.awaitingPrelude = true;
    else this.head(200, [['content-type', contentType]]);
  }

  chunk(data: Buffer): void {
    if (this.problem) return;
    if (!this.awaitingPrelude) {
      if (this.sent && !this.res.destroyed) this.res.write(data);
      return;
    }
    const all = this.pending.length ? Buffer.concat([this.pending, data]) : data;
    const split = all.indexOf(PRELUDE_SEPARATOR);
    if (split < 0) {
      if (all.length > MAX_PRELUDE_BYTES) this.problem = `its stream's prelude is over ${MAX_PRELUDE_BYTES} bytes without the 8 NUL bytes that end it.`;
      this.pending = all;
      return;
    }
    this.awaitingPrelude = false;
    this.pending = Buffer.alloc(0);
    try {
      const { status, headers } = preludeOf(all.subarray(0, split));
      this.head(status, headers);
    } catch (error) {
      this.problem = `its stream's prelude can't be sent: ${(error as Error).message}.`;
      return;
    }
    const rest = all.subarray(split + PRELUDE_SEPARATOR.length);
    if (rest.length && !this.res.destroyed) this.res.write(rest);
  }

  /**
   * Ends a stream whose head went out. A function that fails mid-stream can't change the status any more: the
   * connection is cut without the final chunk, so the client sees a truncated response rather than a complete one.
   */
  end(outcome: Outcome): void {
    if (outcome.ok) this.res.end();
    else this.res.destroy();
  }

  private head(status: number, headers: [string, string][]): void {
    if (this.res.headersSent || this.res.destroyed) return;
    this.res.writeHead(status, this.decorate(headers).flat());
    this.res.flushHeaders();
    this.status = status;
  }
}

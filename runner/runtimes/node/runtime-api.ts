// The HTTP side of the Runtime API 2018-06-01. This is the hot path of every invoke: /next and buffered answers go
// over one pipelined keep-alive connection (connection.ts): the next /next follows an answer without waiting for
// its 202. Streamed answers use node:http (chunked, with trailers) on a socket of their own.
import { Agent, request } from 'node:http';
import type { ClientRequest, IncomingMessage } from 'node:http';
import { Connection, type RawRequest, type RawResponse } from './connection.ts';
import type { RuntimeErrorBody } from './errors.ts';

const PREFIX = '/2018-06-01/runtime';

/** An event from /next: what its headers say (read by name, the others left unparsed) and its body. */
export interface Invocation {
  requestId: string | undefined;
  traceId: string | undefined;
  tenantId: string | undefined;
  deadlineMs: string | undefined;
  clientContext: string | undefined;
  cognitoIdentity: string | undefined;
  invokedFunctionArn: string | undefined;
  body: string;
}

export class RuntimeApiError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RuntimeApiError';
  }
}

function parseAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const port = Number(address.slice(colon + 1));
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new RuntimeApiError(`AWS_LAMBDA_RUNTIME_API is "${address}", which is not HOST:PORT. Start the function through the runner, which sets it.`);
  }
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}

const JSON_HEADERS = 'Content-Type: application/json\r\n';
const NEXT: RawRequest = { method: 'GET', path: `${PREFIX}/invocation/next` };

/** A header value cannot carry a line break (the error type comes from user code). */
function headerSafe(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

export class RuntimeApiClient {
  readonly address: string;
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly connection: Connection;
  /**
   * The /next that follows an answer: 'scheduled' until it goes out, then its response. There is never more than
   * one /next in flight: the pipeline answers in order, and a server answers only the newest /next.
   */
  private following: 'none' | 'scheduled' | Promise<RawResponse> = 'none';
  private stopped = false;
  /**
   * The attempt (Lambda-Runtime-Invocation-Id) of each event in hand, by request id: echoed on its answer so that the
   * runner can refuse the answer of an attempt that timed out (410) rather than take it for a newer one.
   */
  private readonly attempts = new Map<string, string>();

  /**
   * `directSocket`: the runner's Unix socket for /next and buffered answers (cheaper than TCP for both sides);
   * everything still works on `address` alone.
   */
  constructor(address: string, directSocket?: string) {
    this.address = address;
    const { host, port } = parseAddress(address);
    this.host = host;
    this.port = port;
    this.connection = new Connection(directSocket ? { path: directSocket } : { host, port });
    // Streamed responses go through node:http on their own socket; Node unrefs it while idle, so it never keeps
    // the event loop alive (callbackWaitsForEmptyEventLoop depends on that).
    this.agent = new Agent({ keepAlive: true, maxSockets: 1 });
  }

  /** GET /invocation/next: waits (without any timeout) until the runner has an event. */
  async next(): Promise<Invocation> {
    if (this.stopped) throw new RuntimeApiError('The process is exiting.');
    const pending = this.following instanceof Promise ? this.following : this.sendNext();
    this.following = 'none';
    const res = await pending;
    if (res.status !== 200) throw new RuntimeApiError(`GET ${PREFIX}/invocation/next answered ${res.status}.`);
    const attempt = res.header('lambda-runtime-invocation-id');
    const requestId = res.header('lambda-runtime-aws-request-id');
    if (attempt !== undefined && requestId !== undefined) this.attempts.set(requestId, attempt);
    return {
      requestId,
      traceId: res.header('lambda-runtime-trace-id'),
      tenantId: res.header('lambda-runtime-aws-tenant-id'),
      deadlineMs: res.header('lambda-runtime-deadline-ms'),
      clientContext: res.header('lambda-runtime-client-context'),
      cognitoIdentity: res.header('lambda-runtime-cognito-identity'),
      invokedFunctionArn: res.header('lambda-runtime-invoked-function-arn'),
      body: res.body,
    };
  }

  /** POST /invocation/{id}/response. Resolves with the status (202, or 413 when the payload is too large). */
  postResponse(requestId: string, body: string): Promise<number> {
    return this.postThenNext(`${PREFIX}/invocation/${encodeURIComponent(requestId)}/response`, this.answerHeaders(requestId), body);
  }

  postError(requestId: string, error: RuntimeErrorBody): Promise<number> {
    return this.postThenNext(`${PREFIX}/invocation/${encodeURIComponent(requestId)}/error`, this.answerHeaders(requestId), JSON.stringify(error));
  }

  /** The headers of an answer: JSON, and the attempt it answers when the runner named one (its last use). */
  private answerHeaders(requestId: string): string {
    const attempt = this.takeAttempt(requestId);
    return attempt === undefined ? JSON_HEADERS : `${JSON_HEADERS}Lambda-Runtime-Invocation-Id: ${headerSafe(attempt)}\r\n`;
  }

  private takeAttempt(requestId: string): string | undefined {
    const attempt = this.attempts.get(requestId);
    this.attempts.delete(requestId);
    return attempt;
  }

  postInitError(error: RuntimeErrorBody): Promise<number> {
    const headers = `${JSON_HEADERS}Lambda-Runtime-Function-Error-Type: ${headerSafe(error.errorType)}\r\n`;
    return this.connection.request({ method: 'POST', path: `${PREFIX}/init/error`, headers, body: JSON.stringify(error) }).then((res) => res.status);
  }

  /**
   * An invocation's answer, then the request for the next one without waiting for the 202 (HTTP/1.1 pipelining on
   * the one connection; the runner answers in order). Both go out in one write after the callbacks already queued
   * (setImmediate): a handler's last setImmediate that crashes the process stops the /next (stopAsking, which sends
   * the answer alone), so a dying process does not take another event. The runner's direct socket sends the 202 with
   * the next event.
   */
  private postThenNext(path: string, headers: string, body: string): Promise<number> {
    if (this.stopped) return this.connection.request({ method: 'POST', path, headers, body }).then((res) => res.status);
    const posted = this.connection.request({ method: 'POST', path, headers, body }, true);
    this.following = 'scheduled';
    setImmediate(() => {
      // next() may have sent it already (the 202 came first).
      if (this.following === 'scheduled') this.following = this.sendNext();
      this.connection.send();
    });
    return posted.then((res) => res.status);
  }

  private sendNext(): Promise<RawResponse> {
    const sent = this.connection.request(NEXT);
    // A failure is reported by next(), which awaits it.
    sent.catch(() => undefined);
    return sent;
  }

  /**
   * The process is exiting: no more /next. An answer still held goes out alone; a /next already sent is withdrawn by
   * ending the connection, so that the runner sends the 202 it keeps for the next event now.
   */
  stopAsking(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.following === 'scheduled') {
      this.following = 'none';
      this.connection.send();
    } else if (this.following instanceof Promise) {
      this.following = 'none';
      this.connection.end();
    }
  }

  /** The answers posted so far are written out: a process that must exit need not wait for their 202. */
  answersWritten(): boolean {
    return this.connection.written();
  }

  /**
   * The streaming form of /response: chunked, with the error trailers declared up front. Nothing is sent until the
   * first write or end, so the content type can still change until then.
   */
  openResponseStream(requestId: string, onResponse: (res: IncomingMessage) => void): ClientRequest {
    const attempt = this.takeAttempt(requestId);
    return request(
      {
        agent: this.agent,
        host: this.host,
        port: this.port,
        method: 'POST',
        path: `${PREFIX}/invocation/${encodeURIComponent(requestId)}/response`,
        headers: {
          'Lambda-Runtime-Function-Response-Mode': 'streaming',
          'Content-Type': 'application/octet-stream',
          'Transfer-Encoding': 'chunked',
          Trailer: 'Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body',
          ...(attempt === undefined ? {} : { 'Lambda-Runtime-Invocation-Id': attempt }),
        },
      },
      onResponse,
    );
  }
}

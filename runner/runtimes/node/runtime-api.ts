// The HTTP side of the Runtime API 2018-06-01, over one keep-alive connection (as Lambda's own Node client).
// This is the hot path of every invoke: options objects are built once, bodies are sent in one piece with a
// Content-Length, and a POST is considered done as soon as its status line arrives.
import { Agent, request } from 'node:http';
import type { ClientRequest, IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, RequestOptions } from 'node:http';
import type { RuntimeErrorBody } from './errors.ts';

const PREFIX = '/2018-06-01/runtime';

export interface Invocation {
  headers: IncomingHttpHeaders;
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
    throw new RuntimeApiError(
      `AWS_LAMBDA_RUNTIME_API is "${address}", which is not HOST:PORT. Start the function through the runner, which sets it.`,
    );
  }
  return { host: address.slice(0, colon).replace(/^\[|\]$/g, ''), port };
}

const JSON_HEADERS: OutgoingHttpHeaders = { 'Content-Type': 'application/json' };

/** A request that died on a kept-alive socket the server had just closed is safe to send again once. */
function isStaleSocketError(req: ClientRequest, error: NodeJS.ErrnoException): boolean {
  return req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE');
}

export class RuntimeApiClient {
  readonly address: string;
  private readonly agent: Agent;
  private readonly host: string;
  private readonly port: number;
  private readonly nextOptions: RequestOptions;

  constructor(address: string) {
    this.address = address;
    const { host, port } = parseAddress(address);
    this.host = host;
    this.port = port;
    // One socket, reused for every call; Node unrefs it while idle, so it never keeps the event loop alive
    // (callbackWaitsForEmptyEventLoop depends on that).
    this.agent = new Agent({ keepAlive: true, maxSockets: 1 });
    this.nextOptions = { agent: this.agent, host, port, method: 'GET', path: `${PREFIX}/invocation/next` };
  }

  /** GET /invocation/next: waits (without any timeout) until the runner has an event. */
  next(): Promise<Invocation> {
    return new Promise((resolve, reject) => {
      const send = (retried: boolean) => {
        const req = request(this.nextOptions, (res) => {
          if (res.statusCode !== 200) {
            res.resume();
            reject(new RuntimeApiError(`GET ${PREFIX}/invocation/next answered ${res.statusCode}.`));
            return;
          }
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => resolve({ headers: res.headers, body }));
          res.on('error', reject);
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (!retried && isStaleSocketError(req, error)) send(true);
          else reject(error);
        });
        req.end();
      };
      send(false);
    });
  }

  /** POST /invocation/{id}/response. Resolves with the status (202, or 413 when the payload is too large). */
  postResponse(requestId: string, body: string): Promise<number> {
    return this.post(`${PREFIX}/invocation/${encodeURIComponent(requestId)}/response`, JSON_HEADERS, body);
  }

  postError(requestId: string, error: RuntimeErrorBody): Promise<number> {
    return this.post(`${PREFIX}/invocation/${encodeURIComponent(requestId)}/error`, JSON_HEADERS, JSON.stringify(error));
  }

  postInitError(error: RuntimeErrorBody): Promise<number> {
    return this.post(
      `${PREFIX}/init/error`,
      { 'Content-Type': 'application/json', 'Lambda-Runtime-Function-Error-Type': error.errorType },
      JSON.stringify(error),
    );
  }

  /**
   * The streaming form of /response: chunked, with the error trailers declared up front. Nothing is sent until the
   * first write or end, so the content type can still change until then.
   */
  openResponseStream(requestId: string, onResponse: (res: IncomingMessage) => void): ClientRequest {
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
        },
      },
      onResponse,
    );
  }

  private post(path: string, headers: OutgoingHttpHeaders, body: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const send = (retried: boolean) => {
        const req = request({ agent: this.agent, host: this.host, port: this.port, method: 'POST', path, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', (error: NodeJS.ErrnoException) => {
          if (!retried && isStaleSocketError(req, error)) send(true);
          else reject(error);
        });
        req.end(body);
      };
      send(false);
    });
  }
}

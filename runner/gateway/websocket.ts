// WebSocket APIs on the local gateway's port: the upgrade ($connect may refuse it), messages routed to their
// functions, $disconnect, and the @connections management API that handlers call through the AWS SDK
// (`ApiGatewayManagementApiClient` with `endpoint: http://${domainName}/${stage}`). Like the HTTP routes, it is an
// ordinary client of LocalLambda.invoke: the same environments, logs, timeouts and throttling as any invocation.
//
// Who may do what:
//   - Connecting: any Origin, as API Gateway accepts any (unless $connect is AWS_IAM: then only a SigV4-signed
//     upgrade or presigned URL, as the HTTP routes' AWS_IAM, auth/sigv4.ts). Browsers are the real clients of a WebSocket API, from
//     pages on any origin (a local dev server, a file), and API Gateway checks no Origin either: the $connect
//     handler gets the Origin header and may refuse, exactly as on AWS. What the gateway does refuse is a Host that
//     is not a loopback name, so a page using DNS rebinding can't reach it under a name of its own.
//   - @connections: it sends to, reads and closes other people's connections, so a web page must not call it. It
//     takes only what AWS clients send (a SigV4-shaped Authorization header, any credentials) and refuses browsers'
//     requests, with the Invoke API's policy (request-guard.ts).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { isUtf8 } from 'node:buffer';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Outcome } from '../environments/invocation.ts';
import type { FunctionSpec } from '../functions/model.ts';
import { BodyTooLargeError, headerValue, readBody, sendAwsError, sendJson, splitTarget } from '../http-util.ts';
import { TooManyRequestsError, type LocalLambda } from '../local-lambda.ts';
import { isLoopbackHost, judgeRequest } from '../request-guard.ts';
import { withEdgeHeaders } from './events.ts';
import { evaluatePolicy } from './auth/iam-policy.ts';
import type { SignatureVerdict, SignedRequest } from './auth/sigv4.ts';
import { gatewayError } from './responses.ts';
import {
  apiAt,
  connectAuthorizerEvent,
  connectIdentityValues,
  connectRouteArn,
  errorFrame,
  selectRoute,
  webSocketApis,
  webSocketEvent,
  webSocketId,
  type ConnectionFacts,
  type WebSocketApi,
  type WebSocketEventInput,
  type WebSocketRoute,
} from './websocket-routes.ts';

/** API Gateway's limit on a WebSocket message (and on a PostToConnection payload): 128 KB. */
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** API Gateway closes a connection idle for 10 minutes. */
export const DEFAULT_IDLE_TIMEOUT_MS = 10 * 60_000;
/** API Gateway's integration timeout for WebSocket routes. */
const INTEGRATION_TIMEOUT_MS = 29_000;
const NO_ORIGINS: ReadonlySet<string> = new Set();

export interface WebSocketOptions {
  log?: ((line: string) => void) | undefined;
  /** Close a connection after this long without a message either way (10 minutes, as API Gateway). */
  idleTimeoutMs?: number | undefined;
  /** API Gateway's 29 s (tests shorten it). */
  integrationTimeoutMs?: number | undefined;
  /** The gateway's port, for the X-Forwarded-Port header of $connect. */
  port: () => number;
  /** Checks an AWS_IAM $connect's SigV4 signature, as the HTTP gateway checks AWS_IAM routes (auth/authorize.ts). */
  verifySignature?: ((req: SignedRequest) => Promise<SignatureVerdict>) | undefined;
}

interface Connection extends ConnectionFacts {
  socket: WebSocket;
  lastActiveAt: number;
  idle: NodeJS.Timeout | undefined;
  /** Why the gateway closed it (DeleteConnection, idle), for the $disconnect event. */
  closedBy?: { code: number; reason: string };
}

export class WebSocketGateway {
  private apis: WebSocketApi[] = [];
  private readonly connections = new Map<string, Connection>();
  /** The subprotocol each accepted upgrade's $connect answered with (its Sec-WebSocket-Protocol header). */
  private readonly protocols = new WeakMap<IncomingMessage, string>();
  private readonly server: WebSocketServer;
  private readonly lambda: LocalLambda;
  private readonly opts: WebSocketOptions;
  private stopping = false;

  constructor(lambda: LocalLambda, opts: WebSocketOptions) {
    this.lambda = lambda;
    this.opts = opts;
    // maxPayload: a bigger message closes the connection with 1009, as API Gateway does.
    this.server = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (_offered, req) => this.protocols.get(req) ?? false,
    });
  }

  setFunctions(functions: readonly FunctionSpec[]): void {
    const { apis, problems } = webSocketApis(functions);
    this.apis = apis;
    for (const problem of problems) this.opts.log?.(problem);
  }

  list(): readonly WebSocketApi[] {
    return this.apis;
  }

  /** An HTTP upgrade: a WebSocket API's connection, after its $connect route (if any) accepts it. */
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined); // a client that goes away mid-handshake costs its own connection only
    const started = performance.now();
    const { path } = splitTarget(req.url);
    const refuse = (status: number, body: string, why: string) => {
      refuseUpgrade(socket, status, body);
      this.opts.log?.(`WebSocket ${path} -> ${status} (${(performance.now() - started).toFixed(1)} ms): ${why}`);
    };
    const host = req.headers.host;
    if (host !== undefined && !isLoopbackHost(host))
      return refuse(
        403,
        '{"message":"Forbidden"}',
        `refused: it was addressed to "${host.slice(0, 100)}", not 127.0.0.1, localhost or [::1] (what a web page using DNS rebinding sends).`,
      );
    const found = apiAt(this.apis, path);
    if (!found || found.rest !== '') {
      const known = this.apis.length ? `The WebSocket APIs are at ${this.apis.map((a) => a.path).join(', ')}.` : 'The project declares no WebSocket API.';
      return refuse(404, '{"message":"Not Found"}', `no WebSocket API at this path. ${known}`);
    }
    const key = headerValue(req, 'sec-websocket-key');
    if (
      req.method !== 'GET' ||
      headerValue(req, 'upgrade')?.toLowerCase() !== 'websocket' ||
      !key ||
      !/^[+/0-9A-Za-z]{22}==$/.test(key) ||
      !['8', '13'].includes(headerValue(req, 'sec-websocket-version') ?? '')
    ) {
      return refuse(
        400,
        '{"message":"Bad Request"}',
        'not a WebSocket handshake (a GET with Upgrade: websocket, a Sec-WebSocket-Key and Sec-WebSocket-Version 13).',
      );
    }
    const { api } = found;
    const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
    const facts: ConnectionFacts = {
      api,
      connectionId: webSocketId(),
      connectedAt: Date.now(),
      domainName: host ?? `127.0.0.1:${this.opts.port()}`,
      sourceIp,
      userAgent: headerValue(req, 'user-agent'),
    };
    const accept = () => {
      if (socket.destroyed) return;
      this.server.handleUpgrade(req, socket, head, (ws) => this.open(ws, facts));
      this.opts.log?.(`WebSocket ${path} connected ${facts.connectionId} (${(performance.now() - started).toFixed(1)} ms)`);
    };
    const connect = api.routes.get('$connect');
    if (!connect) return accept();
    const rawQuery = req.url && req.url.includes('?') ? req.url.slice(req.url.indexOf('?') + 1) : '';
    const input: WebSocketEventInput = { type: 'CONNECT', rawHeaders: withEdgeHeaders(req.rawHeaders, sourceIp, this.opts.port()), rawQuery };
    const runConnect = () => this.connectRoute(connect.function, facts, input, req, accept, refuse);
    if (connect.iam) {
      // AWS_IAM: the upgrade as the client sent it (its own headers, not the edge's) must be signed, before $connect runs.
      const signed: SignedRequest = { method: req.method ?? 'GET', rawPath: path, rawQuery, rawHeaders: req.rawHeaders, body: undefined };
      const check = this.opts.verifySignature?.(signed) ?? import('./auth/sigv4.ts').then((m) => m.verifySignature(signed, undefined));
      void check.then(
        (verdict) => {
          if (!verdict.ok) {
            const answer = gatewayError(verdict.error, 'http', verdict.problem);
            return refuse(answer.status, answer.body.toString('utf8'), `$connect is AWS_IAM: ${verdict.problem}`);
          }
          facts.iam = verdict.identity;
          runConnect();
        },
        (error: Error) => refuse(500, '{"message":"Internal server error"}', `the signature could not be checked: ${error.message}`),
      );
      return;
    }
    if (!connect.authorizer) return runConnect();
    void this.authorizeConnect(connect.authorizer, facts, input).then((verdict) => {
      if (!verdict.ok) return refuse(verdict.status, JSON.stringify({ message: verdict.message }), verdict.problem);
      facts.authorizer = verdict.authorizer;
      runConnect();
    });
  }

  /**
   * A $connect authorizer's verdict, as API Gateway gives it: 401 for a missing identity source or a thrown
   * "Unauthorized", 403 for a policy that does not allow the $connect route, 500 for a broken authorizer.
   */
  private async authorizeConnect(
    authorizer: NonNullable<WebSocketRoute['authorizer']>,
    facts: ConnectionFacts,
    input: Extract<WebSocketEventInput, { type: 'CONNECT' }>,
  ): Promise<{ ok: true; authorizer: Record<string, unknown> } | { ok: false; status: number; message: string; problem: string }> {
    const who = `${authorizer.function} (authorizer ${authorizer.name})`;
    const requestId = webSocketId();
    const connectEvent = webSocketEvent(facts, input, requestId, Date.now());
    const values = connectIdentityValues(authorizer.identitySources, input.rawHeaders, input.rawQuery, connectEvent.requestContext as Record<string, unknown>);
    if (values.some((v) => v === undefined))
      return {
        ok: false,
        status: 401,
        message: 'Unauthorized',
        problem: `${authorizer.name} needs ${authorizer.identitySources.join(', ')} and the upgrade lacks one, so API Gateway answers 401 without calling ${authorizer.function}.`,
      };
    const methodArn = connectRouteArn(facts.api, process.env.AWS_REGION ?? 'us-east-1');
    const broken = (why: string) => ({ ok: false as const, status: 500, message: 'Internal server error', problem: `${who} ${why}` });
    const started = performance.now();
    let outcome: Outcome;
    try {
      outcome = await this.lambda.invoke(authorizer.function, Buffer.from(JSON.stringify(connectAuthorizerEvent(connectEvent, methodArn)))).settled;
    } catch (error) {
      return broken(`could not run: ${(error as Error).message}`);
    }
    const latency = Math.round(performance.now() - started);
    let answer: Record<string, unknown> | undefined;
    try {
      const value: unknown = JSON.parse(outcome.body.toString('utf8'));
      answer = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
      answer = undefined;
    }
    if (!outcome.ok) {
      if (answer?.errorMessage === 'Unauthorized') return { ok: false, status: 401, message: 'Unauthorized', problem: `${who} answered "Unauthorized".` };
      return broken(`failed with ${outcome.errorType}; API Gateway answers 500. Throw "Unauthorized" for a 401, or return a Deny policy for a 403.`);
    }
    if (!answer) return broken('returned no object; it must return { principalId, policyDocument, context }.');
    const context = answer.context;
    if (context !== undefined && context !== null && (typeof context !== 'object' || Array.isArray(context)))
      return broken('returned a context that is not an object.');
    const bad = Object.entries((context ?? {}) as Record<string, unknown>).find(([, v]) => !['string', 'number', 'boolean'].includes(typeof v));
    if (bad)
      return broken(
        `returned context.${bad[0]} as ${Array.isArray(bad[1]) ? 'an array' : typeof bad[1]}; API Gateway passes only strings, numbers and booleans.`,
      );
    const verdict = evaluatePolicy(answer.policyDocument, methodArn);
    if (verdict === undefined) return broken('returned no valid policyDocument; it must return { principalId, policyDocument, context }.');
    if (verdict !== 'allow')
      return {
        ok: false,
        status: 403,
        message: 'Forbidden',
        problem: `${who}'s policy ${verdict === 'explicit-deny' ? 'denies' : 'does not allow'} ${methodArn}, so the connection is refused.`,
      };
    return {
      ok: true,
      authorizer: {
        ...(context as Record<string, unknown> | undefined),
        ...(typeof answer.principalId === 'string' ? { principalId: answer.principalId } : {}),
        integrationLatency: latency,
      },
    };
  }

  /** The $connect route's function: a 2xx answer accepts the upgrade, anything else refuses it. */
  private connectRoute(
    name: string,
    facts: ConnectionFacts,
    input: WebSocketEventInput,
    req: IncomingMessage,
    accept: () => void,
    refuse: (status: number, body: string, why: string) => void,
  ): void {
    this.invoke(name, facts, input, (result) => {
      if (result.kind !== 'ok')
        return refuse(result.kind === 'timeout' ? 504 : 502, '{"message":"Internal server error"}', `$connect (${name}): ${result.problem}`);
      const response = proxyResponse(result.outcome.body);
      const status = response.statusCode ?? 200;
      if (status < 200 || status > 299)
        return refuse(
          status,
          response.body ?? JSON.stringify({ message: STATUS_CODES[status] ?? 'Refused' }),
          `$connect (${name}) answered ${status}, so the connection is refused.`,
        );
      if (response.protocol) this.protocols.set(req, response.protocol);
      accept();
    });
  }

  /** Whether a path is an API's @connections management API (a connection's id in it), else undefined. */
  manages(path: string): string | undefined {
    const found = apiAt(this.apis, path);
    return found ? /^\/@connections\/([^/]+)$/.exec(found.rest)?.[1] : undefined;
  }

  /** A request to an API's @connections management API; false when the path is not one. */
  manage(req: IncomingMessage, res: ServerResponse, path: string): boolean {
    const id = this.manages(path);
    if (id === undefined) return false;
    const started = performance.now();
    res.on('finish', () => this.opts.log?.(`${req.method} ${path} -> ${res.statusCode} (@connections, ${(performance.now() - started).toFixed(1)} ms)`));
    const verdict = judgeRequest(
      'aws',
      {
        method: req.method,
        host: req.headers.host,
        origin: headerValue(req, 'origin'),
        authorization: headerValue(req, 'authorization'),
        secFetchSite: headerValue(req, 'sec-fetch-site'),
        preflightMethod: headerValue(req, 'access-control-request-method'),
      },
      NO_ORIGINS,
    );
    if (verdict.kind === 'refuse') {
      req.resume();
      sendAwsError(
        res,
        verdict.status,
        verdict.type,
        `${verdict.message} (The @connections API sends to and closes WebSocket connections, so it takes what the AWS SDK's ApiGatewayManagementApiClient sends.)`,
      );
      return true;
    }
    let connectionId: string;
    try {
      connectionId = decodeURIComponent(id);
    } catch {
      connectionId = id;
    }
    const connection = this.connections.get(connectionId);
    const gone = () =>
      sendAwsError(
        res,
        410,
        'GoneException',
        `Connection ${connectionId.slice(0, 100)} is gone: it closed, or never existed on this runner. Remove it from wherever you keep connection ids.`,
      );
    const method = req.method ?? 'GET';
    if (method === 'GET') {
      req.resume();
      if (!connection) return (gone(), true);
      sendJson(res, 200, {
        connectedAt: new Date(connection.connectedAt).toISOString(),
        identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent ?? '' },
        lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
      });
    } else if (method === 'DELETE') {
      req.resume();
      if (!connection) return (gone(), true);
      this.closeConnection(connection, 1000, 'Connection closed by DeleteConnection');
      res.writeHead(204).end();
    } else if (method === 'POST') {
      readBody(req, MAX_MESSAGE_BYTES).then(
        (data) => {
          const current = this.connections.get(connectionId);
          if (!current) return gone();
          this.sendFrame(current, data, !isUtf8(data));
          res.writeHead(200, { 'Content-Length': 0 }).end();
        },
        (error) => {
          if (error instanceof BodyTooLargeError)
            sendAwsError(
              res,
              413,
              'PayloadTooLargeException',
              `The message is over ${MAX_MESSAGE_BYTES} bytes, API Gateway's limit for a WebSocket message. Send it in parts.`,
            );
          else res.destroy();
        },
      );
    } else {
      req.resume();
      sendAwsError(res, 405, 'MethodNotAllowedException', `@connections takes POST (send), GET (describe) and DELETE (close), not ${method.slice(0, 20)}.`);
    }
    return true;
  }

  async close(): Promise<void> {
    this.stopping = true; // no $disconnect can run any more
    for (const connection of this.connections.values()) {
      clearTimeout(connection.idle);
      connection.socket.terminate();
    }
    this.connections.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** A connection $connect accepted: messages go to their routes, and its close to $disconnect. */
  private open(socket: WebSocket, facts: ConnectionFacts): void {
    const connection: Connection = { ...facts, socket, lastActiveAt: Date.now(), idle: undefined };
    this.connections.set(facts.connectionId, connection);
    this.touch(connection);
    socket.on('error', () => undefined); // a frame over the limit or a broken one: ws closes with its code, 'close' follows
    socket.on('message', (data: Buffer, binary: boolean) => this.message(connection, data, binary));
    socket.on('close', (code: number, reason: Buffer) => {
      clearTimeout(connection.idle);
      this.connections.delete(facts.connectionId);
      this.followReload(connection);
      const disconnect = connection.api.routes.get('$disconnect');
      if (!disconnect || this.stopping) return;
      const closed = connection.closedBy ?? {
        code,
        reason: reason.length
          ? reason.toString('utf8')
          : code === 1005
            ? 'Client-side close frame status not set'
            : `Client-side close frame status set to ${code}`,
      };
      this.invoke(disconnect.function, connection, { type: 'DISCONNECT', statusCode: closed.code, reason: closed.reason }, () => undefined);
    });
  }

  private message(connection: Connection, data: Buffer, binary: boolean): void {
    this.touch(connection);
    this.followReload(connection);
    const routeKey = selectRoute(connection.api, binary ? undefined : data.toString('utf8'));
    if (routeKey === undefined) {
      const requestId = webSocketId();
      this.sendFrame(connection, Buffer.from(errorFrame('Forbidden', connection.connectionId, requestId)), false);
      this.opts.log?.(
        `WebSocket ${connection.api.path} ${connection.connectionId}: no route matches the message and the API has no $default route, so API Gateway answers "Forbidden".`,
      );
      return;
    }
    const route = connection.api.routes.get(routeKey)!;
    this.invoke(route.function, connection, { type: 'MESSAGE', routeKey, data, binary }, (result, requestId) => {
      if (result.kind !== 'ok') {
        this.sendFrame(
          connection,
          Buffer.from(errorFrame(result.kind === 'timeout' ? 'Endpoint request timed out' : 'Internal server error', connection.connectionId, requestId)),
          false,
        );
        return;
      }
      if (!route.twoWay) return;
      const reply = replyOf(result.outcome.body);
      if (reply) this.sendFrame(connection, reply.data, reply.binary);
    });
  }

  /** Runs a route's function with its event; `done` gets the outcome, or why there is none. */
  private invoke(name: string, facts: ConnectionFacts, input: WebSocketEventInput, done: (result: InvokeResult, requestId: string) => void): void {
    const requestId = webSocketId();
    const started = performance.now();
    const routeKey = input.type === 'CONNECT' ? '$connect' : input.type === 'DISCONNECT' ? '$disconnect' : input.routeKey;
    const finish = (result: InvokeResult) => {
      this.opts.log?.(
        `WebSocket ${facts.api.path} ${routeKey} ${facts.connectionId} -> ${name} (${(performance.now() - started).toFixed(1)} ms)${result.kind === 'ok' ? '' : `: ${result.problem}`}`,
      );
      done(result, requestId);
    };
    let settled: Promise<Outcome>;
    let debugged = false;
    try {
      const inv = this.lambda.invoke(name, Buffer.from(JSON.stringify(webSocketEvent(facts, input, requestId, Date.now()))));
      settled = inv.settled;
      debugged = inv.debugged;
    } catch (error) {
      const problem =
        error instanceof TooManyRequestsError
          ? `${name} is at its concurrency limit (${error.message}); Lambda throttled the request.`
          : `the runner could not start ${name}: ${(error as Error).message}`;
      return finish({ kind: 'failed', problem });
    }
    let over = false;
    const limit = this.opts.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;
    // Suspended while a debugger holds the function, as for HTTP routes (server.ts).
    const timer = debugged
      ? undefined
      : setTimeout(() => {
          over = true;
          finish({
            kind: 'timeout',
            problem: `${name} did not answer within API Gateway's ${limit / 1000} s integration timeout; it keeps running until its own Timeout.`,
          });
        }, limit);
    void settled.then((outcome) => {
      if (over) return;
      clearTimeout(timer);
      if (outcome.ok) return finish({ kind: 'ok', outcome });
      finish({
        kind: outcome.errorType === 'Sandbox.Timedout' ? 'timeout' : 'failed',
        problem: `${name} failed with ${outcome.errorType} (its log has the details).`,
      });
    });
  }

  /** An open connection takes the routes of its API as the runner last loaded them (a changed template, hot reload). */
  private followReload(connection: Connection): void {
    const current = this.apis.find((a) => a.api === connection.api.api);
    if (current) connection.api = current;
  }

  private sendFrame(connection: Connection, data: Buffer, binary: boolean): void {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    this.touch(connection);
    connection.socket.send(data, { binary }, () => undefined);
  }

  /** Activity either way restarts the idle clock. */
  private touch(connection: Connection): void {
    connection.lastActiveAt = Date.now();
    clearTimeout(connection.idle);
    const limit = this.opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    connection.idle = setTimeout(() => this.closeConnection(connection, 1001, 'Going away'), limit);
    connection.idle.unref();
  }

  private closeConnection(connection: Connection, code: number, reason: string): void {
    connection.closedBy = { code, reason };
    clearTimeout(connection.idle);
    // Gone at once for the management API, as in AWS, while the closing handshake finishes.
    this.connections.delete(connection.connectionId);
    connection.socket.close(code, reason);
  }
}

type InvokeResult = { kind: 'ok'; outcome: Extract<Outcome, { ok: true }> } | { kind: 'failed' | 'timeout'; problem: string };

/** What a Lambda proxy response says that matters to a WebSocket route: status, body, subprotocol. */
function proxyResponse(body: Buffer): { statusCode?: number; body?: string; isBase64Encoded?: boolean; protocol?: string } {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return {};
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return {};
  const record = value as Record<string, unknown>;
  const status = Number(record.statusCode);
  const headers = record.headers && typeof record.headers === 'object' ? (record.headers as Record<string, unknown>) : {};
  const protocol = Object.entries(headers).find(([name]) => name.toLowerCase() === 'sec-websocket-protocol')?.[1];
  return {
    ...(Number.isInteger(status) && status >= 100 && status <= 599 ? { statusCode: status } : {}),
    ...(typeof record.body === 'string' ? { body: record.body } : {}),
    ...(record.isBase64Encoded === true ? { isBase64Encoded: true } : {}),
    ...(typeof protocol === 'string' && /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(protocol) ? { protocol } : {}),
  };
}

/**
 * What a two-way route sends back: the `body` of a proxy response (bytes when isBase64Encoded), or, for a handler
 * that returns something else, that value (a string as it is, anything else as JSON). Nothing for an empty answer.
 */
function replyOf(body: Buffer): { data: Buffer; binary: boolean } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return body.length ? { data: body, binary: false } : undefined;
  }
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'object' && !Array.isArray(value) && ('body' in value || 'statusCode' in value)) {
    const response = proxyResponse(body);
    if (response.body === undefined) return undefined;
    return response.isBase64Encoded ? { data: Buffer.from(response.body, 'base64'), binary: true } : { data: Buffer.from(response.body), binary: false };
  }
  return { data: Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)), binary: false };
}

/** Answers an upgrade request with a plain HTTP error and closes the socket. */
function refuseUpgrade(socket: Duplex, status: number, body: string): void {
  if (socket.destroyed) return;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Refused'}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

// The local HTTP gateway of `open-runtime start`: every HTTP route the project declares (API Gateway REST and
// HTTP APIs, Function URLs), served on its own port (3000 by default, 127.0.0.1 only), so `curl localhost:3000/hello`
// works as with `sam local start-api`. It is an ordinary client of LocalLambda.invoke: the same environments,
// logs, timeouts and throttling as any other invocation, and no second way of running functions.
//
// Unlike the Invoke API it takes unsigned requests and browsers' requests (it serves the user's own API, which a
// page of theirs calls), but only addressed to a loopback name: a web page re-pointing its DNS name at 127.0.0.1
// must not reach it. The route table follows the functions: it is rebuilt whenever the runner reloads them.
// A route's authorizer, AWS_IAM and API key (auth/) are checked before its function is invoked.
// WebSocket APIs share the port, at /<stage> (websocket.ts).
import { randomUUID } from 'node:crypto';
import { createServer, ServerResponse, STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { FunctionSpec } from '../functions/model.ts';
import { BodyTooLargeError, readBody } from '../http-util.ts';
import { setDeadline, type Deadline } from '../environments/deadlines.ts';
import type { Outcome } from '../environments/invocation.ts';
import { FunctionNotFoundError, TooManyRequestsError, type LocalLambda } from '../local-lambda.ts';
import { isLoopbackHost } from '../request-guard.ts';
import { httpEvent, restEvent, withEdgeHeaders, type GatewayRequest } from './events.ts';
import { answerOf, gatewayError, type GatewayAnswer } from './responses.ts';
import { isPreflight, preflightAnswer, withCorsHeaders } from './cors.ts';
import { listRoutes } from './route-list.ts';
import { anyPathCors, matchPath, matchRoute, noRouteKind, routeTable, type Route, type RouteMatch } from './routes.ts';
import { StreamedHttpResponse } from './streaming.ts';
import { applyGrant, GatewayAuth, methodArnOf, type AuthOptions, type AuthOutcome, type AuthRequest, type Grant } from './auth/authorize.ts';
import { WebSocketGateway } from './websocket.ts';
import { acceptPlainAndTls, type LocalCertificate } from './local-tls.ts';
import { keepAliveLines, plainReply, type PlainRoute } from '../plain-requests.ts';
import { rawHeadersOf } from '../runtime-api/http1.ts';
import type { WebSocketApi } from './websocket-routes.ts';

/** node:http's keepAliveTimeout for the gateway's connections (and the plain path's, which answers as node:http). */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** Lambda's synchronous payload limit: a bigger request could never reach the function. */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;
/** API Gateway's integration timeouts. Function URLs have none beyond the function's own. */
const INTEGRATION_TIMEOUT_MS = { rest: 29_000, http: 30_000, url: Infinity } as const;

export interface GatewayOptions {
  port: number;
  /** One line per request and per problem; absent: quiet. */
  log?: (line: string) => void;
  /** API Gateway's integration timeouts, per API kind (tests shorten them). */
  integrationTimeoutMs?: Partial<Record<Route['event']['kind'], number>>;
  /** How routes with authorizers, AWS_IAM or API keys are checked (runner/gateway/auth/); absent: signatures checked, no extra keys, no credentials. */
  auth?: Partial<AuthOptions>;
  /** WebSocket APIs: the idle timeout (10 minutes) and the integration timeout (29 s), as API Gateway's. */
  webSocket?: { idleTimeoutMs?: number; integrationTimeoutMs?: number };
  /** A certificate for HTTPS on the same port (local-tls.ts); absent: plain HTTP only. */
  tls?: Pick<LocalCertificate, 'key' | 'cert'> | undefined;
}

export class Gateway {
  private table: Route[] = [];
  private readonly server: Server;
  private readonly unsubscribe: () => void;
  private readonly lambda: LocalLambda;
  private readonly opts: GatewayOptions;
  private readonly auth: GatewayAuth;
  private readonly webSockets: WebSocketGateway;
  /** Takes the connections: plain HTTP, or TLS when there is a certificate, both handed to `server`. */
  private readonly listener: NetServer;
  /** Plain HTTP connections served without node:http (plainRoute) until they are handed to `server`. */
  private readonly plainConnections = new Set<Socket>();
  port = 0;

  constructor(lambda: LocalLambda, opts: GatewayOptions) {
    this.lambda = lambda;
    this.opts = opts;
    const invokeAuthorizer = (fn: string, payload: Buffer) => this.lambda.invoke(fn, payload).settled;
    this.auth = new GatewayAuth(invokeAuthorizer, { jwt: { verifySignatures: true }, apiKeys: [], ...opts.auth });
    // Only WebSocket handshakes are upgrades: any other Upgrade (curl --http2's h2c) is an ordinary request.
    this.server = createServer(
      { keepAlive: true, noDelay: true, headersTimeout: 60_000, keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS, shouldUpgradeCallback: isWebSocketUpgrade },
      (req, res) => {
        try {
          this.handle(req, res);
        } catch {
          res.destroy(); // a bug of the gateway's own costs this request, not the runner
        }
      },
    );
    this.listener = acceptPlainAndTls(this.server, opts.tls, {
      route: this.plainRoute,
      idleMs: KEEP_ALIVE_TIMEOUT_MS,
      connections: this.plainConnections,
    });
    this.webSockets = new WebSocketGateway(lambda, {
      log: opts.log,
      ...opts.webSocket,
      port: () => this.port,
      verifySignature: (req) => this.auth.verifySignature(req),
    });
    this.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      try {
        if (isWebSocketUpgrade(req)) this.webSockets.upgrade(req, socket, head);
        else this.answerUnupgraded(req, socket, head);
      } catch {
        socket.destroy(); // as for requests: a bug of the gateway's own costs this connection, not the runner
      }
    });
    this.setFunctions(lambda.listFunctions());
    this.unsubscribe = lambda.subscribe(
      (event) => {
        if (event.type === 'functions-changed') this.setFunctions(lambda.listFunctions());
      },
      ['functions-changed'],
    );
  }

  setFunctions(functions: readonly FunctionSpec[]): void {
    this.table = routeTable(functions, this.lambda.notEmulatedRoutes);
    this.auth.clear(); // authorizers may have changed: AWS would have redeployed the API
    this.webSockets.setFunctions(functions);
  }

  webSocketApis(): readonly WebSocketApi[] {
    return this.webSockets.list();
  }

  routes(): readonly Route[] {
    return this.table;
  }

  /** Listens on the port asked for; with `orAnyPort` (the default port, not one the user chose), on a free one if it is taken. */
  async listen(orAnyPort = false): Promise<number> {
    const listenOn = (port: number) =>
      new Promise<void>((resolve, reject) => {
        this.listener.once('error', reject);
        this.listener.listen(port, '127.0.0.1', () => {
          this.listener.off('error', reject);
          // node:http starts its header and request timeouts when it listens; it takes its connections from `listener`.
          this.server.emit('listening');
          resolve();
        });
      });
    try {
      await listenOn(this.opts.port);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      if (!orAnyPort)
        throw new Error(`Port ${this.opts.port} is in use, so the HTTP APIs can't be served there. Choose another with --api-port N (0: any free port).`);
      await listenOn(0);
      this.opts.log?.(
        `port ${this.opts.port} is in use; serving the HTTP APIs on port ${(this.listener.address() as AddressInfo).port} instead (choose one with --api-port N).`,
      );
    }
    this.port = (this.listener.address() as AddressInfo).port;
    return this.port;
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await this.webSockets.close();
    this.server.closeAllConnections();
    for (const socket of this.plainConnections) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.listener.close(() => resolve())),
      new Promise<void>((resolve) => this.server.close(() => resolve())),
    ]);
  }

  /** What answers a request (`deliver`), then logs its line. */
  private finisher(method: string, path: string, deliver: (answer: GatewayAnswer) => void): (answer: GatewayAnswer, target: string) => void {
    const started = performance.now();
    return (answer, target) => {
      deliver(answer);
      this.opts.log?.(
        `${method} ${path} -> ${target} ${answer.status} (${(performance.now() - started).toFixed(1)} ms)${answer.problem ? `: ${answer.problem}` : ''}`,
      );
    };
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const method = req.method ?? 'GET';
    const { path, rawQuery } = splitRawTarget(req.url);
    const finish = this.finisher(method, path, (answer) => {
      try {
        send(res, answer);
      } catch {
        res.destroy(); // nothing a request or a function sends may throw out of here: that would end the runner
      }
    });
    if (req.headers.host !== undefined && !isLoopbackHost(req.headers.host)) {
      req.resume();
      return finish(
        gatewayError(
          'forbiddenHost',
          noRouteKind(this.table),
          `refused: it was addressed to "${req.headers.host.slice(0, 100)}", not 127.0.0.1, localhost or [::1] (what a web page using DNS rebinding sends). Call http://127.0.0.1:${this.port}.`,
        ),
        '(refused)',
      );
    }
    if (this.webSockets.manage(req, res, path)) return;
    if (method === 'OPTIONS') {
      // A CORS preflight the API answers itself (cors.ts), before any route is chosen by method.
      const found = matchPath(this.table, path);
      const route = found?.match.route ?? anyPathCors(this.table);
      const cors = route?.event.cors;
      const corsRequest = { method, origin: req.headers.origin, requestMethod: header(req.headers['access-control-request-method']) };
      if (route && cors && isPreflight(route.event.kind, cors, corsRequest)) {
        req.resume();
        const { status, headers } = preflightAnswer(route.event.kind, cors, corsRequest, found?.methods);
        const preflight = { status, headers, body: Buffer.alloc(0) };
        const authorizer = found?.match.route.event.auth?.preflightAuthorizer;
        if (!found || !authorizer) return finish(preflight, '(CORS preflight)');
        // SAM puts a REST API's DefaultAuthorizer on the OPTIONS method too unless AddDefaultAuthorizerToCorsPreflight
        // is false: a browser's preflight carries no Authorization, so it gets the 401 it gets from AWS.
        const guarded = {
          ...found.match.route,
          event: { ...found.match.route.event, auth: { authorizer, iam: false, apiKeyRequired: false, apiKeys: [], scopes: [] } },
        };
        const request = gatewayRequest(method, rawQuery, req.rawHeaders, EMPTY, sourceIpOf(req.socket), req.headers.host);
        return this.authorize(req, { ...found.match, route: guarded }, request, (outcome) =>
          finish(outcome.ok ? preflight : outcome.answer, `(CORS preflight, authorized by ${authorizer.name})`),
        );
      }
    }
    const match = matchRoute(this.table, method, path);
    if (!match) {
      req.resume();
      const known = this.table.length
        ? `The routes are listed when the runner starts (${this.table.length} of them).`
        : 'The project declares no HTTP routes: add an Api or HttpApi event, or a FunctionUrlConfig, to a function.';
      return finish(gatewayError('noRoute', noRouteKind(this.table), `no route matches. ${known}`), '(no route)');
    }
    const { route } = match;
    const kind = route.event.kind;
    if (route.event.notEmulated) {
      req.resume();
      const answer = {
        status: 501,
        headers: [['content-type', 'application/json']] as [string, string][],
        body: Buffer.from(JSON.stringify({ message: `Not Implemented: ${route.event.notEmulated}` })),
        problem: route.event.notEmulated,
      };
      return finish(answer, '(not emulated)');
    }
    // Most requests (GET, HEAD, DELETE) have no body: they are run now, without waiting for the stream's end.
    if (!hasBody(req)) {
      req.resume();
      return this.run(req, res, EMPTY, match, rawQuery, finish);
    }
    readBody(req, MAX_REQUEST_BYTES).then(
      (body) => this.run(req, res, body, match, rawQuery, finish),
      (error) => {
        if (error instanceof BodyTooLargeError)
          finish(
            gatewayError('tooLarge', kind, `the request body is over ${MAX_REQUEST_BYTES} bytes, Lambda's limit for a synchronous invocation.`),
            route.function,
          );
        else res.destroy(); // the client went away mid-body
      },
    );
  }

  /**
   * The plain path (plain-requests.ts): a whole keep-alive request to a REST API or HTTP API route (payload 1.0 or
   * 2.0) or a BUFFERED Function URL, with no authorization or CORS on its API, and no Origin (no browser's): the same
   * guard, event, invocation, answer and log line as handle() and run(), answered in one write with node:http's bytes.
   * Anything else is left to node:http (false), which answers it as before.
   */
  private readonly plainRoute: PlainRoute = (head, target, body, answer, socket, text) => {
    const h = head.headers;
    const host = h.get('host');
    if (head.method === 'HEAD' || head.method === 'OPTIONS' || h.has('origin') || host === undefined || !isLoopbackHost(host)) return false;
    const path = head.path;
    if (this.webSockets.manages(path) !== undefined) return false;
    const match = matchRoute(this.table, head.method, path);
    const event = match?.route.event;
    if (!match || !event || event.notEmulated || event.auth || event.cors) return false;
    if (event.invokeMode === 'RESPONSE_STREAM' || body.length > MAX_REQUEST_BYTES) return false;
    const { route } = match;
    // Started here, as handle()'s: the log line's time covers the event's building too.
    const finish = this.finisher(head.method, path, (reply) => {
      try {
        answer(plainAnswer(reply));
      } catch {
        socket.destroy();
      }
    });
    let payload: Buffer;
    let request: GatewayRequest;
    try {
      const sourceIp = sourceIpOf(socket);
      // Payload 1.0 keeps the names as sent; 2.0 lower-cases them, as the parsed head has them already.
      let rawHeaders: string[];
      if (event.payloadVersion === '1.0') rawHeaders = rawHeadersOf(text);
      else {
        rawHeaders = [];
        for (const [name, value] of h) rawHeaders.push(name, value);
      }
      const rawQuery = target.length > path.length ? target.slice(path.length + 1) : '';
      request = gatewayRequest(head.method, rawQuery, withEdgeHeaders(rawHeaders, sourceIp, this.port), body, sourceIp, host);
      payload = Buffer.from(JSON.stringify(eventOf(request, match)));
    } catch {
      return false; // node:http's path answers it (a gateway bug there is the request's 500, not the runner's end)
    }
    this.invoke(route, payload, h.get('accept'), undefined, (reply) => {
      reply.headers = decorated(route, undefined, request.requestId, reply.headers);
      finish(reply, route.function);
    });
    return true;
  };

  /**
   * A request with an Upgrade that is not WebSocket, on a Node without shouldUpgradeCallback (before 24.9), which hands
   * it over as an upgrade: answered as the ordinary request it is, with the body bytes that came with its head.
   */
  private answerUnupgraded(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const res = new ServerResponse(req);
    res.shouldKeepAlive = false;
    res.assignSocket(socket as Socket);
    res.on('finish', () => socket.end());
    if (head.length) req.push(head);
    req.push(null);
    this.handle(req, res);
  }

  /** Builds the event and answers with what the invocation gives. */
  private run(
    req: IncomingMessage,
    res: ServerResponse,
    body: Buffer,
    match: RouteMatch,
    rawQuery: string,
    finish: (answer: GatewayAnswer, target: string) => void,
  ): void {
    const { route } = match;
    const kind = route.event.kind;
    try {
      const sourceIp = sourceIpOf(req.socket);
      const request = gatewayRequest(req.method ?? 'GET', rawQuery, withEdgeHeaders(req.rawHeaders, sourceIp, this.port), body, sourceIp, req.headers.host);
      const decorate = (headers: [string, string][]) => decorated(route, req.headers.origin, request.requestId, headers);
      const proceed = (grant: Grant | undefined) => {
        const event = eventOf(request, match);
        if (grant) applyGrant(event, grant);
        const stream = route.event.invokeMode === 'RESPONSE_STREAM' ? new StreamedHttpResponse(res, decorate) : undefined;
        this.invoke(route, Buffer.from(JSON.stringify(event)), req.headers.accept, stream, (answer) => {
          answer.headers = decorate(answer.headers);
          finish(answer, route.function);
        });
      };
      if (!route.event.auth) return proceed(undefined);
      // Authorization first (runner/gateway/auth/): a refusal answers without invoking the function.
      this.authorize(req, match, request, (outcome) => {
        if (outcome.ok) return proceed(outcome.grant);
        outcome.answer.headers = decorate(outcome.answer.headers);
        finish(outcome.answer, `${route.function} (not authorized)`);
      });
    } catch (error) {
      // A bug of the gateway's own must cost this request, not the runner.
      finish(gatewayError('functionError', kind, `the gateway failed on this request: ${(error as Error).message}`), route.function);
    }
  }

  /** Asks the route's authorization; whatever fails in it is API Gateway's 500 for a broken authorizer, never a crash. */
  private authorize(req: IncomingMessage, match: RouteMatch, request: GatewayRequest, then: (outcome: AuthOutcome) => void): void {
    const { route } = match;
    const authRequest: AuthRequest = {
      route,
      match,
      request,
      clientRawHeaders: req.rawHeaders,
      rawPath: splitRawTarget(req.url).path,
      methodArn: methodArnOf(route, request.method, match.path),
      proxyEvent: (format) => (format === '1.0' ? restEvent(request, match) : httpEvent(request, match)),
    };
    // Nothing may throw out of these callbacks: an unhandled rejection would end the runner.
    const settle = (outcome: AuthOutcome) => {
      try {
        then(outcome);
      } catch {
        req.destroy();
      }
    };
    this.auth
      .authorize(authRequest)
      .then(settle, (error: Error) =>
        settle({ ok: false, answer: gatewayError('authorizerError', route.event.kind, `the gateway could not authorize the request: ${error.message}`) }),
      );
  }

  /**
   * Runs the function and answers once: with its response, or with API Gateway's error when it fails or takes too
   * long. With a `stream` (a RESPONSE_STREAM Function URL) the response goes out as the function writes it, and
   * `answer` is only called when nothing could be streamed (a buffered handler, an error before the first byte).
   */
  private invoke(
    route: Route,
    payload: Buffer,
    accept: string | undefined,
    stream: StreamedHttpResponse | undefined,
    answer: (a: GatewayAnswer) => void,
  ): void {
    const kind = route.event.kind;
    let inv;
    try {
      inv = this.lambda.invoke(route.function, payload, { streamListener: stream });
    } catch (error) {
      if (error instanceof TooManyRequestsError)
        return answer(gatewayError('throttled', kind, `${route.function} is at its concurrency limit (${error.message}); Lambda throttled the request.`));
      if (error instanceof FunctionNotFoundError) return answer(gatewayError('functionError', kind, error.message));
      return answer(gatewayError('functionError', kind, `the runner could not start ${route.function}: ${(error as Error).message}`));
    }
    let done = false;
    let deadline: Deadline | undefined;
    const settle = (outcome: Outcome): void => {
      if (done) return;
      done = true;
      deadline?.cancel();
      if (stream?.sent) {
        stream.end(outcome);
        // For the log only: the answer has gone out already, so send() leaves it alone.
        const problem = outcome.ok
          ? undefined
          : `${route.function} failed with ${outcome.errorType} after its streamed response had started, so the stream was cut (its log has the details).`;
        return answer({ status: stream.status!, headers: [], body: Buffer.alloc(0), problem });
      }
      if (stream?.problem) return answer(gatewayError('malformed', kind, `${route.function} returned a response Lambda can't send: ${stream.problem}`));
      answer(answerOf(outcome, route.event, route.function, accept));
    };
    if (inv.outcome) return settle(inv.outcome); // answered already: no deadline to arm
    // Suspended while a debugger holds the function (it waits for one to attach, then stops at breakpoints), as the
    // function's own timeout is: the runner cannot see a breakpoint from here, so a debugged request has none.
    const limit = inv.debugged ? Infinity : (this.opts.integrationTimeoutMs?.[kind] ?? INTEGRATION_TIMEOUT_MS[kind]);
    deadline = Number.isFinite(limit)
      ? setDeadline(limit, () => {
          done = true;
          answer(
            gatewayError(
              'timeout',
              kind,
              `${route.function} did not answer within API Gateway's ${limit / 1000} s integration timeout; it keeps running until its own Timeout.`,
            ),
          );
        })
      : undefined;
    inv.whenSettled(settle);
  }
}

const EMPTY = Buffer.alloc(0);

/** A request target's path and its query as sent (after the "?", '' when none). */
function splitRawTarget(url: string | undefined): { path: string; rawQuery: string } {
  const raw = url ?? '/';
  const q = raw.indexOf('?');
  return q < 0 ? { path: raw, rawQuery: '' } : { path: raw.slice(0, q), rawQuery: raw.slice(q + 1) };
}

/** Whether a request carries a body: HTTP/1.1 says so with Transfer-Encoding or a Content-Length above 0. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function sourceIpOf(socket: Socket): string {
  return socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
}

/** The request as the event builders (events.ts) take it, from either path: a fresh request id and time. */
function gatewayRequest(
  method: string,
  rawQuery: string,
  rawHeaders: readonly string[],
  body: Buffer,
  sourceIp: string,
  host: string | undefined,
): GatewayRequest {
  return { method, rawQuery, rawHeaders, body, sourceIp, domainName: host ?? 'localhost', requestId: randomUUID(), timeEpoch: Date.now() };
}

/** The event a route's function gets: payload 1.0 or 2.0. */
function eventOf(request: GatewayRequest, match: RouteMatch) {
  return match.route.event.payloadVersion === '1.0' ? restEvent(request, match) : httpEvent(request, match);
}

/** An answer's headers with what API Gateway adds: its request id header, and the API's CORS headers for `origin`. */
function decorated(route: Route, origin: string | undefined, requestId: string, headers: [string, string][]): [string, string][] {
  const kind = route.event.kind;
  return withCorsHeaders(kind, route.event.cors, origin, [...headers, kind === 'rest' ? ['x-amzn-RequestId', requestId] : ['apigw-requestid', requestId]]);
}

function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return header(req.headers.upgrade)?.toLowerCase() === 'websocket';
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function send(res: ServerResponse, answer: GatewayAnswer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, sentHeaders(answer).flat());
  res.end(answer.body);
}

/** The headers an answer goes out with: its own, then its Content-Length. */
function sentHeaders(answer: GatewayAnswer): [string, string][] {
  return [...answer.headers, ['content-length', String(answer.body.length)]];
}

const KEEP_ALIVE = keepAliveLines(KEEP_ALIVE_TIMEOUT_MS);

/**
 * send()'s answer as the bytes node:http writes for it on a keep-alive connection: the status line, the headers as
 * given, node:http's Date unless one is among them, its keep-alive lines; no body for 1xx, 204 and 304.
 */
function plainAnswer(answer: GatewayAnswer): Buffer {
  const { status } = answer;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'unknown'}\r\n`;
  let date = false;
  for (const [name, value] of sentHeaders(answer)) {
    head += `${name}: ${value}\r\n`;
    if (name.length === 4 && name.toLowerCase() === 'date') date = true;
  }
  if (!date) head += `Date: ${httpDate()}\r\n`;
  const bodiless = status < 200 || status === 204 || status === 304;
  return plainReply(head, bodiless ? EMPTY : answer.body, KEEP_ALIVE);
}

/** The Date header's value, formatted once a second (node:http caches its own the same way). */
function httpDate(): string {
  const second = Math.floor(Date.now() / 1000);
  if (second !== dateCache.second) dateCache = { second, text: new Date(second * 1000).toUTCString() };
  return dateCache.text;
}
let dateCache = { second: -1, text: '' };

/** The route table as printed when the runner starts: method, URL, function, API kind (route-list.ts). */
export function describeRoutes(routes: readonly Route[], port: number): string {
  const rows = listRoutes(routes, port).map((r) => [
    r.method,
    r.path === '$default' ? `${r.url}* ($default)` : r.kind === 'url' ? `${r.url}*` : r.url,
    r.function,
    r.auth ? `${r.kindLabel}  auth: ${r.auth}` : r.kindLabel,
  ]);
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows.map((row) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i]!) : cell)).join('  ')).join('\n');
}

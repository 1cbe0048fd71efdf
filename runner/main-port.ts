// The runner's main port as the CLI serves it (start, serve, rie): the request guard (request-guard.ts) first,
// then a table of routes, each answering or passing. Here too what keeps a request from taking the runner down:
// nothing a client sends may throw out of a handler (that would end the process), and a body that stops arriving
// gets a 408 after an idle period instead of holding its connection forever. Only main-port routes get that
// timeout: the environments' Runtime APIs share the HTTP server, and a runtime parks on /next (or pauses a
// streamed response) for as long as it likes.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { headerValue, sendAwsError, splitTarget } from './http-util.ts';
import type { LocalLambda } from './local-lambda.ts';
import { corsHeaders, judgeRequest, type Surface } from './request-guard.ts';
import type { PlainRoute } from './plain-requests.ts';

/** Answers the request and returns true, or returns false for the next route. */
export type MainRoute = (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams) => boolean;

export interface MainPortOptions {
  /** Which guard applies to a path. */
  surfaceOf(path: string): Surface;
  routes: readonly MainRoute[];
  allowedOrigins: ReadonlySet<string>;
  /** How long a request body may go without a byte before the runner answers 408. */
  bodyIdleMs: number;
  /** The routes' plain-request forms (plain-requests.ts), tried for requests the guard lets through as they are. */
  plainRoutes?: readonly PlainRoute[];
}

export const DEFAULT_BODY_IDLE_MS = 30_000;

/** The body idle timeout: OPEN_RUNTIME_BODY_IDLE_TIMEOUT_MS, or 30 s. */
export function bodyIdleMsFromEnv(): number {
  const value = Number(process.env.OPEN_RUNTIME_BODY_IDLE_TIMEOUT_MS);
  return Number.isFinite(value) && value > 0 ? value : DEFAULT_BODY_IDLE_MS;
}

export function serveMainPort(lambda: LocalLambda, opts: MainPortOptions): void {
  lambda.routeMain(
    (req, res) => {
      const { path, query } = splitTarget(req.url);
      const h = req.headers;
      const verdict = judgeRequest(
        opts.surfaceOf(path),
        {
          method: req.method,
          host: h.host,
          origin: h.origin,
          authorization: h.authorization,
          secFetchSite: headerValue(req, 'sec-fetch-site'),
          preflightMethod: headerValue(req, 'access-control-request-method'),
        },
        opts.allowedOrigins,
      );
      if (verdict.kind === 'refuse') {
        req.resume();
        return sendAwsError(res, verdict.status, verdict.type, verdict.message);
      }
      if (verdict.kind === 'preflight') {
        req.resume();
        res.writeHead(204, corsHeaders(verdict.corsOrigin, true, headerValue(req, 'access-control-request-headers')));
        return void res.end();
      }
      if (verdict.corsOrigin) for (const [name, value] of Object.entries(corsHeaders(verdict.corsOrigin, false, undefined))) res.setHeader(name, value);
      watchBody(req, res, opts.bodyIdleMs);
      try {
        for (const route of opts.routes) if (route(req, res, path, query)) return;
        req.resume();
        sendAwsError(
          res,
          404,
          'UnknownOperationException',
          `The runner has no ${printable(req.method ?? '')} ${printable(path)}. It serves the Lambda Invoke API (POST /2015-03-31/functions/<name>/invocations)${opts.routes.length > 1 ? ', the local control plane (/2015-03-31/functions) and its control API' : ''}.`,
        );
      } catch (err) {
        // A handler's own bug must cost this request, not the runner.
        if (!res.headersSent) sendAwsError(res, 500, 'ServiceException', `The runner failed on this request: ${(err as Error).message}`);
        else res.destroy();
      }
    },
    opts.plainRoutes?.length ? plainMainRoute(opts, opts.plainRoutes) : undefined,
  );
}

/** The guard, then the plain routes: a request the guard refuses, or answers with CORS headers, is node:http's. */
function plainMainRoute(opts: MainPortOptions, routes: readonly PlainRoute[]): PlainRoute {
  return (head, target, body, answer, socket, text) => {
    const h = head.headers;
    const verdict = judgeRequest(
      opts.surfaceOf(head.path),
      {
        method: head.method,
        host: h.get('host'),
        origin: h.get('origin'),
        authorization: h.get('authorization'),
        secFetchSite: h.get('sec-fetch-site'),
        preflightMethod: h.get('access-control-request-method'),
      },
      opts.allowedOrigins,
    );
    if (verdict.kind !== 'allow' || verdict.corsOrigin) return false;
    try {
      for (const route of routes) if (route(head, target, body, answer, socket, text)) return true;
    } catch {
      // A route's own bug: node:http's route answers the request (its 500 included).
    }
    return false;
  };
}

/**
 * Answers 408 and closes the connection when the request body goes `idleMs` without a byte. The socket's own
 * timeout measures the silence (no timer of our own per chunk); it is switched off again once the body is in.
 */
function watchBody(req: IncomingMessage, res: ServerResponse, idleMs: number): void {
  const onIdle = () => {
    if (req.complete) return;
    if (!res.headersSent) {
      res.setHeader('Connection', 'close');
      sendAwsError(
        res,
        408,
        'RequestTimeoutException',
        `The request body stopped arriving: nothing came for ${idleMs / 1000} s, so the runner gave up on it. Send the whole body (Content-Length bytes, or chunks up to the last one).`,
      );
      res.once('finish', () => req.socket.destroy());
    } else req.socket.destroy();
  };
  const done = () => {
    req.removeListener('timeout', onIdle);
    req.socket?.setTimeout(0);
  };
  req.setTimeout(idleMs, onIdle);
  req.once('end', done);
  req.once('close', done);
}

function printable(value: string): string {
  return value.slice(0, 200).replace(/[^\x20-\x7e]/g, '?');
}

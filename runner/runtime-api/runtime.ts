// Runtime API 2018-06-01, Extensions API and Telemetry API routes of one execution environment's address, as a table.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { BodyTooLargeError, headerValue, readBody, sendJson, sendRuntimeError } from '../http-util.ts';
import type { ServedEnvironment } from './served-environment.ts';
import { errorOutcome, Invocation } from '../environments/invocation.ts';
import { FUNCTION_RESPONSE_SIZE_TOO_LARGE, RUNTIME_INIT_ERROR, RUNTIME_UNKNOWN } from '../lambda-errors.ts';

/** 6 MiB + 100 bytes: the largest buffered response Lambda accepts from a runtime. */
export const MAX_RESPONSE_BYTES = 6_291_556;
/** Streamed responses may go up to 20 MiB (Lambda's soft limit). */
export const MAX_STREAMED_BYTES = 20 * 1024 * 1024;
export const MAX_ERROR_BYTES = 1024 * 1024;

const RUNTIME = '/2018-06-01/runtime/';
const INVOCATION = `${RUNTIME}invocation/`;
export const NEXT_PATH = `${INVOCATION}next`;
export const INIT_ERROR_PATH = '/2018-06-01/runtime/init/error';
const EXTENSION = '/2020-01-01/extension';
const TELEMETRY = '/2022-07-01/telemetry';

const ACCEPTED = Buffer.from('{"status":"OK"}');

function accepted(res: ServerResponse): void {
  res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': ACCEPTED.length });
  res.end(ACCEPTED);
}

/** One route: the method, the path (exact, or a test), and its handler, which gets the path without its query. */
interface Route {
  method: 'GET' | 'POST' | 'PUT' | '*';
  path: string | ((path: string) => boolean);
  handle(env: ServedEnvironment, req: IncomingMessage, res: ServerResponse, path: string): void;
}

/**
 * Every route of an environment's address, one line each (as the AWS RIE's route table). A path that matches with
 * another method is 405; no path, 404. The Extensions API dispatches its own routes (extensions.ts).
 */
const ROUTES: Route[] = [
  { method: 'GET', path: NEXT_PATH, handle: nextInvocation },
  { method: 'POST', path: (path) => answerRoute(path) !== undefined, handle: postAnswer },
  { method: 'POST', path: INIT_ERROR_PATH, handle: postInitError },
  { method: '*', path: (path) => path.startsWith(EXTENSION), handle: extensionsApi },
  { method: '*', path: (path) => path === TELEMETRY || path === `${TELEMETRY}/`, handle: telemetryApi },
];

/** Whether a request target is one of the Runtime, Extensions or Telemetry APIs' (which share the runner's main port). */
export function isRuntimeApiPath(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith(RUNTIME) || url.startsWith(EXTENSION) || url.startsWith(TELEMETRY));
}

export function handleEnvironmentRequest(env: ServedEnvironment, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
  let allowed: string | undefined;
  for (const route of ROUTES) {
    if (typeof route.path === 'string' ? route.path !== path : !route.path(path)) continue;
    if (route.method === '*' || route.method === req.method) return route.handle(env, req, res, path);
    allowed = route.method;
  }
  req.resume();
  if (allowed) return sendRuntimeError(res, 405, 'MethodNotAllowed', `Use ${allowed} for ${path}.`);
  sendRuntimeError(res, 404, 'NotFound', `No such route on the Runtime API: ${req.method} ${path}`);
}

/** GET /runtime/invocation/next: parks until the environment has an event for the runtime. */
function nextInvocation(env: ServedEnvironment, req: IncomingMessage, res: ServerResponse): void {
  // The body of a GET is ignored, but it must be drained for the connection to be reused.
  req.resume();
  env.onNext({
    send(headers, payload) {
      res.writeHead(200, headers);
      res.end(payload);
    },
    onGone: (callback) => res.once('close', callback),
    unread: watchResets(req.socket),
    destroy: () => res.destroy(),
  });
}

/** POST /runtime/invocation/{id}/response and /error. */
function postAnswer(env: ServedEnvironment, req: IncomingMessage, res: ServerResponse, path: string): void {
  const { requestId, action } = answerRoute(path)!;
  void answerInvocation(env, req, res, requestId, action).catch((err) => failRequest(res, err));
}

/** POST /runtime/init/error: only during init (lifecycle.ts); 403 InvalidStateTransition after. */
function postInitError(env: ServedEnvironment, req: IncomingMessage, res: ServerResponse): void {
  void readBody(req, MAX_ERROR_BYTES)
    .then((body) => {
      if (!env.acceptsInitError()) {
        const late = lateInitError();
        return sendRuntimeError(res, late.status, late.errorType, late.errorMessage);
      }
      accepted(res);
      env.initFailed(headerValue(req, 'lambda-runtime-function-error-type') ?? RUNTIME_INIT_ERROR, body);
    })
    .catch((err) => failRequest(res, err));
}

function extensionsApi(env: ServedEnvironment, req: IncomingMessage, res: ServerResponse, path: string): void {
  void env.extensions.handle(req, res, path.slice(EXTENSION.length)).catch((err) => failRequest(res, err));
}

function telemetryApi(env: ServedEnvironment, req: IncomingMessage, res: ServerResponse): void {
  const id = headerValue(req, 'lambda-extension-identifier');
  void env.telemetry.handle(req, res, id, env.extensions.count > 0 && id !== undefined).catch((err) => failRequest(res, err));
}

const resetSockets = new WeakSet<Socket>();
const watchedSockets = new WeakSet<Socket>();

/**
 * Whether the runtime closed `socket` with bytes it never read (ECONNRESET) or before they could be written (EPIPE);
 * one listener per connection.
 */
function watchResets(socket: Socket): () => boolean {
  if (!watchedSockets.has(socket)) {
    watchedSockets.add(socket);
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resetSockets.add(socket);
    });
  }
  return () => resetSockets.has(socket);
}

/**
 * `/invocation/{id}/response` or `/invocation/{id}/error`: the request id and the action. The id is percent-decoded;
 * one with a broken escape stays as sent (and is then unknown: 400).
 */
export function answerRoute(path: string): { requestId: string; action: 'response' | 'error' } | undefined {
  if (!path.startsWith(INVOCATION)) return undefined;
  const rest = path.slice(INVOCATION.length);
  const slash = rest.indexOf('/');
  const action = rest.slice(slash + 1);
  if (slash <= 0 || (action !== 'response' && action !== 'error')) return undefined;
  const id = rest.slice(0, slash);
  if (!id.includes('%')) return { requestId: id, action };
  try {
    return { requestId: decodeURIComponent(id), action };
  } catch {
    return { requestId: id, action };
  }
}

async function answerInvocation(
  env: ServedEnvironment,
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  action: 'response' | 'error',
): Promise<void> {
  const inv = claimAnswer(env, requestId, action, headerValue(req, 'lambda-runtime-invocation-id'));
  if (!(inv instanceof Invocation)) {
    req.resume();
    return sendRuntimeError(res, inv.status, inv.errorType, inv.errorMessage);
  }
  if (action === 'response' && streamsResponse(inv, headerValue(req, 'lambda-runtime-function-response-mode'), headerValue(req, 'transfer-encoding')))
    return answerStream(env, inv, req, res);
  const limit = action === 'error' ? MAX_ERROR_BYTES : MAX_RESPONSE_BYTES;
  let body: Buffer | BodyTooLargeError;
  try {
    body = await readBody(req, limit);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    body = err;
  }
  const reply = settleAnswer(env, inv, action, body, (name) => headerValue(req, name));
  if (reply) return sendRuntimeError(res, reply.status, reply.errorType, reply.errorMessage);
  accepted(res);
}

/**
 * Whether a `/response` reaches its caller as it arrives. Declared (Lambda-Runtime-Function-Response-Mode: streaming),
 * or, as Lambda does, any chunked body when the caller takes a stream: aws-lambda-go sends every answer chunked and
 * declares nothing, and its lambdaurl handlers stream to InvokeWithResponseStream callers and RESPONSE_STREAM URLs all
 * the same. A buffered caller gets a chunked body whole.
 */
export function streamsResponse(inv: Invocation, mode: string | undefined, transferEncoding: string | undefined): boolean {
  if (mode?.toLowerCase() === 'streaming') return true;
  return inv.callerStreams && transferEncoding !== undefined && transferEncoding.toLowerCase().includes('chunked');
}

/** A Runtime API error reply: status and the `{errorType, errorMessage}` body. */
export interface RuntimeErrorReply {
  status: number;
  errorType: string;
  errorMessage: string;
}

/** The reply to a /runtime/init/error once init is over (as the RIE's): refused, and nothing changes. */
export function lateInitError(): RuntimeErrorReply {
  return {
    status: 403,
    errorType: 'InvalidStateTransition',
    errorMessage:
      "Transition from READY to INIT_ERROR is not allowed: the runtime finished its init (it asked for an event), so /runtime/init/error no longer applies. Report an invocation's failure with /runtime/invocation/{id}/error.",
  };
}

/**
 * The invocation a POST answers, or the reply when it cannot be answered (400 unknown id, 403 second answer). A
 * claimed invocation counts as answered from here on.
 */
export function claimAnswer(
  env: ServedEnvironment,
  requestId: string,
  action: 'response' | 'error',
  invocationId?: string,
  /**
   * The same request's claim made earlier (to read its head), while its body came in: still the answer if nothing has
   * settled or answered the invocation since (an environment's invocation changes only that way while its runtime runs).
   */
  earlier?: Invocation,
): Invocation | RuntimeErrorReply {
  const claimed = earlier && !earlier.done && !earlier.answered ? earlier : env.claim(requestId, invocationId);
  // An attempt that timed out (its runtime was still running): the caller already has Sandbox.Timedout.
  if (claimed === 'timed-out')
    return {
      status: 410,
      errorType: 'ErrorRuntimeInvokeTimeout',
      errorMessage: `Invocation ${requestId} (attempt ${invocationId}) timed out: its caller already has the timeout error, so this ${action} is not accepted. Take the next event with /runtime/invocation/next.`,
    };
  if (claimed === 'unknown') return { status: 400, errorType: 'InvalidRequestID', errorMessage: `Invalid request ID: ${requestId}` };
  // Every environment shares the runner's port: a process of one must not settle another's invocation.
  if (claimed === 'foreign')
    return {
      status: 403,
      errorType: 'AccessDenied',
      errorMessage: `Invocation ${requestId} belongs to another execution environment: a runtime answers only the events its own /next gave it.`,
    };
  if (claimed === 'answered') {
    return {
      status: 403,
      errorType: 'InvalidStateTransition',
      errorMessage: `Transition from RUNNING to ${action.toUpperCase()} is not allowed: invocation ${requestId} already has an answer.`,
    };
  }
  claimed.answered = true;
  return claimed;
}

/**
 * The runtime's reply to a buffered answer when it is refused (a response over the limit: 413), or undefined when it
 * is accepted (202). Known before the answer is settled: the direct socket writes its 202 before the caller's answer.
 */
export function refusedAnswer(action: 'response' | 'error', body: Buffer | BodyTooLargeError): RuntimeErrorReply | undefined {
  if (action !== 'response' || !(body instanceof BodyTooLargeError)) return undefined;
  return {
    status: 413,
    errorType: 'RequestEntityTooLarge',
    errorMessage: `Response payload size (${body.received} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`,
  };
}

/**
 * A buffered answer (a response, or an error) of a claimed invocation, whatever carried it: the caller gets its
 * outcome. Returns the error reply for the runtime (refusedAnswer's), or undefined for 202.
 */
export function settleAnswer(
  env: ServedEnvironment,
  inv: Invocation,
  action: 'response' | 'error',
  body: Buffer | BodyTooLargeError,
  header: (name: string) => string | undefined,
): RuntimeErrorReply | undefined {
  if (action === 'error') {
    if (body instanceof BodyTooLargeError)
      body = Buffer.from(JSON.stringify({ errorType: RUNTIME_UNKNOWN, errorMessage: 'The error body was larger than 1 MB.' }));
    // Lambda-Runtime-Function-Error-Type is optional: most clients put the type only in the body.
    let errorType = header('lambda-runtime-function-error-type');
    try {
      const parsed = JSON.parse(body.toString('utf8')) as { errorType?: unknown };
      if (typeof parsed.errorType === 'string' && parsed.errorType) errorType = parsed.errorType;
    } catch {
      body = Buffer.from(JSON.stringify({ errorType: errorType ?? RUNTIME_UNKNOWN, errorMessage: body.toString('utf8') }));
    }
    env.answer(inv, { ok: false, errorType: errorType ?? 'Unhandled', body, streamed: false });
    return undefined;
  }
  if (body instanceof BodyTooLargeError) {
    env.answer(
      inv,
      errorOutcome(FUNCTION_RESPONSE_SIZE_TOO_LARGE, `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`),
    );
    return refusedAnswer(action, body);
  }
  env.answer(inv, { ok: true, body, streamed: false, contentType: header('content-type') ?? 'application/json' });
  return undefined;
}

/** A streamed response: chunks reach the caller as they arrive; a mid-stream error comes in the trailers. */
function answerStream(env: ServedEnvironment, inv: Invocation, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const contentType = headerValue(req, 'content-type') ?? 'application/octet-stream';
  inv.streamListener?.start(contentType);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  return new Promise((resolve, reject) => {
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_STREAMED_BYTES) {
        tooLarge = true;
        return;
      }
      chunks.push(chunk);
      inv.streamListener?.chunk(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      const errorType = req.trailers['lambda-runtime-function-error-type'];
      const errorBody = req.trailers['lambda-runtime-function-error-body'];
      if (tooLarge) {
        env.answer(inv, {
          ...errorOutcome(FUNCTION_RESPONSE_SIZE_TOO_LARGE, `Response payload size exceeded maximum allowed payload size (${MAX_STREAMED_BYTES} bytes).`),
          streamed: true,
        });
      } else if (errorType) {
        let body = Buffer.from(errorBody ?? '', 'base64');
        if (body.length === 0) body = Buffer.from(JSON.stringify({ errorType, errorMessage: 'The function failed while streaming its response.' }));
        env.answer(inv, { ok: false, errorType, body, streamed: true });
      } else {
        env.answer(inv, { ok: true, body: Buffer.concat(chunks, size), streamed: true, contentType });
      }
      accepted(res);
      resolve();
    });
  });
}

function failRequest(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (err instanceof BodyTooLargeError) return sendRuntimeError(res, 413, 'RequestEntityTooLarge', err.message);
  sendJson(res, 500, { errorType: 'ServiceException', errorMessage: `Runner error: ${(err as Error).message}` });
}

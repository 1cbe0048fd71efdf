// Runtime API 2018-06-01, Extensions API and Telemetry API routes of one execution environment's address.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, headerValue, readBody, sendJson, sendRuntimeError } from '../http-util.ts';
import type { Environment } from '../environments/environment.ts';
import { errorOutcome, type Invocation } from '../environments/invocation.ts';

/** 6 MiB + 100 bytes: the largest buffered response Lambda accepts from a runtime. */
export const MAX_RESPONSE_BYTES = 6_291_556;
/** Streamed responses may go up to 20 MiB (Lambda's soft limit). */
export const MAX_STREAMED_BYTES = 20 * 1024 * 1024;
const MAX_ERROR_BYTES = 1024 * 1024;

const RUNTIME = '/2018-06-01/runtime/';
const INVOCATION = '/2018-06-01/runtime/invocation/';
const EXTENSION = '/2020-01-01/extension';
const TELEMETRY = '/2022-07-01/telemetry';

const ACCEPTED = Buffer.from('{"status":"OK"}');

function accepted(res: ServerResponse): void {
  res.writeHead(202, { 'Content-Type': 'application/json', 'Content-Length': ACCEPTED.length });
  res.end(ACCEPTED);
}

export function handleEnvironmentRequest(env: Environment, req: IncomingMessage, res: ServerResponse): void {
  const url = req.url ?? '/';
  const path = url.includes('?') ? url.slice(0, url.indexOf('?')) : url;
  if (path.startsWith(INVOCATION)) {
    const rest = path.slice(INVOCATION.length);
    if (rest === 'next') {
      if (req.method !== 'GET') return sendRuntimeError(res, 405, 'MethodNotAllowed', 'Use GET for /runtime/invocation/next.');
      // The body of a GET is ignored, but it must be drained for the connection to be reused.
      req.resume();
      return env.onNext(res);
    }
    const slash = rest.indexOf('/');
    const requestId = decodeURIComponent(rest.slice(0, slash));
    const action = rest.slice(slash + 1);
    if (req.method === 'POST' && slash > 0 && (action === 'response' || action === 'error')) {
      void answerInvocation(env, req, res, requestId, action).catch((err) => failRequest(res, err));
      return;
    }
  } else if (path === `${RUNTIME}init/error` && req.method === 'POST') {
    void readBody(req, MAX_ERROR_BYTES)
      .then((body) => {
        accepted(res);
        env.initFailed(headerValue(req, 'lambda-runtime-function-error-type') ?? 'Runtime.InitError', body);
      })
      .catch((err) => failRequest(res, err));
    return;
  } else if (path.startsWith(EXTENSION)) {
    void env.extensions.handle(req, res, path.slice(EXTENSION.length)).catch((err) => failRequest(res, err));
    return;
  } else if (path === TELEMETRY || path === `${TELEMETRY}/`) {
    const id = headerValue(req, 'lambda-extension-identifier');
    void env.telemetry.handle(req, res, id, env.extensions.count > 0 && id !== undefined).catch((err) => failRequest(res, err));
    return;
  }
  req.resume();
  sendRuntimeError(res, 404, 'NotFound', `No such route on the Runtime API: ${req.method} ${path}`);
}

async function answerInvocation(env: Environment, req: IncomingMessage, res: ServerResponse, requestId: string, action: 'response' | 'error'): Promise<void> {
  const claimed = env.claim(requestId);
  if (claimed === 'unknown') {
    req.resume();
    return sendRuntimeError(res, 400, 'InvalidRequestID', `Invalid request ID: ${requestId}`);
  }
  if (claimed === 'answered') {
    req.resume();
    return sendRuntimeError(res, 403, 'InvalidStateTransition', `Transition from RUNNING to ${action.toUpperCase()} is not allowed: invocation ${requestId} already has an answer.`);
  }
  const inv = claimed;
  inv.answered = true;
  if (action === 'error') return answerError(env, inv, req, res);
  if (headerValue(req, 'lambda-runtime-function-response-mode')?.toLowerCase() === 'streaming') return answerStream(env, inv, req, res);
  let body: Buffer;
  try {
    body = await readBody(req, MAX_RESPONSE_BYTES);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    sendRuntimeError(res, 413, 'RequestEntityTooLarge', `Response payload size (${err.received} bytes) exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`);
    env.answer(inv, errorOutcome('Function.ResponseSizeTooLarge', `Response payload size exceeded maximum allowed payload size (${MAX_RESPONSE_BYTES} bytes).`));
    return;
  }
  env.answer(inv, { ok: true, body, streamed: false, contentType: headerValue(req, 'content-type') ?? 'application/json' });
  accepted(res);
}

async function answerError(env: Environment, inv: Invocation, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let body = await readBody(req, MAX_ERROR_BYTES).catch((err) => {
    if (err instanceof BodyTooLargeError) return Buffer.from(JSON.stringify({ errorType: 'Runtime.Unknown', errorMessage: 'The error body was larger than 1 MB.' }));
    throw err;
  });
  // Lambda-Runtime-Function-Error-Type is optional: most clients put the type only in the body.
  let errorType = headerValue(req, 'lambda-runtime-function-error-type');
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errorType?: unknown };
    if (typeof parsed.errorType === 'string' && parsed.errorType) errorType = parsed.errorType;
  } catch {
    body = Buffer.from(JSON.stringify({ errorType: errorType ?? 'Runtime.Unknown', errorMessage: body.toString('utf8') }));
  }
  env.answer(inv, { ok: false, errorType: errorType ?? 'Unhandled', body, streamed: false });
  accepted(res);
}

/** A streamed response: chunks reach the caller as they arrive; a mid-stream error comes in the trailers. */
function answerStream(env: Environment, inv: Invocation, req: IncomingMessage, res: ServerResponse): Promise<void> {
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
        env.answer(inv, { ...errorOutcome('Function.ResponseSizeTooLarge', `Response payload size exceeded maximum allowed payload size (${MAX_STREAMED_BYTES} bytes).`), streamed: true });
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

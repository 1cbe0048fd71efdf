// The control API the extension uses (routes and types in protocol.ts), on the main port, behind the
// per-session token.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { z } from 'zod';
import { AwsError, BodyTooLargeError, readBody, sendJson } from './http-util.ts';
import { durableOf } from './durable/orchestrator.ts';
import { FunctionNotFoundError, invokeResult, InvalidParameterValueError, TooManyRequestsError, type LocalLambda } from './local-lambda.ts';
import {
  CallbackCompletion,
  CONTROL_PREFIX,
  DebugModeRequest,
  DebugPrepareRequest,
  InferRequest,
  InvokeRequest,
  type ComponentInterface,
  type ControlError,
  type KeyValueListing,
  type FunctionList,
  type RouteList,
  type RunnerEvent,
  type RunnerStatus,
} from './protocol.ts';
import type { DebuggerLanguage, FunctionSpec } from './functions/model.ts';
import { debuggerLanguage, notDebuggable } from './runtimes/go-debug.ts';

export interface ControlOptions {
  token: string;
  /** The HTTP gateway's port, once it listens (GET /status reports it). */
  apiPort?: () => number | undefined;
  /** GET /routes: the HTTP gateway's route table (runner/gateway/route-list.ts); none when there is no gateway. */
  routes?: () => RouteList;
  /** The ALB listeners and their ports. */
  loadBalancers?: () => { listener: string; port: number }[];
  /** Re-reads the workspace's templates. */
  reload(): Promise<void>;
  infer(file: string, exportName: string | undefined): FunctionSpec;
  /** POST /chains: the middleware chains of a file (ChainRequest -> ChainReport). */
  chains(body: unknown): Promise<unknown>;
  /** POST /component-interface {file}: the WIT world of a .wasm component and who serves its capabilities. */
  componentInterface(file: string): Promise<ComponentInterface>;
  /** POST /keyvalue {store?}: the project's built-in key-value stores, or one store's entries. */
  keyValue?(store: string | undefined): Promise<KeyValueListing>;
  shutdown(): void;
}

export function handleControlApi(lambda: LocalLambda, opts: ControlOptions, req: IncomingMessage, res: ServerResponse, path: string): boolean {
  if (!path.startsWith(CONTROL_PREFIX)) return false;
  if (!authorized(req, opts.token)) {
    req.resume();
    sendControlError(res, 401, {
      errorType: 'Unauthorized',
      message: "Missing or wrong control token: send Authorization: Bearer <token>, the token written to the runner's stdin when it started.",
    });
    return true;
  }
  const route = `${req.method} ${path.slice(CONTROL_PREFIX.length)}`;
  void routeControl(lambda, opts, req, res, route).catch((err) => {
    if (res.headersSent) return void res.destroy();
    if (err instanceof BodyTooLargeError)
      return sendControlError(res, 413, { errorType: 'RequestTooLargeException', message: `Request must be smaller than 6291456 bytes.` });
    if (err instanceof z.ZodError)
      return sendControlError(res, 400, { errorType: 'InvalidRequest', message: err.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    if (err instanceof SyntaxError)
      return sendControlError(res, 400, {
        errorType: 'InvalidRequestContentException',
        message: `The request body is not JSON (${err.message}). Send a JSON object.`,
      });
    sendControlError(res, 500, { errorType: 'ServiceException', message: (err as Error).message });
  });
  return true;
}

async function routeControl(lambda: LocalLambda, opts: ControlOptions, req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
  switch (route) {
    case 'GET /functions': {
      req.resume();
      const body: FunctionList = { functions: lambda.listFunctions(), errors: lambda.definitionErrors };
      return sendJson(res, 200, body);
    }
    case 'POST /functions/reload': {
      req.resume();
      await opts.reload();
      return sendJson(res, 200, { functions: lambda.listFunctions(), errors: lambda.definitionErrors } satisfies FunctionList);
    }
    case 'GET /routes':
      req.resume();
      return sendJson(res, 200, opts.routes?.() ?? ({ routes: [] } satisfies RouteList));
    case 'POST /functions/infer': {
      const request = InferRequest.parse(await readJson(req));
      const fn = opts.infer(request.file, request.exportName);
      lambda.addFunction(fn);
      return sendJson(res, 200, { function: fn });
    }
    case 'POST /chains':
      return sendJson(res, 200, await opts.chains(await readJson(req)));
    case 'POST /component-interface': {
      const { file } = z.object({ file: z.string() }).parse(await readJson(req));
      try {
        return sendJson(res, 200, await opts.componentInterface(file));
      } catch (err) {
        return sendControlError(res, 400, { errorType: 'InvalidComponent', message: (err as Error).message });
      }
    }
    case 'GET /durable-executions': {
      req.resume();
      const { durableExecutionList } = await import('./durable/control-route.ts');
      return sendJson(res, 200, durableExecutionList(durableOf(lambda)));
    }
    case 'POST /durable-callbacks': {
      const { completeCallbackFromControl } = await import('./durable/control-route.ts');
      try {
        completeCallbackFromControl(durableOf(lambda), CallbackCompletion.parse(await readJson(req)));
      } catch (err) {
        if (err instanceof AwsError) return sendControlError(res, err.status, { errorType: err.type, message: err.message });
        throw err;
      }
      return sendJson(res, 200, {});
    }
    case 'POST /keyvalue': {
      const { store } = z.object({ store: z.string().optional() }).parse(await readJson(req));
      try {
        return sendJson(res, 200, (await opts.keyValue?.(store)) ?? { stores: [], entries: [], truncated: false });
      } catch (err) {
        return sendControlError(res, 400, { errorType: 'KeyValueError', message: (err as Error).message });
      }
    }
    case 'POST /invoke':
      return invokeFromControl(lambda, InvokeRequest.parse(await readJson(req)), res);
    case 'POST /debug-mode':
      return setDebugMode(lambda, DebugModeRequest.parse(await readJson(req)), res);
    case 'POST /debug-prepare':
      return prepareDebug(lambda, DebugPrepareRequest.parse(await readJson(req)), res);
    case 'GET /status': {
      req.resume();
      const status: RunnerStatus = {
        port: lambda.port,
        pid: process.pid,
        ...(opts.apiPort?.() !== undefined ? { apiPort: opts.apiPort()! } : {}),
        ...(opts.loadBalancers?.().length ? { loadBalancers: opts.loadBalancers() } : {}),
        environments: lambda
          .environments()
          .map((env) => ({ id: env.id, function: env.fn.name, state: env.state, pid: env.pid, coldStartOverheadMs: env.coldStartOverheadMs })),
      };
      return sendJson(res, 200, status);
    }
    case 'GET /events':
      return streamEvents(lambda, req, res);
    case 'POST /shutdown':
      req.resume();
      sendJson(res, 202, { status: 'stopping' });
      return opts.shutdown();
  }
  req.resume();
  sendControlError(res, 404, { errorType: 'NotFound', message: `No control route ${route}.` });
}

async function invokeFromControl(lambda: LocalLambda, request: InvokeRequest, res: ServerResponse): Promise<void> {
  const payload = Buffer.from(request.payload || '{}');
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (err) {
    return sendControlError(res, 400, { errorType: 'InvalidRequestContentException', message: `The event is not valid JSON: ${(err as Error).message}` });
  }
  const fn = lambda.getFunction(request.function);
  const durable = durableOf(lambda);
  if (fn?.durable && durable && !request.debug) {
    return sendJson(res, 200, await (await import('./durable/control-route.ts')).invokeDurableFromControl(durable, fn, payload.toString('utf8')));
  }
  let debug: { language: DebuggerLanguage; port: number; prepared?: string } | undefined;
  if (request.debug && fn) {
    const language = debuggerLanguage(fn);
    if (!language) {
      return sendControlError(res, 400, {
        errorType: 'DebugUnsupported',
        message: `${notDebuggable(fn)} Use "Invoke with event" to run ${fn.name}.`,
      });
    }
    // In the environment started for it ahead, if that is still there: its debugger is already attached (or attaching).
    if (request.debugPrepared !== undefined && lambda.hasPreparedDebug(request.function, request.debugPrepared)) {
      debug = { language, port: 0, prepared: request.debugPrepared };
    } else {
      // Node picks its own inspector port (0) and prints it; debugpy, Delve and lldb need one chosen up front.
      debug = { language, port: language === 'node' ? 0 : await freePort() };
    }
  }
  try {
    const inv = lambda.invoke(request.function, payload, {
      clientContext: request.clientContext ? JSON.stringify(request.clientContext) : undefined,
      tenantId: request.tenantId,
      debug,
    });
    const completion = await inv.completed;
    sendJson(res, 200, invokeResult(request.function, inv, completion));
  } catch (err) {
    if (err instanceof FunctionNotFoundError) return sendControlError(res, 404, { errorType: 'ResourceNotFoundException', message: err.message });
    if (err instanceof TooManyRequestsError) return sendControlError(res, 429, { errorType: 'TooManyRequestsException', message: err.message });
    if (err instanceof InvalidParameterValueError) return sendControlError(res, 400, { errorType: 'InvalidParameterValueException', message: err.message });
    throw err;
  }
}

/** Starts (or, with `discard`, stops) a debug environment ahead of its invocation: LocalLambda.prepareDebug. */
async function prepareDebug(lambda: LocalLambda, request: DebugPrepareRequest, res: ServerResponse): Promise<void> {
  const fn = lambda.getFunction(request.function);
  if (!fn) return sendControlError(res, 404, { errorType: 'ResourceNotFoundException', message: `Function not found: ${request.function}.` });
  if (request.discard) {
    lambda.discardDebug(fn.name, request.id);
    return sendJson(res, 200, { function: fn.name, id: request.id, prepared: false });
  }
  const language = debuggerLanguage(fn);
  if (!language) {
    return sendControlError(res, 400, {
      errorType: 'DebugUnsupported',
      message: notDebuggable(fn),
    });
  }
  try {
    lambda.prepareDebug(fn.name, request.id, { language, port: language === 'node' ? 0 : await freePort() });
  } catch (err) {
    if (err instanceof InvalidParameterValueError) return sendControlError(res, 400, { errorType: 'InvalidParameterValueException', message: err.message });
    throw err;
  }
  sendJson(res, 200, { function: fn.name, id: request.id, prepared: true, language });
}

/**
 * Arms a function for a debugger whoever invokes it (a request through the HTTP gateway, the Invoke API, a queue):
 * the editor attaches on each `debug-ready` event for it.
 */
async function setDebugMode(lambda: LocalLambda, request: DebugModeRequest, res: ServerResponse): Promise<void> {
  const fn = lambda.getFunction(request.function);
  if (!fn) return sendControlError(res, 404, { errorType: 'ResourceNotFoundException', message: `Function not found: ${request.function}.` });
  const language = debuggerLanguage(fn);
  if (!language && request.mode !== 'off') {
    return sendControlError(res, 400, {
      errorType: 'DebugUnsupported',
      message: `${notDebuggable(fn)} ${fn.name} runs without a debugger.`,
    });
  }
  if (!language) return sendJson(res, 200, { function: fn.name, mode: 'off' });
  // Node's inspector and debugpy take port 0 and say which port they got, so concurrent invocations of an armed
  // function never share one; Delve needs one chosen up front.
  const port = language === 'go' && request.mode !== 'off' ? await freePort() : 0;
  sendJson(res, 200, lambda.setDebugMode(fn.name, request.mode, port));
}

/**
 * How much of /events may wait for a reader. One that stops reading (a hung editor, a client that never reads) would
 * otherwise make the runner keep every log line of every function in memory: past this, events are dropped and
 * counted, and once the reader has caught up it gets one `events-dropped` line saying how many.
 */
export const EVENTS_BUFFER_LIMIT = 4 * 1_048_576;

function streamEvents(lambda: LocalLambda, req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  res.writeHead(200, { 'Content-Type': 'application/x-ndjson', 'Cache-Control': 'no-store' });
  res.write(`${JSON.stringify({ type: 'environments', count: lambda.environments().length })}\n`);
  let dropped = 0;
  const unsubscribe = lambda.subscribe((event) => {
    if (dropped > 0 || res.writableLength > EVENTS_BUFFER_LIMIT) dropped++;
    else res.write(`${JSON.stringify(event)}\n`);
  });
  res.on('drain', () => {
    if (dropped === 0) return;
    const notice: RunnerEvent = { type: 'events-dropped', count: dropped };
    dropped = 0;
    res.write(`${JSON.stringify(notice)}\n`);
  });
  res.on('close', unsubscribe);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const body = await readBody(req, 6_291_456 + 64 * 1024);
  return JSON.parse(body.toString('utf8') || '{}');
}

function authorized(req: IncomingMessage, token: string): boolean {
  const given = Buffer.from(req.headers.authorization ?? '');
  const expected = Buffer.from(`Bearer ${token}`);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function sendControlError(res: ServerResponse, status: number, error: ControlError): void {
  sendJson(res, status, error);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

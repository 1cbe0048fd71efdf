// One invocation, with the semantics of Lambda's Node runtime:
// - a handler returning a promise (async) is reported as soon as the promise settles;
// - otherwise the first of callback/context.done/succeed/fail reports it; with callbackWaitsForEmptyEventLoop
//   (the default) a callback's result is only sent once nothing else is left on the event loop;
// - a handler that never reports is answered when the event loop empties: `null` for a plain function,
//   Runtime.NodeJsExit for an async one whose promise never settled;
// - a streaming handler writes to a chunked /response POST and is over when that request is answered.
import { logRuntimeError, setLogRequestId } from './console-logs.ts';
import { jsonStringifyError, nodeJsExitError, toRuntimeErrorBody } from './errors.ts';
import type { InvokeStore } from './invoke-store.ts';
import type { Handler, LoadedHandler } from './load-handler.ts';
import { ResponseStream } from './response-stream.ts';
import type { Invocation, RuntimeApiClient } from './runtime-api.ts';

/** What the process-level crash handlers need from the invocation in flight. */
export interface ActiveInvocation {
  requestId: string;
  /** Report `error` for this invocation if nothing was reported yet, then exit with `exitCode`. */
  crash(error: unknown, exitCode: number): void;
}

let active: ActiveInvocation | undefined;
export function activeInvocation(): ActiveInvocation | undefined {
  return active;
}

// Set once user code has crashed the process: it only finishes reporting and exits, and must not ask the runner
// for another event on the way out (the runner would hand it one, to a dying process).
let exiting = false;

// Lambda's runtime keeps one `beforeExit` listener and swaps what it does per state of the invocation.
let whenEventLoopEmpties: (() => void) | undefined;
export function onBeforeExit(): void {
  whenEventLoopEmpties?.();
}

/** Read once: these never change during the life of the process. */
interface FunctionEnvironment {
  functionName: string | undefined;
  functionVersion: string | undefined;
  memoryLimitInMB: string | undefined;
  logGroupName: string | undefined;
  logStreamName: string | undefined;
}

export function readFunctionEnvironment(env: NodeJS.ProcessEnv): FunctionEnvironment {
  return {
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
  };
}

export interface InvokeDependencies {
  api: RuntimeApiClient;
  loaded: LoadedHandler;
  runtime: Runtime;
  fn: FunctionEnvironment;
  store: InvokeStore;
}

/**
 * Lambda calls the handler as a method of its Runtime object, so user stack traces read
 * `at Runtime.handler (file:///...)` there; calling it the same way keeps traces identical.
 */
export class Runtime {
  handler: Handler;
  constructor(handler: Handler) {
    this.handler = handler;
  }
}

function parseJsonHeader(value: string | undefined, what: string): unknown {
  if (value === undefined || value === '') return undefined;
  try {
    return JSON.parse(value);
  } catch (error) {
    throw new Error(`Cannot parse ${what} as json: ${String(error)}`);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as PromiseLike<unknown>).then === 'function';
}

/**
 * The members of `context` that follow the fixed ones: the tenant and trace ids when there are some, then
 * getRemainingTimeInMillis (Lambda's order). The fixed members are written out in one object literal where the context
 * is made (one shape, one allocation per invoke, rather than a property added and the store grown at a time).
 */
function finishContext(context: Record<string, unknown>, invocation: Invocation, traceId: string | undefined, tenantId: string | undefined): void {
  const deadline = Number(invocation.deadlineMs);
  if (tenantId !== undefined) context.tenantId = tenantId;
  if (traceId !== undefined) context.xRayTraceId = traceId;
  context.getRemainingTimeInMillis = () => deadline - Date.now();
}

/** Per-invoke process state Lambda's runtime keeps: request id for logs and the InvokeStore, trace id env. */
function enterInvocation(deps: InvokeDependencies, invocation: Invocation): { requestId: string; traceId: string | undefined; tenantId: string | undefined } {
  const { requestId, traceId, tenantId } = invocation;
  if (!requestId) throw new Error('The Runtime API sent an invocation without a Lambda-Runtime-Aws-Request-Id header.');
  if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
  else delete process.env._X_AMZN_TRACE_ID;
  setLogRequestId(requestId, tenantId);
  deps.store.enter(requestId, traceId, tenantId);
  return { requestId, traceId, tenantId };
}

function reportApiFailure(what: string, requestId: string, error: unknown): void {
  process.stderr.write(`open-runtime: could not post the ${what} of request ${requestId} to the Runtime API: ${String(error)}\n`);
}

/** Runs one invocation; resolves when it has been reported and the next one may be fetched. */
export function runInvocation(deps: InvokeDependencies, invocation: Invocation): Promise<void> {
  return deps.loaded.streaming ? runStreamingInvocation(deps, invocation) : runBufferedInvocation(deps, invocation);
}

function runBufferedInvocation(deps: InvokeDependencies, invocation: Invocation): Promise<void> {
  const { requestId, traceId, tenantId } = enterInvocation(deps, invocation);
  const { api, loaded, fn } = deps;
  return new Promise<void>((readyForNext) => {
    let reported = false;
    let answered = false; // one of callback/done/succeed/fail was called
    let waitForEmptyEventLoop = true;
    let posting: Promise<unknown> | undefined;

    const self: ActiveInvocation = {
      requestId,
      crash(error, exitCode) {
        exiting = true;
        const exit = () => process.exit(exitCode);
        // Answered, and the answer written: exit at once, without waiting for its 202 (the runner may send the next
        // event with it) and without ending the connection first. An event this process never read makes the close a
        // reset, which tells the runner that the event never reached the function (it runs it elsewhere).
        if (reported && api.answersWritten()) return exit();
        api.stopAsking();
        if (!reported) {
          reported = true;
          posting = api.postError(requestId, toRuntimeErrorBody(error));
        }
        if (posting) posting.then(exit, exit);
        else exit();
      },
    };
    active = self;

    const finish = () => {
      if (active === self) active = undefined;
      whenEventLoopEmpties = undefined;
      if (!exiting) readyForNext();
    };

    const sendResponse = (result: unknown) => {
      if (reported) {
        console.error('Invocation has already been reported as done. Cannot call complete more than once per invocation.');
        return;
      }
      let body: string | undefined;
      try {
        body = JSON.stringify(result === undefined ? null : result);
      } catch {
        sendError(jsonStringifyError());
        return;
      }
      reported = true;
      // JSON.stringify gives undefined for a function or a symbol: nothing representable, so null.
      posting = api.postResponse(requestId, body ?? 'null').then(finish, (error) => {
        reportApiFailure('response', requestId, error);
        finish();
      });
    };

    const sendError = (error: unknown) => {
      if (reported) return;
      reported = true;
      logRuntimeError('Invoke Error', error);
      posting = api.postError(requestId, toRuntimeErrorBody(error)).then(finish, (failure) => {
        reportApiFailure('error', requestId, failure);
        finish();
      });
    };

    const callback = (error?: unknown, result?: unknown) => {
      whenEventLoopEmpties = undefined;
      if (error !== undefined && error !== null) sendError(error);
      else if (!waitForEmptyEventLoop) sendResponse(result);
      else whenEventLoopEmpties = () => setImmediate(() => sendResponse(result));
    };
    const done = (error?: unknown, result?: unknown) => {
      whenEventLoopEmpties = undefined;
      if (error !== undefined && error !== null) sendError(error);
      else sendResponse(result);
    };
    // Only the first of callback/done/succeed/fail counts. One closure each (no wrapper around an inner one, no
    // rest array per call): four of them are made per invoke.
    const first = (): boolean => {
      if (answered) return false;
      answered = true;
      return true;
    };
    const succeed = (result?: unknown) => {
      if (first()) done(null, result);
    };
    const fail = (error?: unknown) => {
      if (first()) error === undefined || error === null ? done('handled') : done(error, null);
    };

    // Nothing reported and nothing left to run.
    whenEventLoopEmpties = () => {
      answered = true;
      if (loaded.isAsync) sendError(nodeJsExitError());
      else sendResponse(null);
    };

    const userCallback = (error?: unknown, result?: unknown) => {
      if (first()) callback(error, result);
    };
    try {
      const event = JSON.parse(invocation.body) as unknown;
      const context: Record<string, unknown> = {
        get callbackWaitsForEmptyEventLoop() {
          return waitForEmptyEventLoop;
        },
        set callbackWaitsForEmptyEventLoop(value: boolean) {
          waitForEmptyEventLoop = value;
        },
        succeed,
        fail,
        done: (error?: unknown, result?: unknown) => {
          if (first()) done(error, result);
        },
        functionVersion: fn.functionVersion,
        functionName: fn.functionName,
        memoryLimitInMB: fn.memoryLimitInMB,
        logGroupName: fn.logGroupName,
        logStreamName: fn.logStreamName,
        clientContext: parseJsonHeader(invocation.clientContext, 'ClientContext'),
        identity: parseJsonHeader(invocation.cognitoIdentity, 'CognitoIdentity'),
        invokedFunctionArn: invocation.invokedFunctionArn,
        awsRequestId: requestId,
      };
      finishContext(context, invocation, traceId, tenantId);
      const result = deps.runtime.handler(event, context, userCallback);
      if (isPromiseLike(result)) result.then(succeed, fail);
    } catch (error) {
      userCallback(error);
    }
  });
}

function runStreamingInvocation(deps: InvokeDependencies, invocation: Invocation): Promise<void> {
  const { requestId, traceId, tenantId } = enterInvocation(deps, invocation);
  const { api, loaded, fn } = deps;
  return new Promise<void>((readyForNext) => {
    let waitForEmptyEventLoop = true;
    let failed = false;
    let finished = false;
    const stream = new ResponseStream(api, requestId, loaded.highWaterMark);
    const self: ActiveInvocation = {
      requestId,
      crash(error, exitCode) {
        exiting = true;
        api.stopAsking();
        failed = true;
        stream.fail(error);
        const exit = () => process.exit(exitCode);
        void stream.done.then(exit);
      },
    };
    active = self;

    // Like Lambda, a streaming function waits for an empty event loop (unless told not to) before the next event.
    const finish = () => {
      if (finished || exiting) return;
      finished = true;
      if (active === self) active = undefined;
      if (!waitForEmptyEventLoop) {
        whenEventLoopEmpties = undefined;
        readyForNext();
      } else {
        whenEventLoopEmpties = () => {
          whenEventLoopEmpties = undefined;
          setImmediate(readyForNext);
        };
      }
    };

    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      logRuntimeError('Invoke Error', error);
      stream.fail(error);
      void stream.done.then(finish);
    };

    whenEventLoopEmpties = () => fail(nodeJsExitError());

    let result: unknown;
    try {
      const event = JSON.parse(invocation.body) as unknown;
      const context: Record<string, unknown> = {
        get callbackWaitsForEmptyEventLoop() {
          return waitForEmptyEventLoop;
        },
        set callbackWaitsForEmptyEventLoop(value: boolean) {
          waitForEmptyEventLoop = value;
        },
        functionVersion: fn.functionVersion,
        functionName: fn.functionName,
        memoryLimitInMB: fn.memoryLimitInMB,
        logGroupName: fn.logGroupName,
        logStreamName: fn.logStreamName,
        clientContext: parseJsonHeader(invocation.clientContext, 'ClientContext'),
        identity: parseJsonHeader(invocation.cognitoIdentity, 'CognitoIdentity'),
        invokedFunctionArn: invocation.invokedFunctionArn,
        awsRequestId: requestId,
      };
      finishContext(context, invocation, traceId, tenantId);
      result = deps.runtime.handler(event, stream, context);
    } catch (error) {
      fail(error);
      return;
    }
    if (!isPromiseLike(result)) {
      fail(new Error('Streaming does not support non-async handlers.'));
      return;
    }
    result.then((value) => {
      if (failed) return;
      if (value !== undefined) console.warn('Streaming handlers ignore return values.');
      if (!stream.writableEnded) {
        console.warn(
          'The streaming handler returned without calling responseStream.end(): the invocation stays open until the ' +
            'stream is ended or the function times out, as in Lambda.',
        );
      }
      void stream.done.then(finish);
    }, fail);
  });
}

// Open Runtime's Node runtime client: the program each Node function's process runs (bundled to
// dist/node-runtime.cjs, Node built-ins only). It loads the handler named by _HANDLER, then loops on the Runtime
// API 2018-06-01 at AWS_LAMBDA_RUNTIME_API exactly as Lambda's own Node runtime does: same context, same handler
// styles, same error types, same log format.
import { writeSync } from 'node:fs';
import { logRuntimeError, patchConsole } from './console-logs.ts';
import { debuggerUnavailableError, nodeJsExitError, toRuntimeErrorBody, unhandledPromiseRejection } from './errors.ts';
import { activeInvocation, onBeforeExit, readFunctionEnvironment, runInvocation, Runtime } from './invoke.ts';
import type { InvokeDependencies } from './invoke.ts';
import { InvokeStore } from './invoke-store.ts';
import { checkCallbackHandlerSupported, loadHandler } from './load-handler.ts';
import { isEsmHandler, resolveAwsSdkFromNodePath } from './aws-sdk.ts';
import type { LoadedHandler } from './load-handler.ts';
import { HttpResponseStream, streamifyResponse } from './response-stream.ts';
import { RuntimeApiClient } from './runtime-api.ts';
import { DIRECT_SOCKET_ENV } from './direct-socket.ts';
import { installTraceEnvironment } from './trace-env.ts';

// Exit codes Lambda's Node runtime uses when user code crashes the process.
const EXIT_UNCAUGHT_EXCEPTION = 129;
const EXIT_UNHANDLED_REJECTION = 128;
const EXIT_INIT_FAILED = 1;

function stop(message: string): never {
  process.stderr.write(`open-runtime: ${message}\n`);
  process.exit(1);
}

/** The `awslambda` global Lambda provides before user code loads (unless AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA). */
function installAwsLambdaGlobal(store: InvokeStore): void {
  const flag = process.env.AWS_LAMBDA_NODEJS_NO_GLOBAL_AWSLAMBDA;
  if (flag === '1' || flag === 'true') return;
  const global = globalThis as { awslambda?: Record<string, unknown> };
  global.awslambda = { ...global.awslambda, streamifyResponse, HttpResponseStream, InvokeStore: store };
}

async function main(): Promise<void> {
  const env = process.env;
  const address = env.AWS_LAMBDA_RUNTIME_API;
  const handlerSetting = env._HANDLER;
  if (!address) stop('AWS_LAMBDA_RUNTIME_API is not set. This program runs inside a function started by the runner.');
  if (!handlerSetting) stop("_HANDLER is not set. Set the function's handler (FILE.EXPORT, e.g. index.handler).");
  const taskRoot = env.LAMBDA_TASK_ROOT || process.cwd();

  patchConsole();
  // Before user code: the per-invoke _X_AMZN_TRACE_ID (invoke.ts) must not grow the C library's heap (trace-env.ts).
  installTraceEnvironment();
  const store = new InvokeStore();
  installAwsLambdaGlobal(store);
  let api: RuntimeApiClient;
  try {
    api = new RuntimeApiClient(address, env[DIRECT_SOCKET_ENV] || undefined);
  } catch (error) {
    stop((error as Error).message);
  }

  let initialised = false;
  let initFailed = false;
  const failInit = (error: unknown) => {
    if (initFailed) return;
    initFailed = true;
    logRuntimeError('Init Error', error);
    const exit = () => process.exit(EXIT_INIT_FAILED);
    api.postInitError(toRuntimeErrorBody(error)).then(exit, (failure) => {
      process.stderr.write(`open-runtime: could not post the init error to the Runtime API: ${String(failure)}\n`);
      exit();
    });
  };

  // User code crashing the process: report it against the invocation in flight (or as an init error), then exit.
  const crash = (error: unknown, exitCode: number) => {
    const current = activeInvocation();
    if (current) current.crash(error, exitCode);
    else if (!initialised) failInit(error);
    else process.exit(exitCode);
  };
  process.on('uncaughtException', (error) => {
    logRuntimeError('Uncaught Exception', error);
    crash(error, EXIT_UNCAUGHT_EXCEPTION);
  });
  process.on('unhandledRejection', (reason, promise) => {
    const error = unhandledPromiseRejection(reason, promise);
    logRuntimeError('Unhandled Promise Rejection', error);
    crash(error, EXIT_UNHANDLED_REJECTION);
  });
  process.on('beforeExit', () => {
    // During init an empty event loop means the module waits (top-level await) on something that cannot happen.
    if (initialised) onBeforeExit();
    else failInit(nodeJsExitError());
  });

  if (env.OPEN_RUNTIME_WAIT_FOR_DEBUGGER) {
    // Debug sessions: wait here (not paused on a first line, as --inspect-brk would) until the debugger attached and
    // set its breakpoints. Pausing at the entry made V8 abort in its scope iterator now and then (nodejs/node#58632).
    // Said just before waiting: a debugger told to run before this point would be forgotten, and the runtime would
    // wait forever (environments/environment.ts reports the environment debug-ready on this line, not on Node's own).
    const inspector = require('node:inspector') as typeof import('node:inspector');
    if (!inspector.url()) {
      // Node could not listen (its own line in the log says why): nothing could ever attach.
      failInit(
        debuggerUnavailableError(
          `The debugger could not listen on 127.0.0.1:${process.debugPort}: the port is taken (by another debug session of this or another function?). Let that session end, or debug on another port.`,
        ),
      );
      return;
    }
    writeSync(2, `OPEN_RUNTIME_INSPECTOR_WAITING ${process.debugPort}\n`); // synchronous: the wait blocks the event loop
    inspector.waitForDebugger();
  }
  let loaded: LoadedHandler;
  try {
    resolveAwsSdkFromNodePath(env, () => isEsmHandler(taskRoot, handlerSetting, env.OPEN_RUNTIME_HANDLER_MODULE || undefined));
    loaded = await loadHandler(taskRoot, handlerSetting, env.OPEN_RUNTIME_HANDLER_MODULE || undefined);
    checkCallbackHandlerSupported(loaded, env);
  } catch (error) {
    failInit(error);
    return;
  }
  if (initFailed) return;
  initialised = true;

  const deps: InvokeDependencies = { api, loaded, runtime: new Runtime(loaded.handler), fn: readFunctionEnvironment(env), store };
  // Lambda Managed Instances: up to AWS_LAMBDA_MAX_CONCURRENCY invocations at once in this one process, each loop on a
  // Runtime API connection of its own (concurrent /next and answers), sharing the handler and its module state.
  const loops = [serveInvocations(deps, address!)];
  for (let i = 1; i < maxConcurrency(env.AWS_LAMBDA_MAX_CONCURRENCY); i++) {
    loops.push(serveInvocations({ ...deps, api: new RuntimeApiClient(address!, env[DIRECT_SOCKET_ENV] || undefined) }, address!));
  }
  await Promise.all(loops);
}

/** AWS_LAMBDA_MAX_CONCURRENCY as a count of invocations at once: 1 without it (or with nonsense). */
function maxConcurrency(value: string | undefined): number {
  const n = Number(value);
  return Number.isInteger(n) && n > 1 ? Math.min(n, 1000) : 1;
}

/** Takes events one after the other on `deps.api` for as long as the process lives. */
async function serveInvocations(deps: InvokeDependencies, address: string): Promise<void> {
  for (;;) {
    let invocation;
    try {
      invocation = await deps.api.next();
    } catch (error) {
      stop(`could not get the next invocation from the Runtime API at ${address}: ${String(error)}. The runner has probably stopped.`);
    }
    await runInvocation(deps, invocation);
  }
}

main().catch((error: unknown) => {
  stop(`the runtime client failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
});

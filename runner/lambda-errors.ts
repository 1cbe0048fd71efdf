// Lambda's error types: the `errorType` a failed invoke or init carries, and the `Lambda-Runtime-Function-Error-Type`
// the runtimes post. Callers (the CLI, the editor, tests, scripts) match on these exact strings, so each is spelled
// once, here, with what it means; everything that reports or recognises one imports it from this file.
// The Python runtime (runtimes/python/bootstrap.py) cannot import it; a unit test holds its strings to this list.

// ---- the execution environment (the platform's own, whatever the runtime) --------------------------------------
/** The function's process exited (crash, exit call, signal) before it answered. */
export const RUNTIME_EXIT_ERROR = 'Runtime.ExitError';
/** Init failed (the runtime reported it without a type of its own, or the process never reached /next). */
export const RUNTIME_INIT_ERROR = 'Runtime.InitError';
/** The environment failed in a way that fits no other type. */
export const RUNTIME_UNKNOWN = 'Runtime.Unknown';
/** The function's entry point (bootstrap, runtime client, component) is missing or can't be started. */
export const RUNTIME_INVALID_ENTRYPOINT = 'Runtime.InvalidEntrypoint';
/** The function's Runtime can't run the way it was asked to (a component started as a process). */
export const RUNTIME_INVALID_RUNTIME = 'Runtime.InvalidRuntime';
/** The function used more memory than its MemorySize. */
export const RUNTIME_OUT_OF_MEMORY = 'Runtime.OutOfMemory';
/** The invoke ran past the function's Timeout. */
export const SANDBOX_TIMEDOUT = 'Sandbox.Timedout';
/** The response is over Lambda's payload limit (6 MB buffered, 200 MB streamed). */
export const FUNCTION_RESPONSE_SIZE_TOO_LARGE = 'Function.ResponseSizeTooLarge';

// ---- extensions ---------------------------------------------------------------------------------------------
/** An extension exited while the environment was running. */
export const EXTENSION_CRASH = 'Extension.Crash';
/** An extension failed (or reported failing) during init. */
export const EXTENSION_INIT_ERROR = 'Extension.InitError';
/** An extension failed in a way that fits no other type. */
export const EXTENSION_UNKNOWN = 'Extension.Unknown';

// ---- loading the handler (the Node and Python runtimes) ------------------------------------------------------
/** The handler setting is not FILE.EXPORT (no dot, or `..` in a Node handler). */
export const RUNTIME_MALFORMED_HANDLER_NAME = 'Runtime.MalformedHandlerName';
/** The handler's module could not be found or imported. */
export const RUNTIME_IMPORT_MODULE_ERROR = 'Runtime.ImportModuleError';
/** The module loaded but has no such export, or the export is not a function. */
export const RUNTIME_HANDLER_NOT_FOUND = 'Runtime.HandlerNotFound';
/** The handler's module has a syntax error. */
export const RUNTIME_USER_CODE_SYNTAX_ERROR = 'Runtime.UserCodeSyntaxError';
/** Python: the handler's module has the name of a built-in module. */
export const RUNTIME_BUILT_IN_MODULE_CONFLICT = 'Runtime.BuiltInModuleConflict';

// ---- running the handler (the Node runtime) ----------------------------------------------------------------
/** nodejs24.x (and nodejs22.x on managed instances) refuse callback-style handlers. */
export const RUNTIME_CALLBACK_HANDLER_DEPRECATED = 'Runtime.CallbackHandlerDeprecated';
/** A handler marked for streaming with anything but response streaming. */
export const RUNTIME_MALFORMED_STREAMING_HANDLER = 'Runtime.MalformedStreamingHandler';
/** The handler used the response stream in a way Lambda refuses (e.g. writing after the end). */
export const RUNTIME_INVALID_STREAMING_OPERATION = 'Runtime.InvalidStreamingOperation';
/** The handler's result could not be turned into JSON. */
export const RUNTIME_JSON_STRINGIFY_ERROR = 'Runtime.JSONStringifyError';
/** A promise was rejected and nothing handled it. */
export const RUNTIME_UNHANDLED_PROMISE_REJECTION = 'Runtime.UnhandledPromiseRejection';
/** The Node process ran out of work while the handler's promise was still pending. */
export const RUNTIME_NODE_JS_EXIT = 'Runtime.NodeJsExit';

// ---- marshalling (the Python runtime) -------------------------------------------------------------------------
/** The handler's result could not be serialised. */
export const RUNTIME_MARSHAL_ERROR = 'Runtime.MarshalError';
/** The event could not be deserialised. */
export const RUNTIME_UNMARSHAL_ERROR = 'Runtime.UnmarshalError';
/** The client context or Cognito identity header is not valid JSON. */
export const RUNTIME_LAMBDA_CONTEXT_UNMARSHAL_ERROR = 'Runtime.LambdaContextUnmarshalError';

// ---- Open Runtime's own (no Lambda equivalent; named in Lambda's style so callers match them the same way) ---------
/** The debugger was asked for but cannot listen: debugpy is not installed (Python), or the port is taken. */
export const RUNTIME_DEBUGGER_UNAVAILABLE = 'Runtime.DebuggerUnavailable';
/** WASI: the component trapped (unreachable, out-of-bounds access ...). */
export const RUNTIME_WASM_TRAP = 'Runtime.WasmTrap';
/** WASI: the component imports an interface the function was not granted. */
export const RUNTIME_IMPORT_NOT_GRANTED = 'Runtime.ImportNotGranted';
/** WASI: the event could not be given to the component in the shape its world expects. */
export const RUNTIME_INVALID_EVENT = 'Runtime.InvalidEvent';
/** WASI: the component's answer is not a valid response. */
export const RUNTIME_INVALID_RESPONSE = 'Runtime.InvalidResponse';

// ---- durable executions (runner/durable/; Open Runtime's names where the service's are not documented) -------------
/** The runner stopped during an invocation of a durable execution; it replays from its checkpoints at the next start. */
export const DURABLE_INVOCATION_INTERRUPTED = 'Durable.InvocationInterrupted';
/** A durable function answered something that is not a durable invocation output (no withDurableExecution). */
export const DURABLE_INVALID_RESPONSE = 'Durable.InvalidResponse';
/** The execution ran past its DurableConfig.ExecutionTimeout. */
export const DURABLE_EXECUTION_TIMED_OUT = 'Durable.ExecutionTimedOut';
/** StopDurableExecution without an error of the caller's. */
export const DURABLE_EXECUTION_STOPPED = 'Durable.ExecutionStopped';
/** A callback got no answer (or no heartbeat) in time. */
export const DURABLE_CALLBACK_TIMED_OUT = 'Durable.CallbackTimedOut';

/** Every type above, for checks that a string is one of them. */
export const LAMBDA_ERROR_TYPES: readonly string[] = [
  RUNTIME_EXIT_ERROR,
  RUNTIME_INIT_ERROR,
  RUNTIME_UNKNOWN,
  RUNTIME_INVALID_ENTRYPOINT,
  RUNTIME_INVALID_RUNTIME,
  RUNTIME_OUT_OF_MEMORY,
  SANDBOX_TIMEDOUT,
  FUNCTION_RESPONSE_SIZE_TOO_LARGE,
  EXTENSION_CRASH,
  EXTENSION_INIT_ERROR,
  EXTENSION_UNKNOWN,
  RUNTIME_MALFORMED_HANDLER_NAME,
  RUNTIME_IMPORT_MODULE_ERROR,
  RUNTIME_HANDLER_NOT_FOUND,
  RUNTIME_USER_CODE_SYNTAX_ERROR,
  RUNTIME_BUILT_IN_MODULE_CONFLICT,
  RUNTIME_CALLBACK_HANDLER_DEPRECATED,
  RUNTIME_MALFORMED_STREAMING_HANDLER,
  RUNTIME_INVALID_STREAMING_OPERATION,
  RUNTIME_JSON_STRINGIFY_ERROR,
  RUNTIME_UNHANDLED_PROMISE_REJECTION,
  RUNTIME_NODE_JS_EXIT,
  RUNTIME_MARSHAL_ERROR,
  RUNTIME_UNMARSHAL_ERROR,
  RUNTIME_LAMBDA_CONTEXT_UNMARSHAL_ERROR,
  RUNTIME_DEBUGGER_UNAVAILABLE,
  RUNTIME_WASM_TRAP,
  RUNTIME_IMPORT_NOT_GRANTED,
  RUNTIME_INVALID_EVENT,
  RUNTIME_INVALID_RESPONSE,
  DURABLE_INVOCATION_INTERRUPTED,
  DURABLE_INVALID_RESPONSE,
  DURABLE_EXECUTION_TIMED_OUT,
  DURABLE_EXECUTION_STOPPED,
  DURABLE_CALLBACK_TIMED_OUT,
];

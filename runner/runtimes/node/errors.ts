// The error types Lambda's Node runtime reports, and the two shapes an error takes: the JSON body posted to the
// Runtime API (`{errorType, errorMessage, trace}`) and the text written to the function's log.
import { types } from 'node:util';
import {
  RUNTIME_CALLBACK_HANDLER_DEPRECATED,
  RUNTIME_DEBUGGER_UNAVAILABLE,
  RUNTIME_HANDLER_NOT_FOUND,
  RUNTIME_IMPORT_MODULE_ERROR,
  RUNTIME_INVALID_STREAMING_OPERATION,
  RUNTIME_JSON_STRINGIFY_ERROR,
  RUNTIME_MALFORMED_STREAMING_HANDLER,
  RUNTIME_NODE_JS_EXIT,
  RUNTIME_UNHANDLED_PROMISE_REJECTION,
  RUNTIME_USER_CODE_SYNTAX_ERROR,
} from '../../lambda-errors.ts';

/** Errors the runtime itself raises carry Lambda's `Runtime.*` names, which callers match on. */
function runtimeError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

export function importModuleError(message: string): Error {
  return runtimeError(RUNTIME_IMPORT_MODULE_ERROR, message);
}

export function handlerNotFoundError(message: string): Error {
  return runtimeError(RUNTIME_HANDLER_NOT_FOUND, message);
}

export function callbackHandlerDeprecatedError(message: string): Error {
  return runtimeError(RUNTIME_CALLBACK_HANDLER_DEPRECATED, message);
}

export function malformedStreamingHandlerError(message: string): Error {
  return runtimeError(RUNTIME_MALFORMED_STREAMING_HANDLER, message);
}

export function invalidStreamingOperationError(message: string): Error {
  return runtimeError(RUNTIME_INVALID_STREAMING_OPERATION, message);
}

export function debuggerUnavailableError(message: string): Error {
  return runtimeError(RUNTIME_DEBUGGER_UNAVAILABLE, message);
}

export function jsonStringifyError(): Error {
  return runtimeError(RUNTIME_JSON_STRINGIFY_ERROR, 'Unable to stringify response body');
}

/** Keeps the original stack, and names the offending line when it is known (`file:line`). */
export function userCodeSyntaxError(original: Error, location: string | undefined): Error {
  const error = runtimeError(RUNTIME_USER_CODE_SYNTAX_ERROR, location ? `${String(original)} (at ${location})` : String(original));
  error.stack = original.stack;
  return error;
}

/** Like Lambda: the message is the stringified reason, and the reason itself stays attached for the log. */
export function unhandledPromiseRejection(reason: unknown, promise: Promise<unknown>): Error {
  const error = runtimeError(RUNTIME_UNHANDLED_PROMISE_REJECTION, String(reason));
  Object.assign(error, { reason, promise });
  return error;
}

/** A handler whose promise never settled while nothing else was left to run. */
export function nodeJsExitError(): Error {
  return runtimeError(
    RUNTIME_NODE_JS_EXIT,
    'The Lambda runtime client detected an unexpected Node.js exit code. This is most commonly caused by a Promise ' +
      'that was never settled. For more information, see https://nodejs.org/docs/latest/api/process.html#exit-codes',
  );
}

export interface RuntimeErrorBody {
  errorType: string;
  errorMessage: string;
  trace: string[];
}

/** Anything with string name, message and stack counts as an error, as in Lambda (errors from other realms, polyfills). */
function looksLikeError(value: unknown): value is Error {
  if (types.isNativeError(value)) return true;
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.name === 'string' && typeof v.message === 'string' && typeof v.stack === 'string' && v.name !== '';
}

function errorTypeOf(error: Error): string {
  if (typeof error.name === 'string' && error.name !== '') return error.name;
  const ctor = (error as { constructor?: { name?: unknown } }).constructor;
  return typeof ctor?.name === 'string' && ctor.name !== '' ? ctor.name : 'Error';
}

/** The body of `/invocation/{id}/error`, `/init/error` and a streaming error trailer. */
export function toRuntimeErrorBody(error: unknown): RuntimeErrorBody {
  try {
    if (looksLikeError(error)) {
      return {
        errorType: errorTypeOf(error),
        errorMessage: String(error.message),
        trace: typeof error.stack === 'string' ? error.stack.split('\n') : [],
      };
    }
    return { errorType: typeof error, errorMessage: String((error as { toString(): string }).toString()), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
      trace: [],
    };
  }
}

export function intoError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}

/** Error fields are not enumerable; the log shows them anyway, with the stack as an array, like Lambda. */
function withEnumerableProperties(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const shown: Record<string, unknown> = Object.assign(
    { errorType: value.name, errorMessage: value.message, code: (value as { code?: unknown }).code } as Record<string, unknown>,
    value,
  );
  if (typeof value.stack === 'string') shown.stack = value.stack.split('\n');
  return shown;
}

/** The text after `Invoke Error` in the log; it starts with a tab, as Lambda's does. */
export function formatErrorForLog(error: Error): string {
  try {
    return '\t' + JSON.stringify(error, withEnumerableProperties);
  } catch {
    return '\t' + JSON.stringify(toRuntimeErrorBody(error));
  }
}

// What a hook prints, read the same way for every kind of middleware (PROTOCOL.md): the replacement value, or one of
// two envelopes: {"$response": R} answers now (skipping the handler from `before`), {"$error": {...}} fails the
// invocation through the error hooks. A middleware that breaks the protocol becomes a MiddlewareFailure.
import type { Hook } from './manifest.ts';

/** The Lambda error shape: what the error hook reads and what a failed invocation returns. */
export interface LambdaError {
  errorType: string;
  errorMessage: string;
  [key: string]: unknown;
}

export type HookAnswer = { kind: 'next'; value: unknown } | { kind: 'respond'; value: unknown } | { kind: 'raise'; error: LambdaError };

/** A middleware broke the protocol (crash, hang, invalid JSON, nothing printed): the invocation fails with this. */
export class MiddlewareFailure extends Error {
  readonly middleware: string;
  readonly hook: Hook;
  readonly stdout: string;
  readonly stderr: string;
  constructor(middleware: string, hook: Hook, what: string, printed: { stdout?: string; stderr?: string } = {}) {
    const stdout = clip(printed.stdout ?? '');
    const stderr = clip(printed.stderr ?? '', true);
    const shown = [stdout ? `It printed: ${stdout}` : 'It printed nothing on stdout.', stderr ? `Its stderr: ${stderr}` : ''].filter(Boolean).join(' ');
    super(`Middleware "${middleware}" failed in its ${hook} hook: ${what}. ${shown} Fix the middleware, or remove it from the function's middlewares.`);
    this.middleware = middleware;
    this.hook = hook;
    this.stdout = stdout;
    this.stderr = stderr;
  }

  toLambdaError(): LambdaError {
    return {
      errorType: 'Middleware.Failed',
      errorMessage: this.message,
      middleware: this.middleware,
      hook: this.hook,
      stdout: this.stdout,
      stderr: this.stderr,
    };
  }
}

/** Reads a hook's stdout (one JSON document). */
export function readHookOutput(stdout: string, middleware: string, hook: Hook, stderr = ''): HookAnswer {
  const text = stdout.trim();
  if (!text)
    throw new MiddlewareFailure(middleware, hook, 'it printed nothing on stdout (a hook must print the replacement value as JSON, or {"$response": ...})', {
      stdout,
      stderr,
    });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MiddlewareFailure(middleware, hook, `it printed invalid JSON (${(err as Error).message})`, { stdout, stderr });
  }
  return readHookValue(value, middleware, hook, { stdout, stderr });
}

/** Reads an already parsed answer (long-lived and component middlewares). */
export function readHookValue(value: unknown, middleware: string, hook: Hook, printed: { stdout?: string; stderr?: string } = {}): HookAnswer {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1 && keys[0] === '$response') return { kind: 'respond', value: value.$response };
    if (keys.length === 1 && keys[0] === '$error') {
      const error = asLambdaError(value.$error);
      if (!error) throw new MiddlewareFailure(middleware, hook, 'it printed {"$error": ...} without an object holding errorType and errorMessage', printed);
      return { kind: 'raise', error };
    }
  }
  if (hook === 'error') {
    const error = asLambdaError(value);
    if (!error)
      throw new MiddlewareFailure(
        middleware,
        hook,
        'its error hook printed something that is neither an error object {"errorType", "errorMessage"} nor {"$response": ...}',
        printed,
      );
    return { kind: 'next', value: error };
  }
  return { kind: 'next', value };
}

export function asLambdaError(value: unknown): LambdaError | undefined {
  if (!isObject(value)) return undefined;
  const { errorType, errorMessage } = value;
  if (typeof errorType !== 'string' && typeof errorMessage !== 'string') return undefined;
  return { ...value, errorType: typeof errorType === 'string' ? errorType : 'Error', errorMessage: typeof errorMessage === 'string' ? errorMessage : '' };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const CLIP = 1000;
/** Keeps error messages readable: the start of stdout, the end of stderr (where the reason usually is). */
function clip(text: string, keepEnd = false): string {
  const t = text.trim();
  if (t.length <= CLIP) return t;
  return keepEnd ? `...${t.slice(-CLIP)}` : `${t.slice(0, CLIP)}...`;
}

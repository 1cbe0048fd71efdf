// The chain engine: Middy's ordering rules, for middlewares in any language around a function in any runtime.
//   before: in declared order; a {"$response"} skips the remaining befores, the handler and every after.
//   after:  in reverse order; a {"$response"} skips the remaining afters.
//   error:  in reverse order, all of them, for an error from the function or from any hook ({"$error"});
//           the error is replaced by what each prints; a {"$response"} recovers and stops there.
// A middleware that breaks the protocol fails the invocation as Middleware.Failed without running error hooks:
// it is the chain that is broken, not the function. Wrapping built-ins (cloudevents) split the chain: what
// comes after them runs once per CloudEvent.
import type { HookContext } from './executable.ts';
import { asLambdaError, MiddlewareFailure, type HookAnswer, type LambdaError } from './hook-answer.ts';
import type { Hook } from './manifest.ts';
import type { CloudEventsResult } from './cloudevents.ts';

export type ChainResult =
  | { kind: 'response'; body: Buffer; streamed: boolean; contentType: string }
  /** An application error: error hooks see it. */
  | { kind: 'error'; error: LambdaError }
  /** The chain itself failed (Middleware.Failed, ServiceException ...): no hook sees it. */
  | { kind: 'failed'; error: LambdaError };

export interface ChainMiddleware {
  name: string;
  hooks: ReadonlySet<Hook>;
  call(hook: Hook, input: unknown, ctx: HookContext): Promise<HookAnswer>;
  /** Built-ins that wrap the rest of the chain instead of having hooks. */
  wrap?(event: unknown, next: (event: unknown) => Promise<CloudEventsResult>, ctx: HookContext): Promise<CloudEventsResult>;
}

export interface ChainRun {
  ctx: HookContext;
  /** The function itself, with the event the befores handed on. */
  callFunction(event: unknown): Promise<ChainResult>;
  /** Total milliseconds spent in middlewares. */
  middlewareMs: number;
  /** One line in the invocation's logs (and the live log). */
  log(line: string): void;
}

type Response = Extract<ChainResult, { kind: 'response' }>;

export function responseOf(value: unknown): Response {
  return { kind: 'response', body: Buffer.from(JSON.stringify(value ?? null)), streamed: false, contentType: 'application/json' };
}

/** The JSON value of a response, as `after` hooks get it (text that is not JSON arrives as a JSON string). */
export function responseValue(result: Response): unknown {
  const text = result.body.toString('utf8');
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The error hooks' input for a failed function: its error body, or a sentence around what it returned. */
export function errorFromBody(body: Buffer, errorType: string): LambdaError {
  const text = body.toString('utf8');
  try {
    return asLambdaError(JSON.parse(text)) ?? { errorType, errorMessage: text };
  } catch {
    return { errorType, errorMessage: text };
  }
}

async function callHook(run: ChainRun, mw: ChainMiddleware, hook: Hook, input: unknown): Promise<HookAnswer | { kind: 'failed'; error: LambdaError }> {
  const started = performance.now();
  let outcome = '';
  try {
    const answer = await mw.call(hook, input, run.ctx);
    if (answer.kind === 'respond') outcome = ' answered early';
    if (answer.kind === 'raise') outcome = ` raised ${answer.error.errorType}`;
    return answer;
  } catch (err) {
    outcome = ' failed';
    const failure = err instanceof MiddlewareFailure ? err : new MiddlewareFailure(mw.name, hook, (err as Error).message);
    return { kind: 'failed', error: failure.toLambdaError() };
  } finally {
    const ms = performance.now() - started;
    run.middlewareMs += ms;
    run.log(`MIDDLEWARE ${mw.name} ${hook} ${ms.toFixed(2)} ms${outcome}`);
  }
}

/** Runs middlewares (Middy's rules) around `inner`. */
async function runHooks(run: ChainRun, middlewares: ChainMiddleware[], event: unknown, inner: (event: unknown) => Promise<ChainResult>): Promise<ChainResult> {
  let error: LambdaError | undefined;
  let response: Response | undefined;
  let early = false;
  for (const mw of middlewares) {
    if (!mw.hooks.has('before')) continue;
    const answer = await callHook(run, mw, 'before', event);
    if (answer.kind === 'failed') return answer;
    if (answer.kind === 'raise') {
      error = answer.error;
      break;
    }
    if (answer.kind === 'respond') {
      response = responseOf(answer.value);
      early = true;
      break;
    }
    event = answer.value;
  }
  if (!error && !early) {
    const result = await inner(event);
    if (result.kind === 'failed') return result;
    if (result.kind === 'error') error = result.error;
    else response = result;
    // A streamed response has already gone to the caller as it was written: there is nothing left to replace.
    if (response && !response.streamed) {
      for (const mw of [...middlewares].reverse()) {
        if (!mw.hooks.has('after')) continue;
        const answer = await callHook(run, mw, 'after', responseValue(response!));
        if (answer.kind === 'failed') return answer;
        if (answer.kind === 'raise') {
          error = answer.error;
          response = undefined;
          break;
        }
        response = responseOf(answer.value);
        if (answer.kind === 'respond') break;
      }
    } else if (response?.streamed && middlewares.some((m) => m.hooks.has('after'))) {
      run.log('MIDDLEWARE after hooks skipped: the response was streamed to the caller as the function wrote it');
    }
  }
  if (error) {
    for (const mw of [...middlewares].reverse()) {
      if (!mw.hooks.has('error')) continue;
      const answer = await callHook(run, mw, 'error', error);
      if (answer.kind === 'failed') return answer;
      if (answer.kind === 'respond') return responseOf(answer.value);
      error = answer.kind === 'raise' ? answer.error : (answer.value as LambdaError);
    }
    return { kind: 'error', error };
  }
  return response!;
}

/** Runs a whole chain: hook middlewares around the function, split at wrapping built-ins. */
export function runChain(run: ChainRun, middlewares: ChainMiddleware[], event: unknown): Promise<ChainResult> {
  const at = middlewares.findIndex((m) => m.wrap);
  if (at < 0) return runHooks(run, middlewares, event, (e) => run.callFunction(e));
  const wrapper = middlewares[at]!;
  const rest = middlewares.slice(at + 1);
  return runHooks(run, middlewares.slice(0, at), event, async (e) => {
    const started = performance.now();
    let innerMs = 0;
    const next = async (inner: unknown): Promise<CloudEventsResult> => {
      const before = performance.now();
      const result = await runChain(run, rest, inner);
      innerMs += performance.now() - before;
      if (result.kind === 'response') return { kind: 'response', value: responseValue(result) };
      return result;
    };
    try {
      const result = await wrapper.wrap!(e, next, run.ctx);
      return result.kind === 'response' ? responseOf(result.value) : result;
    } catch (err) {
      return {
        kind: 'failed',
        error: {
          errorType: 'Middleware.Failed',
          errorMessage: `Middleware "${wrapper.name}" failed: ${(err as Error).message}. Check that the event is one it can convert, or remove it from the function's middlewares.`,
          middleware: wrapper.name,
        },
      };
    } finally {
      // The wrapper's own time (conversions), not the function's it waited for.
      run.middlewareMs += performance.now() - started - innerMs;
    }
  });
}

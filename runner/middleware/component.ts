// Component middlewares: a `middlewares/<name>.wasm` WebAssembly component of the `middleware` world in
// wit/middleware/middleware.wit, run by the WASI runner (a fresh instance per call, like handlers). This file adapts the
// world's typed `before` / `after` / `on-error` exports to the chain's hook answers; the host that instantiates
// components is the WASI runner's (runner/runtimes/wasi/), handed in through createMiddlewareRunner().
import { MiddlewareFailure, readHookValue, type HookAnswer } from './hook-answer.ts';
import type { HookContext } from './executable.ts';
import type { Hook, MiddlewareCapabilities } from './manifest.ts';

/** The world's `answer` variant, as jco lifts it. JSON values are UTF-8 JSON text. */
export type ComponentAnswer =
  | { tag: 'next'; val: string }
  | { tag: 'respond'; val: string }
  | { tag: 'fail'; val: { errorType: string; errorMessage: string } };

/** What the WASI runner provides to run one export of a middleware component. */
export interface ComponentMiddlewareHost {
  callMiddleware(
    wasmPath: string,
    exportName: 'before' | 'after' | 'on-error',
    input: string | { errorType: string; errorMessage: string },
    ctx: { requestId: string; functionName: string; deadlineMs: bigint },
    opts: { timeoutMs: number; environment: Record<string, string>; log(line: string): void; capabilities?: MiddlewareCapabilities },
  ): Promise<ComponentAnswer>;
}

const EXPORTS: Record<Hook, 'before' | 'after' | 'on-error'> = { before: 'before', after: 'after', error: 'on-error' };

export async function callComponentHook(
  host: ComponentMiddlewareHost | undefined,
  name: string,
  wasmPath: string,
  hook: Hook,
  input: unknown,
  ctx: HookContext,
  timeoutMs: number,
  capabilities?: MiddlewareCapabilities,
): Promise<HookAnswer> {
  if (!host) {
    throw new MiddlewareFailure(
      name,
      hook,
      `it is a component middleware (${wasmPath}) and this runner has no WASI component host yet; use an executable middleware for now`,
    );
  }
  const arg =
    hook === 'error'
      ? {
          errorType: String((input as { errorType?: unknown }).errorType ?? 'Error'),
          errorMessage: String((input as { errorMessage?: unknown }).errorMessage ?? ''),
        }
      : JSON.stringify(input ?? null);
  let answer: ComponentAnswer;
  try {
    answer = await host.callMiddleware(
      wasmPath,
      EXPORTS[hook],
      arg,
      { requestId: ctx.requestId, functionName: ctx.functionName, deadlineMs: BigInt(ctx.deadlineMs) },
      { timeoutMs, environment: ctx.environment, log: ctx.log, capabilities },
    );
  } catch (err) {
    throw new MiddlewareFailure(name, hook, `the component trapped or could not run: ${(err as Error).message}`);
  }
  if (answer.tag === 'fail') return { kind: 'raise', error: { errorType: answer.val.errorType, errorMessage: answer.val.errorMessage } };
  let value: unknown;
  try {
    value = JSON.parse(answer.val);
  } catch (err) {
    throw new MiddlewareFailure(name, hook, `its ${answer.tag} answer is not JSON (${(err as Error).message})`, { stdout: answer.val });
  }
  if (answer.tag === 'respond') return { kind: 'respond', value };
  return readHookValue(value, name, hook, { stdout: answer.val });
}

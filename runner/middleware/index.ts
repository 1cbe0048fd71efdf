// Runner-level middleware chains (PROTOCOL.md): createMiddlewareRunner() is what LocalLambda.setMiddlewareRunner
// takes. Each invocation of a function with middlewares resolves them in the function's workspace, runs the
// chain around the function (any runtime), and settles the caller's invocation with the chain's answer, the
// function's report plus the middleware time, and every hook's duration in the logs.
import { createHash } from 'node:crypto';
import type { FunctionSpec } from '../functions/model.ts';
import type { Report } from '../protocol.ts';
import type { Invocation, Outcome } from '../environments/invocation.ts';
import type { MiddlewareRunner } from '../local-lambda.ts';
import { runChain, errorFromBody, type ChainMiddleware, type ChainResult, type ChainRun } from './chain.ts';
import { runCloudEvents } from './cloudevents.ts';
import { callComponentHook, type ComponentMiddlewareHost } from './component.ts';
import { LongLivedMiddleware, runHookProcess, stopRunningHooks, type HookContext } from './executable.ts';
import type { LambdaError } from './hook-answer.ts';
import { HOOKS, hookTimeoutMs, type Hook } from './manifest.ts';
import { MiddlewareManifestError, MiddlewareNotFoundError, resolveMiddleware, type ResolvedMiddleware } from './resolve.ts';

export type { ComponentMiddlewareHost } from './component.ts';

export interface MiddlewareRunnerOptions {
  /** Runs component middlewares (the WASI runner's host); without it, a .wasm middleware fails with a sentence. */
  components?: ComponentMiddlewareHost;
}

export interface ChainMiddlewareRunner extends MiddlewareRunner {
  /** Pids of the long-lived middleware processes now running (tests, status). */
  longLivedPids(): number[];
}

/**
 * A wrapping built-in named twice (cloudevents inside cloudevents would convert its own CloudEvents again): the chain
 * is refused, every invocation failing with Middleware.Failed, as the layer's proxy refuses it (layer/proxy/main.go).
 */
function builtinNamedTwice(middlewares: readonly ChainMiddleware[]): string | undefined {
  const seen = new Set<string>();
  for (const mw of middlewares) {
    if (!mw.wrap) continue;
    if (seen.has(mw.name)) return mw.name;
    seen.add(mw.name);
  }
  return undefined;
}

export function createMiddlewareRunner(options: MiddlewareRunnerOptions = {}): ChainMiddlewareRunner {
  const longLived = new Map<string, { key: string; process: LongLivedMiddleware }>();
  /** Hash of a function's environment, per FunctionSpec object (a reload makes new objects). */
  const environmentKeys = new WeakMap<FunctionSpec, string>();
  let closed = false;

  /** One long-lived process per function and middleware; a changed command or environment starts a new one. */
  function longLivedFor(fn: FunctionSpec, mw: Extract<ResolvedMiddleware, { kind: 'executable' }>): LongLivedMiddleware {
    const slot = `${fn.name}\0${mw.name}`;
    let envKey = environmentKeys.get(fn);
    if (envKey === undefined) {
      envKey = createHash('sha1').update(JSON.stringify(fn.environment)).digest('hex');
      environmentKeys.set(fn, envKey);
    }
    const key = `${mw.command}\0${mw.args.join('\0')}\0${envKey}`;
    const existing = longLived.get(slot);
    if (existing?.key === key) return existing.process;
    void existing?.process.close();
    const process = new LongLivedMiddleware({ name: mw.name, path: mw.path, command: mw.command, args: mw.args }, fn.name, fn.environment);
    longLived.set(slot, { key, process });
    return process;
  }

  function chainMiddleware(fn: FunctionSpec, mw: ResolvedMiddleware): ChainMiddleware {
    if (mw.kind === 'builtin') {
      return {
        name: mw.name,
        hooks: new Set(),
        call: () => Promise.reject(new Error('built-in middlewares have no hooks')),
        wrap: (event, next, ctx) => runCloudEvents(event, fn.name, next, ctx.log),
      };
    }
    const hooks = new Set<Hook>(mw.manifest?.hooks ?? HOOKS);
    if (mw.kind === 'component') {
      return {
        name: mw.name,
        hooks,
        call: (hook, input, ctx) =>
          callComponentHook(options.components, mw.name, mw.path, hook, input, ctx, hookTimeoutMs(mw.manifest, hook), mw.manifest?.capabilities),
      };
    }
    const spec = { name: mw.name, path: mw.path, command: mw.command, args: mw.args };
    if (mw.manifest?.longLived) {
      return { name: mw.name, hooks, call: (hook, input, ctx) => longLivedFor(fn, mw).call(hook, input, ctx, hookTimeoutMs(mw.manifest, hook)) };
    }
    return { name: mw.name, hooks, call: (hook, input, ctx) => runHookProcess(spec, hook, input, ctx, hookTimeoutMs(mw.manifest, hook)) };
  }

  async function runInvocation(
    fn: FunctionSpec,
    names: string[],
    outer: Invocation,
    dispatch: (payload: Buffer) => Invocation,
    log: (line: string) => void,
  ): Promise<void> {
    const reports: Report[] = [];
    const logLine = (line: string) => {
      outer.logs.push(line);
      log(line);
    };
    let result: ChainResult;
    const run: ChainRun = {
      ctx: {
        requestId: outer.requestId,
        functionName: fn.name,
        deadlineMs: Date.now() + fn.timeout * 1000,
        environment: fn.environment,
        log: logLine,
      } satisfies HookContext,
      middlewareMs: 0,
      log: logLine,
      callFunction: async (event) => {
        const payload = event === originalEvent ? outer.payload : Buffer.from(JSON.stringify(event) ?? 'null');
        let inv: Invocation;
        try {
          inv = dispatch(payload);
        } catch (err) {
          // The concurrency slot was taken before the chain ran (a throttle never reaches here): the runner failed.
          return { kind: 'failed', error: { errorType: 'ServiceException', errorMessage: (err as Error).message } };
        }
        const dispatched = Date.now();
        const completion = await inv.completed;
        // Under a debugger the function's timeout is suspended (it may sit at a breakpoint for minutes): that time is
        // not the chain's either, so the hooks after it get a deadline moved on by it, not one long past.
        if (inv.debugged) run.ctx.deadlineMs += Date.now() - dispatched;
        reports.push(completion.report);
        outer.logs.push(...completion.logs);
        const o = completion.outcome;
        if (o.ok) return { kind: 'response', body: o.body, streamed: o.streamed, contentType: o.contentType };
        return { kind: 'error', error: errorFromBody(o.body, o.errorType) };
      },
    };
    const originalEvent = parseEvent(outer.payload);
    if (closed) {
      result = { kind: 'failed', error: { errorType: 'ServiceException', errorMessage: 'The runner is shutting down: invoke again once it has restarted.' } };
    } else {
      try {
        const middlewares = names.map((name) => chainMiddleware(fn, resolveMiddleware(fn, name)));
        const twice = builtinNamedTwice(middlewares);
        if (twice) throw new Error(`"${twice}" is named twice in the chain: name it once.`);
        result = await runChain(run, middlewares, originalEvent);
      } catch (err) {
        const errorType =
          err instanceof MiddlewareNotFoundError
            ? 'Middleware.NotFound'
            : err instanceof MiddlewareManifestError
              ? 'Middleware.InvalidManifest'
              : 'Middleware.Failed';
        logLine(`MIDDLEWARE ${(err as Error).message}`);
        result = { kind: 'failed', error: { errorType, errorMessage: (err as Error).message } };
      }
    }
    outer.settle(outcomeOf(result));
    outer.complete(chainReport(fn, reports, run.middlewareMs));
  }

  return {
    run(fn, names, outer, dispatch, log) {
      void runInvocation(fn, names, outer, dispatch, log).catch((err: Error) => {
        // A bug of the engine itself: still answer the caller.
        outer.settle(
          outcomeOf({ kind: 'failed', error: { errorType: 'ServiceException', errorMessage: `The middleware chain failed unexpectedly: ${err.message}` } }),
        );
        outer.complete(chainReport(fn, [], 0));
      });
    },
    longLivedPids() {
      return [...longLived.values()].map((l) => l.process.pid).filter((p): p is number => p !== undefined);
    },
    async close() {
      closed = true;
      stopRunningHooks();
      await Promise.all([...longLived.values()].map((l) => l.process.close()));
      longLived.clear();
    },
  };
}

function parseEvent(payload: Buffer): unknown {
  const text = payload.toString('utf8');
  if (!text.trim()) return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function outcomeOf(result: ChainResult): Outcome {
  if (result.kind === 'response') return { ok: true, body: result.body, streamed: result.streamed, contentType: result.contentType };
  return errorOutcomeOf(result.error);
}

function errorOutcomeOf(error: LambdaError): Outcome {
  return { ok: false, errorType: error.errorType, streamed: false, body: Buffer.from(JSON.stringify(error)) };
}

/** The function's report(s) with the middleware time added: what the caller's REPORT shows. */
function chainReport(fn: FunctionSpec, reports: Report[], middlewareMs: number): Report {
  const durationMs = reports.reduce((sum, r) => sum + r.durationMs, 0) + middlewareMs;
  const report: Report = {
    durationMs: Math.round(durationMs * 100) / 100,
    billedDurationMs: Math.max(1, Math.ceil(durationMs)),
    memorySizeMB: reports[0]?.memorySizeMB ?? fn.memorySize,
    maxMemoryUsedMB: reports.reduce((max, r) => Math.max(max, r.maxMemoryUsedMB), 0),
  };
  const init = reports.find((r) => r.initDurationMs !== undefined)?.initDurationMs;
  if (init !== undefined) report.initDurationMs = init;
  return report;
}

// The execution environments of one function: warm ones are reused and new ones start when none is idle. How
// many run at once is not decided here: LocalLambda takes a slot of the function's ConcurrencyGate
// (concurrency-gate.ts, shared with WASI components) before an invocation reaches the pool.
import type { FunctionSpec } from '../functions/model.ts';
import { Environment, type EnvironmentHooks, type EnvironmentOptions } from './environment.ts';
import type { Invocation } from './invocation.ts';

/** Over the function's concurrency: the caller gets 429 TooManyRequestsException. */
export class TooManyRequestsError extends Error {}

/** The pool's hooks, including the retry of an invocation that never reached its function. */
type PoolHooks = EnvironmentHooks & {
  /** This invocation never reached the function: run it on a fresh environment. It already holds a slot. */
  retry(env: Environment, inv: Invocation): void;
};

export class FunctionPool {
  fn: FunctionSpec;
  private readonly envs = new Set<Environment>();
  private readonly idle: Environment[] = [];
  /** Debug environments started before their invocation, by the id the invocation claims them with (prepareDebug). */
  private readonly prepared = new Map<string, Environment>();
  private readonly hooks: PoolHooks;
  private readonly options: Omit<EnvironmentOptions, 'debug'>;
  private readonly changed: () => void;

  constructor(fn: FunctionSpec, hooks: Omit<EnvironmentHooks, 'retry'>, options: Omit<EnvironmentOptions, 'debug'>, changed: () => void) {
    this.fn = fn;
    this.options = options;
    this.changed = changed;
    this.hooks = {
      ...hooks,
      idle: (env) => {
        hooks.idle(env);
        // A debug environment started ahead of its invocation is idle until the invocation claims it: never anyone else's.
        if (env.debugging) return;
        if (env.stale) return void env.stop('spindown');
        this.idle.push(env);
        this.changed();
      },
      gone: (env) => {
        this.envs.delete(env);
        const at = this.idle.indexOf(env);
        if (at >= 0) this.idle.splice(at, 1);
        if (env.preparedId !== undefined && this.prepared.get(env.preparedId) === env) this.prepared.delete(env.preparedId);
        hooks.gone(env);
        this.changed();
      },
      // Never refused: the invocation's slot was taken when it first arrived.
      retry: (_env, inv) => void this.startEnvironment(inv),
    };
  }

  get size(): number {
    return this.envs.size;
  }

  environments(): Environment[] {
    return [...this.envs];
  }

  /**
   * Runs an invocation (which holds a concurrency slot) in a warm environment, or a new one. A tenant-isolated
   * function's environments each serve one tenant: only an idle one of the invocation's tenant is warm for it.
   */
  run(inv: Invocation, opts: { debug?: EnvironmentOptions['debug']; prepared?: string | undefined } = {}): Environment {
    if (opts.debug) {
      const ready = opts.prepared === undefined ? undefined : this.claimPrepared(opts.prepared, inv);
      if (ready) {
        ready.assign(inv);
        return ready;
      }
      return this.startEnvironment(inv, opts.debug);
    }
    // Lambda Managed Instances: an environment running fewer than its maxConcurrency invocations takes one more.
    const joinable = this.fn.maxConcurrency !== undefined && this.fn.maxConcurrency > 1 ? [...this.envs].find((env) => env.hasRoom(inv)) : undefined;
    if (joinable) {
      joinable.assign(inv);
      return joinable;
    }
    const at = this.idle.findLastIndex((env) => env.tenantId === inv.tenantId);
    if (at >= 0) {
      const warm = this.idle.splice(at, 1)[0]!;
      warm.assign(inv);
      return warm;
    }
    return this.startEnvironment(inv);
  }

  /**
   * Starts a debug environment before its invocation is known (the editor's Debug click, while the user picks the
   * event): its runtime starts and waits for the debugger, which attaches meanwhile; `run` with the same `id` hands it
   * the invocation. Until then it is idle but nobody else's.
   */
  prepareDebug(id: string, debug: NonNullable<EnvironmentOptions['debug']>): Environment {
    const env = new Environment(this.fn, this.hooks, { ...this.options, debug, prepared: id });
    this.envs.add(env);
    this.prepared.set(id, env);
    void env.start();
    this.changed();
    return env;
  }

  /** Stops the debug environment prepared as `id` (the user left the picker); false when there is none. */
  discardPrepared(id: string): boolean {
    const env = this.prepared.get(id);
    if (!env) return false;
    this.prepared.delete(id);
    void env.stop('spindown');
    return true;
  }

  /** Whether a debug environment prepared as `id` still waits for its invocation. */
  hasPrepared(id: string): boolean {
    return this.prepared.has(id);
  }

  /** The environment prepared as `id` for this invocation, if it can still take it (else it is stopped). */
  private claimPrepared(id: string, inv: Invocation): Environment | undefined {
    const env = this.prepared.get(id);
    if (!env) return undefined;
    this.prepared.delete(id);
    if (!env.retired && env.tenantId === inv.tenantId && env.current === undefined) return env;
    void env.stop('spindown');
    return undefined;
  }

  private startEnvironment(inv: Invocation, debug?: EnvironmentOptions['debug']): Environment {
    const env = new Environment(this.fn, this.hooks, { ...this.options, debug, tenantId: inv.tenantId });
    this.envs.add(env);
    env.assign(inv);
    void env.start();
    this.changed();
    return env;
  }

  /** New code or configuration: idle environments go now, busy ones after their invocation. */
  replaceEnvironments(fn: FunctionSpec): void {
    this.fn = fn;
    for (const env of this.envs) env.stale = true;
    for (const env of this.idle.splice(0)) void env.stop('spindown');
    for (const id of [...this.prepared.keys()]) this.discardPrepared(id);
  }

  async stopAll(): Promise<void> {
    this.idle.length = 0;
    await Promise.all([...this.envs].map((env) => env.stop('spindown')));
  }
}

// The execution environments of one function: warm ones are reused, new ones start up to the
// function's concurrency cap, and callers beyond it are told so (429), like Lambda.
import type { FunctionSpec } from '../functions/model.ts';
import { Environment, type EnvironmentHooks, type EnvironmentOptions } from './environment.ts';
import type { Invocation } from './invocation.ts';

export class TooManyRequestsError extends Error {}

export class FunctionPool {
  fn: FunctionSpec;
  private readonly envs = new Set<Environment>();
  private readonly idle: Environment[] = [];
  /** Asynchronous (Event) invocations wait here for a free environment instead of being refused. */
  private readonly queued: Invocation[] = [];
  private readonly hooks: EnvironmentHooks;
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
        const next = this.queued.shift();
        if (next) return env.assign(next);
        if (env.stale) return void env.stop('spindown');
        this.idle.push(env);
        this.changed();
      },
      // It holds a concurrency slot already: a fresh environment, never a 429.
      retry: (_env, inv) => void this.startEnvironment(inv),
      gone: (env) => {
        this.envs.delete(env);
        const at = this.idle.indexOf(env);
        if (at >= 0) this.idle.splice(at, 1);
        hooks.gone(env);
        this.changed();
        // A queued event gets the capacity the environment freed.
        const next = this.queued.shift();
        if (next) this.run(next, { queue: true });
      },
    };
  }

  get size(): number {
    return this.envs.size;
  }

  environments(): Environment[] {
    return [...this.envs];
  }

  /** Runs an invocation in a warm environment, or a new one while under the cap. */
  run(inv: Invocation, opts: { queue?: boolean; debug?: EnvironmentOptions['debug'] } = {}): Environment | undefined {
    if (opts.debug) return this.startEnvironment(inv, opts.debug);
    const warm = this.idle.pop();
    if (warm) {
      warm.assign(inv);
      return warm;
    }
    if (this.envs.size < this.fn.concurrency) return this.startEnvironment(inv);
    if (opts.queue) {
      this.queued.push(inv);
      return undefined;
    }
    throw new TooManyRequestsError(`Rate Exceeded. Function ${this.fn.name} already runs ${this.envs.size} concurrent invocations (its concurrency limit is ${this.fn.concurrency}).`);
  }

  private startEnvironment(inv: Invocation, debug?: EnvironmentOptions['debug']): Environment {
    const env = new Environment(this.fn, this.hooks, { ...this.options, debug });
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
  }

  async stopAll(): Promise<void> {
    this.idle.length = 0;
    await Promise.all([...this.envs].map((env) => env.stop('spindown')));
  }
}

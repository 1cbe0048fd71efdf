// The runner of WASI 0.2 component functions (Runtime `wasi`): LocalLambda hands it each invocation, and it
// answers like an execution environment would, with START/END/REPORT lines, the guest's output as log lines
// and Lambda-style error types. Components run in a pool of worker threads, in a fresh instance per
// invocation unless the function opted into reuse.
import { statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { FunctionSpec } from '../../functions/model.ts';
import { ComponentSettings } from '../../functions/model.ts';
import type { Report } from '../../protocol.ts';
import { errorOutcome, type Invocation, type Outcome } from '../../environments/invocation.ts';
import { deployedName } from '../../functions/model.ts';
import { functionArn } from '../../functions/arns.ts';
import type { InProcessRunner } from '../../local-lambda.ts';
import { ComponentLoadError, ComponentStore, defaultCacheDir, type CompiledComponent } from './component-store.ts';
import type { GuestSettings } from './messages.ts';
import { WorkerPool, spawnWorker, type JobEnd } from './worker-pool.ts';
import { checkComponent } from './world.ts';
import { guestCapabilities } from './capabilities/grants.ts';
import { CapabilityProviders } from './capabilities/providers.ts';
import { RUNTIME_EXIT_ERROR, RUNTIME_INVALID_ENTRYPOINT, SANDBOX_TIMEDOUT } from '../../lambda-errors.ts';

export interface ComponentRunnerOptions {
  /** Where transpiled components are cached, by content hash. Default: `$XDG_CACHE_HOME/open-runtime/wasi`. */
  cacheDir?: string;
  /** Worker threads running invocations. Default: one per core. */
  workers?: number;
}

export interface ComponentRunner extends InProcessRunner {
  /** Worker threads alive now. */
  readonly workerCount: number;
  /** Its worker pool and transpile cache, which component middlewares share (middleware-host.ts). */
  readonly shared: SharedComponentParts;
  /** Executable capability providers and the built-in messaging (capabilities/providers.ts). */
  readonly providers: CapabilityProviders;
  /** Lets the built-in messaging invoke the runner's functions. */
  attach(lambda: { invoke: (name: string, payload: Buffer) => { settled: Promise<{ ok: boolean; body: Buffer; errorType?: string }> } }): void;
}

export interface SharedComponentParts {
  store: ComponentStore;
  pool: WorkerPool;
}

const MIB = 1024 * 1024;

export function createComponentRunner(options: ComponentRunnerOptions = {}): ComponentRunner {
  const store = new ComponentStore(options.cacheDir ?? defaultCacheDir(), () => spawnWorker('prepare'));
  const pool = new WorkerPool(options.workers);
  const providers = new CapabilityProviders();
  pool.hostCalls = (call) => providers.answer(call);
  const lastKey = new Map<string, string>();
  /**
   * The function's component, checked and compiled, with what its worker needs. Kept per FunctionSpec object
   * (LocalLambda replaces it when the definition changes) and reused while the .wasm keeps its size, mtime and
   * inode: the hot path of an invocation is one stat.
   */
  const ready = new WeakMap<FunctionSpec, Ready>();

  return {
    get workerCount() {
      return pool.workerCount;
    },
    get shared() {
      return { store, pool };
    },
    providers,
    attach(lambda) {
      providers.connect((name, payload) => lambda.invoke(name, payload));
    },
    // How many run at once is LocalLambda's concurrency gate's business (environments/concurrency-gate.ts).
    run(fn, inv, log) {
      void invokeComponent(fn, inv, log);
    },
    forget(fn) {
      ready.delete(fn);
      store.forget(componentPath(fn));
      pool.forget(fn.name);
    },
    async close() {
      await Promise.all([pool.close(), store.close(), providers.close()]);
    },
  };

  async function load(fn: FunctionSpec): Promise<{ ready: Ready; initMs: number }> {
    const file = componentPath(fn);
    const known = ready.get(fn);
    const info = statSync(file, { throwIfNoEntry: false });
    if (known && info && known.mtimeMs === info.mtimeMs && known.size === info.size && known.ino === info.ino) return { ready: known, initMs: 0 };
    const started = performance.now();
    const settings = ComponentSettings.parse(fn.component ?? {});
    const shown = `${relative(fn.codeUri, file) || file} (function ${fn.name})`;
    const { component, didWork } = await store.prepare(file, shown);
    const check = checkComponent(component.world, settings, shown);
    if (!check.ok) throw new ComponentLoadError(check.errorType, check.errorMessage);
    const build = store.compile(component, fn.memorySize, shown);
    const compiled = await build.compiled;
    // The same function with a new component: instances of the old one must not be reused, and the old
    // compiled modules go once no function runs them.
    const previous = lastKey.get(fn.name);
    if (previous !== compiled.key) {
      lastKey.set(fn.name, compiled.key);
      if (previous) {
        const stillUsed = [...lastKey.values()].includes(previous);
        if (!stillUsed) store.dropCompiled(previous);
        pool.forget(fn.name, stillUsed ? undefined : previous);
      }
    }
    const guest: GuestSettings = {
      functionName: deployedName(fn),
      functionArn: functionArn(fn),
      memorySizeMB: fn.memorySize,
      world: settings.world,
      exportName: check.exportName,
      reuseInstance: settings.reuseInstance,
      environment: fn.environment,
      preopens: settings.preopens.map((p) => ({ host: resolve(fn.codeUri, p.host), guest: p.guest, readOnly: p.readOnly })),
      allowedHosts: settings.allowedHosts,
      capabilities: guestCapabilities(fn, settings),
    };
    const entry: Ready = { compiled, guest, mtimeMs: info?.mtimeMs ?? 0, size: info?.size ?? 0, ino: info?.ino ?? 0 };
    ready.set(fn, entry);
    return { ready: entry, initMs: didWork || build.didWork ? performance.now() - started : 0 };
  }

  async function invokeComponent(fn: FunctionSpec, inv: Invocation, log: (line: string) => void): Promise<void> {
    const platform = (line: string) => {
      inv.logs.push(line);
      log(line);
    };
    const reporter = new Reporter(fn, inv, platform);
    const loadStarted = performance.now();
    let loaded: Ready;
    let initMs: number;
    try {
      ({ ready: loaded, initMs } = await load(fn));
    } catch (error) {
      ready.delete(fn);
      const { errorType, message } = error instanceof ComponentLoadError ? error : { errorType: RUNTIME_INVALID_ENTRYPOINT, message: String(error) };
      reporter.begin();
      platform(`${errorType}: ${message}`);
      reporter.finish(errorOutcome(errorType, message), 0, performance.now() - loadStarted);
      return;
    }

    await new Promise<void>((done) => {
      pool.run({
        functionName: fn.name,
        reuseInstance: loaded.guest.reuseInstance,
        timeoutMs: fn.timeout * 1000,
        component: loaded.compiled,
        settings: loaded.guest,
        start(waitedForWorkerMs) {
          initMs += waitedForWorkerMs;
          reporter.begin();
          return { payload: inv.payload.toString('utf8'), requestId: inv.requestId, deadlineMs: inv.deadlineMs, clientContext: inv.clientContext };
        },
        line(_stream, line) {
          platform(line);
        },
        end(end: JobEnd) {
          reporter.finish(outcomeOf(end, fn, inv, platform), end.kind === 'result' ? end.memoryBytes : 0, initMs);
          done();
        },
      });
    });
  }
}

interface Ready {
  compiled: CompiledComponent;
  guest: GuestSettings;
  mtimeMs: number;
  size: number;
  ino: number;
}

/** The component's file: Handler, relative to CodeUri. */
function componentPath(fn: FunctionSpec): string {
  return resolve(fn.codeUri, fn.handler || 'component.wasm');
}

function outcomeOf(end: JobEnd, fn: FunctionSpec, inv: Invocation, platform: (line: string) => void): Outcome {
  if (end.kind === 'timeout') {
    const seconds = fn.timeout.toFixed(2);
    platform(`${new Date().toISOString()} ${inv.requestId} Task timed out after ${seconds} seconds`);
    return errorOutcome(SANDBOX_TIMEDOUT, `RequestId: ${inv.requestId} Error: Task timed out after ${seconds} seconds`);
  }
  if (end.kind === 'crash') {
    platform(`Runtime.ExitError: ${end.message}`);
    return errorOutcome(RUNTIME_EXIT_ERROR, `RequestId: ${inv.requestId} Error: ${end.message}`);
  }
  const { result } = end;
  if (result.ok) return { ok: true, body: Buffer.from(result.body, 'utf8'), streamed: false, contentType: 'application/json' };
  // Failures the runner detected are logged like a runtime would; a guest's own error is its business to log.
  if (result.errorType.startsWith('Runtime.')) platform(`${result.errorType}: ${result.errorMessage}`);
  return errorOutcome(result.errorType, result.errorMessage, result.stackTrace ? { stackTrace: result.stackTrace } : {});
}

/** START, END and REPORT, in the exact Lambda format. */
class Reporter {
  private startedAt = 0;
  private readonly fn: FunctionSpec;
  private readonly inv: Invocation;
  private readonly platform: (line: string) => void;
  constructor(fn: FunctionSpec, inv: Invocation, platform: (line: string) => void) {
    this.fn = fn;
    this.inv = inv;
    this.platform = platform;
  }

  begin(): void {
    this.startedAt = performance.now();
    this.inv.deliveredAt = this.startedAt;
    this.inv.deadlineMs = Date.now() + this.fn.timeout * 1000;
    this.platform(`START RequestId: ${this.inv.requestId} Version: $LATEST`);
  }

  finish(outcome: Outcome, memoryBytes: number, initMs: number): void {
    this.inv.settle(outcome);
    const durationMs = performance.now() - this.startedAt;
    const report: Report = {
      durationMs: round(durationMs),
      billedDurationMs: Math.max(1, Math.ceil(durationMs)),
      memorySizeMB: this.fn.memorySize,
      // The guest's linear memory: what a component can use of MemorySize.
      maxMemoryUsedMB: Math.ceil(memoryBytes / MIB),
    };
    if (initMs > 0) report.initDurationMs = round(initMs);
    this.platform(`END RequestId: ${this.inv.requestId}`);
    this.platform(
      `REPORT RequestId: ${this.inv.requestId}\tDuration: ${report.durationMs.toFixed(2)} ms\tBilled Duration: ${report.billedDurationMs} ms\t` +
        `Memory Size: ${report.memorySizeMB} MB\tMax Memory Used: ${report.maxMemoryUsedMB} MB` +
        (report.initDurationMs !== undefined ? `\tInit Duration: ${report.initDurationMs.toFixed(2)} ms` : '') +
        '\t',
    );
    this.inv.complete(report);
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

// The local Lambda service: the functions, their environments, and the one HTTP server that serves the Invoke
// API and control API on the main port and every environment's Runtime API there too (a connection to a Runtime API
// path belongs to the environment whose process made it: runtime-api/access.ts), so that a remote editor forwards one
// port, not one per environment. Where the runner cannot tell who connects, each environment has its own port.
import { watch, type FSWatcher } from 'node:fs';
import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import { relative } from 'node:path';
import { middlewaresOf, tenantProblem, type DebuggerLanguage, type FunctionSpec, type HttpEvent } from './functions/model.ts';
import { debuggerLanguage, notDebuggable } from './runtimes/go-debug.ts';
import { findFunction } from './functions/address.ts';
import type { DebugMode, DefinitionError, InvokeResult, RunnerEvent } from './protocol.ts';
import { Environment, type EnvironmentHooks } from './environments/environment.ts';
import { errorOutcome, Invocation, type Completion, type StreamListener } from './environments/invocation.ts';
import { FunctionPool, TooManyRequestsError } from './environments/pool.ts';
import { ConcurrencyGate, throttleMessage } from './environments/concurrency-gate.ts';
import { handleEnvironmentRequest, isRuntimeApiPath } from './runtime-api/runtime.ts';
import { PEER_CHECKS, tcpPeerOwner, type RuntimeApiAccess } from './runtime-api/access.ts';
import { sendRuntimeError } from './http-util.ts';
import { serveRuntimeConnection } from './runtime-api/runtime-connection.ts';
import { IDLE_CONNECTION_MS, servePlainRequests, type PlainRoute } from './plain-requests.ts';
import { forgetCompiled } from './runtimes/spawn.ts';
import { IdleTrim } from './idle-trim.ts';

export { TooManyRequestsError };
export class FunctionNotFoundError extends Error {}
/** The runner is closing: nothing new starts (the caller gets a 503-style ServiceException). */
export class RunnerClosingError extends Error {}
/** An invocation Lambda refuses for its parameters (a tenant id where none goes, or none where one must): 400 InvalidParameterValueException. */
export class InvalidParameterValueError extends Error {}

export type MainRouteHandler = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * Runs functions that are not processes (WASI components). It must settle and complete each invocation it is
 * given, with START/END/REPORT lines in `inv.logs` and through `log`, like an execution environment does.
 */
export interface InProcessRunner {
  run(fn: FunctionSpec, inv: Invocation, log: (line: string) => void): void;
  /** Compiled code or configuration changed: drop what is cached for this function. */
  forget?(fn: FunctionSpec): void;
  /** Gives it the runner's functions (a component's messages invoke them). */
  attach?(lambda: LocalLambda): void;
  close(): Promise<void>;
}

/**
 * Runs a function's runner-level middlewares (runner/middleware/) around it. `run` must settle and complete `outer`,
 * the invocation the caller holds; `dispatch` starts the function itself with the (possibly replaced) event, under the
 * concurrency slot `outer` already holds (taken before any hook runs). `middlewares` are the names to run, in order.
 */
export interface MiddlewareRunner {
  run(fn: FunctionSpec, middlewares: string[], outer: Invocation, dispatch: (payload: Buffer) => Invocation, log: (line: string) => void): void;
  close(): Promise<void>;
}

export interface LocalLambdaOptions {
  port?: number;
  region?: string;
  initTimeoutMs?: number;
  /** Replace warm environments when a function's code changes. */
  hotReload?: boolean;
  /**
   * Who may use an environment's Runtime API: 'environment' (the default, and always the CLI's) admits only that
   * environment's own processes; 'any' admits every local process, for tests that play the runtime themselves.
   */
  runtimeApiAccess?: RuntimeApiAccess;
  /**
   * Every invocation of a Node, Python, Go, Rust, C or C++ function waits for a debugger on this port (`start --debug-port`, as
   * `sam local start-lambda -d`); like an editor's debug session, each gets an environment of its own.
   */
  debugPort?: number | undefined;
  /** With `debugPort`: only these functions' invocations wait for the debugger (`start --debug-function F`); all when empty. */
  debugFunctions?: string[] | undefined;
}

/** A function armed for a debugger (setDebugMode): the port its debugger listens on (0: Node's inspector picks one). */
interface DebugTarget {
  mode: Exclude<DebugMode, 'off'>;
  language: DebuggerLanguage;
  port: number;
}

/** How long a debug environment started ahead of its invocation (prepareDebug) waits for it before it is stopped. */
export const PREPARED_DEBUG_TTL_MS = 10 * 60_000;

export interface InvokeOptions {
  clientContext?: string | undefined;
  cognitoIdentity?: string | undefined;
  streamListener?: StreamListener | undefined;
  /** Wait for a free environment instead of answering 429 (asynchronous `Event` invocations). */
  queue?: boolean;
  /** `prepared`: the debug environment started for it ahead (prepareDebug), used when it is still there. */
  debug?: { language: DebuggerLanguage; port: number; prepared?: string | undefined } | undefined;
  /** A published version (local control plane) to run instead of $LATEST. */
  version?: FunctionSpec | undefined;
  /**
   * For a queued invocation, asked when it gets its slot: a reason means it no longer runs (an event past its age
   * limit) and is answered as a ServiceException with that reason.
   */
  abandonIf?: (() => string | undefined) | undefined;
  /** The request id the caller already has (an asynchronous event's, from its 202). */
  requestId?: string | undefined;
  /** X-Amz-Tenant-Id: required by a tenant-isolated function, refused by any other. */
  tenantId?: string | undefined;
  /** The caller's X-Amzn-Trace-Id. */
  traceHeader?: string | undefined;
}

/**
 * Where asynchronous (Event) invocations wait, are retried and end (invoke/event-queue.ts). Without one, an Event
 * invocation waits in memory for a slot and runs once.
 */
export interface EventQueue {
  /** Keeps the event and answers its request id; throws when the queue is full or closing. */
  enqueue(
    fn: FunctionSpec,
    payload: Buffer,
    clientContext: string | undefined,
    caller?: { tenantId?: string | undefined; traceHeader?: string | undefined },
  ): Promise<string>;
  /** Functions were added, changed or removed. */
  functionsChanged(): void;
  /** Runs nothing more; what waits stays where it is kept. */
  close(): Promise<void>;
}

export class LocalLambda {
  readonly http: HttpServer;
  port = 0;
  private functions = new Map<string, FunctionSpec>();
  definitionErrors: DefinitionError[] = [];
  /** HTTP routes the project declares with an integration that isn't a Lambda proxy: the gateway answers them with 501. */
  notEmulatedRoutes: HttpEvent[] = [];
  private readonly pools = new Map<string, FunctionPool>();
  /** One concurrency gate per function (and published version): processes and components alike. */
  private readonly gates = new Map<string, ConcurrencyGate<QueuedWaiter>>();
  private closing = false;
  /** The environment each Runtime API connection belongs to, found once per connection. */
  private readonly socketOwner = new WeakMap<Socket, Environment>();
  /** Environments whose Runtime API is served on the main port, from their start until they have stopped. */
  private readonly sharedEnvironments = new Set<Environment>();
  /** The environment whose process made the last new Runtime API connection (the likeliest to make the next). */
  private lastRuntimeApiOwner: Environment | undefined;
  private readonly listeners = new Set<(event: RunnerEvent) => void>();
  /** The kinds of event each listener takes (all kinds when absent). */
  private readonly listenerTypes = new Map<(event: RunnerEvent) => void, ReadonlySet<RunnerEvent['type']>>();
  /** Listeners of every kind, and of each kind: an event nobody takes is not even built (the hot path's log lines). */
  private listenersOfAll = 0;
  private readonly listenersOf = new Map<RunnerEvent['type'], number>();
  private readonly watchers = new Map<string, FSWatcher>();
  private componentRunner: InProcessRunner | undefined;
  /** Asynchronous invocations, when a workspace keeps them (start, serve). */
  eventQueue: EventQueue | undefined;
  private middlewareRunner: MiddlewareRunner | undefined;
  private readonly launchOverrides = new Map<string, { command: { command: string; args: string[] }; runtimeApiPort: number | undefined }>();
  /** The main routes a plain keep-alive request may take without node:http (plain-requests.ts). */
  private plainRoute: PlainRoute | undefined;
  private mainRoutes: MainRouteHandler = (_req, res) => {
    res.writeHead(404).end();
  };
  private readonly opts: Required<Omit<LocalLambdaOptions, 'debugPort' | 'debugFunctions'>> & Pick<LocalLambdaOptions, 'debugPort' | 'debugFunctions'>;
  /** Functions whose next (or every) invocation waits for a debugger, whoever calls them (setDebugMode). */
  private readonly debugTargets = new Map<string, DebugTarget>();
  private readonly hooks: Omit<EnvironmentHooks, 'retry'>;
  private readonly idleTrim = new IdleTrim();
  /** Gives a connection, with the bytes read from it but not answered, to node:http. */
  private readonly toNodeHttp: (socket: Socket, unread: Buffer) => void;
  /** Connections served without node:http (Runtime API, plain Invoke API requests): closed with the runner. */
  private readonly ownConnections = new Set<Socket>();
  /** Runtime NOTICEs already said, per function (EnvironmentHooks.firstNotice). */
  private readonly noticesSaid = new Set<string>();

  constructor(opts: LocalLambdaOptions = {}) {
    this.opts = {
      port: 0,
      region: process.env.AWS_REGION ?? 'us-east-1',
      initTimeoutMs: Number(process.env.OPEN_RUNTIME_INIT_TIMEOUT_MS ?? 10_000),
      hotReload: true,
      runtimeApiAccess: 'environment',
      ...opts,
    };
    this.http = createServer(
      { keepAlive: true, noDelay: true, requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: IDLE_CONNECTION_MS },
      (req, res) => {
        // No Date header: one less thing to format on every answer of the hot path (Lambda's Runtime API sends none).
        res.sendDate = false;
        const env = this.socketOwner.get(req.socket);
        if (env) handleEnvironmentRequest(env, req, res);
        else if (this.sharedEnvironments.size && isRuntimeApiPath(req.url)) this.routeRuntimeApi(req, res);
        else this.mainRoutes(req, res);
      },
    );
    // A runtime parks on /next for as long as it is idle: no server-side timeout may close it.
    this.http.timeout = 0;
    // A runtime's connection is served without node:http (runtime-api/runtime-connection.ts); node:http gets the rest,
    // from the runner's own handler of new connections in place of its own.
    const [nodeHttp] = this.http.listeners('connection') as Array<(socket: Socket) => void>;
    this.http.removeListener('connection', nodeHttp!);
    this.toNodeHttp = (socket, unread) => {
      socket.pause();
      if (unread.length) socket.unshift(unread);
      nodeHttp!.call(this.http, socket);
      socket.resume();
    };
    this.http.on('connection', (socket: Socket) => this.onMainPortConnection(socket));
    this.hooks = {
      log: (fn, line, requestId) => {
        if (this.wants('log')) this.emit({ type: 'log', function: fn.name, requestId, line });
      },
      gone: () => undefined,
      idle: () => this.idleTrim.activity(),
      firstNotice: (fn, notice) => {
        const key = `${fn.name}\0${notice}`;
        if (this.noticesSaid.has(key)) return false;
        this.noticesSaid.add(key);
        return true;
      },
      debugReady: (env, language, port) => {
        // Inside a middleware chain the function's invocation is not the one its caller knows: name the caller's.
        const requestId = env.current?.callerRequestId ?? env.current?.requestId ?? '';
        this.emit({
          type: 'debug-ready',
          function: env.fn.name,
          requestId,
          language,
          port,
          ...(env.current?.debugArmed ? { armed: true } : {}),
          ...(env.preparedId !== undefined ? { prepared: env.preparedId } : {}),
        });
      },
      heldElsewhere: (env, requestId) => this.environments().some((other) => other !== env && other.holdsRequest(requestId)),
      shareRuntimeApi: (env) => {
        if (!this.sharesRuntimeApi) return undefined;
        this.sharedEnvironments.add(env);
        return { port: this.port, leave: () => this.sharedEnvironments.delete(env) };
      },
      attach: (env, listener: Server) => {
        listener.on('connection', (socket: Socket) => {
          // Checked before node:http reads a byte: another local process must not use this environment's API.
          if (!env.admit(socket, 'tcp')) return;
          this.socketOwner.set(socket, env);
          this.ownConnections.add(socket);
          socket.once('close', () => this.ownConnections.delete(socket));
          serveRuntimeConnection(env, socket, this.toNodeHttp);
        });
      },
    };
  }

  /**
   * Whether environments serve their Runtime API on the main port: once it listens, where the runner can tell which
   * process connects (Linux), and unless every local process may use any environment's API (tests that play the
   * runtime connect to one environment's own port).
   */
  private get sharesRuntimeApi(): boolean {
    return this.port !== 0 && PEER_CHECKS && this.opts.runtimeApiAccess === 'environment';
  }

  /**
   * A new connection to the main port. Once environments serve their Runtime API there, its first bytes say whether
   * it is a runtime's: one that asks for /runtime/ and comes from an environment's process is served as the
   * environment's own (runtime-connection.ts); everything else goes to node:http as it came.
   */
  private onMainPortConnection(socket: Socket): void {
    if (!this.sharedEnvironments.size && !this.plainRoute) return this.toNodeHttp(socket, EMPTY);
    // Until its first bytes node:http does not know the connection: the runner closes it when it closes, or after
    // node:http's headersTimeout of silence, as node:http would.
    this.ownConnections.add(socket);
    socket.once('close', () => this.ownConnections.delete(socket));
    const failed = () => socket.destroy();
    socket.once('error', failed);
    socket.setTimeout(this.http.headersTimeout, failed);
    socket.once('data', (first: Buffer) => {
      socket.off('error', failed);
      socket.off('timeout', failed);
      socket.setTimeout(0);
      const start = this.sharedEnvironments.size ? first.toString('latin1', 0, Math.min(first.length, 32)) : '';
      const owner = RUNTIME_REQUEST.test(start) ? this.runtimeApiOwner(socket) : undefined;
      if (!owner || !('owner' in owner)) {
        if (this.plainRoute && !owner) return servePlainRequests(socket, first, this.plainRoute, this.toNodeHttp);
        return this.toNodeHttp(socket, first);
      }
      this.socketOwner.set(socket, owner.owner);
      this.lastRuntimeApiOwner = owner.owner;
      serveRuntimeConnection(owner.owner, socket, this.toNodeHttp, first);
    });
  }

  /** The environment one of whose processes made the connection, or why none did. */
  private runtimeApiOwner(socket: Socket): ReturnType<typeof tcpPeerOwner<Environment>> {
    // The environment that connected last first: a bootstrap that opens a connection per request (curl) is found there.
    const last = this.lastRuntimeApiOwner;
    const candidates =
      last && this.sharedEnvironments.has(last) ? [last, ...[...this.sharedEnvironments].filter((env) => env !== last)] : [...this.sharedEnvironments];
    return tcpPeerOwner(socket, this.port, candidates, (env) => env.family);
  }

  /**
   * The first Runtime API request of a connection to the main port: the connection belongs, for its life, to the
   * environment one of whose processes made it; one that no environment's process made is refused with a 403 that
   * says why (and closed), and the runner logs one line.
   */
  private routeRuntimeApi(req: IncomingMessage, res: ServerResponse): void {
    const found = this.runtimeApiOwner(req.socket);
    if ('owner' in found) {
      this.socketOwner.set(req.socket, found.owner);
      this.lastRuntimeApiOwner = found.owner;
      return handleEnvironmentRequest(found.owner, req, res);
    }
    const message = `Refused a connection to the Runtime API at 127.0.0.1:${this.port}: ${found.refused}. The Runtime API serves only the runtimes and extensions of this runner's execution environments, each its own environment's events.`;
    // A peer already gone (a runtime stopped as it asked for its next event) reads no refusal: not worth a line.
    if (!found.gone) process.stderr.write(`open-runtime: ${message}\n`);
    req.resume();
    res.setHeader('Connection', 'close');
    sendRuntimeError(res, 403, 'AccessDenied', message);
  }

  /** Serves the main routes (Invoke API, control API) on the main port; `plain`: those of them served without node:http. */
  routeMain(handler: MainRouteHandler, plain?: PlainRoute): void {
    this.mainRoutes = handler;
    this.plainRoute = plain;
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.opts.port, '127.0.0.1', () => resolve());
    });
    this.port = (this.http.address() as AddressInfo).port;
    if (!PEER_CHECKS && this.opts.runtimeApiAccess === 'environment') {
      console.error(
        `Note: on ${process.platform} the runner cannot tell which process connects to a function's Runtime API, so any local process can use it (only Linux checks), and each execution environment gets a Runtime API port of its own (a remote editor forwards each one).`,
      );
    }
    return this.port;
  }

  // ---- functions --------------------------------------------------------------------------------------------

  setFunctions(functions: FunctionSpec[], errors: DefinitionError[] = []): void {
    const next = new Map(functions.map((fn) => [fn.name, fn]));
    for (const [name, pool] of this.pools) {
      // A published version's pool ("name:3") keeps its own code; it goes only with its function.
      if (name.includes(':')) {
        if (!next.has(name.slice(0, name.indexOf(':')))) {
          void pool.stopAll();
          this.pools.delete(name);
        }
        continue;
      }
      const fn = next.get(name);
      if (!fn) {
        void pool.stopAll();
        this.pools.delete(name);
      } else if (JSON.stringify(fn) !== JSON.stringify(pool.fn)) {
        pool.replaceEnvironments(fn);
      }
    }
    for (const [key, gate] of this.gates) {
      const fn = next.get(key.includes(':') ? key.slice(0, key.indexOf(':')) : key);
      if (!fn) {
        for (const waiter of gate.drain(`function ${key} was removed`)) waiter.refuse(`Function ${key} was removed before this queued event could run.`);
        this.gates.delete(key);
      } else if (!key.includes(':')) gate.setLimit(fn.concurrency);
    }
    for (const name of [...this.debugTargets.keys()]) if (!next.has(name)) this.debugTargets.delete(name);
    this.functions = next;
    this.definitionErrors = errors;
    this.eventQueue?.functionsChanged();
    if (this.opts.hotReload) this.watchCode();
  }

  listFunctions(): FunctionSpec[] {
    return [...this.functions.values()];
  }

  /** By name, or by another address SAM accepts (full path, FunctionName, a logical id only one function has). */
  getFunction(name: string): FunctionSpec | undefined {
    const lookup = this.functions.has(name) ? undefined : findFunction(this.functions.values(), name);
    return this.functions.get(name) ?? (lookup && 'found' in lookup ? lookup.found : undefined);
  }

  addFunction(fn: FunctionSpec): void {
    this.setFunctions([...this.functions.values()].filter((f) => f.name !== fn.name).concat(fn), this.definitionErrors);
  }

  // ---- invocations ------------------------------------------------------------------------------------------

  /**
   * Starts an invocation. Its concurrency slot is taken first, before any middleware hook runs, and given back
   * when the caller has its answer. Throws FunctionNotFoundError, TooManyRequestsError (no slot, and the caller
   * can't wait) or RunnerClosingError. With `queue`, the invocation waits for a slot instead of being refused.
   */
  invoke(name: string, payload: Buffer, opts: InvokeOptions = {}): Invocation {
    if (this.closing) throw new RunnerClosingError('The runner is shutting down; invoke again once it has restarted.');
    const fn = opts.version ?? this.getFunction(name);
    if (!fn) throw new FunctionNotFoundError(`Function not found: ${name}. Known functions: ${[...this.functions.keys()].join(', ') || '(none)'}.`);
    const tenantRefusal = tenantProblem(fn, opts.tenantId);
    if (tenantRefusal) throw new InvalidParameterValueError(tenantRefusal);
    const inv = new Invocation(payload, opts.clientContext, opts.cognitoIdentity, opts.requestId, opts);
    if (!opts.debug) {
      const debug = this.debuggerFor(fn);
      if (debug) opts = { ...opts, debug };
      inv.debugArmed = debug !== undefined;
    }
    inv.debugged = opts.debug !== undefined;
    const start = () => this.start(fn, inv, opts);
    // A debug session gets its own environment, outside the function's concurrency.
    if (opts.debug) return start();
    const gate = this.gateOf(fn);
    let held = false;
    const take = () => {
      held = true;
      void inv.settled.then(() => {
        if (held) gate.release();
        held = false;
      });
    };
    const admission = opts.queue
      ? gate.acquireOrWait({
          grant: () => {
            take();
            const abandoned = opts.abandonIf?.();
            if (abandoned) return settleUnrun(inv, abandoned);
            try {
              this.startGuarded(start, inv);
            } catch {
              // Answered as a ServiceException by startGuarded.
            }
          },
          refuse: (message) => {
            this.emit({ type: 'log', function: fn.name, requestId: inv.requestId, line: `ServiceException: ${message}` });
            settleUnrun(inv, message);
          },
        })
      : gate.tryAcquire();
    if (admission === 'refused') throw new TooManyRequestsError(throttleMessage(fn.name, gate));
    if (admission === 'drained') throw new RunnerClosingError(`Function ${fn.name} no longer takes invocations: ${gate.drainReason}.`);
    if (admission === 'waiting') return inv;
    take();
    return this.startGuarded(start, inv);
  }

  /**
   * Whether this invocation of `fn` waits for a debugger, and where: the function is armed (setDebugMode: `next` is
   * used up here), or `start --debug-port` covers it (every function, or those of `--debug-function`).
   */
  private debuggerFor(fn: FunctionSpec): { language: DebuggerLanguage; port: number } | undefined {
    const target = this.debugTargets.get(fn.name);
    if (target) {
      if (target.mode === 'next') {
        this.debugTargets.delete(fn.name);
        this.emit({ type: 'debug-mode', function: fn.name, mode: 'off' });
      }
      return { language: target.language, port: target.port };
    }
    if (!this.opts.debugPort) return undefined;
    const only = this.opts.debugFunctions;
    if (only?.length && !only.some((address) => this.getFunction(address)?.name === fn.name)) return undefined;
    const language = debuggerLanguage(fn);
    return language ? { language, port: this.opts.debugPort } : undefined;
  }

  /**
   * Arms a function for a debugger: its next invocation (`next`) or each one (`every`) starts in an environment of its
   * own waiting for a debugger, whatever calls it (the HTTP gateway, the Invoke API, a queue); `debug-ready` on the
   * event stream says where to attach. `port` is where the debugger listens: 0 lets Node's inspector and debugpy pick
   * one per invocation (Delve needs a real one).
   * Throws FunctionNotFoundError, or Error when the runtime cannot be debugged.
   */
  setDebugMode(name: string, mode: DebugMode, port = 0): { function: string; mode: DebugMode; language: DebuggerLanguage } {
    const fn = this.getFunction(name);
    if (!fn) throw new FunctionNotFoundError(`Function not found: ${name}. Known functions: ${[...this.functions.keys()].join(', ') || '(none)'}.`);
    const language = debuggerLanguage(fn);
    if (!language) throw new Error(`${notDebuggable(fn)} ${fn.name} runs without a debugger.`);
    if (mode === 'off') this.debugTargets.delete(fn.name);
    else this.debugTargets.set(fn.name, { mode, language, port });
    this.emit({ type: 'debug-mode', function: fn.name, mode });
    return { function: fn.name, mode, language };
  }

  /**
   * Starts a debug environment of `name` before its invocation: the editor does it when Debug is clicked, so that the
   * runtime starts and the debugger attaches while the user picks the event. `debug-ready` (with `prepared: id`) says
   * where to attach; an invocation with `debug.prepared = id` runs in it. One not claimed within PREPARED_DEBUG_TTL_MS
   * (or discarded) is stopped. Throws FunctionNotFoundError, RunnerClosingError, or InvalidParameterValueError for a
   * function that cannot have one (a component, a tenant-isolated function: its tenant is chosen after the event).
   */
  prepareDebug(name: string, id: string, debug: { language: DebuggerLanguage; port: number }): void {
    if (this.closing) throw new RunnerClosingError('The runner is shutting down; debug again once it has restarted.');
    const fn = this.getFunction(name);
    if (!fn) throw new FunctionNotFoundError(`Function not found: ${name}. Known functions: ${[...this.functions.keys()].join(', ') || '(none)'}.`);
    if (fn.runtime === 'wasi' || fn.tenantIsolation === 'PER_TENANT') {
      throw new InvalidParameterValueError(`${fn.name} cannot start a debug environment before its invocation: its environment depends on the invocation.`);
    }
    const pool = this.poolOf(fn);
    if (pool.hasPrepared(id)) return;
    pool.prepareDebug(id, debug);
    setTimeout(() => pool.discardPrepared(id), PREPARED_DEBUG_TTL_MS).unref();
  }

  /** Stops the debug environment prepared as `id` for `name` (the user left the picker); false when there is none. */
  discardDebug(name: string, id: string): boolean {
    const fn = this.getFunction(name);
    return fn ? (this.pools.get(poolKey(fn))?.discardPrepared(id) ?? false) : false;
  }

  /** Whether the debug environment prepared as `id` for `name` still waits for its invocation. */
  hasPreparedDebug(name: string, id: string): boolean {
    const fn = this.getFunction(name);
    return fn ? (this.pools.get(poolKey(fn))?.hasPrepared(id) ?? false) : false;
  }

  /** The functions armed for a debugger now, and how. */
  debugModes(): Array<{ function: string; mode: DebugMode }> {
    return [...this.debugTargets].map(([name, target]) => ({ function: name, mode: target.mode }));
  }

  /** A start that throws still answers its caller, so its slot goes back. */
  private startGuarded(start: () => Invocation, inv: Invocation): Invocation {
    try {
      return start();
    } catch (err) {
      settleUnrun(inv, (err as Error).message);
      throw err;
    }
  }

  /** The gate of a function (or of one published version), created on first use. */
  gateOf(fn: FunctionSpec): ConcurrencyGate<QueuedWaiter> {
    const key = poolKey(fn);
    let gate = this.gates.get(key);
    if (!gate) {
      gate = new ConcurrencyGate<QueuedWaiter>(fn.concurrency);
      this.gates.set(key, gate);
    }
    return gate;
  }

  /** The invocation, its slot held: through the function's middleware chain, or straight to the function. */
  private start(fn: FunctionSpec, inv: Invocation, opts: InvokeOptions): Invocation {
    const middlewares = this.middlewareRunner ? middlewaresOf(fn) : [];
    if (middlewares.length) {
      this.announce(fn.name, inv);
      this.middlewareRunner!.run(
        fn,
        middlewares,
        inv,
        (replaced) => {
          const inner = new Invocation(replaced, opts.clientContext, opts.cognitoIdentity, undefined, opts);
          inner.debugged = inv.debugged;
          inner.debugArmed = inv.debugArmed;
          inner.callerRequestId = inv.requestId;
          return this.dispatch(fn, inner, { ...opts, quiet: true });
        },
        (line) => this.emit({ type: 'log', function: fn.name, requestId: inv.requestId, line }),
      );
      return inv;
    }
    return this.dispatch(fn, inv, opts);
  }

  /** Starts the function itself: an environment from its pool, or the component runner. */
  private dispatch(fn: FunctionSpec, inv: Invocation, opts: InvokeOptions & { quiet?: boolean }): Invocation {
    const name = fn.name;
    if (fn.runtime === 'wasi') return this.invokeComponent(fn, inv, opts);
    // Each published version has its own environments, as in Lambda.
    const pool = this.poolOf(fn);
    const caller = opts.streamListener;
    inv.callerStreams = caller !== undefined;
    inv.streamListener = {
      start: (contentType) => caller?.start(contentType),
      chunk: (data) => {
        caller?.chunk(data);
        if (this.wants('chunk')) this.emit({ type: 'chunk', function: name, requestId: inv.requestId, data: data.toString('utf8') });
      },
    };
    pool.run(inv, { debug: opts.debug, prepared: opts.debug?.prepared });
    if (!opts.quiet) this.announce(name, inv);
    return inv;
  }

  /** The environments of a function (or of one published version), created on first use. */
  private poolOf(fn: FunctionSpec): FunctionPool {
    const key = poolKey(fn);
    let pool = this.pools.get(key);
    if (!pool) {
      const override = this.launchOverrides.get(fn.name);
      const options = {
        region: this.opts.region,
        initTimeoutMs: this.opts.initTimeoutMs,
        command: override?.command,
        runtimeApiPort: override?.runtimeApiPort,
        runtimeApiAccess: this.opts.runtimeApiAccess,
        lambdaEndpoint: this.lambdaEndpoint(),
      };
      pool = new FunctionPool(fn, this.hooks, options, () => this.emitEnvironmentCount());
      this.pools.set(key, pool);
    }
    return pool;
  }

  /** invoke-start now, invoke-end with the result when it completes. */
  private announce(name: string, inv: Invocation): void {
    if (this.wants('invoke-start')) this.emit({ type: 'invoke-start', function: name, requestId: inv.requestId });
    if (this.wants('invoke-end')) void inv.completed.then((completion) => this.emit({ type: 'invoke-end', result: invokeResult(name, inv, completion) }));
  }

  /**
   * Where a function's AWS SDK finds Lambda (AWS_ENDPOINT_URL_LAMBDA): this runner's main port once it listens, so
   * that function-to-function Invoke stays local and a durable function's SDK checkpoints here. `rie` has none.
   */
  lambdaEndpoint(): string | undefined {
    return this.port && !this.launchOverrides.size ? `http://127.0.0.1:${this.port}` : undefined;
  }

  /** The `rie` command runs a given BOOTSTRAP, optionally on a fixed Runtime API port. */
  setLaunchOverride(name: string, command: { command: string; args: string[] }, runtimeApiPort?: number): void {
    this.launchOverrides.set(name, { command, runtimeApiPort });
  }

  /** Registers the runner of WASI component functions (loaded lazily: most sessions never need it). */
  setComponentRunner(runner: InProcessRunner): void {
    this.componentRunner = runner;
    runner.attach?.(this);
  }

  /** Registers the runner of runner-level middleware chains. */
  setMiddlewareRunner(runner: MiddlewareRunner): void {
    this.middlewareRunner = runner;
  }

  private invokeComponent(fn: FunctionSpec, inv: Invocation, opts: InvokeOptions & { quiet?: boolean }): Invocation {
    if (!this.componentRunner) throw new Error('No component runner is configured: this runner cannot run WASI functions.');
    inv.streamListener = opts.streamListener;
    if (!opts.quiet) this.announce(fn.name, inv);
    this.componentRunner.run(fn, inv, (line) => this.emit({ type: 'log', function: fn.name, requestId: inv.requestId, line }));
    return inv;
  }

  environments(): Environment[] {
    return [...this.pools.values()].flatMap((p) => p.environments());
  }

  // ---- events -----------------------------------------------------------------------------------------------

  /** Calls `listener` with every event, or only with those of `types`; returns the call that ends it. */
  subscribe(listener: (event: RunnerEvent) => void, types?: ReadonlyArray<RunnerEvent['type']>): () => void {
    if (this.listeners.has(listener)) return () => this.unsubscribe(listener);
    this.listeners.add(listener);
    if (types) {
      const kinds = new Set(types);
      this.listenerTypes.set(listener, kinds);
      for (const kind of kinds) this.listenersOf.set(kind, (this.listenersOf.get(kind) ?? 0) + 1);
    } else this.listenersOfAll++;
    return () => this.unsubscribe(listener);
  }

  private unsubscribe(listener: (event: RunnerEvent) => void): void {
    if (!this.listeners.delete(listener)) return;
    const kinds = this.listenerTypes.get(listener);
    if (!kinds) return void this.listenersOfAll--;
    this.listenerTypes.delete(listener);
    for (const kind of kinds) this.listenersOf.set(kind, this.listenersOf.get(kind)! - 1);
  }

  /** Whether some listener takes events of this kind. */
  wants(type: RunnerEvent['type']): boolean {
    return this.listenersOfAll > 0 || (this.listenersOf.get(type) ?? 0) > 0;
  }

  emit(event: RunnerEvent): void {
    for (const listener of this.listeners) {
      const kinds = this.listenerTypes.get(listener);
      if (!kinds || kinds.has(event.type)) listener(event);
    }
  }

  private environmentCount = 0;

  /** Says how many environments there are when that changes (pools call this whenever one starts, idles or goes). */
  private emitEnvironmentCount(): void {
    let count = 0;
    for (const pool of this.pools.values()) count += pool.size;
    if (count === this.environmentCount) return;
    this.environmentCount = count;
    this.emit({ type: 'environments', count });
  }

  // ---- hot reload -------------------------------------------------------------------------------------------

  private watchCode(): void {
    const dirs = new Set([...this.functions.values()].filter((fn) => fn.runtime !== 'wasi').map((fn) => fn.codeUri));
    for (const [dir, watcher] of this.watchers) {
      if (!dirs.has(dir)) {
        watcher.close();
        this.watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { recursive: true, persistent: false }, (_event, file) => {
          if (file && /(^|\/)(node_modules|__pycache__|\.open-runtime|\.git|target)(\/|$)/.test(String(file))) return;
          this.codeChanged(dir);
        });
        watcher.on('error', () => undefined);
        this.watchers.set(dir, watcher);
      } catch {
        // A directory that can't be watched just doesn't hot-reload.
      }
    }
  }

  private codeChanged(dir: string): void {
    for (const pool of this.pools.values()) {
      if (relative(dir, pool.fn.codeUri) !== '') continue;
      forgetCompiled(pool.fn);
      if (pool.size > 0) pool.replaceEnvironments(pool.fn);
    }
  }

  async close(): Promise<void> {
    // Nothing new starts from here on; events waiting for a slot are handed back to whoever queued them.
    this.closing = true;
    await this.eventQueue?.close();
    for (const gate of this.gates.values()) {
      for (const waiter of gate.drain('the runner is shutting down'))
        waiter.refuse('The runner shut down before this queued event could run. Invoke it again once the runner has restarted.');
    }
    this.idleTrim.dispose();
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    await Promise.all([...this.pools.values()].map((p) => p.stopAll()));
    await this.componentRunner?.close();
    await this.middlewareRunner?.close();
    this.http.closeAllConnections();
    for (const socket of this.ownConnections) socket.destroy();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

const EMPTY = Buffer.alloc(0);
/** The start of a Runtime API request (runtime-connection.ts serves these). */
const RUNTIME_REQUEST = /^(GET|POST) \/2018-06-01\/runtime\//;

/** An invocation waiting for a slot: started when granted, answered with the reason when its gate is drained. */
interface QueuedWaiter {
  grant(): void;
  refuse(message: string): void;
}

/** Answers an invocation that never reached its function (a ServiceException, as Lambda's service would). */
function settleUnrun(inv: Invocation, message: string): void {
  if (inv.done) return;
  inv.settle(errorOutcome('ServiceException', message));
  inv.complete({ durationMs: 0, billedDurationMs: 0, memorySizeMB: 0, maxMemoryUsedMB: 0 });
}

/** Each published version has its own environments and concurrency, as in Lambda. */
function poolKey(fn: FunctionSpec): string {
  return fn.version === '$LATEST' ? fn.name : `${fn.name}:${fn.version}`;
}

/** The control API's view of a finished invocation. */
export function invokeResult(name: string, inv: Invocation, { outcome, report, logs }: Completion): InvokeResult {
  const text = outcome.body.toString('utf8');
  const result: InvokeResult = { requestId: inv.requestId, function: name, payload: text, streamed: outcome.streamed, report, logs: logs.join('\n') };
  if (!outcome.ok) {
    result.functionError = 'Unhandled';
    try {
      const parsed = JSON.parse(text) as { errorType?: string; errorMessage?: string; stackTrace?: unknown; trace?: unknown };
      const stack = Array.isArray(parsed.stackTrace) ? parsed.stackTrace : Array.isArray(parsed.trace) ? parsed.trace : undefined;
      result.error = {
        errorType: parsed.errorType ?? outcome.errorType,
        errorMessage: parsed.errorMessage ?? text,
        ...(stack ? { stackTrace: stack.map(String) } : {}),
      };
    } catch {
      result.error = { errorType: outcome.errorType, errorMessage: text };
    }
  } else if (outcome.streamed && outcome.contentType === HTTP_INTEGRATION) {
    const split = outcome.body.indexOf(PRELUDE_SEPARATOR);
    if (split >= 0) {
      try {
        result.httpPrelude = JSON.parse(outcome.body.subarray(0, split).toString('utf8'));
        result.payload = outcome.body.subarray(split + PRELUDE_SEPARATOR.length).toString('utf8');
      } catch {
        // Not a prelude after all: show the raw body.
      }
    }
  }
  return result;
}

export const HTTP_INTEGRATION = 'application/vnd.awslambda.http-integration-response';
/** What ends the JSON prelude of an HTTP-integration stream (the result view and the gateway split there). */
export const PRELUDE_SEPARATOR = Buffer.alloc(8);

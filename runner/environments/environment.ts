// One execution environment: one OS process running a function's runtime, its Runtime API (on the runner's shared
// port, or on its own where the runner cannot route by peer), one invocation at a time, Lambda's lifecycle (init cap, timeout with graceful SIGTERM, exit errors, REPORT).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { deployedName, type DebuggerLanguage, type FunctionSpec } from '../functions/model.ts';
import { functionArn } from '../functions/arns.ts';
import { DELVE_LISTENING } from '../runtimes/go-debug.ts';
import { LLDB_LISTENING } from '../runtimes/lldb-debug.ts';
import { planCommand, planLaunch, LaunchError, type LaunchPlan } from '../runtimes/spawn.ts';
import { errorOutcome, Invocation, type Outcome } from './invocation.ts';
import { shownState, transition, type LifecycleEvent, type LifecycleState } from './lifecycle.ts';
import { ExtensionHost } from '../runtime-api/extensions.ts';
import { TelemetryHub } from '../runtime-api/telemetry.ts';
import { eventHeaders } from '../runtime-api/event-headers.ts';
import { directSocketPath, listenDirect } from '../runtime-api/direct.ts';
import { directSocketAllowed, refuseConnection, refuseTcpPeer, refuseUnixPeer, type ProcessFamily, type RuntimeApiAccess } from '../runtime-api/access.ts';
import type { ExtensionsEnvironment, NextRequest, ServedEnvironment, TelemetryEnvironment } from '../runtime-api/served-environment.ts';
import type { Report } from '../protocol.ts';
import { Containment } from './containment.ts'; // contain: MemorySize and no process left behind
import { setDeadline, type Deadline } from './deadlines.ts';

export type EnvironmentState = ReturnType<typeof shownState>;
import { RUNTIME_EXIT_ERROR, RUNTIME_INIT_ERROR, RUNTIME_INVALID_ENTRYPOINT, RUNTIME_OUT_OF_MEMORY, SANDBOX_TIMEDOUT } from '../lambda-errors.ts';
import { ownProcessGroup, signalProcessTree } from '../platform.ts';

export type { NextRequest };

export interface EnvironmentHooks {
  /** Every line the environment logs: the function's output and the platform's START/END/REPORT. */
  log(fn: FunctionSpec, line: string, requestId: string | undefined): void;
  /**
   * The environment takes no more invocations and no longer counts against the function's concurrency: it began to
   * stop (exited, timed out, failed its init, spun down). Called once, before the caller of a failed invocation has
   * its answer, so that the caller's next invoke finds the slot free; the processes may take a moment more to go.
   */
  gone(env: Environment): void;
  /** The environment can take another invocation. */
  idle(env: Environment): void;
  /**
   * This invocation never reached the function (its event was never written to a /next response, or the runtime
   * exited without reading it) and this environment cannot run it (its runtime exited, or it is stopping): run it on
   * another environment. It holds its concurrency slot already.
   */
  retry(env: Environment, inv: Invocation): void;
  /** A debugger is listening for this invocation. */
  debugReady?(env: Environment, language: DebuggerLanguage, port: number): void;
  /** Whether another environment holds invocation `requestId` now (a runtime answering it is refused, 403). */
  heldElsewhere?(env: Environment, requestId: string): boolean;
  /** Wires a socket listener for this environment's own Runtime API address into the shared HTTP server. */
  attach(env: Environment, server: Server): void;
  /**
   * Serves this environment's Runtime API on the runner's main port, routed there by who connects: the port, and the
   * call that ends it when the environment has stopped. Undefined: the environment listens on its own port.
   */
  shareRuntimeApi?(env: Environment): { port: number; leave(): void } | undefined;
  /**
   * True the first time this runner is told `notice` for this function: a runtime NOTICE ("no Node 22 found", a
   * deprecated runtime) is said at the first cold start, not at every one. Absent: always.
   */
  firstNotice?(fn: FunctionSpec, notice: string): boolean;
}

export interface EnvironmentOptions {
  region: string;
  initTimeoutMs: number;
  debug?: { language: DebuggerLanguage; port: number } | undefined;
  /**
   * A debug environment started before its invocation (the editor's Debug click, while the user picks the event): the
   * id its debugger attaches by and the invocation claims it by (FunctionPool.prepareDebug).
   */
  prepared?: string | undefined;
  /** Fixed Runtime API address (the `rie` command's --runtime-api-address); a free port otherwise. */
  runtimeApiPort?: number | undefined;
  /** Replaces the planned command (the `rie` command runs the given BOOTSTRAP). */
  command?: { command: string; args: string[] } | undefined;
  /** Who may use this environment's Runtime API addresses (runtime-api/access.ts); 'environment' when unset. */
  runtimeApiAccess?: RuntimeApiAccess | undefined;
  /** The one tenant this environment serves (tenant-isolated functions); undefined for every other function. */
  tenantId?: string | undefined;
  /** The runner's Lambda API for the function's SDK (AWS_ENDPOINT_URL_LAMBDA); none under `rie`. */
  lambdaEndpoint?: string | undefined;
}

const GRACEFUL_KILL_MS = 500;
/**
 * How many fresh environments an invocation that never reached its function gets: enough for the runtime that exits
 * after each answer, bounded for one that exits before it reads any event (its caller gets Runtime.ExitError).
 */
const MAX_RETRIES = 2;
/** Output capture: how long a partial line waits for the rest of its line before it is shown as it is. */
const PARTIAL_LINE_QUIET_MS = 100;
/** Output capture: Lambda cuts a log event at 256 KB. */
const MAX_LINE_CHARS = 256 * 1024;
let counter = 0;

export class Environment implements ServedEnvironment, ExtensionsEnvironment, TelemetryEnvironment {
  readonly id: string;
  /** Unique in this runner; names the environment's direct socket (a function name could make the path too long). */
  private readonly serial: number;
  readonly fn: FunctionSpec;
  readonly logStreamName: string;
  /** Where it stands (lifecycle.ts); it moves only through `move`. */
  private lifecycle: LifecycleState = 'initializing';
  /** Code changed since this environment started: replace it before the next invoke. */
  stale = false;
  readonly extensions: ExtensionHost;
  readonly telemetry: TelemetryHub;
  /**
   * The invocations it holds (assigned, not finished): one, or up to the function's maxConcurrency with Lambda Managed
   * Instances, whose runtimes take several events at once (concurrent /next and answers).
   */
  private readonly held: Invocation[] = [];
  port = 0;

  private readonly hooks: EnvironmentHooks;
  private readonly opts: EnvironmentOptions;
  private proc: ChildProcess | undefined;
  private listener: Server | undefined;
  /** Ends the routing of the runner's shared port to this environment (when it serves its Runtime API there). */
  private leaveShared: (() => void) | undefined;
  private direct: Server | undefined;
  /** The runtime's parked /next requests (one, except with Lambda Managed Instances). */
  private readonly parked: NextRequest[] = [];
  /** The /next that carried each held invocation's event. */
  private readonly deliveredOn = new Map<Invocation, NextRequest>();
  private initStartedAt = 0;
  private spawnedAt = 0;
  private firstNextAt = 0;
  /** Runner time of the cold start: invoke to spawn, plus the runtime's first /next to its event. */
  coldStartOverheadMs: number | undefined;
  private initDurationMs: number | undefined;
  private initReported = false;
  private initTimer: NodeJS.Timeout | undefined;
  /** Each delivered invocation's timeout. */
  private readonly deadlines = new Map<Invocation, Deadline>();
  /** Request ids this environment answered, to tell 403 (second answer) from 400 (unknown id). */
  private readonly answered = new Set<string>();
  /** Invocation ids (attempts) that timed out here: their late answers get 410 (runtime-api/runtime.ts). */
  private readonly timedOut = new Set<string>();
  private initError: Outcome | undefined;
  /** The invocation whose END/REPORT is being written; the next one waits for it. */
  private reporting: Invocation | undefined;
  private exited = false;
  /** contain: knows every process of this environment and their memory (containment.ts). */
  private readonly containment: Containment;

  constructor(fn: FunctionSpec, hooks: EnvironmentHooks, opts: EnvironmentOptions) {
    this.serial = ++counter;
    this.id = `${fn.name}-${this.serial}`;
    this.fn = fn;
    this.hooks = hooks;
    this.opts = opts;
    const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
    this.logStreamName = `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
    this.extensions = new ExtensionHost(this);
    this.telemetry = new TelemetryHub(this);
    this.containment = new Containment({
      memorySizeMB: fn.memorySize,
      busy: () => this.state === 'initializing' || this.state === 'busy',
      enforce: !opts.debug,
    }); // contain
  }

  /** The invocation it holds (the first, with Lambda Managed Instances). */
  get current(): Invocation | undefined {
    return this.held[0];
  }

  /** How many invocations it runs at once: the function's maxConcurrency (Lambda Managed Instances), else one. */
  private get capacity(): number {
    return this.opts.debug ? 1 : (this.fn.maxConcurrency ?? 1);
  }

  /**
   * Whether `inv` can join the invocations it runs now (Lambda Managed Instances): room left, the same tenant, and it
   * is running or starting them. An idle environment is the pool's to give out as usual.
   */
  hasRoom(inv: Invocation): boolean {
    const running = this.lifecycle === 'busy' || this.lifecycle === 'initializing-invoked';
    return running && this.capacity > 1 && this.held.length < this.capacity && inv.tenantId === this.tenantId;
  }

  /** Whether it holds invocation `requestId` now. */
  holdsRequest(requestId: string): boolean {
    return this.held.some((inv) => inv.requestId === requestId);
  }

  /** Its state as the control API shows it. */
  get state(): EnvironmentState {
    return shownState(this.lifecycle);
  }

  /** Takes the lifecycle's move for `event`; false (and nothing changes) when lifecycle.ts does not allow it. */
  private move(event: LifecycleEvent): boolean {
    const next = transition(this.lifecycle, event);
    if (next === undefined) return false;
    this.lifecycle = next;
    return true;
  }

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  get debugging(): boolean {
    return this.opts.debug !== undefined;
  }

  /** The id of a debug environment started ahead of its invocation (EnvironmentOptions.prepared). */
  get preparedId(): string | undefined {
    return this.opts.prepared;
  }

  /** Stale (new code or configuration), or stopping: it takes no invocation any more. */
  get retired(): boolean {
    return this.stale || this.lifecycle === 'stopping' || this.lifecycle === 'stopped' || this.exited;
  }

  /** Listens on this environment's own address, then starts its extensions and its runtime process. */
  async start(): Promise<void> {
    this.initStartedAt = performance.now();
    // A fixed address (`rie --runtime-api-address`) is its own; otherwise the runner's shared port where it can route.
    const shared = this.opts.runtimeApiPort === undefined ? this.hooks.shareRuntimeApi?.(this) : undefined;
    if (shared) {
      this.port = shared.port;
      this.leaveShared = shared.leave;
    } else {
      // No Nagle: a runtime that pipelines (asks for the next event before the 202 of its answer arrives) sends
      // nothing after the 202, so the event written later would wait for its delayed ACK (40 ms).
      this.listener = createServer({ noDelay: true });
      await new Promise<void>((resolve, reject) => {
        this.listener!.once('error', reject);
        this.listener!.listen(this.opts.runtimeApiPort ?? 0, '127.0.0.1', () => resolve());
      });
      this.port = (this.listener.address() as AddressInfo).port;
      this.hooks.attach(this, this.listener);
    }
    this.telemetry.platform('platform.initStart', {
      initializationType: 'on-demand',
      phase: 'init',
      runtimeVersion: this.fn.runtime,
      functionName: deployedName(this.fn),
      functionVersion: '$LATEST',
    });
    let plan: LaunchPlan;
    try {
      // The Runtime API's hot routes on a Unix socket too (runtime-api/direct.ts), for the project's own clients.
      // Only where its peers can be checked: otherwise any local process could take this environment's events there.
      const offerDirect = process.platform !== 'win32' && !this.opts.command && directSocketAllowed(this.access);
      const directSocket = offerDirect ? directSocketPath(String(this.serial)) : undefined;
      // Opened while the launch is planned: both are on the cold start's path.
      const listening = directSocket
        ? listenDirect(this, directSocket).then((server) => {
            this.direct = server;
            // A stop that began meanwhile may be past the point where it closes the socket (closing twice is harmless).
            if (this.state === 'stopping') server.close();
          })
        : undefined;
      listening?.catch(() => undefined);
      const launch = {
        runtimeApi: `127.0.0.1:${this.port}`,
        logStreamName: this.logStreamName,
        region: this.opts.region,
        debug: this.opts.debug ? { port: this.opts.debug.port } : undefined,
        directSocket,
        environmentMarker: this.containment.marker, // contain
        lambdaEndpoint: this.opts.lambdaEndpoint,
      };
      plan = this.opts.command ? planCommand(this.fn, launch, this.opts.command) : await planLaunch(this.fn, launch);
      // Init's clock starts once the launch is planned: a published layer or a Node version downloaded for the
      // first cold start (runtimes/layers.ts, runtimes/node-download.ts) is not the function's init.
      if (!this.debugging && this.state !== 'stopping') {
        this.initTimer = setTimeout(
          () =>
            this.failInit(
              RUNTIME_INIT_ERROR,
              `INIT_REPORT Init Duration: ${this.opts.initTimeoutMs.toFixed(2)} ms Phase: init Status: timeout. The runtime did not ask for its first event within ${this.opts.initTimeoutMs / 1000} s.`,
            ),
          this.opts.initTimeoutMs,
        );
      }
      await listening;
      await this.extensions.startAll(plan.layers ?? this.fn.layers, plan, this.opts.initTimeoutMs);
    } catch (err) {
      const type = err instanceof LaunchError ? err.errorType : RUNTIME_INIT_ERROR;
      this.failInit(type, (err as Error).message);
      return;
    }
    if (this.state === 'stopping') return;
    this.spawnRuntime(plan);
  }

  private spawnRuntime(plan: LaunchPlan): void {
    if (plan.notice && (this.hooks.firstNotice?.(this.fn, plan.notice) ?? true)) this.platformLog(`NOTICE ${plan.notice}`);
    this.spawnedAt = performance.now();
    // Its own process group, so whatever the function starts is stopped with it.
    const proc = spawn(plan.command, plan.args, { cwd: plan.cwd, env: plan.env, stdio: ['ignore', 'pipe', 'pipe'], ...ownProcessGroup() });
    this.proc = proc;
    this.containment.attach(proc.pid); // contain
    proc.stdout!.on('data', (chunk: Buffer) => this.captureOutput(chunk, 'stdout'));
    proc.stderr!.on('data', (chunk: Buffer) => this.captureOutput(chunk, 'stderr'));
    proc.on('error', (err) => {
      if (plan.missing && (err as NodeJS.ErrnoException).code === 'ENOENT') return this.failInit(plan.missing.errorType, plan.missing.message);
      this.failInit(RUNTIME_INVALID_ENTRYPOINT, `Could not start ${plan.command}: ${err.message}`);
    });
    proc.on('exit', (code, signal) => this.onExit(code, signal));
  }

  private get access(): RuntimeApiAccess {
    return this.opts.runtimeApiAccess ?? 'environment';
  }

  /**
   * A new connection to this environment's Runtime API (its TCP listener, or its direct socket): kept if one of the
   * environment's own processes made it; otherwise ended with a 403 that says why, and one line in the runner's log.
   */
  admit(socket: Socket, via: 'tcp' | 'unix'): boolean {
    if (this.access === 'any') return true;
    const family = this.family;
    const refusal = via === 'tcp' ? refuseTcpPeer(socket, this.port, family) : refuseUnixPeer(socket, family);
    if (refusal === undefined) return true;
    const where = via === 'tcp' ? `Runtime API address 127.0.0.1:${this.port}` : 'direct Runtime API socket';
    const message = `Refused a connection to the ${where} of execution environment ${this.id}: ${refusal.refused}. An environment's Runtime API serves only its own runtime and extensions.`;
    if (!refusal.gone) this.hooks.log(this.fn, message, undefined);
    refuseConnection(socket, message);
    return false;
  }

  /** Its processes, as the Runtime API's access check knows them. */
  get family(): ProcessFamily {
    return { runtimePid: this.proc?.pid, extensionPids: this.extensions.pids };
  }

  // ---- output -------------------------------------------------------------------------------------------

  // Output capture (fidelity): whole lines as they come; a partial line (a progress dot, a prompt, a last
  // line without its newline) is shown after PARTIAL_LINE_QUIET_MS without more output, or at the invocation's
  // END, rather than held until the environment exits. A line longer than MAX_LINE_CHARS is cut, as Lambda cuts
  // log events, so a function writing without newlines cannot grow the runner's memory.
  private partial: Record<'stdout' | 'stderr', string> = { stdout: '', stderr: '' };
  private partialTimer: Record<'stdout' | 'stderr', NodeJS.Timeout | undefined> = { stdout: undefined, stderr: undefined };

  private captureOutput(chunk: Buffer, stream: 'stdout' | 'stderr'): void {
    const text = this.partial[stream] + chunk.toString('utf8');
    const lines = text.split('\n');
    let rest = lines.pop()!;
    for (const line of lines) this.logLine(line, stream);
    while (rest.length > MAX_LINE_CHARS) {
      this.logLine(rest.slice(0, MAX_LINE_CHARS), stream);
      rest = rest.slice(MAX_LINE_CHARS);
    }
    this.partial[stream] = rest;
    clearTimeout(this.partialTimer[stream]);
    this.partialTimer[stream] = rest ? setTimeout(() => this.flushStream(stream), PARTIAL_LINE_QUIET_MS).unref() : undefined;
  }

  private flushStream(stream: 'stdout' | 'stderr'): void {
    clearTimeout(this.partialTimer[stream]);
    this.partialTimer[stream] = undefined;
    if (this.partial[stream]) this.logLine(this.partial[stream], stream);
    this.partial[stream] = '';
  }

  private flushOutput(): void {
    this.flushStream('stdout');
    this.flushStream('stderr');
  }

  private logLine(line: string, stream: 'stdout' | 'stderr'): void {
    // The runtime clients' own "waiting for a debugger" markers are for the runner, not the function's log.
    if (this.opts.debug && this.detectDebugger(line) && line.startsWith('OPEN_RUNTIME_')) return;
    this.platformLog(line, true);
  }

  /** A line in the function's log stream. Function output is also sent to telemetry subscribers. */
  platformLog(line: string, fromFunction = false, about?: Invocation): void {
    // Until the next invocation is delivered, output still belongs to the one being reported. (With Managed Instances
    // a function's output goes to the first invocation it runs: the lines do not say which one wrote them.)
    const inv = about ?? (this.current?.deliveredAt ? this.current : (this.reporting ?? this.current));
    if (inv) inv.logs.push(line);
    if (fromFunction) this.telemetry.functionLog(line);
    this.hooks.log(this.fn, line, inv?.requestId);
  }

  /** Whether `line` says a debugger can attach now (the runtime's, its client's or Delve's words). */
  private detectDebugger(line: string): boolean {
    // Open Runtime's Node client says when it waits (runtimes/node/client.ts); aws-lambda-ric runs under --inspect-brk,
    // where Node itself waits from the moment it listens.
    const node =
      this.fn.runtimeClient === 'aws-lambda-ric'
        ? /^Debugger listening on ws:\/\/127\.0\.0\.1:(\d+)\//.exec(line)
        : /^OPEN_RUNTIME_INSPECTOR_WAITING (\d+)$/.exec(line);
    const python = /^OPEN_RUNTIME_DEBUGPY_LISTENING (\d+)/.exec(line);
    const go = DELVE_LISTENING.exec(line);
    const lldb = LLDB_LISTENING.exec(line);
    const match = node ?? python ?? go ?? lldb;
    if (match) this.hooks.debugReady?.(this, node ? 'node' : python ? 'python' : go ? 'go' : 'lldb', Number(match[1]));
    return match !== null;
  }

  // ---- invocations -----------------------------------------------------------------------------------------

  /** The tenant it serves: its environment variables, memory and files never see another tenant's invocations. */
  get tenantId(): string | undefined {
    return this.opts.tenantId;
  }

  /** Hands an invocation to this environment. It is delivered on the runtime's next `/next`. */
  assign(inv: Invocation): void {
    // Another tenant's invocation never runs here (FunctionPool.run picks by tenant; this is the rule itself).
    if (inv.tenantId !== this.tenantId) return this.hooks.retry(this, inv);
    // Stopping, or already holding one (or, with Managed Instances, as many as it runs at once): the event has not
    // gone anywhere, so another environment runs it.
    if (!this.hasRoom(inv) && !this.move('assign')) return this.hooks.retry(this, inv);
    this.held.push(inv);
    this.containment.watch(); // contain
    this.deliverIfReady();
  }

  /** Runtime API `GET /next`: parks until there is an event and every extension is ready for it. */
  onNext(next: NextRequest): void {
    // A runtime polling twice (one /next per thread, as aws-lambda-ric does): the newest gets the next event,
    // the older one waits on. With Managed Instances every parked /next gets an event of its own.
    if (this.capacity === 1) this.parked.length = 0;
    this.parked.push(next);
    next.onGone(() => {
      const at = this.parked.indexOf(next);
      if (at >= 0) this.parked.splice(at, 1);
    });
    if (this.initDurationMs === undefined) {
      this.firstNextAt = performance.now();
      this.endInit();
    }
    this.deliverIfReady();
  }

  private endInit(): void {
    this.initDurationMs = performance.now() - this.initStartedAt;
    clearTimeout(this.initTimer);
    this.telemetry.platform('platform.initRuntimeDone', { initializationType: 'on-demand', phase: 'init', status: 'success' });
    this.telemetry.platform('platform.initReport', {
      initializationType: 'on-demand',
      phase: 'init',
      status: 'success',
      metrics: { durationMs: round(this.initDurationMs) },
    });
    if (this.move('initDone') && this.lifecycle === 'idle') this.hooks.idle(this);
  }

  /** Called again when an extension becomes ready, since the runtime's event waits for all of them. */
  deliverIfReady(): void {
    for (;;) {
      const inv = this.held.find((held) => !held.deliveredAt && !held.done);
      const next = this.parked[this.parked.length - 1];
      // One at a time: the next event waits for the END/REPORT of the previous one (not with Managed Instances).
      if (!inv || !next || (this.capacity === 1 && this.reporting) || !this.extensions.readyForInvoke()) return;
      this.parked.pop();
      this.deliver(inv, next);
    }
  }

  private deliver(inv: Invocation, next: NextRequest): void {
    this.deliveredOn.set(inv, next);
    inv.deliveredAt = performance.now();
    inv.deadlineMs = Date.now() + this.fn.timeout * 1000;
    this.platformLog(`START RequestId: ${inv.requestId} Version: ${this.fn.version}`, false, inv);
    this.telemetry.closeBacklog();
    this.telemetry.platform('platform.start', withTenant({ requestId: inv.requestId, version: this.fn.version }, inv));
    this.extensions.dispatchInvoke(inv);
    inv.invocationId = randomUUID();
    const headers = eventHeaders(inv, functionArn(this.fn));
    next.send(headers, inv.payload);
    if (this.coldStartOverheadMs === undefined && this.firstNextAt) {
      this.coldStartOverheadMs = round(this.spawnedAt - this.initStartedAt + (performance.now() - this.firstNextAt));
    }
    if (!this.debugging) {
      this.deadlines.set(
        inv,
        setDeadline(this.fn.timeout * 1000, () => this.timeOut(inv)),
      );
    }
  }

  /**
   * Finds the invocation a Runtime API POST names, or why it can't be answered. `invocationId`: the attempt the
   * runtime echoes (Lambda-Runtime-Invocation-Id), checked when it sends one, as Lambda does.
   */
  claim(requestId: string, invocationId?: string): Invocation | 'unknown' | 'answered' | 'foreign' | 'timed-out' {
    if (invocationId !== undefined && this.timedOut.has(invocationId)) return 'timed-out';
    const inv = this.held.find((held) => held.requestId === requestId && held.deliveredAt);
    if (inv) {
      if (invocationId !== undefined && invocationId !== inv.invocationId) return 'unknown';
      if (inv.answered || inv.done) return 'answered';
      return inv;
    }
    if (this.answered.has(requestId)) return 'answered';
    return this.hooks.heldElsewhere?.(this, requestId) ? 'foreign' : 'unknown';
  }

  /** The runtime answered (response or error); the caller gets `outcome`. */
  answer(inv: Invocation, outcome: Outcome): void {
    if (inv.done) return;
    if (this.containment.overLimitAtAnswer()) return; // contain: killed for its memory; onExit fails the invoke
    inv.settle(outcome);
    this.telemetry.platform(
      'platform.runtimeDone',
      withTenant({ requestId: inv.requestId, status: outcome.ok ? 'success' : 'error', ...(outcome.ok ? {} : { errorType: outcome.errorType }) }, inv),
    );
    this.finish(inv);
  }

  /**
   * After the answer the environment takes the next invocation at once (the caller may invoke again right away,
   * and Lambda would reuse this environment), but delivers it only after END/REPORT of this one, once the
   * function's last output is in and every extension that saw this invoke asked for its next event.
   */
  private finish(inv: Invocation): void {
    this.deadlines.get(inv)?.cancel();
    this.deadlines.delete(inv);
    this.deliveredOn.delete(inv);
    this.answered.add(inv.requestId);
    if (this.answered.size > 64) this.answered.delete(this.answered.values().next().value!);
    const durationMs = inv.deliveredAt ? performance.now() - inv.deliveredAt : 0;
    this.reporting = inv;
    this.release(inv);
    // A debugged environment serves one invocation and stops after its REPORT; one whose runtime exited stops now.
    // With Managed Instances it is idle once it holds none.
    if (!this.debugging && !this.exited && this.held.length === 0 && this.move('finish') && this.lifecycle === 'idle') this.hooks.idle(this);
    // Two turns of the event loop: output the function wrote before answering is read from its pipes first.
    setImmediate(() => this.report(inv, durationMs));
  }

  private report(inv: Invocation, durationMs: number): void {
    const maxMemoryUsedMB = this.maxMemoryUsedMB();
    const report: Report = {
      durationMs: round(durationMs),
      billedDurationMs: Math.max(1, Math.ceil(durationMs)),
      memorySizeMB: this.fn.memorySize,
      maxMemoryUsedMB,
    };
    if (!this.initReported && this.initDurationMs !== undefined) {
      report.initDurationMs = round(this.initDurationMs);
      this.initReported = true;
    }
    if (inv.deliveredAt) {
      this.flushOutput(); // output capture: a partial line written during the invocation comes before its END
      this.platformLog(`END RequestId: ${inv.requestId}`, false, inv);
      this.platformLog(
        `REPORT RequestId: ${inv.requestId}\tDuration: ${report.durationMs.toFixed(2)} ms\tBilled Duration: ${report.billedDurationMs} ms\t` +
          `Memory Size: ${report.memorySizeMB} MB\tMax Memory Used: ${maxMemoryUsedMB} MB` +
          (report.initDurationMs !== undefined ? `\tInit Duration: ${report.initDurationMs.toFixed(2)} ms` : '') +
          '\t',
        false,
        inv,
      );
      this.telemetry.platform(
        'platform.report',
        withTenant(
          {
            requestId: inv.requestId,
            status: inv.outcome?.ok ? 'success' : inv.outcome?.errorType === SANDBOX_TIMEDOUT ? 'timeout' : 'error',
            metrics: {
              durationMs: report.durationMs,
              billedDurationMs: report.billedDurationMs,
              memorySizeMB: report.memorySizeMB,
              maxMemoryUsedMB,
              ...(report.initDurationMs !== undefined ? { initDurationMs: report.initDurationMs } : {}),
            },
          },
          inv,
        ),
      );
    }
    inv.complete(report);
    // The next event waits for every extension that saw this one (none, most often: then no promise of its own), and
    // for what waits on this invocation's completion (a microtask: they run first, as they did behind an await).
    const extensionsDone = this.extensions.invokeDone();
    if (extensionsDone) void extensionsDone.then(() => this.reported(inv));
    else queueMicrotask(() => this.reported(inv));
  }

  /** END/REPORT of `inv` are out and its extensions are done: the next event may go. */
  private reported(inv: Invocation): void {
    if (this.reporting === inv) this.reporting = undefined;
    if (this.debugging && this.state !== 'stopping') return void this.stop('spindown');
    this.deliverIfReady();
  }

  /** contain: its processes were killed for passing MemorySize (whichever of them exits first, that is the cause). */
  get stoppedForMemory(): boolean {
    return this.containment.stoppedForMemory;
  }

  /** Peak memory of the environment's processes (containment.ts). */
  private maxMemoryUsedMB(): number {
    return this.containment.maxMemoryUsedMB(); // contain
  }

  private timeOut(inv: Invocation): void {
    if (inv.done) return;
    const seconds = this.fn.timeout.toFixed(2);
    this.timedOut.add(inv.invocationId);
    this.platformLog(`${new Date().toISOString()} ${inv.requestId} Task timed out after ${seconds} seconds`, false, inv);
    // Stopping first frees the environment's concurrency slot before the caller has its answer. With Managed Instances
    // the environment runs on (its other invocations with it); a late answer of this attempt gets 410.
    if (this.capacity === 1) void this.stop('timeout');
    inv.settle(errorOutcome(SANDBOX_TIMEDOUT, `RequestId: ${inv.requestId} Error: Task timed out after ${seconds} seconds`));
    this.telemetry.platform('platform.runtimeDone', withTenant({ requestId: inv.requestId, status: 'timeout' }, inv));
    this.finish(inv);
  }

  /**
   * Whether the runtime may post `/runtime/init/error` now: only during init. After init it is an invalid state
   * transition: Lambda and the RIE answer 403 and nothing changes (minlambda posts one after a 413, and its next
   * invoke must still run).
   */
  acceptsInitError(): boolean {
    return transition(this.lifecycle, 'initError') !== undefined;
  }

  /** Init failed (the runtime's init error, or an extension's): the pending invoke fails; the environment is discarded. */
  initFailed(errorType: string, body: Buffer): void {
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(body.toString('utf8'));
    } catch {
      parsed = { errorMessage: body.toString('utf8') };
    }
    const type = typeof parsed.errorType === 'string' ? parsed.errorType : errorType;
    const message = typeof parsed.errorMessage === 'string' ? parsed.errorMessage : 'The runtime failed to initialize.';
    this.failInit(type, message, parsed);
  }

  private failInit(errorType: string, errorMessage: string, extra: Record<string, unknown> = {}): void {
    if (this.initError) return;
    clearTimeout(this.initTimer);
    const outcome = errorOutcome(errorType, errorMessage, { ...extra, errorType, errorMessage });
    this.initError = outcome;
    this.platformLog(
      `INIT_REPORT Init Duration: ${(performance.now() - this.initStartedAt).toFixed(2)} ms\tPhase: init\tStatus: error\tError Type: ${errorType}`,
    );
    this.telemetry.platform('platform.initRuntimeDone', { initializationType: 'on-demand', phase: 'init', status: 'error', errorType });
    // Stopping first frees the environment's concurrency slot before the caller has its answer: a caller that invokes
    // again at once (concurrency 1, as with `rie`) gets the init error again, not a 429.
    void this.stop('failure');
    for (const inv of [...this.held]) {
      if (inv.done) continue;
      inv.logs.push(`${errorType}: ${errorMessage}`);
      inv.settle(outcome);
      this.finish(inv);
    }
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    // The runner asked it to stop (spindown, timeout, failure): what it held ends as the stop says.
    const stopRequested = this.lifecycle === 'stopping';
    this.exited = true;
    this.containment.detach(); // contain
    this.flushOutput();
    const delivered = this.held.some((held) => held.deliveredAt && !held.done);
    // An event written to the runtime may still have been unread when it exited: its connection's reset, which the
    // kernel set before the exit was signalled, is read in this turn of the event loop. Decide after it.
    if (delivered && !stopRequested) return void setImmediate(() => this.afterExit(code, signal, stopRequested));
    this.afterExit(code, signal, stopRequested);
  }

  private afterExit(code: number | null, signal: NodeJS.Signals | null, stopRequested: boolean): void {
    // contain: killed for passing MemorySize is Lambda's Runtime.OutOfMemory, with Go's wording of SIGKILL.
    const oom = this.containment.stoppedForMemory;
    const exitType = oom ? RUNTIME_OUT_OF_MEMORY : RUNTIME_EXIT_ERROR;
    const status = oom ? 'signal: killed' : signal ? `signal: ${signal}` : `exit status ${code}`;
    const unfinished = this.held.filter((inv) => !inv.done);
    for (const inv of unfinished) this.endAtExit(inv, exitType, status, stopRequested, oom);
    if (unfinished.length === 0 && this.initDurationMs === undefined && !this.initError && this.state !== 'stopping') {
      this.failInit(exitType, `Runtime exited during init with error: ${status}`);
    }
    void this.stop('failure');
  }

  /** What becomes of an invocation the runtime held when it exited: retried elsewhere if it never saw it, else failed. */
  private endAtExit(inv: Invocation, exitType: string, status: string, stopRequested: boolean, oom: boolean): void {
    if (inv.done) return;
    const outcome = errorOutcome(exitType, `RequestId: ${inv.requestId} Error: Runtime exited with error: ${status}`);
    if (!inv.deliveredAt && this.initDurationMs === undefined) {
      this.failInit(exitType, `Runtime exited during init with error: ${status}`);
    } else if ((!inv.deliveredAt || this.deliveredOn.get(inv)?.unread()) && !stopRequested && !oom && inv.retries < MAX_RETRIES) {
      // It exited after answering its previous invocation (an uncaught error after the answer, or on purpose after
      // a 413 as aws-lambda-go and the Python RIC do), before its event reached it (never written, or written and
      // never read): the function never saw it, so a fresh environment runs it.
      if (inv.deliveredAt) {
        this.platformLog(`RequestId: ${inv.requestId} The runtime exited (${status}) before it read this event; it runs in a new execution environment.`);
        inv.deliveredAt = 0;
      }
      inv.retries++;
      this.release(inv);
      this.deliveredOn.delete(inv);
      void this.stop('failure');
      this.hooks.retry(this, inv);
    } else {
      this.platformLog(`RequestId: ${inv.requestId} Error: Runtime exited with error: ${status}\n${exitType}`);
      inv.settle(outcome);
      this.finish(inv);
    }
  }

  /** It no longer holds `inv` (finished, or gone to another environment). */
  private release(inv: Invocation): void {
    const at = this.held.indexOf(inv);
    if (at >= 0) this.held.splice(at, 1);
  }

  /**
   * Lambda's shutdown: extensions get SHUTDOWN, the runtime SIGTERM, and whatever still runs
   * GRACEFUL_KILL_MS later is killed.
   */
  async stop(reason: 'spindown' | 'timeout' | 'failure'): Promise<void> {
    if (!this.move('stop')) return this.stopped;
    clearTimeout(this.initTimer);
    for (const deadline of this.deadlines.values()) deadline.cancel();
    // A fixed Runtime API port (`rie --runtime-api-address`) is needed by the environment that replaces this one.
    if (this.opts.runtimeApiPort !== undefined) this.listener?.close();
    this.hooks.gone(this);
    this.stopped = (async () => {
      const deadlineMs = Date.now() + GRACEFUL_KILL_MS;
      const extensionsDone = this.extensions.shutdown(reason, deadlineMs);
      const proc = this.proc;
      if (proc && !this.exited) {
        signalGroup(proc, 'SIGTERM');
        const killer = setTimeout(() => signalGroup(proc, 'SIGKILL'), GRACEFUL_KILL_MS);
        await new Promise<void>((resolve) => (this.exited ? resolve() : proc.once('exit', () => resolve())));
        clearTimeout(killer);
      }
      // Children the function started (and that outlived it) go too.
      if (proc) signalGroup(proc, 'SIGKILL');
      await extensionsDone;
      this.containment.stopAll(); // contain: whatever left the group (setsid, reparented to init) goes too
      for (const next of this.parked.splice(0)) next.destroy();
      await this.telemetry.flush();
      this.listener?.close();
      this.leaveShared?.();
      this.direct?.close();
      for (const inv of [...this.held]) {
        if (inv.done) continue;
        inv.settle(errorOutcome(RUNTIME_EXIT_ERROR, `RequestId: ${inv.requestId} Error: The execution environment was stopped (${reason}).`));
        this.finish(inv);
      }
      this.move('stopped');
    })();
    return this.stopped;
  }
  private stopped: Promise<void> = Promise.resolve();
}

function signalGroup(proc: ChildProcess, signal: NodeJS.Signals): void {
  signalProcessTree(proc, signal);
}

/** A platform event's record with the invocation's tenant (telemetry schema 2025-01-29; telemetry.ts drops it for older ones). */
function withTenant<T extends Record<string, unknown>>(record: T, inv: Invocation): T {
  return inv.tenantId === undefined ? record : { ...record, tenantId: inv.tenantId };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

// The runner sidecar seen from the editor: starts `dist/runner.js serve` for one workspace folder, waits for
// its ReadyLine, talks to the typed control API with the per-session token, follows its /events stream,
// restarts it if it dies, and stops it. vscode-free on purpose, so it can be driven from plain tests too.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Agent } from 'undici';
import type { z } from 'zod';
import {
  ChainReport,
  ComponentInterface,
  KeyValueListing,
  CONTROL_PREFIX,
  ControlError,
  DebugModeResponse,
  DebugPrepareResponse,
  FunctionList,
  InferResponse,
  InvokeResult,
  ReadyLine,
  RouteList,
  RunnerEvent,
  RunnerStatus,
  DurableExecutionList,
  type CallbackCompletion,
  type DebugMode,
  type InvokeRequest,
} from '../runner/protocol.ts';
import type { FunctionSpec } from '../runner/functions/model.ts';
import { RUNNER_ENV, RUNNER_NODE_FLAGS } from '../runner/protocol.ts';
import { onLines } from '../runner/lines.ts';

export type RunnerState =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'starting' }
  | { readonly kind: 'ready'; readonly port: number; readonly pid: number; readonly environments: number; readonly apiPort?: number | undefined }
  | { readonly kind: 'failed'; readonly message: string };

export interface RunnerOptions {
  /** Absolute folder the runner serves (discovers template.yaml / serverless.yml in). */
  readonly workspace: string;
  /** `<extensionPath>/dist/runner.js`. */
  readonly runnerScript: string;
  /** Node to run it with; empty means this process's own executable with ELECTRON_RUN_AS_NODE=1. */
  readonly nodePath?: string;
  /** The runner's own diagnostics and lifecycle messages, one line at a time. */
  readonly log: (line: string) => void;
  readonly startTimeoutMs?: number;
  /** Where the runner keeps its caches (OPEN_RUNTIME_CACHE_DIR); absent: the user's cache folder. */
  readonly cacheDir?: string;
}

/** A failure reported by the runner (ControlError) or about reaching it; `message` is a sentence for the user. */
export class RunnerError extends Error {
  readonly errorType: string;
  constructor(errorType: string, message: string) {
    super(message);
    this.name = 'RunnerError';
    this.errorType = errorType;
  }
}

export interface Subscription {
  dispose(): void;
}

const CONTROL_TIMEOUT_MS = 60_000;

type Undici = typeof import('undici');
let undiciModule: Promise<Undici> | undefined;

/**
 * undici comes from node_modules at run time (like the runner's own dependencies) instead of being bundled:
 * bundled, its 1.4 MB would be parsed on every activation (~20 ms), although nothing needs it until the
 * runner starts. The specifier is a variable so the bundler leaves the import alone.
 */
export function loadUndici(): Promise<Undici> {
  const specifier = 'undici';
  undiciModule ??= (import(specifier) as Promise<Undici & { default?: Undici }>).then((m) => (typeof m.request === 'function' ? m : m.default!));
  return undiciModule;
}
/** Restart at most this many times within CRASH_WINDOW_MS before giving up and asking the user. */
const MAX_CRASHES = 3;
const CRASH_WINDOW_MS = 60_000;

export class RunnerSidecar {
  private readonly options: RunnerOptions;
  private child: ChildProcess | undefined;
  private token = '';
  private port = 0;
  private agent: Agent | undefined;
  private starting: Promise<void> | undefined;
  private stopping = false;
  private disposed = false;
  private eventsAbort: AbortController | undefined;
  private crashes: number[] = [];
  private stderrTail: string[] = [];
  private currentState: RunnerState = { kind: 'stopped' };
  private readonly stateListeners = new Set<(s: RunnerState) => void>();
  private readonly eventListeners = new Set<(e: RunnerEvent) => void>();
  /**
   * The runner's function list, asked once and kept until the runner says it changed (functions-changed), a
   * function is inferred, or the runner (or its event stream) restarts: every click on a lens or Re-run needs it,
   * and asking each time cost a round trip and a parse of every function on the click's path.
   */
  private functionList: Promise<FunctionList> | undefined;

  constructor(options: RunnerOptions) {
    this.options = options;
  }

  get state(): RunnerState {
    return this.currentState;
  }
  get workspace(): string {
    return this.options.workspace;
  }

  onState(listener: (s: RunnerState) => void): Subscription {
    this.stateListeners.add(listener);
    return { dispose: () => this.stateListeners.delete(listener) };
  }

  onEvent(listener: (e: RunnerEvent) => void): Subscription {
    this.eventListeners.add(listener);
    return { dispose: () => this.eventListeners.delete(listener) };
  }

  /** Starts the runner unless it is already up; concurrent callers share one start. */
  ensureStarted(): Promise<void> {
    if (this.disposed)
      return Promise.reject(
        new RunnerError('Runner.Stopped', 'The Open Runtime runner was shut down with the extension; reload the window to start it again.'),
      );
    if (this.currentState.kind === 'ready' && this.child) return Promise.resolve();
    this.starting ??= this.start().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Stops the runner (if running) and starts a fresh one; resets the crash counter. */
  async restart(): Promise<void> {
    this.crashes = [];
    await this.stopProcess();
    await this.ensureStarted();
  }

  async listFunctions(): Promise<FunctionList> {
    if (!this.functionList) {
      const asked = this.call('GET', '/functions', undefined, FunctionList);
      this.functionList = asked;
      asked.catch(() => {
        if (this.functionList === asked) this.functionList = undefined;
      });
    }
    return this.functionList;
  }

  /** Re-reads the workspace's templates now (after New Function, say) rather than when the watcher notices. */
  async reloadFunctions(): Promise<FunctionList> {
    this.functionList = undefined;
    const list = await this.call('POST', '/functions/reload', {}, FunctionList);
    this.functionList = Promise.resolve(list);
    return list;
  }

  /** The HTTP gateway's routes (method, path, local URL, function, API kind), as the Routes view lists them. */
  async listRoutes(): Promise<RouteList> {
    return this.call('GET', '/routes', undefined, RouteList);
  }

  async inferFunction(file: string, exportName?: string): Promise<FunctionSpec> {
    const body = exportName ? { file, exportName } : { file };
    const { function: fn } = await this.call('POST', '/functions/infer', body, InferResponse);
    this.functionList = undefined; // the runner added it
    return fn;
  }

  /** Blocks until the invocation ends; a function error is a normal result with `error` set. */
  async invoke(req: InvokeRequest, signal?: AbortSignal): Promise<InvokeResult> {
    return this.call('POST', '/invoke', req, InvokeResult, { timeoutMs: 0, signal });
  }

  /**
   * Arms `fn` for a debugger whoever invokes it (the gateway, the Invoke API, a queue): its next (or every) invocation
   * waits for one, announced by an `armed` debug-ready event; `off` disarms it.
   */
  async setDebugMode(fn: string, mode: DebugMode): Promise<DebugModeResponse> {
    return this.call('POST', '/debug-mode', { function: fn, mode }, DebugModeResponse);
  }

  /**
   * Starts a debug environment of `fn` ahead of its invocation (POST /debug-prepare), announced by a debug-ready event
   * with `prepared: id`; `discard` stops it.
   */
  async prepareDebug(fn: string, id: string, discard = false): Promise<DebugPrepareResponse> {
    return this.call('POST', '/debug-prepare', { function: fn, id, ...(discard ? { discard: true } : {}) }, DebugPrepareResponse);
  }

  /** The WIT world of a .wasm component (the runner reads it with jco). */
  /** The component's WIT, and who serves each capability it imports. */
  async componentInterface(file: string): Promise<ComponentInterface> {
    return this.call('POST', '/component-interface', { file }, ComponentInterface);
  }

  /** The project's built-in key-value stores, or (with `store`) that store's entries. */
  async keyValue(store?: string): Promise<KeyValueListing> {
    return this.call('POST', '/keyvalue', store === undefined ? {} : { store }, KeyValueListing);
  }

  /** The middleware chains of a file, for the chain view (`text`: the unsaved editor contents). */
  async chains(file: string, text?: string): Promise<ChainReport> {
    return this.call('POST', '/chains', text === undefined ? { file } : { file, text }, ChainReport, { timeoutMs: 60_000 });
  }

  /** The runner's durable executions with their operations (the Durable Executions view). */
  async durableExecutions(): Promise<DurableExecutionList> {
    return this.call('GET', '/durable-executions', undefined, DurableExecutionList);
  }

  /** Completes a callback a durable execution waits for. */
  async completeDurableCallback(completion: CallbackCompletion): Promise<void> {
    await this.call('POST', '/durable-callbacks', completion, undefined);
  }

  async status(): Promise<RunnerStatus> {
    return this.call('GET', '/status', undefined, RunnerStatus);
  }

  /** Stops the runner for good (extension deactivation). */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stopProcess();
    this.stateListeners.clear();
    this.eventListeners.clear();
  }

  private setState(s: RunnerState): void {
    this.currentState = s;
    for (const l of [...this.stateListeners]) l(s);
  }

  private async start(): Promise<void> {
    this.stopping = false;
    this.functionList = undefined;
    this.setState({ kind: 'starting' });
    const { Agent } = await loadUndici();
    this.token = randomBytes(24).toString('hex');
    const useOwnNode = !this.options.nodePath;
    const node = this.options.nodePath || process.execPath;
    const env: NodeJS.ProcessEnv = { ...process.env, ...RUNNER_ENV };
    if (useOwnNode) env.ELECTRON_RUN_AS_NODE = '1';
    if (this.options.cacheDir) env.OPEN_RUNTIME_CACHE_DIR = this.options.cacheDir;
    // --quiet: function logs arrive on /events; stderr then carries only the runner's own diagnostics.
    const args = [...RUNNER_NODE_FLAGS, this.options.runnerScript, 'serve', '--workspace', this.options.workspace, '--port', '0', '--quiet'];
    this.options.log(`Starting the runner: ${node} ${args.join(' ')}`);
    this.stderrTail = [];

    let child: ChildProcess;
    try {
      // stdin stays open as a pipe: the runner can tell that the editor went away when it closes. Its first line is
      // the control token (not the environment: the runner's functions could read that in /proc).
      child = spawn(node, args, { cwd: this.options.workspace, env, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      child.stdin!.on('error', () => undefined); // a runner that died before reading it; 'exit' reports that
      child.stdin!.write(`${this.token}\n`);
    } catch (err) {
      const message = `Could not start the runner with ${node}: ${(err as Error).message}. Check the openRuntime.nodePath setting.`;
      this.setState({ kind: 'failed', message });
      throw new RunnerError('Runner.StartFailed', message);
    }
    this.child = child;

    const ready = await new Promise<ReadyLine>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (!settled) {
          settled = true;
          clearTimeout(timer);
          fn();
        }
      };
      const timeoutMs = this.options.startTimeoutMs ?? 30_000;
      const timer = setTimeout(
        () =>
          settle(() => {
            child.kill('SIGKILL');
            reject(
              new RunnerError('Runner.StartTimeout', `The runner did not report ready within ${timeoutMs / 1000} s. Its log is in the "Open Runtime" output.`),
            );
          }),
        timeoutMs,
      );
      onLines(child.stdout!, (line) => {
        if (!settled) {
          const parsed = safeJson(line);
          const r = parsed === undefined ? undefined : ReadyLine.safeParse(parsed);
          if (r?.success) {
            settle(() => resolve(r.data));
            return;
          }
        }
        this.options.log(line);
      });
      onLines(child.stderr!, (line) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        this.options.log(line);
      });
      child.once('error', (err) =>
        settle(() =>
          reject(
            new RunnerError(
              'Runner.StartFailed',
              `Could not start the runner with ${node}: ${err.message}. ${useOwnNode ? 'Set openRuntime.nodePath to a Node.js 20+ executable.' : 'Check the openRuntime.nodePath setting.'}`,
            ),
          ),
        ),
      );
      child.once('exit', (code, signal) =>
        settle(() =>
          reject(
            new RunnerError(
              'Runner.StartFailed',
              `The runner exited before it was ready (${signal ? `signal ${signal}` : `exit code ${code}`}).${lastWords(this.stderrTail)} See the "Open Runtime" output.`,
            ),
          ),
        ),
      );
    }).catch((err: RunnerError) => {
      this.child = undefined;
      this.setState({ kind: 'failed', message: err.message });
      throw err;
    });

    this.port = ready.port;
    this.agent = new Agent({ connections: 32, keepAliveTimeout: 10_000 });
    child.once('exit', (code, signal) => this.onExit(child, code, signal));
    this.options.log(
      `Runner ready on 127.0.0.1:${ready.port} (pid ${ready.pid}).${ready.apiPort ? ` The project's HTTP APIs (API Gateway routes, Function URLs) are on http://127.0.0.1:${ready.apiPort}.` : ''}`,
    );
    this.setState({ kind: 'ready', port: ready.port, pid: ready.pid, environments: 0, apiPort: ready.apiPort });
    this.followEvents();
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.eventsAbort?.abort();
    void this.agent?.destroy().catch(() => undefined);
    this.agent = undefined;
    if (this.stopping || this.disposed) {
      this.setState({ kind: 'stopped' });
      return;
    }
    const how = signal ? `signal ${signal}` : `exit code ${code}`;
    const now = Date.now();
    this.crashes = [...this.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
    if (this.crashes.length > MAX_CRASHES) {
      const message = `The runner stopped unexpectedly (${how}) ${this.crashes.length} times within a minute, so it was not restarted again. See the "Open Runtime" output, then run "Open Runtime: Restart Runner".`;
      this.options.log(message);
      this.setState({ kind: 'failed', message });
      return;
    }
    this.options.log(`The runner stopped unexpectedly (${how}); restarting it.`);
    this.setState({ kind: 'stopped' });
    this.ensureStarted().catch((err: Error) => this.options.log(err.message));
  }

  private async stopProcess(): Promise<void> {
    const child = this.child;
    if (!child) {
      if (this.currentState.kind !== 'failed') this.setState({ kind: 'stopped' });
      return;
    }
    this.stopping = true;
    this.eventsAbort?.abort();
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    // Ask nicely first so the runner can stop its function environments; then insist.
    await this.call('POST', '/shutdown', {}, undefined, { timeoutMs: 2_000 }).catch(() => undefined);
    const within = (ms: number) => Promise.race([exited.then(() => true), delay(ms).then(() => false)]);
    if (!(await within(3_000))) {
      child.kill('SIGTERM');
      if (!(await within(2_000))) {
        child.kill('SIGKILL');
        await within(2_000);
      }
    }
    this.child = undefined;
    await this.agent?.destroy().catch(() => undefined);
    this.agent = undefined;
    this.setState({ kind: 'stopped' });
  }

  /** Follows GET /events for as long as this runner process lives, reconnecting if the stream drops. */
  private followEvents(): void {
    const child = this.child;
    const abort = new AbortController();
    this.eventsAbort = abort;
    const loop = async () => {
      const { request } = await loadUndici();
      while (!abort.signal.aborted && this.child === child) {
        try {
          const res = await request(this.url('/events'), {
            method: 'GET',
            headers: this.headers(),
            dispatcher: this.agent,
            signal: abort.signal,
            headersTimeout: CONTROL_TIMEOUT_MS,
            bodyTimeout: 0,
          });
          if (res.statusCode !== 200) {
            const text = await res.body.text();
            throw new Error(`GET /events answered ${res.statusCode}: ${text.slice(0, 200)}`);
          }
          // A functions-changed may have gone by while the stream was down.
          this.functionList = undefined;
          const decoder = new TextDecoder();
          let buffer = '';
          for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
            buffer += decoder.decode(chunk, { stream: true });
            let nl: number;
            while ((nl = buffer.indexOf('\n')) >= 0) {
              const line = buffer.slice(0, nl).trim();
              buffer = buffer.slice(nl + 1);
              if (line) this.dispatchEvent(line);
            }
          }
        } catch (err) {
          if (abort.signal.aborted || this.child !== child) return;
          this.options.log(`Lost the runner's event stream (${(err as Error).message}); reconnecting.`);
        }
        await delay(250);
      }
    };
    void loop();
  }

  private dispatchEvent(line: string): void {
    const parsed = RunnerEvent.safeParse(safeJson(line));
    if (!parsed.success) {
      this.options.log(`Ignoring an event the extension does not understand: ${line.slice(0, 200)}`);
      return;
    }
    const event = parsed.data;
    if (event.type === 'events-dropped') {
      this.options.log(`The runner left out ${event.count} events (logs, results) that the editor did not read in time; the output may have gaps.`);
      return;
    }
    if (event.type === 'functions-changed') this.functionList = undefined;
    if (event.type === 'environments' && this.currentState.kind === 'ready') {
      this.setState({ ...this.currentState, environments: event.count });
    }
    for (const l of [...this.eventListeners]) {
      try {
        l(event);
      } catch (err) {
        this.options.log(`An event listener failed: ${(err as Error).message}`);
      }
    }
  }

  private url(route: string): string {
    return `http://127.0.0.1:${this.port}${CONTROL_PREFIX}${route}`;
  }

  private headers(json = false): Record<string, string> {
    return json ? { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' } : { authorization: `Bearer ${this.token}` };
  }

  private async call<T>(
    method: 'GET' | 'POST',
    route: string,
    body: unknown,
    schema: z.ZodType<T> | undefined,
    opts: { timeoutMs?: number; signal?: AbortSignal | undefined } = {},
  ): Promise<T> {
    if (method !== 'POST' || route !== '/shutdown') await this.ensureStarted();
    if (!this.agent) throw new RunnerError('Runner.Stopped', 'The runner is not running. Run "Open Runtime: Restart Runner".');
    const timeout = opts.timeoutMs ?? CONTROL_TIMEOUT_MS;
    const { request } = await loadUndici();
    let res;
    try {
      res = await request(this.url(route), {
        method,
        dispatcher: this.agent,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        headersTimeout: timeout,
        bodyTimeout: timeout,
        signal: opts.signal,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw new RunnerError('Runner.Cancelled', 'The request to the runner was cancelled.');
      throw new RunnerError(
        'Runner.Unreachable',
        `Could not reach the runner (${(err as Error).message}). It restarts automatically if it stopped; try again.`,
      );
    }
    let text: string;
    try {
      text = await res.body.text();
    } catch (err) {
      throw new RunnerError(
        'Runner.Unreachable',
        `The runner stopped answering during ${method} ${route} (${(err as Error).message}). It restarts automatically if it stopped; try again.`,
      );
    }
    const json = safeJson(text);
    if (res.statusCode < 200 || res.statusCode >= 300) {
      const e = ControlError.safeParse(json);
      if (e.success) throw new RunnerError(e.data.errorType, e.data.message);
      throw new RunnerError('Runner.ProtocolError', `The runner answered ${method} ${route} with HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
    }
    if (!schema) return undefined as T;
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new RunnerError(
        'Runner.ProtocolError',
        `The runner's answer to ${method} ${route} does not match the protocol (${parsed.error.issues
          .slice(0, 3)
          .map((i) => `${i.path.join('.')}: ${i.message}`)
          .join('; ')}). Is the extension newer than dist/runner.js? Run npm run build.`,
      );
    }
    return parsed.data;
  }
}

/** The line of a dying process's stderr that says what went wrong, not its stack frames or Node banner. */
function lastWords(tail: readonly string[]): string {
  const meaningful = tail
    .map((l) => l.trim())
    .filter((l) => l && !/^at\s/.test(l) && !/^[{}[\]^)(]+$/.test(l) && !/^Node\.js v\d/.test(l) && !/^\w+: ['"[{]/.test(l));
  const error = meaningful.find((l) => /\b\w*(Error|Exception)\b|error:/i.test(l));
  const words = error ?? meaningful[meaningful.length - 1];
  return words ? ` It said: ${words}` : '';
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

// Extensions API 2020-01-01 for one execution environment: external extensions (executables in a local layer's
// `extensions/` folder) start before the runtime, register, and receive INVOKE and SHUTDOWN events. Where the
// layers are shown at /opt (runtimes/layers.ts), each starts there as Lambda starts it, /opt/extensions/NAME, inside
// the same view of /opt as the runtime, since extensions read their own files under /opt.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { accessSync, constants, existsSync, readdirSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { z } from 'zod';
import { headerValue, readBody, sendJson, sendRuntimeError } from '../http-util.ts';
import type { ExtensionsEnvironment } from './served-environment.ts';
import { deployedName } from '../functions/model.ts';
import { functionArn } from '../functions/arns.ts';
import { errorOutcome, type Invocation } from '../environments/invocation.ts';
import { LaunchError, type LaunchPlan } from '../runtimes/spawn.ts';
import { EXTENSION_CRASH, EXTENSION_INIT_ERROR, EXTENSION_UNKNOWN } from '../lambda-errors.ts';

const MAX_EXTENSIONS = 10;
const RegisterBody = z.object({ events: z.array(z.enum(['INVOKE', 'SHUTDOWN'])).default([]) });

interface RegisteredExtension {
  id: string;
  name: string;
  events: Set<'INVOKE' | 'SHUTDOWN'>;
  parked: ServerResponse | undefined;
  queued: unknown[];
  /** Saw the current INVOKE and has not yet asked for its next event. */
  busy: boolean;
  /** Called event/next at least once: its init is done. */
  initDone: boolean;
}

export class ExtensionHost {
  private readonly env: ExtensionsEnvironment;
  private readonly byId = new Map<string, RegisteredExtension>();
  private readonly processes: ChildProcess[] = [];
  private invokeWaiters: Array<() => void> = [];
  private readonly registrationWaiters = new Map<string, () => void>();
  private initTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;

  constructor(env: ExtensionsEnvironment) {
    this.env = env;
  }

  get count(): number {
    return this.byId.size;
  }

  /** The extension processes still running: they may use the environment's Runtime API. */
  get pids(): number[] {
    return this.processes.filter((p) => p.exitCode === null && p.signalCode === null && p.pid !== undefined).map((p) => p.pid!);
  }

  /** The name an extension registered with, or undefined for an identifier no extension of this environment got. */
  nameOf(id: string): string | undefined {
    return this.byId.get(id)?.name;
  }

  /**
   * Starts every extension executable of the function's layers and waits until each registered or exited. The
   * rest of the init cap is then the extensions' time to ask for their first event: Lambda's init phase ends only
   * when the runtime and every extension have called next.
   */
  async startAll(layers: string[], plan: Pick<LaunchPlan, 'env' | 'atOpt'>, timeoutMs: number): Promise<void> {
    const executables = listExtensions(layers);
    if (executables.length === 0) return;
    const { env, atOpt } = plan;
    const startedAt = Date.now();
    const registeredOrExited = executables.map(({ name, file }) => {
      const [command, args] = atOpt ? [atOpt.command, [...atOpt.args, `/opt/extensions/${name}`]] : [file, []];
      const proc = spawn(command, args, { env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
      this.processes.push(proc);
      const log = (chunk: Buffer) => {
        for (const line of chunk.toString('utf8').split('\n')) if (line) this.env.telemetry.extensionLog(name, line), this.env.platformLog(line);
      };
      proc.stdout!.on('data', log);
      proc.stderr!.on('data', log);
      proc.once('exit', (code, signal) => this.extensionExited(name, signal ? `signal ${signal}` : `exit status ${code}`));
      return new Promise<void>((resolve) => {
        this.registrationWaiters.set(name, resolve);
        proc.once('exit', () => resolve());
        proc.once('error', (err) => {
          this.env.platformLog(`EXTENSION ${name} could not start: ${err.message}. Check that ${file} is an executable for this machine.`);
          resolve();
        });
      });
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new LaunchError(EXTENSION_INIT_ERROR, `An extension did not register within ${timeoutMs / 1000} s.`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(registeredOrExited), timeout]);
    } finally {
      clearTimeout(timer);
      this.registrationWaiters.clear();
    }
    if (!this.env.debugging && !this.initComplete()) {
      this.initTimer = setTimeout(() => this.initTimedOut(timeoutMs), Math.max(0, timeoutMs - (Date.now() - startedAt)));
    }
  }

  private initComplete(): boolean {
    return [...this.byId.values()].every((e) => e.initDone);
  }

  private initTimedOut(timeoutMs: number): void {
    const late = [...this.byId.values()].filter((e) => !e.initDone).map((e) => e.name);
    if (late.length === 0 || this.shuttingDown) return;
    const errorMessage =
      `Extension ${late.join(', ')} did not ask for its first event (GET /2020-01-01/extension/event/next) within ${timeoutMs / 1000} s, ` +
      'so the execution environment never finished its init. An extension must call event/next once it is ready.';
    this.env.initFailed(EXTENSION_INIT_ERROR, Buffer.from(JSON.stringify({ errorType: EXTENSION_INIT_ERROR, errorMessage })));
  }

  /**
   * An extension process ended outside of SHUTDOWN. A registered one has crashed: Lambda fails the invoke with
   * Extension.Crash and resets the environment, so the next invoke gets a new one instead of waiting on it forever.
   */
  private extensionExited(name: string, status: string): void {
    if (this.shuttingDown || this.env.state === 'stopping') return;
    // Killed with the rest of the environment for its memory: the runtime's exit reports Runtime.OutOfMemory.
    if (this.env.stoppedForMemory) return;
    const ext = [...this.byId.values()].find((e) => e.name === name);
    if (!ext) {
      this.env.platformLog(`EXTENSION ${name} exited (${status}) without registering; the function runs without it.`);
      return;
    }
    const message = `Extension ${name} crashed (${status}). The execution environment is reset, as Lambda does; the next invoke starts a new one.`;
    this.env.platformLog(`EXTENSION\tName: ${name}\tState: Crashed\tEvents: [${[...ext.events].join(',')}]\tError Type: Extension.Crash`);
    if (!ext.initDone) {
      this.env.initFailed(EXTENSION_CRASH, Buffer.from(JSON.stringify({ errorType: EXTENSION_CRASH, errorMessage: message })));
      return;
    }
    const inv = this.env.current;
    // Stop first, so the environment is not offered another invocation once this one is answered.
    void this.env.stop('failure');
    if (inv && !inv.done) this.env.answer(inv, errorOutcome(EXTENSION_CRASH, `RequestId: ${inv.requestId} Error: ${message}`));
  }

  /** Every extension finished init and waits for the next event: the runtime may get its event. */
  readyForInvoke(): boolean {
    for (const ext of this.byId.values()) {
      if (!ext.initDone || ext.busy || (ext.events.has('INVOKE') && !ext.parked)) return false;
    }
    return true;
  }

  dispatchInvoke(inv: Invocation): void {
    for (const ext of this.byId.values()) {
      if (!ext.events.has('INVOKE')) continue;
      ext.busy = true;
      this.send(ext, {
        eventType: 'INVOKE',
        deadlineMs: inv.deadlineMs,
        requestId: inv.requestId,
        invokedFunctionArn: functionArn(this.env.fn),
        tracing: { type: 'X-Amzn-Trace-Id', value: inv.traceId },
      });
    }
  }

  /** Resolves once every extension that saw the invoke asked for its next event. */
  invokeDone(): Promise<void> | undefined {
    if (this.shuttingDown || this.byId.size === 0) return undefined;
    for (const ext of this.byId.values()) if (ext.busy) return new Promise((resolve) => this.invokeWaiters.push(resolve));
    return undefined;
  }

  async shutdown(reason: 'spindown' | 'timeout' | 'failure', deadlineMs: number): Promise<void> {
    this.shuttingDown = true;
    clearTimeout(this.initTimer);
    for (const waiter of this.invokeWaiters.splice(0)) waiter();
    for (const ext of this.byId.values()) {
      if (ext.events.has('SHUTDOWN')) this.send(ext, { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs });
    }
    const alive = this.processes.filter((p) => p.exitCode === null && p.signalCode === null);
    await Promise.all(
      alive.map(
        (proc) =>
          new Promise<void>((resolve) => {
            const killer = setTimeout(() => proc.kill('SIGKILL'), Math.max(0, deadlineMs - Date.now()));
            proc.once('exit', () => {
              clearTimeout(killer);
              resolve();
            });
          }),
      ),
    );
    for (const ext of this.byId.values()) ext.parked?.destroy();
  }

  // ---- HTTP routes under /2020-01-01/extension ----------------------------------------------------------------

  /** The Extensions API's routes, one line each: method, route under /2020-01-01/extension, handler. */
  private readonly routes: Array<[string, string, (req: IncomingMessage, res: ServerResponse, route: string) => Promise<void> | void]> = [
    ['POST', '/register', (req, res) => this.register(req, res)],
    ['GET', '/event/next', (req, res) => this.next(req, res)],
    ['POST', '/init/error', (req, res, route) => this.reportError(req, res, route)],
    ['POST', '/exit/error', (req, res, route) => this.reportError(req, res, route)],
  ];

  async handle(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const found = this.routes.find(([method, path]) => method === req.method && path === route);
    if (found) return found[2](req, res, route);
    req.resume();
    sendRuntimeError(res, 404, 'NotFound', `No such Extensions API route: ${req.method} ${route}`);
  }

  private async register(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const name = headerValue(req, 'lambda-extension-name');
    const body = await readBody(req, 64 * 1024);
    if (!name) return sendRuntimeError(res, 400, 'InvalidRequest', 'Missing header Lambda-Extension-Name.');
    let parsed: z.infer<typeof RegisterBody>;
    try {
      parsed = RegisterBody.parse(body.length ? JSON.parse(body.toString('utf8')) : {});
    } catch (err) {
      return sendRuntimeError(res, 400, 'InvalidRequest', `Bad register body: ${(err as Error).message}`);
    }
    if (this.byId.size >= MAX_EXTENSIONS) return sendRuntimeError(res, 400, 'TooManyExtensions', `At most ${MAX_EXTENSIONS} extensions can register.`);
    if ([...this.byId.values()].some((e) => e.name === name))
      return sendRuntimeError(res, 409, 'ExtensionAlreadyRegistered', `An extension named ${name} is already registered.`);
    const id = randomUUID();
    this.byId.set(id, { id, name, events: new Set(parsed.events), parked: undefined, queued: [], busy: false, initDone: false });
    sendJson(
      res,
      200,
      { functionName: deployedName(this.env.fn), functionVersion: '$LATEST', handler: this.env.fn.handler },
      { 'Lambda-Extension-Identifier': id },
    );
    this.registrationWaiters.get(name)?.();
  }

  private next(req: IncomingMessage, res: ServerResponse): void {
    const ext = this.byId.get(headerValue(req, 'lambda-extension-identifier') ?? '');
    if (!ext) return sendRuntimeError(res, 403, EXTENSION_UNKNOWN, 'Unknown or missing Lambda-Extension-Identifier.');
    ext.initDone = true;
    if (this.initComplete()) clearTimeout(this.initTimer);
    ext.parked = res;
    res.on('close', () => {
      if (ext.parked === res) ext.parked = undefined;
    });
    if (ext.busy) {
      ext.busy = false;
      if (![...this.byId.values()].some((e) => e.busy)) for (const waiter of this.invokeWaiters.splice(0)) waiter();
    }
    const queued = ext.queued.shift();
    if (queued) this.send(ext, queued);
    else this.env.deliverIfReady();
  }

  private async reportError(req: IncomingMessage, res: ServerResponse, route: string): Promise<void> {
    const ext = this.byId.get(headerValue(req, 'lambda-extension-identifier') ?? '');
    const body = await readBody(req, 1024 * 1024);
    if (!ext) return sendRuntimeError(res, 403, EXTENSION_UNKNOWN, 'Unknown or missing Lambda-Extension-Identifier.');
    const errorType = headerValue(req, 'lambda-extension-function-error-type') ?? EXTENSION_UNKNOWN;
    sendJson(res, 202, { status: 'OK' });
    this.env.platformLog(`EXTENSION ${ext.name} reported ${route.slice(1)}: ${errorType} ${body.toString('utf8')}`);
    if (route === '/init/error')
      this.env.initFailed(
        errorType,
        Buffer.from(JSON.stringify({ errorType, errorMessage: `Extension ${ext.name} failed to initialize: ${body.toString('utf8') || errorType}` })),
      );
  }

  private send(ext: RegisteredExtension, event: unknown): void {
    const res = ext.parked;
    if (!res) {
      ext.queued.push(event);
      return;
    }
    ext.parked = undefined;
    sendJson(res, 200, event, { 'Lambda-Extension-Event-Identifier': randomUUID() });
  }
}

/**
 * The executables in the layers' `extensions/` folders, by name. As in /opt/extensions, where Lambda extracts the
 * layers in order, an extension of a later layer replaces one of the same name in an earlier layer.
 */
function listExtensions(layers: string[]): Array<{ name: string; file: string }> {
  const byName = new Map<string, string>();
  for (const layer of layers) {
    const dir = join(layer, 'extensions');
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) {
      const file = join(dir, name);
      try {
        accessSync(file, constants.X_OK);
        if (statSync(file).isFile()) byName.set(name, file);
      } catch {
        // Not an executable file: Lambda would not start it either.
      }
    }
  }
  return [...byName].map(([name, file]) => ({ name, file }));
}

// Executable middlewares (PROTOCOL.md). One process per hook call (`<exe> before|after|error`, JSON on stdin, JSON
// on stdout), or a long-lived one (`<exe> serve`, started once, one JSON request per line, answers by id).
// Every way a middleware can break (it cannot start, crashes, hangs past its timeout, prints invalid JSON or
// nothing) becomes a MiddlewareFailure naming it, its hook and what it printed; the runner keeps serving.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { MiddlewareFailure, readHookOutput, readHookValue, type HookAnswer } from './hook-answer.ts';
import { ownProcessGroup, signalProcessTree } from '../platform.ts';
import type { Hook } from './manifest.ts';

/** What a hook knows about the invocation besides its input. */
export interface HookContext {
  requestId: string;
  functionName: string;
  /** Epoch milliseconds when the function's timeout ends. */
  deadlineMs: number;
  /** The function's environment variables (middlewares read their settings there, like the function does). */
  environment: Record<string, string>;
  /** One line the middleware wrote on stderr: it goes to the invocation's logs. */
  log(line: string): void;
}

export interface ExecutableSpec {
  name: string;
  /** The middleware's file (its folder is the working directory). */
  path: string;
  command: string;
  args: string[];
}

const MAX_OUTPUT = 6 * 1024 * 1024 + 64 * 1024;

function processEnv(ctx: Pick<HookContext, 'environment' | 'functionName'>, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...ctx.environment, AWS_LAMBDA_FUNCTION_NAME: ctx.functionName, OPEN_RUNTIME_FUNCTION: ctx.functionName, ...extra };
}

/** Kills a middleware and anything it started (it runs in its own process group). */
export function killTree(child: ChildProcess): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  signalProcessTree(child, 'SIGKILL');
}

/**
 * Starts a long-lived process speaking a line protocol, in its own process group (killTree stops what it starts):
 * each stdout line goes to `onLine`; stderr is left to the caller, as UTF-8.
 */
export function spawnLineProcess(
  command: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
  onLine: (line: string) => void,
): ChildProcess {
  const child = spawn(command, args, { ...options, stdio: ['pipe', 'pipe', 'pipe'], ...ownProcessGroup() });
  child.stdin!.on('error', () => undefined);
  child.stdout!.setEncoding('utf8');
  createInterface({ input: child.stdout!, crlfDelay: Infinity }).on('line', onLine);
  child.stderr!.setEncoding('utf8');
  return child;
}

/** Stops a long-lived process: closing its stdin is the polite stop; one that ignores it is killed 500 ms later. */
export function stopLongLived(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.stdin!.end();
    setTimeout(() => killTree(child), 500).unref();
  });
}

export function startFailure(spec: Pick<ExecutableSpec, 'command'>, err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOENT') return `it could not be started: ${spec.command} was not found (is it installed and on PATH?)`;
  if (err.code === 'EACCES') return `it could not be started: ${spec.command} is not executable (chmod +x it)`;
  return `it could not be started: ${err.message}`;
}

export function exitDescription(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

/** Live per-call processes, so the runner can stop them when it closes. */
const running = new Set<ChildProcess>();

/** Runs one hook in its own process. */
export function runHookProcess(spec: ExecutableSpec, hook: Hook, input: unknown, ctx: HookContext, timeoutMs: number): Promise<HookAnswer> {
  return new Promise((resolve, reject) => {
    let child: ChildProcess;
    try {
      child = spawn(spec.command, [...spec.args, hook], {
        cwd: dirname(spec.path),
        env: processEnv(ctx, { OPEN_RUNTIME_HOOK: hook, OPEN_RUNTIME_REQUEST_ID: ctx.requestId, OPEN_RUNTIME_DEADLINE_MS: String(ctx.deadlineMs) }),
        stdio: ['pipe', 'pipe', 'pipe'],
        ...ownProcessGroup(),
      });
    } catch (err) {
      return reject(new MiddlewareFailure(spec.name, hook, startFailure(spec, err as NodeJS.ErrnoException)));
    }
    running.add(child);
    let stdout = '';
    let stderr = '';
    let overflow = false;
    let timedOut = false;
    let startError: NodeJS.ErrnoException | undefined;
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (chunk: string) => {
      if (stdout.length + chunk.length > MAX_OUTPUT) {
        overflow = true;
        killTree(child);
      } else stdout += chunk;
    });
    child.stderr!.setEncoding('utf8');
    createInterface({ input: child.stderr! }).on('line', (line) => {
      stderr += `${line}\n`;
      if (stderr.length > 64 * 1024) stderr = stderr.slice(-32 * 1024);
      ctx.log(`[${spec.name}] ${line}`);
    });
    // A middleware may exit without reading its input: that is not an error of the runner's.
    child.stdin!.on('error', () => undefined);
    child.stdin!.end(JSON.stringify(input));
    const timer = setTimeout(() => {
      timedOut = true;
      killTree(child);
    }, timeoutMs);
    child.on('error', (err) => {
      startError = err as NodeJS.ErrnoException;
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      running.delete(child);
      const printed = { stdout, stderr };
      if (startError && child.pid === undefined) return reject(new MiddlewareFailure(spec.name, hook, startFailure(spec, startError)));
      if (timedOut) return reject(new MiddlewareFailure(spec.name, hook, `it did not finish within its ${timeoutMs} ms timeout and was stopped`, printed));
      if (overflow) return reject(new MiddlewareFailure(spec.name, hook, `it printed more than ${MAX_OUTPUT} bytes`, { stderr }));
      if (code !== 0) return reject(new MiddlewareFailure(spec.name, hook, `it ${exitDescription(code, signal)}`, printed));
      try {
        resolve(readHookOutput(stdout, spec.name, hook, stderr));
      } catch (err) {
        reject(err);
      }
    });
  });
}

interface Pending {
  id: number;
  child: ChildProcess;
  hook: Hook;
  ctx: HookContext;
  resolve(answer: HookAnswer): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/**
 * A long-lived middleware: `<exe> serve` started on first use, kept for the runner's lifetime, fed one request per
 * line `{"id", "hook", "input", "context"}` and answering `{"id", "output"}` per line (in any order). When it
 * breaks (exits, hangs, prints a line that is not an answer) the calls waiting on it fail and the next call starts
 * it again.
 */
export class LongLivedMiddleware {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = '';
  private readonly spec: ExecutableSpec;
  private readonly environment: Record<string, string>;
  private readonly functionName: string;
  private closed = false;

  constructor(spec: ExecutableSpec, functionName: string, environment: Record<string, string>) {
    this.spec = spec;
    this.functionName = functionName;
    this.environment = environment;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  call(hook: Hook, input: unknown, ctx: HookContext, timeoutMs: number): Promise<HookAnswer> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new MiddlewareFailure(this.spec.name, hook, 'the runner is shutting down'));
      let child: ChildProcess;
      try {
        child = this.child ?? this.start();
      } catch (err) {
        return reject(new MiddlewareFailure(this.spec.name, hook, startFailure(this.spec, err as NodeJS.ErrnoException)));
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(
          new MiddlewareFailure(
            this.spec.name,
            hook,
            `it did not answer within its ${timeoutMs} ms timeout; the long-lived process was stopped and starts again on the next call`,
            { stderr: this.stderrTail },
          ),
        );
        this.restart(child, `another call (${hook}) timed out`);
      }, timeoutMs);
      this.pending.set(id, { id, child, hook, ctx, resolve, reject, timer });
      const context = { requestId: ctx.requestId, functionName: ctx.functionName, deadlineMs: ctx.deadlineMs };
      child.stdin!.write(`${JSON.stringify({ id, hook, input, context })}\n`);
    });
  }

  private start(): ChildProcess {
    const child: ChildProcess = spawnLineProcess(
      this.spec.command,
      [...this.spec.args, 'serve'],
      { cwd: dirname(this.spec.path), env: processEnv({ environment: this.environment, functionName: this.functionName }, { OPEN_RUNTIME_HOOK: 'serve' }) },
      (line) => this.answer(child, line),
    );
    this.child = child;
    this.stderrTail = '';
    createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail = `${this.stderrTail}${line}\n`.slice(-4096);
      // Written while serving a call: it belongs to that call's logs (the oldest one waiting).
      const oldest = this.pending.values().next().value;
      oldest?.ctx.log(`[${this.spec.name}] ${line}`);
    });
    let startError: Error | undefined;
    child.on('error', (err) => {
      startError = err;
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
    });
    // 'close' comes after the last stdout line: answers still in the pipe are read before what is left fails.
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const why =
        startError && child.pid === undefined
          ? startFailure(this.spec, startError as NodeJS.ErrnoException)
          : `its long-lived process ${exitDescription(code, signal)}`;
      this.failAll(child, why);
    });
    return child;
  }

  private answer(child: ChildProcess, line: string): void {
    if (!line.trim()) return this.failOldest(child, 'it printed an empty line instead of an answer (print {"id": ..., "output": ...})', line, false);
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (err) {
      return this.failOldest(child, `it printed invalid JSON (${(err as Error).message})`, line, true);
    }
    const m = message as { id?: unknown; output?: unknown };
    const id = typeof m?.id === 'number' ? m.id : typeof m?.id === 'string' ? Number(m.id) : undefined;
    const pending = id !== undefined ? this.pending.get(id) : this.pending.size === 1 ? this.pending.values().next().value : undefined;
    if (!pending)
      return this.failOldest(
        child,
        `it answered with an unknown id ${JSON.stringify(m?.id)} (answers are {"id": <the request's id>, "output": ...})`,
        line,
        true,
      );
    this.pending.delete(pending.id);
    clearTimeout(pending.timer);
    if (!('output' in (m as object))) {
      return pending.reject(
        new MiddlewareFailure(this.spec.name, pending.hook, 'it answered without an "output" (print {"id": ..., "output": <the replacement value>})', {
          stdout: line,
          stderr: this.stderrTail,
        }),
      );
    }
    try {
      pending.resolve(readHookValue(m.output, this.spec.name, pending.hook, { stdout: line }));
    } catch (err) {
      pending.reject(err as Error);
    }
  }

  /** A line that answers nothing: the oldest call fails with it, and the process, in an unknown state, restarts. */
  private failOldest(child: ChildProcess, what: string, line: string, restart: boolean): void {
    const oldest = [...this.pending.values()].find((p) => p.child === child);
    if (oldest) {
      this.pending.delete(oldest.id);
      clearTimeout(oldest.timer);
      oldest.reject(new MiddlewareFailure(this.spec.name, oldest.hook, what, { stdout: line, stderr: this.stderrTail }));
    }
    if (restart) this.restart(child, 'it printed a line that is not an answer');
  }

  /** Fails the calls waiting on one process (or on any, when the runner closes). */
  private failAll(child: ChildProcess | undefined, why: string): void {
    for (const p of [...this.pending.values()]) {
      if (child && p.child !== child) continue;
      this.pending.delete(p.id);
      clearTimeout(p.timer);
      p.reject(new MiddlewareFailure(this.spec.name, p.hook, why, { stderr: this.stderrTail }));
    }
  }

  private restart(child: ChildProcess, why: string): void {
    if (this.child === child) this.child = undefined;
    killTree(child);
    this.failAll(child, `its long-lived process was restarted because ${why}`);
  }

  close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    this.failAll(undefined, 'the runner is shutting down');
    return stopLongLived(child);
  }
}

/** Stops per-call processes still running (the runner is closing). */
export function stopRunningHooks(): void {
  for (const child of running) killTree(child);
}

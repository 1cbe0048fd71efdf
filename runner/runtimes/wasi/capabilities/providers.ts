// The main thread's side of capabilities a worker cannot serve alone: executable providers (PROVIDERS.md), one
// long-lived process per command and folder, shared by every function and worker that names it, answering one
// JSON request per line by id, in any order; and the built-in messaging, which invokes local functions. Every
// way a provider breaks (it cannot start, exits, hangs, prints a line that answers nothing) becomes an answer
// naming it, and the next call starts it again: the runner keeps serving.
import type { ChildProcess } from 'node:child_process';
import { exitDescription, killTree, spawnLineProcess, startFailure, stopLongLived } from '../../../middleware/executable.ts';
import type { ExecProvider, HostAnswer, HostCall } from '../messages.ts';

/** How the built-in messaging reaches other functions: LocalLambda's invoke, settled. */
export type InvokeLocal = (functionName: string, payload: Buffer) => { settled: Promise<{ ok: boolean; body: Buffer; errorType?: string }> };

export class CapabilityProviders {
  private readonly processes = new Map<string, ProviderProcess>();
  private invokeLocal: InvokeLocal | undefined;

  /** Connects the built-in messaging to the runner's functions. */
  connect(invoke: InvokeLocal): void {
    this.invokeLocal = invoke;
  }

  async answer(call: HostCall): Promise<HostAnswer> {
    const { id } = call;
    try {
      if (call.provider) return { id, ok: true, result: await this.processOf(call.provider).call(call) };
      if (call.capability === 'messaging' && call.target) return { id, ok: true, result: await this.deliver(call, call.target) };
      return { id, ok: false, error: `the runner has no provider for ${call.capability} ${call.op}` };
    } catch (error) {
      return { id, ok: false, error: (error as Error).message };
    }
  }

  /** Processes running now, by provider name (tests, the editor). */
  running(): Array<{ name: string; pid: number | undefined }> {
    return [...this.processes.values()].map((p) => ({ name: p.provider.name, pid: p.pid }));
  }

  async close(): Promise<void> {
    await Promise.all([...this.processes.values()].map((p) => p.close()));
    this.processes.clear();
  }

  private processOf(provider: ExecProvider): ProviderProcess {
    const key = `${provider.cwd}\0${provider.command.join('\0')}`;
    let process_ = this.processes.get(key);
    if (!process_) this.processes.set(key, (process_ = new ProviderProcess(provider)));
    return process_;
  }

  /** Built-in messaging: the message becomes the event of the subject's function. */
  private async deliver(call: HostCall, target: string): Promise<Record<string, unknown>> {
    if (!this.invokeLocal) throw new Error('this runner has no functions to deliver messages to');
    const body = call.args.body instanceof Uint8Array ? Buffer.from(call.args.body) : Buffer.alloc(0);
    const event = { subject: call.args.subject, body: body.toString('utf8'), ...(call.args.replyTo ? { replyTo: call.args.replyTo } : {}) };
    let invocation: ReturnType<InvokeLocal>;
    try {
      invocation = this.invokeLocal(target, Buffer.from(JSON.stringify(event)));
    } catch (error) {
      throw new Error(`function ${target} could not be invoked: ${(error as Error).message}`);
    }
    if (call.op === 'publish') {
      // Fire and forget, as a broker would: the function's failure is in its own log.
      invocation.settled.catch(() => undefined);
      return {};
    }
    const outcome = await withTimeout(invocation.settled, call.timeoutMs, `function ${target} did not answer the request within ${call.timeoutMs} ms`);
    if (!outcome.ok) throw new Error(`function ${target} failed (${outcome.errorType ?? 'error'}): ${outcome.body.toString('utf8').slice(0, 300)}`);
    return { subject: call.args.subject, body: outcome.body.toString('base64') };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    promise.then(
      (value) => (clearTimeout(timer), resolve(value)),
      (error: unknown) => (clearTimeout(timer), reject(error as Error)),
    );
  });
}

interface Pending {
  id: number;
  child: ChildProcess;
  resolve(result: Record<string, unknown>): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** One provider program, started on first use; `{"id", "capability", "op", ...args}` per line in, `{"id", "result"}` or `{"id", "error"}` out. */
class ProviderProcess {
  readonly provider: ExecProvider;
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stderrTail = '';
  private closed = false;

  constructor(provider: ExecProvider) {
    this.provider = provider;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  call(call: HostCall): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(new Error('the runner is shutting down'));
      let child: ChildProcess;
      try {
        child = this.child ?? this.start();
      } catch (error) {
        return reject(new Error(startFailure({ command: this.provider.command[0]! }, error as NodeJS.ErrnoException)));
      }
      const id = this.nextId++;
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`it did not answer within ${call.timeoutMs} ms; the runner stopped it, and the next call starts it again${this.said()}`));
        this.restart(child, `a ${call.op} call timed out`);
      }, call.timeoutMs);
      this.pending.set(id, { id, child, resolve, reject, timer });
      const args = { ...call.args };
      child.stdin!.write(`${JSON.stringify({ id, capability: call.capability, op: call.op, ...args })}\n`);
    });
  }

  private said(): string {
    const tail = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
    return tail ? `. Its stderr: ${tail}` : '';
  }

  private start(): ChildProcess {
    const [program, ...args] = this.provider.command;
    const child: ChildProcess = spawnLineProcess(program!, args, { cwd: this.provider.cwd, env: { ...process.env, OPEN_RUNTIME_PROVIDER: '1' } }, (line) =>
      this.answer(child, line),
    );
    this.child = child;
    this.stderrTail = '';
    child.stderr!.on('data', (text: string) => {
      this.stderrTail = `${this.stderrTail}${text}`.slice(-4096);
    });
    let startError: Error | undefined;
    child.on('error', (error) => {
      startError = error;
    });
    // 'close' comes after the last stdout line: answers still in the pipe are read before the rest fail.
    child.on('close', (code, signal) => {
      if (this.child === child) this.child = undefined;
      const why =
        startError && child.pid === undefined
          ? startFailure({ command: program! }, startError as NodeJS.ErrnoException)
          : `its process ${exitDescription(code, signal)}${this.said()}`;
      this.failAll(child, why);
    });
    return child;
  }

  private answer(child: ChildProcess, line: string): void {
    if (!line.trim()) return;
    let message: { id?: unknown; result?: unknown; error?: unknown };
    try {
      message = JSON.parse(line) as typeof message;
    } catch (error) {
      return this.garbage(child, `it printed a line that is not JSON (${(error as Error).message}): ${line.slice(0, 120)}`);
    }
    const pending = typeof message?.id === 'number' ? this.pending.get(message.id) : undefined;
    if (!pending) return this.garbage(child, `it printed an answer to no request (id ${JSON.stringify(message?.id)}): ${line.slice(0, 120)}`);
    this.pending.delete(pending.id);
    clearTimeout(pending.timer);
    if (typeof message.error === 'string') return pending.reject(new Error(message.error));
    if (!message.result || typeof message.result !== 'object' || Array.isArray(message.result)) {
      return pending.reject(new Error(`it answered without a "result" object or an "error" text: ${line.slice(0, 120)}`));
    }
    pending.resolve(message.result as Record<string, unknown>);
  }

  /** A line that answers nothing: the process is in an unknown state, so every call waiting on it fails and it restarts. */
  private garbage(child: ChildProcess, what: string): void {
    this.restart(child, what);
  }

  private failAll(child: ChildProcess | undefined, why: string): void {
    for (const p of [...this.pending.values()]) {
      if (child && p.child !== child) continue;
      this.pending.delete(p.id);
      clearTimeout(p.timer);
      p.reject(new Error(why));
    }
  }

  private restart(child: ChildProcess, why: string): void {
    if (this.child === child) this.child = undefined;
    killTree(child);
    this.failAll(child, `${why}; the runner stopped it, and the next call starts it again`);
  }

  close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    this.child = undefined;
    this.failAll(undefined, 'the runner is shutting down');
    return stopLongLived(child);
  }
}

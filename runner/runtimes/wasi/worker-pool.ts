// A pool of long-lived worker threads (about one per core) that run component invocations, one at a time
// each. Starting a worker costs 100-200 ms, so they stay; compiled modules are sent to a worker once. A call
// past its deadline can't be interrupted from inside (a guest loop never yields), so its worker is terminated,
// the caller gets the timeout, and a new worker takes its place.
import { availableParallelism } from 'node:os';
import { workerEntry } from '../../paths.ts';
import { Worker, type MessagePort } from 'node:worker_threads';
import { createInterface } from 'node:readline';
import type { CompiledComponent } from './component-store.ts';
import type { FromWorker, GuestResult, GuestSettings, HostAnswer, HostCall, RunRequest, WorkerRole } from './messages.ts';

/** The worker entry: the .ts file when running from source, the bundled file next to dist/runner.js otherwise. */
export function workerUrl(): URL {
  return workerEntry(import.meta.url, './worker.ts', 'wasi-worker.js');
}

export function spawnWorker(role: WorkerRole): Worker {
  // No execArgv from the parent: test runners' and debuggers' flags are not for these threads. Their own
  // stdout/stderr never reach the runner's (in `serve` mode its stdout speaks to the extension).
  const worker = new Worker(workerUrl(), { workerData: { role }, execArgv: [], stdout: true, stderr: true });
  if (role === 'prepare') {
    worker.stdout.resume();
    worker.stderr.resume();
  }
  return worker;
}

export type JobEnd =
  | { kind: 'result'; result: GuestResult; memoryBytes: number; instantiated: boolean }
  | { kind: 'timeout' }
  | { kind: 'crash'; message: string };

/** What the pool needs from an invocation. */
export interface Job {
  functionName: string;
  reuseInstance: boolean;
  timeoutMs: number;
  component: CompiledComponent;
  settings: GuestSettings;
  /** Called when a worker takes the job; `waitedForWorkerMs` is the time spent starting a worker for it. */
  start(waitedForWorkerMs: number): Pick<RunRequest, 'payload' | 'requestId' | 'deadlineMs' | 'clientContext'>;
  line(stream: 'stdout' | 'stderr', line: string): void;
  end(end: JobEnd): void;
}

interface PoolWorker {
  worker: Worker;
  ready: boolean;
  spawnedAt: number;
  job: Job | undefined;
  jobId: number;
  timer: NodeJS.Timeout | undefined;
  /** Compiled components this worker holds. */
  keys: Set<string>;
  /** Functions whose reused instance lives in this worker. */
  kept: Set<string>;
  /** A job waiting for this worker to start. */
  reservedFor: Job | undefined;
  gone: boolean;
}

export class WorkerPool {
  readonly size: number;
  private readonly workers = new Set<PoolWorker>();
  private readonly queue: Job[] = [];
  private nextId = 0;
  private closed = false;
  /** Serves guests' calls to capabilities on the main thread (capabilities/providers.ts). */
  hostCalls: ((call: HostCall) => Promise<HostAnswer>) | undefined;

  constructor(size = availableParallelism()) {
    this.size = Math.max(1, size);
  }

  run(job: Job): void {
    if (this.closed) return job.end({ kind: 'crash', message: 'The runner is shutting down.' });
    this.queue.push(job);
    this.dispatch();
  }

  /** Drops kept instances of a function (and a compiled component) in every worker. */
  forget(functionName: string, key?: string): void {
    for (const w of this.workers) {
      w.kept.delete(functionName);
      if (key) w.keys.delete(key);
      if (!w.gone) w.worker.postMessage({ type: 'forget', functionName, key });
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.end({ kind: 'crash', message: 'The runner is shutting down.' });
    await Promise.all(
      [...this.workers].map(async (w) => {
        this.retire(w);
        const job = w.job;
        w.job = undefined;
        clearTimeout(w.timer);
        job?.end({ kind: 'crash', message: 'The runner is shutting down.' });
        await w.worker.terminate();
      }),
    );
  }

  /** Workers alive now (for tests and status). */
  get workerCount(): number {
    return this.workers.size;
  }

  private dispatch(): void {
    while (this.queue.length) {
      const job = this.queue[0]!;
      const idle = [...this.workers].filter((w) => w.ready && !w.job && !w.gone && !w.reservedFor);
      const worker =
        (job.reuseInstance ? idle.find((w) => w.kept.has(job.functionName)) : undefined) ?? idle.find((w) => w.keys.has(job.component.key)) ?? idle[0];
      if (worker) {
        this.queue.shift();
        this.assign(worker, job, 0);
        continue;
      }
      if (this.workers.size < this.size) {
        this.queue.shift();
        this.spawn(job);
        continue;
      }
      return;
    }
  }

  private spawn(reservedFor?: Job): PoolWorker {
    const w: PoolWorker = {
      worker: spawnWorker('run'),
      ready: false,
      spawnedAt: performance.now(),
      job: undefined,
      jobId: 0,
      timer: undefined,
      keys: new Set(),
      kept: new Set(),
      reservedFor,
      gone: false,
    };
    this.workers.add(w);
    // Whatever the worker itself prints (not the guest: its output is captured) belongs to the current job.
    for (const [stream, name] of [
      [w.worker.stdout, 'stdout'],
      [w.worker.stderr, 'stderr'],
    ] as const) {
      createInterface({ input: stream }).on('line', (line) => w.job?.line(name, line));
    }
    w.worker.on('message', (message: FromWorker) => this.onMessage(w, message));
    w.worker.on('error', (error) => this.lost(w, `The worker running the component failed: ${error.message}`));
    w.worker.on('exit', (code) => this.lost(w, `The worker running the component stopped (exit code ${code}).`));
    return w;
  }

  private onMessage(w: PoolWorker, message: FromWorker): void {
    if (message.type === 'ready') {
      w.ready = true;
      if (message.hostPort && message.signal) this.serveHostCalls(w, message.hostPort, message.signal);
      const job = w.reservedFor;
      w.reservedFor = undefined;
      if (job) this.assign(w, job, performance.now() - w.spawnedAt);
      else this.dispatch();
      return;
    }
    const job = w.job;
    if (!job || message.id !== w.jobId) return;
    if (message.type === 'output') return job.line(message.stream, message.line);
    clearTimeout(w.timer);
    w.job = undefined;
    const { result } = message;
    // A trap or exit leaves no instance to reuse; a result or the guest's own error keeps it.
    if (message.kept) w.kept.add(job.functionName);
    else w.kept.delete(job.functionName);
    job.end({ kind: 'result', result, memoryBytes: message.memoryBytes, instantiated: message.instantiated });
    this.dispatch();
  }

  /** Answers the worker's host calls on its channel, then wakes it (it sleeps on `signal`, host-call.ts). */
  private serveHostCalls(w: PoolWorker, port: MessagePort, signal: Int32Array): void {
    port.on('message', (call: HostCall) => {
      const answered = this.hostCalls
        ? this.hostCalls(call)
        : Promise.resolve<HostAnswer>({ id: call.id, ok: false, error: 'this runner serves no capabilities' });
      void answered.then((answer) => {
        if (w.gone) return;
        port.postMessage(answer);
        Atomics.store(signal, 0, 1);
        Atomics.notify(signal, 0);
      });
    });
    w.worker.once('exit', () => port.close());
  }

  private assign(w: PoolWorker, job: Job, waitedMs: number): void {
    w.job = job;
    w.jobId = ++this.nextId;
    const fields = job.start(waitedMs);
    const hasModules = w.keys.has(job.component.key);
    const request: RunRequest = {
      type: 'run',
      id: w.jobId,
      component: { key: job.component.key, glueUrl: job.component.glueUrl, ...(hasModules ? {} : { modules: job.component.modules }) },
      settings: job.settings,
      ...fields,
    };
    w.keys.add(job.component.key);
    w.worker.postMessage(request);
    w.timer = setTimeout(() => this.timeOut(w), job.timeoutMs);
  }

  private timeOut(w: PoolWorker): void {
    const job = w.job;
    if (!job) return;
    w.job = undefined;
    this.retire(w);
    void w.worker.terminate();
    job.end({ kind: 'timeout' });
    this.heal();
  }

  private lost(w: PoolWorker, message: string): void {
    if (w.gone) return;
    this.retire(w);
    clearTimeout(w.timer);
    const job = w.job ?? w.reservedFor;
    w.job = undefined;
    w.reservedFor = undefined;
    job?.end({ kind: 'crash', message });
    this.heal();
  }

  private retire(w: PoolWorker): void {
    w.gone = true;
    this.workers.delete(w);
  }

  /** Replaces a lost worker right away, so the next invocation doesn't pay for starting one. */
  private heal(): void {
    if (this.closed) return;
    if (this.queue.length) return this.dispatch();
    if (this.workers.size < this.size) this.spawn();
  }
}

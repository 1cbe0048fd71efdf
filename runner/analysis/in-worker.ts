// The chain analysis off the runner's event loop: a cold analysis takes hundreds of milliseconds of CPU, which
// must not hold up invocations. One worker thread keeps the TypeScript programs warm between analyses; while it
// works, newer requests for the same file replace older queued ones (typing fast only costs the last text).
import { workerEntry } from '../paths.ts';
import { Worker } from 'node:worker_threads';
import type { AnalyzeOptions } from './index.ts';
import { ChainReport } from './report.ts';

export interface ChainAnalyzer {
  analyze(file: string, options?: AnalyzeOptions): Promise<ChainReport>;
  /**
   * Loads the lib files, types and @middy declarations of the tsconfigs of `dirs` (program.ts warmUp), so that the
   * first analysis there only checks its file. Resolves with the directories that had @middy/core to warm.
   */
  warm(dirs: string[]): Promise<{ warmed: string[]; durationMs: number }>;
  close(): Promise<void>;
}

interface Queued {
  file: string;
  options: AnalyzeOptions;
  /** A warm-up instead of an analysis. */
  warm?: string[];
  waiters: Array<{ resolve(answer: never): void; reject(err: Error): void }>;
}

function workerUrl(): URL {
  return workerEntry(import.meta.url, './analysis-worker.ts', 'analysis-worker.js');
}

export function createChainAnalyzer(): ChainAnalyzer {
  let worker: Worker | undefined;
  let current: (Queued & { id: number }) | undefined;
  const queue: Queued[] = [];
  let nextId = 1;
  let closed = false;

  function start(): Worker {
    const w = new Worker(workerUrl(), { execArgv: [] });
    w.unref();
    w.on('message', (message: { id: number; report?: unknown; error?: string; warmed?: string[]; durationMs?: number }) => {
      const done = current;
      if (!done || done.id !== message.id) return;
      current = undefined;
      if (message.error !== undefined) done.waiters.forEach((w) => w.reject(new Error(`The chain analysis of ${done.file} failed: ${message.error}`)));
      else if (done.warm) done.waiters.forEach((w) => w.resolve({ warmed: message.warmed ?? [], durationMs: message.durationMs ?? 0 } as never));
      else {
        const report = ChainReport.parse(message.report);
        done.waiters.forEach((w) => w.resolve(report as never));
      }
      pump();
    });
    w.on('error', (err) => fail(`The chain analysis worker failed: ${err.message}. The next analysis starts a new one.`));
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      if (!closed) fail('The chain analysis worker stopped. The next analysis starts a new one.');
    });
    return w;
  }

  function fail(message: string): void {
    const done = current;
    current = undefined;
    done?.waiters.forEach((w) => w.reject(new Error(message)));
    pump();
  }

  function pump(): void {
    if (current || closed) return;
    const next = queue.shift();
    if (!next) return;
    worker ??= start();
    current = { ...next, id: nextId++ };
    worker.postMessage({ id: current.id, file: next.file, options: next.options, ...(next.warm ? { warm: next.warm } : {}) });
  }

  return {
    analyze(file, options = {}) {
      if (closed) return Promise.reject(new Error('The chain analyzer is closed.'));
      return new Promise((resolve, reject) => {
        const queued = queue.find((q) => q.file === file && !q.warm);
        if (queued) {
          queued.options = options;
          queued.waiters.push({ resolve, reject });
        } else {
          queue.push({ file, options, waiters: [{ resolve, reject }] });
        }
        pump();
      });
    },
    warm(dirs) {
      if (closed) return Promise.reject(new Error('The chain analyzer is closed.'));
      return new Promise((resolve, reject) => {
        queue.push({ file: dirs.join(', '), options: {}, warm: dirs, waiters: [{ resolve, reject }] });
        pump();
      });
    },
    async close() {
      closed = true;
      const waiting = [...queue.splice(0).flatMap((q) => q.waiters), ...(current?.waiters ?? [])];
      current = undefined;
      waiting.forEach((w) => w.reject(new Error('The chain analyzer was closed.')));
      await worker?.terminate();
      worker = undefined;
    },
  };
}

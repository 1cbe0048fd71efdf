// The worker thread of createChainAnalyzer() (in-worker.ts): keeps the TypeScript programs, analyses one file
// at a time, and answers with the ChainReport; a warm-up request loads a workspace's declarations ahead of time. Bundled as dist/analysis-worker.js next to the runner.
import { readlinkSync } from 'node:fs';
import { constants, setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { analyzeChainsSync, type AnalyzeOptions } from './index.ts';
import { warmUp } from './program.ts';

lowerThreadPriority();

/**
 * This thread's work (seconds of TypeScript checking: the warm-up after each runner start, an analysis per edit) is
 * background work: on a machine with few cores it took a whole core from the invocations, the editor and its
 * language server while they had something to do (an invoke clicked during the warm-up took 2-3x its time on 2 cores).
 * On Linux the nice value is per thread: this one gets the lowest priority and still all the CPU nobody else wants.
 * (Elsewhere Node can only renice the whole process: left as it is.)
 */
function lowerThreadPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    // /proc/thread-self -> "<pid>/task/<tid>": the thread id, which setpriority(2) takes for one thread.
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(tid) && tid > 0 && tid !== process.pid) setPriority(tid, constants.priority.PRIORITY_LOW);
  } catch {
    /* a container that forbids it: the analysis runs as before */
  }
}

parentPort!.on('message', ({ id, file, options, warm }: { id: number; file: string; options: AnalyzeOptions; warm?: string[] }) => {
  try {
    if (warm) {
      const started = performance.now();
      const warmed = warm.filter((dir) => warmUp(dir));
      parentPort!.postMessage({ id, warmed, durationMs: performance.now() - started });
      return;
    }
    parentPort!.postMessage({ id, report: analyzeChainsSync(file, options) });
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});

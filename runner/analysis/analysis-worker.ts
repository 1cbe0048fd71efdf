// The worker thread of createChainAnalyzer() (in-worker.ts): keeps the TypeScript programs, analyses one file
// at a time, and answers with the ChainReport; a warm-up request loads a workspace's declarations ahead of time. Bundled as dist/analysis-worker.js next to the runner.
import { parentPort } from 'node:worker_threads';
import { analyzeChainsSync, type AnalyzeOptions } from './index.ts';
import { warmUp } from './program.ts';

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

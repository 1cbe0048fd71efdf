// The worker thread of createChainAnalyzer() (in-worker.ts): keeps the TypeScript programs, analyses one file
// at a time, and answers with the ChainReport. Bundled as dist/analysis-worker.js next to the runner.
import { parentPort } from 'node:worker_threads';
import { analyzeChainsSync, type AnalyzeOptions } from './index.ts';

parentPort!.on('message', ({ id, file, options }: { id: number; file: string; options: AnalyzeOptions }) => {
  try {
    parentPort!.postMessage({ id, report: analyzeChainsSync(file, options) });
  } catch (err) {
    parentPort!.postMessage({ id, error: (err as Error).message });
  }
});

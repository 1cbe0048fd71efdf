// The control API's chain analysis (POST /chains with a ChainRequest): the editor sends the file and its unsaved
// text on open and on each edit; the answer is the ChainReport the visualizer and the diagnostics use.
import { isAbsolute, resolve } from 'node:path';
import type { FunctionSpec } from '../functions/model.ts';
import { describeRunnerChains } from '../middleware/describe.ts';
import type { ChainAnalyzer } from './in-worker.ts';
import { ChainRequest, type ChainReport } from './report.ts';

/** `analyzer` is one createChainAnalyzer() kept for the runner's lifetime (closed with it). */
export async function chainReportFor(analyzer: ChainAnalyzer, body: unknown, workspaceDir: string, functions: FunctionSpec[]): Promise<ChainReport> {
  const request = ChainRequest.parse(body);
  const file = isAbsolute(request.file) ? request.file : resolve(workspaceDir, request.file);
  return analyzer.analyze(file, { ...(request.text !== undefined ? { text: request.text } : {}), runnerChains: describeRunnerChains(functions, file) });
}

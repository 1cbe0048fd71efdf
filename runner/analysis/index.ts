// analyzeChains(file): the Middy chains of a TypeScript file, their steps' types and diagnostics (report.ts),
// computed with the TypeScript checker (typescript@6, the classic compiler API) on the workspace's own tsconfig.
// Programs are kept per tsconfig (program.ts): the first analysis pays for parsing the libraries, an analysis
// after an edit only re-checks the edited file.
import { resolve } from 'node:path';
import { diagnoseChain } from './diagnose.ts';
import { ChainReader } from './middy-chains.ts';
import { workspaceFor } from './program.ts';
import { ChainReport, type MiddyChain, type RunnerChain } from './report.ts';

export { forgetWorkspaces } from './program.ts';
export * from './report.ts';

export interface AnalyzeOptions {
  /** The editor's unsaved text of the file. */
  text?: string;
  /** Runner-level chains to draw with it (describeRunnerChains in runner/middleware/describe.ts). */
  runnerChains?: RunnerChain[];
}

export async function analyzeChains(file: string, opts: AnalyzeOptions = {}): Promise<ChainReport> {
  return analyzeChainsSync(file, opts);
}

/** The same, synchronously (the CLI and the benchmark). */
export function analyzeChainsSync(file: string, opts: AnalyzeOptions = {}): ChainReport {
  const started = performance.now();
  const path = resolve(file);
  const workspace = workspaceFor(path);
  workspace.open(path, opts.text);
  const program = workspace.service.getProgram();
  const problems = [...workspace.problems];
  const sf = program?.getSourceFile(path);
  const chains: MiddyChain[] = [];
  if (!program || !sf) {
    problems.push(`${path} could not be read as TypeScript: check that the file exists.`);
  } else {
    const reader = new ChainReader(program);
    for (const chain of reader.chains(sf)) {
      chains.push({
        name: chain.name,
        exported: chain.exported,
        range: reader.range(chain.node),
        ...(chain.handler ? { handlerRange: reader.range(chain.handler.node) } : {}),
        steps: chain.steps.map((s) => s.step),
        diagnostics: diagnoseChain(reader, chain),
      });
    }
  }
  return ChainReport.parse({
    file: path,
    ...(workspace.tsconfig ? { tsconfig: workspace.tsconfig } : {}),
    chains,
    runnerChains: opts.runnerChains ?? [],
    problems,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  });
}

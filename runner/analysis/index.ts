// analyzeChains(file): the Middy chains of a TypeScript file, their steps' types and diagnostics (report.ts),
// computed with the TypeScript checker (typescript@6, the classic compiler API) on the workspace's own tsconfig.
// Programs are kept per tsconfig (program.ts): the first analysis pays for parsing the libraries, an analysis
// after an edit only re-checks the edited file.
import { resolve } from 'node:path';
import ts from 'typescript';
import { diagnoseChain } from './diagnose.ts';
import { ChainReader } from './middy-chains.ts';
import { workspaceFor } from './program.ts';
import { middyEsmConfig, unresolvedImports } from './project-checks.ts';
import { ChainReport, type ChainDiagnostic, type MiddyChain, type RunnerChain } from './report.ts';

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
  const diagnostics: ChainDiagnostic[] = [];
  if (!program || !sf) {
    problems.push(`${path} could not be read as TypeScript: check that the file exists.`);
  } else {
    const reader = new ChainReader(program);
    const unresolved = unresolvedImports(reader.checker, sf);
    const found = reader.chains(sf);
    const importsMiddy = sf.statements.some(
      (s) => ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text.startsWith('@middy/'),
    );
    if (found.length || importsMiddy) {
      diagnostics.push(...middyEsmConfig(program, sf, workspace.tsconfig));
      for (const [specifier, node] of unresolved) {
        const pkg = specifier.startsWith('.')
          ? undefined
          : specifier
              .split('/')
              .slice(0, specifier.startsWith('@') ? 2 : 1)
              .join('/');
        diagnostics.push({
          code: 'unresolved-import',
          severity: 'warning',
          message: `'${specifier}' does not resolve from this file, so everything imported from it is any: the chain steps built from it are not checked.`,
          explanation: `${pkg ? `Install ${pkg} (npm install ${pkg})` : 'Correct the path'}. The analysis resolves imports as tsc does with ${workspace.tsconfig ?? 'default options (no tsconfig.json found)'}.`,
          range: reader.range(node),
        });
      }
    }
    for (const chain of found) {
      chains.push({
        name: chain.name,
        exported: chain.exported,
        range: reader.range(chain.node),
        ...(chain.handler ? { handlerRange: reader.range(chain.handler.node) } : {}),
        steps: chain.steps.map((s) => s.step),
        diagnostics: diagnoseChain(reader, chain, new Set(unresolved.keys())),
      });
    }
  }
  return ChainReport.parse({
    file: path,
    ...(workspace.tsconfig ? { tsconfig: workspace.tsconfig } : {}),
    chains,
    runnerChains: opts.runnerChains ?? [],
    diagnostics,
    problems,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
  });
}

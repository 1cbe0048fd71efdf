// `open-runtime chain <file.ts>`: the chain analysis as JSON on stdout (the ChainReport of report.ts), the
// same result the editor's visualizer draws. Exit 1 when a chain has an error-severity diagnostic, so CI can
// use it as a check (a chain's diagnostics, or the project's: the tsconfig/ESM check).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { FunctionSpec } from '../functions/model.ts';
import { describeRunnerChains } from '../middleware/describe.ts';
import { analyzeChains } from './index.ts';

export const CHAIN_USAGE = `  open-runtime chain <file.ts> [--template <path>] [--workspace <dir>] [--compact]
      Print the Middy chains of a file (steps with their event, context and response types, and diagnostics),
      and the runner-level middleware chains of the functions whose code holds it, as JSON.`;

/** `loadFunctions` reads the workspace's functions (the CLI's loadWorkspace), for the runner-level chains. */
export async function chainCommand(
  args: string[],
  loadFunctions?: (values: { template?: string; workspace?: string }) => Promise<FunctionSpec[]>,
): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { template: { type: 'string', short: 't' }, workspace: { type: 'string', short: 'w' }, compact: { type: 'boolean' } },
  });
  const file = positionals[0];
  if (!file) {
    process.stderr.write(`Which file? open-runtime chain <file.ts>.\n${CHAIN_USAGE}\n`);
    return 2;
  }
  const path = resolve(file);
  if (!existsSync(path)) {
    process.stderr.write(`${path} does not exist: give the path of a TypeScript file with a Middy chain.\n`);
    return 2;
  }
  let functions: FunctionSpec[] = [];
  if (loadFunctions) {
    try {
      functions = await loadFunctions({
        ...(values.template ? { template: values.template } : {}),
        ...(values.workspace ? { workspace: values.workspace } : {}),
      });
    } catch (err) {
      process.stderr.write(`Runner-level chains left out: ${(err as Error).message}\n`);
    }
  }
  const report = await analyzeChains(path, { runnerChains: describeRunnerChains(functions, path) });
  process.stdout.write(`${JSON.stringify(report, null, values.compact ? undefined : 2)}\n`);
  return [...report.diagnostics, ...report.chains.flatMap((c) => c.diagnostics)].some((d) => d.severity === 'error') ? 1 : 0;
}

// `open-runtime build <function>... [--arch arm64|x86_64|all] [--json]`: the CLI verb the editor's build tasks
// run. Progress and tool output go to stderr; a failure is one `file:line:col: error: sentence` line on the
// function's template line, which the `$open-runtime` problem matcher turns into a diagnostic there.
import { relative } from 'node:path';
import { parseArgs } from 'node:util';
import { functionAddressed } from '../functions/address.ts';
import { Architecture, type FunctionSpec } from '../functions/model.ts';
import type { DefinitionError } from '../protocol.ts';
import { BuildCancelledError, BuildError, buildFunction, type BuildResult } from './build-function.ts';

export const BUILD_USAGE = `  open-runtime build <function>... [--arch arm64|x86_64|all] [--all] [--json] [--template <path>] [--workspace <dir>]
      Build deployment packages: .open-runtime/build/<function>/<arch>/function.zip (default arch: the function's).`;

export type LoadWorkspace = (values: {
  template?: string | undefined;
  workspace?: string | undefined;
}) => Promise<{ functions: FunctionSpec[]; errors: DefinitionError[] }>;

export async function buildCommand(args: string[], loadWorkspace: LoadWorkspace): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        arch: { type: 'string', short: 'a' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        template: { type: 'string', short: 't' },
        workspace: { type: 'string', short: 'w' },
      },
    });
  } catch (err) {
    return usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.arch && values.arch !== 'all' && !Architecture.safeParse(values.arch).success)
    return usage(`Unknown architecture "${values.arch}": use arm64, x86_64 or all.`);
  if (!positionals.length && !values.all) return usage('Which function? open-runtime build <function> (or --all).');
  const { functions, errors } = await loadWorkspace(values);
  for (const e of errors) process.stderr.write(`${e.file}:${e.line}:1: error: ${e.message}\n`);
  // The addresses invoke and start take (name, full path, FunctionName, logical id), with their sentences.
  const addressed = values.all ? functions.map((fn) => ({ fn })) : positionals.map((address) => functionAddressed(functions, address));
  const problems = addressed.flatMap((a) => ('problem' in a ? [a.problem] : []));
  if (problems.length) return usage(problems.join(' '));
  const chosen = addressed.map((a) => (a as { fn: FunctionSpec }).fn);

  const abort = new AbortController();
  const cancel = () => abort.abort();
  process.once('SIGINT', cancel);
  process.once('SIGTERM', cancel);
  const results: BuildResult[] = [];
  let failed = 0;
  try {
    for (const fn of chosen) {
      const arches: Architecture[] = values.arch === 'all' ? ['x86_64', 'arm64'] : [(values.arch as Architecture | undefined) ?? fn.architecture];
      for (const arch of arches) {
        try {
          const result = await buildFunction(fn, arch, { workspace: values.workspace, log: (line) => process.stderr.write(`${line}\n`), signal: abort.signal });
          results.push(result);
          if (!values.json)
            process.stdout.write(
              `${fn.name} ${arch}: ${relative(process.cwd(), result.zipPath) || result.zipPath} (${result.codeSha256})${result.architectureIndependent ? ' [architecture-independent]' : ''}\n`,
            );
        } catch (err) {
          if (err instanceof BuildCancelledError) {
            process.stderr.write('open-runtime build: cancelled.\n');
            return 130;
          }
          failed++;
          reportFailure(fn, arch, err);
        }
      }
    }
  } finally {
    process.off('SIGINT', cancel);
    process.off('SIGTERM', cancel);
  }
  if (values.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return failed ? 1 : 0;
}

/** One line in the problem matcher's form, on the function's definition when it is known. */
function reportFailure(fn: FunctionSpec, arch: Architecture, err: unknown): void {
  const message = err instanceof BuildError ? err.message : `The build failed unexpectedly: ${(err as Error).stack ?? String(err)}`;
  const where = fn.source?.file ? `${fn.source.file}:${Math.max(1, fn.source.line)}:1: ` : '';
  process.stderr.write(`${where}error: Build of ${fn.name} for ${arch} failed: ${message.replace(/\s*\n\s*/g, ' ')}\n`);
}

function usage(message: string): number {
  process.stderr.write(`open-runtime build: ${message}\n\nUsage:\n${BUILD_USAGE}\n`);
  return 2;
}

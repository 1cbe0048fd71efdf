// Runner-level chains as the chain visualizer draws them: each declared middleware of a function, resolved the
// way an invocation resolves it, with what it declares (hooks, JSON Schemas, the WIT world of components).
import { relative, resolve } from 'node:path';
import type { RunnerChain, RunnerMiddleware } from '../analysis/report.ts';
import { middlewaresOf, type FunctionSpec } from '../functions/model.ts';
import { HOOKS } from './manifest.ts';
import { resolveMiddleware } from './resolve.ts';

/** The exports of wit/middleware/middleware.wit's `middleware` world (a unit test keeps the two in step). */
export const MIDDLEWARE_WORLD_EXPORTS = [
  'export before: func(event: string, ctx: context) -> answer;',
  'export after: func(response: string, ctx: context) -> answer;',
  'export on-error: func(error: error-info, ctx: context) -> answer;',
];

export function describeRunnerChain(fn: FunctionSpec): RunnerChain {
  return { function: fn.name, runtime: fn.runtime, middlewares: middlewaresOf(fn).map((name) => describeMiddleware(fn, name)) };
}

/** Chains of the functions with middlewares whose code folder holds `file` (all of them without a file). */
export function describeRunnerChains(functions: FunctionSpec[], file?: string): RunnerChain[] {
  return functions.filter((fn) => middlewaresOf(fn).length && (!file || !relative(fn.codeUri, resolve(file)).startsWith('..'))).map(describeRunnerChain);
}

function describeMiddleware(fn: FunctionSpec, name: string): RunnerMiddleware {
  try {
    const mw = resolveMiddleware(fn, name);
    if (mw.kind === 'builtin') {
      return {
        name,
        kind: 'builtin',
        hooks: ['before', 'after'],
        description: 'Built in: hands the function CloudEvents 1.0 (one per record of a batch) and maps its results back.',
      };
    }
    const declared = {
      path: mw.path,
      hooks: mw.manifest?.hooks ?? [...HOOKS],
      ...(mw.manifest?.description ? { description: mw.manifest.description } : {}),
      ...(mw.manifest?.schemas ? { schemas: mw.manifest.schemas } : {}),
    };
    if (mw.kind === 'component')
      return { name, kind: 'component', ...declared, wit: `world middleware {\n${MIDDLEWARE_WORLD_EXPORTS.map((e) => `  ${e}`).join('\n')}\n}` };
    return { name, kind: mw.manifest?.longLived ? 'long-lived' : 'executable', ...declared };
  } catch (err) {
    return { name, kind: 'missing', hooks: [], problem: (err as Error).message };
  }
}

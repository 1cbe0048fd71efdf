// A Go or Rust function's folder holds source, not a bootstrap: locally it runs from its latest build
// (`.open-runtime/build/<function>/<arch>/package/`), the same files its function.zip holds, under qemu when the
// architecture is not this machine's. Building is the build task's job, not the invoke's (a cold Go
// cross-compile takes far longer than Lambda's 10 s init), so this only finds the build and says when it is stale.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionSpec } from '../functions/model.ts';
import { buildDirOf } from './build-function.ts';
import { isGoFunction } from './go.ts';
import { isRustFunction } from './rust.ts';

export interface BuiltPackage {
  /** Run the function from here (its LAMBDA_TASK_ROOT). */
  dir: string;
  /** Said in the function's log, e.g. that the source changed since the build. */
  notice?: string | undefined;
}

/** Whether a custom-runtime function must be built before it can run: Go or Rust source and no bootstrap. */
export function needsBuild(fn: FunctionSpec): boolean {
  return !existsSync(join(fn.codeUri, 'bootstrap')) && (isGoFunction(fn.codeUri) || isRustFunction(fn.codeUri));
}

/**
 * The latest build to run for a function that needs one. Throws a sentence saying how to build it when there is
 * none; returns undefined for functions that run from their folder as they are.
 */
export function builtPackageFor(fn: FunctionSpec, workspace?: string): BuiltPackage | undefined {
  if (!needsBuild(fn)) return undefined;
  const dir = join(buildDirOf(fn, fn.architecture, workspace), 'package');
  const bootstrap = join(dir, 'bootstrap');
  const language = isGoFunction(fn.codeUri) ? 'Go' : 'Rust';
  if (!existsSync(bootstrap)) {
    throw new Error(
      `${fn.name} is a ${language} function and has not been built for ${fn.architecture} yet. Build it with "open-runtime build ${fn.name}" (or the "open-runtime: build ${fn.name} (${fn.architecture})" task), then invoke it again.`,
    );
  }
  const builtAt = statSync(bootstrap).mtimeMs;
  const newest = newestSource(fn.codeUri);
  const notice =
    newest > builtAt
      ? `The ${language} source of ${fn.name} changed after its last build; this runs the older build. Rebuild with "open-runtime build ${fn.name}".`
      : undefined;
  return { dir, notice };
}

/** The newest modification time of the source files (by default Go's and Rust's) under `dir`. */
export function newestSource(dir: string, depth = 0, files = /\.(go|rs|mod|sum|toml|lock)$/): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || name === 'target' || name === 'node_modules') continue;
    const path = join(dir, name);
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info) continue;
    if (info.isDirectory()) {
      if (depth < 6) newest = Math.max(newest, newestSource(path, depth + 1, files));
    } else if (files.test(name)) {
      newest = Math.max(newest, info.mtimeMs);
    }
  }
  return newest;
}

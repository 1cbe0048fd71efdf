// Whether a directory's code can import Middy, and which @middy packages it can import: what the analysis warm-up
// loads (program.ts) and whether the runner starts one at all (cli.ts). File-system only, so that the runner can ask
// without loading TypeScript.
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** `@middy/core` and the other installed @middy packages with typings, as import specifiers, if @middy/core is reachable. */
export function installedMiddyModules(dir: string): string[] | undefined {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const scope = join(d, 'node_modules', '@middy');
    if (existsSync(join(scope, 'core', 'package.json'))) {
      return readdirSync(scope)
        .filter((name) => existsSync(join(scope, name, 'index.d.ts')))
        .map((name) => `@middy/${name}`);
    }
    if (dirname(d) === d) return undefined;
  }
}

/** The directories among `dirs` (a workspace, its functions' code) whose code can import @middy/core, once each. */
export function middyDirs(dirs: string[]): string[] {
  return [...new Set(dirs.map((d) => resolve(d)))].filter((d) => installedMiddyModules(d) !== undefined);
}

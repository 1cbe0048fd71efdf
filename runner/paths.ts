// Where the runner's own files are, whether it runs from source (runner/*.ts) or from the bundle (dist/runner.js).
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'open-runtime') return dir;
    if (dirname(dir) === dir) throw new Error(`open-runtime: cannot find the package root above ${start}`);
  }
}

export const PACKAGE_ROOT = findPackageRoot(import.meta.dirname);
export const NODE_RUNTIME_CLIENT = join(PACKAGE_ROOT, 'dist', 'node-runtime.cjs');
export const PYTHON_RUNTIME_CLIENT = join(PACKAGE_ROOT, 'runner', 'runtimes', 'python', 'bootstrap.py');

/**
 * A worker thread's entry: the .ts file next to the caller when running from source, else the bundled entry in
 * dist/ (the caller itself may sit in dist/chunks/, so its own URL can't be used).
 */
export function workerEntry(callerUrl: string, sourceFile: string, distFile: string): URL {
  return callerUrl.endsWith('.ts') ? new URL(sourceFile, callerUrl) : pathToFileURL(join(PACKAGE_ROOT, 'dist', distFile));
}

/**
 * The runner's caches (compiled TypeScript, transpiled components, the AWS SDK link, ...): never the user's project
 * folders. `OPEN_RUNTIME_CACHE_DIR` (the editor passes its own storage folder), else `$XDG_CACHE_HOME/open-runtime`, else
 * `~/.cache/open-runtime`: the user's own folder, not /tmp, where another user could plant files.
 */
export function userCacheDir(...parts: string[]): string {
  const root = process.env.OPEN_RUNTIME_CACHE_DIR || join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'open-runtime');
  return join(root, ...parts);
}

// What every runtime's build gets and gives: it fills `staging` with the files of the package (the zip is
// made, checked and written by buildFunction) and says anything the user should know about the result.
import { chmodSync, copyFileSync, lstatSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Architecture, FunctionSpec } from '../functions/model.ts';

export interface ProducerContext {
  fn: FunctionSpec;
  architecture: Architecture;
  /** Empty folder that becomes the package root. */
  staging: string;
  /** `.open-runtime/build/<function>/<arch>/`: room for caches and installs next to the package. */
  buildDir: string;
  log: (line: string) => void;
  signal?: AbortSignal | undefined;
}

export interface ProducerResult {
  /** Sentences shown after the build, e.g. "WASI components are architecture-independent". */
  notes: string[];
  architectureIndependent?: boolean;
}

export type PackageProducer = (ctx: ProducerContext) => Promise<ProducerResult>;

/** Folders that are never part of a function's package. */
export const NEVER_PACKAGED = new Set([
  '.git',
  '.open-runtime',
  '.aws-sam',
  '__pycache__',
  '.venv',
  'venv',
  '.pytest_cache',
  '.mypy_cache',
  '.DS_Store',
  '.idea',
  '.vscode',
]);

/** Copies a folder's files with their permissions (a bootstrap stays executable); symlinks are followed. */
export function copyCode(from: string, to: string, skip: (name: string, relPath: string) => boolean = () => false, rel = ''): void {
  mkdirSync(to, { recursive: true });
  for (const name of readdirSync(from)) {
    const relPath = rel ? `${rel}/${name}` : name;
    if (NEVER_PACKAGED.has(name) || skip(name, relPath)) continue;
    const source = join(from, name);
    const target = join(to, name);
    let info = lstatSync(source);
    if (info.isSymbolicLink()) {
      try {
        info = statSync(source);
      } catch {
        continue; // a dangling link ships nothing
      }
    }
    if (info.isDirectory()) copyCode(source, target, skip, relPath);
    else if (info.isFile()) {
      copyFileSync(source, target);
      chmodSync(target, info.mode & 0o7777);
    }
  }
}

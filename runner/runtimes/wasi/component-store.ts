// Components as the runner keeps them: read from the function's .wasm, checked, transpiled once per content
// hash (on disk, so a restart or a second function with the same component skips it), then compiled once per
// memory cap. A changed .wasm (a rebuild) is noticed on the next invocation by its size, mtime and inode.
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { userCacheDir } from '../../paths.ts';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';
import type { PrepareRequest, PrepareResult } from './messages.ts';
import { limitMemory, MemoryLimitError, WASM_PAGE } from './memory-limit.ts';
import { readWorld, type ComponentWorld } from './world.ts';
import { RUNTIME_INVALID_ENTRYPOINT, RUNTIME_OUT_OF_MEMORY } from '../../lambda-errors.ts';

/** A component that can't be run; `errorType` is the Lambda-style type the invocation fails with. */
export class ComponentLoadError extends Error {
  readonly errorType: string;
  constructor(errorType: string, message: string) {
    super(message);
    this.errorType = errorType;
  }
}

export interface PreparedComponent {
  hash: string;
  dir: string;
  wit: string;
  world: ComponentWorld;
  coreFiles: string[];
  glueUrl: string;
}

export interface CompiledComponent {
  key: string;
  glueUrl: string;
  modules: Record<string, WebAssembly.Module>;
}

interface FileState {
  mtimeMs: number;
  size: number;
  ino: number;
  prepared: Promise<PreparedComponent>;
}

/** The default transpile cache: `$XDG_CACHE_HOME/open-runtime/wasi` (or ~/.cache/...). */
export function defaultCacheDir(): string {
  return userCacheDir('wasi');
}

/** The transpiler's version is part of the cache path: a new jco may generate different glue. */
function transpilerVersion(): string {
  try {
    const entry = fileURLToPath(import.meta.resolve('@bytecodealliance/jco-transpile'));
    const manifest = join(dirname(dirname(entry)), 'package.json');
    return `jco-transpile-${(JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version}`;
  } catch {
    return 'jco-transpile';
  }
}

export type KindOfBinary = 'component' | 'core-module' | 'not-wasm';

/** A component's preamble is `\0asm` + version 0x0d + layer 1; a core module's is `\0asm` + version 1 + layer 0. */
export function kindOfBinary(bytes: Uint8Array): KindOfBinary {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return 'not-wasm';
  if (bytes[6] === 1 && bytes[7] === 0) return 'component';
  if (bytes[6] === 0 && bytes[7] === 0 && bytes[4] === 1) return 'core-module';
  return 'not-wasm';
}

export class ComponentStore {
  readonly cacheDir: string;
  private readonly spawnPrepareWorker: () => Worker;
  private readonly files = new Map<string, FileState>();
  private readonly compiled = new Map<string, Promise<CompiledComponent>>();
  private readonly version = transpilerVersion();
  private readonly preparing = new Set<Worker>();

  constructor(cacheDir: string, spawnPrepareWorker: () => Worker) {
    this.cacheDir = cacheDir;
    this.spawnPrepareWorker = spawnPrepareWorker;
  }

  /**
   * The component at `file` (absolute), prepared. `shown` names it in messages (e.g. "build/hello.wasm of
   * function Hello"). `didWork` tells whether this call had to read, transpile or load it (an init cost).
   * `role` picks the world a message tells to build for: a function's or a middleware's.
   */
  async prepare(file: string, shown: string, role: 'function' | 'middleware' = 'function'): Promise<{ component: PreparedComponent; didWork: boolean }> {
    let info;
    try {
      info = await stat(file);
    } catch {
      this.files.delete(file);
      throw new ComponentLoadError(
        RUNTIME_INVALID_ENTRYPOINT,
        `${shown} does not exist (${file}). Build it (open-runtime build) or point Handler at the component's .wasm file.`,
      );
    }
    const known = this.files.get(file);
    if (known && known.mtimeMs === info.mtimeMs && known.size === info.size && known.ino === info.ino) {
      return { component: await known.prepared, didWork: false };
    }
    const prepared = this.readAndPrepare(file, shown, role);
    this.files.set(file, { mtimeMs: info.mtimeMs, size: info.size, ino: info.ino, prepared });
    return { component: await prepared, didWork: true };
  }

  /** Forgets what was read from `file`, so the next invocation reads it again. */
  forget(file: string): void {
    this.files.delete(file);
  }

  private async readAndPrepare(file: string, shown: string, role: 'function' | 'middleware'): Promise<PreparedComponent> {
    const bytes = await readFile(file);
    const kind = kindOfBinary(bytes);
    if (kind === 'not-wasm') {
      const start = bytes.subarray(0, 8).toString('hex').replace(/(..)/g, '$1 ').trim() || '(empty file)';
      throw new ComponentLoadError(
        RUNTIME_INVALID_ENTRYPOINT,
        `${shown} is not a WebAssembly component: it doesn't start with the WebAssembly preamble (its first bytes are ${start}). Rebuild it, and check that Handler names the .wasm file.`,
      );
    }
    if (kind === 'core-module') {
      throw new ComponentLoadError(
        RUNTIME_INVALID_ENTRYPOINT,
        role === 'middleware'
          ? `${shown} is a core WebAssembly module, not a component. Make it a component of the world "middleware" in the project's wit/middleware/middleware.wit: \`jco embed\` its WIT, then \`jco new --wasi-reactor\`.`
          : `${shown} is a core WebAssembly module, not a component. Make it a component for the world "function" in the project's wit/lambda.wit: \`jco embed\` its WIT, then \`jco new --wasi-reactor\` (open-runtime build does both for C).`,
      );
    }
    const hash = createHash('sha256').update(bytes).digest('hex');
    const dir = join(this.cacheDir, this.version, hash);
    const cached = await readCached(dir);
    if (cached) return { hash, dir, ...cached, world: readWorld(cached.wit), glueUrl: pathToFileURL(join(dir, cached.glue)).href };
    const result = await this.transpileInWorker({ bytes, outDir: dir });
    if (!result.ok) {
      throw new ComponentLoadError(
        RUNTIME_INVALID_ENTRYPOINT,
        result.stage === 'wit'
          ? `${shown} is not a valid WebAssembly component: ${result.message}. Rebuild it with a component toolchain (componentize-js, jco new, cargo component).`
          : `${shown} could not be prepared to run (jco transpile failed): ${result.message}.`,
      );
    }
    return { hash, dir, wit: result.wit, coreFiles: result.coreFiles, world: readWorld(result.wit), glueUrl: pathToFileURL(join(dir, result.glue)).href };
  }

  /** Stops transpiling: the runner is closing. */
  async close(): Promise<void> {
    await Promise.all([...this.preparing].map((worker) => worker.terminate()));
  }

  private transpileInWorker(request: PrepareRequest): Promise<PrepareResult> {
    return new Promise((resolve, reject) => {
      const worker = this.spawnPrepareWorker();
      this.preparing.add(worker);
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.preparing.delete(worker);
        fn();
        void worker.terminate();
      };
      worker.on('message', (message: PrepareResult | { type: 'ready' }) => {
        if ('type' in message) worker.postMessage(request);
        else done(() => resolve(message));
      });
      worker.on('error', (error) => done(() => reject(new ComponentLoadError(RUNTIME_INVALID_ENTRYPOINT, `Preparing the component failed: ${error.message}`))));
      worker.on('exit', (code) =>
        done(() => reject(new ComponentLoadError(RUNTIME_INVALID_ENTRYPOINT, `Preparing the component failed: its worker stopped (exit code ${code}).`))),
      );
    });
  }

  /** Core modules compiled with linear memory capped at `memorySizeMB`, once per component and cap. */
  compile(component: PreparedComponent, memorySizeMB: number, shown: string): { compiled: Promise<CompiledComponent>; didWork: boolean } {
    const maxPages = Math.floor((memorySizeMB * 1024 * 1024) / WASM_PAGE);
    const key = `${component.hash}:${maxPages}`;
    const known = this.compiled.get(key);
    if (known) return { compiled: known, didWork: false };
    const compiled = this.compileModules(component, key, maxPages, memorySizeMB, shown);
    this.compiled.set(key, compiled);
    // A failed compile is not cached: it may have been a transient read error.
    compiled.catch(() => this.compiled.delete(key));
    return { compiled, didWork: true };
  }

  /** Forgets compiled modules no function uses any more (a rebuilt component's previous version). */
  dropCompiled(key: string): void {
    this.compiled.delete(key);
  }

  private async compileModules(component: PreparedComponent, key: string, maxPages: number, memorySizeMB: number, shown: string): Promise<CompiledComponent> {
    const modules: Record<string, WebAssembly.Module> = {};
    await Promise.all(
      component.coreFiles.map(async (name) => {
        const bytes = await readFile(join(component.dir, name));
        let limited;
        try {
          limited = limitMemory(bytes, maxPages);
        } catch (error) {
          if (error instanceof MemoryLimitError)
            throw new ComponentLoadError(RUNTIME_INVALID_ENTRYPOINT, `${shown} has a malformed core module (${name}): ${error.message}.`);
          throw error;
        }
        const needed = Math.max(0, ...limited.initialPages);
        if (needed > maxPages) {
          const mb = Math.ceil((needed * WASM_PAGE) / (1024 * 1024));
          throw new ComponentLoadError(
            RUNTIME_OUT_OF_MEMORY,
            `${shown} needs ${mb} MB of memory just to start, more than its MemorySize of ${memorySizeMB} MB. Raise MemorySize to at least ${mb}.`,
          );
        }
        try {
          modules[name] = await WebAssembly.compile(limited.bytes as Uint8Array<ArrayBuffer>);
        } catch (error) {
          throw new ComponentLoadError(RUNTIME_INVALID_ENTRYPOINT, `${shown} could not be compiled (${name}): ${(error as Error).message}.`);
        }
      }),
    );
    return { key, glueUrl: component.glueUrl, modules };
  }
}

async function readCached(dir: string): Promise<{ wit: string; coreFiles: string[]; glue: string } | undefined> {
  try {
    const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { coreFiles: string[]; glue: string };
    const wit = await readFile(join(dir, 'component.wit'), 'utf8');
    return { wit, coreFiles: meta.coreFiles, glue: meta.glue };
  } catch {
    return undefined;
  }
}

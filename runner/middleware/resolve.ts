// Finds a middleware by name in the function's workspace: the `middlewares/` folder next to its template, then in
// its code folder, then in its layers (`/opt/middlewares` on Lambda, where the Serverless Open Runtime design keeps
// them; the last layer first, as a later layer's files win at /opt). Executables are run directly or with the
// interpreter their extension names; `.wasm` files are component middlewares; `cloudevents` is built in.
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { FunctionSpec } from '../functions/model.ts';
import { MiddlewareManifest } from './manifest.ts';

export const BUILTIN_MIDDLEWARES = ['cloudevents'] as const;
export type BuiltinName = (typeof BUILTIN_MIDDLEWARES)[number];

export type ResolvedMiddleware =
  | { name: string; kind: 'executable'; path: string; command: string; args: string[]; manifest: MiddlewareManifest | undefined }
  | { name: string; kind: 'component'; path: string; manifest: MiddlewareManifest | undefined }
  | { name: string; kind: 'builtin'; builtin: BuiltinName };

export class MiddlewareNotFoundError extends Error {}
export class MiddlewareManifestError extends Error {}

/** Script extensions and what runs them; a file without an extension is executed itself. */
function interpreterFor(file: string): string | undefined {
  if (file.endsWith('.sh')) return 'bash';
  if (file.endsWith('.py')) return process.env.OPEN_RUNTIME_PYTHON ?? 'python3';
  if (/\.(m|c)?js$|\.ts$/.test(file)) return process.execPath;
  return undefined;
}

const CANDIDATE_SUFFIXES = ['', '.sh', '.py', '.js', '.mjs', '.cjs', '.ts', '.wasm'];

/** The folders searched, in order. */
export function middlewareDirs(fn: FunctionSpec): string[] {
  const dirs = [
    fn.source?.file ? join(dirname(resolve(fn.source.file)), 'middlewares') : undefined,
    join(fn.codeUri, 'middlewares'),
    ...[...fn.layers].reverse().map((layer) => join(layer, 'middlewares')),
  ];
  return [...new Set(dirs.filter((d): d is string => !!d))];
}

export function resolveMiddleware(fn: FunctionSpec, name: string): ResolvedMiddleware {
  if ((BUILTIN_MIDDLEWARES as readonly string[]).includes(name)) return { name, kind: 'builtin', builtin: name as BuiltinName };
  if (!/^[A-Za-z0-9_.-]+$/.test(name) || name === '.' || name === '..') {
    throw new MiddlewareNotFoundError(`Middleware name "${name}" of function ${fn.name} is not a file name: use letters, digits, "-", "_" and ".".`);
  }
  const dirs = middlewareDirs(fn);
  for (const dir of dirs) {
    const manifestPath = join(dir, `${name}.json`);
    const manifest = existsSync(manifestPath) ? readManifest(manifestPath) : undefined;
    if (manifest?.command) {
      const [command, ...args] = manifest.command;
      const local = join(dir, command!);
      const localArgs = args.map((a) => (existsSync(join(dir, a)) ? join(dir, a) : a));
      // ["shared.mjs", "--flag"]: a script of the folder runs with its interpreter, like a file found by name.
      const interpreter = isFile(local) ? interpreterFor(local) : undefined;
      if (interpreter) return { name, kind: 'executable', path: local, command: interpreter, args: [local, ...localArgs], manifest };
      return { name, kind: 'executable', path: isFile(local) ? local : manifestPath, command: isFile(local) ? local : command!, args: localArgs, manifest };
    }
    for (const suffix of CANDIDATE_SUFFIXES) {
      const path = join(dir, name + suffix);
      if (!isFile(path)) continue;
      if (suffix === '.wasm') return { name, kind: 'component', path, manifest };
      const interpreter = interpreterFor(path);
      if (interpreter) return { name, kind: 'executable', path, command: interpreter, args: [path], manifest };
      if (!isExecutable(path))
        throw new MiddlewareNotFoundError(`Middleware ${path} is not executable: run "chmod +x ${path}", or give it an extension (.sh, .py, .js, .mjs, .ts).`);
      return { name, kind: 'executable', path, command: path, args: [], manifest };
    }
    if (manifest)
      throw new MiddlewareNotFoundError(
        `Middleware "${name}" has a manifest ${manifestPath} but no program: add ${name}, ${name}.sh, ${name}.py, ${name}.js or ${name}.wasm next to it, or a "command" in the manifest.`,
      );
  }
  throw new MiddlewareNotFoundError(
    `Middleware "${name}" of function ${fn.name} was not found: looked for ${name}, ${name}.sh, .py, .js, .mjs, .ts, .wasm in ${dirs.join(' and ')}. ` +
      `Create it there, or remove "${name}" from the function's middlewares (Metadata.OpenRuntime.middlewares or SLSMIDDLEWARES). Built in: ${BUILTIN_MIDDLEWARES.join(', ')}.`,
  );
}

const manifestCache = new Map<string, { mtimeMs: number; manifest: MiddlewareManifest }>();

export function readManifest(path: string): MiddlewareManifest {
  const mtimeMs = statSync(path).mtimeMs;
  const cached = manifestCache.get(path);
  if (cached && cached.mtimeMs === mtimeMs) return cached.manifest;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new MiddlewareManifestError(`Middleware manifest ${path} is not valid JSON: ${(err as Error).message}. Fix it or remove it.`);
  }
  const parsed = MiddlewareManifest.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(manifest)'}: ${i.message}`).join('; ');
    throw new MiddlewareManifestError(`Middleware manifest ${path} is not valid: ${problems}.`);
  }
  manifestCache.set(path, { mtimeMs, manifest: parsed.data });
  return parsed.data;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

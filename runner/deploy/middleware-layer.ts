// What `deploy` ships with a function that has middlewares: the Open Runtime layer (the Runtime API proxy of
// layer/proxy and its wrapper) with the function's own middlewares in its `middlewares/` folder (/opt/middlewares on
// Lambda), and the settings the proxy needs. A layer rather than the function's package: the package stays what
// `build` made (its CodeSha256 does not change with the chain), and an unchanged chain is one layer version that
// every re-deploy reuses instead of uploading the proxy again.
//
// The runtime reaches the proxy through AWS_LAMBDA_EXEC_WRAPPER (Node and Python managed runtimes); a custom runtime
// (provided.al2023, provided.al2) has no wrapper on Lambda, so its package's `bootstrap` becomes a two-line script
// that starts the layer's wrapper with the original bootstrap, moved to `.open-runtime/bootstrap`.
//
// What the proxy can't run is refused here, by name, before anything is changed: component (.wasm) middlewares (the
// proxy is a small static Go program with no WebAssembly host). The built-in `cloudevents` is in the proxy itself.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { buildLayer, type BuiltLayer } from '../build/layer.ts';
import { buildDirOf } from '../build/build-function.ts';
import { readZip, writeZip, type ZipInput } from '../build/zip.ts';
import { runtimeFamily, type Architecture, type FunctionSpec } from '../functions/model.ts';
import { MiddlewareManifestError, MiddlewareNotFoundError, resolveMiddleware, type ResolvedMiddleware } from '../middleware/resolve.ts';

/** Where the layer's wrapper is on Lambda. */
export const WRAPPER_AT_OPT = '/opt/open-runtime-wrapper';
/** Where a custom runtime's own bootstrap goes in the package when the wrapper takes its place. */
export const WRAPPED_BOOTSTRAP = '.open-runtime/bootstrap';

/** Why a chain can't ship: a sentence that names the middlewares and what to do. */
export class ChainNotShippable extends Error {}

export interface ChainLayer {
  /** The layer's name in Lambda: one per function. */
  name: string;
  built: BuiltLayer;
  zip: Buffer;
  /** base64 SHA-256 of the zip (Lambda's CodeSha256); the zip is deterministic, so an unchanged chain has the same. */
  codeSha256: string;
  /** Marks the layer version in its Description, so a re-deploy finds an unchanged one without downloading it. */
  description: string;
  /** The variables the proxy needs on top of the function's own. */
  environment: Record<string, string>;
}

/** The Lambda layer name for a function's chain. */
export function chainLayerName(functionName: string): string {
  return `open-runtime-${functionName}`.slice(0, 140);
}

/**
 * Resolves the function's chain as the runner does and refuses what the proxy can't run (a sentence naming each);
 * returns the middlewares found.
 */
export function shippableChain(fn: FunctionSpec, chain: string[]): Array<Extract<ResolvedMiddleware, { kind: 'executable' }>> {
  const resolved = chain.map((name) => {
    try {
      return resolveMiddleware(fn, name);
    } catch (err) {
      if (err instanceof MiddlewareNotFoundError || err instanceof MiddlewareManifestError) throw new ChainNotShippable(`Nothing was deployed: ${err.message}`);
      throw err;
    }
  });
  const components = resolved.filter((m) => m.kind === 'component');
  if (components.length) {
    const named = components.map((m) => m.name).join(', ');
    throw new ChainNotShippable(
      `Nothing was deployed: ${fn.name}'s middleware${components.length > 1 ? 's' : ''} ${named} ${components.length > 1 ? 'are WebAssembly components, which' : 'is a WebAssembly component, which'} can't run on Lambda: ` +
        "the Open Runtime layer's proxy runs executable middlewares (scripts and programs reading the event on stdin) and the built-in cloudevents, " +
        "and components need the runner's WebAssembly host, which is not in the layer. " +
        'Replace them with executable middlewares, or deploy the handler alone with --without-middlewares.',
    );
  }
  // Built-ins (cloudevents) are in the proxy itself (layer/proxy/cloudevents.go): no files to ship.
  return resolved.filter((m): m is Extract<ResolvedMiddleware, { kind: 'executable' }> => m.kind === 'executable');
}

/** The layer for `fn`'s chain, built for `architecture` into its build folder. */
export async function buildChainLayer(
  fn: FunctionSpec,
  functionName: string,
  chain: string[],
  architecture: Architecture,
  opts: { workspace?: string | undefined; log?: ((line: string) => void) | undefined; signal?: AbortSignal | undefined },
): Promise<ChainLayer> {
  const middlewares = shippableChain(fn, chain);
  for (const warning of interpreterWarnings(fn, middlewares)) opts.log?.(warning);
  const out = join(buildDirOf(fn, architecture, opts.workspace), 'middleware-layer');
  const staging = join(out, 'middlewares');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const shipped = new Map<string, string>();
  for (const m of middlewares) {
    for (const file of filesOf(m)) {
      const name = basename(file);
      const earlier = shipped.get(name);
      if (earlier && earlier !== file && !readFileSync(earlier).equals(readFileSync(file))) {
        throw new ChainNotShippable(
          `Nothing was deployed: the middlewares of ${fn.name} need two different files named ${name} (${earlier} and ${file}), and they would land in the same /opt/middlewares folder. Rename one.`,
        );
      }
      shipped.set(name, file);
      copyFileSync(file, join(staging, name));
    }
  }
  const built = await buildLayer(architecture, { out, middlewares: staging, log: opts.log, signal: opts.signal });
  const zip = readFileSync(built.zipPath);
  const digest = createHash('sha256').update(zip);
  const codeSha256 = digest.copy().digest('base64');
  const names = chain.join(', ');
  const description = `Open Runtime middlewares (${names.length > 120 ? `${names.slice(0, 117)}...` : names}) for ${functionName}, ${architecture}; content ${digest.digest('hex').slice(0, 32)}`;
  const environment: Record<string, string> = { OPEN_RUNTIME_MIDDLEWARES: chain.join(',') };
  if (runtimeFamily(fn.runtime) !== 'provided') environment.AWS_LAMBDA_EXEC_WRAPPER = WRAPPER_AT_OPT;
  return { name: chainLayerName(functionName), built, zip, codeSha256, description, environment };
}

/**
 * Middlewares whose interpreter is another language's: here it is on PATH, on Lambda the runtime's image has its own
 * language only (a Python runtime has no node; a Node runtime's image is not promised a python3). Said, not refused:
 * the user may ship the interpreter in a layer.
 */
export function interpreterWarnings(fn: FunctionSpec, middlewares: Array<Extract<ResolvedMiddleware, { kind: 'executable' }>>): string[] {
  const family = runtimeFamily(fn.runtime);
  return middlewares.flatMap((m) => {
    const language = /\.py$/.test(m.path) ? 'python' : /\.(m|c)?js$|\.ts$/.test(m.path) ? 'node' : undefined;
    if (!language || language === family) return [];
    return [
      `Note: the middleware ${m.name} (${basename(m.path)}) runs with ${language === 'python' ? 'python3' : 'node'}, which the ${fn.runtime} runtime's image on Lambda may not have. If it fails there with Middleware.Failed, ship it as a program or a script in the runtime's language, or its interpreter in a layer.`,
    ];
  });
}

/** A middleware's files: its program, its manifest, and the files its manifest's command names in its folder. */
function filesOf(m: Extract<ResolvedMiddleware, { kind: 'executable' }>): string[] {
  const dir = dirname(m.path);
  const manifest = join(dir, `${m.name}.json`);
  const files = new Set<string>([m.path]);
  if (existsSync(manifest)) files.add(manifest);
  for (const arg of [m.command, ...m.args]) if (dirname(arg) === dir && existsSync(arg)) files.add(arg);
  // A manifest whose command is a program on PATH ("python3") is the middleware itself: m.path is the manifest.
  return [...files];
}

/**
 * A custom runtime's package with the layer's wrapper in front: its `bootstrap` moved to `.open-runtime/bootstrap`
 * and a `bootstrap` script that starts the wrapper with it. Other files are kept as they are.
 */
export function wrapBootstrap(zip: Buffer): Buffer {
  const files: ZipInput[] = [];
  let found = false;
  for (const entry of readZip(zip)) {
    if (entry.directory) continue;
    const data = entry.read();
    const mode = entry.mode !== undefined ? entry.mode & 0o777 : 0o644;
    if (entry.name === 'bootstrap') {
      found = true;
      files.push({ name: WRAPPED_BOOTSTRAP, data, mode });
    } else {
      files.push({ name: entry.name, data, mode });
    }
  }
  if (!found)
    throw new ChainNotShippable(
      'Nothing was deployed: the package has no bootstrap at its root for the Open Runtime layer to start. Build it again (open-runtime build).',
    );
  const script = `#!/bin/sh\n# Open Runtime: the function's middlewares run in the layer's Runtime API proxy, in front of the real bootstrap.\nexec ${WRAPPER_AT_OPT} "\${LAMBDA_TASK_ROOT:-/var/task}/${WRAPPED_BOOTSTRAP}" "$@"\n`;
  files.push({ name: 'bootstrap', data: new TextEncoder().encode(script), mode: 0o755 });
  return Buffer.from(writeZip(files));
}

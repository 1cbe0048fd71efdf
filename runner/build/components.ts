// `open-runtime build <name>` for WASI component functions: the function's source becomes the .wasm its
// Handler names, for the world its settings choose.
//   js: bundled with esbuild (TypeScript and npm imports work), then componentize-js (StarlingMonkey, the
//       default) or componentize-qjs (`backend: quickjs`, smaller and faster to start, no console).
//   c:  clang --target=wasm32-wasi -mexec-model=reactor with the project's C binding of the handler world, then
//       `jco embed` (the WIT) and `jco new` with the WASI reactor adapter.
// A build whose inputs (bundle or sources, WIT, settings) are unchanged since the last one is skipped.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ComponentSettings, type FunctionSpec } from '../functions/model.ts';
import { PACKAGE_ROOT } from '../paths.ts';
import { grantedImports } from '../runtimes/wasi/capabilities/grants.ts';

export class ComponentBuildError extends Error {}

export interface BuildOptions {
  /** Build even when the inputs are unchanged. */
  force?: boolean;
  /** Progress, one line at a time (the CLI prints them on stderr). */
  log?: (line: string) => void;
}

export interface BuildResult {
  /** The component written (absolute). */
  output: string;
  /** Nothing changed since the last build: the existing output was kept. */
  upToDate: boolean;
}

/** The project's WIT (worlds "function" and "http-function") and its C binding. */
export const WIT_DIR = join(PACKAGE_ROOT, 'wit');
const C_BINDING_DIR = join(WIT_DIR, 'c');
const WORLD_NAMES = { handler: 'function', http: 'http-function' } as const;

export async function buildComponent(fn: FunctionSpec, options: BuildOptions = {}): Promise<BuildResult> {
  const log = options.log ?? (() => undefined);
  if (fn.runtime !== 'wasi') {
    throw new ComponentBuildError(`Function ${fn.name} has Runtime ${fn.runtime}; only Runtime wasi functions are built into components.`);
  }
  const settings = ComponentSettings.parse(fn.component ?? {});
  const build = settings.build;
  if (!build) {
    throw new ComponentBuildError(
      `Function ${fn.name} has no build settings. Add them under Metadata.OpenRuntime.component, e.g. "build: { language: js, source: index.js }", or build ${fn.handler || 'the .wasm'} with your own toolchain.`,
    );
  }
  if (!fn.handler.endsWith('.wasm')) {
    throw new ComponentBuildError(
      `Function ${fn.name} has Handler "${fn.handler}"; for Runtime wasi it is the .wasm file to build, relative to CodeUri, such as build/${basename(build.source).replace(/\.[^.]+$/, '')}.wasm.`,
    );
  }
  const output = resolve(fn.codeUri, fn.handler);
  const source = resolve(fn.codeUri, build.source);
  if (!existsSync(source)) {
    throw new ComponentBuildError(
      `Function ${fn.name} builds from ${build.source}, but ${source} doesn't exist. Fix component.build.source (it is relative to CodeUri).`,
    );
  }
  const work = await mkdtemp(join(tmpdir(), 'open-runtime-build-'));
  try {
    const witDir = await lambdaWit(work);
    // Granted capabilities (key-value, config, messaging) are imports of a world made for this function; the
    // component then imports exactly what it may use, and a provider swap needs no rebuild.
    const world = await worldWithCapabilities(witDir, WORLD_NAMES[settings.world], grantedImports(settings));
    if (build.language === 'js') {
      const backend = build.backend ?? 'starlingmonkey';
      // Outgoing HTTP only when the function may use it: the component then doesn't import what it wasn't granted.
      const disableFeatures = [...(settings.allowedHosts.length ? [] : ['http' as const]), ...(settings.world === 'handler' ? ['fetch-event' as const] : [])];
      log(`Bundling ${relative(fn.codeUri, source)} with esbuild`);
      const bundle = await bundleJs(source, fn.name);
      const inputs = hashOf([
        'js',
        backend,
        world,
        grantedImports(settings).join(','),
        disableFeatures.join(','),
        bundle,
        witFingerprint(),
        toolVersion(backend),
      ]);
      if (!options.force && upToDate(output, inputs)) return { output, upToDate: true };
      const bundlePath = join(work, `${basename(source).replace(/\.[^.]+$/, '')}.js`);
      await writeFile(bundlePath, bundle);
      log(backend === 'quickjs' ? 'Componentizing with QuickJS (componentize-qjs)' : 'Componentizing with StarlingMonkey (componentize-js, about 10-30 s)');
      const component =
        backend === 'quickjs'
          ? await componentizeQuickJs(witDir, bundlePath, bundle, world, fn.name)
          : await componentizeStarlingMonkey(witDir, bundlePath, world, disableFeatures, fn.name);
      await writeOutput(output, component, inputs);
    } else {
      if (settings.world !== 'handler') {
        throw new ComponentBuildError(
          `Function ${fn.name} builds C for the http world, which needs generated wasi:http bindings (wit-bindgen c). Build it with wit-bindgen and point Handler at the .wasm, or use the handler world (remove "world: http").`,
        );
      }
      const sources = cSources(source);
      const inputs = hashOf(['c', world, grantedImports(settings).join(','), ...sources.map((f) => `${f}\0${readFileSync(f, 'utf8')}`), witFingerprint()]);
      if (!options.force && upToDate(output, inputs)) return { output, upToDate: true };
      log(`Compiling ${relative(fn.codeUri, source)} with clang (wasm32-wasi, reactor)`);
      const core = join(work, 'core.wasm');
      await runClang(['--target=wasm32-wasi', '-mexec-model=reactor', '-O2', '-I', C_BINDING_DIR, '-o', core, source], fn.name);
      log('Making a component (jco embed + jco new --wasi-reactor)');
      const component = await componentFromCore(witDir, await readFile(core), world, fn.name);
      await writeOutput(output, component, inputs);
    }
    log(`Built ${relative(process.cwd(), output) || output}`);
    return { output, upToDate: false };
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/**
 * The handler and http worlds with their WASI dependencies, alone in a folder: a WIT folder is one package, and
 * the project's wit/ also holds other packages (the middleware world).
 */
async function lambdaWit(work: string): Promise<string> {
  const dir = join(work, 'wit');
  await mkdir(dir, { recursive: true });
  for (const file of ['lambda.wit', 'http.wit']) await cp(join(WIT_DIR, file), join(dir, file));
  await cp(join(WIT_DIR, 'deps'), join(dir, 'deps'), { recursive: true });
  return dir;
}

/** The base world, or a world including it plus the granted imports (written beside it) when there are any. */
async function worldWithCapabilities(witDir: string, base: string, imports: string[]): Promise<string> {
  if (!imports.length) return base;
  const name = `${base}-with-capabilities`;
  await writeFile(join(witDir, 'capabilities.wit'), `world ${name} {\n  include ${base};\n${imports.map((i) => `  ${i}\n`).join('')}}\n`);
  return name;
}

function hashOf(parts: Array<string | Uint8Array>): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part).update('\0');
  return hash.digest('hex');
}

/** The stamp beside the output records the hash of the inputs that made it. */
function stampOf(output: string): string {
  return join(dirname(output), `.${basename(output)}.inputs`);
}

function upToDate(output: string, inputs: string): boolean {
  try {
    return existsSync(output) && readFileSync(stampOf(output), 'utf8').trim() === inputs;
  } catch {
    return false;
  }
}

async function writeOutput(output: string, component: Uint8Array, inputs: string): Promise<void> {
  await mkdir(dirname(output), { recursive: true });
  const temp = `${output}.tmp-${process.pid}`;
  await writeFile(temp, component);
  await rename(temp, output);
  await writeFile(stampOf(output), `${inputs}\n`);
}

function witFingerprint(): string {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else files.push(`${relative(WIT_DIR, path)}\0${readFileSync(path, 'utf8')}`);
    }
  };
  walk(join(WIT_DIR, 'deps'));
  for (const file of ['lambda.wit', 'http.wit', join('c', 'open_runtime_lambda.h'), join('c', 'open_runtime_capabilities.h')])
    files.push(readFileSync(join(WIT_DIR, file), 'utf8'));
  return hashOf(files);
}

function toolVersion(backend: string): string {
  const name = backend === 'quickjs' ? 'componentize-qjs' : '@bytecodealliance/componentize-js';
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve(name)));
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    return `${name}@${(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version}`;
  } catch {
    return name;
  }
}

/** Imports a bundler leaves alone: WIT interfaces (wasi:keyvalue/store@..., wasmcloud:messaging/...), which componentize binds. */
export const WIT_IMPORTS = ['wasi:*', 'wasmcloud:*'];

async function bundleJs(source: string, name: string): Promise<string> {
  const esbuild = await import('esbuild');
  try {
    const result = await esbuild.build({
      entryPoints: [source],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      mainFields: ['module', 'main'],
      logLevel: 'silent',
      external: WIT_IMPORTS,
    });
    return result.outputFiles[0]!.text;
  } catch (error) {
    const errors = (error as { errors?: Array<{ text: string; location?: { file: string; line: number; column: number } | null }> }).errors ?? [];
    const where = errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ');
    throw new ComponentBuildError(`Function ${name}: bundling its source failed: ${where || (error as Error).message}`);
  }
}

async function importTool<T>(specifier: string, what: string): Promise<T> {
  try {
    return (await import(specifier)) as T;
  } catch {
    throw new ComponentBuildError(
      `Building ${what} needs ${specifier}, which is not installed. Install it next to Open Runtime (npm install --save-dev @bytecodealliance/jco@1.34.0 brings componentize-js and componentize-qjs).`,
    );
  }
}

async function componentizeStarlingMonkey(witDir: string, bundlePath: string, world: string, disableFeatures: string[], name: string): Promise<Uint8Array> {
  const { componentize } = await importTool<{ componentize(opts: Record<string, unknown>): Promise<{ component: Uint8Array }> }>(
    '@bytecodealliance/componentize-js',
    'JavaScript components (StarlingMonkey)',
  );
  try {
    const { component } = await componentize({ sourcePath: bundlePath, witPath: witDir, worldName: world, disableFeatures });
    return component;
  } catch (error) {
    throw new ComponentBuildError(
      `Function ${name}: componentize-js failed: ${cleanToolError(error)}. Check that the source exports what world "${world}" in wit/lambda.wit expects.`,
    );
  }
}

async function componentizeQuickJs(witDir: string, bundlePath: string, bundle: string, world: string, name: string): Promise<Uint8Array> {
  const { componentize } = await importTool<{ componentize(opts: Record<string, unknown>): Promise<{ component: Uint8Array }> }>(
    'componentize-qjs',
    'JavaScript components (QuickJS)',
  );
  try {
    // `sync`: the non-async runtime, which a host without component-model async (jco's glue today) can call.
    const { component } = await componentize({ witPath: witDir, jsSource: bundle, jsPath: bundlePath, world, sync: true });
    return component;
  } catch (error) {
    throw new ComponentBuildError(
      `Function ${name}: componentize-qjs failed: ${cleanToolError(error)}. Check that the source exports what world "${world}" in wit/lambda.wit expects.`,
    );
  }
}

function cleanToolError(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^(Component)?Error:\s*/, '').trim();
}

/** The C source and the other .c files beside it (one component from the folder). */
function cSources(source: string): string[] {
  const dir = dirname(source);
  const siblings = readdirSync(dir)
    .filter((f) => /\.[ch]$/.test(f))
    .map((f) => join(dir, f));
  return [...new Set([source, ...siblings, join(C_BINDING_DIR, 'open_runtime_lambda.h'), join(C_BINDING_DIR, 'open_runtime_capabilities.h')])]
    .filter((f) => statSync(f).isFile())
    .sort();
}

function runClang(args: string[], name: string): Promise<void> {
  const clang = process.env.OPEN_RUNTIME_CLANG || 'clang';
  return new Promise((resolvePromise, reject) => {
    const child = spawn(clang, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error: NodeJS.ErrnoException) => {
      reject(
        new ComponentBuildError(
          error.code === 'ENOENT'
            ? `Building C components needs clang with the wasm32-wasi target, and "${clang}" was not found. On Debian/Ubuntu: apt-get install clang lld wasi-libc libclang-rt-dev-wasm32.`
            : `Function ${name}: starting ${clang} failed: ${error.message}`,
        ),
      );
    });
    child.on('close', (code) => {
      if (code === 0) return resolvePromise();
      const hint = /wasi-sysroot|stdio\.h' file not found|cannot find -lc|libclang_rt/.test(stderr)
        ? ' The WASI C library seems to be missing: apt-get install wasi-libc libclang-rt-dev-wasm32 lld.'
        : '';
      reject(new ComponentBuildError(`Function ${name}: clang failed (exit code ${code}):\n${stderr.trim()}${hint}`));
    });
  });
}

async function componentFromCore(witDir: string, core: Uint8Array, world: string, name: string): Promise<Uint8Array> {
  const tools = await import('@bytecodealliance/jco-transpile/wasm-tools');
  let embedded: Uint8Array;
  try {
    embedded = await tools.componentEmbed({ binary: core, witPath: witDir, world });
  } catch (error) {
    throw new ComponentBuildError(`Function ${name}: embedding the WIT of world "${world}" failed: ${cleanToolError(error)}`);
  }
  let adapter: Uint8Array;
  try {
    adapter = readFileSync(new URL('../lib/wasi_snapshot_preview1.reactor.wasm', import.meta.resolve('@bytecodealliance/jco')));
  } catch {
    throw new ComponentBuildError(
      'Building C components needs the WASI reactor adapter from @bytecodealliance/jco, which is not installed (npm install --save-dev @bytecodealliance/jco@1.34.0).',
    );
  }
  try {
    return await tools.componentNew(embedded, [['wasi_snapshot_preview1', adapter]]);
  } catch (error) {
    throw new ComponentBuildError(
      `Function ${name}: making a component failed: ${cleanToolError(error)}. The C code must define lambda_handle and include open_runtime_lambda.h once (it exports the handler world's functions).`,
    );
  }
}

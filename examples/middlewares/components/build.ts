// Builds the component middlewares of this folder: components/<name>/<name>.js becomes middlewares/<name>.wasm,
// a component of the world "middleware" in wit/middleware/middleware.wit, which the runner finds by name like any
// other middleware. JavaScript is bundled with esbuild (imports work), then componentized with QuickJS
// (componentize-qjs, from @bytecodealliance/jco's dependencies): a small component that starts in about a
// millisecond, which matters for something that runs a fresh instance on every hook call. QuickJS has no console.
//
//   node examples/middlewares/components/build.ts            # every middleware here
//   node examples/middlewares/components/build.ts http-guard # one
//
// A build whose inputs (bundle, WIT, tool version) are unchanged is skipped. The .wasm files are build output
// (gitignored), never checked in.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WIT_IMPORTS } from '../../../runner/build/components.ts';

const HERE = import.meta.dirname;
/** The project's middleware world. */
export const MIDDLEWARE_WIT_DIR = resolve(HERE, '..', '..', '..', 'wit', 'middleware');

export interface MiddlewareBuild {
  /** The JavaScript (or TypeScript) source, exporting `before`, `after` and `onError`. */
  source: string;
  /** The .wasm to write. */
  output: string;
  /** A WIT folder and world to build for instead of the project's middleware world (tests). */
  witDir?: string;
  world?: string;
}

/** Builds one component middleware; `upToDate` says the existing output was kept. */
export async function buildMiddlewareComponent({
  source,
  output,
  witDir = MIDDLEWARE_WIT_DIR,
  world = 'middleware',
}: MiddlewareBuild): Promise<{ output: string; upToDate: boolean }> {
  if (!existsSync(source)) throw new Error(`The middleware source ${source} does not exist.`);
  const bundle = await bundleSource(source);
  const inputs = hash([bundle, world, ...(await witFiles(witDir)), toolVersion()]);
  const stamp = join(dirname(output), `.${basename(output)}.inputs`);
  if (existsSync(output) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === inputs) return { output, upToDate: true };
  let componentize: (opts: Record<string, unknown>) => Promise<{ component: Uint8Array }>;
  try {
    ({ componentize } = (await import('componentize-qjs')) as unknown as { componentize: typeof componentize });
  } catch {
    throw new Error('Building component middlewares needs componentize-qjs: npm install --save-dev @bytecodealliance/jco@1.34.0 brings it.');
  }
  let component: Uint8Array;
  try {
    // `sync`: the non-async runtime, which jco's glue (no component-model async) can call.
    ({ component } = await componentize({ witPath: witDir, jsSource: bundle, jsPath: source, world, sync: true }));
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).replace(/^(Component)?Error:\s*/, '');
    throw new Error(`Building ${basename(source)} failed: ${message}. It must export before, after and onError (world "${world}" in ${witDir}).`);
  }
  await mkdir(dirname(output), { recursive: true });
  const temp = `${output}.tmp-${process.pid}`;
  await writeFile(temp, component);
  await rename(temp, output);
  await writeFile(stamp, `${inputs}\n`);
  return { output, upToDate: false };
}

/** The middlewares of this folder: each subfolder holding <name>.js (or .ts). */
export function exampleMiddlewares(): Array<{ name: string; source: string; output: string }> {
  return readdirSync(HERE)
    .filter((name) => statSync(join(HERE, name)).isDirectory())
    .flatMap((name) => {
      const source = ['.js', '.mjs', '.ts'].map((ext) => join(HERE, name, name + ext)).find((file) => existsSync(file));
      return source ? [{ name, source, output: join(HERE, '..', `${name}.wasm`) }] : [];
    });
}

async function bundleSource(source: string): Promise<string> {
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
    throw new Error(
      `Bundling ${source} failed: ${errors.map((e) => (e.location ? `${e.location.file}:${e.location.line}:${e.location.column}: ${e.text}` : e.text)).join('; ') || (error as Error).message}`,
    );
  }
}

async function witFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true, recursive: true })).sort((a, b) =>
    join(a.parentPath, a.name).localeCompare(join(b.parentPath, b.name)),
  )) {
    if (entry.isFile()) out.push(readFileSync(join(entry.parentPath, entry.name), 'utf8'));
  }
  return out;
}

function toolVersion(): string {
  try {
    let dir = dirname(fileURLToPath(import.meta.resolve('componentize-qjs')));
    while (!existsSync(join(dir, 'package.json'))) dir = dirname(dir);
    return (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

function hash(parts: string[]): string {
  const h = createHash('sha256');
  for (const part of parts) h.update(part).update('\0');
  return h.digest('hex');
}

if (import.meta.main) {
  const wanted = process.argv.slice(2);
  const all = exampleMiddlewares();
  const unknown = wanted.filter((name) => !all.some((m) => m.name === name));
  if (unknown.length) {
    process.stderr.write(`No middleware source for ${unknown.join(', ')} in ${HERE}; there are: ${all.map((m) => m.name).join(', ')}.\n`);
    process.exit(2);
  }
  for (const middleware of all.filter((m) => !wanted.length || wanted.includes(m.name))) {
    try {
      const { upToDate } = await buildMiddlewareComponent(middleware);
      process.stderr.write(`${upToDate ? 'Up to date' : 'Built'}: middlewares/${middleware.name}.wasm\n`);
    } catch (error) {
      process.stderr.write(`${(error as Error).message}\n`);
      process.exit(1);
    }
  }
}

// Node.js / TypeScript functions: one esbuild bundle of the handler for the function's Node version (source
// maps on, `@aws-sdk/*` left to the runtime, which ships SDK v3 on every Node runtime Lambda still runs).
// Dependencies with native code can't be bundled: they are installed for the TARGET platform
// (`npm install --os=linux --cpu=arm64|x64 --libc=glibc`, which picks each package's prebuilt binary for that
// platform) into a staging folder and shipped in node_modules, with everything they need and nothing else.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type * as esbuild from 'esbuild';
import type { Architecture } from '../functions/model.ts';
import { tryParseHandler } from '../functions/handler.ts';
import { BuildError, runTool } from './run-tool.ts';
import type { PackageProducer } from './producer.ts';

const NPM_CPU: Record<Architecture, string> = { x86_64: 'x64', arm64: 'arm64' };
const SOURCE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'];

interface PackageJson {
  name?: string;
  type?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  gypfile?: boolean;
}

export const buildNode: PackageProducer = async ({ fn, architecture, staging, buildDir, log, signal }) => {
  const parsed = tryParseHandler(fn.handler, 'node');
  if (!parsed) throw new BuildError(`The handler "${fn.handler}" of ${fn.name} is not "file.export" (e.g. "app.handler"). Fix Handler in the template.`);
  const { modulePath } = parsed;
  const entry = SOURCE_EXTENSIONS.map((ext) => join(fn.codeUri, modulePath + ext)).find((f) => existsSync(f));
  if (!entry)
    throw new BuildError(
      `${fn.name}'s handler "${fn.handler}" names ${modulePath}, but ${fn.codeUri} has no ${modulePath}${SOURCE_EXTENSIONS.join(' / ')}. Fix Handler or CodeUri in the template.`,
    );

  const notes: string[] = [];
  const deps = await installDependencies(fn.codeUri, architecture, buildDir, log, signal);
  const native = deps ? nativePackages(deps) : { external: [], ship: [] };
  if (native.external.length) {
    log(`Native dependencies, installed for linux/${NPM_CPU[architecture]} and shipped in node_modules: ${native.external.join(', ')}`);
    notes.push(`Native dependencies for linux/${NPM_CPU[architecture]}: ${native.external.join(', ')}.`);
    for (const dir of native.ship) {
      const rel = relative(deps!, dir);
      cpSync(dir, join(staging, 'node_modules', rel), {
        recursive: true,
        dereference: true,
        filter: (src) => src === dir || !src.startsWith(join(dir, 'node_modules')),
      });
    }
  }
  const nodeVersion = /^nodejs(\d+)/.exec(fn.runtime)?.[1] ?? '20';
  const options: esbuild.BuildOptions = {
    entryPoints: [entry],
    absWorkingDir: fn.codeUri,
    bundle: true,
    platform: 'node',
    target: `node${nodeVersion}`,
    sourcemap: 'linked',
    sourcesContent: true,
    // The Node runtimes ship the AWS SDK v3; native packages come from node_modules (installed for the target).
    external: ['@aws-sdk/*', ...native.external.flatMap((name) => [name, `${name}/*`])],
    nodePaths: deps ? [deps] : [],
    logLevel: 'silent',
    metafile: true,
    write: false,
    outdir: staging,
  };
  const esm = await bundle({ ...options, format: 'esm' }, fn.codeUri, log);
  // A CommonJS handler (exports.handler = ...) stays CommonJS: bundled as ESM its exports would turn into a default export.
  const entryKey = relative(fn.codeUri, entry).split('\\').join('/');
  const format = esm.metafile!.inputs[entryKey]?.format === 'cjs' ? 'cjs' : 'esm';
  // .mjs / .cjs say the module type themselves: no package.json above the unpacked code (the deploy folder may sit in
  // an ES-module project) can change how Node reads it.
  const outfile = join(staging, `${modulePath}.${format === 'esm' ? 'mjs' : 'cjs'}`);
  const result = await bundle(
    {
      ...options,
      format,
      write: true,
      outdir: undefined,
      outfile,
      // Bundled CommonJS packages call require(); an ES module has none unless it makes one.
      banner:
        format === 'esm' ? { js: "import { createRequire as __orCreateRequire } from 'node:module'; const require = __orCreateRequire(import.meta.url);" } : {},
    },
    fn.codeUri,
    log,
  );
  const bytes = Object.values(result.metafile!.outputs).reduce((sum, o) => sum + o.bytes, 0);
  log(
    `Bundled ${relative(fn.codeUri, entry)} -> ${relative(staging, outfile)} (${format === 'esm' ? 'ES module' : 'CommonJS'}, node${nodeVersion}, ${(bytes / 1024).toFixed(1)} KB with its source map)`,
  );
  return { notes };
};

async function bundle(options: esbuild.BuildOptions, codeUri: string, log: (line: string) => void): Promise<esbuild.BuildResult> {
  try {
    // esbuild loads when a build runs, not with the runner.
    const { build } = await import('esbuild');
    const result = await build(options);
    for (const w of result.warnings) log(formatMessage(codeUri, w, 'warning'));
    return result;
  } catch (err) {
    const errors = (err as { errors?: esbuild.Message[] }).errors ?? [];
    for (const e of errors) log(formatMessage(codeUri, e, 'error'));
    const first = errors[0];
    const hint =
      first && /No loader is configured for "\.node" files/.test(first.text)
        ? ' A package with native code is imported from outside package.json\'s dependencies: add it to "dependencies" so it is installed for the target.'
        : first && /Could not resolve/.test(first.text)
          ? ' Add the package to "dependencies" in package.json (it is installed for the target during the build).'
          : '';
    throw new BuildError(
      `esbuild could not bundle the handler: ${first ? first.text : (err as Error).message}.${hint}`,
      errors.map((e) => formatMessage(codeUri, e, 'error')).join('\n'),
    );
  }
}

/** `file:line:col: error: text`, with an absolute path: the form of the `$open-runtime` problem matcher. */
function formatMessage(codeUri: string, m: esbuild.Message, severity: 'error' | 'warning'): string {
  if (!m.location) return `${severity}: ${m.text}`;
  return `${resolve(codeUri, m.location.file)}:${m.location.line}:${m.location.column + 1}: ${severity}: ${m.text}`;
}

/**
 * `npm install` of package.json's production dependencies for linux/<cpu>/glibc into `<buildDir>/deps`.
 * Returns its node_modules, or undefined when the function has no dependencies.
 */
async function installDependencies(
  codeUri: string,
  architecture: Architecture,
  buildDir: string,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<string | undefined> {
  const manifestPath = join(codeUri, 'package.json');
  if (!existsSync(manifestPath)) return undefined;
  let manifest: PackageJson;
  try {
    manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageJson;
  } catch (err) {
    throw new BuildError(`${manifestPath} is not valid JSON (${(err as Error).message}). Fix it and build again.`);
  }
  if (!Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }).length) return undefined;
  const depsDir = join(buildDir, 'deps');
  rmSync(depsDir, { recursive: true, force: true });
  mkdirSync(depsDir, { recursive: true });
  // Only what installs production dependencies: no scripts of the project itself, no workspaces.
  const { name, type, dependencies, optionalDependencies } = manifest;
  writeFileSync(
    join(depsDir, 'package.json'),
    JSON.stringify({ name: name ?? 'function', version: '0.0.0', private: true, type, dependencies, optionalDependencies }, null, 2),
  );
  for (const file of ['package-lock.json', 'npm-shrinkwrap.json', '.npmrc']) {
    if (existsSync(join(codeUri, file))) cpSync(join(codeUri, file), join(depsDir, file));
  }
  const cpu = NPM_CPU[architecture];
  log(`npm install --omit=dev --os=linux --cpu=${cpu} --libc=glibc (dependencies of ${manifestPath})`);
  const { code, output } = await runTool({
    command: process.env.OPEN_RUNTIME_NPM ?? 'npm',
    args: ['install', '--omit=dev', '--os=linux', `--cpu=${cpu}`, '--libc=glibc', '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=error'],
    cwd: depsDir,
    env: { npm_config_os: 'linux', npm_config_cpu: cpu, npm_config_libc: 'glibc' },
    log,
    signal,
    missing:
      'npm is not installed (no "npm" on PATH), so the function\'s dependencies can\'t be installed for the target. Install Node.js with npm, or set OPEN_RUNTIME_NPM.',
  });
  if (code !== 0) {
    const platform = /EBADPLATFORM|Unsupported platform/.test(output);
    const offline = /ENOTFOUND|ECONNREFUSED|ETIMEDOUT|EAI_AGAIN|network/i.test(output);
    throw new BuildError(
      platform
        ? `A dependency of ${manifestPath} does not support linux/${cpu}: npm refused it (EBADPLATFORM). Replace it or build for the other architecture.`
        : offline
          ? `npm could not download the dependencies of ${manifestPath} for linux/${cpu} (is the npm registry reachable?).`
          : `npm install failed for the dependencies of ${manifestPath} (exit code ${code}); npm's messages are above.`,
      output,
    );
  }
  return join(depsDir, 'node_modules');
}

interface InstalledPackage {
  dir: string;
  manifest: PackageJson;
  ownNative: boolean;
}

/**
 * The installed packages that carry native code (a .node file, a binding.gyp, prebuilds/) or depend on one:
 * `external` names the top-level ones esbuild must leave alone, `ship` is every package folder they need.
 */
export function nativePackages(nodeModules: string): { external: string[]; ship: string[] } {
  const packages = new Map<string, InstalledPackage>();
  const collect = (modulesDir: string) => {
    if (!existsSync(modulesDir)) return;
    for (const name of readdirSync(modulesDir)) {
      if (name.startsWith('.')) continue;
      const dirs = name.startsWith('@') ? readdirSync(join(modulesDir, name)).map((n) => join(modulesDir, name, n)) : [join(modulesDir, name)];
      for (const dir of dirs) {
        const manifestPath = join(dir, 'package.json');
        if (!existsSync(manifestPath)) continue;
        const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PackageJson;
        packages.set(dir, { dir, manifest, ownNative: manifest.gypfile === true || hasNativeFiles(dir) });
        collect(join(dir, 'node_modules'));
      }
    }
  };
  collect(nodeModules);
  const resolveDep = (from: string, name: string): string | undefined => {
    for (let dir = from; dir.startsWith(nodeModules); dir = dirname(dir)) {
      const candidate = join(dir, 'node_modules', name);
      if (packages.has(candidate)) return candidate;
      if (dir === nodeModules) break;
    }
    const top = join(nodeModules, name);
    return packages.has(top) ? top : undefined;
  };
  const depsOf = (pkg: InstalledPackage) =>
    Object.keys({ ...pkg.manifest.dependencies, ...pkg.manifest.optionalDependencies, ...pkg.manifest.peerDependencies })
      .map((name) => resolveDep(pkg.dir, name))
      .filter((d): d is string => d !== undefined);
  const needsNative = new Map<string, boolean>();
  const visit = (dir: string, seen: Set<string>): boolean => {
    const known = needsNative.get(dir);
    if (known !== undefined) return known;
    if (seen.has(dir)) return false;
    seen.add(dir);
    const pkg = packages.get(dir)!;
    const answer = pkg.ownNative || depsOf(pkg).some((d) => visit(d, seen));
    needsNative.set(dir, answer);
    return answer;
  };
  const external: string[] = [];
  for (const [dir, pkg] of packages) {
    if (dirname(dir) !== nodeModules && dirname(dirname(dir)) !== nodeModules) continue; // top level only
    if (visit(dir, new Set())) external.push(pkg.manifest.name ?? relative(nodeModules, dir));
  }
  const ship = new Set<string>();
  const addWithDeps = (dir: string) => {
    if (ship.has(dir)) return;
    ship.add(dir);
    for (const d of depsOf(packages.get(dir)!)) addWithDeps(d);
  };
  for (const name of external) addWithDeps(join(nodeModules, name));
  return { external: external.sort(), ship: [...ship].sort() };
}

function hasNativeFiles(dir: string, depth = 0): boolean {
  if (existsSync(join(dir, 'binding.gyp'))) return true;
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules') continue;
    if (name.endsWith('.node')) return true;
    const path = join(dir, name);
    if (depth < 4 && statSync(path).isDirectory() && hasNativeFiles(path, depth + 1)) return true;
  }
  return false;
}

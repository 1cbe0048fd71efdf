// `npm run package [-- --target linux-x64 ...]`: one .vsix per platform in out/, as users install it.
// The extension and the runner are bundled (scripts/build.ts --package); a .vsix carries only the packages that cannot
// be bundled, in dist/node_modules/ (found from dist/ by Node's own resolution): esbuild with the platform's binary,
// TypeScript with its lib files, jco and the WASI shims with their .wasm, oxc-minify's and jco-node-fs's platform
// bindings. The platform packages come from the npm registry (`npm pack`), at the exact versions their parents name,
// so every target is made here, and carries its own binaries and none of another platform's. The native addons built
// by the C compiler here (malloc-trim, peer-pid) go only into the target they were built for; elsewhere the runner
// works without them (runner/idle-trim.ts, runner/runtime-api/access.ts). Prints each target's size and file count
// against the budget; exits 1 when a target breaks it or carries the wrong binaries.
import { spawnSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = resolve(import.meta.dirname, '..');
const WORK = join(ROOT, '.package');
const OUT = join(ROOT, 'out');
const BUDGET_BYTES = 15 * 1024 * 1024;

/** Each target's platform packages, by the package that names them in its optionalDependencies. */
export const TARGETS: Record<string, { platformPackages: Record<string, string>; addons: boolean }> = {
  'linux-x64': {
    platformPackages: {
      esbuild: '@esbuild/linux-x64',
      'oxc-minify': '@oxc-minify/binding-linux-x64-gnu',
      '@bytecodealliance/jco-node-fs': '@bytecodealliance/jco-node-fs-linux-x64-gnu',
    },
    addons: true,
  },
  'linux-arm64': {
    platformPackages: {
      esbuild: '@esbuild/linux-arm64',
      'oxc-minify': '@oxc-minify/binding-linux-arm64-gnu',
      '@bytecodealliance/jco-node-fs': '@bytecodealliance/jco-node-fs-linux-arm64-gnu',
    },
    addons: false,
  },
  'darwin-x64': {
    platformPackages: {
      esbuild: '@esbuild/darwin-x64',
      'oxc-minify': '@oxc-minify/binding-darwin-x64',
      '@bytecodealliance/jco-node-fs': '@bytecodealliance/jco-node-fs-darwin-x64',
    },
    addons: false,
  },
  'darwin-arm64': {
    platformPackages: {
      esbuild: '@esbuild/darwin-arm64',
      'oxc-minify': '@oxc-minify/binding-darwin-arm64',
      '@bytecodealliance/jco-node-fs': '@bytecodealliance/jco-node-fs-darwin-arm64',
    },
    addons: false,
  },
  'win32-x64': {
    platformPackages: {
      esbuild: '@esbuild/win32-x64',
      'oxc-minify': '@oxc-minify/binding-win32-x64-msvc',
      '@bytecodealliance/jco-node-fs': '@bytecodealliance/jco-node-fs-win32-x64-msvc',
    },
    addons: false,
  },
};

/** What the bundle imports from node_modules (scripts/build.ts's packaged externals, minus the opt-in aws-lambda-ric). */
const SHIPPED_ROOTS = ['esbuild', 'typescript', '@bytecodealliance/jco-transpile', '@bytecodealliance/preview2-shim'];
/** Dependencies left out, and why: each is only resolved by an option the runner never passes. */
const LEFT_OUT: Record<string, string> = {
  binaryen: "93 MB, resolved only by jco's asm.js and wasm-opt options (transpile's `optimize`, `js`), which the runner does not use",
};

/** The files of a shipped package the runner needs: code, .wasm, licences; no types, maps, docs or browser builds. */
function keep(pkg: string, file: string): boolean {
  if (file === 'package.json' || /^licen[sc]e/i.test(file)) return true;
  if (pkg === 'typescript') return file === 'lib/typescript.js' || /^lib\/lib\.[\w.]+\.d\.ts$/.test(file);
  if (pkg === 'esbuild') return file === 'lib/main.js';
  if (/(^|\/)(types|browser|test|tests|src)\//.test(file)) return false;
  return !/\.(map|d\.ts|d\.mts|d\.cts|md|markdown)$/i.test(file);
}

function packageDir(name: string, from = ROOT): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`package: ${name} is not installed (npm install first).`);
  }
}

const manifestOf = (dir: string) => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));

/** The shipped packages' folders (SHIPPED_ROOTS and their dependencies, not optional ones), each once. */
function shippedPackages(): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (name: string, from: string) => {
    if (LEFT_OUT[name]) return;
    const dir = packageDir(name, from);
    if (found.has(dir)) return;
    found.set(dir, name);
    for (const dep of Object.keys(manifestOf(dir).dependencies ?? {})) visit(dep, dir);
  };
  for (const name of SHIPPED_ROOTS) visit(name, ROOT);
  return found;
}

function filesUnder(dir: string, base = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' ? [] : filesUnder(path, base);
    return [relative(base, path).split('\\').join('/')];
  });
}

function copyPackage(from: string, name: string, into: string): void {
  for (const file of filesUnder(from)) {
    if (!keep(name, file)) continue;
    mkdirSync(dirname(join(into, file)), { recursive: true });
    copyFileSync(join(from, file), join(into, file));
  }
}

/** A platform package from the npm registry, unpacked once into .package/cache/. */
function fetchPackage(name: string, version: string): string {
  const dir = join(WORK, 'cache', `${name.replace('/', '+')}@${version}`);
  if (existsSync(join(dir, 'package.json'))) return dir;
  mkdirSync(dir, { recursive: true });
  const packed = run('npm', ['pack', `${name}@${version}`, '--silent', '--pack-destination', dir]);
  const tarball = join(dir, packed.trim().split('\n').pop()!);
  run('tar', ['-xzf', tarball, '-C', dir, '--strip-components=1']);
  rmSync(tarball);
  return dir;
}

function run(command: string, args: string[], cwd = ROOT): string {
  const done = spawnSync(command, args, { cwd, encoding: 'utf8', shell: process.platform === 'win32' });
  if (done.status !== 0) throw new Error(`package: ${command} ${args.join(' ')} failed:\n${done.stderr || done.stdout || done.error?.message}`);
  return done.stdout;
}

/** The package.json users get: the manifest without what only building and testing need. */
function shippedManifest(): Record<string, unknown> {
  const manifest = manifestOf(ROOT);
  for (const key of ['scripts', 'devDependencies', 'dependencies', 'allowScripts', 'private', 'bin', 'files']) delete manifest[key];
  return manifest;
}

function vsceBin(): string {
  const bin = process.env.VSCE ?? join(ROOT, 'node_modules', '.bin', process.platform === 'win32' ? 'vsce.cmd' : 'vsce');
  if (!existsSync(bin)) throw new Error(`package: ${bin} is missing: npm install (it is the devDependency @vscode/vsce), or set VSCE to a vsce executable.`);
  return bin;
}

export interface Packaged {
  target: string;
  file: string;
  bytes: number;
  files: string[];
}

function packageTarget(target: string, dist: string, shipped: Map<string, string>): Packaged {
  const stage = join(WORK, 'stage', target);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  const { platformPackages, addons } = TARGETS[target];
  cpSync(dist, join(stage, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.map') && (addons || !src.endsWith('.node')) });
  for (const [dir, name] of shipped) copyPackage(dir, name, join(stage, 'dist', relative(ROOT, dir)));
  for (const [parent, name] of Object.entries(platformPackages)) {
    const version = manifestOf(packageDir(parent)).optionalDependencies?.[name];
    if (!version) throw new Error(`package: ${parent} no longer names ${name} among its optionalDependencies; update TARGETS in scripts/package.ts.`);
    copyPackage(fetchPackage(name, version), name, join(stage, 'dist', 'node_modules', name));
  }
  for (const path of [
    'syntaxes',
    'snippets',
    'walkthroughs',
    'wit',
    'layer',
    'runner/runtimes/python',
    'images/icon.png',
    'LICENSE',
    'CHANGELOG.md',
    '.vscodeignore',
  ]) {
    cpSync(join(ROOT, path), join(stage, path), { recursive: true });
  }
  copyFileSync(join(ROOT, 'MARKETPLACE.md'), join(stage, 'README.md'));
  writeFileSync(join(stage, 'package.json'), JSON.stringify(shippedManifest(), null, 2));
  mkdirSync(OUT, { recursive: true });
  const file = join(OUT, `open-runtime-${target}-${manifestOf(ROOT).version}.vsix`);
  run(vsceBin(), ['package', '--no-dependencies', '--target', target, '--out', file], stage);
  return { target, file, bytes: statSync(file).size, files: listEntries(file) };
}

/** The entries of a .vsix (a zip), read from its central directory. */
export function listEntries(file: string): string[] {
  const zip = readFileSync(file);
  let end = zip.length - 22;
  while (end >= 0 && zip.readUInt32LE(end) !== 0x06054b50) end--;
  if (end < 0) throw new Error(`${file} is not a zip file.`);
  const count = zip.readUInt16LE(end + 10);
  const names: string[] = [];
  for (let at = zip.readUInt32LE(end + 16), i = 0; i < count; i++) {
    const nameLength = zip.readUInt16LE(at + 28);
    names.push(zip.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
  }
  return names;
}

/** What must hold of a target's .vsix: its own binaries, nobody else's, no node_modules beside dist/. */
export function checkTarget(target: string, files: string[]): string[] {
  const problems: string[] = [];
  const has = (prefix: string) => files.some((f) => f.startsWith(`extension/${prefix}`));
  for (const [name, own] of Object.entries(TARGETS)) {
    for (const pkg of Object.values(own.platformPackages)) {
      const shipped = has(`dist/node_modules/${pkg}/`);
      if (name === target && !shipped) problems.push(`${target} lacks ${pkg}`);
      if (name !== target && shipped && !Object.values(TARGETS[target].platformPackages).includes(pkg)) problems.push(`${target} carries ${pkg} (${name}'s)`);
    }
  }
  if (has('node_modules/')) problems.push(`${target} ships a top-level node_modules/`);
  if (has('dist/node_modules/esbuild/bin/')) problems.push(`${target} ships esbuild/bin (the packaging machine's binary)`);
  if (!TARGETS[target].addons && has('dist/malloc-trim.node')) problems.push(`${target} carries this machine's malloc-trim.node`);
  for (const needed of [
    'dist/extension.cjs',
    'dist/runner.js',
    'dist/node-runtime.cjs',
    'dist/lldb-dap-proxy.cjs',
    'runner/runtimes/python/bootstrap.py',
    'dist/node_modules/typescript/lib/lib.es5.d.ts',
    'walkthroughs/invoke.md',
  ]) {
    if (!has(needed)) problems.push(`${target} lacks ${needed}`);
  }
  return problems;
}

if (import.meta.main) {
  const { values } = parseArgs({ options: { target: { type: 'string', multiple: true } } });
  const targets = values.target ?? Object.keys(TARGETS);
  for (const t of targets) if (!TARGETS[t]) throw new Error(`package: unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}.`);
  const dist = join(WORK, 'dist');
  run(process.execPath, [join(ROOT, 'scripts', 'build.ts'), '--package', '--outdir', dist]);
  const shipped = shippedPackages();
  let failed = false;
  console.log(
    `package: budget ${(BUDGET_BYTES / 1048576).toFixed(0)} MB per target; left out: ${Object.entries(LEFT_OUT)
      .map(([n, why]) => `${n} (${why})`)
      .join('; ')}`,
  );
  for (const target of targets) {
    const made = packageTarget(target, dist, shipped);
    const problems = checkTarget(target, made.files);
    const over = made.bytes > BUDGET_BYTES;
    failed ||= over || problems.length > 0;
    console.log(
      JSON.stringify({
        target,
        file: relative(ROOT, made.file),
        megabytes: +(made.bytes / 1048576).toFixed(2),
        files: made.files.length,
        budgetMegabytes: BUDGET_BYTES / 1048576,
        withinBudget: !over,
        problems,
      }),
    );
  }
  if (failed) process.exit(1);
}

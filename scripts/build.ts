// Bundles every entry point with esbuild. `node scripts/build.ts [--watch] [--package] [--outdir DIR]`.
// `--package` (scripts/package.ts) also bundles the pure-JS libraries the development build loads from node_modules,
// so a .vsix ships only the packages that cannot be bundled (native binaries, files read beside their module).
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { RUNNER_ENV, RUNNER_NODE_FLAGS } from '../runner/protocol.ts';

const { values: flags } = parseArgs({ options: { watch: { type: 'boolean' }, package: { type: 'boolean' }, outdir: { type: 'string', default: 'dist' } } });
const watch = flags.watch === true;
const out = flags.outdir;
/**
 * Packages the runner loads from node_modules rather than from its bundle. The packaged build keeps only
 * PACKAGED_EXTERNAL there: esbuild (a platform binary), TypeScript (reads its lib.*.d.ts beside itself), jco and the
 * WASI shims (load their .wasm and worker files beside themselves), aws-lambda-ric (a native addon, opt-in).
 */
const PACKAGED_EXTERNAL = ['esbuild', 'typescript', '@bytecodealliance/*', 'aws-lambda-ric'];
const RUNNER_EXTERNAL = flags.package ? PACKAGED_EXTERNAL : [...PACKAGED_EXTERNAL, '@aws-sdk/*', '@smithy/*', 'undici', 'cloudevents'];
/** The extension host loads these from node_modules in development (a smaller bundle); the package bundles them. */
const EXTENSION_EXTERNAL = flags.package ? ['vscode'] : ['vscode', 'undici', 'zod', 'yaml'];
/**
 * Node built-ins are required, not imported: an ES import of a built-in builds its whole namespace, and
 * `node:http`'s includes lazy getters (WebSocket, ...) that load Node's internal undici, http2, tls and zlib:
 * 13 MB of resident memory the runner never uses.
 */
const requireBuiltins: esbuild.Plugin = {
  name: 'require-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => (args.kind === 'import-statement' ? { path: args.path, namespace: 'builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: 'js' }));
  },
};
const common: esbuild.BuildOptions = { bundle: true, sourcemap: 'linked', logLevel: 'warning', target: 'node22' };

const webviews = existsSync('webview')
  ? readdirSync('webview')
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
      .map((f) => join('webview', f))
  : [];

const builds: esbuild.BuildOptions[] = [
  // The runner: sidecar + CLI. ESM. The small pure-JS libraries it needs at start (zod, yaml, fflate, smol-toml)
  // are bundled in: one module to load instead of ~180, which is start time and memory. Big or native ones stay
  // in node_modules and load on demand.
  {
    ...common,
    entryPoints: { runner: 'runner/cli.ts', 'analysis-worker': 'runner/analysis/analysis-worker.ts', 'wasi-worker': 'runner/runtimes/wasi/worker.ts' },
    outdir: out,
    platform: 'node',
    format: 'esm',
    external: RUNNER_EXTERNAL,
    // The shebang carries the runner's flags and allocator settings; bundled CommonJS code (yaml) requires Node's
    // built-ins, so the ES modules get a `require`.
    banner: {
      js: `#!/usr/bin/env -S ${Object.entries(RUNNER_ENV)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')} node ${RUNNER_NODE_FLAGS.join(' ')}\nimport { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);`,
    },
    // Heavy, rarely used parts (TypeScript analysis, the AWS SDK, jco) load in their own chunks, on demand.
    splitting: true,
    chunkNames: 'chunks/[name]-[hash]',
    plugins: [requireBuiltins],
    // A chunk made for a dynamic import of CommonJS code exports only `default` (runner/import-commonjs.ts): the
    // packaged build takes the ES module builds of the AWS SDK and Smithy packages it bundles, whose names survive.
    ...(flags.package ? { mainFields: ['module', 'main'] } : {}),
    // Every module's source stays in memory: no whitespace or comments (a comment in another alphabet makes the
    // whole source a two-byte string). Names are kept, so stack traces stay readable.
    minifyWhitespace: true,
    minifySyntax: true,
  },
  // The Node runtime client runs inside each function's process: self-contained, CommonJS, no dependencies.
  {
    ...common,
    entryPoints: { 'node-runtime': 'runner/runtimes/node/client.ts', 'lldb-dap-proxy': 'runner/runtimes/lldb-dap-proxy.ts' },
    // Its map is written but not named in the bundle: a function's Node (--enable-source-maps) read and parsed the
    // 125 KB map at every cold start, and a debugger attaching with pauseForSourceMap stopped to load it before the
    // user's code ran, for frames that are skipped anyway (dist/** is in the attach configuration's skipFiles).
    sourcemap: 'external',
    outdir: out,
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    format: 'cjs',
  },
  // The extension: CommonJS for the extension host. Its dependencies load from node_modules (as the runner's do):
  // a smaller bundle parses faster, and activation must stay cheap.
  {
    ...common,
    entryPoints: { extension: 'extension/extension.ts' },
    outdir: out,
    outExtension: { '.js': '.cjs' },
    platform: 'node',
    format: 'cjs',
    external: EXTENSION_EXTERNAL,
  },
];
if (webviews.length) {
  builds.push({ ...common, entryPoints: webviews, outdir: join(out, 'webview'), platform: 'browser', format: 'iife', target: 'es2022' });
}

const present = builds.filter((b) => Object.values(b.entryPoints as Record<string, string> | string[]).every((p) => existsSync(p)));
if (!watch) rmSync(out, { recursive: true, force: true });
if (watch) {
  for (const b of present) await (await esbuild.context(b)).watch();
  console.log('watching...');
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
  buildMallocTrim();
  buildPeerPid();
}

/**
 * dist/malloc-trim.node (runner/malloc-trim.c) for the runner's idle trim, with the system's C compiler. Optional:
 * without a compiler, or off glibc, the runner gives back less memory when it goes quiet, and works the same.
 */
function buildMallocTrim(): void {
  if (process.platform !== 'linux') return;
  const cc = process.env.CC ?? 'cc';
  const built = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-o', join(out, 'malloc-trim.node'), join('runner', 'malloc-trim.c')], { encoding: 'utf8' });
  if (built.status !== 0)
    console.log(`build: no dist/malloc-trim.node (${built.error?.message ?? built.stderr.trim().split('\n')[0]}); the runner works without it`);
}

/**
 * dist/peer-pid.node (runner/peer-pid.c): who is at the other end of an environment's direct socket. Optional: without
 * it the runner offers no direct socket (runtimes use their checked TCP address, a little slower).
 */
function buildPeerPid(): void {
  if (process.platform !== 'linux') return;
  const cc = process.env.CC ?? 'cc';
  const built = spawnSync(cc, ['-O2', '-shared', '-fPIC', '-o', join(out, 'peer-pid.node'), join('runner', 'peer-pid.c')], { encoding: 'utf8' });
  if (built.status !== 0)
    console.log(
      `build: no dist/peer-pid.node (${built.error?.message ?? built.stderr.trim().split('\n')[0]}); runtimes use their TCP address instead of the direct socket`,
    );
}

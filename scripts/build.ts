// Bundles every entry point with esbuild. `node scripts/build.ts [--watch]`.
import * as esbuild from 'esbuild';
import { readdirSync, existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const watch = process.argv.includes('--watch');
const common: esbuild.BuildOptions = { bundle: true, sourcemap: 'linked', logLevel: 'warning', target: 'node20' };

const webviews = existsSync('webview')
  ? readdirSync('webview').filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).map((f) => join('webview', f))
  : [];

const builds: esbuild.BuildOptions[] = [
  // The runner: sidecar + CLI. ESM, dependencies resolved from node_modules at run time.
  { ...common, entryPoints: { runner: 'runner/cli.ts', 'analysis-worker': 'runner/analysis/analysis-worker.ts', 'wasi-worker': 'runner/runtimes/wasi/worker.ts' }, outdir: 'dist', platform: 'node', format: 'esm',
    packages: 'external', banner: { js: '#!/usr/bin/env -S node --max-semi-space-size=1' },
    // Heavy, rarely used parts (TypeScript analysis, the AWS SDK, jco) load in their own chunks, on demand.
    splitting: true, chunkNames: 'chunks/[name]-[hash]' },
  // The Node runtime client runs inside each function's process: self-contained, CommonJS, no dependencies.
  { ...common, entryPoints: { 'node-runtime': 'runner/runtimes/node/client.ts' }, outdir: 'dist', outExtension: { '.js': '.cjs' },
    platform: 'node', format: 'cjs' },
  // The extension: CommonJS for the extension host. Its dependencies load from node_modules (as the runner's do):
  // a smaller bundle parses faster, and activation must stay cheap.
  { ...common, entryPoints: { extension: 'extension/extension.ts' }, outdir: 'dist', outExtension: { '.js': '.cjs' },
    platform: 'node', format: 'cjs', external: ['vscode', 'undici', 'zod', 'yaml'] },
];
if (webviews.length) {
  builds.push({ ...common, entryPoints: webviews, outdir: 'dist/webview', platform: 'browser', format: 'iife', target: 'es2022' });
}

const present = builds.filter((b) => Object.values(b.entryPoints as Record<string, string> | string[]).every((p) => existsSync(p)));
if (!watch) rmSync('dist', { recursive: true, force: true });
if (watch) {
  for (const b of present) await (await esbuild.context(b)).watch();
  console.log('watching...');
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
}

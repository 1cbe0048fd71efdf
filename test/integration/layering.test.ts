// The layering is checked, not a habit: planted files (test/fixtures/layering/) that break it fail. The runner importing
// 'vscode' fails the runner's typecheck (runner/tsconfig.json) and the linter; a webview importing 'vscode' fails the
// webview's typecheck, and one importing a Node built-in fails the browser build and the linter (biome.json). Node's
// globals (process, Buffer) and built-ins fail the webview's typecheck too (webview/tsconfig.json has no Node types).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { ROOT, removeTemps, tempDir } from './support/runner.ts';

const PLANTED = join(ROOT, 'test', 'fixtures', 'layering');
const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);
process.on('exit', removeTemps);

function typecheck(config: string) {
  return spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(PLANTED, config), '--noEmit'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
}

test("the runner importing 'vscode' fails the runner's typecheck", () => {
  const out = typecheck('runner.tsconfig.json');
  assert.notEqual(out.status, 0);
  assert.match(out.stdout, /runner-imports-vscode\.ts\(4,\d+\): error TS2339: Property 'window' does not exist on type 'typeof import\(".*runner\/no-vscode"/);
});

test("a webview importing 'vscode' fails the webview's typecheck", () => {
  const out = typecheck('webview.tsconfig.json');
  assert.notEqual(out.status, 0);
  assert.match(out.stdout, /webview-imports-vscode\.ts\(2,\d+\): error TS2305: Module '"vscode"' has no exported member 'window'/);
});

test("a webview reading Node's globals (process.env, Buffer) or importing a built-in fails the webview's typecheck", () => {
  const out = typecheck('webview-node.tsconfig.json');
  assert.notEqual(out.status, 0);
  assert.match(out.stdout, /webview-reads-node-global\.ts\(3,\d+\): error TS2591: Cannot find name 'process'/);
  assert.match(out.stdout, /webview-reads-node-global\.ts\(4,\d+\): error TS2591: Cannot find name 'Buffer'/);
  assert.match(out.stdout, /webview-imports-node\.ts\(2,\d+\): error TS2591: Cannot find name 'node:fs'/);
});

test('the webviews themselves, and the shared files they name, typecheck without Node', () => {
  const out = spawnSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(ROOT, 'webview', 'tsconfig.json'), '--noEmit'], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(out.status, 0, out.stdout + out.stderr);
});

test('a webview importing a Node built-in fails the browser build', async () => {
  // The webviews' build (scripts/build.ts): bundled for the browser.
  await assert.rejects(
    esbuild.build({
      entryPoints: [join(PLANTED, 'webview-imports-node.ts')],
      bundle: true,
      platform: 'browser',
      format: 'iife',
      write: false,
      logLevel: 'silent',
    }),
    (err: { errors?: Array<{ text: string }> }) => /Could not resolve "node:fs"/.test(err.errors?.[0]?.text ?? ''),
  );
});

test('the linter refuses both, with the reason', () => {
  const biome = process.env.BIOME ?? bin('biome');
  assert.ok(existsSync(biome), `${biome} is missing: npm install (the devDependency @biomejs/biome), or set BIOME`);
  // The project's own biome.json, over a copy laid out as the repo is.
  const dir = tempDir('layering-lint');
  copyFileSync(join(ROOT, 'biome.json'), join(dir, 'biome.json'));
  for (const side of ['runner', 'webview']) mkdirSync(join(dir, side));
  copyFileSync(join(PLANTED, 'runner-imports-vscode.ts'), join(dir, 'runner', 'planted.ts'));
  copyFileSync(join(PLANTED, 'webview-imports-node.ts'), join(dir, 'webview', 'planted.ts'));
  const out = spawnSync(biome, ['lint', '.'], { cwd: dir, encoding: 'utf8' });
  assert.equal(out.status, 1, out.stdout + out.stderr);
  const said = out.stdout + out.stderr;
  assert.match(said, /runner\/planted\.ts:2:\d+ lint\/style\/noRestrictedImports[\s\S]*The runner never imports vscode/);
  assert.match(said, /webview\/planted\.ts:2:\d+ lint\/style\/noRestrictedImports[\s\S]*no Node built-ins/);
});

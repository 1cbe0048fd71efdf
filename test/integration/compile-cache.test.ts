// The runner compiles TypeScript handlers into its own cache, not into the user's folders (issue 14: invoking a
// TypeScript function left `node_modules/.cache/open-runtime` in the project, and created a node_modules folder in
// a function that had none). The handler's packages still resolve from where the source is, as Node would resolve
// them there: its own node_modules, an ancestor's (a monorepo's hoisted packages), for `import` and `require` alike.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, FIXTURE_PATH, removeTemps, tempDir, writeTemplate } from './support/runner.ts';

test.after(removeTemps);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

function write(root: string, files: Record<string, string>): void {
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), text);
  }
}

function invoke(template: string, name: string, env: Record<string, string>): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'invoke', name, '--template', template],
      { encoding: 'utf8', env: { ...process.env, PATH: FIXTURE_PATH, ...env }, timeout: 30_000 },
      (err, stdout, stderr) =>
        err && typeof err.code !== 'number' ? reject(err) : resolve({ stdout, stderr, code: typeof err?.code === 'number' ? err.code : 0 }),
    );
  });
}

test('a TypeScript handler runs with its packages (own, hoisted, ESM-only, CommonJS) and leaves nothing in the project', async () => {
  const dir = tempDir('compile-cache');
  const project = join(dir, 'project');
  const cache = join(dir, 'cache');
  write(project, {
    // A hoisted package in the project root's node_modules (an ES module with "exports"), and one in the function's own.
    'node_modules/hoisted-esm/package.json': JSON.stringify({ name: 'hoisted-esm', type: 'module', exports: { import: './index.js' } }),
    'node_modules/hoisted-esm/index.js': "export const where = 'hoisted';\n",
    'functions/api/node_modules/own-cjs/package.json': JSON.stringify({ name: 'own-cjs', main: 'index.js' }),
    'functions/api/node_modules/own-cjs/index.js': "exports.where = 'own';\nexports.shared = require('./state.js');\n",
    'functions/api/node_modules/own-cjs/state.js': 'module.exports = { count: 0 };\n',
    'functions/api/lib/greet.ts': 'export const greet = (name: string): string => `hello ${name}`;\n',
    'functions/api/app.ts': [
      "import { where as hoisted } from 'hoisted-esm';",
      "import own from 'own-cjs';",
      "import { greet } from './lib/greet.ts';",
      // require() resolves from the source too, and gives the same module instance as the import.
      "const again = require('own-cjs');",
      'export const handler = async () => ({ hoisted, own: own.where, same: again.shared === own.shared, greeting: greet("ada") });',
      '',
    ].join('\n'),
  });
  const before = filesUnder(project);
  const template = writeTemplate(dir, [{ name: 'Api', codeUri: join(project, 'functions', 'api'), runtime: 'nodejs24.x', handler: 'app.handler' }]);
  const { stdout, stderr, code } = await invoke(template, 'Api', { OPEN_RUNTIME_CACHE_DIR: cache });
  assert.equal(code, 0, stderr);
  assert.deepEqual(JSON.parse(stdout), { hoisted: 'hoisted', own: 'own', same: true, greeting: 'hello ada' });
  assert.deepEqual(filesUnder(project), before, 'the invoke wrote into the project');
  assert.ok(existsSync(join(cache, 'typescript')), `no compiled output in the cache: ${filesUnder(cache).join(', ')}`);
});

test('a TypeScript function with no node_modules of its own gets none created', async () => {
  const dir = tempDir('compile-cache');
  const code = join(dir, 'hello');
  write(code, { 'app.ts': "export const handler = async (event: { name?: string }) => `hi ${event.name ?? 'there'}`;\n" });
  const template = writeTemplate(dir, [{ name: 'Hello', codeUri: code, runtime: 'nodejs24.x', handler: 'app.handler' }]);
  const result = await invoke(template, 'Hello', { OPEN_RUNTIME_CACHE_DIR: join(dir, 'cache') });
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim(), '"hi there"');
  assert.deepEqual(readdirSync(code), ['app.ts']);
});

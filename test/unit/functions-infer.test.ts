// A lone handler file runs without a template: runtime from the extension, code folder from the nearest
// project marker within the workspace, Lambda's handler string, a name from the file.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inferFunction } from '../../runner/functions/infer.ts';
import { resolveHandlerSource } from '../../runner/functions/discover.ts';

let root: string;
let workspace: string;

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

before(() => {
  root = mkdtempSync(join(tmpdir(), 'open-runtime-infer-'));
  // A package.json above the workspace must not be picked: the search stops at the workspace folder.
  write(join(root, 'package.json'), '{"name":"outside"}');
  workspace = join(root, 'ws');
  write(join(workspace, 'api', 'package.json'), '{"name":"api","type":"module"}');
  write(
    join(workspace, 'api', 'src', 'handlers', 'user.ts'),
    '// users\nimport type { Context } from "aws-lambda";\n\nexport const handler = async () => ({ ok: true });\nexport async function create(event: unknown) {\n  return event;\n}\n',
  );
  write(join(workspace, 'api', 'src', 'legacy.cjs'), 'exports.handler = (event, context, callback) => callback(null, 1);\n');
  write(join(workspace, 'api', 'src', 'esm.mjs'), 'export const handler = async () => 1;\n');
  write(join(workspace, 'api', 'src', 'types.mts'), 'export const handler = async (): Promise<number> => 1;\n');
  write(join(workspace, 'py', 'requirements.txt'), 'requests\n');
  write(join(workspace, 'py', 'package.json'), '{}'); // tooling; the Python root is still where requirements.txt is
  write(join(workspace, 'py', 'jobs', 'nightly.py'), 'import logging\n\n\ndef handler(event, context):\n    return event\n');
  write(join(workspace, 'loose', 'my handler!.js'), 'module.exports.handler = async () => 1;\n');
  write(join(workspace, 'loose', 'app.test.ts'), 'export const handler = async () => 1;\n');
  write(join(workspace, 'loose', 'main.go'), 'package main\n');
  write(join(workspace, 'shell', 'bootstrap'), '#!/bin/sh\n');
  chmodSync(join(workspace, 'shell', 'bootstrap'), 0o755);
});

after(() => rmSync(root, { recursive: true, force: true }));

test('a TypeScript handler in a package gets the package as its code folder', () => {
  const file = join(workspace, 'api', 'src', 'handlers', 'user.ts');
  const fn = inferFunction(file, { workspaceDir: workspace });
  assert.equal(fn.name, 'user');
  assert.equal(fn.runtime, 'nodejs22.x');
  assert.equal(fn.codeUri, join(workspace, 'api'));
  assert.equal(fn.handler, 'src/handlers/user.handler');
  assert.deepEqual(fn.source, { file, line: 4 });
  // Defaults of the one model.
  assert.deepEqual([fn.memorySize, fn.timeout, fn.architecture, fn.environment], [128, 3, 'x86_64', {}]);
  // The handler string leads back to the same file.
  assert.equal(resolveHandlerSource(fn), file);
});

test('another export is named in the handler and the function name', () => {
  const file = join(workspace, 'api', 'src', 'handlers', 'user.ts');
  const fn = inferFunction(file, { workspaceDir: workspace, exportName: 'create' });
  assert.equal(fn.name, 'user-create');
  assert.equal(fn.handler, 'src/handlers/user.create');
  assert.equal(fn.source?.line, 5);
});

test('every Node extension infers the Node runtime', () => {
  for (const name of ['legacy.cjs', 'esm.mjs', 'types.mts']) {
    const file = join(workspace, 'api', 'src', name);
    const fn = inferFunction(file, { workspaceDir: workspace });
    assert.equal(fn.runtime, 'nodejs22.x', name);
    assert.equal(fn.handler, `src/${name.split('.')[0]}.handler`, name);
    assert.equal(resolveHandlerSource(fn), file, name);
    assert.equal(fn.source?.line, 1, name);
  }
});

test('a Python handler takes its root from requirements.txt, not package.json', () => {
  const file = join(workspace, 'py', 'jobs', 'nightly.py');
  const fn = inferFunction(file, { workspaceDir: workspace });
  assert.equal(fn.runtime, 'python3.12');
  assert.equal(fn.codeUri, join(workspace, 'py'));
  assert.equal(fn.handler, 'jobs/nightly.handler');
  assert.equal(fn.name, 'nightly');
  assert.equal(fn.source?.line, 4);
  assert.equal(resolveHandlerSource(fn), file);
});

test("without a marker inside the workspace the file's own folder is the code folder", () => {
  const file = join(workspace, 'loose', 'my handler!.js');
  const fn = inferFunction(file, { workspaceDir: workspace });
  assert.equal(fn.codeUri, join(workspace, 'loose')); // not root/, whose package.json is outside the workspace
  assert.equal(fn.handler, 'my handler!.handler');
  assert.equal(fn.name, 'my-handler'); // sanitized to what a function name allows
});

test("without a workspace the file's folder is used, and a relative path is read from the workspace", () => {
  const file = join(workspace, 'api', 'src', 'esm.mjs');
  assert.equal(inferFunction(file).codeUri, join(workspace, 'api', 'src'));
  assert.equal(inferFunction('api/src/esm.mjs', { workspaceDir: workspace }).codeUri, join(workspace, 'api'));
});

test('an executable named bootstrap is a custom runtime named after its folder', () => {
  const fn = inferFunction(join(workspace, 'shell', 'bootstrap'), { workspaceDir: workspace });
  assert.deepEqual([fn.name, fn.runtime, fn.handler, fn.codeUri], ['shell', 'provided.al2023', '', join(workspace, 'shell')]);
});

test('files that cannot be run this way are refused with a sentence saying what to do', () => {
  assert.throws(() => inferFunction(join(workspace, 'loose', 'main.go'), { workspaceDir: workspace }), {
    message:
      /^Open Runtime can't tell how to run main\.go: without a template it runs \.ts, \.mts, \.cts, \.js, \.mjs, \.cjs and \.py handlers, and executables named bootstrap\. Add the function to a template\.yaml/,
  });
  assert.throws(() => inferFunction(join(workspace, 'loose', 'app.test.ts'), { workspaceDir: workspace }), {
    message:
      /^app\.test\.ts has a dot in its name, which Lambda's "file\.export" handler format can't express\. Rename the file \(for example to app-test\.ts\)\.$/,
  });
  assert.throws(() => inferFunction(join(workspace, 'nope.ts'), { workspaceDir: workspace }), {
    message: /nope\.ts doesn't exist, so there is no handler to run\. Check the path\.$/,
  });
  assert.throws(() => inferFunction(join(workspace, 'api'), { workspaceDir: workspace }), { message: /api is a folder; pick the handler file inside it\.$/ });
  assert.throws(() => inferFunction(join(workspace, 'api', 'src', 'esm.mjs'), { workspaceDir: workspace, exportName: 'not-a-name' }), {
    message: /^"not-a-name" is not a name a handler can be exported as/,
  });
});

// The CLI's Node check (runner/node-version.ts) and package.json's engines.node say the same thing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MIN_NODE_MAJOR, nodeVersionProblem } from '../../runner/node-version.ts';

test('Node 20 and older get one sentence naming the version, the binary and what to install', () => {
  for (const version of ['20.20.2', '18.19.0', '21.7.3']) {
    const problem = nodeVersionProblem(version, '/usr/bin/node');
    assert.ok(problem);
    assert.match(problem, new RegExp(`needs Node\\.js ${MIN_NODE_MAJOR} or newer; this is Node\\.js ${version.replace(/\./g, '\\.')} \\(/usr/bin/node\\)`));
    assert.match(problem, /npm install -g node@24/);
  }
});

test('Node 22, 24 and later will do', () => {
  for (const version of ['22.0.0', '22.23.3', '24.21.0', '26.1.0']) assert.equal(nodeVersionProblem(version, 'node'), undefined);
});

test("package.json's engines.node is the same minimum", () => {
  const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
  assert.equal(manifest.engines.node, `>=${MIN_NODE_MAJOR}`);
});

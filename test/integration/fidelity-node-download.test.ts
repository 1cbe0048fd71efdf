// Node on demand: a nodejsNN.x function whose Node NN is nowhere on this machine runs on Node NN installed from the
// npm registry (node-<platform>-<arch>@NN, integrity-checked, into the user cache), once per major; opted out or
// offline, it runs on the Node there is and its notice says why. PURPOSE OF THE FIRST TEST: it is the one test in
// the suite that really downloads (about 50 MB from the npm registry, which this machine reaches), into a temporary
// cache (XDG_CACHE_HOME); every other test runs with OPEN_RUNTIME_NO_NODE_DOWNLOAD=1 (support/runner.ts).
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, FIXTURE_PATH, freePort, removeTemps, tempDir, writeTemplate } from './support/runner.ts';

after(removeTemps);

/** A major no Node on this machine has (PATH, the runner's own, the project's node_modules): 22, else 18. */
const MISSING = ['22', '18'].find((major) => {
  const found = [...(process.env.PATH ?? '').split(':').map((dir) => join(dir, 'node')), process.execPath].some((node) => {
    try {
      return existsSync(node) && execFileSync(node, ['-p', 'process.versions.node'], { encoding: 'utf8' }).startsWith(`${major}.`);
    } catch {
      return false;
    }
  });
  return !found;
});

function versionFunction(name: string): string {
  const dir = tempDir(`node-download-${name}`);
  const code = join(dir, 'code');
  mkdirSync(code);
  writeFileSync(join(code, 'app.mjs'), 'export const handler = async () => ({ version: process.version, execPath: process.execPath });\n');
  return writeTemplate(dir, [{ name, codeUri: code, runtime: `nodejs${MISSING}.x`, handler: 'app.handler' }]);
}

function invoke(name: string, template: string, env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  const { OPEN_RUNTIME_NO_NODE_DOWNLOAD: _, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'invoke', name, '--template', template],
      { encoding: 'utf8', timeout: 600_000, env: { ...inherited, PATH: FIXTURE_PATH, OPEN_RUNTIME_CACHE_DIR: '', ...env } },
      (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test(`nodejs${MISSING}.x without Node ${MISSING} here: Node ${MISSING} is installed from the npm registry with progress, then reused`, {
  skip: MISSING ? false : 'every candidate major is on this machine',
  timeout: 600_000,
}, async () => {
  const cache = tempDir('node-cache');
  const template = versionFunction('Downloaded');
  const first = await invoke('Downloaded', template, { XDG_CACHE_HOME: cache });
  assert.equal(first.code, 0, first.stderr);
  const answer = JSON.parse(first.stdout);
  assert.match(answer.version, new RegExp(`^v${MISSING}\\.`));
  assert.ok(answer.execPath.startsWith(join(cache, 'open-runtime', 'node')), answer.execPath);
  assert.match(
    first.stderr,
    new RegExp(`open-runtime: Downloading node-${process.platform}-${process.arch}@${MISSING}\\.\\d+\\.\\d+ from the npm registry \\(\\d+\\.\\d MB\\)`),
  );
  assert.match(first.stderr, /open-runtime: Downloading .*: \d+\.\d MB of \d+\.\d MB/);
  assert.match(first.stderr, new RegExp(`NOTICE nodejs${MISSING}\\.x runs on Node ${MISSING}\\.\\d+\\.\\d+ from ${cache}`));
  assert.deepEqual(
    readdirSync(join(cache, 'open-runtime', 'node')).filter((e) => e.endsWith('.partial') || e.endsWith('.tgz')),
    [],
    'no partial download left',
  );

  // Once per major: the next start, even with the registry unreachable, uses the installed one.
  const again = await invoke('Downloaded', template, { XDG_CACHE_HOME: cache, npm_config_registry: `http://127.0.0.1:${await freePort()}/` });
  assert.equal(again.code, 0, again.stderr);
  assert.equal(JSON.parse(again.stdout).version, answer.version);
  assert.doesNotMatch(again.stderr, /Downloading/);
});

test('OPEN_RUNTIME_NO_NODE_DOWNLOAD=1: nothing is downloaded, the function runs on the Node there is, and the notice says why', {
  skip: !MISSING,
}, async () => {
  const cache = tempDir('node-cache-off');
  const result = await invoke('OptedOut', versionFunction('OptedOut'), { XDG_CACHE_HOME: cache, OPEN_RUNTIME_NO_NODE_DOWNLOAD: '1' });
  assert.equal(result.code, 0, result.stderr);
  assert.doesNotMatch(JSON.parse(result.stdout).version, new RegExp(`^v${MISSING}\\.`));
  assert.match(
    result.stderr,
    new RegExp(
      `NOTICE nodejs${MISSING}\\.x: no Node ${MISSING} found .* it was not installed from the npm registry: OPEN_RUNTIME_NO_NODE_DOWNLOAD=1 turns downloading it off; running on Node`,
    ),
  );
  assert.ok(!existsSync(join(cache, 'open-runtime', 'node')));
});

test('offline (the registry unreachable): the function runs on the Node there is, and the notice says the registry could not be reached', {
  skip: !MISSING,
}, async () => {
  const cache = tempDir('node-cache-offline');
  const registry = `http://127.0.0.1:${await freePort()}/`;
  const result = await invoke('Offline', versionFunction('Offline'), { XDG_CACHE_HOME: cache, npm_config_registry: registry });
  assert.equal(result.code, 0, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `no Node ${MISSING} found .* it was not installed from the npm registry: the npm registry ${registry.replace(/[/.]/g, '\\$&')} could not be reached \\(.*ECONNREFUSED`,
    ),
  );
});

// The Node versions package.json's engines.node claims (>=22) are the ones tested: the built CLI on Node 22 and on
// the project's Node 24 invokes a TypeScript function and one behind the QuickJS component middleware
// (HelloWasmGuarded, which Node 20's WebAssembly cannot compile: no extended-const); on Node 20 it stops at once with
// one sentence saying what to install. Node 20 and 22 are real binaries from the npm registry (node-<platform>-<arch>,
// the runner's own downloader, runtimes/node-download.ts), kept in the user cache after the first run.
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { cachedNode, downloadNode } from '../../runner/runtimes/node-download.ts';
import { buildMiddlewareComponent, exampleMiddlewares } from '../../examples/middlewares/components/build.ts';
import { CLI, ROOT, assertBuilt, removeTemps, tempDir } from './support/runner.ts';

const EXAMPLES = join(ROOT, 'examples');
const nodes = new Map<string, string>();

async function nodeBinary(major: string): Promise<string> {
  const cached = cachedNode(major);
  if (cached) return cached.path;
  const got = await downloadNode(major, () => {});
  assert.ok('path' in got, `Node ${major} from the npm registry: ${'problem' in got ? got.problem : ''}`);
  return got.path;
}

before(async () => {
  assertBuilt();
  delete process.env.OPEN_RUNTIME_NO_NODE_DOWNLOAD;
  for (const major of ['20', '22']) nodes.set(major, await nodeBinary(major));
  nodes.set('24', process.execPath);
  for (const example of exampleMiddlewares()) if (example.output.endsWith('http-guard.wasm')) await buildMiddlewareComponent(example);
});
process.on('exit', removeTemps);

function cli(node: string, args: string[]) {
  return spawnSync(node, [CLI, ...args], {
    cwd: EXAMPLES,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, OPEN_RUNTIME_CACHE_DIR: tempDir('node-versions-cache'), OPEN_RUNTIME_NO_NODE_DOWNLOAD: '1', OPEN_RUNTIME_NO_SDK_DOWNLOAD: '1' },
  });
}

describe('the CLI on each Node it claims', () => {
  for (const major of ['22', '24']) {
    it(`Node ${major}: invokes a TypeScript function, and one behind the QuickJS component middleware`, () => {
      const node = nodes.get(major)!;
      assert.equal(spawnSync(node, ['-p', 'process.versions.node.split(".")[0]'], { encoding: 'utf8' }).stdout.trim(), major);
      const ts = cli(node, ['invoke', 'HelloTs', '--event', 'events/hello-query.json']);
      assert.equal(ts.status, 0, ts.stderr);
      assert.equal(JSON.parse(JSON.parse(ts.stdout).body).message, 'Hello, Ada!');
      const guarded = cli(node, ['invoke', 'HelloWasmGuarded', '--event', 'events/hello-query.json']);
      assert.equal(guarded.status, 0, guarded.stdout + guarded.stderr);
      const reply = JSON.parse(guarded.stdout);
      assert.equal(reply.headers['x-content-type-options'], 'nosniff', guarded.stdout);
      assert.match(guarded.stderr, /MIDDLEWARE http-guard after/);
    });
  }

  it('Node 20: stops before doing anything, with what to install', () => {
    const out = cli(nodes.get('20')!, ['invoke', 'HelloTs', '--event', 'events/hello-query.json']);
    assert.equal(out.status, 2);
    assert.equal(out.stdout, '');
    assert.match(out.stderr, /^open-runtime needs Node\.js 22 or newer; this is Node\.js 20\.\d+\.\d+ \(.+\).*npm install -g node@24/);
    assert.equal(out.stderr.trim().split('\n').length, 1, 'one sentence, no stack trace');
  });
});

// `npm run package` (scripts/package.ts) makes one .vsix per platform: each within the size budget, with its own
// esbuild / oxc-minify / jco-node-fs binaries and no other platform's, the machine-built addons only on linux-x64.
// Then the linux-x64 package's runner, unpacked as VS Code installs it, runs the examples: a TypeScript handler
// (esbuild's binary from the package), the cloudevents middleware (a CommonJS package bundled into a chunk), the
// chain analysis (TypeScript from the package, with its lib files).
import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, removeTemps, tempDir } from './support/runner.ts';
import { TARGETS, checkTarget, listEntries } from '../../scripts/package.ts';

interface Made {
  target: string;
  file: string;
  megabytes: number;
  files: number;
  withinBudget: boolean;
  problems: string[];
}
const made = new Map<string, Made>();
let unpacked: string;

before(() => {
  const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'package.ts')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  for (const line of run.stdout.split('\n')) if (line.startsWith('{')) made.set(JSON.parse(line).target, JSON.parse(line));
  assert.equal(run.status, 0, `npm run package failed:\n${run.stdout}\n${run.stderr}`);
  unpacked = tempDir('package');
  const unzip = spawnSync('unzip', ['-q', join(ROOT, made.get('linux-x64')!.file), '-d', unpacked], { encoding: 'utf8' });
  assert.equal(unzip.status, 0, unzip.stderr);
});
process.on('exit', removeTemps);

describe('npm run package', () => {
  it('makes one .vsix per target, each within the budget and with only its own binaries', () => {
    assert.deepEqual([...made.keys()].sort(), Object.keys(TARGETS).sort());
    for (const m of made.values()) {
      assert.ok(m.withinBudget && m.megabytes < 15, `${m.target}: ${m.megabytes} MB`);
      assert.deepEqual(m.problems, [], m.target);
      const entries = listEntries(join(ROOT, m.file));
      assert.equal(entries.length, m.files);
      assert.deepEqual(checkTarget(m.target, entries), []);
      assert.ok(statSync(join(ROOT, m.file)).size < 15 * 1024 * 1024);
    }
    const linux = listEntries(join(ROOT, made.get('linux-x64')!.file));
    const windows = listEntries(join(ROOT, made.get('win32-x64')!.file));
    const mac = listEntries(join(ROOT, made.get('darwin-arm64')!.file));
    assert.ok(linux.includes('extension/dist/node_modules/@esbuild/linux-x64/bin/esbuild'));
    assert.ok(linux.includes('extension/dist/malloc-trim.node'));
    assert.ok(windows.includes('extension/dist/node_modules/@esbuild/win32-x64/esbuild.exe'));
    assert.ok(mac.includes('extension/dist/node_modules/@esbuild/darwin-arm64/bin/esbuild'));
    for (const other of [windows, mac]) {
      assert.ok(
        !other.some((f) => f.includes('linux-x64') || (f.endsWith('.node') && !f.includes('/node_modules/'))),
        'no Linux binary outside Linux packages',
      );
    }
    for (const entries of [linux, windows, mac]) {
      assert.ok(!entries.some((f) => f.startsWith('extension/node_modules/') || f.endsWith('.map') || f.includes('binaryen')));
      assert.ok(entries.includes('extension/LICENSE.txt') && entries.includes('extension/images/icon.png'));
    }
  });

  it("the linux-x64 package's runner invokes a TypeScript handler with its own esbuild", () => {
    const runner = join(unpacked, 'extension', 'dist', 'runner.js');
    assert.ok(existsSync(runner));
    const out = invoke(runner, 'HelloTs', 'events/hello-query.json');
    assert.equal(out.status, 0, out.stderr);
    assert.equal(JSON.parse(JSON.parse(out.stdout).body).message, 'Hello, Ada!');
  });

  it("the linux-x64 package's runner runs the bundled cloudevents middleware", () => {
    const out = invoke(join(unpacked, 'extension', 'dist', 'runner.js'), 'OrdersCloudEvents', 'events/hello-query.json');
    assert.equal(out.status, 0, out.stderr);
    assert.equal(JSON.parse(JSON.parse(out.stdout).body).type, 'com.amazonaws.apigateway.request');
  });

  it("the linux-x64 package's runner says how to get aws-lambda-ric, which it does not carry", () => {
    const dir = tempDir('package-ric');
    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => "hi";\n');
    writeFileSync(
      join(dir, 'template.yaml'),
      [
        'Resources:',
        '  Ric:',
        '    Type: AWS::Serverless::Function',
        '    Metadata: { OpenRuntime: { runtimeClient: aws-lambda-ric } }',
        '    Properties: { Runtime: nodejs22.x, Handler: index.handler, CodeUri: . }',
        '',
      ].join('\n'),
    );
    const out = invoke(join(unpacked, 'extension', 'dist', 'runner.js'), 'Ric', '-', dir);
    const reply = JSON.parse(out.stdout);
    assert.equal(reply.errorType, 'Runtime.InvalidEntrypoint', out.stdout + out.stderr);
    assert.match(reply.errorMessage, /npm install --save-dev aws-lambda-ric@4\.0\.2/);
  });

  it("the linux-x64 package's runner analyses a Middy chain with its own TypeScript", () => {
    const out = spawnSync(process.execPath, [join(unpacked, 'extension', 'dist', 'runner.js'), 'chain', 'functions/middy-ts/app.ts'], {
      cwd: join(ROOT, 'examples'),
      encoding: 'utf8',
      timeout: 120_000,
    });
    assert.equal(out.status, 0, out.stderr);
    const chains = JSON.parse(out.stdout).chains as Array<{ name: string }>;
    assert.ok(
      chains.some((c) => c.name === 'handler'),
      out.stdout,
    );
  });
});

function invoke(runner: string, name: string, event: string, cwd = join(ROOT, 'examples')) {
  return spawnSync(process.execPath, [runner, 'invoke', name, '--event', event], {
    cwd,
    encoding: 'utf8',
    timeout: 120_000,
    input: '{}',
    env: { ...process.env, OPEN_RUNTIME_CACHE_DIR: tempDir('package-cache'), OPEN_RUNTIME_NO_SDK_DOWNLOAD: '1', OPEN_RUNTIME_NO_NODE_DOWNLOAD: '1' },
  });
}

// Builds with the real toolchains: the Go example cross-compiled for both architectures (Debian golang-go) and
// checked by the ELF machine in each bootstrap; the arm64 one run by the real runner under qemu-aarch64-static;
// the Node example's native dependency packaged for arm64 on this machine; Rust with cargo (and the message when
// a target's standard library is missing); Python requirements that no index has; a Go compile error.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildFunction, type BuildResult } from '../../runner/build/build-function.ts';
import { builtPackageFor } from '../../runner/build/built-package.ts';
import { readZip } from '../../runner/build/zip.ts';
import { discoverFunctions } from '../../runner/functions/discover.ts';
import { parseFunction, type FunctionSpec } from '../../runner/functions/model.ts';
import { FIXTURES, ROOT, removeTemps, startRunner, tempDir, type Runner } from './support/runner.ts';

const EXAMPLES = join(ROOT, 'examples');
const BUILD_FIXTURES = join(FIXTURES, 'build');

/** e_machine read straight from the file's header bytes 18-19 (little-endian), independently of runner/build/elf.ts. */
function machineOf(bytes: Uint8Array): number {
  assert.deepEqual([...bytes.subarray(0, 4)], [0x7f, 0x45, 0x4c, 0x46], 'an ELF file');
  return bytes[18]! | (bytes[19]! << 8);
}

let examples: FunctionSpec[];
const example = (name: string) => {
  const fn = examples.find((f) => f.name === name);
  assert.ok(fn, `examples/template.yaml defines ${name}`);
  return fn;
};

before(async () => {
  examples = (await discoverFunctions(EXAMPLES)).functions;
});
after(removeTemps);

describe('the Go example', () => {
  const workspace = tempDir('build-go');
  const builds: Partial<Record<'arm64' | 'x86_64', BuildResult>> = {};
  let runner: Runner | undefined;

  before(async () => {
    builds.arm64 = await buildFunction(example('GoHello'), 'arm64', { workspace });
    builds.x86_64 = await buildFunction(example('GoHello'), 'x86_64', { workspace });
  });
  after(async () => {
    await runner?.stop();
  });

  test('builds a bootstrap for each architecture, with the ELF machine asked for', () => {
    for (const [arch, machine] of [
      ['arm64', 183],
      ['x86_64', 62],
    ] as const) {
      const result = builds[arch]!;
      assert.equal(result.zipPath, join(workspace, '.open-runtime', 'build', 'GoHello', arch, 'function.zip'));
      const entries = readZip(readFileSync(result.zipPath));
      assert.deepEqual(
        entries.map((e) => e.name),
        ['bootstrap'],
      );
      assert.equal(machineOf(entries[0]!.read()), machine, `${arch} bootstrap machine`);
      // The real zip tool agrees the bootstrap is executable.
      const info = spawnSync('zipinfo', [result.zipPath], { encoding: 'utf8' });
      assert.match(info.stdout, /-rwxr-xr-x .* bootstrap/);
      assert.ok(result.zippedSize < 52_428_800 && result.unzippedSize < 262_144_000);
    }
    assert.notEqual(builds.arm64!.codeSha256, builds.x86_64!.codeSha256);
  });

  test('the arm64 build answers through the runner under qemu-aarch64-static', async () => {
    assert.ok(spawnSync('qemu-aarch64-static', ['--version']).status === 0, 'qemu-aarch64-static is installed (Debian qemu-user-static)');
    const dir = tempDir('go-arm64');
    const template = join(dir, 'template.yaml');
    writeFileSync(
      template,
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  GoArm:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        `      CodeUri: ${JSON.stringify(builds.arm64!.packageDir)}`,
        '      Handler: bootstrap',
        '      Runtime: provided.al2023',
        '      Architectures: [arm64]',
        '      Timeout: 30',
        '',
      ].join('\n'),
    );
    runner = await startRunner(template);
    const reply = await runner.invoke('GoArm', { name: 'Ada' });
    assert.equal(reply.status, 200, reply.text);
    const body = reply.json();
    assert.equal(body.message, 'Hello, Ada!');
    assert.equal(body.architecture, 'arm64', 'runtime.GOARCH inside the process');
    assert.equal(body.functionName, 'GoArm');
    assert.equal(body.requestId, reply.headers['x-amzn-requestid']);
  });

  test('a Go or Rust function without a bootstrap runs from its latest build, and says how to build it when there is none', () => {
    const fn = example('GoHello');
    assert.deepEqual(builtPackageFor(fn, workspace)?.dir, builds.arm64!.packageDir);
    assert.throws(
      () => builtPackageFor(fn, tempDir('no-build')),
      /GoHello is a Go function and has not been built for arm64 yet\. Build it with "open-runtime build GoHello"/,
    );
    assert.equal(builtPackageFor(example('BashCurl'), workspace), undefined, 'a bootstrap script runs from its folder');
  });
});

test('the Node example packaged for arm64 holds the arm64 binary of its native dependency, and the x86_64 package runs', async () => {
  const workspace = tempDir('build-node');
  const arm = await buildFunction(example('NodeNative'), 'arm64', { workspace });
  const entries = readZip(readFileSync(arm.zipPath));
  const addons = entries.filter((e) => e.name.endsWith('.node'));
  assert.deepEqual(
    addons.map((e) => e.name),
    ['node_modules/@node-rs/crc32-linux-arm64-gnu/crc32.linux-arm64-gnu.node'],
  );
  assert.equal(machineOf(addons[0]!.read()), 183, 'the addon is arm64 code');
  assert.ok(entries.some((e) => e.name === 'index.mjs') && entries.some((e) => e.name === 'index.mjs.map'));
  assert.ok(
    entries.some((e) => e.name === 'node_modules/@node-rs/crc32/index.js'),
    'the JS part that loads the addon is shipped',
  );
  assert.match(arm.notes.join(' '), /Native dependencies for linux\/arm64: @node-rs\/crc32, @node-rs\/crc32-linux-arm64-gnu/);

  const x64 = await buildFunction(example('NodeNative'), 'x86_64', { workspace });
  assert.deepEqual(
    readZip(readFileSync(x64.zipPath))
      .filter((e) => e.name.endsWith('.node'))
      .map((e) => e.name),
    ['node_modules/@node-rs/crc32-linux-x64-gnu/crc32.linux-x64-gnu.node'],
  );
  const dir = tempDir('node-x64');
  const template = join(dir, 'template.yaml');
  writeFileSync(
    template,
    `Resources:\n  NodeNative:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ${JSON.stringify(x64.packageDir)}\n      Handler: index.handler\n      Runtime: nodejs22.x\n      Timeout: 30\n`,
  );
  const runner = await startRunner(template);
  try {
    const reply = await runner.invoke('NodeNative', { text: 'hello' });
    assert.equal(reply.status, 200, reply.text);
    // CRC-32 and CRC-32C of "hello", computed by the native addon from the package.
    assert.deepEqual(reply.json(), { text: 'hello', crc32: '3610a686', crc32c: '9a71bb4c', architecture: 'x64' });
  } finally {
    await runner.stop();
  }
});

test('a TypeScript function with Handler: index.handlers.main builds to index.mjs; the official Node runtime client runs the build and the source', async () => {
  // Lambda's Node runtime reads the module up to the first dot: the build must bundle index.ts, not look for index.handlers.ts.
  const source = join(FIXTURES, 'node', 'typescript-nested');
  const fn = parseFunction({ name: 'Nested', runtime: 'nodejs22.x', handler: 'index.handlers.main', codeUri: source }, 'test');
  const built = await buildFunction(fn, 'x86_64', { workspace: tempDir('build-ts-nested') });
  assert.deepEqual(
    readZip(readFileSync(built.zipPath))
      .map((e) => e.name)
      .sort(),
    ['index.mjs', 'index.mjs.map'],
  );
  const dir = tempDir('ts-nested-built');
  const template = join(dir, 'template.yaml');
  writeFileSync(
    template,
    [
      'Resources:',
      '  Nested:',
      '    Type: AWS::Serverless::Function',
      '    Metadata:',
      '      OpenRuntime:',
      '        runtimeClient: aws-lambda-ric',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(built.packageDir)}`,
      '      Handler: index.handlers.main',
      '      Runtime: nodejs22.x',
      // The same source compiled by the runner: its _HANDLER for aws-lambda-ric names the compiled module.
      '  NestedSource:',
      '    Type: AWS::Serverless::Function',
      '    Metadata:',
      '      OpenRuntime:',
      '        runtimeClient: aws-lambda-ric',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(source)}`,
      '      Handler: index.handlers.main',
      '      Runtime: nodejs22.x',
      '',
    ].join('\n'),
  );
  const runner = await startRunner(template);
  try {
    for (const name of ['Nested', 'NestedSource']) {
      const reply = await runner.invoke(name, { id: 'o-2' });
      assert.equal(reply.status, 200, `${name}: ${reply.text}`);
      assert.deepEqual(reply.json(), { handled: 'o-2', by: 'handlers.main' }, name);
    }
  } finally {
    await runner.stop();
  }
});

test('Rust builds with cargo for this machine, and names the missing standard library for the other architecture', async () => {
  const workspace = tempDir('build-rust');
  process.env.CARGO_TARGET_DIR = join(workspace, 'target'); // keep the fixture folder clean
  const fn = parseFunction({ name: 'RustHello', runtime: 'provided.al2023', handler: 'bootstrap', codeUri: join(BUILD_FIXTURES, 'rust-hello') }, 'test');
  const host = process.arch === 'arm64' ? 'arm64' : 'x86_64';
  const other = host === 'arm64' ? 'x86_64' : 'arm64';
  const built = await buildFunction(fn, host, { workspace });
  const bootstrap = readZip(readFileSync(built.zipPath)).find((e) => e.name === 'bootstrap');
  assert.ok(bootstrap, 'the binary is packaged as bootstrap');
  assert.equal(machineOf(bootstrap.read()), host === 'arm64' ? 183 : 62);
  const hasOtherStd = [`${other === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-musl`, `${other === 'arm64' ? 'aarch64' : 'x86_64'}-unknown-linux-gnu`].some(
    (t) => {
      const dir = spawnSync('rustc', ['--print', 'target-libdir', '--target', t], { encoding: 'utf8' }).stdout.trim();
      return existsSync(dir) && spawnSync('ls', [dir], { encoding: 'utf8' }).stdout.includes('libstd-');
    },
  );
  const cargoLambda = spawnSync('cargo', ['lambda', '--version']).status === 0;
  if (!hasOtherStd && !cargoLambda) {
    await assert.rejects(
      buildFunction(fn, other, { workspace }),
      /The Rust standard library for .*-unknown-linux-musl or .*-unknown-linux-gnu is not installed, so cargo can't build this function for .*rustup target add .*cargo-lambda/s,
    );
  } else {
    const cross = await buildFunction(fn, other, { workspace });
    assert.equal(
      machineOf(
        readZip(readFileSync(cross.zipPath))
          .find((e) => e.name === 'bootstrap')!
          .read(),
      ),
      other === 'arm64' ? 183 : 62,
    );
  }
});

test('Python: a requirement pip cannot get for the target is a clear error; the example builds with its code', async () => {
  const workspace = tempDir('build-python');
  const fn = parseFunction({ name: 'PyMissing', runtime: 'python3.12', handler: 'app.handler', codeUri: join(BUILD_FIXTURES, 'python-missing-wheel') }, 'test');
  await assert.rejects(
    buildFunction(fn, 'arm64', { workspace }),
    /pip (found no manylinux2014_aarch64 wheel for Python 3\.12|could not reach the package index).*requirements\.txt/s,
  );
  assert.equal(existsSync(join(workspace, '.open-runtime', 'build', 'PyMissing', 'arm64', 'function.zip')), false);
  const hello = await buildFunction(example('PythonHello'), 'arm64', { workspace });
  assert.deepEqual(
    readZip(readFileSync(hello.zipPath))
      .map((e) => e.name)
      .sort(),
    ['app.py', 'requirements.txt'],
  );
});

test('a Go compile error fails the build at the source line, replaces no package, and the CLI prints it for the problem matcher', async () => {
  const workspace = tempDir('build-broken');
  const codeUri = join(BUILD_FIXTURES, 'go-broken');
  const template = join(workspace, 'template.yaml');
  writeFileSync(
    template,
    `Resources:\n  Broken:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ${JSON.stringify(codeUri)}\n      Handler: bootstrap\n      Runtime: provided.al2023\n`,
  );
  // A package from an earlier good build must not survive a failed one.
  const stale = join(workspace, '.open-runtime', 'build', 'Broken', 'x86_64');
  mkdirSync(stale, { recursive: true });
  writeFileSync(join(stale, 'function.zip'), 'old');

  const { code, stderr } = runBuildVerb(['Broken', '--arch', 'x86_64', '--workspace', workspace], template);
  assert.equal(code, 1);
  assert.ok(stderr.includes(`${join(codeUri, 'main.go')}:5:2: error: undefined: undefinedFunction`), stderr);
  assert.match(
    stderr,
    new RegExp(`${template.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:1: error: Build of Broken for x86_64 failed: go build failed for Broken`),
  );
  assert.equal(existsSync(join(stale, 'function.zip')), false);
});

/** Runs the build verb in its own Node process (not yet routed in runner/cli.ts, so the process calls buildCommand itself). */
function runBuildVerb(args: string[], template: string): { code: number; stderr: string } {
  const script = [
    `import { buildCommand } from ${JSON.stringify(join(ROOT, 'runner', 'build', 'command.ts'))};`,
    `import { loadFunctionsFrom } from ${JSON.stringify(join(ROOT, 'runner', 'functions', 'discover.ts'))};`,
    `process.exitCode = await buildCommand(JSON.parse(process.argv[1]), () => loadFunctionsFrom(${JSON.stringify(template)}));`,
  ].join('\n');
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], { encoding: 'utf8' });
  return { code: out.status ?? 1, stderr: out.stderr };
}

test("the build verb takes the addresses invoke takes: a nested function's full path or FunctionName; an ambiguous logical id lists the paths", () => {
  const template = join(FIXTURES, 'projects', 'nested', 'template.yaml');
  const workspace = tempDir('build-nested');
  const build = (address: string) =>
    spawnSync(process.execPath, [join(ROOT, 'dist', 'runner.js'), 'build', address, '--arch', 'x86_64', '--template', template, '--workspace', workspace], {
      encoding: 'utf8',
      timeout: 60_000,
    });
  const zip = join(workspace, '.open-runtime', 'build', 'Orders-PlaceOrder', 'x86_64', 'function.zip');
  for (const address of ['Orders/PlaceOrder', 'place-order-dev']) {
    const run = build(address);
    assert.equal(run.status, 0, `${address}: ${run.stderr}`);
    assert.match(run.stdout, /^Orders-PlaceOrder x86_64: /);
    assert.ok(
      readZip(readFileSync(zip)).some((e) => e.name === 'app.mjs'),
      'the package holds the handler',
    );
  }
  const ambiguous = build('Record');
  assert.equal(ambiguous.status, 2);
  assert.match(
    ambiguous.stderr,
    /^open-runtime build: "Record" is the logical id of 2 functions: Orders\/Audit\/Record, Billing\/Record\. Name one by its full path/,
  );
  const unknown = build('Nope');
  assert.equal(unknown.status, 2);
  assert.match(
    unknown.stderr,
    /^open-runtime build: No function "Nope"\. Known functions: Health, Orders\/PlaceOrder, Orders\/Audit\/Record, Billing\/Record\./,
  );
});

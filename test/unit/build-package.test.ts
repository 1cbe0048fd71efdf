// Deployment packages without toolchains: zips written and read back with their Unix modes (checked against the
// real `zipinfo`), ELF machine types, the package checks (architecture, bootstrap, handler, sizes), which installed
// npm packages count as native, and the Node bundle keeping a handler's module format.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { buildFunction, PackageCheckError } from '../../runner/build/build-function.ts';
import { checkPackage, MAX_ZIPPED_BYTES } from '../../runner/build/check-package.ts';
import { readElf } from '../../runner/build/elf.ts';
import { absoluteGoLocation } from '../../runner/build/go.ts';
import { nativePackages } from '../../runner/build/node.ts';
import { absoluteRustLocation } from '../../runner/build/rust.ts';
import { readZip, writeZip } from '../../runner/build/zip.ts';
import { parseFunction } from '../../runner/functions/model.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'build');
const temps: string[] = [];
const temp = () => {
  const dir = mkdtempSync(join(tmpdir(), 'or-build-unit-'));
  temps.push(dir);
  return dir;
};
after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** The first 20 bytes of a 64-bit little-endian ELF file for `machine`, padded so it looks like a binary. */
function elf(machine: number, bits: 1 | 2 = 2): Uint8Array {
  const bytes = new Uint8Array(64);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, bits, 1, 1]);
  bytes[16] = 2; // ET_EXEC
  bytes[18] = machine & 0xff;
  bytes[19] = machine >> 8;
  return bytes;
}
const X86_64 = 62;
const AARCH64 = 183;
const text = (s: string) => new TextEncoder().encode(s);

test('a written zip keeps names, bytes and Unix modes, as zipinfo reads them too', () => {
  const zip = writeZip([
    { name: 'bootstrap', data: elf(AARCH64), mode: 0o755 },
    { name: 'lib/data.json', data: text('{"a":1}'), mode: 0o644 },
  ]);
  const entries = readZip(zip);
  assert.deepEqual(
    entries.map((e) => [e.name, (e.mode ?? 0) & 0o777, e.size]),
    [
      ['bootstrap', 0o755, 64],
      ['lib/data.json', 0o644, 7],
    ],
  );
  assert.equal(new TextDecoder().decode(entries[1]!.read()), '{"a":1}');
  const file = join(temp(), 'p.zip');
  writeFileSync(file, zip);
  const info = spawnSync('zipinfo', [file], { encoding: 'utf8' });
  assert.equal(info.status, 0, info.stderr);
  assert.match(info.stdout, /-rwxr-xr-x .* bootstrap/);
  assert.match(info.stdout, /-rw-r--r-- .* lib\/data\.json/);
  // Same files, same zip: an unchanged build keeps its CodeSha256.
  assert.deepEqual(
    writeZip([
      { name: 'lib/data.json', data: text('{"a":1}'), mode: 0o644 },
      { name: 'bootstrap', data: elf(AARCH64), mode: 0o755 },
    ]),
    zip,
  );
});

test('zips made by the zip command are read with their modes', () => {
  const dir = temp();
  writeFileSync(join(dir, 'bootstrap'), '#!/bin/sh\necho hi\n', { mode: 0o755 });
  writeFileSync(join(dir, 'notes.txt'), 'x'.repeat(5000));
  const made = spawnSync('zip', ['-q', '-r', 'out.zip', 'bootstrap', 'notes.txt'], { cwd: dir });
  assert.equal(made.status, 0);
  const entries = readZip(readFileSync(join(dir, 'out.zip')));
  const bootstrap = entries.find((e) => e.name === 'bootstrap')!;
  assert.equal((bootstrap.mode ?? 0) & 0o777, 0o755);
  assert.equal(new TextDecoder().decode(entries.find((e) => e.name === 'notes.txt')!.read()), 'x'.repeat(5000));
});

test('ELF headers name the processor', () => {
  assert.deepEqual(readElf(elf(X86_64)), { machine: 62, machineName: 'x86_64', bits: 64 });
  assert.deepEqual(readElf(elf(AARCH64)), { machine: 183, machineName: 'arm64', bits: 64 });
  assert.equal(readElf(elf(40, 1))?.machineName, 'ARM (32-bit)');
  assert.equal(readElf(text('#!/bin/sh\n')), undefined);
  // This Node binary is an ELF file for this machine.
  const head = new Uint8Array(64);
  const fd = openSync(process.execPath, 'r');
  readSync(fd, head, 0, 64, 0);
  closeSync(fd);
  const own = readElf(head);
  assert.equal(own?.machineName, process.arch === 'arm64' ? 'arm64' : 'x86_64');
});

test('the package check finds native code for the wrong processor, wherever it is', () => {
  const zip = writeZip([
    { name: 'bootstrap', data: elf(AARCH64), mode: 0o755 },
    { name: 'lib/libfoo.so', data: elf(X86_64), mode: 0o644 },
  ]);
  const arm = checkPackage(zip, { architecture: 'arm64', runtime: 'provided.al2023' });
  assert.deepEqual(
    arm.problems.map((p) => p.kind),
    ['architecture'],
  );
  assert.match(arm.problems[0]!.message, /The function is arm64, but the package holds native code for another processor: lib\/libfoo\.so \(x86_64\)/);
  const x86 = checkPackage(zip, { architecture: 'x86_64', runtime: 'provided.al2023' });
  assert.match(x86.problems[0]!.message, /bootstrap \(arm64\)/);
  assert.doesNotMatch(x86.problems[0]!.message, /libfoo/);
});

test('a custom runtime needs an executable bootstrap at the top of the package', () => {
  const notExecutable = checkPackage(writeZip([{ name: 'bootstrap', data: elf(X86_64), mode: 0o644 }]), { architecture: 'x86_64', runtime: 'provided.al2023' });
  assert.deepEqual(
    notExecutable.problems.map((p) => p.kind),
    ['bootstrap'],
  );
  assert.match(notExecutable.problems[0]!.message, /bootstrap is not executable in the package/);
  const missing = checkPackage(writeZip([{ name: 'bin/bootstrap', data: elf(X86_64), mode: 0o755 }]), { architecture: 'x86_64', runtime: 'provided.al2' });
  assert.match(missing.problems[0]!.message, /needs an executable named "bootstrap" at the top of the package; this one has bin\/bootstrap/);
  const good = checkPackage(writeZip([{ name: 'bootstrap', data: elf(X86_64), mode: 0o755 }]), { architecture: 'x86_64', runtime: 'provided.al2023' });
  assert.deepEqual(good.problems, []);
});

test('a Node or Python package must hold the handler file Lambda looks for', () => {
  const zip = writeZip([{ name: 'index.mjs', data: text('export const handler = () => 1;'), mode: 0o644 }]);
  assert.deepEqual(checkPackage(zip, { architecture: 'x86_64', runtime: 'nodejs22.x', handler: 'index.handler' }).problems, []);
  const wrong = checkPackage(zip, { architecture: 'x86_64', runtime: 'nodejs22.x', handler: 'app.handler' });
  assert.match(wrong.problems[0]!.message, /The handler is "app.handler", but the package has no app\.js or app\.mjs or app\.cjs/);
  const py = checkPackage(writeZip([{ name: 'pkg/app.py', data: text('def handler(e, c): pass'), mode: 0o644 }]), {
    architecture: 'arm64',
    runtime: 'python3.12',
    handler: 'pkg.app.handler',
  });
  assert.deepEqual(py.problems, []);
});

test('packages over 50 MB zipped are refused before anything is read', () => {
  const big = new Uint8Array(MAX_ZIPPED_BYTES + 1);
  const checked = checkPackage(big, { architecture: 'x86_64', runtime: 'nodejs22.x' });
  assert.deepEqual(
    checked.problems.map((p) => p.kind),
    ['size'],
  );
  assert.match(checked.problems[0]!.message, /50\.0 MB zipped; Lambda takes at most 50 MB/);
});

test('a file that is not a zip, or an entry that climbs out of the folder, is a format problem', () => {
  assert.match(checkPackage(text('hello'), { architecture: 'x86_64', runtime: 'nodejs22.x' }).problems[0]!.message, /not a zip file/);
  const slip = checkPackage(writeZip([{ name: '../evil.js', data: text('x'), mode: 0o644 }]), { architecture: 'x86_64', runtime: 'provided.al2023' });
  assert.ok(slip.problems.some((p) => p.kind === 'format' && /points outside the function's folder/.test(p.message)));
});

test('native npm packages, and the packages that depend on them, are left out of the bundle and shipped with what they need', () => {
  const tree = join(FIXTURES, 'native-tree', 'node_modules');
  const { external, ship } = nativePackages(tree);
  assert.deepEqual(external, ['@scope/addon', '@scope/addon-linux-arm64-gnu', 'uses-addon']);
  assert.deepEqual(
    ship.map((d) => d.slice(tree.length + 1)),
    ['@scope/addon', '@scope/addon-linux-arm64-gnu', 'helper', 'uses-addon', 'uses-addon/node_modules/nested-helper'],
  );
});

test('compiler locations become absolute file:line:col: error: lines for the problem matcher', () => {
  assert.equal(absoluteGoLocation('/src/fn', './main.go:12:3: undefined: x'), '/src/fn/main.go:12:3: error: undefined: x');
  assert.equal(absoluteGoLocation('/src/fn', 'pkg/util.go:4: syntax error'), '/src/fn/pkg/util.go:4:1: error: syntax error');
  assert.equal(absoluteGoLocation('/src/fn', '# example.com/fn'), '# example.com/fn');
  assert.equal(absoluteRustLocation('/src/fn', '  --> src/main.rs:2:5'), '  --> /src/fn/src/main.rs:2:5');
});

test('a CommonJS handler is bundled as CommonJS (index.cjs) and still exports handler', async () => {
  const workspace = temp();
  const fn = parseFunction({ name: 'Cjs', runtime: 'nodejs20.x', handler: 'index.handler', codeUri: join(FIXTURES, 'node-cjs') }, 'test');
  const result = await buildFunction(fn, 'arm64', { workspace });
  const names = readZip(readFileSync(result.zipPath))
    .map((e) => e.name)
    .sort();
  assert.deepEqual(names, ['index.cjs', 'index.cjs.map']);
  const mod = createRequire(import.meta.url)(join(result.packageDir, 'index.cjs')) as { handler: (e: unknown) => Promise<unknown> };
  assert.deepEqual(await mod.handler({ text: 'hey' }), { said: 'HEY!' });
});

test('a TypeScript ES module handler is bundled to app.mjs with a source map pointing at the .ts files', async () => {
  const workspace = temp();
  const fn = parseFunction({ name: 'Ts', runtime: 'nodejs22.x', handler: 'app.handler', codeUri: join(FIXTURES, 'node-esm-ts') }, 'test');
  const result = await buildFunction(fn, 'x86_64', { workspace });
  assert.equal(result.zipPath, join(workspace, '.open-runtime', 'build', 'Ts', 'x86_64', 'function.zip'));
  const map = JSON.parse(readFileSync(join(result.packageDir, 'app.mjs.map'), 'utf8')) as { sources: string[] };
  assert.ok(
    map.sources.some((s) => s.endsWith('greet.ts')),
    `sources: ${map.sources.join(', ')}`,
  );
  const mod = (await import(pathToFileURL(join(result.packageDir, 'app.mjs')).href)) as { handler: (e: unknown, c: unknown) => Promise<unknown> };
  assert.deepEqual(await mod.handler({ name: 'Ada' }, { functionName: 'Ts' }), { message: 'Hello, Ada!', fn: 'Ts' });
});

test('a handler that names a missing file fails the build with the fix, and leaves no package', async () => {
  const workspace = temp();
  const fn = parseFunction({ name: 'Missing', runtime: 'nodejs22.x', handler: 'nope.handler', codeUri: join(FIXTURES, 'node-cjs') }, 'test');
  await assert.rejects(buildFunction(fn, 'x86_64', { workspace }), /handler "nope.handler" names nope, but .* has no nope\.ts/);
  const provided = parseFunction({ name: 'NoBootstrap', runtime: 'provided.al2023', codeUri: join(FIXTURES, 'node-cjs') }, 'test');
  await assert.rejects(
    buildFunction(provided, 'x86_64', { workspace }),
    (err: unknown) => err instanceof PackageCheckError && /needs an executable named "bootstrap"/.test(err.message),
  );
});

test('a WASI component is packaged once for any architecture: the same zip for arm64 and x86_64', async () => {
  const codeUri = temp();
  writeFileSync(join(codeUri, 'fn.wasm'), new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00]));
  const fn = parseFunction({ name: 'Component', runtime: 'wasi', handler: 'fn.wasm', codeUri }, 'test');
  const workspace = temp();
  const arm = await buildFunction(fn, 'arm64', { workspace });
  const x86 = await buildFunction(fn, 'x86_64', { workspace });
  assert.equal(arm.architectureIndependent, true);
  assert.match(arm.notes.join(' '), /architecture-independent: the same component serves arm64 and x86_64/);
  assert.equal(arm.codeSha256, x86.codeSha256);
  assert.deepEqual(
    readZip(readFileSync(arm.zipPath)).map((e) => e.name),
    ['fn.wasm'],
  );
  const missing = parseFunction({ name: 'NoWasm', runtime: 'wasi', handler: 'absent.wasm', codeUri }, 'test');
  await assert.rejects(
    buildFunction(missing, 'arm64', { workspace }),
    /WASI component without build settings, and its Handler "absent\.wasm" is not an existing \.wasm file/,
  );
});

/** Offset of the first central directory record (PK\1\2) of a zip. */
const centralRecord = (zip: Uint8Array) => Buffer.from(zip).indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));

test('an entry is held to its declared size and CRC-32, whichever way its central directory lies', () => {
  const original = writeZip([{ name: 'app.js', data: text('exports.handler = async () => "x".repeat(100);\n'.repeat(20)), mode: 0o644 }]);
  const lie = (field: number, value: number) => {
    const zip = Buffer.from(original);
    zip.writeUInt32LE(value, centralRecord(zip) + field);
    return readZip(zip)[0]!;
  };
  const size = readZip(original)[0]!.size;
  assert.throws(() => lie(24, 10).read(), /inflates to more than the 10 bytes its central directory declares/);
  assert.throws(() => lie(24, size + 1000).read(), new RegExp(`declares ${size + 1000} bytes but holds ${size}`));
  assert.throws(() => lie(16, 0xdeadbeef).read(), /fails its CRC-32 check/);
  const stored = Buffer.from(readZip(original)[0]!.read()).toString();
  assert.match(stored, /^exports\.handler/);
});

test('an entry is inflated a slice at a time: a 64 MB entry never reaches the sink in one piece', () => {
  const zip = writeZip([{ name: 'zeros.bin', data: new Uint8Array(64 * 1_048_576), mode: 0o644 }]);
  let largest = 0;
  let total = 0;
  readZip(zip)[0]!.stream((chunk) => {
    largest = Math.max(largest, chunk.length);
    total += chunk.length;
  });
  assert.equal(total, 64 * 1_048_576);
  assert.ok(largest <= 2 * 1_048_576, `largest piece ${largest} bytes`);
});

test('a package with the same path twice, or a path that is both a file and a folder, is a format problem', () => {
  const conflict = checkPackage(
    writeZip([
      { name: 'lib', data: text('x'), mode: 0o644 },
      { name: 'lib/a.js', data: text('y'), mode: 0o644 },
    ]),
    { architecture: 'x86_64', runtime: 'nodejs22.x' },
  );
  assert.match(conflict.problems[0]!.message, /"lib" both as a file and as a folder/);
  const twice = Buffer.from(
    writeZip([
      { name: 'a.js', data: text('1'), mode: 0o644 },
      { name: 'b.js', data: text('2'), mode: 0o644 },
    ]),
  );
  for (let at = twice.indexOf('b.js'); at >= 0; at = twice.indexOf('b.js', at + 1)) twice.write('a.js', at, 'latin1');
  assert.match(checkPackage(twice, { architecture: 'x86_64', runtime: 'nodejs22.x' }).problems[0]!.message, /two entries named "a\.js"/);
});

// Build, deploy and the local control plane refuse a native binary that needs a newer glibc than the runtime's Amazon
// Linux has (issue 15: a provided.al2023 bootstrap built on Debian 12 needing GLIBC_2.36 ran locally and passed
// build's package check, then failed on Lambda at cold start with a dynamic linker error). Real binaries, compiled
// here with gcc against this machine's glibc (2.36): one calling arc4random (new in 2.36), one plain, one static.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { checkPackage } from '../../runner/build/check-package.ts';
import { neededGlibcVersions } from '../../runner/build/glibc.ts';
import { writeZip } from '../../runner/build/zip.ts';
import { removeTemps, startRunner, tempDir, writeTemplate, type Runner } from './support/runner.ts';

const dir = tempDir('glibc');
const binaries: Record<'newest' | 'plain' | 'static', Buffer> = {} as never;
let runner: Runner;

function compile(name: string, source: string, flags: string[] = []): Buffer {
  writeFileSync(join(dir, `${name}.c`), source);
  execFileSync('gcc', ['-O2', ...flags, '-o', join(dir, name), join(dir, `${name}.c`)]);
  return readFileSync(join(dir, name));
}

before(async () => {
  const newest = '#include <stdlib.h>\n#include <stdio.h>\nint main(void) { printf("%u\\n", arc4random()); return 0; }\n';
  binaries.newest = compile('newest', newest);
  binaries.plain = compile('plain', '#include <stdio.h>\nint main(void) { puts("hi"); return 0; }\n');
  binaries.static = compile('static', newest, ['-static']);
  runner = await startRunner(writeTemplate(dir, []));
});
after(async () => {
  await runner?.stop();
  removeTemps();
});

const bootstrapZip = (bytes: Buffer) => writeZip([{ name: 'bootstrap', data: bytes, mode: 0o755 }]);

test('the glibc versions a binary needs are read from its ELF version section, with the symbols that need them', () => {
  const needed = neededGlibcVersions(binaries.newest);
  assert.deepEqual(
    needed.find((n) => n.version === 'GLIBC_2.36'),
    { library: 'libc.so.6', version: 'GLIBC_2.36', symbols: ['arc4random'] },
  );
  assert.deepEqual(neededGlibcVersions(binaries.static), [], 'a static binary needs no glibc');
});

test('the package check refuses a bootstrap needing GLIBC_2.36 for provided.al2023 (glibc 2.34), naming it and the symbol', () => {
  const { problems } = checkPackage(bootstrapZip(binaries.newest), { architecture: 'x86_64', runtime: 'provided.al2023' });
  assert.deepEqual(
    problems.map((p) => p.kind),
    ['glibc'],
  );
  assert.match(
    problems[0]!.message,
    /^provided\.al2023 runs on Amazon Linux 2023, whose glibc is 2\.34, but bootstrap needs GLIBC_2\.36 \(arc4random\): Lambda would fail to load it/,
  );
  assert.match(problems[0]!.message, /link it statically \(musl, or CGO_ENABLED=0 for Go\)/);
});

test('a plain binary built here passes for Amazon Linux 2023 but not for Amazon Linux 2 (glibc 2.26); a static one passes both', () => {
  assert.deepEqual(checkPackage(bootstrapZip(binaries.plain), { architecture: 'x86_64', runtime: 'provided.al2023' }).problems, []);
  const al2 = checkPackage(bootstrapZip(binaries.plain), { architecture: 'x86_64', runtime: 'provided.al2' }).problems;
  assert.deepEqual(
    al2.map((p) => p.kind),
    ['glibc'],
  );
  assert.match(al2[0]!.message, /whose glibc is 2\.26, but bootstrap needs GLIBC_2\.34 \(__libc_start_main\)/);
  for (const runtime of ['provided.al2023', 'provided.al2'] as const) {
    assert.deepEqual(checkPackage(bootstrapZip(binaries.static), { architecture: 'x86_64', runtime }).problems, [], runtime);
  }
});

test('a native addon in a Node package is checked too', () => {
  const zip = writeZip([
    { name: 'index.mjs', data: Buffer.from('export const handler = async () => 1;\n'), mode: 0o644 },
    { name: 'node_modules/fast/build/fast.node', data: binaries.newest, mode: 0o755 },
  ]);
  const { problems } = checkPackage(zip, { architecture: 'x86_64', runtime: 'nodejs24.x', handler: 'index.handler' });
  assert.match(
    problems.map((p) => p.message).join(' '),
    /nodejs24\.x runs on Amazon Linux 2023, whose glibc is 2\.34, but node_modules\/fast\/build\/fast\.node needs GLIBC_2\.36/,
  );
});

test('the local control plane refuses the package as Lambda would, through the AWS SDK', async () => {
  const client = new LambdaClient({
    endpoint: runner.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  try {
    await assert.rejects(
      client.send(
        new CreateFunctionCommand({
          FunctionName: 'TooNew',
          Runtime: 'provided.al2023',
          Handler: 'bootstrap',
          Role: 'arn:aws:iam::123456789012:role/x',
          Code: { ZipFile: bootstrapZip(binaries.newest) },
        }),
      ),
      (error: Error) => {
        assert.equal(error.name, 'InvalidParameterValueException');
        assert.match(error.message, /needs GLIBC_2\.36 \(arc4random\)/);
        return true;
      },
    );
  } finally {
    client.destroy();
  }
});

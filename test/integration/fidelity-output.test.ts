// What a function writes reaches the user as the function wrote it: a line without its newline is shown while the
// function still runs (not when its environment exits), and `open-runtime invoke` writes a binary answer's bytes
// as they are (a custom runtime may answer with an image, which UTF-8 decoding would corrupt).
import { execFile } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, FIXTURE_PATH, removeTemps, startRunner, tempDir, waitFor, writeTemplate, type Runner } from './support/runner.ts';

const runners: Runner[] = [];
after(async () => {
  await Promise.all(runners.map((r) => r.stop()));
  removeTemps();
});

/** The first bytes of a PNG file, with the bytes UTF-8 cannot decode (0x89, 0xff) and a NUL. */
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0xff, 0xd8, 0x80]);

test('a line written without a newline shows up while the function still runs, before its END', async () => {
  const dir = tempDir('partial');
  const code = join(dir, 'code');
  mkdirSync(code);
  writeFileSync(
    join(code, 'app.mjs'),
    "export const handler = async () => { process.stdout.write('working on it...'); await new Promise((r) => setTimeout(r, 1500)); return { done: true }; };\n",
  );
  const runner = await startRunner(writeTemplate(dir, [{ name: 'Partial', codeUri: code, runtime: 'nodejs22.x', handler: 'app.handler' }]));
  runners.push(runner);
  const reply = runner.invoke('Partial', {});
  await waitFor("the partial line in the runner's log while the invocation runs", () => runner.stderr().includes('[Partial] working on it...'), 1200);
  assert.equal((await reply).status, 200);
  const log = await waitFor("END in the runner's log", () => runner.stderr().includes('[Partial] END RequestId') && runner.stderr());
  assert.ok(log.indexOf('working on it...') < log.indexOf('[Partial] END RequestId'), log);
});

test('a partial line written just before the answer is logged before END, not after the next invocation', async () => {
  const dir = tempDir('partial-end');
  const code = join(dir, 'code');
  mkdirSync(code);
  writeFileSync(join(code, 'app.mjs'), 'let n = 0; export const handler = async () => { process.stdout.write(`no newline ${++n}`); return n; };\n');
  const runner = await startRunner(writeTemplate(dir, [{ name: 'Tail', codeUri: code, runtime: 'nodejs22.x', handler: 'app.handler' }]));
  runners.push(runner);
  assert.equal((await runner.invoke('Tail', {})).text, '1');
  const log = await waitFor("END in the runner's log", () => runner.stderr().includes('[Tail] END RequestId') && runner.stderr());
  assert.match(log, /\[Tail\] no newline 1\n\[Tail\] END RequestId/);
});

test('open-runtime invoke writes a binary answer byte for byte', async () => {
  const dir = tempDir('binary');
  const code = join(dir, 'code');
  mkdirSync(code);
  // A custom runtime answering with raw image bytes (not JSON), as Lambda passes them to the caller.
  writeFileSync(
    join(code, 'bootstrap'),
    `#!/usr/bin/env node
const base = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime/invocation/';
const next = await fetch(base + 'next');
await next.arrayBuffer();
const id = next.headers.get('lambda-runtime-aws-request-id');
await fetch(base + id + '/response', { method: 'POST', body: Buffer.from('${PNG.toString('base64')}', 'base64') });
await new Promise(() => {});
`,
  );
  chmodSync(join(code, 'bootstrap'), 0o755);
  const template = writeTemplate(dir, [{ name: 'Image', codeUri: code }]);
  const stdout = await new Promise<Buffer>((resolve, reject) => {
    execFile(
      process.execPath,
      [CLI, 'invoke', 'Image', '--template', template],
      { encoding: 'buffer', env: { ...process.env, PATH: FIXTURE_PATH }, timeout: 20_000 },
      (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut.toString()}`)) : resolve(out)),
    );
  });
  assert.deepEqual(stdout, PNG);
});

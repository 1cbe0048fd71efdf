// No invocation is lost or wrongly failed because of what happened before it reached the function: an environment
// that answered its previous invocation and then exited (an uncaught asynchronous error after the answer; a runtime
// that exits after a 413, as aws-lambda-go and the Python RIC do) may already have been handed the next one, whose
// event it never got: Lambda runs that one in a fresh environment, and so does the runner. A real runner process
// (`open-runtime start`), real runtimes, callers invoking back to back as a person or a script does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { removeTemps, startRunner, tempDir, writeTemplate, type Runner } from './support/runner.ts';

let runner: Runner;

before(async () => {
  const work = tempDir('lost-work');
  const lateThrow = join(work, 'late-throw');
  mkdirSync(lateThrow);
  // Answers, then fails 20-50 ms later, outside the handler: the Node runtime exits (as in Lambda).
  writeFileSync(
    join(lateThrow, 'index.mjs'),
    "export const handler = async (event) => {\n  setTimeout(() => { throw new Error('late failure after the answer'); }, 20 + Math.random() * 30);\n  return { ok: event.i };\n};\n",
  );
  const exitAfter413 = join(work, 'exit-after-413');
  mkdirSync(exitAfter413);
  // Answers every event with 7 MB, and exits when that is refused with a 413, as aws-lambda-go does.
  writeFileSync(
    join(exitAfter413, 'bootstrap'),
    `#!/usr/bin/env node
const api = 'http://' + process.env.AWS_LAMBDA_RUNTIME_API + '/2018-06-01/runtime/invocation/';
(async () => {
  for (;;) {
    const next = await fetch(api + 'next');
    const id = next.headers.get('lambda-runtime-aws-request-id');
    await next.text();
    const posted = await fetch(api + id + '/response', { method: 'POST', body: JSON.stringify('x'.repeat(7 * 1024 * 1024)) });
    await posted.text();
    if (posted.status === 413) process.exit(1);
  }
})();
`,
  );
  chmodSync(join(exitAfter413, 'bootstrap'), 0o755);
  const neverReads = join(work, 'never-reads');
  mkdirSync(neverReads);
  // Asks for an event, never reads it, and exits: the event never reaches a function, whatever environment runs it.
  writeFileSync(
    join(neverReads, 'bootstrap'),
    `#!/usr/bin/env node
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
const socket = require('node:net').connect(Number(port), host, () => {
  socket.pause();
  socket.write('GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n');
  setTimeout(() => process.exit(2), 200);
});
`,
  );
  chmodSync(join(neverReads, 'bootstrap'), 0o755);
  const template = writeTemplate(work, [
    { name: 'NeverReads', codeUri: neverReads },
    { name: 'LateThrow', codeUri: lateThrow, runtime: 'nodejs22.x', handler: 'index.handler' },
    { name: 'ExitAfter413', codeUri: exitAfter413 },
  ]);
  runner = await startRunner(template);
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

test('a function that fails asynchronously after answering: 20 invokes back to back all succeed', async () => {
  const failures: string[] = [];
  for (let i = 0; i < 20; i++) {
    const reply = await runner.invoke('LateThrow', { i });
    if (reply.status !== 200 || reply.headers['x-amz-function-error'] || reply.json().ok !== i) failures.push(`invoke ${i}: ${reply.status} ${reply.text}`);
  }
  assert.deepEqual(failures, [], 'no invocation fails for an exit that happened before its event was delivered');
});

test('a runtime that exits after a 413: each invoke gets Function.ResponseSizeTooLarge, never Runtime.ExitError', async () => {
  const types: string[] = [];
  for (let i = 0; i < 10; i++) {
    const reply = await runner.invoke('ExitAfter413', { i });
    assert.equal(reply.status, 200, reply.text);
    types.push(reply.json().errorType);
  }
  assert.deepEqual(types, Array(10).fill('Function.ResponseSizeTooLarge'));
});

test('a runtime that exits before it reads any event: the invocation gets two fresh environments, then Runtime.ExitError', async () => {
  const reply = await runner.invoke('NeverReads', {});
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json().errorType, 'Runtime.ExitError');
  const retried =
    runner
      .stderr()
      .match(/\[NeverReads\] RequestId: \S+ The runtime exited \(exit status 2\) before it read this event; it runs in a new execution environment\./g) ?? [];
  assert.equal(retried.length, 2, 'retried twice, then failed');
});

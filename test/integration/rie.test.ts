// `open-runtime rie`, the drop-in for the AWS Runtime Interface Emulator's command line:
//   open-runtime rie [--runtime-interface-emulator-address H:P] [--runtime-api-address H:P] BOOTSTRAP [ARGS...]
// run as a real process with the AWS tutorial's sh + curl bootstrap, called over real HTTP.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, isAlive, post, removeTemps, SHELL_BOOTSTRAP_DIR, startCli, tempDir, waitFor, type CliProcess } from './support/runner.ts';

const RIE_BANNER = /POST http:\/\/127\.0\.0\.1:(\d+)\/2015-03-31\/functions\/function\/invocations/;
const started: CliProcess[] = [];

after(async () => {
  await Promise.all(started.map((rie) => rie.stop()));
  removeTemps();
});

async function startRie(args: string[], cwd: string, env: Record<string, string> = {}): Promise<CliProcess> {
  const rie = await startCli(['rie', ...args], { cwd, env, banner: RIE_BANNER });
  started.push(rie);
  return rie;
}

const invokeRie = (rie: CliProcess, payload: unknown) => post(`${rie.endpoint}/2015-03-31/functions/function/invocations`, JSON.stringify(payload));

test('rie runs ./bootstrap and serves /2015-03-31/functions/function/invocations on the given address', async () => {
  const invokePort = await freePort();
  const runtimeApiPort = await freePort();
  const rie = await startRie(
    ['--runtime-interface-emulator-address', `127.0.0.1:${invokePort}`, '--runtime-api-address', `127.0.0.1:${runtimeApiPort}`, './bootstrap'],
    SHELL_BOOTSTRAP_DIR,
  );
  assert.equal(rie.port, invokePort, 'it listens where it was told');

  const first = await invokeRie(rie, { hello: 'rie' });
  assert.equal(first.status, 200, first.text);
  const body = first.json();
  assert.deepEqual(body.event, { hello: 'rie' });
  assert.equal(body.runtimeApi, `127.0.0.1:${runtimeApiPort}`, 'the bootstrap gets --runtime-api-address as AWS_LAMBDA_RUNTIME_API');

  const second = await invokeRie(rie, { again: true });
  assert.equal(second.status, 200, second.text);
  assert.equal(second.json().pid, body.pid, 'the same bootstrap process serves the next invoke');
  assert.match(rie.stderr(), /REPORT RequestId: \S+\tDuration: /, 'START/END/REPORT lines go to stderr');

  assert.equal(await rie.stop(), 0, 'rie exits cleanly on SIGTERM');
  await waitFor(`the bootstrap (pid ${body.pid}) to be stopped with rie`, () => !isAlive(body.pid), 5000);
});

test('without --runtime-api-address the bootstrap still gets its own 127.0.0.1 Runtime API address', async () => {
  const invokePort = await freePort();
  const rie = await startRie(['--runtime-interface-emulator-address', `127.0.0.1:${invokePort}`, './bootstrap'], SHELL_BOOTSTRAP_DIR);
  const reply = await invokeRie(rie, {});
  assert.equal(reply.status, 200, reply.text);
  assert.match(reply.json().runtimeApi, /^127\.0\.0\.1:\d+$/);
});

// The AWS RIE takes everything after its own flags as the command (`aws-lambda-rie /usr/local/bin/python -m
// awslambdaric app.handler` in the AWS docs), runs it in the current directory whatever it is called, and passes
// its last argument as the handler (_HANDLER) when there is more than one.

test('rie runs a BOOTSTRAP command of any name, with its last argument as the handler', async () => {
  const dir = join(tempDir('rie-command'), 'task');
  mkdirSync(dir);
  copyFileSync(join(SHELL_BOOTSTRAP_DIR, 'bootstrap'), join(dir, 'my-runtime'));
  // The tutorial bootstrap sources the file _HANDLER names: app.handler -> ./app.sh, function `handler`.
  copyFileSync(join(SHELL_BOOTSTRAP_DIR, 'function.sh'), join(dir, 'app.sh'));
  const rie = await startRie(['--runtime-interface-emulator-address', `127.0.0.1:${await freePort()}`, './my-runtime', 'app.handler'], dir);
  const reply = await invokeRie(rie, { via: 'my-runtime' });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.headers['x-amz-function-error'], undefined, `./my-runtime should run: ${reply.text}`);
  const body = reply.json();
  assert.deepEqual(body.event, { via: 'my-runtime' });
  assert.equal(body.args, 'app.handler', 'ARGS reach the command');
  assert.equal(body.handler, 'app.handler', 'the last argument is _HANDLER');
});

test('rie passes ARGS that look like options (e.g. python -m awslambdaric) to the command', async () => {
  const rie = await startRie(
    ['--runtime-interface-emulator-address', `127.0.0.1:${await freePort()}`, './bootstrap', '-m', 'function.handler'],
    SHELL_BOOTSTRAP_DIR,
  );
  const reply = await invokeRie(rie, {});
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json().args, '-m function.handler');
});

test('after an init failure (concurrency 1), a caller invoking one at a time gets the init error every time, never a 429', async () => {
  const dir = tempDir('rie-init-error');
  writeFileSync(
    join(dir, 'bootstrap'),
    `#!/bin/sh\ncurl -sS -o /dev/null -X POST "http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime/init/error" -d '{"errorType":"Fixture.Broken","errorMessage":"cannot start"}'\nexit 1\n`,
  );
  chmodSync(join(dir, 'bootstrap'), 0o755);
  // A fixed Runtime API port too: each new environment needs the one the failed environment had.
  const rie = await startRie(
    ['--runtime-interface-emulator-address', `127.0.0.1:${await freePort()}`, '--runtime-api-address', `127.0.0.1:${await freePort()}`, './bootstrap'],
    dir,
  );
  const answers: string[] = [];
  for (let i = 0; i < 12; i++) {
    const reply = await invokeRie(rie, { i });
    answers.push(reply.status === 200 ? reply.json().errorType : `${reply.status} ${reply.text}`);
  }
  assert.deepEqual(answers, Array(12).fill('Fixture.Broken'));
});

// An execution environment keeps to its function's limits, as Lambda's does: a real runner (`open-runtime start`
// on a SAM template) with real Node, Python and provided (sh + curl + a python3 child) functions that allocate past
// their MemorySize (Runtime.OutOfMemory, then a fresh environment), one that stays under it (never killed), and
// functions whose children leave the process group (setsid, a double fork reparented to init) and must still be
// gone once their environment is stopped by a timeout or by the runner closing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, logTail, removeTemps, SHELL_BOOTSTRAP_DIR, startRunner, tempDir, waitFor, writeTemplate, type Reply, type Runner } from './support/runner.ts';

const NODE_HANDLER = `
import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const handler = async (event) => {
  if (event.allocateMB) {
    // Buffer.alloc maps zeroed pages; fill touches them, so they count in RSS.
    const held = Buffer.alloc(event.allocateMB * 1024 * 1024).fill(1);
    await sleep(event.holdMs ?? 0);
    return { pid: process.pid, held: held.length };
  }
  let escaped;
  if (event.escape === 'setsid') {
    // setsid (not a group leader here) calls setsid() and execs sleep: same pid, its own session and group.
    escaped = spawn('setsid', ['sleep', '600'], { stdio: 'ignore' }).pid;
  } else if (event.escape === 'scrubbed') {
    // Leaves the group and drops every variable, the marker too: only the process tree seen while it ran knows it.
    escaped = spawn('env', ['-i', 'setsid', 'sleep', '600'], { stdio: 'ignore' }).pid;
  } else if (event.escape === 'double-fork') {
    // The shell starts sleep in a new session and exits: sleep is reparented to init.
    escaped = Number(execFileSync('sh', ['-c', 'setsid sleep 600 >/dev/null 2>&1 </dev/null & echo $!'], { encoding: 'utf8' }).trim());
  }
  if (event.pidFile) writeFileSync(event.pidFile, String(escaped));
  if (event.hangMs) await sleep(event.hangMs);
  return { pid: process.pid, escaped };
};
`;

const PYTHON_HANDLER = `
import os, time
if os.environ.get('ALLOCATE_AT_INIT_MB'):
    _held = bytearray(b'\\x01') * (int(os.environ['ALLOCATE_AT_INIT_MB']) << 20)
    time.sleep(2)
def handler(event, context):
    mb = event.get('allocateMB')
    if mb:
        held = bytearray(b'\\x01') * (mb << 20)
        time.sleep(event.get('holdMs', 0) / 1000)
        return {'pid': os.getpid(), 'held': len(held)}
    return {'pid': os.getpid()}
`;

/** The tutorial's sh handler, whose memory is a child's: python3 holding MB megabytes for 3 s. */
const SHELL_HANDLER = `
handler () {
  MB=$(printf '%s' "$1" | sed -n 's/.*"allocateMB": *\\([0-9]*\\).*/\\1/p')
  if [ -n "$MB" ]; then python3 -c "import time; held = bytearray(b'\\\\x01') * ($MB << 20); time.sleep(3)"; fi
  echo "{\\"pid\\":$$}"
}
`;

/** An external extension in Python: registers, holds EXTENSION_HOLDS_MB megabytes, and waits for events. */
const HOG_EXTENSION = `#!/usr/bin/env python3
import json, os, urllib.request
base = 'http://' + os.environ['AWS_LAMBDA_RUNTIME_API'] + '/2020-01-01/extension'
request = urllib.request.Request(base + '/register', data=json.dumps({'events': ['INVOKE', 'SHUTDOWN']}).encode(), headers={'Lambda-Extension-Name': 'hog'}, method='POST')
identifier = urllib.request.urlopen(request).headers['Lambda-Extension-Identifier']
held = bytearray(b'\\x01') * (int(os.environ.get('EXTENSION_HOLDS_MB', '0')) << 20)
while True:
    urllib.request.urlopen(urllib.request.Request(base + '/event/next', headers={'Lambda-Extension-Identifier': identifier})).read()
`;

let runner: Runner;
let work: string;

before(async () => {
  work = tempDir('containment');
  const node = join(work, 'node');
  mkdirSync(node);
  writeFileSync(join(node, 'index.mjs'), NODE_HANDLER);
  const python = join(work, 'python');
  mkdirSync(python);
  writeFileSync(join(python, 'app.py'), PYTHON_HANDLER);
  const shell = join(work, 'shell');
  cpSync(SHELL_BOOTSTRAP_DIR, shell, { recursive: true });
  writeFileSync(join(shell, 'function.sh'), SHELL_HANDLER);
  const layer = join(work, 'hog-layer');
  mkdirSync(join(layer, 'extensions'), { recursive: true });
  writeFileSync(join(layer, 'extensions', 'hog'), HOG_EXTENSION, { mode: 0o755 });
  const template = writeTemplate(work, [
    {
      name: 'ExtensionHog',
      codeUri: node,
      runtime: 'nodejs24.x',
      handler: 'index.handler',
      memorySize: 128,
      layers: [layer],
      environment: { EXTENSION_HOLDS_MB: '300' },
    },
    { name: 'ExtensionLight', codeUri: node, runtime: 'nodejs24.x', handler: 'index.handler', memorySize: 128, layers: [layer] },
    { name: 'NodeHog', codeUri: node, runtime: 'nodejs24.x', handler: 'index.handler', memorySize: 128 },
    { name: 'NodeUnder', codeUri: node, runtime: 'nodejs24.x', handler: 'index.handler', memorySize: 256 },
    { name: 'PythonHog', codeUri: python, runtime: 'python3.12', handler: 'app.handler', memorySize: 128 },
    { name: 'PythonInitHog', codeUri: python, runtime: 'python3.12', handler: 'app.handler', memorySize: 128, environment: { ALLOCATE_AT_INIT_MB: '600' } },
    { name: 'ShellHog', codeUri: shell, memorySize: 128 },
    { name: 'Escaper', codeUri: node, runtime: 'nodejs24.x', handler: 'index.handler', timeout: 1 },
  ]);
  runner = await startRunner(template);
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

function assertOk(reply: Reply, what: string): Record<string, any> {
  assert.equal(reply.status, 200, `${what}: status ${reply.status}: ${reply.text}`);
  assert.equal(reply.headers['x-amz-function-error'], undefined, `${what} should succeed, got ${reply.text}`);
  return reply.json();
}

/** Lambda's answer when an environment passes its MemorySize, its log lines, and a fresh environment after it. */
async function assertOutOfMemory(name: string, event: unknown): Promise<void> {
  const warm = assertOk(await runner.invoke(name, {}), `${name} warm-up`).pid as number;
  const reply = await runner.invoke(name, event, { 'X-Amz-Log-Type': 'Tail' });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled', `${name} should fail: ${reply.text}`);
  const body = reply.json();
  assert.equal(body.errorType, 'Runtime.OutOfMemory', reply.text);
  assert.match(body.errorMessage, /^RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed$/);
  const logs = logTail(reply);
  assert.match(logs, /RequestId: [0-9a-f-]{36} Error: Runtime exited with error: signal: killed\nRuntime\.OutOfMemory/);
  assert.match(logs, /REPORT RequestId: .*Memory Size: 128 MB\tMax Memory Used: 128 MB/);
  assert.equal(isAlive(warm), false, 'the environment that ran out of memory is gone');
  const next = assertOk(await runner.invoke(name, {}), `${name} after running out of memory`).pid as number;
  assert.notEqual(next, warm, 'a fresh environment takes the next invoke');
}

test('a Node function allocating 600 MB in 128 MB fails with Runtime.OutOfMemory; the next invoke gets a fresh environment', async () => {
  await assertOutOfMemory('NodeHog', { allocateMB: 600, holdMs: 2000 });
});

test('a Python function allocating 600 MB in 128 MB fails with Runtime.OutOfMemory; the next invoke gets a fresh environment', async () => {
  await assertOutOfMemory('PythonHog', { allocateMB: 600, holdMs: 2000 });
});

test('a Python function allocating 600 MB in 128 MB during its init fails with Runtime.OutOfMemory', async () => {
  const reply = await runner.invoke('PythonInitHog', {}, { 'X-Amz-Log-Type': 'Tail' });
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled', reply.text);
  const body = reply.json();
  assert.equal(body.errorType, 'Runtime.OutOfMemory', reply.text);
  assert.match(body.errorMessage, /Runtime exited during init with error: signal: killed/);
  assert.match(logTail(reply), /INIT_REPORT .*Status: error\tError Type: Runtime\.OutOfMemory/);
});

test("a provided function whose child process holds 600 MB in 128 MB fails with Runtime.OutOfMemory (the environment's memory is its processes' together)", async () => {
  await assertOutOfMemory('ShellHog', { allocateMB: 600 });
});

test('a Node function allocating 600 MB at once and returning at once is still out of memory (its peak counts)', async () => {
  await assertOutOfMemory('NodeHog', { allocateMB: 600 });
});

test("an extension's memory is the environment's too: one holding 300 MB in a 128 MB function is Runtime.OutOfMemory", async () => {
  const reply = await runner.invoke('ExtensionHog', {}, { 'X-Amz-Log-Type': 'Tail' });
  assert.equal(reply.headers['x-amz-function-error'], 'Unhandled', reply.text);
  assert.equal(reply.json().errorType, 'Runtime.OutOfMemory', reply.text);
  // The same extension holding nothing stays within 128 MB beside the Node runtime.
  for (let i = 0; i < 3; i++) assertOk(await runner.invoke('ExtensionLight', {}), 'a Node function with a light extension');
});

test('a function that stays under its MemorySize is never killed, and REPORT shows what it used', async () => {
  // One invocation: a warm Node environment would also hold the buffers of earlier ones until its next GC.
  const reply = await runner.invoke('NodeUnder', { allocateMB: 150, holdMs: 400 }, { 'X-Amz-Log-Type': 'Tail' });
  assertOk(reply, 'NodeUnder at 150 MB of 256 MB');
  const used = Number(/Max Memory Used: (\d+) MB/.exec(logTail(reply))?.[1]);
  assert.ok(used >= 150 && used < 256, `Max Memory Used ${used} MB`);
});

/** Fails unless `pid` moves to a process group of its own (it really leaves the runtime's; setsid does it just after the spawn). */
async function assertLeftTheGroup(pid: number, runtimePid: number): Promise<void> {
  const group = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[2];
  await waitFor(`the child (pid ${pid}) to be in a process group of its own`, () => group(pid) !== group(runtimePid), 2000);
}

async function assertStoppedWithEnvironment(pid: number, what: string): Promise<void> {
  try {
    await waitFor(`${what} (pid ${pid}) to be stopped with its environment`, () => !isAlive(pid), 5000);
  } finally {
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
}

const ESCAPES = {
  setsid: 'a child started with setsid',
  'double-fork': 'a double-forked child in a new session (reparented to init)',
  scrubbed: 'a child started with setsid and an empty environment',
} as const;

for (const escape of Object.keys(ESCAPES) as Array<keyof typeof ESCAPES>) {
  test(`${ESCAPES[escape]} is gone once its environment times out`, async () => {
    const pidFile = join(tempDir('escape'), 'pid');
    const reply = await runner.invoke('Escaper', { escape, pidFile, hangMs: 5000 });
    assert.equal(reply.json().errorType, 'Sandbox.Timedout', reply.text);
    const escaped = Number(readFileSync(pidFile, 'utf8'));
    assert.ok(escaped > 0);
    await assertStoppedWithEnvironment(escaped, `the ${escape} child`);
  });

  test(`${ESCAPES[escape]} is gone once the runner closes`, async () => {
    const dir = tempDir('escape-close');
    const code = join(dir, 'node');
    mkdirSync(code);
    writeFileSync(join(code, 'index.mjs'), NODE_HANDLER);
    const own = await startRunner(writeTemplate(dir, [{ name: 'Escaper', codeUri: code, runtime: 'nodejs24.x', handler: 'index.handler' }]));
    let escaped = 0;
    try {
      // The scrubbed child is found by the samples taken while the invocation runs.
      const body = assertOk(await own.invoke('Escaper', { escape, hangMs: escape === 'scrubbed' ? 500 : 0 }), 'Escaper');
      escaped = body.escaped;
      assert.ok(isAlive(escaped), 'the child runs while its environment does');
      await assertLeftTheGroup(escaped, body.pid);
      if (escape === 'scrubbed') assert.doesNotMatch(readFileSync(`/proc/${escaped}/environ`, 'latin1'), /OPEN_RUNTIME/, 'no marker');
      if (escape === 'double-fork')
        assert.notEqual(Number(readFileSync(`/proc/${escaped}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]), body.pid, 'reparented');
    } finally {
      await own.stop();
    }
    await assertStoppedWithEnvironment(escaped, `the ${escape} child`);
  });
}

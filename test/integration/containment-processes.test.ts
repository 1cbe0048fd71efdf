// The environment containment (runner/environments/containment.ts) on real process trees, without a runner:
// memory held by a grandchild counts, found through either way of finding descendants (the kernel's children
// files, or the whole process table on kernels without them), and the environment is killed whole.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Containment, ENVIRONMENT_MARKER } from '../../runner/environments/containment.ts';
import { isAlive, removeTemps, tempDir, waitFor } from './support/runner.ts';

const linux = process.platform === 'linux';

for (const treeSource of ['children', 'table'] as const) {
  test(`a grandchild holding 300 MB puts a 128 MB environment over its limit (descendants from ${treeSource === 'children' ? 'children files' : 'the process table'})`, {
    skip: !linux,
  }, async () => {
    const pidFile = join(tempDir('contain'), 'pid');
    const containment = new Containment({ memorySizeMB: 128, busy: () => true, enforce: true, treeSource });
    // sh -> sh -> python3: the root itself stays small; the memory is two levels down.
    const script = `sh -c 'python3 -c "import time; held = bytearray(b\\"\\\\x01\\") * (300 << 20); time.sleep(30)" & echo $! > ${pidFile}; wait' & wait`;
    const root = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore', env: { ...process.env, [ENVIRONMENT_MARKER]: containment.marker } });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => root.once('exit', (_code, signal) => resolve(signal)));
    containment.attach(root.pid);
    try {
      await waitFor('the environment to be stopped for its memory', () => containment.stoppedForMemory, 15_000);
      assert.equal(await exited, 'SIGKILL');
      const holder = Number(readFileSync(pidFile, 'utf8'));
      await waitFor(`the python3 holding the memory (pid ${holder}) to be gone`, () => !isAlive(holder), 5000);
      assert.equal(containment.maxMemoryUsedMB(), 128, 'REPORT says the limit');
    } finally {
      containment.stopAll();
      containment.detach();
      removeTemps();
    }
  });
}

test('a 256 MB environment whose child holds 100 MB is left alone, and its peak counts the child', { skip: !linux }, async () => {
  const containment = new Containment({ memorySizeMB: 256, busy: () => true, enforce: true });
  const root = spawn('sh', ['-c', `python3 -c "import time; held = bytearray(b'\\x01') * (100 << 20); time.sleep(2)"`], {
    detached: true,
    stdio: 'ignore',
    env: { ...process.env, [ENVIRONMENT_MARKER]: containment.marker },
  });
  const exited = new Promise<number | null>((resolve) => root.once('exit', (code) => resolve(code)));
  containment.attach(root.pid);
  try {
    assert.equal(await exited, 0, 'it ran to its end');
    assert.equal(containment.stoppedForMemory, false);
    assert.ok(containment.maxMemoryUsedMB() >= 100, `Max Memory Used ${containment.maxMemoryUsedMB()} MB counts the child's 100 MB`);
  } finally {
    containment.stopAll();
    containment.detach();
  }
});

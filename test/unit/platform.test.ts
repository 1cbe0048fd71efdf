// runner/platform.ts: each platform's branch, Windows included (CI is Linux: the Windows answers are checked as
// values), and the process-tree stop on this machine with real processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { emulatorName, localSocketPath, ownProcessGroup, signalProcessTree, treeSignalPlan } from '../../runner/platform.ts';

test('a child gets its own process group on Linux and macOS; on Windows it stays attached and hidden (no console window)', () => {
  assert.deepEqual(ownProcessGroup('linux'), { detached: true });
  assert.deepEqual(ownProcessGroup('darwin'), { detached: true });
  assert.deepEqual(ownProcessGroup('win32'), { detached: false, windowsHide: true });
});

test('a tree is stopped through its process group, or on Windows by taskkill over the tree', () => {
  assert.deepEqual(treeSignalPlan(4242, 'linux'), { group: -4242 });
  assert.deepEqual(treeSignalPlan(4242, 'darwin'), { group: -4242 });
  assert.deepEqual(treeSignalPlan(4242, 'win32'), { command: 'taskkill', args: ['/pid', '4242', '/T', '/F'] });
});

test('the direct socket is a .sock file in the private folder, or a named pipe on Windows (from a Windows path)', () => {
  assert.equal(localSocketPath('/tmp/open-runtime-AbC123', 'env-7', 'linux'), '/tmp/open-runtime-AbC123/env-7.sock');
  assert.equal(localSocketPath('C:\\Users\\ada\\AppData\\Local\\Temp\\open-runtime-AbC123', 'env-7', 'win32'), '\\\\.\\pipe\\open-runtime-AbC123-env-7');
  assert.equal(localSocketPath('C:/Users/ada/Temp/open-runtime-x', 'e', 'win32'), '\\\\.\\pipe\\open-runtime-x-e');
});

test('a bootstrap for the other architecture runs under qemu-user on Linux only; macOS and Windows get none', () => {
  assert.equal(emulatorName('arm64', 'x86_64', 'linux'), 'qemu-aarch64-static');
  assert.equal(emulatorName('x86_64', 'arm64', 'linux'), 'qemu-x86_64-static');
  assert.equal(emulatorName('arm64', 'arm64', 'linux'), undefined);
  assert.equal(emulatorName('arm64', 'x86_64', 'darwin'), undefined);
  assert.equal(emulatorName('x86_64', 'x86_64', 'win32'), undefined);
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('stopping a tree ends the child and what it started (real processes, this machine)', { skip: process.platform === 'win32' }, async () => {
  const child = spawn('sh', ['-c', 'sleep 60 & echo $!; sleep 60 & echo $!; wait'], { stdio: ['ignore', 'pipe', 'ignore'], ...ownProcessGroup() });
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk));
  while (out.trim().split('\n').length < 2) await sleep(20);
  const grandchildren = out.trim().split('\n').map(Number);
  assert.ok(grandchildren.every(alive));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  signalProcessTree(child, 'SIGTERM');
  await exited;
  for (let i = 0; i < 100 && grandchildren.some(alive); i++) await sleep(20);
  assert.deepEqual(grandchildren.filter(alive), [], 'the grandchildren are gone too');
});

test('a child that is not a group leader is still stopped (the fallback)', async () => {
  const child = spawn('sleep', ['60'], { stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  signalProcessTree(child, 'SIGKILL');
  assert.equal(await exited, 'SIGKILL');
});

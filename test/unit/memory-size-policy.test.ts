// The rules an execution environment's containment applies (runner/environments/memory-size-policy.ts), as tables:
// which processes belong to the environment, when it is over its MemorySize, what REPORT says, what is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  descendantsOf,
  environmentResidentBytes,
  markerCandidates,
  overMemorySize,
  processesToStop,
  reportedMaxMemoryMB,
  sameProcess,
  scansTree,
  TREE_SCAN_EVERY_SAMPLES,
  type ProcessEntry,
} from '../../runner/environments/memory-size-policy.ts';

const MIB = 1024 * 1024;
const p = (pid: number, ppid: number, startTime = 100): ProcessEntry => ({ pid, ppid, startTime });

// init (1), the runner (10), an environment's root (20) with a child (21) and grandchild (22), a stranger (30).
const TABLE = [p(1, 0), p(10, 1), p(20, 10), p(21, 20), p(22, 21), p(30, 1), p(31, 30)];

test('descendants: children and grandchildren of the root, nobody else', () => {
  assert.deepEqual(
    descendantsOf(20, TABLE).map((e) => e.pid),
    [21, 22],
  );
  assert.deepEqual(descendantsOf(22, TABLE), []);
  assert.deepEqual(descendantsOf(99, TABLE), [], 'a root that is gone has no descendants');
});

test('descendants: a cycle in a torn read of the table does not loop', () => {
  assert.deepEqual(
    descendantsOf(20, [p(21, 20), p(20, 21)]).map((e) => e.pid),
    [21],
  );
});

test('a pid is the same process only with the same start time', () => {
  assert.equal(sameProcess(p(21, 20, 5), p(21, 20, 5)), true);
  assert.equal(sameProcess(p(21, 20, 5), p(21, 1, 5)), true, 'reparented to init is still the same process');
  assert.equal(sameProcess(p(21, 20, 5), p(21, 20, 6)), false, 'a reused pid is another process');
  assert.equal(sameProcess(p(21, 20, 5), undefined), false);
});

test("the environment's memory: each process's own, and mapped files once", () => {
  // A Node runtime (8 MB own, 35 MB of node's pages) and a Node extension (6 MB own, the same 34 MB of pages).
  const total = environmentResidentBytes([
    { anonBytes: 8 * MIB, fileBytes: 35 * MIB },
    { anonBytes: 6 * MIB, fileBytes: 34 * MIB },
  ]);
  assert.equal(total, 49 * MIB);
  assert.equal(environmentResidentBytes([{ anonBytes: 300 * MIB, fileBytes: 2 * MIB }]), 302 * MIB, 'one process: its RSS');
  assert.equal(environmentResidentBytes([]), 0);
});

test('over MemorySize: the total resident memory, or the root alone at its peak, past the limit', () => {
  const rows: Array<[number, number, number, boolean]> = [
    // totalRss MB, root peak MB, MemorySize MB, over
    [100, 100, 128, false],
    [128, 128, 128, false],
    [129, 60, 128, true],
    [60, 129, 128, true],
    [200, 150, 256, false],
    [600, 600, 128, true],
  ];
  for (const [total, peak, size, over] of rows) {
    assert.equal(overMemorySize({ totalRssBytes: total * MIB, rootPeakBytes: peak * MIB }, size), over, `${total}/${peak} MB in ${size} MB`);
  }
});

test('Max Memory Used: the peak in whole MB; the MemorySize itself when the environment was stopped for its memory', () => {
  assert.equal(reportedMaxMemoryMB(150.2 * MIB, 256, false), 151);
  assert.equal(reportedMaxMemoryMB(0, 128, false), 0);
  assert.equal(reportedMaxMemoryMB(700 * MIB, 128, true), 128);
  assert.equal(reportedMaxMemoryMB(90 * MIB, 128, true), 128);
});

test('the tree is read on the first sample, then often through children files, less often through the whole table', () => {
  const scans = (how: 'children' | 'table') => Array.from({ length: 21 }, (_, i) => i).filter((i) => scansTree(i, how));
  assert.deepEqual(scans('children'), [0, 4, 8, 12, 16, 20]);
  assert.deepEqual(scans('table'), [0, 10, 20]);
  assert.ok(TREE_SCAN_EVERY_SAMPLES.table > TREE_SCAN_EVERY_SAMPLES.children);
});

test('marker candidates: only processes started since the environment was created, never the runner', () => {
  const table = [p(1, 0, 5), p(10, 1, 50), p(20, 10, 300), p(21, 1, 301), p(30, 1, 299)];
  assert.deepEqual(
    markerCandidates(table, 300, 10).map((e) => e.pid),
    [20, 21],
  );
  assert.deepEqual(
    markerCandidates(table, 0, 10).map((e) => e.pid),
    [1, 20, 21, 30],
  );
});

test('stopping: known processes still the same, the live tree, marked processes; never a reused pid, never the runner', () => {
  const now = [p(1, 0), p(10, 1), p(20, 10), p(21, 20), p(40, 1, 100), p(41, 1, 999), p(50, 1), p(60, 1)];
  const known = [p(40, 20, 100), p(41, 20, 100)];
  const stop = processesToStop(known, now, 20, [50, 10, 77], 10)
    .map((e) => e.pid)
    .sort((a, b) => a - b);
  // 40: seen in the tree, reparented to init; 41: its pid now belongs to another process; 21: the live tree;
  // 50: carries the marker; 10: the runner itself; 77: marked but already gone; 60: a stranger.
  assert.deepEqual(stop, [21, 40, 50]);
});

test('stopping after the root exited: only known and marked processes', () => {
  const now = [p(1, 0), p(21, 1), p(22, 21)];
  assert.deepEqual(
    processesToStop([p(21, 20)], now, undefined, [], 10).map((e) => e.pid),
    [21],
  );
});

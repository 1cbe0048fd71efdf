// The concurrency gate's policy (runner/environments/concurrency-gate.ts) as a table: each row is a short story of
// requests and releases against a gate, and what each step must answer. No processes: the policy alone.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConcurrencyGate, type Waiter } from '../../runner/environments/concurrency-gate.ts';

type Step =
  | { now: string; expect: string } // a caller that can't wait (RequestResponse)
  | { wait: string; expect: string } // a queued event
  | { release: true; granted?: string[] } // who got the freed slot
  | { limit: number; granted?: string[] }
  | { drain: string; returned: string[] }
  | { cancel: string; expect: boolean };

interface Row {
  story: string;
  limit: number;
  steps: Step[];
  running: number;
  waiting: number;
}

const table: Row[] = [
  {
    story: 'a caller under the limit gets a slot',
    limit: 2,
    steps: [
      { now: 'a', expect: 'granted' },
      { now: 'b', expect: 'granted' },
    ],
    running: 2,
    waiting: 0,
  },
  {
    story: 'a caller at the limit is refused (429)',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { now: 'b', expect: 'refused' },
    ],
    running: 1,
    waiting: 0,
  },
  {
    story: 'an event at the limit waits instead',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { wait: 'e1', expect: 'waiting' },
    ],
    running: 1,
    waiting: 1,
  },
  {
    story: 'a released slot goes to the oldest waiting event',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { wait: 'e1', expect: 'waiting' },
      { wait: 'e2', expect: 'waiting' },
      { release: true, granted: ['e1'] },
      { release: true, granted: ['e2'] },
    ],
    running: 1,
    waiting: 0,
  },
  {
    story: 'while events wait, a caller is refused even right after a release (the event has the slot)',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { wait: 'e1', expect: 'waiting' },
      { release: true, granted: ['e1'] },
      { now: 'b', expect: 'refused' },
    ],
    running: 1,
    waiting: 0,
  },
  {
    story: 'a release with nobody waiting frees the slot',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { release: true, granted: [] },
      { now: 'b', expect: 'granted' },
    ],
    running: 1,
    waiting: 0,
  },
  {
    story: 'a raised limit hands the new slots to waiters',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { wait: 'e1', expect: 'waiting' },
      { wait: 'e2', expect: 'waiting' },
      { limit: 3, granted: ['e1', 'e2'] },
    ],
    running: 3,
    waiting: 0,
  },
  {
    story: 'a lowered limit lets the running finish and refuses new callers',
    limit: 2,
    steps: [
      { now: 'a', expect: 'granted' },
      { now: 'b', expect: 'granted' },
      { limit: 1 },
      { release: true, granted: [] },
      { now: 'c', expect: 'refused' },
      { release: true, granted: [] },
      { now: 'd', expect: 'granted' },
    ],
    running: 1,
    waiting: 0,
  },
  {
    story: 'drain refuses everyone and hands the waiters back without granting them',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { wait: 'e1', expect: 'waiting' },
      { drain: 'closing', returned: ['e1'] },
      { release: true, granted: [] },
      { now: 'b', expect: 'drained' },
      { wait: 'e2', expect: 'drained' },
    ],
    running: 0,
    waiting: 0,
  },
  {
    story: 'a cancelled waiter never gets a slot',
    limit: 1,
    steps: [
      { now: 'a', expect: 'granted' },
      { wait: 'e1', expect: 'waiting' },
      { cancel: 'e1', expect: true },
      { cancel: 'e1', expect: false },
      { release: true, granted: [] },
    ],
    running: 0,
    waiting: 0,
  },
];

describe('concurrency gate', () => {
  for (const row of table) {
    it(row.story, () => {
      const gate = new ConcurrencyGate<Waiter & { name: string }>(row.limit);
      const granted: string[] = [];
      const waiters = new Map<string, Waiter & { name: string }>();
      for (const step of row.steps) {
        if ('now' in step) assert.equal(gate.tryAcquire(), step.expect, `${step.now} asks for a slot now`);
        else if ('wait' in step) {
          const waiter = { name: step.wait, grant: () => granted.push(step.wait) };
          waiters.set(step.wait, waiter);
          assert.equal(gate.acquireOrWait(waiter), step.expect, `${step.wait} asks to wait`);
        } else if ('release' in step) {
          const before = granted.length;
          gate.release();
          assert.deepEqual(granted.slice(before), step.granted ?? [], 'who got the freed slot');
        } else if ('limit' in step) {
          const before = granted.length;
          gate.setLimit(step.limit);
          assert.deepEqual(granted.slice(before), step.granted ?? [], 'who got the new slots');
        } else if ('drain' in step) {
          assert.deepEqual(
            gate.drain(step.drain).map((w) => w.name),
            step.returned,
          );
          assert.equal(gate.drainReason, step.drain);
        } else {
          assert.equal(gate.cancel(waiters.get(step.cancel)!), step.expect);
        }
      }
      assert.equal(gate.running, row.running, 'slots taken at the end');
      assert.equal(gate.waiting, row.waiting, 'waiters at the end');
    });
  }

  it('a slot released twice is a bug, said as such', () => {
    const gate = new ConcurrencyGate(1);
    assert.equal(gate.tryAcquire(), 'granted');
    gate.release();
    assert.throws(() => gate.release(), /released twice/);
  });
});

// The hot path's deadlines (runner/environments/deadlines.ts): each falls once, after its duration, in the order they
// were set; a cancelled one never falls, and one that falls after a cancelled one still falls on time; a deadline set
// by another's work falls too.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { setDeadline } from '../../runner/environments/deadlines.ts';

describe('deadlines', () => {
  it('fall once each, not before their duration, in the order they were set', async () => {
    const fell: Array<{ name: string; afterMs: number }> = [];
    const start = performance.now();
    const mark = (name: string) => () => fell.push({ name, afterMs: performance.now() - start });
    setDeadline(120, mark('a'));
    await sleep(30);
    setDeadline(120, mark('b'));
    await sleep(800);
    assert.deepEqual(
      fell.map((f) => f.name),
      ['a', 'b'],
    );
    assert.ok(fell[0]!.afterMs >= 119, `a fell after ${fell[0]!.afterMs} ms`);
    assert.ok(fell[1]!.afterMs >= 149, `b fell after ${fell[1]!.afterMs} ms`);
  });

  it('a cancelled deadline never falls; the next one still does', async () => {
    const fell: string[] = [];
    const first = setDeadline(100, () => fell.push('first'));
    await sleep(20);
    setDeadline(100, () => fell.push('second'));
    first.cancel();
    first.cancel(); // twice is harmless
    await sleep(800);
    assert.deepEqual(fell, ['second']);
  });

  it('a deadline set while others fall falls after its own duration', async () => {
    const fell: Array<{ name: string; afterMs: number }> = [];
    const start = performance.now();
    setDeadline(60, () => {
      fell.push({ name: 'outer', afterMs: performance.now() - start });
      setDeadline(60, () => fell.push({ name: 'inner', afterMs: performance.now() - start }));
    });
    await sleep(800);
    assert.deepEqual(
      fell.map((f) => f.name),
      ['outer', 'inner'],
    );
    assert.ok(fell[1]!.afterMs >= 119, `inner fell after ${fell[1]!.afterMs} ms`);
  });

  it('durations are kept apart: a short one is not held behind a long one', async () => {
    const fell: string[] = [];
    const long = setDeadline(10_000, () => fell.push('long'));
    setDeadline(50, () => fell.push('short'));
    await sleep(800);
    long.cancel();
    assert.deepEqual(fell, ['short']);
  });
});

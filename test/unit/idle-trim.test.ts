// The runner's idle trim (runner/idle-trim.ts): one collection a second after the last invocation of a busy
// period, none while invocations keep coming, none again until there is new work.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { IdleTrim } from '../../runner/idle-trim.ts';

describe('idle trim', () => {
  it('collects once, a second after the last activity, and not again until new work', async () => {
    const calls: unknown[] = [];
    const trim = new IdleTrim((options) => calls.push(options));
    try {
      for (let i = 0; i < 6; i++) {
        trim.activity();
        await sleep(200);
      }
      assert.equal(calls.length, 0, 'no collection while invocations keep coming');
      await sleep(1000);
      assert.deepEqual(calls, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }]);
      await sleep(1200);
      assert.equal(calls.length, 1, 'a quiet runner is not collected again');
      trim.activity();
      await sleep(1200);
      assert.equal(calls.length, 2, 'new work, new trim');
    } finally {
      trim.dispose();
    }
  });
});

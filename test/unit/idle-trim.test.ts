// The runner's idle trim (runner/idle-trim.ts): one collection and malloc_trim a second after the last invocation of
// a busy period, none while invocations keep coming, none again until there is new work; and the real addon.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { spawnSync } from 'node:child_process';
import { IdleTrim, loadMallocTrim } from '../../runner/idle-trim.ts';

describe('idle trim', () => {
  it('collects once, a second after the last activity, and not again until new work', async () => {
    const calls: unknown[] = [];
    const trim = new IdleTrim(
      (options) => calls.push(options),
      () => Boolean(calls.push('malloc_trim')),
    );
    try {
      for (let i = 0; i < 6; i++) {
        trim.activity();
        await sleep(200);
      }
      assert.equal(calls.length, 0, 'no collection while invocations keep coming');
      await sleep(1000);
      assert.deepEqual(calls, [{ type: 'major', execution: 'sync', flavor: 'last-resort' }, 'malloc_trim']);
      await sleep(1200);
      assert.equal(calls.length, 2, 'a quiet runner is not collected again');
      trim.activity();
      await sleep(1200);
      assert.equal(calls.length, 4, 'new work, new trim');
    } finally {
      trim.dispose();
    }
  });

  it('the malloc_trim addon the build makes loads and runs (Linux with a C compiler)', (t) => {
    if (process.platform !== 'linux' || spawnSync('cc', ['--version']).status !== 0) return t.skip('no C compiler here: the build makes no addon');
    const release = loadMallocTrim();
    assert.ok(release, 'dist/malloc-trim.node is built (npm run build) and loads');
    assert.equal(typeof release(), 'boolean');
  });
});

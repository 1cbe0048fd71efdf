// A runner without a workspace queue (an in-process LocalLambda) keeps Event invocations in memory while they wait
// for a slot. Closing it must not run them, nor start a process for them after its own processes are stopped.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseFunction } from '../../runner/functions/model.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { isAlive, readRecords, removeTemps, tempDir, waitFor } from './support/runner.ts';

after(() => removeTemps());

test('close() with Event invocations waiting: they do not run, they are answered, and no process outlives the runner', async () => {
  const dir = tempDir('event-close');
  const records = join(tempDir('event-close-records'), 'records.jsonl');
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src', 'app.mjs'),
    `import { appendFileSync } from 'node:fs';
export const handler = async (event) => {
  appendFileSync(process.env.RECORD_FILE, JSON.stringify({ id: event.id, pid: process.pid }) + '\\n');
  await new Promise((r) => setTimeout(r, event.sleepMs ?? 0));
  return { ok: true };
};
`,
  );
  const lambda = new LocalLambda({ hotReload: false });
  lambda.setFunctions([
    parseFunction(
      {
        name: 'One',
        runtime: 'nodejs22.x',
        handler: 'app.handler',
        codeUri: join(dir, 'src'),
        environment: { RECORD_FILE: records },
        concurrency: 1,
        timeout: 30,
      },
      'test',
    ),
  ]);
  await lambda.listen();
  const running = lambda.invoke('One', Buffer.from(JSON.stringify({ id: 'running', sleepMs: 5000 })), { queue: true });
  await waitFor('the first event to start', () => readRecords(records).length === 1, 20_000);
  const waiting = lambda.invoke('One', Buffer.from(JSON.stringify({ id: 'waiting' })), { queue: true });
  await lambda.close();
  const { outcome } = await waiting.completed;
  assert.equal(outcome.ok, false);
  assert.equal(outcome.ok ? '' : outcome.errorType, 'ServiceException');
  assert.match(outcome.body.toString('utf8'), /The runner shut down before this queued event could run/);
  await running.completed;
  await sleep(1000);
  const seen = readRecords(records);
  assert.deepEqual(
    seen.map((r) => r.id),
    ['running'],
    'the waiting event never ran',
  );
  for (const { pid } of seen) assert.equal(isAlive(pid), false, `function process ${pid} is gone`);
});

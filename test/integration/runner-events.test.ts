// The runner's events (LocalLambda.subscribe): a listener may take only the kinds it reads (the gateway and the ALB
// take `functions-changed`, the CLI's log printers `log`), and an event no listener takes is not built at all, so
// that an invoke with nobody watching (`start --quiet`) formats no log events and no invoke result. A real Node
// function (the project's runtime client) that logs a line per invoke.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { parseFunction } from '../../runner/functions/model.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';
import type { RunnerEvent } from '../../runner/protocol.ts';
import { assertBuilt, removeTemps, tempDir } from './support/runner.ts';

let lambda: LocalLambda;

before(() => {
  assertBuilt();
  const dir = tempDir('or-events-');
  const code = join(dir, 'fn');
  mkdirSync(code);
  writeFileSync(join(code, 'index.mjs'), `export const handler = async (event) => { console.log('seen', event.n); return { n: event.n }; };\n`);
  lambda = new LocalLambda({ hotReload: false });
  lambda.setFunctions([parseFunction({ name: 'Logs', runtime: 'nodejs22.x', handler: 'index.handler', codeUri: code, timeout: 10 }, 'test')]);
});

after(async () => {
  await lambda.close();
  removeTemps();
});

async function invoke(n: number): Promise<void> {
  const inv = lambda.invoke('Logs', Buffer.from(JSON.stringify({ n })));
  const { outcome } = await inv.completed;
  assert.equal(outcome.body.toString('utf8'), JSON.stringify({ n }));
}

test('a listener of some kinds gets only those; one of every kind gets them all', async () => {
  const all: RunnerEvent[] = [];
  const logs: RunnerEvent[] = [];
  const changes: RunnerEvent[] = [];
  const stopAll = lambda.subscribe((e) => all.push(e));
  const stopLogs = lambda.subscribe((e) => logs.push(e), ['log']);
  const stopChanges = lambda.subscribe((e) => changes.push(e), ['functions-changed']);
  await invoke(1);
  await invoke(2);
  assert.deepEqual(new Set(logs.map((e) => e.type)), new Set(['log']));
  assert.equal(changes.length, 0);
  const lines = logs.map((e) => (e.type === 'log' ? e.line : ''));
  assert.ok(
    lines.some((line) => /\tINFO\tseen 2$/.test(line)),
    lines.join('\n'),
  );
  assert.ok(lines.some((line) => line.startsWith('REPORT RequestId: ')));
  for (const kind of ['log', 'invoke-start', 'invoke-end'] as const)
    assert.ok(
      all.some((e) => e.type === kind),
      `every-kind listener got ${kind}`,
    );
  assert.equal(all.filter((e) => e.type === 'log').length, logs.length);
  lambda.emit({ type: 'functions-changed' });
  assert.equal(changes.length, 1);
  stopAll();
  stopLogs();
  stopChanges();
});

test('an event kind nobody takes is not wanted; ending a subscription ends it', () => {
  assert.equal(lambda.wants('log'), false);
  assert.equal(lambda.wants('invoke-end'), false);
  const stop = lambda.subscribe(() => undefined, ['functions-changed']);
  assert.equal(lambda.wants('functions-changed'), true);
  assert.equal(lambda.wants('invoke-end'), false);
  stop();
  stop(); // twice is harmless
  assert.equal(lambda.wants('functions-changed'), false);
  const every = lambda.subscribe(() => undefined);
  assert.equal(lambda.wants('invoke-end'), true);
  every();
  assert.equal(lambda.wants('invoke-end'), false);
});

test('with only a functions-changed listener, invokes still answer and complete with their logs', async () => {
  const stop = lambda.subscribe(() => undefined, ['functions-changed']);
  const inv = lambda.invoke('Logs', Buffer.from('{"n":3}'));
  const { outcome, logs, report } = await inv.completed;
  assert.equal(outcome.body.toString('utf8'), '{"n":3}');
  assert.ok(logs.some((line) => /\tINFO\tseen 3$/.test(line)));
  assert.ok(logs.some((line) => line.startsWith('REPORT RequestId: ')));
  assert.ok(report.maxMemoryUsedMB > 0);
  stop();
});

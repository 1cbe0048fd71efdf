// The chain analysis in a worker thread (what the runner's control route uses): the same report as in-process,
// requests for the same file coalesced while the worker is busy, and a clean close.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { createChainAnalyzer } from '../../runner/analysis/in-worker.ts';

const CHAINS = resolve(import.meta.dirname, '..', 'fixtures', 'chains');

test('the worker answers ChainReports; queued requests for one file get the latest text', async () => {
  const analyzer = createChainAnalyzer();
  try {
    const order = await analyzer.analyze(join(CHAINS, 'order.ts'));
    assert.deepEqual(
      order.chains.map((c) => c.name),
      ['errorsFirst', 'validatesText', 'normalizesLate', 'wellOrdered'],
    );
    const file = join(CHAINS, 'http-basic.ts');
    const text = readFileSync(file, 'utf8');
    const busy = analyzer.analyze(join(CHAINS, 'parser.ts'));
    const first = analyzer.analyze(file, { text: text.replace('.use(httpErrorHandler())', '') });
    const latest = analyzer.analyze(file, { text });
    const [, a, b] = await Promise.all([busy, first, latest]);
    // Both callers got the analysis of the latest text: the chain with httpErrorHandler.
    assert.deepEqual(
      a.chains[0]!.steps.map((s) => s.middleware),
      ['middy', 'httpJsonBodyParser', 'httpErrorHandler', 'base'],
    );
    assert.deepEqual(b, a);
  } finally {
    await analyzer.close();
  }
  await assert.rejects(analyzer.analyze(join(CHAINS, 'order.ts')), /closed/);
});

test('the worker warms a workspace with @middy/core ahead of the first analysis, and skips one without', async () => {
  const { tmpdir } = await import('node:os');
  const analyzer = createChainAnalyzer();
  try {
    const warm = await analyzer.warm([CHAINS, tmpdir()]);
    assert.deepEqual(warm.warmed, [CHAINS]);
    assert.ok(warm.durationMs > 0);
    const report = await analyzer.analyze(join(CHAINS, 'http-basic.ts'));
    assert.deepEqual(
      report.chains[0]!.steps.map((s) => s.middleware),
      ['middy', 'httpJsonBodyParser', 'httpErrorHandler', 'base'],
    );
    // The warm-up's own virtual file is never reported as a problem or a chain.
    assert.deepEqual(report.problems, []);
  } finally {
    await analyzer.close();
  }
});

test('the analysis thread runs at the lowest priority (Linux: per thread), the rest of the process at its own', {
  skip: process.platform !== 'linux' && 'nice values are per thread on Linux only',
}, async () => {
  const { readdirSync } = await import('node:fs');
  /** Each thread of this process: its name and nice value (/proc/self/task/<tid>/stat, the 19th field). */
  const threads = () =>
    readdirSync('/proc/self/task').map((tid) => {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { tid: Number(tid), name: readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim(), nice: Number(fields[16]) };
    });
  const before = new Set(threads().map((t) => t.tid));
  const analyzer = createChainAnalyzer();
  try {
    await analyzer.analyze(join(CHAINS, 'order.ts'));
    const added = threads().filter((t) => !before.has(t.tid));
    const worker = added.filter((t) => t.name === 'WorkerThread');
    assert.equal(worker.length, 1, `one worker thread was started: ${JSON.stringify(added)}`);
    assert.equal(worker[0]!.nice, 19, 'the analysis thread is niced');
    assert.equal(threads().find((t) => t.tid === process.pid)!.nice, 0, "the process's main thread keeps its priority");
  } finally {
    await analyzer.close();
  }
});

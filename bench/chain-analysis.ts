// node bench/chain-analysis.ts: figures for the Middy chain analysis, one JSON line each on stdout
// ({"metric","value","unit","client"}, as bench/run.ts prints); progress on stderr.
// Speed is measured on a 200-line file with a 6-middleware chain (test/fixtures/chain-bench/orders-api.ts) under a
// realistic tsconfig (strict, types: ["node"], lib with DOM): "first analysis after the runner starts" is a fresh
// process that, as the editor's sidecar does, starts the analysis worker and warms it, then analyses the file (the
// warm-up's own time is printed too); "cold" is the same without the warm-up; "per edit" is the p50 of 20 analyses
// of edited text. Wall times depend on the machine's load (printed); the CPU times of the analysing thread do less.
// Quality is the corpus of test/fixtures/chain-corpus: recall (planted bugs reported) and false-positive rate
// (correct handlers with a warning or an error).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { analyzeChains, analyzeChainsSync } from '../runner/analysis/index.ts';
import { warmUp } from '../runner/analysis/program.ts';
import { scoreCorpus } from '../test/fixtures/chain-corpus/score.ts';

const ROOT = join(import.meta.dirname, '..');
const FILE = join(ROOT, 'test', 'fixtures', 'chain-bench', 'orders-api.ts');
const CLIENT = 'typescript 6 checker, realistic tsconfig';

function emit(metric: string, value: number, unit: 'ms' | '%' | 'count', client = CLIENT): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const threadCpuMs = () => {
  const u = process.threadCpuUsage();
  return (u.user + u.system) / 1000;
};

/** A fresh process: the runner's worker, warmed (or not) as the sidecar does at start, then the first analysis. */
function firstAnalysis(warm: boolean): { warmMs: number; firstMs: number } {
  const script = `
    import { createChainAnalyzer } from ${JSON.stringify(join(ROOT, 'runner', 'analysis', 'in-worker.ts'))};
    const analyzer = createChainAnalyzer();
    let started = performance.now();
    if (${warm}) await analyzer.warm([${JSON.stringify(dirname(FILE))}]);
    const warmMs = performance.now() - started;
    started = performance.now();
    const report = await analyzer.analyze(${JSON.stringify(FILE)});
    const firstMs = performance.now() - started;
    if (report.chains[0]?.steps.length !== 8) throw new Error('unexpected analysis');
    await analyzer.close();
    process.stdout.write(JSON.stringify({ warmMs, firstMs }));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`first analysis failed: ${run.stderr}`);
  return JSON.parse(run.stdout) as { warmMs: number; firstMs: number };
}

function speed(): void {
  emit('load average (1 min) at the start of the chain analysis bench', loadavg()[0]!, 'count', 'machine');
  const warmed = Array.from({ length: 3 }, () => firstAnalysis(true));
  emit('chain analysis warm-up at runner start, 200-line file with 6 middlewares (median of 3 fresh processes)', median(warmed.map((r) => r.warmMs)), 'ms');
  emit('chain analysis, first after the runner starts (warmed), 200-line file with 6 middlewares (median of 3)', median(warmed.map((r) => r.firstMs)), 'ms');
  const cold = Array.from({ length: 3 }, () => firstAnalysis(false));
  emit('chain analysis, cold without warm-up, 200-line file with 6 middlewares (median of 3)', median(cold.map((r) => r.firstMs)), 'ms');

  // In this process, to read the analysing thread's CPU time as well as the wall time.
  let cpu = threadCpuMs();
  warmUp(dirname(FILE));
  emit('chain analysis warm-up, CPU time', threadCpuMs() - cpu, 'ms');
  cpu = threadCpuMs();
  analyzeChainsSync(FILE);
  emit('chain analysis, first after warm-up, CPU time', threadCpuMs() - cpu, 'ms');
  const text = readFileSync(FILE, 'utf8');
  const walls: number[] = [];
  const cpus: number[] = [];
  for (let i = 0; i < 20; i++) {
    // A real edit inside the handler file: a new line in the handler's body, so the file is parsed and checked again.
    const edited = text.replace(
      'const order = toOrder(request, new Date());',
      `const order = toOrder(request, new Date());\n  const edit${i} = order.lines.length + ${i};`,
    );
    cpu = threadCpuMs();
    const started = performance.now();
    analyzeChainsSync(FILE, { text: edited });
    walls.push(performance.now() - started);
    cpus.push(threadCpuMs() - cpu);
  }
  emit('chain analysis per edit, p50 of 20', median(walls), 'ms');
  emit('chain analysis per edit, p50 of 20, CPU time', median(cpus), 'ms');
  emit('load average (1 min) at the end of the chain analysis bench', loadavg()[0]!, 'count', 'machine');
}

async function quality(): Promise<void> {
  const score = await scoreCorpus((file) => analyzeChains(file));
  process.stderr.write(
    `corpus: ${score.buggy} buggy, ${score.correct} correct handlers; missed ${score.missed.length}, false alarms ${score.falseAlarms.length}\n`,
  );
  emit(`chain analysis recall on the corpus (${score.buggy} buggy handlers)`, score.recall * 100, '%', 'open-runtime chain');
  emit(`chain analysis false-positive rate on the corpus (${score.correct} correct handlers)`, score.falsePositiveRate * 100, '%', 'open-runtime chain');
}

speed();
await quality();

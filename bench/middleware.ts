// node bench/middleware.ts (after npm run build): figures for runner-level middleware chains and the Middy chain
// analysis, one JSON line each on stdout ({"metric","value","unit","client"}, as bench/run.ts prints); progress on
// stderr. Chain overhead is the p50 of an invoke with the chain minus the p50 of the same function without it,
// through a real LocalLambda with real middleware processes. Analysis "cold" is a fresh process's first analysis
// of a 200-line file with a 6-middleware chain; "after an edit" is the same program reanalysed with changed text.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseFunction } from '../runner/functions/model.ts';
import { LocalLambda } from '../runner/local-lambda.ts';
import { createMiddlewareRunner } from '../runner/middleware/index.ts';
import { analyzeChainsSync } from '../runner/analysis/index.ts';

const ROOT = join(import.meta.dirname, '..');
const BENCH = join(ROOT, 'test', 'fixtures', 'middleware', 'bench');
const CHAIN_FILE = join(ROOT, 'test', 'fixtures', 'chains', 'orders-api.ts');
const INVOKES = Number(process.env.BENCH_INVOKES ?? 300);
const WARMUP = 300;
const ROUNDS = 5;
const CLIENT = 'open-runtime middleware chain';

function emit(metric: string, value: number, unit: 'ms' | 'ops/s', client = CLIENT): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}
const p50 = (sorted: number[]) => sorted[Math.floor(sorted.length / 2)]!;

async function invokeTimes(lambda: LocalLambda, name: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const { outcome } = await lambda.invoke(name, Buffer.from('{"bench":true,"items":[1,2,3]}')).completed;
    times.push(performance.now() - started);
    if (!outcome.ok) throw new Error(`${name} failed: ${outcome.body.toString()}`);
  }
  return times.sort((a, b) => a - b);
}

async function chainOverhead(): Promise<void> {
  const fn = (name: string, middlewares: string[]) => parseFunction({ name, runtime: 'nodejs22.x', handler: 'index.handler', codeUri: join(BENCH, 'function'), source: { file: join(BENCH, 'template.yaml'), line: 1 }, middlewares, concurrency: 1 }, 'bench');
  const lambda = new LocalLambda({ hotReload: false });
  const chains = createMiddlewareRunner();
  lambda.setMiddlewareRunner(chains);
  lambda.setFunctions([fn('Bare', []), fn('LongLived3', ['ll-a', 'll-b', 'll-c']), fn('NodeProcess3', ['node-a', 'node-b', 'node-c']), fn('BashProcess3', ['sh-a', 'sh-b', 'sh-c'])]);
  await lambda.listen();
  try {
    // Warm: environments, middleware processes, and the JIT of all three processes (steady state, as a busy
    // function runs). Then rounds that alternate the bare function and the chained one, so that a slower minute
    // on a shared machine weighs on both; the overhead is the median of the rounds' p50 differences.
    for (const name of ['Bare', 'LongLived3']) await invokeTimes(lambda, name, WARMUP);
    const rounds: Array<{ bare: number; chained: number }> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const bare = p50(await invokeTimes(lambda, 'Bare', INVOKES));
      rounds.push({ bare, chained: p50(await invokeTimes(lambda, 'LongLived3', INVOKES)) });
    }
    const median = (values: number[]) => p50([...values].sort((a, b) => a - b));
    const base = median(rounds.map((r) => r.bare));
    const overhead = median(rounds.map((r) => r.chained - r.bare));
    process.stderr.write(`rounds (bare / 3 long-lived p50, ms): ${rounds.map((r) => `${r.bare.toFixed(3)} / ${r.chained.toFixed(3)}`).join(', ')}\n`);
    emit('invoke p50 without middlewares', base, 'ms');
    emit('chain overhead p50, 3 long-lived executable middlewares', overhead, 'ms');
    const perCall = Math.max(10, Math.floor(INVOKES / 10));
    await invokeTimes(lambda, 'BashProcess3', 3);
    const bash = await invokeTimes(lambda, 'BashProcess3', perCall);
    emit('chain overhead p50, 3 per-call bash middlewares', p50(bash) - base, 'ms');
    await invokeTimes(lambda, 'NodeProcess3', 3);
    const node = await invokeTimes(lambda, 'NodeProcess3', perCall);
    emit('chain overhead p50, 3 per-call Node middlewares', p50(node) - base, 'ms');
  } finally {
    await lambda.close();
  }
}

/** A fresh process's first analysis: what opening a file in a new editor session costs. */
function coldAnalysis(): number {
  const script = `import { analyzeChainsSync } from ${JSON.stringify(join(ROOT, 'runner', 'analysis', 'index.ts'))}; const r = analyzeChainsSync(${JSON.stringify(CHAIN_FILE)}); if (r.chains[0]?.steps.length !== 8) throw new Error('unexpected analysis'); process.stdout.write(String(r.durationMs));`;
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`cold analysis failed: ${run.stderr}`);
  return Number(run.stdout);
}

function analysis(): void {
  const cold = Array.from({ length: 3 }, coldAnalysis).sort((a, b) => a - b);
  emit('chain analysis, 200-line file with 6 middlewares, cold (median of 3 fresh processes)', cold[1]!, 'ms', 'typescript 6 checker');
  const text = readFileSync(CHAIN_FILE, 'utf8');
  analyzeChainsSync(CHAIN_FILE);
  const edits: number[] = [];
  for (let i = 0; i < 20; i++) {
    // A real edit inside the handler file: a new line in the handler's body, so the file is parsed and checked again.
    const edited = text.replace("const order = toOrder(request, new Date());", `const order = toOrder(request, new Date());\n  const edit${i} = order.lines.length + ${i};`);
    edits.push(analyzeChainsSync(CHAIN_FILE, { text: edited }).durationMs);
  }
  edits.sort((a, b) => a - b);
  emit('chain analysis after an edit, p50 of 20', p50(edits), 'ms', 'typescript 6 checker');
}

await chainOverhead();
analysis();

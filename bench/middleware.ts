// node bench/middleware.ts (after npm run build): figures for runner-level middleware chains, one JSON line each on
// stdout ({"metric","value","unit","client"}, as bench/run.ts prints); progress on stderr. Chain overhead is the p50
// of an invoke with the chain minus the p50 of the same function without it, through a real LocalLambda with real
// middleware processes. (The Middy chain analysis has its own: bench/chain-analysis.ts.)
// The Open Runtime layer (layer/proxy) is measured under the local runner as Lambda runs it (AWS_LAMBDA_EXEC_WRAPPER,
// the layer at /opt): its per-invoke overhead with no middleware and with 3 long-lived ones, against the same function
// started through a wrapper that only execs (the runtime on HTTP, as behind the proxy) and against the plain function;
// its cold start (the proxy starting a no-op runtime, minus that runtime alone); its size per architecture.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { arch, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLayer } from '../runner/build/layer.ts';
import { parseFunction } from '../runner/functions/model.ts';
import { LocalLambda } from '../runner/local-lambda.ts';
import { createMiddlewareRunner } from '../runner/middleware/index.ts';

const ROOT = join(import.meta.dirname, '..');
const BENCH = join(ROOT, 'test', 'fixtures', 'middleware', 'bench');
const INVOKES = Number(process.env.BENCH_INVOKES ?? 300);
const WARMUP = 300;
const ROUNDS = 5;
const CLIENT = 'open-runtime middleware chain';

function emit(metric: string, value: number, unit: 'ms' | 'ops/s' | 'KiB', client = CLIENT): void {
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
  const fn = (name: string, middlewares: string[]) =>
    parseFunction(
      {
        name,
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        codeUri: join(BENCH, 'function'),
        source: { file: join(BENCH, 'template.yaml'), line: 1 },
        middlewares,
        concurrency: 1,
      },
      'bench',
    );
  const lambda = new LocalLambda({ hotReload: false });
  const chains = createMiddlewareRunner();
  lambda.setMiddlewareRunner(chains);
  lambda.setFunctions([
    fn('Bare', []),
    fn('LongLived3', ['ll-a', 'll-b', 'll-c']),
    fn('NodeProcess3', ['node-a', 'node-b', 'node-c']),
    fn('BashProcess3', ['sh-a', 'sh-b', 'sh-c']),
  ]);
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

const LAYER_CLIENT = 'open-runtime layer proxy';

async function proxyOverhead(layerDir: string): Promise<void> {
  const fn = (name: string, environment: Record<string, string>, layers: string[] = []) =>
    parseFunction(
      {
        name,
        runtime: 'nodejs22.x',
        handler: 'index.handler',
        codeUri: join(BENCH, 'function'),
        source: { file: join(BENCH, 'template.yaml'), line: 1 },
        environment,
        layers,
        concurrency: 1,
      },
      'bench',
    );
  const proxied = (middlewares: string) => ({ AWS_LAMBDA_EXEC_WRAPPER: '/opt/open-runtime-wrapper', OPEN_RUNTIME_MIDDLEWARES: middlewares });
  const lambda = new LocalLambda({ hotReload: false });
  const names = ['Bare', 'HttpBare', 'ProxyNone', 'ProxyPass', 'Proxy3'] as const;
  lambda.setFunctions([
    fn('Bare', {}),
    fn('HttpBare', { AWS_LAMBDA_EXEC_WRAPPER: join(BENCH, 'plain-wrapper', 'exec-wrapper') }),
    fn('ProxyNone', proxied(''), [layerDir]),
    fn('ProxyPass', proxied('on-error'), [layerDir]),
    fn('Proxy3', proxied('ll-a,ll-b,ll-c'), [layerDir]),
  ]);
  await lambda.listen();
  try {
    for (const name of names) await invokeTimes(lambda, name, WARMUP);
    const rounds: Array<Record<(typeof names)[number], number>> = [];
    for (let r = 0; r < ROUNDS; r++) {
      const round = {} as Record<(typeof names)[number], number>;
      for (const name of names) round[name] = p50(await invokeTimes(lambda, name, INVOKES));
      rounds.push(round);
    }
    const median = (values: number[]) => p50([...values].sort((a, b) => a - b));
    const over = (name: (typeof names)[number], base: (typeof names)[number]) => median(rounds.map((r) => r[name] - r[base]));
    process.stderr.write(`rounds (${names.join(' / ')} p50, ms): ${rounds.map((r) => names.map((n) => r[n].toFixed(3)).join(' / ')).join(', ')}\n`);
    emit(
      'layer invoke p50 overhead, no middleware configured (the proxy execs the runtime; vs the runtime on HTTP)',
      over('ProxyNone', 'HttpBare'),
      'ms',
      LAYER_CLIENT,
    );
    emit(
      'layer invoke p50 overhead, proxy in the path, no hook to run (an error-only middleware; vs the runtime on HTTP)',
      over('ProxyPass', 'HttpBare'),
      'ms',
      LAYER_CLIENT,
    );
    emit('layer invoke p50 overhead, 3 long-lived executable middlewares (vs the runtime on HTTP)', over('Proxy3', 'HttpBare'), 'ms', LAYER_CLIENT);
    emit('layer chain cost p50, 3 long-lived executable middlewares (vs the proxy with no hook to run)', over('Proxy3', 'ProxyPass'), 'ms', LAYER_CLIENT);
    emit(
      "the runtime on HTTP vs the runner's direct socket, p50 (what any exec wrapper costs under the local runner)",
      over('HttpBare', 'Bare'),
      'ms',
      LAYER_CLIENT,
    );
    // CPU time, not wall time: what the proxy itself spends per invoke, which a loaded machine does not blur.
    for (const [name, what] of [
      ['ProxyPass', 'no hook to run'],
      ['Proxy3', "3 long-lived middlewares, the proxy's own share"],
    ] as const) {
      const before = proxyCpuNs(layerDir, name);
      await invokeTimes(lambda, name, INVOKES * 2);
      emit(`layer proxy CPU time per invoke, ${what}`, (proxyCpuNs(layerDir, name) - before) / (INVOKES * 2) / 1e6, 'ms', LAYER_CLIENT);
    }
  } finally {
    await lambda.close();
  }
}

/** CPU time (ns, every thread) of the layer's proxy processes serving `functionName`, from /proc/PID/task/TID/schedstat. */
function proxyCpuNs(layerDir: string, functionName: string): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const exe = readlinkSync(`/proc/${pid}/exe`);
      if (!exe.endsWith('/open-runtime-wrapper')) continue;
      const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      if (!env.includes(`AWS_LAMBDA_FUNCTION_NAME=${functionName}`)) continue;
      for (const tid of readdirSync(`/proc/${pid}/task`)) total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // gone, or not ours to read
    }
  }
  if (!total) throw new Error(`no open-runtime-proxy process of ${functionName} (layer ${layerDir}) was found in /proc`);
  return total;
}

/**
 * Cold start: the layer's wrapper starting a no-op runtime (/bin/true), minus that runtime alone. With no middleware
 * the proxy execs the runtime; with a chain it resolves it, listens on 127.0.0.1 and starts the runtime as its child.
 */
function proxyColdStart(layerDir: string): void {
  const wrapper = join(layerDir, 'open-runtime-wrapper');
  const base = { ...process.env, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9', LAMBDA_TASK_ROOT: layerDir };
  const time = (command: string, args: string[], env: NodeJS.ProcessEnv) => {
    const started = performance.now();
    const run = spawnSync(command, args, { env });
    if (run.status !== 0) throw new Error(`${command} failed: ${run.stderr}`);
    return performance.now() - started;
  };
  const runs = 40;
  const cases = { alone: { ...base }, none: { ...base, OPEN_RUNTIME_MIDDLEWARES: '' }, chain: { ...base, OPEN_RUNTIME_MIDDLEWARES: 'on-error' } };
  for (let i = 0; i < 5; i++) time(wrapper, ['/bin/true'], cases.chain);
  const times = { alone: [] as number[], none: [] as number[], chain: [] as number[] };
  for (let i = 0; i < runs; i++) {
    times.alone.push(time('/bin/true', [], cases.alone));
    times.none.push(time(wrapper, ['/bin/true'], cases.none));
    times.chain.push(time(wrapper, ['/bin/true'], cases.chain));
  }
  const alone = p50(times.alone.sort((a, b) => a - b));
  emit(`layer cold start p50, no middleware (wrapper + proxy exec; ${runs} runs)`, p50(times.none.sort((a, b) => a - b)) - alone, 'ms', LAYER_CLIENT);
  emit(
    `layer cold start p50, with a chain (wrapper + proxy: resolve, listen on 127.0.0.1, start the runtime; ${runs} runs)`,
    p50(times.chain.sort((a, b) => a - b)) - alone,
    'ms',
    LAYER_CLIENT,
  );
}

async function layer(): Promise<void> {
  const out = mkdtempSync(join(tmpdir(), 'or-bench-layer-'));
  try {
    const host = arch() === 'arm64' ? 'arm64' : 'x86_64';
    for (const architecture of ['x86_64', 'arm64'] as const) {
      const built = await buildLayer(architecture, { out, middlewares: join(BENCH, 'middlewares') });
      emit(`layer proxy binary size, ${architecture} (static, stripped)`, built.proxyBytes / 1024, 'KiB', LAYER_CLIENT);
      emit(`layer zip size, ${architecture}`, built.zipBytes / 1024, 'KiB', LAYER_CLIENT);
    }
    const layerDir = join(out, host, 'layer');
    proxyColdStart(layerDir);
    await proxyOverhead(layerDir);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

// `node bench/middleware.ts layer`: the layer's figures only.
if (process.argv[2] !== 'layer') {
  await chainOverhead();
}
await layer();

// WASI component figures, one JSON line each on stdout ({"metric","value","unit","client"}), progress on stderr:
// per-invocation latency with a fresh instance (p50/p99) for the C, QuickJS and StarlingMonkey examples, with
// a reused instance for C, and the requests/s a wasi:http component serves through the Invoke API.
// Latency is from LocalLambda.invoke() to the answer: the pool's queue, the worker round trip, instantiation
// and the call. The components are the examples, built from source (incrementally) first.
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLambda } from '../runner/local-lambda.ts';
import { handleInvokeApi } from '../runner/invoke/invoke-api.ts';
import { loadTemplate } from '../runner/functions/template.ts';
import type { FunctionSpec } from '../runner/functions/model.ts';
import { buildComponent } from '../runner/build/components.ts';
import { createComponentRunner } from '../runner/runtimes/wasi/index.ts';

const ROOT = join(import.meta.dirname, '..');
const EXAMPLES = join(ROOT, 'examples');
const COUNT = Number(process.env.BENCH_WASI_INVOKES ?? 1000);
// Enough warm-up for the runner's own code to be optimised, as it is in a long-running runner.
const WARMUP = 200;

function emit(metric: string, value: number, unit: 'ms' | 'ops/s', client: string): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const { functions } = await loadTemplate(join(EXAMPLES, 'template.yaml'));
const example = (name: string): FunctionSpec => {
  const fn = functions.find((f) => f.name === name);
  if (!fn) throw new Error(`${name} is missing from examples/template.yaml`);
  return fn;
};
const helloJs = example('HelloComponentJs');
const subjects: Array<{ fn: FunctionSpec; client: string }> = [
  { fn: example('HelloComponentC'), client: 'C component (clang wasm32-wasi)' },
  {
    fn: { ...helloJs, name: 'HelloComponentQuickJs', handler: 'build/hello-quickjs.wasm', component: { ...helloJs.component!, build: { ...helloJs.component!.build!, backend: 'quickjs' } } },
    client: 'JS component (QuickJS)',
  },
  { fn: helloJs, client: 'JS component (StarlingMonkey)' },
];
const reusedC = { ...example('HelloComponentC'), name: 'HelloComponentCReused', component: { ...example('HelloComponentC').component!, reuseInstance: true } };
const http = example('HttpComponentJs');

for (const fn of [...subjects.map((s) => s.fn), http]) {
  process.stderr.write(`bench: building ${fn.name}\n`);
  await buildComponent(fn, { log: (line) => process.stderr.write(`  ${line}\n`) });
}

const cacheDir = mkdtempSync(join(tmpdir(), 'or-bench-wasi-'));
const workers = availableParallelism();
const agent = new Agent({ keepAlive: true, maxSockets: 16 });
const helloEvent = Buffer.from(readFileSync(join(EXAMPLES, 'components', 'events', 'hello.json')));
const httpEvent = readFileSync(join(EXAMPLES, 'components', 'events', 'http-get.json'), 'utf8');

/** Each measurement gets a runner of its own: no worker carries another component's garbage into it. */
async function withRunner<T>(fns: FunctionSpec[], measure: (lambda: LocalLambda) => Promise<T>): Promise<T> {
  const lambda = new LocalLambda({ hotReload: false });
  lambda.setComponentRunner(createComponentRunner({ cacheDir, workers }));
  lambda.setFunctions(fns);
  lambda.routeMain((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    if (!handleInvokeApi(lambda, req, res, url.pathname, url.searchParams)) res.writeHead(404).end();
  });
  await lambda.listen();
  try {
    return await measure(lambda);
  } finally {
    await lambda.close();
  }
}

async function invokeOnce(lambda: LocalLambda, name: string): Promise<number> {
  const start = performance.now();
  const outcome = await lambda.invoke(name, helloEvent).settled;
  const ms = performance.now() - start;
  if (!outcome.ok) throw new Error(`${name} failed: ${outcome.body.toString()}`);
  return ms;
}

async function latencies(fn: FunctionSpec, count: number): Promise<number[]> {
  return withRunner([fn], async (lambda) => {
    for (let i = 0; i < WARMUP; i++) await invokeOnce(lambda, fn.name);
    const times: number[] = [];
    for (let i = 0; i < count; i++) times.push(await invokeOnce(lambda, fn.name));
    return times.sort((a, b) => a - b);
  });
}

function invokeApi(lambda: LocalLambda, name: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: lambda.port, method: 'POST', path: `/2015-03-31/functions/${name}/invocations`, agent, headers: { 'Content-Length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 && !res.headers['x-amz-function-error'] ? resolve() : reject(new Error(`${name} answered ${res.statusCode}: ${text}`))));
    });
    req.on('error', reject);
    req.end(body);
  });
}

try {
  for (const { fn, client } of subjects) {
    const count = client.includes('StarlingMonkey') ? Math.min(COUNT, 300) : COUNT;
    process.stderr.write(`bench: ${count} invocations of ${fn.name}, a fresh instance each\n`);
    const times = await latencies(fn, count);
    emit('wasi_fresh_instance_p50', percentile(times, 50), 'ms', client);
    emit('wasi_fresh_instance_p99', percentile(times, 99), 'ms', client);
  }

  process.stderr.write(`bench: ${COUNT} invocations of ${reusedC.name}, one reused instance\n`);
  const reused = await latencies(reusedC, COUNT);
  emit('wasi_reused_instance_p50', percentile(reused, 50), 'ms', subjects[0]!.client);
  emit('wasi_reused_instance_p99', percentile(reused, 99), 'ms', subjects[0]!.client);

  // wasi:http through the Invoke API: two callers per worker keep every worker busy.
  const requests = Math.min(COUNT, 300);
  const callers = workers * 2;
  const rate = await withRunner([{ ...http, concurrency: 100 }], async (lambda) => {
    for (let i = 0; i < 30; i++) await invokeApi(lambda, http.name, httpEvent);
    process.stderr.write(`bench: ${requests} wasi:http requests from ${callers} concurrent callers through the Invoke API\n`);
    let next = 0;
    const start = performance.now();
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (next++ < requests) await invokeApi(lambda, http.name, httpEvent);
      }),
    );
    return requests / ((performance.now() - start) / 1000);
  });
  emit('wasi_http_throughput', rate, 'ops/s', `JS wasi:http component (StarlingMonkey), ${workers} workers, Invoke API`);
} finally {
  agent.destroy();
  rmSync(cacheDir, { recursive: true, force: true });
}

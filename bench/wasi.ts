// WASI component figures, one JSON line each on stdout ({"metric","value","unit","client"}), progress on stderr:
// per-invocation latency with a fresh instance (p50/p99) for the C, QuickJS and StarlingMonkey examples, with
// a reused instance for C, the requests/s a wasi:http component serves through the Invoke API, and key-value
// set+get round trips from a component (issue 20) with the built-in SQLite provider and the long-lived Python one.
// Latency is from LocalLambda.invoke() to the answer: the pool's queue, the worker round trip, instantiation
// and the call. The components are the examples, built from source (incrementally) first.
import { Agent, request } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLambda } from '../runner/local-lambda.ts';
import { handleInvokeApi } from '../runner/invoke/invoke-api.ts';
import { loadTemplate } from '../runner/functions/template.ts';
import { FunctionSpec } from '../runner/functions/model.ts';
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
    fn: {
      ...helloJs,
      name: 'HelloComponentQuickJs',
      handler: 'build/hello-quickjs.wasm',
      component: { ...helloJs.component!, build: { ...helloJs.component!.build!, backend: 'quickjs' } },
    },
    client: 'JS component (QuickJS)',
  },
  { fn: helloJs, client: 'JS component (StarlingMonkey)' },
];
const reusedC = { ...example('HelloComponentC'), name: 'HelloComponentCReused', component: { ...example('HelloComponentC').component!, reuseInstance: true } };
const http = example('HttpComponentJs');

// Key-value round trips: the C example KvCounterC ({"bench": N} times N set+get pairs with the WASI monotonic
// clock) with the built-in store and, unchanged, with the long-lived Python provider; and the test suite's ops
// component in StarlingMonkey, whose interpreted JS glue costs more than the host path. Stores go to a temporary
// project folder.
const kvProject = mkdtempSync(join(tmpdir(), 'or-bench-kv-'));
const kvCounterC = example('KvCounterC');
const pythonProvider = { default: { provider: 'exec' as const, command: ['python3', join(EXAMPLES, 'providers', 'kv_provider.py')], timeoutMs: 5000 } };
const inProject = (fn: FunctionSpec): FunctionSpec => ({ ...fn, timeout: 60, source: { file: join(kvProject, 'template.yaml'), line: 1 } });
const opsJs = FunctionSpec.parse({
  name: 'KvOpsJs',
  runtime: 'wasi',
  handler: 'build/ops.wasm',
  codeUri: join(ROOT, 'test', 'fixtures', 'components', 'kv-ops'),
  component: { keyValue: { default: { provider: 'local' } }, config: { values: {} }, messaging: { subjects: {} }, build: { language: 'js', source: 'ops.js' } },
});
const kvSubjects: Array<{ fn: FunctionSpec; event: (count: number) => unknown; times: (body: unknown) => number[]; client: string; bar?: number }> = [
  {
    fn: inProject(kvCounterC),
    event: (count) => ({ bench: count }),
    times: (body) => body as number[],
    client: 'C component, built-in SQLite provider',
    bar: 0.1,
  },
  {
    fn: inProject({ ...kvCounterC, name: 'KvCounterCPython', component: { ...kvCounterC.component!, keyValue: pythonProvider } }),
    event: (count) => ({ bench: count }),
    times: (body) => body as number[],
    client: 'C component, executable provider (Python, long-lived)',
    bar: 0.5,
  },
  {
    fn: inProject(opsJs),
    event: (count) => ({ ops: [{ op: 'round-trips', count }] }),
    times: (body) => (body as Array<{ ok: number[] }>)[0]!.ok,
    client: 'JS component (StarlingMonkey), built-in SQLite provider',
  },
];

// BENCH_WASI_ONLY=keyvalue: only the key-value figures (the rest builds and times every example).
const keyValueOnly = process.env.BENCH_WASI_ONLY === 'keyvalue';
for (const fn of [...(keyValueOnly ? [] : [...subjects.map((s) => s.fn), http]), kvCounterC, opsJs]) {
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
    const req = request(
      {
        host: '127.0.0.1',
        port: lambda.port,
        method: 'POST',
        path: `/2015-03-31/functions/${name}/invocations`,
        agent,
        headers: { 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          res.statusCode === 200 && !res.headers['x-amz-function-error'] ? resolve() : reject(new Error(`${name} answered ${res.statusCode}: ${text}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The examples' figures: fresh and reused instances, and wasi:http through the Invoke API. */
async function exampleFigures(): Promise<void> {
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
}

try {
  if (!keyValueOnly) await exampleFigures();
  // Key-value: set+get pairs timed inside the component around the two imports, so the figure is the round trip
  // from guest code to the provider and back, twice (a pair); the invocation's own overhead is not in it.
  const pairs = Math.max(500, Math.min(COUNT * 3, 6000));
  for (const { fn, event, times: timesOf, client, bar } of kvSubjects) {
    process.stderr.write(`bench: ${pairs} key-value set+get pairs from ${fn.name}\n`);
    const times = await withRunner([fn], async (lambda) => {
      const run = async (count: number) => {
        const outcome = await lambda.invoke(fn.name, Buffer.from(JSON.stringify(event(count)))).settled;
        if (!outcome.ok) throw new Error(`${fn.name} failed: ${outcome.body.toString()}`);
        return timesOf(JSON.parse(outcome.body.toString()));
      };
      await run(300);
      const micros: number[] = [];
      for (let done = 0; done < pairs; done += 1000) micros.push(...(await run(Math.min(1000, pairs - done))));
      return micros.map((us) => us / 1000).sort((a, b) => a - b);
    });
    const p50 = percentile(times, 50);
    emit('wasi_keyvalue_set_get_p50', p50, 'ms', client);
    emit('wasi_keyvalue_set_get_p99', percentile(times, 99), 'ms', client);
    process.stderr.write(
      `bench: ${client}: set+get pair p50 ${p50.toFixed(3)} ms${bar ? ` (bar ${bar} ms per round trip: ${p50 <= bar ? 'met' : 'NOT met'})` : ''}\n`,
    );
  }
} finally {
  agent.destroy();
  rmSync(cacheDir, { recursive: true, force: true });
  rmSync(kvProject, { recursive: true, force: true });
}

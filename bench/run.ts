// npm run bench: figures, one JSON line each on stdout ({"metric","value","unit","client"}); progress on stderr.
// The runner runs as its own process (`open-runtime serve`), the caller is this process with a keep-alive
// connection, exactly as the AWS SDK or CLI would call it.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { CONTROL_PREFIX, ReadyLine, RUNNER_ENV, RUNNER_NODE_FLAGS, RunnerStatus } from '../runner/protocol.ts';

const ROOT = join(import.meta.dirname, '..');
const SEQUENTIAL = Number(process.env.BENCH_INVOKES ?? 500);
// Warm means steady state: the runner's and the runtime's JIT have settled (a few hundred invokes), as in a function
// that serves traffic. The bash bootstrap forks curl per call and has nothing to warm.
const WARMUP = 500;
/** Each client's invokes come in this many rounds, alternating with rounds of bare round trips (its ratio's floor). */
const CLIENT_ROUNDS = 4;

function emit(metric: string, value: number, unit: 'ms' | 'ops/s' | 'MB' | 'x', client: string): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}

const token = randomBytes(16).toString('hex');
// Started as the editor starts its sidecar.
// BENCH_RUNNER: another build's runner.js, for A/B figures from the same run of the same clients.
const runner = spawn(
  process.execPath,
  [
    ...RUNNER_NODE_FLAGS,
    process.env.BENCH_RUNNER ?? join(ROOT, 'dist', 'runner.js'),
    'serve',
    '--quiet',
    '--port',
    '0',
    '--template',
    join(ROOT, 'bench', 'template.yaml'),
  ],
  {
    // No chain-analysis warm-up: the bench's functions (bench/template.yaml) use no Middy; the sidecar would warm it
    // only because this repository's own node_modules holds @middy/core, and that TypeScript program (about 350 MB, the
    // chain view's, kept while the sidecar lives) is not the invoke path's memory this bench's RSS figures are about.
    // A project with Middy pays it in the editor, by design (runner/cli.ts); OPEN_RUNTIME_CHAIN_WARMUP=1 here shows it.
    env: { ...process.env, OPEN_RUNTIME_CHAIN_WARMUP: process.env.OPEN_RUNTIME_CHAIN_WARMUP ?? '0', ...RUNNER_ENV },
    stdio: ['pipe', 'pipe', 'inherit'],
  },
);
runner.stdin!.write(`${token}\n`); // the control token travels on stdin
// What the AWS SDK sends; the runner checks the header's shape, not the signature.
const SIGNED = { Authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0' };
const ready = ReadyLine.parse(JSON.parse(await new Promise<string>((resolve) => createInterface({ input: runner.stdout! }).once('line', resolve))));
const agent = new Agent({ keepAlive: true, maxSockets: 8 });

function post(path: string, body: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: ready.port, method: 'POST', path, agent, headers: { 'Content-Length': Buffer.byteLength(body), ...SIGNED, ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function invoke(fn: string, payload = '{"bench":true}') {
  return post(`/2015-03-31/functions/${fn}/invocations`, payload);
}

async function status(): Promise<RunnerStatus> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: ready.port, path: `${CONTROL_PREFIX}/status`, agent, headers: { Authorization: `Bearer ${token}` } }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve(RunnerStatus.parse(JSON.parse(text))));
    })
      .on('error', reject)
      .end();
  });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function sequential(fn: string, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    const res = await invoke(fn);
    times.push(performance.now() - start);
    if (res.status !== 200) throw new Error(`${fn} answered ${res.status}: ${res.body}`);
  }
  return times.sort((a, b) => a - b);
}

let bare: { port: number; stop(): void } | undefined;
try {
  // The sidecar loads the TypeScript chain analysis's declarations in a worker thread after it starts (cli.ts
  // warmChainAnalysis): seconds of a whole core. On a 2-core machine the figures below would share the other core with
  // it: they are taken once the runner is quiet.
  await runnerQuiet();
  // The physical floor of an invoke: two bare loopback HTTP round trips (caller -> runner, runtime -> runner), each
  // from this caller's keep-alive agent to a server that answers at once, in a process of its own.
  // The machine's speed moves by 2x within minutes here: each client's ratio below is taken to round trips timed
  // between its own rounds (CLIENT_ROUNDS of each, alternating), not to this first figure.
  bare = await bareServer();
  await roundTrips(bare.port, agent, WARMUP);
  const floor = percentile(await roundTrips(bare.port, agent, SEQUENTIAL), 50);
  emit('loopback_round_trip_p50', floor, 'ms', 'bare loopback HTTP');
  // A client that opens a connection per request pays, on the same bare server, a new connection for its /next and
  // another for its answer: the mechanics of its invoke, against the floor its ratio is taken to.
  await roundTrips(bare.port, false, WARMUP);
  const fresh = percentile(await roundTrips(bare.port, false, SEQUENTIAL), 50);
  emit('loopback_new_connection_round_trip_p50', fresh, 'ms', 'bare loopback HTTP, a new connection per request');
  emit(
    'connection_per_request_floor_over_two_round_trips',
    (floor + 2 * fresh) / (2 * floor),
    'x',
    'bare loopback HTTP: one keep-alive + two new-connection round trips',
  );
  // The tail's floor: an invoke's shape (caller -> front -> worker process -> front -> caller) with nothing but the
  // mechanics (bench/bare-relay.ts), timed the same way as the clients below. Its p99 / p50 is what this machine's
  // scheduling gives three processes on its cores, whatever the runner does.
  // And the floor of the two-caller speedup below: the same relay from one caller, then two, alternating.
  const relay = await relayFloor();
  const RELAY = 'bare relay (three processes, nothing but the mechanics)';
  emit('relay_floor_p50', percentile(relay.times, 50), 'ms', RELAY);
  emit('relay_floor_p99', percentile(relay.times, 99), 'ms', RELAY);
  emit('relay_floor_p99_over_p50', percentile(relay.times, 99) / percentile(relay.times, 50), 'x', RELAY);
  emit('relay_floor_2_callers_speedup', relay.speedup, 'x', RELAY);
  // [function, client, the bar on p50 / two round trips]: the project's own clients use the direct socket; the
  // others use the TCP address, keep-alive (2.0) or a new connection per request (3.0). The bash bootstrap forks curl
  // per call: its figures are curl's.
  const clients: Array<[string, string, number | undefined]> = [
    ['NodeClient', 'open-runtime node client', undefined],
    ['PythonClient', 'open-runtime python client', undefined],
    ['AwsLambdaRic', 'aws-lambda-ric', 2],
    ['PythonClientTcp', 'open-runtime python client on TCP', 2],
    ['KeepAliveClient', 'keep-alive client on TCP', 2],
    ['PerRequestClient', 'connection-per-request chunked client on TCP', 3],
    ['ProvidedBootstrap', 'provided bash+curl bootstrap', undefined],
  ];
  for (const [fn, client, bar] of clients) {
    const first = await invoke(fn);
    if (first.status !== 200 || first.body.includes('errorType')) throw new Error(`${fn} does not work: ${first.body}`);
    await sequential(fn, fn === 'ProvidedBootstrap' ? 30 : WARMUP);
    const count = fn === 'ProvidedBootstrap' ? Math.min(SEQUENTIAL, 100) : SEQUENTIAL;
    process.stderr.write(`bench: ${count} sequential warm invokes of ${fn}\n`);
    // The function's process (the runtime client and its handler): the bash bootstrap's curl runs in processes of its own.
    const fnPid = (await status()).environments.find((e) => e.function === fn)?.pid;
    // Rounds of the client's invokes, each after a round of bare round trips: both sets of times from the same minutes.
    const times: number[] = [];
    const beside: number[] = [];
    const cpu = { runner: 0, main: 0, fn: 0, caller: 0 };
    for (let round = 0; round < CLIENT_ROUNDS; round++) {
      beside.push(...(await roundTrips(bare.port, agent, SEQUENTIAL / CLIENT_ROUNDS)));
      const callerBefore = cpuNs(process.pid);
      const cpuBefore = cpuNs(ready.pid);
      const mainBefore = threadCpuNs(ready.pid, ready.pid);
      const fnBefore = fnPid === undefined ? 0 : cpuNs(fnPid);
      times.push(...(await sequential(fn, count / CLIENT_ROUNDS)));
      cpu.runner += cpuNs(ready.pid) - cpuBefore;
      cpu.main += threadCpuNs(ready.pid, ready.pid) - mainBefore;
      if (fnPid !== undefined) cpu.fn += cpuNs(fnPid) - fnBefore;
      cpu.caller += cpuNs(process.pid) - callerBefore;
    }
    times.sort((a, b) => a - b);
    beside.sort((a, b) => a - b);
    // The runner's CPU per invoke, from the kernel's accounting: unlike the times, it barely moves on a busy machine.
    emit('runner_cpu_per_invoke', cpu.runner / count / 1e6, 'ms', client);
    // Its main thread alone: the one that serves invokes (the others compile, and analyse the functions' code).
    emit('runner_main_thread_cpu_per_invoke', cpu.main / count / 1e6, 'ms', client);
    if (fnPid !== undefined && fn !== 'ProvidedBootstrap') emit('function_process_cpu_per_invoke', cpu.fn / count / 1e6, 'ms', client);
    // This process's own (node:http's keep-alive client, the same code in every run): a reading of the machine's speed
    // beside the others, since what one invoke costs every process here moves with it.
    emit('caller_cpu_per_invoke', cpu.caller / count / 1e6, 'ms', client);
    const p50 = percentile(times, 50);
    emit('warm_invoke_p50', p50, 'ms', client);
    emit('warm_invoke_p99', percentile(times, 99), 'ms', client);
    emit('warm_invoke_p99_over_p50 (bar 3)', percentile(times, 99) / p50, 'x', client);
    emit('loopback_round_trip_p50_beside', percentile(beside, 50), 'ms', `bare loopback HTTP, between the rounds of ${client}`);
    emit(`warm_invoke_p50_over_two_round_trips${bar ? ` (bar ${bar})` : ''}`, p50 / (2 * percentile(beside, 50)), 'x', client);
  }
  bare.stop();

  // Throughput: the same number of invokes from one caller, then from two concurrent callers (two environments,
  // both warmed first). Five rounds of a second or so each alternate the two, so that a slower moment of a shared
  // machine weighs on both; each figure is the median of the rounds.
  // Where the CPU of the two-caller rounds goes: the runner's main thread and this caller each serve both callers one
  // request at a time, so their share of an invoke bounds the speedup (two requests queue there), whatever the cores.
  const nodeEnvironments = async () => (await status()).environments.filter((e) => e.function === 'NodeClient' && e.pid !== undefined).map((e) => e.pid!);
  let environmentPids: number[] = [];
  const stageCpu = () => ({
    runnerMain: threadCpuNs(ready.pid, ready.pid),
    functions: environmentPids.reduce((sum, pid) => sum + cpuNs(pid), 0),
    caller: cpuNs(process.pid),
  });
  const stages = { runnerMain: 0, functions: 0, caller: 0, wallMs: 0, invokes: 0 };
  const rounds = await callerRounds(
    (count) => sequential('NodeClient', count),
    async (callers, measure) => {
      if (callers !== 2) return measure();
      if (environmentPids.length < 2) environmentPids = await nodeEnvironments();
      const before = stageCpu();
      const result = await measure();
      const after = stageCpu();
      for (const stage of ['runnerMain', 'functions', 'caller'] as const) stages[stage] += after[stage] - before[stage];
      stages.wallMs += result.ms;
      stages.invokes += result.calls;
      return result;
    },
  );
  const sequentialRate = median(rounds.map((r) => r[0]));
  const concurrentRate = median(rounds.map((r) => r[1]));
  emit('throughput_1_caller', sequentialRate, 'ops/s', 'open-runtime node client');
  emit('throughput_2_callers', concurrentRate, 'ops/s', 'open-runtime node client');
  emit('throughput_2_callers_speedup', median(rounds.map(([one, two]) => two / one)), 'x', 'open-runtime node client');
  if (stages.invokes > 0) {
    const perInvoke = (ns: number) => ns / stages.invokes / 1e6;
    emit('throughput_2_callers_runner_main_thread_cpu_per_invoke', perInvoke(stages.runnerMain), 'ms', 'open-runtime node client, two callers');
    emit('throughput_2_callers_functions_cpu_per_invoke', perInvoke(stages.functions), 'ms', 'open-runtime node client, two callers: both environments');
    emit('throughput_2_callers_caller_cpu_per_invoke', perInvoke(stages.caller), 'ms', 'open-runtime node client, two callers: this process');
    // Of the machine's cores, how many these three kept busy on average over the two-caller rounds.
    emit(
      'throughput_2_callers_cores_busy',
      (stages.runnerMain + stages.functions + stages.caller) / 1e6 / stages.wallMs,
      'x',
      'open-runtime node client, two callers',
    );
  }

  // Cold start overhead and RSS with 10 warm environments: 10 concurrent slow invokes of a fresh function.
  process.stderr.write('bench: 10 concurrent cold starts\n');
  const cold = await Promise.all(Array.from({ length: 10 }, () => invoke('Sleeper', '{"sleepMs":300}')));
  if (cold.some((r) => r.status !== 200)) throw new Error(`cold starts failed: ${cold.map((r) => r.body).join(' ')}`);
  const envs = (await status()).environments.filter((e) => e.function === 'Sleeper' && e.coldStartOverheadMs !== undefined);
  const overheads = envs.map((e) => e.coldStartOverheadMs!).sort((a, b) => a - b);
  emit('cold_start_overhead_p50', percentile(overheads, 50), 'ms', 'runner');
  emit('cold_start_overhead_max', overheads.at(-1)!, 'ms', 'runner');
  const memory = () => ({
    rssKb: Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${ready.pid}/status`, 'utf8'))![1]),
    // PSS splits the pages shared with other processes (the node binary the runtimes also map) among them.
    pssKb: pssKb(ready.pid),
  });
  await sleep(200);
  const busy = memory();
  // At rest: the environments stay warm, and the runner has had the second of quiet after which it gives back
  // the memory its busy period grew into (runner/idle-trim.ts).
  await sleep(1800);
  const rest = memory();
  const warm = (await status()).environments.length;
  emit(`runner_rss_with_${warm}_warm_environments`, rest.rssKb / 1024, 'MB', 'runner');
  // The runner is non-dumpable (functions must not read its memory): only root may read its smaps.
  if (rest.pssKb !== undefined) emit(`runner_pss_with_${warm}_warm_environments`, rest.pssKb / 1024, 'MB', 'runner');
  else console.log('bench: no PSS figure: the runner is non-dumpable, and only root may read its /proc/<pid>/smaps_rollup');
  emit(`runner_rss_right_after_load_with_${warm}_warm_environments`, busy.rssKb / 1024, 'MB', 'runner');
} finally {
  agent.destroy();
  bare?.stop();
  runner.kill('SIGTERM');
}

/** Resolves once the runner has used under 5% of a core for a second (at most 60 s): its start-up work is done. */
async function runnerQuiet(): Promise<void> {
  const started = performance.now();
  let quietFor = 0;
  let last = cpuNs(ready.pid);
  while (quietFor < 4 && performance.now() - started < 60_000) {
    await sleep(250);
    const now = cpuNs(ready.pid);
    quietFor = now - last < 0.05 * 250e6 ? quietFor + 1 : 0;
    last = now;
  }
  process.stderr.write(`bench: the runner was quiet after ${Math.round(performance.now() - started)} ms\n`);
}

/** A bare HTTP server (raw socket, fixed answer) in a process of its own, the floor's other end; kept for the whole run. */
async function bareServer(): Promise<{ port: number; stop(): void }> {
  const server = spawn(
    process.execPath,
    [
      '-e',
      `
    const reply = Buffer.from('HTTP/1.1 200 OK\\r\\nContent-Length: 2\\r\\n\\r\\n{}');
    const server = require('node:net').createServer({ noDelay: true }, (socket) => socket.on('data', (data) => { for (let at = data.indexOf('\\r\\n\\r\\n'); at >= 0; at = data.indexOf('\\r\\n\\r\\n', at + 4)) socket.write(reply); }));
    server.listen(0, '127.0.0.1', () => console.log(server.address().port));`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = Number(await new Promise<string>((resolve) => createInterface({ input: server.stdout! }).once('line', resolve)));
  return { port, stop: () => server.kill() };
}

/** The time of one request to 127.0.0.1:`port` (ms), until its answer's end: keep-alive through `via`, or a new connection (false). */
function timedRequest(port: number, via: Agent | false, method: string, path: string, body?: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const start = performance.now();
    const headers = body === undefined ? {} : { 'Content-Length': Buffer.byteLength(body) };
    request({ host: '127.0.0.1', port, method, path, agent: via, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(performance.now() - start));
    })
      .on('error', reject)
      .end(body);
  });
}

/** Sorted times of `count` round trips to the bare server: keep-alive through `via`, or a new connection each (false). */
async function roundTrips(port: number, via: Agent | false, count: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) times.push(await timedRequest(port, via, 'POST', '/', '{}'));
  return times.sort((a, b) => a - b);
}

/** The median of `values` (not sorted in place). */
function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
}

/**
 * Throughput from one caller, then from two concurrent callers, the same 3,000 calls split among them (`run(count)`
 * makes `count` calls one after another): a warm-up with two, then five rounds alternating the two, so that a slower
 * moment of a shared machine weighs on both. Each round's [one caller, two callers] in calls per second. `around`
 * wraps each round's timed calls (not the warm-up's), for what a caller measures beside them.
 */
async function callerRounds(
  run: (count: number) => Promise<unknown>,
  around: (callers: number, measure: () => Promise<{ ms: number; calls: number }>) => Promise<{ ms: number; calls: number }> = (_, measure) => measure(),
): Promise<Array<[number, number]>> {
  const total = 3000;
  const timed = async (callers: number) => {
    const start = performance.now();
    await Promise.all(Array.from({ length: callers }, () => run(total / callers)));
    return { ms: performance.now() - start, calls: total };
  };
  const rate = async (callers: number) => total / ((await around(callers, () => timed(callers))).ms / 1000);
  await timed(2);
  const rounds: Array<[number, number]> = [];
  for (let r = 0; r < 5; r++) rounds.push([await rate(1), await rate(2)]);
  return rounds;
}

/**
 * Keep-alive requests through bench/bare-relay.ts (a raw HTTP front and its worker process): their sorted times, and
 * the median of two callers' rate over one caller's (callerRounds).
 */
async function relayFloor(): Promise<{ times: number[]; speedup: number }> {
  const relay = spawn(process.execPath, [join(ROOT, 'bench', 'bare-relay.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const line = await new Promise<string>((resolve) => createInterface({ input: relay.stdout! }).once('line', resolve));
    const port = Number(/port (\d+)/.exec(line)?.[1]);
    const once = () => timedRequest(port, agent, 'GET', '/ping');
    for (let i = 0; i < WARMUP; i++) await once();
    const times: number[] = [];
    for (let i = 0; i < SEQUENTIAL; i++) times.push(await once());
    // Measured as the Node client's throughput is (callerRounds).
    const rounds = await callerRounds(async (count) => {
      for (let i = 0; i < count; i++) await once();
    });
    return { times: times.sort((a, b) => a - b), speedup: median(rounds.map(([one, two]) => two / one)) };
  } finally {
    relay.kill();
  }
}

/** CPU time a process has used so far, all its threads, in ns (/proc/<pid>/task/<tid>/schedstat). */
function cpuNs(pid: number): number {
  return readdirSync(`/proc/${pid}/task`).reduce((sum, tid) => sum + threadCpuNs(pid, Number(tid)), 0);
}

/** CPU time one thread has used so far, in ns; 0 once it ended. */
function threadCpuNs(pid: number, tid: number): number {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
  } catch {
    return 0;
  }
}

/** PSS of a process, when this user may read it. */
function pssKb(pid: number): number | undefined {
  try {
    return Number(/Pss:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]);
  } catch {
    return undefined;
  }
}

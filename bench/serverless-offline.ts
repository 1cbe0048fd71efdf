// npm run bench, the local HTTP gateway against serverless-offline (issue 13's bar: >= 3x its requests/s, and p50 <= 1 ms
// added over a direct invoke): the same trivial Node handler on the same HTTP API route, served by `open-runtime start`
// and by serverless-offline, measured in the same run with keep-alive callers (1, then 4 at once), interleaved in rounds
// so background load hits all alike; the Invoke API beside them as the floor. Figures as JSON lines on stdout
// ({"metric","value","unit","client"}), like bench/run.ts. bench/gateway.ts measures the gateway's other paths.
// Beside the rates, the CPU one request costs each process (the caller, the runner, the function's process; the
// serverless-offline process with its worker threads), over the one-caller rounds: requests/s on a shared machine
// move with its load, what a request costs in CPU much less, and it shows where the floor is. Two floors are
// measured too: bench/bare-relay.ts, the same three processes with nothing but the mechanics (raw HTTP in, a JSON line
// to a worker process and back), and bench/faithful-relay.ts, the least a faithful emulator does on top (the payload
// 2.0 event, the Runtime API's HTTP both ways, a worker per concurrent request, API Gateway's answer). How the
// faithful floor compares with serverless-offline in the same run says whether the 3x bar is within reach of any
// faithful design on this machine in that run; how the gateway compares with it is the runner's own cost.
// Then a sustained run: 10 more windows of 1,000 requests on each of the two servers (one caller, alternating), each
// window's requests/s and the memory each holds after it. serverless-offline 13 slows down as it serves (its CPU per
// request and its memory grow with the requests served), so its figures depend on how long it has run: the rounds
// above are its first few thousand requests, the sustained windows the ones after (BENCH_SUSTAINED_WINDOWS=0: none).
//
// serverless-offline is installed on first use into .bench-cache/ (npm registry, ~20 s; pinned versions), never into the
// project's node_modules: the project does not depend on it. Where it cannot be installed or started, the bench says
// why on stdout (a "note" line) instead of a figure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { join } from 'node:path';
import {
  call,
  cpuBetween,
  cpuSnapshot,
  emit,
  machineLoad,
  note,
  ownCpuMs,
  percentile,
  PER_ROUND,
  ROOT,
  ROUNDS,
  SIGNED,
  startRunner,
  treeRss,
  waitForOutput,
  WARMUP,
} from './http-bench.ts';

const CONCURRENT = 4;
/** The sustained run after the figures above: windows of one caller's requests, alternating between the two servers. */
const SUSTAINED_WINDOWS = Number(process.env.BENCH_SUSTAINED_WINDOWS ?? 10);
const SUSTAINED_PER_WINDOW = 1000;
// The last Serverless Framework v3 (the one serverless-offline 13 supports; v4 needs an account) and its plugin.
const SERVERLESS_OFFLINE = { dir: join(ROOT, '.bench-cache', 'serverless-offline'), packages: ['serverless@3.40.0', 'serverless-offline@13.10.1'] };

const HANDLER = `export const handler = async () => ({ statusCode: 200, body: 'ok' });\n`;
const runner = await startRunner({
  'index.mjs': HANDLER,
  'template.yaml': `Transform: AWS::Serverless-2016-10-31
Resources:
  Ping:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handler
      CodeUri: .
      Events:
        Get: { Type: HttpApi, Properties: { Path: /ping, Method: GET } }
`,
});
const dir = runner.dir;
const ports = { invoke: runner.ports[0]!, api: runner.ports[1]! };

/** serverless-offline on the same handler, or why it can't run here. */
async function startServerlessOffline(): Promise<{ port: number; child: ChildProcess } | string> {
  const bin = join(SERVERLESS_OFFLINE.dir, 'node_modules', 'serverless', 'bin', 'serverless.js');
  if (!existsSync(join(SERVERLESS_OFFLINE.dir, 'node_modules', 'serverless-offline', 'package.json')) || !existsSync(bin)) {
    process.stderr.write(`gateway bench: installing ${SERVERLESS_OFFLINE.packages.join(' + ')} into .bench-cache/ for the comparison (once, ~20 s)\n`);
    mkdirSync(SERVERLESS_OFFLINE.dir, { recursive: true });
    writeFileSync(join(SERVERLESS_OFFLINE.dir, 'package.json'), '{"name":"bench-serverless-offline","private":true}\n');
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...SERVERLESS_OFFLINE.packages], {
      cwd: SERVERLESS_OFFLINE.dir,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (npm.status !== 0)
      return `npm install ${SERVERLESS_OFFLINE.packages.join(' ')} failed: ${(npm.stderr || npm.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`;
  }
  const service = join(dir, 'serverless-offline');
  mkdirSync(service);
  writeFileSync(join(service, 'index.mjs'), HANDLER);
  writeFileSync(
    join(service, 'serverless.yml'),
    `service: bench
frameworkVersion: '3'
provider: { name: aws, runtime: nodejs22.x }
plugins: [serverless-offline]
functions:
  ping:
    handler: index.handler
    events:
      - httpApi: { path: /ping, method: get }
`,
  );
  // The plugin is resolved from the service's node_modules, as in a user's project.
  spawnSync('ln', ['-s', join(SERVERLESS_OFFLINE.dir, 'node_modules'), join(service, 'node_modules')]);
  const port = 20000 + Math.floor(Math.random() * 20000);
  const child = spawn(
    process.execPath,
    [bin, 'offline', '--host', '127.0.0.1', '--httpPort', String(port), '--lambdaPort', String(port + 1), '--noPrependStageInUrl'],
    {
      cwd: service,
      // No AWS account or network: dummy credentials, no telemetry or update checks.
      env: {
        ...process.env,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_DEPRECATION_DISABLE: '*',
        AWS_ACCESS_KEY_ID: 'bench',
        AWS_SECRET_ACCESS_KEY: 'bench',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
  try {
    await waitForOutput(child, [/Server ready/], 'serverless-offline', 60_000);
    return { port, child };
  } catch (error) {
    kill(child);
    return (error as Error).message.split('\n').slice(0, 4).join(' | ');
  }
}

function kill(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    /* already gone */
  }
}

interface Target {
  client: string;
  metric: string;
  call(agent: Agent): Promise<void>;
  /** The server's process: its CPU (and its children's) is measured over the one-caller rounds. */
  pid: number;
  single: Agent;
  pool: Agent;
  latencies: number[];
  sequentialMs: number;
  concurrentRequests: number;
  concurrentMs: number;
  cpu: { client: number; server: number; children: number };
}

function target(metric: string, client: string, pid: number, fn: (agent: Agent) => Promise<void>): Target {
  return {
    metric,
    client,
    call: fn,
    pid,
    single: new Agent({ keepAlive: true, maxSockets: 1 }),
    pool: new Agent({ keepAlive: true, maxSockets: CONCURRENT }),
    latencies: [],
    sequentialMs: 0,
    concurrentRequests: 0,
    concurrentMs: 0,
    cpu: { client: 0, server: 0, children: 0 },
  };
}

async function sequential(t: Target, count: number, record: boolean): Promise<void> {
  const before = cpuSnapshot(t.pid);
  const ownBefore = ownCpuMs();
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    await t.call(t.single);
    if (record) t.latencies.push(performance.now() - s);
  }
  if (!record) return;
  t.sequentialMs += performance.now() - start;
  const used = cpuBetween(before, cpuSnapshot(t.pid), t.pid);
  t.cpu.client += ownCpuMs() - ownBefore;
  t.cpu.server += used.root;
  t.cpu.children += used.rest;
}

async function concurrent(t: Target, count: number): Promise<void> {
  let left = count;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENT }, async () => {
      while (left-- > 0) await t.call(t.pool);
    }),
  );
  t.concurrentMs += performance.now() - start;
  t.concurrentRequests += count;
}

let offline: Awaited<ReturnType<typeof startServerlessOffline>> | undefined;
/** The relays (the floors), stopped at the end: each stops its workers on SIGTERM. */
const relays: ChildProcess[] = [];

/** Starts bench/<script> (it prints "... relay on port N") and gives its target. */
async function relayTarget(script: string, metric: string, client: string): Promise<Target> {
  const child = spawn(process.execPath, [join(ROOT, 'bench', script)], { stdio: ['ignore', 'pipe', 'inherit'] });
  relays.push(child);
  const port = Number((await waitForOutput(child, [/relay on port (\d+)/], script, 30_000))[0]![1]);
  return target(metric, client, child.pid!, (agent) => call(agent, port, 'GET', '/ping', {}, undefined, 'ok'));
}

try {
  const gateway = target('gateway', 'gateway (HTTP API, payload 2.0)', runner.child.pid!, (agent) =>
    call(agent, ports.api, 'GET', '/ping', {}, undefined, 'ok'),
  );
  const invokeApi = target('invoke_api', 'Invoke API', runner.child.pid!, (agent) =>
    call(agent, ports.invoke, 'POST', '/2015-03-31/functions/Ping/invocations', { ...SIGNED, 'Content-Length': '2' }, '{}', 'ok'),
  );
  const targets = [gateway, invokeApi];
  targets.push(await relayTarget('bare-relay.ts', 'bare_relay', 'bare relay (floor: raw HTTP front + worker process, no runner)'));
  const floor = await relayTarget(
    'faithful-relay.ts',
    'faithful_relay',
    'faithful relay (floor: payload 2.0 event, Runtime API HTTP both ways, a worker process per concurrent request, no runner)',
  );
  targets.push(floor);
  offline = await startServerlessOffline();
  if (typeof offline === 'string') note('serverless_offline', `not measured: ${offline}`);
  else {
    const port = offline.port;
    targets.push(
      target('serverless_offline', 'serverless-offline 13.10.1 (Serverless 3.40.0), HTTP API', offline.child.pid!, (agent) =>
        call(agent, port, 'GET', '/ping', {}, undefined, 'ok'),
      ),
    );
  }

  process.stderr.write(`gateway bench: warming up (${WARMUP} requests each)\n`);
  for (const t of targets) await sequential(t, WARMUP, false);
  for (let round = 0; round < ROUNDS; round++) {
    for (const t of targets) await sequential(t, PER_ROUND, true);
    for (const t of targets) await concurrent(t, PER_ROUND);
  }
  for (const t of targets) {
    t.latencies.sort((a, b) => a - b);
    emit(`${t.metric}_requests_per_s_1_caller`, (t.latencies.length / t.sequentialMs) * 1000, 'ops/s', t.client);
    emit(`${t.metric}_requests_per_s_${CONCURRENT}_callers`, (t.concurrentRequests / t.concurrentMs) * 1000, 'ops/s', t.client);
    emit(`${t.metric}_p50`, percentile(t.latencies, 50), 'ms', t.client);
    emit(`${t.metric}_p99`, percentile(t.latencies, 99), 'ms', t.client);
    if (!t.cpu.server) continue; // no /proc: not Linux
    const perRequest = (ms: number) => ms / t.latencies.length;
    emit(`${t.metric}_cpu_per_request_caller`, perRequest(t.cpu.client), 'ms', `${t.client}: the calling (bench) process`);
    if (t.metric === 'serverless_offline')
      emit(`${t.metric}_cpu_per_request_server`, perRequest(t.cpu.server + t.cpu.children), 'ms', `${t.client}: its process (worker threads included)`);
    else if (t.metric === 'bare_relay' || t.metric === 'faithful_relay') {
      emit(`${t.metric}_cpu_per_request_front`, perRequest(t.cpu.server), 'ms', `${t.client}: the front`);
      emit(`${t.metric}_cpu_per_request_worker`, perRequest(t.cpu.children), 'ms', `${t.client}: the worker process(es)`);
    } else {
      emit(`${t.metric}_cpu_per_request_runner`, perRequest(t.cpu.server), 'ms', `${t.client}: the runner`);
      emit(`${t.metric}_cpu_per_request_function`, perRequest(t.cpu.children), 'ms', `${t.client}: the function's process (runtime client and handler)`);
    }
  }
  note('load', `measured with ${machineLoad()} at the end`);
  emit('gateway_added_p50', percentile(gateway.latencies, 50) - percentile(invokeApi.latencies, 50), 'ms', 'gateway over Invoke API');
  const so = targets.find((t) => t.metric === 'serverless_offline');
  if (so) {
    const rate = (t: Target) => t.latencies.length / t.sequentialMs;
    const rateConcurrent = (t: Target) => t.concurrentRequests / t.concurrentMs;
    /** a's requests/s over b's, with one caller and with CONCURRENT. */
    const ratios = (a: Target, b: Target, aName: string, bName: string) => {
      const metric = `${a.metric}_vs_${b.metric}_requests_per_s`;
      emit(`${metric}_1_caller`, rate(a) / rate(b), 'x', `${aName} / ${bName}`);
      emit(`${metric}_${CONCURRENT}_callers`, rateConcurrent(a) / rateConcurrent(b), 'x', `${aName} / ${bName}`);
    };
    ratios(gateway, so, 'gateway', 'serverless-offline');
    // The faithful floor's: above 3x, the bar is within reach of a faithful design in this run.
    ratios(floor, so, 'faithful relay', 'serverless-offline');
    ratios(gateway, floor, 'gateway', 'faithful relay');
    // How many gateway requests the CPU of one serverless-offline request pays for, servers only: the bound on the
    // requests/s ratio once the CPUs are the limit (several callers), whatever the machine's speed.
    if (so.cpu.server && gateway.cpu.server) {
      const serverCpu = (t: Target) => (t.cpu.server + t.cpu.children) / t.latencies.length;
      emit(
        'gateway_vs_serverless_offline_server_cpu_per_request',
        serverCpu(so) / serverCpu(gateway),
        'x',
        'serverless-offline CPU per request / (runner + function) CPU per request',
      );
    }
  }
  // Sustained use: the same two servers kept busy, window by window (alternating, so the machine's load hits both),
  // each window's requests/s printed, and the memory each holds at the end. The figures above are from the first
  // few thousand requests each server has served; a long session serves many more.
  if (so && SUSTAINED_WINDOWS > 0) {
    const served = WARMUP + ROUNDS * PER_ROUND * 2;
    process.stderr.write(`gateway bench: sustained run, ${SUSTAINED_WINDOWS} x ${SUSTAINED_PER_WINDOW} requests each, after the ${served} above\n`);
    const curves = new Map<Target, number[]>([
      [gateway, []],
      [so, []],
    ]);
    for (let w = 0; w < SUSTAINED_WINDOWS; w++) {
      for (const [t, curve] of curves) {
        const start = performance.now();
        for (let i = 0; i < SUSTAINED_PER_WINDOW; i++) await t.call(t.single);
        curve.push((SUSTAINED_PER_WINDOW / (performance.now() - start)) * 1000);
      }
    }
    const total = served + SUSTAINED_WINDOWS * SUSTAINED_PER_WINDOW;
    for (const [t, curve] of curves) {
      note(
        `${t.metric}_sustained_requests_per_s`,
        `${t.client}, one caller, windows of ${SUSTAINED_PER_WINDOW} from request ${served} to ${total}: ${curve.map((r) => Math.round(r)).join(' ')}`,
      );
      emit(`${t.metric}_sustained_requests_per_s_last_window`, curve.at(-1)!, 'ops/s', `${t.client}, requests ${total - SUSTAINED_PER_WINDOW}-${total}`);
      const rss = treeRss(t.pid);
      if (rss !== undefined)
        note(
          `${t.metric}_rss_after_sustained_run`,
          `${rss.mb.toFixed(1)} MB in ${rss.processes} process(es) (${t.client} after ${total} requests; the runner's tree holds an environment per concurrent caller, serverless-offline's worker threads are in its one process)`,
        );
    }
    const ratios = curves.get(gateway)!.map((r, i) => r / curves.get(so)!.at(i)!);
    note('gateway_vs_serverless_offline_sustained', `requests/s ratio per window, one caller: ${ratios.map((r) => r.toFixed(2)).join(' ')}`);
    emit(
      'gateway_vs_serverless_offline_sustained_last_window',
      ratios.at(-1)!,
      'x',
      `gateway / serverless-offline, requests ${total - SUSTAINED_PER_WINDOW}-${total}, one caller`,
    );
  }
  for (const t of targets) {
    t.single.destroy();
    t.pool.destroy();
  }
} finally {
  if (offline && typeof offline !== 'string') kill(offline.child);
  for (const relay of relays) relay.kill('SIGTERM');
  runner.stop();
}

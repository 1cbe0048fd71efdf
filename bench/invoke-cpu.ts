// The CPU one warm invoke costs each process, per runtime client: the runner (the Invoke API, the environment, the
// Runtime API) and the function's process (its runtime client), from the kernel's per-thread accounting
// (/proc/<pid>/task/<tid>/schedstat, in ns). Wall-clock times move with the machine's load (other work on the same
// cores); what an invoke costs in CPU barely does, so this is the figure to compare builds with on a busy machine.
//   node bench/invoke-cpu.ts [Function ...]     (after npm run build; BENCH_INVOKES, default 3000 per function)
//   BENCH_RUNNER=path/to/runner.js              another build's runner, for A/B figures
//   BENCH_RUNNER_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof"   extra Node flags for the runner (profiling)
//   BENCH_RUNNER_STDOUT=file                    the runner's stdout there (with --trace-gc: its collections, whose
//                                               count per invoke is what an invoke allocates, whatever the load)
// One JSON line per figure on stdout, like bench/run.ts.
import { spawn } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { RUNNER_ENV, RUNNER_NODE_FLAGS } from '../runner/protocol.ts';
import { emit, machineLoad, ownCpuMs, percentile, ROOT, SIGNED, waitForOutput } from './http-bench.ts';

const COUNT = Number(process.env.BENCH_INVOKES ?? 3000);
const WARMUP = 1000;
const FUNCTIONS = process.argv.slice(2).length
  ? process.argv.slice(2)
  : ['NodeClient', 'AwsLambdaRic', 'KeepAliveClient', 'PerRequestClient', 'PythonClientTcp'];

const child = spawn(
  process.execPath,
  [
    ...RUNNER_NODE_FLAGS,
    ...(process.env.BENCH_RUNNER_FLAGS ?? '').split(' ').filter(Boolean),
    process.env.BENCH_RUNNER ?? join(ROOT, 'dist', 'runner.js'),
    'start',
    '--quiet',
    '--port',
    '0',
    '--api-port',
    '0',
    '--template',
    join(ROOT, 'bench', 'template.yaml'),
  ],
  {
    env: { ...process.env, ...RUNNER_ENV },
    stdio: ['ignore', process.env.BENCH_RUNNER_STDOUT ? openSync(process.env.BENCH_RUNNER_STDOUT, 'w') : 'ignore', 'pipe'],
  },
);
const [found] = await waitForOutput(child, [/Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/], 'the runner', 30_000);
const port = Number(found![1]);
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function invoke(fn: string): Promise<void> {
  const body = '{"bench":true}';
  return new Promise((resolve, reject) => {
    request(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: `/2015-03-31/functions/${fn}/invocations`,
        agent,
        headers: { 'Content-Length': body.length, ...SIGNED },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          res.statusCode === 200 && !text.includes('errorType') ? resolve() : reject(new Error(`${fn} answered ${res.statusCode}: ${text}`)),
        );
      },
    )
      .on('error', reject)
      .end(body);
  });
}

/** CPU time of one process, all its threads, ns. */
function cpuNs(pid: number): number {
  let sum = 0;
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      try {
        sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0]);
      } catch {
        // the thread ended
      }
    }
  } catch {
    // the process ended
  }
  return sum;
}

function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((c) => [c, ...descendants(c)]);
}

const treeCpu = () => new Map(descendants(child.pid!).map((pid) => [pid, cpuNs(pid)]));

process.stderr.write(`invoke-cpu: ${machineLoad()}\n`);
try {
  for (const fn of FUNCTIONS) {
    for (let i = 0; i < WARMUP; i++) await invoke(fn);
    const times: number[] = [];
    const runnerBefore = cpuNs(child.pid!);
    const treeBefore = treeCpu();
    const callerBefore = ownCpuMs();
    for (let i = 0; i < COUNT; i++) {
      const start = performance.now();
      await invoke(fn);
      times.push(performance.now() - start);
    }
    const callerUs = ((ownCpuMs() - callerBefore) * 1000) / COUNT;
    const runnerUs = (cpuNs(child.pid!) - runnerBefore) / COUNT / 1000;
    let functionNs = 0;
    for (const [pid, ns] of treeCpu()) functionNs += ns - (treeBefore.get(pid) ?? 0);
    times.sort((a, b) => a - b);
    emit('runner_cpu_us_per_invoke', runnerUs, 'x', fn);
    emit('function_cpu_us_per_invoke', functionNs / COUNT / 1000, 'x', fn);
    emit('caller_cpu_us_per_invoke', callerUs, 'x', fn);
    emit('warm_invoke_p50', percentile(times, 50), 'ms', fn);
    emit('warm_invoke_p99', percentile(times, 99), 'ms', fn);
  }
} finally {
  agent.destroy();
  child.kill('SIGTERM');
}
process.stderr.write(`invoke-cpu: ${machineLoad()}\n`);

// npm run bench, the reliability block: figures in bench/run.ts's format (one JSON line each on stdout,
// {"metric","value","unit","client"}; progress on stderr), from a real runner process (`open-runtime serve`) and
// a keep-alive HTTP caller, as the editor and the AWS SDK would use them.
//   soak:       N sequential invokes; how many failed, and how much the runner's RSS grew between the start and the end.
//   burst:      200 concurrent callers against a function of concurrency 10: how many got 200, how many 429, p99 latency.
//   durability: Event invocations queued, the runner SIGTERMed mid-way and started again: events lost (must be 0).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadyLine, RUNNER_ENV, RUNNER_NODE_FLAGS } from '../runner/protocol.ts';

const ROOT = join(import.meta.dirname, '..');
const SOAK = Number(process.env.BENCH_SOAK_INVOKES ?? 3000);
const BURST_CALLERS = 200;
const DURABLE_EVENTS = Number(process.env.BENCH_DURABLE_EVENTS ?? 200);
const CLIENT = 'open-runtime node client';

function emit(metric: string, value: number, unit: 'ms' | 'MB' | '%' | 'count', client: string): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// A workspace of its own: the durability figure needs a queue nobody else's events are in.
const workspace = mkdtempSync(join(tmpdir(), 'or-bench-reliability-'));
const records = join(workspace, 'done.jsonl');
mkdirSync(join(workspace, 'src'));
writeFileSync(
  join(workspace, 'src', 'app.mjs'),
  `import { appendFileSync } from 'node:fs';
export const handler = async (event) => {
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.id !== undefined) appendFileSync(process.env.RECORD_FILE, JSON.stringify({ id: event.id }) + '\\n');
  return { ok: true };
};
`,
);
const template = join(workspace, 'template.yaml');
writeFileSync(
  template,
  `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs22.x
    Handler: app.handler
    CodeUri: src
    Timeout: 10
    Environment:
      Variables:
        RECORD_FILE: ${JSON.stringify(records)}
Resources:
  Soak:
    Type: AWS::Serverless::Function
  Burst:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 10
  Durable:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 2
`,
);

interface Started {
  proc: ChildProcess;
  port: number;
  pid: number;
  agent: Agent;
}

/** Started as the editor starts its sidecar, in the bench's workspace. */
async function startRunner(): Promise<Started> {
  const proc = spawn(
    process.execPath,
    [...RUNNER_NODE_FLAGS, join(ROOT, 'dist', 'runner.js'), 'serve', '--quiet', '--port', '0', '--workspace', workspace, '--template', template],
    {
      env: { ...process.env, ...RUNNER_ENV },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  proc.stdin!.write(`${randomBytes(16).toString('hex')}\n`); // the control token travels on stdin
  const ready = ReadyLine.parse(JSON.parse(await new Promise<string>((resolve) => createInterface({ input: proc.stdout! }).once('line', resolve))));
  return { proc, port: ready.port, pid: ready.pid, agent: new Agent({ keepAlive: true, maxSockets: BURST_CALLERS }) };
}

async function stopRunner(runner: Started): Promise<void> {
  runner.agent.destroy();
  const exited = new Promise((resolve) => runner.proc.once('exit', resolve));
  runner.proc.kill('SIGTERM');
  await exited;
}

function invoke(runner: Started, fn: string, payload: unknown, type = 'RequestResponse'): Promise<{ status: number; body: string }> {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: runner.port,
        method: 'POST',
        path: `/2015-03-31/functions/${fn}/invocations`,
        agent: runner.agent,
        headers: {
          'Content-Length': Buffer.byteLength(body),
          'X-Amz-Invocation-Type': type,
          Authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0',
        },
      },
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

function rssMb(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
}

function doneIds(): Map<number, number> {
  const counts = new Map<number, number>();
  if (!existsSync(records)) return counts;
  for (const line of readFileSync(records, 'utf8').split('\n')) {
    if (!line) continue;
    const { id } = JSON.parse(line) as { id: number };
    counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

let runner = await startRunner();
try {
  // Soak: the RSS at rest after a warm-up, then after N more invokes (the runner trims a second after work, so both
  // are measured after two seconds of quiet).
  process.stderr.write(`bench: soak, ${SOAK} sequential invokes\n`);
  for (let i = 0; i < 300; i++) await invoke(runner, 'Soak', {});
  await sleep(2000);
  const rssBefore = rssMb(runner.pid);
  let failures = 0;
  for (let i = 0; i < SOAK; i++) {
    const res = await invoke(runner, 'Soak', { n: i });
    if (res.status !== 200 || res.body.includes('errorType')) failures++;
  }
  await sleep(2000);
  const rssAfter = rssMb(runner.pid);
  emit('soak_invokes', SOAK, 'count', CLIENT);
  emit('soak_failures', failures, 'count', CLIENT);
  emit('soak_runner_rss_growth', ((rssAfter - rssBefore) / rssBefore) * 100, '%', 'runner');
  emit('soak_runner_rss_after', rssAfter, 'MB', 'runner');

  // Burst: every caller at once; the function's 10 slots serve 10, the others are told 429 at once.
  process.stderr.write(`bench: burst, ${BURST_CALLERS} concurrent callers against concurrency 10\n`);
  await Promise.all(Array.from({ length: 10 }, () => invoke(runner, 'Burst', { sleepMs: 50 })));
  const times: number[] = [];
  const statuses = await Promise.all(
    Array.from({ length: BURST_CALLERS }, async () => {
      const started = performance.now();
      const res = await invoke(runner, 'Burst', { sleepMs: 50 });
      times.push(performance.now() - started);
      return res.status;
    }),
  );
  times.sort((a, b) => a - b);
  emit('burst_200', statuses.filter((s) => s === 200).length, 'count', CLIENT);
  emit('burst_429', statuses.filter((s) => s === 429).length, 'count', CLIENT);
  emit('burst_other', statuses.filter((s) => s !== 200 && s !== 429).length, 'count', CLIENT);
  emit('burst_latency_p99', percentile(times, 99), 'ms', CLIENT);

  // Durability: events queued, SIGTERM while they run, a restart; every event must have run.
  process.stderr.write(`bench: durability, ${DURABLE_EVENTS} events, SIGTERM mid-way, restart\n`);
  rmSync(records, { force: true });
  for (let id = 0; id < DURABLE_EVENTS; id++) {
    const res = await invoke(runner, 'Durable', { id, sleepMs: 20 }, 'Event');
    if (res.status !== 202) throw new Error(`Event invoke answered ${res.status}: ${res.body}`);
  }
  await sleep(300);
  await stopRunner(runner);
  const beforeRestart = doneIds().size;
  runner = await startRunner();
  const until = Date.now() + 120_000;
  while (doneIds().size < DURABLE_EVENTS && Date.now() < until) await sleep(100);
  const done = doneIds();
  emit('durability_events_queued', DURABLE_EVENTS, 'count', CLIENT);
  emit('durability_events_run_before_sigterm', beforeRestart, 'count', CLIENT);
  emit('durability_events_lost', DURABLE_EVENTS - done.size, 'count', CLIENT);
  emit('durability_events_run_twice', [...done.values()].filter((n) => n > 1).length, 'count', CLIENT);
} finally {
  await stopRunner(runner);
  rmSync(workspace, { recursive: true, force: true });
}

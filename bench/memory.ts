// npm run bench: memory under sustained load, one JSON line per figure on stdout; progress on stderr.
// A keep-alive caller invokes a trivial Node function through the runner started as a person starts it
// (`open-runtime start`) and as the editor does (`open-runtime serve`): BENCH_MEMORY_WARMUP invokes (10,000) to warm
// both processes (JIT settled, V8's young generation grown to the size the function's MemorySize allows), then
// BENCH_MEMORY_INVOKES (100,000). It reads the runner's and the function environment's resident memory from /proc
// after 4 s idle (the runner's idle trim has run) after the warm-up and at each tenth of the run.
// Bar: each grows by <= 10% over the run.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { ReadyLine, RUNNER_ENV, RUNNER_NODE_FLAGS } from '../runner/protocol.ts';

const ROOT = join(import.meta.dirname, '..');
const WARMUP = Number(process.env.BENCH_MEMORY_WARMUP ?? 10_000);
const INVOKES = Number(process.env.BENCH_MEMORY_INVOKES ?? 100_000);
const STEPS = 10;
const IDLE_MS = 4000;

function emit(metric: string, value: number, unit: 'MB' | '%', client: string): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}

/** Resident memory of a process in MB, from the kernel. */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) / 1024;
}

/** The function's environment: the runner's child running the project's Node runtime client. */
function environmentPid(runnerPid: number): number {
  const children = readdirSync(`/proc/${runnerPid}/task`).flatMap((task) =>
    readFileSync(`/proc/${runnerPid}/task/${task}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
  );
  const pid = children.find((child) => readFileSync(`/proc/${child}/cmdline`, 'utf8').includes('node-runtime'));
  if (!pid) throw new Error(`no function environment among the runner's children (${children.join(', ')})`);
  return pid;
}

const project = mkdtempSync(join(tmpdir(), 'open-runtime-memory-'));
mkdirSync(join(project, 'fn'));
writeFileSync(join(project, 'fn', 'index.mjs'), 'export const handler = async (event) => ({ ok: true, n: event.n });\n');
writeFileSync(
  join(project, 'template.yaml'),
  [
    'Transform: AWS::Serverless-2016-10-31',
    'Resources:',
    '  Trivial:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    '      CodeUri: fn/',
    '      Handler: index.handler',
    '      Runtime: nodejs22.x',
    '',
  ].join('\n'),
);

async function startRunner(mode: 'start' | 'serve'): Promise<{ runner: ChildProcess; port: number }> {
  // `start` as a person runs it, printing every START/END/REPORT line (read and dropped here).
  // BENCH_RUNNER: another build's runner.js (and so its Node runtime client), for A/B figures.
  const args = [
    ...RUNNER_NODE_FLAGS,
    process.env.BENCH_RUNNER ?? join(ROOT, 'dist', 'runner.js'),
    mode,
    ...(mode === 'serve' ? ['--quiet'] : []),
    '--port',
    '0',
    '--api-port',
    '0',
    '--template',
    join(project, 'template.yaml'),
  ];
  const runner = spawn(process.execPath, args, { env: { ...process.env, ...RUNNER_ENV }, stdio: ['pipe', 'pipe', 'pipe'], cwd: project });
  if (mode === 'serve') {
    runner.stdin!.write(`${randomBytes(16).toString('hex')}\n`);
    runner.stderr!.resume();
    const ready = ReadyLine.parse(JSON.parse(await new Promise<string>((resolve) => createInterface({ input: runner.stdout! }).once('line', resolve))));
    return { runner, port: ready.port };
  }
  runner.stdout!.resume();
  // `start` says where it listens on stderr.
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: runner.stderr! });
    lines.on('line', (line) => {
      const match = /127\.0\.0\.1:(\d+)/.exec(line);
      if (match && /invoke|lambda/i.test(line)) resolve(Number(match[1]));
    });
    runner.once('exit', (code) => reject(new Error(`open-runtime start exited (${code})`)));
  });
  return { runner, port };
}

async function measure(mode: 'start' | 'serve'): Promise<void> {
  const { runner, port } = await startRunner(mode);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const invoke = (n: number) =>
    new Promise<void>((resolve, reject) => {
      const body = `{"n":${n}}`;
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/2015-03-31/functions/Trivial/invocations',
          agent,
          headers: {
            'Content-Length': body.length,
            Authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0',
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`invoke answered ${res.statusCode}`))));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  try {
    const step = INVOKES / STEPS;
    const figures: Array<{ runner: number; environment: number }> = [];
    let done = 0;
    for (let s = 0; s <= STEPS; s++) {
      for (; done < WARMUP + step * s; done++) await invoke(done);
      await sleep(IDLE_MS);
      const environment = environmentPid(runner.pid!);
      figures.push({ runner: rssMb(runner.pid!), environment: rssMb(environment) });
      process.stderr.write(
        `${mode}: ${done} invokes, runner ${figures.at(-1)!.runner.toFixed(1)} MB, environment ${figures.at(-1)!.environment.toFixed(1)} MB\n`,
      );
    }
    const first = figures[0]!;
    const last = figures.at(-1)!;
    for (const who of ['runner', 'environment'] as const) {
      emit(`${who} RSS after ${WARMUP} warm-up invokes (${mode})`, first[who], 'MB', 'node');
      emit(`${who} RSS after ${INVOKES} more (${mode})`, last[who], 'MB', 'node');
      emit(`${who} RSS growth over ${INVOKES} invokes (${mode}, bar 10)`, ((last[who] - first[who]) / first[who]) * 100, '%', 'node');
    }
  } finally {
    agent.destroy();
    runner.kill('SIGTERM');
    await new Promise((resolve) => runner.once('exit', resolve));
  }
}

try {
  for (const mode of (process.env.BENCH_MEMORY_MODES ?? 'start,serve').split(',') as Array<'start' | 'serve'>) await measure(mode);
} finally {
  rmSync(project, { recursive: true, force: true });
}

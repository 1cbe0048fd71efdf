// What the HTTP benches (bench/gateway.ts, bench/serverless-offline.ts) share: a project folder with a template, an
// `open-runtime start --quiet` on free ports that is waited for until it prints its addresses, keep-alive calls, the
// figures' JSON lines, and the CPU a process tree spent (from /proc, Linux only), so that what one request costs
// each process can be printed beside the requests/s that a loaded machine makes noisy.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { type Agent, request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNNER_ENV, RUNNER_NODE_FLAGS } from '../runner/protocol.ts';

export const ROOT = join(import.meta.dirname, '..');
export const PER_ROUND = Number(process.env.BENCH_GATEWAY_REQUESTS ?? 500);
export const ROUNDS = 4;
export const WARMUP = 1000;
/** What the AWS SDK sends to the Invoke API; the runner checks the header's shape, not the signature. */
export const SIGNED = { Authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0' };

export function emit(metric: string, value: number, unit: 'ms' | 'ops/s' | 'x', client: string): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}

export function note(metric: string, text: string): void {
  process.stdout.write(`${JSON.stringify({ metric, note: text })}\n`);
}

export const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

/** Resolves with the regexp matches once every pattern has appeared in the process's output (stdout and stderr). */
export function waitForOutput(child: ChildProcess, patterns: RegExp[], what: string, timeoutMs: number): Promise<RegExpExecArray[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`${what} did not say it was ready within ${timeoutMs / 1000} s:\n${text.slice(-2000)}`)), timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before serving:\n${text.slice(-2000)}`));
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      const found = patterns.map((p) => p.exec(text));
      if (!found.every(Boolean)) return;
      clearTimeout(timer);
      // From here on the output (serverless-offline logs every request) is drained unread: matching it would cost
      // the measuring process more than the servers it measures.
      child.stdout?.off('data', onData).resume();
      child.stderr?.off('data', onData).resume();
      child.off('exit', onExit);
      resolve(found as RegExpExecArray[]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', onExit);
  });
}

export interface BenchRunner {
  /** The project folder (removed by stop()). */
  dir: string;
  child: ChildProcess;
  /** The Invoke API's port, the HTTP APIs' port, then one per extra pattern's first group. */
  ports: number[];
  stop(): void;
}

/**
 * `open-runtime start --quiet` (the bench measures serving, not printing) on free ports, over a folder holding
 * `files` (template.yaml among them), with `args(folder)` added; resolves once it has printed its Invoke API, its HTTP
 * APIs and `extra` lines.
 */
export async function startRunner(files: Record<string, string>, extra: RegExp[] = [], args: (dir: string) => string[] = () => []): Promise<BenchRunner> {
  const dir = mkdtempSync(join(tmpdir(), 'or-bench-gateway-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const child = spawn(
    process.execPath,
    [
      ...RUNNER_NODE_FLAGS,
      join(ROOT, 'dist', 'runner.js'),
      'start',
      '--quiet',
      '--port',
      '0',
      '--api-port',
      '0',
      '--template',
      join(dir, 'template.yaml'),
      ...args(dir),
    ],
    {
      env: { ...process.env, ...RUNNER_ENV },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  const stop = () => {
    child.kill('SIGTERM'); // the runner stops its functions' processes itself
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const found = await waitForOutput(
      child,
      [/Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/, /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/, ...extra],
      'the runner',
      30_000,
    );
    return { dir, child, ports: found.map((m) => Number(m[1])), stop };
  } catch (error) {
    stop();
    throw error;
  }
}

/** One keep-alive request; rejects unless the answer is a 200 (whose body includes `expect`, when given). */
export function call(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: string, expect?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () =>
        res.statusCode === 200 && (expect === undefined || text.includes(expect))
          ? resolve()
          : reject(new Error(`${path} answered ${res.statusCode}: ${text.slice(0, 200)}`)),
      );
    })
      .on('error', reject)
      .end(body);
  });
}

const LINUX = process.platform === 'linux';

/** CPU time (user + system, ms) each process of a tree has used so far, by pid; empty off Linux. */
export function cpuSnapshot(pid: number): Map<number, number> {
  const snapshot = new Map<number, number>();
  if (!LINUX) return snapshot;
  for (const each of [pid, ...descendants(pid)]) {
    const ms = processCpuMs(each);
    if (ms !== undefined) snapshot.set(each, ms);
  }
  return snapshot;
}

/** CPU used between two snapshots of a tree: by its root process, and by the rest (a process new since counts whole). */
export function cpuBetween(before: Map<number, number>, after: Map<number, number>, root: number): { root: number; rest: number } {
  let rest = 0;
  for (const [pid, ms] of after) if (pid !== root) rest += ms - (before.get(pid) ?? 0);
  return { root: (after.get(root) ?? 0) - (before.get(root) ?? 0), rest };
}

/** CPU time of one process (all its threads), ms; undefined once it is gone. */
function processCpuMs(pid: number): number | undefined {
  try {
    // utime and stime, in clock ticks (100 a second), are fields 14 and 15; the name in parentheses may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, 'latin1').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function descendants(pid: number): number[] {
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'latin1').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
  return children.flatMap((child) => [child, ...descendants(child)]);
}

/** Resident memory of a process and its descendants (VmRSS summed, MB) and how many they are; undefined off Linux. */
export function treeRss(pid: number): { mb: number; processes: number } | undefined {
  if (!LINUX) return undefined;
  let kb = 0;
  let processes = 0;
  for (const each of [pid, ...descendants(pid)]) {
    try {
      kb += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${each}/status`, 'latin1'))?.[1] ?? 0);
      processes++;
    } catch {
      /* gone */
    }
  }
  return { mb: kb / 1024, processes };
}

/** This process's CPU time so far, ms. */
export function ownCpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** The machine's load (1-minute average) and its CPUs, the context of the figures. */
export function machineLoad(): string {
  const load = LINUX ? readFileSync('/proc/loadavg', 'latin1').split(' ')[0] : 'unknown';
  return `load average ${load} on ${availableParallelism()} CPUs`;
}

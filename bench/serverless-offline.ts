// npm run bench, the local HTTP gateway against serverless-offline (issue 13's bar: >= 3x its requests/s, and p50 <= 1 ms
// added over a direct invoke): the same trivial Node handler on the same HTTP API route, served by `open-runtime start`
// and by serverless-offline, measured in the same run with keep-alive callers (1, then 4 at once), interleaved in rounds
// so background load hits all alike; the Invoke API beside them as the floor. Figures as JSON lines on stdout
// ({"metric","value","unit","client"}), like bench/run.ts. bench/gateway.ts measures the gateway's other paths.
//
// serverless-offline is installed on first use into .bench-cache/ (npm registry, ~20 s; pinned versions), never into the
// project's node_modules: the project does not depend on it. Where it cannot be installed or started, the bench says
// why on stdout (a "note" line) instead of a figure.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RUNNER_ENV, RUNNER_NODE_FLAGS } from '../runner/protocol.ts';

const ROOT = join(import.meta.dirname, '..');
const PER_ROUND = Number(process.env.BENCH_GATEWAY_REQUESTS ?? 500);
const ROUNDS = 4;
const WARMUP = 1000;
const CONCURRENT = 4;
// The last Serverless Framework v3 (the one serverless-offline 13 supports; v4 needs an account) and its plugin.
const SERVERLESS_OFFLINE = { dir: join(ROOT, '.bench-cache', 'serverless-offline'), packages: ['serverless@3.40.0', 'serverless-offline@13.10.1'] };

function emit(metric: string, value: number, unit: 'ms' | 'ops/s' | 'x', client: string): void {
  process.stdout.write(`${JSON.stringify({ metric, value: Math.round(value * 1000) / 1000, unit, client })}\n`);
}
function note(metric: string, text: string): void {
  process.stdout.write(`${JSON.stringify({ metric, note: text })}\n`);
}

const HANDLER = `export const handler = async () => ({ statusCode: 200, body: 'ok' });\n`;
const dir = mkdtempSync(join(tmpdir(), 'or-bench-gateway-'));
writeFileSync(join(dir, 'index.mjs'), HANDLER);
writeFileSync(
  join(dir, 'template.yaml'),
  `Transform: AWS::Serverless-2016-10-31
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
);

/** Resolves with the regexp matches once every pattern has appeared in the process's output. */
function waitForOutput(child: ChildProcess, patterns: RegExp[], what: string, timeoutMs: number): Promise<RegExpExecArray[]> {
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

const runner = spawn(process.execPath, [...RUNNER_NODE_FLAGS, join(ROOT, 'dist', 'runner.js'), 'start', '--quiet', '--port', '0', '--api-port', '0', '--template', join(dir, 'template.yaml')], {
  env: { ...process.env, ...RUNNER_ENV },
  stdio: ['ignore', 'ignore', 'pipe'],
});
const [invokeLine, apiLine] = await waitForOutput(runner, [/Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/, /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/], 'the runner', 30_000);
const ports = { invoke: Number(invokeLine![1]), api: Number(apiLine![1]) };

/** serverless-offline on the same handler, or why it can't run here. */
async function startServerlessOffline(): Promise<{ port: number; child: ChildProcess } | string> {
  const bin = join(SERVERLESS_OFFLINE.dir, 'node_modules', 'serverless', 'bin', 'serverless.js');
  if (!existsSync(join(SERVERLESS_OFFLINE.dir, 'node_modules', 'serverless-offline', 'package.json')) || !existsSync(bin)) {
    process.stderr.write(`gateway bench: installing ${SERVERLESS_OFFLINE.packages.join(' + ')} into .bench-cache/ for the comparison (once, ~20 s)\n`);
    mkdirSync(SERVERLESS_OFFLINE.dir, { recursive: true });
    writeFileSync(join(SERVERLESS_OFFLINE.dir, 'package.json'), '{"name":"bench-serverless-offline","private":true}\n');
    const npm = spawnSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...SERVERLESS_OFFLINE.packages], { cwd: SERVERLESS_OFFLINE.dir, encoding: 'utf8', timeout: 300_000 });
    if (npm.status !== 0) return `npm install ${SERVERLESS_OFFLINE.packages.join(' ')} failed: ${(npm.stderr || npm.error?.message || '').trim().split('\n').slice(-3).join(' | ')}`;
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
  const child = spawn(process.execPath, [bin, 'offline', '--host', '127.0.0.1', '--httpPort', String(port), '--lambdaPort', String(port + 1), '--noPrependStageInUrl'], {
    cwd: service,
    // No AWS account or network: dummy credentials, no telemetry or update checks.
    env: { ...process.env, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off', SLS_DEPRECATION_DISABLE: '*', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
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

const SIGNED = { Authorization: 'AWS4-HMAC-SHA256 Credential=bench/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0' };

interface Target {
  client: string;
  metric: string;
  call(agent: Agent): Promise<void>;
  single: Agent;
  pool: Agent;
  latencies: number[];
  sequentialMs: number;
  concurrentRequests: number;
  concurrentMs: number;
}

function call(agent: Agent, port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => (res.statusCode === 200 && text.includes('ok') ? resolve() : reject(new Error(`${path} answered ${res.statusCode}: ${text.slice(0, 200)}`))));
    })
      .on('error', reject)
      .end(body);
  });
}

function target(metric: string, client: string, fn: (agent: Agent) => Promise<void>): Target {
  return {
    metric,
    client,
    call: fn,
    single: new Agent({ keepAlive: true, maxSockets: 1 }),
    pool: new Agent({ keepAlive: true, maxSockets: CONCURRENT }),
    latencies: [],
    sequentialMs: 0,
    concurrentRequests: 0,
    concurrentMs: 0,
  };
}

async function sequential(t: Target, count: number, record: boolean): Promise<void> {
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const s = performance.now();
    await t.call(t.single);
    if (record) t.latencies.push(performance.now() - s);
  }
  if (record) t.sequentialMs += performance.now() - start;
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

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;

let offline: Awaited<ReturnType<typeof startServerlessOffline>> | undefined;
try {
  const gateway = target('gateway', 'gateway (HTTP API, payload 2.0)', (agent) => call(agent, ports.api, 'GET', '/ping', {}));
  const invokeApi = target('invoke_api', 'Invoke API', (agent) => call(agent, ports.invoke, 'POST', '/2015-03-31/functions/Ping/invocations', { ...SIGNED, 'Content-Length': '2' }, '{}'));
  const targets = [gateway, invokeApi];
  offline = await startServerlessOffline();
  if (typeof offline === 'string') note('serverless_offline', `not measured: ${offline}`);
  else {
    const port = offline.port;
    targets.push(target('serverless_offline', 'serverless-offline 13.10.1 (Serverless 3.40.0), HTTP API', (agent) => call(agent, port, 'GET', '/ping', {})));
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
  }
  emit('gateway_added_p50', percentile(gateway.latencies, 50) - percentile(invokeApi.latencies, 50), 'ms', 'gateway over Invoke API');
  const so = targets.find((t) => t.metric === 'serverless_offline');
  if (so) {
    const rate = (t: Target) => t.latencies.length / t.sequentialMs;
    const rateConcurrent = (t: Target) => t.concurrentRequests / t.concurrentMs;
    emit('gateway_vs_serverless_offline_requests_per_s_1_caller', rate(gateway) / rate(so), 'x', 'gateway / serverless-offline');
    emit(`gateway_vs_serverless_offline_requests_per_s_${CONCURRENT}_callers`, rateConcurrent(gateway) / rateConcurrent(so), 'x', 'gateway / serverless-offline');
  }
  for (const t of targets) {
    t.single.destroy();
    t.pool.destroy();
  }
} finally {
  if (offline && typeof offline !== 'string') kill(offline.child);
  runner.kill('SIGTERM'); // the runner stops its functions' processes itself
  rmSync(dir, { recursive: true, force: true });
}

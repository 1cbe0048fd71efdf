// Shared by the lifecycle, extensions, telemetry and rie tests: a real runner process started from the built
// CLI (`node dist/runner.js start --port 0 --template X`), SAM templates written for it, real HTTP calls to
// its Invoke API, and small waits on what real processes do.
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { handleInvokeApi } from '../../../runner/invoke/invoke-api.ts';
import type { LocalLambda } from '../../../runner/local-lambda.ts';
import { parseFunction, type FunctionSpec } from '../../../runner/functions/model.ts';
import { CONTROL_PREFIX, ReadyLine, type RunnerEvent } from '../../../runner/protocol.ts';

export const ROOT = resolve(import.meta.dirname, '..', '..', '..');
export const CLI = join(ROOT, 'dist', 'runner.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');
/** The scriptable custom runtime (a `#!/usr/bin/env node` bootstrap) and the tutorial's sh + curl one. */
export const NODE_BOOTSTRAP_DIR = join(FIXTURES, 'lifecycle', 'runtime');
export const SHELL_BOOTSTRAP_DIR = join(FIXTURES, 'lifecycle', 'shell');
export const RECORDER_LAYER = join(FIXTURES, 'extensions', 'recorder-layer');

/** Fixture bootstraps run `node` from PATH: put this Node first so they run on the same Node as the runner. */
export const FIXTURE_PATH = `${dirname(process.execPath)}:${process.env.PATH ?? ''}`;

// A nodejsNN.x function without Node NN on this machine runs on Node NN installed from the npm registry
// (runner/runtimes/node-download.ts). Only fidelity-node-download.test.ts downloads; every other runner a test
// starts, in this process or as a child, runs on the Node there is.
process.env.OPEN_RUNTIME_NO_NODE_DOWNLOAD ??= '1';
process.env.OPEN_RUNTIME_NO_SDK_DOWNLOAD ??= '1';

export function assertBuilt(): void {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run "npm run build" before the integration tests.`);
}

// ---- temp files ---------------------------------------------------------------------------------------------

const temps: string[] = [];

/** A fresh temp directory, removed by removeTemps(). Marker files go here, never into a function's code folder
 *  (a write there is a code change and would hot-reload the function). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `or-${prefix}-`));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * What a test file starts once for its tests: `start` in a `before` hook, `stop` and then removeTemps() in an `after`
 * hook, both registered by this call (at the top level of the file). Returns a getter that throws before the start.
 */
export function useStarted<T>(what: string, start: () => Promise<T>, stop: (started: T) => Promise<unknown>): () => T {
  let started: T | undefined;
  before(async () => {
    started = await start();
  });
  after(async () => {
    if (started !== undefined) await stop(started);
    removeTemps();
  });
  return () => {
    if (started === undefined) throw new Error(`${what} is not started yet: use it inside a test or a hook.`);
    return started;
  };
}

// ---- templates ----------------------------------------------------------------------------------------------

/** An in-process LocalLambda's main port serves the Invoke API (and 404 elsewhere), as `open-runtime start` does. */
export async function serveInvokeApi(lambda: LocalLambda): Promise<void> {
  lambda.routeMain((req, res) => {
    const url = new URL(req.url!, 'http://127.0.0.1');
    if (!handleInvokeApi(lambda, req, res, url.pathname, url.searchParams)) res.writeHead(404).end();
  });
  await lambda.listen();
}

/**
 * A `provided` function whose bootstrap only records its Runtime API addresses and waits: the test is the runtime.
 * AWS_LAMBDA_RUNTIME_API goes to `<codeUri>/address`, the direct socket's path to `<codeUri>/socket`.
 */
export function manualFunction(dir: string, name: string, extra: Record<string, unknown> = {}): FunctionSpec {
  const code = join(dir, name);
  mkdirSync(code, { recursive: true });
  const bootstrap = join(code, 'bootstrap');
  writeFileSync(
    bootstrap,
    `#!/bin/sh\necho "$AWS_LAMBDA_RUNTIME_API" > "${join(code, 'address')}"\necho "$OPEN_RUNTIME_RUNTIME_API_SOCKET" > "${join(code, 'socket')}"\nexec sleep 600\n`,
  );
  chmodSync(bootstrap, 0o755);
  return parseFunction({ name, runtime: 'provided.al2023', handler: 'manual.handler', codeUri: code, timeout: 30, ...extra }, 'test');
}

export interface TemplateFunction {
  name: string;
  codeUri: string;
  runtime?: string;
  handler?: string;
  timeout?: number;
  memorySize?: number;
  environment?: Record<string, string>;
  concurrency?: number;
  /** TenancyConfig: {TenantIsolationMode: PER_TENANT}. */
  perTenant?: boolean;
  /** Local layer folders, each an AWS::Serverless::LayerVersion referenced with !Ref, or published layers' ARNs as they are. */
  layers?: string[];
  /** Architectures, as the template says them (x86_64 when absent). */
  architectures?: string[];
}

/** Writes a SAM template the way people write them (block style, !Ref for layers) and returns its path. */
export function writeTemplate(dir: string, functions: TemplateFunction[]): string {
  const lines = ["AWSTemplateFormatVersion: '2010-09-09'", 'Transform: AWS::Serverless-2016-10-31', 'Resources:'];
  const layerIds = new Map<string, string>();
  for (const fn of functions) {
    for (const layer of fn.layers ?? []) {
      if (layerIds.has(layer) || layer.startsWith('arn:')) continue;
      const id = `Layer${layerIds.size + 1}`;
      layerIds.set(layer, id);
      lines.push(`  ${id}:`, '    Type: AWS::Serverless::LayerVersion', '    Properties:', `      ContentUri: ${JSON.stringify(layer)}`);
    }
  }
  for (const fn of functions) {
    lines.push(`  ${fn.name}:`, '    Type: AWS::Serverless::Function');
    if (fn.concurrency !== undefined) lines.push('    Metadata:', '      OpenRuntime:', `        concurrency: ${fn.concurrency}`);
    lines.push(
      '    Properties:',
      `      Runtime: ${fn.runtime ?? 'provided.al2023'}`,
      `      Handler: ${fn.handler ?? 'function.handler'}`,
      `      CodeUri: ${JSON.stringify(fn.codeUri)}`,
      `      Timeout: ${fn.timeout ?? 10}`,
      `      MemorySize: ${fn.memorySize ?? 128}`,
    );
    if (fn.architectures?.length) lines.push(`      Architectures: [${fn.architectures.join(', ')}]`);
    if (fn.environment && Object.keys(fn.environment).length) {
      lines.push('      Environment:', '        Variables:');
      for (const [key, value] of Object.entries(fn.environment)) lines.push(`          ${key}: ${JSON.stringify(value)}`);
    }
    if (fn.perTenant) lines.push('      TenancyConfig:', '        TenantIsolationMode: PER_TENANT');
    if (fn.layers?.length) {
      lines.push('      Layers:');
      for (const layer of fn.layers) lines.push(layer.startsWith('arn:') ? `        - ${layer}` : `        - !Ref ${layerIds.get(layer)}`);
    }
  }
  const file = join(dir, 'template.yaml');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

// ---- the runner process -------------------------------------------------------------------------------------

export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  text: string;
  json: () => any;
}

/** A running `open-runtime` command that serves HTTP on 127.0.0.1. */
export interface CliProcess {
  port: number;
  endpoint: string;
  proc: ChildProcess;
  /** Everything the command wrote to stderr so far (its banner and the functions' logs). */
  stderr(): string;
  /** SIGTERM, as a person pressing Ctrl-C would; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export interface Runner extends CliProcess {
  /** The port of its HTTP gateway (`start --api-port 0`: a free one, never the user's 3000). */
  apiPort: number;
  /** Fails after `timeoutMs` (default 20 s) without an answer, so a hung invoke fails its test instead of the suite. */
  invoke(name: string, payload: unknown, headers?: Record<string, string>, timeoutMs?: number): Promise<Reply>;
}

/** Runs `node dist/runner.js ARGS` and waits for the line of its banner that names the port it serves. */
export async function startCli(args: string[], opts: { cwd: string; env?: Record<string, string>; banner: RegExp; prefix?: string[] }): Promise<CliProcess> {
  assertBuilt();
  // `prefix` runs the runner through another command that execs it (setpriv, to be another user).
  const [command, ...commandArgs] = [...(opts.prefix ?? []), process.execPath, CLI, ...args];
  const proc = spawn(command!, commandArgs, {
    cwd: opts.cwd,
    env: { ...process.env, PATH: FIXTURE_PATH, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  proc.stdout!.resume();
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`open-runtime ${args[0]} printed no banner within 20 s. Its stderr:\n${stderr}`)), 20_000);
    const check = () => {
      const match = opts.banner.exec(stderr);
      if (!match) return;
      clearTimeout(timer);
      proc.stderr!.off('data', check);
      resolve(Number(match[1]));
    };
    proc.stderr!.on('data', check);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`open-runtime ${args[0]} exited (code ${code}) before serving. Its stderr:\n${stderr}`));
    });
  });
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    proc,
    stderr: () => stderr,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(killer);
      return code;
    },
  };
}

/** `open-runtime start --port 0 --template X`, the Invoke API for every function of the template. */
export async function startRunner(template: string, env: Record<string, string> = {}): Promise<Runner> {
  const cli = await startCli(['start', '--port', '0', '--api-port', '0', '--template', template], {
    cwd: dirname(template),
    env,
    banner: /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  // The banner is one write: the gateway's line is in it.
  const apiPort = Number(/HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stderr())?.[1] ?? 0);
  return {
    ...cli,
    apiPort,
    invoke: (name, payload, headers = {}, timeoutMs) =>
      post(`${cli.endpoint}/2015-03-31/functions/${name}/invocations`, JSON.stringify(payload), headers, timeoutMs),
  };
}

/**
 * What an AWS client's signed request carries: `start` and `serve` check the shape of this header (not the
 * signature), as they refuse what a web page can send (runner/request-guard.ts).
 */
export const SIGNED = {
  Authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=0000',
} as const;

/** One HTTP POST on a new connection, signed as AWS clients sign; the whole reply, or an error after `timeoutMs` without one. */
export function post(url: string, body: string, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => req.destroy(new Error(`No answer from POST ${url} within ${timeoutMs / 1000} s.`)), timeoutMs);
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...SIGNED, ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const data = Buffer.concat(chunks);
        const text = data.toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: data, text, json: () => JSON.parse(text) });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

/** `open-runtime serve` as the editor starts it: the control token on the first line of stdin, a ready line on stdout. */
export interface Serve {
  proc: ChildProcess;
  port: number;
  pid: number;
  /** The HTTP gateway's port, from the ready line. */
  apiPort: number | undefined;
  token: string;
  stderr: () => string;
}

export async function startServe(workspace: string, token: string): Promise<Serve> {
  assertBuilt();
  const proc = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--quiet', '--workspace', workspace], {
    cwd: workspace,
    env: { ...process.env, PATH: FIXTURE_PATH },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  proc.stdin!.write(`${token}\n`);
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no ready line within 20 s. Its stderr:\n${stderr}`)), 20_000);
    createInterface({ input: proc.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    proc.once('exit', (code) => reject(new Error(`serve exited (${code}) before it was ready. Its stderr:\n${stderr}`)));
  });
  const ready = ReadyLine.parse(JSON.parse(line));
  return { proc, port: ready.port, pid: ready.pid, apiPort: ready.apiPort, token, stderr: () => stderr };
}

/** Every event `lambda` emits from now on, until `stop()`. */
export function recordEvents(lambda: LocalLambda): { events: RunnerEvent[]; stop: () => void } {
  const events: RunnerEvent[] = [];
  const stop = lambda.subscribe((e) => events.push(e));
  return { events, stop };
}

/**
 * serve's control API as the editor uses it: `control(path, body?)` (GET without a body, POST with one), and `events`,
 * every event of /events so far (followed from the call on).
 */
export async function controlOf(serve: Serve): Promise<{ control: (path: string, body?: unknown) => Promise<Response>; events: RunnerEvent[] }> {
  const control = (path: string, body?: unknown) =>
    fetch(`http://127.0.0.1:${serve.port}${CONTROL_PREFIX}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${serve.token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const events: RunnerEvent[] = [];
  const reader = (await control('/events')).body!.getReader();
  void (async () => {
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      text += Buffer.from(value).toString('utf8');
      const lines = text.split('\n');
      text = lines.pop()!;
      for (const line of lines) if (line) events.push(JSON.parse(line));
    }
  })().catch(() => undefined);
  return { control, events };
}

/** Closes serve's stdin, as the editor going away does, and waits for it to exit. */
export async function stopServe(serve: Serve): Promise<void> {
  if (serve.proc.exitCode !== null || serve.proc.signalCode !== null) return;
  const exited = new Promise((resolve) => serve.proc.once('exit', resolve));
  serve.proc.stdin!.end();
  await exited;
}

/** An Invoke API reply asked with `X-Amz-Log-Type: Tail`: its JSON ({} when the body is not JSON) and decoded logs. */
export interface TailReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  json: Record<string, any>;
  logs: string;
}

/** Invokes through the Invoke API at `endpoint` with the log tail, as the AWS SDK does with LogType: Tail. */
export async function invokeWithTail(endpoint: string, name: string, payload: unknown, headers: Record<string, string> = {}): Promise<TailReply> {
  const reply = await post(`${endpoint}/2015-03-31/functions/${name}/invocations`, JSON.stringify(payload), { 'X-Amz-Log-Type': 'Tail', ...headers });
  let json: Record<string, any> = {};
  try {
    json = reply.json();
  } catch {
    // not JSON: the test looks at `body`
  }
  const logs = Buffer.from(String(reply.headers['x-amz-log-result'] ?? ''), 'base64').toString('utf8');
  return { status: reply.status, headers: reply.headers, body: reply.text, json, logs };
}

export function logTail(reply: Reply): string {
  const value = reply.headers['x-amz-log-result'];
  if (typeof value !== 'string') throw new Error(`No X-Amz-Log-Result header in the reply (status ${reply.status}).`);
  return Buffer.from(value, 'base64').toString('utf8');
}

// ---- waiting on real processes ------------------------------------------------------------------------------

/** `promise`, marked handled: a rejection is seen where it is awaited. */
export function handled<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/** Polls until `check` returns a value other than undefined/false; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(what: string, check: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`Gave up after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(10);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The JSON lines the recorder extension and the runtime fixture append to RECORD_FILE. */
export function readRecords(file: string): Array<Record<string, any>> {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

/** A port nobody listens on right now (for commands that take a fixed address). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

// Shared by the Runtime API contract tests: the test plays the runtime over raw HTTP against a real in-process runner
// (LocalLambda, its Invoke API on the main port) and the caller through the Invoke API. The functions are `provided`
// ones whose bootstrap writes its AWS_LAMBDA_RUNTIME_API to `<dir>/<name>/address` and waits (manualFunction in
// runner.ts), so the test is the runtime.
import { existsSync, readFileSync } from 'node:fs';
import { type Agent, type IncomingHttpHeaders, request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FunctionSpec } from '../../../runner/functions/model.ts';
import { LocalLambda } from '../../../runner/local-lambda.ts';
import { serveInvokeApi, tempDir, useStarted } from './runner.ts';

export const NEXT = '/2018-06-01/runtime/invocation/next';
export const respond = (id: string) => `/2018-06-01/runtime/invocation/${id}/response`;

export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** One HTTP request to `host:port` as a runtime makes it: a new connection unless `agent` says otherwise. */
export function call(
  address: string,
  method: string,
  path: string,
  opts: { body?: Buffer | string; headers?: Record<string, string>; agent?: Agent } = {},
): Promise<RawReply> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path, headers: opts.headers, agent: opts.agent ?? false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

export interface RuntimeApiHarness {
  /** The runner, serving the Invoke API; the test process may use every Runtime API (runtimeApiAccess: 'any'). */
  lambda: LocalLambda;
  /** The temp folder the functions' code folders are in. */
  dir: string;
  /** A caller's RequestResponse invoke; resolves when the test (as the runtime) has answered. */
  invoke(name: string, payload: unknown, headers?: Record<string, string>): Promise<RawReply>;
  /** The `host:port` a function's runtime was given, once its environment has started. */
  runtimeAddress(name: string): Promise<string>;
}

/**
 * The harness of a test file: a LocalLambda with the functions `functions(dir)` makes, started in a `before` hook and
 * closed (its temp folder removed) in an `after` hook, both registered by this call (useStarted, at the top level of the file).
 */
export function useRuntimeApiHarness(prefix: string, functions: (dir: string) => FunctionSpec[]): RuntimeApiHarness {
  const started = useStarted(
    'The runner',
    async () => {
      const dir = tempDir(prefix);
      // The test process plays the runtime, so it must be let in: by default only an environment's own processes are
      // (runtime-api-access.test.ts shows that).
      const lambda = new LocalLambda({ hotReload: false, runtimeApiAccess: 'any' });
      lambda.setFunctions(functions(dir));
      await serveInvokeApi(lambda);
      return { lambda, dir };
    },
    ({ lambda }) => lambda.close(),
  );
  return {
    get lambda() {
      return started().lambda;
    },
    get dir() {
      return started().dir;
    },
    invoke: (name, payload, headers = {}) =>
      call(`127.0.0.1:${started().lambda.port}`, 'POST', `/2015-03-31/functions/${name}/invocations`, { body: JSON.stringify(payload), headers }),
    async runtimeAddress(name) {
      const marker = join(started().dir, name, 'address');
      for (let i = 0; i < 500 && !existsSync(marker); i++) await sleep(10);
      for (let i = 0; i < 100 && readFileSync(marker, 'utf8').trim() === ''; i++) await sleep(10);
      return readFileSync(marker, 'utf8').trim();
    },
  };
}

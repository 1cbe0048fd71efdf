// Shared by the control-plane tests (functions, layers): a real runner (`open-runtime start`) whose template has one
// function, and the two clients people deploy with, pointed at its local Lambda control plane: the real AWS CLI v2
// (/usr/bin/aws, Debian awscli; the `aws` first on PATH may be a v1) in a clean environment of its own (test
// credentials, no config or credentials file, no pager), and @aws-sdk/client-lambda; and the packages and
// create-function arguments every such test deploys with.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { ROOT, startRunner, tempDir, type Runner, useStarted } from './runner.ts';

const AWS = '/usr/bin/aws';
/** A role ARN of the shape CreateFunction requires (nothing checks that it exists, as on a fresh account's console). */
export const ROLE = 'arn:aws:iam::123456789012:role/lambda-test';

/**
 * `aws lambda create-function` for a function `name` of `runtime` and `handler` with the test ROLE and the package at
 * `zip` (a path), then `more` (--layers, --environment ...).
 */
export function createFunctionArgs(name: string, runtime: string, handler: string, zip: string, ...more: string[]): string[] {
  return ['create-function', '--function-name', name, '--runtime', runtime, '--handler', handler, '--role', ROLE, '--zip-file', `fileb://${zip}`, ...more];
}

export interface AwsCliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  json: () => any;
}

export interface ControlPlane {
  /** The runner: its Invoke API endpoint is the control plane's too. */
  runner: Runner;
  /** A temp folder for the test's zips and outputs (the CLI's HOME and working directory); removed by removeTemps(). */
  work: string;
  /** `aws lambda ARGS --endpoint-url <runner> --output json`. */
  aws(...args: string[]): AwsCliResult;
  /** The same, asserting exit 0; its JSON output (undefined when it printed nothing). */
  awsOk(...args: string[]): any;
  /** A new SDK client for the control plane, retries off (the caller destroys it). */
  sdk(): LambdaClient;
  /** `files` (by path) in a folder of `work`, zipped with the real zip command as people deploy them; the zip's path. */
  zip(name: string, files: Record<string, string>): string;
  stop(): Promise<void>;
}

/**
 * The control plane of a test file: started in a `before` hook, stopped (and the temp folders removed) in an `after`
 * hook, both registered by this call (useStarted, at the top level of the file). Its members are for the tests.
 */
export function useControlPlane(prefix: string): ControlPlane {
  const started = useStarted(
    'The control plane',
    () => startControlPlane(prefix),
    (plane) => plane.stop(),
  );
  return {
    get runner() {
      return started().runner;
    },
    get work() {
      return started().work;
    },
    aws: (...args) => started().aws(...args),
    awsOk: (...args) => started().awsOk(...args),
    sdk: () => started().sdk(),
    zip: (name, files) => started().zip(name, files),
    stop: () => started().stop(),
  };
}

/** Starts the runner on a template with one Node function, `FromTemplate` (examples/functions/callback-js). */
export async function startControlPlane(prefix: string): Promise<ControlPlane> {
  const work = tempDir(prefix);
  const awsEnv = {
    PATH: process.env.PATH ?? '',
    HOME: work,
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_PAGER: '',
    AWS_CONFIG_FILE: join(work, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
  };
  const template = join(work, 'template.yaml');
  writeFileSync(
    template,
    `Resources:\n  FromTemplate:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: ${JSON.stringify(join(ROOT, 'examples', 'functions', 'callback-js'))}\n      Handler: index.handler\n      Runtime: nodejs22.x\n`,
  );
  const runner = await startRunner(template);
  const aws = (...args: string[]): AwsCliResult => {
    const out = spawnSync(AWS, ['lambda', ...args, '--endpoint-url', runner.endpoint, '--output', 'json'], {
      encoding: 'utf8',
      env: awsEnv,
      cwd: work,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: out.status, stdout: out.stdout, stderr: out.stderr, json: () => JSON.parse(out.stdout) };
  };
  return {
    runner,
    work,
    aws,
    awsOk(...args) {
      const result = aws(...args);
      assert.equal(result.status, 0, `aws lambda ${args.join(' ')} failed: ${result.stderr}`);
      return result.stdout.trim() ? result.json() : undefined;
    },
    sdk: () =>
      new LambdaClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 1 }),
    zip(name, files) {
      const dir = join(work, `${name}-src`);
      for (const [path, text] of Object.entries(files)) {
        mkdirSync(join(dir, path, '..'), { recursive: true });
        writeFileSync(join(dir, path), text);
      }
      const zip = join(work, `${name}.zip`);
      assert.equal(spawnSync('zip', ['-q', '-r', '-X', zip, '.'], { cwd: dir }).status, 0);
      return zip;
    },
    stop: async () => {
      await runner.stop();
    },
  };
}

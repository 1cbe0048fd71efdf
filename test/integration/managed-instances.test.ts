// Lambda Managed Instances end to end: a SAM template with a CapacityProviderConfig run by `open-runtime start`, invoked
// concurrently with @aws-sdk/client-lambda. As Lambda's managed runtimes: the project's Node client runs the
// invocations as concurrent handlers in one process (sharing its module state), the Python client in several processes
// (each with its own), and a Node 22 callback-style handler is refused there (Node 24 refuses it everywhere).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { removeTemps, startRunner, tempDir } from './support/runner.ts';
import type { Runner } from './support/runner.ts';

let runner: Runner;
let lambda: LambdaClient;

const NODE_HANDLER = `let inFlight = 0;
let most = 0;
export const handler = async (event) => {
  const start = Date.now();
  inFlight++;
  most = Math.max(most, inFlight);
  await new Promise((resolve) => setTimeout(resolve, event.ms));
  inFlight--;
  return { pid: process.pid, start, end: Date.now(), mostAtOnce: most, max: process.env.AWS_LAMBDA_MAX_CONCURRENCY };
};
export const callback = (event, context, callback) => callback(null, 'old style');
`;
const PYTHON_HANDLER = `import os, time
def handler(event, context):
    start = time.time() * 1000
    time.sleep(event["ms"] / 1000)
    return {"pid": os.getpid(), "ppid": os.getppid(), "start": start, "end": time.time() * 1000, "max": os.environ.get("AWS_LAMBDA_MAX_CONCURRENCY")}
`;

before(async () => {
  const dir = tempDir('managed');
  const node = join(dir, 'node');
  const python = join(dir, 'python');
  mkdirSync(node);
  mkdirSync(python);
  writeFileSync(join(node, 'index.mjs'), NODE_HANDLER);
  writeFileSync(join(python, 'app.py'), PYTHON_HANDLER);
  const fn = (name: string, code: string, runtime: string, handler: string, max?: number) => [
    `  ${name}:`,
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    `      CodeUri: ${JSON.stringify(code)}`,
    `      Runtime: ${runtime}`,
    `      Handler: ${handler}`,
    '      Timeout: 20',
    '      CapacityProviderConfig:',
    '        LambdaManagedInstancesCapacityProviderConfig:',
    '          CapacityProviderArn: arn:aws:lambda:us-east-1:123456789012:capacity-provider:local',
    ...(max !== undefined ? [`          PerExecutionEnvironmentMaxConcurrency: ${max}`] : []),
  ];
  const template = join(dir, 'template.yaml');
  writeFileSync(
    template,
    [
      "AWSTemplateFormatVersion: '2010-09-09'",
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      ...fn('NodeManaged', node, 'nodejs24.x', 'index.handler', 4),
      ...fn('NodeDefault', node, 'nodejs24.x', 'index.handler'),
      ...fn('Node22Callback', node, 'nodejs22.x', 'index.callback', 2),
      ...fn('PythonManaged', python, 'python3.13', 'app.handler', 2),
    ].join('\n') + '\n',
  );
  runner = await startRunner(template);
  lambda = new LambdaClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});

after(async () => {
  lambda?.destroy();
  await runner?.stop();
  removeTemps();
});

interface Ran {
  pid: number;
  ppid?: number;
  start: number;
  end: number;
  mostAtOnce?: number;
  max: string;
}

async function invoke(name: string, event: unknown): Promise<Ran> {
  const reply = await lambda.send(new InvokeCommand({ FunctionName: name, Payload: Buffer.from(JSON.stringify(event)) }));
  const text = Buffer.from(reply.Payload ?? []).toString('utf8');
  assert.equal(reply.FunctionError, undefined, text);
  return JSON.parse(text);
}

const overlap = (a: Ran, b: Ran) => a.start < b.end && b.start < a.end;

describe('Lambda Managed Instances', { timeout: 120_000 }, () => {
  it('Node: the invocations run as concurrent handlers in one process', async () => {
    await invoke('NodeManaged', { ms: 0 }); // the cold start first: then all four find the warm environment
    const runs = await Promise.all([1, 2, 3, 4].map(() => invoke('NodeManaged', { ms: 600 })));
    assert.equal(runs[0]!.max, '4', 'AWS_LAMBDA_MAX_CONCURRENCY is the PerExecutionEnvironmentMaxConcurrency');
    assert.equal(new Set(runs.map((r) => r.pid)).size, 1, 'one process');
    assert.ok(overlap(runs[0]!, runs[3]!) && overlap(runs[1]!, runs[2]!), `the handlers ran at the same time: ${JSON.stringify(runs)}`);
    assert.equal(Math.max(...runs.map((r) => r.mostAtOnce!)), 4, 'four in flight at once in the shared module state');
  });

  it("Node: without PerExecutionEnvironmentMaxConcurrency, Lambda's default for Node (64)", async () => {
    assert.equal((await invoke('NodeDefault', { ms: 0 })).max, '64');
  });

  it('Python: the invocations run in several processes of one environment, each with its own state', async () => {
    await invoke('PythonManaged', { ms: 0 });
    const [a, b] = await Promise.all([invoke('PythonManaged', { ms: 800 }), invoke('PythonManaged', { ms: 800 })]);
    assert.equal(a!.max, '2');
    assert.notEqual(a!.pid, b!.pid, 'two processes');
    assert.ok(a!.ppid === b!.pid || b!.ppid === a!.pid, `one forked from the other (one environment): ${JSON.stringify([a, b])}`);
    assert.ok(overlap(a!, b!), `they ran at the same time: ${JSON.stringify([a, b])}`);
  });

  it('Node 22 on Managed Instances refuses a callback-style handler, as Lambda does', async () => {
    const reply = await lambda.send(new InvokeCommand({ FunctionName: 'Node22Callback', Payload: Buffer.from('{}') }));
    assert.equal(reply.FunctionError, 'Unhandled');
    const error = JSON.parse(Buffer.from(reply.Payload!).toString());
    assert.equal(error.errorType, 'Runtime.CallbackHandlerDeprecated');
    assert.match(error.errorMessage, /does not support callback-based function handlers when using Node.js 22 with Managed Instances/);
  });
});

// The examples through the Invoke API with real clients: the AWS CLI v2 (Debian awscli), @aws-sdk/client-lambda
// (including InvokeWithResponseStream), and a Node function under the official aws-lambda-ric client.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  InvokeCommand,
  InvokeWithResponseStreamCommand,
  LambdaClient,
  ResourceNotFoundException,
  TooManyRequestsException,
  RequestTooLargeException,
  InvalidRequestContentException,
} from '@aws-sdk/client-lambda';
import { ROOT, startRunner, tempDir, removeTemps, post, type Runner } from './support/runner.ts';

const run = promisify(execFile);
const EXAMPLES = join(ROOT, 'examples');
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws'; // Debian's awscli is v2; a pyenv shim may be v1
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const awsEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };

let runner: Runner;
let client: LambdaClient;
let out: string;

before(async () => {
  runner = await startRunner(join(EXAMPLES, 'template.yaml'));
  client = new LambdaClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials });
  out = tempDir('invoke-api');
});

after(async () => {
  client.destroy();
  await runner.stop();
  removeTemps();
});

async function aws(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(AWS, [...args, '--endpoint-url', runner.endpoint], { env: awsEnv });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

test('AWS CLI v2 is the real one', async () => {
  const { stdout, stderr } = await run(AWS, ['--version']);
  assert.match(stdout + stderr, /^aws-cli\/2\./);
});

test('AWS CLI: each example answers through aws lambda invoke', async () => {
  const cases: Array<[string, string, (body: any) => void]> = [
    [
      'HelloTs',
      'hello-query.json',
      (b) => {
        assert.equal(b.statusCode, 200);
        assert.match(JSON.parse(b.body).message, /^Hello, /);
      },
    ],
    [
      'CallbackJs',
      'callback.json',
      (b) => {
        assert.equal(b.functionName, 'CallbackJs');
        assert.ok(b.remainingTimeInMillis > 0 && b.remainingTimeInMillis <= 5000);
      },
    ],
    ['PythonHello', 'python.json', (b) => assert.equal(typeof b, 'object')],
    ['BashCurl', 'bash.json', (b) => assert.ok(b !== undefined)],
  ];
  for (const [name, event, check] of cases) {
    const file = join(out, `${name}.json`);
    const result = await aws(
      'lambda',
      'invoke',
      '--function-name',
      name,
      '--cli-binary-format',
      'raw-in-base64-out',
      '--payload',
      `file://${join(EXAMPLES, 'events', event)}`,
      '--log-type',
      'Tail',
      file,
    );
    assert.equal(result.code, 0, `${name}: ${result.stderr}`);
    const meta = JSON.parse(result.stdout);
    assert.equal(meta.StatusCode, 200, name);
    assert.equal(meta.ExecutedVersion, '$LATEST');
    assert.equal(meta.FunctionError, undefined, `${name} failed: ${readFileSync(file, 'utf8')}`);
    const logs = Buffer.from(meta.LogResult, 'base64').toString('utf8');
    assert.match(logs, /REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: \d+ MB\tMax Memory Used: \d+ MB/, name);
    const text = readFileSync(file, 'utf8');
    check(text.trim().startsWith('{') || text.trim().startsWith('"') ? JSON.parse(text) : text);
  }
});

test('AWS CLI: a function error is FunctionError Unhandled with the error document', async () => {
  const file = join(out, 'failing.json');
  const result = await aws(
    'lambda',
    'invoke',
    '--function-name',
    'FailingJs',
    '--cli-binary-format',
    'raw-in-base64-out',
    '--payload',
    '{"orderId":"order-42"}',
    file,
  );
  assert.equal(result.code, 0);
  assert.equal(JSON.parse(result.stdout).FunctionError, 'Unhandled');
  const error = JSON.parse(readFileSync(file, 'utf8'));
  assert.equal(error.errorType, 'OrderNotFoundError');
  assert.ok(Array.isArray(error.trace));
});

test('AWS CLI: Event and DryRun invocation types; unknown function', async () => {
  const event = await aws(
    'lambda',
    'invoke',
    '--function-name',
    'CallbackJs',
    '--invocation-type',
    'Event',
    '--cli-binary-format',
    'raw-in-base64-out',
    '--payload',
    '{}',
    join(out, 'event.json'),
  );
  assert.equal(JSON.parse(event.stdout).StatusCode, 202);
  const dry = await aws('lambda', 'invoke', '--function-name', 'CallbackJs', '--invocation-type', 'DryRun', join(out, 'dry.json'));
  assert.equal(JSON.parse(dry.stdout).StatusCode, 204);
  const missing = await aws('lambda', 'invoke', '--function-name', 'NoSuchFunction', join(out, 'missing.json'));
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /ResourceNotFoundException/);
  assert.match(missing.stderr, /Function not found: arn:aws:lambda:us-east-1:123456789012:function:NoSuchFunction/);
});

test('SDK: Invoke with client context, log tail and the executed version', async () => {
  const res = await client.send(
    new InvokeCommand({
      FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:CallbackJs',
      Payload: Buffer.from(JSON.stringify({ via: 'sdk' })),
      LogType: 'Tail',
      ClientContext: Buffer.from(JSON.stringify({ custom: { tenant: 't1' } })).toString('base64'),
    }),
  );
  assert.equal(res.StatusCode, 200);
  assert.equal(res.ExecutedVersion, '$LATEST');
  const body = JSON.parse(Buffer.from(res.Payload!).toString('utf8'));
  assert.deepEqual(body.echo, { via: 'sdk' });
  assert.match(Buffer.from(res.LogResult!, 'base64').toString('utf8'), /END RequestId: /);
});

test('SDK: errors come back as the SDK exception classes', async () => {
  await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'Nope', Payload: Buffer.from('{}') })), ResourceNotFoundException);
  await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'CallbackJs', Payload: Buffer.alloc(6_291_457, 0x20) })), RequestTooLargeException);
  await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'CallbackJs', Payload: Buffer.from('{"broken": ') })), InvalidRequestContentException);
  // StreamJs has the default cap of 10 concurrent environments and holds each for ~300 ms.
  // The SDK retries throttling on its own; one attempt shows what the runner answered.
  const once = new LambdaClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });
  const slow = Array.from({ length: 11 }, () =>
    once.send(new InvokeCommand({ FunctionName: 'StreamJs', Payload: Buffer.from('{"chunks":3}') })).then(
      () => 'ok',
      (e) => e,
    ),
  );
  const outcomes = await Promise.all(slow);
  once.destroy();
  const refused = outcomes.filter((o) => o instanceof TooManyRequestsException);
  assert.equal(refused.length, 1, `one caller over the cap of 10 is refused: ${outcomes.map(String).join(', ')}`);
  assert.equal(outcomes.filter((o) => o === 'ok').length, 10);
});

test('SDK: InvokeWithResponseStream delivers the chunks as the function writes them', async () => {
  const res = await client.send(new InvokeWithResponseStreamCommand({ FunctionName: 'StreamJs', Payload: Buffer.from('{"chunks":4}') }));
  assert.equal(res.StatusCode, 200);
  assert.equal(res.ResponseStreamContentType, 'application/vnd.awslambda.http-integration-response');
  const arrivals: Array<{ at: number; text: string }> = [];
  let complete: unknown;
  for await (const event of res.EventStream!) {
    if (event.PayloadChunk?.Payload) arrivals.push({ at: Date.now(), text: Buffer.from(event.PayloadChunk.Payload).toString('utf8') });
    if (event.InvokeComplete) complete = event.InvokeComplete;
  }
  const whole = arrivals.map((a) => a.text).join('');
  const [prelude, body] = whole.split('\0'.repeat(8));
  assert.equal(JSON.parse(prelude!).statusCode, 200);
  assert.equal(body, 'chunk 1 of 4\nchunk 2 of 4\nchunk 3 of 4\nchunk 4 of 4\n');
  assert.ok(arrivals.length >= 4, `chunks arrive separately (${arrivals.length} events)`);
  assert.ok(arrivals.at(-1)!.at - arrivals[0]!.at >= 200, 'the last chunk came well after the first: nothing was buffered');
  assert.deepEqual(complete, {});
});

test('the Invoke API refuses malformed JSON events with InvalidRequestContentException and keeps serving', async () => {
  const bad = await post(`${runner.endpoint}/2015-03-31/functions/CallbackJs/invocations`, '{"a": tru');
  assert.equal(bad.status, 400);
  assert.equal(bad.headers['x-amzn-errortype'], 'InvalidRequestContentException');
  assert.match(bad.json().message, /Could not parse request body into json/);
  const good = await runner.invoke('CallbackJs', { ok: 1 });
  assert.equal(good.status, 200);
  assert.deepEqual(good.json().echo, { ok: 1 });
});

test('aws-lambda-ric, the official Node runtime client, runs the TypeScript example', async () => {
  const dir = tempDir('ric');
  const template = join(dir, 'template.yaml');
  writeFileSync(
    template,
    [
      'Resources:',
      '  HelloRic:',
      '    Type: AWS::Serverless::Function',
      '    Metadata:',
      '      OpenRuntime:',
      '        runtimeClient: aws-lambda-ric',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLES, 'functions', 'hello-ts'))}`,
      '      Handler: app.handler',
      '      Runtime: nodejs22.x',
      '      Environment:',
      '        Variables:',
      '          GREETING: Hi',
    ].join('\n'),
  );
  const ric = await startRunner(template);
  try {
    const ricClient = new LambdaClient({ endpoint: ric.endpoint, region: 'us-east-1', credentials });
    for (let i = 0; i < 3; i++) {
      const res = await ricClient.send(
        new InvokeCommand({ FunctionName: 'HelloRic', Payload: Buffer.from(JSON.stringify({ queryStringParameters: { name: `ric${i}` } })), LogType: 'Tail' }),
      );
      assert.equal(res.FunctionError, undefined, Buffer.from(res.Payload!).toString());
      const body = JSON.parse(Buffer.from(res.Payload!).toString('utf8'));
      assert.equal(JSON.parse(body.body).message, `Hi, ric${i}!`);
    }
    ricClient.destroy();
    assert.match(ric.stderr(), /REPORT RequestId/);
  } finally {
    await ric.stop();
  }
});

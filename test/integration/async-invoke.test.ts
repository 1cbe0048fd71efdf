// Asynchronous (Event) invocations as Lambda handles them, through the built CLI (`open-runtime start`) and real
// callers (AWS CLI v2, the AWS SDK, raw HTTP): kept on disk across a SIGTERM and a restart, retried after function
// errors, sent to OnSuccess / OnFailure destinations with Lambda's record, dropped past their age limit, refused
// with 429 when the queue is full, and held on disk rather than in the runner's memory.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { isAlive, post, readRecords, removeTemps, serveInvokeApi, startRunner, tempDir, waitFor } from './support/runner.ts';
import { parseFunction } from '../../runner/functions/model.ts';
import { useEventQueue } from '../../runner/invoke/event-queue.ts';
import { LocalLambda } from '../../runner/local-lambda.ts';

const run = promisify(execFile);
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : 'aws';
const awsEnv = { ...process.env, AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_DEFAULT_REGION: 'us-east-1', AWS_PAGER: '' };
/** The Invoke API's callers sign their requests; only the header's shape matters locally. */
const SIGV4 = 'AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0';
/** A minute of Lambda's retry timing is 0.6 s here. */
const FAST = { OPEN_RUNTIME_EVENT_TIME_SCALE: '0.01' };

after(() => removeTemps());

/**
 * A workspace with one Node handler (app.mjs) shared by every function: it records each attempt's start and end
 * to RECORD_FILE (a temp file outside the code folder), sleeps `sleepMs`, and fails when asked (or always, for
 * functions with ALWAYS_FAIL).
 */
function workspace(name: string, resources: string): { dir: string; template: string; records: string } {
  const dir = tempDir(name);
  const code = join(dir, 'src');
  mkdirSync(code);
  const records = join(tempDir(`${name}-records`), 'records.jsonl');
  writeFileSync(
    join(code, 'app.mjs'),
    `import { appendFileSync } from 'node:fs';
const record = (entry) => appendFileSync(process.env.RECORD_FILE, JSON.stringify({ fn: process.env.AWS_LAMBDA_FUNCTION_NAME, pid: process.pid, at: Date.now(), ...entry }) + '\\n');
export const handler = async (event, context) => {
  record({ phase: 'start', requestId: context.awsRequestId, event });
  if (event.sleepMs) await new Promise((r) => setTimeout(r, event.sleepMs));
  if (event.fail || process.env.ALWAYS_FAIL) throw new Error('failing on purpose');
  record({ phase: 'done', requestId: context.awsRequestId, event });
  return { ok: true, id: event.id };
};
`,
  );
  const template = join(dir, 'template.yaml');
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
${resources}`,
  );
  return { dir, template, records };
}

function sendEvent(target: { endpoint: string }, name: string, event: unknown) {
  return post(`${target.endpoint}/2015-03-31/functions/${name}/invocations`, JSON.stringify(event), { 'X-Amz-Invocation-Type': 'Event', Authorization: SIGV4 });
}

/**
 * An in-process LocalLambda serving the Invoke API with the event queue in the workspace, for tests that change its
 * functions while events wait: `spec(name)` defines app.mjs as `name` (concurrency from `concurrency`, else 10), and
 * `lines` gathers its log lines as `[function] line`.
 */
async function queueingLambda(ws: { dir: string; records: string }, concurrency: Record<string, number>) {
  const lambda = new LocalLambda({ hotReload: false });
  const spec = (name: string) =>
    parseFunction(
      {
        name,
        runtime: 'nodejs22.x',
        handler: 'app.handler',
        codeUri: join(ws.dir, 'src'),
        environment: { RECORD_FILE: ws.records },
        concurrency: concurrency[name] ?? 10,
      },
      'test',
    );
  const lines: string[] = [];
  lambda.subscribe((e) => {
    if (e.type === 'log') lines.push(`[${e.function}] ${e.line}`);
  });
  lambda.setFunctions(Object.keys(concurrency).map(spec));
  await serveInvokeApi(lambda);
  await useEventQueue(lambda, join(ws.dir, '.open-runtime'));
  return { lambda, spec, lines, endpoint: `http://127.0.0.1:${lambda.port}` };
}

const AUDIT = `  Audit:
    Type: AWS::Serverless::Function
`;

test('20 queued events, SIGTERM, restart: every event runs at least once; only the ones in flight may run twice', async () => {
  const ws = workspace(
    'durable',
    `  Worker:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 2
`,
  );
  let runner = await startRunner(ws.template);
  const ids = Array.from({ length: 20 }, (_, i) => `e${i}`);
  try {
    for (const id of ids) {
      const reply = await sendEvent(runner, 'Worker', { id, sleepMs: 400 });
      assert.equal(reply.status, 202, reply.text);
      assert.match(String(reply.headers['x-amzn-requestid']), /^[0-9a-f-]{36}$/);
    }
    await waitFor('two events to finish', () => readRecords(ws.records).filter((r) => r.phase === 'done').length >= 2, 20_000);
  } finally {
    assert.equal(await runner.stop(), 0);
  }
  const before = readRecords(ws.records);
  // After the runner closed nothing runs, and no function process outlives it.
  await sleep(800);
  assert.equal(readRecords(ws.records).length, before.length, 'no event ran after the runner closed');
  for (const pid of new Set(before.map((r) => r.pid))) assert.equal(isAlive(pid), false, `function process ${pid} is gone`);
  const kept = readdirSync(join(ws.dir, '.open-runtime', 'events')).filter((n) => n.endsWith('.json')).length;
  assert.ok(kept >= 20 - before.filter((r) => r.phase === 'done').length, `${kept} events are kept on disk`);

  runner = await startRunner(ws.template);
  try {
    await waitFor(
      'every event to run',
      () => {
        const done = new Set(
          readRecords(ws.records)
            .filter((r) => r.phase === 'done')
            .map((r) => r.event.id),
        );
        return ids.every((id) => done.has(id));
      },
      30_000,
    );
    assert.match(runner.stderr(), /\[Worker\] \d+ asynchronous events restored from .*\.open-runtime\/events/);
  } finally {
    await runner.stop();
  }
  const done = readRecords(ws.records).filter((r) => r.phase === 'done');
  // At least once: an event may run twice only if it had started before the SIGTERM (at most `concurrency` of them).
  const startedBefore = new Set(before.filter((r) => r.phase === 'start').map((r) => r.event.id));
  const twice = ids.filter((id) => done.filter((r) => r.event.id === id).length > 1);
  assert.ok(twice.length <= 2, `at most the 2 events in flight at the SIGTERM ran twice (${twice.join(', ')})`);
  for (const id of twice) assert.ok(startedBefore.has(id), `${id} ran twice, and it was in flight at the SIGTERM`);
  // Each event keeps its request id through the restart.
  for (const id of ids) assert.equal(new Set(done.filter((r) => r.event.id === id).map((r) => r.requestId)).size, 1);
});

test('a failing function with MaximumRetryAttempts 2 runs 3 times, ~1 then ~2 (scaled) minutes apart, then its OnFailure function gets the record', async () => {
  const ws = workspace(
    'retries',
    `  Failing:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        MaximumRetryAttempts: 2
        DestinationConfig:
          OnFailure:
            Type: Lambda
            Destination: !GetAtt Audit.Arn
${AUDIT}`,
  );
  const runner = await startRunner(ws.template, FAST);
  try {
    const payload = { id: 'order-1', fail: true };
    const out = join(ws.dir, 'out.json');
    const cli = await run(
      AWS,
      [
        'lambda',
        'invoke',
        '--endpoint-url',
        runner.endpoint,
        '--function-name',
        'Failing',
        '--invocation-type',
        'Event',
        '--cli-binary-format',
        'raw-in-base64-out',
        '--payload',
        JSON.stringify(payload),
        out,
      ],
      { env: awsEnv },
    );
    assert.equal(JSON.parse(cli.stdout).StatusCode, 202);
    const audit = await waitFor('the OnFailure record', () => readRecords(ws.records).find((r) => r.fn === 'Audit' && r.phase === 'done'), 20_000);
    const attempts = readRecords(ws.records).filter((r) => r.fn === 'Failing' && r.phase === 'start');
    assert.equal(attempts.length, 3, 'three attempts');
    assert.equal(new Set(attempts.map((a) => a.requestId)).size, 1, 'one request id for every attempt');
    assert.ok(attempts[1]!.at - attempts[0]!.at >= 500, 'the first retry waits (60 s scaled by 0.01)');
    assert.ok(attempts[2]!.at - attempts[1]!.at >= 1100, 'the second retry waits twice as long');
    const record = audit.event;
    assert.equal(record.version, '1.0');
    assert.match(record.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.deepEqual(record.requestContext, {
      requestId: attempts[0]!.requestId,
      functionArn: 'arn:aws:lambda:us-east-1:123456789012:function:Failing:$LATEST',
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    });
    assert.deepEqual(record.requestPayload, payload);
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' });
    assert.equal(record.responsePayload.errorMessage, 'failing on purpose');
    assert.match(runner.stderr(), /\[Failing\] Asynchronous event \S+: attempt 1 of 3 failed \(Error\); it is retried in 600 ms\./);
  } finally {
    await runner.stop();
  }
});

test('OnSuccess: the destination function gets the Success record with the response (AWS SDK caller)', async () => {
  const ws = workspace(
    'success',
    `  Succeeding:
    Type: AWS::Serverless::Function
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess:
            Type: Lambda
            Destination: !GetAtt Audit.Arn
${AUDIT}`,
  );
  const runner = await startRunner(ws.template, FAST);
  const client = new LambdaClient({ endpoint: runner.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  try {
    const res = await client.send(
      new InvokeCommand({ FunctionName: 'Succeeding', InvocationType: 'Event', Payload: Buffer.from(JSON.stringify({ id: 'ok-1' })) }),
    );
    assert.equal(res.StatusCode, 202);
    const audit = await waitFor('the OnSuccess record', () => readRecords(ws.records).find((r) => r.fn === 'Audit' && r.phase === 'done'), 20_000);
    const record = audit.event;
    assert.equal(record.requestContext.condition, 'Success');
    assert.equal(record.requestContext.approximateInvokeCount, 1);
    assert.equal(record.requestContext.requestId, res.$metadata.requestId);
    assert.deepEqual(record.responseContext, { statusCode: 200, executedVersion: '$LATEST' });
    assert.deepEqual(record.responsePayload, { ok: true, id: 'ok-1' });
  } finally {
    client.destroy();
    await runner.stop();
  }
});

test('destinations that are not local functions (SQS) and a dead-letter queue get a file under .open-runtime, with one log line each', async () => {
  const ws = workspace(
    'remote-destinations',
    `  ToQueue:
    Type: AWS::Serverless::Function
    Properties:
      Environment:
        Variables:
          ALWAYS_FAIL: '1'
      EventInvokeConfig:
        MaximumRetryAttempts: 0
        DestinationConfig:
          OnFailure:
            Type: SQS
            Destination: arn:aws:sqs:us-east-1:123456789012:failed-orders
      DeadLetterQueue:
        Type: SNS
        TargetArn: arn:aws:sns:us-east-1:123456789012:dead-orders
`,
  );
  const runner = await startRunner(ws.template, FAST);
  try {
    assert.equal((await sendEvent(runner, 'ToQueue', { id: 'q-1' })).status, 202);
    const line = await waitFor(
      'the destination log line',
      () =>
        /OnFailure destination arn:aws:sqs:us-east-1:123456789012:failed-orders \(SQS\) is not a local function, so nothing here can receive it: the record is in (\S+)\./.exec(
          runner.stderr(),
        ) ?? undefined,
      20_000,
    );
    const record = JSON.parse(readFileSync(line[1]!, 'utf8'));
    assert.ok(line[1]!.startsWith(join(ws.dir, '.open-runtime', 'destinations')));
    assert.equal(record.requestContext.condition, 'RetriesExhausted');
    assert.equal(record.requestContext.approximateInvokeCount, 1);
    const dlq = await waitFor(
      'the dead-letter line',
      () =>
        /Dead-letter queue arn:aws:sns:us-east-1:123456789012:dead-orders \(SNS\) is not local, so nothing here can receive it: the event is in (\S+)\./.exec(
          runner.stderr(),
        ) ?? undefined,
      10_000,
    );
    const message = JSON.parse(readFileSync(dlq[1]!, 'utf8'));
    assert.deepEqual(JSON.parse(message.body), { id: 'q-1' });
    assert.equal(message.messageAttributes.ErrorMessage, 'failing on purpose');
  } finally {
    await runner.stop();
  }
});

test('an event older than MaximumEventAgeInSeconds is dropped with a log line and an EventAgeExceeded record; it never runs', async () => {
  const ws = workspace(
    'age',
    `  Busy:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 1
    Properties:
      EventInvokeConfig:
        MaximumEventAgeInSeconds: 60
        DestinationConfig:
          OnFailure:
            Type: Lambda
            Destination: !GetAtt Audit.Arn
${AUDIT}`,
  );
  const runner = await startRunner(ws.template, FAST);
  try {
    // A synchronous call holds the only slot for 2 s; the event (allowed 60 s scaled to 0.6 s) waits behind it.
    const holding = runner.invoke('Busy', { id: 'holder', sleepMs: 2000 }, { Authorization: SIGV4 });
    await waitFor('the holder to start', () => readRecords(ws.records).some((r) => r.event?.id === 'holder'), 20_000);
    assert.equal((await sendEvent(runner, 'Busy', { id: 'late' })).status, 202);
    assert.equal((await holding).status, 200);
    const audit = await waitFor('the EventAgeExceeded record', () => readRecords(ws.records).find((r) => r.fn === 'Audit' && r.phase === 'done'), 20_000);
    assert.equal(audit.event.requestContext.condition, 'EventAgeExceeded');
    assert.equal(audit.event.requestContext.approximateInvokeCount, 0);
    assert.deepEqual(audit.event.requestPayload, { id: 'late' });
    assert.equal(
      readRecords(ws.records).some((r) => r.fn === 'Busy' && r.event.id === 'late'),
      false,
      'the late event never ran',
    );
    assert.match(
      runner.stderr(),
      /\[Busy\] Asynchronous event \S+ dropped: it is older than MaximumEventAgeInSeconds \(60 s, scaled by 0\.01\) after 0 attempts\./,
    );
  } finally {
    await runner.stop();
  }
});

test('a full queue answers 429 TooManyRequestsException naming its limit', async () => {
  const ws = workspace(
    'full',
    `  Stuck:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 1
`,
  );
  const runner = await startRunner(ws.template, { OPEN_RUNTIME_EVENT_QUEUE_MAX_EVENTS: '3' });
  try {
    const statuses: number[] = [];
    let refused: Awaited<ReturnType<typeof sendEvent>> | undefined;
    for (let i = 0; i < 5; i++) {
      const reply = await sendEvent(runner, 'Stuck', { id: `s${i}`, sleepMs: 3000 });
      statuses.push(reply.status);
      if (reply.status === 429) refused ??= reply;
    }
    assert.deepEqual(statuses, [202, 202, 202, 429, 429]);
    assert.equal(refused!.json().__type, 'TooManyRequestsException');
    assert.match(refused!.json().message, /The local queue of asynchronous invocations is full: 3 events .* it keeps at most 3 events or 1024 MB\./);
  } finally {
    await runner.stop();
  }
});

test('removing a function drops its queued events with a log line; they never run, and its processes go', async () => {
  const ws = workspace('removed', '');
  const local = await queueingLambda(ws, { Keep: 10, Slow: 1 });
  const { lambda, spec, lines } = local;
  try {
    for (let i = 0; i < 4; i++) {
      const reply = await sendEvent(local, 'Slow', { id: `r${i}`, sleepMs: 1500 });
      assert.equal(reply.status, 202, reply.text);
    }
    await waitFor('the first to start', () => readRecords(ws.records).some((r) => r.fn === 'Slow'), 20_000);
    const pids = lambda.environments().map((e) => e.pid!);
    lambda.setFunctions([spec('Keep')]);
    await waitFor(
      'the drop line',
      () => lines.some((l) => /^\[Slow\] 3 queued asynchronous events were dropped: function Slow is no longer defined\.$/.test(l)),
      10_000,
    );
    await sleep(2000);
    assert.deepEqual(
      readRecords(ws.records)
        .filter((r) => r.phase === 'start')
        .map((r) => r.event.id),
      ['r0'],
      'only the event already running ran',
    );
    for (const pid of pids) assert.equal(isAlive(pid), false, `process ${pid} of the removed function is gone`);
    assert.deepEqual(
      readdirSync(join(ws.dir, '.open-runtime', 'events')).filter((n) => n !== 'runner.pid'),
      [],
      'nothing of Slow is kept',
    );
  } finally {
    await lambda.close();
  }
});

test("1,000 queued events of 512 KB wait on disk, not in the runner's memory", async () => {
  const ws = workspace(
    'memory',
    `  Hold:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 1
    Properties:
      Timeout: 120
`,
  );
  const runner = await startRunner(ws.template);
  const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${runner.proc.pid}/status`, 'utf8'))![1]) / 1024;
  try {
    // The first event holds the only slot; the rest wait behind it.
    assert.equal((await sendEvent(runner, 'Hold', { id: 'holder', sleepMs: 100_000 })).status, 202);
    const pad = 'x'.repeat(512 * 1024);
    for (let i = 0; i < 1000; i++) {
      const reply = await sendEvent(runner, 'Hold', { id: `m${i}`, pad });
      assert.equal(reply.status, 202, reply.text);
    }
    const rss = rssMb();
    // 1,000 x 512 KB is 500 MB of events; kept in memory they took the runner from 68 to 570 MB.
    assert.ok(rss < 200, `the runner's RSS is ${rss.toFixed(0)} MB with 500 MB of events queued`);
    assert.equal(readdirSync(join(ws.dir, '.open-runtime', 'events')).filter((n) => n.endsWith('.event')).length, 1001);
  } finally {
    await runner.stop();
  }
});

test('a second runner in the same workspace leaves the queue to the first, says so, and still runs its own events', async () => {
  const ws = workspace(
    'two-runners',
    `  Worker:
    Type: AWS::Serverless::Function
`,
  );
  const first = await startRunner(ws.template);
  try {
    const second = await startRunner(ws.template);
    try {
      assert.match(
        second.stderr(),
        new RegExp(
          `another runner \\(pid ${first.proc.pid}\\) keeps the asynchronous invocations of this workspace in .*events; this one keeps its own Event invocations in memory`,
        ),
      );
      assert.equal((await sendEvent(second, 'Worker', { id: 'from-second' })).status, 202);
      await waitFor("the second runner's event to run", () => readRecords(ws.records).some((r) => r.phase === 'done' && r.event.id === 'from-second'), 20_000);
    } finally {
      await second.stop();
    }
    assert.equal(readFileSync(join(ws.dir, '.open-runtime', 'events', 'runner.pid'), 'utf8'), String(first.proc.pid), 'the first runner still holds the queue');
  } finally {
    await first.stop();
  }
  assert.equal(existsSync(join(ws.dir, '.open-runtime', 'events', 'runner.pid')), false, 'the lock goes with the runner');
});

test('a function whose definition breaks keeps its queued events; they run once it is fixed', async () => {
  const ws = workspace('broken', '');
  const local = await queueingLambda(ws, { Keep: 1, Fragile: 1 });
  const { lambda, spec, lines } = local;
  try {
    const holder = post(`${local.endpoint}/2015-03-31/functions/Fragile/invocations`, JSON.stringify({ id: 'holder', sleepMs: 1000 }), {
      Authorization: SIGV4,
    });
    await waitFor('the holder to start', () => readRecords(ws.records).some((r) => r.event?.id === 'holder'), 20_000);
    assert.equal((await sendEvent(local, 'Fragile', { id: 'waits' })).status, 202);
    // The template now has an error in Fragile: it is not defined, but it was not removed either.
    lambda.setFunctions(
      [spec('Keep')],
      [
        {
          file: join(ws.dir, 'template.yaml'),
          line: 3,
          message: 'Function "Fragile" has Timeout "soon"; it must be a number of seconds above 0 and at most 900.',
        },
      ],
    );
    await holder;
    await sleep(500);
    assert.equal(
      lines.some((l) => l.includes('dropped')),
      false,
      lines.join('\n'),
    );
    lambda.setFunctions([spec('Keep'), spec('Fragile')]);
    await waitFor('the kept event to run', () => readRecords(ws.records).some((r) => r.phase === 'done' && r.event.id === 'waits'), 20_000);
  } finally {
    await lambda.close();
  }
});

test('an event that finds the function at its concurrency (throttled) waits for the next free slot; the throttle is not an attempt', async () => {
  const ws = workspace(
    'throttled',
    `  Narrow:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 1
    Properties:
      EventInvokeConfig:
        DestinationConfig:
          OnSuccess:
            Type: Lambda
            Destination: !GetAtt Audit.Arn
${AUDIT}`,
  );
  const runner = await startRunner(ws.template, FAST);
  try {
    const holding = runner.invoke('Narrow', { id: 'holder', sleepMs: 1000 }, { Authorization: SIGV4 });
    await waitFor('the holder to start', () => readRecords(ws.records).some((r) => r.event?.id === 'holder'), 20_000);
    // A synchronous caller is refused now; the event is accepted and runs once the slot frees.
    assert.equal((await runner.invoke('Narrow', { id: 'refused' }, { Authorization: SIGV4 })).status, 429);
    assert.equal((await sendEvent(runner, 'Narrow', { id: 'patient' })).status, 202);
    assert.equal((await holding).status, 200);
    const audit = await waitFor('the OnSuccess record', () => readRecords(ws.records).find((r) => r.fn === 'Audit' && r.phase === 'done'), 20_000);
    assert.deepEqual(audit.event.requestPayload, { id: 'patient' });
    assert.equal(audit.event.requestContext.approximateInvokeCount, 1);
    const narrow = readRecords(ws.records)
      .filter((r) => r.fn === 'Narrow' && r.phase === 'start')
      .map((r) => r.event.id);
    assert.deepEqual(narrow, ['holder', 'patient']);
  } finally {
    await runner.stop();
  }
});

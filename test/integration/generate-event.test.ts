// `open-runtime generate-event`, SAM CLI's `sam local generate-event` on the command line: the real CLI process, its
// stdout parsed as the JSON a script would pipe into `invoke --event -`, its mistakes as one line and exit 2.
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI } from './support/runner.ts';

function generate(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, 'generate-event', ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

test("without arguments it lists the services with their events, SAM's names first", async () => {
  const { code, stdout } = await generate();
  assert.equal(code, 0);
  assert.match(stdout, /^ {2}apigateway +aws-proxy, .*http-api-proxy/m);
  assert.match(stdout, /^ {2}sqs +receive-message, fifo$/m);
  assert.match(stdout, /^ {2}cloudwatch +.*scheduled-event/m);
});

test("with a service only it lists that service's events and their flags", async () => {
  const { code, stdout } = await generate('sqs');
  assert.equal(code, 0);
  assert.match(stdout, /receive-message +SQS/);
  assert.match(stdout, /--queue-name --body --message-attributes --count/);
});

test('apigateway http-api-proxy with --path and --body prints an HTTP API payload 2.0 event', async () => {
  const { code, stdout, stderr } = await generate('apigateway', 'http-api-proxy', '--path', '/orders', '--method', 'POST', '--body', '{"id":1}');
  assert.equal(code, 0, stderr);
  const event = JSON.parse(stdout);
  assert.equal(event.version, '2.0');
  assert.equal(event.rawPath, '/orders');
  assert.equal(event.requestContext.http.method, 'POST');
  assert.equal(event.body, '{"id":1}');
});

test("sqs receive-message --body x, with SAM's kebab flags (--queue-name) and its account flags accepted with a notice", async () => {
  const { code, stdout, stderr } = await generate('sqs', 'receive-message', '--body', 'x', '--queue-name', 'jobs', '--region', 'eu-west-1');
  assert.equal(code, 0, stderr);
  const record = JSON.parse(stdout).Records[0];
  assert.equal(record.body, 'x');
  assert.equal(record.eventSource, 'aws:sqs');
  assert.match(record.eventSourceARN, /:jobs$/);
  assert.match(stderr, /--region has no effect/);
});

test("the catalogue's own ids work too (sqs sqs-fifo, cloudwatch scheduled-event is EventBridge's)", async () => {
  const fifo = await generate('sqs', 'sqs-fifo', '--message-group-id', 'g1');
  assert.equal(fifo.code, 0, fifo.stderr);
  assert.equal(JSON.parse(fifo.stdout).Records[0].attributes.MessageGroupId, 'g1');
  const scheduled = await generate('cloudwatch', 'scheduled-event');
  assert.equal(scheduled.code, 0, scheduled.stderr);
  assert.equal(JSON.parse(scheduled.stdout)['detail-type'], 'Scheduled Event');
});

test('mistakes are one sentence naming what to type instead, exit 2 and nothing on stdout', async () => {
  const typo = await generate('sqs', 'receive-mesage');
  assert.equal(typo.code, 2);
  assert.equal(typo.stdout, '');
  assert.match(typo.stderr, /^open-runtime: sqs has no event "receive-mesage"; did you mean receive-message\? Its events: receive-message, fifo\./);
  const service = await generate('sqss');
  assert.match(service.stderr, /There is no service "sqss"; did you mean sqs/);
  const value = await generate('sqs', 'receive-message', '--count', 'many');
  assert.equal(value.code, 2);
  assert.match(value.stderr, /Field "count" \(--count\) of event template "sqs" must be a whole number; got "many"\./);
  const field = await generate('sqs', 'receive-message', '--bodyy', 'x');
  assert.match(field.stderr, /has no field "bodyy" \(--bodyy\); did you mean "body"\?/);
});

// The Python runtime client under the real runner (dist/runner.js): what a caller of the Invoke API and a
// user of `open-runtime invoke` get from Python functions.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CLI, FIXTURES, assertBuilt, logTail, removeTemps, startRunner, tempDir, writeTemplate, type Runner } from './support/runner.ts';

const CODE = join(FIXTURES, 'python');
const FUNCTIONS = [
  { name: 'Context', handler: 'handlers.context_fields', memorySize: 256 },
  { name: 'Raises', handler: 'handlers.raises' },
  { name: 'Missing', handler: 'imports_missing.handler' },
  { name: 'Logs', handler: 'handlers.logs' },
  { name: 'Pid', handler: 'handlers.pid' },
  { name: 'Sleeps', handler: 'handlers.sleeps', timeout: 1 },
].map((fn) => ({ runtime: 'python3.11', codeUri: CODE, ...fn }));

describe('Python runtime client under the runner', { timeout: 60_000 }, () => {
  let template: string;
  let runner: Runner;

  before(async () => {
    assertBuilt();
    template = writeTemplate(tempDir('python-client'), FUNCTIONS);
    runner = await startRunner(template);
  });

  after(async () => {
    await runner?.stop();
    removeTemps();
  });

  test('returns the handler result with Lambda context fields, client context included', async () => {
    const clientContext = { custom: { tenant: 'acme' }, env: { platform: 'web' }, client: { app_title: 'Shop' } };
    const reply = await runner.invoke('Context', {}, { 'X-Amz-Client-Context': Buffer.from(JSON.stringify(clientContext)).toString('base64') });
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-amz-function-error'], undefined);
    const fields = reply.json();
    assert.equal(fields.aws_request_id, reply.headers['x-amzn-requestid']);
    assert.equal(fields.function_name, 'Context');
    assert.equal(fields.memory_limit_in_mb, '256');
    assert.equal(fields.function_version, '$LATEST');
    assert.match(fields.invoked_function_arn, /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:Context$/);
    assert.deepEqual(fields.client_context, { custom: { tenant: 'acme' }, env: { platform: 'web' }, app_title: 'Shop' });
    assert.ok(fields.remaining_time_in_millis > 0 && fields.remaining_time_in_millis <= 10_000, String(fields.remaining_time_in_millis));
    assert.match(fields.trace_id, /^Root=1-/);
  });

  test('a pretty-printed client context beyond Latin-1 reaches the function as sent; the runner serves on', async () => {
    const text = JSON.stringify({ custom: { greeting: 'Grüß €uro 日本' }, env: {}, client: {} }, null, 2);
    const reply = await runner.invoke('Context', {}, { 'X-Amz-Client-Context': Buffer.from(text).toString('base64') });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json().client_context.custom, { greeting: 'Grüß €uro 日本' });
    assert.equal((await runner.invoke('Context', {})).status, 200);
  });

  test('an unhandled exception reaches the caller as Lambda returns it', async () => {
    const reply = await runner.invoke('Raises', {});
    assert.equal(reply.status, 200);
    assert.equal(reply.headers['x-amz-function-error'], 'Unhandled');
    const error = reply.json();
    assert.equal(error.errorType, 'ValueError');
    assert.equal(error.errorMessage, 'out of stock: apples');
    assert.equal(error.requestId, reply.headers['x-amzn-requestid']);
    assert.equal(error.stackTrace.length, 2);
  });

  test('a module that fails to import reaches the caller as Runtime.ImportModuleError', async () => {
    const reply = await runner.invoke('Missing', {});
    assert.equal(reply.headers['x-amz-function-error'], 'Unhandled');
    const error = reply.json();
    assert.equal(error.errorType, 'Runtime.ImportModuleError');
    assert.equal(error.errorMessage, "Unable to import module 'imports_missing': No module named 'a_dependency_that_is_not_installed'");
  });

  test("the log tail holds Lambda's logging line with the request id, print() and stderr output", async () => {
    const reply = await runner.invoke('Logs', {}, { 'X-Amz-Log-Type': 'Tail' });
    assert.equal(reply.json(), 'logged');
    const logs = logTail(reply);
    const id = reply.headers['x-amzn-requestid'];
    assert.match(logs, new RegExp(`^\\[WARNING\\]\\t\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z\\t${id}\\twarning from logging$`, 'm'));
    assert.match(logs, /^printed line$/m);
    assert.match(logs, /^stderr line$/m);
  });

  test('a warm environment serves invoke after invoke from the same process', async () => {
    const first = (await runner.invoke('Pid', {})).json();
    const second = (await runner.invoke('Pid', {})).json();
    assert.equal(typeof first, 'number');
    assert.equal(second, first);
  });

  test('a handler past its timeout is stopped and reported as Sandbox.Timedout', async () => {
    const reply = await runner.invoke('Sleeps', {});
    assert.equal(reply.headers['x-amz-function-error'], 'Unhandled');
    const error = reply.json();
    assert.equal(error.errorType, 'Sandbox.Timedout');
    assert.match(error.errorMessage, /Task timed out after 1\.00 seconds/);
  });

  test('open-runtime invoke prints the result of a Python function', async () => {
    const event = join(tempDir('python-client-event'), 'event.json');
    writeFileSync(event, '{"hello":"python"}');
    const { stdout } = await promisify(execFile)(process.execPath, [CLI, 'invoke', 'Pid', '--template', template, '--event', event], { encoding: 'utf8' });
    assert.equal(typeof JSON.parse(stdout), 'number');
  });
});

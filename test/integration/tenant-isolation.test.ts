// Tenant isolation end to end, as a user meets it: a SAM template with TenancyConfig PER_TENANT run by
// `open-runtime start`, invoked with @aws-sdk/client-lambda's TenantId (X-Amz-Tenant-Id). The project's Node and Python
// clients hand the tenant to the handler (context.tenantId, context.tenant_id), a Middy 7 middleware sees it, each
// tenant has execution environments of its own, Lambda's errors come back to the SDK, and `open-runtime invoke
// --tenant-id` does the same from a terminal.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { CLI, FIXTURE_PATH, ROOT, removeTemps, startRunner, tempDir, waitFor } from './support/runner.ts';
import type { Runner } from './support/runner.ts';

let runner: Runner;
let lambda: LambdaClient;
let template: string;

const NODE_HANDLER = `import { appendFileSync } from 'node:fs';
let calls = 0;
export const handler = async (event, context) => {
  if (event.recordTo) appendFileSync(event.recordTo, JSON.stringify({ tenantId: context.tenantId }) + '\\n');
  return { tenantId: context.tenantId ?? null, pid: process.pid, calls: ++calls };
};
export const logs = async () => {
  console.log('work for the tenant');
  return 'logged';
};
`;
const MIDDY_HANDLER = `import middy from '@middy/core';
const seen = [];
const tenantLog = () => ({ before: (request) => { seen.push(request.context.tenantId); } });
export const handler = middy(async (event, context) => ({ tenantId: context.tenantId, seenByMiddleware: seen.slice() })).use(tenantLog());
`;
const PYTHON_HANDLER = `import os
calls = 0
def handler(event, context):
    global calls
    calls += 1
    return {"tenantId": context.tenant_id, "pid": os.getpid(), "calls": calls}
`;

before(async () => {
  const dir = tempDir('tenants');
  const node = join(dir, 'node');
  const middy = join(dir, 'middy');
  const python = join(dir, 'python');
  for (const d of [node, middy, python]) mkdirSync(d);
  writeFileSync(join(node, 'index.mjs'), NODE_HANDLER);
  writeFileSync(join(middy, 'index.mjs'), MIDDY_HANDLER);
  // Middy 7 from the project's own node_modules, as a bundled function would carry it.
  symlinkSync(join(ROOT, 'node_modules'), join(middy, 'node_modules'));
  writeFileSync(join(python, 'app.py'), PYTHON_HANDLER);
  const fn = (name: string, code: string, runtime: string, handler: string, tenancy: boolean, variables: Record<string, string> = {}) => [
    `  ${name}:`,
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    `      CodeUri: ${JSON.stringify(code)}`,
    `      Runtime: ${runtime}`,
    `      Handler: ${handler}`,
    '      Timeout: 10',
    ...(tenancy ? ['      TenancyConfig:', '        TenantIsolationMode: PER_TENANT'] : []),
    ...(Object.keys(variables).length
      ? ['      Environment:', '        Variables:', ...Object.entries(variables).map(([k, v]) => `          ${k}: ${v}`)]
      : []),
  ];
  template = join(dir, 'template.yaml');
  writeFileSync(
    template,
    [
      "AWSTemplateFormatVersion: '2010-09-09'",
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      ...fn('Tenants', node, 'nodejs24.x', 'index.handler', true),
      ...fn('Shared', node, 'nodejs24.x', 'index.handler', false),
      ...fn('JsonLogs', node, 'nodejs24.x', 'index.logs', true, { AWS_LAMBDA_LOG_FORMAT: 'JSON' }),
      ...fn('MiddyTenants', middy, 'nodejs24.x', 'index.handler', true),
      ...fn('PyTenants', python, 'python3.11', 'app.handler', true),
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

/**
 * An AWS CLI that has `aws lambda invoke --tenant-id`: Debian's v2 (2.9) predates it; the AWS CLI v1 that pyenv installs
 * here (1.45) has it. Undefined when no CLI on this machine has it.
 */
function awsCliWithTenantId(): string | undefined {
  for (const candidate of ['/usr/bin/aws', 'aws']) {
    const help = spawnSync(candidate, ['lambda', 'invoke', 'help'], { encoding: 'utf8', env: { ...process.env, AWS_PAGER: '', PAGER: 'cat' } });
    if (help.status === 0 && help.stdout.includes('--tenant-id')) return candidate;
  }
  return undefined;
}
const AWS_WITH_TENANT = awsCliWithTenantId();

async function invoke(name: string, tenantId?: string): Promise<Record<string, unknown>> {
  const reply = await lambda.send(new InvokeCommand({ FunctionName: name, TenantId: tenantId, Payload: Buffer.from('{}') }));
  assert.equal(reply.FunctionError, undefined, Buffer.from(reply.Payload ?? []).toString());
  return JSON.parse(Buffer.from(reply.Payload ?? []).toString('utf8'));
}

async function refusal(name: string, tenantId?: string): Promise<Error & { name: string; $metadata?: { httpStatusCode?: number } }> {
  try {
    await lambda.send(new InvokeCommand({ FunctionName: name, TenantId: tenantId, Payload: Buffer.from('{}') }));
  } catch (err) {
    return err as Error & { name: string };
  }
  throw new Error(`${name} was invoked${tenantId ? ` with tenant ${tenantId}` : ' without a tenant'}, and Lambda refuses that`);
}

describe('tenant isolation', { timeout: 120_000 }, () => {
  it('a Node handler sees context.tenantId, and each tenant has environments of its own', async () => {
    const blue1 = await invoke('Tenants', 'blue');
    const blue2 = await invoke('Tenants', 'blue');
    const green = await invoke('Tenants', 'green');
    assert.equal(blue1.tenantId, 'blue');
    assert.equal(green.tenantId, 'green');
    assert.equal(blue2.pid, blue1.pid, "blue's second invoke reuses blue's warm environment");
    assert.equal(blue2.calls, 2);
    assert.notEqual(green.pid, blue1.pid, "green never runs in blue's environment");
    assert.equal(green.calls, 1, "green's environment has none of blue's state");
    const blue3 = await invoke('Tenants', 'blue');
    assert.equal(blue3.pid, blue1.pid);
    assert.equal(blue3.calls, 3);
  });

  it('Lambda refuses a tenant-isolated function without a tenant id, and a tenant id for a function without isolation', async () => {
    const missing = await refusal('Tenants');
    assert.equal(missing.name, 'InvalidParameterValueException');
    assert.equal(missing.$metadata?.httpStatusCode, 400);
    const extra = await refusal('Shared', 'blue');
    assert.equal(extra.name, 'InvalidParameterValueException');
    assert.match(extra.message, /does not have tenant isolation enabled/);
    const shared = await invoke('Shared');
    assert.equal(shared.tenantId, null, 'a function without tenant isolation has no tenant');
  });

  it('an asynchronous (Event) invocation keeps its tenant through the queue', async () => {
    const record = join(tempDir('tenant-async'), 'seen.jsonl');
    const reply = await lambda.send(
      new InvokeCommand({ FunctionName: 'Tenants', InvocationType: 'Event', TenantId: 'queued', Payload: Buffer.from(JSON.stringify({ recordTo: record })) }),
    );
    assert.equal(reply.StatusCode, 202);
    const missing = await lambda.send(new InvokeCommand({ FunctionName: 'Tenants', InvocationType: 'Event', Payload: Buffer.from('{}') })).then(
      () => undefined,
      (err: Error) => err,
    );
    assert.equal(missing?.name, 'InvalidParameterValueException', 'refused before it is queued');
    let seen = '';
    for (let i = 0; i < 200 && !seen; i++) {
      try {
        seen = readFileSync(record, 'utf8');
      } catch {
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    assert.deepEqual(JSON.parse(seen.trim()), { tenantId: 'queued' });
  });

  it("the function's JSON log records carry the tenant", async () => {
    await invoke('JsonLogs', 'logging-tenant');
    const logged = () =>
      runner
        .stderr()
        .split('\n')
        .find((l) => l.includes('work for the tenant'));
    await waitFor("the JSON log line in the runner's output", () => logged() !== undefined);
    const line = logged()!;
    const record = JSON.parse(line.slice(line.indexOf('{')));
    assert.equal(record.message, 'work for the tenant');
    assert.equal(record.tenantId, 'logging-tenant');
  });

  it("a Middy 7 middleware sees the tenant id in the request's context", async () => {
    const first = await invoke('MiddyTenants', 'acme');
    assert.equal(first.tenantId, 'acme');
    assert.deepEqual(first.seenByMiddleware, ['acme']);
  });

  it('a Python handler sees context.tenant_id, one environment per tenant', async () => {
    const a1 = await invoke('PyTenants', 'a');
    const b1 = await invoke('PyTenants', 'b');
    const a2 = await invoke('PyTenants', 'a');
    assert.equal(a1.tenantId, 'a');
    assert.equal(b1.tenantId, 'b');
    assert.equal(a2.pid, a1.pid);
    assert.equal(a2.calls, 2);
    assert.notEqual(b1.pid, a1.pid);
    assert.equal(b1.calls, 1);
  });

  it('aws lambda invoke --tenant-id reaches the function', { skip: AWS_WITH_TENANT ? false : 'no AWS CLI with --tenant-id on this machine' }, () => {
    const out = join(tempDir('tenant-cli'), 'out.json');
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: tempDir('tenant-cli-home'),
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_DEFAULT_REGION: 'us-east-1',
      AWS_PAGER: '',
    };
    const run = spawnSync(
      AWS_WITH_TENANT!,
      ['lambda', 'invoke', '--function-name', 'Tenants', '--tenant-id', 'from-aws-cli', '--endpoint-url', runner.endpoint, out],
      { encoding: 'utf8', env },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.equal(JSON.parse(readFileSync(out, 'utf8')).tenantId, 'from-aws-cli');
    const refused = spawnSync(AWS_WITH_TENANT!, ['lambda', 'invoke', '--function-name', 'Tenants', '--endpoint-url', runner.endpoint, out], {
      encoding: 'utf8',
      env,
    });
    assert.notEqual(refused.status, 0);
    assert.match(refused.stderr, /InvalidParameterValueException/);
  });

  it('open-runtime invoke --tenant-id passes the tenant; without it the CLI says why Lambda refuses', async () => {
    const run = promisify(execFile);
    const env = { ...process.env, PATH: FIXTURE_PATH };
    const ok = await run(process.execPath, [CLI, 'invoke', 'Tenants', '--tenant-id', 'cli-tenant', '--template', template], { env });
    assert.equal(JSON.parse(ok.stdout).tenantId, 'cli-tenant');
    const refused = await run(process.execPath, [CLI, 'invoke', 'Tenants', '--template', template], { env }).then(
      () => assert.fail('invoke without --tenant-id succeeded'),
      (err: { code: number; stderr: string }) => err,
    );
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /tenant isolation enabled/);
  });
});

// The local Lambda control plane of a real runner (`open-runtime start`), driven by the real AWS CLI v2
// (/usr/bin/aws, Debian awscli) and @aws-sdk/client-lambda: create-function with --zip-file fileb://, invoke,
// update-function-code, update-function-configuration, publish-version, get-function (and its code download),
// list-functions, delete-function; an arm64 Go package deployed and run under qemu; and the bad inputs, each a
// Lambda error type with a clear message, after which nothing was created.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import {
  CreateFunctionCommand,
  type CreateFunctionRequest,
  DeleteFunctionCommand,
  GetFunctionCommand,
  GetFunctionConfigurationCommand,
  InvokeCommand,
  ListFunctionsCommand,
  UpdateFunctionConfigurationCommand,
} from '@aws-sdk/client-lambda';
import { buildFunction } from '../../runner/build/build-function.ts';
import { discoverFunctions } from '../../runner/functions/discover.ts';
import { createFunctionArgs, ROLE, useControlPlane } from './support/control-plane.ts';
import { ROOT } from './support/runner.ts';

const plane = useControlPlane('control-plane');
const { aws, awsOk, sdk } = plane;

/** `aws lambda invoke` and the function's response. */
function invoke(name: string, payload: unknown, ...extra: string[]): { meta: any; response: any } {
  const out = join(plane.work, `out-${Math.random().toString(36).slice(2)}.json`);
  const meta = awsOk('invoke', '--function-name', name, '--cli-binary-format', 'raw-in-base64-out', '--payload', JSON.stringify(payload), ...extra, out);
  return { meta, response: JSON.parse(readFileSync(out, 'utf8')) };
}

/** A Node handler zipped with the real zip command, as people deploy them. */
function nodeZip(name: string, version: number): string {
  return plane.zip(name, {
    'index.mjs': `export const handler = async (event, context) => ({ version: ${version}, echo: event, greeting: process.env.GREETING ?? null, fn: context.functionName, memory: context.memoryLimitInMB });\n`,
  });
}

/** CreateFunction's input for a Node function (index.handler, nodejs22.x unless `input` says) in `zip`, with the test ROLE. */
function nodeFunction(zip: Buffer, input: Partial<CreateFunctionRequest> & { FunctionName: string }): CreateFunctionRequest {
  return { Runtime: 'nodejs22.x', Handler: 'index.handler', Role: ROLE, Code: { ZipFile: zip }, ...input };
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('base64');

describe('a function deployed, changed and deleted with the AWS CLI v2', () => {
  let v1: string;
  let v2: string;
  before(() => {
    v1 = nodeZip('v1', 1);
    v2 = nodeZip('v2', 2);
  });

  test("create-function answers Active / Successful with the zip's CodeSha256, and invoke runs it at once", () => {
    const created = awsOk(...createFunctionArgs('Hello', 'nodejs22.x', 'index.handler', v1, '--memory-size', '256'));
    assert.equal(created.FunctionName, 'Hello');
    assert.equal(created.FunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:Hello');
    assert.equal(created.State, 'Active');
    assert.equal(created.LastUpdateStatus, 'Successful');
    assert.equal(created.Version, '$LATEST');
    assert.equal(created.CodeSha256, sha256(v1));
    assert.equal(created.CodeSize, readFileSync(v1).length);
    assert.deepEqual(created.Architectures, ['x86_64']);
    assert.equal(created.Timeout, 3);
    assert.equal(created.MemorySize, 256);
    const { meta, response } = invoke('Hello', { n: 1 });
    assert.equal(meta.StatusCode, 200);
    assert.deepEqual(response, { version: 1, echo: { n: 1 }, greeting: null, fn: 'Hello', memory: '256' });
  });

  test('creating it again is a ResourceConflictException', () => {
    const again = aws(...createFunctionArgs('Hello', 'nodejs22.x', 'index.handler', v1));
    assert.notEqual(again.status, 0);
    assert.match(again.stderr, /ResourceConflictException.*Function already exist: Hello/);
  });

  test('update-function-code and update-function-configuration change what the next invoke runs', () => {
    const updated = awsOk('update-function-code', '--function-name', 'Hello', '--zip-file', `fileb://${v2}`);
    assert.equal(updated.CodeSha256, sha256(v2));
    assert.equal(updated.LastUpdateStatus, 'Successful');
    assert.equal(invoke('Hello', {}).response.version, 2);
    const configured = awsOk('update-function-configuration', '--function-name', 'Hello', '--environment', 'Variables={GREETING=Hi}', '--timeout', '5');
    assert.deepEqual(configured.Environment, { Variables: { GREETING: 'Hi' } });
    assert.equal(configured.Timeout, 5);
    assert.equal(configured.CodeSha256, sha256(v2), 'the code stays');
    assert.equal(invoke('Hello', {}).response.greeting, 'Hi');
    // The AWS CLI's waiter reads LastUpdateStatus through GetFunctionConfiguration.
    awsOk('wait', 'function-updated-v2', '--function-name', 'Hello');
  });

  test('publish-version numbers versions, and publishes nothing new when nothing changed', () => {
    const first = awsOk('publish-version', '--function-name', 'Hello', '--description', 'first');
    assert.equal(first.Version, '1');
    assert.equal(first.FunctionArn, 'arn:aws:lambda:us-east-1:123456789012:function:Hello:1');
    assert.equal(first.Description, 'first');
    assert.equal(awsOk('publish-version', '--function-name', 'Hello').Version, '1');
    awsOk('update-function-code', '--function-name', 'Hello', '--zip-file', `fileb://${v1}`);
    const second = awsOk('publish-version', '--function-name', 'Hello', '--code-sha256', sha256(v1));
    assert.equal(second.Version, '2');
    const wrongSha = aws('publish-version', '--function-name', 'Hello', '--code-sha256', sha256(v2));
    assert.match(wrongSha.stderr, /InvalidParameterValueException.*is different from current CodeSHA256 in \$LATEST/);
    const v1Config = awsOk('get-function-configuration', '--function-name', 'Hello', '--qualifier', '1');
    assert.equal(v1Config.CodeSha256, sha256(v2));
    assert.equal(v1Config.Version, '1');
  });

  test('invoke --qualifier runs a published version (or an alias) with its own code, and says which ran', () => {
    // Version 1 holds v2's code, version 2 holds v1's (published in the test above).
    const one = invoke('Hello', {}, '--qualifier', '1');
    assert.equal(one.meta.ExecutedVersion, '1');
    assert.equal(one.response.version, 2);
    const two = invoke('Hello:2', {});
    assert.equal(two.meta.ExecutedVersion, '2');
    assert.equal(two.response.version, 1);
    assert.equal(invoke('Hello', {}).meta.ExecutedVersion, '$LATEST');
    awsOk('create-alias', '--function-name', 'Hello', '--name', 'live', '--function-version', '1');
    const live = invoke('Hello', {}, '--qualifier', 'live');
    assert.equal(live.meta.ExecutedVersion, '1');
    assert.equal(live.response.version, 2);
    const missing = aws('invoke', '--function-name', 'Hello', '--qualifier', '9', join(plane.work, 'v9.json'));
    assert.match(missing.stderr, /ResourceNotFoundException/);
  });

  test('get-function gives the configuration and a Code.Location that downloads the uploaded zip', async () => {
    const got = awsOk('get-function', '--function-name', 'Hello');
    assert.equal(got.Configuration.CodeSha256, sha256(v1));
    assert.equal(got.Code.RepositoryType, 'S3');
    const download = await fetch(got.Code.Location);
    assert.equal(download.status, 200);
    const bytes = Buffer.from(await download.arrayBuffer());
    assert.equal(createHash('sha256').update(bytes).digest('base64'), got.Configuration.CodeSha256);
  });

  test('list-functions lists what was deployed (with --function-version ALL, every version)', () => {
    const listed = awsOk('list-functions');
    assert.deepEqual(
      listed.Functions.map((f: any) => [f.FunctionName, f.Version]),
      [['Hello', '$LATEST']],
    );
    const all = awsOk('list-functions', '--function-version', 'ALL');
    assert.deepEqual(
      all.Functions.map((f: any) => f.Version),
      ['$LATEST', '1', '2'],
    );
  });

  test('delete-function removes it: get-function and invoke answer ResourceNotFoundException', () => {
    awsOk('delete-function', '--function-name', 'Hello');
    const got = aws('get-function', '--function-name', 'Hello');
    assert.notEqual(got.status, 0);
    assert.match(got.stderr, /ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:123456789012:function:Hello/);
    const invoked = aws('invoke', '--function-name', 'Hello', join(plane.work, 'gone.json'));
    assert.match(invoked.stderr, /ResourceNotFoundException/);
    assert.deepEqual(awsOk('list-functions').Functions, []);
  });
});

test('an arm64 Go package deploys with --architectures arm64 and runs under qemu', async () => {
  const { functions } = await discoverFunctions(join(ROOT, 'examples'));
  const build = await buildFunction(functions.find((f) => f.name === 'GoHello')!, 'arm64', { workspace: plane.work });
  const created = awsOk(...createFunctionArgs('GoArm', 'provided.al2023', 'bootstrap', build.zipPath, '--architectures', 'arm64', '--timeout', '30'));
  assert.deepEqual(created.Architectures, ['arm64']);
  assert.equal(created.CodeSha256, build.codeSha256);
  const { response } = invoke('GoArm', { name: 'Lambda' });
  assert.equal(response.message, 'Hello, Lambda!');
  assert.equal(response.architecture, 'arm64');

  // The same package declared x86_64 is refused, and nothing is created.
  const wrong = aws(...createFunctionArgs('GoWrongArch', 'provided.al2023', 'bootstrap', build.zipPath, '--architectures', 'x86_64'));
  assert.notEqual(wrong.status, 0);
  assert.match(
    wrong.stderr,
    /InvalidParameterValueException.*The function is x86_64, but the package holds native code for another processor: bootstrap \(arm64\)/,
  );
  assert.match(aws('get-function', '--function-name', 'GoWrongArch').stderr, /ResourceNotFoundException/);
  // So is an update to the other architecture; the function keeps its code.
  const wrongUpdate = aws('update-function-code', '--function-name', 'GoArm', '--architectures', 'x86_64', '--zip-file', `fileb://${build.zipPath}`);
  assert.match(wrongUpdate.stderr, /InvalidParameterValueException/);
  assert.equal(invoke('GoArm', { name: 'again' }).response.architecture, 'arm64');
  awsOk('delete-function', '--function-name', 'GoArm');
});

describe('tenant isolation (TenancyConfig) through the SDK', () => {
  test('CreateFunction with TenancyConfig PER_TENANT: the configuration says so, invokes need a TenantId, and an update keeps it', async () => {
    const client = sdk();
    try {
      const zip = readFileSync(nodeZip('tenants', 1));
      const created = await client.send(
        new CreateFunctionCommand(nodeFunction(zip, { FunctionName: 'PerTenant', TenancyConfig: { TenantIsolationMode: 'PER_TENANT' } })),
      );
      assert.deepEqual(created.TenancyConfig, { TenantIsolationMode: 'PER_TENANT' });
      const config = await client.send(new GetFunctionConfigurationCommand({ FunctionName: 'PerTenant' }));
      assert.deepEqual(config.TenancyConfig, { TenantIsolationMode: 'PER_TENANT' });
      await assert.rejects(client.send(new InvokeCommand({ FunctionName: 'PerTenant', Payload: Buffer.from('{}') })), {
        name: 'InvalidParameterValueException',
      });
      const ran = await client.send(new InvokeCommand({ FunctionName: 'PerTenant', TenantId: 'blue', Payload: Buffer.from('{"a":1}') }));
      assert.equal(ran.FunctionError, undefined);
      assert.deepEqual(JSON.parse(Buffer.from(ran.Payload!).toString()).echo, { a: 1 });
      // UpdateFunctionConfiguration has no TenancyConfig member (it is set at creation only): a change keeps it.
      const updated = await client.send(new UpdateFunctionConfigurationCommand({ FunctionName: 'PerTenant', Timeout: 5 }));
      assert.deepEqual(updated.TenancyConfig, { TenantIsolationMode: 'PER_TENANT' });
      await assert.rejects(
        client.send(
          new CreateFunctionCommand(nodeFunction(zip, { FunctionName: 'BadTenancy', TenancyConfig: { TenantIsolationMode: 'PER_REQUEST' } } as never)),
        ),
        { name: 'ValidationException' },
      );
    } finally {
      // The 'bad input' tests expect a control plane with nothing deployed.
      await client.send(new DeleteFunctionCommand({ FunctionName: 'PerTenant' })).catch(() => undefined);
      client.destroy();
    }
  });
});

describe('Managed Instances (CapacityProviderConfig) through the SDK', () => {
  test('CreateFunction with a CapacityProviderConfig: the configuration keeps it, and the function is told its AWS_LAMBDA_MAX_CONCURRENCY', async () => {
    const client = sdk();
    const zip = readFileSync(plane.zip('managed', { 'index.mjs': 'export const handler = async () => process.env.AWS_LAMBDA_MAX_CONCURRENCY ?? null;\n' }));
    const capacity = {
      LambdaManagedInstancesCapacityProviderConfig: {
        CapacityProviderArn: 'arn:aws:lambda:us-east-1:123456789012:capacity-provider:local',
        PerExecutionEnvironmentMaxConcurrency: 8,
      },
    };
    try {
      const created = await client.send(
        new CreateFunctionCommand(nodeFunction(zip, { FunctionName: 'Managed', Runtime: 'nodejs24.x', CapacityProviderConfig: capacity })),
      );
      assert.deepEqual(created.CapacityProviderConfig, capacity);
      const ran = await client.send(new InvokeCommand({ FunctionName: 'Managed', Payload: Buffer.from('{}') }));
      assert.equal(Buffer.from(ran.Payload!).toString(), '"8"');
      await assert.rejects(
        client.send(
          new CreateFunctionCommand(
            nodeFunction(zip, {
              FunctionName: 'BadManaged',
              Runtime: 'nodejs24.x',
              CapacityProviderConfig: { LambdaManagedInstancesCapacityProviderConfig: {} },
            } as never),
          ),
        ),
        { name: 'ValidationException' },
      );
    } finally {
      await client.send(new DeleteFunctionCommand({ FunctionName: 'Managed' })).catch(() => undefined);
      client.destroy();
    }
  });
});

describe('bad input', () => {
  test('a missing role is a ValidationException naming the member; a malformed one names the pattern', async () => {
    const client = sdk();
    try {
      const zip = readFileSync(nodeZip('norole', 1));
      await assert.rejects(
        client.send(new CreateFunctionCommand({ FunctionName: 'NoRole', Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: zip } } as never)),
        (err: Error) => err.name === 'ValidationException' && /Value null at 'role' failed to satisfy constraint: Member must not be null/.test(err.message),
      );
      const cli = aws(
        'create-function',
        '--function-name',
        'BadRole',
        '--runtime',
        'nodejs22.x',
        '--handler',
        'index.handler',
        '--role',
        'lambda-role',
        '--zip-file',
        `fileb://${join(plane.work, 'norole.zip')}`,
      );
      assert.match(
        cli.stderr,
        /ValidationException.*Value "lambda-role" at 'role' failed to satisfy constraint: Member must satisfy regular expression pattern/,
      );
      await assert.rejects(client.send(new GetFunctionCommand({ FunctionName: 'NoRole' })), { name: 'ResourceNotFoundException' });
    } finally {
      client.destroy();
    }
  });

  test('an unknown function is a ResourceNotFoundException for every operation', () => {
    for (const args of [
      ['get-function', '--function-name', 'Nope'],
      ['get-function-configuration', '--function-name', 'Nope'],
      ['update-function-configuration', '--function-name', 'Nope', '--timeout', '5'],
      ['publish-version', '--function-name', 'Nope'],
      ['delete-function', '--function-name', 'Nope'],
    ]) {
      const result = aws(...args);
      assert.notEqual(result.status, 0, args.join(' '));
      assert.match(result.stderr, /ResourceNotFoundException.*Function not found: arn:aws:lambda:us-east-1:123456789012:function:Nope/, args.join(' '));
    }
    // A function of the runner's template is not the control plane's to change; the message says so.
    assert.match(
      aws('get-function', '--function-name', 'FromTemplate').stderr,
      /ResourceNotFoundException.*FromTemplate comes from .*template\.yaml, not from the control plane/,
    );
  });

  test('a package over 250 MB unzipped is refused (InvalidParameterValueException); over 50 MB zipped, RequestEntityTooLargeException', () => {
    const dir = join(plane.work, 'big');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'index.mjs'), 'export const handler = async () => 1;\n');
    spawnSync('truncate', ['-s', '251M', join(dir, 'zeros.bin')]);
    assert.equal(spawnSync('zip', ['-q', join(plane.work, 'bomb.zip'), 'index.mjs', 'zeros.bin'], { cwd: dir }).status, 0);
    const bomb = aws(...createFunctionArgs('TooBig', 'nodejs22.x', 'index.handler', join(plane.work, 'bomb.zip')));
    assert.match(bomb.stderr, /InvalidParameterValueException.*Unzipped size must be smaller than 262144000 bytes/);

    // 51 MB that does not compress.
    const random = Buffer.alloc(51 * 1024 * 1024);
    for (let i = 0; i < random.length; i += 64) createHash('sha512').update(`${i}`).digest().copy(random, i);
    writeFileSync(join(dir, 'random.bin'), random);
    assert.equal(spawnSync('zip', ['-q', '-0', join(plane.work, 'large.zip'), 'index.mjs', 'random.bin'], { cwd: dir }).status, 0);
    const large = aws(...createFunctionArgs('TooBig', 'nodejs22.x', 'index.handler', join(plane.work, 'large.zip')));
    assert.match(large.stderr, /RequestEntityTooLargeException.*Request must be smaller than 70167211 bytes for the CreateFunction operation/);
    assert.match(aws('get-function', '--function-name', 'TooBig').stderr, /ResourceNotFoundException/);
  });

  test('a runtime the runner does not run, or one Lambda retired, is an InvalidParameterValueException', () => {
    const zip = nodeZip('rt', 1);
    assert.match(
      aws(...createFunctionArgs('Java', 'java21', 'x::y', zip)).stderr,
      /InvalidParameterValueException.*java21 is not supported by the local runner/,
    );
    assert.match(
      aws(...createFunctionArgs('Old', 'nodejs16.x', 'index.handler', zip)).stderr,
      /InvalidParameterValueException.*nodejs16\.x is no longer supported/,
    );
    assert.match(
      aws(...createFunctionArgs('Env', 'nodejs22.x', 'index.handler', zip, '--environment', 'Variables={AWS_REGION=eu-west-1}')).stderr,
      /reserved keys .* AWS_REGION/,
    );
  });

  test('what was refused left nothing behind', async () => {
    const client = sdk();
    try {
      const listed = await client.send(new ListFunctionsCommand({}));
      assert.deepEqual(
        listed.Functions?.map((f) => f.FunctionName),
        [],
      );
    } finally {
      client.destroy();
    }
  });
});

// `open-runtime deploy` (runner/deploy) end to end against a real runner's local control plane: the local target,
// and the AWS target through the SDK's endpoint override (credentials from the standard chain, here the
// environment). Then invoked through the runner's Invoke API. Bad input (missing or unresolvable role, failed
// build, wrong architecture, unknown function, cancel) fails before any call that changes Lambda: nothing half-deployed.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { GetAliasCommand, ListFunctionsCommand, ListVersionsByFunctionCommand } from '@aws-sdk/client-lambda';
import { buildFunction } from '../../runner/build/build-function.ts';
import { DeployError, deployFunction, type DeployStep } from '../../runner/deploy/deploy-function.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';
import { FIXTURES, ROOT, removeTemps, tempDir, type Runner } from './support/runner.ts';
import { controlPlaneClient, startDeployTarget, useTestCredentials } from './support/deploy.ts';

const EXAMPLE_FUNCTIONS = join(ROOT, 'examples', 'functions');
let runner: Runner;
let workspace: string;
let template: string;
let functions: FunctionSpec[];
const fn = (name: string) => functions.find((f) => f.name === name)!;
const sdk = () => controlPlaneClient(runner);

async function deployedNames(): Promise<string[]> {
  const client = sdk();
  try {
    return ((await client.send(new ListFunctionsCommand({}))).Functions ?? []).map((f) => f.FunctionName!).sort();
  } finally {
    client.destroy();
  }
}

before(async () => {
  workspace = tempDir('deploy');
  useTestCredentials(workspace);
  template = join(workspace, 'template.yaml');
  writeFileSync(
    template,
    [
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  GoHello:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLE_FUNCTIONS, 'go-hello'))}`,
      '      Handler: bootstrap',
      '      Runtime: provided.al2023',
      '      Architectures: [arm64]',
      '      Timeout: 30',
      '  NodeNative:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLE_FUNCTIONS, 'node-native'))}`,
      '      Handler: index.handler',
      '      Runtime: nodejs22.x',
      '      Role: arn:aws:iam::123456789012:role/from-template',
      '      Timeout: 30',
      '      Environment:',
      '        Variables:',
      '          STAGE: test',
      '  NoRole:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLE_FUNCTIONS, 'callback-js'))}`,
      '      Handler: index.handler',
      '      Runtime: nodejs22.x',
      '  RoleFromStack:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(EXAMPLE_FUNCTIONS, 'callback-js'))}`,
      '      Handler: index.handler',
      '      Runtime: nodejs22.x',
      '      Role: !GetAtt LambdaRole.Arn',
      '  Broken:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      `      CodeUri: ${JSON.stringify(join(FIXTURES, 'build', 'go-broken'))}`,
      '      Handler: bootstrap',
      '      Runtime: provided.al2023',
      '      Role: arn:aws:iam::123456789012:role/broken',
      '',
    ].join('\n'),
  );
  ({ runner, functions } = await startDeployTarget(template));
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

describe('the local target', () => {
  test('creates the function, publishes version 1 with an alias, and the runner invokes the deployed arm64 build', async () => {
    const steps: DeployStep[] = [];
    const result = await deployFunction(fn('GoHello'), {
      target: 'local',
      endpointUrl: runner.endpoint,
      alias: 'live',
      workspace,
      progress: (step) => steps.push(step),
    });
    assert.equal(result.created, true);
    assert.equal(result.version, '1');
    assert.equal(result.architecture, 'arm64');
    assert.equal(result.functionArn, 'arn:aws:lambda:us-east-1:123456789012:function:GoHello');
    assert.equal(result.versionArn, `${result.functionArn}:1`);
    assert.deepEqual([...new Set(steps)], ['build', 'check', 'connect', 'upload', 'wait', 'publish', 'alias', 'done']);
    assert.match(result.invokeCommand, new RegExp(`aws lambda invoke --endpoint-url ${runner.endpoint} --function-name GoHello`));
    // The deployed package shadows the template's GoHello (whose folder holds Go source, not a bootstrap).
    const reply = await runner.invoke('GoHello', { name: 'deployed' });
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(
      { ...reply.json(), requestId: undefined },
      { message: 'Hello, deployed!', architecture: 'arm64', functionName: 'GoHello', requestId: undefined },
    );
  });

  test('deploying again updates code and configuration, publishes version 2 and moves the alias', async () => {
    const result = await deployFunction(fn('GoHello'), { target: 'local', endpointUrl: runner.endpoint, alias: 'live', workspace });
    assert.equal(result.created, false);
    // Same code and configuration as version 1: Lambda publishes no new version, and neither does the control plane.
    assert.equal(result.version, '1');
    const changed = { ...fn('GoHello'), timeout: 20 };
    const second = await deployFunction(changed, { target: 'local', endpointUrl: runner.endpoint, alias: 'live', workspace });
    assert.equal(second.version, '2');
    const client = sdk();
    try {
      const alias = await client.send(new GetAliasCommand({ FunctionName: 'GoHello', Name: 'live' }));
      assert.equal(alias.FunctionVersion, '2');
      const versions = await client.send(new ListVersionsByFunctionCommand({ FunctionName: 'GoHello' }));
      assert.deepEqual(
        versions.Versions?.map((v) => [v.Version, v.Timeout]),
        [
          ['$LATEST', 20],
          ['1', 30],
          ['2', 20],
        ],
      );
    } finally {
      client.destroy();
    }
  });
});

test('the AWS target through the SDK endpoint override: role from the template, credentials from the chain', async () => {
  const result = await deployFunction(fn('NodeNative'), {
    target: 'aws',
    endpointUrl: runner.endpoint,
    architecture: 'x86_64',
    functionName: 'NodeNativeAws',
    workspace,
  });
  assert.equal(result.target, 'aws');
  assert.equal(result.region, 'us-east-1');
  assert.equal(result.version, '1');
  assert.match(result.invokeCommand, /--region us-east-1 --function-name NodeNativeAws --qualifier 1/);
  const client = sdk();
  try {
    const { Functions } = await client.send(new ListFunctionsCommand({}));
    const deployed = Functions?.find((f) => f.FunctionName === 'NodeNativeAws');
    assert.equal(deployed?.Role, 'arn:aws:iam::123456789012:role/from-template');
    assert.deepEqual(deployed?.Environment?.Variables, { STAGE: 'test' });
    assert.deepEqual(deployed?.Architectures, ['x86_64']);
  } finally {
    client.destroy();
  }
  const reply = await runner.invoke('NodeNativeAws', { text: 'hello' });
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json().crc32, '3610a686');
});

describe('bad input changes nothing', () => {
  test('a missing role (AWS target) is refused before any call', async () => {
    const before = await deployedNames();
    await assert.rejects(
      deployFunction(fn('NoRole'), { target: 'aws', endpointUrl: runner.endpoint, workspace }),
      (err: unknown) =>
        err instanceof DeployError &&
        !err.changedRemote &&
        /NoRole has no execution role: Lambda needs one to run it\. Set Role in the template .* or pass --role/.test(err.message),
    );
    await assert.rejects(
      deployFunction(fn('RoleFromStack'), { target: 'aws', endpointUrl: runner.endpoint, workspace }),
      /RoleFromStack's Role in the template is !GetAtt LambdaRole\.Arn, which only CloudFormation can resolve\. Pass the role's ARN with --role/,
    );
    await assert.rejects(
      deployFunction(fn('NoRole'), { target: 'aws', endpointUrl: runner.endpoint, role: 'my-role', workspace }),
      /"my-role" is not an IAM role ARN/,
    );
    assert.deepEqual(await deployedNames(), before);
  });

  test('a failed build deploys nothing', async () => {
    const before = await deployedNames();
    await assert.rejects(
      deployFunction(fn('Broken'), { target: 'local', endpointUrl: runner.endpoint, workspace }),
      (err: unknown) => err instanceof DeployError && /^Nothing was deployed: the build failed\. go build failed for Broken/.test(err.message),
    );
    assert.deepEqual(await deployedNames(), before);
  });

  test('a package for the wrong architecture is refused before upload', async () => {
    const arm = await buildFunction(fn('GoHello'), 'arm64', { workspace });
    await assert.rejects(
      deployFunction(fn('GoHello'), {
        target: 'local',
        endpointUrl: runner.endpoint,
        architecture: 'x86_64',
        functionName: 'GoWrong',
        zipPath: arm.zipPath,
        workspace,
      }),
      /Nothing was deployed: The function is x86_64, but the package holds native code for another processor: bootstrap \(arm64\)/,
    );
    assert.ok(!(await deployedNames()).includes('GoWrong'));
  });

  test('a cancelled deploy stops before anything changes', async () => {
    const abort = new AbortController();
    abort.abort();
    await assert.rejects(
      deployFunction(fn('NodeNative'), { target: 'local', endpointUrl: runner.endpoint, functionName: 'Cancelled', workspace, signal: abort.signal }),
      /cancelled/,
    );
    assert.ok(!(await deployedNames()).includes('Cancelled'));
  });

  test('the CLI verb: an unknown function is a usage error; --json-lines reports progress, then the result', async () => {
    const unknown = await runDeployVerb(['Nope', '--target', 'local', '--endpoint-url', runner.endpoint]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /No function "Nope"\. Known functions: GoHello, NodeNative, NoRole, RoleFromStack, Broken\./);
    const local = await runDeployVerb(['NodeNative', '--target', 'local']);
    assert.equal(local.code, 1);
    assert.match(local.stderr, /Deploying to the local runner needs its address: pass --endpoint-url/);
    const ok = await runDeployVerb([
      'NodeNative',
      '--target',
      'local',
      '--endpoint-url',
      runner.endpoint,
      '--function-name',
      'ViaCli',
      '--arch',
      'x86_64',
      '--workspace',
      workspace,
      '--json-lines',
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    const lines = ok.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    assert.ok(lines.slice(0, -1).every((l) => l.progress && typeof l.progress.message === 'string'));
    assert.equal(lines.at(-1).result.functionName, 'ViaCli');
    assert.equal(lines.at(-1).result.version, '1');
  });
});

test('the deploy verb takes the addresses invoke takes, and deploys a function to the FunctionName its template gives it', async () => {
  const nested = join(FIXTURES, 'projects', 'nested', 'template.yaml');
  const deploy = (address: string, ...flags: string[]) =>
    spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist', 'runner.js'),
        'deploy',
        address,
        '--target',
        'local',
        '--endpoint-url',
        runner.endpoint,
        '--template',
        nested,
        '--workspace',
        workspace,
        '--json-lines',
        ...flags,
      ],
      { encoding: 'utf8', timeout: 60_000 },
    );
  const byFunctionName = deploy('place-order-dev');
  assert.equal(byFunctionName.status, 0, byFunctionName.stderr);
  assert.equal(JSON.parse(byFunctionName.stdout.trim().split('\n').at(-1)!).result.functionName, 'place-order-dev');
  const byPath = deploy('Orders/PlaceOrder', '--function-name', 'PlaceOrderByPath');
  assert.equal(byPath.status, 0, byPath.stderr);
  assert.ok((await deployedNames()).includes('place-order-dev'));
  const reply = await runner.invoke('PlaceOrderByPath', {});
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.json(), { from: 'orders/src/place' });
  const ambiguous = deploy('Record');
  assert.equal(ambiguous.status, 2);
  assert.match(
    ambiguous.stderr,
    /^open-runtime deploy: "Record" is the logical id of 2 functions: Orders\/Audit\/Record, Billing\/Record\. Name one by its full path/,
  );
});

/**
 * Runs the deploy verb in its own Node process with real stdout/stderr, the way `open-runtime deploy` runs it
 * (the verb is not yet routed in runner/cli.ts, so the process calls deployCommand itself).
 */
function runDeployVerb(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = [
    `import { deployCommand } from ${JSON.stringify(join(ROOT, 'runner', 'deploy', 'command.ts'))};`,
    `import { loadFunctionsFrom } from ${JSON.stringify(join(ROOT, 'runner', 'functions', 'discover.ts'))};`,
    `process.exitCode = await deployCommand(JSON.parse(process.argv[1]), () => loadFunctionsFrom(${JSON.stringify(template)}));`,
  ].join('\n');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, stdout, stderr }));
  });
}

// The user's project as it is, through the built CLI: nested SAM applications, a CDK app synthesized by the
// aws-cdk CLI, SAM's parameter and config files, the region from flags, shell and profile, SAM's container
// flags, and mistakes in flags answered with one line and the verb's own usage.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assertBuilt, CLI, FIXTURES, ROOT, removeTemps, startCli, post, tempDir } from './support/runner.ts';

const NESTED = join(FIXTURES, 'projects', 'nested');
/** A clean environment: no region or profile leaks in from the machine running the tests. */
const BASE_ENV: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: '/nonexistent-home', AWS_CONFIG_FILE: '/nonexistent/config' };

function cli(args: string[], env: Record<string, string> = {}, cwd = ROOT) {
  const run = spawnSync(process.execPath, [CLI, ...args], { cwd, env: { ...BASE_ENV, ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** An echoProject whose function NeedsKey sets `variable` from the parameter ApiKey, which has no Default. */
function needsKeyProject(variable: string): string {
  return echoProject(
    `  NeedsKey:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          ${variable}: !Ref ApiKey
`,
    `  ApiKey:
    Type: String
`,
  );
}

/** A SAM project whose one function returns its region, pseudo-parameter region and variables. */
function echoProject(extraResources = '', extraParameters = ''): string {
  const dir = tempDir('project');
  mkdirSync(join(dir, 'src'));
  writeFileSync(
    join(dir, 'src', 'app.mjs'),
    'export const handler = async () => ({ region: process.env.AWS_REGION, pseudo: process.env.PSEUDO, stage: process.env.STAGE, table: process.env.TABLE, secret: process.env.SECRET });\n',
  );
  writeFileSync(
    join(dir, 'template.yaml'),
    `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: dev
  TableName:
    Type: String
    Default: from-default
${extraParameters}Resources:
  Echo:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          PSEUDO: !Ref AWS::Region
          STAGE: !Ref Stage
          TABLE: !Ref TableName
          SECRET: from-template
${extraResources}`,
  );
  return dir;
}

function invokeEcho(dir: string, args: string[] = [], env: Record<string, string> = {}) {
  const run = cli(['invoke', 'Echo', '--workspace', dir, ...args], env, dir);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Record<string, string>;
}

before(assertBuilt);
after(removeTemps);

test("list shows the nested applications' functions and what was skipped and why, not a silent zero", () => {
  const run = cli(['list', '--template', join(NESTED, 'template.yaml')]);
  assert.equal(run.code, 0, run.stderr);
  const listed = JSON.parse(run.stdout);
  assert.deepEqual(
    listed.functions.map((f: { path?: string; name: string }) => f.path ?? f.name),
    ['Health', 'Orders/PlaceOrder', 'Orders/Audit/Record', 'Billing/Record'],
  );
  assert.equal(listed.skipped.length, 2);
  assert.match(run.stderr, /^4 functions, 0 with errors, 2 skipped\.\n.*template\.yaml:\d+: note: Nested application "FromRepository" is skipped/);
});

test('invoke addresses a nested function by full path, FunctionName or unique logical id; an ambiguous id lists the paths', () => {
  const template = join(NESTED, 'template.yaml');
  assert.deepEqual(JSON.parse(cli(['invoke', 'Orders/Audit/Record', '--template', template]).stdout), { from: 'orders/audit/src/record' });
  assert.deepEqual(JSON.parse(cli(['invoke', 'place-order-dev', '--template', template]).stdout), { from: 'orders/src/place' });
  assert.deepEqual(JSON.parse(cli(['invoke', 'PlaceOrder', '--template', template]).stdout), { from: 'orders/src/place' });
  const ambiguous = cli(['invoke', 'Record', '--template', template]);
  assert.equal(ambiguous.code, 2);
  assert.match(
    ambiguous.stderr,
    /^open-runtime: "Record" is the logical id of 2 functions: Orders\/Audit\/Record, Billing\/Record\. Name one by its full path/,
  );
});

test("start serves only the functions named, and the Invoke API takes a nested function's full path", async () => {
  const server = await startCli(['start', 'Orders/PlaceOrder', '--port', '0', '--template', join(NESTED, 'template.yaml')], {
    cwd: NESTED,
    env: BASE_ENV,
    banner: /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/,
  });
  try {
    const byPath = await post(`${server.endpoint}/2015-03-31/functions/${encodeURIComponent('Orders/PlaceOrder')}/invocations`, '{}');
    assert.equal(byPath.status, 200, byPath.text);
    assert.deepEqual(byPath.json(), { from: 'orders/src/place' });
    const notServed = await post(`${server.endpoint}/2015-03-31/functions/Health/invocations`, '{}');
    assert.equal(notServed.status, 404);
  } finally {
    await server.stop();
  }
});

test('a CDK app synthesized by the aws-cdk CLI runs its functions by construct path, with local values for its references', () => {
  const workspace = tempDir('cdk');
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
      'synth',
      '--app',
      `${process.execPath} ${join(FIXTURES, 'projects', 'cdk-app', 'app.mjs')}`,
      '--no-notices',
      '--no-version-reporting',
      '--quiet',
      '--ci',
    ],
    {
      cwd: workspace,
      env: { ...BASE_ENV, HOME: workspace, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    },
  );
  const hello = cli(['invoke', 'OrdersStack/Hello', '--workspace', workspace], { AWS_REGION: 'us-west-2' }, workspace);
  assert.equal(hello.code, 0, hello.stderr);
  const result = JSON.parse(hello.stdout);
  assert.equal(result.from, 'cdk hello');
  assert.equal(result.region, 'us-west-2');
  assert.match(result.queue, /^https:\/\/sqs\.us-west-2\.amazonaws\.com\/123456789012\/Jobs[0-9A-F]{8}$/);
  assert.match(result.report, /^arn:aws:lambda:us-west-2:123456789012:function:OrdersStack-Report[0-9A-F]{8}$/);
  const report = cli(['invoke', 'OrdersStack/Report', '--workspace', workspace], {}, workspace);
  assert.equal(report.code, 0, report.stderr);
  assert.deepEqual(JSON.parse(report.stdout), { from: 'cdk report' });
  const nested = cli(['invoke', 'OrdersStack/Billing/Charge', '--workspace', workspace], {}, workspace);
  assert.deepEqual(JSON.parse(nested.stdout), { from: 'cdk billing' });
});

test("one region order for AWS::Region and AWS_REGION: --region > AWS_REGION > AWS_DEFAULT_REGION > the profile's region > us-east-1", () => {
  const dir = echoProject();
  const config = join(dir, 'aws-config');
  writeFileSync(config, '[default]\nregion = ap-south-1\n[profile dev]\nregion = eu-central-1\n');
  const both = (r: Record<string, string>) => [r.region, r.pseudo];
  assert.deepEqual(both(invokeEcho(dir)), ['us-east-1', 'us-east-1']);
  assert.deepEqual(both(invokeEcho(dir, [], { AWS_REGION: 'us-west-2' })), ['us-west-2', 'us-west-2']);
  assert.deepEqual(both(invokeEcho(dir, [], { AWS_DEFAULT_REGION: 'eu-west-3' })), ['eu-west-3', 'eu-west-3']);
  assert.deepEqual(both(invokeEcho(dir, [], { AWS_CONFIG_FILE: config })), ['ap-south-1', 'ap-south-1']);
  assert.deepEqual(both(invokeEcho(dir, [], { AWS_CONFIG_FILE: config, AWS_PROFILE: 'dev' })), ['eu-central-1', 'eu-central-1']);
  assert.deepEqual(both(invokeEcho(dir, ['--profile', 'dev'], { AWS_CONFIG_FILE: config })), ['eu-central-1', 'eu-central-1']);
  assert.deepEqual(both(invokeEcho(dir, ['--region', 'sa-east-1'], { AWS_REGION: 'us-west-2' })), ['sa-east-1', 'sa-east-1']);
});

test('serverless.yml keeps its own region order: --region, then provider.region', () => {
  const dir = tempDir('serverless');
  writeFileSync(join(dir, 'handler.mjs'), 'export const hello = async () => ({ region: process.env.REGION });\n');
  writeFileSync(
    join(dir, 'serverless.yml'),
    'service: s\nprovider:\n  name: aws\n  runtime: nodejs22.x\n  region: eu-west-1\nfunctions:\n  hello:\n    handler: handler.hello\n    environment:\n      REGION: ${aws:region}\n',
  );
  const own = cli(['invoke', 'hello', '--workspace', dir], { AWS_REGION: 'us-west-2' }, dir);
  assert.equal(own.code, 0, own.stderr);
  assert.equal(JSON.parse(own.stdout).region, 'eu-west-1');
  const flag = cli(['invoke', 'hello', '--workspace', dir, '--region', 'ap-east-1'], {}, dir);
  assert.equal(JSON.parse(flag.stdout).region, 'ap-east-1');
});

test("a serverless.yml function runs in its service's region (--region > provider.region > us-east-1): AWS_REGION and its ARN, not the shell's", () => {
  const service = (region: string) => {
    const dir = tempDir('serverless-region');
    writeFileSync(
      join(dir, 'handler.mjs'),
      'export const hello = async (_event, context) => ({ region: process.env.AWS_REGION, defaultRegion: process.env.AWS_DEFAULT_REGION, arn: context.invokedFunctionArn });\n',
    );
    writeFileSync(
      join(dir, 'serverless.yml'),
      `service: s\nprovider:\n  name: aws\n  runtime: nodejs22.x\n${region}functions:\n  hello:\n    handler: handler.hello\n`,
    );
    return dir;
  };
  const run = (dir: string, flags: string[]) => {
    const result = cli(['invoke', 'hello', '--workspace', dir, ...flags], { AWS_REGION: 'us-west-2', AWS_DEFAULT_REGION: 'us-west-2' }, dir);
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout);
  };
  // The ARN names the function as the Framework deploys it: service-stage-function.
  const expect = (region: string) => ({ region, defaultRegion: region, arn: `arn:aws:lambda:${region}:123456789012:function:s-dev-hello` });
  const declared = service('  region: eu-west-1\n');
  assert.deepEqual(run(declared, []), expect('eu-west-1'));
  assert.deepEqual(run(declared, ['--region', 'ap-east-1']), expect('ap-east-1'));
  assert.deepEqual(run(service(''), []), expect('us-east-1'), "the Serverless Framework's default, whatever the shell says");
});

test("parameters: --parameter-overrides (both of SAM's syntaxes) > samconfig (--config-env) > Default", () => {
  const dir = echoProject();
  writeFileSync(
    join(dir, 'samconfig.toml'),
    `version = 0.1
[default.global.parameters]
parameter_overrides = "Stage=from-samconfig TableName=\\"table from samconfig\\""
region = "eu-north-1"
[prod.local_invoke.parameters]
parameter_overrides = ["Stage=prod"]
`,
  );
  const fromConfig = invokeEcho(dir);
  assert.deepEqual(
    [fromConfig.stage, fromConfig.table, fromConfig.region, fromConfig.pseudo],
    ['from-samconfig', 'table from samconfig', 'eu-north-1', 'eu-north-1'],
  );
  const prod = invokeEcho(dir, ['--config-env', 'prod']);
  assert.deepEqual([prod.stage, prod.table, prod.region], ['prod', 'from-default', 'us-east-1']);
  const flags = invokeEcho(dir, ['--parameter-overrides', 'Stage=from-flag', 'ParameterKey=TableName,ParameterValue=t1']);
  assert.deepEqual([flags.stage, flags.table], ['from-flag', 't1']);
  const quoted = invokeEcho(dir, ['--parameter-overrides', 'Stage="a b"']);
  assert.equal(quoted.stage, 'a b');
  const badEnv = cli(['invoke', 'Echo', '--workspace', dir, '--config-env', 'nope'], {}, dir);
  assert.equal(badEnv.code, 2);
  assert.match(badEnv.stderr, /^open-runtime: samconfig\.toml has no environment "nope" \(it has default, prod\)\. Check --config-env\./);
});

test('variables: --env-vars for the function > its Parameters > .env > the template; undeclared ones are not added', () => {
  const dir = echoProject();
  writeFileSync(join(dir, '.env'), 'SECRET=from-dotenv\nTABLE=from-dotenv\nUNDECLARED=x\n');
  const dotenv = invokeEcho(dir);
  assert.deepEqual([dotenv.secret, dotenv.table], ['from-dotenv', 'from-dotenv']);
  writeFileSync(
    join(dir, 'env.json'),
    JSON.stringify({ Parameters: { SECRET: 'from-parameters', TABLE: 'from-parameters' }, Echo: { TABLE: 'from-function' } }),
  );
  const envVars = invokeEcho(dir, ['--env-vars', join(dir, 'env.json')]);
  assert.deepEqual([envVars.secret, envVars.table], ['from-parameters', 'from-function']);
});

test('a parameter with no value stops the function with a sentence naming file:line and how to set it', () => {
  const dir = needsKeyProject('KEY');
  const run = cli(['invoke', 'NeedsKey', '--workspace', dir], {}, dir);
  assert.equal(run.code, 2);
  assert.match(
    run.stderr,
    /template\.yaml:\d+: Function "NeedsKey" has Environment variable KEY from parameter ApiKey, which has no Default and was given no value\. Set it with --parameter-overrides ApiKey=value/,
  );
  const given = cli(['invoke', 'NeedsKey', '--workspace', dir, '--parameter-overrides', 'ApiKey=k'], {}, dir);
  assert.equal(given.code, 0, given.stderr);
});

test('a value saved by the editor in .open-runtime/parameters.json is used by the CLI, below --parameter-overrides', () => {
  const dir = needsKeyProject('SECRET');
  mkdirSync(join(dir, '.open-runtime'));
  // As the editor writes it: keyed by the template's path in the workspace.
  writeFileSync(join(dir, '.open-runtime', 'parameters.json'), JSON.stringify({ 'template.yaml': { ApiKey: 'from-the-editor' } }));
  const saved = cli(['invoke', 'NeedsKey', '--workspace', dir], {}, dir);
  assert.equal(saved.code, 0, saved.stderr);
  assert.equal(JSON.parse(saved.stdout).secret, 'from-the-editor');
  const flagged = cli(['invoke', 'NeedsKey', '--workspace', dir, '--parameter-overrides', 'ApiKey=flag'], {}, dir);
  assert.equal(flagged.code, 0, flagged.stderr);
  assert.equal(JSON.parse(flagged.stdout).secret, 'flag');
  // A broken file is named, and the function stays unloaded with its own error, instead of running with a guess.
  writeFileSync(join(dir, '.open-runtime', 'parameters.json'), '{ "template.yaml": ');
  const broken = cli(['invoke', 'NeedsKey', '--workspace', dir], {}, dir);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, /parameters\.json is not valid JSON .* Fix it, or set the values again with "Open Runtime: Set Template Parameters\.\.\."/);
});

test("flags: an unknown one is one line and the verb's usage; SAM's container flags get a notice; --debugger-path is refused", () => {
  const dir = echoProject();
  const unknown = cli(['invoke', 'Echo', '--workspace', dir, '--bogus'], {}, dir);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.split('\n')[0], "open-runtime: Unknown option '--bogus'.");
  assert.match(unknown.stderr, /open-runtime invoke <function>/);
  assert.doesNotMatch(unknown.stderr, /open-runtime (start|wit|deploy|build)/);
  const container = cli(['invoke', 'Echo', '--workspace', dir, '--docker-network', 'host', '--skip-pull-image', '--warm-containers', 'EAGER'], {}, dir);
  assert.equal(container.code, 0, container.stderr);
  assert.match(container.stderr, /^open-runtime: --docker-network has no effect: functions run as local processes, not in containers\.$/m);
  assert.match(container.stderr, /^open-runtime: --warm-containers has no effect/m);
  const debug = cli(['invoke', 'Echo', '--workspace', dir, '--debugger-path', '/tmp/dbg'], {}, dir);
  assert.equal(debug.code, 2);
  assert.match(debug.stderr, /^open-runtime: --debugger-path is not supported: there is no container to mount a debugger into/);
});

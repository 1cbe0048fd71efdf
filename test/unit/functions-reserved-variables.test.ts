// Lambda refuses a function whose environment sets a variable it reserves; so do template.yaml, serverless.yml and
// deploy, from the one list in runner/functions/reserved-variables.ts, instead of running it locally and failing later.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deployFunction, DeployError } from '../../runner/deploy/deploy-function.ts';
import { FunctionSpec } from '../../runner/functions/model.ts';
import { RESERVED_VARIABLES } from '../../runner/functions/reserved-variables.ts';
import { parseServerless } from '../../runner/functions/serverless.ts';
import { parseTemplate } from '../../runner/functions/template.ts';

test("the list is the Lambda Developer Guide's reserved variables", () => {
  // "Defined runtime environment variables": the names Lambda refuses in Environment.Variables.
  for (const name of [
    'AWS_REGION',
    'AWS_DEFAULT_REGION',
    '_HANDLER',
    '_X_AMZN_TRACE_ID',
    'AWS_LAMBDA_INITIALIZATION_TYPE',
    'AWS_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'LAMBDA_TASK_ROOT',
  ]) {
    assert.ok(RESERVED_VARIABLES.includes(name), name);
  }
  // Not reserved: functions may set these.
  for (const name of ['TZ', 'LANG', 'PATH', 'NODE_PATH', 'PYTHONPATH', 'AWS_LAMBDA_EXEC_WRAPPER', 'NODE_OPTIONS']) {
    assert.ok(!RESERVED_VARIABLES.includes(name), name);
  }
  assert.equal(RESERVED_VARIABLES.length, 18);
});

test("a template setting AWS_REGION is a definition error at the variable's line, and the function is not loaded", () => {
  const text = `Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
      Environment:
        Variables:
          TABLE: orders
          AWS_REGION: eu-west-1
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
      Environment:
        Variables:
          TABLE: orders
`;
  const file = '/work/x/template.yaml';
  const { functions, errors } = parseTemplate(text, file);
  assert.deepEqual(
    functions.map((f) => f.name),
    ['Worker'],
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.file, file);
  assert.equal(errors[0]!.line, 11);
  assert.match(errors[0]!.message, /^Function "Api" sets AWS_REGION in Environment\.Variables, but Lambda reserves AWS_REGION for itself/);
});

test('a reserved variable in Globals refuses every function it reaches, at the Globals line', () => {
  const text = `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Environment:
      Variables:
        AWS_DEFAULT_REGION: eu-west-1
Resources:
  Api:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
`;
  const { functions, errors } = parseTemplate(text, '/work/x/template.yaml');
  assert.deepEqual(functions, []);
  assert.deepEqual(
    errors.map((e) => e.line),
    [6],
  );
  assert.match(errors[0]!.message, /AWS_DEFAULT_REGION/);
});

test("serverless.yml: a reserved variable in a function's environment is an error at its environment line", () => {
  const text = `service: shop
provider:
  name: aws
  runtime: nodejs22.x
functions:
  api:
    handler: handler.api
    environment:
      _HANDLER: other.handler
  worker:
    handler: handler.worker
`;
  const file = '/work/x/serverless.yml';
  const { functions, errors } = parseServerless(text, file);
  assert.deepEqual(
    functions.map((f) => f.name),
    ['worker'],
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.line, readFileLine(text, 'environment:'));
  assert.match(errors[0]!.message, /^Function "api" sets _HANDLER in environment, but Lambda reserves _HANDLER/);
});

function readFileLine(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

test('deploy refuses a function with a reserved variable before building or calling anything', async () => {
  const fn = FunctionSpec.parse({
    name: 'Api',
    runtime: 'nodejs22.x',
    handler: 'app.handler',
    codeUri: '/nonexistent',
    environment: { AWS_REGION: 'eu-west-1', TABLE: 'orders' },
  });
  await assert.rejects(
    deployFunction(fn, { target: 'local', endpointUrl: 'http://127.0.0.1:9', zipPath: '/nonexistent/function.zip', workspace: '/nonexistent' }),
    (err: unknown) => err instanceof DeployError && !err.changedRemote && /^Nothing was deployed: Api sets AWS_REGION, which Lambda reserves/.test(err.message),
  );
});

test("a function that reaches the launch with a reserved variable anyway (an in-process FunctionSpec) keeps Lambda's value", async () => {
  const { lambdaEnvironment } = await import('../../runner/runtimes/spawn.ts');
  const fn = FunctionSpec.parse({
    name: 'Sneaky',
    runtime: 'nodejs22.x',
    handler: 'index.handler',
    codeUri: '/tmp',
    environment: { AWS_REGION: 'evil-1', AWS_LAMBDA_INITIALIZATION_TYPE: 'snap-start', MINE: 'kept' },
  });
  const env = lambdaEnvironment(fn, { runtimeApi: '127.0.0.1:1', logStreamName: 'stream', region: 'eu-west-1' }, 'index.handler');
  assert.equal(env.AWS_REGION, 'eu-west-1');
  assert.equal(env.AWS_LAMBDA_INITIALIZATION_TYPE, 'on-demand');
  assert.equal(env.MINE, 'kept');
});

test('functions find Lambda at the runner (AWS_ENDPOINT_URL_LAMBDA), with placeholder credentials only when the user has none', async () => {
  const { lambdaEnvironment } = await import('../../runner/runtimes/spawn.ts');
  const fn = FunctionSpec.parse({ name: 'Caller', runtime: 'nodejs24.x', handler: 'index.handler', codeUri: '/tmp' });
  const launch = { runtimeApi: '127.0.0.1:1', logStreamName: 'stream', region: 'eu-west-1', lambdaEndpoint: 'http://127.0.0.1:3001' };
  const saved = { ...process.env };
  try {
    for (const key of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE']) delete process.env[key];
    process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/credentials';
    const none = lambdaEnvironment(fn, launch, 'index.handler');
    assert.equal(none.AWS_ENDPOINT_URL_LAMBDA, 'http://127.0.0.1:3001');
    assert.equal(none.AWS_ACCESS_KEY_ID, 'local');
    process.env.AWS_PROFILE = 'work';
    const withProfile = lambdaEnvironment(fn, launch, 'index.handler');
    assert.equal(withProfile.AWS_ACCESS_KEY_ID, undefined, "the user's profile is left to the SDK");
    assert.equal(lambdaEnvironment(fn, { ...launch, lambdaEndpoint: undefined }, 'index.handler').AWS_ENDPOINT_URL_LAMBDA, undefined);
    const own = FunctionSpec.parse({ ...fn, environment: { AWS_ENDPOINT_URL_LAMBDA: 'https://lambda.example' } });
    assert.equal(lambdaEnvironment(own, launch, 'index.handler').AWS_ENDPOINT_URL_LAMBDA, 'https://lambda.example', 'a function that sets its own keeps it');
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});

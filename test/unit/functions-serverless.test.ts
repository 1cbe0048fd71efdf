// serverless.yml services become FunctionSpecs: provider defaults, variables, layers, project settings,
// and the same error contract as templates (one error per bad function, with its line).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadServerless, parseServerless } from '../../runner/functions/serverless.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';

const SERVICE = join(import.meta.dirname, '..', 'fixtures', 'templates', 'serverless');
const BROKEN = join(import.meta.dirname, '..', 'fixtures', 'templates', 'serverless-broken');
const ENV = { OPEN_RUNTIME_TEST_HOME: '/home/tester' };

function lineOf(file: string, needle: string, after?: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = after ? lines.findIndex((l) => l.startsWith(after)) : 0;
  const index = lines.findIndex((l, i) => i >= start && l.includes(needle));
  assert.ok(start >= 0 && index >= 0, `"${needle}" is in ${file}`);
  return index + 1;
}

function byName(functions: FunctionSpec[], name: string): FunctionSpec {
  const fn = functions.find((f) => f.name === name);
  assert.ok(fn, `function ${name} was loaded (got ${functions.map((f) => f.name).join(', ')})`);
  return fn;
}

test('a service loads every function with provider settings and its own overrides', async () => {
  const file = join(SERVICE, 'serverless.yml');
  const { functions, errors } = await loadServerless(file, { env: ENV });
  assert.deepEqual(errors, []);
  assert.deepEqual(
    functions.map((f) => f.name),
    ['hello', 'list', 'worker'],
  );

  const hello = byName(functions, 'hello');
  assert.equal(hello.runtime, 'nodejs22.x');
  assert.equal(hello.handler, 'src/handler.hello');
  assert.equal(hello.codeUri, SERVICE); // the service folder is the package
  assert.equal(hello.memorySize, 512);
  assert.equal(hello.timeout, 20);
  assert.equal(hello.architecture, 'arm64');
  assert.deepEqual(hello.source, { file, line: lineOf(file, '  hello:', 'functions:') });
  assert.equal(hello.concurrency, 2); // custom.openRuntime.functions.hello
  assert.deepEqual(hello.middlewares, ['cors']);
  assert.deepEqual(hello.layers, [join(SERVICE, 'layer')]); // { Ref: SharedLambdaLayer } -> layers.shared.path

  const list = byName(functions, 'list');
  assert.deepEqual([list.memorySize, list.timeout, list.architecture], [256, 3, 'x86_64']);
  assert.equal(list.codeUri, SERVICE); // package.artifact is ignored
  assert.deepEqual(list.layers, []);

  const worker = byName(functions, 'worker');
  assert.equal(worker.runtime, 'python3.12');
  assert.equal(worker.handler, 'src/worker.main');
});

test('variables resolve from self, env, opt, sls, aws and file, with fallbacks and nesting', async () => {
  const { functions } = await loadServerless(join(SERVICE, 'serverless.yml'), { env: ENV });
  assert.deepEqual(byName(functions, 'list').environment, {
    STAGE: 'dev', // ${self:provider.stage} -> ${opt:stage, 'dev'}
    SERVICE: 'orders',
    TABLE: 'orders-dev', // ${self:custom.tables.${sls:stage}}
    HOME_DIR: '/home/tester',
    MISSING_WITH_DEFAULT: 'fallback',
    SECRET: '${ssm:/orders/secret}', // only an AWS account has it: kept as readable text
    FROM_FILE: 'orders-from-file',
    REGION: 'eu-west-1',
    MIXED: 'orders-dev-123456789012',
  });
  const hello = byName(functions, 'hello').environment;
  assert.equal(hello.STAGE, 'overridden'); // the function's own variable wins
  assert.equal(hello.TOPIC, 'arn:aws:sns:eu-west-1:123456789012:topic'); // CloudFormation !Sub in serverless.yml
});

test('--stage and --region options change the resolved values', async () => {
  const { functions } = await loadServerless(join(SERVICE, 'serverless.yml'), { env: {}, stage: 'prod', region: 'ap-south-1' });
  const env = byName(functions, 'list').environment;
  assert.equal(env.STAGE, 'prod');
  assert.equal(env.TABLE, 'orders-prod');
  assert.equal(env.REGION, 'ap-south-1');
  assert.equal(env.HOME_DIR, '/nowhere'); // the env fallback when the variable is unset
});

test("each function has the name the Framework deploys it as (SERVICE-STAGE-KEY, or its own name:) and the service's region", async () => {
  const text = `service: \${self:custom.base}-api
custom:
  base: shop
provider:
  name: aws
  runtime: python3.11
  stage: \${opt:stage, 'dev'}
  region: eu-central-1
functions:
  ping:
    handler: app.ping
  pong:
    handler: app.pong
    name: \${self:service}-pong-\${sls:stage}
`;
  const file = join(SERVICE, 'serverless.yml');
  const names = (options = {}) => parseServerless(text, file, options).functions.map((f) => [f.name, f.functionName, f.region]);
  assert.deepEqual(names(), [
    ['ping', 'shop-api-dev-ping', 'eu-central-1'],
    ['pong', 'shop-api-pong-dev', 'eu-central-1'],
  ]);
  assert.deepEqual(names({ stage: 'prod', region: 'us-west-2' }), [
    ['ping', 'shop-api-prod-ping', 'us-west-2'],
    ['pong', 'shop-api-pong-prod', 'us-west-2'],
  ]);
});

test('the framework defaults (1024 MB, 6 s) apply when the service sets none', () => {
  const text = `service: tiny
provider:
  name: aws
  runtime: python3.11
functions:
  ping:
    handler: app.ping
`;
  const { functions, errors } = parseServerless(text, join(SERVICE, 'serverless.yml'));
  assert.deepEqual(errors, []);
  assert.deepEqual(
    functions.map((f) => [f.name, f.runtime, f.memorySize, f.timeout, f.architecture]),
    [['ping', 'python3.11', 1024, 6, 'x86_64']],
  );
});

test('each bad function gets one error with its line while the good one still loads', async () => {
  const file = join(BROKEN, 'serverless.yml');
  const { functions, errors } = await loadServerless(file, { env: {} });
  assert.deepEqual(
    functions.map((f) => f.name),
    ['ok'],
  );
  const expectations: [string, number, RegExp][] = [
    [
      'tuned',
      lineOf(file, 'concurrency: 0'),
      /^Function "tuned" has custom\.openRuntime\.functions\.concurrency 0; it must be a whole number from 1 to 1000\.$/,
    ],
    ['noHandler', lineOf(file, '  noHandler:'), /^Function "noHandler" has no handler\. Add one such as "handler: handler\.hello"/],
    ['badRuntime', lineOf(file, 'runtime: ruby3.3'), /^Function "badRuntime" has runtime "ruby3\.3", which Open Runtime can't run\./],
    [
      'badValues',
      lineOf(file, 'memorySize: lots'),
      /^Function "badValues" has memorySize "lots"; .* Line \d+: it has timeout 0; .* Line \d+: it has architecture \[arm64\]; it must be one of x86_64 or arm64/,
    ],
    [
      'unclosed',
      lineOf(file, 'handler: "src/handler.ok'),
      /^Function "unclosed" is not valid YAML: Missing closing "quote\. Fix it and save; the rest of serverless\.yml still loads\.$/,
    ],
    ['image', lineOf(file, 'image: 1234'), /^Function "image" is a container image/],
  ];
  assert.equal(errors.length, expectations.length, errors.map((e) => `${e.line}: ${e.message}`).join('\n'));
  for (const [name, line, pattern] of expectations) {
    const error = errors.find((e) => e.message.startsWith(`Function "${name}"`));
    assert.ok(error, `an error for ${name}`);
    assert.equal(error.file, file);
    assert.ok(Math.abs(error.line - line) <= (name === 'unclosed' ? 1 : 0), `line ${error.line} of the error for ${name}, expected ${line}`);
    assert.match(error.message, pattern);
  }
});

test('a service for another provider is one error saying Open Runtime runs AWS Lambda functions', () => {
  const text = `service: elsewhere
provider:
  name: google
  runtime: nodejs20
functions:
  hello:
    handler: index.hello
`;
  const file = join(SERVICE, 'serverless.yml');
  const { functions, errors } = parseServerless(text, file);
  assert.deepEqual(functions, []);
  assert.deepEqual(errors, [
    {
      file,
      line: 2,
      message: 'serverless.yml is for provider "google"; Open Runtime runs AWS Lambda functions, so it only reads services with "provider: { name: aws }".',
    },
  ]);
});

test('functions given as a list of mappings load like a mapping', () => {
  const text = `service: listed
provider:
  name: aws
  runtime: nodejs22.x
functions:
  - first:
      handler: a.first
  - second:
      handler: b.second
      timeout: 9
`;
  const { functions, errors } = parseServerless(text, join(SERVICE, 'serverless.yml'));
  assert.deepEqual(errors, []);
  assert.deepEqual(
    functions.map((f) => [f.name, f.handler, f.timeout, f.source?.line]),
    [
      ['first', 'a.first', 6, 6],
      ['second', 'b.second', 9, 8],
    ],
  );
});

test('asynchronous invocation settings: maximumRetryAttempts, maximumEventAge, destinations and onError', () => {
  const text = `
service: shop
provider:
  name: aws
  runtime: nodejs22.x
functions:
  orders:
    handler: app.handler
    maximumRetryAttempts: 0
    maximumEventAge: 600
    destinations:
      onSuccess: audit
      onFailure:
        type: sqs
        arn: arn:aws:sqs:us-east-1:123456789012:failed-orders
    onError: arn:aws:sns:us-east-1:123456789012:dead-orders
  audit:
    handler: app.handler
  wrong:
    handler: app.handler
    maximumRetryAttempts: 9
`;
  const { functions, errors } = parseServerless(text, join(SERVICE, 'serverless.yml'));
  assert.deepEqual(byName(functions, 'orders').eventInvoke, {
    maximumRetryAttempts: 0,
    maximumEventAgeSeconds: 600,
    onSuccess: { type: 'Lambda', target: 'audit' },
    onFailure: { type: 'SQS', target: 'arn:aws:sqs:us-east-1:123456789012:failed-orders' },
    deadLetter: { type: 'SNS', target: 'arn:aws:sns:us-east-1:123456789012:dead-orders' },
  });
  assert.equal(byName(functions, 'audit').eventInvoke, undefined);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /Function "wrong" has maximumRetryAttempts 9; it must be a whole number from 0 to 2\./);
});

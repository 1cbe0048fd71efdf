// SAM / CloudFormation templates become FunctionSpecs: Globals merge, intrinsics, local layers,
// Metadata.OpenRuntime, and one DefinitionError per bad function naming the right line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadTemplate, parseTemplate } from '../../runner/functions/template.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'templates');

/** 1-based line of the first line containing `needle`, searching from the line containing `after`. */
function lineOf(file: string, needle: string, after?: string): number {
  const lines = readFileSync(file, 'utf8').split('\n');
  const start = after ? lines.findIndex((l) => l.startsWith(after)) : 0;
  assert.ok(start >= 0, `"${after}" is in ${file}`);
  const index = lines.findIndex((l, i) => i >= start && l.includes(needle));
  assert.ok(index >= 0, `"${needle}" is in ${file}`);
  return index + 1;
}

function byName(functions: FunctionSpec[], name: string): FunctionSpec {
  const fn = functions.find((f) => f.name === name);
  assert.ok(fn, `function ${name} was loaded (got ${functions.map((f) => f.name).join(', ')})`);
  return fn;
}

test('a SAM template with Globals, intrinsics, layers and metadata loads every function', async () => {
  const file = join(FIXTURES, 'sam', 'template.yaml');
  const { functions, errors } = await loadTemplate(file);
  assert.deepEqual(errors, []);
  // OnlyInProd has Condition: IsProd, which is false with the default Stage, so it is not in the stack.
  assert.deepEqual(
    functions.map((f) => f.name),
    ['Hello', 'PythonWorker', 'CustomRuntime'],
  );

  const hello = byName(functions, 'Hello');
  assert.equal(hello.runtime, 'nodejs22.x'); // from Globals
  assert.equal(hello.handler, 'app.handler');
  assert.equal(hello.codeUri, join(FIXTURES, 'sam', 'src', 'hello'));
  assert.equal(hello.timeout, 10); // from Globals
  assert.equal(hello.memorySize, 512); // !Ref of a Number parameter beats the Globals value
  assert.equal(hello.architecture, 'arm64'); // from Globals
  assert.deepEqual(hello.source, { file, line: lineOf(file, '  Hello:') });
  assert.equal(hello.concurrency, 3);
  assert.equal(hello.runtimeClient, 'aws-lambda-ric');
  assert.deepEqual(hello.middlewares, ['cors', 'logger']);
  // The local layer resolves to its folder; the published ARN has nothing local and is passed over.
  assert.deepEqual(hello.layers, [join(FIXTURES, 'sam', 'layers', 'shared')]);
});

test('environment variables merge with Globals and every intrinsic gives a string', async () => {
  const { functions } = await loadTemplate(join(FIXTURES, 'sam', 'template.yaml'));
  const env = byName(functions, 'Hello').environment;
  assert.deepEqual(env, {
    STAGE: 'dev', // Globals, !Ref parameter Default
    SHARED: 'from-function', // the function's own value wins over Globals
    LOG_LEVEL: 'debug', // !FindInMap with a nested !Ref
    TABLE_NAME: 'OrdersTable', // !Ref of a resource: its logical id stands in for the physical name
    TABLE_ARN: 'arn:aws:dynamodb:us-east-1:123456789012:table/OrdersTable', // !GetAtt: the local table's ARN
    TABLE_STREAM: 'arn:aws:dynamodb:us-east-1:123456789012:table/OrdersTable/stream/1970-01-01T00:00:00.000',
    BUCKET_ARN: 'arn:aws:s3:::orders-dev-123456789012/*',
    QUEUE: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders-dev', // !Sub with a variable map and !Join
    DETAIL: 'arn:aws:dynamodb:us-east-1:123456789012:table/OrdersTable/stream ${Literal}', // GetAtt shorthand; ${!Literal} unescaped
    SIZE: 'small', // !If on a false condition
    DEV_EAST: 'yes', // !And of !Condition and !Equals with AWS::Region
    FIRST_SUBNET: 'subnet-a', // CommaDelimitedList parameter
    SECOND_PART: 'b',
    ZONE: 'us-east-1a',
    ENCODED: Buffer.from('hello').toString('base64'),
    REGION_LONG: 'us-east-1', // long form Fn::Sub
    JOINED_LONG: 'adev', // long form Fn::Join with { Ref }
    PORT: '8080',
    ENABLED: 'true',
    // GONE: !Ref AWS::NoValue removes the variable
  });
  const worker = byName(functions, 'PythonWorker');
  assert.deepEqual(worker.environment, { STAGE: 'dev', SHARED: 'from-globals', LOG_LEVEL: 'debug' });
});

test("Globals apply under the function's own settings, and layers are not repeated", async () => {
  const { functions } = await loadTemplate(join(FIXTURES, 'sam', 'template.yaml'));
  const worker = byName(functions, 'PythonWorker');
  assert.equal(worker.runtime, 'python3.12');
  assert.equal(worker.architecture, 'x86_64'); // own Architectures beat Globals
  assert.equal(worker.memorySize, 256); // Globals
  assert.deepEqual(worker.layers, [join(FIXTURES, 'sam', 'layers', 'shared')]); // Globals + own, same layer once
  assert.equal(worker.concurrency, 10); // model default without Metadata
  assert.equal(worker.runtimeClient, 'open-runtime');

  const custom = byName(functions, 'CustomRuntime');
  assert.equal(custom.runtime, 'provided.al2023');
  assert.equal(custom.timeout, 30);
  assert.equal(custom.codeUri, join(FIXTURES, 'sam', 'worker'));
});

test('parameter overrides and another region change what intrinsics resolve to', () => {
  const file = join(FIXTURES, 'sam', 'template.yaml');
  const { functions, errors } = parseTemplate(readFileSync(file, 'utf8'), file, { parameterOverrides: { Stage: 'prod' }, region: 'eu-west-1' });
  assert.deepEqual(errors, []);
  assert.deepEqual(
    functions.map((f) => f.name),
    ['Hello', 'PythonWorker', 'CustomRuntime', 'OnlyInProd'],
  );
  const env = byName(functions, 'Hello').environment;
  assert.equal(env.STAGE, 'prod');
  assert.equal(env.LOG_LEVEL, 'warn');
  assert.equal(env.SIZE, 'large');
  assert.equal(env.DEV_EAST, 'no');
  assert.equal(env.ZONE, 'eu-west-1a');
  assert.equal(env.QUEUE, 'https://sqs.eu-west-1.amazonaws.com/123456789012/orders-prod');
});

test('each bad function gets one error with its line while the good one still loads', async () => {
  const file = join(FIXTURES, 'broken', 'template.yaml');
  const { functions, errors } = await loadTemplate(file);
  assert.deepEqual(
    functions.map((f) => f.name),
    ['Good'],
  );
  for (const e of errors) assert.equal(e.file, file);

  const expectations: [string, number, RegExp][] = [
    ['NoRuntime', lineOf(file, '  NoRuntime:'), /Function "NoRuntime" has no Runtime\. Add one such as "Runtime: nodejs22\.x"/],
    ['NoHandler', lineOf(file, '  NoHandler:'), /Function "NoHandler" has no Handler\. Add one such as "Handler: app\.handler"/],
    [
      'UnknownRuntime',
      lineOf(file, 'Runtime: java21'),
      /Function "UnknownRuntime" has Runtime "java21", which Open Runtime can't run\. Use one of: nodejs22\.x/,
    ],
    ['BadValues', lineOf(file, 'MemorySize: 64'), /MemorySize 64; it must be a whole number of MB from 128 to 10240\./],
    [
      'S3Code',
      lineOf(file, 'CodeUri:', '  S3Code:'),
      /Function "S3Code" has CodeUri in S3 .*can't run locally, and no Metadata "aws:asset:path" naming a local copy\. Point CodeUri at the local folder/,
    ],
    [
      'MissingFolder',
      lineOf(file, 'CodeUri: does-not-exist/'),
      /Function "MissingFolder" has CodeUri "does-not-exist\/", but .*does-not-exist doesn't exist\. Create the folder or fix the path\./,
    ],
    ['ZipCode', lineOf(file, 'CodeUri: code.zip'), /Function "ZipCode" has CodeUri "code\.zip", which is a file/],
    ['Inline', lineOf(file, 'InlineCode:'), /Function "Inline" uses InlineCode, which Open Runtime does not run/],
    ['Image', lineOf(file, 'PackageType: Image'), /Function "Image" is a container image \(PackageType: Image\)/],
    [
      'BadHandler',
      lineOf(file, 'Handler: app', '  BadHandler:'),
      /Function "BadHandler" has Handler "app", which should be the file and the exported function joined by a dot/,
    ],
    [
      'UnresolvedRuntime',
      lineOf(file, 'Runtime: !Ref RuntimeParam'),
      /Function "UnresolvedRuntime" has Runtime !Ref RuntimeParam, which can't be resolved locally\. Give the parameter a Default/,
    ],
    [
      'BadMetadata',
      lineOf(file, 'concurency: 5'),
      /unknown Metadata\.OpenRuntime setting "concurency"; the settings are concurrency, runtimeClient, middlewares\./,
    ],
  ];
  assert.equal(errors.length, expectations.length, errors.map((e) => e.message).join('\n'));
  for (const [name, line, pattern] of expectations) {
    const error = errors.find((e) => e.message.startsWith(`Function "${name}"`));
    assert.ok(error, `an error for ${name}`);
    assert.equal(error.line, line, `line of the error for ${name}`);
    assert.match(error.message, pattern);
  }
});

test('a function with several problems names each with its line, top to bottom', async () => {
  const file = join(FIXTURES, 'broken', 'template.yaml');
  const { errors } = await loadTemplate(file);
  const badValues = errors.find((e) => e.message.startsWith('Function "BadValues"'));
  assert.ok(badValues);
  assert.equal(
    badValues.message,
    'Function "BadValues" has MemorySize 64; it must be a whole number of MB from 128 to 10240. ' +
      `Line ${lineOf(file, 'Timeout: 901')}: it has Timeout 901; it must be a number of seconds above 0 and at most 900. ` +
      `Line ${lineOf(file, 'Architectures: [sparc]')}: it has Architectures [sparc]; it must be a list with one of x86_64 or arm64, such as [arm64].`,
  );
  const metadata = errors.find((e) => e.message.startsWith('Function "BadMetadata"'));
  assert.ok(metadata);
  assert.match(
    metadata.message,
    new RegExp(
      `Line ${lineOf(file, 'runtimeClient: bun')}: it has Metadata\\.OpenRuntime\\.runtimeClient "bun"; it must be "open-runtime" or "aws-lambda-ric"\\.`,
    ),
  );
});

test('a YAML mistake inside one resource breaks only that resource', async () => {
  const file = join(FIXTURES, 'syntax-in-resource', 'template.yaml');
  const { functions, errors } = await loadTemplate(file);
  assert.deepEqual(
    functions.map((f) => f.name),
    ['First', 'Last'],
  );
  assert.equal(byName(functions, 'Last').runtime, 'nodejs20.x');
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.line, lineOf(file, 'Handler: app.other'));
  assert.match(
    errors[0]!.message,
    /^Resource "Broken" is not valid YAML: Map keys must be unique\. Fix it and save; the rest of template\.yaml still loads\.$/,
  );
});

test('unclosed quotes, tabs and bad indents in one function do not swallow the functions after it', () => {
  const template = (broken: string) => `Resources:
  First:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: nodejs22.x
  Broken:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
${broken}
      Runtime: nodejs22.x
  Last:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: nodejs20.x
`;
  const cases: [string, RegExp][] = [
    ['      Handler: "app.handler', /Missing closing "quote/],
    ['      Handler: [app', /Flow sequence/],
    ['\tHandler: app.handler', /Tabs are not allowed as indentation/],
    ['     Handler: app.handler', /All mapping items must start at the same column/],
    ['      Handler: app: handler', /Nested mappings are not allowed in compact mappings/],
  ];
  for (const [line, pattern] of cases) {
    const { functions, errors } = parseTemplate(template(line), join(FIXTURES, 'sam', 'template.yaml'));
    assert.deepEqual(
      functions.map((f) => f.name),
      ['First', 'Last'],
      `with ${JSON.stringify(line)}`,
    );
    assert.equal(errors.length, 1, `with ${JSON.stringify(line)}: ${errors.map((e) => e.message).join('; ')}`);
    assert.match(errors[0]!.message, /^Resource "Broken" is not valid YAML: /);
    assert.match(errors[0]!.message, pattern);
    assert.ok(errors[0]!.line >= 12 && errors[0]!.line <= 13, `line ${errors[0]!.line} is at the mistake`);
  }
});

test('a YAML mistake outside the resources fails the file with the line', async () => {
  const file = join(FIXTURES, 'syntax-in-file', 'template.yaml');
  const { functions, errors } = await loadTemplate(file);
  assert.deepEqual(functions, []);
  assert.ok(errors.length >= 1);
  assert.equal(errors[0]!.file, file);
  assert.ok(errors[0]!.line >= lineOf(file, 'Runtime: [nodejs22.x') && errors[0]!.line <= lineOf(file, 'Resources:'));
  assert.match(errors[0]!.message, /^template\.yaml is not valid YAML: Flow sequence .*\. Fix it and save; no function in this file can run until then\.$/);
});

test('AWS::Lambda::Function in a JSON template: local Code loads, S3 and inline code are errors', async () => {
  const file = join(FIXTURES, 'lambda-json', 'template.json');
  const { functions, errors } = await loadTemplate(file);
  assert.equal(functions.length, 1);
  const plain = functions[0]!;
  assert.deepEqual(
    { ...plain, source: undefined },
    {
      name: 'Plain',
      runtime: 'nodejs20.x',
      handler: 'index.handler',
      codeUri: join(FIXTURES, 'lambda-json', 'code'),
      architecture: 'arm64',
      memorySize: 1024,
      timeout: 60,
      environment: { STAGE: 'test', TOPIC: 'arn:aws:sns:us-east-1:123456789012:test-events', BUCKET: 'arn:aws:s3:::bucket' },
      concurrency: 10,
      runtimeClient: 'open-runtime',
      layers: [],
      middlewares: [],
      version: '$LATEST',
      source: undefined,
    },
  );
  assert.deepEqual(plain.source, { file, line: lineOf(file, '"Plain"') });
  assert.deepEqual(
    errors.map((e) => [e.line, e.message.split('.')[0]]),
    [
      [lineOf(file, '"Code": { "S3Bucket"'), 'Function "FromS3" has Code in S3 ({ S3Bucket: artifacts, S3Key: fn'],
      [lineOf(file, '"Code": { "ZipFile"'), 'Function "Inline" has inline Code (ZipFile), which Open Runtime does not run'],
    ],
  );
});

test('Globals do not apply to AWS::Lambda::Function, and SAM CodeUri defaults to the template folder', () => {
  const text = `Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: nodejs22.x
    Handler: app.handler
Resources:
  Sam:
    Type: AWS::Serverless::Function
  Raw:
    Type: AWS::Lambda::Function
    Properties:
      Code: .
`;
  const file = join(FIXTURES, 'broken', 'template.yaml');
  const { functions, errors } = parseTemplate(text, file);
  assert.deepEqual(
    functions.map((f) => [f.name, f.runtime, f.handler, f.codeUri]),
    [['Sam', 'nodejs22.x', 'app.handler', join(FIXTURES, 'broken')]],
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.line, 9);
  assert.match(
    errors[0]!.message,
    /^Function "Raw" has no Runtime\. Add one such as "Runtime: nodejs22\.x" to its Properties\. It also has no Handler\. .* to its Properties\.$/,
  );
});

test('a template without Resources, or not a mapping at all, is one error at the right line', () => {
  const file = '/work/x/template.yaml';
  assert.deepEqual(parseTemplate('Description: nothing here\n', file).errors, [
    { file, line: 1, message: 'template.yaml has no Resources mapping; add the functions under "Resources:".' },
  ]);
  assert.deepEqual(parseTemplate('- just\n- a list\n', file).errors, [
    { file, line: 1, message: 'template.yaml is not a CloudFormation template: it should be a mapping with a Resources section.' },
  ]);
});

test('a template that cannot be read is an error naming the file', async () => {
  const file = join(FIXTURES, 'no-such-folder', 'template.yaml');
  const { functions, errors } = await loadTemplate(file);
  assert.deepEqual(functions, []);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.file, file);
  assert.match(errors[0]!.message, /^Could not read .*template\.yaml: .*Check that the file exists and is readable\.$/);
});

test('every intrinsic tag and long form parses, and environment variables always get a string', () => {
  const text = `Parameters:
  Env:
    Type: String
    Default: qa
  Zones:
    Type: List<AWS::EC2::AvailabilityZone::Name>
    Default: us-east-1a,us-east-1b
Conditions:
  IsQa: !Equals [!Ref Env, qa]
  IsProd: !Equals [prod, !Ref Env]
  QaOrProd: !Or [!Condition IsQa, !Condition IsProd]
  NotQa: !Not [!Condition IsQa]
  Both: !And [!Condition IsQa, !Condition QaOrProd]
  Unknowable: !Equals [!ImportValue flag, 'on']
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          REF: !Ref Env
          SUB: !Sub '\${Env}-\${AWS::StackName}-\${AWS::URLSuffix}'
          SUB_LIST: !Sub ['\${A}/\${B}', { A: !Ref Env, B: !Select [1, !Ref Zones] }]
          GETATT: !GetAtt Queue.QueueName
          JOIN: !Join [',', !Ref Zones]
          IF_OR: !If [QaOrProd, either, neither]
          IF_NOT: !If [NotQa, not-qa, qa]
          IF_AND: !If [Both, both, not-both]
          SELECT: !Select ['0', !GetAZs 'eu-central-1']
          SPLIT_JOIN: !Join ['+', !Split ['/', 'a/b/c']]
          AZS: !GetAZs ''
          B64: !Base64 { 'Fn::Join': ['', [x, y]] }
          EQUALS: !Equals [a, a]
          AND: !And [!Equals [a, a], !Equals [b, c]]
          OR: !Or [!Equals [a, b], !Condition IsQa]
          NOT: !Not [!Equals [a, b]]
          CONDITION: !If [IsProd, p, !Ref AWS::NoValue]
          LENGTH: !Length [a, b, c]
          JSON: !ToJsonString { a: !Ref Env }
          LONG_GETATT: { 'Fn::GetAtt': [Queue, Arn] }
          LONG_IF: { 'Fn::If': [IsQa, { 'Fn::Base64': abc }, none] }
          LONG_SELECT: { 'Fn::Select': [2, { 'Fn::Split': [',', 'x,y,z'] }] }
          LONG_FIND: { 'Fn::FindInMap': [Missing, a, b, { DefaultValue: fallback }] }
  Unknowable:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          IF_UNKNOWABLE: !If [Unknowable, a, b]
          FIND: !FindInMap [Missing, a, b]
          IMPORT: !ImportValue { 'Fn::Sub': '\${Env}-vpc' }
          CIDR: !Cidr [!GetAtt Vpc.CidrBlock, 2, 8]
          TRANSFORM: { 'Fn::Transform': { Name: AWS::Include, Parameters: { Location: s3://b/k } } }
  Queue:
    Type: AWS::SQS::Queue
  Vpc:
    Type: AWS::EC2::VPC
`;
  const { functions, errors } = parseTemplate(text, join(FIXTURES, 'sam', 'template.yaml'));
  // What only a deployed stack knows never reaches a function as text: one error, each value shown as written.
  assert.equal(functions.length, 1);
  assert.equal(errors.length, 1);
  for (const shown of [
    'IF_UNKNOWABLE = !If [Unknowable, a, b]',
    'FIND = !FindInMap [Missing, a, b]',
    'IMPORT = !ImportValue qa-vpc',
    'CIDR = !Cidr [!GetAtt Vpc.CidrBlock, 2, 8]',
    'TRANSFORM = !Transform { Name: AWS::Include, Parameters: { Location: s3://b/k } }',
  ]) {
    assert.ok(errors[0]!.message.includes(shown), `${shown} in ${errors[0]!.message}`);
  }
  assert.match(
    errors[0]!.message,
    /^Function "Unknowable" has Environment variable IF_UNKNOWABLE = .*which only a deployed stack knows\. Give it a local value with --env-vars/,
  );
  assert.deepEqual(functions[0]!.environment, {
    REF: 'qa',
    SUB: 'qa-local-amazonaws.com',
    SUB_LIST: 'qa/us-east-1b',
    GETATT: 'Queue', // a queue's name: the logical id stands in when QueueName is not set
    JOIN: 'us-east-1a,us-east-1b',
    IF_OR: 'either',
    IF_NOT: 'qa',
    IF_AND: 'both',
    SELECT: 'eu-central-1a',
    SPLIT_JOIN: 'a+b+c',
    AZS: 'us-east-1a,us-east-1b,us-east-1c',
    B64: Buffer.from('xy').toString('base64'),
    EQUALS: 'true',
    AND: 'false',
    OR: 'true',
    NOT: 'true',
    LENGTH: '3',
    JSON: '{"a":"qa"}',
    LONG_GETATT: 'arn:aws:sqs:us-east-1:123456789012:Queue',
    LONG_IF: Buffer.from('abc').toString('base64'),
    LONG_SELECT: 'z',
    LONG_FIND: 'fallback',
  });
});

test('asynchronous invocation settings: SAM EventInvokeConfig, DeadLetterQueue, CloudFormation EventInvokeConfig and DeadLetterConfig', () => {
  const text = `
Transform: AWS::Serverless-2016-10-31
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        MaximumEventAgeInSeconds: 120
        DestinationConfig:
          OnSuccess:
            Type: Lambda
            Destination: !GetAtt Audit.Arn
          OnFailure:
            Type: SQS
            Destination: !GetAtt Failed.Arn
      DeadLetterQueue:
        Type: SNS
        TargetArn: arn:aws:sns:us-east-1:123456789012:dead-orders
  Audit:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
  Failed:
    Type: AWS::SQS::Queue
  Plain:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
      Code: .
      DeadLetterConfig:
        TargetArn: !GetAtt Failed.Arn
  PlainConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Plain
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig:
        OnFailure:
          Destination: arn:aws:lambda:us-east-1:123456789012:function:Audit
  BadConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: Nowhere
      MaximumRetryAttempts: 5
  TooMany:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: app.handler
      EventInvokeConfig:
        MaximumRetryAttempts: 3
        MaximumEventAgeInSeconds: 30
`;
  const { functions, errors } = parseTemplate(text, join(FIXTURES, 'sam', 'template.yaml'));
  assert.deepEqual(byName(functions, 'Orders').eventInvoke, {
    maximumRetryAttempts: 1,
    maximumEventAgeSeconds: 120,
    onSuccess: { type: 'Lambda', target: 'Audit' },
    onFailure: { type: 'SQS', target: 'arn:aws:sqs:us-east-1:123456789012:Failed' },
    deadLetter: { type: 'SNS', target: 'arn:aws:sns:us-east-1:123456789012:dead-orders' },
  });
  assert.equal(byName(functions, 'Audit').eventInvoke, undefined, 'no settings: Lambda defaults');
  assert.deepEqual(byName(functions, 'Plain').eventInvoke, {
    maximumRetryAttempts: 0,
    maximumEventAgeSeconds: 21600,
    onFailure: { type: 'Lambda', target: 'Audit' },
    deadLetter: { type: 'SQS', target: 'arn:aws:sqs:us-east-1:123456789012:Failed' },
  });
  const messages = errors.map((e) => e.message).join('\n');
  assert.match(messages, /Resource "BadConfig" configures FunctionName Nowhere, which is no function of this template/);
  assert.match(messages, /Function "TooMany" has EventInvokeConfig.MaximumRetryAttempts 3; it must be a whole number from 0 to 2\./);
  assert.match(messages, /EventInvokeConfig.MaximumEventAgeInSeconds 30; it must be a whole number of seconds from 60 to 21600\./);
});

test('DurableConfig makes a durable function; a bad one is an error on its line', () => {
  const file = join(FIXTURES, 'sam', 'template.yaml');
  const text = (durable: string) => `Transform: AWS::Serverless-2016-10-31
Resources:
  Flow:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: .
      Handler: app.handler
      Runtime: nodejs24.x
      DurableConfig: ${durable}
`;
  const good = parseTemplate(text('{ ExecutionTimeout: 86400, RetentionPeriodInDays: 30 }'), file);
  assert.deepEqual(good.errors, []);
  assert.deepEqual(byName(good.functions, 'Flow').durable, { executionTimeout: 86400, retentionPeriodInDays: 30 });
  const bad = parseTemplate(text('{ RetentionPeriodInDays: 30 }'), file);
  assert.equal(bad.functions.length, 0);
  assert.equal(bad.errors.length, 1);
  assert.equal(bad.errors[0]!.line, 9);
  assert.match(bad.errors[0]!.message, /invalid DurableConfig: DurableConfig needs ExecutionTimeout/);
});

// Projects as users write them load as they are: nested applications (by path, logical id and FunctionName),
// code named by aws:asset:path, references to the template's resources, and parameters that have no value.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { loadTemplate, parseTemplate } from '../../runner/functions/template.ts';
import { findFunction, ambiguityMessage } from '../../runner/functions/address.ts';
import { loadFunctionsFrom } from '../../runner/functions/discover.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';

const PROJECTS = join(import.meta.dirname, '..', 'fixtures', 'projects');
const NESTED = join(PROJECTS, 'nested');

function byPath(functions: FunctionSpec[], path: string): FunctionSpec {
  const fn = functions.find((f) => (f.path ?? f.name) === path);
  assert.ok(fn, `function ${path} was loaded (got ${functions.map((f) => f.path ?? f.name).join(', ')})`);
  return fn;
}

test('nested applications with a local template load their functions, with the parameters the parent passes', async () => {
  const { functions, errors, skipped } = await loadTemplate(join(NESTED, 'template.yaml'));
  assert.deepEqual(errors, []);
  assert.deepEqual(
    functions.map((f) => f.path ?? f.name),
    ['Health', 'Orders/PlaceOrder', 'Orders/Audit/Record', 'Billing/Record'],
  );

  const place = byPath(functions, 'Orders/PlaceOrder');
  assert.equal(place.name, 'Orders-PlaceOrder'); // a Lambda-safe local name, unique in the workspace
  assert.equal(place.logicalId, 'PlaceOrder');
  assert.equal(place.functionName, 'place-order-dev'); // !Sub of a parameter the parent passed
  assert.equal(place.codeUri, join(NESTED, 'orders', 'src', 'place')); // relative to the child's template
  // AUDIT_ARN: the child's output, resolved in the child: its function's local ARN.
  assert.deepEqual(place.environment, { STAGE: 'dev', TABLE: 'orders-dev', AUDIT_ARN: 'arn:aws:lambda:us-east-1:123456789012:function:Orders-Audit-Record' });

  const record = byPath(functions, 'Orders/Audit/Record');
  assert.equal(record.runtime, 'python3.12');
  assert.equal(record.codeUri, join(NESTED, 'orders', 'audit', 'src', 'record'));
  assert.deepEqual(record.environment, { STAGE: 'dev' }); // passed down two levels
  assert.equal(record.source?.file, join(NESTED, 'orders', 'audit', 'template.yaml'));

  // Nothing is dropped silently: the two applications with no local template are listed with the reason.
  assert.equal(skipped?.length, 2);
  assert.match(skipped![0]!.message, /^Nested application "FromRepository" is skipped: it is a Serverless Application Repository application/);
  assert.match(
    skipped![1]!.message,
    /^Nested application "OnlyInS3" is skipped: its TemplateURL \(https:\/\/s3\.amazonaws\.com\/some-bucket\/child\.yaml\) is not a local file\. Point TemplateURL at/,
  );
});

test('the nested templates read are listed with the root one, so a watcher sees an edit to a child', async () => {
  const { files } = await loadFunctionsFrom(join(NESTED, 'template.yaml'));
  assert.deepEqual(files, [
    join(NESTED, 'template.yaml'),
    join(NESTED, 'orders', 'template.yaml'),
    join(NESTED, 'orders', 'audit', 'template.yaml'),
    join(NESTED, 'billing', 'template.yaml'),
  ]);
});

test('a parameter override at the root reaches every nested stack that is passed it', async () => {
  const file = join(NESTED, 'template.yaml');
  const { readFile } = await import('node:fs/promises');
  const { functions } = parseTemplate(await readFile(file, 'utf8'), file, { parameterOverrides: { Stage: 'prod' } });
  assert.equal(byPath(functions, 'Orders/PlaceOrder').functionName, 'place-order-prod');
  assert.deepEqual(byPath(functions, 'Orders/Audit/Record').environment, { STAGE: 'prod' });
});

test('functions are found by full path, by logical id when only one has it, and by FunctionName', async () => {
  const { functions } = await loadTemplate(join(NESTED, 'template.yaml'));
  const found = (address: string) => {
    const lookup = findFunction(functions, address);
    return 'found' in lookup ? (lookup.found.path ?? lookup.found.name) : lookup;
  };
  assert.equal(found('Orders/Audit/Record'), 'Orders/Audit/Record');
  assert.equal(found('Billing/Record'), 'Billing/Record');
  assert.equal(found('PlaceOrder'), 'Orders/PlaceOrder');
  assert.equal(found('place-order-dev'), 'Orders/PlaceOrder');
  assert.equal(found('Orders-PlaceOrder'), 'Orders/PlaceOrder');
  assert.equal(found('Health'), 'Health');
  assert.deepEqual(found('Nope'), { missing: true });
  const ambiguous = findFunction(functions, 'Record');
  assert.ok('ambiguous' in ambiguous);
  assert.equal(
    ambiguityMessage('Record', ambiguous.ambiguous),
    '"Record" is the logical id of 2 functions: Orders/Audit/Record, Billing/Record. Name one by its full path, e.g. Orders/Audit/Record.',
  );
});

test('aws:asset:path names the code that runs, over CodeUri', async () => {
  const { functions, errors } = await loadTemplate(join(NESTED, 'built', 'template.yaml'));
  assert.deepEqual(errors, []);
  assert.equal(functions[0]!.codeUri, join(NESTED, 'built', 'asset-code'));
});

test('a parameter with no Default and no value is an error naming the line, the parameter and how to set it', () => {
  const file = join(NESTED, 'template.yaml');
  const text = `Parameters:
  ApiKey:
    Type: String
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/root/
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          KEY: !Ref ApiKey
          URL: !Sub 'https://api/\${ApiKey}'
`;
  const { functions, errors } = parseTemplate(text, file);
  assert.deepEqual(functions, []);
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.line, 13);
  assert.equal(
    errors[0]!.message,
    'Function "Fn" has Environment variable KEY from parameter ApiKey, which has no Default and was given no value. Set it with --parameter-overrides ApiKey=value (or parameter_overrides in samconfig.toml, or in the editor, which saves it in .open-runtime/parameters.json), or give the parameter a Default. ' +
      'Line 14: it has Environment variable URL from parameter ApiKey, which has no Default and was given no value. Set it with --parameter-overrides ApiKey=value (or parameter_overrides in samconfig.toml, or in the editor, which saves it in .open-runtime/parameters.json), or give the parameter a Default.',
  );
  // The editor reads which parameters to ask for from the error itself.
  assert.deepEqual(errors[0]!.missingParameters, ['ApiKey']);
  // Given a value, the same function loads.
  const given = parseTemplate(text, file, { parameterOverrides: { ApiKey: 'k1' } });
  assert.deepEqual(given.errors, []);
  assert.deepEqual(given.functions[0]!.environment, { KEY: 'k1', URL: 'https://api/k1' });
  // --env-vars gives the variable itself a value, which also settles it.
  const envVars = parseTemplate(text, file, { envVars: { Fn: { KEY: 'from-env-vars' }, Parameters: { URL: 'u' } } });
  assert.deepEqual(envVars.errors, []);
  assert.deepEqual(envVars.functions[0]!.environment, { KEY: 'from-env-vars', URL: 'u' });
});

test("!Ref and !GetAtt of the template's functions, queues, tables and roles give local names and ARNs", () => {
  const text = `Resources:
  Caller:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/root/
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          CALLEE: !Ref Callee
          CALLEE_ARN: !GetAtt Callee.Arn
          NAMED_ARN: !GetAtt Named.Arn
          QUEUE_URL: !Ref Jobs
          QUEUE_ARN: !GetAtt Jobs.Arn
          TABLE: !Ref Orders
          ROLE_ARN: !GetAtt Role.Arn
          SUB: !Sub '\${Jobs.QueueName}:\${Callee}'
          ONLY_IN_ENV_VARS: !ImportValue shared
  Callee:
    Type: AWS::Lambda::Function
    Properties:
      Code: src/root/
      Handler: app.handler
      Runtime: nodejs22.x
  Named:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: named-fn
      CodeUri: src/root/
      Handler: app.handler
      Runtime: nodejs22.x
  Jobs:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub 'jobs-\${AWS::Region}'
  Orders:
    Type: AWS::DynamoDB::Table
  Role:
    Type: AWS::IAM::Role
    Properties:
      RoleName: runner
`;
  const { functions, errors } = parseTemplate(text, join(NESTED, 'template.yaml'), {
    region: 'eu-west-1',
    envVars: { Parameters: { ONLY_IN_ENV_VARS: 'given' } },
  });
  assert.deepEqual(errors, []);
  assert.deepEqual(functions.find((f) => f.name === 'Caller')!.environment, {
    CALLEE: 'Callee',
    CALLEE_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:Callee',
    NAMED_ARN: 'arn:aws:lambda:eu-west-1:123456789012:function:named-fn',
    QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs-eu-west-1',
    QUEUE_ARN: 'arn:aws:sqs:eu-west-1:123456789012:jobs-eu-west-1',
    TABLE: 'Orders',
    ROLE_ARN: 'arn:aws:iam::123456789012:role/runner',
    SUB: 'jobs-eu-west-1:Callee',
    ONLY_IN_ENV_VARS: 'given',
  });
});

test('a workspace whose root template nests its neighbours loads each child once, as part of its parent', async () => {
  const { discoverFunctions } = await import('../../runner/functions/discover.ts');
  const { functions, errors, files } = await discoverFunctions(NESTED);
  assert.deepEqual(errors, []);
  // orders/ and billing/ hold child templates (read through the root one); built/ holds a template of its own.
  assert.deepEqual(
    functions.map((f) => f.path ?? f.name),
    ['Health', 'Orders/PlaceOrder', 'Orders/Audit/Record', 'Billing/Record', 'Built'],
  );
  assert.ok(files.includes(join(NESTED, 'orders', 'template.yaml')));
});

test('a nested application whose template is missing, or that nests itself, is an error at its line', async () => {
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const dir = mkdtempSync(join(tmpdir(), 'or-nested-'));
  try {
    const file = join(dir, 'template.yaml');
    writeFileSync(
      file,
      'Resources:\n  Missing:\n    Type: AWS::Serverless::Application\n    Properties:\n      Location: ./nope/template.yaml\n  Self:\n    Type: AWS::CloudFormation::Stack\n    Properties:\n      TemplateURL: ./template.yaml\n',
    );
    const { functions, errors } = await loadTemplate(file);
    assert.deepEqual(functions, []);
    assert.deepEqual(
      errors.map((e) => [e.line, e.message]),
      [
        [2, `Nested application "Missing" has Location "./nope/template.yaml", but ${join(dir, 'nope', 'template.yaml')} doesn't exist. Fix the path.`],
        [6, 'Nested application "Self" nests template.yaml inside itself (or more than 10 deep); its functions are not loaded. Remove the cycle.'],
      ],
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The name a function's code sees is the name it has in Lambda: AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_LOG_GROUP_NAME,
// context.functionName and the ARN in context.invokedFunctionArn come from the FunctionName the template declares;
// without one, from the logical id, as SAM names it (also for a function of a nested application). The ARN the
// function sees is one a caller can invoke.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { removeTemps, startRunner, tempDir, type Runner } from './support/runner.ts';

let runner: Runner;

const NODE = `export const handler = async (event, context) => ({
  env: process.env.AWS_LAMBDA_FUNCTION_NAME,
  logGroup: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
  contextName: context.functionName,
  arn: context.invokedFunctionArn,
});
`;
const PYTHON = `import os
def handler(event, context):
    return {"env": os.environ["AWS_LAMBDA_FUNCTION_NAME"], "logGroup": context.log_group_name, "contextName": context.function_name, "arn": context.invoked_function_arn}
`;

before(async () => {
  const dir = tempDir('names');
  for (const [folder, file, text] of [
    ['node', 'app.mjs', NODE],
    ['python', 'app.py', PYTHON],
  ] as const) {
    mkdirSync(join(dir, folder));
    writeFileSync(join(dir, folder, file), text);
  }
  mkdirSync(join(dir, 'child'));
  writeFileSync(
    join(dir, 'child', 'template.yaml'),
    `Transform: AWS::Serverless-2016-10-31
Resources:
  Inner:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: ../node
`,
  );
  const template = join(dir, 'template.yaml');
  writeFileSync(
    template,
    `Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Default: prod
Resources:
  CreateOrder:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Sub orders-\${Stage}-create
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: node
  Reporter:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: orders-reporter
      Runtime: python3.11
      Handler: app.handler
      CodeUri: python
  Plain:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs20.x
      Handler: app.handler
      CodeUri: node
  Child:
    Type: AWS::Serverless::Application
    Properties:
      Location: child/template.yaml
`,
  );
  runner = await startRunner(template);
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

const arn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`;

test('a Node function with a FunctionName sees that name in its environment, log group, context and ARN', async () => {
  const reply = await runner.invoke('CreateOrder', {});
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.json(), {
    env: 'orders-prod-create',
    logGroup: '/aws/lambda/orders-prod-create',
    contextName: 'orders-prod-create',
    arn: arn('orders-prod-create'),
  });
});

test('a Python function with a FunctionName sees it too', async () => {
  const reply = await runner.invoke('Reporter', {});
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.json(), {
    env: 'orders-reporter',
    logGroup: '/aws/lambda/orders-reporter',
    contextName: 'orders-reporter',
    arn: arn('orders-reporter'),
  });
});

test('without a FunctionName the logical id is the name, also inside a nested application', async () => {
  assert.deepEqual((await runner.invoke('Plain', {})).json(), { env: 'Plain', logGroup: '/aws/lambda/Plain', contextName: 'Plain', arn: arn('Plain') });
  const nested = await runner.invoke(encodeURIComponent('Child/Inner'), {});
  assert.equal(nested.status, 200, nested.text);
  assert.deepEqual(nested.json(), { env: 'Inner', logGroup: '/aws/lambda/Inner', contextName: 'Inner', arn: arn('Inner') });
});

test('the ARN a function sees is one a caller can invoke it by', async () => {
  const reply = await runner.invoke(encodeURIComponent(arn('orders-prod-create')), {});
  assert.equal(reply.status, 200, reply.text);
  assert.equal(reply.json().env, 'orders-prod-create');
});

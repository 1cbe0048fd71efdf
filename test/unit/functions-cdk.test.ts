// A real CDK app (test/fixtures/projects/cdk-app/app.mjs) synthesized by the aws-cdk CLI, as its users do,
// loads as it is: code from each function's asset, nested stacks from theirs, names from the construct paths.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverFunctions, loadFunctionsFrom } from '../../runner/functions/discover.ts';
import { findFunction } from '../../runner/functions/address.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const APP = join(ROOT, 'test', 'fixtures', 'projects', 'cdk-app', 'app.mjs');
let workspace: string;
let cdkOut: string;

before(() => {
  workspace = mkdtempSync(join(tmpdir(), 'or-cdk-'));
  cdkOut = join(workspace, 'cdk.out');
  // `cdk synth` offline: no notices, no version reporting, no credentials (the stack has no environment).
  execFileSync(
    process.execPath,
    [
      join(ROOT, 'node_modules', 'aws-cdk', 'bin', 'cdk'),
      'synth',
      '--app',
      `${process.execPath} ${APP}`,
      '--output',
      cdkOut,
      '--no-notices',
      '--no-version-reporting',
      '--quiet',
      '--ci',
    ],
    {
      cwd: workspace,
      env: { PATH: process.env.PATH, HOME: workspace, AWS_EC2_METADATA_DISABLED: 'true' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 120_000,
    },
  );
  assert.ok(existsSync(join(cdkOut, 'manifest.json')), 'cdk synth wrote the cloud assembly');
});

after(() => rmSync(workspace, { recursive: true, force: true }));

function byPath(functions: FunctionSpec[], path: string): FunctionSpec {
  const fn = functions.find((f) => f.path === path);
  assert.ok(fn, `function ${path} was loaded (got ${functions.map((f) => f.path ?? f.name).join(', ')})`);
  return fn;
}

function checkApp(functions: FunctionSpec[]): void {
  assert.deepEqual(functions.map((f) => f.path).sort(), ['OrdersStack/Billing/Charge', 'OrdersStack/Hello', 'OrdersStack/Report', 'ReportsStack/Hello']);
  const hello = byPath(functions, 'OrdersStack/Hello');
  // The stack and the logical id, as deployed names begin: two stacks may hold the same logical id.
  assert.match(hello.name, /^OrdersStack-Hello[0-9A-F]{8}$/);
  assert.equal(byPath(functions, 'ReportsStack/Hello').name, hello.name.replace('OrdersStack', 'ReportsStack'));
  assert.equal(hello.runtime, 'nodejs22.x');
  assert.ok(existsSync(join(hello.codeUri, 'index.mjs')), `${hello.codeUri} is the staged asset`);
  assert.ok(hello.codeUri.startsWith(cdkOut));
  const report = byPath(functions, 'OrdersStack/Report');
  assert.equal(report.runtime, 'python3.12');
  assert.ok(existsSync(join(report.codeUri, 'app.py')));
  // References between the stack's resources get local values, not the text of an intrinsic.
  assert.match(hello.environment.QUEUE_URL!, /^https:\/\/sqs\.us-east-1\.amazonaws\.com\/123456789012\/Jobs[0-9A-F]{8}$/);
  assert.equal(hello.environment.REPORT_ARN, `arn:aws:lambda:us-east-1:123456789012:function:${report.name}`);
  assert.equal(hello.environment.REPORT_NAME, report.name);
  const charge = byPath(functions, 'OrdersStack/Billing/Charge');
  assert.ok(existsSync(join(charge.codeUri, 'index.mjs')));
  // Found the ways SAM finds CDK functions: construct path and logical id.
  assert.equal((findFunction(functions, 'OrdersStack/Billing/Charge') as { found: FunctionSpec }).found, charge);
  assert.equal((findFunction(functions, hello.name) as { found: FunctionSpec }).found, hello);
  assert.equal((findFunction(functions, report.logicalId!) as { found: FunctionSpec }).found, report);
  assert.deepEqual(
    (findFunction(functions, hello.logicalId!) as { ambiguous: FunctionSpec[] }).ambiguous.map((f) => f.path),
    ['OrdersStack/Hello', 'ReportsStack/Hello'],
  );
}

test('discovery finds cdk.out/manifest.json in the workspace and loads every stack, nested ones included', async () => {
  const { functions, errors } = await discoverFunctions(workspace);
  assert.deepEqual(errors, []);
  checkApp(functions);
});

test('--template takes the cdk.out folder or one stack template inside it', async () => {
  const folder = await loadFunctionsFrom(cdkOut);
  assert.deepEqual(folder.errors, []);
  checkApp(folder.functions);
  // One stack's template: the same functions, under the same names, as through the whole assembly.
  const stack = await loadFunctionsFrom(join(cdkOut, 'OrdersStack.template.json'));
  assert.deepEqual(stack.errors, []);
  assert.deepEqual(
    stack.functions.map((f) => [f.path, f.name]),
    folder.functions.filter((f) => f.path!.startsWith('OrdersStack/')).map((f) => [f.path, f.name]),
  );
});

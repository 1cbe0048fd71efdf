// Lambda's Node runtimes ship the AWS SDK v3, so functions import it without installing it: the same here, for
// `import` and `require`, from the SDK packages the runner has; a package it does not have fails with a sentence
// naming the package and the command that installs it. Lambda's Python runtimes ship boto3: a Python without it
// fails with the commands that install it.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, FIXTURE_PATH, ROOT, removeTemps, tempDir, writeTemplate } from './support/runner.ts';

test.after(removeTemps);

function invoke(
  files: Record<string, string>,
  runtime: string,
  handler: string,
  env: Record<string, string> = {},
  node = process.execPath,
): Promise<{ stdout: string; stderr: string }> {
  const dir = tempDir('sdk');
  const code = join(dir, 'code');
  mkdirSync(code);
  for (const [file, text] of Object.entries(files)) writeFileSync(join(code, file), text);
  const template = writeTemplate(dir, [{ name: 'Sdk', codeUri: code, runtime, handler }]);
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [CLI, 'invoke', 'Sdk', '--template', template],
      { encoding: 'utf8', env: { ...process.env, PATH: FIXTURE_PATH, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => (err && typeof err.code !== 'number' ? reject(err) : resolve({ stdout, stderr })),
    );
  });
}

const ESM = { 'app.mjs': "import { LambdaClient } from '@aws-sdk/client-lambda';\nexport const handler = async () => typeof LambdaClient;\n" };

test('an ES module handler imports @aws-sdk/client-lambda without installing it, as on Lambda', async () => {
  const { stdout, stderr } = await invoke(ESM, 'nodejs24.x', 'app.handler');
  assert.equal(stdout.trim(), '"function"', stderr);
});

test('a CommonJS handler requires @aws-sdk/client-lambda without installing it', async () => {
  const { stdout, stderr } = await invoke(
    { 'app.js': "const { LambdaClient } = require('@aws-sdk/client-lambda');\nexports.handler = async () => typeof LambdaClient;\n" },
    'nodejs24.x',
    'app.handler',
  );
  assert.equal(stdout.trim(), '"function"', stderr);
});

const NODE_20 = ['/usr/bin/node'].find((p) => existsSync(p) && /^v20\./.test(execFileSync(p, ['-p', 'process.version'], { encoding: 'utf8' })));

test('on Node 20 (no module.registerHooks) an ES module handler imports the SDK too', { skip: NODE_20 ? false : 'no Node 20 on this machine' }, async () => {
  const { stdout, stderr } = await invoke(
    { ...ESM, 'app.mjs': ESM['app.mjs'].replace('typeof LambdaClient', '[typeof LambdaClient, process.version]') },
    'nodejs20.x',
    'app.handler',
    { PATH: `/usr/bin:${FIXTURE_PATH}` },
  );
  const [type, version] = JSON.parse(stdout);
  assert.equal(type, 'function', stderr);
  assert.match(version, /^v20\./);
});

test("an SDK package the runner does not carry is installed from the npm registry at the first cold start, at the runner's SDK version, once", async () => {
  // The one test here that really installs (from the registry npm is configured with), into a cache of its own.
  const cache = tempDir('sdk-cache');
  const files = {
    'app.mjs':
      "import { S3Client } from '@aws-sdk/client-s3';\nexport const handler = async () => [typeof S3Client, new S3Client({ region: 'us-east-1' }).config.region ? 'configured' : 'no'];\n",
  };
  const env = { OPEN_RUNTIME_NO_SDK_DOWNLOAD: '', OPEN_RUNTIME_CACHE_DIR: cache };
  const first = await invoke(files, 'nodejs24.x', 'app.handler', env);
  assert.deepEqual(JSON.parse(first.stdout), ['function', 'configured'], first.stderr);
  const lambdaVersion = JSON.parse(readFileSync(join(ROOT, 'node_modules', '@aws-sdk', 'client-lambda', 'package.json'), 'utf8')).version;
  assert.match(first.stderr, new RegExp(`installing @aws-sdk/client-s3@${lambdaVersion.replace(/\./g, '\\.')} from the npm registry`));
  assert.equal(
    JSON.parse(readFileSync(join(cache, 'aws-sdk-packages', lambdaVersion, 'node_modules', '@aws-sdk', 'client-s3', 'package.json'), 'utf8')).version,
    lambdaVersion,
  );
  // A later runner finds it installed and asks no registry.
  const again = await invoke(files, 'nodejs24.x', 'app.handler', env);
  assert.deepEqual(JSON.parse(again.stdout), ['function', 'configured'], again.stderr);
  assert.doesNotMatch(again.stderr, /installing @aws-sdk/);
});

test('an SDK package that is not installed (OPEN_RUNTIME_NO_SDK_DOWNLOAD=1, or offline) fails with the package named and the command that installs it', async () => {
  const { stdout } = await invoke(
    { 'app.mjs': "import { S3Client } from '@aws-sdk/client-s3';\nexport const handler = async () => typeof S3Client;\n" },
    'nodejs24.x',
    'app.handler',
  );
  const error = JSON.parse(stdout);
  assert.equal(error.errorType, 'Runtime.ImportModuleError');
  assert.match(error.errorMessage, /Install it for the function: cd .+ && npm install @aws-sdk\/client-s3/);
});

test("a Python function importing boto3 where this machine's Python has none fails with what Lambda has and the commands that install it", async (t) => {
  const { stdout, stderr } = await invoke(
    { 'app.py': 'import boto3\n\ndef handler(event, context):\n    return boto3.__version__\n' },
    'python3.12',
    'app.handler',
  );
  const error = JSON.parse(stdout);
  if (typeof error === 'string') return t.skip(`this machine's Python ${'3.12'} has boto3 ${error}`);
  assert.equal(error.errorType, 'Runtime.ImportModuleError', stderr);
  assert.match(error.errorMessage, /^Unable to import module 'app': No module named 'boto3'\. Lambda's Python runtimes include boto3 and botocore/);
  assert.match(error.errorMessage, /Install it there: \S+ -m pip install boto3 \(or into the function's folder: pip install boto3 -t \S+\/code\)/);
});

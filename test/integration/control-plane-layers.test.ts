// The local control plane's layers API on a real runner, driven by the real AWS CLI v2 (/usr/bin/aws) and
// @aws-sdk/client-lambda: publish-layer-version with --zip-file fileb://, get-layer-version, get-layer-version-by-arn
// (and its Content.Location download), list-layer-versions, list-layers, delete-layer-version; a function created and
// updated with --layers sees the layers' files at /opt, later layers over earlier ones, as on Lambda; the bad inputs.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { GetLayerVersionByArnCommand, ListLayerVersionsCommand, PublishLayerVersionCommand } from '@aws-sdk/client-lambda';
import { createFunctionArgs, useControlPlane } from './support/control-plane.ts';

const plane = useControlPlane('cp-layers');
const { aws, awsOk, sdk, zip: zipOf } = plane;

test('publish, get, get by ARN (with the content download), list and delete layer versions with the AWS CLI', async () => {
  const zip = zipOf('greeting-1', { 'greeting.txt': 'hello from layer 1' });
  const published = awsOk(
    'publish-layer-version',
    '--layer-name',
    'greeting',
    '--zip-file',
    `fileb://${zip}`,
    '--compatible-runtimes',
    'nodejs22.x',
    '--compatible-architectures',
    'x86_64',
    '--description',
    'first',
  );
  assert.equal(published.Version, 1);
  assert.equal(published.LayerArn, 'arn:aws:lambda:us-east-1:123456789012:layer:greeting');
  assert.equal(published.LayerVersionArn, 'arn:aws:lambda:us-east-1:123456789012:layer:greeting:1');
  assert.equal(published.Content.CodeSha256, createHash('sha256').update(readFileSync(zip)).digest('base64'));
  assert.equal(published.Content.CodeSize, readFileSync(zip).length);
  assert.deepEqual(published.CompatibleRuntimes, ['nodejs22.x']);
  assert.deepEqual(published.CompatibleArchitectures, ['x86_64']);
  assert.equal(published.Description, 'first');

  const second = awsOk(
    'publish-layer-version',
    '--layer-name',
    'greeting',
    '--zip-file',
    `fileb://${zipOf('greeting-2', { 'greeting.txt': 'hello from layer 2' })}`,
    '--compatible-architectures',
    'arm64',
  );
  assert.equal(second.Version, 2);

  const got = awsOk('get-layer-version', '--layer-name', 'greeting', '--version-number', '1');
  assert.equal(got.Description, 'first');
  // Content.Location is fetched unsigned, as a presigned S3 URL is: it gives the zip exactly as published.
  const download = await fetch(got.Content.Location);
  assert.equal(download.status, 200);
  assert.deepEqual(Buffer.from(await download.arrayBuffer()), readFileSync(zip));
  const forged = new URL(got.Content.Location);
  forged.searchParams.set('X-Amz-Signature', '0'.repeat(64));
  assert.equal((await fetch(forged)).status, 403);

  const byArn = awsOk('get-layer-version-by-arn', '--arn', second.LayerVersionArn);
  assert.equal(byArn.Version, 2);
  assert.equal(byArn.Content.CodeSha256, second.Content.CodeSha256);

  const listed = awsOk('list-layer-versions', '--layer-name', 'greeting');
  assert.deepEqual(
    listed.LayerVersions.map((v: any) => v.Version),
    [2, 1],
    'newest first, as Lambda lists them',
  );
  assert.deepEqual(
    awsOk('list-layer-versions', '--layer-name', 'greeting', '--compatible-architecture', 'x86_64').LayerVersions.map((v: any) => v.Version),
    [1],
  );
  assert.deepEqual(
    awsOk('list-layers').Layers.map((l: any) => [l.LayerName, l.LatestMatchingVersion.Version]),
    [['greeting', 2]],
  );

  awsOk('delete-layer-version', '--layer-name', 'greeting', '--version-number', '2');
  assert.deepEqual(
    awsOk('list-layer-versions', '--layer-name', 'greeting').LayerVersions.map((v: any) => v.Version),
    [1],
  );
  const gone = aws('get-layer-version', '--layer-name', 'greeting', '--version-number', '2');
  assert.notEqual(gone.status, 0);
  assert.match(gone.stderr, /ResourceNotFoundException/);
  // Numbers are not reused after a delete.
  assert.equal(
    awsOk('publish-layer-version', '--layer-name', 'greeting', '--zip-file', `fileb://${zipOf('greeting-3', { 'greeting.txt': 'three' })}`).Version,
    3,
  );
});

test('a function created and updated with --layers sees their files at /opt, the later layer over the earlier', async () => {
  const base = awsOk(
    'publish-layer-version',
    '--layer-name',
    'base',
    '--zip-file',
    `fileb://${zipOf('base', { 'shared.txt': 'from base', 'only-base.txt': 'base only', 'nodejs/node_modules/layer-lib/index.js': 'module.exports = "lib from the layer";' })}`,
  );
  const top = awsOk('publish-layer-version', '--layer-name', 'top', '--zip-file', `fileb://${zipOf('top', { 'shared.txt': 'from top' })}`);
  const code = zipOf('reads-opt', {
    'index.mjs': [
      "import { existsSync, readFileSync } from 'node:fs';",
      "import { createRequire } from 'node:module';",
      'const read = (f) => (existsSync(f) ? readFileSync(f, "utf8") : null);',
      'export const handler = async () => ({ shared: read("/opt/shared.txt"), onlyBase: read("/opt/only-base.txt"), lib: (() => { try { return createRequire(import.meta.url)("layer-lib"); } catch { return null; } })() });',
      '',
    ].join('\n'),
  });
  const created = awsOk(...createFunctionArgs('ReadsOpt', 'nodejs22.x', 'index.handler', code, '--layers', base.LayerVersionArn, top.LayerVersionArn));
  assert.deepEqual(
    created.Layers.map((l: any) => l.Arn),
    [base.LayerVersionArn, top.LayerVersionArn],
  );
  let reply = await plane.runner.invoke('ReadsOpt', {});
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.json(), { shared: 'from top', onlyBase: 'base only', lib: 'lib from the layer' });

  // A deleted version keeps working for the function that has it, as on Lambda.
  awsOk('delete-layer-version', '--layer-name', 'top', '--version-number', String(top.Version));
  reply = await plane.runner.invoke('ReadsOpt', {});
  assert.equal(reply.json().shared, 'from top');

  const updated = awsOk('update-function-configuration', '--function-name', 'ReadsOpt', '--layers', base.LayerVersionArn);
  assert.deepEqual(
    updated.Layers.map((l: any) => l.Arn),
    [base.LayerVersionArn],
  );
  reply = await plane.runner.invoke('ReadsOpt', {});
  assert.equal(reply.json().shared, 'from base');
  const published = awsOk('publish-version', '--function-name', 'ReadsOpt');
  assert.deepEqual(
    published.Layers.map((l: any) => l.Arn),
    [base.LayerVersionArn],
  );

  // --layers with nothing detaches them all.
  const bare = awsOk('update-function-configuration', '--function-name', 'ReadsOpt', '--layers', '[]');
  assert.equal(bare.Layers, undefined);
  reply = await plane.runner.invoke('ReadsOpt', {});
  assert.deepEqual(reply.json(), { shared: null, onlyBase: null, lib: null });
  // The published version still has its layer.
  const v = await plane.runner.invoke(`ReadsOpt:${published.Version}`, {});
  assert.equal(v.json().shared, 'from base');
});

test('the SDK publishes and finds layer versions too', async () => {
  const client = sdk();
  try {
    const zip = readFileSync(zipOf('sdk-layer', { 'bin/tool': '#!/bin/sh\necho tool\n' }));
    const published = await client.send(
      new PublishLayerVersionCommand({ LayerName: 'sdk-layer', Content: { ZipFile: zip }, CompatibleArchitectures: ['arm64'], Description: 'via sdk' }),
    );
    assert.equal(published.Version, 1);
    const found = await client.send(new GetLayerVersionByArnCommand({ Arn: published.LayerVersionArn! }));
    assert.equal(found.Description, 'via sdk');
    const listed = await client.send(new ListLayerVersionsCommand({ LayerName: 'sdk-layer', CompatibleArchitecture: 'arm64' }));
    assert.deepEqual(
      listed.LayerVersions?.map((v) => v.LayerVersionArn),
      [published.LayerVersionArn],
    );
  } finally {
    client.destroy();
  }
});

test('a deployed function runs as on Lambda: SLSMIDDLEWARES without the Open Runtime layer means nothing, not Middleware.NotFound', async () => {
  const code = zipOf('sls-env', { 'index.mjs': 'export const handler = async () => ({ ran: true, chain: process.env.SLSMIDDLEWARES });\n' });
  awsOk(...createFunctionArgs('SlsEnv', 'nodejs22.x', 'index.handler', code, '--environment', 'Variables={SLSMIDDLEWARES=auth}'));
  const reply = await plane.runner.invoke('SlsEnv', {});
  assert.equal(reply.headers['x-amz-function-error'], undefined, reply.text);
  assert.deepEqual(reply.json(), { ran: true, chain: 'auth' });
});

test('bad layer input: an unknown or malformed layer ARN, too many layers, two versions of one layer, a broken zip, S3 content', async () => {
  const code = zipOf('plain', { 'index.mjs': 'export const handler = async () => 1;\n' });
  const create = (...layers: string[]) => aws(...createFunctionArgs('BadLayers', 'nodejs22.x', 'index.handler', code, '--layers', ...layers));
  let r = create('arn:aws:lambda:us-east-1:123456789012:layer:nope:1');
  assert.match(r.stderr, /InvalidParameterValueException.*Layer version arn:aws:lambda:us-east-1:123456789012:layer:nope:1 does not exist/);
  r = create('not-an-arn');
  assert.match(r.stderr, /ValidationException.*'not-an-arn' at 'layers'/);
  const one = awsOk('publish-layer-version', '--layer-name', 'twice', '--zip-file', `fileb://${zipOf('twice-1', { a: '1' })}`).LayerVersionArn;
  const two = awsOk('publish-layer-version', '--layer-name', 'twice', '--zip-file', `fileb://${zipOf('twice-2', { a: '2' })}`).LayerVersionArn;
  r = create(one, two);
  assert.match(r.stderr, /InvalidParameterValueException.*Two different versions of the same layer/);
  r = create(...Array.from({ length: 6 }, () => one));
  assert.match(r.stderr, /Cannot reference more than 5 layers/);
  assert.match(aws('get-function', '--function-name', 'BadLayers').stderr, /ResourceNotFoundException/, 'nothing was created');

  // The CLI checks a --zip-file is a zip before sending it: the SDK sends what it is given.
  const client = sdk();
  try {
    await assert.rejects(
      client.send(new PublishLayerVersionCommand({ LayerName: 'broken', Content: { ZipFile: Buffer.from('not a zip') } })),
      (err: Error) => err.name === 'InvalidParameterValueException' && /Could not unzip uploaded file/.test(err.message),
    );
  } finally {
    client.destroy();
  }
  r = aws('publish-layer-version', '--layer-name', 'from-s3', '--content', 'S3Bucket=my-bucket,S3Key=layer.zip');
  assert.match(r.stderr, /InvalidParameterValueException.*ZipFile only/);
  r = aws('publish-layer-version', '--layer-name', 'bad name!', '--zip-file', `fileb://${code}`);
  assert.notEqual(r.status, 0);
});

// Zip layers unpack once per content into the project's .open-runtime/layers cache, keep their executables'
// modes, and never write outside their folder (zip-slip entries are refused, links are made last).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeZip } from '../../runner/build/zip.ts';
import { isLayerArn, layerFolder } from '../../runner/functions/layers.ts';
import type { Problem } from '../../runner/functions/check-settings.ts';
import { parseTemplate } from '../../runner/functions/template.ts';
import { parseServerless } from '../../runner/functions/serverless.ts';

const dir = mkdtempSync(join(tmpdir(), 'or-layer-unit-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const text = (s: string) => new TextEncoder().encode(s);

test('a zip layer unpacks into .open-runtime/layers/<hash>, modes kept, once per content', () => {
  writeFileSync(
    join(dir, 'layer.zip'),
    writeZip([
      { name: 'bin/tool', data: text('#!/bin/sh\necho hi\n'), mode: 0o755 },
      { name: 'python/mod.py', data: text('X = 1\n'), mode: 0o644 },
    ]),
  );
  const problems: Problem[] = [];
  const folder = layerFolder('layer.zip', 'ContentUri', dir, 3, problems);
  assert.deepEqual(problems, []);
  assert.match(folder!, /\/\.open-runtime\/layers\/[0-9a-f]{24}$/);
  assert.equal(readFileSync(join(folder!, 'python', 'mod.py'), 'utf8'), 'X = 1\n');
  assert.equal(statSync(join(folder!, 'bin', 'tool')).mode & 0o777, 0o755);
  assert.equal(layerFolder('./layer.zip', 'ContentUri', dir, 3, problems), folder, 'the same bytes reuse the folder');
});

test('a zip entry that would land outside the layer is refused, and nothing is left behind', () => {
  const zip = writeZip([
    { name: 'ok.txt', data: text('ok'), mode: 0o644 },
    { name: '../escaped.txt', data: text('no'), mode: 0o644 },
  ]);
  writeFileSync(join(dir, 'evil.zip'), zip);
  const problems: Problem[] = [];
  assert.equal(layerFolder('evil.zip', 'ContentUri', dir, 7, problems), undefined);
  assert.match(
    problems[0]!.text,
    /has ContentUri "evil\.zip", which could not be unpacked: the entry \.\.\/escaped\.txt would land outside the layer's folder/,
  );
  assert.equal(existsSync(join(dir, '.open-runtime', 'escaped.txt')), false);
  assert.equal(existsSync(join(dir, '.open-runtime', 'layers', 'escaped.txt')), false);
});

test("symbolic links in a zip layer become links (a library's .so names)", () => {
  // Made by Python's zipfile as `zip --symlinks` makes them: the link's target as content, S_IFLNK in the mode.
  const script = [
    'import sys, zipfile',
    'z = zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED)',
    'z.writestr("lib/libx.so.1", "ELF")',
    'i = zipfile.ZipInfo("lib/libx.so"); i.create_system = 3; i.external_attr = 0o120777 << 16',
    'z.writestr(i, "libx.so.1"); z.close()',
  ].join('\n');
  execFileSync('python3', ['-c', script, join(dir, 'links.zip')]);
  const folder = layerFolder('links.zip', 'ContentUri', dir, 1, [])!;
  assert.equal(readlinkSync(join(folder, 'lib', 'libx.so')), 'libx.so.1');
});

test('a missing zip is a sentence naming the path; layer ARNs are told apart from other text', () => {
  const problems: Problem[] = [];
  assert.equal(layerFolder('build/missing.zip', 'ContentUri', dir, 2, problems), undefined);
  assert.match(
    problems[0]!.text,
    /has ContentUri "build\/missing\.zip", but .*missing\.zip doesn't exist\. Build the layer \(e\.g\. sam build\) or fix the path\./,
  );
  assert.equal(isLayerArn('arn:aws:lambda:us-east-1:123456789012:layer:tools:3'), true);
  assert.equal(isLayerArn('arn:aws:s3:::bucket'), false);
});

test('a template keeps published layer ARNs beside its local layers, a zip ContentUri among them', () => {
  mkdirSync(join(dir, 'fn'), { recursive: true });
  writeFileSync(join(dir, 'tools.zip'), writeZip([{ name: 'bin/t', data: text('t'), mode: 0o755 }]));
  const template = [
    'Transform: AWS::Serverless-2016-10-31',
    'Parameters:',
    '  Region: { Type: String, Default: eu-west-1 }',
    'Resources:',
    '  Tools:',
    '    Type: AWS::Serverless::LayerVersion',
    '    Properties: { ContentUri: ./tools.zip }',
    '  Fn:',
    '    Type: AWS::Serverless::Function',
    '    Properties:',
    '      Runtime: python3.12',
    '      Handler: app.handler',
    '      CodeUri: ./fn',
    '      Layers:',
    '        - !Ref Tools',
    '        - arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7',
    '        - !Sub arn:aws:lambda:${Region}:123456789012:layer:shared:2',
  ].join('\n');
  const { functions, errors } = parseTemplate(template, join(dir, 'template.yaml'));
  assert.deepEqual(errors, []);
  assert.match(functions[0]!.layers[0]!, /\.open-runtime\/layers\/[0-9a-f]{24}$/);
  assert.deepEqual(functions[0]!.layerArns, [
    'arn:aws:lambda:us-east-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-x86_64:7',
    'arn:aws:lambda:eu-west-1:123456789012:layer:shared:2',
  ]);
  // Lambda stacks layers in the listed order: the local one first, then the published ones.
  assert.deepEqual(functions[0]!.layerOrder, [functions[0]!.layers[0], ...functions[0]!.layerArns!]);
});

test('serverless.yml keeps published layer ARNs too', () => {
  const yml = [
    'service: s',
    'provider: { name: aws, runtime: nodejs22.x }',
    'functions:',
    '  f:',
    '    handler: fn/app.handler',
    '    layers:',
    '      - arn:aws:lambda:us-east-1:123456789012:layer:tools:3',
  ].join('\n');
  const { functions, errors } = parseServerless(yml, join(dir, 'serverless.yml'));
  assert.deepEqual(errors, []);
  assert.deepEqual(functions[0]!.layerArns, ['arn:aws:lambda:us-east-1:123456789012:layer:tools:3']);
});

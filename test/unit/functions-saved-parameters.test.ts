// Parameter values saved in the workspace (.open-runtime/parameters.json): written per template, read by
// discovery for that template only, below --parameter-overrides, and a broken file named instead of guessed around.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { discoverFunctions } from '../../runner/functions/discover.ts';
import { declaredParameters, saveParameter } from '../../runner/functions/saved-parameters.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const template = (variable: string) => `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Description: Which stage this runs as
  Tier:
    Type: String
    Default: small
    AllowedValues: [small, large]
Resources:
  HelloWorldFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          ${variable}: !Ref Stage
`;

/** Two sam-init projects side by side, both with a Stage parameter without a Default. */
function workspace(): string {
  const dir = mkdtempSync(join(tmpdir(), 'open-runtime-parameters-'));
  dirs.push(dir);
  for (const project of ['sam-a', 'sam-b']) {
    mkdirSync(join(dir, project, 'src'), { recursive: true });
    writeFileSync(join(dir, project, 'template.yaml'), template('STAGE'));
    writeFileSync(join(dir, project, 'src', 'app.mjs'), 'export const handler = async () => ({});\n');
  }
  return dir;
}

test('a saved value loads the function of its own template only', async () => {
  const dir = workspace();
  const before = await discoverFunctions(dir);
  assert.deepEqual(before.functions, []);
  assert.deepEqual(
    before.errors.map((e) => e.missingParameters),
    [['Stage'], ['Stage']],
  );

  const file = await saveParameter(dir, join(dir, 'sam-a', 'template.yaml'), 'Stage', 'qa');
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { 'sam-a/template.yaml': { Stage: 'qa' } });
  const after = await discoverFunctions(dir);
  assert.deepEqual(
    after.functions.map((f) => [f.path ?? f.name, f.environment.STAGE]),
    [['HelloWorldFunction', 'qa']],
    'alone, it keeps its own name',
  );
  assert.deepEqual(
    after.errors.map((e) => e.file),
    [join(dir, 'sam-b', 'template.yaml')],
    'sam-b still needs its own value',
  );

  // Another value is added beside it; an override from the command line wins over the saved one.
  await saveParameter(dir, join(dir, 'sam-b', 'template.yaml'), 'Stage', 'prod');
  const both = await discoverFunctions(dir, { parameterOverrides: { Stage: 'flag' } });
  assert.deepEqual(
    both.functions.map((f) => f.environment.STAGE),
    ['flag', 'flag'],
  );
  const saved = await discoverFunctions(dir);
  assert.deepEqual(
    saved.functions.map((f) => f.environment.STAGE),
    ['qa', 'prod'],
  );
});

test('a broken parameters file is an error naming it, and saving over it is refused rather than losing it', async () => {
  const dir = workspace();
  mkdirSync(join(dir, '.open-runtime'));
  const file = join(dir, '.open-runtime', 'parameters.json');
  writeFileSync(file, '{ "sam-a/template.yaml": { "Stage": ');
  const found = await discoverFunctions(dir);
  assert.equal(found.errors[0]!.file, file);
  assert.match(found.errors[0]!.message, /is not valid JSON .* Fix it, or set the values again/);
  await assert.rejects(saveParameter(dir, join(dir, 'sam-a', 'template.yaml'), 'Stage', 'qa'), /is not valid JSON/);
  assert.equal(readFileSync(file, 'utf8'), '{ "sam-a/template.yaml": { "Stage": ', 'the file is kept as it was');
  await assert.rejects(saveParameter(dir, join(dir, 'sam-a', 'template.yaml'), 'Stage-1', 'qa'), /not a CloudFormation parameter name/);
});

test('the declared parameters, for the prompt', () => {
  assert.deepEqual(declaredParameters(template('STAGE'), 'template.yaml'), [
    { name: 'Stage', line: 4, description: 'Which stage this runs as' },
    { name: 'Tier', line: 7, default: 'small', allowedValues: ['small', 'large'] },
  ]);
  assert.deepEqual(declaredParameters('Resources: {}\n', 'template.yaml'), []);
});

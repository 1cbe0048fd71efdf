// SAM's own syntaxes for what a project says outside its template: parameter overrides, .env, the profile's region.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ProjectSettingsError,
  parseDotEnv,
  parseParameterOverrides,
  profileRegion,
  readEnvVarsFile,
  readSamConfig,
  resolveRegion,
} from '../../runner/functions/project-settings.ts';

test('--parameter-overrides takes Key=Value, ParameterKey=K,ParameterValue=V, quotes and several strings', () => {
  assert.deepEqual(parseParameterOverrides('Stage=prod ParameterKey=Table,ParameterValue=orders Name="a b" Empty= Eq=a=b'), {
    Stage: 'prod',
    Table: 'orders',
    Name: 'a b',
    Empty: '',
    Eq: 'a=b',
  });
  assert.deepEqual(parseParameterOverrides(['A=1', "B='x y'"]), { A: '1', B: 'x y' });
  assert.throws(() => parseParameterOverrides('Stage'), ProjectSettingsError);
});

test('.env lines: export, comments, quotes', () => {
  assert.deepEqual(parseDotEnv('# comment\nexport A=1\nB = "two words" \nC=\'single # not a comment\'\nD=x # comment\n\nnot a line\n'), {
    A: '1',
    B: 'two words',
    C: 'single # not a comment',
    D: 'x',
  });
});

test("a profile's region comes from [profile name] (or [default]) of AWS_CONFIG_FILE", () => {
  const dir = mkdtempSync(join(tmpdir(), 'or-settings-'));
  try {
    const config = join(dir, 'config');
    writeFileSync(
      config,
      '[default]\nregion = ap-south-1\n\n[profile dev]\noutput = json\nregion=eu-central-1 ; comment\n[sso-session x]\nregion = us-west-1\n',
    );
    const env = { AWS_CONFIG_FILE: config };
    assert.equal(profileRegion('default', env), 'ap-south-1');
    assert.equal(profileRegion('dev', env), 'eu-central-1');
    assert.equal(profileRegion('x', env), undefined);
    assert.equal(resolveRegion({}, { ...env, AWS_PROFILE: 'dev' }), 'eu-central-1');
    assert.equal(resolveRegion({ samconfig: 'us-west-2' }, { ...env, AWS_REGION: 'eu-west-1' }), 'us-west-2');
    assert.equal(resolveRegion({}, { AWS_CONFIG_FILE: join(dir, 'none') }), 'us-east-1');

    // samconfig.yaml: the command's section over global; paths relative to the file.
    writeFileSync(
      join(dir, 'samconfig.yaml'),
      'version: 0.1\ndefault:\n  global:\n    parameters:\n      region: eu-west-1\n      template_file: infra/template.yaml\n  local_start_lambda:\n    parameters:\n      region: us-west-2\n      env_vars: env.json\n',
    );
    assert.deepEqual(readSamConfig(dir, 'start'), {
      file: join(dir, 'samconfig.yaml'),
      parameterOverrides: undefined,
      envVars: join(dir, 'env.json'),
      region: 'us-west-2',
      profile: undefined,
      templateFile: join(dir, 'infra', 'template.yaml'),
    });
    assert.equal(readSamConfig(dir, 'invoke')!.region, 'eu-west-1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("--env-vars takes SAM's env.json, or a dotenv file whose values go to every function", () => {
  const dir = mkdtempSync(join(tmpdir(), 'or-envvars-'));
  try {
    writeFileSync(join(dir, 'env.json'), JSON.stringify({ Fn: { A: 'x', N: 3 }, Parameters: { B: true } }));
    assert.deepEqual(readEnvVarsFile(join(dir, 'env.json')), { Fn: { A: 'x', N: '3' }, Parameters: { B: 'true' } });
    writeFileSync(join(dir, 'prod.env'), 'A=1\nB="two"\n');
    assert.deepEqual(readEnvVarsFile(join(dir, 'prod.env')), { Parameters: { A: '1', B: 'two' } });
    writeFileSync(join(dir, 'bad.json'), '{ nope');
    assert.throws(
      () => readEnvVarsFile(join(dir, 'bad.json')),
      (e: Error) => e instanceof ProjectSettingsError && /^Could not read the --env-vars file .*bad\.json: .*It must be JSON/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

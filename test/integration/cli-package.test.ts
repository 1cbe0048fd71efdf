// The CLI as npm publishes it: `npm pack`, the tarball installed into an empty folder (dependencies from the npm cache,
// as a user's `npm i open-runtime` gets them from the registry), then `npx open-runtime invoke` and `start` there on a
// project of its own: a JavaScript and a TypeScript function (esbuild from the installed dependencies).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ROOT, assertBuilt, post, removeTemps, tempDir } from './support/runner.ts';

let installed: string;
let project: string;
const npmEnv = {
  ...process.env,
  PATH: `${dirname(process.execPath)}:${process.env.PATH ?? ''}`,
  npm_config_audit: 'false',
  npm_config_fund: 'false',
  npm_config_update_notifier: 'false',
};

before(() => {
  assertBuilt();
  const packed = tempDir('cli-pack');
  const pack = spawnSync('npm', ['pack', '--ignore-scripts', '--pack-destination', packed], { cwd: ROOT, encoding: 'utf8', env: npmEnv, timeout: 120_000 });
  assert.equal(pack.status, 0, pack.stderr);
  const tarball = join(packed, readdirSync(packed).find((f) => f.endsWith('.tgz'))!);
  installed = tempDir('cli-install');
  writeFileSync(join(installed, 'package.json'), '{ "name": "empty", "private": true }\n');
  const install = spawnSync('npm', ['install', '--prefer-offline', '--no-save', tarball], { cwd: installed, encoding: 'utf8', env: npmEnv, timeout: 600_000 });
  assert.equal(install.status, 0, `npm install of the packed CLI failed:\n${install.stdout}\n${install.stderr}`);
  project = join(installed, 'app');
  mkdirSync(join(project, 'ts'), { recursive: true });
  writeFileSync(join(project, 'index.mjs'), 'export const handler = async (event, context) => ({ hello: event.name, fn: context.functionName });\n');
  writeFileSync(
    join(project, 'ts', 'app.ts'),
    'interface Ev { name: string }\nexport const handler = async (event: Ev): Promise<string> => `typed ${event.name}`;\n',
  );
  writeFileSync(join(project, 'event.json'), '{ "name": "Ada" }\n');
  writeFileSync(
    join(project, 'template.yaml'),
    [
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  Js:',
      '    Type: AWS::Serverless::Function',
      '    Properties: { Runtime: nodejs22.x, Handler: index.handler, CodeUri: . }',
      '  Ts:',
      '    Type: AWS::Serverless::Function',
      '    Properties: { Runtime: nodejs22.x, Handler: app.handler, CodeUri: ts }',
      '',
    ].join('\n'),
  );
});
after(removeTemps);

const npx = (args: string[]) =>
  spawnSync('npx', ['--no-install', 'open-runtime', ...args], {
    cwd: project,
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...npmEnv, OPEN_RUNTIME_CACHE_DIR: tempDir('cli-cache'), OPEN_RUNTIME_NO_NODE_DOWNLOAD: '1', OPEN_RUNTIME_NO_SDK_DOWNLOAD: '1' },
  });

describe('the CLI installed from its npm tarball', () => {
  it('installs the open-runtime command and none of the repo (tests, examples, sources)', () => {
    const pkg = join(installed, 'node_modules', 'open-runtime');
    assert.ok(existsSync(join(installed, 'node_modules', '.bin', 'open-runtime')));
    assert.ok(existsSync(join(pkg, 'dist', 'runner.js')) && existsSync(join(pkg, 'dist', 'node-runtime.cjs')));
    assert.ok(existsSync(join(pkg, 'runner', 'runtimes', 'python', 'bootstrap.py')));
    for (const absent of ['test', 'examples', 'extension', 'runner/cli.ts', 'dist/extension.cjs']) assert.ok(!existsSync(join(pkg, absent)), absent);
  });

  it('npx open-runtime invoke runs a JavaScript and a TypeScript function', () => {
    const js = npx(['invoke', 'Js', '--event', 'event.json']);
    assert.equal(js.status, 0, js.stderr);
    assert.deepEqual(JSON.parse(js.stdout), { hello: 'Ada', fn: 'Js' });
    assert.match(js.stderr, /REPORT RequestId/);
    const ts = npx(['invoke', 'Ts', '--event', 'event.json']);
    assert.equal(ts.status, 0, ts.stderr);
    assert.equal(JSON.parse(ts.stdout), 'typed Ada');
  });

  it('npx open-runtime start serves the Invoke API', async () => {
    const proc = spawn('npx', ['--no-install', 'open-runtime', 'start', '--port', '0', '--api-port', '0'], {
      cwd: project,
      env: { ...npmEnv, OPEN_RUNTIME_CACHE_DIR: tempDir('cli-cache'), OPEN_RUNTIME_NO_NODE_DOWNLOAD: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    try {
      let stderr = '';
      const port = await new Promise<number>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no banner within 60 s:\n${stderr}`)), 60_000);
        proc.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
          const match = /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr);
          if (match) {
            clearTimeout(timer);
            resolve(Number(match[1]));
          }
        });
        proc.once('exit', (code) => {
          clearTimeout(timer);
          reject(new Error(`start exited (${code}):\n${stderr}`));
        });
      });
      const reply = await post(`http://127.0.0.1:${port}/2015-03-31/functions/Ts/invocations`, '{"name":"Grace"}');
      assert.equal(reply.status, 200, reply.text);
      assert.equal(JSON.parse(reply.text), 'typed Grace');
    } finally {
      // npx runs the runner as a child: stop the whole group it leads.
      try {
        process.kill(-proc.pid!, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
  });
});

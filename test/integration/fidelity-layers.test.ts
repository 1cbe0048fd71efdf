// Layers as Lambda shows them: a folder layer and a zip layer (what sam build and CDK make) both appear at /opt,
// later layers over earlier ones, with Lambda's paths into them (/opt/nodejs/node_modules, /opt/python), while the
// runtime stays the runner's own child (same pid, same uid, killed at its timeout). Published layers (ARNs): fidelity-layer-arns.test.ts.
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, FIXTURE_PATH, isAlive, removeTemps, startRunner, tempDir, waitFor, writeTemplate, type Runner } from './support/runner.ts';

const LINUX = process.platform === 'linux';
let dir: string;
let runner: Runner;

/** A zip made by Python's zipfile (a real zip tool, not the project's own writer). */
function zipFolder(folder: string, zip: string): void {
  execFileSync('python3', ['-c', 'import shutil, sys; shutil.make_archive(sys.argv[1][:-4], "zip", sys.argv[2])', zip, folder]);
}

function files(root: string, tree: Record<string, string>): string {
  for (const [path, text] of Object.entries(tree)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

before(async () => {
  dir = tempDir('layers');
  const folderLayer = files(join(dir, 'folder-layer'), {
    'data/greeting.txt': 'hello from a folder layer',
    'shared.txt': 'folder layer (the zip layer, listed later, wins)',
    'nodejs/node_modules/greet/index.js': 'module.exports = (name) => `hi ${name}`;\n',
  });
  const zipSource = files(join(dir, 'zip-source'), {
    'config/settings.json': '{"from":"a zip layer"}',
    'shared.txt': 'zip layer',
    'python/zipmod.py': 'WHERE = __file__\n',
  });
  const zip = join(dir, 'build', 'layer.zip');
  mkdirSync(join(dir, 'build'));
  zipFolder(zipSource, zip);
  const node = files(join(dir, 'node'), {
    'app.cjs': `const { readFileSync } = require('node:fs');
exports.handler = async (event) => {
  if (event.sleep) await new Promise((r) => setTimeout(r, 60_000));
  return {
    greeting: readFileSync('/opt/data/greeting.txt', 'utf8'),
    settings: JSON.parse(readFileSync('/opt/config/settings.json', 'utf8')),
    shared: readFileSync('/opt/shared.txt', 'utf8'),
    greet: require('greet')('layer'),
    greetPath: require.resolve('greet'),
    pid: process.pid, ppid: process.ppid, uid: process.getuid(),
  };
};
`,
  });
  const python = files(join(dir, 'python'), {
    'app.py': 'import zipmod\ndef handler(event, context):\n    return {"where": zipmod.WHERE, "settings": open("/opt/config/settings.json").read()}\n',
  });
  const template = writeTemplate(dir, [
    { name: 'NodeLayers', codeUri: node, runtime: 'nodejs22.x', handler: 'app.handler', timeout: 2, layers: [folderLayer, zip] },
    { name: 'PythonZipLayer', codeUri: python, runtime: 'python3.11', handler: 'app.handler', layers: [zip] },
  ]);
  runner = await startRunner(template);
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

test('a folder layer and a zip layer are both at /opt, the later one over the earlier, with /opt/nodejs/node_modules on NODE_PATH', {
  skip: !LINUX,
}, async () => {
  const reply = await runner.invoke('NodeLayers', {});
  assert.equal(reply.status, 200, reply.text);
  const body = reply.json();
  assert.equal(body.greeting, 'hello from a folder layer');
  assert.deepEqual(body.settings, { from: 'a zip layer' });
  assert.equal(body.shared, 'zip layer');
  assert.equal(body.greet, 'hi layer');
  assert.equal(body.greetPath, '/opt/nodejs/node_modules/greet/index.js');
});

test("the runtime behind /opt is still the runner's own child, as the user, and is killed at its timeout", { skip: !LINUX }, async () => {
  const body = (await runner.invoke('NodeLayers', {})).json();
  assert.equal(body.ppid, runner.proc.pid, 'no process between the runner and the runtime');
  assert.equal(body.uid, process.getuid!());
  const timedOut = await runner.invoke('NodeLayers', { sleep: true });
  assert.equal(timedOut.json().errorType, 'Sandbox.Timedout');
  await waitFor(`the timed-out runtime (pid ${body.pid}) to be gone`, () => !isAlive(body.pid));
});

test("a Python function imports from a zip layer's python/ folder at /opt/python", { skip: !LINUX }, async () => {
  const reply = await runner.invoke('PythonZipLayer', {});
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.json(), { where: '/opt/python/zipmod.py', settings: '{"from":"a zip layer"}' });
});

/** As root (CI), the runner also runs as nobody when nobody can read it, to take the normal user's path (user namespaces). */
function asNormalUser(): string[] {
  if (process.getuid?.() !== 0) return [];
  const nobody = ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'];
  try {
    execFileSync(nobody[0]!, [...nobody.slice(1), 'test', '-r', CLI], { stdio: 'ignore' });
    execFileSync(nobody[0]!, [...nobody.slice(1), process.execPath, '-e', '0'], { stdio: 'ignore' });
    return nobody;
  } catch {
    return [];
  }
}

test('a folder layer alone is at /opt (read-only), for a normal user too', { skip: !LINUX }, async () => {
  const own = tempDir('layer-alone');
  chmodSync(own, 0o755);
  const layer = files(join(own, 'layer'), { 'data/greeting.txt': 'hello from a folder layer', 'bin/layer-tool': '#!/bin/sh\necho tool\n' });
  chmodSync(join(layer, 'bin', 'layer-tool'), 0o755);
  const code = files(join(own, 'code'), {
    'app.cjs': `const fs = require('node:fs');
exports.handler = async () => {
  let writable = true;
  try { fs.writeFileSync('/opt/new.txt', 'x'); } catch { writable = false; }
  return { greeting: fs.readFileSync('/opt/data/greeting.txt', 'utf8'), tool: require('node:child_process').execFileSync('layer-tool', { encoding: 'utf8' }).trim(), writable, uid: process.getuid() };
};
`,
  });
  const template = writeTemplate(own, [{ name: 'Alone', codeUri: code, runtime: 'nodejs22.x', handler: 'app.handler', layers: [layer] }]);
  const user = asNormalUser();
  const [command, ...args] = [...user, process.execPath, CLI, 'invoke', 'Alone', '--template', template];
  const stdout = execFileSync(command!, args, {
    encoding: 'utf8',
    env: { ...process.env, PATH: FIXTURE_PATH, HOME: own },
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.deepEqual(JSON.parse(stdout), { greeting: 'hello from a folder layer', tool: 'tool', writable: false, uid: user.length ? 65534 : process.getuid!() });
});

test('without /opt (OPEN_RUNTIME_LAYERS_AT_OPT=0, or no namespaces) layers stay on the paths, and a notice says /opt is not there', async () => {
  const own = tempDir('layer-paths');
  const layer = files(join(own, 'layer'), {
    'nodejs/node_modules/greet/index.js': "module.exports = () => 'from the layer folder';\n",
    'python/pymod.py': 'X = 1\n',
  });
  const code = files(join(own, 'code'), {
    'app.cjs': "exports.handler = async () => ({ greet: require('greet')(), opt: require('node:fs').existsSync('/opt/nodejs') });\n",
  });
  const template = writeTemplate(own, [{ name: 'Paths', codeUri: code, runtime: 'nodejs22.x', handler: 'app.handler', layers: [layer] }]);
  const env = { ...process.env, PATH: FIXTURE_PATH, OPEN_RUNTIME_LAYERS_AT_OPT: '0' };
  const run = () =>
    new Promise<{ stdout: string; stderr: string }>((resolve, reject) =>
      execFile(process.execPath, [CLI, 'invoke', 'Paths', '--template', template], { encoding: 'utf8', env, timeout: 30_000 }, (err, stdout, stderr) =>
        err ? reject(err) : resolve({ stdout, stderr }),
      ),
    );
  const { stdout, stderr } = await run();
  assert.deepEqual(JSON.parse(stdout), { greet: 'from the layer folder', opt: false });
  assert.match(stderr, /NOTICE .*The layers of Paths are not shown at \/opt: OPEN_RUNTIME_LAYERS_AT_OPT=0 turns that off\. Code finds them through NODE_PATH/);
});

test('behind /opt, a process the function started with setsid is still found and stopped with its environment', { skip: !LINUX }, async () => {
  const own = tempDir('layer-setsid');
  chmodSync(own, 0o777);
  const layer = files(join(own, 'layer'), { 'data/x.txt': 'x' });
  const pidFile = join(own, 'escaped.pid');
  const code = files(join(own, 'code'), {
    'app.cjs': `const { spawn } = require('node:child_process');
exports.handler = async () => {
  const child = spawn('setsid', ['sleep', '600'], { detached: true, stdio: 'ignore' });
  child.unref();
  await new Promise((r) => setTimeout(r, 200));
  require('node:fs').writeFileSync(${JSON.stringify(pidFile)}, String(child.pid));
  return require('node:fs').readFileSync('/opt/data/x.txt', 'utf8');
};
`,
  });
  const template = writeTemplate(own, [{ name: 'Escapes', codeUri: code, runtime: 'nodejs22.x', handler: 'app.handler', layers: [layer] }]);
  const [command, ...args] = [...asNormalUser(), process.execPath, CLI, 'invoke', 'Escapes', '--template', template];
  const stdout = execFileSync(command!, args, {
    encoding: 'utf8',
    env: { ...process.env, PATH: FIXTURE_PATH, HOME: own },
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.equal(JSON.parse(stdout), 'x');
  const escaped = Number(readFileSync(pidFile, 'utf8'));
  await waitFor(`the setsid'd sleep (pid ${escaped}) to be stopped with its environment`, () => !isAlive(escaped), 5000);
});

test('a layer extension starts as /opt/extensions/NAME in the same /opt, reads its own files there, and registers', { skip: !LINUX }, async () => {
  const own = tempDir('layer-extension');
  chmodSync(own, 0o755);
  const out = join(own, 'out');
  mkdirSync(out);
  chmodSync(out, 0o777);
  // What every real extension does: it lives in /opt/extensions/ and reads its own files under /opt.
  const layer = files(join(own, 'layer'), {
    'reader/config.txt': 'settings from /opt/reader',
    'extensions/reader': `#!/bin/sh
config=$(cat /opt/reader/config.txt) || exit 1
api="http://$AWS_LAMBDA_RUNTIME_API/2020-01-01/extension"
id=$(curl -sS -D - -o /dev/null -X POST -H 'Lambda-Extension-Name: reader' -d '{"events":["INVOKE","SHUTDOWN"]}' "$api/register" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Ee]xtension-[Ii]dentifier: //p')
[ -n "$id" ] || exit 1
printf '%s\\n' "$0" "$config" > "$READ_FILE"
while event=$(curl -sS -H "Lambda-Extension-Identifier: $id" "$api/event/next"); do
  case "$event" in *SHUTDOWN*) exit 0 ;; esac
done
`,
  });
  chmodSync(join(layer, 'extensions', 'reader'), 0o755);
  const code = files(join(own, 'code'), { 'app.cjs': "exports.handler = async () => require('node:fs').readFileSync('/opt/reader/config.txt', 'utf8');\n" });
  const readFile = join(out, 'read.txt');
  const template = writeTemplate(own, [
    { name: 'WithExtension', codeUri: code, runtime: 'nodejs22.x', handler: 'app.handler', layers: [layer], environment: { READ_FILE: readFile } },
  ]);
  const [command, ...args] = [...asNormalUser(), process.execPath, CLI, 'invoke', 'WithExtension', '--template', template];
  const stdout = execFileSync(command!, args, {
    encoding: 'utf8',
    env: { ...process.env, PATH: FIXTURE_PATH, HOME: own },
    timeout: 30_000,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.equal(JSON.parse(stdout), 'settings from /opt/reader');
  // Registered (so the Runtime API's access check admitted it), then wrote its path and what it read under /opt.
  assert.equal(existsSync(readFile) ? readFileSync(readFile, 'utf8') : 'the extension did not register', '/opt/extensions/reader\nsettings from /opt/reader\n');
});

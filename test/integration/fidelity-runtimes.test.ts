// A function runs on the runtime its template names, as in Lambda: nodejsNN.x on Node NN even when another Node is
// first on PATH (the project's own node_modules may carry it), pythonN.NN on that Python when it is installed (and a
// notice saying what runs instead when it is not), deprecated runtimes with a notice (Lambda still runs them), and
// a `#!/bin/sh` bootstrap with bash, which is what /bin/sh is on Amazon Linux.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CLI, FIXTURE_PATH, removeTemps, tempDir, writeTemplate, type TemplateFunction } from './support/runner.ts';
import { cachedNode, downloadNode } from '../../runner/runtimes/node-download.ts';

test.after(removeTemps);

interface Invoked {
  stdout: string;
  stderr: string;
  code: number;
}

/** `<node> dist/runner.js invoke NAME --template T` with this environment: the answer on stdout, the logs on stderr. */
function invokeCli(template: string, name: string, env: Record<string, string>, node = process.execPath): Promise<Invoked> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [CLI, 'invoke', name, '--template', template],
      { encoding: 'utf8', env: { ...process.env, PATH: FIXTURE_PATH, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        if (err && typeof err.code !== 'number') reject(err);
        else resolve({ stdout, stderr, code: typeof err?.code === 'number' ? err.code : 0 });
      },
    );
  });
}

function functionIn(dir: string, fn: Omit<TemplateFunction, 'codeUri'>, files: Record<string, string>): string {
  const code = join(dir, fn.name);
  mkdirSync(code, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(code, file), text);
  return writeTemplate(dir, [{ ...fn, codeUri: code }]);
}

const NODE_VERSION = { 'app.mjs': 'export const handler = async () => process.version;\n' };
const PYTHON_VERSION = { 'app.py': 'import sys\ndef handler(event, context):\n    return "%d.%d" % sys.version_info[:2]\n' };

/**
 * Node 22 from the npm registry (the runner's own downloader, kept in the user cache): another Node than the project's
 * 24 to run the runner on (the CLI needs 22 or newer), while PATH has only the system's (Debian's 20).
 */
async function otherNode(): Promise<string> {
  const cached = cachedNode('22');
  if (cached) return cached.path;
  const saved = process.env.OPEN_RUNTIME_NO_NODE_DOWNLOAD;
  delete process.env.OPEN_RUNTIME_NO_NODE_DOWNLOAD;
  try {
    const got = await downloadNode('22', () => {});
    assert.ok('path' in got, `Node 22 from the npm registry: ${'problem' in got ? got.problem : ''}`);
    return got.path;
  } finally {
    if (saved !== undefined) process.env.OPEN_RUNTIME_NO_NODE_DOWNLOAD = saved;
  }
}

test("nodejs24.x runs on Node 24 from the project's node_modules when the runner and PATH have another Node", async () => {
  const dir = tempDir('node24');
  const template = functionIn(dir, { name: 'V24', runtime: 'nodejs24.x', handler: 'app.handler' }, NODE_VERSION);
  const { stdout, stderr } = await invokeCli(template, 'V24', { PATH: `/usr/bin:/bin` }, await otherNode());
  assert.match(JSON.parse(stdout), /^v24\./, stderr);
  assert.doesNotMatch(stderr, /no Node 24 found/);
  assert.match(stderr, /NOTICE nodejs24\.x runs on Node 24\.\d+\.\d+ from \/.*node_modules\/.*node \(no Node 24 on PATH\)\./);
});

test('a deprecated Node runtime (nodejs18.x) runs, with a notice saying Lambda deprecated it', async () => {
  const dir = tempDir('node18');
  const template = functionIn(dir, { name: 'Old', runtime: 'nodejs18.x', handler: 'app.handler' }, NODE_VERSION);
  const { stdout, stderr, code } = await invokeCli(template, 'Old', {});
  assert.equal(code, 0, stderr);
  assert.match(JSON.parse(stdout), /^v\d+\./);
  assert.match(stderr, /NOTICE .*nodejs18\.x is deprecated in Lambda since 2025-09-01/);
  // No Node 18 here: the notice says what runs instead and how to get Node 18.
  if (!/^v18\./.test(JSON.parse(stdout))) assert.match(stderr, /no Node 18 found .*running on Node \d+.*OPEN_RUNTIME_NODE_18/);
});

test('a deprecated Python runtime (python3.9) says so, as the deprecated Node ones do', async () => {
  const dir = tempDir('py39');
  const template = functionIn(dir, { name: 'Py39', runtime: 'python3.9', handler: 'app.handler' }, PYTHON_VERSION);
  const { stderr, code } = await invokeCli(template, 'Py39', {});
  assert.equal(code, 0, stderr);
  assert.match(stderr, /NOTICE .*python3\.9 is deprecated in Lambda since 2025-12-15/);
});

/** A real Python 3.12 binary on this machine (pyenv's), to put on PATH as python3.12. */
function realPython312(): string | undefined {
  const root = join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'versions');
  if (!existsSync(root)) return undefined;
  const dir = readdirSync(root).find((v) => /^3\.12\.\d+$/.test(v));
  return dir && existsSync(join(root, dir, 'bin', 'python3.12')) ? join(root, dir, 'bin', 'python3.12') : undefined;
}

test('python3.12 runs on Python 3.12 when python3.12 is on PATH', { skip: realPython312() ? false : 'no Python 3.12 on this machine' }, async () => {
  const dir = tempDir('py312');
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  symlinkSync(realPython312()!, join(bin, 'python3.12'));
  const template = functionIn(dir, { name: 'Py312', runtime: 'python3.12', handler: 'app.handler' }, PYTHON_VERSION);
  const { stdout, stderr } = await invokeCli(template, 'Py312', { PATH: `${bin}:${FIXTURE_PATH}`, PYENV_ROOT: join(dir, 'no-pyenv') });
  assert.equal(JSON.parse(stdout), '3.12', stderr);
  assert.doesNotMatch(stderr, /no Python 3\.12 found|runs on Python 3\.12 from/);
});

test('python3.12 runs on a pyenv-installed Python 3.12 when PATH has none, and the log says which', {
  skip: realPython312() ? false : 'no Python 3.12 on this machine',
}, async () => {
  const dir = tempDir('py312-pyenv');
  const bin = join(dir, 'pyenv', 'versions', '3.12.99', 'bin');
  mkdirSync(bin, { recursive: true });
  symlinkSync(realPython312()!, join(bin, 'python3.12'));
  const template = functionIn(dir, { name: 'Pyenv312', runtime: 'python3.12', handler: 'app.handler' }, PYTHON_VERSION);
  const path = FIXTURE_PATH.split(':')
    .filter((d) => !d.includes('pyenv'))
    .join(':');
  const { stdout, stderr } = await invokeCli(template, 'Pyenv312', { PATH: path, PYENV_ROOT: join(dir, 'pyenv') });
  assert.equal(JSON.parse(stdout), '3.12', stderr);
  assert.match(stderr, /NOTICE python3\.12 runs on Python 3\.12 from .*\/pyenv\/versions\/3\.12\.99\/bin\/python3\.12 \(no python3\.12 on PATH\)\./);
});

test("a Python version that is not installed runs on the host's python3, with a notice naming both and how to install it", async () => {
  const dir = tempDir('py314');
  const template = functionIn(dir, { name: 'Py314', runtime: 'python3.14', handler: 'app.handler' }, PYTHON_VERSION);
  const { stdout, stderr, code } = await invokeCli(template, 'Py314', {
    PYENV_ROOT: join(dir, 'no-pyenv'),
    HOME: dir,
    PATH: FIXTURE_PATH.split(':')
      .filter((d) => !d.includes('pyenv'))
      .join(':'),
  });
  assert.equal(code, 0, stderr);
  const host = JSON.parse(stdout);
  assert.notEqual(host, '3.14');
  assert.match(
    stderr,
    new RegExp(
      `NOTICE python3\\.14: no Python 3\\.14 found .*running on Python ${host.replace('.', '\\.')}(\\.\\d+)?\\. Install Python 3\\.14 \\(apt install python3\\.14, pyenv install 3\\.14, or uv python install 3\\.14\\)`,
    ),
  );
});

test('a #!/bin/sh bootstrap using bash features (set -o pipefail) runs with bash, as on Amazon Linux', async () => {
  const dir = tempDir('sh');
  const template = functionIn(
    dir,
    { name: 'Sh' },
    {
      bootstrap: `#!/bin/sh
set -euo pipefail
API="http://\${AWS_LAMBDA_RUNTIME_API}/2018-06-01/runtime"
while true; do
  HEADERS="$(mktemp)"
  curl -sS -D "$HEADERS" -o /dev/null "$API/invocation/next"
  REQUEST_ID="$(tr -d '\\r' < "$HEADERS" | sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p')"
  if [[ -n "$REQUEST_ID" ]]; then ANSWER='"bash"'; fi
  curl -sS -o /dev/null -X POST "$API/invocation/$REQUEST_ID/response" -d "$ANSWER"
done
`,
    },
  );
  chmodSync(join(dir, 'Sh', 'bootstrap'), 0o755);
  const { stdout, stderr, code } = await invokeCli(template, 'Sh', {});
  assert.equal(code, 0, stderr);
  assert.equal(JSON.parse(stdout), 'bash');
});

test("a runtime NOTICE is said at the function's first cold start in a runner, not at every one", async () => {
  const { LocalLambda } = await import('../../runner/local-lambda.ts');
  const { parseFunction } = await import('../../runner/functions/model.ts');
  const dir = tempDir('notice-once');
  const code = join(dir, 'code');
  mkdirSync(code);
  writeFileSync(join(code, 'app.mjs'), 'export const handler = async () => process.version;\n');
  const lambda = new LocalLambda({ hotReload: false });
  const lines: string[] = [];
  lambda.subscribe((event) => {
    if (event.type === 'log') lines.push(event.line);
  });
  try {
    lambda.setFunctions([parseFunction({ name: 'Old', runtime: 'nodejs18.x', handler: 'app.handler', codeUri: code, timeout: 10 }, 'test')]);
    await lambda.listen();
    for (let cold = 0; cold < 2; cold++) {
      const { outcome } = await lambda.invoke('Old', Buffer.from('{}')).completed;
      assert.ok(outcome.ok, outcome.body.toString());
      // A new environment for the next invoke: the second is a cold start too.
      await Promise.all(lambda.environments().map((env) => env.stop('spindown')));
    }
    assert.equal(lines.filter((l) => l.startsWith('START ')).length, 2, lines.join('\n'));
    assert.equal(lines.filter((l) => /^NOTICE .*nodejs18\.x is deprecated/.test(l)).length, 1, lines.join('\n'));
  } finally {
    await lambda.close();
    removeTemps();
  }
});

// One rule for Lambda's handler setting per runtime family (runner/functions/handler.ts), checked as a table against
// what the real runtimes do, then through each place that reads a handler: package checks, handler discovery,
// inference, template checks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { handlerSetting, MalformedHandlerError, parseHandler, type HandlerFamily } from '../../runner/functions/handler.ts';
import { checkPackage } from '../../runner/build/check-package.ts';
import { writeZip } from '../../runner/build/zip.ts';
import { resolveHandlerSource } from '../../runner/functions/discover.ts';
import { inferFunction } from '../../runner/functions/infer.ts';
import { FunctionSpec, type Runtime } from '../../runner/functions/model.ts';
import { parseTemplate } from '../../runner/functions/template.ts';

// What each runtime makes of a setting. Node: aws-lambda-ric's parseHandlerString (basename, then /^([^.]*)\.(.*)$/,
// the folder kept) and its nested-property lookup; Python: awslambdaric's `handler.rsplit(".", 1)` and
// `importlib.import_module(modname.replace("/", "."))`.
const TABLE: Array<[HandlerFamily, string, string, string]> = [
  ['node', 'index.handler', 'index', 'handler'],
  ['node', 'index.handlers.main', 'index', 'handlers.main'],
  ['node', 'src/app.handler', 'src/app', 'handler'],
  ['node', 'src/api/users.routes.get.list', 'src/api/users', 'routes.get.list'],
  ['node', 'lib/v1.0/legacy.handlers.main', 'lib/v1.0/legacy', 'handlers.main'],
  ['node', '/opt/shared/index.handler', '/opt/shared/index', 'handler'],
  ['python', 'app.handler', 'app', 'handler'],
  ['python', 'index.handlers.main', 'index/handlers', 'main'],
  ['python', 'pkg.jobs.nightly.run', 'pkg/jobs/nightly', 'run'],
  ['python', 'pkg/jobs/nightly.run', 'pkg/jobs/nightly', 'run'],
  ['python', 'pkg/jobs.nightly.run', 'pkg/jobs/nightly', 'run'],
];

test('each runtime family splits a handler setting the way its Lambda runtime does', () => {
  for (const [family, setting, modulePath, exportPath] of TABLE) {
    assert.deepEqual(parseHandler(setting, family), { modulePath, exportPath }, `${family}: ${setting}`);
  }
});

test('the Python runtime loads each Python row of the table from the file and function parseHandler names', () => {
  // Each row's function sits only where parseHandler says; the runtime's own load_handler must find it there.
  const root = tempDir();
  try {
    const rows = TABLE.filter(([family]) => family === 'python');
    for (const [, setting, modulePath, exportPath] of rows) {
      const parts = modulePath.split('/');
      for (let i = 1; i < parts.length; i++) write(root, join(...parts.slice(0, i), '__init__.py'));
      write(root, `${modulePath}.py`, `def ${exportPath}(event, context):\n    return ${JSON.stringify(setting)}\n`);
    }
    const bootstrap = join(import.meta.dirname, '..', '..', 'runner', 'runtimes', 'python');
    const script = [
      'import sys, json',
      `sys.path.insert(0, ${JSON.stringify(bootstrap)})`,
      'import bootstrap',
      `bootstrap.put_task_root_on_path(${JSON.stringify(root)})`,
      `print(json.dumps({s: bootstrap.load_handler(s)(None, None) for s in ${JSON.stringify(rows.map((r) => r[1]))}}))`,
    ].join('\n');
    const run = spawnSync('python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9' } });
    assert.equal(run.status, 0, run.stderr);
    const loaded = JSON.parse(run.stdout) as Record<string, string>;
    // pkg.jobs.nightly.run and its '/' spellings share one file, so the last row written answers for all three.
    for (const [, setting] of rows) assert.ok(loaded[setting], `${setting} loaded`);
    assert.equal(loaded['index.handlers.main'], 'index.handlers.main');
    assert.equal(loaded['app.handler'], 'app.handler');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('settings the runtimes refuse are Runtime.MalformedHandlerName', () => {
  const refused: Array<[HandlerFamily, string]> = [
    ['node', 'handler'], // no dot: "Bad handler"
    ['node', 'src/app'],
    ['node', 'lib.v1/app'], // the dot is in a folder, not in the file part
    ['node', '../shared/app.handler'], // ".." anywhere is refused by the Node runtime
    ['node', 'src/../app.handler'],
    ['node', '.handler'],
    ['node', 'app.'],
    ['python', 'handler'], // rsplit gives one value: "not enough values to unpack"
    ['python', '.handler'],
    ['python', 'app.'],
  ];
  for (const [family, setting] of refused) {
    assert.throws(
      () => parseHandler(setting, family),
      (err: unknown) => err instanceof MalformedHandlerError && err.name === 'Runtime.MalformedHandlerName' && err.message.includes(setting),
      `${family}: ${setting}`,
    );
  }
});

test('handlerSetting writes a setting only when the runtime reads it back as the same module and export', () => {
  assert.equal(handlerSetting('src/app', 'handler', 'node'), 'src/app.handler');
  assert.equal(handlerSetting('src/app', 'handlers.main', 'node'), 'src/app.handlers.main');
  assert.equal(handlerSetting('v1.0/app', 'handler', 'node'), 'v1.0/app.handler');
  assert.equal(handlerSetting('my.app', 'handler', 'node'), undefined);
  assert.equal(handlerSetting('pkg/app', 'handler', 'python'), 'pkg/app.handler');
  assert.equal(handlerSetting('v1.0/app', 'handler', 'python'), undefined);
  assert.equal(handlerSetting('app', 'handlers.main', 'python'), undefined);
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'handler-test-'));
}

function write(root: string, path: string, text = ''): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function spec(runtime: Runtime, handler: string, codeUri: string): FunctionSpec {
  return FunctionSpec.parse({ name: 'Fn', runtime, handler, codeUri });
}

test('a package with index.mjs passes the handler check for index.handlers.main; Python looks for index/handlers.py', () => {
  const zip = writeZip([{ name: 'index.mjs', data: Buffer.from('export const handlers = { main: async () => 1 };'), mode: 0o644 }]);
  assert.deepEqual(checkPackage(zip, { architecture: 'x86_64', runtime: 'nodejs22.x', handler: 'index.handlers.main' }).problems, []);
  const python = checkPackage(zip, { architecture: 'x86_64', runtime: 'python3.12', handler: 'index.handlers.main' }).problems;
  assert.equal(python.length, 1);
  assert.match(python[0]!.message, /the package has no index\/handlers\.py or index\/handlers\/__init__\.py/);
});

test("handler discovery finds a TypeScript source for a nested export, and reads the handler by the runtime's rule", () => {
  const root = tempDir();
  try {
    const ts = write(root, 'index.ts');
    assert.equal(resolveHandlerSource(spec('nodejs22.x', 'index.handlers.main', root)), ts);
    const py = write(root, 'index/handlers.py');
    assert.equal(resolveHandlerSource(spec('python3.12', 'index.handlers.main', root)), py);
    assert.equal(resolveHandlerSource(spec('nodejs22.x', '../index.handler', join(root, 'index'))), undefined, 'the Node runtime refuses ".."');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('inference refuses a Python file in a folder with a dot, which the handler setting would read as a package', () => {
  const root = tempDir();
  try {
    write(root, 'requirements.txt');
    const file = write(root, 'v1.0/app.py', 'def handler(event, context):\n    return 1\n');
    assert.throws(() => inferFunction(file, { workspaceDir: root }), /a dot in a Python folder's name reads as a package/);
    // The Node runtime keeps folders as they are.
    write(root, 'package.json', '{}');
    const js = write(root, 'v1.0/app.mjs', 'export const handler = async () => 1;\n');
    assert.equal(inferFunction(js, { workspaceDir: root }).handler, 'v1.0/app.handler');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test("a template handler is checked by its runtime's rule, at its line", () => {
  const text = `Transform: AWS::Serverless-2016-10-31
Resources:
  Nested:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: index.handlers.main
  Escapes:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs22.x
      Handler: ../shared/app.handler
`;
  const file = '/work/x/template.yaml';
  const { functions, errors } = parseTemplate(text, file);
  assert.deepEqual(
    functions.map((f) => [f.name, f.handler]),
    [['Nested', 'index.handlers.main']],
  );
  assert.equal(errors.length, 1);
  assert.equal(errors[0]!.line, 12);
  assert.match(errors[0]!.message, /^Function "Escapes" has Handler "\.\.\/shared\/app\.handler", which Lambda's Node runtime refuses because of its "\.\."/);
});

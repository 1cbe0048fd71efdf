// Workspace discovery: the examples workspace, which folders are searched, duplicate names, --template,
// and mapping a handler string back to its source file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { discoverFunctions, loadFunctionsFrom, resolveHandlerSource } from '../../runner/functions/discover.ts';
import { findFunction } from '../../runner/functions/address.ts';
import { FunctionSpec } from '../../runner/functions/model.ts';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples');

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

function withWorkspace(run: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'open-runtime-discover-'));
    try {
      await run(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const samFunction = (name: string, handler = 'app.handler') => `Transform: AWS::Serverless-2016-10-31
Resources:
  ${name}:
    Type: AWS::Serverless::Function
    Properties:
      Handler: ${handler}
      Runtime: nodejs22.x
`;

test('the examples workspace has every example function with the right settings', async () => {
  const { functions, errors, files } = await discoverFunctions(EXAMPLES);
  assert.deepEqual(errors, []);
  assert.deepEqual(files, [join(EXAMPLES, 'template.yaml')]);
  const summary = Object.fromEntries(
    functions.map((f) => [f.name, { runtime: f.runtime, handler: f.handler, codeUri: f.codeUri, memorySize: f.memorySize, timeout: f.timeout }]),
  );
  const at = (folder: string) => join(EXAMPLES, 'functions', folder);
  const component = (folder: string) => join(EXAMPLES, 'components', folder);
  assert.deepEqual(summary, {
    HelloTs: { runtime: 'nodejs22.x', handler: 'app.handler', codeUri: at('hello-ts'), memorySize: 256, timeout: 10 },
    CallbackJs: { runtime: 'nodejs22.x', handler: 'index.handler', codeUri: at('callback-js'), memorySize: 256, timeout: 5 },
    DurableOrder: { runtime: 'nodejs24.x', handler: 'app.handler', codeUri: at('durable-order'), memorySize: 256, timeout: 30 },
    StreamJs: { runtime: 'nodejs22.x', handler: 'index.handler', codeUri: at('stream-js'), memorySize: 256, timeout: 10 },
    PythonHello: { runtime: 'python3.12', handler: 'app.handler', codeUri: at('python-hello'), memorySize: 128, timeout: 10 },
    BashCurl: { runtime: 'provided.al2023', handler: 'function.handler', codeUri: at('bash-curl'), memorySize: 256, timeout: 10 },
    FailingJs: { runtime: 'nodejs22.x', handler: 'index.handler', codeUri: at('failing-js'), memorySize: 256, timeout: 10 },
    GoHello: { runtime: 'provided.al2023', handler: 'bootstrap', codeUri: at('go-hello'), memorySize: 256, timeout: 10 },
    RustHello: { runtime: 'provided.al2023', handler: 'bootstrap', codeUri: at('rust-hello'), memorySize: 256, timeout: 10 },
    NodeNative: { runtime: 'nodejs22.x', handler: 'index.handler', codeUri: at('node-native'), memorySize: 256, timeout: 10 },
    HelloComponentJs: { runtime: 'wasi', handler: 'build/hello.wasm', codeUri: component('js-hello'), memorySize: 128, timeout: 10 },
    HelloComponentC: { runtime: 'wasi', handler: 'build/hello.wasm', codeUri: component('c-hello'), memorySize: 128, timeout: 10 },
    HttpComponentJs: { runtime: 'wasi', handler: 'build/server.wasm', codeUri: component('js-http'), memorySize: 128, timeout: 10 },
    KvCounterC: { runtime: 'wasi', handler: 'build/counter.wasm', codeUri: component('c-kv'), memorySize: 128, timeout: 10 },
    KvCounterJs: { runtime: 'wasi', handler: 'build/counter.wasm', codeUri: component('js-kv'), memorySize: 128, timeout: 10 },
    HelloGuarded: { runtime: 'nodejs22.x', handler: 'app.handler', codeUri: at('hello-ts'), memorySize: 256, timeout: 10 },
    PythonGuarded: { runtime: 'python3.12', handler: 'app.handler', codeUri: at('python-hello'), memorySize: 256, timeout: 10 },
    OrdersCloudEvents: { runtime: 'nodejs22.x', handler: 'index.handler', codeUri: at('cloudevents-js'), memorySize: 256, timeout: 10 },
    MiddyTs: { runtime: 'nodejs22.x', handler: 'app.handler', codeUri: at('middy-ts'), memorySize: 256, timeout: 10 },
    HelloWasmGuarded: { runtime: 'nodejs22.x', handler: 'app.handler', codeUri: at('hello-ts'), memorySize: 256, timeout: 10 },
  });
  const hello = functions.find((f) => f.name === 'HelloTs')!;
  assert.equal(hello.concurrency, 4);
  assert.deepEqual(functions.find((f) => f.name === 'DurableOrder')!.durable, { executionTimeout: 3600, retentionPeriodInDays: 7 });
  assert.equal(hello.durable, undefined);
  assert.deepEqual(hello.environment, {
    STAGE: 'dev',
    LOG_LEVEL: 'debug',
    GREETING: 'Hello',
    QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/greetings-dev',
  });
  for (const fn of functions) {
    assert.equal(fn.architecture, fn.name === 'GoHello' || fn.name === 'NodeNative' ? 'arm64' : 'x86_64', fn.name);
    assert.equal(fn.source?.file, join(EXAMPLES, 'template.yaml'));
    assert.ok(FunctionSpec.safeParse(fn).success);
  }
});

test('every example handler maps back to its source file', async () => {
  const { functions } = await discoverFunctions(EXAMPLES);
  const sources = Object.fromEntries(functions.map((f) => [f.name, resolveHandlerSource(f)]));
  const at = (path: string) => join(EXAMPLES, 'functions', path);
  assert.deepEqual(sources, {
    HelloTs: at('hello-ts/app.ts'),
    CallbackJs: at('callback-js/index.js'),
    DurableOrder: at('durable-order/app.mjs'),
    StreamJs: at('stream-js/index.js'),
    PythonHello: at('python-hello/app.py'),
    BashCurl: undefined, // a custom runtime's handler is not a source file
    FailingJs: at('failing-js/index.mjs'),
    GoHello: undefined,
    RustHello: undefined,
    NodeNative: at('node-native/index.mjs'),
    HelloComponentJs: join(EXAMPLES, 'components', 'js-hello', 'hello.js'), // a component's source is what its build compiles
    HelloComponentC: join(EXAMPLES, 'components', 'c-hello', 'hello.c'),
    HttpComponentJs: join(EXAMPLES, 'components', 'js-http', 'server.js'),
    KvCounterC: join(EXAMPLES, 'components', 'c-kv', 'counter.c'),
    KvCounterJs: join(EXAMPLES, 'components', 'js-kv', 'counter.js'),
    HelloGuarded: at('hello-ts/app.ts'),
    PythonGuarded: at('python-hello/app.py'),
    OrdersCloudEvents: at('cloudevents-js/index.mjs'),
    MiddyTs: at('middy-ts/app.ts'),
    HelloWasmGuarded: at('hello-ts/app.ts'),
  });
});

test(
  'definitions are found in the root and one level below, never in dependencies, tool folders or deeper',
  withWorkspace(async (dir) => {
    write(join(dir, 'template.yaml'), samFunction('RootFn'));
    write(join(dir, 'api', 'template.yml'), samFunction('ApiFn'));
    write(join(dir, 'svc', 'serverless.yml'), 'service: s\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  svcFn:\n    handler: h.run\n');
    write(
      join(dir, 'cfn', 'template.json'),
      JSON.stringify({ Resources: { JsonFn: { Type: 'AWS::Lambda::Function', Properties: { Handler: 'i.h', Runtime: 'python3.12', Code: '.' } } } }),
    );
    // Not definitions: an unrelated template.json, dependencies, tool state and anything two levels down.
    write(join(dir, 'web', 'template.json'), '{"title": "email template"}');
    write(join(dir, 'node_modules', 'pkg', 'template.yaml'), samFunction('FromDependency'));
    write(join(dir, 'node_modules', 'template.yaml'), samFunction('FromNodeModules'));
    write(join(dir, '.open-runtime', 'template.yaml'), samFunction('FromToolState'));
    write(join(dir, '.aws-sam', 'template.yaml'), samFunction('FromSamBuild'));
    write(join(dir, '.git', 'template.yaml'), samFunction('FromGit'));
    write(join(dir, 'deep', 'nested', 'template.yaml'), samFunction('TooDeep'));

    const { functions, errors, files } = await discoverFunctions(dir);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      functions.map((f) => f.name),
      ['RootFn', 'ApiFn', 'JsonFn', 'svcFn'],
    );
    assert.deepEqual(files, [
      join(dir, 'template.yaml'),
      join(dir, 'api', 'template.yml'),
      join(dir, 'cfn', 'template.json'),
      join(dir, 'svc', 'serverless.yml'),
    ]);
    assert.equal(functions.find((f) => f.name === 'ApiFn')!.codeUri, join(dir, 'api'));
  }),
);

test(
  'two projects side by side with the same function name both load, each named and addressed by its project',
  withWorkspace(async (dir) => {
    // Every `sam init` project calls its function HelloWorldFunction.
    write(join(dir, 'orders', 'template.yaml'), samFunction('HelloWorldFunction'));
    write(join(dir, 'billing', 'template.yaml'), `# billing\n${samFunction('HelloWorldFunction', 'billing.handler')}`);
    write(join(dir, 'billing', 'serverless.yml'), 'service: b\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  Unique:\n    handler: u.run\n');
    const { functions, errors } = await discoverFunctions(dir);
    assert.deepEqual(errors, []);
    assert.deepEqual(
      functions.map((f) => [f.name, f.path, f.logicalId, f.handler]),
      [
        ['billing-HelloWorldFunction', 'billing/HelloWorldFunction', 'HelloWorldFunction', 'billing.handler'],
        ['Unique', undefined, undefined, 'u.run'], // a name only one project uses keeps it
        ['orders-HelloWorldFunction', 'orders/HelloWorldFunction', 'HelloWorldFunction', 'app.handler'],
      ],
    );
    assert.equal(functions[0]!.codeUri, join(dir, 'billing'));
    // The path names each; the logical id alone is ambiguous and says which paths to use.
    assert.equal((findFunction(functions, 'orders/HelloWorldFunction') as { found: { name: string } }).found.name, 'orders-HelloWorldFunction');
    assert.ok('ambiguous' in findFunction(functions, 'HelloWorldFunction'));
  }),
);

test(
  'a name defined twice in one project is an error at the second definition pointing at the first',
  withWorkspace(async (dir) => {
    write(join(dir, 'template.yaml'), samFunction('Orders'));
    const second = write(join(dir, 'serverless.yml'), 'service: b\nprovider:\n  name: aws\n  runtime: nodejs22.x\nfunctions:\n  Orders:\n    handler: u.run\n');
    const { functions, errors } = await discoverFunctions(dir);
    assert.equal(functions.length, 1);
    assert.equal(functions[0]!.handler, 'app.handler'); // the first definition wins
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.file, second);
    assert.match(errors[0]!.message, /^Function "Orders" is also defined in template.yaml line 3; .* Rename one of them\.$/);
  }),
);

test(
  'errors from every file are collected while the good functions load',
  withWorkspace(async (dir) => {
    write(join(dir, 'template.yaml'), samFunction('Fine'));
    const broken = write(join(dir, 'other', 'serverless.yml'), 'service: x\nprovider:\n  name: aws\nfunctions:\n  noRuntime:\n    handler: a.b\n');
    const { functions, errors, files } = await discoverFunctions(dir);
    assert.deepEqual(
      functions.map((f) => f.name),
      ['Fine'],
    );
    assert.equal(files.length, 2);
    assert.equal(errors.length, 1);
    assert.deepEqual([errors[0]!.file, errors[0]!.line], [broken, 5]);
    assert.match(errors[0]!.message, /^Function "noRuntime" has no runtime\./);
  }),
);

test(
  'loadFunctionsFrom reads one file for --template, a folder like a workspace, and explains a missing path',
  withWorkspace(async (dir) => {
    const file = write(join(dir, 'infra', 'stack.yaml'), samFunction('FromFlag'));
    write(join(dir, 'template.yaml'), samFunction('InWorkspace'));
    const fromFile = await loadFunctionsFrom(file);
    assert.deepEqual([fromFile.functions.map((f) => f.name), fromFile.errors, fromFile.files], [['FromFlag'], [], [file]]);
    assert.equal(fromFile.functions[0]!.codeUri, join(dir, 'infra'));

    const fromFolder = await loadFunctionsFrom(dir);
    assert.deepEqual(
      fromFolder.functions.map((f) => f.name),
      ['InWorkspace'],
    );

    const sls = write(
      join(dir, 'sls', 'serverless.yml'),
      'service: x\nprovider:\n  name: aws\n  runtime: python3.12\nfunctions:\n  job:\n    handler: job.run\n',
    );
    assert.deepEqual(
      (await loadFunctionsFrom(sls)).functions.map((f) => [f.name, f.runtime]),
      [['job', 'python3.12']],
    );

    const missing = join(dir, 'nope.yaml');
    const none = await loadFunctionsFrom(missing);
    assert.deepEqual(none.functions, []);
    assert.deepEqual(none.errors, [
      { file: missing, line: 0, message: `${missing} doesn't exist. Pass the path of a template.yaml, serverless.yml or a CDK app's cdk.out.` },
    ]);
  }),
);

test('a workspace folder that does not exist is one error, not an exception', async () => {
  const missing = join(tmpdir(), 'open-runtime-no-such-workspace-7f3a');
  const { functions, errors, files } = await discoverFunctions(missing);
  assert.deepEqual([functions, files], [[], []]);
  assert.equal(errors.length, 1);
  assert.match(errors[0]!.message, /^Could not read the workspace folder .*open-runtime-no-such-workspace-7f3a: /);
});

test(
  "resolveHandlerSource follows each runtime's rules for finding the module",
  withWorkspace(async (dir) => {
    const spec = (runtime: string, handler: string) => FunctionSpec.parse({ name: 'f', runtime, handler, codeUri: dir });
    // Node: folder up to the last '/', module up to the first '.' after it; TypeScript wins over built JS.
    const ts = write(join(dir, 'src', 'app.ts'), '');
    write(join(dir, 'src', 'app.js'), '');
    assert.equal(resolveHandlerSource(spec('nodejs22.x', 'src/app.handler')), ts);
    const cjs = write(join(dir, 'lib', 'v1.0', 'legacy.cjs'), '');
    assert.equal(resolveHandlerSource(spec('nodejs20.x', 'lib/v1.0/legacy.handlers.main')), cjs);
    assert.equal(resolveHandlerSource(spec('nodejs22.x', 'src/missing.handler')), undefined);
    // Python: the module is everything before the last '.', dots and slashes both meaning folders.
    const py = write(join(dir, 'pkg', 'jobs', 'nightly.py'), '');
    assert.equal(resolveHandlerSource(spec('python3.12', 'pkg.jobs.nightly.handler')), py);
    assert.equal(resolveHandlerSource(spec('python3.12', 'pkg/jobs/nightly.handler')), py);
    const init = write(join(dir, 'service', '__init__.py'), '');
    assert.equal(resolveHandlerSource(spec('python3.13', 'service.handler')), init);
    assert.equal(resolveHandlerSource(spec('python3.12', 'handler')), undefined);
    // Custom runtimes have no handler source.
    write(join(dir, 'bootstrap'), '');
    assert.equal(resolveHandlerSource(spec('provided.al2023', 'bootstrap.handler')), undefined);
  }),
);

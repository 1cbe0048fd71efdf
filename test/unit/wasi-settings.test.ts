// WASI component functions in a SAM template: `Runtime: wasi`, Handler = the .wasm file, and the component
// settings under Metadata.OpenRuntime.component, each mistake a sentence on the right line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseTemplate } from '../../runner/functions/template.ts';

function withFolder(run: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'or-wasi-settings-'));
  try {
    mkdirSync(join(dir, 'fn', 'data'), { recursive: true });
    run(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function template(resource: string): string {
  return `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
${resource}`;
}

test('a wasi function with every component setting loads into the model', () => {
  withFolder((dir) => {
    const file = join(dir, 'template.yaml');
    const { functions, errors } = parseTemplate(
      template(`  Api:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        concurrency: 2
        component:
          world: http
          reuseInstance: true
          preopens:
            - { host: data, guest: /data }
            - { host: data, guest: /scratch, readOnly: false }
          allowedHosts: [api.example.com, "*.example.org"]
          build: { language: js, source: server.ts, backend: quickjs }
    Properties:
      CodeUri: fn/
      Handler: build/server.wasm
      Runtime: wasi
      MemorySize: 256
`),
      file,
    );
    assert.deepEqual(errors, []);
    const [api] = functions;
    assert.equal(api!.runtime, 'wasi');
    assert.equal(api!.handler, 'build/server.wasm');
    assert.equal(api!.concurrency, 2);
    assert.deepEqual(api!.component, {
      world: 'http',
      reuseInstance: true,
      preopens: [
        { host: 'data', guest: '/data', readOnly: true },
        { host: 'data', guest: '/scratch', readOnly: false },
      ],
      allowedHosts: ['api.example.com', '*.example.org'],
      keyValue: {},
      build: { language: 'js', source: 'server.ts', backend: 'quickjs' },
    });
  });
});

test('a wasi function without component settings gets the defaults: handler world, fresh instances, no grants', () => {
  withFolder((dir) => {
    const { functions, errors } = parseTemplate(
      template(`  Plain:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n      Handler: hello.wasm\n      Runtime: wasi\n`),
      join(dir, 'template.yaml'),
    );
    assert.deepEqual(errors, []);
    assert.equal(functions[0]!.component, undefined);
  });
});

test('component mistakes are sentences naming the setting and what it must be', () => {
  withFolder((dir) => {
    const { functions, errors } = parseTemplate(
      template(`  Bad:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        component:
          world: grpc
          reuseInstance: yes please
          preopens: [{ host: data, guest: relative/path }]
          allowedHosts: example.com
          build: { language: rust, source: main.rs }
          memory: 64
    Properties:
      CodeUri: fn/
      Handler: build/bad.wasm
      Runtime: wasi
`),
      join(dir, 'template.yaml'),
    );
    assert.deepEqual(functions, []);
    assert.equal(errors.length, 1);
    const { message, line } = errors[0]!;
    assert.equal(line, 8); // the component: line
    assert.match(message, /Metadata\.OpenRuntime\.component\.world "grpc"; it must be "handler" \(the project's handler world\) or "http"/);
    assert.match(message, /component\.reuseInstance "yes please"; it must be true or false/);
    assert.match(message, /component\.preopens .*the host folder relative to CodeUri and the guest path absolute/);
    assert.match(message, /component\.allowedHosts "example\.com"; it must be a list of host names/);
    assert.match(message, /component\.build\.language "rust"; it must be "js" \(componentize-js\) or "c"/);
    assert.match(
      message,
      /unknown Metadata\.OpenRuntime\.component setting "memory"; the settings are world, reuseInstance, preopens, allowedHosts, keyValue, config, messaging, build/,
    );
  });
});

test('wasi needs a .wasm Handler; component settings need Runtime wasi; preopened folders must exist', () => {
  withFolder((dir) => {
    const { errors } = parseTemplate(
      template(`  NoHandler:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Runtime: wasi
  NotWasm:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: wasi
  NodeWithComponent:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        component: { world: http }
    Properties:
      CodeUri: fn/
      Handler: app.handler
      Runtime: nodejs22.x
  MissingPreopen:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        component:
          preopens: [{ host: nowhere, guest: /data }]
    Properties:
      CodeUri: fn/
      Handler: x.wasm
      Runtime: wasi
`),
      join(dir, 'template.yaml'),
    );
    const byName = (name: string) => errors.find((e) => e.message.startsWith(`Function "${name}"`))?.message ?? '';
    assert.match(
      byName('NoHandler'),
      /has no Handler\. For Runtime wasi, Handler is the component's \.wasm file relative to CodeUri, such as "Handler: build\/hello\.wasm"/,
    );
    assert.match(byName('NotWasm'), /has Handler "app\.handler"; for Runtime wasi it is the component's \.wasm file/);
    assert.match(byName('NodeWithComponent'), /has component settings, which only apply to Runtime wasi/);
    assert.match(byName('MissingPreopen'), /preopens "nowhere" for the component, but .*fn\/nowhere is not a folder/);
    assert.equal(errors.length, 4);
  });
});

test('capabilities: keyValue, config and messaging with built-in or executable providers load into the model; mistakes are sentences', () => {
  withFolder((dir) => {
    const { functions, errors } = parseTemplate(
      template(`  Orders:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        component:
          keyValue:
            default: local
            cache: { provider: exec, command: [python3, kv.py], timeoutMs: 800 }
            short: { command: "./kv.sh --fast" }
          config: { values: { greeting: Hello, retries: 3 }, envFile: config.env }
          messaging: { subjects: { audit: Audit } }
    Properties:
      CodeUri: fn/
      Handler: build/orders.wasm
      Runtime: wasi
  Bad:
    Type: AWS::Serverless::Function
    Metadata:
      OpenRuntime:
        component:
          keyValue: { a: exec, b: { provider: redis }, c: { provider: local, command: [x] }, d: { provider: exec, command: [] }, e: { timeoutMs: -1 } }
          config: { values: [1, 2] }
          messaging: { subjects: { audit: 42 }, topic: x }
    Properties:
      CodeUri: fn/
      Handler: build/bad.wasm
      Runtime: wasi
`),
      join(dir, 'template.yaml'),
    );
    assert.deepEqual(
      functions.map((f) => f.name),
      ['Orders'],
    );
    const { keyValue, config, messaging } = functions[0]!.component!;
    assert.deepEqual(keyValue, {
      default: { provider: 'local', timeoutMs: 5000 },
      cache: { provider: 'exec', command: ['python3', 'kv.py'], timeoutMs: 800 },
      short: { provider: 'exec', command: ['./kv.sh', '--fast'], timeoutMs: 5000 },
    });
    assert.deepEqual(config, { provider: 'local', timeoutMs: 5000, values: { greeting: 'Hello', retries: '3' }, envFile: 'config.env' });
    assert.deepEqual(messaging, { provider: 'local', timeoutMs: 5000, subjects: { audit: 'Audit' } });

    assert.equal(errors.length, 1);
    const { message } = errors[0]!;
    assert.match(message, /component\.keyValue\.a "exec" without a command; write \{ provider: exec, command: \[python3, provider\.py\] \}/);
    assert.match(message, /component\.keyValue\.b\.provider "redis"; it must be "local" \(built into the runner\) or "exec"/);
    assert.match(message, /component\.keyValue\.c\.command, but its provider is local; set "provider: exec"/);
    assert.match(message, /component\.keyValue\.d\.command .*an exec provider needs the program and its arguments/);
    assert.match(message, /component\.keyValue\.e\.timeoutMs -1; it must be a whole number of milliseconds/);
    assert.match(message, /component\.config\.values .*it must map keys to text values/);
    assert.match(message, /unknown Metadata\.OpenRuntime\.component\.messaging setting "topic"; the settings are provider, command, timeoutMs, subjects/);
  });
});

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
      build: { language: 'js', source: 'server.ts', backend: 'quickjs' },
    });
  });
});

test('a wasi function without component settings gets the defaults: handler world, fresh instances, no grants', () => {
  withFolder((dir) => {
    const { functions, errors } = parseTemplate(template(`  Plain:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: fn/\n      Handler: hello.wasm\n      Runtime: wasi\n`), join(dir, 'template.yaml'));
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
    assert.match(message, /unknown Metadata\.OpenRuntime\.component setting "memory"; the settings are world, reuseInstance, preopens, allowedHosts, build/);
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
    assert.match(byName('NoHandler'), /has no Handler\. For Runtime wasi, Handler is the component's \.wasm file relative to CodeUri, such as "Handler: build\/hello\.wasm"/);
    assert.match(byName('NotWasm'), /has Handler "app\.handler"; for Runtime wasi it is the component's \.wasm file/);
    assert.match(byName('NodeWithComponent'), /has component settings, which only apply to Runtime wasi/);
    assert.match(byName('MissingPreopen'), /preopens "nowhere" for the component, but .*fn\/nowhere is not a folder/);
    assert.equal(errors.length, 4);
  });
});

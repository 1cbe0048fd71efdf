// The rules of Lambda's 2025-2026 additions, each in one function: which invocations a tenant-isolated function takes,
// how a caller's trace header carries on, what a /next answer says, when a /response streams, and TenancyConfig read
// from a template.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Invocation, parseTraceHeader, xrayTraceId } from '../../runner/environments/invocation.ts';
import { tenantProblem } from '../../runner/functions/model.ts';
import { parseTemplate } from '../../runner/functions/template.ts';
import { eventHeaders } from '../../runner/runtime-api/event-headers.ts';
import { streamsResponse } from '../../runner/runtime-api/runtime.ts';
import { isInvokeArgs } from '../../extension/invoke-args.ts';

test('a tenant-isolated function needs a valid tenant id; any other function takes none', () => {
  const isolated = { name: 'Iso', tenantIsolation: 'PER_TENANT' as const };
  const plain = { name: 'Plain', tenantIsolation: undefined };
  assert.equal(tenantProblem(isolated, 'blue'), undefined);
  assert.equal(tenantProblem(isolated, 'org:1/team=a+b@c d.e_f-g'), undefined, "Lambda's TenantId characters");
  assert.match(tenantProblem(isolated, undefined)!, /tenant isolation enabled/);
  assert.match(tenantProblem(isolated, '')!, /is not valid/);
  assert.match(tenantProblem(isolated, 'x'.repeat(257))!, /is not valid/);
  assert.match(tenantProblem(isolated, 'semi;colon')!, /is not valid/);
  assert.equal(tenantProblem(plain, undefined), undefined);
  assert.match(tenantProblem(plain, 'blue')!, /does not have tenant isolation enabled/);
});

test("a caller's trace header keeps its Root, Sampled and Lineage; the Parent is the function's own; a header without a valid Root starts a new trace", () => {
  const root = '1-5759e988-bd862e3fe1be46a994272793';
  assert.deepEqual(parseTraceHeader(`Root=${root};Parent=53995c3f42cd8ad8;Sampled=1`), { root, sampled: '1', lineage: undefined });
  assert.deepEqual(parseTraceHeader(` Sampled=0 ; Root=${root}`), { root, sampled: '0', lineage: undefined });
  assert.equal(parseTraceHeader('Root=not-a-root;Sampled=1'), undefined);
  assert.equal(parseTraceHeader('Parent=53995c3f42cd8ad8'), undefined);

  const carried = xrayTraceId(`Root=${root};Parent=53995c3f42cd8ad8;Sampled=1;Lineage=10:1234abcd:3`);
  assert.match(carried, new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=1;Lineage=10:1234abcd:3$`));
  assert.ok(!carried.includes('53995c3f42cd8ad8'));
  assert.match(xrayTraceId(`Root=${root}`), new RegExp(`^Root=${root};Parent=[0-9a-f]{16};Sampled=0$`), 'no sampling decision: not sampled');
  const fresh = xrayTraceId('Root=bad');
  assert.match(fresh, /^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=0;Lineage=/);
  assert.notEqual(xrayTraceId(), xrayTraceId(), 'each fresh trace is its own');
});

test('/next headers carry the attempt id, and the tenant only when there is one', () => {
  const inv = new Invocation(Buffer.from('{}'), undefined, undefined, 'req-1', { tenantId: 'blue' });
  inv.invocationId = 'attempt-1';
  inv.deadlineMs = 1234;
  const headers = eventHeaders(inv, 'arn:aws:lambda:us-east-1:123456789012:function:F');
  assert.equal(headers['Lambda-Runtime-Aws-Request-Id'], 'req-1');
  assert.equal(headers['Lambda-Runtime-Invocation-Id'], 'attempt-1');
  assert.equal(headers['Lambda-Runtime-Aws-Tenant-Id'], 'blue');
  assert.equal(headers['Lambda-Runtime-Deadline-Ms'], 1234);
  const plain = eventHeaders(new Invocation(Buffer.from('{}')), 'arn');
  assert.equal('Lambda-Runtime-Aws-Tenant-Id' in plain, false);
  assert.equal('Lambda-Runtime-Client-Context' in plain, false);
});

test('a /response streams when it says so, or when it is chunked and its caller takes a stream', () => {
  const streamingCaller = new Invocation(Buffer.from('{}'));
  streamingCaller.callerStreams = true;
  const bufferedCaller = new Invocation(Buffer.from('{}'));
  assert.equal(streamsResponse(bufferedCaller, 'streaming', undefined), true);
  assert.equal(streamsResponse(bufferedCaller, 'STREAMING', 'chunked'), true);
  assert.equal(streamsResponse(bufferedCaller, undefined, 'chunked'), false, 'aws-lambda-go chunks every answer: a buffered caller gets it whole');
  assert.equal(streamsResponse(streamingCaller, undefined, 'chunked'), true);
  assert.equal(streamsResponse(streamingCaller, undefined, 'gzip, chunked'), true);
  assert.equal(streamsResponse(streamingCaller, undefined, undefined), false, 'a Content-Length body is one piece');
});

test('TenancyConfig PER_TENANT is read from a template (and from Globals); another mode is a definition error', () => {
  const template = (tenancy: string, globals = '') => `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
${globals}Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: nodejs24.x
      Handler: app.handler
      CodeUri: .
${tenancy}`;
  const file = join(tmpdir(), 'template.yaml');
  const isolated = parseTemplate(template('      TenancyConfig:\n        TenantIsolationMode: PER_TENANT\n'), file);
  assert.deepEqual(isolated.errors, []);
  assert.equal(isolated.functions[0]!.tenantIsolation, 'PER_TENANT');
  assert.equal(parseTemplate(template(''), file).functions[0]!.tenantIsolation, undefined);
  const fromGlobals = parseTemplate(template('', 'Globals:\n  Function:\n    TenancyConfig:\n      TenantIsolationMode: PER_TENANT\n'), file);
  assert.equal(fromGlobals.functions[0]!.tenantIsolation, 'PER_TENANT');
  const wrong = parseTemplate(template('      TenancyConfig:\n        TenantIsolationMode: PER_REQUEST\n'), file);
  assert.equal(wrong.errors.length, 1);
  assert.match(wrong.errors[0]!.message, /TenantIsolationMode "?PER_REQUEST"?; the only mode Lambda has is PER_TENANT/);
});

test("the editor's invoke arguments take a tenant id (a string)", () => {
  assert.equal(isInvokeArgs({ functionName: 'Fn', tenantId: 'blue' }), true);
  assert.equal(isInvokeArgs({ functionName: 'Fn', tenantId: 7 }), false);
});

test('CapacityProviderConfig (Managed Instances) is read from a template: its PerExecutionEnvironmentMaxConcurrency, else the runtime default', () => {
  const template = (runtime: string, max: string) => `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: ${runtime}
      Handler: app.handler
      CodeUri: .
      CapacityProviderConfig:
        LambdaManagedInstancesCapacityProviderConfig:
          CapacityProviderArn: arn:aws:lambda:us-east-1:123456789012:capacity-provider:p
${max}`;
  const file = join(tmpdir(), 'template.yaml');
  assert.equal(parseTemplate(template('nodejs24.x', '          PerExecutionEnvironmentMaxConcurrency: 8\n'), file).functions[0]!.maxConcurrency, 8);
  assert.equal(parseTemplate(template('nodejs24.x', ''), file).functions[0]!.maxConcurrency, 64);
  assert.equal(parseTemplate(template('python3.13', ''), file).functions[0]!.maxConcurrency, 16);
  const bad = parseTemplate(template('python3.13', '          PerExecutionEnvironmentMaxConcurrency: 0\n'), file);
  assert.equal(bad.errors.length, 1);
  assert.match(bad.errors[0]!.message, /PerExecutionEnvironmentMaxConcurrency 0; it must be a whole number from 1 to 1000/);
});

// `open-runtime mcp` as an assistant meets it: the official MCP SDK's client (Client + StdioClientTransport) starts the
// built CLI in a copy of the examples project and lists the tools, lists the functions, invokes one with a project
// event and one that fails, reads the logs of what it ran, shows a Middy chain and gets clear errors for mistakes.
// Every line the server writes to stdout must be protocol: the transport reports anything else as an error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { assertBuilt, CLI, removeTemps, ROOT, tempDir } from './support/runner.ts';

let client: Client;
let project: string;
const transportErrors: Error[] = [];
let stderr = '';

type TextResult = { content: Array<{ type: string; text?: string }>; structuredContent?: Record<string, unknown>; isError?: boolean };

async function call(name: string, args: Record<string, unknown> = {}): Promise<TextResult> {
  return (await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 })) as TextResult;
}
const textOf = (r: TextResult) => r.content.map((c) => c.text ?? '').join('\n');

before(async () => {
  assertBuilt();
  project = tempDir('mcp');
  cpSync(join(ROOT, 'examples'), project, { recursive: true, filter: (src) => !src.includes('.open-runtime') });
  // The Middy example's packages resolve from the repository's node_modules, as they do in examples/.
  symlinkSync(join(ROOT, 'node_modules'), join(project, 'node_modules'));
  // A saved event, where the editor saves them.
  mkdirSync(join(project, '.open-runtime', 'events', 'FailingJs'), { recursive: true });
  writeFileSync(join(project, '.open-runtime', 'events', 'FailingJs', 'order-42.json'), '{"orderId": "42"}\n');
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, 'mcp'],
    cwd: project,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', OPEN_RUNTIME_NO_NODE_DOWNLOAD: '1', OPEN_RUNTIME_NO_SDK_DOWNLOAD: '1' },
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  client = new Client({ name: 'open-runtime-test', version: '1.0.0' });
  client.onerror = (err) => transportErrors.push(err);
  await client.connect(transport);
});

after(async () => {
  await client?.close();
  removeTemps();
});

test('the server says who it is and lists its six tools with input schemas', async () => {
  assert.equal(client.getServerVersion()?.name, 'open-runtime');
  const { tools } = await client.listTools();
  assert.deepEqual(tools.map((t) => t.name).sort(), ['generate_event', 'get_logs', 'invoke_function', 'list_events', 'list_functions', 'show_chain']);
  const invoke = tools.find((t) => t.name === 'invoke_function')!;
  assert.equal(invoke.inputSchema.type, 'object');
  assert.deepEqual(invoke.inputSchema.required, ['function']);
  assert.ok(invoke.inputSchema.properties?.savedEvent, 'invoke_function takes a saved event by name');
  assert.equal(invoke.annotations?.readOnlyHint, false);
  assert.equal(tools.find((t) => t.name === 'list_functions')!.annotations?.readOnlyHint, true);
});

test('list_functions gives the example functions with runtime, handler, triggers and middlewares', async () => {
  const result = await call('list_functions');
  assert.equal(result.isError, false);
  const { functions } = result.structuredContent as { functions: Array<Record<string, unknown>> };
  const hello = functions.find((f) => f.name === 'HelloTs')!;
  assert.equal(hello.runtime, 'nodejs22.x');
  assert.equal(hello.handler, 'app.handler');
  assert.deepEqual(hello.triggers, ['HttpApi']);
  assert.deepEqual(hello.routes, ['GET /hello']);
  assert.deepEqual(functions.find((f) => f.name === 'HelloGuarded')!.middlewares, ['request-log', 'auth', 'cors']);
  assert.match(textOf(result), /- MiddyTs \(nodejs22\.x, handler app\.handler\)/);
});

test('invoke_function runs HelloTs with a project event and returns its response, REPORT figures and logs', async () => {
  const result = await call('invoke_function', { function: 'HelloTs', savedEvent: 'hello-query' });
  assert.equal(result.isError, false, textOf(result));
  const s = result.structuredContent as {
    ok: boolean;
    response: { statusCode: number; body: string };
    report: { durationMs: number };
    logs: string;
    requestId: string;
  };
  assert.equal(s.ok, true);
  assert.equal(s.response.statusCode, 200);
  assert.equal(JSON.parse(s.response.body).message, 'Hello, Ada!');
  assert.ok(s.report.durationMs > 0);
  assert.match(s.logs, new RegExp(`REPORT RequestId: ${s.requestId}`));
  assert.match(textOf(result), /HelloTs succeeded/);
});

test('invoke_function with an inline event, and with a catalogue event filled from the declared route', async () => {
  const inline = await call('invoke_function', { function: 'MiddyTs', event: { headers: { 'Content-Type': 'application/json' }, body: '{"name":"Grace"}' } });
  assert.equal(inline.isError, false, textOf(inline));
  assert.match((inline.structuredContent as { response: { body: string } }).response.body, /Hello, Grace!/);
  const catalogue = await call('invoke_function', { function: 'HelloTs', catalogueEvent: 'apigw-http', fields: { query: 'name=Linus' } });
  assert.equal(catalogue.isError, false, textOf(catalogue));
  assert.match((catalogue.structuredContent as { response: { body: string } }).response.body, /Linus/);
});

test("a function's error is reported with its type, and a saved event is found by name", async () => {
  const result = await call('invoke_function', { function: 'FailingJs', savedEvent: 'order-42' });
  assert.equal(result.isError, false, 'the tool worked: the function failed');
  const s = result.structuredContent as { ok: boolean; error: { errorType: string; errorMessage: string } };
  assert.equal(s.ok, false);
  assert.equal(s.error.errorType, 'OrderNotFoundError');
  assert.equal(s.error.errorMessage, 'Order 42 does not exist');
  assert.match(textOf(result), /FailingJs failed/);
});

test('mistakes get isError and a sentence: unknown function, unknown saved event, two events, bad arguments', async () => {
  const unknown = await call('invoke_function', { function: 'Nope' });
  assert.equal(unknown.isError, true);
  assert.match(textOf(unknown), /No function "Nope"\. Known functions: HelloTs, .*Call list_functions/);
  const noEvent = await call('invoke_function', { function: 'HelloTs', savedEvent: 'missing' });
  assert.equal(noEvent.isError, true);
  assert.match(textOf(noEvent), /HelloTs has no saved or project event "missing"\. Its events are: .*hello-query/);
  const two = await call('invoke_function', { function: 'HelloTs', event: {}, savedEvent: 'hello-query' });
  assert.equal(two.isError, true);
  assert.match(textOf(two), /Give one event/);
  const badField = await call('generate_event', { template: 'sqs', fields: { nope: '1' } });
  assert.equal(badField.isError, true);
  assert.match(textOf(badField), /has no field "nope"/);
  const badArgs = await call('get_logs', { limit: 3 });
  assert.equal(badArgs.isError, true);
  assert.match(textOf(badArgs), /Bad arguments for get_logs: function:/);
  await assert.rejects(call('no_such_tool'), /Unknown tool "no_such_tool"/);
});

test('get_logs gives the logs of the invocations made, newest first', async () => {
  const none = await call('get_logs', { function: 'PythonHello' });
  assert.equal(none.isError, false);
  assert.match(textOf(none), /PythonHello has not been invoked yet/);
  const result = await call('get_logs', { function: 'HelloTs', limit: 5 });
  assert.equal(result.isError, false);
  const { invocations } = result.structuredContent as { invocations: Array<{ ok: boolean; logs: string; event: string; requestId: string }> };
  assert.equal(invocations.length, 2);
  assert.match(invocations[0]!.event, /apigw-http/);
  assert.match(invocations[1]!.event, /hello-query/);
  assert.match(invocations[1]!.logs, /greeting Ada/);
  assert.match(invocations[1]!.logs, new RegExp(`END RequestId: ${invocations[1]!.requestId}`));
});

test('list_events and generate_event: the events that fit a function, and a rendered catalogue event', async () => {
  const events = await call('list_events', { function: 'FailingJs' });
  const s = events.structuredContent as { saved: Array<{ name: string }>; project: Array<{ name: string }> };
  assert.deepEqual(
    s.saved.map((e) => e.name),
    ['order-42'],
  );
  assert.ok(s.project.some((e) => e.name === 'failing'));
  const forHttp = await call('list_events', { function: 'HelloTs' });
  const catalogue = (forHttp.structuredContent as { catalogue: Array<{ id: string; fields: Array<{ name: string; default: string }> }> }).catalogue;
  assert.equal(catalogue[0]!.id, 'apigw-http');
  assert.equal(catalogue[0]!.fields.find((f) => f.name === 'path')!.default, '/hello');
  const generated = await call('generate_event', { template: 'sqs', fields: { body: 'hi' } });
  assert.equal(generated.isError, false, textOf(generated));
  const event = JSON.parse(textOf(generated)) as { Records: Array<{ body: string; eventSource: string }> };
  assert.equal(event.Records[0]!.eventSource, 'aws:sqs');
  assert.equal(event.Records[0]!.body, 'hi');
});

test("show_chain explains the Middy example's chain and a runner-level chain", async () => {
  const middy = await call('show_chain', { function: 'MiddyTs' });
  assert.equal(middy.isError, false, textOf(middy));
  const chains = (middy.structuredContent as { middyChains: Array<{ name: string; steps: Array<{ middleware: string; kind: string }> }> }).middyChains;
  assert.equal(chains.length, 1);
  assert.equal(chains[0]!.name, 'handler');
  assert.deepEqual(
    chains[0]!.steps.filter((st) => st.kind === 'use').map((st) => st.middleware),
    ['httpHeaderNormalizer', 'httpJsonBodyParser', 'validator', 'httpErrorHandler'],
  );
  assert.match(textOf(middy), /httpJsonBodyParser \[@middy\/http-json-body-parser\] \(use, body-parser\)/);
  const guarded = await call('show_chain', { function: 'HelloGuarded' });
  assert.match(textOf(guarded), /1\. request-log \(executable.*\n\s+2\. auth .*\n\s+3\. cors/);
});

test('nothing but protocol reached stdout, and the server logs went to stderr', () => {
  assert.deepEqual(transportErrors, []);
  assert.match(stderr, /client open-runtime-test 1\.0\.0 connected/);
});

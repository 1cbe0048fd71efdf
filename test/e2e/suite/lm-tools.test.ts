// The Language Model tools as chat and agents reach them, through VS Code's own API (vscode.lm.tools and
// vscode.lm.invokeTool), with the examples workspace: ours are listed with their input schemas, list_functions answers
// with the example functions, invoke_function runs one (the run lands in the history like a click) and get_logs reads
// it back, show_chain explains the Middy example, and a mistake reaches the model as an error. In a chat session VS Code
// shows the confirmation invoke_function's prepareInvocation asks for; an invokeTool call outside one (this test) is
// not confirmed, so that confirmation is read from the registered tool (the extension's API hands it out).
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { OpenRuntimeApi } from '../../../extension/extension.ts';
import { exampleFunctions, openRuntime, until } from './support.ts';

const TOOLS = ['list_functions', 'invoke_function', 'get_logs', 'list_events', 'generate_event', 'show_chain'].map((n) => `openRuntime_${n}`);

async function invokeTool(name: string, input: object): Promise<string> {
  const result = await vscode.lm.invokeTool(`openRuntime_${name}`, { input, toolInvocationToken: undefined });
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

describe('language model tools', () => {
  let api: OpenRuntimeApi;
  before(async () => {
    api = await openRuntime();
  });

  it('vscode.lm.tools lists the six Open Runtime tools with their input schemas', async () => {
    const ours = await until('our tools are registered', () => {
      const found = vscode.lm.tools.filter((t) => t.name.startsWith('openRuntime_'));
      return found.length === TOOLS.length ? found : undefined;
    });
    assert.deepEqual(ours.map((t) => t.name).sort(), [...TOOLS].sort());
    const invoke = ours.find((t) => t.name === 'openRuntime_invoke_function')!;
    assert.deepEqual((invoke.inputSchema as { required?: string[] }).required, ['function']);
    assert.ok(invoke.tags.includes('open-runtime'));
  });

  it('list_functions answers with the example functions', async () => {
    const text = await invokeTool('list_functions', {});
    for (const fn of exampleFunctions()) assert.match(text, new RegExp(`^- ${fn.name} \\(${fn.runtime.replace('.', '\\.')}`, 'm'), `${fn.name} is listed`);
    assert.match(text, /- HelloTs \(nodejs22\.x, handler app\.handler\); triggers: HttpApi; routes: GET \/hello/);
  });

  it('invoke_function asks the user first, runs HelloTs with a project event; the run is in the history, and get_logs reads it back', async () => {
    const tool = api.languageModelTool('openRuntime_invoke_function');
    assert.ok(tool?.prepareInvocation, 'the registered tool');
    const input = { function: 'HelloTs', savedEvent: 'hello-query' };
    const prepared = await tool.prepareInvocation({ input }, new vscode.CancellationTokenSource().token);
    const message = prepared?.confirmationMessages?.message;
    assert.match(typeof message === 'string' ? message : (message?.value ?? ''), /Run \*\*HelloTs\*\* locally with the saved event \*\*hello-query\*\*/);
    assert.equal(prepared?.confirmationMessages?.title, 'Invoke HelloTs?');
    const before = api.history().length;
    const text = await invokeTool('invoke_function', input);
    assert.match(text, /^HelloTs succeeded \(request [0-9a-f-]{36}\)/);
    assert.match(text, /Hello, Ada!/);
    assert.match(text, /REPORT RequestId: /);
    const entry = await until('the invocation is in the history', () => (api.history().length > before ? api.history()[0] : undefined));
    assert.equal(entry.functionName, 'HelloTs');
    assert.match(entry.eventLabel, /hello-query.*from a chat tool/);
    const logs = await invokeTool('get_logs', { function: 'HelloTs', limit: 1 });
    assert.match(logs, new RegExp(`END RequestId: ${entry.result!.requestId}`));
    assert.match(logs, /greeting Ada/);
  });

  it('show_chain explains the Middy example', async () => {
    const text = await invokeTool('show_chain', { function: 'MiddyTs' });
    assert.match(text, /Middy chain "handler"/);
    assert.match(text, /httpJsonBodyParser \[@middy\/http-json-body-parser\] \(use, body-parser\)/);
  });

  it('a mistake reaches the model as an error that says what to do', async () => {
    await assert.rejects(invokeTool('invoke_function', { function: 'NoSuchFunction' }), /No function "NoSuchFunction"\. Known functions: .*HelloTs/);
  });
});

// The MCP server's protocol edges (runner/mcp/server.ts) that a well-behaved client never shows: bad JSON, batches,
// unknown methods, notifications, version negotiation, messages split across chunks; and the one definition of the
// tools: package.json's languageModelTools carry exactly the MCP tools' names, descriptions and input schemas.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { PROTOCOL_VERSIONS, serveMcp } from '../../runner/mcp/server.ts';
import { languageModelToolName } from '../../runner/mcp/tool-names.ts';
import { TOOL_DESCRIPTIONS, TOOL_NAMES, toolInputSchema, type ToolAnswer } from '../../runner/mcp/tools.ts';

/** Sends `chunks` to a server whose tools answer with `answer`, closes its input, and returns what it wrote, parsed. */
async function exchange(chunks: string[], answer: (name: string, args: unknown) => Promise<ToolAnswer> = async () => ({ text: 'ok' })) {
  const input = new PassThrough();
  const lines: string[] = [];
  const served = serveMcp({
    input,
    output: { write: (line: string) => lines.push(line) },
    serverInfo: { name: 'test', version: '0' },
    callTool: answer as never,
    log: () => undefined,
  });
  for (const chunk of chunks) input.write(chunk);
  input.end();
  await served;
  for (const line of lines) assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'), 'one message per line');
  return lines.map((l) => JSON.parse(l) as { id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } });
}

const init = (version: string) =>
  `${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'c', version: '1' } } })}\n`;

test('initialize echoes a version it speaks and offers its newest for any other', async () => {
  const [known] = await exchange([init('2025-03-26')]);
  assert.equal(known!.result!.protocolVersion, '2025-03-26');
  assert.deepEqual(known!.result!.capabilities, { tools: { listChanged: false } });
  const [future] = await exchange([init('2099-01-01')]);
  assert.equal(future!.result!.protocolVersion, PROTOCOL_VERSIONS[0]);
});

test('bad input gets JSON-RPC errors, notifications get nothing, and the server keeps serving', async () => {
  const answers = await exchange([
    'not json\n',
    '[{"jsonrpc":"2.0","id":1,"method":"ping"}]\n',
    '{"jsonrpc":"2.0","method":"notifications/initialized"}\n',
    '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}\n',
    '{"jsonrpc":"2.0","id":2,"method":"resources/list"}\n',
    '{"id":3,"method":"ping"}\n',
    '{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"nope"}}\n',
    '{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"list_functions","arguments":[1]}}\n',
    '{"jsonrpc":"2.0","id":6,"method":"ping"}\n',
  ]);
  assert.deepEqual(
    answers.map((a) => [a.id, a.error?.code ?? 'ok']),
    [
      [null, -32700],
      [null, -32600],
      [2, -32601],
      [3, -32600],
      [4, -32602],
      [5, -32602],
      [6, 'ok'],
    ],
  );
  assert.match(answers[4]!.error!.message, /Unknown tool "nope"\. The tools are list_functions, invoke_function/);
});

test('a message split across chunks, and one without a final newline, are read whole', async () => {
  const call = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: 'get_logs', arguments: { function: 'F' } } });
  const seen: unknown[] = [];
  const answers = await exchange(
    [init('2025-06-18'), call.slice(0, 10), call.slice(10, 40), `${call.slice(40)}\n`, '{"jsonrpc":"2.0","id":8,"method":"ping"}'],
    async (name, args) => {
      seen.push([name, args]);
      return { text: 'logs here', structured: { n: 1 } };
    },
  );
  assert.deepEqual(seen, [['get_logs', { function: 'F' }]]);
  const byId = (id: number) => answers.find((a) => a.id === id);
  assert.deepEqual(byId(7)!.result, { content: [{ type: 'text', text: 'logs here' }], structuredContent: { n: 1 }, isError: false });
  assert.deepEqual(byId(8), { jsonrpc: '2.0', id: 8, result: {} });
});

test('a tool that throws answers isError with its message; structuredContent only from 2025-06-18 on', async () => {
  const call = '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"list_functions"}}\n';
  const [, thrown] = await exchange([init('2025-06-18'), call], async () => {
    throw new Error('the disk is gone');
  });
  assert.deepEqual(thrown!.result, { content: [{ type: 'text', text: 'list_functions failed: the disk is gone' }], isError: true });
  const [, old] = await exchange([init('2025-03-26'), call], async () => ({ text: 't', structured: { a: 1 } }));
  assert.equal(old!.result!.structuredContent, undefined);
});

test("package.json's Language Model tools are the MCP tools: names, descriptions, input schemas, activation events", () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as {
    activationEvents: string[];
    contributes: { languageModelTools: Array<{ name: string; modelDescription: string; inputSchema: unknown }> };
  };
  const contributed = pkg.contributes.languageModelTools;
  assert.deepEqual(
    contributed.map((t) => t.name),
    TOOL_NAMES.map(languageModelToolName),
  );
  for (const name of TOOL_NAMES) {
    const tool = contributed.find((t) => t.name === languageModelToolName(name))!;
    assert.equal(tool.modelDescription, TOOL_DESCRIPTIONS[name].description, name);
    assert.deepEqual(tool.inputSchema, toolInputSchema(name), `${name}: regenerate package.json's inputSchema from runner/mcp/tools.ts`);
    assert.ok(pkg.activationEvents.includes(`onLanguageModelTool:${tool.name}`));
  }
});

// A Model Context Protocol server over stdio (spec 2025-06-18, "Base protocol" and "Server features: Tools"):
// newline-delimited JSON-RPC 2.0 on stdin/stdout, the methods a tools-only server answers (initialize, ping,
// tools/list, tools/call) and the notifications it may be sent. Written here rather than taken from
// @modelcontextprotocol/sdk: that server bundles to ~320 KB (ajv, its transports) for what is ~200 lines; the SDK
// stays a dev dependency, as the real client the integration test talks to this server with.
import type { Readable } from 'node:stream';
import { TOOL_DESCRIPTIONS, TOOL_NAMES, toolInputSchema, type ToolAnswer, type ToolName } from './tools.ts';

/** Newest first. A client asking for one of these gets it back; any other gets the newest (the client then decides). */
export const PROTOCOL_VERSIONS = ['2025-06-18', '2025-03-26', '2024-11-05'] as const;
/** structuredContent in tool results exists from this version on. */
const STRUCTURED_CONTENT_SINCE = '2025-06-18';
/** A line longer than this is not a message we could answer: the client is told, and the line dropped. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

const PARSE_ERROR = -32700;
const INVALID_REQUEST = -32600;
const METHOD_NOT_FOUND = -32601;
const INVALID_PARAMS = -32602;
const INTERNAL_ERROR = -32603;

export interface McpServerOptions {
  input: Readable;
  /** Protocol only: every line written here is a JSON-RPC message. */
  output: { write(line: string): unknown };
  serverInfo: { name: string; version: string; title?: string };
  instructions?: string;
  /** Runs a tool (tools.ts callTool); a throw becomes an isError result with its message. */
  callTool(name: ToolName, args: unknown): Promise<ToolAnswer>;
  log(line: string): void;
}

type Id = string | number;
interface Message {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
}

/** Tools that only read: clients may run them without asking (MCP tool annotations). */
const READ_ONLY: ReadonlySet<ToolName> = new Set(['list_functions', 'get_logs', 'list_events', 'generate_event', 'show_chain']);

export function toolListing() {
  return TOOL_NAMES.map((name) => ({
    name,
    title: TOOL_DESCRIPTIONS[name].title,
    description: TOOL_DESCRIPTIONS[name].description,
    inputSchema: toolInputSchema(name),
    annotations: READ_ONLY.has(name)
      ? { readOnlyHint: true, openWorldHint: false }
      : { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  }));
}

/** Serves until the input ends; resolves then, once every answer in flight is written. */
export function serveMcp(opts: McpServerOptions): Promise<void> {
  let protocolVersion: string = PROTOCOL_VERSIONS[0];
  const inFlight = new Set<Promise<void>>();
  let buffered: Buffer[] = [];
  let bufferedBytes = 0;
  let discarding = false;

  const send = (message: Record<string, unknown>) => {
    opts.output.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
  };
  const reply = (id: Id, result: unknown) => send({ id, result });
  const fail = (id: Id | null, code: number, message: string) => send({ id, error: { code, message } });

  const handle = async (message: Message): Promise<void> => {
    const isRequest = typeof message.id === 'string' || (typeof message.id === 'number' && Number.isFinite(message.id));
    if (message.jsonrpc !== '2.0' || typeof message.method !== 'string') {
      // A response to a request of ours would land here too; this server sends none.
      if (isRequest && !('result' in message) && !('error' in message))
        fail(message.id as Id, INVALID_REQUEST, 'Not a JSON-RPC 2.0 request: it needs "jsonrpc": "2.0" and a "method".');
      return;
    }
    if (!isRequest) {
      // Notifications: initialized, cancelled (an invocation runs to its end or its timeout), roots changes ... none needs an answer.
      return;
    }
    const id = message.id as Id;
    const params = (message.params && typeof message.params === 'object' ? message.params : {}) as Record<string, unknown>;
    switch (message.method) {
      case 'initialize': {
        const asked = typeof params.protocolVersion === 'string' ? params.protocolVersion : undefined;
        protocolVersion = asked && (PROTOCOL_VERSIONS as readonly string[]).includes(asked) ? asked : PROTOCOL_VERSIONS[0];
        const client = (params.clientInfo ?? {}) as { name?: string; version?: string };
        opts.log(`client ${client.name ?? '(unnamed)'} ${client.version ?? ''} connected (protocol ${protocolVersion}).`);
        return reply(id, {
          protocolVersion,
          capabilities: { tools: { listChanged: false } },
          serverInfo: opts.serverInfo,
          ...(opts.instructions ? { instructions: opts.instructions } : {}),
        });
      }
      case 'ping':
        return reply(id, {});
      case 'tools/list':
        return reply(id, { tools: toolListing() });
      case 'tools/call': {
        const name = params.name;
        if (typeof name !== 'string' || !(TOOL_NAMES as readonly string[]).includes(name))
          return fail(id, INVALID_PARAMS, `Unknown tool ${JSON.stringify(name)}. The tools are ${TOOL_NAMES.join(', ')}.`);
        if (params.arguments !== undefined && (typeof params.arguments !== 'object' || params.arguments === null || Array.isArray(params.arguments)))
          return fail(id, INVALID_PARAMS, `The arguments of ${name} must be an object.`);
        let answer: ToolAnswer;
        try {
          answer = await opts.callTool(name as ToolName, params.arguments ?? {});
        } catch (err) {
          opts.log(`${name} failed: ${(err as Error).stack ?? String(err)}`);
          answer = { text: `${name} failed: ${(err as Error).message}`, isError: true };
        }
        return reply(id, {
          content: [{ type: 'text', text: answer.text }],
          ...(answer.structured && protocolVersion >= STRUCTURED_CONTENT_SINCE ? { structuredContent: answer.structured } : {}),
          isError: answer.isError === true,
        });
      }
      default:
        return fail(id, METHOD_NOT_FOUND, `Method ${message.method} is not served: this server has tools only (tools/list, tools/call).`);
    }
  };

  const onLine = (line: string) => {
    if (!line.trim()) return;
    let message: unknown;
    try {
      message = JSON.parse(line);
    } catch (err) {
      return fail(null, PARSE_ERROR, `Not JSON: ${(err as Error).message}. Send one JSON-RPC message per line.`);
    }
    if (Array.isArray(message)) return fail(null, INVALID_REQUEST, 'Batches are not part of protocol 2025-06-18: send one message per line.');
    if (!message || typeof message !== 'object') return fail(null, INVALID_REQUEST, 'A JSON-RPC message is an object.');
    const done: Promise<void> = handle(message as Message)
      .catch((err: Error) => {
        opts.log(`answering ${(message as Message).method}: ${err.stack ?? err.message}`);
        const id = (message as Message).id;
        if (typeof id === 'string' || typeof id === 'number') fail(id, INTERNAL_ERROR, err.message);
      })
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };

  return new Promise((resolve) => {
    opts.input.on('data', (chunk: Buffer) => {
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const part = chunk.subarray(start, nl);
        start = nl + 1;
        if (discarding) {
          discarding = false;
          continue;
        }
        const line = bufferedBytes ? Buffer.concat([...buffered, part]).toString('utf8') : part.toString('utf8');
        buffered = [];
        bufferedBytes = 0;
        onLine(line);
      }
      const rest = chunk.subarray(start);
      if (!rest.length || discarding) return;
      buffered.push(rest);
      bufferedBytes += rest.length;
      if (bufferedBytes > MAX_LINE_BYTES) {
        fail(null, INVALID_REQUEST, `A message longer than ${MAX_LINE_BYTES} bytes was dropped.`);
        buffered = [];
        bufferedBytes = 0;
        discarding = true;
      }
    });
    opts.input.on('end', () => {
      if (bufferedBytes) onLine(Buffer.concat(buffered).toString('utf8'));
      void Promise.allSettled([...inFlight]).then(() => resolve());
    });
    opts.input.resume();
  });
}

// The project's functions as Language Model tools for VS Code's chat and agents (contributes.languageModelTools):
// the same tools as `open-runtime mcp` (runner/mcp/tools.ts), backed by the editor's runner sidecar, so what an agent
// invokes shows in the result view and the Invocations history like a click would, and get_logs reads that history.
// Invoking asks the user first (prepareInvocation). With openRuntime.mcpServer.enabled, VS Code is also offered the
// `open-runtime mcp` server itself (for agents that take MCP servers only); it is off by default, since the two give
// the model the same tools twice.
import * as vscode from 'vscode';
import type { FunctionSpec } from '../../runner/functions/model.ts';
import type { InvokeResult } from '../../runner/protocol.ts';
import { languageModelToolName, TOOL_NAMES, type ToolName } from '../../runner/mcp/tool-names.ts';
import type { RecentInvocation, ToolBackend } from '../../runner/mcp/tools.ts';
import type { Ctx } from '../ctx.ts';

/** Registers the tools; answers them by name (the extension's API hands them to the in-host tests, see extension.ts). */
export function registerLanguageModelTools(ctx: Ctx): ReadonlyMap<string, vscode.LanguageModelTool<Record<string, unknown>>> {
  const tools = new Map(TOOL_NAMES.map((name) => [languageModelToolName(name), toolFor(ctx, name)] as const));
  // Hosts without the API (older VS Code forks) simply get no tools.
  if (typeof vscode.lm?.registerTool !== 'function') return tools;
  for (const [name, tool] of tools) ctx.push(vscode.lm.registerTool(name, tool));
  if (typeof vscode.lm.registerMcpServerDefinitionProvider === 'function') registerMcpServer(ctx);
  return tools;
}

function toolFor(ctx: Ctx, name: ToolName): vscode.LanguageModelTool<Record<string, unknown>> {
  return {
    prepareInvocation(options) {
      const fn = typeof options.input.function === 'string' ? options.input.function : undefined;
      if (name !== 'invoke_function') return { invocationMessage: `${TITLES[name]}${fn ? `: ${fn}` : ''}` };
      const event =
        typeof options.input.savedEvent === 'string'
          ? `the saved event **${options.input.savedEvent}**`
          : typeof options.input.catalogueEvent === 'string'
            ? `the catalogue event **${options.input.catalogueEvent}**`
            : options.input.event !== undefined
              ? 'this event:'
              : 'an empty event `{}`';
      const message = new vscode.MarkdownString(`Run **${fn ?? '(no function given)'}** locally with ${event}`);
      if (options.input.event !== undefined) message.appendCodeblock(JSON.stringify(options.input.event, null, 2).slice(0, 2000), 'json');
      message.appendMarkdown('\n\nIts code runs on this machine, as your user, with the environment the template gives it.');
      return {
        invocationMessage: `Invoking ${fn ?? 'a function'}`,
        confirmationMessages: { title: `Invoke ${fn ?? 'a function'}?`, message },
      };
    },
    async invoke(options) {
      const folder = ctx.folderFor(vscode.window.activeTextEditor?.document.uri);
      if (!folder) throw new Error('Open Runtime needs a workspace folder with a template.yaml or serverless.yml: ask the user to open one.');
      const { callTool } = await import('../../runner/mcp/tools.ts');
      const answer = await callTool(backendFor(ctx, folder), name, options.input);
      // The model gets a thrown error's message as the tool's failure.
      if (answer.isError) throw new Error(answer.text);
      return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(answer.text)]);
    },
  };
}

const TITLES: Record<ToolName, string> = {
  list_functions: 'Listing the functions',
  invoke_function: 'Invoking',
  get_logs: 'Reading the logs',
  list_events: 'Listing events',
  generate_event: 'Generating an event',
  show_chain: 'Reading the middleware chain',
};

/** The tools' backend for one workspace folder: its sidecar, and the editor's invocation history. */
function backendFor(ctx: Ctx, folder: vscode.WorkspaceFolder): ToolBackend {
  return {
    workspaceDir: folder.uri.fsPath,
    functions: async () => (await ctx.runnerFor(folder)).listFunctions(),
    async invoke(fn: FunctionSpec, payload: string, options): Promise<InvokeResult> {
      const runner = await ctx.runnerFor(folder);
      const { runInvocation } = await import('../invoke.ts');
      const { ToolError } = await import('../../runner/mcp/tools.ts');
      const result = await runInvocation(
        ctx,
        runner,
        folder,
        fn,
        { payload, label: `${options.eventLabel} (from a chat tool)` },
        {
          debug: false,
          ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
        },
      );
      if (result) return result;
      // runInvocation showed the failure and put it in the history: the model gets the same sentence.
      const failed = ctx.history.all.find((e) => e.functionName === fn.name && e.folder === folder.uri.toString());
      throw new ToolError(failed?.failure ?? `${fn.name} could not be invoked: see the "Open Runtime" output.`);
    },
    async recentInvocations(fn: FunctionSpec): Promise<readonly RecentInvocation[]> {
      return ctx.history.all
        .filter((e) => e.functionName === fn.name && e.folder === folder.uri.toString())
        .map((e) => ({ startedAt: e.startedAt, eventLabel: e.eventLabel, result: e.result, failure: e.failure }));
    },
    chains: async (file: string) => (await ctx.runnerFor(folder)).chains(file),
  };
}

/** `open-runtime mcp` for each workspace folder, offered to VS Code when openRuntime.mcpServer.enabled is on. */
function registerMcpServer(ctx: Ctx): void {
  const changed = new vscode.EventEmitter<void>();
  ctx.push(
    changed,
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('openRuntime.mcpServer.enabled') || e.affectsConfiguration('openRuntime.nodePath')) changed.fire();
    }),
    vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()),
    vscode.lm.registerMcpServerDefinitionProvider('openRuntime.mcpServer', {
      onDidChangeMcpServerDefinitions: changed.event,
      async provideMcpServerDefinitions() {
        if (!vscode.workspace.getConfiguration('openRuntime').get<boolean>('mcpServer.enabled', false)) return [];
        // protocol.ts loads zod: only when a server is asked for, not at activation.
        const { RUNNER_ENV, RUNNER_NODE_FLAGS } = await import('../../runner/protocol.ts');
        const script = vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'runner.js').fsPath;
        const nodePath = ctx.config.nodePath;
        return (vscode.workspace.workspaceFolders ?? []).map((folder) => {
          const server = new vscode.McpStdioServerDefinition(
            `Open Runtime: ${folder.name}`,
            nodePath || process.execPath,
            [...RUNNER_NODE_FLAGS, script, 'mcp', '--workspace', folder.uri.fsPath],
            { ...RUNNER_ENV, ...(nodePath ? {} : { ELECTRON_RUN_AS_NODE: '1' }) },
            String(ctx.extension.extension.packageJSON.version ?? '0.0.0'),
          );
          server.cwd = folder.uri;
          return server;
        });
      },
    }),
  );
}

// `open-runtime mcp`: the project's functions as Model Context Protocol tools for coding assistants (VS Code, Claude
// Code, Cursor ...), on stdio. Functions run in this process's LocalLambda, the way `open-runtime start` runs them;
// stdout carries the protocol and nothing else (every other write goes to stderr, where clients keep server logs).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DefinitionError, InvokeResult } from '../protocol.ts';
import type { FunctionSpec } from '../functions/model.ts';
import type { Discovery } from '../functions/discover.ts';
import { watchDefinitions } from '../functions/watch-definitions.ts';
import { FunctionNotFoundError, InvalidParameterValueError, invokeResult, LocalLambda, TooManyRequestsError } from '../local-lambda.ts';
import { describeRunnerChains } from '../middleware/describe.ts';
import { serveMcp } from './server.ts';
import { callTool, ToolError, type RecentInvocation, type ToolBackend } from './tools.ts';

export const MCP_USAGE = `  open-runtime mcp [project options]
      A Model Context Protocol server on stdio for coding assistants: tools to list the project's functions, invoke one
      with an event (inline, saved or from the catalogue), read the logs of its recent invocations, list the events
      that fit it, generate a catalogue event, and show its middleware chain. Functions run locally, as with start.
      Add it to VS Code (.vscode/mcp.json) or Claude Code (claude mcp add open-runtime -- npx open-runtime mcp).`;

/** How many invocations get_logs can go back, per function. */
const KEPT_PER_FUNCTION = 20;

export interface McpCommandOptions {
  workspaceDir: string;
  /** The template given with --template, watched instead of the workspace's definition files. */
  template: string | undefined;
  region: string;
  load(): Promise<Discovery>;
  /** Gives the LocalLambda its component and middleware runners, as every verb that invokes does. */
  attachRunners(lambda: LocalLambda): void;
}

export async function mcpCommand(opts: McpCommandOptions): Promise<number> {
  // Protocol on stdout only: anything else written there (a library's console.log, a notice) would break the client.
  const protocolOut = process.stdout.write.bind(process.stdout);
  const toStderr = process.stderr.write.bind(process.stderr) as typeof process.stdout.write;
  process.stdout.write = toStderr;
  console.log = console.info = console.debug = (...args: unknown[]) => console.error(...args);
  const log = (line: string) => process.stderr.write(`open-runtime mcp: ${line}\n`);

  const lambda = new LocalLambda({ hotReload: true, region: opts.region });
  opts.attachRunners(lambda);
  const { serveMainPort, bodyIdleMsFromEnv } = await import('../main-port.ts');
  const { handleInvokeApi } = await import('../invoke/invoke-api.ts');
  const { handleDurableApi } = await import('../durable/api.ts');
  const { useDurableExecutions, durableOf } = await import('../durable/orchestrator.ts');
  // Functions reach each other (and durable functions their checkpoints) through this runner's Invoke API, as under
  // start; durable executions are kept in memory (the editor's runner, if one is open, holds the workspace's).
  const durable = await useDurableExecutions(lambda, undefined, { log });
  serveMainPort(lambda, {
    surfaceOf: () => 'aws',
    routes: [
      (req, res, path, query) => handleDurableApi(lambda, durableOf(lambda), req, res, path, query),
      (req, res, path, query) => handleInvokeApi(lambda, req, res, path, query),
    ],
    allowedOrigins: new Set(),
    bodyIdleMs: bodyIdleMsFromEnv(),
  });

  let files: string[] = [];
  const reload = async () => {
    const found = await opts.load();
    files = found.files;
    lambda.setFunctions(found.functions, found.errors);
    for (const e of found.errors) log(`${e.file}:${e.line}: ${e.message}`);
  };
  await reload();
  await lambda.listen();
  durable.open();
  const stopWatching = watchDefinitions(
    opts.template,
    opts.workspaceDir,
    () => void reload().catch((err: Error) => log(`could not reload the functions: ${err.message}`)),
    () => files,
  );

  const backend = new InProcessBackend(lambda, opts.workspaceDir);
  await serveMcp({
    input: process.stdin,
    output: { write: (line: string) => protocolOut(line) },
    serverInfo: { name: 'open-runtime', title: 'Open Runtime', version: packageVersion() },
    instructions:
      "Open Runtime runs this project's serverless functions (AWS Lambda style: SAM template.yaml, serverless.yml, CDK) locally. " +
      'Call list_functions first; invoke_function runs one with an event and returns its response, error, logs and REPORT figures; ' +
      'list_events finds events that fit a function; show_chain explains its middleware chain.',
    callTool: (name, args) => callTool(backend, name, args),
    log,
  });
  // The client closed stdin: it is done with us.
  stopWatching();
  durable.close();
  await Promise.all([backend.close(), lambda.close()]);
  return 0;
}

/** The tools' backend in this process: the LocalLambda, a chain analyzer in a worker, and a memory of invocations. */
class InProcessBackend implements ToolBackend {
  private readonly recent = new Map<string, RecentInvocation[]>();
  private analyzer: Promise<import('../analysis/in-worker.ts').ChainAnalyzer> | undefined;

  private readonly lambda: LocalLambda;
  readonly workspaceDir: string;

  constructor(lambda: LocalLambda, workspaceDir: string) {
    this.lambda = lambda;
    this.workspaceDir = workspaceDir;
  }

  async functions(): Promise<{ functions: FunctionSpec[]; errors: DefinitionError[] }> {
    return { functions: this.lambda.listFunctions(), errors: this.lambda.definitionErrors };
  }

  async invoke(fn: FunctionSpec, payload: string, options: { eventLabel: string; tenantId?: string | undefined }): Promise<InvokeResult> {
    const startedAt = Date.now();
    let result: InvokeResult;
    try {
      const { durableOf } = await import('../durable/orchestrator.ts');
      const durable = durableOf(this.lambda);
      if (fn.durable && durable) {
        result = await (await import('../durable/control-route.ts')).invokeDurableFromControl(durable, fn, payload);
      } else {
        const inv = this.lambda.invoke(fn.name, Buffer.from(payload), { tenantId: options.tenantId });
        result = invokeResult(fn.name, inv, await inv.completed);
      }
    } catch (err) {
      if (err instanceof FunctionNotFoundError || err instanceof InvalidParameterValueError || err instanceof TooManyRequestsError) {
        this.remember(fn, { startedAt, eventLabel: options.eventLabel, failure: err.message });
        throw new ToolError(err.message);
      }
      throw err;
    }
    this.remember(fn, { startedAt, eventLabel: options.eventLabel, result });
    return result;
  }

  async recentInvocations(fn: FunctionSpec): Promise<readonly RecentInvocation[]> {
    return this.recent.get(fn.name) ?? [];
  }

  async chains(file: string) {
    this.analyzer ??= import('../analysis/in-worker.ts').then((m) => m.createChainAnalyzer());
    return (await this.analyzer).analyze(file, { runnerChains: describeRunnerChains(this.lambda.listFunctions(), file) });
  }

  async close(): Promise<void> {
    await (await this.analyzer)?.close();
  }

  private remember(fn: FunctionSpec, invocation: RecentInvocation): void {
    const list = this.recent.get(fn.name) ?? [];
    list.unshift(invocation);
    list.length = Math.min(list.length, KEPT_PER_FUNCTION);
    this.recent.set(fn.name, list);
  }
}

function packageVersion(): string {
  for (const candidate of ['../../package.json', '../package.json']) {
    try {
      return (JSON.parse(readFileSync(join(import.meta.dirname, candidate), 'utf8')) as { version?: string }).version ?? '0.0.0';
    } catch {
      // Bundled (dist/) or from source (runner/mcp/): one of the two is the package's.
    }
  }
  return '0.0.0';
}

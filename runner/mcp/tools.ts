// The tools a coding assistant gets: list the project's functions, invoke one with an event, read the logs of its
// recent invocations, find events that fit it, render a catalogue event, show its middleware chain. One definition
// serves both surfaces: `open-runtime mcp` (runner/mcp/server.ts, the functions run in that process) and the editor's
// Language Model tools (extension/assistants/language-model-tools.ts, the functions run in the sidecar). Each surface supplies a ToolBackend;
// the input schemas are zod (one definition: the JSON Schemas in package.json are checked against these by a test).
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { z } from 'zod';
import type { ChainReport, MiddyChain, RunnerChain } from '../analysis/report.ts';
import { findEventTemplate, listEventTemplates, renderEventText } from '../events/catalogue.ts';
import { declaredFieldValues, projectEvents, triggerMismatch, triggerTemplates } from '../events/for-function.ts';
import { listSavedEvents, readSavedEvent } from '../events/saved.ts';
import { functionAddressed } from '../functions/address.ts';
import { tryParseHandler } from '../functions/handler.ts';
import { NODE_EXTENSIONS } from '../functions/infer.ts';
import { middlewaresOf, runtimeFamily, type FunctionSpec } from '../functions/model.ts';
import { describeRunnerChain } from '../middleware/describe.ts';
import type { DefinitionError, InvokeResult } from '../protocol.ts';
import { TOOL_NAMES, type ToolName } from './tool-names.ts';

export { TOOL_NAMES, type ToolName } from './tool-names.ts';

/** One past invocation, as get_logs tells it. */
export interface RecentInvocation {
  readonly startedAt: number;
  /** What was sent: a saved event's name, a catalogue id, "event given inline". */
  readonly eventLabel: string;
  readonly result?: InvokeResult | undefined;
  /** Why there is no result (the runner was unreachable, the request was refused). */
  readonly failure?: string | undefined;
}

/** What the tools run against: the CLI's in-process LocalLambda, or the editor's sidecar. */
export interface ToolBackend {
  /** The project's folder: saved events live under it, paths are shown relative to it. */
  readonly workspaceDir: string;
  functions(): Promise<{ functions: FunctionSpec[]; errors: DefinitionError[] }>;
  /** Runs one invocation to the end (and remembers it for recentInvocations). */
  invoke(fn: FunctionSpec, payload: string, options: { eventLabel: string; tenantId?: string | undefined }): Promise<InvokeResult>;
  /** The function's recent invocations, newest first. */
  recentInvocations(fn: FunctionSpec): Promise<readonly RecentInvocation[]>;
  /** The chain analysis of a handler file (runner/analysis), with the runner-level chains of the functions there. */
  chains(file: string): Promise<ChainReport>;
}

/** A mistake in a tool's arguments or a state the tool cannot work in: the assistant gets the sentence, as isError. */
export class ToolError extends Error {}

/** What a tool answers: a summary for the model to read, and the same facts as data. */
export interface ToolAnswer {
  readonly text: string;
  readonly structured?: Record<string, unknown>;
  readonly isError?: boolean;
}

const FunctionArg = z
  .string()
  .min(1)
  .describe('The function, by the name list_functions gives (its full path, FunctionName or logical id work too), e.g. "HelloTs".');
const FieldValues = z
  .record(z.string(), z.string())
  .describe(
    'Values for the catalogue template\'s fields, by field name (list_events shows each template\'s fields), e.g. {"method": "POST", "body": "{\\"a\\":1}"}.',
  );

export const TOOL_INPUTS = {
  list_functions: z.object({}),
  invoke_function: z.object({
    function: FunctionArg,
    event: z
      .unknown()
      .optional()
      .describe('The event itself, as a JSON value (an object, usually). Give this, or savedEvent, or catalogueEvent; none sends {}.'),
    savedEvent: z
      .string()
      .min(1)
      .optional()
      .describe('The name of one of the function\'s saved or project events, as list_events gives it (e.g. "hello-body").'),
    catalogueEvent: z
      .string()
      .min(1)
      .optional()
      .describe('The id of an event catalogue template (e.g. "apigw-http", "sqs"); filled in with the function\'s declared route and with fields.'),
    fields: FieldValues.optional(),
    tenantId: z.string().min(1).optional().describe('The tenant, for a tenant-isolated function (TenancyConfig PER_TENANT) only.'),
  }),
  get_logs: z.object({
    function: FunctionArg,
    limit: z.number().int().min(1).max(20).optional().describe('How many of the most recent invocations (default 3).'),
  }),
  list_events: z.object({
    function: FunctionArg.optional().describe('The function whose events to list; without it, the whole event catalogue.'),
  }),
  generate_event: z.object({
    template: z.string().min(1).describe('The catalogue template id, e.g. "apigw-http", "sqs", "s3-put" (list_events lists them).'),
    fields: FieldValues.optional(),
    function: FunctionArg.optional().describe("A function whose declared route (method, path) fills the template's fields first."),
  }),
  show_chain: z.object({ function: FunctionArg }),
} satisfies { [N in ToolName]: z.ZodObject };

export const TOOL_DESCRIPTIONS: Record<ToolName, { title: string; description: string }> = {
  list_functions: {
    title: 'List functions',
    description:
      "List the project's serverless functions (from template.yaml / serverless.yml / CDK): name, runtime, handler, triggers (SAM event types), HTTP routes, runner-level middlewares, and the definition file. Also the definition errors found.",
  },
  invoke_function: {
    title: 'Invoke a function',
    description:
      'Run a function locally, the way Lambda runs it, with an event, and return its response (or its error), the REPORT figures (duration, billed duration, memory, init) and its logs. The event is given inline, or by the name of a saved/project event, or as a catalogue template id with field values.',
  },
  get_logs: {
    title: 'Get logs',
    description:
      "The logs of a function's most recent invocations (newest first), each with its outcome and REPORT figures: those run through these tools (in VS Code, every invocation in the editor's Invocations history).",
  },
  list_events: {
    title: 'List events',
    description:
      "Events that fit a function: its saved events, the project's events/*.json (marked when their source is not one of the function's triggers), and the catalogue templates of its triggers with their fields. Without a function: the whole event catalogue.",
  },
  generate_event: {
    title: 'Generate an event',
    description: 'Render an AWS event from the catalogue (API Gateway, SQS, SNS, S3, EventBridge, DynamoDB, Kinesis, Cognito ...), as JSON, with field values.',
  },
  show_chain: {
    title: 'Show middleware chain',
    description:
      "A function's middleware chain: the runner-level middlewares declared for it (in order, with their hooks) and the Middy chain of its TypeScript handler, each step with the event and response types after it, and the chain's diagnostics (e.g. a validator before the body parser).",
  },
};

/** The JSON Schema of each tool's input (MCP's inputSchema, package.json's languageModelTools). */
export function toolInputSchema(name: ToolName): Record<string, unknown> {
  const { $schema: _, ...schema } = z.toJSONSchema(TOOL_INPUTS[name], { io: 'input' }) as Record<string, unknown>;
  return schema;
}

/** Runs one tool; a ToolError or a bad argument becomes an isError answer with its sentence, anything else throws. */
export async function callTool(backend: ToolBackend, name: string, args: unknown): Promise<ToolAnswer> {
  if (!(name in TOOL_INPUTS)) return { text: `There is no tool "${name}". The tools are ${TOOL_NAMES.join(', ')}.`, isError: true };
  const parsed = TOOL_INPUTS[name as ToolName].safeParse(args ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.length ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
    return { text: `Bad arguments for ${name}: ${problems}.`, isError: true };
  }
  try {
    return await TOOLS[name as ToolName](backend, parsed.data as never);
  } catch (err) {
    if (err instanceof ToolError) return { text: err.message, isError: true };
    throw err;
  }
}

type Input<N extends ToolName> = z.infer<(typeof TOOL_INPUTS)[N]>;

const TOOLS: { [N in ToolName]: (backend: ToolBackend, input: Input<N>) => Promise<ToolAnswer> } = {
  async list_functions(backend) {
    const { functions, errors } = await backend.functions();
    const rows = functions.map((fn) => describeFunction(backend.workspaceDir, fn));
    const lines = rows.map(
      (r) =>
        `- ${r.name} (${r.runtime}${r.handler ? `, handler ${r.handler}` : ''})` +
        (r.triggers.length ? `; triggers: ${r.triggers.join(', ')}` : '') +
        (r.routes.length ? `; routes: ${r.routes.join(', ')}` : '') +
        (r.middlewares.length ? `; middlewares: ${r.middlewares.join(' -> ')}` : '') +
        (r.project ? `; defined in ${r.project}` : ''),
    );
    const errorLines = errors.map((e) => `- ${relativeTo(backend.workspaceDir, e.file)}:${e.line}: ${e.message}`);
    const text =
      `${functions.length} function${functions.length === 1 ? '' : 's'} in ${backend.workspaceDir}${functions.length ? ':' : '. Add a template.yaml or serverless.yml.'}\n${lines.join('\n')}` +
      (errorLines.length ? `\nDefinition errors:\n${errorLines.join('\n')}` : '');
    return { text, structured: { functions: rows, errors } };
  },

  async invoke_function(backend, input) {
    const fn = await functionFor(backend, input.function);
    const given = [input.event !== undefined && 'event', input.savedEvent && 'savedEvent', input.catalogueEvent && 'catalogueEvent'].filter(Boolean);
    if (given.length > 1) throw new ToolError(`Give one event: ${given.join(' and ')} were both given.`);
    if (input.fields && !input.catalogueEvent) throw new ToolError('fields fill a catalogue template: give catalogueEvent with them.');
    const { payload, label } = await eventFor(backend, fn, input);
    let event: unknown;
    try {
      event = JSON.parse(payload);
    } catch (err) {
      throw new ToolError(`The event ${label} is not valid JSON (${(err as Error).message}); fix it and invoke again.`);
    }
    const hint = triggerMismatch(fn, event);
    const result = await backend.invoke(fn, payload, { eventLabel: label, tenantId: input.tenantId });
    return invocationAnswer(fn, result, label, hint);
  },

  async get_logs(backend, input) {
    const fn = await functionFor(backend, input.function);
    const recent = (await backend.recentInvocations(fn)).slice(0, input.limit ?? 3);
    if (!recent.length)
      return {
        text: `${fn.name} has not been invoked yet here: run it with invoke_function, then ask for its logs.`,
        structured: { function: fn.name, invocations: [] },
      };
    const blocks = recent.map((r) => {
      const when = new Date(r.startedAt).toISOString();
      if (!r.result) return `${when} (${r.eventLabel}): no result: ${r.failure ?? 'unknown failure'}`;
      return `${when} (${r.eventLabel}) ${outcomeLine(fn, r.result)}\n${clip(r.result.logs, MAX_LOG_CHARS) || '(no log lines)'}`;
    });
    return {
      text: `The last ${recent.length} invocation${recent.length === 1 ? '' : 's'} of ${fn.name}, newest first:\n\n${blocks.join('\n\n')}`,
      structured: {
        function: fn.name,
        invocations: recent.map((r) => ({
          startedAt: new Date(r.startedAt).toISOString(),
          event: r.eventLabel,
          ...(r.result
            ? {
                requestId: r.result.requestId,
                ok: !r.result.functionError,
                error: r.result.error,
                report: r.result.report,
                logs: clip(r.result.logs, MAX_LOG_CHARS),
              }
            : { failure: r.failure }),
        })),
      },
    };
  },

  async list_events(backend, input) {
    if (!input.function) {
      const catalogue = listEventTemplates().map((t) => ({ id: t.id, source: t.source, label: t.label, fields: t.fields.map((f) => f.name) }));
      return {
        text: `The event catalogue (${catalogue.length} templates; render one with generate_event or send it with invoke_function's catalogueEvent):\n${catalogue.map((t) => `- ${t.id}: ${t.source}, ${t.label}${t.fields.length ? ` (fields: ${t.fields.join(', ')})` : ''}`).join('\n')}`,
        structured: { catalogue },
      };
    }
    const fn = await functionFor(backend, input.function);
    const saved = await listSavedEvents(backend.workspaceDir, fn.name);
    const project = await projectEvents(fn);
    const templates = triggerTemplates(fn).map((t) => {
      const declared = declaredFieldValues(fn, t);
      return {
        id: t.id,
        source: t.source,
        label: t.label,
        fields: t.fields.map((f) => ({ name: f.name, prompt: f.prompt, default: declared[f.name] ?? f.default, ...(f.choices ? { choices: f.choices } : {}) })),
      };
    });
    const lines = [
      saved.length
        ? `Saved events (savedEvent): ${saved.map((e) => e.name).join(', ')}`
        : `No saved events (they are kept in .open-runtime/events/${fn.name}/).`,
      project.length
        ? `Project events (savedEvent):\n${project.map((e) => `- ${e.name}${e.trigger ? ` (${e.trigger} event${e.fits === false ? `, not one of ${fn.name}'s triggers` : ''})` : ''}`).join('\n')}`
        : 'No project events (events/*.json beside the template).',
      templates.length
        ? `Catalogue templates for its triggers (catalogueEvent, with fields):\n${templates.map((t) => `- ${t.id}: ${t.label}; fields: ${t.fields.map((f) => `${f.name}=${JSON.stringify(f.default)}`).join(', ') || '(none)'}`).join('\n')}`
        : `${fn.name} declares no trigger: any catalogue template can be sent (list_events without a function lists them).`,
    ];
    return {
      text: `Events for ${fn.name}:\n${lines.join('\n')}`,
      structured: {
        function: fn.name,
        saved: saved.map((e) => ({ name: e.name, path: relativeTo(backend.workspaceDir, e.path) })),
        project: project.map((e) => ({
          name: e.name,
          path: relativeTo(backend.workspaceDir, e.path),
          ...(e.trigger ? { trigger: e.trigger } : {}),
          ...(e.fits !== undefined ? { fits: e.fits } : {}),
        })),
        catalogue: templates,
      },
    };
  },

  async generate_event(backend, input) {
    const template = findEventTemplate(input.template);
    const fn = input.function ? await functionFor(backend, input.function) : undefined;
    const declared = fn && template ? declaredFieldValues(fn, template) : {};
    const text = renderOrExplain(input.template, { ...declared, ...input.fields });
    return { text, structured: { template: input.template, event: JSON.parse(text) as unknown } };
  },

  async show_chain(backend, input) {
    const fn = await functionFor(backend, input.function);
    const runner = middlewaresOf(fn).length ? describeRunnerChain(fn) : undefined;
    const source = handlerSource(fn);
    let report: ChainReport | undefined;
    if (source && /\.[mc]?[jt]s$/.test(source.file)) report = await backend.chains(source.file);
    const middy = report ? chainsOfExport(report.chains, source!.exportName) : [];
    const lines = [`${fn.name} (${fn.runtime}), handler ${fn.handler}${source ? ` in ${relativeTo(backend.workspaceDir, source.file)}` : ''}.`];
    lines.push(runner ? describeRunnerLines(runner) : 'Runner-level middlewares: none declared (Metadata.OpenRuntime.middlewares or SLSMIDDLEWARES).');
    if (!source && runtimeFamily(fn.runtime) === 'node')
      lines.push(`The handler's source file was not found under ${relativeTo(backend.workspaceDir, fn.codeUri)}.`);
    else if (runtimeFamily(fn.runtime) !== 'node') lines.push(`Middy chains: not analysed for ${fn.runtime} (TypeScript and JavaScript handlers only).`);
    else if (!middy.length) lines.push(`Middy chain: none in ${relativeTo(backend.workspaceDir, source!.file)} (the handler is not wrapped with middy()).`);
    for (const chain of middy) lines.push(describeMiddyLines(backend.workspaceDir, chain));
    const fileDiagnostics = report?.diagnostics ?? [];
    if (fileDiagnostics.length)
      lines.push(
        `Project diagnostics:\n${fileDiagnostics.map((d) => `- ${d.severity} ${d.code} at ${relativeTo(backend.workspaceDir, d.range.file)}:${d.range.start.line}: ${d.message}`).join('\n')}`,
      );
    if (report?.problems.length) lines.push(`The analysis is incomplete: ${report.problems.join(' ')}`);
    return {
      text: lines.join('\n'),
      structured: {
        function: fn.name,
        runnerChain: runner ?? null,
        middyChains: middy,
        ...(report ? { diagnostics: report.diagnostics, problems: report.problems, file: report.file } : {}),
      },
    };
  },
};

const MAX_LOG_CHARS = 20_000;
const MAX_RESPONSE_CHARS = 50_000;

/** A function by what the assistant called it, or the sentence listing the known ones. */
async function functionFor(backend: ToolBackend, address: string): Promise<FunctionSpec> {
  const { functions } = await backend.functions();
  const addressed = functionAddressed(functions, address);
  if ('problem' in addressed) throw new ToolError(`${addressed.problem} Call list_functions to see them.`);
  return addressed.fn;
}

/** What a function looks like to an assistant: what it is, what calls it, where it is defined. */
export function describeFunction(workspaceDir: string, fn: FunctionSpec) {
  return {
    name: fn.name,
    ...(fn.path && fn.path !== fn.name ? { path: fn.path } : {}),
    runtime: fn.runtime,
    handler: fn.handler,
    architecture: fn.architecture,
    memorySize: fn.memorySize,
    timeout: fn.timeout,
    codeUri: relativeTo(workspaceDir, fn.codeUri),
    triggers: fn.triggers ?? [],
    routes: (fn.httpEvents ?? []).map((e) => `${e.method} ${e.path}${e.kind === 'url' ? ' (Function URL)' : ''}`),
    middlewares: middlewaresOf(fn),
    ...(fn.durable ? { durable: true } : {}),
    ...(fn.tenantIsolation ? { tenantIsolation: fn.tenantIsolation } : {}),
    project: fn.source?.file ? `${relativeTo(workspaceDir, fn.source.file)}${fn.source.line ? `:${fn.source.line}` : ''}` : undefined,
  };
}

/** The event to send and how to name it, from the one of event / savedEvent / catalogueEvent given. */
async function eventFor(backend: ToolBackend, fn: FunctionSpec, input: Input<'invoke_function'>): Promise<{ payload: string; label: string }> {
  if (input.savedEvent) {
    const name = input.savedEvent.replace(/\.json$/, '');
    const saved = (await listSavedEvents(backend.workspaceDir, fn.name)).find((e) => e.name === name);
    const project = saved ? undefined : (await projectEvents(fn)).find((e) => e.name === name);
    const path = saved?.path ?? project?.path;
    if (!path) {
      const known = [...(await listSavedEvents(backend.workspaceDir, fn.name)), ...(await projectEvents(fn))].map((e) => e.name);
      throw new ToolError(
        `${fn.name} has no saved or project event "${name}". ${known.length ? `Its events are: ${known.join(', ')}.` : 'It has none: give the event inline, or a catalogueEvent.'}`,
      );
    }
    const check = await readSavedEvent(path).catch((err: Error) => {
      throw new ToolError(err.message);
    });
    if (!check.ok)
      throw new ToolError(
        `The event ${relativeTo(backend.workspaceDir, path)} is not valid JSON: ${check.message} (line ${check.line}, column ${check.column}).`,
      );
    return { payload: check.text, label: `event "${name}"` };
  }
  if (input.catalogueEvent) {
    const template = findEventTemplate(input.catalogueEvent);
    const declared = template ? declaredFieldValues(fn, template) : {};
    return { payload: renderOrExplain(input.catalogueEvent, { ...declared, ...input.fields }), label: `catalogue event ${input.catalogueEvent}` };
  }
  if (input.event === undefined) return { payload: '{}', label: 'an empty event {}' };
  // Models sometimes send an object as JSON text; a string holding an object or array is taken as that value.
  if (typeof input.event === 'string' && /^\s*[[{]/.test(input.event)) {
    try {
      return { payload: JSON.stringify(JSON.parse(input.event)), label: 'the event given' };
    } catch {
      // A string that only looks like JSON is sent as the string it is.
    }
  }
  return { payload: JSON.stringify(input.event), label: 'the event given' };
}

function renderOrExplain(id: string, values: Record<string, string>): string {
  try {
    return renderEventText(id, values);
  } catch (err) {
    throw new ToolError(`${(err as Error).message} (list_events shows the catalogue and each template's fields.)`);
  }
}

/** The answer of invoke_function: the outcome, the response, the figures, the logs. */
export function invocationAnswer(fn: FunctionSpec, result: InvokeResult, label: string, hint?: string): ToolAnswer {
  let response: unknown = result.payload;
  try {
    response = JSON.parse(result.payload);
  } catch {
    // Not JSON (a stream's text, a custom runtime's bytes): the text as it is.
  }
  const body = result.functionError
    ? `Error: ${result.error?.errorType ?? 'Unhandled'}: ${result.error?.errorMessage ?? result.payload}${result.error?.stackTrace?.length ? `\n${result.error.stackTrace.join('\n')}` : ''}`
    : `Response${result.httpPrelude ? ` (HTTP ${result.httpPrelude.statusCode ?? 200} ${JSON.stringify(result.httpPrelude.headers ?? {})})` : ''}:\n${clip(typeof response === 'string' ? response : JSON.stringify(response, null, 2), MAX_RESPONSE_CHARS)}`;
  const text = [
    `${outcomeLine(fn, result)} Event: ${label}.`,
    ...(hint ? [`Note: ${hint}`] : []),
    body,
    `Logs:\n${clip(result.logs, MAX_LOG_CHARS) || '(no log lines)'}`,
  ].join('\n\n');
  return {
    text,
    structured: {
      function: fn.name,
      requestId: result.requestId,
      ok: !result.functionError,
      response,
      ...(result.error ? { error: result.error } : {}),
      ...(result.httpPrelude ? { httpPrelude: result.httpPrelude } : {}),
      report: result.report,
      logs: clip(result.logs, MAX_LOG_CHARS),
      ...(hint ? { hint } : {}),
    },
  };
}

/** `HelloTs succeeded: 3.2 ms (billed 4 ms), 256 MB, 41 MB used, init 180 ms.` */
function outcomeLine(fn: FunctionSpec, result: InvokeResult): string {
  const r = result.report;
  const figures = `${r.durationMs.toFixed(1)} ms (billed ${r.billedDurationMs} ms), memory ${r.memorySizeMB} MB, max used ${r.maxMemoryUsedMB} MB${r.initDurationMs !== undefined ? `, init ${r.initDurationMs.toFixed(1)} ms` : ''}`;
  return `${fn.name} ${result.functionError ? 'failed' : 'succeeded'} (request ${result.requestId}): ${figures}.`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `[... ${text.length - max} earlier characters left out ...]\n${text.slice(-max)}`;
}

function relativeTo(workspaceDir: string, path: string): string {
  const rel = relative(workspaceDir, path);
  return rel && !rel.startsWith('..') ? rel : path;
}

/** The Node handler's source file (TypeScript first, as the runner compiles it) and its export. */
export function handlerSource(fn: FunctionSpec): { file: string; exportName: string } | undefined {
  if (runtimeFamily(fn.runtime) !== 'node') return undefined;
  const parsed = tryParseHandler(fn.handler, 'node');
  if (!parsed) return undefined;
  for (const ext of NODE_EXTENSIONS) {
    const file = join(fn.codeUri, parsed.modulePath + ext);
    if (existsSync(file)) return { file, exportName: parsed.exportPath };
  }
  return undefined;
}

/** The chains the handler export is (all of the file's when none is that export). */
function chainsOfExport(chains: MiddyChain[], exportName: string): MiddyChain[] {
  const exact = chains.filter((c) => c.name === exportName);
  return exact.length ? exact : chains;
}

function describeRunnerLines(chain: RunnerChain): string {
  const steps = chain.middlewares.map(
    (m, i) =>
      `  ${i + 1}. ${m.name} (${m.kind}${m.hooks.length ? `; hooks ${m.hooks.join(', ')}` : ''})${m.description ? `: ${m.description}` : ''}${m.problem ? ` PROBLEM: ${m.problem}` : ''}`,
  );
  return `Runner-level middlewares, in order (before hooks run first to last, after hooks last to first, around the function):\n${steps.join('\n')}`;
}

function describeMiddyLines(workspaceDir: string, chain: MiddyChain): string {
  const steps = chain.steps.map((s, i) => {
    const what = s.kind === 'origin' ? 'middy()' : s.kind === 'handler' ? 'handler' : `${s.middleware}${s.package ? ` [${s.package}]` : ''}`;
    const hooks = s.hooks.length ? ` hooks ${s.hooks.join(', ')};` : '';
    return `  ${i + 1}. ${what} (${s.kind}${s.role && s.role !== 'custom' ? `, ${s.role}` : ''});${hooks} event: ${oneLine(s.eventType)}; response: ${oneLine(s.responseType)}`;
  });
  const diagnostics = chain.diagnostics.map(
    (d) => `  - ${d.severity} ${d.code} at ${relativeTo(workspaceDir, d.range.file)}:${d.range.start.line}: ${d.message} ${d.explanation}`,
  );
  return (
    `Middy chain "${chain.name}" (${relativeTo(workspaceDir, chain.range.file)}:${chain.range.start.line}); befores run in this order, afters in reverse:\n${steps.join('\n')}` +
    (diagnostics.length ? `\n Diagnostics:\n${diagnostics.join('\n')}` : '\n No diagnostics.')
  );
}

function oneLine(type: string): string {
  const flat = type.replace(/\s+/g, ' ');
  return flat.length > 200 ? `${flat.slice(0, 200)}...` : flat;
}

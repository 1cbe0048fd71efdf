// The one shape of a chain analysis: `open-runtime chain <file.ts>` prints it, the control API returns it, the
// chain visualizer (webview/chain.ts) draws it and the tests assert on it. Positions are 1-based (line, column),
// as compilers print them; the editor subtracts one.
import { z } from 'zod';

export const Position = z.object({ line: z.number().int().min(1), column: z.number().int().min(1) });
export type Position = z.infer<typeof Position>;

export const SourceRange = z.object({ file: z.string(), start: Position, end: Position });
export type SourceRange = z.infer<typeof SourceRange>;

/** One property of a type, for the expandable view of an edge. */
export const TypeField = z.object({ name: z.string(), type: z.string(), optional: z.boolean() });
export type TypeField = z.infer<typeof TypeField>;

export const MIDDY_HOOKS = ['before', 'after', 'onError'] as const;
export const MiddyHook = z.enum(MIDDY_HOOKS);
export type MiddyHook = z.infer<typeof MiddyHook>;

/** What a known middleware does to the request, which the diagnostics reason about. */
export const MiddlewareRole = z.enum([
  'body-parser',
  'schema-parser',
  'validator',
  'error-handler',
  'header-normalizer',
  'cors',
  'logger',
  'error-logger',
  'response-serializer',
  'response-headers',
  'custom',
]);
export type MiddlewareRole = z.infer<typeof MiddlewareRole>;

export const ChainStep = z.object({
  /** What the code calls it: `httpJsonBodyParser`, `parser`, an inline hook's name, `middy` for the start. */
  middleware: z.string(),
  /** `origin` is `middy(...)`; `use` one middleware of `.use(x)` or `.use([x, y])`; `before`/`after`/`onError` a bare hook; `handler` the handler. */
  kind: z.enum(['origin', 'use', 'before', 'after', 'onError', 'handler']),
  /** The package it comes from, when imported: `@middy/http-json-body-parser`. */
  package: z.string().optional(),
  role: MiddlewareRole.optional(),
  hooks: z.array(MiddyHook),
  /** Types after this step, as the checker prints them (Middy's typings: what the user's code sees). */
  eventType: z.string(),
  contextType: z.string(),
  responseType: z.string(),
  /** What the event really is at run time when it differs from the typings (Powertools parser replaces it). */
  runtimeEventType: z.string().optional(),
  eventFields: z.array(TypeField),
  /** Index of the `.use([...])` call this step shares with its neighbours, if any. */
  group: z.number().int().optional(),
  range: SourceRange,
});
export type ChainStep = z.infer<typeof ChainStep>;

export const DIAGNOSTIC_CODES = [
  'body-not-parsed',
  'missing-field',
  'use-array-loses-types',
  'error-handler-order',
  'validate-before-parse',
  'normalize-after-read',
  'any-leak',
  'error-logged-after-handling',
  'chain-not-followed',
  'unresolved-import',
  'middy-esm-config',
] as const;
/** One text replacement (an insertion when start = end), in any file (the handler, its tsconfig.json ...). */
export const TextEdit = z.object({ range: SourceRange, newText: z.string() });
export type TextEdit = z.infer<typeof TextEdit>;

/** An edit that fixes a diagnostic and is safe to apply as is (the editor offers it as a quick fix). */
export const QuickFix = z.object({ title: z.string(), edits: z.array(TextEdit).min(1) });
export type QuickFix = z.infer<typeof QuickFix>;

export const ChainDiagnostic = z.object({
  code: z.enum(DIAGNOSTIC_CODES),
  severity: z.enum(['error', 'warning', 'info']),
  /** One sentence: what is wrong here. */
  message: z.string(),
  /** The quick explanation: why, given how Middy runs the chain, and what to do. */
  explanation: z.string(),
  range: SourceRange,
  /** The step it is about, if one. */
  step: z.number().int().optional(),
  fix: QuickFix.optional(),
});
export type ChainDiagnostic = z.infer<typeof ChainDiagnostic>;

export const MiddyChain = z.object({
  /** `handler` for `export const handler = middy(...)...`, else `middy@<line>`. */
  name: z.string(),
  exported: z.boolean(),
  range: SourceRange,
  handlerRange: SourceRange.optional(),
  steps: z.array(ChainStep),
  diagnostics: z.array(ChainDiagnostic),
});
export type MiddyChain = z.infer<typeof MiddyChain>;

/** A runner-level middleware (runner/middleware/) as the visualizer draws it. */
export const RunnerMiddleware = z.object({
  name: z.string(),
  kind: z.enum(['executable', 'long-lived', 'component', 'builtin', 'missing']),
  path: z.string().optional(),
  hooks: z.array(z.enum(['before', 'after', 'error'])),
  description: z.string().optional(),
  /** Declared JSON Schemas (executables' manifests) of what each hook reads and hands on. */
  schemas: z.record(z.string(), z.object({ input: z.unknown().optional(), output: z.unknown().optional() })).optional(),
  /** WIT of a component middleware's world. */
  wit: z.string().optional(),
  problem: z.string().optional(),
});
export type RunnerMiddleware = z.infer<typeof RunnerMiddleware>;

export const RunnerChain = z.object({ function: z.string(), runtime: z.string(), middlewares: z.array(RunnerMiddleware) });
export type RunnerChain = z.infer<typeof RunnerChain>;

export const ChainReport = z.object({
  file: z.string(),
  /** The tsconfig.json the analysis used; absent when it used defaults. */
  tsconfig: z.string().optional(),
  chains: z.array(MiddyChain),
  runnerChains: z.array(RunnerChain).default([]),
  /** Problems of the file's project rather than of one chain (the tsconfig/ESM check, unresolved imports). */
  diagnostics: z.array(ChainDiagnostic).default([]),
  /** Sentences about what kept the analysis from being complete (unreadable tsconfig ...). */
  problems: z.array(z.string()).default([]),
  durationMs: z.number(),
});
export type ChainReport = z.infer<typeof ChainReport>;

/** POST /chains (control API): analyse a file, optionally with the editor's unsaved text. */
export const ChainRequest = z.object({ file: z.string(), text: z.string().optional() });
export type ChainRequest = z.infer<typeof ChainRequest>;

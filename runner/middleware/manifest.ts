// `middlewares/<name>.json`: what a middleware declares about itself. Optional for executables (all three hooks,
// one process per hook call, the default timeout); how a middleware says it is long-lived, which hooks it has, its
// per-hook timeouts and the JSON Schema of what it reads and hands on (drawn by the chain visualizer).
import { z } from 'zod';
import { ComponentSettings } from '../functions/model.ts';

export const HOOKS = ['before', 'after', 'error'] as const;
export const Hook = z.enum(HOOKS);
export type Hook = z.infer<typeof Hook>;

/** A JSON Schema, kept as written: the runner does not enforce it, the visualizer shows it. */
const JsonSchema = z.union([z.record(z.string(), z.unknown()), z.boolean()]);

const HookSchemas = z.object({ input: JsonSchema.optional(), output: JsonSchema.optional() }).strict();

/** The capability settings of a component function, for a component middleware (relative paths: its folder). */
export const MiddlewareCapabilities = ComponentSettings.pick({ keyValue: true, config: true, messaging: true }).strict();
export type MiddlewareCapabilities = z.infer<typeof MiddlewareCapabilities>;

export const MiddlewareManifest = z
  .object({
    $schema: z.string().optional(),
    description: z.string().optional(),
    /** Started once (`<exe> serve`) and fed line-delimited JSON, instead of one process per hook call. */
    longLived: z.boolean().default(false),
    /** The hooks it implements; the others are not called (no process is started for them). */
    hooks: z
      .array(Hook)
      .min(1)
      .default([...HOOKS]),
    /** Milliseconds one hook call may take: one number for all hooks, or per hook. */
    timeoutMs: z
      .union([
        z.number().int().positive().max(900_000),
        z.object({ before: z.number().int().positive(), after: z.number().int().positive(), error: z.number().int().positive() }).partial().strict(),
      ])
      .optional(),
    /** Command to run instead of the file of the same name, relative to the middlewares folder: ["python3", "auth.py"]. */
    command: z.array(z.string().min(1)).min(1).optional(),
    /** What each hook reads (input) and hands on (output), as JSON Schema. */
    schemas: z.object({ before: HookSchemas, after: HookSchemas, error: HookSchemas }).partial().strict().optional(),
    /** A component middleware's key-value stores, config and messaging, as a component function grants them (PROVIDERS.md). */
    capabilities: MiddlewareCapabilities.optional(),
  })
  .strict();
export type MiddlewareManifest = z.infer<typeof MiddlewareManifest>;

/** A per-hook timeout when the manifest and OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS say nothing. */
export const DEFAULT_HOOK_TIMEOUT_MS = 3000;

export function hookTimeoutMs(manifest: MiddlewareManifest | undefined, hook: Hook): number {
  const declared = manifest?.timeoutMs;
  if (typeof declared === 'number') return declared;
  if (declared?.[hook]) return declared[hook];
  const fromEnv = Number(process.env.OPEN_RUNTIME_MIDDLEWARE_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : DEFAULT_HOOK_TIMEOUT_MS;
}

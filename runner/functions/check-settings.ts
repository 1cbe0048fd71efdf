// Checks on function settings shared by every definition file (template.yaml, serverless.yml), so a bad
// value gets the same sentence whichever file it came from. Each check records a Problem (line + sentence
// about the function) instead of throwing, so one function can report all of its problems at once.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DefinitionError } from '../protocol.ts';
import { DEPRECATED_RUNTIMES, FunctionSpec, RUNTIMES, type FunctionInput, type Runtime, type runtimeFamily } from './model.ts';
import { Unresolved, asRecord, describeValue } from './intrinsics.ts';
import { tryParseHandler } from './handler.ts';
import { reservedVariablesIn } from './reserved-variables.ts';

export interface Problem {
  line: number;
  /** Continues "Function "X" ...": a sentence saying what is wrong and what to do. */
  text: string;
  /** Parameters without a Default or a value that the problem comes from (the editor offers to set them). */
  missingParameters?: string[];
}

/** One DefinitionError per bad function, at the line of its first problem, naming every problem. */
export function functionError(file: string, name: string, problems: Problem[]): DefinitionError {
  // Top to bottom, as the user will read the file; the error points at the first.
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const message = sorted
    .map((p, i) => (i === 0 ? `Function "${name}" ${p.text}` : p.line === sorted[0]!.line ? `It also ${p.text}` : `Line ${p.line}: it ${p.text}`))
    .join(' ');
  const missing = [...new Set(sorted.flatMap((p) => p.missingParameters ?? []))];
  return { file, line: sorted[0]!.line, message, ...(missing.length ? { missingParameters: missing } : {}) };
}

/** Validates the assembled input with the one model; anything it rejects becomes a Problem. */
export function finishFunction(input: FunctionInput, line: number, problems: Problem[]): FunctionSpec | undefined {
  if (problems.length) return undefined;
  const parsed = FunctionSpec.safeParse(input);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    problems.push({ line, text: `has an invalid ${issue.path.join('.') || 'definition'}: ${issue.message}.` });
  }
  return undefined;
}

function shown(value: unknown): string {
  if (value === null || value === undefined) return '(empty)';
  return typeof value === 'string' ? `"${value}"` : describeValue(value);
}

function unresolvedText(setting: string, value: Unresolved): string {
  return `has ${setting} ${value.text}, which can't be resolved locally. Give the parameter a Default or write the value directly.`;
}

export function checkRuntime(value: unknown, setting: string, line: number, problems: Problem[]): Runtime | undefined {
  if (value instanceof Unresolved) {
    problems.push({ line, text: unresolvedText(setting, value) });
    return undefined;
  }
  if (typeof value === 'string' && (RUNTIMES as readonly string[]).includes(value)) return value as Runtime;
  const supported = RUNTIMES.filter((r) => !DEPRECATED_RUNTIMES[r]);
  const deprecated = RUNTIMES.filter((r) => DEPRECATED_RUNTIMES[r]);
  problems.push({
    line,
    text: `has ${setting} ${shown(value)}, which Open Runtime can't run. Use one of: ${supported.join(', ')} (Lambda's deprecated ${deprecated.join(', ')} still run too).`,
  });
  return undefined;
}

/** Node and Python handlers are FILE.EXPORT, read by the runtime's own rule (handler.ts); other runtimes take any text. */
export function checkHandler(
  value: unknown,
  setting: string,
  line: number,
  problems: Problem[],
  family: ReturnType<typeof runtimeFamily> | undefined,
): string | undefined {
  if (value instanceof Unresolved) {
    problems.push({ line, text: unresolvedText(setting, value) });
    return undefined;
  }
  if (typeof value !== 'string' || !value.trim()) {
    problems.push({ line, text: `has ${setting} ${shown(value)}, which should be text such as "app.handler".` });
    return undefined;
  }
  if ((family === 'node' || family === 'python') && !tryParseHandler(value, family)) {
    const text =
      family === 'node' && value.includes('..')
        ? `has ${setting} "${value}", which Lambda's Node runtime refuses because of its "..": name the file from CodeUri down, such as "src/app.handler".`
        : `has ${setting} "${value}", which should be the file and the exported function joined by a dot, such as "app.handler".`;
    problems.push({ line, text });
    return undefined;
  }
  return value;
}

/**
 * Lambda refuses a function whose variables name one it reserves (reserved-variables.ts) at deploy, so refuse it
 * here too, rather than run it locally with a variable that can never reach Lambda.
 */
export function checkReservedVariables(variables: Array<{ key: string; line: number }>, setting: string, problems: Problem[]): void {
  for (const { key, line } of variables) {
    if (!reservedVariablesIn([key]).length) continue;
    problems.push({
      line,
      text: `sets ${key} in ${setting}, but Lambda reserves ${key} for itself and refuses to create or update a function that sets it. Remove it: Lambda (and Open Runtime) set it.`,
    });
  }
}

function toNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  return undefined;
}

export function checkMemorySize(value: unknown, setting: string, line: number, problems: Problem[]): number | undefined {
  const n = toNumber(value);
  if (n !== undefined && Number.isInteger(n) && n >= 128 && n <= 10240) return n;
  problems.push({ line, text: `has ${setting} ${shown(value)}; it must be a whole number of MB from 128 to 10240.` });
  return undefined;
}

export function checkTimeout(value: unknown, setting: string, line: number, problems: Problem[]): number | undefined {
  const n = toNumber(value);
  if (n !== undefined && n > 0 && n <= 900) return n;
  problems.push({ line, text: `has ${setting} ${shown(value)}; it must be a number of seconds above 0 and at most 900.` });
  return undefined;
}

export function checkArchitecture(value: unknown, setting: string, line: number, problems: Problem[], asList: boolean): 'x86_64' | 'arm64' | undefined {
  const single = asList ? (Array.isArray(value) && value.length === 1 ? value[0] : undefined) : value;
  if (single === 'x86_64' || single === 'arm64') return single;
  const example = asList ? '[arm64]' : 'arm64';
  problems.push({ line, text: `has ${setting} ${shown(value)}; it must be ${asList ? 'a list with one of' : 'one of'} x86_64 or arm64, such as ${example}.` });
  return undefined;
}

/**
 * A code location must be a local folder: S3 locations, inline code and zip files can't be run as they are.
 * Returns the absolute folder.
 */
export function checkCodeFolder(value: unknown, setting: string, baseDir: string, line: number, problems: Problem[]): string | undefined {
  if (value instanceof Unresolved) {
    problems.push({ line, text: unresolvedText(setting, value) });
    return undefined;
  }
  const record = asRecord(value);
  const inS3 = (typeof value === 'string' && value.startsWith('s3://')) || 'Bucket' in record || 'S3Bucket' in record;
  if (inS3) {
    problems.push({
      line,
      text: `has ${setting} in S3 (${describeValue(value)}), which can't run locally, and no Metadata "aws:asset:path" naming a local copy. Point ${setting} at the local folder holding the code (a CDK app's cdk.out from "cdk synth" names its assets).`,
    });
    return undefined;
  }
  if (typeof value !== 'string' || !value.trim()) {
    problems.push({ line, text: `has ${setting} ${shown(value)}; it must be the path of the local folder holding the code, such as "./src".` });
    return undefined;
  }
  const folder = resolve(baseDir, value);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(folder).isDirectory();
  } catch {
    problems.push({ line, text: `has ${setting} "${value}", but ${folder} doesn't exist. Create the folder or fix the path.` });
    return undefined;
  }
  if (!isDirectory) {
    problems.push({
      line,
      text: `has ${setting} "${value}", which is a file; Open Runtime runs code from a folder. Point ${setting} at the folder holding the (unzipped) code.`,
    });
    return undefined;
  }
  return folder;
}

export const OPEN_RUNTIME_SETTINGS = ['concurrency', 'runtimeClient', 'middlewares'] as const;

type OpenRuntimeInput = Pick<FunctionInput, 'concurrency' | 'runtimeClient' | 'middlewares' | 'component'>;

/**
 * Project-specific settings (`Metadata.OpenRuntime` in a template, `custom.openRuntime.functions.<name>`
 * in serverless.yml). Unknown keys are reported: a misspelt setting that silently does nothing is worse.
 */
export function checkOpenRuntimeSettings(entries: { key: string; line: number; value: unknown }[], where: string, problems: Problem[]): OpenRuntimeInput {
  const out: OpenRuntimeInput = {};
  for (const { key, line, value } of entries) {
    if (key === 'concurrency') {
      const n = toNumber(value);
      if (n !== undefined && Number.isInteger(n) && n >= 1 && n <= 1000) out.concurrency = n;
      else problems.push({ line, text: `has ${where}.concurrency ${shown(value)}; it must be a whole number from 1 to 1000.` });
    } else if (key === 'runtimeClient') {
      if (value === 'open-runtime' || value === 'aws-lambda-ric') out.runtimeClient = value;
      else problems.push({ line, text: `has ${where}.runtimeClient ${shown(value)}; it must be "open-runtime" or "aws-lambda-ric".` });
    } else if (key === 'middlewares') {
      if (Array.isArray(value) && value.every((m) => typeof m === 'string' && m.trim())) out.middlewares = value as string[];
      else problems.push({ line, text: `has ${where}.middlewares ${shown(value)}; it must be a list of middleware names, such as [cors, logger].` });
    } else if (key === 'component') {
      const component = checkComponentSettings(value, `${where}.component`, line, problems);
      if (component) out.component = component;
    } else {
      problems.push({
        line,
        text: `has an unknown ${where} setting "${key}"; the settings are ${OPEN_RUNTIME_SETTINGS.join(', ')}. Runtime wasi functions also take component.`,
      });
    }
  }
  return out;
}

const COMPONENT_SETTINGS = ['world', 'reuseInstance', 'preopens', 'allowedHosts', 'keyValue', 'config', 'messaging', 'build'] as const;

/**
 * The settings of a WASI component function (Runtime wasi):
 *   component:
 *     world: handler | http         # the project's handler world (default) or wasi:http
 *     reuseInstance: false          # true keeps one instance across invocations (state persists)
 *     preopens: [{ host: ./data, guest: /data, readOnly: true }]
 *     allowedHosts: [api.example.com]
 *     keyValue: { default: local, cache: { provider: exec, command: [python3, kv.py] } }
 *     config: { values: { greeting: Hello }, envFile: config.env }      # or { provider: exec, command: [...] }
 *     messaging: { subjects: { orders: OrderFunction } }                # or { provider: exec, command: [...] }
 *     build: { language: js | c, source: index.js, backend: starlingmonkey | quickjs }
 */
export function checkComponentSettings(value: unknown, where: string, line: number, problems: Problem[]): NonNullable<FunctionInput['component']> | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value) || value instanceof Unresolved) {
    problems.push({ line, text: `has ${where} ${shown(value)}; it must be a mapping such as "component: { world: handler }".` });
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const out: NonNullable<FunctionInput['component']> = {};
  const before = problems.length;
  const bad = (text: string) => problems.push({ line, text });
  for (const [key, v] of Object.entries(record)) {
    if (key === 'world') {
      if (v === 'handler' || v === 'http') out.world = v;
      else bad(`has ${where}.world ${shown(v)}; it must be "handler" (the project's handler world) or "http" (a wasi:http component).`);
    } else if (key === 'reuseInstance') {
      if (typeof v === 'boolean') out.reuseInstance = v;
      else bad(`has ${where}.reuseInstance ${shown(v)}; it must be true or false.`);
    } else if (key === 'allowedHosts') {
      if (Array.isArray(v) && v.every((h) => typeof h === 'string' && h.trim())) out.allowedHosts = v as string[];
      else bad(`has ${where}.allowedHosts ${shown(v)}; it must be a list of host names, such as [api.example.com, "*.example.org", "localhost:8080"].`);
    } else if (key === 'preopens') {
      const list = Array.isArray(v) ? v : undefined;
      const preopens = list?.map((p) => asRecord(p));
      const valid = preopens?.every(
        (p) =>
          typeof p.host === 'string' &&
          p.host.trim() &&
          typeof p.guest === 'string' &&
          p.guest.startsWith('/') &&
          (p.readOnly === undefined || typeof p.readOnly === 'boolean') &&
          Object.keys(p).every((k) => ['host', 'guest', 'readOnly'].includes(k)),
      );
      if (preopens && valid)
        out.preopens = preopens.map((p) => ({
          host: p.host as string,
          guest: p.guest as string,
          ...(p.readOnly !== undefined ? { readOnly: p.readOnly as boolean } : {}),
        }));
      else
        bad(
          `has ${where}.preopens ${shown(v)}; it must be a list of { host: ./folder, guest: /path, readOnly: true }, the host folder relative to CodeUri and the guest path absolute.`,
        );
    } else if (key === 'keyValue') {
      const stores = v && typeof v === 'object' && !Array.isArray(v) ? Object.entries(v as Record<string, unknown>) : undefined;
      if (!stores) {
        bad(`has ${where}.keyValue ${shown(v)}; it must map each store name the component opens to its provider, such as "keyValue: { default: local }".`);
        continue;
      }
      const served: Record<string, CapabilityProviderInput> = {};
      for (const [store, spec] of stores) {
        const provider = checkProvider(spec, `${where}.keyValue.${store}`, [], bad);
        if (provider) served[store] = provider;
      }
      out.keyValue = served;
    } else if (key === 'config') {
      const config = checkProvider(v, `${where}.config`, ['values', 'envFile'], bad);
      const values = asRecord(v).values;
      const envFile = asRecord(v).envFile;
      if (
        values !== undefined &&
        (!values ||
          typeof values !== 'object' ||
          Array.isArray(values) ||
          !Object.values(values).every((x) => typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean'))
      ) {
        bad(`has ${where}.config.values ${shown(values)}; it must map keys to text values, such as "values: { greeting: Hello }".`);
      } else if (envFile !== undefined && (typeof envFile !== 'string' || !envFile.trim())) {
        bad(`has ${where}.config.envFile ${shown(envFile)}; it must be a KEY=value file relative to CodeUri, such as config.env.`);
      } else if (config) {
        out.config = {
          ...config,
          ...(values ? { values: Object.fromEntries(Object.entries(values as Record<string, unknown>).map(([k, x]) => [k, String(x)])) } : {}),
          ...(envFile ? { envFile: envFile as string } : {}),
        };
      }
    } else if (key === 'messaging') {
      const messaging = checkProvider(v, `${where}.messaging`, ['subjects'], bad);
      const subjects = asRecord(v).subjects;
      if (
        subjects !== undefined &&
        (!subjects || typeof subjects !== 'object' || Array.isArray(subjects) || !Object.values(subjects).every((x) => typeof x === 'string' && x.trim()))
      ) {
        bad(
          `has ${where}.messaging.subjects ${shown(subjects)}; it must map each subject to the local function it invokes, such as "subjects: { orders: OrderFunction }".`,
        );
      } else if (messaging) {
        out.messaging = { ...messaging, ...(subjects ? { subjects: subjects as Record<string, string> } : {}) };
      }
    } else if (key === 'build') {
      const b = asRecord(v);
      const language = b.language;
      const backend = b.backend;
      const unknown = Object.keys(b).filter((k) => !['language', 'source', 'backend'].includes(k));
      if (language !== 'js' && language !== 'c')
        bad(`has ${where}.build.language ${shown(language)}; it must be "js" (componentize-js) or "c" (clang, wasm32-wasi).`);
      else if (typeof b.source !== 'string' || !b.source.trim())
        bad(`has ${where}.build.source ${shown(b.source)}; it must be the source file relative to CodeUri, such as index.js or hello.c.`);
      else if (backend !== undefined && backend !== 'starlingmonkey' && backend !== 'quickjs')
        bad(`has ${where}.build.backend ${shown(backend)}; it must be "starlingmonkey" (the default) or "quickjs".`);
      else if (backend !== undefined && language !== 'js') bad(`has ${where}.build.backend, which only applies to language js.`);
      else if (unknown.length) bad(`has an unknown ${where}.build setting "${unknown[0]}"; the settings are language, source, backend.`);
      else out.build = { language, source: b.source, ...(backend ? { backend } : {}) };
    } else {
      bad(`has an unknown ${where} setting "${key}"; the settings are ${COMPONENT_SETTINGS.join(', ')}.`);
    }
  }
  return problems.length === before ? out : undefined;
}

type CapabilityProviderInput = { provider?: 'local' | 'exec'; command?: string[]; timeoutMs?: number };

/**
 * A capability's provider: `local` (shorthand for { provider: local }), or { provider: exec, command: [program, args...] }.
 * `extra` are the other settings the capability takes beside the provider.
 */
function checkProvider(value: unknown, where: string, extra: string[], bad: (text: string) => void): CapabilityProviderInput | undefined {
  if (value === 'local' || value === null || value === undefined) return { provider: 'local' };
  if (value === 'exec') {
    bad(`has ${where} "exec" without a command; write { provider: exec, command: [python3, provider.py] }.`);
    return undefined;
  }
  if (typeof value !== 'object' || Array.isArray(value) || value instanceof Unresolved) {
    bad(`has ${where} ${shown(value)}; it must be "local" or { provider: exec, command: [program, args...] }.`);
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const known = ['provider', 'command', 'timeoutMs', ...extra];
  const unknown = Object.keys(record).filter((k) => !known.includes(k));
  if (unknown.length) {
    bad(`has an unknown ${where} setting "${unknown[0]}"; the settings are ${known.join(', ')}.`);
    return undefined;
  }
  const timeoutMs = record.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && Number.isInteger(timeoutMs) && timeoutMs > 0)) {
    bad(`has ${where}.timeoutMs ${shown(timeoutMs)}; it must be a whole number of milliseconds, such as 5000.`);
    return undefined;
  }
  const provider = record.provider ?? (record.command ? 'exec' : 'local');
  if (provider !== 'local' && provider !== 'exec') {
    bad(`has ${where}.provider ${shown(provider)}; it must be "local" (built into the runner) or "exec" (a program, see PROVIDERS.md).`);
    return undefined;
  }
  const command = record.command;
  if (provider === 'exec') {
    const list = typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : command;
    if (!Array.isArray(list) || !list.length || !list.every((c) => typeof c === 'string' && c)) {
      bad(`has ${where}.command ${shown(command)}; an exec provider needs the program and its arguments, such as [python3, provider.py].`);
      return undefined;
    }
    return { provider, command: list as string[], ...(timeoutMs !== undefined ? { timeoutMs: timeoutMs as number } : {}) };
  }
  if (command !== undefined) {
    bad(`has ${where}.command, but its provider is local; set "provider: exec" to run a program.`);
    return undefined;
  }
  return { provider };
}

/**
 * Checks that need the whole function: a wasi function's Handler is its .wasm file, component settings
 * belong to wasi functions only, and preopened host folders must exist.
 */
export function checkComponentFunction(input: FunctionInput, handlerLine: number | undefined, line: number, problems: Problem[]): void {
  if (input.runtime !== 'wasi') {
    if (input.component)
      problems.push({ line, text: `has component settings, which only apply to Runtime wasi (WebAssembly components); remove them or set "Runtime: wasi".` });
    return;
  }
  if (!input.handler) {
    problems.push({
      line: handlerLine ?? line,
      text: 'has no Handler. For Runtime wasi, Handler is the component\'s .wasm file relative to CodeUri, such as "Handler: build/hello.wasm".',
    });
  } else if (!input.handler.endsWith('.wasm')) {
    problems.push({
      line: handlerLine ?? line,
      text: `has Handler "${input.handler}"; for Runtime wasi it is the component's .wasm file relative to CodeUri, such as "build/hello.wasm".`,
    });
  }
  for (const preopen of input.component?.preopens ?? []) {
    const folder = resolve(input.codeUri, preopen.host);
    let isDirectory = false;
    try {
      isDirectory = statSync(folder).isDirectory();
    } catch {
      // reported below
    }
    if (!isDirectory)
      problems.push({
        line,
        text: `preopens "${preopen.host}" for the component, but ${folder} is not a folder. Create it or fix component.preopens (host paths are relative to CodeUri).`,
      });
  }
}

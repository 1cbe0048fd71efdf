// Checks on function settings shared by every definition file (template.yaml, serverless.yml), so a bad
// value gets the same sentence whichever file it came from. Each check records a Problem (line + sentence
// about the function) instead of throwing, so one function can report all of its problems at once.
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { DefinitionError } from '../protocol.ts';
import { FunctionSpec, RUNTIMES, type FunctionInput, type Runtime } from './model.ts';
import { Unresolved, asRecord, describeValue } from './intrinsics.ts';

export interface Problem {
  line: number;
  /** Continues "Function "X" ...": a sentence saying what is wrong and what to do. */
  text: string;
}

/** One DefinitionError per bad function, at the line of its first problem, naming every problem. */
export function functionError(file: string, name: string, problems: Problem[]): DefinitionError {
  // Top to bottom, as the user will read the file; the error points at the first.
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  const message = sorted
    .map((p, i) => (i === 0 ? `Function "${name}" ${p.text}` : p.line === sorted[0]!.line ? `It also ${p.text}` : `Line ${p.line}: it ${p.text}`))
    .join(' ');
  return { file, line: sorted[0]!.line, message };
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
  problems.push({ line, text: `has ${setting} ${shown(value)}, which Open Runtime can't run. Use one of: ${RUNTIMES.join(', ')}.` });
  return undefined;
}

/** Node and Python handlers are `path/file.export`; the module part must have the dot. */
export function checkHandler(value: unknown, setting: string, line: number, problems: Problem[], needsExport: boolean): string | undefined {
  if (value instanceof Unresolved) {
    problems.push({ line, text: unresolvedText(setting, value) });
    return undefined;
  }
  if (typeof value !== 'string' || !value.trim()) {
    problems.push({ line, text: `has ${setting} ${shown(value)}, which should be text such as "app.handler".` });
    return undefined;
  }
  const afterSlash = value.slice(value.lastIndexOf('/') + 1);
  if (needsExport && !/^[^.]+\.[^.].*$/.test(afterSlash)) {
    problems.push({ line, text: `has ${setting} "${value}", which should be the file and the exported function joined by a dot, such as "app.handler".` });
    return undefined;
  }
  return value;
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
    problems.push({ line, text: `has ${setting} in S3 (${describeValue(value)}), which can't run locally. Point ${setting} at the local folder holding the code.` });
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
    problems.push({ line, text: `has ${setting} "${value}", which is a file; Open Runtime runs code from a folder. Point ${setting} at the folder holding the (unzipped) code.` });
    return undefined;
  }
  return folder;
}

export const OPEN_RUNTIME_SETTINGS = ['concurrency', 'runtimeClient', 'middlewares'] as const;

/**
 * Project-specific settings (`Metadata.OpenRuntime` in a template, `custom.openRuntime.functions.<name>`
 * in serverless.yml). Unknown keys are reported: a misspelt setting that silently does nothing is worse.
 */
export function checkOpenRuntimeSettings(
  entries: { key: string; line: number; value: unknown }[],
  where: string,
  problems: Problem[],
): Pick<FunctionInput, 'concurrency' | 'runtimeClient' | 'middlewares'> {
  const out: Pick<FunctionInput, 'concurrency' | 'runtimeClient' | 'middlewares'> = {};
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
    } else {
      problems.push({ line, text: `has an unknown ${where} setting "${key}"; the settings are ${OPEN_RUNTIME_SETTINGS.join(', ')}.` });
    }
  }
  return out;
}

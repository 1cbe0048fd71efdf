// Saved events as tests: what a saved event's invocation should answer, kept beside the event as
// `.open-runtime/events/<function>/<name>.expected.json` (diff-friendly JSON, committed with the event), and the one
// rule that compares an invocation's outcome with it. `open-runtime test` and the editor's Test Explorer both use it.
//
//   { "match": "exact",  "response": { ... } }            the whole response (a snapshot)
//   { "match": "subset", "response": { "statusCode": 200 } } only what is written must be there (ids, timestamps left out)
//   { "errorType": "Runtime.ExitError", "errorMessage": "..." } the invocation must fail with that error type (and message)
//
// A string holding JSON (an API Gateway response's `body`) matches an expected object or array by its parsed value, and
// snapshots store such a `body` parsed, so a diff shows the field that changed rather than one long string.
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { writeAtomically } from './saved.ts';

/** A saved event `<name>.json` has its expectation in `<name>.expected.json`. */
export const EXPECTED_SUFFIX = '.expected.json';

export const Expectation = z
  .object({
    /** exact: the response must equal `response`; subset: every field `response` has must be in the response, equal. */
    match: z.enum(['exact', 'subset']).default('exact'),
    /** The expected response payload (any JSON; a string for a response that is not JSON). */
    response: z.unknown().optional(),
    /** The invocation must fail with this Lambda error type (`Runtime.ExitError`, `Error`, a custom `OrderNotFound` ...). */
    errorType: z.string().min(1).optional(),
    /** With errorType: the error's message must equal this. */
    errorMessage: z.string().optional(),
  })
  .strict();
export type Expectation = z.infer<typeof Expectation>;

/** What an invocation answered, as the comparison needs it (from an InvokeResult or the CLI's own invoke). */
export interface Outcome {
  /** The response payload as text. */
  payload: string;
  /** Set when the invocation failed. */
  error?: { errorType: string; errorMessage: string } | undefined;
}

export interface Verdict {
  passed: boolean;
  /** One line: `matches the expected response`, `no expectation`, `expected Runtime.ExitError, it succeeded` ... */
  summary: string;
  /** Each difference at its JSON path: `$.body.message: expected "Hi", got "Hello"`. */
  problems: string[];
  /** Expected and actual as pretty JSON (the actual cut down to the expected fields for `subset`), for a diff view. */
  expected?: string;
  actual?: string;
  /** A line diff of the two (`-` expected, `+` actual), for terminals and JUnit reports. */
  diff?: string;
}

/** The expectation file of a saved event file. */
export function expectationPathOf(eventFile: string): string {
  return eventFile.replace(/\.json$/i, '') + EXPECTED_SUFFIX;
}

export function isExpectationFile(file: string): boolean {
  return file.toLowerCase().endsWith(EXPECTED_SUFFIX);
}

export type ReadExpectation = { kind: 'none' } | { kind: 'ok'; expectation: Expectation; text: string } | { kind: 'invalid'; message: string };

/** The expectation of a saved event: none, one, or a sentence saying what is wrong with the file. */
export async function readExpectation(eventFile: string): Promise<ReadExpectation> {
  const file = expectationPathOf(eventFile);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'none' };
    return { kind: 'invalid', message: `Could not read ${file}: ${(error as Error).message}.` };
  }
  return parseExpectation(text, file);
}

export function parseExpectation(text: string, file = 'the expectation'): ReadExpectation {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    return { kind: 'invalid', message: `${file} is not valid JSON (${(error as Error).message}); fix it or delete it to record a new snapshot.` };
  }
  const parsed = Expectation.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? ` at "${issue.path.join('.')}"` : '';
    return {
      kind: 'invalid',
      message: `${file}${where}: ${issue.message}. An expectation has "match" ("exact" or "subset"), "response", "errorType" and "errorMessage" only.`,
    };
  }
  return { kind: 'ok', expectation: parsed.data, text };
}

/** Writes an expectation (pretty JSON, a newline at the end, atomically). */
export async function writeExpectation(eventFile: string, expectation: Expectation): Promise<string> {
  const file = expectationPathOf(eventFile);
  await writeAtomically(file, expectationText(expectation));
  return file;
}

export function expectationText(expectation: Expectation): string {
  const ordered: Record<string, unknown> = { match: expectation.match };
  if ('response' in expectation) ordered.response = expectation.response;
  if (expectation.errorType !== undefined) ordered.errorType = expectation.errorType;
  if (expectation.errorMessage !== undefined) ordered.errorMessage = expectation.errorMessage;
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** The snapshot of an outcome: the whole response (its JSON `body` parsed), or the error's type and message. */
export function snapshotOf(outcome: Outcome): Expectation {
  if (outcome.error) return { match: 'exact', errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage };
  const value = valueOf(outcome.payload);
  if (isObject(value) && typeof value.body === 'string') {
    const body = parsedJson(value.body);
    if (body !== undefined && typeof body === 'object' && body !== null) return { match: 'exact', response: { ...value, body } };
  }
  return { match: 'exact', response: value };
}

/** Compares an outcome with an expectation (none: it passes when the invocation did not fail). */
export function checkOutcome(expectation: Expectation | undefined, outcome: Outcome): Verdict {
  const failure = outcome.error ? `${outcome.error.errorType}: ${outcome.error.errorMessage}` : undefined;
  if (!expectation) {
    return failure
      ? { passed: false, summary: `no expectation, and the invocation failed: ${failure}`, problems: [`the invocation failed: ${failure}`] }
      : { passed: true, summary: 'no expectation (passes when the invocation does not fail)', problems: [] };
  }
  const problems: string[] = [];
  if (expectation.errorType !== undefined) {
    if (!outcome.error) problems.push(`expected the invocation to fail with ${expectation.errorType}, and it succeeded`);
    else {
      if (outcome.error.errorType !== expectation.errorType)
        problems.push(`expected error type ${expectation.errorType}, got ${outcome.error.errorType} (${outcome.error.errorMessage})`);
      if (expectation.errorMessage !== undefined && outcome.error.errorMessage !== expectation.errorMessage)
        problems.push(`expected error message ${JSON.stringify(expectation.errorMessage)}, got ${JSON.stringify(outcome.error.errorMessage)}`);
    }
  } else if (failure) {
    problems.push(`the invocation failed: ${failure}`);
  }
  let expected: string | undefined;
  let actual: string | undefined;
  if ('response' in expectation) {
    const subset = expectation.match === 'subset';
    const got = alignJson(expectation.response, valueOf(outcome.payload));
    compareValues(expectation.response, got, '$', subset, problems);
    expected = pretty(expectation.response);
    actual = pretty(subset ? projectOnto(got, expectation.response) : got);
  }
  if (problems.length === 0) {
    const what =
      expectation.errorType !== undefined ? `fails with ${expectation.errorType} as expected` : `matches the expected response (${expectation.match})`;
    return { passed: true, summary: what, problems };
  }
  const verdict: Verdict = { passed: false, summary: problems[0]!, problems };
  if (expected !== undefined && actual !== undefined) {
    verdict.expected = expected;
    verdict.actual = actual;
    if (expected !== actual) verdict.diff = lineDiff(expected, actual);
  } else if (expectation.errorType !== undefined) {
    verdict.expected = pretty({
      errorType: expectation.errorType,
      ...(expectation.errorMessage !== undefined ? { errorMessage: expectation.errorMessage } : {}),
    });
    verdict.actual = pretty(outcome.error ? { errorType: outcome.error.errorType, errorMessage: outcome.error.errorMessage } : valueOf(outcome.payload));
    verdict.diff = lineDiff(verdict.expected, verdict.actual);
  }
  return verdict;
}

/** A payload as JSON when it is JSON, else as the text it is. */
function valueOf(payload: string): unknown {
  const value = parsedJson(payload);
  return value === undefined ? payload : value;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The actual value with every string that holds JSON parsed where the expectation has an object or array there. */
function alignJson(expected: unknown, actual: unknown): unknown {
  if (typeof actual === 'string' && typeof expected === 'object' && expected !== null) {
    const parsed = parsedJson(actual);
    if (typeof parsed === 'object' && parsed !== null) return alignJson(expected, parsed);
    return actual;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) return actual.map((item, i) => (i < expected.length ? alignJson(expected[i], item) : item));
  if (isObject(expected) && isObject(actual)) {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(actual)) out[key] = key in expected ? alignJson(expected[key], value) : value;
    return out;
  }
  return actual;
}

/** The actual value with only the fields the (subset) expectation names, so a diff shows only what matters. */
function projectOnto(actual: unknown, expected: unknown): unknown {
  if (isObject(expected) && isObject(actual)) {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(expected)) if (key in actual) out[key] = projectOnto(actual[key], expected[key]);
    return out;
  }
  if (Array.isArray(expected) && Array.isArray(actual)) return actual.map((item, i) => (i < expected.length ? projectOnto(item, expected[i]) : item));
  return actual;
}

const MAX_PROBLEMS = 20;

function compareValues(expected: unknown, actual: unknown, at: string, subset: boolean, problems: string[]): void {
  if (problems.length >= MAX_PROBLEMS) return;
  if (Array.isArray(expected)) {
    if (!Array.isArray(actual)) return void problems.push(`${at}: expected an array, got ${describe(actual)}`);
    if (actual.length !== expected.length) problems.push(`${at}: expected ${expected.length} items, got ${actual.length}`);
    for (let i = 0; i < Math.min(expected.length, actual.length); i++) compareValues(expected[i], actual[i], `${at}[${i}]`, subset, problems);
    return;
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return void problems.push(`${at}: expected an object, got ${describe(actual)}`);
    for (const [key, value] of Object.entries(expected)) {
      const path = `${at}${/^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`}`;
      if (!(key in actual)) problems.push(`${path}: missing (expected ${describe(value)})`);
      else compareValues(value, actual[key], path, subset, problems);
    }
    if (!subset) {
      for (const key of Object.keys(actual)) if (!(key in expected)) problems.push(`${at}.${key}: not expected (got ${describe(actual[key])})`);
    }
    return;
  }
  if (expected !== actual) problems.push(`${at}: expected ${describe(expected)}, got ${describe(actual)}`);
}

function describe(value: unknown): string {
  const text = value === undefined ? 'nothing' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function pretty(value: unknown): string {
  return typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? 'undefined');
}

/**
 * A line diff of two texts (`- ` expected, `+ ` actual, `  ` both), with up to 3 unchanged lines around each change and
 * `...` for the rest: a longest common subsequence, fine for the size of a function's response.
 */
export function lineDiff(expected: string, actual: string, context = 3): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  if (a.length * b.length > 4_000_000) return [...a.map((l) => `- ${l}`), ...b.map((l) => `+ ${l}`)].join('\n');
  // lcs[i][j]: the longest common subsequence of a[i..] and b[j..].
  const lcs: Uint32Array[] = Array.from({ length: a.length + 1 }, () => new Uint32Array(b.length + 1));
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  const lines: Array<{ mark: ' ' | '-' | '+'; text: string }> = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      lines.push({ mark: ' ', text: a[i]! });
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) lines.push({ mark: '-', text: a[i++]! });
    else lines.push({ mark: '+', text: b[j++]! });
  }
  if (lines.every((line) => line.mark === ' ')) return lines.map((line) => `  ${line.text}`).join('\n');
  const keep = lines.map((line, k) => line.mark !== ' ' || lines.slice(Math.max(0, k - context), k + context + 1).some((l) => l.mark !== ' '));
  const out: string[] = [];
  for (let k = 0; k < lines.length; k++) {
    if (keep[k]) out.push(`${lines[k]!.mark} ${lines[k]!.text}`);
    else if (k === 0 || keep[k - 1]) out.push('  ...');
  }
  return out.join('\n');
}

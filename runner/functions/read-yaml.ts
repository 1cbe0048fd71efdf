// Reads a definition file (YAML or JSON) keeping what discovery needs and plain YAML libraries drop:
// the line of every node, for errors and CodeLenses, and CloudFormation's short-form tags (`!Ref`,
// `!Sub`, ...), which become their long forms (`{ Ref: ... }`, `{ 'Fn::Sub': ... }`) instead of warnings.
import { basename } from 'node:path';
import type { DefinitionError } from '../protocol.ts';
import type { AlbActionRule, FunctionSpec } from './model.ts';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document } from 'yaml';

/** Short-form CloudFormation tags and the long-form key each stands for. */
const INTRINSIC_TAGS: Record<string, string> = {
  '!Ref': 'Ref',
  '!Condition': 'Condition',
  '!Sub': 'Fn::Sub',
  '!GetAtt': 'Fn::GetAtt',
  '!Join': 'Fn::Join',
  '!If': 'Fn::If',
  '!Select': 'Fn::Select',
  '!Split': 'Fn::Split',
  '!FindInMap': 'Fn::FindInMap',
  '!ImportValue': 'Fn::ImportValue',
  '!GetAZs': 'Fn::GetAZs',
  '!Base64': 'Fn::Base64',
  '!Cidr': 'Fn::Cidr',
  '!Equals': 'Fn::Equals',
  '!And': 'Fn::And',
  '!Or': 'Fn::Or',
  '!Not': 'Fn::Not',
  '!Transform': 'Fn::Transform',
  '!Length': 'Fn::Length',
  '!ToJsonString': 'Fn::ToJsonString',
};

/** What reading one definition file (template.yaml, serverless.yml) gives: its functions and its problems. */
export interface Definitions {
  functions: FunctionSpec[];
  errors: DefinitionError[];
  /** What was passed over on purpose and why (a nested stack only in S3, ...): not mistakes, but never silent. */
  skipped?: DefinitionError[];
  /** ALB listener rules and default actions that redirect or answer with a fixed response (they have no function). */
  albActions?: AlbActionRule[];
  /** Other definition files this one brought in (nested applications' templates), so a caller can watch them too. */
  included?: string[];
  /** A nested template's Outputs, resolved in it, for the parent's `!GetAtt Child.Outputs.Name`. */
  outputs?: Record<string, unknown>;
}

export interface SyntaxProblem {
  /** The yaml library's error code, e.g. BAD_INDENT, DUPLICATE_KEY, BAD_ALIAS. */
  code: string;
  line: number;
  message: string;
}

export interface YamlFile {
  file: string;
  doc: Document.Parsed;
  syntaxErrors: SyntaxProblem[];
  /** 1-based line where a node starts; 0 when it has no position. */
  lineOf(node: unknown): number;
  /** The node as plain data, with intrinsic tags turned into their long forms. */
  plain(node: unknown): unknown;
}

export interface Entry {
  key: string;
  /** Line of the key, which is where a person looks for the setting. */
  line: number;
  value: unknown;
}

export function parseYaml(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  // merge: true so `<<: *defaults` (common in serverless.yml) works; prettyErrors off so messages stay one sentence.
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  const syntaxErrors = doc.errors.map((e) => ({
    code: e.code,
    line: lineAt(e.pos[0]),
    message: e.message.replace(/\s+at line \d+, column \d+:?[\s\S]*$/, '').trim(),
  }));
  const lineOf = (node: unknown): number => {
    const range = (node as { range?: [number, number, number] } | null)?.range;
    return range ? lineAt(range[0]) : 0;
  };
  const plain = (node: unknown): unknown => toPlain(node, doc, 0);
  return { file, doc, syntaxErrors, lineOf, plain };
}

/** The key/value pairs of a mapping node, in file order; empty for anything else. */
export function entriesOf(node: unknown, yaml: YamlFile): Entry[] {
  if (!isMap(node)) return [];
  const entries: Entry[] = [];
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : String(yaml.plain(pair.key));
    entries.push({ key, line: yaml.lineOf(pair.key), value: pair.value });
  }
  return entries;
}

export interface BrokenEntry {
  key: string;
  line: number;
  message: string;
}

export interface IsolatedParse {
  yaml: YamlFile;
  /** Children of the section whose own text is not valid YAML; they were cut out of `yaml`. */
  broken: BrokenEntry[];
  /** YAML errors outside those children: the file as a whole can't be trusted. */
  fileErrors: SyntaxProblem[];
}

/**
 * Parses a definition file so that a YAML mistake inside one function (an unclosed quote, a tab, a bad
 * indent) breaks only that function. When the file has errors, each child of the top-level block
 * `section` (Resources, functions) is parsed on its own; the ones that fail are blanked out, keeping
 * their lines so every line number stays true, and the rest is parsed again. The children are found
 * by indentation alone, because a broken child can swallow its neighbours in a normal parse.
 */
export function parseIsolating(text: string, file: string, section: string): IsolatedParse {
  const first = parseYaml(text, file);
  if (!first.syntaxErrors.length) return { yaml: first, broken: [], fileErrors: [] };
  const lines = text.split('\n');
  const broken: BrokenEntry[] = [];
  for (const child of blockChildren(lines, section)) {
    const own = parseYaml(lines.slice(child.first, child.last + 1).join('\n'), file);
    // An alias to an anchor elsewhere in the file is only an error out of context.
    const problem = own.syntaxErrors.find((e) => e.code !== 'BAD_ALIAS');
    if (!problem) continue;
    // The whole file's parse words some mistakes better (it knows the context); use it when it points here.
    const inContext = first.syntaxErrors.find((e) => e.line - 1 >= child.first && e.line - 1 <= child.last && e.code !== 'BAD_ALIAS');
    const reported = inContext ?? { ...problem, line: child.first + problem.line };
    broken.push({ key: child.key, line: reported.line, message: reported.message });
    for (let i = child.first; i <= child.last; i++) lines[i] = '';
  }
  if (!broken.length) return { yaml: first, broken, fileErrors: first.syntaxErrors };
  const rest = parseYaml(lines.join('\n'), file);
  return { yaml: rest, broken, fileErrors: rest.syntaxErrors };
}

/** The children of a top-level block mapping key, as 0-based line ranges. */
function blockChildren(lines: string[], section: string): { key: string; first: number; last: number }[] {
  const header = new RegExp(`^["']?${section}["']?\\s*:\\s*(#.*)?$`);
  const start = lines.findIndex((l) => header.test(l.replace(/\r$/, '')));
  if (start < 0) return [];
  const children: { key: string; first: number; last: number }[] = [];
  let indent = -1;
  for (let i = start + 1; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (/^\s*(#.*)?$/.test(line)) continue;
    const leading = line.slice(0, line.length - line.trimStart().length);
    const depth = leading.length;
    if (depth === 0) break; // the next top-level key
    if (indent < 0) indent = depth;
    // A tab in the indentation is a mistake inside the current child, not the start of a new one.
    if (depth <= indent && !leading.includes('\t')) {
      const key = /^\s*(?:"([^"]*)"|'([^']*)'|([^\s:#][^:#]*?))\s*:(\s|$)/.exec(line);
      children.push({ key: key ? (key[1] ?? key[2] ?? key[3] ?? '').trim() : line.trim(), first: i, last: i });
    }
    children.at(-1)!.last = i;
  }
  return children;
}

export function entryOf(node: unknown, key: string, yaml: YamlFile): Entry | undefined {
  return entriesOf(node, yaml).find((e) => e.key === key);
}

function toPlain(node: unknown, doc: Document.Parsed, depth: number): unknown {
  if (node === null || node === undefined) return null;
  if (depth > 200) return null; // a pathological alias chain; the value is unusable anyway
  if (isAlias(node)) return toPlain(node.resolve(doc), doc, depth + 1);
  let value: unknown;
  if (isScalar(node)) {
    value = node.value;
  } else if (isMap(node)) {
    const object: Record<string, unknown> = {};
    const merged: Record<string, unknown>[] = [];
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(toPlain(pair.key, doc, depth + 1));
      if (key === '<<' && (isAlias(pair.value) || isMap(pair.value) || isSeq(pair.value))) {
        const source = toPlain(pair.value, doc, depth + 1);
        for (const s of Array.isArray(source) ? source : [source]) if (s && typeof s === 'object') merged.push(s as Record<string, unknown>);
        continue;
      }
      object[key] = toPlain(pair.value, doc, depth + 1);
    }
    // Merge keys never override keys written in the mapping itself.
    value = merged.length ? Object.assign({}, ...merged.reverse(), object) : object;
  } else if (isSeq(node)) {
    value = node.items.map((item) => toPlain(item, doc, depth + 1));
  } else {
    return null;
  }
  const tag = (node as { tag?: string }).tag;
  const longForm = tag ? INTRINSIC_TAGS[tag] : undefined;
  if (!longForm) return value;
  if (longForm === 'Fn::GetAtt' && typeof value === 'string') {
    const dot = value.indexOf('.');
    value = dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)];
  }
  return { [longForm]: value };
}

/**
 * Reads a definitions file (template or serverless.yml) so that a YAML mistake inside one entry of `section`
 * breaks only that entry: either the parsed file with one error per broken entry, or, when the file itself
 * can't be read, the errors that say so.
 */
export function readDefinitionFile(
  text: string,
  file: string,
  section: string,
  entryKind: 'Resource' | 'Function',
): { yaml: YamlFile; errors: DefinitionError[]; broken: BrokenEntry[] } | { failed: DefinitionError[] } {
  const { yaml, broken, fileErrors } = parseIsolating(text, file, section);
  const name = basename(file);
  if (fileErrors.length) {
    return {
      failed: fileErrors.map((e) => ({
        file,
        line: e.line,
        message: `${name} is not valid YAML: ${e.message}. Fix it and save; no function in this file can run until then.`,
      })),
    };
  }
  const errors = broken.map((b) => ({
    file,
    line: b.line,
    message: `${entryKind} "${b.key}" is not valid YAML: ${b.message}. Fix it and save; the rest of ${name} still loads.`,
  }));
  return { yaml, errors, broken };
}

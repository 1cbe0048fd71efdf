// Reads a definition file (YAML or JSON) keeping what discovery needs and plain YAML libraries drop:
// the line of every node, for errors and CodeLenses, and CloudFormation's short-form tags (`!Ref`,
// `!Sub`, ...), which become their long forms (`{ Ref: ... }`, `{ 'Fn::Sub': ... }`) instead of warnings.
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

export interface SyntaxProblem {
  /** Character offset in the file, to tell which resource the problem sits in. */
  offset: number;
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
  /** Offsets from the key's start to the value's end. */
  start: number;
  end: number;
}

export function parseYaml(text: string, file: string): YamlFile {
  const lines = new LineCounter();
  // merge: true so `<<: *defaults` (common in serverless.yml) works; prettyErrors off so messages stay one sentence.
  const doc = parseDocument(text, { lineCounter: lines, merge: true, prettyErrors: false, uniqueKeys: true });
  const lineAt = (offset: number) => lines.linePos(offset).line;
  const syntaxErrors = doc.errors.map((e) => ({
    offset: e.pos[0],
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
    const keyNode = pair.key as { range?: [number, number, number] } | null;
    const key = isScalar(pair.key) ? String(pair.key.value) : String(yaml.plain(pair.key));
    const valueRange = (pair.value as { range?: [number, number, number] } | null)?.range;
    const start = keyNode?.range?.[0] ?? 0;
    entries.push({ key, line: yaml.lineOf(pair.key), value: pair.value, start, end: valueRange?.[1] ?? keyNode?.range?.[1] ?? start });
  }
  return entries;
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

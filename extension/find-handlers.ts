// Finds the functions in a source file that Lambda could call, so the editor can put "Invoke with event" and
// "Debug" above them. vscode-free (unit-tested on its own) and deliberately conservative: a lens above
// something that is not a handler is worse than a missing one (the AWS Toolkit turned its lenses off by
// default for that reason), while wrapped handlers (`middy(fn).use(...)`) must still be found.
import { lineAt, maskCommentsAndStrings, readBalanced, skipSpace, splitTopLevel, type SourceLanguage } from './source-scan.ts';

export type { SourceLanguage } from './source-scan.ts';

export interface FoundHandler {
  /** The name the runner needs: the export (TS/JS), the function (Python), or the Go/Rust handler function. */
  exportName: string;
  /** 0-based line the lens belongs above. */
  line: number;
  /** Why it counts as a handler, for tooltips and tests. */
  kind: 'function' | 'arrow' | 'wrapped' | 'alias' | 'typed' | 'python-def' | 'python-wrapped' | 'go-lambda-start' | 'rust-runtime-run';
}

const SOURCE_EXTENSIONS: Record<string, SourceLanguage> = {
  '.ts': 'typescript',
  '.mts': 'typescript',
  '.cts': 'typescript',
  '.tsx': 'typescript',
  '.js': 'javascript',
  '.mjs': 'javascript',
  '.cjs': 'javascript',
  '.jsx': 'javascript',
  '.py': 'python',
  '.go': 'go',
  '.rs': 'rust',
};

export function languageOfFile(fileName: string): SourceLanguage | undefined {
  const dot = fileName.lastIndexOf('.');
  if (dot < 0 || fileName.endsWith('.d.ts')) return undefined;
  return SOURCE_EXTENSIONS[fileName.slice(dot).toLowerCase()];
}

/** Names that say "I am a Lambda entry point" on their own. */
const HANDLER_NAME = /^(handler|lambdaHandler|lambda_handler)$/;
/** `createOrderHandler`, `process_handler`: handlers by convention, when the rest agrees (an event parameter, a wrapper). */
const HANDLER_SUFFIX = /^([A-Za-z][\w$]*Handler|[a-z][a-z0-9_]*_handler)$/;
/** First parameter names that mean "the event". */
const EVENT_PARAM = /^(event|evt|ev|_event|_evt|lambdaEvent|[a-z][A-Za-z0-9]*Event|[a-z][a-z0-9_]*_event)$/;
/** Second parameter names that mean "the Lambda context" (after an event parameter). */
const CONTEXT_PARAM = /^(context|_context|lambdaContext|lambda_context|_ctx|ctx|_)$/;
/** Types from @types/aws-lambda (and Powertools) that only a handler's parameters carry. */
const LAMBDA_PARAM_TYPE =
  /\b(Context|APIGateway\w*|ALB\w*|SQS\w*|SNS\w*|S3\w*|DynamoDBStream\w*|Kinesis\w*|EventBridge\w*|ScheduledEvent|CloudWatch\w*|Cognito\w*Event|Firehose\w*|LambdaFunctionURL\w*|MSK\w*|SelfManagedKafka\w*|AppSync\w*|CloudFormationCustomResource\w*|SES\w*Event|IoT\w*Event|Handler\w*|Callback)\b/;
/** A variable typed as a handler (`const handler: APIGatewayProxyHandlerV2 = ...`). */
const HANDLER_TYPE = /\b\w*Handler(V2)?\b/;
/** Functions that take a handler and return one. */
const WRAPPER_CALLEE = /^(middy|[\w$.]*[wW]rap\w*|with\w+|serverless\w*|configure|instrument\w*|captureLambdaHandler)$/;

interface Params {
  names: string[];
  types: string[];
  count: number;
}

function readParams(masked: string, open: number): { params: Params; end: number } | undefined {
  const end = readBalanced(masked, open);
  if (end < 0) return undefined;
  const parts = splitTopLevel(masked.slice(open + 1, end - 1));
  const names: string[] = [];
  const types: string[] = [];
  for (const p of parts) {
    const m = /^(?:\.\.\.)?\s*([A-Za-z_$][\w$]*)/.exec(p);
    names.push(m ? m[1]! : p.startsWith('{') ? '{}' : p.startsWith('[') ? '[]' : p);
    const colon = p.indexOf(':');
    types.push(colon >= 0 && !p.startsWith('{') ? p.slice(colon + 1) : '');
  }
  return { params: { names, types, count: parts.length }, end };
}

/**
 * `(event, context)`, `(event, context, callback)`, or parameters typed with Lambda's types. One untyped
 * `event` parameter is not enough on its own: exported helpers take events too (`isValid(event)`).
 */
function shapedByParams(p: Params): boolean {
  if (p.count < 1 || p.count > 3) return false;
  if (p.types.some((t) => LAMBDA_PARAM_TYPE.test(t))) return true;
  if (p.count < 2) return false;
  return (EVENT_PARAM.test(p.names[0]!) && CONTEXT_PARAM.test(p.names[1]!)) || /^(context|_context|lambdaContext)$/.test(p.names[1]!);
}

/** A handler-named export may take zero params (`async () => ({ statusCode: 200 })`); never more than 3. */
function shapedFunction(exportName: string, p: Params): boolean {
  if (p.count > 3) return false;
  if (HANDLER_NAME.test(exportName) || shapedByParams(p)) return true;
  return HANDLER_SUFFIX.test(exportName) && p.count >= 1 && EVENT_PARAM.test(p.names[0]!);
}

type Initializer = { kind: 'function'; params: Params } | { kind: 'call'; callee: string } | { kind: 'identifier'; name: string } | { kind: 'other' };

/** Classify what follows `=` in `export const x = ...` / `exports.x = ...`. */
function classifyInitializer(masked: string, at: number, depth = 0): Initializer {
  let i = skipSpace(masked, at);
  const rest = masked.slice(i, i + 200);
  const asyncMatch = /^async\b\s*/.exec(rest);
  if (asyncMatch) i = skipSpace(masked, i + asyncMatch[0].length);
  const fn = /^function\b\s*\*?\s*(?:[A-Za-z_$][\w$]*)?\s*/.exec(masked.slice(i, i + 200));
  if (fn) {
    let j = i + fn[0].length;
    if (masked[j] === '<') {
      j = readBalanced(masked, j);
      if (j < 0) return { kind: 'other' };
      j = skipSpace(masked, j);
    }
    if (masked[j] !== '(') return { kind: 'other' };
    const r = readParams(masked, j);
    return r ? { kind: 'function', params: r.params } : { kind: 'other' };
  }
  // Arrow functions: `x =>`, `(a, b) =>`, `<T>(a: T): R =>`.
  const single = /^([A-Za-z_$][\w$]*)\s*=>/.exec(masked.slice(i, i + 200));
  if (single) return { kind: 'function', params: { names: [single[1]!], types: [''], count: 1 } };
  let j = i;
  if (masked[j] === '<') {
    j = readBalanced(masked, j);
    if (j < 0) return { kind: 'other' };
    j = skipSpace(masked, j);
  }
  if (masked[j] === '(') {
    const r = readParams(masked, j);
    if (r) {
      let k = skipSpace(masked, r.end);
      if (masked[k] === ':') k = skipReturnType(masked, k + 1);
      if (masked.startsWith('=>', skipSpace(masked, k))) return { kind: 'function', params: r.params };
      // A parenthesised expression (`(async (event) => ...) satisfies Handler`): look inside.
      if (!asyncMatch && depth < 3) return classifyInitializer(masked, j + 1, depth + 1);
    }
    return { kind: 'other' };
  }
  if (asyncMatch) return { kind: 'other' };
  // A call (possibly chained: `middy(fn).use(a).use(b)`), or a plain identifier.
  const call = /^([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*(?:<[^;=()]*>)?\s*\(/.exec(masked.slice(i, i + 300));
  if (call && !/^new\b/.test(call[1]!)) return { kind: 'call', callee: call[1]!.replace(/\s+/g, '') };
  const ident = /^([A-Za-z_$][\w$]*)\s*(?:;|\n|$)/.exec(masked.slice(i, i + 200));
  if (ident && !/^(true|false|null|undefined|this|new|class)$/.test(ident[1]!)) return { kind: 'identifier', name: ident[1]! };
  return { kind: 'other' };
}

function skipReturnType(masked: string, from: number): number {
  let k = skipSpace(masked, from);
  while (k < masked.length) {
    if (masked.startsWith('=>', k)) return k;
    const ch = masked[k]!;
    if ('([{<'.includes(ch)) {
      const e = readBalanced(masked, k);
      if (e < 0) return k;
      k = e;
      continue;
    }
    if (ch === ';' || ch === '\n') return k;
    k++;
  }
  return k;
}

function shapedInitializer(exportName: string, init: Initializer, typeAnnotation: string): FoundHandler['kind'] | undefined {
  if (typeAnnotation && HANDLER_TYPE.test(typeAnnotation) && init.kind !== 'other') return 'typed';
  switch (init.kind) {
    case 'function':
      return shapedFunction(exportName, init.params) ? 'arrow' : undefined;
    case 'call': {
      const root = init.callee.split('.')[0]!;
      const last = init.callee.split('.').pop()!;
      if (WRAPPER_CALLEE.test(root) || WRAPPER_CALLEE.test(last) || WRAPPER_CALLEE.test(init.callee)) return 'wrapped';
      return HANDLER_NAME.test(exportName) || HANDLER_SUFFIX.test(exportName) ? 'wrapped' : undefined;
    }
    case 'identifier':
      return HANDLER_NAME.test(exportName) ? 'alias' : undefined;
    case 'other':
      return undefined;
  }
}

/** Reads a TypeScript type annotation after `:` up to the `=` of the initializer. */
function readTypeAnnotation(masked: string, from: number): { type: string; eq: number } | undefined {
  let k = from;
  while (k < masked.length) {
    const ch = masked[k]!;
    if (ch === '=' && masked[k + 1] !== '>' && masked[k + 1] !== '=') return { type: masked.slice(from, k), eq: k };
    if (ch === '=' && masked[k + 1] === '>') {
      k += 2;
      continue;
    }
    if ('([{<'.includes(ch)) {
      const e = readBalanced(masked, k);
      if (e < 0) return undefined;
      k = e;
      continue;
    }
    if (ch === ';') return undefined;
    k++;
  }
  return undefined;
}

function findJsHandlers(masked: string): FoundHandler[] {
  const found: FoundHandler[] = [];
  const add = (h: FoundHandler) => {
    if (!found.some((f) => f.exportName === h.exportName)) found.push(h);
  };

  // export [async] function name(...)
  for (const m of masked.matchAll(/^[ \t]*export\s+(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*/gm)) {
    let j = m.index + m[0].length;
    if (masked[j] === '<') {
      j = readBalanced(masked, j);
      if (j < 0) continue;
      j = skipSpace(masked, j);
    }
    if (masked[j] !== '(') continue;
    const r = readParams(masked, j);
    if (r && shapedFunction(m[1]!, r.params)) add({ exportName: m[1]!, line: lineAt(masked, m.index + m[0].indexOf('export')), kind: 'function' });
  }

  // export const name[: Type] = <initializer>, and exports.name = / module.exports.name = <initializer>
  const assignments = [
    /^[ \t]*export\s+(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(:)?/gm,
    /^[ \t]*(?:module\s*\.\s*)?exports\s*\.\s*([A-Za-z_$][\w$]*)\s*()(?==[^=>])/gm,
  ];
  for (const re of assignments) {
    for (const m of masked.matchAll(re)) {
      const name = m[1]!;
      let eq = m.index + m[0].length;
      let type = '';
      if (m[2] === ':') {
        const t = readTypeAnnotation(masked, eq);
        if (!t) continue;
        type = t.type;
        eq = t.eq;
      }
      eq = skipSpace(masked, eq);
      if (masked[eq] !== '=' || masked[eq + 1] === '=' || masked[eq + 1] === '>') continue;
      const kind = shapedInitializer(name, classifyInitializer(masked, eq + 1), type);
      if (kind) add({ exportName: name, line: lineAt(masked, m.index + (m[0].length - m[0].trimStart().length)), kind });
    }
  }

  // export { local as handler, other } and module.exports = { handler, main: local }
  const locals = localFunctions(masked);
  const viaLists: Array<{ exported: string; local: string; at: number }> = [];
  for (const m of masked.matchAll(/^[ \t]*export\s*\{([^}]*)\}(?!\s*from)/gm)) {
    for (const spec of m[1]!.split(',')) {
      const s = /^\s*([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?\s*$/.exec(spec);
      if (s) viaLists.push({ local: s[1]!, exported: s[2] ?? s[1]!, at: m.index + (m[0].length - m[0].trimStart().length) });
    }
  }
  for (const m of masked.matchAll(/^[ \t]*module\s*\.\s*exports\s*=\s*\{/gm)) {
    const open = m.index + m[0].length - 1;
    const end = readBalanced(masked, open);
    if (end < 0) continue;
    for (const spec of splitTopLevel(masked.slice(open + 1, end - 1))) {
      const s = /^([A-Za-z_$][\w$]*)\s*(?::\s*([A-Za-z_$][\w$]*)\s*)?$/.exec(spec);
      if (s) viaLists.push({ exported: s[1]!, local: s[2] ?? s[1]!, at: m.index + (m[0].length - m[0].trimStart().length) });
    }
  }
  for (const v of viaLists) {
    const local = locals.get(v.local);
    const shaped =
      local?.kind === 'function' ? shapedFunction(v.exported, local.params) : local ? shapedInitializer(v.exported, local, '') !== undefined : false;
    if (shaped) add({ exportName: v.exported, line: lineAt(masked, v.at), kind: local?.kind === 'function' ? 'function' : 'wrapped' });
  }
  return found.sort((a, b) => a.line - b.line);
}

/** Top-level (non-exported) declarations, for `export { x as handler }` and `module.exports = { handler }`. */
function localFunctions(masked: string): Map<string, Initializer> {
  const locals = new Map<string, Initializer>();
  for (const m of masked.matchAll(/^(?:async\s+)?function\s*\*?\s*([A-Za-z_$][\w$]*)\s*/gm)) {
    let j = m.index + m[0].length;
    if (masked[j] === '<') {
      j = readBalanced(masked, j);
      if (j < 0) continue;
      j = skipSpace(masked, j);
    }
    if (masked[j] !== '(') continue;
    const r = readParams(masked, j);
    if (r) locals.set(m[1]!, { kind: 'function', params: r.params });
  }
  for (const m of masked.matchAll(/^(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*(:)?/gm)) {
    let eq = m.index + m[0].length;
    if (m[2] === ':') {
      const t = readTypeAnnotation(masked, eq);
      if (!t) continue;
      eq = t.eq;
    }
    eq = skipSpace(masked, eq);
    if (masked[eq] !== '=' || masked[eq + 1] === '=') continue;
    locals.set(m[1]!, classifyInitializer(masked, eq + 1));
  }
  return locals;
}

function findPythonHandlers(masked: string): FoundHandler[] {
  const found: FoundHandler[] = [];
  for (const m of masked.matchAll(/^(?:async[ \t]+)?def[ \t]+([A-Za-z_]\w*)[ \t]*\(/gm)) {
    const r = readParams(masked, m.index + m[0].length - 1);
    if (!r) continue;
    const names = r.params.names.filter((n) => n !== '/' && n !== '*');
    const positional = names.filter((n, k) => !r.params.types[k]?.startsWith('*') && !/^\*/.test(n));
    const raw = splitTopLevel(masked.slice(m.index + m[0].length, r.end - 1));
    const hasVarArgs = raw.some((p) => p.startsWith('*'));
    const required = raw.filter((p) => !p.startsWith('*') && !p.includes('=')).length;
    const takesTwo = (positional.length >= 2 || hasVarArgs) && required <= 2;
    if (!takesTwo || positional[0] === 'self' || positional[0] === 'cls') continue;
    const [first = '', second = ''] = positional;
    const named = HANDLER_NAME.test(m[1]!) || (HANDLER_SUFFIX.test(m[1]!) && EVENT_PARAM.test(first));
    if (named || (EVENT_PARAM.test(first) && CONTEXT_PARAM.test(second)) || /^(context|_context|lambda_context)$/.test(second)) {
      found.push({ exportName: m[1]!, line: lineAt(masked, m.index), kind: 'python-def' });
    }
  }
  // handler = Mangum(app) / lambda_handler = wrap(fn): a top-level handler-named value built by a call.
  for (const m of masked.matchAll(/^([A-Za-z_]\w*)[ \t]*(?::[^=\n]*)?=[ \t]*([A-Za-z_][\w.]*)[ \t]*\(/gm)) {
    if ((HANDLER_NAME.test(m[1]!) || HANDLER_SUFFIX.test(m[1]!)) && !found.some((f) => f.exportName === m[1])) {
      found.push({ exportName: m[1]!, line: lineAt(masked, m.index), kind: 'python-wrapped' });
    }
  }
  return found.sort((a, b) => a.line - b.line);
}

function findGoHandlers(masked: string): FoundHandler[] {
  const m = /\blambda\s*\.\s*Start(?:WithOptions|WithContext|Handler|HandlerWithContext)?\s*\(\s*([A-Za-z_][\w.]*)?/.exec(masked);
  if (!m) return [];
  const arg = m[1];
  const name = arg?.split('.').pop();
  if (name) {
    const decl = new RegExp(`^func\\s+(?:\\([^)]*\\)\\s*)?${name}\\s*[\\[(]`, 'm').exec(masked);
    if (decl) return [{ exportName: name, line: lineAt(masked, decl.index), kind: 'go-lambda-start' }];
  }
  return [{ exportName: name ?? 'main', line: lineAt(masked, m.index), kind: 'go-lambda-start' }];
}

function findRustHandlers(masked: string): FoundHandler[] {
  const run = /\b(?:lambda_runtime|lambda_http|lambda_extension)\s*::\s*run\w*\s*\(|(?<![\w:.])run\w*\s*\(\s*(?:[\w:]+::)?(?:service_fn|handler_fn)\s*\(/.exec(
    masked,
  );
  if (!run) return [];
  const service = /\b(?:service_fn|handler_fn)\s*\(\s*([A-Za-z_]\w*)\s*\)/.exec(masked);
  if (service) {
    const name = service[1]!;
    const decl = new RegExp(`^[ \\t]*(?:pub(?:\\([^)]*\\))?\\s+)?(?:async\\s+)?fn\\s+${name}\\b`, 'm').exec(masked);
    if (decl) return [{ exportName: name, line: lineAt(masked, decl.index + (decl[0].length - decl[0].trimStart().length)), kind: 'rust-runtime-run' }];
  }
  return [{ exportName: 'main', line: lineAt(masked, run.index), kind: 'rust-runtime-run' }];
}

/** Every handler-shaped entry point in a file, in line order. */
export function findHandlers(text: string, language: SourceLanguage): FoundHandler[] {
  const masked = maskCommentsAndStrings(text, language);
  switch (language) {
    case 'typescript':
    case 'javascript':
      return findJsHandlers(masked);
    case 'python':
      return findPythonHandlers(masked);
    case 'go':
      return findGoHandlers(masked);
    case 'rust':
      return findRustHandlers(masked);
  }
}

/**
 * The 0-based line where `name` is declared or exported, for handlers that a template names explicitly
 * even when they don't look like handlers (`Handler: app.process` over `def process(body, meta)`).
 */
export function findDeclarationLine(text: string, language: SourceLanguage, name: string): number | undefined {
  const masked = maskCommentsAndStrings(text, language);
  const id = name.replace(/[$]/g, '\\$');
  const patterns: RegExp[] =
    language === 'python'
      ? [new RegExp(`^(?:async[ \\t]+)?def[ \\t]+${id}\\b`, 'm'), new RegExp(`^${id}[ \\t]*(?::[^=\\n]*)?=`, 'm')]
      : language === 'go'
        ? [new RegExp(`^func\\s+(?:\\([^)]*\\)\\s*)?${id}\\b`, 'm')]
        : language === 'rust'
          ? [new RegExp(`^[ \\t]*(?:pub(?:\\([^)]*\\))?\\s+)?(?:async\\s+)?fn\\s+${id}\\b`, 'm')]
          : [
              new RegExp(`^[ \\t]*export\\s+(?:async\\s+)?function\\s*\\*?\\s*${id}\\b`, 'm'),
              new RegExp(`^[ \\t]*export\\s+(?:const|let|var)\\s+${id}\\b`, 'm'),
              new RegExp(`^[ \\t]*(?:module\\s*\\.\\s*)?exports\\s*\\.\\s*${id}\\s*=`, 'm'),
              new RegExp(`^[ \\t]*export\\s*\\{[^}]*\\b(?:as\\s+)?${id}\\b[^}]*\\}`, 'm'),
              new RegExp(`^[ \\t]*module\\s*\\.\\s*exports\\s*=\\s*\\{[^}]*\\b${id}\\b`, 'm'),
              new RegExp(`^[ \\t]*(?:async\\s+)?function\\s*\\*?\\s*${id}\\b`, 'm'),
              new RegExp(`^[ \\t]*(?:const|let|var)\\s+${id}\\b`, 'm'),
            ];
  for (const re of patterns) {
    const m = re.exec(masked);
    if (m) return lineAt(masked, m.index + (m[0].length - m[0].trimStart().length));
  }
  return undefined;
}

// The chain visualizer's page (runs in the webview: no Node, no vscode module, postMessage only). It draws a
// ChainReport (runner/analysis/report.ts) as an onion: each middleware a layer around the handler, its before
// hook on the way in and its after / onError hooks on the way out, in execution order, with the type on every
// edge (short names, the full type on hover, the fields when expanded) and the problems marked. Clicking a
// middleware, the handler or a problem asks the extension to reveal it in the source. Runner-level chains are
// drawn the same way with their declared JSON Schemas (executables) or WIT (components).
// Everything is built with textContent: type text never reaches innerHTML.
import type { ChainDiagnostic, ChainReport, ChainStep, MiddyChain, RunnerChain, RunnerMiddleware, SourceRange, TypeField } from '../runner/analysis/report.ts';
import { shortTypeText } from '../runner/analysis/type-names.ts';

/** Messages the extension posts to the page. */
export type ToChainView = { type: 'report'; report: ChainReport } | { type: 'analyzing'; file: string } | { type: 'failed'; message: string };
/** Messages the page posts to the extension. */
export type FromChainView = { type: 'ready' } | { type: 'reveal'; file: string; line: number; column: number };

interface VsCodeApi {
  postMessage(message: FromChainView): void;
  setState(state: unknown): void;
  getState(): unknown;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('chain') ?? document.body.appendChild(document.createElement('main'));
root.id = 'chain';

type Child = Node | string | undefined | false | null;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) if (c !== undefined && c !== false && c !== null) node.append(typeof c === 'string' ? document.createTextNode(c) : c);
  return node;
}

const SHORT = 60;
/** A type as the edge shows it: short names (`Context`, not `import("aws-lambda").Context`), cut at SHORT characters. */
const short = (text: string) => {
  const names = shortTypeText(text);
  return names.length > SHORT ? `${names.slice(0, SHORT - 1)}…` : names;
};

function reveal(range: SourceRange): void {
  vscode.postMessage({ type: 'reveal', file: range.file, line: range.start.line, column: range.start.column });
}

function revealLink(label: string, range: SourceRange, cls: string): HTMLElement {
  const a = el('a', { class: cls, href: '#', title: `${range.file.split('/').pop()}:${range.start.line}:${range.start.column}` }, label);
  a.addEventListener('click', (e) => {
    e.preventDefault();
    reveal(range);
  });
  return a;
}

/** A type on an edge: short text, the full text on hover, its fields when expanded. */
function typeEdge(direction: 'in' | 'out' | 'error', label: string, type: string, fields: TypeField[] = [], runtime?: string): HTMLElement {
  const arrow = direction === 'in' ? '↓' : direction === 'out' ? '↑' : '⚡';
  const summary = el(
    'summary',
    { class: 'edge-summary', title: type },
    el('span', { class: 'arrow' }, arrow),
    el('span', { class: 'edge-label' }, label),
    el('code', { class: 'type' }, short(type)),
  );
  if (runtime) summary.append(el('span', { class: 'runtime', title: `At run time the event is ${runtime}` }, ` run time: ${short(runtime)}`));
  const body: Child[] = [el('pre', { class: 'full-type' }, type)];
  if (fields.length) {
    body.push(
      el(
        'table',
        { class: 'fields' },
        ...fields.map((f) => el('tr', {}, el('th', {}, f.name + (f.optional ? '?' : '')), el('td', { title: f.type }, el('code', {}, short(f.type))))),
      ),
    );
  }
  return el('details', { class: `edge ${direction}`, 'data-type': type }, summary, ...body);
}

function problemList(diagnostics: ChainDiagnostic[]): HTMLElement | undefined {
  if (!diagnostics.length) return undefined;
  return el(
    'ul',
    { class: 'problems' },
    ...diagnostics.map((d) => {
      const item = el(
        'li',
        { class: `problem ${d.severity}`, 'data-code': d.code, title: d.explanation },
        el('span', { class: 'icon' }, d.severity === 'error' ? '⛔' : d.severity === 'warning' ? '⚠' : 'ℹ'),
        ' ',
        d.message,
        ' ',
      );
      item.append(el('div', { class: 'explanation' }, d.explanation));
      item.append(revealLink(`line ${d.range.start.line}`, d.range, 'where'));
      return item;
    }),
  );
}

const HOOK_LABEL: Record<string, string> = { before: 'before', after: 'after', onError: 'onError', error: 'error' };

/** Steps that are layers of the onion (registered middlewares and bare hooks). */
function layersOf(chain: MiddyChain): Array<{ step: ChainStep; index: number }> {
  return chain.steps.map((step, index) => ({ step, index })).filter(({ step }) => step.kind !== 'origin' && step.kind !== 'handler');
}

function renderMiddyChain(chain: MiddyChain, chainIndex: number): HTMLElement {
  const origin = chain.steps[0]!;
  const handlerIndex = chain.steps.findIndex((s) => s.kind === 'handler');
  const handler = handlerIndex >= 0 ? chain.steps[handlerIndex] : undefined;
  const layers = layersOf(chain);
  const stepProblems = (i: number) => chain.diagnostics.filter((d) => d.step === i);
  const loose = chain.diagnostics.filter((d) => d.step === undefined);

  // Innermost first: the handler, then each layer wrapped around what is inside it.
  let inner: HTMLElement = el(
    'div',
    { class: `handler${loose.length ? ' has-problems' : ''}`, 'data-step': String(handlerIndex) },
    el(
      'div',
      { class: 'layer-title' },
      el('span', { class: 'kind' }, 'handler'),
      handler ? revealLink(handler.middleware, chain.handlerRange ?? handler.range, 'name') : el('span', { class: 'name missing' }, 'no handler attached'),
    ),
    handler && typeEdge('in', 'event', handler.eventType, handler.eventFields, handler.runtimeEventType),
    handler && typeEdge('in', 'context', handler.contextType),
    handler && typeEdge('out', 'returns', handler.responseType),
    problemList(loose),
  );
  for (let i = layers.length - 1; i >= 0; i--) {
    const { step, index } = layers[i]!;
    const problems = stepProblems(index);
    const worst = problems.some((p) => p.severity === 'error') ? 'error' : problems.length ? 'warning' : '';
    const hooks = el('span', { class: 'hooks' }, ...step.hooks.map((h) => el('span', { class: `hook ${h}` }, HOOK_LABEL[h] ?? h)));
    const title = el(
      'div',
      { class: 'layer-title' },
      el('span', { class: 'order' }, `${i + 1}`),
      revealLink(step.middleware, step.range, 'name'),
      step.package ? el('span', { class: 'package' }, step.package) : step.kind !== 'use' ? el('span', { class: 'package' }, `.${step.kind}()`) : null,
      step.group !== undefined ? el('span', { class: 'group', title: 'Registered in one .use([...]) call' }, '[ ]') : null,
      hooks,
    );
    const before = step.hooks.includes('before')
      ? el(
          'div',
          { class: 'hook-row before' },
          el('span', { class: 'hook-name' }, `${i + 1}. before`),
          typeEdge('in', 'event', step.eventType, step.eventFields, step.runtimeEventType),
        )
      : el('div', { class: 'hook-row pass' }, typeEdge('in', 'event', step.eventType, step.eventFields, step.runtimeEventType));
    const out: Child[] = [];
    if (step.hooks.includes('after'))
      out.push(
        el(
          'div',
          { class: 'hook-row after' },
          el('span', { class: 'hook-name' }, `${layers.length * 2 - i}. after`),
          typeEdge('out', 'response', step.responseType),
        ),
      );
    if (step.hooks.includes('onError'))
      out.push(
        el('div', { class: 'hook-row onError' }, el('span', { class: 'hook-name' }, 'onError'), typeEdge('error', 'error → response', step.responseType)),
      );
    inner = el(
      'div',
      { class: `layer ${worst}`, 'data-step': String(index), 'data-middleware': step.middleware },
      title,
      problemList(problems),
      before,
      inner,
      ...out,
    );
  }
  const onErrorOrder = [...layers]
    .reverse()
    .filter(({ step }) => step.hooks.includes('onError'))
    .map(({ step }) => step.middleware);
  return el(
    'section',
    { class: 'chain', 'data-chain': chain.name, id: `chain-${chainIndex}` },
    el(
      'h2',
      {},
      revealLink(chain.name, chain.range, 'chain-name'),
      chain.exported ? el('span', { class: 'badge' }, 'exported') : null,
      el(
        'span',
        { class: 'counts' },
        `${layers.length} middleware${layers.length === 1 ? '' : 's'}, ${chain.diagnostics.length} problem${chain.diagnostics.length === 1 ? '' : 's'}`,
      ),
    ),
    el('div', { class: 'origin' }, el('span', { class: 'kind' }, 'event arrives'), typeEdge('in', 'middy()', origin.eventType, origin.eventFields)),
    inner,
    el(
      'p',
      { class: 'error-order' },
      onErrorOrder.length ? `On an error, onError hooks run: ${onErrorOrder.join(' → ')}` : 'No onError hooks: an error goes straight to Lambda.',
    ),
  );
}

function schemaText(schema: unknown): string {
  if (schema === undefined) return 'any JSON';
  if (typeof schema === 'boolean') return schema ? 'any JSON' : 'nothing';
  const s = schema as { type?: unknown; properties?: Record<string, { type?: unknown; const?: unknown }>; required?: string[] };
  if (s.properties) {
    const req = new Set(s.required ?? []);
    return `{ ${Object.entries(s.properties)
      .map(([k, v]) => `${k}${req.has(k) ? '' : '?'}: ${v.const !== undefined ? JSON.stringify(v.const) : String(v.type ?? 'any')}`)
      .join('; ')} }`;
  }
  return String(s.type ?? 'JSON');
}

function runnerEdge(direction: 'in' | 'out', label: string, schema: unknown): HTMLElement {
  const text = schemaText(schema);
  return el(
    'details',
    { class: `edge ${direction}`, 'data-type': text },
    el(
      'summary',
      { class: 'edge-summary', title: text },
      el('span', { class: 'arrow' }, direction === 'in' ? '↓' : '↑'),
      el('span', { class: 'edge-label' }, label),
      el('code', { class: 'type' }, short(text)),
    ),
    el('pre', { class: 'full-type' }, schema === undefined ? 'Not declared (middlewares/<name>.json "schemas").' : JSON.stringify(schema, null, 2)),
  );
}

function renderRunnerChain(chain: RunnerChain): HTMLElement {
  let inner: HTMLElement = el(
    'div',
    { class: 'handler' },
    el('div', { class: 'layer-title' }, el('span', { class: 'kind' }, 'function'), el('span', { class: 'name' }, `${chain.function} (${chain.runtime})`)),
  );
  for (let i = chain.middlewares.length - 1; i >= 0; i--) {
    const m: RunnerMiddleware = chain.middlewares[i]!;
    const schemas = (m.schemas ?? {}) as Record<string, { input?: unknown; output?: unknown } | undefined>;
    const rows: Child[] = [];
    if (m.hooks.includes('before'))
      rows.push(
        el(
          'div',
          { class: 'hook-row before' },
          el('span', { class: 'hook-name' }, 'before'),
          runnerEdge('in', 'reads', schemas.before?.input),
          runnerEdge('in', 'hands on', schemas.before?.output),
        ),
      );
    const out: Child[] = [];
    if (m.hooks.includes('after'))
      out.push(
        el(
          'div',
          { class: 'hook-row after' },
          el('span', { class: 'hook-name' }, 'after'),
          runnerEdge('out', 'reads', schemas.after?.input),
          runnerEdge('out', 'hands on', schemas.after?.output),
        ),
      );
    if (m.hooks.includes('error'))
      out.push(el('div', { class: 'hook-row onError' }, el('span', { class: 'hook-name' }, 'error'), runnerEdge('out', 'error', schemas.error?.input)));
    inner = el(
      'div',
      { class: `layer runner ${m.kind === 'missing' ? 'error' : ''}`, 'data-middleware': m.name, 'data-kind': m.kind },
      el(
        'div',
        { class: 'layer-title' },
        el('span', { class: 'order' }, `${i + 1}`),
        el('span', { class: 'name', title: m.path ?? '' }, m.name),
        el('span', { class: 'package' }, m.kind),
        el('span', { class: 'hooks' }, ...m.hooks.map((h) => el('span', { class: `hook ${h}` }, h))),
      ),
      m.description ? el('p', { class: 'description' }, m.description) : null,
      m.problem ? el('ul', { class: 'problems' }, el('li', { class: 'problem error' }, m.problem)) : null,
      m.wit ? el('details', { class: 'wit' }, el('summary', {}, 'WIT world'), el('pre', {}, m.wit)) : null,
      ...rows,
      inner,
      ...out,
    );
  }
  return el('section', { class: 'chain runner-chain', 'data-function': chain.function }, el('h2', {}, `Runner chain of ${chain.function}`), inner);
}

function render(report: ChainReport): void {
  vscode.setState(report);
  const sections: Child[] = [
    el(
      'header',
      {},
      el('h1', {}, report.file.split('/').pop() ?? report.file),
      el(
        'span',
        { class: 'meta', title: report.tsconfig ?? 'default compiler options' },
        `${report.chains.length} chain${report.chains.length === 1 ? '' : 's'} · analysed in ${report.durationMs.toFixed(0)} ms`,
      ),
    ),
    ...report.problems.map((p) => el('p', { class: 'report-problem', role: 'alert' }, p)),
  ];
  if (!report.chains.length && !report.runnerChains.length)
    sections.push(el('p', { id: 'empty' }, 'No Middy chain in this file: middy(handler).use(...) chains appear here as you write them.'));
  report.chains.forEach((c, i) => sections.push(renderMiddyChain(c, i)));
  report.runnerChains.forEach((c) => sections.push(renderRunnerChain(c)));
  root.replaceChildren(...sections.filter((s): s is Node => s instanceof Node));
}

const CSS = `
body { font-family: var(--vscode-font-family, sans-serif); font-size: var(--vscode-font-size, 13px); color: var(--vscode-foreground, #ccc); background: var(--vscode-editor-background, #1e1e1e); padding: 0 14px 24px; }
header { display: flex; gap: 12px; align-items: baseline; border-bottom: 1px solid var(--vscode-panel-border, #444); padding: 10px 0 6px; }
h1 { font-size: 1.15em; margin: 0; }
h2 { font-size: 1em; margin: 18px 0 8px; display: flex; gap: 10px; align-items: baseline; }
.meta, .counts, .package, .description, .error-order { color: var(--vscode-descriptionForeground, #999); font-size: .9em; }
a { color: var(--vscode-textLink-foreground, #3794ff); text-decoration: none; cursor: pointer; }
a:hover { text-decoration: underline; }
.badge { font-size: .8em; padding: 0 6px; border-radius: 8px; background: var(--vscode-badge-background, #4d4d4d); color: var(--vscode-badge-foreground, #fff); }
.layer, .handler { border: 1px solid var(--vscode-panel-border, #555); border-radius: 6px; padding: 6px 10px 8px; margin: 6px 0 6px 14px; background: rgba(127,127,127,.05); }
.layer.warning { border-color: var(--vscode-editorWarning-foreground, #cca700); }
.layer.error, .handler.has-problems { border-color: var(--vscode-editorError-foreground, #f14c4c); }
.handler { border-style: double; border-width: 3px; }
.layer-title { display: flex; gap: 8px; align-items: baseline; font-weight: 600; }
.order { color: var(--vscode-descriptionForeground, #999); font-weight: normal; }
.hooks { display: flex; gap: 4px; margin-left: auto; }
.hook { font-size: .8em; padding: 0 5px; border-radius: 3px; background: var(--vscode-textCodeBlock-background, #333); font-weight: normal; }
.hook.onError, .hook.error { color: var(--vscode-editorError-foreground, #f14c4c); }
.hook-row { display: flex; gap: 8px; align-items: baseline; margin: 3px 0; flex-wrap: wrap; }
.hook-name { min-width: 70px; color: var(--vscode-descriptionForeground, #999); }
.edge summary { cursor: pointer; list-style: none; display: flex; gap: 6px; align-items: baseline; }
.edge .arrow { width: 1em; text-align: center; }
.edge.error .arrow { color: var(--vscode-editorError-foreground, #f14c4c); }
.edge-label { color: var(--vscode-descriptionForeground, #999); }
code, pre { font-family: var(--vscode-editor-font-family, monospace); font-size: var(--vscode-editor-font-size, 12px); }
.type { color: var(--vscode-symbolIcon-classForeground, #ee9d28); }
.runtime { color: var(--vscode-editorWarning-foreground, #cca700); font-size: .9em; }
.full-type { white-space: pre-wrap; word-break: break-word; background: var(--vscode-textCodeBlock-background, #2a2a2a); padding: 6px 8px; margin: 4px 0; }
.fields th { text-align: left; font-weight: normal; padding-right: 12px; color: var(--vscode-descriptionForeground, #999); }
.problems { list-style: none; padding: 0; margin: 4px 0; }
.problem { padding: 3px 6px; border-left: 3px solid; margin: 2px 0; }
.problem.error { border-color: var(--vscode-editorError-foreground, #f14c4c); }
.problem.warning { border-color: var(--vscode-editorWarning-foreground, #cca700); }
.problem.info { border-color: var(--vscode-editorInfo-foreground, #3794ff); }
.explanation { color: var(--vscode-descriptionForeground, #999); font-size: .9em; margin-top: 2px; }
.where { margin-left: 6px; font-size: .9em; }
.report-problem { color: var(--vscode-errorForeground, #f48771); }
`;

// Styles come with the script: a constructed style sheet is not inline markup, so the panel's CSP needs nothing more.
try {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
} catch {
  // An old engine: the page still works unstyled.
}

window.addEventListener('message', (event: MessageEvent<ToChainView>) => {
  const message = event.data;
  if (message?.type === 'report') render(message.report);
  else if (message?.type === 'analyzing') root.setAttribute('aria-busy', 'true');
  else if (message?.type === 'failed') root.replaceChildren(el('p', { class: 'report-problem', role: 'alert' }, message.message));
  if (message?.type !== 'analyzing') root.removeAttribute('aria-busy');
});

const saved = vscode.getState() as ChainReport | undefined;
if (saved && Array.isArray(saved.chains)) render(saved);
vscode.postMessage({ type: 'ready' });

// WebAssembly components in the editor. Opening a .wasm shows what the component is (its WIT world and the interfaces
// it imports and exports, with their functions and types) instead of VS Code's "binary file" warning; "Show Component
// Interface" opens the same text as a read-only WIT document (syntax-coloured, never an "Untitled" buffer that asks to
// be saved on close). The runner reads the component (POST /component-interface); nothing here parses WebAssembly.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from './ctx.ts';
import type { ComponentCapability, ComponentInterface } from '../runner/protocol.ts';

export const COMPONENT_EDITOR_VIEW_TYPE = 'openRuntime.component';
/** Read-only WIT documents: `open-runtime-wit:/abs/path/file.wasm.wit`. */
export const WIT_SCHEME = 'open-runtime-wit';

/** The read-only WIT document of a .wasm file. */
export function witDocumentUri(wasm: vscode.Uri): vscode.Uri {
  return vscode.Uri.from({ scheme: WIT_SCHEME, path: `${wasm.path}.wit` });
}

function wasmOf(witUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.file(witUri.path.replace(/\.wit$/, ''));
}

/** The WIT of a component and who serves its capabilities, asked of the runner of the folder that holds it; throws a sentence for the user. */
async function componentInterface(ctx: Ctx, wasm: vscode.Uri): Promise<ComponentInterface> {
  const folder = vscode.workspace.getWorkspaceFolder(wasm) ?? ctx.folderFor();
  if (!folder) throw new Error(`Open a workspace folder to read ${path.basename(wasm.fsPath)}: the runner that reads components serves a folder.`);
  return (await ctx.runnerFor(folder)).componentInterface(wasm.fsPath);
}

async function componentWit(ctx: Ctx, wasm: vscode.Uri): Promise<string> {
  return (await componentInterface(ctx, wasm)).wit;
}

/** The .wasm the user means: the argument, the active editor's file, or the active tab's (the component view). */
export function activeWasm(arg?: vscode.Uri): vscode.Uri | undefined {
  if (arg?.fsPath.endsWith('.wasm')) return arg;
  const doc = vscode.window.activeTextEditor?.document.uri;
  if (doc?.fsPath.endsWith('.wasm')) return doc;
  if (doc?.scheme === WIT_SCHEME) return wasmOf(doc);
  const input = vscode.window.tabGroups.activeTabGroup.activeTab?.input;
  if (input instanceof vscode.TabInputCustom && input.uri.fsPath.endsWith('.wasm')) return input.uri;
  return undefined;
}

/** Opens the component's WIT as a read-only document and returns the text; undefined (after saying why) when it can't. */
export async function showComponentInterface(ctx: Ctx, arg?: vscode.Uri): Promise<string | undefined> {
  let target = activeWasm(arg);
  if (!target) {
    const picked = await vscode.window.showOpenDialog({
      filters: { 'WebAssembly component': ['wasm'] },
      canSelectMany: false,
      title: 'Show the interface of a WebAssembly component',
    });
    target = picked?.[0];
  }
  if (!target) return undefined;
  try {
    const wit = await componentWit(ctx, target);
    const doc = await vscode.workspace.openTextDocument(witDocumentUri(target));
    await vscode.window.showTextDocument(doc, { preview: true });
    return wit;
  } catch (err) {
    void vscode.window.showErrorMessage(`Open Runtime: ${(err as Error).message}`);
    return undefined;
  }
}

/** The text of `open-runtime-wit:` documents: the WIT, or a comment saying why there is none. */
class WitDocuments implements vscode.TextDocumentContentProvider {
  private readonly ctx: Ctx;
  constructor(ctx: Ctx) {
    this.ctx = ctx;
  }
  async provideTextDocumentContent(uri: vscode.Uri): Promise<string> {
    try {
      return await componentWit(this.ctx, wasmOf(uri));
    } catch (err) {
      return `// ${(err as Error).message}\n`;
    }
  }
}

/** The .wasm editor: a read-only page with the component's WIT. */
class ComponentEditor implements vscode.CustomReadonlyEditorProvider {
  private readonly ctx: Ctx;
  constructor(ctx: Ctx) {
    this.ctx = ctx;
  }

  openCustomDocument(uri: vscode.Uri): vscode.CustomDocument {
    return { uri, dispose: () => undefined };
  }

  async resolveCustomEditor(document: vscode.CustomDocument, panel: vscode.WebviewPanel): Promise<void> {
    const name = path.basename(document.uri.fsPath);
    // No script at all: the page is static text, and links run only this extension's command.
    panel.webview.options = { enableScripts: false, enableCommandUris: ['openRuntime.showComponentInterface'] };
    panel.webview.html = componentPage(panel.webview, name, { state: 'reading' });
    let wit: string;
    let capabilities: ComponentCapability[];
    try {
      ({ wit, capabilities } = await componentInterface(this.ctx, document.uri));
    } catch (err) {
      panel.webview.html = componentPage(panel.webview, name, { state: 'failed', message: (err as Error).message });
      return;
    }
    const open = `command:openRuntime.showComponentInterface?${encodeURIComponent(JSON.stringify([document.uri.toJSON()]))}`;
    panel.webview.html = componentPage(panel.webview, name, { state: 'read', wit, open, capabilities });
  }
}

type PageState =
  | { state: 'reading' }
  | { state: 'failed'; message: string }
  | { state: 'read'; wit: string; open: string; capabilities: ComponentCapability[] };

/** The capabilities the component imports and who serves each (a table), or nothing when it imports none. */
export function capabilityTable(rows: ComponentCapability[]): string {
  if (!rows.length) return '';
  const cells = rows
    .map((r) => `<tr><td>${escape(r.function ?? '')}</td><td>${escape(r.capability)}</td><td>${escape(r.name)}</td><td>${escape(r.provider)}</td></tr>`)
    .join('');
  return `<h2>Capabilities</h2><table aria-label="Capabilities and their providers"><thead><tr><th>Function</th><th>Capability</th><th>Name</th><th>Served by</th></tr></thead><tbody>${cells}</tbody></table>`;
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** WIT with its keywords, comments and package names marked for colour; the rest escaped as it is. */
export function highlightWit(wit: string): string {
  const token =
    /(\/\/[^\n]*)|\b(package|world|interface|import|export|use|func|resource|record|variant|enum|flags|type|constructor|static|include|with|as|borrow|own|list|option|result|tuple|future|stream)\b|([a-z][\w-]*:[a-z][\w-]*(?:\/[\w-]+)?(?:@[\w.+-]+)?)/g;
  let out = '';
  let last = 0;
  for (const m of wit.matchAll(token)) {
    out += escape(wit.slice(last, m.index));
    const cls = m[1] ? 'comment' : m[2] ? 'keyword' : 'name';
    out += `<span class="${cls}">${escape(m[0])}</span>`;
    last = m.index + m[0].length;
  }
  return out + escape(wit.slice(last));
}

function componentPage(webview: vscode.Webview, name: string, page: PageState): string {
  const csp = `default-src 'none'; style-src ${webview.cspSource} 'unsafe-inline'`;
  const body =
    page.state === 'reading'
      ? `<p class="muted">Reading the component…</p>`
      : page.state === 'failed'
        ? `<p class="error" role="alert">${escape(page.message)}</p>`
        : `<p class="muted">What this component imports and exports, with the interfaces it names. <a href="${escape(page.open)}">Open as WIT text</a></p>${capabilityTable(page.capabilities)}<pre><code>${highlightWit(page.wit)}</code></pre>`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8"><meta http-equiv="Content-Security-Policy" content="${csp}">
<title>${escape(name)}</title>
<style>
body { font-family: var(--vscode-font-family); color: var(--vscode-foreground); padding: 0 16px; }
h1 { font-size: 1.2em; font-weight: 600; }
.muted { color: var(--vscode-descriptionForeground); }
.error { color: var(--vscode-errorForeground); }
pre { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); line-height: 1.45; white-space: pre; }
pre code { background: none; padding: 0; color: inherit; font-family: inherit; }
.keyword { color: var(--vscode-textLink-foreground); }
.comment { color: var(--vscode-descriptionForeground); font-style: italic; }
.name { color: var(--vscode-debugTokenExpression-string, var(--vscode-textPreformat-foreground)); }
a { color: var(--vscode-textLink-foreground); }
h2 { font-size: 1em; font-weight: 600; }
table { border-collapse: collapse; }
th, td { text-align: left; padding: 2px 12px 2px 0; vertical-align: top; }
th { color: var(--vscode-descriptionForeground); font-weight: normal; }
</style></head>
<body><h1>${escape(name)}: WebAssembly component</h1>${body}</body></html>`;
}

/** The .wasm editor and the read-only WIT documents (cheap to register: the runner is asked only when one opens). */
export function registerComponentViews(ctx: Ctx): void {
  ctx.push(
    vscode.window.registerCustomEditorProvider(COMPONENT_EDITOR_VIEW_TYPE, new ComponentEditor(ctx), { supportsMultipleEditorsPerDocument: true }),
    vscode.workspace.registerTextDocumentContentProvider(WIT_SCHEME, new WitDocuments(ctx)),
  );
}

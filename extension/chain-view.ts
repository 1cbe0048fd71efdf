// The middleware chain view: one webview panel (viewType openRuntime.chain, titled "Chain: <file>") that draws
// the ChainReport of a TS/JS file as an onion (webview/chain.ts, built to dist/webview/chain.js). It follows the
// active editor to files with chains (others leave the last chain on screen) and redraws as the user types (analysis ~300 ms after the last keystroke, with the unsaved
// text). Strict CSP with a nonce; it only talks through postMessage: `reveal` opens the source position.
import { webviewHtml } from './webview-html.ts';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChainReport } from '../runner/protocol.ts';
import type { FromChainView, ToChainView } from '../webview/chain.ts';
import { chainAnalyses, isChainSource, mayHoldChain, type ChainAnalyses } from './chain-analysis.ts';
import type { Ctx } from './ctx.ts';

export const CHAIN_VIEW_TYPE = 'openRuntime.chain';

/** `openRuntime.showMiddlewareChain` arguments: the file to draw (default: the active editor's). */
export interface ShowChainArgs {
  readonly file?: string;
}

export class ChainView implements vscode.Disposable {
  private readonly ctx: Ctx;
  private readonly analyses: ChainAnalyses;
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  /** The document drawn now. */
  private doc: vscode.TextDocument | undefined;
  private shown: { version: number; report: ChainReport } | undefined;
  /** The last message for the page: posted again when the page (re)loads. */
  private last: ToChainView | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    this.analyses = chainAnalyses(ctx);
    this.disposables.push(
      this.analyses.onDidAnalyze(({ uri, version, report }) => {
        if (this.panel && this.doc && uri.toString() === this.doc.uri.toString() && version >= (this.shown?.version ?? -1)) this.draw(version, report);
      }),
      this.analyses.onDidFail(({ uri, message }) => {
        if (this.panel && this.doc && uri.toString() === this.doc.uri.toString()) this.post({ type: 'failed', message: failure(message) });
      }),
      vscode.window.onDidChangeActiveTextEditor((editor) => {
        // Focus moving into the panel leaves no active editor: keep drawing what was there. A file with no chain to
        // draw (most files a user switches to) keeps the last chain on screen and costs no analysis.
        const doc = editor?.document;
        if (!this.panel || !doc || !isChainSource(doc) || doc === this.doc) return;
        void this.hasChainsToDraw(doc)
          .then((yes) => (yes && this.panel && vscode.window.activeTextEditor?.document === doc ? this.follow(doc) : undefined))
          .catch(() => undefined);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => {
        if (doc === this.doc) this.doc = undefined;
      }),
    );
  }

  get isOpen(): boolean {
    return this.panel !== undefined;
  }
  /** What the panel draws now (for the in-host tests and other extensions). */
  get current(): { file: string; version: number; report: ChainReport } | undefined {
    return this.panel && this.shown ? { file: this.shown.report.file, version: this.shown.version, report: this.shown.report } : undefined;
  }

  /** Opens (or brings forward) the panel on a document and returns its report once analysed. */
  async show(doc: vscode.TextDocument): Promise<ChainReport> {
    const panel = this.ensurePanel();
    if (!panel.visible) panel.reveal(vscode.ViewColumn.Beside, true);
    return this.follow(doc);
  }

  /**
   * Whether switching to this file should redraw the view: it may hold a Middy chain (the cheap text check), it held
   * one at its last analysis, or it is the handler of a function with runner-level middlewares.
   */
  private async hasChainsToDraw(doc: vscode.TextDocument): Promise<boolean> {
    if (mayHoldChain(doc.getText()) || this.analyses.heldChains(doc.uri)) return true;
    const folder = this.ctx.folderFor(doc.uri);
    if (!folder) return false;
    const { resolveHandlerSource } = await import('../runner/functions/discover.ts');
    const { functions } = await this.ctx.functions.get(folder);
    return functions.some((fn) => fn.middlewares.length > 0 && resolveHandlerSource(fn) === doc.uri.fsPath);
  }

  private async follow(doc: vscode.TextDocument): Promise<ChainReport> {
    if (this.doc && this.doc !== doc) this.analyses.unfollow(this.doc.uri);
    if (this.doc !== doc) this.shown = undefined;
    this.doc = doc;
    this.analyses.follow(doc.uri);
    if (this.panel) this.panel.title = `Chain: ${path.basename(doc.uri.fsPath)}`;
    this.post({ type: 'analyzing', file: doc.uri.fsPath });
    const version = doc.version;
    const report = await this.analyses.analyze(doc);
    // onDidAnalyze has drawn it already unless a newer version was drawn since.
    if (this.doc === doc && version >= (this.shown?.version ?? -1)) this.draw(version, report);
    return report;
  }

  private draw(version: number, report: ChainReport): void {
    this.shown = { version, report };
    this.post({ type: 'report', report });
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const distWebview = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      CHAIN_VIEW_TYPE,
      'Chain',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        enableFindWidget: true,
        retainContextWhenHidden: true,
        localResourceRoots: [distWebview],
      },
    );
    panel.iconPath = new vscode.ThemeIcon('type-hierarchy');
    this.ready = false;
    // The page's styles are a constructed style sheet made by its script.
    panel.webview.html = webviewHtml(panel.webview, vscode.Uri.joinPath(distWebview, 'chain.js'), {
      title: 'Middleware chain',
      main: '<main id="chain" aria-live="polite" aria-busy="true"></main>',
    });
    panel.webview.onDidReceiveMessage((msg: FromChainView) => this.onMessage(msg));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
      this.last = undefined;
      this.shown = undefined;
      if (this.doc) this.analyses.unfollow(this.doc.uri);
      this.doc = undefined;
    });
    this.panel = panel;
    return panel;
  }

  private post(message: ToChainView): void {
    this.last = message;
    // Until the page says it is ready it would drop messages; it gets the last one when it is.
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  private onMessage(msg: FromChainView): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        if (this.last) void this.panel?.webview.postMessage(this.last);
        return;
      case 'reveal':
        void this.reveal(msg.file, msg.line, msg.column);
        return;
    }
  }

  /** Opens a 1-based position in the editor that shows the file already, else beside the panel's. */
  private async reveal(file: string, line: number, column: number): Promise<void> {
    const uri = vscode.Uri.file(file);
    const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
    const open = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
    try {
      const editor = await vscode.window.showTextDocument(uri, {
        viewColumn: open?.viewColumn ?? vscode.ViewColumn.One,
        selection: new vscode.Range(position, position),
      });
      editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    } catch (err) {
      void vscode.window.showWarningMessage(
        `Cannot open ${file} (${(err as Error).message}): it may have been moved or deleted; run "Show middleware chain" again.`,
      );
    }
  }

  dispose(): void {
    this.panel?.dispose();
    this.panel = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function failure(message: string): string {
  return `The middleware chains could not be analysed: ${message}`;
}

const views = new WeakMap<Ctx, ChainView>();

/** The one chain view of the extension (created on first use, disposed with the context). */
export function chainView(ctx: Ctx): ChainView {
  let view = views.get(ctx);
  if (!view) {
    view = new ChainView(ctx);
    views.set(ctx, view);
    ctx.push(view);
  }
  return view;
}

/** What the chain view draws now, without creating it. */
export function shownChain(ctx: Ctx): { file: string; version: number; report: ChainReport } | undefined {
  return views.get(ctx)?.current;
}

/**
 * `openRuntime.showMiddlewareChain`: draws the chains of `args.file` (or of the active editor's file) and returns
 * the ChainReport drawn; undefined, with a message saying why, when there is nothing to draw.
 */
export async function showMiddlewareChain(ctx: Ctx, args?: ShowChainArgs | vscode.Uri): Promise<ChainReport | undefined> {
  const file = args instanceof vscode.Uri ? args.fsPath : args?.file;
  let doc: vscode.TextDocument | undefined;
  if (file) {
    const uri = vscode.Uri.file(path.resolve(ctx.folderFor()?.uri.fsPath ?? '', file));
    try {
      // The editor's copy when the file is open (unsaved text included), else the file from disk.
      doc = await vscode.workspace.openTextDocument(uri);
    } catch (err) {
      void vscode.window.showErrorMessage(`Cannot open ${file} to show its middleware chain (${(err as Error).message}): check the path.`);
      return undefined;
    }
  } else {
    doc = vscode.window.activeTextEditor?.document;
  }
  if (!doc || !isChainSource(doc)) {
    void vscode.window.showInformationMessage(
      'Open a TypeScript or JavaScript file (a middy(handler).use(...) chain, or a handler with runner middlewares), then run "Show Middleware Chain".',
    );
    return undefined;
  }
  try {
    return await chainView(ctx).show(doc);
  } catch (err) {
    const message = failure((err as Error).message);
    ctx.log(message);
    void vscode.window.showErrorMessage(message, 'Show Output').then((choice) => {
      if (choice) ctx.showOutput();
    });
    return undefined;
  }
}

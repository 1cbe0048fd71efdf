// The Middy chain analysis of open documents, shared by the chain lenses, the chain diagnostics and the chain
// view: the runner computes it (POST /chains, in its analysis worker), so the extension host stays responsive.
// One analysis per document version is asked for, whoever asks; edits are analysed ~300 ms after typing stops,
// with the unsaved text. Files without a `middy(` call never reach the runner unless the chain view shows them
// (it also draws runner-level chains, which any handler file can have).
import * as vscode from 'vscode';
import type { ChainReport } from '../runner/protocol.ts';
import type { Ctx } from './ctx.ts';

export const CHAIN_LANGUAGES: ReadonlySet<string> = new Set(['typescript', 'typescriptreact', 'javascript', 'javascriptreact']);
export const EDIT_DEBOUNCE_MS = 300;

/** A TS/JS file of the user's on disk: what the analyzer can read (with its tsconfig and node_modules). */
export function isChainSource(doc: vscode.TextDocument): boolean {
  // Dependencies opened by "Go to Definition" (@middy/core's own files) are not the user's chains.
  return doc.uri.scheme === 'file' && CHAIN_LANGUAGES.has(doc.languageId) && !/[\\/]node_modules[\\/]/.test(doc.uri.fsPath);
}

const MIDDY_CALL = /\bmiddy\s*[(<]/;

/** The cheap check before asking the runner: no `middy(` or `middy<...>(` in the text, no Middy chain. */
export function mayHoldChain(text: string): boolean {
  return MIDDY_CALL.test(text);
}

export interface ChainAnalysis {
  readonly uri: vscode.Uri;
  /** The document version the report is for. */
  readonly version: number;
  readonly report: ChainReport;
}

/** VS Code's 0-based range of a report's 1-based positions. */
export function toRange(range: { start: { line: number; column: number }; end: { line: number; column: number } }): vscode.Range {
  return new vscode.Range(
    Math.max(0, range.start.line - 1),
    Math.max(0, range.start.column - 1),
    Math.max(0, range.end.line - 1),
    Math.max(0, range.end.column - 1),
  );
}

export class ChainAnalyses implements vscode.Disposable {
  private readonly ctx: Ctx;
  /** The analysis asked for, per document, for its latest version asked about (kept: one request per version). */
  private readonly asked = new Map<string, { version: number; report: Promise<ChainReport> }>();
  /** Version of the last analysis announced per document: an older answer arriving late is not announced. */
  private readonly announced = new Map<string, number>();
  /** Documents the chain view shows: analysed on edit even without `middy(`. */
  private readonly followed = new Set<string>();
  /** Documents whose last analysis found chains: analysed on edit so removing them clears what was shown. */
  private readonly chained = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly analyzedEmitter = new vscode.EventEmitter<ChainAnalysis>();
  private readonly failedEmitter = new vscode.EventEmitter<{ uri: vscode.Uri; version: number; message: string }>();
  private readonly disposables: vscode.Disposable[] = [];
  /** Each finished analysis (newest version of its document so far). */
  readonly onDidAnalyze = this.analyzedEmitter.event;
  readonly onDidFail = this.failedEmitter.event;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    this.disposables.push(
      this.analyzedEmitter,
      this.failedEmitter,
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length > 0) this.onEdit(e.document);
      }),
      vscode.workspace.onDidCloseTextDocument((doc) => this.forget(doc.uri)),
    );
  }

  /** Whether an edit of this document is analysed on its own (the lenses, diagnostics and view need it). */
  private watches(doc: vscode.TextDocument): boolean {
    const key = doc.uri.toString();
    return isChainSource(doc) && (this.followed.has(key) || this.chained.has(key) || mayHoldChain(doc.getText()));
  }

  private onEdit(doc: vscode.TextDocument): void {
    if (!this.watches(doc)) return;
    const key = doc.uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        // The document may have been closed meanwhile; the runner reads it from disk then, which is not what the user sees.
        if (doc.isClosed) return;
        this.analyze(doc).catch(() => undefined /* announced through onDidFail */);
      }, EDIT_DEBOUNCE_MS),
    );
  }

  /** Analyses a just-opened document when it may hold a chain (diagnostics appear without asking). */
  analyzeIfChained(doc: vscode.TextDocument): void {
    if (isChainSource(doc) && mayHoldChain(doc.getText())) this.analyze(doc).catch(() => undefined);
  }

  /** Whether the document's last analysis found chains. */
  heldChains(uri: vscode.Uri): boolean {
    return this.chained.has(uri.toString());
  }

  follow(uri: vscode.Uri): void {
    this.followed.add(uri.toString());
  }
  unfollow(uri: vscode.Uri): void {
    this.followed.delete(uri.toString());
  }

  /** The report for the document as it is now (its current version), asking the runner once per version. */
  analyze(doc: vscode.TextDocument): Promise<ChainReport> {
    const key = doc.uri.toString();
    const version = doc.version;
    const existing = this.asked.get(key);
    if (existing && existing.version === version) return existing.report;
    const report = this.ask(doc);
    this.asked.set(key, { version, report });
    report.then(
      (r) => {
        if (doc.isClosed || (this.announced.get(key) ?? -1) > version) return;
        this.announced.set(key, version);
        if (r.chains.length > 0) this.chained.add(key);
        else this.chained.delete(key);
        this.analyzedEmitter.fire({ uri: doc.uri, version, report: r });
      },
      (err: Error) => {
        // Ask again next time rather than keep a failure for this version.
        if (this.asked.get(key)?.report === report) this.asked.delete(key);
        this.failedEmitter.fire({ uri: doc.uri, version, message: err.message });
      },
    );
    return report;
  }

  private async ask(doc: vscode.TextDocument): Promise<ChainReport> {
    const folder = this.ctx.folderFor(doc.uri);
    if (!folder) throw new Error('Open Runtime analyses middleware chains in a workspace: open the folder that holds this file.');
    const runner = await this.ctx.runnerFor(folder);
    // Saved text is read from disk by the runner; unsaved text is sent, so the analysis matches the editor.
    return runner.chains(doc.uri.fsPath, doc.isDirty ? doc.getText() : undefined);
  }

  private forget(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
    this.asked.delete(key);
    this.announced.delete(key);
    this.chained.delete(key);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

const shared = new WeakMap<Ctx, ChainAnalyses>();

/** The one ChainAnalyses of the extension (created on first use, disposed with the context). */
export function chainAnalyses(ctx: Ctx): ChainAnalyses {
  let analyses = shared.get(ctx);
  if (!analyses) {
    analyses = new ChainAnalyses(ctx);
    shared.set(ctx, analyses);
    ctx.push(analyses);
  }
  return analyses;
}

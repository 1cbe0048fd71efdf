// Invocation history: every invocation made from the editor, newest first, kept in workspace state so it
// survives a reload. Shown as the "Invocations" tree in the Open Runtime view container, and served as
// read-only virtual documents (the event sent, the result) so two results can be compared with vscode.diff.
import * as vscode from 'vscode';
import type { InvokeResult } from '../runner/protocol.ts';
import type { HttpRequestSpec, RouteKey } from '../runner/events/saved-requests.ts';
import type { HttpExchange } from './routes/http-request.ts';

export const HISTORY_VIEW_ID = 'openRuntime.history';
export const HISTORY_SCHEME = 'open-runtime-history';
const STATE_KEY = 'openRuntime.history.v1';
/** Bigger payloads are cut in the stored copy so workspace state stays small. */
const MAX_STORED_CHARS = 256 * 1024;
/** How long after an invocation the history tree and its stored copy are updated (see publishSoon). */
const PUBLISH_AFTER_MS = 150;

/** The HTTP request that caused an invocation through the gateway ("Send request" in the Routes view), and its answer. */
export interface HistoryHttpRequest {
  readonly route: RouteKey;
  readonly sent: HttpRequestSpec;
  /** Where it went (the gateway's port changes with each runner; re-run sends to the current one). */
  readonly url: string;
  readonly response?: HttpExchange;
}

export interface HistoryEntry {
  readonly id: string;
  readonly functionName: string;
  /** To re-run a function that exists only through inference after the runner restarted. */
  readonly file?: string;
  readonly exportName?: string;
  readonly folder: string;
  readonly startedAt: number;
  readonly debug: boolean;
  readonly payload: string;
  readonly eventLabel: string;
  /** The hint given when the event's source was not one of the function's declared triggers. */
  readonly eventHint?: string;
  readonly savedEventPath?: string;
  readonly result?: InvokeResult;
  /** Why there is no result (runner unreachable, rejected request...). */
  readonly failure?: string;
  readonly codeRoot?: string;
  /** Set when an HTTP request to a route caused the invocation; re-run sends it again. */
  readonly request?: HistoryHttpRequest;
  /** The tenant it ran for (tenant-isolated functions); re-run uses it again. */
  readonly tenantId?: string;
}

export function entryOutcome(e: HistoryEntry): 'ok' | 'error' {
  // A request answered by the API counts as ok unless the function failed or the gateway answered 5xx.
  if (e.request?.response) return e.request.response.status < 500 && !e.result?.functionError ? 'ok' : 'error';
  return e.result && !e.result.functionError && !e.result.error ? 'ok' : 'error';
}

export class InvocationHistory implements vscode.TreeDataProvider<HistoryEntry>, vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly memento: vscode.Memento;
  private entries: HistoryEntry[];
  private limit: number;
  private publishTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly treeChanged = new vscode.EventEmitter<HistoryEntry | undefined>();
  private readonly docChanged = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChangeTreeData = this.treeChanged.event;
  readonly onDidChange = this.docChanged.event;

  constructor(memento: vscode.Memento, limit: number) {
    this.memento = memento;
    this.limit = limit;
    const stored = memento.get<HistoryEntry[]>(STATE_KEY, []);
    this.entries = Array.isArray(stored) ? stored.filter((e) => e && typeof e.id === 'string') : [];
  }

  get all(): readonly HistoryEntry[] {
    return this.entries;
  }

  find(id: string): HistoryEntry | undefined {
    return this.entries.find((e) => e.id === id);
  }

  /** The most recent entry of a function with a successful result, for "Save last result as event". */
  lastResultOf(functionName?: string): HistoryEntry | undefined {
    return this.entries.find((e) => (functionName === undefined || e.functionName === functionName) && e.result !== undefined);
  }

  setLimit(limit: number): void {
    this.limit = limit;
    this.trim();
  }

  add(entry: HistoryEntry): void {
    this.entries = [entry, ...this.entries.filter((e) => e.id !== entry.id)];
    this.trim();
    this.publishSoon();
  }

  /**
   * The tree and the stored copy follow a moment later, in one go: an invocation's result is drawn first (both cross
   * to the workbench, the stored copy with every entry), and a burst of invocations costs one refresh and one write.
   * The entries themselves (find, re-run, lastResultOf) are current at once.
   */
  private publishSoon(): void {
    if (this.publishTimer !== undefined) return;
    this.publishTimer = setTimeout(() => this.publish(), PUBLISH_AFTER_MS);
  }

  private publish(): void {
    if (this.publishTimer !== undefined) clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    this.treeChanged.fire(undefined);
    void this.memento.update(STATE_KEY, this.entries.map(forStorage));
  }

  clear(): void {
    if (this.publishTimer !== undefined) clearTimeout(this.publishTimer);
    this.publishTimer = undefined;
    this.entries = [];
    this.treeChanged.fire(undefined);
    void this.memento.update(STATE_KEY, []);
  }

  private trim(): void {
    if (this.entries.length > this.limit) this.entries = this.entries.slice(0, this.limit);
  }

  // --- tree ---

  getChildren(element?: HistoryEntry): HistoryEntry[] {
    return element ? [] : [...this.entries];
  }

  getTreeItem(e: HistoryEntry): vscode.TreeItem {
    const item = new vscode.TreeItem(e.functionName, vscode.TreeItemCollapsibleState.None);
    const ok = entryOutcome(e) === 'ok';
    const time = new Date(e.startedAt).toLocaleTimeString();
    const duration = e.result ? `${Math.round(e.result.report.durationMs)} ms` : '';
    const outcome = e.request?.response
      ? `${e.request.sent.method} ${e.request.response.status}`
      : e.result
        ? ok
          ? 'ok'
          : (e.result.error?.errorType ?? 'error')
        : 'failed';
    item.id = e.id;
    item.description = [outcome, duration, time].filter(Boolean).join(' · ');
    item.iconPath = new vscode.ThemeIcon(ok ? 'pass' : 'error', new vscode.ThemeColor(ok ? 'testing.iconPassed' : 'testing.iconFailed'));
    const tip = new vscode.MarkdownString(undefined, true);
    tip.appendMarkdown(`**${escapeMd(e.functionName)}**${e.debug ? ' (debug)' : ''}  \n`);
    tip.appendMarkdown(
      `${new Date(e.startedAt).toLocaleString()}  \n${e.request ? `Request: ${escapeMd(`${e.request.sent.method} ${e.request.sent.path}`)}` : `Event: ${escapeMd(e.eventLabel)}`}  \n`,
    );
    if (e.result) {
      tip.appendMarkdown(`Request ID: \`${e.result.requestId}\`  \n`);
      if (e.result.error) tip.appendMarkdown(`Error: \`${escapeMd(e.result.error.errorType)}\` ${escapeMd(e.result.error.errorMessage)}  \n`);
      tip.appendMarkdown(
        `Duration ${e.result.report.durationMs.toFixed(2)} ms · billed ${e.result.report.billedDurationMs} ms · max memory ${e.result.report.maxMemoryUsedMB} MB`,
      );
    } else if (e.failure) {
      tip.appendMarkdown(escapeMd(e.failure));
    }
    item.tooltip = tip;
    item.contextValue = 'openRuntime.invocation';
    item.command = { command: 'openRuntime.history.showResult', title: 'Show result', arguments: [e] };
    item.accessibilityInformation = { label: `${e.functionName}, ${outcome}, ${duration}, at ${time}` };
    return item;
  }

  // --- virtual documents: open-runtime-history:/<id>/<function>-event.json and -result.json ---

  eventUri(e: HistoryEntry): vscode.Uri {
    return vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${e.id}/${e.functionName}-event.json` });
  }

  resultUri(e: HistoryEntry): vscode.Uri {
    return vscode.Uri.from({ scheme: HISTORY_SCHEME, path: `/${e.id}/${e.functionName}-result.json` });
  }

  provideTextDocumentContent(uri: vscode.Uri): string {
    const [, id, name] = uri.path.split('/');
    const e = id ? this.find(id) : undefined;
    if (!e) return `// This invocation is no longer in the history (it keeps the last ${this.limit}).\n`;
    if (name?.endsWith('-event.json')) return prettyJson(e.payload);
    return `${JSON.stringify(resultDocument(e), null, 2)}\n`;
  }

  dispose(): void {
    // An entry added just before the window closes is still stored.
    if (this.publishTimer !== undefined) this.publish();
    this.treeChanged.dispose();
    this.docChanged.dispose();
  }
}

/** What "compare two results" diffs: the outcome, the response, then the REPORT figures (no request ids). */
export function resultDocument(e: HistoryEntry): Record<string, unknown> {
  if (!e.result) return { function: e.functionName, event: e.eventLabel, failure: e.failure ?? 'no result' };
  let response: unknown = e.result.payload;
  try {
    response = JSON.parse(e.result.payload);
  } catch {
    /* keep the text */
  }
  return {
    function: e.functionName,
    event: e.eventLabel,
    outcome: entryOutcome(e) === 'ok' ? 'succeeded' : 'failed',
    ...(e.result.error ? { error: e.result.error } : {}),
    ...(e.result.httpPrelude ? { httpPrelude: e.result.httpPrelude } : {}),
    ...(e.request?.response ? { httpStatus: e.request.response.status } : {}),
    response,
    report: e.result.report,
  };
}

function prettyJson(text: string): string {
  try {
    return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
  } catch {
    return text;
  }
}

function forStorage(e: HistoryEntry): HistoryEntry {
  const cut = (s: string) => (s.length > MAX_STORED_CHARS ? s.slice(0, MAX_STORED_CHARS) : s);
  const response = e.request?.response;
  if (response && response.body.length > MAX_STORED_CHARS) e = { ...e, request: { ...e.request!, response: { ...response, body: cut(response.body) } } };
  if (e.payload.length <= MAX_STORED_CHARS && (!e.result || (e.result.payload.length <= MAX_STORED_CHARS && e.result.logs.length <= MAX_STORED_CHARS)))
    return e;
  return { ...e, payload: cut(e.payload), ...(e.result ? { result: { ...e.result, payload: cut(e.result.payload), logs: cut(e.result.logs) } } : {}) };
}

function escapeMd(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}

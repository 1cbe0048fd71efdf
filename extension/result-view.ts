// The result view: one webview panel (viewType openRuntime.result, titled "Result: <function>") that shows
// the current invocation as it runs and ends. Strict CSP with a nonce; it only talks through postMessage.
// The page itself is webview/result.ts (built to dist/webview/result.js).
import { webviewHtml } from './webview-html.ts';
import * as vscode from 'vscode';
import type { Ctx } from './ctx.ts';
import { takeHttpPrelude, type FromResultView, type ResultModel, type ToResultView } from './result-model.ts';

export const RESULT_VIEW_TYPE = 'openRuntime.result';

export interface ResultViewActions {
  /** The history entry shown, when the view shows a finished invocation. */
  rerun(entryId: string | undefined): void;
  saveAsEvent(entryId: string | undefined): void;
}

export class ResultView implements vscode.Disposable {
  private readonly ctx: Ctx;
  private readonly actions: ResultViewActions;
  private panel: vscode.WebviewPanel | undefined;
  private ready = false;
  private model: ResultModel | undefined;
  /** The folder stack frames are resolved against (Lambda's /var/task maps to the function's code). */
  private codeRoot: string | undefined;
  private entryId: string | undefined;
  /** Streamed data held back until we know whether it starts with an HTTP prelude. */
  private streamHead: string | undefined = '';
  /** Numbers the models posted; the page answers `drawn` with the number it has on screen. */
  private seq = 0;
  private drawnSeq = 0;
  private readonly drawnWaiters = new Set<() => void>();
  /** A "Running…" not drawn yet (see showRunning). */
  private pendingRunning: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: Ctx, actions: ResultViewActions) {
    this.ctx = ctx;
    this.actions = actions;
  }

  get currentModel(): ResultModel | undefined {
    return this.model;
  }
  get isOpen(): boolean {
    return this.panel !== undefined;
  }

  /** Shows a fresh model (running, finished or failed) and brings the panel forward without taking focus. */
  show(model: ResultModel, codeRoot?: string, entryId?: string): void {
    this.cancelPendingRunning();
    this.model = model;
    this.entryId = entryId;
    this.streamHead = '';
    if (codeRoot !== undefined) this.codeRoot = codeRoot;
    const panel = this.ensurePanel();
    const title = `Result: ${model.functionName}`;
    if (panel.title !== title) panel.title = title;
    if (!panel.visible) panel.reveal(vscode.ViewColumn.Beside, true);
    this.postModel();
  }

  /**
   * A running invocation: drawn only if it is still running after `afterMs`, so an invocation that answers
   * within that time goes straight from the previous result to its own (one drawing, no "Running…" flash); the
   * panel is created and brought forward at once. The model is current right away (resultModel(), chunks).
   */
  showRunning(model: ResultModel, codeRoot: string | undefined, afterMs: number): void {
    if (!this.panel || afterMs <= 0) {
      this.show(model, codeRoot);
      return;
    }
    this.cancelPendingRunning();
    this.model = model;
    this.entryId = undefined;
    this.streamHead = '';
    if (codeRoot !== undefined) this.codeRoot = codeRoot;
    if (!this.panel.visible) this.panel.reveal(vscode.ViewColumn.Beside, true);
    this.pendingRunning = setTimeout(() => this.flushPendingRunning(), afterMs);
  }

  private cancelPendingRunning(): void {
    if (this.pendingRunning !== undefined) clearTimeout(this.pendingRunning);
    this.pendingRunning = undefined;
  }

  /** Draws the running model now (its time has come, or streamed data needs it on the page). */
  private flushPendingRunning(): void {
    if (this.pendingRunning === undefined) return;
    this.cancelPendingRunning();
    if (this.panel && this.model && this.panel.title !== `Result: ${this.model.functionName}`) this.panel.title = `Result: ${this.model.functionName}`;
    this.postModel();
  }

  /** Resolves once the page has drawn the model shown last (false when it did not within `timeoutMs`). */
  drawn(timeoutMs = 5_000): Promise<boolean> {
    const wanted = this.seq;
    if (this.drawnSeq >= wanted) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drawnWaiters.delete(check);
        resolve(false);
      }, timeoutMs);
      const check = () => {
        if (this.drawnSeq < wanted) return;
        clearTimeout(timer);
        this.drawnWaiters.delete(check);
        resolve(true);
      };
      this.drawnWaiters.add(check);
    });
  }

  private postModel(): void {
    if (this.model) this.post({ type: 'model', model: this.model, seq: ++this.seq });
  }

  /** Streamed response data as it arrives, for the invocation being shown. */
  appendChunk(functionName: string, requestId: string | undefined, data: string): void {
    const m = this.model;
    if (!m || m.state !== 'running' || m.functionName !== functionName) return;
    if (m.requestId !== undefined && requestId !== undefined && m.requestId !== requestId) return;
    const id = m.requestId ?? requestId;
    this.flushPendingRunning();
    if (this.streamHead !== undefined) {
      const split = takeHttpPrelude(this.streamHead + data);
      if (!split) {
        this.streamHead += data;
        return;
      }
      this.streamHead = undefined;
      const chunks = split.body ? [split.body] : [];
      this.model = { ...m, requestId: id, streamed: true, chunks, ...(split.prelude ? { streamPrelude: split.prelude } : {}) };
      this.postModel();
      return;
    }
    this.model = { ...m, requestId: id, streamed: true, chunks: [...(m.chunks ?? []), data] };
    this.post({ type: 'chunk', data });
  }

  /** Records the request id of the running invocation once the runner announces it. */
  setRequestId(functionName: string, requestId: string): void {
    const m = this.model;
    if (m && m.state === 'running' && m.functionName === functionName && m.requestId === undefined) this.model = { ...m, requestId };
  }

  private ensurePanel(): vscode.WebviewPanel {
    if (this.panel) return this.panel;
    const distWebview = vscode.Uri.joinPath(this.ctx.extension.extensionUri, 'dist', 'webview');
    const panel = vscode.window.createWebviewPanel(
      RESULT_VIEW_TYPE,
      'Result',
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        enableFindWidget: true,
        retainContextWhenHidden: true,
        localResourceRoots: [distWebview],
      },
    );
    panel.iconPath = new vscode.ThemeIcon('output');
    this.ready = false;
    panel.webview.html = webviewHtml(panel.webview, vscode.Uri.joinPath(distWebview, 'result.js'), {
      title: 'Result',
      css: RESULT_CSS,
      main: '<main id="result" aria-live="polite">\n  <p id="empty">No invocation yet. Use "Invoke with event" above a handler.</p>\n</main>',
    });
    panel.webview.onDidReceiveMessage((msg: FromResultView) => this.onMessage(msg));
    panel.onDidDispose(() => {
      this.panel = undefined;
      this.ready = false;
    });
    this.panel = panel;
    return panel;
  }

  private post(message: ToResultView): void {
    // Until the page says it is ready, it would drop messages; it asks for the whole model when it is.
    if (this.panel && this.ready) void this.panel.webview.postMessage(message);
  }

  private onMessage(msg: FromResultView): void {
    switch (msg.type) {
      case 'ready':
        this.ready = true;
        this.postModel();
        return;
      case 'drawn':
        this.drawnSeq = Math.max(this.drawnSeq, msg.seq);
        for (const check of [...this.drawnWaiters]) check();
        return;
      case 'open-frame':
        void this.openFrame(msg.file, msg.line, msg.column);
        return;
      case 'rerun':
        this.actions.rerun(this.entryId);
        return;
      case 'save-as-event':
        this.actions.saveAsEvent(this.entryId);
        return;
    }
  }

  private async openFrame(file: string, line: number, column: number): Promise<void> {
    const candidates: string[] = [];
    if (this.codeRoot && file.startsWith('/var/task/'))
      candidates.push(vscode.Uri.joinPath(vscode.Uri.file(this.codeRoot), file.slice('/var/task/'.length)).fsPath);
    if (file.startsWith('/') || /^[A-Za-z]:[\\/]/.test(file)) candidates.push(file);
    else if (this.codeRoot) candidates.push(vscode.Uri.joinPath(vscode.Uri.file(this.codeRoot), file).fsPath);
    for (const candidate of candidates) {
      const uri = vscode.Uri.file(candidate);
      try {
        await vscode.workspace.fs.stat(uri);
      } catch {
        continue;
      }
      const position = new vscode.Position(Math.max(0, line - 1), Math.max(0, column - 1));
      await vscode.window.showTextDocument(uri, { viewColumn: vscode.ViewColumn.One, selection: new vscode.Range(position, position) });
      return;
    }
    void vscode.window.showWarningMessage(`Cannot open ${file}: the file is not on this machine (it may be inside a runtime or a layer).`);
  }

  dispose(): void {
    this.cancelPendingRunning();
    this.panel?.dispose();
    this.panel = undefined;
  }
}

const RESULT_CSS = `
body { font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); color: var(--vscode-foreground); padding: 0 16px 24px; }
header { display: flex; align-items: baseline; gap: 12px; flex-wrap: wrap; padding: 12px 0 8px; border-bottom: 1px solid var(--vscode-panel-border); }
h1 { font-size: 1.2em; margin: 0; font-weight: 600; }
h2 { font-size: 1em; margin: 18px 0 6px; font-weight: 600; text-transform: uppercase; letter-spacing: .04em; color: var(--vscode-descriptionForeground); }
.badge { padding: 1px 8px; border-radius: 10px; font-size: .85em; font-weight: 600; }
.badge.running { background: var(--vscode-badge-background); color: var(--vscode-badge-foreground); }
.badge.succeeded { background: var(--vscode-testing-iconPassed, #388a34); color: #fff; }
.badge.failed { background: var(--vscode-testing-iconFailed, #c72e0f); color: #fff; }
.meta { color: var(--vscode-descriptionForeground); font-size: .9em; }
.hint { color: var(--vscode-editorWarning-foreground); margin: .4em 0; }
.actions { margin-left: auto; display: flex; gap: 6px; }
button { background: var(--vscode-button-secondaryBackground); color: var(--vscode-button-secondaryForeground); border: none; padding: 3px 10px; cursor: pointer; border-radius: 2px; }
button:hover { background: var(--vscode-button-secondaryHoverBackground); }
pre { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); background: var(--vscode-textCodeBlock-background); padding: 8px 10px; overflow: auto; white-space: pre-wrap; word-break: break-word; margin: 0; }
table { border-collapse: collapse; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
td, th { text-align: left; padding: 2px 14px 2px 0; vertical-align: top; }
th { color: var(--vscode-descriptionForeground); font-weight: normal; }
#http-status { font-size: 1.1em; font-weight: 600; }
#http-status.ok { color: var(--vscode-testing-iconPassed, #388a34); }
#http-status.bad { color: var(--vscode-testing-iconFailed, #c72e0f); }
#report dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
#report dt { color: var(--vscode-descriptionForeground); }
#report dd { margin: 0; font-family: var(--vscode-editor-font-family); }
#error-type { color: var(--vscode-errorForeground); font-weight: 600; font-family: var(--vscode-editor-font-family); }
#error-message { white-space: pre-wrap; margin: 4px 0 8px; }
#stack { list-style: none; padding: 0; margin: 0; font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); }
.stack-frame { padding: 1px 0; white-space: pre; overflow-x: auto; }
.stack-frame a { color: var(--vscode-textLink-foreground); text-decoration: none; cursor: pointer; }
.stack-frame a:hover { text-decoration: underline; }
.chunk { border-left: 2px solid var(--vscode-focusBorder); padding-left: 6px; margin-bottom: 2px; }
#message { color: var(--vscode-errorForeground); white-space: pre-wrap; }
details summary { cursor: pointer; color: var(--vscode-descriptionForeground); margin-top: 18px; }
.exchange { display: grid; grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); gap: 0 24px; align-items: start; }
.exchange:has(> #request:not([open])) { grid-template-columns: minmax(0, max-content) minmax(0, 1fr); }
@media (max-width: 720px) { .exchange { grid-template-columns: minmax(0, 1fr); } #request pre { max-height: 12em; } }
#request > summary { font-weight: 600; text-transform: uppercase; letter-spacing: .04em; font-size: 1em; }
#request pre { max-height: 60vh; }
#request-line { font-family: var(--vscode-editor-font-family); font-size: var(--vscode-editor-font-size); margin: 6px 0 2px; word-break: break-all; }
#request-line .method { font-weight: 600; }
`;

// The one object that owns the extension's long-lived parts (rust-analyzer style): the output channel, the
// status bar, the runner sidecars (one per workspace folder, started lazily), the history, and every
// disposable. Commands receive it; nothing else keeps global state.
//
// Only light modules are imported here: the runner client (undici, zod) is loaded on first use, so
// activation stays well under 50 ms.
import { appendFileSync } from 'node:fs';
import * as vscode from 'vscode';
import type { RunnerEvent } from '../runner/protocol.ts';
import type { ClickTimer } from './click-timer.ts';
import { affectsRunner, readConfig, type Config } from './config.ts';
import { InvocationHistory } from './history.ts';
import { ResultView } from './result-view.ts';
import type { RunnerSidecar, RunnerState } from './runner-client.ts';
import { DeployedStatusBar, RunnerStatusBar } from './status-bar.ts';
import { WorkspaceFunctions } from './workspace-functions.ts';

/** The output channel's name (what the Output view's list shows). */
const OUTPUT_NAME = 'Open Runtime';

/** How long log lines wait to be written together (see Ctx.log). */
const LOG_BATCH_MS = 40;

export interface FolderEvent {
  readonly folder: vscode.WorkspaceFolder;
  readonly event: RunnerEvent;
}

export class Ctx implements vscode.Disposable {
  readonly extension: vscode.ExtensionContext;
  readonly output: vscode.OutputChannel;
  /** Problems in saved event files (malformed JSON), shown where they are. */
  readonly eventDiagnostics: vscode.DiagnosticCollection;
  readonly statusBar: RunnerStatusBar;
  /** The last deploy, kept in the status bar with its next step. */
  readonly deployStatus: DeployedStatusBar;
  /** The functions the workspace's templates define (for CodeLenses and pickers). */
  readonly functions: WorkspaceFunctions;
  readonly history: InvocationHistory;
  readonly results: ResultView;
  /** Milliseconds from the first line of the bundle to the end of activate(). */
  activationMs = 0;

  private readonly runners = new Map<string, RunnerSidecar>();
  private readonly starting = new Map<string, Promise<RunnerSidecar>>();
  private readonly disposables: vscode.Disposable[] = [];
  private pendingLog: string[] = [];
  private pendingLogTimer: ReturnType<typeof setTimeout> | undefined;
  private logClosed = false;
  private readonly runnerEventEmitter = new vscode.EventEmitter<FolderEvent>();
  private readonly functionsChangedEmitter = new vscode.EventEmitter<void>();
  /** Every event of every runner, tagged with its folder. */
  readonly onRunnerEvent = this.runnerEventEmitter.event;
  /** Templates or handlers changed: CodeLenses and function lists should be recomputed. */
  readonly onFunctionsChanged = this.functionsChangedEmitter.event;

  constructor(extension: vscode.ExtensionContext) {
    this.extension = extension;
    this.output = vscode.window.createOutputChannel(OUTPUT_NAME);
    this.eventDiagnostics = vscode.languages.createDiagnosticCollection('open-runtime-events');
    this.statusBar = new RunnerStatusBar();
    this.deployStatus = new DeployedStatusBar();
    this.disposables.push(this.output, this.eventDiagnostics, this.statusBar, this.deployStatus, this.runnerEventEmitter, this.functionsChangedEmitter);
    this.functions = new WorkspaceFunctions(this);
    this.history = new InvocationHistory(extension.workspaceState, readConfig().historySize);
    this.results = new ResultView(this, {
      rerun: (id) => void vscode.commands.executeCommand('openRuntime.history.rerun', id ? this.history.find(id) : undefined),
      saveAsEvent: (id) => void vscode.commands.executeCommand('openRuntime.saveLastResultAsEvent', id ? { entryId: id } : undefined),
    });
    this.disposables.push(this.functions, this.history, this.results);
    this.disposables.push(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('openRuntime.history.size')) this.history.setLimit(readConfig().historySize);
        if (affectsRunner(e) && this.runners.size > 0) {
          this.log('openRuntime.nodePath changed: restarting the runner.');
          void this.restartRunners();
        }
      }),
    );
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders((e) => {
        for (const removed of e.removed) {
          const runner = this.runners.get(removed.uri.toString());
          this.runners.delete(removed.uri.toString());
          void runner?.dispose();
        }
        this.updateStatusBar();
      }),
    );
  }

  get config(): Config {
    return readConfig();
  }

  push(...items: vscode.Disposable[]): void {
    this.disposables.push(...items);
  }

  /**
   * A line for the output channel. Lines are written in batches (one append per LOG_BATCH_MS): each append is a
   * message to the workbench, which redraws a visible Output view for it, and an invocation logs five or more lines
   * at once; one by one they queued in front of the result view's own message and delayed the result on screen.
   */
  log(line: string): void {
    if (this.logClosed) return;
    this.pendingLog.push(line);
    this.pendingLogTimer ??= setTimeout(() => this.flushLog(), LOG_BATCH_MS);
  }

  /** Writes the lines `log` holds (at once: before showing the channel, at dispose). */
  flushLog(): void {
    if (this.pendingLogTimer !== undefined) clearTimeout(this.pendingLogTimer);
    this.pendingLogTimer = undefined;
    if (this.pendingLog.length === 0) return;
    const lines = this.pendingLog.join('\n');
    this.pendingLog = [];
    this.output.appendLine(lines);
    // Under test (and when developing the extension) the output also goes to the extension host's log,
    // which is where an E2E failure is investigated from.
    if (this.extension.extensionMode !== vscode.ExtensionMode.Production) console.log(`[open-runtime] ${lines.replaceAll('\n', '\n[open-runtime] ')}`);
  }

  /**
   * Shows the output channel with every line logged so far. When it is on screen already (VS Code lists a visible
   * output channel among the visible text editors, scheme `output`), it is left as it is: asking the workbench to show
   * it again made it redraw the whole channel, 100-300 ms of its main thread at each invocation (growing with the
   * channel's length), in front of the result view's message.
   */
  showOutput(preserveFocus = true): void {
    this.flushLog();
    if (preserveFocus && this.outputOnScreen()) return;
    this.output.show(preserveFocus);
  }

  /** Whether the Output view shows this channel now (its document's path is `extension-output-<extension id>-#<n>-<name>`). */
  outputOnScreen(): boolean {
    const id = this.extension.extension.id.toLowerCase();
    return vscode.window.visibleTextEditors.some((editor) => {
      const uri = editor.document.uri;
      if (uri.scheme !== 'output') return false;
      const path = uri.path.toLowerCase();
      return path.includes(id) && path.endsWith(`-${OUTPUT_NAME.toLowerCase()}`);
    });
  }

  /**
   * Under development and test: where the time of a click went (see click-timer.ts), for the E2E timings. With
   * OPEN_RUNTIME_TIMINGS_FILE set (the E2E run sets it, for the installed .vsix too), also one JSON line there.
   */
  logTiming(what: string, timer: ClickTimer): void {
    if (this.extension.extensionMode !== vscode.ExtensionMode.Production) this.log(`Timing ${what}: ${timer.describe()}`);
    const file = process.env.OPEN_RUNTIME_TIMINGS_FILE;
    if (file) {
      try {
        appendFileSync(file, `${JSON.stringify({ at: Date.now(), what, parts: timer.describe() })}\n`);
      } catch {
        /* a timings file that cannot be written changes nothing for the user */
      }
    }
  }

  fireFunctionsChanged(): void {
    this.functionsChangedEmitter.fire();
  }

  /** The workspace folder a file belongs to, or the first folder. */
  folderFor(file?: vscode.Uri | string): vscode.WorkspaceFolder | undefined {
    if (file) {
      const uri = typeof file === 'string' ? (file.includes('://') ? vscode.Uri.parse(file) : vscode.Uri.file(file)) : file;
      const folder = vscode.workspace.getWorkspaceFolder(uri);
      if (folder) return folder;
    }
    return vscode.workspace.workspaceFolders?.[0];
  }

  /** The runner for a folder, started (and waited for) on first use. */
  async runnerFor(folder: vscode.WorkspaceFolder): Promise<RunnerSidecar> {
    const key = folder.uri.toString();
    let runner = this.runners.get(key);
    if (!runner) {
      const pending = this.starting.get(key);
      if (pending) return pending;
      const created = this.createRunner(folder);
      this.starting.set(key, created);
      try {
        runner = await created;
      } finally {
        this.starting.delete(key);
      }
    }
    await runner.ensureStarted();
    return runner;
  }

  /** Runners that exist already; never starts one. */
  get liveRunners(): ReadonlyArray<{ folder: string; runner: RunnerSidecar }> {
    return [...this.runners].map(([folder, runner]) => ({ folder, runner }));
  }

  async restartRunners(): Promise<void> {
    const nodePath = this.config.nodePath;
    await Promise.all(
      [...this.runners.entries()].map(async ([key, runner]) => {
        this.runners.delete(key);
        await runner.dispose();
      }),
    );
    this.updateStatusBar();
    if (nodePath) this.log(`Using Node at ${nodePath} for the runner.`);
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders[0]) await this.runnerFor(folders[0]);
  }

  private async createRunner(folder: vscode.WorkspaceFolder): Promise<RunnerSidecar> {
    const { RunnerSidecar } = await import('./runner-client.ts');
    const runner = new RunnerSidecar({
      workspace: folder.uri.fsPath,
      runnerScript: vscode.Uri.joinPath(this.extension.extensionUri, 'dist', 'runner.js').fsPath,
      nodePath: this.config.nodePath,
      // Compiled handlers, transpiled components: in the extension's storage, never in the user's folders.
      cacheDir: vscode.Uri.joinPath(this.extension.globalStorageUri, 'cache').fsPath,
      log: (line) => this.log(`[runner] ${line}`),
    });
    runner.onState(() => this.updateStatusBar());
    runner.onEvent((event) => {
      if (event.type === 'functions-changed') this.functionsChangedEmitter.fire();
      this.runnerEventEmitter.fire({ folder, event });
    });
    this.runners.set(folder.uri.toString(), runner);
    this.updateStatusBar();
    return runner;
  }

  private updateStatusBar(): void {
    const states: RunnerState[] = [...this.runners.values()].map((r) => r.state);
    this.statusBar.show(states);
  }

  async dispose(): Promise<void> {
    const runners = [...this.runners.values()];
    this.runners.clear();
    await Promise.all(runners.map((r) => r.dispose().catch(() => undefined)));
    this.flushLog();
    this.logClosed = true;
    for (const d of this.disposables.splice(0).reverse()) {
      try {
        d.dispose();
      } catch {
        /* already gone */
      }
    }
  }
}

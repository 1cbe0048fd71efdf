// The functions the workspace's templates define, read in the extension host (a YAML parse, no runner
// needed) so CodeLenses appear before anything is started. Cached per folder; re-read when a definition
// file changes or the runner says functions changed. Definition errors become diagnostics on the template.
import * as vscode from 'vscode';
import type { Discovery } from '../runner/functions/discover.ts';
import type { FunctionSpec } from '../runner/functions/model.ts';
import type { Ctx } from './ctx.ts';

export const DEFINITION_GLOB = '**/{template.yaml,template.yml,template.json,serverless.yml,serverless.yaml}';
/** The file names DEFINITION_GLOB matches. */
export const DEFINITION_FILE = /^(template\.(ya?ml|json)|serverless\.ya?ml)$/;

export interface HandlerTarget {
  /** Absolute source file of the handler. */
  readonly file: string;
  /** The export (Node) or function (Python) the handler string names; undefined for custom runtimes. */
  readonly exportName: string | undefined;
}

export class WorkspaceFunctions implements vscode.Disposable {
  private readonly ctx: Ctx;
  private readonly cache = new Map<string, Promise<Discovery>>();
  private readonly diagnostics: vscode.DiagnosticCollection;
  private readonly disposables: vscode.Disposable[] = [];
  /** Template parameters the user was already offered to set (once per editor session). */
  private readonly askedParameters = new Set<string>();

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    this.diagnostics = vscode.languages.createDiagnosticCollection('open-runtime-templates');
    const watcher = vscode.workspace.createFileSystemWatcher(DEFINITION_GLOB);
    // Parameter values saved by hand (or by the CLI user) change what loads, as a template edit does.
    const parameters = vscode.workspace.createFileSystemWatcher('**/.open-runtime/parameters.json');
    const changed = () => {
      this.cache.clear();
      ctx.fireFunctionsChanged();
    };
    this.disposables.push(
      this.diagnostics,
      watcher,
      parameters,
      parameters.onDidChange(changed),
      parameters.onDidCreate(changed),
      parameters.onDidDelete(changed),
      watcher.onDidChange(changed),
      watcher.onDidCreate(changed),
      watcher.onDidDelete(changed),
      ctx.onFunctionsChanged(() => this.cache.clear()),
      // A definition file opened that the last reading did not include (created while file events were missed).
      vscode.workspace.onDidOpenTextDocument((doc) => void this.readAgainIfNew(doc.uri)),
    );
  }

  /** The folder's functions (and definition errors); never throws. */
  get(folder: vscode.WorkspaceFolder): Promise<Discovery> {
    const key = folder.uri.toString();
    let pending = this.cache.get(key);
    if (!pending) {
      pending = this.load(folder);
      this.cache.set(key, pending);
    }
    return pending;
  }

  private async load(folder: vscode.WorkspaceFolder): Promise<Discovery> {
    try {
      const { discoverFunctions } = await import('../runner/functions/discover.ts');
      const discovery = await discoverFunctions(folder.uri.fsPath);
      this.showErrors(folder, discovery);
      if (discovery.errors.some((e) => e.missingParameters?.length)) {
        void import('./parameters.ts').then((m) => m.offerMissingParameters(this.ctx, folder, discovery, this.askedParameters));
      }
      return discovery;
    } catch (err) {
      this.ctx.log(`Could not read the function definitions in ${folder.uri.fsPath}: ${(err as Error).message}`);
      return { functions: [], errors: [], files: [], skipped: [] };
    }
  }

  private showErrors(folder: vscode.WorkspaceFolder, discovery: Discovery): void {
    // Clear this folder's earlier diagnostics, then set the current ones grouped by file.
    this.diagnostics.forEach((uri) => {
      if (vscode.workspace.getWorkspaceFolder(uri)?.uri.toString() === folder.uri.toString()) this.diagnostics.delete(uri);
    });
    const byFile = new Map<string, vscode.Diagnostic[]>();
    for (const e of discovery.errors) {
      const line = Math.max(0, e.line - 1);
      const d = new vscode.Diagnostic(new vscode.Range(line, 0, line, 1000), e.message, vscode.DiagnosticSeverity.Error);
      d.source = 'Open Runtime';
      byFile.set(e.file, [...(byFile.get(e.file) ?? []), d]);
    }
    for (const [file, list] of byFile) this.diagnostics.set(vscode.Uri.file(file), list);
  }

  private async readAgainIfNew(uri: vscode.Uri): Promise<void> {
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    const pending = folder && this.cache.get(folder.uri.toString());
    if (!pending || uri.scheme !== 'file' || !DEFINITION_FILE.test(uri.path.split('/').pop() ?? '')) return;
    const { files } = await pending;
    if (files.some((f) => vscode.Uri.file(f).toString() === uri.toString())) return;
    this.cache.clear();
    this.ctx.fireFunctionsChanged();
  }

  /** Where a function's handler lives, when its runtime lets us tell. */
  async handlerTarget(fn: FunctionSpec): Promise<HandlerTarget | undefined> {
    const { resolveHandlerSource } = await import('../runner/functions/discover.ts');
    const file = resolveHandlerSource(fn);
    if (!file) return undefined;
    // The export as the function's runtime reads it: `index.handlers.main` is `handlers.main` in Node, `main` in Python.
    const { runtimeFamily } = await import('../runner/functions/model.ts');
    const { tryParseHandler } = await import('../runner/functions/handler.ts');
    const family = runtimeFamily(fn.runtime);
    const exportName = family === 'node' || family === 'python' ? tryParseHandler(fn.handler.trim(), family)?.exportPath : undefined;
    return { file, exportName };
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

// "Invoke with event" and "Debug" CodeLenses: above every handler a template function points to (one row, plus
// "N functions", when several functions share it: the function is picked after the click), above
// handler-shaped code that no template mentions (it runs through inference), and above each function
// resource in template.yaml / serverless.yml. The detection itself is find-handlers.ts (vscode-free).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FunctionSpec } from '../runner/functions/model.ts';
import type { Ctx } from './ctx.ts';
import { findDeclarationLine, findHandlers, languageOfFile, type SourceLanguage } from './find-handlers.ts';
import type { InvokeArgs } from './invoke-args.ts';
import { DEFINITION_FILE, type WorkspaceFunctions } from './workspace-functions.ts';

export const INVOKE_TITLE = 'Invoke with event';
export const DEBUG_TITLE = 'Debug';

export const LENS_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'typescript' },
  { scheme: 'file', language: 'typescriptreact' },
  { scheme: 'file', language: 'javascript' },
  { scheme: 'file', language: 'javascriptreact' },
  { scheme: 'file', language: 'python' },
  { scheme: 'file', language: 'go' },
  { scheme: 'file', language: 'rust' },
  { scheme: 'file', pattern: '**/{template.yaml,template.yml,template.json,serverless.yml,serverless.yaml}' },
];

const LANGUAGE_IDS: Record<string, SourceLanguage> = {
  typescript: 'typescript',
  typescriptreact: 'typescript',
  javascript: 'javascript',
  javascriptreact: 'javascript',
  python: 'python',
  go: 'go',
  rust: 'rust',
};

export class HandlerLensProvider implements vscode.CodeLensProvider {
  private readonly ctx: Ctx;
  private readonly functions: WorkspaceFunctions;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(ctx: Ctx, functions: WorkspaceFunctions) {
    this.ctx = ctx;
    this.functions = functions;
    ctx.push(
      this.changed,
      ctx.onFunctionsChanged(() => this.changed.fire()),
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('openRuntime.codeLens')) this.changed.fire();
      }),
    );
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.ctx.config.codeLensEnabled) return [];
    const file = doc.uri.fsPath;
    const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
    if (DEFINITION_FILE.test(path.basename(file))) {
      if (!folder) return [];
      const { functions } = await this.functions.get(folder);
      return functions
        .filter((fn) => fn.source && samePath(fn.source.file, file) && fn.source.line > 0)
        .flatMap((fn) => lensPair(fn.source!.line - 1, { functionName: fn.name }, fn.name));
    }

    const language = LANGUAGE_IDS[doc.languageId] ?? languageOfFile(file);
    if (!language) return [];
    const text = doc.getText();
    const handlers = findHandlers(text, language);
    const pointing = folder
      ? await this.functionsPointingAt(
          folder,
          file,
          language,
          text,
          handlers.map((h) => h.line),
        )
      : [];
    if (token.isCancellationRequested) return [];

    const lenses: vscode.CodeLens[] = [];
    const covered = new Set<string>();
    const byLine = new Map<number, FunctionSpec[]>();
    for (const p of pointing) {
      byLine.set(p.line, [...(byLine.get(p.line) ?? []), p.fn]);
      if (p.exportName) covered.add(p.exportName);
    }
    for (const [line, fns] of byLine) {
      if (fns.length === 1) {
        lenses.push(...lensPair(line, { functionName: fns[0]!.name }, fns[0]!.name));
        continue;
      }
      // One row however many functions share the handler: the function is chosen after the click.
      const exportName = pointing.find((p) => p.line === line)?.exportName;
      const names = fns.map((fn) => fn.path ?? fn.name);
      lenses.push(
        ...lensPair(line, { file, ...(exportName ? { exportName } : {}), sharedBy: fns.map((fn) => fn.name) }, `one of ${names.join(', ')}`),
        new vscode.CodeLens(new vscode.Range(line, 0, line, 0), {
          title: `${fns.length} functions`,
          command: '',
          tooltip: `This handler runs as ${names.join(', ')}: "Invoke with event" and "Debug" ask which one`,
        }),
      );
    }
    // Go and Rust: one program per folder, so any template function for this folder covers the file.
    const goOrRustCovered = (language === 'go' || language === 'rust') && pointing.length > 0;
    for (const h of handlers) {
      if (covered.has(h.exportName) || goOrRustCovered) continue;
      lenses.push(...lensPair(h.line, { file, exportName: h.exportName }, `${path.basename(file)} ${h.exportName}`));
    }
    return lenses;
  }

  /** Template functions whose handler is in this file, with the line their lens goes on. */
  private async functionsPointingAt(
    folder: vscode.WorkspaceFolder,
    file: string,
    language: SourceLanguage,
    text: string,
    handlerLines: number[],
  ): Promise<Array<{ fn: FunctionSpec; line: number; exportName: string | undefined }>> {
    const { functions } = await this.functions.get(folder);
    const result: Array<{ fn: FunctionSpec; line: number; exportName: string | undefined }> = [];
    for (const fn of functions) {
      if (language === 'go' || language === 'rust') {
        // Custom runtimes run a built bootstrap; the source is the handler found in the function's folder,
        // or its main() when the program runs the Runtime API loop itself.
        if (!fn.runtime.startsWith('provided') || !isInside(file, fn.codeUri)) continue;
        const line = handlerLines[0] ?? findDeclarationLine(text, language, 'main');
        if (line !== undefined) result.push({ fn, line, exportName: undefined });
        continue;
      }
      const target = await this.functions.handlerTarget(fn);
      if (!target || !samePath(target.file, file)) continue;
      const exportName = target.exportName;
      const line = (exportName ? findDeclarationLine(text, language, exportName.split('.')[0]!) : undefined) ?? 0;
      result.push({ fn, line, exportName });
    }
    return result;
  }
}

function lensPair(line: number, args: InvokeArgs, what: string): vscode.CodeLens[] {
  const range = new vscode.Range(line, 0, line, 0);
  return [
    new vscode.CodeLens(range, {
      title: INVOKE_TITLE,
      command: 'openRuntime.invokeWithEvent',
      arguments: [args],
      tooltip: `Invoke ${what} locally with an event you pick`,
    }),
    new vscode.CodeLens(range, {
      title: DEBUG_TITLE,
      command: 'openRuntime.debugWithEvent',
      arguments: [args],
      tooltip: `Invoke ${what} locally with the debugger attached`,
    }),
  ];
}

function samePath(a: string, b: string): boolean {
  return path.resolve(a) === path.resolve(b);
}

function isInside(file: string, folder: string): boolean {
  const rel = path.relative(folder, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

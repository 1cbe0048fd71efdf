// Problems of Middy chains as editor diagnostics (collection "open-runtime-chains"): a handler reading a body no
// middleware parsed, `.use([a, b])` losing types, middlewares in an order that defeats them, `any` leaking in.
// Each says what is wrong (the message, with its code) and why (the explanation, as related information at
// the same place, plus where the middleware it is about is registered). They follow every analysis of an open
// file (chain-analysis.ts), so they update as the user types and disappear when the file closes. Project problems
// (the tsconfig/ESM check, unresolved imports) are shown where they are (a tsconfig.json's option). A diagnostic
// the runner sends with a safe edit (`fix`: reorder neighbours, set the tsconfig's module options) gets a quick fix.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChainDiagnostic, ChainReport, QuickFix } from '../runner/analysis/report.ts';
import { chainAnalyses, toRange } from './chain-analysis.ts';
import type { Ctx } from './ctx.ts';

export const CHAIN_DIAGNOSTICS = 'open-runtime-chains';
const SOURCE = 'Open Runtime';

const SEVERITY: Record<ChainDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export function watchChainDiagnostics(ctx: Ctx): vscode.DiagnosticCollection {
  const collection = vscode.languages.createDiagnosticCollection(CHAIN_DIAGNOSTICS);
  const analyses = chainAnalyses(ctx);
  const fixes = new Map<string, QuickFix>();
  /** Files whose diagnostics came from each analysed document (a range may name another file). */
  const shownFor = new Map<string, vscode.Uri[]>();
  const clear = (uri: vscode.Uri) => {
    for (const u of shownFor.get(uri.toString()) ?? [uri]) {
      collection.delete(u);
      for (const key of fixes.keys()) if (key.startsWith(`${u.toString()}#`)) fixes.delete(key);
    }
    shownFor.delete(uri.toString());
  };
  const reported = new Set<string>();
  ctx.push(
    collection,
    analyses.onDidAnalyze(({ uri, report }) => {
      clear(uri);
      const byFile = diagnosticsOf(report, uri, fixes);
      for (const [file, diagnostics] of byFile) collection.set(vscode.Uri.parse(file), diagnostics);
      shownFor.set(
        uri.toString(),
        [...byFile.keys()].map((f) => vscode.Uri.parse(f)),
      );
      // What kept the analysis from being complete is said once per file and reason, not on every keystroke.
      for (const problem of report.problems) {
        if (reported.has(problem)) continue;
        reported.add(problem);
        ctx.log(`Middleware chains of ${vscode.workspace.asRelativePath(uri)}: ${problem}`);
      }
    }),
    analyses.onDidFail(({ uri, message }) => {
      const line = `Could not analyse the middleware chains of ${vscode.workspace.asRelativePath(uri)}: ${message}`;
      if (!reported.has(line)) ctx.log(line);
      reported.add(line);
    }),
    vscode.languages.registerCodeActionsProvider(
      [
        { scheme: 'file', language: 'typescript' },
        { scheme: 'file', language: 'typescriptreact' },
        { scheme: 'file', language: 'javascript' },
        { scheme: 'file', language: 'javascriptreact' },
        { scheme: 'file', pattern: '**/{tsconfig*.json,package.json}' },
      ],
      { provideCodeActions: (doc, _range, context) => quickFixes(doc.uri, context.diagnostics, fixes) },
      { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] },
    ),
    vscode.workspace.onDidOpenTextDocument((doc) => analyses.analyzeIfChained(doc)),
    vscode.workspace.onDidCloseTextDocument((doc) => clear(doc.uri)),
  );
  // Files open before activation (a restored window) get theirs too; the runner starts in the background.
  for (const doc of vscode.workspace.textDocuments) analyses.analyzeIfChained(doc);
  return collection;
}

/** Where a diagnostic is, as the key of its quick fix (code actions get copies of the diagnostics, not the objects). */
function fixKey(uri: vscode.Uri, code: string, range: vscode.Range): string {
  return `${uri.toString()}#${code}#${range.start.line}:${range.start.character}-${range.end.line}:${range.end.character}`;
}

/** The report's diagnostics as VS Code's, by file URI (string); the fixes they come with are put in `fixes`. */
export function diagnosticsOf(report: ChainReport, analysed: vscode.Uri, fixes?: Map<string, QuickFix>): Map<string, vscode.Diagnostic[]> {
  const byFile = new Map<string, vscode.Diagnostic[]>([[analysed.toString(), []]]);
  const uriOf = (file: string) => (path.resolve(file) === path.resolve(analysed.fsPath) ? analysed : vscode.Uri.file(file));
  const all: Array<{ d: ChainDiagnostic; chain?: ChainReport['chains'][number] }> = [
    ...report.diagnostics.map((d) => ({ d })),
    ...report.chains.flatMap((chain) => chain.diagnostics.map((d) => ({ d, chain }))),
  ];
  for (const { d, chain } of all) {
    const uri = uriOf(d.range.file);
    const range = toRange(d.range);
    const diagnostic = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
    diagnostic.source = SOURCE;
    diagnostic.code = d.code;
    const related = [new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, range), d.explanation)];
    const step = d.step === undefined || !chain ? undefined : chain.steps[d.step];
    if (step && chain && step.kind !== 'handler' && step.kind !== 'origin') {
      related.push(
        new vscode.DiagnosticRelatedInformation(
          new vscode.Location(uriOf(step.range.file), toRange(step.range)),
          `${step.middleware} is registered here (step ${d.step} of the chain ${chain.name}).`,
        ),
      );
    }
    diagnostic.relatedInformation = related;
    if (d.fix) fixes?.set(fixKey(uri, d.code, range), d.fix);
    const list = byFile.get(uri.toString()) ?? [];
    list.push(diagnostic);
    byFile.set(uri.toString(), list);
  }
  return byFile;
}

/** Quick fixes for the chain diagnostics among `diagnostics` that came with a safe edit. */
export function quickFixes(uri: vscode.Uri, diagnostics: readonly vscode.Diagnostic[], fixes: Map<string, QuickFix>): vscode.CodeAction[] {
  const actions: vscode.CodeAction[] = [];
  for (const diagnostic of diagnostics) {
    if (diagnostic.source !== SOURCE) continue;
    const fix = fixes.get(fixKey(uri, String(diagnostic.code), diagnostic.range));
    if (!fix) continue;
    const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
    action.edit = new vscode.WorkspaceEdit();
    for (const edit of fix.edits) action.edit.replace(vscode.Uri.file(edit.range.file), toRange(edit.range), edit.newText);
    action.diagnostics = [diagnostic];
    action.isPreferred = true;
    actions.push(action);
  }
  return actions;
}

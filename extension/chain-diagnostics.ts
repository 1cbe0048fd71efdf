// Problems of Middy chains as editor diagnostics (collection "open-runtime-chains"): a handler reading a body no
// middleware parsed, `.use([a, b])` losing types, middlewares in an order that defeats them, `any` leaking in.
// Each says what is wrong (the message, with its code) and why (the explanation, as related information at
// the same place, plus where the middleware it is about is registered). They follow every analysis of an open
// file (chain-analysis.ts), so they update as the user types and disappear when the file closes.
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ChainDiagnostic, ChainReport } from '../runner/analysis/report.ts';
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
  /** Files whose diagnostics came from each analysed document (a range may name another file). */
  const shownFor = new Map<string, vscode.Uri[]>();
  const clear = (uri: vscode.Uri) => {
    for (const u of shownFor.get(uri.toString()) ?? [uri]) collection.delete(u);
    shownFor.delete(uri.toString());
  };
  const reported = new Set<string>();
  ctx.push(
    collection,
    analyses.onDidAnalyze(({ uri, report }) => {
      clear(uri);
      const byFile = diagnosticsOf(report, uri);
      for (const [file, diagnostics] of byFile) collection.set(vscode.Uri.parse(file), diagnostics);
      shownFor.set(uri.toString(), [...byFile.keys()].map((f) => vscode.Uri.parse(f)));
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
    vscode.workspace.onDidOpenTextDocument((doc) => analyses.analyzeIfChained(doc)),
    vscode.workspace.onDidCloseTextDocument((doc) => clear(doc.uri)),
  );
  // Files open before activation (a restored window) get theirs too; the runner starts in the background.
  for (const doc of vscode.workspace.textDocuments) analyses.analyzeIfChained(doc);
  return collection;
}

/** The report's diagnostics as VS Code's, by file URI (string). */
export function diagnosticsOf(report: ChainReport, analysed: vscode.Uri): Map<string, vscode.Diagnostic[]> {
  const byFile = new Map<string, vscode.Diagnostic[]>([[analysed.toString(), []]]);
  const uriOf = (file: string) => (path.resolve(file) === path.resolve(analysed.fsPath) ? analysed : vscode.Uri.file(file));
  for (const chain of report.chains) {
    for (const d of chain.diagnostics) {
      const uri = uriOf(d.range.file);
      const range = toRange(d.range);
      const diagnostic = new vscode.Diagnostic(range, d.message, SEVERITY[d.severity]);
      diagnostic.source = SOURCE;
      diagnostic.code = d.code;
      const related = [new vscode.DiagnosticRelatedInformation(new vscode.Location(uri, range), d.explanation)];
      const step = d.step === undefined ? undefined : chain.steps[d.step];
      if (step && step.kind !== 'handler' && step.kind !== 'origin') {
        related.push(new vscode.DiagnosticRelatedInformation(
          new vscode.Location(uriOf(step.range.file), toRange(step.range)),
          `${step.middleware} is registered here (step ${d.step} of the chain ${chain.name}).`,
        ));
      }
      diagnostic.relatedInformation = related;
      const list = byFile.get(uri.toString()) ?? [];
      list.push(diagnostic);
      byFile.set(uri.toString(), list);
    }
  }
  return byFile;
}

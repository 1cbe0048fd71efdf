// "Show middleware chain" above each Middy chain of a TypeScript / JavaScript file, at the chain's own range
// (where `middy(` starts), found by the runner's analysis. Files without `middy(` in their text get no lens and
// never reach the runner.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { chainAnalyses, isChainSource, mayHoldChain, toRange } from './chain-analysis.ts';
import type { Ctx } from './ctx.ts';

export const SHOW_CHAIN_TITLE = 'Show middleware chain';
export const SHOW_CHAIN_COMMAND = 'openRuntime.showMiddlewareChain';

export const CHAIN_LENS_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', language: 'typescript' },
  { scheme: 'file', language: 'typescriptreact' },
  { scheme: 'file', language: 'javascript' },
  { scheme: 'file', language: 'javascriptreact' },
];

export class ChainLensProvider implements vscode.CodeLensProvider {
  private readonly ctx: Ctx;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;

  constructor(ctx: Ctx) {
    this.ctx = ctx;
    ctx.push(
      this.changed,
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('openRuntime.codeLens')) this.changed.fire();
      }),
      // A lens asked for while the runner was down is redrawn from the next analysis.
      chainAnalyses(ctx).onDidAnalyze(() => this.changed.fire()),
    );
  }

  async provideCodeLenses(doc: vscode.TextDocument, token: vscode.CancellationToken): Promise<vscode.CodeLens[]> {
    if (!this.ctx.config.codeLensEnabled || !isChainSource(doc) || !mayHoldChain(doc.getText())) return [];
    let report;
    try {
      report = await chainAnalyses(this.ctx).analyze(doc);
    } catch {
      return []; // said once in the output by the diagnostics; a lens cannot explain a failure
    }
    if (token.isCancellationRequested) return [];
    const file = doc.uri.fsPath;
    return report.chains
      .filter((chain) => path.resolve(chain.range.file) === path.resolve(file))
      .map((chain) => {
        const start = toRange(chain.range).start;
        const problems = chain.diagnostics.length;
        return new vscode.CodeLens(new vscode.Range(start, start), {
          title: SHOW_CHAIN_TITLE,
          command: SHOW_CHAIN_COMMAND,
          arguments: [{ file }],
          tooltip: `Draw the chain ${chain.name}: ${chain.steps.filter((s) => s.kind !== 'origin' && s.kind !== 'handler').length} middleware(s) with the event, context and response types at each step${problems ? `, ${problems} problem(s)` : ''}`,
        });
      });
  }
}

export function registerChainLenses(ctx: Ctx): void {
  ctx.push(vscode.languages.registerCodeLensProvider(CHAIN_LENS_SELECTOR, new ChainLensProvider(ctx)));
}

// The middleware chain visualizer in the editor, on analyzer fixtures (test/fixtures/chains/) copied into the
// workspace: "Show middleware chain" lenses on Middy chains only, the command's report matching the file,
// chain problems as diagnostics with their explanation, and the view following an unsaved edit.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { ChainReport } from '../../../runner/protocol.ts';
import type { OpenRuntimeApi } from '../../../extension/extension.ts';
import { openRuntime, until, workspaceDir } from './support.ts';

const SHOW_CHAIN = 'openRuntime.showMiddlewareChain';
const SHOW_CHAIN_TITLE = 'Show middleware chain';
const FIXTURES = ['http-basic.ts', 'order.ts', 'body-not-parsed.ts', 'no-chain.ts', 'tsconfig.json', 'package.json'];
/** Analysis of a cold TypeScript program (and the runner's start) can take a while on a slow machine. */
const ANALYSIS_TIMEOUT_MS = 60_000;

const dir = () => join(workspaceDir(), 'chain-fixtures');
const fixture = (name: string) => join(dir(), name);

/** 0-based lines of `... = middy(` / `middy<...>(` in a file: where its chains start, read from the text alone. */
function chainLines(file: string): number[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .flatMap((line, i) => (/=\s*middy\s*[<(]/.test(line) ? [i] : []));
}

async function chainLenses(file: string): Promise<vscode.CodeLens[]> {
  const uri = vscode.Uri.file(file);
  await vscode.window.showTextDocument(uri);
  // The first analysis of a program is slow: ask until the provider has answered from a finished analysis.
  const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 1000);
  return (lenses ?? []).filter((l) => l.command?.command === SHOW_CHAIN);
}

function ourDiagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'Open Runtime');
}

async function closeTabs(match: (tab: vscode.Tab) => boolean): Promise<void> {
  const tabs = vscode.window.tabGroups.all.flatMap((g) => g.tabs).filter(match);
  if (tabs.length) await vscode.window.tabGroups.close(tabs);
}

describe('middleware chain view', () => {
  let api: OpenRuntimeApi;

  before(async () => {
    api = await openRuntime();
    const repo = process.env.E2E_REPO_ROOT!;
    mkdirSync(dir(), { recursive: true });
    for (const name of FIXTURES) copyFileSync(join(repo, 'test', 'fixtures', 'chains', name), fixture(name));
    // Passes the cheap text check (`middy(` in a comment) but holds no chain: the analysis decides.
    writeFileSync(
      fixture('mentions-middy.ts'),
      '// Not wrapped in middy(handler) on purpose.\nexport const handler = async (event: { name?: string }) => ({ hello: event.name ?? "world" });\n',
    );
    writeFileSync(fixture('edited.ts'), readFileSync(fixture('body-not-parsed.ts'), 'utf8'));
  });

  after(async () => {
    await closeTabs((t) => t.label.startsWith('Chain: ') || (t.input instanceof vscode.TabInputText && t.input.uri.fsPath.startsWith(dir())));
    rmSync(dir(), { recursive: true, force: true });
  });

  it('puts "Show middleware chain" on each Middy chain and nowhere else', async function () {
    this.timeout(ANALYSIS_TIMEOUT_MS * 2);
    // middy(handler) and middy<Event, Result>() with .handler(...), before the chain view (which analyses what it shows) is open.
    assert.equal(api.chainView(), undefined, 'the chain view is closed');
    for (const name of ['http-basic.ts', 'order.ts', 'body-not-parsed.ts']) {
      const expected = chainLines(fixture(name));
      assert.ok(expected.length > 0, `${name} has chains`);
      const lenses = await until(
        `the chain lenses of ${name}`,
        async () => {
          const found = await chainLenses(fixture(name));
          return found.length ? found : undefined;
        },
        ANALYSIS_TIMEOUT_MS,
      );
      assert.deepEqual(
        lenses.map((l) => l.range.start.line).sort((a, b) => a - b),
        expected,
        `lines (0-based) of the chain lenses of ${name}`,
      );
      for (const lens of lenses) {
        assert.equal(lens.command!.title, SHOW_CHAIN_TITLE);
        assert.deepEqual(lens.command!.arguments, [{ file: fixture(name) }]);
      }
    }
    // A plain handler, and one that only mentions middy( in a comment: no chain, no lens (the analysis ran for the second).
    assert.deepEqual(await chainLenses(fixture('no-chain.ts')), [], 'no chain lens on a plain handler');
    const mentions = vscode.Uri.file(fixture('mentions-middy.ts'));
    await vscode.window.showTextDocument(mentions);
    const report = await vscode.commands.executeCommand<ChainReport>(SHOW_CHAIN, { file: mentions.fsPath });
    assert.deepEqual(report?.chains, [], 'the analysis finds no chain in a file that only mentions middy(');
    assert.deepEqual(await chainLenses(mentions.fsPath), [], 'no chain lens where the analysis found no chain');
  });

  it('runs the lens command: the chain view opens and the command returns the report it draws, with the steps of the file', async () => {
    const file = fixture('http-basic.ts');
    const [lens] = await chainLenses(file);
    assert.ok(lens, 'http-basic.ts has its chain lens');
    const report = await vscode.commands.executeCommand<ChainReport | undefined>(lens.command!.command, ...(lens.command!.arguments ?? []));
    assert.ok(report, `${SHOW_CHAIN} returned a report (see the "Open Runtime" output for why not)`);
    assert.equal(report.file, file);
    assert.equal(report.chains.length, 1);
    const [chain] = report.chains;

    // The steps, as the source spells them: middy(<handler>).use(<a>()).use(<b>()).
    const source = readFileSync(file, 'utf8').split('\n')[chainLines(file)[0]!]!;
    const handlerName = /middy\((\w+)\)/.exec(source)![1]!;
    const used = [...source.matchAll(/\.use\((\w+)\(/g)].map((m) => m[1]!);
    assert.deepEqual(
      chain!.steps.map((s) => s.middleware),
      ['middy', ...used, handlerName],
    );
    assert.deepEqual(
      chain!.steps.map((s) => s.kind),
      ['origin', ...used.map(() => 'use'), 'handler'],
    );
    assert.equal(chain!.steps.find((s) => s.middleware === 'httpJsonBodyParser')?.package, '@middy/http-json-body-parser');
    assert.match(chain!.steps.at(-1)!.eventType, /APIGatewayProxyEvent/, 'the handler step has the event type the code declares');
    assert.deepEqual(chain!.diagnostics, []);
    assert.equal(chain!.range.start.line - 1, chainLines(file)[0], 'positions are 1-based');

    // The panel is open on the file and draws that very report.
    assert.ok(
      vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.label === 'Chain: http-basic.ts'),
      'a "Chain: http-basic.ts" tab is open',
    );
    assert.deepEqual(api.chainView()?.report, report);
  });

  it('stays on the last chain when the user switches to a file without one, and analyses nothing for it', async function () {
    this.timeout(ANALYSIS_TIMEOUT_MS);
    const shownFile = api.chainView()?.file;
    assert.equal(shownFile, fixture('http-basic.ts'), 'the view shows http-basic.ts (previous test)');
    // no-chain.ts has no `middy(` and never held a chain: switching to it must not replace the drawing with "0 chains".
    await vscode.window.showTextDocument(vscode.Uri.file(fixture('no-chain.ts')));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(api.chainView()?.file, shownFile, 'the view still draws the last chain');
    assert.ok(api.chainView()!.report.chains.length > 0);
    // A file with a chain is followed.
    await vscode.window.showTextDocument(vscode.Uri.file(fixture('order.ts')));
    await until('the view to follow order.ts', () => (api.chainView()?.file === fixture('order.ts') ? true : undefined), ANALYSIS_TIMEOUT_MS);
  });

  it('shows chain problems as diagnostics with their code and explanation', async function () {
    this.timeout(ANALYSIS_TIMEOUT_MS * 2);
    const uri = vscode.Uri.file(fixture('body-not-parsed.ts'));
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    const diagnostics = await until(
      'the body-not-parsed diagnostics',
      () => {
        const found = ourDiagnostics(uri);
        return found.length ? found : undefined;
      },
      ANALYSIS_TIMEOUT_MS,
    );
    // The handler reads event.body.name and (destructured) email, and nothing parses the body.
    assert.deepEqual(diagnostics.map((d) => [d.code, d.severity, doc.getText(d.range)]).sort(), [
      ['body-not-parsed', vscode.DiagnosticSeverity.Error, 'email'],
      ['body-not-parsed', vscode.DiagnosticSeverity.Error, 'event.body.name'],
    ]);
    for (const d of diagnostics) {
      assert.match(d.message, /no middleware in this chain parses the body/);
      assert.ok(
        d.relatedInformation?.some((r) => /httpJsonBodyParser/.test(r.message) && r.location.uri.fsPath === uri.fsPath),
        `the explanation says what to add: ${JSON.stringify(d.relatedInformation?.map((r) => r.message))}`,
      );
    }

    // An error handler registered first cannot see errors of later middlewares: a warning on it, pointing at where it is registered.
    const order = vscode.Uri.file(fixture('order.ts'));
    await vscode.window.showTextDocument(order);
    const orderDoc = await vscode.workspace.openTextDocument(order);
    const warnings = await until(
      'the order.ts diagnostics',
      () => {
        const found = ourDiagnostics(order);
        return found.length ? found : undefined;
      },
      ANALYSIS_TIMEOUT_MS,
    );
    assert.deepEqual(warnings.map((d) => d.code).sort(), ['error-handler-order', 'normalize-after-read', 'validate-before-parse']);
    assert.ok(warnings.every((d) => d.severity === vscode.DiagnosticSeverity.Warning));
    const errorOrder = warnings.find((d) => d.code === 'error-handler-order')!;
    assert.equal(errorOrder.range.start.line, chainLines(order.fsPath)[0], 'on the chain that registers the error handler first');
    const registered = errorOrder.relatedInformation?.find((r) => /is registered here/.test(r.message));
    assert.ok(registered, 'related information points at the middleware');
    assert.equal(
      orderDoc.getText(registered.location.range).startsWith('httpErrorHandler'),
      true,
      `points at httpErrorHandler: ${orderDoc.getText(registered.location.range)}`,
    );
  });

  it('follows an unsaved edit: the view redraws and the diagnostics clear once a body parser runs', async function () {
    this.timeout(ANALYSIS_TIMEOUT_MS * 2);
    // With lenses off, so that the redraw comes from the view's and diagnostics' own analysis of the edit
    // (VS Code asks lenses again after an edit, and the lens provider's analysis would redraw the view too).
    const settings = vscode.workspace.getConfiguration('openRuntime');
    await settings.update('codeLens.enabled', false, vscode.ConfigurationTarget.Workspace);
    try {
      await editAndFollow();
    } finally {
      await settings.update('codeLens.enabled', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  async function editAndFollow(): Promise<void> {
    const uri = vscode.Uri.file(fixture('edited.ts'));
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    const before = await vscode.commands.executeCommand<ChainReport>(SHOW_CHAIN, { file: uri.fsPath });
    assert.deepEqual(
      before?.chains[0]?.steps.map((s) => s.middleware),
      ['middy', 'httpErrorHandler', 'handler'],
    );
    await until('the diagnostics of edited.ts', () => ourDiagnostics(uri).length === 2 || undefined, ANALYSIS_TIMEOUT_MS);

    // Add the JSON body parser (import and .use) without saving.
    const lines = doc.getText().split('\n');
    const importAt = lines.findIndex((l) => l.includes("from '@middy/http-error-handler'"));
    const useAt = lines.findIndex((l) => l.includes('.use(httpErrorHandler())'));
    assert.ok(importAt >= 0 && useAt > importAt, 'the fixture has the import and the .use to edit after');
    const edited = await editor.edit((b) => {
      b.insert(new vscode.Position(importAt + 1, 0), "import httpJsonBodyParser from '@middy/http-json-body-parser';\n");
      b.insert(new vscode.Position(useAt + 1, 0), '  .use(httpJsonBodyParser())\n');
    });
    assert.ok(edited && doc.isDirty, 'the edit is applied and not saved');

    const shown = await until(
      'the chain view to draw the edited text',
      () => {
        const now = api.chainView();
        return now && now.file === uri.fsPath && now.version === doc.version ? now.report : undefined;
      },
      ANALYSIS_TIMEOUT_MS,
    );
    assert.deepEqual(
      shown.chains[0]?.steps.map((s) => s.middleware),
      ['middy', 'httpErrorHandler', 'httpJsonBodyParser', 'handler'],
    );
    assert.deepEqual(shown.chains[0]?.diagnostics, []);
    await until('the body-not-parsed diagnostics to clear', () => ourDiagnostics(uri).length === 0 || undefined, ANALYSIS_TIMEOUT_MS);

    await vscode.commands.executeCommand('workbench.action.files.revert');
    assert.equal(doc.isDirty, false);
  }
});

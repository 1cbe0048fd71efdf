// The CodeLens provider, through VS Code's own `vscode.executeCodeLensProvider`: "Invoke with event" and
// "Debug" above each handler the template points to, above handler-shaped code no template mentions, and
// above each function in template.yaml; none anywhere else.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  DEBUG_TITLE,
  INVOKE_TITLE,
  assertSucceeded,
  exampleFunctions,
  type ExampleFunction,
  invoke,
  lensTable,
  lensesOf,
  openRuntime,
  payloadOf,
  workspaceDir,
} from './support.ts';

describe('CodeLens', () => {
  before(openRuntime);

  // Every handler file the template points at, with the functions that use it.
  const byFile = new Map<string, ExampleFunction[]>();
  for (const fn of exampleFunctionsOrEmpty()) if (fn.file) byFile.set(fn.file, [...(byFile.get(fn.file) ?? []), fn]);
  for (const [file, fns] of byFile) {
    const names = fns.map((f) => f.name).join(', ');
    it(`puts "Invoke with event" and "Debug" on the handler of ${names} and nowhere else in its file`, async () => {
      const uri = vscode.Uri.file(file);
      const lenses = await lensesOf(uri);
      // One pair per handler; when several functions share it, the pair asks which one (editor-workflow.test.ts).
      const line = fns[0]!.line!;
      assert.ok(
        fns.every((f) => f.line === line),
        `the functions sharing ${file} name the same export`,
      );
      assert.deepEqual(
        lensTable(lenses),
        [
          [line, DEBUG_TITLE],
          [line, INVOKE_TITLE],
        ],
        `lenses of ${vscode.workspace.asRelativePath(uri)} (0-based line, title); handlers: ${fns.map((f) => `${f.name} ${f.exportName} line ${f.line}`).join('; ')}`,
      );
      const invokeLens = lenses.find((l) => l.command!.title === INVOKE_TITLE);
      const debugLens = lenses.find((l) => l.command!.title === DEBUG_TITLE);
      assert.equal(invokeLens?.command!.command, 'openRuntime.invokeWithEvent');
      assert.equal(debugLens?.command!.command, 'openRuntime.debugWithEvent');
      const args = invokeLens!.command!.arguments?.[0] as { functionName?: string; sharedBy?: string[] };
      if (fns.length === 1) assert.equal(args.functionName, fns[0]!.name, `the lens invokes ${fns[0]!.name} by name`);
      else
        assert.deepEqual(
          args.sharedBy,
          fns.map((f) => f.name),
          `the lens asks which of ${names} to run`,
        );
    });
  }

  it('puts a lens pair on each function resource in template.yaml', async () => {
    const uri = vscode.Uri.file(join(workspaceDir(), 'template.yaml'));
    const functions = exampleFunctions();
    const expected = functions
      .flatMap(
        (fn): Array<[number, string]> => [
          [fn.templateLine, DEBUG_TITLE],
          [fn.templateLine, INVOKE_TITLE],
        ],
      )
      .sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
    assert.deepEqual(lensTable(await lensesOf(uri)), expected, 'lenses of template.yaml (0-based line of each resource id)');
  });

  describe('a handler file that no template mentions', () => {
    const dir = () => join(workspaceDir(), 'lone');
    after(() => rmSync(dir(), { recursive: true, force: true }));

    it('gets lenses on handler-shaped exports, including a middy-wrapped one, and none on other code', async () => {
      mkdirSync(dir(), { recursive: true });
      const file = join(dir(), 'wrapped.ts');
      writeFileSync(
        file,
        [
          "import middy from '@middy/core';", // 0
          "import jsonBodyParser from '@middy/http-json-body-parser';", // 1
          '', // 2
          'export const config = { retries: 3 };', // 3
          'export function add(a: number, b: number): number { return a + b; }', // 4
          'const baseHandler = async (event: { body: unknown }) => ({ statusCode: 200, body: JSON.stringify(event.body) });', // 5
          'export const handler = middy(baseHandler).use(jsonBodyParser());', // 6
          'export class Orders { list() { return []; } }', // 7
          '',
        ].join('\n'),
      );
      const uri = vscode.Uri.file(file);
      await vscode.window.showTextDocument(uri);
      assert.deepEqual(
        lensTable(await lensesOf(uri)),
        [
          [6, DEBUG_TITLE],
          [6, INVOKE_TITLE],
        ],
        'only the middy-wrapped handler (line 6) gets lenses',
      );
    });

    it('runs from its lens with zero configuration (the function is inferred)', async () => {
      mkdirSync(dir(), { recursive: true });
      const file = join(dir(), 'lone.mjs');
      writeFileSync(
        file,
        [
          '// not in template.yaml',
          'export function helper(a, b) { return a * b; }',
          'export const handler = async (event, context) => ({ lone: true, got: event, fn: context.functionName, product: helper(6, 7) });',
          '',
        ].join('\n'),
      );
      const uri = vscode.Uri.file(file);
      await vscode.window.showTextDocument(uri);
      const lenses = await lensesOf(uri);
      assert.deepEqual(lensTable(lenses), [
        [2, DEBUG_TITLE],
        [2, INVOKE_TITLE],
      ]);
      const lens = lenses.find((l) => l.command!.title === INVOKE_TITLE)!;
      const lensArgs = lens.command!.arguments?.[0] as Record<string, unknown>;
      // What the lens passes, plus an inline event so no picker opens.
      const result = await invoke({ ...lensArgs, payload: { ping: 1 } });
      assertSucceeded(result);
      const payload = payloadOf(result);
      assert.equal(payload.lone, true);
      assert.deepEqual(payload.got, { ping: 1 });
      assert.equal(payload.product, 42);
    });
  });
});

/** Test titles need the functions when the file loads; a missing template becomes a failing test instead. */
function exampleFunctionsOrEmpty() {
  try {
    return exampleFunctions();
  } catch (error) {
    it('reads examples/template.yaml', () => {
      throw error;
    });
    return [];
  }
}

// "New Function..." scaffolds a handler with a saved event and adds it to template.yaml; it then invokes
// successfully right away, and gets its lenses.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { DEBUG_TITLE, INVOKE_TITLE, assertSucceeded, invoke, lensesOf, openRuntime, payloadOf, workspaceDir } from './support.ts';

interface NewFunctionResult {
  functionName: string;
  savedEvent: string;
  written: string[];
  templateFile: string;
  templateLine: number;
}

describe('new function', () => {
  before(openRuntime);

  for (const [language, source, name] of [
    ['typescript', 'queue', 'ScaffoldedQueueTs'],
    ['python', 'http-api', 'ScaffoldedApiPy'],
  ] as const) {
    it(`scaffolds a ${language} ${source} function that invokes right away with its saved event`, async () => {
      const created = await vscode.commands.executeCommand<NewFunctionResult | undefined>('openRuntime.newFunction', {
        name,
        language,
        source,
        folder: workspaceDir(),
      });
      assert.ok(created, 'openRuntime.newFunction returned what it created');
      assert.equal(created.functionName, name);
      assert.equal(created.templateFile, join(workspaceDir(), 'template.yaml'));
      const template = readFileSync(created.templateFile, 'utf8');
      assert.match(template, new RegExp(`^  ${name}:`, 'm'), 'the function was added to template.yaml');
      assert.ok(existsSync(created.savedEvent), 'a matching saved event was written');
      for (const file of created.written) assert.ok(existsSync(file), `${file} was written`);

      const handlerFile = created.written.find((f) => /\.(ts|mjs|js|py)$/.test(f));
      assert.ok(handlerFile, `a handler file is among ${created.written.join(', ')}`);
      const lenses = await lensesOf(vscode.Uri.file(handlerFile));
      assert.deepEqual(lenses.map((l) => l.command!.title).sort(), [DEBUG_TITLE, INVOKE_TITLE], 'the new handler has its lenses');

      const eventName = created.savedEvent
        .split('/')
        .at(-1)!
        .replace(/\.json$/, '');
      const result = await invoke({ functionName: name, eventName });
      assertSucceeded(result);
      assert.ok(payloadOf(result) !== null, 'the new function returned a JSON response');
    });
  }
});

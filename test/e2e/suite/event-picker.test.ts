// The event picker: a template rendered with field values and saved as a saved event, the saved event
// reused by name, the real QuickPick offering the last used event first, and a malformed saved event
// reported as a diagnostic at its position instead of a crash.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { assertSucceeded, invoke, openRuntime, payloadOf, until, workspaceDir } from './support.ts';

const savedDir = () => join(workspaceDir(), '.open-runtime', 'events', 'HelloTs');

describe('event picker', () => {
  before(openRuntime);

  it('renders a template with field values, saves it and invokes with it', async () => {
    const result = await invoke({
      functionName: 'HelloTs',
      eventTemplate: 'apigw-http',
      fieldValues: { method: 'GET', route: '/hello', path: '/hello', query: 'name=Ada', body: '' },
      saveAs: 'ada-query',
    });
    assertSucceeded(result);
    assert.equal(JSON.parse(payloadOf(result).body).message, 'Hello, Ada!');
    const file = join(savedDir(), 'ada-query.json');
    assert.ok(existsSync(file), `the event was saved as ${file}`);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(saved.version, '2.0', 'an HTTP API payload 2.0 event');
    assert.equal(saved.rawPath, '/hello');
    assert.equal(saved.routeKey, 'GET /hello');
    assert.deepEqual(saved.queryStringParameters, { name: 'Ada' });
  });

  it('reuses a saved event by name', async () => {
    const result = await invoke({ functionName: 'HelloTs', eventName: 'ada-query' });
    assertSucceeded(result);
    assert.equal(JSON.parse(payloadOf(result).body).message, 'Hello, Ada!');
  });

  it('offers the last used saved event first in the QuickPick', async () => {
    // The picker is real UI: open it through the command and accept what it puts first, as Enter would.
    const picking = vscode.commands.executeCommand<{ label: string; savedPath?: string } | undefined>('openRuntime.pickEvent', { functionName: 'HelloTs' });
    let settled = false;
    void picking.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await until(
      'the event QuickPick to accept its first item',
      async () => {
        if (settled) return true;
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await new Promise((r) => setTimeout(r, 300));
        return settled || undefined;
      },
      30_000,
    );
    const chosen = await picking;
    assert.ok(chosen, 'the picker returned the event it offered first');
    assert.equal(chosen.label, 'saved: ada-query');
    assert.equal(chosen.savedPath, join(savedDir(), 'ada-query.json'));
    // It opens a saved event for editing: close it again.
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  it('reports malformed JSON in a saved event as a diagnostic at its position, and does not invoke', async () => {
    mkdirSync(savedDir(), { recursive: true });
    const file = join(savedDir(), 'broken.json');
    writeFileSync(file, '{\n  "name": "Ada",\n  "age": ,\n}\n');
    const api = await openRuntime();
    const historyBefore = api.history().length;
    const invoking = vscode.commands.executeCommand('openRuntime.invokeWithEvent', { functionName: 'HelloTs', eventName: 'broken' });
    const diagnostics = await until(
      'a diagnostic on broken.json',
      () => {
        const found = vscode.languages.getDiagnostics(vscode.Uri.file(file));
        return found.length ? found : undefined;
      },
      30_000,
    );
    // The error message offers "Open Event" and waits for an answer: dismiss it as a user would.
    let settled = false;
    void invoking.then(
      () => {
        settled = true;
      },
      () => {
        settled = true;
      },
    );
    await until(
      'the command to finish once the message is dismissed',
      async () => {
        if (!settled) await vscode.commands.executeCommand('notifications.clearAll');
        return settled || undefined;
      },
      30_000,
    );
    assert.equal(await invoking, undefined, 'nothing was invoked');
    assert.equal(api.history().length, historyBefore, 'no invocation was recorded');
    assert.equal(diagnostics[0]!.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(diagnostics[0]!.range.start.line, 2, `the diagnostic is on line 3 ("age": ,): ${diagnostics[0]!.message}`);
  });
});

// The extension loads from the repo into VS Code's real extension host, activates, and registers what its
// manifest promises.
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { EXTENSION_ID, note, openRuntime, until, workspaceDir } from './support.ts';

const EXPECTED_COMMANDS = [
  'openRuntime.invokeWithEvent',
  'openRuntime.debugWithEvent',
  'openRuntime.newFunction',
  'openRuntime.pickEvent',
  'openRuntime.restartRunner',
  'openRuntime.showHistory',
  'openRuntime.activationTime',
  'openRuntime.history.rerun',
  'openRuntime.history.openEvent',
  'openRuntime.history.compare',
];

describe('activation and commands', () => {
  it('runs in a real VS Code on the examples workspace', () => {
    note(`VS Code ${vscode.version}, ${vscode.env.appHost}, Node ${process.version}, workspace ${workspaceDir()}`);
    assert.equal(vscode.workspace.workspaceFolders?.[0]?.name, 'examples');
  });

  it('activates and records how long activation took', async () => {
    const api = await openRuntime();
    const ms = await vscode.commands.executeCommand<number>('openRuntime.activationTime');
    note(`activation took ${typeof ms === 'number' ? ms.toFixed(1) : ms} ms`);
    assert.equal(typeof ms, 'number');
    assert.ok(Number.isFinite(ms) && ms > 0, `activation time is a positive number of ms, got ${ms}`);
    assert.equal(api.activationMs, ms, 'the API and the command report the same activation time');
  });

  it('contributes its commands in package.json and registers each of them', async () => {
    await openRuntime();
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes?: { commands?: Array<{ command: string; title: string }> } };
    const contributed = (manifest.contributes?.commands ?? []).map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of EXPECTED_COMMANDS) {
      assert.ok(contributed.includes(id), `package.json contributes ${id} (contributes: ${contributed.join(', ') || 'none'})`);
    }
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], 'every contributed command is registered');
  });

  it('starts the runner on demand and restarts it', async () => {
    const api = await openRuntime();
    const restarted = await vscode.commands.executeCommand<boolean>('openRuntime.restartRunner');
    assert.equal(restarted, true, 'openRuntime.restartRunner reports success');
    const ready = await until('a ready runner for the workspace', () => api.runners().find((r) => r.state === 'ready'), 60_000);
    assert.equal(vscode.Uri.parse(ready.folder).fsPath, workspaceDir());
  });

  it('shows the invocation history view', async () => {
    await vscode.commands.executeCommand('openRuntime.showHistory');
    // The view is contributed by the manifest; focusing it must not fail.
    const manifest = vscode.extensions.getExtension(EXTENSION_ID)!.packageJSON as { contributes?: { views?: Record<string, Array<{ id: string }>> } };
    const views = Object.values(manifest.contributes?.views ?? {})
      .flat()
      .map((v) => v.id);
    assert.ok(
      views.some((id) => id.startsWith('openRuntime')),
      `package.json contributes an Open Runtime view (views: ${views.join(', ') || 'none'})`,
    );
  });
});

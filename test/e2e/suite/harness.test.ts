import assert from 'node:assert/strict';
import * as vscode from 'vscode';

describe('harness', () => {
  it('runs inside VS Code with the examples workspace open', () => {
    assert.ok(vscode.workspace.workspaceFolders?.[0], 'a workspace folder is open');
    assert.equal(vscode.workspace.workspaceFolders[0]!.name, 'examples');
  });
  it('loads Open Runtime from the repo', () => {
    const extension = vscode.extensions.getExtension('open-runtime.open-runtime');
    assert.ok(extension, 'extension open-runtime.open-runtime is loaded');
  });
});

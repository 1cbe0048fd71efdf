// Two newer editor features on the examples: "Show Component Interface" on a component built by the CLI
// (`open-runtime build HelloComponentC`), and "Build and Deploy Function..." to the runner's own Lambda control
// plane, after which the deployed version answers through the Invoke API.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { DeployResult } from '../../../runner/deploy/deploy-function.ts';
import { EXTENSION_ID, exampleEvent, openRuntime, until, workspaceDir } from './support.ts';

/** Runs the runner's CLI (dist/runner.js) in the workspace with the Node running this host; rejects with its output. */
function runnerCli(args: string[]): Promise<string> {
  const script = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'runner.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: workspaceDir(),
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(output) : reject(new Error(`open-runtime ${args.join(' ')} exited with ${code}:\n${output}`))));
  });
}

describe('component interface and deploy', () => {
  before(openRuntime);

  describe('Show Component Interface', () => {
    const wasm = () => join(workspaceDir(), 'components', 'c-hello', 'build', 'hello.wasm');

    before(async function () {
      this.timeout(180_000);
      await runnerCli(['build', 'HelloComponentC']);
      assert.ok(existsSync(wasm()), `the build made ${wasm()}`);
    });

    it('opens the WIT world of the built HelloComponentC and returns it', async () => {
      const wit = await vscode.commands.executeCommand<string | undefined>('openRuntime.showComponentInterface', vscode.Uri.file(wasm()));
      assert.ok(wit, 'openRuntime.showComponentInterface returned the WIT (see the "Open Runtime" output for why not)');
      assert.match(wit, /^world [\w-]+ \{$/m, `a world declaration:\n${wit}`);
      // What makes it a function: it exports Open Runtime's handler interface.
      assert.match(wit, /^\s*export open-runtime:lambda\/handler@[\d.]+;$/m);
      // With the interfaces it names, their functions and types (the world alone names them only).
      assert.match(wit, /interface handler \{[\s\S]*handle: func\(event: string, context: context\)/);
      // Shown as a read-only WIT document: not an Untitled buffer, nothing to save on close.
      const editor = vscode.window.activeTextEditor;
      assert.equal(editor?.document.languageId, 'wit');
      assert.equal(editor?.document.getText(), wit);
      assert.equal(editor?.document.uri.scheme, 'open-runtime-wit');
      assert.equal(editor?.document.isUntitled, false);
      assert.equal(editor?.document.isDirty, false);
      await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
      assert.ok(
        !vscode.window.tabGroups.all.flatMap((g) => g.tabs).some((t) => t.input instanceof vscode.TabInputText && t.input.uri.scheme === 'open-runtime-wit'),
        'closed without a save prompt',
      );
    });

    it('opens a .wasm in the component view (not the binary-file warning), and the command then uses that file', async () => {
      await vscode.commands.executeCommand('vscode.open', vscode.Uri.file(wasm()));
      const tab = await until('the .wasm tab', () => vscode.window.tabGroups.activeTabGroup.activeTab, 30_000);
      assert.ok(tab.input instanceof vscode.TabInputCustom, `a custom editor tab: ${tab.label}`);
      assert.equal(tab.input.viewType, 'openRuntime.component');
      assert.equal(tab.input.uri.fsPath, wasm());
      // No argument: the active component view's file, no file dialog.
      const wit = await vscode.commands.executeCommand<string | undefined>('openRuntime.showComponentInterface');
      assert.match(wit ?? '', /export open-runtime:lambda\/handler@/);
      assert.equal(vscode.window.activeTextEditor?.document.uri.path, `${vscode.Uri.file(wasm()).path}.wit`);
      await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    });
  });

  describe('Build and Deploy Function...', () => {
    it('deploys CallbackJs to the local runner, and the deployed version answers', async function () {
      this.timeout(180_000);
      const result = await vscode.commands.executeCommand<DeployResult | undefined>('openRuntime.buildAndDeploy', {
        functionName: 'CallbackJs',
        arch: 'x86_64',
        target: 'local',
      });
      assert.ok(result, 'openRuntime.buildAndDeploy returned a result (see the "Open Runtime" output for why not)');
      assert.equal(result.target, 'local');
      assert.equal(result.functionName, 'CallbackJs');
      assert.equal(result.architecture, 'x86_64');
      assert.match(result.version, /^[1-9]\d*$/, 'a published version number');
      assert.equal(result.versionArn, `${result.functionArn}:${result.version}`);
      assert.ok(result.endpointUrl?.startsWith('http://127.0.0.1:'), `deployed to the runner on 127.0.0.1: ${result.endpointUrl}`);
      // The success stays in the status bar with its next step, after the notification has timed out.
      const shown = (await openRuntime()).deployStatus();
      assert.equal(shown.text, `$(cloud-upload) CallbackJs v${result.version} deployed · Invoke`);
      assert.deepEqual([shown.command, shown.arguments], ['openRuntime.invokeWithEvent', [{ functionName: 'CallbackJs' }]]);
      // The invoke command it hands out, run through Lambda's Invoke API on the runner as the AWS CLI would run it.
      const command = /--endpoint-url (\S+) --function-name (\S+)/.exec(result.invokeCommand);
      assert.ok(command, `an AWS CLI invoke command with the runner's endpoint: ${result.invokeCommand}`);
      assert.deepEqual([command[1], command[2]], [result.endpointUrl, 'CallbackJs']);
      const event = exampleEvent('callback.json');
      const res = await fetch(`${command[1]}/2015-03-31/functions/${command[2]}/invocations`, {
        // Signed-shaped, as the AWS CLI sends it: the runner refuses unsigned (web-page-shaped) requests.
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: JSON.stringify(event),
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.equal(res.headers.get('x-amz-function-error'), null, `the deployed CallbackJs succeeded: ${text}`);
      const response = JSON.parse(text) as { echo: unknown; functionName: string };
      assert.deepEqual(response.echo, event);
      assert.equal(response.functionName, 'CallbackJs');
    });
  });
});

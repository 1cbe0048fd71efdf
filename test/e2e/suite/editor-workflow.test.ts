// The editor as a serverless developer's workspace uses it (issues 12 and 14): a handler shared by several
// functions carries one lens row and asks which function, remembering the answer; an event opens as editable JSON
// and the edited text is what the function gets (invalid JSON is shown where it is and the file kept); a template
// parameter without a Default is set once in the editor and used; the deploy picker finds a function by its full
// path when two projects share its name.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import type { InvokeResult } from '../../../runner/protocol.ts';
import type { DeployResult } from '../../../runner/deploy/deploy-function.ts';
import {
  DEBUG_TITLE,
  INVOKE_TITLE,
  assertSucceeded,
  exampleFunctions,
  invoke,
  lensTable,
  lensesOf,
  openRuntime,
  payloadOf,
  until,
  workspaceDir,
} from './support.ts';

/** Runs a command that opens a QuickPick; `answer` drives the picker once it is up, until the command settles. */
async function withPicker<T>(run: Thenable<T>, answer: () => Promise<void>): Promise<T> {
  let settled = false;
  const pending = Promise.resolve(run).finally(() => {
    settled = true;
  });
  // The picker opens after the runner answered the function list: give it the time to be shown before answering.
  await new Promise((r) => setTimeout(r, 2000));
  await answer();
  await until(
    'the QuickPick to accept its item',
    async () => {
      if (settled) return true;
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      await new Promise((r) => setTimeout(r, 300));
      return settled || undefined;
    },
    30_000,
  );
  return pending;
}

describe('the editor workflow', () => {
  before(openRuntime);

  describe('the Output view', () => {
    /** The visible output channel editors whose text has `marker`: found by what they show, not by their URI's form. */
    const outputsShowing = (marker: string) =>
      vscode.window.visibleTextEditors.filter((e) => e.document.uri.scheme === 'output' && e.document.getText().includes(marker));

    it('is revealed by an invocation when it is hidden, and is known to be on screen when it shows the channel', async () => {
      const api = await openRuntime();
      await vscode.commands.executeCommand('workbench.action.closePanel');
      await until('the Output view to be hidden', () => !vscode.window.visibleTextEditors.some((e) => e.document.uri.scheme === 'output'));
      assert.equal(api.outputShown(), false, 'the channel is not taken for on screen once the panel is closed');
      const marker = `output-reveal-${Date.now()}`;
      assertSucceeded(await invoke({ functionName: 'HelloTs', payload: { queryStringParameters: { name: marker } } }));
      // The function logs its greeting with the name: the channel on screen is the one with that line.
      await until('the Output view to show the invocation', () => outputsShowing(marker).length > 0 || undefined);
      assert.equal(api.outputShown(), true, "the channel on screen is recognised as the extension's own");
      // Shown already: the next invocation leaves it as it is, and it still shows the new lines.
      const next = `output-kept-${Date.now()}`;
      assertSucceeded(await invoke({ functionName: 'HelloTs', payload: { queryStringParameters: { name: next } } }));
      await until('the Output view to show the next invocation', () => outputsShowing(next).length > 0 || undefined);
    });
  });

  describe('a handler several functions share', () => {
    const shared = () => exampleFunctions().filter((f) => f.file?.endsWith(join('hello-ts', 'app.ts')));

    it('shows one Invoke/Debug row and "N functions", not a pair per function', async () => {
      const fns = shared();
      assert.ok(fns.length >= 2, `examples/ has functions sharing hello-ts/app.ts: ${fns.map((f) => f.name).join(', ')}`);
      const uri = vscode.Uri.file(fns[0]!.file!);
      const lenses = await lensesOf(uri);
      assert.deepEqual(lensTable(lenses), [
        [fns[0]!.line!, DEBUG_TITLE],
        [fns[0]!.line!, INVOKE_TITLE],
      ]);
      const args = lenses[0]!.command!.arguments![0] as { sharedBy: string[]; file: string };
      assert.deepEqual(
        args.sharedBy,
        fns.map((f) => f.name),
      );
      const all = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', uri, 1000);
      assert.ok(
        all.some((l) => l.command?.title === `${fns.length} functions` && l.range.start.line === fns[0]!.line),
        'the row says how many functions share the handler',
      );
    });

    it('asks which function, runs the one chosen, and offers it first next time', async function () {
      this.timeout(120_000);
      const fns = shared();
      const lens = (await lensesOf(vscode.Uri.file(fns[0]!.file!))).find((l) => l.command!.title === INVOKE_TITLE)!;
      const args = {
        ...(lens.command!.arguments![0] as object),
        payload: { version: '2.0', rawPath: '/hello', requestContext: { http: { method: 'GET' } }, headers: { authorization: 'Bearer local' } },
      };
      // A running runner first, so the chooser is up well within withPicker's wait.
      await vscode.commands.executeCommand('openRuntime.invokeWithEvent', { functionName: fns[0]!.name, payload: args.payload });
      // The second function of the list, as a user moving down one row would choose.
      const second = await withPicker(vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.invokeWithEvent', args), async () => {
        await vscode.commands.executeCommand('workbench.action.quickOpenSelectNext');
      });
      assert.ok(second, 'the chosen function ran');
      assert.equal(second.function, fns[1]!.name, `the second function of the chooser (${fns[1]!.name}) ran`);
      // Next time the first row is the last choice.
      const again = await withPicker(vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.invokeWithEvent', args), async () => {});
      assert.equal(again?.function, fns[1]!.name, 'the remembered function is offered first');
    });
  });

  describe('an event edited before it is sent', () => {
    const draftFile = () => join(workspaceDir(), '.open-runtime', 'drafts', 'CallbackJs.json');

    it('opens the event as JSON with "Send to" above it, and sends the edited text', async function () {
      this.timeout(90_000);
      const api = await openRuntime();
      const file = await vscode.commands.executeCommand<string | undefined>('openRuntime.editEventBeforeSending', {
        functionName: 'CallbackJs',
        eventTemplate: 'sqs',
      });
      assert.equal(file, draftFile());
      const editor = vscode.window.activeTextEditor;
      assert.equal(editor?.document.uri.fsPath, draftFile(), 'the draft is the active editor');
      const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', editor.document.uri, 10);
      assert.deepEqual(
        lenses.map((l) => l.command?.title),
        ['$(play) Send to CallbackJs', '$(debug-alt-small) Debug', '$(save) Save as event...'],
      );

      const event = JSON.parse(editor.document.getText());
      assert.equal(event.Records[0].eventSource, 'aws:sqs');
      event.Records[0].body = 'edited in the editor';
      await replaceText(editor.document, JSON.stringify(event, null, 2));
      const result = await vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.sendEditedEvent', editor.document.uri);
      assert.ok(result);
      assertSucceeded(result);
      assert.equal(payloadOf(result).echo.Records[0].body, 'edited in the editor', 'the function got the edited event');
      assert.match(api.history()[0]!.eventLabel, /^edited: template: /);
    });

    it('refuses invalid JSON with a diagnostic at the spot, keeps the file, then saves it as a named event', async function () {
      this.timeout(90_000);
      const doc = await vscode.workspace.openTextDocument(draftFile());
      const broken = '{\n  "Records": [\n    { "body": "x", }\n  ]\n}\n';
      await replaceText(doc, broken);
      const refused = await vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.sendEditedEvent', doc.uri);
      assert.equal(refused, undefined, 'nothing was sent');
      // VS Code's own JSON support marks the comma too; ours is the one that says the event cannot be sent.
      const problems = vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Open Runtime');
      assert.equal(problems.length, 1, 'one diagnostic of ours on the draft');
      assert.equal(problems[0]!.range.start.line, 2, 'at the trailing comma');
      assert.equal(readFileSync(draftFile(), 'utf8'), broken, 'the file is kept as typed');

      await replaceText(doc, '{ "Records": [{ "body": "fixed" }] }');
      const saved = await vscode.commands.executeCommand<string | undefined>('openRuntime.saveEditedEvent', doc.uri, { name: 'edited-sqs' });
      assert.equal(saved, join(workspaceDir(), '.open-runtime', 'events', 'CallbackJs', 'edited-sqs.json'));
      assert.deepEqual(JSON.parse(readFileSync(saved, 'utf8')), { Records: [{ body: 'fixed' }] });
      assert.deepEqual(
        vscode.languages.getDiagnostics(doc.uri).filter((d) => d.source === 'Open Runtime'),
        [],
        'the diagnostic is gone once the JSON is valid',
      );
      const result = await vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.sendEditedEvent', vscode.Uri.file(saved));
      assert.ok(result);
      assert.equal(payloadOf(result).echo.Records[0].body, 'fixed');
      assert.equal((await openRuntime()).history()[0]!.eventLabel, 'saved: edited-sqs');
    });
  });

  describe('a template parameter without a Default', () => {
    const project = () => join(workspaceDir(), 'sam-staged');
    const template = () => join(project(), 'template.yaml');
    after(() => {
      rmSync(project(), { recursive: true, force: true });
      rmSync(join(workspaceDir(), '.open-runtime', 'parameters.json'), { force: true });
    });

    it('is set once in the editor, saved where the CLI reads it, and used', async function () {
      this.timeout(120_000);
      mkdirSync(join(project(), 'src'), { recursive: true });
      writeFileSync(join(project(), 'src', 'app.mjs'), 'export const handler = async () => ({ stage: process.env.STAGE });\n');
      writeFileSync(
        template(),
        `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
Resources:
  StagedFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: src/
      Handler: app.handler
      Runtime: nodejs22.x
      Environment:
        Variables:
          STAGE: !Ref Stage
`,
      );
      const uri = vscode.Uri.file(template());
      await until(
        'the missing parameter on sam-staged/template.yaml',
        async () => {
          await lensesOf(uri);
          return vscode.languages.getDiagnostics(uri).some((d) => /parameter Stage, which has no Default/.test(d.message)) || undefined;
        },
        60_000,
      );

      const file = await vscode.commands.executeCommand<string | undefined>('openRuntime.setTemplateParameters', {
        template: template(),
        name: 'Stage',
        value: 'qa',
      });
      assert.equal(file, join(workspaceDir(), '.open-runtime', 'parameters.json'));
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { 'sam-staged/template.yaml': { Stage: 'qa' } });
      await until(
        'the problem on the template to clear',
        async () => {
          await lensesOf(uri);
          return vscode.languages.getDiagnostics(uri).length === 0 || undefined;
        },
        30_000,
      );
      const result = await invoke({ functionName: 'StagedFunction', payload: {} });
      assertSucceeded(result);
      assert.equal(payloadOf(result).stage, 'qa', 'the function runs with the saved value');
    });
  });

  describe('Build and Deploy with two projects defining HelloWorldFunction', () => {
    it('finds the function by its full path, and names the paths when the logical id is ambiguous', async function () {
      this.timeout(180_000);
      const ambiguous = await vscode.commands.executeCommand<DeployResult | undefined>('openRuntime.buildAndDeploy', {
        functionName: 'HelloWorldFunction',
        arch: 'x86_64',
        target: 'local',
      });
      assert.equal(ambiguous, undefined, 'an ambiguous logical id deploys nothing');
      // Deployed under another name, so the runner's own sam-hello-HelloWorldFunction (with its HttpApi trigger) stays as it is for the other tests.
      const result = await vscode.commands.executeCommand<DeployResult | undefined>('openRuntime.buildAndDeploy', {
        functionName: 'sam-hello/HelloWorldFunction',
        arch: 'x86_64',
        target: 'local',
        deployedName: 'sam-hello-deployed',
      });
      assert.ok(result, 'openRuntime.buildAndDeploy returned a result (see the "Open Runtime" output for why not)');
      assert.equal(result.functionName, 'sam-hello-deployed');
      // What runs is sam-hello's code and environment, not another project's HelloWorldFunction.
      const res = await fetch(`${result.endpointUrl}/2015-03-31/functions/sam-hello-deployed/invocations`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: 'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host, Signature=0',
        },
        body: '{}',
      });
      const text = await res.text();
      assert.equal(res.status, 200, text);
      assert.equal(JSON.parse(JSON.parse(text).body).greeting, 'hello', `sam-hello's GREETING: ${text}`);
    });
  });
});

async function replaceText(doc: vscode.TextDocument, text: string): Promise<void> {
  const edit = new vscode.WorkspaceEdit();
  edit.replace(doc.uri, new vscode.Range(0, 0, doc.lineCount, 0), text);
  assert.ok(await vscode.workspace.applyEdit(edit), 'the edit applied');
}

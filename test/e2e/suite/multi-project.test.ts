// Several sam-init projects side by side (test/e2e/sam-projects.ts), each with a HelloWorldFunction: each handler's
// lens invokes its own project's function with that template's Timeout and environment, the picker offers the
// project's events/ first, templates get the declared route, and an event of another source gets a hint.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { SAM_PROJECTS } from '../sam-projects.ts';
import { INVOKE_TITLE, assertSucceeded, invoke, lensesOf, openRuntime, payloadOf, until, workspaceDir } from './support.ts';

const nameOf = (folder: string) => `${folder}-HelloWorldFunction`;

describe('several SAM projects side by side', () => {
  before(openRuntime);

  it("each handler's lens invokes its own project's function, with that template's Timeout and environment", async function () {
    this.timeout(120_000);
    for (const project of SAM_PROJECTS) {
      const uri = vscode.Uri.file(join(workspaceDir(), project.folder, 'hello_world', 'app.mjs'));
      const lenses = await until(`the lenses of ${project.folder}/hello_world/app.mjs`, async () => {
        const found = await lensesOf(uri);
        return found.length ? found : undefined;
      });
      const invokeLens = lenses.filter((l) => l.command!.title.startsWith(INVOKE_TITLE));
      assert.deepEqual(
        invokeLens.map((l) => l.command!.arguments),
        [[{ functionName: nameOf(project.folder) }]],
        `one "Invoke with event" lens in ${project.folder}, for its own template's function (not an ad-hoc handler)`,
      );
      const result = await invoke({ ...invokeLens[0]!.command!.arguments![0], payload: {} });
      assertSucceeded(result);
      const body = JSON.parse(payloadOf(result).body);
      assert.equal(body.greeting, project.greeting, `${project.folder}'s own environment`);
      // The name the code sees is the template's (its logical id, as SAM and Lambda give it), not the editor's label.
      assert.equal(body.functionName, 'HelloWorldFunction');
      assert.ok(
        body.remainingMs > 3000 && body.remainingMs <= project.timeout * 1000,
        `${project.folder}'s Timeout of ${project.timeout} s, not the default 3 s: ${body.remainingMs} ms were left`,
      );
      const problems = vscode.languages.getDiagnostics(vscode.Uri.file(join(workspaceDir(), project.folder, 'template.yaml')));
      assert.deepEqual(
        problems.map((d) => d.message),
        [],
        `no problem reported on ${project.folder}/template.yaml`,
      );
    }
  });

  it("offers the project's events/*.json first in the event picker", async () => {
    const picking = vscode.commands.executeCommand<{ label: string; payload: string } | undefined>('openRuntime.pickEvent', {
      functionName: nameOf('sam-orders'),
    });
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
    assert.equal(chosen.label, 'project: sam-orders/events/event.json');
    assert.equal(JSON.parse(chosen.payload).Records[0].eventSource, 'aws:sqs');
  });

  it("renders a template with the function's declared route, and hints when the event's source is not its trigger", async function () {
    this.timeout(60_000);
    const api = await openRuntime();
    const http = await invoke({ functionName: nameOf('sam-hello'), eventTemplate: 'apigw-http' });
    assertSucceeded(http);
    const sent = JSON.parse(api.history()[0]!.payload);
    assert.deepEqual([sent.routeKey, sent.rawPath, sent.requestContext.http.method], ['GET /hello', '/hello', 'GET'], 'the event of HttpApi GET /hello');
    assert.equal(api.history()[0]!.eventHint, undefined, 'an HTTP API event for an HttpApi function needs no hint');

    const sqs = await invoke({ functionName: nameOf('sam-hello'), eventTemplate: 'sqs' });
    assertSucceeded(sqs);
    assert.equal(
      api.history()[0]!.eventHint,
      'This is an SQS event, but sam-hello/HelloWorldFunction is triggered by API Gateway HTTP API: the handler may not expect its shape.',
    );
    assert.equal(api.resultModel()?.eventHint, api.history()[0]!.eventHint, 'the result view shows the hint above the response');
  });

  it('reveals the build task terminal as it runs', async () => {
    const tasks = await vscode.tasks.fetchTasks({ type: 'open-runtime' });
    const build = tasks.find((t) => t.name.startsWith(`build ${nameOf('sam-hello')}`));
    assert.ok(
      build,
      `a build task for ${nameOf('sam-hello')}: ${tasks
        .map((t) => t.name)
        .slice(0, 10)
        .join(', ')}`,
    );
    assert.equal(build.presentationOptions.reveal, vscode.TaskRevealKind.Always);
  });
});

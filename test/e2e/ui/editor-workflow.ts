// The editor workflow of issues 12 and 14 as a user sees it, in the workspace of sam-init projects: a fresh REST
// event opens as JSON with the declared POST /items (no prompts); a project event edited before sending reaches the
// handler as edited; a template parameter without a Default is asked for once from its notification and the function
// then runs with it; the deploy picker tells two projects' HelloWorldFunction apart by path.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UiTest } from './flow.ts';
import { openByQuickOpen } from './multi-project.ts';
import { INVOKE_TIMEOUT_MS, LENS_TIMEOUT_MS, activeEditor, activeWebview, exactly, lenses, quickInput, quickPickLabels, runCommand } from './workbench.ts';

const ITEMS = 'sam-items/hello_world/app.mjs';
const ITEMS_FN = 'sam-items-HelloWorldFunction';

export const editorWorkflowUiTest: UiTest = {
  title: 'opens a REST event as JSON without prompts, sends an edited event, asks for a missing parameter once, and deploys by path',
  slug: 'editor-workflow',
  async run({ page, folder, screenshot }) {
    const input = quickInput(page).locator('.quick-input-box input');
    const rows = quickInput(page).locator('.quick-input-list .monaco-list-row');
    const openPicker = async () => {
      await openByQuickOpen(page, ITEMS);
      await lenses(page, 'Invoke with event').first().click({ timeout: LENS_TIMEOUT_MS });
      await quickInput(page).locator('.quick-input-title', { hasText: `Event for sam-items/HelloWorldFunction` }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    };

    // A fresh REST event: one click, the declared POST /items filled in, and the JSON to edit.
    await openPicker();
    await input.fill('apigw-rest-proxy');
    await rows
      .filter({ has: page.locator('.label-description', { hasText: exactly('apigw-rest-proxy') }) })
      .first()
      .click();
    await page.locator('.tabs-container .tab.active', { hasText: `${ITEMS_FN}.json` }).waitFor({ timeout: 30_000 });
    await activeEditor(page).locator('.view-lines', { hasText: '"httpMethod": "POST"' }).waitFor({ timeout: 30_000 });
    await activeEditor(page).locator('.view-lines', { hasText: '"resource": "/items"' }).waitFor({ timeout: 30_000 });
    assert.equal(await quickInput(page).isVisible(), false, 'no prompt follows the template');
    await lenses(page, /Send\s+to/)
      .first()
      .waitFor({ timeout: LENS_TIMEOUT_MS });
    await screenshot('rest-event-preview');

    // The project's own event, edited before sending: the handler answers how many records it got.
    await openPicker();
    const projectRow = rows.filter({ hasText: 'project event' }).first();
    await projectRow.hover();
    await projectRow.locator('.action-label[aria-label="Edit before sending"], .action-label[title="Edit before sending"]').first().click();
    await page.locator('.tabs-container .tab.active', { hasText: `${ITEMS_FN}.json` }).waitFor({ timeout: 30_000 });
    await activeEditor(page).locator('.view-lines', { hasText: 'tea' }).waitFor({ timeout: 30_000 });
    await activeEditor(page).locator('.view-lines').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText('{ "Records": [ { "body": "one" }, { "body": "two" } ] }');
    await screenshot('edited-event');
    await lenses(page, /Send\s+to/)
      .first()
      .click();
    const view = activeWebview(page);
    await page
      .locator('.tabs-container .tab', { hasText: `Result: ${ITEMS_FN}` })
      .first()
      .waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await view.locator('#event-label', { hasText: 'edited: project: sam-items/events/event.json' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await view.locator('#status[data-state="succeeded"]').waitFor({ timeout: INVOKE_TIMEOUT_MS });
    const body = JSON.parse(await view.locator('#http-body').innerText());
    await screenshot('edited-event-result');
    assert.deepEqual([body.greeting, body.records], ['items', 2], 'the handler got the edited event');

    // A template parameter without a Default: asked for once, saved, used.
    const project = join(folder, 'sam-staged');
    mkdirSync(join(project, 'src'), { recursive: true });
    writeFileSync(join(project, 'src', 'app.mjs'), 'export const handler = async () => ({ stage: process.env.STAGE });\n');
    writeFileSync(
      join(project, 'template.yaml'),
      `AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Parameters:
  Stage:
    Type: String
    Description: The stage this project runs as
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
    await openByQuickOpen(page, 'sam-staged/template.yaml');
    // The offer is a notification: a toast while it is fresh, in the notification centre after it has timed out.
    const offer = page.locator('.notification-list-item', { hasText: 'parameter Stage has no Default' }).first();
    try {
      await offer.waitFor({ timeout: 20_000 });
    } catch {
      await runCommand(page, 'Notifications: Show Notifications');
      await offer.waitFor({ timeout: 30_000 });
    }
    await screenshot('missing-parameter-notification');
    await offer.locator('.monaco-button', { hasText: 'Set Stage' }).click();
    await quickInput(page).locator('.quick-input-title', { hasText: 'Parameter Stage for sam-staged/template.yaml' }).waitFor({ timeout: 30_000 });
    await input.fill('qa');
    await screenshot('parameter-prompt');
    await input.press('Enter');
    const saved = join(folder, '.open-runtime', 'parameters.json');
    for (let i = 0; i < 50 && !existsSync(saved); i++) await page.waitForTimeout(200);
    assert.deepEqual(JSON.parse(readFileSync(saved, 'utf8')), { 'sam-staged/template.yaml': { Stage: 'qa' } });
    await openByQuickOpen(page, 'sam-staged/src/app.mjs');
    await lenses(page, 'Invoke with event').first().click({ timeout: LENS_TIMEOUT_MS });
    await quickInput(page).locator('.quick-input-title', { hasText: 'Event for StagedFunction' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await input.fill('Empty event');
    await rows.filter({ hasText: 'Empty event' }).first().click();
    await view.locator('#function', { hasText: 'StagedFunction' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await view.locator('#status[data-state="succeeded"]').waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await screenshot('parameter-used');
    const response = (await view.locator('#payload').innerText()).trim();
    assert.match(response, /"stage":\s*"qa"/, `the function ran with the saved Stage: ${response}`);

    // The deploy picker names each project's HelloWorldFunction by its path.
    await runCommand(page, 'Open Runtime: Build and Deploy Function...');
    await quickInput(page).locator('.quick-input-title', { hasText: 'Build and deploy which function?' }).waitFor({ timeout: 30_000 });
    await input.fill('HelloWorldFunction');
    await page.waitForTimeout(500);
    const labels = await quickPickLabels(page);
    await screenshot('deploy-picker-paths');
    for (const path of ['sam-orders/HelloWorldFunction', 'sam-hello/HelloWorldFunction', 'sam-items/HelloWorldFunction']) {
      assert.ok(labels.includes(path), `the deploy picker lists ${path}: ${labels.join(' | ')}`);
    }
    await input.press('Escape');
  },
};

// The event picker of a function in a workspace of several sam-init projects (test/e2e/sam-projects.ts), as a user
// sees it: opened from sam-hello's handler lens, it names the project's function, offers the project's events/ first
// and the HttpApi templates next; typing a service name ("API Gateway", "SQS") finds its templates; the HTTP API
// template opens as JSON with the declared GET /hello, without prompts; and an SQS event sent to this HTTP handler is sent with a one-line hint.
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import type { UiTest } from './flow.ts';
import {
  INVOKE_TIMEOUT_MS,
  LENS_TIMEOUT_MS,
  activeEditor,
  activeWebview,
  exactly,
  lenses,
  quickInput,
  quickPickLabels,
  runCommand,
  focusWorkbench,
} from './workbench.ts';

const FILE = 'sam-hello/hello_world/app.mjs';

export async function openByQuickOpen(page: Page, relativePath: string): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('Control+P');
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(relativePath);
  const name = relativePath.split('/').pop()!;
  const folder = relativePath.split('/').slice(0, -1).join('/');
  // The row of this very file (several projects have an app.mjs), clicked rather than Enter on whatever is first.
  const row = quickInput(page).locator('.quick-input-list .monaco-list-row').filter({ hasText: name }).filter({ hasText: folder }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.locator('.part.editor .editor-group-container.active .tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
  await activeEditor(page)
    .locator('.view-lines', { hasText: /lambdaHandler|handler|Resources/ })
    .waitFor({ timeout: 30_000 });
}

async function openPicker(page: Page): Promise<void> {
  const lens = lenses(page, 'Invoke with event').first();
  await lens.waitFor({ timeout: LENS_TIMEOUT_MS });
  // A hover left open by the mouse's last position (over the editor) would take the click: move it away first.
  await page.mouse.move(0, 0);
  await lens.click();
  await quickInput(page).locator('.quick-input-title', { hasText: 'sam-hello/HelloWorldFunction' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
}

export const multiProjectUiTest: UiTest = {
  title: "offers a SAM project's own events and its trigger's templates first, finds templates by service name, and hints at a mismatched event",
  slug: 'multi-project-picker',
  async run({ page, screenshot }) {
    await openByQuickOpen(page, FILE);
    await openPicker(page);
    const labels = await quickPickLabels(page);
    await screenshot('sam-hello-event-picker');
    const list = await quickInput(page).locator('.quick-input-list').innerText();
    assert.match(labels[0] ?? '', /event/, `the project's events/event.json comes first: ${labels.slice(0, 4).join(' | ')}`);
    assert.match(list, /Events of the project · sam-hello\/events/);
    assert.match(list, /Triggers of sam-hello\/HelloWorldFunction · HttpApi/);
    assert.ok(
      list.indexOf('HTTP API request (payload 2.0)') < list.indexOf('REST API proxy request') || !list.includes('REST API proxy request'),
      'the HttpApi templates come before the REST API ones',
    );

    const input = quickInput(page).locator('.quick-input-box input');
    const rows = quickInput(page).locator('.quick-input-list .monaco-list-row');
    for (const [typed, id] of [
      ['API Gateway', 'apigw-http'],
      ['SQS', 'sqs'],
      ['EventBridge', 'eventbridge-custom'],
    ] as const) {
      await input.fill(typed);
      await rows
        .filter({ has: page.locator('.label-description', { hasText: exactly(id) }) })
        .first()
        .waitFor({ timeout: 10_000 })
        .catch(() => {
          throw new Error(`Typing "${typed}" in the event picker does not find the ${id} template.`);
        });
      if (typed === 'API Gateway') await screenshot('event-picker-search-api-gateway');
    }

    // The HTTP API template opens as JSON with the declared route filled in: no field-by-field prompts.
    await input.fill('apigw-http');
    await rows
      .filter({ has: page.locator('.label-description', { hasText: exactly('apigw-http') }) })
      .first()
      .click();
    await page.locator('.tabs-container .tab.active', { hasText: 'sam-hello-HelloWorldFunction.json' }).waitFor({ timeout: 30_000 });
    await activeEditor(page).locator('.view-lines', { hasText: '"routeKey": "GET /hello"' }).waitFor({ timeout: 30_000 });
    assert.equal(await quickInput(page).isVisible(), false, 'no prompt follows the template');
    await screenshot('template-declared-route-preview');

    // An SQS batch sent to this HTTP handler: it runs, and a one-line hint says so.
    await openByQuickOpen(page, FILE);
    await openPicker(page);
    await input.fill('sqs');
    await rows
      .filter({ has: page.locator('.label-description', { hasText: exactly('sqs') }) })
      .first()
      .click();
    await page.mouse.move(0, 0);
    await lenses(page, /Send\s+to\s+sam-hello-HelloWorldFunction/)
      .first()
      .click({ timeout: LENS_TIMEOUT_MS });
    const view = activeWebview(page);
    await view.locator('#function', { hasText: 'sam-hello-HelloWorldFunction' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await view.locator('#status[data-state="succeeded"]').waitFor({ timeout: INVOKE_TIMEOUT_MS });
    const hint = (await view.locator('#event-hint').innerText({ timeout: 10_000 })).trim();
    await screenshot('mismatched-event-hint');
    assert.equal(hint, '⚠ This is an SQS event, but sam-hello/HelloWorldFunction is triggered by API Gateway HTTP API: the handler may not expect its shape.');
    const body = JSON.parse(await view.locator('#http-body').innerText());
    assert.deepEqual([body.greeting, body.records], ['hello', 1], "the SQS batch was sent anyway, to sam-hello's own function");

    // New Function: the event source is found by its service's name too ("SQS" finds "Queue").
    await runCommand(page, 'Open Runtime: New Function...');
    await quickInput(page).locator('.quick-input-title', { hasText: 'New Function (1/3)' }).waitFor({ timeout: 30_000 });
    await input.press('Enter');
    await quickInput(page).locator('.quick-input-title', { hasText: 'New Function (2/3)' }).waitFor({ timeout: 10_000 });
    await input.fill('SQS');
    const queue = rows.filter({ hasText: 'Queue' }).first();
    await queue.waitFor({ timeout: 10_000 }).catch(() => {
      throw new Error('Typing "SQS" in New Function\'s event source finds no "Queue".');
    });
    await screenshot('new-function-search-sqs');
    await input.press('Escape');
  },
};

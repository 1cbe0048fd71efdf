// A durable function as a user meets it in the editor (issue 16): "Invoke with event" on the DurableOrder example
// starts an execution; the Durable Executions view shows it with its steps (the retried step, the child context, the
// parallel branches, the map, the wait) and the callback it waits for; "Complete Callback" there, with a JSON result,
// lets it finish, and the result view shows the workflow's answer. Screenshots of the view waiting and finished.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UiTest } from './flow.ts';
import { INVOKE_TIMEOUT_MS, activeWebview, closeAllEditors, exactly, lenses, openFromExplorer, openWorkbench, quickInput, runCommand } from './workbench.ts';

const APP = 'functions/durable-order/app.mjs';

export const durableViewUiTest: UiTest = {
  title: 'runs the durable example from its lens, shows its steps and the callback it waits for, completes it from the Durable Executions view',
  slug: 'durable-view',
  async run({ page, folder, url, screenshot }) {
    if ((await page.locator('.monaco-workbench').count()) === 0) await openWorkbench(page, url);
    // A saved event with an order id, so the picker's first row is it.
    const events = join(folder, '.open-runtime', 'events', 'DurableOrder');
    mkdirSync(events, { recursive: true });
    writeFileSync(join(events, 'order.json'), '{ "orderId": "o-ui", "items": ["book", "pen"] }\n');
    // From the Explorer, whichever view the steps before left in the side bar, with its folders folded.
    await closeAllEditors(page);
    await runCommand(page, 'View: Show Explorer');
    await runCommand(page, 'Collapse Folders in Explorer');
    await openFromExplorer(page, APP);
    const lens = lenses(page, /^\s*Invoke\s+with\s+event\s*$/).first();
    await lens.waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await lens.click();
    const title = quickInput(page).locator('.quick-input-title');
    await title.filter({ hasText: /^Event for DurableOrder/ }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: 'order' }).first().click();

    // The view: the execution, waiting for its callback once its steps, retries and the wait are done.
    await runCommand(page, 'Focus on Durable Executions View');
    const view = page.locator('.pane', { has: page.locator('.pane-header', { hasText: 'Durable Executions' }) });
    const execution = view.locator('.monaco-list-row', { hasText: 'DurableOrder' }).first();
    await execution.waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await execution.filter({ hasText: 'waiting for a callback' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    if ((await execution.getAttribute('aria-expanded')) !== 'true') await execution.click();
    const approval = view.locator('.monaco-list-row', { hasText: 'approval' }).first();
    await approval.waitFor({ timeout: 30_000 });
    const rows = await view.locator('.monaco-list-row').allInnerTexts();
    for (const step of ['validate', 'reserve-stock', 'price', 'checks', 'labels', 'cool-off', 'approval']) {
      assert.ok(
        rows.some((r) => r.includes(step)),
        `the view lists the step "${step}": ${rows.join(' | ')}`,
      );
    }
    await screenshot('durable-view-waiting');

    // Complete the callback from the view: waitForCallback's child context holds the callback (a bell) with its inline
    // "Complete Callback" action; then Succeed with a JSON result.
    if ((await approval.getAttribute('aria-expanded')) !== 'true') await approval.click();
    // The pane is short: End moves the tree's focus (and its scroll) to its last rows, the callback inside approval.
    await page.keyboard.press('End');
    const callback = view
      .locator('.monaco-list-row', { has: page.locator('.label-name', { hasText: exactly('callback') }) })
      .filter({ has: page.locator('.codicon-bell') })
      .first();
    await callback.waitFor({ timeout: 30_000 });
    assert.notEqual(await callback.getAttribute('aria-level'), await execution.getAttribute('aria-level'), 'the callback row is a step, not the execution');
    await callback.click();
    await callback.hover();
    await callback.locator('.action-label.codicon-check').click();
    await title.filter({ hasText: /^Complete callback/ }).waitFor({ timeout: 30_000 });
    await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: 'Succeed' }).first().click();
    await title.filter({ hasText: 'Callback result (JSON)' }).waitFor({ timeout: 30_000 });
    await quickInput(page).locator('.quick-input-box input').fill('{"approved":true,"by":"the UI test"}');
    await quickInput(page).locator('.quick-input-box input').press('Enter');

    // The execution succeeds: the view says so, and the editor's invoke shows the workflow's answer.
    await view.locator('.monaco-list-row', { hasText: 'DurableOrder' }).filter({ hasText: 'succeeded' }).first().waitFor({ timeout: INVOKE_TIMEOUT_MS });
    const result = activeWebview(page);
    await result.locator('#status[data-state="succeeded"]').waitFor({ timeout: INVOKE_TIMEOUT_MS });
    const body = await result.locator('main#result').innerText();
    assert.match(body, /o-ui/, 'the result names the order');
    assert.match(body, /the UI test/, "the result carries the callback's answer");
    await screenshot('durable-view-succeeded');
    await closeAllEditors(page);
  },
};

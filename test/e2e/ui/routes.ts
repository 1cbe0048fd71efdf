// The Routes view as a user meets it: open it from the Command Palette, find HelloTs's GET /hello row (the function as
// its description), click its "Send request" action, answer the prompts (method, a path with a query string, no
// headers), and read the result view: the request that was sent on the left, the handler's answer on the right.
// Screenshots of the view and of the request beside its response.
import assert from 'node:assert/strict';
import type { FrameLocator, Page } from 'playwright-core';
import type { UiTest } from './flow.ts';
import { INVOKE_TIMEOUT_MS, quickInput, runCommand } from './workbench.ts';

const ROW_LABEL = 'GET /hello, HelloTs';

/** The visible webview that draws a result with a request in it (another webview, the chain view, may be open too). */
async function resultWithRequest(page: Page, text: string): Promise<FrameLocator> {
  const deadline = Date.now() + INVOKE_TIMEOUT_MS;
  for (;;) {
    const frames = page.locator('iframe.webview.ready:visible');
    for (let i = 0; i < (await frames.count()); i++) {
      const frame = page.frameLocator('iframe.webview.ready:visible').nth(i).frameLocator('#active-frame');
      if (
        await frame
          .locator('#request-line', { hasText: text })
          .count()
          .catch(() => 0)
      )
        return frame;
    }
    if (Date.now() > deadline) throw new Error(`No result view shows a request to ${text} within ${INVOKE_TIMEOUT_MS / 1000} s.`);
    await page.waitForTimeout(200);
  }
}

/** Waits for the quick input titled for the request and answers it with `value` (or what it proposes). */
async function answer(page: Page, value?: string): Promise<void> {
  const widget = quickInput(page);
  await widget.locator('.quick-input-title', { hasText: 'Send request' }).waitFor({ timeout: 30_000 });
  const input = widget.locator('.quick-input-box input');
  const before = await widget.locator('.quick-input-message, .quick-input-title').allInnerTexts();
  if (value !== undefined) await input.fill(value);
  await input.press('Enter');
  // The next prompt replaces this one (or the widget goes) once the extension host has the answer.
  const deadline = Date.now() + 30_000;
  while (
    Date.now() < deadline &&
    (await widget.isVisible()) &&
    JSON.stringify(
      await widget
        .locator('.quick-input-message, .quick-input-title')
        .allInnerTexts()
        .catch(() => []),
    ) === JSON.stringify(before)
  ) {
    await page.waitForTimeout(100);
  }
}

export const routesUiTest: UiTest = {
  title: 'lists the routes in the Routes view, sends a request from a row, and shows the request beside the response',
  slug: 'routes-send-request',
  async run({ page, screenshot }) {
    // Through the activity bar, as a user does (the Command Palette may not get the keys while a webview has focus).
    const container = page
      .locator('.activitybar .action-item')
      .filter({ has: page.locator('a.action-label[aria-label^="Open Runtime"]') })
      .first();
    await container.waitFor({ timeout: 10_000 });
    if (!(await container.evaluate((e) => e.classList.contains('checked')))) await container.click();
    const header = page
      .locator('.pane-header')
      .filter({ hasText: /^\s*Routes/ })
      .first();
    await header.waitFor({ timeout: 10_000 });
    if ((await header.getAttribute('aria-expanded')) !== 'true') await header.click();
    const row = page.locator(`.monaco-list-row[aria-label^="${ROW_LABEL}"]`);
    await row.waitFor({ timeout: INVOKE_TIMEOUT_MS });
    assert.equal((await row.locator('.label-name').innerText()).trim(), 'GET /hello');
    assert.equal((await row.locator('.label-description').innerText()).trim(), 'HelloTs');
    await page.locator('.monaco-list-row[aria-label*="Function URL"]').first().waitFor({ timeout: 10_000 });
    await screenshot('routes-view');

    await row.hover();
    await row.locator('.action-label[aria-label^="Send Request"]').click();
    await answer(page); // method: the route's own, GET
    await answer(page, '/hello?name=Grace');
    await answer(page); // headers: none
    const view = await resultWithRequest(page, '/hello?name=Grace');
    await view.locator('#http-status', { hasText: '200' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
    await view.locator('#http-body', { hasText: 'Hello, Grace!' }).waitFor({ timeout: 10_000 });
    assert.match(await view.locator('#request-line').innerText(), /^GET http:\/\/127\.0\.0\.1:\d+\/hello\?name=Grace$/);
    // Beside the editor the view is narrow: the request comes first, kept short, and the status is on the first screen.
    await screenshot('routes-request-and-response-narrow');
    const narrowRequest = await view.locator('#request').boundingBox();
    const narrowStatus = await view.locator('#http-status').boundingBox();
    assert.ok(
      narrowRequest && narrowStatus && narrowRequest.y < narrowStatus.y && narrowStatus.y < 700,
      `the request sits above the response, whose status shows without scrolling: request ${JSON.stringify(narrowRequest)}, status ${JSON.stringify(narrowStatus)}`,
    );
    // Given the room (the result's group maximized), request and response sit side by side, as in REST Client.
    await page.locator('.tabs-container .tab', { hasText: 'Result: HelloTs' }).first().click();
    // With one editor group the result already has the width (and VS Code offers no "maximize" then).
    const maximize = (await page.locator('.part.editor .editor-group-container').count()) > 1;
    if (maximize) await runCommand(page, 'View: Toggle Maximize Editor Group');
    try {
      // Which visible webview is the result's changes when the other group hides: find it again.
      const wide = await resultWithRequest(page, '/hello?name=Grace');
      const deadline = Date.now() + 10_000;
      let request, response;
      do {
        await page.waitForTimeout(200);
        request = await wide.locator('#request').boundingBox();
        response = await wide.locator('#response').boundingBox();
      } while (!(request && response && request.x + request.width <= response.x + 1) && Date.now() < deadline);
      assert.ok(
        request && response && request.x + request.width <= response.x + 1 && Math.abs(request.y - response.y) < 40,
        `the request sits beside the response: request ${JSON.stringify(request)}, response ${JSON.stringify(response)}`,
      );
      await screenshot('routes-request-and-response');
      // The request can be folded away; the response then takes the room.
      await wide.locator('#request > summary').click();
      await wide.locator('#request:not([open])').waitFor({ timeout: 5000 });
      await screenshot('routes-request-folded');
      await wide.locator('#request > summary').click();
    } finally {
      if (maximize) await runCommand(page, 'View: Toggle Maximize Editor Group');
    }
  },
};

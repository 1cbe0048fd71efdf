// The middleware chain view as a user meets it: open the Middy example (functions/middy-ts/app.ts), find
// "Show middleware chain" above its chain, click it, read the onion in the webview (the middlewares in the
// order the source registers them, the handler innermost, no problems), click a middleware to jump to its
// source line, delete that line and see the view redraw without it, then undo. Screenshots of each state.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Page } from 'playwright-core';
import type { UiContext, UiTest } from './flow.ts';
import { LENS_TIMEOUT_MS, activeEditor, exactly, lensLines, goToLine, lenses, quickInput } from './workbench.ts';

const MIDDY_TS = 'functions/middy-ts/app.ts';
const LENS_TITLE = 'Show middleware chain';
const VIEW_TIMEOUT_MS = 60_000;

/** What the source says, read on its own: the chain's line (1-based), its .use(...) middlewares and the handler. */
function chainInSource(folder: string): { line: number; used: Array<{ name: string; line: number }>; handler: string } {
  const lines = readFileSync(join(folder, MIDDY_TS), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^export const handler = middy\b/.test(l));
  assert.ok(start >= 0, `${MIDDY_TS} exports a middy chain as handler`);
  const used: Array<{ name: string; line: number }> = [];
  let handler = '';
  for (let i = start + 1; i < lines.length && /^\s+\./.test(lines[i]!); i++) {
    const use = /^\s+\.use\((\w+)\(/.exec(lines[i]!);
    if (use) used.push({ name: use[1]!, line: i + 1 });
    const h = /^\s+\.handler\((\w+)\)/.exec(lines[i]!);
    if (h) handler = h[1]!;
  }
  return { line: start + 1, used, handler };
}

/**
 * Opens a workspace file with Quick Open (Ctrl+P), as a user does when two files share a name (the explorer has
 * hello-ts/app.ts and middy-ts/app.ts), and waits until the editor's breadcrumbs show its folder.
 */
async function quickOpen(page: Page, relativePath: string): Promise<void> {
  const [folder, file] = [relativePath.split('/').at(-2)!, relativePath.split('/').at(-1)!];
  await page.keyboard.press('Control+P');
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(relativePath);
  const row = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: folder }).filter({ hasText: file }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.locator('.part.editor .editor-group-container.active .breadcrumbs-control', { hasText: folder }).waitFor({ timeout: 30_000 });
  await activeEditor(page).locator('.view-lines .view-line').first().waitFor({ timeout: 30_000 });
}

/** The webview frame that draws the chain view (VS Code nests it: iframe.webview > #active-frame). */
async function chainFrame(page: Page): Promise<FrameLocator> {
  await page.locator('.tabs-container .tab', { hasText: 'Chain: app.ts' }).first().waitFor({ timeout: VIEW_TIMEOUT_MS });
  const deadline = Date.now() + VIEW_TIMEOUT_MS;
  for (;;) {
    const frames = page.locator('iframe.webview.ready:visible');
    for (let i = 0; i < (await frames.count()); i++) {
      const frame = page.frameLocator('iframe.webview.ready:visible').nth(i).frameLocator('#active-frame');
      if (
        await frame
          .locator('main#chain')
          .count()
          .catch(() => 0)
      )
        return frame;
    }
    if (Date.now() > deadline) throw new Error('The "Chain: app.ts" tab opened, but no visible webview draws main#chain.');
    await page.waitForTimeout(200);
  }
}

async function layers(view: FrameLocator): Promise<string[]> {
  return view.locator('section.chain[data-chain="handler"] .layer').evaluateAll((ls) => ls.map((l) => l.getAttribute('data-middleware') ?? ''));
}

async function waitForLayers(page: Page, view: FrameLocator, expected: string[], what: string): Promise<void> {
  const deadline = Date.now() + VIEW_TIMEOUT_MS;
  let now: string[] = [];
  while (Date.now() < deadline) {
    now = await layers(view).catch(() => []);
    if (JSON.stringify(now) === JSON.stringify(expected)) return;
    await page.waitForTimeout(200);
  }
  assert.deepEqual(now, expected, what);
}

/** The step: the same arguments as the tests of flow.ts. */
export async function showMiddlewareChain({ page, folder, screenshot }: UiContext): Promise<void> {
  const source = chainInSource(folder);
  const names = source.used.map((u) => u.name);
  await quickOpen(page, MIDDY_TS);
  // The chain is at the end of the file: bring its line to the middle of the editor with Go to Line (a lens is
  // drawn above its line, so the line must not be the first one shown, and Monaco only renders what is visible).
  await activeEditor(page).locator('.view-lines').click();
  await goToLine(page, source.line);
  try {
    await lenses(page, exactly(LENS_TITLE)).first().waitFor({ timeout: LENS_TIMEOUT_MS });
  } catch {
    throw new Error(`No "${LENS_TITLE}" CodeLens appeared in ${MIDDY_TS} within ${LENS_TIMEOUT_MS / 1000} s.`);
  }
  assert.deepEqual(await lensLines(page, exactly(LENS_TITLE)), [source.line], `"${LENS_TITLE}" sits on the chain's line ${source.line}`);
  await screenshot('middy-ts-chain-lens');

  await lenses(page, exactly(LENS_TITLE)).first().click();
  const view = await chainFrame(page);
  // Outermost first: the registration order, the handler innermost, and nothing wrong with this chain.
  await waitForLayers(page, view, names, 'the layers of the onion, outermost first');
  assert.equal((await view.locator('section.chain[data-chain="handler"] .handler .name').first().innerText()).trim(), source.handler);
  assert.equal(await view.locator('.problem').count(), 0, 'the example chain has no problems');
  // The type on an edge, in full when expanded.
  const edge = view.locator('section.chain[data-chain="handler"] .layer[data-middleware="httpJsonBodyParser"] > .hook-row details.edge').first();
  await edge.locator('summary').click();
  assert.match(await edge.locator('.full-type').innerText(), /APIGatewayProxyEvent/);
  await screenshot('middy-ts-chain-view');

  // A click on a middleware reveals its registration in the source.
  const validator = source.used.find((u) => u.name === 'validator');
  assert.ok(validator, `${MIDDY_TS} uses the validator`);
  await view.locator('section.chain[data-chain="handler"] .layer[data-middleware="validator"] > .layer-title a.name').click();
  const cursor = page.locator('.statusbar-item[id="status.editor.selection"]');
  await cursor
    .filter({ hasText: new RegExp(`Ln ${validator.line},`) })
    .waitFor({ timeout: 10_000 })
    .catch(async () => {
      throw new Error(`The click did not put the cursor on line ${validator.line}: the status bar says "${await cursor.innerText().catch(() => '?')}".`);
    });

  // Delete that line (unsaved): the view redraws without the validator; undo brings it back.
  await page.keyboard.press('Control+Shift+K');
  await waitForLayers(
    page,
    view,
    names.filter((n) => n !== 'validator'),
    'the layers after deleting the validator line',
  );
  await screenshot('middy-ts-chain-view-edited');
  await page.keyboard.press('Control+Z');
  await waitForLayers(page, view, names, 'the layers after undoing the deletion');
  await page
    .locator('.tabs-container .tab.dirty', { hasText: 'app.ts' })
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => {
      throw new Error('app.ts is still modified after undoing the deletion.');
    });
}

/** The step as a UI test, for `uiTests` in run.ts. */
export const chainViewUiTest: UiTest = {
  title: 'shows the middleware chain of the Middy example, reveals a middleware in the source and redraws on an edit',
  slug: 'chain-view',
  run: showMiddlewareChain,
};

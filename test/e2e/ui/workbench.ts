// What a user does in the VS Code workbench, as Playwright steps: open a file from the explorer, find the
// CodeLenses and the lines they sit on, answer a QuickPick, read a webview and an output channel.
// Selectors are the ones verified on code-server 4.139 (VS Code 1.139); see ENVIRONMENT.md.
import type { FrameLocator, Locator, Page } from 'playwright-core';

/** Cold CI machines: the first CodeLens can take up to a minute after the editor opens. */
export const LENS_TIMEOUT_MS = Number(process.env.E2E_LENS_TIMEOUT_MS ?? 60_000);
/** Starting the runner, compiling TypeScript and a function's cold start, on a slow machine. */
export const INVOKE_TIMEOUT_MS = Number(process.env.E2E_INVOKE_TIMEOUT_MS ?? 90_000);

export async function openWorkbench(page: Page, url: string): Promise<void> {
  await page.goto(url, { timeout: 120_000 }); // slow to load on a busy 2-core machine
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  await page.locator('.explorer-folders-view .monaco-list-row').first().waitFor({ timeout: 60_000 });
}

/** Matches the whole text; spaces match any whitespace (Monaco renders some as no-break spaces). */
export function exactly(text: string): RegExp {
  const escaped = text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ +/g, '\\s+');
  return new RegExp(`^\\s*${escaped}\\s*$`);
}

/** The explorer row whose label is exactly `name` at tree depth `level` (1 = top level of the folder). */
export function explorerRow(page: Page, name: string, level: number): Locator {
  return page
    .locator(`.explorer-folders-view .monaco-list-row[aria-level="${level}"]`)
    .filter({ has: page.locator('.label-name', { hasText: exactly(name) }) });
}

/**
 * Opens `relativePath` (e.g. `functions/hello/app.ts`) by clicking through the explorer like a user; waits for its
 * text editor, or only for its tab when it opens in a custom editor (`{ textEditor: false }`).
 */
export async function openFromExplorer(page: Page, relativePath: string, opts: { textEditor?: boolean } = {}): Promise<void> {
  const parts = relativePath.split('/');
  for (const [index, name] of parts.entries()) {
    const row = explorerRow(page, name, index + 1);
    await row.waitFor({ timeout: 30_000 });
    const isFolder = index < parts.length - 1;
    if (isFolder) {
      // The tree can still be applying an earlier command (Collapse Folders in Explorer) when the row is read: a row
      // read as expanded may fold a moment later, and a click may land before the row takes clicks. So: click while
      // it is folded, and look again, until it stays open.
      const expanded = page
        .locator(`.explorer-folders-view .monaco-list-row[aria-level="${index + 1}"][aria-expanded="true"]`)
        .filter({ has: page.locator('.label-name', { hasText: exactly(name) }) });
      const deadline = Date.now() + 20_000;
      for (;;) {
        if ((await row.getAttribute('aria-expanded')) !== 'true') await row.click();
        const open = await expanded.waitFor({ timeout: 2_000 }).then(
          () => true,
          () => false,
        );
        if (open) {
          await page.waitForTimeout(100);
          if ((await row.getAttribute('aria-expanded')) === 'true') break;
        }
        if (Date.now() > deadline) throw new Error(`the explorer folder "${name}" did not open (aria-expanded ${await row.getAttribute('aria-expanded')})`);
      }
    } else {
      await row.click();
    }
  }
  const fileName = parts.at(-1)!;
  await page.locator('.tabs-container .tab.active', { hasText: fileName }).waitFor({ timeout: 30_000 });
  if (opts.textEditor !== false) await activeEditor(page).locator('.view-lines .view-line').first().waitFor({ timeout: 30_000 });
}

/** The text editor of the active editor group. */
export function activeEditor(page: Page): Locator {
  return page.locator('.part.editor .editor-group-container.active .editor-instance .monaco-editor').first();
}

/** Clickable CodeLenses of the active editor whose whole title is `title` (or matches it). */
export function lenses(page: Page, title: string | RegExp): Locator {
  return activeEditor(page).locator('.codelens-decoration a', { hasText: typeof title === 'string' ? exactly(title) : title });
}

/**
 * The 1-based line number each CodeLens titled `title` sits above, in the active editor. A lens is drawn in
 * a view zone right above its line, so its line is the first line number at or below the lens.
 * The file must fit in the editor (no scrolling): true for the examples' handlers.
 */
export async function lensLines(page: Page, title: string | RegExp): Promise<number[]> {
  const pattern = typeof title === 'string' ? exactly(title) : title;
  // Lenses fade in and push the lines below them down: read both in one go, until two readings agree.
  const read = () =>
    activeEditor(page).evaluate((editor, source) => {
      const matcher = new RegExp(source);
      const numbers = [...editor.querySelectorAll('.margin-view-overlays .line-numbers')].map((e) => ({
        line: Number(e.textContent?.trim()),
        top: e.getBoundingClientRect().top,
      }));
      return [...editor.querySelectorAll('.codelens-decoration a')]
        .filter((a) => matcher.test(a.textContent ?? ''))
        .map((a) => {
          const bottom = a.getBoundingClientRect().bottom;
          const below = numbers.filter((n) => n.top >= bottom - 2).sort((x, y) => x.top - y.top)[0];
          return below ? below.line : -1;
        })
        .sort((x, y) => x - y);
    }, pattern.source);
  // A provider refresh removes and re-adds lenses: an empty reading only counts once it lasted the whole wait.
  let previous = await read();
  for (let i = 0; i < 20; i++) {
    await page.waitForTimeout(250);
    const current = await read();
    if (current.length && JSON.stringify(current) === JSON.stringify(previous)) return current;
    previous = current;
  }
  return previous;
}

export function quickInput(page: Page): Locator {
  return page.locator('.quick-input-widget');
}

/**
 * Go to Line in the focused editor: Ctrl+G, then `:line` and Enter once its input is open and editable. A Ctrl+G
 * pressed while an earlier quick input is still closing can be lost (its input is inert, then hidden): then it is
 * pressed again. Returns once the quick input has closed.
 */
export async function goToLine(page: Page, line: number): Promise<void> {
  const input = quickInput(page).locator('.quick-input-box input');
  await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 });
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+G');
    try {
      await input.fill(`:${line}`, { timeout: 5_000 });
      break;
    } catch (error) {
      if (attempt === 3) throw error;
      await page.keyboard.press('Escape');
      await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 });
    }
  }
  await input.press('Enter');
  await quickInput(page).waitFor({ state: 'hidden', timeout: 10_000 });
}

/** The labels of the rows the QuickPick shows right now (separators excluded). */
export async function quickPickLabels(page: Page): Promise<string[]> {
  const rows = quickInput(page).locator('.quick-input-list .monaco-list-row');
  await rows.first().waitFor({ timeout: 30_000 });
  return (await rows.locator('.label-name, .monaco-icon-label .label-name').allInnerTexts()).map((t) => t.trim());
}

/** Types into the QuickPick filter and picks the first row whose label contains `label`. */
export async function pickQuickPickItem(page: Page, label: string, filter = label): Promise<void> {
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ timeout: 30_000 });
  await input.fill(filter);
  const row = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: label }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
}

/**
 * Accepts whatever the open input boxes / pickers propose (a template's field defaults) with Enter until no
 * quick input is left, or `max` prompts were answered. Returns the prompts answered, for the test's message.
 */
export async function acceptDefaults(page: Page, max = 12): Promise<string[]> {
  const answered: string[] = [];
  const widget = quickInput(page);
  const input = widget.locator('.quick-input-box input');
  const promptOf = async () => (await widget.locator('.quick-input-title, .quick-input-message').allInnerTexts()).join(' ').trim();
  for (let i = 0; i < max; i++) {
    try {
      await widget.waitFor({ state: 'visible', timeout: 3000 });
    } catch {
      break;
    }
    const prompt = await promptOf();
    const value = await input.inputValue().catch(() => '');
    // Press Enter in the input itself: a key sent to the page while the widget closes would edit the file.
    try {
      await input.press('Enter', { timeout: 2000 });
    } catch {
      break;
    }
    answered.push(`${prompt || '(no prompt)'} = ${value}`);
    // The widget closes (or moves on) only once the extension host has answered: until then it still shows
    // this prompt, and another Enter could reach the editor behind it when it closes.
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!(await widget.isVisible()) || (await promptOf()) !== prompt) break;
      if (Date.now() > deadline) throw new Error(`The prompt "${prompt}" did not accept "${value}" within 30 s.`);
      await page.waitForTimeout(100);
    }
  }
  return answered;
}

/**
 * Takes the keyboard focus out of a webview (the result, chain or component view keep it after a click, and their
 * frame then receives the keys a shortcut needs), so that the next shortcut reaches the workbench, as it does for a
 * user who clicks back into the window.
 */
export async function focusWorkbench(page: Page): Promise<void> {
  await page.evaluate(() => {
    const active = document.activeElement as HTMLElement | null;
    if (active && active.tagName === 'IFRAME') active.blur();
  });
}

/** Runs a command through the Command Palette, like a user typing its title. */
export async function runCommand(page: Page, title: string): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('Control+Shift+P');
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(`>${title}`);
  const row = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ timeout: 10_000 });
  await input.press('Enter');
  // Wait for the palette to go (or give way to the command's own picker) before the next step types.
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && (await quickInput(page).isVisible()) && (await input.inputValue().catch(() => '')) === `>${title}`) {
    await page.waitForTimeout(100);
  }
}

/** The content of the visible webview whose tab is active (VS Code nests it: iframe.webview > #active-frame). */
export function activeWebview(page: Page): FrameLocator {
  return page.frameLocator('iframe.webview.ready:visible').first().frameLocator('#active-frame');
}

/** Shows the output channel `name` in the panel and returns its text view. */
export async function showOutputChannel(page: Page, name: string): Promise<Locator> {
  const view = page.locator('.part.panel .monaco-editor .view-lines');
  const selected = page.locator('.part.panel select.monaco-select-box');
  const current = await selected.evaluate((s: HTMLSelectElement) => s.options[s.selectedIndex]?.text ?? '').catch(() => '');
  if (current !== name) {
    await runCommand(page, 'Output: Show Output Channels...');
    await pickQuickPickItem(page, name);
  }
  await view.first().waitFor({ timeout: 30_000 });
  return view.first();
}

export async function closeAllEditors(page: Page): Promise<void> {
  await runCommand(page, 'View: Close All Editors');
  await page
    .locator('.part.editor .tabs-container .tab')
    .first()
    .waitFor({ state: 'detached', timeout: 10_000 })
    .catch(() => {});
}

// The UI flow, as a user does it in the browser: open the examples, open the TypeScript handler from the
// explorer, see the lenses on the handler's line only, invoke it with a new event made from a template
// (saved on the way), read the response in the result view and the REPORT line in the output channel,
// invoke the failing example and see its error, then invoke again and get the saved event offered first.
// The tests run in order on one page; each one says what it needs from the previous.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import {
  INVOKE_TIMEOUT_MS,
  LENS_TIMEOUT_MS,
  activeEditor,
  exactly,
  activeWebview,
  acceptDefaults,
  lensLines,
  lenses,
  openFromExplorer,
  openWorkbench,
  quickInput,
  quickPickLabels,
  showOutputChannel,
} from './workbench.ts';

export interface UiContext {
  page: Page;
  /** The workspace folder opened in the workbench (a fresh copy of examples/). */
  folder: string;
  url: string;
  /** test-results/e2e/ (or E2E_RESULTS_DIR): where figures and screenshots go. */
  resultsDir: string;
  /** Saves a numbered screenshot into test-results/e2e/ and returns its path. */
  screenshot(name: string): Promise<string>;
  /** Where the extension writes its "Timing" lines (OPEN_RUNTIME_TIMINGS_FILE), as JSON lines. */
  timingsFile?: string;
}

export interface UiTest {
  title: string;
  slug: string;
  run(context: UiContext): Promise<void>;
}

const HELLO_TS = 'functions/hello-ts/app.ts';
const FAILING_JS = 'functions/failing-js/index.mjs';
/** The catalogue template the flow creates its event from, by the label the picker shows. */
const TEMPLATE_LABEL = 'HTTP API request (payload 2.0)';
const TEMPLATE_ID = 'apigw-http';
/** A few of the templates the picker must offer, by id. */
const PICKER_SAMPLES = ['sqs', 'sns', 'eventbridge-scheduled', 'dynamodb-insert', 's3-put', 'function-url', 'alb', 'cloudevents'];

/** 1-based line of `export const handler` / `export async function handler` in a workspace file. */
function handlerLine(folder: string, file: string): number {
  const lines = readFileSync(join(folder, file), 'utf8').split('\n');
  const index = lines.findIndex((l) => /^export\s+(const|let|var|async\s+function|function)\s+handler\b/.test(l));
  assert.ok(index >= 0, `${file} declares an exported handler`);
  return index + 1;
}

/**
 * The lens of function `fn`'s handler: "Invoke with event" (one row per handler, even when several template
 * functions share it, as HelloTs and HelloGuarded do: the click then asks which one, see chooseFunction).
 */
function lensTitle(base: 'Invoke with event' | 'Debug', _fn: string): RegExp {
  return new RegExp(`^\\s*${base.replace(/ /g, '\\s+')}\\s*$`);
}

/** Answers the chooser of a shared handler (when it shows) with `fn`, and waits for `fn`'s event picker. */
async function chooseFunction(page: Page, fn: string, screenshot?: (name: string) => Promise<string>): Promise<{ chooser: string[] }> {
  const title = quickInput(page).locator('.quick-input-title');
  await title.filter({ hasText: /which one\?|Event for/ }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
  let chooser: string[] = [];
  const shown = await title.innerText();
  if (/which one\?/.test(shown)) {
    chooser = await quickPickLabels(page);
    if (screenshot) await screenshot('shared-handler-chooser');
    const input = quickInput(page).locator('.quick-input-box input');
    await input.fill(fn);
    await quickInput(page)
      .locator('.quick-input-list .monaco-list-row')
      .filter({ has: page.locator('.label-name', { hasText: exactly(fn) }) })
      .first()
      .click();
  } else if (!eventPickerOf(fn).test(shown)) {
    // The picker of the function used last for this handler: the others are "Run as <name>" items in it.
    await switchFunction(page, fn);
  }
  await title.filter({ hasText: eventPickerOf(fn) }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
  return { chooser };
}

/** The event picker's title for `fn` ("Event for HelloTs", or "Event for HelloTs · app.ts also runs as ..."). */
function eventPickerOf(fn: string): RegExp {
  return new RegExp(`^Event for ${fn}(\\s·|$)`);
}

/** In a shared handler's event picker, "Run as `fn`" (found by typing its name, as a user would). */
async function switchFunction(page: Page, fn: string): Promise<void> {
  await quickInput(page).locator('.quick-input-box input').fill(fn);
  await quickInput(page)
    .locator('.quick-input-list .monaco-list-row')
    .filter({ has: page.locator('.label-name', { hasText: exactly(`Run as ${fn}`) }) })
    .first()
    .click();
  await quickInput(page)
    .locator('.quick-input-title')
    .filter({ hasText: eventPickerOf(fn) })
    .waitFor({ timeout: INVOKE_TIMEOUT_MS });
}

async function waitForLenses(page: Page, file: string, fn: string): Promise<void> {
  try {
    await lenses(page, lensTitle('Invoke with event', fn)).first().waitFor({ timeout: LENS_TIMEOUT_MS });
  } catch {
    throw new Error(`No "Invoke with event" CodeLens for ${fn} appeared in ${file} within ${LENS_TIMEOUT_MS / 1000} s.`);
  }
}

/**
 * Clicks "Invoke with event" and waits for the event picker. Lenses are redrawn when the function list
 * changes, so a click can land on a lens that is being replaced: then click the new one.
 */
async function clickLens(page: Page, file: string, fn: string): Promise<void> {
  await waitForLenses(page, file, fn);
  for (let attempt = 1; ; attempt++) {
    await lenses(page, lensTitle('Invoke with event', fn)).first().click();
    try {
      await quickInput(page).waitFor({ state: 'visible', timeout: attempt < 3 ? 20_000 : INVOKE_TIMEOUT_MS });
      return;
    } catch (error) {
      if (attempt >= 3) throw new Error(`Clicking "Invoke with event" in ${file} opened no event picker.`, { cause: error });
    }
  }
}

/** The request id the result view shows now ('' when it is not open yet). */
async function shownRequestId(page: Page): Promise<string> {
  if ((await page.locator('.tabs-container .tab', { hasText: /^Result: / }).count()) === 0) return '';
  return (
    await activeWebview(page)
      .locator('#request-id')
      .innerText({ timeout: 5000 })
      .catch(() => '')
  ).trim();
}

/**
 * Waits until the result view shows a finished invocation of `functionName` other than `previousRequestId`
 * (Running… / Debugging… are not final) and returns its state label.
 */
async function finalStatus(page: Page, functionName: string, previousRequestId: string): Promise<string> {
  await page
    .locator('.tabs-container .tab', { hasText: `Result: ${functionName}` })
    .first()
    .waitFor({ timeout: INVOKE_TIMEOUT_MS });
  const view = activeWebview(page);
  await view.locator('#function', { hasText: functionName }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
  await view.locator('#status[data-state="succeeded"], #status[data-state="failed"]').waitFor({ timeout: INVOKE_TIMEOUT_MS });
  const deadline = Date.now() + INVOKE_TIMEOUT_MS;
  while (previousRequestId && (await shownRequestId(page)) === previousRequestId && Date.now() < deadline) await page.waitForTimeout(200);
  await view.locator('#status[data-state="succeeded"], #status[data-state="failed"]').waitFor({ timeout: INVOKE_TIMEOUT_MS });
  return (await view.locator('#status').innerText()).trim();
}

export const uiTests: UiTest[] = [
  {
    title: 'opens the examples workspace and the TypeScript handler from the explorer',
    slug: 'open-handler',
    async run({ page, url, screenshot }) {
      await openWorkbench(page, url);
      await screenshot('workbench');
      await openFromExplorer(page, HELLO_TS);
      await activeEditor(page).locator('.view-lines', { hasText: 'export const handler' }).waitFor({ timeout: 30_000 });
      await screenshot('hello-ts-open');
    },
  },
  {
    title: 'shows "Invoke with event" and "Debug" on the handler line and nowhere else',
    slug: 'lenses',
    async run({ page, folder, screenshot }) {
      await waitForLenses(page, HELLO_TS, 'HelloTs');
      await lenses(page, lensTitle('Debug', 'HelloTs')).first().waitFor({ timeout: 10_000 });
      const line = handlerLine(folder, HELLO_TS);
      await screenshot('hello-ts-lenses');
      assert.deepEqual(
        await lensLines(page, lensTitle('Invoke with event', 'HelloTs')),
        [line],
        `"Invoke with event" lenses of HelloTs (by line) in ${HELLO_TS}; the handler is on line ${line}`,
      );
      assert.deepEqual(await lensLines(page, lensTitle('Debug', 'HelloTs')), [line], `"Debug" lenses of HelloTs (by line) in ${HELLO_TS}`);
      // No lens anywhere else in the file (nameFrom() takes an `event` too, but is not exported).
      // One row for the three functions sharing this handler: it says so, and fits in the editor of a 1400 px window.
      await page.setViewportSize({ width: 1400, height: 1000 });
      await page.waitForTimeout(500);
      await screenshot('hello-ts-lenses-1400px');
      const row = activeEditor(page)
        .locator('.codelens-decoration', { hasText: /3 functions/ })
        .first();
      await row.waitFor({ timeout: 10_000 });
      const [rowBox, editorBox] = [await row.boundingBox(), await activeEditor(page).boundingBox()];
      assert.ok(
        rowBox && editorBox && rowBox.x + rowBox.width <= editorBox.x + editorBox.width - 20,
        `the lens row "${(await row.innerText()).trim()}" ends inside the editor: ${JSON.stringify(rowBox)} in ${JSON.stringify(editorBox)}`,
      );
      await page.setViewportSize({ width: 1600, height: 1000 });
      const everyLens = await lensLines(page, /\S/);
      assert.ok(everyLens.length >= 2 && everyLens.every((l) => l === line), `every lens is on line ${line}: ${everyLens.join(', ')}`);
    },
  },
  {
    title: 'invokes HelloTs with a new event from a template, saves it, and shows the response and the REPORT line',
    slug: 'invoke-template',
    async run({ page, folder, screenshot }) {
      const previous = await shownRequestId(page);
      await clickLens(page, HELLO_TS, 'HelloTs');
      const { chooser } = await chooseFunction(page, 'HelloTs', screenshot);
      for (const name of ['HelloTs', 'HelloGuarded', 'HelloWasmGuarded']) {
        assert.ok(chooser.includes(name), `the chooser lists ${name}, which shares the handler: ${chooser.join(' | ')}`);
      }
      const labels = await quickPickLabels(page);
      await screenshot('event-picker');
      assert.ok(labels.length > 0, 'the picker lists events');
      // The list is virtualised (only visible rows exist): check what it offers by filtering, as a user would.
      const input = quickInput(page).locator('.quick-input-box input');
      // Templates are found by the service that sends them, which each one names.
      await input.fill('Amazon SQS');
      await quickInput(page)
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Amazon SQS' })
        .filter({ has: page.locator('.label-description', { hasText: exactly('sqs') }) })
        .first()
        .waitFor({ timeout: 10_000 });
      for (const id of PICKER_SAMPLES) {
        await input.fill(id);
        const row = quickInput(page)
          .locator('.quick-input-list .monaco-list-row')
          .filter({ has: page.locator('.label-description', { hasText: exactly(id) }) });
        await row
          .first()
          .waitFor({ timeout: 10_000 })
          .catch(() => {
            throw new Error(`The event picker offers no "${id}" template.`);
          });
      }
      await input.fill(TEMPLATE_ID);
      const row = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: TEMPLATE_LABEL }).first();
      await row.waitFor({ timeout: 10_000 });
      await screenshot('event-picker-filtered');
      await row.click();
      // No field-by-field prompts: the template, filled with HelloTs's declared HttpApi GET /hello, opens as JSON.
      await page.locator('.tabs-container .tab.active', { hasText: 'HelloTs.json' }).waitFor({ timeout: 30_000 });
      await activeEditor(page).locator('.view-lines', { hasText: '"routeKey": "GET /hello"' }).waitFor({ timeout: 30_000 });
      await lenses(page, /Send\s+to\s+HelloTs/)
        .first()
        .waitFor({ timeout: LENS_TIMEOUT_MS });
      await screenshot('template-preview');
      // Kept as a named event: the saved file takes the draft's place, with the same "Send to" lens.
      await lenses(page, /Save\s+as\s+event/)
        .first()
        .click();
      const answered = await acceptDefaults(page);
      assert.equal(answered.length, 1, `one prompt, the event's name: ${answered.join(' | ')}`);
      assert.ok(answered[0]!.includes(`= ${TEMPLATE_ID}`), `the name proposed is "${TEMPLATE_ID}": ${answered.join(' | ')}`);
      await page.locator('.tabs-container .tab.active', { hasText: `${TEMPLATE_ID}.json` }).waitFor({ timeout: 30_000 });
      await lenses(page, /Send\s+to\s+HelloTs/)
        .first()
        .click();

      const status = await finalStatus(page, 'HelloTs', previous);
      await screenshot('hello-ts-result');
      const view = activeWebview(page);
      assert.equal(status, 'Succeeded');
      assert.equal((await view.locator('#function').innerText()).trim(), 'HelloTs');
      assert.match(await view.locator('#http-status').innerText(), /^200\b/);
      // The template's defaults carry no name, so the handler greets the world.
      const body = JSON.parse(await view.locator('#http-body').innerText());
      assert.equal(body.message, 'Hello, world!');
      assert.match(await view.locator('#event-label').innerText(), new RegExp(`saved: ${TEMPLATE_ID}`));
      assert.match(await view.locator('#report').innerText(), /Billed duration/);

      const saved = join(folder, '.open-runtime', 'events', 'HelloTs', `${TEMPLATE_ID}.json`);
      assert.ok(existsSync(saved), `the event was saved as ${saved}`);
      assert.equal(JSON.parse(readFileSync(saved, 'utf8')).version, '2.0');

      const output = await showOutputChannel(page, 'Open Runtime');
      await output
        .locator('.view-line', { hasText: /REPORT\s+RequestId:/ })
        .first()
        .waitFor({ timeout: 30_000 });
      await screenshot('output-report-line');
    },
  },
  {
    title: 'shows the error type and stack of the failing example in the result view',
    slug: 'failing',
    async run({ page, folder, screenshot }) {
      await openFromExplorer(page, FAILING_JS);
      await waitForLenses(page, FAILING_JS, 'FailingJs');
      assert.deepEqual(await lensLines(page, lensTitle('Invoke with event', 'FailingJs')), [handlerLine(folder, FAILING_JS)]);
      const previous = await shownRequestId(page);
      await clickLens(page, FAILING_JS, 'FailingJs');
      await quickPickLabels(page);
      const input = quickInput(page).locator('.quick-input-box input');
      await input.fill('Empty event');
      await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: 'Empty event' }).first().click();
      const status = await finalStatus(page, 'FailingJs', previous);
      await screenshot('failing-result');
      const view = activeWebview(page);
      assert.equal(status, 'Failed');
      assert.equal((await view.locator('#error-type').innerText()).trim(), 'OrderNotFoundError');
      assert.match(await view.locator('#error-message').innerText(), /Order unknown does not exist/);
      const frames = view.locator('.stack-frame');
      assert.ok((await frames.count()) > 0, 'the stack trace is shown');
      // A frame in the handler's file is a link that opens the source line.
      const link = view.locator('.stack-frame-link', { hasText: 'index.mjs' }).first();
      await link.click();
      await page.locator('.tabs-container .tab.active', { hasText: 'index.mjs' }).waitFor({ timeout: 10_000 });
      await screenshot('failing-frame-opened');
    },
  },
  {
    title: 'offers the saved event first when invoking again, and reuses it',
    slug: 'reuse-saved',
    async run({ page, screenshot }) {
      await openFromExplorer(page, HELLO_TS);
      const previous = await shownRequestId(page);
      // The function chosen last for this shared handler: its picker opens at once, the others offered in it.
      const title = quickInput(page).locator('.quick-input-title');
      for (const [from, to] of [
        ['HelloTs', 'HelloGuarded'],
        ['HelloGuarded', 'HelloTs'],
      ] as const) {
        await clickLens(page, HELLO_TS, from);
        await title.filter({ hasText: eventPickerOf(from) }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
        assert.match(await title.innerText(), new RegExp(`app\\.ts( handler)? also runs as .*${to}`), 'the title names the other functions running app.ts');
        if (from === 'HelloTs') await screenshot('shared-handler-picker-remembered');
        // "Run as HelloGuarded" opens HelloGuarded's picker; from there "Run as HelloTs" goes back (and is remembered).
        await switchFunction(page, to);
        if (to === 'HelloTs') break;
        await page.keyboard.press('Escape');
        await title.waitFor({ state: 'hidden', timeout: 10_000 });
      }
      // Typing a name filtered the list: clear it, then the saved event is first again.
      await quickInput(page).locator('.quick-input-box input').fill('');
      const labels = await quickPickLabels(page);
      await screenshot('event-picker-saved-first');
      assert.match(labels[0] ?? '', new RegExp(TEMPLATE_ID), `the first item is the saved event "${TEMPLATE_ID}": ${labels.slice(0, 5).join(' | ')}`);
      const first = quickInput(page).locator('.quick-input-list .monaco-list-row').first();
      assert.match(await first.innerText(), /last used/, 'it is marked as the last used event');
      await quickInput(page).locator('.quick-input-box input').press('Enter');
      const status = await finalStatus(page, 'HelloTs', previous);
      const view = activeWebview(page);
      await view.locator('#event-label', { hasText: `saved: ${TEMPLATE_ID}` }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
      await screenshot('hello-ts-result-saved-event');
      assert.equal(status, 'Succeeded');
      assert.equal(JSON.parse(await view.locator('#http-body').innerText()).message, 'Hello, world!');
      assert.equal(await page.locator('.tabs-container .tab.dirty').count(), 0, 'no key press of the flow went into an editor');
    },
  },
];

// How fast the editor feels, measured as a user meets it (issue 14, item 10): real clicks in Chromium, timed from
// the click to the result on screen in the result view, for a cold invoke (first after "Restart Runner"), a warm
// invoke through the event picker, "Re-run" in the result view, and "Debug" to stopped at a breakpoint (Node, Python, Go
// under Delve, Rust under lldb; for Go and Rust one untimed Debug first makes the debug build, which is cached after). The figures
// (median of several rounds) are printed and written to test-results/e2e/ui-timings.json with the extension's own
// breakdown ("Timing" lines: runner, function, picker, invoke, drawn); nothing here asserts a time, the bars are
// judged from the printed figures.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConsoleMessage, Frame, Locator, Page } from 'playwright-core';
import type { UiTest } from './flow.ts';
import {
  goToLine,
  INVOKE_TIMEOUT_MS,
  LENS_TIMEOUT_MS,
  activeEditor,
  closeAllEditors,
  lenses,
  openWorkbench,
  quickInput,
  runCommand,
  focusWorkbench,
} from './workbench.ts';

const HELLO_TS = 'functions/hello-ts/app.ts';
const PYTHON_HELLO = 'functions/python-hello/app.py';
const GO_HELLO = 'functions/go-hello/main.go';
const RUST_HELLO = 'functions/rust-hello/src/main.rs';
const ROUNDS = { cold: 3, warm: 5, rerun: 5, debug: 3, debugPython: 3, debugGo: 3, debugRust: 3 };
/** The first debug build of a Go or Rust function (Go's standard library without optimisations) on a busy machine. */
const DEBUG_BUILD_TIMEOUT_MS = 300_000;

type Kind = keyof typeof ROUNDS;
interface Round {
  totalMs: number;
  pickerShownMs?: number;
  /** From the key press that picks the event to the result on screen (the part after the user's choice). */
  afterChoiceMs?: number;
  /**
   * The same round from the pages' own clocks (epoch ms): the click and the Enter as the workbench received them, the
   * first animation frame with the picker in the page, the first frame with the result in the result view. Without
   * Playwright's own round trips (each a few to tens of ms), this is what the user sees.
   */
  onScreen?: { totalMs: number; pickerShownMs?: number; afterChoiceMs?: number };
}

type Probe = { click?: number; enter?: number; picker?: number };

/**
 * Stamps, in the page, the next click and Enter as the page receives them and the first frame that shows a picker whose
 * title matches `title` with rows in it.
 */
async function armWorkbenchProbe(page: Page, title: string): Promise<void> {
  await page.evaluate((pattern) => {
    const w = window as unknown as { __orProbe?: Probe; __orProbeOff?: () => void };
    w.__orProbeOff?.();
    const probe: Probe = {};
    w.__orProbe = probe;
    const at = (ts: number) => performance.timeOrigin + ts;
    const onDown = (e: Event) => {
      probe.click ??= at(e.timeStamp);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Enter') probe.enter ??= at(e.timeStamp);
    };
    document.addEventListener('mousedown', onDown, { capture: true });
    document.addEventListener('keydown', onKey, { capture: true });
    w.__orProbeOff = () => {
      document.removeEventListener('mousedown', onDown, { capture: true });
      document.removeEventListener('keydown', onKey, { capture: true });
    };
    const re = new RegExp(pattern);
    const tick = (ts: number) => {
      if (w.__orProbe !== probe) return;
      const widget = document.querySelector<HTMLElement>('.quick-input-widget');
      const shown = widget && widget.style.display !== 'none' && re.test(widget.querySelector('.quick-input-title')?.textContent ?? '');
      if (shown && widget.querySelector('.quick-input-list .monaco-list-row')) probe.picker = at(ts);
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, title);
}

async function readWorkbenchProbe(page: Page): Promise<Probe> {
  return page.evaluate(() => {
    const w = window as unknown as { __orProbe?: Probe; __orProbeOff?: () => void };
    w.__orProbeOff?.();
    return { ...w.__orProbe };
  });
}

/**
 * Stamps, in the result view's page, the first frame that shows a finished result other than `previous` (and the next
 * click there, for Re-run).
 */
async function armResultProbe(frame: Frame, previous: string): Promise<void> {
  await frame.evaluate((prev) => {
    const w = window as unknown as { __orResult?: { click?: number; shown?: number } };
    const stamps: { click?: number; shown?: number } = {};
    w.__orResult = stamps;
    document.addEventListener(
      'mousedown',
      (e) => {
        stamps.click ??= performance.timeOrigin + e.timeStamp;
      },
      { capture: true, once: true },
    );
    const tick = (ts: number) => {
      if (w.__orResult !== stamps) return;
      const id = document.getElementById('request-id')?.textContent?.trim();
      const state = document.getElementById('status')?.getAttribute('data-state');
      if (id && id !== prev && (state === 'succeeded' || state === 'failed')) stamps.shown = performance.timeOrigin + ts;
      else requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  }, previous);
}

async function readResultProbe(frame: Frame): Promise<{ click?: number; shown?: number }> {
  // The result may be found in the page (newResult polls) before the probe's next animation frame stamps it.
  await frame
    .waitForFunction(() => (window as unknown as { __orResult?: { shown?: number } }).__orResult?.shown !== undefined, undefined, {
      polling: 'raf',
      timeout: 2_000,
    })
    .catch(() => undefined);
  return frame.evaluate(() => ({ ...(window as unknown as { __orResult?: { click?: number; shown?: number } }).__orResult }));
}

/** The result view's page (the frame holding main#result), found among the workbench's frames; waits `timeoutMs` for it. */
async function resultFrame(page: Page, timeoutMs = INVOKE_TIMEOUT_MS): Promise<Frame | undefined> {
  const deadline = Date.now() + timeoutMs;
  do {
    for (const frame of page.frames()) {
      if (await frame.$('main#result').catch(() => null)) return frame;
    }
    await page.waitForTimeout(10);
  } while (Date.now() < deadline);
  return undefined;
}

async function openResultFrame(page: Page): Promise<Frame> {
  const frame = await resultFrame(page);
  if (!frame) throw new Error('The result view did not open.');
  return frame;
}

async function shownRequestId(frame: Frame): Promise<string> {
  return frame.evaluate(() => document.getElementById('request-id')?.textContent?.trim() ?? '').catch(() => '');
}

/** Waits (polling the page every few ms, not through Playwright locators) for a finished result other than `previous`. */
async function newResult(frame: Frame, previous: string): Promise<void> {
  await frame.waitForFunction(
    (prev) => {
      const id = document.getElementById('request-id')?.textContent?.trim();
      const state = document.getElementById('status')?.getAttribute('data-state');
      return !!id && id !== prev && (state === 'succeeded' || state === 'failed');
    },
    previous,
    { polling: 5, timeout: INVOKE_TIMEOUT_MS },
  );
}

/** Where to click `locator` (lenses are redrawn now and then: wait until one stays on screen). */
async function centre(locator: Locator): Promise<{ x: number; y: number }> {
  const deadline = Date.now() + LENS_TIMEOUT_MS;
  for (;;) {
    await locator.waitFor({ timeout: LENS_TIMEOUT_MS });
    const box = await locator.boundingBox().catch(() => null);
    if (box && box.width > 0) return { x: box.x + box.width / 2, y: box.y + box.height / 2 };
    assert.ok(Date.now() < deadline, 'the element to click stays on screen');
    await new Promise((r) => setTimeout(r, 50));
  }
}

const lensOf = (page: Page, base: string, fn = 'HelloTs') => lenses(page, new RegExp(`^\\s*${base.replace(/ /g, '\\s+')}(\\s+\\(${fn}\\))?\\s*$`)).first();

/** Click a lens, take the first event the picker offers (the saved event used last), until the result is shown. */
async function invokeThroughPicker(
  page: Page,
  lens: 'Invoke with event' | 'Debug',
  until: (frame: Frame, previous: string) => Promise<void>,
  fn = 'HelloTs',
): Promise<Round> {
  const before = await resultFrame(page, 0);
  const previous = before ? await shownRequestId(before) : '';
  const at = await centre(lensOf(page, lens, fn));
  const pickerOf = new RegExp(`^Event for ${fn}(\\s·|$)`);
  // Stamped in the pages themselves when the result view is already open (warm rounds): see Round.onScreen.
  const probed = before !== undefined && lens === 'Invoke with event';
  if (probed) {
    await armWorkbenchProbe(page, pickerOf.source);
    await armResultProbe(before, previous);
  }
  const t0 = performance.now();
  await page.mouse.click(at.x, at.y);
  // app.ts is shared by three functions: the first click asks which one; later ones open the picker of the one used
  // last (HelloTs) at once.
  const title = quickInput(page).locator('.quick-input-title');
  await title.filter({ hasText: new RegExp(`which one\\?|${pickerOf.source}`) }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
  if (/which one\?/.test(await title.innerText())) {
    await quickInput(page).locator('.quick-input-list .monaco-list-row').filter({ hasText: fn }).first().click();
  }
  await title.filter({ hasText: pickerOf }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
  await quickInput(page).locator('.quick-input-list .monaco-list-row').first().waitFor({ state: 'visible', timeout: INVOKE_TIMEOUT_MS });
  const pickerShownMs = performance.now() - t0;
  // The workbench moves the focus into the picker's input a moment after drawing it: an Enter before that goes to the
  // editor (a user waits for the picker to take their keys too).
  await page.waitForFunction(() => !!document.activeElement?.closest('.quick-input-widget'), undefined, { polling: 5, timeout: INVOKE_TIMEOUT_MS });
  // The picker's input has the focus: Enter takes its first row (a key press, as a user gives it).
  const chosenAt = performance.now();
  await page.keyboard.press('Enter');
  await until(before ?? (await openResultFrame(page)), previous);
  const end = performance.now();
  const round: Round = { totalMs: end - t0, pickerShownMs, afterChoiceMs: end - chosenAt };
  if (probed) {
    const stamps = await readWorkbenchProbe(page);
    const { shown } = await readResultProbe(before);
    if (stamps.click !== undefined && stamps.picker !== undefined && stamps.enter !== undefined && shown !== undefined) {
      round.onScreen = { totalMs: shown - stamps.click, pickerShownMs: stamps.picker - stamps.click, afterChoiceMs: shown - stamps.enter };
    }
  }
  return round;
}

/** The debugger stopped in the handler: the debug toolbar is up and the editor marks the paused line. */
async function stoppedAtBreakpoint(page: Page, timeout = INVOKE_TIMEOUT_MS): Promise<void> {
  await page.locator('.debug-toolbar').waitFor({ state: 'visible', timeout });
  await activeEditor(page).locator('.codicon-debug-stackframe').first().waitFor({ state: 'visible', timeout });
}

/**
 * The first stop of a kind, shot as a user sees it a moment after the editor marks the line (untimed): the Variables
 * view lists the frame's scopes (a stop whose scopes never come fails here), and the first one's variables where VS Code
 * expands it (it does, 400 ms later, for debugpy and lldb; js-debug's "Local" is left collapsed now and then).
 */
async function screenshotStopped(page: Page, screenshot: (name: string) => Promise<unknown>, name: string): Promise<void> {
  const rows = page.locator('.debug-variables .monaco-list-row');
  await rows.first().waitFor({ state: 'visible', timeout: 15_000 });
  await rows
    .and(page.locator('[aria-level="2"]'))
    .first()
    .waitFor({ state: 'visible', timeout: 3_000 })
    .catch(() => undefined);
  await screenshot(name);
}

/** Continue from the breakpoint until the result is shown, and the debug session has ended with its environment. */
async function continueToResult(page: Page): Promise<void> {
  const frameNow = await openResultFrame(page);
  // The view shows the debugged invocation as running, often already with its request id (a view opened by this
  // Debug asks for the model once ready): any finished result is then the new one.
  const running = await frameNow.evaluate(() => document.getElementById('status')?.getAttribute('data-state') === 'running').catch(() => false);
  const previous = running ? '' : await shownRequestId(frameNow);
  await page.locator('.debug-toolbar .codicon-debug-continue').click();
  await newResult(frameNow, previous);
  await page
    .locator('.debug-toolbar')
    .waitFor({ state: 'hidden', timeout: 30_000 })
    .catch(async () => {
      await page.locator('.debug-toolbar .codicon-debug-disconnect, .debug-toolbar .codicon-debug-stop').first().click();
      await page.locator('.debug-toolbar').waitFor({ state: 'hidden', timeout: 30_000 });
    });
}

async function openByQuickOpen(page: Page, relativePath: string): Promise<void> {
  await focusWorkbench(page);
  await page.keyboard.press('Control+P');
  const input = quickInput(page).locator('.quick-input-box input');
  await input.waitFor({ timeout: 10_000 });
  await input.fill(relativePath);
  // The row of this very file (the explorer has several app.ts, and recently opened files are listed first).
  const [dir, name] = relativePath.split('/').slice(-2) as [string, string];
  const row = quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: name }).filter({ hasText: dir }).first();
  await row.waitFor({ timeout: 30_000 });
  await row.click();
  await page.locator('.tabs-container .tab.active', { hasText: name }).waitFor({ timeout: 30_000 });
  await activeEditor(page)
    .locator('.view-lines', { hasText: /export\s+const\s+handler|def\s+handler|package\s+main|use\s+std::/ })
    .waitFor({ timeout: 30_000 });
}

/** F9 on `line` of app.ts in the first editor group, through Go to Line, then back to the top where the lenses are. */
async function toggleBreakpoint(page: Page, line: number, tab = 'app.ts'): Promise<void> {
  // (Not a click into .view-lines: Playwright would scroll that wide element sideways, lenses out of sight.)
  await page.locator('.part.editor .editor-group-container').first().locator('.tab', { hasText: tab }).first().click();
  await goToLine(page, line);
  await page.keyboard.press('F9');
  await page.keyboard.press('Control+Home');
}

interface OnScreenFigures {
  medianMs: number;
  roundsMs: number[];
  pickerShownMedianMs?: number;
  afterChoiceMedianMs?: number;
  /** Picker on screen after the click + result on screen after the Enter: what the user waits for, not their choosing. */
  waitedMedianMs?: number;
}

/** The medians of the rounds stamped in the pages (Round.onScreen), if any were. */
function onScreenFigures(rounds: readonly Round[]): { onScreen?: OnScreenFigures } {
  const seen = rounds.flatMap((r) => (r.onScreen ? [r.onScreen] : []));
  if (seen.length === 0) return {};
  const withPicker = seen.filter((r) => r.pickerShownMs !== undefined && r.afterChoiceMs !== undefined);
  return {
    onScreen: {
      medianMs: Math.round(median(seen.map((r) => r.totalMs))),
      roundsMs: seen.map((r) => Math.round(r.totalMs)),
      ...(withPicker.length
        ? {
            pickerShownMedianMs: Math.round(median(withPicker.map((r) => r.pickerShownMs!))),
            afterChoiceMedianMs: Math.round(median(withPicker.map((r) => r.afterChoiceMs!))),
            waitedMedianMs: Math.round(median(withPicker.map((r) => r.pickerShownMs! + r.afterChoiceMs!))),
          }
        : {}),
    },
  };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** "Timing invoke HelloTs (function 2.3 ms): runner 0 ms · function 3 ms · picker 80 ms · ..." from the extension's log. */
function timingLine(message: ConsoleMessage): string | undefined {
  const match = /Timing (.+?)(?:\s+color:.*)?$/.exec(message.text());
  return match?.[1]?.trim();
}

export const timingsUiTest: UiTest = {
  title: 'times cold invoke, warm invoke through the picker, Re-run and Debug to stopped, as a user clicks them (figures, no assertion on time)',
  slug: 'timings',
  async run({ page, folder, url, screenshot, resultsDir, timingsFile }) {
    const breakdown: Record<Kind, string[]> = { cold: [], warm: [], rerun: [], debug: [], debugPython: [], debugGo: [], debugRust: [] };
    let kind: Kind = 'cold';
    // When each kind's rounds began (epoch ms), to file the extension's timing lines (timingsFile) under their kind.
    const began: Array<[Kind, number]> = [['cold', Date.now()]];
    const setKind = (k: Kind) => {
      kind = k;
      began.push([k, Date.now()]);
    };
    const onConsole = (message: ConsoleMessage) => {
      const line = timingLine(message);
      if (line) breakdown[kind].push(line);
    };
    page.on('console', onConsole);
    const rounds: Record<Kind, Round[]> = { cold: [], warm: [], rerun: [], debug: [], debugPython: [], debugGo: [], debugRust: [] };
    const buildRounds: Partial<Record<Kind, number>> = {};
    /**
     * Debug of a Go or Rust example: a breakpoint on `marker`'s line, one untimed Debug that makes the debug build (its
     * time is kept apart), then the timed rounds from the click to stopped there.
     */
    const debugNative = async (k: 'debugGo' | 'debugRust', file: string, fn: string, marker: string) => {
      setKind(k);
      const tab = file.split('/').pop()!;
      await closeAllEditors(page);
      await openByQuickOpen(page, file);
      const line =
        readFileSync(join(folder, file), 'utf8')
          .split('\n')
          .findIndex((l) => l.includes(marker)) + 1;
      assert.ok(line > 0, `${file} has ${marker}`);
      await toggleBreakpoint(page, line, tab);
      // The lens sits above the handler, which may be below the first screenful: Go to Line brings it into view (again
      // before each round: stopping and continuing scrolls the editor).
      const revealLens = async () => {
        await page.locator('.part.editor .editor-group-container').first().locator('.tab', { hasText: tab }).first().click();
        await goToLine(page, line);
        await page.waitForTimeout(500); // the editor scrolls there and redraws its lenses: click where they settled
      };
      await revealLens();
      // Its line is in view now (toggleBreakpoint went back to the top): the breakpoint is drawn there.
      await activeEditor(page).locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
      const build = await invokeThroughPicker(page, 'Debug', () => stoppedAtBreakpoint(page, DEBUG_BUILD_TIMEOUT_MS), fn);
      buildRounds[k] = Math.round(build.totalMs);
      await continueToResult(page);
      for (let i = 0; i < ROUNDS[k]; i++) {
        await revealLens();
        rounds[k].push(await invokeThroughPicker(page, 'Debug', () => stoppedAtBreakpoint(page), fn));
        if (i === 0) await screenshotStopped(page, screenshot, `timings-${k === 'debugGo' ? 'debug-go' : 'debug-rust'}-stopped`);
        await continueToResult(page);
      }
      await toggleBreakpoint(page, line, tab);
    };
    // E2E_TIMINGS_ONLY=debugGo,debugRust measures only those kinds (the others take ten minutes on a busy machine).
    const only = process.env.E2E_TIMINGS_ONLY?.split(',') as Kind[] | undefined;
    const measured = (k: Kind) => !only || only.includes(k);
    try {
      // Run alone (--grep), the workbench is not open yet.
      if ((await page.locator('.monaco-workbench').count()) === 0) await openWorkbench(page, url);
      if (!only || only.some((k) => !k.startsWith('debug') || k === 'debug' || k === 'debugPython')) {
        // A saved event, so the picker's first row is one (the flow before this test saved and used one already).
        const events = join(folder, '.open-runtime', 'events', 'HelloTs');
        mkdirSync(events, { recursive: true });
        writeFileSync(join(events, 'timing.json'), '{ "queryStringParameters": { "name": "timing" } }\n');
        // One app.ts open (the flow before left others, and the explorer shows several app.ts), found like a user would.
        await closeAllEditors(page);
        await openByQuickOpen(page, HELLO_TS);
        await lensOf(page, 'Invoke with event').waitFor({ timeout: LENS_TIMEOUT_MS });

        // Cold: a fresh runner (its function environments gone), then the first invoke.
        for (let i = 0; i < ROUNDS.cold; i++) {
          await runCommand(page, 'Open Runtime: Restart Runner');
          await page.locator('.statusbar-item', { hasText: 'Open Runtime: ready' }).waitFor({ timeout: INVOKE_TIMEOUT_MS });
          await page.waitForTimeout(300); // the lenses redraw once the new runner lists the functions
          rounds.cold.push(await invokeThroughPicker(page, 'Invoke with event', newResult));
        }
        await screenshot('timings-cold-invoke');

        setKind('warm');
        // E2E_TRACE=<file>: a Chromium trace of the warm rounds, or (E2E_TRACE_KIND=debug) of the Node Debug rounds.
        const tracing = process.env.E2E_TRACE ? page.context().browser() : null;
        const trace = async (kind: 'warm' | 'debug', rounds: () => Promise<void>) => {
          const traced = tracing && (process.env.E2E_TRACE_KIND ?? 'warm') === kind;
          if (traced) {
            await tracing.startTracing(page, {
              path: process.env.E2E_TRACE,
              categories: (process.env.E2E_TRACE_CATEGORIES ?? 'devtools.timeline,toplevel').split(','),
            });
          }
          await rounds();
          if (traced) await tracing.stopTracing();
        };
        await trace('warm', async () => {
          for (let i = 0; i < ROUNDS.warm; i++) rounds.warm.push(await invokeThroughPicker(page, 'Invoke with event', newResult));
        });
        await screenshot('timings-warm-invoke');

        setKind('rerun');
        const frame = await openResultFrame(page);
        for (let i = 0; i < ROUNDS.rerun; i++) {
          const previous = await shownRequestId(frame);
          const button = frame.locator('#rerun');
          const at = await centre(button);
          await armResultProbe(frame, previous);
          const t0 = performance.now();
          await page.mouse.click(at.x, at.y);
          await newResult(frame, previous);
          const round: Round = { totalMs: performance.now() - t0 };
          const stamps = await readResultProbe(frame);
          if (stamps.click !== undefined && stamps.shown !== undefined) round.onScreen = { totalMs: stamps.shown - stamps.click };
          rounds.rerun.push(round);
        }
        await screenshot('timings-rerun');

        // Debug: a breakpoint on the handler's first statement, then Debug -> stopped there; continue to the result.
        setKind('debug');
        const lines = readFileSync(join(folder, HELLO_TS), 'utf8').split('\n');
        const handlerLine = lines.findIndex((l) => l.startsWith('export const handler')) + 1;
        assert.ok(handlerLine > 0, `${HELLO_TS} has an exported handler`);
        // Re-run's clicks left the focus in the result view: toggleBreakpoint goes back to the handler's editor first.
        await toggleBreakpoint(page, handlerLine + 1);
        await activeEditor(page).locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
        await trace('debug', async () => {
          for (let i = 0; i < ROUNDS.debug; i++) {
            rounds.debug.push(await invokeThroughPicker(page, 'Debug', () => stoppedAtBreakpoint(page)));
            if (i === 0) await screenshotStopped(page, screenshot, 'timings-debug-stopped');
            // The debugged environment ends with its invocation, and the session with it.
            await continueToResult(page);
          }
        });
        await screenshot('timings-debug-done');
        await toggleBreakpoint(page, handlerLine + 1);
        await activeEditor(page).locator('.codicon-debug-breakpoint').first().waitFor({ state: 'detached', timeout: 10_000 });

        // Debug a Python handler: debugpy in the function's process, reached over DAP by the extension itself.
        setKind('debugPython');
        await closeAllEditors(page);
        await openByQuickOpen(page, PYTHON_HELLO);
        await lensOf(page, 'Debug', 'PythonHello').waitFor({ timeout: LENS_TIMEOUT_MS });
        const pyLines = readFileSync(join(folder, PYTHON_HELLO), 'utf8').split('\n');
        const pyHandler = pyLines.findIndex((l) => l.startsWith('def handler')) + 1;
        assert.ok(pyHandler > 0, `${PYTHON_HELLO} defines handler`);
        // app.py is shared by two functions: one untimed invoke answers the chooser, as a user's first click does.
        await invokeThroughPicker(page, 'Invoke with event', newResult, 'PythonHello');
        await toggleBreakpoint(page, pyHandler + 1, 'app.py');
        await activeEditor(page).locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
        for (let i = 0; i < ROUNDS.debugPython; i++) {
          rounds.debugPython.push(await invokeThroughPicker(page, 'Debug', () => stoppedAtBreakpoint(page), 'PythonHello'));
          if (i === 0) await screenshotStopped(page, screenshot, 'timings-debug-python-stopped');
          await continueToResult(page);
        }
        await toggleBreakpoint(page, pyHandler + 1, 'app.py');
      }

      // Go under Delve and Rust under lldb, each through the extension's own DAP connection.
      if (measured('debugGo')) await debugNative('debugGo', GO_HELLO, 'GoHello', 'if e.Name == ""');
      if (measured('debugRust')) await debugNative('debugRust', RUST_HELLO, 'RustHello', 'if name.is_empty()');
    } finally {
      page.off('console', onConsole);
      // The installed .vsix logs no console lines: its timing lines come from the file the run names (run.ts).
      if (timingsFile && existsSync(timingsFile)) {
        for (const k of Object.keys(breakdown) as Kind[]) breakdown[k] = [];
        for (const line of readFileSync(timingsFile, 'utf8').split('\n').filter(Boolean)) {
          const { at, what, parts } = JSON.parse(line) as { at: number; what: string; parts: string };
          const filed = began.filter(([, start]) => start <= at).at(-1);
          if (filed) breakdown[filed[0]].push(`${what}: ${parts}`);
        }
      }
      // Printed even when a later part failed: the figures measured so far still say where the time goes.
      const figures = Object.fromEntries(
        (Object.keys(rounds) as Kind[]).map((k) => {
          const totals = rounds[k].map((r) => Math.round(r.totalMs));
          const picker = rounds[k].flatMap((r) => (r.pickerShownMs === undefined ? [] : [Math.round(r.pickerShownMs)]));
          const afterChoice = rounds[k].flatMap((r) => (r.afterChoiceMs === undefined ? [] : [Math.round(r.afterChoiceMs)]));
          return [
            k,
            {
              medianMs: Math.round(median(totals)),
              roundsMs: totals,
              ...(picker.length ? { pickerShownMedianMs: Math.round(median(picker)) } : {}),
              ...(buildRounds[k] === undefined ? {} : { firstWithDebugBuildMs: buildRounds[k] }),
              ...(afterChoice.length ? { afterChoiceMedianMs: Math.round(median(afterChoice)) } : {}),
              // What the user waits for: the picker to appear after the click, and the result after the choice.
              ...(picker.length && afterChoice.length
                ? { waitedMedianMs: Math.round(median(rounds[k].map((r) => (r.pickerShownMs ?? 0) + (r.afterChoiceMs ?? 0)))) }
                : {}),
              ...onScreenFigures(rounds[k]),
              inExtension: breakdown[k],
            },
          ];
        }),
      );
      const labels: Record<Kind, string> = {
        cold: 'cold invoke (first after Restart Runner), click -> result',
        warm: 'warm invoke through the picker, click -> result',
        rerun: 'Re-run in the result view, click -> result',
        debug: 'Debug, click -> stopped at the breakpoint',
        debugPython: 'Debug a Python handler (debugpy), click -> stopped at the breakpoint',
        debugGo: 'Debug a Go handler (Delve, debug build made before), click -> stopped at the breakpoint',
        debugRust: 'Debug a Rust handler (lldb, debug build made before), click -> stopped at the breakpoint',
      };
      console.log('       UI timings (median of rounds; the picker part is click -> picker shown):');
      for (const k of Object.keys(rounds) as Kind[]) {
        const f = figures[k] as {
          medianMs: number;
          roundsMs: number[];
          pickerShownMedianMs?: number;
          afterChoiceMedianMs?: number;
          waitedMedianMs?: number;
          inExtension: string[];
        };
        if (f.roundsMs.length === 0) {
          console.log(`         ${labels[k]}: not measured`);
          continue;
        }
        const picker =
          f.pickerShownMedianMs === undefined
            ? ''
            : `, picker shown after ${f.pickerShownMedianMs} ms, result ${f.afterChoiceMedianMs} ms after the choice; waited ${f.waitedMedianMs} ms`;
        const built = buildRounds[k] === undefined ? '' : `; the untimed first, with the debug build: ${buildRounds[k]} ms`;
        console.log(`         ${labels[k]}: ${f.medianMs} ms (rounds ${f.roundsMs.join(', ')} ms${picker}${built})`);
        const seen = (f as { onScreen?: OnScreenFigures }).onScreen;
        if (seen) {
          const parts =
            seen.pickerShownMedianMs === undefined
              ? ''
              : `; picker on screen ${seen.pickerShownMedianMs} ms after the click, result ${seen.afterChoiceMedianMs} ms after the Enter; waited ${seen.waitedMedianMs} ms`;
          console.log(`           on the pages' own clocks: ${seen.medianMs} ms (rounds ${seen.roundsMs.join(', ')} ms${parts})`);
        }
        for (const line of f.inExtension.slice(-2)) console.log(`           in the extension: ${line}`);
      }
      writeFileSync(join(resultsDir, 'ui-timings.json'), `${JSON.stringify({ measuredAt: new Date().toISOString(), figures }, null, 2)}\n`);
    }

    for (const k of (Object.keys(rounds) as Kind[]).filter(measured)) assert.equal(rounds[k].length, ROUNDS[k], `${ROUNDS[k]} ${k} rounds ran`);
  },
};

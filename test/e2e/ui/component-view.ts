// A WebAssembly component as a user meets it: build the C example with the CLI, click its .wasm in the explorer,
// and read what the component is (its world and the interfaces it uses, with their functions) in the component view,
// where VS Code would otherwise say the file is binary. Screenshot of the view.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { UiTest } from './flow.ts';
import { activeWebview, closeAllEditors, openFromExplorer, openWorkbench, quickInput, quickPickLabels, runCommand } from './workbench.ts';

const RUNNER = join(import.meta.dirname, '..', '..', '..', 'dist', 'runner.js');
const WASM = 'components/c-hello/build/hello.wasm';
const KV_WASM = 'components/c-kv/build/counter.wasm';

export const componentViewUiTest: UiTest = {
  title:
    'opens a built .wasm as its WIT, with the signatures of the interfaces it uses, and who serves its capabilities; browses the key-value store it filled',
  slug: 'component-view',
  async run({ page, folder, url, screenshot }) {
    // Run alone (--grep), the workbench is not open yet.
    if ((await page.locator('.monaco-workbench').count()) === 0) await openWorkbench(page, url);
    execFileSync(process.execPath, [RUNNER, 'build', 'HelloComponentC'], { cwd: folder, stdio: 'pipe', timeout: 180_000 });
    // Alone on screen, so the webview found is the component view's (the result and chain views are webviews too),
    // and from the Explorer, whichever view the tests before left in the side bar.
    await closeAllEditors(page);
    await runCommand(page, 'View: Show Explorer');
    await openFromExplorer(page, WASM, { textEditor: false });
    const view = activeWebview(page);
    const wit = view.locator('pre');
    await wit.filter({ hasText: 'interface handler' }).waitFor({ timeout: 60_000 });
    const text = await wit.innerText();
    assert.match(text, /export open-runtime:lambda\/handler@0\.1\.0;/, 'the world the component exports');
    assert.match(text, /handle: func\(event: string, context: context\) -> result<string, function-error>;/, 'the handler interface with its signature');
    assert.match(await view.locator('h1').innerText(), /hello\.wasm: WebAssembly component/);
    await screenshot('component-view');
    await closeAllEditors(page);

    // A component with capabilities (issue 20): the view says which provider serves each, per function; one run of it
    // fills the built-in store, which the key-value browser then lists.
    execFileSync(process.execPath, [RUNNER, 'build', 'KvCounterC'], { cwd: folder, stdio: 'pipe', timeout: 180_000 });
    const counted = JSON.parse(
      execFileSync(process.execPath, [RUNNER, 'invoke', 'KvCounterC', '--event', '-'], {
        cwd: folder,
        input: '{"name":"Ada"}',
        encoding: 'utf8',
        timeout: 120_000,
      }),
    );
    assert.match(JSON.stringify(counted), /Hi from config\.env/, `the component read its config: ${JSON.stringify(counted)}`);
    // (c-hello's build folder is open in the explorer: fold it, so the path to c-kv's is the only "build" row.)
    await runCommand(page, 'Collapse Folders in Explorer');
    await openFromExplorer(page, KV_WASM, { textEditor: false });
    const kvView = activeWebview(page);
    const table = kvView.locator('table[aria-label="Capabilities and their providers"]');
    await table.waitFor({ timeout: 60_000 });
    const rows = await table.locator('tbody tr').allInnerTexts();
    assert.ok(
      rows.some((r) => /KvCounterC/.test(r) && /key-value/.test(r) && /SQLite|built-in|local/i.test(r)),
      `the table says who serves KvCounterC's key-value store: ${rows.join(' | ')}`,
    );
    assert.ok(
      rows.some((r) => /KvCounterC/.test(r) && /config/.test(r)),
      `and its config: ${rows.join(' | ')}`,
    );
    await screenshot('component-capabilities');
    await closeAllEditors(page);

    await runCommand(page, 'Open Runtime: Browse Key-Value Stores');
    const title = quickInput(page).locator('.quick-input-title');
    await title.filter({ hasText: 'Key-value stores' }).waitFor({ timeout: 30_000 });
    await quickInput(page).locator('.quick-input-list .monaco-list-row', { hasText: 'default' }).first().click();
    await title.filter({ hasText: /Store "default": \d+ keys/ }).waitFor({ timeout: 30_000 });
    const keys = await quickPickLabels(page);
    assert.ok(keys.length > 0, 'the store lists the keys the component wrote');
    await screenshot('keyvalue-browser');
    await page.keyboard.press('Escape');
  },
};

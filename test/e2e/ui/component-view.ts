// A WebAssembly component as a user meets it: build the C example with the CLI, click its .wasm in the explorer,
// and read what the component is (its world and the interfaces it uses, with their functions) in the component view,
// where VS Code would otherwise say the file is binary. Screenshot of the view.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import type { UiTest } from './flow.ts';
import { activeWebview, closeAllEditors, openFromExplorer, runCommand } from './workbench.ts';

const RUNNER = join(import.meta.dirname, '..', '..', '..', 'dist', 'runner.js');
const WASM = 'components/c-hello/build/hello.wasm';

export const componentViewUiTest: UiTest = {
  title: 'opens a built .wasm as its WIT, with the signatures of the interfaces it uses',
  slug: 'component-view',
  async run({ page, folder, screenshot }) {
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
  },
};

// `npm start -- --vscode` opens the user's own VS Code (scripts/vscode-host.ts openInVsCode). No VS Code is installed
// here: a stand-in `code` script (named as such) records the arguments it gets, as the real `code` command would
// receive them; a missing command is a sentence saying how to get it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLES_DIR, REPO_ROOT, openInVsCode } from '../../scripts/vscode-host.ts';

test('opens examples/ in a new window with the repo as the development extension', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'start-vscode-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const standIn = join(dir, 'code-stand-in');
  writeFileSync(standIn, `#!/bin/sh\nprintf '%s\\n' "$@" > ${join(dir, 'args')}\n`);
  chmodSync(standIn, 0o755);
  openInVsCode(EXAMPLES_DIR, () => {}, standIn);
  assert.deepEqual(readFileSync(join(dir, 'args'), 'utf8').trim().split('\n'), ['--new-window', '--extensionDevelopmentPath', REPO_ROOT, EXAMPLES_DIR]);
});

test('without a code command it says how to get one, or to use code-server', () => {
  assert.throws(
    () => openInVsCode(EXAMPLES_DIR, () => {}, 'no-such-code-command-here'),
    /There is no "no-such-code-command-here" command: in VS Code run "Shell Command: Install 'code' command in PATH".*leave out --vscode to use code-server/,
  );
});

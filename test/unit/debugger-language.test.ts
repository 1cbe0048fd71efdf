// Which debugger a function waits for under "Debug" / --debug-port (runtimes/go-debug.ts debuggerLanguage): by its
// runtime, and for a `provided` function by what its folder holds: Go source (Delve), Rust source, a Makefile or a
// native bootstrap (lldb), a shell bootstrap (none).
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Runtime } from '../../runner/functions/model.ts';
import { debuggerLanguage } from '../../runner/runtimes/go-debug.ts';
import { findLldbAdapter, LLDB_MISSING } from '../../runner/runtimes/lldb-debug.ts';

const root = mkdtempSync(join(tmpdir(), 'debugger-language-'));
after(() => rmSync(root, { recursive: true, force: true }));

function folder(name: string, files: Record<string, string>): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return dir;
}

test('each runtime and kind of provided function gets its debugger, and a shell bootstrap none', () => {
  const elf = folder('native', {});
  copyFileSync(process.execPath, join(elf, 'bootstrap')); // any native executable: Node's own is at hand
  const cases: Array<[Runtime, string, string | undefined]> = [
    ['nodejs22.x', folder('node', { 'app.mjs': '' }), 'node'],
    ['python3.12', folder('python', { 'app.py': '' }), 'python'],
    ['provided.al2023', folder('go', { 'go.mod': 'module x\n', 'main.go': 'package main\n' }), 'go'],
    ['provided.al2023', folder('rust', { 'Cargo.toml': '[package]\nname = "x"\n' }), 'lldb'],
    ['provided.al2023', folder('c', { Makefile: 'build-X:\n\tcc -o $(ARTIFACTS_DIR)/bootstrap x.c\n', 'x.c': '' }), 'lldb'],
    ['provided.al2', elf, 'lldb'],
    ['provided.al2023', folder('shell', { bootstrap: '#!/bin/sh\necho hi\n' }), undefined],
    ['wasi', folder('wasi', { 'x.wasm': '' }), undefined],
  ];
  for (const [runtime, codeUri, expected] of cases) assert.equal(debuggerLanguage({ runtime, codeUri }), expected, `${runtime} in ${codeUri}`);
});

test("OPEN_RUNTIME_LLDB_DAP names lldb's adapter; a path that is not there means none, and the sentence says how to install it", () => {
  const saved = process.env.OPEN_RUNTIME_LLDB_DAP;
  try {
    process.env.OPEN_RUNTIME_LLDB_DAP = process.execPath;
    assert.equal(findLldbAdapter(), process.execPath);
    process.env.OPEN_RUNTIME_LLDB_DAP = join(root, 'no-such-lldb-dap');
    assert.equal(findLldbAdapter(), undefined);
    assert.match(LLDB_MISSING, /apt-get install lldb/);
  } finally {
    if (saved === undefined) delete process.env.OPEN_RUNTIME_LLDB_DAP;
    else process.env.OPEN_RUNTIME_LLDB_DAP = saved;
  }
});

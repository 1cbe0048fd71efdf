// Debugging a Rust, C or C++ `provided` function without Docker: a debug build for this machine, run under LLVM's
// Debug Adapter Protocol server (lldb-vscode, called lldb-dap since LLVM 18), which any DAP client reaches on
// 127.0.0.1:<port> with `{ request: 'attach' }` (VS Code through the extension's `openruntime-lldb` type).
// - Rust (Cargo.toml): `cargo build --bin <bin>` in the debug profile (no optimisation, full debug info) for this
//   machine, copied to `.open-runtime/build/<function>/debug/bootstrap`.
// - C and C++ with a Makefile: SAM's makefile convention, `make build-<Function> ARTIFACTS_DIR=<that folder>`, with
//   CFLAGS and CXXFLAGS set to `-g -O0` (a Makefile that compiles with $(CC) $(CFLAGS) gets them).
// - Any other native bootstrap in the function's folder is debugged as it is (built by the user, with -g for lines).
// lldb cannot debug under qemu here either, so an arm64 function on an x86_64 machine is debugged as a build for this
// machine, and its log says so. The process is lldb-dap-proxy.ts, which starts lldb once a client connects.
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { buildDirOf } from '../build/build-function.ts';
import { newestSource } from '../build/built-package.ts';
import { readElf } from '../build/elf.ts';
import { runTool } from '../build/run-tool.ts';
import { isRustFunction, rustBinary } from '../build/rust.ts';
import type { Architecture, FunctionSpec } from '../functions/model.ts';
import { PACKAGE_ROOT } from '../paths.ts';

/** What the proxy prints once it listens; the environment reports the debugger ready on it. */
export const LLDB_LISTENING = /^OPEN_RUNTIME_LLDB_LISTENING (\d+)$/;

export const LLDB_PROXY = join(PACKAGE_ROOT, 'dist', 'lldb-dap-proxy.cjs');

const HOST_ARCHITECTURE: Architecture = arch() === 'arm64' ? 'arm64' : 'x86_64';

export const LLDB_MISSING =
  "Debugging Rust, C and C++ functions needs LLDB's debug adapter (lldb-dap or lldb-vscode), which is not installed. Install it " +
  '(Debian or Ubuntu: sudo apt-get install lldb; macOS: xcode-select --install, or brew install llvm) or set OPEN_RUNTIME_LLDB_DAP to ' +
  'the lldb-dap or lldb-vscode binary, then click "Debug" again.';

/** A function lldb debugs: Rust source, a Makefile (C, C++), or a native (ELF) bootstrap in its folder. */
export function isNativeFunction(codeUri: string): boolean {
  if (isRustFunction(codeUri) || existsSync(join(codeUri, 'Makefile'))) return true;
  const bootstrap = join(codeUri, 'bootstrap');
  if (!existsSync(bootstrap)) return false;
  try {
    const fd = openSync(bootstrap, 'r');
    const header = Buffer.alloc(64);
    try {
      return readElf(header.subarray(0, readSync(fd, header, 0, 64, 0))) !== undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

/** The DAP server of LLVM's lldb on this machine: OPEN_RUNTIME_LLDB_DAP, else lldb-dap or lldb-vscode(-NN) on PATH or in /usr/lib/llvm-NN. */
export function findLldbAdapter(): string | undefined {
  const chosen = process.env.OPEN_RUNTIME_LLDB_DAP;
  if (chosen) return existsSync(chosen) ? chosen : undefined;
  const names = ['lldb-dap', 'lldb-vscode', ...[21, 20, 19, 18, 17, 16, 15, 14, 13].flatMap((v) => [`lldb-dap-${v}`, `lldb-vscode-${v}`])];
  const dirs = (process.env.PATH ?? '').split(':').filter(Boolean);
  for (const name of names) for (const dir of dirs) if (existsSync(join(dir, name))) return join(dir, name);
  for (const v of [21, 20, 19, 18, 17, 16, 15, 14, 13])
    for (const name of ['lldb-dap', 'lldb-vscode']) if (existsSync(`/usr/lib/llvm-${v}/bin/${name}`)) return `/usr/lib/llvm-${v}/bin/${name}`;
  return undefined;
}

export interface LldbDebugLaunch {
  command: string;
  args: string[];
  /** The folder the function runs from (its LAMBDA_TASK_ROOT). */
  dir: string;
  notice?: string | undefined;
}

/** Builds `fn` for debugging when its source is newer than the last debug build, and says how to start it under lldb. */
export async function planLldbDebug(fn: FunctionSpec, port: number, workspace?: string): Promise<LldbDebugLaunch> {
  // Looked for on PATH, not by running it: a missing lldb is said when Debug is clicked, in one sentence.
  const adapter = findLldbAdapter();
  if (!adapter) throw new Error(LLDB_MISSING);
  const debugDir = join(dirname(buildDirOf(fn, fn.architecture, workspace)), 'debug');
  let dir = fn.codeUri;
  let bootstrap = join(fn.codeUri, 'bootstrap');
  if (isRustFunction(fn.codeUri)) {
    dir = debugDir;
    bootstrap = join(debugDir, 'bootstrap');
    if (stale(bootstrap, fn.codeUri)) await buildRustForDebugging(fn, bootstrap);
  } else if (existsSync(join(fn.codeUri, 'Makefile'))) {
    dir = debugDir;
    bootstrap = join(debugDir, 'bootstrap');
    if (stale(bootstrap, fn.codeUri, /\.(c|cc|cpp|cxx|h|hh|hpp)$|^Makefile$/)) await buildWithMakeForDebugging(fn, debugDir);
  } else if (!existsSync(bootstrap)) {
    throw new Error(`Function ${fn.name} (${fn.runtime}) has no bootstrap file in ${fn.codeUri}. A custom runtime needs an executable named "bootstrap".`);
  }
  const notice =
    fn.architecture === HOST_ARCHITECTURE
      ? undefined
      : `${fn.name} is an ${fn.architecture} function; lldb cannot debug under qemu, so this debug session runs a build for this machine (${HOST_ARCHITECTURE}). Invoke runs the ${fn.architecture} build.`;
  return { command: process.execPath, args: [LLDB_PROXY, adapter, String(port), bootstrap], dir, notice };
}

function stale(bootstrap: string, source: string, files?: RegExp): boolean {
  const builtAt = statSync(bootstrap, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  return builtAt === 0 || newestSource(source, 0, files) > builtAt;
}

async function buildRustForDebugging(fn: FunctionSpec, bootstrap: string): Promise<void> {
  const cargo = process.env.OPEN_RUNTIME_CARGO ?? 'cargo';
  const { bin, targetDirectory } = rustBinary(fn, cargo);
  // The debug profile for this machine's own target: no --target, so cargo's output is target/debug/<bin>.
  const { code, output } = await runTool({
    command: cargo,
    args: ['build', '--bin', bin],
    cwd: fn.codeUri,
    missing: 'cargo is not installed (no "cargo" on PATH), so this Rust function can\'t be built for debugging. Install Rust (rustup or Debian cargo).',
  });
  if (code !== 0) throw new Error(`cargo build for debugging ${fn.name} failed (exit code ${code}):\n${output.split('\n').slice(-20).join('\n')}`);
  mkdirSync(dirname(bootstrap), { recursive: true });
  copyFileSync(join(targetDirectory, 'debug', bin), bootstrap);
  chmodSync(bootstrap, 0o755);
}

async function buildWithMakeForDebugging(fn: FunctionSpec, debugDir: string): Promise<void> {
  mkdirSync(debugDir, { recursive: true });
  const { code, output } = await runTool({
    command: process.env.OPEN_RUNTIME_MAKE ?? 'make',
    args: [`build-${fn.name}`, `ARTIFACTS_DIR=${debugDir}`, 'CFLAGS=-g -O0', 'CXXFLAGS=-g -O0'],
    cwd: fn.codeUri,
    env: { ARTIFACTS_DIR: debugDir },
    missing: "make is not installed, so this function can't be built for debugging from its Makefile. Install it (Debian: apt-get install make).",
  });
  if (code !== 0)
    throw new Error(
      `make build-${fn.name} for debugging failed (exit code ${code}); the Makefile needs a "build-${fn.name}" target that writes bootstrap into $(ARTIFACTS_DIR), as sam build expects:\n${output.split('\n').slice(-20).join('\n')}`,
    );
  if (!existsSync(join(debugDir, 'bootstrap'))) throw new Error(`make build-${fn.name} wrote no bootstrap into ${debugDir} (ARTIFACTS_DIR).`);
}

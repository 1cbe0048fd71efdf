// Debugging a Go function without Docker: it is built for this machine with the optimisations off
// (`-gcflags=all=-N -l`, symbols kept) into `.open-runtime/build/<function>/debug/bootstrap`, then started under Delve's
// headless server, which speaks the Debug Adapter Protocol: any DAP client attaches with
// `{ request: 'attach', mode: 'remote' }` (VS Code through the extension's `openruntime-go` type, nvim-dap, ...). Delve
// holds the program before its first instruction until the client has set its breakpoints, so the invocation is
// delivered only then. Delve cannot debug a program running under qemu, so an arm64 function on an x86_64 machine is
// debugged as a build for this machine, and its log says so.
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { arch } from 'node:os';
import { dirname, join } from 'node:path';
import { newestSource } from '../build/built-package.ts';
import { buildDirOf } from '../build/build-function.ts';
import { runTool } from '../build/run-tool.ts';
import { isGoFunction } from '../build/go.ts';
import { isNativeFunction } from './lldb-debug.ts';
import { runtimeFamily, type Architecture, type DebuggerLanguage, type FunctionSpec } from '../functions/model.ts';

/**
 * The debugger a function takes (a `provided` function written in Go: Delve; in Rust, C or C++: lldb, see
 * lldb-debug.ts), or undefined when it has none here (a shell bootstrap).
 */
export function debuggerLanguage(fn: Pick<FunctionSpec, 'runtime' | 'codeUri'>): DebuggerLanguage | undefined {
  const family = runtimeFamily(fn.runtime);
  if (family === 'node' || family === 'python') return family;
  if (family !== 'provided') return undefined;
  if (isGoFunction(fn.codeUri)) return 'go';
  return isNativeFunction(fn.codeUri) ? 'lldb' : undefined;
}

/** Why a function without a debugger (debuggerLanguage undefined) cannot be debugged, and which ones can. */
export function notDebuggable(fn: Pick<FunctionSpec, 'runtime'>): string {
  return `Debugging ${fn.runtime} functions is not supported yet: Node, Python, Go, Rust, C and C++ functions can be debugged.`;
}

/** What Delve prints once its server listens; the environment reports the debugger ready on it. */
export const DELVE_LISTENING = /^API server listening at: 127\.0\.0\.1:(\d+)/;

const HOST_ARCHITECTURE: Architecture = arch() === 'arm64' ? 'arm64' : 'x86_64';
const GOARCH: Record<Architecture, string> = { x86_64: 'amd64', arm64: 'arm64' };

export const DELVE_MISSING =
  'Debugging Go functions needs Delve (dlv), which is not installed. Install it (Debian or Ubuntu: sudo apt-get install delve; ' +
  'macOS: brew install delve; anywhere with Go: go install github.com/go-delve/delve/cmd/dlv@latest) or set OPEN_RUNTIME_DLV to ' +
  'the dlv binary, then click "Debug" again.';

export interface GoDebugLaunch {
  command: string;
  args: string[];
  /** Said instead of spawn's ENOENT when `command` is not installed: no `dlv version` is spawned to find out first. */
  missing: string;
  /** The debug build's folder: the function runs from here (its LAMBDA_TASK_ROOT). */
  dir: string;
  notice?: string | undefined;
}

/** Builds `fn` for debugging when its source is newer than the last debug build, and says how to start it under Delve. */
export async function planGoDebug(fn: FunctionSpec, port: number, workspace?: string): Promise<GoDebugLaunch> {
  const dlv = process.env.OPEN_RUNTIME_DLV ?? 'dlv';
  const dir = join(dirname(buildDirOf(fn, fn.architecture, workspace)), 'debug');
  const bootstrap = join(dir, 'bootstrap');
  const builtAt = statSync(bootstrap, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (!existsSync(bootstrap) || newestSource(fn.codeUri) > builtAt) {
    mkdirSync(dir, { recursive: true });
    const { code, output } = await runTool({
      command: process.env.OPEN_RUNTIME_GO ?? 'go',
      args: ['build', '-tags', 'lambda.norpc', '-gcflags=all=-N -l', '-o', bootstrap, '.'],
      cwd: fn.codeUri,
      env: { GOOS: 'linux', GOARCH: GOARCH[HOST_ARCHITECTURE], CGO_ENABLED: '0', GOTOOLCHAIN: 'local' },
      missing:
        'Go is not installed (no "go" on PATH), so this Go function can\'t be built for debugging. Install Go 1.19 or later (Debian: apt-get install golang-go) or set OPEN_RUNTIME_GO to the go binary.',
    });
    if (code !== 0) throw new Error(`go build for debugging ${fn.name} failed (exit code ${code}):\n${output.split('\n').slice(-20).join('\n')}`);
  }
  const notice =
    fn.architecture === HOST_ARCHITECTURE
      ? undefined
      : `${fn.name} is an ${fn.architecture} function; Delve cannot debug under qemu, so this debug session runs a build for this machine (${HOST_ARCHITECTURE}). Invoke runs the ${fn.architecture} build.`;
  return {
    command: dlv,
    // No --accept-multiclient: when the debugger disconnects, Delve ends and the function with it.
    args: ['exec', '--headless', `--listen=127.0.0.1:${port}`, '--api-version=2', bootstrap],
    missing: DELVE_MISSING,
    dir,
    notice,
  };
}

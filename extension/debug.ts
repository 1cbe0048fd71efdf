// Attaching the language's debugger to an environment the runner started with its debugger listening
// (`debug-ready` on /events). Node: VS Code's built-in js-debug, with source maps so breakpoints in
// TypeScript sources bind. Python: debugpy through the Python Debugger extension, when installed.
import * as vscode from 'vscode';
import type { FunctionSpec } from '../runner/functions/model.ts';

const PYTHON_DEBUGGER_EXTENSIONS = ['ms-python.debugpy', 'ms-python.python'];

export function pythonDebuggerAvailable(): boolean {
  return PYTHON_DEBUGGER_EXTENSIONS.some((id) => vscode.extensions.getExtension(id) !== undefined);
}

export const PYTHON_DEBUGGER_MISSING =
  'Debugging Python functions needs the "Python Debugger" extension (ms-python.debugpy) in VS Code, and debugpy in the function\'s Python (pip install debugpy). Install them, then click "Debug" again.';

/** The attach configuration for a debug-ready environment. Exported for the in-host tests. */
export function attachConfiguration(fn: FunctionSpec, folder: vscode.WorkspaceFolder, language: 'node' | 'python', port: number): vscode.DebugConfiguration {
  if (language === 'node') {
    return {
      type: 'node',
      request: 'attach',
      name: `Open Runtime: ${fn.name}`,
      address: '127.0.0.1',
      port,
      sourceMaps: true,
      // The runner started the process with --inspect-brk: run on to the user's breakpoints once attached.
      continueOnAttach: true,
      // Compiled TypeScript may live outside the workspace (the runner's build folder): accept its maps
      // wherever they are, and pause on each new script until its source map has been applied, so a
      // breakpoint in the .ts source binds before that code runs.
      resolveSourceMapLocations: null,
      // The function's own folder, not the workspace: js-debug walks these globs for source maps when it attaches,
      // and a whole workspace (every project, every build output) cost seconds of the Debug click.
      outFiles: [`${fn.codeUri}/**/*.(m|c|)js`, '!**/node_modules/**'],
      pauseForSourceMap: true,
      skipFiles: ['<node_internals>/**'],
      attachExistingChildren: false,
      autoAttachChildProcesses: false,
      openRuntimeFunction: fn.name,
    };
  }
  return {
    type: 'debugpy',
    request: 'attach',
    name: `Open Runtime: ${fn.name}`,
    connect: { host: '127.0.0.1', port },
    pathMappings: [{ localRoot: fn.codeUri, remoteRoot: fn.codeUri }],
    justMyCode: true,
    openRuntimeFunction: fn.name,
  };
}

const NODE_DEBUGGER_EXTENSION = 'ms-vscode.js-debug';

/**
 * Loads the debugger extension a Debug click will attach with, while the event picker and the function's start go
 * on: activated only when the attach came, js-debug's start-up was part of the wait for the breakpoint.
 */
export function prepareDebugger(runtime: string): void {
  const ids = runtime.startsWith('python') ? PYTHON_DEBUGGER_EXTENSIONS : [NODE_DEBUGGER_EXTENSION];
  for (const id of ids) {
    const extension = vscode.extensions.getExtension(id);
    if (extension && !extension.isActive) void Promise.resolve(extension.activate()).catch(() => undefined);
  }
}

/** Starts the debug session; resolves to false (after telling the user) when it could not start. */
export async function attachDebugger(fn: FunctionSpec, folder: vscode.WorkspaceFolder, language: 'node' | 'python', port: number): Promise<boolean> {
  if (language === 'python' && !pythonDebuggerAvailable()) {
    void vscode.window.showErrorMessage(PYTHON_DEBUGGER_MISSING);
    return false;
  }
  const config = attachConfiguration(fn, folder, language, port);
  const started = await vscode.debug.startDebugging(folder, config, { suppressDebugView: false });
  if (!started) {
    void vscode.window.showErrorMessage(`Could not attach the ${language === 'node' ? 'Node.js' : 'Python'} debugger to ${fn.name} on 127.0.0.1:${port}. The function is waiting for a debugger: run "Open Runtime: Restart Runner" to end it.`);
  }
  return started;
}

// Attaching the language's debugger to an environment the runner started with its debugger listening
// (`debug-ready` on /events). Node: VS Code's built-in js-debug, with source maps so breakpoints in
// TypeScript sources bind. Python: debugpy, which serves the Debug Adapter Protocol itself on the port the runner gave
// it, so VS Code talks to it directly (our own debug type, `openruntime-python`, whose adapter is that port): no
// Python extension is needed. Go: Delve's headless server runs the function's debug build and serves DAP the same way
// (`openruntime-go`, attach in mode "remote"), without the Go extension. Rust, C and C++: lldb's DAP server, behind the
// runner's proxy that launches the function's debug build when the client attaches (`openruntime-lldb`), without
// CodeLLDB or the C/C++ extension. Either way the runner's own code (its runtime clients, which call the handler) is not
// the user's: a stack starts at their handler.
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { DebuggerLanguage, FunctionSpec } from '../runner/functions/model.ts';
import type { ClickTimer } from './click-timer.ts';
import { PreparedPorts } from './prepared-ports.ts';
import type { RunnerSidecar } from './runner-client.ts';

/** The debug type of a Python function's session: its adapter is debugpy, listening in the function's process. */
export const PYTHON_DEBUG_TYPE = 'openruntime-python';
/** The debug type of a Go function's session: its adapter is Delve's headless server, which runs the function. */
export const GO_DEBUG_TYPE = 'openruntime-go';
/** The debug type of a Rust, C or C++ function's session: its adapter is lldb's DAP server (runner/runtimes/lldb-dap-proxy.ts). */
export const LLDB_DEBUG_TYPE = 'openruntime-lldb';

/** The debugger ports of environments started ahead of their invocation (PreparedDebug), waited for by their sessions. */
const preparedPorts = new PreparedPorts();

/** The configuration key naming the prepared environment a session attaches to (its port still to come). */
const PREPARED_KEY = 'openRuntimePrepared';

/**
 * A session started for a prepared environment gets its port once the runtime waits for a debugger: before that, Node
 * would take the debugger's "run" before it waits (and then wait forever), and debugpy, Delve and lldb do not listen
 * yet. Returning undefined (the environment was discarded: the user left the picker) starts no session.
 */
const awaitPreparedPort: vscode.DebugConfigurationProvider = {
  async resolveDebugConfigurationWithSubstitutedVariables(_folder, config) {
    const id = config[PREPARED_KEY];
    if (typeof id !== 'string') return config;
    const port = await preparedPorts.take(id);
    if (port === undefined) return undefined;
    const { [PREPARED_KEY]: _done, ...rest } = config;
    return rest.connect ? { ...rest, connect: { ...rest.connect, port } } : { ...rest, port };
  },
};

/** VS Code reaches the DAP server of a debug-ready environment (debugpy, Delve, lldb) at the port in the session's configuration. */
export function registerDebugAdapters(): vscode.Disposable {
  const factory: vscode.DebugAdapterDescriptorFactory = {
    createDebugAdapterDescriptor(session) {
      const connect = session.configuration.connect as { host?: string; port?: number } | undefined;
      if (!connect?.port) throw new Error(`The ${session.type} session "${session.name}" has no connect.port: start it with "Debug" above a handler.`);
      return new vscode.DebugAdapterServer(connect.port, connect.host ?? '127.0.0.1');
    },
  };
  // js-debug takes attach configurations as `node` and makes them `pwa-node`: whichever sees the key first waits.
  const waiting = ['node', 'pwa-node', PYTHON_DEBUG_TYPE, GO_DEBUG_TYPE, LLDB_DEBUG_TYPE].map((type) =>
    vscode.debug.registerDebugConfigurationProvider(type, awaitPreparedPort),
  );
  return vscode.Disposable.from(
    ...waiting,
    vscode.debug.registerDebugAdapterDescriptorFactory(PYTHON_DEBUG_TYPE, factory),
    vscode.debug.registerDebugAdapterDescriptorFactory(GO_DEBUG_TYPE, factory),
    vscode.debug.registerDebugAdapterDescriptorFactory(LLDB_DEBUG_TYPE, factory),
  );
}

/**
 * The runner's own files, which a debugger skips: its bundle (dist/, where the Node runtime client runs from) and its
 * sources (runner/, where that bundle's source map points, and where the Python runtime client is).
 */
export function runnerFiles(extensionRoot: string): string[] {
  return [`${extensionRoot}/dist/**`, `${extensionRoot}/runner/**`];
}

/** The attach configuration for a debug-ready environment. Exported for the in-host tests. */
export function attachConfiguration(
  fn: FunctionSpec,
  folder: vscode.WorkspaceFolder,
  language: DebuggerLanguage,
  port: number,
  extensionRoot: string,
): vscode.DebugConfiguration {
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
      // Node's internals and the runner's runtime client: stepping and the call stack stay in the user's code.
      skipFiles: ['<node_internals>/**', ...runnerFiles(extensionRoot)],
      attachExistingChildren: false,
      autoAttachChildProcesses: false,
      // js-debug's own log of the session (every CDP and DAP message, timed), to find where a slow attach goes.
      ...(process.env.OPEN_RUNTIME_JS_DEBUG_TRACE ? { trace: { logFile: process.env.OPEN_RUNTIME_JS_DEBUG_TRACE } } : {}),
      openRuntimeFunction: fn.name,
    };
  }
  if (language === 'go') {
    return {
      type: GO_DEBUG_TYPE,
      request: 'attach',
      // Delve's headless server already runs the function's debug build: attach to it over DAP.
      mode: 'remote',
      name: `Open Runtime: ${fn.name}`,
      connect: { host: '127.0.0.1', port },
      openRuntimeFunction: fn.name,
    };
  }
  if (language === 'lldb') {
    return {
      type: LLDB_DEBUG_TYPE,
      // The runner's proxy turns the attach into lldb's launch of the function's debug build, with its environment.
      request: 'attach',
      name: `Open Runtime: ${fn.name}`,
      connect: { host: '127.0.0.1', port },
      openRuntimeFunction: fn.name,
    };
  }
  return {
    type: PYTHON_DEBUG_TYPE,
    request: 'attach',
    name: `Open Runtime: ${fn.name}`,
    connect: { host: '127.0.0.1', port },
    pathMappings: [{ localRoot: fn.codeUri, remoteRoot: fn.codeUri }],
    justMyCode: true,
    // The runner's bootstrap.py lives outside site-packages, so justMyCode alone would count it as the user's.
    rules: runnerFiles(extensionRoot).map((path) => ({ path, include: false })),
    openRuntimeFunction: fn.name,
  };
}

const NODE_DEBUGGER_EXTENSION = 'ms-vscode.js-debug';

/**
 * Loads js-debug, which a Node function's Debug click attaches with, while the event picker and the function's start
 * go on: activated only when the attach came, js-debug's start-up was part of the wait for the breakpoint.
 */
export function prepareDebugger(runtime: string): void {
  if (!runtime.startsWith('nodejs')) return;
  const extension = vscode.extensions.getExtension(NODE_DEBUGGER_EXTENSION);
  if (extension && !extension.isActive) void Promise.resolve(extension.activate()).catch(() => undefined);
}

/**
 * Starts the debug session; resolves to false (after telling the user) when it could not start. `prepared`: the id of
 * an environment started ahead of its invocation, whose port comes later (awaitPreparedPort); `abandoned` says when
 * a session that did not start was not wanted any more (nothing to tell the user).
 */
export async function attachDebugger(
  fn: FunctionSpec,
  folder: vscode.WorkspaceFolder,
  language: DebuggerLanguage,
  port: number,
  extensionRoot: string,
  opts: { prepared?: string; abandoned?: () => boolean } = {},
): Promise<boolean> {
  const config = attachConfiguration(fn, folder, language, port, extensionRoot);
  if (opts.prepared !== undefined) config[PREPARED_KEY] = opts.prepared;
  const started = await vscode.debug.startDebugging(folder, config, { suppressDebugView: false });
  if (!started && opts.abandoned?.()) return false;
  if (!started) {
    void vscode.window.showErrorMessage(
      `Could not attach the ${{ node: 'Node.js', python: 'Python', go: 'Go', lldb: 'lldb' }[language]} debugger to ${fn.name} on 127.0.0.1:${port}. The function is waiting for a debugger: run "Open Runtime: Restart Runner" to end it.`,
    );
  }
  return started;
}

/**
 * A debug environment started when Debug is clicked, before the event is chosen: its runtime starts (debugpy's start
 * alone takes a second or two) and the debugger attaches while the user picks the event, so the breakpoint is what
 * remains after the Enter. The invocation claims it by `id` (runInvocation's `prepared`); leaving the picker discards
 * it. Where the runner cannot prepare one (a function that needs its tenant first), the invocation starts its own as
 * before.
 */
export class PreparedDebug {
  readonly id = randomUUID();
  private attached: Promise<boolean> | undefined;
  private readonly follow: { dispose(): void };
  private ended = false;
  /** Its session is being started: its configuration has still to take the port. */
  private starting = false;
  private readonly runner: RunnerSidecar;
  private readonly fn: FunctionSpec;
  /**
   * Settles once the runner answered the prepare: the invocation is sent after it, so that it finds the environment
   * (sent first, it would start one of its own, and the prepared one would get a session of its own too).
   */
  readonly requested: Promise<void>;

  constructor(runner: RunnerSidecar, fn: FunctionSpec, folder: vscode.WorkspaceFolder, extensionRoot: string, log: (line: string) => void, timer?: ClickTimer) {
    this.runner = runner;
    this.fn = fn;
    this.follow = runner.onEvent((e) => {
      if (e.type !== 'debug-ready' || e.prepared !== this.id || this.ended) return;
      log(`Debugger listening for ${fn.name} on 127.0.0.1:${e.port} (${e.language}); attaching while the event is chosen.`);
      timer?.mark('debuggee ready');
      preparedPorts.ready(this.id, e.port);
    });
    this.requested = runner.prepareDebug(fn.name, this.id).then(
      ({ language }) => {
        if (this.ended || !language) return;
        // The session starts now; its configuration waits for the port (awaitPreparedPort).
        preparedPorts.expect(this.id);
        this.starting = true;
        this.attached = attachDebugger(fn, folder, language, 0, extensionRoot, { prepared: this.id, abandoned: () => this.ended }).finally(() => {
          this.starting = false;
          preparedPorts.done(this.id);
          timer?.mark('debugger attached');
        });
      },
      (err: Error) => {
        // Not fatal: the invocation starts a debug environment of its own, as it did before this existed.
        log(`Could not start ${fn.name}'s debug environment ahead of the event (${err.message}); it starts with the invocation.`);
        this.follow.dispose();
      },
    );
  }

  /** The debugger's attach to this environment, once it began (undefined before its runtime is ready). */
  get attaching(): Promise<boolean> | undefined {
    return this.attached;
  }

  /**
   * The invocation ended, or never came (the user left the picker, or chose another function): stop following it, and
   * have the runner stop the environment if no invocation claimed it (one prepared after its invocation came, or left
   * unused; its debug session ends with it). A claimed one is no longer the runner's to discard: nothing happens to it.
   */
  discard(): void {
    if (this.ended) return;
    this.ended = true;
    this.follow.dispose();
    // A session still waiting for the port starts no more (one already attached ends with the environment).
    preparedPorts.discard(this.id, this.starting);
    void this.runner.prepareDebug(this.fn.name, this.id, true).catch(() => undefined);
  }
}

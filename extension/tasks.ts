// Build tasks: a TaskProvider of type `open-runtime` ({ function, arch }) that offers "build <function> (<arch>)"
// for every function of every workspace folder and both architectures. Each task runs the CLI verb
// `open-runtime build <function> --arch <arch>` (the same unit as the terminal), whose failures are
// `file:line:col: error: ...` lines the `$open-runtime` problem matcher places in the source or the template.
import * as vscode from 'vscode';
import type { FunctionSpec } from '../runner/functions/model.ts';
import type { Ctx } from './ctx.ts';

export const TASK_TYPE = 'open-runtime';
export const PROBLEM_MATCHERS = ['$open-runtime', '$open-runtime-rust'];
const ARCHITECTURES = ['x86_64', 'arm64'] as const;
type Arch = (typeof ARCHITECTURES)[number];

export interface BuildTaskDefinition extends vscode.TaskDefinition {
  readonly type: typeof TASK_TYPE;
  readonly function: string;
  /** Default: the function's own architecture. */
  readonly arch?: Arch;
}

export function registerBuildTasks(ctx: Ctx): void {
  ctx.push(vscode.tasks.registerTaskProvider(TASK_TYPE, new BuildTaskProvider(ctx)));
}

class BuildTaskProvider implements vscode.TaskProvider {
  private readonly ctx: Ctx;
  constructor(ctx: Ctx) {
    this.ctx = ctx;
  }

  async provideTasks(): Promise<vscode.Task[]> {
    const tasks: vscode.Task[] = [];
    for (const folder of vscode.workspace.workspaceFolders ?? []) {
      const { functions } = await this.ctx.functions.get(folder);
      for (const fn of functions) {
        if (fn.runtime === 'wasi') {
          // One component serves both architectures: one task, and it says so.
          tasks.push(buildTask(this.ctx, folder, { type: TASK_TYPE, function: fn.name }, fn));
          continue;
        }
        // The function's own architecture first.
        const arches = [fn.architecture, ...ARCHITECTURES.filter((a) => a !== fn.architecture)];
        for (const arch of arches) tasks.push(buildTask(this.ctx, folder, { type: TASK_TYPE, function: fn.name, arch }, fn));
      }
    }
    return tasks;
  }

  /** A task from tasks.json: the definition is all it takes (the CLI finds the function). */
  resolveTask(task: vscode.Task): vscode.Task | undefined {
    const definition = task.definition as BuildTaskDefinition;
    if (typeof definition.function !== 'string' || !definition.function) return undefined;
    if (definition.arch !== undefined && !ARCHITECTURES.includes(definition.arch)) return undefined;
    const folder = typeof task.scope === 'object' ? task.scope : vscode.workspace.workspaceFolders?.[0];
    if (!folder) return undefined;
    return buildTask(this.ctx, folder, definition, undefined, task.name);
  }
}

/** The task that runs `open-runtime build` for one function and architecture. */
export function buildTask(ctx: Ctx, folder: vscode.WorkspaceFolder, definition: BuildTaskDefinition, fn?: FunctionSpec, name?: string): vscode.Task {
  const { command, env } = runnerCommand(ctx);
  const args = [vscode.Uri.joinPath(ctx.extension.extensionUri, 'dist', 'runner.js').fsPath, 'build', definition.function, '--workspace', folder.uri.fsPath];
  if (definition.arch) args.push('--arch', definition.arch);
  const wasi = fn?.runtime === 'wasi';
  const label = name ?? `build ${definition.function}${wasi ? ' (architecture-independent)' : definition.arch ? ` (${definition.arch})` : ''}`;
  const task = new vscode.Task(
    definition,
    folder,
    label,
    TASK_TYPE,
    new vscode.ProcessExecution(command, args, { cwd: folder.uri.fsPath, env }),
    PROBLEM_MATCHERS,
  );
  task.group = vscode.TaskGroup.Build;
  task.detail = wasi
    ? 'WASI component: built once, architecture-independent (the same component serves arm64 and x86_64)'
    : `.open-runtime/build/${definition.function}/${definition.arch ?? fn?.architecture ?? '<arch>'}/function.zip${fn ? ` (${fn.runtime})` : ''}`;
  // Shown as it runs: a build takes seconds to minutes, and a hidden terminal looks like nothing happening.
  task.presentationOptions = { reveal: vscode.TaskRevealKind.Always, focus: false, clear: true, showReuseMessage: false };
  return task;
}

/** Node for the CLI: openRuntime.nodePath, or VS Code's own with ELECTRON_RUN_AS_NODE (as the sidecar runs). */
export function runnerCommand(ctx: Ctx): { command: string; env: Record<string, string> } {
  const nodePath = ctx.config.nodePath;
  return nodePath ? { command: nodePath, env: {} } : { command: process.execPath, env: { ELECTRON_RUN_AS_NODE: '1' } };
}

// Template parameters in the editor: a parameter without a Default that a function's Environment uses stops the
// function from loading (README "Precedence"). Instead of a re-typed value, the editor asks for it once
// ("Parameter Stage for sam-app/template.yaml"), saves it where the CLI reads it too (.open-runtime/parameters.json,
// runner/functions/saved-parameters.ts), and has the runner read the templates again. "Open Runtime: Set Template
// Parameters..." changes any saved value later.
import * as path from 'node:path';
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { Discovery } from '../runner/functions/discover.ts';
import type { Ctx } from './ctx.ts';

export interface SetParameterArgs {
  /** The template (absolute path or file: URI). */
  readonly template?: string;
  readonly name?: string;
  /** Given: saved without asking (tests, keybindings). */
  readonly value?: string;
}

/**
 * Offers to set each parameter a function is missing, once per template and parameter for as long as the
 * editor runs (`asked` belongs to the caller, which lives as long as the extension).
 */
export function offerMissingParameters(ctx: Ctx, folder: vscode.WorkspaceFolder, discovery: Discovery, asked: Set<string>): void {
  for (const error of discovery.errors) {
    for (const name of error.missingParameters ?? []) {
      const key = `${error.file}#${name}`;
      if (asked.has(key)) continue;
      asked.add(key);
      const where = vscode.workspace.asRelativePath(error.file);
      const action = `Set ${name}`;
      const message = `${where}: parameter ${name} has no Default and no value, so a function using it does not load. Set a local value (saved in .open-runtime/parameters.json, used by the CLI too).`;
      ctx.log(`${message} Or run "Open Runtime: Set Template Parameters...".`);
      void vscode.window.showWarningMessage(message, action).then((choice) => {
        if (choice === action) void promptParameter(ctx, folder, error.file, name);
      });
    }
  }
}

/** Asks for one parameter's value (its allowed values as a list when it has some), saves it and reloads. */
export async function promptParameter(ctx: Ctx, folder: vscode.WorkspaceFolder, template: string, name: string): Promise<string | undefined> {
  const { declaredParameters, readSavedParameters, savedParametersOf } = await import('../runner/functions/saved-parameters.ts');
  const declared = declaredParameters(await readFile(template, 'utf8'), template).find((p) => p.name === name);
  const current = savedParametersOf(readSavedParameters(folder.uri.fsPath).parameters, folder.uri.fsPath, template)[name] ?? declared?.default;
  const title = `Parameter ${name} for ${vscode.workspace.asRelativePath(template)}`;
  let value: string | undefined;
  if (declared?.allowedValues?.length) {
    const items = declared.allowedValues.map((v) => ({ label: v, description: v === current ? 'current' : undefined }));
    value = (await vscode.window.showQuickPick(items, { title, placeHolder: declared.description ?? `One of the values ${name} allows`, ignoreFocusOut: true }))
      ?.label;
  } else {
    value = await vscode.window.showInputBox({
      title,
      prompt: `${declared?.description ? `${declared.description} · ` : ''}Saved in .open-runtime/parameters.json; the CLI uses it too (--parameter-overrides and samconfig.toml still win).`,
      value: current ?? '',
      ignoreFocusOut: true,
    });
  }
  if (value === undefined) return undefined;
  return saveAndReload(ctx, folder, template, name, value);
}

async function saveAndReload(ctx: Ctx, folder: vscode.WorkspaceFolder, template: string, name: string, value: string): Promise<string | undefined> {
  const { saveParameter } = await import('../runner/functions/saved-parameters.ts');
  let file: string;
  try {
    file = await saveParameter(folder.uri.fsPath, template, name, value);
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not save parameter ${name}: ${(err as Error).message}`);
    return undefined;
  }
  ctx.log(`Parameter ${name} of ${vscode.workspace.asRelativePath(template)} set to "${value}" in ${vscode.workspace.asRelativePath(file)}.`);
  ctx.fireFunctionsChanged();
  const live = ctx.liveRunners.find((r) => r.folder === folder.uri.toString());
  if (live && live.runner.state.kind === 'ready')
    await live.runner.reloadFunctions().catch((err: Error) => ctx.log(`Could not reload the functions: ${err.message}`));
  return file;
}

/** "Open Runtime: Set Template Parameters...": every declared parameter of the workspace's templates, with its value now. */
export async function setTemplateParameters(ctx: Ctx, args: SetParameterArgs = {}): Promise<string | undefined> {
  const template = args.template && (args.template.includes('://') ? vscode.Uri.parse(args.template).fsPath : args.template);
  const folder = ctx.folderFor(template ?? vscode.window.activeTextEditor?.document.uri);
  if (!folder) {
    void vscode.window.showErrorMessage('Open Runtime needs a workspace folder: open the folder that holds your template.yaml.');
    return undefined;
  }
  if (template && args.name) {
    return args.value !== undefined
      ? saveAndReload(ctx, folder, path.resolve(template), args.name, args.value)
      : promptParameter(ctx, folder, path.resolve(template), args.name);
  }
  const { declaredParameters, readSavedParameters, savedParametersOf } = await import('../runner/functions/saved-parameters.ts');
  const { files } = await ctx.functions.get(folder);
  const saved = readSavedParameters(folder.uri.fsPath).parameters;
  type Item = vscode.QuickPickItem & { template: string; name: string };
  const items: Item[] = [];
  for (const file of [...new Set(files)].filter((f) => /template\.(ya?ml|json)$/.test(f) && (!template || path.resolve(f) === path.resolve(template)))) {
    const values = savedParametersOf(saved, folder.uri.fsPath, file);
    for (const p of declaredParameters(await readFile(file, 'utf8').catch(() => ''), file)) {
      const now = values[p.name] !== undefined ? `${values[p.name]} (saved)` : p.default !== undefined ? `${p.default} (Default)` : 'no value';
      items.push({
        label: p.name,
        description: vscode.workspace.asRelativePath(file),
        detail: `${now}${p.description ? ` · ${p.description}` : ''}`,
        template: file,
        name: p.name,
      });
    }
  }
  if (!items.length) {
    void vscode.window.showInformationMessage('No template in this workspace declares Parameters.');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(items, { title: 'Set which template parameter?', matchOnDescription: true, matchOnDetail: true });
  return picked && promptParameter(ctx, folder, picked.template, picked.name);
}

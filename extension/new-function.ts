// "Open Runtime: New Function...": language x event source x name -> handler files, a saved event, and
// the function added to template.yaml (created when missing). The templates are scaffold.ts (vscode-free).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { Ctx } from './ctx.ts';
import {
  logicalIdFor,
  planFunction,
  SCAFFOLD_LANGUAGES,
  SCAFFOLD_SOURCES,
  validateFunctionName,
  writeScaffold,
  type ScaffoldLanguage,
  type ScaffoldResult,
} from './scaffold.ts';

export interface NewFunctionArgs {
  readonly name?: string;
  readonly language?: ScaffoldLanguage;
  readonly source?: string;
  /** Workspace folder path; the first folder when not given. */
  readonly folder?: string;
}

export interface NewFunctionResult extends ScaffoldResult {
  readonly functionName: string;
  readonly savedEvent: string;
}

export async function newFunction(ctx: Ctx, rawArgs?: NewFunctionArgs): Promise<NewFunctionResult | undefined> {
  const args: NewFunctionArgs = rawArgs && typeof rawArgs === 'object' ? rawArgs : {};
  const folder = args.folder ? ctx.folderFor(args.folder) : await pickFolder();
  if (!folder) {
    if (!vscode.workspace.workspaceFolders?.length)
      void vscode.window.showErrorMessage('Open a folder first (File > Open Folder): the new function goes into its template.yaml.');
    return undefined;
  }

  const language =
    args.language ??
    (
      await vscode.window.showQuickPick(
        SCAFFOLD_LANGUAGES.map((l) => ({ label: l.label, description: l.runtime, detail: l.description, id: l.id })),
        { title: 'New Function (1/3): language', placeHolder: 'Which language?', ignoreFocusOut: true },
      )
    )?.id;
  if (!language) return undefined;

  const source =
    args.source ??
    (
      await vscode.window.showQuickPick(
        SCAFFOLD_SOURCES.map((s) => ({ label: s.label, description: s.eventTemplate, detail: `Triggered by ${s.description}`, id: s.id })),
        // The service's name (SQS, SNS, S3, EventBridge...) is in the detail: search it too.
        {
          title: 'New Function (2/3): event source',
          placeHolder: 'What triggers it? (type a service: SQS, SNS, S3, API Gateway...)',
          ignoreFocusOut: true,
          matchOnDescription: true,
          matchOnDetail: true,
        },
      )
    )?.id;
  if (!source) return undefined;

  const taken = new Set((await ctx.functions.get(folder)).functions.map((f) => f.name));
  const base = logicalIdFor(`${SCAFFOLD_SOURCES.find((s) => s.id === source)?.label ?? ''} function`);
  let suggested = base;
  for (let n = 2; taken.has(suggested); n++) suggested = `${base}${n}`;
  const name =
    args.name ??
    (
      await vscode.window.showInputBox({
        title: 'New Function (3/3): name',
        prompt: 'Logical id in template.yaml (letters and digits); the code goes to functions/<name>/',
        value: suggested,
        ignoreFocusOut: true,
        validateInput: (text) =>
          validateFunctionName(text) ?? (taken.has(text.trim()) ? `There is already a function named ${text.trim()}; choose another name.` : undefined),
      })
    )?.trim();
  if (!name) return undefined;

  try {
    const plan = planFunction({ name, language, source });
    const written = await writeScaffold(folder.uri.fsPath, plan);
    const { renderEventText } = await import('../runner/events/catalogue.ts');
    const { saveEvent, rememberLastUsed } = await import('../runner/events/saved.ts');
    const saved = await saveEvent(folder.uri.fsPath, plan.name, plan.eventName, renderEventText(plan.eventTemplate), { overwrite: true });
    await rememberLastUsed(folder.uri.fsPath, plan.name, { kind: 'saved', name: saved.name });
    ctx.fireFunctionsChanged();
    const live = ctx.liveRunners.find((r) => r.folder === folder.uri.toString());
    if (live?.runner.state.kind === 'ready') await live.runner.reloadFunctions().catch((err: Error) => ctx.log(err.message));

    const main = vscode.Uri.file(path.join(folder.uri.fsPath, plan.mainFile));
    await vscode.window.showTextDocument(main, { preview: false });
    const where = written.templateCreated ? `a new ${path.basename(written.templateFile)}` : path.basename(written.templateFile);
    ctx.log(
      `Created ${plan.name}: ${written.written.map((w) => vscode.workspace.asRelativePath(w)).join(', ')}; added to ${where} (line ${written.templateLine}); saved event ${saved.name}.`,
    );
    if (plan.buildNote) {
      void vscode.window.showInformationMessage(`${plan.name} was added to ${where}. ${plan.buildNote}`);
    } else {
      void vscode.window.showInformationMessage(
        `${plan.name} was added to ${where} with the saved event "${saved.name}". Use "Invoke with event" above the handler to run it.`,
      );
    }
    return { ...written, functionName: plan.name, savedEvent: saved.path };
  } catch (err) {
    void vscode.window.showErrorMessage(`Could not create ${name}: ${(err as Error).message}`);
    return undefined;
  }
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Add the function to which folder?' });
}

// The editable JSON preview: an event picked in the event picker (a template filled with the function's declared
// trigger, a project or saved event, the empty event) opens as a JSON file before it is sent, with "Send to
// <function>" above it (and in the editor title). The text is checked when sent: invalid JSON is a diagnostic at the
// exact spot plus a message, and the file is kept as typed. "Save as event..." keeps it as a named saved event.
// Drafts live in .open-runtime/drafts/<function>.json; saved events (.open-runtime/events/<function>/) get the same lenses.
import * as path from 'node:path';
import { mkdir, writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { FunctionSpec } from '../../runner/functions/model.ts';
import type { InvokeResult } from '../../runner/protocol.ts';
import type { Ctx } from '../ctx.ts';
import { draftPath, eventFileOf } from './event-files.ts';
import { showJsonProblem } from './event-diagnostics.ts';

export const SEND_COMMAND = 'openRuntime.sendEditedEvent';
export const SAVE_COMMAND = 'openRuntime.saveEditedEvent';
const ORIGINS_KEY = 'openRuntime.draftOrigins';

/** Where a draft came from, for the result view's label and the name proposed when saving it. */
interface DraftOrigin {
  readonly label: string;
  readonly suggestedName: string;
}

/** Writes the event as the function's draft and opens it; returns the draft's path. */
export async function openDraft(ctx: Ctx, folder: vscode.WorkspaceFolder, fn: FunctionSpec, payload: string, origin: DraftOrigin): Promise<string> {
  const { savedEventsDir } = await import('../../runner/events/saved.ts');
  savedEventsDir(folder.uri.fsPath, fn.name); // refuses a function name that is no safe file name
  const file = draftPath(folder.uri.fsPath, fn.name);
  await mkdir(path.dirname(file), { recursive: true });
  const uri = vscode.Uri.file(file);
  // An open draft of this function is replaced in its editor (no "file changed on disk" conflict).
  const open = vscode.workspace.textDocuments.find((d) => d.uri.fsPath === file);
  if (open) {
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(0, 0, open.lineCount, 0), await pretty(payload));
    await vscode.workspace.applyEdit(edit);
    await open.save();
  } else {
    await writeFile(file, await pretty(payload));
  }
  await ctx.extension.workspaceState.update(ORIGINS_KEY, { ...ctx.extension.workspaceState.get<Record<string, DraftOrigin>>(ORIGINS_KEY, {}), [file]: origin });
  ctx.eventDiagnostics.delete(uri);
  // In the main editor group (where the handler usually is), or where this draft is shown already: a new split per
  // draft would leave each too narrow for its "Send to" lens.
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === file);
  await vscode.window.showTextDocument(uri, { preview: false, viewColumn: shown?.viewColumn ?? vscode.ViewColumn.One });
  ctx.log(`Editing the event for ${fn.name} (${origin.label}) in ${vscode.workspace.asRelativePath(file)}: "Send to ${fn.name}" above it sends it.`);
  return file;
}

/** The text of an event file, checked; on invalid JSON the problem is shown where it is and the file kept. */
async function checkedText(ctx: Ctx, uri: vscode.Uri): Promise<string | undefined> {
  const doc = await vscode.workspace.openTextDocument(uri);
  if (doc.isDirty) await doc.save();
  const { checkJson } = await import('../../runner/events/json-check.ts');
  const text = doc.getText();
  const checked = checkJson(text);
  if (!checked.ok) {
    showJsonProblem(ctx, uri, checked);
    void vscode.window.showErrorMessage(
      `The event in ${vscode.workspace.asRelativePath(uri)} is not valid JSON (line ${checked.line}, column ${checked.column}): ${checked.message} Fix it and send again; the file is kept as it is.`,
    );
    return undefined;
  }
  ctx.eventDiagnostics.delete(uri);
  return text;
}

function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string') return arg.includes('://') ? vscode.Uri.parse(arg) : vscode.Uri.file(arg);
  return vscode.window.activeTextEditor?.document.uri;
}

/** "Send to <function>": sends the draft or saved event in the editor to its function. Returns the InvokeResult. */
export async function sendEditedEvent(ctx: Ctx, arg?: unknown, options: { debug?: boolean } = {}): Promise<InvokeResult | undefined> {
  const uri = targetUri(arg);
  const target = uri && eventFileOf(uri.fsPath);
  if (!uri || !target) {
    void vscode.window.showErrorMessage(
      'Open an event to send first: pick one with "Invoke with event" and choose "Edit before sending", or open a saved event in .open-runtime/events/<function>/.',
    );
    return undefined;
  }
  const text = await checkedText(ctx, uri);
  if (text === undefined) return undefined;
  const { functionFor, runInvocation } = await import('../invoke.ts');
  const found = await functionFor(ctx, { functionName: target.functionName });
  if (!found) return undefined;
  const { withHint } = await import('./pick-event.ts');
  const origin = ctx.extension.workspaceState.get<Record<string, DraftOrigin>>(ORIGINS_KEY, {})[uri.fsPath];
  const event =
    target.kind === 'saved'
      ? { payload: text, label: `saved: ${target.name}`, savedPath: uri.fsPath, remember: { kind: 'saved' as const, name: target.name } }
      : { payload: text, label: `edited: ${origin?.label ?? 'event'}` };
  return runInvocation(ctx, found.runner, found.folder, found.fn, withHint(found.fn, event)!, { debug: options.debug ?? false });
}

/** "Save as event...": keeps the draft as a named saved event of its function, and opens that file. Returns its path. */
export async function saveEditedEvent(ctx: Ctx, arg?: unknown, args: { name?: string } = {}): Promise<string | undefined> {
  const uri = targetUri(arg);
  const target = uri && eventFileOf(uri.fsPath);
  if (!uri || !target) return undefined;
  const text = await checkedText(ctx, uri);
  if (text === undefined) return undefined;
  const origin = ctx.extension.workspaceState.get<Record<string, DraftOrigin>>(ORIGINS_KEY, {})[uri.fsPath];
  const { askEventName } = await import('./pick-event.ts');
  const name = args.name ?? (await askEventName(target.workspaceDir, { name: target.functionName }, origin?.suggestedName ?? 'event'));
  if (!name) return undefined;
  try {
    const { saveEvent, rememberLastUsed } = await import('../../runner/events/saved.ts');
    const saved = await saveEvent(target.workspaceDir, target.functionName, name, await pretty(text), { overwrite: true });
    await rememberLastUsed(target.workspaceDir, target.functionName, { kind: 'saved', name: saved.name });
    // The saved file takes the draft's place in the editor; it has the same "Send to" lens.
    const column = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath === uri.fsPath)?.viewColumn ?? vscode.ViewColumn.One;
    if (vscode.window.activeTextEditor?.document.uri.fsPath === uri.fsPath) await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    await vscode.window.showTextDocument(vscode.Uri.file(saved.path), { preview: false, viewColumn: column });
    return saved.path;
  } catch (err) {
    void vscode.window.showErrorMessage((err as Error).message);
    return undefined;
  }
}

/** "Send to <function>" (and "Save as event..." on a draft) above the first line of an event file. */
export class EventFileLensProvider implements vscode.CodeLensProvider {
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const target = eventFileOf(doc.uri.fsPath);
    if (!target) return [];
    const range = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(range, {
        title: `$(play) Send to ${target.functionName}`,
        command: SEND_COMMAND,
        arguments: [doc.uri],
        tooltip: `Invoke ${target.functionName} locally with this JSON as its event`,
      }),
      new vscode.CodeLens(range, {
        title: '$(debug-alt-small) Debug',
        command: SEND_COMMAND,
        arguments: [doc.uri, { debug: true }],
        tooltip: `Invoke ${target.functionName} with this event and the debugger attached`,
      }),
    ];
    if (target.kind === 'draft') {
      lenses.push(
        new vscode.CodeLens(range, {
          title: '$(save) Save as event...',
          command: SAVE_COMMAND,
          arguments: [doc.uri],
          tooltip: `Keep this event as a named saved event of ${target.functionName}`,
        }),
      );
    }
    return lenses;
  }
}

export const EVENT_FILE_SELECTOR: vscode.DocumentSelector = [
  { scheme: 'file', pattern: '**/.open-runtime/drafts/*.json' },
  { scheme: 'file', pattern: '**/.open-runtime/events/*/*.json' },
];

async function pretty(text: string): Promise<string> {
  const { prettyJsonText } = await import('./pick-event.ts');
  return prettyJsonText(text);
}

// The event payload picker: the function's saved events first (the last used one on top, marked), then its
// project's own events/*.json, then templates of the triggers the function declares (prefilled with its declared
// route), then every other "new from template" item grouped by the service that sends it (searchable by that
// service's name). A template, filled with the function's declared trigger, opens as editable JSON (edit-event.ts)
// with "Send to <function>" above it; every other item sends at once, or opens for editing with its "Edit before
// sending" button. An event whose source is not a declared trigger carries a one-line hint. Malformed saved JSON gets a
// diagnostic at the exact spot and a message, never a crash.
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findEventTemplate, listEventTemplates, renderEventText, type EventTemplate } from '../../runner/events/catalogue.ts';
import { declaredFieldValues, projectEvents, triggerMismatch, triggerName, triggerTemplates, type ProjectEvent } from '../../runner/events/for-function.ts';
import {
  checkEventName,
  checkJson,
  lastUsed,
  listSavedEvents,
  readSavedEvent,
  rememberLastUsed,
  saveEvent,
  type LastUsedChoice,
  type SavedEvent,
} from '../../runner/events/saved.ts';
import type { FunctionSpec } from '../../runner/functions/model.ts';
import type { Ctx } from '../ctx.ts';
import { showJsonProblem } from './event-diagnostics.ts';
import type { InvokeArgs } from '../invoke-args.ts';
import type { ClickTimer } from '../click-timer.ts';

export interface ChosenEvent {
  /** The event as JSON text. */
  readonly payload: string;
  /** How the result view and history name it: `saved: big-order`, `template: SQS message batch`... */
  readonly label: string;
  readonly savedPath?: string;
  /** Remembered after a successful invocation, so the picker offers it first next time. */
  readonly remember?: LastUsedChoice;
  /** One line when the event's source is not a trigger the function declares (an SQS batch for an HTTP handler). */
  readonly hint?: string;
}

/** The event with its hint, when its source doesn't match the function's declared triggers. */
export function withHint(fn: FunctionSpec, event: ChosenEvent | undefined): ChosenEvent | undefined {
  if (!event) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(event.payload);
  } catch {
    return event;
  }
  const hint = triggerMismatch(fn, parsed);
  return hint ? { ...event, hint } : event;
}

/**
 * Other functions that run the same handler (a shared handler's lens row): the picker of the function used last opens
 * at once, and offers these as "Run <handler> as <other>" items, so one picker (not a chooser, then a picker) stands
 * between the click and the result. Picking one answers `{ switchTo }`.
 */
export interface SharedHandler {
  readonly where: string;
  readonly others: readonly FunctionSpec[];
}

/** The user chose to run the handler as another of the functions sharing it. */
export interface SwitchFunction {
  readonly switchTo: FunctionSpec;
}

export function isSwitch(choice: ChosenEvent | SwitchFunction | undefined): choice is SwitchFunction {
  return !!choice && 'switchTo' in choice;
}

/** The event for an invocation: from the arguments when given (tests, re-run), else from the picker. */
export async function chooseEvent(
  ctx: Ctx,
  folder: vscode.WorkspaceFolder,
  fn: FunctionSpec,
  args: InvokeArgs,
  shared?: SharedHandler,
  timer?: ClickTimer,
): Promise<ChosenEvent | SwitchFunction | undefined> {
  const chosen = await chooseEventOf(ctx, folder, fn, args, shared, timer);
  return isSwitch(chosen) ? chosen : withHint(fn, chosen);
}

async function chooseEventOf(
  ctx: Ctx,
  folder: vscode.WorkspaceFolder,
  fn: FunctionSpec,
  args: InvokeArgs,
  shared?: SharedHandler,
  timer?: ClickTimer,
): Promise<ChosenEvent | SwitchFunction | undefined> {
  const ws = folder.uri.fsPath;
  if (args.payload !== undefined) {
    const text = typeof args.payload === 'string' ? args.payload : JSON.stringify(args.payload);
    const checked = checkJson(text);
    if (!checked.ok) throw new Error(`The event passed to the command is not JSON: line ${checked.line}, column ${checked.column}: ${checked.message}`);
    return { payload: text, label: 'inline JSON' };
  }
  if (args.eventName) {
    const saved = (await listSavedEvents(ws, fn.name)).find((e) => e.name === checkEventName(args.eventName!));
    if (!saved) throw new Error(`${fn.name} has no saved event "${args.eventName}" (looked in ${path.join('.open-runtime', 'events', fn.name)}).`);
    return useSavedEvent(ctx, saved);
  }
  if (args.eventTemplate) {
    const template = findEventTemplate(args.eventTemplate);
    // The function's declared route (method, path) under the given values, as the picker prefills it.
    const text = renderEventText(args.eventTemplate, { ...(template ? declaredFieldValues(fn, template) : {}), ...args.fieldValues });
    if (args.saveAs) {
      const saved = await saveEvent(ws, fn.name, args.saveAs, text, { overwrite: true });
      return { payload: text, label: `saved: ${saved.name}`, savedPath: saved.path, remember: { kind: 'saved', name: saved.name } };
    }
    return {
      payload: text,
      label: `template: ${template?.label ?? args.eventTemplate}`,
      remember: { kind: 'template', id: args.eventTemplate, ...(args.fieldValues ? { values: { ...args.fieldValues } } : {}) },
    };
  }
  return pickEventOf(ctx, folder, fn, shared, timer);
}

type PickItem = vscode.QuickPickItem &
  (
    | { action: 'saved'; saved: SavedEvent }
    | { action: 'last-template'; choice: Extract<LastUsedChoice, { kind: 'template' }> }
    | { action: 'template'; template: EventTemplate; values?: Record<string, string> }
    | { action: 'project'; event: ProjectEvent }
    | { action: 'empty' }
    | { action: 'last-result' }
    | { action: 'switch'; fn: FunctionSpec }
    | { action: 'none' }
  );

/** On every event item: open its JSON in an editor first, with "Send to <function>" above it. */
const EDIT_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('edit'), tooltip: 'Edit before sending' };

/**
 * How long an event picker whose choice is sent as it is stays up (busy) after the choice, at most. Closing a picker
 * makes the workbench give the editor its focus back and redraw it, 100-250 ms of its main thread on a small machine:
 * done while the invocation's result was on its way, that work came first and held the result back. Closed once the
 * result is drawn (closeChosenPicker) or after this long, whichever comes first.
 */
const PICKER_LINGERS_MS = 200;

/** The picker of the choice being sent, until closeChosenPicker. */
let chosenPicker: vscode.QuickPick<PickItem> | undefined;

/** Closes the picker of the event just chosen (the invocation's result is on screen, or something else needs the focus). */
export function closeChosenPicker(): void {
  const picker = chosenPicker;
  chosenPicker = undefined;
  picker?.hide();
}

/** Choices sent as they are, with no other prompt after the picker (those close it at once). */
function sentAsChosen(item: PickItem | undefined): boolean {
  return item?.action === 'saved' || item?.action === 'last-template' || item?.action === 'empty' || item?.action === 'project';
}

/** The picker itself (openRuntime.pickEvent uses it too). */
export async function pickEvent(ctx: Ctx, folder: vscode.WorkspaceFolder, fn: FunctionSpec): Promise<ChosenEvent | undefined> {
  const chosen = await pickEventOf(ctx, folder, fn);
  return isSwitch(chosen) ? undefined : withHint(fn, chosen);
}

async function pickEventOf(
  ctx: Ctx,
  folder: vscode.WorkspaceFolder,
  fn: FunctionSpec,
  shared?: SharedHandler,
  timer?: ClickTimer,
): Promise<ChosenEvent | SwitchFunction | undefined> {
  const ws = folder.uri.fsPath;
  const [saved, last, ofProject] = await Promise.all([listSavedEvents(ws, fn.name), lastUsed(ws, fn.name), projectEvents(fn)]);
  const shownName = fn.path ?? fn.name;
  const items: PickItem[] = [];

  // Saved events of this function, the last used one first.
  const ordered = [...saved].sort((a, b) => Number(isLast(b, last)) - Number(isLast(a, last)));
  if (last?.kind === 'template') {
    const template = findEventTemplate(last.id);
    if (template) {
      items.push({ label: `Last used for ${shownName}`, kind: vscode.QuickPickItemKind.Separator, action: 'none' });
      items.push({
        label: `$(history) ${template.label}`,
        description: 'last used',
        detail: describeValues(last.values),
        buttons: [EDIT_BUTTON],
        action: 'last-template',
        choice: last,
      });
    }
  }
  if (ordered.length) items.push({ label: `Saved events of ${shownName}`, kind: vscode.QuickPickItemKind.Separator, action: 'none' });
  for (const s of ordered) {
    const lastOne = isLast(s, last);
    items.push({
      label: `${lastOne ? '$(star-full)' : '$(file-code)'} ${s.name}`,
      description: lastOne ? 'last used' : '',
      detail: vscode.workspace.asRelativePath(s.path),
      buttons: [EDIT_BUTTON],
      action: 'saved',
      saved: s,
    });
  }
  // The project's own sample events (sam init's events/event.json), next to its template.
  if (ofProject.length) {
    const where = vscode.workspace.asRelativePath(path.dirname(ofProject[0]!.path));
    items.push({ label: `Events of the project · ${where}`, kind: vscode.QuickPickItemKind.Separator, action: 'none' });
    for (const e of ofProject) {
      const source = e.trigger && triggerName(e.trigger);
      const description =
        e.fits === false ? `project event · ${source} event, not a trigger of this function` : source ? `project event · ${source}` : 'project event';
      items.push({
        label: `$(file) ${e.name}`,
        description,
        detail: vscode.workspace.asRelativePath(e.path),
        buttons: [EDIT_BUTTON],
        action: 'project',
        event: e,
      });
    }
  }
  // Templates of what the template says triggers the function, with its declared route filled in.
  const triggered = triggerTemplates(fn);
  if (triggered.length) {
    items.push({ label: `Triggers of ${shownName} · ${(fn.triggers ?? []).join(', ')}`, kind: vscode.QuickPickItemKind.Separator, action: 'none' });
    for (const t of triggered) {
      const values = declaredFieldValues(fn, t);
      const declared = Object.keys(values).length ? ` · ${[values.method, values.route ?? values.resource].filter(Boolean).join(' ')}` : '';
      items.push({
        label: `$(add) ${t.label}`,
        description: t.id,
        detail: `${t.source}${declared}: ${t.description} · opens for editing`,
        action: 'template',
        template: t,
        values,
      });
    }
  }
  // The other functions running this handler: searchable by name, one pick away (the picker then opens for that one).
  if (shared?.others.length) {
    items.push({ label: `Run ${shared.where} as another function`, kind: vscode.QuickPickItemKind.Separator, action: 'none' });
    for (const other of shared.others) {
      items.push({
        label: `$(arrow-swap) Run as ${other.path ?? other.name}`,
        description: other.runtime,
        detail: 'Its own template settings (timeout, environment, middlewares) and events',
        action: 'switch',
        fn: other,
      });
    }
  }
  // Only this function's own last response: another function's is rarely this one's input.
  const lastResult = ctx.history.lastResultOf(fn.name);
  items.push({ label: 'Other', kind: vscode.QuickPickItemKind.Separator, action: 'none' });
  items.push({ label: '$(json) Empty event', description: '{}', buttons: [EDIT_BUTTON], action: 'empty' });
  if (lastResult?.result && lastResult.result.payload.trim()) {
    items.push({
      label: '$(reply) Last result as event',
      description: `response of ${lastResult.functionName}`,
      detail: 'Saves it as a saved event of this function, then uses it',
      action: 'last-result',
    });
  }

  // New from template, grouped by the service that sends the event; the service is in each item's detail too,
  // since a search never matches a group's heading.
  let source = '';
  const shown = new Set(triggered.map((t) => t.id));
  for (const t of listEventTemplates()) {
    if (shown.has(t.id)) continue;
    if (t.source !== source) {
      source = t.source;
      items.push({ label: `${source} · new from template`, kind: vscode.QuickPickItemKind.Separator, action: 'none' });
    }
    items.push({ label: `$(add) ${t.label}`, description: t.id, detail: `${t.source}: ${t.description} · opens for editing`, action: 'template', template: t });
  }

  const picked = await new Promise<{ item: PickItem; edit: boolean } | undefined>((resolve) => {
    const qp = vscode.window.createQuickPick<PickItem>();
    qp.title = shared?.others.length
      ? `Event for ${shownName} · ${shared.where} also runs as ${shared.others.map((o) => o.path ?? o.name).join(', ')}`
      : `Event for ${shownName}`;
    qp.placeholder = `Pick a saved event or a template (${listEventTemplates().length} event types)`;
    qp.matchOnDescription = true;
    qp.matchOnDetail = true;
    qp.items = items;
    const firstReal = items.find((i) => i.kind !== vscode.QuickPickItemKind.Separator && i.action !== 'switch');
    if (firstReal) qp.activeItems = [firstReal];
    let done = false;
    qp.onDidAccept(() => {
      if (done) return; // a second Enter while the choice is being sent
      timer?.mark('chosen');
      done = true;
      const item = qp.selectedItems[0];
      resolve(item && { item, edit: false });
      if (!sentAsChosen(item)) return qp.hide();
      closeChosenPicker();
      chosenPicker = qp;
      qp.busy = true;
      qp.enabled = false;
      setTimeout(() => {
        if (chosenPicker === qp) closeChosenPicker();
      }, PICKER_LINGERS_MS);
    });
    qp.onDidTriggerItemButton((e) => {
      done = true;
      resolve({ item: e.item, edit: true });
      qp.hide();
    });
    qp.onDidHide(() => {
      if (!done) resolve(undefined);
      // Hidden already (another quick input took its place): a later closeChosenPicker must not hide that one.
      if (chosenPicker === qp) chosenPicker = undefined;
      qp.dispose();
    });
    qp.show();
    timer?.mark('picker shown');
  });
  if (!picked) return undefined;
  const { item, edit } = picked;
  if (item.action === 'switch') return { switchTo: item.fn };
  // A saved event is edited in place: its file has the same "Send to" lens as a draft.
  if (edit && item.action === 'saved') {
    await vscode.window.showTextDocument(vscode.Uri.file(item.saved.path), { preview: false });
    return undefined;
  }

  const { openDraft } = await import('./edit-event.ts');
  switch (item.action) {
    case 'saved':
      return useSavedEvent(ctx, item.saved);
    case 'last-template': {
      const template = findEventTemplate(item.choice.id)!;
      const event = { payload: renderEventText(template.id, item.choice.values ?? {}), label: `template: ${template.label}`, remember: item.choice };
      if (edit) await openDraft(ctx, folder, fn, event.payload, { label: event.label, suggestedName: template.id });
      return edit ? undefined : event;
    }
    case 'empty': {
      if (edit) await openDraft(ctx, folder, fn, '{}', { label: 'empty event', suggestedName: 'event' });
      return edit ? undefined : { payload: '{}', label: 'empty event' };
    }
    case 'last-result': {
      const name = await askEventName(ws, fn, `${lastResult!.functionName}-result`);
      if (name === undefined) return undefined;
      const text = prettyJsonText(lastResult!.result!.payload);
      const s = await saveEvent(ws, fn.name, name, text, { overwrite: true });
      return { payload: text, label: `saved: ${s.name}`, savedPath: s.path, remember: { kind: 'saved', name: s.name } };
    }
    case 'template': {
      // No field-by-field prompts: the template filled with the declared trigger's values opens for editing.
      const text = renderEventText(item.template.id, { ...item.values });
      await openDraft(ctx, folder, fn, text, { label: `template: ${item.template.label}`, suggestedName: item.template.id });
      return undefined;
    }
    case 'project': {
      const used = await useProjectEvent(ctx, fn, item.event);
      if (edit && used) await openDraft(ctx, folder, fn, used.payload, { label: used.label, suggestedName: item.event.name });
      return edit ? undefined : used;
    }
    case 'none':
      return undefined;
  }
}

export async function askEventName(ws: string, fn: FunctionSpec | { name: string }, suggested: string, title?: string): Promise<string | undefined> {
  const existing = new Set((await listSavedEvents(ws, fn.name)).map((e) => e.name));
  const name = await vscode.window.showInputBox({
    title: title ?? `Save event for ${fn.name}`,
    prompt: `Name of the saved event (.open-runtime/events/${fn.name}/<name>.json)`,
    value: suggested,
    ignoreFocusOut: true,
    validateInput: (text) => {
      try {
        const clean = checkEventName(text.trim());
        if (existing.has(clean))
          return { message: `${fn.name} already has an event "${clean}"; it will be replaced.`, severity: vscode.InputBoxValidationSeverity.Warning };
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  });
  return name === undefined ? undefined : name.trim();
}

/** A project's events/*.json, used as it is (checked like a saved event). */
async function useProjectEvent(ctx: Ctx, fn: FunctionSpec, event: ProjectEvent): Promise<ChosenEvent | undefined> {
  const used = await useSavedEvent(ctx, { name: event.name, path: event.path, function: fn.name });
  return used && { payload: used.payload, label: `project: ${vscode.workspace.asRelativePath(event.path)}` };
}

/** Reads a saved event; malformed JSON becomes a diagnostic at the exact spot plus a message. */
async function useSavedEvent(ctx: Ctx, saved: SavedEvent): Promise<ChosenEvent | undefined> {
  const checked = await readSavedEvent(saved.path);
  const uri = vscode.Uri.file(saved.path);
  if (!checked.ok) {
    closeChosenPicker();
    showJsonProblem(ctx, uri, checked);
    const choice = await vscode.window.showErrorMessage(
      `The saved event "${saved.name}" is not valid JSON (line ${checked.line}, column ${checked.column}): ${checked.message} Fix it and invoke again.`,
      'Open Event',
    );
    if (choice) {
      const at = new vscode.Position(checked.line - 1, checked.column - 1);
      await vscode.window.showTextDocument(uri, { selection: new vscode.Range(at, at) });
    }
    return undefined;
  }
  ctx.eventDiagnostics.delete(uri);
  return { payload: checked.text, label: `saved: ${saved.name}`, savedPath: saved.path, remember: { kind: 'saved', name: saved.name } };
}

/** After a successful invocation: offer this event first next time. */
export async function rememberEvent(folder: vscode.WorkspaceFolder, fn: FunctionSpec, event: ChosenEvent): Promise<void> {
  if (event.remember) await rememberLastUsed(folder.uri.fsPath, fn.name, event.remember);
}

function isLast(s: SavedEvent, last: LastUsedChoice | undefined): boolean {
  return last?.kind === 'saved' && last.name === s.name;
}

function describeValues(values: Readonly<Record<string, string>> | undefined): string {
  if (!values || Object.keys(values).length === 0) return 'with the template defaults';
  return Object.entries(values)
    .map(([k, v]) => `${k}=${v.length > 30 ? `${v.slice(0, 30)}…` : v}`)
    .join(', ');
}

export function prettyJsonText(text: string): string {
  try {
    return `${JSON.stringify(JSON.parse(text), null, 2)}\n`;
  } catch {
    return text;
  }
}

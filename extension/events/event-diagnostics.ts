// Saved events are files people edit by hand: malformed JSON in `.open-runtime/events/**.json` shows as a
// diagnostic at the exact line and column (as you type, and when the picker reads the file), and clears
// once fixed. The check is runner/events/json-check.ts, the same one the runner and CLI use.
import * as vscode from 'vscode';
import type { JsonCheck } from '../../runner/events/json-check.ts';
import type { Ctx } from '../ctx.ts';
import { eventFileOf } from './event-files.ts';

const SAVED_EVENT_PATH = /[\\/]\.open-runtime[\\/]events[\\/][^\\/]+[\\/][^\\/]+\.json$/;

export function isSavedEventFile(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && SAVED_EVENT_PATH.test(uri.fsPath);
}

export function showJsonProblem(ctx: Ctx, uri: vscode.Uri, problem: Extract<JsonCheck, { ok: false }>): void {
  const at = new vscode.Position(Math.max(0, problem.line - 1), Math.max(0, problem.column - 1));
  const d = new vscode.Diagnostic(new vscode.Range(at, at.translate(0, 1)), problem.message, vscode.DiagnosticSeverity.Error);
  d.source = 'Open Runtime';
  d.code = 'saved-event-json';
  ctx.eventDiagnostics.set(uri, [d]);
}

/** Checks saved-event documents when opened, edited and saved. */
export function watchSavedEvents(ctx: Ctx): void {
  const check = async (doc: vscode.TextDocument) => {
    // Drafts being edited before sending (edit-event.ts) are checked as typed too.
    if (!isSavedEventFile(doc.uri) && !(doc.uri.scheme === 'file' && eventFileOf(doc.uri.fsPath))) return;
    const { checkJson } = await import('../../runner/events/json-check.ts');
    const result = checkJson(doc.getText());
    if (result.ok) ctx.eventDiagnostics.delete(doc.uri);
    else showJsonProblem(ctx, doc.uri, result);
  };
  ctx.push(
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => check(e.document)),
  );
  for (const doc of vscode.workspace.textDocuments) void check(doc);
}

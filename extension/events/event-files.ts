// Which function an event file in the editor is for, read from where it lives: a draft being edited before it is
// sent (`.open-runtime/drafts/<function>.json`) or a saved event (`.open-runtime/events/<function>/<name>.json`).
// The "Send to <function>" lens and editor action use it; vscode-free so it is tested on its own.
import * as path from 'node:path';

export const DRAFTS_DIR = path.join('.open-runtime', 'drafts');

export type EventFile =
  | { kind: 'draft'; functionName: string; workspaceDir: string }
  | { kind: 'saved'; functionName: string; name: string; workspaceDir: string };

const DRAFT = /^(.*)[\\/]\.open-runtime[\\/]drafts[\\/]([^\\/]+)\.json$/;
const SAVED = /^(.*)[\\/]\.open-runtime[\\/]events[\\/]([^\\/]+)[\\/]([^\\/.][^\\/]*)\.json$/;

export function eventFileOf(file: string): EventFile | undefined {
  const draft = DRAFT.exec(file);
  if (draft) return { kind: 'draft', functionName: draft[2]!, workspaceDir: draft[1]! };
  const saved = SAVED.exec(file);
  // `<name>.expected.json` beside a saved event is its expected response (runner/events/expectations.ts), not an event.
  if (saved && !/\.expected$/i.test(saved[3]!)) return { kind: 'saved', functionName: saved[2]!, name: saved[3]!, workspaceDir: saved[1]! };
  return undefined;
}

/** The draft of a function's next event (one per function: editing another event replaces it). */
export function draftPath(workspaceDir: string, functionName: string): string {
  return path.join(path.resolve(workspaceDir), DRAFTS_DIR, `${functionName}.json`);
}

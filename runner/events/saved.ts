// Events saved per function in the workspace, so a payload that reproduced a bug can be replayed and shared
// through git: `.open-runtime/events/<function>/<name>.json`, plus `.last-used` beside them so the picker
// and `invoke` without --event can offer the previous choice first.
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { FunctionSpec } from '../functions/model.ts';
import { findEventTemplate } from './catalogue.ts';
import { checkJson, type JsonCheck } from './json-check.ts';

export { checkJson, type JsonCheck } from './json-check.ts';

export const SAVED_EVENTS_DIR = path.join('.open-runtime', 'events');
const LAST_USED_FILE = '.last-used';

export interface SavedEvent {
  /** The name the user gave, without `.json`. */
  name: string;
  function: string;
  /** Absolute path of the JSON file. */
  path: string;
}

/** What was used last for a function: a saved event, or a catalogue template with the values filled in. */
export const LastUsedChoice = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('saved'), name: z.string() }),
  z.object({ kind: z.literal('template'), id: z.string(), values: z.record(z.string(), z.string()).optional() }),
]);
export type LastUsedChoice = z.infer<typeof LastUsedChoice>;

/** `<workspace>/.open-runtime/events/<function>`, after checking the function name is a safe directory name. */
export function savedEventsDir(workspaceDir: string, functionName: string): string {
  checkFunctionName(functionName);
  return path.join(path.resolve(workspaceDir), SAVED_EVENTS_DIR, functionName);
}

/** The saved events of a function, by name; none (not an error) when nothing was saved yet. */
export async function listSavedEvents(workspaceDir: string, functionName: string): Promise<SavedEvent[]> {
  const dir = savedEventsDir(workspaceDir, functionName);
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new Error(`Could not list the saved events in ${dir}: ${(error as Error).message}.`);
  }
  return (
    entries
      // `<name>.expected.json` is the expectation of `<name>.json` (expectations.ts), not an event.
      .filter((entry) => entry.isFile() && entry.name.endsWith('.json') && !entry.name.startsWith('.') && !entry.name.toLowerCase().endsWith('.expected.json'))
      .map((entry) => ({ name: entry.name.slice(0, -'.json'.length), function: functionName, path: path.join(dir, entry.name) }))
      .sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true, sensitivity: 'base' }))
  );
}

/**
 * Reads a saved event. Malformed JSON is an answer, not an exception: `{ ok: false, message, line,
 * column, offset }` so the editor can put a squiggle on the exact spot. A missing or unreadable file throws.
 */
export async function readSavedEvent(file: string): Promise<JsonCheck> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(`The saved event ${file} does not exist (it may have been renamed or deleted); pick another event.`);
    }
    throw new Error(`Could not read the saved event ${file}: ${(error as Error).message}.`);
  }
  return checkJson(text);
}

export interface SaveOptions {
  /** Replace an existing event of the same name; without it, saving over one is refused. */
  overwrite?: boolean;
}

/** Saves `text` (kept byte for byte) as `<name>.json` for the function; the JSON must be well formed. */
export async function saveEvent(workspaceDir: string, functionName: string, name: string, text: string, options: SaveOptions = {}): Promise<SavedEvent> {
  const eventName = checkEventName(name);
  const dir = savedEventsDir(workspaceDir, functionName);
  const checked = checkJson(text);
  if (!checked.ok) {
    throw new Error(`Event "${eventName}" was not saved: line ${checked.line}, column ${checked.column}: ${checked.message}`);
  }
  const file = path.join(dir, `${eventName}.json`);
  try {
    await mkdir(dir, { recursive: true });
    if (options.overwrite) await writeAtomically(file, text);
    else await writeFile(file, text, { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new Error(`A saved event called "${eventName}" already exists for ${functionName}; choose another name or save with overwrite.`);
    }
    throw new Error(`Could not save event "${eventName}" to ${file}: ${(error as Error).message}.`);
  }
  return { name: eventName, function: functionName, path: file };
}

/** Remembers the choice so the next invoke of this function can offer it first. */
export async function rememberLastUsed(workspaceDir: string, functionName: string, choice: LastUsedChoice): Promise<void> {
  const checked = LastUsedChoice.parse(choice);
  if (checked.kind === 'saved') checkEventName(checked.name);
  const dir = savedEventsDir(workspaceDir, functionName);
  const file = path.join(dir, LAST_USED_FILE);
  const text = `${JSON.stringify(checked)}\n`;
  // Invoking with the same event again (the usual case) leaves the file alone: no write, no file watchers woken.
  if (
    await readFile(file, 'utf8').then(
      (old) => old === text,
      () => false,
    )
  )
    return;
  try {
    await mkdir(dir, { recursive: true });
    await writeAtomically(file, text);
  } catch (error) {
    throw new Error(`Could not remember the last event used for ${functionName} in ${dir}: ${(error as Error).message}.`);
  }
}

/**
 * The last choice for the function, or undefined when there is none or it no longer applies (the saved
 * event was deleted, the template left the catalogue, the file was edited into something unreadable).
 */
export async function lastUsed(workspaceDir: string, functionName: string): Promise<LastUsedChoice | undefined> {
  const dir = savedEventsDir(workspaceDir, functionName);
  let choice: LastUsedChoice;
  try {
    const parsed = LastUsedChoice.safeParse(JSON.parse(await readFile(path.join(dir, LAST_USED_FILE), 'utf8')));
    if (!parsed.success) return undefined;
    choice = parsed.data;
  } catch {
    return undefined; // missing or not JSON: nothing to offer
  }
  if (choice.kind === 'template') return findEventTemplate(choice.id) ? choice : undefined;
  const saved = await listSavedEvents(workspaceDir, functionName);
  return saved.some((event) => event.name === choice.name) ? choice : undefined;
}

// Names become file names in a folder people commit; keep them portable (Windows, macOS) and inside the folder.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

/** The event name as stored (without `.json`), or an Error saying what to change. */
export function checkEventName(name: string): string {
  const trimmed = name.replace(/\.json$/i, '');
  const problem =
    trimmed.length === 0
      ? 'is empty'
      : trimmed.length > 100
        ? 'is longer than 100 characters'
        : !/^[A-Za-z0-9][A-Za-z0-9 _.-]*$/.test(trimmed)
          ? 'may only use letters, digits, spaces, - _ . and must start with a letter or digit'
          : /[ .]$/.test(trimmed)
            ? 'cannot end with a space or a dot'
            : /\.expected$/i.test(trimmed)
              ? 'cannot end with ".expected" (that is the name of an event\'s expected response)'
              : WINDOWS_RESERVED.test(trimmed.split('.')[0]!)
                ? 'is a reserved file name on Windows'
                : undefined;
  if (problem) throw new Error(`The event name "${name}" ${problem}; choose a name like "large-order" or "missing customer id".`);
  return trimmed;
}

export function checkFunctionName(functionName: string): void {
  const valid = FunctionSpec.shape.name.safeParse(functionName).success && functionName !== '.' && functionName !== '..';
  if (!valid) {
    throw new Error(`"${functionName}" is not a function name (letters, digits, - _ . only); saved events are kept per function.`);
  }
}

export async function writeAtomically(file: string, text: string): Promise<void> {
  // Write then rename, so a crash or a concurrent reader never sees half a file.
  const temporary = `${file}.${randomUUID()}.tmp`;
  try {
    await writeFile(temporary, text);
    await rename(temporary, file);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

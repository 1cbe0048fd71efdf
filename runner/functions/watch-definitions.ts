// `open-runtime start` picks up edits to the project's definition file (template.yaml, serverless.yml) without a
// restart: the functions are reloaded, and with them the gateway's route table. The editor's sidecar doesn't need
// this (the extension asks for a reload); a terminal user editing a route and curling it does. The folder is
// watched rather than the file, since editors save by writing a new file and renaming it over the old one.
import { watch } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const DEFINITION_FILE = /^(template\.(ya?ml|json)|serverless\.ya?ml)$/;
const SETTLE_MS = 150;

/**
 * Calls `onChange` (once per burst of writes) when `file`, or any definition file in `workspace`, changes; or one of
 * `alsoWatched()` (the files the last load read besides, such as an OpenAPI DefinitionUri) in the same folder.
 */
export function watchDefinitions(
  file: string | undefined,
  workspace: string,
  onChange: () => void,
  alsoWatched: () => readonly string[] = () => [],
): () => void {
  const dir = file ? dirname(file) : workspace;
  const wanted = (name: string) => (file ? name === basename(file) : DEFINITION_FILE.test(name)) || alsoWatched().includes(join(dir, name));
  let timer: NodeJS.Timeout | undefined;
  try {
    const watcher = watch(dir, { persistent: false }, (_event, name) => {
      if (!name || !wanted(String(name))) return;
      clearTimeout(timer);
      timer = setTimeout(onChange, SETTLE_MS);
    });
    watcher.on('error', () => undefined);
    return () => {
      clearTimeout(timer);
      watcher.close();
    };
  } catch {
    return () => undefined; // a folder that can't be watched: edits need a restart, as before
  }
}

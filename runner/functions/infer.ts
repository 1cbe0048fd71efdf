// Zero config: a lone handler file with no template still runs. The runtime comes from the extension, the
// code folder (LAMBDA_TASK_ROOT) from the nearest project marker above the file within the workspace, and
// the handler string is the file's path in that folder plus the export, as Lambda writes it.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { FunctionSpec, type Runtime } from './model.ts';
import { handlerSetting } from './handler.ts';

export const INFERRED_NODE_RUNTIME: Runtime = 'nodejs22.x';
export const INFERRED_PYTHON_RUNTIME: Runtime = 'python3.12';
export const INFERRED_PROVIDED_RUNTIME: Runtime = 'provided.al2023';

export const NODE_EXTENSIONS = ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'] as const;
/** Files that mark the root of a project, which is what Lambda would have at the root of the zip. */
const PROJECT_MARKERS = {
  node: ['package.json'],
  python: ['pyproject.toml', 'requirements.txt', 'setup.py', 'Pipfile'],
} as const;

export interface InferOptions {
  /** The exported function; `handler` when not given. */
  exportName?: string | undefined;
  /** Bounds the search for the project root; without it (or for a file outside it) the file's folder is used. */
  workspaceDir?: string | undefined;
}

/**
 * A FunctionSpec for one handler file. Throws an Error whose message says what to do when the file
 * can't be run this way.
 */
export function inferFunction(file: string, options: InferOptions = {}): FunctionSpec {
  const { exportName = 'handler', workspaceDir } = options;
  const path = resolve(workspaceDir ?? process.cwd(), file);
  let isFile = false;
  try {
    isFile = statSync(path).isFile();
  } catch {
    throw new Error(`${path} doesn't exist, so there is no handler to run. Check the path.`);
  }
  if (!isFile) throw new Error(`${path} is a folder; pick the handler file inside it.`);

  const ext = extname(path);
  const stem = basename(path, ext);
  const fileDir = dirname(path);

  if (basename(path) === 'bootstrap') {
    // A custom runtime: the folder is the function and the bootstrap is what starts.
    return FunctionSpec.parse({
      name: functionName(basename(fileDir), 'handler'),
      runtime: INFERRED_PROVIDED_RUNTIME,
      handler: '',
      codeUri: fileDir,
      source: { file: path, line: 1 },
    });
  }

  const family = (NODE_EXTENSIONS as readonly string[]).includes(ext) ? 'node' : ext === '.py' ? 'python' : undefined;
  if (!family) {
    throw new Error(
      `Open Runtime can't tell how to run ${basename(path)}: without a template it runs ${NODE_EXTENSIONS.join(', ')} and .py handlers, and executables named bootstrap. Add the function to a template.yaml to run it another way.`,
    );
  }
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(exportName)) {
    throw new Error(`"${exportName}" is not a name a handler can be exported as; use the exported function's name, such as "handler".`);
  }
  if (stem.includes('.')) {
    // Both runtimes would read the dot as the end of the module (handler.ts).
    throw new Error(
      `${basename(path)} has a dot in its name, which Lambda's "file.export" handler format can't express. Rename the file (for example to ${stem.replace(/\./g, '-')}${ext}).`,
    );
  }

  const codeUri = projectRoot(fileDir, PROJECT_MARKERS[family], workspaceDir);
  const modulePath = relative(codeUri, join(fileDir, stem)).split(sep).join('/');
  // The setting the runtime reads back as this file and export, if there is one.
  const handler = handlerSetting(modulePath, exportName, family);
  if (!handler) {
    throw new Error(
      `Lambda's ${family === 'node' ? 'Node' : 'Python'} runtime can't name "${exportName}" in ${modulePath}${ext} with a handler setting: a dot in a Python folder's name reads as a package, and a Python handler is one function name. Rename the folder, or export a plain function.`,
    );
  }
  return FunctionSpec.parse({
    name: functionName(stem, exportName),
    runtime: family === 'node' ? INFERRED_NODE_RUNTIME : INFERRED_PYTHON_RUNTIME,
    handler,
    codeUri,
    source: { file: path, line: exportLine(path, exportName, family) },
  });
}

/** The nearest folder at or above `start` holding a marker, not going above the workspace. */
function projectRoot(start: string, markers: readonly string[], workspaceDir?: string): string {
  const bound = workspaceDir ? resolve(workspaceDir) : undefined;
  const inside = bound !== undefined && (start === bound || (!relative(bound, start).startsWith('..') && !isAbsolute(relative(bound, start))));
  if (!inside) return start;
  for (let dir = start; ; dir = dirname(dir)) {
    if (markers.some((m) => existsSync(join(dir, m)))) return dir;
    if (dir === bound || dirname(dir) === dir) return start;
  }
}

/** File stem (plus the export when it isn't the usual `handler`), cut to what a function name allows. */
export function functionName(stem: string, exportName: string): string {
  const raw = exportName === 'handler' ? stem : `${stem}-${exportName}`;
  const clean = raw
    .replace(/[^A-Za-z0-9_\-.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 140);
  return clean || 'function';
}

/** The line declaring the export, so errors and CodeLenses can point at it; 0 when not found. */
function exportLine(path: string, exportName: string, family: 'node' | 'python'): number {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return 0;
  }
  const name = exportName.split('.')[0]!.replace(/\$/g, '\\$');
  const pattern =
    family === 'python'
      ? new RegExp(`^(async\\s+)?def\\s+${name}\\s*\\(|^${name}\\s*=`)
      : new RegExp(
          `^\\s*export\\s+(async\\s+)?(function\\*?|const|let|var)\\s+${name}\\b|\\b(module\\.)?exports\\.${name}\\s*=|^\\s*export\\s*\\{[^}]*\\b${name}\\b`,
        );
  const index = text.split(/\r?\n/).findIndex((line) => pattern.test(line));
  return index < 0 ? 0 : index + 1;
}

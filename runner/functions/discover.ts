// Finds every function of a workspace: the definition files in its root and one level below, read by
// template.ts or serverless.ts, and CDK cloud assemblies (cdk.out/manifest.json) there, read by cdk.ts,
// with the parameter values saved in .open-runtime/parameters.json (saved-parameters.ts) and names made unique across the workspace (projects side by side that share a name are told apart by folder). Also the one place
// that maps a handler string back to its source file (for compiling TypeScript and for CodeLenses).
import { existsSync, statSync } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import type { DefinitionError } from '../protocol.ts';
import type { Definitions } from './read-yaml.ts';
import { runtimeFamily, type AlbActionRule, type FunctionSpec } from './model.ts';
import { parseTemplate, looksLikeTemplate, type TemplateOptions } from './template.ts';
import { parseServerless, type ServerlessOptions } from './serverless.ts';
import { CDK_MANIFEST, isAssemblyStack, loadCloudAssembly } from './cdk.ts';
import { NODE_EXTENSIONS } from './infer.ts';
import { tryParseHandler } from './handler.ts';
import { readSavedParameters, savedParametersOf } from './saved-parameters.ts';

export interface Discovery {
  functions: FunctionSpec[];
  errors: DefinitionError[];
  /** The definition files read, so a caller can watch them. */
  files: string[];
  /** What was passed over on purpose, with the reason (a nested stack with no local template, ...). */
  skipped: DefinitionError[];
  /** ALB listener rules and default actions that redirect or answer with a fixed response (they have no function). */
  albActions?: AlbActionRule[];
}

export type DiscoveryOptions = TemplateOptions &
  ServerlessOptions & {
    /**
     * `--region` as typed. `region` is the resolved one (flag, samconfig, environment, profile) that SAM templates
     * use; serverless.yml keeps the Serverless Framework's own order: the flag, then its provider.region.
     */
    regionFlag?: string;
  };

/** In the order they are read within a folder. */
export const DEFINITION_FILES = ['template.yaml', 'template.yml', 'template.json', 'serverless.yml', 'serverless.yaml'] as const;

/** The folder `cdk synth` writes a CDK app's cloud assembly to, by default. */
const CDK_OUT = 'cdk.out';

/** Folders that hold dependencies, build output or tool state rather than the user's definitions. */
const SKIPPED_FOLDERS = new Set(['node_modules', '__pycache__', 'cdk.out', 'venv']);

export async function discoverFunctions(workspaceDir: string, options: DiscoveryOptions = {}): Promise<Discovery> {
  const root = resolve(workspaceDir);
  const folders = [root];
  let children: string[] = [];
  try {
    children = (await readdir(root, { withFileTypes: true }))
      // Dot-folders (.git, .open-runtime, .aws-sam with its built copies of template.yaml) are skipped too.
      .filter((d) => d.isDirectory() && !d.name.startsWith('.') && !SKIPPED_FOLDERS.has(d.name))
      .map((d) => d.name)
      .sort();
  } catch (error) {
    return {
      functions: [],
      errors: [{ file: root, line: 0, message: `Could not read the workspace folder ${root}: ${(error as Error).message}.` }],
      files: [],
      skipped: [],
    };
  }
  folders.push(...children.map((c) => join(root, c)));

  const found: string[] = [];
  for (const folder of folders) {
    for (const name of DEFINITION_FILES) {
      const file = join(folder, name);
      if (await isFile(file)) found.push(file);
    }
    // A CDK app is found by its synthesized cloud assembly, not by its source.
    const manifest = join(folder, CDK_OUT, CDK_MANIFEST);
    if (await isFile(manifest)) found.push(manifest);
  }

  const read: { file: string; definitions: Definitions; files: string[] }[] = [];
  // Values the person saved for parameters without a Default (the editor asks once): below overrides and samconfig.
  const saved = readSavedParameters(root);
  for (const file of found) {
    if (basename(file) === CDK_MANIFEST) {
      const assembly = await loadCloudAssembly(dirname(file), options);
      read.push({ file, definitions: assembly, files: assembly.files });
      continue;
    }
    const text = await readFile(file, 'utf8').catch(() => undefined);
    if (text === undefined) continue; // vanished between listing and reading; the next discovery sees it
    // Any JSON file may be called template.json; only CloudFormation ones are definitions.
    if (file.endsWith('.json') && !looksLikeTemplate(text, file)) continue;
    const given = savedParametersOf(saved.parameters, root, file);
    const withSaved = Object.keys(given).length ? { ...options, parameterOverrides: { ...given, ...options.parameterOverrides } } : options;
    read.push({ file, definitions: parseDefinitions(text, file, withSaved), files: [file] });
  }
  // A template another one nests (orders/template.yaml under the root's AWS::Serverless::Application) belongs to
  // its parent, which passes its parameters: read on its own it would be a second, broken copy.
  const nested = new Set(read.flatMap((r) => r.definitions.included ?? []));
  const projects = read.filter((r) => !nested.has(r.file));
  const shared = namesInSeveralProjects(projects.map((p) => ({ project: projectLabel(root, p.file), functions: p.definitions.functions })));
  const result: Discovery = { functions: [], errors: saved.problem ? [saved.problem] : [], files: [], skipped: [] };
  for (const { file, definitions, files } of projects) {
    result.files.push(...files);
    const project = projectLabel(root, file);
    addDefinitions(result, { ...definitions, functions: definitions.functions.map((fn) => (shared.has(fn.name) ? inProject(fn, project) : fn)) });
  }
  return withUniqueNames(result, root);
}

/**
 * Names that several projects of the workspace define: every `sam init` project calls its function
 * HelloWorldFunction. Those are told apart by their project (see inProject); names only one project uses
 * stay as they are, so a single-project workspace keeps its names.
 */
function namesInSeveralProjects(files: { project: string; functions: FunctionSpec[] }[]): Set<string> {
  // A project is a folder: template.yaml and serverless.yml side by side are one project, where a name twice is an error.
  const projectsOf = new Map<string, Set<string>>();
  for (const { project, functions } of files) {
    for (const fn of functions) projectsOf.set(fn.name, (projectsOf.get(fn.name) ?? new Set()).add(project));
  }
  return new Set([...projectsOf].filter(([, projects]) => projects.size > 1).map(([name]) => name));
}

/** The folder a definition file sits in, relative to the workspace (the workspace's own name for its root). */
function projectLabel(root: string, file: string): string {
  const folder = relative(root, dirname(file))
    .split(/[\\/]/)
    .filter((p) => p && p !== CDK_OUT)
    .join('/');
  return folder || basename(root);
}

/**
 * A function of one project among several defining the same name: named `<project folder>-<name>` (a valid,
 * unique Lambda name, like SAM's `<stack>-<LogicalId>-…`), addressed by the path `<project folder>/<name>`,
 * and still by its logical id when only one project has it.
 */
export function inProject(fn: FunctionSpec, project: string): FunctionSpec {
  const prefix = project.replace(/[^A-Za-z0-9_\-.]+/g, '-');
  return { ...fn, name: `${prefix}-${fn.name}`.slice(0, 140), path: `${project}/${fn.path ?? fn.name}`, logicalId: fn.logicalId ?? fn.name };
}

function addDefinitions(result: Discovery, definitions: Definitions): void {
  result.functions.push(...definitions.functions);
  result.errors.push(...definitions.errors);
  result.skipped.push(...(definitions.skipped ?? []));
  result.files.push(...(definitions.included ?? []));
  if (definitions.albActions?.length) (result.albActions ??= []).push(...definitions.albActions);
}

/**
 * The functions of one definition file, for the CLI's `--template`. A folder is discovered like a
 * workspace.
 */
export async function loadFunctionsFrom(templatePath: string, options: DiscoveryOptions = {}): Promise<Discovery> {
  const file = resolve(templatePath);
  let text: string;
  try {
    if ((await stat(file)).isDirectory()) {
      // A cloud assembly folder (cdk.out) is read through its manifest; any other folder like a workspace.
      if (await isFile(join(file, CDK_MANIFEST))) return withUniqueNames(withSkipped(await loadCloudAssembly(file, options)), file);
      return discoverFunctions(file, options);
    }
    if (basename(file) === CDK_MANIFEST) return withUniqueNames(withSkipped(await loadCloudAssembly(dirname(file), options)), dirname(file));
    // One stack of a CDK app: read through its assembly, so its functions have the same names as in the whole app.
    if (await isAssemblyStack(file)) return withUniqueNames(withSkipped(await loadCloudAssembly(dirname(file), options, file)), dirname(file));
    text = await readFile(file, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${file} doesn't exist` : `Could not read ${file}: ${(error as Error).message}`;
    return {
      functions: [],
      errors: [{ file, line: 0, message: `${reason}. Pass the path of a template.yaml, serverless.yml or a CDK app's cdk.out.` }],
      files: [],
      skipped: [],
    };
  }
  const definitions = parseDefinitions(text, file, options);
  return withUniqueNames(withSkipped({ ...definitions, files: [file, ...(definitions.included ?? [])] }), resolve(file, '..'));
}

function withSkipped(definitions: Definitions & { files: string[] }): Discovery {
  return { ...definitions, skipped: definitions.skipped ?? [] };
}

function parseDefinitions(text: string, file: string, options: DiscoveryOptions) {
  if (basename(file).startsWith('serverless.')) {
    return parseServerless(text, file, { ...options, region: 'regionFlag' in options ? options.regionFlag : options.region });
  }
  return parseTemplate(text, file, options);
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** The first definition of a name wins; each later one is an error pointing at both. */
function withUniqueNames(result: Discovery, root: string): Discovery {
  const seen = new Map<string, FunctionSpec>();
  const functions: FunctionSpec[] = [];
  const errors = [...result.errors];
  for (const fn of result.functions) {
    const first = seen.get(fn.name);
    if (!first) {
      seen.set(fn.name, fn);
      functions.push(fn);
      continue;
    }
    const where = first.source ? `${relative(root, first.source.file) || basename(first.source.file)} line ${first.source.line}` : 'another definition';
    errors.push({
      file: fn.source?.file ?? root,
      line: fn.source?.line ?? 0,
      message: `Function "${fn.name}" is also defined in ${where}; function names must be unique in the workspace, so this one is ignored. Rename one of them.`,
    });
  }
  return { functions, errors, files: result.files, skipped: result.skipped, ...(result.albActions ? { albActions: result.albActions } : {}) };
}

/**
 * The source file of a Node or Python handler: `src/app.handler` -> the existing one of
 * src/app.ts, .mts, .cts, .js, .mjs, .cjs (TypeScript first: it is the source when both exist),
 * or src/app.py. Undefined for other runtimes or when no file exists yet.
 */
export function resolveHandlerSource(fn: FunctionSpec): string | undefined {
  const family = runtimeFamily(fn.runtime);
  const handler = fn.handler.trim();
  if (!handler) return undefined;
  if (family === 'node' || family === 'python') {
    const parsed = tryParseHandler(handler, family);
    if (!parsed) return undefined;
    const base = join(fn.codeUri, parsed.modulePath);
    const candidates = family === 'node' ? NODE_EXTENSIONS.map((ext) => base + ext) : [`${base}.py`, join(base, '__init__.py')];
    return candidates.find(isExistingFile);
  }
  if (family === 'wasi') {
    // A component's source is what its build compiles.
    const source = fn.component?.build?.source;
    return source ? [join(fn.codeUri, source)].find(isExistingFile) : undefined;
  }
  return undefined;
}

function isExistingFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}

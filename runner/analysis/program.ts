// The TypeScript programs the analysis runs on: one LanguageService per tsconfig.json (or per folder without
// one), kept between analyses so that after an edit only the edited file is parsed and checked again; the
// lib and node_modules declarations are reused.
import { statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';
import { installedMiddyModules } from './middy-installed.ts';

const DEFAULT_OPTIONS: ts.CompilerOptions = {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
  allowJs: true,
  allowImportingTsExtensions: true,
  types: [],
  lib: ['lib.es2022.d.ts'],
};

export interface Workspace {
  service: ts.LanguageService;
  tsconfig: string | undefined;
  problems: string[];
  /** Makes `file` a root and (optionally) its text the editor's unsaved one. */
  open(file: string, text?: string): void;
}

/** Nearest tsconfig.json above a file, as `tsc` would find it. */
export function findTsconfig(file: string): string | undefined {
  return ts.findConfigFile(dirname(file), ts.sys.fileExists, 'tsconfig.json');
}

const registry = ts.createDocumentRegistry();
const workspaces = new Map<string, Workspace>();

export function workspaceFor(file: string): Workspace {
  const tsconfig = findTsconfig(file);
  const key = tsconfig ?? `dir:${dirname(file)}`;
  let workspace = workspaces.get(key);
  if (!workspace) {
    workspace = createWorkspace(tsconfig, dirname(file));
    workspaces.set(key, workspace);
  }
  return workspace;
}

/** The virtual root a warm-up adds to a workspace (never written to disk). */
const WARM_FILE = '__open-runtime-warm-up__.ts';

/**
 * Loads, parses and binds what every Middy analysis under `dir`'s tsconfig needs (the lib files, the `types`, every
 * installed @middy package and aws-lambda's types) before the first file is analysed, and type-checks `middy()`
 * once: the first analysis then only parses and checks its own file. Returns false when there is no @middy/core
 * to load from `dir` (nothing to warm). The runner calls it when it starts (in the analysis worker).
 */
export function warmUp(dir: string): boolean {
  const modules = installedMiddyModules(dir);
  if (!modules) return false;
  const root = join(dirname(findTsconfig(join(dir, 'x.ts')) ?? join(dir, 'x')), WARM_FILE);
  const workspace = workspaceFor(root);
  const text = [
    ...modules.map((m, i) => `import m${i} from '${m}';`),
    "import type { Context } from 'aws-lambda';",
    `export const warm = [${modules.map((_, i) => `m${i}`).join(', ')}];`,
    'export type Warm = Context;',
    '',
  ].join('\n');
  workspace.open(root, text);
  const program = workspace.service.getProgram();
  const sf = program?.getSourceFile(root);
  if (!program || !sf) return false;
  // Type-checking one middy() call binds the declarations the analysis reads (the checker's caches go with the
  // program; the parsed and bound files stay in the document registry for every program of this tsconfig).
  program.getTypeChecker().getTypeAtLocation(sf.statements[sf.statements.length - 1]!);
  return true;
}

/** Drops every cached program (tests, or a changed tsconfig). */
export function forgetWorkspaces(): void {
  for (const w of workspaces.values()) w.service.dispose();
  workspaces.clear();
}

function readOptions(tsconfig: string | undefined, problems: string[]): ts.CompilerOptions {
  if (!tsconfig) return DEFAULT_OPTIONS;
  const parsed = ts.getParsedCommandLineOfConfigFile(
    tsconfig,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) =>
        problems.push(`${tsconfig}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}; the analysis uses default compiler options.`),
    },
  );
  if (!parsed) return DEFAULT_OPTIONS;
  for (const d of parsed.errors.filter((e) => e.category === ts.DiagnosticCategory.Error && e.code !== 18003)) {
    problems.push(`${tsconfig}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
  }
  // Only the analysed files are roots, so the analysis never type-checks the whole project. Without an explicit
  // `types`, tsc would load every @types package (all of @types/node): globals only, never what a chain's types
  // come from (those are imported), so they are left out for speed.
  // Likewise a tsconfig without `lib` gets the DOM declarations (1.5 MB): a Lambda handler's chain never needs them.
  const lib = parsed.options.lib ?? [defaultLib(parsed.options.target)];
  // allowJs: a JavaScript handler is analysed too when a tsconfig above it (a TypeScript monorepo, a parent project)
  // leaves JS out; only analysed files are roots, so this reads no more of the project than they import.
  return { ...parsed.options, noEmit: true, skipLibCheck: true, allowJs: true, types: parsed.options.types ?? [], lib };
}

/** The ES library of a target, without DOM: `lib.es2022.d.ts`. */
function defaultLib(target: ts.ScriptTarget | undefined): string {
  const year: Partial<Record<ts.ScriptTarget, string>> = {
    [ts.ScriptTarget.ES2015]: 'es2015',
    [ts.ScriptTarget.ES2016]: 'es2016',
    [ts.ScriptTarget.ES2017]: 'es2017',
    [ts.ScriptTarget.ES2018]: 'es2018',
    [ts.ScriptTarget.ES2019]: 'es2019',
    [ts.ScriptTarget.ES2020]: 'es2020',
    [ts.ScriptTarget.ES2021]: 'es2021',
    [ts.ScriptTarget.ES2022]: 'es2022',
    [ts.ScriptTarget.ES2023]: 'es2023',
    [ts.ScriptTarget.ES2024]: 'es2024',
    [ts.ScriptTarget.ESNext]: 'esnext',
  };
  return `lib.${(target !== undefined && year[target]) || 'es2022'}.d.ts`;
}

function createWorkspace(tsconfig: string | undefined, dir: string): Workspace {
  const problems: string[] = [];
  const options = readOptions(tsconfig, problems);
  const roots = new Set<string>();
  const overlays = new Map<string, { text: string; version: number }>();
  const versions = new Map<string, string>();
  const snapshots = new Map<string, { version: string; snapshot: ts.IScriptSnapshot }>();
  let projectVersion = 0;

  const host: ts.LanguageServiceHost & { getModuleResolutionCache(): ts.ModuleResolutionCache } = {
    // Not in the public LanguageServiceHost type, but read by the language service's compiler host: with it, the
    // package.json scopes of files (ESM or CommonJS) are looked up once, not on every program.
    getModuleResolutionCache: () => resolutionCache,
    getCompilationSettings: () => options,
    getProjectVersion: () => String(projectVersion),
    getScriptFileNames: () => [...roots],
    getScriptVersion: (file) => {
      const overlay = overlays.get(file);
      if (overlay) return `o${overlay.version}`;
      let v = versions.get(file);
      if (v === undefined) {
        // Declarations in node_modules and the TypeScript libs don't change while the runner runs.
        v = file.includes('/node_modules/') ? '0' : mtimeVersion(file);
        versions.set(file, v);
      }
      return v;
    },
    getScriptSnapshot: (file) => {
      const overlay = overlays.get(file);
      if (overlay) return ts.ScriptSnapshot.fromString(overlay.text);
      // Every program asks for every file's snapshot (842 files with types: ["node"] and DOM): read each version once.
      const version = host.getScriptVersion(file);
      const known = snapshots.get(file);
      if (known?.version === version) return known.snapshot;
      const text = ts.sys.readFile(file);
      if (text === undefined) return undefined;
      const snapshot = ts.ScriptSnapshot.fromString(text);
      snapshots.set(file, { version, snapshot });
      return snapshot;
    },
    getCurrentDirectory: () => (tsconfig ? dirname(tsconfig) : dir),
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: installed(ts.sys.fileExists),
    readFile: installed((file: string) => ts.sys.readFile(file)),
    readDirectory: ts.sys.readDirectory,
    directoryExists: installed(ts.sys.directoryExists),
    getDirectories: ts.sys.getDirectories,
    realpath: installed(ts.sys.realpath!),
    resolveModuleNameLiterals: (literals, containingFile, redirected, compilerOptions, containingSourceFile) =>
      literals.map((literal) =>
        ts.resolveModuleName(
          literal.text,
          containingFile,
          compilerOptions,
          host,
          resolutionCache,
          redirected,
          ts.getModeForUsageLocation(containingSourceFile, literal, compilerOptions),
        ),
      ),
    useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
  };
  // Module resolution (package.json lookups, exports maps) is cached for the workspace's lifetime: after an edit
  // the program is rebuilt without reading node_modules again.
  const resolutionCache = ts.createModuleResolutionCache(host.getCurrentDirectory(), (f) => (ts.sys.useCaseSensitiveFileNames ? f : f.toLowerCase()), options);
  const service = ts.createLanguageService(host, registry);
  return {
    service,
    tsconfig,
    problems,
    open(file: string, text?: string) {
      const path = resolve(file);
      if (!roots.has(path)) {
        roots.add(path);
        projectVersion++;
      }
      if (text !== undefined) {
        const overlay = overlays.get(path);
        if (overlay?.text !== text) {
          overlays.set(path, { text, version: (overlay?.version ?? 0) + 1 });
          projectVersion++;
        }
      } else {
        if (overlays.delete(path)) projectVersion++;
        // A saved edit: files of the workspace are re-read when their mtime moved.
        for (const [f, v] of versions) {
          if (v !== '0' && mtimeVersion(f) !== v) {
            versions.delete(f);
            projectVersion++;
          }
        }
      }
    },
  };
}

/**
 * A file-system query memoised for paths inside node_modules, which do not change while the runner runs (as the
 * script versions above assume); other paths are asked every time.
 */
function installed<T>(query: (path: string) => T): (path: string) => T {
  const cache = new Map<string, T>();
  return (path) => {
    if (!path.includes('/node_modules/')) return query(path);
    if (cache.has(path)) return cache.get(path)!;
    const value = query(path);
    cache.set(path, value);
    return value;
  };
}

function mtimeVersion(file: string): string {
  try {
    return String(statSync(file).mtimeMs);
  } catch {
    return 'missing';
  }
}

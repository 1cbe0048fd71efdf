// The TypeScript programs the analysis runs on: one LanguageService per tsconfig.json (or per folder without
// one), kept between analyses so that after an edit only the edited file is parsed and checked again; the
// lib and node_modules declarations are reused.
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import ts from 'typescript';

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

/** Drops every cached program (tests, or a changed tsconfig). */
export function forgetWorkspaces(): void {
  for (const w of workspaces.values()) w.service.dispose();
  workspaces.clear();
}

function readOptions(tsconfig: string | undefined, problems: string[]): ts.CompilerOptions {
  if (!tsconfig) return DEFAULT_OPTIONS;
  const parsed = ts.getParsedCommandLineOfConfigFile(tsconfig, {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => problems.push(`${tsconfig}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}; the analysis uses default compiler options.`),
  });
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
  let projectVersion = 0;

  const host: ts.LanguageServiceHost = {
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
      const text = ts.sys.readFile(file);
      return text === undefined ? undefined : ts.ScriptSnapshot.fromString(text);
    },
    getCurrentDirectory: () => (tsconfig ? dirname(tsconfig) : dir),
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    fileExists: ts.sys.fileExists,
    readFile: ts.sys.readFile,
    readDirectory: ts.sys.readDirectory,
    directoryExists: ts.sys.directoryExists,
    getDirectories: ts.sys.getDirectories,
    realpath: ts.sys.realpath,
    useCaseSensitiveFileNames: () => ts.sys.useCaseSensitiveFileNames,
  };
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

function mtimeVersion(file: string): string {
  try {
    return String(statSync(file).mtimeMs);
  } catch {
    return 'missing';
  }
}


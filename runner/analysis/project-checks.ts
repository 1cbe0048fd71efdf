// Problems of the project around a Middy file rather than of one chain: imports that do not resolve (a step built
// from them is silently `any`), and the tsconfig/package.json settings that break Middy's ESM-only packages
// (`moduleResolution` node10/classic ignores package.json `exports`; CommonJS output `require()`s packages that
// only export `import`). Each comes with the edit that fixes it, where one is safe.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import type { ChainDiagnostic, QuickFix, SourceRange } from './report.ts';

/** Module specifiers of a file's imports that do not resolve, with the import's node. */
export function unresolvedImports(checker: ts.TypeChecker, sf: ts.SourceFile): Map<string, ts.Node> {
  const out = new Map<string, ts.Node>();
  for (const statement of sf.statements) {
    if (
      !(ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) ||
      !statement.moduleSpecifier ||
      !ts.isStringLiteral(statement.moduleSpecifier)
    )
      continue;
    if (!checker.getSymbolAtLocation(statement.moduleSpecifier)) out.set(statement.moduleSpecifier.text, statement.moduleSpecifier);
  }
  return out;
}

const CJS_LIKE = new Set([ts.ModuleKind.None, ts.ModuleKind.CommonJS, ts.ModuleKind.AMD, ts.ModuleKind.UMD, ts.ModuleKind.System]);
const NODE_MODULES = new Set([ts.ModuleKind.Node16, ts.ModuleKind.Node18, ts.ModuleKind.Node20, ts.ModuleKind.NodeNext]);

/** Whether a package only exports ESM (`"type": "module"` and `exports` without a `require` condition). */
function esmOnly(packageJson: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(packageJson, 'utf8')) as { type?: string; exports?: unknown; main?: string };
    return pkg.type === 'module' && pkg.exports !== undefined && !JSON.stringify(pkg.exports).includes('"require"');
  } catch {
    return false;
  }
}

function packageJsonOf(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

function nearestPackageJson(fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'package.json');
    if (dirname(dir) === dir) return undefined;
  }
}

/** The range of `compilerOptions.<key>`'s value in a tsconfig, or of `compilerOptions` itself, or the file start. */
function optionRange(tsconfig: string, key: string): { range: SourceRange; exists: boolean; insertAt?: SourceRange } {
  const text = readFileSync(tsconfig, 'utf8');
  const json = ts.parseJsonText(tsconfig, text);
  const at = (pos: number, end = pos): SourceRange => {
    const s = json.getLineAndCharacterOfPosition(pos);
    const e = json.getLineAndCharacterOfPosition(end);
    return { file: tsconfig, start: { line: s.line + 1, column: s.character + 1 }, end: { line: e.line + 1, column: e.character + 1 } };
  };
  const root = json.statements[0]?.expression;
  const options =
    root && ts.isObjectLiteralExpression(root)
      ? root.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isStringLiteral(p.name) && p.name.text === 'compilerOptions')
      : undefined;
  if (!options || !ts.isObjectLiteralExpression(options.initializer)) return { range: at(0), exists: false };
  const prop = options.initializer.properties.find(
    (p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && ts.isStringLiteral(p.name) && p.name.text.toLowerCase() === key.toLowerCase(),
  );
  if (prop) return { range: at(prop.initializer.getStart(json), prop.initializer.getEnd()), exists: true };
  const open = options.initializer.getStart(json) + 1;
  return { range: at(options.name.getStart(json), options.name.getEnd()), exists: false, insertAt: at(open) };
}

/** Edits that make a tsconfig's module and moduleResolution "nodenext" (Middy's known-good settings for Node). */
function nodenextFix(tsconfig: string): QuickFix | undefined {
  const edits: QuickFix['edits'] = [];
  for (const key of ['module', 'moduleResolution']) {
    const found = optionRange(tsconfig, key);
    if (found.exists) edits.push({ range: found.range, newText: '"nodenext"' });
    else if (found.insertAt) edits.push({ range: found.insertAt, newText: ` "${key}": "nodenext",` });
    else return undefined;
  }
  return { title: 'Set "module" and "moduleResolution" to "nodenext" in tsconfig.json', edits };
}

/**
 * The tsconfig/ESM check: a file that imports ESM-only @middy packages under settings that cannot load them.
 * `tsc` reports some of these (TS5107 for node10, TS1479 for a CommonJS file), others fail only at run time.
 */
export function middyEsmConfig(program: ts.Program, sf: ts.SourceFile, tsconfig: string | undefined): ChainDiagnostic[] {
  const middy = sf.statements.find(
    (s): s is ts.ImportDeclaration =>
      ts.isImportDeclaration(s) && ts.isStringLiteral(s.moduleSpecifier) && s.moduleSpecifier.text.startsWith('@middy/') && !s.importClause?.isTypeOnly,
  );
  if (!middy) return [];
  const name = (middy.moduleSpecifier as ts.StringLiteral).text.split('/').slice(0, 2).join('/');
  const manifest = packageJsonOf(dirname(sf.fileName), name);
  if (!manifest || !esmOnly(manifest)) return [];
  const options = program.getCompilerOptions();
  const { module, resolution } = effectiveModule(options);
  const where = tsconfig ?? 'the default compiler options';
  const range = (key: string): SourceRange => (tsconfig ? optionRange(tsconfig, key).range : rangeOf(middy));
  const fix = tsconfig ? nodenextFix(tsconfig) : undefined;
  const explanation = `${name} ships only ES modules ("type": "module", exports with an "import" condition only). Middy's known-good settings for Node are "module": "nodenext" and "moduleResolution": "nodenext", with "type": "module" in the package.json of the handler's code (or .mts files).`;
  if (resolution === ts.ModuleResolutionKind.Node10 || resolution === ts.ModuleResolutionKind.Classic) {
    return [
      {
        code: 'middy-esm-config',
        severity: 'error',
        message: `${where} sets moduleResolution ${resolution === ts.ModuleResolutionKind.Classic ? 'classic' : 'node10'}, which ignores package.json "exports": ${name} and the other @middy packages do not resolve as Node loads them (tsc fails with TS5107 or TS2307).`,
        explanation,
        range: range('moduleResolution'),
        ...(fix ? { fix } : {}),
      },
    ];
  }
  if (CJS_LIKE.has(module)) {
    return [
      {
        code: 'middy-esm-config',
        severity: 'error',
        message: `${where} compiles to CommonJS (module ${ts.ModuleKind[module]}), so the output require()s ${name}, which only exports ES modules: the handler fails to load (ERR_REQUIRE_ESM, or ERR_PACKAGE_PATH_NOT_EXPORTED).`,
        explanation,
        range: range('module'),
        ...(fix ? { fix } : {}),
      },
    ];
  }
  if (NODE_MODULES.has(module) && sf.impliedNodeFormat === ts.ModuleKind.CommonJS) {
    const pkg = nearestPackageJson(dirname(sf.fileName));
    return [
      {
        code: 'middy-esm-config',
        severity: 'error',
        message: `This file is compiled as CommonJS (${pkg ? `${pkg} has no "type": "module"` : 'no package.json says "type": "module"'}), so its import of ${name}, which only exports ES modules, becomes a require() (tsc fails with TS1479).`,
        explanation,
        range: rangeOf(middy),
        ...(pkg ? { fix: typeModuleFix(pkg) } : {}),
      },
    ];
  }
  return [];
}

/** module and moduleResolution as the compiler applies them (its own defaults when unset; internal API if present). */
function effectiveModule(options: ts.CompilerOptions): { module: ts.ModuleKind; resolution: ts.ModuleResolutionKind } {
  const internal = ts as unknown as {
    getEmitModuleKind?(o: ts.CompilerOptions): ts.ModuleKind;
    getEmitModuleResolutionKind?(o: ts.CompilerOptions): ts.ModuleResolutionKind;
  };
  const module =
    internal.getEmitModuleKind?.(options) ??
    options.module ??
    ((options.target ?? ts.ScriptTarget.ES5) >= ts.ScriptTarget.ES2015 ? ts.ModuleKind.ES2015 : ts.ModuleKind.CommonJS);
  const resolution =
    internal.getEmitModuleResolutionKind?.(options) ??
    options.moduleResolution ??
    (NODE_MODULES.has(module) ? ts.ModuleResolutionKind.NodeNext : ts.ModuleResolutionKind.Bundler);
  return { module, resolution };
}

function typeModuleFix(packageJson: string): QuickFix | undefined {
  const text = readFileSync(packageJson, 'utf8');
  const open = text.indexOf('{');
  if (open < 0 || /"type"\s*:/.test(text)) return undefined;
  const line = text.slice(0, open).split('\n').length;
  const column = open - text.lastIndexOf('\n', open - 1);
  const at = { line, column: column + 1 };
  return { title: `Add "type": "module" to ${packageJson}`, edits: [{ range: { file: packageJson, start: at, end: at }, newText: ' "type": "module",' }] };
}

function rangeOf(node: ts.Node): SourceRange {
  const sf = node.getSourceFile();
  const s = sf.getLineAndCharacterOfPosition(node.getStart(sf));
  const e = sf.getLineAndCharacterOfPosition(node.getEnd());
  return { file: sf.fileName, start: { line: s.line + 1, column: s.character + 1 }, end: { line: e.line + 1, column: e.character + 1 } };
}

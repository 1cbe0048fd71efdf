// `open-runtime build <function> --arch arm64|x86_64` and the editor's build tasks: one deployment package per
// function and architecture at `.open-runtime/build/<function>/<arch>/function.zip` (the unzipped files next
// to it in `package/`), checked before it is called done (ELF machine types, bootstrap, sizes): a package that
// would not run on Lambda is an error here, not at deploy time.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { runtimeFamily, type Architecture, type FunctionSpec } from '../functions/model.ts';
import { checkPackage, describeProblems, type PackageProblem } from './check-package.ts';
import { buildGo, isGoFunction } from './go.ts';
import { buildNode } from './node.ts';
import { copyCode, type PackageProducer, type ProducerResult } from './producer.ts';
import { buildPython } from './python.ts';
import { BuildCancelledError, BuildError } from './run-tool.ts';
import { buildRust, isRustFunction } from './rust.ts';
import { writeZip, type ZipInput } from './zip.ts';

export { BuildError, BuildCancelledError } from './run-tool.ts';

export interface BuildOptions {
  /** The folder that holds `.open-runtime/`: the workspace. Default: the template's folder, else the code folder. */
  workspace?: string | undefined;
  /** Progress and tool output, one line at a time. */
  log?: ((line: string) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export interface BuildResult {
  function: string;
  architecture: Architecture;
  /** Absolute path of function.zip. */
  zipPath: string;
  /** The unzipped package (what the zip holds), runnable by the runner as a function's CodeUri. */
  packageDir: string;
  zippedSize: number;
  unzippedSize: number;
  files: number;
  /** Base64 SHA-256 of the zip: Lambda's CodeSha256 for it. */
  codeSha256: string;
  /** True for WASI components: one build serves both architectures. */
  architectureIndependent: boolean;
  /** What the build did that the user should know (native dependencies, toolchain used ...). */
  notes: string[];
  /** What ran: `go`, `cargo`, `node`, `python`, `copy` or `component`. */
  kind: string;
}

/** A package that was built but would not run on Lambda; `problems` says why, one sentence each. */
export class PackageCheckError extends BuildError {
  readonly problems: PackageProblem[];
  constructor(fn: string, architecture: Architecture, problems: PackageProblem[]) {
    super(`The ${architecture} package of ${fn} would not run on Lambda: ${describeProblems(problems)}`);
    this.name = 'PackageCheckError';
    this.problems = problems;
  }
}

export function buildDirOf(fn: FunctionSpec, architecture: Architecture, workspace?: string): string {
  return join(workspaceOf(fn, workspace), '.open-runtime', 'build', fn.name, architecture);
}

export function workspaceOf(fn: FunctionSpec, workspace?: string): string {
  return workspace ?? (fn.source?.file ? dirname(fn.source.file) : fn.codeUri);
}

export async function buildFunction(fn: FunctionSpec, architecture: Architecture, opts: BuildOptions = {}): Promise<BuildResult> {
  const log = opts.log ?? (() => undefined);
  const buildDir = buildDirOf(fn, architecture, opts.workspace);
  const staging = join(buildDir, 'package');
  const zipPath = join(buildDir, 'function.zip');
  if (!existsSync(fn.codeUri) || !statSync(fn.codeUri).isDirectory()) {
    throw new BuildError(`The code folder ${fn.codeUri} of ${fn.name} does not exist. Check CodeUri in the template.`);
  }
  // A failed build leaves no package behind: nothing can deploy a stale zip believing it is the new one.
  rmSync(zipPath, { force: true });
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });

  const { kind, produce } = producerFor(fn);
  log(`Building ${fn.name} (${fn.runtime}, ${kind}) for ${architecture} into ${relative(workspaceOf(fn, opts.workspace), buildDir) || buildDir}`);
  const produced: ProducerResult = await produce({ fn, architecture, staging, buildDir, log, signal: opts.signal });
  if (opts.signal?.aborted) throw new BuildCancelledError();

  const files = listFiles(staging);
  if (!files.length) throw new BuildError(`The build of ${fn.name} produced no files.`);
  const zip = writeZip(files);
  const checked = checkPackage(zip, { architecture, runtime: fn.runtime, handler: fn.handler });
  if (checked.problems.length) throw new PackageCheckError(fn.name, architecture, checked.problems);
  writeFileSync(`${zipPath}.partial`, zip);
  renameSync(`${zipPath}.partial`, zipPath);
  const result: BuildResult = {
    function: fn.name,
    architecture,
    zipPath,
    packageDir: staging,
    zippedSize: zip.length,
    unzippedSize: checked.unzippedSize,
    files: files.length,
    codeSha256: createHash('sha256').update(zip).digest('base64'),
    architectureIndependent: produced.architectureIndependent ?? false,
    notes: produced.notes,
    kind,
  };
  for (const note of result.notes) log(note);
  log(
    `Built ${fn.name} for ${architecture}: ${zipPath} (${size(result.zippedSize)} zipped, ${size(result.unzippedSize)} unzipped, ${result.files} ${result.files === 1 ? 'file' : 'files'}; checked: machine types, ${runtimeFamily(fn.runtime) === 'provided' ? 'bootstrap, ' : ''}size limits)`,
  );
  return result;
}

function producerFor(fn: FunctionSpec): { kind: string; produce: PackageProducer } {
  switch (runtimeFamily(fn.runtime)) {
    case 'node':
      return { kind: 'node', produce: buildNode };
    case 'python':
      return { kind: 'python', produce: buildPython };
    case 'wasi':
      return { kind: 'component', produce: buildComponentPackage };
    case 'provided':
      if (isGoFunction(fn.codeUri)) return { kind: 'go', produce: buildGo };
      if (isRustFunction(fn.codeUri)) return { kind: 'cargo', produce: buildRust };
      return { kind: 'copy', produce: async ({ staging }) => (copyCode(fn.codeUri, staging), { notes: [] }) };
  }
}

/** The component runner/build/components.ts builds from the function's source, or the .wasm the Handler names as it is. */
const buildComponentPackage: PackageProducer = async ({ fn, staging, log }) => {
  let wasm = join(fn.codeUri, fn.handler);
  if (fn.component?.build) {
    const { buildComponent, ComponentBuildError } = await import('./components.ts');
    try {
      wasm = (await buildComponent(fn, { log })).output;
    } catch (err) {
      if (err instanceof ComponentBuildError) throw new BuildError(err.message);
      throw err;
    }
  } else if (!fn.handler.endsWith('.wasm') || !existsSync(wasm)) {
    throw new BuildError(
      `${fn.name} is a WASI component without build settings, and its Handler "${fn.handler}" is not an existing .wasm file. Add Metadata.OpenRuntime.component.build, or build the .wasm with your own toolchain first.`,
    );
  }
  const target = join(staging, fn.handler);
  mkdirSync(dirname(target), { recursive: true });
  copyFileSync(wasm, target);
  return { notes: ['WASI components are architecture-independent: the same component serves arm64 and x86_64.'], architectureIndependent: true };
};

function listFiles(root: string, rel = ''): ZipInput[] {
  const out: ZipInput[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const relPath = rel ? `${rel}/${name}` : name;
    const path = join(root, relPath);
    const info = lstatSync(path);
    if (info.isDirectory()) out.push(...listFiles(root, relPath));
    else if (info.isFile()) out.push({ name: relPath, data: readFileSync(path), mode: info.mode & 0o7777 });
  }
  return out;
}

function size(bytes: number): string {
  return bytes >= 1_048_576 ? `${(bytes / 1_048_576).toFixed(1)} MB` : `${(bytes / 1024).toFixed(1)} KB`;
}

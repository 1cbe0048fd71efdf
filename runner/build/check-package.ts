// What makes a zip a deployment package Lambda will run, checked the same way for what `open-runtime build`
// produced, what `open-runtime deploy` is about to upload and what the local control plane receives: every
// ELF file is for the function's architecture, a custom runtime's `bootstrap` is there and executable, the
// handler file exists, and the sizes are within Lambda's limits.
import { runtimeFamily, type Architecture, type Runtime } from '../functions/model.ts';
import { tryParseHandler, type HandlerFamily } from '../functions/handler.ts';
import { architectureOf, readElf } from './elf.ts';
import { readZip, unsafeEntryName, ZipFormatError } from './zip.ts';

/** Lambda's quotas for a .zip deployment package uploaded directly. */
export const MAX_ZIPPED_BYTES = 52_428_800; // 50 MB
export const MAX_UNZIPPED_BYTES = 262_144_000; // 250 MB

export type ProblemKind = 'format' | 'size' | 'architecture' | 'bootstrap' | 'handler';

export interface PackageProblem {
  kind: ProblemKind;
  message: string;
}

export interface PackageFile {
  name: string;
  /** Unix permission bits; 0o644 (or 0o755 for bootstrap, which Lambda then refuses to run) when the zip has none. */
  mode: number;
  hasUnixMode: boolean;
  data: Uint8Array;
}

export interface CheckedPackage {
  files: PackageFile[];
  zippedSize: number;
  unzippedSize: number;
  problems: PackageProblem[];
}

export interface PackageExpectation {
  architecture: Architecture;
  runtime: Runtime;
  handler?: string | undefined;
}

const MB = (n: number) => `${(n / 1_048_576).toFixed(1)} MB`;

/** Reads and checks a package; `problems` is empty when Lambda would accept and start it. */
export function checkPackage(zip: Uint8Array, expect: PackageExpectation): CheckedPackage {
  const result: CheckedPackage = { files: [], zippedSize: zip.length, unzippedSize: 0, problems: [] };
  const problem = (kind: ProblemKind, message: string) => result.problems.push({ kind, message });
  if (zip.length > MAX_ZIPPED_BYTES) {
    problem('size', `The package is ${MB(zip.length)} zipped; Lambda takes at most 50 MB (${MAX_ZIPPED_BYTES} bytes) uploaded directly. Leave out what the function doesn't need at run time (dev dependencies, tests, the AWS SDK, which the Node runtime has) or move large files to a layer or S3.`);
    return result;
  }
  let entries;
  try {
    entries = readZip(zip);
  } catch (err) {
    problem('format', `The package could not be read: ${err instanceof ZipFormatError ? err.message : (err as Error).message}. Upload a .zip file made with zip, the build task or any zip tool.`);
    return result;
  }
  result.unzippedSize = entries.reduce((sum, e) => sum + e.size, 0);
  if (result.unzippedSize > MAX_UNZIPPED_BYTES) {
    problem('size', `The package unzips to ${MB(result.unzippedSize)}; Lambda allows at most 250 MB (${MAX_UNZIPPED_BYTES} bytes) unzipped, layers included. Leave out what the function doesn't need at run time.`);
    return result;
  }
  const wrongArch: string[] = [];
  for (const entry of entries) {
    if (entry.directory) continue;
    if (unsafeEntryName(entry.name)) {
      problem('format', `The package has an entry named "${entry.name}", which points outside the function's folder. Make the zip from inside the folder (cd dist && zip -r ../function.zip .).`);
      continue;
    }
    let data: Uint8Array;
    try {
      data = entry.read();
    } catch (err) {
      problem('format', `The package could not be read: ${(err as Error).message}.`);
      continue;
    }
    const executable = entry.name === 'bootstrap' || entry.name.endsWith('/bootstrap');
    result.files.push({ name: entry.name, mode: entry.mode !== undefined ? entry.mode & 0o7777 : 0o644, hasUnixMode: entry.mode !== undefined, data });
    const elf = readElf(data);
    if (elf) {
      const arch = architectureOf(elf);
      if (arch !== expect.architecture) wrongArch.push(`${entry.name} (${elf.machineName}${elf.bits === 32 ? ', 32-bit' : ''})`);
    } else if (executable && data.length === 0) {
      problem('bootstrap', `${entry.name} is empty.`);
    }
  }
  if (wrongArch.length) {
    const shown = wrongArch.slice(0, 5).join(', ') + (wrongArch.length > 5 ? ` and ${wrongArch.length - 5} more` : '');
    problem('architecture', `The function is ${expect.architecture}, but the package holds native code for another processor: ${shown}. Build it for ${expect.architecture} (open-runtime build <function> --arch ${expect.architecture}), or set the function's architecture to match.`);
  }
  const family = runtimeFamily(expect.runtime);
  if (family === 'provided') {
    const bootstrap = result.files.find((f) => f.name === 'bootstrap');
    if (!bootstrap) {
      problem('bootstrap', `A ${expect.runtime} function needs an executable named "bootstrap" at the top of the package; this one has ${listNames(result.files)}. For Go, build with -o bootstrap; for Rust, name the binary bootstrap.`);
    } else if (!bootstrap.hasUnixMode || (bootstrap.mode & 0o111) === 0) {
      problem('bootstrap', `bootstrap is not executable in the package${bootstrap.hasUnixMode ? '' : ' (the zip has no Unix permissions: was it made on Windows?)'}, so Lambda can't start it. chmod 755 bootstrap before zipping, or build with open-runtime build.`);
    }
  } else if ((family === 'node' || family === 'python') && expect.handler) {
    const missing = missingHandlerFile(result.files.map((f) => f.name), family, expect.handler);
    if (missing) problem('handler', missing);
  }
  return result;
}

function listNames(files: PackageFile[]): string {
  if (!files.length) return 'no files';
  const names = files.slice(0, 5).map((f) => f.name).join(', ');
  return files.length > 5 ? `${names} and ${files.length - 5} more files` : names;
}

/** Lambda looks for the handler module from the package root: `src/app.handler` is src/app.js/.mjs/.cjs or src/app.py. */
function missingHandlerFile(names: string[], family: HandlerFamily, handler: string): string | undefined {
  const parsed = tryParseHandler(handler, family);
  if (!parsed) return `The handler "${handler}" is not "file.function" (e.g. "app.handler").`;
  const candidates = family === 'python' ? [`${parsed.modulePath}.py`, `${parsed.modulePath}/__init__.py`] : ['.js', '.mjs', '.cjs'].map((ext) => parsed.modulePath + ext);
  if (candidates.some((c) => names.includes(c))) return undefined;
  return `The handler is "${handler}", but the package has no ${candidates.join(' or ')}. Check the Handler setting, or build the package with open-runtime build.`;
}

/** One sentence out of several problems, for errors. */
export function describeProblems(problems: PackageProblem[]): string {
  return problems.map((p) => p.message).join(' ');
}

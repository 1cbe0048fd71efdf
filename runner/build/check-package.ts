// What makes a zip a deployment package Lambda will run, checked the same way for what `open-runtime build`
// produced, what `open-runtime deploy` is about to upload and what the local control plane receives: every
// ELF file is for the function's architecture and needs no newer glibc than the runtime's Amazon Linux has, a custom
// runtime's `bootstrap` is there and executable, the handler file exists, and the sizes are within Lambda's limits.
import { chmodSync, closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { runtimeFamily, type Architecture, type Runtime } from '../functions/model.ts';
import { tryParseHandler, type HandlerFamily } from '../functions/handler.ts';
import { architectureOf, hasElfMagic, readElf } from './elf.ts';
import { glibcOfRuntime, glibcTooNew, neededGlibcVersions } from './glibc.ts';
import { readZip, unsafeEntryName, ZipFormatError, type ZipEntry } from './zip.ts';

/** Lambda's quotas for a .zip deployment package uploaded directly. */
export const MAX_ZIPPED_BYTES = 52_428_800; // 50 MB
export const MAX_UNZIPPED_BYTES = 262_144_000; // 250 MB

export type ProblemKind = 'format' | 'size' | 'architecture' | 'glibc' | 'bootstrap' | 'handler';

export interface PackageProblem {
  kind: ProblemKind;
  message: string;
}

export interface PackageFile {
  name: string;
  /** Unix permission bits; 0o644 (or 0o755 for bootstrap, which Lambda then refuses to run) when the zip has none. */
  mode: number;
  hasUnixMode: boolean;
  /** Bytes it really inflated to. */
  size: number;
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

/** The first bytes of each file are kept for the checks that look at content (is it ELF, and for which processor?). */
const HEAD_BYTES = 64;

/**
 * Reads and checks a package; `problems` is empty when Lambda would accept and start it. With `extractTo`, the
 * files are written into that (new) folder as they are inflated; after a problem it holds part of the package,
 * so the caller unpacks into a temporary folder and removes it. Sizes are the bytes really inflated, never the
 * ones the zip declares, and inflating stops at the 250 MB limit.
 */
export function checkPackage(zip: Uint8Array, expect: PackageExpectation, opts: { extractTo?: string } = {}): CheckedPackage {
  const result: CheckedPackage = { files: [], zippedSize: zip.length, unzippedSize: 0, problems: [] };
  const problem = (kind: ProblemKind, message: string) => result.problems.push({ kind, message });
  if (zip.length > MAX_ZIPPED_BYTES) {
    problem(
      'size',
      `The package is ${MB(zip.length)} zipped; Lambda takes at most 50 MB (${MAX_ZIPPED_BYTES} bytes) uploaded directly. Leave out what the function doesn't need at run time (dev dependencies, tests, the AWS SDK, which the Node runtime has) or move large files to a layer or S3.`,
    );
    return result;
  }
  let entries;
  try {
    entries = readZip(zip);
  } catch (err) {
    problem(
      'format',
      `The package could not be read: ${err instanceof ZipFormatError ? err.message : (err as Error).message}. Upload a .zip file made with zip, the build task or any zip tool.`,
    );
    return result;
  }
  const declared = entries.reduce((sum, e) => sum + e.size, 0);
  if (declared > MAX_UNZIPPED_BYTES) {
    result.unzippedSize = declared;
    problem('size', unzippedTooLarge(declared));
    return result;
  }
  const conflict = conflictingEntry(entries);
  if (conflict) {
    problem('format', conflict);
    return result;
  }
  const wrongArch: string[] = [];
  const glibc = glibcOfRuntime(expect.runtime);
  const tooNewGlibc: string[] = [];
  for (const entry of entries) {
    if (unsafeEntryName(entry.name)) {
      problem(
        'format',
        `The package has an entry named "${entry.name}", which points outside the function's folder. Make the zip from inside the folder (cd dist && zip -r ../function.zip .).`,
      );
      continue;
    }
    if (entry.directory) {
      if (opts.extractTo) mkdirSync(join(opts.extractTo, entry.name), { recursive: true });
      continue;
    }
    const mode = entry.mode !== undefined ? entry.mode & 0o7777 : 0o644;
    let head = new Uint8Array(0);
    // An ELF file is kept whole for the glibc check (its version needs are in sections anywhere in the file).
    let whole: Buffer[] | undefined;
    let size = 0;
    let fd: number | undefined;
    const target = opts.extractTo ? join(opts.extractTo, entry.name) : undefined;
    try {
      if (target) {
        mkdirSync(dirname(target), { recursive: true });
        fd = openSync(target, 'wx', 0o600);
      }
      entry.stream((chunk) => {
        size += chunk.length;
        if (result.unzippedSize + size > MAX_UNZIPPED_BYTES) throw new UnzippedTooLarge();
        if (head.length < HEAD_BYTES) {
          head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
          if (glibc && hasElfMagic(head)) whole ??= [];
        }
        whole?.push(Buffer.from(chunk));
        if (fd !== undefined) for (let at = 0; at < chunk.length; ) at += writeSync(fd, chunk, at);
      });
    } catch (err) {
      if (err instanceof UnzippedTooLarge) {
        result.unzippedSize += size;
        problem('size', unzippedTooLarge(result.unzippedSize));
        return result;
      }
      if (!(err instanceof ZipFormatError)) throw err; // the disk, not the package
      problem('format', `The package could not be read: ${err.message}.`);
      return result;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
    if (target) chmodSync(target, mode & 0o777);
    result.unzippedSize += size;
    const executable = entry.name === 'bootstrap' || entry.name.endsWith('/bootstrap');
    result.files.push({ name: entry.name, mode, hasUnixMode: entry.mode !== undefined, size });
    const elf = readElf(head);
    if (elf) {
      const arch = architectureOf(elf);
      if (arch !== expect.architecture) wrongArch.push(`${entry.name} (${elf.machineName}${elf.bits === 32 ? ', 32-bit' : ''})`);
      const tooNew = whole && glibc ? glibcTooNew(neededGlibcVersions(Buffer.concat(whole)), glibc.version) : [];
      if (tooNew.length)
        tooNewGlibc.push(
          `${entry.name} needs ${tooNew
            .slice(0, 3)
            .map((n) => `${n.version}${n.symbols.length ? ` (${n.symbols.slice(0, 3).join(', ')})` : ''}`)
            .join(', ')}`,
        );
    } else if (executable && size === 0) {
      problem('bootstrap', `${entry.name} is empty.`);
    }
  }
  if (wrongArch.length) {
    const shown = wrongArch.slice(0, 5).join(', ') + (wrongArch.length > 5 ? ` and ${wrongArch.length - 5} more` : '');
    problem(
      'architecture',
      `The function is ${expect.architecture}, but the package holds native code for another processor: ${shown}. Build it for ${expect.architecture} (open-runtime build <function> --arch ${expect.architecture}), or set the function's architecture to match.`,
    );
  }
  if (tooNewGlibc.length && glibc) {
    const shown = tooNewGlibc.slice(0, 3).join('; ') + (tooNewGlibc.length > 3 ? `; and ${tooNewGlibc.length - 3} more files` : '');
    problem(
      'glibc',
      `${expect.runtime} runs on ${glibc.os}, whose glibc is ${glibc.version}, but ${shown}: Lambda would fail to load it ("version \`GLIBC_x' not found"). Build it against glibc ${glibc.version} or older (in an ${glibc.os} container, or with cargo zigbuild --target <arch>-unknown-linux-gnu.${glibc.version}), or link it statically (musl, or CGO_ENABLED=0 for Go).`,
    );
  }
  const family = runtimeFamily(expect.runtime);
  if (family === 'provided') {
    const bootstrap = result.files.find((f) => f.name === 'bootstrap');
    if (!bootstrap) {
      problem(
        'bootstrap',
        `A ${expect.runtime} function needs an executable named "bootstrap" at the top of the package; this one has ${listNames(result.files)}. For Go, build with -o bootstrap; for Rust, name the binary bootstrap.`,
      );
    } else if (!bootstrap.hasUnixMode || (bootstrap.mode & 0o111) === 0) {
      problem(
        'bootstrap',
        `bootstrap is not executable in the package${bootstrap.hasUnixMode ? '' : ' (the zip has no Unix permissions: was it made on Windows?)'}, so Lambda can't start it. chmod 755 bootstrap before zipping, or build with open-runtime build.`,
      );
    }
  } else if ((family === 'node' || family === 'python') && expect.handler) {
    const missing = missingHandlerFile(
      result.files.map((f) => f.name),
      family,
      expect.handler,
    );
    if (missing) problem('handler', missing);
  }
  return result;
}

class UnzippedTooLarge extends Error {}

function unzippedTooLarge(bytes: number): string {
  return `The package unzips to ${bytes > MAX_UNZIPPED_BYTES + 1 ? MB(bytes) : 'more than 250 MB'}; Lambda allows at most 250 MB (${MAX_UNZIPPED_BYTES} bytes) unzipped, layers included. Leave out what the function doesn't need at run time.`;
}

/**
 * Two entries that can't both be unpacked: the same path twice (which one would Lambda run?), or a path that is
 * a file in one entry and a folder in another (`lib` and `lib/x.js`).
 */
function conflictingEntry(entries: ZipEntry[]): string | undefined {
  const files = new Set<string>();
  const folders = new Set<string>();
  for (const entry of entries) {
    const path = posix.normalize(entry.name.replace(/\\/g, '/')).replace(/\/+$/, '');
    if (path === '.' || path === '') continue;
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) folders.add(parts.slice(0, i).join('/'));
    if (entry.directory) folders.add(path);
    else if (files.has(path)) return `The package has two entries named "${path}". Make the zip again from one folder (zip -r), so each file is in it once.`;
    else files.add(path);
  }
  for (const path of files) {
    if (folders.has(path)) return `The package has "${path}" both as a file and as a folder. Make the zip again from one folder (zip -r).`;
  }
  return undefined;
}

function listNames(files: PackageFile[]): string {
  if (!files.length) return 'no files';
  const names = files
    .slice(0, 5)
    .map((f) => f.name)
    .join(', ');
  return files.length > 5 ? `${names} and ${files.length - 5} more files` : names;
}

/** Lambda looks for the handler module from the package root: `src/app.handler` is src/app.js/.mjs/.cjs or src/app.py. */
function missingHandlerFile(names: string[], family: HandlerFamily, handler: string): string | undefined {
  const parsed = tryParseHandler(handler, family);
  if (!parsed) return `The handler "${handler}" is not "file.function" (e.g. "app.handler").`;
  const candidates =
    family === 'python' ? [`${parsed.modulePath}.py`, `${parsed.modulePath}/__init__.py`] : ['.js', '.mjs', '.cjs'].map((ext) => parsed.modulePath + ext);
  if (candidates.some((c) => names.includes(c))) return undefined;
  return `The handler is "${handler}", but the package has no ${candidates.join(' or ')}. Check the Handler setting, or build the package with open-runtime build.`;
}

/** One sentence out of several problems, for errors. */
export function describeProblems(problems: PackageProblem[]): string {
  return problems.map((p) => p.message).join(' ');
}

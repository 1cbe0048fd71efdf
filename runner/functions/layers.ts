// Where a layer's files are on this machine. A layer is a folder, or a .zip (what `sam build`, CDK and the
// Serverless Framework package, and what Lambda itself takes): a zip is unpacked once into
// `<project>/.open-runtime/layers/<content hash>/`, so the same bytes are unpacked once and a changed zip gets a
// fresh folder. A published layer's ARN is kept on the function and fetched at its cold start (layer-fetch.ts),
// into the user's cache by the same unpacker.
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash, randomBytes } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { readZip, unsafeEntryName, ZipFormatError } from '../build/zip.ts';
import { checkCodeFolder, type Problem } from './check-settings.ts';

/** A layer's content setting (ContentUri, Content, path): its folder, a zip's unpacked folder, or a Problem. */
export function layerFolder(value: unknown, setting: string, baseDir: string, line: number, problems: Problem[]): string | undefined {
  if (typeof value === 'string' && /\.zip$/i.test(value.trim())) {
    const zip = resolve(baseDir, value.trim());
    if (!existsSync(zip)) {
      problems.push({ line, text: `has ${setting} "${value}", but ${zip} doesn't exist. Build the layer (e.g. sam build) or fix the path.` });
      return undefined;
    }
    try {
      return unpackLayerZip(zip, join(baseDir, '.open-runtime', 'layers'));
    } catch (err) {
      const why = err instanceof ZipFormatError ? err.message : (err as Error).message;
      problems.push({
        line,
        text: `has ${setting} "${value}", which could not be unpacked: ${why}. Rebuild the zip, or point ${setting} at the layer's folder.`,
      });
      return undefined;
    }
  }
  return checkCodeFolder(value, setting, baseDir, line, problems);
}

/** Whether a Layers entry is a published layer version's ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION). */
export function isLayerArn(value: unknown): value is string {
  return typeof value === 'string' && /^arn:[^:]+:lambda:[^:]*:[^:]*:layer:/.test(value);
}

/** Unpacks a zip layer into `cacheDir/<hash>` unless that folder is there already; returns the folder. */
export function unpackLayerZip(zip: string, cacheDir: string): string {
  return unpackLayerBytes(readFileSync(zip), cacheDir);
}

/**
 * A layer zip's bytes unpacked into `cacheDir/<hash of the bytes>` (content-addressed: the same bytes, from a
 * project's zip or a published layer, are unpacked once); returns the folder.
 */
export function unpackLayerBytes(bytes: Buffer, cacheDir: string): string {
  const folder = join(cacheDir, createHash('sha256').update(bytes).digest('hex').slice(0, 24));
  if (existsSync(folder)) return folder;
  // Unpacked beside, then renamed: a runner stopped half-way, or two runners at once, never leave half a layer.
  const staging = `${folder}.${randomBytes(4).toString('hex')}.partial`;
  mkdirSync(staging, { recursive: true });
  try {
    const links: Array<{ path: string; target: string }> = [];
    for (const entry of readZip(bytes)) {
      if (unsafeEntryName(entry.name)) throw new ZipFormatError(`the entry ${entry.name} would land outside the layer's folder`);
      const path = join(staging, entry.name);
      if (entry.directory) {
        mkdirSync(path, { recursive: true });
        continue;
      }
      mkdirSync(dirname(path), { recursive: true });
      if (entry.mode !== undefined && (entry.mode & 0o170000) === 0o120000) {
        // Symbolic links (a library's .so names) last, so that no file is ever written through one.
        links.push({ path, target: Buffer.from(entry.read()).toString('utf8') });
        continue;
      }
      writeFileSync(path, entry.read());
      // Lambda keeps a zip's permission bits (an executable in bin/ stays executable); without them, 0644.
      chmodSync(path, entry.mode !== undefined ? entry.mode & 0o777 : 0o644);
    }
    for (const link of links) symlinkSync(link.target, link.path);
    mkdirSync(cacheDir, { recursive: true });
    renameSync(staging, folder);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    if (existsSync(folder)) return folder; // another runner finished the same layer first
    throw err;
  }
  return folder;
}

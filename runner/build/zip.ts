// Deployment packages: writing the zip a build produces and reading the zips people upload (the AWS CLI's
// `fileb://`, Terraform, `zip -r`). fflate does the (de)compression; the central directory is read here
// because it holds what fflate's unzip does not expose: each entry's Unix mode (is `bootstrap` executable?)
// and its sizes before anything is inflated. Those sizes are only claims: entries are inflated a slice at a time
// and held to them, so a package can't be bigger than it says, nor truncated to look smaller.
import { crc32 } from 'node:zlib';
import { Inflate, zipSync, type Zippable } from 'fflate';

export interface ZipInput {
  /** Path inside the zip, with forward slashes. */
  name: string;
  data: Uint8Array;
  /** Unix permission bits, e.g. 0o755. */
  mode: number;
}

/** A fixed timestamp makes the same files give the same zip, so an unchanged build keeps its CodeSha256. */
const FIXED_MTIME = new Date('1980-01-02T00:00:00Z');

export function writeZip(files: ZipInput[]): Uint8Array {
  const tree: Zippable = {};
  for (const file of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    // Already-compressed files (.zip, .gz, images) gain nothing from deflate; level 0 keeps them as they are.
    const level = /\.(zip|gz|tgz|jar|png|jpe?g|woff2?)$/i.test(file.name) ? 0 : 6;
    tree[file.name] = [file.data, { os: 3, attrs: ((0o100000 | (file.mode & 0o7777)) << 16) >>> 0, mtime: FIXED_MTIME, level }];
  }
  return zipSync(tree);
}

export interface ZipEntry {
  name: string;
  /** Unix mode bits (type and permissions) when the zip was made on Unix; undefined otherwise. */
  mode: number | undefined;
  directory: boolean;
  compressedSize: number;
  /** The size the central directory declares: a claim, which stream() holds the entry to. */
  size: number;
  /**
   * Inflates this entry a slice at a time, handing each piece of output to `sink`, so that memory stays bounded
   * whatever the entry claims. Throws ZipFormatError when the entry inflates to more or fewer bytes than it
   * declares, fails its CRC-32, or is not valid deflate data.
   */
  stream(sink: (chunk: Uint8Array) => void): void;
  /** The whole inflated entry, in memory (for the small files of tests and builds). */
  read(): Uint8Array;
}

export class ZipFormatError extends Error {}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Compressed bytes inflated per step: deflate expands at most ~1032:1, so one step makes at most ~1 MB. */
const INFLATE_SLICE = 1024;
/**
 * Each step's output is a new buffer, dead at once; V8 frees such buffers only when a collection runs, and it
 * starts one for outside memory only every ~64 MB. Where the runner can (it runs with --expose-gc), a young-generation
 * collection every 2 MB of output frees them (~0.1 ms each), so unpacking 200 MB grows the runner by ~20 MB, not 200.
 */
const COLLECT_EVERY = 2 * 1_048_576;
const collectYoung = (globalThis as { gc?: (options: { type: 'minor' }) => void }).gc;

/** Lists a zip's entries from its central directory, without inflating anything. */
export function readZip(zip: Uint8Array): ZipEntry[] {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  // The end record sits in the last 22 bytes plus a comment of at most 65535 bytes.
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (view.getUint32(i, true) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipFormatError('it is not a zip file (no end of central directory record)');
  const count = view.getUint16(eocd + 10, true);
  let offset = view.getUint32(eocd + 16, true);
  if (count === 0xffff || offset === 0xffffffff) throw new ZipFormatError('it is a ZIP64 archive, which is larger than any Lambda deployment package can be');
  const entries: ZipEntry[] = [];
  const decoder = new TextDecoder();
  for (let n = 0; n < count; n++) {
    if (offset + 46 > zip.length || view.getUint32(offset, true) !== CENTRAL) throw new ZipFormatError('its central directory is damaged');
    const madeBy = view.getUint16(offset + 4, true) >> 8;
    const method = view.getUint16(offset + 10, true);
    const crc = view.getUint32(offset + 16, true);
    const compressedSize = view.getUint32(offset + 20, true);
    const size = view.getUint32(offset + 24, true);
    const nameLength = view.getUint16(offset + 28, true);
    const extraLength = view.getUint16(offset + 30, true);
    const commentLength = view.getUint16(offset + 32, true);
    const external = view.getUint32(offset + 38, true);
    const localOffset = view.getUint32(offset + 42, true);
    if (offset + 46 + nameLength > zip.length) throw new ZipFormatError('its central directory is damaged');
    const name = decoder.decode(zip.subarray(offset + 46, offset + 46 + nameLength));
    offset += 46 + nameLength + extraLength + commentLength;
    const unixMode = madeBy === 3 || madeBy === 19 ? external >>> 16 : undefined;
    const directory = name.endsWith('/') || (unixMode !== undefined && (unixMode & 0o170000) === 0o040000);
    const raw = (): Uint8Array => {
      if (localOffset + 30 > zip.length || view.getUint32(localOffset, true) !== LOCAL) throw new ZipFormatError(`the entry ${name} is damaged`);
      const start = localOffset + 30 + view.getUint16(localOffset + 26, true) + view.getUint16(localOffset + 28, true);
      if (start + compressedSize > zip.length) throw new ZipFormatError(`the entry ${name} runs past the end of the file`);
      return zip.subarray(start, start + compressedSize);
    };
    const stream = (sink: (chunk: Uint8Array) => void): void => {
      let produced = 0;
      let sum = 0;
      let collected = 0;
      const take = (chunk: Uint8Array) => {
        produced += chunk.length;
        if (collectYoung && produced - collected > COLLECT_EVERY) {
          collected = produced;
          collectYoung({ type: 'minor' });
        }
        // Never trust the declared size: stop inflating the moment the entry passes it.
        if (produced > size) throw new ZipFormatError(`the entry ${name} inflates to more than the ${size} bytes its central directory declares`);
        sum = crc32(chunk, sum);
        sink(chunk);
      };
      const data = raw();
      if (method === 0) take(data);
      else if (method === 8) {
        const inflater = new Inflate((chunk) => take(chunk));
        try {
          if (data.length === 0) inflater.push(data, true);
          for (let at = 0; at < data.length; at += INFLATE_SLICE) inflater.push(data.subarray(at, at + INFLATE_SLICE), at + INFLATE_SLICE >= data.length);
        } catch (err) {
          if (err instanceof ZipFormatError) throw err;
          throw new ZipFormatError(`the entry ${name} is not valid deflate data (${(err as Error).message})`);
        }
      } else throw new ZipFormatError(`the entry ${name} uses compression method ${method}; use deflate (what zip and every build tool use)`);
      if (produced !== size) throw new ZipFormatError(`the entry ${name} declares ${size} bytes but holds ${produced}`);
      if (sum >>> 0 !== crc) throw new ZipFormatError(`the entry ${name} fails its CRC-32 check`);
    };
    entries.push({
      name,
      mode: unixMode || undefined,
      directory,
      compressedSize,
      size,
      stream,
      read: () => {
        const chunks: Uint8Array[] = [];
        stream((chunk) => chunks.push(chunk));
        return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      },
    });
  }
  return entries;
}

/** A zip entry name that would land outside the folder it is unpacked into (zip-slip), or is absolute. */
export function unsafeEntryName(name: string): boolean {
  return name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.split(/[\\/]/).includes('..');
}

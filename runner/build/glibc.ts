// Which glibc a native binary needs, read from its ELF version-needs section (.gnu.version_r): the check that a
// binary built on a newer Linux than Lambda's (Debian 12 and Ubuntu 24.04 have glibc 2.36+, Amazon Linux 2023 has
// 2.34, Amazon Linux 2 has 2.26) is refused at build time, naming the binary and the symbols, instead of dying at cold
// start with "version `GLIBC_2.36' not found". Static and musl binaries need no glibc version and pass.
import type { Runtime } from '../functions/model.ts';
import { hasElfMagic } from './elf.ts';

/** The glibc of the Amazon Linux each runtime runs on (Lambda's runtimes page). */
export function glibcOfRuntime(runtime: Runtime): { version: string; os: string } | undefined {
  if (runtime === 'wasi') return undefined;
  const al2023 = { version: '2.34', os: 'Amazon Linux 2023' };
  const al2 = { version: '2.26', os: 'Amazon Linux 2' };
  if (runtime === 'provided.al2023') return al2023;
  if (runtime === 'provided.al2') return al2;
  if (runtime === 'provided') return { version: '2.17', os: 'Amazon Linux' };
  const node = /^nodejs(\d+)\.x$/.exec(runtime);
  if (node) return Number(node[1]) >= 20 ? al2023 : al2;
  const python = /^python3\.(\d+)$/.exec(runtime);
  if (python) return Number(python[1]) >= 12 ? al2023 : al2;
  return undefined;
}

/** A versioned symbol a binary needs: `arc4random` from `GLIBC_2.36` in libc.so.6. */
export interface NeededVersion {
  library: string;
  version: string;
  symbols: string[];
}

const SHT_DYNSYM = 11;
const SHT_GNU_VERNEED = 0x6ffffffe;
const SHT_GNU_VERSYM = 0x6fffffff;

/**
 * The GLIBC_x.y versions a 64- or 32-bit ELF file needs, with the dynamic symbols bound to each; [] for a static or
 * musl binary, or bytes that are not a well-formed ELF file (its architecture is checked elsewhere).
 */
export function neededGlibcVersions(bytes: Uint8Array): NeededVersion[] {
  try {
    return readNeeded(bytes).filter((n) => n.version.startsWith('GLIBC_'));
  } catch {
    return []; // a truncated or odd file: not ours to judge here
  }
}

function readNeeded(bytes: Uint8Array): NeededVersion[] {
  if (bytes.length < 52 || !hasElfMagic(bytes)) return [];
  const is64 = bytes[4] === 2;
  const little = bytes[5] !== 2;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (at: number) => view.getUint16(at, little);
  const u32 = (at: number) => view.getUint32(at, little);
  const addr = (at: number) => (is64 ? Number(view.getBigUint64(at, little)) : u32(at));
  const shoff = addr(is64 ? 0x28 : 0x20);
  const shentsize = u16(is64 ? 0x3a : 0x2e);
  const shnum = u16(is64 ? 0x3c : 0x30);
  if (!shoff || !shnum) return [];
  interface Section {
    type: number;
    offset: number;
    size: number;
    link: number;
    entsize: number;
    info: number;
  }
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    sections.push({
      type: u32(at + 4),
      offset: addr(at + (is64 ? 0x18 : 0x10)),
      size: addr(at + (is64 ? 0x20 : 0x14)),
      link: u32(at + (is64 ? 0x28 : 0x18)),
      info: u32(at + (is64 ? 0x2c : 0x1c)),
      entsize: addr(at + (is64 ? 0x38 : 0x24)),
    });
  }
  const verneed = sections.find((s) => s.type === SHT_GNU_VERNEED);
  if (!verneed) return [];
  const strings = sections[verneed.link];
  if (!strings) return [];
  const text = (offset: number) => {
    const start = strings.offset + offset;
    let end = start;
    while (end < bytes.length && bytes[end] !== 0) end++;
    return Buffer.from(bytes.subarray(start, end)).toString('latin1');
  };
  // Each needed library, then its needed versions; `other` is the index symbols use to name the version.
  const byIndex = new Map<number, NeededVersion>();
  let entry = verneed.offset;
  for (let n = 0; n < verneed.info && entry < bytes.length; n++) {
    const count = u16(entry + 2);
    const library = text(u32(entry + 4));
    let aux = entry + u32(entry + 8);
    for (let a = 0; a < count; a++) {
      byIndex.set(u16(aux + 6), { library, version: text(u32(aux + 8)), symbols: [] });
      const next = u32(aux + 12);
      if (!next) break;
      aux += next;
    }
    const next = u32(entry + 12);
    if (!next) break;
    entry += next;
  }
  // Which dynamic symbols use each version (.gnu.version holds one index per .dynsym entry).
  const versym = sections.find((s) => s.type === SHT_GNU_VERSYM);
  const dynsym = sections.find((s) => s.type === SHT_DYNSYM);
  if (versym && dynsym && dynsym.entsize) {
    const names = sections[dynsym.link];
    const count = Math.floor(dynsym.size / dynsym.entsize);
    for (let i = 1; i < count; i++) {
      const needed = byIndex.get(u16(versym.offset + i * 2) & 0x7fff);
      if (!needed || !names) continue;
      const nameAt = u32(dynsym.offset + i * dynsym.entsize);
      const start = names.offset + nameAt;
      let end = start;
      while (end < bytes.length && bytes[end] !== 0) end++;
      needed.symbols.push(Buffer.from(bytes.subarray(start, end)).toString('latin1'));
    }
  }
  return [...byIndex.values()];
}

/** -1, 0, 1 comparing dotted versions (2.34 < 2.36, 2.9 < 2.17). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return Math.sign(d);
  }
  return 0;
}

/** The versions above what the runtime's glibc has, newest first, e.g. GLIBC_2.36 (arc4random). */
export function glibcTooNew(needed: NeededVersion[], available: string): NeededVersion[] {
  return needed
    .filter((n) => compareVersions(n.version.slice('GLIBC_'.length), available) > 0)
    .sort((a, b) => compareVersions(b.version.slice(6), a.version.slice(6)));
}

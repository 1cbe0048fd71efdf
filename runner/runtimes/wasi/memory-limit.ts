// Caps the linear memory a core WebAssembly module may grow to. A component's memory is defined inside its
// core modules, so the host can't set a maximum from outside (and worker resourceLimits don't count wasm
// memory): the memory section's limits are rewritten before compiling. A guest growing past the cap traps
// (grow-or-trap.ts: a failed `memory.grow` would hand C code a NULL it writes through, spinning until the
// Timeout), and never gets the host's memory.
import { leb as writeU32, trapOnFailedGrow } from './grow-or-trap.ts';

export const WASM_PAGE = 64 * 1024;

export interface LimitedModule {
  bytes: Uint8Array;
  /** Initial size, in pages, of each memory the module defines. */
  initialPages: number[];
}

export class MemoryLimitError extends Error {}

/**
 * Rewrites every memory the module defines to grow to at most `maxPages` pages (imported memories are capped where
 * they are defined), and makes growing past that a trap.
 */
export function limitMemory(bytes: Uint8Array, maxPages: number): LimitedModule {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new MemoryLimitError('not a WebAssembly module');
  }
  let offset = 8;
  while (offset < bytes.length) {
    const id = bytes[offset]!;
    const size = readU32(bytes, offset + 1);
    const contentStart = offset + 1 + size.length;
    const contentEnd = contentStart + size.value;
    if (contentEnd > bytes.length) throw new MemoryLimitError('a section runs past the end of the module');
    if (id === 5) {
      const { content, initialPages } = rewriteMemorySection(bytes.subarray(contentStart, contentEnd), maxPages);
      const header = [5, ...writeU32(content.length)];
      const out = new Uint8Array(offset + header.length + content.length + (bytes.length - contentEnd));
      out.set(bytes.subarray(0, offset), 0);
      out.set(header, offset);
      out.set(content, offset + header.length);
      out.set(bytes.subarray(contentEnd), offset + header.length + content.length);
      return { bytes: trapOnFailedGrow(out), initialPages };
    }
    offset = contentEnd;
  }
  return { bytes: trapOnFailedGrow(bytes), initialPages: [] };
}

function rewriteMemorySection(section: Uint8Array, maxPages: number): { content: Uint8Array; initialPages: number[] } {
  const count = readU32(section, 0);
  let at = count.length;
  const out: number[] = [...writeU32(count.value)];
  const initialPages: number[] = [];
  for (let i = 0; i < count.value; i++) {
    const flags = section[at++]!;
    const min = readU32(section, at);
    at += min.length;
    let max: number | undefined;
    if (flags & 1) {
      const m = readU32(section, at);
      at += m.length;
      max = m.value;
    }
    initialPages.push(min.value);
    // Shared (0x02) and 64-bit (0x04) memories keep their limits: no component toolchain emits them today.
    if (flags & 0x06) {
      out.push(flags, ...writeU32(min.value), ...(max !== undefined ? writeU32(max) : []));
      continue;
    }
    const capped = Math.max(min.value, Math.min(max ?? Infinity, maxPages));
    out.push(flags | 1, ...writeU32(min.value), ...writeU32(capped));
  }
  return { content: Uint8Array.from([...out, ...section.subarray(at)]), initialPages };
}

function readU32(bytes: Uint8Array, offset: number): { value: number; length: number } {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 5; i++) {
    const byte = bytes[offset + i];
    if (byte === undefined) throw new MemoryLimitError('truncated LEB128 number');
    value += (byte & 0x7f) * 2 ** shift;
    if (!(byte & 0x80)) return { value, length: i + 1 };
    shift += 7;
  }
  throw new MemoryLimitError('LEB128 number too long');
}

// A guest that grows its linear memory past MemorySize traps at once, as a Lambda function past its memory is
// killed at once. Capping the memory (memory-limit.ts) alone makes `memory.grow` return -1, and code written for
// Linux (where malloc never fails) then writes through the NULL it got: address 0 is valid linear memory in
// WebAssembly, so the guest overwrites its own heap and data, and typically spins until the Timeout. Every
// `memory.grow` of the module's first memory is rewritten into a call to an added function that grows, and
// traps when the growth failed; run-guest.ts reports a trap at the cap as Runtime.OutOfMemory.
//
// Rewriting needs every instruction decoded (to find the opcode, not a byte that looks like it): a module using
// an instruction this decoder doesn't know (the GC proposal, say) is left as it is, with the -1 behaviour.

class Unsupported extends Error {}

/** The added function's name in the module's name section, so a trap's stack says the memory cap was hit. */
export const GROW_PAST_MEMORY_SIZE = 'open_runtime_grow_past_memory_size';
const NAME = new TextEncoder().encode('name');

interface Section {
  id: number;
  /** Where its id byte is (its size may be a padded LEB128, so the header is copied as it was). */
  headerStart: number;
  start: number;
  end: number;
}

/** The module with trapping growth, or the same bytes when it never grows memory or can't be decoded here. */
export function trapOnFailedGrow(bytes: Uint8Array): Uint8Array {
  try {
    return rewrite(bytes);
  } catch (error) {
    if (error instanceof Unsupported) return bytes;
    throw error;
  }
}

function rewrite(bytes: Uint8Array): Uint8Array {
  const sections: Section[] = [];
  const reader = new Reader(bytes, 8);
  while (reader.at < bytes.length) {
    const headerStart = reader.at;
    const id = reader.byte();
    const size = reader.u32();
    const start = reader.at;
    reader.at += size;
    if (reader.at > bytes.length) throw new Unsupported('section past the end');
    sections.push({ id, headerStart, start, end: reader.at });
  }
  const find = (id: number) => sections.find((s) => s.id === id);
  const typeSection = find(1);
  const functionSection = find(3);
  const codeSection = find(10);
  if (!typeSection || !functionSection || !codeSection) return bytes;

  const typeCount = countFuncTypes(bytes, typeSection);
  const importedFunctions = find(2) ? countImportedFunctions(bytes, find(2)!) : 0;
  const definedFunctions = new Reader(bytes, functionSection.start).u32();
  const helperIndex = importedFunctions + definedFunctions;
  const call = Uint8Array.from([0x10, ...leb(helperIndex)]);

  // The code section, body by body, with every `memory.grow 0` replaced by a call to the helper.
  const code = new Reader(bytes, codeSection.start);
  const bodyCount = code.u32();
  // Each body as the pieces it is made of (slices of the original and the calls), never copied byte by byte.
  const bodies: Uint8Array[][] = [];
  let grows = 0;
  for (let i = 0; i < bodyCount; i++) {
    const size = code.u32();
    const end = code.at + size;
    const body = new Reader(bytes, code.at);
    const locals = body.u32();
    for (let l = 0; l < locals; l++) {
      body.u32();
      valType(body);
    }
    const pieces: Uint8Array[] = [];
    let copied = code.at;
    while (body.at < end) {
      const at = body.at;
      if (bytes[at] === 0x40 && bytes[at + 1] === 0x00) {
        pieces.push(bytes.subarray(copied, at), call);
        body.at = at + 2;
        copied = body.at;
        grows++;
        continue;
      }
      instruction(body);
    }
    if (body.at !== end) throw new Unsupported('a body ends inside an instruction');
    pieces.push(bytes.subarray(copied, end));
    bodies.push(pieces);
    code.at = end;
  }
  if (!grows) return bytes;

  // (func (param i32) (result i32) (local i32)
  //   local.get 0  memory.grow 0  local.tee 1  i32.const -1  i32.eq  if  unreachable  end  local.get 1)
  bodies.push([Uint8Array.from([0x01, 0x01, 0x7f, 0x20, 0x00, 0x40, 0x00, 0x22, 0x01, 0x41, 0x7f, 0x46, 0x04, 0x40, 0x00, 0x0b, 0x20, 0x01, 0x0b])]);

  const replaced = new Map<number, Uint8Array[]>();
  replaced.set(1, [Uint8Array.from(leb(typeCount + 1)), afterCount(bytes, typeSection), Uint8Array.from([0x60, 0x01, 0x7f, 0x01, 0x7f])]);
  replaced.set(3, [Uint8Array.from(leb(definedFunctions + 1)), afterCount(bytes, functionSection), Uint8Array.from(leb(typeCount))]);
  replaced.set(10, [Uint8Array.from(leb(bodies.length)), ...bodies.flatMap((pieces) => [Uint8Array.from(leb(length(pieces))), ...pieces])]);

  const parts: Uint8Array[] = [bytes.subarray(0, 8)];
  let named = false;
  for (const section of sections) {
    let content = section.id !== 0 ? replaced.get(section.id) : undefined;
    if (section.id === 0 && isNameSection(bytes, section)) {
      content = withHelperName(bytes, section, helperIndex);
      named = true;
    }
    if (content) parts.push(Uint8Array.from([section.id, ...leb(length(content))]), ...content);
    else parts.push(bytes.subarray(section.headerStart, section.end));
  }
  if (!named) {
    const content = [Uint8Array.from([...leb(NAME.length), ...NAME]), ...functionNames(undefined, helperIndex)];
    parts.push(Uint8Array.from([0, ...leb(length(content))]), ...content);
  }
  const result = new Uint8Array(length(parts));
  let offset = 0;
  for (const part of parts) {
    result.set(part, offset);
    offset += part.length;
  }
  return result;
}

function length(pieces: readonly Uint8Array[]): number {
  return pieces.reduce((sum, piece) => sum + piece.length, 0);
}

function isNameSection(bytes: Uint8Array, section: Section): boolean {
  const reader = new Reader(bytes, section.start);
  const length = reader.u32();
  return length === NAME.length && NAME.every((byte, i) => bytes[reader.at + i] === byte);
}

/** Subsection 1 (function names) with the helper's name appended: it has the highest index, so the order holds. */
function functionNames(entries: Uint8Array | undefined, helperIndex: number): Uint8Array[] {
  const name = new TextEncoder().encode(GROW_PAST_MEMORY_SIZE);
  let count = 0;
  let rest: Uint8Array = new Uint8Array(0);
  if (entries) {
    const reader = new Reader(entries, 0);
    count = reader.u32();
    rest = entries.subarray(reader.at);
  }
  const content = [Uint8Array.from(leb(count + 1)), rest, Uint8Array.from([...leb(helperIndex), ...leb(name.length), ...name])];
  return [Uint8Array.from([0x01, ...leb(length(content))]), ...content];
}

/** The name section's content with the helper named (subsections stay in id order: module 0, functions 1, ...). */
function withHelperName(bytes: Uint8Array, section: Section, helperIndex: number): Uint8Array[] {
  const reader = new Reader(bytes, section.start);
  const nameLength = reader.u32();
  reader.at += nameLength;
  const out: Uint8Array[] = [bytes.subarray(section.start, reader.at)];
  let done = false;
  while (reader.at < section.end) {
    const start = reader.at;
    const id = reader.byte();
    const size = reader.u32();
    const end = reader.at + size;
    if (id === 1) {
      out.push(...functionNames(bytes.subarray(reader.at, end), helperIndex));
      done = true;
    } else {
      if (id > 1 && !done) {
        out.push(...functionNames(undefined, helperIndex));
        done = true;
      }
      out.push(bytes.subarray(start, end));
    }
    reader.at = end;
  }
  if (!done) out.push(...functionNames(undefined, helperIndex));
  return out;
}

/** Function types only (no GC rec groups): their count is the next type index. */
function countFuncTypes(bytes: Uint8Array, section: Section): number {
  const reader = new Reader(bytes, section.start);
  const count = reader.u32();
  for (let i = 0; i < count; i++) {
    if (reader.byte() !== 0x60) throw new Unsupported('a type that is not a function type');
    for (let list = 0; list < 2; list++) {
      const n = reader.u32();
      for (let v = 0; v < n; v++) valType(reader);
    }
  }
  return count;
}

function countImportedFunctions(bytes: Uint8Array, section: Section): number {
  const reader = new Reader(bytes, section.start);
  const count = reader.u32();
  let functions = 0;
  for (let i = 0; i < count; i++) {
    for (let name = 0; name < 2; name++) {
      const length = reader.u32(); // read before `at` is: `at += u32()` would add to the old position
      reader.at += length;
    }
    const kind = reader.byte();
    if (kind === 0x00) {
      reader.u32();
      functions++;
    } else if (kind === 0x01) {
      valType(reader);
      limits(reader);
    } else if (kind === 0x02) {
      limits(reader);
    } else if (kind === 0x03) {
      valType(reader);
      reader.byte();
    } else if (kind === 0x04) {
      reader.byte();
      reader.u32();
    } else {
      throw new Unsupported(`import kind ${kind}`);
    }
  }
  return functions;
}

function limits(reader: Reader): void {
  const flags = reader.byte();
  reader.leb();
  if (flags & 1) reader.leb();
}

function valType(reader: Reader): void {
  const type = reader.byte();
  if (type === 0x63 || type === 0x64) reader.leb();
}

function blockType(reader: Reader): void {
  const first = reader.bytes[reader.at]!;
  if (first >= 0x40 && first <= 0x7f) valType(reader);
  else reader.leb();
}

function memarg(reader: Reader): void {
  const align = reader.u32();
  if (align & 0x40) reader.u32();
  reader.leb();
}

/** Steps over one instruction and its immediates. */
function instruction(reader: Reader): void {
  const op = reader.byte();
  if (op <= 0x01 || op === 0x05 || op === 0x0a || op === 0x0b || op === 0x0f || op === 0x19 || op === 0x1a || op === 0x1b) return;
  if (op >= 0x02 && op <= 0x04) return blockType(reader);
  if (op === 0x06) return blockType(reader);
  if ((op >= 0x07 && op <= 0x09) || op === 0x0c || op === 0x0d || op === 0x10 || op === 0x12 || op === 0x14 || op === 0x15 || op === 0x18)
    return void reader.u32();
  if (op === 0x0e) {
    const n = reader.u32();
    for (let i = 0; i <= n; i++) reader.u32();
    return;
  }
  if (op === 0x11 || op === 0x13) {
    reader.u32();
    reader.u32();
    return;
  }
  if (op === 0x1c) {
    const n = reader.u32();
    for (let i = 0; i < n; i++) valType(reader);
    return;
  }
  if (op === 0x1f) {
    blockType(reader);
    const n = reader.u32();
    for (let i = 0; i < n; i++) {
      const kind = reader.byte();
      if (kind <= 0x01) reader.u32();
      reader.u32();
    }
    return;
  }
  if (op >= 0x20 && op <= 0x26) return void reader.u32();
  if (op >= 0x28 && op <= 0x3e) return memarg(reader);
  if (op === 0x3f || op === 0x40) return void reader.u32();
  if (op === 0x41 || op === 0x42) return void reader.leb();
  if (op === 0x43) return void (reader.at += 4);
  if (op === 0x44) return void (reader.at += 8);
  if (op >= 0x45 && op <= 0xc4) return;
  if (op === 0xd0) return void reader.leb();
  if (op === 0xd1 || op === 0xd3 || op === 0xd4) return;
  if (op === 0xd2 || op === 0xd5 || op === 0xd6) return void reader.u32();
  if (op === 0xfc) return prefixedFC(reader);
  if (op === 0xfd) return prefixedSimd(reader);
  if (op === 0xfe) return prefixedAtomic(reader);
  throw new Unsupported(`opcode 0x${op.toString(16)}`);
}

function prefixedFC(reader: Reader): void {
  const sub = reader.u32();
  if (sub <= 7) return;
  const immediates: Record<number, number> = { 8: 2, 9: 1, 10: 2, 11: 1, 12: 2, 13: 1, 14: 2, 15: 1, 16: 1, 17: 1 };
  const n = immediates[sub];
  if (n === undefined) throw new Unsupported(`0xfc ${sub}`);
  for (let i = 0; i < n; i++) reader.u32();
}

function prefixedSimd(reader: Reader): void {
  const sub = reader.u32();
  if (sub <= 0x0b || sub === 0x5c || sub === 0x5d) return memarg(reader);
  if (sub === 0x0c || sub === 0x0d) return void (reader.at += 16);
  if (sub >= 0x15 && sub <= 0x22) return void (reader.at += 1);
  if (sub >= 0x54 && sub <= 0x5b) {
    memarg(reader);
    reader.at += 1;
    return;
  }
  if (sub <= 0x113) return;
  throw new Unsupported(`0xfd ${sub}`);
}

function prefixedAtomic(reader: Reader): void {
  const sub = reader.u32();
  if (sub === 0x03) return void (reader.at += 1);
  if (sub <= 0x02 || (sub >= 0x10 && sub <= 0x4e)) return memarg(reader);
  throw new Unsupported(`0xfe ${sub}`);
}

class Reader {
  readonly bytes: Uint8Array;
  at: number;
  constructor(bytes: Uint8Array, at: number) {
    this.bytes = bytes;
    this.at = at;
  }
  byte(): number {
    const value = this.bytes[this.at++];
    if (value === undefined) throw new Unsupported('past the end');
    return value;
  }
  /** An unsigned 32-bit LEB128. */
  u32(): number {
    let value = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      value += (byte & 0x7f) * 2 ** shift;
      if (!(byte & 0x80)) return value;
      shift += 7;
      if (shift > 35) throw new Unsupported('LEB128 too long');
    }
  }
  /** Skips any LEB128 (signed or unsigned, up to 64 bits). */
  leb(): void {
    for (let i = 0; i < 10; i++) if (!(this.byte() & 0x80)) return;
    throw new Unsupported('LEB128 too long');
  }
}

/** An unsigned LEB128 number, as the binary format writes counts, sizes and indices (memory-limit.ts too). */
export function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value & 0x7f;
    value = Math.floor(value / 128);
    if (value) byte |= 0x80;
    out.push(byte);
  } while (value);
  return out;
}

/** A vector section's entries, after its count. */
function afterCount(bytes: Uint8Array, section: Section): Uint8Array {
  const reader = new Reader(bytes, section.start);
  reader.u32();
  return bytes.subarray(reader.at, section.end);
}

// Which processor an executable or shared library was built for, read from its ELF header: the check that
// an "arm64" package really holds arm64 code (a dependency installed for the build machine instead of the
// target is the classic way to ship a package that dies with "Exec format error" or "invalid ELF header").
import type { Architecture } from '../functions/model.ts';

/** e_machine values (System V ABI) of the processors Lambda has, and a few that show up by mistake. */
const MACHINES: Record<number, string> = {
  3: 'x86 (32-bit)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC 64',
  22: 's390',
  40: 'ARM (32-bit)',
  62: 'x86_64',
  183: 'arm64',
  243: 'RISC-V',
};

export const MACHINE_OF: Record<Architecture, number> = { x86_64: 62, arm64: 183 };

export interface ElfInfo {
  machine: number;
  /** Readable name: `x86_64`, `arm64`, `ARM (32-bit)`, or `machine 0xNN`. */
  machineName: string;
  bits: 32 | 64;
}

/** Whether the bytes start with ELF's magic number (\x7fELF). */
export function hasElfMagic(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
}

/** The ELF header's facts, or undefined when the bytes are not an ELF file. */
export function readElf(bytes: Uint8Array): ElfInfo | undefined {
  if (bytes.length < 20 || !hasElfMagic(bytes)) return undefined;
  const littleEndian = bytes[5] !== 2;
  const machine = littleEndian ? bytes[18]! | (bytes[19]! << 8) : (bytes[18]! << 8) | bytes[19]!;
  return { machine, machineName: machineName(machine), bits: bytes[4] === 2 ? 64 : 32 };
}

export function machineName(machine: number): string {
  return MACHINES[machine] ?? `machine 0x${machine.toString(16)}`;
}

/** The Lambda architecture an ELF file runs on, if it is one. */
export function architectureOf(info: ElfInfo): Architecture | undefined {
  if (info.bits !== 64) return undefined;
  return info.machine === 62 ? 'x86_64' : info.machine === 183 ? 'arm64' : undefined;
}

// The one rule for finding a function from what a person or a client typed. SAM addresses a function by its
// full path (`Parent/Child/Function` in nested stacks, the construct path in a CDK app), by its logical id
// when only one function has it, and by its FunctionName; the Invoke API adds the local name itself.
import type { FunctionSpec } from './model.ts';

export type FunctionLookup =
  | { found: FunctionSpec }
  /** The address is the logical id (or FunctionName) of several functions: the caller names their paths. */
  | { ambiguous: FunctionSpec[] }
  | { missing: true };

/** Tiers in order: the first tier with any match decides, so an exact name or path is never ambiguous. */
const TIERS: ((fn: FunctionSpec) => string | undefined)[] = [(fn) => fn.name, (fn) => fn.path, (fn) => fn.functionName, (fn) => fn.logicalId];

export function findFunction(functions: Iterable<FunctionSpec>, address: string): FunctionLookup {
  const all = [...functions];
  for (const key of TIERS) {
    const matches = all.filter((fn) => key(fn) === address);
    if (matches.length === 1) return { found: matches[0]! };
    if (matches.length > 1) return { ambiguous: matches };
  }
  return { missing: true };
}

/**
 * The function a person named on a command line (invoke, start, build, deploy), or the sentence that says why no
 * one function is: an ambiguous logical id lists the paths, an unknown address the functions there are.
 */
export function functionAddressed(functions: FunctionSpec[], address: string): { fn: FunctionSpec } | { problem: string } {
  const lookup = findFunction(functions, address);
  if ('found' in lookup) return { fn: lookup.found };
  if ('ambiguous' in lookup) return { problem: ambiguityMessage(address, lookup.ambiguous) };
  return { problem: `No function "${address}". Known functions: ${functions.map((fn) => fn.path ?? fn.name).join(', ') || '(none)'}.` };
}

/** The sentence for an ambiguous address, listing the paths that tell the functions apart. */
export function ambiguityMessage(address: string, matches: FunctionSpec[]): string {
  const paths = matches.map((fn) => fn.path ?? fn.name);
  return `"${address}" is the logical id of ${matches.length} functions: ${paths.join(', ')}. Name one by its full path, e.g. ${paths[0]}.`;
}

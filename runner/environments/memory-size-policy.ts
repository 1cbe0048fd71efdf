// The rules that make a local execution environment keep to its function's MemorySize and leave nothing
// behind, as Lambda's does: how often to look, which processes belong to the environment, when it is over its
// limit and what REPORT says then. Pure functions over process snapshots, so the rules are unit-tested apart
// from /proc (containment.ts reads /proc and applies them).

/** One process as /proc/<pid>/stat describes it. `startTime` (clock ticks since boot) tells a reused pid apart. */
export interface ProcessEntry {
  pid: number;
  ppid: number;
  startTime: number;
}

/**
 * While an environment initializes or runs an invocation, the root process's RSS and peak (VmHWM, one kept-open
 * read) are sampled this often: a function filling memory at several GB/s passes a 128 MB limit by a few
 * hundred MB at most before it is stopped.
 */
export const SAMPLE_EVERY_MS = 50;
/**
 * Every this many samples the root's descendants are looked for again: through /proc/<pid>/task/<tid>/children
 * when the kernel has them (a few reads per process), or by reading the whole process table (about 2 ms per 100
 * processes on the machine), less often.
 */
export const TREE_SCAN_EVERY_SAMPLES = { children: 4, table: 10 } as const;

const MIB = 1024 * 1024;

/** Whether this sample is one where the process tree is read again (the first one is, to find early children). */
export function scansTree(sample: number, how: keyof typeof TREE_SCAN_EVERY_SAMPLES): boolean {
  return sample % TREE_SCAN_EVERY_SAMPLES[how] === 0;
}

/** Every process below `rootPid` in `table`, children before grandchildren. */
export function descendantsOf(rootPid: number, table: readonly ProcessEntry[]): ProcessEntry[] {
  const children = new Map<number, ProcessEntry[]>();
  for (const entry of table) {
    const list = children.get(entry.ppid);
    if (list) list.push(entry);
    else children.set(entry.ppid, [entry]);
  }
  const found: ProcessEntry[] = [];
  const seen = new Set<number>([rootPid]);
  const queue = [rootPid];
  while (queue.length) {
    for (const child of children.get(queue.shift()!) ?? []) {
      if (seen.has(child.pid)) continue;
      seen.add(child.pid);
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** The same process as when it was first seen: its pid was not reused by an unrelated process since. */
export function sameProcess(known: ProcessEntry, now: ProcessEntry | undefined): boolean {
  return now !== undefined && now.pid === known.pid && now.startTime === known.startTime;
}

/** One process's resident memory, as /proc/<pid>/status splits it. */
export interface Resident {
  /** RssAnon + RssShmem: the process's own memory. */
  anonBytes: number;
  /** RssFile: mapped files, mostly the runtime's binary and libraries, shared between processes running them. */
  fileBytes: number;
}

/**
 * The environment's resident memory, as its memory cgroup in Lambda would count it: every process's own memory,
 * and mapped files once (a Node runtime and a Node extension share some 35 MB of `node`'s pages, which summing their
 * RSS would count twice). The largest process's file pages stand for the shared ones.
 */
export function environmentResidentBytes(processes: readonly Resident[]): number {
  let anon = 0;
  let file = 0;
  for (const p of processes) {
    anon += p.anonBytes;
    file = Math.max(file, p.fileBytes);
  }
  return anon + file;
}

/**
 * Lambda stops an environment whose processes together use more than MemorySize. `rootPeakBytes` is the root's
 * VmHWM: a spike between two samples still counts, as the kernel's cgroup limit in Lambda would have caught it.
 */
export function overMemorySize(sample: { totalRssBytes: number; rootPeakBytes: number }, memorySizeMB: number): boolean {
  const limit = memorySizeMB * MIB;
  return sample.totalRssBytes > limit || sample.rootPeakBytes > limit;
}

/**
 * REPORT's Max Memory Used: the highest of the root's peak and the environment's sampled total; an environment
 * stopped for its memory reports its MemorySize, as Lambda's does (it never gets past the limit there).
 */
export function reportedMaxMemoryMB(peakBytes: number, memorySizeMB: number, stoppedForMemory: boolean): number {
  if (stoppedForMemory) return memorySizeMB;
  return Math.min(Math.ceil(peakBytes / MIB), memorySizeMB);
}

/**
 * The processes to stop when the environment ends: those seen in its tree that are still the same processes,
 * its root's current descendants, and every process carrying its marker variable (which finds the ones that left
 * the process group with setsid and were reparented to init before any sample saw them).
 */
export function processesToStop(
  known: Iterable<ProcessEntry>,
  table: readonly ProcessEntry[],
  rootPid: number | undefined,
  markedPids: Iterable<number>,
  selfPid: number,
): ProcessEntry[] {
  const byPid = new Map(table.map((entry) => [entry.pid, entry]));
  const out = new Map<number, ProcessEntry>();
  for (const entry of known) if (sameProcess(entry, byPid.get(entry.pid))) out.set(entry.pid, entry);
  if (rootPid !== undefined) for (const entry of descendantsOf(rootPid, table)) out.set(entry.pid, entry);
  for (const pid of markedPids) {
    const entry = byPid.get(pid);
    if (entry) out.set(pid, entry);
  }
  out.delete(selfPid);
  return [...out.values()];
}

/**
 * The processes whose environment is worth reading for the marker: the user's processes started since the
 * execution environment was created (an older process cannot carry its marker). Keeps the scan at stop to a
 * few reads on a machine running hundreds of processes.
 */
export function markerCandidates(table: readonly ProcessEntry[], createdAtTicks: number, selfPid: number): ProcessEntry[] {
  return table.filter((entry) => entry.startTime >= createdAtTicks && entry.pid !== selfPid);
}

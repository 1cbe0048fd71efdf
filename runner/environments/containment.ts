// Keeps an execution environment inside its limits, as Lambda's microVM does: its processes together may not
// use more than the function's MemorySize (past it the environment is killed and the invocation fails with
// Runtime.OutOfMemory), and when the environment stops, nothing it started keeps running, not even a process
// that left the process group with setsid and was reparented to init.
//
// How it knows the environment's processes, without root and without cgroups (a user's machine rarely lets
// one be created): the runtime process, its extensions (the runner's children carrying the marker below), their
// descendants from the kernel's children files or the process table, sampled while the environment is busy
// (pid + start time, so a reused pid is never mistaken for one of ours), and a marker variable in the launch
// environment that every descendant inherits unless it scrubs its environment (looked for in /proc/<pid>/environ
// of the user's own processes when the environment stops). Memory is what a memory cgroup would charge: each
// process's own pages, mapped files once.
//
// Platforms: all of this reads /proc, so it is Linux only. On macOS an environment gets what its process group
// gives: stop() signals the group, MemorySize is not enforced, REPORT's Max Memory Used is 0 (no VmHWM), and a
// setsid'd or double-forked child can outlive it. Windows has no process groups to signal (environment.ts's
// `process.kill(-pid)` fails there; a job object or `taskkill /T` would be its equivalent), and nothing else either.
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import {
  descendantsOf,
  environmentResidentBytes,
  markerCandidates,
  overMemorySize,
  processesToStop,
  reportedMaxMemoryMB,
  SAMPLE_EVERY_MS,
  sameProcess,
  scansTree,
  type ProcessEntry,
  type Resident,
} from './memory-size-policy.ts';
import { childrenOf, readStat } from '../processes.ts';

/** The launch environment's marker variable: its value names one execution environment of one runner. */
export const ENVIRONMENT_MARKER = 'OPEN_RUNTIME_ENVIRONMENT_ID';

const LINUX = process.platform === 'linux';
/** The kernel lists each thread's children (CONFIG_PROC_CHILDREN): the cheap way to find descendants. */
const CHILDREN_FILES = LINUX && existsSync(`/proc/self/task/${process.pid}/children`);
const STATUS_BUFFER = Buffer.alloc(4096);
const KIB = 1024;
/** Start times in /proc/<pid>/stat are in USER_HZ clock ticks, 100 a second on every Linux ABI Node runs on. */
const USER_HZ = 100;
const REPORT_REUSES_ANSWER_READ_MS = 10;

export interface ContainmentOptions {
  memorySizeMB: number;
  /** Whether the environment is initializing or running an invocation: sampling runs only then. */
  busy(): boolean;
  /** MemorySize is enforced (not while a debugger holds the process: the inspector's memory is not the function's). */
  enforce: boolean;
  /** How descendants are found: the kernel's children files when it has them (the default), else the whole table. */
  treeSource?: 'children' | 'table' | undefined;
}

export class Containment {
  /** The value of ENVIRONMENT_MARKER in this environment's processes. */
  readonly marker = `${process.pid}-${randomBytes(8).toString('hex')}`;
  /** The environment was killed for passing its MemorySize. */
  stoppedForMemory = false;
  private readonly opts: ContainmentOptions;
  private root: ProcessEntry | undefined;
  private rootStatusFd: number | undefined;
  /** Every descendant seen while the environment ran, by pid. */
  private readonly known = new Map<number, ProcessEntry>();
  /** Processes started beside the runtime (extensions, children of the runner): their trees count too. */
  private extensions: ProcessEntry[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private samples = 0;
  private peakBytes = 0;
  /** When the root's peak was last read at an answer (one /proc read per invocation on the hot path, not two). */
  private peakReadAt = -Infinity;
  /** Time spent sampling and samples taken: what the sampling costs, measurable from outside. */
  sampledMs = 0;
  sampleCount = 0;
  /** Boot-relative clock ticks when the environment was created, less a second: its processes started later. */
  private readonly createdAtTicks: number;
  private readonly treeSource: 'children' | 'table';

  constructor(opts: ContainmentOptions) {
    this.opts = opts;
    this.treeSource = opts.treeSource ?? (CHILDREN_FILES ? 'children' : 'table');
    this.createdAtTicks = LINUX ? ticksSinceBoot() - USER_HZ : 0;
  }

  /** The runtime process started: watch it through its init. */
  attach(pid: number | undefined): void {
    if (!LINUX || pid === undefined) return;
    this.root = readEntry(pid) ?? { pid, ppid: process.pid, startTime: -1 };
    try {
      this.rootStatusFd = openSync(`/proc/${pid}/status`, 'r');
    } catch {
      // Gone already: its exit is reported by the environment.
    }
    this.watch();
  }

  /** An invocation was handed to the environment: sample until it is idle again. */
  watch(): void {
    if (!LINUX || this.timer || !this.root || this.rootStatusFd === undefined) return;
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.timer.unref();
  }

  private sample(): void {
    if (!this.opts.busy() || this.rootStatusFd === undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
      return;
    }
    const started = performance.now();
    const root = this.readRoot();
    if (!root) return;
    // Off the cold start's path: the extensions, started before the runtime, are looked for at the first sample.
    this.extensions ??= this.findExtensions();
    if (scansTree(this.samples++, this.treeSource)) {
      const table = this.treeSource === 'table' ? readProcessTable() : undefined;
      for (const top of [this.root!, ...this.extensions]) {
        const found = table ? descendantsOf(top.pid, table) : descendantsFromChildrenFiles(top.pid);
        for (const entry of found) this.known.set(entry.pid, entry);
      }
    }
    const residents: Resident[] = [root];
    for (const entry of this.known.values()) {
      // Between two tree scans a pid is taken as still the same process (start times are checked at each scan
      // and before any kill): a pid reused between two scans (200-500 ms) would at worst add a stranger's memory once.
      const resident = residentOf(entry.pid);
      if (resident === undefined) this.known.delete(entry.pid);
      else residents.push(resident);
    }
    const totalRssBytes = environmentResidentBytes(residents);
    this.peakBytes = Math.max(this.peakBytes, totalRssBytes, root.peakBytes);
    this.sampledMs += performance.now() - started;
    this.sampleCount++;
    if (this.opts.enforce && overMemorySize({ totalRssBytes, rootPeakBytes: root.peakBytes }, this.opts.memorySizeMB)) this.killForMemory();
  }

  /** The runner's other children that carry this environment's marker: its extensions (Lambda counts their memory). */
  private findExtensions(): ProcessEntry[] {
    const children = this.treeSource === 'children' ? descendantsFromChildrenFiles(process.pid, 1) : readProcessTable().filter((e) => e.ppid === process.pid);
    const marked = new Set(
      markedProcesses(
        this.marker,
        children.filter((e) => e.pid !== this.root?.pid),
      ),
    );
    const extensions = children.filter((e) => marked.has(e.pid));
    for (const entry of extensions) this.known.set(entry.pid, entry);
    return extensions;
  }

  /**
   * The runtime answered: a spike of the root process between two samples (its VmHWM) still fails the invocation,
   * as the kernel would have stopped it in Lambda. True when the environment was killed for it.
   */
  overLimitAtAnswer(): boolean {
    if (!this.opts.enforce || this.stoppedForMemory) return this.stoppedForMemory;
    const rootPeakBytes = this.readRootPeak();
    if (rootPeakBytes === undefined) return false;
    this.peakBytes = Math.max(this.peakBytes, rootPeakBytes);
    this.peakReadAt = performance.now();
    if (!overMemorySize({ totalRssBytes: 0, rootPeakBytes }, this.opts.memorySizeMB)) return false;
    this.killForMemory();
    return true;
  }

  /** REPORT's Max Memory Used, in MB. */
  maxMemoryUsedMB(): number {
    // REPORT follows the answer by a turn or two of the event loop: the peak read then is the invocation's.
    if (performance.now() - this.peakReadAt > REPORT_REUSES_ANSWER_READ_MS) {
      const rootPeakBytes = this.readRootPeak();
      if (rootPeakBytes !== undefined) this.peakBytes = Math.max(this.peakBytes, rootPeakBytes);
    }
    return reportedMaxMemoryMB(this.peakBytes, this.opts.memorySizeMB, this.stoppedForMemory);
  }

  private readRoot(): (Resident & { peakBytes: number }) | undefined {
    const length = this.readRootStatus();
    if (length === undefined) return undefined;
    return {
      anonBytes: (statusKb(length, RSS_ANON) + statusKb(length, RSS_SHMEM)) * KIB,
      fileBytes: statusKb(length, RSS_FILE) * KIB,
      peakBytes: statusKb(length, VM_HWM) * KIB,
    };
  }

  /** The root's peak (VmHWM), bytes: the one figure an answer needs (read once per invocation, on the hot path). */
  private readRootPeak(): number | undefined {
    const length = this.readRootStatus();
    return length === undefined ? undefined : statusKb(length, VM_HWM) * KIB;
  }

  /** Reads the root's /proc/<pid>/status into STATUS_BUFFER: its length, or undefined once the root is gone. */
  private readRootStatus(): number | undefined {
    if (this.rootStatusFd === undefined) return undefined;
    try {
      return readSync(this.rootStatusFd, STATUS_BUFFER, 0, STATUS_BUFFER.length, 0);
    } catch {
      // The root exited (a zombie's status has no Vm lines, so it reads as 0).
      return undefined;
    }
  }

  private killForMemory(): void {
    this.stoppedForMemory = true;
    clearInterval(this.timer);
    this.timer = undefined;
    this.stopAll();
  }

  /** The root process exited: its status file is no use any more (its descendants are still tracked). */
  detach(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    if (this.rootStatusFd !== undefined) closeSync(this.rootStatusFd);
    this.rootStatusFd = undefined;
  }

  /**
   * Kills every process of the environment that is still running (SIGKILL: Lambda's SIGTERM grace went to the
   * runtime already). Repeated while it finds any, since one may fork between the read and the kill.
   */
  stopAll(): number {
    if (!LINUX) return 0;
    const signalled = new Set<string>();
    for (let round = 0; round < 5; round++) {
      const table = readProcessTable();
      const rootAlive =
        this.root !== undefined &&
        sameProcess(
          this.root,
          table.find((e) => e.pid === this.root!.pid),
        );
      const marked = markedProcesses(this.marker, markerCandidates(table, this.createdAtTicks, process.pid));
      const victims = processesToStop(this.known.values(), table, rootAlive ? this.root!.pid : undefined, marked, process.pid);
      // The runtime first: killed after its children, it could exit on its own (a shell's `wait` returning).
      if (rootAlive) victims.unshift(this.root!);
      // Only processes not signalled yet: a killed one may still be listed until its parent (or init) reaps it.
      const fresh = victims.filter((victim) => !signalled.has(`${victim.pid}@${victim.startTime}`));
      if (!fresh.length) break;
      for (const victim of fresh) {
        signalled.add(`${victim.pid}@${victim.startTime}`);
        this.known.set(victim.pid, victim);
        try {
          process.kill(victim.pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      }
    }
    return signalled.size;
  }
}

const VM_HWM = Buffer.from('\nVmHWM:');
const RSS_ANON = Buffer.from('\nRssAnon:');
const RSS_FILE = Buffer.from('\nRssFile:');
const RSS_SHMEM = Buffer.from('\nRssShmem:');

/** A `Name:   1234 kB` field of the status in STATUS_BUFFER (its first `length` bytes), read off the bytes: 0 when absent. */
function statusKb(length: number, field: Buffer): number {
  const at = STATUS_BUFFER.indexOf(field);
  if (at < 0 || at + field.length >= length) return 0;
  let i = at + field.length;
  while (i < length && (STATUS_BUFFER[i] === 32 || STATUS_BUFFER[i] === 9)) i++;
  let kb = 0;
  for (; i < length; i++) {
    const digit = STATUS_BUFFER[i]! - 48;
    if (digit < 0 || digit > 9) break;
    kb = kb * 10 + digit;
  }
  return kb;
}

function kbField(status: string, name: string): number {
  const at = status.indexOf(`${name}:`);
  if (at < 0) return 0;
  return Number.parseInt(status.slice(at + name.length + 1).trimStart(), 10) || 0;
}

/** pid, parent and start time of a live process (a zombie's or a dead one's memory is no longer anyone's). */
function readEntry(pid: number): ProcessEntry | undefined {
  const stat = readStat(pid);
  if (!stat || stat.state === 'Z' || stat.state === 'X') return undefined;
  return { pid, ppid: stat.ppid, startTime: stat.startTime };
}

/** Every live process on the machine (other users' too: /proc/<pid>/stat is world-readable). */
function readProcessTable(): ProcessEntry[] {
  const table: ProcessEntry[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    const entry = readEntry(pid);
    if (entry) table.push(entry);
  }
  return table;
}

/** Resident memory of a process, or undefined once it is gone. */
function residentOf(pid: number): Resident | undefined {
  try {
    return resident(readFileSync(`/proc/${pid}/status`, 'latin1'));
  } catch {
    return undefined;
  }
}

function resident(status: string): Resident {
  return { anonBytes: (kbField(status, 'RssAnon') + kbField(status, 'RssShmem')) * KIB, fileBytes: kbField(status, 'RssFile') * KIB };
}

/**
 * Every process below `rootPid` (down to `depth` generations), through each thread's children file.
 */
function descendantsFromChildrenFiles(rootPid: number, depth = Infinity): ProcessEntry[] {
  const found: ProcessEntry[] = [];
  const seen = new Set<number>([rootPid]);
  const queue: Array<[number, number]> = [[rootPid, 0]];
  while (queue.length) {
    const [pid, generation] = queue.shift()!;
    if (generation >= depth) continue;
    for (const child of childrenOf(pid)) {
      if (seen.has(child)) continue;
      seen.add(child);
      const entry = readEntry(child);
      if (!entry) continue;
      found.push(entry);
      queue.push([child, generation + 1]);
    }
  }
  return found;
}

/** Clock ticks since boot now, the unit of start times in /proc/<pid>/stat. */
function ticksSinceBoot(): number {
  try {
    return Math.floor(Number.parseFloat(readFileSync('/proc/uptime', 'latin1')) * USER_HZ);
  } catch {
    return 0;
  }
}

/** Those of `candidates` that are the user's own and whose initial environment holds this environment's marker. */
function markedProcesses(marker: string, candidates: readonly ProcessEntry[]): number[] {
  const needle = Buffer.from(`\0${ENVIRONMENT_MARKER}=${marker}\0`);
  const first = needle.subarray(1);
  const uid = process.getuid?.();
  const found: number[] = [];
  for (const { pid } of candidates) {
    try {
      if (uid !== undefined && statSync(`/proc/${pid}`).uid !== uid) continue;
      const environ = readFileSync(`/proc/${pid}/environ`);
      if (environ.includes(needle) || environ.subarray(0, first.length).equals(first)) found.push(pid);
    } catch {
      // Gone, or not readable: not ours.
    }
  }
  return found;
}

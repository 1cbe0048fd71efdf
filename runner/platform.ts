// What the runner does differently per operating system, in one place, each with its fallback. The runner is tested
// on Linux; these are the parts that would otherwise assume it:
//  - process trees: a function, a middleware or a build tool runs in its own process group on Linux and macOS, so
//    stopping it stops what it started (one signal to the group). Windows has no process groups, and `detached`
//    there opens a console window: children stay attached and hidden, and `taskkill /T /F` ends the tree.
//  - the direct socket to a runtime: a Unix socket in a private folder; on Windows a named pipe (the environment
//    offers it only where the peer can be checked, which is Linux: elsewhere runtimes use their TCP address).
//  - running a bootstrap built for the other architecture: qemu-user on Linux (qemu-aarch64-static / -x86_64-static).
//    macOS and Windows cannot run Linux binaries at all: a `provided` function's bootstrap must be built for the
//    machine to run locally (or run through a Linux VM); Node, Python and WASI functions run everywhere.
//  - malloc_trim (runner/idle-trim.ts, glibc only) and the peer check (runtime-api/access.ts, /proc) load where they
//    apply; elsewhere the runner gives back less memory when idle, and says the Runtime API is not peer-checked.
//  - containment (environments/containment.ts) reads /proc: Linux only; elsewhere an environment is its process group.
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { posix, win32 } from 'node:path';

/** Spawn options that give a child its own process group where there is such a thing, so its whole tree can be ended. */
export function ownProcessGroup(platform: NodeJS.Platform = process.platform): Pick<SpawnOptions, 'detached' | 'windowsHide'> {
  return platform === 'win32' ? { detached: false, windowsHide: true } : { detached: true };
}

export type TreeSignal = { group: number } | { command: string; args: string[] };

/** How to signal a process and everything it started: its process group, or on Windows `taskkill /T /F` over its tree. */
export function treeSignalPlan(pid: number, platform: NodeJS.Platform = process.platform): TreeSignal {
  return platform === 'win32' ? { command: 'taskkill', args: ['/pid', String(pid), '/T', '/F'] } : { group: -pid };
}

/**
 * Signals a child spawned with ownProcessGroup() and everything it started. When the group cannot be signalled (gone
 * already, or the child was not a group leader) the child alone is signalled. On Windows every signal ends the tree.
 */
export function signalProcessTree(child: ChildProcess, signal: NodeJS.Signals, platform: NodeJS.Platform = process.platform): void {
  if (child.pid === undefined) return;
  const plan = treeSignalPlan(child.pid, platform);
  if ('command' in plan) {
    spawn(plan.command, plan.args, { stdio: 'ignore', windowsHide: true }).once('error', () => child.kill(signal));
    return;
  }
  try {
    process.kill(plan.group, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      // Gone.
    }
  }
}

/**
 * Where an environment's direct socket listens: `<dir>/<name>.sock` (a Unix socket in the runner's private folder),
 * or on Windows a named pipe named after that folder and the environment (pipes live in their own namespace).
 */
export function localSocketPath(dir: string, name: string, platform: NodeJS.Platform = process.platform): string {
  if (platform === 'win32') return `\\\\.\\pipe\\${win32.basename(dir)}-${name}`;
  return posix.join(dir, `${name}.sock`);
}

/** The emulator that runs a Linux binary of `binaryArch` on this machine, when one is needed and can exist. */
export function emulatorName(binaryArch: 'arm64' | 'x86_64', hostArch: 'arm64' | 'x86_64', platform: NodeJS.Platform = process.platform): string | undefined {
  if (binaryArch === hostArch || platform !== 'linux') return undefined;
  return binaryArch === 'arm64' ? 'qemu-aarch64-static' : 'qemu-x86_64-static';
}

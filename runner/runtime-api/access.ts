// Who may use an execution environment's Runtime API: only that environment's own processes (its runtime, whatever
// the runtime starts, its extensions and theirs). Any local process can connect to 127.0.0.1:port or to a Unix socket
// of the same user, and could otherwise park on another environment's /next and take its event, or post an init error
// to a warm environment. Real clients only know host:port (AWS_LAMBDA_RUNTIME_API), so no secret can travel in the
// address: the runner asks the kernel who is at the other end instead. The same answer routes a connection: every
// environment's Runtime API shares the runner's main port, and a connection belongs to the environment whose process
// made it (one port for a remote editor to forward, not one per environment).
//  - TCP (Linux): the peer's socket is found by its four-tuple (local port = the accepted socket's remote port, remote
//    port = the listener's) with sock_diag (dist/peer-pid.node, runner/peer-pid.c), or in /proc/net/tcp without the
//    addon; its inode must be an open fd of one of the environment's processes (/proc/PID/fd/N -> socket:[inode]).
//  - Unix socket (Linux): SO_PEERCRED names the peer's pid (the same addon); it must be one of the environment's
//    processes. Without the addon no direct socket is offered.
// Elsewhere (macOS, Windows: no /proc) nothing can be checked cheaply, and every local process is admitted; the
// runner says so once, and gives each environment its own port (nothing to route by).
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.ts';
import { childrenOf, readStat } from '../processes.ts';

/** 'environment': only the environment's own processes (the default, and always the CLI's); 'any': every local process. */
export type RuntimeApiAccess = 'environment' | 'any';

/** The processes of one environment: where its process tree starts. */
export interface ProcessFamily {
  /** The runtime's pid; it leads its own process group (spawned detached). */
  runtimePid: number | undefined;
  /** Extension processes (in the runner's process group, so found by parentage). */
  extensionPids: number[];
}

/** Whether this platform lets the runner check who connects (Linux, with /proc). */
export const PEER_CHECKS = process.platform === 'linux' && existsSync('/proc/net/tcp');

const UID = process.getuid?.() ?? -1;

/**
 * Why a connection is refused. `gone`: its peer went away before it could be checked (a runtime stopped as it asked
 * for its next event): nobody reads the refusal, and it is no news for the log.
 */
export interface Refusal {
  refused: string;
  gone?: true;
}

/**
 * Why a TCP connection to an environment's listener is refused, or undefined if one of `family` made it. Synchronous
 * (a few /proc reads), so the socket is checked before node:http reads a byte of it.
 */
export function refuseTcpPeer(socket: Socket, listenerPort: number, family: ProcessFamily): Refusal | undefined {
  const owner = tcpPeerOwner(socket, listenerPort, [family], (f) => f, 'this execution environment');
  return 'refused' in owner ? owner : undefined;
}

/**
 * Which of `candidates` (each with its process family) made a TCP connection to `listenerPort`, or why none did: the
 * routing of the shared Runtime API port. One kernel lookup and a few /proc reads; the caller keeps the answer for
 * the connection's life. Where peers cannot be checked, the first candidate (callers share a port only where they can).
 */
export function tcpPeerOwner<T>(
  socket: Socket,
  listenerPort: number,
  candidates: readonly T[],
  familyOf: (candidate: T) => ProcessFamily,
  whose = 'any execution environment',
): { owner: T } | Refusal {
  if (!PEER_CHECKS) return candidates.length ? { owner: candidates[0]! } : { refused: 'the runner cannot tell who is connected' };
  const clientPort = socket.remotePort;
  if (clientPort === undefined) return { refused: 'the connection closed before it could be checked', gone: true };
  const peer = findTcpPeer(socket.remoteAddress ?? '', clientPort, listenerPort);
  // The listener is on 127.0.0.1 only: a peer that is not found has closed its socket (its process may have ended).
  if (!peer) return { refused: `no local socket 127.0.0.1:${clientPort} is connected to it any more (the peer is gone)`, gone: true };
  if (peer.uid !== undefined && peer.uid !== UID)
    return { refused: `the connection from port ${clientPort} belongs to user ${peer.uid}, not to this runner's user` };
  const found = holderAmong(peer.inode, candidates.map(familyOf));
  if (found === undefined) return { refused: `the connection from port ${clientPort} is not made by a process of ${whose}` };
  return { owner: candidates[found.index]! };
}

/** Why a connection to an environment's direct socket is refused, or undefined if one of `family` made it. */
export function refuseUnixPeer(socket: Socket, family: ProcessFamily): Refusal | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  const peerPid = loadAddon()?.peerPid;
  if (!peerPid || fd === undefined || fd < 0) return { refused: 'the runner cannot tell who is connected to this socket' };
  const pid = peerPid(fd);
  if (pid <= 0) return { refused: 'the connection closed before it could be checked', gone: true };
  if (!inFamily(pid, family)) return { refused: `process ${pid} (${commandOf(pid)}) is not a process of this execution environment` };
  return undefined;
}

/** Ends a refused connection with a 403 that says why, without reading what the peer sent. */
export function refuseConnection(socket: Socket, message: string): void {
  const body = JSON.stringify({ errorType: 'AccessDenied', errorMessage: message });
  socket.on('error', () => undefined);
  socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
}

/** Whether the direct socket can be offered under this access rule: only where its peers can be checked. */
export function directSocketAllowed(access: RuntimeApiAccess): boolean {
  return access === 'any' || !PEER_CHECKS || loadAddon() !== undefined;
}

// ---- /proc ------------------------------------------------------------------------------------------------------

interface TcpPeer {
  inode: number;
  /** The owner's uid, where /proc/net/tcp says (the sock_diag lookup leaves it to the fd check). */
  uid?: number;
}

/**
 * The connecting socket: local address and port = the accepted socket's remote ones, remote port = the listener's.
 * By its four-tuple through the addon's sock_diag lookup where it can; else (and for IPv4-mapped IPv6 sockets) from
 * /proc/net/tcp and tcp6 (`via: 'proc'` forces that, for tests).
 */
export function findTcpPeer(clientAddress: string, clientPort: number, listenerPort: number, via: 'any' | 'proc' = 'any'): TcpPeer | undefined {
  const lookup = via === 'proc' ? undefined : loadAddon()?.tcpSocketInode;
  const ip = ipv4(clientAddress);
  if (lookup && ip !== undefined) {
    const inode = lookup(ip, clientPort, LISTEN_IP, listenerPort);
    if (inode > 0) return { inode };
  }
  const local = `:${hex4(clientPort)} `;
  const remote = `:${hex4(listenerPort)} `;
  for (const table of lookup ? ['/proc/net/tcp6'] : ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'latin1');
    } catch {
      continue;
    }
    let at = text.indexOf(local);
    while (at >= 0) {
      const start = text.lastIndexOf('\n', at) + 1;
      const end = text.indexOf('\n', at);
      const fields = text
        .slice(start, end < 0 ? undefined : end)
        .trim()
        .split(/\s+/);
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
      if (fields[1]?.endsWith(local.trimEnd()) && LOOPBACK.has(fields[2]?.slice(0, -5) ?? '') && fields[2]?.endsWith(remote.trimEnd())) {
        const inode = Number(fields[9]);
        if (inode > 0) return { inode, uid: Number(fields[7]) };
      }
      at = text.indexOf(local, at + 1);
    }
  }
  return undefined;
}

/** The address every environment listens on (127.0.0.1), as a host-order number. */
const LISTEN_IP = 0x7f000001;

function ipv4(address: string): number | undefined {
  const parts = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (!parts) return undefined;
  return ((Number(parts[1]) << 24) >>> 0) + (Number(parts[2]) << 16) + (Number(parts[3]) << 8) + Number(parts[4]);
}

/** 127.0.0.1 as /proc/net/tcp writes it, and as an IPv4-mapped address in /proc/net/tcp6: the listeners' address. */
const LOOPBACK = new Set(['0100007F', '0000000000000000FFFF00000100007F']);

function hex4(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** The process of `family` that holds socket `inode`. */
export function holderOf(inode: number, family: ProcessFamily): number | undefined {
  return holderAmong(inode, [family])?.pid;
}

/**
 * The process that holds socket `inode`, and which of `families` it belongs to. Family by family, in the order given
 * (callers put the likeliest first): its runtime and extensions (nearly every connection is theirs), then their
 * descendants (a bootstrap's curl); last, one pass over /proc for processes left in a runtime's group by a parent
 * that exited.
 */
export function holderAmong(inode: number, families: readonly ProcessFamily[]): { index: number; pid: number } | undefined {
  const link = `socket:[${inode}]`;
  const seen = new Set<number>();
  for (let index = 0; index < families.length; index++) {
    const family = families[index]!;
    const roots = [family.runtimePid, ...family.extensionPids].filter((pid): pid is number => pid !== undefined && !seen.has(pid));
    for (const pid of roots) {
      seen.add(pid);
      if (holds(pid, link)) return { index, pid };
    }
    const queue = roots.flatMap(childrenOf);
    while (queue.length) {
      const pid = queue.shift()!;
      if (seen.has(pid)) continue;
      seen.add(pid);
      if (holds(pid, link)) return { index, pid };
      queue.push(...childrenOf(pid));
    }
  }
  const byGroup = new Map<number, number>();
  families.forEach((family, index) => {
    if (family.runtimePid !== undefined) byGroup.set(family.runtimePid, index);
  });
  if (byGroup.size === 0) return undefined;
  for (const name of readdirSafe('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || seen.has(pid)) continue;
    const index = byGroup.get(readStat(pid)?.pgrp ?? -1);
    if (index !== undefined && holds(pid, link)) return { index, pid };
  }
  return undefined;
}

/** `pid` is the runtime, an extension, in the runtime's process group, or descends from one of them. */
export function inFamily(pid: number, family: ProcessFamily): boolean {
  const roots = new Set([family.runtimePid, ...family.extensionPids].filter((p): p is number => p !== undefined));
  let current = pid;
  for (let depth = 0; depth < 64 && current > 1; depth++) {
    if (roots.has(current)) return true;
    const stat = readStat(current);
    if (!stat) return false;
    if (family.runtimePid !== undefined && stat.pgrp === family.runtimePid) return true;
    current = stat.ppid;
  }
  return false;
}

/**
 * Fds of a process where its last connections were: a client that opens a connection per request closes the previous
 * one first, and the kernel gives the new one the same (lowest free) number, so one readlink usually finds it.
 */
const recentFds = new Map<number, string>();

function holds(pid: number, link: string): boolean {
  const dir = `/proc/${pid}/fd`;
  const recent = recentFds.get(pid);
  if (recent !== undefined && readlinkSafe(join(dir, recent)) === link) return true;
  for (const fd of readdirSafe(dir)) {
    if (fd !== recent && readlinkSafe(join(dir, fd)) === link) {
      if (recentFds.size > 256) recentFds.clear();
      recentFds.set(pid, fd);
      return true;
    }
  }
  return false;
}

function readlinkSafe(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined; // the fd closed meanwhile
  }
}

/** The command line of `pid`, shortened, so that the user can tell which program it was. */
function commandOf(pid: number): string {
  try {
    const line = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').replace(/\0/g, ' ');
    return line.length > 120 ? `${line.slice(0, 117)}...` : line;
  } catch {
    return 'exited';
  }
}

function readdirSafe(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

interface Addon {
  peerPid(fd: number): number;
  forbidInspection(): number;
  tcpSocketInode(srcIp: number, srcPort: number, dstIp: number, dstPort: number): number;
}

let addon: Addon | null | undefined;

/**
 * Makes the runner non-dumpable (Linux, with the addon): a function, running as the same user, can then no longer
 * ptrace the runner or read its /proc/<pid>/mem and environ (only root can). False when that could not be done.
 */
export function forbidInspection(): boolean {
  return loadAddon()?.forbidInspection() === 0;
}

/** SO_PEERCRED and sock_diag, from the addon the build makes on Linux (runner/peer-pid.c); undefined without it. */
function loadAddon(): Addon | undefined {
  if (addon === undefined) {
    addon = null;
    const file = join(PACKAGE_ROOT, 'dist', 'peer-pid.node');
    if (process.platform === 'linux' && existsSync(file)) {
      try {
        addon = createRequire(import.meta.url)(file) as Addon;
      } catch {
        // Built for another machine: no direct socket, and /proc/net/tcp for TCP.
      }
    }
  }
  return addon ?? undefined;
}

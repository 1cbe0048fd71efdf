// Who may use an environment's Runtime API (runner/runtime-api/access.ts), against real processes and real sockets:
// a connection is traced to the process that holds its socket, through the addon's sock_diag lookup and through
// /proc/net/tcp (the path of machines without a C compiler), and admitted only for the family of processes given.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { findTcpPeer, holderAmong, holderOf, inFamily, PEER_CHECKS, refuseTcpPeer, tcpPeerOwner } from '../../runner/runtime-api/access.ts';

const linux = { skip: !PEER_CHECKS && 'only Linux can tell who connects' };

let server: Server;
let port = 0;
const accepted: Socket[] = [];
let waiting: ((socket: Socket) => void) | undefined;
let parent: ChildProcess;
let childPid = 0;
/** Another environment's runtime: an unrelated process. */
let stranger: ChildProcess;

/** A shell (the "runtime") whose child process (its "curl") connects to the server and stays connected. */
before(async () => {
  server = createServer((socket) => {
    accepted.push(socket);
    waiting?.(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  const connected = new Promise<Socket>((resolve) => (waiting = resolve));
  const script = `require('net').connect(${port}, '127.0.0.1', () => console.log(process.pid)); setInterval(() => {}, 1000);`;
  parent = spawn('sh', ['-c', `"${process.execPath}" -e "${script}"; true`], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  childPid = await new Promise<number>((resolve) => parent.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
  await connected;
  stranger = spawn('sleep', ['60'], { stdio: 'ignore', detached: true });
});

after(() => {
  process.kill(-parent.pid!, 'SIGKILL');
  stranger.kill('SIGKILL');
  for (const socket of accepted) socket.destroy();
  server.close();
});

test('the peer socket is found by its four-tuple, the same through sock_diag and /proc/net/tcp', linux, () => {
  const socket = accepted[0]!;
  const viaAny = findTcpPeer(socket.remoteAddress!, socket.remotePort!, port);
  const viaProc = findTcpPeer(socket.remoteAddress!, socket.remotePort!, port, 'proc');
  assert.ok(viaAny && viaAny.inode > 0);
  assert.equal(viaProc?.inode, viaAny.inode);
  assert.equal(viaProc?.uid, process.getuid!());
  assert.equal(findTcpPeer('127.0.0.1', socket.remotePort!, port + 1), undefined, 'a four-tuple nobody holds');
});

test("the holder is the runtime's child, found from the runtime; a stranger family does not hold it", linux, () => {
  const socket = accepted[0]!;
  const { inode } = findTcpPeer(socket.remoteAddress!, socket.remotePort!, port)!;
  assert.equal(holderOf(inode, { runtimePid: parent.pid, extensionPids: [] }), childPid);
  assert.equal(holderOf(inode, { runtimePid: undefined, extensionPids: [childPid] }), childPid, 'an extension itself');
  assert.equal(holderOf(inode, { runtimePid: stranger.pid, extensionPids: [] }), undefined);
  assert.equal(refuseTcpPeer(socket, port, { runtimePid: parent.pid, extensionPids: [] }), undefined);
  assert.match(refuseTcpPeer(socket, port, { runtimePid: stranger.pid, extensionPids: [] })!.refused, /is not made by a process of this execution environment/);
});

test('a connection of the test process itself is refused for the runtime family', linux, async () => {
  const connected = new Promise<Socket>((resolve) => (waiting = resolve));
  const own = connect(port, '127.0.0.1');
  const socket = await connected;
  const refusal = refuseTcpPeer(socket, port, { runtimePid: parent.pid, extensionPids: [] })!;
  assert.match(refusal.refused, /not made by a process of this execution environment/);
  assert.equal(refusal.gone, undefined, 'a live stranger: the refusal is news');
  own.destroy();
});

test('family membership: the runtime, its descendants and its process group; not the runner', linux, () => {
  const family = { runtimePid: parent.pid, extensionPids: [] };
  assert.equal(inFamily(parent.pid!, family), true);
  assert.equal(inFamily(childPid, family), true);
  assert.equal(inFamily(process.pid, family), false);
  assert.equal(inFamily(stranger.pid!, family), false);
  assert.equal(inFamily(1, family), false);
});

test('among several families, the one whose process holds the socket owns the connection; none, and it is refused', linux, () => {
  const socket = accepted[0]!;
  const { inode } = findTcpPeer(socket.remoteAddress!, socket.remotePort!, port)!;
  const families = [
    { runtimePid: stranger.pid, extensionPids: [] },
    { runtimePid: parent.pid, extensionPids: [] },
  ];
  assert.deepEqual(holderAmong(inode, families), { index: 1, pid: childPid }, "found through the second family's runtime, as its child");
  assert.equal(holderAmong(inode, [families[0]!]), undefined);
  const names = ['stranger', 'runtime'];
  assert.deepEqual(
    tcpPeerOwner(socket, port, names, (name) => families[names.indexOf(name)]!),
    { owner: 'runtime' },
  );
  const refused = tcpPeerOwner(socket, port, ['stranger'], () => families[0]!);
  assert.ok('refused' in refused && /is not made by a process of any execution environment$/.test(refused.refused), JSON.stringify(refused));
  assert.deepEqual(
    tcpPeerOwner(socket, port, [], () => families[0]!),
    { refused: `the connection from port ${socket.remotePort} is not made by a process of any execution environment` },
  );
});

// One runner address: every execution environment's Runtime, Extensions and Telemetry APIs are on the runner's main
// port, each connection routed to the environment whose process made it (runner/local-lambda.ts, runtime-api/access.ts),
// so a remote editor (code-server, SSH, containers, Codespaces) forwards the runner's ports, not one per environment.
// Against the real `start` command: its listening sockets are counted in /proc, functions and extensions are real
// processes, and a second function and a plain local process try to use the first one's environment.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PEER_CHECKS } from '../../runner/runtime-api/access.ts';
import { NODE_BOOTSTRAP_DIR, readRecords, RECORDER_LAYER, removeTemps, startRunner, tempDir, waitFor, writeTemplate, type Runner } from './support/runner.ts';

let runner: Runner;
let work: string;
/** Where the extensions' Telemetry API subscriptions deliver: the batches, by the path each function's extension gave. */
let telemetry: Server;
const delivered: Array<{ path: string; records: Array<{ type: string; record: Record<string, unknown> }> }> = [];
const records = (name: string) => join(work, `${name}.jsonl`);

/**
 * A custom runtime that, for each event, does what a runtime of another environment could try on the address it was
 * given: answer the invocation the event names, and park a second /next (noting `parked` in a file) to see whether
 * another function's event arrives on it.
 */
const INTRUDER = `
const { request } = require('node:http');
const { writeFileSync } = require('node:fs');
const [host, port] = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
function call(method, path, body, waitMs) {
  return new Promise((resolve, reject) => {
    const req = request({ host, port: Number(port), method, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    if (waitMs) setTimeout(() => resolve({ status: 'parked' }), waitMs);
    req.end(body);
  });
}
(async () => {
  for (;;) {
    const next = await call('GET', '/2018-06-01/runtime/invocation/next');
    const event = JSON.parse(next.text);
    const answer = await call('POST', '/2018-06-01/runtime/invocation/' + event.otherRequestId + '/response', '"taken over"');
    const parking = call('GET', '/2018-06-01/runtime/invocation/next', undefined, event.parkMs);
    writeFileSync(event.parkedFile, 'parked');
    const parked = await parking;
    const out = { answer: { status: answer.status, body: JSON.parse(answer.text) }, secondNext: parked.status === 'parked' ? 'parked' : parked.headers['lambda-runtime-aws-request-id'] };
    await call('POST', '/2018-06-01/runtime/invocation/' + next.headers['lambda-runtime-aws-request-id'] + '/response', JSON.stringify(out));
  }
})();
`;

before(async () => {
  telemetry = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      delivered.push({ path: req.url ?? '', records: JSON.parse(text) });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => telemetry.listen(0, '127.0.0.1', () => resolve()));
  const telemetryUri = (name: string) => `http://sandbox.localdomain:${(telemetry.address() as AddressInfo).port}/${name}`;
  work = tempDir('shared-port');
  const intruder = join(work, 'intruder');
  mkdirSync(intruder);
  writeFileSync(join(intruder, 'intruder.cjs'), INTRUDER);
  writeFileSync(join(intruder, 'bootstrap'), `#!/bin/sh\nexec node "${join(intruder, 'intruder.cjs')}"\n`);
  chmodSync(join(intruder, 'bootstrap'), 0o755);
  const template = writeTemplate(work, [
    {
      name: 'First',
      codeUri: NODE_BOOTSTRAP_DIR,
      layers: [RECORDER_LAYER],
      environment: { RECORD_FILE: records('First'), TELEMETRY_URI: telemetryUri('First') },
    },
    {
      name: 'Second',
      codeUri: NODE_BOOTSTRAP_DIR,
      layers: [RECORDER_LAYER],
      environment: { RECORD_FILE: records('Second'), TELEMETRY_URI: telemetryUri('Second') },
    },
    { name: 'Intruder', codeUri: intruder },
  ]);
  runner = await startRunner(template);
});

after(async () => {
  await runner?.stop();
  telemetry?.close();
  removeTemps();
});

/** The TCP ports a process listens on, from /proc: the listening sockets whose inodes are among its open fds. */
function listeningPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.add(link.slice(8, -1));
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(':').at(-1)!, 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

const linux = { skip: !PEER_CHECKS && 'only Linux can route connections by who makes them' };

test("two functions, and two concurrent environments of one function, all use the runner's one port", linux, async () => {
  const address = `127.0.0.1:${runner.port}`;
  for (const name of ['First', 'Second']) {
    const reply = await runner.invoke(name, { env: true });
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json().env.AWS_LAMBDA_RUNTIME_API, address, `${name}'s runtime is given the runner's port`);
  }
  // Two environments of First at once: each answers only when both hold an event.
  const barrier = join(work, 'barrier');
  mkdirSync(barrier);
  const both = await Promise.all([0, 1].map(() => runner.invoke('First', { env: true, arrive: { dir: barrier, count: 2 } })));
  for (const reply of both) assert.equal(reply.status, 200, reply.text);
  const [one, two] = both.map((reply) => reply.json());
  assert.notEqual(one.pid, two.pid, 'two environments ran at once');
  assert.equal(one.env.AWS_LAMBDA_RUNTIME_API, address);
  assert.equal(two.env.AWS_LAMBDA_RUNTIME_API, address);
  // Three environments of two functions with their extensions, and the runner listens on its two ports only: the
  // Invoke API (with every Runtime API) and the HTTP gateway.
  assert.deepEqual(
    listeningPorts(runner.proc.pid!),
    [runner.port, runner.apiPort].sort((a, b) => a - b),
  );
});

test("each environment's extension registers on the shared port, as its own environment's", linux, async () => {
  for (const name of ['First', 'Second']) {
    await waitFor(`${name}'s extension to record an INVOKE`, () =>
      readRecords(records(name)).some((r) => r.kind === 'event' && r.event?.eventType === 'INVOKE'),
    );
    const registered = readRecords(records(name)).filter((r) => r.who === 'extension' && r.kind === 'registered');
    assert.ok(registered.length >= 1, `${name}'s extension registered`);
    for (const { reply } of registered) {
      assert.equal(reply.status, 200, JSON.stringify(reply));
      assert.equal(JSON.parse(reply.body).functionName, name, "the registration reached the extension's own environment");
    }
    const subscribed = readRecords(records(name)).find((r) => r.kind === 'subscribe');
    assert.equal(subscribed?.reply.status, 200, `${name}'s extension subscribed to the Telemetry API: ${JSON.stringify(subscribed)}`);
    // Its subscription is its own environment's: the platform events it gets name its own function only.
    const starts = await waitFor(`telemetry for ${name}`, () => {
      const found = delivered
        .filter((d) => d.path === `/${name}`)
        .flatMap((d) => d.records)
        .filter((r) => r.type === 'platform.initStart');
      return found.length ? found : undefined;
    });
    assert.deepEqual([...new Set(starts.map((r) => r.record.functionName))], [name]);
  }
});

test("a process of one environment can neither answer another's invocation nor take its events", linux, async () => {
  const before = readRecords(records('First')).filter((r) => r.who === 'runtime' && r.kind === 'event').length;
  const slow = runner.invoke('First', { sleepMs: 1500 });
  const victimId = await waitFor(
    "First's runtime to receive its event",
    () => readRecords(records('First')).filter((r) => r.who === 'runtime' && r.kind === 'event')[before]?.requestId as string | undefined,
  );
  const parkedFile = join(work, 'parked');
  const intruding = runner.invoke('Intruder', { otherRequestId: victimId, parkMs: 1500, parkedFile });
  await waitFor("the intruder's second /next to park", () => existsSync(parkedFile));
  // While it is parked, First gets new events (on a second environment: the first one is busy).
  const meanwhile = await runner.invoke('First', {});
  assert.equal(meanwhile.status, 200, meanwhile.text);
  const intruder = (await intruding).json();
  assert.deepEqual(intruder.answer, {
    status: 403,
    body: {
      errorType: 'AccessDenied',
      errorMessage: `Invocation ${victimId} belongs to another execution environment: a runtime answers only the events its own /next gave it.`,
    },
  });
  assert.equal(intruder.secondNext, 'parked', "no event of First's reached the intruder's /next");
  const victim = await slow;
  assert.equal(victim.headers['x-amz-function-error'], undefined, victim.text);
  assert.equal(victim.json().requestId, victimId, 'First answered its own invocation');
  assert.equal(meanwhile.json().requestId === victimId, false);
});

test('a process of no environment is refused on the shared port, and said why', linux, async () => {
  const script = `
    const { request } = require('node:http');
    const call = (method, path) => new Promise((resolve) => {
      const req = request({ host: '127.0.0.1', port: ${runner.port}, method, path, agent: false }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode, connection: res.headers.connection, body: JSON.parse(text) }));
      });
      req.on('error', (e) => resolve({ error: e.message }));
      setTimeout(() => resolve('parked'), 2000);
      req.end(method === 'POST' ? '{}' : undefined);
    });
    (async () => {
      const out = [];
      for (const [method, path] of [['GET', '/2018-06-01/runtime/invocation/next'], ['POST', '/2018-06-01/runtime/init/error'], ['POST', '/2020-01-01/extension/register'], ['PUT', '/2022-07-01/telemetry']]) out.push(await call(method, path));
      console.log(JSON.stringify(out));
    })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  const replies = JSON.parse(out) as Array<{ status: number; connection: string; body: { errorType: string; errorMessage: string } }>;
  assert.equal(replies.length, 4);
  for (const reply of replies) {
    assert.equal(reply.status, 403, JSON.stringify(reply));
    assert.equal(reply.body.errorType, 'AccessDenied');
    assert.match(
      reply.body.errorMessage,
      /^Refused a connection to the Runtime API at 127\.0\.0\.1:\d+: the connection from port \d+ is not made by a process of any execution environment\./,
    );
    assert.equal(reply.connection, 'close', 'the refused connection is closed');
  }
  assert.match(
    runner.stderr(),
    /Refused a connection to the Runtime API at 127\.0\.0\.1:\d+: the connection from port \d+ is not made by a process of any execution environment/,
    'the runner logs the refusal',
  );
  const after = await runner.invoke('Second', {});
  assert.equal(after.status, 200, 'the functions work on');
});

test(
  'a connection whose process is gone before it is checked is refused without a line in the log (a function stopped as its runtime asked for the next event)',
  linux,
  async () => {
    // Warm environments: the main port routes Runtime API requests by who makes them (without one it needs no check).
    assert.equal((await runner.invoke('Second', {})).status, 200);
    const before = runner.stderr().length;
    // Each of these asks for /next and is gone at once (RST): by the time the runner looks, no socket of theirs is left.
    const script = `
    const { connect } = require('node:net');
    let left = 20;
    const once = () => {
      const socket = connect(${runner.port}, '127.0.0.1', () => {
        socket.write('GET /2018-06-01/runtime/invocation/next HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\n\\r\\n');
        socket.resetAndDestroy();
        if (--left > 0) setTimeout(once, 20); else setTimeout(() => process.exit(0), 200);
      });
      socket.on('error', () => undefined);
    };
    once();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: 'inherit' });
    await new Promise((resolve) => child.once('exit', resolve));
    await new Promise((resolve) => setTimeout(resolve, 500));
    const said = runner.stderr().slice(before);
    assert.doesNotMatch(said, /Refused a connection/, 'nobody is left to refuse: the refusal is not news');
    assert.equal((await runner.invoke('Second', {})).status, 200, 'the functions work on');
    // A live stranger is still refused, and said (the test above): only the vanished peer goes unsaid.
  },
);

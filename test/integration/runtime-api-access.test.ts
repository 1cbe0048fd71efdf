// Each execution environment's Runtime API serves only that environment's processes (runtime-api/access.ts): a
// second function that connects to a first one's addresses, or any other local process, cannot take the first one's
// events or fail it. On the runner's shared TCP port a second function's connection is its own environment's (its
// /next waits for its own events, its init error comes too late); on the first one's direct socket, and from any other
// local process, it is refused with a 403. Real clients (the project's Node client on both addresses, the tutorial's
// sh + curl bootstrap, whose curl processes are the runtime's children) keep working. Runs with the default access
// rule, as the CLI does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalLambda } from '../../runner/local-lambda.ts';
import { parseFunction } from '../../runner/functions/model.ts';
import { serveInvokeApi, SHELL_BOOTSTRAP_DIR } from './support/runner.ts';

let lambda: LocalLambda;
let dir: string;
const logs: string[] = [];

const NEXT = '/2018-06-01/runtime/invocation/next';
const INIT_ERROR = '/2018-06-01/runtime/init/error';

/**
 * What a stranger gets from an address: the status and error type, 'parked' when a /next is still waiting (it would
 * take the next event), 'closed' when the connection ended without a reply. The same code runs in the thief function and in a plain
 * outside process.
 */
const TRY = `
const { request } = require('node:http');
function attempt(target, method, path, body, waitMs) {
  return new Promise((resolve) => {
    const req = request({ ...target, method, path, agent: false }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => { let type = ''; try { type = JSON.parse(text).errorType; } catch {} resolve(res.statusCode + ' ' + type); });
    });
    req.on('error', () => resolve('closed'));
    setTimeout(() => resolve('parked'), waitMs);
    req.end(body);
  });
}
async function attack(tcp, socket) {
  const [host, port] = tcp.split(':');
  const out = {};
  for (const [name, target] of [['tcp', { host, port: Number(port) }], ['unix', socket && { socketPath: socket }]]) {
    if (!target) continue;
    out[name + 'Next'] = await attempt(target, 'GET', '${NEXT}', undefined, 500);
    out[name + 'InitError'] = await attempt(target, 'POST', '${INIT_ERROR}', '{"errorType":"Stolen","errorMessage":"taken over"}', 2000);
  }
  return out;
}
`;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'or-access-'));
  // The victim: the project's Node runtime client, which uses both the direct socket and the TCP address.
  mkdirSync(join(dir, 'victim'));
  writeFileSync(
    join(dir, 'victim', 'index.mjs'),
    'export const handler = async (event) => ({ ok: true, event, tcp: process.env.AWS_LAMBDA_RUNTIME_API, socket: process.env.OPEN_RUNTIME_RUNTIME_API_SOCKET });\n',
  );
  // The thief: a custom runtime that, for each of its own events, attacks the addresses the event names.
  mkdirSync(join(dir, 'thief'));
  writeFileSync(
    join(dir, 'thief', 'thief.cjs'),
    `${TRY}
const api = process.env.AWS_LAMBDA_RUNTIME_API.split(':');
function own(method, path, body) {
  return new Promise((resolve, reject) => {
    const req = request({ host: api[0], port: Number(api[1]), method, path }, (res) => {
      let text = '';
      res.on('data', (c) => (text += c));
      res.on('end', () => resolve({ headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
(async () => {
  for (;;) {
    const next = await own('GET', '${NEXT}');
    const { tcp, socket } = JSON.parse(next.text);
    const result = await attack(tcp, socket);
    await own('POST', '/2018-06-01/runtime/invocation/' + next.headers['lambda-runtime-aws-request-id'] + '/response', JSON.stringify(result));
  }
})();
`,
  );
  writeFileSync(join(dir, 'thief', 'bootstrap'), `#!/bin/sh\nexec "${process.execPath}" "${join(dir, 'thief', 'thief.cjs')}"\n`);
  chmodSync(join(dir, 'thief', 'bootstrap'), 0o755);
  lambda = new LocalLambda({ hotReload: false });
  lambda.setFunctions([
    parseFunction({ name: 'Victim', runtime: 'nodejs22.x', handler: 'index.handler', codeUri: join(dir, 'victim'), timeout: 10 }, 'test'),
    parseFunction({ name: 'Thief', runtime: 'provided.al2023', handler: 'thief.handler', codeUri: join(dir, 'thief'), timeout: 10 }, 'test'),
    parseFunction({ name: 'Shell', runtime: 'provided.al2023', handler: 'function.handler', codeUri: SHELL_BOOTSTRAP_DIR, timeout: 10 }, 'test'),
  ]);
  lambda.subscribe((event) => {
    if (event.type === 'log') logs.push(event.line);
  });
  await serveInvokeApi(lambda);
});

after(async () => {
  await lambda.close();
  rmSync(dir, { recursive: true, force: true });
});

function invoke(name: string, payload: unknown): Promise<{ status: number; headers: Record<string, unknown>; json: any }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: lambda.port, method: 'POST', path: `/2015-03-31/functions/${name}/invocations`, agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text) }));
    });
    req.setTimeout(15_000, () => req.destroy(new Error(`No answer from ${name} within 15 s.`)));
    req.on('error', reject);
    req.end(JSON.stringify(payload));
  });
}

const REFUSED = { tcpNext: '403 AccessDenied', tcpInitError: '403 AccessDenied', unixNext: '403 AccessDenied', unixInitError: '403 AccessDenied' };

test("a second function can neither take a first one's event nor fail it through its Runtime API addresses", async () => {
  const first = await invoke('Victim', { n: 1 });
  assert.equal(first.json.ok, true);
  const { tcp, socket } = first.json;
  assert.equal(tcp, `127.0.0.1:${lambda.port}`, "the Runtime API is on the runner's own port");
  assert.ok(socket, 'the direct socket is offered (the build made dist/peer-pid.node)');

  const thief = await invoke('Thief', { tcp, socket });
  assert.equal(thief.status, 200);
  assert.deepEqual(
    thief.json,
    // The shared port routes the thief's connections to its own environment: its /next waits for its own next event
    // (the victim's never reach it), and its init error is refused as too late for its own, initialised environment.
    { tcpNext: 'parked', tcpInitError: '403 InvalidStateTransition', unixNext: '403 AccessDenied', unixInitError: '403 AccessDenied' },
    "the thief's attempts reach only its own environment on the shared port, and are refused on the victim's socket",
  );

  const second = await invoke('Victim', { n: 2 });
  assert.equal(second.headers['x-amz-function-error'], undefined, `the victim still answers: ${JSON.stringify(second.json)}`);
  assert.deepEqual(second.json.event, { n: 2 });
  assert.ok(
    logs.some((line) =>
      /^Refused a connection to the direct Runtime API socket of execution environment Victim-\d+: process \d+ \(\S*node \S*thief\.cjs\) is not a process/.test(
        line,
      ),
    ),
    logs.filter((l) => l.startsWith('Refused')).join('\n'),
  );
});

test('a plain local process is refused on both addresses, and the function works on', async () => {
  const first = await invoke('Victim', { n: 3 });
  const child = spawn(
    process.execPath,
    [
      '-e',
      `${TRY}\nattack(${JSON.stringify(first.json.tcp)}, ${JSON.stringify(first.json.socket)}).then((r) => { console.log(JSON.stringify(r)); process.exit(0); });`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  await new Promise((resolve) => child.once('exit', resolve));
  assert.deepEqual(JSON.parse(out), REFUSED);
  const after = await invoke('Victim', { n: 4 });
  assert.deepEqual(after.json.event, { n: 4 });
});

test("a bootstrap's child processes (sh + curl, a new connection per request) are the environment's own", async () => {
  for (let i = 0; i < 3; i++) {
    const reply = await invoke('Shell', { i });
    assert.equal(reply.status, 200);
    assert.deepEqual(reply.json.event, { i });
  }
});

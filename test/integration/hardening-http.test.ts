// What a web page, a stray request or a careless client can do to the runner's main port, against the built CLI
// (`start`, `serve`, `rie` as real processes) over real HTTP, real sockets and a real Chromium:
// requests that used to end the process, pages that could create and run functions, DNS rebinding, a body that
// never finishes, an /events reader that stopped reading, the control token's way into the runner, and uploaded
// zips that lie about themselves.
import { test, after, before, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { CreateFunctionCommand, InvokeCommand, LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { zipSync } from 'fflate';
import {
  SHELL_BOOTSTRAP_DIR,
  SIGNED,
  assertBuilt,
  isAlive,
  removeTemps,
  startCli,
  startRunner,
  startServe,
  stopServe,
  tempDir,
  waitFor,
  writeTemplate,
  type CliProcess,
  type Runner,
  type Serve,
} from './support/runner.ts';
import { CONTROL_PREFIX, RUNNER_ENV } from '../../runner/protocol.ts';
import { launchChromium } from './support/chromium.ts';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  json: () => any;
}

/** One request exactly as given (no defaults but Host), on its own connection. */
function send(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const sdk = (endpoint: string) =>
  new LambdaClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });

function nodeZip(files: Record<string, string | Uint8Array>): Uint8Array {
  const tree: Record<string, [Uint8Array, { os: number; attrs: number }]> = {};
  for (const [name, data] of Object.entries(files))
    tree[name] = [typeof data === 'string' ? Buffer.from(data) : data, { os: 3, attrs: (0o100644 << 16) >>> 0 }];
  return zipSync(tree);
}

const HANDLER = 'exports.handler = async (event) => ({ ok: true, event });\n';

let dir: string;
let runner: Runner;

before(async () => {
  assertBuilt();
  dir = tempDir('hardening');
  const template = writeTemplate(dir, [{ name: 'Echo', codeUri: SHELL_BOOTSTRAP_DIR }]);
  // With the allocator settings and GC access the CLI's shebang and the editor give it (protocol.ts).
  runner = await startRunner(template, { ...RUNNER_ENV, NODE_OPTIONS: '--expose-gc --max-semi-space-size=1' });
});

after(async () => {
  await runner?.stop();
  removeTemps();
});

async function assertStillServes(target: CliProcess, signed = true): Promise<void> {
  assert.ok(isAlive(target.proc.pid!), `the runner is still running. Its stderr:\n${target.stderr().slice(-2000)}`);
  const reply = await send(target.port, 'POST', '/2015-03-31/functions/Echo/invocations', signed ? { ...SIGNED } : {}, '{"still":"here"}');
  assert.equal(reply.status, 200, reply.text);
  assert.deepEqual(reply.json().event, { still: 'here' });
}

describe('requests that used to end the runner', () => {
  const MALFORMED: Array<[string, string]> = [
    ['POST', '/2015-03-31/functions/%/invocations'],
    ['GET', '/2015-03-31/functions/%ZZ'],
    ['GET', '/2015-03-31/functions/Echo/aliases/%'],
    ['POST', '/2021-11-15/functions/%/response-streaming-invocations'],
    ['PUT', '/2015-03-31/functions/%E0%A4%A/configuration'],
  ];
  for (const [method, path] of MALFORMED) {
    test(`${method} ${path}: 400 InvalidParameterValueException, and the runner keeps serving`, async () => {
      const reply = await send(runner.port, method, path, { ...SIGNED }, '{}');
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.json().__type, 'InvalidParameterValueException');
      assert.match(reply.json().message, /not valid percent-encoding/);
      await assertStillServes(runner);
    });
  }
});

describe('who may call start (the Invoke API and the local control plane)', () => {
  test('an unsigned request: 403 MissingAuthenticationTokenException, saying how to sign', async () => {
    const reply = await send(runner.port, 'POST', '/2015-03-31/functions/Echo/invocations', { 'Content-Type': 'application/json' }, '{}');
    assert.equal(reply.status, 403, reply.text);
    assert.equal(reply.headers['x-amzn-errortype'], 'MissingAuthenticationTokenException');
    assert.match(reply.json().message, /Signature Version 4.*AWS_ACCESS_KEY_ID=local/);
  });

  test('DNS rebinding (Host: attacker.example) is refused even when signed', async () => {
    const reply = await send(runner.port, 'GET', '/2015-03-31/functions/', { ...SIGNED, Host: `attacker.example:${runner.port}` });
    assert.equal(reply.status, 403, reply.text);
    assert.equal(reply.json().__type, 'AccessDeniedException');
    assert.match(reply.json().message, /127\.0\.0\.1, localhost or \[::1\]/);
  });

  test('what Chromium sends for a cross-origin no-cors CreateFunction + invoke creates and runs nothing', async () => {
    // The headers of fetch(runner, {method: 'POST', mode: 'no-cors', headers: {'Content-Type': 'text/plain'}}).
    const browser = {
      Origin: 'http://127.0.0.1:8000',
      'Content-Type': 'text/plain;charset=UTF-8',
      'Sec-Fetch-Site': 'same-site',
      'Sec-Fetch-Mode': 'no-cors',
      'Sec-Fetch-Dest': 'empty',
    };
    const create = JSON.stringify({
      FunctionName: 'FromPage',
      Runtime: 'nodejs22.x',
      Role: 'arn:aws:iam::123456789012:role/x',
      Handler: 'index.handler',
      Code: { ZipFile: Buffer.from(nodeZip({ 'index.js': HANDLER })).toString('base64') },
    });
    const created = await send(runner.port, 'POST', '/2015-03-31/functions', browser, create);
    assert.equal(created.status, 403, created.text);
    assert.equal(created.json().__type, 'AccessDeniedException');
    assert.match(created.json().message, /--allow-origin/);
    const invoked = await send(runner.port, 'POST', '/2015-03-31/functions/Echo/invocations', browser, '{}');
    assert.equal(invoked.status, 403, invoked.text);
    const listed = await sdk(runner.endpoint).send(new ListFunctionsCommand({}));
    assert.deepEqual(
      (listed.Functions ?? []).map((f) => f.FunctionName),
      [],
    );
  });

  test('a real Chromium page on another port can neither create nor run a function', async (t) => {
    const page = await servePage();
    const browser = await launchChromium();
    t.after(async () => {
      await browser.close();
      page.server.close();
    });
    const tab = await browser.newPage();
    await tab.goto(page.url);
    const zip = Buffer.from(nodeZip({ 'index.js': HANDLER })).toString('base64');
    const outcome = await tab.evaluate(
      async ({ endpoint, zip }) => {
        const body = JSON.stringify({
          FunctionName: 'FromChromium',
          Runtime: 'nodejs22.x',
          Role: 'arn:aws:iam::123456789012:role/x',
          Handler: 'index.handler',
          Code: { ZipFile: zip },
        });
        await fetch(`${endpoint}/2015-03-31/functions`, { method: 'POST', mode: 'no-cors', headers: { 'Content-Type': 'text/plain' }, body });
        await fetch(`${endpoint}/2015-03-31/functions/FromChromium/invocations`, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'Content-Type': 'text/plain' },
          body: '{}',
        });
        // A CORS request with the header AWS clients send needs a preflight, which is refused.
        return fetch(`${endpoint}/2015-03-31/functions/Echo/invocations`, {
          method: 'POST',
          headers: { Authorization: 'AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=0' },
          body: '{}',
        }).then(
          () => 'read',
          (err: Error) => `blocked: ${err.message}`,
        );
      },
      { endpoint: runner.endpoint, zip },
    );
    assert.match(outcome, /^blocked/);
    const listed = await sdk(runner.endpoint).send(new ListFunctionsCommand({}));
    assert.deepEqual(
      (listed.Functions ?? []).map((f) => f.FunctionName),
      [],
      'nothing was created',
    );
  });

  test('--allow-origin lets that page in on purpose: preflight and CORS answers, from a real Chromium', async (t) => {
    const page = await servePage();
    const template = writeTemplate(tempDir('allowed'), [{ name: 'Echo', codeUri: SHELL_BOOTSTRAP_DIR }]);
    const allowed = await startCli(['start', '--port', '0', '--template', template, '--allow-origin', page.origin], {
      cwd: dir,
      banner: /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/,
    });
    const browser = await launchChromium();
    t.after(async () => {
      await browser.close();
      page.server.close();
      await allowed.stop();
    });
    const tab = await browser.newPage();
    await tab.goto(page.url);
    const answer = await tab.evaluate(async (endpoint) => {
      const res = await fetch(`${endpoint}/2015-03-31/functions/Echo/invocations`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Amz-Log-Type': 'Tail' },
        body: '{"from":"page"}',
      });
      return { status: res.status, body: await res.json(), version: res.headers.get('x-amz-executed-version') };
    }, allowed.endpoint);
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body.event, { from: 'page' });
    assert.equal(answer.version, '$LATEST', 'the X-Amz-* answer headers are exposed to the page');
    const preflight = await send(allowed.port, 'OPTIONS', '/2015-03-31/functions/Echo/invocations', {
      Origin: page.origin,
      'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'content-type,x-amz-log-type',
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], page.origin);
    assert.equal(preflight.headers['access-control-allow-headers'], 'content-type,x-amz-log-type');
    const other = await send(allowed.port, 'OPTIONS', '/2015-03-31/functions/Echo/invocations', {
      Origin: 'http://evil.example',
      'Access-Control-Request-Method': 'POST',
    });
    assert.equal(other.status, 403);
    assert.equal(other.headers['access-control-allow-origin'], undefined);
  });
});

/** A page on another 127.0.0.1 port, as a site the user happens to have open. */
async function servePage(): Promise<{ server: Server; url: string; origin: string }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>some page</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, url: `${origin}/`, origin };
}

describe('rie: unsigned like aws-lambda-rie, but not for web pages', () => {
  test('curl-style unsigned invoke works; an Origin or a foreign Host is refused', async () => {
    const rie = await startCli(['rie', '--runtime-interface-emulator-address', '127.0.0.1:0', './bootstrap'], {
      cwd: SHELL_BOOTSTRAP_DIR,
      banner: /POST http:\/\/127\.0\.0\.1:(\d+)\//,
    });
    try {
      const path = '/2015-03-31/functions/function/invocations';
      const ok = await send(rie.port, 'POST', path, {}, '{"curl":true}');
      assert.equal(ok.status, 200, ok.text);
      const page = await send(rie.port, 'POST', path, { Origin: 'http://evil.example', 'Content-Type': 'text/plain' }, '{}');
      assert.equal(page.status, 403, page.text);
      assert.equal(page.json().__type, 'AccessDeniedException');
      const rebound = await send(rie.port, 'POST', path, { Host: 'attacker.example' }, '{}');
      assert.equal(rebound.status, 403, rebound.text);
      const bad = await send(rie.port, 'POST', '/2015-03-31/functions/%/invocations', {}, '{}');
      assert.equal(bad.status, 400, bad.text);
      assert.ok(isAlive(rie.proc.pid!));
    } finally {
      await rie.stop();
    }
  });
});

describe('a request body that stops arriving', () => {
  test('gets 408 RequestTimeoutException after the idle period, and its connection is closed', async () => {
    const template = writeTemplate(tempDir('slow'), [{ name: 'Echo', codeUri: SHELL_BOOTSTRAP_DIR }]);
    const slow = await startRunner(template, { OPEN_RUNTIME_BODY_IDLE_TIMEOUT_MS: '400' });
    try {
      for (const [method, path] of [
        ['POST', '/2015-03-31/functions/Echo/invocations'],
        ['POST', '/2015-03-31/functions'],
      ]) {
        const answer = await new Promise<{ text: string; closed: boolean }>((resolve, reject) => {
          const socket = connect(slow.port, '127.0.0.1');
          let text = '';
          const timer = setTimeout(() => {
            socket.destroy();
            resolve({ text, closed: false });
          }, 15_000);
          socket.on('data', (c) => (text += c.toString('latin1')));
          socket.on('end', () => {
            clearTimeout(timer);
            resolve({ text, closed: true });
          });
          socket.on('error', reject);
          socket.write(
            `${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${SIGNED.Authorization}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"partial":`,
          );
        });
        assert.match(answer.text, /^HTTP\/1\.1 408 /, `${method} ${path}: ${answer.text || '(no answer within 15 s)'}`);
        assert.match(answer.text, /RequestTimeoutException/);
        assert.ok(answer.closed, 'the runner closed the connection');
      }
      await assertStillServes(slow);
    } finally {
      await slow.stop();
    }
  });
});

// ---- serve: the control token and /events -----------------------------------------------------------------------

describe('serve', () => {
  let serve: Serve;
  let work: string;
  const TOKEN = 'tok_' + 'a1b2c3d4e5f6'.repeat(3);

  before(async () => {
    work = tempDir('serve');
    // Reads what a function can read of the runner (its parent) and of itself, and returns where it put it.
    const snoop = join(work, 'snoop');
    mkdirSync(snoop);
    writeFileSync(
      join(snoop, 'bootstrap'),
      `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  ID=$(curl -sS -D - -o /dev/null "$API/invocation/next" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p')
  OUT="$SNOOP_DIR/$ID"
  { echo "ppid=$PPID"; echo "--- runner environ"; tr '\\0' '\\n' < /proc/$PPID/environ || echo DENIED; echo "--- runner cmdline"; tr '\\0' ' ' < /proc/$PPID/cmdline; echo; echo "--- own environ"; tr '\\0' '\\n' < /proc/$$/environ; } > "$OUT"
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\\"file\\":\\"$OUT\\"}"
done
`,
    );
    chmodSync(join(snoop, 'bootstrap'), 0o755);
    // Writes 30 MB of log lines: far more than /events may hold for a reader that stopped.
    const chatty = join(work, 'chatty');
    mkdirSync(chatty);
    writeFileSync(
      join(chatty, 'bootstrap'),
      `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  ID=$(curl -sS -D - -o /dev/null "$API/invocation/next" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p')
  head -c 30000000 /dev/zero | tr '\\0' 'x' | fold -w 1000 >&2
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d '{"done":true}'
done
`,
    );
    chmodSync(join(chatty, 'bootstrap'), 0o755);
    const snoopOut = join(work, 'out');
    mkdirSync(snoopOut);
    writeTemplate(work, [
      { name: 'Snoop', codeUri: snoop, environment: { SNOOP_DIR: snoopOut } },
      { name: 'Chatty', codeUri: chatty, timeout: 60 },
    ]);
    serve = await startServe(work, TOKEN);
  });

  after(async () => {
    if (serve) await stopServe(serve);
  });

  const control = (method: string, route: string, body?: unknown) =>
    send(
      serve.port,
      method,
      `${CONTROL_PREFIX}${route}`,
      { Authorization: `Bearer ${serve.token}`, 'Content-Type': 'application/json' },
      body === undefined ? undefined : JSON.stringify(body),
    );

  test('takes its control token from the first line of stdin, and no function can read it in /proc', async () => {
    const reply = await control('POST', '/invoke', { function: 'Snoop', payload: '{}' });
    assert.equal(reply.status, 200, reply.text);
    const file = JSON.parse(reply.json().payload).file as string;
    const seen = readFileSync(file, 'utf8');
    assert.match(
      seen,
      new RegExp(`^ppid=${serve.pid}$`, 'm'),
      `the function is a child of the runner (pid ${serve.pid}), so it read the runner's /proc entries:\n${seen.slice(0, 500)}`,
    );
    // As root (CI) the environment is readable, so the check means something; as a normal user the runner is
    // non-dumpable and it is not readable at all (the test below).
    assert.match(seen, /--- runner environ\n([A-Z_]+=|DENIED)/, seen.slice(0, 500));
    assert.ok(!seen.includes(TOKEN), "the token is in neither the runner's environment, nor its command line, nor the function's environment");
    assert.ok(!seen.includes('OPEN_RUNTIME_TOKEN'));
    const wrong = await send(serve.port, 'GET', `${CONTROL_PREFIX}/status`, { Authorization: 'Bearer not-the-token' });
    assert.equal(wrong.status, 401);
  });

  test('a control API body that is not JSON is a 400 saying so, not a 500', async () => {
    const reply = await send(
      serve.port,
      'POST',
      `${CONTROL_PREFIX}/invoke`,
      { Authorization: `Bearer ${serve.token}`, 'Content-Type': 'application/json' },
      '{"function":',
    );
    assert.equal(reply.status, 400, reply.text);
    assert.equal(reply.json().errorType, 'InvalidRequestContentException');
  });

  test('/events holds a bounded amount for a reader that stopped reading, then says how many it dropped', async () => {
    const socket = connect(serve.port, '127.0.0.1');
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString('latin1')));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(`GET ${CONTROL_PREFIX}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${serve.token}\r\n\r\n`);
    await waitFor('the /events answer', () => received.startsWith('HTTP/1.1 200'));
    socket.pause(); // the reader stops reading
    const reply = await send(serve.port, 'POST', '/2015-03-31/functions/Chatty/invocations', { ...SIGNED }, '{}');
    assert.equal(reply.status, 200, reply.text);
    socket.resume();
    const dropped = await waitFor(
      'an events-dropped line once the reader caught up',
      () => /\{"type":"events-dropped","count":(\d+)\}/.exec(received) ?? undefined,
      30_000,
    );
    assert.ok(Number(dropped[1]) > 0);
    assert.ok(received.length < 30_000_000, `fewer bytes than the logs written (${received.length})`);
    socket.destroy();
    const status = await control('GET', '/status');
    assert.equal(status.status, 200, 'the runner serves on');
  });
});

// ---- uploaded packages ------------------------------------------------------------------------------------------

describe('zip packages sent to the local control plane', () => {
  const create = (name: string, zip: Uint8Array) =>
    sdk(runner.endpoint).send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Role: 'arn:aws:iam::123456789012:role/x',
        Handler: 'index.handler',
        Code: { ZipFile: zip },
      }),
    );
  const deployed = (name: string) => join(dir, '.open-runtime', 'deployed', name);

  async function refused(name: string, zip: Uint8Array, pattern: RegExp): Promise<void> {
    await assert.rejects(create(name, zip), (err: any) => {
      assert.equal(err.$metadata?.httpStatusCode, 400, String(err));
      assert.equal(err.name, 'InvalidParameterValueException');
      assert.match(err.message, pattern);
      return true;
    });
    const left = existsSync(deployed(name)) ? readdirSync(deployed(name)) : [];
    assert.deepEqual(left, [], 'nothing half-unpacked is left');
  }

  test('an entry whose central directory understates its size is refused, not truncated', async () => {
    const zip = Buffer.from(nodeZip({ 'index.js': HANDLER + '// ' + 'padding '.repeat(200) + '\n' }));
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(40, central + 24); // the uncompressed size: 40 bytes instead of ~1.7 KB
    await refused('SizeLie', zip, /Could not unzip uploaded file.*inflates to more than the 40 bytes/);
  });

  test('a file and a folder of the same name, or the same file twice, are refused with nothing left behind', async () => {
    await refused('FileAndFolder', nodeZip({ 'index.js': HANDLER, lib: 'a file', 'lib/util.js': 'a file in a folder' }), /both as a file and as a folder/);
    const twice = Buffer.from(nodeZip({ 'index.js': HANDLER, 'other.js': '// the same name twice' }));
    for (let at = twice.indexOf('other.js'); at >= 0; at = twice.indexOf('other.js', at + 1)) twice.write('index.js', at, 'latin1');
    await refused('Twice', twice, /two entries named "index\.js"/);
  });

  test('a 200 MB package in a 200 KB zip is unpacked as Lambda would take it, with bounded memory', async () => {
    const work = tempDir('bomb');
    writeFileSync(join(work, 'index.js'), HANDLER);
    writeFileSync(join(work, 'zeros.bin'), '');
    truncateSync(join(work, 'zeros.bin'), 200 * 1_048_576);
    const zipped = spawnSync('zip', ['-q', '-9', '-X', 'bomb.zip', 'index.js', 'zeros.bin'], { cwd: work });
    assert.equal(zipped.status, 0, String(zipped.stderr));
    const zip = readFileSync(join(work, 'bomb.zip'));
    assert.ok(zip.length < 300_000, `${zip.length} bytes zipped`);
    const peak = () => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${runner.proc.pid}/status`, 'utf8'))![1]) * 1024;
    const before = peak();
    const created = await create('Bomb', zip);
    assert.equal(created.CodeSize, zip.length);
    const grown = peak() - before;
    assert.ok(grown < 64 * 1_048_576, `the runner's peak memory grew by ${Math.round(grown / 1_048_576)} MB unpacking 200 MB`);
    const [codeDir] = readdirSync(deployed('Bomb')).filter((f) => !f.endsWith('.zip'));
    assert.equal(statSync(join(deployed('Bomb'), codeDir!, 'zeros.bin')).size, 200 * 1_048_576);
    const invoked = await sdk(runner.endpoint).send(new InvokeCommand({ FunctionName: 'Bomb', Payload: Buffer.from('{"a":1}') }));
    assert.deepEqual(JSON.parse(Buffer.from(invoked.Payload!).toString()), { ok: true, event: { a: 1 } });
  });
});

describe('a function cannot inspect the runner', () => {
  // Functions run as the runner's user. Without Yama (this kernel has none) such a process may ptrace the runner
  // and read /proc/<runner>/mem and environ; `start` and `serve` make the runner non-dumpable, so only root can.
  // As root, the runner runs as nobody here, to be a normal user's runner (root reads everything anyway).
  test('reading /proc/<runner>/environ and opening /proc/<runner>/mem are refused', { skip: process.platform !== 'linux' }, async () => {
    const dir = tempDir('inspect');
    chmodSync(dir, 0o777);
    const code = join(dir, 'code');
    mkdirSync(code);
    writeFileSync(
      join(code, 'bootstrap'),
      `#!/bin/sh
API="http://$AWS_LAMBDA_RUNTIME_API/2018-06-01/runtime"
while true; do
  ID=$(curl -sS -D - -o /dev/null "$API/invocation/next" | tr -d '\\r' | sed -n 's/^[Ll]ambda-[Rr]untime-[Aa]ws-[Rr]equest-[Ii]d: *//p')
  if head -c 1 /proc/$PPID/environ >/dev/null 2>&1; then ENV=read; else ENV=denied; fi
  if (exec 3</proc/$PPID/mem) 2>/dev/null; then MEM=opened; else MEM=denied; fi
  curl -sS -o /dev/null -X POST "$API/invocation/$ID/response" -d "{\\"ppid\\":$PPID,\\"environ\\":\\"$ENV\\",\\"mem\\":\\"$MEM\\"}"
done
`,
    );
    chmodSync(join(code, 'bootstrap'), 0o755);
    const template = writeTemplate(dir, [{ name: 'Inspector', codeUri: code }]);
    const asUser = process.getuid?.() === 0 ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const runner = await startCli(['start', '--port', '0', '--api-port', '0', '--template', template], {
      cwd: dir,
      banner: /Lambda Invoke API on http:\/\/127\.0\.0\.1:(\d+)/,
      prefix: asUser,
    });
    try {
      const reply = await send(runner.port, 'POST', '/2015-03-31/functions/Inspector/invocations', { ...SIGNED }, '{}');
      assert.equal(reply.status, 200, reply.text);
      const seen = reply.json() as { ppid: number; environ: string; mem: string };
      assert.equal(seen.ppid, runner.proc.pid, 'the function is a child of the runner (setpriv execs it: same pid)');
      assert.deepEqual({ environ: seen.environ, mem: seen.mem }, { environ: 'denied', mem: 'denied' }, runner.stderr());
    } finally {
      await runner.stop();
    }
  });
});

// WebSocket APIs on the local gateway, driven with the `ws` client, a real Chromium page and the AWS SDK's
// ApiGatewayManagementApiClient, against a real runner running the chat-like SAM app (test/fixtures/websocket/sam:
// CloudFormation AWS::ApiGatewayV2::* resources) and the serverless.yml app (test/fixtures/websocket/serverless):
// $connect with a query string (and refusing with 401), messages routed by the route selection expression, $default,
// two-way routes, a broadcast through PostToConnection, GetConnection, DeleteConnection and 410 for a gone connection,
// binary frames, the disconnect event, the 128 KB limit, the idle timeout, API Gateway's "Forbidden" frame, and the
// management API refused to callers without an AWS signature and to web pages.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ApiGatewayManagementApiClient, GetConnectionCommand, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { APIGatewayEventWebsocketRequestContextV2 } from 'aws-lambda';
import WebSocket from 'ws';
import { FIXTURES, SIGNED, removeTemps, startCli, tempDir, waitFor, type CliProcess } from './support/runner.ts';
import { rejectRefusedUpgrade } from './support/gateway.ts';
import { launchChromium } from './support/chromium.ts';

const CREDENTIALS = { AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local' };

let sam: CliProcess;
let samState: string;
let sls: CliProcess;
let slsState: string;
let page: Server;
let pageOrigin: string;

before(async () => {
  samState = tempDir('ws-sam');
  slsState = tempDir('ws-sls');
  const banner = /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/;
  [sam, sls] = await Promise.all([
    startCli(
      [
        'start',
        '--port',
        '0',
        '--api-port',
        '0',
        '--template',
        join(FIXTURES, 'websocket', 'sam', 'template.yaml'),
        '--parameter-overrides',
        `StateDir=${samState}`,
      ],
      { cwd: join(FIXTURES, 'websocket', 'sam'), env: CREDENTIALS, banner },
    ),
    startCli(['start', '--port', '0', '--api-port', '0', '--ws-idle-timeout', '2', '--template', join(FIXTURES, 'websocket', 'serverless', 'serverless.yml')], {
      cwd: join(FIXTURES, 'websocket', 'serverless'),
      env: { ...CREDENTIALS, CHAT_STATE_DIR: slsState },
      banner,
    }),
  ]);
  page = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>chat page</title>'));
  await new Promise<void>((resolve) => page.listen(0, '127.0.0.1', resolve));
  pageOrigin = `http://localhost:${(page.address() as AddressInfo).port}`;
});

after(async () => {
  await Promise.all([sam?.stop(), sls?.stop()]);
  page?.close();
  removeTemps();
});

/** A connected client that keeps what it receives, in order. */
interface Client {
  ws: WebSocket;
  next(timeoutMs?: number): Promise<{ text: string; binary: boolean }>;
  closed: Promise<{ code: number; reason: string }>;
}

function open(port: number, path: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<Client> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, protocols, { headers });
    const inbox: { text: string; binary: boolean }[] = [];
    const waiting: ((m: { text: string; binary: boolean }) => void)[] = [];
    ws.on('message', (data: Buffer, binary: boolean) => {
      const message = { text: binary ? data.toString('hex') : data.toString('utf8'), binary };
      const waiter = waiting.shift();
      if (waiter) waiter(message);
      else inbox.push(message);
    });
    const closed = new Promise<{ code: number; reason: string }>((done) => ws.on('close', (code, reason) => done({ code, reason: reason.toString('utf8') })));
    rejectRefusedUpgrade(ws, reject);
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        closed,
        next: (timeoutMs = 10_000) => {
          const ready = inbox.shift();
          if (ready) return Promise.resolve(ready);
          return new Promise((got, fail) => {
            const timer = setTimeout(() => fail(new Error(`no message within ${timeoutMs} ms`)), timeoutMs);
            waiting.push((m) => {
              clearTimeout(timer);
              got(m);
            });
          });
        },
      }),
    );
  });
}

function eventsOf(state: string): Record<string, any>[] {
  const file = join(state, 'events.jsonl');
  return existsSync(file)
    ? readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line))
    : [];
}

/** Every field API Gateway puts in a WebSocket event's requestContext (@types/aws-lambda's, and the extras it documents). */
function assertContext(context: APIGatewayEventWebsocketRequestContextV2 & Record<string, any>, eventType: string, routeKey: string, stage: string): void {
  assert.equal(context.eventType, eventType);
  assert.equal(context.routeKey, routeKey);
  assert.equal(context.stage, stage);
  assert.equal(context.messageDirection, 'IN');
  assert.match(context.connectionId, /^[A-Za-z0-9]{15}=$/);
  assert.match(context.requestId, /^[A-Za-z0-9]{15}=$/);
  assert.equal(context.extendedRequestId, context.requestId);
  assert.match(context.apiId, /^[a-z0-9]{10}$/);
  assert.match(context.domainName, /^127\.0\.0\.1:\d+$/);
  assert.match(context.requestTime, /^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
  assert.equal(typeof context.connectedAt, 'number');
  assert.ok(context.requestTimeEpoch >= context.connectedAt);
  assert.equal((context as any).identity.sourceIp, '127.0.0.1');
  if (eventType === 'MESSAGE') assert.match(context.messageId, /^[A-Za-z0-9]{15}=$/);
  else assert.equal(context.messageId, undefined);
}

test('start prints the WebSocket APIs: URL, stage, selection expression and routes', () => {
  const out = sam.stderr();
  assert.match(
    out,
    new RegExp(
      `ws://127\\.0\\.0\\.1:${sam.port}/Prod +ChatApi \\(stage Prod, routes by \\$request\\.body\\.action; @connections at http://127\\.0\\.0\\.1:${sam.port}/Prod/@connections/\\{id\\}\\)`,
    ),
  );
  assert.match(out, /\$connect +OnConnect\n/);
  assert.match(out, /whoami +Manage +\(two-way: the response goes back to the client\)/);
  assert.match(out, /sendmessage +SendMessage\n/);
  assert.match(sls.stderr(), /ws:\/\/127\.0\.0\.1:\d+\/local +WebsocketsApi \(stage local, routes by \$request\.body\.type/);
});

test('$connect gets the query string and headers; a two-way route answers with the MESSAGE event and GetConnection through the AWS SDK', async () => {
  const client = await open(sam.port, '/Prod?token=letmein&name=ada&tag=a&tag=b', { 'User-Agent': 'chat-test/1.0', 'X-Custom': 'yes' });
  try {
    client.ws.send(JSON.stringify({ action: 'whoami' }));
    const reply = JSON.parse((await client.next()).text);
    const message = reply.event;
    assertContext(message.requestContext, 'MESSAGE', 'whoami', 'Prod');
    assert.equal(message.body, '{"action":"whoami"}');
    assert.equal(message.isBase64Encoded, false);
    assert.equal(message.headers, undefined, 'headers only come with $connect');
    assert.equal(message.queryStringParameters, undefined);
    const connect = eventsOf(samState).find(
      (e) => e.requestContext?.eventType === 'CONNECT' && e.requestContext.connectionId === message.requestContext.connectionId,
    )!;
    assertContext(connect.requestContext, 'CONNECT', '$connect', 'Prod');
    assert.equal(connect.requestContext.connectedAt, message.requestContext.connectedAt);
    assert.equal(connect.requestContext.identity.userAgent, 'chat-test/1.0');
    assert.deepEqual(connect.queryStringParameters, { token: 'letmein', name: 'ada', tag: 'b' });
    assert.deepEqual(connect.multiValueQueryStringParameters, { token: ['letmein'], name: ['ada'], tag: ['a', 'b'] });
    assert.equal(connect.headers['X-Custom'], 'yes');
    assert.equal(connect.headers['Sec-WebSocket-Version'], '13');
    assert.equal(connect.headers['X-Forwarded-For'], '127.0.0.1');
    assert.deepEqual(connect.multiValueHeaders['X-Custom'], ['yes']);
    assert.equal(connect.isBase64Encoded, false);
    assert.equal(connect.body, undefined);
    // GetConnection, as the handler got it through the SDK.
    assert.equal(reply.connection.identity.SourceIp, '127.0.0.1');
    assert.equal(reply.connection.identity.UserAgent, 'chat-test/1.0');
    assert.equal(Date.parse(reply.connection.connectedAt), message.requestContext.connectedAt);
    assert.ok(Date.parse(reply.connection.lastActiveAt) >= message.requestContext.connectedAt);
  } finally {
    client.ws.close();
  }
});

test("the subprotocol $connect answers with (its Sec-WebSocket-Protocol header) is the connection's", async () => {
  const client = await open(sam.port, '/Prod?token=letmein', {}, ['v2.chat', 'chat']);
  assert.equal(client.ws.protocol, 'chat');
  client.ws.close();
});

test('$connect answering 401 refuses the upgrade with that status and its body', async () => {
  await assert.rejects(open(sam.port, '/Prod?token=wrong'), (error: Error & { status?: number; body?: string }) => {
    assert.equal(error.status, 401);
    assert.match(error.body!, /Unauthorized: pass \?token=letmein/);
    return true;
  });
  await assert.rejects(open(sam.port, '/Nope?token=letmein'), (error: Error & { status?: number }) => error.status === 404);
});

test('messages go to the route the action names; other actions, non-JSON text and binary frames go to $default', async () => {
  const client = await open(sam.port, '/Prod?token=letmein');
  try {
    client.ws.send(JSON.stringify({ action: 'no-such-route', n: 1 }));
    assert.equal((await client.next()).text, 'default got text {"action":"no-such-route","n":1}');
    client.ws.send('not json at all');
    assert.equal((await client.next()).text, 'default got text not json at all');
    client.ws.send(Buffer.from([0, 1, 2, 0xff]), { binary: true });
    assert.equal((await client.next()).text, 'default got binary 000102ff');
    const binary = eventsOf(samState).find((e) => e.requestContext?.routeKey === '$default' && e.isBase64Encoded);
    assert.equal(binary?.body, Buffer.from([0, 1, 2, 0xff]).toString('base64'));
    assertContext(binary!.requestContext, 'MESSAGE', '$default', 'Prod');
  } finally {
    client.ws.close();
  }
});

test('a handler broadcasts with PostToConnection to every connection; one that has gone gets 410 GoneException', async () => {
  const alice = await open(sam.port, '/Prod?token=letmein&name=alice');
  const bob = await open(sam.port, '/Prod?token=letmein&name=bob');
  // A connection id the chat remembers but the gateway has never had (a client that went away without $disconnect).
  const ghost = 'GhostGhostGhost=';
  writeFileSync(join(samState, 'connections', ghost), 'ghost');
  try {
    alice.ws.send(JSON.stringify({ action: 'sendmessage', message: 'hello all' }));
    const [toAlice, toBob] = await Promise.all([alice.next(), bob.next()]);
    assert.equal(JSON.parse(toAlice.text).message, 'hello all');
    assert.deepEqual(JSON.parse(toBob.text), JSON.parse(toAlice.text));
    assert.equal(toBob.binary, false);
    await waitFor('the gone connection to be reported', () => eventsOf(samState).find((e) => e.gone === ghost));
    assert.equal(eventsOf(samState).find((e) => e.gone === ghost)!.status, 410);
  } finally {
    alice.ws.close();
    bob.ws.close();
  }
});

test('DeleteConnection closes a client, whose $disconnect follows; the closed id is 410 GoneException from then on', async () => {
  const admin = await open(sam.port, '/Prod?token=letmein');
  const victim = await open(sam.port, '/Prod?token=letmein');
  admin.ws.send(JSON.stringify({ action: 'whoami' }));
  victim.ws.send(JSON.stringify({ action: 'whoami' }));
  const [, victimId] = await Promise.all([admin.next(), victim.next()]).then((r) => r.map((m) => JSON.parse(m.text).event.requestContext.connectionId));
  try {
    admin.ws.send(JSON.stringify({ action: 'kick', target: victimId }));
    assert.deepEqual(JSON.parse((await admin.next()).text), { kicked: victimId, afterwards: 'GoneException 410' });
    const closed = await victim.closed;
    assert.equal(closed.code, 1000);
    const disconnect = await waitFor('$disconnect of the kicked client', () =>
      eventsOf(samState).find((e) => e.requestContext?.eventType === 'DISCONNECT' && e.requestContext.connectionId === victimId),
    );
    assertContext(disconnect.requestContext, 'DISCONNECT', '$disconnect', 'Prod');
    assert.equal(disconnect.requestContext.disconnectStatusCode, 1000);
  } finally {
    admin.ws.close();
  }
});

test('a client closing sends $disconnect with its close code and reason', async () => {
  const client = await open(sam.port, '/Prod?token=letmein');
  client.ws.send(JSON.stringify({ action: 'whoami' }));
  const id = JSON.parse((await client.next()).text).event.requestContext.connectionId;
  client.ws.close(4000, 'bye now');
  const disconnect = await waitFor('the $disconnect event', () =>
    eventsOf(samState).find((e) => e.requestContext?.eventType === 'DISCONNECT' && e.requestContext.connectionId === id),
  );
  assert.equal(disconnect.requestContext.disconnectStatusCode, 4000);
  assert.equal(disconnect.requestContext.disconnectReason, 'bye now');
  assert.equal(disconnect.headers, undefined);
  assert.equal(disconnect.isBase64Encoded, false);
});

test('a message over 128 KB closes the connection with 1009, as API Gateway does', async () => {
  const client = await open(sam.port, '/Prod?token=letmein');
  client.ws.send('x'.repeat(128 * 1024 + 1));
  assert.equal((await client.closed).code, 1009);
});

test('the management API takes SDK calls from outside the functions too, and refuses unsigned callers and web pages', async () => {
  const client = await open(sam.port, '/Prod?token=letmein');
  client.ws.send(JSON.stringify({ action: 'whoami' }));
  const id: string = JSON.parse((await client.next()).text).event.requestContext.connectionId;
  const url = `http://127.0.0.1:${sam.port}/Prod/@connections/${encodeURIComponent(id)}`;
  try {
    const sdk = new ApiGatewayManagementApiClient({
      endpoint: `http://127.0.0.1:${sam.port}/Prod`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await sdk.send(new PostToConnectionCommand({ ConnectionId: id, Data: 'from outside' }));
    assert.equal((await client.next()).text, 'from outside');
    const info = await sdk.send(new GetConnectionCommand({ ConnectionId: id }));
    assert.equal(info.Identity?.SourceIp, '127.0.0.1');
    await assert.rejects(
      sdk.send(new GetConnectionCommand({ ConnectionId: 'NoSuchConnecti0=' })),
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => error.name === 'GoneException' && error.$metadata?.httpStatusCode === 410,
    );

    const unsigned = await fetch(url, { method: 'POST', body: 'spoofed' });
    assert.equal(unsigned.status, 403);
    assert.equal(unsigned.headers.get('x-amzn-errortype'), 'MissingAuthenticationTokenException');
    assert.match(await unsigned.text(), /ApiGatewayManagementApiClient/);
    const fromPage = await fetch(url, { method: 'POST', body: 'spoofed', headers: { ...SIGNED, Origin: 'https://evil.example' } });
    assert.equal(fromPage.status, 403);
    assert.equal(fromPage.headers.get('x-amzn-errortype'), 'AccessDeniedException');
    const tooBig = await fetch(url, { method: 'POST', body: 'x'.repeat(128 * 1024 + 1), headers: SIGNED });
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.headers.get('x-amzn-errortype'), 'PayloadTooLargeException');
    client.ws.send(JSON.stringify({ action: 'whoami' }));
    assert.notEqual((await client.next()).text, 'spoofed', 'nothing unsigned reached the client');
  } finally {
    client.ws.close();
  }
});

test('a real browser: a page on another origin connects (API Gateway checks no Origin; $connect sees it), but may not call @connections', async () => {
  const browser = await launchChromium();
  try {
    const tab = await browser.newPage();
    await tab.goto(pageOrigin);
    const result = await tab.evaluate(async (port) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/Prod?token=letmein&name=page`);
      await new Promise((resolve, reject) => {
        ws.onopen = resolve;
        ws.onerror = () => reject(new Error('the WebSocket did not open'));
      });
      const reply = new Promise<string>((resolve) => (ws.onmessage = (m) => resolve(String(m.data))));
      ws.send(JSON.stringify({ action: 'whoami' }));
      const id = JSON.parse(await reply).event.requestContext.connectionId as string;
      let management: string;
      try {
        const res = await fetch(`http://127.0.0.1:${port}/Prod/@connections/${encodeURIComponent(id)}`, { method: 'POST', body: 'from the page' });
        management = `answered ${res.status}`;
      } catch (error) {
        management = `blocked: ${(error as Error).message}`;
      }
      ws.close();
      return { id, management };
    }, sam.port);
    const connect = eventsOf(samState).find((e) => e.requestContext?.eventType === 'CONNECT' && e.requestContext.connectionId === result.id)!;
    assert.equal(connect.headers.Origin ?? connect.headers.origin, pageOrigin);
    // The page's POST was sent (a "simple" request needs no preflight), and refused: its answer can't even be read.
    assert.match(result.management, /^blocked: Failed to fetch|^answered 403/);
  } finally {
    await browser.close();
  }
});

test('serverless.yml: routes by its own selection expression, a two-way route replies, the SDK posts over http://, and no $default means the "Forbidden" frame', async () => {
  const client = await open(sls.port, '/local');
  try {
    client.ws.send(JSON.stringify({ type: 'echo', text: 'hi' }));
    assert.equal((await client.next()).text, 'echo: hi');
    client.ws.send(JSON.stringify({ type: 'shout', text: 'quiet' }));
    assert.equal((await client.next()).text, 'QUIET');
    client.ws.send(JSON.stringify({ action: 'echo', text: 'wrong key' }));
    const forbidden = JSON.parse((await client.next()).text);
    assert.equal(forbidden.message, 'Forbidden');
    assert.match(forbidden.connectionId, /^[A-Za-z0-9]{15}=$/);
    assert.match(forbidden.requestId, /^[A-Za-z0-9]{15}=$/);
    const echo = eventsOf(slsState).find((e) => e.requestContext?.routeKey === 'echo')!;
    assertContext(echo.requestContext, 'MESSAGE', 'echo', 'local');
    assert.equal(forbidden.connectionId, echo.requestContext.connectionId);
  } finally {
    client.ws.close();
  }
});

test('an HTTP route beside the WebSocket API still answers requests that ask for another Upgrade (curl --http2) and HTTPS', () => {
  const h2c = execFileSync('curl', ['-s', '--http2', `http://127.0.0.1:${sls.port}/health`], { encoding: 'utf8' });
  assert.equal(h2c, 'ok over HTTP/1.1');
  const tls = execFileSync('curl', ['-s', '--insecure', `https://127.0.0.1:${sls.port}/health`], { encoding: 'utf8' });
  assert.equal(tls, 'ok over HTTP/1.1');
});

test('a changed definition file reloads the routes, an open connection follows them, and stopping the runner closes it', async () => {
  const dir = tempDir('ws-reload');
  const service = (routes: string[]) =>
    `service: reload\nprovider: { name: aws, runtime: nodejs22.x, stage: dev }\nfunctions:\n  answer:\n    handler: handler.answer\n    events:\n${routes.map((r) => `      - websocket: { route: ${r}, routeResponseSelectionExpression: $default }\n`).join('')}`;
  writeFileSync(join(dir, 'handler.mjs'), 'export const answer = async (event) => ({ statusCode: 200, body: `answered ${event.requestContext.routeKey}` });\n');
  writeFileSync(join(dir, 'serverless.yml'), service(['first']));
  const runner = await startCli(['start', '--port', '0', '--api-port', '0'], { cwd: dir, banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/ });
  try {
    const client = await open(runner.port, '/dev');
    client.ws.send('{"action":"second"}');
    assert.equal(JSON.parse((await client.next()).text).message, 'Forbidden');
    writeFileSync(join(dir, 'serverless.yml'), service(['first', 'second']));
    // The runner notices the file within a moment; until then the message still gets "Forbidden".
    let reply = '';
    for (let i = 0; i < 100 && reply !== 'answered second'; i++) {
      if (i) await new Promise((r) => setTimeout(r, 100));
      client.ws.send('{"action":"second"}');
      reply = (await client.next()).text;
    }
    assert.equal(reply, 'answered second');
    // Stopping with the connection still open: the runner closes it and exits (0), it does not hang.
    assert.equal(await runner.stop(), 0);
    assert.equal((await client.closed).code, 1006);
  } finally {
    await runner.stop();
  }
});

test('an idle connection is closed after --ws-idle-timeout with 1001 "Going away", and $disconnect says so', async () => {
  const client = await open(sls.port, '/local');
  client.ws.send(JSON.stringify({ type: 'echo', text: 'one' }));
  const id =
    (await client.next()) &&
    eventsOf(slsState)
      .filter((e) => e.requestContext?.routeKey === 'echo')
      .at(-1)!.requestContext.connectionId;
  const closed = await client.closed;
  assert.deepEqual(closed, { code: 1001, reason: 'Going away' });
  const disconnect = await waitFor("the idle connection's $disconnect", () =>
    eventsOf(slsState).find((e) => e.requestContext?.eventType === 'DISCONNECT' && e.requestContext.connectionId === id),
  );
  assert.equal(disconnect.requestContext.disconnectStatusCode, 1001);
  assert.equal(disconnect.requestContext.disconnectReason, 'Going away');
});

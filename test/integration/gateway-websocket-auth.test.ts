// $connect authorizers of WebSocket APIs, driven with the `ws` client against a real runner: a CloudFormation
// AWS::ApiGatewayV2::Authorizer (REQUEST, identity from a header and a query string) and serverless.yml's
// `websocket: { route: $connect, authorizer }`. A missing identity source is 401 without calling the authorizer, a
// thrown "Unauthorized" 401, a Deny policy 403, a broken answer 500; an Allow opens the connection and the
// authorizer's principalId and context reach requestContext.authorizer of the connection's events. An AWS_IAM $connect
// takes only upgrades signed with the user's credentials (a presigned URL made by the SDK's own signer, or a signed
// Authorization header), 403 otherwise before $connect runs; the signer reaches requestContext.identity.
// Fixtures: test/fixtures/websocket/auth/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import WebSocket from 'ws';
import { CONTROL_PREFIX, RouteList } from '../../runner/protocol.ts';
import { FIXTURES, removeTemps, startCli, startServe, stopServe, tempDir, type CliProcess } from './support/runner.ts';
import { NodeSha256, rejectRefusedUpgrade } from './support/gateway.ts';

let sam: CliProcess;
let sls: CliProcess;
const ACCESS_KEY = 'AKIDWEBSOCKETTEST000';
const SECRET = 'websocket-test-secret';

before(async () => {
  const banner = /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/;
  [sam, sls] = await Promise.all([
    startCli(['start', '--port', '0', '--api-port', '0', '--template', join(FIXTURES, 'websocket', 'auth', 'template.yaml')], {
      cwd: join(FIXTURES, 'websocket', 'auth'),
      banner,
      // The user's own credentials: AWS_IAM signatures are checked with them.
      env: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: '', AWS_REGION: 'us-east-1' },
    }),
    startCli(['start', '--port', '0', '--api-port', '0', '--template', join(FIXTURES, 'websocket', 'auth', 'serverless', 'serverless.yml')], {
      cwd: join(FIXTURES, 'websocket', 'auth', 'serverless'),
      banner,
    }),
  ]);
});

after(async () => {
  await Promise.all([sam?.stop(), sls?.stop()]);
  removeTemps();
});

type Connected = { ws: WebSocket; ask(text: string): Promise<Record<string, any>> };

/** Connects, or rejects with the upgrade's status and body. */
function connect(port: number, path: string, headers: Record<string, string>): Promise<Connected> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { headers });
    rejectRefusedUpgrade(ws, reject);
    ws.on('error', reject);
    ws.on('open', () =>
      resolve({
        ws,
        ask: (text) =>
          new Promise((answer) => {
            ws.once('message', (data: Buffer) => answer(JSON.parse(data.toString('utf8'))));
            ws.send(text);
          }),
      }),
    );
  });
}

async function refused(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  const error = await connect(port, path, headers).then(
    (c) => {
      c.ws.close();
      return undefined;
    },
    (e: { status?: number; body?: string }) => e,
  );
  assert.ok(error && typeof error.status === 'number', 'the upgrade is refused with an HTTP status');
  return { status: error.status!, body: error.body ?? '' };
}

function signer(secret: string, accessKeyId = ACCESS_KEY): SignatureV4 {
  return new SignatureV4({ credentials: { accessKeyId, secretAccessKey: secret }, region: 'us-east-1', service: 'execute-api', sha256: NodeSha256 as never });
}

/** `/signed?X-Amz-...`: the URL a browser or SDK client opens, presigned by the SDK's own signer. */
async function presigned(port: number, secret: string, opts: { accessKeyId?: string; signingDate?: Date; expiresIn?: number } = {}): Promise<string> {
  const request = await signer(secret, opts.accessKeyId).presign(
    { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path: '/signed', query: {}, headers: { host: `127.0.0.1:${port}` } },
    { ...(opts.signingDate ? { signingDate: opts.signingDate } : {}), expiresIn: opts.expiresIn ?? 300 },
  );
  return `/signed?${new URLSearchParams(request.query as Record<string, string>).toString()}`;
}

/** The headers of a SigV4 header-signed upgrade to /signed, with `secret`. */
async function signedUpgrade(port: number, secret: string): Promise<Record<string, string>> {
  const request = await signer(secret).sign({
    method: 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port,
    path: '/signed',
    query: {},
    headers: { host: `127.0.0.1:${port}` },
  });
  return request.headers as Record<string, string>;
}

/** Waits for a line of the runner's log (it is written after the answer). */
async function logged(cli: CliProcess, line: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !line.test(cli.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(cli.stderr(), line);
}

const signedConnects = () => (sam.stderr().match(/\[Signed\] START RequestId/g) ?? []).length;

test('start prints the $connect authorizer beside its route (and no note about the WebSocket routes)', () => {
  assert.doesNotMatch(sam.stderr(), /is not !Ref of an HTTP AWS::ApiGatewayV2::Api/);
  assert.match(sam.stderr(), /\$connect {2}Echo {2}\(authorizer token-check: Authorize, route\.request\.header\.Auth, route\.request\.querystring\.token\)/);
  assert.match(sls.stderr(), /\$connect {2}connect {2}\(authorizer authorize: authorize, route\.request\.header\.Auth, route\.request\.querystring\.token\)/);
  assert.match(sam.stderr(), /\$connect {2}Signed {2}\(AWS_IAM: SigV4-signed upgrade or presigned URL\)/);
  assert.doesNotMatch(sam.stderr(), /NOT CHECKED|no AWS credentials found/);
});

test('AWS_IAM $connect: unsigned, another secret, another key, an expired or altered presigned URL are 403 before $connect runs', async () => {
  const port = sam.port;
  const before = signedConnects();
  const mismatch = {
    status: 403,
    body: '{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}',
  };
  assert.deepEqual(await refused(port, '/signed', {}), { status: 403, body: '{"message":"Forbidden"}' });
  assert.deepEqual(await refused(port, await presigned(port, 'not-the-secret'), {}), mismatch);
  assert.deepEqual(await refused(port, await presigned(port, SECRET, { accessKeyId: 'AKIDSOMEONEELSE00000' }), {}), {
    status: 403,
    body: '{"message":"The security token included in the request is invalid."}',
  });
  const expired = await presigned(port, SECRET, { signingDate: new Date(Date.now() - 10 * 60_000), expiresIn: 60 });
  assert.deepEqual(await refused(port, expired, {}), mismatch);
  await logged(sam, /the presigned URL expired 60 s after \d{8}T\d{6}Z: AWS answers "Request has expired"/);
  assert.deepEqual(await refused(port, `${await presigned(port, SECRET)}&room=other`, {}), mismatch);
  // A header-signed upgrade with the wrong secret.
  assert.equal((await refused(port, '/signed', await signedUpgrade(port, 'not-the-secret'))).status, 403);
  await logged(sam, /WebSocket \/signed -> 403 .*\$connect is AWS_IAM: the SigV4 signature does not match/);
  assert.equal(signedConnects(), before, "$connect's function never ran");
});

test("AWS_IAM $connect: a presigned URL or a signed upgrade with the user's credentials connects; the signer reaches requestContext.identity", async () => {
  const port = sam.port;
  const client = await connect(port, await presigned(port, SECRET), {});
  try {
    const event = await client.ask('hello');
    assert.equal(event.body, 'hello');
    assert.equal(event.requestContext.routeKey, '$default');
  } finally {
    client.ws.close();
  }
  let line: RegExpExecArray | null = null;
  for (let i = 0; i < 100 && !(line = /CONNECT-IDENTITY (\{.*\})/.exec(sam.stderr())); i++) await new Promise((r) => setTimeout(r, 20));
  const identity = JSON.parse(line![1]!) as Record<string, string>;
  assert.deepEqual(
    [identity.accessKey, identity.accountId, identity.caller, identity.user, identity.userArn, identity.sourceIp],
    [ACCESS_KEY, '123456789012', ACCESS_KEY, ACCESS_KEY, `arn:aws:iam::123456789012:user/${ACCESS_KEY}`, '127.0.0.1'],
  );
  const second = await connect(port, '/signed', await signedUpgrade(port, SECRET));
  second.ws.close();
});

for (const [label, cli, path] of [
  ['CloudFormation', () => sam, '/live'],
  ['serverless.yml', () => sls, '/local'],
] as const) {
  test(`${label}: an identity source missing is 401 without calling the authorizer; "Unauthorized" 401; Deny 403; a broken answer 500`, async () => {
    const port = cli().port;
    const starts = () =>
      (
        cli()
          .stderr()
          .match(/\[(Authorize|authorize)\] START RequestId/g) ?? []
      ).length;
    const before = starts();
    assert.deepEqual(await refused(port, `${path}?token=ada`, {}), { status: 401, body: '{"message":"Unauthorized"}' });
    assert.deepEqual(await refused(port, path, { Auth: 'allow' }), { status: 401, body: '{"message":"Unauthorized"}' });
    assert.match(cli().stderr(), /needs route\.request\.header\.Auth, route\.request\.querystring\.token and the upgrade lacks one/);
    assert.equal(starts(), before, 'the authorizer did not run');
    assert.deepEqual(await refused(port, `${path}?token=ada`, { Auth: 'throw' }), { status: 401, body: '{"message":"Unauthorized"}' });
    assert.deepEqual(await refused(port, `${path}?token=ada`, { Auth: 'deny' }), { status: 403, body: '{"message":"Forbidden"}' });
    assert.deepEqual(await refused(port, `${path}?token=ada`, { Auth: 'broken' }), { status: 500, body: '{"message":"Internal server error"}' });
    assert.match(
      cli().stderr(),
      /policy denies arn:aws:execute-api:us-east-1:123456789012:[a-z0-9]{10}\/(live|local)\/\$connect, so the connection is refused/,
    );
  });

  test(`${label}: an Allow opens the connection; principalId and context reach requestContext.authorizer of its events`, async () => {
    const client = await connect(cli().port, `${path}?token=ada`, { Auth: 'allow' });
    try {
      const event = await client.ask('hello');
      const authorizer = event.requestContext.authorizer as Record<string, unknown>;
      assert.equal(authorizer.principalId, 'user-ada');
      assert.equal(authorizer.user, 'ada');
      assert.equal(authorizer.level, 7);
      assert.equal(authorizer.admin, false);
      assert.equal(typeof authorizer.integrationLatency, 'number');
      // What the authorizer itself received: AWS's WebSocket REQUEST authorizer input.
      const seen = JSON.parse(String(authorizer.seen)) as Record<string, any>;
      assert.equal(seen.type, 'REQUEST');
      assert.match(seen.methodArn, /^arn:aws:execute-api:us-east-1:123456789012:[a-z0-9]{10}\/(live|local)\/\$connect$/);
      assert.equal(seen.headers.Auth, 'allow');
      assert.deepEqual(seen.queryStringParameters, { token: 'ada' });
      assert.deepEqual(seen.multiValueQueryStringParameters, { token: ['ada'] });
      assert.deepEqual(seen.stageVariables, {});
      assert.equal(seen.requestContext.routeKey, '$connect');
      assert.equal(seen.requestContext.eventType, 'CONNECT');
      assert.equal(seen.requestContext.connectionId, event.requestContext.connectionId);
      assert.equal(seen.body, undefined);
    } finally {
      client.ws.close();
    }
  });
}

test("serve's GET /routes lists each WebSocket route for the editor's Routes view: API, stage, ws:// URL, route key, function, auth", async () => {
  const workspace = tempDir('ws-auth-serve');
  cpSync(join(FIXTURES, 'websocket', 'auth'), workspace, { recursive: true });
  const token = 'ws-auth-serve-token-0123456789';
  const serve = await startServe(workspace, token);
  try {
    const text = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: serve.port, path: `${CONTROL_PREFIX}/routes`, headers: { authorization: `Bearer ${token}` } }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString('utf8')));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    const list = RouteList.parse(JSON.parse(text));
    const rows = (list.webSockets ?? []).map((r) => [r.api, r.stage, r.url, r.routeKey, r.function, r.twoWay, r.auth ?? '']);
    const url = (stage: string) => `ws://127.0.0.1:${list.apiPort}/${stage}`;
    assert.deepEqual(
      rows.sort((a, b) => String(a).localeCompare(String(b))),
      [
        ['AuthApi', 'live', url('live'), '$connect', 'Echo', false, 'token-check (Lambda REQUEST -> Authorize)'],
        ['AuthApi', 'live', url('live'), '$default', 'Echo', true, ''],
        ['WebsocketsApi', 'local', url('local'), '$connect', 'connect', false, 'authorize (Lambda REQUEST -> authorize)'],
        ['WebsocketsApi', 'local', url('local'), '$default', 'echo', true, ''],
        ['IamApi', 'signed', url('signed'), '$connect', 'Signed', false, 'AWS_IAM'],
        ['IamApi', 'signed', url('signed'), '$default', 'Signed', true, ''],
      ].sort((a, b) => String(a).localeCompare(String(b))),
    );
  } finally {
    await stopServe(serve);
  }
});

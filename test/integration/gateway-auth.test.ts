// Authorization in the local HTTP gateway, driven with real HTTP (node:http, curl and its --aws-sigv4 signer, the AWS
// SDK's SigV4 signer) against a real runner and the real Node authorizers of test/fixtures/gateway-auth/: REST TOKEN
// and REQUEST authorizers (allowed, denied, cached, identity missing, thrown errors), HTTP API simple and policy
// authorizers, JWT authorizers against RS256 / ES256 tokens signed here with node:crypto and a JWKS served here,
// AWS_IAM checked with the user's credentials (and only its shape without them), API keys, and the --no-verify-jwt
// switch. Every event an authorizer or a function receives is parsed with @aws-lambda-powertools/parser's schemas.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  APIGatewayProxyEventSchema,
  APIGatewayProxyEventV2Schema,
  APIGatewayRequestAuthorizerEventSchema,
  APIGatewayRequestAuthorizerEventV2Schema,
  APIGatewayTokenAuthorizerEventSchema,
} from '@aws-lambda-powertools/parser/schemas';
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { FIXTURES, removeTemps, startCli, tempDir, type CliProcess } from './support/runner.ts';
import { NodeSha256 } from './support/gateway.ts';

const TEMPLATE = join(FIXTURES, 'gateway-auth', 'template.yaml');
const ACCESS_KEY = 'AKIDGATEWAYAUTHTEST1';
const SECRET = 'the-secret-of-the-gateway-auth-test';
const EXTRA_KEY = 'key-from-flag-0123456789';
const AUTHORIZER_KEY = 'key-from-authorizer-0123456789';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

let runner: CliProcess;
let lax: CliProcess; // --no-verify-jwt, no credentials of the user's
let jwks: Server;
let issuer: string;
let unreachableIssuer: string;
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }); // signs tokens the JWKS does not vouch for

function call(port: number, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const get = (path: string, headers: Record<string, string> = {}) => call(runner.port, 'GET', path, headers);

function restEvent(answer: Answer): APIGatewayProxyEvent {
  assert.equal(answer.status, 200, answer.text);
  const event = JSON.parse(answer.text) as APIGatewayProxyEvent;
  APIGatewayProxyEventSchema.parse(event); // the schema strips what it does not know: check with it, read the original
  return event;
}

function httpEvent(answer: Answer): APIGatewayProxyEventV2 {
  assert.equal(answer.status, 200, answer.text);
  const event = JSON.parse(answer.text) as APIGatewayProxyEventV2;
  APIGatewayProxyEventV2Schema.parse(event);
  return event;
}

/** Waits for the runner to log a line (the log is written as the answer goes out, not before). */
async function logged(cli: CliProcess, pattern: RegExp): Promise<void> {
  for (let i = 0; i < 100 && !pattern.test(cli.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
  assert.match(cli.stderr(), pattern);
}

/** How many times a function has been invoked so far, from the runner's log (one START line each). */
function invocations(cli: CliProcess, fn: string): number {
  return cli
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith(`[${fn}] START`)).length;
}

function jwt(claims: Record<string, unknown>, opts: { key?: KeyObject; alg?: 'RS256' | 'ES256'; kid?: string } = {}): string {
  const alg = opts.alg ?? 'RS256';
  const header = { alg, typ: 'JWT', kid: opts.kid ?? (alg === 'RS256' ? 'rsa-1' : 'ec-1') };
  const now = Math.floor(Date.now() / 1000);
  const payload = { iss: issuer, aud: 'my-app', sub: 'user-42', iat: now, exp: now + 600, ...claims };
  const data = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
  const key = opts.key ?? (alg === 'RS256' ? rsa.privateKey : ec.privateKey);
  const signature = sign('sha256', Buffer.from(data), alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' } : key);
  return `${data}.${signature.toString('base64url')}`;
}

async function sdkSigned(port: number, path: string, secret: string, signingDate = new Date()): Promise<Answer> {
  const signer = new SignatureV4({
    credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: secret },
    region: 'us-east-1',
    service: 'execute-api',
    sha256: NodeSha256 as never,
  });
  const signed = await signer.sign(
    { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path, query: {}, headers: { host: `127.0.0.1:${port}` } },
    { signingDate },
  );
  return call(port, 'GET', path, signed.headers as Record<string, string>);
}

/** curl's own SigV4 implementation, a client independent of the SDK. */
function curlSigned(port: number, path: string, accessKey: string, secret: string): { status: number; body: string } {
  const out = execFileSync(
    'curl',
    [
      '-s',
      '-X',
      'POST',
      '-d',
      '{"order":1}',
      '-H',
      'content-type: application/json',
      '--aws-sigv4',
      'aws:amz:us-east-1:execute-api',
      '--user',
      `${accessKey}:${secret}`,
      '-w',
      '\n%{http_code}',
      `http://127.0.0.1:${port}${path}`,
    ],
    { encoding: 'utf8' },
  );
  const at = out.lastIndexOf('\n');
  return { status: Number(out.slice(at + 1)), body: out.slice(0, at) };
}

before(async () => {
  jwks = createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') return res.writeHead(404).end();
    const keys = [
      { ...rsa.publicKey.export({ format: 'jwk' }), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
      { ...ec.publicKey.export({ format: 'jwk' }), kid: 'ec-1', alg: 'ES256', use: 'sig' },
    ];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}`;
  // An issuer nobody answers for: a port that was free a moment ago.
  const gone = createServer();
  await new Promise<void>((resolve) => gone.listen(0, '127.0.0.1', resolve));
  unreachableIssuer = `http://127.0.0.1:${(gone.address() as AddressInfo).port}`;
  await new Promise((resolve) => gone.close(resolve));
  const args = (cwd: string) => [
    'start',
    '--port',
    '0',
    '--api-port',
    '0',
    '--template',
    TEMPLATE,
    '--workspace',
    cwd,
    '--parameter-overrides',
    `Issuer=${issuer}`,
    `UnreachableIssuer=${unreachableIssuer}`,
  ];
  const banner = /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/;
  const cwd = tempDir('gateway-auth');
  runner = await startCli([...args(cwd), '--api-key', EXTRA_KEY, '--api-key', AUTHORIZER_KEY], {
    cwd,
    banner,
    env: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET, AWS_REGION: 'us-east-1' },
  });
  const laxCwd = tempDir('gateway-auth-lax');
  // No credentials anywhere: empty environment values and a HOME without ~/.aws.
  lax = await startCli([...args(laxCwd), '--no-verify-jwt'], {
    cwd: laxCwd,
    banner,
    env: { AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_SESSION_TOKEN: '', AWS_PROFILE: '', HOME: laxCwd, AWS_REGION: 'us-east-1' },
  });
});

after(async () => {
  await Promise.all([runner?.stop(), lax?.stop()]);
  await new Promise((resolve) => jwks?.close(resolve));
  removeTemps();
});

test('the route table says who may call each route', () => {
  const out = runner.stderr();
  assert.match(out, /GET +http:\/\/127\.0\.0\.1:\d+\/token +Echo +REST API \(v1, payload 1\.0\) +auth: TokenAuth \(Lambda TOKEN -> TokenAuthorizer\)/);
  assert.match(out, /\/request +Echo .*auth: RequestAuth \(Lambda REQUEST 1\.0 -> RequestAuthorizer\)/);
  assert.match(out, /\/iam +Echo .*auth: AWS_IAM/);
  assert.match(out, /\/key +Echo .*auth: API key/);
  assert.match(out, /\/jwt +Echo .*auth: Jwt \(JWT http:\/\/127\.0\.0\.1:\d+\)/);
  assert.match(out, /\/simple +Echo .*auth: Simple \(Lambda REQUEST 2\.0 -> HttpAuthorizer\)/);
});

test('REST TOKEN: no Authorization header, or one failing the ValidationExpression, is 401 without calling the authorizer', async () => {
  const before = invocations(runner, 'TokenAuthorizer');
  for (const headers of [{}, { Authorization: 'Basic dXNlcjpwYXNz' }] as Record<string, string>[]) {
    const answer = await get('/token', headers);
    assert.equal(answer.status, 401);
    assert.deepEqual(JSON.parse(answer.text), { message: 'Unauthorized' });
    assert.equal(answer.headers['x-amzn-errortype'], 'UnauthorizedException');
  }
  assert.equal(invocations(runner, 'TokenAuthorizer'), before);
});

test('REST TOKEN: allowed; principalId and context reach requestContext.authorizer; the authorizer got the documented TOKEN event', async () => {
  const event = restEvent(await get('/token', { Authorization: 'Bearer allow-first' }));
  const authorizer = event.requestContext.authorizer as Record<string, unknown>;
  assert.equal(authorizer.principalId, 'user-1');
  assert.equal(authorizer.count, 7);
  assert.equal(authorizer.admin, true);
  assert.equal(typeof authorizer.integrationLatency, 'number');
  const seen = APIGatewayTokenAuthorizerEventSchema.parse(JSON.parse(authorizer.event as string));
  assert.equal(seen.authorizationToken, 'Bearer allow-first');
  assert.match(seen.methodArn, new RegExp(`^arn:aws:execute-api:us-east-1:123456789012:${event.requestContext.apiId}/v1/GET/token$`));
});

test('REST TOKEN: the answer is cached per token for 300 s, and the cached policy is evaluated against each method ARN', async () => {
  const calls = invocations(runner, 'TokenAuthorizer');
  const first = restEvent(await get('/token', { Authorization: 'Bearer allow-cached' }));
  const second = restEvent(await get('/token', { Authorization: 'Bearer allow-cached' }));
  assert.equal(
    (second.requestContext.authorizer as Record<string, unknown>).invocation,
    (first.requestContext.authorizer as Record<string, unknown>).invocation,
  );
  assert.equal(invocations(runner, 'TokenAuthorizer'), calls + 1);
  // The policy names only GET /token: the same token on /token/5 is denied from the cache, as in AWS.
  const other = await get('/token/5', { Authorization: 'Bearer allow-cached' });
  assert.equal(other.status, 403);
  assert.deepEqual(JSON.parse(other.text), { Message: 'User is not authorized to access this resource' });
  assert.equal(invocations(runner, 'TokenAuthorizer'), calls + 1);
  // A policy for the whole API works everywhere.
  assert.equal((await get('/token/5', { Authorization: 'Bearer all-1' })).status, 200);
});

test('REST TOKEN: an explicit Deny is 403, a policy that allows something else is 403, "Unauthorized" is 401, other failures are 500 {"message": null}', async () => {
  const deny = await get('/token', { Authorization: 'Bearer deny-1' });
  assert.equal(deny.status, 403);
  assert.deepEqual(JSON.parse(deny.text), { Message: 'User is not authorized to access this resource with an explicit deny' });
  assert.equal(deny.headers['x-amzn-errortype'], 'AccessDeniedException');
  const nothing = await get('/token', { Authorization: 'Bearer nothing-1' });
  assert.deepEqual([nothing.status, JSON.parse(nothing.text)], [403, { Message: 'User is not authorized to access this resource' }]);
  const unauthorized = await get('/token', { Authorization: 'Bearer unauthorized-1' });
  assert.deepEqual([unauthorized.status, JSON.parse(unauthorized.text)], [401, { message: 'Unauthorized' }]);
  for (const token of ['broken-1', 'nested-1']) {
    const answer = await get('/token', { Authorization: `Bearer ${token}` });
    assert.equal(answer.status, 500, token);
    assert.deepEqual(JSON.parse(answer.text), { message: null });
    assert.equal(answer.headers['x-amzn-errortype'], 'AuthorizerConfigurationException');
  }
  await logged(runner, /failed with Error: database down; API Gateway answers 500/);
  await logged(runner, /context\.nested as object/);
});

test('REST REQUEST: identity sources missing is 401; the authorizer gets the documented REQUEST event; ReauthorizeEvery 0 calls it every time', async () => {
  const calls = invocations(runner, 'RequestAuthorizer');
  assert.equal((await get('/request?tenant=acme')).status, 401);
  assert.equal((await get('/request', { 'X-User': 'acme' })).status, 401);
  assert.equal(invocations(runner, 'RequestAuthorizer'), calls);
  const one = restEvent(await get('/request?tenant=acme', { 'X-User': 'acme' }));
  const two = restEvent(await get('/request?tenant=acme', { 'X-User': 'acme' }));
  const a1 = one.requestContext.authorizer as Record<string, unknown>;
  assert.notEqual(a1.invocation, (two.requestContext.authorizer as Record<string, unknown>).invocation);
  assert.equal(a1.principalId, 'acme');
  const seen = APIGatewayRequestAuthorizerEventSchema.parse(JSON.parse(a1.event as string));
  assert.equal(seen.queryStringParameters.tenant, 'acme');
  assert.equal(seen.resource, '/request');
  assert.match(seen.methodArn, /\/v1\/GET\/request$/);
  const denied = await get('/request?tenant=other', { 'X-User': 'acme' });
  assert.equal(denied.status, 403);
});

test('HTTP API simple responses: allowed with context in requestContext.authorizer.lambda, cached, denied 403, missing 401', async () => {
  const calls = invocations(runner, 'HttpAuthorizer');
  const event = httpEvent(await get('/simple', { Authorization: 'allow-simple' }));
  const lambda = (event.requestContext as unknown as { authorizer: { lambda: Record<string, unknown> } }).authorizer.lambda;
  assert.equal(lambda.tenant, 'acme');
  const seen = APIGatewayRequestAuthorizerEventV2Schema.parse(JSON.parse(lambda.event as string));
  assert.deepEqual(seen.identitySource, ['allow-simple']);
  assert.equal(seen.routeKey, 'GET /simple');
  assert.match(seen.routeArn, /\/\$default\/GET\/simple$/);
  const again = httpEvent(await get('/simple', { Authorization: 'allow-simple' }));
  assert.equal((again.requestContext as unknown as { authorizer: { lambda: Record<string, unknown> } }).authorizer.lambda.invocation, lambda.invocation);
  assert.equal(invocations(runner, 'HttpAuthorizer'), calls + 1);
  const denied = await get('/simple', { Authorization: 'deny-simple' });
  assert.deepEqual([denied.status, JSON.parse(denied.text)], [403, { message: 'Forbidden' }]);
  const missing = await get('/simple');
  assert.deepEqual([missing.status, JSON.parse(missing.text)], [401, { message: 'Unauthorized' }]);
});

test('HTTP API payload 1.0 authorizer with an IAM policy: allowed and denied, the 1.0 event', async () => {
  const event = httpEvent(await get('/policy', { Authorization: 'allow-policy' }));
  const lambda = (event.requestContext as unknown as { authorizer: { lambda: Record<string, unknown> } }).authorizer.lambda;
  const seen = JSON.parse(lambda.event as string) as Record<string, unknown>;
  assert.equal(seen.version, '1.0');
  assert.equal(seen.type, 'REQUEST');
  assert.equal(seen.identitySource, 'allow-policy');
  APIGatewayRequestAuthorizerEventSchema.parse(seen);
  const denied = await get('/policy', { Authorization: 'deny-policy' });
  assert.deepEqual([denied.status, JSON.parse(denied.text)], [403, { message: 'Forbidden' }]);
});

test('HTTP API payload 2.0 authorizer answering with an IAM policy (no EnableSimpleResponses): evaluated against the routeArn', async () => {
  const event = httpEvent(await get('/policy2', { Authorization: 'allow-policy' }));
  const lambda = (event.requestContext as unknown as { authorizer: { lambda: Record<string, unknown> } }).authorizer.lambda;
  assert.equal(lambda.tenant, 'acme');
  APIGatewayRequestAuthorizerEventV2Schema.parse(JSON.parse(lambda.event as string));
  const denied = await get('/policy2', { Authorization: 'deny-policy' });
  assert.deepEqual([denied.status, JSON.parse(denied.text)], [403, { message: 'Forbidden' }]);
});

test("JWT: RS256 and ES256 tokens signed with the issuer's keys pass; claims and scopes reach requestContext.authorizer.jwt", async () => {
  for (const alg of ['RS256', 'ES256'] as const) {
    const event = httpEvent(await get('/jwt', { Authorization: `Bearer ${jwt({ scope: 'read write', groups: ['a', 'b'] }, { alg })}` }));
    const auth = (event.requestContext as unknown as { authorizer: { jwt: { claims: Record<string, string>; scopes: string[] } } }).authorizer.jwt;
    assert.equal(auth.claims.sub, 'user-42');
    assert.equal(auth.claims.iss, issuer);
    assert.equal(auth.claims.groups, '[a b]');
    assert.deepEqual(auth.scopes, ['read', 'write']);
  }
  // An access token carries client_id instead of aud.
  assert.equal((await get('/jwt', { Authorization: jwt({ aud: undefined, client_id: 'my-app' }) })).status, 200);
});

test('JWT: expired, not yet valid, wrong audience, wrong issuer, wrong signature, garbage and missing tokens are 401 with WWW-Authenticate', async () => {
  const now = Math.floor(Date.now() / 1000);
  const cases: [string, string | undefined, RegExp][] = [
    ['expired', jwt({ exp: now - 10 }), /the token has expired/],
    ['not yet valid', jwt({ nbf: now + 600 }), /not valid yet/],
    ['wrong audience', jwt({ aud: 'someone-else' }), /valid audience/],
    ['wrong issuer', jwt({ iss: 'https://evil.example' }), /issuer/],
    ['no issuer', jwt({ iss: undefined }), /issuer/],
    ['no exp', jwt({ exp: undefined }), /no exp/],
    [
      'alg none',
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: issuer, aud: 'my-app', exp: now + 60 })).toString('base64url')}.`,
      /signing method is invalid/,
    ],
    ['wrong signature', jwt({}, { key: stranger.privateKey }), /signature is invalid/],
    ['garbage', 'Bearer not.a-jwt', /not a JWT/],
    ['missing', undefined, /^Bearer$/],
  ];
  for (const [name, token, why] of cases) {
    const answer = await get('/jwt', token === undefined ? {} : { Authorization: token });
    assert.equal(answer.status, 401, name);
    assert.deepEqual(JSON.parse(answer.text), { message: 'Unauthorized' }, name);
    assert.match(String(answer.headers['www-authenticate']), why, name);
  }
});

test('JWT: a route with AuthorizationScopes needs one of them (403 otherwise)', async () => {
  const answer = await get('/jwt-admin', { Authorization: jwt({ scope: 'read' }) });
  assert.deepEqual([answer.status, JSON.parse(answer.text)], [403, { message: 'Forbidden' }]);
  assert.match(String(answer.headers['www-authenticate']), /insufficient_scope/);
  assert.equal((await get('/jwt-admin', { Authorization: jwt({ scope: 'read admin' }) })).status, 200);
});

test("JWT: an issuer whose JWKS can't be read is 401 with the reason in the log (and how to give the keys instead)", async () => {
  for (let i = 0; i < 2; i++) {
    const answer = await get('/jwt-unreachable', { Authorization: jwt({ iss: unreachableIssuer }) });
    assert.equal(answer.status, 401);
    assert.match(String(answer.headers['www-authenticate']), /the signing keys could not be read/);
  }
  await logged(runner, /signing keys could not be read from http:\/\/127\.0\.0\.1:\d+\/\.well-known\/jwks\.json .*--jwks <file>/);
});

test('--no-verify-jwt: signatures are not checked (with a warning at start), the claims still are', async () => {
  assert.match(lax.stderr(), /JWT signatures are NOT checked/);
  assert.equal((await call(lax.port, 'GET', '/jwt', { Authorization: jwt({}, { key: stranger.privateKey }) })).status, 200);
  assert.equal(
    (await call(lax.port, 'GET', '/jwt', { Authorization: jwt({ exp: Math.floor(Date.now() / 1000) - 5 }, { key: stranger.privateKey }) })).status,
    401,
  );
});

test("AWS_IAM: unsigned is 403 Missing Authentication Token; curl and the SDK signing with the user's credentials pass, with the caller in requestContext", async () => {
  const unsigned = await call(runner.port, 'POST', '/iam', {}, '{}');
  assert.equal(unsigned.status, 403);
  assert.deepEqual(JSON.parse(unsigned.text), { message: 'Missing Authentication Token' });
  const ok = curlSigned(runner.port, '/iam', ACCESS_KEY, SECRET);
  assert.equal(ok.status, 200, ok.body);
  const event = JSON.parse(ok.body) as APIGatewayProxyEvent;
  APIGatewayProxyEventSchema.parse(event);
  assert.equal(event.requestContext.identity.accessKey, ACCESS_KEY);
  assert.equal(event.requestContext.identity.userArn, `arn:aws:iam::123456789012:user/${ACCESS_KEY}`);
  assert.equal(event.body, '{"order":1}');
  const http = httpEvent(await sdkSigned(runner.port, '/http-iam', SECRET));
  assert.equal((http.requestContext as unknown as { authorizer: { iam: { accessKey: string } } }).authorizer.iam.accessKey, ACCESS_KEY);
});

test('AWS_IAM: a wrong secret, another access key or a stale signature is 403, as AWS answers', async () => {
  const wrong = curlSigned(runner.port, '/iam', ACCESS_KEY, 'not-the-secret');
  assert.equal(wrong.status, 403);
  assert.match(JSON.parse(wrong.body).message, /^The request signature we calculated does not match the signature you provided/);
  const sdkWrong = await sdkSigned(runner.port, '/http-iam', 'not-the-secret');
  assert.equal(sdkWrong.status, 403);
  // Right secret, but signed 20 minutes ago: a replayed request.
  const stale = await sdkSigned(runner.port, '/http-iam', SECRET, new Date(Date.now() - 20 * 60_000));
  assert.equal(stale.status, 403);
  await logged(runner, /more than 15 minutes from now: AWS answers "Signature expired"/);
  const stranger = curlSigned(runner.port, '/iam', 'AKIDSOMEONEELSE00000', SECRET);
  assert.equal(stranger.status, 403);
  assert.deepEqual(JSON.parse(stranger.body), { message: 'The security token included in the request is invalid.' });
});

test('AWS_IAM: a presigned URL (the signature in the query, as the SDK presigns) passes with the right secret, 403 with another', async () => {
  const presign = async (secret: string) => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: ACCESS_KEY, secretAccessKey: secret },
      region: 'us-east-1',
      service: 'execute-api',
      sha256: NodeSha256 as never,
    });
    const port = runner.port;
    const signed = await signer.presign(
      { method: 'GET', protocol: 'http:', hostname: '127.0.0.1', port, path: '/http-iam', query: { q: 'a b' }, headers: { host: `127.0.0.1:${port}` } },
      { expiresIn: 120 },
    );
    return `/http-iam?${new URLSearchParams(signed.query as Record<string, string>).toString()}`;
  };
  const ok = await call(runner.port, 'GET', await presign(SECRET));
  assert.equal(ok.status, 200, ok.text);
  const event = httpEvent(ok);
  assert.equal((event.requestContext as unknown as { authorizer: { iam: { accessKey: string } } }).authorizer.iam.accessKey, ACCESS_KEY);
  assert.equal(event.queryStringParameters?.q, 'a b');
  assert.equal((await call(runner.port, 'GET', await presign('not-the-secret'))).status, 403);
});

test("AWS_IAM without the user's credentials: a notice at start, and any SigV4-shaped request passes", () => {
  assert.match(lax.stderr(), /no AWS credentials found .* AWS_IAM routes check that requests are SigV4-signed but not the signature/);
  assert.equal(curlSigned(lax.port, '/iam', 'AKIDANYTHING00000000', 'any-secret').status, 200);
});

test("API keys: absent or unknown is 403 Forbidden; the template's key, a --api-key key and an authorizer's usageIdentifierKey pass into identity.apiKey", async () => {
  for (const headers of [{}, { 'x-api-key': 'not-a-key' }] as Record<string, string>[]) {
    const answer = await get('/key', headers);
    assert.deepEqual([answer.status, JSON.parse(answer.text)], [403, { message: 'Forbidden' }]);
  }
  for (const key of ['key-from-template-0123456789', EXTRA_KEY]) {
    const event = restEvent(await get('/key', { 'x-api-key': key }));
    assert.equal(event.requestContext.identity.apiKey, key);
    assert.ok(event.requestContext.identity.apiKeyId);
  }
  const viaAuthorizer = restEvent(await get('/token-key', { Authorization: 'Bearer all-key' }));
  assert.equal(viaAuthorizer.requestContext.identity.apiKey, AUTHORIZER_KEY);
  assert.equal((await get('/token-key', { Authorization: 'Bearer allow-key' })).status, 403);
});

test("a REST API's CORS preflight goes through its DefaultAuthorizer as SAM configures it (AddDefaultAuthorizerToCorsPreflight)", async () => {
  const preflight = { Origin: 'http://app.example', 'Access-Control-Request-Method': 'GET' };
  const refused = await call(runner.port, 'OPTIONS', '/open', preflight);
  assert.equal(refused.status, 401);
  const allowed = await call(runner.port, 'OPTIONS', '/open', { ...preflight, Authorization: 'Bearer all-preflight' });
  assert.ok(allowed.status < 300, allowed.text);
  assert.equal(allowed.headers['access-control-allow-origin'], 'http://app.example');
  // The route itself opted out (Authorizer: NONE).
  assert.equal((await get('/open')).status, 200);
});

test('serverless.yml: an http authorizer, a private route with an apiKeys value (and OPEN_RUNTIME_API_KEYS), httpApi jwt and request authorizers; JWT keys from a --jwks file', async () => {
  const dir = tempDir('gateway-auth-sls');
  const keysFile = join(dir, 'jwks.json');
  writeFileSync(keysFile, JSON.stringify({ keys: [{ ...stranger.publicKey.export({ format: 'jwk' }), kid: 'local-1', alg: 'RS256' }] }));
  const sls = await startCli(
    ['start', '--port', '0', '--api-port', '0', '--template', join(FIXTURES, 'gateway-auth', 'serverless.yml'), '--workspace', dir, '--jwks', keysFile],
    {
      cwd: dir,
      banner: /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/,
      env: { JWT_ISSUER: issuer, OPEN_RUNTIME_API_KEYS: 'env-key-0123456789, other', AWS_REGION: 'us-east-1' },
    },
  );
  try {
    const at = (path: string, headers: Record<string, string> = {}) => call(sls.port, 'GET', path, headers);
    assert.match(sls.stderr(), /\/token +echo +REST API \(beta, payload 1\.0\) +auth: tokenAuth \(Lambda TOKEN -> tokenAuth\)/);
    const allowed = restEvent(await at('/token', { Authorization: 'Bearer allow-sls' }));
    assert.equal((allowed.requestContext.authorizer as Record<string, unknown>).principalId, 'user-1');
    assert.match(JSON.parse((allowed.requestContext.authorizer as Record<string, string>).event!).methodArn, /\/beta\/GET\/token$/);
    assert.equal((await at('/token', { Authorization: 'Bearer deny-sls' })).status, 403);
    assert.equal((await at('/token')).status, 401);
    assert.equal((await at('/private')).status, 403);
    assert.equal(restEvent(await at('/private', { 'x-api-key': 'sls-key-0123456789' })).requestContext.identity.apiKey, 'sls-key-0123456789');
    assert.equal((await at('/private', { 'x-api-key': 'env-key-0123456789' })).status, 200);
    // The --jwks file, not the issuer's keys, is what signatures are checked against.
    assert.equal((await at('/jwt', { Authorization: jwt({}, { key: stranger.privateKey, kid: 'local-1' }) })).status, 200);
    assert.equal((await at('/jwt', { Authorization: jwt({}) })).status, 401);
    assert.equal((await at('/simple', { Authorization: 'allow-sls' })).status, 200);
    assert.equal((await at('/simple', { Authorization: 'deny-sls' })).status, 403);
  } finally {
    await sls.stop();
  }
});

test('the runner is still serving after all of that', async () => {
  assert.equal(runner.proc.exitCode, null);
  assert.equal((await get('/open')).status, 200);
});

// REST Cognito user-pool authorizers against a real runner (test/fixtures/gateway-cognito): tokens made here with
// node:crypto, shaped as Cognito issues them (ID tokens with token_use id and aud, access tokens with token_use access,
// client_id and scope), checked against a JWKS file given with --jwks (no internet here): issuer, signature, token_use
// per method (ID token without AuthorizationScopes, access token with one of them), expiry; claims in
// requestContext.authorizer.claims as a REST API fills it. --no-verify-jwt skips the signature only. The same checks
// hold for a raw CloudFormation AWS::ApiGateway::Authorizer (Type COGNITO_USER_POOLS) on AWS::ApiGateway::Method.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { APIGatewayProxyEventSchema } from '@aws-lambda-powertools/parser/schemas';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { FIXTURES, removeTemps, startCli, tempDir, type CliProcess } from './support/runner.ts';

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_L0cal';
const pool = generateKeyPairSync('rsa', { modulusLength: 2048 });
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });
let runner: CliProcess;
let lax: CliProcess;

function token(claims: Record<string, unknown>, key: KeyObject = pool.privateKey, kid = 'pool-key'): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const head = `${part({ kid, alg: 'RS256' })}.${part(claims)}`;
  return `${head}.${sign('sha256', Buffer.from(head), key).toString('base64url')}`;
}
const now = () => Math.floor(Date.now() / 1000);
const idToken = (over: Record<string, unknown> = {}) =>
  token({
    sub: 'a1b2',
    aud: 'client-123',
    email_verified: true,
    token_use: 'id',
    auth_time: now() - 10,
    iss: ISSUER,
    'cognito:username': 'ada',
    'cognito:groups': ['admins'],
    exp: now() + 3600,
    iat: now() - 10,
    email: 'ada@example.com',
    ...over,
  });
const accessToken = (scope: string, over: Record<string, unknown> = {}) =>
  token({
    sub: 'a1b2',
    token_use: 'access',
    scope,
    auth_time: now(),
    iss: ISSUER,
    exp: now() + 3600,
    iat: now(),
    client_id: 'client-123',
    username: 'ada',
    ...over,
  });

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode!, text, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

before(async () => {
  const dir = tempDir('gateway-cognito');
  const keys = join(dir, 'jwks.json');
  writeFileSync(keys, JSON.stringify({ keys: [{ ...pool.publicKey.export({ format: 'jwk' }), kid: 'pool-key', alg: 'RS256', use: 'sig' }] }));
  const args = ['start', '--port', '0', '--api-port', '0', '--template', join(FIXTURES, 'gateway-cognito', 'template.yaml')];
  const banner = /HTTP APIs on http:\/\/127\.0\.0\.1:(\d+)/;
  [runner, lax] = await Promise.all([startCli([...args, '--jwks', keys], { cwd: dir, banner }), startCli([...args, '--no-verify-jwt'], { cwd: dir, banner })]);
});

after(async () => {
  await Promise.all([runner?.stop(), lax?.stop()]);
  removeTemps();
});

test('the route table names the Cognito authorizer and its pool (no "NOT CHECKED")', () => {
  assert.match(runner.stderr(), /\/profile .*Pool \(Cognito https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/eu-west-1_L0cal\)/);
  assert.match(runner.stderr(), /\/raw\/profile .*RawPool \(Cognito https:\/\/cognito-idp\.eu-west-1\.amazonaws\.com\/eu-west-1_L0cal\)/);
  assert.match(runner.stderr(), /\/raw\/orders .*RawPool \(Cognito /);
  assert.doesNotMatch(runner.stderr(), /NOT CHECKED/);
});

test('an ID token of the pool passes a method without scopes; its claims reach requestContext.authorizer.claims as a REST API fills them', async () => {
  const answer = await get(runner.port, '/profile', { Authorization: idToken() });
  assert.equal(answer.status, 200, answer.text);
  const event = JSON.parse(answer.text) as APIGatewayProxyEvent;
  APIGatewayProxyEventSchema.parse(event);
  const claims = (event.requestContext.authorizer as { claims: Record<string, string> }).claims;
  assert.equal(claims.sub, 'a1b2');
  assert.equal(claims['cognito:username'], 'ada');
  assert.equal(claims.email_verified, 'true');
  assert.equal(claims.token_use, 'id');
  assert.equal(claims.aud, 'client-123');
  assert.match(claims.exp!, /^[A-Z][a-z]{2} [A-Z][a-z]{2} \d\d \d\d:\d\d:\d\d UTC \d{4}$/);
  assert.match(claims.auth_time!, /^\d+$/);
  // One group: its bare name, as a deployed REST API passes it.
  assert.equal(claims['cognito:groups'], 'admins');
  for (const [name, value] of Object.entries(claims)) assert.equal(typeof value, 'string', name);
  // "Bearer <token>" is taken too.
  assert.equal((await get(runner.port, '/profile', { Authorization: `Bearer ${idToken()}` })).status, 200);
});

test('refused with 401 {"message":"Unauthorized"}: no token, an access token where an ID token is due, another pool, a foreign key, expired, garbage', async () => {
  const cases: [string, Record<string, string>, RegExp][] = [
    ['none', {}, /has no token in Authorization/],
    ['access token on a method without scopes', { Authorization: accessToken('orders/read') }, /takes an ID token, and this one's token_use is "access"/],
    [
      'another pool',
      { Authorization: idToken({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' }) },
      /is none of the authorizer's user pools/,
    ],
    [
      'a key the pool does not have',
      { Authorization: token({ ...JSON.parse(Buffer.from(idToken().split('.')[1]!, 'base64url').toString()) }, stranger.privateKey) },
      /signature is invalid/,
    ],
    ['expired', { Authorization: idToken({ exp: now() - 5 }) }, /has expired/],
    ['garbage', { Authorization: 'not.a.jwt' }, /is not a JWT/],
  ];
  for (const [label, headers, why] of cases) {
    const answer = await get(runner.port, '/profile', headers);
    assert.deepEqual([answer.status, answer.text], [401, '{"message":"Unauthorized"}'], label);
    assert.equal(answer.headers['x-amzn-errortype'], 'UnauthorizedException', label);
    for (let i = 0; i < 100 && !why.test(runner.stderr()); i++) await new Promise((r) => setTimeout(r, 20));
    assert.match(runner.stderr(), why, label);
  }
  assert.equal((await get(runner.port, '/open')).status, 200); // Authorizer: NONE
});

test('a method with AuthorizationScopes takes an access token carrying one of them; an ID token or other scopes are 401', async () => {
  const ok = await get(runner.port, '/orders', { Authorization: accessToken('openid orders/read') });
  assert.equal(ok.status, 200, ok.text);
  const claims = (JSON.parse(ok.text) as APIGatewayProxyEvent).requestContext.authorizer!.claims as Record<string, string>;
  assert.deepEqual([claims.scope, claims.client_id, claims.token_use], ['openid orders/read', 'client-123', 'access']);
  assert.equal((await get(runner.port, '/orders', { Authorization: accessToken('orders/write') })).status, 401);
  assert.equal((await get(runner.port, '/orders', { Authorization: idToken() })).status, 401);
});

test('--no-verify-jwt: a token signed with any key passes, the claims are still checked', async () => {
  assert.equal(
    (
      await get(lax.port, '/profile', {
        Authorization: token({ ...JSON.parse(Buffer.from(idToken().split('.')[1]!, 'base64url').toString()) }, stranger.privateKey),
      })
    ).status,
    200,
  );
  assert.equal((await get(lax.port, '/profile', { Authorization: idToken({ exp: now() - 5 }) })).status, 401);
});

test('raw CloudFormation: AWS::ApiGateway::Authorizer COGNITO_USER_POOLS on AWS::ApiGateway::Method checks the token in its IdentitySource', async () => {
  const iat = now() - 10;
  const answer = await get(runner.port, '/raw/profile', { 'X-Token': idToken({ iat, exp: iat + 3600, 'cognito:groups': ['admins', 'ops'] }) });
  assert.equal(answer.status, 200, answer.text);
  const event = JSON.parse(answer.text) as APIGatewayProxyEvent;
  APIGatewayProxyEventSchema.parse(event);
  const claims = (event.requestContext.authorizer as { claims: Record<string, string> }).claims;
  assert.deepEqual([claims.sub, claims['cognito:username'], claims.token_use, claims['cognito:groups']], ['a1b2', 'ada', 'id', 'admins,ops']);
  // exp and iat as API Gateway renders them: "Fri Jul 29 18:52:53 UTC 2016".
  const rendered = (epoch: number) => {
    const [day, date, month, year, time] = new Date(epoch * 1000).toUTCString().replace(',', '').split(' ');
    return `${day} ${month} ${date} ${time} UTC ${year}`;
  };
  assert.deepEqual([claims.iat, claims.exp], [rendered(iat), rendered(iat + 3600)]);
  // The token belongs in X-Token: in Authorization it is no token at all.
  const misplaced = await get(runner.port, '/raw/profile', { Authorization: idToken() });
  assert.deepEqual([misplaced.status, misplaced.text], [401, '{"message":"Unauthorized"}']);
  assert.equal((await get(runner.port, '/raw/profile', { 'X-Token': idToken({ exp: now() - 5 }) })).status, 401);
  assert.equal((await get(runner.port, '/raw/profile', { 'X-Token': accessToken('orders/read') })).status, 401);
  // AuthorizationScopes on the method: an access token with one of them.
  assert.equal((await get(runner.port, '/raw/orders', { 'X-Token': accessToken('orders/read') })).status, 200);
  assert.equal((await get(runner.port, '/raw/orders', { 'X-Token': accessToken('orders/write') })).status, 401);
  assert.equal((await get(runner.port, '/raw/orders', { 'X-Token': idToken() })).status, 401);
});

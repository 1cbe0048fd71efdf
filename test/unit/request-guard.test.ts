// The main port's guard policy (runner/request-guard.ts) as a table: which requests each surface answers, and
// with which AWS error when it refuses. The integration side (real processes, a real browser's headers) is in
// test/integration/hardening-http.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allowedOriginsFrom, isLoopbackHost, judgeRequest, type GuardInput, type Surface } from '../../runner/request-guard.ts';

const SIGV4 = 'AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/aws4_request, SignedHeaders=host;x-amz-date, Signature=abcdef';
const ALLOWED = new Set(['http://localhost:5173']);
const base: GuardInput = {
  method: 'POST',
  host: '127.0.0.1:3001',
  origin: undefined,
  authorization: SIGV4,
  secFetchSite: undefined,
  preflightMethod: undefined,
};

// [what, surface, request, expected: 'allow' | 'preflight' | AWS error type, CORS origin when allowed]
const CASES: Array<[string, Surface, Partial<GuardInput>, string, string?]> = [
  ['the AWS CLI / SDK: signed, to 127.0.0.1', 'aws', {}, 'allow'],
  ['signed, to localhost without a port', 'aws', { host: 'localhost' }, 'allow'],
  ['signed, to [::1]:3001', 'aws', { host: '[::1]:3001' }, 'allow'],
  ['signed, to LOCALHOST:3001', 'aws', { host: 'LOCALHOST:3001' }, 'allow'],
  ['HTTP/1.0 without Host', 'aws', { host: undefined }, 'allow'],
  ['unsigned (curl, a no-cors fetch)', 'aws', { authorization: undefined }, 'MissingAuthenticationTokenException'],
  ['a Bearer token on the Invoke API', 'aws', { authorization: 'Bearer abc' }, 'IncompleteSignatureException'],
  ['SigV4 without a signature', 'aws', { authorization: 'AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host' }, 'IncompleteSignatureException'],
  ['DNS rebinding: Host attacker.example', 'aws', { host: 'attacker.example:3001' }, 'AccessDeniedException'],
  ['DNS rebinding: localhost.attacker.example', 'aws', { host: 'localhost.attacker.example' }, 'AccessDeniedException'],
  ['DNS rebinding: 127.0.0.1.nip.io', 'aws', { host: '127.0.0.1.nip.io:3001' }, 'AccessDeniedException'],
  ['a bad port', 'aws', { host: '127.0.0.1:30x1' }, 'AccessDeniedException'],
  ['a page elsewhere, even signed', 'aws', { origin: 'http://evil.example' }, 'AccessDeniedException'],
  ['a sandboxed page (Origin: null)', 'aws', { origin: 'null', authorization: undefined }, 'AccessDeniedException'],
  ['a no-cors GET (no Origin) from another site', 'aws', { method: 'GET', secFetchSite: 'cross-site' }, 'AccessDeniedException'],
  ['the user typing the address', 'unsigned', { method: 'GET', authorization: undefined, secFetchSite: 'none' }, 'allow'],
  ['an allowed origin, unsigned', 'aws', { origin: 'http://localhost:5173', authorization: undefined }, 'allow', 'http://localhost:5173'],
  [
    "an allowed origin's preflight",
    'aws',
    { method: 'OPTIONS', origin: 'http://localhost:5173', authorization: undefined, preflightMethod: 'POST' },
    'preflight',
    'http://localhost:5173',
  ],
  [
    'a preflight from elsewhere',
    'aws',
    { method: 'OPTIONS', origin: 'http://evil.example', authorization: undefined, preflightMethod: 'POST' },
    'AccessDeniedException',
  ],
  ['rie: curl, unsigned', 'unsigned', { authorization: undefined }, 'allow'],
  ['rie: a page', 'unsigned', { authorization: undefined, origin: 'http://evil.example' }, 'AccessDeniedException'],
  ['rie: DNS rebinding', 'unsigned', { authorization: undefined, host: 'attacker.example' }, 'AccessDeniedException'],
  ['control API: Bearer token, checked by control.ts', 'token', { authorization: 'Bearer x' }, 'allow'],
  ['control API: a page', 'token', { authorization: undefined, origin: 'http://evil.example' }, 'AccessDeniedException'],
  ['control API: DNS rebinding', 'token', { host: 'attacker.example' }, 'AccessDeniedException'],
];

for (const [what, surface, overrides, expected, cors] of CASES) {
  test(`${surface}: ${what} -> ${expected}`, () => {
    const verdict = judgeRequest(surface, { ...base, ...overrides }, ALLOWED);
    if (verdict.kind === 'refuse') {
      assert.equal(verdict.type, expected, verdict.message);
      assert.equal(verdict.status, 403);
      assert.match(verdict.message, /\.$/, 'a sentence');
    } else {
      assert.equal(verdict.kind, expected);
      assert.equal(verdict.corsOrigin, cors);
    }
  });
}

test('loopback hosts: names and addresses, with or without a port', () => {
  for (const host of ['127.0.0.1', '127.0.0.1:1', 'localhost:65535', '[::1]', '[::1]:8080']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['', '127.0.0.2', '0.0.0.0:3001', 'localhost:', 'localhost:123456', '[::1]x', 'example.com']) assert.ok(!isLoopbackHost(host), host);
});

test('allowed origins from flags and OPEN_RUNTIME_ALLOW_ORIGINS, normalised as browsers send them', () => {
  const { origins, bad } = allowedOriginsFrom(['HTTP://LocalHost:5173/'], 'http://127.0.0.1:8000, https://app.test not-an-origin');
  assert.deepEqual([...origins], ['http://localhost:5173', 'http://127.0.0.1:8000', 'https://app.test']);
  assert.deepEqual(bad, ['not-an-origin']);
});

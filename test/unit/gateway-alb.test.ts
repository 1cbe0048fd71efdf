// An ALB listener's policy as a table (runner/gateway/alb-routing.ts): which rule a request takes (priority, each
// condition kind, wildcards, case), the event it builds with and without multi-value headers, and how a function's
// answer or failure becomes HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AlbAction, AlbActionRule, AlbCondition, AlbRule } from '../../runner/functions/model.ts';
import { authenticateAction, forwardTargets, listenerAction } from '../../runner/functions/alb-rules.ts';
import {
  actionAnswer,
  albAnswer,
  albEvent,
  listenerOrder,
  matchAlbRule,
  noRuleAnswer,
  parseLocalIdentity,
  pickByWeight,
  redirectLocation,
  type AlbRequest,
  type AlbTarget,
} from '../../runner/gateway/alb-routing.ts';

const rule = (priority: number, conditions: AlbCondition[], extra: Partial<AlbRule> = {}): AlbRule => ({
  listener: 'L',
  priority,
  conditions,
  targetGroupArn: `tg-${priority}`,
  multiValueHeaders: false,
  ...extra,
});
const req = (over: Partial<AlbRequest> = {}): AlbRequest => ({
  method: 'GET',
  path: '/',
  rawQuery: '',
  rawHeaders: ['Host', 'localhost:8080'],
  body: Buffer.alloc(0),
  sourceIp: '127.0.0.1',
  ...over,
});

const targets: AlbTarget[] = listenerOrder([
  { function: 'Catch', rule: rule(50001, []) },
  {
    function: 'Api',
    rule: rule(10, [
      { field: 'path-pattern', values: ['/api/*'] },
      { field: 'http-request-method', values: ['GET'] },
    ]),
  },
  { function: 'One', rule: rule(5, [{ field: 'path-pattern', values: ['/api/v?'] }]) },
  { function: 'Header', rule: rule(20, [{ field: 'http-header', headerName: 'X-Env', values: ['prod*'] }]) },
  { function: 'Query', rule: rule(30, [{ field: 'query-string', values: [], pairs: [{ value: 'y?s' }, { key: 'k', value: 'a b' }] }]) },
  { function: 'Net', rule: rule(40, [{ field: 'source-ip', values: ['192.168.0.0/16', '::1/128'] }]) },
  { function: 'Host', rule: rule(45, [{ field: 'host-header', values: ['*.EXAMPLE.com'] }]) },
]);

const cases: [string, Partial<AlbRequest>, string][] = [
  ['the lower priority number wins', { path: '/api/v1' }, 'One'],
  ['? is exactly one character', { path: '/api/v12' }, 'Api'],
  ['path patterns are case-sensitive', { path: '/API/x' }, 'Catch'],
  ['a rule needs every condition: POST is not GET', { path: '/api/x', method: 'POST' }, 'Catch'],
  ['header values: wildcard, any case', { rawHeaders: ['X-ENV', 'PRODUCTION'] }, 'Header'],
  ['query pairs: value only, wildcard', { rawQuery: 'x=YES' }, 'Query'],
  ['query pairs: decoded before matching', { rawQuery: 'k=a%20b' }, 'Query'],
  ['source-ip by CIDR, IPv4', { sourceIp: '192.168.4.5' }, 'Net'],
  ['source-ip by CIDR, IPv6', { sourceIp: '::1' }, 'Net'],
  ['host-header: wildcard, any case, without the port', { rawHeaders: ['Host', 'app.example.COM:9000'] }, 'Host'],
  ['nothing else: the listener default', { path: '/other' }, 'Catch'],
];
for (const [why, request, expected] of cases) {
  test(`ALB rules: ${why}`, () => {
    assert.equal(matchAlbRule(targets, req(request))?.function, expected);
  });
}

test('ALB event without multi-value headers: last values, lower-case names, query as sent, body "" and isBase64Encoded false', () => {
  const event = albEvent(req({ rawQuery: 'a=1&a=%C3%BC&b', rawHeaders: ['X-A', '1', 'x-a', '2'] }), rule(1, []));
  assert.deepEqual(event, {
    requestContext: { elb: { targetGroupArn: 'tg-1' } },
    httpMethod: 'GET',
    path: '/',
    body: '',
    isBase64Encoded: false,
    headers: { 'x-a': '2' },
    queryStringParameters: { a: '%C3%BC', b: '' },
  });
});

test('ALB event with multi-value headers: every value, no single-value fields; a binary body is base64', () => {
  const event = albEvent(
    req({ rawQuery: 'a=1&a=2', rawHeaders: ['X-A', '1', 'x-a', '2', 'Content-Type', 'image/png'], body: Buffer.from([1, 2]) }),
    rule(1, [], { multiValueHeaders: true }),
  );
  assert.deepEqual(event.multiValueHeaders, { 'x-a': ['1', '2'], 'content-type': ['image/png'] });
  assert.deepEqual(event.multiValueQueryStringParameters, { a: ['1', '2'] });
  assert.equal(event.headers, undefined);
  assert.equal(event.queryStringParameters, undefined);
  assert.equal(event.body, 'AQI=');
  assert.equal(event.isBase64Encoded, true);
});

const ok = (value: unknown) => ({ ok: true as const, body: Buffer.from(JSON.stringify(value)), streamed: false, contentType: 'application/json' });

test('ALB answers: statusDescription, headers or multiValueHeaders per the target group, base64 bodies', () => {
  const response = {
    statusCode: 202,
    statusDescription: '202 Accepted Locally',
    headers: { a: '1' },
    multiValueHeaders: { b: ['1', '2'] },
    body: 'aGk=',
    isBase64Encoded: true,
  };
  const single = albAnswer(ok(response), rule(1, []), 'Fn');
  assert.deepEqual([single.status, single.statusText, single.headers, single.body.toString()], [202, 'Accepted Locally', [['a', '1']], 'hi']);
  const multi = albAnswer(ok(response), rule(1, [], { multiValueHeaders: true }), 'Fn');
  assert.deepEqual(multi.headers, [
    ['b', '1'],
    ['b', '2'],
  ]);
});

test('ALB answers: a malformed response and a function error are 502, a timeout 504, with the reason for the log', () => {
  for (const bad of [{ body: 'x' }, 'text', { statusCode: 200, body: { an: 'object' } }, { statusCode: 200, headers: { 'bad name': 'x' } }]) {
    const answer = albAnswer(ok(bad), rule(1, []), 'Fn');
    assert.equal(answer.status, 502, JSON.stringify(bad));
    assert.match(answer.problem ?? '', /^Fn returned a response the load balancer can't send/);
    assert.match(answer.body.toString(), /<h1>502 Bad Gateway<\/h1>/);
  }
  const failed = albAnswer({ ok: false, errorType: 'Error', body: Buffer.from('{"errorMessage":"boom"}'), streamed: false }, rule(1, []), 'Fn');
  assert.deepEqual([failed.status, failed.problem], [502, 'Fn failed with Error: boom (its log has the details).']);
  assert.equal(albAnswer({ ok: false, errorType: 'Sandbox.Timedout', body: Buffer.from('{}'), streamed: false }, rule(1, []), 'Fn').status, 504);
});

test('no rule matches and no default action in the project: 404', () => {
  assert.equal(noRuleAnswer().status, 404);
});

test('fixed-response action: its status, content type and body, from the load balancer itself', () => {
  const fixed = actionAnswer({ type: 'fixed-response', status: 503, contentType: 'text/plain', body: 'down' }, req(), 8080);
  assert.deepEqual(
    [fixed.status, fixed.body.toString(), fixed.headers],
    [
      503,
      'down',
      [
        ['server', 'awselb/2.0'],
        ['content-type', 'text/plain'],
      ],
    ],
  );
});

// AWS's RedirectActionConfig: each part defaults to its placeholder; #{path} is the path without its leading "/".
const redirect = (over: Partial<Extract<AlbAction, { type: 'redirect' }>>) =>
  ({ type: 'redirect', protocol: '#{protocol}', host: '#{host}', port: '#{port}', path: '/#{path}', query: '#{query}', statusCode: 301, ...over }) as const;
const location = (action: ReturnType<typeof redirect>, r: AlbRequest, port = 8080) => redirectLocation(action, r, port);

test('redirect action: Location from the placeholders, as ALB fills them', () => {
  const r = req({ path: '/a/b%20c', rawQuery: 'x=1&y=%2F', rawHeaders: ['Host', 'Shop.example.com:8080'] });
  const table: [Partial<Extract<AlbAction, { type: 'redirect' }>>, string][] = [
    [{ protocol: 'HTTPS', port: '443' }, 'https://Shop.example.com:443/a/b%20c?x=1&y=%2F'],
    [{ path: '/new/#{path}' }, 'http://Shop.example.com:8080/new/a/b%20c?x=1&y=%2F'],
    [{ path: '/new', query: '' }, 'http://Shop.example.com:8080/new'],
    [{ host: 'www.#{host}', path: '/#{host}/#{port}/#{path}' }, 'http://www.Shop.example.com:8080/Shop.example.com/8080/a/b%20c?x=1&y=%2F'],
    [{ query: '#{query}&from=#{path}' }, 'http://Shop.example.com:8080/a/b%20c?x=1&y=%2F&from=a/b%20c'],
  ];
  for (const [over, expected] of table) assert.equal(location(redirect(over), r), expected, JSON.stringify(over));
  // No query sent: no "?"; no Host header: the address the listener serves.
  assert.equal(location(redirect({ path: '/x' }), req({ path: '/', rawHeaders: [] }), 9000), 'http://127.0.0.1:9000/x');
  const answer = actionAnswer(redirect({ path: '/moved', statusCode: 302 }), r, 8080);
  assert.equal(answer.status, 302);
  assert.deepEqual(
    answer.headers.find(([n]) => n === 'location'),
    ['location', 'http://Shop.example.com:8080/moved?x=1&y=%2F'],
  );
  assert.match(answer.body.toString(), /<h1>302 Found<\/h1>/);
});

test("redirect and fixed-response rules take their place among the listener's rules by priority", () => {
  const entries: AlbTarget[] = listenerOrder<AlbTarget>([
    { function: 'Api', rule: rule(20, [{ field: 'path-pattern', values: ['/api/*'] }]) },
    {
      rule: { listener: 'L', priority: 10, conditions: [{ field: 'path-pattern', values: ['/api/old*'] }], action: redirect({ path: '/api/new' }), id: 'Old' },
    },
    { rule: { listener: 'L', priority: 50001, conditions: [], action: { type: 'fixed-response', status: 404, body: 'none' }, id: 'L' } },
  ]);
  const at = (path: string) => {
    const t = matchAlbRule(entries, req({ path }));
    return t?.function ?? (t?.rule as AlbActionRule | undefined)?.id;
  };
  assert.deepEqual([at('/api/old/1'), at('/api/x'), at('/other')], ['Old', 'Api', 'L']);
});

test('listenerAction reads RedirectConfig / FixedResponseConfig and refuses what ALB refuses', () => {
  assert.deepEqual(listenerAction([{ Type: 'redirect', RedirectConfig: { Protocol: 'https', Port: 443, StatusCode: 'HTTP_301' } }]), {
    type: 'redirect',
    protocol: 'HTTPS',
    host: '#{host}',
    port: '443',
    path: '/#{path}',
    query: '#{query}',
    statusCode: 301,
  });
  assert.deepEqual(
    listenerAction([{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '503', ContentType: 'application/json', MessageBody: '{}' } }]),
    {
      type: 'fixed-response',
      status: 503,
      contentType: 'application/json',
      body: '{}',
    },
  );
  for (const [actions, why] of [
    [[{ Type: 'redirect', RedirectConfig: { Path: '/x', StatusCode: 'HTTP_307' } }], /neither HTTP_301 nor HTTP_302/],
    [[{ Type: 'redirect', RedirectConfig: { StatusCode: 'HTTP_301' } }], /changes nothing/],
    [[{ Type: 'redirect', RedirectConfig: { Path: 'x', StatusCode: 'HTTP_301' } }], /does not start with/],
    [[{ Type: 'redirect', RedirectConfig: { Protocol: 'FTP', StatusCode: 'HTTP_301' } }], /none of HTTP, HTTPS/],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '302' } }], /not a 2XX, 4XX or 5XX/],
    [[{ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '200', MessageBody: 'x'.repeat(1025) } }], /over 1024 bytes/],
  ] as const) {
    const got = listenerAction(actions);
    assert.ok(got && 'problem' in got && why.test(got.problem), JSON.stringify(got));
  }
  assert.equal(listenerAction([{ Type: 'forward', TargetGroupArn: 'x' }]), undefined);
});

test('weighted forwards: smooth round robin splits any run of sum(weights) requests exactly by weight; Weight 0 never', () => {
  const run = (weights: number[], n: number) => {
    const state: number[] = [];
    return Array.from({ length: n }, () => pickByWeight(weights, state));
  };
  assert.deepEqual(run([3, 1], 8), [0, 0, 1, 0, 0, 0, 1, 0]);
  assert.deepEqual(run([100, 0], 5), [0, 0, 0, 0, 0]);
  assert.deepEqual(run([0, 2, 0, 1], 6), [1, 3, 1, 1, 3, 1]);
  const many = run([5, 3, 2], 100);
  assert.deepEqual(
    [0, 1, 2].map((i) => many.filter((p) => p === i).length),
    [50, 30, 20],
  );
  assert.deepEqual(run([0, 0], 2), [-1, -1]);
});

test('forward actions: TargetGroupArn, ForwardConfig groups with Weight (1 when absent), stickiness; authenticate actions read, not "other"', () => {
  assert.deepEqual(forwardTargets([{ Type: 'forward', TargetGroupArn: 'a' }]), { groups: [{ targetGroup: 'a', weight: 1 }], sticky: false });
  assert.deepEqual(
    forwardTargets([
      {
        Type: 'forward',
        ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'a', Weight: 7 }, { TargetGroupArn: 'b' }], TargetGroupStickinessConfig: { Enabled: true } },
      },
    ]),
    {
      groups: [
        { targetGroup: 'a', weight: 7 },
        { targetGroup: 'b', weight: 1 },
      ],
      sticky: true,
    },
  );
  const bad = forwardTargets([{ Type: 'forward', ForwardConfig: { TargetGroups: [{ TargetGroupArn: 'a', Weight: 1000 }] } }]);
  assert.ok(bad && 'groups' in bad && Number.isNaN(bad.groups[0]!.weight));
  const login = [
    {
      Type: 'authenticate-cognito',
      Order: 1,
      AuthenticateCognitoConfig: { UserPoolArn: 'arn:aws:cognito-idp:eu-west-1:1:userpool/eu-west-1_P', UserPoolClientId: 'c' },
    },
    { Type: 'fixed-response', Order: 2, FixedResponseConfig: { StatusCode: '200' } },
  ];
  assert.deepEqual(forwardTargets(login), { other: 'fixed-response' });
  assert.deepEqual(authenticateAction(login), {
    type: 'authenticate-cognito',
    issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_P',
    clientId: 'c',
  });
  assert.deepEqual(authenticateAction([{ Type: 'authenticate-oidc', AuthenticateOidcConfig: { Issuer: 'https://i', ClientId: 'x' } }]), {
    type: 'authenticate-oidc',
    issuer: 'https://i',
    clientId: 'x',
  });
  assert.equal(authenticateAction([{ Type: 'forward', TargetGroupArn: 'a' }]), undefined);
});

test('OPEN_RUNTIME_ALB_IDENTITY: a JSON object with a string sub, else a sentence saying so', () => {
  assert.deepEqual(parseLocalIdentity('{"sub":"ada","email":"a@x"}'), { sub: 'ada', email: 'a@x' });
  assert.match(String(parseLocalIdentity('ada')), /is not JSON/);
  assert.match(String(parseLocalIdentity('{"email":"a@x"}')), /with a string "sub"/);
  assert.match(String(parseLocalIdentity('["ada"]')), /with a string "sub"/);
});

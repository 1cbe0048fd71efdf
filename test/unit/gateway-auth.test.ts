// The gateway's auth rules as tables: how an authorizer's IAM policy is evaluated against a method ARN
// (runner/gateway/auth/iam-policy.ts), and how SAM and serverless.yml auth settings are read into the Function model
// (runner/gateway/auth/config.ts through runner/functions/http-events.ts and, for raw CloudFormation methods,
// runner/functions/api-resources.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { samHttpEvents, serverlessHttpEvents } from '../../runner/functions/http-events.ts';
import { parseTemplate } from '../../runner/functions/template.ts';
import { describeAuth, serverlessRestAuth } from '../../runner/gateway/auth/config.ts';
import { evaluatePolicy, wildcardMatch } from '../../runner/gateway/auth/iam-policy.ts';

const ARN = 'arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/orders/42';
const statement = (Effect: string, Resource: unknown, Action: unknown = 'execute-api:Invoke') => ({ Effect, Resource, Action });
const policy = (...Statement: unknown[]) => ({ Version: '2012-10-17', Statement });

test('IAM policies: Deny wins, then Allow, else implicit deny; wildcards * and ?; broken documents are undefined (a 500)', () => {
  const table: [string, unknown, ReturnType<typeof evaluatePolicy>][] = [
    ['exact allow', policy(statement('Allow', ARN)), 'allow'],
    ['allow on another path', policy(statement('Allow', 'arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/orders')), 'implicit-deny'],
    ['* spans slashes', policy(statement('Allow', 'arn:aws:execute-api:us-east-1:123456789012:abc123/*')), 'allow'],
    ['? is one character', policy(statement('Allow', 'arn:aws:execute-api:us-east-1:123456789012:abc123/v?/GET/orders/4?')), 'allow'],
    ['? is not two', policy(statement('Allow', 'arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/orders/?')), 'implicit-deny'],
    ['deny beats allow', policy(statement('Allow', '*'), statement('Deny', ARN)), 'explicit-deny'],
    ['deny elsewhere', policy(statement('Allow', '*'), statement('Deny', 'arn:aws:execute-api:*:*:*/v1/POST/*')), 'allow'],
    ['a list of resources', policy(statement('Allow', ['arn:x', ARN])), 'allow'],
    ['a single statement object', { Version: '2012-10-17', Statement: statement('Allow', ARN) }, 'allow'],
    ['execute-api:* action', policy(statement('Allow', ARN, 'execute-api:*')), 'allow'],
    ['another action', policy(statement('Allow', ARN, 's3:GetObject')), 'implicit-deny'],
    ['resource case matters', policy(statement('Allow', ARN.toUpperCase())), 'implicit-deny'],
    ['regex characters are literal', policy(statement('Allow', 'arn:aws:execute-api:us-east-1:123456789012:abc123/v1/GET/orders/4.')), 'implicit-deny'],
    ['no statements', policy(), 'implicit-deny'],
    ['no document', undefined, undefined],
    ['no Statement', { Version: '2012-10-17' }, undefined],
    ['bad Effect', policy(statement('Permit', ARN)), undefined],
  ];
  for (const [name, document, expected] of table) assert.equal(evaluatePolicy(document, ARN), expected, name);
  assert.equal(wildcardMatch('EXECUTE-API:invoke', 'execute-api:Invoke', true), true);
});

const id = (v: unknown) => v;

test('SAM: Api Auth with a default TOKEN authorizer, per-event NONE / AWS_IAM / REQUEST / ApiKeyRequired, API key values, preflight', () => {
  const template = {
    Resources: {
      Api: {
        Type: 'AWS::Serverless::Api',
        Properties: {
          StageName: 'v1',
          Auth: {
            DefaultAuthorizer: 'Tok',
            ApiKeyRequired: true,
            Authorizers: {
              Tok: {
                FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:AuthFn',
                Identity: { Header: 'X-Token', ValidationExpression: '^x', ReauthorizeEvery: 60 },
              },
              Pool: { UserPoolArn: 'arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_x' },
              Req: {
                FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ReqFn',
                FunctionPayloadType: 'REQUEST',
                Identity: { Headers: ['H'], QueryStrings: ['q'], StageVariables: ['s'], Context: ['identity.sourceIp'] },
              },
            },
          },
        },
      },
      K: { Type: 'AWS::ApiGateway::ApiKey', Properties: { Value: 'k-1' } },
    },
  };
  const event = (props: Record<string, unknown>) => ({ Type: 'Api', Properties: { RestApiId: { Ref: 'Api' }, Path: '/p', Method: 'get', ...props } });
  const events = samHttpEvents(
    'F',
    {
      Properties: {
        Events: {
          A: event({}),
          B: event({ Auth: { Authorizer: 'NONE', ApiKeyRequired: false } }),
          C: event({ Auth: { Authorizer: 'AWS_IAM' } }),
          D: event({ Auth: { Authorizer: 'Req' } }),
          E: event({ Auth: { Authorizer: 'Pool' } }),
          G: event({ Auth: { Authorizer: 'Typo' } }),
        },
      },
    },
    template,
    id,
  )!;
  const [a, b, c, d, e, g] = events.map((x) => x.auth);
  // What the gateway can't apply is served without it, and the route table says so.
  // A Cognito user pool: its issuer, from the pool's ARN.
  assert.equal(describeAuth(e), 'Pool (Cognito https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x) + API key');
  assert.deepEqual(e?.authorizer, {
    type: 'cognito',
    name: 'Pool',
    issuers: ['https://cognito-idp.us-east-1.amazonaws.com/us-east-1_x'],
    identitySource: 'method.request.header.Authorization',
  });
  assert.match(describeAuth(g), /NOT CHECKED: Typo is not among the API's Authorizers/);
  assert.equal(describeAuth(a), 'Tok (Lambda TOKEN -> AuthFn) + API key');
  assert.deepEqual(a, {
    authorizer: {
      type: 'lambda',
      name: 'Tok',
      function: 'AuthFn',
      payload: 'TOKEN',
      payloadVersion: '1.0',
      identitySources: ['method.request.header.X-Token'],
      ttlSeconds: 60,
      validationExpression: '^x',
      simpleResponses: false,
    },
    iam: false,
    apiKeyRequired: true,
    apiKeys: ['k-1'],
    scopes: [],
    preflightAuthorizer: a!.authorizer,
  });
  assert.equal(b!.authorizer, undefined);
  assert.equal(b!.apiKeyRequired, false);
  assert.ok(b!.preflightAuthorizer, 'the OPTIONS method still has the default authorizer');
  assert.equal(c!.iam, true);
  assert.equal(d!.authorizer?.type === 'lambda' && d!.authorizer.ttlSeconds, 300);
  assert.deepEqual(d!.authorizer?.type === 'lambda' && d!.authorizer.identitySources, [
    'method.request.header.H',
    'method.request.querystring.q',
    'stageVariables.s',
    'context.identity.sourceIp',
  ]);
  const noPreflight = {
    Resources: {
      Api: { ...template.Resources.Api, Properties: { Auth: { ...template.Resources.Api.Properties.Auth, AddDefaultAuthorizerToCorsPreflight: false } } },
    },
  };
  assert.equal(samHttpEvents('F', { Properties: { Events: { A: event({}) } } }, noPreflight, id)![0]!.auth!.preflightAuthorizer, undefined);
  assert.equal(
    samHttpEvents('F', { Properties: { Events: { A: { Type: 'Api', Properties: { Path: '/x', Method: 'get' } } } } }, { Resources: {} }, id)![0]!.auth,
    undefined,
  );
});

test('SAM: HttpApi Lambda (simple, 1.0) and JWT authorizers, scopes, AWS_IAM', () => {
  const template = {
    Resources: {
      H: {
        Type: 'AWS::Serverless::HttpApi',
        Properties: {
          Auth: {
            DefaultAuthorizer: 'Jwt',
            Authorizers: {
              Jwt: { JwtConfiguration: { issuer: 'https://issuer.test', audience: ['app'] }, IdentitySource: '$request.header.Authorization' },
              Lam: {
                FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:L',
                AuthorizerPayloadFormatVersion: '2.0',
                EnableSimpleResponses: true,
                Identity: { Headers: ['Authorization'], ReauthorizeEvery: 30 },
              },
              Old: { FunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:L', AuthorizerPayloadFormatVersion: '1.0' },
            },
          },
        },
      },
    },
  };
  const event = (props: Record<string, unknown>) => ({ Type: 'HttpApi', Properties: { ApiId: { Ref: 'H' }, Path: '/p', Method: 'GET', ...props } });
  const [jwt, lam, old, iam] = samHttpEvents(
    'F',
    {
      Properties: {
        Events: {
          A: event({ Auth: { AuthorizationScopes: ['admin'] } }),
          B: event({ Auth: { Authorizer: 'Lam' } }),
          C: event({ Auth: { Authorizer: 'Old' } }),
          D: event({ Auth: { Authorizer: 'AWS_IAM' } }),
        },
      },
    },
    template,
    id,
  )!.map((e) => e.auth!);
  assert.deepEqual(jwt!.authorizer, {
    type: 'jwt',
    name: 'Jwt',
    issuer: 'https://issuer.test',
    audience: ['app'],
    identitySource: '$request.header.Authorization',
  });
  assert.deepEqual(jwt!.scopes, ['admin']);
  assert.deepEqual(lam!.authorizer, {
    type: 'lambda',
    name: 'Lam',
    function: 'L',
    payload: 'REQUEST',
    payloadVersion: '2.0',
    identitySources: ['$request.header.Authorization'],
    ttlSeconds: 30,
    simpleResponses: true,
  });
  assert.equal(old!.authorizer?.type === 'lambda' && old!.authorizer.payloadVersion, '1.0');
  assert.equal(old!.authorizer?.type === 'lambda' && old!.authorizer.ttlSeconds, 0);
  assert.equal(iam!.iam, true);
  assert.equal(iam!.authorizer, undefined);
});

test('serverless.yml: http authorizer (name, arn, request type), aws_iam, private with apiKeys values; httpApi jwt and request authorizers', () => {
  const provider = {
    apiGateway: { apiKeys: ['named-only', { name: 'k', value: 'sls-key-1' }, { free: [{ name: 'k2', value: 'sls-key-2' }] }] },
    httpApi: {
      authorizers: {
        jwtAuth: { type: 'jwt', identitySource: '$request.header.Authorization', issuerUrl: 'https://cognito.test/pool', audience: ['client-1'] },
        reqAuth: { type: 'request', functionName: 'authFn', enableSimpleResponses: true, identitySource: ['$request.header.X-Key'], resultTtlInSeconds: 10 },
      },
    },
  };
  const events = serverlessHttpEvents(
    'f',
    [
      { http: { method: 'get', path: 'a', authorizer: 'authFn' } },
      {
        http: {
          method: 'get',
          path: 'b',
          authorizer: { name: 'authFn', type: 'request', identitySource: 'method.request.header.X-A, method.request.querystring.q', resultTtlInSeconds: 0 },
        },
      },
      { http: { method: 'get', path: 'c', authorizer: { arn: 'arn:aws:lambda:us-east-1:123456789012:function:other-auth' } } },
      { http: { method: 'get', path: 'd', authorizer: 'aws_iam', private: true } },
      { httpApi: { method: 'GET', path: '/e', authorizer: { name: 'jwtAuth', scopes: ['read'] } } },
      { httpApi: { method: 'GET', path: '/f', authorizer: { name: 'reqAuth' } } },
      { httpApi: { method: 'GET', path: '/g', authorizer: { type: 'aws_iam' } } },
      { http: 'GET h' },
    ],
    undefined,
    provider,
  )!;
  const [a, b, c, d, e, f, g, h] = events.map((x) => x.auth);
  assert.deepEqual(a!.authorizer, {
    type: 'lambda',
    name: 'authFn',
    function: 'authFn',
    payload: 'TOKEN',
    payloadVersion: '1.0',
    identitySources: ['method.request.header.Authorization'],
    ttlSeconds: 300,
    simpleResponses: false,
  });
  assert.deepEqual(b!.authorizer?.type === 'lambda' && [b!.authorizer.payload, b!.authorizer.identitySources, b!.authorizer.ttlSeconds], [
    'REQUEST',
    ['method.request.header.X-A', 'method.request.querystring.q'],
    0,
  ]);
  assert.equal(c!.authorizer?.type === 'lambda' && c!.authorizer.function, 'other-auth');
  assert.deepEqual([d!.iam, d!.apiKeyRequired, d!.apiKeys], [true, true, ['sls-key-1', 'sls-key-2']]);
  assert.deepEqual(e!.authorizer, {
    type: 'jwt',
    name: 'jwtAuth',
    issuer: 'https://cognito.test/pool',
    audience: ['client-1'],
    identitySource: '$request.header.Authorization',
  });
  assert.deepEqual(e!.scopes, ['read']);
  assert.deepEqual(f!.authorizer, {
    type: 'lambda',
    name: 'reqAuth',
    function: 'authFn',
    payload: 'REQUEST',
    payloadVersion: '2.0',
    identitySources: ['$request.header.X-Key'],
    ttlSeconds: 10,
    simpleResponses: true,
  });
  assert.equal(g!.iam, true);
  assert.equal(h, undefined);
});

test('serverless.yml: an http authorizer of type COGNITO_USER_POOLS is the pool issuer with its scopes; an ARN that names no pool is NOT CHECKED', () => {
  const auth = serverlessRestAuth(
    {
      authorizer: {
        type: 'COGNITO_USER_POOLS',
        name: 'pool',
        arn: 'arn:aws:cognito-idp:eu-central-1:123456789012:userpool/eu-central-1_Abc',
        scopes: ['s/read'],
      },
    },
    [],
  );
  assert.deepEqual(auth, {
    authorizer: {
      type: 'cognito',
      name: 'pool',
      issuers: ['https://cognito-idp.eu-central-1.amazonaws.com/eu-central-1_Abc'],
      identitySource: 'method.request.header.Authorization',
    },
    iam: false,
    apiKeyRequired: false,
    apiKeys: [],
    scopes: ['s/read'],
  });
  const broken = serverlessRestAuth({ authorizer: { type: 'COGNITO_USER_POOLS', arn: { 'Fn::GetAtt': ['Pool', 'Arn'] } } }, []);
  assert.match(describeAuth(broken), /NOT CHECKED: the Cognito authorizer's arn .* names no user pool/);
});

test('raw CloudFormation AWS::ApiGateway::Method: AWS_IAM, CUSTOM TOKEN / REQUEST, COGNITO_USER_POOLS, API keys, and what is NOT CHECKED', () => {
  const uri = (fn: string) => `!Sub "arn:aws:apigateway:\${AWS::Region}:lambda:path/2015-03-31/functions/\${${fn}.Arn}/invocations"`;
  const method = (id: string, part: string, extra: string) =>
    [
      `  ${id}Path: { Type: AWS::ApiGateway::Resource, Properties: { RestApiId: !Ref Api, ParentId: !GetAtt Api.RootResourceId, PathPart: ${part} } }`,
      `  ${id}: { Type: AWS::ApiGateway::Method, Properties: { RestApiId: !Ref Api, ResourceId: !Ref ${id}Path, HttpMethod: GET, ${extra}`,
      `    Integration: { Type: AWS_PROXY, IntegrationHttpMethod: POST, Uri: ${uri('Echo')} } } }`,
    ].join('\n');
  const text = [
    'Resources:',
    '  Api: { Type: AWS::ApiGateway::RestApi, Properties: { Name: raw } }',
    '  Key: { Type: AWS::ApiGateway::ApiKey, Properties: { Value: key-value-0123456789 } }',
    '  Echo: { Type: AWS::Lambda::Function, Properties: { Runtime: nodejs22.x, Handler: index.handler, Code: ./src } }',
    '  Auth: { Type: AWS::Lambda::Function, Properties: { Runtime: nodejs22.x, Handler: index.auth, Code: ./src } }',
    `  Token: { Type: AWS::ApiGateway::Authorizer, Properties: { RestApiId: !Ref Api, Name: tok, Type: TOKEN, AuthorizerUri: ${uri('Auth')}, IdentitySource: method.request.header.X-Auth, AuthorizerResultTtlInSeconds: 60, IdentityValidationExpression: '^ok' } }`,
    `  Request: { Type: AWS::ApiGateway::Authorizer, Properties: { RestApiId: !Ref Api, Type: REQUEST, AuthorizerUri: ${uri('Auth')}, IdentitySource: 'method.request.header.A, method.request.querystring.b' } }`,
    '  Pool: { Type: AWS::ApiGateway::Authorizer, Properties: { RestApiId: !Ref Api, Name: pool, Type: COGNITO_USER_POOLS, ProviderARNs: [arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_Abc] } }',
    '  UserPool: { Type: AWS::Cognito::UserPool, Properties: {} }',
    '  Deployed: { Type: AWS::ApiGateway::Authorizer, Properties: { RestApiId: !Ref Api, Type: COGNITO_USER_POOLS, ProviderARNs: [!GetAtt UserPool.Arn] } }',
    method('Iam', 'iam', 'AuthorizationType: AWS_IAM, ApiKeyRequired: true,'),
    method('Tok', 'tok', 'AuthorizationType: CUSTOM, AuthorizerId: !Ref Token,'),
    method('Req', 'req', 'AuthorizationType: CUSTOM, AuthorizerId: !Ref Request,'),
    method('Cog', 'cog', 'AuthorizationType: COGNITO_USER_POOLS, AuthorizerId: !Ref Pool, AuthorizationScopes: [a/read],'),
    method('Gone', 'gone', 'AuthorizationType: CUSTOM, AuthorizerId: nope,'),
    method('Unknown', 'unknown', 'AuthorizationType: COGNITO_USER_POOLS, AuthorizerId: !Ref Deployed,'),
    method('Open', 'open', 'AuthorizationType: NONE,'),
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'raw-auth-'));
  mkdirSync(join(dir, 'src'));
  const { functions, errors } = parseTemplate(text, join(dir, 'template.yaml'));
  rmSync(dir, { recursive: true });
  assert.deepEqual(errors, []);
  const auth = (path: string) => functions.find((f) => f.name === 'Echo')!.httpEvents!.find((e) => e.path === path)!.auth;
  assert.deepEqual(auth('/iam'), { iam: true, apiKeyRequired: true, apiKeys: ['key-value-0123456789'], scopes: [] });
  assert.deepEqual(auth('/tok')?.authorizer, {
    type: 'lambda',
    name: 'tok',
    function: 'Auth',
    payload: 'TOKEN',
    payloadVersion: '1.0',
    identitySources: ['method.request.header.X-Auth'],
    ttlSeconds: 60,
    validationExpression: '^ok',
    simpleResponses: false,
  });
  assert.deepEqual(auth('/req')?.authorizer, {
    type: 'lambda',
    name: 'Request',
    function: 'Auth',
    payload: 'REQUEST',
    payloadVersion: '1.0',
    identitySources: ['method.request.header.A', 'method.request.querystring.b'],
    ttlSeconds: 300,
    simpleResponses: false,
  });
  assert.deepEqual(auth('/cog'), {
    iam: false,
    apiKeyRequired: false,
    apiKeys: [],
    scopes: ['a/read'],
    authorizer: {
      type: 'cognito',
      name: 'pool',
      issuers: ['https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Abc'],
      identitySource: 'method.request.header.Authorization',
    },
  });
  assert.match(auth('/gone')?.unchecked ?? '', /its AuthorizerId \(nope\) is not !Ref of an AWS::ApiGateway::Authorizer/);
  assert.match(auth('/unknown')?.unchecked ?? '', /Deployed's ProviderARNs name no user pool ARN .* give its ARN as a parameter/);
  assert.match(describeAuth(auth('/unknown')), /^NOT CHECKED: /);
  assert.equal(auth('/open'), undefined);
});

// Who may call each HTTP route, read from the definition file into the Function model's HttpAuth (one shape for SAM
// and serverless.yml, enforced by the other files of this folder). Kept apart from functions/http-events.ts, which
// calls it once per route, so reading authorizers does not tangle with reading routes, and so a reader of raw
// CloudFormation (`AWS::ApiGateway::Authorizer`) can build the same shape with lambdaAuthorizer / jwtAuthorizer.
//
// What is read, with the defaults AWS applies:
//   SAM Api      Auth: { DefaultAuthorizer, ApiKeyRequired, AddDefaultAuthorizerToCorsPreflight (default true),
//                Authorizers: { X: { FunctionArn, FunctionPayloadType TOKEN (default) | REQUEST, Identity: { Header
//                (Authorization), ValidationExpression, QueryStrings, Headers, StageVariables, Context,
//                ReauthorizeEvery (300) } } } }; an event's Auth: { Authorizer: X | NONE | AWS_IAM, ApiKeyRequired }.
//   SAM HttpApi  Auth: { DefaultAuthorizer, EnableIamAuthorizer, Authorizers: { X: { FunctionArn,
//                AuthorizerPayloadFormatVersion, EnableSimpleResponses, Identity: { Headers, QueryStrings,
//                ReauthorizeEvery (0) } } | { JwtConfiguration: { issuer, audience }, IdentitySource } } };
//                an event's Auth: { Authorizer: X | NONE | AWS_IAM, AuthorizationScopes }.
//   API keys     the Value of every AWS::ApiGateway::ApiKey in the template; serverless.yml
//                provider.apiGateway.apiKeys entries with a value ({ name, value } or { usagePlan: [{ name, value }] }).
//   serverless   http: { authorizer: name | arn | { name, arn, type token|request, identitySource,
//                resultTtlInSeconds (300), identityValidationExpression } | aws_iam, private: true };
//                httpApi: { authorizer: name | { name, scopes } | { type: aws_iam } } with provider.httpApi.authorizers:
//                { X: { type: jwt, issuerUrl, audience, identitySource } | { type: request, functionName,
//                enableSimpleResponses, payloadVersion (2.0), identitySource, resultTtlInSeconds (0) } }.
//   Cognito      SAM Api Authorizers: { X: { UserPoolArn: arn | [arn], Identity: { Header }, AuthorizationScopes } };
//                serverless.yml http: { authorizer: { type: COGNITO_USER_POOLS, arn, scopes } }: tokens checked by jwt.ts
//                against the pool's issuer (region and pool id from the ARN).
//   CloudFormation  a raw AWS::ApiGateway::Method's AuthorizationType (NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS),
//                AuthorizerId -> AWS::ApiGateway::Authorizer (Type TOKEN | REQUEST with AuthorizerUri, IdentitySource,
//                AuthorizerResultTtlInSeconds (300), IdentityValidationExpression; or COGNITO_USER_POOLS with
//                ProviderARNs, IdentitySource), AuthorizationScopes and ApiKeyRequired (cfnMethodAuth).
import type { HttpAuth, HttpAuthorizer } from '../../functions/model.ts';
import { asRecord } from '../../functions/intrinsics.ts';

type Kind = 'rest' | 'http';

/** SAM's `Auth` of one route: the API's (already merged with Globals and resolved) and the event's own. */
export function samRouteAuth(kind: Kind, apiAuthValue: unknown, eventAuthValue: unknown, apiKeys: string[]): HttpAuth | undefined {
  const apiAuth = asRecord(apiAuthValue);
  const eventAuth = asRecord(eventAuthValue);
  const authorizers = asRecord(apiAuth.Authorizers);
  const chosen = text(eventAuth.Authorizer) ?? text(apiAuth.DefaultAuthorizer);
  const apiKeyRequired = kind === 'rest' && (typeof eventAuth.ApiKeyRequired === 'boolean' ? eventAuth.ApiKeyRequired : apiAuth.ApiKeyRequired === true);
  const iam = chosen === 'AWS_IAM';
  let authorizer: HttpAuthorizer | undefined;
  let unchecked: string | undefined;
  if (chosen && chosen !== 'NONE' && !iam) {
    const config = asRecord(authorizers[chosen]);
    authorizer = kind === 'rest' ? samRestAuthorizer(chosen, config) : samHttpAuthorizer(chosen, config);
    if (!authorizer) unchecked = uncheckedReason(chosen, authorizers[chosen]);
  }
  const scopes = listOf(eventAuth.AuthorizationScopes ?? asRecord(authorizers[chosen ?? '']).AuthorizationScopes);
  const defaultName = text(apiAuth.DefaultAuthorizer);
  const preflightAuthorizer =
    kind === 'rest' && defaultName && defaultName !== 'NONE' && defaultName !== 'AWS_IAM' && apiAuth.AddDefaultAuthorizerToCorsPreflight !== false
      ? samRestAuthorizer(defaultName, asRecord(authorizers[defaultName]))
      : undefined;
  if (!authorizer && !iam && !apiKeyRequired && !preflightAuthorizer && !unchecked) return undefined;
  return {
    ...(authorizer ? { authorizer } : {}),
    iam,
    apiKeyRequired,
    apiKeys,
    scopes,
    ...(preflightAuthorizer ? { preflightAuthorizer } : {}),
    ...(unchecked ? { unchecked } : {}),
  };
}

/** Why a named authorizer is not applied locally: the route is served without it, and the route table says so. */
function uncheckedReason(name: string, config: unknown): string {
  const record = asRecord(config);
  if (config === undefined) return `${name} is not among the API's Authorizers`;
  if (record.UserPoolArn !== undefined)
    return `${name}'s UserPoolArn (${JSON.stringify(record.UserPoolArn)}) names no user pool (arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>)`;
  return `${name}'s FunctionArn does not name a function (${JSON.stringify(record.FunctionArn ?? null)})`;
}

function samRestAuthorizer(name: string, config: Record<string, unknown>): HttpAuthorizer | undefined {
  if (config.UserPoolArn !== undefined) {
    const arns = Array.isArray(config.UserPoolArn) ? config.UserPoolArn : [config.UserPoolArn];
    return cognitoAuthorizer(name, arns, `method.request.header.${text(asRecord(config.Identity).Header) ?? 'Authorization'}`);
  }
  const fn = functionNameOf(config.FunctionArn);
  if (!fn) return undefined;
  const identity = asRecord(config.Identity);
  const payload = text(config.FunctionPayloadType)?.toUpperCase() === 'REQUEST' ? 'REQUEST' : 'TOKEN';
  const sources =
    payload === 'TOKEN'
      ? [`method.request.header.${text(identity.Header) ?? 'Authorization'}`]
      : [
          ...listOf(identity.Headers).map((h) => `method.request.header.${h}`),
          ...listOf(identity.QueryStrings).map((q) => `method.request.querystring.${q}`),
          ...listOf(identity.StageVariables).map((s) => `stageVariables.${s}`),
          ...listOf(identity.Context).map((c) => `context.${c}`),
        ];
  return lambdaAuthorizer({
    name,
    function: fn,
    payload,
    identitySources: sources,
    ttlSeconds: numberOf(identity.ReauthorizeEvery) ?? 300,
    validationExpression: text(identity.ValidationExpression),
  });
}

function samHttpAuthorizer(name: string, config: Record<string, unknown>): HttpAuthorizer | undefined {
  const jwt = asRecord(config.JwtConfiguration);
  if (config.JwtConfiguration !== undefined) {
    const issuer = text(jwt.issuer ?? jwt.Issuer);
    if (!issuer) return undefined;
    return jwtAuthorizer({
      name,
      issuer,
      audience: listOf(jwt.audience ?? jwt.Audience),
      identitySource: text(config.IdentitySource) ?? '$request.header.Authorization',
    });
  }
  const fn = functionNameOf(config.FunctionArn);
  if (!fn) return undefined;
  const identity = asRecord(config.Identity);
  const sources = [
    ...listOf(identity.Headers).map((h) => `$request.header.${h}`),
    ...listOf(identity.QueryStrings).map((q) => `$request.querystring.${q}`),
    ...listOf(identity.StageVariables).map((s) => `$stageVariables.${s}`),
    ...listOf(identity.Context).map((c) => `$context.${c}`),
  ];
  return lambdaAuthorizer({
    name,
    function: fn,
    payload: 'REQUEST',
    payloadVersion: text(config.AuthorizerPayloadFormatVersion) === '1.0' ? '1.0' : '2.0',
    identitySources: sources,
    ttlSeconds: numberOf(identity.ReauthorizeEvery) ?? 0,
    simpleResponses: config.EnableSimpleResponses === true,
  });
}

/** The Value of every AWS::ApiGateway::ApiKey of a (resolved) template's Resources. */
export function templateApiKeys(resources: Record<string, unknown>, resolve: (v: unknown) => unknown): string[] {
  const keys: string[] = [];
  for (const raw of Object.values(resources)) {
    const resource = asRecord(raw);
    if (resource.Type !== 'AWS::ApiGateway::ApiKey') continue;
    const value = text(asRecord(resolve(resource.Properties)).Value);
    if (value) keys.push(value);
  }
  return keys;
}

/**
 * A raw CloudFormation AWS::ApiGateway::Method's auth, from its resolved Properties (`!Ref` of an authorizer resolves to
 * its logical id) and the template's Resources; undefined when anyone may call it.
 */
export function cfnMethodAuth(
  props: Record<string, unknown>,
  resources: Record<string, unknown>,
  resolve: (v: unknown) => unknown,
  apiKeys: () => string[],
): HttpAuth | undefined {
  const type = (text(props.AuthorizationType) ?? 'NONE').toUpperCase();
  const apiKeyRequired = props.ApiKeyRequired === true || props.ApiKeyRequired === 'true';
  const base: HttpAuth = { iam: type === 'AWS_IAM', apiKeyRequired, apiKeys: apiKeyRequired ? apiKeys() : [], scopes: listOf(props.AuthorizationScopes) };
  if (type === 'NONE' || type === 'AWS_IAM') return base.iam || apiKeyRequired ? base : undefined;
  const unchecked = (why: string): HttpAuth => ({ ...base, unchecked: why });
  if (type !== 'CUSTOM' && type !== 'COGNITO_USER_POOLS') return unchecked(`AuthorizationType ${type} is none of NONE, AWS_IAM, CUSTOM, COGNITO_USER_POOLS`);
  const id = text(props.AuthorizerId);
  const resource = asRecord(id === undefined ? undefined : resources[id]);
  if (resource.Type !== 'AWS::ApiGateway::Authorizer')
    return unchecked(`its AuthorizerId (${id ?? 'none'}) is not !Ref of an AWS::ApiGateway::Authorizer of this template`);
  const config = asRecord(resolve(resource.Properties ?? {}));
  const name = text(config.Name) ?? id!;
  const kind = text(config.Type)?.toUpperCase();
  const sources = (text(config.IdentitySource) ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (type === 'COGNITO_USER_POOLS') {
    if (kind !== 'COGNITO_USER_POOLS') return unchecked(`the method is COGNITO_USER_POOLS and its authorizer ${name} has Type ${kind ?? 'none'}`);
    const arns = Array.isArray(config.ProviderARNs) ? config.ProviderARNs : [];
    const authorizer = cognitoAuthorizer(name, arns, sources[0] ?? 'method.request.header.Authorization');
    if (!authorizer)
      return unchecked(
        `${name}'s ProviderARNs name no user pool ARN (arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>); a pool of this template has no id until it is deployed, so give its ARN as a parameter`,
      );
    return { ...base, authorizer };
  }
  if (kind !== 'TOKEN' && kind !== 'REQUEST')
    return unchecked(`the method is CUSTOM and its authorizer ${name} has Type ${kind ?? 'none'}, not TOKEN or REQUEST`);
  const fn = /:function:([^:/]+)/.exec(text(config.AuthorizerUri) ?? '')?.[1];
  if (!fn) return unchecked(`authorizer ${name}'s AuthorizerUri names no function of this template`);
  return {
    ...base,
    scopes: [],
    authorizer: lambdaAuthorizer({
      name,
      function: fn,
      payload: kind,
      identitySources: kind === 'TOKEN' ? [sources[0] ?? 'method.request.header.Authorization'] : sources,
      ttlSeconds: numberOf(config.AuthorizerResultTtlInSeconds) ?? 300,
      validationExpression: text(config.IdentityValidationExpression),
    }),
  };
}

/** serverless.yml provider.apiGateway.apiKeys: names, { name, value }, or usage-plan groups of those. */
export function serverlessApiKeys(provider: Record<string, unknown>): string[] {
  const keys: string[] = [];
  const visit = (entry: unknown): void => {
    if (Array.isArray(entry)) return entry.forEach(visit);
    const record = asRecord(entry);
    const value = text(record.value);
    if (value) keys.push(value);
    for (const nested of Object.values(record)) if (Array.isArray(nested)) visit(nested);
  };
  visit(asRecord(provider.apiGateway).apiKeys);
  return keys;
}

/** serverless.yml `http` event's authorizer and `private`. `functions` are the service's function keys. */
export function serverlessRestAuth(http: Record<string, unknown>, apiKeys: string[]): HttpAuth | undefined {
  const value = http.authorizer;
  const apiKeyRequired = http.private === true;
  let iam = false;
  let authorizer: HttpAuthorizer | undefined;
  if (typeof value === 'string') {
    if (value.toLowerCase() === 'aws_iam') iam = true;
    else authorizer = serverlessLambdaAuthorizer({ name: value }, 'rest');
  } else if (value !== undefined && value !== null) {
    const record = asRecord(value);
    if (text(record.type)?.toLowerCase() === 'aws_iam') iam = true;
    else if (text(record.type)?.toUpperCase() === 'COGNITO_USER_POOLS' || /:cognito-idp:/.test(text(record.arn) ?? ''))
      authorizer = cognitoAuthorizer(text(record.name) ?? 'cognito', [record.arn], text(record.identitySource) ?? 'method.request.header.Authorization');
    else authorizer = serverlessLambdaAuthorizer(record, 'rest');
    if (!authorizer && record.arn !== undefined && /cognito/i.test(String(record.type ?? record.arn)))
      return { iam, apiKeyRequired, apiKeys, scopes: [], unchecked: `the Cognito authorizer's arn (${JSON.stringify(record.arn)}) names no user pool` };
    if (authorizer?.type === 'cognito') return { authorizer, iam, apiKeyRequired, apiKeys, scopes: listOf(record.scopes) };
  }
  if (!authorizer && !iam && !apiKeyRequired) return undefined;
  return { ...(authorizer ? { authorizer } : {}), iam, apiKeyRequired, apiKeys, scopes: [] };
}

/** serverless.yml `httpApi` event's authorizer, with provider.httpApi.authorizers. */
export function serverlessHttpAuth(httpApi: Record<string, unknown>, provider: Record<string, unknown>): HttpAuth | undefined {
  const value = httpApi.authorizer;
  if (value === undefined || value === null) return undefined;
  const record = typeof value === 'string' ? { name: value } : asRecord(value);
  if (text(record.type)?.toLowerCase() === 'aws_iam') return { iam: true, apiKeyRequired: false, apiKeys: [], scopes: [] };
  const name = text(record.name) ?? text(record.id);
  const config = asRecord(asRecord(asRecord(provider.httpApi).authorizers)[name ?? '']);
  let authorizer: HttpAuthorizer | undefined;
  if (text(config.type)?.toLowerCase() === 'request') {
    authorizer = serverlessLambdaAuthorizer({ ...config, name: text(config.functionName) ?? name, type: 'request', authorizerName: name }, 'http');
  } else if (config.issuerUrl !== undefined) {
    const issuer = text(config.issuerUrl);
    if (issuer)
      authorizer = jwtAuthorizer({
        name: name!,
        issuer,
        audience: listOf(config.audience).length ? listOf(config.audience) : text(config.audience) ? [text(config.audience)!] : [],
        identitySource: text(config.identitySource) ?? '$request.header.Authorization',
      });
  }
  if (!authorizer) return undefined;
  return { authorizer, iam: false, apiKeyRequired: false, apiKeys: [], scopes: listOf(record.scopes) };
}

function serverlessLambdaAuthorizer(record: Record<string, unknown>, kind: Kind): HttpAuthorizer | undefined {
  const fn = functionNameOf(record.arn) ?? text(record.name) ?? text(record.functionName);
  if (!fn) return undefined;
  const request = text(record.type)?.toLowerCase() === 'request';
  const identity = text(record.identitySource) ?? listOf(record.identitySource).join(',');
  const sources = (identity || (kind === 'rest' ? 'method.request.header.Authorization' : ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return lambdaAuthorizer({
    name: text(record.authorizerName) ?? fn,
    function: fn,
    payload: request || kind === 'http' ? 'REQUEST' : 'TOKEN',
    payloadVersion: kind === 'http' ? (text(record.payloadVersion) === '1.0' ? '1.0' : '2.0') : '1.0',
    identitySources: sources,
    ttlSeconds: numberOf(record.resultTtlInSeconds) ?? (kind === 'rest' ? 300 : 0),
    validationExpression: text(record.identityValidationExpression),
    simpleResponses: record.enableSimpleResponses === true,
  });
}

/** A Lambda authorizer with AWS's defaults for what is not given. */
export function lambdaAuthorizer(a: {
  name: string;
  function: string;
  payload: 'TOKEN' | 'REQUEST';
  payloadVersion?: '1.0' | '2.0';
  identitySources: string[];
  ttlSeconds: number;
  validationExpression?: string;
  simpleResponses?: boolean;
}): HttpAuthorizer {
  return {
    type: 'lambda',
    name: a.name,
    function: a.function,
    payload: a.payload,
    payloadVersion: a.payloadVersion ?? '1.0',
    identitySources: a.identitySources,
    ttlSeconds: Math.min(3600, Math.max(0, a.ttlSeconds)),
    ...(a.validationExpression ? { validationExpression: a.validationExpression } : {}),
    simpleResponses: a.simpleResponses ?? false,
  };
}

/**
 * A Cognito user-pool authorizer from its pools' ARNs (`arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>`);
 * undefined when none names a pool.
 */
export function cognitoAuthorizer(name: string, arns: unknown[], identitySource: string): HttpAuthorizer | undefined {
  const issuers = arns.flatMap((arn) => {
    const found = /^arn:aws[\w-]*:cognito-idp:([a-z0-9-]+):\d*:userpool\/([\w-]+)$/.exec(text(arn) ?? '');
    return found ? [`https://cognito-idp.${found[1]}.amazonaws.com/${found[2]}`] : [];
  });
  return issuers.length ? { type: 'cognito', name, issuers, identitySource } : undefined;
}

export function jwtAuthorizer(a: { name: string; issuer: string; audience: string[]; identitySource: string }): HttpAuthorizer {
  return { type: 'jwt', ...a };
}

/** The function an authorizer's FunctionArn / arn names: `arn:aws:lambda:...:function:NAME[:qualifier]` or a plain name. */
export function functionNameOf(value: unknown): string | undefined {
  const arn = text(value);
  if (!arn) return undefined;
  const match = /:function:([^:]+)/.exec(arn);
  if (match) return match[1];
  return /^[A-Za-z0-9_\-.]+$/.test(arn) ? arn : undefined;
}

/** One line of the route table: who may call the route. */
export function describeAuth(auth: HttpAuth | undefined): string {
  if (!auth) return '';
  const parts: string[] = [];
  if (auth.authorizer?.type === 'lambda')
    parts.push(
      `${auth.authorizer.name} (Lambda ${auth.authorizer.payload === 'TOKEN' ? 'TOKEN' : `REQUEST ${auth.authorizer.payloadVersion}`} -> ${auth.authorizer.function})`,
    );
  if (auth.authorizer?.type === 'jwt') parts.push(`${auth.authorizer.name} (JWT ${auth.authorizer.issuer})`);
  if (auth.authorizer?.type === 'cognito') parts.push(`${auth.authorizer.name} (Cognito ${auth.authorizer.issuers.join(', ')})`);
  if (auth.iam) parts.push('AWS_IAM');
  if (auth.apiKeyRequired) parts.push('API key');
  if (auth.unchecked) parts.push(`NOT CHECKED: ${auth.unchecked}`);
  if (!parts.length && auth.preflightAuthorizer) parts.push(`none (CORS preflight: ${auth.preflightAuthorizer.name})`);
  return parts.join(' + ');
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

function numberOf(value: unknown): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isInteger(n) ? n : undefined;
}

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

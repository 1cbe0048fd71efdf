// Lambda authorizers, as API Gateway runs them: REST TOKEN and REQUEST authorizers, HTTP API REQUEST authorizers
// with payload 1.0 or 2.0 (simple { isAuthorized, context } answers or an IAM policy). The identity sources are read
// first: one missing (or a token failing the ValidationExpression) is 401 without calling the function. The answer is
// cached per identity-source values for the authorizer's TTL, and a cached policy is evaluated again for each
// request's method ARN, as AWS does (a policy that allows only the first resource it saw denies the next one). The
// function runs through LocalLambda.invoke like any other: same logs, errors, concurrency.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import type { Outcome } from '../../environments/invocation.ts';
import type { HttpAuthorizer } from '../../functions/model.ts';
import { refuse, type AuthOutcome, type AuthRequest } from './outcome.ts';
import { evaluatePolicy } from './iam-policy.ts';

type LambdaAuthorizer = Extract<HttpAuthorizer, { type: 'lambda' }>;
export type InvokeAuthorizer = (fn: string, payload: Buffer) => Promise<Outcome>;

/** Cached answers kept at most: another local process sending endless fresh tokens must not grow the runner without bound. */
const MAX_CACHED = 10_000;

interface Cached {
  expires: number;
  response: Record<string, unknown>;
}

export class LambdaAuthorizers {
  /** Authorizer answers by API, authorizer and identity values; dropped when the functions reload. */
  private readonly cache = new Map<string, Cached>();
  private readonly invoke: InvokeAuthorizer;

  constructor(invoke: InvokeAuthorizer) {
    this.invoke = invoke;
  }

  clear(): void {
    this.cache.clear();
  }

  async authorize(authorizer: LambdaAuthorizer, r: AuthRequest): Promise<AuthOutcome> {
    const kind = r.route.event.kind;
    const values = identityValues(authorizer.identitySources, r);
    if (values.some((v) => v === undefined)) {
      return refuse(
        'unauthorized',
        kind,
        `${authorizer.name} needs ${authorizer.identitySources.join(', ')} and the request lacks one, so API Gateway answers 401 without calling ${authorizer.function}.`,
      );
    }
    if (authorizer.payload === 'TOKEN' && authorizer.validationExpression && !new RegExp(`^(?:${authorizer.validationExpression})$`).test(values[0]!)) {
      return refuse(
        'unauthorized',
        kind,
        `the token does not match ${authorizer.name}'s ValidationExpression, so API Gateway answers 401 without calling ${authorizer.function}.`,
      );
    }
    const key = authorizer.ttlSeconds > 0 && values.length ? [r.route.event.api, authorizer.name, ...(values as string[])].join('\0') : undefined;
    const cached = key === undefined ? undefined : this.cache.get(key);
    let response: Record<string, unknown>;
    let latency = 0;
    if (cached && cached.expires > Date.now()) {
      response = cached.response;
    } else {
      const started = performance.now();
      const event = authorizerEvent(authorizer, r, values as string[]);
      let outcome: Outcome;
      try {
        outcome = await this.invoke(authorizer.function, Buffer.from(JSON.stringify(event)));
      } catch (error) {
        return refuse('authorizerError', kind, `the authorizer ${authorizer.name} could not run ${authorizer.function}: ${(error as Error).message}`);
      }
      latency = Math.round(performance.now() - started);
      if (!outcome.ok) {
        const message = errorMessageOf(outcome.body);
        if (message === 'Unauthorized') return refuse('unauthorized', kind, `${authorizer.function} (authorizer ${authorizer.name}) answered "Unauthorized".`);
        return refuse(
          'authorizerError',
          kind,
          `${authorizer.function} (authorizer ${authorizer.name}) failed with ${outcome.errorType}: ${message ?? ''}; API Gateway answers 500. Throw "Unauthorized" for a 401, or return a Deny policy for a 403.`,
        );
      }
      const parsed = parseJson(outcome.body);
      if (!parsed)
        return refuse(
          'authorizerError',
          kind,
          `${authorizer.function} (authorizer ${authorizer.name}) returned ${outcome.body.toString('utf8').slice(0, 200) || 'nothing'}, not an object; it must return ${expectedAnswer(authorizer)}.`,
        );
      response = parsed;
      if (key !== undefined) {
        if (this.cache.size >= MAX_CACHED) this.cache.delete(this.cache.keys().next().value!); // the oldest
        this.cache.set(key, { expires: Date.now() + authorizer.ttlSeconds * 1000, response });
      }
    }
    return judge(authorizer, r, response, latency);
  }
}

/** What the function answered, applied to this request. */
function judge(authorizer: LambdaAuthorizer, r: AuthRequest, response: Record<string, unknown>, latency: number): AuthOutcome {
  const kind = r.route.event.kind;
  const who = `${authorizer.function} (authorizer ${authorizer.name})`;
  const simple = kind === 'http' && authorizer.payloadVersion === '2.0' && authorizer.simpleResponses;
  const context = response.context;
  if (context !== undefined && context !== null && (typeof context !== 'object' || Array.isArray(context)))
    return refuse('authorizerError', kind, `${who} returned a context that is not an object.`);
  if (kind === 'rest' && context) {
    const bad = Object.entries(context).find(([, v]) => !['string', 'number', 'boolean'].includes(typeof v));
    if (bad)
      return refuse(
        'authorizerError',
        kind,
        `${who} returned context.${bad[0]} as ${Array.isArray(bad[1]) ? 'an array' : typeof bad[1]}; API Gateway passes only strings, numbers and booleans (JSON.stringify it).`,
      );
  }
  const grantContext = (context ?? null) as Record<string, unknown> | null;
  if (simple) {
    if (typeof response.isAuthorized !== 'boolean')
      return refuse(
        'authorizerError',
        kind,
        `${who} must return { isAuthorized: true | false, context } (EnableSimpleResponses), and isAuthorized is ${JSON.stringify(response.isAuthorized)}.`,
      );
    if (!response.isAuthorized) return refuse('notAuthorized', kind, `${who} answered isAuthorized: false.`);
    return { ok: true, grant: { lambda: { context: grantContext, latency } } };
  }
  const verdict = evaluatePolicy(response.policyDocument, r.methodArn);
  if (verdict === undefined) return refuse('authorizerError', kind, `${who} returned no valid policyDocument; it must return ${expectedAnswer(authorizer)}.`);
  if (verdict === 'explicit-deny') return refuse('explicitDeny', kind, `${who}'s policy denies ${r.methodArn}.`);
  if (verdict === 'implicit-deny')
    return refuse(
      'notAuthorized',
      kind,
      `${who}'s policy does not allow ${r.methodArn}${authorizer.ttlSeconds > 0 ? ` (the answer is cached for ${authorizer.ttlSeconds} s per identity: a policy naming only the first method ARN denies the others)` : ''}.`,
    );
  const principalId = typeof response.principalId === 'string' ? response.principalId : undefined;
  const usageIdentifierKey = typeof response.usageIdentifierKey === 'string' ? response.usageIdentifierKey : undefined;
  return {
    ok: true,
    grant: {
      lambda: { context: grantContext, latency, ...(principalId !== undefined ? { principalId } : {}), ...(usageIdentifierKey ? { usageIdentifierKey } : {}) },
    },
  };
}

function expectedAnswer(authorizer: LambdaAuthorizer): string {
  return authorizer.simpleResponses && authorizer.payloadVersion === '2.0'
    ? '{ isAuthorized, context }'
    : '{ principalId, policyDocument: { Version, Statement: [{ Action: "execute-api:Invoke", Effect, Resource }] }, context }';
}

/** The event the authorizer function receives, as AWS documents each kind. */
function authorizerEvent(authorizer: LambdaAuthorizer, r: AuthRequest, values: string[]): unknown {
  if (authorizer.payload === 'TOKEN') return { type: 'TOKEN', authorizationToken: values[0]!, methodArn: r.methodArn };
  if (r.route.event.kind === 'http' && authorizer.payloadVersion === '2.0') {
    const { body: _body, isBase64Encoded: _b, version, ...event } = r.proxyEvent('2.0') as APIGatewayProxyEventV2;
    return {
      version,
      type: 'REQUEST',
      routeArn: r.methodArn,
      identitySource: values,
      ...event,
      pathParameters: event.pathParameters ?? {},
      stageVariables: {},
    };
  }
  const { body: _body, isBase64Encoded: _b, ...event } = r.proxyEvent('1.0') as APIGatewayProxyEvent;
  const request = {
    type: 'REQUEST',
    methodArn: r.methodArn,
    ...event,
    headers: event.headers ?? {},
    queryStringParameters: event.queryStringParameters ?? {},
    multiValueQueryStringParameters: event.multiValueQueryStringParameters ?? {},
    pathParameters: event.pathParameters ?? {},
    stageVariables: event.stageVariables ?? {},
  };
  // HTTP API payload 1.0 adds the identity values (comma-joined) as identitySource and authorizationToken.
  return r.route.event.kind === 'http' ? { ...request, version: '1.0', identitySource: values.join(','), authorizationToken: values.join(',') } : request;
}

/** Each identity source's value in the request; undefined where it is absent or empty. */
export function identityValues(sources: readonly string[], r: AuthRequest): (string | undefined)[] {
  return sources.map((source) => {
    const s = source.replace(/^\$/, '');
    let value: string | undefined;
    if (/^(method\.)?request\.header\./i.test(s)) value = headerValue(r.request.rawHeaders, s.slice(s.indexOf('header.') + 7), r.route.event.kind !== 'rest');
    else if (/^(method\.)?request\.querystring\./i.test(s))
      value = new URLSearchParams(r.request.rawQuery).getAll(s.slice(s.indexOf('querystring.') + 12)).join(',') || undefined;
    else if (s.startsWith('context.')) value = contextValue(r.proxyEvent(r.route.event.payloadVersion).requestContext, s.slice(8));
    // stageVariables: none are set locally.
    return value === '' ? undefined : value;
  });
}

function headerValue(rawHeaders: readonly string[], name: string, joined: boolean): string | undefined {
  const lower = name.toLowerCase();
  const values: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lower) values.push(rawHeaders[i + 1]!);
  if (!values.length) return undefined;
  return joined ? values.join(',') : values.at(-1);
}

function contextValue(context: unknown, path: string): string | undefined {
  let at: unknown = context;
  for (const part of path.split('.')) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
  return typeof at === 'string' || typeof at === 'number' ? String(at) : undefined;
}

function parseJson(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

function errorMessageOf(body: Buffer): string | undefined {
  const parsed = parseJson(body);
  return typeof parsed?.errorMessage === 'string' ? parsed.errorMessage : undefined;
}

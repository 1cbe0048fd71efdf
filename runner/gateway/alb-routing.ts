// How an Application Load Balancer listener treats a request for a Lambda target, as AWS documents it
// (docs.aws.amazon.com/elasticloadbalancing/latest/application/lambda-functions.html and load-balancer-listeners.html):
// pure policy, a table in test/unit/gateway-alb.test.ts; runner/gateway/alb.ts serves it.
//   Rules     lowest Priority first; a rule matches when every condition does, a condition when any of its values
//             does. path-pattern is case-sensitive, host-header, http-header and query-string values are not;
//             `*` is any run of characters and `?` one; http-request-method is exact; source-ip takes CIDRs.
//             The listener's default action (priority 50001 here) comes after every rule.
//   Event     requestContext.elb.targetGroupArn, httpMethod, path as sent, query values URL-encoded as sent, header
//             names lower case; without multi-value headers the last value of a repeated header or query name wins,
//             with them (the target group's lambda.multi_value_headers.enabled) multiValueHeaders and
//             multiValueQueryStringParameters carry all, and the single-value fields are absent. body is "" when
//             there is none; isBase64Encoded is always present (binary bodies are base64).
//   Answer    { statusCode, statusDescription, headers | multiValueHeaders (per the same setting), body,
//             isBase64Encoded }. Anything else, and a function error, is ALB's own 502 Bad Gateway page; a timeout
//             504; no matching rule and no default action in the template, 404.
//   Weights   a forward to several target groups shares the rule's requests by their Weight (0: none); ALB draws at
//             random, here it is smooth weighted round robin (pickByWeight), so any run of sum-of-weights requests
//             splits exactly by weight and tests can count. Stickiness is not emulated (start says so).
//   Login     authenticate-oidc / -cognito can't log in locally: the rule is served without them; with a local
//             identity (OPEN_RUNTIME_ALB_IDENTITY) the function gets ALB's x-amzn-oidc-* headers (oidcHeaders).
//   Actions   a rule or default action without a target: fixed-response (StatusCode, ContentType, MessageBody) or
//             redirect (HTTP_301 / HTTP_302; Location built from Protocol://Host:Port/Path?Query, each part
//             defaulting to its placeholder, #{protocol} #{host} #{port} #{path} #{query} being the request's own:
//             #{path} without its leading "/", #{port} the listener's, #{query} as sent; no "?" when the query is
//             empty; the port always written, as ALB does).
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { BlockList, isIPv6 } from 'node:net';
import type { ALBEvent } from 'aws-lambda';
import type { Outcome } from '../environments/invocation.ts';
import { LOCAL_ACCOUNT, type AlbAction, type AlbActionRule, type AlbAuthenticate, type AlbCondition, type AlbRule } from '../functions/model.ts';
import { isTextType } from './events.ts';
import { errorMessageOf, pushHeader, validStatus, type GatewayAnswer } from './responses.ts';

/** What a listener's rule leads to: a function (through its target group), or an answer the listener gives itself. */
export type AlbTarget = { function: string; rule: AlbRule } | { function?: undefined; rule: AlbActionRule };

export interface AlbRequest {
  method: string;
  /** The path as sent, without the query. */
  path: string;
  /** After the "?", '' when none. */
  rawQuery: string;
  /** Node's rawHeaders (name, value, ...), with the edge headers ALB adds. */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
}

export interface AlbAnswer extends GatewayAnswer {
  /** The reason phrase (statusDescription "200 OK" -> "OK"). */
  statusText?: string;
}

/** The targets of one listener in the order ALB evaluates its rules. */
export function listenerOrder<T extends { rule: { priority: number } }>(targets: T[]): T[] {
  return [...targets].sort((a, b) => a.rule.priority - b.rule.priority);
}

/** The first target whose rule matches the request, or undefined. `targets` in listenerOrder. */
export function matchAlbRule<T extends { rule: { conditions: AlbCondition[] } }>(targets: readonly T[], req: AlbRequest): T | undefined {
  return targets.find((t) => t.rule.conditions.every((c) => conditionHolds(c, req)));
}

/**
 * Which of a weighted forward's target groups takes the next request: smooth weighted round robin (nginx's). `state`
 * holds each group's running score between calls (start with zeros); a group of Weight 0 is never chosen.
 */
export function pickByWeight(weights: readonly number[], state: number[]): number {
  let total = 0;
  let best = -1;
  for (let i = 0; i < weights.length; i++) {
    const weight = weights[i]!;
    if (weight <= 0) continue;
    state[i] = (state[i] ?? 0) + weight;
    total += weight;
    if (best < 0 || state[i]! > state[best]!) best = i;
  }
  if (best >= 0) state[best]! -= total;
  return best;
}

/** The claims a user gives as the locally logged-in identity (OPEN_RUNTIME_ALB_IDENTITY): at least a string `sub`. */
export type LocalIdentity = { sub: string; accessToken?: string } & Record<string, unknown>;

/** OPEN_RUNTIME_ALB_IDENTITY's JSON as a LocalIdentity, or the sentence saying what is wrong with it. */
export function parseLocalIdentity(text: string): LocalIdentity | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return `OPEN_RUNTIME_ALB_IDENTITY is not JSON; give the claims of the user to act as, e.g. '{"sub":"ada","email":"ada@example.com"}'.`;
  }
  if (!value || typeof value !== 'object' || Array.isArray(value) || typeof (value as Record<string, unknown>).sub !== 'string')
    return `OPEN_RUNTIME_ALB_IDENTITY must be a JSON object with a string "sub", e.g. '{"sub":"ada","email":"ada@example.com"}'.`;
  return value as LocalIdentity;
}

let signingKey: KeyObject | undefined;

/**
 * The headers ALB adds after authenticate-oidc / -cognito, for a local identity: x-amzn-oidc-identity (the sub),
 * x-amzn-oidc-data (a JWT of the claims, ES256 with ALB's header fields signer / iss / client / exp; signed with a key
 * made for this run, since ALB's own key is not here), x-amzn-oidc-accesstoken (the identity's accessToken, if any).
 */
export function oidcHeaders(identity: LocalIdentity, authenticate: AlbAuthenticate, listener: string, now = Date.now()): [string, string][] {
  signingKey ??= generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  const { accessToken, ...claims } = identity;
  const exp = Math.floor(now / 1000) + 120;
  const header = {
    typ: 'JWT',
    kid: 'open-runtime-local',
    alg: 'ES256',
    iss: authenticate.issuer ?? 'https://open-runtime.local',
    client: authenticate.clientId ?? 'local',
    signer: `arn:aws:elasticloadbalancing:${process.env.AWS_REGION ?? 'us-east-1'}:${LOCAL_ACCOUNT}:loadbalancer/app/${listener}/local`,
    exp,
  };
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
  const body = `${part(header)}.${part({ ...claims, exp, iss: header.iss })}`;
  const signature = sign('sha256', Buffer.from(body), { key: signingKey, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return [
    ...(typeof accessToken === 'string' ? ([['x-amzn-oidc-accesstoken', accessToken]] as [string, string][]) : []),
    ['x-amzn-oidc-identity', identity.sub],
    ['x-amzn-oidc-data', `${body}.${signature}`],
  ];
}

function conditionHolds(condition: AlbCondition, req: AlbRequest): boolean {
  switch (condition.field) {
    case 'path-pattern':
      return condition.values.some((v) => wildcard(v, false).test(req.path));
    case 'http-request-method':
      return condition.values.includes(req.method);
    case 'host-header': {
      const host = headerValues(req.rawHeaders, 'host')[0] ?? '';
      return condition.values.some((v) => wildcard(v, true).test(host) || wildcard(v, true).test(host.replace(/:\d+$/, '')));
    }
    case 'http-header': {
      const values = headerValues(req.rawHeaders, (condition.headerName ?? '').toLowerCase());
      return condition.values.some((v) => values.some((h) => wildcard(v, true).test(h)));
    }
    case 'query-string': {
      const pairs = decodedQuery(req.rawQuery);
      return (condition.pairs ?? []).some((p) =>
        pairs.some(([k, v]) => (p.key === undefined || wildcard(p.key, true).test(k)) && wildcard(p.value, true).test(v)),
      );
    }
    case 'source-ip':
      return condition.values.some((cidr) => inCidr(req.sourceIp, cidr));
  }
}

/** An ALB pattern (`*` any run, `?` one character) as an anchored regular expression. */
function wildcard(pattern: string, caseInsensitive: boolean): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, caseInsensitive ? 'is' : 's');
}

function inCidr(ip: string, cidr: string): boolean {
  const [address, bits] = cidr.split('/');
  const type = isIPv6(address ?? '') ? 'ipv6' : 'ipv4';
  try {
    const list = new BlockList();
    list.addSubnet(address!, bits === undefined ? (type === 'ipv6' ? 128 : 32) : Number(bits), type);
    return list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
  } catch {
    return false;
  }
}

function headerValues(rawHeaders: readonly string[], lowerName: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lowerName) out.push(rawHeaders[i + 1]!);
  return out;
}

/** Query pairs exactly as sent (ALB passes them URL-encoded). */
function rawQueryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((part) => {
      const at = part.indexOf('=');
      return at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
    });
}

function decodedQuery(rawQuery: string): [string, string][] {
  return [...new URLSearchParams(rawQuery)];
}

/** The event ALB sends a Lambda target. */
export function albEvent(req: AlbRequest, rule: AlbRule): ALBEvent {
  const contentType = headerValues(req.rawHeaders, 'content-type')[0];
  const binary = req.body.length > 0 && !isTextType(contentType);
  const event: ALBEvent = {
    requestContext: { elb: { targetGroupArn: rule.targetGroupArn } },
    httpMethod: req.method,
    path: req.path,
    body: req.body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
  if (rule.multiValueHeaders) {
    const multiValueHeaders: Record<string, string[]> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) (multiValueHeaders[req.rawHeaders[i]!.toLowerCase()] ??= []).push(req.rawHeaders[i + 1]!);
    const multiValueQueryStringParameters: Record<string, string[]> = {};
    for (const [k, v] of rawQueryPairs(req.rawQuery)) (multiValueQueryStringParameters[k] ??= []).push(v);
    event.multiValueHeaders = multiValueHeaders;
    event.multiValueQueryStringParameters = multiValueQueryStringParameters;
  } else {
    const headers: Record<string, string> = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) headers[req.rawHeaders[i]!.toLowerCase()] = req.rawHeaders[i + 1]!;
    const queryStringParameters: Record<string, string> = {};
    for (const [k, v] of rawQueryPairs(req.rawQuery)) queryStringParameters[k] = v;
    event.headers = headers;
    event.queryStringParameters = queryStringParameters;
  }
  return event;
}

const REASONS: Record<number, string> = {
  301: 'Moved Permanently',
  302: 'Found',
  404: 'Not Found',
  413: 'Request Entity Too Large',
  403: 'Forbidden',
  502: 'Bad Gateway',
  503: 'Service Temporarily Unavailable',
  504: 'Gateway Timeout',
};

/** ALB's own HTML page for a status (its error pages and its redirects). */
function albPage(status: keyof typeof REASONS): Buffer {
  const title = `${status} ${REASONS[status]}`;
  return Buffer.from(`<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`);
}

/** ALB's own error page (status, an HTML body, `Server: awselb/2.0`), with the reason for the log. */
export function albError(status: 403 | 404 | 413 | 502 | 503 | 504, problem: string): AlbAnswer {
  return {
    status,
    headers: [
      ['server', 'awselb/2.0'],
      ['content-type', 'text/html'],
    ],
    body: albPage(status),
    problem,
  };
}

/** The answer when no rule matches and the template declares no default action for the listener. */
export function noRuleAnswer(): AlbAnswer {
  return {
    status: 404,
    headers: [
      ['server', 'awselb/2.0'],
      ['content-type', 'text/plain; charset=utf-8'],
    ],
    body: Buffer.from("Not Found: no listener rule matches this request, and the listener's default action is not in the project.\n"),
    problem: 'no rule matches',
  };
}

/** The listener's own answer for a redirect or fixed-response action. `listenerPort` is the port the request came in on. */
export function actionAnswer(action: AlbAction, req: AlbRequest, listenerPort: number): AlbAnswer {
  if (action.type === 'fixed-response') {
    const headers: [string, string][] = [['server', 'awselb/2.0']];
    if (action.contentType) headers.push(['content-type', action.contentType]);
    return { status: action.status, headers, body: Buffer.from(action.body) };
  }
  const location = redirectLocation(action, req, listenerPort);
  return {
    status: action.statusCode,
    headers: [
      ['server', 'awselb/2.0'],
      ['content-type', 'text/html'],
      ['location', location],
    ],
    body: albPage(action.statusCode),
    problem: `redirected to ${location}`,
  };
}

/** The Location of a redirect action: each part with the request's own values in place of the placeholders. */
export function redirectLocation(action: Extract<AlbAction, { type: 'redirect' }>, req: AlbRequest, listenerPort: number): string {
  const host = (headerValues(req.rawHeaders, 'host')[0] ?? '127.0.0.1').replace(/:\d+$/, '');
  const values: Record<string, string> = {
    protocol: 'http', // the local listener speaks HTTP
    host,
    port: String(listenerPort),
    path: req.path.replace(/^\//, ''),
    query: req.rawQuery,
  };
  const fill = (part: string) => part.replace(/#\{(protocol|host|port|path|query)\}/g, (_, key: string) => values[key]!);
  const query = fill(action.query);
  return `${fill(action.protocol).toLowerCase()}://${fill(action.host)}:${fill(action.port)}${fill(action.path)}${query ? `?${query}` : ''}`;
}

/** The HTTP answer to a settled invocation of an ALB target. */
export function albAnswer(outcome: Outcome, rule: AlbRule, functionName: string): AlbAnswer {
  if (!outcome.ok) {
    if (outcome.errorType === 'Sandbox.Timedout')
      return albError(504, `${functionName} timed out (${outcome.errorType}); raise its Timeout if the work needs longer.`);
    return albError(502, `${functionName} failed with ${outcome.errorType}: ${errorMessageOf(outcome.body)} (its log has the details).`);
  }
  const malformed = (why: string) => albError(502, `${functionName} returned a response the load balancer can't send: ${why}`);
  let value: unknown;
  try {
    value = JSON.parse(outcome.body.toString('utf8'));
  } catch {
    return malformed('it is not JSON; answer { "statusCode": 200, "body": "..." }.');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return malformed('it is not an object with a statusCode.');
  const record = value as Record<string, unknown>;
  if (!validStatus(record.statusCode)) return malformed(`statusCode ${JSON.stringify(record.statusCode)} is not an HTTP status (100 to 599).`);
  if (record.body !== undefined && record.body !== null && typeof record.body !== 'string')
    return malformed('body must be a string (JSON.stringify an object first).');
  const headers: [string, string][] = [];
  try {
    if (rule.multiValueHeaders) {
      // With multi-value headers on, ALB reads only multiValueHeaders.
      for (const [name, list] of Object.entries(asObject(record.multiValueHeaders)))
        for (const v of Array.isArray(list) ? list : [list]) pushHeader(headers, name, v);
    } else {
      for (const [name, v] of Object.entries(asObject(record.headers))) pushHeader(headers, name, v);
    }
  } catch (error) {
    return malformed(`${(error as Error).message}.`);
  }
  const description = typeof record.statusDescription === 'string' ? record.statusDescription.replace(/^\d{3}\s*/, '') : undefined;
  const text = typeof record.body === 'string' ? record.body : '';
  return {
    status: Number(record.statusCode),
    headers,
    body: Buffer.from(text, record.isBase64Encoded === true ? 'base64' : 'utf8'),
    ...(description ? { statusText: description } : {}),
  };
}

function asObject(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

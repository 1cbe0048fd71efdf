// The events the gateway hands a function: API Gateway's payload 1.0 (REST APIs, and HTTP APIs that ask for it) and
// 2.0 (HTTP APIs, Function URLs), filled field by field as AWS fills them (@types/aws-lambda's APIGatewayProxyEvent
// and APIGatewayProxyEventV2; the integration test parses every event with @aws-lambda-powertools/parser's schemas).
// Pure: a request's parts in, an event out.
//   1.0  headers/queryStringParameters keep the LAST value of a repeated name, multiValue* keep all; original header
//        case; path and requestContext.path (with the stage) as sent; null for what is absent.
//   2.0  header names lower case, repeated values joined with ","; query values joined with ","; the Cookie header
//        moves to `cookies`; absent fields are left out.
//   Bodies: REST passes text, or base64 when the Content-Type is one of the API's BinaryMediaTypes; HTTP APIs and
//   URLs base64-encode every body whose Content-Type is not text.
import type { APIGatewayProxyEvent, APIGatewayProxyEventV2 } from 'aws-lambda';
import { LOCAL_ACCOUNT } from '../functions/model.ts';
import { traceRoot } from '../environments/invocation.ts';
import type { RouteMatch } from './routes.ts';

export interface GatewayRequest {
  method: string;
  /** After the "?", '' when none. */
  rawQuery: string;
  /** Node's rawHeaders: name, value, name, value ... in arrival order and case. */
  rawHeaders: readonly string[];
  body: Buffer;
  sourceIp: string;
  /** The local API id and domain (what the Host header said). */
  domainName: string;
  requestId: string;
  timeEpoch: number;
}

/** Local API ids: 10 lower-case letters and digits like AWS's, stable per API name so logs stay comparable. */
export function localApiId(api: string): string {
  let id = apiIds.get(api);
  if (id === undefined) {
    id = apiIdOf(api);
    // Names come from the project (APIs, resources, API keys): few, but bounded all the same.
    if (apiIds.size >= 1000) apiIds.clear();
    apiIds.set(api, id);
  }
  return id;
}
const apiIds = new Map<string, string>();

function apiIdOf(api: string): string {
  let hash = 2166136261;
  for (let i = 0; i < api.length; i++) hash = Math.imul(hash ^ api.charCodeAt(i), 16777619) >>> 0;
  let id = '';
  for (let i = 0; i < 10; i++) {
    id += '0123456789abcdefghijklmnopqrstuvwxyz'[hash % 36];
    hash = Math.imul(hash ^ (i + 1), 2654435761) >>> 0;
  }
  return id;
}

export function restEvent(req: GatewayRequest, match: RouteMatch): APIGatewayProxyEvent {
  const { route } = match;
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  const query = splitQuery(req.rawQuery);
  let queryStringParameters: Record<string, string> | null = null;
  let multiValueQueryStringParameters: Record<string, string[]> | null = null;
  for (const [name, value] of query) {
    (queryStringParameters ??= {})[name] = value;
    ((multiValueQueryStringParameters ??= {})[name] ??= []).push(value);
  }
  const binary =
    route.event.kind === 'rest' ? matchesMediaType(contentTypeOf(req.rawHeaders), route.event.binaryMediaTypes) : !isTextType(contentTypeOf(req.rawHeaders));
  const resource = route.isDefault ? '$default' : route.servedPath;
  const event: APIGatewayProxyEvent = {
    resource,
    path: match.path,
    httpMethod: req.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: match.pathParameters,
    stageVariables: null,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: localApiId(route.event.api),
      domainName: req.domainName,
      domainPrefix: req.domainName.split('.')[0]!.split(':')[0]!,
      extendedRequestId: req.requestId,
      httpMethod: req.method,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: req.sourceIp,
        user: null,
        userAgent: headerOf(req.rawHeaders, 'user-agent') ?? null,
        userArn: null,
      },
      path: route.event.kind === 'rest' ? `/${route.event.stage}${match.path}` : match.path,
      protocol: 'HTTP/1.1',
      requestId: req.requestId,
      requestTime: clfTime(req.timeEpoch),
      requestTimeEpoch: req.timeEpoch,
      resourceId: localApiId(`${route.event.api} ${resource}`).slice(0, 6),
      resourcePath: resource,
      stage: route.event.stage,
      authorizer: undefined, // no authorizer yet; undefined leaves the key out of the JSON
    },
    body: req.body.length ? req.body.toString(binary ? 'base64' : 'utf8') : null,
    isBase64Encoded: binary && req.body.length > 0,
  };
  if (route.event.kind === 'http') (event as APIGatewayProxyEvent & { version: string }).version = '1.0';
  return event;
}

export function httpEvent(req: GatewayRequest, match: RouteMatch): APIGatewayProxyEventV2 {
  const { route } = match;
  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!.toLowerCase();
    const value = req.rawHeaders[i + 1]!;
    if (name === 'cookie') {
      for (const cookie of value.split(';')) {
        const trimmed = cookie.trim();
        if (trimmed) (cookies ??= []).push(trimmed);
      }
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  let queryStringParameters: Record<string, string> | undefined;
  for (const [name, value] of splitQuery(req.rawQuery)) {
    queryStringParameters ??= {};
    queryStringParameters[name] = queryStringParameters[name] === undefined ? value : `${queryStringParameters[name]},${value}`;
  }
  const routeKey = route.event.kind === 'url' || route.isDefault ? '$default' : `${route.event.method} ${route.event.path}`;
  const binary = !isTextType(headers['content-type']);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey,
    rawPath: match.path,
    rawQueryString: req.rawQuery,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: route.event.kind === 'url' ? 'anonymous' : LOCAL_ACCOUNT,
      apiId: localApiId(route.event.api),
      domainName: req.domainName,
      domainPrefix: req.domainName.split('.')[0]!.split(':')[0]!,
      http: { method: req.method, path: match.path, protocol: 'HTTP/1.1', sourceIp: req.sourceIp, userAgent: headers['user-agent'] ?? '' },
      requestId: req.requestId,
      routeKey,
      stage: route.event.stage,
      time: clfTime(req.timeEpoch),
      timeEpoch: req.timeEpoch,
    },
    ...(match.pathParameters && route.event.kind !== 'url' ? { pathParameters: match.pathParameters } : {}),
    ...(req.body.length ? { body: req.body.toString(binary ? 'base64' : 'utf8') } : {}),
    isBase64Encoded: binary && req.body.length > 0,
  };
  return event;
}

/**
 * The request's headers with those API Gateway's edge adds: X-Forwarded-For (the caller's address appended to any
 * the client sent), X-Forwarded-Port, X-Forwarded-Proto, and an X-Amzn-Trace-Id when the client sent none.
 * Frameworks behind Lambda (serverless-http, Mangum ...) read them to rebuild the public URL.
 */
export function withEdgeHeaders(rawHeaders: readonly string[], sourceIp: string, port: number): string[] {
  const out: string[] = [];
  let forwardedFor = false;
  let trace = false;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (lower === 'x-forwarded-port' || lower === 'x-forwarded-proto') continue;
    if (lower === 'x-forwarded-for' && !forwardedFor) {
      forwardedFor = true;
      out.push(name, `${rawHeaders[i + 1]}, ${sourceIp}`);
      continue;
    }
    if (lower === 'x-amzn-trace-id') trace = true;
    out.push(name, rawHeaders[i + 1]!);
  }
  if (!forwardedFor) out.push('X-Forwarded-For', sourceIp);
  out.push('X-Forwarded-Port', String(port), 'X-Forwarded-Proto', 'http');
  if (!trace) out.push('X-Amzn-Trace-Id', traceRoot());
  return out;
}

/** Query pairs in order, decoded as API Gateway decodes them ("+" is a space). */
function splitQuery(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  const pairs: [string, string][] = [];
  for (const [name, value] of new URLSearchParams(rawQuery)) pairs.push([name, value]);
  return pairs;
}

/** The first value of a header in Node's rawHeaders, by its lower-case name. */
export function headerOf(rawHeaders: readonly string[], lowerName: string): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lowerName) return rawHeaders[i + 1];
  return undefined;
}

function contentTypeOf(rawHeaders: readonly string[]): string | undefined {
  return headerOf(rawHeaders, 'content-type');
}

/**
 * Content types HTTP APIs and Function URLs pass as text; every other body (and one without a Content-Type) is
 * base64-encoded, as AWS does.
 */
export function isTextType(contentType: string | undefined): boolean {
  if (!contentType) return false;
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    type.endsWith('/json') ||
    type.endsWith('+json') ||
    type.endsWith('/xml') ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/yaml' ||
    type === 'application/graphql'
  );
}

/** Whether a Content-Type is one of a REST API's BinaryMediaTypes (`image/png`, `image/*`, `*\/*`). */
export function matchesMediaType(contentType: string | undefined, mediaTypes: readonly string[]): boolean {
  if (!contentType || !mediaTypes.length) return false;
  const [type, subtype] = contentType.split(';')[0]!.trim().toLowerCase().split('/');
  return mediaTypes.some((m) => {
    const [t, s] = m.toLowerCase().split('/');
    return (t === '*' || t === type) && (s === '*' || s === subtype);
  });
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, the request time as API Gateway writes it. */
export function clfTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== clfCache.second) clfCache = { second, text: formatClfTime(epochMs) };
  return clfCache.text;
}
/** The last second formatted: requests in the same second share it. */
let clfCache = { second: -1, text: '' };

function formatClfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

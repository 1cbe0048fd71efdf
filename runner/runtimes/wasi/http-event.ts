// The bridge between Lambda's HTTP events and wasi:http. An API Gateway REST (v1), HTTP API (v2), Function URL
// or ALB event becomes the request a wasi:http component handles; its response becomes the result API Gateway
// expects from a proxy integration, in the same payload version as the event.

export type PayloadVersion = 'v1' | 'v2';

export interface HttpRequest {
  method: string;
  pathWithQuery: string;
  scheme: 'http' | 'https';
  authority: string;
  headers: Array<[string, string]>;
  body: Buffer;
  version: PayloadVersion;
}

export interface HttpResponse {
  status: number;
  headers: Array<[string, string]>;
  body: Buffer;
}

export class NotAnHttpEventError extends Error {}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** Reads an HTTP event. Throws NotAnHttpEventError (a sentence for the caller) for any other event. */
export function requestFromEvent(event: unknown): HttpRequest {
  const e = record(event);
  const context = record(e.requestContext);
  const http = record(context.http);
  if (e.version === '2.0' && typeof http.method === 'string') return fromV2(e, context, http);
  if (typeof e.httpMethod === 'string') return fromV1(e, context);
  throw new NotAnHttpEventError(
    'The function is a wasi:http component, which takes HTTP events: API Gateway REST (v1, with "httpMethod"), HTTP API or Function URL (version "2.0", with "requestContext.http"), or ALB. This event is none of them; invoke it with an HTTP event (e.g. from the event picker\'s API Gateway templates).',
  );
}

function body(e: Json): Buffer {
  const raw = text(e.body);
  if (raw === undefined) return Buffer.alloc(0);
  return e.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw, 'utf8');
}

function fromV2(e: Json, context: Json, http: Json): HttpRequest {
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(record(e.headers))) {
    const v = text(value);
    if (v !== undefined) headers.push([name.toLowerCase(), v]);
  }
  // HTTP API moves cookies out of the headers into their own list.
  if (Array.isArray(e.cookies) && e.cookies.length && !headers.some(([n]) => n === 'cookie')) {
    headers.push(['cookie', e.cookies.map(String).join('; ')]);
  }
  const path = text(e.rawPath) ?? text(http.path) ?? '/';
  const query = text(e.rawQueryString) ?? '';
  return {
    method: String(http.method).toUpperCase(),
    pathWithQuery: query ? `${path}?${query}` : path,
    scheme: schemeOf(headers),
    authority: text(context.domainName) ?? headerValue(headers, 'host') ?? 'localhost',
    headers,
    body: body(e),
    version: 'v2',
  };
}

function fromV1(e: Json, context: Json): HttpRequest {
  const headers: Array<[string, string]> = [];
  const multi = record(e.multiValueHeaders);
  if (Object.keys(multi).length) {
    for (const [name, values] of Object.entries(multi)) {
      for (const v of Array.isArray(values) ? values : [values]) {
        const t = text(v);
        if (t !== undefined) headers.push([name.toLowerCase(), t]);
      }
    }
  } else {
    for (const [name, value] of Object.entries(record(e.headers))) {
      const v = text(value);
      if (v !== undefined) headers.push([name.toLowerCase(), v]);
    }
  }
  const params = new URLSearchParams();
  const multiQuery = record(e.multiValueQueryStringParameters);
  if (Object.keys(multiQuery).length) {
    for (const [name, values] of Object.entries(multiQuery)) {
      for (const v of Array.isArray(values) ? values : [values]) params.append(name, text(v) ?? '');
    }
  } else {
    for (const [name, value] of Object.entries(record(e.queryStringParameters))) params.append(name, text(value) ?? '');
  }
  // ALB passes query names and values URL-encoded, as the client sent them: they go into the URL as they are,
  // where re-encoding them would turn "J%C3%BCrgen" into "J%25C3%25BCrgen".
  const query = 'elb' in context ? [...params].map(([name, value]) => `${name}=${value}`).join('&') : params.toString();
  const path = text(e.path) ?? '/';
  return {
    method: String(e.httpMethod).toUpperCase(),
    pathWithQuery: query ? `${path}?${query}` : path,
    scheme: schemeOf(headers),
    authority: headerValue(headers, 'host') ?? text(context.domainName) ?? 'localhost',
    headers,
    body: body(e),
    version: 'v1',
  };
}

function headerValue(headers: Array<[string, string]>, name: string): string | undefined {
  return headers.find(([n]) => n === name)?.[1];
}

function schemeOf(headers: Array<[string, string]>): 'http' | 'https' {
  return headerValue(headers, 'x-forwarded-proto') === 'http' ? 'http' : 'https';
}

/** The proxy-integration result for a wasi:http response, in the event's payload version. */
export function resultFromResponse(response: HttpResponse, version: PayloadVersion): Json {
  const asText = isText(response);
  const bodyText = asText ? response.body.toString('utf8') : response.body.toString('base64');
  if (version === 'v2') {
    const headers: Record<string, string> = {};
    const cookies: string[] = [];
    for (const [rawName, value] of response.headers) {
      const name = rawName.toLowerCase();
      if (name === 'set-cookie') cookies.push(value);
      else headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    return { statusCode: response.status, headers, ...(cookies.length ? { cookies } : {}), body: bodyText, isBase64Encoded: !asText };
  }
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [rawName, value] of response.headers) {
    const name = rawName.toLowerCase();
    headers[name] = value;
    (multiValueHeaders[name] ??= []).push(value);
  }
  return { statusCode: response.status, headers, multiValueHeaders, body: bodyText, isBase64Encoded: !asText };
}

/** Text bodies go out as text, everything else (images, gzip) as base64, as API Gateway expects. */
function isText(response: HttpResponse): boolean {
  if (response.body.length === 0) return true;
  const header = (name: string) => response.headers.find(([n]) => n.toLowerCase() === name)?.[1]?.toLowerCase();
  const encoding = header('content-encoding');
  if (encoding && encoding !== 'identity') return false;
  const type = header('content-type');
  if (type) return /^text\/|json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql|yaml|csv/.test(type);
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(response.body);
    return true;
  } catch {
    return false;
  }
}

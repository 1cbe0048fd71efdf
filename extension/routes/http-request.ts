// What "Send request" does without the editor: the path parameters a route asks for and the path they make, the
// header text the user types, the request sent over real HTTP to the runner's gateway, and what came back. vscode-free,
// so the rules are unit-tested (test/unit/extension-http-request.test.ts) and the runner client can use them too.
import type { HttpRequestSpec } from '../../runner/events/saved-requests.ts';
import type { GatewayRoute } from '../../runner/protocol.ts';
import type { RequestView, ResponseView } from '../result-model.ts';
import { describeHttpBody } from '../result-model.ts';

/** Methods offered for a route: its own first (an `ANY` route's first is GET); others too, to see the API's answer to them. */
export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;

export function methodChoices(routeMethod: string): string[] {
  const own = routeMethod === 'ANY' ? 'GET' : routeMethod;
  return [own, ...HTTP_METHODS.filter((m) => m !== own)];
}

/** Methods whose requests carry no body (the prompt for one is skipped). */
export function takesBody(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}

export interface PathParameter {
  name: string;
  /** `{proxy+}`: the value may hold `/`. */
  greedy: boolean;
}

/** The `{parameters}` of a declared path, in order; none for `$default` and Function URLs' roots. */
export function pathParameters(pattern: string): PathParameter[] {
  return [...pattern.matchAll(/\{([^{}]+?)(\+?)\}/g)].map((m) => ({ name: m[1]!, greedy: m[2] === '+' }));
}

/**
 * The path with each `{parameter}` replaced by its value, percent-encoded as a client would send it (a greedy
 * parameter keeps its `/`). A parameter without a value is an error naming it.
 */
export function fillPath(pattern: string, values: Readonly<Record<string, string>>): string {
  if (pattern === '$default') return '/';
  return pattern.replace(/\{([^{}]+?)(\+?)\}/g, (_, name: string, greedy: string) => {
    const value = values[name];
    if (value === undefined || value === '') throw new Error(`The path ${pattern} needs a value for {${name}${greedy}}.`);
    return greedy ? value.split('/').map(encodeURIComponent).join('/') : encodeURIComponent(value);
  });
}

/** The parameter values a filled path gives back for a pattern (to offer them again), or {} when it does not match. */
export function parametersOf(pattern: string, filledPath: string): Record<string, string> {
  const names = pathParameters(pattern);
  if (!names.length) return {};
  const source = pattern
    .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
    .replace(/\\?\{([^{}]+?)(\\?\+)?\\?\}/g, (_, __, greedy?: string) => (greedy ? '(.+)' : '([^/]+)'));
  const match = new RegExp(`^${source}/?$`).exec(filledPath.split('?')[0]!);
  if (!match) return {};
  return Object.fromEntries(names.map((p, i) => [p.name, safeDecode(match[i + 1]!)]));
}

/**
 * Headers as the user types them in one line: a JSON object (`{"accept": "application/json"}`), or `Name: value`
 * pairs separated by `;;`. Empty is none. Throws a sentence saying what to fix.
 */
export function parseHeaderText(text: string): Record<string, string> {
  const trimmed = text.trim();
  if (!trimmed) return {};
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new Error(`The headers are not a JSON object (${(error as Error).message}); write {"name": "value"} or name: value;; name2: value2.`);
    }
    if (!value || typeof value !== 'object' || Array.isArray(value))
      throw new Error('The headers must be a JSON object of names to values: {"accept": "application/json"}.');
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [checkHeaderName(k), String(v)]));
  }
  const headers: Record<string, string> = {};
  for (const pair of trimmed
    .split(';;')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const colon = pair.indexOf(':');
    if (colon <= 0) throw new Error(`"${pair}" is not a header: write name: value (several separated by ;;), or a JSON object.`);
    headers[checkHeaderName(pair.slice(0, colon).trim())] = pair.slice(colon + 1).trim();
  }
  return headers;
}

/** The one-line form of headers, as parseHeaderText reads it. */
export function headerText(headers: Readonly<Record<string, string>>): string {
  return Object.entries(headers)
    .map(([k, v]) => `${k}: ${v}`)
    .join(';; ');
}

function checkHeaderName(name: string): string {
  if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) throw new Error(`"${name}" is not a valid header name (letters, digits and - only, no spaces).`);
  return name;
}

/** The local URL a request goes to: always the gateway on 127.0.0.1, whatever the path says. */
export function requestUrl(apiPort: number, path: string): string {
  if (!path.startsWith('/') || path.startsWith('//')) throw new Error(`The path "${path}" must start with a single "/" (it is sent to the local gateway).`);
  return `http://127.0.0.1:${apiPort}${path}`;
}

/** What came back, as the result view and the history keep it. */
export interface HttpExchange {
  status: number;
  headers: Array<[string, string]>;
  /** UTF-8 text, or base64 when the body is not text (`bodyBase64`). */
  body: string;
  bodyBase64?: boolean;
  /** From the first byte sent to the last byte received, on the client. */
  durationMs: number;
}

type Undici = typeof import('undici');

/** Sends the request to the gateway over real HTTP (undici) and reads the whole answer. */
export async function sendHttpRequest(undici: Undici, apiPort: number, request: HttpRequestSpec, signal?: AbortSignal): Promise<HttpExchange> {
  const url = requestUrl(apiPort, request.path);
  const started = performance.now();
  const res = await undici.request(url, {
    method: request.method as 'GET',
    headers: request.headers,
    body: takesBody(request.method) && request.body !== '' ? request.body : undefined,
    signal,
    headersTimeout: 0,
    bodyTimeout: 0,
  });
  const bytes = Buffer.from(await res.body.arrayBuffer());
  const durationMs = performance.now() - started;
  const headers: Array<[string, string]> = [];
  for (const [name, value] of Object.entries(res.headers)) {
    for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) headers.push([name, String(v)]);
  }
  const text = utf8(bytes);
  return { status: res.statusCode, headers, ...(text === undefined ? { body: bytes.toString('base64'), bodyBase64: true } : { body: text }), durationMs };
}

/** The request as the result view shows it beside the response. */
export function httpRequestView(request: HttpRequestSpec, apiPort: number | undefined, route?: Pick<GatewayRoute, 'method' | 'path'>): RequestView {
  return {
    kind: 'http',
    method: request.method,
    url: apiPort ? `http://127.0.0.1:${apiPort}${request.path}` : request.path,
    ...(route ? { route: `${route.method} ${route.path}` } : {}),
    headers: Object.entries(request.headers),
    body: takesBody(request.method) ? request.body : '',
  };
}

/** The answer as the result view shows it (status, headers, cookies, body, time). */
export function httpResponseView(exchange: HttpExchange): ResponseView {
  const cookies = exchange.headers.filter(([k]) => k.toLowerCase() === 'set-cookie').map(([, v]) => v);
  const headers = exchange.headers.filter(([k]) => k.toLowerCase() !== 'set-cookie');
  return {
    kind: 'http',
    statusCode: exchange.status,
    headers,
    cookies,
    timeMs: exchange.durationMs,
    ...describeHttpBody(exchange.body, exchange.bodyBase64 === true, exchange.headers),
  };
}

function utf8(bytes: Buffer): string | undefined {
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return /[\x00-\x08\x0e-\x1f]/.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

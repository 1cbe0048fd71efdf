// CORS as the project configures it, applied as AWS applies it: pure policy, a table in test/unit/gateway-cors.test.ts.
// Which API kind does what (the rules, with their sources):
//   REST API   SAM turns `Cors` into an OPTIONS method with a mock integration on every path of the API: any OPTIONS
//              request to such a path gets 200 and the configured headers, whatever its Origin. Actual responses are
//              left to the function: "For a Lambda proxy integration ... your backend is responsible for returning
//              the Access-Control-Allow-Origin and Access-Control-Allow-Headers headers, because a proxy integration
//              doesn't return an integration response."
//              (docs.aws.amazon.com/apigateway/latest/developerguide/how-to-cors.html,
//              docs.aws.amazon.com/serverless-application-model/latest/developerguide/sam-property-api-corsconfiguration.html)
//   HTTP API   "If you configure CORS for an API, API Gateway automatically sends a response to preflight OPTIONS
//              requests, even if there isn't an OPTIONS route configured for your API. For a CORS request, API
//              Gateway adds the configured CORS headers to the response from an integration." and "ignores CORS
//              headers returned from your backend integration"; "To return CORS headers, your request must contain
//              an origin header. For the OPTIONS method, your request must contain an origin header and an
//              Access-Control-Request-Method header." (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-cors.html)
//              allowOrigins takes "*", exact origins, and "https://*" / "http://*" (any origin of that scheme).
//   Function URL  the same as an HTTP API (docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html#urls-cors):
//              Lambda answers the preflight and sets the CORS headers of every response.
// An origin the configuration does not allow gets an answer without CORS headers: the browser then blocks the call,
// which is the point. Without a configuration nothing is added and OPTIONS goes to the function like any method.
import type { HttpCors, HttpEvent } from '../functions/model.ts';

type Kind = HttpEvent['kind'];

export interface CorsRequest {
  method: string;
  origin: string | undefined;
  /** Access-Control-Request-Method: present on a browser's preflight. */
  requestMethod: string | undefined;
}

/** Every method a REST resource with an ANY method allows. */
const ALL_METHODS = ['DELETE', 'GET', 'HEAD', 'OPTIONS', 'PATCH', 'POST', 'PUT'];

/** Whether the gateway answers this request itself, as a preflight, instead of passing it to the function. */
export function isPreflight(kind: Kind, cors: HttpCors | undefined, req: CorsRequest): boolean {
  if (!cors || req.method !== 'OPTIONS') return false;
  if (kind === 'rest') return true; // SAM's mock OPTIONS method takes every OPTIONS request on the path
  return req.origin !== undefined && req.requestMethod !== undefined;
}

/**
 * The preflight's answer. `resourceMethods`: the methods declared on the REST resource, which SAM allows when the
 * configuration names none.
 */
export function preflightAnswer(
  kind: Kind,
  cors: HttpCors,
  req: CorsRequest,
  resourceMethods: readonly string[] = [],
): { status: number; headers: [string, string][] } {
  if (kind === 'rest') {
    const headers: [string, string][] = [['Access-Control-Allow-Origin', cors.allowOrigins.join(',') || '*']];
    const methods = cors.allowMethods.length ? cors.allowMethods : restMethods(resourceMethods);
    headers.push(['Access-Control-Allow-Methods', methods.join(',')]);
    if (cors.allowHeaders.length) headers.push(['Access-Control-Allow-Headers', cors.allowHeaders.join(',')]);
    if (cors.maxAge !== undefined) headers.push(['Access-Control-Max-Age', String(cors.maxAge)]);
    if (cors.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true']);
    return { status: 200, headers };
  }
  const allowed = allowedOrigin(cors, req.origin);
  if (allowed === undefined) return { status: 204, headers: [] };
  const headers: [string, string][] = [['Access-Control-Allow-Origin', allowed]];
  if (cors.allowMethods.length) headers.push(['Access-Control-Allow-Methods', cors.allowMethods.join(',')]);
  if (cors.allowHeaders.length) headers.push(['Access-Control-Allow-Headers', cors.allowHeaders.join(',')]);
  if (cors.maxAge !== undefined) headers.push(['Access-Control-Max-Age', String(cors.maxAge)]);
  if (cors.allowCredentials) headers.push(['Access-Control-Allow-Credentials', 'true']);
  if (allowed !== '*') headers.push(['Vary', 'Origin']);
  return { status: 204, headers };
}

/**
 * An actual (non-preflight) response's headers under the API's CORS: HTTP APIs and URLs drop the function's own
 * Access-Control-* headers and add the configured ones for an allowed Origin; REST leaves them to the function.
 */
export function withCorsHeaders(kind: Kind, cors: HttpCors | undefined, origin: string | undefined, headers: [string, string][]): [string, string][] {
  if (!cors || kind === 'rest') return headers;
  const out = headers.filter(([name]) => !name.toLowerCase().startsWith('access-control-'));
  const allowed = allowedOrigin(cors, origin);
  if (allowed === undefined) return out;
  out.push(['Access-Control-Allow-Origin', allowed]);
  if (cors.exposeHeaders.length) out.push(['Access-Control-Expose-Headers', cors.exposeHeaders.join(',')]);
  if (cors.allowCredentials) out.push(['Access-Control-Allow-Credentials', 'true']);
  if (allowed !== '*') out.push(['Vary', 'Origin']);
  return out;
}

/** The Access-Control-Allow-Origin an Origin gets: "*", the origin itself, or undefined when it is not allowed. */
export function allowedOrigin(cors: HttpCors, origin: string | undefined): string | undefined {
  if (origin === undefined) return undefined;
  const lower = origin.toLowerCase();
  for (const pattern of cors.allowOrigins) {
    const p = pattern.toLowerCase();
    if (p === '*') return cors.allowCredentials ? origin : '*';
    if (p === lower) return origin;
    if ((p === 'https://*' || p === 'http://*') && lower.startsWith(p.slice(0, -1))) return origin;
  }
  return undefined;
}

function restMethods(resourceMethods: readonly string[]): string[] {
  if (resourceMethods.includes('ANY')) return ALL_METHODS;
  return [...new Set([...resourceMethods, 'OPTIONS'])].sort();
}

// The gateway's route table and how a request finds its route, as API Gateway chooses: pure policy, a table in
// test/unit/gateway-routes.test.ts. Everything the project declares shares one port (as `sam local start-api` serves
// every API at once): REST and HTTP API routes at their own paths, without the stage prefix (SAM does the same; the
// stage is in requestContext), and each Function URL under /lambda-url/<function>/ (cargo-lambda's convention), since
// a URL is a host of its own in AWS and has no path to share.
//
// Priority, most specific first:
//   1. segment by segment from the left, a literal beats a {parameter}, which beats a greedy {proxy+};
//   2. a longer path beats its own prefix when the rest is greedy (`/a/{x}/{proxy+}` before `/a/{proxy+}`);
//   3. an explicit method beats ANY;
//   4. HTTP API's `$default` route comes last, after every path;
//   5. otherwise the order of declaration.
// A request takes the first route in that order whose path and method both match; but a REST API first picks its
// resource (the most specific path that matches) and then the method on it, so a REST request whose resource lacks
// the method matches nothing of that API (403 in AWS), where an HTTP API would try its next route.
import type { FunctionSpec, HttpEvent } from '../functions/model.ts';

export const FUNCTION_URL_PREFIX = '/lambda-url/';

type Segment = { kind: 'literal'; text: string } | { kind: 'param'; name: string } | { kind: 'greedy'; name: string };

export interface Route {
  function: string;
  event: HttpEvent;
  /** Where it is served on the gateway's port: the declared path, or /lambda-url/<function>/{proxy+} for a URL. */
  servedPath: string;
  /** The declared path's segments; empty for `$default`. */
  segments: Segment[];
  isDefault: boolean;
  /** Function URLs: the prefix taken off before the function sees its path. */
  prefix: string;
}

export interface RouteMatch {
  route: Route;
  /** Decoded path parameters, null when the route has none. */
  pathParameters: Record<string, string> | null;
  /** The path the function sees (a Function URL's without its /lambda-url/<name> prefix). */
  path: string;
}

/**
 * Every route of every function, sorted by priority. `notEmulated`: routes the project declares with an integration
 * that isn't a Lambda proxy; they take their place in the table (so they shadow what they shadow in AWS) and are
 * answered with 501 by the server.
 */
export function routeTable(functions: readonly FunctionSpec[], notEmulated: readonly HttpEvent[] = []): Route[] {
  const routes: Route[] = notEmulated.filter((e) => e.kind !== 'url').map((event) => makeRoute('', event, event.path, ''));
  for (const fn of functions) {
    for (const event of fn.httpEvents ?? []) {
      if (event.kind === 'url') {
        const prefix = `${FUNCTION_URL_PREFIX}${fn.name}`;
        // The URL's root and everything under it.
        routes.push(makeRoute(fn.name, event, `${prefix}/{proxy+}`, prefix));
        routes.push(makeRoute(fn.name, event, prefix, prefix));
      } else routes.push(makeRoute(fn.name, event, event.path, ''));
    }
  }
  return routes
    .map((route, order) => ({ route, order }))
    .sort((a, b) => compareRoutes(a.route, b.route) || a.order - b.order)
    .map((r) => r.route);
}

function makeRoute(name: string, event: HttpEvent, servedPath: string, prefix: string): Route {
  const isDefault = servedPath === '$default';
  return { function: name, event, servedPath, segments: isDefault ? [] : parsePath(servedPath), isDefault, prefix };
}

export function parsePath(path: string): Segment[] {
  return splitPath(path).map((part) => {
    const param = /^\{([^{}]+?)(\+?)\}$/.exec(part);
    if (!param) return { kind: 'literal', text: part };
    return param[2] ? { kind: 'greedy', name: param[1]! } : { kind: 'param', name: param[1]! };
  });
}

/** Path segments, ignoring a trailing slash (API Gateway answers /hello/ as /hello). */
function splitPath(path: string): string[] {
  const parts = path.split('/').slice(1);
  if (parts.length && parts.at(-1) === '') parts.pop();
  return parts;
}

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

/** Negative when `a` is the more specific route. */
export function compareRoutes(a: Route, b: Route): number {
  if (a.isDefault !== b.isDefault) return a.isDefault ? 1 : -1;
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const diff = RANK[a.segments[i]!.kind] - RANK[b.segments[i]!.kind];
    if (diff) return diff;
  }
  if (a.segments.length !== b.segments.length) return b.segments.length - a.segments.length;
  return Number(a.event.method === 'ANY') - Number(b.event.method === 'ANY');
}

/** The route a request takes, or undefined when none matches. `path` is the raw request path (no query). */
export function matchRoute(table: readonly Route[], method: string, path: string): RouteMatch | undefined {
  const parts = splitPath(path);
  let restResources: Map<string, string> | undefined; // REST API -> the resource the request picked in it
  for (const route of table) {
    const methodMatches = route.event.method === 'ANY' || route.event.method === method;
    if (route.isDefault) {
      if (methodMatches) return { route, pathParameters: null, path };
      continue;
    }
    if (!methodMatches && route.event.kind !== 'rest') continue;
    const params = matchSegments(route.segments, parts);
    if (!params) continue;
    if (route.event.kind === 'rest') {
      restResources ??= new Map();
      const resource = restResources.get(route.event.api);
      if (resource === undefined) restResources.set(route.event.api, route.servedPath);
      if (!methodMatches || (resource !== undefined && resource !== route.servedPath)) continue;
    }
    return { route, pathParameters: Object.keys(params).length ? params : null, path: route.prefix ? path.slice(route.prefix.length) || '/' : path };
  }
  return undefined;
}

/**
 * The route a path reaches whatever the method (the CORS preflight's lookup: SAM's OPTIONS method sits on every
 * resource), with the methods declared at that path in that API.
 */
export function matchPath(table: readonly Route[], path: string): { match: RouteMatch; methods: string[] } | undefined {
  const parts = splitPath(path);
  for (const route of table) {
    const params = route.isDefault ? {} : matchSegments(route.segments, parts);
    if (!params) continue;
    const methods = table
      .filter((r) => r.event.api === route.event.api && r.event.kind === route.event.kind && r.servedPath === route.servedPath)
      .map((r) => r.event.method);
    return {
      match: { route, pathParameters: Object.keys(params).length ? params : null, path: route.prefix ? path.slice(route.prefix.length) || '/' : path },
      methods,
    };
  }
  return undefined;
}

function matchSegments(segments: Segment[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    const part = parts[i];
    if (segment.kind === 'greedy') {
      // One segment at least: `/{proxy+}` does not take the root.
      if (part === undefined || part === '') return undefined;
      params[segment.name] = decode(parts.slice(i).join('/'));
      return params;
    }
    if (part === undefined) return undefined;
    if (segment.kind === 'literal') {
      if (segment.text !== part && segment.text !== decode(part)) return undefined;
    } else {
      if (part === '') return undefined;
      params[segment.name] = decode(part);
    }
  }
  return parts.length === segments.length ? params : undefined;
}

function decode(text: string): string {
  if (!text.includes('%')) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/**
 * The CORS configuration that answers a preflight to a path no route has: an HTTP API with CORS answers every path's
 * preflight ("even if there isn't an OPTIONS route configured"); a REST API's OPTIONS methods sit only on its
 * resources, and a Function URL's path always matches its own route.
 */
export function anyPathCors(table: readonly Route[]): Route | undefined {
  return table.find((r) => r.event.kind === 'http' && r.event.cors);
}

/** What a request matching no route gets: REST answers 403 Missing Authentication Token, HTTP APIs 404. */
export function noRouteKind(table: readonly Route[]): 'rest' | 'http' {
  return table.length && table.every((r) => r.event.kind === 'rest') ? 'rest' : 'http';
}

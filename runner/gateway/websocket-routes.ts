// The gateway's WebSocket APIs and the events it hands their functions, as API Gateway builds them: pure policy (a
// table in test/unit/gateway-websocket-routes.test.ts), apart from the connections and sockets of websocket.ts.
//
// Each API is served at /<stage> on the HTTP gateway's port, the path of its AWS URL
// (wss://<api-id>.execute-api.<region>.amazonaws.com/<stage>), so a client changes only the host; its @connections
// management API is at /<stage>/@connections/<id>, where the AWS SDK puts it for `endpoint: <scheme>://<domainName>/<stage>`.
// A message takes the route the API's route selection expression (`$request.body.action`) picks from its JSON
// body, `$default` when the body is not JSON, has no such field or names no route; no `$default` either: API
// Gateway's "Forbidden" error frame.
// A $connect route may have a Lambda REQUEST authorizer: its identity sources (route.request.header.X,
// route.request.querystring.X) must all be present, else 401 without calling it; its IAM policy must allow the
// route's ARN (`arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/$connect`), else 403; its principalId and
// context reach requestContext.authorizer of every event of the connection. No caching: WebSocket APIs have none.
// Or it may be AWS_IAM: the upgrade is SigV4-signed (header or presigned URL), else 403 before $connect runs; the
// signer goes to requestContext.identity of the $connect event.
import { randomBytes } from 'node:crypto';
import { LOCAL_ACCOUNT, type FunctionSpec } from '../functions/model.ts';
import type { WebSocketRouteRow } from '../protocol.ts';
import { clfTime, localApiId } from './events.ts';

export interface WebSocketRoute {
  function: string;
  /** The function's response body goes back to the client (a route with a route response). */
  twoWay: boolean;
  /** $connect: its Lambda REQUEST authorizer, with the local name of the function. */
  authorizer?: { name: string; function: string; identitySources: string[] };
  /** $connect: AWS_IAM, the upgrade request must be SigV4-signed. */
  iam?: boolean;
  /** $connect: an authorization that is not applied, and why. */
  unchecked?: string;
}

export interface WebSocketApi {
  /** The API's logical id. */
  api: string;
  apiId: string;
  stage: string;
  /** Where it is served on the gateway's port: `/<stage>`. */
  path: string;
  routeSelectionExpression: string;
  /** By route key: `$connect`, `$disconnect`, `$default`, custom keys. */
  routes: Map<string, WebSocketRoute>;
}

/** The WebSocket APIs of these functions; a second API at a path one already has is left out with a reason. */
export function webSocketApis(functions: readonly FunctionSpec[]): { apis: WebSocketApi[]; problems: string[] } {
  const byName = new Map<string, WebSocketApi>();
  for (const fn of functions) {
    for (const event of fn.websocketEvents ?? []) {
      let api = byName.get(event.api);
      if (!api) {
        api = {
          api: event.api,
          apiId: localApiId(event.api),
          stage: event.stage,
          path: `/${event.stage}`,
          routeSelectionExpression: event.routeSelectionExpression,
          routes: new Map(),
        };
        byName.set(event.api, api);
      }
      if (api.routes.has(event.routeKey)) continue;
      let unchecked = event.unchecked;
      let authorizer: WebSocketRoute['authorizer'];
      if (event.authorizer) {
        const named = event.authorizer.function;
        const local = functions.find((f) => f.name === named || f.functionName === named);
        if (local) authorizer = { ...event.authorizer, function: local.name };
        else unchecked = `its authorizer ${event.authorizer.name} names ${named}, which is no function of this project`;
      }
      api.routes.set(event.routeKey, {
        function: fn.name,
        twoWay: event.twoWay,
        ...(authorizer ? { authorizer } : {}),
        ...(event.iam ? { iam: true } : {}),
        ...(unchecked ? { unchecked } : {}),
      });
    }
  }
  const apis: WebSocketApi[] = [];
  const problems: string[] = [];
  for (const api of byName.values()) {
    const unchecked = api.routes.get('$connect')?.unchecked;
    if (unchecked) problems.push(`WebSocket API ${api.api}: $connect is served without its authorization (${unchecked}); every connection is accepted by it.`);
  }
  for (const api of byName.values()) {
    const taken = apis.find((a) => a.path === api.path);
    if (taken)
      problems.push(
        `WebSocket API ${api.api} is not served: its stage "${api.stage}" is also ${taken.api}'s, and each is served at /<stage>. Give one of them another StageName.`,
      );
    else apis.push(api);
  }
  return { apis, problems };
}

/** The API a path leads to, and what follows its /<stage>: '' for the API itself, `/@connections/<id>` ... */
export function apiAt(apis: readonly WebSocketApi[], path: string): { api: WebSocketApi; rest: string } | undefined {
  for (const api of apis) {
    if (path === api.path || path === `${api.path}/`) return { api, rest: '' };
    if (path.startsWith(`${api.path}/`)) return { api, rest: path.slice(api.path.length) };
  }
  return undefined;
}

/**
 * The route key a message selects: the value the route selection expression (`$request.body.action`,
 * `${request.body.a.b}`) finds in its JSON body, when the API has that route; `$default` otherwise; undefined when
 * the API has neither (the client gets the "Forbidden" error frame).
 */
export function selectRoute(api: WebSocketApi, body: string | undefined): string | undefined {
  const field = /^\$\{?request\.body\.([^}]+)\}?$/.exec(api.routeSelectionExpression.trim())?.[1];
  if (field !== undefined && body !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(body);
    } catch {
      value = undefined;
    }
    for (const key of field.split('.'))
      value = value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
    const key = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
    if (key !== undefined && !key.startsWith('$') && api.routes.has(key)) return key;
  }
  return api.routes.has('$default') ? '$default' : undefined;
}

/** An id as API Gateway writes connection, request and message ids: 15 letters and digits and a "=" (`L0SM9cOFvHcCIhw=`). */
export function webSocketId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let id = '';
  for (const byte of randomBytes(15)) id += alphabet[byte % alphabet.length];
  return `${id}=`;
}

/** What every event of a connection shares. */
export interface ConnectionFacts {
  api: WebSocketApi;
  connectionId: string;
  connectedAt: number;
  /** What the upgrade's Host header said: 127.0.0.1:<port> or localhost:<port>. */
  domainName: string;
  sourceIp: string;
  userAgent: string | undefined;
  /** What the $connect authorizer granted: principalId, its context's keys, integrationLatency. */
  authorizer?: Record<string, unknown>;
  /** AWS_IAM $connect: the signer, for requestContext.identity of the $connect event. */
  iam?: { accessKey: string; accountId: string; caller: string; user: string; userArn: string };
}

export type WebSocketEventInput =
  | { type: 'CONNECT'; rawHeaders: readonly string[]; rawQuery: string }
  | { type: 'MESSAGE'; routeKey: string; data: Buffer; binary: boolean }
  | { type: 'DISCONNECT'; statusCode: number; reason: string };

/**
 * The event API Gateway hands a WebSocket route's function (@types/aws-lambda's APIGatewayProxyWebsocketEventV2 and
 * its documented $connect / $disconnect examples): headers and query strings only on $connect, the body only on
 * messages (base64 for a binary frame), the close code and reason on $disconnect.
 */
export function webSocketEvent(facts: ConnectionFacts, input: WebSocketEventInput, requestId: string, now: number): Record<string, unknown> {
  const routeKey = input.type === 'CONNECT' ? '$connect' : input.type === 'DISCONNECT' ? '$disconnect' : input.routeKey;
  const requestContext: Record<string, unknown> = {
    routeKey,
    ...(input.type === 'MESSAGE' ? { messageId: webSocketId() } : {}),
    ...(input.type === 'DISCONNECT' ? { disconnectStatusCode: input.statusCode, disconnectReason: input.reason } : {}),
    eventType: input.type,
    extendedRequestId: requestId,
    requestTime: clfTime(now),
    messageDirection: 'IN',
    stage: facts.api.stage,
    connectedAt: facts.connectedAt,
    requestTimeEpoch: now,
    identity: {
      ...(facts.iam && input.type === 'CONNECT' ? facts.iam : {}),
      ...(facts.userAgent !== undefined && input.type !== 'MESSAGE' ? { userAgent: facts.userAgent } : {}),
      sourceIp: facts.sourceIp,
    },
    requestId,
    domainName: facts.domainName,
    connectionId: facts.connectionId,
    apiId: facts.api.apiId,
    ...(facts.authorizer ? { authorizer: facts.authorizer } : {}),
  };
  if (input.type === 'MESSAGE') {
    return { requestContext, body: input.data.toString(input.binary ? 'base64' : 'utf8'), isBase64Encoded: input.binary };
  }
  if (input.type === 'DISCONNECT') return { requestContext, isBase64Encoded: false };
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i < input.rawHeaders.length; i += 2) {
    const name = input.rawHeaders[i]!;
    headers[name] = input.rawHeaders[i + 1]!;
    (multiValueHeaders[name] ??= []).push(input.rawHeaders[i + 1]!);
  }
  const event: Record<string, unknown> = { headers, multiValueHeaders };
  const query = [...new URLSearchParams(input.rawQuery)];
  if (query.length) {
    const single: Record<string, string> = {};
    const multi: Record<string, string[]> = {};
    for (const [name, value] of query) {
      single[name] = value;
      (multi[name] ??= []).push(value);
    }
    event.queryStringParameters = single;
    event.multiValueQueryStringParameters = multi;
  }
  return { ...event, requestContext, isBase64Encoded: false };
}

/** The ARN an authorizer's policy is checked against: the $connect route of this API and stage. */
export function connectRouteArn(api: WebSocketApi, region: string): string {
  return `arn:aws:execute-api:${region}:${LOCAL_ACCOUNT}:${api.apiId}/${api.stage}/$connect`;
}

/** Each identity source's value in the upgrade request; undefined where absent or empty (API Gateway then answers 401). */
export function connectIdentityValues(
  sources: readonly string[],
  rawHeaders: readonly string[],
  rawQuery: string,
  context: Record<string, unknown>,
): (string | undefined)[] {
  return sources.map((source) => {
    const s = source.replace(/^\$/, '');
    let value: string | undefined;
    const header = /^(?:route\.)?request\.header\.(.+)$/i.exec(s)?.[1];
    const query = /^(?:route\.)?request\.querystring\.(.+)$/i.exec(s)?.[1];
    if (header !== undefined) {
      const lower = header.toLowerCase();
      for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i]!.toLowerCase() === lower) value = rawHeaders[i + 1]!;
    } else if (query !== undefined) value = new URLSearchParams(rawQuery).getAll(query).at(-1);
    else if (s.startsWith('context.')) {
      const at = context[s.slice(8)];
      value = typeof at === 'string' || typeof at === 'number' ? String(at) : undefined;
    }
    // stageVariables: none are set locally.
    return value === '' ? undefined : value;
  });
}

/**
 * The event a $connect REQUEST authorizer receives (AWS's "WebSocket API Lambda REQUEST authorizer" input): the
 * $connect event's headers, query strings and requestContext, with type and methodArn, without body.
 */
export function connectAuthorizerEvent(connectEvent: Record<string, unknown>, methodArn: string): Record<string, unknown> {
  const { isBase64Encoded: _b, requestContext, ...rest } = connectEvent;
  return {
    type: 'REQUEST',
    methodArn,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: {},
    multiValueQueryStringParameters: {},
    ...rest,
    stageVariables: {},
    requestContext,
  };
}

/** API Gateway's error frame: `{"message": "Forbidden", "connectionId": ..., "requestId": ...}`. */
export function errorFrame(message: string, connectionId: string, requestId: string): string {
  return JSON.stringify({ message, connectionId, requestId });
}

/** The rows of the Routes view (GET /routes `webSockets`): one per route, under its API's ws:// URL. */
export function webSocketRouteRows(apis: readonly WebSocketApi[], port: number): WebSocketRouteRow[] {
  return apis.flatMap((api) =>
    [...api.routes].map(([routeKey, route]) => ({
      api: api.api,
      stage: api.stage,
      url: `ws://127.0.0.1:${port}${api.path}`,
      routeKey,
      function: route.function,
      twoWay: route.twoWay,
      ...(route.authorizer
        ? { auth: `${route.authorizer.name} (Lambda REQUEST -> ${route.authorizer.function})` }
        : route.iam
          ? { auth: 'AWS_IAM' }
          : route.unchecked
            ? { auth: `NOT CHECKED: ${route.unchecked}` }
            : {}),
    })),
  );
}

/** The WebSocket APIs as printed when the runner starts: one line per route, under the API's URL. */
export function describeWebSocketApis(apis: readonly WebSocketApi[], port: number): string {
  const lines: string[] = [];
  for (const api of apis) {
    lines.push(
      `  ws://127.0.0.1:${port}${api.path}  ${api.api} (stage ${api.stage}, routes by ${api.routeSelectionExpression}; @connections at http://127.0.0.1:${port}${api.path}/@connections/{id})`,
    );
    const width = Math.max(...[...api.routes.keys()].map((k) => k.length));
    for (const [key, route] of api.routes)
      lines.push(
        `    ${key.padEnd(width)}  ${route.function}${route.twoWay ? '  (two-way: the response goes back to the client)' : ''}${route.authorizer ? `  (authorizer ${route.authorizer.name}: ${route.authorizer.function}, ${route.authorizer.identitySources.join(', ') || 'no identity sources'})` : ''}${route.iam ? '  (AWS_IAM: SigV4-signed upgrade or presigned URL)' : ''}${route.unchecked ? `  (NOT CHECKED: ${route.unchecked})` : ''}`,
      );
  }
  return lines.join('\n');
}

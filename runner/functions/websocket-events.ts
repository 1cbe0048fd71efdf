// The WebSocket API routes a definition file declares for a function, as WebSocketEvents on the Function model, so
// the gateway (runner/gateway/websocket.ts) gets one shape whatever the source. Kept apart from http-events.ts: a
// WebSocket API is not a function's event in CloudFormation but a handful of resources that point at the function,
// so it is read from the whole template.
//
// What is read:
//   CloudFormation  AWS::ApiGatewayV2::Api with ProtocolType WEBSOCKET (RouteSelectionExpression, default
//                   `$request.body.action`); AWS::ApiGatewayV2::Route (ApiId, RouteKey, Target `integrations/<id>`,
//                   RouteResponseSelectionExpression); AWS::ApiGatewayV2::Integration (IntegrationUri: the function's
//                   invocation ARN or its ARN, through !Sub, !Join or !GetAtt); AWS::ApiGatewayV2::RouteResponse (makes
//                   its route two-way); AWS::ApiGatewayV2::Stage (StageName; "Prod" when the API has none);
//                   $connect's AuthorizationType CUSTOM with AuthorizerId -> AWS::ApiGatewayV2::Authorizer
//                   (AuthorizerType REQUEST, AuthorizerUri: the function's invocation ARN, IdentitySource), or
//                   AWS_IAM (the upgrade must be SigV4-signed, checked by runner/gateway/auth/sigv4.ts).
//   serverless.yml  `- websocket: $connect` or `- websocket: { route, routeResponseSelectionExpression }`;
//                   $connect's `authorizer: name | { name, arn, identitySource }` (default route.request.header.Auth);
//                   provider.websocketsApiRouteSelectionExpression; the stage is provider.stage or "dev".
import type { FunctionSpec, WebSocketEvent } from './model.ts';
import { asRecord } from './intrinsics.ts';

type Resolve = (value: unknown) => unknown;

export const DEFAULT_ROUTE_SELECTION = '$request.body.action';
/** The API the Serverless Framework creates for `websocket` events (its logical id). */
export const SERVERLESS_WEBSOCKET_API = 'WebsocketsApi';
/** The stage of a CloudFormation WebSocket API that declares none (SAM's default stage name). */
const DEFAULT_STAGE = 'Prod';

/** The function with its WebSocket routes, or as it is when it has none (the field stays absent). */
export function withWebSocketEvents(fn: FunctionSpec, events: WebSocketEvent[] | undefined): FunctionSpec {
  return events ? { ...fn, websocketEvents: events } : fn;
}

/**
 * The WebSocket routes of a CloudFormation / SAM template whose integration invokes this function: `names` are what
 * its ARN may carry (its local name and its FunctionName).
 */
export function samWebSocketEvents(names: readonly string[], template: Record<string, unknown>, resolve: Resolve): WebSocketEvent[] | undefined {
  const resources = asRecord(template.Resources);
  const ofType = (type: string) =>
    Object.entries(resources)
      .filter(([, r]) => asRecord(r).Type === type)
      .map(([id, r]) => [id, asRecord(resolve(asRecord(r).Properties ?? {}))] as const);
  const apis = new Map(ofType('AWS::ApiGatewayV2::Api').filter(([, p]) => String(p.ProtocolType).toUpperCase() === 'WEBSOCKET'));
  if (!apis.size) return undefined;
  const stages = new Map<string, string>();
  for (const [, props] of ofType('AWS::ApiGatewayV2::Stage')) {
    const api = text(props.ApiId);
    if (api && !stages.has(api) && text(props.StageName)) stages.set(api, text(props.StageName)!);
  }
  const integrations = new Set(
    ofType('AWS::ApiGatewayV2::Integration')
      .filter(([, p]) => invokes(p.IntegrationUri, names))
      .map(([id]) => id),
  );
  const withResponse = new Set(ofType('AWS::ApiGatewayV2::RouteResponse').map(([, p]) => text(p.RouteId)));
  const authorizers = new Map(ofType('AWS::ApiGatewayV2::Authorizer'));
  const events: WebSocketEvent[] = [];
  for (const [id, props] of ofType('AWS::ApiGatewayV2::Route')) {
    const api = text(props.ApiId);
    const target = text(props.Target)?.replace(/^integrations\//, '');
    const routeKey = text(props.RouteKey);
    if (!api || !apis.has(api) || !routeKey || !target || !integrations.has(target)) continue;
    events.push({
      api,
      routeKey,
      stage: stages.get(api) ?? DEFAULT_STAGE,
      routeSelectionExpression: text(apis.get(api)!.RouteSelectionExpression) ?? DEFAULT_ROUTE_SELECTION,
      twoWay: withResponse.has(id) || text(props.RouteResponseSelectionExpression) !== undefined,
      ...(routeKey === '$connect' ? cfnConnectAuth(props, asRecord(asRecord(resources[id]).Properties).AuthorizerId, authorizers) : {}),
    });
  }
  return events.length ? events : undefined;
}

/** The WebSocket routes of one serverless.yml function, from its resolved `events` list. */
export function serverlessWebSocketEvents(eventList: unknown, provider: Record<string, unknown>): WebSocketEvent[] | undefined {
  const events: WebSocketEvent[] = [];
  for (const item of Array.isArray(eventList) ? eventList : []) {
    const entry = asRecord(item);
    if (entry.websocket === undefined) continue;
    const settings = asRecord(entry.websocket);
    const routeKey = typeof entry.websocket === 'string' ? entry.websocket : text(settings.route);
    if (!routeKey) continue;
    const authorizer = routeKey === '$connect' ? serverlessConnectAuthorizer(settings.authorizer) : undefined;
    events.push({
      api: SERVERLESS_WEBSOCKET_API,
      routeKey,
      stage: text(provider.stage) ?? 'dev',
      routeSelectionExpression: text(provider.websocketsApiRouteSelectionExpression) ?? DEFAULT_ROUTE_SELECTION,
      twoWay: text(settings.routeResponseSelectionExpression) !== undefined,
      ...(authorizer ? { authorizer } : {}),
    });
  }
  return events.length ? events : undefined;
}

type ConnectAuth = Pick<WebSocketEvent, 'authorizer' | 'iam' | 'unchecked'>;

/** A CloudFormation $connect route's authorization: AWS_IAM, its CUSTOM authorizer, or why it is not applied. */
function cfnConnectAuth(props: Record<string, unknown>, rawAuthorizerId: unknown, authorizers: Map<string, Record<string, unknown>>): ConnectAuth {
  const type = text(props.AuthorizationType)?.toUpperCase() ?? 'NONE';
  if (type === 'NONE') return {};
  if (type === 'AWS_IAM') return { iam: true };
  if (type !== 'CUSTOM') return { unchecked: `AuthorizationType ${type} is none of NONE, AWS_IAM, CUSTOM` };
  const ref = asRecord(rawAuthorizerId).Ref;
  const id = typeof ref === 'string' ? ref : text(props.AuthorizerId);
  const config = id === undefined ? undefined : authorizers.get(id);
  if (!config) return { unchecked: `its AuthorizerId (${id ?? 'none'}) is no AWS::ApiGatewayV2::Authorizer of this template` };
  const fn = /:function:([^:/]+)/.exec(text(config.AuthorizerUri) ?? '')?.[1];
  if (!fn) return { unchecked: `authorizer ${id}'s AuthorizerUri names no function of this template` };
  const sources = Array.isArray(config.IdentitySource) ? config.IdentitySource.filter((s): s is string => typeof s === 'string') : [];
  return { authorizer: { name: text(config.Name) ?? id!, function: fn, identitySources: sources } };
}

/** serverless.yml's `authorizer` of a $connect route: a function of the service by name, or by ARN. */
function serverlessConnectAuthorizer(value: unknown): WebSocketEvent['authorizer'] {
  if (value === undefined) return undefined;
  const settings = asRecord(value);
  const named = typeof value === 'string' ? value : (text(settings.name) ?? text(settings.arn));
  const fn = named && (/:function:([^:/]+)/.exec(named)?.[1] ?? named);
  if (!fn) return undefined;
  const sources = settings.identitySource;
  const identitySources = typeof sources === 'string' ? [sources] : Array.isArray(sources) ? sources.filter((s): s is string => typeof s === 'string') : [];
  return { name: fn, function: fn, identitySources: identitySources.length ? identitySources : ['route.request.header.Auth'] };
}

/**
 * Whether a resolved IntegrationUri invokes one of these functions: the invocation URI
 * (`arn:aws:apigateway:REGION:lambda:path/2015-03-31/functions/FUNCTION_ARN/invocations`) or the function's ARN.
 */
function invokes(uri: unknown, names: readonly string[]): boolean {
  const name = /:function:([^:/]+)/.exec(text(uri) ?? '')?.[1];
  return name !== undefined && names.includes(name);
}

function text(value: unknown): string | undefined {
  // An Unresolved value (a parameter without a value) counts as absent.
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// HTTP front doors: API Gateway (REST, HTTP, WebSocket), ALB, Lambda Function URLs and VPC Lattice.
// Bodies stay strings exactly as the service passes them (a JSON body arrives as JSON *text*), query strings
// are split the way each service splits them, and headers carry what the service adds.
import type {
  ALBEvent,
  APIGatewayProxyEvent,
  APIGatewayProxyEventV2,
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayTokenAuthorizerEvent,
} from 'aws-lambda';
import {
  ACCOUNT,
  CLIENT_IP,
  EVENT_TIME_MS,
  REGION,
  USER_AGENT,
  apiGatewayRequestId,
  arn,
  clfTime,
  lowercaseKeys,
  multiValue,
  parseQuery,
  pathParametersFor,
  stableAlnum,
  stableBase64,
  stableUuid,
  traceHeader,
} from '../aws-values.ts';
import { StringMap, defineTemplate, parseJsonField, type EventTemplate } from '../template.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];
type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'HEAD' | 'OPTIONS';

const REST_API_ID = 'a1b2c3d4e5';
const HTTP_API_ID = 'r3pmxmplak';
const WEBSOCKET_API_ID = 'w5x6y7z8a9';
const REST_STAGE = 'prod';
const domainOf = (apiId: string) => `${apiId}.execute-api.${REGION}.amazonaws.com`;
const EXAMPLE_JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6ImV4YW1wbGUifQ.eyJzdWIiOiI3ZDhjYTUyOC00OTMxLTQyNTQtOTI3My1lYTVlZTg1M2YyNzEifQ.c2lnbmF0dXJl';
const COGNITO_POOL = 'us-east-1_Ab12Cd34E';
const COGNITO_SUB = '7d8ca528-4931-4254-9273-ea5ee853f271';

const methodField = (defaultMethod: Method) => ({
  name: 'method' as const,
  prompt: 'HTTP method',
  default: defaultMethod,
  kind: 'choice' as const,
  choices: METHODS,
});
const queryField = (defaultQuery: string) => ({
  name: 'query' as const,
  prompt: 'Query string without the "?" (a=1&b=2), empty for none',
  default: defaultQuery,
});
const bodyField = (defaultBody: string) => ({
  name: 'body' as const,
  prompt: 'Request body as sent (JSON stays JSON text), empty for none',
  default: defaultBody,
});
const headersField = {
  name: 'headers' as const,
  prompt: 'Extra request headers as a JSON object, e.g. {"Authorization": "Bearer abc"}',
  default: '{}',
  kind: 'json' as const,
  schema: StringMap,
};

/** The headers a client plus the API Gateway edge send, before the user's own. */
function edgeHeaders(host: string, seed: string, body: string, extra: string): Record<string, string> {
  const headers: Record<string, string> = {
    Accept: '*/*',
    Host: host,
    'User-Agent': USER_AGENT,
    'X-Amzn-Trace-Id': traceHeader(seed),
    'X-Forwarded-For': CLIENT_IP,
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
  if (body !== '') {
    headers['Content-Type'] = looksLikeJson(body) ? 'application/json' : 'text/plain';
    headers['Content-Length'] = String(Buffer.byteLength(body));
  }
  return { ...headers, ...parseJsonField<Record<string, string>>(extra) };
}

function looksLikeJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------- REST API (v1)

interface RestRequest {
  method: Method;
  resource: string;
  path: string;
  query: string;
  body: string;
  headers: string;
  seed: string;
}

function restIdentity() {
  return {
    cognitoIdentityPoolId: null,
    accountId: null,
    cognitoIdentityId: null,
    caller: null,
    sourceIp: CLIENT_IP,
    principalOrgId: null,
    accessKey: null,
    cognitoAuthenticationType: null,
    cognitoAuthenticationProvider: null,
    userArn: null,
    userAgent: USER_AGENT,
    user: null,
    apiKey: null,
    apiKeyId: null,
    clientCert: null,
  };
}

function restRequestContext(request: Pick<RestRequest, 'method' | 'resource' | 'path' | 'seed'>) {
  return {
    resourceId: stableAlnum(`${request.seed}/resource`, 6).toLowerCase(),
    resourcePath: request.resource,
    httpMethod: request.method,
    extendedRequestId: apiGatewayRequestId(`${request.seed}/extended`),
    requestTime: clfTime(),
    path: `/${REST_STAGE}${request.path}`,
    accountId: ACCOUNT,
    protocol: 'HTTP/1.1',
    stage: REST_STAGE,
    domainPrefix: REST_API_ID,
    requestTimeEpoch: EVENT_TIME_MS,
    requestId: stableUuid(`${request.seed}/request`),
    identity: restIdentity(),
    domainName: domainOf(REST_API_ID),
    deploymentId: stableAlnum(`${request.seed}/deployment`, 6).toLowerCase(),
    apiId: REST_API_ID,
  };
}

function restProxyEvent(request: RestRequest, authorizer?: APIGatewayProxyEvent['requestContext']['authorizer']): APIGatewayProxyEvent {
  const headers = edgeHeaders(domainOf(REST_API_ID), request.seed, request.body, request.headers);
  const query = parseQuery(request.query);
  return {
    resource: request.resource,
    path: request.path,
    httpMethod: request.method,
    headers,
    multiValueHeaders: multiValue(headers),
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters: pathParametersFor(request.resource, request.path),
    stageVariables: null,
    requestContext: { ...restRequestContext(request), authorizer }, // undefined (absent in JSON) without an authorizer
    body: request.body === '' ? null : request.body,
    isBase64Encoded: false,
  };
}

const restProxy = defineTemplate({
  id: 'apigw-rest-proxy',
  source: 'Amazon API Gateway',
  label: 'REST API proxy request',
  description: 'A request through a REST API (payload 1.0) with Lambda proxy integration.',
  fields: [
    methodField('PUT'),
    { name: 'resource', prompt: 'Resource path as declared, with {parameters}', default: '/orders/{orderId}' },
    { name: 'path', prompt: 'Request path', default: '/orders/42' },
    queryField('notify=email'),
    bodyField('{"item":"coffee","quantity":2}'),
    headersField,
  ],
  render: (v) => restProxyEvent({ ...v, method: v.method as Method, seed: 'apigw-rest-proxy' }),
});

const restProxyCognito = defineTemplate({
  id: 'apigw-rest-proxy-cognito',
  source: 'Amazon API Gateway',
  label: 'REST API request with Cognito authorizer',
  description: 'A REST API proxy request that passed a Cognito user pool authorizer; the claims are in requestContext.authorizer.',
  fields: [
    methodField('GET'),
    { name: 'resource', prompt: 'Resource path as declared, with {parameters}', default: '/orders/{orderId}' },
    { name: 'path', prompt: 'Request path', default: '/orders/42' },
    queryField(''),
    bodyField(''),
    { name: 'username', prompt: 'Signed-in user name', default: 'ada' },
    { name: 'email', prompt: 'Signed-in user email', default: 'ada@example.com' },
  ],
  render: (v) =>
    restProxyEvent(
      { ...v, method: v.method as Method, headers: JSON.stringify({ Authorization: EXAMPLE_JWT }), seed: 'apigw-rest-proxy-cognito' },
      {
        claims: {
          sub: COGNITO_SUB,
          email_verified: 'true',
          iss: `https://cognito-idp.${REGION}.amazonaws.com/${COGNITO_POOL}`,
          'cognito:username': v.username,
          aud: '1example23456789',
          event_id: stableUuid('apigw-rest-proxy-cognito/event'),
          token_use: 'id',
          auth_time: String(EVENT_TIME_MS / 1000 - 300),
          exp: 'Thu Jan 15 13:00:00 UTC 2026',
          iat: 'Thu Jan 15 12:00:00 UTC 2026',
          email: v.email,
        },
      },
    ),
});

const restMethodArn = (method: string, path: string, apiId = REST_API_ID, stage = REST_STAGE) => arn('execute-api', `${apiId}/${stage}/${method}${path}`);

const restTokenAuthorizer = defineTemplate({
  id: 'apigw-rest-authorizer-token',
  source: 'Amazon API Gateway',
  label: 'REST API TOKEN authorizer',
  description: 'A Lambda authorizer of type TOKEN: only the token from the identity header and the method ARN.',
  fields: [
    { name: 'token', prompt: 'Token from the Authorization header', default: `Bearer ${EXAMPLE_JWT}` },
    methodField('GET'),
    { name: 'path', prompt: 'Request path', default: '/orders/42' },
  ],
  render: (v): APIGatewayTokenAuthorizerEvent => ({
    type: 'TOKEN',
    authorizationToken: v.token,
    methodArn: restMethodArn(v.method, v.path),
  }),
});

const restRequestAuthorizer = defineTemplate({
  id: 'apigw-rest-authorizer-request',
  source: 'Amazon API Gateway',
  label: 'REST API REQUEST authorizer',
  description: 'A Lambda authorizer of type REQUEST: headers, query string, path parameters and context of the request.',
  fields: [
    methodField('GET'),
    { name: 'resource', prompt: 'Resource path as declared, with {parameters}', default: '/orders/{orderId}' },
    { name: 'path', prompt: 'Request path', default: '/orders/42' },
    queryField(''),
    { name: 'authorization', prompt: 'Authorization header value', default: `Bearer ${EXAMPLE_JWT}` },
  ],
  render: (v) => {
    const seed = 'apigw-rest-authorizer-request';
    const method = v.method as Method;
    const headers = edgeHeaders(domainOf(REST_API_ID), seed, '', JSON.stringify({ Authorization: v.authorization }));
    const query = parseQuery(v.query);
    return {
      type: 'REQUEST',
      methodArn: restMethodArn(method, v.path),
      resource: v.resource,
      path: v.path,
      httpMethod: method,
      headers,
      multiValueHeaders: multiValue(headers),
      queryStringParameters: query.single ?? {},
      multiValueQueryStringParameters: query.multi ?? {},
      pathParameters: pathParametersFor(v.resource, v.path) ?? {},
      stageVariables: {},
      requestContext: restRequestContext({ method, resource: v.resource, path: v.path, seed }),
    };
  },
});

// ---------------------------------------------------------------------------------- HTTP API and Function URLs

interface HttpRequest {
  method: Method;
  routeKey: string;
  path: string;
  query: string;
  body: string;
  headers: string;
  cookies: string;
  seed: string;
  apiId: string;
  domainName: string;
  accountId: string;
  requestId: string;
}

/** Payload format 2.0, shared by HTTP APIs and Function URLs. Header names arrive lowercased. */
function httpV2Event(request: HttpRequest): APIGatewayProxyEventV2 {
  const headers = lowercaseKeys(edgeHeaders(request.domainName, request.seed, request.body, request.headers));
  const cookies = request.cookies
    .split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
  const query = parseQuery(request.query);
  const route = request.routeKey.includes(' ') ? request.routeKey.slice(request.routeKey.indexOf(' ') + 1) : request.routeKey;
  const pathParameters = route.startsWith('/') ? pathParametersFor(route, request.path) : null;
  return {
    version: '2.0',
    routeKey: request.routeKey,
    rawPath: request.path,
    rawQueryString: request.query.replace(/^\?/, ''),
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(query.joined ? { queryStringParameters: query.joined } : {}),
    requestContext: {
      accountId: request.accountId,
      apiId: request.apiId,
      domainName: request.domainName,
      domainPrefix: request.domainName.split('.')[0]!,
      http: { method: request.method, path: request.path, protocol: 'HTTP/1.1', sourceIp: CLIENT_IP, userAgent: USER_AGENT },
      requestId: request.requestId,
      routeKey: request.routeKey,
      stage: '$default',
      time: clfTime(),
      timeEpoch: EVENT_TIME_MS,
    },
    ...(pathParameters ? { pathParameters } : {}),
    ...(request.body !== '' ? { body: request.body } : {}),
    isBase64Encoded: false,
  };
}

const httpApiFields = (method: Method, body: string) =>
  [
    methodField(method),
    { name: 'route' as const, prompt: 'Route path as declared, with {parameters}', default: '/orders/{orderId}' },
    { name: 'path' as const, prompt: 'Request path', default: '/orders/42' },
    queryField('notify=email'),
    bodyField(body),
    { name: 'cookies' as const, prompt: 'Cookies as in a Cookie header (a=1; b=2), empty for none', default: '' },
  ] as const;

function httpApiRequest(v: Readonly<Record<'method' | 'route' | 'path' | 'query' | 'body' | 'cookies', string>>, seed: string, headers = '{}'): HttpRequest {
  return {
    ...v,
    method: v.method as Method,
    routeKey: `${v.method} ${v.route}`,
    headers,
    seed,
    apiId: HTTP_API_ID,
    domainName: domainOf(HTTP_API_ID),
    accountId: ACCOUNT,
    requestId: apiGatewayRequestId(`${seed}/request`),
  };
}

const httpApi = defineTemplate({
  id: 'apigw-http',
  source: 'Amazon API Gateway',
  label: 'HTTP API request (payload 2.0)',
  description: 'A request through an HTTP API with payload format 2.0: routeKey, rawPath, cookies, lowercased headers.',
  fields: [...httpApiFields('POST', '{"item":"coffee","quantity":2}'), headersField],
  render: (v) => httpV2Event(httpApiRequest(v, 'apigw-http', v.headers)),
});

const httpApiJwt = defineTemplate({
  id: 'apigw-http-jwt',
  source: 'Amazon API Gateway',
  label: 'HTTP API request with JWT authorizer',
  description: 'An HTTP API request that passed a JWT authorizer; claims and scopes are in requestContext.authorizer.jwt.',
  fields: [
    ...httpApiFields('GET', ''),
    { name: 'subject', prompt: 'Token subject (sub claim)', default: COGNITO_SUB },
    { name: 'scopes', prompt: 'Granted scopes, space separated', default: 'orders/read orders/write' },
  ],
  render: (v): APIGatewayProxyEventV2WithJWTAuthorizer => {
    const base = httpV2Event(httpApiRequest(v, 'apigw-http-jwt', JSON.stringify({ Authorization: `Bearer ${EXAMPLE_JWT}` })));
    const scopes = v.scopes.split(/\s+/).filter(Boolean);
    return {
      ...base,
      requestContext: {
        ...base.requestContext,
        authorizer: {
          principalId: '',
          integrationLatency: 0,
          jwt: {
            claims: {
              sub: v.subject,
              iss: `https://cognito-idp.${REGION}.amazonaws.com/${COGNITO_POOL}`,
              client_id: '1example23456789',
              token_use: 'access',
              scope: scopes.join(' '),
              auth_time: EVENT_TIME_MS / 1000 - 300,
              iat: EVENT_TIME_MS / 1000 - 60,
              exp: EVENT_TIME_MS / 1000 + 3540,
            },
            scopes: scopes.length > 0 ? scopes : null,
          },
        },
      },
    };
  },
});

const httpApiAuthorizer = defineTemplate({
  id: 'apigw-http-authorizer',
  source: 'Amazon API Gateway',
  label: 'HTTP API Lambda authorizer (payload 2.0)',
  description: 'A Lambda authorizer for an HTTP API with payload format 2.0 and the Authorization header as identity source.',
  fields: [
    methodField('GET'),
    { name: 'route', prompt: 'Route path as declared, with {parameters}', default: '/orders/{orderId}' },
    { name: 'path', prompt: 'Request path', default: '/orders/42' },
    queryField(''),
    { name: 'authorization', prompt: 'Authorization header value', default: `Bearer ${EXAMPLE_JWT}` },
  ],
  render: (v) => {
    const seed = 'apigw-http-authorizer';
    const request = httpV2Event(httpApiRequest({ ...v, body: '', cookies: '' }, seed, JSON.stringify({ Authorization: v.authorization })));
    return {
      version: '2.0',
      type: 'REQUEST',
      routeArn: arn('execute-api', `${HTTP_API_ID}/$default/${v.method}${v.path}`),
      identitySource: [v.authorization],
      routeKey: request.routeKey,
      rawPath: request.rawPath,
      rawQueryString: request.rawQueryString,
      headers: request.headers,
      ...(request.queryStringParameters ? { queryStringParameters: request.queryStringParameters } : {}),
      requestContext: request.requestContext,
      ...(request.pathParameters ? { pathParameters: request.pathParameters } : {}),
    };
  },
});

const FUNCTION_URL_ID = 'a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6';

const functionUrl = defineTemplate({
  id: 'function-url',
  source: 'AWS Lambda',
  label: 'Function URL request',
  description: 'A request to a Lambda Function URL with AuthType NONE (payload 2.0, routeKey $default).',
  fields: [
    methodField('POST'),
    { name: 'path', prompt: 'Request path', default: '/orders' },
    queryField(''),
    bodyField('{"item":"coffee","quantity":2}'),
    { name: 'cookies', prompt: 'Cookies as in a Cookie header (a=1; b=2), empty for none', default: '' },
    headersField,
  ],
  render: (v) => {
    const domainName = `${FUNCTION_URL_ID}.lambda-url.${REGION}.on.aws`;
    const event = httpV2Event({
      ...v,
      method: v.method as Method,
      routeKey: '$default',
      seed: 'function-url',
      apiId: FUNCTION_URL_ID,
      domainName,
      accountId: 'anonymous', // what Lambda puts there when the URL needs no IAM auth
      requestId: stableUuid('function-url/request'),
    });
    event.headers['x-amzn-tls-version'] = 'TLSv1.3';
    event.headers['x-amzn-tls-cipher-suite'] = 'TLS_AES_128_GCM_SHA256';
    return event;
  },
});

// ----------------------------------------------------------------------------------------------- WebSocket API

const WEBSOCKET_DOMAIN = domainOf(WEBSOCKET_API_ID);
const DEFAULT_CONNECTION_ID = 'Xk2aBc3xIAMCJ9w=';
const CONNECTED_AT = EVENT_TIME_MS - 5_000;
const connectionField = { name: 'connectionId' as const, prompt: 'Connection id', default: DEFAULT_CONNECTION_ID };

function websocketContext(routeKey: string, eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT', connectionId: string, seed: string) {
  const requestId = apiGatewayRequestId(`${seed}/request`);
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: clfTime(),
    messageDirection: 'IN' as const,
    stage: REST_STAGE,
    connectedAt: eventType === 'CONNECT' ? EVENT_TIME_MS : CONNECTED_AT,
    requestTimeEpoch: EVENT_TIME_MS,
    identity: { userAgent: USER_AGENT, sourceIp: CLIENT_IP },
    requestId,
    domainName: WEBSOCKET_DOMAIN,
    connectionId,
    apiId: WEBSOCKET_API_ID,
  };
}

function websocketHandshakeHeaders(seed: string): Record<string, string> {
  return {
    Host: WEBSOCKET_DOMAIN,
    'Sec-WebSocket-Extensions': 'permessage-deflate; client_max_window_bits',
    'Sec-WebSocket-Key': stableBase64(`${seed}/key`, 16),
    'Sec-WebSocket-Version': '13',
    'User-Agent': USER_AGENT,
    'X-Amzn-Trace-Id': traceHeader(seed),
    'X-Forwarded-For': CLIENT_IP,
    'X-Forwarded-Port': '443',
    'X-Forwarded-Proto': 'https',
  };
}

const websocketConnect = defineTemplate({
  id: 'apigw-websocket-connect',
  source: 'Amazon API Gateway',
  label: 'WebSocket $connect',
  description: 'A client opens a connection to a WebSocket API: the $connect route with the handshake headers.',
  fields: [connectionField, queryField('room=lobby')],
  render: (v) => {
    const seed = 'apigw-websocket-connect';
    const headers = websocketHandshakeHeaders(seed);
    const query = parseQuery(v.query);
    return {
      headers,
      multiValueHeaders: multiValue(headers),
      ...(query.single ? { queryStringParameters: query.single, multiValueQueryStringParameters: query.multi } : {}),
      requestContext: websocketContext('$connect', 'CONNECT', v.connectionId, seed),
      isBase64Encoded: false,
    };
  },
});

const websocketMessage = defineTemplate({
  id: 'apigw-websocket-message',
  source: 'Amazon API Gateway',
  label: 'WebSocket message',
  description: 'A client sends a message; the route comes from the body\'s "action" ($request.body.action), else $default.',
  fields: [connectionField, { name: 'body', prompt: 'Message as sent by the client', default: '{"action":"sendmessage","message":"hello"}' }],
  render: (v) => {
    const seed = 'apigw-websocket-message';
    let routeKey = '$default';
    try {
      const action = (JSON.parse(v.body) as { action?: unknown }).action;
      if (typeof action === 'string' && action !== '') routeKey = action;
    } catch {
      // not JSON: API Gateway routes it to $default too
    }
    const context = websocketContext(routeKey, 'MESSAGE', v.connectionId, seed);
    return {
      requestContext: { ...context, messageId: apiGatewayRequestId(`${seed}/message`), identity: { sourceIp: CLIENT_IP } },
      body: v.body,
      isBase64Encoded: false,
    };
  },
});

const websocketDisconnect = defineTemplate({
  id: 'apigw-websocket-disconnect',
  source: 'Amazon API Gateway',
  label: 'WebSocket $disconnect',
  description: 'A connection closes: the $disconnect route with the close status code and reason.',
  fields: [
    connectionField,
    { name: 'statusCode', prompt: 'WebSocket close status code', default: '1001', kind: 'integer', min: 1000, max: 4999 },
    { name: 'reason', prompt: 'Close reason, often empty', default: 'Going away' },
  ],
  render: (v) => {
    const seed = 'apigw-websocket-disconnect';
    const headers = { Host: WEBSOCKET_DOMAIN, 'x-api-key': '', 'X-Forwarded-For': '', 'x-restapi': '' };
    return {
      headers,
      multiValueHeaders: multiValue(headers),
      requestContext: {
        ...websocketContext('$disconnect', 'DISCONNECT', v.connectionId, seed),
        disconnectStatusCode: Number(v.statusCode),
        disconnectReason: v.reason,
      },
      isBase64Encoded: false,
    };
  },
});

const websocketAuthorizer = defineTemplate({
  id: 'apigw-websocket-authorizer',
  source: 'Amazon API Gateway',
  label: 'WebSocket $connect authorizer',
  description: "A REQUEST Lambda authorizer on a WebSocket API's $connect route, before the connection is accepted.",
  fields: [connectionField, queryField('token=abc123')],
  render: (v) => {
    const seed = 'apigw-websocket-authorizer';
    const headers = websocketHandshakeHeaders(seed);
    const query = parseQuery(v.query);
    return {
      type: 'REQUEST',
      methodArn: arn('execute-api', `${WEBSOCKET_API_ID}/${REST_STAGE}/$connect`),
      headers,
      multiValueHeaders: multiValue(headers),
      queryStringParameters: query.single ?? {},
      multiValueQueryStringParameters: query.multi ?? {},
      stageVariables: {},
      requestContext: websocketContext('$connect', 'CONNECT', v.connectionId, seed),
      isBase64Encoded: false,
      body: null,
    };
  },
});

// ---------------------------------------------------------------------------------------------------------- ALB

const TARGET_GROUP_ARN = arn('elasticloadbalancing', 'targetgroup/orders-tg/6d0ecf831eec9f09');
const ALB_HOST = 'orders-alb-1234567890.us-east-1.elb.amazonaws.com';

function albHeaders(body: string, extra: string): Record<string, string> {
  return lowercaseKeys(edgeHeaders(ALB_HOST, 'alb', body, extra));
}

const alb = defineTemplate({
  id: 'alb',
  source: 'Elastic Load Balancing',
  label: 'Application Load Balancer request',
  description: 'A request forwarded by an ALB to a Lambda target group (multi-value headers off). Query values arrive still URL-encoded.',
  fields: [
    methodField('POST'),
    { name: 'path', prompt: 'Request path', default: '/orders' },
    queryField('notify=email'),
    bodyField('{"item":"coffee","quantity":2}'),
    headersField,
  ],
  render: (v): ALBEvent => ({
    requestContext: { elb: { targetGroupArn: TARGET_GROUP_ARN } },
    httpMethod: v.method,
    path: v.path,
    queryStringParameters: parseQuery(v.query, { decode: false }).single ?? {},
    headers: albHeaders(v.body, v.headers),
    body: v.body,
    isBase64Encoded: false,
  }),
});

const albMultiValue = defineTemplate({
  id: 'alb-multi-value',
  source: 'Elastic Load Balancing',
  label: 'ALB request with multi-value headers',
  description: 'A request forwarded by an ALB whose target group has multi-value headers on: every header and query value is a list.',
  fields: [
    methodField('GET'),
    { name: 'path', prompt: 'Request path', default: '/orders' },
    queryField('status=open&status=paid'),
    bodyField(''),
    headersField,
  ],
  render: (v): ALBEvent => ({
    requestContext: { elb: { targetGroupArn: TARGET_GROUP_ARN } },
    httpMethod: v.method,
    path: v.path,
    multiValueQueryStringParameters: parseQuery(v.query, { decode: false }).multi ?? {},
    multiValueHeaders: multiValue(albHeaders(v.body, v.headers)),
    body: v.body,
    isBase64Encoded: false,
  }),
});

// ------------------------------------------------------------------------------------------------- VPC Lattice

const vpcLattice = defineTemplate({
  id: 'vpc-lattice',
  source: 'Amazon VPC Lattice',
  label: 'VPC Lattice request (v2)',
  description: 'A request from a VPC Lattice service to a Lambda target group (event structure version 2).',
  fields: [methodField('GET'), { name: 'path', prompt: 'Request path', default: '/orders/42' }, queryField('notify=email'), bodyField('')],
  render: (v) => {
    const query = parseQuery(v.query);
    return {
      version: '2.0',
      path: v.path,
      method: v.method,
      headers: {
        'user-agent': USER_AGENT,
        'x-forwarded-for': '10.0.1.24',
        host: 'orders-0a1b2c3d4e5f6a7b8.7d67968.vpc-lattice-svcs.us-east-1.on.aws',
        ...(v.body !== '' ? { 'content-type': looksLikeJson(v.body) ? 'application/json' : 'text/plain' } : {}),
      },
      ...(query.joined ? { queryStringParameters: query.joined } : {}),
      body: v.body,
      isBase64Encoded: false,
      requestContext: {
        serviceNetworkArn: arn('vpc-lattice', 'servicenetwork/sn-0bf3f2882e9cc805a'),
        serviceArn: arn('vpc-lattice', 'service/svc-0a40eebed65f8d69c'),
        targetGroupArn: arn('vpc-lattice', 'targetgroup/tg-6d0ecf831eec9f09'),
        identity: {
          sourceVpcArn: arn('ec2', 'vpc/vpc-0b8276c84697e7339'),
          type: 'AWS_IAM',
          principal: `arn:aws:sts::${ACCOUNT}:assumed-role/orders-client/i-0c7de02a688bde9f7`,
          principalOrgId: 'o-1a2b3c4d5e',
          sessionName: 'i-0c7de02a688bde9f7',
        },
        region: REGION,
        timeEpoch: `${EVENT_TIME_MS}000`, // microseconds, as a string
      },
    };
  },
});

export const httpTemplates: EventTemplate[] = [
  restProxy,
  restProxyCognito,
  restTokenAuthorizer,
  restRequestAuthorizer,
  httpApi,
  httpApiJwt,
  httpApiAuthorizer,
  websocketConnect,
  websocketMessage,
  websocketDisconnect,
  websocketAuthorizer,
  alb,
  albMultiValue,
  functionUrl,
  vpcLattice,
];

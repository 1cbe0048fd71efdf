// The HTTP routes a definition file declares for a function, as HttpEvents on the Function model: SAM `Api` and
// `HttpApi` events and `FunctionUrlConfig`, serverless.yml `http`, `httpApi` and `url`. Kept apart from template.ts
// and serverless.ts (which each call one function here) so reading routes does not tangle with reading functions,
// and so the gateway (runner/gateway/) gets one shape whatever the source.
//
// What is read, and the defaults SAM and the Serverless Framework apply:
//   SAM Api       Path, Method, RestApiId (!Ref to an AWS::Serverless::Api: its StageName and BinaryMediaTypes,
//                 Globals.Api's otherwise); the implicit API is ServerlessRestApi, stage "Prod". Payload 1.0.
//   SAM HttpApi   Path, Method (no Properties: the $default route), ApiId, PayloadFormatVersion (default "2.0");
//                 the implicit API is ServerlessHttpApi, stage "$default".
//   FunctionUrlConfig   one URL per function, payload 2.0; InvokeMode (RESPONSE_STREAM streams the body).
//   serverless.yml  http: "GET hello" | { method, path } (stage: provider.stage or "dev"; payload 1.0),
//                 httpApi: "*" | "GET /x" | { method, path } (payload provider.httpApi.payload or "2.0"), url: true | { invokeMode }.
// CORS (applied by runner/gateway/cors.ts):
//   SAM Api       the API's (or Globals.Api's) Cors: "'origin'" or { AllowOrigin, AllowMethods, AllowHeaders, MaxAge,
//                 AllowCredentials }, values quoted as API Gateway header mappings ("'GET,POST'").
//   SAM HttpApi   CorsConfiguration: true (every origin, header and method) or { AllowOrigins, AllowMethods,
//                 AllowHeaders, ExposeHeaders, MaxAge, AllowCredentials }.
//   FunctionUrlConfig.Cors   the same fields as HttpApi's.
//   serverless.yml  http: { cors: true | { origin, origins, headers, methods, allowCredentials, maxAge } };
//                 provider.httpApi.cors and url.cors: true | { allowedOrigins, allowedHeaders, allowedMethods,
//                 allowCredentials, exposedResponseHeaders, maxAge }; `true` takes the framework's defaults.
// Routes from raw CloudFormation API resources and OpenAPI definitions: api-resources.ts. Auth (authorizers, AWS_IAM,
// API keys) is read by runner/gateway/auth/config.ts.
import type { FunctionSpec, HttpAuth, HttpCors, HttpEvent } from './model.ts';
import { asRecord, intrinsicOf } from './intrinsics.ts';
import { samRouteAuth, serverlessApiKeys, serverlessHttpAuth, serverlessRestAuth, templateApiKeys } from '../gateway/auth/config.ts';

type Resolve = (value: unknown) => unknown;

/** The function with its HTTP events, or as it is when it has none (the field stays absent). */
export function withHttpEvents(fn: FunctionSpec, events: HttpEvent[] | undefined): FunctionSpec {
  return events ? { ...fn, httpEvents: events } : fn;
}

/** The HTTP events of one SAM / CloudFormation function resource (its plain, unresolved mapping). */
export function samHttpEvents(name: string, resource: Record<string, unknown>, template: Record<string, unknown>, resolve: Resolve): HttpEvent[] | undefined {
  const properties = asRecord(resource.Properties);
  const resources = asRecord(template.Resources);
  const globals = asRecord(template.Globals);
  const events: HttpEvent[] = [];
  let apiKeys: string[] | undefined;
  const keys = () => (apiKeys ??= templateApiKeys(resources, resolve));
  for (const raw of Object.values(asRecord(properties.Events))) {
    const event = asRecord(raw);
    const type = resolve(event.Type);
    const props = asRecord(resolve(event.Properties ?? {}));
    if (type === 'Api') {
      const api = referencedApi(asRecord(raw).Properties, 'RestApiId', resources) ?? 'ServerlessRestApi';
      const apiProps = { ...asRecord(globals.Api), ...asRecord(resolve(asRecord(resources[api]).Properties)) };
      events.push({
        kind: 'rest',
        method: methodOf(props.Method),
        path: pathOf(props.Path),
        payloadVersion: '1.0',
        api,
        stage: text(apiProps.StageName) ?? 'Prod',
        binaryMediaTypes: listOf(apiProps.BinaryMediaTypes).map((t) => t.replaceAll('~1', '/')),
        ...corsField(samRestCors(resolve(apiProps.Cors))),
        ...authField(samRouteAuth('rest', resolve(apiProps.Auth), props.Auth, keys())),
        line: 0,
      });
    } else if (type === 'HttpApi') {
      const api = referencedApi(asRecord(raw).Properties, 'ApiId', resources) ?? 'ServerlessHttpApi';
      const apiProps = { ...asRecord(globals.HttpApi), ...asRecord(resolve(asRecord(resources[api]).Properties)) };
      const path = props.Path === undefined ? '$default' : pathOf(props.Path);
      events.push({
        kind: 'http',
        method: path === '$default' ? 'ANY' : methodOf(props.Method),
        path,
        payloadVersion: text(props.PayloadFormatVersion) === '1.0' ? '1.0' : '2.0',
        api,
        stage: text(apiProps.StageName) ?? '$default',
        binaryMediaTypes: [],
        ...corsField(listCors(resolve(apiProps.CorsConfiguration), PASCAL, ALLOW_ALL)),
        ...authField(samRouteAuth('http', resolve(apiProps.Auth), props.Auth, [])),
        line: 0,
      });
    }
  }
  if (properties.FunctionUrlConfig !== undefined) {
    const config = asRecord(resolve(properties.FunctionUrlConfig));
    events.push(functionUrl(name, text(config.InvokeMode), listCors(config.Cors, PASCAL, ALLOW_ALL)));
  }
  return events.length ? events : undefined;
}

/** The HTTP events of one serverless.yml function, from its resolved `events` list and `url`. */
export function serverlessHttpEvents(name: string, eventList: unknown, url: unknown, provider: Record<string, unknown>): HttpEvent[] | undefined {
  const stage = text(provider.stage) ?? 'dev';
  const httpPayload = text(asRecord(provider.httpApi).payload) === '1.0' ? '1.0' : '2.0';
  const binaryMediaTypes = listOf(asRecord(provider.apiGateway).binaryMediaTypes);
  const httpCors = listCors(asRecord(provider.httpApi).cors, CAMEL, SERVERLESS_DEFAULTS);
  const apiKeys = serverlessApiKeys(provider);
  const events: HttpEvent[] = [];
  for (const item of Array.isArray(eventList) ? eventList : []) {
    const entry = asRecord(item);
    if (entry.http !== undefined) {
      const { method, path } = methodAndPath(entry.http);
      const cors = serverlessRestCors(asRecord(entry.http).cors);
      const auth = serverlessRestAuth(asRecord(entry.http), apiKeys);
      events.push({
        kind: 'rest',
        method,
        path,
        payloadVersion: '1.0',
        api: 'ApiGatewayRestApi',
        stage,
        binaryMediaTypes,
        ...corsField(cors),
        ...authField(auth),
        line: 0,
      });
    } else if (entry.httpApi !== undefined) {
      const { method, path } = entry.httpApi === '*' ? { method: 'ANY', path: '$default' } : methodAndPath(entry.httpApi);
      const auth = serverlessHttpAuth(asRecord(entry.httpApi), provider);
      events.push({
        kind: 'http',
        method,
        path,
        payloadVersion: httpPayload,
        api: 'HttpApi',
        stage: '$default',
        binaryMediaTypes: [],
        ...corsField(httpCors),
        ...authField(auth),
        line: 0,
      });
    }
  }
  if (url !== undefined && url !== false && url !== null)
    events.push(functionUrl(name, text(asRecord(url).invokeMode), listCors(asRecord(url).cors, CAMEL, SERVERLESS_DEFAULTS)));
  return events.length ? events : undefined;
}

export function functionUrl(name: string, invokeMode: string | undefined, cors: HttpCors | undefined): HttpEvent {
  const event: HttpEvent = {
    kind: 'url',
    method: 'ANY',
    path: '/{proxy+}',
    payloadVersion: '2.0',
    api: name,
    stage: '$default',
    binaryMediaTypes: [],
    ...corsField(cors),
    line: 0,
  };
  if (invokeMode?.toUpperCase() === 'RESPONSE_STREAM') event.invokeMode = 'RESPONSE_STREAM';
  return event;
}

/** `"GET /hello"` or `{ method, path }`, as serverless.yml writes an event. */
function methodAndPath(value: unknown): { method: string; path: string } {
  if (typeof value === 'string') {
    const [method, path] = value.trim().split(/\s+/, 2);
    return path === undefined ? { method: 'ANY', path: pathOf(method) } : { method: methodOf(method), path: pathOf(path) };
  }
  const record = asRecord(value);
  return { method: methodOf(record.method), path: pathOf(record.path) };
}

/** The logical id a `!Ref Api` (or `{ Ref: Api }`) names, when it is a resource of this template. */
function referencedApi(props: unknown, key: string, resources: Record<string, unknown>): string | undefined {
  const ref = intrinsicOf(asRecord(props)[key]);
  const id = ref?.name === 'Ref' && typeof ref.arg === 'string' ? ref.arg : undefined;
  return id && id in resources ? id : undefined;
}

/** Upper case; SAM's `any` and the framework's `*` are API Gateway's ANY. */
function methodOf(value: unknown): string {
  const method = (text(value) ?? 'ANY').toUpperCase();
  return method === '*' ? 'ANY' : method;
}

/** A leading slash always (the framework writes `hello/{id}`), no trailing one except for the root. */
function pathOf(value: unknown): string {
  const raw = text(value) ?? '/';
  const path = raw.startsWith('/') ? raw : `/${raw}`;
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function text(value: unknown): string | undefined {
  // An Unresolved value (a parameter without a value) counts as absent: the default applies.
  return typeof value === 'string' && value !== '' ? value : typeof value === 'number' ? String(value) : undefined;
}

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** `{ cors }` when there is one, nothing otherwise (the field stays absent). */
function corsField(cors: HttpCors | undefined): { cors?: HttpCors } {
  return cors ? { cors } : {};
}

/** `{ auth }` when the route has any, nothing otherwise. */
function authField(auth: HttpAuth | undefined): { auth?: HttpAuth } {
  return auth ? { auth } : {};
}

const noCors = (): HttpCors => ({ allowOrigins: [], allowMethods: [], allowHeaders: [], exposeHeaders: [], allowCredentials: false });

/** "'GET,POST'" -> ["GET", "POST"]: SAM's REST values are quoted for API Gateway's header mappings. */
function quotedList(value: unknown): string[] {
  const raw = text(value);
  if (raw === undefined) return [];
  return raw
    .replace(/^'(.*)'$/s, '$1')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** SAM `Cors` of a REST API: a string (the allowed origin) or an object of quoted strings. */
function samRestCors(value: unknown): HttpCors | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (typeof value === 'string') return { ...noCors(), allowOrigins: quotedList(value) };
  const record = asRecord(value);
  const maxAge = Number(quotedList(record.MaxAge)[0]);
  return {
    allowOrigins: quotedList(record.AllowOrigin),
    allowMethods: quotedList(record.AllowMethods),
    allowHeaders: quotedList(record.AllowHeaders),
    exposeHeaders: [],
    ...(Number.isInteger(maxAge) ? { maxAge } : {}),
    allowCredentials: record.AllowCredentials === true,
  };
}

/** Field names of a list-shaped CORS configuration: SAM / CloudFormation's, and serverless.yml's. */
export const PASCAL = {
  origins: 'AllowOrigins',
  methods: 'AllowMethods',
  headers: 'AllowHeaders',
  expose: 'ExposeHeaders',
  maxAge: 'MaxAge',
  credentials: 'AllowCredentials',
};
const CAMEL = {
  origins: 'allowedOrigins',
  methods: 'allowedMethods',
  headers: 'allowedHeaders',
  expose: 'exposedResponseHeaders',
  maxAge: 'maxAge',
  credentials: 'allowCredentials',
};
/** An OpenAPI definition's x-amazon-apigateway-cors. */
export const CAMEL_OPENAPI = {
  origins: 'allowOrigins',
  methods: 'allowMethods',
  headers: 'allowHeaders',
  expose: 'exposeHeaders',
  maxAge: 'maxAge',
  credentials: 'allowCredentials',
};
/** SAM's `CorsConfiguration: true`: every origin, header and method. */
export const ALLOW_ALL: HttpCors = { ...noCors(), allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: ['*'] };
/** The Serverless Framework's `cors: true`. */
const SERVERLESS_HEADERS = ['Content-Type', 'X-Amz-Date', 'Authorization', 'X-Api-Key', 'X-Amz-Security-Token', 'X-Amz-User-Agent', 'X-Amzn-Trace-Id'];
const SERVERLESS_DEFAULTS: HttpCors = { ...noCors(), allowOrigins: ['*'], allowMethods: ['*'], allowHeaders: SERVERLESS_HEADERS };

/** HTTP API / Function URL CORS: `true` (the defaults) or an object of lists. */
export function listCors(value: unknown, names: typeof PASCAL, whenTrue: HttpCors): HttpCors | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  if (value === true) return { ...whenTrue };
  const record = asRecord(value);
  const maxAge = Number(record[names.maxAge]);
  return {
    allowOrigins: listOf(record[names.origins]),
    allowMethods: listOf(record[names.methods]).map((m) => m.toUpperCase()),
    allowHeaders: listOf(record[names.headers]),
    exposeHeaders: listOf(record[names.expose]),
    ...(record[names.maxAge] !== undefined && Number.isInteger(maxAge) ? { maxAge } : {}),
    allowCredentials: record[names.credentials] === true,
  };
}

/** serverless.yml `http: { cors }`: true, or { origin, origins, headers, methods, allowCredentials, maxAge }. */
function serverlessRestCors(value: unknown): HttpCors | undefined {
  if (value === undefined || value === null || value === false) return undefined;
  // No methods: the preflight allows those declared at the path, as the framework does.
  const methods: string[] = [];
  if (value === true) return { ...noCors(), allowOrigins: ['*'], allowMethods: methods, allowHeaders: SERVERLESS_HEADERS };
  const record = asRecord(value);
  const origins = [...listOf(record.origins), ...(text(record.origin) ? [text(record.origin)!] : [])];
  const maxAge = Number(record.maxAge);
  return {
    allowOrigins: origins.length ? origins : ['*'],
    allowMethods: listOf(record.methods).length ? listOf(record.methods) : methods,
    allowHeaders: record.headers === undefined ? SERVERLESS_HEADERS : listOf(record.headers),
    exposeHeaders: [],
    ...(record.maxAge !== undefined && Number.isInteger(maxAge) ? { maxAge } : {}),
    allowCredentials: record.allowCredentials === true,
  };
}

// The one Function model. Every discovery source (template.yaml, serverless.yml, a lone handler file,
// the local control plane) produces this shape, and everything else consumes it.
import { z } from 'zod';
import { DurableSettings } from '../durable/config.ts';

/** The account id local ARNs carry (Lambda's documentation example account). ARNs themselves: ./arns.ts. */
export const LOCAL_ACCOUNT = '123456789012';

/**
 * The name the function has in Lambda, as its code sees it (AWS_LAMBDA_FUNCTION_NAME, its log group, its ARN): the
 * FunctionName its template declares (or the Serverless Framework's deployed name), else its logical id, as SAM names it.
 */
export function deployedName(fn: Pick<FunctionSpec, 'name' | 'functionName' | 'logicalId'>): string {
  return fn.functionName ?? fn.logicalId ?? fn.name;
}

export const NODE_RUNTIMES = ['nodejs16.x', 'nodejs18.x', 'nodejs20.x', 'nodejs22.x', 'nodejs24.x'] as const;
export const PYTHON_RUNTIMES = ['python3.8', 'python3.9', 'python3.10', 'python3.11', 'python3.12', 'python3.13', 'python3.14'] as const;
export const PROVIDED_RUNTIMES = ['provided.al2023', 'provided.al2', 'provided'] as const;
export const RUNTIMES = [...NODE_RUNTIMES, ...PYTHON_RUNTIMES, ...PROVIDED_RUNTIMES, 'wasi'] as const;

/**
 * Runtimes Lambda has deprecated, with the day it did. Lambda still runs existing functions on them (it only stops
 * creating, then updating, them), so a template naming one runs here too, with a notice in the function's log.
 */
export const DEPRECATED_RUNTIMES: Partial<Record<string, string>> = {
  'nodejs16.x': '2024-06-12',
  'nodejs18.x': '2025-09-01',
  'nodejs20.x': '2026-04-30',
  'python3.8': '2024-10-14',
  'python3.9': '2025-12-15',
  provided: '2023-12-31',
};

export const Runtime = z.enum(RUNTIMES);
export type Runtime = z.infer<typeof Runtime>;

export const Architecture = z.enum(['x86_64', 'arm64']);
export type Architecture = z.infer<typeof Architecture>;

/** Where a function was defined, so errors and CodeLenses can point at it. */
export const SourceLocation = z.object({
  file: z.string(),
  line: z.number().int().nonnegative(), // 1-based; 0 when unknown
});

/**
 * Who serves a capability granted to a component (key-value, config, messaging): `local`, built into the runner
 * (SQLite under .open-runtime/, the template's values, other local functions), or `exec`, a long-lived program
 * speaking runner/runtimes/wasi/capabilities/PROVIDERS.md. Swapping one for the other needs no rebuild.
 */
export const CapabilityProvider = z.object({
  provider: z.enum(['local', 'exec']).default('local'),
  /** exec: the program and its arguments; relative paths resolve against CodeUri. */
  command: z.array(z.string()).optional(),
  /** exec: the longest one call may take (within the invocation's time left); then the program is restarted. */
  timeoutMs: z.number().int().positive().default(5000),
});
export type CapabilityProvider = z.infer<typeof CapabilityProvider>;

/** Settings of a WASI 0.2 component function (runtime `wasi`); `handler` is the .wasm path relative to codeUri. */
export const ComponentSettings = z.object({
  /** `handler`: the project's handler world; `http`: a wasi:http/proxy component fed API Gateway / Function URL events. */
  world: z.enum(['handler', 'http']).default('handler'),
  /** Reuse one instance across invocations (state leaks between calls): an explicit opt-in. */
  reuseInstance: z.boolean().default(false),
  /** Host directories the guest may see, and where. Nothing else of the filesystem is visible. */
  preopens: z.array(z.object({ host: z.string(), guest: z.string(), readOnly: z.boolean().default(true) })).default([]),
  /** Hosts the guest may reach over outgoing HTTP; everything else is refused. */
  allowedHosts: z.array(z.string()).default([]),
  /** Key-value stores (wasi:keyvalue) the guest may open, by the name it opens them with, and who serves each. */
  keyValue: z.record(z.string(), CapabilityProvider).default({}),
  /** Configuration (wasi:config/store): values from the template and an env file, or a provider's. */
  config: z
    .object({
      ...CapabilityProvider.shape,
      values: z.record(z.string(), z.string()).default({}),
      /** A KEY=value file relative to CodeUri; the template's values win over it. */
      envFile: z.string().optional(),
    })
    .optional(),
  /** Messaging (wasmcloud:messaging/consumer): subjects and the local function each one invokes, or a provider. */
  messaging: z
    .object({
      ...CapabilityProvider.shape,
      subjects: z.record(z.string(), z.string()).default({}),
    })
    .optional(),
  /** How `open-runtime build` makes the .wasm from source. */
  build: z
    .object({
      language: z.enum(['js', 'c']),
      source: z.string(),
      backend: z.enum(['starlingmonkey', 'quickjs']).optional(),
    })
    .optional(),
});
export type ComponentSettings = z.infer<typeof ComponentSettings>;

/** Where an asynchronous invocation's record goes: a local function, or a service that only exists in AWS. */
export const Destination = z.object({
  type: z.enum(['Lambda', 'SQS', 'SNS', 'EventBridge', 'S3']),
  /** For Lambda: the function's name when the template defines it, else its ARN. For the rest: the ARN or logical id. */
  target: z.string().min(1),
});
export type Destination = z.infer<typeof Destination>;

/**
 * How Lambda handles the function's asynchronous (Event) invocations: SAM's EventInvokeConfig, CloudFormation's
 * AWS::Lambda::EventInvokeConfig and DeadLetterQueue/DeadLetterConfig, serverless.yml's maximumRetryAttempts,
 * maximumEventAge, destinations and onError. Absent: Lambda's defaults (2 retries, 6 hours, no destination).
 */
export const EventInvokeSettings = z.object({
  /** Retries after a failed attempt: 0 to 2. */
  maximumRetryAttempts: z.number().int().min(0).max(2).default(2),
  /** How long an event may wait, retries included: 60 to 21600 seconds. */
  maximumEventAgeSeconds: z.number().int().min(60).max(21600).default(21600),
  onSuccess: Destination.optional(),
  onFailure: Destination.optional(),
  /** A dead-letter queue (SQS or SNS): gets the event itself once every attempt failed. */
  deadLetter: Destination.optional(),
});
export type EventInvokeSettings = z.infer<typeof EventInvokeSettings>;

/**
 * The CORS an API (or a Function URL) is configured with, in one shape whatever the source: SAM `Cors` (REST),
 * `CorsConfiguration` (HTTP API), `FunctionUrlConfig.Cors`, serverless.yml `cors`. Empty lists mean "not set";
 * runner/gateway/cors.ts applies it as AWS does.
 */
export const HttpCors = z.object({
  allowOrigins: z.array(z.string()).default([]),
  allowMethods: z.array(z.string()).default([]),
  allowHeaders: z.array(z.string()).default([]),
  exposeHeaders: z.array(z.string()).default([]),
  /** Seconds. */
  maxAge: z.number().int().optional(),
  allowCredentials: z.boolean().default(false),
});
export type HttpCors = z.infer<typeof HttpCors>;

/**
 * Who may call an HTTP route, in one shape whatever the source (SAM `Auth`, serverless.yml `authorizer` / `private`),
 * read by runner/gateway/auth/config.ts and enforced by runner/gateway/auth/ as API Gateway enforces it.
 */
export const HttpAuthorizer = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('lambda'),
    /** The authorizer's name in the definition file, for the route table and the log. */
    name: z.string(),
    /** The local function that decides. */
    function: z.string(),
    /** REST: TOKEN or REQUEST; HTTP API: REQUEST with payload 1.0 or 2.0. */
    payload: z.enum(['TOKEN', 'REQUEST']),
    payloadVersion: z.enum(['1.0', '2.0']).default('1.0'),
    /** AWS notation: `method.request.header.Authorization` (REST), `$request.header.Authorization` (HTTP API). */
    identitySources: z.array(z.string()).default([]),
    /** Seconds a result is reused for the same identity values; 0: every request asks the authorizer. */
    ttlSeconds: z.number().int().min(0).max(3600).default(300),
    /** REST TOKEN: a regular expression the token must match, or 401 without calling the authorizer. */
    validationExpression: z.string().optional(),
    /** HTTP API payload 2.0: the authorizer answers { isAuthorized, context } instead of an IAM policy. */
    simpleResponses: z.boolean().default(false),
  }),
  z.object({
    type: z.literal('jwt'),
    name: z.string(),
    issuer: z.string(),
    /** Accepted `aud` (or `client_id`) values. */
    audience: z.array(z.string()).default([]),
    identitySource: z.string().default('$request.header.Authorization'),
  }),
  z.object({
    /** REST COGNITO_USER_POOLS (SAM `UserPoolArn`, serverless `type: COGNITO_USER_POOLS`): the pool's ID or access tokens. */
    type: z.literal('cognito'),
    name: z.string(),
    /** `https://cognito-idp.<region>.amazonaws.com/<poolId>`, one per user pool the authorizer accepts. */
    issuers: z.array(z.string()).min(1),
    identitySource: z.string().default('method.request.header.Authorization'),
  }),
]);
export type HttpAuthorizer = z.infer<typeof HttpAuthorizer>;

export const HttpAuth = z.object({
  authorizer: HttpAuthorizer.optional(),
  /** `AWS_IAM`: requests must be signed with SigV4. */
  iam: z.boolean().default(false),
  /** REST: requests need a valid `x-api-key`. */
  apiKeyRequired: z.boolean().default(false),
  /** The API keys the definition file declares values for (AWS::ApiGateway::ApiKey, provider.apiGateway.apiKeys). */
  apiKeys: z.array(z.string()).default([]),
  /** JWT: scopes the route needs (any one of them). */
  scopes: z.array(z.string()).default([]),
  /** REST: the authorizer of the CORS preflight (OPTIONS) at this path: SAM gives it the API's DefaultAuthorizer unless AddDefaultAuthorizerToCorsPreflight is false. */
  preflightAuthorizer: HttpAuthorizer.optional(),
  /** An authorizer the route names that the gateway can't apply (Cognito user pools, a missing definition): why, for the route table. */
  unchecked: z.string().optional(),
});
export type HttpAuth = z.infer<typeof HttpAuth>;

/**
 * One HTTP route the definition file declares for a function (SAM `Api` / `HttpApi` events, `FunctionUrlConfig`,
 * serverless.yml `http` / `httpApi` / `url`), read by runner/functions/http-events.ts and served by runner/gateway/.
 */
export const HttpEvent = z.object({
  /** `rest`: API Gateway REST API; `http`: HTTP API; `url`: Lambda Function URL. */
  kind: z.enum(['rest', 'http', 'url']),
  /** Upper case, or `ANY`. */
  method: z.string(),
  /** `/orders/{id}`, `/{proxy+}`, or `$default` (HTTP API). */
  path: z.string(),
  payloadVersion: z.enum(['1.0', '2.0']),
  /** The API's logical id (`ServerlessRestApi` / `ServerlessHttpApi` when implicit); the function's name for a URL. */
  api: z.string(),
  stage: z.string(),
  /** REST only: request/response content types passed base64-encoded (`image/png`, `image/*`, `*\/*`). */
  binaryMediaTypes: z.array(z.string()).default([]),
  /** Function URLs: `RESPONSE_STREAM` sends the body to the caller as the function writes it. Absent: BUFFERED. */
  invokeMode: z.enum(['BUFFERED', 'RESPONSE_STREAM']).optional(),
  /** The API's CORS configuration; absent when it configures none (the function answers for itself). */
  cors: HttpCors.optional(),
  /** A route whose integration is not a Lambda proxy (mock, http, an AWS service): why the gateway answers it with 501. */
  notEmulated: z.string().optional(),
  /** Authorizer, AWS_IAM and API key of the route; absent when anyone may call it. */
  auth: HttpAuth.optional(),
  line: z.number().int().nonnegative().default(0),
});
export type HttpEvent = z.infer<typeof HttpEvent>;

/**
 * One route of a WebSocket API that leads to a function (CloudFormation `AWS::ApiGatewayV2::Route` of a `WEBSOCKET`
 * API, serverless.yml `websocket` events), read by runner/functions/websocket-events.ts and served by
 * runner/gateway/websocket.ts.
 */
export const WebSocketEvent = z.object({
  /** The API's logical id (`WebsocketsApi` for serverless.yml). */
  api: z.string(),
  /** `$connect`, `$disconnect`, `$default`, or the value the route selection expression picks (`sendmessage`). */
  routeKey: z.string(),
  stage: z.string(),
  /** `$request.body.action` by default. */
  routeSelectionExpression: z.string(),
  /** A two-way route (it has a route response): the function's response body goes back to the client. */
  twoWay: z.boolean().default(false),
  /**
   * $connect only: a Lambda REQUEST authorizer (AuthorizationType CUSTOM). WebSocket APIs cache no authorizer answers.
   * `function` is the name the definition gives (local name or FunctionName); the gateway finds the function by it.
   */
  authorizer: z
    .object({
      name: z.string(),
      function: z.string(),
      /** `route.request.header.Auth`, `route.request.querystring.token`, `stageVariables.x`, `context.x`. */
      identitySources: z.array(z.string()).default([]),
    })
    .optional(),
  /** $connect only: AuthorizationType AWS_IAM, the upgrade request must be SigV4-signed (a header or a presigned URL). */
  iam: z.boolean().optional(),
  /** $connect only: an authorization the gateway can't apply (an authorizer it can't find): why, for the route table. */
  unchecked: z.string().optional(),
});
export type WebSocketEvent = z.infer<typeof WebSocketEvent>;

/** One condition of an ALB listener rule; its values are OR-ed, a rule's conditions AND-ed (runner/gateway/alb.ts). */
export const AlbCondition = z.object({
  field: z.enum(['path-pattern', 'http-request-method', 'host-header', 'query-string', 'http-header', 'source-ip']),
  /** Patterns (`*` any characters, `?` one), methods, CIDRs or header values. */
  values: z.array(z.string()).default([]),
  /** http-header: the header's name. */
  headerName: z.string().optional(),
  /** query-string: key/value patterns; no key matches any key. */
  pairs: z.array(z.object({ key: z.string().optional(), value: z.string() })).optional(),
});
export type AlbCondition = z.infer<typeof AlbCondition>;

/** A listener rule's authenticate-oidc / authenticate-cognito action: who would log the user in on AWS. */
export const AlbAuthenticate = z.object({
  type: z.enum(['authenticate-oidc', 'authenticate-cognito']),
  /** The OIDC Issuer, or the Cognito pool's issuer (https://cognito-idp.<region>.amazonaws.com/<poolId>), when known. */
  issuer: z.string().optional(),
  /** The OIDC ClientId or the Cognito UserPoolClientId, when known. */
  clientId: z.string().optional(),
});
export type AlbAuthenticate = z.infer<typeof AlbAuthenticate>;

/**
 * An Application Load Balancer listener rule (or a listener's default action) forwarding to a target group whose
 * target is the function: CloudFormation's AWS::ElasticLoadBalancingV2::* or serverless.yml `alb` events.
 */
export const AlbRule = z.object({
  /** The listener: its logical id, or the listenerArn a serverless.yml event names. Each is served on its own port. */
  listener: z.string(),
  /** 1 to 50000, lowest first; a listener's default action comes after every rule (50001). */
  priority: z.number().int().min(1).max(50001),
  conditions: z.array(AlbCondition).default([]),
  targetGroupArn: z.string(),
  /** The target group's lambda.multi_value_headers.enabled: multiValueHeaders / multiValueQueryStringParameters. */
  multiValueHeaders: z.boolean().default(false),
  /**
   * A forward to several target groups (ForwardConfig.TargetGroups): this group's Weight (0 to 999). The listener's
   * targets with the same priority share the rule's requests by weight (runner/gateway/alb-routing.ts pickByWeight).
   */
  weight: z.number().int().min(0).max(999).optional(),
  /** The rule's authenticate-oidc / authenticate-cognito action, which can't log in locally (served without it). */
  authenticate: AlbAuthenticate.optional(),
});
export type AlbRule = z.infer<typeof AlbRule>;

/**
 * What a listener answers itself, with no target: a rule's or a default action's RedirectConfig or
 * FixedResponseConfig. Redirect parts keep ALB's placeholders (#{protocol}, #{host}, #{port}, #{path}, #{query}),
 * filled per request (runner/gateway/alb-routing.ts).
 */
export const AlbAction = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('redirect'),
    /** `HTTP`, `HTTPS` or `#{protocol}`. */
    protocol: z.string().default('#{protocol}'),
    host: z.string().default('#{host}'),
    port: z.string().default('#{port}'),
    /** Absolute, starting with "/". */
    path: z.string().default('/#{path}'),
    /** Without the "?". */
    query: z.string().default('#{query}'),
    statusCode: z.union([z.literal(301), z.literal(302)]),
  }),
  z.object({ type: z.literal('fixed-response'), status: z.number().int(), contentType: z.string().optional(), body: z.string().default('') }),
]);
export type AlbAction = z.infer<typeof AlbAction>;

/** A listener rule (or default action, priority 50001) whose action is a redirect or a fixed response. */
export const AlbActionRule = z.object({
  listener: z.string(),
  priority: z.number().int().min(1).max(50001),
  conditions: z.array(AlbCondition).default([]),
  action: AlbAction,
  /** The rule's (or listener's) logical id, for messages. */
  id: z.string(),
  /** An authenticate-oidc / -cognito action before it, served without logging in. */
  authenticate: AlbAuthenticate.optional(),
});
export type AlbActionRule = z.infer<typeof AlbActionRule>;

export const FunctionSpec = z.object({
  /** Logical name: the template's resource id, the serverless.yml key, or the file stem. */
  name: z
    .string()
    .min(1)
    .max(140)
    .regex(/^[A-Za-z0-9_\-.]+$/, 'letters, digits, - _ . only')
    .refine((n) => n !== '.' && n !== '..', 'not "." or ".."'),
  runtime: Runtime,
  /** `file.export` for Node/Python, ignored by provided runtimes (passed as _HANDLER). */
  handler: z.string().default(''),
  /** Absolute directory holding the code (LAMBDA_TASK_ROOT). */
  codeUri: z.string(),
  architecture: Architecture.default('x86_64'),
  memorySize: z.number().int().min(128).max(10240).default(128),
  /** Seconds; Lambda's default is 3 and its maximum 900. */
  timeout: z.number().positive().max(900).default(3),
  environment: z.record(z.string(), z.string()).default({}),
  /** DurableConfig: the function runs as a durable execution (runner/durable/), checkpointing and replaying. */
  durable: DurableSettings.optional(),
  /** Per-function concurrency cap; callers beyond it get 429 TooManyRequestsException. */
  concurrency: z.number().int().min(1).max(1000).default(10),
  /** Which Node runtime client runs the handler. */
  runtimeClient: z.enum(['open-runtime', 'aws-lambda-ric']).default('open-runtime'),
  /** Directories whose `extensions/` executables start with each environment (local layers). */
  layers: z.array(z.string()).default([]),
  /** Published layer versions' ARNs (arn:aws:lambda:...:layer:NAME:N): fetched at a cold start (functions/layer-fetch.ts). */
  layerArns: z.array(z.string()).optional(),
  /** With published layers among them, every layer (folder or ARN) in declared order: later ones win at /opt, as in Lambda. */
  layerOrder: z.array(z.string()).optional(),
  /** Names of runner-level middlewares, in declared order. */
  middlewares: z.array(z.string()).default([]),
  /**
   * Deployed to the local control plane: it runs as on Lambda, its package and layers only. The runner's own chain
   * does not run around it (on Lambda, SLSMIDDLEWARES means something only to the Open Runtime layer's proxy).
   */
  deployed: z.boolean().optional(),
  /** `$LATEST`, or the number of a version published to the local control plane. */
  version: z.string().default('$LATEST'),
  /**
   * TenancyConfig.TenantIsolationMode: `PER_TENANT` functions are invoked with a tenant id (X-Amz-Tenant-Id) and
   * each tenant gets execution environments of its own. Absent: no tenant isolation (a tenant id is refused).
   */
  tenantIsolation: z.literal('PER_TENANT').optional(),
  /**
   * Lambda Managed Instances (a capacity provider config): how many invocations one execution environment runs at once
   * (PerExecutionEnvironmentMaxConcurrency, the runtime's AWS_LAMBDA_MAX_CONCURRENCY). Absent: one, Lambda's default.
   */
  maxConcurrency: z.number().int().min(1).max(1000).optional(),
  /** Only for runtime `wasi`. */
  component: ComponentSettings.optional(),
  eventInvoke: EventInvokeSettings.optional(),
  /** HTTP routes to this function (the gateway of `open-runtime start`); absent when it has none. */
  httpEvents: z.array(HttpEvent).optional(),
  /** WebSocket API routes to this function; absent when it has none. */
  websocketEvents: z.array(WebSocketEvent).optional(),

  /** ALB listener rules forwarding to the function; absent when none. */
  albRules: z.array(AlbRule).optional(),
  /** What sends the function events, as SAM event types (`SQS`, `HttpApi`, `Schedule`, `FunctionUrl` ...); absent when none is declared. */
  triggers: z.array(z.string()).optional(),
  source: SourceLocation.optional(),
  /**
   * Where the function sits in its application, as SAM addresses it: `Parent/Child/Function` inside nested
   * stacks, the construct path (`MyStack/MyFunction`) in a CDK app. Another address for invoke and the Invoke API.
   */
  path: z.string().optional(),
  /** The resource's logical id in its own template, when the name is not it (nested stacks, CDK apps). */
  logicalId: z.string().optional(),
  /** The template's FunctionName, another address for the function. */
  functionName: z.string().optional(),
  /**
   * The region the function runs in (AWS_REGION, its ARN) when its project decides it rather than the runner: a
   * serverless.yml service's region as the Serverless Framework resolves it. Absent: the runner's region.
   */
  region: z.string().optional(),
});
export type FunctionSpec = z.infer<typeof FunctionSpec>;
export type FunctionInput = z.input<typeof FunctionSpec>;

/**
 * PerExecutionEnvironmentMaxConcurrency when a capacity provider config leaves it out: the runtime's default for one
 * vCPU (Node.js 64, Python 16, as Lambda documents; 16 for the others).
 */
export function defaultMaxConcurrency(runtime: Runtime): number {
  return runtimeFamily(runtime) === 'node' ? 64 : 16;
}

/** Lambda's TenantId: 1 to 256 characters of letters, digits and `._:/=+-@` and space. */
export const TENANT_ID = /^[a-zA-Z0-9._:/=+\-@ ]{1,256}$/;

/**
 * Why `tenantId` may not go with an invocation of `fn`, or undefined when it may: a tenant-isolated function needs one,
 * any other takes none (Lambda answers both with InvalidParameterValueException).
 */
export function tenantProblem(fn: Pick<FunctionSpec, 'name' | 'tenantIsolation'>, tenantId: string | undefined): string | undefined {
  if (fn.tenantIsolation === 'PER_TENANT') {
    if (tenantId === undefined)
      return `Function ${fn.name} has tenant isolation enabled (TenancyConfig TenantIsolationMode PER_TENANT): invoke it with a tenant id (X-Amz-Tenant-Id, --tenant-id, TenantId).`;
    if (!TENANT_ID.test(tenantId)) return `Tenant id "${tenantId.slice(0, 300)}" is not valid: use 1 to 256 letters, digits, spaces and . _ : / = + - @.`;
    return undefined;
  }
  if (tenantId !== undefined)
    return `Function ${fn.name} does not have tenant isolation enabled, so it takes no tenant id: invoke it without X-Amz-Tenant-Id (--tenant-id, TenantId), or create it with TenancyConfig TenantIsolationMode PER_TENANT.`;
  return undefined;
}

export function runtimeFamily(runtime: Runtime): 'node' | 'python' | 'provided' | 'wasi' {
  if (runtime.startsWith('nodejs')) return 'node';
  if (runtime.startsWith('python')) return 'python';
  if (runtime === 'wasi') return 'wasi';
  return 'provided';
}

/**
 * The debuggers functions wait for: Node's inspector, debugpy, Delve, and LLVM's lldb for Rust, C and C++ `provided`
 * functions (the last three serve the Debug Adapter Protocol).
 */
export const DebuggerLanguage = z.enum(['node', 'python', 'go', 'lldb']);
export type DebuggerLanguage = z.infer<typeof DebuggerLanguage>;

/** Parse with a readable message: `Function "X": timeout: must be <= 900`. */
export function parseFunction(input: unknown, where: string): FunctionSpec {
  const result = FunctionSpec.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || '(function)'}: ${i.message}`).join('; ');
  throw new Error(`${where}: ${problems}`);
}

/** Middleware names of a function: its declared list, or the Serverless Open Runtime SLSMIDDLEWARES variable. */
export function middlewaresOf(fn: FunctionSpec): string[] {
  if (fn.deployed) return [];
  if (fn.middlewares.length) return fn.middlewares;
  const fromEnv = fn.environment.SLSMIDDLEWARES;
  return fromEnv
    ? fromEnv
        .split(',')
        .map((m) => m.trim())
        .filter(Boolean)
    : [];
}

// The control API between the extension (or any tool) and the runner. One module, zod-typed, imported by
// both sides. Every route lives under CONTROL_PREFIX on the runner's main port and needs
// `Authorization: Bearer <token>`, the per-session token the extension writes as the first line of the runner's
// stdin (never in its environment or command line, which every function the runner starts could read in /proc).
import { z } from 'zod';
import { DebuggerLanguage, FunctionSpec, HttpEvent } from './functions/model.ts';

export const CONTROL_PREFIX = '/__open-runtime/v1';

/**
 * Node flags the runner runs with (the CLI's shebang has them too): a small young generation (its short-lived
 * garbage, one invocation's buffers, is collected often and cheaply) and an old generation that grows by a quarter
 * over what is live instead of V8's default up to 4x, which left a busy sidecar holding 15 MB of empty pages; and
 * `gc`, which the runner calls once when it goes quiet after work (idle-trim.ts). The collector works on the main
 * thread alone: a young generation of 1 MB gains nothing from helper threads, and on a busy machine (the functions'
 * processes share its cores) a parallel scavenge waits for helpers that are not running, which made its pauses
 * (one every ~30 invokes, so in every p99) 3-5x longer: median 3.1-4.9 ms against 1.1 ms single-threaded, at load 20
 * on 2 cores (bench/invoke-cpu.ts with --trace-gc).
 */
export const RUNNER_NODE_FLAGS = ['--max-semi-space-size=1', '--heap-growing-percent=25', '--expose-gc', '--single-threaded-gc'];
/**
 * Environment the runner starts with (the CLI's shebang sets it too): one malloc arena (Node's helper threads
 * would each get their own) and blocks of 32 KiB and more mapped on their own, so that the compilers' short-lived
 * zones go back to the system instead of fragmenting the heap. The runner removes these from its own environment
 * at start (ALLOCATOR_ENV_MARK), so that build tools and other children get the allocator they expect.
 */
export const RUNNER_ENV: Readonly<Record<string, string>> = {
  MALLOC_ARENA_MAX: '1',
  GLIBC_TUNABLES: 'glibc.malloc.mmap_threshold=32768',
  OPEN_RUNTIME_ALLOCATOR_ENV: '1',
};
export const ALLOCATOR_ENV_MARK = 'OPEN_RUNTIME_ALLOCATOR_ENV';

/** First line the runner prints on stdout in `serve` mode, so a parent knows where it listens. */
export const ReadyLine = z.object({
  ready: z.literal(true),
  port: z.number().int(),
  pid: z.number().int(),
  /** Where the project's HTTP routes are served (runner/gateway/); absent from runners that predate it. */
  apiPort: z.number().int().optional(),
});
export type ReadyLine = z.infer<typeof ReadyLine>;

export const DefinitionError = z.object({
  file: z.string(),
  line: z.number().int(),
  message: z.string(),
  /** A skipped HTTP route the gateway still answers (with 501: its integration is not emulated). */
  route: HttpEvent.optional(),
  /** The template parameters (no Default, no value) this error comes from: the editor asks for them. */
  missingParameters: z.array(z.string()).optional(),
});
export type DefinitionError = z.infer<typeof DefinitionError>;

/** GET /functions */
export const FunctionList = z.object({
  functions: z.array(FunctionSpec),
  errors: z.array(DefinitionError),
});
export type FunctionList = z.infer<typeof FunctionList>;

/** POST /functions/infer: make a function out of a lone handler file (zero config). */
export const InferRequest = z.object({ file: z.string(), exportName: z.string().optional() });
export const InferResponse = z.object({ function: FunctionSpec });

/** POST /invoke */
export const InvokeRequest = z.object({
  function: z.string(),
  /** The event as JSON text, exactly as the function will receive it. */
  payload: z.string(),
  clientContext: z.record(z.string(), z.unknown()).optional(),
  /** X-Amz-Tenant-Id: the tenant of a tenant-isolated function (required there, refused elsewhere). */
  tenantId: z.string().optional(),
  /** Start the environment with the language's debugger listening; see DebugInfo. */
  debug: z.boolean().optional(),
  /** With `debug`: run in the environment started for it ahead (POST /debug-prepare), if it is still there. */
  debugPrepared: z.string().optional(),
});
export type InvokeRequest = z.infer<typeof InvokeRequest>;

/**
 * How a function's invocations start, whatever calls it (the HTTP gateway, the Invoke API, a queue, another function):
 * `next` = the next one waits for a debugger, `every` = each one does, `off` = none does.
 */
export const DebugMode = z.enum(['next', 'every', 'off']);
export type DebugMode = z.infer<typeof DebugMode>;

/**
 * POST /debug-prepare: starts a debug environment of `function` before its invocation (the editor's Debug click, while
 * the user picks the event), so that its runtime starts and the debugger attaches meanwhile; `debug-ready` with
 * `prepared: id` says where. An invocation with `debug` and `debugPrepared: id` runs in it. `discard` stops it (the
 * user left the picker); unclaimed, it stops after ten minutes.
 */
export const DebugPrepareRequest = z.object({ function: z.string(), id: z.string().min(1).max(100), discard: z.boolean().optional() });
export type DebugPrepareRequest = z.infer<typeof DebugPrepareRequest>;
export const DebugPrepareResponse = z.object({
  function: z.string(),
  id: z.string(),
  /** Whether an environment is prepared (true) or was discarded / was not there (false). */
  prepared: z.boolean(),
  /** The debugger it waits for, when prepared: the editor starts its session at once, and it attaches on `debug-ready`. */
  language: DebuggerLanguage.optional(),
});
export type DebugPrepareResponse = z.infer<typeof DebugPrepareResponse>;

/** POST /debug-mode: arms (or disarms) a function's invocations for a debugger; `debug-ready` events say when to attach. */
export const DebugModeRequest = z.object({ function: z.string(), mode: DebugMode });
export type DebugModeRequest = z.infer<typeof DebugModeRequest>;
export const DebugModeResponse = z.object({
  function: z.string(),
  mode: DebugMode,
  /** Absent for a function that cannot be debugged (only `off` is accepted for it). */
  language: DebuggerLanguage.optional(),
});
export type DebugModeResponse = z.infer<typeof DebugModeResponse>;

export const Report = z.object({
  durationMs: z.number(),
  billedDurationMs: z.number(),
  memorySizeMB: z.number(),
  maxMemoryUsedMB: z.number(),
  initDurationMs: z.number().optional(),
});
export type Report = z.infer<typeof Report>;

export const FunctionError = z.object({
  errorType: z.string(),
  errorMessage: z.string(),
  stackTrace: z.array(z.string()).optional(),
});
export type FunctionError = z.infer<typeof FunctionError>;

export const InvokeResult = z.object({
  requestId: z.string(),
  function: z.string(),
  /** Response payload as text (JSON for buffered responses; the concatenated body for streams). */
  payload: z.string(),
  /** Set when the function failed: `Unhandled` like Lambda's X-Amz-Function-Error. */
  functionError: z.enum(['Unhandled', 'Handled']).optional(),
  error: FunctionError.optional(),
  streamed: z.boolean(),
  /** For streamed HTTP-integration responses: the prelude. */
  httpPrelude: z
    .object({ statusCode: z.number().optional(), headers: z.record(z.string(), z.string()).optional(), cookies: z.array(z.string()).optional() })
    .optional(),
  report: Report,
  logs: z.string(),
});
export type InvokeResult = z.infer<typeof InvokeResult>;

/** GET /status */
export const RunnerStatus = z.object({
  port: z.number(),
  pid: z.number(),
  /** The HTTP gateway's port (the project's API Gateway routes and Function URLs), when the runner serves one. */
  apiPort: z.number().optional(),
  /** The project's ALB listeners, each served on a port of its own (runner/gateway/alb.ts). */
  loadBalancers: z.array(z.object({ listener: z.string(), port: z.number() })).optional(),
  environments: z.array(
    z.object({
      id: z.string(),
      function: z.string(),
      state: z.enum(['initializing', 'idle', 'busy', 'stopping']),
      pid: z.number().optional(),
      /** Runner time of the cold start: invoke to spawn, plus the runtime's first /next to its event. */
      coldStartOverheadMs: z.number().optional(),
    }),
  ),
});
export type RunnerStatus = z.infer<typeof RunnerStatus>;

/** GET /events: newline-delimited JSON, one RunnerEvent per line, until the client disconnects. */
export const RunnerEvent = z.discriminatedUnion('type', [
  z.object({ type: z.literal('log'), function: z.string(), requestId: z.string().optional(), line: z.string() }),
  z.object({ type: z.literal('invoke-start'), function: z.string(), requestId: z.string() }),
  z.object({ type: z.literal('chunk'), function: z.string(), requestId: z.string(), data: z.string() }),
  z.object({ type: z.literal('invoke-end'), result: InvokeResult }),
  z.object({ type: z.literal('environments'), count: z.number() }),
  z.object({
    type: z.literal('debug-ready'),
    function: z.string(),
    requestId: z.string(),
    language: DebuggerLanguage,
    port: z.number(),
    /** Its caller did not ask for a debugger: the function was armed (POST /debug-mode), so whoever armed it attaches. */
    armed: z.boolean().optional(),
    /** Started ahead of its invocation (POST /debug-prepare): whoever prepared it attaches. */
    prepared: z.string().optional(),
  }),
  z.object({ type: z.literal('functions-changed') }),
  /** A function's debug mode changed (POST /debug-mode, or `next` used by an invocation). */
  z.object({ type: z.literal('debug-mode'), function: z.string(), mode: DebugMode }),
  /** Only on /events: `count` events were left out because this reader was not reading them (control.ts). */
  z.object({ type: z.literal('events-dropped'), count: z.number() }),
]);
export type RunnerEvent = z.infer<typeof RunnerEvent>;

/** One route of the HTTP gateway (runner/gateway/), as the editor's Routes view lists it. */
export const GatewayRoute = z.object({
  /** Upper case, or `ANY`. */
  method: z.string(),
  /** The route's path as declared (`/orders/{id}`, `/{proxy+}`); `$default` for an HTTP API's catch-all; `/lambda-url/<function>/` for a Function URL. */
  path: z.string(),
  /** Where it is served locally: the path on the gateway's port, `{parameters}` left in. */
  url: z.string(),
  function: z.string(),
  /** The function's full path (nested stacks, CDK apps) when it differs from its name. */
  functionPath: z.string().optional(),
  kind: z.enum(['rest', 'http', 'url']),
  /** What the user reads: `REST API (Prod, payload 1.0)`, `HTTP API (payload 2.0)`, `Function URL (payload 2.0)`. */
  kindLabel: z.string(),
  /** The API's logical id (`ServerlessHttpApi` when implicit); the function's name for a Function URL. */
  api: z.string(),
  /** How callers authenticate, when the gateway knows (`none`); absent when it does not. */
  auth: z.string().optional(),
  /**
   * Another function declared the same method and path first (two projects' `GET /hello` in one workspace): the gateway
   * serves every API on one port, so that function takes these requests and this route is never reached.
   */
  shadowedBy: z.string().optional(),
});
export type GatewayRoute = z.infer<typeof GatewayRoute>;

/** One route of a WebSocket API the gateway serves (runner/gateway/websocket.ts), as the Routes view lists it. */
export const WebSocketRouteRow = z.object({
  /** The API's logical id (`WebsocketsApi` for serverless.yml). */
  api: z.string(),
  stage: z.string(),
  /** Where clients connect: `ws://127.0.0.1:<port>/<stage>`. */
  url: z.string(),
  /** `$connect`, `$disconnect`, `$default` or a custom key. */
  routeKey: z.string(),
  function: z.string(),
  /** The function's answer goes back to the client. */
  twoWay: z.boolean(),
  /** $connect: its authorizer, or what is not checked. */
  auth: z.string().optional(),
});
export type WebSocketRouteRow = z.infer<typeof WebSocketRouteRow>;

/** GET /routes: the gateway's route table, most specific first (the order requests are matched in). */
export const RouteList = z.object({
  /** The gateway's port; absent while it does not listen yet. */
  apiPort: z.number().int().optional(),
  routes: z.array(GatewayRoute),
  /** The WebSocket APIs' routes, by API; absent from runners that predate them. */
  webSockets: z.array(WebSocketRouteRow).optional(),
});
export type RouteList = z.infer<typeof RouteList>;

/** One operation of a durable execution (a step, wait, callback, child context ...), as the editor's view shows it. */
export const DurableStep = z.object({
  id: z.string(),
  parentId: z.string().optional(),
  name: z.string().optional(),
  type: z.string(),
  subType: z.string().optional(),
  status: z.string(),
  /** Epoch milliseconds. */
  startTimestamp: z.number(),
  endTimestamp: z.number().optional(),
  /** Attempts made (steps). */
  attempts: z.number().int().optional(),
  /** A callback's id, to complete it. */
  callbackId: z.string().optional(),
  result: z.string().optional(),
  error: z.string().optional(),
});
export type DurableStep = z.infer<typeof DurableStep>;

/** GET /durable-executions: the runner's durable executions, newest first, each with its operations in start order. */
export const DurableExecutionList = z.object({
  executions: z.array(
    z.object({
      arn: z.string(),
      name: z.string(),
      function: z.string(),
      status: z.string(),
      startTimestamp: z.number(),
      endTimestamp: z.number().optional(),
      input: z.string(),
      result: z.string().optional(),
      error: z.string().optional(),
      steps: z.array(DurableStep),
    }),
  ),
});
export type DurableExecutionList = z.infer<typeof DurableExecutionList>;

/** POST /durable-callbacks: completes a callback a durable execution waits for (result: JSON text). */
export const CallbackCompletion = z.object({
  callbackId: z.string().min(1),
  outcome: z.enum(['succeed', 'fail']),
  result: z.string().optional(),
  errorType: z.string().optional(),
  errorMessage: z.string().optional(),
});
export type CallbackCompletion = z.infer<typeof CallbackCompletion>;

/**
 * POST /component-interface {file}: the WIT world of a .wasm component, and each capability it imports (key-value,
 * config, messaging) with who serves it for each function running it ("not granted" when none grants it).
 */
export const ComponentCapability = z.object({ function: z.string().optional(), capability: z.string(), name: z.string(), provider: z.string() });
export type ComponentCapability = z.infer<typeof ComponentCapability>;
export const ComponentInterface = z.object({ wit: z.string(), capabilities: z.array(ComponentCapability).default([]) });
export type ComponentInterface = z.infer<typeof ComponentInterface>;

/** POST /keyvalue {store?}: the built-in stores of the project (.open-runtime/keyvalue), or one store's keys and values. */
export const KeyValueListing = z.object({
  stores: z.array(z.string()),
  store: z.string().optional(),
  entries: z.array(z.object({ key: z.string(), value: z.string(), bytes: z.number() })).default([]),
  truncated: z.boolean().default(false),
});
export type KeyValueListing = z.infer<typeof KeyValueListing>;

/** POST /chains: the Middy and runner-level middleware chains of a file, for the chain visualizer. */
export { ChainRequest, ChainReport } from './analysis/report.ts';

/** Error body of every control route: a sentence for the user plus a Lambda-style type when one exists. */
export const ControlError = z.object({ errorType: z.string(), message: z.string() });
export type ControlError = z.infer<typeof ControlError>;

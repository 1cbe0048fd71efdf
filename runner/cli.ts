// open-runtime: the runner's command line. The extension uses `serve`; people and CI use the rest.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { handleControlApi } from './control.ts';
import { discoverFunctions, loadFunctionsFrom, type Discovery, type DiscoveryOptions } from './functions/discover.ts';
import { functionAddressed } from './functions/address.ts';
import { ProjectSettingsError, parseParameterOverrides, readDotEnv, readEnvVarsFile, readSamConfig, resolveRegion } from './functions/project-settings.ts';
import { inferFunction } from './functions/infer.ts';
import { watchDefinitions } from './functions/watch-definitions.ts';
import { parseFunction, runtimeFamily, type AlbActionRule, type FunctionSpec } from './functions/model.ts';
import { debuggerLanguage } from './runtimes/go-debug.ts';
import { handleInvokeApi, plainInvokeApi } from './invoke/invoke-api.ts';
import { CODE_DOWNLOAD, handleControlPlane, setDeployRoot } from './invoke/control-plane.ts';
import { LAYER_DOWNLOAD } from './invoke/control-plane-layers.ts';
import { handleDurableApi } from './durable/api.ts';
import { durableOf, useDurableExecutions } from './durable/orchestrator.ts';
import { bodyIdleMsFromEnv, serveMainPort } from './main-port.ts';
import { describeRoutes, Gateway } from './gateway/server.ts';
import { describeWebSocketApis, webSocketRouteRows } from './gateway/websocket-routes.ts';
import { makeLocalCertificate } from './gateway/local-tls.ts';
import { listRoutes } from './gateway/route-list.ts';
import { describeAction, describeListeners, LoadBalancers } from './gateway/alb.ts';
import { parseLocalIdentity } from './gateway/alb-routing.ts';
import { allowedOriginsFrom } from './request-guard.ts';
import { createMiddlewareRunner } from './middleware/index.ts';
import { createComponentRunner } from './runtimes/wasi/index.ts';
import { createComponentMiddlewareHost } from './runtimes/wasi/middleware-host.ts';
import { invokeResult, LocalLambda, FunctionNotFoundError, InvalidParameterValueError } from './local-lambda.ts';
import { ALLOCATOR_ENV_MARK, CONTROL_PREFIX, RUNNER_ENV, type DefinitionError, type ReadyLine } from './protocol.ts';
import { forbidInspection } from './runtime-api/access.ts';
import { nodeVersionProblem } from './node-version.ts';

/** What invoke, start, serve and list take to read a project as SAM CLI does (see functions/project-settings.ts). */
const PROJECT_USAGE = `      Project: [--template <path>] [--workspace <dir>] [--parameter-overrides K=V ...] [--env-vars env.json]
        [--config-file samconfig.toml] [--config-env NAME] [--region R] [--profile P]`;

const GATEWAY_AUTH_USAGE = `      Gateway auth options (routes with authorizers, AWS_IAM or API keys):
        --jwks <file|url>   the JWKS JWT signatures are checked against (OPEN_RUNTIME_JWKS); default: <issuer>/.well-known/jwks.json
        --no-verify-jwt     check JWT claims but not signatures (OPEN_RUNTIME_NO_VERIFY_JWT=1)
        --api-key <value>   a valid x-api-key besides the template's (repeatable; OPEN_RUNTIME_API_KEYS, comma-separated)`;

const VERB_USAGE: Record<string, string> = {
  invoke: `  open-runtime invoke <function> [--event <file>|-] [--tenant-id <id>] [--debug-port N] [project options]
      Run one invocation; the response goes to stdout, logs to stderr; exit 1 on a function error.
      --tenant-id <id>: the tenant of a tenant-isolated function (TenancyConfig PER_TENANT), as aws lambda invoke --tenant-id.
      --debug-port N (-d): a Node, Python, Go, Rust, C or C++ function waits for a debugger on 127.0.0.1:N before it runs.
      <function>: its name, its full path (Parent/Child/Function, MyStack/MyFunction), its logical id or FunctionName.
${PROJECT_USAGE}`,
  start: `  open-runtime start [<function>...] [--port N] [--api-port N] [--ws-idle-timeout S] [--debug-port N [--debug-function F]...] [--skip-waits] [--allow-origin <origin>]... [gateway auth options] [project options]
      Serve the Lambda Invoke API (like sam local start-lambda) on 127.0.0.1 (port 3001), for every function or only
      those named, and the project's HTTP routes (API Gateway, Function URLs; like sam local start-api) on --api-port (3000).
      WebSocket APIs are on the same port at ws://127.0.0.1:3000/<stage>; an idle connection closes after --ws-idle-timeout (600 s).
      Invoke API callers sign their requests as AWS clients do (any credentials); web pages are refused there unless allowed.
      Functions with a DurableConfig run as durable executions, kept in .open-runtime/durable-executions/;
      --skip-waits (OPEN_RUNTIME_DURABLE_SKIP_WAITS=1) ends their waits and retry delays at once.
      --debug-port N (-d): each invocation of a Node, Python or Go function waits for a debugger on 127.0.0.1:N, whatever
      calls it (an HTTP request to one of its routes, the Invoke API); --debug-function F (repeatable): only F's do.
${GATEWAY_AUTH_USAGE}
${PROJECT_USAGE}`,
  serve: `  open-runtime serve [--port N] [--api-port N] [--workspace <dir>] [--allow-origin <origin>]...
      The editor's sidecar: Invoke API + control API, and the project's HTTP routes on --api-port (a free port by
      default). Reads the control API's token from the first line of stdin, prints a ready line (with apiPort), and
      stops when stdin closes.
${GATEWAY_AUTH_USAGE}`,
  rie: `  open-runtime rie [--runtime-interface-emulator-address H:P] [--runtime-api-address H:P] BOOTSTRAP [ARGS...]
      A drop-in for the AWS Runtime Interface Emulator: POST /2015-03-31/functions/function/invocations
      (unsigned, as with aws-lambda-rie; web pages are refused unless allowed by OPEN_RUNTIME_ALLOW_ORIGINS).`,
  list: `  open-runtime list [project options]
      Print the functions found, the definition errors and what was skipped and why (JSON).
${PROJECT_USAGE}`,
  wit: `  open-runtime wit <component.wasm>
      Print a WebAssembly component's WIT world.`,
  export: `  open-runtime export [--out <dir>] [--name <app>] [--keyvalue-provider IMAGE] [--messaging-provider IMAGE] [project options]
      Write spin.toml (Spin, SpinKube) and wadm.yaml (wasmCloud) for the project's component functions, their granted
      key-value, config and messaging mapped; what an engine cannot take is listed in the files and on stderr.`,
};

/** The whole usage text. The build, deploy and chain verbs load heavy modules (TypeScript, the AWS SDK): only on demand. */
async function usage(): Promise<string> {
  const [build, layer, deploy, chain, events, durable, mcp, tests] = await Promise.all([
    import('./build/command.ts'),
    import('./build/layer.ts'),
    import('./deploy/command.ts'),
    import('./analysis/chain-command.ts'),
    import('./events/generate-command.ts'),
    import('./durable/command.ts'),
    import('./mcp/command.ts'),
    import('./events/test-command.ts'),
  ]);
  return `Usage:\n${Object.values(VERB_USAGE).join('\n')}\n${tests.TEST_USAGE}\n${events.GENERATE_EVENT_USAGE}\n${build.BUILD_USAGE}\n${layer.BUILD_LAYER_USAGE}\n${deploy.DEPLOY_USAGE}\n${chain.CHAIN_USAGE}\n${durable.DURABLE_USAGE}\n${mcp.MCP_USAGE}`;
}

/** One verb's usage, for a mistake in that verb's arguments; the whole text when the verb itself is unknown. */
async function usageOf(verb: string | undefined): Promise<string> {
  if (verb && verb in VERB_USAGE) return `Usage:\n${VERB_USAGE[verb]}`;
  if (verb === 'build') return `Usage:\n${(await import('./build/command.ts')).BUILD_USAGE}`;
  if (verb === 'build-layer') return `Usage:\n${(await import('./build/layer.ts')).BUILD_LAYER_USAGE}`;
  if (verb === 'deploy') return `Usage:\n${(await import('./deploy/command.ts')).DEPLOY_USAGE}`;
  if (verb === 'chain') return `Usage:\n${(await import('./analysis/chain-command.ts')).CHAIN_USAGE}`;
  if (verb === 'execution' || verb === 'callback') return `Usage:\n${(await import('./durable/command.ts')).DURABLE_USAGE}`;
  if (verb === 'mcp') return `Usage:\n${(await import('./mcp/command.ts')).MCP_USAGE}\n${PROJECT_USAGE}`;
  if (verb === 'generate-event') return `Usage:\n${(await import('./events/generate-command.ts')).GENERATE_EVENT_USAGE}`;
  if (verb === 'test') return `Usage:\n${(await import('./events/test-command.ts')).TEST_USAGE}\n${PROJECT_USAGE}`;
  return usage();
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const tooOld = nodeVersionProblem(process.versions.node, process.execPath);
  if (tooOld) {
    process.stderr.write(`${tooOld}\n`);
    return 2;
  }
  if (process.env[ALLOCATOR_ENV_MARK]) {
    // glibc read these when the runner started (protocol.ts RUNNER_ENV); the runner's children start without them.
    for (const key of Object.keys(RUNNER_ENV)) delete process.env[key];
  }
  const [command, ...rest] = argv;
  switch (command) {
    case 'invoke':
      return invokeCommand(rest);
    case 'start':
      return serveCommand(rest, false);
    case 'serve':
      return serveCommand(rest, true);
    case 'rie':
      return rieCommand(rest);
    case 'list':
      return listCommand(rest);
    case 'test':
      return testCommand(rest);
    case 'build':
      return (await import('./build/command.ts')).buildCommand(rest, loadWorkspace);
    case 'build-layer':
      return (await import('./build/layer.ts')).buildLayerCommand(rest);
    case 'deploy':
      return (await import('./deploy/command.ts')).deployCommand(rest, loadWorkspace);
    case 'wit':
      return (await import('./runtimes/wasi/component-wit.ts')).witCommand(rest);
    case 'export':
      return exportCommand(rest);
    case 'generate-event':
      return generateEvent(rest);
    case 'execution':
    case 'callback':
      return durableExecutionCommand(command, rest);
    case 'mcp':
      return mcpServerCommand(rest);
    case 'chain':
      return (await import('./analysis/chain-command.ts')).chainCommand(rest, async (v) => (await loadWorkspace(v)).functions);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(`${await usage()}\n`);
      return command ? 0 : 2;
    default:
      throw new UsageError(`Unknown command "${command}".`);
  }
}

/** `execution ...` and `callback ...` (durable/command.ts); their mistakes are usage mistakes. */
async function durableExecutionCommand(noun: string, args: string[]): Promise<number> {
  const { durableCommand, DurableUsageError } = await import('./durable/command.ts');
  try {
    return await durableCommand(noun, args);
  } catch (err) {
    throw err instanceof DurableUsageError ? new UsageError(err.message) : err;
  }
}

/** The event catalogue as SAM's generate-event names it; its mistakes are usage mistakes. */
async function generateEvent(args: string[]): Promise<number> {
  const { generateEventCommand, GenerateEventUsageError } = await import('./events/generate-command.ts');
  try {
    return generateEventCommand(args);
  } catch (err) {
    if (err instanceof GenerateEventUsageError) throw new UsageError(err.message);
    throw err;
  }
}

/** Components and middleware chains; component middlewares share the component runner's workers and cache. */
function attachRunners(lambda: LocalLambda): void {
  const components = createComponentRunner();
  lambda.setComponentRunner(components);
  lambda.setMiddlewareRunner(createMiddlewareRunner({ components: createComponentMiddlewareHost(components) }));
}

/**
 * SAM CLI flags about containers. Functions here are local processes, so these change nothing; a script written
 * for `sam local` keeps working and is told so in one line. The debugger flags that only make sense in a container
 * are refused instead (CONTAINER_ONLY_REFUSED): a debugger waiting for something that never happens is worse.
 */
const CONTAINER_OPTIONS = {
  'docker-network': { type: 'string' },
  'docker-volume-basedir': { type: 'string' },
  'skip-pull-image': { type: 'boolean' },
  'warm-containers': { type: 'string' },
  'container-env-vars': { type: 'string' },
  'container-host': { type: 'string' },
  'container-host-interface': { type: 'string' },
  'add-host': { type: 'string', multiple: true },
  'force-image-build': { type: 'boolean' },
  shutdown: { type: 'boolean' },
} as const;

const CONTAINER_ONLY_REFUSED: Record<string, string> = {
  '--debugger-path': 'there is no container to mount a debugger into; functions run as local processes.',
  '--debug-args': 'there is no container to pass debugger arguments to; functions run as local processes.',
};

/** How the gateway checks routes' auth: see GATEWAY_AUTH_USAGE. */
const GATEWAY_AUTH_OPTIONS = {
  jwks: { type: 'string' },
  'no-verify-jwt': { type: 'boolean' },
  'api-key': { type: 'string', multiple: true },
} as const;

/** SAM's -d / --debug-port: the function waits for a debugger there (Node's inspector, Python's debugpy). */
const DEBUG_OPTION = { 'debug-port': { type: 'string', short: 'd' } } as const;

function debugPortOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new UsageError(`Bad debug port "${value}": give the port your debugger attaches to, 1 to 65535.`);
  return port;
}

/** What a person attaches, said once the function waits (the runtime's own line is in the log too). */
function sayDebuggerReady(lambda: LocalLambda): void {
  lambda.subscribe(
    (event) => {
      if (event.type !== 'debug-ready') return;
      const how =
        event.language === 'node'
          ? 'a Node debugger (VS Code "Attach", chrome://inspect)'
          : event.language === 'python'
            ? 'a Python debugger (debugpy serves the Debug Adapter Protocol: VS Code, nvim-dap or any DAP client attaches)'
            : event.language === 'go'
              ? 'a Go debugger (Delve serves the Debug Adapter Protocol: attach with mode "remote" from VS Code, nvim-dap or any DAP client)'
              : 'an lldb debugger (lldb serves the Debug Adapter Protocol: "attach" from VS Code, nvim-dap or any DAP client; the function is launched under lldb then)';
      process.stderr.write(`open-runtime: ${event.function} waits for ${how} on 127.0.0.1:${event.port}; it runs once one attaches.\n`);
    },
    ['debug-ready'],
  );
}

const WORKSPACE_OPTIONS = {
  template: { type: 'string', short: 't' },
  workspace: { type: 'string', short: 'w' },
  'parameter-overrides': { type: 'string', multiple: true },
  'env-vars': { type: 'string', short: 'n' },
  'config-file': { type: 'string' },
  'config-env': { type: 'string' },
  region: { type: 'string' },
  profile: { type: 'string' },
  ...CONTAINER_OPTIONS,
} as const;

interface WorkspaceValues {
  template?: string | undefined;
  workspace?: string | undefined;
  'parameter-overrides'?: string[] | undefined;
  'env-vars'?: string | undefined;
  'config-file'?: string | undefined;
  'config-env'?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
}

/**
 * Arguments written for SAM CLI, made ready for node:util's parseArgs. SAM takes `--parameter-overrides A=1 B=2`
 * as one option followed by several words; parseArgs takes one value per option, so the Key=Value words after
 * it join its value. The debugger flags SAM has for containers are refused here, before parsing, with the reason.
 */
function samStyleArgs(args: string[]): string[] {
  for (const arg of args) {
    const flag = arg.split('=')[0]!;
    if (flag in CONTAINER_ONLY_REFUSED) throw new UsageError(`${flag} is not supported: ${CONTAINER_ONLY_REFUSED[flag]}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    out.push(args[i]!);
    if (args[i] !== '--parameter-overrides') continue;
    const words: string[] = [];
    while (i + 1 < args.length && !args[i + 1]!.startsWith('-') && (words.length === 0 || args[i + 1]!.includes('='))) words.push(args[++i]!);
    if (words.length) out.push(words.join(' '));
  }
  return out;
}

/** One notice per container flag given: it is accepted, and changes nothing. */
function noticeContainerFlags(values: Record<string, unknown>): void {
  for (const name of Object.keys(CONTAINER_OPTIONS)) {
    if (values[name] !== undefined) process.stderr.write(`open-runtime: --${name} has no effect: functions run as local processes, not in containers.\n`);
  }
}

/** The project's settings from the flags, samconfig, env.json and .env, with the one region order. */
function projectOptions(
  values: WorkspaceValues,
  verb: string,
): DiscoveryOptions & { region: string; profile?: string | undefined; template?: string; settingsError?: DefinitionError } {
  const dir = resolve(values.workspace ?? (values.template ? dirname(resolve(values.template)) : process.cwd()));
  try {
    const config = readSamConfig(values.workspace ? dir : process.cwd(), verb, values['config-env'], values['config-file']);
    const flagged = values['parameter-overrides']?.length ? parseParameterOverrides(values['parameter-overrides']) : undefined;
    const parameterOverrides = { ...config?.parameterOverrides, ...flagged };
    const envVarsFile = values['env-vars'] ? resolve(values['env-vars']) : config?.envVars;
    const region = resolveRegion({ flag: values.region, samconfig: config?.region, profile: values.profile ?? config?.profile });
    return {
      region,
      profile: values.profile ?? config?.profile,
      regionFlag: values.region,
      parameterOverrides,
      envVars: envVarsFile ? readEnvVarsFile(envVarsFile) : undefined,
      dotEnv: readDotEnv(dir),
      template: values.template ?? config?.templateFile,
    };
  } catch (error) {
    if (!(error instanceof ProjectSettingsError)) throw error;
    // The editor's sidecar keeps running on a broken samconfig or env.json: the mistake is shown with the
    // definition errors, and the project loads without those settings. A terminal command stops on it.
    if (verb !== 'serve') throw new UsageError(error.message);
    return { region: resolveRegion({}), settingsError: { file: dir, line: 0, message: error.message } };
  }
}

async function loadWorkspace(values: WorkspaceValues, verb = 'list'): Promise<Discovery> {
  const options = projectOptions(values, verb);
  let result: Discovery;
  if (options.template) {
    const path = resolve(options.template);
    if (!existsSync(path)) throw new UsageError(`Template ${path} does not exist.`);
    result = await loadFunctionsFrom(path, options);
  } else {
    result = await discoverFunctions(resolve(values.workspace ?? process.cwd()), options);
  }
  if (options.settingsError) result.errors.unshift(options.settingsError);
  return result;
}

/** The function a person named: by name, full path, FunctionName or (when only one has it) logical id. */
function functionNamed(functions: FunctionSpec[], address: string): FunctionSpec {
  const addressed = functionAddressed(functions, address);
  if ('problem' in addressed) throw new UsageError(addressed.problem);
  return addressed.fn;
}

function reportDefinitionErrors(errors: DefinitionError[], skipped: DefinitionError[] = []): void {
  for (const e of errors) process.stderr.write(`${e.file}:${e.line}: ${e.message}\n`);
  for (const e of skipped) process.stderr.write(`${e.file}:${e.line}: note: ${e.message}\n`);
}

async function invokeCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: samStyleArgs(args),
    allowPositionals: true,
    options: {
      ...WORKSPACE_OPTIONS,
      ...DEBUG_OPTION,
      event: { type: 'string', short: 'e' },
      'tenant-id': { type: 'string' },
      'skip-waits': { type: 'boolean' },
    },
  });
  noticeContainerFlags(values);
  const address = positionals[0];
  if (!address) throw new UsageError('Which function? open-runtime invoke <function>.');
  const tenantId = values['tenant-id'];
  const debugPort = debugPortOf(values['debug-port']);
  const { region, profile } = projectOptions(values, 'invoke');
  process.env.AWS_REGION = region; // lambdaArn (functions/arns.ts) reads it: ARNs name the region the functions run in
  if (profile) process.env.AWS_PROFILE = profile; // as with SAM, the functions and the published layers' fetch use it
  const { functions, errors } = await loadWorkspace(values, 'invoke');
  reportDefinitionErrors(errors);
  const fn = functionNamed(functions, address);
  const name = fn.name;
  const language = debugPort ? debuggerLanguage(fn) : undefined;
  if (debugPort && !language)
    throw new UsageError(
      `--debug-port is not supported for ${fn.runtime} (${name}): only Node (inspector), Python (debugpy), Go (Delve), and Rust, C or C++ (lldb) functions can wait for a debugger. Invoke it without --debug-port.`,
    );
  let payload: Buffer = Buffer.from('{}');
  if (values.event === '-') payload = readFileSync(0);
  else if (values.event) {
    const path = resolve(values.event);
    if (!existsSync(path)) throw new UsageError(`Event file ${path} does not exist.`);
    payload = readFileSync(path);
  }
  try {
    JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw new UsageError(`The event is not valid JSON: ${(err as Error).message}`);
  }
  const lambda = new LocalLambda({ hotReload: false, region });
  attachRunners(lambda);
  lambda.setFunctions(functions, errors);
  // A durable function runs as an execution (durable/orchestrator.ts), kept in memory for this one invoke: the runner's
  // port serves the durable execution API its SDK checkpoints to, and the Invoke API for its context.invoke calls.
  const durable = fn.durable && !language ? await serveDurableForOneRun(lambda, values['skip-waits'] === true) : undefined;
  const port = await lambda.listen();
  durable?.open();
  lambda.subscribe(
    (event) => {
      if (event.type === 'log') process.stderr.write(`${event.line}\n`);
    },
    ['log'],
  );
  sayDebuggerReady(lambda);
  if (durable) {
    try {
      process.stderr.write(
        `open-runtime: ${name} is a durable function: this invoke runs its execution to the end (callbacks: open-runtime callback succeed <id> --port ${port}).\n`,
      );
      const exec = durable.start(fn, payload.toString('utf8'));
      await durable.whenDone(exec);
      const { status, result, error } = exec.record;
      if (status === 'SUCCEEDED') {
        process.stdout.write(`${result ?? ''}\n`);
        return 0;
      }
      process.stdout.write(
        `${JSON.stringify({ errorType: error?.ErrorType ?? `Execution.${status}`, errorMessage: error?.ErrorMessage ?? `The durable execution ended ${status}.` })}\n`,
      );
      return 1;
    } finally {
      durable.close();
      await lambda.close();
    }
  }
  try {
    const inv = lambda.invoke(name, payload, { tenantId, ...(language ? { debug: { language, port: debugPort! } } : {}) });
    const completion = await inv.completed;
    const result = invokeResult(name, inv, completion);
    if (result.httpPrelude) {
      // A streamed HTTP response: status and headers to stderr, the body as it is to stdout.
      process.stderr.write(`HTTP ${result.httpPrelude.statusCode ?? 200} ${JSON.stringify(result.httpPrelude.headers ?? {})}\n`);
      process.stdout.write(result.payload);
    } else {
      // The payload's bytes as they are (a custom runtime may answer with an image); a newline after text only.
      const body = completion.outcome.body;
      process.stdout.write(body);
      if (isText(body) && !body.toString('utf8').endsWith('\n')) process.stdout.write('\n');
    }
    return result.functionError ? 1 : 0;
  } catch (err) {
    if (err instanceof FunctionNotFoundError || err instanceof InvalidParameterValueError) throw new UsageError(err.message);
    throw err;
  } finally {
    await lambda.close();
  }
}

/**
 * `open-runtime test`: the saved events of the project's functions (or of those named) run through the same invoke path
 * as `invoke`, one runner for the whole run (warm environments are reused, as in the editor), checked by
 * events/test-command.ts.
 */
async function testCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: samStyleArgs(args),
    allowPositionals: true,
    options: { ...WORKSPACE_OPTIONS, junit: { type: 'string' }, 'update-snapshots': { type: 'boolean', short: 'u' }, 'skip-waits': { type: 'boolean' } },
  });
  noticeContainerFlags(values);
  const { region, profile } = projectOptions(values, 'invoke');
  process.env.AWS_REGION = region;
  if (profile) process.env.AWS_PROFILE = profile;
  const { functions, errors } = await loadWorkspace(values, 'invoke');
  reportDefinitionErrors(errors);
  const chosen = positionals.length ? positionals.map((address) => functionNamed(functions, address)) : functions;
  // Saved events are kept per workspace folder, as the editor keeps them: --workspace, else the current folder.
  const workspaceDir = resolve(values.workspace ?? process.cwd());
  const [{ runEventTests }, { invokedEventOf }] = await Promise.all([import('./events/test-command.ts'), import('./events/event-tests.ts')]);
  const lambda = new LocalLambda({ hotReload: false, region });
  attachRunners(lambda);
  lambda.setFunctions(functions, errors);
  const durable = chosen.some((fn) => fn.durable) ? await serveDurableForOneRun(lambda, values['skip-waits'] === true) : undefined;
  await lambda.listen();
  durable?.open();
  const byName = new Map(functions.map((fn) => [fn.name, fn]));
  try {
    return await runEventTests({
      workspaceDir,
      functions: chosen.map((fn) => fn.name),
      named: positionals.length > 0,
      junit: values.junit,
      updateSnapshots: values['update-snapshots'],
      invoke: async (name, payload) => {
        const fn = byName.get(name)!;
        if (durable && fn.durable) {
          const exec = durable.start(fn, payload);
          await durable.whenDone(exec);
          const { status, result, error } = exec.record;
          if (status === 'SUCCEEDED') return { outcome: { payload: result ?? '' }, logs: '' };
          const failure = {
            errorType: error?.ErrorType ?? `Execution.${status}`,
            errorMessage: error?.ErrorMessage ?? `The durable execution ended ${status}.`,
          };
          return { outcome: { payload: JSON.stringify(failure), error: failure }, logs: '' };
        }
        const inv = lambda.invoke(name, Buffer.from(payload));
        return invokedEventOf(invokeResult(name, inv, await inv.completed));
      },
    });
  } finally {
    durable?.close();
    await lambda.close();
  }
}

/** Whether bytes are UTF-8 text (JSON is), so the terminal can get a newline after them. */
function isText(bytes: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return !bytes.includes(0);
  } catch {
    return false;
  }
}

async function serveCommand(args: string[], sidecar: boolean): Promise<number> {
  const { values, positionals } = parseArgs({
    args: samStyleArgs(args),
    allowPositionals: !sidecar,
    options: {
      ...WORKSPACE_OPTIONS,
      ...(sidecar ? {} : { ...DEBUG_OPTION, 'debug-function': { type: 'string', multiple: true } }),
      port: { type: 'string', short: 'p' },
      'api-port': { type: 'string' },
      'ws-idle-timeout': { type: 'string' },
      'skip-waits': { type: 'boolean' },
      quiet: { type: 'boolean', short: 'q' },
      'allow-origin': { type: 'string', multiple: true },
      ...GATEWAY_AUTH_OPTIONS,
    },
  });
  noticeContainerFlags(values);
  const allowedOrigins = originsOrExit(values['allow-origin'] ?? []);
  // Functions run as the same user: without this they could read the runner's memory (the token, other functions'
  // events) through ptrace or /proc/<pid>/mem. Linux, with the build's addon; elsewhere the OS's own rules apply.
  if (process.platform === 'linux' && !forbidInspection()) {
    process.stderr.write(
      'Open Runtime: the runner could not make itself non-dumpable (dist/peer-pid.node is missing: build with a C compiler); functions running as your user could read its memory.\n',
    );
  }
  const port = values.port ? Number(values.port) : sidecar ? 0 : 3001;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`Bad port "${values.port}".`);
  const verb = sidecar ? 'serve' : 'start';
  const { region, profile } = projectOptions(values, verb);
  process.env.AWS_REGION = region; // lambdaArn (functions/arns.ts) reads it: ARNs name the region the functions run in
  if (profile) process.env.AWS_PROFILE = profile; // as with SAM, the functions and the published layers' fetch use it
  const debugPort = debugPortOf((values as { 'debug-port'?: string })['debug-port']);
  const debugFunctions = (values as { 'debug-function'?: string[] })['debug-function'] ?? [];
  if (debugFunctions.length && !debugPort)
    throw new UsageError('--debug-function needs --debug-port N: the port its debugger listens on (start --debug-port 9229 --debug-function F).');
  const lambda = new LocalLambda({ port, region, debugPort, debugFunctions });
  attachRunners(lambda);
  if (debugPort) sayDebuggerReady(lambda);
  let firstLoad = true;
  let definitionFiles: string[] = [];
  // ALB rules that redirect or answer with a fixed response: served by the listeners (gateway/alb.ts), no function.
  let albActions: AlbActionRule[] = [];
  const reload = async () => {
    const { functions, errors, skipped, files, albActions: actions } = await loadWorkspace(values, verb);
    definitionFiles = files;
    // `start A B` serves only the functions named (cargo lambda watch style). A name that matches none stops
    // the start; after an edit it is only reported, so a half-saved template doesn't end the server.
    const served: FunctionSpec[] = [];
    for (const address of positionals) {
      try {
        served.push(functionNamed(functions, address));
      } catch (error) {
        if (firstLoad) throw error;
        process.stderr.write(`open-runtime: ${(error as Error).message}\n`);
      }
    }
    firstLoad = false;
    lambda.notEmulatedRoutes = skipped.flatMap((s) => (s.route ? [s.route] : []));
    albActions = positionals.length ? [] : (actions ?? []);
    lambda.setFunctions(positionals.length ? served : functions, errors);
    lambda.emit({ type: 'functions-changed' });
    if (!sidecar) reportDefinitionErrors(errors, skipped);
  };
  await reload();
  // --debug-function names functions that must exist and be debuggable: a debugger waiting for nothing helps no one.
  for (const address of debugFunctions) {
    const fn = functionNamed(lambda.listFunctions(), address);
    if (!debuggerLanguage(fn))
      throw new UsageError(
        `--debug-function is not supported for ${fn.name} (${fn.runtime}): only Node (inspector), Python (debugpy) and Go (Delve) functions can wait for a debugger.`,
      );
  }
  // HTTPS beside HTTP on the gateway's port, for WebSocket handlers that call https://${domainName}/${stage}: made
  // before any function starts, since their processes take the certificate from the environment they start with.
  const certificate = lambda.listFunctions().some((fn) => fn.websocketEvents?.length) ? makeLocalCertificate() : undefined;
  if (certificate && 'problem' in certificate)
    process.stderr.write(
      `open-runtime: the gateway serves no HTTPS: ${certificate.problem}. WebSocket handlers must call the @connections API at http://\${domainName}/\${stage} here.\n`,
    );
  else if (certificate) Object.assign(process.env, certificate.environment); // passed to functions by runtimes/spawn.ts
  // The sidecar's token comes on stdin, not in the environment: every function is a child of the runner, under
  // the same user, and could read the runner's environment in /proc/<pid>/environ.
  const token = sidecar ? await readTokenLine() : randomBytes(24).toString('hex');
  let stopping = false;
  // Declared before shutdown, which may run (a control API /shutdown) before the gateway exists.
  let gateway: Gateway | undefined;
  let loadBalancers: LoadBalancers | undefined;
  const shutdown = () => {
    if (stopping) return;
    stopping = true;
    // Durable executions first: an invocation the stop cuts short replays at the next start instead of failing.
    durableOf(lambda)?.close();
    void Promise.all([gateway?.close(), loadBalancers?.close(), lambda.close(), analyzer?.then((a) => a.close())]).then(() => {
      if (certificate && 'dispose' in certificate) certificate.dispose();
      process.exit(0);
    });
  };
  const workspace = resolve(values.workspace ?? process.cwd());
  setDeployRoot(join(workspace, '.open-runtime', 'deployed'));
  // The TypeScript chain analysis runs in a worker thread, started on the first request.
  let analyzer: Promise<import('./analysis/in-worker.ts').ChainAnalyzer> | undefined;
  const warmChainAnalysis = async () => {
    const { middyDirs } = await import('./analysis/middy-installed.ts');
    const dirs = middyDirs([
      workspace,
      ...lambda
        .listFunctions()
        .filter((fn) => runtimeFamily(fn.runtime) === 'node')
        .map((fn) => fn.codeUri),
    ]);
    if (!dirs.length || stopping) return;
    analyzer ??= import('./analysis/in-worker.ts').then((m) => m.createChainAnalyzer());
    await (await analyzer).warm(dirs).catch(() => undefined);
  };
  const chains = async (body: unknown) => {
    const analysis = await import('./analysis/control-route.ts');
    analyzer ??= import('./analysis/in-worker.ts').then((m) => m.createChainAnalyzer());
    return analysis.chainReportFor(await analyzer, body, workspace, lambda.listFunctions());
  };
  const control = {
    token,
    reload,
    infer: (file: string, exportName: string | undefined) => inferFunction(resolve(workspace, file), { workspaceDir: workspace, exportName }),
    chains,
    componentInterface: async (file: string) => {
      const wit = await (await import('./runtimes/wasi/component-wit.ts')).componentInterfaceOfFile(resolve(workspace, file));
      const { componentCapabilities } = await import('./runtimes/wasi/capabilities/describe.ts');
      return { wit, capabilities: componentCapabilities(wit, resolve(workspace, file), lambda.listFunctions()) };
    },
    keyValue: async (store: string | undefined) => (await import('./runtimes/wasi/capabilities/describe.ts')).listKeyValue(workspace, store),
    shutdown,
    apiPort: () => (gateway?.port ? gateway.port : undefined),
    routes: () =>
      gateway?.port
        ? {
            apiPort: gateway.port,
            routes: listRoutes(gateway.routes(), gateway.port, lambda.listFunctions()),
            webSockets: webSocketRouteRows(gateway.webSocketApis(), gateway.port),
          }
        : { routes: [] },
    loadBalancers: () => loadBalancers?.describe().map(({ listener, port }) => ({ listener, port })) ?? [],
  };
  serveMainPort(lambda, {
    surfaceOf: (path) => (path.startsWith(CONTROL_PREFIX) ? 'token' : CODE_DOWNLOAD.test(path) || LAYER_DOWNLOAD.test(path) ? 'unsigned' : 'aws'),
    routes: [
      (req, res, path, query) => handleInvokeApi(lambda, req, res, path, query),
      (req, res, path, query) => handleControlPlane(lambda, req, res, path, query),
      (req, res, path, query) => handleDurableApi(lambda, durableOf(lambda), req, res, path, query),
      (req, res, path) => handleControlApi(lambda, control, req, res, path),
    ],
    allowedOrigins,
    bodyIdleMs: bodyIdleMsFromEnv(),
    plainRoutes: [plainInvokeApi(lambda)],
  });
  if (!values.quiet) {
    lambda.subscribe(
      (event) => {
        if (event.type === 'log') process.stderr.write(`[${event.function}] ${event.line}\n`);
      },
      ['log'],
    );
  }
  // Asynchronous invocations wait, and survive restarts, in the workspace (invoke/event-queue.ts).
  const queue = await (await import('./invoke/event-queue.ts')).useEventQueue(lambda, join(workspace, '.open-runtime'));
  // Durable executions too, kept by the runner that holds the workspace (durable/orchestrator.ts); --skip-waits ends
  // their waits and retry delays at once.
  const durable = await useDurableExecutions(lambda, queue ? join(workspace, '.open-runtime') : undefined, {
    skipWaits: values['skip-waits'] === true || /^(1|true|yes)$/i.test(process.env.OPEN_RUNTIME_DURABLE_SKIP_WAITS ?? ''),
    log: (line) => process.stderr.write(`open-runtime: ${line}\n`),
  });
  const actual = await lambda.listen();
  durable.open();
  // The editor asks for chain analyses as soon as a Middy file is open: the sidecar loads the TypeScript libs and
  // @middy declarations in the analysis worker now, in the background, so the first analysis only checks its file.
  // (It costs the sidecar about 300 MB while it lives; OPEN_RUNTIME_CHAIN_WARMUP=0 leaves it to the first analysis.)
  if (sidecar && process.env.OPEN_RUNTIME_CHAIN_WARMUP !== '0') void warmChainAnalysis();
  // Both serve the project's HTTP routes (runner/gateway/): start on --api-port (3000; 0: any free port), the editor's
  // sidecar on a free port unless told one (two editor windows must not fight over 3000), reported in its ready line.
  const apiPort = Number(values['api-port'] ?? (sidecar ? 0 : 3000));
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new UsageError(`Bad API port "${values['api-port']}".`);
  const auth = await gatewayAuthOptions(values, lambda.listFunctions());
  const idleSeconds = Number(values['ws-idle-timeout'] ?? 600);
  if (!(idleSeconds > 0))
    throw new UsageError(
      `Bad --ws-idle-timeout "${values['ws-idle-timeout']}": give the seconds an idle WebSocket connection stays open (API Gateway's are 600).`,
    );
  gateway = new Gateway(lambda, {
    port: apiPort,
    webSocket: { idleTimeoutMs: idleSeconds * 1000 },
    tls: certificate && 'key' in certificate ? certificate : undefined,
    log: values.quiet ? undefined : (line) => process.stderr.write(`[gateway] ${line}\n`),
    auth,
  });
  const gatewayPort = await gateway.listen(values['api-port'] === undefined).catch((error: Error) => {
    throw new UsageError(error.message);
  });
  // ALB listeners each get a port of their own (gateway/alb.ts), printed below and reported by /status.
  // The user to act as behind authenticate-oidc / -cognito listener rules, which can't log anyone in locally.
  const albIdentity = process.env.OPEN_RUNTIME_ALB_IDENTITY ? parseLocalIdentity(process.env.OPEN_RUNTIME_ALB_IDENTITY) : undefined;
  if (typeof albIdentity === 'string') process.stderr.write(`Open Runtime: ${albIdentity} Its x-amzn-oidc-* headers are not sent.\n`);
  loadBalancers = new LoadBalancers(lambda, {
    log: values.quiet ? undefined : (line) => process.stderr.write(`[alb] ${line}\n`),
    listenerActions: () => albActions,
    identity: typeof albIdentity === 'string' ? undefined : albIdentity,
  });
  await loadBalancers.sync();
  if (!sidecar)
    watchDefinitions(
      values.template && resolve(values.template),
      workspace,
      () => void reload().catch((error: Error) => process.stderr.write(`open-runtime: could not reload the functions: ${error.message}\n`)),
      () => definitionFiles,
    );
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  if (sidecar) {
    const ready: ReadyLine = { ready: true, port: actual, pid: process.pid, apiPort: gatewayPort };
    process.stdout.write(`${JSON.stringify(ready)}\n`);
    // The extension owns the sidecar: when it goes away (stdin closes), so does the runner.
    process.stdin
      .on('end', shutdown)
      .on('data', () => undefined)
      .resume();
  } else {
    const names = lambda
      .listFunctions()
      .map((fn) => `  ${fn.name} (${fn.runtime})${fn.path && fn.path !== fn.name ? ` ${fn.path}` : ''}`)
      .join('\n');
    const undebuggable = debugPort ? lambda.listFunctions().filter((fn) => !debuggerLanguage(fn)) : [];
    if (debugPort && debugFunctions.length) {
      process.stderr.write(
        `Open Runtime: each invocation of ${debugFunctions.map((address) => functionNamed(lambda.listFunctions(), address).name).join(', ')} (an HTTP request to its routes, an Invoke API call) waits for a debugger on 127.0.0.1:${debugPort} (one at a time); the gateway's integration timeout is suspended for it.\n`,
      );
    } else if (debugPort) {
      process.stderr.write(
        `Open Runtime: each invocation of a Node, Python, Go, Rust, C or C++ function waits for a debugger on 127.0.0.1:${debugPort} (one at a time).\n`,
      );
      if (undebuggable.length)
        process.stderr.write(
          `Open Runtime: --debug-port is not supported for ${undebuggable.map((fn) => `${fn.name} (${fn.runtime})`).join(', ')}: they run without a debugger.\n`,
        );
    }
    process.stderr.write(
      `Open Runtime: Lambda Invoke API on http://127.0.0.1:${actual}\n${names}\n` +
        `Try: aws lambda invoke --endpoint-url http://127.0.0.1:${actual} --function-name <name> --cli-binary-format raw-in-base64-out --payload '{}' out.json\n` +
        `(Requests must be signed as AWS clients sign them; any credentials do, e.g. AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local.)\n` +
        `Open Runtime: HTTP APIs on http://127.0.0.1:${gatewayPort}\n${gateway.routes().length ? describeRoutes(gateway.routes(), gatewayPort) : '  (no HTTP routes: add Api / HttpApi events or a FunctionUrlConfig to a function)'}\n` +
        (gateway.webSocketApis().length ? `Open Runtime: WebSocket APIs\n${describeWebSocketApis(gateway.webSocketApis(), gatewayPort)}\n` : '') +
        (loadBalancers.describe().length ? `Open Runtime: load balancers\n${describeListeners(loadBalancers.describe())}\n` : ''),
    );
  }
  return new Promise<number>(() => undefined); // runs until a signal
}

/**
 * The gateway's auth settings from flags and environment, with the one-line notices a user needs at start: JWT
 * signatures not checked, AWS_IAM routes checked for shape only (no credentials of the user's found).
 */
async function gatewayAuthOptions(
  values: { jwks?: string; 'no-verify-jwt'?: boolean; 'api-key'?: string[]; profile?: string },
  functions: readonly FunctionSpec[],
): Promise<import('./gateway/auth/authorize.ts').AuthOptions> {
  const verifySignatures = !(values['no-verify-jwt'] || /^(1|true|yes)$/i.test(process.env.OPEN_RUNTIME_NO_VERIFY_JWT ?? ''));
  const jwks = values.jwks ?? (process.env.OPEN_RUNTIME_JWKS || undefined);
  const apiKeys = [...(values['api-key'] ?? []), ...(process.env.OPEN_RUNTIME_API_KEYS ?? '').split(',').map((k) => k.trim())].filter(Boolean);
  const events = functions.flatMap((fn) => fn.httpEvents ?? []);
  if (!verifySignatures)
    process.stderr.write(
      'Open Runtime: JWT signatures are NOT checked (--no-verify-jwt): any token with the right issuer, audience and expiry is accepted. Never expose this gateway.\n',
    );
  // Credentials are looked for only when a route needs them: at start if one does (to say so now), else on the
  // first AWS_IAM request after a reload adds one.
  let credentials: Promise<import('./gateway/auth/sigv4.ts').SigningCredentials | undefined> | undefined;
  const findCredentials = () => (credentials ??= import('./gateway/auth/sigv4.ts').then((m) => m.findOwnCredentials(values.profile)));
  const iamRoutes = events.some((e) => e.auth?.iam) || functions.some((fn) => fn.websocketEvents?.some((e) => e.iam));
  if (iamRoutes && !(await findCredentials())) {
    process.stderr.write(
      'Open Runtime: no AWS credentials found (environment or profile), so AWS_IAM routes check that requests are SigV4-signed but not the signature (WebSocket AWS_IAM $connect routes too).\n',
    );
  }
  return { jwt: { verifySignatures, ...(jwks ? { jwks: /^https?:\/\//i.test(jwks) ? jwks : resolve(jwks) } : {}) }, apiKeys, findCredentials };
}

async function rieCommand(args: string[]): Promise<number> {
  // Like aws-lambda-rie, only options before BOOTSTRAP are its own; the rest goes to the command untouched
  // (`rie python -m awslambdaric app.handler`).
  const own = ['--runtime-interface-emulator-address', '--runtime-api-address', '--log-level'];
  const values: Record<string, string> = {};
  let at = 0;
  while (at < args.length && args[at]!.startsWith('-')) {
    const [flag, inline] = args[at]!.split(/=(.*)/s, 2) as [string, string | undefined];
    if (!own.includes(flag)) throw new UsageError(`Unknown rie option ${flag}. Its options are ${own.join(', ')}.`);
    const value = inline ?? args[at + 1];
    if (value === undefined) throw new UsageError(`${flag} needs a value.`);
    values[flag.slice(2)] = value;
    at += inline === undefined ? 2 : 1;
  }
  const [bootstrap, ...bootstrapArgs] = args.slice(at);
  if (!bootstrap) throw new UsageError('rie needs the BOOTSTRAP command to run, e.g. open-runtime rie ./bootstrap');
  const invokeAddress = parseAddress(values['runtime-interface-emulator-address'] ?? '127.0.0.1:8080');
  const runtimeAddress = values['runtime-api-address'] ? parseAddress(values['runtime-api-address']) : undefined;
  const fn = parseFunction(
    {
      name: 'function',
      runtime: 'provided.al2023',
      // aws-lambda-rie takes the handler from the command's last argument when _HANDLER is not set.
      handler: process.env._HANDLER ?? bootstrapArgs.at(-1) ?? 'function.handler',
      codeUri: process.env.LAMBDA_TASK_ROOT ?? process.cwd(),
      timeout: Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT ?? 300),
      memorySize: Number(process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? 3008),
      concurrency: 1,
    },
    'rie',
  );
  const lambda = new LocalLambda({ port: invokeAddress.port, hotReload: false });
  lambda.setFunctions([fn]);
  const command = bootstrap.includes('/') ? resolve(bootstrap) : bootstrap;
  lambda.setLaunchOverride(fn.name, { command, args: bootstrapArgs }, runtimeAddress?.port);
  serveMainPort(lambda, {
    surfaceOf: () => 'unsigned',
    routes: [(req, res, path, query) => handleInvokeApi(lambda, req, res, path, query)],
    allowedOrigins: originsOrExit([]),
    bodyIdleMs: bodyIdleMsFromEnv(),
    plainRoutes: [plainInvokeApi(lambda)],
  });
  lambda.subscribe(
    (event) => {
      if (event.type === 'log') process.stderr.write(`${event.line}\n`);
    },
    ['log'],
  );
  const port = await lambda.listen();
  process.stderr.write(`Open Runtime RIE: POST http://127.0.0.1:${port}/2015-03-31/functions/function/invocations\n`);
  const stop = () => void lambda.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return new Promise<number>(() => undefined);
}

/** `open-runtime export`: spin.toml and wadm.yaml for the project's components (export/engines.ts). */
async function exportCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args: samStyleArgs(args),
    options: {
      ...WORKSPACE_OPTIONS,
      out: { type: 'string' },
      name: { type: 'string' },
      'keyvalue-provider': { type: 'string' },
      'messaging-provider': { type: 'string' },
    },
  });
  const result = await loadWorkspace(values, 'export');
  reportDefinitionErrors(result.errors, result.skipped);
  const projectDir = resolve(values.workspace ?? (values.template ? dirname(resolve(values.template)) : process.cwd()));
  const out = resolve(values.out ?? projectDir);
  const { exportManifests } = await import('./export/engines.ts');
  const { spinToml, wadmYaml, notes } = exportManifests(result.functions, {
    projectDir: out,
    name: values.name ?? basename(projectDir),
    keyValueProvider: values['keyvalue-provider'],
    messagingProvider: values['messaging-provider'],
  });
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'spin.toml'), spinToml);
  writeFileSync(join(out, 'wadm.yaml'), wadmYaml);
  process.stderr.write(`Wrote ${join(out, 'spin.toml')} and ${join(out, 'wadm.yaml')}.\n${notes.map((n) => `note: ${n}\n`).join('')}`);
  return result.errors.length ? 1 : 0;
}

/** `open-runtime mcp` (mcp/command.ts): the project as MCP tools on stdio; its project options are start's. */
async function mcpServerCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args: samStyleArgs(args), options: WORKSPACE_OPTIONS });
  noticeContainerFlags(values);
  const { region, profile, template } = projectOptions(values, 'start');
  process.env.AWS_REGION = region; // lambdaArn (functions/model.ts) reads it: ARNs name the region the functions run in
  if (profile) process.env.AWS_PROFILE = profile;
  if (template && !existsSync(resolve(template))) throw new UsageError(`Template ${resolve(template)} does not exist.`);
  const workspaceDir = resolve(values.workspace ?? (values.template ? dirname(resolve(values.template)) : process.cwd()));
  return (await import('./mcp/command.ts')).mcpCommand({
    workspaceDir,
    template: template && resolve(template),
    region,
    load: () => loadWorkspace(values, 'start'),
    attachRunners,
  });
}

async function listCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args: samStyleArgs(args), options: WORKSPACE_OPTIONS });
  noticeContainerFlags(values);
  const result = await loadWorkspace(values, 'list');
  process.stdout.write(
    `${JSON.stringify({ functions: result.functions, errors: result.errors, skipped: result.skipped, files: result.files, albActions: result.albActions ?? [] }, null, 2)}\n`,
  );
  // Never a silent zero: say on stderr what was found and what was passed over.
  process.stderr.write(
    `${result.functions.length} function${result.functions.length === 1 ? '' : 's'}, ${result.errors.length} with errors, ${result.skipped.length} skipped.\n`,
  );
  for (const rule of result.albActions ?? [])
    process.stderr.write(`ALB listener ${rule.listener} ${rule.priority === 50001 ? 'default' : `#${rule.priority}`}: ${describeAction(rule)}\n`);
  reportDefinitionErrors([], result.skipped);
  return result.errors.length ? 1 : 0;
}

/** --allow-origin values and OPEN_RUNTIME_ALLOW_ORIGINS, checked. */
function originsOrExit(flags: string[]): Set<string> {
  const { origins, bad } = allowedOriginsFrom(flags, process.env.OPEN_RUNTIME_ALLOW_ORIGINS);
  if (bad.length)
    throw new UsageError(`Not an origin: ${bad.map((b) => JSON.stringify(b)).join(', ')}. An origin is scheme://host[:port], e.g. http://localhost:5173.`);
  return origins;
}

/** The first line of stdin: the control API's per-session token, written there by the editor. */
function readTokenLine(): Promise<string> {
  if (process.stdin.isTTY) {
    return Promise.reject(
      new UsageError(
        'serve reads its control token from the first line of stdin and stops when stdin closes; it is meant to be started by the editor. For a terminal, use open-runtime start.',
      ),
    );
  }
  return new Promise((resolve, reject) => {
    let text = '';
    const finish = (error?: Error) => {
      process.stdin.off('data', onData).off('end', onEnd).pause();
      if (error) return reject(error);
      const token = text.slice(0, text.indexOf('\n')).trim();
      if (!/^[A-Za-z0-9_-]{16,256}$/.test(token))
        reject(new UsageError('The first line of stdin must be the control token: 16 to 256 letters, digits, - or _.'));
      else resolve(token);
    };
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.includes('\n')) finish();
      else if (text.length > 1024) finish(new UsageError('The first line of stdin must be the control token, and it is longer than any token.'));
    };
    const onEnd = () => finish(new UsageError('serve reads its control token from the first line of stdin, but stdin closed before a line arrived.'));
    process.stdin.on('data', onData).on('end', onEnd);
  });
}

function parseAddress(value: string): { host: string; port: number } {
  const match = /^(?:(.*):)?(\d+)$/.exec(value);
  if (!match) throw new UsageError(`Bad address "${value}": expected HOST:PORT.`);
  const host = match[1] || '127.0.0.1';
  if (host !== '127.0.0.1' && host !== 'localhost') {
    process.stderr.write(`Open Runtime binds 127.0.0.1 only; ignoring host ${host}.\n`);
  }
  return { host: '127.0.0.1', port: Number(match[2]) };
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  async (err) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      // One line naming the mistake, then only the usage of the verb it was made in.
      const line = (err as Error).message.split('\n')[0]!.replace(/\. To specify a positional argument starting with a '-'.*$/, '.');
      process.stderr.write(`open-runtime: ${line}\n\n${await usageOf(process.argv[2])}\n`);
      process.exit(2);
    }
    process.stderr.write(`open-runtime: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

/**
 * `invoke` and `test` on durable functions: executions kept in memory for this run, and the runner's port serving the
 * durable execution API their SDK checkpoints to and the Invoke API for their context.invoke calls.
 */
async function serveDurableForOneRun(lambda: LocalLambda, skipWaitsFlag: boolean): Promise<Awaited<ReturnType<typeof useDurableExecutions>>> {
  const durable = await useDurableExecutions(lambda, undefined, {
    skipWaits: skipWaitsFlag || /^(1|true|yes)$/i.test(process.env.OPEN_RUNTIME_DURABLE_SKIP_WAITS ?? ''),
    log: (line) => process.stderr.write(`open-runtime: ${line}\n`),
  });
  serveMainPort(lambda, {
    surfaceOf: () => 'aws',
    routes: [
      (req, res, path, query) => handleDurableApi(lambda, durable, req, res, path, query),
      (req, res, path, query) => handleInvokeApi(lambda, req, res, path, query),
    ],
    allowedOrigins: originsOrExit([]),
    bodyIdleMs: bodyIdleMsFromEnv(),
  });
  return durable;
}

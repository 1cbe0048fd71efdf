// The local Lambda control plane, on the runner's main port next to the Invoke API, so that
// `aws lambda create-function --endpoint-url http://127.0.0.1:PORT`, the SDKs and `open-runtime deploy --target local`
// can deploy a .zip package and invoke it right after:
//   POST   /2015-03-31/functions                              CreateFunction
//   GET    /2015-03-31/functions/                             ListFunctions (?FunctionVersion=ALL&Marker&MaxItems)
//   GET    /2015-03-31/functions/{name}                       GetFunction (?Qualifier)
//   DELETE /2015-03-31/functions/{name}                       DeleteFunction (?Qualifier)
//   GET|PUT /2015-03-31/functions/{name}/configuration        GetFunctionConfiguration / UpdateFunctionConfiguration
//   PUT    /2015-03-31/functions/{name}/code                  UpdateFunctionCode
//   POST|GET /2015-03-31/functions/{name}/versions            PublishVersion / ListVersionsByFunction
//   POST|GET /2015-03-31/functions/{name}/aliases[/{alias}]   CreateAlias, GetAlias, UpdateAlias, DeleteAlias, ListAliases
//   /2018-10-31/layers/...                                    the layers API (control-plane-layers.ts), and Layers on functions
// with Lambda's JSON shapes and error types. The code is unpacked into `<deploy root>/<name>/<sha256 hex>/` and
// the function is added to the runner, so the Invoke API runs it. Changes apply at once: State is Active and
// LastUpdateStatus Successful in every answer, which is what the SDK waiters wait for.
//
// The control plane's functions are those deployed to it. A deployed function takes precedence over a template
// function of the same name (the template's comes back on DeleteFunction). Published versions and aliases are
// recorded and listed; invoking them by qualifier is up to the Invoke API (resolveQualifier below). A deployed
// function runs as on Lambda: its package, its layers at /opt, and not the runner's own middleware chain.
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPackage, MAX_UNZIPPED_BYTES, MAX_ZIPPED_BYTES } from '../build/check-package.ts';
import { defaultMaxConcurrency, RUNTIMES, type Architecture, type FunctionSpec, type Runtime } from '../functions/model.ts';
import { lambdaArn } from '../functions/arns.ts';
import { reservedVariablesIn, reservedVariablesMessage } from '../functions/reserved-variables.ts';
import { AwsError, BodyTooLargeError, decodeSegment, pageOf, readBody, sendAwsError, sendJson } from '../http-util.ts';
import type { LocalLambda } from '../local-lambda.ts';
import { attachLayers, handleLayers, type AttachedLayer } from './control-plane-layers.ts';
import { checkDownloadSignature, downloadSignature } from './download-link.ts';
import { durableConfigOut, readDurableConfig } from '../durable/config.ts';

/** Lambda's limit on a CreateFunction / UpdateFunctionCode request (a 50 MB zip, base64-encoded, plus JSON). */
export const MAX_CODE_REQUEST_BYTES = 70_167_211;
const MAX_CONFIG_REQUEST_BYTES = 1_048_576;
const ENVIRONMENT_LIMIT_BYTES = 4096;

const TEMP_ROOT = join(tmpdir(), `open-runtime-deployed-${process.pid}`);
let deployRoot = TEMP_ROOT;
// The default root is this process's own: it goes with it.
process.once('exit', () => {
  if (existsSync(TEMP_ROOT)) rmSync(TEMP_ROOT, { recursive: true, force: true });
});

/** Where deployed code is unpacked; the runner sets `<workspace>/.open-runtime/deployed`. Default: a temp folder. */
export function setDeployRoot(dir: string): void {
  deployRoot = dir;
}

export function getDeployRoot(): string {
  return deployRoot;
}

// ---- the registry ---------------------------------------------------------------------------------------------

interface FunctionConfiguration {
  FunctionName: string;
  FunctionArn: string;
  Runtime: Runtime;
  Role: string;
  Handler: string;
  CodeSize: number;
  Description: string;
  Timeout: number;
  MemorySize: number;
  LastModified: string;
  CodeSha256: string;
  Version: string;
  Environment?: { Variables: Record<string, string> };
  Layers?: Array<{ Arn: string; CodeSize: number }>;
  TracingConfig: { Mode: string };
  RevisionId: string;
  State: 'Active';
  LastUpdateStatus: 'Successful';
  PackageType: 'Zip';
  Architectures: Architecture[];
  EphemeralStorage: { Size: number };
  SnapStart: { ApplyOn: 'None'; OptimizationStatus: 'Off' };
  LoggingConfig: { LogFormat: 'Text'; LogGroup: string };
  RuntimeVersionConfig?: { RuntimeVersionArn: string };
  /** Set at creation only (Lambda refuses to change it after). */
  TenancyConfig?: { TenantIsolationMode: 'PER_TENANT' };
  /** Lambda Managed Instances: the capacity provider and how many invocations an environment runs at once. */
  CapacityProviderConfig?: { LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: string; PerExecutionEnvironmentMaxConcurrency?: number } };
  DurableConfig?: { ExecutionTimeout: number; RetentionPeriodInDays: number };
}

interface PublishedVersion {
  config: FunctionConfiguration;
  codeDir: string;
  /** The folders of its Layers, in order (shown at /opt). */
  layerDirs: string[];
}

interface Alias {
  AliasArn: string;
  Name: string;
  FunctionVersion: string;
  Description: string;
  RevisionId: string;
}

interface DeployedFunction {
  latest: FunctionConfiguration;
  codeDir: string;
  layerDirs: string[];
  versions: PublishedVersion[];
  nextVersion: number;
  aliases: Map<string, Alias>;
  /** The template's function of the same name, put back when this one is deleted. */
  shadowed: FunctionSpec | undefined;
}

const registries = new WeakMap<LocalLambda, Map<string, DeployedFunction>>();

function registryOf(lambda: LocalLambda): Map<string, DeployedFunction> {
  let registry = registries.get(lambda);
  if (!registry) {
    const created = new Map<string, DeployedFunction>();
    registry = created;
    registries.set(lambda, created);
    // Re-reading the templates replaces the runner's function list: keep what was deployed on top of it.
    lambda.subscribe(
      (event) => {
        if (event.type !== 'functions-changed') return;
        for (const [name, fn] of created) {
          const current = lambda.getFunction(name);
          if (current && current.codeUri !== fn.codeDir) fn.shadowed = current;
          else if (!current) fn.shadowed = undefined;
          if (current?.codeUri !== fn.codeDir) lambda.addFunction(specOf(fn.latest, fn.codeDir, fn.layerDirs));
        }
      },
      ['functions-changed'],
    );
  }
  return registry;
}

/** Deployed functions' specs, for a runner that rebuilds its function list (they go on top of the template's). */
export function deployedFunctions(lambda: LocalLambda): FunctionSpec[] {
  return [...(registries.get(lambda)?.values() ?? [])].map((fn) => specOf(fn.latest, fn.codeDir, fn.layerDirs));
}

/**
 * What a qualified invoke (`--qualifier 3`, `--qualifier live`) runs: the code folder and configuration of that
 * version, or undefined when the name is not deployed or the qualifier is unknown. For the Invoke API.
 */
export function resolveQualifier(lambda: LocalLambda, name: string, qualifier: string): FunctionSpec | undefined {
  const fn = registries.get(lambda)?.get(name);
  if (!fn) return undefined;
  const version = qualifier === '$LATEST' ? undefined : (fn.aliases.get(qualifier)?.FunctionVersion ?? qualifier);
  if (version === undefined || version === '$LATEST') return specOf(fn.latest, fn.codeDir, fn.layerDirs);
  const published = fn.versions.find((v) => v.config.Version === version);
  return published ? specOf(published.config, published.codeDir, published.layerDirs) : undefined;
}

function specOf(config: FunctionConfiguration, codeDir: string, layerDirs: string[]): FunctionSpec {
  return {
    name: config.FunctionName,
    runtime: config.Runtime,
    handler: config.Handler,
    codeUri: codeDir,
    architecture: config.Architectures[0] ?? 'x86_64',
    memorySize: config.MemorySize,
    timeout: config.Timeout,
    environment: config.Environment?.Variables ?? {},
    concurrency: 10,
    runtimeClient: 'open-runtime',
    layers: layerDirs,
    middlewares: [],
    deployed: true,
    version: config.Version,
    ...(config.TenancyConfig ? { tenantIsolation: config.TenancyConfig.TenantIsolationMode } : {}),
    ...(config.CapacityProviderConfig
      ? {
          maxConcurrency:
            config.CapacityProviderConfig.LambdaManagedInstancesCapacityProviderConfig.PerExecutionEnvironmentMaxConcurrency ??
            defaultMaxConcurrency(config.Runtime),
        }
      : {}),
    ...(config.DurableConfig
      ? { durable: { executionTimeout: config.DurableConfig.ExecutionTimeout, retentionPeriodInDays: config.DurableConfig.RetentionPeriodInDays } }
      : {}),
  };
}

// ---- routing --------------------------------------------------------------------------------------------------

const FUNCTIONS = /^\/2015-03-31\/functions\/?$/;
const FUNCTION = /^\/2015-03-31\/functions\/([^/]+)(?:\/(configuration|code|versions|aliases|code\.zip)(?:\/([^/]+))?)?\/?$/;
/** GetFunction's Code.Location, which callers fetch unsigned (it stands for a presigned S3 URL). */
export const CODE_DOWNLOAD = /^\/2015-03-31\/functions\/[^/]+\/code\.zip$/;

type Operation = (at: At, subName: string) => Promise<void>;
/**
 * The operations: method, what follows /functions/{name} ('' for the function itself, null for /functions),
 * whether it takes a /{name} of its own (an alias), and what runs.
 */
const OPERATIONS: ReadonlyArray<readonly [method: string, sub: string | null, named: boolean, run: Operation]> = [
  ['POST', null, false, (at) => createFunction(at)],
  ['GET', null, false, (at) => listFunctions(at)],
  ['GET', '', false, (at) => getFunction(at)],
  ['DELETE', '', false, (at) => deleteFunction(at)],
  ['GET', 'configuration', false, (at) => getFunctionConfiguration(at)],
  ['PUT', 'configuration', false, (at) => updateFunctionConfiguration(at)],
  ['PUT', 'code', false, (at) => updateFunctionCode(at)],
  ['GET', 'code.zip', false, (at) => downloadCode(at)],
  ['POST', 'versions', false, (at) => publishVersion(at)],
  ['GET', 'versions', false, (at) => listVersions(at)],
  ['POST', 'aliases', false, (at) => createAlias(at)],
  ['GET', 'aliases', false, (at) => listAliases(at)],
  ['GET', 'aliases', true, getAlias],
  ['PUT', 'aliases', true, updateAlias],
  ['DELETE', 'aliases', true, deleteAlias],
];

/** Answers the request if it is a control-plane call; returns false otherwise. */
export function handleControlPlane(lambda: LocalLambda, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): boolean {
  const method = req.method ?? 'GET';
  if (handleLayers(lambda, req, res, path, query, deployRoot)) return true;
  const list = FUNCTIONS.test(path);
  const match = list ? null : FUNCTION.exec(path);
  if (!list && !match) return false;
  const fail = (err: unknown) => {
    if (err instanceof AwsError) sendAwsError(res, err.status, err.type, err.message);
    else if (!res.headersSent) sendAwsError(res, 500, 'ServiceException', `The local control plane failed: ${(err as Error).message}`);
    else res.destroy();
  };
  let at: At;
  let sub: string | null = null;
  let subName = '';
  try {
    // The registry (and its listener on the runner) exists from the first control-plane call on.
    const ctx = { lambda, req, res, query, registry: registryOf(lambda) };
    if (!match) at = { ...ctx, name: '', qualifier: undefined };
    else {
      const { name, qualifier } = splitName(decodeSegment(match[1]!, 'function name'));
      sub = match[2] ?? '';
      subName = match[3] ? decodeSegment(match[3], 'alias name') : '';
      at = { ...ctx, name, qualifier: qualifier ?? query.get('Qualifier') ?? undefined };
    }
  } catch (err) {
    req.resume();
    fail(err);
    return true;
  }
  const operation = OPERATIONS.find(([m, s, named]) => m === method && s === sub && named === (subName !== ''));
  if (!operation) {
    req.resume();
    sendAwsError(
      res,
      404,
      'UnknownOperationException',
      `The local Lambda control plane has no ${method} ${path}. It serves CreateFunction, GetFunction, GetFunctionConfiguration, UpdateFunctionCode, UpdateFunctionConfiguration, ListFunctions, DeleteFunction, PublishVersion, ListVersionsByFunction, aliases and layers.`,
    );
    return true;
  }
  operation[3](at, subName).catch(fail);
  return true;
}

const notFound = (name: string, qualifier?: string) => new AwsError(404, 'ResourceNotFoundException', `Function not found: ${lambdaArn(name, qualifier)}`);
const invalid = (message: string) => new AwsError(400, 'InvalidParameterValueException', message);
const validation = (problems: string[]) =>
  new AwsError(400, 'ValidationException', `${problems.length} validation error${problems.length === 1 ? '' : 's'} detected: ${problems.join('; ')}`);

interface Ctx {
  lambda: LocalLambda;
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  registry: Map<string, DeployedFunction>;
}
interface At extends Ctx {
  name: string;
  qualifier: string | undefined;
}

/** A name, a partial ARN (123456789012:function:name) or a full ARN, each optionally with `:qualifier`. */
function splitName(raw: string): { name: string; qualifier: string | undefined } {
  const arn = /^(?:arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:|\d{12}:function:)?([^:]+)(?::([^:]+))?$/.exec(raw);
  return arn ? { name: arn[1]!, qualifier: arn[2] } : { name: raw, qualifier: undefined };
}

async function readJson(req: IncomingMessage, limit: number, operation: string): Promise<Record<string, unknown>> {
  let body: Buffer;
  try {
    body = await readBody(req, limit);
  } catch (err) {
    if (err instanceof BodyTooLargeError)
      throw new AwsError(413, 'RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the ${operation} operation`);
    throw err;
  }
  if (!body.length) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AwsError(400, 'SerializationException', `The ${operation} request body is not a JSON object.`);
}

function existing(at: At): DeployedFunction {
  const fn = at.registry.get(at.name);
  if (!fn) {
    const inTemplate = at.lambda.getFunction(at.name);
    if (inTemplate) {
      throw new AwsError(
        404,
        'ResourceNotFoundException',
        `Function not found: ${lambdaArn(at.name)}. ${at.name} comes from ${inTemplate.source?.file ?? "the runner's template"}, not from the control plane: create it with CreateFunction to deploy a package under that name.`,
      );
    }
    throw notFound(at.name);
  }
  return fn;
}

/** The configuration a qualifier names: $LATEST (or none), a published version, or an alias. */
function configAt(fn: DeployedFunction, name: string, qualifier: string | undefined): PublishedVersion {
  const latest = { config: fn.latest, codeDir: fn.codeDir, layerDirs: fn.layerDirs };
  if (!qualifier || qualifier === '$LATEST') return latest;
  const version = fn.aliases.get(qualifier)?.FunctionVersion ?? qualifier;
  if (version === '$LATEST') return latest;
  const found = fn.versions.find((v) => v.config.Version === version);
  if (!found) throw notFound(name, qualifier);
  return found;
}

// ---- checking input -------------------------------------------------------------------------------------------

const NAME = /^[a-zA-Z0-9-_]{1,64}$/;
const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;
const RETIRED_RUNTIMES = new Set([
  'nodejs',
  'nodejs4.3',
  'nodejs6.10',
  'nodejs8.10',
  'nodejs10.x',
  'nodejs12.x',
  'nodejs14.x',
  'nodejs16.x',
  'nodejs18.x',
  'python2.7',
  'python3.6',
  'python3.7',
  'python3.8',
  'go1.x',
  'ruby2.5',
  'ruby2.7',
  'dotnetcore1.0',
  'dotnetcore2.1',
  'dotnetcore3.1',
  'java8',
]);

interface ConfigInput {
  Runtime?: Runtime;
  Role?: string;
  Handler?: string;
  Description?: string;
  Timeout?: number;
  MemorySize?: number;
  Environment?: Record<string, string>;
  Architectures?: Architecture[];
  Layers?: AttachedLayer[];
  DurableConfig?: { ExecutionTimeout: number; RetentionPeriodInDays: number };
}

/** Reads the configuration members both CreateFunction and UpdateFunctionConfiguration take. */
function readConfigInput(body: Record<string, unknown>, lambda: LocalLambda): ConfigInput {
  const problems: string[] = [];
  const out: ConfigInput = {};
  const at = (member: string, value: unknown, constraint: string) =>
    problems.push(`Value ${JSON.stringify(value) ?? 'null'} at '${member}' failed to satisfy constraint: ${constraint}`);
  if (body.Role !== undefined) {
    if (typeof body.Role !== 'string' || !ROLE.test(body.Role))
      at('role', body.Role, `Member must satisfy regular expression pattern: ${ROLE.source.slice(1, -1)}`);
    else out.Role = body.Role;
  }
  if (body.Runtime !== undefined) {
    const runtime = String(body.Runtime);
    if (RETIRED_RUNTIMES.has(runtime)) {
      throw invalid(
        `The runtime parameter of ${runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use a supported runtime while creating or updating functions.`,
      );
    }
    if (!(RUNTIMES as readonly string[]).includes(runtime)) {
      throw invalid(`The runtime parameter of ${runtime} is not supported by the local runner. It runs ${RUNTIMES.filter((r) => r !== 'wasi').join(', ')}.`);
    }
    out.Runtime = runtime as Runtime;
  }
  if (body.Handler !== undefined) {
    if (typeof body.Handler !== 'string' || body.Handler.length > 128 || !/^[^\s]+$/.test(body.Handler))
      at('handler', body.Handler, 'Member must satisfy regular expression pattern: [^\\s]+');
    else out.Handler = body.Handler;
  }
  if (body.Description !== undefined) {
    if (typeof body.Description !== 'string' || body.Description.length > 256)
      at('description', body.Description, 'Member must have length less than or equal to 256');
    else out.Description = body.Description;
  }
  if (body.Timeout !== undefined) {
    const t = body.Timeout;
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 1) at('timeout', t, 'Member must have value greater than or equal to 1');
    else if (t > 900) at('timeout', t, 'Member must have value less than or equal to 900');
    else out.Timeout = t;
  }
  if (body.MemorySize !== undefined) {
    const m = body.MemorySize;
    if (typeof m !== 'number' || !Number.isInteger(m) || m < 128) at('memorySize', m, 'Member must have value greater than or equal to 128');
    else if (m > 10240) at('memorySize', m, 'Member must have value less than or equal to 10240');
    else out.MemorySize = m;
  }
  if (body.Architectures !== undefined) {
    const a = body.Architectures;
    if (!Array.isArray(a) || a.length !== 1) at('architectures', a, 'Member must have length less than or equal to 1 and greater than or equal to 1');
    else if (a[0] !== 'x86_64' && a[0] !== 'arm64')
      at('architectures', a, 'Member must satisfy constraint: [Member must satisfy enum value set: [x86_64, arm64]]');
    else out.Architectures = [a[0]];
  }
  if (body.Environment !== undefined) {
    const variables = (body.Environment as { Variables?: unknown } | null)?.Variables ?? {};
    if (typeof variables !== 'object' || variables === null || Object.values(variables).some((v) => typeof v !== 'string')) {
      at('environment.variables', variables, 'Member must be a map of strings');
    } else {
      const vars = variables as Record<string, string>;
      const reserved = reservedVariablesIn(Object.keys(vars));
      if (reserved.length) throw invalid(reservedVariablesMessage(reserved));
      if (Buffer.byteLength(JSON.stringify(vars)) > ENVIRONMENT_LIMIT_BYTES)
        throw invalid('Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit.');
      out.Environment = vars;
    }
  }
  // Layers published to this control plane; [] detaches them all.
  if (body.Layers !== undefined) out.Layers = attachLayers(lambda, body.Layers);
  if (body.DurableConfig !== undefined) {
    const read = readDurableConfig(body.DurableConfig);
    if ('problems' in read) throw invalid(read.problems.join(' '));
    out.DurableConfig = durableConfigOut(read);
  }
  if (problems.length) throw validation(problems);
  return out;
}

/** The ZipFile of a request, checked like Lambda would check it (plus the architecture of its native code). */
function readCode(body: Record<string, unknown>, operation: string): Buffer {
  const code = (operation === 'CreateFunction' ? body.Code : body) as Record<string, unknown> | undefined;
  if (body.PackageType === 'Image' || code?.ImageUri)
    throw invalid("The local runner runs .zip packages only, not container images. Deploy the function's code as a ZipFile.");
  if (code?.S3Bucket || code?.S3Key)
    throw invalid(
      "The local control plane takes the code as ZipFile only: it can't read S3. Pass the zip itself (aws lambda ... --zip-file fileb://function.zip).",
    );
  if (typeof code?.ZipFile !== 'string' || !code.ZipFile) {
    throw invalid(
      operation === 'CreateFunction'
        ? 'Code is required: pass Code.ZipFile (aws lambda create-function --zip-file fileb://function.zip).'
        : 'ZipFile is required: pass the new package (aws lambda update-function-code --zip-file fileb://function.zip).',
    );
  }
  const zip = Buffer.from(code.ZipFile, 'base64');
  if (zip.length > MAX_ZIPPED_BYTES)
    throw new AwsError(413, 'RequestEntityTooLargeException', `Request must be smaller than ${MAX_CODE_REQUEST_BYTES} bytes for the ${operation} operation`);
  return zip;
}

/**
 * Unpacks a checked package into `<root>/<name>/<sha hex>/` and returns the folder and the zip's CodeSha256. It is
 * unpacked into a temporary folder next to it and renamed into place, so no half-unpacked folder is ever left.
 */
function unpack(
  name: string,
  zip: Buffer,
  config: { Runtime: Runtime; Handler: string; Architectures: Architecture[] },
  operation: string,
): { codeDir: string; sha256: string; size: number } {
  const digest = createHash('sha256').update(zip);
  const sha256 = digest.copy().digest('base64');
  const codeDir = join(deployRoot, name, digest.digest('hex'));
  // The zip next to the folder is written last: its presence means the folder is complete.
  const unpacked = existsSync(`${codeDir}.zip`);
  const partial = `${codeDir}.partial-${randomUUID()}`;
  if (!unpacked) mkdirSync(partial, { recursive: true });
  try {
    const checked = checkPackage(
      zip,
      { architecture: config.Architectures[0] ?? 'x86_64', runtime: config.Runtime, handler: config.Handler },
      unpacked ? {} : { extractTo: partial },
    );
    for (const p of checked.problems) {
      if (p.kind === 'format') throw invalid(`Could not unzip uploaded file. Please check your file, then try to upload again. (${p.message})`);
      if (p.kind === 'size' && checked.unzippedSize > MAX_UNZIPPED_BYTES) throw invalid(`Unzipped size must be smaller than ${MAX_UNZIPPED_BYTES} bytes`);
      if (p.kind === 'size')
        throw new AwsError(
          413,
          'RequestEntityTooLargeException',
          `Request must be smaller than ${MAX_CODE_REQUEST_BYTES} bytes for the ${operation} operation`,
        );
      // Lambda itself would accept the upload and fail at the first invoke; the local runner says so now.
      if (p.kind === 'architecture' || p.kind === 'glibc') throw invalid(p.message);
    }
    if (!unpacked) {
      rmSync(codeDir, { recursive: true, force: true });
      renameSync(partial, codeDir);
      writeFileSync(`${codeDir}.zip`, zip);
    }
  } finally {
    rmSync(partial, { recursive: true, force: true });
  }
  // Bootstrap or handler problems are left for the invoke, as in Lambda: the package deploys, the function fails.
  return { codeDir, sha256, size: zip.length };
}

/** CreateFunction's TenancyConfig: absent, or {TenantIsolationMode: PER_TENANT}. */
function readTenancy(value: unknown): FunctionConfiguration['TenancyConfig'] {
  if (value === undefined || value === null) return undefined;
  const mode = (value as { TenantIsolationMode?: unknown }).TenantIsolationMode;
  if (mode !== 'PER_TENANT')
    throw validation([
      `Value ${JSON.stringify(mode) ?? 'null'} at 'tenancyConfig.tenantIsolationMode' failed to satisfy constraint: Member must satisfy enum value set: [PER_TENANT]`,
    ]);
  return { TenantIsolationMode: 'PER_TENANT' };
}

/** CreateFunction's CapacityProviderConfig (Lambda Managed Instances): absent, or a provider ARN and an optional maximum. */
function readCapacityProvider(value: unknown): FunctionConfiguration['CapacityProviderConfig'] {
  if (value === undefined || value === null) return undefined;
  const managed = (value as { LambdaManagedInstancesCapacityProviderConfig?: Record<string, unknown> }).LambdaManagedInstancesCapacityProviderConfig;
  const arn = managed?.CapacityProviderArn;
  if (typeof arn !== 'string' || !arn)
    throw validation([
      "Value null at 'capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig.capacityProviderArn' failed to satisfy constraint: Member must not be null",
    ]);
  const max = managed!.PerExecutionEnvironmentMaxConcurrency;
  if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 1000)) {
    throw validation([
      `Value ${JSON.stringify(max)} at 'capacityProviderConfig.lambdaManagedInstancesCapacityProviderConfig.perExecutionEnvironmentMaxConcurrency' failed to satisfy constraint: Member must be a whole number from 1 to 1000`,
    ]);
  }
  return {
    LambdaManagedInstancesCapacityProviderConfig: { CapacityProviderArn: arn, ...(max !== undefined ? { PerExecutionEnvironmentMaxConcurrency: max } : {}) },
  };
}

function lastModified(): string {
  return new Date().toISOString().replace('Z', '+0000');
}

// ---- operations -----------------------------------------------------------------------------------------------

async function createFunction(ctx: Ctx): Promise<void> {
  const body = await readJson(ctx.req, MAX_CODE_REQUEST_BYTES, 'CreateFunction');
  const name = typeof body.FunctionName === 'string' ? splitName(body.FunctionName).name : undefined;
  const problems: string[] = [];
  if (!name) problems.push("Value null at 'functionName' failed to satisfy constraint: Member must not be null");
  else if (!NAME.test(name))
    problems.push(
      `Value '${name}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9-_]+ and have length less than or equal to 64`,
    );
  if (body.Role === undefined || body.Role === null) problems.push("Value null at 'role' failed to satisfy constraint: Member must not be null");
  if (problems.length) throw validation(problems);
  if (ctx.registry.has(name!)) throw new AwsError(409, 'ResourceConflictException', `Function already exist: ${name}`);
  const input = readConfigInput(body, ctx.lambda);
  if (!input.Runtime || !input.Handler) throw invalid('Runtime and Handler are mandatory parameters for functions created with deployment packages.');
  const architectures = input.Architectures ?? ['x86_64'];
  const tenancy = readTenancy(body.TenancyConfig);
  const capacity = readCapacityProvider(body.CapacityProviderConfig);
  const zip = readCode(body, 'CreateFunction');
  const { codeDir, sha256, size } = unpack(name!, zip, { Runtime: input.Runtime, Handler: input.Handler, Architectures: architectures }, 'CreateFunction');
  const latest: FunctionConfiguration = {
    FunctionName: name!,
    FunctionArn: lambdaArn(name!),
    Runtime: input.Runtime,
    Role: input.Role!,
    Handler: input.Handler,
    CodeSize: size,
    Description: input.Description ?? '',
    Timeout: input.Timeout ?? 3,
    MemorySize: input.MemorySize ?? 128,
    LastModified: lastModified(),
    CodeSha256: sha256,
    Version: '$LATEST',
    ...(input.Environment ? { Environment: { Variables: input.Environment } } : {}),
    ...(input.Layers?.length ? { Layers: input.Layers.map(({ Arn, CodeSize }) => ({ Arn, CodeSize })) } : {}),
    TracingConfig: { Mode: (body.TracingConfig as { Mode?: string } | undefined)?.Mode ?? 'PassThrough' },
    RevisionId: randomUUID(),
    State: 'Active',
    LastUpdateStatus: 'Successful',
    PackageType: 'Zip',
    Architectures: architectures,
    EphemeralStorage: { Size: Number((body.EphemeralStorage as { Size?: number } | undefined)?.Size ?? 512) },
    SnapStart: { ApplyOn: 'None', OptimizationStatus: 'Off' },
    LoggingConfig: { LogFormat: 'Text', LogGroup: `/aws/lambda/${name}` },
    ...(tenancy ? { TenancyConfig: tenancy } : {}),
    ...(capacity ? { CapacityProviderConfig: capacity } : {}),
    ...(input.DurableConfig ? { DurableConfig: input.DurableConfig } : {}),
  };
  const fn: DeployedFunction = {
    latest,
    codeDir,
    layerDirs: input.Layers?.map((l) => l.dir) ?? [],
    versions: [],
    nextVersion: 1,
    aliases: new Map(),
    shadowed: ctx.lambda.getFunction(name!),
  };
  ctx.registry.set(name!, fn);
  ctx.lambda.addFunction(specOf(latest, codeDir, fn.layerDirs));
  const answer = body.Publish === true ? publish(fn, undefined).config : latest;
  sendJson(ctx.res, 201, answer);
}

async function getFunction(at: At): Promise<void> {
  at.req.resume();
  const fn = existing(at);
  const { config } = configAt(fn, at.name, at.qualifier);
  const host = at.req.headers.host ?? `127.0.0.1:${at.lambda.port}`;
  const location = `http://${host}/2015-03-31/functions/${encodeURIComponent(at.name)}/code.zip?Qualifier=${encodeURIComponent(config.Version)}&X-Amz-Signature=${downloadSignature('function', at.name, config.Version)}`;
  sendJson(at.res, 200, { Configuration: config, Code: { RepositoryType: 'S3', Location: location }, Tags: {} });
}

async function getFunctionConfiguration(at: At): Promise<void> {
  at.req.resume();
  sendJson(at.res, 200, configAt(existing(at), at.name, at.qualifier).config);
}

/** GetFunction's Code.Location: the package exactly as it was uploaded (its SHA-256 is CodeSha256). */
async function downloadCode(at: At): Promise<void> {
  at.req.resume();
  checkDownloadSignature(at.query, 'GetFunction (Code.Location)', 'function', at.name, at.qualifier ?? '$LATEST');
  const { codeDir } = configAt(existing(at), at.name, at.qualifier);
  const zip = readFileSync(`${codeDir}.zip`);
  at.res.writeHead(200, { 'Content-Type': 'application/zip', 'Content-Length': zip.length }).end(zip);
}

async function listFunctions(ctx: Ctx): Promise<void> {
  ctx.req.resume();
  const all = ctx.query.get('FunctionVersion') === 'ALL';
  const configs = [...ctx.registry.values()]
    .sort((a, b) => (a.latest.FunctionName < b.latest.FunctionName ? -1 : 1))
    .flatMap((fn) => (all ? [fn.latest, ...fn.versions.map((v) => v.config)] : [fn.latest]));
  sendJson(ctx.res, 200, pageOf(ctx.query, configs, 'Functions', 10_000));
}

async function updateFunctionCode(at: At): Promise<void> {
  const body = await readJson(at.req, MAX_CODE_REQUEST_BYTES, 'UpdateFunctionCode');
  const fn = existing(at);
  checkRevision(fn.latest, body.RevisionId);
  const architectures =
    body.Architectures !== undefined ? readConfigInput({ Architectures: body.Architectures }, at.lambda).Architectures! : fn.latest.Architectures;
  const zip = readCode(body, 'UpdateFunctionCode');
  const { codeDir, sha256, size } = unpack(
    at.name,
    zip,
    { Runtime: fn.latest.Runtime, Handler: fn.latest.Handler, Architectures: architectures },
    'UpdateFunctionCode',
  );
  if (body.DryRun === true) {
    sendJson(at.res, 200, { ...fn.latest, CodeSha256: sha256, CodeSize: size, Architectures: architectures });
    return;
  }
  fn.latest = { ...fn.latest, CodeSha256: sha256, CodeSize: size, Architectures: architectures, LastModified: lastModified(), RevisionId: randomUUID() };
  fn.codeDir = codeDir;
  at.lambda.addFunction(specOf(fn.latest, codeDir, fn.layerDirs));
  sendJson(at.res, 200, body.Publish === true ? publish(fn, undefined).config : fn.latest);
}

async function updateFunctionConfiguration(at: At): Promise<void> {
  const body = await readJson(at.req, MAX_CONFIG_REQUEST_BYTES, 'UpdateFunctionConfiguration');
  const fn = existing(at);
  checkRevision(fn.latest, body.RevisionId);
  if (body.TenancyConfig !== undefined)
    throw invalid('Tenant isolation configuration cannot be modified after function creation: TenancyConfig is set by CreateFunction only.');
  const input = readConfigInput(body, at.lambda);
  const { Environment, Layers, ...rest } = input;
  const next: FunctionConfiguration = { ...fn.latest, ...rest, LastModified: lastModified(), RevisionId: randomUUID() };
  if (Environment) next.Environment = { Variables: Environment };
  if (Layers) {
    next.Layers = Layers.map(({ Arn, CodeSize }) => ({ Arn, CodeSize }));
    if (!Layers.length) delete next.Layers;
    fn.layerDirs = Layers.map((l) => l.dir);
  }
  fn.latest = next;
  at.lambda.addFunction(specOf(fn.latest, fn.codeDir, fn.layerDirs));
  sendJson(at.res, 200, fn.latest);
}

function checkRevision(config: FunctionConfiguration, revision: unknown): void {
  if (revision !== undefined && revision !== config.RevisionId) {
    throw new AwsError(
      412,
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    );
  }
}

/** A new version from $LATEST, or the newest one when nothing changed since (as Lambda does). */
function publish(fn: DeployedFunction, description: string | undefined): PublishedVersion {
  const newest = fn.versions[fn.versions.length - 1];
  const sameAsNewest = newest && fingerprint(newest.config) === fingerprint(fn.latest);
  if (sameAsNewest) return newest;
  const version = String(fn.nextVersion++);
  const config: FunctionConfiguration = {
    ...fn.latest,
    Version: version,
    FunctionArn: lambdaArn(fn.latest.FunctionName, version),
    Description: description ?? fn.latest.Description,
    RevisionId: randomUUID(),
  };
  const published = { config, codeDir: fn.codeDir, layerDirs: fn.layerDirs };
  fn.versions.push(published);
  return published;
}

function fingerprint(c: FunctionConfiguration): string {
  return JSON.stringify([
    c.CodeSha256,
    c.Runtime,
    c.Handler,
    c.Role,
    c.Timeout,
    c.MemorySize,
    c.Environment ?? null,
    c.Layers ?? null,
    c.Architectures,
    c.TracingConfig,
    c.EphemeralStorage,
  ]);
}

async function publishVersion(at: At): Promise<void> {
  const body = await readJson(at.req, MAX_CONFIG_REQUEST_BYTES, 'PublishVersion');
  const fn = existing(at);
  checkRevision(fn.latest, body.RevisionId);
  if (typeof body.CodeSha256 === 'string' && body.CodeSha256 !== fn.latest.CodeSha256) {
    throw invalid(
      `CodeSHA256 (${body.CodeSha256}) is different from current CodeSHA256 in $LATEST (${fn.latest.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.`,
    );
  }
  sendJson(at.res, 201, publish(fn, typeof body.Description === 'string' ? body.Description : undefined).config);
}

async function listVersions(at: At): Promise<void> {
  at.req.resume();
  const fn = existing(at);
  sendJson(at.res, 200, pageOf(at.query, [fn.latest, ...fn.versions.map((v) => v.config)], 'Versions', 10_000));
}

async function deleteFunction(at: At): Promise<void> {
  at.req.resume();
  const fn = existing(at);
  if (at.qualifier && at.qualifier !== '$LATEST') {
    const index = fn.versions.findIndex((v) => v.config.Version === at.qualifier);
    if (index < 0) throw notFound(at.name, at.qualifier);
    const aliased = [...fn.aliases.values()].find((a) => a.FunctionVersion === at.qualifier);
    if (aliased) throw new AwsError(409, 'ResourceConflictException', `Unable to delete version because the following aliases reference it: [${aliased.Name}]`);
    fn.versions.splice(index, 1);
  } else if (at.qualifier === '$LATEST') {
    throw invalid('$LATEST version cannot be deleted without deleting the function.');
  } else {
    at.registry.delete(at.name);
    const others = at.lambda.listFunctions().filter((f) => f.name !== at.name);
    at.lambda.setFunctions(fn.shadowed ? [...others, fn.shadowed] : others, at.lambda.definitionErrors);
    rmSync(join(deployRoot, at.name), { recursive: true, force: true });
  }
  at.res.writeHead(204, { 'X-Amzn-RequestId': randomUUID() }).end();
}

// ---- aliases --------------------------------------------------------------------------------------------------

const ALIAS_NAME = /^(?!^[0-9]+$)([a-zA-Z0-9-_]+)$/;

function aliasVersion(fn: DeployedFunction, name: string, version: unknown): string {
  if (typeof version !== 'string' || !version) throw validation(["Value null at 'functionVersion' failed to satisfy constraint: Member must not be null"]);
  if (version !== '$LATEST' && !fn.versions.some((v) => v.config.Version === version)) throw notFound(name, version);
  return version;
}

async function createAlias(at: At): Promise<void> {
  const body = await readJson(at.req, MAX_CONFIG_REQUEST_BYTES, 'CreateAlias');
  const fn = existing(at);
  const aliasName = body.Name;
  if (typeof aliasName !== 'string' || !ALIAS_NAME.test(aliasName) || aliasName.length > 128) {
    throw validation([
      `Value ${JSON.stringify(aliasName) ?? 'null'} at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)`,
    ]);
  }
  const arn = lambdaArn(at.name, aliasName);
  if (fn.aliases.has(aliasName)) throw new AwsError(409, 'ResourceConflictException', `Alias already exists: ${arn}`);
  const alias: Alias = {
    AliasArn: arn,
    Name: aliasName,
    FunctionVersion: aliasVersion(fn, at.name, body.FunctionVersion),
    Description: typeof body.Description === 'string' ? body.Description : '',
    RevisionId: randomUUID(),
  };
  fn.aliases.set(aliasName, alias);
  sendJson(at.res, 201, alias);
}

function existingAlias(at: At, aliasName: string): { fn: DeployedFunction; alias: Alias } {
  const fn = existing(at);
  const alias = fn.aliases.get(aliasName);
  if (!alias) throw new AwsError(404, 'ResourceNotFoundException', `Alias not found: ${lambdaArn(at.name, aliasName)}`);
  return { fn, alias };
}

async function getAlias(at: At, aliasName: string): Promise<void> {
  at.req.resume();
  sendJson(at.res, 200, existingAlias(at, aliasName).alias);
}

async function updateAlias(at: At, aliasName: string): Promise<void> {
  const body = await readJson(at.req, MAX_CONFIG_REQUEST_BYTES, 'UpdateAlias');
  const { fn, alias } = existingAlias(at, aliasName);
  if (body.RevisionId !== undefined && body.RevisionId !== alias.RevisionId) {
    throw new AwsError(
      412,
      'PreconditionFailedException',
      'The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id',
    );
  }
  const updated: Alias = {
    ...alias,
    FunctionVersion: body.FunctionVersion !== undefined ? aliasVersion(fn, at.name, body.FunctionVersion) : alias.FunctionVersion,
    Description: typeof body.Description === 'string' ? body.Description : alias.Description,
    RevisionId: randomUUID(),
  };
  fn.aliases.set(aliasName, updated);
  sendJson(at.res, 200, updated);
}

async function deleteAlias(at: At, aliasName: string): Promise<void> {
  at.req.resume();
  const { fn } = existingAlias(at, aliasName);
  fn.aliases.delete(aliasName);
  at.res.writeHead(204).end();
}

async function listAliases(at: At): Promise<void> {
  at.req.resume();
  const fn = existing(at);
  const version = at.query.get('FunctionVersion');
  const aliases = [...fn.aliases.values()].filter((a) => !version || a.FunctionVersion === version);
  sendJson(at.res, 200, pageOf(at.query, aliases, 'Aliases', 10_000));
}

// `open-runtime deploy <function>` and the editor's "Build and Deploy Function...": build the package for the
// chosen architecture, check it, then CreateFunction (or UpdateFunctionCode + UpdateFunctionConfiguration),
// wait until LastUpdateStatus is Successful, publish a version and point an alias at it. The target is AWS
// Lambda (credentials and region from the standard AWS chain, an optional endpoint URL) or the runner's own
// control plane. Everything that can fail without AWS (build, package checks, role, credentials, region) is
// done before the first call that changes anything, so a failure there leaves nothing half-deployed.
// A function with middlewares ships them: the Open Runtime layer with its chain (middleware-layer.ts) is published
// (or an unchanged version reused), attached, and the function set up to start through it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { LambdaClient as LambdaClientType } from '@aws-sdk/client-lambda';
import { middlewaresOf, type Architecture, type FunctionSpec } from '../functions/model.ts';
import { buildFunction, BuildError } from '../build/build-function.ts';
import { checkPackage, describeProblems } from '../build/check-package.ts';
import { roleFromTemplate } from './template-role.ts';
import { reservedVariablesIn } from '../functions/reserved-variables.ts';
import { buildChainLayer, chainLayerName, ChainNotShippable, wrapBootstrap, type ChainLayer } from './middleware-layer.ts';

export type DeployTarget = 'aws' | 'local';

export interface DeployOptions {
  target: DeployTarget;
  /** Default: the function's own. */
  architecture?: Architecture | undefined;
  /** AWS: an alternative endpoint (LocalStack, a proxy ...); local: the runner, http://127.0.0.1:PORT (required). */
  endpointUrl?: string | undefined;
  region?: string | undefined;
  profile?: string | undefined;
  /** IAM role ARN; default: the template's Role. */
  role?: string | undefined;
  /** Name in Lambda; default: the template's FunctionName, else the function's local name. */
  functionName?: string | undefined;
  /** Point this alias at the new version (created when missing). */
  alias?: string | undefined;
  /** Deploy this zip instead of building. */
  zipPath?: string | undefined;
  /** Deploy a function that has middlewares without them, knowingly (the handler alone, no layer). */
  withoutMiddlewares?: boolean | undefined;
  workspace?: string | undefined;
  log?: ((line: string) => void) | undefined;
  /** Each step as it starts; `cancellable` turns false once AWS has been changed. */
  progress?: ((step: DeployStep, message: string, cancellable: boolean) => void) | undefined;
  signal?: AbortSignal | undefined;
}

export type DeployStep = 'build' | 'check' | 'connect' | 'layer' | 'upload' | 'configure' | 'wait' | 'publish' | 'alias' | 'done';

export interface DeployResult {
  target: DeployTarget;
  functionName: string;
  functionArn: string;
  version: string;
  /** Qualified ARN of the version. */
  versionArn: string;
  codeSha256: string;
  architecture: Architecture;
  created: boolean;
  alias?: string | undefined;
  region: string;
  endpointUrl?: string | undefined;
  /** An AWS CLI command that invokes what was deployed. */
  invokeCommand: string;
  /** The layer that runs the function's middlewares on Lambda, when it has any (and they were not left behind). */
  middlewareLayer?: { arn: string; version: number; middlewares: string[]; reused: boolean } | undefined;
}

/** A deploy that did not happen or did not finish; `message` says what happened and what to do. */
export class DeployError extends Error {
  /** True when AWS was changed before the failure (the function exists in some state). */
  readonly changedRemote: boolean;
  constructor(message: string, changedRemote = false) {
    super(message);
    this.name = 'DeployError';
    this.changedRemote = changedRemote;
  }
}

/** The local control plane does not assume roles; a deploy there needs one only as Lambda's API does. */
export const LOCAL_ROLE = 'arn:aws:iam::123456789012:role/open-runtime-local';
const ROLE = /^arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role\/?[a-zA-Z_0-9+=,.@\-_/]+$/;

export async function deployFunction(fn: FunctionSpec, opts: DeployOptions): Promise<DeployResult> {
  const log = opts.log ?? (() => undefined);
  const step = (s: DeployStep, message: string, cancellable: boolean) => {
    log(message);
    opts.progress?.(s, message, cancellable);
  };
  const architecture = opts.architecture ?? fn.architecture;
  // The name the template gives the function in Lambda (FunctionName) is where it lives; else its local name.
  const functionName = opts.functionName ?? fn.functionName ?? fn.name;
  const cancelled = () => {
    if (opts.signal?.aborted) throw new DeployError('The deploy was cancelled before anything was changed.');
  };

  // ---- everything that can fail without touching Lambda --------------------------------------------------
  if (!/^[a-zA-Z0-9-_]{1,64}$/.test(functionName)) {
    throw new DeployError(`"${functionName}" can't be a Lambda function name: use 1 to 64 letters, digits, - or _ (pass --function-name).`);
  }
  if (opts.target === 'local' && !opts.endpointUrl) {
    throw new DeployError('Deploying to the local runner needs its address: pass --endpoint-url http://127.0.0.1:PORT (the port "open-runtime start" prints).');
  }
  const reserved = reservedVariablesIn(Object.keys(fn.environment));
  if (reserved.length) {
    throw new DeployError(
      `Nothing was deployed: ${fn.name} sets ${reserved.join(', ')}, which Lambda reserves for itself and refuses in a function's environment. Remove ${reserved.length > 1 ? 'them' : 'it'} from the function's variables.`,
    );
  }
  // The chain runs here around the handler; it ships with the function (a layer), unless left behind knowingly.
  const chain = opts.withoutMiddlewares || fn.runtime === 'wasi' ? [] : middlewaresOf(fn);
  if (chain.length && fn.environment.AWS_LAMBDA_EXEC_WRAPPER) {
    throw new DeployError(
      `Nothing was deployed: ${fn.name} sets AWS_LAMBDA_EXEC_WRAPPER (${fn.environment.AWS_LAMBDA_EXEC_WRAPPER}), and its middlewares ${chain.join(', ')} ship in the ` +
        "Open Runtime layer, which starts the runtime through that same variable. Remove the variable (the layer's wrapper takes its place), or deploy without the middlewares (--without-middlewares).",
    );
  }
  const role = resolveRole(fn, opts);
  if (opts.alias !== undefined && (!/^[a-zA-Z0-9-_]{1,128}$/.test(opts.alias) || /^\d+$/.test(opts.alias))) {
    throw new DeployError(`"${opts.alias}" can't be an alias name: use letters, digits, - or _, not only digits.`);
  }

  let zip: Buffer;
  if (opts.zipPath) {
    const path = resolve(opts.zipPath);
    if (!existsSync(path)) throw new DeployError(`The package ${path} does not exist. Build it first (open-runtime build ${fn.name}) or leave out --zip.`);
    zip = readFileSync(path);
  } else {
    step('build', `Building ${fn.name} for ${architecture}...`, true);
    try {
      zip = readFileSync((await buildFunction(fn, architecture, { workspace: opts.workspace, log, signal: opts.signal })).zipPath);
    } catch (err) {
      if (opts.signal?.aborted) throw new DeployError('The deploy was cancelled during the build; nothing was deployed.');
      if (err instanceof BuildError) throw new DeployError(`Nothing was deployed: the build failed. ${err.message}`);
      throw err;
    }
  }
  cancelled();
  step('check', 'Checking the package...', true);
  const checked = checkPackage(zip, { architecture, runtime: fn.runtime, handler: fn.handler });
  if (checked.problems.length) throw new DeployError(`Nothing was deployed: ${describeProblems(checked.problems)}`);
  let layer: ChainLayer | undefined;
  if (chain.length) {
    step('layer', `Building the Open Runtime layer with the middlewares ${chain.join(', ')} for ${architecture}...`, true);
    try {
      layer = await buildChainLayer(fn, functionName, chain, architecture, { workspace: opts.workspace, log, signal: opts.signal });
      if (fn.runtime.startsWith('provided')) zip = wrapBootstrap(zip);
    } catch (err) {
      if (opts.signal?.aborted) throw new DeployError('The deploy was cancelled while the middleware layer was built; nothing was deployed.');
      if (err instanceof ChainNotShippable) throw new DeployError(err.message);
      if (err instanceof BuildError) throw new DeployError(`Nothing was deployed: the Open Runtime layer could not be built. ${err.message}`);
      throw err;
    }
  }
  const codeSha256 = createHash('sha256').update(zip).digest('base64');

  step('connect', opts.target === 'local' ? `Connecting to the local runner at ${opts.endpointUrl}...` : 'Resolving AWS credentials and region...', true);
  const sdk = await import('@aws-sdk/client-lambda');
  const client = await createClient(sdk, opts);
  const region = await client.config.region();
  cancelled();

  // ---- from here on Lambda changes ------------------------------------------------------------------------
  let changed = false;
  const fail = (what: string, err: unknown): never => {
    const e = err as { name?: string; message?: string };
    const name = e.name && e.name !== 'Error' ? `${e.name}: ` : '';
    throw new DeployError(
      `${what} failed: ${name}${e.message ?? String(err)}${changed ? ` The function ${functionName} was changed before this step; run the deploy again once the cause is fixed.` : ' Nothing was changed.'}`,
      changed,
    );
  };
  const waiter = { client, maxWaitTime: 300, minDelay: 1, maxDelay: 5 };
  try {
    let exists = true;
    let currentLayers: string[] = [];
    try {
      const current = await client.send(new sdk.GetFunctionConfigurationCommand({ FunctionName: functionName }));
      currentLayers = (current.Layers ?? []).map((l) => l.Arn!).filter(Boolean);
    } catch (err) {
      if ((err as { name?: string }).name === 'ResourceNotFoundException') exists = false;
      else fail(`Looking up ${functionName}`, err);
    }
    if (fn.runtime === 'wasi')
      throw new DeployError('WASI components have no Lambda runtime: deploy them where a component host runs them. Nothing was deployed.');
    let shippedLayer: DeployResult['middlewareLayer'];
    if (layer) {
      shippedLayer = {
        ...(await publishChainLayer(sdk, client, layer, architecture, fn, step).catch((err) => fail(`Publishing the middleware layer ${layer.name}`, err))),
        middlewares: chain,
      };
    }
    const configuration = {
      Runtime: fn.runtime,
      Handler: fn.handler || 'bootstrap',
      Role: role,
      Timeout: Math.round(fn.timeout),
      MemorySize: fn.memorySize,
      Environment: { Variables: { ...deployedEnvironment(fn, opts), ...layer?.environment } },
      ...layersAfterDeploy(currentLayers, chainLayerName(functionName), shippedLayer?.arn),
    };
    let created = false;
    if (!exists) {
      step('upload', `Creating ${functionName} (${architecture})...`, false);
      changed = true;
      await client
        .send(
          new sdk.CreateFunctionCommand({
            FunctionName: functionName,
            ...configuration,
            Runtime: fn.runtime as never,
            Architectures: [architecture],
            PackageType: 'Zip',
            Code: { ZipFile: zip },
          }),
        )
        .catch((err) => fail('CreateFunction', err));
      created = true;
      step('wait', 'Waiting until the function is active...', false);
      await sdk.waitUntilFunctionActiveV2(waiter, { FunctionName: functionName }).catch((err) => fail('Waiting for the function to become active', err));
    } else {
      step('upload', `Uploading the new code of ${functionName} (${architecture})...`, false);
      changed = true;
      await client
        .send(new sdk.UpdateFunctionCodeCommand({ FunctionName: functionName, ZipFile: zip, Architectures: [architecture] }))
        .catch((err) => fail('UpdateFunctionCode', err));
      step('wait', 'Waiting until the code update is done...', false);
      await sdk.waitUntilFunctionUpdatedV2(waiter, { FunctionName: functionName }).catch((err) => fail('Waiting for the code update', err));
      step('configure', `Updating the configuration of ${functionName}...`, false);
      await client
        .send(new sdk.UpdateFunctionConfigurationCommand({ FunctionName: functionName, ...configuration, Runtime: fn.runtime as never }))
        .catch((err) => fail('UpdateFunctionConfiguration', err));
    }
    step('wait', 'Waiting until LastUpdateStatus is Successful...', false);
    await sdk.waitUntilFunctionUpdatedV2(waiter, { FunctionName: functionName }).catch((err) => fail('Waiting for the update', err));
    step('publish', 'Publishing a version...', false);
    const published = await client
      .send(new sdk.PublishVersionCommand({ FunctionName: functionName, CodeSha256: codeSha256 }))
      .catch((err) => fail('PublishVersion', err));
    const version = published.Version!;
    if (opts.alias) {
      step('alias', `Pointing alias ${opts.alias} at version ${version}...`, false);
      const current = await client.send(new sdk.GetAliasCommand({ FunctionName: functionName, Name: opts.alias })).catch((err) => {
        if ((err as { name?: string }).name === 'ResourceNotFoundException') return undefined;
        return fail(`Looking up alias ${opts.alias}`, err);
      });
      if (current)
        await client
          .send(new sdk.UpdateAliasCommand({ FunctionName: functionName, Name: opts.alias, FunctionVersion: version }))
          .catch((err) => fail('UpdateAlias', err));
      else
        await client
          .send(new sdk.CreateAliasCommand({ FunctionName: functionName, Name: opts.alias, FunctionVersion: version }))
          .catch((err) => fail('CreateAlias', err));
    }
    const qualifier = opts.alias ?? version;
    const result: DeployResult = {
      target: opts.target,
      functionName,
      functionArn: published.FunctionArn!.replace(/:[^:]+$/, ''),
      version,
      versionArn: published.FunctionArn!,
      codeSha256,
      architecture,
      created,
      alias: opts.alias,
      region,
      endpointUrl: opts.endpointUrl,
      middlewareLayer: shippedLayer,
      invokeCommand: [
        'aws lambda invoke',
        opts.endpointUrl ? `--endpoint-url ${opts.endpointUrl}` : '',
        opts.target === 'aws' ? `--region ${region}` : '',
        `--function-name ${functionName}`,
        opts.target === 'aws' ? `--qualifier ${qualifier}` : '',
        "--cli-binary-format raw-in-base64-out --payload '{}' response.json",
      ]
        .filter(Boolean)
        .join(' '),
    };
    step(
      'done',
      `Deployed ${functionName} version ${version}${opts.alias ? ` (alias ${opts.alias})` : ''} to ${opts.target === 'local' ? `the local runner at ${opts.endpointUrl}` : `AWS Lambda in ${region}`}.`,
      false,
    );
    return result;
  } finally {
    client.destroy();
  }
}

function resolveRole(fn: FunctionSpec, opts: DeployOptions): string {
  if (opts.role) {
    if (!ROLE.test(opts.role)) throw new DeployError(`"${opts.role}" is not an IAM role ARN (arn:aws:iam::<account>:role/<name>). Nothing was deployed.`);
    return opts.role;
  }
  const fromTemplate = roleFromTemplate(fn);
  if (fromTemplate.kind === 'arn') return fromTemplate.arn;
  if (opts.target === 'local') return LOCAL_ROLE;
  if (fromTemplate.kind === 'unresolved') {
    throw new DeployError(
      `${fn.name}'s Role in the template is ${fromTemplate.text}, which only CloudFormation can resolve. Pass the role's ARN with --role (or the openRuntime.deploy.role setting). Nothing was deployed.`,
    );
  }
  throw new DeployError(
    `${fn.name} has no execution role: Lambda needs one to run it. Set Role in the template to an IAM role ARN, or pass --role arn:aws:iam::<account>:role/<name> (openRuntime.deploy.role in the editor). Nothing was deployed.`,
  );
}

async function createClient(sdk: typeof import('@aws-sdk/client-lambda'), opts: DeployOptions): Promise<LambdaClientType> {
  if (opts.target === 'local') {
    // The local control plane checks no signature; the SDK still wants something to sign with.
    return new sdk.LambdaClient({
      endpoint: opts.endpointUrl,
      region: opts.region ?? 'us-east-1',
      credentials: { accessKeyId: 'open-runtime', secretAccessKey: 'open-runtime' },
      maxAttempts: 1,
    });
  }
  const { fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
  const credentials = fromNodeProviderChain(opts.profile ? { profile: opts.profile } : {});
  try {
    await credentials();
  } catch (err) {
    throw new DeployError(
      `No AWS credentials were found${opts.profile ? ` for profile ${opts.profile}` : ''} (${(err as Error).message}). Run "aws configure" (or "aws sso login"), set AWS_PROFILE, or pass --profile. Nothing was deployed.`,
    );
  }
  const client = new sdk.LambdaClient({
    ...(opts.region ? { region: opts.region } : {}),
    ...(opts.endpointUrl ? { endpoint: opts.endpointUrl } : {}),
    ...(opts.profile ? { profile: opts.profile } : {}),
    credentials,
  });
  try {
    await client.config.region();
  } catch {
    client.destroy();
    throw new DeployError('No AWS region is set. Pass --region, set AWS_REGION, or set a region in ~/.aws/config. Nothing was deployed.');
  }
  return client;
}

/**
 * The chain's layer version in Lambda: an unchanged one reused (its Description names the content, its CodeSha256
 * proves it), else a new version published. Layers are published before the function changes.
 */
async function publishChainLayer(
  sdk: typeof import('@aws-sdk/client-lambda'),
  client: LambdaClientType,
  layer: ChainLayer,
  architecture: Architecture,
  fn: FunctionSpec,
  step: (s: DeployStep, message: string, cancellable: boolean) => void,
): Promise<{ arn: string; version: number; reused: boolean }> {
  let marker: string | undefined;
  do {
    const page = await client.send(new sdk.ListLayerVersionsCommand({ LayerName: layer.name, Marker: marker }));
    for (const candidate of page.LayerVersions ?? []) {
      if (candidate.Description !== layer.description || !candidate.LayerVersionArn) continue;
      const got = await client.send(new sdk.GetLayerVersionByArnCommand({ Arn: candidate.LayerVersionArn }));
      if (got.Content?.CodeSha256 === layer.codeSha256) {
        step('layer', `The middleware layer is unchanged: reusing ${candidate.LayerVersionArn}.`, false);
        return { arn: candidate.LayerVersionArn, version: candidate.Version!, reused: true };
      }
    }
    marker = page.NextMarker;
  } while (marker);
  step('layer', `Publishing the middleware layer ${layer.name} (${Math.round(layer.zip.length / 1024)} KiB)...`, false);
  const published = await client.send(
    new sdk.PublishLayerVersionCommand({
      LayerName: layer.name,
      Description: layer.description,
      Content: { ZipFile: layer.zip },
      CompatibleArchitectures: [architecture],
      CompatibleRuntimes: [fn.runtime as never],
      LicenseInfo: "Open Runtime layer; the middlewares are the function author's",
    }),
  );
  return { arn: published.LayerVersionArn!, version: published.Version!, reused: false };
}

/**
 * The function's Layers after the deploy: the ones it has (set by someone else) kept in their order, an older version
 * of its chain layer replaced by the new one (last: its files win at /opt), or removed when the chain is left behind.
 * Unset (left as they are) when there is nothing to change.
 */
export function layersAfterDeploy(current: string[], chainLayer: string, shipped: string | undefined): { Layers?: string[] } {
  const isChainLayer = (arn: string) => arn.split(':')[6] === chainLayer;
  const others = current.filter((arn) => !isChainLayer(arn));
  if (shipped) return { Layers: [...others, shipped] };
  return others.length !== current.length ? { Layers: others } : {};
}

/** The variables Lambda gets: without SLSMIDDLEWARES when the chain is left behind (it names middlewares the package lacks). */
function deployedEnvironment(fn: FunctionSpec, opts: DeployOptions): Record<string, string> {
  if (!opts.withoutMiddlewares) return fn.environment;
  const { SLSMIDDLEWARES: _dropped, ...rest } = fn.environment;
  return rest;
}

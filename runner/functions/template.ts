// Functions from a SAM / CloudFormation template (template.yaml, template.yml, template.json).
// AWS::Serverless::Function (with Globals.Function merged the way SAM merges it) and AWS::Lambda::Function
// become FunctionSpecs named by their logical id. Each bad function yields one DefinitionError with the
// file, the line and what to change; the good functions of the same file still load.
//
// Project-specific settings live in the resource's Metadata, which CloudFormation ignores:
//   Metadata:
//     OpenRuntime:
//       concurrency: 4              # environments at once; callers beyond get 429
//       runtimeClient: aws-lambda-ric
//       middlewares: [cors, logger] # runner-level middlewares, in order
//       component:                  # Runtime wasi only (Handler is the .wasm file): see checkComponentSettings
//         world: http
//         build: { language: js, source: server.js }
//
// Nested applications (AWS::Serverless::Application, AWS::CloudFormation::Stack) whose template is on this
// machine load too, with the Parameters the parent passes; their functions are addressed as SAM addresses them,
// `Parent/Child/Function`. A CDK app's templates (cdk.out) load the same way: code from `aws:asset:path`, the
// path from `aws:cdk:path`. What is passed over (a nested stack only in S3, a SAR application) is listed in
// `skipped` with the reason, so nothing disappears silently.
import { readFileSync, realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { isMap } from 'yaml';
import type { DefinitionError } from '../protocol.ts';
import { defaultMaxConcurrency, EventInvokeSettings, runtimeFamily, type FunctionInput, type FunctionSpec } from './model.ts';
import { readDurableConfig } from '../durable/config.ts';
import { RESOURCE_KINDS, dropUndefined, readDeadLetter, readEventInvokeConfig, type KindOf } from './event-invoke.ts';
import { samHttpEvents, withHttpEvents } from './http-events.ts';
import { samWebSocketEvents, withWebSocketEvents } from './websocket-events.ts';
import { withTemplateRoutes } from './api-resources.ts';
import { samTriggers, withTriggers } from './triggers.ts';
import { entriesOf, entryOf, parseYaml, readDefinitionFile, type Definitions, type Entry, type YamlFile } from './read-yaml.ts';
import {
  asRecord,
  createStackContext,
  describeValue,
  evaluateCondition,
  intrinsicOf,
  localFunctionName,
  parametersWithoutValue,
  resolveValue,
  toText,
  Unresolved,
  type StackContext,
  type StackOptions,
} from './intrinsics.ts';
import {
  checkArchitecture,
  checkCodeFolder,
  checkComponentFunction,
  checkHandler,
  checkReservedVariables,
  checkMemorySize,
  checkOpenRuntimeSettings,
  checkRuntime,
  checkTimeout,
  finishFunction,
  functionError,
  type Problem,
} from './check-settings.ts';
import { isLayerArn, layerFolder } from './layers.ts';

/**
 * `--env-vars` (SAM's env.json): per function (by logical id or full path) and for all (`Parameters`), values for
 * the environment variables the template declares; others are ignored, as in SAM.
 */
export type EnvVarsFile = Record<string, Record<string, string>>;

export interface TemplateOptions extends StackOptions {
  envVars?: EnvVarsFile;
  /** Values from the workspace's .env for template-declared variables; below --env-vars. */
  dotEnv?: Record<string, string>;
  /** Realpaths of the templates above this one, to refuse a stack that nests itself. */
  ancestors?: string[];
}

/** How deep nested applications may go; CloudFormation's own limit is far above any real project. */
const MAX_NESTING = 10;

const SAM_FUNCTION = 'AWS::Serverless::Function';
const LAMBDA_FUNCTION = 'AWS::Lambda::Function';
const EVENT_INVOKE_CONFIG = 'AWS::Lambda::EventInvokeConfig';
/** Nested stack resource types and the property naming the child template. */
const NESTED_LOCATION: Record<string, string> = {
  'AWS::Serverless::Application': 'Location',
  'AWS::CloudFormation::Stack': 'TemplateURL',
};
/** Layer resource types and the property that holds their content. */
const LAYER_CONTENT: Record<string, string> = {
  'AWS::Serverless::LayerVersion': 'ContentUri',
  'AWS::Lambda::LayerVersion': 'Content',
};

export async function loadTemplate(file: string, options: TemplateOptions = {}): Promise<Definitions> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      functions: [],
      errors: [{ file, line: 0, message: `Could not read ${file}: ${(error as Error).message}. Check that the file exists and is readable.` }],
    };
  }
  return parseTemplate(text, file, options);
}

/**
 * Whether a file is a CloudFormation template at all, so discovery can pass over an unrelated
 * `template.json` instead of reporting it. Broken YAML counts as a template: the user should hear about it.
 */
export function looksLikeTemplate(text: string, file: string): boolean {
  const yaml = parseYaml(text, file);
  if (yaml.syntaxErrors.length) return true;
  return ['Resources', 'AWSTemplateFormatVersion', 'Transform'].some((key) => entryOf(yaml.doc.contents, key, yaml));
}

export function parseTemplate(text: string, file: string, options: TemplateOptions = {}): Definitions {
  const read = readDefinitionFile(text, file, 'Resources', 'Resource');
  if ('failed' in read) return { functions: [], errors: read.failed };
  const { yaml, errors, broken } = read;
  const name = basename(file);
  const root = yaml.doc.contents;
  const resourcesEntry = entryOf(root, 'Resources', yaml);
  const resources = resourcesEntry ? entriesOf(resourcesEntry.value, yaml) : [];
  if (!isMap(root) && !broken.length) {
    return {
      functions: [],
      errors: [{ file, line: 1, message: `${name} is not a CloudFormation template: it should be a mapping with a Resources section.` }],
    };
  }
  if ((!resourcesEntry || !isMap(resourcesEntry.value)) && !broken.length) {
    const line = resourcesEntry?.line ?? 1;
    return { functions: [], errors: [{ file, line, message: `${name} has no Resources mapping; add the functions under "Resources:".` }] };
  }

  const template = asRecord(yaml.plain(root));
  const ctx = createStackContext(template, options);
  const globalsFunction = entryOf(entryOf(root, 'Globals', yaml)?.value, 'Function', yaml);
  const globals = byKey(entriesOf(globalsFunction?.value, yaml));
  const layers = new Map(
    resources.map((r) => [r.key, asRecord(yaml.plain(r.value))] as const).filter(([, raw]) => typeof raw.Type === 'string' && raw.Type in LAYER_CONTENT),
  );

  const resourceTypes = asRecord(template.Resources);
  const kindOf: KindOf = (id) => RESOURCE_KINDS[String(asRecord(resourceTypes[id]).Type)];
  const functions: FunctionSpec[] = [];
  const skipped: DefinitionError[] = [];
  const nested: Definitions[] = [];
  // A resource whose Condition is false with these parameters does not exist in the stack.
  const exists = (raw: Record<string, unknown>) => typeof raw.Condition !== 'string' || evaluateCondition(raw.Condition, ctx) !== false;
  // Nested stacks first: the functions here may use their Outputs (`!GetAtt Child.Outputs.Name`).
  for (const resource of resources) {
    const raw = asRecord(yaml.plain(resource.value));
    if (!(String(raw.Type) in NESTED_LOCATION) || !exists(raw)) continue;
    const child = readNestedStack(yaml, ctx, resource, raw, options, skipped);
    if (child.outputs) ctx.nestedOutputs.set(resource.key, child.outputs);
    nested.push(child);
  }
  for (const resource of resources) {
    const raw = asRecord(yaml.plain(resource.value));
    const type = String(raw.Type);
    if ((type !== SAM_FUNCTION && type !== LAMBDA_FUNCTION) || !exists(raw)) continue;
    const problems: Problem[] = [];
    const spec = readFunction({ yaml, ctx, resource, isSam: type === SAM_FUNCTION, globals, layers, kindOf, problems, options });
    const resolve = (v: unknown) => resolveValue(v, ctx);
    const names = [spec?.name, spec?.functionName].filter((n): n is string => !!n);
    if (spec)
      functions.push(
        withTriggers(
          withWebSocketEvents(withHttpEvents(spec, samHttpEvents(spec.name, raw, template, resolve)), samWebSocketEvents(names, template, resolve)),
          samTriggers(raw, resolve),
        ),
      );
    else errors.push(functionError(file, resource.key, problems.length ? problems : [{ line: resource.line, text: 'could not be read.' }]));
  }
  // Routes from raw API resources, Function URLs and OpenAPI definitions reach functions read above.
  const lines = new Map(resources.map((r) => [r.key, r.line] as const));
  const withRoutes = withTemplateRoutes(functions, { template, file, lineOf: (id) => lines.get(id) ?? 0, resolve: (v) => resolveValue(v, ctx) });
  functions.splice(0, functions.length, ...withRoutes.functions);
  skipped.push(...withRoutes.skipped);
  const included: string[] = [...withRoutes.included];
  const albActions = [...withRoutes.albActions];
  // AWS::Lambda::EventInvokeConfig resources configure a function defined elsewhere in the template.
  for (const resource of resources) {
    const raw = asRecord(yaml.plain(resource.value));
    if (raw.Type !== EVENT_INVOKE_CONFIG) continue;
    const props = asRecord(resolveValue(raw.Properties, ctx));
    const target = functions.find(
      (fn) => fn.name === props.FunctionName || (typeof props.FunctionName === 'string' && props.FunctionName.endsWith(`:function:${fn.name}`)),
    );
    const problems: Problem[] = [];
    if (!target) {
      problems.push({
        line: resource.line,
        text: `configures FunctionName ${describeValue(props.FunctionName) || '(empty)'}, which is no function of this template; use !Ref of one.`,
      });
    } else {
      const read = readEventInvokeConfig(props, 'Properties', resource.line, kindOf, problems);
      if (!problems.length) target.eventInvoke = EventInvokeSettings.parse({ ...target.eventInvoke, ...read });
    }
    if (problems.length) errors.push({ file, line: resource.line, message: `Resource "${resource.key}" ${problems.map((p) => p.text).join(' It also ')}` });
  }
  errors.sort((a, b) => a.line - b.line);
  for (const child of nested) {
    functions.push(...child.functions);
    errors.push(...child.errors);
    skipped.push(...(child.skipped ?? []));
    included.push(...(child.included ?? []));
    albActions.push(...(child.albActions ?? []));
  }
  // Outputs resolved here, for a parent's `!GetAtt ThisStack.Outputs.Name`.
  const outputs: Record<string, unknown> = {};
  for (const [name, output] of Object.entries(asRecord(template.Outputs))) outputs[name] = resolveValue(asRecord(output).Value, ctx);
  return { functions, errors, skipped, included, outputs, ...(albActions.length ? { albActions } : {}) };
}

/**
 * The functions of a nested application whose template is on this machine: a local path in Location /
 * TemplateURL (SAM), or the `aws:asset:path` CDK writes next to an S3 TemplateURL. The parent's Parameters,
 * resolved in the parent, are the child's parameter values.
 */
function readNestedStack(
  yaml: YamlFile,
  ctx: StackContext,
  resource: Entry,
  raw: Record<string, unknown>,
  options: TemplateOptions,
  skipped: DefinitionError[],
): Definitions {
  const type = String(raw.Type);
  const property = NESTED_LOCATION[type]!;
  const props = asRecord(raw.Properties);
  const location = resolveValue(props[property], ctx);
  const asset = asRecord(raw.Metadata)['aws:asset:path'];
  const skip = (why: string): Definitions => {
    skipped.push({ file: yaml.file, line: resource.line, message: `Nested application "${resource.key}" is skipped: ${why}` });
    return { functions: [], errors: [] };
  };
  let path: string | undefined;
  if (typeof location === 'string' && location && !/^(https?|s3):\/\//.test(location)) path = location;
  else if (typeof asset === 'string' && asset) path = asset;
  else if ('ApplicationId' in asRecord(location)) {
    return skip(
      `it is a Serverless Application Repository application (${describeValue(asRecord(location).ApplicationId)}), whose template is not on this machine. Download its template and point ${property} at the file to run its functions.`,
    );
  } else {
    return skip(
      `its ${property} (${describeValue(location) || 'empty'}) is not a local file. Point ${property} at the child template's path, e.g. "./child/template.yaml", to run its functions.`,
    );
  }
  const file = resolvePath(dirname(yaml.file), path);
  const stackPath = [...ctx.stackPath, resource.key];
  let real: string;
  let text: string;
  try {
    real = realpathSync(file);
    text = readFileSync(real, 'utf8');
  } catch (error) {
    const message = (error as NodeJS.ErrnoException).code === 'ENOENT' ? `${file} doesn't exist` : (error as Error).message;
    return {
      functions: [],
      errors: [
        { file: yaml.file, line: resource.line, message: `Nested application "${resource.key}" has ${property} "${path}", but ${message}. Fix the path.` },
      ],
    };
  }
  const ancestors = [...(options.ancestors ?? [realpathOr(yaml.file)])];
  if (ancestors.includes(real) || stackPath.length > MAX_NESTING) {
    return {
      functions: [],
      errors: [
        {
          file: yaml.file,
          line: resource.line,
          message: `Nested application "${resource.key}" nests ${basename(file)} inside itself (or more than ${MAX_NESTING} deep); its functions are not loaded. Remove the cycle.`,
        },
      ],
    };
  }
  const parameterOverrides: Record<string, string> = {};
  for (const [key, value] of Object.entries(asRecord(resolveValue(props.Parameters, ctx)))) {
    // A value only a deployed stack knows is not passed: the child's Default (or its error) applies.
    if (value instanceof Unresolved || value === null || value === undefined) continue;
    parameterOverrides[key] = Array.isArray(value) ? value.map(toText).join(',') : toText(value);
  }
  const child = parseTemplate(text, file, { ...options, parameterOverrides, stackPath, ancestors: [...ancestors, real] });
  return { ...child, included: [file, ...(child.included ?? [])] };
}

function realpathOr(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

function byKey(entries: Entry[]): Map<string, Entry> {
  return new Map(entries.map((e) => [e.key, e]));
}

interface FunctionSource {
  yaml: YamlFile;
  ctx: StackContext;
  resource: Entry;
  isSam: boolean;
  globals: Map<string, Entry>;
  layers: Map<string, Record<string, unknown>>;
  kindOf: KindOf;
  problems: Problem[];
  options: TemplateOptions;
}

function readFunction({ yaml, ctx, resource, isSam, globals: samGlobals, layers, kindOf, problems, options }: FunctionSource): FunctionSpec | undefined {
  const id = resource.key;
  const metadataOf = asRecord(yaml.plain(entryOf(resource.value, 'Metadata', yaml)?.value));
  const templateDir = dirname(yaml.file);
  const own = byKey(entriesOf(entryOf(resource.value, 'Properties', yaml)?.value, yaml));
  // Globals.Function only applies to SAM functions; the function's own value wins over the global one.
  const globals = isSam ? samGlobals : new Map<string, Entry>();
  const setting = (key: string) => own.get(key) ?? globals.get(key);
  const valueOf = (entry: Entry) => resolveValue(yaml.plain(entry.value), ctx);
  const where = isSam ? 'to its Properties or to Globals.Function' : 'to its Properties';
  const input: FunctionInput = {
    name: localFunctionName(id, ctx),
    runtime: 'nodejs22.x',
    codeUri: templateDir,
    source: { file: yaml.file, line: resource.line },
  };
  // SAM's address for the function: the CDK construct path (without its trailing /Resource), else the
  // nested stacks' logical ids and the function's.
  const cdkPath = metadataOf['aws:cdk:path'];
  const path = typeof cdkPath === 'string' && cdkPath ? cdkPath.replace(/\/Resource$/, '') : [...ctx.stackPath, id].join('/');
  if (path !== input.name) input.path = path;
  if (input.name !== id) input.logicalId = id;
  const functionNameEntry = own.get('FunctionName');
  const functionName = functionNameEntry ? valueOf(functionNameEntry) : undefined;
  if (typeof functionName === 'string' && functionName && functionName !== input.name) input.functionName = functionName;

  const packageType = setting('PackageType');
  if (packageType && valueOf(packageType) === 'Image') {
    problems.push({
      line: packageType.line,
      text: 'is a container image (PackageType: Image); Open Runtime runs functions as local processes without Docker, so it can only run zip functions with a Runtime and a Handler.',
    });
    return undefined;
  }

  const runtimeEntry = setting('Runtime');
  const runtime = runtimeEntry
    ? checkRuntime(valueOf(runtimeEntry), 'Runtime', runtimeEntry.line, problems)
    : void problems.push({ line: resource.line, text: `has no Runtime. Add one such as "Runtime: nodejs22.x" ${where}.` });
  if (runtime) input.runtime = runtime;
  const family = runtime ? runtimeFamily(runtime) : undefined;
  const needsHandler = family !== 'provided' && family !== 'wasi';

  const handlerEntry = setting('Handler');
  if (handlerEntry) {
    const handler = checkHandler(valueOf(handlerEntry), 'Handler', handlerEntry.line, problems, family);
    if (handler) input.handler = handler;
  } else if (needsHandler) {
    problems.push({ line: resource.line, text: `has no Handler. Add one such as "Handler: app.handler" (the file, a dot, the exported function) ${where}.` });
  }

  const asset = metadataOf['aws:asset:path'];
  // `aws:asset:path` (written by CDK, and by `sam build`) is where the code really is: it wins over the
  // S3 location or source folder the properties name.
  const codeUri =
    typeof asset === 'string' && asset
      ? checkCodeFolder(asset, 'Metadata aws:asset:path', templateDir, entryOf(resource.value, 'Metadata', yaml)?.line ?? resource.line, problems)
      : readCode(yaml, resource, own, setting, valueOf, isSam, problems);
  if (codeUri) input.codeUri = codeUri;

  const memory = setting('MemorySize');
  if (memory) input.memorySize = checkMemorySize(valueOf(memory), 'MemorySize', memory.line, problems);
  const timeout = setting('Timeout');
  if (timeout) input.timeout = checkTimeout(valueOf(timeout), 'Timeout', timeout.line, problems);
  const tenancy = setting('TenancyConfig');
  if (tenancy) {
    const mode = asRecord(valueOf(tenancy)).TenantIsolationMode;
    if (mode === 'PER_TENANT') input.tenantIsolation = 'PER_TENANT';
    else
      problems.push({
        line: tenancy.line,
        text: `has TenancyConfig TenantIsolationMode ${describeValue(mode) || '(none)'}; the only mode Lambda has is PER_TENANT.`,
      });
  }
  const capacity = setting('CapacityProviderConfig');
  if (capacity) {
    const managed = asRecord(asRecord(valueOf(capacity)).LambdaManagedInstancesCapacityProviderConfig);
    const max = managed.PerExecutionEnvironmentMaxConcurrency;
    if (max === undefined) input.maxConcurrency = defaultMaxConcurrency(input.runtime);
    else if (typeof max === 'number' && Number.isInteger(max) && max >= 1 && max <= 1000) input.maxConcurrency = max;
    else
      problems.push({
        line: capacity.line,
        text: `has PerExecutionEnvironmentMaxConcurrency ${describeValue(max)}; it must be a whole number from 1 to 1000.`,
      });
  }
  const durable = setting('DurableConfig');
  if (durable) {
    const read = readDurableConfig(valueOf(durable));
    if ('problems' in read) problems.push(...read.problems.map((text) => ({ line: durable.line, text: `has an invalid DurableConfig: ${text}` })));
    else input.durable = read;
  }
  const architectures = setting('Architectures');
  if (architectures) input.architecture = checkArchitecture(valueOf(architectures), 'Architectures', architectures.line, problems, true);

  // Environment variables merge key by key, the function's own winning over Globals.
  const environment: Record<string, string> = {};
  const unknown = new Map<string, { line: number; raw: unknown; value: unknown }>();
  for (const entry of [globals.get('Environment'), own.get('Environment')]) {
    if (!entry) continue;
    const value = valueOf(entry);
    const variables = asRecord(value).Variables;
    if (!isRecord(value) || (variables !== undefined && variables !== null && !isRecord(variables))) {
      problems.push({
        line: entry.line,
        text: 'has an Environment that is not a mapping with Variables; write it as "Environment: { Variables: { NAME: value } }".',
      });
      continue;
    }
    const entries = entriesOf(entryOf(entry.value, 'Variables', yaml)?.value, yaml);
    for (const [key, v] of Object.entries(asRecord(variables))) {
      environment[key] = toText(v);
      unknown.delete(key);
      const variable = entries.find((e) => e.key === key);
      if (containsUnresolved(v)) unknown.set(key, { line: variable?.line ?? entry.line, raw: variable ? yaml.plain(variable.value) : undefined, value: v });
    }
    checkReservedVariables(entries, 'Environment.Variables', problems);
  }
  // Values given for the variables the template declares: --env-vars for this function, then its global
  // Parameters, then .env. A variable the template does not declare is not added (SAM's rule).
  const envVars = options.envVars ?? {};
  for (const key of Object.keys(environment)) {
    const given = envVars[path]?.[key] ?? envVars[id]?.[key] ?? envVars.Parameters?.[key] ?? options.dotEnv?.[key];
    if (given === undefined) continue;
    environment[key] = given;
    unknown.delete(key);
  }
  // A value only a deployed stack could give must not reach the function as the text of an intrinsic.
  for (const [key, { line, raw, value }] of unknown) {
    const missing = parametersWithoutValue(raw, ctx);
    problems.push({
      line,
      text: missing.length
        ? `has Environment variable ${key} from parameter ${missing.join(', ')}, which has no Default and was given no value. Set it with --parameter-overrides ${missing[0]}=value (or parameter_overrides in samconfig.toml, or in the editor, which saves it in .open-runtime/parameters.json), or give the parameter a Default.`
        : `has Environment variable ${key} = ${describeValue(value)}, which only a deployed stack knows. Give it a local value with --env-vars (env.json: { "${id}": { "${key}": "value" } }) or in .env.`,
      ...(missing.length ? { missingParameters: missing } : {}),
    });
  }
  input.environment = environment;

  // Layers are additive: Globals' first, then the function's. Layers defined in this template have local
  // content; a published layer's ARN is fetched with the user's credentials when the function starts (layer-fetch.ts).
  const layerDirs: string[] = [];
  const layerArns: string[] = [];
  const layerOrder: string[] = [];
  for (const entry of [globals.get('Layers'), own.get('Layers')]) {
    if (!entry) continue;
    const list = yaml.plain(entry.value);
    if (!Array.isArray(list)) {
      problems.push({ line: entry.line, text: `has Layers ${describeValue(list)}; it must be a list such as [!Ref MyLayer].` });
      continue;
    }
    for (const item of list) {
      const ref = intrinsicOf(item);
      const layerId = ref?.name === 'Ref' && typeof ref.arg === 'string' ? ref.arg : undefined;
      const layer = layerId ? layers.get(layerId) : undefined;
      if (!layerId || !layer) {
        const arn = resolveValue(item, ctx); // fidelity: a published layer's ARN, fetched at the cold start (layer-fetch.ts)
        if (isLayerArn(arn) && !layerArns.includes(arn)) {
          layerArns.push(arn);
          layerOrder.push(arn);
        }
        continue;
      }
      const contentKey = LAYER_CONTENT[String(layer.Type)]!;
      const content = resolveValue(asRecord(layer.Properties)[contentKey], ctx);
      const dir = layerFolder(content ?? '', `a layer "${layerId}" whose ${contentKey}`, templateDir, entry.line, problems); // fidelity: a folder or a .zip
      if (dir && !layerDirs.includes(dir)) {
        layerDirs.push(dir);
        layerOrder.push(dir);
      }
    }
  }
  input.layers = layerDirs;
  if (layerArns.length) Object.assign(input, { layerArns, layerOrder });

  // Asynchronous invocations: SAM's EventInvokeConfig and DeadLetterQueue, CloudFormation's DeadLetterConfig.
  const eventInvoke: Partial<EventInvokeSettings> = {};
  const invokeConfig = isSam ? setting('EventInvokeConfig') : undefined;
  if (invokeConfig) Object.assign(eventInvoke, readEventInvokeConfig(valueOf(invokeConfig), 'EventInvokeConfig', invokeConfig.line, kindOf, problems));
  const deadLetter = isSam ? setting('DeadLetterQueue') : own.get('DeadLetterConfig');
  if (deadLetter)
    eventInvoke.deadLetter = readDeadLetter(valueOf(deadLetter), isSam ? 'DeadLetterQueue' : 'DeadLetterConfig', deadLetter.line, kindOf, problems);
  if (Object.keys(dropUndefined(eventInvoke)).length) input.eventInvoke = EventInvokeSettings.parse(dropUndefined(eventInvoke));

  const metadata = entryOf(entryOf(resource.value, 'Metadata', yaml)?.value, 'OpenRuntime', yaml);
  if (metadata) {
    if (!isMap(metadata.value)) {
      problems.push({ line: metadata.line, text: 'has Metadata.OpenRuntime that is not a mapping; write it as "OpenRuntime: { concurrency: 4 }".' });
    } else {
      const entries = entriesOf(metadata.value, yaml).map((e) => ({ key: e.key, line: e.line, value: valueOf(e) }));
      Object.assign(input, checkOpenRuntimeSettings(entries, 'Metadata.OpenRuntime', problems));
    }
  }
  checkComponentFunction(input, handlerEntry?.line, metadata?.line ?? resource.line, problems);

  return finishFunction(input, resource.line, problems);
}

function containsUnresolved(value: unknown): boolean {
  if (value instanceof Unresolved) return true;
  if (Array.isArray(value)) return value.some(containsUnresolved);
  if (value && typeof value === 'object') return Object.values(value).some(containsUnresolved);
  return false;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Unresolved);
}

/** The folder holding the code: SAM's CodeUri (the template's folder when absent) or Lambda's Code path. */
function readCode(
  yaml: YamlFile,
  resource: Entry,
  own: Map<string, Entry>,
  setting: (key: string) => Entry | undefined,
  valueOf: (entry: Entry) => unknown,
  isSam: boolean,
  problems: Problem[],
): string | undefined {
  const templateDir = dirname(yaml.file);
  if (isSam) {
    const codeUri = setting('CodeUri');
    const inline = setting('InlineCode');
    if (inline && !codeUri) {
      problems.push({
        line: inline.line,
        text: 'uses InlineCode, which Open Runtime does not run. Move the code into a file and point CodeUri at its folder.',
      });
      return undefined;
    }
    if (!codeUri) return templateDir;
    return checkCodeFolder(valueOf(codeUri), 'CodeUri', templateDir, codeUri.line, problems);
  }
  const code = own.get('Code');
  if (!code) {
    problems.push({ line: resource.line, text: 'has no Code. Set Code to the local folder holding the function, such as "Code: ./src".' });
    return undefined;
  }
  const value = valueOf(code);
  const record = asRecord(value);
  if ('ZipFile' in record) {
    problems.push({
      line: code.line,
      text: 'has inline Code (ZipFile), which Open Runtime does not run. Move the code into a file and set Code to its folder.',
    });
    return undefined;
  }
  if ('ImageUri' in record) {
    problems.push({
      line: code.line,
      text: 'is a container image (Code.ImageUri); Open Runtime runs functions as local processes without Docker, so it can only run zip functions.',
    });
    return undefined;
  }
  return checkCodeFolder(value, 'Code', templateDir, code.line, problems);
}

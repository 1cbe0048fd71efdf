// Functions from a Serverless Framework service (serverless.yml / serverless.yaml), with the same error
// contract as template.ts: one DefinitionError per bad function, naming the line; good functions load.
// Variables are resolved where a local run can: ${self:...}, ${env:X}, ${opt:stage, 'dev'}, ${sls:stage},
// ${aws:region}, ${file(x.yml):key}, nested ones and fallbacks. The rest (${ssm:...}, ${cf:...}) stay as
// their own text, so an environment variable still gets a readable string.
//
// Project-specific settings go under `custom.openRuntime.functions.<name>` (the framework ignores `custom`):
//   custom:
//     openRuntime:
//       functions:
//         hello: { concurrency: 4, runtimeClient: aws-lambda-ric, middlewares: [cors] }
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, resolve as resolvePath } from 'node:path';
import { isMap, isSeq, parse } from 'yaml';
import { EventInvokeSettings, LOCAL_ACCOUNT, runtimeFamily, type FunctionInput, type FunctionSpec } from './model.ts';
import { dropUndefined, readDestination, readEventAge, readRetryAttempts, type KindOf } from './event-invoke.ts';
import { serverlessHttpEvents, withHttpEvents } from './http-events.ts';
import { serverlessWebSocketEvents, withWebSocketEvents } from './websocket-events.ts';
import { serverlessAlbRules } from './alb-rules.ts';
import { serverlessTriggers, withTriggers } from './triggers.ts';
import { entriesOf, entryOf, readDefinitionFile, type Definitions, type YamlFile } from './read-yaml.ts';
import { DEFAULT_ACCOUNT_ID, DEFAULT_REGION, Unresolved, asRecord, createStackContext, describeValue, resolveValue, toText } from './intrinsics.ts';
import {
  checkArchitecture,
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

export interface ServerlessOptions {
  /** `--stage`; otherwise `${opt:stage}` takes its fallback. */
  stage?: string;
  /** `--region` */
  region?: string;
  /** Where `${env:X}` looks; the runner's own environment by default. */
  env?: Record<string, string | undefined>;
}

/** The framework's own defaults, which differ from Lambda's (128 MB, 3 s). */
const SERVERLESS_DEFAULT_MEMORY = 1024;
const SERVERLESS_DEFAULT_TIMEOUT = 6;

export async function loadServerless(file: string, options: ServerlessOptions = {}): Promise<Definitions> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    return {
      functions: [],
      errors: [{ file, line: 0, message: `Could not read ${file}: ${(error as Error).message}. Check that the file exists and is readable.` }],
    };
  }
  return parseServerless(text, file, options);
}

/** A setting with the line a person would look at: its key's line, or the function's when it came from elsewhere. */
interface Setting {
  value: unknown;
  /** With variables resolved but CloudFormation references (`{ Ref: XLambdaLayer }`) kept. */
  raw: unknown;
  line: number;
}
type Settings = (key: string) => Setting | undefined;

export function parseServerless(text: string, file: string, options: ServerlessOptions = {}): Definitions {
  const read = readDefinitionFile(text, file, 'functions', 'Function');
  if ('failed' in read) return { functions: [], errors: read.failed };
  const { yaml, errors } = read;
  const name = basename(file);
  const root = yaml.doc.contents;
  const functionsEntry = entryOf(root, 'functions', yaml);
  if (!isMap(root)) {
    return {
      functions: [],
      errors: [{ file, line: 1, message: `${name} is not a Serverless Framework service: it should be a mapping with provider and functions.` }],
    };
  }

  const config = asRecord(yaml.plain(root));
  const vars = new VariableResolver(config, dirname(file), options);
  // serverless.yml may also use CloudFormation intrinsics (`!Ref`, `Fn::Join`) in environment values.
  const stack = createStackContext({ Resources: asRecord(asRecord(config.resources).Resources) }, { region: vars.region() });
  const valueOf = (node: unknown) => resolveValue(vars.resolve(yaml.plain(node)), stack);
  const settingOf = (node: unknown, line: number): Setting => {
    const raw = vars.resolve(yaml.plain(node));
    return { value: resolveValue(raw, stack), raw, line };
  };
  const providerNode = entryOf(root, 'provider', yaml);
  const providerName = vars.resolve(asRecord(config.provider).name);
  if (providerName !== undefined && providerName !== 'aws') {
    return {
      functions: [],
      errors: [
        {
          file,
          line: providerNode?.line ?? 1,
          message: `${name} is for provider "${toText(providerName)}"; Open Runtime runs AWS Lambda functions, so it only reads services with "provider: { name: aws }".`,
        },
      ],
    };
  }
  const providerEntries = new Map(entriesOf(providerNode?.value, yaml).map((e) => [e.key, e]));
  const provider: Settings = (key) => {
    const entry = providerEntries.get(key);
    return entry ? settingOf(entry.value, entry.line) : undefined;
  };

  // `functions` is normally a mapping; it may also be a list of mappings, or come from ${file(...)}.
  const declared: { key: string; line: number; settings: Settings }[] = [];
  const fromNode = (node: unknown) => {
    for (const entry of entriesOf(node, yaml)) {
      const own = new Map(entriesOf(entry.value, yaml).map((e) => [e.key, e]));
      declared.push({
        key: entry.key,
        line: entry.line,
        settings: (key) => {
          const e = own.get(key);
          return e ? settingOf(e.value, e.line) : undefined;
        },
      });
    }
  };
  if (functionsEntry && isMap(functionsEntry.value)) fromNode(functionsEntry.value);
  else if (functionsEntry && isSeq(functionsEntry.value)) for (const item of functionsEntry.value.items) fromNode(item);
  else if (functionsEntry) {
    const resolved = valueOf(functionsEntry.value);
    const list = Array.isArray(resolved) ? resolved : [resolved];
    for (const group of list) {
      for (const [key, definition] of Object.entries(asRecord(group))) {
        const settings: Settings = (k) => {
          const value = asRecord(definition)[k];
          return value === undefined ? undefined : { value: resolveValue(value, stack), raw: value, line: functionsEntry.line };
        };
        declared.push({ key, line: functionsEntry.line, settings });
      }
    }
    if (!declared.length) {
      return {
        functions: [],
        errors: [
          {
            file,
            line: functionsEntry.line,
            message: `${name} has functions ${describeValue(resolved)}, which Open Runtime can't read; list the functions as a mapping under "functions:".`,
          },
        ],
      };
    }
  }

  const layers = asRecord(vars.resolve(config.layers));
  const projectSettings = asRecord(asRecord(asRecord(asRecord(config.custom).openRuntime).functions));

  const providerConfig = { ...asRecord(vars.resolve(config.provider)), ...(options.stage ? { stage: options.stage } : {}) };
  // The Framework deploys a function as SERVICE-STAGE-KEY (`service` may be a string or, in v1, { name }).
  const serviceSetting = vars.resolve(config.service);
  const serviceName = typeof serviceSetting === 'string' ? serviceSetting : asRecord(serviceSetting).name;
  const deployedPrefix = typeof serviceName === 'string' && serviceName ? `${serviceName}-${vars.stage()}-` : undefined;
  const names = new Set(declared.map((d) => d.key));
  const kindOf: KindOf = (name) => (names.has(name) ? 'Lambda' : undefined);
  const functions: FunctionSpec[] = [];
  for (const fn of declared) {
    const problems: Problem[] = [];
    const spec = readFunction(fn, {
      yaml,
      provider,
      layers,
      projectSettings: projectSettings[fn.key],
      valueOf,
      problems,
      serviceDir: dirname(file),
      kindOf,
      region: vars.region(),
      deployedPrefix,
    });
    const events = fn.settings('events')?.value;
    const url = fn.settings('url')?.value;
    const albRules = spec && serverlessAlbRules(spec.name, events, vars.region(), LOCAL_ACCOUNT);
    if (spec)
      functions.push(
        withTriggers(
          withWebSocketEvents(
            withHttpEvents(albRules ? { ...spec, albRules } : spec, serverlessHttpEvents(spec.name, events, url, providerConfig)),
            serverlessWebSocketEvents(events, providerConfig),
          ),
          serverlessTriggers(events, url),
        ),
      );
    else errors.push(functionError(file, fn.key, problems.length ? problems : [{ line: fn.line, text: 'could not be read.' }]));
  }
  return { functions, errors: errors.sort((a, b) => a.line - b.line) };
}

interface ServiceContext {
  yaml: YamlFile;
  provider: Settings;
  layers: Record<string, unknown>;
  projectSettings: unknown;
  valueOf: (node: unknown) => unknown;
  problems: Problem[];
  serviceDir: string;
  kindOf: KindOf;
  /** The service's region as the Framework resolves it (--region > provider.region > us-east-1): the functions run there. */
  region: string;
  /** `SERVICE-STAGE-`: with the function's key, its name in Lambda unless it sets `name:`. */
  deployedPrefix: string | undefined;
}

function readFunction(fn: { key: string; line: number; settings: Settings }, service: ServiceContext): FunctionSpec | undefined {
  const { yaml, provider, problems, serviceDir } = service;
  const own = fn.settings;
  const either = (key: string) => own(key) ?? provider(key);
  // The whole service folder is packaged (package.artifact is a deploy concern and ignored here).
  const input: FunctionInput = { name: fn.key, runtime: 'nodejs22.x', codeUri: serviceDir, region: service.region, source: { file: yaml.file, line: fn.line } };
  // Its name in Lambda: another address for it (functions/address.ts), and where `deploy` puts it.
  const deployedName = own('name')?.value;
  if (typeof deployedName === 'string' && deployedName) input.functionName = deployedName;
  else if (service.deployedPrefix) input.functionName = `${service.deployedPrefix}${fn.key}`;

  const image = own('image');
  if (image) {
    problems.push({
      line: image.line,
      text: 'is a container image (image:); Open Runtime runs functions as local processes without Docker, so it can only run functions with a runtime and a handler.',
    });
    return undefined;
  }

  const runtimeSetting = either('runtime');
  const runtime = runtimeSetting
    ? checkRuntime(runtimeSetting.value, 'runtime', runtimeSetting.line, problems)
    : void problems.push({ line: fn.line, text: 'has no runtime. Add one such as "runtime: nodejs22.x" to it or to provider.' });
  if (runtime) input.runtime = runtime;
  const family = runtime ? runtimeFamily(runtime) : undefined;
  const needsHandler = family !== 'provided' && family !== 'wasi';

  const handler = own('handler');
  if (handler) {
    const value = checkHandler(handler.value, 'handler', handler.line, problems, family);
    if (value) input.handler = value;
  } else if (needsHandler) {
    problems.push({ line: fn.line, text: 'has no handler. Add one such as "handler: handler.hello" (the file, a dot, the exported function).' });
  }

  const memory = either('memorySize');
  input.memorySize = memory ? checkMemorySize(memory.value, 'memorySize', memory.line, problems) : SERVERLESS_DEFAULT_MEMORY;
  const timeout = either('timeout');
  input.timeout = timeout ? checkTimeout(timeout.value, 'timeout', timeout.line, problems) : SERVERLESS_DEFAULT_TIMEOUT;
  const architecture = either('architecture');
  if (architecture) input.architecture = checkArchitecture(architecture.value, 'architecture', architecture.line, problems, false);

  // provider.environment applies to every function; the function's own variables win.
  const environment: Record<string, string> = {};
  for (const setting of [provider('environment'), own('environment')]) {
    if (!setting || setting.value === null) continue;
    if (!setting.value || typeof setting.value !== 'object' || Array.isArray(setting.value) || setting.value instanceof Unresolved) {
      problems.push({ line: setting.line, text: `has environment ${describeValue(setting.value)}, which must be a mapping of NAME: value.` });
      continue;
    }
    for (const [key, value] of Object.entries(setting.value)) environment[key] = toText(value);
    checkReservedVariables(
      Object.keys(setting.value).map((key) => ({ key, line: setting.line })),
      'environment',
      problems,
    );
  }
  input.environment = environment;

  // A function's layers replace provider.layers. `{ Ref: HelloLambdaLayer }` names a layer of this
  // service (the framework's normalized name); ARNs of published layers are fetched when the function starts.
  const layersSetting = either('layers');
  const layerDirs: string[] = [];
  const layerArns: string[] = [];
  const layerOrder: string[] = [];
  if (layersSetting && Array.isArray(layersSetting.raw)) {
    for (const item of layersSetting.raw) {
      const ref = asRecord(item).Ref;
      const layerName = typeof ref === 'string' ? Object.keys(service.layers).find((n) => `${normalizeName(n)}LambdaLayer` === ref) : undefined;
      if (!layerName) {
        // fidelity: fetched at the cold start (layer-fetch.ts)
        if (isLayerArn(item) && !layerArns.includes(item)) {
          layerArns.push(item);
          layerOrder.push(item);
        }
        continue;
      }
      const path = asRecord(service.layers[layerName]).path;
      const dir = layerFolder(path ?? '', `a layer "${layerName}" whose path`, serviceDir, layersSetting.line, problems);
      if (dir && !layerDirs.includes(dir)) {
        layerDirs.push(dir);
        layerOrder.push(dir);
      }
    }
  } else if (layersSetting && layersSetting.raw !== null) {
    problems.push({
      line: layersSetting.line,
      text: `has layers ${describeValue(layersSetting.raw)}; it must be a list such as [{ Ref: MyLayerLambdaLayer }].`,
    });
  }
  input.layers = layerDirs;
  if (layerArns.length) Object.assign(input, { layerArns, layerOrder });

  // Asynchronous invocations: retries, age limit, destinations (a function of this service or an ARN), onError (DLQ).
  const eventInvoke: Partial<EventInvokeSettings> = {};
  const retries = own('maximumRetryAttempts');
  if (retries) eventInvoke.maximumRetryAttempts = readRetryAttempts(retries.value, 'maximumRetryAttempts', retries.line, problems);
  const age = own('maximumEventAge');
  if (age) eventInvoke.maximumEventAgeSeconds = readEventAge(age.value, 'maximumEventAge', age.line, problems);
  const destinations = own('destinations');
  if (destinations) {
    const record = destinations.value && typeof destinations.value === 'object' ? (destinations.value as Record<string, unknown>) : {};
    for (const key of ['onSuccess', 'onFailure'] as const) {
      if (record[key] !== undefined)
        eventInvoke[key] = readDestination(record[key], undefined, `destinations.${key}`, destinations.line, service.kindOf, problems);
    }
  }
  const onError = either('onError');
  if (onError) eventInvoke.deadLetter = readDestination(onError.value, undefined, 'onError', onError.line, service.kindOf, problems);
  if (Object.keys(dropUndefined(eventInvoke)).length && !problems.length) input.eventInvoke = EventInvokeSettings.parse(dropUndefined(eventInvoke));

  if (service.projectSettings !== undefined) {
    const settingsEntry = findSettingsEntry(yaml, fn.key);
    const line = settingsEntry?.line ?? fn.line;
    const entries = settingsEntry
      ? entriesOf(settingsEntry.value, yaml).map((e) => ({ key: e.key, line: e.line, value: service.valueOf(e.value) }))
      : Object.entries(asRecord(service.projectSettings)).map(([key, value]) => ({ key, line, value }));
    if (!service.projectSettings || typeof service.projectSettings !== 'object' || Array.isArray(service.projectSettings)) {
      problems.push({ line, text: 'has custom.openRuntime.functions settings that are not a mapping; write them as "{ concurrency: 4 }".' });
    } else {
      Object.assign(input, checkOpenRuntimeSettings(entries, 'custom.openRuntime.functions', problems));
    }
  }

  return finishFunction(input, fn.line, problems);
}

function findSettingsEntry(yaml: YamlFile, functionName: string) {
  const root = yaml.doc.contents;
  const functions = entryOf(entryOf(entryOf(root, 'custom', yaml)?.value, 'openRuntime', yaml)?.value, 'functions', yaml);
  return entryOf(functions?.value, functionName, yaml);
}

/** The framework's logical-id normalization: `my-layer` -> `MyDashlayer`, `my_layer` -> `MyUnderscorelayer`. */
function normalizeName(name: string): string {
  const upper = name.charAt(0).toUpperCase() + name.slice(1);
  return upper.replace(/-/g, 'Dash').replace(/_/g, 'Underscore');
}

/** How the framework's own variables start; anything else in `${...}` belongs to CloudFormation. */
const VARIABLE_SOURCE = /^\s*(self|env|opt|sls|aws|ssm|s3|cf|param|git|strToBool|file\(|[A-Za-z][\w-]*:(?!:))/;

/** Resolves `${source:address, fallback}` variables in any value. */
export class VariableResolver {
  private readonly config: Record<string, unknown>;
  private readonly serviceDir: string;
  private readonly options: ServerlessOptions;

  constructor(config: Record<string, unknown>, serviceDir: string, options: ServerlessOptions) {
    this.config = config;
    this.serviceDir = serviceDir;
    this.options = options;
  }

  resolve(value: unknown, depth = 0): unknown {
    if (depth > 32) return value;
    if (typeof value === 'string') return this.resolveText(value, depth);
    if (Array.isArray(value)) return value.map((v) => this.resolve(v, depth + 1));
    if (value && typeof value === 'object' && !(value instanceof Unresolved)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.resolve(v, depth + 1)]));
    }
    return value;
  }

  private resolveText(text: string, depth: number): unknown {
    const parts = splitVariables(text);
    if (parts.length === 1 && typeof parts[0] !== 'string') {
      // A value that is exactly one variable keeps the variable's type (a number, a mapping, ...).
      return this.evaluate(parts[0]!.expression, depth);
    }
    if (parts.every((p) => typeof p === 'string')) return text;
    let incomplete = false;
    const out = parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const value = this.evaluate(p.expression, depth);
        if (value instanceof Unresolved) incomplete = true;
        return toText(value);
      })
      .join('');
    return incomplete ? new Unresolved(out) : out;
  }

  private evaluate(expression: string, depth: number): unknown {
    // Variables nested in the expression (`${self:custom.${opt:stage}}`) are resolved first.
    const inner = expression.includes('${') ? toText(this.resolveText(expression, depth + 1)) : expression;
    // `${AWS::Region}` or `${Param}` inside a CloudFormation Fn::Sub is not the framework's to resolve.
    if (!VARIABLE_SOURCE.test(inner)) return `\${${expression}}`;
    for (const candidate of splitFallbacks(inner)) {
      const value = this.candidate(candidate.trim(), depth);
      if (value !== undefined && value !== null) return value;
    }
    return new Unresolved(`\${${inner}}`);
  }

  private candidate(text: string, depth: number): unknown {
    const quoted = /^(['"])(.*)\1$/s.exec(text);
    if (quoted) return quoted[2];
    if (text === 'null') return null;
    if (text === 'true' || text === 'false') return text === 'true';
    if (text !== '' && !Number.isNaN(Number(text))) return Number(text);
    const fileRef = /^file\((.+?)\)(?::(.+))?$/.exec(text);
    if (fileRef) return this.fromFile(fileRef[1]!.trim().replace(/^['"]|['"]$/g, ''), fileRef[2], depth);
    const colon = text.indexOf(':');
    if (colon < 0) return text; // a bare word fallback: the framework would reject it; read it as text
    const source = text.slice(0, colon);
    const address = text.slice(colon + 1);
    const env = this.options.env ?? process.env;
    switch (source) {
      case 'self':
        return this.resolve(pathIn(this.config, address), depth + 1);
      case 'env':
        return env[address];
      case 'opt':
        return address === 'stage' ? this.options.stage : address === 'region' ? this.options.region : undefined;
      case 'sls':
        if (address === 'stage') return this.stage(depth);
        if (address === 'instanceId') return 'local';
        return undefined;
      case 'aws':
        if (address === 'region') return this.region(depth);
        if (address === 'accountId') return DEFAULT_ACCOUNT_ID;
        return undefined;
      default:
        // ssm:, s3:, cf:, param: ... only exist in a deployed account.
        return undefined;
    }
  }

  stage(depth = 0): string {
    if (this.options.stage) return this.options.stage;
    const declared = this.resolve(asRecord(this.config.provider).stage, depth + 1);
    return typeof declared === 'string' && declared ? declared : 'dev';
  }

  region(depth = 0): string {
    if (this.options.region) return this.options.region;
    const declared = this.resolve(asRecord(this.config.provider).region, depth + 1);
    return typeof declared === 'string' && declared ? declared : DEFAULT_REGION;
  }

  private fromFile(relative: string, address: string | undefined, depth: number): unknown {
    let content: unknown;
    try {
      content = parse(readFileSync(resolvePath(this.serviceDir, relative), 'utf8'));
    } catch {
      return undefined;
    }
    return this.resolve(address ? pathIn(content, address) : content, depth + 1);
  }
}

function pathIn(value: unknown, address: string): unknown {
  if (!address) return value;
  let current: unknown = value;
  for (const key of address.split('.')) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/** Splits text into literal pieces and top-level `${...}` expressions (which may nest). */
function splitVariables(text: string): (string | { expression: string })[] {
  const parts: (string | { expression: string })[] = [];
  let last = 0;
  let start = text.indexOf('${');
  while (start !== -1) {
    let depth = 0;
    let end = -1;
    for (let i = start; i < text.length; i++) {
      if (text.startsWith('${', i)) {
        depth++;
        i++;
      } else if (text[i] === '}') {
        depth--;
        if (depth === 0) {
          end = i;
          break;
        }
      }
    }
    if (end < 0) break; // unbalanced: the rest is literal text
    if (start > last) parts.push(text.slice(last, start));
    parts.push({ expression: text.slice(start + 2, end) });
    last = end + 1;
    start = text.indexOf('${', last);
  }
  if (last < text.length) parts.push(text.slice(last));
  return parts.length ? parts : [''];
}

/** `opt:stage, 'dev'` -> ['opt:stage', " 'dev'"]; commas inside quotes or parentheses don't split. */
function splitFallbacks(expression: string): string[] {
  const out: string[] = [];
  let quote = '';
  let parens = 0;
  let current = '';
  for (const ch of expression) {
    if (quote) {
      if (ch === quote) quote = '';
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '(') parens++;
    else if (ch === ')') parens--;
    else if (ch === ',' && parens === 0) {
      out.push(current);
      current = '';
      continue;
    }
    current += ch;
  }
  out.push(current);
  return out;
}

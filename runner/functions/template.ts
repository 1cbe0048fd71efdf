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
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { isMap } from 'yaml';
import type { DefinitionError } from '../protocol.ts';
import { runtimeFamily, type FunctionInput, type FunctionSpec } from './model.ts';
import { entriesOf, entryOf, parseYaml, readDefinitionFile, type Definitions, type Entry, type YamlFile } from './read-yaml.ts';
import {
  asRecord,
  createStackContext,
  describeValue,
  evaluateCondition,
  intrinsicOf,
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

export type TemplateOptions = StackOptions;

const SAM_FUNCTION = 'AWS::Serverless::Function';
const LAMBDA_FUNCTION = 'AWS::Lambda::Function';
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
    return { functions: [], errors: [{ file, line: 0, message: `Could not read ${file}: ${(error as Error).message}. Check that the file exists and is readable.` }] };
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
    return { functions: [], errors: [{ file, line: 1, message: `${name} is not a CloudFormation template: it should be a mapping with a Resources section.` }] };
  }
  if ((!resourcesEntry || !isMap(resourcesEntry.value)) && !broken.length) {
    const line = resourcesEntry?.line ?? 1;
    return { functions: [], errors: [{ file, line, message: `${name} has no Resources mapping; add the functions under "Resources:".` }] };
  }

  const template = asRecord(yaml.plain(root));
  const ctx = createStackContext(template, options);
  const globalsFunction = entryOf(entryOf(root, 'Globals', yaml)?.value, 'Function', yaml);
  const globals = byKey(entriesOf(globalsFunction?.value, yaml));
  const layers = new Map(resources.map((r) => [r.key, asRecord(yaml.plain(r.value))] as const).filter(([, raw]) => typeof raw.Type === 'string' && raw.Type in LAYER_CONTENT));

  const functions: FunctionSpec[] = [];
  for (const resource of resources) {
    const raw = asRecord(yaml.plain(resource.value));
    if (raw.Type !== SAM_FUNCTION && raw.Type !== LAMBDA_FUNCTION) continue;
    // A resource whose Condition is false with these parameters does not exist in the stack.
    if (typeof raw.Condition === 'string' && evaluateCondition(raw.Condition, ctx) === false) continue;
    const problems: Problem[] = [];
    const spec = readFunction({ yaml, ctx, resource, isSam: raw.Type === SAM_FUNCTION, globals, layers, problems });
    if (spec) functions.push(spec);
    else errors.push(functionError(file, resource.key, problems.length ? problems : [{ line: resource.line, text: 'could not be read.' }]));
  }
  return { functions, errors: errors.sort((a, b) => a.line - b.line) };
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
  problems: Problem[];
}

function readFunction({ yaml, ctx, resource, isSam, globals: samGlobals, layers, problems }: FunctionSource): FunctionSpec | undefined {
  const id = resource.key;
  const templateDir = dirname(yaml.file);
  const own = byKey(entriesOf(entryOf(resource.value, 'Properties', yaml)?.value, yaml));
  // Globals.Function only applies to SAM functions; the function's own value wins over the global one.
  const globals = isSam ? samGlobals : new Map<string, Entry>();
  const setting = (key: string) => own.get(key) ?? globals.get(key);
  const valueOf = (entry: Entry) => resolveValue(yaml.plain(entry.value), ctx);
  const where = isSam ? 'to its Properties or to Globals.Function' : 'to its Properties';
  const input: FunctionInput = { name: id, runtime: 'nodejs22.x', codeUri: templateDir, source: { file: yaml.file, line: resource.line } };

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

  const codeUri = readCode(yaml, resource, own, setting, valueOf, isSam, problems);
  if (codeUri) input.codeUri = codeUri;

  const memory = setting('MemorySize');
  if (memory) input.memorySize = checkMemorySize(valueOf(memory), 'MemorySize', memory.line, problems);
  const timeout = setting('Timeout');
  if (timeout) input.timeout = checkTimeout(valueOf(timeout), 'Timeout', timeout.line, problems);
  const architectures = setting('Architectures');
  if (architectures) input.architecture = checkArchitecture(valueOf(architectures), 'Architectures', architectures.line, problems, true);

  // Environment variables merge key by key, the function's own winning over Globals.
  const environment: Record<string, string> = {};
  for (const entry of [globals.get('Environment'), own.get('Environment')]) {
    if (!entry) continue;
    const value = valueOf(entry);
    const variables = asRecord(value).Variables;
    if (!isRecord(value) || (variables !== undefined && variables !== null && !isRecord(variables))) {
      problems.push({ line: entry.line, text: 'has an Environment that is not a mapping with Variables; write it as "Environment: { Variables: { NAME: value } }".' });
      continue;
    }
    for (const [key, v] of Object.entries(asRecord(variables))) environment[key] = toText(v);
    checkReservedVariables(entriesOf(entryOf(entry.value, 'Variables', yaml)?.value, yaml), 'Environment.Variables', problems);
  }
  input.environment = environment;

  // Layers are additive: Globals' first, then the function's. Only layers defined in this template have
  // local content; a published layer's ARN has nothing on this machine to add: the function's log will say so.
  const layerDirs: string[] = [];
  const layerArns: string[] = [];
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
        const arn = resolveValue(item, ctx); // fidelity: a published layer's ARN, kept for its notice (layers.ts)
        if (isLayerArn(arn) && !layerArns.includes(arn)) layerArns.push(arn);
        continue;
      }
      const contentKey = LAYER_CONTENT[String(layer.Type)]!;
      const content = resolveValue(asRecord(layer.Properties)[contentKey], ctx);
      const dir = layerFolder(content ?? '', `a layer "${layerId}" whose ${contentKey}`, templateDir, entry.line, problems); // fidelity: a folder or a .zip
      if (dir && !layerDirs.includes(dir)) layerDirs.push(dir);
    }
  }
  input.layers = layerDirs;
  if (layerArns.length) input.layerArns = layerArns;

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
      problems.push({ line: inline.line, text: 'uses InlineCode, which Open Runtime does not run. Move the code into a file and point CodeUri at its folder.' });
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
    problems.push({ line: code.line, text: 'has inline Code (ZipFile), which Open Runtime does not run. Move the code into a file and set Code to its folder.' });
    return undefined;
  }
  if ('ImageUri' in record) {
    problems.push({ line: code.line, text: 'is a container image (Code.ImageUri); Open Runtime runs functions as local processes without Docker, so it can only run zip functions.' });
    return undefined;
  }
  return checkCodeFolder(value, 'Code', templateDir, code.line, problems);
}

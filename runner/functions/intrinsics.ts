// Resolves CloudFormation intrinsic functions as far as a local run sensibly can: parameters take their
// Default (or an override), pseudo parameters take SAM CLI's local values, conditions, mappings, joins and
// substitutions are evaluated. `!Ref` and `!GetAtt` of the template's own resources give what CloudFormation
// would return, with local names (a queue's URL, a table's ARN, a function's local name and ARN). What only a
// deployed stack knows (ImportValue, a parameter with no value, ...) becomes an `Unresolved` holding readable
// text such as `!ImportValue vpc`, which callers turn into a definition error where it would reach a function.

/** A value only a deployed stack could give; `text` is what to show in its place. */
export class Unresolved {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** `!Ref AWS::NoValue`: the property or list item disappears. */
export const NO_VALUE: unique symbol = Symbol('AWS::NoValue');

/** The same local stand-ins SAM CLI uses for pseudo parameters. */
export const DEFAULT_REGION = 'us-east-1';
export const DEFAULT_ACCOUNT_ID = '123456789012';

export interface StackOptions {
  /** Parameter values that replace the template's Defaults, like `sam local invoke --parameter-overrides`. */
  parameterOverrides?: Record<string, string>;
  region?: string;
  accountId?: string;
  /** The nested stacks this template sits in (logical ids, outermost first); its functions' local names carry them. */
  stackPath?: string[];
  /** AWS::StackName; `local` as in SAM CLI. */
  stackName?: string;
}

export interface StackContext {
  parameters: Map<string, unknown>;
  pseudo: Map<string, unknown>;
  mappings: Record<string, unknown>;
  conditions: Record<string, unknown>;
  /** Every resource by logical id: its Type and Properties, for `!Ref` and `!GetAtt`. */
  resources: Map<string, Record<string, unknown>>;
  stackPath: string[];
  /** The Outputs of nested stacks loaded from local templates, by the nested resource's logical id. */
  nestedOutputs: Map<string, Record<string, unknown>>;
}

export function createStackContext(template: Record<string, unknown>, options: StackOptions = {}): StackContext {
  const region = options.region ?? DEFAULT_REGION;
  const accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
  const stackName = options.stackName ?? 'local';
  const pseudo = new Map<string, unknown>([
    ['AWS::Region', region],
    ['AWS::AccountId', accountId],
    ['AWS::Partition', 'aws'],
    ['AWS::URLSuffix', 'amazonaws.com'],
    ['AWS::StackName', stackName],
    ['AWS::StackId', `arn:aws:cloudformation:${region}:${accountId}:stack/${stackName}/51af3dc0-da77-11e4-872e-1234567db123`],
    ['AWS::NotificationARNs', []],
    ['AWS::NoValue', NO_VALUE],
  ]);
  const parameters = new Map<string, unknown>();
  for (const [name, declaration] of Object.entries(asRecord(template.Parameters))) {
    const spec = asRecord(declaration);
    const given = options.parameterOverrides?.[name] ?? spec.Default;
    parameters.set(name, given === undefined || given === null ? new Unresolved(`!Ref ${name}`) : typedParameter(given, spec.Type));
  }
  return {
    parameters,
    pseudo,
    mappings: asRecord(template.Mappings),
    conditions: asRecord(template.Conditions),
    resources: new Map(Object.entries(asRecord(template.Resources)).map(([id, r]) => [id, asRecord(r)])),
    stackPath: options.stackPath ?? [],
    nestedOutputs: new Map(),
  };
}

/** Parameters arrive as strings (overrides) or YAML scalars (Defaults); give them their declared type. */
function typedParameter(value: unknown, type: unknown): unknown {
  const declared = typeof type === 'string' ? type : 'String';
  if (declared === 'Number' && !Number.isNaN(Number(value))) return Number(value);
  if (declared === 'CommaDelimitedList' || declared.startsWith('List<')) {
    return Array.isArray(value)
      ? value.map(String)
      : String(value)
          .split(',')
          .map((s) => s.trim());
  }
  return typeof value === 'string' ? value : String(value);
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** `{ Ref: x }` or `{ 'Fn::Something': x }`: the intrinsic's name and argument. */
export function intrinsicOf(value: unknown): { name: string; arg: unknown } | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const name = keys[0]!;
  if (name !== 'Ref' && !name.startsWith('Fn::')) return undefined;
  return { name, arg: (value as Record<string, unknown>)[name] };
}

/** The readable text an intrinsic is shown as when it can't be resolved: its short YAML form. */
export function describeValue(value: unknown): string {
  if (value instanceof Unresolved) return value.text;
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  const intrinsic = intrinsicOf(value);
  if (intrinsic) {
    const short = intrinsic.name === 'Ref' ? 'Ref' : intrinsic.name.slice('Fn::'.length);
    if (short === 'GetAtt' && Array.isArray(intrinsic.arg)) return `!GetAtt ${intrinsic.arg.map(describeValue).join('.')}`;
    return `!${short} ${describeValue(intrinsic.arg)}`;
  }
  if (Object.keys(value).length === 1 && 'Condition' in value) return `!Condition ${describeValue((value as { Condition: unknown }).Condition)}`;
  return `{ ${Object.entries(value)
    .map(([k, v]) => `${k}: ${describeValue(v)}`)
    .join(', ')} }`;
}

/** Resolves every intrinsic inside `value`; `AWS::NoValue` entries are dropped. */
export function resolveValue(value: unknown, ctx: StackContext, depth = 0): unknown {
  if (depth > 64) return new Unresolved(describeValue(value));
  if (Array.isArray(value)) {
    return value.map((v) => resolveValue(v, ctx, depth + 1)).filter((v) => v !== NO_VALUE);
  }
  if (!value || typeof value !== 'object' || value instanceof Unresolved) return value;
  const intrinsic = intrinsicOf(value);
  if (intrinsic) return resolveIntrinsic(intrinsic.name, intrinsic.arg, value, ctx, depth + 1);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    const resolved = resolveValue(v, ctx, depth + 1);
    if (resolved !== NO_VALUE) out[k] = resolved;
  }
  return out;
}

export function resolveRef(name: string, ctx: StackContext): unknown {
  if (ctx.pseudo.has(name)) return ctx.pseudo.get(name);
  if (ctx.parameters.has(name)) return ctx.parameters.get(name);
  if (ctx.resources.has(name)) return resourceValue(name, undefined, ctx);
  return new Unresolved(`!Ref ${name}`);
}

/** The local name of a function with this logical id: nested stacks prefix their functions' names (Child-Fn). */
export function localFunctionName(logicalId: string, ctx: Pick<StackContext, 'stackPath'>): string {
  return [...ctx.stackPath, logicalId].join('-');
}

type Naming = { region: string; account: string; name: string };
/**
 * What `!Ref` (attribute undefined) and `!GetAtt` return for the resource types functions usually reference,
 * as CloudFormation documents them: the name property when the template sets one, else the logical id as the
 * local stand-in for the generated physical name.
 */
const RESOURCE_VALUES: Record<string, { nameProperty: string; ref: (n: Naming) => string; attributes: Record<string, (n: Naming) => string> }> = {
  'AWS::SQS::Queue': {
    nameProperty: 'QueueName',
    ref: (n) => `https://sqs.${n.region}.amazonaws.com/${n.account}/${n.name}`,
    attributes: {
      Arn: (n) => `arn:aws:sqs:${n.region}:${n.account}:${n.name}`,
      QueueName: (n) => n.name,
      QueueUrl: (n) => `https://sqs.${n.region}.amazonaws.com/${n.account}/${n.name}`,
    },
  },
  'AWS::DynamoDB::Table': {
    nameProperty: 'TableName',
    ref: (n) => n.name,
    attributes: {
      Arn: (n) => `arn:aws:dynamodb:${n.region}:${n.account}:table/${n.name}`,
      StreamArn: (n) => `arn:aws:dynamodb:${n.region}:${n.account}:table/${n.name}/stream/1970-01-01T00:00:00.000`,
    },
  },
  'AWS::IAM::Role': {
    nameProperty: 'RoleName',
    ref: (n) => n.name,
    attributes: { Arn: (n) => `arn:aws:iam::${n.account}:role/${n.name}`, RoleId: () => 'AROA0000000000LOCAL000' },
  },
  'AWS::S3::Bucket': {
    nameProperty: 'BucketName',
    ref: (n) => n.name.toLowerCase(),
    attributes: { Arn: (n) => `arn:aws:s3:::${n.name.toLowerCase()}`, DomainName: (n) => `${n.name.toLowerCase()}.s3.amazonaws.com` },
  },
  'AWS::SNS::Topic': {
    nameProperty: 'TopicName',
    ref: (n) => `arn:aws:sns:${n.region}:${n.account}:${n.name}`,
    attributes: { TopicArn: (n) => `arn:aws:sns:${n.region}:${n.account}:${n.name}`, TopicName: (n) => n.name },
  },
  'AWS::Events::EventBus': {
    nameProperty: 'Name',
    ref: (n) => n.name,
    attributes: { Arn: (n) => `arn:aws:events:${n.region}:${n.account}:event-bus/${n.name}`, Name: (n) => n.name },
  },
  'AWS::Kinesis::Stream': {
    nameProperty: 'Name',
    ref: (n) => n.name,
    attributes: { Arn: (n) => `arn:aws:kinesis:${n.region}:${n.account}:stream/${n.name}` },
  },
  'AWS::StepFunctions::StateMachine': {
    nameProperty: 'StateMachineName',
    ref: (n) => `arn:aws:states:${n.region}:${n.account}:stateMachine:${n.name}`,
    attributes: { Arn: (n) => `arn:aws:states:${n.region}:${n.account}:stateMachine:${n.name}`, Name: (n) => n.name },
  },
  'AWS::Logs::LogGroup': {
    nameProperty: 'LogGroupName',
    ref: (n) => n.name,
    attributes: { Arn: (n) => `arn:aws:logs:${n.region}:${n.account}:log-group:${n.name}:*` },
  },
  'AWS::SSM::Parameter': { nameProperty: 'Name', ref: (n) => n.name, attributes: { Type: () => 'String' } },
};
RESOURCE_VALUES['AWS::Serverless::SimpleTable'] = RESOURCE_VALUES['AWS::DynamoDB::Table']!;
RESOURCE_VALUES['AWS::Serverless::StateMachine'] = RESOURCE_VALUES['AWS::StepFunctions::StateMachine']!;
const FUNCTION_TYPES = new Set(['AWS::Serverless::Function', 'AWS::Lambda::Function']);

/** `!Ref Id` (attribute undefined) or `!GetAtt Id.Attribute` of a resource in this template. */
function resourceValue(id: string, attribute: string | undefined, ctx: StackContext, depth = 0): unknown {
  const resource = ctx.resources.get(id)!;
  const type = String(resource.Type);
  const region = String(ctx.pseudo.get('AWS::Region'));
  const account = String(ctx.pseudo.get('AWS::AccountId'));
  const describe = () => new Unresolved(attribute ? `!GetAtt ${id}.${attribute}` : `!Ref ${id}`);
  if (attribute?.startsWith('Outputs.') && ctx.nestedOutputs.has(id)) {
    // A nested stack's output, as its own template resolved it.
    const output = ctx.nestedOutputs.get(id)![attribute.slice('Outputs.'.length)];
    return output === undefined ? describe() : output;
  }
  if (FUNCTION_TYPES.has(type)) {
    // The function as it runs here: addressed by its FunctionName, or by its local name.
    const given = resolveValue(asRecord(resource.Properties).FunctionName, ctx, depth + 1);
    const name = typeof given === 'string' && given ? given : localFunctionName(id, ctx);
    if (attribute === undefined) return name;
    if (attribute === 'Arn') return `arn:aws:lambda:${region}:${account}:function:${name}`;
    return describe();
  }
  const known = RESOURCE_VALUES[type];
  // Ref of any other resource is its physical name; locally the logical id stands in for it.
  if (!known) return attribute === undefined ? id : describe();
  const given = resolveValue(asRecord(resource.Properties)[known.nameProperty], ctx, depth + 1);
  const naming = { region, account, name: typeof given === 'string' && given ? given : id };
  if (attribute === undefined) return known.ref(naming);
  const attr = known.attributes[attribute];
  return attr ? attr(naming) : describe();
}

/** The parameters a value refers to that have no Default and were given no value. */
export function parametersWithoutValue(value: unknown, ctx: StackContext): string[] {
  const found = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) return v.forEach(visit);
    if (!v || typeof v !== 'object') return;
    const intrinsic = intrinsicOf(v);
    if (intrinsic?.name === 'Ref' && typeof intrinsic.arg === 'string' && ctx.parameters.get(intrinsic.arg) instanceof Unresolved) found.add(intrinsic.arg);
    if (intrinsic?.name === 'Fn::Sub') {
      const text = Array.isArray(intrinsic.arg) ? intrinsic.arg[0] : intrinsic.arg;
      for (const m of String(text).matchAll(/\$\{([^}!.]+)\}/g)) if (ctx.parameters.get(m[1]!.trim()) instanceof Unresolved) found.add(m[1]!.trim());
    }
    Object.values(v).forEach(visit);
  };
  visit(value);
  return [...found];
}

function resolveIntrinsic(name: string, arg: unknown, original: unknown, ctx: StackContext, depth: number): unknown {
  const unresolved = () => new Unresolved(describeValue(original));
  const resolve = (v: unknown) => resolveValue(v, ctx, depth);
  const list = Array.isArray(arg) ? arg : [arg];
  switch (name) {
    case 'Ref':
      return typeof arg === 'string' ? resolveRef(arg, ctx) : unresolved();
    case 'Fn::Sub':
      return substitute(arg, ctx, depth);
    case 'Fn::Join': {
      const [delimiter, items] = list;
      const parts = resolve(items);
      if (typeof delimiter !== 'string' || !Array.isArray(parts)) return unresolved();
      const text = parts.map((p) => (Array.isArray(p) ? p.join(',') : describeValue(p))).join(delimiter);
      return parts.some((p) => p instanceof Unresolved) ? new Unresolved(text) : text;
    }
    case 'Fn::Select': {
      const index = Number(resolve(list[0]));
      const items = resolve(list[1]);
      return Array.isArray(items) && Number.isInteger(index) && index >= 0 && index < items.length ? items[index] : unresolved();
    }
    case 'Fn::Split': {
      const delimiter = list[0];
      const source = resolve(list[1]);
      return typeof delimiter === 'string' && typeof source === 'string' ? source.split(delimiter) : unresolved();
    }
    case 'Fn::FindInMap': {
      const [mapName, topKey, secondKey] = list.slice(0, 3).map(resolve);
      const found = [mapName, topKey, secondKey].every((k) => typeof k === 'string' || typeof k === 'number')
        ? asRecord(asRecord(ctx.mappings[String(mapName)])[String(topKey)])[String(secondKey)]
        : undefined;
      if (found !== undefined) return resolve(found);
      const fallback = asRecord(list[3]).DefaultValue; // AWS::LanguageExtensions' default
      return fallback !== undefined ? resolve(fallback) : unresolved();
    }
    case 'Fn::If': {
      const [condition, whenTrue, whenFalse] = list;
      const holds = typeof condition === 'string' ? evaluateCondition(condition, ctx, depth) : undefined;
      if (holds === undefined) return unresolved();
      return resolve(holds ? whenTrue : whenFalse);
    }
    case 'Fn::Equals':
    case 'Fn::And':
    case 'Fn::Or':
    case 'Fn::Not': {
      const holds = evaluateConditionExpression(original, ctx, depth);
      return holds === undefined ? unresolved() : holds;
    }
    case 'Fn::GetAZs': {
      const region = resolve(arg);
      const r = typeof region === 'string' && region ? region : String(ctx.pseudo.get('AWS::Region'));
      return [`${r}a`, `${r}b`, `${r}c`];
    }
    case 'Fn::Base64': {
      const text = resolve(arg);
      return typeof text === 'string' ? Buffer.from(text).toString('base64') : unresolved();
    }
    case 'Fn::Length': {
      const items = resolve(arg);
      return Array.isArray(items) ? items.length : unresolved();
    }
    case 'Fn::GetAtt': {
      // `!GetAtt Queue.Arn` (short form) or `[Queue, Arn]` (long form) of a resource in this template.
      const parts = typeof arg === 'string' ? arg.split(/\.(.*)/s, 2) : Array.isArray(arg) ? arg.map(resolve) : [];
      const [id, attribute] = parts;
      if (typeof id === 'string' && typeof attribute === 'string' && ctx.resources.has(id)) {
        return resourceValue(id, attribute, ctx, depth);
      }
      return new Unresolved(describeValue({ [name]: resolve(arg) }));
    }
    case 'Fn::ToJsonString': {
      const resolved = resolve(arg);
      return containsUnresolved(resolved) ? unresolved() : JSON.stringify(resolved);
    }
    default:
      // Fn::GetAtt, Fn::ImportValue, Fn::Cidr, Fn::Transform and the rest only exist in a deployed stack;
      // their arguments are still resolved, so the placeholder reads `!ImportValue qa-vpc`.
      return new Unresolved(describeValue({ [name]: resolve(arg) }));
  }
}

function containsUnresolved(value: unknown): boolean {
  if (value instanceof Unresolved) return true;
  if (Array.isArray(value)) return value.some(containsUnresolved);
  if (value && typeof value === 'object') return Object.values(value).some(containsUnresolved);
  return false;
}

/** Fn::Sub: `${Param}`, `${AWS::Region}` and the given variables are filled in; `${Res.Attr}` stays as written. */
function substitute(arg: unknown, ctx: StackContext, depth: number): unknown {
  const [template, variables] = Array.isArray(arg) ? arg : [arg, {}];
  if (typeof template !== 'string') return new Unresolved(describeValue({ 'Fn::Sub': arg }));
  const vars = asRecord(variables);
  let incomplete = false;
  const text = template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
    if (inner.startsWith('!')) return `\${${inner.slice(1)}}`; // `${!Literal}` is an escaped `${Literal}`
    const name = inner.trim();
    let value: unknown;
    if (name in vars) value = resolveValue(vars[name], ctx, depth + 1);
    else if (name.includes('.') && !ctx.pseudo.has(name)) {
      // GetAtt shorthand: `${Queue.Arn}`.
      const [id, attribute] = name.split(/\.(.*)/s, 2) as [string, string];
      value = ctx.resources.has(id) ? resourceValue(id, attribute, ctx, depth) : new Unresolved(whole);
    } else value = resolveRef(name, ctx);
    if (value instanceof Unresolved || value === NO_VALUE || (value && typeof value === 'object' && !Array.isArray(value))) {
      incomplete = true;
      return whole;
    }
    return Array.isArray(value) ? value.join(',') : String(value);
  });
  return incomplete ? new Unresolved(text) : text;
}

/** true/false when the condition can be decided locally, undefined when it depends on a deployed stack. */
export function evaluateCondition(name: string, ctx: StackContext, depth = 0, seen = new Set<string>()): boolean | undefined {
  if (seen.has(name) || !(name in ctx.conditions)) return undefined;
  // `seen` is the chain being evaluated, so a cycle is caught but two uses of one condition are not.
  seen.add(name);
  const holds = evaluateConditionExpression(ctx.conditions[name], ctx, depth + 1, seen);
  seen.delete(name);
  return holds;
}

function evaluateConditionExpression(expr: unknown, ctx: StackContext, depth: number, seen = new Set<string>()): boolean | undefined {
  if (typeof expr === 'boolean') return expr;
  if (depth > 64) return undefined;
  const record = asRecord(expr);
  if (Object.keys(record).length === 1 && typeof record.Condition === 'string') {
    return evaluateCondition(record.Condition, ctx, depth + 1, seen);
  }
  const intrinsic = intrinsicOf(expr);
  if (!intrinsic) return undefined;
  const args = Array.isArray(intrinsic.arg) ? intrinsic.arg : [intrinsic.arg];
  const sub = (e: unknown) => evaluateConditionExpression(e, ctx, depth + 1, seen);
  switch (intrinsic.name) {
    case 'Fn::Equals': {
      const [a, b] = args.map((v) => resolveValue(v, ctx, depth + 1));
      if (containsUnresolved(a) || containsUnresolved(b)) return undefined;
      return JSON.stringify(typeof a === 'number' ? String(a) : a) === JSON.stringify(typeof b === 'number' ? String(b) : b);
    }
    case 'Fn::Not': {
      const v = sub(args[0]);
      return v === undefined ? undefined : !v;
    }
    case 'Fn::And': {
      const values = args.map(sub);
      if (values.includes(false)) return false;
      return values.includes(undefined) ? undefined : true;
    }
    case 'Fn::Or': {
      const values = args.map(sub);
      if (values.includes(true)) return true;
      return values.includes(undefined) ? undefined : false;
    }
    default:
      return undefined;
  }
}

/** What an environment variable gets: the text of any value, placeholders included. */
export function toText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value instanceof Unresolved) return value.text;
  if (value === null || value === undefined || value === NO_VALUE) return '';
  if (Array.isArray(value)) return value.map(toText).join(',');
  if (typeof value === 'object') return JSON.stringify(value, (_k, v: unknown) => (v instanceof Unresolved ? v.text : v));
  return String(value);
}

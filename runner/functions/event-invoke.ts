// Reads how a function's asynchronous (Event) invocations are handled, from whichever file defines it, into the
// one EventInvokeSettings of the Function model: retries, the events' age limit, OnSuccess / OnFailure
// destinations and the dead-letter queue. Shared by template.ts and serverless.ts so that a bad value gets the
// same sentence from both.
import type { Destination, EventInvokeSettings } from './model.ts';
import { Unresolved, asRecord, describeValue } from './intrinsics.ts';
import type { Problem } from './check-settings.ts';

type DestinationType = Destination['type'];

/** What a name in the definition file is (a logical id, a function of the service), when it is known. */
export type KindOf = (name: string) => DestinationType | undefined;

const ARN_SERVICE: Record<string, DestinationType> = { lambda: 'Lambda', sqs: 'SQS', sns: 'SNS', events: 'EventBridge', s3: 'S3' };
const TYPE_NAMES: Record<string, DestinationType> = {
  lambda: 'Lambda',
  function: 'Lambda',
  sqs: 'SQS',
  sns: 'SNS',
  eventbridge: 'EventBridge',
  eventbus: 'EventBridge',
  s3: 'S3',
  s3bucket: 'S3',
};

/** The resource types a destination can name in a template, by what they are. */
export const RESOURCE_KINDS: Record<string, DestinationType> = {
  'AWS::Serverless::Function': 'Lambda',
  'AWS::Lambda::Function': 'Lambda',
  'AWS::SQS::Queue': 'SQS',
  'AWS::SNS::Topic': 'SNS',
  'AWS::Events::EventBus': 'EventBridge',
  'AWS::S3::Bucket': 'S3',
};

/**
 * A destination from an ARN, `!GetAtt X.Arn`, a `!Ref`'s logical id, a function name, or serverless.yml's
 * `{ type, arn }`. `typeHint` is SAM's `Type:` (or serverless.yml's `type:`) when there is one.
 */
export function readDestination(
  value: unknown,
  typeHint: unknown,
  setting: string,
  line: number,
  kindOf: KindOf,
  problems: Problem[],
): Destination | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Unresolved)) {
    const record = asRecord(value);
    if ('arn' in record || 'type' in record) return readDestination(record.arn, record.type, setting, line, kindOf, problems);
  }
  let hint: DestinationType | undefined;
  if (typeHint !== undefined && typeHint !== null) {
    hint = typeof typeHint === 'string' ? TYPE_NAMES[typeHint.toLowerCase()] : undefined;
    if (!hint) {
      problems.push({ line, text: `has ${setting} of type ${describeValue(typeHint)}; the types are Lambda, SQS, SNS, EventBridge and S3Bucket.` });
      return undefined;
    }
  }
  const text = value instanceof Unresolved ? value.text : typeof value === 'string' ? value.trim() : undefined;
  if (!text) {
    problems.push({
      line,
      text: `has ${setting} ${describeValue(value) || '(empty)'}; it must name the destination: a function's ARN or name, or a queue's, topic's or event bus's ARN.`,
    });
    return undefined;
  }
  const arn = /^arn:aws[\w-]*:(\w+):[^:]*:[^:]*:(.*)$/.exec(text);
  if (arn) {
    const type = ARN_SERVICE[arn[1]!] ?? hint;
    if (!type) {
      problems.push({
        line,
        text: `has ${setting} "${text}", an ARN of ${arn[1]}; a destination is a Lambda function, an SQS queue, an SNS topic, an EventBridge bus or an S3 bucket.`,
      });
      return undefined;
    }
    const fn = type === 'Lambda' ? /^function:([A-Za-z0-9_\-.]+)(?::[^:]+)?$/.exec(arn[2]!) : null;
    return { type, target: fn ? fn[1]! : text };
  }
  // `!GetAtt Orders.Arn` (unresolvable locally, but it names the resource), or a logical id / function name.
  const getAtt = /^!GetAtt ([A-Za-z0-9_\-.]+?)\.(?:Arn|QueueArn|TopicArn)$/.exec(text);
  const name = getAtt ? getAtt[1]! : /^[A-Za-z0-9_\-.]+$/.test(text) ? text : undefined;
  const type = name ? (kindOf(name) ?? hint) : hint;
  if (!type) {
    problems.push({
      line,
      text: `has ${setting} "${text}", which names no function or resource of this file; give the destination's ARN, or !GetAtt of a resource defined here.`,
    });
    return undefined;
  }
  return { type, target: name ?? text };
}

function wholeNumber(value: unknown, setting: string, min: number, max: number, unit: string, line: number, problems: Problem[]): number | undefined {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() ? Number(value) : NaN;
  if (Number.isInteger(n) && n >= min && n <= max) return n;
  problems.push({ line, text: `has ${setting} ${describeValue(value) || '(empty)'}; it must be a whole number${unit} from ${min} to ${max}.` });
  return undefined;
}

export function readRetryAttempts(value: unknown, setting: string, line: number, problems: Problem[]): number | undefined {
  return wholeNumber(value, setting, 0, 2, '', line, problems);
}

export function readEventAge(value: unknown, setting: string, line: number, problems: Problem[]): number | undefined {
  return wholeNumber(value, setting, 60, 21600, ' of seconds', line, problems);
}

/**
 * SAM's EventInvokeConfig / CloudFormation's AWS::Lambda::EventInvokeConfig Properties:
 *   { MaximumRetryAttempts, MaximumEventAgeInSeconds, DestinationConfig: { OnSuccess: { Type?, Destination }, OnFailure } }
 */
export function readEventInvokeConfig(value: unknown, where: string, line: number, kindOf: KindOf, problems: Problem[]): Partial<EventInvokeSettings> {
  const config = asRecord(value);
  const out: Partial<EventInvokeSettings> = {};
  if (config.MaximumRetryAttempts !== undefined)
    out.maximumRetryAttempts = readRetryAttempts(config.MaximumRetryAttempts, `${where}.MaximumRetryAttempts`, line, problems);
  if (config.MaximumEventAgeInSeconds !== undefined)
    out.maximumEventAgeSeconds = readEventAge(config.MaximumEventAgeInSeconds, `${where}.MaximumEventAgeInSeconds`, line, problems);
  const destinations = asRecord(config.DestinationConfig);
  for (const [key, field] of [
    ['OnSuccess', 'onSuccess'],
    ['OnFailure', 'onFailure'],
  ] as const) {
    const d = destinations[key];
    if (d === undefined || d === null) continue;
    const record = asRecord(d);
    const destination = readDestination(record.Destination, record.Type, `${where}.DestinationConfig.${key}`, line, kindOf, problems);
    if (destination) out[field] = destination;
  }
  return dropUndefined(out);
}

/** SAM's DeadLetterQueue `{ Type: SQS|SNS, TargetArn }`, or CloudFormation's DeadLetterConfig `{ TargetArn }`. */
export function readDeadLetter(value: unknown, setting: string, line: number, kindOf: KindOf, problems: Problem[]): Destination | undefined {
  const record = asRecord(value);
  const destination = readDestination(record.TargetArn, record.Type, `${setting}.TargetArn`, line, kindOf, problems);
  if (destination && destination.type !== 'SQS' && destination.type !== 'SNS') {
    problems.push({ line, text: `has ${setting} of type ${destination.type}; a dead-letter queue is an SQS queue or an SNS topic.` });
    return undefined;
  }
  return destination;
}

export function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

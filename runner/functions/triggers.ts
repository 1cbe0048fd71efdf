// What sends a function its events, as the definition file declares it: the types of a SAM function's `Events`
// (SQS, HttpApi, Schedule ...) plus FunctionUrl, and serverless.yml's event keys mapped to the same names. The event
// picker offers these triggers' templates first and warns when an event of another source is sent.
import type { FunctionSpec } from './model.ts';

/** serverless.yml event keys, by the SAM event type that means the same trigger. */
const SERVERLESS_EVENTS: Record<string, string> = {
  http: 'Api',
  httpApi: 'HttpApi',
  sqs: 'SQS',
  sns: 'SNS',
  s3: 'S3',
  schedule: 'Schedule',
  eventBridge: 'EventBridgeRule',
  cloudwatchEvent: 'CloudWatchEvent',
  cloudwatchLog: 'CloudWatchLogs',
  msk: 'MSK',
  kafka: 'SelfManagedKafka',
  activemq: 'MQ',
  rabbitmq: 'MQ',
  iot: 'IoTRule',
  cognitoUserPool: 'Cognito',
  alexaSkill: 'AlexaSkill',
  websocket: 'WebSocket',
  alb: 'ALB',
};

/** The function with its triggers, or as it is when it declares none (the field stays absent). */
export function withTriggers(fn: FunctionSpec, triggers: string[]): FunctionSpec {
  const unique = [...new Set(triggers)];
  return unique.length ? { ...fn, triggers: unique } : fn;
}

/** A SAM / CloudFormation function resource's event types, in declared order. */
export function samTriggers(resource: Record<string, unknown>, resolve: (value: unknown) => unknown): string[] {
  const properties = record(resource.Properties);
  const triggers: string[] = [];
  for (const raw of Object.values(record(properties.Events))) {
    const type = resolve(record(raw).Type);
    if (typeof type === 'string' && type) triggers.push(type);
  }
  if (properties.FunctionUrlConfig !== undefined) triggers.push('FunctionUrl');
  return triggers;
}

/** A serverless.yml function's `events` list (and `url`), as SAM event types. */
export function serverlessTriggers(eventList: unknown, url: unknown): string[] {
  const triggers: string[] = [];
  for (const event of Array.isArray(eventList) ? eventList : []) {
    const key = Object.keys(record(event))[0];
    if (key) triggers.push(SERVERLESS_EVENTS[key] ?? key);
  }
  if (url !== undefined && url !== false) triggers.push('FunctionUrl');
  return triggers;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

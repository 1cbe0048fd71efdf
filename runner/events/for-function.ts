// Which events fit a function, from what its project says: the project's own `events/*.json` (what `sam init`
// writes next to template.yaml), the catalogue templates of the triggers the function declares (an SQS-triggered
// function gets SQS first; an `HttpApi GET /hello` one an HTTP API request for GET /hello), and the source an
// event came from, so sending an SQS batch to an HTTP handler gets a one-line hint. The editor's picker uses it.
import { readFile, readdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { FunctionSpec } from '../functions/model.ts';
import { findEventTemplate, listEventTemplates, type EventTemplate } from './catalogue.ts';

/** The catalogue templates each SAM event type sends. */
const TEMPLATES_OF_TRIGGER: Record<string, readonly string[]> = {
  Api: ['apigw-rest-proxy', 'apigw-rest-proxy-cognito', 'apigw-rest-authorizer-token', 'apigw-rest-authorizer-request'],
  HttpApi: ['apigw-http', 'apigw-http-jwt', 'apigw-http-authorizer'],
  FunctionUrl: ['function-url'],
  WebSocket: ['apigw-websocket-connect', 'apigw-websocket-message', 'apigw-websocket-disconnect'],
  ALB: ['alb', 'alb-multi-value'],
  SQS: ['sqs', 'sqs-fifo', 's3-put-via-sqs'],
  SNS: ['sns'],
  S3: ['s3-put', 's3-delete'],
  Schedule: ['eventbridge-scheduled'],
  ScheduleV2: ['eventbridge-scheduler'],
  CloudWatchEvent: ['eventbridge-custom', 'eventbridge-scheduled', 's3-eventbridge-object-created'],
  EventBridgeRule: ['eventbridge-custom', 'eventbridge-scheduled', 's3-eventbridge-object-created'],
  Kinesis: ['kinesis'],
  DynamoDB: ['dynamodb-insert', 'dynamodb-modify', 'dynamodb-remove'],
  MSK: ['msk'],
  SelfManagedKafka: ['kafka-self-managed'],
  MQ: ['mq-activemq', 'mq-rabbitmq'],
  CloudWatchLogs: ['cloudwatch-logs'],
  IoTRule: ['iot-rule'],
  Cognito: listEventTemplates()
    .filter((t) => t.id.startsWith('cognito-'))
    .map((t) => t.id),
};

/** How a trigger is named to the user. */
const TRIGGER_NAMES: Record<string, string> = {
  Api: 'API Gateway REST API',
  HttpApi: 'API Gateway HTTP API',
  FunctionUrl: 'Function URL',
  SQS: 'SQS',
  SNS: 'SNS',
  S3: 'S3',
  Schedule: 'EventBridge schedule',
  ScheduleV2: 'EventBridge Scheduler',
  CloudWatchEvent: 'EventBridge',
  EventBridgeRule: 'EventBridge',
  Kinesis: 'Kinesis',
  DynamoDB: 'DynamoDB Streams',
  WebSocket: 'API Gateway WebSocket',
  ALB: 'Application Load Balancer',
};

/** Triggers that deliver the same event shape (an HTTP API with payload 1.0 sends what a REST API sends). */
const SAME_SHAPE: Record<string, readonly string[]> = {
  HttpApi: ['FunctionUrl'],
  FunctionUrl: ['HttpApi'],
  Schedule: ['EventBridgeRule', 'CloudWatchEvent'],
  EventBridgeRule: ['Schedule', 'CloudWatchEvent'],
  CloudWatchEvent: ['Schedule', 'EventBridgeRule'],
};

export interface ProjectEvent {
  /** The file name without .json. */
  readonly name: string;
  readonly path: string;
  /** The trigger its shape says it comes from, when it has a known shape. */
  readonly trigger?: string;
  /** Whether that trigger is one the function declares; undefined when either is unknown. */
  readonly fits?: boolean;
}

/**
 * `events/*.json` next to the function's definition file: the project's own sample events. One events/ folder
 * may serve a template of many functions, so the ones shaped like this function's triggers come first, those of
 * other sources last.
 */
export async function projectEvents(fn: FunctionSpec): Promise<ProjectEvent[]> {
  if (!fn.source?.file) return [];
  const folder = join(dirname(fn.source.file), 'events');
  const names = (await readdir(folder).catch(() => [] as string[])).filter((n) => n.endsWith('.json')).sort();
  const events = await Promise.all(
    names.map(async (n): Promise<ProjectEvent> => {
      const path = join(folder, n);
      const name = n.slice(0, -'.json'.length);
      let parsed: unknown;
      try {
        parsed = JSON.parse(await readFile(path, 'utf8'));
      } catch {
        return { name, path };
      }
      const trigger = eventTriggerOf(parsed);
      if (!trigger) return { name, path };
      return { name, path, trigger, ...(fn.triggers?.length ? { fits: triggerMismatch(fn, parsed) === undefined } : {}) };
    }),
  );
  const rank = (e: ProjectEvent) => (e.fits === true ? 0 : e.fits === false ? 2 : 1);
  return events.sort((a, b) => rank(a) - rank(b));
}

/** The catalogue templates of the function's declared triggers, in trigger order; empty when it declares none. */
export function triggerTemplates(fn: FunctionSpec): EventTemplate[] {
  const ids = (fn.triggers ?? []).flatMap((t) => TEMPLATES_OF_TRIGGER[t] ?? []);
  // An HTTP API event with payload 1.0 has the REST shape.
  if (fn.httpEvents?.some((e) => e.kind === 'http' && e.payloadVersion === '1.0')) ids.unshift(...TEMPLATES_OF_TRIGGER.Api!.slice(0, 1));
  return [...new Set(ids)].map((id) => findEventTemplate(id)).filter((t): t is EventTemplate => t !== undefined);
}

/** Field values that make a template's event match the function's declared route (method, route and path). */
export function declaredFieldValues(fn: FunctionSpec, template: EventTemplate): Record<string, string> {
  const kind = template.id.startsWith('apigw-rest')
    ? 'rest'
    : template.id.startsWith('apigw-http')
      ? 'http'
      : template.id === 'function-url'
        ? 'url'
        : undefined;
  const route = kind && fn.httpEvents?.find((e) => e.kind === kind || (kind === 'rest' && e.payloadVersion === '1.0'));
  if (!route) return {};
  const fields = new Set(template.fields.map((f) => f.name));
  const values: Record<string, string> = {};
  const method = route.method === 'ANY' ? undefined : route.method;
  if (method && fields.has('method')) values.method = method;
  if (route.path !== '$default' && route.kind !== 'url') {
    if (fields.has('route')) values.route = route.path;
    if (fields.has('resource')) values.resource = route.path;
    // A concrete path for the declared one: {id} becomes id's name, {proxy+} becomes proxy.
    if (fields.has('path')) values.path = route.path.replace(/\{([^}+]+)\+?\}/g, '$1');
  }
  return values;
}

/** The trigger (SAM event type) an event came from, told by its shape; undefined when it has no known shape. */
export function eventTriggerOf(event: unknown): string | undefined {
  if (!event || typeof event !== 'object' || Array.isArray(event)) return undefined;
  const e = event as Record<string, unknown>;
  const records = Array.isArray(e.Records) ? (e.Records as Record<string, unknown>[]) : undefined;
  if (records?.length) {
    const source = String(records[0]?.eventSource ?? records[0]?.EventSource ?? '');
    const bySource: Record<string, string> = { 'aws:sqs': 'SQS', 'aws:sns': 'SNS', 'aws:s3': 'S3', 'aws:kinesis': 'Kinesis', 'aws:dynamodb': 'DynamoDB' };
    return bySource[source];
  }
  const context = e.requestContext && typeof e.requestContext === 'object' ? (e.requestContext as Record<string, unknown>) : undefined;
  if (context?.elb) return 'ALB';
  if (context && typeof context.connectionId === 'string') return 'WebSocket';
  if (e.version === '2.0' && context?.http) return String(context.domainName ?? '').includes('.lambda-url.') ? 'FunctionUrl' : 'HttpApi';
  if (typeof e.httpMethod === 'string' && context) return 'Api';
  if (typeof e.source === 'string' && typeof e['detail-type'] === 'string') return e['detail-type'] === 'Scheduled Event' ? 'Schedule' : 'EventBridgeRule';
  return undefined;
}

/**
 * A one-line hint when an event's source is not one of the function's declared triggers; undefined when it fits,
 * when the function declares no trigger, or when the event's shape is not one we know.
 */
export function triggerMismatch(fn: FunctionSpec, event: unknown, displayName = fn.path ?? fn.name): string | undefined {
  const declared = fn.triggers ?? [];
  const source = eventTriggerOf(event);
  if (!declared.length || !source) return undefined;
  const fits = declared.some(
    (t) =>
      t === source || (SAME_SHAPE[t] ?? []).includes(source) || (t === 'HttpApi' && source === 'Api' && fn.httpEvents?.some((h) => h.payloadVersion === '1.0')),
  );
  if (fits) return undefined;
  const name = triggerName;
  return `This is ${article(name(source))} ${name(source)} event, but ${displayName} is triggered by ${[...new Set(declared.map(name))].join(', ')}: the handler may not expect its shape.`;
}

/** A trigger as the user knows it: `API Gateway HTTP API` for HttpApi. */
export function triggerName(trigger: string): string {
  return TRIGGER_NAMES[trigger] ?? trigger;
}

function article(word: string): string {
  return /^([AEIOU]|S[A-Z0-9]|HTTP)/.test(word) ? 'an' : 'a';
}

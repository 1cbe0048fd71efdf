// The built-in `cloudevents` middleware: the CloudEvent-based function signature. Whatever AWS event arrives (SQS,
// SNS, S3, Kinesis, DynamoDB Streams, EventBridge, API Gateway REST/HTTP, Function URLs, ALB ...), the function
// receives CloudEvents 1.0 in structured JSON mode, made with the `cloudevents` SDK: one invocation per record for
// batch sources. Its results are mapped back to what the source expects: batchItemFailures for SQS, Kinesis and
// DynamoDB Streams, an HTTP response for HTTP sources, the result itself otherwise. Attribute mapping follows the
// CloudEvents adapter documents where one exists (S3, SNS) and the same pattern for the rest.
import type { CloudEvent as CloudEventClass, CloudEventV1 } from 'cloudevents';
import type { LambdaError } from './hook-answer.ts';
import { importCommonJs } from '../import-commonjs.ts';

type Sdk = typeof import('cloudevents');
let sdk: Promise<Sdk> | undefined;
/** Loaded on first use (~100 ms): most chains never need it. */
function loadSdk(): Promise<Sdk> {
  sdk ??= importCommonJs(import('cloudevents'));
  return sdk;
}

export type CloudEventsResult =
  | { kind: 'response'; value: unknown }
  | { kind: 'error'; error: LambdaError }
  /** A failure that is not the function's (a broken middleware, 429): the whole invocation fails with it. */
  | { kind: 'failed'; error: LambdaError };

/** Runs the rest of the chain (and the function) with one CloudEvent, in structured JSON mode. */
export type RunWithCloudEvent = (event: Record<string, unknown>) => Promise<CloudEventsResult>;

type Rec = Record<string, any>;
export type EventSourceKind = 'sqs' | 'sns' | 's3' | 'kinesis' | 'dynamodb' | 'eventbridge' | 'http' | 'alb' | 'other';

export function sourceOf(event: unknown): EventSourceKind {
  const e = (event ?? {}) as Rec;
  const first = Array.isArray(e.Records) ? (e.Records[0] as Rec | undefined) : undefined;
  const source = first?.eventSource ?? first?.EventSource;
  if (source === 'aws:sqs') return 'sqs';
  if (source === 'aws:sns') return 'sns';
  if (source === 'aws:s3') return 's3';
  if (source === 'aws:kinesis') return 'kinesis';
  if (source === 'aws:dynamodb') return 'dynamodb';
  if (typeof e['detail-type'] === 'string' && 'detail' in e && typeof e.source === 'string') return 'eventbridge';
  if (e.requestContext?.elb) return 'alb';
  if (e.requestContext && ('httpMethod' in e || e.requestContext.http)) return 'http';
  return 'other';
}

function jsonOrText(text: string): { data: unknown; datacontenttype: string } {
  try {
    return { data: JSON.parse(text), datacontenttype: 'application/json' };
  } catch {
    return { data: text, datacontenttype: 'text/plain' };
  }
}

function epochToIso(value: unknown, unit: 's' | 'ms'): string | undefined {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) ? new Date(unit === 's' ? n * 1000 : n).toISOString() : undefined;
}

function toStructured(ce: CloudEventClass<unknown>): Record<string, unknown> {
  return ce.toJSON() as Record<string, unknown>;
}

/** One CloudEvent per record of a batch source, or one for the whole event. */
export async function toCloudEvents(event: unknown, functionName: string): Promise<{ kind: EventSourceKind; events: Array<Record<string, unknown>> }> {
  const { CloudEvent, HTTP } = await loadSdk();
  const make = (attributes: Partial<CloudEventV1<unknown>> & { source: string; type: string }) => {
    const clean = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== undefined && v !== null && v !== ''));
    return toStructured(new CloudEvent(clean as CloudEventV1<unknown>));
  };
  const e = (event ?? {}) as Rec;
  const kind = sourceOf(event);
  const records = (Array.isArray(e.Records) ? e.Records : []) as Rec[];
  switch (kind) {
    case 'sqs':
      return {
        kind,
        events: records.map((r) =>
          make({
            id: r.messageId,
            source: r.eventSourceARN,
            type: 'com.amazonaws.sqs.message',
            time: epochToIso(r.attributes?.SentTimestamp, 'ms'),
            awsregion: r.awsRegion,
            ...jsonOrText(String(r.body ?? '')),
          }),
        ),
      };
    case 'sns':
      return {
        kind,
        events: records.map((r) => {
          const sns = (r.Sns ?? {}) as Rec;
          return make({
            id: sns.MessageId,
            source: sns.TopicArn,
            type: `com.amazonaws.sns.${sns.Type ?? 'Notification'}`,
            subject: sns.Subject,
            time: sns.Timestamp,
            ...jsonOrText(String(sns.Message ?? '')),
          });
        }),
      };
    case 's3':
      return {
        kind,
        events: records.map((r) => {
          const ids = [r.responseElements?.['x-amz-request-id'], r.responseElements?.['x-amz-id-2']].filter(Boolean);
          return make({
            id: ids.length ? ids.join('.') : undefined,
            source: `${r.eventSource}.${r.awsRegion}.${r.s3?.bucket?.name}`,
            type: `com.amazonaws.s3.${r.eventName}`,
            subject: r.s3?.object?.key,
            time: r.eventTime,
            datacontenttype: 'application/json',
            data: r,
          });
        }),
      };
    case 'kinesis':
      return {
        kind,
        events: records.map((r) => {
          const bytes = Buffer.from(String(r.kinesis?.data ?? ''), 'base64');
          const decoded = jsonOrText(bytes.toString('utf8'));
          const payload =
            decoded.datacontenttype === 'application/json' || isUtf8(bytes)
              ? decoded
              : { data: new Uint8Array(bytes), datacontenttype: 'application/octet-stream' };
          return make({
            id: r.eventID,
            source: r.eventSourceARN,
            type: 'com.amazonaws.kinesis.record',
            subject: r.kinesis?.partitionKey,
            time: epochToIso(r.kinesis?.approximateArrivalTimestamp, 's'),
            awsregion: r.awsRegion,
            ...payload,
          });
        }),
      };
    case 'dynamodb':
      return {
        kind,
        events: records.map((r) =>
          make({
            id: r.eventID,
            source: r.eventSourceARN,
            type: `com.amazonaws.dynamodb.${r.eventName}`,
            subject: r.dynamodb?.Keys ? JSON.stringify(r.dynamodb.Keys) : undefined,
            time: epochToIso(r.dynamodb?.ApproximateCreationDateTime, 's'),
            awsregion: r.awsRegion,
            datacontenttype: 'application/json',
            data: r.dynamodb,
          }),
        ),
      };
    case 'eventbridge':
      return {
        kind,
        events: [
          make({
            id: e.id,
            source: e.source,
            type: e['detail-type'],
            subject: Array.isArray(e.resources) ? e.resources[0] : undefined,
            time: e.time,
            awsregion: e.region,
            datacontenttype: 'application/json',
            data: e.detail,
          }),
        ],
      };
    case 'http':
    case 'alb': {
      const headers = Object.fromEntries(Object.entries((e.headers ?? {}) as Rec).map(([k, v]) => [k.toLowerCase(), String(v)]));
      const body = e.body == null ? undefined : e.isBase64Encoded ? Buffer.from(String(e.body), 'base64').toString('utf8') : String(e.body);
      // A request that already is a CloudEvent (binary or structured HTTP mode) is read as one.
      if (body !== undefined && HTTP.isEvent({ headers, body })) {
        const received = HTTP.toEvent({ headers, body });
        const first = Array.isArray(received) ? received : [received];
        return { kind, events: first.map((ce) => toStructured(ce as CloudEventClass<unknown>)) };
      }
      const method = e.httpMethod ?? e.requestContext?.http?.method;
      const path = e.rawPath ?? e.path ?? e.requestContext?.http?.path ?? '/';
      const host = e.requestContext?.domainName ?? headers.host ?? 'localhost';
      const contentType = headers['content-type'] ?? '';
      const data = body === undefined ? undefined : /json/i.test(contentType) ? jsonOrText(body) : { data: body, datacontenttype: contentType || 'text/plain' };
      const type =
        kind === 'alb'
          ? 'com.amazonaws.elasticloadbalancing.request'
          : /\.lambda-url\./.test(host)
            ? 'com.amazonaws.lambda.url.request'
            : 'com.amazonaws.apigateway.request';
      return {
        kind,
        events: [
          make({
            id: e.requestContext?.requestId,
            source: `https://${host}${path}`,
            type,
            time: epochToIso(e.requestContext?.timeEpoch ?? e.requestContext?.requestTimeEpoch, 'ms'),
            httpmethod: method,
            ...(data ?? {}),
          }),
        ],
      };
    }
    default:
      return {
        kind,
        events: [
          make({ source: `urn:open-runtime:function:${functionName}`, type: 'com.amazonaws.lambda.invoke', datacontenttype: 'application/json', data: event }),
        ],
      };
  }
}

function isUtf8(bytes: Buffer): boolean {
  return Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes);
}

function looksLikeCloudEvent(value: unknown): value is Rec {
  const v = value as Rec | null;
  return !!v && typeof v === 'object' && typeof v.specversion === 'string' && typeof v.type === 'string' && typeof v.source === 'string';
}

/** The function's answer to an HTTP request: a CloudEvent goes back in binary HTTP mode; an HTTP response as it is. */
async function toHttpResponse(result: unknown): Promise<unknown> {
  if (looksLikeCloudEvent(result)) {
    const { CloudEvent, HTTP } = await loadSdk();
    const message = HTTP.binary(new CloudEvent(result as CloudEventV1<unknown>));
    const body = typeof message.body === 'string' ? message.body : message.body === undefined ? '' : JSON.stringify(message.body);
    return { statusCode: 200, headers: message.headers, body };
  }
  if (result && typeof result === 'object' && 'statusCode' in result) return result;
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(result ?? null) };
}

/**
 * Feeds the function CloudEvents and maps its results back. Records run one after another (FIFO queues and
 * stream shards are ordered); a stream stops at its first failed record, which Lambda retries from.
 */
export async function runCloudEvents(event: unknown, functionName: string, run: RunWithCloudEvent, log: (line: string) => void): Promise<CloudEventsResult> {
  const { kind, events } = await toCloudEvents(event, functionName);
  const e = (event ?? {}) as Rec;
  const records = (Array.isArray(e.Records) ? e.Records : []) as Rec[];
  if (kind === 'sqs' || kind === 'kinesis' || kind === 'dynamodb') {
    const failures: Array<{ itemIdentifier: string }> = [];
    for (let i = 0; i < events.length; i++) {
      const result = await run(events[i]!);
      if (result.kind === 'failed') return result;
      if (result.kind === 'error') {
        const r = records[i]!;
        const itemIdentifier = kind === 'sqs' ? r.messageId : kind === 'kinesis' ? r.kinesis?.sequenceNumber : r.dynamodb?.SequenceNumber;
        failures.push({ itemIdentifier: String(itemIdentifier) });
        log(`CLOUDEVENTS record ${i + 1}/${events.length} (${itemIdentifier}) failed: ${result.error.errorType}: ${result.error.errorMessage}`);
        if (kind !== 'sqs') break;
      }
    }
    log(`CLOUDEVENTS ${kind}: ${events.length} record(s) as CloudEvents, ${failures.length} reported in batchItemFailures`);
    return { kind: 'response', value: { batchItemFailures: failures } };
  }
  const results: unknown[] = [];
  for (let i = 0; i < events.length; i++) {
    const result = await run(events[i]!);
    if (result.kind !== 'response') {
      if (events.length > 1 && result.kind === 'error') result.error.errorMessage = `Record ${i + 1} of ${events.length}: ${result.error.errorMessage}`;
      return result;
    }
    results.push(result.value);
  }
  if (kind === 'http' || kind === 'alb') return { kind: 'response', value: await toHttpResponse(results[0]) };
  return { kind: 'response', value: results.length === 1 ? results[0] : results };
}

// How durable executions look on the wire: their ARNs, checkpoint tokens and callback ids, and operations and events
// with Lambda's timestamps (epoch seconds in JSON bodies, as the restJson protocol of @aws-sdk/client-lambda reads
// them). One place, so that the API, the invocation event and the CLI agree.
//   execution ARN   <function ARN>:<version>/durable-execution/<execution name>/<execution id>  (the SDK parses this shape)
//   checkpoint token  base64url JSON {e: execution id, i: invocation id, n: nonce}: names the invocation it was given to
//   callback id       base64url JSON {e: execution id, o: operation id, n: nonce}
import { randomBytes } from 'node:crypto';
import type { HistoryEvent, Operation } from './execution.ts';

export function executionArn(functionArn: string, version: string, name: string, id: string): string {
  return `${functionArn}:${version}/durable-execution/${name}/${id}`;
}

/** The execution id at the end of an execution ARN, or undefined when it is not one. */
export function executionIdOf(arn: string): string | undefined {
  return /^arn:[^:]*:lambda:[^:]*:[^:]*:function:[^:/]+:[^:/]+\/durable-execution\/[^/]+\/([A-Za-z0-9-]+)$/.exec(arn)?.[1];
}

const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

function decode(text: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export function checkpointToken(executionId: string, invocationId: string): string {
  return encode({ e: executionId, i: invocationId, n: randomBytes(6).toString('hex') });
}

export function readCheckpointToken(token: string): { executionId: string; invocationId: string } | undefined {
  const value = decode(token);
  return typeof value?.e === 'string' && typeof value.i === 'string' ? { executionId: value.e, invocationId: value.i } : undefined;
}

export function callbackId(executionId: string, operationId: string): string {
  return encode({ e: executionId, o: operationId, n: randomBytes(6).toString('hex') });
}

export function readCallbackId(id: string): { executionId: string; operationId: string } | undefined {
  const value = decode(id);
  return typeof value?.e === 'string' && typeof value.o === 'string' ? { executionId: value.e, operationId: value.o } : undefined;
}

const TIME_KEYS = new Set(['StartTimestamp', 'EndTimestamp', 'NextAttemptTimestamp', 'ScheduledEndTimestamp', 'EventTimestamp', 'StopTimestamp']);

/** A copy with every timestamp in epoch seconds (the store keeps milliseconds). */
export function withWireTimes<T extends Operation | HistoryEvent | Record<string, unknown>>(value: T): T {
  const convert = (v: unknown, key?: string): unknown => {
    if (typeof v === 'number' && key && TIME_KEYS.has(key)) return v / 1000;
    if (Array.isArray(v)) return v.map((item) => convert(item));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).flatMap(([k, inner]) => (inner === undefined ? [] : [[k, convert(inner, k)]])));
    return v;
  };
  return convert(value) as T;
}

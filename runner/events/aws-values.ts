// The made-up but consistent world every template lives in: one account, one region, one moment, and ids
// derived from a seed so the same template always renders the same payload (saved events and test
// expectations stay stable) while different records still get different, realistic-looking ids.
import { createHash } from 'node:crypto';

export const REGION = 'us-east-1';
export const ACCOUNT = '123456789012';
/** 2026-01-15T12:00:00Z: every event "happens" now, so timestamps agree across records and ARNs. */
export const EVENT_TIME_MS = Date.UTC(2026, 0, 15, 12, 0, 0);
export const CLIENT_IP = '198.51.100.24';
export const USER_AGENT = 'curl/8.7.1';

function digest(seed: string): Buffer {
  return createHash('sha256').update(seed).digest();
}

/** A version-4-shaped UUID that is the same for the same seed. */
export function stableUuid(seed: string): string {
  const bytes = digest(seed).subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Lowercase hex of the given length. */
export function stableHex(seed: string, length: number): string {
  let out = '';
  for (let round = 0; out.length < length; round++) out += digest(`${seed}#${round}`).toString('hex');
  return out.slice(0, length);
}

/** Decimal digits of the given length (Kinesis and DynamoDB sequence numbers, CloudWatch event ids). */
export function stableDigits(seed: string, length: number): string {
  const hex = stableHex(seed, length * 2);
  let out = '';
  for (let i = 0; i < length; i++) out += String(parseInt(hex.slice(i * 2, i * 2 + 2), 16) % 10);
  return out.replace(/^0/, '4');
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const ALNUM = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

function stableFrom(alphabet: string, seed: string, length: number): string {
  const hex = stableHex(seed, length * 2);
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[parseInt(hex.slice(i * 2, i * 2 + 2), 16) % alphabet.length];
  return out;
}

/** Uppercase letters and digits: IAM unique ids (AIDA...), request ids. */
export function stableUpper(seed: string, length: number): string {
  return stableFrom(UPPER_ALNUM, seed, length);
}

/** Mixed-case letters and digits: secret suffixes, API Gateway extended request ids. */
export function stableAlnum(seed: string, length: number): string {
  return stableFrom(ALNUM, seed, length);
}

/** Base64 of `bytes` pseudo-random bytes: receipt handles, signatures, tokens. */
export function stableBase64(seed: string, bytes: number): string {
  return Buffer.from(stableHex(seed, bytes * 2), 'hex').toString('base64');
}

/** API Gateway's 16-character request ids such as `Xk2aBF3xIAMEb7Q=`. */
export function apiGatewayRequestId(seed: string): string {
  return `${stableAlnum(seed, 15)}=`;
}

export function md5Hex(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

export function toBase64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

/** `2026-01-15T12:00:00.000Z` */
export function isoTime(offsetMs = 0): string {
  return new Date(EVENT_TIME_MS + offsetMs).toISOString();
}

/** `2026-01-15T12:00:00Z`: EventBridge and CloudEvents drop the milliseconds. */
export function isoTimeSeconds(offsetMs = 0): string {
  return isoTime(offsetMs).replace(/\.\d{3}Z$/, 'Z');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime`: `15/Jan/2026:12:00:00 +0000`. */
export function clfTime(offsetMs = 0): string {
  const d = new Date(EVENT_TIME_MS + offsetMs);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
}

/** `arn:aws:<service>:us-east-1:123456789012:<resource>` */
export function arn(service: string, resource: string, options: { region?: string; account?: string } = {}): string {
  return `arn:aws:${service}:${options.region ?? REGION}:${options.account ?? ACCOUNT}:${resource}`;
}

/** The Lambda function the events are addressed to, where a payload names its target. */
export const FUNCTION_NAME = 'my-function';
export const FUNCTION_ARN = arn('lambda', `function:${FUNCTION_NAME}`);

/** An IAM user's unique id: `AIDA` + 17 characters. */
export function iamUserId(seed: string): string {
  return `AIDA${stableUpper(seed, 17)}`;
}

/** An IAM role's unique id: `AROA` + 17 characters. */
export function iamRoleId(seed: string): string {
  return `AROA${stableUpper(seed, 17)}`;
}

export interface ParsedQuery {
  /** Last value per name, or null when there is no query (REST API v1). */
  single: Record<string, string> | null;
  /** Every value per name, or null when there is no query. */
  multi: Record<string, string[]> | null;
  /** Repeated names joined with commas (HTTP API v2, Function URLs), or undefined when there is no query. */
  joined: Record<string, string> | undefined;
}

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replace(/\+/g, ' '));
  } catch {
    return part; // a stray % stays as typed, like API Gateway passes it on
  }
}

/** Splits `a=1&b=2&b=3` the three ways API Gateway presents query strings. A leading `?` is ignored. */
export function parseQuery(query: string, options: { decode?: boolean } = {}): ParsedQuery {
  const text = query.replace(/^\?/, '');
  if (text === '') return { single: null, multi: null, joined: undefined };
  const decode = options.decode ?? true;
  const multi: Record<string, string[]> = {};
  for (const pair of text.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawName = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const name = decode ? decodeQueryPart(rawName) : rawName;
    const value = decode ? decodeQueryPart(rawValue) : rawValue;
    (multi[name] ??= []).push(value);
  }
  const single: Record<string, string> = {};
  const joined: Record<string, string> = {};
  for (const [name, values] of Object.entries(multi)) {
    single[name] = values[values.length - 1]!;
    joined[name] = values.join(',');
  }
  return { single, multi, joined };
}

/** `/orders/{orderId}` against `/orders/42` gives `{ orderId: '42' }`; `{proxy+}` takes the rest of the path. */
export function pathParametersFor(resource: string, path: string): Record<string, string> | null {
  const resourceParts = resource.split('/').filter(Boolean);
  const pathParts = path.split('?')[0]!.split('/').filter(Boolean);
  const params: Record<string, string> = {};
  for (let i = 0; i < resourceParts.length; i++) {
    const part = resourceParts[i]!;
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) {
      params[greedy[1]!] = pathParts.slice(i).join('/');
      break;
    }
    const single = /^\{(.+)\}$/.exec(part);
    if (single && pathParts[i] !== undefined) params[single[1]!] = decodeQueryPart(pathParts[i]!);
  }
  return Object.keys(params).length > 0 ? params : null;
}

/** Every header value wrapped in an array, the way `multiValueHeaders` repeats `headers`. */
export function multiValue(record: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name, [value]]));
}

export function lowercaseKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([name, value]) => [name.toLowerCase(), value]));
}

/** An X-Ray trace header such as API Gateway and ALB add: `Root=1-<8 hex time>-<24 hex>`. */
export function traceHeader(seed: string): string {
  return `Root=1-${Math.floor(EVENT_TIME_MS / 1000).toString(16)}-${stableHex(seed, 24)}`;
}

/**
 * SQS's MD5 of message attributes, computed the way the service does it so handlers that verify it pass:
 * for each attribute in name order, length-prefixed name, length-prefixed data type, a transport byte
 * (1 string, 2 binary), then the length-prefixed value.
 */
export function sqsMessageAttributesMd5(attributes: Record<string, { dataType: string; stringValue?: string; binaryValue?: string }>): string | null {
  const names = Object.keys(attributes).sort();
  if (names.length === 0) return null;
  const chunks: Buffer[] = [];
  const lengthPrefixed = (data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    chunks.push(length, data);
  };
  for (const name of names) {
    const attribute = attributes[name]!;
    lengthPrefixed(Buffer.from(name, 'utf8'));
    lengthPrefixed(Buffer.from(attribute.dataType, 'utf8'));
    if (attribute.binaryValue !== undefined) {
      chunks.push(Buffer.from([2]));
      lengthPrefixed(Buffer.from(attribute.binaryValue, 'base64'));
    } else {
      chunks.push(Buffer.from([1]));
      lengthPrefixed(Buffer.from(attribute.stringValue ?? '', 'utf8'));
    }
  }
  return md5Hex(Buffer.concat(chunks));
}

export type DynamoDBAttributeValue =
  | { S: string }
  | { N: string }
  | { BOOL: boolean }
  | { NULL: true }
  | { L: DynamoDBAttributeValue[] }
  | { M: Record<string, DynamoDBAttributeValue> };

/** Plain JSON to DynamoDB's typed JSON (`{ "total": 19.5 }` -> `{ "total": { "N": "19.5" } }`). */
export function marshallDynamoDB(value: unknown): DynamoDBAttributeValue {
  if (value === null || value === undefined) return { NULL: true };
  if (typeof value === 'string') return { S: value };
  if (typeof value === 'number') return { N: String(value) };
  if (typeof value === 'boolean') return { BOOL: value };
  if (Array.isArray(value)) return { L: value.map(marshallDynamoDB) };
  return { M: marshallItem(value as Record<string, unknown>) };
}

export function marshallItem(item: Record<string, unknown>): Record<string, DynamoDBAttributeValue> {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, marshallDynamoDB(value)]));
}

/**
 * S3 event notifications carry the key URL-encoded the way HTML forms are: spaces become `+`, the `/`
 * separators stay. Handlers must decode it, a classic bug this makes visible locally.
 */
export function s3EncodeKey(key: string): string {
  return encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
}

/** Kafka and RabbitMQ carry header values as byte arrays. */
export function bytesOf(text: string): number[] {
  return [...Buffer.from(text, 'utf8')];
}

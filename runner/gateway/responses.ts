// What the gateway answers: a function's response turned into HTTP the way API Gateway and Function URLs turn it
// (payload 1.0 and 2.0 formats, the 2.0 "simple" response, base64 bodies, cookies), and API Gateway's own error
// answers, each in one table. Pure: an invocation's outcome in, status + headers + body out. An answer that can't be
// sent (a malformed response) is a 502 here, with the reason for the log, since the caller only gets API Gateway's
// terse {"message": ...} and the user needs to know what to change.
import { validateHeaderName, validateHeaderValue } from 'node:http';
import type { Outcome } from '../environments/invocation.ts';
import type { HttpEvent } from '../functions/model.ts';
import { HTTP_INTEGRATION, PRELUDE_SEPARATOR } from '../local-lambda.ts';
import { matchesMediaType } from './events.ts';

export interface GatewayAnswer {
  status: number;
  /** Name/value pairs; a name may repeat (Set-Cookie, multiValueHeaders). */
  headers: [string, string][];
  body: Buffer;
  /** Why the answer is an error, for the log: a sentence saying what to change. */
  problem?: string;
}

type Kind = HttpEvent['kind'];
type GatewayError =
  | 'noRoute'
  | 'functionError'
  | 'malformed'
  | 'timeout'
  | 'throttled'
  | 'tooLarge'
  | 'forbiddenHost'
  | 'unauthorized'
  | 'notAuthorized'
  | 'explicitDeny'
  | 'authorizerError'
  | 'missingSignature'
  | 'badSignature'
  | 'unknownAccessKey'
  | 'apiKey';
const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/**
 * API Gateway's own answers, per API kind: status, message, and the x-amzn-ErrorType REST adds. A function error
 * and a malformed response are 502 "Internal server error" from a REST API, 500 "Internal Server Error" from an
 * HTTP API, 502 from a Function URL. The integration timeout (29 s REST, 30 s HTTP API, or the function's own
 * timeout when shorter) is 504 for all.
 */
// Authorization (runner/gateway/auth/): a missing or rejected identity is 401 "Unauthorized"; a policy that does not
// allow the call is 403, REST's body spelled {"Message": ...}; an authorizer that fails or answers something else is
// 500, REST's {"message": null} (AuthorizerConfigurationException); AWS_IAM without a signature is 403 "Missing
// Authentication Token"; a route that needs an API key answers 403 "Forbidden" without a valid one.
const ERRORS: Record<GatewayError, Record<Kind, { status: number; message: string | null; type?: string; key?: 'Message' }>> = {
  noRoute: {
    rest: { status: 403, message: 'Missing Authentication Token', type: 'MissingAuthenticationTokenException' },
    http: { status: 404, message: 'Not Found' },
    url: { status: 404, message: 'Not Found' },
  },
  functionError: {
    rest: { status: 502, message: 'Internal server error', type: 'InternalServerErrorException' },
    http: { status: 500, message: 'Internal Server Error' },
    url: { status: 502, message: 'Internal Server Error' },
  },
  malformed: {
    rest: { status: 502, message: 'Internal server error', type: 'InternalServerErrorException' },
    http: { status: 500, message: 'Internal Server Error' },
    url: { status: 502, message: 'Internal Server Error' },
  },
  timeout: {
    rest: { status: 504, message: 'Endpoint request timed out', type: 'IntegrationTimeout' },
    http: { status: 504, message: 'Endpoint request timed out' },
    url: { status: 504, message: 'Endpoint request timed out' },
  },
  throttled: {
    rest: { status: 429, message: 'Too Many Requests', type: 'ThrottlingException' },
    http: { status: 429, message: 'Too Many Requests' },
    url: { status: 429, message: 'Too Many Requests' },
  },
  tooLarge: {
    rest: { status: 413, message: 'Request Too Long', type: 'RequestTooLargeException' },
    http: { status: 413, message: 'Request Entity Too Large' },
    url: { status: 413, message: 'Request Entity Too Large' },
  },
  forbiddenHost: {
    rest: { status: 403, message: 'Forbidden', type: 'AccessDeniedException' },
    http: { status: 403, message: 'Forbidden' },
    url: { status: 403, message: 'Forbidden' },
  },
  unauthorized: {
    rest: { status: 401, message: 'Unauthorized', type: 'UnauthorizedException' },
    http: { status: 401, message: 'Unauthorized' },
    url: { status: 401, message: 'Unauthorized' },
  },
  notAuthorized: {
    rest: { status: 403, message: 'User is not authorized to access this resource', type: 'AccessDeniedException', key: 'Message' },
    http: { status: 403, message: 'Forbidden' },
    url: { status: 403, message: 'Forbidden' },
  },
  explicitDeny: {
    rest: { status: 403, message: 'User is not authorized to access this resource with an explicit deny', type: 'AccessDeniedException', key: 'Message' },
    http: { status: 403, message: 'Forbidden' },
    url: { status: 403, message: 'Forbidden' },
  },
  authorizerError: {
    rest: { status: 500, message: null, type: 'AuthorizerConfigurationException' },
    http: { status: 500, message: 'Internal Server Error' },
    url: { status: 500, message: 'Internal Server Error' },
  },
  missingSignature: {
    rest: { status: 403, message: 'Missing Authentication Token', type: 'MissingAuthenticationTokenException' },
    http: { status: 403, message: 'Forbidden' },
    url: { status: 403, message: 'Forbidden' },
  },
  badSignature: {
    rest: { status: 403, message: SIGNATURE_MISMATCH, type: 'InvalidSignatureException' },
    http: { status: 403, message: SIGNATURE_MISMATCH },
    url: { status: 403, message: SIGNATURE_MISMATCH },
  },
  unknownAccessKey: {
    rest: { status: 403, message: 'The security token included in the request is invalid.', type: 'UnrecognizedClientException' },
    http: { status: 403, message: 'The security token included in the request is invalid.' },
    url: { status: 403, message: 'The security token included in the request is invalid.' },
  },
  apiKey: {
    rest: { status: 403, message: 'Forbidden', type: 'ForbiddenException' },
    http: { status: 403, message: 'Forbidden' },
    url: { status: 403, message: 'Forbidden' },
  },
};

export function gatewayError(error: GatewayError, kind: Kind, problem: string): GatewayAnswer {
  const { status, message, type, key = 'message' } = ERRORS[error][kind];
  const headers: [string, string][] = [['content-type', 'application/json']];
  if (type) headers.push(['x-amzn-ErrorType', type]);
  return { status, headers, body: Buffer.from(JSON.stringify({ [key]: message })), problem };
}

/** The HTTP answer to a settled invocation. `accept` is the request's Accept header (REST binary responses). */
export function answerOf(outcome: Outcome, event: HttpEvent, functionName: string, accept: string | undefined): GatewayAnswer {
  if (!outcome.ok) {
    if (outcome.errorType === 'Sandbox.Timedout')
      return gatewayError('timeout', event.kind, `${functionName} timed out (${outcome.errorType}); raise its Timeout if the work needs longer.`);
    return gatewayError(
      'functionError',
      event.kind,
      `${functionName} failed with ${outcome.errorType}: ${errorMessageOf(outcome.body)} (its log has the details).`,
    );
  }
  const malformed = (why: string) => gatewayError('malformed', event.kind, `${functionName} returned a response API Gateway can't send: ${why}`);
  try {
    if (outcome.streamed && outcome.contentType === HTTP_INTEGRATION) return streamedAnswer(outcome.body, malformed);
    let value: unknown;
    try {
      value = JSON.parse(outcome.body.toString('utf8'));
    } catch {
      return malformed('it is not JSON.');
    }
    return event.payloadVersion === '1.0' ? answerV1(value, event, accept, malformed) : answerV2(value, outcome.body, malformed);
  } catch (error) {
    return malformed(`${(error as Error).message}.`);
  }
}

/** Payload 1.0: { statusCode, headers, multiValueHeaders, body, isBase64Encoded }; statusCode is required. */
function answerV1(value: unknown, event: HttpEvent, accept: string | undefined, malformed: (why: string) => GatewayAnswer): GatewayAnswer {
  if (!isRecord(value) || !validStatus(value.statusCode)) {
    return malformed('payload format 1.0 needs an object with a statusCode, such as { "statusCode": 200, "body": "hello" }.');
  }
  if (value.body !== undefined && value.body !== null && typeof value.body !== 'string') {
    return malformed('body must be a string (JSON.stringify an object first).');
  }
  const headers: [string, string][] = [];
  for (const [name, v] of Object.entries(isRecord(value.headers) ? value.headers : {})) pushHeader(headers, name, v);
  for (const [name, list] of Object.entries(isRecord(value.multiValueHeaders) ? value.multiValueHeaders : {})) {
    if (Array.isArray(list)) for (const v of list) pushHeader(headers, name, v);
  }
  const text = typeof value.body === 'string' ? value.body : '';
  // REST decodes base64 only for binary media types (by the response's Content-Type or the request's Accept);
  // an HTTP API with payload 1.0 always does.
  const contentType = headers.find(([n]) => n.toLowerCase() === 'content-type')?.[1];
  const decode =
    value.isBase64Encoded === true &&
    (event.kind !== 'rest' || matchesMediaType(contentType, event.binaryMediaTypes) || matchesMediaType(accept, event.binaryMediaTypes));
  return { status: Number(value.statusCode), headers, body: Buffer.from(text, decode ? 'base64' : 'utf8') };
}

/**
 * Payload 2.0: an object with a statusCode is a full response ({ statusCode, headers, cookies, body,
 * isBase64Encoded }); anything else (a string, an object without statusCode) is the "simple" response: 200,
 * application/json, the value as the body (a string as it is, anything else as its JSON).
 */
function answerV2(value: unknown, raw: Buffer, malformed: (why: string) => GatewayAnswer): GatewayAnswer {
  if (!isRecord(value) || value.statusCode === undefined) {
    return { status: 200, headers: [['content-type', 'application/json']], body: typeof value === 'string' ? Buffer.from(value) : raw };
  }
  if (!validStatus(value.statusCode)) return malformed(`statusCode ${JSON.stringify(value.statusCode)} is not an HTTP status (100 to 599).`);
  if (value.body !== undefined && value.body !== null && typeof value.body !== 'string') {
    return malformed('body must be a string (JSON.stringify an object first).');
  }
  const headers: [string, string][] = [];
  for (const [name, v] of Object.entries(isRecord(value.headers) ? value.headers : {})) pushHeader(headers, name, v);
  if (Array.isArray(value.cookies)) for (const cookie of value.cookies) pushHeader(headers, 'set-cookie', cookie);
  const text = typeof value.body === 'string' ? value.body : '';
  return { status: Number(value.statusCode), headers, body: Buffer.from(text, value.isBase64Encoded === true ? 'base64' : 'utf8') };
}

/** A streamed response (awslambda.HttpResponseStream): JSON prelude, 8 NUL bytes, then the body as it is. */
function streamedAnswer(body: Buffer, malformed: (why: string) => GatewayAnswer): GatewayAnswer {
  const split = body.indexOf(PRELUDE_SEPARATOR);
  if (split < 0) return malformed('a streamed HTTP response without its prelude.');
  return { ...preludeOf(body.subarray(0, split)), body: body.subarray(split + PRELUDE_SEPARATOR.length) };
}

/**
 * The status and headers a streamed response's JSON prelude ({ statusCode, headers, cookies }) gives: 200 when it
 * has no valid statusCode. Throws (a reason) when it is not JSON or a header can't be sent.
 */
export function preludeOf(prelude: Buffer): { status: number; headers: [string, string][] } {
  const value: unknown = JSON.parse(prelude.toString('utf8'));
  const record = isRecord(value) ? value : {};
  const headers: [string, string][] = [];
  for (const [name, v] of Object.entries(isRecord(record.headers) ? record.headers : {})) pushHeader(headers, name, v);
  if (Array.isArray(record.cookies)) for (const cookie of record.cookies) pushHeader(headers, 'set-cookie', cookie);
  return { status: validStatus(record.statusCode) ? Number(record.statusCode) : 200, headers };
}

/** Headers the gateway sets itself: a function's own would contradict the body actually sent. */
const OWN_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive']);

export function pushHeader(headers: [string, string][], name: string, value: unknown): void {
  if (OWN_HEADERS.has(name.toLowerCase()) || value === null || value === undefined) return;
  const text = typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
  if (text === undefined) throw new Error(`header "${name}" has a value that is not a string, number or boolean`);
  validateHeaderName(name);
  validateHeaderValue(name, text);
  headers.push([name, text]);
}

/** A function error's errorMessage, on one line; the body as it is when it is not Lambda's error shape. */
export function errorMessageOf(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const message = (JSON.parse(text) as { errorMessage?: unknown }).errorMessage;
    if (typeof message === 'string') return message.replace(/\s+/g, ' ').slice(0, 300);
  } catch {
    // not JSON: below
  }
  return text.replace(/\s+/g, ' ').slice(0, 300);
}

export function validStatus(value: unknown): boolean {
  const n = typeof value === 'string' && /^\d{3}$/.test(value) ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 100 && n <= 599;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

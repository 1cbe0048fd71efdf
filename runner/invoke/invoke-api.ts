// The Lambda Invoke API, as the AWS CLI, the SDKs and `sam local start-lambda` callers use it:
//   POST /2015-03-31/functions/{name}/invocations
//   POST /2021-11-15/functions/{name}/response-streaming-invocations  (event-stream framing)
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EventStreamCodec } from '@smithy/core/event-streams';
import { AwsError, awsErrorReply, BodyTooLargeError, decodeSegment, headerValue, readBody, sendAwsError } from '../http-util.ts';
import { plainReply, type PlainRoute } from '../plain-requests.ts';
import {
  FunctionNotFoundError,
  InvalidParameterValueError,
  RunnerClosingError,
  TooManyRequestsError,
  type InvokeOptions,
  type LocalLambda,
} from '../local-lambda.ts';
import { EventQueueFullError } from './event-queue.ts';
import type { Completion, Invocation, Outcome } from '../environments/invocation.ts';
import { tenantProblem, type FunctionSpec } from '../functions/model.ts';
import { lambdaArn } from '../functions/arns.ts';
import { resolveQualifier } from './control-plane.ts';
import { durableOf, type DurableExecutions } from '../durable/orchestrator.ts';

export const MAX_SYNC_PAYLOAD = 6_291_456;
export const MAX_ASYNC_PAYLOAD = 1_048_576;
const MAX_CLIENT_CONTEXT = 3_583;
const LOG_TAIL_BYTES = 4096;

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;
const STREAM = /^\/2021-11-15\/functions\/([^/]+)\/response-streaming-invocations$/;

/** The event-stream encoder loads with the first streaming invocation. */
let codec: EventStreamCodec | undefined;
async function loadCodec(): Promise<EventStreamCodec> {
  if (!codec) {
    const [{ EventStreamCodec: Codec }, { fromUtf8, toUtf8 }] = await Promise.all([import('@smithy/core/event-streams'), import('@smithy/util-utf8')]);
    codec = new Codec(toUtf8, fromUtf8);
  }
  return codec;
}

/** Answers the request if it is an Invoke API call; returns false otherwise. */
export function handleInvokeApi(lambda: LocalLambda, req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): boolean {
  const buffered = INVOKE.exec(path);
  const streaming = buffered ? null : STREAM.exec(path);
  const match = buffered ?? streaming;
  if (!match) return false;
  if (req.method !== 'POST') {
    req.resume();
    sendAwsError(res, 405, 'MethodNotAllowedException', `Use POST for ${path}.`);
    return true;
  }
  let target: { name: string; qualifier: string | undefined };
  try {
    target = functionTarget(decodeSegment(match[1]!, 'function name'));
  } catch (err) {
    req.resume();
    const { status, type, message } = err as AwsError;
    sendAwsError(res, status, type, message);
    return true;
  }
  const qualifier = query.get('Qualifier') ?? target.qualifier;
  void invoke(lambda, req, res, target.name, qualifier, streaming !== null).catch((err) => {
    if (!res.headersSent) sendAwsError(res, 500, 'ServiceException', `The runner failed: ${(err as Error).message}`);
    else res.destroy();
  });
  return true;
}

/** Accepts a name, a partial ARN or a full ARN, each with or without a `:qualifier` (version or alias). */
function functionTarget(nameOrArn: string): { name: string; qualifier: string | undefined } {
  const match = /^(?:(?:arn:aws[\w-]*:lambda:[\w-]+:)?\d{12}:function:)?([A-Za-z0-9_\-.]+)(?::(\$LATEST|[A-Za-z0-9_-]+))?$/.exec(nameOrArn);
  return match ? { name: match[1]!, qualifier: match[2] } : { name: nameOrArn, qualifier: undefined };
}

async function invoke(
  lambda: LocalLambda,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  qualifier: string | undefined,
  streaming: boolean,
): Promise<void> {
  const type = headerValue(req, 'x-amz-invocation-type') ?? 'RequestResponse';
  const tail = headerValue(req, 'x-amz-log-type') === 'Tail';
  if (!['RequestResponse', 'Event', 'DryRun'].includes(type) || (streaming && type === 'Event')) {
    req.resume();
    return sendAwsError(
      res,
      400,
      'InvalidParameterValueException',
      `Unsupported X-Amz-Invocation-Type "${type}": use RequestResponse, Event or DryRun${streaming ? ' (streaming takes RequestResponse or DryRun)' : ''}.`,
    );
  }
  // A published version or an alias of a function deployed to the local control plane runs its own code.
  let version: { fn: FunctionSpec; label: string } | undefined;
  if (qualifier && qualifier !== '$LATEST') {
    const fn = resolveQualifier(lambda, name, qualifier);
    if (!fn) {
      req.resume();
      return sendAwsError(res, 404, 'ResourceNotFoundException', `Function not found: ${lambdaArn(name, qualifier)}`);
    }
    version = { fn, label: fn.version };
  }
  const target = version?.fn ?? lambda.getFunction(name);
  if (!target) {
    req.resume();
    return sendAwsError(res, 404, 'ResourceNotFoundException', `Function not found: ${lambdaArn(name)}`);
  }
  const caller = { tenantId: headerValue(req, 'x-amz-tenant-id'), traceHeader: headerValue(req, 'x-amzn-trace-id') };
  const tenantRefusal = tenantProblem(target, caller.tenantId);
  if (tenantRefusal) {
    req.resume();
    return sendAwsError(res, 400, 'InvalidParameterValueException', tenantRefusal);
  }
  const limit = type === 'Event' ? MAX_ASYNC_PAYLOAD : MAX_SYNC_PAYLOAD;
  let payload: Buffer;
  try {
    payload = await readBody(req, limit);
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    return sendAwsError(
      res,
      413,
      'RequestTooLargeException',
      `Request must be smaller than ${limit} bytes for the ${type === 'Event' ? 'InvokeAsync' : 'InvokeFunction'} operation`,
    );
  }
  if (payload.length === 0) payload = Buffer.from('{}');
  const jsonProblem = checkJson(payload);
  if (jsonProblem) return sendAwsError(res, 400, 'InvalidRequestContentException', `Could not parse request body into json: ${jsonProblem}`);

  let clientContext: string | undefined;
  const rawContext = headerValue(req, 'x-amz-client-context');
  if (rawContext) {
    const decoded = Buffer.from(rawContext, 'base64').toString('utf8');
    if (decoded.length > MAX_CLIENT_CONTEXT)
      return sendAwsError(res, 400, 'InvalidRequestContentException', `Client context must be at most ${MAX_CLIENT_CONTEXT} bytes once decoded.`);
    if (checkJson(Buffer.from(decoded))) return sendAwsError(res, 400, 'InvalidRequestContentException', 'X-Amz-Client-Context must be base64-encoded JSON.');
    clientContext = decoded;
  }

  if (type === 'DryRun') {
    res.writeHead(204, { 'X-Amz-Executed-Version': '$LATEST', 'X-Amzn-RequestId': crypto.randomUUID() });
    return void res.end();
  }

  // A function with a DurableConfig runs as a durable execution (runner/durable/), where the runner has them.
  const durable = version ? undefined : durableOf(lambda);
  const durableFn = lambda.getFunction(name);
  if (durable && durableFn?.durable) return invokeDurable(durable, durableFn, req, res, payload, type);

  // An asynchronous event is kept (on disk, in start and serve) before its 202: it survives the runner stopping.
  const queue = lambda.eventQueue;
  if (type === 'Event' && queue && !version) {
    try {
      const requestId = await queue.enqueue(target, payload, clientContext, caller);
      res.writeHead(202, { 'X-Amzn-RequestId': requestId, 'Content-Length': 0 });
      return void res.end();
    } catch (err) {
      if (err instanceof EventQueueFullError) return sendAwsError(res, 429, 'TooManyRequestsException', err.message, { Reason: 'EventQueueFull' });
      if (err instanceof RunnerClosingError) return sendAwsError(res, 503, 'ServiceException', err.message);
      throw err;
    }
  }

  if (streaming) await loadCodec();
  const started = startInvocation(lambda, res, name, payload, { clientContext, ...caller }, type === 'Event', streaming, version?.fn);
  if (!started) return;
  const { inv, stream } = started;
  if (type === 'Event') {
    res.writeHead(202, { 'X-Amzn-RequestId': inv.requestId, 'Content-Length': 0 });
    return void res.end();
  }
  if (stream) return stream.finish(await inv.completed, tail);
  const answer = (outcome: Outcome, logs?: string[]) => {
    const headers: Record<string, string | number> = {
      'Content-Type': outcome.ok ? outcome.contentType : 'application/json',
      'X-Amz-Executed-Version': executedVersion(version?.fn),
      'X-Amzn-RequestId': inv.requestId,
      'Content-Length': outcome.body.length,
    };
    if (!outcome.ok) headers['X-Amz-Function-Error'] = 'Unhandled';
    if (logs) headers['X-Amz-Log-Result'] = logTail(logs);
    res.writeHead(200, headers);
    res.end(outcome.body);
  };
  if (tail) {
    const { outcome, logs } = await inv.completed;
    return answer(outcome, logs);
  }
  inv.whenSettled((outcome) => answer(outcome));
}

/**
 * Invoke of a durable function: starts an execution (or finds the one of the same X-Amz-Durable-Execution-Name and
 * input). Event answers 202 at once; RequestResponse waits for the execution's end and answers its result or error
 * (Lambda's callers stop waiting after 15 minutes, as for any synchronous invocation).
 */
async function invokeDurable(
  durable: DurableExecutions,
  fn: FunctionSpec,
  req: IncomingMessage,
  res: ServerResponse,
  payload: Buffer,
  type: string,
): Promise<void> {
  let exec;
  try {
    exec = durable.start(fn, payload.toString('utf8'), headerValue(req, 'x-amz-durable-execution-name'));
  } catch (err) {
    if (err instanceof AwsError) return sendAwsError(res, err.status, err.type, err.message);
    throw err;
  }
  const headers = { 'X-Amz-Durable-Execution-Arn': exec.record.arn, 'X-Amzn-RequestId': crypto.randomUUID(), 'X-Amz-Executed-Version': fn.version };
  if (type === 'Event') {
    res.writeHead(202, { ...headers, 'Content-Length': 0 });
    return void res.end();
  }
  await durable.whenDone(exec);
  const { status, result, error } = exec.record;
  if (status === 'SUCCEEDED') {
    const body = Buffer.from(result ?? '');
    res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Content-Length': body.length });
    return void res.end(body);
  }
  const body = Buffer.from(
    JSON.stringify({
      errorType: error?.ErrorType ?? `Execution.${status}`,
      errorMessage: error?.ErrorMessage ?? `The durable execution ended ${status}.`,
      ...(error?.StackTrace ? { stackTrace: error.StackTrace } : {}),
    }),
  );
  res.writeHead(200, { ...headers, 'Content-Type': 'application/json', 'Content-Length': body.length, 'X-Amz-Function-Error': 'Unhandled' });
  res.end(body);
}

function startInvocation(
  lambda: LocalLambda,
  res: ServerResponse,
  name: string,
  payload: Buffer,
  caller: Pick<InvokeOptions, 'clientContext' | 'tenantId' | 'traceHeader'>,
  queue: boolean,
  streaming: boolean,
  version: FunctionSpec | undefined,
) {
  const stream = streaming ? new EventStreamResponse(res, executedVersion(version)) : undefined;
  try {
    const inv = lambda.invoke(name, payload, { ...caller, queue, streamListener: stream, version });
    return { inv, stream };
  } catch (err) {
    const refusal = invokeRefusal(err, name);
    sendAwsError(res, refusal.status, refusal.type, refusal.message, refusal.extra);
    return undefined;
  }
}

/** The Invoke API's answer to an invocation LocalLambda.invoke refused (it rethrows anything else). */
function invokeRefusal(err: unknown, name: string): AwsError & { extra?: Record<string, unknown> } {
  if (err instanceof TooManyRequestsError)
    return Object.assign(new AwsError(429, 'TooManyRequestsException', err.message), {
      extra: { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
    });
  if (err instanceof FunctionNotFoundError) return new AwsError(404, 'ResourceNotFoundException', `Function not found: ${lambdaArn(name)}`);
  if (err instanceof RunnerClosingError) return new AwsError(503, 'ServiceException', err.message);
  if (err instanceof InvalidParameterValueError) return new AwsError(400, 'InvalidParameterValueException', err.message);
  throw err;
}

/**
 * The Invoke API for a plain keep-alive request (plain-requests.ts): a synchronous invoke of $LATEST without a log
 * tail, client context or qualifier, whose payload is JSON. Anything else is left to handleInvokeApi (node:http),
 * which this answers exactly as: the same headers in the same order, the same errors.
 */
export function plainInvokeApi(lambda: LocalLambda): PlainRoute {
  return (head, target, body, answer) => {
    if (head.method !== 'POST' || target.includes('?')) return false;
    const match = INVOKE.exec(head.path);
    if (!match) return false;
    const headers = head.headers;
    const type = headers.get('x-amz-invocation-type');
    if ((type !== undefined && type !== 'RequestResponse') || headers.get('x-amz-log-type') === 'Tail' || headers.has('x-amz-client-context')) return false;
    let address: { name: string; qualifier: string | undefined };
    try {
      address = functionTarget(decodeURIComponent(match[1]!));
    } catch {
      return false;
    }
    const { name, qualifier } = address;
    if (qualifier !== undefined || body.length > MAX_SYNC_PAYLOAD) return false;
    const fn = lambda.getFunction(name);
    if (!fn || (fn.durable && durableOf(lambda))) return false;
    const payload = body.length === 0 ? Buffer.from('{}') : body;
    if (checkJson(payload)) return false;
    let inv: Invocation;
    try {
      inv = lambda.invoke(name, payload, { tenantId: headers.get('x-amz-tenant-id'), traceHeader: headers.get('x-amzn-trace-id'), queue: false });
    } catch (err) {
      const refusal = invokeRefusal(err, name);
      answer(awsErrorReply(refusal.status, refusal.type, refusal.message, refusal.extra));
      return true;
    }
    const reply = (outcome: Outcome) => {
      let text = `HTTP/1.1 200 OK\r\nContent-Type: ${outcome.ok ? outcome.contentType : 'application/json'}\r\nX-Amz-Executed-Version: ${executedVersion(undefined)}\r\nX-Amzn-RequestId: ${inv.requestId}\r\nContent-Length: ${outcome.body.length}\r\n`;
      if (!outcome.ok) text += 'X-Amz-Function-Error: Unhandled\r\n';
      answer(plainReply(text, outcome.body));
    };
    inv.whenSettled(reply);
    return true;
  };
}

/**
 * InvokeWithResponseStream's answer: `PayloadChunk` events as the function writes, then `InvokeComplete`.
 * The HTTP Content-Type is the function's own stream content type (the SDK's ResponseStreamContentType).
 */
class EventStreamResponse {
  private readonly res: ServerResponse;
  private readonly version: string;
  private started = false;
  constructor(res: ServerResponse, version: string) {
    this.res = res;
    this.version = version;
  }

  start(contentType: string): void {
    if (this.started) return;
    this.started = true;
    this.res.writeHead(200, { 'Content-Type': contentType, 'X-Amz-Executed-Version': this.version, 'Transfer-Encoding': 'chunked' });
    this.res.flushHeaders();
  }

  chunk(data: Buffer): void {
    this.res.write(this.encode('PayloadChunk', 'application/octet-stream', data));
  }

  finish({ outcome, logs }: Completion, tail: boolean): void {
    if (!outcome.streamed) {
      // A buffered response (or an error before any stream started) arrives as one chunk.
      this.start(outcome.ok ? outcome.contentType : 'application/json');
      if (outcome.ok) this.chunk(outcome.body);
    }
    const complete: Record<string, string> = {};
    if (!outcome.ok) {
      complete.ErrorCode = outcome.errorType;
      complete.ErrorDetails = errorDetails(outcome);
    }
    if (tail) complete.LogResult = logTail(logs);
    this.res.end(this.encode('InvokeComplete', 'application/json', Buffer.from(JSON.stringify(complete))));
  }

  private encode(eventType: string, contentType: string, body: Buffer): Uint8Array {
    return codec!.encode({
      headers: {
        ':message-type': { type: 'string', value: 'event' },
        ':event-type': { type: 'string', value: eventType },
        ':content-type': { type: 'string', value: contentType },
      },
      body,
    });
  }
}

function errorDetails(outcome: Extract<Outcome, { ok: false }>): string {
  try {
    const parsed = JSON.parse(outcome.body.toString('utf8')) as { errorMessage?: string };
    return parsed.errorMessage ?? outcome.body.toString('utf8');
  } catch {
    return outcome.body.toString('utf8');
  }
}

export function logTail(lines: string[]): string {
  const text = Buffer.from(lines.join('\n') + '\n');
  return text.subarray(Math.max(0, text.length - LOG_TAIL_BYTES)).toString('base64');
}

/** Returns why the payload is not JSON, or undefined when it is. */
function checkJson(payload: Buffer): string | undefined {
  try {
    JSON.parse(payload.toString('utf8'));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

function executedVersion(fn: FunctionSpec | undefined): string {
  return fn?.version ?? '$LATEST';
}

// The durable execution API on the runner's main port, as @aws-sdk/client-lambda (the durable SDK's transport) and
// the AWS CLI call it. One line per route:
//   POST /2025-12-01/durable-executions/{arn}/checkpoint          CheckpointDurableExecution    (the function's SDK)
//   GET  /2025-12-01/durable-executions/{arn}/state               GetDurableExecutionState      (the function's SDK)
//   GET  /2025-12-01/durable-executions/{arn}                     GetDurableExecution
//   GET  /2025-12-01/durable-executions/{arn}/history             GetDurableExecutionHistory
//   POST /2025-12-01/durable-executions/{arn}/stop                StopDurableExecution
//   GET  /2025-12-01/functions/{name}/durable-executions          ListDurableExecutionsByFunction
//   POST /2025-12-01/durable-execution-callbacks/{id}/succeed     SendDurableExecutionCallbackSuccess (raw result body)
//   POST /2025-12-01/durable-execution-callbacks/{id}/fail        SendDurableExecutionCallbackFailure (ErrorObject body)
//   POST /2025-12-01/durable-execution-callbacks/{id}/heartbeat   SendDurableExecutionCallbackHeartbeat
import type { IncomingMessage, ServerResponse } from 'node:http';
import { AwsError, BodyTooLargeError, decodeSegment, readBody, sendAwsError, sendJson } from '../http-util.ts';
import type { LocalLambda } from '../local-lambda.ts';
import { functionArn } from '../functions/arns.ts';
import type { DurableExecution, ErrorObject } from './execution.ts';
import { describeExecution, type DurableExecutions } from './orchestrator.ts';
import { executionIdOf, readCheckpointToken, withWireTimes } from './wire.ts';

/** Lambda's limits: a checkpoint request, a callback's result. */
const MAX_CHECKPOINT_BYTES = 6_291_456;
const MAX_CALLBACK_BYTES = 262_144;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;

type Handler = (at: At) => Promise<void> | void;
interface At {
  req: IncomingMessage;
  res: ServerResponse;
  query: URLSearchParams;
  durable: DurableExecutions;
  lambda: LocalLambda;
  target: string;
}

const ROUTES: Array<[string, RegExp, Handler]> = [
  ['POST', /^\/2025-12-01\/durable-executions\/([^/]+)\/checkpoint$/, checkpoint],
  ['GET', /^\/2025-12-01\/durable-executions\/([^/]+)\/state$/, getState],
  ['GET', /^\/2025-12-01\/durable-executions\/([^/]+)\/history$/, getHistory],
  ['POST', /^\/2025-12-01\/durable-executions\/([^/]+)\/stop$/, stop],
  ['GET', /^\/2025-12-01\/durable-executions\/([^/]+)$/, getExecution],
  ['GET', /^\/2025-12-01\/functions\/([^/]+)\/durable-executions$/, listByFunction],
  ['POST', /^\/2025-12-01\/durable-execution-callbacks\/([^/]+)\/succeed$/, (at) => completeCallback(at, 'SUCCEEDED')],
  ['POST', /^\/2025-12-01\/durable-execution-callbacks\/([^/]+)\/fail$/, (at) => completeCallback(at, 'FAILED')],
  ['POST', /^\/2025-12-01\/durable-execution-callbacks\/([^/]+)\/heartbeat$/, heartbeat],
];

/** Answers the request if it is a durable execution API call; returns false otherwise. */
export function handleDurableApi(
  lambda: LocalLambda,
  durable: DurableExecutions | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
): boolean {
  if (!path.startsWith('/2025-12-01/')) return false;
  const route = ROUTES.find(([, pattern]) => pattern.test(path));
  if (!route) return false;
  const fail = (err: unknown) => {
    req.resume();
    if (res.headersSent) return void res.destroy();
    if (err instanceof AwsError) return sendAwsError(res, err.status, err.type, err.message);
    if (err instanceof BodyTooLargeError)
      return sendAwsError(res, 413, 'RequestTooLargeException', `The request is larger than the operation takes (${err.received} bytes).`);
    sendAwsError(res, 500, 'ServiceException', `The runner failed: ${(err as Error).message}`);
  };
  const [method, pattern, handler] = route;
  if (req.method !== method) {
    fail(new AwsError(405, 'MethodNotAllowedException', `Use ${method} for ${path}.`));
    return true;
  }
  if (!durable) {
    fail(
      new AwsError(
        503,
        'ServiceException',
        'This runner runs no durable executions (it is not started with a workspace: use open-runtime start or the editor).',
      ),
    );
    return true;
  }
  try {
    const target = decodeSegment(pattern.exec(path)![1]!, 'resource name');
    void Promise.resolve(handler({ req, res, query, durable, lambda, target })).catch(fail);
  } catch (err) {
    fail(err);
  }
  return true;
}

function executionOf(at: At): DurableExecution {
  const id = executionIdOf(at.target);
  const exec = id ? at.durable.get(id) : undefined;
  if (!exec || exec.record.arn !== at.target) throw new AwsError(404, 'ResourceNotFoundException', `Durable execution not found: ${at.target}`);
  return exec;
}

async function readJson(req: IncomingMessage, limit: number): Promise<Record<string, unknown>> {
  const body = await readBody(req, limit);
  if (body.length === 0) return {};
  try {
    const value = JSON.parse(body.toString('utf8')) as unknown;
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new AwsError(400, 'InvalidRequestContentException', 'The request body must be a JSON object.');
}

/** The invocation a checkpoint token names, checked against the execution in the path. */
function invocationOf(exec: DurableExecution, token: unknown): string {
  const read = typeof token === 'string' ? readCheckpointToken(token) : undefined;
  if (!read || read.executionId !== exec.record.id)
    throw new AwsError(
      400,
      'InvalidParameterValueException',
      'Invalid checkpoint token: pass the CheckpointToken of the invocation event or of the last checkpoint answer.',
    );
  return read.invocationId;
}

async function checkpoint(at: At): Promise<void> {
  const exec = executionOf(at);
  const body = await readJson(at.req, MAX_CHECKPOINT_BYTES);
  sendJson(at.res, 200, at.durable.checkpoint(exec, invocationOf(exec, body.CheckpointToken), body.Updates));
}

/** Pages of a list: Marker is the index to start at, as text. */
function page<T>(query: URLSearchParams, items: T[]): { items: T[]; next: string | undefined } {
  const start = Number(query.get('Marker') ?? 0);
  if (!Number.isInteger(start) || start < 0) throw new AwsError(400, 'InvalidParameterValueException', 'Marker is not one this runner gave out.');
  const max = query.get('MaxItems') ? Number(query.get('MaxItems')) : DEFAULT_PAGE;
  if (!Number.isInteger(max) || max < 0 || max > MAX_PAGE) throw new AwsError(400, 'InvalidParameterValueException', `MaxItems must be from 0 to ${MAX_PAGE}.`);
  const size = max === 0 ? DEFAULT_PAGE : max;
  const end = start + size;
  return { items: items.slice(start, end), next: end < items.length ? String(end) : undefined };
}

function getState(at: At): void {
  const exec = executionOf(at);
  at.durable.checkInvocation(exec, invocationOf(exec, at.query.get('CheckpointToken')));
  const { items, next } = page(at.query, exec.state());
  sendJson(at.res, 200, { Operations: items.map((op) => withWireTimes(op)), ...(next ? { NextMarker: next } : {}) });
}

function getExecution(at: At): void {
  const exec = executionOf(at);
  const fn = at.lambda.getFunction(exec.record.function);
  sendJson(at.res, 200, {
    ...describeExecution(exec.record, at.query.get('IncludeExecutionData') !== 'false'),
    Version: fn?.version ?? '$LATEST',
    DurableConfig: { ExecutionTimeout: exec.record.executionTimeout, RetentionPeriodInDays: exec.record.retentionPeriodInDays },
  });
}

function getHistory(at: At): void {
  const exec = executionOf(at);
  const withData = at.query.get('IncludeExecutionData') !== 'false';
  let events = exec.record.events.map((e) => withWireTimes(e));
  if (!withData) events = events.map(withoutPayloads);
  if (at.query.get('ReverseOrder') === 'true') events.reverse();
  const { items, next } = page(at.query, events);
  sendJson(at.res, 200, { Events: items, ...(next ? { NextMarker: next } : {}) });
}

/** An event without its inputs, results and errors' payloads (IncludeExecutionData=false). */
function withoutPayloads<T>(event: T): T {
  return JSON.parse(JSON.stringify(event, (key, value: unknown) => (key === 'Payload' ? undefined : value))) as T;
}

async function stop(at: At): Promise<void> {
  const exec = executionOf(at);
  const body = await readJson(at.req, MAX_CALLBACK_BYTES);
  const stopped = at.durable.stop(exec, Object.keys(body).length ? (body as ErrorObject) : undefined);
  sendJson(at.res, 200, { StopTimestamp: stopped / 1000 });
}

function listByFunction(at: At): void {
  const name = at.target.replace(/^arn:[^:]*:lambda:[^:]*:[^:]*:function:/, '').split(':')[0]!;
  const fn = at.lambda.getFunction(name) ?? at.lambda.listFunctions().find((f) => functionArn(f).endsWith(`:function:${name}`));
  if (!fn) throw new AwsError(404, 'ResourceNotFoundException', `Function not found: ${at.target}`);
  const arn = functionArn(fn);
  const statuses = at.query.getAll('Statuses');
  const name_ = at.query.get('DurableExecutionName');
  const after = at.query.get('StartedAfter') ? Date.parse(at.query.get('StartedAfter')!) : undefined;
  const before = at.query.get('StartedBefore') ? Date.parse(at.query.get('StartedBefore')!) : undefined;
  let found = at.durable
    .list()
    .map((e) => e.record)
    .filter(
      (r) =>
        r.functionArn === arn &&
        (!statuses.length || statuses.includes(r.status)) &&
        (!name_ || r.name === name_) &&
        (after === undefined || r.startTimestamp >= after) &&
        (before === undefined || r.startTimestamp <= before),
    )
    .sort((a, b) => b.startTimestamp - a.startTimestamp);
  if (at.query.get('ReverseOrder') === 'true') found = found.reverse();
  const { items, next } = page(at.query, found);
  sendJson(at.res, 200, { DurableExecutions: items.map((r) => describeExecution(r, false)), ...(next ? { NextMarker: next } : {}) });
}

function callbackOf(at: At): { exec: DurableExecution; operationId: string } {
  return at.durable.callback(at.target);
}

async function completeCallback(at: At, status: 'SUCCEEDED' | 'FAILED'): Promise<void> {
  const { exec, operationId } = callbackOf(at);
  if (status === 'SUCCEEDED') {
    const body = await readBody(at.req, MAX_CALLBACK_BYTES);
    at.durable.completeCallback(exec, operationId, status, { result: body.length ? body.toString('utf8') : undefined });
  } else {
    const error = (await readJson(at.req, MAX_CALLBACK_BYTES)) as ErrorObject;
    at.durable.completeCallback(exec, operationId, status, { error });
  }
  sendJson(at.res, 200, {});
}

function heartbeat(at: At): void {
  const { exec, operationId } = callbackOf(at);
  at.req.resume();
  at.durable.heartbeat(exec, operationId);
  sendJson(at.res, 200, {});
}

// One durable execution's state, as Lambda's durable execution service keeps it: the operations the function has
// checkpointed (steps, waits, callbacks, child contexts, chained invokes), the history of events they produced, and
// what changed since the function last saw them. Pure state: no timers, no processes, no HTTP (orchestrator.ts drives
// it, store.ts writes it down, api.ts serves it). The rules follow the service as the SDK expects it and as its
// testing package's checkpoint server models it:
// - CheckpointDurableExecution applies OperationUpdates (START / SUCCEED / FAIL / RETRY / CANCEL) in order and answers
//   with the operations it changed (NewExecutionState), which is how the SDK learns a callback's CallbackId.
// - A WAIT starts with its ScheduledEndTimestamp; it SUCCEEDS when that time comes (fireDue). A RETRY of a STEP makes
//   it PENDING until NextAttemptTimestamp, then READY. A CALLBACK completes through the callback API or times out.
// - Operations changed outside an invocation are "updated" ids the next invocation is told about (UpdatedOperationIds).
// Times are epoch milliseconds here and epoch seconds on the wire (wire.ts).
import { randomUUID } from 'node:crypto';
import { AwsError } from '../http-util.ts';
import { DURABLE_CALLBACK_TIMED_OUT, DURABLE_EXECUTION_TIMED_OUT } from '../lambda-errors.ts';

export type OperationType = 'EXECUTION' | 'CONTEXT' | 'STEP' | 'WAIT' | 'CALLBACK' | 'CHAINED_INVOKE';
export type OperationStatus = 'STARTED' | 'PENDING' | 'READY' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED' | 'TIMED_OUT' | 'STOPPED';
export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'STOPPED';

export interface ErrorObject {
  ErrorMessage?: string;
  ErrorType?: string;
  ErrorData?: string;
  StackTrace?: string[];
}

export interface Operation {
  Id: string;
  ParentId?: string;
  Name?: string;
  Type: OperationType;
  SubType?: string;
  Status: OperationStatus;
  StartTimestamp: number;
  EndTimestamp?: number;
  ExecutionDetails?: { InputPayload?: string };
  ContextDetails?: { ReplayChildren?: boolean; Result?: string; Error?: ErrorObject };
  StepDetails?: { Attempt?: number; NextAttemptTimestamp?: number; Result?: string; Error?: ErrorObject };
  WaitDetails?: { ScheduledEndTimestamp?: number };
  CallbackDetails?: { CallbackId?: string; Result?: string; Error?: ErrorObject };
  ChainedInvokeDetails?: { Result?: string; Error?: ErrorObject };
}

export interface OperationUpdate {
  Id?: string;
  ParentId?: string;
  Name?: string;
  Type?: string;
  SubType?: string;
  Action?: string;
  Payload?: string;
  Error?: ErrorObject;
  ContextOptions?: { ReplayChildren?: boolean };
  StepOptions?: { NextAttemptDelaySeconds?: number };
  WaitOptions?: { WaitSeconds?: number };
  CallbackOptions?: { TimeoutSeconds?: number; HeartbeatTimeoutSeconds?: number };
  ChainedInvokeOptions?: { FunctionName?: string; TenantId?: string };
}

/** A history event: `EventType` plus one `<EventType>Details` member, as GetDurableExecutionHistory lists them. */
export interface HistoryEvent {
  EventType: string;
  SubType?: string;
  EventId: number;
  Id?: string;
  Name?: string;
  EventTimestamp: number;
  ParentId?: string;
  [details: string]: unknown;
}

/** What the store keeps of an execution: everything needed to carry on after a restart. */
export interface ExecutionRecord {
  v: 1;
  id: string;
  arn: string;
  name: string;
  /** The runner's name of the function (what lambda.invoke takes) and its Lambda ARN. */
  function: string;
  functionArn: string;
  status: ExecutionStatus;
  input: string;
  result?: string;
  error?: ErrorObject;
  startTimestamp: number;
  endTimestamp?: number;
  executionTimeout: number;
  retentionPeriodInDays: number;
  operations: Operation[];
  events: HistoryEvent[];
  /** Operations changed since the function last saw them (the next invocation's UpdatedOperationIds). */
  updated: string[];
  /** Callbacks' heartbeat deadlines and timeouts, epoch ms. */
  callbackDeadlines: Record<string, { timeoutAt?: number; heartbeatAt?: number; heartbeatSeconds?: number }>;
  /** The invocation in flight, if any (its checkpoint token names it). */
  invocation?: { id: string; started: number };
}

const invalid = (message: string) => new AwsError(400, 'InvalidParameterValueException', message);

const ACTIONS: Record<OperationType, readonly string[]> = {
  EXECUTION: ['SUCCEED', 'FAIL'],
  CONTEXT: ['START', 'SUCCEED', 'FAIL'],
  STEP: ['START', 'SUCCEED', 'FAIL', 'RETRY'],
  WAIT: ['START', 'CANCEL'],
  CALLBACK: ['START', 'CANCEL'],
  CHAINED_INVOKE: ['START', 'CANCEL'],
};
const TERMINAL: readonly OperationStatus[] = ['SUCCEEDED', 'FAILED', 'CANCELLED', 'TIMED_OUT', 'STOPPED'];
/** The longest wait, retry delay or callback timeout: an execution lasts at most a (leap) year. */
const MAX_SECONDS = 31_622_400;
/** Lambda's limit on an operation's error payload. */
const MAX_ERROR_BYTES = 32_768;

export function isTerminal(status: OperationStatus): boolean {
  return TERMINAL.includes(status);
}

export class DurableExecution {
  readonly record: ExecutionRecord;
  private readonly byId = new Map<string, Operation>();
  private nextEventId: number;

  constructor(record: ExecutionRecord) {
    this.record = record;
    for (const op of record.operations) this.byId.set(op.Id, op);
    this.nextEventId = (record.events.at(-1)?.EventId ?? 0) + 1;
  }

  /** A new execution: its EXECUTION operation STARTED with the input, and the ExecutionStarted event. */
  static start(params: {
    arn: string;
    id: string;
    name: string;
    function: string;
    functionArn: string;
    input: string;
    executionTimeout: number;
    retentionPeriodInDays: number;
    now: number;
  }): DurableExecution {
    const exec = new DurableExecution({
      v: 1,
      id: params.id,
      arn: params.arn,
      name: params.name,
      function: params.function,
      functionArn: params.functionArn,
      status: 'RUNNING',
      input: params.input,
      startTimestamp: params.now,
      executionTimeout: params.executionTimeout,
      retentionPeriodInDays: params.retentionPeriodInDays,
      operations: [],
      events: [],
      updated: [],
      callbackDeadlines: {},
    });
    const op: Operation = {
      Id: randomUUID(),
      Type: 'EXECUTION',
      Status: 'STARTED',
      StartTimestamp: params.now,
      ExecutionDetails: { InputPayload: params.input },
    };
    exec.add(op);
    exec.event('ExecutionStarted', op, params.now, { Input: { Payload: params.input }, ExecutionTimeout: params.executionTimeout });
    return exec;
  }

  get running(): boolean {
    return this.record.status === 'RUNNING';
  }

  operations(): Operation[] {
    return this.record.operations;
  }

  operation(id: string): Operation | undefined {
    return this.byId.get(id);
  }

  executionOperation(): Operation {
    return this.record.operations.find((op) => op.Type === 'EXECUTION')!;
  }

  /**
   * The operations a replay starts from (the invocation's InitialExecutionState, GetDurableExecutionState): all of
   * them but the children of a finished child context that does not replay its children.
   */
  state(): Operation[] {
    const excluded = new Set<string>();
    const out: Operation[] = [];
    for (const op of this.record.operations) {
      const parent = op.ParentId ? this.byId.get(op.ParentId) : undefined;
      if (
        parent &&
        parent.Type === 'CONTEXT' &&
        (parent.Status === 'SUCCEEDED' || parent.Status === 'FAILED') &&
        (!parent.ContextDetails?.ReplayChildren || excluded.has(parent.Id))
      ) {
        excluded.add(op.Id);
        continue;
      }
      out.push(op);
    }
    return out;
  }

  /** Applies a checkpoint's updates; returns the operations they changed (NewExecutionState.Operations). */
  checkpoint(updates: OperationUpdate[], now: number, newCallbackId: (operationId: string) => string): Operation[] {
    if (!this.running) throw invalid('Invalid checkpoint token: the execution has ended.');
    this.validate(updates);
    const changed = new Map<string, Operation>();
    for (const update of updates) {
      const op = this.apply(update, now, newCallbackId);
      changed.set(op.Id, op);
    }
    return [...changed.values()];
  }

  private validate(updates: OperationUpdate[]): void {
    const seen = new Set<string>();
    let executionUpdates = 0;
    for (const u of updates) {
      if (!u.Id || typeof u.Id !== 'string') throw invalid('Every operation update needs an Id.');
      const type = u.Type as OperationType;
      if (typeof type !== 'string' || !Object.hasOwn(ACTIONS, type))
        throw invalid(`Operation ${u.Id} has Type ${JSON.stringify(u.Type)}; it must be one of ${Object.keys(ACTIONS).join(', ')}.`);
      if (!u.Action || !ACTIONS[type].includes(u.Action))
        throw invalid(`Invalid action ${u.Action} for an operation of type ${type}; it takes ${ACTIONS[type].join(', ')}.`);
      const seconds = (value: unknown, what: string) => {
        if (value !== undefined && (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > MAX_SECONDS)) {
          throw invalid(`${what} of operation ${u.Id} is ${JSON.stringify(value)}; it must be a whole number of seconds from 0 to ${MAX_SECONDS}.`);
        }
      };
      seconds(u.WaitOptions?.WaitSeconds, 'WaitOptions.WaitSeconds');
      seconds(u.StepOptions?.NextAttemptDelaySeconds, 'StepOptions.NextAttemptDelaySeconds');
      seconds(u.CallbackOptions?.TimeoutSeconds, 'CallbackOptions.TimeoutSeconds');
      seconds(u.CallbackOptions?.HeartbeatTimeoutSeconds, 'CallbackOptions.HeartbeatTimeoutSeconds');
      if (u.Error && Buffer.byteLength(JSON.stringify(u.Error)) > MAX_ERROR_BYTES)
        throw invalid(`The error of operation ${u.Id} is larger than ${MAX_ERROR_BYTES} bytes.`);
      if (type === 'EXECUTION') executionUpdates++;
      const existing = this.byId.get(u.Id);
      if (existing && existing.Type !== type) throw invalid(`Operation ${u.Id} is a ${existing.Type}, not a ${type}.`);
      // A step starts again when its retry is due (READY), or after an invocation that died mid-step (STARTED).
      const restartable = type === 'STEP' && (existing?.Status === 'READY' || existing?.Status === 'STARTED');
      if (u.Action === 'START' && existing && !seen.has(u.Id) && !restartable)
        throw invalid(`Operation ${u.Id} has already started (status ${existing.Status}).`);
      if (existing && isTerminal(existing.Status) && type !== 'EXECUTION') throw invalid(`Operation ${u.Id} has already finished (status ${existing.Status}).`);
      if (!existing && !seen.has(u.Id) && u.Action !== 'START' && !(type === 'STEP' || type === 'CONTEXT' || type === 'EXECUTION')) {
        throw invalid(`Operation ${u.Id} has not started, so it cannot ${u.Action}.`);
      }
      if (u.ParentId && !this.byId.has(u.ParentId) && !seen.has(u.ParentId))
        throw invalid(`Operation ${u.Id} names a parent ${u.ParentId} that does not exist.`);
      seen.add(u.Id);
    }
    if (executionUpdates > 1) throw invalid('A checkpoint may finish the execution once.');
  }

  private apply(u: OperationUpdate, now: number, newCallbackId: (operationId: string) => string): Operation {
    const type = u.Type as OperationType;
    if (type === 'EXECUTION') return this.finishByCheckpoint(u, now);
    let op = this.byId.get(u.Id!);
    if (!op) {
      op = { Id: u.Id!, Type: type, Status: 'STARTED', StartTimestamp: now };
      if (u.ParentId) op.ParentId = u.ParentId;
      if (u.Name !== undefined) op.Name = u.Name;
      if (u.SubType !== undefined) op.SubType = u.SubType;
      this.add(op);
    }
    switch (type) {
      case 'STEP':
        return this.applyStep(op, u, now);
      case 'CONTEXT':
        return this.applyContext(op, u, now);
      case 'WAIT':
        if (u.Action === 'CANCEL') return this.finish(op, 'CANCELLED', now, 'WaitCancelled', { Error: u.Error ? { Payload: u.Error } : undefined });
        op.WaitDetails = { ScheduledEndTimestamp: now + (u.WaitOptions?.WaitSeconds ?? 0) * 1000 };
        this.event('WaitStarted', op, now, { Duration: u.WaitOptions?.WaitSeconds, ScheduledEndTimestamp: op.WaitDetails.ScheduledEndTimestamp });
        return op;
      case 'CALLBACK': {
        if (u.Action === 'CANCEL')
          return this.finish(op, 'CANCELLED', now, 'CallbackFailed', { Error: { Payload: u.Error ?? { ErrorMessage: 'Callback cancelled' } } });
        op.CallbackDetails = { CallbackId: newCallbackId(op.Id) };
        const timeout = u.CallbackOptions?.TimeoutSeconds;
        const heartbeat = u.CallbackOptions?.HeartbeatTimeoutSeconds;
        if (timeout || heartbeat) {
          this.record.callbackDeadlines[op.Id] = {
            ...(timeout ? { timeoutAt: now + timeout * 1000 } : {}),
            ...(heartbeat ? { heartbeatAt: now + heartbeat * 1000, heartbeatSeconds: heartbeat } : {}),
          };
        }
        this.event('CallbackStarted', op, now, {
          CallbackId: op.CallbackDetails.CallbackId,
          Timeout: timeout,
          HeartbeatTimeout: heartbeat,
          Input: { Payload: u.Payload },
        });
        return op;
      }
      case 'CHAINED_INVOKE':
        if (u.Action === 'CANCEL') return this.finish(op, 'STOPPED', now, 'ChainedInvokeStopped', {});
        this.event('ChainedInvokeStarted', op, now, { FunctionName: u.ChainedInvokeOptions?.FunctionName ?? '', Input: { Payload: u.Payload ?? '' } });
        return op;
    }
    return op;
  }

  private applyStep(op: Operation, u: OperationUpdate, now: number): Operation {
    const attempt = op.StepDetails?.Attempt ?? 0;
    // CurrentAttempt as the SDK's testing checkpoint server writes it: the attempts counted before this update.
    const retry = {
      NextAttemptDelaySeconds: u.StepOptions?.NextAttemptDelaySeconds,
      CurrentAttempt: op.StepDetails?.Attempt ?? (u.Error || u.Action === 'FAIL' ? 1 : undefined),
    };
    switch (u.Action) {
      case 'START':
        if (op.Status === 'READY') op.Status = 'STARTED';
        this.event('StepStarted', op, now, {});
        return op;
      case 'SUCCEED':
        op.StepDetails = { ...op.StepDetails, Attempt: attempt + 1, Result: u.Payload };
        delete op.StepDetails.NextAttemptTimestamp;
        return this.finish(op, 'SUCCEEDED', now, 'StepSucceeded', { Result: { Payload: u.Payload }, RetryDetails: retry });
      case 'FAIL':
        op.StepDetails = { ...op.StepDetails, Attempt: attempt + 1, Error: u.Error };
        delete op.StepDetails.NextAttemptTimestamp;
        return this.finish(op, 'FAILED', now, 'StepFailed', { Error: { Payload: u.Error }, RetryDetails: retry });
      default: {
        // RETRY: this attempt failed (or a wait-for-condition step checked and must check again later).
        const next = now + (u.StepOptions?.NextAttemptDelaySeconds ?? 0) * 1000;
        op.Status = 'PENDING';
        op.StepDetails = { ...op.StepDetails, Attempt: attempt + 1, NextAttemptTimestamp: next, Result: u.Payload, Error: u.Error };
        this.event(
          u.Error ? 'StepFailed' : 'StepSucceeded',
          op,
          now,
          u.Error ? { Error: { Payload: u.Error }, RetryDetails: retry } : { Result: { Payload: u.Payload }, RetryDetails: retry },
        );
        return op;
      }
    }
  }

  private applyContext(op: Operation, u: OperationUpdate, now: number): Operation {
    const replayChildren = u.ContextOptions?.ReplayChildren ?? op.ContextDetails?.ReplayChildren;
    op.ContextDetails = { ...op.ContextDetails, ...(replayChildren !== undefined ? { ReplayChildren: replayChildren } : {}) };
    if (u.Action === 'START') {
      this.event('ContextStarted', op, now, {});
      return op;
    }
    if (u.Action === 'SUCCEED') {
      op.ContextDetails.Result = u.Payload;
      return this.finish(op, 'SUCCEEDED', now, 'ContextSucceeded', { Result: { Payload: u.Payload } });
    }
    op.ContextDetails.Error = u.Error;
    return this.finish(op, 'FAILED', now, 'ContextFailed', { Error: { Payload: u.Error } });
  }

  /** The SDK checkpoints a result too large for the invocation's answer as an EXECUTION update. */
  private finishByCheckpoint(u: OperationUpdate, now: number): Operation {
    if (u.Action === 'SUCCEED') this.end('SUCCEEDED', now, { result: u.Payload ?? '' });
    else this.end('FAILED', now, { error: u.Error ?? {} });
    return this.executionOperation();
  }

  /** The function answered its invocation (or failed it): the execution ends, or waits for what it is waiting on. */
  invocationEnded(requestId: string, started: number, now: number, error: ErrorObject | undefined): void {
    this.event('InvocationCompleted', undefined, now, {
      StartTimestamp: started,
      EndTimestamp: now,
      RequestId: requestId,
      ...(error ? { Error: { Payload: error } } : {}),
    });
    delete this.record.invocation;
  }

  /** Ends the execution: the EXECUTION operation and the record take the status, and the matching event is added. */
  end(status: Exclude<ExecutionStatus, 'RUNNING'>, now: number, outcome: { result?: string; error?: ErrorObject }): void {
    if (!this.running) return;
    const op = this.executionOperation();
    this.record.status = status;
    this.record.endTimestamp = now;
    if (outcome.result !== undefined) this.record.result = outcome.result;
    if (outcome.error) this.record.error = outcome.error;
    op.Status = status === 'TIMED_OUT' ? 'TIMED_OUT' : status;
    op.EndTimestamp = now;
    const details = status === 'SUCCEEDED' ? { Result: { Payload: outcome.result } } : { Error: { Payload: outcome.error } };
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', TIMED_OUT: 'ExecutionTimedOut', STOPPED: 'ExecutionStopped' }[status];
    this.event(type, op, now, details);
    this.record.callbackDeadlines = {};
  }

  /** Completes a callback from the callback API, or by its timeout. */
  completeCallback(operationId: string, status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT', now: number, outcome: { result?: string; error?: ErrorObject }): void {
    const op = this.byId.get(operationId);
    if (!op || op.Type !== 'CALLBACK') throw new AwsError(404, 'ResourceNotFoundException', 'The callback does not exist.');
    if (op.Status !== 'STARTED' || !this.running) throw invalid(`The callback has already completed (status ${op.Status}).`);
    op.CallbackDetails = {
      ...op.CallbackDetails,
      ...(outcome.result !== undefined ? { Result: outcome.result } : {}),
      ...(outcome.error ? { Error: outcome.error } : {}),
    };
    delete this.record.callbackDeadlines[op.Id];
    const type = { SUCCEEDED: 'CallbackSucceeded', FAILED: 'CallbackFailed', TIMED_OUT: 'CallbackTimedOut' }[status];
    this.finish(op, status, now, type, status === 'SUCCEEDED' ? { Result: { Payload: outcome.result } } : { Error: { Payload: outcome.error } });
    this.markUpdated(op.Id);
  }

  /** A chained invoke's target answered: its result or error goes to the operation, for the next invocation. */
  completeChainedInvoke(operationId: string, now: number, outcome: { result?: string; error?: ErrorObject }): void {
    const op = this.byId.get(operationId);
    if (!op || op.Type !== 'CHAINED_INVOKE' || op.Status !== 'STARTED' || !this.running) return;
    op.ChainedInvokeDetails = outcome.error ? { Error: outcome.error } : { Result: outcome.result };
    if (outcome.error) this.finish(op, 'FAILED', now, 'ChainedInvokeFailed', { Error: { Payload: outcome.error } });
    else this.finish(op, 'SUCCEEDED', now, 'ChainedInvokeSucceeded', { Result: { Payload: outcome.result } });
    this.markUpdated(op.Id);
  }

  /** The chained invokes started and not answered yet, with what to invoke. */
  pendingChainedInvokes(): Array<{ id: string; functionName: string; payload: string }> {
    return this.record.operations
      .filter((op) => op.Type === 'CHAINED_INVOKE' && op.Status === 'STARTED')
      .map((op) => {
        const started = this.record.events.find((e) => e.Id === op.Id && e.EventType === 'ChainedInvokeStarted')?.ChainedInvokeStartedDetails as
          | { FunctionName?: string; Input?: { Payload?: string } }
          | undefined;
        return { id: op.Id, functionName: started?.FunctionName ?? '', payload: started?.Input?.Payload ?? '' };
      });
  }

  /** A heartbeat pushes a callback's heartbeat deadline on. */
  heartbeat(operationId: string, now: number): void {
    const op = this.byId.get(operationId);
    if (!op || op.Type !== 'CALLBACK') throw new AwsError(404, 'ResourceNotFoundException', 'The callback does not exist.');
    if (op.Status !== 'STARTED' || !this.running) throw invalid(`The callback has already completed (status ${op.Status}).`);
    const deadline = this.record.callbackDeadlines[op.Id];
    if (deadline?.heartbeatSeconds) deadline.heartbeatAt = now + deadline.heartbeatSeconds * 1000;
  }

  /** When something is next due: a wait's end, a retry, a callback's timeout, the execution's timeout. */
  nextDue(): number | undefined {
    if (!this.running) return undefined;
    const times = [this.record.startTimestamp + this.record.executionTimeout * 1000];
    for (const op of this.record.operations) {
      if (op.Type === 'WAIT' && op.Status === 'STARTED' && op.WaitDetails?.ScheduledEndTimestamp !== undefined)
        times.push(op.WaitDetails.ScheduledEndTimestamp);
      if (op.Type === 'STEP' && op.Status === 'PENDING' && op.StepDetails?.NextAttemptTimestamp !== undefined) times.push(op.StepDetails.NextAttemptTimestamp);
    }
    for (const d of Object.values(this.record.callbackDeadlines)) {
      if (d.timeoutAt !== undefined) times.push(d.timeoutAt);
      if (d.heartbeatAt !== undefined) times.push(d.heartbeatAt);
    }
    return Math.min(...times);
  }

  /**
   * Moves on what is due at `now` (with `skipWaits`, every wait and retry is due at once): waits succeed, retries
   * become READY, callbacks time out, the execution times out. Returns whether anything changed.
   */
  fireDue(now: number, skipWaits = false): boolean {
    if (!this.running) return false;
    if (now >= this.record.startTimestamp + this.record.executionTimeout * 1000) {
      this.end('TIMED_OUT', now, {
        error: {
          ErrorType: DURABLE_EXECUTION_TIMED_OUT,
          ErrorMessage: `The execution ran longer than its ExecutionTimeout of ${this.record.executionTimeout} seconds.`,
        },
      });
      return true;
    }
    let changed = false;
    for (const op of this.record.operations) {
      if (op.Type === 'WAIT' && op.Status === 'STARTED' && (skipWaits || (op.WaitDetails?.ScheduledEndTimestamp ?? Infinity) <= now)) {
        const duration = this.record.events.find((e) => e.Id === op.Id && e.EventType === 'WaitStarted')?.WaitStartedDetails as
          | { Duration?: number }
          | undefined;
        this.finish(op, 'SUCCEEDED', now, 'WaitSucceeded', { Duration: duration?.Duration });
        this.markUpdated(op.Id);
        changed = true;
      } else if (op.Type === 'STEP' && op.Status === 'PENDING' && (skipWaits || (op.StepDetails?.NextAttemptTimestamp ?? Infinity) <= now)) {
        op.Status = 'READY';
        this.markUpdated(op.Id);
        changed = true;
      }
    }
    for (const [id, d] of Object.entries(this.record.callbackDeadlines)) {
      const timedOut = (d.timeoutAt !== undefined && d.timeoutAt <= now) || (d.heartbeatAt !== undefined && d.heartbeatAt <= now);
      if (!timedOut) continue;
      const onHeartbeat = d.heartbeatAt !== undefined && d.heartbeatAt <= now && !(d.timeoutAt !== undefined && d.timeoutAt <= now);
      this.completeCallback(id, 'TIMED_OUT', now, {
        error: { ErrorType: DURABLE_CALLBACK_TIMED_OUT, ErrorMessage: onHeartbeat ? 'Callback timed out on heartbeat' : 'Callback timed out' },
      });
      changed = true;
    }
    return changed;
  }

  /** Whether the function, having answered PENDING, has anything to wait for (else the execution cannot go on). */
  hasPendingWork(): boolean {
    return (
      this.record.operations.some(
        (op) =>
          (op.Type === 'WAIT' && op.Status === 'STARTED') ||
          (op.Type === 'STEP' && (op.Status === 'PENDING' || op.Status === 'READY')) ||
          (op.Type === 'CALLBACK' && op.Status === 'STARTED') ||
          (op.Type === 'CHAINED_INVOKE' && op.Status === 'STARTED'),
      ) || this.record.updated.length > 0
    );
  }

  /** The ids changed outside the function since it last ran, handed to the next invocation and forgotten. */
  takeUpdated(): string[] {
    const ids = this.record.updated;
    this.record.updated = [];
    return ids;
  }

  private markUpdated(id: string): void {
    if (!this.record.updated.includes(id)) this.record.updated.push(id);
  }

  private finish(op: Operation, status: OperationStatus, now: number, eventType: string, details: Record<string, unknown>): Operation {
    op.Status = status;
    op.EndTimestamp = now;
    this.event(eventType, op, now, details);
    return op;
  }

  private add(op: Operation): void {
    this.record.operations.push(op);
    this.byId.set(op.Id, op);
  }

  private event(type: string, op: Operation | undefined, now: number, details: Record<string, unknown>): void {
    const event: HistoryEvent = { EventType: type, EventId: this.nextEventId++, EventTimestamp: now };
    if (op) {
      if (op.SubType !== undefined) event.SubType = op.SubType;
      event.Id = op.Id;
      if (op.Name !== undefined) event.Name = op.Name;
      if (op.ParentId !== undefined) event.ParentId = op.ParentId;
    }
    event[`${type}Details`] = details;
    this.record.events.push(event);
  }
}

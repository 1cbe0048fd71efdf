// Runs durable executions the way Lambda's durable execution service does, with the runner's own function processes:
// an Invoke of a function with a DurableConfig starts an execution; the function is invoked with the execution's
// checkpoint log ({DurableExecutionArn, CheckpointToken, InitialExecutionState}); its SDK checkpoints to the API
// (api.ts) and answers SUCCEEDED, FAILED or PENDING. On PENDING the execution waits for what it waits on (a wait's
// end, a step's next attempt, a callback, the execution timeout) and then invokes the function again, which replays
// its log up to where it stopped. Each change is written to the store before anything else sees it; at start the
// runner reloads every execution and carries on with the running ones (an invocation cut short by the stop replays).
//
// Waits are real time unless skipWaits is on (OPEN_RUNTIME_DURABLE_SKIP_WAITS=1, `start --skip-waits`): then a wait
// or a retry delay ends as soon as the function has answered PENDING, as the SDK testing package's skipTime does.
import { randomUUID } from 'node:crypto';
import { deployedName, type FunctionSpec } from '../functions/model.ts';
import { functionArn } from '../functions/arns.ts';
import { RunnerClosingError, type LocalLambda } from '../local-lambda.ts';
import { AwsError } from '../http-util.ts';
import { DURABLE_EXECUTION_STOPPED, DURABLE_INVALID_RESPONSE, DURABLE_INVOCATION_INTERRUPTED } from '../lambda-errors.ts';
import { DurableExecution, type ErrorObject, type ExecutionRecord } from './execution.ts';
import type { ExecutionStore } from './store.ts';
import { callbackId, checkpointToken, executionArn, readCallbackId, withWireTimes } from './wire.ts';

export interface DurableOptions {
  skipWaits?: boolean;
  /** Where problems go (a log line on the runner's stderr). */
  log?: (line: string) => void;
}

/** The largest timer Node keeps (about 24.8 days); a longer wait is re-armed when it fires. */
const MAX_TIMER_MS = 2_147_483_647;

export class DurableExecutions {
  private readonly lambda: LocalLambda;
  private readonly store: ExecutionStore | undefined;
  private readonly executions = new Map<string, DurableExecution>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** Executions whose function is being invoked now. */
  private readonly invoking = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();
  /** Chained invokes running now, as `<execution id>/<operation id>`. */
  private readonly chained = new Set<string>();
  private closed = false;
  skipWaits: boolean;
  private readonly log: (line: string) => void;

  /** `store`: where executions are kept; none keeps them in memory only (a second runner on the same workspace). */
  constructor(lambda: LocalLambda, store: ExecutionStore | undefined, options: DurableOptions = {}) {
    this.lambda = lambda;
    this.store = store;
    this.skipWaits = options.skipWaits ?? false;
    this.log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  }

  /** Loads the kept executions and resumes the running ones. */
  open(): void {
    if (!this.store) return;
    for (const record of this.store.loadAll(Date.now(), this.log)) {
      const exec = new DurableExecution(record);
      this.executions.set(record.id, exec);
      if (!exec.running) continue;
      // An invocation in flight when the runner stopped never answered: the function replays from its log.
      const cutShort = record.invocation !== undefined;
      if (cutShort)
        exec.invocationEnded(record.invocation!.id, record.invocation!.started, Date.now(), {
          ErrorType: DURABLE_INVOCATION_INTERRUPTED,
          ErrorMessage: 'The runner stopped during this invocation; the execution replays from its checkpoints.',
        });
      this.save(exec);
      this.advance(exec, cutShort);
    }
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  get(id: string): DurableExecution | undefined {
    return this.executions.get(id);
  }

  list(): DurableExecution[] {
    return [...this.executions.values()];
  }

  /**
   * Starts an execution of `fn` with `input` (JSON text). A name already used for the function returns its execution
   * when the input is the same (an idempotent start), and is refused otherwise, as Lambda does.
   */
  start(fn: FunctionSpec, input: string, name?: string): DurableExecution {
    if (!fn.durable) throw new Error(`Function ${fn.name} has no DurableConfig.`);
    const arnOfFunction = functionArn(fn);
    if (name !== undefined) {
      if (!/^[A-Za-z0-9_-]{1,64}$/.test(name))
        throw new AwsError(400, 'InvalidParameterValueException', `The durable execution name "${name}" must be 1 to 64 letters, digits, - or _.`);
      const existing = this.list().find((e) => e.record.functionArn === arnOfFunction && e.record.name === name);
      if (existing) {
        if (existing.record.input === input) return existing;
        throw new AwsError(
          409,
          'DurableExecutionAlreadyStartedException',
          `A durable execution named ${name} of function ${deployedName(fn)} already exists with a different input: ${existing.record.arn}.`,
        );
      }
    }
    const id = randomUUID();
    const executionName = name ?? id;
    const exec = DurableExecution.start({
      id,
      arn: executionArn(arnOfFunction, fn.version, executionName, id),
      name: executionName,
      function: fn.name,
      functionArn: arnOfFunction,
      input,
      executionTimeout: fn.durable.executionTimeout,
      retentionPeriodInDays: fn.durable.retentionPeriodInDays,
      now: Date.now(),
    });
    this.executions.set(id, exec);
    this.save(exec);
    this.advance(exec);
    return exec;
  }

  /** Resolves once the execution has ended (at once when it has). */
  whenDone(exec: DurableExecution): Promise<void> {
    if (!exec.running) return Promise.resolve();
    return new Promise((resolve) => {
      const list = this.waiters.get(exec.record.id) ?? [];
      list.push(resolve);
      this.waiters.set(exec.record.id, list);
    });
  }

  /** A checkpoint from the function's SDK: the token must be the one of the invocation in flight. */
  checkpoint(exec: DurableExecution, invocationId: string, updates: unknown): { CheckpointToken: string; NewExecutionState: { Operations: unknown[] } } {
    this.checkInvocation(exec, invocationId);
    if (updates !== undefined && (!Array.isArray(updates) || updates.some((u) => typeof u !== 'object' || u === null || Array.isArray(u)))) {
      throw new AwsError(400, 'InvalidParameterValueException', 'Updates must be a list of operation updates (objects with Id, Type and Action).');
    }
    const changed = exec.checkpoint((updates ?? []) as never[], Date.now(), (operationId) => callbackId(exec.record.id, operationId));
    this.save(exec);
    if (!exec.running) this.finished(exec);
    else {
      this.schedule(exec);
      this.runChainedInvokes(exec);
    }
    return { CheckpointToken: checkpointToken(exec.record.id, invocationId), NewExecutionState: { Operations: changed.map((op) => withWireTimes(op)) } };
  }

  checkInvocation(exec: DurableExecution, invocationId: string): void {
    if (!exec.running || exec.record.invocation?.id !== invocationId) {
      throw new AwsError(
        400,
        'InvalidParameterValueException',
        'Invalid checkpoint token: it belongs to an invocation of this execution that has ended, or to an execution that has ended.',
      );
    }
  }

  /** The execution and operation of a callback id this runner gave out, or a 404 saying so. */
  callback(id: string): { exec: DurableExecution; operationId: string } {
    const read = readCallbackId(id);
    const exec = read ? this.executions.get(read.executionId) : undefined;
    if (!read || !exec || exec.operation(read.operationId)?.CallbackDetails?.CallbackId !== id) {
      throw new AwsError(
        404,
        'ResourceNotFoundException',
        'No callback has this CallbackId. Use the CallbackId the function got from createCallback or waitForCallback.',
      );
    }
    return { exec, operationId: read.operationId };
  }

  completeCallback(exec: DurableExecution, operationId: string, status: 'SUCCEEDED' | 'FAILED', outcome: { result?: string; error?: ErrorObject }): void {
    exec.completeCallback(operationId, status, Date.now(), outcome);
    this.changed(exec);
  }

  heartbeat(exec: DurableExecution, operationId: string): void {
    exec.heartbeat(operationId, Date.now());
    this.save(exec);
    this.schedule(exec);
  }

  stop(exec: DurableExecution, error: ErrorObject | undefined): number {
    if (!exec.running) throw new AwsError(409, 'InvalidParameterValueException', `The execution has already ended (${exec.record.status}).`);
    const now = Date.now();
    exec.end('STOPPED', now, { error: error ?? { ErrorType: DURABLE_EXECUTION_STOPPED, ErrorMessage: 'The execution was stopped.' } });
    this.changed(exec);
    return now;
  }

  /** Something changed outside the function (a callback, a stop): keep it, and let the execution move on. */
  private changed(exec: DurableExecution): void {
    this.save(exec);
    if (!exec.running) return this.finished(exec);
    this.advance(exec);
  }

  /**
   * Moves on what is due, then invokes the function if it has something new to see (a new execution, an operation
   * changed since it last ran, or `replay`) and is not running already (it is invoked again once it answers).
   */
  private advance(exec: DurableExecution, replay = false): void {
    if (this.closed) return;
    const running = this.invoking.has(exec.record.id);
    if (exec.fireDue(Date.now(), this.skipWaits && !running)) this.save(exec);
    if (!exec.running) return this.finished(exec);
    if (!running && (replay || exec.record.operations.length === 1 || exec.record.updated.length > 0))
      void this.invoke(exec).catch((err: Error) => this.report(exec, err));
    this.schedule(exec);
    this.runChainedInvokes(exec);
  }

  /**
   * context.invoke(): the target function runs with the given payload (a durable one as a durable execution of its
   * own), and its answer completes the operation. One run per operation; after a restart, unanswered ones run again.
   */
  private runChainedInvokes(exec: DurableExecution): void {
    for (const call of exec.pendingChainedInvokes()) {
      const key = `${exec.record.id}/${call.id}`;
      if (this.chained.has(key)) continue;
      this.chained.add(key);
      void this.chainedOutcome(call.functionName, call.payload)
        .then((outcome) => {
          this.chained.delete(key);
          if (this.closed) return;
          exec.completeChainedInvoke(call.id, Date.now(), outcome);
          this.changed(exec);
        })
        .catch((err: Error) => this.report(exec, err));
    }
  }

  private async chainedOutcome(functionName: string, payload: string): Promise<{ result?: string; error?: ErrorObject }> {
    const name = /:function:([^:]+)/.exec(functionName)?.[1] ?? functionName.split(':')[0]!;
    const fn = this.lambda.getFunction(name) ?? this.lambda.listFunctions().find((f) => deployedName(f) === name);
    if (!fn)
      return {
        error: {
          ErrorType: 'ResourceNotFoundException',
          ErrorMessage: `Function not found: ${functionName}. The runner has ${
            this.lambda
              .listFunctions()
              .map((f) => f.name)
              .join(', ') || 'no functions'
          }.`,
        },
      };
    try {
      if (fn.durable) {
        const child = this.start(fn, payload || '{}');
        await this.whenDone(child);
        return child.record.status === 'SUCCEEDED'
          ? { result: child.record.result ?? '' }
          : { error: child.record.error ?? { ErrorType: `Execution.${child.record.status}` } };
      }
      const inv = this.lambda.invoke(fn.name, Buffer.from(payload || '{}'), { queue: true });
      const { outcome } = await inv.completed;
      const text = outcome.body.toString('utf8');
      if (outcome.ok) return { result: text };
      const parsed = parseJson(text) as { errorType?: string; errorMessage?: string } | undefined;
      return { error: { ErrorType: parsed?.errorType ?? outcome.errorType, ErrorMessage: parsed?.errorMessage ?? text } };
    } catch (err) {
      return { error: { ErrorType: 'ServiceException', ErrorMessage: (err as Error).message } };
    }
  }

  private schedule(exec: DurableExecution): void {
    const id = exec.record.id;
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    const due = exec.nextDue();
    if (due === undefined || this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        try {
          this.advance(exec);
        } catch (err) {
          this.report(exec, err as Error);
        }
      },
      Math.min(MAX_TIMER_MS, Math.max(0, due - Date.now())),
    );
    timer.unref();
    this.timers.set(id, timer);
  }

  private async invoke(exec: DurableExecution): Promise<void> {
    const id = exec.record.id;
    this.invoking.add(id);
    const invocationId: string = randomUUID();
    const started = Date.now();
    exec.record.invocation = { id: invocationId, started };
    const event = {
      DurableExecutionArn: exec.record.arn,
      CheckpointToken: checkpointToken(id, invocationId),
      InitialExecutionState: { Operations: exec.state().map((op) => withWireTimes(op)), NextMarker: '' },
      UpdatedOperationIds: exec.takeUpdated(),
    };
    this.save(exec);
    let error: ErrorObject | undefined;
    let answer: { Status?: string; Result?: string; Error?: ErrorObject } | undefined;
    let requestId = invocationId;
    try {
      const inv = this.lambda.invoke(exec.record.function, Buffer.from(JSON.stringify(event)), { queue: true, requestId: invocationId });
      requestId = inv.requestId;
      const { outcome } = await inv.completed;
      const text = outcome.body.toString('utf8');
      if (!outcome.ok) {
        const parsed = parseJson(text) as { errorType?: string; errorMessage?: string; stackTrace?: string[] } | undefined;
        error = {
          ErrorType: parsed?.errorType ?? outcome.errorType,
          ErrorMessage: parsed?.errorMessage ?? text,
          ...(parsed?.stackTrace ? { StackTrace: parsed.stackTrace } : {}),
        };
      } else {
        answer = parseJson(text) as typeof answer;
        if (!answer || !['SUCCEEDED', 'FAILED', 'PENDING'].includes(String(answer.Status))) {
          error = {
            ErrorType: DURABLE_INVALID_RESPONSE,
            ErrorMessage: `The function answered ${text.slice(0, 200)}, not a durable invocation output ({"Status": "SUCCEEDED" | "FAILED" | "PENDING"}). Wrap its handler with withDurableExecution from @aws/durable-execution-sdk-js.`,
          };
        }
      }
    } catch (err) {
      if (err instanceof RunnerClosingError) this.closed = true;
      error = { ErrorType: 'ServiceException', ErrorMessage: (err as Error).message };
    }
    this.invoking.delete(id);
    // Stopping: the invocation stays recorded as in flight, and replays when the runner starts again.
    if (this.closed) return;
    if (exec.record.invocation?.id === invocationId) exec.invocationEnded(requestId, started, Date.now(), error ?? answer?.Error);
    const now = Date.now();
    if (exec.running) {
      if (error) exec.end('FAILED', now, { error });
      else if (answer!.Status === 'SUCCEEDED') exec.end('SUCCEEDED', now, { result: answer!.Result ?? '' });
      else if (answer!.Status === 'FAILED') exec.end('FAILED', now, { error: answer!.Error ?? {} });
      else if (!exec.hasPendingWork()) {
        exec.end('FAILED', now, {
          error: { ErrorType: 'InvalidParameterValueException', ErrorMessage: 'Cannot return PENDING status with no pending operations.' },
        });
      }
    }
    this.save(exec);
    if (!exec.running) return this.finished(exec);
    this.advance(exec);
  }

  /** Work done in the background (a timer, an invocation's end) that failed, e.g. the store could not be written. */
  private report(exec: DurableExecution, err: Error): void {
    this.log(`The durable execution ${exec.record.arn} could not move on: ${err.message}. It carries on from its last saved state when the runner restarts.`);
  }

  private finished(exec: DurableExecution): void {
    clearTimeout(this.timers.get(exec.record.id));
    this.timers.delete(exec.record.id);
    for (const resolve of this.waiters.get(exec.record.id) ?? []) resolve();
    this.waiters.delete(exec.record.id);
  }

  private save(exec: DurableExecution): void {
    this.store?.save(exec.record);
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** What GetDurableExecution and ListDurableExecutionsByFunction say of an execution. */
export function describeExecution(record: ExecutionRecord, withData: boolean): Record<string, unknown> {
  return withWireTimes({
    DurableExecutionArn: record.arn,
    DurableExecutionName: record.name,
    FunctionArn: record.functionArn,
    Status: record.status,
    StartTimestamp: record.startTimestamp,
    EndTimestamp: record.endTimestamp,
    ...(withData ? { InputPayload: record.input, Result: record.result, Error: record.error } : {}),
  });
}

const runners = new WeakMap<LocalLambda, DurableExecutions>();

/** The durable executions of a runner, if it runs them (start and serve do; rie does not). */
export function durableOf(lambda: LocalLambda): DurableExecutions | undefined {
  return runners.get(lambda);
}

/**
 * Makes the runner run durable executions, kept under `root` (the workspace's .open-runtime folder) or, without one
 * (another runner holds the workspace), in memory. The caller opens them (resuming the kept ones) once the runner
 * listens: a resumed function must be started with the runner's endpoint (AWS_ENDPOINT_URL_LAMBDA).
 */
export async function useDurableExecutions(lambda: LocalLambda, root: string | undefined, options: DurableOptions = {}): Promise<DurableExecutions> {
  const store = root ? new (await import('./store.ts')).ExecutionStore(root) : undefined;
  const durable = new DurableExecutions(lambda, store, options);
  runners.set(lambda, durable);
  return durable;
}

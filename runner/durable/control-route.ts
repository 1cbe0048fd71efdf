// The editor's view of durable executions, on the control API (behind its token; shapes in protocol.ts):
//   GET  /durable-executions   every execution with its operations (status, times, attempts, payloads)
//   POST /durable-callbacks    completes a callback (succeed with a JSON result, or fail with an error)
// The AWS-shaped API (api.ts) serves the same executions to SDKs and the CLI; this one is shaped for a tree view.
// The editor's Invoke (POST /invoke) of a durable function starts an execution too (invokeDurableFromControl).
import type { DurableExecutionList, CallbackCompletion, InvokeResult } from '../protocol.ts';
import type { FunctionSpec } from '../functions/model.ts';
import type { DurableExecutions } from './orchestrator.ts';
import { AwsError } from '../http-util.ts';

export function durableExecutionList(durable: DurableExecutions | undefined): DurableExecutionList {
  const executions = (durable?.list() ?? []).map(({ record }) => ({
    arn: record.arn,
    name: record.name,
    function: record.function,
    status: record.status,
    startTimestamp: record.startTimestamp,
    ...(record.endTimestamp !== undefined ? { endTimestamp: record.endTimestamp } : {}),
    input: record.input,
    ...(record.result !== undefined ? { result: record.result } : {}),
    ...(record.error ? { error: JSON.stringify(record.error) } : {}),
    steps: record.operations
      .filter((op) => op.Type !== 'EXECUTION')
      .map((op) => {
        const details = op.StepDetails ?? op.ContextDetails ?? op.CallbackDetails ?? op.ChainedInvokeDetails;
        return {
          id: op.Id,
          ...(op.ParentId ? { parentId: op.ParentId } : {}),
          ...(op.Name !== undefined ? { name: op.Name } : {}),
          type: op.Type,
          ...(op.SubType ? { subType: op.SubType } : {}),
          status: op.Status,
          startTimestamp: op.StartTimestamp,
          ...(op.EndTimestamp !== undefined ? { endTimestamp: op.EndTimestamp } : {}),
          ...(op.StepDetails?.Attempt !== undefined ? { attempts: op.StepDetails.Attempt } : {}),
          ...(op.CallbackDetails?.CallbackId ? { callbackId: op.CallbackDetails.CallbackId } : {}),
          ...(details?.Result !== undefined ? { result: details.Result } : {}),
          ...(details?.Error ? { error: JSON.stringify(details.Error) } : {}),
        };
      }),
  }));
  return { executions: executions.sort((a, b) => b.startTimestamp - a.startTimestamp) };
}

export function completeCallbackFromControl(durable: DurableExecutions | undefined, request: CallbackCompletion): void {
  if (!durable) throw new AwsError(503, 'ServiceException', 'This runner runs no durable executions.');
  const { exec, operationId } = durable.callback(request.callbackId);
  if (request.outcome === 'succeed') {
    if (request.result !== undefined) {
      try {
        JSON.parse(request.result);
      } catch (err) {
        throw new AwsError(400, 'InvalidParameterValueException', `The result must be JSON (the function parses it): ${(err as Error).message}.`);
      }
    }
    durable.completeCallback(exec, operationId, 'SUCCEEDED', { result: request.result });
  } else {
    durable.completeCallback(exec, operationId, 'FAILED', {
      error: { ErrorType: request.errorType ?? 'CallbackFailed', ErrorMessage: request.errorMessage ?? 'Failed from the editor.' },
    });
  }
}

/**
 * The editor's Invoke of a durable function: an execution, answered when it ends (its steps show in the Durable
 * Executions view meanwhile, where a callback it waits for can be completed). The report covers the whole execution;
 * memory is measured per invocation, not per execution, so it says 0.
 */
export async function invokeDurableFromControl(durable: DurableExecutions, fn: FunctionSpec, payload: string): Promise<InvokeResult> {
  const exec = durable.start(fn, payload);
  await durable.whenDone(exec);
  const { record } = exec;
  const durationMs = (record.endTimestamp ?? Date.now()) - record.startTimestamp;
  const result: InvokeResult = {
    requestId: record.id,
    function: fn.name,
    payload: record.result ?? '',
    streamed: false,
    report: { durationMs, billedDurationMs: Math.ceil(durationMs), memorySizeMB: fn.memorySize, maxMemoryUsedMB: 0 },
    logs: `Durable execution ${record.arn} ended ${record.status}.`,
  };
  if (record.status !== 'SUCCEEDED') {
    const error = {
      errorType: record.error?.ErrorType ?? `Execution.${record.status}`,
      errorMessage: record.error?.ErrorMessage ?? `The durable execution ended ${record.status}.`,
    };
    Object.assign(result, { functionError: 'Unhandled', error, payload: JSON.stringify(error) });
  }
  return result;
}

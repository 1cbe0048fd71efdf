// What the Durable Executions view shows, as plain data (no 'vscode', so it is unit-tested): an execution per row with
// its status and duration, its operations nested under it as the function nested them (child contexts, parallel
// branches, map items), each with its status, duration, attempts and payloads, and which callbacks wait for an answer.
import type { DurableExecutionList, DurableStep } from '../../runner/protocol.ts';

type Execution = DurableExecutionList['executions'][number];

export interface DurableRow {
  /** Stable across refreshes, so the tree keeps what was expanded. */
  id: string;
  label: string;
  description: string;
  tooltip: string;
  /** running, succeeded, failed, waiting (a callback to complete) ... for the icon. */
  state: 'running' | 'succeeded' | 'failed' | 'waiting' | 'stopped';
  /** Set on a callback that waits: completing it from the view uses this id. */
  callbackId?: string;
  /** Set on an execution: what "Run Again" invokes. */
  rerun?: { function: string; input: string };
  children: DurableRow[];
}

/** `1.2 s`, `3 min 4 s`, `2 h 5 min`: how long from start to end (or to `now` while it runs). */
export function duration(start: number, end: number | undefined, now: number): string {
  const ms = Math.max(0, (end ?? now) - start);
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

function stateOf(status: string, callback: boolean): DurableRow['state'] {
  if (status === 'SUCCEEDED') return 'succeeded';
  if (status === 'FAILED' || status === 'TIMED_OUT') return 'failed';
  if (status === 'STOPPED' || status === 'CANCELLED') return 'stopped';
  return callback && status === 'STARTED' ? 'waiting' : 'running';
}

function stepRow(step: DurableStep, byParent: Map<string | undefined, DurableStep[]>, execution: string, now: number): DurableRow {
  const waiting = step.type === 'CALLBACK' && step.status === 'STARTED';
  const parts = [step.status.toLowerCase().replace('_', ' '), duration(step.startTimestamp, step.endTimestamp, now)];
  if ((step.attempts ?? 0) > 1) parts.push(`${step.attempts} attempts`);
  const tip = [`${step.type}${step.subType && step.subType !== step.type ? ` (${step.subType})` : ''} ${step.name ?? step.id}`, `Status: ${step.status}`];
  if (step.result !== undefined) tip.push(`Result: ${step.result}`);
  if (step.error) tip.push(`Error: ${step.error}`);
  if (waiting) tip.push(`Callback id: ${step.callbackId}`, "Complete it from the row's menu, or: open-runtime callback succeed <id> --result <json>");
  return {
    id: `${execution}/${step.id}`,
    label: step.name ?? (step.subType ?? step.type).toLowerCase().replace(/_/g, ' '),
    description: parts.join(' · '),
    tooltip: tip.join('\n'),
    state: stateOf(step.status, step.type === 'CALLBACK'),
    ...(waiting && step.callbackId ? { callbackId: step.callbackId } : {}),
    children: (byParent.get(step.id) ?? []).map((child) => stepRow(child, byParent, execution, now)),
  };
}

export function durableRows(list: DurableExecutionList, now = Date.now()): DurableRow[] {
  return list.executions.map((exec: Execution) => {
    const byParent = new Map<string | undefined, DurableStep[]>();
    const ids = new Set(exec.steps.map((s) => s.id));
    for (const step of [...exec.steps].sort((a, b) => a.startTimestamp - b.startTimestamp)) {
      // A step whose parent is not listed (the execution itself) sits at the top.
      const parent = step.parentId && ids.has(step.parentId) ? step.parentId : undefined;
      byParent.set(parent, [...(byParent.get(parent) ?? []), step]);
    }
    const children = (byParent.get(undefined) ?? []).map((step) => stepRow(step, byParent, exec.arn, now));
    const waiting = exec.status === 'RUNNING' && exec.steps.some((s) => s.type === 'CALLBACK' && s.status === 'STARTED');
    const tip = [exec.arn, `Function: ${exec.function}`, `Status: ${exec.status}`, `Input: ${exec.input}`];
    if (exec.result !== undefined) tip.push(`Result: ${exec.result}`);
    if (exec.error) tip.push(`Error: ${exec.error}`);
    return {
      id: exec.arn,
      label: `${exec.function} ${exec.name.length > 20 ? `${exec.name.slice(0, 8)}…` : exec.name}`,
      description: `${exec.status.toLowerCase().replace('_', ' ')}${waiting ? ' (waiting for a callback)' : ''} · ${duration(exec.startTimestamp, exec.endTimestamp, now)}`,
      tooltip: tip.join('\n'),
      state: waiting ? 'waiting' : stateOf(exec.status, false),
      rerun: { function: exec.function, input: exec.input },
      children,
    };
  });
}

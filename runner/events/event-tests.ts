// Running saved events as tests: each saved event of a function is invoked and its outcome checked against its
// expectation (expectations.ts). The invocation itself is passed in: `open-runtime test` invokes in its own process
// through the same path as `invoke`, the editor's Test Explorer through its runner sidecar. Both get the same verdicts.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { checkOutcome, readExpectation, snapshotOf, writeExpectation, type Outcome, type Verdict } from './expectations.ts';
import type { InvokeResult } from '../protocol.ts';
import { listSavedEvents, readSavedEvent, SAVED_EVENTS_DIR, type SavedEvent } from './saved.ts';

/** What running one event answered. */
export interface InvokedEvent {
  outcome: Outcome;
  /** The function's log lines of this invocation. */
  logs: string;
}

/** An invocation's result as the check reads it (a failed one by its Lambda error type and message). */
export function invokedEventOf(result: InvokeResult): InvokedEvent {
  const error = result.functionError
    ? { errorType: result.error?.errorType ?? result.functionError, errorMessage: result.error?.errorMessage ?? result.payload }
    : undefined;
  return { outcome: { payload: result.payload, error }, logs: result.logs };
}

export type InvokeEvent = (functionName: string, payload: string) => Promise<InvokedEvent>;

export interface EventTestResult {
  function: string;
  event: string;
  /** The saved event's file (absolute). */
  file: string;
  /** passed / failed: the check's answer; error: the test could not run (unreadable event or expectation, invoke refused). */
  status: 'passed' | 'failed' | 'error';
  /** One line: why it passed or failed. */
  message: string;
  verdict?: Verdict;
  /** none: no expectation file; else its match mode, `error` for an errorType expectation. */
  expectation: 'none' | 'exact' | 'subset' | 'error' | 'invalid';
  /** With --update-snapshots: the expectation file written (created, or rewritten because the snapshot changed). */
  snapshot?: 'written' | 'updated';
  durationMs: number;
  logs: string;
}

export interface TestOptions {
  /** Write snapshots: for events without an expectation, and over `exact` expectations that no longer match. */
  updateSnapshots?: boolean;
}

/** Runs one saved event and checks it. Never throws: what goes wrong is an `error` result with its sentence. */
export async function testSavedEvent(event: SavedEvent, invoke: InvokeEvent, options: TestOptions = {}): Promise<EventTestResult> {
  const base = { function: event.function, event: event.name, file: event.path };
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  let read;
  let expected;
  try {
    [read, expected] = await Promise.all([readSavedEvent(event.path), readExpectation(event.path)]);
  } catch (error) {
    return { ...base, status: 'error', message: (error as Error).message, expectation: 'none', durationMs: elapsed(), logs: '' };
  }
  if (!read.ok) {
    return {
      ...base,
      status: 'error',
      message: `The saved event is not valid JSON (line ${read.line}, column ${read.column}): ${read.message}`,
      expectation: 'none',
      durationMs: elapsed(),
      logs: '',
    };
  }
  const expectation =
    expected.kind === 'none'
      ? 'none'
      : expected.kind === 'invalid'
        ? 'invalid'
        : expected.expectation.errorType !== undefined
          ? 'error'
          : expected.expectation.match;
  if (expected.kind === 'invalid') return { ...base, status: 'error', message: expected.message, expectation, durationMs: elapsed(), logs: '' };
  let invoked: InvokedEvent;
  try {
    invoked = await invoke(event.function, read.text);
  } catch (error) {
    return {
      ...base,
      status: 'error',
      message: `Could not invoke ${event.function}: ${(error as Error).message}`,
      expectation,
      durationMs: elapsed(),
      logs: '',
    };
  }
  const durationMs = elapsed();
  const verdict = checkOutcome(expected.kind === 'ok' ? expected.expectation : undefined, invoked.outcome);
  const result: EventTestResult = {
    ...base,
    status: verdict.passed ? 'passed' : 'failed',
    message: verdict.summary,
    verdict,
    expectation,
    durationMs,
    logs: invoked.logs,
  };
  const rewritable = expected.kind === 'none' || (expected.kind === 'ok' && expected.expectation.match === 'exact' && !verdict.passed);
  if (options.updateSnapshots && rewritable) {
    await writeExpectation(event.path, snapshotOf(invoked.outcome));
    result.snapshot = expected.kind === 'none' ? 'written' : 'updated';
    result.status = 'passed';
    result.message = `snapshot ${result.snapshot}${verdict.passed ? '' : ` (was: ${verdict.summary})`}`;
    result.expectation = invoked.outcome.error ? 'error' : 'exact';
  }
  return result;
}

/** The functions that have a folder of saved events (some may no longer be defined). */
export async function functionsWithSavedEvents(workspaceDir: string): Promise<string[]> {
  try {
    const entries = await readdir(path.join(path.resolve(workspaceDir), SAVED_EVENTS_DIR), { withFileTypes: true });
    return entries.filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return [];
  }
}

/** Every saved event of the functions, in order (function as given, events by name). */
export async function savedEventsOf(workspaceDir: string, functionNames: readonly string[]): Promise<SavedEvent[]> {
  const lists = await Promise.all(functionNames.map((name) => listSavedEvents(workspaceDir, name)));
  return lists.flat();
}

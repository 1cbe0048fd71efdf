// `open-runtime test [function...] [--junit FILE] [--update-snapshots]`: every saved event of every function (or of
// the named ones) run and checked against its expectation, printed like a test runner (a line per event, the problems
// and a diff under a failure, the function's log under a failure), a JUnit XML report for CI, exit 1 on any failure.
// cli.ts owns the project options and the invoke path (the same one `invoke` uses); this file owns the run.
import { mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, relative, resolve } from 'node:path';
import { functionsWithSavedEvents, savedEventsOf, testSavedEvent, type EventTestResult, type InvokeEvent } from './event-tests.ts';
import { junitXml } from './junit.ts';
import { SAVED_EVENTS_DIR } from './saved.ts';

export const TEST_USAGE = `  open-runtime test [<function>...] [--junit <file>] [--update-snapshots] [project options]
      Run every saved event (.open-runtime/events/<function>/<name>.json) of every function, or of those named, and check
      each against its <name>.expected.json (exact snapshot, subset match or errorType; none: it must not fail).
      Exit 1 when one fails. --junit writes a JUnit XML report for CI; --update-snapshots writes the snapshot of events
      without an expectation and rewrites failing "exact" ones (hand-written "subset" expectations are never rewritten).`;

export interface EventTestRun {
  workspaceDir: string;
  /** The functions to test (every defined one when none was named). */
  functions: readonly string[];
  /** Functions were named on the command line: one without saved events is worth saying. */
  named: boolean;
  invoke: InvokeEvent;
  junit?: string | undefined;
  updateSnapshots?: boolean | undefined;
  out?: (text: string) => void;
  err?: (text: string) => void;
}

export async function runEventTests(run: EventTestRun): Promise<number> {
  const out = run.out ?? ((t: string) => void process.stdout.write(t));
  const err = run.err ?? ((t: string) => void process.stderr.write(t));
  const colour = process.stdout.isTTY && !process.env.NO_COLOR;
  const paint = (code: number, t: string) => (colour ? `\u001b[${code}m${t}\u001b[0m` : t);
  const startedAt = new Date();
  const started = performance.now();

  // Saved events of functions the templates no longer define are named, not silently left out.
  if (!run.named) {
    const known = new Set(run.functions);
    for (const orphan of (await functionsWithSavedEvents(run.workspaceDir)).filter((name) => !known.has(name)))
      err(`open-runtime test: ${SAVED_EVENTS_DIR}/${orphan}/ has saved events, but no function is called ${orphan}: they are not run.\n`);
  }
  const results: EventTestResult[] = [];
  for (const fn of run.functions) {
    let events;
    try {
      events = await savedEventsOf(run.workspaceDir, [fn]);
    } catch (error) {
      err(`open-runtime test: ${(error as Error).message}\n`);
      continue;
    }
    if (events.length === 0) {
      if (run.named)
        err(`open-runtime test: ${fn} has no saved events (save one from the editor's event picker, or as ${SAVED_EVENTS_DIR}/${fn}/<name>.json).\n`);
      continue;
    }
    out(`${fn}\n`);
    for (const event of events) {
      const r = await testSavedEvent(event, run.invoke, { updateSnapshots: run.updateSnapshots });
      results.push(r);
      const mark = r.status === 'passed' ? paint(32, '✓') : r.status === 'failed' ? paint(31, '✗') : paint(31, '!');
      const note = r.status === 'passed' ? paint(2, ` ${r.message}`) : ` ${r.message}`;
      out(`  ${mark} ${r.event} (${formatMs(r.durationMs)})${note}\n`);
      if (r.status === 'failed') {
        for (const problem of (r.verdict?.problems ?? []).slice(1)) out(`      ${problem}\n`);
        if (r.verdict?.diff) out(`${indent(colourDiff(r.verdict.diff, paint), '      ')}\n`);
        if (r.logs.trim()) out(`${paint(2, indent(`log:\n${r.logs.trimEnd()}`, '      '))}\n`);
      }
    }
  }
  const passed = results.filter((r) => r.status === 'passed').length;
  const failed = results.filter((r) => r.status === 'failed').length;
  const errors = results.filter((r) => r.status === 'error').length;
  const snapshots = results.filter((r) => r.snapshot).length;
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const functionCount = new Set(results.map((r) => r.function)).size;
  out(
    `\n${results.length} event${results.length === 1 ? '' : 's'} of ${functionCount} function${functionCount === 1 ? '' : 's'}: ` +
      `${paint(passed === results.length && results.length ? 32 : 0, `${passed} passed`)}` +
      `${failed ? `, ${paint(31, `${failed} failed`)}` : ''}${errors ? `, ${paint(31, `${errors} could not run`)}` : ''}` +
      `${snapshots ? `, ${snapshots} snapshot${snapshots === 1 ? '' : 's'} written` : ''} in ${seconds} s\n`,
  );
  if (run.junit) {
    const file = resolve(run.junit);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, junitXml(results, { workspaceDir: run.workspaceDir, startedAt, hostname: hostname() }));
    err(`open-runtime test: JUnit report in ${relative(process.cwd(), file) || file}\n`);
  }
  if (results.length === 0) {
    // Never a silent pass: a CI step that tests nothing is a mistake worth failing on.
    err(`open-runtime test: no saved events to run in ${resolve(run.workspaceDir, SAVED_EVENTS_DIR)}. Save events from the editor's event picker first.\n`);
    return 1;
  }
  return failed || errors ? 1 : 0;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

function colourDiff(diff: string, paint: (code: number, t: string) => string): string {
  return diff
    .split('\n')
    .map((line) => (line.startsWith('-') ? paint(31, line) : line.startsWith('+') ? paint(32, line) : line))
    .join('\n');
}

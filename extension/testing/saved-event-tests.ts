// Saved events as tests in VS Code's Test Explorer (Testing API): project (workspace folder) > function > saved event,
// read from `.open-runtime/events/` and refreshed when those files change. "Run" invokes each event through the folder's
// runner sidecar and checks it with runner/events/ (the same rule as `open-runtime test`): passed, or failed with a
// diff of expected and actual output, at the event file, with the duration and the function's log in the run's output.
// "Debug" runs the events through the Debug path (the debugger attaches, the result view shows each result).
// "Save Result as Expected" writes the last result of an event as its snapshot (`<name>.expected.json`).
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ReadExpectation } from '../../runner/events/expectations.ts';
import type { EventTestResult, InvokedEvent } from '../../runner/events/event-tests.ts';
import type { SavedEvent } from '../../runner/events/saved.ts';
import type { InvokeResult } from '../../runner/protocol.ts';
import type { Ctx } from '../ctx.ts';

/** Where saved events live in a workspace folder (runner/events/saved.ts SAVED_EVENTS_DIR, kept light here). */
const SAVED_EVENTS_GLOB = '**/.open-runtime/events/**';

/** The runner's event modules (zod, the catalogue): loaded when the tree is first read, not at activation. */
async function eventModules() {
  const [expectations, tests, saved] = await Promise.all([
    import('../../runner/events/expectations.ts'),
    import('../../runner/events/event-tests.ts'),
    import('../../runner/events/saved.ts'),
  ]);
  return { ...expectations, ...tests, ...saved };
}

export const CONTROLLER_ID = 'openRuntime.savedEvents';

/** What the in-host tests (and other extensions) read: the tree, and the last outcome of each event run. */
export interface SavedEventTestsApi {
  /** The tree as shown (after reading the files again unless `reread` is false): folder > function > event items. */
  tree(reread?: boolean): Promise<
    Array<{
      id: string;
      label: string;
      description?: string;
      children: Array<{ id: string; label: string; description?: string; children: Array<{ id: string; label: string; description?: string; uri?: string }> }>;
    }>
  >;
  /** Runs the events (ids of event, function or folder items; all when none) through the Run (or Debug) profile's handler. */
  run(ids?: string[], options?: { debug?: boolean }): Promise<void>;
  /** The last outcome of each event item run, by id. */
  outcomes(): ReadonlyMap<string, EventTestOutcome>;
}

export interface EventTestOutcome {
  state: 'passed' | 'failed' | 'errored';
  message?: string;
  expected?: string;
  actual?: string;
  durationMs: number;
  /** When the run reported it (Date.now()). */
  finishedAt: number;
  /** Where VS Code shows the message inline. */
  location?: string;
}

interface EventItemData {
  folder: vscode.WorkspaceFolder;
  event: SavedEvent;
}

export function registerSavedEventTests(ctx: Ctx): SavedEventTestsApi {
  const controller = vscode.tests.createTestController(CONTROLLER_ID, 'Open Runtime saved events');
  const events = new WeakMap<vscode.TestItem, EventItemData>();
  const outcomes = new Map<string, EventTestOutcome>();
  /** The last result of each saved event file, run from here: what "Save Result as Expected" writes. */
  const lastResults = new Map<string, InvokedEvent>();
  ctx.push(controller);

  const eventId = (file: string) => `event:${file}`;

  /** Reads one folder's functions and their saved events into the tree (replacing what it showed). */
  const loadFolder = async (folder: vscode.WorkspaceFolder): Promise<void> => {
    const { listSavedEvents, readExpectation, savedEventsDir } = await eventModules();
    const { functions } = await ctx.functions.get(folder);
    const folderId = `folder:${folder.uri.toString()}`;
    // Items that already exist are kept and updated, not made anew: VS Code's main thread knows a new item as
    // collapsed, so a fresh tree on every file change would fold the user's Test Explorer and leave "Run Tests in
    // Current File" finding nothing in the open event file until the tree was expanded again.
    const previousFolder = controller.items.get(folderId);
    const functionItems: vscode.TestItem[] = [];
    for (const fn of functions) {
      let saved: SavedEvent[];
      try {
        saved = await listSavedEvents(folder.uri.fsPath, fn.name);
      } catch (err) {
        ctx.log(`Test Explorer: ${(err as Error).message}`);
        continue;
      }
      if (saved.length === 0) continue;
      const dir = vscode.Uri.file(savedEventsDir(folder.uri.fsPath, fn.name));
      const fnId = `function:${folder.uri.toString()}:${fn.name}`;
      const fnItem = reuse(previousFolder?.children.get(fnId), dir) ?? controller.createTestItem(fnId, fn.path ?? fn.name, dir);
      fnItem.label = fn.path ?? fn.name;
      fnItem.description = fn.runtime;
      const children: vscode.TestItem[] = [];
      for (const event of saved) {
        const uri = vscode.Uri.file(event.path);
        const item = reuse(fnItem.children.get(eventId(event.path)), uri) ?? controller.createTestItem(eventId(event.path), event.name, uri);
        item.label = event.name;
        item.range = new vscode.Range(0, 0, 0, 0);
        item.description = describeExpectation(await readExpectation(event.path).catch(() => ({ kind: 'none' as const })));
        events.set(item, { folder, event });
        children.push(item);
      }
      fnItem.children.replace(children);
      functionItems.push(fnItem);
    }
    if (functionItems.length === 0) {
      controller.items.delete(folderId);
      return;
    }
    const folderItem = previousFolder ?? controller.createTestItem(folderId, folder.name, folder.uri);
    folderItem.label = folder.name;
    folderItem.children.replace(functionItems);
    if (!previousFolder) controller.items.add(folderItem);
  };

  let loading: Promise<void> | undefined;
  const loadAll = (): Promise<void> => {
    loading = (async () => {
      const folders = vscode.workspace.workspaceFolders ?? [];
      for (const id of [...itemIds(controller.items)]) if (!folders.some((f) => id === `folder:${f.uri.toString()}`)) controller.items.delete(id);
      await Promise.all(
        folders.map((f) => loadFolder(f).catch((err: Error) => ctx.log(`Test Explorer: could not read ${f.name}'s saved events: ${err.message}`))),
      );
    })();
    return loading;
  };
  controller.resolveHandler = async (item) => {
    if (!item) await loadAll();
  };
  controller.refreshHandler = () => loadAll();

  // Saved events are files people add, edit and delete (and `open-runtime test -u` writes): follow them.
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(() => void loadAll(), 200);
  };
  const watcher = vscode.workspace.createFileSystemWatcher(SAVED_EVENTS_GLOB);
  ctx.push(
    watcher,
    watcher.onDidCreate(changed),
    watcher.onDidDelete(changed),
    watcher.onDidChange(changed),
    ctx.onFunctionsChanged(changed),
    vscode.workspace.onDidChangeWorkspaceFolders(changed),
    { dispose: () => clearTimeout(timer) },
  );

  /** The event items a request names (an event, a function, a folder; everything when none), minus the excluded. */
  const eventItemsOf = (request: vscode.TestRunRequest): vscode.TestItem[] => {
    const excluded = new Set((request.exclude ?? []).map((i) => i.id));
    const out: vscode.TestItem[] = [];
    const visit = (item: vscode.TestItem) => {
      if (excluded.has(item.id)) return;
      if (events.has(item)) out.push(item);
      else item.children.forEach(visit);
    };
    if (request.include) request.include.forEach(visit);
    else controller.items.forEach(visit);
    return out;
  };

  const runEvents = async (request: vscode.TestRunRequest, token: vscode.CancellationToken, debug: boolean): Promise<void> => {
    if (loading) await loading;
    const { invokedEventOf, testSavedEvent } = await eventModules();
    const items = eventItemsOf(request);
    const run = controller.createTestRun(request, debug ? 'Debug saved events' : 'Run saved events');
    try {
      for (const item of items) run.enqueued(item);
      for (const item of items) {
        if (token.isCancellationRequested) {
          run.skipped(item);
          continue;
        }
        const { folder, event } = events.get(item)!;
        run.started(item);
        const invoke = async (functionName: string, payload: string): Promise<InvokedEvent> => {
          let result: InvokeResult | undefined;
          if (debug) {
            // The Debug path as the lens runs it: the debugger attaches, the result view shows the result.
            result = await vscode.commands.executeCommand<InvokeResult | undefined>('openRuntime.debugWithEvent', { functionName, eventName: event.name });
            if (!result) throw new Error('the debug session did not return a result (see the "Open Runtime" output)');
          } else {
            const runner = await ctx.runnerFor(folder);
            result = await runner.invoke({ function: functionName, payload });
          }
          const invoked = invokedEventOf(result);
          lastResults.set(event.path, invoked);
          return invoked;
        };
        const result = await testSavedEvent(event, invoke);
        report(run, item, result);
      }
    } finally {
      run.end();
    }
  };

  const report = (run: vscode.TestRun, item: vscode.TestItem, result: EventTestResult) => {
    if (result.logs) run.appendOutput(`${result.logs.replace(/\r?\n/g, '\r\n')}\r\n`, undefined, item);
    const location = new vscode.Location(vscode.Uri.file(result.file), new vscode.Position(0, 0));
    if (result.status === 'passed') {
      run.passed(item, result.durationMs);
      outcomes.set(item.id, { state: 'passed', message: result.message, durationMs: result.durationMs, finishedAt: Date.now() });
      return;
    }
    const text = result.verdict ? result.verdict.problems.join('\n') : result.message;
    const message =
      result.verdict?.expected !== undefined && result.verdict.actual !== undefined
        ? vscode.TestMessage.diff(text, result.verdict.expected, result.verdict.actual)
        : new vscode.TestMessage(text);
    message.location = location;
    if (result.status === 'failed') run.failed(item, message, result.durationMs);
    else run.errored(item, message, result.durationMs);
    outcomes.set(item.id, {
      state: result.status === 'failed' ? 'failed' : 'errored',
      message: text,
      ...(result.verdict?.expected !== undefined ? { expected: result.verdict.expected } : {}),
      ...(result.verdict?.actual !== undefined ? { actual: result.verdict.actual } : {}),
      durationMs: result.durationMs,
      finishedAt: Date.now(),
      location: location.uri.fsPath,
    });
  };

  const runProfile = controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (request, token) => runEvents(request, token, false), true);
  const debugProfile = controller.createRunProfile('Debug', vscode.TestRunProfileKind.Debug, (request, token) => runEvents(request, token, true), true);

  /** "Save Result as Expected": the test item's last result (run it first when it has none), or the last invocation's. */
  const saveResultAsExpected = async (target?: vscode.TestItem | { file?: string; entryId?: string }): Promise<string | undefined> => {
    const { invokedEventOf, snapshotOf, writeExpectation } = await eventModules();
    let file: string | undefined;
    let invoked: InvokedEvent | undefined;
    const item = target && 'id' in target && typeof target.id === 'string' ? (target as vscode.TestItem) : undefined;
    if (item) {
      const data = events.get(item);
      if (!data) {
        void vscode.window.showInformationMessage('Save Result as Expected works on a saved event: pick one of the events under a function.');
        return undefined;
      }
      file = data.event.path;
      if (!lastResults.has(file)) await runEvents(new vscode.TestRunRequest([item], undefined, runProfile), new vscode.CancellationTokenSource().token, false);
      invoked = lastResults.get(file);
    } else {
      const args = (target ?? {}) as { file?: string; entryId?: string };
      if (args.file) {
        file = args.file;
        invoked = lastResults.get(file);
      }
      if (!invoked) {
        // The most recent invocation of a saved event (lens, picker, re-run, or the Test Explorer).
        const entry = args.entryId
          ? ctx.history.find(args.entryId)
          : ctx.history.all.find((e) => e.savedEventPath && e.result && (!file || e.savedEventPath === file));
        if (entry?.savedEventPath && entry.result) {
          file = entry.savedEventPath;
          invoked = invokedEventOf(entry.result);
        }
      }
    }
    if (!file || !invoked) {
      void vscode.window.showInformationMessage(
        'There is no result of a saved event to save yet: run a saved event (Test Explorer, or Invoke with one of its saved events) first.',
      );
      return undefined;
    }
    const written = await writeExpectation(file, snapshotOf(invoked.outcome));
    ctx.log(`Saved the result of ${path.basename(file)} as its expected response: ${written}`);
    changed();
    return written;
  };
  ctx.push(vscode.commands.registerCommand('openRuntime.saveResultAsExpected', saveResultAsExpected));
  ctx.push(
    vscode.commands.registerCommand('openRuntime.openExpectation', async (item?: vscode.TestItem) => {
      const data = item && events.get(item);
      if (!data) return undefined;
      const { expectationPathOf } = await eventModules();
      const uri = vscode.Uri.file(expectationPathOf(data.event.path));
      try {
        await vscode.workspace.fs.stat(uri);
      } catch {
        void vscode.window.showInformationMessage(`${data.event.name} has no expected response yet: use "Save Result as Expected" to record one.`);
        return undefined;
      }
      await vscode.window.showTextDocument(uri, { preview: false });
      return uri.fsPath;
    }),
  );

  return {
    tree: async (reread = true) => {
      if (reread) await loadAll();
      else if (loading) await loading;
      const describe = (item: vscode.TestItem) => ({
        id: item.id,
        label: item.label,
        ...(item.description ? { description: item.description } : {}),
        ...(item.uri ? { uri: item.uri.fsPath } : {}),
      });
      const out: Awaited<ReturnType<SavedEventTestsApi['tree']>> = [];
      controller.items.forEach((folder) => {
        const fns: Awaited<ReturnType<SavedEventTestsApi['tree']>>[number]['children'] = [];
        folder.children.forEach((fn) => {
          const evs: Array<ReturnType<typeof describe>> = [];
          fn.children.forEach((ev) => void evs.push(describe(ev)));
          fns.push({ ...describe(fn), children: evs });
        });
        out.push({ ...describe(folder), children: fns });
      });
      return out;
    },
    run: async (ids, options) => {
      if (loading) await loading;
      const include = ids?.map((id) => findItem(controller.items, id)).filter((i): i is vscode.TestItem => i !== undefined);
      const debug = options?.debug === true;
      const request = new vscode.TestRunRequest(include, undefined, debug ? debugProfile : runProfile);
      await runEvents(request, new vscode.CancellationTokenSource().token, debug);
    },
    outcomes: () => outcomes,
  };
}

function describeExpectation(read: ReadExpectation): string {
  if (read.kind === 'none') return 'no expectation';
  if (read.kind === 'invalid') return 'expectation file has a problem';
  const e = read.expectation;
  if (e.errorType !== undefined) return `expects ${e.errorType}`;
  if (!('response' in e)) return 'must not fail';
  return e.match === 'exact' ? 'snapshot' : 'subset';
}

/** An existing item, when it still points at the same place (a TestItem's uri cannot change). */
function reuse(item: vscode.TestItem | undefined, uri: vscode.Uri): vscode.TestItem | undefined {
  return item && item.uri?.toString() === uri.toString() ? item : undefined;
}

function itemIds(collection: vscode.TestItemCollection): string[] {
  const ids: string[] = [];
  collection.forEach((item) => void ids.push(item.id));
  return ids;
}

function findItem(collection: vscode.TestItemCollection, id: string): vscode.TestItem | undefined {
  let found: vscode.TestItem | undefined;
  collection.forEach((item) => {
    if (found) return;
    if (item.id === id) found = item;
    else found = findItem(item.children, id);
  });
  return found;
}

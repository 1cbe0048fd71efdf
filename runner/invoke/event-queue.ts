// Asynchronous (Event) invocations as Lambda handles them, kept on disk so that none is lost when the runner stops:
// the caller's 202 comes once the event is written under <workspace>/.open-runtime/events/; a function error is
// retried (MaximumRetryAttempts, about 1 then 2 minutes apart); an event older than MaximumEventAgeInSeconds is
// dropped; the OnSuccess / OnFailure destination gets Lambda's invocation record and the dead-letter queue the event.
// Events queued or running when the runner stopped run again at its next start: at least once, as in Lambda.
//
// On disk, one pair of files per event, named so that a directory listing is the arrival order:
//   events/<enqueuedAt base36>-<requestId>.json   {v, requestId, function, version, enqueuedAt, attempts, notBefore, state, size, clientContext?}
//   events/<enqueuedAt base36>-<requestId>.event  the payload, as the caller sent it
// The .event file is written first and the .json last (through a rename), so a .json always has its payload; an
// .event without its .json is an enqueue the runner did not finish (no 202 was sent) and is removed.
// Records for destinations that are not local functions: destinations/<target>/<time>-<requestId>.json; the
// dead-letter queue's messages: dead-letter/<target>/<time>-<requestId>.json.
//
// Memory: only each event's small index entry is held; a payload is read back when its attempt starts, and at
// most `concurrency` attempts per function are started at once.
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EventInvokeSettings, type Destination, type FunctionSpec } from '../functions/model.ts';
import { lambdaArn } from '../functions/arns.ts';
import type { Outcome } from '../environments/invocation.ts';
import { FunctionNotFoundError, RunnerClosingError, type EventQueue, type LocalLambda } from '../local-lambda.ts';

const MIB = 1024 * 1024;
/** What the queue holds at most, whichever comes first: enough for bursts, far below the machine's disk and memory. */
export const DEFAULT_MAX_EVENTS = 10_000;
export const DEFAULT_MAX_BYTES = 1024 * MIB;
/** Lambda waits at least a minute before the second attempt and two more before the third. */
export const RETRY_DELAYS_MS = [60_000, 120_000];

export interface EventQueueOptions {
  maxEvents?: number;
  maxBytes?: number;
  /**
   * Multiplies the retry delays and the events' age limits: 0.01 makes a minute 0.6 s (tests, impatient users).
   * From OPEN_RUNTIME_EVENT_TIME_SCALE by default.
   */
  timeScale?: number;
}

/** The queue's limits and time scale from the environment (README: "Asynchronous invocations"). */
export function eventQueueOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): EventQueueOptions {
  const number = (name: string) => (env[name] !== undefined && env[name] !== '' && Number(env[name]) > 0 ? Number(env[name]) : undefined);
  const maxMb = number('OPEN_RUNTIME_EVENT_QUEUE_MAX_MB');
  return {
    maxEvents: number('OPEN_RUNTIME_EVENT_QUEUE_MAX_EVENTS'),
    maxBytes: maxMb === undefined ? undefined : maxMb * MIB,
    timeScale: number('OPEN_RUNTIME_EVENT_TIME_SCALE'),
  };
}

/** The queue is at its limit: the caller gets 429 TooManyRequestsException. */
export class EventQueueFullError extends Error {}

type Condition = 'Success' | 'RetriesExhausted' | 'EventAgeExceeded';

interface Entry {
  v: 1;
  requestId: string;
  function: string;
  version: string;
  enqueuedAt: number;
  /** Attempts that ended (an attempt cut short by the runner stopping does not count). */
  attempts: number;
  notBefore: number;
  state: 'queued' | 'running';
  size: number;
  clientContext?: string | undefined;
  /** The caller's X-Amz-Tenant-Id and X-Amzn-Trace-Id, kept for every attempt. */
  tenantId?: string | undefined;
  traceHeader?: string | undefined;
}

/** Lambda's invocation record, as a destination receives it. */
export function invocationRecord(
  entry: { requestId: string; function: string; version: string; attempts: number },
  condition: Condition,
  payload: Buffer,
  outcome: Outcome | undefined,
): Record<string, unknown> {
  const record: Record<string, unknown> = {
    version: '1.0',
    timestamp: new Date().toISOString(),
    requestContext: { requestId: entry.requestId, functionArn: lambdaArn(entry.function, entry.version), condition, approximateInvokeCount: entry.attempts },
    requestPayload: jsonOrText(payload),
  };
  if (outcome) {
    record.responseContext = { statusCode: 200, executedVersion: entry.version, ...(outcome.ok ? {} : { functionError: 'Unhandled' }) };
    record.responsePayload = jsonOrText(outcome.body);
  }
  return record;
}

function jsonOrText(body: Buffer): unknown {
  const text = body.toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** A name that is safe as one path segment (ARNs have colons and slashes). */
function segment(text: string): string {
  return text.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 120) || '_';
}

export class DiskEventQueue implements EventQueue {
  readonly dir: string;
  private readonly root: string;
  private readonly lambda: LocalLambda;
  private readonly maxEvents: number;
  private readonly maxBytes: number;
  private readonly timeScale: number;
  /** Every event kept, in arrival order. */
  private readonly entries = new Map<string, Entry>();
  /** Events being written (their 202 not sent yet): they count against the limits. */
  private reserved = { events: 0, bytes: 0 };
  private bytes = 0;
  /** Attempts started per function: never more than its concurrency. */
  private readonly active = new Map<string, number>();
  /** Last outcome of events waiting for a retry, for an EventAgeExceeded record (not kept across restarts). */
  private readonly lastOutcome = new Map<string, Outcome>();
  private timer: NodeJS.Timeout | undefined;
  private wakeAt = Infinity;
  private closed = false;
  /** Functions defined since the queue opened: only their removal drops events. */
  private defined = new Set<string>();
  /** Functions removed (not just broken) and not defined again: their events are dropped. */
  private removed = new Set<string>();

  /** `root`: the workspace's .open-runtime folder. */
  constructor(lambda: LocalLambda, root: string, options: EventQueueOptions = {}) {
    this.lambda = lambda;
    this.root = root;
    this.dir = join(root, 'events');
    this.maxEvents = options.maxEvents ?? DEFAULT_MAX_EVENTS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.timeScale = options.timeScale ?? 1;
  }

  /** Reads what an earlier run left: queued events wait again, running ones run again. */
  async open(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const names = (await readdir(this.dir)).sort();
    const described = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -5)));
    const restored = new Map<string, { queued: number; rerun: number }>();
    for (const name of names) {
      if (name.endsWith('.tmp') || (name.endsWith('.event') && !described.has(name.slice(0, -6)))) {
        await rm(join(this.dir, name), { force: true });
        continue;
      }
      if (!name.endsWith('.json')) continue;
      let entry: Entry;
      try {
        entry = JSON.parse(await readFile(join(this.dir, name), 'utf8')) as Entry;
      } catch {
        await this.removeFiles(name.slice(0, -5));
        continue;
      }
      const counts = restored.get(entry.function) ?? { queued: 0, rerun: 0 };
      restored.set(entry.function, counts);
      if (entry.state === 'running') counts.rerun++;
      else counts.queued++;
      entry.state = 'queued';
      this.entries.set(name.slice(0, -5), entry);
      this.bytes += entry.size;
    }
    for (const [fn, { queued, rerun }] of restored) {
      const waiting = this.lambda.getFunction(fn) ? '' : ` They wait: function ${fn} is not defined now.`;
      this.log(
        fn,
        undefined,
        `${queued + rerun} asynchronous events restored from ${this.dir}${rerun ? ` (${rerun} were running when the runner stopped: they run again)` : ''}.${waiting}`,
      );
    }
    this.functionsChanged();
  }

  async enqueue(
    fn: FunctionSpec,
    payload: Buffer,
    clientContext: string | undefined,
    caller: { tenantId?: string | undefined; traceHeader?: string | undefined } = {},
  ): Promise<string> {
    if (this.closed) throw new RunnerClosingError('The runner is shutting down; invoke again once it has restarted.');
    const events = this.entries.size + this.reserved.events;
    const bytes = this.bytes + this.reserved.bytes;
    if (events + 1 > this.maxEvents || bytes + payload.length > this.maxBytes) {
      throw new EventQueueFullError(
        `The local queue of asynchronous invocations is full: ${events} events (${(bytes / MIB).toFixed(1)} MB) wait in ${this.dir}, and it keeps at most ` +
          `${this.maxEvents} events or ${Math.round(this.maxBytes / MIB)} MB. Retry once some have run, or raise OPEN_RUNTIME_EVENT_QUEUE_MAX_EVENTS / OPEN_RUNTIME_EVENT_QUEUE_MAX_MB.`,
      );
    }
    this.reserved.events++;
    this.reserved.bytes += payload.length;
    const requestId = crypto.randomUUID();
    const enqueuedAt = Date.now();
    const id = `${enqueuedAt.toString(36).padStart(9, '0')}-${requestId}`;
    const entry: Entry = {
      v: 1,
      requestId,
      function: fn.name,
      version: fn.version,
      enqueuedAt,
      attempts: 0,
      notBefore: enqueuedAt,
      state: 'queued',
      size: payload.length,
      clientContext,
      tenantId: caller.tenantId,
      traceHeader: caller.traceHeader,
    };
    try {
      await writeFile(join(this.dir, `${id}.event`), payload);
      await this.persist(id, entry);
    } finally {
      this.reserved.events--;
      this.reserved.bytes -= payload.length;
    }
    this.entries.set(id, entry);
    this.bytes += entry.size;
    this.pump();
    return requestId;
  }

  /**
   * Events of a function that was defined and no longer is are dropped, with a line saying so. A function that is
   * missing because its definition has an error, or was not defined when the runner started, keeps its events.
   */
  functionsChanged(): void {
    const now = new Set(this.lambda.listFunctions().map((fn) => fn.name));
    const broken = (name: string) => this.lambda.definitionErrors.some((e) => e.message.startsWith(`Function "${name}" `));
    const removed = new Set([...this.defined].filter((name) => !now.has(name) && !broken(name)));
    this.defined = new Set([...this.defined].filter((name) => !removed.has(name)).concat([...now]));
    this.removed = new Set([...this.removed, ...removed].filter((name) => !now.has(name)));
    const dropped = new Map<string, string[]>();
    for (const [id, entry] of this.entries) {
      if (entry.state !== 'queued' || !removed.has(entry.function)) continue;
      dropped.set(entry.function, [...(dropped.get(entry.function) ?? []), id]);
    }
    for (const [fn, ids] of dropped) {
      for (const id of ids) void this.forget(id);
      this.log(fn, undefined, `${ids.length} queued asynchronous event${ids.length === 1 ? ' was' : 's were'} dropped: function ${fn} is no longer defined.`);
    }
    this.pump();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    await rm(this.lockFile, { force: true });
  }

  private get lockFile(): string {
    return join(this.dir, 'runner.pid');
  }

  /** Takes the workspace's queue for this process; answers the pid of a live runner that has it. */
  async lock(): Promise<number | undefined> {
    await mkdir(this.dir, { recursive: true });
    try {
      await writeFile(this.lockFile, String(process.pid), { flag: 'wx' });
      return undefined;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number((await readFile(this.lockFile, 'utf8').catch(() => '')).trim());
    if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) return holder;
    // Left by a runner that did not stop cleanly.
    await writeFile(this.lockFile, String(process.pid));
    return undefined;
  }

  /** How many events are kept (tests, the bench). */
  get size(): number {
    return this.entries.size;
  }

  // ---- running events ----------------------------------------------------------------------------------------

  /** Starts every event that is due while its function has room; wakes up again when the next one is due. */
  private pump(): void {
    if (this.closed) return;
    const now = Date.now();
    let next = Infinity;
    const full = new Set<string>();
    for (const [id, entry] of this.entries) {
      if (entry.state !== 'queued' || full.has(entry.function)) continue;
      if (entry.notBefore > now) {
        next = Math.min(next, entry.notBefore);
        continue;
      }
      const fn = this.lambda.getFunction(entry.function);
      if (!fn) continue; // functionsChanged drops it
      const active = this.active.get(fn.name) ?? 0;
      if (active >= fn.concurrency) {
        full.add(fn.name);
        continue;
      }
      this.active.set(fn.name, active + 1);
      entry.state = 'running';
      void this.attempt(id, entry, fn)
        .catch((err: Error) => {
          // The event can't be run (its files are unreadable, the disk is full): said once, and not retried forever.
          this.log(fn.name, entry.requestId, `Asynchronous event ${entry.requestId} was dropped: it could not be run (${err.message}).`);
          return this.forget(id).catch(() => undefined);
        })
        .finally(() => {
          const left = (this.active.get(fn.name) ?? 1) - 1;
          if (left > 0) this.active.set(fn.name, left);
          else this.active.delete(fn.name);
          this.pump();
        });
    }
    if (next !== this.wakeAt) {
      clearTimeout(this.timer);
      this.wakeAt = next;
      if (next !== Infinity) {
        this.timer = setTimeout(
          () => {
            this.wakeAt = Infinity;
            this.pump();
          },
          Math.max(0, next - now),
        );
        this.timer.unref();
      }
    }
  }

  private async attempt(id: string, entry: Entry, fn: FunctionSpec): Promise<void> {
    const settings = settingsOf(fn);
    const tooOld = () => Date.now() - entry.enqueuedAt > settings.maximumEventAgeSeconds * 1000 * this.timeScale;
    if (tooOld()) return this.expire(id, entry, fn);
    await this.persist(id, entry);
    const payload = await readFile(join(this.dir, `${id}.event`));
    let outcome: Outcome;
    try {
      // Over the function's concurrency it waits for the next free slot: Lambda's retry of a throttled event.
      let expired = false;
      const abandonIf = () => ((expired = tooOld()) ? 'The event is older than its MaximumEventAgeInSeconds.' : undefined);
      const inv = this.lambda.invoke(fn.name, payload, {
        queue: true,
        clientContext: entry.clientContext,
        tenantId: entry.tenantId,
        traceHeader: entry.traceHeader,
        requestId: entry.requestId,
        abandonIf,
      });
      outcome = (await inv.completed).outcome;
      if (expired && !this.closed) return this.expire(id, entry, fn);
    } catch (err) {
      if (err instanceof RunnerClosingError || this.closed) return;
      if (err instanceof FunctionNotFoundError) return this.functionGone(id, entry, fn);
      throw err;
    }
    // Cut short by the runner stopping: it stays on disk as running and runs again at the next start.
    if (this.closed) return;
    if (!this.lambda.getFunction(fn.name)) return this.functionGone(id, entry, fn);
    entry.attempts++;
    if (outcome.ok) return this.end(id, entry, fn, 'Success', payload, outcome);
    if (entry.attempts <= settings.maximumRetryAttempts) {
      const delayMs = RETRY_DELAYS_MS[Math.min(entry.attempts, RETRY_DELAYS_MS.length) - 1]! * this.timeScale;
      entry.notBefore = Date.now() + delayMs;
      entry.state = 'queued';
      this.lastOutcome.set(id, outcome);
      this.log(
        fn.name,
        entry.requestId,
        `Asynchronous event ${entry.requestId}: attempt ${entry.attempts} of ${settings.maximumRetryAttempts + 1} failed (${outcome.errorType}); it is retried in ${formatDelay(delayMs)}.`,
      );
      return this.persist(id, entry);
    }
    this.log(
      fn.name,
      entry.requestId,
      `Asynchronous event ${entry.requestId} failed ${entry.attempts} time${entry.attempts === 1 ? '' : 's'} (${outcome.errorType}): no retries left.`,
    );
    return this.end(id, entry, fn, 'RetriesExhausted', payload, outcome);
  }

  /** The function went while this event was starting: dropped if it was removed, else it waits for its return. */
  private async functionGone(id: string, entry: Entry, fn: FunctionSpec): Promise<void> {
    if (this.removed.has(fn.name)) {
      this.log(fn.name, entry.requestId, `Asynchronous event ${entry.requestId} dropped: function ${fn.name} is no longer defined.`);
      return this.forget(id);
    }
    entry.state = 'queued';
    await this.persist(id, entry);
  }

  private async expire(id: string, entry: Entry, fn: FunctionSpec): Promise<void> {
    const seconds = settingsOf(fn).maximumEventAgeSeconds;
    this.log(
      fn.name,
      entry.requestId,
      `Asynchronous event ${entry.requestId} dropped: it is older than MaximumEventAgeInSeconds (${seconds} s${this.timeScale !== 1 ? `, scaled by ${this.timeScale}` : ''}) after ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}.`,
    );
    const payload = await readFile(join(this.dir, `${id}.event`));
    return this.end(id, entry, fn, 'EventAgeExceeded', payload, this.lastOutcome.get(id));
  }

  /** The event is done: its record goes to the destination (and the dead-letter queue on failure), then it is forgotten. */
  private async end(id: string, entry: Entry, fn: FunctionSpec, condition: Condition, payload: Buffer, outcome: Outcome | undefined): Promise<void> {
    const settings = settingsOf(fn);
    const destination = condition === 'Success' ? settings.onSuccess : settings.onFailure;
    try {
      if (destination)
        await this.deliver(fn, entry, destination, condition === 'Success' ? 'OnSuccess' : 'OnFailure', invocationRecord(entry, condition, payload, outcome));
      if (condition !== 'Success' && settings.deadLetter) await this.deadLetter(fn, entry, settings.deadLetter, payload, outcome);
    } catch (err) {
      this.log(fn.name, entry.requestId, `The record of asynchronous event ${entry.requestId} could not be delivered: ${(err as Error).message}`);
    }
    await this.forget(id);
  }

  private async deliver(fn: FunctionSpec, entry: Entry, destination: Destination, which: string, record: Record<string, unknown>): Promise<void> {
    const target = destination.type === 'Lambda' ? this.lambda.getFunction(destination.target) : undefined;
    if (target) {
      // Lambda invokes a destination function asynchronously: the record is an event of its own, kept like any other.
      const requestId = await this.enqueue(target, Buffer.from(JSON.stringify(record)), undefined);
      this.log(
        fn.name,
        entry.requestId,
        `${which} destination: function ${target.name} gets the record of ${entry.requestId} (${(record.requestContext as { condition: string }).condition}) as asynchronous event ${requestId}.`,
      );
      return;
    }
    const file = await this.writeRecord('destinations', destination.target, entry, record);
    this.log(
      fn.name,
      entry.requestId,
      `${which} destination ${destination.target} (${destination.type}) is not a local function, so nothing here can receive it: the record is in ${file}.`,
    );
  }

  /** A dead-letter queue gets the event itself, with Lambda's message attributes. */
  private async deadLetter(fn: FunctionSpec, entry: Entry, queue: Destination, payload: Buffer, outcome: Outcome | undefined): Promise<void> {
    const error = outcome && !outcome.ok ? (jsonOrText(outcome.body) as { errorMessage?: string }) : undefined;
    const message = {
      body: payload.toString('utf8'),
      messageAttributes: {
        RequestID: entry.requestId,
        ErrorCode: outcome && !outcome.ok ? '200' : 'EventAgeExceeded',
        ErrorMessage: error?.errorMessage ?? (outcome && !outcome.ok ? outcome.errorType : 'Event age exceeded'),
      },
    };
    const file = await this.writeRecord('dead-letter', queue.target, entry, message);
    this.log(
      fn.name,
      entry.requestId,
      `Dead-letter queue ${queue.target} (${queue.type}) is not local, so nothing here can receive it: the event is in ${file}.`,
    );
  }

  private async writeRecord(kind: string, target: string, entry: Entry, content: unknown): Promise<string> {
    const dir = join(this.root, kind, segment(target));
    await mkdir(dir, { recursive: true });
    const file = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${entry.requestId}.json`);
    await writeFile(file, `${JSON.stringify(content, null, 2)}\n`);
    return file;
  }

  // ---- files -------------------------------------------------------------------------------------------------

  private async persist(id: string, entry: Entry): Promise<void> {
    const file = join(this.dir, `${id}.json`);
    await writeFile(`${file}.tmp`, JSON.stringify(entry));
    await rename(`${file}.tmp`, file);
  }

  private async forget(id: string): Promise<void> {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.lastOutcome.delete(id);
    this.bytes -= entry.size;
    await this.removeFiles(id);
  }

  private async removeFiles(id: string): Promise<void> {
    // The description first: a payload without one is an unfinished enqueue, removed at the next start.
    await rm(join(this.dir, `${id}.json`), { force: true });
    await rm(join(this.dir, `${id}.event`), { force: true });
  }

  private log(fn: string, requestId: string | undefined, line: string): void {
    this.lambda.emit({ type: 'log', function: fn, requestId, line });
  }
}

function settingsOf(fn: FunctionSpec): EventInvokeSettings {
  return fn.eventInvoke ?? EventInvokeSettings.parse({});
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function formatDelay(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 ? 1 : 0)} s` : `${Math.round(ms)} ms`;
}

/**
 * Opens the queue of a workspace's `.open-runtime` folder and makes it the runner's. One runner per workspace keeps
 * the queue (events/runner.pid): a second one (a terminal `start` beside the editor's sidecar) would run the same
 * events twice, so it keeps its own events in memory instead, and says so.
 */
export async function useEventQueue(
  lambda: LocalLambda,
  root: string,
  options: EventQueueOptions = eventQueueOptionsFromEnv(),
): Promise<DiskEventQueue | undefined> {
  const queue = new DiskEventQueue(lambda, root, options);
  const holder = await queue.lock();
  if (holder !== undefined) {
    process.stderr.write(
      `Open Runtime: another runner (pid ${holder}) keeps the asynchronous invocations of this workspace in ${queue.dir}; ` +
        `this one keeps its own Event invocations in memory, where they are not retried and are lost when it stops.\n`,
    );
    return undefined;
  }
  lambda.eventQueue = queue;
  await queue.open();
  return queue;
}

// The one concurrency gate of a function (process environments and WASI components alike): how many of its
// invocations may run at once, who gets a slot when one frees, and when a caller is refused (429). Pure policy,
// like cargo-lambda's instance_pool.rs: no processes, no timers, no I/O, so its rules are tested as a table
// (test/unit/concurrency-gate.test.ts) apart from spawning.
//
// The rules, stated once:
//   1. A caller that cannot wait (RequestResponse) gets a slot if fewer than `limit` are taken, else it is refused.
//   2. A caller that can wait (a queued Event invocation) gets a slot the same way, else it waits, in arrival order.
//   3. A released slot goes to the oldest waiter first (it never becomes free while someone waits), so queued
//      events are not starved by callers that keep arriving.
//   4. A raised limit hands the new slots to waiters; a lowered one lets the running finish and refuses new ones.
//   5. A drained gate (runner closing, function removed) refuses everyone and hands its waiters back, with the
//      reason, to whoever owns them; their slots were never taken.
//   6. A slot is released exactly once; a retry on a fresh environment keeps the slot it has.

export type Admission = 'granted' | 'waiting' | 'refused' | 'drained';

export interface Waiter {
  /** Called once, when the waiter gets its slot. */
  grant(): void;
}

export class ConcurrencyGate<W extends Waiter = Waiter> {
  limit: number;
  private taken = 0;
  private readonly waiters: W[] = [];
  private drainedBecause: string | undefined;

  constructor(limit: number) {
    this.limit = limit;
  }

  get running(): number {
    return this.taken;
  }

  get waiting(): number {
    return this.waiters.length;
  }

  get drainReason(): string | undefined {
    return this.drainedBecause;
  }

  /** Rule 1: a slot now, or 'refused' (the caller answers 429). */
  tryAcquire(): Admission {
    if (this.drainedBecause !== undefined) return 'drained';
    if (this.taken < this.limit && this.waiters.length === 0) {
      this.taken++;
      return 'granted';
    }
    return 'refused';
  }

  /** Rule 2: a slot now ('granted', `grant` is not called), or later through `waiter.grant()`. */
  acquireOrWait(waiter: W): Admission {
    const now = this.tryAcquire();
    if (now !== 'refused') return now;
    this.waiters.push(waiter);
    return 'waiting';
  }

  /** A waiter that no longer wants its slot (its event was dropped). */
  cancel(waiter: W): boolean {
    const at = this.waiters.indexOf(waiter);
    if (at < 0) return false;
    this.waiters.splice(at, 1);
    return true;
  }

  /** Rule 3: the slot goes to the oldest waiter, or becomes free. */
  release(): void {
    if (this.taken === 0) throw new Error('ConcurrencyGate.release() without a slot taken: a slot was released twice.');
    this.taken--;
    this.grantWaiters();
  }

  /** Rule 4. */
  setLimit(limit: number): void {
    this.limit = limit;
    this.grantWaiters();
  }

  /** Rule 5: refuses from now on and returns the waiters, which were never granted a slot. */
  drain(reason: string): W[] {
    this.drainedBecause ??= reason;
    return this.waiters.splice(0);
  }

  private grantWaiters(): void {
    while (this.drainedBecause === undefined && this.taken < this.limit && this.waiters.length) {
      this.taken++;
      this.waiters.shift()!.grant();
    }
  }
}

/** The sentence of a refused caller, with the figures that explain it. */
export function throttleMessage(functionName: string, gate: ConcurrencyGate): string {
  return `Rate Exceeded. Function ${functionName} already runs ${gate.running} concurrent invocations (its concurrency limit is ${gate.limit}). Retry later, or raise its concurrency.`;
}

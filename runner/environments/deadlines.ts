// Deadlines of the hot path (a function's Timeout, API Gateway's integration timeout): one per invocation, almost
// always cancelled well before it falls. A Node timer per invocation cost the runner, at every invoke, a Timeout
// object and, since the one caller's timer was the only one of its duration, a timer list made, queued and dropped
// again (and the loop's timer re-armed). Deadlines of one duration fall in the order they were set, so each duration
// keeps its deadlines in a queue behind one timer, armed for the oldest, that re-arms itself only when it falls.
// Its timer does not keep the runner alive: whoever waits for a deadline has a socket or a process that does.

/** A deadline set by `setDeadline`; `cancel` is idempotent. */
export interface Deadline {
  cancel(): void;
}

class Entry implements Deadline {
  readonly at: number;
  readonly fire: () => void;
  private readonly queue: Set<Entry>;
  constructor(at: number, fire: () => void, queue: Set<Entry>) {
    this.at = at;
    this.fire = fire;
    this.queue = queue;
  }
  cancel(): void {
    this.queue.delete(this);
  }
}

class DeadlineQueue {
  /** Pending deadlines in the order they were set, which is the order they fall (one duration). */
  private readonly entries = new Set<Entry>();
  private timer: NodeJS.Timeout | undefined;
  private readonly ms: number;

  constructor(ms: number) {
    this.ms = ms;
  }

  add(fire: () => void): Deadline {
    const entry = new Entry(performance.now() + this.ms, fire, this.entries);
    this.entries.add(entry);
    // Armed already (for an earlier deadline, or one since cancelled): when it falls it re-arms for the oldest left.
    if (!this.timer && !this.falling) this.timer = setTimeout(this.fall, this.ms).unref();
    return entry;
  }

  private falling = false;

  private readonly fall = (): void => {
    this.timer = undefined;
    this.falling = true;
    try {
      // Within a millisecond is due: the timer runs on the loop's clock, which may trail this one by that much.
      const now = performance.now() + 1;
      for (const entry of this.entries) {
        if (entry.at > now) break;
        this.entries.delete(entry);
        entry.fire();
      }
    } finally {
      this.falling = false;
      // The oldest left (what a deadline's own work set meanwhile is among them).
      const oldest = this.entries.values().next().value;
      if (oldest) this.timer = setTimeout(this.fall, Math.max(1, Math.ceil(oldest.at - performance.now()))).unref();
    }
  };
}

const queues = new Map<number, DeadlineQueue>();

/** Calls `fire` in `ms` milliseconds unless the deadline is cancelled first (as setTimeout, for a duration used again and again). */
export function setDeadline(ms: number, fire: () => void): Deadline {
  let queue = queues.get(ms);
  if (!queue) {
    queue = new DeadlineQueue(ms);
    queues.set(ms, queue);
  }
  return queue.add(fire);
}

// The debugger ports of environments started ahead of their invocation (PreparedDebug in debug.ts), by the
// environment's id. The debug session starts as soon as the runner has the environment, and its configuration waits
// here for the port until the runtime says it waits for a debugger (`debug-ready`), or learns that the environment was
// discarded (the user left the picker). An id's entry lives from the session's start to the end of that start, so a
// configuration that comes to take its port after the discard still finds the answer instead of a port that never comes.

interface Entry {
  port: Promise<number | undefined>;
  settle(port: number | undefined): void;
}

export class PreparedPorts {
  private readonly entries = new Map<string, Entry>();

  private entry(id: string): Entry {
    let entry = this.entries.get(id);
    if (!entry) {
      let settle!: (port: number | undefined) => void;
      const port = new Promise<number | undefined>((resolve) => {
        settle = resolve;
      });
      entry = { port, settle };
      this.entries.set(id, entry);
    }
    return entry;
  }

  /** A session is being started for `id`: its configuration takes the port later (take). */
  expect(id: string): void {
    this.entry(id);
  }

  /** The runtime of `id` waits for a debugger on `port`. */
  ready(id: string, port: number): void {
    this.entry(id).settle(port);
  }

  /** The port of `id`'s session once its runtime waits for a debugger; undefined when the environment was discarded. */
  take(id: string): Promise<number | undefined> {
    return this.entry(id).port;
  }

  /** The start of `id`'s session is over (attached, or not started): nothing waits for its port any more. */
  done(id: string): void {
    this.entries.delete(id);
  }

  /**
   * `id`'s environment was discarded: a configuration still to take its port gets undefined (no session). With no
   * session being started, nothing will take it.
   */
  discard(id: string, sessionStarting: boolean): void {
    this.entries.get(id)?.settle(undefined);
    if (!sessionStarting) this.entries.delete(id);
  }

  /** How many ids are held (for tests: none is left behind). */
  get size(): number {
    return this.entries.size;
  }
}

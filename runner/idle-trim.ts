// Gives memory back when the runner goes quiet. After a busy period V8 keeps the pages its old generation grew into
// (10 MB and more after a few thousand invokes) and Node never tells it that the process is idle, so its own memory
// reducer does not run. A second after the last invocation ended, one last-resort collection (compacting, pages
// returned) brings a sidecar with warm environments back to what it holds at rest. It blocks ~10-20 ms, at a
// moment with nothing to do; an invoke that arrives during it waits that long.

const QUIET_MS = 1000;

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

export class IdleTrim {
  private readonly collect: Collect | undefined;
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  /** Without `--expose-gc` (RUNNER_NODE_FLAGS) there is no way to ask, and this does nothing. */
  constructor(collect = (globalThis as { gc?: Collect }).gc) {
    this.collect = collect;
  }

  /** An invocation ended: trim once the runner has been quiet for a second. */
  activity(): void {
    if (!this.collect) return;
    this.busy = true;
    if (this.timer) this.timer.refresh();
    else this.timer = setTimeout(() => this.trim(), QUIET_MS).unref();
  }

  private trim(): void {
    if (!this.busy) return;
    this.busy = false;
    this.collect!({ type: 'major', execution: 'sync', flavor: 'last-resort' });
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

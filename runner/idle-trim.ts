// Gives memory back when the runner goes quiet. After a busy period V8 keeps the pages its old generation grew into
// (10 MB and more after a few thousand invokes) and Node never tells it that the process is idle, so its own memory
// reducer does not run; and glibc's heap keeps the pages of blocks freed between live ones (7 MB and more), which
// only malloc_trim returns. A second after the last invocation ended, one last-resort collection (compacting, pages
// returned) and a malloc_trim bring a sidecar with warm environments back to what it holds at rest. It blocks
// ~10-20 ms, at a moment with nothing to do; an invoke that arrives during it waits that long.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { PACKAGE_ROOT } from './paths.ts';

const QUIET_MS = 1000;

type Collect = (options: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;
type Release = () => boolean;

/** malloc_trim, from the addon the build makes where it can (runner/malloc-trim.c); undefined elsewhere. */
export function loadMallocTrim(): Release | undefined {
  const addon = join(PACKAGE_ROOT, 'dist', 'malloc-trim.node');
  if (process.platform !== 'linux' || !existsSync(addon)) return undefined;
  try {
    return (createRequire(import.meta.url)(addon) as { mallocTrim: Release }).mallocTrim;
  } catch {
    return undefined; // built for another machine (architecture, libc): the runner does without
  }
}

export class IdleTrim {
  private readonly collect: Collect | undefined;
  private readonly release: Release | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the last invocation ended (performance.now()). */
  private lastActivity = 0;

  /** Without `--expose-gc` (RUNNER_NODE_FLAGS) there is no way to ask, and this does nothing. */
  constructor(collect = (globalThis as { gc?: Collect }).gc, release = collect ? loadMallocTrim() : undefined) {
    this.collect = collect;
    this.release = release;
  }

  /**
   * An invocation ended: trim once the runner has been quiet for a second. Called at every invocation, so it only
   * notes the time: the timer, armed at the first, looks again when it falls (re-arming a timer each time cost more).
   */
  activity(): void {
    if (!this.collect) return;
    this.lastActivity = performance.now();
    this.timer ??= setTimeout(this.check, QUIET_MS).unref();
  }

  private readonly check = (): void => {
    const quietMs = performance.now() - this.lastActivity;
    // Within a millisecond counts: the timer runs on the loop's clock, which may trail this one by that much.
    if (quietMs < QUIET_MS - 1) {
      this.timer = setTimeout(this.check, QUIET_MS - quietMs).unref();
      return;
    }
    this.timer = undefined;
    this.trim();
  };

  private trim(): void {
    this.collect!({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    // After the collection: it frees the off-heap memory of what it collected.
    this.release?.();
  }

  dispose(): void {
    clearTimeout(this.timer);
  }
}

// Stores still running after their reply, by source file. A miss replies before its result
// and manifest are written (storing never delays the build), so a request for the same source
// arriving at once (`make clean && make`, a test compiling twice) would miss behind its own
// store. Such a request waits for the source's pending stores first: a few milliseconds of
// local-disk writing instead of a second compile. Remote writes are not waited for (the tiered
// storage returns once local disk has the value).

/** how long a request waits for its source's stores at most */
const MAX_WAIT_MS = 2000;

export class PendingStores {
  private readonly bySource = new Map<string, Promise<void>>();

  /** @param track told about every store, so shutdown can wait for it */
  constructor(private readonly track: (work: Promise<unknown>) => void = () => {}) {}

  /** Registers background work storing results of `sourcePath` (an absolute path). */
  add(sourcePath: string, work: Promise<unknown>): void {
    this.track(work);
    const earlier = this.bySource.get(sourcePath);
    // settles when all of the source's stores have, whatever their outcome (errors are the
    // store's to report)
    const all = Promise.allSettled([earlier, work]).then(() => undefined);
    this.bySource.set(sourcePath, all);
    void all.then(() => {
      if (this.bySource.get(sourcePath) === all) this.bySource.delete(sourcePath);
    });
  }

  /** Resolves once every store of `sourcePath` registered so far has settled, or after
   *  `maxWaitMs` (a store stuck on a slow or full disk must not stall the next build step: the
   *  request then just misses); never rejects. Undefined when nothing is pending. */
  settled(sourcePath: string, maxWaitMs = MAX_WAIT_MS): Promise<void> | undefined {
    const pending = this.bySource.get(sourcePath);
    if (!pending) return undefined;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxWaitMs)));
    return Promise.race([pending, bound]).finally(() => clearTimeout(timer));
  }

  /** how many sources have stores running (for tests) */
  get size(): number {
    return this.bySource.size;
  }
}

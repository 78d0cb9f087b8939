// Stores still running after their reply, by source file. A miss replies before its result
// and manifest are written (storing never delays the build), so a request for the same source
// arriving at once (`make clean && make`, a test compiling twice) would miss behind its own
// store. Such a request waits for the source's pending stores first: a few milliseconds of
// local-disk writing instead of a second compile. Remote writes are not waited for (the tiered
// storage returns once local disk has the value).

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

  /** Resolves once every store of `sourcePath` registered so far has settled; never rejects. */
  settled(sourcePath: string): Promise<void> | undefined {
    return this.bySource.get(sourcePath);
  }

  /** how many sources have stores running (for tests and stats) */
  get size(): number {
    return this.bySource.size;
  }
}

// Local disk tier: one file per entry under <cacheDir>/objects/<2 hex>/<rest of key>.
// Writes go to a temp file in the same directory and are renamed into place, so readers (other
// servers or processes sharing the directory) see the whole entry or none. LRU by mtime: a hit
// touches the file (at most once a minute); eviction removes the oldest files once the size limit is passed.

import { closeSync, fstatSync, openSync, promises as fs, readSync } from 'node:fs';
import * as path from 'node:path';
import type { CacheStorage, LocalStorageUsage } from './storage';

const TEMP_MARKER = '.tmp-';
/** evict down to this fraction of the limit so eviction doesn't run on every put */
const EVICTION_TARGET = 0.9;
/** temp files older than this were left by a crashed writer */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** a hit touches its entry only when the entry's mtime is older than this */
export const TOUCH_AFTER_MS = 60_000;

let tempCounter = 0;

/** The file's bytes and mtime from one open: fstat gives the size to read and the age. */
function readWhole(file: string): { data: Buffer; modifiedMs: number } {
  const fd = openSync(file, 'r');
  try {
    const stat = fstatSync(fd);
    const data = Buffer.allocUnsafe(stat.size);
    let offset = 0;
    while (offset < data.length) {
      const read = readSync(fd, data, offset, data.length - offset, offset);
      if (read === 0) break; // truncated meanwhile: the entry's checksum catches it
      offset += read;
    }
    return { data: offset === data.length ? data : data.subarray(0, offset), modifiedMs: stat.mtimeMs };
  } finally {
    closeSync(fd);
  }
}

export class LocalDiskStorage implements CacheStorage {
  readonly name = 'local disk';
  private readonly objectsDir: string;
  private bytes = 0;
  private entries = 0;
  private scanned: Promise<void>;
  private eviction: Promise<void> | undefined;

  constructor(
    cacheDir: string,
    private readonly limitBytes: number,
    private readonly log: (message: string) => void = () => {},
    /** false for a reader that never reports usage or evicts (a hit server): skip the scan */
    scan = true,
  ) {
    this.objectsDir = path.join(cacheDir, 'objects');
    this.scanned = scan
      ? this.rescan().catch((error: Error) => this.log(`local disk: scan of ${this.objectsDir} failed: ${error.message}`))
      : Promise.resolve();
  }

  private entryPath(key: string): string {
    if (!/^[0-9a-f]{8,}$/.test(key)) throw new Error(`local disk: invalid cache key '${key}'`);
    return path.join(this.objectsDir, key.slice(0, 2), key.slice(2));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const file = this.entryPath(key);
    let data: Buffer;
    let modifiedMs: number;
    try {
      // synchronous: one open/read/close on the page cache beats four thread-pool round trips
      ({ data, modifiedMs } = readWhole(file));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`local disk: cannot read ${file}: ${(error as Error).message}`, { cause: error });
    }
    // recency for LRU eviction, to the minute: an entry touched less than TOUCH_AFTER_MS ago is
    // already among the newest (a rebuild right after a build then touches nothing). Failing to
    // touch only makes eviction less precise.
    const now = Date.now();
    if (now - modifiedMs >= TOUCH_AFTER_MS) fs.utimes(file, now / 1000, now / 1000).catch(() => {});
    return data;
  }

  async put(key: string, data: Buffer): Promise<void> {
    const file = this.entryPath(key);
    const temp = `${file}${TEMP_MARKER}${process.pid}-${tempCounter++}`;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
      await fs.writeFile(temp, data, { mode: 0o600 });
      const previous = await fs.stat(file).catch(() => undefined);
      await fs.rename(temp, file);
      this.bytes += data.length - (previous?.size ?? 0);
      if (!previous) this.entries++;
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => {});
      throw new Error(`local disk: cannot write ${file}: ${(error as Error).message}`, { cause: error });
    }
    if (this.bytes > this.limitBytes) void this.evict();
  }

  async remove(key: string): Promise<void> {
    const file = this.entryPath(key);
    const stat = await fs.stat(file).catch(() => undefined);
    await fs.rm(file, { force: true });
    if (stat) {
      this.bytes -= stat.size;
      this.entries--;
    }
  }

  async usage(): Promise<LocalStorageUsage> {
    await this.scanned;
    return { entries: this.entries, bytes: Math.max(0, this.bytes), limitBytes: this.limitBytes };
  }

  /** Empties the cache (warmcc -C). Entries being written concurrently may survive. */
  async clear(): Promise<{ removedFiles: number; removedBytes: number }> {
    await this.scanned;
    const files = await this.listEntries();
    let removedBytes = 0;
    for (const file of files) {
      await fs.rm(file.path, { force: true });
      removedBytes += file.size;
    }
    await this.rescan();
    return { removedFiles: files.length, removedBytes };
  }

  /** Removes least recently used entries until the cache is under EVICTION_TARGET of its limit.
   *  Re-lists the directory first: other servers may share it. Single-flight. */
  evict(): Promise<void> {
    this.eviction ??= (async () => {
      try {
        const files = await this.listEntries();
        let total = files.reduce((sum, file) => sum + file.size, 0);
        files.sort((a, b) => a.mtimeMs - b.mtimeMs);
        const target = this.limitBytes * EVICTION_TARGET;
        let removed = 0;
        for (const file of files) {
          if (total <= target) break;
          await fs.rm(file.path, { force: true });
          total -= file.size;
          removed++;
        }
        this.bytes = total;
        this.entries = files.length - removed;
        if (removed) this.log(`local disk: evicted ${removed} entries, now ${total} bytes of ${this.limitBytes}`);
      } catch (error) {
        this.log(`local disk: eviction failed: ${(error as Error).message}`);
      } finally {
        this.eviction = undefined;
      }
    })();
    return this.eviction;
  }

  private async rescan(): Promise<void> {
    const files = await this.listEntries();
    this.entries = files.length;
    this.bytes = files.reduce((sum, file) => sum + file.size, 0);
  }

  /** Every entry file with size and mtime; removes stale temp files on the way. */
  private async listEntries(): Promise<{ path: string; size: number; mtimeMs: number }[]> {
    const result: { path: string; size: number; mtimeMs: number }[] = [];
    let shards: string[];
    try {
      shards = await fs.readdir(this.objectsDir);
    } catch {
      return result;
    }
    const now = Date.now();
    for (const shard of shards) {
      const shardDir = path.join(this.objectsDir, shard);
      let names: string[];
      try {
        names = await fs.readdir(shardDir);
      } catch {
        continue;
      }
      for (const name of names) {
        const file = path.join(shardDir, name);
        const stat = await fs.stat(file).catch(() => undefined);
        if (!stat?.isFile()) continue;
        if (name.includes(TEMP_MARKER)) {
          if (now - stat.mtimeMs > STALE_TEMP_MS) await fs.rm(file, { force: true }).catch(() => {});
          continue;
        }
        result.push({ path: file, size: stat.size, mtimeMs: stat.mtimeMs });
      }
    }
    return result;
  }
}

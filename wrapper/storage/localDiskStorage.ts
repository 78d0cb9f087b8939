// Local disk tier: one file per entry under <cacheDir>/objects/<2 hex>/<rest of key>.
// Writes go to a temp file in the same directory and are renamed into place, so readers (other
// servers or processes sharing the directory) see the whole entry or none. LRU by mtime: a hit
// touches the file; eviction removes the oldest files once the size limit is passed.

import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { CacheStorage, LocalStorageUsage } from './storage';

const TEMP_MARKER = '.tmp-';
/** evict down to this fraction of the limit so eviction doesn't run on every put */
const EVICTION_TARGET = 0.9;
/** temp files older than this were left by a crashed writer */
const STALE_TEMP_MS = 60 * 60 * 1000;

let tempCounter = 0;

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
  ) {
    this.objectsDir = path.join(cacheDir, 'objects');
    this.scanned = this.rescan().catch((error: Error) => this.log(`local disk: scan of ${this.objectsDir} failed: ${error.message}`));
  }

  private entryPath(key: string): string {
    if (!/^[0-9a-f]{8,}$/.test(key)) throw new Error(`local disk: invalid cache key '${key}'`);
    return path.join(this.objectsDir, key.slice(0, 2), key.slice(2));
  }

  async get(key: string): Promise<Buffer | undefined> {
    const file = this.entryPath(key);
    let data: Buffer;
    try {
      // synchronous: one open/read/close on the page cache beats four thread-pool round trips
      data = readFileSync(file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`local disk: cannot read ${file}: ${(error as Error).message}`);
    }
    // recency for LRU eviction; failing to touch only makes eviction less precise
    const now = new Date();
    fs.utimes(file, now, now).catch(() => {});
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
      throw new Error(`local disk: cannot write ${file}: ${(error as Error).message}`);
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

// The hash cache of direct mode: a source's or header's content hash, with what a scan of its
// directives tells (time macros, __has_include probes, #embed, ...), kept in memory by
// (path, size, mtime, ctime, inode) so an unchanged header is read once per server life.
// Files changed too recently to trust are hashed but not kept.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { scanDirectives, type DirectiveScan } from './directiveScan';

export interface HashedFile extends DirectiveScan {
  hash: string;
  mtimeMs: number;
  ctimeMs: number;
}

const MAX_ENTRIES = 100_000;

/** File timestamps come from the kernel's coarse clock, which lags the real time by up to a
 *  tick (4 ms at HZ=250, 10 ms at HZ=100; 2.9 ms measured here): a write just after a compile
 *  started may be stamped just before it. */
export const TIMESTAMP_SLACK_MS = 12;

/**
 * Whether a file may have changed after a compile started reading at `startMs` (wall clock), so
 * that what it read is not known (ccache's rule: mtime or ctime at or after the compile's
 * start; ctime because a file replaced by rename keeps its old mtime). A file written a moment
 * before the compile, and not since, is trusted: its content is hashed, not its timestamp.
 * Whole-second timestamps (a file system without finer ones) compare by the second.
 */
export function changedSinceStart(stat: { mtimeMs: number; ctimeMs: number }, startMs: number): boolean {
  const latest = Math.max(stat.mtimeMs, stat.ctimeMs);
  if (stat.mtimeMs % 1000 === 0 && stat.ctimeMs % 1000 === 0) return Math.floor(latest / 1000) >= Math.floor(startMs / 1000);
  return latest >= startMs - TIMESTAMP_SLACK_MS;
}

/** What a cached hash is valid for: the file as stat'ed (ccache's inode cache key). */
export interface CachedHash {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  facts: HashedFile;
}

const cache = new Map<string, CachedHash>();
/** told about every file read and hashed (not served from the cache): a debug log line */
let onHashed: ((file: string) => void) | undefined;

export function observeHashing(listener: ((file: string) => void) | undefined): void {
  onHashed = listener;
}

/** The cached hashes, oldest first (to keep them across restarts: hashCacheFile.ts). */
export function cachedHashes(): IterableIterator<[string, CachedHash]> {
  return cache.entries();
}

/** Puts hashes read back from disk into the cache (kept ones win: they are newer). */
export function restoreCachedHashes(entries: Iterable<[string, CachedHash]>): number {
  let restored = 0;
  for (const [file, entry] of entries) {
    if (cache.has(file) || cache.size >= MAX_ENTRIES) continue;
    cache.set(file, entry);
    restored++;
  }
  return restored;
}

/** whether the cache changed since the last call (a hash was added) */
let changed = false;
export function takeCacheChanged(): boolean {
  const was = changed;
  changed = false;
  return was;
}

/** undefined when the file does not exist (or is not a regular file) */
export function hashedFile(file: string): HashedFile | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  const cached = cache.get(file);
  if (
    cached &&
    cached.size === stat.size &&
    cached.mtimeMs === stat.mtimeMs &&
    cached.ctimeMs === stat.ctimeMs &&
    cached.ino === stat.ino &&
    cached.dev === stat.dev
  ) {
    return cached.facts;
  }
  const content = fs.readFileSync(file);
  onHashed?.(file);
  const facts: HashedFile = {
    hash: createHash('sha256').update(content).digest('hex'),
    // latin1: the bytes as they are, one char each
    ...scanDirectives(content, content.toString('latin1')),
    mtimeMs: stat.mtimeMs,
    ctimeMs: stat.ctimeMs,
  };
  // A file changed within the current timestamp tick may change again within it, leaving the
  // same size, mtime, ctime and inode: trust the stat key only for files whose timestamps are
  // older than that (ctime too: a replacement by rename keeps its old mtime).
  if (!changedSinceStart(stat, Date.now())) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.delete(file); // re-inserted last: the map's order is the order of use
    cache.set(file, { dev: stat.dev, ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, facts });
    changed = true;
  }
  return facts;
}

// Existence checks for direct mode's absent candidates: directory listings kept in memory while
// a directory's mtime and inode are unchanged, so a manifest's thousands of "must not exist"
// paths cost one stat per directory, not one per path.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { changedSinceStart } from './fileHashCache';

const MAX_ENTRIES = 100_000;

/** Directory listings by path, valid while the directory's mtime (ns) and inode are unchanged:
 *  adding or removing an entry changes the directory's mtime. */
const listings = new Map<string, { mtimeNs: bigint; ino: bigint; names: Set<string> }>();

function listing(dir: string): Set<string> | undefined {
  let stat: fs.BigIntStats;
  try {
    stat = fs.statSync(dir, { bigint: true });
  } catch {
    return undefined;
  }
  if (!stat.isDirectory()) return undefined;
  const cached = listings.get(dir);
  if (cached && cached.mtimeNs === stat.mtimeNs && cached.ino === stat.ino) return cached.names;
  let names: Set<string>;
  try {
    names = new Set(fs.readdirSync(dir));
  } catch {
    return undefined;
  }
  // a directory changed within the current timestamp tick may change again within it
  if (!changedSinceStart({ mtimeMs: Number(stat.mtimeNs) / 1e6, ctimeMs: Number(stat.ctimeNs) / 1e6 }, Date.now())) {
    if (listings.size >= MAX_ENTRIES) listings.clear();
    listings.set(dir, { mtimeNs: stat.mtimeNs, ino: stat.ino, names });
  }
  return names;
}

/** An existence check for many paths at once (a manifest's absent candidates): one stat per
 *  distinct directory instead of one per path. Use a fresh checker per lookup. */
export function existenceChecker(): (file: string) => boolean {
  const seen = new Map<string, Set<string> | undefined>();
  return (file) => {
    const dir = path.dirname(file);
    if (!seen.has(dir)) seen.set(dir, listing(dir));
    return seen.get(dir)?.has(path.basename(file)) ?? false;
  };
}

/** A path list split by directory, once per list: a cached manifest's lists come back on every
 *  hit, and splitting hundreds of paths per hit showed in profiles. */
const byDirectory = new WeakMap<readonly string[], [dir: string, names: string[]][]>();

function groupedByDirectory(files: readonly string[]): [dir: string, names: string[]][] {
  let groups = byDirectory.get(files);
  if (!groups) {
    const map = new Map<string, string[]>();
    for (const file of files) {
      // absolute paths (manifests resolve theirs): a slice, not path.dirname's normalising
      const slash = file.lastIndexOf('/');
      const dir = slash <= 0 ? path.dirname(file) : file.slice(0, slash);
      const name = file.slice(slash + 1);
      const names = map.get(dir);
      if (names) names.push(name);
      else map.set(dir, [name]);
    }
    groups = [...map];
    byDirectory.set(files, groups);
  }
  return groups;
}

/** Does the per-list work of anyExists ahead of time (when a manifest is stored, not in the
 *  next build's lookup). */
export function prepareExistenceCheck(files: readonly string[]): void {
  groupedByDirectory(files);
}

/** Whether any of the paths exists, the way existenceChecker sees them (directory listings). */
export function anyExists(files: readonly string[]): boolean {
  return groupedByDirectory(files).some(([dir, names]) => {
    const listed = listing(dir);
    return listed !== undefined && names.some((name) => listed.has(name));
  });
}

export function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}

/** Whether a file that exists now may have appeared or changed after `startMs` (the rule of
 *  fileHashCache.ts changedSinceStart); false when it cannot be stat'ed. */
export function changedSince(file: string, startMs: number): boolean {
  try {
    return changedSinceStart(fs.statSync(file), startMs);
  } catch {
    return false;
  }
}

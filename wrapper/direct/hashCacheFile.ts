// The file hash cache kept across server restarts (ccache's inode cache): a restarted server, or
// one started after a reboot, finds the hashes and directive scans of unchanged headers without
// reading them again, so its first rebuild is as fast as the later ones. One file per cache
// directory, written whole (temp file, rename) by the main server at shutdown and every minute
// while hashes are added; read by every server and hit server at start.
//
// An entry is valid for the file as stat'ed then (device, inode, size, mtime, ctime: a write
// changes ctime, so changed content never matches), and only entries the in-memory cache itself
// trusted (settled files) are written. A file that does not parse, of another format, or of
// another scanner version is ignored whole: the cache is only ever a shortcut.

import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { cachedHashes, restoreCachedHashes, type CachedHash } from './fileHashCache';

/** bump when HashedFile or the directive scan changes: older files are then ignored */
const FORMAT = 'warmcc-file-hashes-1';
export const HASH_CACHE_FILE_NAME = 'file-hashes.json';
/** the most recently used entries kept on disk */
const MAX_SAVED = 50_000;
const HASH = /^[0-9a-f]{64}$/;

interface SavedCache {
  format: string;
  /** [path, dev, ino, size, mtimeMs, ctimeMs, facts] */
  entries: [string, number, number, number, number, number, CachedHash['facts']][];
}

function isEntry(value: unknown): value is SavedCache['entries'][number] {
  if (!Array.isArray(value) || value.length !== 7 || typeof value[0] !== 'string') return false;
  if (!value.slice(1, 6).every((n) => typeof n === 'number' && Number.isFinite(n))) return false;
  const facts = value[6] as Partial<CachedHash['facts']> | null;
  return typeof facts === 'object' && facts !== null && typeof facts.hash === 'string' && HASH.test(facts.hash) && typeof facts.probes === 'object';
}

/** Reads the saved hashes into the in-memory cache; returns how many, or why none. */
export function loadHashCache(cacheDir: string): number | string {
  const file = path.join(cacheDir, HASH_CACHE_FILE_NAME);
  let saved: Partial<SavedCache>;
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<SavedCache>;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 0 : `${file}: ${(error as Error).message}`;
  }
  if (saved.format !== FORMAT || !Array.isArray(saved.entries)) return `${file}: not of format ${FORMAT}`;
  const entries = saved.entries
    .filter(isEntry)
    .map(([name, dev, ino, size, mtimeMs, ctimeMs, facts]): [string, CachedHash] => [name, { dev, ino, size, mtimeMs, ctimeMs, facts }]);
  return restoreCachedHashes(entries);
}

/** Writes the cache (its most recently used entries) atomically. */
export function saveHashCache(cacheDir: string): void {
  const all = [...cachedHashes()];
  const entries = all
    .slice(Math.max(0, all.length - MAX_SAVED))
    .map(([name, c]): SavedCache['entries'][number] => [name, c.dev, c.ino, c.size, c.mtimeMs, c.ctimeMs, c.facts]);
  const file = path.join(cacheDir, HASH_CACHE_FILE_NAME);
  const temp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  fs.mkdirSync(cacheDir, { recursive: true, mode: 0o700 });
  try {
    fs.writeFileSync(temp, JSON.stringify({ format: FORMAT, entries } satisfies SavedCache), { mode: 0o600, flag: 'wx' });
    fs.renameSync(temp, file);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    throw error;
  }
}

// What direct mode needs to know about a source or header: its content hash, whether it uses
// the time macros, and whether it changed too recently to trust. Kept in memory by
// (path, size, mtime, ctime, inode), so an unchanged header is read once per server life.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

export interface FileFacts {
  hash: string;
  /** __TIME__, __DATE__ or __TIMESTAMP__ appears in the file */
  usesTimeMacros: boolean;
  mtimeMs: number;
}

/** a file modified this recently may still change within the same mtime tick (ccache's rule) */
export const TOO_RECENT_MS = 2000;
const TIME_MACROS = ['__TIME__', '__DATE__', '__TIMESTAMP__'].map((macro) => Buffer.from(macro));
const MAX_ENTRIES = 100_000;

interface Cached {
  size: number;
  mtimeMs: number;
  ctimeMs: number;
  ino: number;
  facts: FileFacts;
}

const cache = new Map<string, Cached>();

/** undefined when the file does not exist (or is not a regular file) */
export function fileFacts(file: string): FileFacts | undefined {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  if (!stat.isFile()) return undefined;
  const cached = cache.get(file);
  if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs && cached.ctimeMs === stat.ctimeMs && cached.ino === stat.ino) {
    return cached.facts;
  }
  const content = fs.readFileSync(file);
  const facts: FileFacts = {
    hash: createHash('sha256').update(content).digest('hex'),
    usesTimeMacros: TIME_MACROS.some((macro) => content.includes(macro)),
    mtimeMs: stat.mtimeMs,
  };
  if (cache.size >= MAX_ENTRIES) cache.clear();
  cache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, facts });
  return facts;
}

export function exists(file: string): boolean {
  try {
    fs.statSync(file);
    return true;
  } catch {
    return false;
  }
}

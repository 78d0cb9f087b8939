// What direct mode needs to know about a source or header: its content hash, whether it uses
// the time macros, and whether it changed too recently to trust. Kept in memory by
// (path, size, mtime, ctime, inode), so an unchanged header is read once per server life.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export interface FileFacts {
  hash: string;
  /** __TIME__, __DATE__ or __TIMESTAMP__ appears in the file */
  usesTimeMacros: boolean;
  /** header names probed with __has_include/__has_include_next: their absence matters too;
   *  'unparsable' when a probe's argument is not a literal name (e.g. a macro) */
  hasIncludeProbes: string[] | 'unparsable';
  /** `#pragma GCC dependency` (or its _Pragma form): whether it warns, or with -Werror fails,
   *  depends on another file's mtime, which no manifest records */
  usesDependencyPragma: boolean;
  /** an #include/#include_next that is not <...> ("..." or a macro): searched in the file's
   *  own directory first */
  hasQuoteIncludes: boolean;
  /** #embed or __has_embed (C23; gcc 15, clang 19): the embedded file leaves no line marker */
  usesEmbed: boolean;
  /** `.incbin` or `.include` (assembler directives, also in inline asm): the assembler reads a
   *  file the preprocessor never sees */
  usesAssemblerInput: boolean;
  mtimeMs: number;
}

/** a file modified this recently may still change within the same mtime tick (ccache's rule) */
export const TOO_RECENT_MS = 2000;
const TIME_MACROS = ['__TIME__', '__DATE__', '__TIMESTAMP__'].map((macro) => Buffer.from(macro));
const MAX_ENTRIES = 100_000;
const HAS_INCLUDE = '__has_include';
const DEPENDENCY_PRAGMA = /\bGCC\s+dependency\b/;
const ASSEMBLER_INPUT = /\.incbin\b|(?:^|["\s;])\.include\b/m;
const EMBED = /^[ \t]*#[ \t]*embed\b|__has_embed\b/m;
const QUOTE_INCLUDE = /^[ \t]*#[ \t]*include(?:_next)?[ \t]*[^<\s]/m;
const PROBE = /__has_include(?:_next)?\s*\(\s*(?:<([^>\n]+)>|"([^"\n]+)")\s*\)/y;
const PROBE_START = /__has_include(?:_next)?\s*\(/y;

/** Names probed by __has_include(<name>) / ("name"); `#ifdef __has_include` is not a probe. */
export function hasIncludeProbes(content: Buffer): string[] | 'unparsable' {
  if (!content.includes(HAS_INCLUDE)) return [];
  const text = content.toString('latin1');
  const names: string[] = [];
  for (let at = text.indexOf(HAS_INCLUDE); at >= 0; at = text.indexOf(HAS_INCLUDE, at + HAS_INCLUDE.length)) {
    PROBE_START.lastIndex = at;
    if (!PROBE_START.test(text)) continue;
    PROBE.lastIndex = at;
    const match = PROBE.exec(text);
    if (!match) return 'unparsable';
    names.push((match[1] ?? match[2])!.trim());
  }
  return names;
}

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
  const text = content.toString('latin1'); // one decoding for the directive scans below
  const facts: FileFacts = {
    hash: createHash('sha256').update(content).digest('hex'),
    usesTimeMacros: TIME_MACROS.some((macro) => content.includes(macro)),
    hasIncludeProbes: hasIncludeProbes(content),
    usesDependencyPragma: content.includes('dependency') && DEPENDENCY_PRAGMA.test(text),
    hasQuoteIncludes: QUOTE_INCLUDE.test(text),
    usesEmbed: content.includes('embed') && EMBED.test(text),
    usesAssemblerInput: (content.includes('.incbin') || content.includes('.include')) && ASSEMBLER_INPUT.test(text),
    mtimeMs: stat.mtimeMs,
  };
  // A file changed moments ago may change again within the same timestamp tick, leaving the
  // same size, mtime, ctime and inode: trust the stat key only for files settled since.
  // (ctime too: a replacement by rename keeps its old mtime)
  if (Math.max(stat.mtimeMs, stat.ctimeMs) < Date.now() - TOO_RECENT_MS) {
    if (cache.size >= MAX_ENTRIES) cache.clear();
    cache.set(file, { size: stat.size, mtimeMs: stat.mtimeMs, ctimeMs: stat.ctimeMs, ino: stat.ino, facts });
  }
  return facts;
}

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
  // a directory changed within the last moments may change again within the same mtime tick
  if (Number(stat.mtimeNs / 1_000_000n) < Date.now() - TOO_RECENT_MS) {
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

/** whether the file's mtime is later than `sinceMs` (false if it cannot be stat'ed); mtime, like
 *  the rule for recorded files, so that a file given an old mtime counts as settled */
export function modifiedSince(file: string, sinceMs: number): boolean {
  try {
    return fs.statSync(file).mtimeMs > sinceMs;
  } catch {
    return false;
  }
}

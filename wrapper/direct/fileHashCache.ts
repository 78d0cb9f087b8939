// The hash cache of direct mode: a source's or header's content hash, with what a scan of its
// directives tells (time macros, __has_include probes, #embed, ...), kept in memory by
// (path, size, mtime, ctime, inode) so an unchanged header is read once per server life.
// Files changed too recently to trust are hashed but not kept.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';

export interface HashedFile {
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
  facts: HashedFile;
}

const cache = new Map<string, Cached>();

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
  if (cached && cached.size === stat.size && cached.mtimeMs === stat.mtimeMs && cached.ctimeMs === stat.ctimeMs && cached.ino === stat.ino) {
    return cached.facts;
  }
  const content = fs.readFileSync(file);
  const text = content.toString('latin1'); // one decoding for the directive scans below
  const facts: HashedFile = {
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

// Direct mode's manifests (docs/architecture.md, "Direct mode"): under a direct key, the
// include sets seen by earlier compiles, each pointing at a result key. A manifest entry
// matches when every recorded file still has its content hash and every recorded absent
// candidate (a place where a header would shadow the one used) is still absent.

import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { CacheStorage } from '../storage/storage';
import { existenceChecker, exists, fileFacts, TOO_RECENT_MS } from './fileFacts';
import type { IncludedFile } from './includeFiles';
import type { SearchPath } from './includeSearchPath';

const MAGIC = Buffer.from('WCM1', 'ascii');
const HEADER_LENGTH = MAGIC.length + 4;
/** newest first; older include sets of the same source and flags are dropped */
const MAX_ENTRIES = 16;

export interface ManifestEntry {
  /** [absolute path, sha256 of content] */
  files: [string, string][];
  /** absolute paths that must not exist */
  absent: string[];
  resultKey: string;
}

export interface Manifest {
  entries: ManifestEntry[];
}

export function encodeManifest(manifest: Manifest): Buffer {
  const json = Buffer.from(JSON.stringify(manifest));
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(zlib.crc32(json), MAGIC.length);
  return Buffer.concat([header, json]);
}

/** undefined for anything that is not an intact manifest */
export function decodeManifest(bytes: Buffer): Manifest | undefined {
  if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const json = bytes.subarray(HEADER_LENGTH);
  if (zlib.crc32(json) !== bytes.readUInt32LE(MAGIC.length)) return undefined;
  try {
    const manifest = JSON.parse(json.toString('utf8')) as Manifest;
    return Array.isArray(manifest.entries) ? manifest : undefined;
  } catch {
    return undefined;
  }
}

export async function readManifest(storage: CacheStorage, directKey: string): Promise<Manifest | undefined> {
  const bytes = await storage.get(directKey);
  return bytes ? decodeManifest(bytes) : undefined;
}

/** The result key of the first entry whose files and absences still hold. */
export function matchManifest(manifest: Manifest): string | undefined {
  const present = existenceChecker();
  for (const entry of manifest.entries) {
    if (entry.files.every(([file, hash]) => fileFacts(file)?.hash === hash) && !entry.absent.some(present)) {
      return entry.resultKey;
    }
  }
  return undefined;
}

export type RecordRefusal = 'file modified too recently' | 'time macros' | 'include file unreadable' | '__has_include with a computed name';

/**
 * Builds the entry for a compile whose preprocessed output named `includes`. Absent candidates,
 * recorded only if absent now:
 * - for each header: the same relative name in every search directory before the one it was
 *   found in, and in the includer directories (searched first for #include "..."): the
 *   directories of the source and of every non-system header;
 * - the directories the compiler ignored because they did not exist (their appearance changes
 *   the search path);
 * - every name probed with __has_include, in all those directories (a failed probe leaves no
 *   line marker, yet a header created there later changes the preprocessing).
 */
export function buildManifestEntry(
  source: string,
  includes: IncludedFile[],
  searchPath: SearchPath,
  resultKey: string,
  allowTimeMacros: boolean,
  now = Date.now(),
): ManifestEntry | RecordRefusal {
  const files: [string, string][] = [];
  const probes: { file: string; names: string[] }[] = [];
  for (const file of new Set([source, ...includes.map((include) => include.file)])) {
    const facts = fileFacts(file);
    if (!facts) return 'include file unreadable';
    if (facts.mtimeMs > now - TOO_RECENT_MS) return 'file modified too recently';
    if (facts.usesTimeMacros && !allowTimeMacros) return 'time macros';
    if (facts.hasIncludeProbes === 'unparsable') return '__has_include with a computed name';
    if (facts.hasIncludeProbes.length) probes.push({ file, names: facts.hasIncludeProbes });
    files.push([file, facts.hash]);
  }
  const searchDirs = [...new Set([...searchPath.quote, ...searchPath.angle])];
  const under = (file: string, dir: string): boolean => file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
  const includerDirs = [...new Set([source, ...includes.filter((include) => !include.system).map((include) => include.file)].map((file) => path.dirname(file)))];

  const present = existenceChecker();
  const absent = new Set<string>(searchPath.missing.filter((dir) => !exists(dir)));
  // A candidate whose directory does not exist either is recorded as its highest missing
  // ancestor: that must appear before the candidate can, and it collapses the many
  // "<includer>/bits/x.h" candidates into one name in a directory that exists (one cached
  // listing per lookup instead of a failed stat per missing directory).
  const addIfAbsent = (candidate: string): void => {
    if (present(candidate)) return;
    let root = candidate;
    for (let parent = path.dirname(root); parent !== root && parent !== '/' && !present(parent); parent = path.dirname(root)) root = parent;
    absent.add(root);
  };
  for (const { file } of includes) {
    searchDirs.forEach((dir, index) => {
      if (!under(file, dir)) return;
      const relative = file.slice(dir.replace(/\/$/, '').length + 1);
      for (const candidateDir of [...includerDirs, ...searchDirs.slice(0, index)]) {
        const candidate = path.join(candidateDir, relative);
        if (candidateDir !== dir && candidate !== file) addIfAbsent(candidate);
      }
    });
  }
  for (const { file, names } of probes) {
    for (const dir of new Set([path.dirname(file), ...includerDirs, ...searchDirs])) {
      for (const name of names) addIfAbsent(path.join(dir, name));
    }
  }
  return { files, absent: [...absent], resultKey };
}

/** Adds an entry (newest first, bounded); an entry with the same result replaces its old self. */
export function withEntry(manifest: Manifest | undefined, entry: ManifestEntry): Manifest {
  const others = (manifest?.entries ?? []).filter((old) => old.resultKey !== entry.resultKey);
  return { entries: [entry, ...others].slice(0, MAX_ENTRIES) };
}

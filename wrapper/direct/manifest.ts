// Direct mode's manifests (docs/architecture.md, "Direct mode"): under a direct key, the
// include sets seen by earlier compiles, each pointing at a result key. A manifest entry
// matches when every recorded file still has its content hash and every recorded absent
// candidate (a place where a header would shadow the one used) is still absent.

import * as path from 'node:path';
import * as zlib from 'node:zlib';
import type { CacheStorage } from '../storage/storage';
import { anyExists, modifiedSince, existenceChecker, exists, fileFacts, prepareExistenceCheck, TOO_RECENT_MS } from './fileHashCache';
import type { IncludedFile } from './lineMarkers';
import type { SearchPath } from './includeSearchPath';

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

// Stored form (WCM2): magic, u32 length and CRC-32 of the body, then the body compressed with
// brotli (quality 4). The body is JSON made of tables: directories; unique (directory, name, hash)
// files; unique (directory, name) absent candidates; and entries that list indices into them.
// A C++ manifest names a few hundred files and thousands of absent candidates in a few dozen
// directories, and its entries share most of them. Chosen by bench/manifestCodecs.ts
// (docs/benchmarks.md, "Manifest encoding").
const MAGIC = Buffer.from('WCM2', 'ascii');
const HEADER_LENGTH = MAGIC.length + 8;
/** refuse to inflate beyond this (a corrupt length or a decompression bomb) */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } };
const HASH = /^[0-9a-f]{64}$/;

interface CompactManifest {
  dirs: string[];
  /** flat [directory index, base name, hash, ...] */
  files: (number | string)[];
  /** flat [directory index, base name, ...] */
  absent: (number | string)[];
  /** indices into files (per triple) and absent (per pair), as runs: [first, count, ...] */
  entries: { resultKey: string; files: number[]; absent: number[] }[];
}

/** [3, 4, 5, 9] -> [3, 3, 9, 1]: an entry's new files get consecutive indices */
function toRuns(indices: number[]): number[] {
  const runs: number[] = [];
  for (const index of indices) {
    const last = runs.length - 2;
    if (last >= 0 && runs[last]! + runs[last + 1]! === index) runs[last + 1]!++;
    else runs.push(index, 1);
  }
  return runs;
}

/** undefined unless `runs` is a list of in-range [first, count] pairs */
function fromRuns<T>(table: T[], runs: unknown): T[] | undefined {
  if (!Array.isArray(runs) || runs.length % 2 !== 0) return undefined;
  const picked: T[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const [first, count] = [runs[i] as number, runs[i + 1] as number];
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1 || first + count > table.length) return undefined;
    for (let index = first; index < first + count; index++) picked.push(table[index]!);
  }
  return picked;
}

/** Tables of directories, files and absent paths, each stored once, entries by index. */
export function compactManifest(manifest: Manifest): CompactManifest {
  const compact: CompactManifest = { dirs: [], files: [], absent: [], entries: [] };
  const dirs = new Map<string, number>();
  const split = (file: string): [number, string] => {
    // absolute, or relative to the working directory under WARMCC_BASEDIRS (baseDirs.ts)
    const slash = file.lastIndexOf('/');
    const dir = slash < 0 ? '.' : file.slice(0, slash);
    let index = dirs.get(dir);
    if (index === undefined) {
      dirs.set(dir, (index = dirs.size));
      compact.dirs.push(dir);
    }
    return [index, file.slice(slash + 1)];
  };
  const files = new Map<string, number>();
  const absent = new Map<string, number>();
  const indexOf = (table: Map<string, number>, id: string, add: () => void): number => {
    let index = table.get(id);
    if (index === undefined) {
      table.set(id, (index = table.size));
      add();
    }
    return index;
  };
  for (const entry of manifest.entries) {
    compact.entries.push({
      resultKey: entry.resultKey,
      files: toRuns(entry.files.map(([file, hash]) => indexOf(files, `${file}\0${hash}`, () => compact.files.push(...split(file), hash)))),
      absent: toRuns(entry.absent.map((file) => indexOf(absent, file, () => compact.absent.push(...split(file))))),
    });
  }
  return compact;
}

/** The inverse of compactManifest; undefined for anything malformed (never trusted blindly:
 *  the bytes come from a shared cache directory). */
export function expandManifest(compact: unknown): Manifest | undefined {
  const { dirs, files, absent, entries } = (compact ?? {}) as Partial<CompactManifest>;
  if (!Array.isArray(dirs) || !dirs.every((dir) => typeof dir === 'string') || !Array.isArray(entries)) return undefined;
  /** the paths of a flat [dir, name, (hash)] table; stride 3 also checks each hash */
  const paths = (flat: unknown, stride: 2 | 3): string[] | undefined => {
    if (!Array.isArray(flat) || flat.length % stride !== 0) return undefined;
    const result: string[] = [];
    for (let i = 0; i < flat.length; i += stride) {
      const dir = dirs[flat[i] as number];
      const name = flat[i + 1];
      if (dir === undefined || !Number.isInteger(flat[i]) || typeof name !== 'string' || name === '' || name.includes('/')) return undefined;
      if (stride === 3 && !(typeof flat[i + 2] === 'string' && HASH.test(flat[i + 2] as string))) return undefined;
      result.push(`${dir}/${name}`);
    }
    return result;
  };
  const filePaths = paths(files, 3);
  const absentPaths = paths(absent, 2);
  if (!filePaths || !absentPaths) return undefined;
  const fileTable = filePaths.map((file, index): [string, string] => [file, files![index * 3 + 2] as string]);
  const manifest: Manifest = { entries: [] };
  for (const entry of entries as Partial<CompactManifest['entries'][number]>[]) {
    if (typeof entry?.resultKey !== 'string' || entry.resultKey === '') return undefined;
    const entryFiles = fromRuns(fileTable, entry.files);
    const entryAbsent = fromRuns(absentPaths, entry.absent);
    if (!entryFiles || !entryAbsent) return undefined;
    manifest.entries.push({ files: entryFiles, absent: entryAbsent, resultKey: entry.resultKey });
  }
  return manifest;
}

export function encodeManifest(manifest: Manifest): Buffer {
  const body = Buffer.from(JSON.stringify(compactManifest(manifest)));
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(body.length, MAGIC.length);
  header.writeUInt32LE(zlib.crc32(body), MAGIC.length + 4);
  return Buffer.concat([header, zlib.brotliCompressSync(body, BROTLI)]);
}

/** undefined for anything that is not an intact manifest of this format (an older format is
 *  simply absent: the next compile records a new one) */
export function decodeManifest(bytes: Buffer): Manifest | undefined {
  if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const length = bytes.readUInt32LE(MAGIC.length);
  if (length > MAX_BODY_BYTES) return undefined;
  try {
    const body = zlib.brotliDecompressSync(bytes.subarray(HEADER_LENGTH), { maxOutputLength: Math.max(length, 1) });
    if (body.length !== length || zlib.crc32(body) !== bytes.readUInt32LE(MAGIC.length + 4)) return undefined;
    return expandManifest(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

/** Decoded manifests by key, with the bytes they came from: a rebuild reads the same manifests
 *  again, and decompressing and expanding one costs more than comparing its bytes. Callers never
 *  modify a manifest (withEntry builds a new one), so sharing the decoded object is safe. */
const decodedManifests = new Map<string, { bytes: Buffer; manifest: Manifest }>();
const DECODED_MANIFESTS_KEPT = 4096;

function keepDecoded(directKey: string, bytes: Buffer, manifest: Manifest): void {
  decodedManifests.delete(directKey);
  if (decodedManifests.size >= DECODED_MANIFESTS_KEPT) decodedManifests.delete(decodedManifests.keys().next().value!);
  decodedManifests.set(directKey, { bytes, manifest });
  // split the absent lists by directory now (after a miss's reply), not in the next build's lookup
  for (const entry of manifest.entries) prepareExistenceCheck(entry.absent);
}

export async function readManifest(storage: CacheStorage, directKey: string): Promise<Manifest | undefined> {
  const bytes = await storage.get(directKey);
  if (!bytes) return undefined;
  const known = decodedManifests.get(directKey);
  if (known?.bytes.equals(bytes)) return known.manifest;
  const manifest = decodeManifest(bytes);
  if (manifest) keepDecoded(directKey, bytes, manifest);
  else decodedManifests.delete(directKey);
  return manifest;
}

/** Stores a manifest and keeps it decoded: the rebuild after a cold build finds every manifest
 *  by comparing bytes, without decompressing and expanding it (a C++ manifest lists hundreds of
 *  files and thousands of absent candidates; decoding 81 of them took 25-47 ms of the first
 *  rebuild). */
export async function writeManifest(storage: CacheStorage, directKey: string, manifest: Manifest): Promise<void> {
  const bytes = encodeManifest(manifest);
  await storage.put(directKey, bytes);
  keepDecoded(directKey, bytes, manifest);
}

/** The result key of the first entry whose files and absences still hold. */
export function matchManifest(manifest: Manifest): string | undefined {
  for (const entry of manifest.entries) {
    if (entry.files.every(([file, hash]) => fileFacts(file)?.hash === hash) && !anyExists(entry.absent)) {
      return entry.resultKey;
    }
  }
  return undefined;
}

export type RecordRefusal =
  | 'file modified too recently'
  | 'time macros'
  | 'include file unreadable'
  | '__has_include with a computed name'
  | '#pragma GCC dependency'
  | 'no line markers (-P)'
  | 'specs file (-specs=)'
  | 'precompiled header'
  | '#embed'
  | 'assembler .incbin/.include';

/** Command lines whose compiles a manifest cannot describe: -P leaves the preprocessed output
 *  without the line markers that list the files read; a specs file can change the include path
 *  and the compile's options, and only its name is in the direct key. */
export function unsupportedInDirectMode(args: readonly string[]): RecordRefusal | undefined {
  if (args.includes('-P')) return 'no line markers (-P)';
  if (args.some((arg) => /^--?specs(=|$)/.test(arg))) return 'specs file (-specs=)';
  return undefined;
}

const PRECOMPILED = ['.gch', '.pch'];

/** Joins without lexical normalisation, so `..` resolves like the compiler's (through symlinks). */
function join(dir: string, relative: string): string {
  return dir.endsWith('/') ? `${dir}${relative}` : `${dir}/${relative}`;
}

/**
 * Builds the entry for a compile whose preprocessed output named `includes`. Absent candidates,
 * recorded only if absent now:
 * - for each header: the same relative name in every search directory before the one it was
 *   found in, and in the includer directories (searched first for #include "..."): the
 *   directories of the source and of every header that is not a system header or has quote
 *   includes, and the working directory
 *   (searched first for -include/-imacros files) when there are such flags;
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
    if (facts.usesDependencyPragma) return '#pragma GCC dependency';
    if (facts.usesEmbed) return '#embed';
    // the assembler reads those files: no line marker (direct mode) nor dependency (depend mode)
    if (facts.usesAssemblerInput) return 'assembler .incbin/.include';
    if (facts.hasIncludeProbes.length) probes.push({ file, names: facts.hasIncludeProbes });
    files.push([file, facts.hash]);
  }
  const searchDirs = [...new Set([...searchPath.quote, ...searchPath.angle])];
  const under = (file: string, dir: string): boolean => file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
  const includerDirs = [
    ...new Set([
      // system headers too when they have quote includes (e.g. under an -isystem directory)
      ...[source, ...includes.filter((include) => !include.system || fileFacts(include.file)?.hasQuoteIncludes).map((include) => include.file)].map((file) => path.dirname(file)),
      ...(searchPath.forcedIncludes ? [searchPath.forcedIncludes.cwd] : []),
    ]),
  ];

  const present = existenceChecker();
  const absent = new Set<string>(searchPath.missing.filter((dir) => !exists(dir)));
  // A candidate that appeared after the compile started (`now`) was not seen by the compiler,
  // yet would be by the next one: nothing recorded now could describe it.
  // A candidate whose directory does not exist either is recorded as its highest missing
  // ancestor: that must appear before the candidate can, and it collapses the many
  // "<includer>/bits/x.h" candidates into one name in a directory that exists (one cached
  // listing per lookup instead of a failed stat per missing directory).
  let appearedSince = false;
  const addIfAbsent = (candidate: string): void => {
    if (absent.has(candidate)) return;
    if (present(candidate)) {
      if (modifiedSince(candidate, now - TOO_RECENT_MS)) appearedSince = true;
      return;
    }
    let root = candidate;
    // stop at '..' and '.': a listing never names them, so they would always look absent
    const dotName = (file: string): boolean => file.endsWith('/..') || file.endsWith('/.');
    for (let parent = path.dirname(root); parent !== root && parent !== '/' && !dotName(parent) && !present(parent); parent = path.dirname(root)) root = parent;
    absent.add(root);
  };
  for (const { file } of includes) {
    searchDirs.forEach((dir, index) => {
      if (!under(file, dir)) return;
      const relative = file.slice(dir.replace(/\/$/, '').length + 1);
      for (const candidateDir of [...includerDirs, ...searchDirs.slice(0, index)]) {
        const candidate = join(candidateDir, relative);
        if (candidateDir !== dir && candidate !== file) addIfAbsent(candidate);
      }
    });
  }
  for (const { file, names } of probes) {
    for (const dir of new Set([path.dirname(file), ...includerDirs, ...searchDirs])) {
      for (const name of names) addIfAbsent(join(dir, name));
    }
  }
  // gcc compiles with header.h.gch instead of header.h when one appears next to it (but -E
  // reads the header), clang with header.h.pch/.gch for an -include: the manifest must stop
  // matching then
  for (const { file } of includes) for (const extension of PRECOMPILED) addIfAbsent(`${file}${extension}`);
  // clang loads a precompiled -include (its line markers then name the header it was built
  // from, not the .pch): a manifest could not notice the .pch going away or changing
  if (searchPath.forcedIncludes) {
    const { cwd, names } = searchPath.forcedIncludes;
    for (const name of names) {
      for (const dir of name.startsWith('/') ? [''] : [cwd, ...searchDirs]) {
        for (const extension of PRECOMPILED) {
          const candidate = dir ? join(dir, `${name}${extension}`) : `${name}${extension}`;
          if (present(candidate)) return 'precompiled header';
          absent.add(candidate);
        }
      }
    }
  }
  if (appearedSince) return 'file modified too recently';
  return { files, absent: [...absent], resultKey };
}

/** Adds an entry (newest first, bounded); an entry with the same result replaces its old self. */
export function withEntry(manifest: Manifest | undefined, entry: ManifestEntry): Manifest {
  const others = (manifest?.entries ?? []).filter((old) => old.resultKey !== entry.resultKey);
  return { entries: [entry, ...others].slice(0, MAX_ENTRIES) };
}

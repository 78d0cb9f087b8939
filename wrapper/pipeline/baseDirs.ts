// WARMCC_BASEDIRS: hits across checkouts. Absolute paths under a base dir are rewritten relative
// to the working directory — in the compiler's command line, hence in the key, the .d file and
// the debug info — and direct mode's manifests store such paths relative too, resolving them
// against the working directory of the compile that checks them. So /src/a/build and
// /src/b/build share results, and each checkout's lookup checks its own headers.

import * as path from 'node:path';
import { rewritePathArgs } from '../compilers/argParser';
import { expandResponseFiles } from '../compilers/responseFile';
import type { CacheableCompile, CompilerFamily } from '../compilers/types';
import type { ManifestEntry } from '../direct/manifest';

export interface Relocation {
  cwd: string;
  /** normalised absolute base dirs, longest first */
  baseDirs: string[];
  /** the working directory is under a base dir: the compile's results are shared with other
   *  checkouts, so nothing checkout-specific may go into its key */
  relocatable: boolean;
}

export function relocation(cwd: string, baseDirs: readonly string[]): Relocation {
  const sorted = [...baseDirs].sort((a, b) => b.length - a.length);
  return { cwd, baseDirs: sorted, relocatable: sorted.some((dir) => isUnder(cwd, dir)) };
}

function isUnder(file: string, dir: string): boolean {
  return file === dir || file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
}

/** The longest base dir containing `file`, if any. */
function baseDirOf(location: Relocation, file: string): string | undefined {
  return location.baseDirs.find((dir) => isUnder(file, dir));
}

/** An absolute path under a base dir, relative to the working directory ('.' for itself). */
export function relativeIfUnderBaseDir(location: Relocation, file: string): string {
  if (!path.isAbsolute(file) || !baseDirOf(location, path.normalize(file))) return file;
  return path.relative(location.cwd, file) || '.';
}

/** The compile's arguments with base-dir paths made relative; undefined when nothing changes
 *  (or a response file cannot be read: the parser reports that). */
export function rewriteArgsForBaseDirs(location: Relocation, family: CompilerFamily, args: string[]): string[] | undefined {
  if (location.baseDirs.length === 0) return undefined;
  const expanded = expandResponseFiles(args, location.cwd);
  if (!expanded.ok) return undefined;
  const rewritten = rewritePathArgs(family, expanded.args, (file) => relativeIfUnderBaseDir(location, file));
  return rewritten.some((arg, index) => arg !== args[index]) || rewritten.length !== args.length ? rewritten : undefined;
}

/**
 * Flags warmcc adds to a relocatable compile with debug info: DW_AT_comp_dir then reads "."
 * instead of this checkout's directory (the other paths in the debug info are already relative),
 * so the object is right for every checkout that receives it. Coverage notes and split DWARF
 * record the directory in ways no prefix map covers for both compilers: those keep the working
 * directory in their key instead (ccache's hash_dir), so they are only shared by checkouts at
 * the same path.
 */
export function debugPrefixMapArgs(location: Relocation, compile: CacheableCompile): string[] {
  if (!location.relocatable || !compile.debugInfo || compile.coverage || compile.splitDwarf) return [];
  return [`-fdebug-prefix-map=${location.cwd}=.`];
}

/** Manifest paths as stored: relative to the working directory when under a base dir. */
export function storableEntry(location: Relocation, entry: ManifestEntry): ManifestEntry {
  if (!location.relocatable) return entry;
  const store = (file: string): string => relativeIfUnderBaseDir(location, file);
  return { ...entry, files: entry.files.map(([file, hash]) => [store(file), hash]), absent: entry.absent.map(store) };
}

/** Stored manifest paths resolved against this compile's working directory. */
export function resolvedEntries(location: Relocation, entries: ManifestEntry[]): ManifestEntry[] {
  if (!location.relocatable) return entries;
  // kept per decoded manifest and working directory: resolving thousands of absent candidates
  // on every hit costs, and the same lists keep their split by directory (direct/directoryListings.ts)
  let byCwd = resolvedByCwd.get(entries);
  if (!byCwd) resolvedByCwd.set(entries, (byCwd = new Map<string, ManifestEntry[]>()));
  let resolved = byCwd.get(location.cwd);
  if (!resolved) {
    const resolve = (file: string): string => path.resolve(location.cwd, file);
    resolved = entries.map((entry) => ({
      ...entry,
      files: entry.files.map(([file, hash]): [string, string] => [resolve(file), hash]),
      absent: entry.absent.map(resolve),
    }));
    if (byCwd.size >= RESOLVED_CWDS_KEPT) byCwd.clear();
    byCwd.set(location.cwd, resolved);
  }
  return resolved;
}

const resolvedByCwd = new WeakMap<ManifestEntry[], Map<string, ManifestEntry[]>>();
/** working directories kept per manifest (a source compiled from a few directories) */
const RESOLVED_CWDS_KEPT = 8;

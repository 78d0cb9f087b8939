// What a new manifest entry records about a compile: the files it read with their hashes, and
// the absent candidates (where a header created later would be found instead of the one used).
// Or why no entry can describe the compile (counted under "Direct mode not used").

import * as path from 'node:path';
import { changedSince, existenceChecker, exists } from './directoryListings';
import { changedSinceStart, hashedFile, type HashedFile } from './fileHashCache';
import { resolveProbes } from './directiveScan';
import type { SearchPath } from './includeSearchPath';
import type { IncludedFile } from './lineMarkers';
import type { ManifestEntry } from './manifest';

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
export function newManifestEntry(
  source: string,
  includes: IncludedFile[],
  searchPath: SearchPath,
  resultKey: string,
  allowTimeMacros: boolean,
  now = Date.now(),
): ManifestEntry | RecordRefusal {
  const files: [string, string][] = [];
  const scans: { file: string; facts: HashedFile }[] = [];
  for (const file of new Set([source, ...includes.map((include) => include.file)])) {
    const facts = hashedFile(file);
    if (!facts) return 'include file unreadable';
    if (changedSinceStart(facts, now)) return 'file modified too recently';
    if (facts.usesTimeMacros && !allowTimeMacros) return 'time macros';
    if (facts.usesDependencyPragma) return '#pragma GCC dependency';
    if (facts.usesEmbed) return '#embed';
    // the assembler reads those files: no line marker (direct mode) nor dependency (depend mode)
    if (facts.usesAssemblerInput) return 'assembler .incbin/.include';
    scans.push({ file, facts });
    files.push([file, facts.hash]);
  }
  // __has_include probes, direct or through wrapper macros defined in any of the files
  const probed = resolveProbes(scans.map(({ facts }) => facts.probes));
  if (probed === 'computed') return '__has_include with a computed name';
  const probes = [...probed].map(([index, names]) => ({ file: scans[index]!.file, names }));
  const searchDirs = [...new Set([...searchPath.quote, ...searchPath.angle])];
  const under = (file: string, dir: string): boolean => file.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
  const includerDirs = [
    ...new Set([
      // system headers too when they have quote includes (e.g. under an -isystem directory)
      ...[source, ...includes.filter((include) => !include.system || hashedFile(include.file)?.hasQuoteIncludes).map((include) => include.file)].map((file) =>
        path.dirname(file),
      ),
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
      if (changedSince(candidate, now)) appearedSince = true;
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

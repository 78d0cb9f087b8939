// The compiler's include search path for a command line (`-E -v` on an empty input), so direct
// mode can record where a header would have been found *before* the one that was used: a file
// created there later must turn a manifest hit into a miss (the classic direct-mode trap).

import * as path from 'node:path';
import { PREPROCESSOR_ENVIRONMENT_VARIABLES } from '../keys/cacheKey';
import { exists } from './directoryListings';
import { runProcess } from '../pipeline/runProcess';

export interface SearchPath {
  /** searched for #include "..." before the angle list */
  quote: string[];
  /** searched for #include <...> (and for quotes after the quote list) */
  angle: string[];
  /** directories of the command line that the compiler ignored because they did not exist:
   *  if one appears later, the search path changes */
  missing: string[];
  /** -include/-imacros files as named on the command line, and the working directory, where
   *  the compiler looks for them first */
  forcedIncludes?: { cwd: string; names: string[] };
}

/** the file names of -include/-imacros (separate, concatenated or --name= forms) */
export function forcedIncludeNames(args: readonly string[]): string[] {
  const names: string[] = [];
  args.forEach((arg, index) => {
    const flag = /^--?(include|imacros)(=?)(.*)$/.exec(arg);
    if (!flag) return;
    const value = flag[3] || (flag[2] ? '' : args[index + 1]);
    if (value) names.push(value);
  });
  return names;
}

const searchPaths = new Map<string, Promise<SearchPath | undefined>>();
const MAX_ENTRIES = 512;

export function parseSearchPath(verboseStderr: string, cwd: string): SearchPath | undefined {
  const result: SearchPath = { quote: [], angle: [], missing: [] };
  let list: string[] | undefined;
  let ended = false;
  for (const line of verboseStderr.split('\n')) {
    const ignored = /^ignoring nonexistent directory "(.*)"$/.exec(line);
    if (ignored) result.missing.push(path.resolve(cwd, ignored[1]!));
    else if (line.startsWith('#include "..." search starts here:')) list = result.quote;
    else if (line.startsWith('#include <...> search starts here:')) list = result.angle;
    else if (line.startsWith('End of search list.')) {
      ended = true;
      list = undefined;
    } else if (list && line.startsWith(' ')) list.push(path.resolve(cwd, line.trim().replace(/ \(framework directory\)$/, '')));
  }
  return ended ? result : undefined;
}

export function includeSearchPath(
  compiler: string,
  preprocessorArgs: string[],
  language: string,
  cwd: string,
  env: Record<string, string | undefined>,
  retryIfStale = true,
): Promise<SearchPath | undefined> {
  // the include environment variables add directories, so they are part of what the path is for
  const includeEnvironment = PREPROCESSOR_ENVIRONMENT_VARIABLES.map((name) => env[name] ?? null);
  const key = JSON.stringify([compiler, cwd, language, preprocessorArgs, includeEnvironment]);
  let found = searchPaths.get(key);
  if (!found) {
    const forced = forcedIncludeNames(preprocessorArgs);
    found = runProcess(compiler, [...preprocessorArgs, '-E', '-v', '-x', language, '/dev/null'], { cwd, env }).then((result) => {
      const searchPath = result.code === 0 ? parseSearchPath(result.stderr.toString(), cwd) : undefined;
      return searchPath && forced.length ? { ...searchPath, forcedIncludes: { cwd: path.resolve(cwd), names: forced } } : searchPath;
    });
    if (searchPaths.size >= MAX_ENTRIES) searchPaths.clear();
    searchPaths.set(key, found);
    found.catch(() => searchPaths.delete(key));
  }
  return found.then((searchPath) => {
    // a directory that was missing exists now: the cached path is stale
    if (retryIfStale && searchPath?.missing.some(exists)) {
      searchPaths.delete(key);
      return includeSearchPath(compiler, preprocessorArgs, language, cwd, env, false);
    }
    return searchPath;
  });
}

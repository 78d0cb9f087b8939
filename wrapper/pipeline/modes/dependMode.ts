// Depend mode (WARMCC_DEPEND, ccache's depend_mode): direct mode whose misses never run the
// preprocessor either. The compile writes a dependency list (-MD); the result's key is the
// direct key plus every listed file's content (keys/cacheKey.ts computeDependKey), and the list
// becomes the manifest entry that finds it next time.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { CacheableCompile } from '../../compilers/types';
import { parseDependencyFile } from '../../direct/dependencyFile';
import { hashedFile } from '../../direct/fileHashCache';
import { computeDependKey } from '../../keys/cacheKey';
import { relativeIfUnderBaseDir } from '../baseDirs';
import type { CompiledMiss, CompileJob, DependencyKey, FileHash, Lookup, ManifestMiss, MissPlan } from '../stages';
import { DirectMode } from './directMode';

export class DependMode extends DirectMode {
  override readonly name = 'depend';

  override afterManifestMiss(job: CompileJob, miss: ManifestMiss): Promise<Lookup> {
    const { context, prepared } = job;
    // an unreadable source has no direct key: preprocessor mode reports what is wrong
    if (!miss.direct) return super.afterManifestMiss(job, miss);
    const refusal = dependModeRefusal(prepared.parsed, context.sloppySystemHeaders);
    if (refusal) {
      context.stats.directModeSkipped(refusal);
      return super.afterManifestMiss(job, miss);
    }
    const userFile = prepared.parsed.outputs.depFile;
    const plan: MissPlan = {
      keyed: 'after',
      directKey: miss.direct.computed.key,
      dependFile: userFile ?? temporaryDependencyFile(),
      temporaryDependFile: userFile === undefined,
    };
    return Promise.resolve({ kind: 'miss', plan, facts: { direct: miss.direct } });
  }
}

/** Why a compile cannot use depend mode (it then takes the preprocessor path), if it cannot. */
function dependModeRefusal(parsed: CacheableCompile, sloppySystemHeaders: boolean): string | undefined {
  // -MMD leaves system headers out of the list, and a second -MD cannot be added beside it
  const userDependenciesOnly = parsed.dependencyArgs.some((arg) => arg === '-MMD' || arg === '--write-user-dependencies');
  if (userDependenciesOnly && !sloppySystemHeaders) return 'depend mode: -MMD lists no system headers';
  return undefined;
}

let temporaryCount = 0;
function temporaryDependencyFile(): string {
  return path.join(os.tmpdir(), `warmcc-${process.pid}-${++temporaryCount}.d`);
}

/** Reads the dependency list a depend-mode compile wrote: the user's .d from the outputs just
 *  read (the build may rewrite the file right after the reply), else the temporary file, which
 *  is removed here. Undefined when it cannot be read. */
export function readDependencies(plan: MissPlan & { keyed: 'after' }, outputs: CompiledMiss['outputs']): string | undefined {
  if (!plan.temporaryDependFile) {
    return Array.isArray(outputs) ? outputs.find((output) => output.role === 'depFile')?.data.toString('utf8') : undefined;
  }
  try {
    return fs.readFileSync(plan.dependFile, 'utf8');
  } catch {
    return undefined;
  } finally {
    fs.rmSync(plan.dependFile, { force: true });
  }
}

/** The key of a depend-mode result: the direct key and the content of every file the compile's
 *  dependency list names (hashed now; the manifest entry recorded after the reply must find the
 *  same hashes, or nothing is stored). Undefined, and counted, when the list or a file in it
 *  cannot be read. */
export function dependencyKey(job: CompileJob, plan: MissPlan & { keyed: 'after' }, compiled: CompiledMiss): DependencyKey | undefined {
  const { request, context, prepared } = job;
  const files = compiled.dependencies === undefined ? undefined : parseDependencyFile(compiled.dependencies, request.cwd);
  if (!files) {
    context.stats.directModeSkipped('depend mode: unreadable dependency file');
    return undefined;
  }
  const filesRead: FileHash[] = [];
  for (const file of new Set([prepared.sourcePath, ...files])) {
    const hash = hashedFile(file)?.hash;
    if (!hash) {
      context.stats.directModeSkipped('include file unreadable');
      return undefined;
    }
    filesRead.push([file, hash]);
  }
  // paths as the manifest stores them, so relocatable compiles share the key
  const keyed = filesRead.map(([file, hash]): FileHash => [prepared.location.relocatable ? relativeIfUnderBaseDir(prepared.location, file) : file, hash]);
  const resultKey = computeDependKey(plan.directKey, keyed);
  const includes = files.filter((file) => file !== prepared.sourcePath).map((file) => ({ file, system: false }));
  return { resultKey, filesRead, keyedFiles: keyed, recording: { manifestKey: plan.directKey, resultKey, includes, trustedBefore: compiled.startedAt } };
}

// Preprocessor mode: run the preprocessor, key its output (keys/cacheKey.ts computeCacheKey), look
// the key up. Direct mode's misses take this path too, and then record what the compile read.

import { includedFiles } from '../../direct/lineMarkers';
import { computeCacheKey } from '../../keys/cacheKey';
import { hiddenInputReason } from '../hiddenInputs';
import { InputStamps } from '../inputStamps';
import { keyInputs } from '../prepare';
import { CLIENT_WENT_AWAY } from '../reply';
import { readResult } from '../resultEntries';
import { runProcess } from '../runProcess';
import type { CompileJob, DirectKey, Lookup, LookupFacts, ManifestRecording } from '../stages';
import type { LookupMode } from './mode';

export class PreprocessorMode implements LookupMode {
  readonly name = 'preprocessor';

  lookUp(job: CompileJob): Promise<Lookup> {
    return preprocessAndLookUp(job, undefined);
  }
}

/** The preprocessor's arguments: the user's, with dependency and colour flags removed. */
function preprocessArgs(job: CompileJob): string[] {
  const { parsed, identity, debugMap } = job.prepared;
  return [
    ...parsed.preprocessorArgs,
    // gcc writes the working directory into -g preprocessed output; it is mapped away in the object
    ...(debugMap.length && identity.family === 'gcc' ? ['-fno-working-directory'] : []),
    // gcc then marks where the compile would load a .gch instead of the header (hiddenInputs.ts)
    ...(identity.family === 'gcc' ? ['-fpch-preprocess'] : []),
    '-E',
    ...(parsed.explicitLanguage ? ['-x', parsed.language] : []),
    parsed.inputFile,
  ];
}

/** Preprocesses, keys the text and looks the key up. With `direct` (direct mode), what the
 *  compile read becomes a manifest entry under the direct key: at once on a hit, once the
 *  result is stored on a miss. */
export async function preprocessAndLookUp(job: CompileJob, direct: DirectKey | undefined): Promise<Lookup> {
  const { request, context, signal, prepared } = job;
  const base: LookupFacts = direct ? { direct } : {};
  const startedAt = Date.now();
  const run = await runProcess(prepared.compiler, preprocessArgs(job), { cwd: request.cwd, env: prepared.env, signal, umask: request.umask });
  if (signal.aborted) return { kind: 'refused', reply: CLIENT_WENT_AWAY, facts: base };
  // e.g. a missing header: the real compile reports it properly (and is not cached)
  if (run.code !== 0) return { kind: 'miss', plan: { keyed: 'never' }, facts: base };

  const hidden = hiddenInputReason(run.stdout, prepared.parsed.language);
  if (hidden) {
    context.stats.notCacheable(prepared.file, hidden);
    return { kind: 'refused', reply: { kind: 'runLocally', reason: hidden }, facts: base };
  }

  const computed = computeCacheKey({ ...keyInputs(request, prepared), preprocessed: run.stdout });
  const includes = includedFiles(run.stdout, request.cwd);
  const facts: LookupFacts = { ...base, preprocessed: { computed, includes, startedAt } };
  const recording: ManifestRecording | undefined = direct && {
    manifestKey: direct.computed.key,
    resultKey: computed.key,
    includes: context.sloppySystemHeaders ? includes.filter((include) => !include.system) : includes,
    trustedBefore: startedAt,
  };
  if (!prepared.recache) {
    const entry = await readResult(context, computed.key);
    if (entry) return { kind: 'hit', result: { resultKey: computed.key, entry, via: 'preprocessed' }, facts, recording };
  }
  const inputs = new InputStamps([prepared.sourcePath, ...includes.map((include) => include.file)]);
  return { kind: 'miss', plan: { keyed: 'before', resultKey: computed.key, inputs, recording }, facts };
}

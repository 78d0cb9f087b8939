// Direct mode (the default, like ccache's): the direct key (keys/cacheKey.ts computeDirectKey:
// the source's content and everything that steers the preprocessor) names a manifest of the
// include sets earlier compiles read; an entry whose files all still hold serves its result
// without a preprocessor run. Otherwise preprocessor mode runs, and what the compile read is
// recorded as a new entry.

import { hashedFile } from '../../direct/fileHashCache';
import { matchingEntry } from '../../direct/manifest';
import { readManifest } from '../../direct/manifestStore';
import { computeDirectKey } from '../../keys/cacheKey';
import { resolvedEntries } from '../baseDirs';
import { keyInputs } from '../prepare';
import { readResult } from '../resultEntries';
import type { CompileJob, DirectKey, Lookup, ManifestMiss } from '../stages';
import type { ManifestMode } from './mode';
import { preprocessAndLookUp } from './preprocessorMode';

export class DirectMode implements ManifestMode {
  readonly name: 'direct' | 'depend' = 'direct';

  async lookUp(job: CompileJob): Promise<Lookup> {
    const found = await lookUpManifest(job, false);
    return 'kind' in found ? found : this.afterManifestMiss(job, found);
  }

  afterManifestMiss(job: CompileJob, miss: ManifestMiss): Promise<Lookup> {
    return preprocessAndLookUp(job, miss.direct);
  }
}

/** The manifest lookup: a direct hit, or what the miss knows (`localOnly`: the storage searched
 *  is local disk alone, as in a hit server). */
export async function lookUpManifest(job: CompileJob, localOnly: boolean): Promise<(Lookup & { kind: 'hit' }) | ManifestMiss> {
  const { request, context, prepared } = job;
  const source = hashedFile(prepared.sourcePath);
  if (!source) return { direct: undefined, localOnly };
  const direct: DirectKey = { computed: computeDirectKey({ ...keyInputs(request, prepared), sourceHash: source.hash }), sourceHash: source.hash };
  if (prepared.recache) return { direct, localOnly };
  const manifest = await readManifest(context.storage, direct.computed.key).catch(() => undefined);
  const matched = manifest && matchingEntry({ entries: resolvedEntries(prepared.location, manifest.entries) });
  const entry = matched && (await readResult(context, matched.resultKey));
  if (!matched || !entry) return { direct, localOnly };
  return { kind: 'hit', result: { resultKey: matched.resultKey, entry, via: 'direct', filesRead: matched.files }, facts: { direct } };
}

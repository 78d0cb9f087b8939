// Stage 4, store: after the reply (storing never delays the build), a miss's result goes into the
// cache under its key, then the manifest entry that points at it. Registered as a pending store
// of the source: a request for the same source waits for it, and so does shutdown.

import type { CacheEntry } from '../storage/cacheEntry';
import { addManifestEntry } from '../direct/manifestStore';
import { manifestEntryFor, recordManifest } from './record';
import { storeResult } from './resultEntries';
import type { CompileJob, DependencyKey, FileHash, ManifestRecording } from './stages';

function inBackground(job: CompileJob, key: string, work: Promise<void>): void {
  const { context, prepared } = job;
  context.stores.add(
    prepared.sourcePath,
    work.catch((error: Error) => {
      context.stats.writeError();
      context.log(`cache write error for ${prepared.file} (${key}): ${error.message}`);
    }),
  );
}

/** A result whose key was known before the compile (preprocessor and direct mode). */
export function store(job: CompileJob, resultKey: string, entry: CacheEntry, recording: ManifestRecording | undefined): void {
  inBackground(
    job,
    resultKey,
    (async () => {
      await storeResult(job.context, resultKey, entry);
      if (recording) {
        await recordManifest(job, recording).catch((error: Error) => job.context.log(`cannot record the manifest for ${job.prepared.file}: ${error.message}`));
      }
    })(),
  );
}

const sameFiles = (a: readonly FileHash[], b: readonly FileHash[]): boolean =>
  a.length === b.length && a.every(([file, hash], i) => b[i]![0] === file && b[i]![1] === hash);

/** A depend-mode result: stored only with its manifest entry, which must list the files with the
 *  very hashes the key was computed from (a file changed since would make the key lie). */
export function storeDependResult(job: CompileJob, key: DependencyKey, entry: CacheEntry): void {
  inBackground(
    job,
    key.resultKey,
    (async () => {
      const manifestEntry = await manifestEntryFor(job, key.recording);
      if (!manifestEntry) return;
      if (!sameFiles(manifestEntry.files, key.keyedFiles)) {
        job.context.log(`not storing ${job.prepared.file}: a file it read changed after the compile`);
        return;
      }
      await storeResult(job.context, key.resultKey, entry);
      await addManifestEntry(job.context.storage, key.recording.manifestKey, manifestEntry);
    })(),
  );
}

// Stage 5, record: after the reply, what a compile read becomes a manifest entry under its
// direct key (so the next lookup needs no preprocessor), and the request goes into the journal
// (so `warmcc --explain` can say why it missed).

import { addManifestEntry } from '../direct/manifestStore';
import type { ManifestEntry } from '../direct/manifest';
import { newManifestEntry, unsupportedInDirectMode } from '../direct/manifestEntry';
import { includeSearchPath } from '../direct/includeSearchPath';
import { journalRecord } from '../explain/journalRecord';
import type { CompileRequest } from '../contract/protocol';
import { storableEntry } from './baseDirs';
import type { CompileContext } from './context';
import type { CompileReply } from './reply';
import type { CompileJob, ManifestRecording, StageResults } from './stages';

/** The manifest entry for what a compile read, paths stored for its base dir; undefined (and
 *  counted) when direct mode cannot trust it. */
export async function manifestEntryFor(job: CompileJob, recording: ManifestRecording): Promise<ManifestEntry | undefined> {
  const { request, context, prepared } = job;
  const { parsed, location } = prepared;
  const unsupported = unsupportedInDirectMode([...parsed.preprocessorArgs, ...parsed.keyArgs]);
  if (unsupported) {
    context.stats.directModeSkipped(unsupported);
    return undefined;
  }
  const searchPath = await includeSearchPath(prepared.compiler, parsed.preprocessorArgs, parsed.language, request.cwd, prepared.env);
  if (!searchPath) {
    context.stats.directModeSkipped('include search path unknown');
    return undefined;
  }
  const entry = newManifestEntry(prepared.sourcePath, recording.includes, searchPath, recording.resultKey, context.allowTimeMacros, recording.trustedBefore);
  if (typeof entry === 'string') {
    context.stats.directModeSkipped(entry);
    return undefined;
  }
  return storableEntry(location, entry);
}

/** Adds the manifest entry (no store waits for it; errors are logged). */
export async function recordManifest(job: CompileJob, recording: ManifestRecording): Promise<void> {
  const entry = await manifestEntryFor(job, recording);
  if (entry) await addManifestEntry(job.context.storage, recording.manifestKey, entry);
}

/** Records a manifest in the background, as a pending store of the source (a request for the
 *  same source arriving meanwhile waits for it). */
export function recordManifestInBackground(job: CompileJob, recording: ManifestRecording): void {
  const { context, prepared } = job;
  context.stores.add(
    prepared.sourcePath,
    recordManifest(job, recording).catch((error: Error) => context.log(`cannot record the manifest for ${prepared.file}: ${error.message}`)),
  );
}

/** Journals the request (its record is built after the reply goes out) and passes the reply
 *  on. Replies that are errors of the server itself (a client gone away) are not record. */
export function record(context: CompileContext, request: CompileRequest, results: StageResults, reply: CompileReply): CompileReply {
  if (reply.kind !== 'error') context.journal?.add(() => journalRecord(request, results, reply));
  return reply;
}

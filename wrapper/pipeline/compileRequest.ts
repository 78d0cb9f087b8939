// One compile request through its stages (docs/architecture.md opens with the picture):
//   prepare.ts → modes/ (look up) → restore.ts on a hit, or compile.ts on a miss → store.ts → record.ts
// Every failure of the cache itself ends in a correct build: a cache read error is a miss, a
// write error only costs the next hit, and anything unexpected answers "run it yourself".
// A hit server (server/hitServer.ts) runs the first stages of direct mode itself and hands a
// miss over, prepared and looked up, to the main server, which goes on from there.

import type { CompileRequest } from '../contract/protocol';
import { journalRecord } from '../explain/journalRecord';
import { plainDependencyTarget, storedOutputs } from '../outputs/dependencyTargets';
import { compile } from './compile';
import type { CompileContext } from './context';
import { dependencyKey } from './modes/dependMode';
import { lookUpManifest } from './modes/directMode';
import { isManifestMode, modeFor } from './modes/mode';
import { now, prepare, type PreparedCompile } from './prepare';
import { record, recordManifestInBackground } from './record';
import { restore } from './restore';
import { announce, CLIENT_WENT_AWAY, replayed, type CompileReply } from './reply';
import { InputStamps } from './inputStamps';
import type { CompileJob, Lookup, ManifestMiss, MissPlan, StageResults } from './stages';
import { store, storeDependResult } from './store';

export type { CompileReply } from './reply';

/** Serves a request from start to end; journals it (after the reply; see explain/journal.ts). */
export async function handleCompileRequest(request: CompileRequest, context: CompileContext, signal: AbortSignal): Promise<CompileReply> {
  const at = Date.now();
  try {
    const preparation = await prepare(request, context);
    const results: StageResults = { at, preparation };
    if (preparation.kind === 'refused') return record(context, request, results, preparation.reply);
    const job: CompileJob = { request, context, signal, prepared: preparation.prepared };
    // a miss of this source that replied moments ago may still be storing what we would hit
    await context.stores.settled(job.prepared.sourcePath);
    return await serve(job, results, await modeFor(context).lookUp(job));
  } catch (error) {
    context.journal?.add(() => journalRecord(request, { at }, error as Error));
    throw error;
  }
}

/** What a hit server hands over with a request it did not serve. */
export interface HandedOver {
  at: number;
  prepared: PreparedCompile;
  /** the manifest lookup in local disk, when it ran */
  manifestMiss?: ManifestMiss;
}

/** The main server's part of a request a hit server prepared (and looked up): the stages from
 *  where the hit server stopped. The manifest lookup runs again only when it may now find more:
 *  a store of the source was still running, or remote tiers hold manifests too. */
export async function continueHandedOver(
  request: CompileRequest,
  context: CompileContext,
  signal: AbortSignal,
  handedOver: HandedOver,
  remoteTiers: boolean,
): Promise<CompileReply> {
  const { at, prepared, manifestMiss } = handedOver;
  const results: StageResults = { at, preparation: { kind: 'prepared', prepared } };
  try {
    const job: CompileJob = { request, context, signal, prepared };
    const waited = context.stores.settled(prepared.sourcePath);
    if (waited) await waited;
    const mode = modeFor(context);
    const lookAgain = !manifestMiss || !isManifestMode(mode) || waited !== undefined || (manifestMiss.localOnly && remoteTiers);
    const lookup = lookAgain ? await mode.lookUp(job) : await mode.afterManifestMiss(job, manifestMiss);
    return await serve(job, results, lookup);
  } catch (error) {
    context.journal?.add(() => journalRecord(request, { at }, error as Error));
    throw error;
  }
}

export type HitServerAnswer =
  /** served here: a direct hit, or a call that is not cacheable */
  | { kind: 'reply'; reply: CompileReply }
  /** for the main server, with what was done so far */
  | { kind: 'handover'; handedOver?: HandedOver };

/** A hit server's share of a request: prepare, and in direct mode look the manifest up in local
 *  disk and restore a hit. Anything more (a preprocessor run, a remote tier, a compile, a store)
 *  is the main server's. Stats go through context.stats (the hit server sends them on). */
export async function serveInHitServer(request: CompileRequest, context: CompileContext, signal: AbortSignal): Promise<HitServerAnswer> {
  const at = Date.now();
  const preparation = await prepare(request, context);
  const results: StageResults = { at, preparation };
  if (preparation.kind === 'refused') return { kind: 'reply', reply: record(context, request, results, preparation.reply) };
  const { prepared } = preparation;
  if (!context.directMode || prepared.recache) return { kind: 'handover', handedOver: { at, prepared } };
  const job: CompileJob = { request, context, signal, prepared };
  const found = await lookUpManifest(job, true);
  if (!('kind' in found)) return { kind: 'handover', handedOver: { at, prepared, manifestMiss: found } };
  const reply = await restore(job, found.result);
  // outputs that cannot be written: the main server compiles and reports the real error
  if (!reply) return { kind: 'handover', handedOver: { at, prepared } };
  return { kind: 'reply', reply: record(context, request, { ...results, lookup: found.facts, served: found.result }, reply) };
}

/** Restore a hit, or compile the miss. */
async function serve(job: CompileJob, results: StageResults, lookup: Lookup): Promise<CompileReply> {
  const { request, context } = job;
  const looked: StageResults = { ...results, lookup: lookup.facts };
  if (lookup.kind === 'refused') return record(context, request, looked, lookup.reply);
  if (lookup.kind === 'miss') return compileMiss(job, looked, lookup.plan);
  const reply = await restore(job, lookup.result);
  if (!reply) return compileMiss(job, looked, planAfterFailedRestore(job, lookup));
  if (lookup.recording) recordManifestInBackground(job, lookup.recording);
  return record(context, request, { ...looked, served: lookup.result }, reply);
}

/** A hit whose outputs could not be written: compile, and store again under the same key (an
 *  entry that does not fit its request is replaced). */
function planAfterFailedRestore(job: CompileJob, hit: Lookup & { kind: 'hit' }): MissPlan {
  const read = hit.result.filesRead?.map(([file]) => file) ?? hit.facts.preprocessed?.includes.map((include) => include.file) ?? [];
  return { keyed: 'before', resultKey: hit.result.resultKey, inputs: new InputStamps([job.prepared.sourcePath, ...read]), recording: hit.recording };
}

async function compileMiss(job: CompileJob, results: StageResults, plan: MissPlan): Promise<CompileReply> {
  const { request, context, signal, prepared } = job;
  const { parsed, file } = prepared;
  const { stats } = context;
  const compiled = await compile(job, plan);
  if (signal.aborted) return CLIENT_WENT_AWAY;
  const { code, stdout, stderr } = compiled.process;
  const ms = now() - prepared.startedAt;
  const reply = replayed(parsed, request, code, stdout, stderr);
  if (code !== 0) {
    stats.compileFailed(file, parsed.language, ms);
    announce(context, request, parsed, 'compile failed', stderr);
    return record(context, request, results, reply);
  }
  announce(context, request, parsed, 'miss', stderr);
  if (plan.keyed === 'never') {
    stats.notCacheable(file, 'preprocessor failed but compile succeeded');
    return record(context, request, { ...results, unkeyed: true }, reply);
  }
  stats.miss(file, parsed.language, ms, prepared.recache);
  context.debug(`miss ${file} ${plan.keyed === 'before' ? plan.resultKey.slice(0, 12) : '(depend mode)'} ${ms.toFixed(1)}ms`);
  const { outputs } = compiled;
  if (!Array.isArray(outputs)) {
    stats.writeError();
    context.log(`not storing ${file}: ${outputs?.message ?? 'no outputs'}`);
    return record(context, request, results, reply);
  }
  const files = storedOutputs(parsed, outputs);
  if (!files) {
    context.log(`not storing ${file}: its dependency file does not start with the target ${plainDependencyTarget(parsed)}`);
    return record(context, request, results, reply);
  }
  const entry = { files, stdout, stderr, compileMs: compiled.process.ms };
  if (plan.keyed === 'before') {
    const changed = plan.inputs.changedFile();
    if (changed) context.log(`not storing ${file}: ${changed} changed while it compiled`);
    else store(job, plan.resultKey, entry, plan.recording);
    return record(context, request, results, reply);
  }
  const key = dependencyKey(job, plan, compiled);
  if (key) storeDependResult(job, key, entry);
  return record(context, request, { ...results, dependencyKey: key }, reply);
}

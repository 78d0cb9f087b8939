// The values the stages of a compile request hand each other (compileRequest.ts runs them):
// prepare → look up (one of modes/) → restore a hit, or compile a miss → store → record.
// Each stage returns one of these instead of filling in shared state; the journal record is
// assembled from them at the end (explain/journalRecord.ts).

import type { CompileRequest } from '../contract/protocol';
import type { IncludedFile } from '../direct/lineMarkers';
import type { ComputedKey } from '../keys/cacheKey';
import type { CacheEntry } from '../storage/cacheEntry';
import type { CompileContext } from './context';
import type { InputStamps } from './inputStamps';
import type { Preparation, PreparedCompile } from './prepare';
import type { CompileReply } from './reply';
import type { ProcessResult } from './runProcess';

/** [absolute path, sha256 of content] */
export type FileHash = [file: string, hash: string];

/** One prepared request on its way through the stages. */
export interface CompileJob {
  request: CompileRequest;
  context: CompileContext;
  /** aborted when the client goes away: running compilers are killed */
  signal: AbortSignal;
  prepared: PreparedCompile;
}

/** Direct mode's key: the source's content and everything that steers the preprocessor. */
export interface DirectKey {
  computed: ComputedKey;
  sourceHash: string;
}

/** A manifest lookup that found nothing to serve (a hit server hands the request over with it). */
export interface ManifestMiss {
  /** undefined when the source could not be read (then direct mode does not apply) */
  direct: DirectKey | undefined;
  /** only local disk was searched (a hit server): the remote tiers may still have a manifest */
  localOnly: boolean;
}

/** The preprocessor run of preprocessor mode (and of direct mode's misses). */
export interface Preprocessed {
  computed: ComputedKey;
  /** the files its line markers name, read once (megabytes of text for C++) */
  includes: IncludedFile[];
  /** wall-clock ms when it started: a file modified after may not be what it read */
  startedAt: number;
}

/** What the journal keeps of a lookup, whichever mode ran it. */
export interface LookupFacts {
  direct?: DirectKey;
  preprocessed?: Preprocessed;
}

/** A result found in the cache. */
export interface CachedResult {
  resultKey: string;
  entry: CacheEntry;
  via: 'direct' | 'preprocessed';
  /** the files the compile read with their hashes, when known without preprocessing (a direct
   *  hit's manifest entry) */
  filesRead?: readonly FileHash[];
}

/** A manifest entry to add once the compile's result is in the cache. */
export interface ManifestRecording {
  manifestKey: string;
  resultKey: string;
  includes: IncludedFile[];
  /** wall-clock ms when the compiler started reading: a file modified after (or just before)
   *  may not have the content the compiler saw */
  trustedBefore: number;
}

/** How a miss is compiled and under which key its result is stored. */
export type MissPlan =
  /** the key is known before the compile (preprocessor mode, or a hit whose outputs could not be
   *  written): nothing is stored if an input changes while the compiler runs */
  | { keyed: 'before'; resultKey: string; inputs: InputStamps; recording?: ManifestRecording }
  /** depend mode: the compile writes a dependency list (a temporary file unless the user asked
   *  for one), and the key comes from the files it names */
  | { keyed: 'after'; directKey: string; dependFile: string; temporaryDependFile: boolean }
  /** not storable (the preprocessor failed where the compile may not): compile only */
  | { keyed: 'never' };

export type Lookup =
  | { kind: 'hit'; result: CachedResult; facts: LookupFacts; recording?: ManifestRecording }
  | { kind: 'miss'; plan: MissPlan; facts: LookupFacts }
  /** not cacheable after all (e.g. the preprocessed text shows an input it does not contain) */
  | { kind: 'refused'; reply: CompileReply; facts: LookupFacts };

/** The real compile of a miss. */
export interface CompiledMiss {
  process: ProcessResult;
  /** wall-clock ms when the compiler was started */
  startedAt: number;
  /** the outputs as read right after a successful compile (the build may move them after the
   *  reply); an Error naming the missing one */
  outputs?: CacheEntry['files'] | Error;
  /** depend mode: the dependency list the compile wrote */
  dependencies?: string;
}

/** Depend mode's key, from the dependency list of a compile. */
export interface DependencyKey {
  resultKey: string;
  /** the listed files with the hashes the key was computed from (absolute paths) */
  filesRead: FileHash[];
  /** the same as the manifest stores them (relative under a base dir): what the key covers */
  keyedFiles: FileHash[];
  recording: ManifestRecording;
}

/** Everything the stages of one request returned: the journal's record is made from it. */
export interface StageResults {
  /** wall-clock ms when the request arrived */
  at: number;
  /** absent when the request failed before (an exception) */
  preparation?: Preparation;
  lookup?: LookupFacts;
  served?: CachedResult;
  dependencyKey?: DependencyKey;
  /** the miss could not be stored under any key (its preprocessor run failed) */
  unkeyed?: boolean;
}

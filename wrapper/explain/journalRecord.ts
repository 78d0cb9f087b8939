// What one compile request learned on its way (compiler, parsed arguments, key parts, how it was
// served), filled in by compileRequest.ts and turned into a journal record after the reply.

import * as path from 'node:path';
import type { CacheableCompile } from '../compilers/types';
import type { CompileRequest } from '../contract/protocol';
import type { JournalOutcome, KeyParts } from '../contract/explanation';
import type { CompilerIdentity } from '../keys/compilerIdentity';
import { fileFacts } from '../direct/fileHashCache';
import { includedFiles, type IncludedFile } from '../direct/lineMarkers';
import { HASH_CHARS, type JournalRecord } from './journal';

export interface CompileTrace {
  at: number;
  compilerPath?: string;
  identity?: CompilerIdentity;
  compile?: CacheableCompile;
  directKeyParts?: KeyParts;
  keyParts?: KeyParts;
  resultKey?: string;
  sourceHash?: string;
  /** set once a cached result has been restored */
  served?: 'direct' | 'preprocessed';
  /** the files the compile read with their sha256 (the source may be among them), when known
   *  without the preprocessed text: a direct hit's manifest entry (depend mode: its .d file) */
  filesRead?: [string, string][];
  /** compiled in depend mode: keyed by the direct key and the dependency list, no keyParts */
  dependMode?: boolean;
  /** WARMCC_RECACHE was set for this request */
  recache?: boolean;
  preprocessed?: Buffer;
  /** the preprocessed text's line markers, when the request already read them */
  includes?: IncludedFile[];
}

/** What the request's reply says about its outcome (the reply type of compileRequest.ts). */
export type TracedReply =
  | { kind: 'exit'; code: number }
  | { kind: 'runLocally'; reason: string }
  | { kind: 'error'; message: string };

const short = (hash: string): string => hash.slice(0, HASH_CHARS);

/** The include list of a preprocessed text by its result key (the key covers the text, so the
 *  list is the same): a rebuild's hits skip re-reading megabytes of line markers. */
const includesByKey = new Map<string, IncludedFile[]>();
const MAX_REMEMBERED = 4096;

function includesOf(trace: CompileTrace, cwd: string): IncludedFile[] {
  const known = trace.resultKey ? includesByKey.get(trace.resultKey) : undefined;
  if (known) return known;
  const includes = trace.includes ?? includedFiles(trace.preprocessed!, cwd);
  if (trace.resultKey) {
    if (includesByKey.size >= MAX_REMEMBERED) includesByKey.clear();
    includesByKey.set(trace.resultKey, includes);
  }
  return includes;
}

/** A manifest entry's files as the journal lists them, once per entry: direct hits of a rebuild
 *  hand the same (cached) entry arrays, and the journal recognises a repeated list by identity. */
const journalIncludes = new WeakMap<readonly [string, string][], { source: string; includes: [string, string][] }>();

function journalIncludesOf(filesRead: readonly [string, string][], source: string): [string, string][] {
  const known = journalIncludes.get(filesRead);
  if (known?.source === source) return known.includes;
  const includes = filesRead.filter(([file]) => file !== source).map(([file, hash]): [string, string] => [file, short(hash)]);
  journalIncludes.set(filesRead, { source, includes });
  return includes;
}

function outcomeOf(trace: CompileTrace, reply: TracedReply | Error): { outcome: JournalOutcome; reason?: string } {
  if (reply instanceof Error) return { outcome: 'error', reason: reply.message };
  if (reply.kind === 'runLocally') return { outcome: 'not cacheable', reason: reply.reason };
  if (reply.kind === 'error') return { outcome: 'error', reason: reply.message };
  if (reply.code !== 0) return { outcome: 'compile failed', reason: `exit code ${reply.code}` };
  if (trace.served) return { outcome: 'hit' };
  // no key: the preprocessor failed where the compile succeeded (stats counts it the same way)
  if (!trace.keyParts && !trace.dependMode) return { outcome: 'not cacheable', reason: 'preprocessor failed but compile succeeded' };
  return trace.recache ? { outcome: 'miss', reason: 'recache' } : { outcome: 'miss' };
}

/** The journal record of a finished request. Reads the included files' hashes (cached by
 *  fileFacts), so call it after the reply. */
export function journalRecord(request: CompileRequest, trace: CompileTrace, reply: TracedReply | Error): JournalRecord {
  const { outcome, reason } = outcomeOf(trace, reply);
  const input = trace.compile?.inputFile ?? request.argv.slice(1).find((arg) => !arg.startsWith('-'));
  const source = input === undefined ? '' : path.resolve(request.cwd, input);
  const record: JournalRecord = { at: trace.at, source, cwd: request.cwd, outcome };
  if (reason) record.reason = reason;
  if (trace.served) record.via = trace.served;
  if (trace.identity && trace.compilerPath) {
    const { family, version, contentHash } = trace.identity;
    record.compiler = { path: trace.compilerPath, family, version, hash: short(contentHash) };
  }
  if (!trace.compile) return record;
  if (trace.keyParts) record.keyParts = trace.keyParts;
  if (trace.directKeyParts) record.directKeyParts = trace.directKeyParts;
  record.preprocessorArgs = trace.compile.preprocessorArgs;
  if (trace.resultKey) record.resultKey = short(trace.resultKey);
  const sourceHash = trace.sourceHash ?? fileFacts(source)?.hash;
  if (sourceHash) record.sourceHash = short(sourceHash);
  if (trace.filesRead) {
    record.includes = journalIncludesOf(trace.filesRead, source);
  } else if (trace.preprocessed) {
    record.includes = includesOf(trace, request.cwd)
      .filter((include) => include.file !== source)
      .map((include): [string, string] => [include.file, short(fileFacts(include.file)?.hash ?? '')]);
  }
  return record;
}

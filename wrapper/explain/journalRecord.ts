// The journal record of a finished request, assembled from what its stages returned
// (pipeline/stages.ts StageResults): compiler, parsed arguments, the parts of its keys, how it
// was served, and the content hashes of the files it read.

import * as path from 'node:path';
import type { JournalOutcome } from '../contract/explanation';
import type { CompileRequest } from '../contract/protocol';
import { hashedFile } from '../direct/fileHashCache';
import type { CompileReply } from '../pipeline/reply';
import type { FileHash, StageResults } from '../pipeline/stages';
import { HASH_CHARS, type JournalRecord } from './journal';

const short = (hash: string): string => hash.slice(0, HASH_CHARS);

/** A manifest entry's files as the journal lists them, once per entry: direct hits of a rebuild
 *  hand the same (cached) entry arrays, and the journal recognises a repeated list by identity. */
const journalIncludes = new WeakMap<readonly FileHash[], { source: string; includes: [string, string][] }>();

function journalIncludesOf(filesRead: readonly FileHash[], source: string): [string, string][] {
  const known = journalIncludes.get(filesRead);
  if (known?.source === source) return known.includes;
  const includes = filesRead.filter(([file]) => file !== source).map(([file, hash]): [string, string] => [file, short(hash)]);
  journalIncludes.set(filesRead, { source, includes });
  return includes;
}

function outcomeOf(results: StageResults, reply: CompileReply | Error): { outcome: JournalOutcome; reason?: string } {
  if (reply instanceof Error) return { outcome: 'error', reason: reply.message };
  if (reply.kind === 'runLocally') return { outcome: 'not cacheable', reason: reply.reason };
  if (reply.kind === 'error') return { outcome: 'error', reason: reply.message };
  if (reply.code !== 0) return { outcome: 'compile failed', reason: `exit code ${reply.code}` };
  if (results.served) return { outcome: 'hit' };
  // no key: the preprocessor failed where the compile succeeded (stats counts it the same way)
  if (results.unkeyed) return { outcome: 'not cacheable', reason: 'preprocessor failed but compile succeeded' };
  const recache = results.preparation?.kind === 'prepared' && results.preparation.prepared.recache;
  return recache ? { outcome: 'miss', reason: 'recache' } : { outcome: 'miss' };
}

/** The journal record of a finished request. Reads the included files' hashes (cached by
 *  direct/fileHashCache.ts), so call it after the reply. */
export function journalRecord(request: CompileRequest, results: StageResults, reply: CompileReply | Error): JournalRecord {
  const { outcome, reason } = outcomeOf(results, reply);
  const { preparation, lookup, served, dependencyKey } = results;
  const prepared = preparation?.kind === 'prepared' ? preparation.prepared : undefined;
  const parsed = prepared?.parsed ?? (preparation?.kind === 'refused' ? preparation.parsed : undefined);
  const input = parsed?.inputFile ?? request.argv.slice(1).find((arg) => !arg.startsWith('-'));
  const source = input === undefined ? '' : path.resolve(request.cwd, input);
  const record: JournalRecord = { at: results.at, source, cwd: request.cwd, outcome };
  if (reason) record.reason = reason;
  if (served) record.via = served.via;
  const compilerPath = prepared?.compiler ?? (preparation?.kind === 'refused' ? preparation.compiler : undefined);
  const identity = prepared?.identity ?? (preparation?.kind === 'refused' ? preparation.identity : undefined);
  if (identity && compilerPath) {
    const { family, version, contentHash } = identity;
    record.compiler = { path: compilerPath, family, version, hash: short(contentHash) };
  }
  if (!parsed) return record;
  if (lookup?.preprocessed) record.keyParts = lookup.preprocessed.computed.parts;
  if (lookup?.direct) record.directKeyParts = lookup.direct.computed.parts;
  record.preprocessorArgs = parsed.preprocessorArgs;
  const resultKey = served?.resultKey ?? dependencyKey?.resultKey ?? lookup?.preprocessed?.computed.key;
  if (resultKey) record.resultKey = short(resultKey);
  const sourceHash = lookup?.direct?.sourceHash ?? hashedFile(source)?.hash;
  if (sourceHash) record.sourceHash = short(sourceHash);
  const filesRead = served?.filesRead ?? dependencyKey?.filesRead;
  if (filesRead) {
    record.includes = journalIncludesOf(filesRead, source);
  } else if (lookup?.preprocessed) {
    record.includes = lookup.preprocessed.includes
      .filter((include) => include.file !== source)
      .map((include): [string, string] => [include.file, short(hashedFile(include.file)?.hash ?? '')]);
  }
  return record;
}

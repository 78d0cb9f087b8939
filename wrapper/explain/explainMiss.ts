// Why did this file miss? Given the journal's records of one source, takes its last miss and the
// most similar earlier request of the same source whose result went into the cache (a hit or a
// stored miss; ties go to the most recent) and lists what differs: compiler, key arguments,
// environment, working directory, source content, headers. Pure: no I/O, no clock.

import type { Change, Explanation, KeyParts, RequestSummary } from '../contract/explanation';
import { PREPROCESSOR_ENVIRONMENT_VARIABLES } from '../keys/cacheKey';
import type { JournalRecord } from './journal';

/** parts handled by their own comparison (compiler identity, source content, preprocessed text) */
const SEPARATELY_COMPARED = new Set(['compiler', 'source content', 'preprocessed']);
const ARGUMENT_PARTS = new Set(['args', 'preprocessor args', 'dependency args']);
const CWD_PARTS = new Set(['cwd', 'cwd (direct)']);
/** parts only the direct key has: not compared against a preprocessed key's parts */
const DIRECT_ONLY_PARTS = new Set([
  'format',
  'preprocessor args',
  'cwd (direct)',
  'source path',
  ...PREPROCESSOR_ENVIRONMENT_VARIABLES.map((name) => `env ${name}`),
]);

function summary(record: JournalRecord): RequestSummary {
  const result: RequestSummary = { at: record.at, outcome: record.outcome, cwd: record.cwd };
  if (record.via) result.via = record.via;
  if (record.reason) result.reason = record.reason;
  return result;
}

/** name → value; a name that repeats gets '#2', '#3' so each occurrence is compared */
function partsMap(parts: KeyParts): Map<string, string> {
  const map = new Map<string, string>();
  for (const [name, value] of parts) {
    let key = name;
    for (let n = 2; map.has(key); n++) key = `${name}#${n}`;
    map.set(key, value);
  }
  return map;
}

const baseName = (key: string): string => key.replace(/#\d+$/, '');

/** The runs where two lists differ (longest common subsequence; argument lists are short). */
export function listDifferences(before: string[], after: string[]): { before: string[]; after: string[] }[] {
  const n = before.length;
  const m = after.length;
  const common: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      common[i]![j] = before[i] === after[j] ? common[i + 1]![j + 1]! + 1 : Math.max(common[i + 1]![j]!, common[i]![j + 1]!);
    }
  }
  const runs: { before: string[]; after: string[] }[] = [];
  let run: { before: string[]; after: string[] } | undefined;
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && before[i] === after[j]) {
      run = undefined;
      i++;
      j++;
      continue;
    }
    if (!run) {
      run = { before: [], after: [] };
      runs.push(run);
    }
    if (j < m && (i >= n || common[i]![j + 1]! >= common[i + 1]![j]!)) run.after.push(after[j++]!);
    else run.before.push(before[i++]!);
  }
  return runs;
}

function compareParts(before: KeyParts, after: KeyParts, compared: Set<string>, changes: Change[]): void {
  const b = partsMap(before);
  const a = partsMap(after);
  for (const key of new Set([...a.keys(), ...b.keys()])) {
    const name = baseName(key);
    if (compared.has(key) || SEPARATELY_COMPARED.has(name)) continue;
    compared.add(key);
    const old = b.get(key);
    const now = a.get(key);
    if (old === now) continue;
    if (ARGUMENT_PARTS.has(name)) {
      const split = (value: string | undefined): string[] => (value ? value.split('\0') : []);
      for (const run of listDifferences(split(old), split(now))) changes.push({ kind: 'arguments', part: name, ...run });
    } else if (CWD_PARTS.has(name) && old !== undefined && now !== undefined) {
      // the direct key and the debug-info part name the same directory: report it once
      if (!changes.some((change) => change.kind === 'working directory')) changes.push({ kind: 'working directory', before: old, after: now });
    } else if (name.startsWith('env ')) {
      changes.push(withDefined({ kind: 'environment', name: name.slice(4), before: old, after: now }));
    } else {
      changes.push(withDefined({ kind: 'key part', name, before: old, after: now }));
    }
  }
}

/** drops undefined fields (so JSON and deep equality show only what is there) */
function withDefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) if (value[key] === undefined) delete value[key];
  return value;
}

function compareIncludes(before: [string, string][], after: [string, string][], changes: Change[]): void {
  const old = new Map(before);
  const now = new Map(after);
  for (const [file, hash] of now) {
    if (!old.has(file)) changes.push({ kind: 'header', file, change: 'appeared' });
    else if (old.get(file) !== hash) changes.push({ kind: 'header', file, change: 'changed' });
  }
  for (const file of old.keys()) if (!now.has(file)) changes.push({ kind: 'header', file, change: 'disappeared' });
}

/** Everything that differs between an earlier request and a later one of the same source. */
export function compareRequests(earlier: JournalRecord, later: JournalRecord): Change[] {
  const changes: Change[] = [];
  const [was, is] = [earlier.compiler, later.compiler];
  if (was && is && (was.family !== is.family || was.version !== is.version || was.hash !== is.hash)) {
    changes.push({ kind: 'compiler', before: was, after: is });
  }
  const compared = new Set<string>();
  if (earlier.keyParts && later.keyParts) compareParts(earlier.keyParts, later.keyParts, compared, changes);
  // direct-mode parts (preprocessor arguments, working directory, CPATH & co.) not compared above
  if (earlier.directKeyParts && later.directKeyParts) compareParts(earlier.directKeyParts, later.directKeyParts, compared, changes);
  // the common parts through whichever key each computed (a direct hit has no preprocessed key)
  const common = (record: JournalRecord): KeyParts | undefined => record.keyParts ?? record.directKeyParts;
  const [earlierParts, laterParts] = [common(earlier), common(later)];
  if (earlierParts && laterParts) {
    const onlyShared = (parts: KeyParts): KeyParts => parts.filter(([name]) => !DIRECT_ONLY_PARTS.has(name));
    compareParts(onlyShared(earlierParts), onlyShared(laterParts), compared, changes);
  }
  if (earlier.sourceHash && later.sourceHash && earlier.sourceHash !== later.sourceHash) {
    changes.push({ kind: 'source', before: earlier.sourceHash, after: later.sourceHash });
  }
  if (earlier.includes && later.includes) compareIncludes(earlier.includes, later.includes, changes);
  const keyDiffers = earlier.resultKey !== undefined && later.resultKey !== undefined && earlier.resultKey !== later.resultKey;
  if (keyDiffers && changes.length === 0) {
    // preprocessor mode: -D/-I are not key parts, their effect is in the preprocessed text
    if (!compared.has('preprocessor args') && earlier.preprocessorArgs && later.preprocessorArgs) {
      for (const run of listDifferences(earlier.preprocessorArgs, later.preprocessorArgs))
        changes.push({ kind: 'arguments', part: 'preprocessor args', ...run });
    }
    if (changes.length === 0) changes.push({ kind: 'preprocessed output' });
  }
  return withoutRepeatedArguments(changes);
}

/** -O2 → -O1 is both a compile and a preprocessor argument (it defines __OPTIMIZE__): say it once */
function withoutRepeatedArguments(changes: Change[]): Change[] {
  const same = (x: string[], y: string[]): boolean => x.length === y.length && x.every((value, i) => value === y[i]);
  const compileRuns = changes.filter((change) => change.kind === 'arguments' && change.part === 'args');
  return changes.filter(
    (change) =>
      change.kind !== 'arguments' ||
      change.part !== 'preprocessor args' ||
      !compileRuns.some((run) => run.kind === 'arguments' && same(run.before, change.before) && same(run.after, change.after)),
  );
}

/** a request whose result went into the cache: what a later identical compile would hit */
const cached = (record: JournalRecord): boolean => record.outcome === 'hit' || record.outcome === 'miss';

/** `records` are the journal's records of `file`, oldest first. */
export function explainMiss(file: string, records: JournalRecord[]): Explanation {
  if (records.length === 0) return { file, verdict: 'never seen', changes: [] };
  const last = summary(records[records.length - 1]!);
  let missIndex = -1;
  for (let i = records.length - 1; i >= 0; i--) {
    if (records[i]!.outcome === 'miss') {
      missIndex = i;
      break;
    }
  }
  if (missIndex < 0) return { file, verdict: 'no miss', last, changes: [] };
  const missRecord = records[missIndex]!;
  const miss = summary(missRecord);

  let best: { record: JournalRecord; changes: Change[] } | undefined;
  for (let i = missIndex - 1; i >= 0; i--) {
    const candidate = records[i]!;
    if (!cached(candidate)) continue;
    const sameKey = candidate.resultKey !== undefined && candidate.resultKey === missRecord.resultKey;
    const changes = sameKey ? [] : compareRequests(candidate, missRecord);
    // newest first: a later candidate wins ties
    if (!best || changes.length < best.changes.length) best = { record: candidate, changes };
    if (changes.length === 0) break;
  }
  if (!best) return { file, verdict: 'first time seen', last, miss, changes: [] };
  return { file, verdict: best.changes.length ? 'changed' : 'unchanged', last, miss, comparedWith: summary(best.record), changes: best.changes };
}

// What `warmcc --explain` and the editor's "Explain Last Miss" receive (JSON-RPC warmcc/explain,
// `--explain --stats-format json`): why a file's last compile missed, as a list of changes
// against the most similar earlier compile. explain/explainMiss.ts computes it from the journal.

/** The named parts a key was computed from, in order (the journal records them so a miss can
 *  say what changed). The preprocessed text itself is not copied: its part's value is ''. */
export type KeyParts = [name: string, value: string][];

export type JournalOutcome = 'hit' | 'miss' | 'not cacheable' | 'compile failed' | 'error';

export interface JournalCompiler {
  path: string;
  family: string;
  version: string;
  /** prefix of the identity's content hash (driver and back ends) */
  hash: string;
}

export interface RequestSummary {
  at: number;
  outcome: JournalOutcome;
  via?: 'direct' | 'preprocessed';
  reason?: string;
  cwd: string;
}

export type Change =
  | { kind: 'compiler'; before: JournalCompiler; after: JournalCompiler }
  /** one contiguous run of arguments that differs; `part` names the argument list
   *  ('args': compile arguments, 'preprocessor args', 'dependency args') */
  | { kind: 'arguments'; part: string; before: string[]; after: string[] }
  | { kind: 'environment'; name: string; before?: string; after?: string }
  | { kind: 'working directory'; before: string; after: string }
  | { kind: 'source'; before: string; after: string }
  | { kind: 'header'; file: string; change: 'changed' | 'appeared' | 'disappeared' }
  /** any other part of the key (language, outputs, object path, key format, ...) */
  | { kind: 'key part'; name: string; before?: string; after?: string }
  /** the preprocessed text differs though nothing the journal tracks explains it */
  | { kind: 'preprocessed output' };

export type Verdict =
  /** no request of this file in the journal */
  | 'never seen'
  /** requests, but no miss among them */
  | 'no miss'
  /** no earlier request of the file whose result was cached */
  | 'first time seen'
  | 'changed'
  /** the key is the same as an earlier one: the result was forced (recache) or is gone */
  | 'unchanged';

export interface Explanation {
  file: string;
  verdict: Verdict;
  /** the latest request of the file */
  last?: RequestSummary;
  /** the miss explained */
  miss?: RequestSummary;
  /** the earlier request it is compared with */
  comparedWith?: RequestSummary;
  changes: Change[];
}

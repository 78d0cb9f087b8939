// `warmcc --explain FILE` and warmcc/explain: read the journal, pick the file's records, explain
// its last miss. The server answers it (after writing its queued records); the CLI calls it
// directly when no server runs.

import * as path from 'node:path';
import type { ExplainParams, ExplainResult } from '../contract/rpc';
import { explainMiss } from './explainMiss';
import { formatExplanation, summarizeExplanation } from './explainText';
import { readSourceRecords } from './journal';

export function explainFromJournal(journalFile: string, { file, cwd }: ExplainParams): ExplainResult {
  if (typeof file !== 'string' || file === '' || typeof cwd !== 'string') {
    throw new Error('warmcc/explain needs { file, cwd } (strings)');
  }
  const absolute = path.resolve(cwd, file);
  const explanation = explainMiss(absolute, readSourceRecords(journalFile, absolute));
  return { explanation, text: formatExplanation(explanation, file), summary: summarizeExplanation(explanation, file), journalFile };
}

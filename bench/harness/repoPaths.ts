// Where the bench finds things in the repository: the default client, work root and results
// file, and the masquerade directory a "plain" build must not go through.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** the warmcc client measured unless --warmcc names another */
export const DEFAULT_WARMCC_BIN = path.join(REPO, 'bin', 'warmcc');

/** where run directories go unless --workdir names another (gitignored) */
export const DEFAULT_WORK_ROOT = path.join(REPO, 'bench', 'work');

/** warmcc's masquerade directory (gcc, cc, … that go through the cache) */
export const MASQUERADE_DIR = path.join(REPO, 'bin', 'masq');

/** the results file of a bare --json; always under the repository, whatever --workdir says */
export function defaultJsonFile(): string {
  return path.join(DEFAULT_WORK_ROOT, `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
}

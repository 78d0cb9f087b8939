// Direct mode's manifests (docs/architecture.md, "Direct mode"): under a direct key, the
// include sets seen by earlier compiles, each pointing at a result key. A manifest entry
// matches when every recorded file still has its content hash and every recorded absent
// candidate (a place where a header would shadow the one used) is still absent.
// Stored form: manifestFormat.ts; reading and adding entries: manifestStore.ts; what a new
// entry records: manifestEntry.ts.

import { anyExists } from './directoryListings';
import { hashedFile } from './fileHashCache';

/** newest first; older include sets of the same source and flags are dropped */
const MAX_ENTRIES = 16;

export interface ManifestEntry {
  /** [absolute path, sha256 of content] */
  files: [string, string][];
  /** absolute paths that must not exist */
  absent: string[];
  resultKey: string;
}

export interface Manifest {
  entries: ManifestEntry[];
}

/** The first entry whose files and absences still hold. */
export function matchingEntry(manifest: Manifest): ManifestEntry | undefined {
  return manifest.entries.find((entry) => entry.files.every(([file, hash]) => hashedFile(file)?.hash === hash) && !anyExists(entry.absent));
}

/** Adds an entry (newest first, bounded); an entry with the same result replaces its old self. */
export function withEntry(manifest: Manifest | undefined, entry: ManifestEntry): Manifest {
  const others = (manifest?.entries ?? []).filter((old) => old.resultKey !== entry.resultKey);
  return { entries: [entry, ...others].slice(0, MAX_ENTRIES) };
}

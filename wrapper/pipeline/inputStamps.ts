// The files a compile reads, as stat'ed before it runs: compared again after the compile, so a
// file edited while the compiler ran (the object then reflects content the key does not) never
// has its object stored under the key of its old content.

import * as fs from 'node:fs';

type Stamp = string;

function stamp(file: string): Stamp {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
  } catch {
    return 'missing';
  }
}

/** Stamps the files now; the returned function names the first file that differs since. */
export function snapshotInputs(files: Iterable<string>): () => string | undefined {
  const stamps = new Map<string, Stamp>();
  for (const file of files) stamps.set(file, stamp(file));
  return () => {
    for (const [file, before] of stamps) if (stamp(file) !== before) return file;
    return undefined;
  };
}

// The files a compile reads, as stat'ed before it runs: compared again after the compile, so a
// file edited while the compiler ran (the object then reflects content the key does not) never
// has its object stored under the key of its old content.

import * as fs from 'node:fs';

function stamp(file: string): string {
  try {
    const stat = fs.statSync(file, { bigint: true });
    return `${stat.size}:${stat.mtimeNs}:${stat.ctimeNs}:${stat.ino}`;
  } catch {
    return 'missing';
  }
}

export class InputStamps {
  private readonly stamps = new Map<string, string>();

  /** Stamps the files now. */
  constructor(files: Iterable<string>) {
    for (const file of files) this.stamps.set(file, stamp(file));
  }

  /** The first file whose stamp differs from the one taken at construction, if any. */
  changedFile(): string | undefined {
    for (const [file, before] of this.stamps) if (stamp(file) !== before) return file;
    return undefined;
  }
}

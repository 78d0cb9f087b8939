// Reading a compile's output files into a cache entry, and writing them back on a hit.
// Writes are atomic (temp file + rename in the same directory): a build that reads an object
// while we restore it sees the old file or the new one, never half of one.

import { promises as fs, renameSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { ExpectedOutputs } from '../compilers/types';
import type { CacheEntry, OutputRole } from '../storage/cacheEntry';

let tempCounter = 0;

export function expectedOutputFiles(outputs: ExpectedOutputs): { role: OutputRole; file: string }[] {
  const files: { role: OutputRole; file: string }[] = [{ role: 'object', file: outputs.object }];
  if (outputs.depFile) files.push({ role: 'depFile', file: outputs.depFile });
  if (outputs.dwo) files.push({ role: 'dwo', file: outputs.dwo });
  if (outputs.gcno) files.push({ role: 'gcno', file: outputs.gcno });
  return files;
}

/** Reads every expected output; throws naming the missing file (then nothing is cached). */
export async function readOutputs(cwd: string, outputs: ExpectedOutputs): Promise<CacheEntry['files']> {
  const result: CacheEntry['files'] = [];
  for (const { role, file } of expectedOutputFiles(outputs)) {
    const absolute = path.resolve(cwd, file);
    try {
      result.push({ role, data: await fs.readFile(absolute) });
    } catch (error) {
      throw new Error(`expected ${role} output ${absolute} is missing after the compile: ${(error as Error).message}`);
    }
  }
  return result;
}

/** Writes restored outputs. The entry must have exactly the files the request expects.
 *  Synchronous on purpose: a hit's few writes to the page cache cost less than thread-pool round
 *  trips (measured: about 1 ms per hit less), and while nothing else runs the process umask can
 *  be the client's, so files get the modes the compiler would have given them without a chmod. */
export async function writeOutputs(cwd: string, umask: number, outputs: ExpectedOutputs, files: CacheEntry['files']): Promise<void> {
  const expected = expectedOutputFiles(outputs);
  if (expected.length !== files.length || expected.some(({ role }) => !files.some((file) => file.role === role))) {
    throw new Error(`cache entry has outputs [${files.map((f) => f.role)}], request expects [${expected.map((e) => e.role)}]`);
  }
  const serverUmask = process.umask(umask);
  try {
    for (const { role, file } of expected) {
      const absolute = path.resolve(cwd, file);
      const temp = `${absolute}.warmcc-tmp-${process.pid}-${tempCounter++}`;
      try {
        writeFileSync(temp, files.find((candidate) => candidate.role === role)!.data, { mode: 0o666 });
        renameSync(temp, absolute);
      } catch (error) {
        rmSync(temp, { force: true });
        throw new Error(`cannot write ${role} output ${absolute}: ${(error as Error).message}`);
      }
    }
  } finally {
    process.umask(serverUmask);
  }
}

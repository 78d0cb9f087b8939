// Reading a compile's output files into a cache entry, and writing them back on a hit.
// Writes are atomic (temp file + rename in the same directory): a build that reads an object
// while we restore it sees the old file or the new one, never half of one.

import { promises as fs } from 'node:fs';
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
      throw new Error(`expected ${role} output ${absolute} is missing after the compile: ${(error as Error).message}`, { cause: error });
    }
  }
  return result;
}

/** Writes restored outputs. The entry must have exactly the files the request expects.
 *  Asynchronous: with several hits at once (make -j) the writes run on the thread pool while the
 *  server's one thread serves the next request. Files get the modes the client's umask gives a
 *  real compile; a chmod only when the server's own umask took more bits away. */
export async function writeOutputs(cwd: string, umask: number, outputs: ExpectedOutputs, files: CacheEntry['files']): Promise<void> {
  const expected = expectedOutputFiles(outputs);
  if (expected.length !== files.length || expected.some(({ role }) => !files.some((file) => file.role === role))) {
    throw new Error(`cache entry has outputs [${files.map((f) => f.role).join(',')}], request expects [${expected.map((e) => e.role).join(',')}]`);
  }
  const mode = 0o666 & ~umask;
  const needsChmod = (mode & ~serverUmask()) !== mode;
  await Promise.all(
    expected.map(async ({ role, file }) => {
      const absolute = path.resolve(cwd, file);
      const temp = `${absolute}.warmcc-tmp-${process.pid}-${tempCounter++}`;
      try {
        await fs.writeFile(temp, files.find((candidate) => candidate.role === role)!.data, { mode });
        if (needsChmod) await fs.chmod(temp, mode);
        await fs.rename(temp, absolute);
      } catch (error) {
        await fs.rm(temp, { force: true }).catch(() => {});
        throw new Error(`cannot write ${role} output ${absolute}: ${(error as Error).message}`, { cause: error });
      }
    }),
  );
}

/** The process umask (reading it means setting it: put it straight back). */
function serverUmask(): number {
  const current = process.umask(0o022);
  process.umask(current);
  return current;
}

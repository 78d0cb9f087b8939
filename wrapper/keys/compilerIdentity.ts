// Which compiler a path is: family (from the binary's own predefined macros, never its name),
// version, and a content hash of the driver and, for gcc, its cc1/cc1plus back ends.
// Cached by path + size + mtime + inode, so a replaced compiler is detected at once.

import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import type { CompilerFamily } from '../compilers/types';
import { runProcess } from '../pipeline/runProcess';

export interface CompilerIdentity {
  family: CompilerFamily;
  version: string;
  /** sha256 over the binaries that do the compiling */
  contentHash: string;
}

const identities = new Map<string, Promise<CompilerIdentity | undefined>>();

function hashFile(file: string, hash: ReturnType<typeof createHash>): Promise<void> {
  return new Promise((resolve, reject) => {
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('end', () => resolve())
      .on('error', reject);
  });
}

function macroValue(macros: string, name: string): string | undefined {
  const line = macros.split('\n').find((candidate) => candidate.startsWith(`#define ${name} `));
  return line?.slice(`#define ${name} `.length);
}

async function detect(compiler: string, env: Record<string, string | undefined>): Promise<CompilerIdentity | undefined> {
  const probe = await runProcess(compiler, ['-E', '-dM', '-x', 'c', '/dev/null'], { cwd: '/', env });
  if (probe.code !== 0) return undefined;
  const macros = probe.stdout.toString();
  const family: CompilerFamily | undefined =
    macroValue(macros, '__clang__') !== undefined ? 'clang' : macroValue(macros, '__GNUC__') !== undefined ? 'gcc' : undefined;
  if (!family) return undefined;
  const hash = createHash('sha256');
  await hashFile(compiler, hash);
  if (family === 'gcc') {
    // the gcc driver is small; the real compilers are cc1/cc1plus next to it
    for (const backEnd of ['cc1', 'cc1plus']) {
      const where = await runProcess(compiler, [`-print-prog-name=${backEnd}`], { cwd: '/', env });
      const backEndPath = where.stdout.toString().trim();
      if (backEndPath.startsWith('/')) {
        hash.update(backEnd);
        await hashFile(backEndPath, hash).catch(() => hash.update('(missing)'));
      }
    }
  }
  return { family, version: macroValue(macros, '__VERSION__') ?? 'unknown', contentHash: hash.digest('hex') };
}

/** undefined when the path is not a gcc- or clang-compatible compiler */
export async function compilerIdentity(compiler: string, env: Record<string, string | undefined>): Promise<CompilerIdentity | undefined> {
  // synchronous: every request asks, and a stat on the page cache beats a thread-pool round trip
  const stat = statSync(compiler);
  const cacheKey = `${compiler}\0${stat.size}\0${stat.mtimeMs}\0${stat.ino}`;
  let identity = identities.get(cacheKey);
  if (!identity) {
    identity = detect(compiler, env);
    identities.set(cacheKey, identity);
    identity.catch(() => identities.delete(cacheKey));
  }
  return identity;
}

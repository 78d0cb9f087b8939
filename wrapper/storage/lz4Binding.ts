// Loads LZ4 (the lz4-napi package's prebuilt Node-API binary) for cache entries. A hit's cost on
// large C++ objects is mostly decompression: LZ4 decompresses the benchmark project's objects
// three times faster than zlib inflate (docs/architecture.md, "Cache entry format").
//
// The build copies this platform's binary to dist/native/lz4.node, so the bundles (and the
// .vsix, which carries no node_modules) load it by path. Where it is missing or does not load
// (a platform without a prebuilt binary), entries are written with deflate and an LZ4 entry reads
// as a miss: the server still works, only hits are slower.

import * as fs from 'node:fs';
import * as path from 'node:path';

/** the functions of the binding warmcc uses: LZ4 block format with the raw length in front
 *  (u32 little-endian). The synchronous ones: the binding's asynchronous calls return buffers that
 *  V8 does not count, so a server's resident memory grew by ~50 MB per warm rebuild of the
 *  benchmark project (to 1.4 GB in a loop of 600 decompressions, against ~100 MB synchronously),
 *  and the main thread still paid for a copy of each result (0.4 ms per 3.6 MB object), about
 *  what decompressing it takes (docs/architecture.md, "Cache entry format"). */
export interface Lz4Binding {
  compressSync(data: Buffer): Buffer;
  uncompressSync(data: Buffer): Buffer;
}

export type Lz4Load = { binding: Lz4Binding } | { binding: undefined; reason: string };

/** where the binary is looked for: beside the bundle (dist/native), or, when running from the
 *  sources (tests), in the build output of this checkout */
export function lz4BindingCandidates(): string[] {
  return [path.join(__dirname, 'native', 'lz4.node'), path.join(__dirname, '..', '..', 'dist', 'native', 'lz4.node')];
}

export function loadLz4Binding(candidates: string[]): Lz4Load {
  const problems: string[] = [];
  for (const file of candidates) {
    if (!fs.existsSync(file)) {
      problems.push(`${file}: not found`);
      continue;
    }
    try {
      // a computed path: the bundler leaves it to run time, and the binary is a native module
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- a native module at a path known at run time
      const loaded = require(file) as Partial<Lz4Binding>;
      if (typeof loaded.compressSync !== 'function' || typeof loaded.uncompressSync !== 'function') {
        problems.push(`${file}: not the lz4-napi binding (no compressSync/uncompressSync)`);
        continue;
      }
      return { binding: loaded as Lz4Binding };
    } catch (error) {
      problems.push(`${file}: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  return { binding: undefined, reason: `LZ4 binding not loaded (${problems.join('; ')})` };
}

let cached: Lz4Load | undefined;

/** the binding of this process, loaded on first use */
export function lz4(): Lz4Load {
  cached ??= loadLz4Binding(lz4BindingCandidates());
  return cached;
}

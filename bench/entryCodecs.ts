// Measures the choices behind the cache entry format (docs/architecture.md, "Cache entry
// format"): compression codec and level, one-pass vs chunked async decompression, CRC-32 vs
// SHA-256. Compiles two real objects (C, and C++ with debug info) to measure on; given a
// directory (say a kept benchmark project's obj/), also totals every codec over its objects, as
// a warm rebuild decompresses them all.
//   node --import tsx bench/entryCodecs.ts [OBJECT_DIR]

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { lz4 } from '../wrapper/storage/lz4Binding';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-codecs-'));
fs.writeFileSync(
  path.join(dir, 'a.c'),
  '#include <stdio.h>\n#include <string.h>\nint f(int x) { char b[64]; snprintf(b, 64, "%d", x); return (int)strlen(b); }\n',
);
fs.writeFileSync(
  path.join(dir, 'b.cc'),
  '#include <map>\n#include <regex>\n#include <string>\n#include <vector>\nstd::map<std::string, std::vector<int>> m;\nint g(const std::string& s) { m[s].push_back(1); return std::regex_match(s, std::regex("[a-z]+")) ? (int)m.size() : 0; }\n',
);
execFileSync('gcc', ['-O2', '-g', '-c', 'a.c', '-o', 'a.o'], { cwd: dir });
execFileSync('g++', ['-O2', '-g', '-c', 'b.cc', '-o', 'b.o'], { cwd: dir });

const time = (runs: number, work: () => unknown): number => {
  const start = performance.now();
  for (let i = 0; i < runs; i++) work();
  return (performance.now() - start) / runs;
};
/** the LZ4 binding warmcc loads (dist/native/lz4.node, built by npm run build) */
const lz4Binding = lz4().binding;
const brotli = (quality: number) => ({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality } });
const codecs: [string, (d: Buffer) => Buffer, (c: Buffer) => Buffer][] = [
  ['deflate-1', (d) => zlib.deflateRawSync(d, { level: 1 }), (c) => zlib.inflateRawSync(c)],
  ['deflate-6', (d) => zlib.deflateRawSync(d, { level: 6 }), (c) => zlib.inflateRawSync(c)],
  ...(lz4Binding
    ? [
        ['lz4', (d: Buffer) => lz4Binding.compressSync(d), (c: Buffer) => lz4Binding.uncompressSync(c)] as [
          string,
          (d: Buffer) => Buffer,
          (c: Buffer) => Buffer,
        ],
      ]
    : []),
  ['brotli-1', (d) => zlib.brotliCompressSync(d, brotli(1)), (c) => zlib.brotliDecompressSync(c)],
  ['brotli-4', (d) => zlib.brotliCompressSync(d, brotli(4)), (c) => zlib.brotliDecompressSync(c)],
];

void (async () => {
  console.log('| object | bytes | codec | ratio | compress ms | decompress ms |\n| --- | ---: | --- | ---: | ---: | ---: |');
  for (const name of ['a.o', 'b.o']) {
    const data = fs.readFileSync(path.join(dir, name));
    for (const [codec, compress, decompress] of codecs) {
      const packed = compress(data);
      console.log(
        `| ${name} | ${data.length} | ${codec} | ${(data.length / packed.length).toFixed(2)}x | ${time(20, () => compress(data)).toFixed(2)} | ${time(20, () => decompress(packed)).toFixed(2)} |`,
      );
    }
  }
  // a large debug object, as a C++ entry of the benchmark project: b.o repeated to ~4 MB
  const big = Buffer.concat(
    Array.from({ length: Math.ceil(4_000_000 / fs.statSync(path.join(dir, 'b.o')).size) }, () => fs.readFileSync(path.join(dir, 'b.o'))),
  );
  const packed = zlib.brotliCompressSync(big, brotli(4));
  const decompress = promisify(zlib.brotliDecompress);
  for (const chunkSize of [16 * 1024, big.length]) {
    const start = performance.now();
    for (let i = 0; i < 10; i++) await decompress(packed, { chunkSize });
    console.log(`async brotli decompress of ${big.length} bytes, chunkSize ${chunkSize}: ${((performance.now() - start) / 10).toFixed(2)} ms`);
  }
  console.log(`sha256 of ${big.length} bytes: ${time(10, () => createHash('sha256').update(big).digest()).toFixed(2)} ms`);
  console.log(`crc32 of ${big.length} bytes: ${time(10, () => zlib.crc32(big)).toFixed(2)} ms`);
  const objectDir = process.argv[2];
  if (objectDir) {
    const objects = fs
      .readdirSync(objectDir, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.o'))
      .map((name) => fs.readFileSync(path.join(objectDir, name)));
    const total = objects.reduce((sum, object) => sum + object.length, 0);
    console.log(
      `\nall ${objects.length} objects of ${objectDir} (${(total / 1e6).toFixed(1)} MB), best of 5:\n| codec | ratio | compress all ms | decompress all ms | MB/s |\n| --- | ---: | ---: | ---: | ---: |`,
    );
    for (const [codec, compress, decompress] of codecs) {
      const start = performance.now();
      const packed = objects.map(compress);
      const compressMs = performance.now() - start;
      const packedTotal = packed.reduce((sum, bytes) => sum + bytes.length, 0);
      let best = Infinity;
      for (let round = 0; round < 5; round++)
        best = Math.min(
          best,
          time(1, () => packed.forEach(decompress)),
        );
      console.log(`| ${codec} | ${(total / packedTotal).toFixed(2)}x | ${compressMs.toFixed(0)} | ${best.toFixed(1)} | ${(total / 1e3 / best).toFixed(0)} |`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
})();

// Measures direct-mode manifest encodings (docs/architecture.md, "Direct mode"): size, encode and
// decode time of real manifests. Builds them the way the server does — `g++ -E` of sources of
// the generated bench project, include files from its line markers, the compiler's search path,
// newManifestEntry — for one entry and for 16 entries (the cap; 16 sources' include sets
// stand in for 16 edits of one source).
//   node --import tsx bench/manifestCodecs.ts [--rounds N]

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { includedFiles } from '../wrapper/direct/lineMarkers';
import { includeSearchPath } from '../wrapper/direct/includeSearchPath';
import type { Manifest, ManifestEntry } from '../wrapper/direct/manifest';
import { newManifestEntry } from '../wrapper/direct/manifestEntry';
import { compactManifest, decodeManifest, encodeManifest, expandManifest } from '../wrapper/direct/manifestFormat';
import { generateProject } from './generateProject';
import { medianMs } from './timing';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 21;
const FLAGS = ['-Iinclude', '-O2', '-g', '-Wall', '-std=c++17'];

async function realEntries(dir: string, count: number): Promise<ManifestEntry[]> {
  const project = generateProject(dir, {});
  const hourAgo = new Date(Date.now() - 3_600_000);
  for (const file of [...project.headers, ...project.cxxSources]) fs.utimesSync(path.join(dir, file), hourAgo, hourAgo);
  const searchPath = await includeSearchPath('g++', FLAGS, 'c++', dir, { PATH: process.env.PATH });
  if (!searchPath) throw new Error('no search path from g++ -E -v');
  return project.cxxSources.slice(0, count).map((source, index) => {
    const preprocessed = execFileSync('g++', [...FLAGS, '-E', source], { cwd: dir, maxBuffer: 64 * 1024 * 1024 });
    const sourcePath = path.join(dir, source);
    const includes = includedFiles(preprocessed, dir).filter((include) => include.file !== sourcePath);
    const entry = newManifestEntry(sourcePath, includes, searchPath, index.toString(16).padStart(64, '0'), false);
    if (typeof entry === 'string') throw new Error(`${source}: ${entry}`);
    return entry;
  });
}

// Alternatives measured against the format in manifestFormat.ts (WCM1 was plain JSON + CRC-32).
const brotli = (quality: number): zlib.BrotliOptions => ({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: quality } });
const json = (manifest: Manifest): Buffer => Buffer.from(JSON.stringify(manifest));
const codecs: [string, (manifest: Manifest) => Buffer, (bytes: Buffer) => unknown][] = [
  ['WCM1: JSON', json, (bytes): unknown => JSON.parse(bytes.toString())],
  ['JSON + deflate-1', (m) => zlib.deflateRawSync(json(m), { level: 1 }), (bytes): unknown => JSON.parse(zlib.inflateRawSync(bytes).toString())],
  ['JSON + deflate-6', (m) => zlib.deflateRawSync(json(m), { level: 6 }), (bytes): unknown => JSON.parse(zlib.inflateRawSync(bytes).toString())],
  ['JSON + brotli-1', (m) => zlib.brotliCompressSync(json(m), brotli(1)), (bytes): unknown => JSON.parse(zlib.brotliDecompressSync(bytes).toString())],
  ['JSON + brotli-5', (m) => zlib.brotliCompressSync(json(m), brotli(5)), (bytes): unknown => JSON.parse(zlib.brotliDecompressSync(bytes).toString())],
  ['tables, uncompressed', (m) => Buffer.from(JSON.stringify(compactManifest(m))), (bytes) => expandManifest(JSON.parse(bytes.toString()))],
  ...(
    [
      ['deflate-1', (body: Buffer) => zlib.deflateRawSync(body, { level: 1 }), (bytes: Buffer) => zlib.inflateRawSync(bytes)],
      ['deflate-6', (body: Buffer) => zlib.deflateRawSync(body, { level: 6 }), (bytes: Buffer) => zlib.inflateRawSync(bytes)],
      ['deflate-9', (body: Buffer) => zlib.deflateRawSync(body, { level: 9 }), (bytes: Buffer) => zlib.inflateRawSync(bytes)],
      ['brotli-1', (body: Buffer) => zlib.brotliCompressSync(body, brotli(1)), (bytes: Buffer) => zlib.brotliDecompressSync(bytes)],
      ['brotli-4', (body: Buffer) => zlib.brotliCompressSync(body, brotli(4)), (bytes: Buffer) => zlib.brotliDecompressSync(bytes)],
      ['brotli-5', (body: Buffer) => zlib.brotliCompressSync(body, brotli(5)), (bytes: Buffer) => zlib.brotliDecompressSync(bytes)],
      ['brotli-7', (body: Buffer) => zlib.brotliCompressSync(body, brotli(7)), (bytes: Buffer) => zlib.brotliDecompressSync(bytes)],
    ] as const
  ).map(([name, compress, decompress]): (typeof codecs)[number] => [
    `tables + ${name}`,
    (m) => compress(Buffer.from(JSON.stringify(compactManifest(m)))),
    (bytes) => expandManifest(JSON.parse(decompress(bytes).toString())),
  ]),
  ['WCM2 (manifest.ts: all checks)', encodeManifest, decodeManifest],
];

/** median over rounds of ms for one pass of `work` */
const measure = (work: () => unknown): number => medianMs(rounds, work);

void (async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-manifests-'));
  try {
    const entries = await realEntries(dir, 16);
    const one = entries[0]!;
    console.log(`one entry: ${one.files.length} files, ${one.absent.length} absent candidates; median of ${rounds} rounds\n`);
    console.log('| manifest | encoding | bytes | vs WCM1 | encode ms | decode ms |\n| --- | --- | ---: | ---: | ---: | ---: |');
    const manifests: [string, Manifest][] = [
      ['1 entry', { entries: [one] }],
      ['16 entries', { entries }],
    ];
    for (const [label, manifest] of manifests) {
      const base = json(manifest).length;
      for (const [name, encode, decode] of codecs) {
        const bytes = encode(manifest);
        if (JSON.stringify(decode(bytes)) !== JSON.stringify(manifest)) throw new Error(`${name} does not round-trip`);
        console.log(
          `| ${label} | ${name} | ${bytes.length} | ${((100 * bytes.length) / base).toFixed(1)} % | ${measure(() => encode(manifest)).toFixed(2)} | ${measure(() => decode(bytes)).toFixed(2)} |`,
        );
      }
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
})();

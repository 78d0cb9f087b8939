// On-disk format of one cached compile result (docs/architecture.md, "Cache entry format").
// Versioned and checksummed: a torn, truncated, bit-flipped or foreign entry decodes to an
// error, which the caller counts and treats as a miss, never as a wrong object.

import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import { DEFAULT_COMPRESSION_LEVEL, DEFAULT_ENTRY_CODEC, type EntryCompression } from '../config/config';
import { lz4, type Lz4Load } from './lz4Binding';

const MAGIC = Buffer.from('WCE1', 'ascii');
export const ENTRY_FORMAT_VERSION = 2;
const HEADER_LENGTH = MAGIC.length + 2 + 1 + 1 + 4 + 4; // magic, version, codec, reserved, crc32, raw length
/** codec byte: brotli (written until deflate replaced it, still read) */
const CODEC_BROTLI = 1;
/** codec byte: zlib (deflate, by default level 1, with its adler-32 trailer) */
const CODEC_DEFLATE = 2;
/** codec byte: LZ4 block with the raw length in front (lz4Binding.ts); the check value is the
 *  CRC-32 of the compressed bytes, verified before decompressing */
const CODEC_LZ4 = 3;
const KNOWN_CODECS = new Set([CODEC_BROTLI, CODEC_DEFLATE, CODEC_LZ4]);

const deflate = promisify(zlib.deflate);
const inflate = promisify(zlib.inflate);
const brotliDecompress = promisify(zlib.brotliDecompress);

/** Output files a compile can produce, by role (see compilers/types.ts ExpectedOutputs). */
export type OutputRole = 'object' | 'depFile' | 'dwo' | 'gcno';

export interface CacheEntry {
  files: { role: OutputRole; data: Buffer }[];
  stdout: Buffer;
  stderr: Buffer;
  /** how long the compile took, for the "time saved" statistic */
  compileMs: number;
}

interface EntryMetadata {
  compileMs: number;
  sections: { name: string; length: number }[];
}

export class CorruptEntryError extends Error {}

export const DEFAULT_ENTRY_COMPRESSION: EntryCompression = { codec: DEFAULT_ENTRY_CODEC, level: DEFAULT_COMPRESSION_LEVEL };

/** the codec new entries get in this process with these settings, and why when it is not the one asked for */
export function effectiveCodec(compression: EntryCompression, lz4Load: Lz4Load = lz4()): { codec: string; note?: string } {
  if (compression.level === 0) return { codec: 'none (deflate stored blocks)' };
  if (compression.codec === 'lz4' && !lz4Load.binding) return { codec: `deflate level ${compression.level}`, note: lz4Load.reason };
  return { codec: compression.codec === 'lz4' ? 'lz4' : `deflate level ${compression.level}` };
}

function entryHeader(codec: number, check: number, rawLength: number): Buffer {
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(ENTRY_FORMAT_VERSION, 4);
  header.writeUInt8(codec, 6);
  header.writeUInt32LE(check, 8);
  header.writeUInt32LE(rawLength, 12);
  return header;
}

export async function encodeEntry(entry: CacheEntry, compression: EntryCompression = DEFAULT_ENTRY_COMPRESSION, lz4Load: Lz4Load = lz4()): Promise<Buffer> {
  const sections = [
    { name: 'stdout', data: entry.stdout },
    { name: 'stderr', data: entry.stderr },
    ...entry.files.map((file) => ({ name: `file:${file.role}`, data: file.data })),
  ];
  const metadata: EntryMetadata = {
    compileMs: entry.compileMs,
    sections: sections.map((section) => ({ name: section.name, length: section.data.length })),
  };
  const metadataBytes = Buffer.from(JSON.stringify(metadata));
  const metadataLength = Buffer.alloc(4);
  metadataLength.writeUInt32LE(metadataBytes.length, 0);
  const raw = Buffer.concat([metadataLength, metadataBytes, ...sections.map((section) => section.data)]);
  if (compression.level !== 0 && compression.codec === 'lz4' && lz4Load.binding) {
    // LZ4 by default: a hit's latency on large objects is mostly decompression, and on the
    // benchmark project's objects LZ4 decompresses 3x faster than inflate, for ~45 % more bytes
    // (docs/architecture.md, "Cache entry format"; bench/entryCodecs.ts)
    const compressed = lz4Load.binding.compressSync(raw);
    return Buffer.concat([entryHeader(CODEC_LZ4, zlib.crc32(compressed), raw.length), compressed]);
  }
  // Deflate (zlib format), where LZ4 is not chosen or cannot load; level 1 by default: on the
  // benchmark's 3.6 MB C++ debug objects inflate takes 5.3 ms against brotli-1's 9.7 ms. zlib's
  // adler-32, checked while inflating, replaces a separate CRC-32 pass (0.7 ms).
  // One chunk: Node's async zlib otherwise hops between thread pool and main thread per 16 KiB.
  // Level 0 writes stored blocks in the same zlib format: every reader decodes it the same way.
  const compressed = await deflate(raw, { level: compression.level, chunkSize: Math.max(64 * 1024, raw.length) });
  // the checksum field repeats the zlib stream's adler-32 trailer, which inflate verifies against
  // the data (brotli entries carry a CRC-32 of the data, LZ4 entries one of the compressed bytes).
  // Each catches torn writes, truncation and bit flips; the key, not the checksum, guarantees an
  // entry answers a request.
  return Buffer.concat([entryHeader(CODEC_DEFLATE, compressed.readUInt32BE(compressed.length - 4), raw.length), compressed]);
}

function decompressLz4(payload: Buffer, rawLength: number, expectedCrc: number, lz4Load: Lz4Load): Buffer {
  // verify before decompressing: LZ4 has no check of its own, and a flipped length could ask for gigabytes
  if (payload.length < 4 || zlib.crc32(payload) !== expectedCrc || payload.readUInt32LE(0) !== rawLength) {
    throw new CorruptEntryError('checksum mismatch');
  }
  if (!lz4Load.binding) throw new Error(`the entry is LZ4-compressed and this server cannot decompress it: ${lz4Load.reason}`);
  try {
    return lz4Load.binding.uncompressSync(payload);
  } catch (error) {
    throw new CorruptEntryError(`cannot decompress LZ4 entry: ${(error as Error).message}`);
  }
}

async function decompressZlib(codec: number, payload: Buffer, rawLength: number): Promise<Buffer> {
  try {
    // the header knows the size: decompress in one chunk (see encodeEntry)
    const options = { chunkSize: Math.max(64 * 1024, rawLength), maxOutputLength: rawLength + 1 };
    return codec === CODEC_DEFLATE ? await inflate(payload, options) : await brotliDecompress(payload, options);
  } catch (error) {
    // includes zlib's "incorrect data check" (adler-32) and a truncated stream
    throw new CorruptEntryError(`cannot decompress entry: ${(error as Error).message}`);
  }
}

export async function decodeEntry(bytes: Buffer, lz4Load: Lz4Load = lz4()): Promise<CacheEntry> {
  if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, 4).equals(MAGIC)) {
    throw new CorruptEntryError('not a warmcc cache entry (bad magic or too short)');
  }
  const version = bytes.readUInt16LE(4);
  if (version !== ENTRY_FORMAT_VERSION) throw new CorruptEntryError(`unsupported entry format version ${version}`);
  const codec = bytes.readUInt8(6);
  if (!KNOWN_CODECS.has(codec)) throw new CorruptEntryError(`unknown codec ${codec}`);
  if (bytes.readUInt8(7) !== 0) throw new CorruptEntryError('reserved header byte is not zero');
  const expectedCrc = bytes.readUInt32LE(8);
  const rawLength = bytes.readUInt32LE(12);
  if (codec === CODEC_DEFLATE && (bytes.length < HEADER_LENGTH + 6 || bytes.readUInt32BE(bytes.length - 4) !== expectedCrc)) {
    throw new CorruptEntryError('checksum mismatch');
  }
  const payload = bytes.subarray(HEADER_LENGTH);
  const raw = codec === CODEC_LZ4 ? decompressLz4(payload, rawLength, expectedCrc, lz4Load) : await decompressZlib(codec, payload, rawLength);
  if (raw.length !== rawLength || (codec === CODEC_BROTLI && zlib.crc32(raw) !== expectedCrc)) {
    throw new CorruptEntryError('checksum mismatch');
  }
  const metadataLength = raw.readUInt32LE(0);
  const metadata = JSON.parse(raw.toString('utf8', 4, 4 + metadataLength)) as EntryMetadata;
  let offset = 4 + metadataLength;
  const entry: CacheEntry = { files: [], stdout: Buffer.alloc(0), stderr: Buffer.alloc(0), compileMs: metadata.compileMs };
  for (const section of metadata.sections) {
    const data = raw.subarray(offset, offset + section.length);
    offset += section.length;
    if (section.name === 'stdout') entry.stdout = data;
    else if (section.name === 'stderr') entry.stderr = data;
    else if (section.name.startsWith('file:')) entry.files.push({ role: section.name.slice(5) as OutputRole, data });
  }
  if (offset !== raw.length) throw new CorruptEntryError('section lengths do not add up');
  return entry;
}

// On-disk format of one cached compile result (docs/architecture.md, "Cache entry format").
// Versioned and checksummed: a torn, truncated, bit-flipped or foreign entry decodes to an
// error, which the caller counts and treats as a miss, never as a wrong object.

import { promisify } from 'node:util';
import * as zlib from 'node:zlib';

const MAGIC = Buffer.from('WCE1', 'ascii');
export const ENTRY_FORMAT_VERSION = 2;
const HEADER_LENGTH = MAGIC.length + 2 + 1 + 1 + 4 + 4; // magic, version, codec, reserved, crc32, raw length
/** codec byte: brotli (written until deflate replaced it, still read) */
const CODEC_BROTLI = 1;
/** codec byte: zlib (deflate level 1 with its adler-32 trailer) */
const CODEC_DEFLATE = 2;

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

/** deflate level of new entries (WARMCC_COMPRESSION_LEVEL): 1 by default, 0 stores the bytes
 *  as they are (no decompression work on a hit, several times the disk) */
export const DEFAULT_COMPRESSION_LEVEL = 1;

export async function encodeEntry(entry: CacheEntry, level = DEFAULT_COMPRESSION_LEVEL): Promise<Buffer> {
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
  // Deflate level 1 (zlib format): every hit pays for decompression, and on the benchmark's
  // 3.6 MB C++ debug objects inflate takes 5.3 ms against brotli-1's 9.7 ms, for ~10 % more bytes;
  // compressing costs more (16 vs 11 ms) but only on a miss, after the reply. zlib's adler-32,
  // checked while inflating, replaces a separate CRC-32 pass (0.7 ms). bench/entryCodecs.ts.
  // One chunk: Node's async zlib otherwise hops between thread pool and main thread per 16 KiB.
  // Level 0 writes stored blocks in the same zlib format: every reader decodes it the same way.
  const compressed = await deflate(raw, { level, chunkSize: Math.max(64 * 1024, raw.length) });
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt16LE(ENTRY_FORMAT_VERSION, 4);
  header.writeUInt8(CODEC_DEFLATE, 6);
  // the checksum field repeats the zlib stream's adler-32 trailer, which inflate verifies against
  // the data (brotli entries carry a CRC-32 of the data instead). Either catches torn writes,
  // truncation and bit flips; the key, not the checksum, guarantees an entry answers a request.
  header.writeUInt32LE(compressed.readUInt32BE(compressed.length - 4), 8);
  header.writeUInt32LE(raw.length, 12);
  return Buffer.concat([header, compressed]);
}

export async function decodeEntry(bytes: Buffer): Promise<CacheEntry> {
  if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, 4).equals(MAGIC)) {
    throw new CorruptEntryError('not a warmcc cache entry (bad magic or too short)');
  }
  const version = bytes.readUInt16LE(4);
  if (version !== ENTRY_FORMAT_VERSION) throw new CorruptEntryError(`unsupported entry format version ${version}`);
  const codec = bytes.readUInt8(6);
  if (codec !== CODEC_DEFLATE && codec !== CODEC_BROTLI) throw new CorruptEntryError(`unknown codec ${codec}`);
  if (bytes.readUInt8(7) !== 0) throw new CorruptEntryError('reserved header byte is not zero');
  const expectedCrc = bytes.readUInt32LE(8);
  const rawLength = bytes.readUInt32LE(12);
  if (codec === CODEC_DEFLATE && (bytes.length < HEADER_LENGTH + 6 || bytes.readUInt32BE(bytes.length - 4) !== expectedCrc)) {
    throw new CorruptEntryError('checksum mismatch');
  }
  let raw: Buffer;
  try {
    // the header knows the size: decompress in one chunk (see encodeEntry)
    const options = { chunkSize: Math.max(64 * 1024, rawLength), maxOutputLength: rawLength + 1 };
    raw = codec === CODEC_DEFLATE ? await inflate(bytes.subarray(HEADER_LENGTH), options) : await brotliDecompress(bytes.subarray(HEADER_LENGTH), options);
  } catch (error) {
    // includes zlib's "incorrect data check" (adler-32) and a truncated stream
    throw new CorruptEntryError(`cannot decompress entry: ${(error as Error).message}`);
  }
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

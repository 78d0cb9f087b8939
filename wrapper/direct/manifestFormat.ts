// The stored form of a manifest (WCM2), and its decoding: never trusted blindly, the bytes come
// from a shared cache directory or a remote tier.

import * as zlib from 'node:zlib';
import type { Manifest } from './manifest';

// Stored form (WCM2): magic, u32 length and CRC-32 of the body, then the body compressed with
// brotli (quality 4). The body is JSON made of tables: directories; unique (directory, name, hash)
// files; unique (directory, name) absent candidates; and entries that list indices into them.
// A C++ manifest names a few hundred files and thousands of absent candidates in a few dozen
// directories, and its entries share most of them. Chosen by bench/manifestCodecs.ts
// (docs/benchmarks.md, "Manifest encoding").
const MAGIC = Buffer.from('WCM2', 'ascii');
const HEADER_LENGTH = MAGIC.length + 8;
/** refuse to inflate beyond this (a corrupt length or a decompression bomb) */
const MAX_BODY_BYTES = 64 * 1024 * 1024;
const BROTLI = { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 4 } };
const HASH = /^[0-9a-f]{64}$/;

interface CompactManifest {
  dirs: string[];
  /** flat [directory index, base name, hash, ...] */
  files: (number | string)[];
  /** flat [directory index, base name, ...] */
  absent: (number | string)[];
  /** indices into files (per triple) and absent (per pair), as runs: [first, count, ...] */
  entries: { resultKey: string; files: number[]; absent: number[] }[];
}

/** [3, 4, 5, 9] -> [3, 3, 9, 1]: an entry's new files get consecutive indices */
function toRuns(indices: number[]): number[] {
  const runs: number[] = [];
  for (const index of indices) {
    const last = runs.length - 2;
    if (last >= 0 && runs[last]! + runs[last + 1]! === index) runs[last + 1]!++;
    else runs.push(index, 1);
  }
  return runs;
}

/** undefined unless `runs` is a list of in-range [first, count] pairs */
function fromRuns<T>(table: T[], runs: unknown): T[] | undefined {
  if (!Array.isArray(runs) || runs.length % 2 !== 0) return undefined;
  const picked: T[] = [];
  for (let i = 0; i < runs.length; i += 2) {
    const [first, count] = [runs[i] as number, runs[i + 1] as number];
    if (!Number.isInteger(first) || !Number.isInteger(count) || first < 0 || count < 1 || first + count > table.length) return undefined;
    for (let index = first; index < first + count; index++) picked.push(table[index]!);
  }
  return picked;
}

/** Tables of directories, files and absent paths, each stored once, entries by index. */
export function compactManifest(manifest: Manifest): CompactManifest {
  const compact: CompactManifest = { dirs: [], files: [], absent: [], entries: [] };
  const dirs = new Map<string, number>();
  const split = (file: string): [number, string] => {
    // absolute, or relative to the working directory under WARMCC_BASEDIRS (baseDirs.ts)
    const slash = file.lastIndexOf('/');
    const dir = slash < 0 ? '.' : file.slice(0, slash);
    let index = dirs.get(dir);
    if (index === undefined) {
      dirs.set(dir, (index = dirs.size));
      compact.dirs.push(dir);
    }
    return [index, file.slice(slash + 1)];
  };
  const files = new Map<string, number>();
  const absent = new Map<string, number>();
  const indexOf = (table: Map<string, number>, id: string, add: () => void): number => {
    let index = table.get(id);
    if (index === undefined) {
      table.set(id, (index = table.size));
      add();
    }
    return index;
  };
  for (const entry of manifest.entries) {
    compact.entries.push({
      resultKey: entry.resultKey,
      files: toRuns(entry.files.map(([file, hash]) => indexOf(files, `${file}\0${hash}`, () => compact.files.push(...split(file), hash)))),
      absent: toRuns(entry.absent.map((file) => indexOf(absent, file, () => compact.absent.push(...split(file))))),
    });
  }
  return compact;
}

/** The inverse of compactManifest; undefined for anything malformed (never trusted blindly:
 *  the bytes come from a shared cache directory). */
export function expandManifest(compact: unknown): Manifest | undefined {
  const { dirs, files, absent, entries } = (compact ?? {}) as Partial<CompactManifest>;
  if (!Array.isArray(dirs) || !dirs.every((dir) => typeof dir === 'string') || !Array.isArray(entries)) return undefined;
  /** the paths of a flat [dir, name, (hash)] table; stride 3 also checks each hash */
  const paths = (flat: unknown, stride: 2 | 3): string[] | undefined => {
    if (!Array.isArray(flat) || flat.length % stride !== 0) return undefined;
    const cells = flat as unknown[];
    const result: string[] = [];
    for (let i = 0; i < flat.length; i += stride) {
      const dir = dirs[cells[i] as number];
      const name = cells[i + 1];
      if (dir === undefined || !Number.isInteger(cells[i]) || typeof name !== 'string' || name === '' || name.includes('/')) return undefined;
      if (stride === 3 && !(typeof cells[i + 2] === 'string' && HASH.test(cells[i + 2] as string))) return undefined;
      result.push(`${dir}/${name}`);
    }
    return result;
  };
  const filePaths = paths(files, 3);
  const absentPaths = paths(absent, 2);
  if (!filePaths || !absentPaths) return undefined;
  const fileTable = filePaths.map((file, index): [string, string] => [file, files![index * 3 + 2] as string]);
  const manifest: Manifest = { entries: [] };
  for (const entry of entries as Partial<CompactManifest['entries'][number]>[]) {
    if (typeof entry?.resultKey !== 'string' || entry.resultKey === '') return undefined;
    const entryFiles = fromRuns(fileTable, entry.files);
    const entryAbsent = fromRuns(absentPaths, entry.absent);
    if (!entryFiles || !entryAbsent) return undefined;
    manifest.entries.push({ files: entryFiles, absent: entryAbsent, resultKey: entry.resultKey });
  }
  return manifest;
}

export function encodeManifest(manifest: Manifest): Buffer {
  const body = Buffer.from(JSON.stringify(compactManifest(manifest)));
  const header = Buffer.alloc(HEADER_LENGTH);
  MAGIC.copy(header, 0);
  header.writeUInt32LE(body.length, MAGIC.length);
  header.writeUInt32LE(zlib.crc32(body), MAGIC.length + 4);
  return Buffer.concat([header, zlib.brotliCompressSync(body, BROTLI)]);
}

/** undefined for anything that is not an intact manifest of this format (an older format is
 *  simply absent: the next compile records a new one) */
export function decodeManifest(bytes: Buffer): Manifest | undefined {
  if (bytes.length < HEADER_LENGTH || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const length = bytes.readUInt32LE(MAGIC.length);
  if (length > MAX_BODY_BYTES) return undefined;
  try {
    const body = zlib.brotliDecompressSync(bytes.subarray(HEADER_LENGTH), { maxOutputLength: Math.max(length, 1) });
    if (body.length !== length || zlib.crc32(body) !== bytes.readUInt32LE(MAGIC.length + 4)) return undefined;
    return expandManifest(JSON.parse(body.toString('utf8')));
  } catch {
    return undefined;
  }
}

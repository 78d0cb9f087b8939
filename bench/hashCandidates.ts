// Measures content-hash candidates for the file hash cache (wrapper/direct/fileHashCache.ts),
// manifests and cache keys (docs/benchmarks.md, "Hash functions"): Node's OpenSSL digests
// against WebAssembly and native npm libraries, on the inputs warmcc hashes — many small
// headers and multi-megabyte preprocessed outputs — one-shot and in 64 KiB chunks, plus each
// library's load cost in a fresh process (the server starts per build).
// The npm candidates are optional, not dependencies; install them to include them:
//   npm install --no-save hash-wasm xxhash-wasm @node-rs/xxhash @napi-rs/blake-hash
//   node --import tsx bench/hashCandidates.ts [--rounds N]

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { median, medianMs } from './timing';

const rounds = Number(process.argv[process.argv.indexOf('--rounds') + 1]) || 7;
const HEADER_DIR = '/usr/include/c++/12';
const CHUNK = 64 * 1024;

interface Candidate {
  name: string;
  bits: number;
  cryptographic: boolean;
  /** module to import in a fresh process for the load cost, and the init to await there */
  load?: string;
  oneShot: (data: Uint8Array) => string;
  streaming: (chunks: Uint8Array[]) => string;
}

function smallHeaders(): Buffer[] {
  const files: Buffer[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.isFile()) {
        const size = fs.statSync(file).size;
        if (size >= 1024 && size <= 50 * 1024) files.push(fs.readFileSync(file));
      }
    }
  };
  walk(HEADER_DIR);
  return files;
}

function preprocessedOutputs(): Buffer[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-hash-'));
  const sets = [
    ['iostream', 'vector', 'map', 'regex'],
    ['iostream', 'vector', 'map', 'regex', 'algorithm', 'unordered_map', 'thread', 'future', 'filesystem', 'chrono', 'random', 'variant'],
  ];
  try {
    return sets.map((headers, index) => {
      const source = path.join(dir, `p${index}.cc`);
      fs.writeFileSync(source, headers.map((header) => `#include <${header}>\n`).join(''));
      return execFileSync('g++', ['-std=c++20', '-E', source], { maxBuffer: 64 * 1024 * 1024 });
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const chunked = (data: Uint8Array): Uint8Array[] => {
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < data.length; at += CHUNK) chunks.push(data.subarray(at, at + CHUNK));
  return chunks;
};

function openssl(algorithm: string, bits: number, cryptographic: boolean): Candidate {
  return {
    name: `node:crypto ${algorithm}`,
    bits,
    cryptographic,
    oneShot: (data) => createHash(algorithm).update(data).digest('hex'),
    streaming: (chunks) => {
      const hash = createHash(algorithm);
      for (const chunk of chunks) hash.update(chunk);
      return hash.digest('hex');
    },
  };
}

// Optional modules, loaded by a computed name so the type check passes without them; the local
// interfaces name only what is used here.
interface Hasher {
  init(): Hasher;
  update(data: Uint8Array): Hasher;
  digest(format: 'hex'): string;
}
interface HashWasm {
  createXXHash3(): Promise<Hasher>;
  createXXHash128(): Promise<Hasher>;
  createBLAKE3(): Promise<Hasher>;
}
interface Streaming<T> {
  update(data: Uint8Array): Streaming<T>;
  digest(): T;
}
interface XxhashWasm {
  default(): Promise<{ h64Raw(data: Uint8Array): bigint; create64(): Streaming<bigint> }>;
}
interface NodeRsXxhash {
  xxh3: { xxh128(data: Uint8Array): bigint; Xxh3: { withSeed(): Streaming<bigint> } };
}
interface BlakeHash {
  blake3(data: Uint8Array): Buffer;
  Blake3Hasher: new () => { update(data: Buffer): unknown; digest(format: 'hex'): string };
}
const optional = <T>(name: string): Promise<T> => import(name) as Promise<T>;

async function optionalCandidates(notes: string[]): Promise<Candidate[]> {
  const candidates: Candidate[] = [];
  const tryLoad = async (what: string, add: () => Promise<void>): Promise<void> => {
    try {
      await add();
    } catch (error) {
      notes.push(`${what}: not measured (${(error as Error).message.split('\n')[0]})`);
    }
  };
  await tryLoad('hash-wasm', async () => {
    const hashWasm = await optional<HashWasm>('hash-wasm');
    for (const [name, bits, cryptographic, create] of [
      ['xxh3', 64, false, () => hashWasm.createXXHash3()],
      ['xxh128', 128, false, () => hashWasm.createXXHash128()],
      ['blake3', 256, true, () => hashWasm.createBLAKE3()],
    ] as const) {
      const hasher = await create();
      candidates.push({
        name: `hash-wasm ${name}`,
        bits,
        cryptographic,
        load: `const m = await import('hash-wasm'); await m.${name === 'xxh3' ? 'createXXHash3' : name === 'xxh128' ? 'createXXHash128' : 'createBLAKE3'}();`,
        oneShot: (data) => hasher.init().update(data).digest('hex'),
        streaming: (chunks) => {
          hasher.init();
          for (const chunk of chunks) hasher.update(chunk);
          return hasher.digest('hex');
        },
      });
    }
  });
  await tryLoad('xxhash-wasm', async () => {
    const api = await (await optional<XxhashWasm>('xxhash-wasm')).default();
    candidates.push({
      name: 'xxhash-wasm xxh64',
      bits: 64,
      cryptographic: false,
      load: `const m = await import('xxhash-wasm'); await m.default();`,
      oneShot: (data) => api.h64Raw(data).toString(16),
      streaming: (chunks) => {
        const hash = api.create64();
        for (const chunk of chunks) hash.update(chunk);
        return hash.digest().toString(16);
      },
    });
  });
  await tryLoad('@node-rs/xxhash', async () => {
    const { xxh3 } = await optional<NodeRsXxhash>('@node-rs/xxhash');
    candidates.push({
      name: '@node-rs/xxhash xxh128 (native)',
      bits: 128,
      cryptographic: false,
      load: `await import('@node-rs/xxhash');`,
      oneShot: (data) => xxh3.xxh128(data).toString(16),
      // the native streaming class is 64-bit only (Xxh3.digest(): bigint of xxh3-64)
      streaming: (chunks) => {
        const hash = xxh3.Xxh3.withSeed();
        for (const chunk of chunks) hash.update(chunk);
        return hash.digest().toString(16);
      },
    });
  });
  await tryLoad('@napi-rs/blake-hash', async () => {
    const blake = await optional<BlakeHash>('@napi-rs/blake-hash');
    candidates.push({
      name: '@napi-rs/blake-hash blake3 (native)',
      bits: 256,
      cryptographic: true,
      load: `await import('@napi-rs/blake-hash');`,
      oneShot: (data) => blake.blake3(data).toString('hex'),
      streaming: (chunks) => {
        const hash = new blake.Blake3Hasher();
        for (const chunk of chunks) hash.update(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        return hash.digest('hex');
      },
    });
  });
  return candidates;
}

/** median over rounds of ms for one pass of `work` */
const measure = (work: () => unknown): number => medianMs(rounds, work);

/** median ms to import and initialise in a fresh node process */
function loadCost(snippet: string): number {
  const script = `const t = performance.now(); ${snippet} console.log(performance.now() - t);`;
  const times: number[] = [];
  for (let round = 0; round < rounds; round++) {
    times.push(Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd() }).toString().trim()));
  }
  return median(times);
}

void (async () => {
  const notes: string[] = [];
  const headers = smallHeaders();
  const outputs = preprocessedOutputs();
  const headerBytes = headers.reduce((sum, file) => sum + file.length, 0);
  const outputBytes = outputs.reduce((sum, file) => sum + file.length, 0);
  const outputChunks = outputs.map(chunked);
  const headerChunks = headers.map(chunked);
  const candidates = [
    openssl('sha256', 256, true),
    openssl('sha1', 160, false),
    openssl('md5', 128, false),
    openssl('blake2b512', 512, true),
    openssl('sha512-256', 256, true),
    ...(await optionalCandidates(notes)),
  ];
  const mbps = (bytes: number, ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(0);
  console.log(
    `inputs: ${headers.length} headers of 1-50 KB from ${HEADER_DIR} (${(headerBytes / 1e6).toFixed(2)} MB); ` +
      `${outputs.length} g++ -E outputs (${outputs.map((o) => (o.length / 1e6).toFixed(2)).join(' + ')} MB); median of ${rounds} rounds\n`,
  );
  console.log('| candidate | bits | crypto | headers MB/s | µs/header | headers streamed MB/s | -E output MB/s | -E streamed MB/s | load ms |');
  console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const candidate of candidates) {
    const headersMs = measure(() => headers.forEach((file) => candidate.oneShot(file)));
    const headersStreamedMs = measure(() => headerChunks.forEach((chunks) => candidate.streaming(chunks)));
    const outputsMs = measure(() => outputs.forEach((file) => candidate.oneShot(file)));
    const outputsStreamedMs = measure(() => outputChunks.forEach((chunks) => candidate.streaming(chunks)));
    const load = candidate.load ? loadCost(candidate.load).toFixed(1) : 'built in';
    console.log(
      `| ${candidate.name} | ${candidate.bits} | ${candidate.cryptographic ? 'yes' : 'no'} | ${mbps(headerBytes, headersMs)} | ${((headersMs * 1000) / headers.length).toFixed(1)} | ` +
        `${mbps(headerBytes, headersStreamedMs)} | ${mbps(outputBytes, outputsMs)} | ${mbps(outputBytes, outputsStreamedMs)} | ${load} |`,
    );
  }
  // what a per-file cost means next to the read that the file hash cache does anyway
  const readAll = (() => {
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) walk(file);
        else if (entry.isFile() && fs.statSync(file).size >= 1024 && fs.statSync(file).size <= 50 * 1024) files.push(file);
      }
    };
    walk(HEADER_DIR);
    return measure(() => files.forEach((file) => fs.readFileSync(file)));
  })();
  console.log(
    `\nfor scale: stat-less readFileSync of the same ${headers.length} headers (page cache): ${((readAll * 1000) / headers.length).toFixed(1)} µs/header`,
  );
  for (const note of notes) console.log(`note: ${note}`);
})();

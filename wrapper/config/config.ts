// The one module that reads warmcc's settings. Every setting here matches a row of
// docs/configuration.md (environment variable, default, meaning); nothing else reads WARMCC_*.
// Server settings may also come from $WARMCC_DIR/warmcc.conf (configFile.ts); the environment wins.

import * as os from 'node:os';
import * as path from 'node:path';
import { parseRemoteList, type RemoteSpec } from './remoteTiers';
import { socketPath } from '../contract/socketPath';
import { CONFIG_FILE_NAME, readConfigFile } from './configFile';

export interface WarmccConfig {
  /** local cache directory (WARMCC_DIR) */
  cacheDir: string;
  /** local cache size limit in bytes (WARMCC_CACHE_SIZE) */
  cacheSizeLimit: number;
  /** the server's Unix socket (WARMCC_SOCKET) */
  socketPath: string;
  /** the server's log file (WARMCC_LOG) */
  logFile: string;
  /** seconds without requests before the server exits; 0 = never (WARMCC_IDLE_TIMEOUT) */
  idleTimeoutSeconds: number;
  /** how long a client waits for an auto-started server, in ms (WARMCC_START_TIMEOUT) */
  startTimeoutMs: number;
  /** error | info | debug (WARMCC_LOG_LEVEL) */
  logLevel: 'error' | 'info' | 'debug';
  /** direct mode: hits without running the preprocessor (WARMCC_DIRECT; on unless 0/false) */
  directMode: boolean;
  /** depend mode: misses never run the preprocessor either; the manifest comes from the
   *  compiler's dependency list (WARMCC_DEPEND; opt-in; needs direct mode) */
  dependMode: boolean;
  /** absolute directories whose paths are made relative to the working directory, in keys and
   *  command lines, so checkouts at different places share hits (WARMCC_BASEDIRS, ':'-separated) */
  baseDirs: string[];
  /** relaxed checks, ccache's names (WARMCC_SLOPPINESS, comma-separated): time_macros, system_headers */
  sloppiness: string[];
  /** bytes the request journal may take, current and rotated file together; 0 = off (WARMCC_JOURNAL_SIZE) */
  journalSizeLimit: number;
  /** remote tiers after local disk, in lookup order (WARMCC_REMOTE; see remoteTiers.ts) */
  remotes: RemoteSpec[];
  /** extra processes that accept on the server's socket and serve direct-mode hits, so hits of a
   *  parallel build use more than one core (WARMCC_HIT_SERVERS; default: half the cores - 1, at most 3;
   *  0 in preprocessor mode, where there are no direct hits to serve) */
  hitServers: number;
  /** how stored entries are compressed: codec lz4 (default; deflate where its binding does not
   *  load) or deflate (WARMCC_COMPRESSION), and level 0-9 (WARMCC_COMPRESSION_LEVEL): 0 stores them
   *  uncompressed (hits skip decompression, for several times the disk), 1-9 is deflate's level */
  compression: EntryCompression;
}

type Env = Record<string, string | undefined>;

/** deflate level of new entries (WARMCC_COMPRESSION_LEVEL): 1 by default, 0 stores the bytes
 *  as they are (no decompression work on a hit, several times the disk) */
export const DEFAULT_COMPRESSION_LEVEL = 1;

/** codecs new entries can be written with (WARMCC_COMPRESSION) */
export const ENTRY_CODECS = ['lz4', 'deflate'] as const;
export type EntryCodec = (typeof ENTRY_CODECS)[number];
export const DEFAULT_ENTRY_CODEC: EntryCodec = 'lz4';

/** how new entries are compressed: `codec` when it can be (LZ4 needs its binding; deflate
 *  otherwise), `level` 0 = uncompressed whatever the codec, 1-9 = deflate's level */
export interface EntryCompression {
  codec: EntryCodec;
  level: number;
}

const DEFAULT_CACHE_SIZE = 10 * 1024 ** 3;
const DEFAULT_IDLE_TIMEOUT_SECONDS = 600;
const DEFAULT_START_TIMEOUT_MS = 10_000;
const DEFAULT_JOURNAL_SIZE = 4 * 1024 ** 2;
const MAX_DEFAULT_HIT_SERVERS = 3;
const MAX_HIT_SERVERS = 64;

function parseCompressionCodec(text: string | undefined): EntryCodec {
  if (text === undefined || text === '') return DEFAULT_ENTRY_CODEC;
  const codec = ENTRY_CODECS.find((name) => name === text.trim().toLowerCase());
  if (!codec) throw new Error(`WARMCC_COMPRESSION: expected one of ${ENTRY_CODECS.join(', ')}, got '${text}'`);
  return codec;
}

function parseCompressionLevel(text: string | undefined): number {
  if (text === undefined || text === '') return DEFAULT_COMPRESSION_LEVEL;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > 9) {
    throw new Error(`WARMCC_COMPRESSION_LEVEL: expected a deflate level from 0 (none) to 9, got '${text}'`);
  }
  return value;
}

export function defaultHitServers(cores: number): number {
  return Math.max(0, Math.min(Math.floor(cores / 2) - 1, MAX_DEFAULT_HIT_SERVERS));
}

function parseHitServers(text: string | undefined, directMode: boolean): number {
  // half the cores go to make, the clients and the compilers; the main server takes one. On 2
  // cores a hit server measured no faster than none (docs/benchmarks.md), so there it is 0.
  if (text === undefined || text === '') return directMode ? defaultHitServers(os.availableParallelism()) : 0;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0 || value > MAX_HIT_SERVERS) {
    throw new Error(`WARMCC_HIT_SERVERS: expected a whole number from 0 to ${MAX_HIT_SERVERS}, got '${text}'`);
  }
  return value;
}

/** Parses "10G", "500M", "64K", "1024" (bytes). Throws with the offending text. */
export function parseSize(text: string, settingName: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)i?B?\s*$/i.exec(text);
  if (!match) {
    throw new Error(`${settingName}: cannot read size '${text}' (use e.g. 500M, 10G)`);
  }
  const units: Record<string, number> = { '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };
  return Math.floor(Number(match[1]) * units[match[2]!.toUpperCase()]!);
}

function parseNonNegativeNumber(text: string | undefined, settingName: string, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${settingName}: expected a number >= 0, got '${text}'`);
  }
  return value;
}

const SLOPPINESS_VALUES = ['time_macros', 'system_headers'];

function parseSloppiness(text: string | undefined): string[] {
  const values = (text ?? '')
    .split(',')
    .map((value) => value.trim())
    .filter(Boolean);
  const unknown = values.filter((value) => !SLOPPINESS_VALUES.includes(value));
  if (unknown.length) throw new Error(`WARMCC_SLOPPINESS: unknown value '${unknown[0]}' (known: ${SLOPPINESS_VALUES.join(', ')})`);
  return values;
}

/** ':'-separated absolute directories, normalised without a trailing '/'; '/' itself is refused
 *  (every path would become relative, including system headers). */
function parseBaseDirs(text: string | undefined): string[] {
  const dirs = (text ?? '')
    .split(':')
    .map((dir) => dir.trim())
    .filter(Boolean);
  for (const dir of dirs) {
    if (!path.isAbsolute(dir)) throw new Error(`WARMCC_BASEDIRS: '${dir}' is not an absolute directory`);
    if (path.resolve(dir) === '/') throw new Error(`WARMCC_BASEDIRS: '/' cannot be a base dir (every path would be rewritten)`);
  }
  return [...new Set(dirs.map((dir) => path.resolve(dir)))];
}

function parseLogLevel(text: string | undefined): WarmccConfig['logLevel'] {
  if (text === undefined || text === '') return 'info';
  if (text === 'error' || text === 'info' || text === 'debug') return text;
  throw new Error(`WARMCC_LOG_LEVEL: expected error, info or debug, got '${text}'`);
}

export function defaultCacheDir(env: Env): string {
  if (env.XDG_CACHE_HOME) return path.join(env.XDG_CACHE_HOME, 'warmcc');
  return path.join(env.HOME || os.homedir(), '.cache', 'warmcc');
}

export function loadConfig(processEnv: Env = process.env): WarmccConfig {
  const cacheDir = path.resolve(processEnv.WARMCC_DIR || defaultCacheDir(processEnv));
  // $WARMCC_DIR/warmcc.conf under the environment (configFile.ts)
  const env: Env = { ...readConfigFile(path.join(cacheDir, CONFIG_FILE_NAME)) };
  for (const [name, value] of Object.entries(processEnv)) if (value !== undefined) env[name] = value;
  const directMode = env.WARMCC_DIRECT === undefined || env.WARMCC_DIRECT === '' || isTruthy(env.WARMCC_DIRECT);
  const dependMode = isTruthy(env.WARMCC_DEPEND);
  return {
    cacheDir,
    cacheSizeLimit: env.WARMCC_CACHE_SIZE ? parseSize(env.WARMCC_CACHE_SIZE, 'WARMCC_CACHE_SIZE') : DEFAULT_CACHE_SIZE,
    socketPath: socketPath(env, process.getuid?.() ?? 0, process.cwd()),
    logFile: path.resolve(env.WARMCC_LOG || path.join(cacheDir, 'server.log')),
    idleTimeoutSeconds: parseNonNegativeNumber(env.WARMCC_IDLE_TIMEOUT, 'WARMCC_IDLE_TIMEOUT', DEFAULT_IDLE_TIMEOUT_SECONDS),
    startTimeoutMs: parseNonNegativeNumber(env.WARMCC_START_TIMEOUT, 'WARMCC_START_TIMEOUT', DEFAULT_START_TIMEOUT_MS),
    logLevel: parseLogLevel(env.WARMCC_LOG_LEVEL),
    directMode,
    dependMode,
    baseDirs: parseBaseDirs(env.WARMCC_BASEDIRS),
    sloppiness: parseSloppiness(env.WARMCC_SLOPPINESS),
    journalSizeLimit: env.WARMCC_JOURNAL_SIZE ? parseSize(env.WARMCC_JOURNAL_SIZE, 'WARMCC_JOURNAL_SIZE') : DEFAULT_JOURNAL_SIZE,
    remotes: parseRemoteList(env.WARMCC_REMOTE, 'WARMCC_REMOTE'),
    // depend mode implies direct mode (its hits are direct hits)
    hitServers: parseHitServers(env.WARMCC_HIT_SERVERS, directMode || dependMode),
    compression: { codec: parseCompressionCodec(env.WARMCC_COMPRESSION), level: parseCompressionLevel(env.WARMCC_COMPRESSION_LEVEL) },
  };
}

/** Per-request switches, read from the client's environment (not the server's). */
export interface RequestSwitches {
  /** WARMCC_RECACHE: compile and overwrite the cached result instead of reading it */
  recache: boolean;
  /** WARMCC_BASEDIRS from the client's environment, when it sets one (it wins over the
   *  server's, so a shell's setting applies to an already running server) */
  baseDirs: string[] | undefined;
}

export function isTruthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

export function requestSwitches(clientEnv: Env): RequestSwitches {
  return {
    recache: isTruthy(clientEnv.WARMCC_RECACHE),
    baseDirs: clientEnv.WARMCC_BASEDIRS === undefined ? undefined : parseBaseDirs(clientEnv.WARMCC_BASEDIRS),
  };
}

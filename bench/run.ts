// warmcc benchmark: full-build wall time of a generated C/C++ project with no cache, warmcc,
// ccache and sccache (cold and warm), plus the per-call cost of a cache hit. It only reports:
// nothing here asserts on time. Every warm number is checked against the tool's own hit
// counters, so a cache that silently misses cannot produce a fast-looking row.
//
//   npm run bench -- [--quick] [--runs N] [--json [file]] [--keep] [--tools warmcc,warmcc-direct,ccache,...]
//                    [--jobs N] [--calls N] [--compiler gcc|clang] [--seed N] [--workdir DIR]
//                    [--timeout SECONDS] [--warmcc PATH]
//
// See bench/README.md.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateProject, type GeneratedProject } from './generateProject';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** the warmcc client; --warmcc overrides it */
let WARMCC_BIN = path.join(REPO, 'bin', 'warmcc');

// warmcc: preprocessor mode (WARMCC_DIRECT=0); warmcc-direct: the default direct mode;
// warmcc-depend: depend mode (WARMCC_DEPEND=1); warmcc-remote: direct mode with a Redis tier
// (WARMCC_REMOTE) on a redis-server the bench starts on loopback, whose warm rows start from an
// empty local cache each time (remote hits + write-back); warmcc-stored: direct mode with entries
// stored uncompressed (WARMCC_COMPRESSION_LEVEL=0); warmcc-deflate: direct mode with deflate
// entries instead of the default LZ4 (WARMCC_COMPRESSION=deflate). Each has its own server and cache.
type WarmccToolId = 'warmcc' | 'warmcc-direct' | 'warmcc-depend' | 'warmcc-stored' | 'warmcc-deflate' | 'warmcc-remote';
type ToolId = WarmccToolId | 'ccache' | 'sccache';
const ALL_TOOLS: readonly ToolId[] = ['warmcc', 'warmcc-direct', 'warmcc-depend', 'warmcc-stored', 'warmcc-deflate', 'warmcc-remote', 'ccache', 'sccache'];
/** variants run by the warmcc binary, each with its own server */
const WARMCC_VARIANTS: readonly ToolId[] = ['warmcc-direct', 'warmcc-depend', 'warmcc-stored', 'warmcc-deflate', 'warmcc-remote'];
const WARMCC_MODE_ENV: Record<WarmccToolId, Record<string, string>> = {
  warmcc: { WARMCC_DIRECT: '0' },
  'warmcc-direct': {},
  'warmcc-depend': { WARMCC_DEPEND: '1' },
  'warmcc-stored': { WARMCC_COMPRESSION_LEVEL: '0' },
  'warmcc-deflate': { WARMCC_COMPRESSION: 'deflate' },
  'warmcc-remote': {},
};

interface Options {
  runs: number;
  quick: boolean;
  json?: string;
  keep: boolean;
  jobs: number;
  calls: number;
  tools: ToolId[];
  compiler: 'gcc' | 'clang';
  seed: number;
  workRoot: string;
  timeoutS: number;
}

const USAGE = `usage: npm run bench -- [options]
  --quick               smaller project (10 C + 10 C++ modules instead of 40 + 40)
  --runs N              warm (and plain) builds per mode, the median is reported (default 3)
  --json [FILE]         also write the results as JSON (default bench/work/results-<date>.json)
  --keep                keep the work directory (project, caches, logs)
  --tools LIST          comma-separated subset of warmcc,warmcc-direct,warmcc-depend,warmcc-stored,warmcc-deflate,warmcc-remote,ccache,sccache (default: all)
  --jobs N              make -jN (default: number of CPUs)
  --calls N             calls in the per-hit loop (default 200)
  --compiler gcc|clang  compiler family (default gcc)
  --seed N              project generator seed (default 1)
  --workdir DIR         where the temporary work directory goes (default bench/work)
  --timeout SECONDS     per-build timeout (default 900)
  --warmcc PATH         the warmcc client to measure (default bin/warmcc)`;

function parseArgs(argv: string[]): Options {
  const o: Options = {
    runs: 3,
    quick: false,
    keep: false,
    jobs: os.availableParallelism(),
    calls: 200,
    tools: [...ALL_TOOLS],
    compiler: 'gcc',
    seed: 1,
    workRoot: path.join(REPO, 'bench', 'work'),
    timeoutS: 900,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${name} needs a value`);
      return v;
    };
    const int = (min: number): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new UsageError(`${name} needs an integer >= ${min}`);
      return v;
    };
    switch (name) {
      case '--runs': o.runs = int(1); break;
      case '--quick': o.quick = true; break;
      case '--keep': o.keep = true; break;
      case '--jobs': case '-j': o.jobs = int(1); break;
      case '--calls': o.calls = int(1); break;
      case '--seed': o.seed = int(0); break;
      case '--timeout': o.timeoutS = int(1); break;
      case '--workdir': o.workRoot = path.resolve(value()); break;
      case '--warmcc': WARMCC_BIN = path.resolve(value()); break;
      case '--compiler': {
        const v = value();
        if (v !== 'gcc' && v !== 'clang') throw new UsageError('--compiler is gcc or clang');
        o.compiler = v;
        break;
      }
      case '--tools': {
        const list = value().split(',').map((s) => s.trim()).filter(Boolean);
        for (const t of list) if (!ALL_TOOLS.includes(t as ToolId)) throw new UsageError(`unknown tool ${t} (${ALL_TOOLS.join(', ')})`);
        o.tools = ALL_TOOLS.filter((t) => list.includes(t));
        break;
      }
      case '--json': {
        if (inline !== undefined) o.json = path.resolve(inline);
        else if (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('-')) o.json = path.resolve(argv[++i]!);
        else o.json = '';
        break;
      }
      case '-h': case '--help':
        console.log(USAGE);
        process.exit(0);
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return o;
}

class UsageError extends Error {}
class Aborted extends Error {
  constructor() {
    super('aborted');
  }
}

// ---------------------------------------------------------------------------------------------
// processes

let aborted = false;
const live = new Set<ChildProcess>();
let scratchDir = os.tmpdir();
let scratchSeq = 0;

interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** append stdout+stderr here (out/err are then empty) */
  logFile?: string;
  timeoutMs?: number;
  /** run even after Ctrl-C (cleanup commands) */
  evenIfAborted?: boolean;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** spawn to exit, in ms */
  ms: number;
  out: string;
  err: string;
  timedOut: boolean;
  spawnError?: string;
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    try {
      child.kill(signal);
    } catch {
      /* already gone */
    }
  }
}

/**
 * Runs a command with its output going to files (never pipes: a daemon started by the command,
 * e.g. an auto-started cache server, may keep inherited descriptors open for minutes).
 * Each child gets its own process group so a timeout or Ctrl-C can stop the whole tree.
 */
function run(cmd: string, args: string[], o: RunOptions): Promise<RunResult> {
  if (aborted && !o.evenIfAborted) return Promise.reject(new Aborted());
  let outFd: number;
  let errFd: number;
  let outFile: string | undefined;
  let errFile: string | undefined;
  if (o.logFile) {
    fs.appendFileSync(o.logFile, `$ ${shellJoin([cmd, ...args])}\n`);
    outFd = errFd = fs.openSync(o.logFile, 'a');
  } else {
    const n = ++scratchSeq;
    outFile = path.join(scratchDir, `cmd-${n}.out`);
    errFile = path.join(scratchDir, `cmd-${n}.err`);
    outFd = fs.openSync(outFile, 'w');
    errFd = fs.openSync(errFile, 'w');
  }
  const closeFds = (): void => {
    fs.closeSync(outFd);
    if (errFd !== outFd) fs.closeSync(errFd);
  };
  const collect = (): { out: string; err: string } => {
    if (!outFile || !errFile) return { out: '', err: '' };
    const read = (f: string): string => {
      try {
        const text = fs.readFileSync(f, 'utf8');
        fs.rmSync(f, { force: true });
        return text;
      } catch {
        return '';
      }
    };
    return { out: read(outFile), err: read(errFile) };
  };

  return new Promise((resolve) => {
    let settled = false;
    let timedOut = false;
    let timer: NodeJS.Timeout | undefined;
    const t0 = process.hrtime.bigint();
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: string): void => {
      if (settled) return;
      settled = true;
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (timer) clearTimeout(timer);
      live.delete(child);
      closeFds();
      const { out, err } = collect();
      resolve({ code, signal, ms, out, err, timedOut, ...(spawnError !== undefined ? { spawnError } : {}) });
    };
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', outFd, errFd], detached: true });
    } catch (error) {
      closeFds();
      collect();
      resolve({ code: null, signal: null, ms: 0, out: '', err: '', timedOut: false, spawnError: (error as Error).message });
      return;
    }
    live.add(child);
    child.once('error', (error) => finish(null, null, error.message));
    child.once('exit', (code, signal) => finish(code, signal));
    if (o.timeoutMs !== undefined) {
      timer = setTimeout(() => {
        timedOut = true;
        killGroup(child, 'SIGTERM');
        setTimeout(() => killGroup(child, 'SIGKILL'), 3000).unref();
      }, o.timeoutMs);
    }
  });
}

function describeFailure(r: RunResult): string {
  if (r.spawnError) return `could not run: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${(r.ms / 1000).toFixed(0)} s`;
  if (r.signal) return `killed by ${r.signal}`;
  const text = (r.err.trim() || r.out.trim()).split('\n').slice(-3).join(' | ');
  return `exit ${r.code}${text ? `: ${text}` : ''}`;
}

async function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 60_000): Promise<RunResult> {
  return run(cmd, args, { cwd, env, timeoutMs });
}

function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const full = path.join(dir, name);
    try {
      fs.accessSync(full, fs.constants.X_OK);
      if (fs.statSync(full).isFile()) return full;
    } catch {
      /* next */
    }
  }
  return undefined;
}

/** Pids of processes (not us) whose environment holds NAME=value: the servers a tool started
 *  for this run carry the run's unique temp path, so this finds only what we started. */
function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const pids: number[] = [];
  let entries: string[] = [];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${pid}/environ`, 'latin1').split('\0').includes(needle)) pids.push(pid);
    } catch {
      /* gone or not ours */
    }
  }
  return pids;
}

/** A process's children (a warmcc server's hit servers). */
function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) pids.push(Number(entry));
    } catch {
      /* gone */
    }
  }
  return pids;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(alive);
  }
  return left;
}

/** Terminates leftovers by pid (SIGTERM, then SIGKILL). Returns a note or undefined. */
async function killLeftovers(label: string, marker: [string, string]): Promise<string | undefined> {
  // a server told to stop may take a moment to exit: give it that first
  const pids = await waitGone(processesWithEnv(marker[0], marker[1]), 5000);
  if (pids.length === 0) return undefined;
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  const stubborn = await waitGone(pids, 3000);
  for (const pid of stubborn) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  return `${label}: terminated leftover process(es) ${pids.join(', ')}${stubborn.length ? ` (SIGKILL: ${stubborn.join(', ')})` : ''}`;
}

function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port'))));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: how much of the machine did *other* processes use during a build? (The
// machine may be shared; a busy neighbour inflates any row, including the plain baseline.)

let clockTicks = 100;

/** busy and total jiffies over all CPUs, from /proc/stat */
function cpuJiffies(): { busy: number; total: number } | undefined {
  try {
    const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal guest guest_nice (guest time is in user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const busy = user + nice + system + irq + softirq + steal;
    return { busy, total: busy + idle + iowait };
  } catch {
    return undefined;
  }
}

/** utime+stime+cutime+cstime of a process, in jiffies (children count once waited for) */
function processJiffies(pid: number): number {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields after "(comm) ": state(3) ... utime(14) stime(15) cutime(16) cstime(17)
    return Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  } catch {
    return 0;
  }
}

/** A sample for otherCpuShare(): machine-wide busy time, and the CPU of this process, of its
 *  reaped children (a build's whole make tree, each level waits for the next) and of the cache
 *  server (a daemon, not our child). */
interface CpuSample {
  machine: { busy: number; total: number } | undefined;
  ours: number;
}

function cpuSample(serverPids: number[]): CpuSample {
  return { machine: cpuJiffies(), ours: processJiffies(process.pid) + serverPids.reduce((a, pid) => a + processJiffies(pid), 0) };
}

interface CpuUse {
  /** share of all CPUs used by other processes, 0..1 */
  other: number;
  /** CPU seconds: ours (build + server), the whole machine busy, the machine's capacity */
  ours: number;
  machineBusy: number;
  machineCapacity: number;
}

function cpuUse(a: CpuSample, b: CpuSample): CpuUse | undefined {
  if (!a.machine || !b.machine || b.machine.total <= a.machine.total) return undefined;
  const ours = b.ours - a.ours;
  const busy = b.machine.busy - a.machine.busy;
  const total = b.machine.total - a.machine.total;
  return {
    other: Math.max(0, (busy - ours) / total),
    ours: ours / clockTicks,
    machineBusy: busy / clockTicks,
    machineCapacity: total / clockTicks,
  };
}

// ---------------------------------------------------------------------------------------------
// formatting

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+,@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
function shellJoin(parts: string[]): string {
  return parts.map(shellQuote).join(' ');
}
function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
function mean(values: number[]): number {
  return values.reduce((a, b) => a + b, 0) / values.length;
}
const sec = (ms: number): string => (ms / 1000).toFixed(2);
const msf = (ms: number): string => ms.toFixed(1);
function bytes(n: number): string {
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
function dirBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) {
        try {
          total += fs.statSync(full).size;
        } catch {
          /* raced */
        }
      }
    }
  };
  walk(dir);
  return total;
}
function progress(message: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}\n`);
}
function tailOf(file: string, lines: number): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// cache tools

interface HitStats {
  hits: number;
  misses: number;
  /** hits by mode (ccache; warmcc's direct/preprocessed split) */
  direct?: number;
  preprocessed?: number;
  /** calls the tool passed through (link, not cacheable) */
  uncacheable?: number;
  errors?: number;
}

interface Tool {
  id: ToolId;
  exe: string;
  version: string;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  /** env var carried by every process the tool starts for this run (leftover cleanup) */
  marker?: [string, string];
  /** the server's log, scanned for error lines after each measurement */
  serverLog?: string;
  /** running server processes (their CPU counts as the build's own) */
  serverPids?(): number[];
  /** starts the server if the tool has one; fills startNotes */
  start(): Promise<void>;
  /** untimed, before each warm build and each timed per-hit call (warmcc-remote: empty the local tier) */
  beforeWarm?(): Promise<void>;
  /** extra notes for the per-hit row, from the tool's own counters (warmcc-remote: per-tier latency) */
  perHitNotes?(): Promise<string[]>;
  stats(): Promise<HitStats>;
  stop(): Promise<string[]>;
  startNotes: string[];
}

function diffStats(before: HitStats, after: HitStats): HitStats {
  const d = (a?: number, b?: number): number | undefined => (a === undefined || b === undefined ? undefined : a - b);
  const out: HitStats = { hits: after.hits - before.hits, misses: after.misses - before.misses };
  const direct = d(after.direct, before.direct);
  const pre = d(after.preprocessed, before.preprocessed);
  const unc = d(after.uncacheable, before.uncacheable);
  const err = d(after.errors, before.errors);
  if (direct !== undefined) out.direct = direct;
  if (pre !== undefined) out.preprocessed = pre;
  if (unc !== undefined) out.uncacheable = unc;
  if (err !== undefined) out.errors = err;
  return out;
}

function extractJson(text: string): unknown {
  const start = text.indexOf('{');
  const end = text.lastIndexOf('}');
  if (start < 0 || end < start) throw new Error(`no JSON in output: ${text.trim().slice(0, 200) || '(empty)'}`);
  return JSON.parse(text.slice(start, end + 1));
}

/** Depth-first search for the first numeric (or number-record) value under one of `keys`. */
function findKey(obj: unknown, keys: string[]): unknown {
  if (obj === null || typeof obj !== 'object') return undefined;
  const lower = keys.map((k) => k.toLowerCase());
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (lower.includes(k.toLowerCase())) return v;
  }
  for (const v of Object.values(obj as Record<string, unknown>)) {
    const found = findKey(v, keys);
    if (found !== undefined) return found;
  }
  return undefined;
}

function asCount(v: unknown): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v && typeof v === 'object') {
    let sum = 0;
    let any = false;
    for (const x of Object.values(v as Record<string, unknown>)) {
      const n = asCount(x);
      if (n !== undefined) {
        sum += n;
        any = true;
      }
    }
    return any ? sum : 0;
  }
  return undefined;
}

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  const drop = /^(CCACHE_|SCCACHE_|WARMCC_|MAKE|MFLAGS$|CC$|CXX$|CFLAGS$|CXXFLAGS$|CPPFLAGS$|LDFLAGS$|LDLIBS$|GCC_|COMPILER_PATH$|RUSTC_WRAPPER$)/;
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !drop.test(k)) env[k] = v;
  // a masquerade directory (/usr/lib/ccache, warmcc's bin/masq) on PATH would put "plain" gcc
  // through a cache
  env.PATH = (env.PATH ?? '')
    .split(path.delimiter)
    .filter((d) => !/ccache/.test(d) && path.resolve(d || '.') !== path.join(REPO, 'bin', 'masq'))
    .join(path.delimiter);
  env.LC_ALL = 'C';
  return env;
}

function makeCcache(work: string, exe: string, version: string): Tool {
  const cacheDir = path.join(work, 'ccache');
  const conf = path.join(work, 'ccache.conf');
  fs.writeFileSync(conf, '# empty: defaults only (isolated benchmark config)\n');
  const env = { ...baseEnv(), CCACHE_DIR: cacheDir, CCACHE_CONFIGPATH: conf };
  const tool: Tool = {
    id: 'ccache',
    exe,
    version,
    env,
    cacheDir,
    startNotes: [],
    async start() {
      const r = await capture(exe, ['-z'], env, work);
      if (r.code !== 0) throw new Error(`ccache -z failed: ${describeFailure(r)}`);
    },
    async stats() {
      const r = await capture(exe, ['--print-stats'], env, work);
      if (r.code !== 0) throw new Error(`ccache --print-stats failed: ${describeFailure(r)}`);
      const m = new Map<string, number>();
      for (const line of r.out.split('\n')) {
        const [k, v] = line.split('\t');
        if (k && v !== undefined) m.set(k.trim(), Number(v));
      }
      if (!m.has('cache_miss')) throw new Error('unexpected ccache --print-stats output');
      const g = (k: string): number => m.get(k) ?? 0;
      return {
        hits: g('direct_cache_hit') + g('preprocessed_cache_hit'),
        misses: g('cache_miss'),
        direct: g('direct_cache_hit'),
        preprocessed: g('preprocessed_cache_hit'),
        uncacheable: g('called_for_link') + g('called_for_preprocessing') + g('unsupported_compiler_option') +
          g('unsupported_source_language') + g('no_input_file') + g('multiple_source_files'),
        errors: g('internal_error') + g('compile_failed') + g('preprocessor_error') + g('missing_cache_file'),
      };
    },
    async stop() {
      return [];
    },
  };
  return tool;
}

async function makeSccache(work: string, exe: string, version: string): Promise<Tool> {
  const cacheDir = path.join(work, 'sccache');
  const conf = path.join(work, 'sccache.toml');
  fs.writeFileSync(conf, '# empty: defaults only (isolated benchmark config)\n');
  const port = await freeLoopbackPort();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    SCCACHE_DIR: cacheDir,
    SCCACHE_SERVER_PORT: String(port),
    SCCACHE_CONF: conf,
    SCCACHE_ERROR_LOG: path.join(work, 'logs', 'sccache-server.log'),
  };
  const serverLog = env.SCCACHE_ERROR_LOG!;
  const tool: Tool = {
    id: 'sccache',
    exe,
    version,
    env,
    cacheDir,
    marker: ['SCCACHE_DIR', cacheDir],
    serverLog,
    serverPids: () => processesWithEnv('SCCACHE_DIR', cacheDir),
    startNotes: [],
    async start() {
      const r = await capture(exe, ['--start-server'], env, work, 60_000);
      if (r.code !== 0) throw new Error(`sccache --start-server failed: ${describeFailure(r)}`);
      tool.startNotes.push(`\`sccache --start-server\` ${msf(r.ms)} ms (port ${port})`);
    },
    async stats() {
      const r = await capture(exe, ['-s', '--stats-format', 'json'], env, work);
      if (r.code !== 0) throw new Error(`sccache -s failed: ${describeFailure(r)}`);
      const json = extractJson(r.out) as { stats?: Record<string, unknown> };
      const s = json.stats;
      if (!s) throw new Error('sccache -s: no "stats" in JSON');
      const n = (k: string): number => asCount(s[k]) ?? 0;
      return {
        hits: n('cache_hits'),
        misses: n('cache_misses'),
        uncacheable: n('requests_not_cacheable') + n('requests_not_compile') + n('requests_unsupported_compiler') + n('non_cacheable_compilations'),
        errors: n('cache_errors') + n('cache_read_errors') + n('cache_write_errors') + n('compile_fails') + n('cache_timeouts'),
      };
    },
    async stop() {
      const notes: string[] = [];
      const r = await run(exe, ['--stop-server'], { cwd: work, env, timeoutMs: 20_000, evenIfAborted: true });
      if (r.code !== 0) notes.push(`sccache --stop-server: ${describeFailure(r)}`);
      return notes;
    },
  };
  return tool;
}

function parseWarmccStats(json: unknown): HitStats & { serverPid?: number } {
  const hits = asCount(findKey(json, ['cacheHits', 'cache_hits', 'hits']));
  const misses = asCount(findKey(json, ['cacheMisses', 'cache_misses', 'misses']));
  if (hits === undefined || misses === undefined) throw new Error('warmcc stats JSON has no cacheHits/cacheMisses');
  const out: HitStats & { serverPid?: number } = { hits, misses };
  const unc = asCount(findKey(json, ['notCacheable', 'not_cacheable']));
  if (unc !== undefined) out.uncacheable = unc;
  // direct-mode split (absent on servers from before direct mode)
  const direct = asCount(findKey(json, ['directHits']));
  const preprocessed = asCount(findKey(json, ['preprocessedHits']));
  if (direct !== undefined) out.direct = direct;
  if (preprocessed !== undefined) out.preprocessed = preprocessed;
  const errs = ['internalErrors', 'cacheReadErrors', 'cacheWriteErrors', 'corruptEntries']
    .map((k) => asCount(findKey(json, [k])))
    .filter((x): x is number => x !== undefined);
  if (errs.length) out.errors = errs.reduce((a, b) => a + b, 0);
  const pid = findKey(json, ['serverPid']);
  if (typeof pid === 'number' && pid > 0) out.serverPid = pid;
  return out;
}

function warmccEnv(dir: string, socket: string, log: string): NodeJS.ProcessEnv {
  return { ...baseEnv(), WARMCC_DIR: dir, WARMCC_SOCKET: socket, WARMCC_LOG: log };
}

/** Stops a warmcc server started with `env`; falls back to its pid, then to the env marker. */
async function stopWarmcc(env: NodeJS.ProcessEnv, cwd: string, knownPid: number | undefined): Promise<string[]> {
  const notes: string[] = [];
  const r = await run(WARMCC_BIN, ['--stop-server'], { cwd, env, timeoutMs: 20_000, evenIfAborted: true });
  if (r.code !== 0) notes.push(`warmcc --stop-server: ${describeFailure(r)}`);
  if (knownPid !== undefined) {
    const left = await waitGone([knownPid], 5000);
    if (left.length) {
      try {
        process.kill(knownPid, 'SIGTERM');
        notes.push(`warmcc server ${knownPid} still running after --stop-server; sent SIGTERM`);
      } catch {
        /* gone */
      }
    }
  }
  return notes;
}

function makeWarmcc(work: string, sockDir: string, version: string, id: WarmccToolId = 'warmcc', remoteUrl?: string): Tool {
  const cacheDir = path.join(work, `${id}-cache`);
  const socket = path.join(sockDir, `${id}.sock`);
  const serverLog = path.join(work, 'logs', `${id}-server.log`);
  const env = { ...warmccEnv(cacheDir, socket, serverLog), ...WARMCC_MODE_ENV[id], ...(remoteUrl ? { WARMCC_REMOTE: remoteUrl } : {}) };
  let serverPid: number | undefined;
  const tool: Tool = {
    id,
    exe: WARMCC_BIN,
    version,
    env,
    cacheDir,
    marker: ['WARMCC_SOCKET', socket],
    serverLog,
    // the server and its hit servers (its children; the compilers it runs on misses too)
    serverPids: () => (serverPid !== undefined && alive(serverPid) ? [serverPid, ...childrenOf(serverPid)] : processesWithEnv('WARMCC_SOCKET', socket)),
    startNotes: [],
    async start() {
      const r = await capture(WARMCC_BIN, ['--start-server'], env, work, 60_000);
      if (r.code !== 0) throw new Error(`bin/warmcc --start-server failed: ${describeFailure(r)}`);
      tool.startNotes.unshift(`\`warmcc --start-server\` ${msf(r.ms)} ms`);
    },
    async stats() {
      const r = await capture(WARMCC_BIN, ['-s', '--stats-format', 'json'], env, work);
      if (r.code !== 0) throw new Error(`warmcc -s --stats-format json failed: ${describeFailure(r)}`);
      const s = parseWarmccStats(extractJson(r.out));
      if (s.serverPid !== undefined) serverPid = s.serverPid;
      return s;
    },
    async stop() {
      return stopWarmcc(env, work, serverPid);
    },
  };
  if (remoteUrl) {
    tool.beforeWarm = async () => {
      const r = await capture(WARMCC_BIN, ['-C'], env, work);
      if (r.code !== 0) throw new Error(`warmcc -C failed: ${describeFailure(r)}`);
    };
    tool.perHitNotes = async () => {
      const r = await capture(WARMCC_BIN, ['-s', '--stats-format', 'json'], env, work);
      const tiers = (extractJson(r.out) as { tiers?: { name: string; hits: number; reads: number; averageReadMs: number; errors: number; timeouts: number }[] }).tiers ?? [];
      return tiers.map((t) => `${t.name}: ${t.hits}/${t.reads} hits, ${t.averageReadMs.toFixed(2)} ms per read${t.errors + t.timeouts ? `, ⚠ ${t.errors} errors, ${t.timeouts} timeouts` : ''}`);
    };
  }
  return tool;
}

/** A redis-server for warmcc-remote on a free loopback port, with no persistence. */
async function startBenchRedis(exe: string, work: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as net.AddressInfo).port;
  await new Promise((resolve) => probe.close(resolve));
  const dir = path.join(work, 'redis');
  fs.mkdirSync(dir, { recursive: true });
  const child = spawn(exe, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) break;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    stop: async () => {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** Where a server log ends now, to scan only what a measurement adds. */
function logMark(file: string | undefined): number {
  if (!file) return 0;
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/** Error-looking lines a server log gained since `from`. */
function newErrorLines(file: string | undefined, from: number): string[] {
  if (!file) return [];
  try {
    const text = fs.readFileSync(file).subarray(from).toString('utf8');
    return text.split('\n').filter((l) => /\b(error|fatal|panic|exception|uncaught)\b/i.test(l));
  } catch {
    return [];
  }
}

function errorLinesNote(lines: string[]): string | undefined {
  if (lines.length === 0) return undefined;
  const first = lines[0]!.replace(/^\S*\d{4}-\d\d-\d\dT\S+\s*/, '').replace(/\|/g, '/').slice(0, 120);
  return `⚠ server log: ${lines.length} error line(s), first: "${first}"`;
}

// ---------------------------------------------------------------------------------------------
// measurements

interface BuildRow {
  mode: string;
  tool: 'plain' | ToolId;
  kind: 'plain' | 'cold' | 'warm';
  status: 'ok' | 'failed' | 'skipped' | 'suspect';
  /** wall times of every measured build, ms */
  timesMs: number[];
  /** reported value: the single cold build or the median */
  ms?: number;
  /** per-run deltas of the tool's counters */
  stats: (HitStats | null)[];
  /** per run: share of all CPUs used by processes other than the build and its cache server */
  otherCpu: (number | null)[];
  /** per run: CPU seconds of the build and its cache server, of the whole machine */
  cpu?: CpuUse[];
  notes: string[];
}

interface HitRow {
  label: string;
  command: string;
  status: 'ok' | 'failed' | 'skipped' | 'suspect';
  calls: number;
  meanMs?: number;
  medianMs?: number;
  stats?: HitStats | null;
  cpu?: CpuUse;
  notes: string[];
}

interface Ctx {
  opts: Options;
  work: string;
  project: GeneratedProject;
  projectDir: string;
  smallDir: string;
  logDir: string;
  cc: string;
  cxx: string;
  reference?: string;
  builds: BuildRow[];
  hits: HitRow[];
  serverStarts: string[];
  events: string[];
}

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

async function safeStats(tool: Tool | undefined): Promise<HitStats | null | undefined> {
  if (!tool) return undefined;
  try {
    return await tool.stats();
  } catch (error) {
    if (error instanceof Aborted) throw error;
    progress(`  ${tool.id} stats unavailable: ${(error as Error).message}`);
    return null;
  }
}

/**
 * `count` full builds (make clean, untimed; make -jN, timed) with the given CC/CXX prefix.
 * Checks the tool's counters and the program's output after each build.
 */
async function measureBuilds(
  ctx: Ctx,
  mode: string,
  kind: BuildRow['kind'],
  tool: Tool | undefined,
  extraEnv: NodeJS.ProcessEnv,
  count: number,
): Promise<BuildRow> {
  const row: BuildRow = { mode, tool: tool?.id ?? 'plain', kind, status: 'ok', timesMs: [], stats: [], otherCpu: [], notes: [] };
  ctx.builds.push(row);
  const env = { ...(tool?.env ?? baseEnv()), ...extraEnv };
  const prefix = tool ? `${tool.exe} ` : '';
  const logFile = path.join(ctx.logDir, `${slug(mode)}.log`);
  const expected = ctx.project.compileUnits;
  const logStart = logMark(tool?.serverLog);
  if (tool?.id !== 'ccache' && tool && kind === 'cold') row.notes.push('server started beforehand');
  for (let i = 0; i < count; i++) {
    const clean = await run('make', ['clean'], { cwd: ctx.projectDir, env, logFile, timeoutMs: 60_000 });
    if (clean.code !== 0) throw new Error(`make clean failed: ${describeFailure(clean)}`);
    if (kind === 'warm') await tool?.beforeWarm?.();
    const before = await safeStats(tool);
    progress(`${mode}: build ${i + 1}/${count} ...`);
    const servers = tool?.serverPids?.() ?? [];
    const cpuBefore = cpuSample(servers);
    const r = await run('make', [`-j${ctx.opts.jobs}`, `CC=${prefix}${ctx.cc}`, `CXX=${prefix}${ctx.cxx}`], {
      cwd: ctx.projectDir,
      env,
      logFile,
      timeoutMs: ctx.opts.timeoutS * 1000,
    });
    const use = cpuUse(cpuBefore, cpuSample(servers));
    if (r.code !== 0) {
      row.status = 'failed';
      if (aborted) {
        row.notes.push('aborted');
        throw new Aborted();
      }
      row.notes.push(`build failed (${describeFailure(r)})`);
      progress(`${mode}: build FAILED (${describeFailure(r)}); last lines of ${logFile}:\n${tailOf(logFile, 25)}`);
      return row;
    }
    row.timesMs.push(r.ms);
    row.otherCpu.push(use ? use.other : null);
    if (use) (row.cpu ??= []).push(use);
    const after = await safeStats(tool);
    let delta: HitStats | null = null;
    if (tool) {
      delta = before && after ? diffStats(before, after) : null;
      row.stats.push(delta);
    }
    const out = await capture(`./${ctx.project.program}`, [], env, ctx.projectDir);
    if (out.code !== 0) {
      row.status = 'failed';
      row.notes.push(`built program failed: ${describeFailure(out)}`);
      return row;
    }
    if (ctx.reference === undefined) ctx.reference = out.out;
    else if (out.out !== ctx.reference && !row.notes.some((n) => n.includes('output differs'))) {
      row.status = 'suspect';
      row.notes.push('⚠ program output differs from the plain build');
    }
    const otherNow = row.otherCpu[row.otherCpu.length - 1];
    progress(
      `${mode}: ${sec(r.ms)} s${otherNow != null ? ` (other processes: ${Math.round(otherNow * 100)}% CPU)` : ''}${delta ? `  (hits ${delta.hits}, misses ${delta.misses}${delta.direct !== undefined ? `, direct ${delta.direct}, preprocessed ${delta.preprocessed}` : ''})` : ''}`,
    );
  }
  const logNote = errorLinesNote(newErrorLines(tool?.serverLog, logStart));
  if (logNote) row.notes.push(logNote);
  row.ms = kind === 'cold' ? row.timesMs[0] : median(row.timesMs);
  if (row.timesMs.length > 1) row.notes.push(`median of ${row.timesMs.length}: ${row.timesMs.map(sec).join(', ')} s`);
  else if (kind === 'cold') row.notes.push('1 build');

  if (tool) {
    if (row.stats.some((s) => s === null)) {
      if (row.status === 'ok') row.status = 'suspect';
      row.notes.push('⚠ hits NOT verified (stats unavailable)');
    } else {
      const stats = row.stats as HitStats[];
      const hits = stats.map((s) => s.hits);
      const misses = stats.map((s) => s.misses);
      const list = (xs: number[]): string => (xs.every((x) => x === xs[0]) ? `${xs[0]}` : xs.join('/'));
      if (kind === 'cold') {
        row.notes.push(`misses ${list(misses)}/${expected}, hits ${list(hits)}`);
        if (hits.every((h) => h === 0) && misses.every((m) => m === 0)) {
          row.status = row.status === 'ok' ? 'suspect' : row.status;
          row.notes.push(`⚠ the cache counted no compiles at all (did the client fall back to running the compiler itself?)`);
        } else if (hits.some((h) => h > 0) || misses.some((m) => m !== expected)) {
          row.status = row.status === 'ok' ? 'suspect' : row.status;
          row.notes.push(`⚠ expected ${expected} misses and no hits`);
        }
        row.notes.push(`cache ${bytes(dirBytes(tool.cacheDir))} after`);
      } else {
        let text = `hits ${list(hits)}/${expected}`;
        const d = stats.map((s) => s.direct ?? 0);
        const p = stats.map((s) => s.preprocessed ?? 0);
        if (stats[0]!.direct !== undefined) text += ` (direct ${list(d)}, preprocessed ${list(p)})`;
        if (misses.some((m) => m > 0)) text += `, misses ${list(misses)}`;
        row.notes.push(text);
        if (hits.some((h) => h < expected)) {
          row.status = row.status === 'ok' ? 'suspect' : row.status;
          row.notes.push(`⚠ not every compile hit: this time is NOT a warm-cache time`);
        }
      }
      const errors = stats.map((s) => s.errors ?? 0);
      if (errors.some((e) => e > 0)) row.notes.push(`⚠ tool errors ${list(errors)}`);
    }
  }
  const other = row.otherCpu.filter((x): x is number => x !== null);
  if (other.length && Math.max(...other) >= 0.05) {
    const pct = other.map((x) => `${Math.round(x * 100)}%`).join(', ');
    row.notes.push(`${Math.max(...other) >= 0.15 ? '⚠ ' : ''}other processes used ${pct} of the CPUs during the build${other.length > 1 ? 's' : ''}`);
  }
  return row;
}

const SMALL_C = `/* small.c: the per-hit probe of bench/run.ts */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
    int x, y;
};

static int cmp_points(const void *a, const void *b)
{
    const struct point *p = a, *q = b;
    return p->x != q->x ? (p->x > q->x) - (p->x < q->x) : (p->y > q->y) - (p->y < q->y);
}

unsigned small_checksum(const char *s)
{
    unsigned h = 5381u;
    while (*s) h = h * 33u + (unsigned char)*s++;
    return h;
}

int small_sort(struct point *p, size_t n)
{
    qsort(p, n, sizeof *p, cmp_points);
    return n ? p[0].x : 0;
}

void small_print(const struct point *p, size_t n)
{
    size_t i;
    char buf[64];
    for (i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "(%d, %d)", p[i].x, p[i].y);
        printf("%s %u\\n", buf, small_checksum(buf) % 100u);
    }
    if (n > 0 && strlen(buf) > 40) puts("long");
}
`;

const MAX_LOOP_MS = 180_000;

/**
 * Per-call cost of `cmd args` in a tight sequential loop. With a tool: one priming call (miss),
 * three warm-up calls, then `calls` timed calls, verified against the tool's hit counter.
 */
async function perCall(ctx: Ctx, label: string, command: string, cmd: string, args: string[], env: NodeJS.ProcessEnv, tool: Tool | undefined): Promise<HitRow> {
  const row: HitRow = { label, command, status: 'ok', calls: 0, notes: [] };
  ctx.hits.push(row);
  const logFile = path.join(ctx.logDir, `per-call-${slug(label)}.log`);
  progress(`per-call: ${label} x${ctx.opts.calls} ...`);
  for (let i = 0; i < 4; i++) {
    if (i > 0) await tool?.beforeWarm?.();
    const r = await run(cmd, args, { cwd: ctx.smallDir, env, logFile, timeoutMs: 60_000 });
    if (r.code !== 0) {
      row.status = 'failed';
      if (aborted) throw new Aborted();
      row.notes.push(`${i === 0 ? 'priming' : 'warm-up'} call failed (${describeFailure(r)})`);
      progress(`per-call ${label} failed; last lines of ${logFile}:\n${tailOf(logFile, 15)}`);
      return row;
    }
  }
  const before = await safeStats(tool);
  const logStart = logMark(tool?.serverLog);
  const servers = tool?.serverPids?.() ?? [];
  const cpuBefore = cpuSample(servers);
  const times: number[] = [];
  // one log line per call is enough to debug a failure; keep the loop tight otherwise
  const t0 = Date.now();
  for (let i = 0; i < ctx.opts.calls; i++) {
    await tool?.beforeWarm?.();
    const r = await run(cmd, args, { cwd: ctx.smallDir, env, logFile, timeoutMs: 60_000 });
    if (r.code !== 0) {
      row.status = 'failed';
      if (aborted) throw new Aborted();
      row.notes.push(`call ${i + 1} failed (${describeFailure(r)})`);
      return row;
    }
    times.push(r.ms);
    if (Date.now() - t0 > MAX_LOOP_MS) {
      row.notes.push(`⚠ stopped after ${times.length} calls (${MAX_LOOP_MS / 1000} s limit)`);
      break;
    }
  }
  const use = cpuUse(cpuBefore, cpuSample(servers));
  const after = await safeStats(tool);
  const logNote = errorLinesNote(newErrorLines(tool?.serverLog, logStart));
  if (logNote) row.notes.push(logNote);
  if (use) {
    row.cpu = use;
    if (use.other >= 0.05) row.notes.push(`${use.other >= 0.15 ? '⚠ ' : ''}other processes used ${Math.round(use.other * 100)}% of the CPUs meanwhile`);
  }
  row.calls = times.length;
  row.meanMs = mean(times);
  row.medianMs = median(times);
  if (tool) {
    row.stats = before && after ? diffStats(before, after) : null;
    if (!row.stats) {
      row.status = 'suspect';
      row.notes.push('⚠ hits NOT verified (stats unavailable)');
    } else {
      row.notes.push(`hits ${row.stats.hits}/${times.length}${row.stats.direct !== undefined ? ` (direct ${row.stats.direct}, preprocessed ${row.stats.preprocessed})` : ''}`);
      if (row.stats.hits < times.length) {
        row.status = 'suspect';
        row.notes.push('⚠ not every call hit');
      }
    }
  }
  return row;
}

/** Everything measured for one cache tool; stops its server before returning. */
async function benchTool(ctx: Ctx, tool: Tool, stops: Map<Tool | string, () => Promise<void>>): Promise<void> {
  const modes: { mode: string; kind: 'cold' | 'warm'; env: NodeJS.ProcessEnv }[] = [
    { mode: `${tool.id} cold`, kind: 'cold', env: {} },
    { mode: tool.id === 'warmcc-remote' ? 'warmcc remote warm (empty local, full Redis)' : `${tool.id} warm`, kind: 'warm', env: {} },
  ];
  if (tool.id === 'ccache') modes.push({ mode: 'ccache warm (preprocessor mode)', kind: 'warm', env: { CCACHE_NODIRECT: '1' } });
  const args = [ctx.cc, '-c', 'small.c', '-o', 'small.o'];
  const notRun = (from: number, why: string): void => {
    for (const m of modes.slice(from)) {
      ctx.builds.push({ mode: m.mode, tool: tool.id, kind: m.kind, status: 'failed', timesMs: [], stats: [], otherCpu: [], notes: [why] });
    }
    ctx.hits.push({ label: tool.id, command: `${tool.id} ${args.join(' ')}`, status: 'failed', calls: 0, notes: [why] });
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const note of await tool.stop()) {
      ctx.events.push(note);
      progress(note);
    }
    if (tool.marker) {
      const note = await killLeftovers(tool.id, tool.marker);
      if (note) {
        ctx.events.push(note);
        progress(note);
      }
    }
  };
  stops.set(tool, stop);
  try {
    try {
      progress(`${tool.id}: starting (${tool.version})`);
      await tool.start();
    } catch (error) {
      if (error instanceof Aborted) throw error;
      const why = `not run: ${(error as Error).message}`;
      progress(`${tool.id}: ${why}`);
      notRun(0, why);
      return;
    }
    ctx.serverStarts.push(...tool.startNotes.map((n) => `${tool.id}: ${n}`));
    const cold = await measureBuilds(ctx, modes[0]!.mode, 'cold', tool, modes[0]!.env, 1);
    if (cold.status === 'failed') {
      notRun(1, 'not run: the cold build failed');
      return;
    }
    for (const m of modes.slice(1)) await measureBuilds(ctx, m.mode, m.kind, tool, m.env, ctx.opts.runs);

    const command = tool.id === 'warmcc-remote' ? `WARMCC_REMOTE=redis://… warmcc ${args.join(' ')}` : `${tool.id} ${args.join(' ')}`;
    const hitRow = await perCall(ctx, tool.id, command, tool.exe, args, tool.env, tool);
    if (tool.beforeWarm) hitRow.notes.push('local tier emptied (`warmcc -C`, untimed) before each call, so every hit comes from Redis');
    if (tool.perHitNotes) hitRow.notes.push(...(await tool.perHitNotes()));
    if (tool.id === 'ccache') {
      await perCall(ctx, 'ccache (preprocessor mode)', `CCACHE_NODIRECT=1 ccache ${args.join(' ')}`, tool.exe, args, { ...tool.env, CCACHE_NODIRECT: '1' }, tool);
    }
  } finally {
    await stop();
  }
}

/** Times the first compile through a warmcc client with no server running (auto-start), in a
 *  separate cache and socket so the benchmark's cache stays empty. */
async function probeWarmccAutoStart(ctx: Ctx, sockDir: string, stops: Map<Tool | string, () => Promise<void>>): Promise<void> {
  const dir = path.join(ctx.work, 'warmcc-probe');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(sockDir, 'probe.sock');
  const env = warmccEnv(path.join(dir, 'cache'), socket, path.join(ctx.logDir, 'warmcc-probe-server.log'));
  let pid: number | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const n of await stopWarmcc(env, dir, pid)) ctx.events.push(`probe: ${n}`);
    const note = await killLeftovers('warmcc probe', ['WARMCC_SOCKET', socket]);
    if (note) ctx.events.push(note);
  };
  stops.set('warmcc-probe', stop);
  try {
    const r = await run(WARMCC_BIN, [ctx.cc, '-c', 'small.c', '-o', 'small-probe.o'], {
      cwd: ctx.smallDir,
      env,
      logFile: path.join(ctx.logDir, 'warmcc-probe.log'),
      timeoutMs: 60_000,
    });
    if (r.code !== 0) {
      ctx.serverStarts.push(`warmcc: first compile with auto-start FAILED (${describeFailure(r)})`);
      return;
    }
    let verdict = 'served by the server';
    try {
      const s = await capture(WARMCC_BIN, ['-s', '--stats-format', 'json'], env, dir);
      const parsed = parseWarmccStats(extractJson(s.out));
      pid = parsed.serverPid;
      if (parsed.misses + parsed.hits < 1) verdict = '⚠ the server did not count it (client fallback?)';
    } catch (error) {
      if (error instanceof Aborted) throw error;
      verdict = `stats unavailable: ${(error as Error).message}`;
    }
    ctx.serverStarts.push(`warmcc: first compile with no server running (auto-start + a miss of small.c) ${msf(r.ms)} ms; ${verdict}`);
  } finally {
    await stop();
  }
}

// ---------------------------------------------------------------------------------------------
// report

/** a table cell: pipes and newlines would break the markdown row */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function vsPlain(row: BuildRow, plainMs: number | undefined): string {
  if (row.ms === undefined || plainMs === undefined) return '—';
  const f = row.ms / plainMs;
  const speed =
    f <= 2 / 3 ? `${(1 / f).toFixed(1)}× faster` : f < 1 ? `${((1 - f) * 100).toFixed(0)}% faster` : `${((f - 1) * 100).toFixed(0)}% slower`;
  return `${f.toFixed(2)}× (${speed})`;
}

function report(ctx: Ctx, machine: Record<string, string>, command: string, partial: string | undefined): string {
  const lines: string[] = [];
  if (partial) lines.push(`**${partial}: partial results.**`, '');
  const plain = ctx.builds.find((b) => b.tool === 'plain');
  const p = ctx.project;
  lines.push(
    `### warmcc benchmark: full build of ${p.cSources.length} C + ${p.cxxSources.length} C++ files (${p.headers.length} headers, ${p.compileUnits} compiles + link), \`make -j${ctx.opts.jobs}\`, ${ctx.opts.compiler}, -O2 -g`,
    '',
    '| mode | full build wall time (s) | vs plain | notes |',
    '| --- | ---: | --- | --- |',
  );
  for (const b of ctx.builds) {
    const flag = b.status === 'suspect' ? ' ⚠' : '';
    const time = b.ms === undefined ? (b.status === 'skipped' ? 'skipped' : 'failed') : `${sec(b.ms)}${flag}`;
    lines.push(`| ${b.mode} | ${time} | ${b === plain ? '1.00×' : vsPlain(b, plain?.ms)} | ${cell(b.notes.join('; '))} |`);
  }
  lines.push('');
  const plainCall = ctx.hits.find((h) => h.label === 'plain');
  lines.push(
    `### per-call cost of a cache hit (\`small.c\` already cached, ${ctx.opts.calls} sequential calls; wall clock includes process spawn)`,
    '',
    `| command | calls | mean ms/call | median ms/call | vs plain ${ctx.cc} (ms) | notes |`,
    '| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const h of ctx.hits) {
    const flag = h.status === 'suspect' ? ' ⚠' : '';
    const diff =
      h === plainCall || h.meanMs === undefined || plainCall?.meanMs === undefined
        ? '—'
        : `${h.meanMs - plainCall.meanMs >= 0 ? '+' : ''}${msf(h.meanMs - plainCall.meanMs)}`;
    lines.push(
      `| \`${h.command}\` | ${h.calls || '—'} | ${h.meanMs === undefined ? (h.status === 'skipped' ? 'skipped' : 'failed') : msf(h.meanMs) + flag} | ${h.medianMs === undefined ? '—' : msf(h.medianMs)} | ${diff} | ${cell(h.notes.join('; '))} |`,
    );
  }
  lines.push('');
  if (ctx.serverStarts.length) {
    lines.push('Server start:');
    for (const s of ctx.serverStarts) lines.push(`- ${s}`);
    lines.push('');
  }
  if (ctx.events.length) {
    lines.push('Notes:');
    for (const e of ctx.events) lines.push(`- ${e}`);
    lines.push('');
  }
  lines.push(
    `Machine: nproc ${machine.nproc}, CPU ${machine.cpu}, ${machine.compiler}, ${machine.tools}, Node ${process.version}, ${machine.os}, load avg at start ${machine.load}, ${machine.date}`,
  );
  lines.push(`Command: \`${command}\``);
  return lines.join('\n');
}

async function firstLine(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv()): Promise<string> {
  try {
    const r = await capture(cmd, args, env, cwd, 15_000);
    return (r.out || r.err).split('\n')[0]!.trim() || '?';
  } catch (error) {
    if (error instanceof Aborted) throw error;
    return '?';
  }
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]!.trim() : os.cpus()[0]?.model ?? '?';
  } catch {
    return os.cpus()[0]?.model ?? '?';
  }
}

function commandLine(): string {
  const args = process.argv.slice(2).map(shellQuote).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  const script = path.relative(process.cwd(), process.argv[1] ?? 'bench/run.ts');
  return `node ${process.execArgv.map(shellQuote).join(' ')} ${script}${args ? ` ${args}` : ''}`;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  let opts: Options;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      console.error(`bench: ${error.message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }

  const onSignal = (signal: NodeJS.Signals): void => {
    if (aborted) {
      process.stderr.write(`bench: second ${signal}, exiting now\n`);
      process.exit(130);
    }
    aborted = true;
    progress(`${signal}: stopping the current command, then cleaning up (again to force)`);
    for (const child of live) killGroup(child, 'SIGTERM');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  fs.mkdirSync(opts.workRoot, { recursive: true });
  const work = fs.mkdtempSync(path.join(opts.workRoot, 'run-'));
  // Unix socket paths are limited to ~107 bytes; use a short private directory if needed
  let sockDir = work;
  let extraSockDir: string | undefined;
  if (path.join(work, 'warmcc.sock').length > 100) {
    extraSockDir = sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcb-'));
  }
  const logDir = path.join(work, 'logs');
  scratchDir = path.join(work, 'scratch');
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(scratchDir, { recursive: true });

  const stops = new Map<Tool | string, () => Promise<void>>();
  let exitCode = 0;
  let ctx: Ctx | undefined;
  let machine: Record<string, string> = {};
  const command = commandLine();
  try {
    const cc = opts.compiler;
    const cxx = opts.compiler === 'gcc' ? 'g++' : 'clang++';
    const env = baseEnv();
    const tck = Number(await firstLine('getconf', ['CLK_TCK'], work));
    if (Number.isInteger(tck) && tck > 0) clockTicks = tck;
    for (const exe of ['make', cc, cxx]) {
      if (!which(exe, env)) throw new Error(`${exe} not found on PATH`);
    }

    // tools and versions
    const toolVersions: string[] = [];
    const found = new Map<ToolId, { exe: string; version: string }>();
    /** why a tool is skipped, where it is not simply missing */
    const skipReasons = new Map<ToolId, string>();
    for (const id of opts.tools) {
      if (WARMCC_VARIANTS.includes(id)) {
        // same binary as warmcc: usable when warmcc was found
        const warmcc = found.get('warmcc');
        if (!warmcc) {
          skipReasons.set(id, `skipped: needs the warmcc row (--tools warmcc,${id})`);
          progress(`${id}: ${skipReasons.get(id)}`);
        }
        else if (id === 'warmcc-remote' && !which('redis-server', env)) {
          skipReasons.set(id, 'skipped: redis-server not installed');
          progress(`warmcc-remote: ${skipReasons.get(id)}`);
        }
        else found.set(id, warmcc);
        continue;
      }
      if (id === 'warmcc') {
        let usable = false;
        try {
          fs.accessSync(WARMCC_BIN, fs.constants.X_OK);
          usable = true;
        } catch {
          /* missing */
        }
        if (!usable) {
          progress(`warmcc: skipped, ${WARMCC_BIN} not found or not executable (run \`npm run build\`)`);
          continue;
        }
        if (!fs.existsSync(path.join(REPO, 'dist', 'server.js'))) progress('warmcc: note: dist/server.js is missing; the server may not start');
        // isolated env, in case even --version talks to (or starts) a server
        const versionSocket = path.join(sockDir, 'version.sock');
        const v = await firstLine(WARMCC_BIN, ['--version'], work, warmccEnv(path.join(work, 'warmcc-version'), versionSocket, path.join(logDir, 'warmcc-version.log')));
        const left = await killLeftovers('warmcc --version', ['WARMCC_SOCKET', versionSocket]);
        if (left) progress(left);
        found.set(id, { exe: WARMCC_BIN, version: v });
        toolVersions.push(`warmcc ${v.replace(/^warmcc\s*/i, '')}`);
      } else {
        const exe = which(id, env);
        if (!exe) {
          progress(`${id}: skipped, not installed`);
          continue;
        }
        const v = await firstLine(exe, ['--version'], work);
        found.set(id, { exe, version: v });
        toolVersions.push(v);
      }
    }

    machine = {
      nproc: String(os.availableParallelism()),
      cpu: cpuModel(),
      compiler: `${await firstLine(cc, ['--version'], work)}`,
      tools: toolVersions.join(', ') || 'no cache tools',
      os: `${os.type()} ${os.release()}`,
      load: os.loadavg().map((x) => x.toFixed(2)).join(' '),
      date: new Date().toISOString(),
    };

    // project
    const projectDir = path.join(work, 'project');
    const project = generateProject(projectDir, { seed: opts.seed, quick: opts.quick });
    const smallDir = path.join(work, 'small');
    fs.mkdirSync(smallDir, { recursive: true });
    fs.writeFileSync(path.join(smallDir, 'small.c'), SMALL_C);
    progress(
      `work dir ${work}; project: ${project.cSources.length} C + ${project.cxxSources.length} C++ files, ${project.headers.length} headers, ${project.compileUnits} compile units; make -j${opts.jobs}; ${opts.runs} run(s)`,
    );
    ctx = {
      opts, work, project, projectDir, smallDir, logDir, cc, cxx,
      builds: [], hits: [], serverStarts: [], events: [],
    };

    // warm the page cache (compiler binaries, system headers) so the first timed build is not
    // penalised: preprocess + compile one C and one C++ file, untimed
    progress('warming up the compilers (untimed)');
    for (const [exe, src, extra] of [
      [cc, project.cSources[1]!, []],
      [cxx, project.cxxSources[0]!, ['-std=c++17']],
    ] as const) {
      await run(exe, ['-Iinclude', ...extra, '-O2', '-g', '-c', src, '-o', path.join(work, 'warmup.o')], {
        cwd: projectDir, env, logFile: path.join(logDir, 'warmup.log'), timeoutMs: 120_000,
      });
    }

    // plain
    const plain = await measureBuilds(ctx, 'plain (no cache)', 'plain', undefined, {}, opts.runs);
    if (plain.status === 'failed') throw new Error(`the plain build failed: ${plain.notes.join('; ')} (logs: ${logDir}; use --keep)`);
    await perCall(ctx, 'plain', `${cc} -c small.c -o small.o`, cc, ['-c', 'small.c', '-o', 'small.o'], env, undefined);

    // cache tools, in a fixed order
    for (const id of ALL_TOOLS) {
      if (!opts.tools.includes(id)) continue;
      const info = found.get(id);
      if (!info) {
        const shown = WARMCC_BIN.startsWith(REPO + path.sep) ? path.relative(REPO, WARMCC_BIN) : WARMCC_BIN;
        const why = skipReasons.get(id) ?? (id.startsWith('warmcc') ? `skipped: ${shown} not found (npm run build)` : `skipped: ${id} not installed`);
        for (const mode of id === 'ccache' ? ['ccache cold', 'ccache warm', 'ccache warm (preprocessor mode)'] : [`${id} cold`, `${id} warm`]) {
          ctx.builds.push({ mode, tool: id, kind: mode.endsWith('cold') ? 'cold' : 'warm', status: 'skipped', timesMs: [], stats: [], otherCpu: [], notes: [why] });
        }
        ctx.hits.push({ label: id, command: `${id} ${cc} -c small.c -o small.o`, status: 'skipped', calls: 0, notes: [why] });
        continue;
      }
      let tool: Tool;
      if (id === 'ccache') tool = makeCcache(work, info.exe, info.version);
      else if (id === 'sccache') tool = await makeSccache(work, info.exe, info.version);
      else if (id === 'warmcc-remote') {
        const redis = await startBenchRedis(which('redis-server', env)!, work);
        stops.set('redis-server', redis.stop);
        tool = makeWarmcc(work, sockDir, info.version, 'warmcc-remote', redis.url);
      }
      else if (WARMCC_VARIANTS.includes(id)) tool = makeWarmcc(work, sockDir, info.version, id as WarmccToolId);
      else {
        await probeWarmccAutoStart(ctx, sockDir, stops);
        tool = makeWarmcc(work, sockDir, info.version);
      }
      await benchTool(ctx, tool, stops);
    }
  } catch (error) {
    if (error instanceof Aborted || aborted) {
      exitCode = 130;
      progress('aborted');
    } else {
      exitCode = 1;
      console.error(`bench: ${(error as Error).stack ?? error}`);
    }
  } finally {
    for (const [key, stop] of [...stops].reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error(`bench: stopping ${typeof key === 'string' ? key : key.id} failed: ${(error as Error).message}`);
      }
    }
    // anything still carrying our markers (e.g. a server auto-started in a failed phase)
    for (const marker of [['WARMCC_SOCKET', path.join(sockDir, 'warmcc.sock')], ['SCCACHE_DIR', path.join(work, 'sccache')]] as [string, string][]) {
      const note = await killLeftovers(marker[0], marker);
      if (note) {
        ctx?.events.push(note);
        progress(note);
      }
    }
  }

  if (ctx && ctx.builds.length > 0) {
    const text = report(ctx, machine, command, exitCode === 130 ? 'Interrupted' : exitCode !== 0 ? 'Stopped by an error' : undefined);
    process.stdout.write(`\n${text}\n`);
    if (opts.json !== undefined) {
      const file = opts.json || path.join(REPO, 'bench', 'work', `results-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      const plainMs = ctx.builds.find((b) => b.tool === 'plain')?.ms;
      const plainCall = ctx.hits.find((h) => h.label === 'plain')?.meanMs;
      const data = {
        command,
        machine,
        options: { ...opts, workRoot: undefined },
        project: {
          seed: ctx.project.seed,
          cFiles: ctx.project.cSources.length,
          cxxFiles: ctx.project.cxxSources.length,
          headers: ctx.project.headers.length,
          compileUnits: ctx.project.compileUnits,
        },
        builds: ctx.builds.map((b) => ({
          ...b,
          seconds: b.ms === undefined ? null : b.ms / 1000,
          vsPlain: b.ms === undefined || plainMs === undefined ? null : b.ms / plainMs,
        })),
        perCall: ctx.hits.map((h) => ({
          ...h,
          overheadVsPlainMs: h.meanMs === undefined || plainCall === undefined ? null : h.meanMs - plainCall,
        })),
        serverStarts: ctx.serverStarts,
        events: ctx.events,
        aborted: exitCode === 130,
      };
      fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
      progress(`results written to ${file}`);
    }
  }

  if (opts.keep) progress(`kept ${work}${extraSockDir ? ` and ${extraSockDir}` : ''}`);
  else {
    fs.rmSync(work, { recursive: true, force: true });
    if (extraSockDir) fs.rmSync(extraSockDir, { recursive: true, force: true });
  }
  return exitCode;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`bench: ${(error as Error).stack ?? error}`);
    process.exitCode = 1;
  },
);

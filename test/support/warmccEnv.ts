// Test support: an isolated warmcc (own cache dir, socket, log) per test, and ways to run it.
// Every test that starts a server stops it in its cleanup, so no test leaks a daemon.

import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StatsSnapshot } from '../../wrapper/contract/stats';
import { TIMESTAMP_SLACK_MS } from '../../wrapper/direct/fileHashCache';

export const repoRoot = path.resolve(__dirname, '..', '..');
export const warmccBin = path.join(repoRoot, 'bin', 'warmcc');
export const masqDir = path.join(repoRoot, 'bin', 'masq');
export const nodeClientBin = path.join(repoRoot, 'bin', 'warmcc-node');

export interface WarmccSandbox {
  /** scratch directory for sources and outputs */
  dir: string;
  cacheDir: string;
  socketPath: string;
  logFile: string;
  env: Record<string, string>;
  /** runs bin/warmcc with the sandbox environment */
  run(args: string[], options?: { cwd?: string; env?: Record<string, string | undefined>; input?: string; client?: string }): SpawnSyncReturns<string>;
  /** `warmcc -s --stats-format json` */
  stats(): StatsSnapshot;
  /** the main server (not its hit servers) */
  serverPid(): number | undefined;
  /** the main server's hit servers, found in /proc as its children (not as it reports them) */
  hitServerPids(): number[];
  stop(): void;
  cleanup(): void;
}

/** the client's arguments for the statistics as JSON (the wire type StatsSnapshot) */
export const STATS_JSON_ARGS = ['-s', '--stats-format', 'json'];

/** The snapshot a `warmcc -s --stats-format json` run printed; throws with its stderr if it failed. */
export function statsFrom(result: SpawnSyncReturns<string>): StatsSnapshot {
  if (result.status !== 0)
    throw new Error(
      `warmcc -s --stats-format json failed (${result.status ?? result.signal}): ${result.stderr}${result.error ? ` ${result.error.message}` : ''}`,
    );
  return JSON.parse(result.stdout) as StatsSnapshot;
}

/** Environment without anything the machine or a surrounding make may have set for warmcc. */
export function cleanEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (name.startsWith('WARMCC_') || ['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL', 'CARGO_MAKEFLAGS', 'CCACHE_DIR'].includes(name)) continue;
    env[name] = value;
  }
  env.LC_ALL = 'C';
  return env;
}

export function createSandbox(name: string, extraEnv: Record<string, string> = {}): WarmccSandbox {
  // short base: Unix socket paths are limited to 107 bytes
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `wcc-${name.slice(0, 12)}-`));
  const cacheDir = path.join(dir, 'cache');
  const socketPath = path.join(dir, 'run', 's.sock');
  const logFile = path.join(dir, 'server.log');
  const env = { ...cleanEnv(), WARMCC_DIR: cacheDir, WARMCC_SOCKET: socketPath, WARMCC_LOG: logFile, WARMCC_IDLE_TIMEOUT: '120', ...extraEnv };
  const sandbox: WarmccSandbox = {
    dir,
    cacheDir,
    socketPath,
    logFile,
    env,
    run(args, options = {}) {
      return spawnSync(options.client ?? warmccBin, args, {
        cwd: options.cwd ?? dir,
        env: { ...env, ...options.env },
        encoding: 'utf8',
        input: options.input,
        timeout: 120_000,
      });
    },
    stats() {
      return statsFrom(sandbox.run(STATS_JSON_ARGS));
    },
    serverPid() {
      const result = spawnSync('pgrep', ['-f', `dist/server.js`], { encoding: 'utf8' });
      for (const pid of result.stdout.split('\n').filter(Boolean).map(Number)) {
        try {
          const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8');
          const hitServer = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--hit-server');
          if (!hitServer && environ.split('\0').includes(`WARMCC_SOCKET=${socketPath}`)) return pid;
        } catch {
          // exited meanwhile
        }
      }
      return undefined;
    },
    hitServerPids() {
      const server = sandbox.serverPid();
      if (server === undefined) return [];
      const pids: number[] = [];
      for (const entry of fs.readdirSync('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        try {
          const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
          const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
          const state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
          if (parent === server && state !== 'Z' && fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes('--hit-server'))
            pids.push(Number(entry));
        } catch {
          // exited meanwhile
        }
      }
      return pids.sort((a, b) => a - b);
    },
    stop() {
      const pid = sandbox.serverPid();
      sandbox.run(['--stop-server']);
      if (pid !== undefined) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // stopped cleanly
        }
      }
    },
    cleanup() {
      sandbox.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return sandbox;
}

/** fd number -> readlink of /proc/<pid>/fd/<fd> */
export function fdLinks(pid: number): Map<number, string> {
  const links = new Map<number, string>();
  for (const name of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      links.set(Number(name), fs.readlinkSync(`/proc/${pid}/fd/${name}`));
    } catch {
      // closed meanwhile
    }
  }
  return links;
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), content);
  }
}

/**
 * Lets the files just written or touched fall behind the next compile's start by more than the
 * server's timestamp slack (wrapper/direct/fileHashCache.ts changedSinceStart): direct mode
 * trusts a file only when its mtime and ctime are before the compile started, and utimes sets
 * the ctime to now (nothing can set it back). This is the scenario's own time, not a wait for a
 * state: without it, a compile started within 12 ms of the write would not record a manifest.
 */
export function settleTimestamps(): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, TIMESTAMP_SLACK_MS * 2);
}

/** Gives files an old mtime (as if written long before the build), then settleTimestamps(). */
export function ageFiles(files: Iterable<string>, secondsAgo = 60): void {
  const past = new Date(Date.now() - secondsAgo * 1000);
  for (const file of files) fs.utimesSync(file, past, past);
  settleTimestamps();
}

/** Runs a command with a time limit; resolves with its output even on failure. Resolves once
 *  the process has exited and its pipes closed, or shortly after exit if someone else (a leaked
 *  daemon) still holds them: that case is reported as `pipesHeld`, never as a hang of the suite. */
export function runWithTimeout(
  command: string,
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; timeoutMs: number },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; timedOut: boolean; pipesHeld: boolean }> {
  const PIPE_GRACE_MS = 5000;
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let done = false;
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const finish = (code: number | null, signal: NodeJS.Signals | null, pipesHeld: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut, pipesHeld });
    };
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.on('exit', (code, signal) => {
      setTimeout(() => finish(code, signal, true), PIPE_GRACE_MS).unref();
    });
    child.on('close', (code, signal) => finish(code, signal, false));
  });
}

export function which(program: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

/** The skip reason of a test that needs these programs on PATH, or false when all are there:
 *  `{ skip: missingTools('clang') }` shows 'clang not installed' in the summary. */
export function missingTools(...programs: string[]): string | false {
  const missing = programs.filter((program) => !which(program));
  return missing.length ? `${missing.join(', ')} not installed` : false;
}

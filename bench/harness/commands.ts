// Running the commands the bench times or needs: output to files, each command in its own
// process group with an optional timeout, and Ctrl-C, which stops the running commands and then
// lets the bench clean up.

import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { baseEnv } from './baseEnv';
import { progress } from './progress';

/** Thrown by run() once Ctrl-C was pressed, so the measurements stop and the cleanup runs. */
export class Aborted extends Error {
  constructor() {
    super('aborted');
  }
}

let aborted = false;
const live = new Set<ChildProcess>();
let scratchDir = os.tmpdir();
let scratchSeq = 0;

/** Whether Ctrl-C (or SIGTERM) was received. */
export function isAborted(): boolean {
  return aborted;
}

/** Where run() puts the output files of commands without a log file (inside the work dir). */
export function setScratchDir(dir: string): void {
  scratchDir = dir;
}

/** The first SIGINT or SIGTERM stops the running commands and makes later ones throw Aborted,
 *  so the bench can stop its servers; a second one exits at once. */
export function abortOnSignals(): void {
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
}

export interface RunOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** append stdout+stderr here (out/err are then empty) */
  logFile?: string;
  timeoutMs?: number;
  /** run even after Ctrl-C (cleanup commands) */
  evenIfAborted?: boolean;
}

export interface RunResult {
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
export function run(cmd: string, args: string[], o: RunOptions): Promise<RunResult> {
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

export function describeFailure(r: RunResult): string {
  if (r.spawnError) return `could not run: ${r.spawnError}`;
  if (r.timedOut) return `timed out after ${(r.ms / 1000).toFixed(0)} s`;
  if (r.signal) return `killed by ${r.signal}`;
  const text = (r.err.trim() || r.out.trim()).split('\n').slice(-3).join(' | ');
  return `exit ${r.code}${text ? `: ${text}` : ''}`;
}

export async function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, timeoutMs = 60_000): Promise<RunResult> {
  return run(cmd, args, { cwd, env, timeoutMs });
}

/** The first line a command prints (a version, a setting), or '?'. */
export async function firstLine(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = baseEnv()): Promise<string> {
  try {
    const r = await capture(cmd, args, env, cwd, 15_000);
    return (r.out || r.err).split('\n')[0]!.trim() || '?';
  } catch (error) {
    if (error instanceof Aborted) throw error;
    return '?';
  }
}

export function which(name: string, env: NodeJS.ProcessEnv): string | undefined {
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

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+,@%-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
export function shellJoin(parts: string[]): string {
  return parts.map(shellQuote).join(' ');
}

// Runs a compiler (or preprocessor) for a request: in the client's cwd and environment, in its
// own process group so that a client that goes away takes the whole compile down with it.

import { spawn } from 'node:child_process';

export interface ProcessResult {
  /** exit status; 128 + signal number when killed by a signal */
  code: number;
  stdout: Buffer;
  stderr: Buffer;
  ms: number;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 };
const KILL_GRACE_MS = 1000;

export function runProcess(
  executable: string,
  args: string[],
  options: { cwd: string; env: Record<string, string | undefined>; signal?: AbortSignal; umask?: number },
): Promise<ProcessResult> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    // spawn forks synchronously, so the child inherits exactly this umask (the client's: the
    // compiler creates the user's objects); JS is single-threaded, nothing else sees it
    const serverUmask = options.umask === undefined ? undefined : process.umask(options.umask);
    let child;
    try {
      child = spawn(executable, args, {
        cwd: options.cwd,
        env: options.env,
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true, // own process group: killable as a whole (cc1, as, ...)
      });
    } finally {
      if (serverUmask !== undefined) process.umask(serverUmask);
    }
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));

    const killGroup = (signal: NodeJS.Signals): void => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    const onAbort = (): void => {
      killGroup('SIGTERM');
      setTimeout(() => killGroup('SIGKILL'), KILL_GRACE_MS).unref();
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (error) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(new Error(`cannot run ${executable}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        code: code ?? 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 1) : 1),
        stdout: Buffer.concat(stdout),
        stderr: Buffer.concat(stderr),
        ms: performance.now() - started,
      });
    });
  });
}

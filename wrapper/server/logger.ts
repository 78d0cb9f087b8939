// The server's log: stderr, which a clean start points at the log file (WARMCC_LOG).
// Errors and lifecycle always; one line per compile only at WARMCC_LOG_LEVEL=debug, so a
// server that lives for weeks does not fill the disk.

import * as fs from 'node:fs';

export type LogLevel = 'error' | 'info' | 'debug';

let level: LogLevel = 'info';
let logFd = 2;

/** log files larger than this are moved to <log>.1 when a server starts */
const ROTATE_BYTES = 8 * 1024 * 1024;

/** where messages go now (hit servers get it as their stdout and stderr) */
export function logDescriptor(): number {
  return logFd;
}

export function setLogLevel(next: LogLevel): void {
  level = next;
}

function write(message: string): void {
  try {
    fs.writeSync(logFd, `${new Date().toISOString()} [${process.pid}] ${message}\n`);
  } catch {
    // a full disk must not stop the server; the message is lost
  }
}

export function log(message: string): void {
  if (level !== 'error') write(message);
}

export function logError(message: string): void {
  write(message);
}

export function debug(message: string): void {
  if (level === 'debug') write(message);
}

/** Keeps one previous log: when our stderr is the log file and it is large, it becomes <log>.1
 *  and our messages go to a fresh <log> (stderr itself stays on <log>.1 for crash traces). */
export function rotateLogIfLarge(logFile: string): void {
  try {
    const current = fs.statSync(logFile);
    if (current.size <= ROTATE_BYTES || fs.fstatSync(2).ino !== current.ino) return;
    fs.renameSync(logFile, `${logFile}.1`);
    logFd = fs.openSync(logFile, 'a', 0o600);
  } catch {
    // no log yet, or not ours to rotate
  }
}

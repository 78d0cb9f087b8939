// A run's work directory: a fresh bench/work/run-XXXX/ (or under --workdir) that holds the
// project, every tool's cache, the logs and the commands' scratch output, removed at the end
// unless --keep.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setScratchDir } from './commands';
import { progress } from './progress';

export interface WorkDir {
  work: string;
  /** where the servers' sockets go: `work`, or a short directory in the system temp dir */
  sockDir: string;
  /** that short directory, when there is one (removed with `work`) */
  extraSockDir?: string;
  logDir: string;
}

export function createWorkDir(workRoot: string): WorkDir {
  fs.mkdirSync(workRoot, { recursive: true });
  const work = fs.mkdtempSync(path.join(workRoot, 'run-'));
  // Unix socket paths are limited to ~107 bytes; use a short private directory if needed
  let sockDir = work;
  let extraSockDir: string | undefined;
  if (path.join(work, 'warmcc.sock').length > 100) {
    extraSockDir = sockDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcb-'));
  }
  const logDir = path.join(work, 'logs');
  const scratchDir = path.join(work, 'scratch');
  setScratchDir(scratchDir);
  fs.mkdirSync(logDir, { recursive: true });
  fs.mkdirSync(scratchDir, { recursive: true });
  return { work, sockDir, extraSockDir, logDir };
}

export function keepOrRemoveWorkDir(dir: WorkDir, keep: boolean): void {
  if (keep) progress(`kept ${dir.work}${dir.extraSockDir ? ` and ${dir.extraSockDir}` : ''}`);
  else {
    fs.rmSync(dir.work, { recursive: true, force: true });
    if (dir.extraSockDir) fs.rmSync(dir.extraSockDir, { recursive: true, force: true });
  }
}

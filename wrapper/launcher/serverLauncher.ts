// Starting a server clean from Node (the CLI, the Node fallback client; the extension later).
// Same rules as the native client's launcher: new session, stdin /dev/null, stdout/stderr to the
// log, no jobserver in the environment, and no inherited descriptor above 2. Node cannot close
// fds in the child before exec, so every descriptor this process has open above 2 is overlaid
// with /dev/null in the child (stdio entries beyond 2 are dup2'ed by libuv).

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { WarmccConfig } from '../config/config';
import { withoutJobserver } from './jobserver';

/** the server bundle sits next to this file's bundle in dist/ */
export function serverScriptPath(): string {
  return path.join(__dirname, 'server.js');
}

/** Node flags of every server start (the native client's launcher passes the same).
 *  A hit allocates the entry and its decompressed outputs outside V8's heap (megabytes for C++
 *  debug objects), and V8 counts those allocations against a small heap's old-generation limit:
 *  with the default, a warm rebuild ran a full mark-compact every few hits (71 in 7 rebuilds,
 *  364 ms of the server's main threads). A 64 MB initial limit leaves 2 (docs/benchmarks.md). */
export const SERVER_NODE_FLAGS = ['--initial-old-space-size=64'];

function openDescriptorsAbove2(): number[] {
  try {
    return fs
      .readdirSync('/proc/self/fd')
      .map(Number)
      .filter((fd) => fd > 2 && fd < 4096);
  } catch {
    return [3, 4, 5, 6, 7, 8, 9];
  }
}

export function spawnServerClean(config: WarmccConfig, env: Record<string, string | undefined> = process.env): void {
  const script = serverScriptPath();
  if (!fs.existsSync(script)) throw new Error(`server bundle ${script} is missing (run npm run build)`);
  fs.mkdirSync(path.dirname(config.logFile), { recursive: true, mode: 0o700 });
  const logFd = fs.openSync(config.logFile, 'a', 0o600);
  const devNull = fs.openSync('/dev/null', 'r');
  try {
    const highest = Math.max(2, ...openDescriptorsAbove2());
    const stdio: (number | 'ignore')[] = ['ignore', logFd, logFd];
    for (let fd = 3; fd <= highest; fd++) stdio.push(devNull);
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, script], {
      detached: true, // setsid: no controlling terminal, not in the build's process group
      stdio,
      env: { ...withoutJobserver(env), WARMCC_SOCKET: config.socketPath },
      cwd: '/',
    });
    child.unref();
  } finally {
    fs.closeSync(logFd);
    fs.closeSync(devNull);
  }
}

export function canConnect(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.connect(socketPath);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', () => resolve(false));
  });
}

/** Starts a server unless one answers; resolves true once one answers within the timeout. */
export async function ensureServer(config: WarmccConfig, env: Record<string, string | undefined> = process.env): Promise<boolean> {
  if (await canConnect(config.socketPath)) return true;
  fs.mkdirSync(path.dirname(config.socketPath), { recursive: true, mode: 0o700 });
  spawnServerClean(config, env);
  const deadline = Date.now() + config.startTimeoutMs;
  let delay = 2;
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, delay));
    if (await canConnect(config.socketPath)) return true;
    delay = Math.min(delay * 2, 50);
  }
  return false;
}

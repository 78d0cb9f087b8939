// Finding and ending the processes a run left behind (cache servers are daemons, not our
// children), by reading /proc; and a free loopback port for a server the bench starts.

import * as fs from 'node:fs';
import * as net from 'node:net';

/** Pids of processes (not us) whose environment holds NAME=value: the servers a tool started
 *  for this run carry the run's unique temp path, so this finds only what we started. */
export function processesWithEnv(name: string, value: string): number[] {
  const needle = `${name}=${value}`;
  const pids: number[] = [];
  let entries: string[];
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
export function childrenOf(parent: number): number[] {
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

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits up to `ms` for the processes to exit; returns those still running. */
export async function waitGone(pids: number[], ms: number): Promise<number[]> {
  const deadline = Date.now() + ms;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(100);
    left = left.filter(alive);
  }
  return left;
}

/** Terminates leftovers by pid (SIGTERM, then SIGKILL). Returns a note or undefined. */
export async function killLeftovers(label: string, marker: [string, string]): Promise<string | undefined> {
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

export function freeLoopbackPort(): Promise<number> {
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

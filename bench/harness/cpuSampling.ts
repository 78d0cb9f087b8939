// CPU accounting: how much of the machine did *other* processes use during a build? (The
// machine may be shared; a busy neighbour inflates any row, including the plain baseline.)

import * as fs from 'node:fs';

let clockTicks = 100;

/** Jiffies per second (`getconf CLK_TCK`); 100 until the entry has asked. */
export function setClockTicks(ticks: number): void {
  clockTicks = ticks;
}

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

/** A sample for cpuUse(): machine-wide busy time, and the CPU of this process, of its
 *  reaped children (a build's whole make tree, each level waits for the next) and of the cache
 *  server (a daemon, not our child). */
export interface CpuSample {
  machine: { busy: number; total: number } | undefined;
  ours: number;
}

export function cpuSample(serverPids: number[]): CpuSample {
  return { machine: cpuJiffies(), ours: processJiffies(process.pid) + serverPids.reduce((a, pid) => a + processJiffies(pid), 0) };
}

export interface CpuUse {
  /** share of all CPUs used by other processes, 0..1 */
  other: number;
  /** CPU seconds: ours (build + server), the whole machine busy, the machine's capacity */
  ours: number;
  machineBusy: number;
  machineCapacity: number;
}

export function cpuUse(a: CpuSample, b: CpuSample): CpuUse | undefined {
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

// What the report says about where and how it ran: the machine, the compiler and tool
// versions, and the exact command to run it again.

import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { firstLine, shellQuote } from './commands';

export interface MachineInfo {
  nproc: string;
  cpu: string;
  compiler: string;
  tools: string;
  os: string;
  load: string;
  date: string;
}

function cpuModel(): string {
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    return m ? m[1]!.trim() : (os.cpus()[0]?.model ?? '?');
  } catch {
    return os.cpus()[0]?.model ?? '?';
  }
}

/** `toolVersions`: one version line per cache tool found. */
export async function describeMachine(cc: string, toolVersions: string[], work: string): Promise<MachineInfo> {
  return {
    nproc: String(os.availableParallelism()),
    cpu: cpuModel(),
    compiler: `${await firstLine(cc, ['--version'], work)}`,
    tools: toolVersions.join(', ') || 'no cache tools',
    os: `${os.type()} ${os.release()}`,
    load: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    date: new Date().toISOString(),
  };
}

/** The command line as the user typed it: through npm when npm ran it. */
export function commandLine(): string {
  const args = process.argv.slice(2).map(shellQuote).join(' ');
  if (process.env.npm_lifecycle_event === 'bench') return `npm run bench${args ? ` -- ${args}` : ''}`;
  const script = path.relative(process.cwd(), process.argv[1] ?? 'bench/run.ts');
  return `node ${process.execArgv.map(shellQuote).join(' ')} ${script}${args ? ` ${args}` : ''}`;
}

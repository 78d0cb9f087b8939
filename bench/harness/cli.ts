// The bench's command line: its options, their usage text and what each value means. A bad
// command line is a UsageError, which the entry prints with the usage (exit code 2).

import * as os from 'node:os';
import * as path from 'node:path';
import { DEFAULT_WARMCC_BIN, DEFAULT_WORK_ROOT } from './repoPaths';
import { ALL_TOOLS, type ToolId } from './toolIds';

export interface BenchOptions {
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
  /** the warmcc client to measure (--warmcc); the JSON results do not record it */
  warmccBin: string;
}

export type CommandLine = { kind: 'run'; options: BenchOptions } | { kind: 'help' };

export class UsageError extends Error {}

export const USAGE = `usage: npm run bench -- [options]
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

export function parseCommandLine(argv: string[]): CommandLine {
  const o: BenchOptions = {
    runs: 3,
    quick: false,
    keep: false,
    jobs: os.availableParallelism(),
    calls: 200,
    tools: [...ALL_TOOLS],
    compiler: 'gcc',
    seed: 1,
    workRoot: DEFAULT_WORK_ROOT,
    timeoutS: 900,
    warmccBin: DEFAULT_WARMCC_BIN,
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
      case '--warmcc': o.warmccBin = path.resolve(value()); break;
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
        return { kind: 'help' };
      default:
        throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return { kind: 'run', options: o };
}

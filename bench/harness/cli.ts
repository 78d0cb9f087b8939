// The bench's command line: one table of options, which gives both the parseArgs configuration
// and the usage text, and what each option's value means. A bad command line is a UsageError,
// which the entry prints with the usage (exit code 2).

import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
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

interface OptionSpec {
  type: 'boolean' | 'string';
  short?: string;
  /** the option as the usage lists it, with its value; options without it are not listed */
  usage?: string;
  help?: string;
}

/** Every option, in the order the usage lists them. */
const OPTIONS = {
  quick: { type: 'boolean', usage: '--quick', help: 'smaller project (10 C + 10 C++ modules instead of 40 + 40)' },
  runs: { type: 'string', usage: '--runs N', help: 'warm (and plain) builds per mode, the median is reported (default 3)' },
  // parseArgs has no optional values: --json is a flag to it, and the walk below takes the word
  // after it as the file when that word is not an option
  json: { type: 'boolean', usage: '--json [FILE]', help: 'also write the results as JSON (default bench/work/results-<date>.json)' },
  keep: { type: 'boolean', usage: '--keep', help: 'keep the work directory (project, caches, logs)' },
  tools: { type: 'string', usage: '--tools LIST', help: `comma-separated subset of ${ALL_TOOLS.join(',')} (default: all)` },
  jobs: { type: 'string', short: 'j', usage: '--jobs N', help: 'make -jN (default: number of CPUs)' },
  calls: { type: 'string', usage: '--calls N', help: 'calls in the per-hit loop (default 200)' },
  compiler: { type: 'string', usage: '--compiler gcc|clang', help: 'compiler family (default gcc)' },
  seed: { type: 'string', usage: '--seed N', help: 'project generator seed (default 1)' },
  workdir: { type: 'string', usage: '--workdir DIR', help: 'where the temporary work directory goes (default bench/work)' },
  timeout: { type: 'string', usage: '--timeout SECONDS', help: 'per-build timeout (default 900)' },
  warmcc: { type: 'string', usage: '--warmcc PATH', help: 'the warmcc client to measure (default bin/warmcc)' },
  // -h / --help prints the usage; not listed in it
  help: { type: 'boolean', short: 'h' },
} satisfies Record<string, OptionSpec>;

type OptionName = keyof typeof OPTIONS;

export const USAGE = [
  'usage: npm run bench -- [options]',
  ...Object.values(OPTIONS as Record<string, OptionSpec>).flatMap((o) => (o.usage ? [`  ${o.usage.padEnd(21)} ${o.help}`] : [])),
].join('\n');

const PARSE_ARGS_OPTIONS = Object.fromEntries(
  Object.entries(OPTIONS as Record<string, OptionSpec>).map(([name, o]) => [name, o.short ? { type: o.type, short: o.short } : { type: o.type }]),
);

const isOptionName = (name: string): name is OptionName => Object.hasOwn(OPTIONS, name);

/**
 * Reads the command line in order, so the first bad argument is the one reported and `--help`
 * wins only over what follows it.
 */
export function parseCommandLine(args: string[]): CommandLine {
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
  // Not strict: strict parsing would reject a value that starts with a dash (`--seed -1` is
  // reported as a bad seed) and word its errors its own way; the walk below reports unknown
  // arguments and missing values in the bench's words.
  const { tokens } = parseArgs({ args, options: PARSE_ARGS_OPTIONS, strict: false, allowPositionals: true, tokens: true });
  /** the argument --json took as its file */
  let jsonFileIndex = -1;
  for (const token of tokens) {
    const arg = args[token.index]!;
    if (token.kind === 'positional' && token.index === jsonFileIndex) continue;
    // Only `--name value`, `--name=value`, `-j value` and the bare flags are options: parseArgs
    // would also read `-j4` and `-hj`, which the bench never accepted.
    const spelled = token.kind === 'option' && (arg === token.rawName || (token.rawName.startsWith('--') && arg === `${token.rawName}=${token.value}`));
    if (token.kind !== 'option' || !spelled || !isOptionName(token.name)) throw new UsageError(`unknown argument ${arg}`);
    const name = token.rawName;
    const value = (): string => {
      if (token.value === undefined) throw new UsageError(`${name} needs a value`);
      return token.value;
    };
    const int = (min: number): number => {
      const v = Number(value());
      if (!Number.isInteger(v) || v < min) throw new UsageError(`${name} needs an integer >= ${min}`);
      return v;
    };
    switch (token.name) {
      case 'runs':
        o.runs = int(1);
        break;
      case 'quick':
        o.quick = true;
        break;
      case 'keep':
        o.keep = true;
        break;
      case 'jobs':
        o.jobs = int(1);
        break;
      case 'calls':
        o.calls = int(1);
        break;
      case 'seed':
        o.seed = int(0);
        break;
      case 'timeout':
        o.timeoutS = int(1);
        break;
      case 'workdir':
        o.workRoot = path.resolve(value());
        break;
      case 'warmcc':
        o.warmccBin = path.resolve(value());
        break;
      case 'compiler': {
        const v = value();
        if (v !== 'gcc' && v !== 'clang') throw new UsageError('--compiler is gcc or clang');
        o.compiler = v;
        break;
      }
      case 'tools': {
        const list = value()
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
        for (const t of list) if (!ALL_TOOLS.includes(t as ToolId)) throw new UsageError(`unknown tool ${t} (${ALL_TOOLS.join(', ')})`);
        o.tools = ALL_TOOLS.filter((t) => list.includes(t));
        break;
      }
      case 'json': {
        // '' means the default file, chosen when the results are written
        const next = args[token.index + 1];
        if (token.value !== undefined) o.json = path.resolve(token.value);
        else if (next !== undefined && !next.startsWith('-')) {
          o.json = path.resolve(next);
          jsonFileIndex = token.index + 1;
        } else o.json = '';
        break;
      }
      case 'help':
        return { kind: 'help' };
    }
  }
  return { kind: 'run', options: o };
}

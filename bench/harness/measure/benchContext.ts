// What the measurements share and fill in: the options, the work directory and generated
// project, and the rows and notes the report is made of.

import type { GeneratedProject } from '../../generateProject';
import type { BenchOptions } from '../cli';
import type { CpuUse } from '../cpuSampling';
import type { ToolId } from '../toolIds';
import type { HitStats } from '../tools/tool';

/** A full-build row: plain, or a tool's cold or warm build. */
export interface BuildRow {
  mode: string;
  tool: 'plain' | ToolId;
  kind: 'plain' | 'cold' | 'warm';
  status: 'ok' | 'failed' | 'skipped' | 'suspect';
  /** wall times of every measured build, ms */
  timesMs: number[];
  /** reported value: the single cold build or the median */
  ms?: number;
  /** per-run deltas of the tool's counters */
  stats: (HitStats | null)[];
  /** per run: share of all CPUs used by processes other than the build and its cache server */
  otherCpu: (number | null)[];
  /** per run: CPU seconds of the build and its cache server, of the whole machine */
  cpu?: CpuUse[];
  notes: string[];
}

/** A per-call row: the cost of one cache hit (or of one plain compile). */
export interface HitRow {
  label: string;
  command: string;
  status: 'ok' | 'failed' | 'skipped' | 'suspect';
  calls: number;
  meanMs?: number;
  medianMs?: number;
  stats?: HitStats | null;
  cpu?: CpuUse;
  notes: string[];
}

export interface BenchContext {
  opts: BenchOptions;
  work: string;
  project: GeneratedProject;
  projectDir: string;
  smallDir: string;
  logDir: string;
  cc: string;
  cxx: string;
  /** the program's output from the first (plain) build, which every later build must print too */
  reference?: string;
  builds: BuildRow[];
  hits: HitRow[];
  serverStarts: string[];
  events: string[];
}

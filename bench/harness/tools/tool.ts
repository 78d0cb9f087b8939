// What the measurements need from a cache tool (warmcc and its variants, ccache, sccache): its
// isolated environment and cache, its server's start, stop and processes, and its own hit
// counters, which every cache row is checked against.

import { Aborted } from '../commands';
import { progress } from '../progress';
import type { ToolId } from '../toolIds';

export interface HitStats {
  hits: number;
  misses: number;
  /** hits by mode (ccache; warmcc's direct/preprocessed split) */
  direct?: number;
  preprocessed?: number;
  /** calls the tool passed through (link, not cacheable) */
  uncacheable?: number;
  errors?: number;
}

export interface Tool {
  id: ToolId;
  exe: string;
  version: string;
  env: NodeJS.ProcessEnv;
  cacheDir: string;
  /** env var carried by every process the tool starts for this run (leftover cleanup) */
  marker?: [string, string];
  /** the server's log, scanned for error lines after each measurement */
  serverLog?: string;
  /** running server processes (their CPU counts as the build's own) */
  serverPids?(): number[];
  /** starts the server if the tool has one; fills startNotes */
  start(): Promise<void>;
  /** untimed, before each warm build and each timed per-hit call (warmcc-remote: empty the local tier) */
  beforeWarm?(): Promise<void>;
  /** extra notes for the per-hit row, from the tool's own counters (warmcc-remote: per-tier latency) */
  perHitNotes?(): Promise<string[]>;
  stats(): Promise<HitStats>;
  stop(): Promise<string[]>;
  startNotes: string[];
}

/** The stop functions of every server the run started (tools by object, others by name), run
 *  again in reverse order at the end, whatever happened. */
export type ServerStops = Map<Tool | string, () => Promise<void>>;

export function diffStats(before: HitStats, after: HitStats): HitStats {
  const d = (a?: number, b?: number): number | undefined => (a === undefined || b === undefined ? undefined : a - b);
  const out: HitStats = { hits: after.hits - before.hits, misses: after.misses - before.misses };
  const direct = d(after.direct, before.direct);
  const pre = d(after.preprocessed, before.preprocessed);
  const unc = d(after.uncacheable, before.uncacheable);
  const err = d(after.errors, before.errors);
  if (direct !== undefined) out.direct = direct;
  if (pre !== undefined) out.preprocessed = pre;
  if (unc !== undefined) out.uncacheable = unc;
  if (err !== undefined) out.errors = err;
  return out;
}

/** The tool's counters; null when they cannot be read (the row then says its hits are not
 *  verified); undefined for a plain build. */
export async function safeStats(tool: Tool | undefined): Promise<HitStats | null | undefined> {
  if (!tool) return undefined;
  try {
    return await tool.stats();
  } catch (error) {
    if (error instanceof Aborted) throw error;
    progress(`  ${tool.id} stats unavailable: ${(error as Error).message}`);
    return null;
  }
}

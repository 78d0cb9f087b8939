// Full builds: `make clean` (untimed), then `make -jN` (timed) with the tool as CC/CXX prefix,
// each checked against the tool's counters, the plain build's program output and the server log.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseEnv } from '../baseEnv';
import { Aborted, capture, describeFailure, isAborted, run } from '../commands';
import { cpuSample, cpuUse } from '../cpuSampling';
import { bytes, median, sec } from '../figures';
import { errorLinesNote, logMark, newErrorLines, slug, tailOf } from '../logFiles';
import { progress } from '../progress';
import { diffStats, safeStats, type HitStats, type Tool } from '../tools/tool';
import type { BenchContext, BuildRow } from './benchContext';

function dirBytes(dir: string): number {
  let total = 0;
  const walk = (d: string): void => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const full = path.join(d, e.name);
      if (e.isDirectory()) walk(full);
      else if (e.isFile()) {
        try {
          total += fs.statSync(full).size;
        } catch {
          /* raced */
        }
      }
    }
  };
  walk(dir);
  return total;
}

/**
 * `count` full builds (make clean, untimed; make -jN, timed) with the given CC/CXX prefix.
 * Checks the tool's counters and the program's output after each build.
 */
export async function measureBuilds(
  ctx: BenchContext,
  mode: string,
  kind: BuildRow['kind'],
  tool: Tool | undefined,
  extraEnv: NodeJS.ProcessEnv,
  count: number,
): Promise<BuildRow> {
  const row: BuildRow = { mode, tool: tool?.id ?? 'plain', kind, status: 'ok', timesMs: [], stats: [], otherCpu: [], notes: [] };
  ctx.builds.push(row);
  const env = { ...(tool?.env ?? baseEnv()), ...extraEnv };
  const prefix = tool ? `${tool.exe} ` : '';
  const logFile = path.join(ctx.logDir, `${slug(mode)}.log`);
  const expected = ctx.project.compileUnits;
  const logStart = logMark(tool?.serverLog);
  if (tool?.id !== 'ccache' && tool && kind === 'cold') row.notes.push('server started beforehand');
  for (let i = 0; i < count; i++) {
    const clean = await run('make', ['clean'], { cwd: ctx.projectDir, env, logFile, timeoutMs: 60_000 });
    if (clean.code !== 0) throw new Error(`make clean failed: ${describeFailure(clean)}`);
    if (kind === 'warm') await tool?.beforeWarm?.();
    const before = await safeStats(tool);
    progress(`${mode}: build ${i + 1}/${count} ...`);
    const servers = tool?.serverPids?.() ?? [];
    const cpuBefore = cpuSample(servers);
    const r = await run('make', [`-j${ctx.opts.jobs}`, `CC=${prefix}${ctx.cc}`, `CXX=${prefix}${ctx.cxx}`], {
      cwd: ctx.projectDir,
      env,
      logFile,
      timeoutMs: ctx.opts.timeoutS * 1000,
    });
    const use = cpuUse(cpuBefore, cpuSample(servers));
    if (r.code !== 0) {
      row.status = 'failed';
      if (isAborted()) {
        row.notes.push('aborted');
        throw new Aborted();
      }
      row.notes.push(`build failed (${describeFailure(r)})`);
      progress(`${mode}: build FAILED (${describeFailure(r)}); last lines of ${logFile}:\n${tailOf(logFile, 25)}`);
      return row;
    }
    row.timesMs.push(r.ms);
    row.otherCpu.push(use ? use.other : null);
    if (use) (row.cpu ??= []).push(use);
    const after = await safeStats(tool);
    let delta: HitStats | null = null;
    if (tool) {
      delta = before && after ? diffStats(before, after) : null;
      row.stats.push(delta);
    }
    const out = await capture(`./${ctx.project.program}`, [], env, ctx.projectDir);
    if (out.code !== 0) {
      row.status = 'failed';
      row.notes.push(`built program failed: ${describeFailure(out)}`);
      return row;
    }
    if (ctx.reference === undefined) ctx.reference = out.out;
    else if (out.out !== ctx.reference && !row.notes.some((n) => n.includes('output differs'))) {
      row.status = 'suspect';
      row.notes.push('⚠ program output differs from the plain build');
    }
    const otherNow = row.otherCpu[row.otherCpu.length - 1];
    progress(
      `${mode}: ${sec(r.ms)} s${otherNow != null ? ` (other processes: ${Math.round(otherNow * 100)}% CPU)` : ''}${delta ? `  (hits ${delta.hits}, misses ${delta.misses}${delta.direct !== undefined ? `, direct ${delta.direct}, preprocessed ${delta.preprocessed}` : ''})` : ''}`,
    );
  }
  const logNote = errorLinesNote(newErrorLines(tool?.serverLog, logStart));
  if (logNote) row.notes.push(logNote);
  row.ms = kind === 'cold' ? row.timesMs[0] : median(row.timesMs);
  if (row.timesMs.length > 1) row.notes.push(`median of ${row.timesMs.length}: ${row.timesMs.map(sec).join(', ')} s`);
  else if (kind === 'cold') row.notes.push('1 build');

  if (tool) {
    if (row.stats.some((s) => s === null)) {
      if (row.status === 'ok') row.status = 'suspect';
      row.notes.push('⚠ hits NOT verified (stats unavailable)');
    } else {
      const stats = row.stats as HitStats[];
      const hits = stats.map((s) => s.hits);
      const misses = stats.map((s) => s.misses);
      const list = (xs: number[]): string => (xs.every((x) => x === xs[0]) ? `${xs[0]}` : xs.join('/'));
      if (kind === 'cold') {
        row.notes.push(`misses ${list(misses)}/${expected}, hits ${list(hits)}`);
        if (hits.every((h) => h === 0) && misses.every((m) => m === 0)) {
          row.status = row.status === 'ok' ? 'suspect' : row.status;
          row.notes.push(`⚠ the cache counted no compiles at all (did the client fall back to running the compiler itself?)`);
        } else if (hits.some((h) => h > 0) || misses.some((m) => m !== expected)) {
          row.status = row.status === 'ok' ? 'suspect' : row.status;
          row.notes.push(`⚠ expected ${expected} misses and no hits`);
        }
        row.notes.push(`cache ${bytes(dirBytes(tool.cacheDir))} after`);
      } else {
        let text = `hits ${list(hits)}/${expected}`;
        const d = stats.map((s) => s.direct ?? 0);
        const p = stats.map((s) => s.preprocessed ?? 0);
        if (stats[0]!.direct !== undefined) text += ` (direct ${list(d)}, preprocessed ${list(p)})`;
        if (misses.some((m) => m > 0)) text += `, misses ${list(misses)}`;
        row.notes.push(text);
        if (hits.some((h) => h < expected)) {
          row.status = row.status === 'ok' ? 'suspect' : row.status;
          row.notes.push(`⚠ not every compile hit: this time is NOT a warm-cache time`);
        }
      }
      const errors = stats.map((s) => s.errors ?? 0);
      if (errors.some((e) => e > 0)) row.notes.push(`⚠ tool errors ${list(errors)}`);
    }
  }
  const other = row.otherCpu.filter((x): x is number => x !== null);
  if (other.length && Math.max(...other) >= 0.05) {
    const pct = other.map((x) => `${Math.round(x * 100)}%`).join(', ');
    row.notes.push(`${Math.max(...other) >= 0.15 ? '⚠ ' : ''}other processes used ${pct} of the CPUs during the build${other.length > 1 ? 's' : ''}`);
  }
  return row;
}

// The per-call cost of a cache hit: `small.c` compiled many times in a row, one process at a
// time, after it is cached, next to the same loop with the plain compiler.

import * as path from 'node:path';
import { Aborted, describeFailure, isAborted, run } from '../commands';
import { cpuSample, cpuUse } from '../cpuSampling';
import { mean, median } from '../figures';
import { errorLinesNote, logMark, newErrorLines, slug, tailOf } from '../logFiles';
import { progress } from '../progress';
import { diffStats, safeStats, type Tool } from '../tools/tool';
import type { BenchContext, HitRow } from './benchContext';

/** the source the per-call loop compiles (the entry writes it to the work dir's small/) */
export const SMALL_C = `/* small.c: the per-hit probe of bench/run.ts */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct point {
    int x, y;
};

static int cmp_points(const void *a, const void *b)
{
    const struct point *p = a, *q = b;
    return p->x != q->x ? (p->x > q->x) - (p->x < q->x) : (p->y > q->y) - (p->y < q->y);
}

unsigned small_checksum(const char *s)
{
    unsigned h = 5381u;
    while (*s) h = h * 33u + (unsigned char)*s++;
    return h;
}

int small_sort(struct point *p, size_t n)
{
    qsort(p, n, sizeof *p, cmp_points);
    return n ? p[0].x : 0;
}

void small_print(const struct point *p, size_t n)
{
    size_t i;
    char buf[64];
    for (i = 0; i < n; i++) {
        snprintf(buf, sizeof buf, "(%d, %d)", p[i].x, p[i].y);
        printf("%s %u\\n", buf, small_checksum(buf) % 100u);
    }
    if (n > 0 && strlen(buf) > 40) puts("long");
}
`;

const MAX_LOOP_MS = 180_000;

/**
 * Per-call cost of `cmd args` in a tight sequential loop. With a tool: one priming call (miss),
 * three warm-up calls, then `calls` timed calls, verified against the tool's hit counter.
 */
export async function perCall(
  ctx: BenchContext,
  label: string,
  command: string,
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  tool: Tool | undefined,
): Promise<HitRow> {
  const row: HitRow = { label, command, status: 'ok', calls: 0, notes: [] };
  ctx.hits.push(row);
  const logFile = path.join(ctx.logDir, `per-call-${slug(label)}.log`);
  progress(`per-call: ${label} x${ctx.opts.calls} ...`);
  for (let i = 0; i < 4; i++) {
    if (i > 0) await tool?.beforeWarm?.();
    const r = await run(cmd, args, { cwd: ctx.smallDir, env, logFile, timeoutMs: 60_000 });
    if (r.code !== 0) {
      row.status = 'failed';
      if (isAborted()) throw new Aborted();
      row.notes.push(`${i === 0 ? 'priming' : 'warm-up'} call failed (${describeFailure(r)})`);
      progress(`per-call ${label} failed; last lines of ${logFile}:\n${tailOf(logFile, 15)}`);
      return row;
    }
  }
  const before = await safeStats(tool);
  const logStart = logMark(tool?.serverLog);
  const servers = tool?.serverPids?.() ?? [];
  const cpuBefore = cpuSample(servers);
  const times: number[] = [];
  // one log line per call is enough to debug a failure; keep the loop tight otherwise
  const t0 = Date.now();
  for (let i = 0; i < ctx.opts.calls; i++) {
    await tool?.beforeWarm?.();
    const r = await run(cmd, args, { cwd: ctx.smallDir, env, logFile, timeoutMs: 60_000 });
    if (r.code !== 0) {
      row.status = 'failed';
      if (isAborted()) throw new Aborted();
      row.notes.push(`call ${i + 1} failed (${describeFailure(r)})`);
      return row;
    }
    times.push(r.ms);
    if (Date.now() - t0 > MAX_LOOP_MS) {
      row.notes.push(`⚠ stopped after ${times.length} calls (${MAX_LOOP_MS / 1000} s limit)`);
      break;
    }
  }
  const use = cpuUse(cpuBefore, cpuSample(servers));
  const after = await safeStats(tool);
  const logNote = errorLinesNote(newErrorLines(tool?.serverLog, logStart));
  if (logNote) row.notes.push(logNote);
  if (use) {
    row.cpu = use;
    if (use.other >= 0.05) row.notes.push(`${use.other >= 0.15 ? '⚠ ' : ''}other processes used ${Math.round(use.other * 100)}% of the CPUs meanwhile`);
  }
  row.calls = times.length;
  row.meanMs = mean(times);
  row.medianMs = median(times);
  if (tool) {
    row.stats = before && after ? diffStats(before, after) : null;
    if (!row.stats) {
      row.status = 'suspect';
      row.notes.push('⚠ hits NOT verified (stats unavailable)');
    } else {
      row.notes.push(
        `hits ${row.stats.hits}/${times.length}${row.stats.direct !== undefined ? ` (direct ${row.stats.direct}, preprocessed ${row.stats.preprocessed})` : ''}`,
      );
      if (row.stats.hits < times.length) {
        row.status = 'suspect';
        row.notes.push('⚠ not every call hit');
      }
    }
  }
  return row;
}

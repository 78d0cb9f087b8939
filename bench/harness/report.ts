// The report: the markdown tables printed at the end of a run, and the same results as JSON
// (--json), with the raw figures.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BenchOptions } from './cli';
import { msf, sec } from './figures';
import type { MachineInfo } from './machine';
import type { BenchContext, BuildRow } from './measure/benchContext';
import { progress } from './progress';
import { defaultJsonFile } from './repoPaths';

/** a table cell: pipes and newlines would break the markdown row */
const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

function vsPlain(row: BuildRow, plainMs: number | undefined): string {
  if (row.ms === undefined || plainMs === undefined) return '—';
  const f = row.ms / plainMs;
  const speed = f <= 2 / 3 ? `${(1 / f).toFixed(1)}× faster` : f < 1 ? `${((1 - f) * 100).toFixed(0)}% faster` : `${((f - 1) * 100).toFixed(0)}% slower`;
  return `${f.toFixed(2)}× (${speed})`;
}

/** `partial`: why the run stopped early (the report then says its results are partial). */
export function markdownReport(ctx: BenchContext, machine: MachineInfo, command: string, partial: string | undefined): string {
  const lines: string[] = [];
  if (partial) lines.push(`**${partial}: partial results.**`, '');
  const plain = ctx.builds.find((b) => b.tool === 'plain');
  const p = ctx.project;
  lines.push(
    `### warmcc benchmark: full build of ${p.cSources.length} C + ${p.cxxSources.length} C++ files (${p.headers.length} headers, ${p.compileUnits} compiles + link), \`make -j${ctx.opts.jobs}\`, ${ctx.opts.compiler}, -O2 -g`,
    '',
    '| mode | full build wall time (s) | vs plain | notes |',
    '| --- | ---: | --- | --- |',
  );
  for (const b of ctx.builds) {
    const flag = b.status === 'suspect' ? ' ⚠' : '';
    const time = b.ms === undefined ? (b.status === 'skipped' ? 'skipped' : 'failed') : `${sec(b.ms)}${flag}`;
    lines.push(`| ${b.mode} | ${time} | ${b === plain ? '1.00×' : vsPlain(b, plain?.ms)} | ${cell(b.notes.join('; '))} |`);
  }
  lines.push('');
  const plainCall = ctx.hits.find((h) => h.label === 'plain');
  lines.push(
    `### per-call cost of a cache hit (\`small.c\` already cached, ${ctx.opts.calls} sequential calls; wall clock includes process spawn)`,
    '',
    `| command | calls | mean ms/call | median ms/call | vs plain ${ctx.cc} (ms) | notes |`,
    '| --- | ---: | ---: | ---: | ---: | --- |',
  );
  for (const h of ctx.hits) {
    const flag = h.status === 'suspect' ? ' ⚠' : '';
    const diff =
      h === plainCall || h.meanMs === undefined || plainCall?.meanMs === undefined
        ? '—'
        : `${h.meanMs - plainCall.meanMs >= 0 ? '+' : ''}${msf(h.meanMs - plainCall.meanMs)}`;
    lines.push(
      `| \`${h.command}\` | ${h.calls || '—'} | ${h.meanMs === undefined ? (h.status === 'skipped' ? 'skipped' : 'failed') : msf(h.meanMs) + flag} | ${h.medianMs === undefined ? '—' : msf(h.medianMs)} | ${diff} | ${cell(h.notes.join('; '))} |`,
    );
  }
  lines.push('');
  if (ctx.serverStarts.length) {
    lines.push('Server start:');
    for (const s of ctx.serverStarts) lines.push(`- ${s}`);
    lines.push('');
  }
  if (ctx.events.length) {
    lines.push('Notes:');
    for (const e of ctx.events) lines.push(`- ${e}`);
    lines.push('');
  }
  lines.push(
    `Machine: nproc ${machine.nproc}, CPU ${machine.cpu}, ${machine.compiler}, ${machine.tools}, Node ${process.version}, ${machine.os}, load avg at start ${machine.load}, ${machine.date}`,
  );
  lines.push(`Command: \`${command}\``);
  return lines.join('\n');
}

/** Writes the results as JSON to `opts.json`, or to the default file when --json had no file. */
export function writeJsonReport(ctx: BenchContext, opts: BenchOptions, machine: MachineInfo, command: string, aborted: boolean): void {
  const file = opts.json || defaultJsonFile();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const plainMs = ctx.builds.find((b) => b.tool === 'plain')?.ms;
  const plainCall = ctx.hits.find((h) => h.label === 'plain')?.meanMs;
  const data = {
    command,
    machine,
    // the JSON never recorded where the run worked or which client it measured
    options: { ...opts, workRoot: undefined, warmccBin: undefined },
    project: {
      seed: ctx.project.seed,
      cFiles: ctx.project.cSources.length,
      cxxFiles: ctx.project.cxxSources.length,
      headers: ctx.project.headers.length,
      compileUnits: ctx.project.compileUnits,
    },
    builds: ctx.builds.map((b) => ({
      ...b,
      seconds: b.ms === undefined ? null : b.ms / 1000,
      vsPlain: b.ms === undefined || plainMs === undefined ? null : b.ms / plainMs,
    })),
    perCall: ctx.hits.map((h) => ({
      ...h,
      overheadVsPlainMs: h.meanMs === undefined || plainCall === undefined ? null : h.meanMs - plainCall,
    })),
    serverStarts: ctx.serverStarts,
    events: ctx.events,
    aborted,
  };
  fs.writeFileSync(file, `${JSON.stringify(data, null, 2)}\n`);
  progress(`results written to ${file}`);
}

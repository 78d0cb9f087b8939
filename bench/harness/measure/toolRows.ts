// Every row of one cache tool: its cold build, its warm builds (ccache also in preprocessor
// mode) and its per-call cost; or, when it cannot run, rows that say why.

import { Aborted } from '../commands';
import { killLeftovers } from '../processes';
import { progress } from '../progress';
import type { ToolId } from '../toolIds';
import type { ServerStops, Tool } from '../tools/tool';
import type { BenchContext } from './benchContext';
import { measureBuilds } from './builds';
import { perCall } from './perCall';

/** Everything measured for one cache tool; stops its server before returning. */
export async function benchTool(ctx: BenchContext, tool: Tool, stops: ServerStops): Promise<void> {
  const modes: { mode: string; kind: 'cold' | 'warm'; env: NodeJS.ProcessEnv }[] = [
    { mode: `${tool.id} cold`, kind: 'cold', env: {} },
    { mode: tool.id === 'warmcc-remote' ? 'warmcc remote warm (empty local, full Redis)' : `${tool.id} warm`, kind: 'warm', env: {} },
  ];
  if (tool.id === 'ccache') modes.push({ mode: 'ccache warm (preprocessor mode)', kind: 'warm', env: { CCACHE_NODIRECT: '1' } });
  const args = [ctx.cc, '-c', 'small.c', '-o', 'small.o'];
  const notRun = (from: number, why: string): void => {
    for (const m of modes.slice(from)) {
      ctx.builds.push({ mode: m.mode, tool: tool.id, kind: m.kind, status: 'failed', timesMs: [], stats: [], otherCpu: [], notes: [why] });
    }
    ctx.hits.push({ label: tool.id, command: `${tool.id} ${args.join(' ')}`, status: 'failed', calls: 0, notes: [why] });
  };

  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const note of await tool.stop()) {
      ctx.events.push(note);
      progress(note);
    }
    if (tool.marker) {
      const note = await killLeftovers(tool.id, tool.marker);
      if (note) {
        ctx.events.push(note);
        progress(note);
      }
    }
  };
  stops.set(tool, stop);
  try {
    try {
      progress(`${tool.id}: starting (${tool.version})`);
      await tool.start();
    } catch (error) {
      if (error instanceof Aborted) throw error;
      const why = `not run: ${(error as Error).message}`;
      progress(`${tool.id}: ${why}`);
      notRun(0, why);
      return;
    }
    ctx.serverStarts.push(...tool.startNotes.map((n) => `${tool.id}: ${n}`));
    const cold = await measureBuilds(ctx, modes[0]!.mode, 'cold', tool, modes[0]!.env, 1);
    if (cold.status === 'failed') {
      notRun(1, 'not run: the cold build failed');
      return;
    }
    for (const m of modes.slice(1)) await measureBuilds(ctx, m.mode, m.kind, tool, m.env, ctx.opts.runs);

    const command = tool.id === 'warmcc-remote' ? `WARMCC_REMOTE=redis://… warmcc ${args.join(' ')}` : `${tool.id} ${args.join(' ')}`;
    const hitRow = await perCall(ctx, tool.id, command, tool.exe, args, tool.env, tool);
    if (tool.beforeWarm) hitRow.notes.push('local tier emptied (`warmcc -C`, untimed) before each call, so every hit comes from Redis');
    if (tool.perHitNotes) hitRow.notes.push(...(await tool.perHitNotes()));
    if (tool.id === 'ccache') {
      await perCall(
        ctx,
        'ccache (preprocessor mode)',
        `CCACHE_NODIRECT=1 ccache ${args.join(' ')}`,
        tool.exe,
        args,
        { ...tool.env, CCACHE_NODIRECT: '1' },
        tool,
      );
    }
  } finally {
    await stop();
  }
}

/** The rows of a tool that is not run (not installed, or needs another row), each saying `why`. */
export function skipTool(ctx: BenchContext, id: ToolId, why: string): void {
  for (const mode of id === 'ccache' ? ['ccache cold', 'ccache warm', 'ccache warm (preprocessor mode)'] : [`${id} cold`, `${id} warm`]) {
    ctx.builds.push({ mode, tool: id, kind: mode.endsWith('cold') ? 'cold' : 'warm', status: 'skipped', timesMs: [], stats: [], otherCpu: [], notes: [why] });
  }
  ctx.hits.push({ label: id, command: `${id} ${ctx.cc} -c small.c -o small.o`, status: 'skipped', calls: 0, notes: [why] });
}

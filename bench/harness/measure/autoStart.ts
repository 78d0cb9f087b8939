// The first compile through warmcc with no server running: the client starts one (auto-start).
// Listed with the server start times, apart from the rows.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Aborted, capture, describeFailure, run } from '../commands';
import { msf } from '../figures';
import { killLeftovers } from '../processes';
import { extractJson } from '../tools/statsJson';
import type { ServerStops } from '../tools/tool';
import { parseWarmccStats, stopWarmcc, warmccEnv } from '../tools/warmcc';
import type { BenchContext } from './benchContext';

/** Times the first compile through a warmcc client with no server running (auto-start), in a
 *  separate cache and socket so the benchmark's cache stays empty. */
export async function probeWarmccAutoStart(ctx: BenchContext, warmccBin: string, sockDir: string, stops: ServerStops): Promise<void> {
  const dir = path.join(ctx.work, 'warmcc-probe');
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const socket = path.join(sockDir, 'probe.sock');
  const env = warmccEnv(path.join(dir, 'cache'), socket, path.join(ctx.logDir, 'warmcc-probe-server.log'));
  let pid: number | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const n of await stopWarmcc(warmccBin, env, dir, pid)) ctx.events.push(`probe: ${n}`);
    const note = await killLeftovers('warmcc probe', ['WARMCC_SOCKET', socket]);
    if (note) ctx.events.push(note);
  };
  stops.set('warmcc-probe', stop);
  try {
    const r = await run(warmccBin, [ctx.cc, '-c', 'small.c', '-o', 'small-probe.o'], {
      cwd: ctx.smallDir,
      env,
      logFile: path.join(ctx.logDir, 'warmcc-probe.log'),
      timeoutMs: 60_000,
    });
    if (r.code !== 0) {
      ctx.serverStarts.push(`warmcc: first compile with auto-start FAILED (${describeFailure(r)})`);
      return;
    }
    let verdict = 'served by the server';
    try {
      const s = await capture(warmccBin, ['-s', '--stats-format', 'json'], env, dir);
      const parsed = parseWarmccStats(extractJson(s.out));
      pid = parsed.serverPid;
      if (parsed.misses + parsed.hits < 1) verdict = '⚠ the server did not count it (client fallback?)';
    } catch (error) {
      if (error instanceof Aborted) throw error;
      verdict = `stats unavailable: ${(error as Error).message}`;
    }
    ctx.serverStarts.push(`warmcc: first compile with no server running (auto-start + a miss of small.c) ${msf(r.ms)} ms; ${verdict}`);
  } finally {
    await stop();
  }
}

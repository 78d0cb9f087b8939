// The warmcc adapter, for warmcc and each of its variants (toolIds.ts): the variant's settings,
// a private cache, socket and server log, and counters from `warmcc -s --stats-format json`.
// warmcc-remote also empties its local tier before each warm build and timed call, so its hits
// come from Redis.

import * as path from 'node:path';
import { baseEnv } from '../baseEnv';
import { capture, describeFailure, run } from '../commands';
import { msf } from '../figures';
import { alive, childrenOf, processesWithEnv, waitGone } from '../processes';
import type { WarmccToolId } from '../toolIds';
import { asCount, extractJson, findKey } from './statsJson';
import type { HitStats, Tool } from './tool';

const WARMCC_MODE_ENV: Record<WarmccToolId, Record<string, string>> = {
  warmcc: { WARMCC_DIRECT: '0' },
  'warmcc-direct': {},
  'warmcc-depend': { WARMCC_DEPEND: '1' },
  'warmcc-stored': { WARMCC_COMPRESSION_LEVEL: '0' },
  'warmcc-deflate': { WARMCC_COMPRESSION: 'deflate' },
  'warmcc-remote': {},
};

export function parseWarmccStats(json: unknown): HitStats & { serverPid?: number } {
  const hits = asCount(findKey(json, ['cacheHits', 'cache_hits', 'hits']));
  const misses = asCount(findKey(json, ['cacheMisses', 'cache_misses', 'misses']));
  if (hits === undefined || misses === undefined) throw new Error('warmcc stats JSON has no cacheHits/cacheMisses');
  const out: HitStats & { serverPid?: number } = { hits, misses };
  const unc = asCount(findKey(json, ['notCacheable', 'not_cacheable']));
  if (unc !== undefined) out.uncacheable = unc;
  // direct-mode split (absent on servers from before direct mode)
  const direct = asCount(findKey(json, ['directHits']));
  const preprocessed = asCount(findKey(json, ['preprocessedHits']));
  if (direct !== undefined) out.direct = direct;
  if (preprocessed !== undefined) out.preprocessed = preprocessed;
  const errs = ['internalErrors', 'cacheReadErrors', 'cacheWriteErrors', 'corruptEntries']
    .map((k) => asCount(findKey(json, [k])))
    .filter((x): x is number => x !== undefined);
  if (errs.length) out.errors = errs.reduce((a, b) => a + b, 0);
  const pid = findKey(json, ['serverPid']);
  if (typeof pid === 'number' && pid > 0) out.serverPid = pid;
  return out;
}

export function warmccEnv(dir: string, socket: string, log: string): NodeJS.ProcessEnv {
  return { ...baseEnv(), WARMCC_DIR: dir, WARMCC_SOCKET: socket, WARMCC_LOG: log };
}

/** Stops a warmcc server started with `env`; falls back to its pid, then to the env marker. */
export async function stopWarmcc(exe: string, env: NodeJS.ProcessEnv, cwd: string, knownPid: number | undefined): Promise<string[]> {
  const notes: string[] = [];
  const r = await run(exe, ['--stop-server'], { cwd, env, timeoutMs: 20_000, evenIfAborted: true });
  if (r.code !== 0) notes.push(`warmcc --stop-server: ${describeFailure(r)}`);
  if (knownPid !== undefined) {
    const left = await waitGone([knownPid], 5000);
    if (left.length) {
      try {
        process.kill(knownPid, 'SIGTERM');
        notes.push(`warmcc server ${knownPid} still running after --stop-server; sent SIGTERM`);
      } catch {
        /* gone */
      }
    }
  }
  return notes;
}

/** `exe` is the warmcc client (--warmcc); `remoteUrl` is warmcc-remote's Redis. */
export function makeWarmcc(work: string, exe: string, sockDir: string, version: string, id: WarmccToolId = 'warmcc', remoteUrl?: string): Tool {
  const cacheDir = path.join(work, `${id}-cache`);
  const socket = path.join(sockDir, `${id}.sock`);
  const serverLog = path.join(work, 'logs', `${id}-server.log`);
  const env = { ...warmccEnv(cacheDir, socket, serverLog), ...WARMCC_MODE_ENV[id], ...(remoteUrl ? { WARMCC_REMOTE: remoteUrl } : {}) };
  let serverPid: number | undefined;
  const tool: Tool = {
    id,
    exe,
    version,
    env,
    cacheDir,
    marker: ['WARMCC_SOCKET', socket],
    serverLog,
    // the server and its hit servers (its children; the compilers it runs on misses too)
    serverPids: () => (serverPid !== undefined && alive(serverPid) ? [serverPid, ...childrenOf(serverPid)] : processesWithEnv('WARMCC_SOCKET', socket)),
    startNotes: [],
    async start() {
      const r = await capture(exe, ['--start-server'], env, work, 60_000);
      if (r.code !== 0) throw new Error(`bin/warmcc --start-server failed: ${describeFailure(r)}`);
      tool.startNotes.unshift(`\`warmcc --start-server\` ${msf(r.ms)} ms`);
    },
    async stats() {
      const r = await capture(exe, ['-s', '--stats-format', 'json'], env, work);
      if (r.code !== 0) throw new Error(`warmcc -s --stats-format json failed: ${describeFailure(r)}`);
      const s = parseWarmccStats(extractJson(r.out));
      if (s.serverPid !== undefined) serverPid = s.serverPid;
      return s;
    },
    async stop() {
      return stopWarmcc(exe, env, work, serverPid);
    },
  };
  if (remoteUrl) {
    tool.beforeWarm = async () => {
      const r = await capture(exe, ['-C'], env, work);
      if (r.code !== 0) throw new Error(`warmcc -C failed: ${describeFailure(r)}`);
    };
    tool.perHitNotes = async () => {
      const r = await capture(exe, ['-s', '--stats-format', 'json'], env, work);
      const tiers =
        (extractJson(r.out) as { tiers?: { name: string; hits: number; reads: number; averageReadMs: number; errors: number; timeouts: number }[] }).tiers ??
        [];
      return tiers.map(
        (t) =>
          `${t.name}: ${t.hits}/${t.reads} hits, ${t.averageReadMs.toFixed(2)} ms per read${t.errors + t.timeouts ? `, ⚠ ${t.errors} errors, ${t.timeouts} timeouts` : ''}`,
      );
    };
  }
  return tool;
}

// The sccache adapter: a private cache directory, an empty config file and a server on a free
// loopback port of its own; counters from `sccache -s --stats-format json`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseEnv } from '../baseEnv';
import { capture, describeFailure, run } from '../commands';
import { msf } from '../figures';
import { freeLoopbackPort, processesWithEnv } from '../processes';
import { asCount, extractJson } from './statsJson';
import type { Tool } from './tool';

export async function makeSccache(work: string, exe: string, version: string): Promise<Tool> {
  const cacheDir = path.join(work, 'sccache');
  const conf = path.join(work, 'sccache.toml');
  fs.writeFileSync(conf, '# empty: defaults only (isolated benchmark config)\n');
  const port = await freeLoopbackPort();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    SCCACHE_DIR: cacheDir,
    SCCACHE_SERVER_PORT: String(port),
    SCCACHE_CONF: conf,
    SCCACHE_ERROR_LOG: path.join(work, 'logs', 'sccache-server.log'),
  };
  const serverLog = env.SCCACHE_ERROR_LOG!;
  const tool: Tool = {
    id: 'sccache',
    exe,
    version,
    env,
    cacheDir,
    marker: ['SCCACHE_DIR', cacheDir],
    serverLog,
    serverPids: () => processesWithEnv('SCCACHE_DIR', cacheDir),
    startNotes: [],
    async start() {
      const r = await capture(exe, ['--start-server'], env, work, 60_000);
      if (r.code !== 0) throw new Error(`sccache --start-server failed: ${describeFailure(r)}`);
      tool.startNotes.push(`\`sccache --start-server\` ${msf(r.ms)} ms (port ${port})`);
    },
    async stats() {
      const r = await capture(exe, ['-s', '--stats-format', 'json'], env, work);
      if (r.code !== 0) throw new Error(`sccache -s failed: ${describeFailure(r)}`);
      const json = extractJson(r.out) as { stats?: Record<string, unknown> };
      const s = json.stats;
      if (!s) throw new Error('sccache -s: no "stats" in JSON');
      const n = (k: string): number => asCount(s[k]) ?? 0;
      return {
        hits: n('cache_hits'),
        misses: n('cache_misses'),
        uncacheable: n('requests_not_cacheable') + n('requests_not_compile') + n('requests_unsupported_compiler') + n('non_cacheable_compilations'),
        errors: n('cache_errors') + n('cache_read_errors') + n('cache_write_errors') + n('compile_fails') + n('cache_timeouts'),
      };
    },
    async stop() {
      const notes: string[] = [];
      const r = await run(exe, ['--stop-server'], { cwd: work, env, timeoutMs: 20_000, evenIfAborted: true });
      if (r.code !== 0) notes.push(`sccache --stop-server: ${describeFailure(r)}`);
      return notes;
    },
  };
  return tool;
}

// The ccache adapter: a private cache directory and an empty config file, so neither the
// caller's cache nor their settings are measured; counters from `ccache --print-stats`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { baseEnv } from '../baseEnv';
import { capture, describeFailure } from '../commands';
import type { Tool } from './tool';

export function makeCcache(work: string, exe: string, version: string): Tool {
  const cacheDir = path.join(work, 'ccache');
  const conf = path.join(work, 'ccache.conf');
  fs.writeFileSync(conf, '# empty: defaults only (isolated benchmark config)\n');
  const env = { ...baseEnv(), CCACHE_DIR: cacheDir, CCACHE_CONFIGPATH: conf };
  const tool: Tool = {
    id: 'ccache',
    exe,
    version,
    env,
    cacheDir,
    startNotes: [],
    async start() {
      const r = await capture(exe, ['-z'], env, work);
      if (r.code !== 0) throw new Error(`ccache -z failed: ${describeFailure(r)}`);
    },
    async stats() {
      const r = await capture(exe, ['--print-stats'], env, work);
      if (r.code !== 0) throw new Error(`ccache --print-stats failed: ${describeFailure(r)}`);
      const m = new Map<string, number>();
      for (const line of r.out.split('\n')) {
        const [k, v] = line.split('\t');
        if (k && v !== undefined) m.set(k.trim(), Number(v));
      }
      if (!m.has('cache_miss')) throw new Error('unexpected ccache --print-stats output');
      const g = (k: string): number => m.get(k) ?? 0;
      return {
        hits: g('direct_cache_hit') + g('preprocessed_cache_hit'),
        misses: g('cache_miss'),
        direct: g('direct_cache_hit'),
        preprocessed: g('preprocessed_cache_hit'),
        uncacheable:
          g('called_for_link') +
          g('called_for_preprocessing') +
          g('unsupported_compiler_option') +
          g('unsupported_source_language') +
          g('no_input_file') +
          g('multiple_source_files'),
        errors: g('internal_error') + g('compile_failed') + g('preprocessor_error') + g('missing_cache_file'),
      };
    },
    async stop() {
      return [];
    },
  };
  return tool;
}

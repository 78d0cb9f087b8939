// What the stages of a compile request share for the life of a server (or a hit server): the
// storage, the stats, the settings that choose the mode, and where results are announced.

import type { EntryCompression, WarmccConfig } from '../config/config';
import type { CompiledNotification } from '../contract/rpc';
import type { Journal } from '../explain/journal';
import type { StatsRecorder } from '../server/stats';
import type { CacheStorage } from '../storage/storage';
import type { PendingStores } from './pendingStores';

export interface CompileContext {
  storage: CacheStorage;
  stats: StatsRecorder;
  log: (message: string) => void;
  /** per-compile detail, written only at WARMCC_LOG_LEVEL=debug */
  debug: (message: string) => void;
  /** look up and record direct-mode manifests (WARMCC_DIRECT) */
  directMode: boolean;
  /** misses compile with a dependency list instead of running the preprocessor (WARMCC_DEPEND) */
  dependMode: boolean;
  /** the server's WARMCC_BASEDIRS (a client's own setting wins) */
  baseDirs: string[];
  /** WARMCC_SLOPPINESS=time_macros: manifests may cover files that use __TIME__ & co. */
  allowTimeMacros: boolean;
  /** WARMCC_SLOPPINESS=system_headers: manifests leave system headers out (they change with the
   *  system, not the project), and depend mode accepts -MMD lists */
  sloppySystemHeaders: boolean;
  /** how stored entries are compressed (WARMCC_COMPRESSION, WARMCC_COMPRESSION_LEVEL) */
  compression: EntryCompression;
  /** told about every finished cacheable compile (the editor shows its diagnostics) */
  compiled: (event: CompiledNotification) => void;
  /** stores running after their reply, by source: shutdown and a request for the same source
   *  wait for them */
  stores: PendingStores;
  /** recent requests, for `warmcc --explain` (absent: not record) */
  journal?: Journal;
}

export type CompileSettings = Pick<CompileContext, 'directMode' | 'dependMode' | 'baseDirs' | 'allowTimeMacros' | 'sloppySystemHeaders' | 'compression'>;

/** The context's settings, from the server's configuration (the same for a hit server). */
export function compileSettings(config: WarmccConfig): CompileSettings {
  return {
    // depend mode works through manifests, so it implies direct mode
    directMode: config.directMode || config.dependMode,
    dependMode: config.dependMode,
    baseDirs: config.baseDirs,
    allowTimeMacros: config.sloppiness.includes('time_macros'),
    sloppySystemHeaders: config.sloppiness.includes('system_headers'),
    compression: config.compression,
  };
}

// The server's side of keeping file hashes across restarts (direct/hashCacheFile.ts): load them
// at start, save them every minute while new ones come in and at shutdown, and at
// WARMCC_LOG_LEVEL=debug log every file actually read and hashed.

import { observeHashing, takeCacheChanged } from '../direct/fileHashCache';
import { loadHashCache, saveHashCache } from '../direct/hashCacheFile';
import { debug, log, logError } from './logger';

const SAVE_INTERVAL_MS = 60_000;

/** Loads the saved hashes (a hit server's whole part). */
export function loadSavedHashes(cacheDir: string, debugLog: boolean): void {
  if (debugLog) observeHashing((file) => debug(`hashed ${file}`));
  const loaded = loadHashCache(cacheDir);
  if (typeof loaded === 'string') log(`file hash cache ignored: ${loaded}`);
  else if (loaded > 0) debug(`file hash cache: ${loaded} hashes loaded`);
}

/** Loads the saved hashes and keeps saving them; `save()` at shutdown. */
export function keepHashesAcrossRestarts(cacheDir: string, debugLog: boolean): { save(): void } {
  loadSavedHashes(cacheDir, debugLog);
  const save = (): void => {
    if (!takeCacheChanged()) return;
    try {
      saveHashCache(cacheDir);
    } catch (error) {
      logError(`cannot save the file hash cache in ${cacheDir}: ${(error as Error).message}`);
    }
  };
  setInterval(save, SAVE_INTERVAL_MS).unref();
  return { save };
}

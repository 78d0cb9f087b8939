// Results in the cache: read one (a read error or a corrupt entry is a miss, counted and
// logged; a corrupt one is removed) and store one (compressed as configured).

import { CorruptEntryError, decodeEntry, encodeEntry, type CacheEntry } from '../storage/cacheEntry';
import type { CompileContext } from './context';

export async function readResult(context: CompileContext, key: string): Promise<CacheEntry | undefined> {
  let bytes: Buffer | undefined;
  try {
    bytes = await context.storage.get(key);
  } catch (error) {
    context.stats.readError(false);
    context.log(`cache read error for ${key}: ${(error as Error).message}`);
    return undefined;
  }
  if (!bytes) return undefined;
  try {
    return await decodeEntry(bytes);
  } catch (error) {
    const corrupt = error instanceof CorruptEntryError;
    context.stats.readError(corrupt);
    context.log(`${context.storage.name}: entry ${key} unusable (${(error as Error).message}); removing it`);
    await context.storage.remove(key).catch(() => {});
    return undefined;
  }
}

export async function storeResult(context: CompileContext, key: string, entry: CacheEntry): Promise<void> {
  await context.storage.put(key, await encodeEntry(entry, context.compression));
}

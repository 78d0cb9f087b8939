// The one interface every cache backend implements (local disk, and the remote tiers).
// Backends store opaque bytes under a key; encoding, checksums and policy live above them.

import type { TierCounters } from '../contract/stats';

export interface CacheStorage {
  /** short name for stats and messages, e.g. "local disk" */
  readonly name: string;
  /** the stored bytes, or undefined when the key is absent */
  get(key: string): Promise<Buffer | undefined>;
  /** stores bytes under key; readers never observe a partial write */
  put(key: string, data: Buffer): Promise<void>;
  /** removes one entry (e.g. found corrupt); absent is fine */
  remove(key: string): Promise<void>;
}

export interface LocalStorageUsage {
  entries: number;
  bytes: number;
  limitBytes: number;
}

/** A remote tier's backend (wrapper/storage/*Storage.ts other than local disk). */
export interface RemoteBackend extends CacheStorage {
  /** closes connections so the server can exit */
  close(): Promise<void>;
}

/** A put the backend declined by design (e.g. too large for memcached): counted, not an error. */
export class WriteSkipped extends Error {
  override readonly name = 'WriteSkipped';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** Backends are bundled apart from the server (remoteBackends.ts), so their error classes are
 *  copies: recognise errors by name, not instanceof. */
export function isWriteSkipped(error: unknown): error is WriteSkipped {
  return (error as Error | undefined)?.name === 'WriteSkipped';
}

/** A remote operation that ran out of its connect or operation time (counted as a timeout). */
export class RemoteTimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

export function isTimeout(error: unknown): boolean {
  const e = error as { name?: string; message?: string } | undefined;
  // TimeoutError: ours and the AWS SDK's; ioredis says "Command timed out"
  return e?.name === 'TimeoutError' || /timed out/i.test(e?.message ?? '');
}

/** Where the tiered storage reports (server/stats.ts Stats implements it). */
export interface TierRecorder {
  tier(name: string, update: (counters: TierCounters) => void): void;
}

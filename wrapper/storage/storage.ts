// The one interface every cache backend implements (local disk now; remote tiers later).
// Backends store opaque bytes under a key; encoding, checksums and policy live above them.

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

// The cache as the compile pipeline sees it: local disk first, then each remote tier in the
// configured order, behind the one CacheStorage interface.
// - get: the first tier that has the key wins; a remote hit is written back (in the background)
//   to local disk and to earlier writable remote tiers.
// - put: local disk is written before put returns; every writable remote tier is written in the
//   background, so a slow remote never delays a compile (shutdown waits through `track`).
// - A remote failure is never the build's failure: errors and timeouts count as misses for that
//   tier, repeated failures open its circuit breaker, and corrupt or foreign values (checked by
//   remoteEnvelope.ts before anything is written back) are misses too.
// Per-tier counters go to the stats through `TierRecorder`.

import type { LocalDiskStorage } from './localDiskStorage';
import { CircuitBreaker, type CircuitState } from './circuitBreaker';
import { createRemoteBackend } from './remoteBackends';
import { unwrapRemoteEntry, wrapRemoteEntry } from './remoteEnvelope';
import { scrubSecrets, type RemoteSpec } from '../config/remoteTiers';
import { isTimeout, isWriteSkipped, RemoteTimeoutError, type CacheStorage, type LocalStorageUsage, type RemoteBackend, type TierRecorder } from './storage';
import { zeroTierCounters, type TierCounters, type TierSnapshot } from '../contract/stats';

export interface TieredStorageOptions {
  recorder: TierRecorder;
  log: (message: string) => void;
  /** per-lookup detail (WARMCC_LOG_LEVEL=debug): which remote tier answered, how fast */
  debug?: (message: string) => void;
  /** background work (remote writes, write-backs) that shutdown must wait for */
  track: (work: Promise<unknown>) => void;
  /** consecutive failures that open a tier's circuit */
  failureThreshold?: number;
  /** how long an open circuit skips its tier */
  circuitCooldownMs?: number;
  /** creates a backend; tests may pass their own, the server uses the lazily loaded modules */
  createBackend?: (spec: RemoteSpec) => Promise<RemoteBackend>;
  /** per tier: writes in flight, and bytes allowed to wait behind them */
  maxWritesInFlight?: number;
  maxQueuedBytes?: number;
}

const DEFAULT_FAILURE_THRESHOLD = 3;
const DEFAULT_CIRCUIT_COOLDOWN_MS = 30_000;
/** remote writes in flight per tier; more wait in a queue (a -j64 build must not open 64 uploads) */
const MAX_WRITES_IN_FLIGHT = 8;
/** beyond this many queued writes, or bytes waiting in them, per tier, new writes are skipped
 *  (counted): a slow remote must not make the server hold the build's objects in memory */
const MAX_QUEUED_WRITES = 2000;
const MAX_QUEUED_BYTES = 256 * 1024 * 1024;

interface RemoteTier {
  spec: RemoteSpec;
  breaker: CircuitBreaker;
  backend: Promise<RemoteBackend> | undefined;
  writesInFlight: number;
  writeQueue: (() => void)[];
  queuedBytes: number;
}

/** Rejects with RemoteTimeoutError after `ms`; the operation's own late outcome is ignored. */
function withTimeout<T>(operation: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new RemoteTimeoutError(`no answer within ${ms} ms`)), ms);
    operation.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

export class TieredStorage implements CacheStorage {
  readonly name: string;
  private readonly remotes: RemoteTier[];
  private readonly recorder: TierRecorder;
  private readonly log: (message: string) => void;
  private readonly debug: (message: string) => void;
  private readonly track: (work: Promise<unknown>) => void;
  private readonly createBackend: (spec: RemoteSpec) => Promise<RemoteBackend>;
  private readonly maxWritesInFlight: number;
  private readonly maxQueuedBytes: number;

  constructor(
    readonly local: LocalDiskStorage,
    specs: RemoteSpec[],
    options: TieredStorageOptions,
  ) {
    this.recorder = options.recorder;
    this.log = options.log;
    this.debug = options.debug ?? (() => {});
    this.track = options.track;
    this.createBackend = options.createBackend ?? createRemoteBackend;
    this.maxWritesInFlight = options.maxWritesInFlight ?? MAX_WRITES_IN_FLIGHT;
    this.maxQueuedBytes = options.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    const threshold = options.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
    const cooldown = options.circuitCooldownMs ?? DEFAULT_CIRCUIT_COOLDOWN_MS;
    this.remotes = specs.map((spec) => ({
      spec,
      breaker: new CircuitBreaker(threshold, cooldown),
      backend: undefined,
      writesInFlight: 0,
      writeQueue: [],
      queuedBytes: 0,
    }));
    this.name = [local.name, ...specs.map((spec) => spec.display)].join(' + ');
  }

  async get(key: string): Promise<Buffer | undefined> {
    let localError: Error | undefined;
    const started = performance.now();
    try {
      const bytes = await this.local.get(key);
      const ms = performance.now() - started;
      this.recorder.tier(this.local.name, (c) => {
        c.reads++;
        c.totalReadMs += ms;
        if (bytes) {
          c.hits++;
          c.bytesRead += bytes.length;
        } else c.misses++;
      });
      if (bytes) return bytes;
    } catch (error) {
      // still worth asking the remotes; the compile pipeline hears of it if they miss too
      localError = error instanceof Error ? error : new Error(String(error));
      this.recorder.tier(this.local.name, (c) => {
        c.reads++;
        c.errors++;
      });
    }
    for (let index = 0; index < this.remotes.length; index++) {
      const payload = await this.readRemote(this.remotes[index]!, key);
      if (payload) {
        this.writeBack(key, payload, index);
        return payload;
      }
    }
    if (localError) throw localError;
    return undefined;
  }

  async put(key: string, data: Buffer): Promise<void> {
    if (this.remotes.some((tier) => !tier.spec.readOnly)) {
      const wrapped = wrapRemoteEntry(key, data);
      for (const tier of this.remotes) if (!tier.spec.readOnly) this.writeRemote(tier, key, wrapped);
    }
    await this.putLocal(key, data);
  }

  /** Removes the local copy only: a value this server cannot use (e.g. written by another
   *  warmcc version) may serve others, and the next store overwrites it on writable tiers. */
  async remove(key: string): Promise<void> {
    await this.local.remove(key);
  }

  usage(): Promise<LocalStorageUsage> {
    return this.local.usage();
  }

  /** Empties the local tier (warmcc -C); remote tiers are shared and left alone. */
  clear(): Promise<{ removedFiles: number; removedBytes: number }> {
    return this.local.clear();
  }

  /** Tier descriptions for the stats, in lookup order, with their counters. */
  tierSnapshots(counters: Record<string, TierCounters>): TierSnapshot[] {
    const describe = (name: string, kind: string, readOnly: boolean, circuit: CircuitState): TierSnapshot => {
      const c = counters[name] ?? zeroTierCounters();
      const readsTimed = c.hits + c.misses;
      return {
        ...c,
        name,
        kind,
        readOnly,
        circuit,
        averageReadMs: readsTimed ? c.totalReadMs / readsTimed : 0,
        averageWriteMs: c.writes ? c.totalWriteMs / c.writes : 0,
      };
    };
    return [
      describe(this.local.name, 'local', false, 'closed'),
      ...this.remotes.map((tier) => describe(tier.spec.display, tier.spec.kind, tier.spec.readOnly, tier.breaker.state)),
    ];
  }

  /** Loads the remote backends ahead of the first lookup (the server calls it once listening,
   *  so the first compile does not pay for loading a client library). Failures surface later. */
  prepare(): void {
    for (const tier of this.remotes) this.backendOf(tier).catch(() => {});
  }

  /** Closes remote connections (server shutdown, after pending writes). */
  async close(): Promise<void> {
    await Promise.allSettled(this.remotes.map(async (tier) => (await tier.backend)?.close()));
  }

  private backendOf(tier: RemoteTier): Promise<RemoteBackend> {
    tier.backend ??= this.createBackend(tier.spec);
    return tier.backend;
  }

  private async readRemote(tier: RemoteTier, key: string): Promise<Buffer | undefined> {
    const name = tier.spec.display;
    if (!tier.breaker.allow()) {
      this.recorder.tier(name, (c) => c.skippedOpenCircuit++);
      return undefined;
    }
    const started = performance.now();
    let bytes: Buffer | undefined;
    try {
      const backend = await this.backendOf(tier);
      bytes = await withTimeout(backend.get(key), this.timeoutOf(tier));
    } catch (error) {
      this.failed(tier, 'read', key, error);
      return undefined;
    }
    tier.breaker.succeeded();
    const ms = performance.now() - started;
    if (!bytes) {
      this.recorder.tier(name, (c) => {
        c.reads++;
        c.misses++;
        c.totalReadMs += ms;
      });
      return undefined;
    }
    let payload: Buffer;
    try {
      payload = unwrapRemoteEntry(key, bytes);
    } catch (error) {
      this.recorder.tier(name, (c) => {
        c.reads++;
        c.corrupt++;
        c.bytesRead += bytes.length;
      });
      this.log(`${name}: ignoring value for ${key}: ${(error as Error).message}`);
      return undefined;
    }
    this.recorder.tier(name, (c) => {
      c.reads++;
      c.hits++;
      c.bytesRead += bytes.length;
      c.totalReadMs += ms;
    });
    this.debug(`${name}: hit ${key.slice(0, 12)} ${bytes.length} bytes ${ms.toFixed(1)}ms`);
    return payload;
  }

  /** Copies a hit from tier `foundAt` into local disk and the writable remote tiers before it. */
  private writeBack(key: string, payload: Buffer, foundAt: number): void {
    this.track(this.putLocal(key, payload).catch((error: Error) => this.log(`cannot keep remote hit ${key} locally: ${error.message}`)));
    const earlier = this.remotes.slice(0, foundAt).filter((tier) => !tier.spec.readOnly);
    if (earlier.length) {
      const wrapped = wrapRemoteEntry(key, payload);
      for (const tier of earlier) this.writeRemote(tier, key, wrapped);
    }
  }

  private async putLocal(key: string, data: Buffer): Promise<void> {
    const started = performance.now();
    try {
      await this.local.put(key, data);
    } catch (error) {
      this.recorder.tier(this.local.name, (c) => c.errors++);
      throw error;
    }
    const ms = performance.now() - started;
    this.recorder.tier(this.local.name, (c) => {
      c.writes++;
      c.bytesWritten += data.length;
      c.totalWriteMs += ms;
    });
  }

  /** Queues a background write to one remote tier (bounded concurrency and queue). */
  private writeRemote(tier: RemoteTier, key: string, wrapped: Buffer): void {
    const name = tier.spec.display;
    const full =
      tier.writesInFlight >= this.maxWritesInFlight && (tier.writeQueue.length >= MAX_QUEUED_WRITES || tier.queuedBytes + wrapped.length > this.maxQueuedBytes);
    if (full) {
      this.recorder.tier(name, (c) => (c.writesSkipped['write queue full'] = (c.writesSkipped['write queue full'] ?? 0) + 1));
      return;
    }
    const work = new Promise<void>((resolve) => {
      const start = (): void => {
        tier.writesInFlight++;
        void this.writeRemoteNow(tier, key, wrapped).finally(() => {
          tier.writesInFlight--;
          tier.writeQueue.shift()?.();
          resolve();
        });
      };
      if (tier.writesInFlight < this.maxWritesInFlight) start();
      else {
        tier.queuedBytes += wrapped.length;
        tier.writeQueue.push(() => {
          tier.queuedBytes -= wrapped.length;
          start();
        });
      }
    });
    this.track(work);
  }

  private async writeRemoteNow(tier: RemoteTier, key: string, wrapped: Buffer): Promise<void> {
    const name = tier.spec.display;
    if (!tier.breaker.allow()) {
      this.recorder.tier(name, (c) => c.skippedOpenCircuit++);
      return;
    }
    const started = performance.now();
    try {
      const backend = await this.backendOf(tier);
      await withTimeout(backend.put(key, wrapped), this.timeoutOf(tier));
    } catch (error) {
      if (isWriteSkipped(error)) {
        tier.breaker.succeeded();
        this.recorder.tier(name, (c) => (c.writesSkipped[error.reason] = (c.writesSkipped[error.reason] ?? 0) + 1));
        return;
      }
      this.failed(tier, 'write', key, error);
      return;
    }
    tier.breaker.succeeded();
    const ms = performance.now() - started;
    this.recorder.tier(name, (c) => {
      c.writes++;
      c.bytesWritten += wrapped.length;
      c.totalWriteMs += ms;
    });
  }

  /** connect, then operate: a dead remote costs at most this per request until its circuit opens */
  private timeoutOf(tier: RemoteTier): number {
    return tier.spec.connectTimeoutMs + tier.spec.operationTimeoutMs;
  }

  private failed(tier: RemoteTier, operation: 'read' | 'write', key: string, error: unknown): void {
    const name = tier.spec.display;
    const timedOut = isTimeout(error);
    const opened = tier.breaker.failed();
    this.recorder.tier(name, (c) => {
      if (operation === 'read') c.reads++;
      if (timedOut) c.timeouts++;
      else c.errors++;
      if (opened) c.circuitOpenings++;
    });
    const message = scrubSecrets((error as Error)?.message ?? String(error), tier.spec.secrets);
    this.log(`${name}: ${operation} of ${key} failed: ${message}${opened ? '; skipping this tier for a while (circuit open)' : ''}`);
  }
}

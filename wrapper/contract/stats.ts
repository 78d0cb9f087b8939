// The statistics as they cross process boundaries: what the server's JSON-RPC warmcc/stats
// returns and warmcc/statsChanged sends, what `warmcc -s` prints, what the extension and its
// stats panel show, and what the server persists per socket (server/stats.ts counts them).

export type Outcome = 'hit' | 'miss' | 'not cacheable' | 'compile failed' | 'error';

export interface RecentCompile {
  file: string;
  language: string;
  outcome: Outcome;
  ms: number;
  at: number;
  reason?: string;
}

export interface Counters {
  compileRequests: number;
  /** compiles the server ran itself (misses, failures, recaches) */
  requestsExecuted: number;
  cacheHits: number;
  /** hits found through a direct-mode manifest, without running the preprocessor */
  directHits: number;
  /** hits found by the preprocessed text's key */
  preprocessedHits: number;
  /** why direct mode recorded no manifest entry for a compile */
  directModeSkipped: Record<string, number>;
  cacheMisses: number;
  hitsByLanguage: Record<string, number>;
  missesByLanguage: Record<string, number>;
  notCacheable: Record<string, number>;
  compileFailures: number;
  cacheReadErrors: number;
  cacheWriteErrors: number;
  /** entries that failed their checksum or format check */
  corruptEntries: number;
  forcedRecaches: number;
  /** requests the server could not handle (answered ERROR; the client compiled itself) */
  internalErrors: number;
  totalHitMs: number;
  totalMissMs: number;
  /** sum of the original compile times of entries served from cache */
  compileMsSaved: number;
  /** per storage tier (local disk, then each remote), by the tier's display name */
  tiers: Record<string, TierCounters>;
  since: number;
}

export interface StatsSnapshot extends Omit<Counters, 'tiers'> {
  /** storage tiers in lookup order: local disk first */
  tiers: TierSnapshot[];
  socketPath: string;
  cacheDir: string;
  cacheEntries: number;
  cacheBytes: number;
  cacheLimitBytes: number;
  hitRate: number;
  averageHitMs: number;
  averageMissMs: number;
  serverPid: number;
  /** the server's hit servers (hitServer.ts) */
  hitServerPids: number[];
  serverStartedAt: number;
  version: string;
  recent: RecentCompile[];
}

/** What one storage tier did. Lookups count entries and direct-mode manifests alike. */
export interface TierCounters {
  /** lookups sent to the tier: hits, misses, corrupt values and failed reads (not those skipped) */
  reads: number;
  hits: number;
  misses: number;
  /** values stored, including write-backs of hits from later tiers */
  writes: number;
  /** failed operations other than timeouts */
  errors: number;
  timeouts: number;
  /** values that failed the format or checksum check (served as a miss) */
  corrupt: number;
  /** operations not sent because the tier's circuit was open */
  skippedOpenCircuit: number;
  circuitOpenings: number;
  /** writes the backend declined by design, by reason (e.g. too large for memcached) */
  writesSkipped: Record<string, number>;
  bytesRead: number;
  bytesWritten: number;
  totalReadMs: number;
  totalWriteMs: number;
}

export interface TierSnapshot extends TierCounters {
  name: string;
  kind: string;
  readOnly: boolean;
  circuit: 'closed' | 'open' | 'half-open';
  averageReadMs: number;
  averageWriteMs: number;
}

export function zeroTierCounters(): TierCounters {
  return {
    reads: 0,
    hits: 0,
    misses: 0,
    writes: 0,
    errors: 0,
    timeouts: 0,
    corrupt: 0,
    skippedOpenCircuit: 0,
    circuitOpenings: 0,
    writesSkipped: {},
    bytesRead: 0,
    bytesWritten: 0,
    totalReadMs: 0,
    totalWriteMs: 0,
  };
}

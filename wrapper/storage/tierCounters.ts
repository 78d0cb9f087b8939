// Per storage tier counters: what the tiered storage records (tieredStorage.ts), the stats
// persist (server/stats.ts) and `warmcc -s`, the JSON stats and the editor's panel show.

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
    reads: 0, hits: 0, misses: 0, writes: 0, errors: 0, timeouts: 0, corrupt: 0, skippedOpenCircuit: 0, circuitOpenings: 0,
    writesSkipped: {}, bytesRead: 0, bytesWritten: 0, totalReadMs: 0, totalWriteMs: 0,
  };
}

/** Where the tiered storage reports (server/stats.ts Stats implements it). */
export interface TierRecorder {
  tier(name: string, update: (counters: TierCounters) => void): void;
}

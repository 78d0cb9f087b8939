// Per-server counters (sccache's set, plus per-language and time saved). They are persisted in
// the cache directory, keyed by socket path, so they survive a server restart until `warmcc -z`.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { createHash } from 'node:crypto';
import { zeroTierCounters, type Counters, type RecentCompile, type TierCounters } from '../contract/stats';

const RECENT_LIMIT = 50;
const SAVE_DELAY_MS = 1000;

function zeroCounters(): Counters {
  return {
    compileRequests: 0,
    requestsExecuted: 0,
    cacheHits: 0,
    directHits: 0,
    preprocessedHits: 0,
    directModeSkipped: {},
    cacheMisses: 0,
    hitsByLanguage: {},
    missesByLanguage: {},
    notCacheable: {},
    compileFailures: 0,
    cacheReadErrors: 0,
    cacheWriteErrors: 0,
    corruptEntries: 0,
    forcedRecaches: 0,
    internalErrors: 0,
    totalHitMs: 0,
    totalMissMs: 0,
    compileMsSaved: 0,
    tiers: {},
    since: Date.now(),
  };
}

function increment(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

export function statsFileFor(cacheDir: string, socketPath: string): string {
  const id = createHash('sha256').update(socketPath).digest('hex').slice(0, 16);
  return path.join(cacheDir, 'stats', `${id}.json`);
}

/** What serving a compile reports (wrapper/pipeline/): the Stats object itself, or in a hit
 *  server (hitServer.ts) a log of the calls, replayed by the main server's Stats. */
export type StatsRecorder = Pick<Stats, StatsMethod>;
export const STATS_METHODS = [
  'request',
  'hit',
  'miss',
  'compileFailed',
  'notCacheable',
  'directModeSkipped',
  'readError',
  'writeError',
  'internalError',
] as const;
export type StatsMethod = (typeof STATS_METHODS)[number];
export type StatsCall = { [M in StatsMethod]: [M, Parameters<Stats[M]>] }[StatsMethod];

export class Stats {
  counters: Counters;
  readonly recent: RecentCompile[] = [];
  private saveTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly file: string,
    private readonly log: (message: string) => void,
  ) {
    this.counters = this.load();
  }

  private load(): Counters {
    try {
      const saved = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<Counters>;
      const tiers: Record<string, TierCounters> = {};
      for (const [name, counters] of Object.entries(saved.tiers ?? {})) tiers[name] = { ...zeroTierCounters(), ...counters };
      return { ...zeroCounters(), ...saved, tiers };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.log(`stats: ignoring unreadable ${this.file}: ${(error as Error).message}`);
      }
      return zeroCounters();
    }
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, SAVE_DELAY_MS);
    this.saveTimer.unref();
    for (const listener of this.listeners) listener();
  }

  private remember(entry: RecentCompile): void {
    this.recent.push(entry);
    if (this.recent.length > RECENT_LIMIT) this.recent.shift();
  }

  request(): void {
    this.counters.compileRequests++;
  }

  hit(file: string, language: string, ms: number, originalCompileMs: number, direct: boolean): void {
    const c = this.counters;
    c.cacheHits++;
    if (direct) c.directHits++;
    else c.preprocessedHits++;
    increment(c.hitsByLanguage, language);
    c.totalHitMs += ms;
    c.compileMsSaved += Math.max(0, originalCompileMs - ms);
    this.remember({ file, language, outcome: 'hit', ms, at: Date.now() });
    this.changed();
  }

  miss(file: string, language: string, ms: number, recache: boolean): void {
    const c = this.counters;
    c.cacheMisses++;
    c.requestsExecuted++;
    if (recache) c.forcedRecaches++;
    increment(c.missesByLanguage, language);
    c.totalMissMs += ms;
    this.remember({ file, language, outcome: 'miss', ms, at: Date.now() });
    this.changed();
  }

  compileFailed(file: string, language: string, ms: number): void {
    this.counters.compileFailures++;
    this.counters.requestsExecuted++;
    this.remember({ file, language, outcome: 'compile failed', ms, at: Date.now() });
    this.changed();
  }

  notCacheable(file: string, reason: string): void {
    increment(this.counters.notCacheable, reason);
    this.remember({ file, language: '', outcome: 'not cacheable', ms: 0, at: Date.now(), reason });
    this.changed();
  }

  directModeSkipped(reason: string): void {
    increment(this.counters.directModeSkipped, reason);
    this.changed();
  }

  /** Updates one storage tier's counters (called by wrapper/storage/tieredStorage.ts). */
  tier(name: string, update: (counters: TierCounters) => void): void {
    const counters = (this.counters.tiers[name] ??= zeroTierCounters());
    update(counters);
    this.changed();
  }

  readError(corrupt: boolean): void {
    if (corrupt) this.counters.corruptEntries++;
    else this.counters.cacheReadErrors++;
    this.changed();
  }

  writeError(): void {
    this.counters.cacheWriteErrors++;
    this.changed();
  }

  internalError(file: string, reason: string): void {
    this.counters.internalErrors++;
    this.remember({ file, language: '', outcome: 'error', ms: 0, at: Date.now(), reason });
    this.changed();
  }

  /** Replays calls a hit server logged; anything not a known call is ignored. */
  replay(calls: readonly StatsCall[]): void {
    for (const call of calls) {
      if (!Array.isArray(call) || !STATS_METHODS.includes(call[0]) || !Array.isArray(call[1])) continue;
      (this[call[0]] as (...args: unknown[]) => void)(...call[1]);
    }
  }

  zero(): void {
    this.counters = zeroCounters();
    this.recent.length = 0;
    this.save();
    for (const listener of this.listeners) listener();
  }

  /** Writes the counters now (atomically: temp file + rename). */
  save(): void {
    if (this.saveTimer) {
      clearTimeout(this.saveTimer);
      this.saveTimer = undefined;
    }
    const temp = `${this.file}.tmp-${process.pid}`;
    try {
      fs.mkdirSync(path.dirname(this.file), { recursive: true, mode: 0o700 });
      fs.writeFileSync(temp, JSON.stringify(this.counters));
      fs.renameSync(temp, this.file);
    } catch (error) {
      this.log(`stats: cannot save ${this.file}: ${(error as Error).message}`);
    }
  }
}

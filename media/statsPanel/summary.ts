// The top of the stats panel: the header (server state, pid, buttons, notice), the hit rate and
// the tiles (hits, misses, requests, time saved, not cacheable, failures, average hit and miss),
// and the Cache card (size against the limit, average entry, location, storage errors).
// Counters are read as `Number(x) || 0`: stats persisted by an older server lack newer counters.

import type { StatsSnapshot } from '../../wrapper/contract/stats';
import type { PanelServerState } from '../../wrapper/contract/statsPanelMessages';
import { formatBytes, formatCount, formatDuration, formatMilliseconds, formatPercent } from '../../wrapper/contract/format';
import { since } from './clock';
import { byId, setText } from './dom';

const TILE_IDS = ['hit-rate', 'hits', 'misses', 'requests', 'saved', 'not-cacheable', 'failures', 'avg-hit', 'avg-miss'];

export function renderHeader(state: PanelServerState, s: StatsSnapshot | undefined): void {
  byId('page').dataset.state = state;
  setText('state', state);
  const meta: string[] = [];
  if (s && state !== 'stopped') {
    meta.push(`pid ${s.serverPid}`);
    // hits served on other cores too (docs/architecture.md, "Hit servers")
    if (s.hitServerPids?.length) meta.push(formatCount(s.hitServerPids.length, 'hit server'));
    meta.push(`v${s.version}`);
  }
  if (s && s.since) meta.push(`counting since ${since(s.since)}`);
  setText('server-meta', meta.join(' \u00b7 '));

  const startServer = byId<HTMLButtonElement>('start-server');
  startServer.hidden = state !== 'stopped';
  startServer.disabled = state !== 'stopped';
  const running = state === 'running';
  byId<HTMLButtonElement>('zero-stats').disabled = !running;
  byId<HTMLButtonElement>('clear-cache').disabled = !running;

  const notice = byId('notice');
  let text = '';
  if (state === 'stopped') {
    text = s
      ? 'The warmcc server is stopped. These are the last stats it reported; builds still work, without the cache.'
      : 'The warmcc server is not running. Start it to cache this workspace\u2019s compiles.';
  } else if (state === 'starting') {
    text = 'Starting the warmcc server\u2026';
  }
  notice.hidden = !text;
  if (notice.textContent !== text) notice.textContent = text;
}

export function renderTiles(s: StatsSnapshot | undefined): void {
  if (!s) {
    for (const id of TILE_IDS) {
      setText(id, '—');
      setText(`${id}-sub`, '');
    }
    byId('ratio-hits').style.width = '0%';
    byId('page').classList.add('no-lookups');
    byId('tile-failures').classList.remove('attention');
    return;
  }
  const hits = Number(s.cacheHits) || 0;
  const misses = Number(s.cacheMisses) || 0;
  const lookups = hits + misses;
  setText('hit-rate', formatPercent(Number(s.hitRate) || 0));
  setText('hit-rate-sub', lookups ? `${formatCount(hits)} of ${formatCount(lookups)} cache lookups` : 'no cache lookups yet');
  byId('ratio-hits').style.width = `${(lookups ? (hits / lookups) * 100 : 0).toFixed(2)}%`;
  byId('page').classList.toggle('no-lookups', !lookups);

  setText('hits', formatCount(hits));
  // direct hits skipped the preprocessor; preprocessed hits ran it to find the result
  setText('hits-sub', hits ? `${formatCount(s.directHits)} direct, ${formatCount(s.preprocessedHits)} preprocessed` : 'from cache');
  setText('misses', formatCount(misses));
  const recaches = Number(s.forcedRecaches) || 0;
  setText('misses-sub', recaches ? formatCount(recaches, 'forced recache') : 'compiled, stored');
  setText('requests', formatCount(s.compileRequests));
  setText('requests-sub', 'compiler calls');
  const saved = Number(s.compileMsSaved) || 0;
  setText('saved', formatDuration(saved, { compact: true }));
  setText('saved-sub', 'of compiling');
  byId('saved').title = formatDuration(saved);
  const notCacheable = sum(s.notCacheable);
  setText('not-cacheable', formatCount(notCacheable));
  setText('not-cacheable-sub', notCacheable ? 'run uncached' : 'none');
  const failures = Number(s.compileFailures) || 0;
  setText('failures', formatCount(failures));
  setText('failures-sub', failures ? 'compiler errors' : 'none');
  byId('tile-failures').classList.toggle('attention', failures > 0);
  const averageHit = Number(s.averageHitMs) || 0;
  const averageMiss = Number(s.averageMissMs) || 0;
  setText('avg-hit', hits ? formatMilliseconds(averageHit) : '—');
  setText('avg-hit-sub', hits && misses && averageHit > 0 && averageMiss > averageHit ? `${speedup(averageMiss / averageHit)} faster than a miss` : 'per hit');
  setText('avg-miss', misses ? formatMilliseconds(averageMiss) : '—');
  setText('avg-miss-sub', 'compile + store');
}

function sum(record: Record<string, number> | undefined): number {
  let total = 0;
  for (const value of Object.values(record ?? {})) total += Number(value) || 0;
  return total;
}

/** "3.2×", "14×" */
function speedup(factor: number): string {
  return `${factor >= 10 ? Math.round(factor) : factor.toFixed(1)}\u00d7`;
}

export function renderCache(s: StatsSnapshot | undefined): void {
  const fill = byId('cache-fill');
  const errors = byId('cache-errors');
  if (!s) {
    for (const id of ['cache-size', 'cache-used', 'cache-average', 'cache-dir']) setText(id, '—');
    fill.style.width = '0%';
    errors.hidden = true;
    return;
  }
  const used = Number(s.cacheBytes) || 0;
  const limit = Number(s.cacheLimitBytes) || 0;
  const ratio = limit > 0 ? Math.min(1, used / limit) : 0;
  fill.style.width = `${(ratio * 100).toFixed(2)}%`;
  fill.classList.toggle('full', ratio >= 0.9);
  const entries = Number(s.cacheEntries) || 0;
  const size = formatBytes(used, { short: true }) + (limit > 0 ? ` of ${formatBytes(limit, { short: true })}` : '');
  setText('cache-size', `${size}, ${formatCount(entries, 'entry', 'entries')}`);
  setText('cache-used', limit > 0 ? formatPercent(used / limit) : '—');
  setText('cache-average', entries ? formatBytes(used / entries, { short: true }) : '—');
  setText('cache-dir', s.cacheDir || '—');
  byId('cache-dir').title = s.cacheDir || '';

  const parts: string[] = [];
  if (s.cacheReadErrors) parts.push(formatCount(s.cacheReadErrors, 'read error'));
  if (s.cacheWriteErrors) parts.push(formatCount(s.cacheWriteErrors, 'write error'));
  if (s.corruptEntries) parts.push(formatCount(s.corruptEntries, 'corrupt entry', 'corrupt entries'));
  if (s.internalErrors) parts.push(formatCount(s.internalErrors, 'server error'));
  errors.hidden = parts.length === 0;
  setText('cache-errors', parts.join(' · '));
}

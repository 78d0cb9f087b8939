// `warmcc -s` text output, laid out like sccache's so scripts and eyes carry over.

import type { StatsSnapshot } from '../server/stats';
import { formatBytes } from '../shared/formatBytes';

export function formatStatsText(s: StatsSnapshot): string {
  const rows: [string, string | number][] = [
    ['Compile requests', s.compileRequests],
    ['Compile requests executed', s.requestsExecuted],
    ['Cache hits', s.cacheHits],
    ['Cache hits (direct)', s.directHits ?? 0],
    ['Cache hits (preprocessed)', s.preprocessedHits ?? 0],
    ...Object.entries(s.hitsByLanguage).sort().map(([language, count]): [string, number] => [`Cache hits (${language})`, count]),
    ['Cache misses', s.cacheMisses],
    ...Object.entries(s.missesByLanguage).sort().map(([language, count]): [string, number] => [`Cache misses (${language})`, count]),
    ['Cache hit rate', `${(s.hitRate * 100).toFixed(2)} %`],
    ['Forced recaches', s.forcedRecaches],
    ['Compilation failures', s.compileFailures],
    ['Cache read errors', s.cacheReadErrors],
    ['Corrupt cache entries', s.corruptEntries],
    ['Cache write errors', s.cacheWriteErrors],
    ['Server errors', s.internalErrors],
    ['Non-cacheable calls', Object.values(s.notCacheable).reduce((sum, n) => sum + n, 0)],
    ['Average cache hit time', `${s.averageHitMs.toFixed(3)} ms`],
    ['Average cache miss time', `${s.averageMissMs.toFixed(3)} ms`],
    ['Compile time saved', `${(s.compileMsSaved / 1000).toFixed(3)} s`],
    ['Cache location', `Local disk: "${s.cacheDir}"`],
    ['Cache entries', s.cacheEntries],
    ['Cache size', formatBytes(s.cacheBytes)],
    ['Max cache size', formatBytes(s.cacheLimitBytes)],
    ['Counting since', new Date(s.since).toISOString()],
    ['Server', `pid ${s.serverPid}, version ${s.version}, socket ${s.socketPath}`],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}${String(value).padStart(12)}`);
  const skipped = Object.entries(s.directModeSkipped ?? {}).sort((a, b) => b[1] - a[1]);
  if (skipped.length) {
    lines.push('', 'Direct mode not used (no manifest entry):');
    const width = Math.max(...skipped.map(([reason]) => reason.length)) + 2;
    for (const [reason, count] of skipped) lines.push(`${reason.padEnd(width)}${String(count).padStart(8)}`);
  }
  const reasons = Object.entries(s.notCacheable).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    lines.push('', 'Non-cacheable reasons:');
    const reasonWidth = Math.max(...reasons.map(([reason]) => reason.length)) + 2;
    for (const [reason, count] of reasons) lines.push(`${reason.padEnd(reasonWidth)}${String(count).padStart(8)}`);
  }
  return lines.join('\n');
}

// `warmcc -s` text output, laid out like sccache's so scripts and eyes carry over.

import type { StatsSnapshot, TierSnapshot } from '../contract/stats';
import { formatBytes, formatCount, formatMilliseconds, formatPercent, formatSeconds } from '../contract/format';

export function formatStatsText(s: StatsSnapshot): string {
  const rows: [string, string][] = [
    ['Compile requests', formatCount(s.compileRequests)],
    ['Compile requests executed', formatCount(s.requestsExecuted)],
    ['Cache hits', formatCount(s.cacheHits)],
    ['Cache hits (direct)', formatCount(s.directHits)],
    ['Cache hits (preprocessed)', formatCount(s.preprocessedHits)],
    ...Object.entries(s.hitsByLanguage)
      .sort()
      .map(([language, count]): [string, string] => [`Cache hits (${language})`, formatCount(count)]),
    ['Cache misses', formatCount(s.cacheMisses)],
    ...Object.entries(s.missesByLanguage)
      .sort()
      .map(([language, count]): [string, string] => [`Cache misses (${language})`, formatCount(count)]),
    ['Cache hit rate', formatPercent(s.hitRate, { digits: 2, spaced: true })],
    ['Forced recaches', formatCount(s.forcedRecaches)],
    ['Compilation failures', formatCount(s.compileFailures)],
    ['Cache read errors', formatCount(s.cacheReadErrors)],
    ['Corrupt cache entries', formatCount(s.corruptEntries)],
    ['Cache write errors', formatCount(s.cacheWriteErrors)],
    ['Server errors', formatCount(s.internalErrors)],
    ['Non-cacheable calls', formatCount(Object.values(s.notCacheable).reduce((sum, n) => sum + n, 0))],
    ['Average cache hit time', formatMilliseconds(s.averageHitMs, 3)],
    ['Average cache miss time', formatMilliseconds(s.averageMissMs, 3)],
    ['Compile time saved', formatSeconds(s.compileMsSaved, 3)],
    ['Cache location', `Local disk: "${s.cacheDir}"`],
    ['Cache entries', formatCount(s.cacheEntries)],
    ['Cache size', formatBytes(s.cacheBytes)],
    ['Max cache size', formatBytes(s.cacheLimitBytes)],
    ['Counting since', new Date(s.since).toISOString()],
    [
      'Server',
      `pid ${s.serverPid}${s.hitServerPids?.length ? ` (hit servers ${s.hitServerPids.join(', ')})` : ''}, version ${s.version}, socket ${s.socketPath}`,
    ],
  ];
  const width = Math.max(...rows.map(([label]) => label.length)) + 2;
  const lines = rows.map(([label, value]) => `${label.padEnd(width)}${value.padStart(12)}`);
  const skipped = Object.entries(s.directModeSkipped ?? {}).sort((a, b) => b[1] - a[1]);
  if (skipped.length) {
    lines.push('', 'Direct mode not used (no manifest entry):');
    const width = Math.max(...skipped.map(([reason]) => reason.length)) + 2;
    for (const [reason, count] of skipped) lines.push(`${reason.padEnd(width)}${formatCount(count).padStart(8)}`);
  }
  lines.push(...formatTiers(s.tiers ?? []));
  const reasons = Object.entries(s.notCacheable).sort((a, b) => b[1] - a[1]);
  if (reasons.length) {
    lines.push('', 'Non-cacheable reasons:');
    const reasonWidth = Math.max(...reasons.map(([reason]) => reason.length)) + 2;
    for (const [reason, count] of reasons) lines.push(`${reason.padEnd(reasonWidth)}${formatCount(count).padStart(8)}`);
  }
  return lines.join('\n');
}

/** Per storage tier (local disk, then the remotes), when any remote tier is configured. */
function formatTiers(tiers: TierSnapshot[]): string[] {
  if (tiers.length < 2) return [];
  const header = ['Storage tier', 'Reads', 'Hits', 'Misses', 'Writes', 'Errors', 'Timeouts', 'Corrupt', 'Read', 'Written', 'Avg read', 'Avg write'];
  const rows = tiers.map((tier) => {
    const notes = [tier.readOnly ? 'read-only' : '', tier.circuit !== 'closed' ? `circuit ${tier.circuit}` : ''].filter(Boolean);
    return [
      notes.length ? `${tier.name} (${notes.join(', ')})` : tier.name,
      ...[tier.reads, tier.hits, tier.misses, tier.writes, tier.errors, tier.timeouts, tier.corrupt].map((count) => formatCount(count)),
      formatBytes(tier.bytesRead),
      formatBytes(tier.bytesWritten),
      formatMilliseconds(tier.averageReadMs, 2),
      formatMilliseconds(tier.averageWriteMs, 2),
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]!.length)));
  const line = (cells: string[]): string => cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[0]!) : cell.padStart(widths[column]!))).join('  ');
  const result = ['', 'Storage tiers (lookups of entries and manifests):', line(header), ...rows.map(line)];
  for (const tier of tiers) {
    const extra: string[] = [];
    if (tier.skippedOpenCircuit) extra.push(`skipped while the circuit was open: ${tier.skippedOpenCircuit}`);
    if (tier.circuitOpenings) extra.push(`circuit opened: ${tier.circuitOpenings}`);
    for (const [reason, count] of Object.entries(tier.writesSkipped)) extra.push(`writes skipped (${reason}): ${count}`);
    if (extra.length) result.push(`${tier.name}: ${extra.join('; ')}`);
  }
  return result;
}

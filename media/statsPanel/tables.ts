// The stats panel's tables: hits and misses per language, why calls were not cacheable, the
// storage tiers (when a remote tier is configured) and the latest compiles, newest first.

import type { Outcome, StatsSnapshot } from '../../wrapper/contract/stats';
import { formatBytes, formatCount, formatMilliseconds, formatPercent } from '../../wrapper/contract/format';
import { ago, now } from './clock';
import { byId, el, emptyRow, replaceBody } from './dom';

/** the server keeps more; the panel shows the latest */
const RECENT_LIMIT = 20;

/** the pill's class (colour) per outcome, statsPanel.css */
const OUTCOME_CLASS: Record<Outcome, string> = {
  hit: 'hit',
  miss: 'miss',
  'not cacheable': 'not-cacheable',
  'compile failed': 'failed',
  error: 'error',
};

export function renderLanguages(s: StatsSnapshot | undefined): void {
  const tbody = replaceBody('languages');
  const hitsBy = s?.hitsByLanguage ?? {};
  const missesBy = s?.missesByLanguage ?? {};
  const languages = Array.from(new Set([...Object.keys(hitsBy), ...Object.keys(missesBy)]));
  const total = (language: string): number => (Number(hitsBy[language]) || 0) + (Number(missesBy[language]) || 0);
  languages.sort((a, b) => total(b) - total(a) || a.localeCompare(b));
  if (!languages.length) {
    emptyRow(tbody, 4, s ? 'No cacheable compiles yet.' : '—');
    return;
  }
  for (const language of languages) {
    const hits = Number(hitsBy[language]) || 0;
    const misses = Number(missesBy[language]) || 0;
    const row = el('tr');
    row.appendChild(el('td', 'language', language));
    row.appendChild(el('td', 'num', formatCount(hits)));
    row.appendChild(el('td', 'num', formatCount(misses)));
    row.appendChild(el('td', 'num', hits + misses > 0 ? formatPercent(hits / (hits + misses)) : '—'));
    tbody.appendChild(row);
  }
}

/** Rows of reasons with their counts, most frequent first, each with a bar relative to the top. */
function fillReasons(tbody: HTMLElement, reasons: [string, number][]): void {
  reasons.sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const top = Number(reasons[0]?.[1]) || 1;
  for (const [reason, n] of reasons) {
    const row = el('tr');
    const cell = el('td', 'reason');
    const label = el('span', 'reason-text', reason);
    label.title = reason;
    cell.appendChild(label);
    // a bar as long as the count, relative to the most frequent reason
    const bar = el('span', 'reason-bar');
    bar.style.width = `${((Number(n) / top) * 100).toFixed(1)}%`;
    cell.appendChild(bar);
    row.appendChild(cell);
    row.appendChild(el('td', 'num', formatCount(n)));
    tbody.appendChild(row);
  }
}

export function renderReasons(s: StatsSnapshot | undefined): void {
  const tbody = replaceBody('reasons');
  const reasons = Object.entries(s?.notCacheable ?? {}).filter(([, n]) => Number(n) > 0);
  if (!reasons.length) {
    emptyRow(tbody, 2, !s ? '—' : s.compileRequests ? 'Every compile was cacheable.' : 'No compiles yet.');
    return;
  }
  fillReasons(tbody, reasons);
}

/** Why direct mode recorded no manifest entry (the compile then needs the preprocessor each
 *  time); the card shows only when there is a reason, as `warmcc -s` lists them. */
export function renderDirectModeSkipped(s: StatsSnapshot | undefined): void {
  const reasons = Object.entries(s?.directModeSkipped ?? {}).filter(([, n]) => Number(n) > 0);
  const card = document.getElementById('card-direct-skipped');
  if (card) card.hidden = reasons.length === 0;
  fillReasons(replaceBody('direct-skipped'), reasons);
}

/** Local disk and the remote tiers; the card shows only when a remote tier is configured. Names
 *  arrive from the server with credentials already masked. */
export function renderTiers(s: StatsSnapshot | undefined): void {
  const tiers = (s && Array.isArray(s.tiers) && s.tiers) || [];
  byId('card-tiers').hidden = tiers.length < 2;
  const tbody = replaceBody('tiers');
  for (const tier of tiers) {
    const row = el('tr');
    const cell = el('td', 'tier');
    cell.appendChild(el('span', 'tier-name', String(tier.name)));
    cell.title = String(tier.name);
    const notes: string[] = [];
    if (tier.readOnly) notes.push('read-only');
    if (tier.circuit && tier.circuit !== 'closed') notes.push(`circuit ${tier.circuit}`);
    if (tier.corrupt) notes.push(`${formatCount(tier.corrupt)} corrupt`);
    if (tier.skippedOpenCircuit) notes.push(`${formatCount(tier.skippedOpenCircuit)} skipped`);
    if (notes.length) cell.appendChild(el('span', 'tier-notes', notes.join(' · ')));
    row.appendChild(cell);
    for (const n of [tier.hits, tier.misses, tier.writes, tier.errors, tier.timeouts]) row.appendChild(el('td', 'num', formatCount(n)));
    row.appendChild(el('td', 'num', formatBytes(tier.bytesRead, { short: true })));
    row.appendChild(el('td', 'num', formatBytes(tier.bytesWritten, { short: true })));
    row.appendChild(el('td', 'num', Number(tier.hits) + Number(tier.misses) ? formatMilliseconds(Number(tier.averageReadMs) || 0) : '—'));
    tbody.appendChild(row);
  }
}

/** The path with its start cut off when it is too long, never the file name. */
function fileCell(file: string): HTMLTableCellElement {
  const cell = el('td', 'file');
  const text = String(file || '');
  cell.title = text;
  const slash = Math.max(text.lastIndexOf('/'), text.lastIndexOf('\\'));
  // long paths lose their start, not the file name: an rtl box around one ltr-isolated run
  const wrapper = el('span', 'file-path');
  const inner = el('span', 'file-inner');
  if (slash >= 0) inner.appendChild(el('span', 'file-dir', text.slice(0, slash + 1)));
  inner.appendChild(el('span', 'file-name', text.slice(slash + 1)));
  wrapper.appendChild(inner);
  cell.appendChild(wrapper);
  return cell;
}

export function renderRecent(s: StatsSnapshot | undefined): void {
  const tbody = replaceBody('recent');
  const recent = (s?.recent ?? []).slice(-RECENT_LIMIT).reverse();
  if (!recent.length) {
    emptyRow(tbody, 5, s ? 'No compiles yet. Build through warmcc and they show up here.' : '—');
    return;
  }
  const current = now();
  for (const entry of recent) {
    const row = el('tr');
    row.appendChild(fileCell(entry.file));
    row.appendChild(el('td', 'language muted', entry.language || ''));
    const outcome = el('td', 'outcome');
    outcome.appendChild(el('span', `pill ${OUTCOME_CLASS[entry.outcome] ?? 'error'}`, entry.outcome));
    if (entry.reason) {
      const reason = el('span', 'outcome-reason', entry.reason);
      reason.title = entry.reason;
      outcome.appendChild(reason);
    }
    row.appendChild(outcome);
    const timed = entry.outcome === 'hit' || entry.outcome === 'miss' || entry.outcome === 'compile failed';
    row.appendChild(el('td', 'num', timed ? formatMilliseconds(Number(entry.ms)) : '—'));
    const when = el('td', 'num muted when', ago(entry.at, current));
    when.dataset.at = String(entry.at);
    when.title = new Date(entry.at).toLocaleString();
    row.appendChild(when);
    tbody.appendChild(row);
  }
}

/** Relative times age without new messages: called every few seconds. */
export function refreshRecentTimes(): void {
  const current = now();
  for (const cell of document.querySelectorAll<HTMLElement>('#recent td.when')) {
    const text = ago(Number(cell.dataset.at), current);
    if (cell.textContent !== text) cell.textContent = text;
  }
}

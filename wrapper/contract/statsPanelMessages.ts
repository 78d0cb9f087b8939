// The messages between the extension (extension/statsPanel.ts) and the stats panel's page
// (media/statsPanel/), both ways through the webview's postMessage. Both sides import these
// types, so a field renamed on one side fails the type-check of the other. Browser-safe: the
// page's bundle imports this file (no Node modules, no Buffer; media/tsconfig.json checks it).

import type { StatsSnapshot } from './stats';

/** the window's server as the extension sees it (extension/workspaceServer.ts) */
export type PanelServerState = 'stopped' | 'starting' | 'running';

/** one sample of the live chart: the server's cumulative counters at `at` (extension host clock) */
export interface StatsHistoryPoint {
  at: number;
  hits: number;
  misses: number;
}

/**
 * Extension → page: everything the page shows. Sent in answer to `ready`, and on every change of
 * the server's state or stats while the panel is visible (at most one per 250 ms).
 */
export interface StatsUpdateMessage {
  type: 'update';
  state: PanelServerState;
  /** the server's last snapshot (kept while it is stopped); null until it has reported one */
  snapshot: StatsSnapshot | null;
  /** this session's samples, oldest first */
  history: StatsHistoryPoint[];
  /** the extension host's clock, so relative times agree with the `at` fields */
  now: number;
}

export type ToStatsPanelMessage = StatsUpdateMessage;

/**
 * Page → extension: `ready` once the page has loaded (also after a hidden panel is shown again:
 * its page was discarded), answered with an update; the others are the panel's buttons, which
 * run the palette commands of the same names.
 */
export type FromStatsPanelMessage = { type: 'ready' } | { type: 'startServer' } | { type: 'zeroStats' } | { type: 'clearCache' };

const FROM_STATS_PANEL_TYPES: ReadonlySet<string> = new Set<FromStatsPanelMessage['type']>(['ready', 'startServer', 'zeroStats', 'clearCache']);

/** The extension's check of what a page posts (a webview message is untyped at run time). */
export function isFromStatsPanelMessage(value: unknown): value is FromStatsPanelMessage {
  return typeof value === 'object' && value !== null && FROM_STATS_PANEL_TYPES.has((value as { type?: unknown }).type as string);
}

// JSON-RPC methods spoken on the server's socket (docs/protocol.md, "JSON-RPC"): the CLI's
// management commands and the VS Code extension use the same ones, through the typed request
// and notification objects at the end (the server answers them, the clients send them).

import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { Explanation } from './explanation';
import type { StatsSnapshot } from './stats';

export const RpcMethod = {
  stats: 'warmcc/stats',
  zeroStats: 'warmcc/zeroStats',
  clearCache: 'warmcc/clearCache',
  config: 'warmcc/config',
  stop: 'warmcc/stop',
  statsChanged: 'warmcc/statsChanged',
  compiled: 'warmcc/compiled',
  exiting: 'warmcc/exiting',
  explain: 'warmcc/explain',
} as const;

/** warmcc/explain: why did `file` (relative to `cwd`) last miss, from the server's journal */
export interface ExplainParams {
  file: string;
  cwd: string;
}

export interface ExplainResult {
  explanation: Explanation;
  /** the explanation for people (the same text `warmcc --explain` prints) */
  text: string;
  /** one line: the verdict, or the first change and how many more */
  summary: string;
  journalFile: string;
}

/** warmcc/exiting: the server is about to exit on purpose (idle timeout, stop request, signal);
 *  a connection that closes without it means the server died. */
export interface ExitingNotification {
  reason: string;
}

/** warmcc/compiled: one cacheable compile finished (hit, miss or failure), with its diagnostics.
 *  Sent for every such compile so the editor can replace the previous diagnostics of `source`. */
export interface CompiledNotification {
  /** absolute path of the compiled source */
  source: string;
  cwd: string;
  outcome: 'hit' | 'miss' | 'compile failed';
  diagnostics: {
    file: string;
    line: number;
    column: number;
    severity: 'error' | 'warning' | 'note';
    message: string;
    option?: string;
  }[];
}

export interface ClearCacheResult {
  removedFiles: number;
  removedBytes: number;
}

/** warmcc/config: the server's effective configuration as it shows it (remote tiers as
 *  displayed: credentials never leave the server) */
export interface ServerConfigResult {
  cacheDir: string;
  socketPath: string;
  logFile: string;
  version: string;
  pid: number;
  journalFile: string;
  [setting: string]: unknown;
}

export const statsRequest = new RequestType0<StatsSnapshot, void>(RpcMethod.stats);
export const zeroStatsRequest = new RequestType0<null, void>(RpcMethod.zeroStats);
export const clearCacheRequest = new RequestType0<ClearCacheResult, void>(RpcMethod.clearCache);
export const configRequest = new RequestType0<ServerConfigResult, void>(RpcMethod.config);
export const stopRequest = new RequestType0<null, void>(RpcMethod.stop);
export const explainRequest = new RequestType<ExplainParams, ExplainResult, void>(RpcMethod.explain);
export const statsChangedNotification = new NotificationType<StatsSnapshot>(RpcMethod.statsChanged);
export const compiledNotification = new NotificationType<CompiledNotification>(RpcMethod.compiled);
export const exitingNotification = new NotificationType<ExitingNotification>(RpcMethod.exiting);

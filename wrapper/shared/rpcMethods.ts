// JSON-RPC methods spoken on the server's socket (docs/protocol.md, "JSON-RPC"): the CLI's
// management commands and the VS Code extension use the same ones.

export const RpcMethod = {
  stats: 'warmcc/stats',
  zeroStats: 'warmcc/zeroStats',
  clearCache: 'warmcc/clearCache',
  config: 'warmcc/config',
  stop: 'warmcc/stop',
  statsChanged: 'warmcc/statsChanged',
} as const;

export interface ClearCacheResult {
  removedFiles: number;
  removedBytes: number;
}

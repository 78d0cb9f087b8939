// JSON-RPC (LSP base protocol framing) on a server connection: management requests from the
// CLI and the editor. `initialize`/`shutdown`/`exit` follow LSP so vscode-languageclient works.

import type { Duplex } from 'node:stream';
import { createMessageConnection, ErrorCodes, ResponseError, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import {
  clearCacheRequest,
  compiledNotification,
  configRequest,
  exitingNotification,
  explainRequest,
  statsChangedNotification,
  statsRequest,
  stopRequest,
  zeroStatsRequest,
  type ClearCacheResult,
  type CompiledNotification,
  type ExplainParams,
  type ExplainResult,
  type ServerConfigResult,
} from '../contract/rpc';
import type { StatsSnapshot } from '../contract/stats';

export interface ServerControl {
  version: string;
  snapshot(): Promise<StatsSnapshot>;
  zeroStats(): void;
  clearCache(): Promise<ClearCacheResult>;
  config(): ServerConfigResult;
  explain(params: ExplainParams): ExplainResult;
  stop(): void;
  onStatsChanged(listener: () => void): () => void;
  onCompiled(listener: (event: CompiledNotification) => void): () => void;
  onExiting(listener: (reason: string) => void): () => void;
  log(message: string): void;
}

/** at most one statsChanged notification per connection in this interval */
const NOTIFY_INTERVAL_MS = 250;

/** Serves JSON-RPC on a socket the server accepted, or on a connection a hit server relays. */
export function serveRpcConnection(socket: Duplex, control: ServerControl): void {
  const connection = createMessageConnection(new StreamMessageReader(socket), new StreamMessageWriter(socket));
  let initialized = false;
  let notifyTimer: NodeJS.Timeout | undefined;

  connection.onRequest('initialize', () => {
    initialized = true;
    return { capabilities: {}, serverInfo: { name: 'warmcc', version: control.version } };
  });
  connection.onNotification('initialized', () => {});
  connection.onRequest('shutdown', () => null);
  // LSP `exit` ends the connection; the server itself goes on serving builds
  connection.onNotification('exit', () => {
    socket.end();
  });
  connection.onRequest(statsRequest, () => control.snapshot());
  connection.onRequest(zeroStatsRequest, () => {
    control.zeroStats();
    return null;
  });
  connection.onRequest(clearCacheRequest, () => control.clearCache());
  connection.onRequest(configRequest, () => control.config());
  connection.onRequest(explainRequest, (params: ExplainParams) => {
    try {
      return control.explain(params);
    } catch (error) {
      // as a ResponseError the message reaches the CLI and the editor as it is
      throw new ResponseError(ErrorCodes.InternalError, (error as Error).message);
    }
  });
  connection.onRequest(stopRequest, () => {
    setImmediate(() => control.stop());
    return null;
  });

  const unsubscribe = control.onStatsChanged(() => {
    if (!initialized || notifyTimer) return;
    notifyTimer = setTimeout(() => {
      notifyTimer = undefined;
      control
        .snapshot()
        .then((snapshot) => connection.sendNotification(statsChangedNotification, snapshot))
        .catch(() => {});
    }, NOTIFY_INTERVAL_MS);
  });
  // parsing diagnostics is cheap, but only editors (initialized connections) want them
  const unsubscribeCompiled = control.onCompiled((event) => {
    if (initialized) void connection.sendNotification(compiledNotification, event).catch(() => {});
  });
  const unsubscribeExiting = control.onExiting((reason) => {
    void connection.sendNotification(exitingNotification, { reason }).catch(() => {});
  });
  const dispose = (): void => {
    unsubscribe();
    unsubscribeCompiled();
    unsubscribeExiting();
    if (notifyTimer) clearTimeout(notifyTimer);
    connection.dispose();
  };
  connection.onClose(dispose);
  connection.onError(([error]) => control.log(`rpc connection error: ${error.message}`));
  socket.on('error', () => {});
  socket.on('close', dispose);
  connection.listen();
}

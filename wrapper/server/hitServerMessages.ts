// Messages between the main server and its hit servers (hitServerPool.ts, hitServer.ts), over the
// IPC channel of child_process.fork ("advanced" serialization: Buffers cross as bytes).

import type { CompiledNotification } from '../contract/rpc';
import type { StatsCall } from './stats';

/** argv flag that makes the server bundle run as hit server N: `server.js --hit-server N` */
export const HIT_SERVER_FLAG = '--hit-server';

export type ToHitServer =
  /** sent with the listening net.Server: accept on it too */
  | { type: 'listen' }
  /** stop accepting, finish what is in hand, exit */
  | { type: 'stop' };

export type FromHitServer =
  /** started: send the listening socket */
  | { type: 'ready' }
  /** served a direct hit: count it, and tell editors about its diagnostics */
  | { type: 'hit'; statsCalls: StatsCall[]; compiled?: CompiledNotification }
  /** sent with a connection that is not a direct hit, and what was already read from it */
  | { type: 'handover'; bytes: Uint8Array; statsCalls: StatsCall[] };

// Messages between the main server and its hit servers (hitServerPool.ts, hitServer.ts), over the
// IPC channel of child_process.fork ("advanced" serialization: structured clones, Buffers cross
// as bytes).

import type { CompileRequest } from '../contract/protocol';
import type { CompiledNotification } from '../contract/rpc';
import type { HandedOver } from '../pipeline/compileRequest';
import type { StatsCall } from './stats';

/** argv flag that makes the server bundle run as hit server N: `server.js --hit-server N` */
export const HIT_SERVER_FLAG = '--hit-server';

export type ToHitServer =
  /** sent with the listening net.Server: accept on it too */
  | { type: 'listen' }
  /** stop accepting, finish what is in hand, exit */
  | { type: 'stop' }
  /** bytes the main server writes to a relayed JSON-RPC connection */
  | { type: 'rpcData'; id: number; bytes: Uint8Array }
  /** the main server ended a relayed JSON-RPC connection */
  | { type: 'rpcEnd'; id: number };

export type FromHitServer =
  /** started: send the listening socket */
  | { type: 'ready' }
  /** served here (a direct hit, or a call that is not cacheable): count it, and tell editors
   *  about a hit's diagnostics */
  | { type: 'served'; statsCalls: StatsCall[]; compiled?: CompiledNotification }
  /** sent with a compile connection whose request is read: the main server goes on from
   *  `handedOver` (where the hit server stopped), or from the start without it */
  | { type: 'handover'; request: CompileRequest; handedOver?: HandedOver; statsCalls: StatsCall[] }
  /** a JSON-RPC connection accepted here: the main server serves it through the relay */
  | { type: 'rpcOpen'; id: number; bytes: Uint8Array }
  | { type: 'rpcData'; id: number; bytes: Uint8Array }
  | { type: 'rpcEnd'; id: number };

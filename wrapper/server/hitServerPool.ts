// The main server's hit servers (hitServer.ts): forked at start, given the listening socket,
// what they serve counted here, their hand-overs served here and the JSON-RPC connections they
// accept relayed here. A hit server that dies is replaced
// (a few times a minute at most; past that the main server serves alone and says so). Each is
// forked from this clean server with the log as stdout/stderr and nothing else but the IPC
// channel, so the "started clean" rule holds for them too.

import { fork, type ChildProcess } from 'node:child_process';
import type * as net from 'node:net';
import { Duplex } from 'node:stream';
import type { CompileRequest } from '../contract/protocol';
import type { CompiledNotification } from '../contract/rpc';
import type { HandedOver } from '../pipeline/compileRequest';
import { HIT_SERVER_FLAG, type FromHitServer, type ToHitServer } from './hitServerMessages';
import { logDescriptor } from './logger';
import type { StatsCall } from './stats';

const RESTARTS_PER_MINUTE = 5;
const STOP_WAIT_MS = 3000;

export interface HitServerPoolHooks {
  /** a hit served elsewhere: replay its stats calls */
  stats(calls: StatsCall[]): void;
  compiled(event: CompiledNotification): void;
  /** a compile connection handed over, its request read, with what the hit server did */
  compile(socket: net.Socket, request: CompileRequest, handedOver: HandedOver | undefined): void;
  /** a JSON-RPC connection a hit server accepted, relayed over its IPC channel */
  rpc(connection: Duplex): void;
  log(message: string): void;
}

export class HitServerPool {
  private readonly children = new Map<number, ChildProcess>();
  private readonly restarts: number[] = [];
  /** relayed JSON-RPC connections by hit server and relay id */
  private readonly relays = new Map<ChildProcess, Map<number, Duplex>>();
  private stopping = false;

  constructor(
    private readonly count: number,
    private readonly listener: net.Server,
    private readonly hooks: HitServerPoolHooks,
  ) {}

  start(): void {
    for (let slot = 1; slot <= this.count; slot++) this.spawn(slot);
  }

  /** process ids of the running hit servers */
  get pids(): number[] {
    return [...this.children.values()].map((child) => child.pid).filter((pid): pid is number => pid !== undefined);
  }

  private spawn(slot: number): void {
    const logFd = logDescriptor();
    const child = fork(process.argv[1]!, [HIT_SERVER_FLAG, String(slot)], {
      stdio: ['ignore', logFd, logFd, 'ipc'],
      serialization: 'advanced',
      cwd: '/',
      env: process.env,
    });
    this.children.set(slot, child);
    child.on('message', (message: FromHitServer, handle: unknown) => this.received(child, message, handle));
    child.on('error', (error) => this.hooks.log(`hit server ${slot}: ${error.message}`));
    child.once('exit', (code, signal) => {
      if (this.children.get(slot) === child) this.children.delete(slot);
      // its relayed connections are gone with it (the editor re-attaches)
      for (const connection of this.relays.get(child)?.values() ?? []) connection.destroy();
      this.relays.delete(child);
      if (this.stopping) return;
      this.hooks.log(`hit server ${slot} (pid ${child.pid}) exited (${signal ?? `code ${code}`})`);
      const now = Date.now();
      while (this.restarts.length && now - this.restarts[0]! > 60_000) this.restarts.shift();
      if (this.restarts.length >= RESTARTS_PER_MINUTE) {
        this.hooks.log(`hit server ${slot} not restarted: ${RESTARTS_PER_MINUTE} restarts within a minute; this server serves its hits itself`);
        return;
      }
      this.restarts.push(now);
      this.spawn(slot);
    });
  }

  private received(child: ChildProcess, message: FromHitServer, handle: unknown): void {
    switch (message?.type) {
      case 'ready':
        if (!this.stopping) child.send({ type: 'listen' } satisfies ToHitServer, this.listener);
        break;
      case 'served':
        this.hooks.stats(message.statsCalls);
        if (message.compiled) this.hooks.compiled(message.compiled);
        break;
      case 'handover':
        if (message.statsCalls.length) this.hooks.stats(message.statsCalls);
        if (handle) this.hooks.compile(handle as net.Socket, message.request, message.handedOver);
        break;
      case 'rpcOpen': {
        const connection = this.relayedConnection(child, message.id);
        connection.push(bytesOf(message.bytes));
        this.hooks.rpc(connection);
        break;
      }
      case 'rpcData':
        this.relays.get(child)?.get(message.id)?.push(bytesOf(message.bytes));
        break;
      case 'rpcEnd':
        this.relays.get(child)?.get(message.id)?.push(null);
        break;
    }
  }

  /** The main server's end of a connection a hit server relays: what it writes goes back to the
   *  hit server, which writes it to the client. */
  private relayedConnection(child: ChildProcess, id: number): Duplex {
    let relays = this.relays.get(child);
    if (!relays) this.relays.set(child, (relays = new Map<number, Duplex>()));
    const send = (message: ToHitServer): void => {
      if (child.connected) child.send(message);
    };
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      relays.delete(id);
      send({ type: 'rpcEnd', id });
    };
    const connection = new Duplex({
      allowHalfOpen: false,
      read() {},
      write(chunk: Buffer, _encoding, done) {
        send({ type: 'rpcData', id, bytes: chunk });
        done();
      },
      final(done) {
        end();
        done();
      },
      destroy(error, done) {
        end();
        done(error);
      },
    });
    relays.set(id, connection);
    return connection;
  }

  /** Asks every hit server to finish and exit; resolves when they have (killed after a while). */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            resolve();
            return;
          }
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          if (child.connected) child.send({ type: 'stop' } satisfies ToHitServer);
          else child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
  }
}

/** Buffers cross the IPC channel as plain Uint8Arrays. */
function bytesOf(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// The main server's hit servers (hitServer.ts): forked at start, given the listening socket,
// their hits counted here and their hand-overs served here. A hit server that dies is replaced
// (a few times a minute at most; past that the main server serves alone and says so). Each is
// forked from this clean server with the log as stdout/stderr and nothing else but the IPC
// channel, so the "started clean" rule holds for them too.

import { fork, type ChildProcess } from 'node:child_process';
import type * as net from 'node:net';
import type { CompiledNotification } from '../contract/rpc';
import { HIT_SERVER_FLAG, type FromHitServer, type ToHitServer } from './hitServerMessages';
import { logDescriptor } from './logger';
import type { StatsCall } from './stats';

const RESTARTS_PER_MINUTE = 5;
const STOP_WAIT_MS = 3000;

export interface HitServerPoolHooks {
  /** a hit served elsewhere: replay its stats calls */
  stats(calls: StatsCall[]): void;
  compiled(event: CompiledNotification): void;
  /** a connection handed over, with the bytes already read from it */
  connection(socket: net.Socket, bytes: Buffer): void;
  log(message: string): void;
}

export class HitServerPool {
  private readonly children = new Map<number, ChildProcess>();
  private readonly restarts: number[] = [];
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
      case 'hit':
        this.hooks.stats(message.statsCalls);
        if (message.compiled) this.hooks.compiled(message.compiled);
        break;
      case 'handover':
        if (message.statsCalls.length) this.hooks.stats(message.statsCalls);
        if (handle) this.hooks.connection(handle as net.Socket, Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
        break;
    }
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

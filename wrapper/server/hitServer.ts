// A hit server: a process the main server forks (hitServerPool.ts) that accepts on the same
// listening socket and serves direct-mode hits, so the hits of a parallel build run on more than
// one core. It only reads the cache. A compile it cannot serve (a miss, a preprocessor run, a
// remote tier, a compile) goes to the main server with the connection and what was done so far
// (prepared request, manifest lookup): the client sends nothing after its request, so the
// connection can change process without losing a byte. JSON-RPC connections (the CLI, the editor)
// are relayed to the main server over the IPC channel, byte for byte.
// Stats of what it serves go to the main server as a log of calls; hits are record in a file
// of its own. Started by the clean main server with only the log as stdout/stderr and the IPC
// channel: it inherits no jobserver, pipe or terminal, and exits when the main server goes.

import * as net from 'node:net';
import { loadConfig } from '../config/config';
import { CompileConnectionParser, connectionProtocol, type CompileRequest } from '../contract/protocol';
import type { CompiledNotification } from '../contract/rpc';
import { hitServerJournalFile, Journal, journalFileFor } from '../explain/journal';
import { withoutJobserver } from '../launcher/jobserver';
import { serveInHitServer, type HitServerAnswer } from '../pipeline/compileRequest';
import { compileSettings, type CompileContext } from '../pipeline/context';
import { PendingStores } from '../pipeline/pendingStores';
import { LocalDiskStorage } from '../storage/localDiskStorage';
import { refuseConnection, REQUEST_TIMEOUT_MS, sendReply } from './compileConnection';
import { HIT_SERVER_FLAG, type FromHitServer, type ToHitServer } from './hitServerMessages';
import { loadSavedHashes } from './hashCachePersistence';
import { debug, log, logError, setLogLevel } from './logger';
import { STATS_METHODS, type StatsCall, type StatsRecorder } from './stats';

/** how long a stopping hit server lets relayed connections flush what the main server sent */
const RELAY_CLOSE_WAIT_MS = 1000;

export function isHitServerProcess(argv: readonly string[] = process.argv): boolean {
  return argv.includes(HIT_SERVER_FLAG);
}

/** Stats calls, kept for the main server instead of counted here. */
function statsCallLog(calls: StatsCall[]): StatsRecorder {
  const recorder = {} as Record<string, (...args: unknown[]) => void>;
  for (const method of STATS_METHODS) recorder[method] = (...args: unknown[]) => void calls.push([method, args] as StatsCall);
  return recorder as unknown as StatsRecorder;
}

function send(message: FromHitServer, handle?: net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) {
      resolve(false);
      return;
    }
    process.send(message, handle, { keepOpen: false }, (error) => resolve(!error));
  });
}

export function runHitServer(): void {
  process.env = withoutJobserver(process.env);
  const slot = Number(process.argv[process.argv.indexOf(HIT_SERVER_FLAG) + 1]) || 1;
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const journal = new Journal(hitServerJournalFile(journalFileFor(config.cacheDir, config.socketPath), slot), config.journalSizeLimit, logError);
  // the main server's saved hashes (only the main server writes them)
  loadSavedHashes(config.cacheDir, config.logLevel === 'debug');
  const baseContext: Omit<CompileContext, 'stats' | 'compiled'> = {
    // local disk only: a remote lookup is the main server's (its tiers, breakers and counters)
    storage: new LocalDiskStorage(config.cacheDir, config.cacheSizeLimit, logError, false),
    log: logError,
    debug,
    ...compileSettings(config),
    // it never stores: a miss goes to the main server, which waits for its own pending stores
    stores: new PendingStores(),
    journal,
  };
  let listener: net.Server | undefined;
  let active = 0;
  let stopping = false;
  const relays = new Map<number, net.Socket>();
  let nextRelay = 1;

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    listener?.close();
    // relayed connections get what the main server sent last (its 'exiting' notice), then close
    for (const socket of relays.values()) socket.end();
    const deadline = Date.now() + RELAY_CLOSE_WAIT_MS;
    const exitWhenIdle = (): void => {
      if (active > 0 || (relays.size > 0 && Date.now() < deadline)) {
        setTimeout(exitWhenIdle, 20);
        return;
      }
      journal.flush();
      process.exit(0);
    };
    exitWhenIdle();
  };

  /** Serves a request here, or hands it to the main server with what was done so far. */
  const serve = async (socket: net.Socket, request: CompileRequest): Promise<void> => {
    const calls: StatsCall[] = [];
    let compiled: CompiledNotification | undefined;
    const abort = new AbortController();
    socket.once('close', () => abort.abort());
    const context: CompileContext = { ...baseContext, stats: statsCallLog(calls), compiled: (event) => (compiled = event) };
    let answer: HitServerAnswer;
    try {
      answer = await serveInHitServer(request, context, abort.signal);
    } catch (error) {
      // not ours to answer: the main server serves it from the start and reports what goes wrong
      debug(`hit server ${slot}: ${request.argv.join(' ').slice(0, 200)}: ${(error as Error).message}`);
      answer = { kind: 'handover' };
    }
    if (answer.kind === 'reply') {
      sendReply(socket, answer.reply);
      await send({ type: 'served', statsCalls: calls, compiled });
      return;
    }
    socket.removeAllListeners('data');
    socket.pause();
    debug(
      `hit server ${slot}: handing ${request.argv.slice(1).find((arg) => !arg.startsWith('-')) ?? request.argv[0]} over to the main server (${answer.handedOver?.manifestMiss ? 'manifest miss' : answer.handedOver ? 'prepared' : 'from the start'})`,
    );
    // from the start, the main server counts the request again: only errors met here are kept
    const statsCalls = answer.handedOver ? calls : calls.filter(([method]) => method === 'readError' || method === 'writeError');
    if (!(await send({ type: 'handover', request, handedOver: answer.handedOver, statsCalls }, socket))) socket.destroy();
  };

  /** A JSON-RPC connection, relayed to the main server over the IPC channel. */
  const relay = (socket: net.Socket, first: Buffer): void => {
    const id = nextRelay++;
    relays.set(id, socket);
    debug(`hit server ${slot}: relaying JSON-RPC connection ${id} to the main server`);
    void send({ type: 'rpcOpen', id, bytes: first });
    socket.on('data', (chunk: Buffer) => void send({ type: 'rpcData', id, bytes: chunk }));
    socket.on('close', () => {
      if (relays.delete(id)) void send({ type: 'rpcEnd', id });
    });
  };

  /** Reads a compile connection's request, then serves it. */
  const readRequest = (socket: net.Socket, first: Buffer): void => {
    const parser = new CompileConnectionParser();
    const onData = (chunk: Buffer): void => {
      const parsed = parser.push(chunk);
      if (parsed.state === 'error') refuseConnection(socket, { log: logError }, parsed.message);
      if (parsed.state !== 'request') return;
      socket.setTimeout(0);
      socket.removeListener('data', onData);
      active++;
      void serve(socket, parsed.request).finally(() => active--);
    };
    socket.on('data', onData);
    onData(first);
  };

  const accept = (socket: net.Socket): void => {
    socket.on('error', () => {});
    // a client that connects but never sends its request is dropped (the main server would too)
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => socket.destroy());
    socket.once('data', (first: Buffer) => {
      const protocol = connectionProtocol(first[0]!);
      if (protocol === 'compile') return readRequest(socket, first);
      socket.setTimeout(0);
      if (protocol === 'rpc') return relay(socket, first);
      log(`hit server ${slot}: closing a connection that speaks neither protocol (first byte 0x${first[0]!.toString(16)})`);
      socket.destroy();
    });
  };

  process.on('message', (message: ToHitServer, handle: unknown) => {
    switch (message?.type) {
      case 'listen':
        if (handle instanceof net.Server && !listener) {
          listener = handle;
          listener.on('connection', accept);
          log(`hit server ${slot} serving on ${config.socketPath}`);
        }
        break;
      case 'stop':
        stop();
        break;
      case 'rpcData':
        relays.get(message.id)?.write(Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength));
        break;
      case 'rpcEnd':
        relays.get(message.id)?.end();
        break;
    }
  });
  // the main server is gone (stopped or crashed): stop accepting on its socket too
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => {});
  process.on('uncaughtException', (error) => logError(`hit server ${slot}: uncaught exception: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (reason) => logError(`hit server ${slot}: unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`));
  void send({ type: 'ready' });
}

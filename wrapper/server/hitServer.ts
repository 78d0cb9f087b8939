// A hit server: a process the main server forks (hitServerPool.ts) that accepts on the same
// listening socket and serves direct-mode hits, so the hits of a parallel build run on more than
// one core. It only reads the cache: anything that is not a direct hit from local disk — a miss,
// a preprocessor run, a remote tier, a compile, JSON-RPC, a bad request — is handed, socket and
// the bytes already read, to the main server, which serves it as if it had accepted it itself.
// Stats of a hit go to the main server as a log of calls; hits are journaled in a file of our own.
// Started by the clean main server with only the log as stdout/stderr and the IPC channel: it
// inherits no jobserver, pipe or terminal, and exits when the main server goes.

import * as net from 'node:net';
import { loadConfig } from '../config/config';
import { withoutJobserver } from '../launcher/jobserver';
import { decodeCompileRequest, decodePreface, FrameReader, FrameType, PREFACE_LENGTH, PROTOCOL_VERSION, type CompileRequest } from '../contract/protocol';
import type { CompiledNotification } from '../contract/rpc';
import { LocalDiskStorage } from '../storage/localDiskStorage';
import { sendReply } from './compileConnection';
import { compileSettings, serveDirectHit, type CompileContext, type CompileReply } from '../pipeline/compileRequest';
import { HIT_SERVER_FLAG, type FromHitServer, type ToHitServer } from './hitServerMessages';
import { hitServerJournalFile, Journal, journalFileFor } from '../explain/journal';
import { debug, log, logError, setLogLevel } from './logger';
import { PendingStores } from '../pipeline/pendingStores';
import { STATS_METHODS, type StatsCall, type StatsRecorder } from './stats';

const FIRST_BYTE_COMPILE = 0x57; // 'W'
/** a client that connects but never sends its request is handed over (the main server times it out) */
const REQUEST_TIMEOUT_MS = 30_000;

export function isHitServerProcess(argv: readonly string[] = process.argv): boolean {
  return argv.includes(HIT_SERVER_FLAG);
}

/** Stats calls, kept for the main server instead of counted here. */
function statsCallLog(calls: StatsCall[]): StatsRecorder {
  const recorder = {} as Record<string, (...args: unknown[]) => void>;
  for (const method of STATS_METHODS) recorder[method] = (...args: unknown[]) => void calls.push([method, args] as StatsCall);
  return recorder as unknown as StatsRecorder;
}

/** Stops reading from the connection, so whatever the client sends next stays in the kernel for
 *  the process the connection is handed to. pause() alone only stops 'data' events: libuv keeps
 *  reading into the stream's buffer, and what it reads after the buffer is drained and before the
 *  handle is sent would be lost (returns what the stream had buffered) (a JSON-RPC body sent apart from its header hung `warmcc -s`).
 *  Node has no public call for this; readStop() on the handle is what net.Socket uses itself. */
function stopReading(socket: net.Socket): Buffer[] {
  socket.pause();
  // drain what the stream holds; read() may start the handle reading again, so stop it after
  const drained: Buffer[] = [];
  for (let chunk: Buffer | null; (chunk = socket.read() as Buffer | null) !== null; ) drained.push(chunk);
  const handle = (socket as unknown as { _handle?: { reading?: boolean; readStop?: () => number } })._handle;
  if (handle?.readStop) {
    handle.reading = false;
    handle.readStop();
  }
  return drained;
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
  process.env = withoutJobserver(process.env) as NodeJS.ProcessEnv;
  const slot = Number(process.argv[process.argv.indexOf(HIT_SERVER_FLAG) + 1]) || 1;
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const journal = new Journal(hitServerJournalFile(journalFileFor(config.cacheDir, config.socketPath), slot), config.journalSizeLimit, logError);
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

  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    listener?.close();
    const exitWhenIdle = (): void => {
      if (active > 0) {
        setTimeout(exitWhenIdle, 20);
        return;
      }
      journal.flush();
      process.exit(0);
    };
    exitWhenIdle();
  };

  /** Gives the connection to the main server, with what we read of it. */
  const handOver = async (socket: net.Socket, received: Buffer[], statsCalls: StatsCall[] = []): Promise<void> => {
    received.push(...stopReading(socket));
    // errors met on the way (a corrupt entry removed) are counted; the main server counts the rest
    const errors = statsCalls.filter(([method]) => method === 'readError' || method === 'writeError');
    if (!(await send({ type: 'handover', bytes: Buffer.concat(received), statsCalls: errors }, socket))) socket.destroy();
  };

  const serve = async (socket: net.Socket, received: Buffer[], request: CompileRequest): Promise<void> => {
    const calls: StatsCall[] = [];
    let compiled: CompiledNotification | undefined;
    const abort = new AbortController();
    socket.once('close', () => abort.abort());
    const context: CompileContext = { ...baseContext, stats: statsCallLog(calls), compiled: (event) => (compiled = event) };
    let reply: CompileReply | undefined;
    try {
      reply = await serveDirectHit(request, context, abort.signal);
    } catch (error) {
      // not ours to answer: the main server handles it and reports what goes wrong
      debug(`hit server ${slot}: ${request.argv.join(' ').slice(0, 200)}: ${(error as Error).message}`);
    }
    if (!reply) {
      await handOver(socket, received, calls);
      return;
    }
    sendReply(socket, reply);
    await send({ type: 'hit', statsCalls: calls, compiled });
  };

  const accept = (socket: net.Socket): void => {
    socket.on('error', () => {});
    const received: Buffer[] = [];
    const reader = new FrameReader();
    let length = 0;
    let settled = false;
    /** The request is read (or is not ours): stop reading, then serve it or hand it over. */
    const settle = (next: () => Promise<void>): void => {
      settled = true;
      // no listener first: read() while draining emits 'data' too
      socket.removeListener('data', onData);
      socket.setTimeout(0);
      received.push(...stopReading(socket));
      active++;
      void next().finally(() => active--);
    };
    const onData = (chunk: Buffer): void => {
      received.push(chunk);
      length += chunk.length;
      const all = received.length === 1 ? chunk : Buffer.concat(received);
      try {
        if (all[0] !== FIRST_BYTE_COMPILE || stopping) throw new Error('not ours');
        if (length < PREFACE_LENGTH) return;
        if (decodePreface(all) !== PROTOCOL_VERSION) throw new Error('other protocol version');
        const frames = reader.push(length - chunk.length >= PREFACE_LENGTH ? chunk : all.subarray(PREFACE_LENGTH));
        if (frames.length === 0) return;
        if (frames.length > 1 || frames[0]!.type !== FrameType.Compile) throw new Error('unexpected frames');
        const request = decodeCompileRequest(frames[0]!.body);
        settle(() => serve(socket, received, request));
      } catch {
        // the main server gives a bad request its proper error
        settle(() => handOver(socket, received));
      }
    };
    socket.on('data', onData);
    socket.setTimeout(REQUEST_TIMEOUT_MS, () => {
      if (!settled) settle(() => handOver(socket, received));
    });
  };

  process.on('message', (message: ToHitServer, handle: unknown) => {
    if (message?.type === 'listen' && handle instanceof net.Server && !listener) {
      listener = handle;
      listener.on('connection', accept);
      log(`hit server ${slot} serving on ${config.socketPath}`);
    } else if (message?.type === 'stop') {
      stop();
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

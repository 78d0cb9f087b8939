// The warmcc server process: one per socket. Listens on the per-user Unix socket, serves compile
// requests and JSON-RPC, keeps stats, exits after the idle timeout (never mid-compile).
// It expects to have been started clean (new session, no inherited fds, no jobserver: see
// wrapper/client/warmcc.c and serverLauncher.ts); it also drops any jobserver from its own
// environment in case someone started it by hand from inside make.

import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { loadConfig, type WarmccConfig } from '../config/config';
import { connectionProtocol } from '../contract/protocol';
import { withoutJobserver } from '../launcher/jobserver';
import { canConnect } from '../launcher/serverLauncher';
import { effectiveCodec } from '../storage/cacheEntry';
import { LocalDiskStorage } from '../storage/localDiskStorage';
import { describeRemote } from '../config/remoteTiers';
import { TieredStorage } from '../storage/tieredStorage';
import { serveCompileConnection, serveHandedOverConnection } from './compileConnection';
import { compileSettings, type CompileContext } from '../pipeline/context';
import { explainFromJournal } from '../explain/explainRequest';
import { Journal, journalFileFor } from '../explain/journal';
import { keepHashesAcrossRestarts } from './hashCachePersistence';
import { debug, log, logError, rotateLogIfLarge, setLogLevel } from './logger';
import { serveRpcConnection, type ServerControl } from './rpcConnection';
import type { CompiledNotification } from '../contract/rpc';
import { HitServerPool } from './hitServerPool';
import { isHitServerProcess, runHitServer } from './hitServer';
import { PendingStores } from '../pipeline/pendingStores';
import { acquireServerLock } from './singleInstance';
import type { StatsSnapshot } from '../contract/stats';
import { Stats, statsFileFor } from './stats';

declare const WARMCC_VERSION: string;
const version = typeof WARMCC_VERSION === 'string' ? WARMCC_VERSION : 'dev';

/** The lock is held by a server that no longer accepts (it is stopping: waiting for its hit
 *  servers and its last writes) for up to this long; a server started meanwhile (a restart) waits
 *  for it rather than giving up. */
const STOPPING_SERVER_WAIT_MS = 5000;

/** Takes the single-instance lock; undefined when another server holds it and serves. */
async function takeOverLock(socketPath: string): Promise<Awaited<ReturnType<typeof acquireServerLock>>> {
  const deadline = Date.now() + STOPPING_SERVER_WAIT_MS;
  for (;;) {
    const lock = await acquireServerLock(socketPath);
    if (lock || Date.now() > deadline || (await canConnect(socketPath))) return lock;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

async function main(): Promise<void> {
  process.env = withoutJobserver(process.env);
  let config: WarmccConfig;
  try {
    config = loadConfig();
  } catch (error) {
    logError(`configuration error: ${(error as Error).message}`);
    process.exit(2);
  }
  setLogLevel(config.logLevel);

  const lock = await takeOverLock(config.socketPath);
  if (!lock) {
    log(`another server already owns ${config.socketPath}; exiting`);
    return;
  }
  await fs.mkdir(path.dirname(config.socketPath), { recursive: true, mode: 0o700 });
  await fs.mkdir(config.cacheDir, { recursive: true, mode: 0o700 });
  if (await canConnect(config.socketPath)) {
    log(`a server already answers on ${config.socketPath}; exiting`);
    return;
  }
  await fs.rm(config.socketPath, { force: true }); // stale socket of a dead server
  rotateLogIfLarge(config.logFile);
  const hashes = keepHashesAcrossRestarts(config.cacheDir, config.logLevel === 'debug');

  const startedAt = Date.now();
  const stats = new Stats(statsFileFor(config.cacheDir, config.socketPath), log);
  const journal = new Journal(journalFileFor(config.cacheDir, config.socketPath), config.journalSizeLimit, logError);
  const pendingWork = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>): void => {
    pendingWork.add(work);
    void work.finally(() => pendingWork.delete(work));
  };
  // local disk first, then the remote tiers (WARMCC_REMOTE); backends load on first use
  const storage = new TieredStorage(new LocalDiskStorage(config.cacheDir, config.cacheSizeLimit, log), config.remotes, {
    recorder: stats,
    log: logError,
    debug,
    track,
  });
  const compiledListeners = new Set<(event: CompiledNotification) => void>();
  const exitingListeners = new Set<(reason: string) => void>();
  let activeCompiles = 0;
  let lastActivity = Date.now();
  let stopping = false;

  const context: CompileContext = {
    storage,
    stats,
    log: logError,
    debug,
    ...compileSettings(config),
    compiled: (event) => {
      for (const listener of compiledListeners) listener(event);
    },
    stores: new PendingStores(track),
    journal,
  };

  const snapshot = async (): Promise<StatsSnapshot> => {
    const usage = await storage.usage();
    const c = stats.counters;
    const lookups = c.cacheHits + c.cacheMisses;
    return {
      ...c,
      socketPath: config.socketPath,
      cacheDir: config.cacheDir,
      cacheEntries: usage.entries,
      cacheBytes: usage.bytes,
      cacheLimitBytes: usage.limitBytes,
      hitRate: lookups ? c.cacheHits / lookups : 0,
      averageHitMs: c.cacheHits ? c.totalHitMs / c.cacheHits : 0,
      averageMissMs: c.cacheMisses ? c.totalMissMs / c.cacheMisses : 0,
      serverPid: process.pid,
      hitServerPids: hitServers?.pids ?? [],
      serverStartedAt: startedAt,
      version,
      recent: [...stats.recent],
      tiers: storage.tierSnapshots(c.tiers),
    };
  };

  const compileHooks = {
    begin: () => {
      activeCompiles++;
      lastActivity = Date.now();
    },
    end: () => {
      activeCompiles--;
      lastActivity = Date.now();
    },
  };
  const onConnection = (socket: net.Socket): void => {
    socket.once('readable', () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) {
        socket.destroy();
        return;
      }
      // put the byte back for the protocol's own reader
      socket.unshift(first);
      const protocol = connectionProtocol(first[0]!);
      if (protocol === 'compile') {
        lastActivity = Date.now();
        serveCompileConnection(socket, context, compileHooks);
      } else if (protocol === 'rpc') {
        serveRpcConnection(socket, control);
      } else {
        log(`closing a connection that speaks neither protocol (first byte 0x${first[0]!.toString(16)})`);
        socket.destroy();
      }
    });
    socket.on('error', () => {});
  };
  const server = net.createServer(onConnection);
  let hitServers: HitServerPool | undefined;

  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why}); waiting for ${activeCompiles} running compiles`);
    for (const listener of exitingListeners) listener(why);
    server.close();
    await hitServers?.stop();
    while (activeCompiles > 0) await new Promise((resolve) => setTimeout(resolve, 50));
    // writes to remote tiers are bounded by their timeouts
    while (pendingWork.size) await Promise.allSettled([...pendingWork]);
    await storage.close();
    stats.save();
    hashes.save();
    journal.flush();
    // remove the socket only if it is still ours (a newer server may have replaced it)
    const current = await fs.stat(config.socketPath).catch(() => undefined);
    if (current && current.ino === socketInode) await fs.rm(config.socketPath, { force: true });
    log('stopped');
    // let the exiting notifications reach connected editors before the sockets go
    if (exitingListeners.size) await new Promise((resolve) => setTimeout(resolve, 50));
    process.exit(0);
  };

  const control: ServerControl = {
    version,
    snapshot,
    zeroStats: () => stats.zero(),
    clearCache: () => storage.clear(),
    // remote URLs only as displayed: credentials never leave the server
    config: () => ({ ...config, remotes: config.remotes.map(describeRemote), version, pid: process.pid, journalFile: journal.file }),
    explain: (params) => {
      if (!journal.enabled) throw new Error('the journal is off (WARMCC_JOURNAL_SIZE=0): there is nothing to explain from');
      journal.flush();
      return explainFromJournal(journal.file, params);
    },
    stop: () => void stop('stop requested'),
    onStatsChanged: (listener) => stats.onChange(listener),
    onExiting: (listener) => {
      exitingListeners.add(listener);
      return () => exitingListeners.delete(listener);
    },
    onCompiled: (listener) => {
      compiledListeners.add(listener);
      return () => compiledListeners.delete(listener);
    },
    log,
  };

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.socketPath, () => resolve());
  });
  await fs.chmod(config.socketPath, 0o600);
  const socketInode = (await fs.stat(config.socketPath)).ino;
  const entryCodec = effectiveCodec(config.compression);
  log(
    `warmcc server ${version} listening on ${config.socketPath} (cache ${config.cacheDir}, limit ${config.cacheSizeLimit} bytes, idle timeout ${config.idleTimeoutSeconds}s, hit servers: ${config.hitServers}, entries: ${entryCodec.codec}${config.remotes.length ? `, remote tiers: ${config.remotes.map(describeRemote).join(' ')}` : ''})`,
  );
  if (entryCodec.note) log(`entries are written with deflate, not LZ4: ${entryCodec.note}; LZ4 entries written by other servers read as misses`);

  storage.prepare();

  if (config.hitServers > 0) {
    hitServers = new HitServerPool(config.hitServers, server, {
      stats: (calls) => {
        lastActivity = Date.now();
        stats.replay(calls);
      },
      compiled: (event) => context.compiled(event),
      compile: (socket, request, handedOver) => {
        if (stopping) {
          socket.destroy(); // the client runs the compiler itself
          return;
        }
        serveHandedOverConnection(socket, context, compileHooks, request, handedOver, config.remotes.length > 0);
      },
      rpc: (connection) => serveRpcConnection(connection, control),
      log,
    });
    hitServers.start();
  }

  if (config.idleTimeoutSeconds > 0) {
    const idleMs = config.idleTimeoutSeconds * 1000;
    setInterval(
      () => {
        if (activeCompiles === 0 && pendingWork.size === 0 && Date.now() - lastActivity >= idleMs) {
          void stop(`idle for ${config.idleTimeoutSeconds}s`);
        }
      },
      Math.min(idleMs, 5000),
    ).unref();
    // keep the process alive while idle-waiting (the interval is unref'd so stop() can exit)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => {}); // a closing terminal must not kill a clean-started server
  process.on('uncaughtException', (error) => logError(`uncaught exception: ${error.stack ?? error.message}`));
  process.on('unhandledRejection', (reason) => logError(`unhandled rejection: ${String((reason as Error)?.stack ?? reason)}`));
}

if (isHitServerProcess()) {
  runHitServer();
} else {
  main().catch((error: Error) => {
    logError(`server failed to start: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}

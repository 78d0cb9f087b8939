// Remote tier on Redis (redis://, rediss:// with TLS, redis+unix:///path/to/socket), through
// ioredis. Values live under `<prefix>:<key>`, with an expiry when `ttl` is set. Bundled as its
// own file and loaded only when configured (remoteBackends.ts).

import { Redis, type RedisOptions } from 'ioredis';
import type { RemoteSpec } from '../config/remoteTiers';
import { RemoteTimeoutError, type RemoteBackend } from './storage';

/** reconnect attempts back off to this delay; the tier's circuit breaker covers the wait */
const MAX_RECONNECT_DELAY_MS = 5000;

export function redisOptions(spec: RemoteSpec): RedisOptions {
  const { url } = spec;
  const options: RedisOptions = {
    lazyConnect: true,
    connectTimeout: spec.connectTimeoutMs,
    commandTimeout: spec.operationTimeoutMs,
    // a dead server fails commands at once instead of queueing them behind reconnects
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 200, MAX_RECONNECT_DELAY_MS),
  };
  if (url.username) options.username = decodeURIComponent(url.username);
  if (url.password) options.password = decodeURIComponent(url.password);
  const dbText = url.protocol === 'redis+unix:' ? url.searchParams.get('db') : url.pathname.replace(/^\//, '');
  if (dbText) {
    const db = Number(dbText);
    if (!Number.isInteger(db) || db < 0) throw new Error(`${spec.display}: database '${dbText}' is not a number`);
    options.db = db;
  }
  if (url.protocol === 'redis+unix:') {
    options.path = decodeURIComponent(url.pathname);
  } else {
    options.host = url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
    options.port = url.port ? Number(url.port) : 6379;
    if (url.protocol === 'rediss:') options.tls = { servername: options.host };
  }
  return options;
}

export class RedisStorage implements RemoteBackend {
  readonly name: string;
  private readonly client: Redis;
  private lastError = '';

  constructor(private readonly spec: RemoteSpec) {
    this.name = spec.display;
    this.client = new Redis(redisOptions(spec));
    // connection errors surface through failed commands; keep the text for the message
    this.client.on('error', (error: Error) => (this.lastError = error.message));
    this.client.on('ready', () => (this.lastError = ''));
  }

  private redisKey(key: string): string {
    return this.spec.prefix ? `${this.spec.prefix}:${key}` : key;
  }

  /** Connects on first use and after the client gave up; waits at most the connect timeout,
   *  and not at all once the attempt has failed (e.g. connection refused). */
  private async ready(): Promise<void> {
    const status = this.client.status;
    if (status === 'ready') return;
    if (status === 'wait' || status === 'end' || status === 'close') this.client.connect().catch(() => {});
    const outcome = await new Promise<'ready' | 'failed' | 'timeout'>((resolve) => {
      const finish = (result: 'ready' | 'failed' | 'timeout'): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('error', onFailed);
        this.client.off('end', onFailed);
        resolve(result);
      };
      const onReady = (): void => finish('ready');
      const onFailed = (): void => finish('failed');
      const timer = setTimeout(() => finish('timeout'), this.spec.connectTimeoutMs);
      this.client.once('ready', onReady);
      this.client.once('error', onFailed);
      this.client.once('end', onFailed);
      // a reconnect already scheduled after a failure: fail now rather than wait for it
      if (status === 'reconnecting' && this.lastError) finish('failed');
    });
    if (outcome === 'ready') return;
    if (outcome === 'failed') throw new Error(`not connected (${this.lastError || 'connection closed'})`);
    throw new RemoteTimeoutError(`no connection within ${this.spec.connectTimeoutMs} ms`);
  }

  async get(key: string): Promise<Buffer | undefined> {
    await this.ready();
    return (await this.client.getBuffer(this.redisKey(key))) ?? undefined;
  }

  async put(key: string, data: Buffer): Promise<void> {
    await this.ready();
    if (this.spec.ttlSeconds > 0) await this.client.set(this.redisKey(key), data, 'EX', this.spec.ttlSeconds);
    else await this.client.set(this.redisKey(key), data);
  }

  async remove(key: string): Promise<void> {
    await this.ready();
    await this.client.del(this.redisKey(key));
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

export function createBackend(spec: RemoteSpec): RemoteBackend {
  return new RedisStorage(spec);
}

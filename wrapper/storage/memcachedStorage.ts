// Remote tier on memcached (memcached://[user:pass@]host[:port]), through memjs (binary protocol,
// SASL). memcached refuses values over its item size (-I, 1 MiB by default): larger values are
// split into chunks stored under `<key>:<write id>:<n>`, written before a small index under the
// key itself, so a reader sees the whole value or a miss — never chunks of two different writes.
// Values needing more than `max-chunks` items are not stored (WriteSkipped, counted).

import { randomBytes } from 'node:crypto';
import * as memjs from 'memjs';
import type { RemoteSpec } from '../config/remoteTiers';
import { WriteSkipped, type RemoteBackend } from './storage';

const INDEX_MAGIC = Buffer.from('WMCH', 'ascii');
const INDEX_LENGTH = INDEX_MAGIC.length + 4 + 4 + 8; // magic, chunk count, total length, write id
/** room for memcached's per-item header and the key inside the item size limit */
const ITEM_OVERHEAD_BYTES = 512;

export class MemcachedStorage implements RemoteBackend {
  readonly name: string;
  private readonly client: memjs.Client;
  private readonly chunkBytes: number;

  constructor(private readonly spec: RemoteSpec) {
    this.name = spec.display;
    const { url } = spec;
    const userInfo = url.username ? `${url.username}:${url.password}@` : '';
    const server = `${userInfo}${url.hostname || '127.0.0.1'}:${url.port || 11211}`;
    this.client = memjs.Client.create(server, {
      retries: 0,
      failover: false,
      timeout: spec.operationTimeoutMs / 1000,
      conntimeout: spec.connectTimeoutMs / 1000,
      keepAlive: true,
      expires: spec.ttlSeconds,
      logger: { log: () => {} },
    });
    this.chunkBytes = spec.maxItemBytes - ITEM_OVERHEAD_BYTES;
  }

  private itemKey(key: string): string {
    return this.spec.prefix ? `${this.spec.prefix}:${key}` : key;
  }

  async get(key: string): Promise<Buffer | undefined> {
    const { value } = await this.client.get(this.itemKey(key));
    if (!value) return undefined;
    if (value.length !== INDEX_LENGTH || !value.subarray(0, INDEX_MAGIC.length).equals(INDEX_MAGIC)) return value;
    const chunks = value.readUInt32LE(4);
    const total = value.readUInt32LE(8);
    const writeId = value.subarray(12).toString('hex');
    const parts = await Promise.all(Array.from({ length: chunks }, (_, n) => this.client.get(`${this.itemKey(key)}:${writeId}:${n}`)));
    // an evicted chunk makes the whole value a miss
    if (parts.some((part) => !part.value)) return undefined;
    const whole = Buffer.concat(parts.map((part) => part.value!));
    return whole.length === total ? whole : undefined;
  }

  async put(key: string, data: Buffer): Promise<void> {
    if (data.length <= this.chunkBytes) {
      await this.set(this.itemKey(key), data);
      return;
    }
    const chunks = Math.ceil(data.length / this.chunkBytes);
    if (chunks > this.spec.maxChunks) {
      throw new WriteSkipped(`larger than ${this.spec.maxChunks} memcached items`);
    }
    const writeId = randomBytes(8);
    await Promise.all(
      Array.from({ length: chunks }, (_, n) =>
        this.set(`${this.itemKey(key)}:${writeId.toString('hex')}:${n}`, data.subarray(n * this.chunkBytes, (n + 1) * this.chunkBytes)),
      ),
    );
    const index = Buffer.alloc(INDEX_LENGTH);
    INDEX_MAGIC.copy(index, 0);
    index.writeUInt32LE(chunks, 4);
    index.writeUInt32LE(data.length, 8);
    writeId.copy(index, 12);
    await this.set(this.itemKey(key), index);
  }

  private async set(itemKey: string, value: Buffer): Promise<void> {
    const stored = await this.client.set(itemKey, value, { expires: this.spec.ttlSeconds });
    if (!stored) throw new Error(`memcached did not store ${itemKey} (${value.length} bytes)`);
  }

  async remove(key: string): Promise<void> {
    await this.client.delete(this.itemKey(key));
  }

  async close(): Promise<void> {
    this.client.close();
  }
}

export function createBackend(spec: RemoteSpec): RemoteBackend {
  return new MemcachedStorage(spec);
}

// Remote tier parts on their own: WARMCC_REMOTE parsing and redaction, the remote envelope, the
// circuit breaker, HTTP layouts; and, against real servers, memcached's chunking of values over
// its item size and the tiered layer's write-back into earlier remote tiers.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as memjs from 'memjs';
import { CircuitBreaker } from '../wrapper/storage/circuitBreaker';
import { httpPath } from '../wrapper/storage/httpStorage';
import { LocalDiskStorage } from '../wrapper/storage/localDiskStorage';
import { MemcachedStorage } from '../wrapper/storage/memcachedStorage';
import { unwrapRemoteEntry, wrapRemoteEntry } from '../wrapper/storage/remoteEnvelope';
import { parseRemoteList, parseRemoteSpec, scrubSecrets } from '../wrapper/config/remoteTiers';
import { TieredStorage } from '../wrapper/storage/tieredStorage';
import { isWriteSkipped } from '../wrapper/storage/storage';
import { zeroTierCounters, type TierCounters } from '../wrapper/contract/stats';
import { loadConfig } from '../wrapper/config/config';
import { readConfigFile } from '../wrapper/config/configFile';
import { memcachedBinary, missingMessage, redisBinary, startDelayProxy, startMemcached, startRedis, type RunningServer } from './support/remoteServers';

const KEY = 'ab'.repeat(32);

describe('WARMCC_REMOTE parsing', () => {
  test('several URLs in order, with attributes after |', () => {
    const specs = parseRemoteList(
      'redis://cache:6380/2|ttl=3600|prefix=team  s3://bucket/ci|region=eu-west-1\nhttp://h/c|read-only|layout=bazel memcached://m|max-chunks=4',
      'WARMCC_REMOTE',
    );
    assert.deepEqual(
      specs.map((spec) => spec.kind),
      ['redis', 's3', 'http', 'memcached'],
    );
    assert.equal(specs[0]!.ttlSeconds, 3600);
    assert.equal(specs[0]!.prefix, 'team');
    assert.equal(specs[1]!.prefix, 'ci', 'the S3 path is the key prefix');
    assert.equal(specs[1]!.region, 'eu-west-1');
    assert.equal(specs[2]!.readOnly, true);
    assert.equal(specs[2]!.layout, 'bazel');
    assert.equal(specs[3]!.maxChunks, 4);
    assert.equal(specs[0]!.readOnly, false);
  });

  test('bad input gets a message naming the setting, the URL (masked) and the problem', () => {
    assert.throws(
      () => parseRemoteSpec('ftp://u:hunter22@h/x', 'WARMCC_REMOTE'),
      (error: Error) => /WARMCC_REMOTE: unsupported scheme 'ftp:'/.test(error.message) && !error.message.includes('hunter22'),
    );
    assert.throws(() => parseRemoteSpec('redis://h|readonly', 'WARMCC_REMOTE'), /unknown attribute 'readonly'.*known: read-only/);
    assert.throws(() => parseRemoteSpec('redis://h|timeout=fast', 'WARMCC_REMOTE'), /timeout expects a whole number/);
    assert.throws(() => parseRemoteSpec('redis://h|layout=flat', 'WARMCC_REMOTE'), /layout applies to http/);
    assert.throws(() => parseRemoteSpec('not a url', 'WARMCC_REMOTE'), /is not a URL/);
    assert.throws(() => loadConfig({ WARMCC_REMOTE: 'redis://h|read-only=maybe' }), /WARMCC_REMOTE \(redis:\/\/h\): read-only expects true or false/);
    assert.throws(() => parseRemoteSpec('redis://h/zero', 'WARMCC_REMOTE'), /database 'zero' is not a number/);
  });

  test('the same server twice (two prefixes) gets two names, so its stats stay apart', () => {
    const specs = parseRemoteList('redis://h/0|prefix=a redis://h/0|prefix=b', 'WARMCC_REMOTE');
    assert.deepEqual(
      specs.map((spec) => spec.display),
      ['redis://h/0', 'redis://h/0 #2'],
    );
  });

  test('credentials are masked in the display name and scrubbed from messages', () => {
    const redis = parseRemoteSpec('rediss://user:p%40ss-word@cache.example:6380/0', 'X');
    assert.equal(redis.display, 'rediss://***@cache.example:6380/0');
    assert.equal(scrubSecrets('auth failed for p@ss-word', redis.secrets), 'auth failed for ***');
    const s3 = parseRemoteSpec('s3://AKIDEXAMPLE:wJalrXUtnFEMI@bucket/prefix', 'X');
    assert.equal(s3.display, 's3://***@bucket/prefix');
    assert.ok(s3.secrets.includes('AKIDEXAMPLE') && s3.secrets.includes('wJalrXUtnFEMI'));
    const http = parseRemoteSpec('https://cache.example/warmcc?token=abc|bearer-token=tok-123456', 'X');
    assert.equal(http.display, 'https://cache.example/warmcc', 'query strings are not shown');
    assert.ok(http.secrets.includes('tok-123456'));
    assert.equal(parseRemoteSpec('redis+unix:///run/redis.sock?db=1', 'X').display, 'redis+unix:///run/redis.sock');
  });
});

describe('remote envelope', () => {
  const payload = Buffer.from('an entry');
  test('round-trips under its own key', () => {
    assert.deepEqual(unwrapRemoteEntry(KEY, wrapRemoteEntry(KEY, payload)), payload);
  });
  test('rejects garbage, truncation, a bit flip and a value filed under another key', () => {
    const wrapped = wrapRemoteEntry(KEY, payload);
    assert.throws(() => unwrapRemoteEntry(KEY, Buffer.from('<html>502 Bad Gateway</html>')), /not a warmcc remote entry/);
    assert.throws(() => unwrapRemoteEntry(KEY, wrapped.subarray(0, wrapped.length - 1)), /truncated/);
    const flipped = Buffer.from(wrapped);
    flipped[flipped.length - 1]! ^= 1;
    assert.throws(() => unwrapRemoteEntry(KEY, flipped), /checksum/);
    assert.throws(() => unwrapRemoteEntry('cd'.repeat(32), wrapped), /checksum/);
    const future = Buffer.from(wrapped);
    future.writeUInt16LE(99, 4);
    assert.throws(() => unwrapRemoteEntry(KEY, future), /version 99/);
  });
});

describe('circuit breaker', () => {
  test('opens after the threshold, lets one trial through after the cooldown, closes on success', () => {
    let now = 0;
    const breaker = new CircuitBreaker(3, 1000, () => now);
    assert.equal(breaker.failed(), false);
    assert.equal(breaker.failed(), false);
    assert.equal(breaker.allow(), true);
    assert.equal(breaker.failed(), true, 'the third consecutive failure opens it');
    assert.equal(breaker.allow(), false);
    now = 1000;
    assert.equal(breaker.state, 'half-open');
    assert.equal(breaker.allow(), true, 'one trial');
    assert.equal(breaker.allow(), false, 'only one');
    assert.equal(breaker.failed(), true, 'a failed trial opens it again');
    assert.equal(breaker.allow(), false);
    now = 2000;
    assert.equal(breaker.allow(), true);
    breaker.succeeded();
    assert.equal(breaker.state, 'closed');
    assert.equal(breaker.allow(), true);
  });
  test('a success resets the count of consecutive failures', () => {
    const breaker = new CircuitBreaker(2, 1000, () => 0);
    breaker.failed();
    breaker.succeeded();
    assert.equal(breaker.failed(), false);
  });
});

describe('HTTP layouts', () => {
  test("ccache's subdirs and flat, and bazel-remote's /ac/ with 64 hex digits", () => {
    const spec = (layout: string) => parseRemoteSpec(`http://h/base/|layout=${layout}`, 'X');
    assert.equal(httpPath(spec('subdirs'), KEY), `/base/ab/${KEY.slice(2)}`);
    assert.equal(httpPath(spec('flat'), KEY), `/base/${KEY}`);
    assert.equal(httpPath(spec('bazel'), 'abcdef0123'), `/base/ac/${'abcdef0123'.padStart(64, '0')}`);
    assert.throws(() => httpPath(spec('flat'), '../../etc/passwd'), /invalid cache key/);
  });
});

function recorder(): { tiers: Record<string, TierCounters>; tier(name: string, update: (c: TierCounters) => void): void } {
  const tiers: Record<string, TierCounters> = {};
  return { tiers, tier: (name, update) => update((tiers[name] ??= zeroTierCounters())) };
}

describe(
  'memcached item size (real memcached, its default 1 MiB items)',
  { skip: memcachedBinary ? undefined : missingMessage('memcached', 'memcached') },
  () => {
    let server: RunningServer;
    before(async () => {
      server = await startMemcached('1m');
    });
    after(async () => server?.stop());

    test('values over the item size are split into chunks and read back whole', async () => {
      const spec = parseRemoteSpec(server.url, 'X');
      const storage = new MemcachedStorage(spec);
      const value = randomBytes(2500 * 1024);
      const raw = memjs.Client.create(`127.0.0.1:${server.port}`, { retries: 0, logger: { log: () => {} } });
      try {
        await assert.rejects(raw.set('plain', value, {}), 'memcached itself refuses the value whole');
        await storage.put(KEY, value);
        const index = (await raw.get(`warmcc:${KEY}`)).value!;
        assert.ok(index.length < 64, 'the key holds a small index');
        assert.deepEqual(await storage.get(KEY), value);
        const small = randomBytes(1000);
        await storage.put(KEY, small);
        assert.deepEqual(await storage.get(KEY), small, 'a smaller value replaces the chunked one');
      } finally {
        raw.close();
        await storage.close();
      }
    });

    test('values needing more than max-chunks items are skipped with a counted reason', async () => {
      const spec = parseRemoteSpec(`${server.url}|max-chunks=2`, 'X');
      const storage = new MemcachedStorage(spec);
      await assert.rejects(storage.put(KEY, randomBytes(2500 * 1024)), (error) => isWriteSkipped(error));
      await storage.close();

      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-memtier-'));
      const stats = recorder();
      const pending: Promise<unknown>[] = [];
      const tiered = new TieredStorage(new LocalDiskStorage(dir, 1e9), [spec], { recorder: stats, log: () => {}, track: (work) => pending.push(work) });
      await tiered.put(KEY, randomBytes(2500 * 1024));
      await Promise.all(pending);
      await tiered.close();
      fs.rmSync(dir, { recursive: true, force: true });
      assert.deepEqual(stats.tiers[spec.display]!.writesSkipped, { 'larger than 2 memcached items': 1 });
      assert.equal(stats.tiers[spec.display]!.errors, 0, 'a skip is not an error');
      assert.equal(stats.tiers['local disk']!.writes, 1, 'the local tier has it');
    });
  },
);

describe('write-back into earlier tiers (two real Redis servers)', { skip: redisBinary ? undefined : missingMessage('redis-server', 'redis-server') }, () => {
  let first: RunningServer;
  let second: RunningServer;
  before(async () => {
    first = await startRedis();
    second = await startRedis();
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
  });

  test('a hit in the second remote is copied to local disk and to the first remote, not to a read-only one', async () => {
    const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-wb-')));
    const value = randomBytes(5000);
    const pending: Promise<unknown>[] = [];
    const track = (work: Promise<unknown>): void => void pending.push(work);
    const specs = [parseRemoteSpec(first.url, 'X'), parseRemoteSpec(second.url, 'X')];
    // fill only the second remote
    const writer = new TieredStorage(new LocalDiskStorage(dirs[0]!, 1e9), [specs[1]!], { recorder: recorder(), log: () => {}, track });
    await writer.put(KEY, value);
    await Promise.all(pending);
    await writer.close();

    const stats = recorder();
    const reader = new TieredStorage(new LocalDiskStorage(dirs[1]!, 1e9), specs, { recorder: stats, log: () => {}, track });
    assert.deepEqual(await reader.get(KEY), value);
    await Promise.all(pending);
    assert.equal(stats.tiers[specs[0]!.display]!.misses, 1);
    assert.equal(stats.tiers[specs[1]!.display]!.hits, 1);
    assert.equal(stats.tiers[specs[0]!.display]!.writes, 1, 'written back to the first remote');
    assert.equal(stats.tiers['local disk']!.writes, 1, 'and to local disk');
    assert.deepEqual(await reader.local.get(KEY), value);
    await reader.close();

    // with the first remote read-only, a fresh local tier: only local disk is written back
    const readOnlyStats = recorder();
    const specsReadOnlyFirst = [parseRemoteSpec(`${first.url}|read-only|prefix=other`, 'X'), specs[1]!];
    fs.rmSync(dirs[1]!, { recursive: true, force: true });
    const laptop = new TieredStorage(new LocalDiskStorage(dirs[1]!, 1e9), specsReadOnlyFirst, { recorder: readOnlyStats, log: () => {}, track });
    assert.deepEqual(await laptop.get(KEY), value);
    await Promise.all(pending);
    assert.equal(readOnlyStats.tiers[specsReadOnlyFirst[0]!.display]!.writes, 0);
    assert.equal(readOnlyStats.tiers['local disk']!.writes, 1);
    await laptop.close();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });
});

describe('remote writes behind a slow Redis (delay proxy)', { skip: redisBinary ? undefined : missingMessage('redis-server', 'redis-server') }, () => {
  let redis: RunningServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => redis?.stop());

  test('put returns once local disk has the value; the queue behind a slow tier is bounded in bytes and overflow is counted', async () => {
    const proxy = await startDelayProxy(redis.port, 1000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-queue-'));
    const spec = parseRemoteSpec(`redis://127.0.0.1:${proxy.port}/0|connect-timeout=5000|timeout=10000`, 'X');
    const stats = recorder();
    const pending: Promise<unknown>[] = [];
    const tiered = new TieredStorage(new LocalDiskStorage(dir, 1e9), [spec], {
      recorder: stats,
      log: () => {},
      track: (work) => pending.push(work),
      maxWritesInFlight: 2,
      maxQueuedBytes: 250_000,
    });
    try {
      const keys = Array.from({ length: 10 }, (_, n) => n.toString(16).padStart(64, '0'));
      for (const key of keys) await tiered.put(key, randomBytes(100_000));
      // every put has returned: all values are local, the slow tier is still busy
      assert.equal(stats.tiers['local disk']!.writes, 10);
      assert.equal(stats.tiers[spec.display]?.writes ?? 0, 0, 'no remote write finished yet (each takes several delayed round trips)');
      await Promise.all(pending);
      const remote = stats.tiers[spec.display]!;
      // 2 in flight + 2 queued (250 kB holds two 100 kB values), the other 6 skipped
      assert.equal(remote.writes, 4);
      assert.deepEqual(remote.writesSkipped, { 'write queue full': 6 });
      assert.equal(remote.errors + remote.timeouts, 0);
    } finally {
      await tiered.close();
      await proxy.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('warmcc.conf', () => {
  test('key = value lines under the environment; remote over several lines; clear errors with file and line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-conf-'));
    try {
      const file = path.join(dir, 'warmcc.conf');
      fs.writeFileSync(file, '# team cache\ncache_size = 2G\nremote = redis://cache:6379/0\n  remote = http://h/c|read-only  \nlog_level=debug\n');
      assert.deepEqual(readConfigFile(file), {
        WARMCC_CACHE_SIZE: '2G',
        WARMCC_REMOTE: 'redis://cache:6379/0 http://h/c|read-only',
        WARMCC_LOG_LEVEL: 'debug',
      });
      const config = loadConfig({ WARMCC_DIR: dir, WARMCC_LOG_LEVEL: 'error' });
      assert.equal(config.cacheSizeLimit, 2 * 1024 ** 3);
      assert.equal(config.logLevel, 'error', 'the environment wins');
      assert.deepEqual(
        config.remotes.map((r) => [r.display, r.readOnly]),
        [
          ['redis://cache:6379/0', false],
          ['http://h/c', true],
        ],
      );
      assert.deepEqual(loadConfig({ WARMCC_DIR: dir, WARMCC_REMOTE: '' }).remotes, [], "an empty WARMCC_REMOTE turns the file's tiers off");
      fs.writeFileSync(file, 'cache_size = 1G\nsocket = /tmp/x\n');
      assert.throws(
        () => loadConfig({ WARMCC_DIR: dir }),
        (error: Error) => error.message.startsWith(`${file}:2: unknown setting 'socket'`),
      );
      fs.writeFileSync(file, 'remote\n');
      assert.throws(() => readConfigFile(file), /warmcc\.conf:1: expected 'key = value'/);
      assert.deepEqual(readConfigFile(path.join(dir, 'absent.conf')), {});
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

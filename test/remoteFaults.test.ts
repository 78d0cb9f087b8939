// Remote tiers failing in the ways real ones do, with real servers started by the tests: a
// Redis stopped in the middle of a build, values replaced by garbage or cut short, a read-only
// tier, a remote behind a proxy that delays every packet, credentials that must not leak.
// A remote never fails a build and never costs the local result.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Redis } from 'ioredis';
import { clean, machine, OBJECT_COUNT, projectFiles, settle, type Machine } from './support/remoteMachine';
import {
  missingMessage,
  nginxBinary,
  redisBinary,
  startDelayProxy,
  startNginxDav,
  startRedis,
  type DelayProxy,
  type RunningServer,
} from './support/remoteServers';
import { waitFor } from './support/poll';
import { unwrapRemoteEntry } from '../wrapper/storage/remoteEnvelope';

const noRedis = redisBinary ? undefined : missingMessage('redis-server', 'redis-server');
const noNginx = nginxBinary ? undefined : missingMessage('nginx', 'nginx-light');

async function redisKeys(url: string): Promise<Map<string, Buffer>> {
  const client = new Redis(url);
  try {
    const keys = await client.keys('warmcc:*');
    const values = new Map<string, Buffer>();
    for (const key of keys) values.set(key, (await client.getBuffer(key))!);
    return values;
  } finally {
    client.disconnect();
  }
}

/** A build that compiles the first object, then waits at a gate until the test opens it. */
function gatedMakefile(): Record<string, string> {
  const objects = Object.keys(projectFiles())
    .filter((name) => name.endsWith('.c'))
    .map((name) => name.replace(/^src\//, 'build/').replace(/\.c$/, '.o'));
  const [first, ...rest] = objects;
  return {
    Makefile: `FIRST = ${first}\nREST = ${rest.join(' ')}\nprogram: $(FIRST) gate $(REST)\n\tgcc -o $@ $(FIRST) $(REST)\n.PHONY: gate\ngate: $(FIRST)\n\t@touch waiting; while [ ! -f go ]; do sleep 0.1; done\n$(REST): | gate\nbuild/%.o: src/%.c include/shapes.h\n\t@mkdir -p build\n\t$(WARMCC) gcc -O2 -Wall -Iinclude -c $< -o $@\n`,
  };
}

describe('Redis stopped in the middle of a build', { skip: noRedis }, () => {
  let redis: RunningServer;
  let m: Machine;
  before(async () => {
    redis = await startRedis();
    m = machine('rdown', redis.url, {}, gatedMakefile());
  });
  after(async () => {
    m?.sandbox.cleanup();
    await redis?.stop();
  });

  test('the build succeeds, the errors are counted, the circuit opens, and the local results stay', async () => {
    const build = m.build({}, ['-j1']);
    await waitFor(() => fs.existsSync(path.join(m.project, 'waiting')), { timeoutMs: 60_000, what: 'the build to reach its gate' });
    // the first object's upload runs after its compile answered: let it land before the stop
    await waitFor(() => m.remoteTier().writes >= 1, { timeoutMs: 30_000, what: 'the first object to reach Redis', state: () => m.remoteTier() });
    await redis.stop();
    fs.writeFileSync(path.join(m.project, 'go'), '');
    await build;
    settle(m);
    const stats = m.stats();
    assert.equal(stats.cacheMisses, OBJECT_COUNT, 'every object compiled');
    assert.equal(stats.cacheReadErrors + stats.cacheWriteErrors + stats.internalErrors, 0, 'the remote failure is not a cache failure of the build');
    const remote = m.remoteTier();
    assert.equal(remote.writes, 1, 'only the object compiled before the stop reached Redis');
    assert.ok(remote.errors + remote.timeouts >= 3, `failures counted (errors ${remote.errors}, timeouts ${remote.timeouts})`);
    assert.ok(remote.circuitOpenings >= 1, 'the circuit opened');
    assert.ok(remote.skippedOpenCircuit >= 1, 'later operations skipped the dead tier');
    assert.equal(m.localTier().writes, OBJECT_COUNT, 'every result was stored locally');

    // Redis still down: the next build is served entirely from local disk
    clean(m);
    fs.rmSync(path.join(m.project, 'waiting'));
    await m.build({}, ['-j1']);
    assert.equal(m.stats().cacheHits, OBJECT_COUNT);
    const log = fs.readFileSync(m.sandbox.logFile, 'utf8');
    assert.match(log, /circuit open/, 'the log says the tier is being skipped');
  });
});

describe('remote values that are garbage or cut short', { skip: noRedis ?? noNginx }, () => {
  let redis: RunningServer;
  let nginx: RunningServer & { root: string };
  const machines: Machine[] = [];
  before(async () => {
    redis = await startRedis();
    nginx = await startNginxDav();
  });
  after(async () => {
    for (const m of machines) m.sandbox.cleanup();
    await redis?.stop();
    await nginx?.stop();
  });

  test('Redis returning garbage: a miss per entry, counted as corrupt, a recompile and the correct object', async () => {
    const a = machine('garbA', redis.url);
    const b = machine('garbB', redis.url);
    machines.push(a, b);
    await a.build();
    settle(a);
    const stored = await redisKeys(redis.url);
    assert.equal(stored.size, OBJECT_COUNT);
    const client = new Redis(redis.url);
    let n = 0;
    for (const [key, value] of stored) {
      // alternately: foreign bytes, and our own value with its last half missing
      await client.set(key, n++ % 2 ? Buffer.from('not a warmcc value') : value.subarray(0, value.length >> 1));
    }
    client.disconnect();
    await b.build();
    settle(b);
    const stats = b.stats();
    assert.equal(stats.cacheHits, 0, 'nothing served from a bad value');
    assert.equal(stats.cacheMisses, OBJECT_COUNT);
    assert.equal(b.remoteTier().corrupt, OBJECT_COUNT, 'each bad value counted');
    assert.deepEqual(b.objects(), a.objects(), 'the recompiled objects are the correct ones');
    // B's recompile wrote good values back: the remote is repaired
    const repaired = await redisKeys(redis.url);
    assert.equal(repaired.size, OBJECT_COUNT);
    for (const [key, value] of repaired) assert.doesNotThrow(() => unwrapRemoteEntry(key.replace(/^warmcc:/, ''), value), `value of ${key} repaired`);
  });

  test('nginx serving truncated files: a miss, a recompile and the correct object', async () => {
    const a = machine('truncA', nginx.url);
    const b = machine('truncB', nginx.url);
    machines.push(a, b);
    await a.build();
    settle(a);
    const files = fs.readdirSync(nginx.root, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile());
    assert.equal(files.length, OBJECT_COUNT, "ccache's subdirs layout: one file per entry");
    for (const entry of files) {
      const file = path.join(entry.parentPath, entry.name);
      fs.truncateSync(file, fs.statSync(file).size - 1);
    }
    await b.build();
    settle(b);
    assert.equal(b.stats().cacheHits, 0);
    assert.equal(b.remoteTier().corrupt, OBJECT_COUNT);
    assert.deepEqual(b.objects(), a.objects());
  });
});

describe('a read-only tier (CI writes, laptops only read)', { skip: noRedis }, () => {
  let redis: RunningServer;
  const machines: Machine[] = [];
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    for (const m of machines) m.sandbox.cleanup();
    await redis?.stop();
  });

  test('is never written: not on a miss, not on a write-back, not on a forced recache', async () => {
    const laptop = machine('roLap', `${redis.url}|read-only`);
    machines.push(laptop);
    await laptop.build();
    settle(laptop);
    assert.equal((await redisKeys(redis.url)).size, 0, 'a read-only tier stays empty after misses');
    assert.equal(laptop.remoteTier().writes, 0);
    assert.equal(laptop.remoteTier().readOnly, true);

    const ci = machine('roCI', redis.url);
    machines.push(ci);
    await ci.build();
    settle(ci);
    const filled = await redisKeys(redis.url);
    assert.equal(filled.size, OBJECT_COUNT);

    const laptop2 = machine('roLap2', `${redis.url}|read-only`);
    machines.push(laptop2);
    await laptop2.build();
    settle(laptop2);
    assert.equal(laptop2.stats().cacheHits, OBJECT_COUNT, "the laptop reads CI's results");
    assert.equal(laptop2.localTier().writes, OBJECT_COUNT, 'and keeps them locally');
    clean(laptop2);
    await laptop2.build({ WARMCC_RECACHE: '1' });
    settle(laptop2);
    assert.equal(laptop2.stats().forcedRecaches, OBJECT_COUNT);
    assert.equal(laptop2.remoteTier().writes, 0, 'a recache on the laptop does not write the read-only tier');
    const after = await redisKeys(redis.url);
    for (const [key, value] of filled) assert.ok(after.get(key)?.equals(value), `${key} unchanged`);
  });

  test('WARMCC_RECACHE on a writable machine refreshes the remote entries', async () => {
    const ci = machine('rcCI', redis.url);
    machines.push(ci);
    await ci.build({ WARMCC_RECACHE: '1' });
    settle(ci);
    const stats = ci.stats();
    assert.equal(stats.forcedRecaches, OBJECT_COUNT);
    assert.equal(ci.remoteTier().reads, 0, 'a recache does not read');
    assert.equal(ci.remoteTier().writes, OBJECT_COUNT, 'and overwrites every remote entry');
  });
});

describe('a slow remote (nginx behind a proxy that delays every packet by 5 s)', { skip: noNginx }, () => {
  let nginx: RunningServer;
  let proxy: DelayProxy;
  let m: Machine;
  before(async () => {
    nginx = await startNginxDav();
    proxy = await startDelayProxy(nginx.port, 5000);
    m = machine('slow', `http://127.0.0.1:${proxy.port}/cache|connect-timeout=100|timeout=300`);
  });
  after(async () => {
    m?.sandbox.cleanup();
    await proxy?.stop();
    await nginx?.stop();
  });

  test('costs at most the timeouts until the circuit opens, then nothing', async () => {
    await m.build();
    settle(m);
    const stats = m.stats();
    assert.equal(stats.cacheMisses, OBJECT_COUNT, 'the build completed');
    const remote = m.remoteTier();
    assert.equal(remote.hits + remote.misses, 0, 'no answer arrived in time');
    assert.ok(remote.timeouts >= 3, `requests ended at the timeout (${remote.timeouts})`);
    assert.equal(remote.errors, 0, 'as timeouts, not other errors');
    assert.ok(remote.circuitOpenings >= 1);
    assert.ok(remote.skippedOpenCircuit >= 1, 'later requests did not wait at all');
    assert.equal(m.localTier().writes, OBJECT_COUNT);
  });
});

describe('credentials', { skip: noRedis }, () => {
  const secret = 'Sup3r-s3cret-pw';
  let redis: RunningServer;
  const machines: Machine[] = [];
  before(async () => {
    redis = await startRedis(['--requirepass', secret]);
  });
  after(async () => {
    for (const m of machines) m.sandbox.cleanup();
    await redis?.stop();
  });

  for (const [title, password] of [
    ['a correct password', secret],
    ['a wrong password', 'Wr0ng-pw-guess'],
  ] as const) {
    test(`with ${title}, never appear in -s, JSON stats, --show-config, the server log or the stats file`, async () => {
      const m = machine(password === secret ? 'credOk' : 'credBad', redis.url.replace('redis://', `redis://:${password}@`));
      machines.push(m);
      await m.build();
      const remote = m.remoteTier();
      if (password === secret) assert.equal(remote.errors, 0, 'authenticated');
      else assert.ok(remote.errors >= 1, 'the refused login is counted');
      const shown = [
        m.sandbox.run(['-s']).stdout,
        m.sandbox.run(['-s', '--stats-format', 'json']).stdout,
        m.sandbox.run(['--show-config']).stdout,
        m.sandbox.run(['--show-config', '--stats-format', 'json']).stdout,
      ];
      assert.match(shown[0]!, /redis:\/\/\*\*\*@127\.0\.0\.1/, '-s names the tier with its credentials masked');
      settle(m);
      shown.push(fs.readFileSync(m.sandbox.logFile, 'utf8'));
      const statsDir = path.join(m.sandbox.cacheDir, 'stats');
      for (const file of fs.readdirSync(statsDir)) shown.push(fs.readFileSync(path.join(statsDir, file), 'utf8'));
      for (const text of shown) assert.ok(!text.includes(password), `no password in: ${text.slice(0, 200)}`);
    });
  }
});

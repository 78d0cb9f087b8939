// Remote tiers with real servers started by the tests on loopback: redis-server, memcached,
// nginx with WebDAV PUT, and (no S3 server can be installed here) the S3 protocol emulator
// s3rver. Two "machines" are two warmcc servers with their own local cache directories and
// their own copies of a project, sharing one remote.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { clean, machine, OBJECT_COUNT, settle, type Machine } from './support/remoteMachine';
import {
  memcachedBinary,
  missingMessage,
  nginxBinary,
  redisBinary,
  startMemcached,
  startNginxDav,
  startRedis,
  startS3Emulator,
  type RunningServer,
} from './support/remoteServers';

const backends: { name: string; missing: string | undefined; start: () => Promise<RunningServer> }[] = [
  { name: 'Redis (redis-server)', missing: redisBinary ? undefined : missingMessage('redis-server', 'redis-server'), start: startRedis },
  { name: 'memcached', missing: memcachedBinary ? undefined : missingMessage('memcached', 'memcached'), start: () => startMemcached() },
  { name: 'HTTP (nginx WebDAV PUT)', missing: nginxBinary ? undefined : missingMessage('nginx', 'nginx-light'), start: startNginxDav },
  { name: 'S3 protocol emulator (s3rver from npm, not a real S3)', missing: undefined, start: () => startS3Emulator('warmcc-test') },
];

for (const backend of backends) {
  describe(`two machines sharing ${backend.name}`, { skip: backend.missing }, () => {
    let server: RunningServer;
    let a: Machine;
    let b: Machine;
    before(async () => {
      server = await backend.start();
      a = machine('tierA', server.url);
      b = machine('tierB', server.url);
    });
    after(async () => {
      a?.sandbox.cleanup();
      b?.sandbox.cleanup();
      await server?.stop();
    });

    test("machine B's build is all remote hits after machine A built, with byte-identical objects; B's local tier is then filled", async () => {
      await a.build();
      settle(a);
      const aStats = a.stats();
      assert.equal(aStats.cacheMisses, OBJECT_COUNT, 'A compiled everything');
      const aRemote = a.remoteTier();
      assert.equal(aRemote.writes, OBJECT_COUNT, 'A wrote every entry to the remote');
      assert.equal(aRemote.errors + aRemote.timeouts, 0);

      await b.build();
      settle(b);
      const bStats = b.stats();
      assert.equal(bStats.cacheHits, OBJECT_COUNT, 'every compile on B was a hit');
      assert.equal(bStats.cacheMisses, 0);
      const bLocal = b.localTier();
      const bRemote = b.remoteTier();
      assert.equal(bRemote.hits, OBJECT_COUNT, 'the hits came from the remote tier');
      assert.equal(bLocal.hits, 0, "B's local tier started empty");
      assert.equal(bLocal.writes, OBJECT_COUNT, 'every remote hit was written back to local disk');
      assert.ok(bRemote.bytesRead > 0 && bRemote.averageReadMs > 0);
      assert.deepEqual(b.objects(), a.objects(), 'byte-identical objects on both machines');

      // B again, from its own local tier now, without asking the remote
      clean(b);
      await b.build();
      settle(b);
      const again = b.stats();
      assert.equal(again.cacheHits, 2 * OBJECT_COUNT);
      assert.equal(b.localTier().hits, OBJECT_COUNT, 'the second build hit local disk');
      assert.equal(b.remoteTier().reads, OBJECT_COUNT, 'the remote was not asked again');
    });
  });
}

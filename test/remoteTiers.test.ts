// Remote tiers with real servers started by the tests on loopback: redis-server, memcached,
// nginx with WebDAV PUT, and (no S3 server can be installed here) the S3 protocol emulator
// s3rver. Two "machines" are two warmcc servers with their own local cache directories and
// their own copies of a project, sharing one remote.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TierSnapshot } from '../wrapper/contract/stats';
import { ageFiles } from './support/warmccEnv';
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
  selfSignedCertificate,
  type RunningServer,
} from './support/remoteServers';

const noRedis = redisBinary ? undefined : missingMessage('redis-server', 'redis-server');
const noNginx = nginxBinary ? undefined : missingMessage('nginx', 'nginx-light');

const backends: { name: string; missing: string | undefined; start: () => Promise<RunningServer> }[] = [
  { name: 'Redis (redis-server)', missing: noRedis, start: () => startRedis() },
  { name: 'memcached', missing: memcachedBinary ? undefined : missingMessage('memcached', 'memcached'), start: () => startMemcached() },
  { name: 'HTTP (nginx WebDAV PUT)', missing: noNginx, start: () => startNginxDav() },
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

/** One machine builds once; the stats row of its remote tier after its writes finished. */
async function buildOnce(name: string, remote: string, env: Record<string, string> = {}): Promise<{ m: Machine; remote: TierSnapshot }> {
  const m = machine(name, remote, env);
  try {
    await m.build();
    settle(m);
    return { m, remote: m.remoteTier() };
  } finally {
    m.sandbox.cleanup();
  }
}

describe('HTTP credentials and https (nginx)', { skip: noNginx }, () => {
  const servers: RunningServer[] = [];
  let certDir: string;
  after(async () => {
    for (const server of servers) await server.stop();
    if (certDir) fs.rmSync(certDir, { recursive: true, force: true });
  });

  test('Basic auth from the URL: accepted with the right password, counted errors with a wrong one', async () => {
    const server = await startNginxDav({ basicAuth: { user: 'ci', password: 'pa55-word' } });
    servers.push(server);
    const good = await buildOnce('basicOk', server.url.replace('http://', 'http://ci:pa55-word@'));
    assert.equal(good.remote.writes, OBJECT_COUNT);
    assert.equal(good.remote.errors, 0);
    const bad = await buildOnce('basicBad', server.url.replace('http://', 'http://ci:wrong-pw@'));
    assert.equal(bad.remote.hits + bad.remote.writes, 0, 'nothing read or written without the password');
    assert.ok(bad.remote.errors >= 1, 'the 401s are counted');
  });

  test('a bearer token: accepted when right, refused (and counted) when missing', async () => {
    const server = await startNginxDav({ bearerToken: 'tok-3141592' });
    servers.push(server);
    const good = await buildOnce('bearerOk', `${server.url}|bearer-token=tok-3141592`);
    assert.equal(good.remote.writes, OBJECT_COUNT);
    const missing = await buildOnce('bearerNo', server.url);
    assert.equal(missing.remote.writes, 0);
    assert.ok(missing.remote.errors >= 1);
  });

  test('https with a private CA: trusted through NODE_EXTRA_CA_CERTS, refused (and counted) without it', async () => {
    certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-cert-'));
    const tls = selfSignedCertificate(certDir);
    assert.ok(tls, 'openssl is installed (Debian openssl, a dependency of nginx and ca-certificates)');
    const server = await startNginxDav({ tls });
    servers.push(server);
    assert.match(server.url, /^https:/);
    const trusted = await buildOnce('httpsOk', server.url, { NODE_EXTRA_CA_CERTS: tls.cert });
    assert.equal(trusted.remote.writes, OBJECT_COUNT);
    assert.equal(trusted.remote.errors, 0);
    const untrusted = await buildOnce('httpsNo', server.url);
    assert.equal(untrusted.remote.writes, 0);
    assert.ok(untrusted.remote.errors >= 1, 'certificate errors are counted');
  });
});

describe('Redis over a Unix socket (redis+unix://)', { skip: noRedis }, () => {
  let server: RunningServer;
  let socketDir: string;
  before(async () => {
    socketDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-rsock-'));
    server = await startRedis(['--unixsocket', path.join(socketDir, 'redis.sock'), '--unixsocketperm', '700']);
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(socketDir, { recursive: true, force: true });
  });

  test('two machines share results through the socket', async () => {
    const url = `redis+unix://${path.join(socketDir, 'redis.sock')}?db=3`;
    const a = await buildOnce('unixA', url);
    assert.equal(a.remote.writes, OBJECT_COUNT);
    const b = machine('unixB', url);
    try {
      await b.build();
      assert.equal(b.stats().cacheHits, OBJECT_COUNT);
      assert.equal(b.remoteTier().hits, OBJECT_COUNT);
    } finally {
      b.sandbox.cleanup();
    }
  });
});

describe('remote tiers from $WARMCC_DIR/warmcc.conf', { skip: noRedis }, () => {
  let server: RunningServer;
  before(async () => {
    server = await startRedis();
  });
  after(async () => server?.stop());

  test("a server started with no WARMCC_REMOTE uses the file's tier", async () => {
    const m = machine('conf', undefined);
    try {
      fs.mkdirSync(m.sandbox.cacheDir, { recursive: true });
      fs.writeFileSync(path.join(m.sandbox.cacheDir, 'warmcc.conf'), `# shared team cache\nremote = ${server.url}\n`);
      await m.build();
      settle(m);
      assert.equal(m.remoteTier().writes, OBJECT_COUNT);
    } finally {
      m.sandbox.cleanup();
    }
  });
});

describe('direct mode through a remote tier', { skip: noRedis }, () => {
  let server: RunningServer;
  let checkout: string;
  before(async () => {
    server = await startRedis();
    checkout = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-checkout-'));
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(checkout, { recursive: true, force: true });
  });

  test('machine B, with the project at the same path (CI containers), gets direct hits from the manifests machine A stored', async () => {
    const project = path.join(checkout, 'src');
    const a = machine('directA', server.url, { WARMCC_DIRECT: '1' }, {}, project);
    // a checkout an hour old
    ageFiles(
      fs
        .readdirSync(project, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile())
        .map((entry) => path.join(entry.parentPath, entry.name)),
      3600,
    );
    try {
      await a.build();
      settle(a);
      assert.equal(a.stats().cacheMisses, OBJECT_COUNT);
    } finally {
      a.sandbox.cleanup();
    }
    fs.rmSync(project, { recursive: true, force: true });
    const b = machine('directB', server.url, { WARMCC_DIRECT: '1' }, {}, project);
    try {
      await b.build();
      settle(b);
      const stats = b.stats();
      assert.equal(stats.directHits, OBJECT_COUNT, 'every compile a direct hit, no preprocessor run');
      // a manifest and a result per compile, both from Redis
      assert.equal(b.remoteTier().hits, 2 * OBJECT_COUNT);
    } finally {
      b.sandbox.cleanup();
    }
  });
});

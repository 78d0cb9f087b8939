// A miss replies before its result is stored; a request for the same source arriving at once
// waits for that store instead of missing behind it (wrapper/server/pendingStores.ts).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as settle } from 'node:timers/promises';
import { handleCompileRequest } from '../wrapper/pipeline/compileRequest';
import { compileSettings, type CompileContext } from '../wrapper/pipeline/context';
import { PendingStores } from '../wrapper/pipeline/pendingStores';
import { Stats } from '../wrapper/server/stats';
import { loadConfig } from '../wrapper/config/config';
import type { CompileRequest } from '../wrapper/contract/protocol';
import { LocalDiskStorage } from '../wrapper/storage/localDiskStorage';
import type { CacheStorage } from '../wrapper/storage/storage';
import { ageFiles, which, writeFiles } from './support/warmccEnv';

describe('PendingStores', () => {
  test('settled() waits for every store of that source, whatever their outcome, and forgets them after', async () => {
    const tracked: Promise<unknown>[] = [];
    const stores = new PendingStores((work) => tracked.push(work));
    assert.equal(stores.settled('/a.c'), undefined, 'nothing pending');
    let finished = 0;
    stores.add(
      '/a.c',
      settle(30).then(() => finished++),
    );
    stores.add(
      '/a.c',
      settle(60)
        .then(() => Promise.reject(new Error('disk full')))
        .finally(() => finished++),
    );
    stores.add('/b.c', settle(500));
    assert.equal(tracked.length, 3, 'shutdown is told about every store');
    await stores.settled('/a.c');
    assert.equal(finished, 2, 'both stores of a.c settled, the failed one too');
    await settle(0);
    assert.equal(stores.settled('/a.c'), undefined, 'a.c is forgotten once its stores settled');
    assert.ok(stores.settled('/b.c'), 'b.c still pending');
    assert.equal(stores.size, 1);
  });

  test('settled() gives up after its bound: a stuck store does not stall the request', async () => {
    const stores = new PendingStores();
    stores.add('/stuck.c', new Promise(() => {}));
    const started = performance.now();
    await stores.settled('/stuck.c', 100);
    const waited = performance.now() - started;
    assert.ok(waited >= 90 && waited < 2000, `waited ${waited.toFixed(0)} ms for a 100 ms bound`);
    assert.equal(stores.size, 1, 'the stuck store is still pending');
  });
});

// In-process: the real compile path with real gcc and a real local disk whose writes are held
// back (a test double for a slow disk: nothing here can make a real disk slow on demand).
describe('a compile repeated while its store is still running', { skip: which('gcc') ? false : 'gcc not installed' }, () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-pending-'));
    writeFiles(dir, { 'src/p.c': '#include "p.h"\nint p(void) { return P; }\n', 'src/p.h': '#define P 3\n' });
    // written before the compiles start, so the direct-mode manifest is recorded too
    ageFiles(['src/p.c', 'src/p.h'].map((file) => path.join(dir, file)));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const mode of ['direct', 'preprocessor', 'depend'] as const) {
    test(`${mode} mode: the second request waits for the first one's store and is a hit`, async () => {
      const cacheDir = path.join(dir, `cache-${mode}`);
      const disk = new LocalDiskStorage(cacheDir, 1e9);
      const held: Promise<void>[] = [];
      const slowDisk: CacheStorage = {
        name: 'local disk (writes held back 300 ms)',
        get: (key) => disk.get(key),
        remove: (key) => disk.remove(key),
        put: (key, data) => {
          const write = settle(300).then(() => disk.put(key, data));
          held.push(write);
          return write;
        },
      };
      const stats = new Stats(path.join(cacheDir, 'stats.json'), () => {});
      const config = loadConfig({ WARMCC_DIR: cacheDir, WARMCC_DIRECT: mode === 'preprocessor' ? '0' : '1', WARMCC_DEPEND: mode === 'depend' ? '1' : '0' });
      const context: CompileContext = {
        storage: slowDisk,
        stats,
        log: (message) => assert.fail(`unexpected server log: ${message}`),
        debug: () => {},
        ...compileSettings(config),
        compiled: () => {},
        stores: new PendingStores(),
      };
      const request: CompileRequest = {
        stdoutIsTty: false,
        stderrIsTty: false,
        cwd: path.join(dir, 'src'),
        argv: [which('gcc')!, '-c', 'p.c', '-o', `p-${mode}.o`],
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', LC_ALL: 'C' },
        pid: process.pid,
        umask: 0o022,
      };
      const signal = new AbortController().signal;
      const first = await handleCompileRequest(request, context, signal);
      assert.equal(first.kind, 'exit');
      const object = fs.readFileSync(path.join(dir, 'src', `p-${mode}.o`));
      assert.ok(context.stores.settled(path.join(dir, 'src', 'p.c')), 'the first reply came while its store was held back');
      fs.rmSync(path.join(dir, 'src', `p-${mode}.o`));

      const second = await handleCompileRequest(request, context, signal);
      assert.equal(second.kind, 'exit');
      assert.equal(stats.counters.cacheMisses, 1, 'one miss: the first request');
      assert.equal(stats.counters.cacheHits, 1, 'the second request is a hit');
      if (mode !== 'preprocessor') assert.equal(stats.counters.directHits, 1, 'found through the manifest the first request stored');
      assert.deepEqual(fs.readFileSync(path.join(dir, 'src', `p-${mode}.o`)), object, 'the same object');
      await Promise.all(held);
    });
  }
});

/// <reference types="mocha" />
// The stats the extension shows come from the same server a terminal's `warmcc -s` asks, over the
// language client; and the server pushes warmcc/statsChanged while a build runs, so the status
// bar moves without polling.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import type { StatsSnapshot } from '../../wrapper/contract/stats';
import { cliStats, runClient, runningServerPid, scratchDir, waitFor, workspaceServer } from './helpers';

/** what must be equal between two snapshots of one server taken with nothing compiling in between */
const SAME_SERVER_FIELDS = [
  'serverPid',
  'serverStartedAt',
  'socketPath',
  'cacheDir',
  'version',
  'since',
  'compileRequests',
  'requestsExecuted',
  'cacheHits',
  'cacheMisses',
  'hitsByLanguage',
  'missesByLanguage',
  'notCacheable',
  'compileFailures',
  'cacheReadErrors',
  'cacheWriteErrors',
  'corruptEntries',
  'forcedRecaches',
  'internalErrors',
  'totalHitMs',
  'totalMissMs',
  'compileMsSaved',
  'cacheEntries',
  'cacheBytes',
  'cacheLimitBytes',
] as const satisfies readonly (keyof StatsSnapshot)[];

function pick(snapshot: StatsSnapshot): Partial<StatsSnapshot> {
  return Object.fromEntries(SAME_SERVER_FIELDS.map((field) => [field, snapshot[field]]));
}

describe('stats through the language client', () => {
  let server: WorkspaceServer;
  let scratch: ReturnType<typeof scratchDir>;

  before(async () => {
    server = await workspaceServer();
    await runningServerPid(server);
    scratch = scratchDir('stats');
  });

  after(() => scratch.remove());

  async function compileOnce(name: string, body: string): Promise<void> {
    fs.writeFileSync(path.join(scratch.dir, name), body);
    const result = await runClient(server, ['gcc', '-c', name, '-o', name.replace(/\.c$/, '.o')], scratch.dir);
    assert.equal(result.code, 0, result.stderr);
  }

  it('server.refresh() returns the counters `warmcc -s --stats-format json` shows (same server, same numbers)', async () => {
    const initial = await server.refresh();
    await compileOnce('counted.c', 'int counted(void) { return 7; }\n');
    // settle: the server stores the entry after replying
    await waitFor(async () => (await server.refresh()).cacheEntries > initial.cacheEntries, {
      timeoutMs: 10_000,
      what: 'the cache entry to be stored',
      state: () => server.snapshot?.cacheEntries,
    });
    const viaClient = await server.refresh();
    const viaCli = cliStats(server);
    assert.equal(viaClient.compileRequests, initial.compileRequests + 1);
    assert.equal(viaClient.cacheMisses, initial.cacheMisses + 1);
    assert.deepEqual(pick(viaClient), pick(viaCli));
    // and the extension's cached snapshot is the one refresh() returned
    assert.deepEqual(server.snapshot && pick(server.snapshot), pick(viaClient));
  });

  it('receives warmcc/statsChanged pushes during a build without calling refresh()', async () => {
    const requests = (await server.refresh()).compileRequests;
    // refresh() must not be what updates the snapshot from here on
    let refreshes = 0;
    // the very method, to check it is restored
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const original = server.refresh;
    server.refresh = function (this: WorkspaceServer) {
      refreshes++;
      return original.call(this);
    };
    try {
      let changes = 0;
      const subscription = server.onDidChange(() => changes++);
      try {
        await compileOnce('pushed.c', 'int pushed(void) { return 8; }\n');
        const snapshot = await waitFor(
          () => {
            const latest = server.snapshot;
            return latest && latest.compileRequests > requests ? latest : undefined;
          },
          { timeoutMs: 10_000, what: 'a pushed snapshot counting the compile', state: () => server.snapshot?.compileRequests, wakeOn: server.onDidChange },
        );
        assert.equal(snapshot.compileRequests, requests + 1);
        assert.ok(changes > 0, 'onDidChange fired');
      } finally {
        subscription.dispose();
      }
      assert.equal(refreshes, 0, 'nothing called refresh() meanwhile');
    } finally {
      // the instance property shadowed the prototype method: remove it
      delete (server as Partial<Pick<WorkspaceServer, 'refresh'>>).refresh;
    }
    // eslint-disable-next-line @typescript-eslint/unbound-method
    assert.equal(server.refresh, original);
  });
});

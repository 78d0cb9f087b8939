// One socket-path rule for every party: the native client (bin/warmcc --socket-path, computed in
// C), the Node CLI (bin/warmcc-node --socket-path) and wrapper/contract/socketPath.ts agree under
// every combination of WARMCC_SOCKET, XDG_RUNTIME_DIR and TMPDIR, and match the documented rule.
// End to end: a compile through the C client and `warmcc -s` through the Node CLI, with different
// TMPDIRs, reach one and the same server (they once started two).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { socketPath } from '../wrapper/contract/socketPath';
import type { StatsSnapshot } from '../wrapper/contract/stats';
import { cleanEnv, nodeClientBin, warmccBin, writeFiles } from './support/warmccEnv';

const uid = process.getuid?.() ?? 0;
// without a C compiler at build time bin/warmcc is the Node client's script: nothing native to hold to the rule
const nativeClientBuilt = fs.readFileSync(warmccBin).subarray(0, 4).equals(Buffer.from('\x7fELF', 'latin1'));
const skipNative = nativeClientBuilt ? false : 'bin/warmcc is the Node client script (no C compiler at build time), not the native client';
const tmpDefaultDir = `/tmp/warmcc-${uid}`;
const tmpDefaultSocket = `${tmpDefaultDir}/server.sock`;

// short base: Unix socket paths are limited to 107 bytes
const scratch = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-sock-')));
after(() => fs.rmSync(scratch, { recursive: true, force: true }));

/** An environment without any of the three variables, plus `settings` (undefined: unset). */
function envWith(settings: Record<string, string | undefined>): Record<string, string> {
  const env = cleanEnv();
  for (const name of ['WARMCC_SOCKET', 'XDG_RUNTIME_DIR', 'TMPDIR']) delete env[name];
  for (const [name, value] of Object.entries(settings)) if (value !== undefined) env[name] = value;
  return env;
}

function run(client: string, args: string[], env: Record<string, string>, cwd: string): SpawnSyncReturns<string> {
  return spawnSync(client, args, { cwd, env, encoding: 'utf8', timeout: 60_000 });
}

/** The socket a client prints, or a failure naming the client and its stderr. */
function printedSocketPath(client: string, env: Record<string, string>, cwd: string): string {
  const result = run(client, ['--socket-path'], env, cwd);
  assert.equal(result.status, 0, `${path.basename(client)} --socket-path failed: ${result.stderr}`);
  assert.equal(result.stderr, '', `${path.basename(client)} --socket-path wrote to stderr`);
  assert.match(result.stdout, /^[^\n]+\n$/, `${path.basename(client)} --socket-path prints one line`);
  return result.stdout.slice(0, -1);
}

function canConnect(socket: string): Promise<boolean> {
  return new Promise((resolve) => {
    const connection = net.connect(socket);
    connection.once('connect', () => {
      connection.destroy();
      resolve(true);
    });
    connection.once('error', () => resolve(false));
  });
}

describe('every client computes the same socket path', () => {
  const cwd = path.join(scratch, 'cwd');
  const runtimeDir = path.join(scratch, 'xdg');
  const tmpDir = path.join(scratch, 'var-tmp');
  before(() => {
    for (const dir of [cwd, runtimeDir, tmpDir]) fs.mkdirSync(dir, { mode: 0o700 });
  });

  // each value with the socket the documented rule gives for it (undefined: the next rule decides)
  const socketSettings: { name: string; value: string | undefined; expected: string | undefined }[] = [
    { name: 'WARMCC_SOCKET unset', value: undefined, expected: undefined },
    { name: 'WARMCC_SOCKET empty', value: '', expected: undefined },
    { name: 'WARMCC_SOCKET absolute', value: path.join(scratch, 'custom', 'abs.sock'), expected: path.join(scratch, 'custom', 'abs.sock') },
    { name: 'WARMCC_SOCKET relative', value: 'run/rel.sock', expected: `${cwd}/run/rel.sock` },
  ];
  const runtimeSettings: { name: string; value: string | undefined; expected: string | undefined }[] = [
    { name: 'XDG_RUNTIME_DIR unset', value: undefined, expected: undefined },
    { name: 'XDG_RUNTIME_DIR empty', value: '', expected: undefined },
    { name: 'XDG_RUNTIME_DIR absolute', value: runtimeDir, expected: `${runtimeDir}/warmcc/server.sock` },
    { name: 'XDG_RUNTIME_DIR absolute with trailing slashes', value: `${runtimeDir}//`, expected: `${runtimeDir}/warmcc/server.sock` },
    { name: 'XDG_RUNTIME_DIR relative', value: 'relative/runtime', expected: undefined },
  ];
  const tmpSettings = [
    { name: 'TMPDIR unset', value: undefined },
    { name: 'TMPDIR set', value: tmpDir },
  ];

  for (const socketSetting of socketSettings) {
    for (const runtimeSetting of runtimeSettings) {
      for (const tmpSetting of tmpSettings) {
        test(`${socketSetting.name}, ${runtimeSetting.name}, ${tmpSetting.name}`, { skip: skipNative }, () => {
          const env = envWith({ WARMCC_SOCKET: socketSetting.value, XDG_RUNTIME_DIR: runtimeSetting.value, TMPDIR: tmpSetting.value });
          const expected = socketSetting.expected ?? runtimeSetting.expected ?? tmpDefaultSocket;
          assert.equal(socketPath(env, uid, cwd), expected, 'wrapper/contract/socketPath.ts follows the documented rule');
          assert.equal(printedSocketPath(warmccBin, env, cwd), expected, 'the native client (bin/warmcc)');
          assert.equal(printedSocketPath(nodeClientBin, env, cwd), expected, 'the Node CLI (bin/warmcc-node)');
        });
      }
    }
  }

  test('--socket-path created nothing: no socket directory, no socket', () => {
    assert.equal(fs.existsSync(path.join(runtimeDir, 'warmcc')), false);
    assert.equal(fs.existsSync(path.join(scratch, 'custom')), false);
    assert.equal(fs.existsSync(path.join(cwd, 'run')), false);
    assert.deepEqual(fs.readdirSync(tmpDir), []);
  });

  test('a path too long for a Unix socket is refused by both clients, with the same words', { skip: skipNative }, () => {
    const cases = [envWith({ WARMCC_SOCKET: `${'x'.repeat(120)}.sock` }), envWith({ XDG_RUNTIME_DIR: `/${'r'.repeat(100)}` })];
    for (const env of cases) {
      const messages = [warmccBin, nodeClientBin].map((client) => {
        const result = run(client, ['--socket-path'], env, cwd);
        assert.equal(result.status, 1, `${path.basename(client)}: ${result.stderr}`);
        assert.equal(result.stdout, '');
        return result.stderr;
      });
      assert.match(messages[0]!, /^warmcc: socket path \/\S+ is too long for a Unix socket \(max 107 bytes\)\n$/);
      assert.equal(messages[1], messages[0]);
    }
  });
});

/** A server reached by a compile through the C client with one TMPDIR and asked for its
 *  statistics by the Node CLI with another. */
async function oneServerForEveryTmpdir(home: Record<string, string | undefined>, expectedSocket: string): Promise<void> {
  const work = fs.mkdtempSync(path.join(scratch, 'e2e-'));
  writeFiles(work, { 'a.c': 'int a(void) { return 42; }\n' });
  const tmpForBuild = path.join(work, 'tmp-build');
  const tmpForShell = path.join(work, 'tmp-shell');
  fs.mkdirSync(tmpForBuild);
  fs.mkdirSync(tmpForShell);
  const base = { ...home, WARMCC_DIR: path.join(work, 'cache'), WARMCC_LOG: path.join(work, 'server.log'), WARMCC_IDLE_TIMEOUT: '120' };
  const buildEnv = envWith({ ...base, TMPDIR: tmpForBuild });
  const shellEnv = envWith({ ...base, TMPDIR: tmpForShell });
  const stats = (): StatsSnapshot => {
    const result = run(nodeClientBin, ['-s', '--stats-format', 'json'], shellEnv, work);
    assert.equal(result.status, 0, `warmcc-node -s: ${result.stderr}`);
    return JSON.parse(result.stdout) as StatsSnapshot;
  };
  let serverPid: number | undefined;
  try {
    assert.equal(printedSocketPath(warmccBin, buildEnv, work), expectedSocket);
    assert.equal(printedSocketPath(nodeClientBin, shellEnv, work), expectedSocket);

    const miss = run(warmccBin, ['gcc', '-c', 'a.c', '-o', 'a.o'], buildEnv, work);
    assert.equal(miss.status, 0, miss.stderr);
    assert.ok(fs.existsSync(path.join(work, 'a.o')));
    const afterMiss = stats();
    serverPid = afterMiss.serverPid;
    assert.equal(afterMiss.socketPath, expectedSocket);
    assert.equal(afterMiss.compileRequests, 1, 'the Node CLI asked the server the C client compiled through');
    assert.equal(afterMiss.cacheMisses, 1);

    fs.rmSync(path.join(work, 'a.o'));
    const hit = run(warmccBin, ['gcc', '-c', 'a.c', '-o', 'a.o'], buildEnv, work);
    assert.equal(hit.status, 0, hit.stderr);
    const afterHit = stats();
    assert.equal(afterHit.serverPid, serverPid, 'still the one server');
    assert.equal(afterHit.cacheHits, 1);
    assert.equal(afterHit.compileRequests, 2);
    assert.deepEqual(fs.readdirSync(tmpForShell), [], 'nothing of warmcc in the shell TMPDIR');
  } finally {
    run(nodeClientBin, ['--stop-server'], shellEnv, work);
    if (serverPid !== undefined) {
      // --stop-server waits for the socket and the process to go; this only guards its failure
      try {
        process.kill(serverPid, 'SIGKILL');
      } catch {
        // stopped cleanly
      }
    }
  }
}

describe('a build and a shell with different TMPDIRs share one server', () => {
  test('with XDG_RUNTIME_DIR', async () => {
    const runtimeDir = fs.mkdtempSync(path.join(scratch, 'rt-'));
    await oneServerForEveryTmpdir({ XDG_RUNTIME_DIR: runtimeDir }, `${runtimeDir}/warmcc/server.sock`);
  });

  test(`with the default ${tmpDefaultSocket}`, async (t) => {
    // the user's own default socket: used only when no server of theirs is on it, and left as found
    if (await canConnect(tmpDefaultSocket)) {
      t.skip(`a server already runs on ${tmpDefaultSocket}; not touching the user's own server`);
      return;
    }
    const existedBefore = fs.existsSync(tmpDefaultDir);
    const entriesBefore = existedBefore ? new Set(fs.readdirSync(tmpDefaultDir)) : new Set<string>();
    try {
      await oneServerForEveryTmpdir({}, tmpDefaultSocket);
    } finally {
      if (!existedBefore) fs.rmSync(tmpDefaultDir, { recursive: true, force: true });
      else for (const entry of fs.readdirSync(tmpDefaultDir)) if (!entriesBefore.has(entry)) fs.rmSync(path.join(tmpDefaultDir, entry), { force: true });
    }
  });
});

// Hit servers (wrapper/server/hitServer.ts): processes the main server forks that accept on the
// same socket and serve direct-mode hits. Stopping the main server with SIGSTOP makes the hit
// servers the only processes that can accept, so which process serves what is certain: hits,
// calls that are not cacheable and garbage are answered with the main server frozen; a miss
// waits for it and is then served from the connection the hit server handed over, prepared and
// looked up (the main server does neither again); JSON-RPC is relayed to it byte for byte.
// Each hand-over and relay is logged at debug level: the tests wait for those lines, not for time.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { defaultHitServers, loadConfig } from '../wrapper/config/config';
import { readJournal } from '../wrapper/explain/journal';
import { missingMessage, redisBinary, startRedis, type RunningServer } from './support/remoteServers';
import type { StatsSnapshot } from '../wrapper/contract/stats';
import { waitFor } from './support/poll';
import { ageFiles, createSandbox, fdLinks, warmccBin, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const gcc = which('gcc');
const skip = gcc ? false : 'gcc not installed';
const SOURCES = ['a', 'b', 'c', 'd', 'e', 'f'];

function makeProject(sandbox: WarmccSandbox): void {
  const files: Record<string, string> = { 'h.h': '#define SCALE 3\n' };
  for (const name of SOURCES) files[`${name}.c`] = `#include "h.h"\nint ${name}(int x) { return x * SCALE + ${name.charCodeAt(0)}; }\n`;
  writeFiles(sandbox.dir, files);
  ageSources(sandbox.dir);
}

/** direct mode does not trust files modified in the last seconds */
function ageSources(dir: string): void {
  ageFiles(
    fs
      .readdirSync(dir)
      .filter((name) => /\.[ch]$/.test(name))
      .map((name) => path.join(dir, name)),
  );
}

function compile(sandbox: WarmccSandbox, name: string): void {
  const result = sandbox.run(['gcc', '-O2', '-c', `${name}.c`, '-o', `${name}.o`]);
  assert.equal(result.status, 0, `warmcc gcc -c ${name}.c: ${result.stderr}`);
}

/** a started client, and a way to wait for it */
function startClient(
  sandbox: WarmccSandbox,
  args: string[],
): { done: () => boolean; result: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(warmccBin, args, { cwd: sandbox.dir, env: sandbox.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let finished = false;
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const result = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      finished = true;
      resolve({ code, stdout, stderr });
    }),
  );
  return { done: () => finished, result };
}

async function startWithHitServers(sandbox: WarmccSandbox, count: number): Promise<{ server: number; hitServers: number[] }> {
  assert.equal(sandbox.run(['--start-server']).status, 0);
  const server = await waitFor(() => sandbox.serverPid(), { timeoutMs: 10_000, what: 'the main server' });
  // serving: each hit server logs once it has the listening socket
  await waitFor(
    () => {
      const log = fs.existsSync(sandbox.logFile) ? fs.readFileSync(sandbox.logFile, 'utf8') : '';
      const serving = [...log.matchAll(/hit server (\d+) serving/g)].length;
      return serving >= count && sandbox.hitServerPids().length === count ? true : undefined;
    },
    { timeoutMs: 10_000, what: `${count} hit servers serving` },
  );
  return { server, hitServers: sandbox.hitServerPids() };
}

const logText = (sandbox: WarmccSandbox): string => (fs.existsSync(sandbox.logFile) ? fs.readFileSync(sandbox.logFile, 'utf8') : '');

/** Waits for the log to gain a line matching `pattern` after `from` (its length when the step began). */
function waitForLogLine(sandbox: WarmccSandbox, what: string, from: number, pattern: RegExp): Promise<string> {
  return waitFor(() => pattern.exec(logText(sandbox).slice(from))?.[0], { timeoutMs: 10_000, what });
}

const sessionOf = (pid: number): number => Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[4]);

describe('hit servers', { skip }, () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('hitsrv', { WARMCC_HIT_SERVERS: '2', WARMCC_LOG_LEVEL: 'debug' });
    makeProject(sandbox);
  });
  after(() => sandbox.cleanup());

  test('the server forks WARMCC_HIT_SERVERS of them, started as clean as itself', async () => {
    const { server, hitServers } = await startWithHitServers(sandbox, 2);
    assert.equal(hitServers.length, 2);
    const log = fs.realpathSync(sandbox.logFile);
    const cacheDir = fs.realpathSync(sandbox.cacheDir);
    for (const pid of hitServers) {
      const links = fdLinks(pid);
      const table = [...links].map(([fd, link]) => `${fd} -> ${link}`).join('\n');
      assert.equal(links.get(0), '/dev/null', `hit server ${pid} stdin\n${table}`);
      assert.equal(links.get(1), log, `hit server ${pid} stdout is the log\n${table}`);
      assert.equal(links.get(2), log, `hit server ${pid} stderr is the log\n${table}`);
      for (const [fd, link] of links) {
        if (fd <= 2) continue;
        const own = /^(socket|anon_inode|pipe):/.test(link) || link === '/dev/null' || link === log || link.startsWith(`${cacheDir}/`);
        assert.ok(own, `hit server ${pid} fd ${fd} -> ${link} is not its own\n${table}`);
      }
      const environ = fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
      assert.deepEqual(
        environ.filter((entry) => entry.includes('--jobserver-')),
        [],
        'no jobserver in a hit server environment',
      );
      assert.equal(sessionOf(pid), sessionOf(server), "in the main server's own session");
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      assert.ok(cmdline.includes('--initial-old-space-size=64'), `the server's V8 flags carry over: ${cmdline.join(' ')}`);
    }
    assert.ok(
      fs.readFileSync(`/proc/${server}/cmdline`, 'utf8').split('\0').includes('--initial-old-space-size=64'),
      'the launcher gave the main server its V8 flag',
    );
    const shown = JSON.parse(sandbox.run(['--show-config', '--stats-format', 'json']).stdout) as { hitServers: number };
    assert.equal(shown.hitServers, 2);
    const reported = sandbox.stats().hitServerPids;
    assert.deepEqual(
      [...reported].sort((a, b) => a - b),
      hitServers,
      'the server reports the processes /proc shows',
    );
    assert.match(sandbox.run(['-s']).stdout, new RegExp(`hit servers ${reported.join(', ')}`));
  });

  test('with the main server frozen, every hit is served by a hit server; a miss and JSON-RPC wait for it and are then served from the handed-over connection', async () => {
    const { server } = sandbox.serverPid() ? { server: sandbox.serverPid()! } : await startWithHitServers(sandbox, 2);
    for (const name of SOURCES) compile(sandbox, name);
    const cold = new Map(SOURCES.map((name) => [name, fs.readFileSync(path.join(sandbox.dir, `${name}.o`))]));
    // results and manifests are stored after the replies: wait for all of them
    const objects = path.join(sandbox.cacheDir, 'objects');
    const stored = () =>
      fs.readdirSync(objects, { recursive: true, withFileTypes: true }).filter((entry) => entry.isFile() && !entry.name.includes('.tmp-')).length;
    await waitFor(() => (stored() >= 2 * SOURCES.length ? true : undefined), { timeoutMs: 10_000, what: 'entries and manifests stored' });
    for (const name of SOURCES) fs.rmSync(path.join(sandbox.dir, `${name}.o`));

    process.kill(server, 'SIGSTOP');
    let resumed = false;
    try {
      for (const name of SOURCES) {
        const result = spawnSync(warmccBin, ['gcc', '-O2', '-c', `${name}.c`, '-o', `${name}.o`], {
          cwd: sandbox.dir,
          env: sandbox.env,
          encoding: 'utf8',
          timeout: 20_000,
        });
        assert.equal(result.status, 0, `${name}.c with the main server frozen: ${result.stderr}`);
        assert.deepEqual(fs.readFileSync(path.join(sandbox.dir, `${name}.o`)), cold.get(name), `${name}.o restored byte for byte`);
      }
      // not cacheable (a link): answered by a hit server too, the client compiles itself
      const link = spawnSync(warmccBin, ['gcc', 'a.o', 'b.o', '-shared', '-o', 'libab.so'], {
        cwd: sandbox.dir,
        env: sandbox.env,
        encoding: 'utf8',
        timeout: 20_000,
      });
      assert.equal(link.status, 0, `a link with the main server frozen: ${link.stderr}`);
      assert.ok(fs.existsSync(path.join(sandbox.dir, 'libab.so')));
      // not hits: they need the main server
      writeFiles(sandbox.dir, { 'n.c': 'int n(void) { return 42; }\n' });
      ageSources(sandbox.dir);
      const mark = logText(sandbox).length;
      const miss = startClient(sandbox, ['gcc', '-O2', '-c', 'n.c', '-o', 'n.o']);
      await waitForLogLine(
        sandbox,
        'the miss handed over after its manifest lookup',
        mark,
        /hit server \d: handing n\.c over to the main server \(manifest miss\)/,
      );
      const rpc = startClient(sandbox, ['-s', '--stats-format', 'json']);
      await waitForLogLine(sandbox, 'warmcc -s relayed', mark, /hit server \d: relaying JSON-RPC connection \d+ to the main server/);
      assert.equal(miss.done(), false, 'the handed-over miss waits for the frozen main server');
      assert.equal(rpc.done(), false, 'so does the relayed warmcc -s');
      process.kill(server, 'SIGCONT');
      resumed = true;
      const [missResult, rpcResult] = await Promise.all([miss.result, rpc.result]);
      assert.equal(missResult.code, 0, missResult.stderr);
      assert.ok(fs.existsSync(path.join(sandbox.dir, 'n.o')));
      assert.equal(rpcResult.code, 0, rpcResult.stderr);
      assert.ok(typeof (JSON.parse(rpcResult.stdout) as StatsSnapshot).cacheHits === 'number');
    } finally {
      if (!resumed) process.kill(server, 'SIGCONT');
    }

    // the hit servers' calls were replayed by the main server's stats
    const stats = await waitFor(
      () => {
        const current = sandbox.stats();
        return current.directHits === SOURCES.length ? current : undefined;
      },
      { timeoutMs: 5000, what: 'the hits counted' },
    );
    assert.equal(stats.cacheHits, SOURCES.length);
    assert.equal(stats.cacheMisses, SOURCES.length + 1);
    // each request counted once: the main server did not prepare the handed-over miss again
    assert.equal(stats.compileRequests, 2 * SOURCES.length + 2);
    assert.equal(stats.notCacheable['no -c (linking or other)'], 1, JSON.stringify(stats.notCacheable));
    assert.equal(stats.serverPid, server, 'counted by the main server');

    // and journaled in their own files, which readers merge in time order
    const journalFile = (JSON.parse(sandbox.run(['--show-config', '--stats-format', 'json']).stdout) as { journalFile: string }).journalFile;
    const hitFiles = fs.readdirSync(path.dirname(journalFile)).filter((name) => /\.h\d+\.jsonl$/.test(name));
    assert.ok(hitFiles.length >= 1, `hit server journal files: ${fs.readdirSync(path.dirname(journalFile)).join(', ')}`);
    const records = readJournal(journalFile);
    assert.equal(records.filter((record) => record.outcome === 'hit' && record.via === 'direct').length, SOURCES.length);
    assert.deepEqual(
      records.map((record) => record.at),
      [...records.map((record) => record.at)].sort((x, y) => x - y),
      'merged oldest first',
    );

    // explain reads them too: a.c's miss after a header change names the header
    fs.writeFileSync(path.join(sandbox.dir, 'h.h'), '#define SCALE 4\n');
    ageSources(sandbox.dir);
    compile(sandbox, 'a');
    const explained = sandbox.run(['--explain', 'a.c']);
    assert.equal(explained.status, 0, explained.stderr);
    assert.match(explained.stdout, /h\.h/, explained.stdout);
  });

  test('garbage and a client of another protocol version, sent while the main server is frozen, are refused by a hit server; both kinds of server live on', async () => {
    const server = sandbox.serverPid()!;
    const hitServers = sandbox.hitServerPids();
    const exchange = async (bytes: Buffer): Promise<Buffer> => {
      const socket = net.connect(sandbox.socketPath);
      socket.on('error', () => {});
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(bytes);
      await closed;
      return Buffer.concat(chunks);
    };
    process.kill(server, 'SIGSTOP');
    try {
      // both close with the main server frozen: only a hit server can have answered
      assert.equal((await exchange(Buffer.from('GARBAGE\x00\xff\x01 not a warmcc request\n'))).length, 0, 'garbage: closed without a word');
      const oldClient = Buffer.concat([Buffer.from('WARMCC', 'ascii'), Buffer.from([0x09, 0x00])]);
      const refusal = await exchange(oldClient);
      assert.equal(refusal[0], 0x14, 'an ERROR frame');
      assert.match(refusal.subarray(9).toString(), /client speaks protocol version 9/);
    } finally {
      process.kill(server, 'SIGCONT');
    }
    assert.equal(sandbox.serverPid(), server, 'the main server lives on');
    assert.deepEqual(sandbox.hitServerPids(), hitServers, 'and so do the hit servers');
    compile(sandbox, 'b');
  });

  test('a JSON-RPC request whose body comes after its header, once a hit server relays the connection, reaches the main server whole', async () => {
    const server = sandbox.serverPid()!;
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'warmcc/stats' });
    const mark = logText(sandbox).length;
    process.kill(server, 'SIGSTOP');
    let reply: Promise<string>;
    try {
      const socket = net.connect(sandbox.socketPath);
      socket.on('error', () => {});
      let received = '';
      reply = new Promise<string>((resolve) => {
        socket.on('data', (chunk) => {
          received += chunk.toString();
          if (received.includes('"result"')) {
            socket.destroy();
            resolve(received);
          }
        });
        socket.on('close', () => resolve(received));
      });
      await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      socket.write(`Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`);
      await waitForLogLine(sandbox, 'the header relayed', mark, /hit server \d: relaying JSON-RPC connection/);
      socket.write(body);
    } finally {
      process.kill(server, 'SIGCONT');
    }
    const text = await Promise.race([reply, new Promise<string>((resolve) => setTimeout(() => resolve('no reply within 10 s'), 10_000).unref())]);
    assert.match(text, /"result":\{[^]*"serverPid":/, text.slice(0, 300));
  });

  test('a hit server that dies is replaced, and compiles stay correct meanwhile', async () => {
    const before = sandbox.hitServerPids();
    assert.equal(before.length, 2);
    process.kill(before[0]!, 'SIGKILL');
    for (const name of SOURCES) compile(sandbox, name);
    const after = await waitFor(
      () => {
        const now = sandbox.hitServerPids();
        return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
      },
      { timeoutMs: 10_000, what: 'a replacement hit server' },
    );
    assert.ok(after.includes(before[1]!), 'the other one was left alone');
    assert.match(fs.readFileSync(sandbox.logFile, 'utf8'), new RegExp(`hit server \\d \\(pid ${before[0]}\\) exited \\(SIGKILL\\)`));
  });

  test('they exit with the main server: on --stop-server, and when it is killed', async () => {
    const first = sandbox.hitServerPids();
    assert.equal(first.length, 2);
    assert.equal(sandbox.run(['--stop-server']).status, 0);
    const alive = (pid: number): boolean => {
      try {
        return !fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
      } catch {
        return false;
      }
    };
    await waitFor(() => (first.some(alive) ? undefined : true), { timeoutMs: 10_000, what: 'hit servers gone after --stop-server' });

    const { server, hitServers } = await startWithHitServers(sandbox, 2);
    process.kill(server, 'SIGKILL');
    await waitFor(() => (hitServers.some(alive) ? undefined : true), { timeoutMs: 10_000, what: 'hit servers gone after their main server was killed' });
    // a new server starts and serves as usual
    compile(sandbox, 'c');
    assert.ok(sandbox.serverPid());
  });
});

describe('hit servers with a remote tier', { skip: skip || (redisBinary ? false : missingMessage('redis-server', 'redis-server')) }, () => {
  let redis: RunningServer;
  let first: WarmccSandbox;
  let second: WarmccSandbox;
  before(async () => {
    redis = await startRedis();
    first = createSandbox('hitremA', { WARMCC_REMOTE: redis.url, WARMCC_HIT_SERVERS: '0' });
    second = createSandbox('hitremB', { WARMCC_REMOTE: redis.url, WARMCC_HIT_SERVERS: '2', WARMCC_LOG_LEVEL: 'debug' });
    makeProject(first);
  });
  after(async () => {
    first?.cleanup();
    second?.cleanup();
    await redis?.stop();
  });

  test("a hit server's local manifest miss is looked up again through the remote tiers by the main server: a direct hit from the remote", async () => {
    // machine A compiles; its result and manifest reach the remote
    compile(first, 'a');
    await waitFor(
      () => {
        const remote = first.stats().tiers.find((tier) => tier.name !== 'local disk');
        return remote && remote.writes >= 2 ? true : undefined;
      },
      { timeoutMs: 10_000, what: 'the result and manifest written to the remote' },
    );
    const cold = fs.readFileSync(path.join(first.dir, 'a.o'));
    fs.rmSync(path.join(first.dir, 'a.o'));
    first.stop();
    // machine B: an empty local cache, the same project directory (the direct key names it)
    const { server } = await startWithHitServers(second, 2);
    // B's connection to the remote is up before its main server is frozen (a connect timer that
    // runs out while the process is stopped would fail the lookup)
    makeProject(second);
    compile(second, 'b');
    await waitFor(() => (second.stats().tiers.some((tier) => tier.name !== 'local disk' && tier.writes > 0) ? true : undefined), {
      timeoutMs: 10_000,
      what: "B's first remote write",
    });
    const mark = logText(second).length;
    process.kill(server, 'SIGSTOP');
    let resumed = false;
    try {
      const client = spawn(warmccBin, ['gcc', '-O2', '-c', 'a.c', '-o', 'a.o'], { cwd: first.dir, env: second.env, stdio: 'ignore' });
      const done = new Promise<number | null>((resolve) => client.on('close', resolve));
      await waitForLogLine(second, 'the local manifest miss handed over', mark, /hit server \d: handing a\.c over to the main server \(manifest miss\)/);
      process.kill(server, 'SIGCONT');
      resumed = true;
      assert.equal(await done, 0);
    } finally {
      if (!resumed) process.kill(server, 'SIGCONT');
    }
    assert.deepEqual(fs.readFileSync(path.join(first.dir, 'a.o')), cold, 'the object from the remote, byte for byte');
    const stats = second.stats();
    assert.equal(stats.directHits, 1, 'a direct hit through the remote manifest, not a preprocessor run');
    assert.equal(stats.cacheMisses, 1, 'b.c only');
    assert.equal(stats.compileRequests, 2, 'each counted once');
  });
});

describe('WARMCC_HIT_SERVERS', () => {
  test('0 turns them off; the default is half the cores - 1 (at most 3) in direct mode and 0 in preprocessor mode; a bad value is refused by name', () => {
    assert.equal(loadConfig({ WARMCC_DIR: '/nonexistent', WARMCC_HIT_SERVERS: '0' }).hitServers, 0);
    assert.equal(loadConfig({ WARMCC_DIR: '/nonexistent', WARMCC_HIT_SERVERS: '5' }).hitServers, 5);
    const cores = os.availableParallelism();
    assert.equal(loadConfig({ WARMCC_DIR: '/nonexistent' }).hitServers, defaultHitServers(cores));
    assert.deepEqual([1, 2, 3, 4, 6, 8, 16, 64].map(defaultHitServers), [0, 0, 0, 1, 2, 3, 3, 3]);
    assert.equal(loadConfig({ WARMCC_DIR: '/nonexistent', WARMCC_DIRECT: '0' }).hitServers, 0);
    assert.throws(() => loadConfig({ WARMCC_DIR: '/nonexistent', WARMCC_HIT_SERVERS: 'many' }), /WARMCC_HIT_SERVERS: expected a whole number/);
    assert.throws(() => loadConfig({ WARMCC_DIR: '/nonexistent', WARMCC_HIT_SERVERS: '-1' }), /WARMCC_HIT_SERVERS/);
  });

  test('with 0 the server forks none', { skip }, async () => {
    const sandbox = createSandbox('hitsrv0', { WARMCC_HIT_SERVERS: '0' });
    try {
      makeProject(sandbox);
      compile(sandbox, 'a');
      // the server names its hit servers in the line it logs before it would fork them
      await waitFor(() => (/listening on .*hit servers: 0,/.test(logText(sandbox)) ? true : undefined), { timeoutMs: 10_000, what: 'the server listening' });
      assert.deepEqual(sandbox.hitServerPids(), []);
    } finally {
      sandbox.cleanup();
    }
  });
});

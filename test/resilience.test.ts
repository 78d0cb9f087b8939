// Never break a build: a killed server, a cold start by eight clients at once, a client killed
// mid-compile, garbage on the socket, corrupt cache entries, an unwritable cache.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { encodeFrame, encodePreface, FrameType } from '../wrapper/contract/protocol';
import { waitFor } from './support/poll';
import { createSandbox, runWithTimeout, warmccBin, writeFiles, type WarmccSandbox } from './support/warmccEnv';

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** the parent pid of a process (undefined once it is gone) */
function parentOf(pid: number): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** pid, or one of its ancestors, is `ancestor` */
function descendsFrom(pid: number, ancestor: number): boolean {
  for (let current: number | undefined = pid; current !== undefined && current > 1; current = parentOf(current)) {
    if (current === ancestor) return true;
  }
  return false;
}

/** A C++ source whose object shows f<index>(...) to nm -C. */
function source(index: number): string {
  return `#include <string>\nint f${index}(const std::string& s) {\n  return static_cast<int>(s.size()) + ${index};\n}\n`;
}

describe('server killed with SIGKILL in the middle of a build', () => {
  let sandbox: WarmccSandbox;
  let inflight: string;
  let release: string;
  before(() => {
    sandbox = createSandbox('kill');
    inflight = path.join(sandbox.dir, 'inflight');
    release = path.join(sandbox.dir, 'release');
    fs.mkdirSync(inflight);
    const files: Record<string, string> = {};
    const objects: string[] = [];
    for (let i = 0; i < 8; i++) {
      files[`s${i}.cpp`] = source(i);
      objects.push(`s${i}.o`);
    }
    // g++ behind a gate: each compile step (not -E, not identification) writes its pid into
    // inflight/ and holds until the test creates the release file, so the test kills the
    // server while it is proven to be running a compile
    files['gated-g++'] = `#!/bin/sh
for a in "$@"; do [ "$a" = "-E" ] && exec g++ "$@"; done
for a in "$@"; do
  if [ "$a" = "-c" ]; then
    echo $$ > '${inflight}/'$$
    i=0; while [ ! -e '${release}' ] && [ $i -lt 2400 ]; do sleep 0.05; i=$((i+1)); done
  fi
done
exec g++ "$@"
`;
    files.Makefile = `all: ${objects.join(' ')}\n%.o: %.cpp\n\t$(WARMCC) ./gated-g++ -O1 -c $< -o $@\nclean:\n\trm -f *.o\n`;
    writeFiles(sandbox.dir, files);
    fs.chmodSync(path.join(sandbox.dir, 'gated-g++'), 0o755);
  });
  after(() => {
    if (release && fs.existsSync(path.dirname(release))) fs.writeFileSync(release, ''); // never leave a gated compile waiting
    sandbox?.cleanup();
  });

  test('the build still succeeds (the client compiles by itself) and the next build starts a new server', async () => {
    const make = runWithTimeout('make', ['-j2', `WARMCC=${warmccBin}`], { cwd: sandbox.dir, env: sandbox.env, timeoutMs: 240_000 });
    let killed: number | undefined;
    try {
      // a compile step the server runs (a descendant of the server's process), held at the gate
      const compiling = await waitFor(
        () => {
          killed = sandbox.serverPid();
          if (killed === undefined) return undefined;
          return fs
            .readdirSync(inflight)
            .map(Number)
            .find((pid) => pidAlive(pid) && descendsFrom(pid, killed!));
        },
        {
          timeoutMs: 60_000,
          what: 'the auto-started server to run a compile',
          state: () => ({ serverPid: sandbox.serverPid(), gated: fs.readdirSync(inflight) }),
        },
      );
      assert.ok(killed);
      process.kill(killed, 'SIGKILL');
      await waitFor(() => !pidAlive(killed!), { timeoutMs: 10_000, what: `the killed server ${killed} to be gone` });
      assert.ok(pidAlive(compiling), `its compile ${compiling} was still running when the server died`);
    } finally {
      fs.writeFileSync(release, '');
    }
    const result = await make;
    assert.equal(result.code, 0, result.stderr);
    for (let i = 0; i < 8; i++) {
      const symbols = spawnSync('nm', ['-C', path.join(sandbox.dir, `s${i}.o`)], { encoding: 'utf8' }).stdout;
      assert.match(symbols, new RegExp(`f${i}\\(`), `s${i}.o is a real object`);
    }

    spawnSync('make', ['clean'], { cwd: sandbox.dir });
    const again = await runWithTimeout('make', ['-j2', `WARMCC=${warmccBin}`], { cwd: sandbox.dir, env: sandbox.env, timeoutMs: 240_000 });
    assert.equal(again.code, 0, again.stderr);
    const fresh = sandbox.serverPid();
    assert.ok(fresh !== undefined && fresh !== killed, 'a new server serves the next build');
    assert.ok(sandbox.stats().compileRequests >= 8);
  });
});

describe('eight clients start at once with no server', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('eight');
    const files: Record<string, string> = {};
    for (let i = 0; i < 8; i++) files[`c${i}.c`] = `int c${i}(void) { return ${i}; }\n`;
    writeFiles(sandbox.dir, files);
  });
  after(() => sandbox.cleanup());

  test('exactly one server survives and every compile succeeds through it', async () => {
    const runs = Array.from({ length: 8 }, (_, i) =>
      runWithTimeout(warmccBin, ['gcc', '-c', `c${i}.c`, '-o', `c${i}.o`], { cwd: sandbox.dir, env: sandbox.env, timeoutMs: 60_000 }),
    );
    const results = await Promise.all(runs);
    results.forEach((result, i) => assert.equal(result.code, 0, `client ${i}: ${result.stderr}`));
    for (let i = 0; i < 8; i++) assert.ok(fs.existsSync(path.join(sandbox.dir, `c${i}.o`)));
    // servers that lost the race exit right after trying: wait until only the winner is left
    const mainServers = (): string[] =>
      spawnSync('pgrep', ['-f', 'dist/server.js'], { encoding: 'utf8' })
        .stdout.split('\n')
        .filter(Boolean)
        .filter((pid) => {
          try {
            // main servers only: a surviving server's hit servers carry the same socket
            if (fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('--hit-server')) return false;
            return fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`WARMCC_SOCKET=${sandbox.socketPath}`);
          } catch {
            return false;
          }
        });
    const servers = await waitFor(
      () => {
        const found = mainServers();
        return found.length <= 1 && found;
      },
      { timeoutMs: 15_000, what: 'one server left for the socket', state: mainServers },
    );
    assert.equal(servers.length, 1, `servers for this socket: ${servers.join(', ')}`);
    assert.equal(sandbox.stats().cacheMisses, 8, 'all eight compiles went through the one server');
  });
});

describe('a client killed mid-compile', () => {
  let sandbox: WarmccSandbox;
  before(() => (sandbox = createSandbox('killclient')));
  after(() => sandbox.cleanup());

  test('takes its compile process group down with it', async () => {
    // a gcc-compatible "compiler" whose compile step hangs: identification and -E go to gcc
    const pidFile = path.join(sandbox.dir, 'compile.pid');
    const slowcc = path.join(sandbox.dir, 'slowcc');
    fs.writeFileSync(
      slowcc,
      `#!/bin/sh\ncase " $* " in *" -E "*|*-print-prog-name*) exec gcc "$@";; esac\necho $$ > ${pidFile}\nsleep 300 &\necho $! >> ${pidFile}\nwait\n`,
      { mode: 0o755 },
    );
    writeFiles(sandbox.dir, { 'k.c': 'int k(void) { return 1; }\n' });
    const client = spawn(warmccBin, [slowcc, '-c', 'k.c', '-o', 'k.o'], { cwd: sandbox.dir, env: sandbox.env, stdio: 'ignore' });
    await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim().split('\n').length === 2, {
      timeoutMs: 30_000,
      what: `the compile to start and write both pids to ${pidFile}`,
    });
    const pids = fs.readFileSync(pidFile, 'utf8').trim().split('\n').map(Number);
    assert.ok(pids.every(pidAlive));
    client.kill('SIGKILL');
    await waitFor(() => !pids.some(pidAlive), {
      timeoutMs: 10_000,
      what: `compile processes ${pids.join(', ')} to be gone`,
      state: () => pids.filter(pidAlive),
    });
    assert.ok(sandbox.serverPid(), 'the server itself keeps running');
  });
});

describe('garbage on the socket', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('garbage');
    writeFiles(sandbox.dir, { 'g.c': 'int g(void) { return 2; }\n' });
    assert.equal(sandbox.run(['--start-server']).status, 0);
  });
  after(() => sandbox.cleanup());

  /** sends bytes, resolves with what the server answered once it closed the connection; rejects
   *  if it keeps the connection open for 10 s (every exchange below must end in a close) */
  function exchange(bytes: Buffer, closeAfterSend = false): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(sandbox.socketPath);
      const received: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(
            `the server kept the connection open for 10 s after ${bytes.subarray(0, 16).toString('hex')}… (answered ${Buffer.concat(received).subarray(0, 32).toString('hex')})`,
          ),
        );
      }, 10_000);
      socket.on('connect', () => {
        socket.write(bytes);
        if (closeAfterSend) socket.end();
      });
      socket.on('data', (chunk) => received.push(chunk));
      socket.on('close', () => {
        clearTimeout(timer);
        resolve(Buffer.concat(received));
      });
      socket.on('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  const errorFrameText = (reply: Buffer): string => {
    assert.equal(reply[0], FrameType.Error, `an ERROR frame, got ${reply.subarray(0, 16).toString('hex')}`);
    return reply.subarray(9).toString();
  };

  test('answers errors or closes, and keeps serving compiles', async () => {
    const pid = sandbox.serverPid();
    // neither protocol: closed without an answer
    assert.equal((await exchange(Buffer.from('GET / HTTP/1.1\r\n\r\n'))).length, 0);
    // wrong magic after a plausible first byte
    assert.match(errorFrameText(await exchange(Buffer.from('WHATEVER-NOT-A-PREFACE'))), /bad preface/);
    // a future protocol version
    assert.match(errorFrameText(await exchange(encodePreface(99))), /protocol version 99/);
    // an absurd frame length
    const huge = Buffer.alloc(5);
    huge.writeUInt8(FrameType.Compile, 0);
    huge.writeUInt32LE(0xffffff00, 1);
    assert.match(errorFrameText(await exchange(Buffer.concat([encodePreface(), huge]))), /exceeds/);
    // a COMPILE frame with a garbage body
    assert.match(
      errorFrameText(await exchange(Buffer.concat([encodePreface(), encodeFrame(FrameType.Compile, Buffer.from('garbage!'))]))),
      /truncated|impossible/,
    );
    // a frame of another type
    assert.match(errorFrameText(await exchange(Buffer.concat([encodePreface(), encodeFrame(FrameType.Stdout, Buffer.from('x'))]))), /unexpected frame type/);
    // a truncated frame, then the client goes away
    assert.equal((await exchange(Buffer.concat([encodePreface(), encodeFrame(FrameType.Compile, Buffer.alloc(100)).subarray(0, 40)]), true)).length, 0);
    // random bytes after a valid preface
    const random = Buffer.alloc(4096);
    for (let i = 0; i < random.length; i++) random[i] = (i * 7919 + 13) & 0xff;
    await exchange(Buffer.concat([encodePreface(), random]), true);

    assert.equal(sandbox.serverPid(), pid, 'the same server is still running');
    const compile = sandbox.run(['gcc', '-c', 'g.c', '-o', 'g.o']);
    assert.equal(compile.status, 0, compile.stderr);
    assert.equal(sandbox.stats().cacheMisses, 1, 'and it still serves compiles');
  });
});

describe('corrupt cache entries', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    // preprocessor mode: one entry per compile (damaged manifests: directMode.test.ts)
    sandbox = createSandbox('corrupt', { WARMCC_DIRECT: '0' });
    writeFiles(sandbox.dir, { 'e.c': '#include <stdio.h>\nint e(void) { return puts("entry"); }\n' });
  });
  after(() => sandbox.cleanup());

  function entryFiles(): string[] {
    const objects = path.join(sandbox.cacheDir, 'objects');
    if (!fs.existsSync(objects)) return [];
    return fs.readdirSync(objects).flatMap((shard) =>
      fs
        .readdirSync(path.join(objects, shard))
        .filter((name) => !name.includes('.tmp-'))
        .map((name) => path.join(objects, shard, name)),
    );
  }

  // each damage is certain to change what the entry decodes to or what it must verify against
  // (a flip somewhere in a brotli stream may land in bits that do not affect the output: then
  // the entry is still right and serving it is correct, so that is not a useful test)
  for (const damage of ['truncated', 'checksum bit-flipped', 'payload-scrambled'] as const) {
    test(`a ${damage} entry is a miss and a recompile, never a wrong object`, async () => {
      const args = ['gcc', '-c', 'e.c', '-o', 'e.o'];
      assert.equal(sandbox.run(['-C']).status, 0);
      assert.equal(sandbox.run(args).status, 0);
      const reference = fs.readFileSync(path.join(sandbox.dir, 'e.o'));
      // results are stored after the reply: wait for the entry to land
      await waitFor(() => entryFiles().length === 1, { timeoutMs: 20_000, what: 'the result to be stored', state: entryFiles });
      const [entry] = entryFiles();
      assert.ok(entry);
      const bytes = fs.readFileSync(entry);
      if (damage === 'truncated') fs.writeFileSync(entry, bytes.subarray(0, Math.floor(bytes.length / 2)));
      else if (damage === 'checksum bit-flipped') {
        bytes[8]! ^= 0x01; // the CRC-32 field of the header (docs/architecture.md)
        fs.writeFileSync(entry, bytes);
      } else {
        const middle = Math.floor(bytes.length / 2);
        for (let i = 0; i < 64 && middle + i < bytes.length; i++) bytes[middle + i] = (i * 37 + 11) & 0xff;
        fs.writeFileSync(entry, bytes);
      }
      fs.rmSync(path.join(sandbox.dir, 'e.o'));
      const before = sandbox.stats();
      const result = sandbox.run(args);
      assert.equal(result.status, 0, result.stderr);
      const stats = sandbox.stats();
      assert.equal(stats.corruptEntries, before.corruptEntries + 1, 'counted as corrupt');
      assert.equal(stats.cacheMisses, before.cacheMisses + 1, 'served as a miss');
      assert.deepEqual(fs.readFileSync(path.join(sandbox.dir, 'e.o')), reference, 'the object is right');
      // the recompile replaced the bad entry: next time is a hit
      await waitFor(() => entryFiles().length === 1, { timeoutMs: 20_000, what: 'the recompiled result to replace the bad entry', state: entryFiles });
      assert.equal(sandbox.run(args).status, 0);
      assert.equal(sandbox.stats().cacheHits, stats.cacheHits + 1);
    });
  }
});

describe('a cache that cannot be written', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('nowrite');
    writeFiles(sandbox.dir, { 'w.c': 'int w(void) { return 3; }\n' });
    // a file where the objects directory should be: every write fails (even as root)
    fs.mkdirSync(sandbox.cacheDir, { recursive: true });
    fs.writeFileSync(path.join(sandbox.cacheDir, 'objects'), 'not a directory');
  });
  after(() => sandbox.cleanup());

  test('costs only the cache: the build gets its object, the error is counted and logged', async () => {
    const result = sandbox.run(['gcc', '-c', 'w.c', '-o', 'w.o']);
    assert.equal(result.status, 0, result.stderr);
    assert.ok(fs.existsSync(path.join(sandbox.dir, 'w.o')));
    await waitFor(() => sandbox.stats().cacheWriteErrors === 1, {
      timeoutMs: 20_000,
      what: 'the write error to be counted',
      state: () => sandbox.stats().cacheWriteErrors,
    });
    assert.match(fs.readFileSync(sandbox.logFile, 'utf8'), /cache write error for w\.c .*objects/);
  });
});

describe('no server can be started', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    // WARMCC_NODE points at something that is not node: the server never comes up
    sandbox = createSandbox('nostart', { WARMCC_NODE: '/bin/false', WARMCC_START_TIMEOUT: '1500' });
    writeFiles(sandbox.dir, { 'n.c': 'int n(void) { return 4; }\n', 'bad.c': 'int x = ;\n' });
  });
  after(() => sandbox.cleanup());

  test('the client compiles by itself with the same result, then skips auto-start for a while', () => {
    const first = sandbox.run(['gcc', '-c', 'n.c', '-o', 'n.o']);
    assert.equal(first.status, 0, first.stderr);
    assert.ok(fs.existsSync(path.join(sandbox.dir, 'n.o')));
    const failed = sandbox.run(['gcc', '-c', 'bad.c', '-o', 'bad.o']);
    const direct = spawnSync('gcc', ['-c', 'bad.c', '-o', 'bad.o'], { cwd: sandbox.dir, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
    assert.equal(failed.status, direct.status);
    assert.equal(failed.stderr, direct.stderr, "the compiler's own messages, nothing else");
    const started = Date.now();
    assert.equal(sandbox.run(['gcc', '-c', 'n.c', '-o', 'n.o']).status, 0);
    assert.ok(Date.now() - started < 1500, 'no second wait for a server that just failed to start');
  });
});

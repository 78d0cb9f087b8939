// Unit tests of the small pure pieces: frame codec, cache entry format, jobserver hygiene,
// size parsing, colour stripping, the local disk's LRU touch.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseSize, loadConfig } from '../wrapper/config/config';
import { jobserverForCompile, withoutJobserver } from '../wrapper/launcher/jobserver';
import {
  decodeCompileRequest,
  encodeCompileRequest,
  encodePreface,
  decodePreface,
  FrameReader,
  FrameType,
  ProtocolError,
  encodeFrame,
} from '../wrapper/contract/protocol';
import { CorruptEntryError, decodeEntry, effectiveCodec, encodeEntry } from '../wrapper/storage/cacheEntry';
import { loadLz4Binding, lz4 } from '../wrapper/storage/lz4Binding';
import { LocalDiskStorage, TOUCH_AFTER_MS } from '../wrapper/storage/localDiskStorage';
import { stripColor } from '../wrapper/outputs/diagnosticsColor';
import { waitFor } from './support/poll';

describe('protocol', () => {
  const request = {
    stdoutIsTty: false,
    stderrIsTty: true,
    cwd: '/home/u/project',
    argv: ['/usr/bin/gcc', '-c', 'a b.c', '-o', 'ü.o'],
    env: { PATH: '/usr/bin', EMPTY: '', 'WITH=EQUALS': 'x' },
    pid: 1234,
    umask: 0o022,
  };

  test('a compile request survives encode/decode, split into 1-byte chunks', () => {
    const frame = encodeCompileRequest(request);
    const reader = new FrameReader();
    const frames = [];
    for (const byte of frame) frames.push(...reader.push(Buffer.from([byte])));
    assert.equal(frames.length, 1);
    assert.equal(frames[0]!.type, FrameType.Compile);
    const decoded = decodeCompileRequest(frames[0]!.body);
    assert.deepEqual(decoded.argv, request.argv);
    assert.equal(decoded.cwd, request.cwd);
    assert.equal(decoded.env.PATH, '/usr/bin');
    assert.equal(decoded.env.EMPTY, '');
    assert.equal(decoded.stderrIsTty, true);
    assert.equal(decoded.stdoutIsTty, false);
    assert.equal(decoded.pid, 1234);
    assert.equal(decoded.umask, 0o022);
  });

  test('every truncation of a compile body is rejected with a ProtocolError', () => {
    const body = encodeCompileRequest(request).subarray(5);
    for (let length = 0; length < body.length; length++) {
      assert.throws(() => decodeCompileRequest(body.subarray(0, length)), ProtocolError, `truncated at ${length}`);
    }
  });

  test('a lying argv count is rejected before allocating', () => {
    const body = Buffer.alloc(16);
    body.writeUInt32LE(0, 0); // flags
    body.writeUInt32LE(1, 4); // cwd length
    body.write('/', 8);
    body.writeUInt32LE(0xffffffff, 9); // argc
    assert.throws(() => decodeCompileRequest(body), /impossible argv count/);
  });

  test('an oversized frame length is refused', () => {
    const header = Buffer.alloc(5);
    header.writeUInt8(FrameType.Compile, 0);
    header.writeUInt32LE(0xfffffff0, 1);
    assert.throws(() => new FrameReader().push(header), /exceeds/);
  });

  test('preface carries the version; garbage is not a preface', () => {
    assert.equal(decodePreface(encodePreface(7)), 7);
    assert.throws(() => decodePreface(Buffer.from('GET / HTTP/1.1')), ProtocolError);
  });

  test('several frames in one chunk come out in order', () => {
    const chunk = Buffer.concat([encodeFrame(FrameType.Stdout, Buffer.from('out')), encodeFrame(FrameType.Stderr, Buffer.from('err'))]);
    const frames = new FrameReader().push(chunk);
    assert.deepEqual(
      frames.map((f) => [f.type, f.body.toString()]),
      [
        [FrameType.Stdout, 'out'],
        [FrameType.Stderr, 'err'],
      ],
    );
  });
});

describe('cache entry format', () => {
  const entry = {
    files: [
      { role: 'object' as const, data: Buffer.from('\x7fELF object bytes'.repeat(100)) },
      { role: 'depFile' as const, data: Buffer.from('a.o: a.c a.h\n') },
    ],
    stdout: Buffer.alloc(0),
    stderr: Buffer.from('a.c:1: warning: x\n'),
    compileMs: 123.5,
  };

  const codecByte = (bytes: Buffer): number => bytes.readUInt8(6);
  const compressions = [
    { name: 'lz4 (the default)', compression: { codec: 'lz4' as const, level: 1 }, codec: 3 },
    { name: 'deflate level 1', compression: { codec: 'deflate' as const, level: 1 }, codec: 2 },
    { name: 'uncompressed (level 0)', compression: { codec: 'lz4' as const, level: 0 }, codec: 2 },
  ];

  test('the LZ4 binding this build copied to dist/native loads (otherwise every lz4 case below tests deflate)', () => {
    const loaded = lz4();
    assert.ok(loaded.binding, loaded.binding ? '' : loaded.reason);
  });

  for (const { name, compression, codec } of compressions) {
    test(`${name}: round trip keeps every section`, async () => {
      const bytes = await encodeEntry(entry, compression);
      assert.equal(codecByte(bytes), codec);
      const decoded = await decodeEntry(bytes);
      assert.deepEqual(
        decoded.files.map((f) => [f.role, f.data.toString()]),
        entry.files.map((f) => [f.role, f.data.toString()]),
      );
      assert.equal(decoded.stderr.toString(), entry.stderr.toString());
      assert.equal(decoded.compileMs, 123.5);
    });

    test(`${name}: every truncation and a flipped bit anywhere are detected`, async () => {
      const bytes = await encodeEntry(entry, compression);
      for (const length of [0, 3, 10, 15, 16, 17, 19, 20, bytes.length - 1]) {
        await assert.rejects(decodeEntry(bytes.subarray(0, length)), CorruptEntryError, `truncated to ${length}`);
      }
      let rejected = 0;
      for (let position = 0; position < bytes.length; position += 3) {
        const flipped = Buffer.from(bytes);
        flipped[position]! ^= 0x10;
        // rejected, or (a padding bit of a stored deflate block, which inflate ignores) the same entry: never a wrong one
        const decoded = await decodeEntry(flipped).catch((error: unknown) => {
          assert.ok(error instanceof CorruptEntryError, `bit flipped at ${position}: ${String(error)}`);
          return undefined;
        });
        if (decoded) assert.deepEqual(decoded, await decodeEntry(bytes), `bit flipped at ${position} decoded to a different entry`);
        else rejected++;
      }
      assert.ok(rejected >= Math.floor(bytes.length / 3) - 1, `${rejected} of ${Math.ceil(bytes.length / 3)} flips rejected`);
    });
  }

  test('an LZ4 entry whose length field claims gigabytes is refused before decompressing', async () => {
    const bytes = await encodeEntry(entry, { codec: 'lz4', level: 1 });
    const forged = Buffer.from(bytes);
    forged.writeUInt32LE(0xfffffff0, 16); // the length LZ4 puts in front of its block
    forged.writeUInt32LE(0xfffffff0, 12); // and the header's, to match
    await assert.rejects(decodeEntry(forged), CorruptEntryError);
  });

  describe('without the LZ4 binding (a platform with no prebuilt binary)', () => {
    const missing = loadLz4Binding(['/nonexistent/native/lz4.node']);

    test('loading says which file it looked for', () => {
      assert.equal(missing.binding, undefined);
      assert.match(missing.binding ? '' : missing.reason, /\/nonexistent\/native\/lz4\.node: not found/);
    });

    test('a file that is not the binding is refused with its path', () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-lz4-'));
      try {
        const bogus = path.join(dir, 'lz4.node');
        fs.writeFileSync(bogus, 'not a shared object');
        const loaded = loadLz4Binding([bogus]);
        assert.equal(loaded.binding, undefined);
        assert.ok(!loaded.binding && loaded.reason.includes(bogus), loaded.binding ? '' : loaded.reason);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    test('lz4 asked for: deflate written, and the log line says why', async () => {
      const bytes = await encodeEntry(entry, { codec: 'lz4', level: 1 }, missing);
      assert.equal(codecByte(bytes), 2);
      assert.equal((await decodeEntry(bytes, missing)).compileMs, 123.5);
      const codec = effectiveCodec({ codec: 'lz4', level: 1 }, missing);
      assert.equal(codec.codec, 'deflate level 1');
      assert.match(codec.note ?? '', /LZ4 binding not loaded/);
    });

    test('an LZ4 entry (from another server) is an unreadable entry naming the cause, never a wrong object', async () => {
      const bytes = await encodeEntry(entry, { codec: 'lz4', level: 1 });
      await assert.rejects(decodeEntry(bytes, missing), (error: Error) => {
        assert.ok(!(error instanceof CorruptEntryError), 'not counted as corrupt: the entry is fine');
        assert.match(error.message, /LZ4-compressed and this server cannot decompress it: LZ4 binding not loaded/);
        return true;
      });
    });
  });
});

describe('jobserver hygiene', () => {
  const env = {
    MAKEFLAGS: ' -j2 --jobserver-auth=fifo:/tmp/GMfifo1 -- CFLAGS=-O2',
    MFLAGS: ' -j2 --jobserver-auth=3,4',
    CARGO_MAKEFLAGS: '--jobserver-fds=5,6 --jobserver-auth=5,6',
    OTHER: 'kept',
  };

  test('the server environment has no jobserver of any style, other make flags kept', () => {
    const clean = withoutJobserver(env);
    assert.equal(clean.MAKEFLAGS, ' -j2 -- CFLAGS=-O2');
    assert.equal(clean.MFLAGS, ' -j2');
    assert.equal('CARGO_MAKEFLAGS' in clean, false, 'a variable with only jobserver words is dropped');
    assert.equal(clean.OTHER, 'kept');
  });

  test('a compile keeps a fifo jobserver but not pipe fds', () => {
    const forCompile = jobserverForCompile(env);
    assert.equal(forCompile.MAKEFLAGS, env.MAKEFLAGS);
    assert.equal(forCompile.MFLAGS, ' -j2');
    assert.equal('CARGO_MAKEFLAGS' in forCompile, false);
  });
});

describe('settings', () => {
  test('sizes accept K/M/G suffixes and reject garbage with the setting name', () => {
    assert.equal(parseSize('10G', 'X'), 10 * 1024 ** 3);
    assert.equal(parseSize('512M', 'X'), 512 * 1024 ** 2);
    assert.equal(parseSize('64k', 'X'), 64 * 1024);
    assert.equal(parseSize('1000', 'X'), 1000);
    assert.throws(() => parseSize('ten', 'WARMCC_CACHE_SIZE'), /WARMCC_CACHE_SIZE: cannot read size 'ten'/);
  });

  test('defaults follow XDG and the per-user /tmp directory', () => {
    const config = loadConfig({ HOME: '/home/u' });
    assert.equal(config.cacheDir, '/home/u/.cache/warmcc');
    assert.equal(config.socketPath, `/tmp/warmcc-${process.getuid!()}/server.sock`);
    assert.equal(config.idleTimeoutSeconds, 600);
    assert.equal(config.cacheSizeLimit, 10 * 1024 ** 3);
    const xdg = loadConfig({ HOME: '/home/u', XDG_CACHE_HOME: '/c', XDG_RUNTIME_DIR: '/run/user/1' });
    assert.equal(xdg.cacheDir, '/c/warmcc');
    assert.equal(xdg.socketPath, '/run/user/1/warmcc/server.sock');
    assert.throws(() => loadConfig({ WARMCC_IDLE_TIMEOUT: '-1' }), /WARMCC_IDLE_TIMEOUT/);
  });
});

test('colour stripping removes SGR, erase-line and hyperlinks, keeps text', () => {
  const coloured = Buffer.from(
    '\x1b[01m\x1b[Ka.c:1:5:\x1b[m\x1b[K \x1b[01;35m\x1b[Kwarning: \x1b[m\x1b[Kx \x1b]8;;https://gcc.gnu.org/x\x07[-Wunused]\x1b]8;;\x07\n',
  );
  assert.equal(stripColor(coloured).toString(), 'a.c:1:5: warning: x [-Wunused]\n');
});

describe('compiler diagnostics parser', () => {
  test('reads gcc and clang lines: severity, position, option; resolves paths; skips non-locations', async () => {
    const { parseDiagnostics } = await import('../wrapper/outputs/diagnosticsParser');
    const stderr = [
      "src/a.c: In function 'f':",
      "src/a.c:3:7: warning: unused variable 'x' [-Wunused-variable]",
      '    3 |   int x;',
      "include/b.h:10:1: error: expected ';' before '}' token",
      '/abs/c.c:5:2: fatal error: missing.h: No such file or directory',
      'src/a.c:1:5: note: declared here',
      'src/d.c:7: warning: no column here',
      '<command-line>: warning: "X" redefined',
      '\x1b[01m\x1b[Ksrc/e.c:2:3:\x1b[m\x1b[K \x1b[01;35m\x1b[Kwarning: \x1b[m\x1b[Kcoloured [\x1b[01;35m\x1b[K-Wextra\x1b[m\x1b[K]',
    ].join('\n');
    const parsed = parseDiagnostics(stderr, '/home/dev/p');
    assert.deepEqual(parsed, [
      { file: '/home/dev/p/src/a.c', line: 3, column: 7, severity: 'warning', message: "unused variable 'x'", option: '-Wunused-variable' },
      { file: '/home/dev/p/include/b.h', line: 10, column: 1, severity: 'error', message: "expected ';' before '}' token" },
      { file: '/abs/c.c', line: 5, column: 2, severity: 'error', message: 'missing.h: No such file or directory' },
      { file: '/home/dev/p/src/a.c', line: 1, column: 5, severity: 'note', message: 'declared here' },
      { file: '/home/dev/p/src/d.c', line: 7, column: 0, severity: 'warning', message: 'no column here' },
      { file: '/home/dev/p/src/e.c', line: 2, column: 3, severity: 'warning', message: 'coloured', option: '-Wextra' },
    ]);
  });
});

describe('local disk LRU', () => {
  const entryFile = (dir: string, key: string): string => path.join(dir, 'objects', key.slice(0, 2), key.slice(2));
  const age = (file: string, ms: number): void => {
    const when = new Date(Date.now() - ms);
    fs.utimesSync(file, when, when);
  };

  test('a hit touches an entry older than a minute, not a fresher one; eviction then keeps the one hit', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-lru-'));
    try {
      const storage = new LocalDiskStorage(dir, 1000, () => {});
      const [hitKey, idleKey, freshKey, newKey] = ['aa11aa11', 'bb22bb22', 'cc33cc33', 'dd44dd44'];
      for (const key of [hitKey, idleKey, freshKey]) await storage.put(key, Buffer.alloc(300, key));
      age(entryFile(dir, hitKey), TOUCH_AFTER_MS + 60_000);
      age(entryFile(dir, idleKey), TOUCH_AFTER_MS + 30_000);
      age(entryFile(dir, freshKey), 10_000);
      const freshBefore = fs.statSync(entryFile(dir, freshKey)).mtimeMs;

      assert.deepEqual(await storage.get(hitKey), Buffer.alloc(300, hitKey));
      assert.deepEqual(await storage.get(freshKey), Buffer.alloc(300, freshKey));
      // the touch is not awaited by get(): wait for it
      await waitFor(() => Date.now() - fs.statSync(entryFile(dir, hitKey)).mtimeMs < 5000, {
        timeoutMs: 5000,
        what: 'the old entry to be touched',
        state: () => new Date(fs.statSync(entryFile(dir, hitKey)).mtimeMs).toISOString(),
      });
      assert.equal(fs.statSync(entryFile(dir, freshKey)).mtimeMs, freshBefore, 'an entry touched 10 s ago is left as it is');

      // 4 x 300 bytes > 1000: evicted down to 900, oldest first — the idle entry only
      await storage.put(newKey, Buffer.alloc(300, newKey));
      await storage.evict();
      assert.equal(fs.existsSync(entryFile(dir, idleKey)), false, 'the entry nobody hit is evicted');
      for (const key of [hitKey, freshKey, newKey]) assert.ok(fs.existsSync(entryFile(dir, key)), `${key} kept`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

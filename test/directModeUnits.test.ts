// Unit tests of direct mode's pieces: include files from line markers, the compiler's search
// path from `-E -v`, the manifest format, matching and shadowing candidates.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { includedFiles } from '../wrapper/direct/lineMarkers';
import { parseSearchPath } from '../wrapper/direct/includeSearchPath';
import { relocation, resolvedEntries } from '../wrapper/pipeline/baseDirs';
import { matchingEntry, withEntry, type Manifest } from '../wrapper/direct/manifest';
import { resolveProbes, scanDirectives } from '../wrapper/direct/directiveScan';
import { settleTimestamps } from './support/warmccEnv';
import { changedSinceStart } from '../wrapper/direct/fileHashCache';
import { newManifestEntry } from '../wrapper/direct/manifestEntry';
import { decodeManifest, encodeManifest } from '../wrapper/direct/manifestFormat';
import { addManifestEntry, readManifest } from '../wrapper/direct/manifestStore';
import { LocalDiskStorage } from '../wrapper/storage/localDiskStorage';

test('line markers give every file read, resolved against the cwd, without pseudo-files', () => {
  const preprocessed = Buffer.from(
    [
      '# 0 "src/a.c"',
      '# 0 "<built-in>"',
      '# 0 "<command-line>"',
      '# 1 "/home/dev/p//"',
      '# 1 "/usr/include/stdio.h" 1 3 4',
      'int printf(const char *, ...);',
      '# 2 "src/a.c" 2',
      '# 1 "inc/with \\"quote\\".h" 1',
      '#pragma once',
      'int x; # 3 "not/a/marker.h"',
    ].join('\n'),
  );
  assert.deepEqual(includedFiles(preprocessed, '/home/dev/p'), [
    { file: '/home/dev/p/src/a.c', system: false },
    { file: '/usr/include/stdio.h', system: true },
    { file: '/home/dev/p/inc/with "quote".h', system: false },
  ]);
});

test('the search path comes from the -v listing: quote list, angle list, relative dirs resolved', () => {
  const stderr = [
    'ignoring nonexistent directory "/nope"',
    '#include "..." search starts here:',
    ' quoted',
    '#include <...> search starts here:',
    ' inc1',
    ' /usr/lib/gcc/x86_64-linux-gnu/12/include',
    ' /usr/include',
    'End of search list.',
  ].join('\n');
  assert.deepEqual(parseSearchPath(stderr, '/p'), {
    quote: ['/p/quoted'],
    angle: ['/p/inc1', '/usr/lib/gcc/x86_64-linux-gnu/12/include', '/usr/include'],
    missing: ['/nope'],
  });
  assert.equal(parseSearchPath('#include <...> search starts here:\n /usr/include\n', '/p'), undefined, 'a listing without its end is not trusted');
});

describe('manifests', () => {
  let dir: string;
  const past = new Date(Date.now() - 60_000);
  const write = (name: string, content: string): string => {
    const file = path.join(dir, name);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, content);
    fs.utimesSync(file, past, past);
    settleTimestamps();
    return file;
  };
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-manifest-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('an entry matches while files keep their content and shadowing candidates stay absent', () => {
    const source = write('src/a.c', '#include "cfg.h"\n');
    const header = write('inc2/cfg.h', '#define V 2\n');
    fs.mkdirSync(path.join(dir, 'inc1'));
    const searchPath = { quote: [], angle: [path.join(dir, 'inc1'), path.join(dir, 'inc2')], missing: [path.join(dir, 'notyet')] };
    const entry = newManifestEntry(source, [{ file: header, system: false }], searchPath, 'r1', false);
    assert.notEqual(typeof entry, 'string');
    if (typeof entry === 'string') return;
    assert.ok(entry.absent.includes(path.join(dir, 'inc1', 'cfg.h')), 'an earlier search dir is a candidate');
    assert.ok(entry.absent.includes(path.join(dir, 'src', 'cfg.h')), 'the source directory is a candidate');
    assert.ok(entry.absent.includes(path.join(dir, 'notyet')), 'a directory the compiler ignored as nonexistent');
    const manifest = decodeManifest(encodeManifest(withEntry(undefined, entry)))!;
    assert.equal(matchingEntry(manifest)?.resultKey, 'r1');

    const later = new Date(Date.now() - 30_000);
    fs.utimesSync(header, later, later); // touched, same content
    assert.equal(matchingEntry(manifest)?.resultKey, 'r1');

    write('inc1/cfg.h', '#define V 1\n'); // the classic trap
    assert.equal(matchingEntry(manifest)?.resultKey, undefined);
    fs.rmSync(path.join(dir, 'inc1', 'cfg.h'));

    write('inc2/cfg.h', '#define V 3\n'); // content changed
    assert.equal(matchingEntry(manifest)?.resultKey, undefined);
  });

  test('recording refuses a file changed after the compile started (not one written just before it), and time macros (unless allowed)', () => {
    const none = { quote: [], angle: [], missing: [] };
    const beforeWriting = Date.now() - 50;
    const fresh = path.join(dir, 'fresh.c');
    fs.writeFileSync(fresh, 'int f;\n');
    assert.equal(newManifestEntry(fresh, [], none, 'r', false, beforeWriting), 'file modified too recently', 'written after the start');
    // a generated header written a moment before the compile: its content is what was read
    const generated = path.join(dir, 'generated.c');
    fs.writeFileSync(generated, 'int g;\n');
    const oneSecondAgo = new Date(Date.now() - 1000);
    fs.utimesSync(generated, oneSecondAgo, oneSecondAgo);
    settleTimestamps();
    assert.notEqual(typeof newManifestEntry(generated, [], none, 'r', false, Date.now()), 'string', 'written before the start');
    // whole-second timestamps (a coarse file system): the same second as the start is too new
    const coarse = path.join(dir, 'coarse.c');
    fs.writeFileSync(coarse, 'int c;\n');
    const second = Math.floor(Date.now() / 1000) * 1000 - 5000;
    fs.utimesSync(coarse, second / 1000, second / 1000);
    assert.equal(changedSinceStart({ mtimeMs: second, ctimeMs: second }, second + 900), true);
    assert.equal(changedSinceStart({ mtimeMs: second, ctimeMs: second }, second + 1000), false);
    // ctime too: a file moved into place keeps its old mtime
    assert.equal(changedSinceStart({ mtimeMs: 1_000_000.5, ctimeMs: 2_000_000.5 }, 1_500_000), true);
    const timed = write('timed.c', 'const char *t = __TIME__;\n');
    assert.equal(newManifestEntry(timed, [], none, 'r', false), 'time macros');
    assert.notEqual(typeof newManifestEntry(timed, [], none, 'r', true), 'string');
    // the words in a comment or a string are not the macros
    assert.notEqual(
      typeof newManifestEntry(write('notime.c', '/* built on __DATE__ */\nconst char *s = "__TIME__";\n// __TIMESTAMP__\n'), [], none, 'r', false),
      'string',
    );
  });

  test('recording refuses #embed and __has_embed (the embedded file leaves no line marker), #pragma GCC dependency', () => {
    const none = { quote: [], angle: [], missing: [] };
    assert.equal(newManifestEntry(write('embed1.c', 'const char d[] = {\n  #embed "data.bin"\n};\n'), [], none, 'r', false), '#embed');
    assert.equal(newManifestEntry(write('embed2.c', '#if __has_embed("data.bin")\n#endif\n'), [], none, 'r', false), '#embed');
    assert.equal(newManifestEntry(write('dep.c', '_Pragma("GCC dependency \\"parse.y\\"")\n'), [], none, 'r', false), '#pragma GCC dependency');
    assert.notEqual(typeof newManifestEntry(write('plain.c', '/* embedded systems */ int embed;\n'), [], none, 'r', false), 'string');
  });

  test('__has_include probes: literal names are read; `#ifdef __has_include`, a fallback #define of it, comments and strings are not probes; a name that cannot be known is computed', () => {
    const probes = (...texts: string[]) => resolveProbes(texts.map((text) => scanDirectives(Buffer.from(text), text).probes));
    assert.deepEqual(
      probes('#ifdef __has_include\n#if __has_include(<sys/single_threaded.h>) && __has_include_next( "opt.h" )\n#endif\n#endif\n'),
      new Map([[0, ['sys/single_threaded.h', 'opt.h']]]),
    );
    // abseil's span.h and many others: the fallback for old compilers is not a probe
    assert.deepEqual(
      probes('#if !defined(__has_include)\n#define __has_include(header) 0\n#endif\n#if __has_include(<version>)\n#include <version>\n#endif\n'),
      new Map([[0, ['version']]]),
    );
    assert.deepEqual(probes('#undef __has_include\n/* __has_include(BAD) */\n// #if __has_include(WORSE)\nconst char *s = "__has_include(X)";\n'), new Map());
    assert.equal(probes('#if __has_include(HEADER)\n#endif\n'), 'computed');
    // an object-like macro naming a header, defined once, names the probe
    assert.deepEqual(probes('#define CONFIG_H "config.h"\n', '#if __has_include(CONFIG_H)\n#endif\n'), new Map([[1, ['config.h']]]));
    assert.equal(probes('#define CONFIG_H "a.h"\n', '#define CONFIG_H "b.h"\n', '#if __has_include(CONFIG_H)\n#endif\n'), 'computed');
    assert.deepEqual(probes('int x;\n'), new Map());
  });

  test('__has_include through wrapper macros, defined in one header and used in another, transitively', () => {
    const probes = (...texts: string[]) => resolveProbes(texts.map((text) => scanDirectives(Buffer.from(text), text).probes));
    const base = '#ifdef __has_include\n#define XYZ_HAS_INCLUDE(x) __has_include(x)\n#else\n#define XYZ_HAS_INCLUDE(x) 0\n#endif\n';
    assert.deepEqual(
      probes(base, '#if XYZ_HAS_INCLUDE(<string_view>)\n#endif\n#if XYZ_HAS_INCLUDE("extra.h")\n#endif\n'),
      new Map([[1, ['string_view', 'extra.h']]]),
    );
    // a wrapper of the wrapper, and a probe kept in an object-like macro
    assert.deepEqual(
      probes(base, '#define QT_HAS(y) XYZ_HAS_INCLUDE(y)\n#define HAVE_SV QT_HAS(<string_view>)\n', '#if HAVE_SV\n#endif\n'),
      new Map([[1, ['string_view']]]),
    );
    // a wrapper called with something that is not a header name
    assert.equal(probes(base, '#if XYZ_HAS_INCLUDE(SOME_MACRO(1))\n#endif\n'), 'computed');
    // a wrapper that builds the name from its parameter
    assert.equal(probes('#define HAS_H(x) __has_include(<x.h>)\n', '#if HAS_H(foo)\n#endif\n'), 'computed');
    // the same calls of a macro that probes nothing are nothing
    assert.deepEqual(probes('#define VERSION_AT_LEAST(x) (VERSION >= x)\n', '#if VERSION_AT_LEAST(3)\n#endif\n'), new Map());
  });

  test("a probed name is recorded as absent in the probing file's directory and the search path", () => {
    const prober = write('probe/a.c', '#if __has_include("opt.h")\n#include "opt.h"\n#endif\n');
    const entry = newManifestEntry(prober, [], { quote: [], angle: [path.join(dir, 'inc2')], missing: [] }, 'r', false);
    assert.ok(typeof entry !== 'string' && entry.absent.includes(path.join(dir, 'probe', 'opt.h')) && entry.absent.includes(path.join(dir, 'inc2', 'opt.h')));
  });

  test('a damaged manifest is ignored; entries are bounded and newest first', () => {
    const bytes = encodeManifest({ entries: [{ files: [], absent: [], resultKey: 'a' }] });
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 2]! ^= 0x20;
    assert.equal(decodeManifest(flipped), undefined);
    assert.equal(decodeManifest(Buffer.from('garbage')), undefined);
    let manifest: Manifest | undefined;
    for (let i = 0; i < 40; i++) manifest = withEntry(manifest, { files: [], absent: [], resultKey: `k${i}` });
    assert.equal(manifest?.entries.length, 16);
    assert.equal(manifest.entries[0]?.resultKey, 'k39');
  });

  const hash = (digit: string): string => digit.repeat(64);
  const twoEntries = {
    entries: [
      {
        files: [
          ['/p/src/a.c', hash('1')],
          ['/usr/include/stdio.h', hash('2')],
          ['/p/inc/x.h', hash('3')],
        ] as [string, string][],
        absent: ['/p/src/x.h', '/p/inc/stdio.h', '/notyet'],
        resultKey: 'r2',
      },
      {
        files: [
          ['/p/src/a.c', hash('1')],
          ['/usr/include/stdio.h', hash('2')],
          ['/p/inc/x.h', hash('4')],
        ] as [string, string][],
        absent: ['/p/inc/stdio.h', '/p/src/x.h'],
        resultKey: 'r1',
      },
    ],
  };

  test('WCM2 round-trips entries that share files, changed hashes and absent paths in any order', () => {
    const bytes = encodeManifest(twoEntries);
    assert.equal(bytes.subarray(0, 4).toString(), 'WCM2');
    assert.deepEqual(decodeManifest(bytes), twoEntries);
    // relative paths (base-dir compiles) keep their meaning: resolved against the compile's cwd
    const relative = { entries: [{ files: [['../inc/a.h', hash('1')]] as [string, string][], absent: ['x.h'], resultKey: 'r' }] };
    assert.deepEqual(decodeManifest(encodeManifest(relative))?.entries[0]?.files, relative.entries[0]!.files);
    assert.deepEqual(decodeManifest(encodeManifest(relative))?.entries[0]?.absent, ['./x.h']);
  });

  test('a WCM2 manifest that is damaged, truncated, of the old format or inconsistent inside is absent', async () => {
    const zlib = await import('node:zlib');
    const bytes = encodeManifest(twoEntries);
    for (let at = 4; at < bytes.length; at += 7) {
      const flipped = Buffer.from(bytes);
      flipped[at]! ^= 0x01;
      assert.equal(decodeManifest(flipped), undefined, `bit flipped at byte ${at}`);
    }
    assert.equal(decodeManifest(bytes.subarray(0, bytes.length - 1)), undefined, 'truncated');
    const oldFormat = Buffer.concat([Buffer.from('WCM1'), Buffer.alloc(4), Buffer.from(JSON.stringify(twoEntries))]);
    assert.equal(decodeManifest(oldFormat), undefined, 'WCM1');
    // a well-formed container around a body that does not hold together
    const wrap = (body: unknown): Buffer => {
      const json = Buffer.from(JSON.stringify(body));
      const header = Buffer.alloc(12);
      header.write('WCM2');
      header.writeUInt32LE(json.length, 4);
      header.writeUInt32LE(zlib.crc32(json), 8);
      return Buffer.concat([header, zlib.brotliCompressSync(json)]);
    };
    const valid = { dirs: ['/p'], files: [0, 'a.h', hash('1')], absent: [0, 'b.h'], entries: [{ resultKey: 'r', files: [0, 1], absent: [0, 1] }] };
    assert.deepEqual(decodeManifest(wrap(valid)), { entries: [{ files: [['/p/a.h', hash('1')]], absent: ['/p/b.h'], resultKey: 'r' }] });
    for (const [what, body] of [
      ['file index out of range', { ...valid, entries: [{ resultKey: 'r', files: [0, 2], absent: [0, 1] }] }],
      ['directory index out of range', { ...valid, files: [1, 'a.h', hash('1')] }],
      ['hash not hex', { ...valid, files: [0, 'a.h', 'xyz'] }],
      ['name with a slash', { ...valid, absent: [0, '../b.h'] }],
      ['missing result key', { ...valid, entries: [{ files: [0, 1], absent: [0, 1] }] }],
      ['not an object', [1, 2, 3]],
    ] as const) {
      assert.equal(decodeManifest(wrap(body)), undefined, what);
    }
  });
});

describe('decoded manifests kept in memory', () => {
  let dir: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-kept-'));
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const manifestOf = (resultKey: string, header: string): Manifest => ({
    entries: [
      {
        files: [
          [`/p/src/a.c`, 'a'.repeat(64)],
          [header, 'b'.repeat(64)],
        ],
        absent: ['/p/inc1/cfg.h', '/p/src/cfg.h'],
        resultKey,
      },
    ],
  });

  test('a manifest just stored is served by its bytes, not decoded again; other bytes on disk are decoded', async () => {
    const storage = new LocalDiskStorage(path.join(dir, 'cache'), 1e9);
    const key = 'c0ffee'.repeat(8);
    const stored = manifestOf('r1', '/p/inc2/cfg.h');
    await addManifestEntry(storage, key, stored.entries[0]!);
    const kept = await readManifest(storage, key);
    assert.equal(kept?.entries[0], stored.entries[0], 'the very entry stored (no decoding)');
    // another process (a second server on the same cache) replaces the file
    const other = manifestOf('r2', '/p/inc3/cfg.h');
    await storage.put(key, encodeManifest(other));
    const read = await readManifest(storage, key);
    assert.notEqual(read, kept);
    assert.equal(read!.entries[0]!.resultKey, 'r2', 'the bytes on disk win');
    assert.deepEqual(read!.entries[0]!.files, other.entries[0]!.files);
    assert.equal(await readManifest(storage, key), read, 'and are kept in turn');
    assert.equal(await readManifest(storage, 'beef'.repeat(16)), undefined, 'absent stays absent');
  });

  test('entries resolved for a working directory under a base dir are resolved once per directory', () => {
    const entries: Manifest['entries'] = [
      {
        files: [
          ['src/a.c', 'a'.repeat(64)],
          ['../shared/x.h', 'b'.repeat(64)],
        ],
        absent: ['inc/x.h'],
        resultKey: 'r',
      },
    ];
    const inFirst = relocation('/home/u/one/build', ['/home/u/one']);
    const resolved = resolvedEntries(inFirst, entries);
    assert.deepEqual(
      resolved[0]!.files.map(([file]) => file),
      ['/home/u/one/build/src/a.c', '/home/u/one/shared/x.h'],
    );
    assert.deepEqual(resolved[0]!.absent, ['/home/u/one/build/inc/x.h']);
    assert.equal(resolvedEntries(inFirst, entries), resolved, 'the same lists again (their split by directory is kept with them)');
    const inSecond = resolvedEntries(relocation('/home/u/two/build', ['/home/u/two']), entries);
    assert.deepEqual(inSecond[0]!.absent, ['/home/u/two/build/inc/x.h'], 'another checkout gets its own paths');
    assert.equal(resolvedEntries(relocation('/elsewhere', ['/home/u/one']), entries), entries, 'outside every base dir: paths are absolute already');
  });
});

// WARMCC_BASEDIRS: two checkouts of one real CMake+Ninja project (Debug, so -g and -MD) at
// different paths share hits, and every object the second checkout receives is right for it:
// its .d names the second checkout's files, its debug info names no other checkout (DW_AT_comp_dir
// "." and a relative DW_AT_name, read with readelf), __FILE__ leads into the second checkout, and
// a change in one checkout never reaches the other as a stale hit (sccache's issue #2863).
// Run in direct mode (the default), preprocessor mode and depend mode.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { rewritePathArgs } from '../wrapper/compilers/argParser';
import { relativeIfUnderBaseDir, relocation, resolvedEntries, storableEntry } from '../wrapper/pipeline/baseDirs';
import { decodeManifest, encodeManifest } from '../wrapper/direct/manifestFormat';
import { loadConfig, requestSwitches } from '../wrapper/config/config';
import { ageFiles, createSandbox, repoRoot, runWithTimeout, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const haveTools = which('cmake') && which('ninja') && which('gcc') && which('readelf');

const PROJECT: Record<string, string> = {
  'CMakeLists.txt':
    'cmake_minimum_required(VERSION 3.13)\nproject(rel C)\nadd_executable(prog src/main.c src/value.c src/name.c)\ntarget_include_directories(prog PRIVATE include)\n',
  'include/config.h': '#pragma once\n#define CONFIG_VALUE 41\n',
  'include/value.h': '#pragma once\n#include "config.h"\nint value(void);\n',
  'src/value.c': '#include "value.h"\nint value(void) { return CONFIG_VALUE + 1; }\n',
  'src/name.c': '#include <string.h>\nconst char *source_name(void) { return __FILE__; }\nsize_t name_length(void) { return strlen(__FILE__); }\n',
  'src/main.c':
    '#include <stdio.h>\n#include "value.h"\nconst char *source_name(void);\nint main(void) { printf("%d %s\\n", value(), source_name()); return 0; }\n',
};

function age(dir: string): void {
  ageFiles(
    (fs.readdirSync(dir, { recursive: true }) as string[]).map((entry) => path.join(dir, entry)),
    120,
  );
}

interface Mode {
  name: string;
  env: Record<string, string>;
  /** hits in this mode come through manifests */
  directHits: boolean;
}

const MODES: Mode[] = [
  { name: 'direct mode (default)', env: {}, directHits: true },
  { name: 'preprocessor mode (WARMCC_DIRECT=0)', env: { WARMCC_DIRECT: '0' }, directHits: false },
  { name: 'depend mode (WARMCC_DEPEND=1)', env: { WARMCC_DEPEND: '1' }, directHits: true },
];

for (const mode of MODES) {
  describe(`two checkouts with WARMCC_BASEDIRS: ${mode.name}`, { skip: haveTools ? false : 'cmake, ninja, gcc or readelf missing' }, () => {
    let sandbox: WarmccSandbox;
    let checkouts: string;
    let a: string;
    let b: string;
    let env: Record<string, string>;

    before(() => {
      // WARMCC_BASEDIRS set for the client; the server it starts shares it
      sandbox = createSandbox('basedirs', mode.env);
      checkouts = path.join(sandbox.dir, 'checkouts');
      a = path.join(checkouts, 'alpha');
      b = path.join(checkouts, 'second-checkout'); // different length: no same-size path swap
      writeFiles(a, PROJECT);
      age(a);
      fs.cpSync(a, b, { recursive: true, preserveTimestamps: true });
      env = { ...sandbox.env, WARMCC_BASEDIRS: checkouts, PATH: `${path.join(repoRoot, 'bin')}:${sandbox.env.PATH}` };
    });
    after(() => sandbox.cleanup());

    const build = async (checkout: string, clean = false): Promise<string> => {
      const buildDir = path.join(checkout, 'build');
      if (clean) fs.rmSync(buildDir, { recursive: true, force: true });
      if (!fs.existsSync(buildDir)) {
        const configure = await runWithTimeout(
          'cmake',
          ['-S', '.', '-B', 'build', '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Debug', '-DCMAKE_C_COMPILER=gcc', '-DCMAKE_C_COMPILER_LAUNCHER=warmcc'],
          { cwd: checkout, env, timeoutMs: 120_000 },
        );
        assert.equal(configure.code, 0, configure.stdout + configure.stderr);
      }
      const result = await runWithTimeout('cmake', ['--build', 'build'], { cwd: checkout, env, timeoutMs: 120_000 });
      assert.equal(result.code, 0, result.stdout + result.stderr);
      const run = spawnSync(path.join(buildDir, 'prog'), { encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      return run.stdout.trim();
    };

    const counters = () => {
      const s = sandbox.stats();
      return { hits: s.cacheHits, misses: s.cacheMisses, direct: s.directHits };
    };

    const objects = (checkout: string): string[] =>
      (fs.readdirSync(path.join(checkout, 'build'), { recursive: true }) as string[])
        .filter((file) => file.endsWith('.o'))
        .map((file) => path.join(checkout, 'build', file));

    test('the second checkout is all hits, with objects right for it', async () => {
      assert.equal(await build(a), '42 ../src/name.c');
      const afterA = counters();
      assert.equal(afterA.misses, 3, 'checkout A compiled its three sources');

      // the second checkout: every object from A's results
      const output = await build(b);
      const afterB = counters();
      assert.equal(afterB.hits - afterA.hits, 3, 'all three objects of B are hits');
      assert.equal(afterB.misses, afterA.misses, 'no misses in B');
      if (mode.directHits)
        assert.equal(afterB.direct - afterA.direct, 3, `found through manifests, no preprocessor run: ${JSON.stringify(sandbox.stats().directModeSkipped)}`);

      // __FILE__ names the file relative to B's build directory: it leads into B
      const [value, sourceName] = output.split(' ');
      assert.equal(value, '42');
      assert.equal(path.resolve(b, 'build', sourceName!), path.join(b, 'src', 'name.c'));

      for (const object of objects(b)) {
        const bytes = fs.readFileSync(object);
        assert.ok(!bytes.includes(Buffer.from(a)), `${object} names checkout A`);
        const info = spawnSync('readelf', ['--debug-dump=info', object], { encoding: 'utf8' }).stdout;
        const compDir = /DW_AT_comp_dir\s*:.*?:\s*(\S+)\s*$/m.exec(info)?.[1];
        const name = /DW_AT_name\s*:.*?:\s*(\S+)\s*$/m.exec(info)?.[1];
        assert.equal(compDir, '.', `${object}: DW_AT_comp_dir`);
        assert.ok(name && fs.existsSync(path.resolve(b, 'build', compDir, name)), `${object}: DW_AT_name ${name} is a file of checkout B`);
        assert.ok(path.resolve(b, 'build', name).startsWith(`${b}/`), `${object}: DW_AT_name ${name} leads into B`);
      }
      // ninja keeps the .d files in its deps log; read it: every dependency of B is B's or the system's
      const deps = spawnSync('ninja', ['-C', 'build', '-t', 'deps'], { cwd: b, encoding: 'utf8' });
      assert.equal(deps.status, 0, deps.stderr);
      const listed = deps.stdout
        .split('\n')
        .filter((line) => line.startsWith('    '))
        .map((line) => path.resolve(b, 'build', line.trim()));
      assert.ok(
        listed.some((file) => file === path.join(b, 'include', 'config.h')),
        `B's deps name B's config.h:\n${deps.stdout}`,
      );
      for (const file of listed) {
        assert.ok(!file.startsWith(`${a}/`), `dependency ${file} is in checkout A`);
        assert.ok(fs.existsSync(file), `dependency ${file} exists`);
      }
    });

    test('a change in one checkout is never a stale hit in the other', async () => {
      // A changes its header and rebuilds: its program sees the change
      fs.writeFileSync(path.join(a, 'include', 'config.h'), '#pragma once\n#define CONFIG_VALUE 99\n');
      age(path.join(a, 'include'));
      // from scratch: the aged header is older than the objects, which ninja would keep
      assert.equal(await build(a, true), '100 ../src/name.c');

      // B, unchanged, rebuilt from scratch: hits of its own content, not A's new objects
      const before = counters();
      assert.equal(await build(b, true), '42 ../src/name.c');
      const afterB = counters();
      assert.equal(afterB.hits - before.hits, 3, 'B is still all hits');
      assert.equal(afterB.misses, before.misses);

      // B makes the same change: it now shares A's new results
      fs.writeFileSync(path.join(b, 'include', 'config.h'), '#pragma once\n#define CONFIG_VALUE 99\n');
      age(path.join(b, 'include'));
      assert.equal(await build(b, true), '100 ../src/name.c');
      const afterChange = counters();
      assert.equal(afterChange.misses, afterB.misses, 'the changed B reuses what A compiled');
      assert.equal(afterChange.hits - afterB.hits, 3, 'all hits: main.c and value.c from what A compiled after its change');
    });
  });
}

describe('base dirs: path rewriting (units)', () => {
  const location = relocation('/src/one/build', ['/src']);

  test('only absolute paths under a base dir become relative to the working directory', () => {
    assert.equal(relativeIfUnderBaseDir(location, '/src/one/include'), '../include');
    assert.equal(relativeIfUnderBaseDir(location, '/src/one/build'), '.');
    assert.equal(relativeIfUnderBaseDir(location, '/srcfoo/x.h'), '/srcfoo/x.h', 'a prefix of a name is not a parent directory');
    assert.equal(relativeIfUnderBaseDir(location, '/usr/include'), '/usr/include');
    assert.equal(relativeIfUnderBaseDir(location, 'rel/x.h'), 'rel/x.h');
    assert.equal(location.relocatable, true);
    assert.equal(relocation('/tmp/elsewhere', ['/src']).relocatable, false);
  });

  test('the flag table decides which values are paths; -D values are never touched', () => {
    const rewrite = (file: string) => relativeIfUnderBaseDir(location, file);
    const args = [
      '-I/src/one/include',
      '-isystem',
      '/src/one/sys',
      '-include',
      '/src/one/pre.h',
      '-DDIR="/src/one/data"',
      '-c',
      '/src/one/a.c',
      '-o',
      '/src/one/build/a.o',
      '-MF/src/one/build/a.d',
      '--sysroot=/src/root',
      '-I',
      '/usr/include/x',
      '-L/src/one/lib',
    ];
    const rewritten = rewritePathArgs('gcc', args, rewrite);
    assert.deepEqual(rewritten, [
      '-I../include',
      '-isystem',
      '../sys',
      '-include',
      '../pre.h',
      '-DDIR="/src/one/data"',
      '-c',
      '../a.c',
      '-o',
      'a.o',
      '-MFa.d',
      '--sysroot=../../root',
      '-I',
      '/usr/include/x',
      '-L/src/one/lib',
    ]);
    assert.deepEqual(rewritePathArgs('clang', ['-F/src/one/fw', '-iframework', '/src/one/fw2'], rewrite), ['-F../fw', '-iframework', '../fw2']);
  });

  test('manifest paths under a base dir are stored relative and resolved against the checking compile', () => {
    const [h1, h2] = ['1'.repeat(64), '2'.repeat(64)];
    const entry = {
      files: [
        ['/src/one/include/a.h', h1],
        ['/usr/include/stdio.h', h2],
      ] as [string, string][],
      absent: ['/src/one/build/a.h'],
      resultKey: 'r',
    };
    const stored = storableEntry(location, entry);
    assert.deepEqual(stored.files, [
      ['../include/a.h', h1],
      ['/usr/include/stdio.h', h2],
    ]);
    assert.deepEqual(stored.absent, ['a.h']);
    const other = relocation('/src/two/build', ['/src']);
    assert.deepEqual(resolvedEntries(other, [stored])[0]!.files, [
      ['/src/two/include/a.h', h1],
      ['/usr/include/stdio.h', h2],
    ]);
    assert.deepEqual(resolvedEntries(other, [stored])[0]!.absent, ['/src/two/build/a.h']);
    // and the stored form survives the manifest encoding
    const decoded = decodeManifest(encodeManifest({ entries: [stored] }));
    assert.ok(decoded, 'a manifest with relative paths encodes and decodes');
    assert.deepEqual(resolvedEntries(other, decoded.entries)[0]!.files, [
      ['/src/two/include/a.h', h1],
      ['/usr/include/stdio.h', h2],
    ]);
    assert.deepEqual(resolvedEntries(other, decoded.entries)[0]!.absent, ['/src/two/build/a.h']);
  });
});

describe('mode and base-dir settings (units)', () => {
  test('direct mode is on unless 0/false; depend mode and sloppiness are opt-in; unknown values are refused', () => {
    assert.equal(loadConfig({}).directMode, true);
    assert.equal(loadConfig({ WARMCC_DIRECT: '' }).directMode, true);
    assert.equal(loadConfig({ WARMCC_DIRECT: '0' }).directMode, false);
    assert.equal(loadConfig({ WARMCC_DIRECT: 'false' }).directMode, false);
    assert.equal(loadConfig({}).dependMode, false);
    assert.equal(loadConfig({ WARMCC_DEPEND: '1' }).dependMode, true);
    assert.deepEqual(loadConfig({ WARMCC_SLOPPINESS: 'time_macros, system_headers' }).sloppiness, ['time_macros', 'system_headers']);
    assert.throws(() => loadConfig({ WARMCC_SLOPPINESS: 'file_stat_matches' }), /WARMCC_SLOPPINESS: unknown value 'file_stat_matches'/);
  });

  test("WARMCC_BASEDIRS: absolute, normalised, deduplicated; relative and / refused; a client's own value wins per request", () => {
    assert.deepEqual(loadConfig({ WARMCC_BASEDIRS: '/src/a/:/src/b:/src/a' }).baseDirs, ['/src/a', '/src/b']);
    assert.throws(() => loadConfig({ WARMCC_BASEDIRS: 'src' }), /WARMCC_BASEDIRS: 'src' is not an absolute directory/);
    assert.throws(() => loadConfig({ WARMCC_BASEDIRS: '/' }), /WARMCC_BASEDIRS: '\/' cannot be a base dir/);
    assert.equal(requestSwitches({}).baseDirs, undefined, "unset: the server's setting applies");
    assert.deepEqual(requestSwitches({ WARMCC_BASEDIRS: '/work' }).baseDirs, ['/work']);
    assert.deepEqual(requestSwitches({ WARMCC_BASEDIRS: '' }).baseDirs, [], 'set but empty: none for this compile');
  });

  test('warmcc.conf carries depend, base_dirs and journal_size like the environment', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-modes-'));
    try {
      fs.writeFileSync(path.join(dir, 'warmcc.conf'), 'depend = 1\nbase_dirs = /src\njournal_size = 1M\ndirect = 0\n');
      const config = loadConfig({ WARMCC_DIR: dir });
      assert.equal(config.dependMode, true);
      assert.deepEqual(config.baseDirs, ['/src']);
      assert.equal(config.journalSizeLimit, 1024 ** 2);
      assert.equal(config.directMode, false);
      assert.deepEqual(loadConfig({ WARMCC_DIR: dir, WARMCC_BASEDIRS: '/other' }).baseDirs, ['/other'], 'the environment wins');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

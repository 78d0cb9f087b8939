// Correctness of the cache with real gcc and clang: a hit restores byte-identical outputs; any
// change that matters misses; failures and warnings pass through exactly.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadConfig } from '../wrapper/config/config';
import { waitFor } from './support/poll';
import { createSandbox, missingTools, warmccBin as warmcc, writeFiles, type WarmccSandbox } from './support/warmccEnv';

// .ci/run installs both; elsewhere a missing one shows as skipped in the summary
const COMPILERS = [
  { family: 'gcc', c: 'gcc', cxx: 'g++' },
  { family: 'clang', c: 'clang', cxx: 'clang++' },
];

const SOURCES = {
  'src/main.c':
    '#include "config.h"\n#include <stdio.h>\nint answer(void) { return VALUE * FACTOR; }\nint main(void) { printf("%d\\n", answer()); return 0; }\n',
  'src/config.h': '#define VALUE 21\n',
  'src/warn.c': 'int f(int x) { int unused; return x; }\n',
  'src/broken.c': 'int f(void) { return missing_symbol; }\n',
  'src/app.cpp':
    '#include <vector>\n#include <string>\nstd::string join(const std::vector<std::string>& v) { std::string r; for (auto& s : v) r += s; return r; }\n',
  'src/asm.S': '#define NUMBER 42\n.text\n.globl number\nnumber:\n  .long NUMBER\n',
};

function read(file: string): Buffer {
  return fs.readFileSync(file);
}

for (const compiler of COMPILERS) {
  describe(`cache correctness with ${compiler.family}`, { skip: missingTools(compiler.c, compiler.cxx) }, () => {
    let sandbox: WarmccSandbox;
    let dir: string;
    const compile = (args: string[], env: Record<string, string | undefined> = {}) => sandbox.run([compiler.c, ...args], { cwd: dir, env });
    const plain = (args: string[], cwd: string) => spawnSync(compiler.c, args, { cwd, encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });

    before(() => {
      sandbox = createSandbox(`cc-${compiler.family}`);
      dir = path.join(sandbox.dir, 'project');
      writeFiles(dir, SOURCES);
      fs.mkdirSync(path.join(dir, 'obj'));
    });
    after(() => sandbox.cleanup());

    test('a hit restores an object, .d, .dwo byte-identical to a fresh compile', () => {
      const args = ['-c', 'src/main.c', '-o', 'obj/main.o', '-O2', '-g', '-gsplit-dwarf', '-DFACTOR=2', '-MMD', '-MP'];
      const first = compile(args);
      assert.equal(first.status, 0, first.stderr);
      const outputs = ['obj/main.o', 'obj/main.d', 'obj/main.dwo'];
      const fresh = outputs.map((file) => read(path.join(dir, file)));
      for (const file of outputs) fs.rmSync(path.join(dir, file));
      const before = sandbox.stats();
      const second = compile(args);
      assert.equal(second.status, 0, second.stderr);
      const afterStats = sandbox.stats();
      assert.equal(afterStats.cacheHits, before.cacheHits + 1, 'second compile is a hit');
      outputs.forEach((file, i) => assert.deepEqual(read(path.join(dir, file)), fresh[i], `${file} identical after a hit`));
      assert.match(read(path.join(dir, 'obj/main.d')).toString(), /^obj\/main\.o: src\/main\.c src\/config\.h/);
    });

    test("restored outputs get the modes the client's umask gives a real compile", () => {
      const args = ['-c', 'src/main.c', '-o', 'obj/modes.o', '-DFACTOR=5', '-MD'];
      const run = (umask: string) => {
        for (const file of ['obj/modes.o', 'obj/modes.d']) fs.rmSync(path.join(dir, file), { force: true });
        const result = spawnSync('sh', ['-c', `umask ${umask} && exec "$@"`, 'sh', warmcc, compiler.c, ...args], {
          cwd: dir,
          env: sandbox.env,
          encoding: 'utf8',
        });
        assert.equal(result.status, 0, result.stderr);
        return ['obj/modes.o', 'obj/modes.d'].map((file) => fs.statSync(path.join(dir, file)).mode & 0o777);
      };
      const before = sandbox.stats();
      assert.deepEqual(run('077'), [0o600, 0o600], 'a miss under umask 077');
      assert.deepEqual(run('022'), [0o644, 0o644], 'a hit under umask 022');
      assert.deepEqual(run('077'), [0o600, 0o600], 'a hit under umask 077');
      assert.equal(sandbox.stats().cacheHits - before.cacheHits, 2);
    });

    test('a hit restores the .gcno of a --coverage compile byte-identical', () => {
      const args = ['-c', 'src/main.c', '-o', 'obj/cov.o', '--coverage', '-DFACTOR=3'];
      assert.equal(compile(args).status, 0);
      const gcno = path.join(dir, 'obj/cov.gcno');
      const fresh = [read(path.join(dir, 'obj/cov.o')), read(gcno)];
      fs.rmSync(gcno);
      fs.rmSync(path.join(dir, 'obj/cov.o'));
      const hits = sandbox.stats().cacheHits;
      assert.equal(compile(args).status, 0);
      assert.equal(sandbox.stats().cacheHits, hits + 1);
      assert.deepEqual([read(path.join(dir, 'obj/cov.o')), read(gcno)], fresh);
    });

    test('the cached object equals what the compiler produces without warmcc', () => {
      const args = ['-c', 'src/main.c', '-o', 'obj/same.o', '-O1', '-DFACTOR=5'];
      assert.equal(compile(args).status, 0);
      assert.equal(compile(args).status, 0); // hit
      const viaCache = read(path.join(dir, 'obj/same.o'));
      assert.equal(plain(args, dir).status, 0);
      assert.deepEqual(viaCache, read(path.join(dir, 'obj/same.o')));
    });

    test('changing a header, a -D, or the compiler misses', () => {
      const args = ['-c', 'src/main.c', '-o', 'obj/k.o', '-DFACTOR=2'];
      compile(args);
      const misses = () => sandbox.stats().cacheMisses;
      let before = misses();
      compile(args);
      assert.equal(misses(), before, 'unchanged: no miss');

      fs.writeFileSync(path.join(dir, 'src/config.h'), '#define VALUE 22\n');
      before = misses();
      compile(args);
      assert.equal(misses(), before + 1, 'header changed: miss');

      before = misses();
      compile(['-c', 'src/main.c', '-o', 'obj/k.o', '-DFACTOR=7']);
      assert.equal(misses(), before + 1, '-D changed: miss');

      const other = COMPILERS.find((candidate) => candidate !== compiler);
      if (other) {
        before = misses();
        const viaOther = sandbox.run([other.c, ...args], { cwd: dir });
        assert.equal(viaOther.status, 0, viaOther.stderr);
        assert.equal(misses(), before + 1, 'other compiler: miss');
      }
      fs.writeFileSync(path.join(dir, 'src/config.h'), SOURCES['src/config.h']);
    });

    test('an environment variable that changes diagnostics (LANG/LC_ALL) misses; an unrelated one hits', () => {
      const args = ['-c', 'src/warn.c', '-o', 'obj/env.o', '-Wall'];
      compile(args, { LC_ALL: 'C' });
      let stats = sandbox.stats();
      compile(args, { LC_ALL: 'C', SOME_UNRELATED_VARIABLE: 'x' });
      assert.equal(sandbox.stats().cacheHits, stats.cacheHits + 1, 'unrelated variable: hit');
      stats = sandbox.stats();
      compile(args, { LC_ALL: 'C.UTF-8' });
      assert.equal(sandbox.stats().cacheMisses, stats.cacheMisses + 1, 'LC_ALL changed: miss');
    });

    test('warnings are replayed on every hit, without colour codes when stderr is not a terminal', () => {
      const args = ['-c', 'src/warn.c', '-o', 'obj/warn.o', '-Wall', '-Wunused-variable'];
      const first = compile(args);
      assert.equal(first.status, 0);
      assert.match(first.stderr, /unused/);
      assert.doesNotMatch(first.stderr, /\x1b\[/);
      const hits = sandbox.stats().cacheHits;
      const second = compile(args);
      assert.equal(sandbox.stats().cacheHits, hits + 1);
      assert.equal(second.stderr, first.stderr);
      const reference = plain(args, dir);
      assert.equal(second.stderr, reference.stderr, 'same diagnostics as the compiler itself');
    });

    test('an explicit -fdiagnostics-color=always keeps colours even to a pipe', () => {
      const result = compile(['-c', 'src/warn.c', '-o', 'obj/colour.o', '-Wall', '-fdiagnostics-color=always']);
      assert.equal(result.status, 0);
      assert.match(result.stderr, /\x1b\[/);
    });

    test('a failing compile passes its exit code and messages through and is not cached', () => {
      const args = ['-c', 'src/broken.c', '-o', 'obj/broken.o'];
      const reference = plain(args, dir);
      assert.notEqual(reference.status, 0);
      const failures = sandbox.stats().compileFailures;
      const result = compile(args);
      assert.equal(result.status, reference.status);
      assert.equal(result.stderr, reference.stderr);
      const again = compile(args);
      assert.equal(again.status, reference.status);
      const stats = sandbox.stats();
      assert.equal(stats.compileFailures, failures + 2, 'both runs compiled, none served from cache');
    });

    test('C++ and preprocessed assembler (.S) are cached, counted per language', () => {
      const cxx = sandbox.run([compiler.cxx, '-c', 'src/app.cpp', '-o', 'obj/app.o', '-O2'], { cwd: dir });
      assert.equal(cxx.status, 0, cxx.stderr);
      sandbox.run([compiler.cxx, '-c', 'src/app.cpp', '-o', 'obj/app.o', '-O2'], { cwd: dir });
      const asm = compile(['-c', 'src/asm.S', '-o', 'obj/asm.o']);
      assert.equal(asm.status, 0, asm.stderr);
      compile(['-c', 'src/asm.S', '-o', 'obj/asm.o']);
      const stats = sandbox.stats();
      assert.ok((stats.hitsByLanguage['c++'] ?? 0) >= 1, JSON.stringify(stats.hitsByLanguage));
      assert.ok((stats.hitsByLanguage['assembler-with-cpp'] ?? 0) >= 1, JSON.stringify(stats.hitsByLanguage));
    });

    test('-x c++ on a .c file is honoured and keyed apart from plain C', () => {
      writeFiles(dir, { 'src/both.c': '#ifdef __cplusplus\nint lang(void) { return 2; }\n#else\nint lang(void) { return 1; }\n#endif\n' });
      assert.equal(compile(['-c', 'src/both.c', '-o', 'obj/both-c.o']).status, 0);
      const asCxx = compile(['-x', 'c++', '-c', 'src/both.c', '-o', 'obj/both-cxx.o']);
      assert.equal(asCxx.status, 0, asCxx.stderr);
      const symbols = spawnSync('nm', [path.join(dir, 'obj/both-cxx.o')], { encoding: 'utf8' }).stdout;
      assert.match(symbols, /_Z4langv/, 'compiled as C++ (mangled name)');
    });
  });
}

describe('WARMCC_COMPRESSION and WARMCC_COMPRESSION_LEVEL', { skip: missingTools('gcc') }, () => {
  /** the cache's entry files (not manifests: those start with WCM) */
  const entryFiles = (cacheDir: string): Buffer[] =>
    !fs.existsSync(path.join(cacheDir, 'objects'))
      ? []
      : fs
          .readdirSync(path.join(cacheDir, 'objects'), { recursive: true, withFileTypes: true })
          .filter((entry) => entry.isFile())
          .map((entry) => fs.readFileSync(path.join(entry.parentPath, entry.name)))
          .filter((bytes) => bytes.subarray(0, 4).toString() === 'WCE1');

  const cases: { env: Record<string, string>; codec: number; what: string }[] = [
    { env: {}, codec: 3, what: 'default: LZ4, smaller than the object' },
    { env: { WARMCC_COMPRESSION: 'deflate' }, codec: 2, what: 'deflate level 1, smaller than the object' },
    { env: { WARMCC_COMPRESSION: 'deflate', WARMCC_COMPRESSION_LEVEL: '9' }, codec: 2, what: 'deflate level 9, smaller than the object' },
    { env: { WARMCC_COMPRESSION_LEVEL: '0' }, codec: 2, what: 'level 0: as large as the object (stored blocks)' },
  ];
  for (const [index, { env, codec, what }] of cases.entries()) {
    test(`${JSON.stringify(env)}: ${what}, and a hit restores it byte for byte`, async () => {
      const sandbox = createSandbox(`cl${index}`, { ...env, WARMCC_DIRECT: '0' });
      try {
        // a debug object compresses well
        writeFiles(sandbox.dir, { 'z.c': Array.from({ length: 60 }, (_, i) => `int f${i}(int x) { return x * ${i} + ${i * 7}; }\n`).join('') });
        assert.equal(sandbox.run(['gcc', '-g', '-c', 'z.c', '-o', 'z.o']).status, 0);
        const object = fs.readFileSync(path.join(sandbox.dir, 'z.o'));
        // stored after the reply
        const [stored] = await waitFor(() => entryFiles(sandbox.cacheDir).length > 0 && entryFiles(sandbox.cacheDir), {
          timeoutMs: 10_000,
          what: 'the entry to be stored',
        });
        assert.equal(stored!.readUInt8(6), codec, 'codec byte of the stored entry');
        if (env.WARMCC_COMPRESSION_LEVEL === '0')
          assert.ok(stored!.length > object.length, `stored ${stored!.length} bytes for a ${object.length}-byte object`);
        else assert.ok(stored!.length < object.length / 2, `compressed to ${stored!.length} bytes from ${object.length}`);
        fs.rmSync(path.join(sandbox.dir, 'z.o'));
        assert.equal(sandbox.run(['gcc', '-g', '-c', 'z.c', '-o', 'z.o']).status, 0);
        assert.deepEqual(fs.readFileSync(path.join(sandbox.dir, 'z.o')), object);
        assert.equal(sandbox.stats().cacheHits, 1);
        assert.match(fs.readFileSync(sandbox.logFile, 'utf8'), codec === 3 ? /entries: lz4\b/ : /entries: (deflate level|none)/);
      } finally {
        sandbox.cleanup();
      }
    });
  }

  test('an unknown codec is refused by name', () => {
    assert.throws(() => loadConfig({ WARMCC_DIR: '/nonexistent', WARMCC_COMPRESSION: 'zstd' }), /WARMCC_COMPRESSION: expected one of lz4, deflate, got 'zstd'/);
  });

  test('a level outside 0-9 is refused by name', () => {
    assert.throws(
      () => loadConfig({ WARMCC_DIR: '/nonexistent', WARMCC_COMPRESSION_LEVEL: '11' }),
      /WARMCC_COMPRESSION_LEVEL: expected a deflate level from 0 \(none\) to 9, got '11'/,
    );
    assert.deepEqual(loadConfig({ WARMCC_DIR: '/nonexistent' }).compression, { codec: 'lz4', level: 1 });
  });
});

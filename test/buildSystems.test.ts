// warmcc in front of real build systems, the three ways the README shows: make with
// CC="warmcc gcc", CMake+Ninja with the compiler launcher, and masquerade links first on PATH.
// Plus the pure Node client, which must behave the same where no C compiler built bin/warmcc.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSandbox, masqDir, nodeClientBin, repoRoot, runWithTimeout, warmccBin, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const PROJECT = {
  'include/shapes.h': '#pragma once\ndouble area(int sides, double length);\n',
  'src/area.c': '#include "shapes.h"\ndouble area(int sides, double length) { return sides * length * length / 4.0; }\n',
  'src/table.cpp':
    '#include <map>\n#include <string>\nextern "C" int table_size() { std::map<std::string, int> m{{"a", 1}, {"b", 2}}; return (int)m.size(); }\n',
  'src/main.c':
    '#include <stdio.h>\n#include "shapes.h"\nint table_size(void);\nint main(void) { printf("%.1f %d\\n", area(4, 2.0), table_size()); return 0; }\n',
  Makefile: [
    'CC ?= cc',
    'CXX ?= c++',
    'OBJS = obj/area.o obj/table.o obj/main.o',
    'prog: $(OBJS)',
    '\t$(CXX) $(OBJS) -o $@',
    'obj/%.o: src/%.c | obj',
    '\t$(CC) -Iinclude -O2 -MMD -MP -c $< -o $@',
    'obj/%.o: src/%.cpp | obj',
    '\t$(CXX) -Iinclude -O2 -MMD -MP -c $< -o $@',
    'obj:',
    '\tmkdir -p obj',
    'clean:',
    '\trm -rf obj prog',
    '-include $(OBJS:.o=.d)',
    '',
  ].join('\n'),
  'CMakeLists.txt':
    'cmake_minimum_required(VERSION 3.13)\nproject(shapes C CXX)\nadd_executable(prog src/area.c src/table.cpp src/main.c)\ntarget_include_directories(prog PRIVATE include)\n',
};

function runProgram(dir: string, name = 'prog'): string {
  return spawnSync(path.join(dir, name), { encoding: 'utf8' }).stdout;
}

describe('make with CC="warmcc gcc"', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('make');
    writeFiles(sandbox.dir, PROJECT);
  });
  after(() => sandbox.cleanup());

  test('a clean rebuild is all hits and links a working program', async () => {
    const make = () =>
      runWithTimeout('make', ['-j2', `CC=${warmccBin} gcc`, `CXX=${warmccBin} g++`], { cwd: sandbox.dir, env: sandbox.env, timeoutMs: 120_000 });
    const first = await make();
    assert.equal(first.code, 0, first.stderr);
    assert.equal(runProgram(sandbox.dir), '4.0 2\n');
    spawnSync('make', ['clean'], { cwd: sandbox.dir });
    const before = sandbox.stats();
    const second = await make();
    assert.equal(second.code, 0, second.stderr);
    const stats = sandbox.stats();
    assert.equal(stats.cacheHits - before.cacheHits, 3, 'three objects from the cache');
    assert.equal(stats.cacheMisses, before.cacheMisses);
    assert.equal(runProgram(sandbox.dir), '4.0 2\n');
    assert.match(fs.readFileSync(path.join(sandbox.dir, 'obj/main.d'), 'utf8'), /^obj\/main\.o: src\/main\.c include\/shapes\.h/);
  });
});

describe(
  'CMake + Ninja with CMAKE_<LANG>_COMPILER_LAUNCHER=warmcc',
  { skip: which('cmake') && which('ninja') ? false : 'cmake or ninja not installed' },
  () => {
    let sandbox: WarmccSandbox;
    before(() => {
      sandbox = createSandbox('cmake');
      writeFiles(sandbox.dir, PROJECT);
    });
    after(() => sandbox.cleanup());

    test('the second build directory of the same sources is all hits', async () => {
      // the launcher is looked up as a program: put bin/ on PATH as a user would after npm link
      const env = { ...sandbox.env, PATH: `${path.join(repoRoot, 'bin')}:${sandbox.env.PATH}` };
      const build = async (buildDir: string) => {
        const configure = await runWithTimeout(
          'cmake',
          [
            '-S',
            '.',
            '-B',
            buildDir,
            '-G',
            'Ninja',
            '-DCMAKE_C_COMPILER_LAUNCHER=warmcc',
            '-DCMAKE_CXX_COMPILER_LAUNCHER=warmcc',
            '-DCMAKE_C_COMPILER=gcc',
            '-DCMAKE_CXX_COMPILER=g++',
          ],
          { cwd: sandbox.dir, env, timeoutMs: 120_000 },
        );
        assert.equal(configure.code, 0, configure.stdout + configure.stderr);
        const result = await runWithTimeout('cmake', ['--build', buildDir], { cwd: sandbox.dir, env, timeoutMs: 120_000 });
        assert.equal(result.code, 0, result.stdout + result.stderr);
        assert.equal(runProgram(path.join(sandbox.dir, buildDir)), '4.0 2\n');
      };
      await build('build-a');
      const before = sandbox.stats();
      assert.ok(before.cacheMisses >= 3, 'the first build compiled through warmcc');
      // same relative layout, so object paths (and -o in the key of .d files) match
      fs.rmSync(path.join(sandbox.dir, 'build-a'), { recursive: true });
      await build('build-a');
      const stats = sandbox.stats();
      assert.equal(stats.cacheHits - before.cacheHits, 3);
      assert.equal(stats.cacheMisses, before.cacheMisses);
    });
  },
);

describe('masquerade mode: bin/masq first on PATH', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('masq');
    writeFiles(sandbox.dir, PROJECT);
  });
  after(() => sandbox.cleanup());

  test('plain make goes through warmcc, and the links find the real compiler, never themselves', async () => {
    // masq twice on PATH: a naive lookup would find itself again and recurse
    const env = { ...sandbox.env, PATH: `${masqDir}:${masqDir}:${sandbox.env.PATH}` };
    const result = await runWithTimeout('make', ['-j2', 'CC=gcc', 'CXX=g++'], { cwd: sandbox.dir, env, timeoutMs: 120_000 });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(runProgram(sandbox.dir), '4.0 2\n');
    const stats = sandbox.stats();
    assert.equal(stats.cacheMisses, 3, 'three compiles went through the cache');
    assert.equal(stats.notCacheable['no -c (linking or other)'], 1, 'the link passed through');
    for (const name of ['cc', 'c++', 'gcc', 'g++', 'clang', 'clang++']) {
      assert.equal(fs.readlinkSync(path.join(masqDir, name)), '../warmcc');
    }
  });

  test('a masquerade name with no real compiler behind it says so and fails cleanly', () => {
    const lonely = path.join(sandbox.dir, 'lonely');
    fs.mkdirSync(lonely);
    fs.symlinkSync(warmccBin, path.join(lonely, 'gcc'));
    const result = spawnSync(path.join(lonely, 'gcc'), ['-c', 'x.c'], { env: { ...sandbox.env, PATH: lonely }, encoding: 'utf8' });
    assert.equal(result.status, 127);
    assert.match(result.stderr, /cannot find the real compiler 'gcc'/);
  });
});

describe('the pure Node client (bin/warmcc-node), for machines without a C compiler', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('nodeclient');
    writeFiles(sandbox.dir, { ...PROJECT, 'warn.c': 'int w(void) { int unused; return 0; }\n', 'bad.c': 'int b( { }\n' });
  });
  after(() => sandbox.cleanup());

  test('compiles, hits, relays diagnostics and exit codes like the native client', () => {
    const args = ['gcc', '-Wall', '-c', 'warn.c', '-o', 'warn.o'];
    const first = sandbox.run(args, { client: nodeClientBin });
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stderr, /unused variable/);
    const second = sandbox.run(args, { client: nodeClientBin });
    assert.equal(second.stderr, first.stderr);
    const stats = sandbox.stats();
    assert.equal(stats.cacheHits, 1);
    assert.equal(stats.cacheMisses, 1);
    const viaNative = sandbox.run(['gcc', '-c', 'bad.c'], {});
    const viaNode = sandbox.run(['gcc', '-c', 'bad.c'], { client: nodeClientBin });
    assert.notEqual(viaNode.status, 0);
    assert.equal(viaNode.status, viaNative.status);
    assert.equal(viaNode.stderr, viaNative.stderr);
  });

  test('runs management commands and non-cacheable calls, and works behind masquerade links', () => {
    assert.match(sandbox.run(['--version'], { client: nodeClientBin }).stdout, /^warmcc /);
    const links = path.join(sandbox.dir, 'nodemasq');
    fs.mkdirSync(links);
    fs.symlinkSync(nodeClientBin, path.join(links, 'gcc'));
    const env = { ...sandbox.env, PATH: `${links}:${sandbox.env.PATH}` };
    const link = spawnSync('gcc', ['src/area.c', 'src/main.c', '-x', 'c++', 'src/table.cpp', '-Iinclude', '-lstdc++', '-o', 'prog'], {
      cwd: sandbox.dir,
      env,
      encoding: 'utf8',
    });
    assert.equal(link.status, 0, link.stderr);
    assert.equal(runProgram(sandbox.dir), '4.0 2\n');
    const compile = spawnSync('gcc', ['-c', 'src/area.c', '-Iinclude', '-o', 'area.o'], { cwd: sandbox.dir, env, encoding: 'utf8' });
    assert.equal(compile.status, 0, compile.stderr);
    const stats = sandbox.stats();
    assert.ok((stats.notCacheable['no -c (linking or other)'] ?? 0) >= 1 || (stats.notCacheable['multiple input files'] ?? 0) >= 1);
    assert.equal(stats.cacheMisses, 2);
  });
});

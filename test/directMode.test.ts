// Direct mode (the default; WARMCC_DIRECT=0 turns it off): a compile is found through a manifest keyed by the
// compiler, the arguments, the cwd, the environment and the source's content, listing the include
// files (path + content hash) and the include-path candidates that must stay absent. These tests
// pin down the counters (directHits / preprocessedHits) and, above all, that a direct hit never
// serves an object the compiler would not produce now: the include-shadowing trap, -I order,
// CPATH, cwd, __has_include, computed includes, time macros and too-recent files.
//
// Files are given an mtime in the past after writing (the server does not record files modified
// less than ~2 s ago into a manifest). Every source carries a unique tag so that no two tests
// share a preprocessor-mode key.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ageFiles, createSandbox, settleTimestamps, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const GCC = which('gcc');
const CLANG = which('clang');
const skip = GCC ? false : 'gcc is not installed';

interface Counts {
  direct: number;
  preprocessed: number;
  hits: number;
  misses: number;
}

function counts(sandbox: WarmccSandbox): Counts {
  const stats = sandbox.stats();
  const counted = { direct: stats.directHits ?? 0, preprocessed: stats.preprocessedHits ?? 0, hits: stats.cacheHits, misses: stats.cacheMisses };
  assert.equal(counted.hits, counted.direct + counted.preprocessed, `cacheHits is directHits + preprocessedHits: ${JSON.stringify(counted)}`);
  return counted;
}

function delta(before: Counts, afterwards: Counts): Counts {
  return {
    direct: afterwards.direct - before.direct,
    preprocessed: afterwards.preprocessed - before.preprocessed,
    hits: afterwards.hits - before.hits,
    misses: afterwards.misses - before.misses,
  };
}

const MISS: Counts = { direct: 0, preprocessed: 0, hits: 0, misses: 1 };
const DIRECT_HIT: Counts = { direct: 1, preprocessed: 0, hits: 1, misses: 0 };
const PREPROCESSED_HIT: Counts = { direct: 0, preprocessed: 1, hits: 1, misses: 0 };

/** sets atime and mtime of the given files (relative to dir) to secondsAgo in the past */
function age(dir: string, files: string[], secondsAgo = 60): void {
  ageFiles(
    files.map((file) => path.join(dir, file)),
    secondsAgo,
  );
}

/** writes the files, then moves their mtime into the past */
function writeOld(dir: string, files: Record<string, string>, secondsAgo = 60): void {
  writeFiles(dir, files);
  age(dir, Object.keys(files), secondsAgo);
}

function project(sandbox: WarmccSandbox, name: string): string {
  const dir = path.join(sandbox.dir, name);
  fs.mkdirSync(path.join(dir, 'obj'), { recursive: true });
  return dir;
}

/** a program printing CFG_VALUE, uniquely tagged; `include` is the include line(s) */
function program(tag: string, include: string): string {
  return `${include}\n#include <stdio.h>\nstatic const char tag[] = "${tag}";\nint main(void) { printf("%d %s\\n", CFG_VALUE, tag); return 0; }\n`;
}

/** links an object with the plain compiler and runs it; returns the first word it prints */
function runObject(dir: string, object: string): string {
  const exe = path.join(dir, 'prog');
  const link = spawnSync('gcc', [object, '-o', exe], { cwd: dir, encoding: 'utf8' });
  assert.equal(link.status, 0, link.stderr);
  const run = spawnSync(exe, [], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split(' ')[0]!;
}

/** runs one compile through warmcc and returns its result and the counter changes it caused */
function counted(sandbox: WarmccSandbox, argv: string[], cwd: string, env: Record<string, string | undefined> = {}) {
  const before = counts(sandbox);
  const result = sandbox.run(argv, { cwd, env });
  return { result, change: delta(before, counts(sandbox)) };
}

/** compiles expecting success and the given counter change */
function expectCompile(
  sandbox: WarmccSandbox,
  argv: string[],
  cwd: string,
  expected: Counts,
  message: string,
  env: Record<string, string | undefined> = {},
): void {
  const { result, change } = counted(sandbox, argv, cwd, env);
  assert.equal(result.status, 0, `${message}: compile failed: ${result.stderr}`);
  assert.deepEqual(change, expected, message);
}

describe('direct mode (on by default)', { skip }, () => {
  let sandbox: WarmccSandbox;

  before(() => {
    sandbox = createSandbox('direct');
    sandbox.stats(); // starts the server, so no test's timing includes the start
  });
  after(() => sandbox.cleanup());

  test('a miss, then a direct hit restoring a byte-identical object', () => {
    const dir = project(sandbox, 'first');
    writeOld(dir, { 'src/main.c': program('first', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 7\n' });
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-O2'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    const fresh = fs.readFileSync(path.join(dir, 'obj/main.o'));
    fs.rmSync(path.join(dir, 'obj/main.o'));
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'identical second compile: direct hit');
    assert.deepEqual(fs.readFileSync(path.join(dir, 'obj/main.o')), fresh, 'object byte-identical to the miss');
    assert.equal(runObject(dir, 'obj/main.o'), '7');
  });

  test('touching a header without changing it keeps direct hits', () => {
    const dir = project(sandbox, 'touch');
    writeOld(dir, { 'src/main.c': program('touch', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 8\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    age(dir, ['src/cfg.h'], 120);
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'header touched (new mtime, same content): still a direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '8');
  });

  test('a changed header is not a direct hit: a miss with the new value, then direct hits again', () => {
    const dir = project(sandbox, 'change');
    writeOld(dir, { 'src/main.c': program('change', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 10\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '10');

    writeOld(dir, { 'src/cfg.h': '#define CFG_VALUE 11\n' }, 60);
    expectCompile(sandbox, argv, dir, MISS, 'header content changed: a miss, not a direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '11');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'changed header, compiled again: direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '11');

    // back to the first content: both manifest entries exist, the old one must be found
    writeOld(dir, { 'src/cfg.h': '#define CFG_VALUE 10\n' }, 30);
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'header back to its first content: direct hit of the first entry');
    assert.equal(runObject(dir, 'obj/main.o'), '10');
  });

  test('a header changed to the same size with its old mtime restored is still noticed (content, not stat)', () => {
    const dir = project(sandbox, 'samestat');
    const past = new Date(Date.now() - 600_000);
    writeFiles(dir, { 'src/main.c': program('samestat', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 12\n' });
    for (const file of ['src/main.c', 'src/cfg.h']) fs.utimesSync(path.join(dir, file), past, past);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    fs.writeFileSync(path.join(dir, 'src/cfg.h'), '#define CFG_VALUE 13\n'); // same size
    fs.utimesSync(path.join(dir, 'src/cfg.h'), past, past); // same mtime as recorded
    expectCompile(sandbox, argv, dir, MISS, 'same size and mtime, other content: a miss, not a direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '13');
  });

  test('a header pulled in with -include is part of the manifest', () => {
    const dir = project(sandbox, 'forced');
    writeOld(dir, { 'src/main.c': program('forced', ''), 'pre.h': '#define CFG_VALUE 14\n' }, 300);
    const argv = ['gcc', '-include', 'pre.h', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    writeOld(dir, { 'pre.h': '#define CFG_VALUE 15\n' });
    expectCompile(sandbox, argv, dir, MISS, '-include file changed: miss');
    assert.equal(runObject(dir, 'obj/main.o'), '15');
  });

  // The classic direct-mode trap (ccache's documented caveat): a header created in an include
  // directory searched before the one the header was found in. The old manifest still matches
  // every file it lists; only the recorded absent candidates can tell.
  const shadowCases: { name: string; files: Record<string, string>; args: string[]; shadow: string; env?: Record<string, string> }[] = [
    {
      name: 'quote include, -Iinc1 -Iinc2, inc1/cfg.h created',
      files: { 'src/main.c': program('shadow-quote', '#include "cfg.h"'), 'inc2/cfg.h': '#define CFG_VALUE 2\n', 'inc1/other.h': '\n' },
      args: ['-Iinc1', '-Iinc2'],
      shadow: 'inc1/cfg.h',
    },
    {
      name: 'angle include, -Iinc1 -Iinc2, inc1/cfg.h created',
      files: { 'src/main.c': program('shadow-angle', '#include <cfg.h>'), 'inc2/cfg.h': '#define CFG_VALUE 2\n', 'inc1/other.h': '\n' },
      args: ['-Iinc1', '-Iinc2'],
      shadow: 'inc1/cfg.h',
    },
    {
      name: 'quote include found via -Iinc, then cfg.h created next to the source',
      files: { 'src/main.c': program('shadow-srcdir', '#include "cfg.h"'), 'inc/cfg.h': '#define CFG_VALUE 2\n' },
      args: ['-Iinc'],
      shadow: 'src/cfg.h',
    },
    {
      name: 'include directory that does not exist yet (-Imissing -Iinc2), created with cfg.h',
      files: { 'src/main.c': program('shadow-missingdir', '#include <cfg.h>'), 'inc2/cfg.h': '#define CFG_VALUE 2\n' },
      args: ['-Imissing', '-Iinc2'],
      shadow: 'missing/cfg.h',
    },
    {
      name: '-iquote directory searched before -I for a quote include',
      files: { 'src/main.c': program('shadow-iquote', '#include "cfg.h"'), 'inc2/cfg.h': '#define CFG_VALUE 2\n', 'q/other.h': '\n' },
      args: ['-iquote', 'q', '-Iinc2'],
      shadow: 'q/cfg.h',
    },
    {
      name: 'nested quote include from a header in inc1 (its own directory, then -I order)',
      files: {
        'src/main.c': program('shadow-nested', '#include <top.h>'),
        'inc1/top.h': '#include "cfg.h"\n',
        'inc3/cfg.h': '#define CFG_VALUE 2\n',
        'inc2/x.h': '\n',
      },
      args: ['-Iinc1', '-Iinc2', '-Iinc3'],
      shadow: 'inc2/cfg.h',
    },
    {
      name: 'nested quote include from a header in a subdirectory of an -I directory (its directory is searched first)',
      files: {
        'src/main.c': program('shadow-nested-sub', '#include <sub/top.h>'),
        'inc1/sub/top.h': '#include "cfg.h"\n',
        'inc2/cfg.h': '#define CFG_VALUE 2\n',
      },
      args: ['-Iinc1', '-Iinc2'],
      shadow: 'inc1/sub/cfg.h',
    },
    {
      name: 'computed include (#include CFG_HEADER)',
      files: {
        'src/main.c': program('shadow-computed', '#define CFG_HEADER <cfg.h>\n#include CFG_HEADER'),
        'inc2/cfg.h': '#define CFG_VALUE 2\n',
        'inc1/x.h': '\n',
      },
      args: ['-Iinc1', '-Iinc2'],
      shadow: 'inc1/cfg.h',
    },
    {
      name: 'CPATH in the environment (no -I): CPATH=inc1:inc2',
      files: { 'src/main.c': program('shadow-cpath', '#include <cfg.h>'), 'inc2/cfg.h': '#define CFG_VALUE 2\n', 'inc1/x.h': '\n' },
      args: [],
      env: { CPATH: 'inc1:inc2' },
      shadow: 'inc1/cfg.h',
    },
  ];

  for (const [index, shadowCase] of shadowCases.entries()) {
    test(`a header created earlier in the search path is not hidden by the manifest: ${shadowCase.name}`, () => {
      const dir = project(sandbox, `shadow${index}`);
      writeOld(dir, shadowCase.files, 300);
      const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', ...shadowCase.args];
      expectCompile(sandbox, argv, dir, MISS, 'first compile: miss', shadowCase.env);
      expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit', shadowCase.env);
      assert.equal(runObject(dir, 'obj/main.o'), '2');

      writeOld(dir, { [shadowCase.shadow]: '#define CFG_VALUE 1\n' }, 60);
      const plain = spawnSync('gcc', ['-c', 'src/main.c', '-o', 'obj/plain.o', ...shadowCase.args], {
        cwd: dir,
        env: { ...process.env, ...shadowCase.env },
        encoding: 'utf8',
      });
      assert.equal(plain.status, 0, plain.stderr);
      assert.equal(runObject(dir, 'obj/plain.o'), '1', `setup: gcc itself now uses ${shadowCase.shadow}`);

      const { result, change } = counted(sandbox, argv, dir, shadowCase.env);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(runObject(dir, 'obj/main.o'), '1', `the object must be built with the new ${shadowCase.shadow} (counters: ${JSON.stringify(change)})`);
      assert.deepEqual(change, MISS, `new ${shadowCase.shadow}: a miss, not a direct hit`);
      expectCompile(sandbox, argv, dir, DIRECT_HIT, 'compiled again with the shadowing header: direct hit', shadowCase.env);
      assert.equal(runObject(dir, 'obj/main.o'), '1');
    });
  }

  test('a header probed with __has_include and created later is not hidden by the manifest', () => {
    const dir = project(sandbox, 'hasinclude');
    const source = `#if __has_include(<opt.h>)\n#include <opt.h>\n#else\n#define CFG_VALUE 2\n#endif\n${program('hasinclude', '')}`;
    writeOld(dir, { 'src/main.c': source, 'inc/x.h': '\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-Iinc'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    const second = counted(sandbox, argv, dir);
    assert.equal(second.result.status, 0, second.result.stderr);
    assert.equal(second.change.hits, 1, 'second compile: a hit (direct or preprocessed)');
    assert.equal(runObject(dir, 'obj/main.o'), '2');
    writeOld(dir, { 'inc/opt.h': '#define CFG_VALUE 1\n' });
    const { result, change } = counted(sandbox, argv, dir);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(runObject(dir, 'obj/main.o'), '1', `inc/opt.h now exists: the object must use it (counters: ${JSON.stringify(change)})`);
    assert.equal(change.direct, 0, 'not a direct hit');
  });

  test('a header removed since the manifest was recorded fails the compile like gcc does', () => {
    const dir = project(sandbox, 'removed');
    writeOld(dir, { 'src/main.c': program('removed', '#include "cfg.h"'), 'inc/cfg.h': '#define CFG_VALUE 3\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-Iinc'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    fs.rmSync(path.join(dir, 'inc/cfg.h'));
    const { result, change } = counted(sandbox, argv, dir);
    assert.notEqual(result.status, 0, 'the header is gone: the compile fails');
    assert.match(result.stderr, /cfg\.h/);
    assert.equal(change.hits, 0, `no hit of any kind: ${JSON.stringify(change)}`);
  });

  test('-I order is part of the key: -Iinc2 -Iinc1 after -Iinc1 -Iinc2 misses and uses inc2', () => {
    const dir = project(sandbox, 'order');
    writeOld(dir, { 'src/main.c': program('order', '#include "cfg.h"'), 'inc1/cfg.h': '#define CFG_VALUE 1\n', 'inc2/cfg.h': '#define CFG_VALUE 2\n' }, 300);
    const forward = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-Iinc1', '-Iinc2'];
    const reverse = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-Iinc2', '-Iinc1'];
    expectCompile(sandbox, forward, dir, MISS, '-Iinc1 -Iinc2: miss');
    expectCompile(sandbox, forward, dir, DIRECT_HIT, '-Iinc1 -Iinc2 again: direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '1');
    expectCompile(sandbox, reverse, dir, MISS, '-Iinc2 -Iinc1: miss, not a direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '2');
    expectCompile(sandbox, reverse, dir, DIRECT_HIT, '-Iinc2 -Iinc1 again: direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '2');
    expectCompile(sandbox, forward, dir, DIRECT_HIT, 'back to -Iinc1 -Iinc2: direct hit of its own entry');
    assert.equal(runObject(dir, 'obj/main.o'), '1');
  });

  test('CPATH is part of the key: another CPATH is not a direct hit', () => {
    const dir = project(sandbox, 'cpath');
    writeOld(dir, { 'src/main.c': program('cpath', '#include <cfg.h>'), 'inc1/cfg.h': '#define CFG_VALUE 1\n', 'inc2/cfg.h': '#define CFG_VALUE 2\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'CPATH=inc2: miss', { CPATH: 'inc2' });
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'CPATH=inc2 again: direct hit', { CPATH: 'inc2' });
    assert.equal(runObject(dir, 'obj/main.o'), '2');
    const { result, change } = counted(sandbox, argv, dir, { CPATH: 'inc1' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(runObject(dir, 'obj/main.o'), '1', `CPATH=inc1: the object uses inc1/cfg.h (counters: ${JSON.stringify(change)})`);
    assert.deepEqual(change, MISS, 'CPATH=inc1: miss');
  });

  test("the include search path recorded for a manifest is the one of this compile's CPATH", () => {
    const dir = project(sandbox, 'cpath-search');
    writeOld(dir, { 'src/main.c': program('cpath-search', '#include <cfg.h>'), 'inc1/x.h': '\n', 'inc2/cfg.h': '#define CFG_VALUE 2\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'CPATH=inc2: miss', { CPATH: 'inc2' });
    // same preprocessed text (inc1 has no cfg.h): a preprocessed hit that records a manifest
    expectCompile(sandbox, argv, dir, PREPROCESSED_HIT, 'CPATH=inc1:inc2: preprocessed hit', { CPATH: 'inc1:inc2' });
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'CPATH=inc1:inc2 again: direct hit', { CPATH: 'inc1:inc2' });
    writeOld(dir, { 'inc1/cfg.h': '#define CFG_VALUE 1\n' });
    const { result, change } = counted(sandbox, argv, dir, { CPATH: 'inc1:inc2' });
    assert.equal(result.status, 0, result.stderr);
    assert.equal(runObject(dir, 'obj/main.o'), '1', `inc1/cfg.h now shadows inc2/cfg.h under CPATH=inc1:inc2 (counters: ${JSON.stringify(change)})`);
    assert.deepEqual(change, MISS, 'a miss, not a direct hit');
  });

  test('a changed -D is not a direct hit', () => {
    const dir = project(sandbox, 'define');
    writeOld(dir, { 'src/main.c': program('define', '') }, 300);
    const argv = (value: number) => ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', `-DCFG_VALUE=${value}`];
    expectCompile(sandbox, argv(4), dir, MISS, '-DCFG_VALUE=4: miss');
    expectCompile(sandbox, argv(4), dir, DIRECT_HIT, '-DCFG_VALUE=4 again: direct hit');
    expectCompile(sandbox, argv(5), dir, MISS, '-DCFG_VALUE=5: miss');
    assert.equal(runObject(dir, 'obj/main.o'), '5');
  });

  test('the same command in another directory with other headers is not a direct hit of the first', () => {
    const a = project(sandbox, 'cwd-a');
    const b = project(sandbox, 'cwd-b');
    const source = program('cwd', '#include "cfg.h"');
    writeOld(a, { 'src/main.c': source, 'inc/cfg.h': '#define CFG_VALUE 1\n' }, 300);
    writeOld(b, { 'src/main.c': source, 'inc/cfg.h': '#define CFG_VALUE 2\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-Iinc'];
    expectCompile(sandbox, argv, a, MISS, 'in a: miss');
    expectCompile(sandbox, argv, a, DIRECT_HIT, 'in a again: direct hit');
    const { result, change } = counted(sandbox, argv, b);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(runObject(b, 'obj/main.o'), '2', `b's object uses b's header (counters: ${JSON.stringify(change)})`);
    assert.deepEqual(change, MISS, 'in b: miss');
  });

  test('another compiler with the same arguments is not a direct hit', { skip: CLANG ? false : 'clang is not installed' }, () => {
    const dir = project(sandbox, 'compiler');
    writeOld(dir, { 'src/main.c': program('compiler', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 6\n' }, 300);
    const args = ['-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, ['gcc', ...args], dir, MISS, 'gcc: miss');
    expectCompile(sandbox, ['gcc', ...args], dir, DIRECT_HIT, 'gcc again: direct hit');
    expectCompile(sandbox, ['clang', ...args], dir, MISS, 'clang: miss');
    expectCompile(sandbox, ['clang', ...args], dir, DIRECT_HIT, 'clang again: direct hit');
  });

  for (const [index, [where, macro]] of (
    [
      ['source', '__TIME__'],
      ['header', '__DATE__'],
      ['header', '__TIMESTAMP__'],
    ] as const
  ).entries()) {
    test(`${macro} in the ${where} disables direct hits (preprocessor mode still works)`, () => {
      // the tag must not name the macro: the source would then contain it even in the header cases
      const tag = `time-${where}-${index}`;
      const dir = project(sandbox, tag);
      const use = `const char *when = ${macro};\n`;
      const files: Record<string, string> =
        where === 'source'
          ? { 'src/main.c': program(tag, `#include "cfg.h"\n${use}`), 'src/cfg.h': '#define CFG_VALUE 9\n' }
          : { 'src/main.c': program(tag, '#include "cfg.h"'), 'src/cfg.h': `#define CFG_VALUE 9\n${use}` };
      writeOld(dir, files, 300);
      const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
      expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
      for (let i = 0; i < 2; i++) {
        const { result, change } = counted(sandbox, argv, dir);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(change.direct, 0, `${macro}: never a direct hit (${JSON.stringify(change)})`);
        assert.equal(change.preprocessed + change.misses, 1, `${macro}: a preprocessed hit or a miss (${JSON.stringify(change)})`);
      }
      assert.equal(runObject(dir, 'obj/main.o'), '9');
    });
  }

  test('a source written just before the compile is recorded (only changes after the start are distrusted): the next compile is a direct hit', () => {
    const dir = project(sandbox, 'recent-src');
    writeOld(dir, { 'src/cfg.h': '#define CFG_VALUE 5\n' }, 300);
    writeFiles(dir, { 'src/main.c': program('recent-src', '#include "cfg.h"') });
    settleTimestamps();
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'new file: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'its manifest was recorded: direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '5');
  });

  test('a header a generator rewrites before every compile gets direct hits while its content stays, and a miss when it changes', () => {
    const dir = project(sandbox, 'recent-hdr');
    writeOld(dir, { 'src/main.c': program('recent-hdr', '#include "cfg.h"') }, 300);
    const generate = (value: number): void => {
      writeFiles(dir, { 'inc/cfg.h': `#define CFG_VALUE ${value}\n` });
      settleTimestamps();
    };
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-Iinc'];
    generate(4);
    expectCompile(sandbox, argv, dir, MISS, 'new header: miss');
    generate(4);
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'regenerated with the same content a moment ago: direct hit');
    generate(6);
    expectCompile(sandbox, argv, dir, MISS, 'regenerated with another content: miss');
    assert.equal(runObject(dir, 'obj/main.o'), '6');
    generate(4);
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'back to the first content: its entry serves it');
    assert.equal(runObject(dir, 'obj/main.o'), '4');
  });

  test("a fallback definition of __has_include (abseil's span.h) is not a probe: direct hits", () => {
    const dir = project(sandbox, 'fallback');
    writeOld(dir, {
      'src/main.c': program('fallback', '#include "span.h"'),
      'src/span.h':
        '#if !defined(__has_include)\n#define __has_include(header) 0\n#endif\n#if __has_include(<stdalign.h>)\n#include <stdalign.h>\n#endif\n#define CFG_VALUE 21\n',
    });
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: a direct hit, not refused as a computed probe');
    assert.equal(runObject(dir, 'obj/main.o'), '21');
  });

  test('a probe through a wrapper macro defined in another header stays in direct mode, and a header it would find, created later, makes a miss (ccache 4.7.5 serves the old object)', () => {
    const dir = project(sandbox, 'wrapper');
    writeOld(dir, {
      'src/main.c': program('wrapper', '#include "feature.h"'),
      'src/base.h': '#ifdef __has_include\n#define XYZ_HAS_INCLUDE(x) __has_include(x)\n#else\n#define XYZ_HAS_INCLUDE(x) 0\n#endif\n',
      'src/feature.h': '#include "base.h"\n#if XYZ_HAS_INCLUDE("extra.h")\n#include "extra.h"\n#else\n#define CFG_VALUE 30\n#endif\n',
    });
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '30');
    writeOld(dir, { 'src/extra.h': '#define CFG_VALUE 31\n' });
    expectCompile(sandbox, argv, dir, MISS, 'extra.h appeared where the probe looks: a miss, never the old object');
    assert.equal(runObject(dir, 'obj/main.o'), '31');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'and a direct hit again');
  });

  test('a probe named by a macro defined in a header is resolved; one named only on the command line cannot be known and is counted', () => {
    const dir = project(sandbox, 'namedprobe');
    writeOld(dir, {
      'src/main.c': program('namedprobe', '#include "cfg.h"'),
      'src/cfg.h': '#define LOCAL_H "local.h"\n#if __has_include(LOCAL_H)\n#include LOCAL_H\n#else\n#define CFG_VALUE 40\n#endif\n',
    });
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    writeOld(dir, { 'src/local.h': '#define CFG_VALUE 41\n' });
    expectCompile(sandbox, argv, dir, MISS, 'local.h appeared: a miss');
    assert.equal(runObject(dir, 'obj/main.o'), '41');

    writeOld(dir, {
      'src/cmdline.c': program('cmdline', '#if __has_include(FROM_COMMAND_LINE)\n#include FROM_COMMAND_LINE\n#else\n#define CFG_VALUE 42\n#endif'),
    });
    const before = sandbox.stats().directModeSkipped['__has_include with a computed name'] ?? 0;
    const computed = ['gcc', '-DFROM_COMMAND_LINE="absent.h"', '-c', 'src/cmdline.c', '-o', 'obj/cmdline.o'];
    expectCompile(sandbox, computed, dir, MISS, 'computed probe: miss');
    expectCompile(sandbox, computed, dir, PREPROCESSED_HIT, 'no manifest: a preprocessed hit');
    assert.equal(sandbox.stats().directModeSkipped['__has_include with a computed name'], before + 2);
    assert.equal(runObject(dir, 'obj/cmdline.o'), '42');
  });

  test('the words of refused directives in comments and string literals refuse nothing', () => {
    const dir = project(sandbox, 'words');
    writeOld(dir, {
      'src/main.c': program(
        'words',
        '/* built on __DATE__ at __TIME__; see #pragma GCC dependency "x.y" and .incbin */\n// #embed "data.bin"\nstatic const char *note = "__TIMESTAMP__ __has_embed(x)";\n#define CFG_VALUE 50',
      ),
    });
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    assert.equal(runObject(dir, 'obj/main.o'), '50');
  });

  test("one source built for two targets (CMake's Makefile generator: -MD -MT x.o -MF x.o.d) shares its result; each .d names its own target", () => {
    const dir = project(sandbox, 'targets');
    writeOld(dir, { 'src/main.c': program('targets', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 60\n' });
    const targetArgs = (define: string, target: string): string[] => [
      'gcc',
      '-O2',
      define,
      '-MD',
      '-MT',
      `obj/${target}.o`,
      '-MF',
      `obj/${target}.o.d`,
      '-c',
      'src/main.c',
      '-o',
      `obj/${target}.o`,
    ];
    expectCompile(sandbox, targetArgs('-DA=1', 'x'), dir, MISS, 'the first target: miss');
    expectCompile(sandbox, targetArgs('-DB=1', 'y'), dir, PREPROCESSED_HIT, 'the second target, same preprocessed text and code flags: a hit');
    for (const [define, target] of [
      ['-DA=1', 'x'],
      ['-DB=1', 'y'],
    ] as const) {
      const plain = spawnSync('gcc', targetArgs(define, `plain-${target}`).slice(1), { cwd: dir, encoding: 'utf8' });
      assert.equal(plain.status, 0, plain.stderr);
      const ours = fs.readFileSync(path.join(dir, `obj/${target}.o.d`), 'utf8');
      assert.equal(
        ours,
        fs.readFileSync(path.join(dir, `obj/plain-${target}.o.d`), 'utf8').replaceAll(`obj/plain-${target}.o`, `obj/${target}.o`),
        `${target}.o.d as gcc writes it`,
      );
      assert.match(ours, new RegExp(`^obj/${target}\\.o: src/main\\.c`));
    }
    assert.equal(runObject(dir, 'obj/y.o'), '60');
    // a target make would quote is stored as it is, and keyed by it: a miss of its own, then hits
    const quoted = ['gcc', '-O2', '-MD', '-MT', 'obj/$(odd).o', '-MF', 'obj/odd.d', '-c', 'src/main.c', '-o', 'obj/odd.o'];
    expectCompile(sandbox, quoted, dir, MISS, 'a quoted target: its own key');
    fs.rmSync(path.join(dir, 'obj/odd.d'));
    expectCompile(sandbox, quoted, dir, DIRECT_HIT, 'and its own hits');
    assert.match(fs.readFileSync(path.join(dir, 'obj/odd.d'), 'utf8'), /^obj\/\$\(odd\)\.o: src\/main\.c/);
  });

  test('the same source with flags that change the code never shares a result (wrong-hit tests)', () => {
    const dir = project(sandbox, 'codeflags');
    writeOld(dir, { 'src/main.c': program('codeflags', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 61\n' });
    const build = (flags: string[], target: string): string[] => [
      'gcc',
      ...flags,
      '-MD',
      '-MT',
      `obj/${target}.o`,
      '-MF',
      `obj/${target}.o.d`,
      '-c',
      'src/main.c',
      '-o',
      `obj/${target}.o`,
    ];
    expectCompile(sandbox, build(['-O2'], 'base'), dir, MISS, 'base: miss');
    const variants: [string[], string][] = [
      [['-O0'], 'o0'],
      [['-O2', '-fPIC'], 'pic'],
      [['-O2', '-g'], 'debug'],
      [['-O2', '-march=x86-64-v2'], 'march'],
      [['-O2', '-fno-inline'], 'noinline'],
      [['-O2', '-Wall'], 'wall'],
      [['-O2', '-std=c99'], 'std'],
    ];
    for (const [flags, target] of variants) {
      expectCompile(sandbox, build(flags, target), dir, MISS, `${flags.join(' ')}: a miss, not the -O2 object`);
      const plain = spawnSync('gcc', [...flags, '-c', 'src/main.c', '-o', `obj/plain-${target}.o`], { cwd: dir, encoding: 'utf8' });
      assert.equal(plain.status, 0, plain.stderr);
      if (!flags.includes('-g'))
        assert.deepEqual(
          fs.readFileSync(path.join(dir, `obj/${target}.o`)),
          fs.readFileSync(path.join(dir, `obj/plain-${target}.o`)),
          `${target}.o is what gcc ${flags.join(' ')} makes`,
        );
    }
  });

  test('a .d file (-MMD) is restored on a direct hit exactly as the miss wrote it', () => {
    const dir = project(sandbox, 'depfile');
    writeOld(dir, { 'src/main.c': program('depfile', '#include "cfg.h"\n#include "more.h"'), 'inc/cfg.h': '#define CFG_VALUE 3\n', 'src/more.h': '\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o', '-Iinc', '-MMD', '-MP'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    const depFile = path.join(dir, 'obj/main.d');
    const fresh = { d: fs.readFileSync(depFile, 'utf8'), o: fs.readFileSync(path.join(dir, 'obj/main.o')) };
    assert.match(fresh.d, /^obj\/main\.o: src\/main\.c inc\/cfg\.h src\/more\.h/);
    fs.rmSync(depFile);
    fs.rmSync(path.join(dir, 'obj/main.o'));
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit');
    assert.equal(fs.readFileSync(depFile, 'utf8'), fresh.d, '.d identical');
    assert.deepEqual(fs.readFileSync(path.join(dir, 'obj/main.o')), fresh.o, 'object identical');
  });

  test('warmcc -s shows direct and preprocessed hits, matching the JSON counters', () => {
    const dir = project(sandbox, 'stats-text');
    writeOld(dir, { 'src/cfg.h': '#define CFG_VALUE 1\n' }, 300);
    writeFiles(dir, { 'src/main.c': program('stats-text', '#include "cfg.h"') }); // mtime now
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    sandbox.run(argv, { cwd: dir }); // miss
    sandbox.run(argv, { cwd: dir }); // preprocessed hit (source too recent for a manifest)
    age(dir, ['src/main.c']);
    sandbox.run(argv, { cwd: dir }); // preprocessed hit, records a manifest
    sandbox.run(argv, { cwd: dir }); // direct hit
    const json = sandbox.stats();
    assert.ok(
      json.directHits >= 1 && json.preprocessedHits >= 1,
      `both kinds of hits: ${JSON.stringify({ direct: json.directHits, preprocessed: json.preprocessedHits })}`,
    );
    const text = sandbox.run(['-s']);
    assert.equal(text.status, 0, text.stderr);
    const direct = /^\s*cache hits?\b[^\n]*\bdirect\b[^\n]*?(\d+)\s*$/im.exec(text.stdout);
    const preprocessed = /^\s*cache hits?\b[^\n]*\bpreprocess(?:ed|or)\b[^\n]*?(\d+)\s*$/im.exec(text.stdout);
    assert.ok(direct, `a "Cache hits (direct)" line in:\n${text.stdout}`);
    assert.ok(preprocessed, `a "Cache hits (preprocessed)" line in:\n${text.stdout}`);
    assert.equal(Number(direct[1]), json.directHits);
    assert.equal(Number(preprocessed[1]), json.preprocessedHits);
  });
});

describe('direct mode with WARMCC_SLOPPINESS=time_macros', { skip }, () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('sloppy', { WARMCC_DIRECT: '1', WARMCC_SLOPPINESS: 'time_macros' });
  });
  after(() => sandbox.cleanup());

  test('__TIME__ in the source no longer prevents a direct hit', () => {
    const dir = project(sandbox, 'time');
    writeOld(dir, { 'src/main.c': program('sloppy-time', '#include "cfg.h"\nconst char *when = __TIME__;'), 'src/cfg.h': '#define CFG_VALUE 9\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    const first = fs.readFileSync(path.join(dir, 'obj/main.o'));
    spawnSync('sleep', ['1.1']); // __TIME__ now differs: only a direct hit can hit
    expectCompile(sandbox, argv, dir, DIRECT_HIT, 'second compile: direct hit despite __TIME__');
    assert.deepEqual(fs.readFileSync(path.join(dir, 'obj/main.o')), first, 'the first object, time and all');
  });
});

describe('WARMCC_DIRECT=0 (preprocessor mode only)', { skip }, () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('nodirect', { WARMCC_DIRECT: '0' });
  });
  after(() => sandbox.cleanup());

  test('hits are preprocessed hits, never direct hits', () => {
    const dir = project(sandbox, 'plain');
    writeOld(dir, { 'src/main.c': program('nodirect', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 3\n' }, 300);
    const argv = ['gcc', '-c', 'src/main.c', '-o', 'obj/main.o'];
    expectCompile(sandbox, argv, dir, MISS, 'first compile: miss');
    for (let i = 0; i < 3; i++) expectCompile(sandbox, argv, dir, PREPROCESSED_HIT, `compile ${i + 2}: preprocessed hit`);
    const stats = sandbox.stats();
    assert.equal(stats.directHits ?? 0, 0, 'no direct hits with WARMCC_DIRECT=0');
    assert.equal(stats.preprocessedHits, 3, 'preprocessedHits is reported');
  });
});

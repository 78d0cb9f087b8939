// Direct mode against the ways a manifest hit could serve an object that a fresh compile would not
// produce (WARMCC_DIRECT=1, real gcc). Each test first shows what gcc itself does now, then
// requires warmcc's object (or exit status) to be the same. Before the fixes they name, each of
// these served the old object. The cases that turned out safe are listed in docs/architecture.md
// ("Direct mode"), not here.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { decodeManifest } from '../wrapper/direct/manifestFormat';
import { waitFor } from './support/poll';
import { ageFiles, createSandbox, warmccBin, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const skip = which('gcc') ? false : 'gcc is not installed';

/** writes the files, then moves their mtime a minute into the past (and lets their inode change
 *  time fall behind the next compile's start) */
function writeOld(dir: string, files: Record<string, string>, secondsAgo = 60): void {
  writeFiles(dir, files);
  ageFiles(
    Object.keys(files).map((file) => path.join(dir, file)),
    secondsAgo,
  );
}

/** a program printing CFG_VALUE, uniquely tagged */
function program(tag: string, include: string): string {
  return `${include}\n#include <stdio.h>\nstatic const char tag[] = "${tag}";\nint main(void) { printf("%d %s\\n", (int)(CFG_VALUE), tag); return 0; }\n`;
}

/** links an object with plain gcc and runs it; returns the first word it prints */
function runObject(dir: string, object: string): string {
  const exe = path.join(dir, `${object}.exe`);
  const link = spawnSync('gcc', [object, '-o', exe], { cwd: dir, encoding: 'utf8' });
  assert.equal(link.status, 0, link.stderr);
  const run = spawnSync(exe, [], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  return run.stdout.trim().split(' ')[0]!;
}

/** what gcc itself produces now for these arguments (object obj/plain.o) */
function plainValue(dir: string, args: string[]): string {
  const plain = spawnSync('gcc', [...args, '-c', 'src/main.c', '-o', 'obj/plain.o'], { cwd: dir, encoding: 'utf8' });
  assert.equal(plain.status, 0, plain.stderr);
  return runObject(dir, 'obj/plain.o');
}

/** the cache files holding a manifest that lists a file under `dir` */
function manifestsOf(sandbox: WarmccSandbox, dir: string): string[] {
  const objects = path.join(sandbox.cacheDir, 'objects');
  if (!fs.existsSync(objects)) return [];
  return fs
    .readdirSync(objects, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.includes('.tmp-'))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .filter((file) => decodeManifest(fs.readFileSync(file))?.entries.some((entry) => entry.files.some(([name]) => name.startsWith(`${dir}/`))));
}

describe('direct mode: adversarial cases (WARMCC_DIRECT=1)', { skip }, () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('adversarial', { WARMCC_DIRECT: '1' });
    sandbox.stats();
  });
  after(() => sandbox.cleanup());

  const hits = (): { direct: number; all: number } => {
    const stats = sandbox.stats();
    return { direct: stats.directHits, all: stats.cacheHits };
  };
  const skipped = (reason: string): number => sandbox.stats().directModeSkipped[reason] ?? 0;
  const notCacheable = (reason: string): number => sandbox.stats().notCacheable[reason] ?? 0;

  function project(name: string, files: Record<string, string>): string {
    const dir = path.join(sandbox.dir, name);
    fs.mkdirSync(path.join(dir, 'obj'), { recursive: true });
    writeOld(dir, files, 300);
    return dir;
  }

  /** compiles src/main.c to obj/main.o through warmcc; returns the printed value */
  function compile(dir: string, args: string[], compiler = 'gcc'): string {
    const result = sandbox.run([compiler, ...args, '-c', 'src/main.c', '-o', 'obj/main.o'], { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
    return runObject(dir, 'obj/main.o');
  }

  /** compile twice (the second may be a direct hit), change the world, compile again: the
   *  object must be what gcc makes now */
  function expectNoStaleHit(dir: string, args: string[], change: () => void, expected: string): void {
    compile(dir, args);
    compile(dir, args);
    change();
    assert.equal(plainValue(dir, args), expected, 'setup: gcc itself now produces the new value');
    const before = hits().direct;
    assert.equal(compile(dir, args), expected, 'warmcc must produce what gcc produces now');
    assert.equal(hits().direct, before, 'not a direct hit');
  }

  test('-P (no line markers in the preprocessed text): a changed header is noticed; direct mode is skipped with a reason', () => {
    const dir = project('minusP', { 'src/main.c': program('minusP', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 1\n' });
    expectNoStaleHit(dir, ['-P'], () => writeOld(dir, { 'src/cfg.h': '#define CFG_VALUE 2\n' }), '2');
    assert.ok(skipped('no line markers (-P)') > 0);
  });

  test('-specs= file: a changed specs file is noticed (only its name is in the direct key)', () => {
    const dir = project('specs', { 'src/main.c': program('specs', ''), 'my.specs': '*cpp:\n+ -DCFG_VALUE=1\n' });
    expectNoStaleHit(dir, ['-specs=my.specs'], () => writeOld(dir, { 'my.specs': '*cpp:\n+ -DCFG_VALUE=2\n' }), '2');
    assert.ok(skipped('specs file (-specs=)') > 0);
  });

  test('a header reached through a symlinked directory with `..` is the one the compiler read, not its lexical twin', () => {
    const dir = project('dotdot', {
      'src/main.c': program('dotdot', '#include "link/top.h"'),
      'real/sub/top.h': '#include "../cfg.h"\n',
      'real/cfg.h': '#define CFG_VALUE 1\n',
      'src/cfg.h': '#define CFG_VALUE 9\n', // src/link/../cfg.h spelled lexically
    });
    fs.symlinkSync(path.join(dir, 'real/sub'), path.join(dir, 'src/link'));
    assert.equal(plainValue(dir, []), '1', 'setup: gcc reads real/cfg.h through the symlink');
    expectNoStaleHit(dir, [], () => writeOld(dir, { 'real/cfg.h': '#define CFG_VALUE 2\n' }), '2');
  });

  test('-include file found via -I, then created in the working directory (searched first for -include): the new one is used', () => {
    const dir = project('forcedcwd', { 'src/main.c': program('forcedcwd', ''), 'inc/cfg.h': '#define CFG_VALUE 1\n' });
    expectNoStaleHit(dir, ['-include', 'cfg.h', '-Iinc'], () => writeOld(dir, { 'cfg.h': '#define CFG_VALUE 2\n' }), '2');
  });

  test('a quote include in a system header (-isystem) resolved further on, then created next to that header: the new one is used', () => {
    const dir = project('sysquote', {
      'src/main.c': program('sysquote', '#include <sub/top.h>'),
      'sys1/sub/top.h': '#include "cfg.h"\n',
      'sys2/cfg.h': '#define CFG_VALUE 1\n',
    });
    expectNoStaleHit(dir, ['-isystem', 'sys1', '-isystem', 'sys2'], () => writeOld(dir, { 'sys1/sub/cfg.h': '#define CFG_VALUE 2\n' }), '2');
  });

  test('#pragma GCC dependency with -Werror: a dependency newer than the source fails the compile, as with gcc', () => {
    const dir = project('pragmadep', {
      'src/main.c': `#pragma GCC dependency "dep.txt"\n${program('pragmadep', '#define CFG_VALUE 1')}`,
      'src/dep.txt': 'x\n',
    });
    writeOld(dir, { 'src/dep.txt': 'x\n' }, 600); // older than the source
    compile(dir, ['-Werror']);
    compile(dir, ['-Werror']);
    writeOld(dir, { 'src/dep.txt': 'y\n' }, 30); // newer than the source
    const plain = spawnSync('gcc', ['-Werror', '-c', 'src/main.c', '-o', 'obj/plain.o'], { cwd: dir, encoding: 'utf8' });
    assert.notEqual(plain.status, 0, 'setup: gcc fails (current file is older than dep.txt)');
    const result = sandbox.run(['gcc', '-Werror', '-c', 'src/main.c', '-o', 'obj/main.o'], { cwd: dir });
    assert.notEqual(result.status, 0, `warmcc must fail like gcc, not serve the old object: ${result.stderr}`);
    assert.match(result.stderr, /older than dep\.txt/);
    assert.ok(skipped('#pragma GCC dependency') > 0);
  });

  test('a precompiled header (cfg.h.gch) appearing next to a header is used by gcc: warmcc does not serve the old object', () => {
    const dir = project('pch', { 'src/main.c': program('pch', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 1\n' });
    expectNoStaleHit(
      dir,
      [],
      () => {
        // a .gch built from other content, as a stale precompiled header would be
        fs.mkdirSync(path.join(dir, 'pchsrc'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'pchsrc/cfg.h'), '#define CFG_VALUE 5\n');
        const built = spawnSync('gcc', ['-x', 'c-header', 'pchsrc/cfg.h', '-o', 'src/cfg.h.gch'], { cwd: dir, encoding: 'utf8' });
        assert.equal(built.status, 0, built.stderr);
      },
      '5',
    );
    assert.ok(notCacheable('precompiled header input') > 0, JSON.stringify(sandbox.stats()));
  });

  describe('clang: a precompiled -include (cfg.h.pch, used by clang in place of cfg.h)', { skip: which('clang') ? false : 'clang is not installed' }, () => {
    /** compiles with clang through warmcc (or plain clang) and returns the printed value */
    const clangValue = (dir: string, viaWarmcc: boolean): string => {
      const args = ['-include', 'cfg.h', '-c', 'src/main.c', '-o', viaWarmcc ? 'obj/main.o' : 'obj/plain.o'];
      const result = viaWarmcc ? sandbox.run(['clang', ...args], { cwd: dir }) : spawnSync('clang', args, { cwd: dir, encoding: 'utf8' });
      assert.equal(result.status, 0, result.stderr);
      return runObject(dir, viaWarmcc ? 'obj/main.o' : 'obj/plain.o');
    };
    const buildPch = (dir: string): void => {
      writeOld(dir, { 'pchsrc/cfg.h': '#define CFG_VALUE 5\n' });
      const built = spawnSync('clang', ['-x', 'c-header', 'pchsrc/cfg.h', '-o', 'cfg.h.pch'], { cwd: dir, encoding: 'utf8' });
      assert.equal(built.status, 0, built.stderr);
    };

    test('appearing after the manifest was recorded', () => {
      const dir = project('clangpch1', { 'src/main.c': program('clangpch1', ''), 'cfg.h': '#define CFG_VALUE 1\n' });
      assert.equal(clangValue(dir, true), '1');
      assert.equal(clangValue(dir, true), '1');
      buildPch(dir);
      assert.equal(clangValue(dir, false), '5', 'setup: clang uses cfg.h.pch');
      assert.equal(clangValue(dir, true), '5');
    });

    test('removed after a compile that used it', () => {
      const dir = project('clangpch2', { 'src/main.c': program('clangpch2', ''), 'cfg.h': '#define CFG_VALUE 1\n' });
      buildPch(dir);
      assert.equal(clangValue(dir, true), '5');
      assert.equal(clangValue(dir, true), '5');
      fs.rmSync(path.join(dir, 'cfg.h.pch'));
      assert.equal(clangValue(dir, false), '1', 'setup: clang uses cfg.h again');
      assert.equal(clangValue(dir, true), '1');
      assert.ok(skipped('precompiled header') > 0);
    });
  });

  test('.incbin in inline assembly: a changed included binary is noticed (never cached, in either mode)', () => {
    const source = `__asm__(".section .rodata\\n.global blob\\nblob: .incbin \\"data.bin\\"\\n.text");\nextern const unsigned char blob[];\n#define CFG_VALUE (blob[0] - '0')\n${program('incbin', '')}`;
    const dir = project('incbin', { 'src/main.c': source, 'data.bin': '1' });
    expectNoStaleHit(dir, [], () => writeOld(dir, { 'data.bin': '2' }), '2');
    assert.ok(notCacheable('assembler .incbin') > 0);
  });

  test('a damaged manifest on disk is treated as absent: a correct build, then direct hits again', async () => {
    const dir = project('corrupt', { 'src/main.c': program('corrupt', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 3\n' });
    compile(dir, []);
    const written = await waitFor(() => manifestsOf(sandbox, dir)[0], { timeoutMs: 10_000, what: 'the manifest of the first compile' });
    const direct = hits().direct;
    assert.equal(compile(dir, []), '3');
    assert.equal(hits().direct, direct + 1, 'direct hit through the intact manifest');
    const bytes = fs.readFileSync(written);
    bytes[bytes.length - 3]! ^= 0x55;
    fs.writeFileSync(written, bytes);
    assert.equal(compile(dir, []), '3', 'correct object with the damaged manifest');
    assert.equal(hits().direct, direct + 1, 'no direct hit from a damaged manifest');
    await waitFor(() => !fs.readFileSync(written).equals(bytes), { timeoutMs: 10_000, what: `the damaged manifest ${written} to be written again` });
    assert.equal(compile(dir, []), '3');
    assert.equal(hits().direct, direct + 2, 'direct hits again once re-recorded');
  });

  // Races with the compile: what changes between the compiler's reads and the recording of the
  // manifest must not be recorded as if the compiler had seen it. Wrapper scripts around the real
  // gcc hold the compile step at a gate, to hold that window open: the step marks .gate-reached
  // in the project directory and waits until the test creates .gate-release there.
  describe('changes while the compile runs', () => {
    let slowGcc: string;
    let slowStart: string;
    const gate = 'i=0; while [ ! -e .gate-release ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done';
    before(() => {
      // holds before the compile step: after -E, before the compiler reads anything
      slowStart = path.join(sandbox.dir, 'slow-start-gcc');
      fs.writeFileSync(
        slowStart,
        `#!/bin/sh\nfor a in "$@"; do [ "$a" = "-E" ] && exec gcc "$@"; done\nfor a in "$@"; do [ "$a" = "-c" ] && { touch .gate-reached; ${gate}; }; done\nexec gcc "$@"\n`,
        { mode: 0o755 },
      );
      // holds after the compile step: the compiler has read its inputs, the reply waits
      slowGcc = path.join(sandbox.dir, 'slow-gcc');
      fs.writeFileSync(
        slowGcc,
        `#!/bin/sh\nfor a in "$@"; do [ "$a" = "-E" ] && exec gcc "$@"; done\ngcc "$@"; status=$?\nfor a in "$@"; do [ "$a" = "-c" ] && { touch .gate-reached; ${gate}; }; done\nexit $status\n`,
        { mode: 0o755 },
      );
    });

    /** starts a warmcc compile with a gated compiler and waits until it holds at the gate;
     *  resolves with a function that opens the gate and resolves with the exit status */
    async function compileToGate(dir: string, args: string[], compiler = slowGcc): Promise<() => Promise<number | null>> {
      const child = spawn(warmccBin, [compiler, ...args, '-c', 'src/main.c', '-o', 'obj/main.o'], { cwd: dir, env: sandbox.env, stdio: 'ignore' });
      const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const open = (): Promise<number | null> => {
        fs.writeFileSync(path.join(dir, '.gate-release'), '');
        return exit;
      };
      try {
        await waitFor(() => fs.existsSync(path.join(dir, '.gate-reached')), {
          timeoutMs: 30_000,
          what: `${path.basename(compiler)} to reach its gate in ${dir}`,
        });
      } catch (error) {
        await open();
        throw error;
      }
      return open;
    }

    /** The server's decision on what the compile in dir read, which it may take after the reply:
     *  not stored, because an input changed while it compiled (logged), or stored with a manifest
     *  entry recorded (a manifest lists a file under dir) or refused (counted with a reason). */
    const skippedTotal = (): number => Object.values(sandbox.stats().directModeSkipped).reduce((sum, count) => sum + count, 0);
    const notStoredInLog = (dir: string): boolean =>
      fs.existsSync(sandbox.logFile) &&
      fs
        .readFileSync(sandbox.logFile, 'utf8')
        .split('\n')
        .some((line) => line.includes('not storing ') && line.includes(`${dir}/`) && line.endsWith(' changed while it compiled'));
    async function recordingDecided(dir: string, skippedBefore: number): Promise<void> {
      await waitFor(() => notStoredInLog(dir) || manifestsOf(sandbox, dir).length > 0 || skippedTotal() > skippedBefore, {
        timeoutMs: 10_000,
        what: `the server to decide on what the compile in ${dir} read (not stored, or a manifest entry recorded or refused)`,
        state: () => ({
          manifests: manifestsOf(sandbox, dir),
          directModeSkipped: sandbox.stats().directModeSkipped,
          skippedBefore,
          log: fs.readFileSync(sandbox.logFile, 'utf8').trim().split('\n').slice(-3),
        }),
      });
    }

    test('a header edited while the compile runs: the next compile uses the edited header', async () => {
      const dir = project('editduring', { 'src/main.c': program('editduring', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 1\n' });
      const skippedBefore = skippedTotal();
      const open = await compileToGate(dir, []); // compiled; the reply waits
      fs.writeFileSync(path.join(dir, 'src/cfg.h'), '#define CFG_VALUE 2\n');
      assert.equal(await open(), 0);
      assert.equal(runObject(dir, 'obj/main.o'), '1', 'setup: the compile read the header before the edit');
      await recordingDecided(dir, skippedBefore);
      const direct = hits().direct;
      assert.equal(compile(dir, [], slowGcc), '2', 'the next compile must use the edited header');
      assert.equal(hits().direct, direct, 'not a direct hit');
    });

    test('a shadowing header created while the compile runs: the next compile uses it', async () => {
      const dir = project('shadowduring', {
        'src/main.c': program('shadowduring', '#include <cfg.h>'),
        'inc2/cfg.h': '#define CFG_VALUE 1\n',
        'inc1/x.h': '\n',
      });
      const args = ['-Iinc1', '-Iinc2'];
      const skippedBefore = skippedTotal();
      const open = await compileToGate(dir, args);
      fs.writeFileSync(path.join(dir, 'inc1/cfg.h'), '#define CFG_VALUE 2\n');
      assert.equal(await open(), 0);
      assert.equal(runObject(dir, 'obj/main.o'), '1', 'setup: the compile ran before inc1/cfg.h existed');
      await recordingDecided(dir, skippedBefore);
      assert.equal(plainValue(dir, args), '2', 'setup: gcc now uses inc1/cfg.h');
      const direct = hits().direct;
      assert.equal(compile(dir, args, slowGcc), '2', 'the next compile must use inc1/cfg.h');
      assert.equal(hits().direct, direct, 'not a direct hit');
    });

    test("a header edited between preprocessing and compiling: its object is not stored under the old text's key", async () => {
      const dir = project('editbetween', { 'src/main.c': program('editbetween', '#include "cfg.h"'), 'src/cfg.h': '#define CFG_VALUE 1\n' });
      const skippedBefore = skippedTotal();
      const open = await compileToGate(dir, [], slowStart); // preprocessed (with value 1); the compile step has not started
      writeOld(dir, { 'src/cfg.h': '#define CFG_VALUE 2\n' }, 600);
      assert.equal(await open(), 0);
      assert.equal(runObject(dir, 'obj/main.o'), '2', 'setup: the compile read the edited header');
      await recordingDecided(dir, skippedBefore);
      writeOld(dir, { 'src/cfg.h': '#define CFG_VALUE 1\n' }, 600); // back to the preprocessed text
      assert.equal(compile(dir, [], slowStart), '1', 'the object for value 1 must not be the one built with value 2');
    });
  });
});

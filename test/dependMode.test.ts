// Depend mode (WARMCC_DEPEND=1): misses never run the preprocessor on the source; the compile
// writes a dependency list (-MD into a temporary file unless the user asked for one) and that list
// keys the result and fills the manifest. Checked with a logging wrapper in front of real gcc:
// which runs happen, that hits and misses follow header changes and shadowing, that the user's
// own .d is restored byte for byte, that -MMD falls back to the preprocessor, and that no
// temporary dependency file is left behind.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseDependencyFile } from '../wrapper/direct/dependencyFile';
import { decodeManifest } from '../wrapper/direct/manifestFormat';
import { waitFor } from './support/poll';
import { ageFiles, createSandbox, settleTimestamps, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const GCC = which('gcc');

function age(dir: string, files: string[]): void {
  ageFiles(
    files.map((file) => path.join(dir, file)),
    120,
  );
}

/** Direct-mode manifest entries in the cache, over all manifests: a miss records one after its
 *  reply, so a test that needs the next compile to be a direct hit waits for the count to grow. */
function manifestEntries(cacheDir: string): number {
  const objects = path.join(cacheDir, 'objects');
  if (!fs.existsSync(objects)) return 0;
  return fs
    .readdirSync(objects, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !entry.name.includes('.tmp-'))
    .reduce((sum, entry) => sum + (decodeManifest(fs.readFileSync(path.join(entry.parentPath, entry.name)))?.entries.length ?? 0), 0);
}

describe('depend mode (WARMCC_DEPEND=1)', { skip: GCC ? false : 'gcc is not installed' }, () => {
  let sandbox: WarmccSandbox;
  let dir: string;
  let compiler: string;
  let runLog: string;
  let tmp: string;

  before(() => {
    // the server's temporary directory is the sandbox's, so leftovers can be counted
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-deptmp-'));
    sandbox = createSandbox('depend', { WARMCC_DEPEND: '1', TMPDIR: tmp });
    dir = path.join(sandbox.dir, 'p');
    runLog = path.join(sandbox.dir, 'runs.log');
    // a compiler that records each run's arguments, then is gcc
    compiler = path.join(sandbox.dir, 'bin', 'logcc');
    writeFiles(sandbox.dir, { 'bin/logcc': `#!/bin/sh\nprintf '%s\\n' "$*" >> '${runLog}'\nexec '${GCC}' "$@"\n` });
    fs.chmodSync(compiler, 0o755);
    writeFiles(dir, {
      'inc/cfg.h': '#define VALUE 7\n',
      'late/cfg.h': '#define VALUE 8\n',
      'main.c': '#include <stdio.h>\n#include "cfg.h"\nint main(void) { printf("%d\\n", VALUE); return 0; }\n',
    });
    age(dir, ['inc/cfg.h', 'late/cfg.h', 'main.c']);
  });
  after(() => {
    sandbox.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const counters = () => {
    const s = sandbox.stats();
    return { hits: s.cacheHits, direct: s.directHits, misses: s.cacheMisses, skipped: s.directModeSkipped };
  };
  const runs = (): string[] => (fs.existsSync(runLog) ? fs.readFileSync(runLog, 'utf8').split('\n').filter(Boolean) : []);
  const compile = (args: string[]) => {
    fs.rmSync(path.join(dir, 'main.o'), { force: true });
    const result = sandbox.run([compiler, ...args], { cwd: dir });
    assert.equal(result.status, 0, result.stderr);
  };
  const program = (): string => {
    const link = spawnSync(GCC!, ['main.o', '-o', 'prog'], { cwd: dir, encoding: 'utf8' });
    assert.equal(link.status, 0, link.stderr);
    return spawnSync(path.join(dir, 'prog'), { encoding: 'utf8' }).stdout.trim();
  };

  test('a miss compiles once with a temporary -MD and never preprocesses the source', () => {
    const runsBefore = runs().length;
    compile(['-Iinc', '-c', 'main.c', '-o', 'main.o']);
    const c = counters();
    assert.equal(c.misses, 1);
    const newRuns = runs().slice(runsBefore);
    const sourceRuns = newRuns.filter((line) => line.includes('main.c'));
    assert.equal(sourceRuns.length, 1, `one run on the source:\n${newRuns.join('\n')}`);
    assert.match(sourceRuns[0]!, / -MD -MF \S+\.d$/, 'the compile writes a temporary dependency list');
    assert.ok(sourceRuns[0]!.includes(` -MF ${tmp}/`), "in the server's temporary directory");
    assert.ok(!newRuns.some((line) => / -E /.test(line) && line.includes('main.c')), `no preprocessor run on the source:\n${newRuns.join('\n')}`);
    assert.deepEqual(
      fs.readdirSync(dir).filter((file) => file.endsWith('.d')),
      [],
      "no .d appears in the user's directory",
    );
    assert.equal(program(), '7');
  });

  test('the next compile is a direct hit without any compiler run', async () => {
    // storing happens after the reply: wait for the manifest entry the miss records
    await waitFor(() => manifestEntries(sandbox.cacheDir) >= 1, {
      timeoutMs: 10_000,
      what: 'the manifest entry of the first compile',
      state: () => ({ manifestEntries: manifestEntries(sandbox.cacheDir), counters: counters() }),
    });
    const runsBefore = runs().length;
    const before = counters();
    compile(['-Iinc', '-c', 'main.c', '-o', 'main.o']);
    assert.equal(counters().direct, before.direct + 1, 'a direct hit');
    assert.equal(program(), '7');
    const later = runs()
      .slice(runsBefore)
      .filter((line) => line.includes('main.c'));
    assert.deepEqual(later, [], 'no compiler run on the source');
    assert.deepEqual(
      fs.readdirSync(tmp).filter((file) => file.endsWith('.d')),
      [],
      'no temporary dependency file is left',
    );
  });

  test('a changed header is a miss, then a hit; a shadowing header earlier in the path is a miss', () => {
    fs.writeFileSync(path.join(dir, 'inc/cfg.h'), '#define VALUE 17\n');
    age(dir, ['inc/cfg.h']);
    let before = counters();
    compile(['-Iinc', '-c', 'main.c', '-o', 'main.o']);
    assert.equal(counters().misses - before.misses, 1, 'changed header: a miss');
    assert.equal(program(), '17');
    before = counters();
    compile(['-Iinc', '-c', 'main.c', '-o', 'main.o']);
    assert.equal(counters().misses, before.misses, 'then a hit');
    assert.equal(program(), '17');

    // a cfg.h next to main.c shadows inc/cfg.h for #include "cfg.h"
    fs.writeFileSync(path.join(dir, 'cfg.h'), '#define VALUE 99\n');
    age(dir, ['cfg.h']);
    before = counters();
    compile(['-Iinc', '-c', 'main.c', '-o', 'main.o']);
    assert.equal(counters().misses - before.misses, 1, 'shadowing header: a miss, not the old object');
    assert.equal(program(), '99');
    fs.rmSync(path.join(dir, 'cfg.h'));
  });

  test("the user's own -MD file is part of the result and restored byte for byte", async () => {
    const args = ['-Ilate', '-MD', '-MP', '-MF', 'deps/main.d', '-c', 'main.c', '-o', 'main.o'];
    fs.mkdirSync(path.join(dir, 'deps'), { recursive: true });
    const entriesBefore = manifestEntries(sandbox.cacheDir);
    compile(args);
    const original = fs.readFileSync(path.join(dir, 'deps/main.d'));
    assert.match(original.toString(), /^main\.o: main\.c .*late\/cfg\.h/s);
    await waitFor(() => manifestEntries(sandbox.cacheDir) > entriesBefore, {
      timeoutMs: 10_000,
      what: 'the manifest entry of the -MD compile',
      state: () => ({ manifestEntries: manifestEntries(sandbox.cacheDir), entriesBefore }),
    });
    const hitsBefore = counters().hits;
    fs.rmSync(path.join(dir, 'deps/main.d'));
    compile(args);
    assert.equal(counters().hits, hitsBefore + 1, 'a hit');
    assert.deepEqual(fs.readFileSync(path.join(dir, 'deps/main.d')), original);
    assert.equal(program(), '8');
  });

  test('-MMD falls back to the preprocessor (its list has no system headers), counted', () => {
    const before = counters();
    compile(['-Iinc', '-MMD', '-c', 'main.c', '-o', 'main.o']);
    const c = counters();
    assert.equal((c.skipped['depend mode: -MMD lists no system headers'] ?? 0) - (before.skipped['depend mode: -MMD lists no system headers'] ?? 0), 1);
    assert.ok(
      runs().some((line) => / -E /.test(line) && line.includes('-MMD') === false && line.endsWith('main.c')),
      'the preprocessor ran',
    );
    assert.equal(program(), '17');
    fs.rmSync(path.join(dir, 'main.d'), { force: true });
  });

  test('a source written just before the compile is stored; one changed after the compile started is compiled but not stored', () => {
    writeFiles(dir, { 'fresh.c': 'int fresh(void) { return 1; }\n' });
    settleTimestamps();
    let before = counters();
    for (let i = 0; i < 2; i++) {
      const result = sandbox.run([compiler, '-c', 'fresh.c', '-o', 'fresh.o'], { cwd: dir });
      assert.equal(result.status, 0, result.stderr);
    }
    let c = counters();
    assert.equal(c.misses - before.misses, 1, 'written before the compile: stored, then a hit');
    // a "compiler" that rewrites the source once it has compiled it: its hash now is not what was compiled
    const rewriting = path.join(dir, 'rewriting-gcc');
    fs.writeFileSync(
      rewriting,
      `#!/bin/sh\n${GCC} "$@"; status=$?\nfor a in "$@"; do [ "$a" = late.c ] && echo '/* edited */' >> late.c; done\nexit $status\n`,
      { mode: 0o755 },
    );
    writeFiles(dir, { 'late.c': 'int late(void) { return 2; }\n' });
    settleTimestamps();
    before = counters();
    for (let i = 0; i < 2; i++) {
      const result = sandbox.run([rewriting, '-c', 'late.c', '-o', 'late.o'], { cwd: dir });
      assert.equal(result.status, 0, result.stderr);
    }
    c = counters();
    assert.equal(c.misses - before.misses, 2, 'changed during the compile: nothing stored, both are misses');
    assert.ok((c.skipped['file modified too recently'] ?? 0) > (before.skipped['file modified too recently'] ?? 0), 'counted');
  });

  test('.incbin (the assembler reads a file no dependency list names) is never served from the cache', () => {
    const source =
      '__asm__(".section .rodata\\n.global blob\\nblob: .incbin \\"data.bin\\"\\n.text");\nextern const unsigned char blob[];\n#include <stdio.h>\nint main(void) { printf("%c\\n", blob[0]); return 0; }\n';
    writeFiles(dir, { 'blob.c': source, 'data.bin': '1' });
    age(dir, ['blob.c', 'data.bin']);
    const build = (): string => {
      fs.rmSync(path.join(dir, 'blob.o'), { force: true });
      const result = sandbox.run([compiler, '-c', 'blob.c', '-o', 'blob.o'], { cwd: dir });
      assert.equal(result.status, 0, result.stderr);
      const link = spawnSync(GCC!, ['blob.o', '-o', 'blobprog'], { cwd: dir, encoding: 'utf8' });
      assert.equal(link.status, 0, link.stderr);
      return spawnSync(path.join(dir, 'blobprog'), { encoding: 'utf8' }).stdout.trim();
    };
    assert.equal(build(), '1');
    assert.equal(build(), '1');
    fs.writeFileSync(path.join(dir, 'data.bin'), '2');
    age(dir, ['data.bin']);
    assert.equal(build(), '2', 'the changed binary is compiled in, not an old object');
    assert.ok((counters().skipped['assembler .incbin/.include'] ?? 0) >= 2, 'counted');
  });

  test('a failing compile stores nothing and leaves no temporary file', () => {
    writeFiles(dir, { 'broken.c': 'int broken(void) { return undeclared; }\n' });
    age(dir, ['broken.c']);
    const result = sandbox.run([compiler, '-c', 'broken.c', '-o', 'broken.o'], { cwd: dir });
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /undeclared/);
    assert.deepEqual(
      fs.readdirSync(tmp).filter((file) => file.endsWith('.d')),
      [],
    );
  });
});

describe('depend mode with WARMCC_SLOPPINESS=system_headers', { skip: GCC ? false : 'gcc is not installed' }, () => {
  let sandbox: WarmccSandbox;
  let dir: string;
  before(() => {
    sandbox = createSandbox('dependsloppy', { WARMCC_DEPEND: '1', WARMCC_SLOPPINESS: 'system_headers' });
    dir = path.join(sandbox.dir, 'p');
    writeFiles(dir, {
      'inc/cfg.h': '#define VALUE 5\n',
      'main.c': '#include <stdio.h>\n#include "cfg.h"\nint main(void) { printf("%d\\n", VALUE); return 0; }\n',
    });
    age(dir, ['inc/cfg.h', 'main.c']);
  });
  after(() => sandbox.cleanup());

  test('-MMD compiles use depend mode: hits follow project header changes', async () => {
    const compile = () => {
      fs.rmSync(path.join(dir, 'main.o'), { force: true });
      const result = sandbox.run(['gcc', '-Iinc', '-MMD', '-c', 'main.c', '-o', 'main.o'], { cwd: dir });
      assert.equal(result.status, 0, result.stderr);
    };
    compile();
    let stats = sandbox.stats();
    assert.equal(stats.cacheMisses, 1);
    assert.equal(stats.directModeSkipped['depend mode: -MMD lists no system headers'] ?? 0, 0, 'not refused');
    await waitFor(() => manifestEntries(sandbox.cacheDir) >= 1, {
      timeoutMs: 10_000,
      what: 'the manifest entry of the -MMD compile',
      state: () => manifestEntries(sandbox.cacheDir),
    });
    compile();
    stats = sandbox.stats();
    assert.equal(stats.directHits, 1, 'a direct hit from the -MMD list');
    fs.writeFileSync(path.join(dir, 'inc/cfg.h'), '#define VALUE 6\n');
    age(dir, ['inc/cfg.h']);
    const misses = stats.cacheMisses;
    compile();
    assert.equal(sandbox.stats().cacheMisses, misses + 1, 'a changed project header is still a miss');
    const link = spawnSync(GCC!, ['main.o', '-o', 'prog'], { cwd: dir, encoding: 'utf8' });
    assert.equal(link.status, 0, link.stderr);
    assert.equal(spawnSync(path.join(dir, 'prog'), { encoding: 'utf8' }).stdout.trim(), '6');
  });
});

describe('dependency file parsing', () => {
  test('escapes, continuation lines and -MP phony rules', () => {
    const text = 'obj/a.o: src/a.c /usr/include/stdio.h \\\n inc/with\\ space.h inc/h\\#x.h inc/d$$x.h\ninc/with\\ space.h:\n/usr/include/stdio.h:\n';
    assert.deepEqual(parseDependencyFile(text, '/w'), ['/w/src/a.c', '/usr/include/stdio.h', '/w/inc/with space.h', '/w/inc/h#x.h', '/w/inc/d$x.h']);
  });
  test('text without a rule is unreadable, not an empty list', () => {
    assert.equal(parseDependencyFile('', '/w'), undefined);
    assert.equal(parseDependencyFile('garbage without colon', '/w'), undefined);
  });
});

// `warmcc --explain FILE`: the server journals every request, and a miss names exactly what
// changed since the most similar earlier compile of the same source — an argument, a header, an
// environment variable in the key, the compiler binary — or says "first time seen". Real gcc,
// real servers, in both lookup modes (preprocessor mode, WARMCC_DIRECT=0, and the default direct mode). Also: the journal
// stays within WARMCC_JOURNAL_SIZE, a corrupt line is skipped, and without a running server the
// CLI reads the journal itself (and starts no server).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { waitFor } from './support/poll';
import { ageFiles, createSandbox, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';
import type { ExplainResult } from '../wrapper/contract/rpc';

const GCC = which('gcc');
const skip = GCC ? false : 'gcc is not installed';

/** sets the files' mtime a minute into the past: direct mode does not record files modified
 *  within the last seconds into a manifest */
function age(dir: string, files: string[]): void {
  ageFiles(files.map((file) => path.join(dir, file)));
}

function writeOld(dir: string, files: Record<string, string>): void {
  writeFiles(dir, files);
  age(dir, Object.keys(files));
}

function compile(sandbox: WarmccSandbox, dir: string, args: string[], env: Record<string, string | undefined> = {}): void {
  const result = sandbox.run(args, { cwd: dir, env });
  assert.equal(result.status, 0, `${args.join(' ')}: ${result.stderr}`);
}

function explain(sandbox: WarmccSandbox, dir: string, file: string): ExplainResult {
  const result = sandbox.run(['--explain', file, '--stats-format', 'json'], { cwd: dir });
  assert.ok(result.status === 0 || result.status === 1, `warmcc --explain ${file}: status ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout) as ExplainResult;
}

function explainText(sandbox: WarmccSandbox, dir: string, file: string): { status: number | null; text: string } {
  const result = sandbox.run(['--explain', file], { cwd: dir });
  return { status: result.status, text: result.stdout + result.stderr };
}

function journalFile(sandbox: WarmccSandbox): string {
  const shown = sandbox.run(['--show-config', '--stats-format', 'json']);
  assert.equal(shown.status, 0, shown.stderr);
  return (JSON.parse(shown.stdout) as { journalFile: string }).journalFile;
}

const PROJECT = {
  'include/config.h': '#define GREETING "hello"\n',
  'include/util.h': 'int twice(int x);\n',
  'main.c': '#include <stdio.h>\n#include "config.h"\n#include "util.h"\nint main(void) { printf("%s %d\\n", GREETING, twice(2)); return 0; }\n',
  'util.c': '#include "util.h"\nint twice(int x) { return 2 * x; }\n',
};

for (const mode of ['preprocessor', 'direct', 'depend'] as const) {
  const manifests = mode !== 'preprocessor';
  describe(`warmcc --explain names what changed (${mode} mode)`, { skip }, () => {
    let sandbox: WarmccSandbox;
    let dir: string;
    const cc = (file: string, opt = '-O2', compiler = 'gcc'): string[] => [compiler, opt, '-Iinclude', '-c', file, '-o', file.replace(/\.c$/, '.o')];

    before(async () => {
      sandbox = createSandbox(`explain-${mode}`, mode === 'direct' ? {} : mode === 'depend' ? { WARMCC_DEPEND: '1' } : { WARMCC_DIRECT: '0' });
      dir = path.join(sandbox.dir, 'project');
      writeOld(dir, PROJECT);
      // each file twice: a miss, then a hit (in direct mode a direct hit, once the result and
      // the manifest are stored: the server stores them after replying)
      for (const file of ['main.c', 'util.c']) {
        const entries = sandbox.stats().cacheEntries;
        compile(sandbox, dir, cc(file));
        await waitFor(() => sandbox.stats().cacheEntries >= entries + (manifests ? 2 : 1), {
          timeoutMs: 10_000,
          what: `the result${manifests ? ' and manifest' : ''} of ${file} to be stored`,
          state: () => ({ cacheEntries: sandbox.stats().cacheEntries, before: entries }),
        });
        compile(sandbox, dir, cc(file));
      }
      const stats = sandbox.stats();
      assert.equal(stats.cacheHits, 2, JSON.stringify(stats));
      if (manifests) assert.equal(stats.directHits, 2, 'the earlier hits were direct hits');
    });
    after(() => sandbox.cleanup());

    test('the last request a hit: "not a miss", then what the last miss was', () => {
      const result = explain(sandbox, dir, 'util.c');
      assert.equal(result.explanation.last?.outcome, 'hit');
      const via = manifests ? 'direct' : 'preprocessed';
      assert.equal(result.explanation.last?.via, via);
      assert.equal(result.explanation.miss?.outcome, 'miss');
      assert.equal(result.explanation.verdict, 'first time seen');
      assert.match(result.text, new RegExp(`^util\\.c: not a miss — the last request was a hit \\(${via}\\) at .*\\nutil\\.c missed at .*: first time seen`));
    });

    test('(a) an argument: -O2 → -O1', () => {
      compile(sandbox, dir, cc('util.c', '-O1'));
      const result = explain(sandbox, dir, 'util.c');
      assert.equal(result.explanation.verdict, 'changed');
      assert.equal(result.explanation.comparedWith?.outcome, 'hit');
      assert.deepEqual(result.explanation.changes, [{ kind: 'arguments', part: 'args', before: ['-O2'], after: ['-O1'] }]);
      assert.match(explainText(sandbox, dir, 'util.c').text, /argument changed: -O2 → -O1/);
    });

    test("(b) a header's content", () => {
      writeOld(dir, { 'include/config.h': '#define GREETING "hello, world"\n' });
      compile(sandbox, dir, cc('main.c'));
      const result = explain(sandbox, dir, 'main.c');
      assert.equal(result.explanation.miss?.outcome, 'miss');
      assert.deepEqual(result.explanation.changes, [{ kind: 'header', file: path.join(dir, 'include', 'config.h'), change: 'changed' }]);
      assert.match(explainText(sandbox, dir, 'main.c').text, /header changed: include\/config\.h/);
    });

    test('(c) an environment variable in the key: SOURCE_DATE_EPOCH', () => {
      compile(sandbox, dir, cc('main.c'), { SOURCE_DATE_EPOCH: '1700000000' });
      const result = explain(sandbox, dir, 'main.c');
      assert.deepEqual(result.explanation.changes, [{ kind: 'environment', name: 'SOURCE_DATE_EPOCH', after: '1700000000' }]);
      assert.match(explainText(sandbox, dir, 'main.c').text, /environment variable SOURCE_DATE_EPOCH changed: unset → '1700000000'/);
    });

    test('(d) the compiler binary: a wrapper script around gcc', () => {
      const wrapper = path.join(sandbox.dir, 'tools', 'gcc');
      fs.mkdirSync(path.dirname(wrapper), { recursive: true });
      fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${GCC} "$@"\n`, { mode: 0o755 });
      compile(sandbox, dir, cc('main.c', '-O2', wrapper));
      const { changes } = explain(sandbox, dir, 'main.c').explanation;
      assert.equal(changes.length, 1, JSON.stringify(changes));
      const change = changes[0]!;
      assert.ok(change.kind === 'compiler', `a compiler change, got ${change.kind}`);
      assert.equal(change.before.path, GCC);
      assert.equal(change.after.path, wrapper);
      assert.notEqual(change.before.hash, change.after.hash);
      assert.equal(change.before.version, change.after.version, 'the same gcc underneath');
      assert.match(explainText(sandbox, dir, 'main.c').text, new RegExp(`compiler changed: .* → ${wrapper.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(gcc `));
    });

    test('a new file: "first time seen"; a file never compiled: a clear message and status 1', () => {
      writeOld(dir, { 'fresh.c': 'int fresh(void) { return 1; }\n' });
      compile(sandbox, dir, cc('fresh.c'));
      assert.equal(explain(sandbox, dir, 'fresh.c').explanation.verdict, 'first time seen');
      assert.match(explainText(sandbox, dir, 'fresh.c').text, /fresh\.c missed at .*: first time seen/);
      const never = explainText(sandbox, dir, 'never.c');
      assert.equal(never.status, 1);
      assert.match(never.text, /never\.c: no request of this file in the journal/);
    });

    test('the same key again after -C: "unchanged", the result was gone; WARMCC_RECACHE says so', () => {
      const cleared = sandbox.run(['-C']);
      assert.equal(cleared.status, 0, cleared.stderr);
      compile(sandbox, dir, cc('fresh.c'));
      const gone = explain(sandbox, dir, 'fresh.c').explanation;
      assert.equal(gone.verdict, 'unchanged');
      assert.match(explainText(sandbox, dir, 'fresh.c').text, /nothing in the key changed .*the cached result was gone/);
      compile(sandbox, dir, cc('fresh.c'), { WARMCC_RECACHE: '1' });
      assert.match(explainText(sandbox, dir, 'fresh.c').text, /WARMCC_RECACHE forced the compile/);
    });

    test('an absolute path and a path relative to another directory name the same file', () => {
      const absolute = explain(sandbox, sandbox.dir, path.join(dir, 'util.c'));
      const relative = explain(sandbox, sandbox.dir, path.join('project', 'util.c'));
      assert.deepEqual(absolute.explanation, relative.explanation);
      assert.equal(absolute.explanation.verdict, 'changed');
    });
  });
}

describe('the journal file', { skip }, () => {
  let sandbox: WarmccSandbox;
  after(() => sandbox?.cleanup());

  test('stays within WARMCC_JOURNAL_SIZE under many requests (rotating to .1.jsonl), and the latest are still explained', () => {
    const limit = 16 * 1024;
    sandbox = createSandbox('explain-bound', { WARMCC_JOURNAL_SIZE: '16K' });
    const dir = path.join(sandbox.dir, 'many');
    const file = journalFile(sandbox);
    const rotated = file.replace(/\.jsonl$/, '.1.jsonl');
    const count = 120;
    for (let i = 0; i < count; i++) {
      writeFiles(dir, { [`h${i}.h`]: `#define V${i} ${i}\n`, [`f${i}.c`]: `#include <stdio.h>\n#include "h${i}.h"\nint f${i}(void) { return V${i}; }\n` });
      compile(sandbox, dir, ['gcc', '-c', `f${i}.c`, '-o', `f${i}.o`]);
      if (i % 20 === 0) {
        const total = [file, rotated].reduce((sum, name) => sum + (fs.statSync(name, { throwIfNoEntry: false })?.size ?? 0), 0);
        assert.ok(total <= limit, `journal ${total} bytes after ${i + 1} requests, limit ${limit}`);
      }
    }
    const latest = explain(sandbox, dir, `f${count - 1}.c`);
    assert.equal(latest.explanation.verdict, 'first time seen');
    assert.ok(fs.existsSync(rotated), 'the journal was rotated');
    const total = fs.statSync(file).size + fs.statSync(rotated).size;
    assert.ok(total <= limit, `journal ${total} bytes, limit ${limit}`);
    // the oldest requests have been dropped
    assert.equal(explain(sandbox, dir, 'f0.c').explanation.verdict, 'never seen');
    sandbox.cleanup();
  });

  test('WARMCC_JOURNAL_SIZE=0: nothing is written, and --explain says the journal is off', () => {
    sandbox = createSandbox('explain-off', { WARMCC_JOURNAL_SIZE: '0' });
    const dir = path.join(sandbox.dir, 'p');
    writeFiles(dir, { 'a.c': 'int a(void) { return 1; }\n' });
    compile(sandbox, dir, ['gcc', '-c', 'a.c', '-o', 'a.o']);
    const result = sandbox.run(['--explain', 'a.c'], { cwd: dir });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /warmcc: the journal is off \(WARMCC_JOURNAL_SIZE=0\)/);
    assert.equal(fs.existsSync(journalFile(sandbox)), false);
    sandbox.cleanup();
  });

  test('a corrupt or truncated line is skipped; without a server the CLI reads the journal itself', async () => {
    sandbox = createSandbox('explain-corrupt');
    const dir = path.join(sandbox.dir, 'p');
    writeOld(dir, PROJECT);
    const args = (opt: string): string[] => ['gcc', opt, '-Iinclude', '-c', 'util.c', '-o', 'util.o'];
    compile(sandbox, dir, args('-O2'));
    await waitFor(() => sandbox.stats().cacheEntries >= 1, { timeoutMs: 10_000, what: 'the result to be stored' });
    compile(sandbox, dir, args('-O2'));
    const file = journalFile(sandbox);
    sandbox.stop();
    fs.appendFileSync(file, 'not json at all\n{"def":"abc","v":\n{"at":"yesterday","src":1}\n\u0000\u0001\n{"at":12,"src":"/x.c","cwd":"/","out":"miss"');
    // a new server appends after the truncated last line
    compile(sandbox, dir, args('-O3'));
    const online = explain(sandbox, dir, 'util.c');
    assert.deepEqual(online.explanation.changes, [{ kind: 'arguments', part: 'args', before: ['-O2'], after: ['-O3'] }]);
    assert.equal(online.explanation.comparedWith?.outcome, 'hit');

    sandbox.stop();
    assert.equal(sandbox.serverPid(), undefined);
    const offline = explain(sandbox, dir, 'util.c');
    assert.deepEqual(offline.explanation, online.explanation);
    assert.equal(sandbox.serverPid(), undefined, '--explain started no server');
  });
});

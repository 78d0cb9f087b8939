// Unit tests of the explanation (explainMiss.ts, explainText.ts: pure) and of the journal's file
// format (journal.ts: written and read back on a real temporary directory).

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Change, KeyParts } from '../wrapper/contract/explanation';
import { loadConfig } from '../wrapper/config/config';
import { explainMiss, listDifferences } from '../wrapper/explain/explainMiss';
import { formatExplanation } from '../wrapper/explain/explainText';
import { hitServerJournalFile, Journal, readJournal, readSourceRecords, rotatedJournalFile, type JournalRecord } from '../wrapper/explain/journal';

const SOURCE = '/p/a.c';
const GCC = { path: '/usr/bin/gcc', family: 'gcc', version: '"12.2.0"', hash: 'aaaaaaaaaaaaaaaa' };

function parts(overrides: Record<string, string | undefined> = {}): KeyParts {
  const base: Record<string, string | undefined> = {
    format: 'warmcc-key-1',
    compiler: 'gcc\0"12.2.0"\0aaaa',
    language: 'c',
    args: '-O2\0-Wall',
    outputs: ',,',
    ...overrides,
  };
  const list: KeyParts = Object.entries(base).filter((entry): entry is [string, string] => entry[1] !== undefined);
  list.push(['preprocessed', '']);
  return list;
}

function directParts(overrides: Record<string, string | undefined> = {}): KeyParts {
  const { 'preprocessor args': cpp, 'cwd (direct)': cwd, 'env CPATH': cpath, ...common } = overrides;
  return [
    ...parts(common)
      .filter(([name]) => name !== 'preprocessed')
      .map(([name, value]): [string, string] => (name === 'format' ? [name, 'warmcc-direct-1'] : [name, value])),
    ['preprocessor args', cpp ?? '-O2\0-Wall\0-Iinc'],
    ['cwd (direct)', cwd ?? '/p'],
    ...(cpath !== undefined ? [['env CPATH', cpath] as [string, string]] : []),
    ['source path', 'a.c'],
    ['source content', 'ffff'],
  ];
}

let clock = 1_000;
function record(overrides: Partial<JournalRecord> = {}): JournalRecord {
  clock += 1000;
  return {
    at: clock,
    source: SOURCE,
    cwd: '/p',
    outcome: 'miss',
    compiler: GCC,
    keyParts: parts(),
    preprocessorArgs: ['-O2', '-Wall', '-Iinc'],
    resultKey: 'k1',
    sourceHash: 's1',
    includes: [
      ['/p/inc/a.h', 'h1'],
      ['/usr/include/stdio.h', 'h2'],
    ],
    ...overrides,
  };
}

describe('listDifferences', () => {
  test('a changed argument is one run with both sides', () => {
    assert.deepEqual(listDifferences(['-O2', '-Wall'], ['-O1', '-Wall']), [{ before: ['-O2'], after: ['-O1'] }]);
  });
  test('additions and removals are separate runs, unchanged arguments split them', () => {
    assert.deepEqual(listDifferences(['-a', '-b', '-c'], ['-b', '-c', '-d']), [
      { before: ['-a'], after: [] },
      { before: [], after: ['-d'] },
    ]);
  });
  test('equal lists: no runs; empty to something: one run', () => {
    assert.deepEqual(listDifferences(['-x'], ['-x']), []);
    assert.deepEqual(listDifferences([], ['-g', '-O2']), [{ before: [], after: ['-g', '-O2'] }]);
  });
});

describe('explainMiss', () => {
  test('no records: never seen (a header gets a hint)', () => {
    const explanation = explainMiss(SOURCE, []);
    assert.equal(explanation.verdict, 'never seen');
    assert.equal(formatExplanation(explanation, 'a.c'), 'a.c: no request of this file in the journal.');
    assert.match(formatExplanation(explainMiss('/p/a.h', []), 'a.h'), /a\.h: no request of this file in the journal\. Headers are not compiled on their own/);
  });

  test('only hits: no miss, the last request named', () => {
    const explanation = explainMiss(SOURCE, [record({ outcome: 'hit', via: 'direct' })]);
    assert.equal(explanation.verdict, 'no miss');
    assert.match(formatExplanation(explanation, 'a.c'), /^a\.c: not a miss — the last request was a hit \(direct\) at /);
  });

  test('a miss with no earlier cached request (earlier ones failed or were not cacheable): first time seen', () => {
    const explanation = explainMiss(SOURCE, [record({ outcome: 'compile failed' }), record({ outcome: 'not cacheable', reason: '-save-temps' }), record()]);
    assert.equal(explanation.verdict, 'first time seen');
    assert.equal(explanation.comparedWith, undefined);
  });

  test('the most similar earlier request wins, ties to the most recent', () => {
    const older = record({ outcome: 'hit', keyParts: parts({ args: '-O1\0-Wall' }) }); // 1 difference
    const twoOff = record({ outcome: 'hit', keyParts: parts({ args: '-O1\0-Wall', 'env LANG': 'de_DE' }) }); // 2
    const newer = record({ outcome: 'miss', sourceHash: 's0' }); // 1 difference, more recent than `older`
    const miss = record({ resultKey: 'k2' });
    const explanation = explainMiss(SOURCE, [older, twoOff, newer, miss]);
    assert.equal(explanation.verdict, 'changed');
    assert.equal(explanation.comparedWith?.at, newer.at);
    assert.deepEqual(explanation.changes, [{ kind: 'source', before: 's0', after: 's1' }]);
  });

  test('the same result key as an earlier request: unchanged (gone, or forced by recache)', () => {
    const explanation = explainMiss(SOURCE, [record({ outcome: 'hit' }), record({ outcome: 'miss', reason: 'recache' })]);
    assert.equal(explanation.verdict, 'unchanged');
    assert.match(formatExplanation(explanation, 'a.c'), /WARMCC_RECACHE forced the compile/);
    const gone = explainMiss(SOURCE, [record({ outcome: 'hit' }), record()]);
    assert.match(formatExplanation(gone, 'a.c'), /the cached result was gone/);
  });

  test('each kind of change, named', () => {
    const earlier = record({ outcome: 'hit', compiler: { ...GCC, hash: 'bbbbbbbbbbbbbbbb' }, keyParts: parts({ 'env LANG': 'C', cwd: '/old' }) });
    const miss = record({
      resultKey: 'k2',
      keyParts: parts({ args: '-O2\0-Wall\0-g', 'env SOURCE_DATE_EPOCH': '5', cwd: '/p', language: 'c++' }),
      includes: [
        ['/p/inc/a.h', 'h9'],
        ['/p/inc/new.h', 'h3'],
      ],
    });
    const changes = explainMiss(SOURCE, [earlier, miss]).changes;
    const expected: Change[] = [
      { kind: 'compiler', before: { ...GCC, hash: 'bbbbbbbbbbbbbbbb' }, after: GCC },
      { kind: 'key part', name: 'language', before: 'c', after: 'c++' },
      { kind: 'arguments', part: 'args', before: [], after: ['-g'] },
      { kind: 'environment', name: 'SOURCE_DATE_EPOCH', after: '5' },
      { kind: 'working directory', before: '/old', after: '/p' },
      { kind: 'environment', name: 'LANG', before: 'C' },
      { kind: 'header', file: '/p/inc/a.h', change: 'changed' },
      { kind: 'header', file: '/p/inc/new.h', change: 'appeared' },
      { kind: 'header', file: '/usr/include/stdio.h', change: 'disappeared' },
    ];
    assert.deepEqual(changes, expected);
    const text = formatExplanation(explainMiss(SOURCE, [earlier, miss]), 'a.c');
    for (const line of [
      'compiler changed: /usr/bin/gcc (gcc 12.2.0, binary bbbbbbbbbbbb) → /usr/bin/gcc (gcc 12.2.0, binary aaaaaaaaaaaa)',
      "language changed: 'c' → 'c++'",
      'argument added: -g',
      "environment variable SOURCE_DATE_EPOCH changed: unset → '5'",
      'working directory changed: /old → /p',
      "environment variable LANG changed: 'C' → unset",
      'header changed: inc/a.h',
      'header appeared: inc/new.h',
      'header disappeared: /usr/include/stdio.h',
    ]) {
      assert.ok(text.includes(`  - ${line}\n`) || text.endsWith(`  - ${line}`), `"${line}" in:\n${text}`);
    }
  });

  test('direct mode: an argument in both keys is named once; the working directory once', () => {
    const earlier = record({ outcome: 'hit', keyParts: parts({ cwd: '/p' }), directKeyParts: directParts({ cwd: '/p' }) });
    const miss = record({
      resultKey: 'k2',
      keyParts: parts({ args: '-O1\0-Wall', cwd: '/q' }),
      directKeyParts: directParts({ args: '-O1\0-Wall', cwd: '/q', 'preprocessor args': '-O1\0-Wall\0-Iinc', 'cwd (direct)': '/q' }),
    });
    assert.deepEqual(explainMiss(SOURCE, [earlier, miss]).changes, [
      { kind: 'arguments', part: 'args', before: ['-O2'], after: ['-O1'] },
      { kind: 'working directory', before: '/p', after: '/q' },
    ]);
  });

  test('a direct hit compared with a preprocessed miss: direct-only parts (CPATH, preprocessor args) are not "removed"', () => {
    const directHit = record({ outcome: 'hit', via: 'direct', keyParts: undefined, directKeyParts: directParts({ 'env CPATH': '/x' }) });
    const miss = record({ resultKey: 'k2', keyParts: parts({ 'env GCC_COLORS': 'x' }) });
    assert.deepEqual(explainMiss(SOURCE, [directHit, miss]).changes, [{ kind: 'environment', name: 'GCC_COLORS', after: 'x' }]);
  });

  test('preprocessor mode: a -D that changed the preprocessed text is named from the preprocessor arguments', () => {
    const earlier = record({ outcome: 'hit' });
    const miss = record({ resultKey: 'k2', preprocessorArgs: ['-O2', '-Wall', '-DLEVEL=2', '-Iinc'] });
    assert.deepEqual(explainMiss(SOURCE, [earlier, miss]).changes, [{ kind: 'arguments', part: 'preprocessor args', before: [], after: ['-DLEVEL=2'] }]);
    // and when nothing tracked explains the different text, it says so
    const unexplained = explainMiss(SOURCE, [earlier, record({ resultKey: 'k3' })]);
    assert.deepEqual(unexplained.changes, [{ kind: 'preprocessed output' }]);
  });

  test('unknown include sets (a lost definition) are not compared', () => {
    const changes = explainMiss(SOURCE, [record({ outcome: 'hit', includes: undefined }), record({ resultKey: 'k2', sourceHash: 's2' })]).changes;
    assert.deepEqual(changes, [{ kind: 'source', before: 's1', after: 's2' }]);
  });
});

describe('WARMCC_JOURNAL_SIZE', () => {
  test('default 4 MiB, sizes with units, 0 turns it off, a bad value names the variable', () => {
    assert.equal(loadConfig({}).journalSizeLimit, 4 * 1024 * 1024);
    assert.equal(loadConfig({ WARMCC_JOURNAL_SIZE: '64K' }).journalSizeLimit, 64 * 1024);
    assert.equal(loadConfig({ WARMCC_JOURNAL_SIZE: '0' }).journalSizeLimit, 0);
    assert.throws(() => loadConfig({ WARMCC_JOURNAL_SIZE: 'lots' }), /WARMCC_JOURNAL_SIZE: cannot read size 'lots'/);
  });
});

describe('journal file', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-journal-'));
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = (): string => path.join(dir, `j${++n}`, 'journal.jsonl');

  test('records read back as written; repeated include sets and key parts are written once', () => {
    const file = fresh();
    const journal = new Journal(file, 1024 * 1024, (message) => assert.fail(message));
    const first = record({ outcome: 'miss' });
    const second = record({ outcome: 'hit', via: 'preprocessed' });
    journal.add(() => first);
    journal.add(() => second);
    journal.flush();
    assert.deepEqual(readJournal(file), [first, second]);
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    // key parts, preprocessor args, two files, one include set, then two requests
    assert.equal(lines.length, 7, lines.join('\n'));
  });

  test("hit servers' journal files are read with the main one, merged by time; other sockets' files are not", () => {
    const file = fresh();
    const main = new Journal(file, 1024 * 1024, (message) => assert.fail(message));
    const hitServer = new Journal(hitServerJournalFile(file, 1), 1024 * 1024, (message) => assert.fail(message));
    const other = new Journal(path.join(path.dirname(file), 'other.h1.jsonl'), 1024 * 1024, () => {});
    const miss = record({ at: 10, outcome: 'miss' });
    const hit = record({ at: 20, outcome: 'hit', via: 'direct' });
    const later = record({ at: 30, outcome: 'miss' });
    main.add(() => miss);
    main.add(() => later);
    hitServer.add(() => hit);
    other.add(() => record({ at: 25 }));
    main.flush();
    hitServer.flush();
    other.flush();
    assert.equal(hitServerJournalFile(file, 1), file.replace(/\.jsonl$/, '.h1.jsonl'));
    assert.deepEqual(readJournal(file), [miss, hit, later]);
  });

  test('a new writer (server restart) appends after a truncated line and defines again what it uses', () => {
    const file = fresh();
    const writer = new Journal(file, 1024 * 1024, () => {});
    writer.add(() => record({ at: 1 }));
    writer.flush();
    fs.appendFileSync(file, '{"at":5,"src":"/p/a.c","cw');
    const restarted = new Journal(file, 1024 * 1024, () => {});
    const later = record({ outcome: 'hit' });
    restarted.add(() => later);
    restarted.flush();
    const records = readJournal(file);
    assert.deepEqual(records.at(-1), later);
    assert.equal(records.length, 2);
  });

  test('corrupt lines, lines of the wrong shape and lost definitions are skipped', () => {
    const file = fresh();
    const journal = new Journal(file, 1024 * 1024, () => {});
    const kept = record();
    journal.add(() => kept);
    journal.flush();
    const text = fs.readFileSync(file, 'utf8');
    const definitionLines = text.split('\n').filter((line) => line.startsWith('{"def"'));
    // break the include set's definition (the last definition line)
    fs.writeFileSync(
      file,
      `garbage\n\u0000\u0001\n{"at":"x"}\n[1,2]\nnull\n${text.replace(definitionLines.at(-1)!, definitionLines.at(-1)!.slice(0, 10))}{"at":9,"src":"/p/a.c","cwd":"/p","out":"exploded"}\n`,
    );
    const records = readJournal(file);
    assert.equal(records.length, 1);
    const { includes, ...rest } = kept;
    assert.ok(includes);
    assert.deepEqual(records[0], rest, 'the record without its include set');
  });

  test('bounded: rotates past half the limit, both files stay under the limit', () => {
    const file = fresh();
    const limit = 8 * 1024;
    const journal = new Journal(file, limit, () => {});
    for (let i = 0; i < 200; i++) {
      journal.add(() => record({ source: `/p/f${i}.c`, includes: [[`/p/h${i}.h`, 'h']] }));
      if (i % 10 === 0) journal.flush();
    }
    journal.flush();
    const sizes = [file, rotatedJournalFile(file)].map((name) => fs.statSync(name).size);
    assert.ok(
      sizes.every((size) => size <= limit / 2),
      `sizes ${sizes.join(', ')}`,
    );
    const records = readJournal(file);
    assert.equal(records.at(-1)?.source, '/p/f199.c');
    assert.ok(!records.some((r) => r.source === '/p/f0.c'), 'the oldest records were dropped');
    // every record read back whole: definitions are repeated in each file
    assert.ok(
      records.every((r) => r.keyParts && r.includes),
      'no record lost its definitions to rotation',
    );
  });

  test("a source's records by its path, else by its real path (a build through a symlink)", () => {
    const file = fresh();
    const real = path.join(dir, 'real');
    fs.mkdirSync(real);
    fs.writeFileSync(path.join(real, 'a.c'), '');
    fs.symlinkSync(real, path.join(dir, 'link'));
    const journal = new Journal(file, 1024 * 1024, () => {});
    const viaLink = record({ source: path.join(dir, 'link', 'a.c') });
    journal.add(() => viaLink);
    journal.add(() => record({ source: path.join(dir, 'other.c') }));
    journal.flush();
    assert.deepEqual(readSourceRecords(file, path.join(dir, 'link', 'a.c')), [viaLink]);
    assert.deepEqual(readSourceRecords(file, path.join(real, 'a.c')), [viaLink]);
    assert.deepEqual(readSourceRecords(file, path.join(dir, 'nothing.c')), []);
  });

  test('a removed journal directory: the write after the failure starts over, definitions included', () => {
    const file = fresh();
    const messages: string[] = [];
    const journal = new Journal(file, 1024 * 1024, (message) => messages.push(message));
    journal.add(() => record());
    journal.flush();
    fs.rmSync(path.dirname(file), { recursive: true });
    journal.add(() => record({ at: 1 }));
    journal.flush();
    assert.equal(messages.length, 1, 'the failed write is logged');
    const later = record({ outcome: 'hit' });
    journal.add(() => later);
    journal.flush();
    assert.deepEqual(readJournal(file), [later]);
  });

  test('off at limit 0; a write error is logged once and never thrown', () => {
    const off = fresh();
    const disabled = new Journal(off, 0, () => assert.fail('nothing to log'));
    disabled.add(() => record());
    disabled.flush();
    assert.equal(fs.existsSync(off), false);

    const blocker = path.join(dir, 'a-file');
    fs.writeFileSync(blocker, '');
    const messages: string[] = [];
    const broken = new Journal(path.join(blocker, 'journal.jsonl'), 1024 * 1024, (message) => messages.push(message));
    for (let i = 0; i < 3; i++) broken.add(() => record());
    broken.flush();
    assert.equal(messages.length, 1, messages.join('\n'));
    assert.match(messages[0]!, /cannot write to the journal .*a-file\/journal\.jsonl/);
  });
});

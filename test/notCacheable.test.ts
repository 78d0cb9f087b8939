// Every call warmcc does not cache goes straight to the real compiler, with the compiler's own
// exit code and output, and is counted under its reason in the stats.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSandbox, writeFiles, type WarmccSandbox } from './support/warmccEnv';

let sandbox: WarmccSandbox;
let dir: string;

before(() => {
  sandbox = createSandbox('nocache');
  dir = path.join(sandbox.dir, 'p');
  writeFiles(dir, {
    'a.c': 'int a(void) { return 1; }\n',
    'b.c': 'int b(void) { return 2; }\n',
    'main.c': 'int a(void); int b(void);\nint main(void) { return a() + b() - 3; }\n',
    'bad.c': 'int main(void) { return nope; }\n',
  });
});
after(() => sandbox.cleanup());

function reasonCount(reason: string): number {
  return sandbox.stats().notCacheable[reason] ?? 0;
}

interface Case {
  name: string;
  args: string[];
  reason: string;
  input?: string;
  expectStatus?: number;
  check?: (stdout: string) => void;
}

const cases: Case[] = [
  { name: 'linking (no -c)', args: ['gcc', 'a.c', 'b.c', 'main.c', '-o', 'prog'], reason: 'no -c (linking or other)' },
  { name: 'preprocess only (-E)', args: ['gcc', '-E', 'a.c'], reason: 'preprocess only (-E)', check: (out) => assert.match(out, /int a\(void\)/) },
  {
    name: 'dependencies only (-M)',
    args: ['gcc', '-M', 'a.c'],
    reason: 'dependencies only (-M/-MM without -MD/-MMD)',
    check: (out) => assert.match(out, /^a\.o: a\.c/),
  },
  { name: 'several input files', args: ['gcc', '-c', 'a.c', 'b.c'], reason: 'multiple input files' },
  { name: 'input from stdin', args: ['gcc', '-x', 'c', '-c', '-', '-o', 'stdin.o'], reason: 'input from stdin', input: 'int s(void) { return 3; }\n' },
  { name: '-save-temps', args: ['gcc', '-c', 'a.c', '-o', 'st.o', '-save-temps'], reason: '-save-temps' },
  { name: 'an unsupported flag, named', args: ['gcc', '-c', 'a.c', '-o', 'wp.o', '-Wp,-MD,wp.d'], reason: 'unsupported flag -Wp,-MD,wp.d' },
  { name: 'a link failure keeps its exit code', args: ['gcc', 'bad.c', '-o', 'bad'], reason: 'no -c (linking or other)', expectStatus: 1 },
];

for (const c of cases) {
  test(`not cacheable: ${c.name} runs the real compiler and is counted`, () => {
    const before = reasonCount(c.reason);
    const viaWarmcc = sandbox.run(c.args, { cwd: dir, input: c.input });
    const direct = spawnSync(c.args[0]!, c.args.slice(1), { cwd: dir, encoding: 'utf8', input: c.input, env: { ...process.env, LC_ALL: 'C' } });
    assert.equal(viaWarmcc.status, direct.status, `exit code as without warmcc: ${viaWarmcc.stderr}`);
    if (c.expectStatus !== undefined) assert.equal(viaWarmcc.status, c.expectStatus);
    assert.equal(viaWarmcc.stdout, direct.stdout);
    assert.equal(viaWarmcc.stderr, direct.stderr);
    c.check?.(viaWarmcc.stdout);
    assert.equal(reasonCount(c.reason), before + 1, `counted under '${c.reason}'`);
  });
}

test('not cacheable: the linked program from warmcc works', () => {
  assert.equal(sandbox.run(['gcc', 'a.c', 'b.c', 'main.c', '-o', 'prog2'], { cwd: dir }).status, 0);
  assert.equal(spawnSync(path.join(dir, 'prog2')).status, 0);
});

test('not cacheable: an unknown compiler runs directly and is counted', () => {
  const fake = path.join(sandbox.dir, 'fakecc');
  fs.writeFileSync(fake, '#!/bin/sh\necho "fake compiler ran: $*"\nexit 3\n', { mode: 0o755 });
  const before = reasonCount('unknown compiler');
  const result = sandbox.run([fake, '-c', 'a.c'], { cwd: dir });
  assert.equal(result.status, 3);
  assert.equal(result.stdout, 'fake compiler ran: -c a.c\n');
  assert.equal(reasonCount('unknown compiler'), before + 1);
});

test('the stats text lists non-cacheable reasons with counts', () => {
  const text = sandbox.run(['-s']).stdout;
  assert.match(text, /Non-cacheable reasons:/);
  assert.match(text, /no -c \(linking or other\)\s+\d+/);
});

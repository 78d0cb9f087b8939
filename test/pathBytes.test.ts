// Every byte of a path (issue 12): file names, directories and environment values that are not
// UTF-8 build exactly as with plain gcc. The server keeps strings as UTF-8 and Node can only hand
// UTF-8 to a compiler, so such a call is not cached: the client runs it with its own bytes, and
// the reason is counted. Names that are UTF-8, with spaces, newlines or accents, and a
// 10,000-argument response file, are cached as usual. The bytes are made by the shell's printf:
// Node itself cannot put them in an argument.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSandbox, nodeClientBin, warmccBin, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const skip = which('gcc') ? false : 'gcc not installed';
let sandbox: WarmccSandbox;
let dir: string;

/** `name` as bytes: \xNN escapes become those bytes (latin1), the rest is UTF-8 */
const bytes = (name: string): Buffer =>
  Buffer.concat(name.split(/(\\x[0-9a-f]{2})/).map((part) => (/^\\x/.test(part) ? Buffer.from([parseInt(part.slice(2), 16)]) : Buffer.from(part))));

/** Runs a shell script in `cwd` with the sandbox's environment plus W (the client) and GCC. */
function shell(script: string, cwd = dir, client = warmccBin): { status: number | null; stderr: string } {
  const result = spawnSync('sh', ['-c', script], { cwd, env: { ...sandbox.env, W: client }, encoding: 'utf8' });
  return { status: result.status, stderr: result.stderr };
}

const notCacheable = (reason: string): number => sandbox.stats().notCacheable[reason] ?? 0;

before(() => {
  sandbox = createSandbox('bytes');
  dir = path.join(sandbox.dir, 'p');
  writeFiles(dir, { 'a.c': 'int a(void) { return 7; }\n' });
  // two sources whose names differ only where the first is not UTF-8: decoded lossily, the
  // first would name the second (U+FFFD)
  fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), bytes('caf\\xe9.c')]), 'int f(void) { return 666; }\n');
  fs.writeFileSync(path.join(dir, 'caf\uFFFD.c'), 'int f(void) { return 42; }\n');
  fs.mkdirSync(Buffer.concat([Buffer.from(`${dir}/`), bytes('inc\\xe9')]));
  fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), bytes('inc\\xe9'), Buffer.from('/h.h')]), '#define H 5\n');
  fs.writeFileSync(path.join(dir, 'uses-h.c'), '#include "h.h"\nint h(void) { return H; }\n');
  fs.mkdirSync(Buffer.concat([Buffer.from(`${dir}/`), bytes('d\\xe9p')]));
  fs.writeFileSync(Buffer.concat([Buffer.from(`${dir}/`), bytes('d\\xe9p'), Buffer.from('/a.c')]), 'int a(void) { return 7; }\n');
});
after(() => sandbox?.cleanup());

test('a source named caf\\xe9.c is compiled from its own bytes (not from caf\\uFFFD.c), uncached and counted', { skip }, () => {
  const before = notCacheable('non-UTF-8 argument');
  const built = shell(`"$W" gcc -c "$(printf 'caf\\351.c')" -o via-warmcc.o && gcc -c "$(printf 'caf\\351.c')" -o plain.o && gcc -c 'caf\uFFFD.c' -o other.o`);
  assert.equal(built.status, 0, built.stderr);
  const object = fs.readFileSync(path.join(dir, 'via-warmcc.o'));
  assert.deepEqual(object, fs.readFileSync(path.join(dir, 'plain.o')), 'the object plain gcc makes of caf\\xe9.c');
  assert.notDeepEqual(object, fs.readFileSync(path.join(dir, 'other.o')), 'not the object of caf\\uFFFD.c');
  assert.equal(notCacheable('non-UTF-8 argument'), before + 1);
});

test('-I and -o with bytes that are not UTF-8 work as with plain gcc', { skip }, () => {
  const built = shell(`"$W" gcc -I"$(printf 'inc\\351')" -c uses-h.c -o "$(printf 'o\\351.o')" && gcc -I"$(printf 'inc\\351')" -c uses-h.c -o plain-h.o`);
  assert.equal(built.status, 0, built.stderr);
  const output = Buffer.concat([Buffer.from(`${dir}/`), bytes('o\\xe9.o')]);
  assert.deepEqual(fs.readFileSync(output), fs.readFileSync(path.join(dir, 'plain-h.o')));
});

test('a working directory that is not UTF-8, and an environment variable that is not, build correctly and are counted', { skip }, () => {
  const cwdBefore = notCacheable('non-UTF-8 working directory');
  const envBefore = notCacheable('non-UTF-8 environment variable');
  const built = shell(
    `cd "$(printf 'd\\351p')" && "$W" gcc -c a.c -o a-cwd.o && gcc -c a.c -o a-plain.o && cd .. && X="$(printf '\\351')" "$W" gcc -c a.c -o a-env.o`,
  );
  assert.equal(built.status, 0, built.stderr);
  const latin1Dir = Buffer.concat([Buffer.from(`${dir}/`), bytes('d\\xe9p')]).toString('latin1');
  const read = (file: string): Buffer => fs.readFileSync(Buffer.from(`${latin1Dir}/${file}`, 'latin1'));
  assert.deepEqual(read('a-cwd.o'), read('a-plain.o'));
  assert.ok(fs.existsSync(path.join(dir, 'a-env.o')));
  assert.equal(notCacheable('non-UTF-8 working directory'), cwdBefore + 1);
  assert.equal(notCacheable('non-UTF-8 environment variable'), envBefore + 1);
});

test('the Node client runs such a call with its exact bytes too', { skip }, () => {
  const built = shell(`"$W" gcc -c "$(printf 'caf\\351.c')" -o via-node.o`, dir, nodeClientBin);
  assert.equal(built.status, 0, built.stderr);
  assert.deepEqual(fs.readFileSync(path.join(dir, 'via-node.o')), fs.readFileSync(path.join(dir, 'plain.o')));
  const failing = shell(`printf 'int x = ;\\n' > "$(printf 'bad\\351.c')" && "$W" gcc -c "$(printf 'bad\\351.c')" -o bad.o`, dir, nodeClientBin);
  assert.notEqual(failing.status, 0, 'a failing compile still fails');
  assert.match(failing.stderr, /error/);
});

test('UTF-8 names with spaces, a newline and accents are cached like any other', { skip }, () => {
  const odd = path.join(dir, 'sp ace\nnew line é');
  writeFiles(odd, { 'ça va.c': 'int cava(void) { return 3; }\n' });
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(odd, 'ça va.c'), past, past);
  const hitsBefore = sandbox.stats().cacheHits;
  for (const output of ['first.o', 'second.o']) {
    const result = sandbox.run(['gcc', '-c', 'ça va.c', '-o', output], { cwd: odd });
    assert.equal(result.status, 0, result.stderr);
  }
  const plain = spawnSync('gcc', ['-c', 'ça va.c', '-o', 'plain.o'], { cwd: odd });
  assert.equal(plain.status, 0);
  assert.deepEqual(fs.readFileSync(path.join(odd, 'second.o')), fs.readFileSync(path.join(odd, 'plain.o')));
  assert.equal(sandbox.stats().cacheHits, hitsBefore + 1, 'the second compile was a hit');
});

test('a 10,000-argument response file is read, keyed and cached', { skip }, () => {
  const many = path.join(dir, 'many');
  // short ones: gcc hands every option to cc1 in one environment variable of at most 128 KiB
  const defines = Array.from({ length: 10_000 }, (_, i) => `-DV${i}`);
  writeFiles(many, { 'args.rsp': `${defines.join('\n')}\n`, 'm.c': 'int m(void) { return V9999 + V0; }\n' });
  const past = new Date(Date.now() - 60_000);
  fs.utimesSync(path.join(many, 'm.c'), past, past);
  const hitsBefore = sandbox.stats().cacheHits;
  for (const output of ['m1.o', 'm2.o']) {
    const result = sandbox.run(['gcc', '@args.rsp', '-c', 'm.c', '-o', output], { cwd: many });
    assert.equal(result.status, 0, result.stderr);
  }
  const plain = spawnSync('gcc', ['@args.rsp', '-c', 'm.c', '-o', 'plain.o'], { cwd: many });
  assert.equal(plain.status, 0);
  assert.deepEqual(fs.readFileSync(path.join(many, 'm2.o')), fs.readFileSync(path.join(many, 'plain.o')));
  assert.equal(sandbox.stats().cacheHits, hitsBefore + 1, 'the second compile was a hit');
});

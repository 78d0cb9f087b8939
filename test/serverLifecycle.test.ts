// The server's life: idle timeout (never while a compile runs), colours for a terminal client,
// a replaced compiler binary at the same path.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSandbox, poll, warmccBin, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('idle timeout', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('idle', { WARMCC_IDLE_TIMEOUT: '1' });
    writeFiles(sandbox.dir, { 'i.c': 'int i(void) { return 1; }\n' });
  });
  after(() => sandbox.cleanup());

  test('the server exits after WARMCC_IDLE_TIMEOUT seconds without requests', async () => {
    assert.equal(sandbox.run(['gcc', '-c', 'i.c', '-o', 'i.o']).status, 0);
    assert.ok(sandbox.serverPid(), 'auto-started');
    await sleep(7000); // timeout 1 s, checked every second or so
    assert.equal(sandbox.serverPid(), undefined, 'gone after idling');
    assert.equal(fs.existsSync(sandbox.socketPath), false, 'and removed its socket');
  });

  test('but never while a compile is running', async () => {
    // a gcc-compatible "compiler" whose compile step takes 4 s (identification and -E use gcc)
    assert.equal(sandbox.run(['-z']).status, 0); // stats persist across servers: count from here
    const slowcc = path.join(sandbox.dir, 'slowcc');
    fs.writeFileSync(slowcc, '#!/bin/sh\ncase " $* " in *" -E "*|*-print-prog-name*) exec gcc "$@";; esac\nsleep 4\nexec gcc "$@"\n', { mode: 0o755 });
    const client = spawn(warmccBin, [slowcc, '-c', 'i.c', '-o', 'slow.o'], { cwd: sandbox.dir, env: sandbox.env, stdio: 'ignore' });
    const exit = new Promise<number | null>((resolve) => client.on('close', resolve));
    await sleep(3000);
    assert.ok(sandbox.serverPid(), 'still serving the long compile after 3 idle-timeouts');
    assert.equal(await exit, 0);
    assert.ok(fs.existsSync(path.join(sandbox.dir, 'slow.o')));
    assert.equal(sandbox.stats().cacheMisses, 1, 'the compile was served by that server');
  });
});

describe('colours', { skip: which('script') ? false : 'script(1) not installed' }, () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('colour');
    writeFiles(sandbox.dir, { 'w.c': 'int w(void) { int unused; return 0; }\n' });
  });
  after(() => sandbox.cleanup());

  for (const compiler of ['gcc', 'clang']) {
    test(`a terminal gets ${compiler}'s colours on a miss and on a hit; a pipe gets none from the same entry`, () => {
      const command = `${warmccBin} ${compiler} -Wall -c w.c -o w-${compiler}.o`;
      // script(1) gives the client a real terminal as stdout/stderr
      const onTty = () => spawnSync('script', ['-qfec', command, '/dev/null'], { cwd: sandbox.dir, env: { ...sandbox.env, TERM: 'xterm' }, encoding: 'utf8' });
      const miss = onTty();
      assert.equal(miss.status, 0);
      assert.match(miss.stdout, /\x1b\[[0-9;]*m.*unused/s, 'coloured warning on a miss');
      const hit = onTty();
      assert.match(hit.stdout, /\x1b\[[0-9;]*m.*unused/s, 'coloured warning on a hit');
      const piped = sandbox.run([compiler, '-Wall', '-c', 'w.c', '-o', `w-${compiler}.o`]);
      assert.match(piped.stderr, /unused/);
      assert.doesNotMatch(piped.stderr, /\x1b/, 'no escape codes to a pipe');
      assert.ok(sandbox.stats().hitsByLanguage.c >= 2);
    });
  }
});

describe('a compiler replaced at the same path', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('newcc');
    writeFiles(sandbox.dir, { 'r.c': 'int r(void) { return 5; }\n' });
    fs.mkdirSync(path.join(sandbox.dir, 'tools'));
    // a copied gcc driver cannot find cc1, so the "binary" is a script in front of the real one
    fs.writeFileSync(path.join(sandbox.dir, 'tools', 'gcc'), `#!/bin/sh\nexec ${which('gcc')} "$@"\n`, { mode: 0o755 });
  });
  after(() => sandbox.cleanup());

  test('is identified by content: its next compile misses', async () => {
    // given relative to the build's directory, as makefiles often do
    const compile = () => sandbox.run(['./tools/gcc', '-c', 'r.c', '-o', 'r.o']);
    assert.equal(compile().status, 0);
    // the server stores the result after replying: on a busy machine the next call can be faster
    await poll('the first result to be stored', 10_000, () => (sandbox.stats().cacheEntries >= 1 ? true : undefined));
    assert.equal(compile().status, 0);
    assert.equal(sandbox.stats().cacheHits, 1);
    // a different file at the same path (same behaviour, other bytes: warmcc can't know that)
    fs.appendFileSync(path.join(sandbox.dir, 'tools', 'gcc'), '# a different build\n');
    const misses = sandbox.stats().cacheMisses;
    assert.equal(compile().status, 0);
    assert.equal(sandbox.stats().cacheMisses, misses + 1);
  });
});

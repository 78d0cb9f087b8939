// The server's life: idle timeout (never while a compile runs), colours for a terminal client,
// a replaced compiler binary at the same path.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { holdsFor, waitFor } from './support/poll';
import { createSandbox, missingTools, warmccBin, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

/** the server's log so far ('' before it wrote one) */
const logOf = (sandbox: WarmccSandbox): string => (fs.existsSync(sandbox.logFile) ? fs.readFileSync(sandbox.logFile, 'utf8') : '');

describe('idle timeout', () => {
  let sandbox: WarmccSandbox;
  before(() => {
    sandbox = createSandbox('idle', { WARMCC_IDLE_TIMEOUT: '1' });
    writeFiles(sandbox.dir, { 'i.c': 'int i(void) { return 1; }\n' });
  });
  after(() => sandbox.cleanup());

  test('the server exits after WARMCC_IDLE_TIMEOUT seconds without requests', async () => {
    assert.equal(sandbox.run(['gcc', '-c', 'i.c', '-o', 'i.o']).status, 0);
    const pid = sandbox.serverPid();
    assert.ok(pid, 'auto-started');
    // timeout 1 s, checked every second: gone within a few seconds; the deadline is for a busy CI machine
    await waitFor(() => sandbox.serverPid() === undefined && !fs.existsSync(sandbox.socketPath), {
      timeoutMs: 30_000,
      what: `server ${pid} to exit and remove its socket after idling`,
      state: () => ({ serverPid: sandbox.serverPid(), socketExists: fs.existsSync(sandbox.socketPath), log: logOf(sandbox).trim().split('\n').slice(-3) }),
    });
    assert.match(logOf(sandbox), /stopping \(idle for 1s\)/, 'it stopped because it was idle');
  });

  test('but never while a compile is running', async () => {
    // a gcc-compatible "compiler" whose compile step announces itself (pid into a marker file) and
    // then holds until the test releases it (identification and -E go straight to gcc)
    assert.equal(sandbox.run(['-z']).status, 0); // stats persist across servers: count from here
    const marker = path.join(sandbox.dir, 'slowcc.compiling');
    const release = path.join(sandbox.dir, 'slowcc.release');
    const slowcc = path.join(sandbox.dir, 'slowcc');
    fs.writeFileSync(
      slowcc,
      `#!/bin/sh
case " $* " in *" -E "*|*-print-prog-name*) exec gcc "$@";; esac
echo $$ > '${marker}.tmp' && mv '${marker}.tmp' '${marker}'
i=0; while [ ! -e '${release}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
exec gcc "$@"
`,
      { mode: 0o755 },
    );
    const client = spawn(warmccBin, [slowcc, '-c', 'i.c', '-o', 'slow.o'], { cwd: sandbox.dir, env: sandbox.env, stdio: 'ignore' });
    const exit = new Promise<number | null>((resolve) => client.on('close', resolve));
    try {
      await waitFor(() => fs.existsSync(marker), {
        timeoutMs: 30_000,
        what: `the slow compile to start (${marker})`,
        state: () => ({ serverPid: sandbox.serverPid(), log: logOf(sandbox).trim().split('\n').slice(-3) }),
      });
      const pid = sandbox.serverPid();
      assert.ok(pid, 'a server runs the compile');
      // the scenario: the compile outlasts three idle timeouts (1 s each, checked every second);
      // the server must be there all along
      await holdsFor(() => sandbox.serverPid() === pid, {
        since: fs.statSync(marker).mtimeMs,
        durationMs: 3500,
        what: `server ${pid} serving the compile`,
        state: () => ({ serverPid: sandbox.serverPid(), log: logOf(sandbox).trim().split('\n').slice(-3) }),
      });
    } finally {
      fs.writeFileSync(release, '');
    }
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
    test(`a terminal gets ${compiler}'s colours on a miss and on a hit; a pipe gets none from the same entry`, { skip: missingTools(compiler) }, () => {
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
      assert.ok((sandbox.stats().hitsByLanguage.c ?? 0) >= 2);
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
    await waitFor(() => sandbox.stats().cacheEntries >= 1, { timeoutMs: 10_000, what: 'the first result to be stored' });
    assert.equal(compile().status, 0);
    assert.equal(sandbox.stats().cacheHits, 1);
    // a different file at the same path (same behaviour, other bytes: warmcc can't know that)
    fs.appendFileSync(path.join(sandbox.dir, 'tools', 'gcc'), '# a different build\n');
    const misses = sandbox.stats().cacheMisses;
    assert.equal(compile().status, 0);
    assert.equal(sandbox.stats().cacheMisses, misses + 1);
  });
});

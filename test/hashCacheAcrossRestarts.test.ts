// File hashes kept across server restarts (wrapper/direct/hashCacheFile.ts, ccache's inode cache):
// a restarted server serves direct hits without reading unchanged headers again; a header changed
// while it was down is read again; a damaged saved file is ignored. What the server reads is seen
// in its debug log ("hashed <file>").

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HASH_CACHE_FILE_NAME } from '../wrapper/direct/hashCacheFile';
import { waitFor } from './support/poll';
import { ageFiles, createSandbox, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const skip = which('gcc') ? false : 'gcc not installed';
let sandbox: WarmccSandbox;
let dir: string;
const HEADERS = ['a.h', 'b.h', 'c.h'];

before(() => {
  sandbox = createSandbox('hashkeep', { WARMCC_LOG_LEVEL: 'debug', WARMCC_HIT_SERVERS: '0' });
  dir = path.join(sandbox.dir, 'p');
  writeFiles(dir, {
    'main.c': '#include "a.h"\n#include "b.h"\n#include "c.h"\nint main(void) { return A + B + C; }\n',
    'a.h': '#define A 1\n',
    'b.h': '#define B 2\n',
    'c.h': '#define C 3\n',
  });
  ageFiles(['main.c', ...HEADERS].map((file) => path.join(dir, file)));
});
after(() => sandbox?.cleanup());

const log = (): string => (fs.existsSync(sandbox.logFile) ? fs.readFileSync(sandbox.logFile, 'utf8') : '');

/** Compiles main.c; returns whether it was a direct hit and which files the server hashed meanwhile. */
function compile(): { direct: boolean; hashed: string[] } {
  const from = log().length;
  const before = sandbox.stats().directHits;
  const result = sandbox.run(['gcc', '-c', 'main.c', '-o', 'main.o'], { cwd: dir });
  assert.equal(result.status, 0, result.stderr);
  const hashed = [
    ...log()
      .slice(from)
      .matchAll(/hashed (\S+)/g),
  ].map((match) => path.basename(match[1]!));
  return { direct: sandbox.stats().directHits === before + 1, hashed };
}

async function restart(): Promise<void> {
  const pid = sandbox.serverPid();
  assert.equal(sandbox.run(['--stop-server']).status, 0);
  await waitFor(() => sandbox.serverPid() !== pid || undefined, { timeoutMs: 10_000, what: 'the server to stop' });
}

test('a restarted server serves a direct hit without reading the unchanged headers again', { skip }, async () => {
  const from = log().length;
  const first = compile();
  assert.equal(first.direct, false, 'first compile: a miss');
  // the miss's manifest (after the reply) reads the headers
  await waitFor(
    () =>
      HEADERS.every((header) =>
        log()
          .slice(from)
          .includes(`hashed ${path.join(dir, header)}`),
      ) || undefined,
    {
      timeoutMs: 10_000,
      what: 'the headers hashed for the manifest',
      state: () => log().slice(from),
    },
  );
  await waitFor(() => compile().direct || undefined, { timeoutMs: 10_000, what: 'a direct hit (the manifest stored)' });
  await restart();
  assert.ok(fs.existsSync(path.join(sandbox.cacheDir, HASH_CACHE_FILE_NAME)), 'saved at shutdown');
  const afterRestart = compile();
  assert.equal(afterRestart.direct, true, 'a direct hit after the restart');
  assert.deepEqual(afterRestart.hashed, [], 'nothing read again');
});

test('without the saved file, the restarted server reads them (the observation is real)', { skip }, async () => {
  await restart();
  fs.rmSync(path.join(sandbox.cacheDir, HASH_CACHE_FILE_NAME));
  const afterRestart = compile();
  assert.equal(afterRestart.direct, true);
  assert.ok(
    HEADERS.every((header) => afterRestart.hashed.includes(header)),
    `hashed again: ${afterRestart.hashed.join(', ')}`,
  );
});

test('a header changed while the server was down is read again, and the object follows it', { skip }, async () => {
  await restart();
  fs.writeFileSync(path.join(dir, 'b.h'), '#define B 20\n');
  ageFiles([path.join(dir, 'b.h')]);
  const afterRestart = compile();
  assert.equal(afterRestart.direct, false, 'b.h changed: not a direct hit');
  assert.ok(afterRestart.hashed.includes('b.h'), `b.h hashed again: ${afterRestart.hashed.join(', ')}`);
  assert.ok(!afterRestart.hashed.includes('a.h'), 'a.h not');
});

test('a damaged saved file is ignored and said so; builds stay right', { skip }, async () => {
  await restart();
  fs.writeFileSync(path.join(sandbox.cacheDir, HASH_CACHE_FILE_NAME), '{"format": "warmcc-file-hashes-1", "entries": [["/etc/passwd", 1, 2, 3');
  const from = log().length;
  const result = compile();
  assert.match(log().slice(from), /file hash cache ignored: .*file-hashes\.json/);
  assert.ok(result.direct, 'the hashes are read again; the manifest still matches');
});

// The management commands, sccache's spelling: start/stop, stats (text and JSON), zero,
// clear, config, version, help; stats survive a server restart until -z.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createSandbox, writeFiles, type WarmccSandbox } from './support/warmccEnv';

let sandbox: WarmccSandbox;

before(() => {
  sandbox = createSandbox('cli');
  writeFiles(sandbox.dir, { 'x.c': 'int x(void) { return 7; }\n' });
});
after(() => sandbox.cleanup());

test('--version and --help', () => {
  const version = sandbox.run(['--version']);
  assert.equal(version.status, 0);
  assert.match(version.stdout, /^warmcc \d+\.\d+\.\d+/);
  const help = sandbox.run(['--help']);
  assert.equal(help.status, 0);
  for (const option of ['--start-server', '--stop-server', '--show-stats', '--zero-stats', '--clear', '--show-config']) {
    assert.ok(help.stdout.includes(option), `help mentions ${option}`);
  }
});

test('an unknown option is a usage error, not a compile', () => {
  const result = sandbox.run(['--frobnicate']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /unknown option '--frobnicate'/);
});

test('--start-server starts one server; --stop-server stops it', () => {
  const started = sandbox.run(['--start-server']);
  assert.equal(started.status, 0, started.stderr);
  const pid = sandbox.serverPid();
  assert.ok(pid, 'a server process runs for this socket');
  assert.ok(fs.existsSync(sandbox.socketPath));
  const again = sandbox.run(['--start-server']);
  assert.equal(again.status, 0);
  assert.equal(sandbox.serverPid(), pid, 'still the same single server');
  const stopped = sandbox.run(['--stop-server']);
  assert.equal(stopped.status, 0);
  assert.match(stopped.stdout, /stopped/);
  assert.equal(sandbox.serverPid(), undefined);
  assert.match(sandbox.run(['--stop-server']).stdout, /no server is running/);
});

test('-s in text and JSON, -z zeroes, stats survive a restart', () => {
  sandbox.run(['gcc', '-c', 'x.c', '-o', 'x.o']);
  sandbox.run(['gcc', '-c', 'x.c', '-o', 'x.o']);
  const json = sandbox.stats();
  assert.equal(json.compileRequests, 2);
  assert.equal(json.cacheHits, 1);
  assert.equal(json.cacheMisses, 1);
  assert.equal(json.hitRate, 0.5);
  assert.ok(json.cacheEntries >= 1 && json.cacheBytes > 0);

  const text = sandbox.run(['--show-stats']).stdout;
  assert.match(text, /^Compile requests\s+2$/m);
  assert.match(text, /^Cache hits\s+1$/m);
  assert.match(text, /^Cache hit rate\s+50\.00 %$/m);

  sandbox.stop();
  const afterRestart = sandbox.stats();
  assert.equal(afterRestart.cacheHits, 1, 'persisted across the restart');
  assert.notEqual(afterRestart.serverPid, json.serverPid);

  assert.equal(sandbox.run(['-z']).status, 0);
  const zeroed = sandbox.stats();
  assert.equal(zeroed.compileRequests, 0);
  assert.equal(zeroed.cacheHits, 0);
});

test('--stats-format rejects anything but text or json', () => {
  const result = sandbox.run(['-s', '--stats-format', 'xml']);
  assert.equal(result.status, 2);
  assert.match(result.stderr, /text or json/);
});

test('-C empties the local cache: the next compile misses', () => {
  sandbox.run(['gcc', '-c', 'x.c', '-o', 'x.o']);
  const cleared = sandbox.run(['-C']);
  assert.equal(cleared.status, 0);
  assert.match(cleared.stdout, /cleared [1-9]\d* entries/);
  assert.equal(sandbox.stats().cacheEntries, 0);
  const misses = sandbox.stats().cacheMisses;
  sandbox.run(['gcc', '-c', 'x.c', '-o', 'x.o']);
  assert.equal(sandbox.stats().cacheMisses, misses + 1);
});

test('--show-config shows the effective settings from the environment', () => {
  const result = sandbox.run(['--show-config', '--stats-format', 'json'], { env: { WARMCC_CACHE_SIZE: '500M' } });
  assert.equal(result.status, 0, result.stderr);
  const config = JSON.parse(result.stdout);
  assert.equal(config.cacheDir, sandbox.cacheDir);
  assert.equal(config.socketPath, sandbox.socketPath);
  assert.equal(config.cacheSizeLimit, 500 * 1024 * 1024);
  // the codec new entries get here (the build copied the LZ4 binary), not the raw setting object
  assert.equal(config.compression, 'lz4');
  const deflate = JSON.parse(sandbox.run(['--show-config', '--stats-format', 'json'], { env: { WARMCC_COMPRESSION: 'deflate', WARMCC_COMPRESSION_LEVEL: '6' } }).stdout);
  assert.equal(deflate.compression, 'deflate level 6');
  const text = sandbox.run(['--show-config']).stdout;
  assert.ok(text.includes(path.basename(sandbox.socketPath)));
  assert.match(text, /^compression +lz4$/m);
  assert.doesNotMatch(text, /\[object Object\]/);
});

test('a bad setting is reported with its name', () => {
  const result = sandbox.run(['--show-config'], { env: { WARMCC_CACHE_SIZE: 'lots' } });
  assert.equal(result.status, 1);
  assert.match(result.stderr, /WARMCC_CACHE_SIZE: cannot read size 'lots'/);
});

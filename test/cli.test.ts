// The management commands, sccache's spelling: start/stop, stats (text and JSON), zero,
// clear, config, version, help; stats survive a server restart until -z.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ExplainResult } from '../wrapper/contract/rpc';
import type { StatsSnapshot } from '../wrapper/contract/stats';
import { createSandbox, nodeClientBin, warmccBin, writeFiles, type WarmccSandbox } from './support/warmccEnv';

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
  assert.equal(sandbox.run(['-V']).stdout, version.stdout);
  const help = sandbox.run(['--help']);
  assert.equal(help.status, 0);
  for (const option of [
    '--start-server',
    '--stop-server',
    '--show-stats',
    '--zero-stats',
    '--clear',
    '--show-config',
    '--socket-path',
    '--explain',
    '--stats-format',
  ]) {
    assert.ok(help.stdout.includes(option), `help mentions ${option}`);
  }
  assert.equal(sandbox.run(['-h']).stdout, help.stdout);
  assert.equal(sandbox.run([]).stdout, help.stdout, 'no option: the help');
});

test('--help, --version and --socket-path work even with a broken setting', () => {
  const broken = { WARMCC_CACHE_SIZE: 'lots' };
  assert.equal(sandbox.run(['--help'], { env: broken }).status, 0);
  assert.equal(sandbox.run(['--version'], { env: broken }).status, 0);
  const socket = sandbox.run(['--socket-path'], { env: broken, client: nodeClientBin });
  assert.equal(socket.status, 0, socket.stderr);
  assert.equal(socket.stdout, `${sandbox.socketPath}\n`);
});

test('--socket-path prints the socket, the same from both clients, and creates nothing', () => {
  const socket = path.join(sandbox.dir, 'not-yet', 'here.sock');
  for (const client of [warmccBin, nodeClientBin]) {
    const result = sandbox.run(['--socket-path'], { env: { WARMCC_SOCKET: socket }, client });
    assert.equal(result.status, 0, `${path.basename(client)}: ${result.stderr}`);
    assert.equal(result.stdout, `${socket}\n`, path.basename(client));
  }
  assert.equal(fs.existsSync(path.dirname(socket)), false);
});

// each usage mistake: exit code 2 and warmcc's words (not parseArgs's), through both clients
const usageErrors: { args: string[]; message: RegExp }[] = [
  { args: ['--frobnicate'], message: /^warmcc: unknown option '--frobnicate' \(warmcc --help lists the options\)$/ },
  { args: ['-x'], message: /^warmcc: unknown option '-x'/ },
  { args: ['-sx'], message: /^warmcc: unknown option '-sx'/ },
  { args: ['--show-config=yes'], message: /^warmcc: unknown option '--show-config=yes'/ },
  { args: ['--'], message: /^warmcc: unknown option '--'/ },
  { args: ['-s', '-z'], message: /^warmcc: unexpected argument '-z' after -s$/ },
  { args: ['-sz'], message: /^warmcc: unexpected argument '-z' after -s$/ },
  { args: ['--show-config', 'extra'], message: /^warmcc: unexpected argument 'extra' after --show-config$/ },
  { args: ['--socket-path', 'extra'], message: /^warmcc: unexpected argument 'extra' after --socket-path$/ },
  { args: ['--socket-path', '-s'], message: /^warmcc: unexpected argument '-s' after --socket-path$/ },
  { args: ['-s', '--stats-format'], message: /^warmcc: --stats-format takes text or json, not ''$/ },
  { args: ['--stats-format=xml', '-s'], message: /^warmcc: --stats-format takes text or json, not 'xml'$/ },
  { args: ['--explain'], message: /^warmcc: --explain takes a source file \(warmcc --explain src\/a\.c\)$/ },
  { args: ['--explain='], message: /^warmcc: --explain takes a source file/ },
  { args: ['--explain', '--stats-format', 'json'], message: /^warmcc: --explain takes a source file/ },
  { args: ['--explain', 'a.c', 'b.c'], message: /^warmcc: unexpected argument 'b\.c' after --explain a\.c$/ },
  { args: ['--explain=a.c', '-s'], message: /^warmcc: unexpected argument '-s' after --explain a\.c$/ },
];
for (const { args, message } of usageErrors) {
  test(`usage error: warmcc ${args.join(' ')}`, () => {
    for (const client of [warmccBin, nodeClientBin]) {
      const result = sandbox.run(args, { client });
      assert.equal(result.status, 2, `${path.basename(client)}: ${result.stderr}`);
      assert.match(result.stderr.trimEnd(), message, path.basename(client));
      assert.equal(result.stdout, '');
    }
  });
}

test('--explain FILE and --explain=FILE, --stats-format json and --stats-format=json', () => {
  const forms = [['--explain', 'x.c'], ['--explain=x.c'], ['--explain', 'x.c', '--stats-format', 'json'], ['--stats-format=json', '--explain=x.c']];
  const outputs = forms.map((args) => {
    const result = sandbox.run(args);
    assert.equal(result.status, 1, `${args.join(' ')}: never seen is status 1, not a usage error: ${result.stderr}`);
    return result.stdout;
  });
  assert.match(outputs[0]!, /^x\.c: no request of this file in the journal\.$/m);
  assert.equal(outputs[1], outputs[0]);
  assert.equal((JSON.parse(outputs[2]!) as ExplainResult).explanation.verdict, 'never seen');
  assert.equal(outputs[3], outputs[2]);
  assert.equal(sandbox.serverPid(), undefined, '--explain starts no server');
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

test('--stats-format=json and the long forms of -s and -z', () => {
  const inline = JSON.parse(sandbox.run(['--stats-format=json', '--show-stats']).stdout) as StatsSnapshot;
  assert.equal(typeof inline.compileRequests, 'number');
  assert.equal(sandbox.run(['--zero-stats']).status, 0);
  assert.equal((JSON.parse(sandbox.run(['-s', '--stats-format=json']).stdout) as StatsSnapshot).compileRequests, 0);
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
  const config = JSON.parse(result.stdout) as Record<string, unknown>;
  assert.equal(config.cacheDir, sandbox.cacheDir);
  assert.equal(config.socketPath, sandbox.socketPath);
  assert.equal(config.cacheSizeLimit, 500 * 1024 * 1024);
  // the codec new entries get here (the build copied the LZ4 binary), not the raw setting object
  assert.equal(config.compression, 'lz4');
  const deflate = JSON.parse(
    sandbox.run(['--show-config', '--stats-format', 'json'], { env: { WARMCC_COMPRESSION: 'deflate', WARMCC_COMPRESSION_LEVEL: '6' } }).stdout,
  ) as Record<string, unknown>;
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

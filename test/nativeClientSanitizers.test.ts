// The native client built with AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer,
// run through every way a compile goes against a real server: a miss that starts the server, a
// hit, a link (not cacheable), a failing compile, no server to be had (local fallback), a
// masquerade link named gcc, and the management commands. Every call must give the right result
// and no sanitizer may report anything. AddressSanitizer and LeakSanitizer write to files
// (log_path); UndefinedBehaviorSanitizer, combined with ASan, ignores log_path (gcc 12) and writes
// to stderr: the call's, or for the client's forked children that start the server, the server
// log they redirect it to. All three places are read.
//
// Leaks: LeakSanitizer runs at exit(), so it checks the paths where the client exits itself (a
// hit or miss served by the server, --start-server, --socket-path); where the client execs the
// compiler or node its image is replaced and there is nothing left to check.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { StatsSnapshot } from '../wrapper/contract/stats';
import { createSandbox, repoRoot, which, writeFiles, type WarmccSandbox } from './support/warmccEnv';

const SANITIZER_FLAGS = ['-fsanitize=address,undefined', '-fno-omit-frame-pointer', '-fno-sanitize-recover=all', '-g', '-O1'];

const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-sanprobe-'));
process.on('exit', () => fs.rmSync(probeDir, { recursive: true, force: true }));

/** Builds `source` with the sanitizers, runs it with reports to files, and returns the reports
 *  (files and stderr), or why the build failed. */
function probe(cc: string, name: string, source: string, sanitizerOptions: string): { report: string } | { failure: string } {
  const file = path.join(probeDir, `${name}.c`);
  const binary = path.join(probeDir, `${name}-${path.basename(cc)}`);
  const logs = path.join(probeDir, `${name}-${path.basename(cc)}-logs`);
  fs.writeFileSync(file, source);
  fs.mkdirSync(logs, { recursive: true });
  const build = spawnSync(cc, [...SANITIZER_FLAGS, '-o', binary, file], { encoding: 'utf8' });
  if (build.status !== 0) return { failure: (build.stderr || build.error?.message || 'failed').trim().split('\n')[0]! };
  const ran = spawnSync(binary, [], {
    env: { ...process.env, ASAN_OPTIONS: `${sanitizerOptions}:log_path=${logs}/asan`, UBSAN_OPTIONS: `log_path=${logs}/ubsan` },
    encoding: 'utf8',
  });
  return { report: [...fs.readdirSync(logs).map((entry) => fs.readFileSync(path.join(logs, entry), 'utf8')), ran.stderr].join('\n') };
}

/** A compiler that builds sanitized programs which do report (a use after free, a signed
 *  overflow), and
 *  whether leak checking works here; or the reason the whole file is skipped. */
function findSanitizerCompiler(): { cc: string; detectLeaks: boolean; leakNote: string } | { skip: string } {
  const tried: string[] = [];
  const candidates = [...new Set([process.env.CC, 'gcc', 'clang', 'cc'].filter((cc): cc is string => !!cc))];
  for (const cc of candidates) {
    if (!which(cc)) {
      tried.push(`${cc}: not installed`);
      continue;
    }
    // each sanitizer must really report (into its log_path file) before its silence means anything
    const useAfterFree = probe(
      cc,
      'use-after-free',
      '#include <stdlib.h>\nint main(void) { volatile char *p = malloc(8); free((void *)p); return p[0]; }\n',
      'detect_leaks=0',
    );
    if ('failure' in useAfterFree) {
      tried.push(`${cc}: ${useAfterFree.failure}`);
      continue;
    }
    const overflow = probe(
      cc,
      'signed-overflow',
      'int main(int argc, char **argv) { (void)argv; volatile int big = 2147483647; volatile int sum = big + argc; return sum & 0; }\n',
      'detect_leaks=0',
    );
    const unreported = [
      useAfterFree.report.includes('heap-use-after-free') ? '' : 'AddressSanitizer missed a use after free',
      'report' in overflow && overflow.report.includes('signed integer overflow') ? '' : 'UndefinedBehaviorSanitizer missed a signed overflow',
    ].filter(Boolean);
    if (unreported.length > 0) {
      tried.push(`${cc}: ${unreported.join(', ')}`);
      continue;
    }
    const leak = probe(cc, 'leak', '#include <stdlib.h>\nvoid *volatile kept;\nint main(void) { kept = malloc(33); kept = 0; return 0; }\n', 'detect_leaks=1');
    if ('report' in leak && leak.report.includes('detected memory leaks')) return { cc, detectLeaks: true, leakNote: '' };
    const why =
      'failure' in leak ? leak.failure : (leak.report.split('\n').find((line) => line.includes('LeakSanitizer')) ?? 'no report for a deliberate leak');
    return { cc, detectLeaks: false, leakNote: `LeakSanitizer does not work here (${why.trim()}); leak checking off` };
  }
  return { skip: `no C compiler here builds with ${SANITIZER_FLAGS.slice(0, 3).join(' ')} (${tried.join('; ')})` };
}

const sanitizer = findSanitizerCompiler();
const skip = 'skip' in sanitizer ? sanitizer.skip : false;

let sandbox: WarmccSandbox;
let client: string;
let masqGcc: string;
let reportDir: string;

before(() => {
  if ('skip' in sanitizer) return;
  reportDir = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-sanlogs-'));
  sandbox = createSandbox('sanitizers', {
    ASAN_OPTIONS: `detect_leaks=${sanitizer.detectLeaks ? 1 : 0}:log_path=${reportDir}/asan`,
    UBSAN_OPTIONS: `print_stacktrace=1:log_path=${reportDir}/ubsan`,
  });
  // the client finds the server as <its dir>/../dist/server.js
  const binDir = path.join(sandbox.dir, 'san', 'bin');
  fs.mkdirSync(path.join(binDir, 'masq'), { recursive: true });
  fs.symlinkSync(path.join(repoRoot, 'dist'), path.join(sandbox.dir, 'san', 'dist'));
  client = path.join(binDir, 'warmcc');
  const build = spawnSync(
    sanitizer.cc,
    [
      ...SANITIZER_FLAGS,
      '-Wall',
      '-Wextra',
      `-DWARMCC_DEFAULT_NODE=${JSON.stringify(process.execPath)}`,
      '-o',
      client,
      path.join(repoRoot, 'wrapper/client/warmcc.c'),
    ],
    { encoding: 'utf8' },
  );
  assert.equal(build.status, 0, `building the sanitized client with ${sanitizer.cc}: ${build.stderr}`);
  masqGcc = path.join(binDir, 'masq', 'gcc');
  fs.symlinkSync('../warmcc', masqGcc);
  writeFiles(sandbox.dir, {
    'warns.c': 'int warns(void) { int unused; return 1; }\n',
    'main.c': '#include <stdio.h>\nint warns(void);\nint main(void) { printf("linked %d\\n", warns()); return 0; }\n',
    'broken.c': 'int broken(void) { return missing_symbol; }\n',
  });
});

after(() => {
  if ('skip' in sanitizer) return;
  sandbox.run(['--stop-server'], { client });
  sandbox.cleanup();
  fs.rmSync(reportDir, { recursive: true, force: true });
});

const SANITIZER_REPORT = /Sanitizer|runtime error:/;
let serverLogChecked = 0;

/** No new sanitizer report: no log_path file, nothing on the call's stderr or in what the server
 *  log gained (the forked children that start the server write there). A report fails the step
 *  that caused it and is then set aside, so later steps still speak for themselves. */
function assertNoSanitizerReport(result: SpawnSyncReturns<string>, what: string): void {
  const reports = fs.readdirSync(reportDir).map((entry) => {
    const file = path.join(reportDir, entry);
    const text = fs.readFileSync(file, 'utf8');
    fs.rmSync(file);
    return `${entry}:\n${text}`;
  });
  const serverLog = fs.existsSync(sandbox.logFile) ? fs.readFileSync(sandbox.logFile, 'utf8') : '';
  const serverLogAdded = serverLog.slice(serverLogChecked);
  serverLogChecked = serverLog.length;
  assert.deepEqual(reports, [], `sanitizer reports after ${what}`);
  assert.doesNotMatch(result.stderr, SANITIZER_REPORT, `sanitizer output on stderr of ${what}`);
  assert.doesNotMatch(serverLogAdded, SANITIZER_REPORT, `sanitizer output in the server log after ${what}`);
}

function run(args: string[], what: string, options: { env?: Record<string, string | undefined>; via?: string } = {}): SpawnSyncReturns<string> {
  const result = sandbox.run(args, { client: options.via ?? client, ...(options.env ? { env: options.env } : {}) });
  assert.equal(result.error, undefined, `${what}: ${result.error?.message}`);
  assertNoSanitizerReport(result, what);
  return result;
}

function stats(): StatsSnapshot {
  const result = run(['-s', '--stats-format', 'json'], 'warmcc -s (handed to the Node CLI)');
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as StatsSnapshot;
}

test('a miss starts the server and relays the compiler warning', { skip }, (t) => {
  if ('leakNote' in sanitizer && sanitizer.leakNote) t.diagnostic(sanitizer.leakNote);
  const result = run(['gcc', '-Wall', '-c', 'warns.c', '-o', 'warns.o'], 'a miss');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /unused variable/);
  assert.ok(fs.existsSync(path.join(sandbox.dir, 'warns.o')));
  assert.ok(sandbox.serverPid(), 'the sanitized client started a server');
  const counts = stats();
  assert.equal(counts.compileRequests, 1);
  assert.equal(counts.cacheMisses, 1);
});

test('a hit restores the object and replays the warning', { skip }, () => {
  fs.rmSync(path.join(sandbox.dir, 'warns.o'));
  const result = run(['gcc', '-Wall', '-c', 'warns.c', '-o', 'warns.o'], 'a hit');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /unused variable/);
  assert.ok(fs.existsSync(path.join(sandbox.dir, 'warns.o')));
  assert.equal(stats().cacheHits, 1);
});

test('a link is run by the client itself and the program works', { skip }, () => {
  assert.equal(run(['gcc', '-c', 'main.c', '-o', 'main.o'], 'compiling main.c').status, 0);
  const before = stats().notCacheable['no -c (linking or other)'] ?? 0;
  const link = run(['gcc', 'main.o', 'warns.o', '-o', 'prog'], 'a link');
  assert.equal(link.status, 0, link.stderr);
  assert.equal(spawnSync(path.join(sandbox.dir, 'prog'), { encoding: 'utf8' }).stdout, 'linked 1\n');
  assert.equal(stats().notCacheable['no -c (linking or other)'], before + 1);
});

test("a failing compile keeps the compiler's status and message", { skip }, () => {
  for (const attempt of ['first', 'second']) {
    const result = run(['gcc', '-c', 'broken.c', '-o', 'broken.o'], `a failing compile (${attempt})`);
    assert.equal(result.status, 1, `${attempt}: ${result.stderr}`);
    assert.match(result.stderr, /missing_symbol/);
    assert.equal(fs.existsSync(path.join(sandbox.dir, 'broken.o')), false);
  }
});

test('no server to be had: the client compiles by itself', { skip }, () => {
  // a socket whose server cannot start (no node): waits WARMCC_START_TIMEOUT, then compiles;
  // the next call sees <socket>.failed and compiles at once
  const noServer = { WARMCC_SOCKET: path.join(sandbox.dir, 'dead', 's.sock'), WARMCC_NODE: '/nonexistent/node', WARMCC_START_TIMEOUT: '300' };
  for (const attempt of ['waits, then falls back', 'falls back at once']) {
    fs.rmSync(path.join(sandbox.dir, 'warns.o'), { force: true });
    const result = run(['gcc', '-c', 'warns.c', '-o', 'warns.o'], `no server (${attempt})`, { env: noServer });
    assert.equal(result.status, 0, `${attempt}: ${result.stderr}`);
    assert.ok(fs.existsSync(path.join(sandbox.dir, 'warns.o')), attempt);
  }
  assert.ok(fs.existsSync(path.join(sandbox.dir, 'dead', 's.sock.failed')), 'the failed start is remembered');
  // a socket directory that cannot exist (its parent is a file): compiles at once
  fs.writeFileSync(path.join(sandbox.dir, 'plain-file'), '');
  const unreachable = run(['gcc', '-c', 'warns.c', '-o', 'warns.o'], 'an unreachable socket', {
    env: { WARMCC_SOCKET: path.join(sandbox.dir, 'plain-file', 's.sock') },
  });
  assert.equal(unreachable.status, 0, unreachable.stderr);
  const refused = run(['--start-server'], '--start-server without node', { env: noServer });
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /could not start the server/);
});

test('masquerade: a link named gcc compiles through the cache', { skip }, () => {
  const hits = stats().cacheHits;
  fs.rmSync(path.join(sandbox.dir, 'warns.o'), { force: true });
  const result = run(['-Wall', '-c', 'warns.c', '-o', 'warns.o'], 'a masquerade compile', { via: masqGcc });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stderr, /unused variable/);
  assert.ok(fs.existsSync(path.join(sandbox.dir, 'warns.o')));
  assert.equal(stats().cacheHits, hits + 1);
});

test('management commands: native ones answered, the rest handed to the Node CLI', { skip }, () => {
  const version = run(['--version'], '--version');
  assert.equal(version.status, 0, version.stderr);
  assert.match(version.stdout, /^warmcc \d+\.\d+\.\d+/);
  const socket = run(['--socket-path'], '--socket-path');
  assert.equal(socket.stdout, `${sandbox.socketPath}\n`);
  const tooLong = run(['--socket-path'], '--socket-path with a path too long', { env: { WARMCC_SOCKET: `/${'x'.repeat(120)}` } });
  assert.equal(tooLong.status, 1);
  assert.match(tooLong.stderr, /too long for a Unix socket/);
  const relative = run(['--socket-path'], '--socket-path with a relative WARMCC_SOCKET', { env: { WARMCC_SOCKET: 'rel/s.sock' } });
  assert.equal(relative.stdout, `${fs.realpathSync(sandbox.dir)}/rel/s.sock\n`);
  const started = run(['--start-server'], '--start-server with a server running');
  assert.equal(started.status, 0, started.stderr);
  assert.match(started.stdout, /already running/);
  const unknown = run(['--frobnicate'], 'an unknown option');
  assert.equal(unknown.status, 2);
  const stopped = run(['--stop-server'], '--stop-server');
  assert.equal(stopped.status, 0, stopped.stderr);
  assert.equal(sandbox.serverPid(), undefined);
  const restarted = run(['--start-server'], '--start-server (starting one)');
  assert.equal(restarted.status, 0, restarted.stderr);
  assert.match(restarted.stdout, /server started/);
});

// The test entry VS Code loads in the extension host (--extensionTestsPath): runs mocha (bdd:
// describe/it) over the bundled *.test.js files next to it, then one check of its own in a
// root-level after-all hook (which mocha runs after every test of every file): no promise
// rejection from the extension went unhandled in the extension host while the suite ran; its
// failure counts as a failed test. The window exits with run()'s outcome.
//
// Counts are reported twice for test/vscode/runExtensionTests.mjs: as JSON in the file named by
// WARMCC_EXTENSION_TEST_RESULTS (the host runs on this machine), and as one console line
// `warmcc-extension-tests: {...}` for a human reading the log.
//
// Environment: WARMCC_EXTENSION_TEST_GREP (mocha grep), WARMCC_EXTENSION_TEST_TIMEOUT (ms per test, default 60000).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import { macrotaskTurns } from '../support/poll';

export interface ExtensionTestResults {
  passed: number;
  failed: number;
  skipped: number;
  files: string[];
  failures: { title: string; error: string }[];
  durationMs: number;
}

/** Marks where the suite's own output starts: the launcher shows the workbench's log before it only on failure. */
export const START_MARKER = 'warmcc-extension-tests: start';

/**
 * Mocha's reporters print through Base.consoleLog with printf-style formats, which the workbench
 * forwards unformatted; format them here. (The host's console methods themselves cannot be
 * replaced: VS Code defines them with a setter that ignores assignments.)
 */
function formatReporterOutput(): () => void {
  const reporterLog = Mocha.reporters.Base.consoleLog;
  Mocha.reporters.Base.consoleLog = (...args: unknown[]) => console.log(format(...args));
  return () => {
    Mocha.reporters.Base.consoleLog = reporterLog;
  };
}

export async function run(): Promise<void> {
  const restoreReporterOutput = formatReporterOutput();
  console.log(START_MARKER);
  try {
    await runMocha();
  } finally {
    restoreReporterOutput();
  }
}

/** An error VS Code logs as its message alone: mocha has already reported the details. */
function quietError(message: string): Error {
  const error = new Error(message);
  error.stack = message;
  return error;
}

/**
 * Records unhandled promise rejections from the extension (its bundle, or a message naming
 * warmcc) from now on. Registered before any test file loads, so it sees the whole suite.
 */
function watchUnhandledRejections(): { unhandled: string[]; dispose(): void } {
  const unhandled: string[] = [];
  const listener = (reason: unknown): void => {
    const text = reason instanceof Error ? `${reason.message}\n${reason.stack ?? ''}` : String(reason);
    if (/dist[\\/]extension\.js|warmcc/i.test(text)) unhandled.push(text.split('\n').slice(0, 6).join('\n'));
  };
  process.on('unhandledRejection', listener);
  return { unhandled, dispose: () => process.off('unhandledRejection', listener) };
}

/** The suite's last check: a root-level after-all hook runs once every file's tests are done. */
function addHygieneCheck(mocha: Mocha, rejections: { unhandled: string[] }): void {
  mocha.suite.afterAll('extension host hygiene: no unhandled promise rejection came from the extension during the suite', async () => {
    // Node reports a rejection once the tick it happened in is over: let the loop turn
    await macrotaskTurns(2);
    if (rejections.unhandled.length) throw new Error(`unhandled rejections:\n${rejections.unhandled.join('\n---\n')}`);
    console.log('  extension host hygiene: no unhandled promise rejection came from the extension');
  });
}

function runMocha(): Promise<void> {
  const mocha = new Mocha({
    ui: 'bdd',
    reporter: 'spec',
    color: false,
    timeout: Number(process.env.WARMCC_EXTENSION_TEST_TIMEOUT || 60_000),
    ...(process.env.WARMCC_EXTENSION_TEST_GREP ? { grep: process.env.WARMCC_EXTENSION_TEST_GREP } : {}),
  });
  const files = fs
    .readdirSync(__dirname)
    .filter((name) => name.endsWith('.test.js'))
    .sort();
  for (const name of files) mocha.addFile(path.join(__dirname, name));
  // before mocha.run() loads the files: the listener sees everything they do
  const rejections = watchUnhandledRejections();
  addHygieneCheck(mocha, rejections);

  const results: ExtensionTestResults = { passed: 0, failed: 0, skipped: 0, files, failures: [], durationMs: 0 };
  const started = Date.now();
  const report = () => {
    results.durationMs = Date.now() - started;
    const { failures, ...counts } = results;
    console.log(`warmcc-extension-tests: ${JSON.stringify({ ...counts, failures: failures.length })}`);
    const resultsFile = process.env.WARMCC_EXTENSION_TEST_RESULTS;
    if (resultsFile) fs.writeFileSync(resultsFile, JSON.stringify(results, null, 2));
  };
  return new Promise((resolve, reject) => {
    let runner: Mocha.Runner;
    try {
      runner = mocha.run();
    } catch (error) {
      rejections.dispose();
      // a test file that throws while loading: counted as one failure
      console.error(`error loading the test files: ${(error as Error)?.stack ?? String(error)}`);
      results.failed++;
      results.failures.push({ title: 'loading the test files', error: String((error as Error)?.stack ?? error) });
      report();
      reject(quietError('could not load the test files'));
      return;
    }
    runner.on('pass', () => results.passed++);
    runner.on('pending', () => results.skipped++);
    runner.on('fail', (test, error: Error) => {
      results.failed++;
      results.failures.push({ title: test.fullTitle(), error: String(error?.stack ?? error) });
    });
    runner.on('end', () => {
      rejections.dispose();
      report();
      if (results.failed > 0) reject(quietError(`${results.failed} extension test(s) failed`));
      else if (results.passed === 0) reject(quietError('no extension test ran'));
      else resolve();
    });
  });
}

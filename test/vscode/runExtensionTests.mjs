// `npm run test:extension`: runs test/extension/*.test.ts in a real VS Code (code-server 4.100.3 +
// headless Chromium, see codeServer.ts) through @vscode/test-electron's standard runTests entry,
// with the repo as the development extension and a fresh copy of a tiny C project as the workspace.
// Ends with the line "N passed, N failed, N skipped"; exits non-zero on a failure or when no test ran.
//
//   node test/vscode/runExtensionTests.mjs [--grep PATTERN] [--no-build] [NAME.test.ts ...]
//
// Environment: WARMCC_VSCODE_TEST_TIMEOUT (seconds for the whole VS Code run, default 300).

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { runTests } from '@vscode/test-electron';
import { ensureCodeServer, repoRoot } from './installCodeServer.mjs';

const testSourceDir = path.join(repoRoot, 'test', 'extension');
const outDir = path.join(repoRoot, 'out', 'test', 'extension');
const launcher = path.join(repoRoot, 'test', 'vscode', 'code');
const fixture = path.join(repoRoot, 'test', 'vscode', 'fixtures', 'c-project');

/** Bundles index.ts and each *.test.ts (or the named ones) into out/test/extension/, CommonJS for the extension host. */
async function buildTestBundle(only) {
  let tests = fs
    .readdirSync(testSourceDir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort();
  if (only.length) {
    const wanted = new Set(only.map((name) => path.basename(name)));
    const unknown = [...wanted].filter((name) => !tests.includes(name));
    if (unknown.length) throw new Error(`no such test file in test/extension/: ${unknown.join(', ')}`);
    tests = tests.filter((name) => wanted.has(name));
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  await esbuild.build({
    absWorkingDir: repoRoot,
    entryPoints: ['index.ts', ...tests].map((name) => path.join('test', 'extension', name)),
    outdir: outDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    // the host provides `vscode`; mocha is bundled into index.js so the host never has to load
    // mocha 12's ES modules through require()
    external: ['vscode'],
    sourcemap: 'linked',
    logLevel: 'error',
  });
  return tests;
}

function buildExtension() {
  const result = spawnSync(process.execPath, [path.join(repoRoot, 'wrapper', 'build.mjs')], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) throw new Error(`wrapper/build.mjs failed (status ${result.status ?? result.signal})`);
}

function readResults(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

async function main() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { grep: { type: 'string' }, 'no-build': { type: 'boolean', default: false } },
  });
  const started = Date.now();
  ensureCodeServer();
  if (!values['no-build']) buildExtension();
  const tests = await buildTestBundle(positionals);
  if (tests.length === 0) {
    console.error('runExtensionTests: no test/extension/*.test.ts files');
    console.log('0 passed, 0 failed, 0 skipped');
    return 1;
  }

  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'wcc-exttest-'));
  const workspace = path.join(scratch, 'c-project');
  fs.cpSync(fixture, workspace, { recursive: true });
  const resultsFile = path.join(scratch, 'results.json');
  const runtimeDir = path.join(scratch, 'run');
  fs.mkdirSync(runtimeDir, { mode: 0o700 });
  let exitCode;
  try {
    exitCode = await runTests({
      vscodeExecutablePath: launcher,
      extensionDevelopmentPath: repoRoot,
      extensionTestsPath: path.join(outDir, 'index.js'),
      launchArgs: [workspace],
      extensionTestsEnv: {
        WARMCC_TEST_WORKSPACE: workspace,
        WARMCC_EXTENSION_TEST_RESULTS: resultsFile,
        ...(values.grep ? { WARMCC_EXTENSION_TEST_GREP: values.grep } : {}),
        // the extension's cache servers use the scratch directory, never the developer's cache or
        // sockets (the default socket directory is $XDG_RUNTIME_DIR/warmcc)
        WARMCC_DIR: path.join(scratch, 'cache'),
        XDG_RUNTIME_DIR: runtimeDir,
        // the launcher script runs on this Node
        WARMCC_TEST_NODE: process.execPath,
      },
    });
  } catch (error) {
    // runTests rejects with TestRunFailedError when the window's exit code is not 0
    exitCode = typeof error?.code === 'number' ? error.code : 1;
    if (typeof error?.code !== 'number') console.error(`runExtensionTests: ${error?.message ?? error}`);
  }
  const results = readResults(resultsFile);
  fs.rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });

  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  if (!results) {
    console.error(`runExtensionTests: the suite reported no results (exit code ${exitCode}, ${seconds} s): it did not start, crashed or timed out; see above`);
    console.log('0 passed, 0 failed, 0 skipped');
    return exitCode || 1;
  }
  // mocha printed the details above; a compact list where CI logs end
  for (const failure of results.failures) {
    const message = failure.error
      .split(/\n\s*at /)[0]
      .replace(/\s+/g, ' ')
      .trim();
    console.error(`FAILED: ${failure.title}: ${message.length > 300 ? `${message.slice(0, 300)}...` : message}`);
  }
  console.error(`runExtensionTests: ${tests.length} file(s) in ${seconds} s`);
  console.log(`${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped`);
  if (results.failed > 0 || results.passed === 0) return exitCode || 1;
  return exitCode;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`runExtensionTests: ${error?.message ?? error}`);
    console.log('0 passed, 0 failed, 0 skipped');
    process.exit(1);
  },
);

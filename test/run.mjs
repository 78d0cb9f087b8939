// `npm test`: runs every test/*.test.ts with node's test runner (TypeScript through tsx), then
// the extension's suite inside a real VS Code (test/vscode/runExtensionTests.mjs). Files run two
// at a time (2-core CI); each test isolates its own server, socket and cache. Ends with one line
// "N passed, N failed, N skipped" over both; refuses to pass on zero tests.
//   node test/run.mjs [test/x.test.ts ...]   only those node test files, no extension suite

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const runExtensionSuite = only.length === 0;
const files = (
  only.length
    ? only
    : fs
        .readdirSync(path.join(root, 'test'))
        .filter((f) => f.endsWith('.test.ts'))
        .map((f) => path.join('test', f))
).sort();
if (files.length === 0) {
  console.error('test/run.mjs: no test files found');
  process.exit(1);
}
for (const required of ['bin/warmcc', 'dist/server.js']) {
  if (!fs.existsSync(path.join(root, required))) {
    console.error(`test/run.mjs: ${required} is missing; run npm ci (or npm run build) first`);
    process.exit(1);
  }
}
const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
  encoding: 'utf8',
  maxBuffer: 256 * 1024 * 1024,
});
process.stdout.write(result.stdout);
const count = (name) => Number(new RegExp(`^ℹ ${name} (\\d+)$`, 'm').exec(result.stdout)?.[1] ?? 'NaN');
let passed = count('pass');
let failed = count('fail');
let skipped = count('skipped');
if (!Number.isFinite(passed) || passed + failed === 0) {
  console.error('test/run.mjs: the test runner reported no tests');
  process.exit(1);
}
let status = result.status ?? 1;
if (status !== 0 && failed === 0) {
  // a failing before()/after() hook or a file that did not load fails no single test
  console.error('test/run.mjs: the runner failed outside any test (a hook or a file that did not load); see above');
  failed = 1;
}
console.log(`node tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);

if (runExtensionSuite) {
  // sequential: it drives a whole VS Code and must not race the node suite for the 2 cores
  const extension = spawnSync(process.execPath, [path.join(root, 'test', 'vscode', 'runExtensionTests.mjs'), '--no-build'], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  process.stdout.write(extension.stdout);
  const summary = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(
    extension.stdout
      .split('\n')
      .filter((line) => / passed, /.test(line))
      .pop() ?? '',
  );
  if (!summary || Number(summary[1]) === 0) {
    console.error('test/run.mjs: the extension suite reported no tests');
    status = status || 1;
  } else {
    passed += Number(summary[1]);
    failed += Number(summary[2]);
    skipped += Number(summary[3]);
    console.log(`extension tests: ${summary[1]} passed, ${summary[2]} failed, ${summary[3]} skipped`);
  }
  if (extension.status !== 0) status = status || extension.status || 1;
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);

// `npm test`: runs every test/*.test.ts with node's test runner (TypeScript through tsx).
// Files run two at a time (2-core CI); each test isolates its own server, socket and cache.
// Node's runner ends with its "# pass N / # fail N" summary; we also refuse to pass on zero tests.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const only = process.argv.slice(2);
const files = (only.length ? only : fs.readdirSync(path.join(root, 'test')).filter((f) => f.endsWith('.test.ts')).map((f) => path.join('test', f))).sort();
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
const passed = count('pass');
const failed = count('fail');
const skipped = count('skipped');
if (!Number.isFinite(passed) || passed + failed === 0) {
  console.error('test/run.mjs: the test runner reported no tests');
  process.exit(1);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(result.status ?? 1);

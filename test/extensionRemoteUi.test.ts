// UI test of the `warmcc.remote` setting in a real VS Code workbench (code-server + headless
// Chromium, test/vscode/workbenchPage.ts) with a real redis-server started by the test: the
// setting reaches the window's server as WARMCC_REMOTE, a build writes to Redis, and the stats
// panel's "Storage tiers" table shows the tier (its password masked) with the server's numbers.
//
// Skipped, with the reason, where code-server cannot be installed or redis-server is missing;
// .ci/run installs both, so CI runs this.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTemporaryDir, removeTemporaryDir, repoRoot } from './vscode/codeServer';
import { ensureCodeServer } from './vscode/installCodeServer.mjs';
import { openWorkbench, waitForText, type Workbench } from './vscode/workbenchPage';
import { missingMessage, redisBinary, startRedis, type RunningServer } from './support/remoteServers';
import { waitFor } from './support/poll';
import { cleanEnv, STATS_JSON_ARGS, statsFrom } from './support/warmccEnv';

const warmccBin = path.join(repoRoot, 'bin', 'warmcc');
const fixture = path.join(repoRoot, 'test', 'vscode', 'fixtures', 'c-project');
const UI_TIMEOUT_MS = 60_000;
const PASSWORD = 'Ui-s3cret-pw';

function skipReason(): string | false {
  if (!redisBinary) return missingMessage('redis-server', 'redis-server');
  try {
    ensureCodeServer({ log: (line) => process.stderr.write(`${line}\n`) });
    return false;
  } catch (error) {
    return `code-server cannot be installed here, so there is no VS Code to drive: ${(error as Error).message.split('\n')[0]}`;
  }
}

const skip = skipReason();
if (skip) process.stderr.write(`extensionRemoteUi.test.ts: skipped: ${skip}\n`);

describe('warmcc.remote in a real VS Code workbench, with a real Redis', { skip, timeout: 10 * 60_000 }, () => {
  let redis: RunningServer;
  let workDir: string;
  let folder: string;
  let workbench: Workbench;
  let buildEnv: Record<string, string>;
  let remoteUrl: string;

  before(async () => {
    redis = await startRedis(['--requirepass', PASSWORD]);
    remoteUrl = redis.url.replace('redis://', `redis://:${PASSWORD}@`);
    workDir = makeTemporaryDir('wcc-uiremote-');
    folder = path.join(workDir, 'c-project');
    fs.cpSync(fixture, folder, { recursive: true });
    workbench = await openWorkbench({ folder, settings: { 'warmcc.remote': [remoteUrl], 'warmcc.mode': 'preprocessor' }, timeoutMs: 9 * 60_000 });
    await workbench.page.emulateMedia({ reducedMotion: 'reduce' });
  });

  after(async () => {
    if (buildEnv) spawnSync(warmccBin, ['--stop-server'], { env: buildEnv, timeout: 120_000 });
    await workbench?.close();
    if (workDir) removeTemporaryDir(workDir);
    await redis?.stop();
  });

  it('passes the setting to the server, and the panel shows the tier with the numbers the server reports', async () => {
    const servers = await waitFor(
      () => {
        const found = workbench.warmccServers();
        return found.length > 0 && found;
      },
      { timeoutMs: 2 * UI_TIMEOUT_MS, what: 'the extension to start its warmcc server' },
    );
    const server = servers[0]!;
    assert.equal(server.env.WARMCC_REMOTE, remoteUrl, 'the setting reaches the server as WARMCC_REMOTE');
    // preprocessor mode (warmcc.mode): one stored entry per object, no manifests beside them
    assert.equal(server.env.WARMCC_DIRECT, '0', 'warmcc.mode reaches the server as WARMCC_DIRECT=0');
    buildEnv = { ...cleanEnv(), ...workbench.warmccEnv, WARMCC_SOCKET: server.socket };

    const make = spawnSync('make', [`CC=${warmccBin} gcc`], { cwd: folder, env: buildEnv, encoding: 'utf8', timeout: 180_000 });
    assert.equal(make.status, 0, `make failed: ${make.stderr}`);
    const stats = () => statsFrom(spawnSync(warmccBin, STATS_JSON_ARGS, { env: buildEnv, encoding: 'utf8' }));
    // remote writes happen after the compiles answered
    const s = await waitFor(
      () => {
        const current = stats();
        return current.tiers[1]?.writes === 2 && current;
      },
      { timeoutMs: UI_TIMEOUT_MS, what: 'both results written to Redis', state: () => stats().tiers },
    );
    const remote = s.tiers[1]!;
    assert.equal(remote.name, `redis://***@127.0.0.1:${redis.port}/0`);

    await workbench.runCommand('warmcc: Show Stats');
    const panel = workbench.webviewFrame();
    const rows = panel.locator('[data-testid="tiers"] tbody tr');
    await waitForText(rows.first(), /^local disk\s+0\s+2\s+2\s+0\s+0/, { timeoutMs: UI_TIMEOUT_MS, what: 'the local disk row' });
    await waitForText(rows.nth(1), new RegExp(`^redis://\\*\\*\\*@127\\.0\\.0\\.1:${redis.port}/0\\s+0\\s+2\\s+2\\s+0\\s+0`), { what: 'the Redis row' });
    const html = await panel.locator('body').innerHTML();
    assert.ok(!html.includes(PASSWORD), 'no password in the panel');
    await rows.nth(1).scrollIntoViewIfNeeded();
    await workbench.screenshot('stats-panel-storage-tiers');
  });
});

// UI test of what a person sees: the real VS Code workbench (code-server 1.100 + headless Chromium,
// test/vscode/workbenchPage.ts) with warmcc loaded from the repo, on a copy of the fixture C project.
// A build through the window's own server shows in the status bar and in the stats panel (numbers
// equal to `warmcc -s --stats-format json`), Zero Stats resets both live, Clear Cache asks first
// and then empties the cache. Screenshots go to test-output/screenshots/.
//
// Skipped, with the reason, only where code-server cannot be installed (no chromium/ripgrep/headers:
// see test/vscode/installCodeServer.mjs); .ci/run installs all of it, so CI runs this.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { makeTemporaryDir, removeTemporaryDir, repoRoot } from './vscode/codeServer';
import { ensureCodeServer } from './vscode/installCodeServer.mjs';
import { openWorkbench, waitForText, type WarmccServerProcess, type Workbench } from './vscode/workbenchPage';
import type { StatsSnapshot } from '../wrapper/contract/stats';
import { waitFor } from './support/poll';
import { cleanEnv, settleTimestamps, STATS_JSON_ARGS, statsFrom } from './support/warmccEnv';

const warmccBin = path.join(repoRoot, 'bin', 'warmcc');
const fixture = path.join(repoRoot, 'test', 'vscode', 'fixtures', 'c-project');
// generous: under `npm test` two test files share two cores with builds of their own
const UI_TIMEOUT_MS = 60_000;

function codeServerUnavailable(): string | false {
  try {
    ensureCodeServer({ log: (line) => process.stderr.write(`${line}\n`) });
    return false;
  } catch (error) {
    return `code-server cannot be installed here, so there is no VS Code to drive: ${(error as Error).message.split('\n')[0]}`;
  }
}

const skipReason = codeServerUnavailable();
if (skipReason) process.stderr.write(`extensionUi.test.ts: skipped: ${skipReason}\n`);

/** what the panel is compared with: a subset of `warmcc -s --stats-format json` */
type Stats = Pick<
  StatsSnapshot,
  | 'cacheHits'
  | 'cacheMisses'
  | 'directHits'
  | 'preprocessedHits'
  | 'compileRequests'
  | 'hitRate'
  | 'cacheEntries'
  | 'serverPid'
  | 'recent'
  | 'directModeSkipped'
>;

/** extension/workspaceServer.ts windowSocketPath() (wrapper/contract/socketPath.ts) for a window on one folder, in this run's XDG_RUNTIME_DIR */
function expectedWorkspaceSocket(folder: string, runtimeDir: string): string {
  // vscode.Uri.file(folder).toString(): file:///abs/path, percent-encoded like a file URL
  const identity = pathToFileURL(folder).href;
  return path.join(runtimeDir, 'warmcc', `ws-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}.sock`);
}

/** the little of a DOM row the page evaluation reads (the tests' tsconfig has no DOM types) */
interface PanelRow {
  querySelector(selector: string): { getAttribute(name: string): string | null; textContent: string | null } | null;
}

describe('extension UI in a real VS Code workbench', { skip: skipReason, timeout: 10 * 60_000 }, () => {
  let workDir: string;
  let folder: string;
  let workbench: Workbench;
  let server: WarmccServerProcess;
  let buildEnv: Record<string, string>;

  // never without buildEnv: a build with this process's environment would start a server on the default socket
  const requireBuildEnv = () => {
    assert.ok(buildEnv, "the workspace server's socket is unknown (an earlier step failed)");
    return buildEnv;
  };
  const warmcc = (args: string[]) => spawnSync(warmccBin, args, { env: requireBuildEnv(), encoding: 'utf8', timeout: 120_000 });
  const stats = (): Stats => statsFrom(warmcc(STATS_JSON_ARGS));
  const make = (...args: string[]) => {
    const result = spawnSync('make', [`CC=${warmccBin} gcc`, ...args], { cwd: folder, env: requireBuildEnv(), encoding: 'utf8', timeout: 180_000 });
    assert.equal(result.status, 0, `make ${args.join(' ')} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
    return result;
  };
  const statusItem = () => workbench.page.locator('.statusbar-item', { hasText: /warmcc/ }).first();
  const panel = () => workbench.webviewFrame();
  const tile = (testId: string) => panel().locator(`[data-testid="${testId}"]`);

  before(async () => {
    workDir = makeTemporaryDir('wcc-uitest-');
    folder = path.join(workDir, 'c-project');
    fs.cpSync(fixture, folder, { recursive: true });
    workbench = await openWorkbench({ folder, timeoutMs: 9 * 60_000 });
    // screenshots show settled bars, not a width transition halfway (statsPanel.css honours reduced motion)
    await workbench.page.emulateMedia({ reducedMotion: 'reduce' });
  });

  after(async () => {
    await workbench?.close();
    const survivor = server && isAlive(server.pid) ? server.pid : undefined;
    // whatever still answers on the socket (a server a build started by itself) stops with the test
    if (buildEnv) warmcc(['--stop-server']);
    if (survivor !== undefined && isAlive(survivor)) process.kill(survivor, 'SIGKILL');
    if (workDir) removeTemporaryDir(workDir);
    assert.equal(survivor, undefined, `the window's warmcc server (pid ${survivor}) outlived the workbench`);
  });

  it('shows the status bar item once the workspace server is up', async () => {
    const text = await workbench.waitForStatusBarText('warmcc ready', { timeoutMs: 2 * UI_TIMEOUT_MS });
    assert.equal(text, 'warmcc ready');
  });

  it("runs one server for the workspace, on the workspace's socket in the run's XDG_RUNTIME_DIR", async () => {
    const servers = await waitFor(
      () => {
        const found = workbench.warmccServers();
        return found.length > 0 && found;
      },
      { timeoutMs: UI_TIMEOUT_MS, what: 'the extension to start its warmcc server' },
    );
    assert.equal(servers.length, 1, `servers of this window: ${JSON.stringify(servers.map(({ pid, socket }) => ({ pid, socket })))}`);
    server = servers[0]!;
    assert.equal(path.resolve(server.script), path.join(repoRoot, 'dist', 'server.js'));
    assert.equal(server.socket, expectedWorkspaceSocket(folder, workbench.warmccEnv.XDG_RUNTIME_DIR));
    assert.equal(server.env.WARMCC_DIR, workbench.warmccEnv.WARMCC_DIR);
    assert.ok(fs.statSync(server.socket).isSocket(), `${server.socket} is no socket`);
    buildEnv = { ...cleanEnv(), ...workbench.warmccEnv, WARMCC_SOCKET: server.socket };
  });

  it('counts a build through the workspace server: the status bar shows the hit rate', async () => {
    make();
    const cold = stats();
    assert.equal(cold.serverPid, server.pid, 'the build used the workspace server');
    assert.equal(cold.cacheMisses, 2, `first build: main.c and greet.c are misses (${JSON.stringify(cold)})`);
    assert.equal(cold.cacheHits, 0);
    make('clean');
    make();
    const warm = stats();
    assert.equal(warm.serverPid, server.pid);
    assert.equal(warm.cacheHits, 2, 'second build: both objects come from the cache');
    assert.equal(warm.cacheMisses, 2);
    const expected = `warmcc ${Math.round(warm.hitRate * 100)}% · ${warm.cacheHits} hits`;
    assert.equal(expected, 'warmcc 50% · 2 hits');
    const text = await workbench.waitForStatusBarText(expected, { timeoutMs: UI_TIMEOUT_MS });
    assert.equal(text, expected);
  });

  it('opens the stats panel from the status bar item, with the numbers the server reports', async () => {
    await statusItem().click();
    const s = stats();
    await waitForText(tile('hits'), String(s.cacheHits), { timeoutMs: UI_TIMEOUT_MS, what: 'the Hits tile' });
    await waitForText(tile('hits-sub'), `${s.directHits} direct, ${s.preprocessedHits} preprocessed`, { what: 'the direct/preprocessed split' });
    await waitForText(tile('misses'), String(s.cacheMisses), { what: 'the Misses tile' });
    await waitForText(tile('requests'), String(s.compileRequests), { what: 'the Requests tile' });
    await waitForText(tile('hit-rate'), `${(s.hitRate * 100).toFixed(1)}%`, { what: 'the Hit rate tile' });
    assert.ok(s.compileRequests >= 6, `two builds make at least 6 compiler calls (4 compiles, 2 links): ${s.compileRequests}`);
    await waitForText(tile('state'), 'running', { what: 'the state badge' });
    await waitForText(tile('cache-size'), new RegExp(`, ${s.cacheEntries} entr(y|ies)$`), { what: 'the cache size' });
    assert.ok(s.cacheEntries >= 2, `the cache holds the two objects: ${s.cacheEntries}`);

    // the chart draws both series
    const chart = tile('chart');
    await chart.locator('svg path.line.hits').waitFor({ timeout: UI_TIMEOUT_MS });
    await chart.locator('svg path.line.misses').waitFor();
    assert.equal(await chart.locator('.chart-empty-text').count(), 0);

    // the recent compiles: the server's list, newest first, each with its outcome
    const rows = tile('recent').locator('tbody tr');
    const expectedRecent = s.recent
      .slice(-20)
      .reverse()
      .map((entry) => `${entry.file} ${entry.outcome}`);
    const shownRecent = (): Promise<string[]> =>
      rows.evaluateAll((trs: PanelRow[]) =>
        trs.map((tr) => `${tr.querySelector('td.file')?.getAttribute('title') ?? ''} ${tr.querySelector('.pill')?.textContent ?? ''}`),
      );
    let shown: string[] = [];
    await waitFor(
      async () => {
        shown = await shownRecent();
        return JSON.stringify(shown) === JSON.stringify(expectedRecent);
      },
      { timeoutMs: UI_TIMEOUT_MS, what: `the recent compiles table to show ${JSON.stringify(expectedRecent)}`, state: () => shown, intervalMs: 200 },
    );
    for (const file of ['main.c', 'greet.c']) {
      for (const outcome of ['hit', 'miss']) {
        assert.ok(
          expectedRecent.some((row) => row.endsWith(`${file} ${outcome}`)),
          `a ${outcome} of ${file} in the recent compiles: ${JSON.stringify(expectedRecent)}`,
        );
      }
    }
    await waitForText(tile('languages').locator('tbody tr').first(), /^c\s+2\s+2\s+50\.0%$/i, { what: 'the languages table' });

    const file = await workbench.screenshot('stats-panel-after-build');
    assert.ok(fs.statSync(file).size > 10_000, `${file} is a real screenshot`);
    // the recent compiles are below the fold at 1400x900
    await tile('recent').locator('tbody tr').last().scrollIntoViewIfNeeded();
    await workbench.screenshot('stats-panel-after-build-recent');
    await tile('state').scrollIntoViewIfNeeded();
  });

  it('lists why direct mode recorded no manifest, as warmcc -s does', async () => {
    fs.writeFileSync(path.join(folder, 'stamp.c'), 'const char *built = __DATE__;\n');
    settleTimestamps(); // so that the reason is the time macro, not a file written during the compile
    const compile = spawnSync(warmccBin, ['gcc', '-c', 'stamp.c', '-o', 'stamp.o'], { cwd: folder, env: requireBuildEnv(), encoding: 'utf8' });
    assert.equal(compile.status, 0, compile.stderr);
    const skipped = await waitFor(() => stats().directModeSkipped['time macros'], { timeoutMs: UI_TIMEOUT_MS, what: 'the server to count the time macros' });
    await waitForText(tile('direct-skipped').locator('tbody tr').first(), new RegExp(`^time macros\\s+${skipped}$`), {
      timeoutMs: UI_TIMEOUT_MS,
      what: 'the "Direct mode not used" card',
    });
    await tile('direct-skipped').scrollIntoViewIfNeeded();
    await workbench.screenshot('stats-panel-direct-mode-not-used');
    await tile('state').scrollIntoViewIfNeeded();
  });

  it('zeroes the stats from the palette: the panel and the status bar follow live', async () => {
    await workbench.runCommand('warmcc: Zero Stats');
    await waitForText(tile('hits'), '0', { timeoutMs: UI_TIMEOUT_MS, what: 'the Hits tile after Zero Stats' });
    await waitForText(tile('misses'), '0', { what: 'the Misses tile after Zero Stats' });
    await waitForText(tile('requests'), '0', { what: 'the Requests tile after Zero Stats' });
    await waitForText(tile('hit-rate'), '0.0%', { what: 'the Hit rate tile after Zero Stats' });
    assert.equal(await workbench.waitForStatusBarText('warmcc ready', { timeoutMs: UI_TIMEOUT_MS }), 'warmcc ready');
    await tile('chart').locator('.chart-empty-text').waitFor({ timeout: UI_TIMEOUT_MS });
    const s = stats();
    assert.equal(s.cacheHits, 0);
    assert.equal(s.cacheMisses, 0);
    assert.equal(s.compileRequests, 0);
    // zeroing counts forgets nothing that is cached
    assert.ok(s.cacheEntries >= 2);
    await waitForText(tile('cache-size'), new RegExp(`, ${s.cacheEntries} entries$`), { what: 'the cache size after Zero Stats' });
    await workbench.screenshot('stats-panel-after-zero');
  });

  it("clears the cache from the panel's button after a modal confirmation", async () => {
    await tile('clear-cache').click();
    const dialog = workbench.page.locator('.monaco-dialog-box');
    await dialog.waitFor({ state: 'visible', timeout: UI_TIMEOUT_MS });
    assert.match(await dialog.innerText(), /Clear the warmcc cache\?/);
    await workbench.screenshot('clear-cache-confirmation');
    // nothing is removed before the confirmation
    assert.ok(stats().cacheEntries >= 2);
    await dialog.locator('.monaco-button', { hasText: /^Clear$/ }).click();
    await dialog.waitFor({ state: 'hidden', timeout: UI_TIMEOUT_MS });
    await waitForText(tile('cache-size'), /, 0 entries$/, { timeoutMs: UI_TIMEOUT_MS, what: 'the cache size after Clear Cache' });
    assert.equal(stats().cacheEntries, 0);
    await workbench.page.locator('.notifications-toasts', { hasText: /warmcc: cleared the cache/ }).waitFor({ timeout: UI_TIMEOUT_MS });
    await workbench.screenshot('stats-panel-after-clear');
  });
});

function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

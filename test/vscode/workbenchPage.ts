// UI tests of what a person sees: a real VS Code window (code-server + headless Chromium, see
// codeServer.ts) with warmcc's extension loaded from the repo, and helpers to drive and look at it.
//
//   import { openWorkbench } from './vscode/workbenchPage';           // from test/*.test.ts (tsx)
//   const workbench = await openWorkbench({ folder });
//   try {
//     await workbench.waitForStatusBarText(/warmcc/);
//     await workbench.runCommand('warmcc: Show Stats');
//     await workbench.webviewFrame().getByText('Hits').waitFor();
//     await workbench.screenshot('stats-panel');
//   } finally {
//     await workbench.close();
//   }
//
// The extension runs from the repo's dist/ (build it first: npm run build). Each workbench has its
// own warmcc cache and socket directory (WARMCC_DIR, XDG_RUNTIME_DIR under scratchDir), so it never
// talks to a developer's server.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Browser, FrameLocator, Locator, Page } from 'playwright-core';
import { waitFor } from '../support/poll';
import { closeQuietly, launchBrowser, makeTemporaryDir, processesOfRun, removeTemporaryDir, repoRoot, startCodeServer, type CodeServer } from './codeServer';

export const screenshotDir = path.join(repoRoot, 'test-output', 'screenshots');

export interface WorkbenchOptions {
  /** absolute folder the window opens */
  folder: string;
  /** extension to load in development mode; default the repo root (warmcc); null for a plain VS Code
   *  (or one whose extensions come from extensionsDir) */
  extensionDevelopmentPath?: string | null;
  /** code-server's --extensions-dir, e.g. one a .vsix was installed into (default: a fresh empty one); left in place by close() */
  extensionsDir?: string;
  /** environment added to this process's for code-server, the extension host and what they start */
  env?: NodeJS.ProcessEnv;
  /** user settings of the fresh profile (e.g. { 'warmcc.autoStart': false }) */
  settings?: Record<string, unknown>;
  /** window size (default 1400x900) */
  viewport?: { width: number; height: number };
  /** the whole session: when it runs out, everything is closed so a stuck test cannot hang CI (default 5 min) */
  timeoutMs?: number;
}

export interface Workbench {
  readonly page: Page;
  readonly browser: Browser;
  readonly server: CodeServer;
  /** temporary directory of this session: warmcc's cache (cache/) and socket directory (run/); removed by close() */
  readonly scratchDir: string;
  /** WARMCC_DIR and XDG_RUNTIME_DIR as the extension host has them */
  readonly warmccEnv: { WARMCC_DIR: string; XDG_RUNTIME_DIR: string };
  /** runs a command from the palette by its full label as shown there, e.g. 'warmcc: Start Server' */
  runCommand(title: string, options?: { timeoutMs?: number }): Promise<void>;
  /** waits for a status bar item whose text matches; resolves with that item's text */
  waitForStatusBarText(pattern: RegExp | string, options?: { timeoutMs?: number }): Promise<string>;
  /** the content of the (first) visible webview panel */
  webviewFrame(): FrameLocator;
  /** PNG of the window in test-output/screenshots/NAME.png; resolves with its path */
  screenshot(name: string): Promise<string>;
  /** warmcc servers this window's extension started (found by the run id in their environment), with their sockets */
  warmccServers(): WarmccServerProcess[];
  /** closes the browser, stops code-server and all it started, removes scratchDir; safe to call twice */
  close(): Promise<void>;
}

export interface WarmccServerProcess {
  pid: number;
  /** the server script it runs (…/dist/server.js) */
  script: string;
  /** its WARMCC_SOCKET: where builds reach this window's server */
  socket: string;
  /** its whole environment */
  env: Record<string, string>;
}

/** warmcc servers (node …/dist/server.js) among the processes carrying runId (codeServer.ts RUN_ID_VARIABLE). */
export function warmccServersOfRun(runId: string): WarmccServerProcess[] {
  const servers: WarmccServerProcess[] = [];
  for (const pid of processesOfRun(runId)) {
    try {
      const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
      const script = argv.slice(1).find((arg) => /(^|\/)dist\/server\.js$/.test(arg));
      if (!script || argv.includes('--hit-server')) continue; // hit servers are a server's helpers
      const env: Record<string, string> = {};
      for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
        const eq = entry.indexOf('=');
        if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
      }
      if (env.WARMCC_SOCKET) servers.push({ pid, script, socket: env.WARMCC_SOCKET, env });
    } catch {
      // exited meanwhile
    }
  }
  return servers;
}

/**
 * Waits until the locator's text (trimmed innerText) matches; resolves with it. On timeout the
 * error shows the last text seen, which usually says what went wrong.
 */
export async function waitForText(
  locator: Locator,
  pattern: RegExp | string,
  { timeoutMs = 30_000, what = 'element' }: { timeoutMs?: number; what?: string } = {},
): Promise<string> {
  const matches = (text: string) => (typeof pattern === 'string' ? text === pattern : pattern.test(text));
  const deadline = Date.now() + timeoutMs;
  let last: string | undefined;
  const shown = await waitFor(
    async () => {
      try {
        last = (await locator.first().innerText({ timeout: Math.max(1, Math.min(2000, deadline - Date.now())) })).trim();
      } catch {
        return undefined; // not there (yet)
      }
      return matches(last) && { text: last };
    },
    { timeoutMs, what: `${what} to show ${pattern}`, intervalMs: 100, state: () => (last === undefined ? 'nothing: not found' : JSON.stringify(last)) },
  );
  return shown.text;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Starts code-server on `folder` with warmcc loaded from the repo and opens it in headless Chromium. */
export async function openWorkbench(options: WorkbenchOptions): Promise<Workbench> {
  const scratchDir = makeTemporaryDir('wcc-ui-');
  const warmccEnv = { WARMCC_DIR: path.join(scratchDir, 'cache'), XDG_RUNTIME_DIR: path.join(scratchDir, 'run') };
  fs.mkdirSync(warmccEnv.XDG_RUNTIME_DIR, { mode: 0o700 });
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let closed = false;
  let watchdogTimer: NodeJS.Timeout | undefined;
  const close = async () => {
    if (closed) return;
    closed = true;
    clearTimeout(watchdogTimer);
    await closeQuietly(browser, server);
    removeTemporaryDir(scratchDir);
  };
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  watchdogTimer = setTimeout(() => {
    process.stderr.write(`openWorkbench: watchdog: closing the workbench on ${options.folder} after ${Math.round(timeoutMs / 1000)} s\n`);
    void close();
  }, timeoutMs);
  watchdogTimer.unref();

  try {
    const folder = path.resolve(options.folder);
    server = await startCodeServer({
      folder,
      env: { ...process.env, ...warmccEnv, ...options.env },
      ...(options.settings ? { settings: options.settings } : {}),
      ...(options.extensionsDir ? { extensionsDir: options.extensionsDir } : {}),
    });
    browser = await launchBrowser();
    const page = await browser.newPage({ viewport: options.viewport ?? { width: 1400, height: 900 } });
    const extensionDevelopmentPath = options.extensionDevelopmentPath === undefined ? repoRoot : options.extensionDevelopmentPath;
    await page.goto(server.workbenchUrl({ folder, ...(extensionDevelopmentPath ? { extensionDevelopmentPath } : {}) }));
    await page.locator('.monaco-workbench .part.statusbar').waitFor({ state: 'visible', timeout: 60_000 });
    // the explorer shows the folder once the workbench has restored
    await page
      .locator('.monaco-workbench .part.sidebar .explorer-folders-view, .monaco-workbench .part.sidebar .pane-header')
      .first()
      .waitFor({ timeout: 60_000 });

    const openQuickInput = async (timeoutMs: number) => {
      const input = page.locator('.quick-input-widget .quick-input-box input');
      for (let attempt = 0; ; attempt++) {
        await page.keyboard.press('F1');
        try {
          await input.waitFor({ state: 'visible', timeout: Math.min(5000, timeoutMs) });
          return input;
        } catch (error) {
          if (attempt >= 2) throw error;
          // keyboard focus may be outside the workbench: focus the editor area and try again
          await page
            .locator('.monaco-workbench .part.editor')
            .click({ position: { x: 20, y: 20 } })
            .catch(() => undefined);
        }
      }
    };

    const workbench: Workbench = {
      page,
      browser,
      server,
      scratchDir,
      warmccEnv,
      async runCommand(title, { timeoutMs = 15_000 } = {}) {
        const input = await openQuickInput(timeoutMs);
        await input.fill(`>${title}`);
        const label = new RegExp(`^\\s*${escapeRegExp(title)}\\s*$`);
        const row = page
          .locator('.quick-input-list .monaco-list-row')
          .filter({ has: page.locator('.label-name', { hasText: label }) })
          .first();
        try {
          await row.waitFor({ state: 'visible', timeout: timeoutMs });
        } catch {
          const shown = await page
            .locator('.quick-input-list .monaco-list-row .label-name')
            .allInnerTexts()
            .catch(() => []);
          await page.keyboard.press('Escape');
          throw new Error(`runCommand: no command '${title}' in the palette (it shows: ${shown.join(' | ') || 'nothing'})`);
        }
        // make it the focused row if another match is ranked first, then accept it
        for (let i = 0; i < 20 && !/\bfocused\b/.test((await row.getAttribute('class')) ?? ''); i++) await page.keyboard.press('ArrowDown');
        await page.keyboard.press('Enter');
      },
      async waitForStatusBarText(pattern, { timeoutMs = 30_000 } = {}) {
        const item = page.locator('.statusbar-item', { hasText: pattern }).first();
        try {
          await item.waitFor({ state: 'visible', timeout: timeoutMs });
        } catch {
          const shown = await page
            .locator('.statusbar-item')
            .allInnerTexts()
            .catch(() => []);
          throw new Error(
            `waitForStatusBarText: no status bar item matching ${pattern} within ${timeoutMs} ms (shown: ${shown
              .map((text) => JSON.stringify(text.trim()))
              .filter((text) => text !== '""')
              .join(', ')})`,
          );
        }
        return (await item.innerText()).trim();
      },
      webviewFrame() {
        return page.locator('iframe.webview.ready').first().contentFrame().locator('iframe#active-frame').contentFrame();
      },
      async screenshot(name) {
        const file = path.join(screenshotDir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
        fs.mkdirSync(screenshotDir, { recursive: true });
        await page.screenshot({ path: file });
        return file;
      },
      warmccServers: () => warmccServersOfRun(server!.runId),
      close,
    };
    return workbench;
  } catch (error) {
    await close();
    throw error;
  }
}

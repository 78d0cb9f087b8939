// Runs a real VS Code for the extension's tests: code-server (VS Code 1.100.3 with a Node extension
// host, installed by installCodeServer.mjs) on a free 127.0.0.1 port with fresh user data, and a
// headless Debian Chromium through playwright-core as its window. Why it is done this way:
// docs/vscode-testing.md in the shared folder beside the checkout (../shared, when present).
//
// Every process started here is stopped by stop()/close(), by a watchdog, and, as a last resort,
// when this Node process exits: code-server runs in its own process group, killed as a whole, and
// whatever it started that left the group (the extension's detached cache servers) is found by
// the run id in its environment.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor, WaitTimeoutError } from '../support/poll';
import { chromiumPath, ensureCodeServer, repoRoot } from './installCodeServer.mjs';

export { repoRoot };

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Settings of the fresh user profile: no start page, no telemetry or update checks, no git scanning. */
const DEFAULT_USER_SETTINGS: Record<string, unknown> = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'security.workspace.trust.enabled': false,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
};

const OUTPUT_LIMIT = 64 * 1024;

/**
 * Environment variable carrying a run's id into code-server, its extension hosts and everything
 * they start: processes that leave code-server's process group on purpose (warmcc's detached cache
 * servers, started by the extension) are found by it and stopped with the run.
 */
export const RUN_ID_VARIABLE = 'WARMCC_VSCODE_TEST_RUN';

// live code-servers (process group id -> run id), killed when this process exits however it exits,
// and temporary directories removed then
const liveRuns = new Map<number, string>();
const temporaryDirs = new Set<string>();
process.once('exit', () => {
  for (const [pgid, runId] of liveRuns) {
    killGroup(pgid, 'SIGKILL');
    for (const pid of processesOfRun(runId)) killPid(pid, 'SIGKILL');
  }
  for (const dir of temporaryDirs) fs.rmSync(dir, { recursive: true, force: true });
});

/** A fresh directory under the system temp dir, removed when this process exits if not before (pass it to removeTemporaryDir). */
export function makeTemporaryDir(prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  temporaryDirs.add(dir);
  return dir;
}

export function removeTemporaryDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  temporaryDirs.delete(dir);
}

/** Processes whose environment holds RUN_ID_VARIABLE=runId (Linux /proc; other users' processes are unreadable and skipped). */
export function processesOfRun(runId: string): number[] {
  const needle = Buffer.from(`${RUN_ID_VARIABLE}=${runId}\0`);
  const pids: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return pids;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`);
      if (environ.indexOf(needle) === 0 || environ.indexOf(Buffer.concat([Buffer.from([0]), needle])) >= 0) pids.push(Number(entry));
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

function killPid(pid: number, signal: NodeJS.Signals) {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}

/** SIGTERM to every process of the run, SIGKILL to those still there after graceMs. */
async function stopProcessesOfRun(runId: string, graceMs = 3000): Promise<void> {
  const pids = processesOfRun(runId);
  for (const pid of pids) killPid(pid, 'SIGTERM');
  const alive = () => pids.filter((pid) => isAlive(pid));
  try {
    await waitFor(() => alive().length === 0, { timeoutMs: graceMs, what: `processes of run ${runId} to exit on SIGTERM`, intervalMs: 100, state: alive });
  } catch (error) {
    if (!(error instanceof WaitTimeoutError)) throw error;
    // the grace is over: SIGKILL below
  }
  for (const pid of alive()) killPid(pid, 'SIGKILL');
}

function isAlive(pid: number): boolean {
  try {
    // a zombie (exited, not yet reaped) counts as gone
    return !/^\d+ \(.*\) Z /s.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export interface CodeServerOptions {
  /** folder given on code-server's command line (the URL's ?folder= decides what a page opens) */
  folder?: string;
  /** environment of code-server and so of the extension host (default: this process's); VSCODE_* and CODE_SERVER_* are dropped */
  env?: NodeJS.ProcessEnv;
  /** extra user settings for the fresh profile */
  settings?: Record<string, unknown>;
  /** receives code-server's own output line by line (it is also kept: CodeServer.output()) */
  onOutput?: (line: string) => void;
  /** how long to wait for /healthz, ms (default 30 s) */
  startTimeoutMs?: number;
  /**
   * extensions directory (e.g. one a .vsix was installed into with --install-extension); default a
   * fresh empty one under dataDir. A given directory belongs to the caller: stop() leaves it alone.
   */
  extensionsDir?: string;
}

export interface WorkbenchUrlOptions {
  /** absolute folder to open */
  folder: string;
  /** absolute path of an extension to load in development mode (usually the repo root) */
  extensionDevelopmentPath?: string;
  /** absolute path of the compiled test entry (exports run()); the window then runs the suite and exits */
  extensionTestsPath?: string;
}

export interface CodeServer {
  readonly port: number;
  /** http://127.0.0.1:PORT */
  readonly origin: string;
  /** temporary directory holding user-data/, extensions/ and config.yaml; removed by stop() */
  readonly dataDir: string;
  /** the profile (settings, globalStorage/): dataDir/user-data */
  readonly userDataDir: string;
  /** where code-server looks for installed extensions (CodeServerOptions.extensionsDir or dataDir/extensions) */
  readonly extensionsDir: string;
  readonly process: ChildProcess;
  /** value of WARMCC_VSCODE_TEST_RUN in the environment of everything this code-server starts */
  readonly runId: string;
  /** the last 64 KiB of code-server's stdout and stderr */
  output(): string;
  /** vscode-remote://127.0.0.1:PORT/abs/path: a path on this machine as the remote (Node) extension host sees it */
  remoteUri(absolutePath: string): string;
  /** workbench URL opening a folder, with the development extension and test payload if given */
  workbenchUrl(options: WorkbenchUrlOptions): string;
  /** stops code-server's process group and every process carrying its run id, removes dataDir; safe to call twice */
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function healthz(origin: string): Promise<boolean> {
  return new Promise((resolve) => {
    const request = http.get(`${origin}/healthz`, { timeout: 2000 }, (response) => {
      response.resume();
      resolve(response.statusCode === 200);
    });
    request.once('timeout', () => request.destroy());
    request.once('error', () => resolve(false));
  });
}

/** A time limit for Promise.race: does not keep the process alive once the race is decided. */
const limit = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** The environment code-server gets: the caller's, less anything tying it to a surrounding VS Code or code-server. */
function codeServerEnv(env: NodeJS.ProcessEnv, runId: string): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || name.startsWith('VSCODE_') || name.startsWith('CODE_SERVER_') || name === 'ELECTRON_RUN_AS_NODE') continue;
    clean[name] = value;
  }
  clean.EXTENSIONS_GALLERY = '{}'; // no marketplace look-ups (offline) and no error popup about them
  clean[RUN_ID_VARIABLE] = runId;
  return clean;
}

function killGroup(pgid: number, signal: NodeJS.Signals) {
  try {
    process.kill(-pgid, signal);
  } catch {
    // group already gone
  }
}

async function startOnce(port: number, options: CodeServerOptions): Promise<CodeServer | 'port-taken'> {
  const { entry } = ensureCodeServer();
  const runId = randomUUID();
  const dataDir = makeTemporaryDir('wcc-vscode-');
  const userDataDir = path.join(dataDir, 'user-data');
  const extensionsDir = options.extensionsDir ? path.resolve(options.extensionsDir) : path.join(dataDir, 'extensions');
  const configFile = path.join(dataDir, 'config.yaml');
  fs.mkdirSync(path.join(userDataDir, 'User'), { recursive: true });
  fs.mkdirSync(extensionsDir, { recursive: true });
  fs.writeFileSync(configFile, `bind-addr: 127.0.0.1:${port}\nauth: none\ncert: false\n`);
  fs.writeFileSync(path.join(userDataDir, 'User', 'settings.json'), JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...options.settings }, null, 2));

  const args = [
    entry,
    '--auth',
    'none',
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir',
    userDataDir,
    '--extensions-dir',
    extensionsDir,
    '--config',
    configFile,
    ...(options.folder ? [options.folder] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: options.folder ?? dataDir,
    env: codeServerEnv(options.env ?? process.env, runId),
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // own process group: stop() kills code-server and its extension hosts together
  });
  const pid = child.pid!;
  liveRuns.set(pid, runId);
  let output = '';
  let partial = '';
  const collect = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    output = (output + text).slice(-OUTPUT_LIMIT);
    if (options.onOutput) {
      const lines = (partial + text).split('\n');
      partial = lines.pop()!;
      for (const line of lines) options.onOutput(line);
    }
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let exited = false;
  const exitPromise = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      resolve();
    }),
  );

  const origin = `http://127.0.0.1:${port}`;
  let stopped = false;
  const server: CodeServer = {
    port,
    origin,
    dataDir,
    userDataDir,
    extensionsDir,
    process: child,
    runId,
    output: () => output,
    remoteUri: (absolutePath) => `vscode-remote://127.0.0.1:${port}${path.resolve(absolutePath)}`,
    workbenchUrl({ folder, extensionDevelopmentPath, extensionTestsPath }) {
      const payload: [string, string][] = [];
      if (extensionDevelopmentPath) payload.push(['extensionDevelopmentPath', server.remoteUri(extensionDevelopmentPath)]);
      if (extensionTestsPath) payload.push(['extensionTestsPath', server.remoteUri(extensionTestsPath)]);
      payload.push(['skipWelcome', 'true']);
      return `${origin}/?folder=${encodeURIComponent(path.resolve(folder))}&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!exited) {
        killGroup(pid, 'SIGTERM');
        await Promise.race([exitPromise, limit(3000)]);
      }
      // the extension hosts may outlive the server's main process
      killGroup(pid, 'SIGKILL');
      // what the extension started outside the group (warmcc's cache servers)
      await stopProcessesOfRun(runId);
      liveRuns.delete(pid);
      removeTemporaryDir(dataDir);
    },
  };

  // up once /healthz answers; an exit (e.g. EADDRINUSE) ends the wait at once
  const outcome = await waitFor(async (): Promise<'up' | 'exited' | false> => (exited ? 'exited' : (await healthz(origin)) && 'up'), {
    timeoutMs: options.startTimeoutMs ?? 30_000,
    what: `code-server to answer ${origin}/healthz`,
    intervalMs: 100,
  }).catch((error: unknown) => {
    if (error instanceof WaitTimeoutError) return 'timed out' as const;
    throw error;
  });
  if (outcome === 'up') return server;
  await server.stop();
  if (/EADDRINUSE/.test(output)) return 'port-taken';
  throw new Error(
    `code-server did not answer ${origin}/healthz ${exited ? `(it exited with ${child.exitCode ?? child.signalCode})` : 'in time'}; its output:\n${output}`,
  );
}

/** Starts code-server on a free 127.0.0.1 port with a fresh profile; resolves once /healthz answers. */
export async function startCodeServer(options: CodeServerOptions = {}): Promise<CodeServer> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const started = await startOnce(await freePort(), options);
    if (started !== 'port-taken') return started;
  }
  throw new Error('code-server: no free port on 127.0.0.1 after 3 attempts');
}

/** Headless Debian Chromium (never a downloaded browser: `npx playwright install` cannot work here). */
export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: chromiumPath, headless: true, chromiumSandbox: false, args: CHROMIUM_ARGS });
}

/** Rejects after ms with an error naming what timed out; the timer does not keep the process alive. */
export function watchdog(ms: number, what: string): { promise: Promise<never>; cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const promise = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: watchdog fired after ${Math.round(ms / 1000)} s`)), ms);
    timer.unref();
  });
  promise.catch(() => undefined); // a cancelled or unobserved watchdog is no unhandled rejection
  return { promise, cancel: () => clearTimeout(timer) };
}

export interface SuiteRunOptions {
  /** the extension under test (folder with its package.json) */
  extensionDevelopmentPath: string;
  /** compiled test entry exporting run() */
  extensionTestsPath: string;
  /** folder the window opens */
  folder: string;
  /** environment of code-server, hence of the extension host and the tests */
  env?: NodeJS.ProcessEnv;
  /** whole run, from starting code-server to the suite's exit (default 5 min) */
  timeoutMs?: number;
  /** each line the extension host prints (mocha's reporter); default: stdout */
  onLog?: (line: string) => void;
  /**
   * a line the suite prints first: the workbench's own info lines before it are held back (shown only
   * if the run fails or the marker never comes), warnings and errors always pass
   */
  startMarker?: string;
  /** forward every workbench log line as it comes, with its level (default: WARMCC_VSCODE_TEST_VERBOSE=1) */
  verbose?: boolean;
  /** where to leave a screenshot if the run times out or fails to start (default test-output/screenshots/) */
  screenshotDir?: string;
}

// the workbench's routine chatter, dropped unless verbose
const WORKBENCH_NOISE = [
  /^Ignoring fetching additional builtin extensions from gallery/,
  /^Updating additional builtin extensions cache/,
  /^Creating a socket \(/,
  /^Resolv(ing|ed) connection token/,
  /^\[Service Worker\] registered/,
  /^ChatSessionStore: Migrating/,
  /^Creation of workbench contribution '.*' took \d+ms/,
];

/**
 * Sorts what codeAutomationLog receives: the workbench logs its own start-up at info level through
 * the same channel as the extension host's console, so info lines before the suite's start marker
 * are held back.
 */
function suiteLog(onLog: (line: string) => void, startMarker: string | undefined, verbose: boolean) {
  let started = !startMarker || verbose;
  let early: string[] = [];
  return {
    line(level: string, line: string) {
      if (verbose) return onLog(`[${level}] ${line}`);
      if ((level === 'info' || level === 'warn') && WORKBENCH_NOISE.some((pattern) => pattern.test(line))) return;
      if (!started && line.includes(startMarker!)) {
        started = true;
        early = [];
        return;
      }
      if (started) return onLog(level === 'info' ? line : `[${level}] ${line}`);
      if (level === 'warn' || level === 'error') onLog(`[workbench ${level}] ${line}`);
      else early.push(`[${level}] ${line}`);
    },
    flushEarly(title: string) {
      if (!early.length) return;
      onLog(`--- ${title} ---`);
      for (const line of early) onLog(line);
      onLog('--- end of the workbench log ---');
      early = [];
    },
  };
}

/** Formats what the workbench forwards from the extension host's console (args are strings or JSON-able values). */
function formatLogArgs(args: unknown): string {
  const list = Array.isArray(args) ? args : [args];
  return list.map((arg) => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' ');
}

/**
 * Runs an extension's test suite in a real VS Code window (the procedure `code --extensionTestsPath`
 * stands for) and resolves with the suite's exit code: 0 when every test passed. Never rejects for a
 * failing or stuck suite: a timeout or a crash is exit code 1, with the reason on stderr.
 */
export async function runSuiteInCodeServer(options: SuiteRunOptions): Promise<number> {
  const onLog = options.onLog ?? ((line: string) => process.stdout.write(line + '\n'));
  const timeoutMs = options.timeoutMs ?? 5 * 60_000;
  const log = suiteLog(onLog, options.startMarker, options.verbose ?? process.env.WARMCC_VSCODE_TEST_VERBOSE === '1');
  const guard = watchdog(timeoutMs, 'extension test run');
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page | undefined;
  let running: Promise<number> | undefined;
  try {
    const run = async (): Promise<number> => {
      server = await startCodeServer({ folder: options.folder, ...(options.env ? { env: options.env } : {}) });
      browser = await launchBrowser();
      page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      let exitWith!: (code: number) => void;
      const exited = new Promise<number>((resolve) => (exitWith = resolve));
      await page.exposeFunction('codeAutomationExit', (code: unknown) => exitWith(Number(code ?? 1)));
      await page.exposeFunction('codeAutomationLog', (level: unknown, args: unknown) => {
        for (const line of formatLogArgs(args).split('\n')) log.line(String(level), line);
      });
      const codeServerDied = new Promise<number>((_, reject) =>
        server!.process.once('exit', (code, signal) => reject(new Error(`code-server exited (${code ?? signal}) before the suite finished`))),
      );
      codeServerDied.catch(() => undefined);
      await page.goto(server.workbenchUrl(options));
      return await Promise.race([exited, codeServerDied]);
    };
    running = run();
    const code = await Promise.race([running, guard.promise]);
    log.flushEarly('the workbench log (the suite never printed its start marker)');
    return code;
  } catch (error) {
    log.flushEarly('the workbench log (the suite never printed its start marker)');
    process.stderr.write(`runSuiteInCodeServer: ${(error as Error).message}\n`);
    if (page) {
      const file = path.join(options.screenshotDir ?? path.join(repoRoot, 'test-output', 'screenshots'), `suite-failure-${Date.now()}.png`);
      try {
        fs.mkdirSync(path.dirname(file), { recursive: true });
        await Promise.race([page.screenshot({ path: file }), limit(5000)]);
        process.stderr.write(`runSuiteInCodeServer: screenshot of the window: ${file}\n`);
      } catch {
        // the page may be gone
      }
    }
    if (server) process.stderr.write(`runSuiteInCodeServer: code-server's output (last lines):\n${server.output().split('\n').slice(-30).join('\n')}\n`);
    return 1;
  } finally {
    guard.cancel();
    await closeQuietly(browser, server);
    // after a watchdog, what the abandoned start-up still brings up is closed when it arrives
    running?.then(
      () => closeQuietly(browser, server),
      () => closeQuietly(browser, server),
    );
  }
}

/** Closes a browser and stops a code-server, each bounded in time, ignoring errors (cleanup paths). */
export async function closeQuietly(browser: Browser | undefined, server: CodeServer | undefined): Promise<void> {
  if (browser) await Promise.race([browser.close().catch(() => undefined), limit(5000)]);
  if (server) await server.stop().catch(() => undefined);
}

// This window's warmcc server: its socket, starting it clean, attaching to it with
// vscode-languageclient, and what happens when it stops or dies. Every feature reads state and
// stats from here and subscribes to its events.
//
// One server per window (multi-root: keyed by the workspace file, else the first folder). The
// server is started through the bundled client's `--start-server`, which double-forks into a new
// session with no inherited fds: never from a build, never holding a jobserver.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { CloseAction, ErrorAction, LanguageClient, type StreamInfo } from 'vscode-languageclient/node';
import { workspaceSocketPath } from '../wrapper/contract/socketPath';
import type { StatsSnapshot } from '../wrapper/contract/stats';
import type { PanelServerState, StatsHistoryPoint } from '../wrapper/contract/statsPanelMessages';
import {
  clearCacheRequest,
  compiledNotification,
  configRequest,
  exitingNotification,
  explainRequest,
  statsChangedNotification,
  statsRequest,
  stopRequest,
  zeroStatsRequest,
  type ClearCacheResult,
  type CompiledNotification,
  type ExplainResult,
} from '../wrapper/contract/rpc';
import type { BundledPaths } from './bundledPaths';
import { canConnect } from '../wrapper/launcher/serverLauncher';
import { readSettings, serverEnvironment } from './settings';

/** the window's server as the extension sees it (the stats panel is told the same) */
export type ServerState = PanelServerState;

/** how often a stopped (not user-stopped) window looks for a server a terminal build started */
const REATTACH_INTERVAL_MS = 5000;
const HISTORY_LIMIT = 600;

/** Socket of this window's server: per workspace, in the same private directory as the default. */
export function windowSocketPath(): string {
  const identity = vscode.workspace.workspaceFile?.toString() ?? vscode.workspace.workspaceFolders?.[0]?.uri.toString() ?? 'no-folder';
  const id = createHash('sha256').update(identity).digest('hex').slice(0, 16);
  return workspaceSocketPath(process.env, process.getuid?.() ?? 0, id);
}

export class WorkspaceServer implements vscode.Disposable {
  readonly socketPath = windowSocketPath();
  private client: LanguageClient | undefined;
  private currentState: ServerState = 'stopped';
  private latest: StatsSnapshot | undefined;
  readonly history: StatsHistoryPoint[] = [];
  private exitReason: string | undefined;
  private userStopped = false;
  private crashNotified = false;
  private reattachTimer: NodeJS.Timeout | undefined;
  private logFile: string;

  private readonly changeEmitter = new vscode.EventEmitter<void>();
  /** state or stats changed */
  readonly onDidChange = this.changeEmitter.event;
  private readonly compiledEmitter = new vscode.EventEmitter<CompiledNotification>();
  readonly onDidCompile = this.compiledEmitter.event;

  constructor(
    private readonly paths: BundledPaths,
    private readonly output: vscode.LogOutputChannel,
    logDirectory: string,
  ) {
    this.logFile = path.join(logDirectory, `server-${path.basename(this.socketPath, '.sock')}.log`);
  }

  get state(): ServerState {
    return this.currentState;
  }

  get snapshot(): StatsSnapshot | undefined {
    return this.latest;
  }

  /** the log of the server we are attached to (it may have been started by a terminal build) */
  get serverLogFile(): string {
    return this.logFile;
  }

  private setState(state: ServerState): void {
    this.currentState = state;
    this.changeEmitter.fire();
  }

  private record(snapshot: StatsSnapshot): void {
    this.latest = snapshot;
    this.history.push({ at: Date.now(), hits: snapshot.cacheHits, misses: snapshot.cacheMisses });
    if (this.history.length > HISTORY_LIMIT) this.history.shift();
    this.changeEmitter.fire();
  }

  private starting: Promise<void> | undefined;

  /** Starts the server clean unless one answers on the socket, then attaches. A second call
   *  while a start is under way waits for that one. */
  start(): Promise<void> {
    if (this.client && this.currentState === 'running') return Promise.resolve();
    this.starting ??= this.startOnce().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    this.userStopped = false;
    this.crashNotified = false;
    this.exitReason = undefined;
    this.setState('starting');
    try {
      if (!(await canConnect(this.socketPath))) await this.launch();
      await this.attach();
      this.setState('running');
    } catch (error) {
      this.setState('stopped');
      await this.disposeClient();
      throw error;
    }
  }

  /** bin/warmcc --start-server: the same clean start a terminal build gets */
  private launch(): Promise<void> {
    fs.mkdirSync(path.dirname(this.logFile), { recursive: true });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...serverEnvironment(readSettings()),
      WARMCC_SOCKET: this.socketPath,
      WARMCC_LOG: this.logFile,
      // the extension host's own binary runs the server: Electron's needs ELECTRON_RUN_AS_NODE
      WARMCC_NODE: process.execPath,
      ELECTRON_RUN_AS_NODE: '1',
    };
    return new Promise((resolve, reject) => {
      execFile(this.paths.client, ['--start-server'], { env, timeout: 30_000 }, (error, stdout, stderr) => {
        this.output.appendLine(`${this.paths.client} --start-server: ${(stdout + stderr).trim()}`);
        if (error) reject(new Error(`warmcc server did not start: ${(stderr || error.message).trim()} (log: ${this.logFile})`));
        else resolve();
      });
    });
  }

  private async attach(): Promise<void> {
    const serverOptions = (): Promise<StreamInfo> =>
      new Promise((resolve, reject) => {
        const socket = net.connect(this.socketPath);
        socket.once('connect', () => resolve({ reader: socket, writer: socket }));
        socket.once('error', (error) => reject(new Error(`cannot connect to ${this.socketPath}: ${error.message}`)));
      });
    const client = new LanguageClient('warmcc', 'warmcc', serverOptions, {
      documentSelector: [],
      outputChannel: this.output,
      // users never read the output channel: failures surface once, as a message (onClosed)
      revealOutputChannelOn: 4 /* RevealOutputChannelOn.Never */,
      errorHandler: {
        error: () => ({ action: ErrorAction.Continue, handled: true }),
        closed: () => {
          void this.onClosed();
          return { action: CloseAction.DoNotRestart, handled: true };
        },
      },
      initializationFailedHandler: () => false,
    });
    client.onNotification(statsChangedNotification, (snapshot) => this.record(snapshot));
    client.onNotification(compiledNotification, (event) => this.compiledEmitter.fire(event));
    client.onNotification(exitingNotification, (event) => {
      this.exitReason = event.reason;
    });
    this.client = client;
    await client.start();
    const config = await client.sendRequest(configRequest);
    this.logFile = config.logFile;
    this.record(await client.sendRequest(statsRequest));
    this.stopReattaching();
  }

  private async onClosed(): Promise<void> {
    const expected = this.userStopped || this.exitReason !== undefined;
    const reason = this.exitReason;
    await this.disposeClient();
    this.setState('stopped');
    if (expected) {
      if (reason) this.output.appendLine(`warmcc server exited: ${reason}`);
    } else if (!this.crashNotified) {
      // once, not a storm: builds keep working meanwhile (the client compiles by itself)
      this.crashNotified = true;
      void vscode.window
        .showErrorMessage('The warmcc server stopped unexpectedly. Builds still work, without the cache.', 'Restart', 'Show Log')
        .then((choice) => {
          if (choice === 'Restart') void vscode.commands.executeCommand('warmcc.restartServer');
          if (choice === 'Show Log') void vscode.commands.executeCommand('warmcc.showServerLog');
        });
    }
    if (!this.userStopped) this.startReattaching();
  }

  /** A terminal build may start a server on our socket later: attach to it when it appears. */
  private startReattaching(): void {
    if (this.reattachTimer) return;
    this.reattachTimer = setInterval(() => {
      if (this.client || this.currentState !== 'stopped' || this.userStopped) return;
      void canConnect(this.socketPath).then(async (up) => {
        // re-checked: a start or stop by the user may have begun while we probed
        if (!up || this.client || this.currentState !== 'stopped' || this.userStopped) return;
        try {
          this.setState('starting');
          this.exitReason = undefined;
          // crashNotified stays set: a server a build restarts and that crashes again (a crash
          // loop) must not bring a new message every re-attach; only the user's start resets it
          await this.attach();
          this.setState('running');
        } catch {
          await this.disposeClient();
          this.setState('stopped');
        }
      });
    }, REATTACH_INTERVAL_MS);
  }

  private stopReattaching(): void {
    if (this.reattachTimer) clearInterval(this.reattachTimer);
    this.reattachTimer = undefined;
  }

  /** Stops the server itself (not only our connection). */
  async stop(): Promise<void> {
    this.userStopped = true;
    this.stopReattaching();
    const client = this.client;
    if (client) {
      await client.sendRequest(stopRequest).catch(() => undefined);
      await this.disposeClient();
    } else if (await canConnect(this.socketPath)) {
      await this.attach();
      await this.client!.sendRequest(stopRequest).catch(() => undefined);
      await this.disposeClient();
    }
    // the server removes its socket once its running compiles are done
    for (let i = 0; i < 100 && (await canConnect(this.socketPath)); i++) await new Promise((r) => setTimeout(r, 50));
    this.setState('stopped');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async zeroStats(): Promise<void> {
    await this.require().sendRequest(zeroStatsRequest);
    this.history.length = 0;
    this.record(await this.require().sendRequest(statsRequest));
  }

  async clearCache(): Promise<ClearCacheResult> {
    const result = await this.require().sendRequest(clearCacheRequest);
    this.record(await this.require().sendRequest(statsRequest));
    return result;
  }

  /** why `file` last missed, from the server's journal */
  explain(file: string, cwd: string): Promise<ExplainResult> {
    return this.require().sendRequest(explainRequest, { file, cwd });
  }

  async refresh(): Promise<StatsSnapshot> {
    const snapshot = await this.require().sendRequest(statsRequest);
    this.record(snapshot);
    return snapshot;
  }

  private require(): LanguageClient {
    if (!this.client || this.currentState !== 'running') throw new Error('the warmcc server is not running (warmcc: Start Server)');
    return this.client;
  }

  private async disposeClient(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      // languageclient's stop() says shutdown/exit: that ends our connection, not the server
      await client.stop(2000).catch(() => undefined);
    }
  }

  /** Window closing: stop the server unless the user wants it to outlive the window. */
  async shutdown(): Promise<void> {
    this.stopReattaching();
    if (readSettings().keepServerRunning) await this.disposeClient();
    else await this.stop();
  }

  dispose(): void {
    this.stopReattaching();
    this.changeEmitter.dispose();
    this.compiledEmitter.dispose();
  }
}

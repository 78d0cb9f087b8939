// Shared by the extension's integration tests (bundled into each *.test.js): reaching the
// activated extension's WorkspaceServer, bounded waits, reading /proc, and running the bundled
// client against the workspace's socket the way a terminal build would.

import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WarmccExtensionApi } from '../../extension/extension';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import type { StatsSnapshot } from '../../wrapper/contract/stats';
import { waitFor } from '../support/poll';

// the one poll helper of the tests (bundled into each *.test.js like this file); for a
// vscode.Event that signals a change, pass it as wakeOn
export { macrotaskTurns, waitFor } from '../support/poll';

export const EXTENSION_ID = 'warmcc.warmcc';

export function extension(): vscode.Extension<WarmccExtensionApi> {
  const found = vscode.extensions.getExtension<WarmccExtensionApi>(EXTENSION_ID);
  if (!found) throw new Error(`${EXTENSION_ID} is not loaded`);
  return found;
}

/** the activated extension's WorkspaceServer */
export async function workspaceServer(): Promise<WorkspaceServer> {
  const api = await extension().activate();
  assertDefined(api?.server, 'activate() returns { server }');
  return api.server;
}

export function assertDefined<T>(value: T | undefined | null, what: string): asserts value is T {
  if (value === undefined || value === null) throw new Error(`expected ${what}`);
}

export function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  assertDefined(folder, 'a workspace folder');
  return folder;
}

export function clientPath(): string {
  return path.join(extension().extensionPath, 'bin', 'warmcc');
}

export function waitForState(server: WorkspaceServer, state: WorkspaceServer['state'], ms = 15_000): Promise<true> {
  return waitFor(() => server.state === state, { timeoutMs: ms, what: `server state '${state}'`, state: () => server.state, wakeOn: server.onDidChange });
}

/** the running workspace server's pid (waits for `running` first, e.g. after an earlier test's crash) */
export async function runningServerPid(server: WorkspaceServer): Promise<number> {
  if (server.state !== 'running') {
    if (server.state === 'stopped') await vscode.commands.executeCommand('warmcc.startServer');
    await waitForState(server, 'running');
  }
  const pid = server.snapshot?.serverPid;
  assertDefined(pid, 'a snapshot with serverPid');
  return pid;
}

export { canConnect } from '../../wrapper/launcher/serverLauncher';

export interface ProcStat {
  pid: number;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number;
}

/** /proc/PID/stat (the command name may hold spaces and parentheses: split after the last ')') */
export function procStat(pid: number | 'self'): ProcStat {
  const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return {
    pid: Number(text.slice(0, text.indexOf(' '))),
    state: fields[0]!,
    ppid: Number(fields[1]),
    pgrp: Number(fields[2]),
    session: Number(fields[3]),
    ttyNr: Number(fields[4]),
  };
}

/** alive and not a zombie */
export function isAlive(pid: number): boolean {
  try {
    return procStat(pid).state !== 'Z';
  } catch {
    return false;
  }
}

export function procEnviron(pid: number): Map<string, string> {
  const environ = new Map<string, string>();
  for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) environ.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return environ;
}

/** the environment a terminal build in this workspace has: WARMCC_SOCKET = the workspace's socket */
export function buildEnv(server: WorkspaceServer, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, WARMCC_SOCKET: server.socketPath, ...extra };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** bin/warmcc ARGS with the workspace's socket; never rejects for a non-zero exit */
export function runClient(server: WorkspaceServer, args: string[], cwd = workspaceFolder(), timeoutMs = 30_000): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(clientPath(), args, { cwd, env: buildEnv(server), timeout: timeoutMs }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${clientPath()} ${args.join(' ')}: ${error.message}\n${stderr}`));
        return;
      }
      resolve({ code: error ? Number(error.code) : 0, stdout, stderr });
    });
  });
}

/** `bin/warmcc -s --stats-format json` against the workspace's socket */
export function cliStats(server: WorkspaceServer): StatsSnapshot {
  const json = execFileSync(clientPath(), ['-s', '--stats-format', 'json'], { env: buildEnv(server), encoding: 'utf8', timeout: 15_000 });
  return JSON.parse(json) as StatsSnapshot;
}

/** A directory inside the workspace for one test's files, removed by the returned function. */
export function scratchDir(name: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(workspaceFolder(), `.${name}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Records what the extension shows through vscode.window.show{Error,Warning,Information}Message until
 * restore(), answering as if the message were dismissed. It reaches the bundled extension because
 * VS Code hands every module under the extension's folder (this test bundle included) the same
 * `vscode` API object, and its `window` namespace is a plain object with writable properties.
 */
export interface MessageSpy {
  readonly errors: string[];
  readonly warnings: string[];
  readonly infos: string[];
  restore(): void;
}

export function spyOnMessages(): MessageSpy {
  const window = vscode.window as unknown as Record<string, unknown>;
  const originalError = window.showErrorMessage;
  const originalWarning = window.showWarningMessage;
  const originalInformation = window.showInformationMessage;
  const errors: string[] = [];
  const warnings: string[] = [];
  const infos: string[] = [];
  window.showErrorMessage = (message: string) => {
    errors.push(message);
    return Promise.resolve(undefined);
  };
  window.showWarningMessage = (message: string) => {
    warnings.push(message);
    return Promise.resolve(undefined);
  };
  window.showInformationMessage = (message: string) => {
    infos.push(message);
    return Promise.resolve(undefined);
  };
  return {
    errors,
    warnings,
    infos,
    restore() {
      window.showErrorMessage = originalError;
      window.showWarningMessage = originalWarning;
      window.showInformationMessage = originalInformation;
    },
  };
}

/** pids of live warmcc servers (dist/server.js, not their hit servers) for this socket (WARMCC_SOCKET in their environment) */
export function serverProcesses(socketPath: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!cmdline.some((arg) => arg.endsWith(path.join('dist', 'server.js')))) continue;
      if (cmdline.includes('--hit-server')) continue; // a server's helper, not a server
      if (procEnviron(pid).get('WARMCC_SOCKET') === socketPath && isAlive(pid)) pids.push(pid);
    } catch {
      // gone, or not ours
    }
  }
  return pids;
}

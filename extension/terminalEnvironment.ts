// Builds in integrated terminals and tasks use the cache without touching build files: the
// environment variable collection gives them this window's socket, the masquerade directory
// first on PATH and CMake's compiler launcher, each behind its own setting.

import * as vscode from 'vscode';
import type { BundledPaths } from './bundledPaths';
import { ENVIRONMENT_SETTINGS, readSettings } from './settings';
import type { WorkspaceServer } from './workspaceServer';

export function applyEnvironment(collection: vscode.GlobalEnvironmentVariableCollection, paths: BundledPaths, server: WorkspaceServer): void {
  const settings = readSettings();
  collection.clear();
  collection.description = "warmcc: compile through this workspace's cache";
  if (settings.injectSocket) collection.replace('WARMCC_SOCKET', server.socketPath);
  if (settings.injectMasquerade) collection.prepend('PATH', `${paths.masqueradeDir}:`);
  if (settings.injectCmakeLauncher) {
    collection.replace('CMAKE_C_COMPILER_LAUNCHER', paths.client);
    collection.replace('CMAKE_CXX_COMPILER_LAUNCHER', paths.client);
  }
}

export function activateTerminalEnvironment(context: vscode.ExtensionContext, paths: BundledPaths, server: WorkspaceServer): void {
  applyEnvironment(context.environmentVariableCollection, paths, server);
  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (ENVIRONMENT_SETTINGS.some((section) => event.affectsConfiguration(section))) {
        applyEnvironment(context.environmentVariableCollection, paths, server);
      }
    }),
  );
}

/** The same variables, for task executions we create ourselves (explicit, not inherited). */
export function taskEnvironment(paths: BundledPaths, server: WorkspaceServer): Record<string, string> {
  const settings = readSettings();
  const env: Record<string, string> = {};
  if (settings.injectSocket) env.WARMCC_SOCKET = server.socketPath;
  if (settings.injectMasquerade) env.PATH = `${paths.masqueradeDir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
  return env;
}

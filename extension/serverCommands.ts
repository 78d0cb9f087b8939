// Palette commands that drive the server: start, stop, restart, zero, clear, show log.
// Users rarely open output channels, so failures of interactive commands are messages.

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { formatBytes } from '../wrapper/contract/format';
import type { WorkspaceServer } from './workspaceServer';

function reportFailure(action: string): (error: unknown) => void {
  return (error) => void vscode.window.showErrorMessage(`warmcc: ${action} failed: ${(error as Error).message}`);
}

export async function confirmAndClearCache(server: WorkspaceServer): Promise<void> {
  const choice = await vscode.window.showWarningMessage(
    'Clear the warmcc cache? Every cached compile result is removed (the cache is shared with terminal builds); the next builds compile from scratch.',
    { modal: true },
    'Clear',
  );
  if (choice !== 'Clear') return;
  const result = await server.clearCache();
  void vscode.window.showInformationMessage(
    `warmcc: cleared the cache (${result.removedFiles} ${result.removedFiles === 1 ? 'entry' : 'entries'}, ${formatBytes(result.removedBytes)}).`,
  );
}

export function activateServerCommands(context: vscode.ExtensionContext, server: WorkspaceServer): void {
  const register = (command: string, run: () => Promise<unknown>, action: string): void => {
    context.subscriptions.push(vscode.commands.registerCommand(command, () => run().catch(reportFailure(action))));
  };
  register('warmcc.startServer', () => server.start(), 'starting the server');
  register('warmcc.stopServer', () => server.stop(), 'stopping the server');
  register('warmcc.restartServer', () => server.restart(), 'restarting the server');
  register('warmcc.zeroStats', () => server.zeroStats(), 'zeroing the stats');
  register('warmcc.clearCache', () => confirmAndClearCache(server), 'clearing the cache');
  register(
    'warmcc.showServerLog',
    async () => {
      if (!fs.existsSync(server.serverLogFile)) {
        void vscode.window.showInformationMessage(`warmcc: no server log yet (${server.serverLogFile}).`);
        return;
      }
      await vscode.window.showTextDocument(vscode.Uri.file(server.serverLogFile), { preview: true });
    },
    'opening the log',
  );
}

// Entry point: creates this window's server and wires each feature; features live in their
// own files and register their own commands, views and handlers.

import * as vscode from 'vscode';
import { bundledPaths, prepareBundledClient } from './bundledPaths';
import { activateDiagnostics } from './diagnostics';
import { activateExplainMiss } from './explainMiss';
import { activateServerCommands } from './serverCommands';
import { RESTART_SETTINGS, readSettings } from './settings';
import { activateStatsPanel } from './statsPanel';
import { activateStatusBar } from './statusBar';
import { activateTasks } from './tasks';
import { activateTerminalEnvironment } from './terminalEnvironment';
import { WorkspaceServer } from './workspaceServer';

let server: WorkspaceServer | undefined;

/** what the extension's tests reach through `getExtension('warmcc.warmcc').exports` */
export interface WarmccExtensionApi {
  server: WorkspaceServer;
}

export async function activate(context: vscode.ExtensionContext): Promise<WarmccExtensionApi> {
  const paths = bundledPaths(context.extensionPath, context.globalStorageUri.fsPath);
  const output = vscode.window.createOutputChannel('warmcc', { log: true });
  try {
    prepareBundledClient(paths);
  } catch (error) {
    output.error(`cannot prepare ${paths.client} and its masquerade links: ${(error as Error).message}`);
  }
  server = new WorkspaceServer(paths, output, context.logUri.fsPath);
  context.subscriptions.push(output, server);

  activateServerCommands(context, server);
  activateStatusBar(context, server);
  activateStatsPanel(context, server);
  activateTerminalEnvironment(context, paths, server);
  activateTasks(context, paths, server);
  activateDiagnostics(context, server);
  activateExplainMiss(context, server);

  context.subscriptions.push(
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!RESTART_SETTINGS.some((section) => event.affectsConfiguration(section)) || server?.state !== 'running') return;
      const choice = await vscode.window.showInformationMessage('warmcc: the changed setting takes effect after a server restart.', 'Restart Server');
      if (choice) await vscode.commands.executeCommand('warmcc.restartServer');
    }),
  );

  if (readSettings().autoStart) {
    // not awaited: activation must not wait for the server; failures are reported once
    server.start().catch((error: Error) => {
      output.error(error.message);
      void vscode.window.showWarningMessage(`warmcc: ${error.message}. Builds still work, without the cache.`, 'Show Log').then((choice) => {
        if (choice) void vscode.commands.executeCommand('warmcc.showServerLog');
      });
    });
  }
  return { server };
}

export async function deactivate(): Promise<void> {
  await server?.shutdown();
}

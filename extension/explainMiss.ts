// "warmcc: Explain Last Miss": asks this window's server why the active editor's file last
// missed the cache, shows the one-line summary with "Show Details", and the full explanation
// (the text `warmcc --explain FILE` prints) in the "warmcc: Explain" output channel.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ExplainResult } from '../wrapper/contract/rpc';
import type { WorkspaceServer } from './workspaceServer';

export const EXPLAIN_COMMAND = 'warmcc.explainLastMiss';
const SHOW_DETAILS = 'Show Details';

/** the command's result (tests read it): undefined when there was no file to explain */
export async function explainActiveEditor(server: WorkspaceServer, channel: vscode.OutputChannel): Promise<ExplainResult | undefined> {
  const document = vscode.window.activeTextEditor?.document;
  if (!document || document.uri.scheme !== 'file') {
    void vscode.window.showInformationMessage('warmcc: open the source file whose last miss you want explained, then run the command again.');
    return undefined;
  }
  const file = document.uri.fsPath;
  const folder = vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath;
  const shown = folder ? path.relative(folder, file) : file;
  const result = await server.explain(shown, folder ?? path.dirname(file));
  channel.clear();
  channel.appendLine(result.text);
  channel.appendLine('');
  channel.appendLine(`(journal: ${result.journalFile})`);
  void vscode.window.showInformationMessage(`warmcc: ${result.summary}`, SHOW_DETAILS).then((choice) => {
    if (choice === SHOW_DETAILS) channel.show(true);
  });
  return result;
}

export function activateExplainMiss(context: vscode.ExtensionContext, server: WorkspaceServer): void {
  const channel = vscode.window.createOutputChannel('warmcc: Explain');
  context.subscriptions.push(
    channel,
    vscode.commands.registerCommand(EXPLAIN_COMMAND, () =>
      explainActiveEditor(server, channel).catch((error: Error) => {
        void vscode.window.showErrorMessage(`warmcc: explaining the last miss failed: ${error.message}`);
        return undefined;
      }),
    ),
  );
}

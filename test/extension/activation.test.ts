/// <reference types="mocha" />
// Activation in a C workspace: the activation events fire by themselves (the fixture has a
// Makefile and .c files), every contributed command is registered, and with warmcc.autoStart at
// its default the workspace's server comes up.

import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { extension, waitFor, waitForState, workspaceServer } from './helpers';

/** the parts of package.json these tests read */
interface PackageManifest {
  activationEvents?: string[];
  contributes: { commands: { command: string }[] };
}

describe('activation', () => {
  it('activates by itself in a workspace with a Makefile and C files', async () => {
    const warmcc = extension();
    const events = (warmcc.packageJSON as PackageManifest).activationEvents ?? [];
    assert.ok(events.includes('workspaceContains:**/Makefile'), `activationEvents: ${events.join(', ')}`);
    // not calling activate(): the workspaceContains events must do it
    await waitFor(() => warmcc.isActive, { timeoutMs: 20_000, what: 'the extension to activate by itself' });
    assert.ok(warmcc.exports?.server, 'activate() returned { server }');
  });

  it('registers every contributed command', async () => {
    await workspaceServer();
    const contributed = (extension().packageJSON as PackageManifest).contributes.commands.map((command) => command.command);
    const expected = [
      'warmcc.startServer',
      'warmcc.stopServer',
      'warmcc.restartServer',
      'warmcc.showStats',
      'warmcc.zeroStats',
      'warmcc.clearCache',
      'warmcc.showServerLog',
      'warmcc.explainLastMiss',
    ];
    for (const command of expected) assert.ok(contributed.includes(command), `package.json contributes ${command}`);
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((command) => !registered.has(command));
    assert.deepEqual(missing, [], 'contributed commands that are not registered');
  });

  it('starts the workspace server when warmcc.autoStart is at its default (true)', async () => {
    const server = await workspaceServer();
    const autoStart = vscode.workspace.getConfiguration('warmcc').inspect<boolean>('autoStart');
    assert.equal(autoStart?.defaultValue, true);
    assert.equal(autoStart?.globalValue ?? autoStart?.workspaceValue ?? autoStart?.workspaceFolderValue, undefined, 'nobody overrides autoStart');
    await waitForState(server, 'running', 20_000);
    // the per-workspace socket, in the private runtime directory the harness isolated
    const runtime = process.env.XDG_RUNTIME_DIR;
    assert.ok(runtime, 'the harness sets XDG_RUNTIME_DIR');
    assert.equal(path.dirname(server.socketPath), path.join(runtime, 'warmcc'));
    assert.match(path.basename(server.socketPath), /^ws-[0-9a-f]{16}\.sock$/);
    assert.equal(server.snapshot?.socketPath, server.socketPath, 'the attached server serves the workspace socket');
    assert.ok((server.snapshot?.serverPid ?? 0) > 0);
  });
});

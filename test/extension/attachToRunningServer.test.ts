/// <reference types="mocha" />
// A server a terminal build started on the workspace's socket (bin/warmcc --start-server with
// WARMCC_SOCKET) is the workspace's server: warmcc.startServer attaches to it and never starts a
// second one next to it.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as vscode from 'vscode';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import { buildEnv, canConnect, clientPath, cliStats, isAlive, runningServerPid, serverProcesses, waitFor, workspaceServer } from './helpers';

describe('attaching to a running server', () => {
  let server: WorkspaceServer;
  let started: number | undefined;

  before(async () => {
    server = await workspaceServer();
    await runningServerPid(server);
  });

  after(async () => {
    // leave a server the extension started itself, and stop the one this test started
    await vscode.commands.executeCommand('warmcc.restartServer');
    if (started !== undefined) {
      const pid = started;
      await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `the terminal-started server ${pid} to exit` });
    }
  });

  it('warmcc.startServer attaches to the server a terminal build started instead of starting another', async () => {
    await vscode.commands.executeCommand('warmcc.stopServer');
    assert.equal(server.state, 'stopped');
    assert.equal(await canConnect(server.socketPath), false);

    const output = execFileSync(clientPath(), ['--start-server'], { env: buildEnv(server), encoding: 'utf8', timeout: 20_000 });
    assert.match(output, /server started/);
    started = cliStats(server).serverPid;
    assert.ok(isAlive(started), `the server ${started} started from the "terminal" runs`);
    assert.equal(server.state, 'stopped', 'a user stop is final until the user starts again');

    await vscode.commands.executeCommand('warmcc.startServer');
    assert.equal(server.state, 'running');
    assert.equal(server.snapshot?.serverPid, started, 'attached to the running server');
    assert.deepEqual(serverProcesses(server.socketPath), [started], 'exactly one server process for the workspace socket');
    // the extension talks to it: the RPC answers with the same server
    const snapshot = await server.refresh();
    assert.equal(snapshot.serverPid, started);
  });
});

/// <reference types="mocha" />
// warmcc.stopServer / startServer / restartServer from the command palette's point of view
// (executeCommand), and how the extension starts a server: clean (own session, no terminal,
// stdin /dev/null, nothing inherited from the extension host) and on the extension host's own
// binary with ELECTRON_RUN_AS_NODE=1 (what makes desktop VS Code's Electron run it as Node).

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import { canConnect, isAlive, macrotaskTurns, procEnviron, procStat, runningServerPid, waitFor, waitForState, workspaceServer } from './helpers';

/** inodes of the pipes and sockets a process has open ("pipe:[123]" -> "pipe:[123]") */
function pipesAndSockets(pid: number | 'self'): Set<string> {
  const links = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (/^(pipe|socket):\[\d+\]$/.test(link)) links.add(link);
    } catch {
      // closed meanwhile
    }
  }
  return links;
}

/** The rules of a clean start (wrapper/client/warmcc.c spawn_server): the extension host is not make, but the same holds. */
function assertStartedClean(server: WorkspaceServer, pid: number): void {
  const stat = procStat(pid);
  const host = procStat('self');
  assert.notEqual(stat.session, host.session, `server ${pid} runs in its own session, not the extension host's (${host.session})`);
  assert.notEqual(stat.session, pid, 'the server is not a session leader (it can never acquire a terminal)');
  assert.equal(stat.ttyNr, 0, 'no controlling terminal');
  assert.equal(fs.readlinkSync(`/proc/${pid}/fd/0`), '/dev/null', 'stdin is /dev/null');
  const log = fs.realpathSync(server.serverLogFile);
  assert.equal(fs.readlinkSync(`/proc/${pid}/fd/1`), log, 'stdout goes to the server log');
  assert.equal(fs.readlinkSync(`/proc/${pid}/fd/2`), log, 'stderr goes to the server log');
  // an inherited descriptor would be the same open pipe or socket in both processes
  const hostEnds = pipesAndSockets('self');
  const shared = [...pipesAndSockets(pid)].filter((link) => hostEnds.has(link));
  assert.deepEqual(shared, [], 'pipes or sockets the server shares with the extension host (inherited fds)');
}

describe('server commands', () => {
  let server: WorkspaceServer;

  before(async () => {
    server = await workspaceServer();
    await runningServerPid(server);
  });

  after(async () => {
    if (server.state !== 'running') await vscode.commands.executeCommand('warmcc.startServer');
  });

  it('warmcc.stopServer stops the server: state stopped, the socket refuses connections, the process exits', async () => {
    const pid = await runningServerPid(server);
    await vscode.commands.executeCommand('warmcc.stopServer');
    assert.equal(server.state, 'stopped');
    assert.equal(await canConnect(server.socketPath), false, `${server.socketPath} still accepts connections`);
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `server ${pid} to exit` });
    // a user stop is final: nothing brings the server back by itself. The last thing the stop
    // causes here is the closing of the extension's connection, which the kernel has signalled by
    // the time the process is gone: once the event loop has turned over it, it has been handled
    await macrotaskTurns();
    assert.equal(server.state, 'stopped');
    assert.equal(await canConnect(server.socketPath), false, 'and no server came back on the socket');
  });

  it('warmcc.startServer starts a new server, started clean', async () => {
    const before = server.snapshot?.serverPid;
    if (server.state === 'running') await vscode.commands.executeCommand('warmcc.stopServer');
    await vscode.commands.executeCommand('warmcc.startServer');
    assert.equal(server.state, 'running');
    const pid = server.snapshot?.serverPid;
    assert.ok(pid && isAlive(pid), `server pid ${pid} is alive`);
    assert.notEqual(pid, before, 'a new server process');
    assert.equal(await canConnect(server.socketPath), true);
    assertStartedClean(server, pid);
  });

  it('warmcc.restartServer replaces the server with yet another process, started clean', async () => {
    const before = await runningServerPid(server);
    await vscode.commands.executeCommand('warmcc.restartServer');
    assert.equal(server.state, 'running');
    const pid = server.snapshot?.serverPid;
    assert.ok(pid && isAlive(pid), `server pid ${pid} is alive`);
    assert.notEqual(pid, before, 'a new server process');
    await waitFor(() => !isAlive(before), { timeoutMs: 10_000, what: `the old server ${before} to exit` });
    assertStartedClean(server, pid);
  });

  it("runs the server on the extension host's own binary with ELECTRON_RUN_AS_NODE=1 (the Electron code path)", async () => {
    // The extension host may carry ELECTRON_RUN_AS_NODE itself (code-server forks its extension
    // host with it): without it here, only the extension's own setting can put it in the server's
    // environment. A restart: a server the extension started (not one a terminal started).
    const inherited = process.env.ELECTRON_RUN_AS_NODE;
    delete process.env.ELECTRON_RUN_AS_NODE;
    try {
      await vscode.commands.executeCommand('warmcc.restartServer');
    } finally {
      if (inherited !== undefined) process.env.ELECTRON_RUN_AS_NODE = inherited;
    }
    await waitForState(server, 'running');
    const pid = server.snapshot!.serverPid;
    const environ = procEnviron(pid);
    assert.equal(environ.get('ELECTRON_RUN_AS_NODE'), '1');
    assert.equal(environ.get('WARMCC_NODE'), process.execPath);
    assert.equal(environ.get('WARMCC_SOCKET'), server.socketPath);
    assert.equal(fs.realpathSync(`/proc/${pid}/exe`), fs.realpathSync(process.execPath), "the server runs on the extension host's executable");
  });
});

/// <reference types="mocha" />
// The workspace server dies (SIGKILL: no warmcc/exiting notification): the extension notices
// (state `stopped`), says so once, builds go on meanwhile (the client starts a fresh server by
// itself) and the extension re-attaches to that server within its 5 s re-attach poll.

import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import {
  cliStats,
  isAlive,
  runClient,
  runningServerPid,
  scratchDir,
  serverProcesses,
  spyOnMessages,
  waitFor,
  waitForState,
  workspaceServer,
  type MessageSpy,
} from './helpers';

/** the re-attach poll runs every 5 s (workspaceServer.ts): room for three polls on a busy CI machine */
const REATTACH_MS = 20_000;

describe('a crashing server', () => {
  let server: WorkspaceServer;
  let scratch: ReturnType<typeof scratchDir>;
  let spy: MessageSpy | undefined;

  before(async () => {
    server = await workspaceServer();
    await runningServerPid(server);
    scratch = scratchDir('crash');
    fs.writeFileSync(path.join(scratch.dir, 'unit.c'), 'int unit(int x) { return x * 3; }\n');
  });

  afterEach(() => {
    spy?.restore();
    spy = undefined;
  });

  after(async () => {
    scratch.remove();
    // leave a server the extension started itself (the last one here was started by a build)
    await vscode.commands.executeCommand('warmcc.restartServer');
  });

  /** a terminal build's compile with the workspace socket; exits 0 whatever the server does */
  async function build(): Promise<void> {
    const result = await runClient(server, ['gcc', '-c', 'unit.c', '-o', 'unit.o'], scratch.dir);
    assert.equal(result.code, 0, `the compile failed: ${result.stderr}`);
    assert.ok(fs.existsSync(path.join(scratch.dir, 'unit.o')));
    fs.rmSync(path.join(scratch.dir, 'unit.o'));
  }

  /** kills the attached server; resolves once the extension has noticed */
  async function crash(): Promise<number> {
    const pid = await runningServerPid(server);
    process.kill(pid, 'SIGKILL');
    await waitFor(() => !isAlive(pid), { timeoutMs: 10_000, what: `server ${pid} to die` });
    await waitForState(server, 'stopped', 10_000);
    return pid;
  }

  it('goes to `stopped`, builds still work, and the extension re-attaches to the server the build started', async () => {
    await vscode.commands.executeCommand('warmcc.restartServer'); // a server the user started
    spy = spyOnMessages();
    const killed = await crash();
    await assert.rejects(server.refresh(), /not running/, 'requests fail fast while stopped');

    await build(); // the client finds no server and starts a fresh one, clean
    const fresh = cliStats(server).serverPid;
    assert.notEqual(fresh, killed);
    assert.deepEqual(serverProcesses(server.socketPath), [fresh]);

    await waitForState(server, 'running', REATTACH_MS);
    assert.equal(server.snapshot?.serverPid, fresh, 're-attached to the server the build started');
    const snapshot = await server.refresh();
    assert.equal(snapshot.serverPid, fresh);
    assert.deepEqual(spy.errors.length, 1, `error messages shown: ${JSON.stringify(spy.errors)}`);
    assert.match(spy.errors[0]!, /stopped unexpectedly/);
    assert.deepEqual(spy.warnings, [], 'no other message');
  });

  it('two crashes in a row show one error message, not a storm, and end `running`', async () => {
    // a server the user started: what was notified before is forgotten
    await vscode.commands.executeCommand('warmcc.restartServer');
    spy = spyOnMessages();
    const first = await crash();
    await build();
    await waitForState(server, 'running', REATTACH_MS);
    const second = await crash(); // right after the automatic re-attach
    assert.notEqual(second, first);
    await build();
    // the build's client started a fresh server (else re-attaching has nothing to find)
    const third = cliStats(server).serverPid;
    assert.ok(third !== first && third !== second, `a third server runs: ${third}`);
    assert.deepEqual(serverProcesses(server.socketPath), [third]);
    await waitForState(server, 'running', REATTACH_MS);
    assert.ok(isAlive(server.snapshot!.serverPid));
    assert.deepEqual(serverProcesses(server.socketPath), [server.snapshot!.serverPid]);
    await server.refresh(); // the connection works
    assert.equal(spy.errors.length, 1, `error messages shown: ${JSON.stringify(spy.errors)}`);
  });
});

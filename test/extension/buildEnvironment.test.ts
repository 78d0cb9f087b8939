/// <reference types="mocha" />
// Builds in tasks and terminals go through the workspace's server without touching build files:
// the provided `make` task compiles the fixture through the cache (a rebuild after `make clean` is
// two hits), and the environment variable collection gives integrated terminals WARMCC_SOCKET,
// the masquerade directory first on PATH and CMake's compiler launchers.

import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { WorkspaceServer } from '../../extension/workspaceServer';
import { clientPath, extension, runningServerPid, scratchDir, waitFor, workspaceFolder, workspaceServer } from './helpers';

const FIXTURE_OUTPUTS = ['hello', 'main.o', 'greet.o'];

describe('build environment', () => {
  let server: WorkspaceServer;
  const terminalsBefore = new Set<vscode.Terminal>();

  before(async () => {
    server = await workspaceServer();
    await runningServerPid(server);
    for (const terminal of vscode.window.terminals) terminalsBefore.add(terminal);
  });

  after(() => {
    // the task terminals this suite opened, and the fixture's build outputs
    for (const terminal of vscode.window.terminals) if (!terminalsBefore.has(terminal)) terminal.dispose();
    for (const name of FIXTURE_OUTPUTS) fs.rmSync(path.join(workspaceFolder(), name), { force: true });
  });

  async function makeTask(): Promise<vscode.Task> {
    const tasks = await vscode.tasks.fetchTasks({ type: 'warmcc' });
    const folder = vscode.workspace.workspaceFolders![0]!;
    const make = tasks.filter(
      (task) => task.definition.kind === 'make' && typeof task.scope === 'object' && task.scope.uri.toString() === folder.uri.toString(),
    );
    assert.equal(make.length, 1, `warmcc tasks: ${tasks.map((task) => `${task.name} (${task.definition.kind})`).join(', ')}`);
    return make[0]!;
  }

  /** runs the task, resolves with its process's exit code (bounded) */
  async function run(task: vscode.Task): Promise<number | undefined> {
    let execution: vscode.TaskExecution | undefined;
    let exitCode: number | undefined;
    let ended = false;
    const subscription = vscode.tasks.onDidEndTaskProcess((event) => {
      // the event may come before executeTask's promise resolves: match on the definition too
      if (event.execution === execution || (event.execution.task.source === 'warmcc' && event.execution.task.definition.kind === 'make')) {
        exitCode = event.exitCode;
        ended = true;
      }
    });
    try {
      execution = await vscode.tasks.executeTask(task);
      await waitFor(() => ended, { timeoutMs: 45_000, what: `the task '${task.name}' to end` });
      return exitCode;
    } finally {
      subscription.dispose();
    }
  }

  it('provides a `make` task that builds the fixture through the cache; after `make clean` the rebuild is two hits', async () => {
    const workspace = workspaceFolder();
    for (const name of FIXTURE_OUTPUTS) fs.rmSync(path.join(workspace, name), { force: true });
    const task = await makeTask();
    assert.equal(task.source, 'warmcc');
    const initial = await server.refresh();

    assert.equal(await run(task), 0, 'make exits 0');
    for (const name of FIXTURE_OUTPUTS) assert.ok(fs.existsSync(path.join(workspace, name)), `make built ${name}`);
    assert.equal(execFileSync(path.join(workspace, 'hello'), { encoding: 'utf8' }).trim(), 'hello from the warmcc test fixture');
    const built = await server.refresh();
    // two compiles (cacheable) and one link (not cacheable) reached the workspace's server
    assert.equal(built.cacheHits + built.cacheMisses - (initial.cacheHits + initial.cacheMisses), 2, 'two cache lookups');
    assert.ok(built.compileRequests - initial.compileRequests >= 2, 'the compiles went through the server (masquerade PATH + WARMCC_SOCKET)');
    // the server stores entries after replying: a rebuild must find both
    const misses = built.cacheMisses - initial.cacheMisses;
    await waitFor(async () => (await server.refresh()).cacheEntries >= initial.cacheEntries + misses, {
      timeoutMs: 10_000,
      what: `the ${misses} entries of the first build to be stored`,
      state: () => server.snapshot?.cacheEntries,
    });

    execFileSync('make', ['clean'], { cwd: workspace, stdio: 'ignore' });
    assert.equal(fs.existsSync(path.join(workspace, 'main.o')), false);
    const cleaned = await server.refresh();
    assert.equal(await run(await makeTask()), 0, 'the rebuild exits 0');
    const rebuilt = await server.refresh();
    assert.equal(rebuilt.cacheHits - cleaned.cacheHits, 2, 'the rebuild was two cache hits');
    assert.equal(rebuilt.cacheMisses, cleaned.cacheMisses, 'and no miss');
    assert.equal(execFileSync(path.join(workspace, 'hello'), { encoding: 'utf8' }).trim(), 'hello from the warmcc test fixture');
  });

  it('gives integrated terminals WARMCC_SOCKET, the masquerade directory first on PATH and the CMake launchers', async () => {
    const scratch = scratchDir('terminal');
    const out = path.join(scratch.dir, 'env.txt');
    const terminal = vscode.window.createTerminal({
      name: 'warmcc env probe',
      shellPath: '/bin/sh',
      shellArgs: [
        '-c',
        `printf '%s\\n' "$WARMCC_SOCKET" "$PATH" "$CMAKE_C_COMPILER_LAUNCHER" "$CMAKE_CXX_COMPILER_LAUNCHER" > '${out}.tmp' && mv '${out}.tmp' '${out}'`,
      ],
    });
    try {
      await waitFor(() => fs.existsSync(out), { timeoutMs: 20_000, what: `the terminal to write ${out}` });
      const [socket, pathVariable, cLauncher, cxxLauncher] = fs.readFileSync(out, 'utf8').split('\n');
      assert.equal(socket, server.socketPath, 'WARMCC_SOCKET');
      const first = pathVariable!.split(':')[0]!;
      assert.equal(path.basename(first), 'masq', `PATH starts with the masquerade directory: ${pathVariable}`);
      assert.equal(path.basename(path.dirname(first)), 'warmcc.warmcc', "under the extension's globalStorage");
      const client = clientPath();
      for (const name of ['cc', 'gcc', 'g++', 'clang', 'clang++']) {
        assert.equal(fs.readlinkSync(path.join(first, name)), client, `${name} in the masquerade directory is the bundled client`);
      }
      assert.equal(cLauncher, client, 'CMAKE_C_COMPILER_LAUNCHER');
      assert.equal(cxxLauncher, client, 'CMAKE_CXX_COMPILER_LAUNCHER');
      assert.equal(path.dirname(client), path.join(extension().extensionPath, 'bin'));
    } finally {
      terminal.dispose();
      scratch.remove();
    }
  });
});
